/* Record filters: parsing of --from/--to/--ops/--key-prefix-only/--connections, the window
 * resolution and the per-record test; see filter.h. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "filter.h"
#include "membench/cli.h"
#include "membench/error.h"
#include "membench/mix.h"

#define NS_PER_S 1000000000ll

int record_parse_offset(const char *s, uint64_t *ns)
{
	/* segments <number><unit>, each parsed by mb_parse_duration_ns: "1m30s" = "1m" + "30s" */
	uint64_t total = 0;
	const char *p = s;
	if (!*p)
		return MB_E_USAGE;
	while (*p) {
		const char *q = p;
		while (isdigit((unsigned char)*q) || *q == '.')
			q++;
		if (q == p)
			return MB_E_USAGE;
		while (isalpha((unsigned char)*q))
			q++;
		char seg[64];
		uint64_t v;
		if ((size_t)(q - p) >= sizeof(seg))
			return MB_E_USAGE;
		memcpy(seg, p, (size_t)(q - p));
		seg[q - p] = '\0';
		if (mb_parse_duration_ns(seg, &v) || v > INT64_MAX - total)
			return MB_E_USAGE;
		if (*q && !isalpha((unsigned char)q[-1]))
			return MB_E_USAGE; /* "1 30s": only the last segment may omit its unit */
		total += v;
		p = q;
	}
	*ns = total;
	return 0;
}

/* n digits at p into *v. @return the position after them, or NULL. */
static const char *digits(const char *p, int n, int *v)
{
	*v = 0;
	for (int i = 0; i < n; i++, p++) {
		if (!isdigit((unsigned char)*p))
			return NULL;
		*v = *v * 10 + (*p - '0');
	}
	return p;
}

int record_parse_wall(const char *s, int64_t *ns)
{
	if (s[0] == '@') {
		double v;
		if (mb_parse_double(s + 1, &v) || !(v >= 0) || v > 9e9)
			return MB_E_USAGE;
		*ns = (int64_t)(v * 1e9 + 0.5);
		return 0;
	}
	struct tm tm = {0};
	int y, mo, d, h, mi, sec, frac_ns = 0, off_s = 0;
	const char *p = s;
	if (!(p = digits(p, 4, &y)) || *p++ != '-' || !(p = digits(p, 2, &mo)) || *p++ != '-' ||
	    !(p = digits(p, 2, &d)) || (*p != 'T' && *p != ' ') || !(p = digits(p + 1, 2, &h)) ||
	    *p++ != ':' || !(p = digits(p, 2, &mi)) || *p++ != ':' || !(p = digits(p, 2, &sec)))
		return MB_E_USAGE;
	if (*p == '.') {
		int scale = 100000000;
		p++;
		if (!isdigit((unsigned char)*p))
			return MB_E_USAGE;
		for (; isdigit((unsigned char)*p); p++, scale /= 10)
			frac_ns += scale * (*p - '0');
	}
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		int oh, om, sign = *p == '-' ? -1 : 1;
		if (!(p = digits(p + 1, 2, &oh)) || *p++ != ':' || !(p = digits(p, 2, &om)))
			return MB_E_USAGE;
		off_s = sign * (oh * 3600 + om * 60);
	}
	if (*p || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60)
		return MB_E_USAGE;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	time_t t = timegm(&tm);
	if (t == (time_t)-1 || tm.tm_mday != d) /* timegm normalizes Feb 30 to Mar 2 */
		return MB_E_USAGE;
	*ns = ((int64_t)t - off_s) * NS_PER_S + frac_ns;
	return 0;
}

static int bad(const char *name, const char *v, const char *expected)
{
	mb_error("bad value for --%s: '%s' (expected %s)", name, v, expected);
	return MB_E_USAGE;
}

static int parse_time(struct record_time *t, const char *name, const char *v)
{
	uint64_t off;
	t->set = true;
	t->text = v;
	if (record_parse_offset(v, &off) == 0) {
		t->wall = false;
		t->ns = (int64_t)off;
		return 0;
	}
	if (record_parse_wall(v, &t->ns) == 0) {
		t->wall = true;
		return 0;
	}
	return bad(name, v, "an offset from the start like 30s, 1m30s, 500ms, or a wall-clock "
		   "time like 2026-12-02T01:30:00Z or @1764639000");
}

static int parse_ops(struct record_filter *f, const char *v)
{
	if (isdigit((unsigned char)v[0])) {
		if (mb_parse_u64(v, &f->max_requests) || f->max_requests == 0)
			return bad("ops", v, "a request count > 0, or commands like get,set");
		return 0;
	}
	const char *p = v;
	f->ops = 0;
	f->ops_text = v;
	while (*p) {
		const char *c = strchr(p, ',');
		size_t n = c ? (size_t)(c - p) : strlen(p);
		char name[32];
		int op = -1;
		if (n > 0 && n < sizeof(name)) {
			memcpy(name, p, n);
			name[n] = '\0';
			op = mb_op_from_name(name);
		}
		if (op < 0) {
			mb_error("bad value for --ops: '%.*s' is not a command (expected names like "
				 "get,gets,set,delete,mg,ms, or a request count)", (int)n, p);
			return MB_E_USAGE;
		}
		f->ops |= 1u << op;
		p += n + (c != NULL);
		if (c && !*p)
			return bad("ops", v, "commands separated by commas, no trailing comma");
	}
	return f->ops ? 0 : bad("ops", v, "commands like get,set");
}

static int parse_conns(struct record_filter *f, const char *v)
{
	const char *p = v;
	f->nconns = 0;
	f->conns_text = v;
	while (*p) {
		char *end;
		uint64_t lo, hi;
		if (!isdigit((unsigned char)*p))
			goto fail;
		lo = strtoull(p, &end, 10);
		hi = lo;
		if (*end == '-') {
			if (!isdigit((unsigned char)end[1]))
				goto fail;
			hi = strtoull(end + 1, &end, 10);
		}
		if (lo > hi || hi > UINT32_MAX || f->nconns == RECORD_FILTER_MAX_RANGES)
			goto fail;
		f->conns[f->nconns++] = (struct record_conn_range){(uint32_t)lo, (uint32_t)hi};
		if (*end == ',' && end[1])
			end++;
		else if (*end)
			goto fail;
		p = end;
	}
	if (f->nconns)
		return 0;
fail:
	return bad("connections", v, "connection ids and ranges like 0,3,7-9 (at most 256)");
}

int record_filter_set(struct record_filter *f, const char *name, const char *value)
{
	if (strcmp(name, "from") == 0)
		return parse_time(&f->from, name, value);
	if (strcmp(name, "to") == 0)
		return parse_time(&f->to, name, value);
	if (strcmp(name, "ops") == 0)
		return parse_ops(f, value);
	if (strcmp(name, "connections") == 0)
		return parse_conns(f, value);
	if (strcmp(name, "sample") == 0) {
		f->sample_text = value;
		if (strncmp(value, "1/", 2) || mb_parse_u64(value + 2, &f->sample_n) ||
		    f->sample_n == 0)
			return bad(name, value, "1/N with N >= 1, e.g. 1/10");
		return 0;
	}
	if (strcmp(name, "sample-by") == 0) {
		if (strcmp(value, "key") && strcmp(value, "connection"))
			return bad(name, value, "key or connection");
		f->sample_by_conn = strcmp(value, "connection") == 0;
		return 0;
	}
	if (strcmp(name, "key-prefix-only") == 0) {
		if (!*value)
			return bad(name, value, "the first bytes of the keys to keep");
		f->key_prefix = value;
		f->key_prefix_len = strlen(value);
		return 0;
	}
	return MB_E_USAGE;
}

bool record_filter_active(const struct record_filter *f)
{
	return f->from.set || f->to.set || f->ops || f->key_prefix || f->nconns || f->sample_n > 1;
}

/* One end as an offset from start_wall_ns, clamped at 0. */
static int resolve(const struct record_time *t, int64_t start_wall_ns, uint64_t unset,
		   uint64_t *out)
{
	if (!t->set) {
		*out = unset;
		return 0;
	}
	if (!t->wall) {
		*out = (uint64_t)t->ns;
		return 0;
	}
	if (start_wall_ns == 0)
		return MB_E_USAGE;
	*out = t->ns > start_wall_ns ? (uint64_t)(t->ns - start_wall_ns) : 0;
	return 0;
}

int record_filter_window(const struct record_filter *f, int64_t start_wall_ns, uint64_t *from,
			 uint64_t *to)
{
	int rc = resolve(&f->from, start_wall_ns, 0, from);
	return rc ? rc : resolve(&f->to, start_wall_ns, UINT64_MAX, to);
}

bool record_filter_keep(const struct record_filter *f, const struct mb_record *r,
			const void *key, size_t key_bytes)
{
	if (f->ops && (r->op >= 32 || !(f->ops & (1u << r->op))))
		return false;
	if (f->nconns) {
		bool in = false;
		for (size_t i = 0; i < f->nconns && !in; i++)
			in = r->conn_id >= f->conns[i].lo && r->conn_id <= f->conns[i].hi;
		if (!in)
			return false;
	}
	if (f->key_prefix)
		return key && key_bytes >= f->key_prefix_len &&
		       memcmp(key, f->key_prefix, f->key_prefix_len) == 0;
	return true;
}

bool record_filter_sample(const struct record_filter *f, const struct mb_record *r,
			  const void *key, size_t key_bytes)
{
	if (f->sample_n <= 1 || (!f->sample_by_conn && !key && r->key_id == MB_KEY_NONE))
		return true; /* keyless commands stay when keys are sampled */
	uint64_t h;
	if (f->sample_by_conn) {
		h = mb_mix64(r->conn_id);
	} else if (key) {
		h = 0xcbf29ce484222325ull; /* FNV-1a, then mixed */
		for (size_t i = 0; i < key_bytes; i++)
			h = (h ^ ((const unsigned char *)key)[i]) * 0x100000001b3ull;
		h = mb_mix64(h);
	} else {
		h = mb_mix64(r->key_id);
	}
	return h % f->sample_n == 0;
}

void record_filter_describe(const struct record_filter *f, char *buf, size_t len)
{
	size_t off = strnlen(buf, len);
	const struct {
		const char *name, *val;
	} items[] = {
		{"from", f->from.set ? f->from.text : NULL},
		{"to", f->to.set ? f->to.text : NULL},
		{"ops", f->ops ? f->ops_text : NULL},
		{"key-prefix-only", f->key_prefix},
		{"connections", f->nconns ? f->conns_text : NULL},
		{"sample", f->sample_n > 1 ? f->sample_text : NULL},
		{"sample-by", f->sample_n > 1 ? (f->sample_by_conn ? "connection" : "key") : NULL},
	};
	for (size_t i = 0; i < sizeof(items) / sizeof(items[0]); i++) {
		if (!items[i].val || off + 1 >= len)
			continue;
		int n = snprintf(buf + off, len - off, "%s%s=%s", off ? " " : "", items[i].name,
				 items[i].val);
		if (n > 0)
			off += (size_t)n < len - off ? (size_t)n : len - off - 1;
	}
}
