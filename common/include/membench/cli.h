/* Small helpers shared by the membench binaries: diagnostics with the program name, strict
 * number parsing for flags, and terminal detection for progress output.
 */
#ifndef MEMBENCH_CLI_H
#define MEMBENCH_CLI_H

#include <stdbool.h>
#include <stdint.h>

/* Sets the name used by mb_warn/mb_error, e.g. "membench record". */
void mb_cli_set_prog(const char *prog);
const char *mb_cli_prog(void);

/* Prints "<prog>: <message>\n" to stderr. */
void mb_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Prints "<prog>: warning: <message>\n" to stderr. */
void mb_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Strict parsers: the whole string must be consumed. Return 0 or MB_E_USAGE. */
int mb_parse_u64(const char *s, uint64_t *out);
int mb_parse_double(const char *s, double *out);
/* "10", "10s", "500ms", "2m", "1h", "250us" -> nanoseconds. A bare number means seconds. */
int mb_parse_duration_ns(const char *s, uint64_t *out);
/* "4096", "4k", "16K", "1M", "1G" (powers of 1024) -> bytes. */
int mb_parse_size(const char *s, uint64_t *out);

/* A fraction in (0, 1]: "1/N" (N >= 1 integer), "N%" (0 < N <= 100, decimals allowed) or a
 * decimal ("0.25"). @return 0, or -EINVAL for anything else (0, above 1, "1/0", "abc", "",
 * trailing text). */
int mb_parse_fraction(const char *s, double *out);

/* True when fd is a terminal (progress and live status lines are redrawn in place only then). */
bool mb_isatty(int fd);

/* Checks, before the work, that an output file can be written at path: created if missing (and
 * removed again), else opened for writing without truncating it. Binaries fail at once with
 * exit 1 naming the file (README, "Exit codes"). @return 0 or -errno. */
int mb_check_writable(const char *path);

#endif
