/* Trace import internals: the input stream (plain or zstd), the time-placement stage ("sink")
 * and the three trace parsers. record/import.c wires them to the profile writer; the tests drive
 * the parsers with their own emit callback, so all of this works without a profile.
 *
 * Pipeline:  import_input (bytes, lines)  ->  import_twitter / _oracle / _cachelib (rows)
 *            -> import_sink (seconds -> ns, --ops/--duration limits) -> emit callback (writer)
 *
 * Time placement (--spread): traces stamp requests in whole seconds. With SPREAD_EVEN (default)
 * the n requests of one second are placed at sec + i/n s (i = 0..n-1, file order), which needs
 * the second's rows buffered (memory O(rows of the busiest second), at most IMPORT_SECOND_MAX).
 * With SPREAD_BURST every request of a second is at the second's start (nothing buffered).
 * A row whose second is earlier than the previous row's is placed in the current second (counted
 * in import_sink.reordered) so time never goes backwards. time_ns counts from the first row's
 * second (import_sink.base_s).
 */
#ifndef MB_RECORD_IMPORT_H
#define MB_RECORD_IMPORT_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "membench/profile.h"

/* ---- input: a file (or "-" for stdin), decompressed on the fly when it is zstd --------- */

#define IMPORT_LINE_MAX (1u << 20) /* longest accepted text line, bytes */

struct import_input;

/* Opens path and sniffs the zstd frame magic (28 b5 2f fd) in its first bytes: zstd input is
 * stream-decompressed, anything else is read as is. The extension does not matter.
 * @return 0, or -errno with "cannot open PATH: reason" in err. */
int import_input_open(struct import_input **out, const char *path, char *err, size_t errlen);
void import_input_close(struct import_input *in);

bool import_input_is_zstd(const struct import_input *in);

/* Reads up to cap decompressed bytes; short only at the end of input.
 * @return bytes read (0 at the end), or -errno / MB_E_ZSTD / MB_E_TRUNCATED (zstd frame cut
 *         short) with the message in err. */
long import_input_read(struct import_input *in, void *buf, size_t cap, char *err, size_t errlen);

/* Next text line without its "\n" (and "\r"); *lineno is its 1-based number. The line stays
 * valid until the next call. The last line may lack a newline.
 * @return 1 (a line), 0 (end of input), or a negative error with the message in err
 *         (MB_E_LIMIT for a line longer than IMPORT_LINE_MAX). */
int import_input_line(struct import_input *in, const char **line, size_t *len,
		      uint64_t *lineno, char *err, size_t errlen);

/* Fraction of the input file consumed (compressed bytes for zstd); -1 when unknown (a pipe). */
double import_input_progress(const struct import_input *in);

/* ---- sink: time placement and limits ----------------------------------------------------- */

enum import_spread {
	SPREAD_EVEN = 0,
	SPREAD_BURST = 1,
};

#define IMPORT_SECOND_MAX (1u << 24) /* requests buffered for one second with SPREAD_EVEN */
#define IMPORT_STOP 1                /* positive return: a limit (--ops, --duration) was reached */

/* Receives each finished record in time order; key as for mb_profile_writer_append.
 * base_s is the trace second of time_ns == 0. @return 0 or a negative error (stops the import). */
typedef int (*import_emit_fn)(void *arg, uint64_t base_s, const struct mb_record *rec,
			      const void *key, size_t key_bytes);

struct import_key_ref {
	uint32_t off, len;
	bool has;
};

struct import_sink {
	enum import_spread spread;
	import_emit_fn emit;
	void *arg;
	uint64_t max_ops;     /* 0 = unlimited */
	uint64_t max_time_ns; /* 0 = unlimited: stop before the first record at or after this */
	/* state */
	bool started;
	bool stopped;
	uint64_t base_s, cur_s;
	struct mb_record *recs; /* the buffered second */
	struct import_key_ref *keys;
	size_t n, cap;
	char *arena;
	size_t arena_len, arena_cap;
	/* results */
	uint64_t emitted;
	uint64_t reordered; /* rows stamped earlier than their predecessor */
	bool overflow;      /* a second held more than IMPORT_SECOND_MAX rows (MB_E_LIMIT) */
};

/* Sets up a sink; free it with import_sink_free. */
void import_sink_init(struct import_sink *s, enum import_spread spread, import_emit_fn emit,
		      void *arg);
void import_sink_free(struct import_sink *s);

/* Adds a record stamped with trace second sec (rec->time_ns is ignored and set here).
 * @return 0, IMPORT_STOP once a limit is reached (later calls are ignored), -ENOMEM, MB_E_LIMIT
 *         (more than IMPORT_SECOND_MAX rows in one second with SPREAD_EVEN), or the emit error. */
int import_sink_push(struct import_sink *s, uint64_t sec, const struct mb_record *rec,
		     const void *key, size_t key_bytes);

/* Adds a record with an exact time (ns since the start; non-decreasing), bypassing spreading.
 * Used when a trace has no timestamps and --rate spaces the rows. Same returns. */
int import_sink_push_ns(struct import_sink *s, uint64_t time_ns, const struct mb_record *rec,
			const void *key, size_t key_bytes);

/* Emits the buffered second. @return 0 or the emit error. */
int import_sink_finish(struct import_sink *s);

/* ---- parsers ------------------------------------------------------------------------------ */

enum import_format {
	IMPORT_TWITTER,
	IMPORT_ORACLE,
	IMPORT_CACHELIB,
};

struct import_opts {
	enum import_format format;
	const char *path;
	uint32_t connections;   /* 0: twitter = one per client id, others = 1 */
	uint32_t key_size;      /* oracle: key length of every obj_id */
	double rate;            /* cachelib without op_time: rows per second (0 = none given) */
	bool keep_keys;         /* pass key bytes (twitter, cachelib) */
	bool skip_bad;          /* count and skip malformed rows instead of failing */
	unsigned warn_bad;      /* with skip_bad: print the first warn_bad messages as warnings */
};

struct import_run {
	const struct import_opts *opt;
	struct import_input *in;
	struct import_sink *sink;
	volatile sig_atomic_t *interrupted; /* may be NULL */
	void (*progress)(struct import_run *run); /* called every 2^16 rows; may be NULL */
	void *progress_arg;
	/* results */
	uint64_t rows;     /* input rows (lines or records) read, including skipped ones */
	uint64_t skipped;  /* malformed rows skipped with skip_bad */
	char err[512];     /* the fatal error, or the last skipped row's message */
};

/* Each parser reads run->in to the end (or until a limit or interrupt) and pushes into
 * run->sink. @return 0 (done), MB_E_PARSE (a malformed row, message "FILE:LINE: column N (NAME):
 * bad value 'V': why" in run->err), or another negative error with its message in run->err.
 * They do not call import_sink_finish. */
int import_twitter(struct import_run *run);
int import_oracle(struct import_run *run);
int import_cachelib(struct import_run *run);

/* Records a malformed row: formats "PATH:LINE: MESSAGE" into run->err. With skip_bad it counts
 * the row, prints the first warn_bad messages and returns 0; otherwise returns MB_E_PARSE. */
int import_bad_row(struct import_run *run, uint64_t line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Same for a bad column value: "PATH:LINE: column COL (NAME): bad value 'VALUE': WHY", the
 * value shown up to 48 bytes with unprintable bytes as '?'. */
int import_bad_value(struct import_run *run, uint64_t line, int col, const char *name,
		     const char *val, size_t len, const char *why);

/* Strict decimal parsers over [p, p+n): digits only (leading '-' for the signed one), no
 * spaces, no overflow. @return 0 or -1. */
int import_parse_u64(const char *p, size_t n, uint64_t *out);
int import_parse_u32(const char *p, size_t n, uint32_t *out);
int import_parse_i32(const char *p, size_t n, int32_t *out);

#endif

/* ---- command-line support shared by import.c and synth.c -------------------------------- */

/* Set by the SIGINT/SIGTERM handler that import_catch_signals installs. */
extern volatile sig_atomic_t import_interrupted;
/* Installs the handler (no SA_RESTART: a blocking read returns EINTR and is retried by the
 * caller's loop, which checks the flag). */
void import_catch_signals(void);

/* A status line on stderr, shown only when stderr is a terminal, at most 4 times a second. */
struct import_progress {
	bool tty;
	bool shown;
	uint64_t t0_ns, last_ns;
};
void import_progress_init(struct import_progress *p);
/* rows so far; frac = fraction of the input done, or < 0 when unknown. */
void import_progress_show(struct import_progress *p, uint64_t rows, double frac);
/* Clears the status line if one was shown. */
void import_progress_done(struct import_progress *p);
/* Seconds since import_progress_init. */
double import_progress_elapsed(const struct import_progress *p);
