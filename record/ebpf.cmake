# Sources of the eBPF capture (owned by the recorder work): appended to membench-record.
set(RECORD_EBPF_SOURCES ebpf_stub.c)
set(RECORD_EBPF_LIBS "")
