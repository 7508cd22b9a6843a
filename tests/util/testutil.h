/* Test support shared by membench's cmocka tests: real memcached servers on loopback, temporary
 * directories, and the skip convention (exit 77 when a test cannot run here).
 */
#ifndef MB_TESTUTIL_H
#define MB_TESTUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define MB_TEST_SKIP 77

struct mb_test_memcached {
	pid_t pid;
	int port;
};

/* Starts `memcached -l 127.0.0.1 -p <free port> -U 0 [extra args]` (with -u nobody as root) and
 * waits until it accepts connections. extra_args: space-separated, may be NULL.
 * @return 0, MB_TEST_SKIP when memcached is not installed, or -1 on failure. */
int mb_test_memcached_start(struct mb_test_memcached *m, const char *extra_args);
/* Stops it (SIGTERM, then SIGKILL) and reaps it. Safe to call twice. */
void mb_test_memcached_stop(struct mb_test_memcached *m);

/* A free TCP port on 127.0.0.1 (bound and released; racy but fine for tests). */
int mb_test_free_port(void);

/* Creates a fresh directory under $TMPDIR (or /tmp); path written to buf. @return 0 or -1. */
int mb_test_tmpdir(char *buf, size_t len);
/* Removes a directory tree made by mb_test_tmpdir. */
void mb_test_rmtree(const char *path);

/* Path of a file under the source tree ($MB_SOURCE_DIR, set by ctest), written to buf. */
const char *mb_test_source_path(char *buf, size_t len, const char *rel);

bool mb_test_is_root(void);

#endif
