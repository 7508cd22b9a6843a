/* bench_import_parse: rows/s of the trace parsers alone (input + parse + time placement, the
 * profile writer replaced by a callback that only counts), to split import cost between parsing
 * and writing.
 *
 * usage: bench_import_parse twitter|oracle|cachelib PATH
 */
#include <stdio.h>
#include <string.h>

#include "import/import.h"
#include "membench/cli.h"
#include "membench/clock.h"

static int count_emit(void *arg, uint64_t base_s, const struct mb_record *rec, const void *key,
		      size_t key_bytes)
{
	(void)base_s;
	(void)key;
	uint64_t *n = arg;
	*n += rec->value_len + key_bytes; /* touch the record so nothing is optimised away */
	return 0;
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		enum import_format fmt;
		int (*run)(struct import_run *);
	} fmts[] = {
		{"twitter", IMPORT_TWITTER, import_twitter},
		{"oracle", IMPORT_ORACLE, import_oracle},
		{"cachelib", IMPORT_CACHELIB, import_cachelib},
	};
	if (argc != 3) {
		fprintf(stderr, "usage: %s twitter|oracle|cachelib PATH\n", argv[0]);
		return 2;
	}
	int which = -1;
	for (int i = 0; i < 3; i++)
		if (strcmp(argv[1], fmts[i].name) == 0)
			which = i;
	if (which < 0)
		return 2;
	struct import_opts opt = {.format = fmts[which].fmt, .path = argv[2], .key_size = 16};
	struct import_run run = {.opt = &opt};
	struct import_sink sink;
	uint64_t sum = 0;
	import_sink_init(&sink, SPREAD_EVEN, count_emit, &sum);
	run.sink = &sink;
	if (import_input_open(&run.in, argv[2], run.err, sizeof(run.err))) {
		fprintf(stderr, "%s\n", run.err);
		return 1;
	}
	uint64_t t0 = mb_mono_ns();
	int rc = fmts[which].run(&run);
	if (!rc)
		rc = import_sink_finish(&sink);
	double secs = (double)(mb_mono_ns() - t0) / 1e9;
	if (rc) {
		fprintf(stderr, "%s\n", run.err);
		return 1;
	}
	printf("parse-only %s %s: %llu rows in %.3f s = %.2fM rows/s (checksum %llu)\n", argv[1],
	       import_input_is_zstd(run.in) ? "zstd" : "plain", (unsigned long long)run.rows, secs,
	       (double)run.rows / secs / 1e6, (unsigned long long)sum);
	import_sink_free(&sink);
	import_input_close(run.in);
	return 0;
}
