# Sources of trace import and synthetic generation: appended to membench-record.
set(RECORD_IMPORT_SOURCES import_stub.c)
set(RECORD_IMPORT_LIBS "")
