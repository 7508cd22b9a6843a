/* Trace import internals: the three trace parsers and their shared row helpers. The input
 * stream is in input.h, the time-placement stage ("sink") in sink.h.
 * import/command.c wires them to the profile writer; the tests drive the parsers with their own
 * emit callback, so all of this works without a profile.
 *
 * Pipeline:  import_input (bytes, lines)  ->  import_twitter / _oracle / _cachelib (rows)
 *            -> import_sink (seconds -> ns, --ops/--duration limits) -> emit callback (writer)
 */
#ifndef MB_RECORD_IMPORT_H
#define MB_RECORD_IMPORT_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "import/input.h"
#include "import/sink.h"
#include "membench/profile.h"

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
	bool stopped; /* the importer ended early because of *interrupted: a prefix */
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

#endif
