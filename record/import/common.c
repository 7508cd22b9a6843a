/* Helpers shared by the trace parsers: the malformed-row policy (fail with "FILE:LINE: ..." or,
 * with --skip-bad, count, warn a few times and go on). Fields are split by mb_csv_split and their
 * numbers parsed by mb_num_* (common/). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "import/import.h"
#include "membench/cli.h"
#include "membench/error.h"

static const char *const format_names[] = {
	[IMPORT_TWITTER] = "Twitter cache",
	[IMPORT_ORACLE] = "libCacheSim oracleGeneral",
	[IMPORT_CACHELIB] = "CacheLib kvcache",
};

/* Counts a skipped row (and warns for the first few) or fails. A bad first row is never
 * skipped, even with --skip-bad: it means the input is not in the format asked for
 * (docs/import.md), and the message says so. */
static int bad_row_policy(struct import_run *run)
{
	if (run->opt->skip_bad && run->rows == 1 && run->skipped == 0) {
		size_t n = strlen(run->err);
		snprintf(run->err + n, sizeof(run->err) - n, " (the first row: is this a %s trace?)",
			 format_names[run->opt->format]);
		return MB_E_PARSE;
	}
	if (!run->opt->skip_bad)
		return MB_E_PARSE;
	if (run->skipped++ < run->opt->warn_bad)
		mb_warn("skipped: %s", run->err);
	return 0;
}

int import_bad_row(struct import_run *run, uint64_t line, const char *fmt, ...)
{
	int off = snprintf(run->err, sizeof(run->err), "%s:%llu: ", run->opt->path,
			   (unsigned long long)line);
	if (off > 0 && (size_t)off < sizeof(run->err)) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(run->err + off, sizeof(run->err) - (size_t)off, fmt, ap);
		va_end(ap);
	}
	return bad_row_policy(run);
}

int import_bad_value(struct import_run *run, uint64_t line, int col, const char *name,
		     const char *val, size_t len, const char *why)
{
	char shown[52];
	size_t n = len > 48 ? 48 : len;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)val[i];
		shown[i] = c >= 0x20 && c < 0x7f ? (char)c : '?';
	}
	if (len > n) {
		memcpy(shown + n, "...", 3);
		n += 3;
	}
	shown[n] = '\0';
	snprintf(run->err, sizeof(run->err), "%s:%llu: column %d (%s): bad value '%s': %s",
		 run->opt->path, (unsigned long long)line, col, name, shown, why);
	return bad_row_policy(run);
}
