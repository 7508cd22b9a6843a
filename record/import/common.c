/* Helpers shared by the trace parsers: strict number parsing of CSV fields and the malformed-row
 * policy (fail with "FILE:LINE: ..." or, with --skip-bad, count, warn a few times and go on). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "import/import.h"
#include "membench/cli.h"
#include "membench/error.h"

int import_parse_u64(const char *p, size_t n, uint64_t *out)
{
	if (n == 0 || n > 20)
		return -1;
	uint64_t v = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned d = (unsigned)(unsigned char)p[i] - '0';
		if (d > 9)
			return -1;
		if (v > (UINT64_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

int import_parse_u32(const char *p, size_t n, uint32_t *out)
{
	uint64_t v;
	if (import_parse_u64(p, n, &v) || v > UINT32_MAX)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

int import_parse_i32(const char *p, size_t n, int32_t *out)
{
	bool neg = n > 0 && p[0] == '-';
	uint64_t v;
	if (import_parse_u64(p + neg, n - neg, &v) || v > (neg ? 2147483648ull : 2147483647ull))
		return -1;
	*out = neg ? (int32_t)(-(int64_t)v) : (int32_t)v;
	return 0;
}

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
