/* Trace files for the import tests: a per-run temporary directory, and plain or zstd files
 * written into it (cmocka asserts on any I/O failure). Shared by test_import and
 * test_import_cli. */
#ifndef MB_TRACE_FILES_H
#define MB_TRACE_FILES_H

#include <stddef.h>

/* Creates the run's temporary directory. @return 0 or -1. */
int trace_dir_create(void);
/* Its path. */
const char *trace_dir(void);
/* Removes it and everything in it. */
void trace_dir_remove(void);
/* "<dir>/<name>"; the result stays valid for the next three calls. */
const char *tmp_path(const char *name);
void write_file(const char *path, const void *data, size_t n);
/* Writes data zstd-compressed (level 3), split into `frames` concatenated frames (>= 1). */
void write_zstd(const char *path, const void *data, size_t n, int frames);

#endif
