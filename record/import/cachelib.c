/* Meta CacheLib kvcache trace import: CSV with a header row; columns are found by name (case
 * insensitive, surrounding spaces ignored) in any order, unknown columns are ignored:
 *
 *   key,op,size,op_time,key_size,op_count,cache_hits,ttl
 *   8812131,GET,1053,1661212800,27,2,1,0
 *
 * key (required): the key's identity (bytes passed to the writer, kept with --keep-keys).
 * op (required): GET, GET_LEASE -> get; SET, SET_LEASE -> set; DELETE -> delete (any case).
 * size: value bytes (0 on a miss) -> value_len; default 0.
 * op_time: whole seconds. Without this column --rate R must be given: rows are then spaced 1/R s
 *   apart in file order (expanded repeats included) by the sink.
 * key_size: key_len; default the length of the key field.
 * op_count: the row stands for this many identical requests (expanded, at most
 *   CACHELIB_MAX_REPEAT); default 1; 0 means the row adds nothing.
 * ttl: seconds; default 0.  cache_hits and anything else: ignored.
 * Fields are not quoted (the traces never quote). Every row must have as many fields as the
 * header. Records go round-robin over --connections connections (default 1).
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "import/import.h"
#include "membench/csv.h"
#include "membench/error.h"
#include "membench/num.h"

#define CACHELIB_MAX_COLS 256
#define CACHELIB_MAX_REPEAT 1000000u

enum cl_col {
	CL_KEY,
	CL_OP,
	CL_SIZE,
	CL_OP_TIME,
	CL_KEY_SIZE,
	CL_OP_COUNT,
	CL_TTL,
	CL_NCOLS
};

static const char *const cl_col_names[CL_NCOLS] = {
	[CL_KEY] = "key",       [CL_OP] = "op",             [CL_SIZE] = "size",
	[CL_OP_TIME] = "op_time", [CL_KEY_SIZE] = "key_size", [CL_OP_COUNT] = "op_count",
	[CL_TTL] = "ttl",
};

static const struct cl_op {
	const char *name;
	uint8_t op;
} cl_ops[] = {
	{"GET", MB_OP_GET}, {"GET_LEASE", MB_OP_GET}, {"SET", MB_OP_SET},
	{"SET_LEASE", MB_OP_SET}, {"DELETE", MB_OP_DELETE},
};

struct cl_state {
	int col[CL_NCOLS]; /* field index of each known column, -1 = absent */
	int ncols;         /* fields per row (from the header) */
	struct mb_csv_field f[CACHELIB_MAX_COLS];
	uint32_t conn, nconn;
};

static void trim(const char **p, size_t *n)
{
	while (*n && isspace((unsigned char)**p)) {
		(*p)++;
		(*n)--;
	}
	while (*n && isspace((unsigned char)(*p)[*n - 1]))
		(*n)--;
}

/* header: names of the columns, at least key and op. */
static int cl_header(struct import_run *run, struct cl_state *st, const char *line, size_t len,
		     uint64_t lineno)
{
	size_t n = mb_csv_split(line, len, ',', st->f, CACHELIB_MAX_COLS);
	if (n > CACHELIB_MAX_COLS) {
		snprintf(run->err, sizeof(run->err), "%s:%llu: header has %zu columns (at most %d)",
			 run->opt->path, (unsigned long long)lineno, n, CACHELIB_MAX_COLS);
		return MB_E_PARSE;
	}
	for (int c = 0; c < CL_NCOLS; c++)
		st->col[c] = -1;
	st->ncols = (int)n;
	for (int i = 0; i < st->ncols; i++) {
		const char *name = st->f[i].p;
		size_t nl = st->f[i].n;
		trim(&name, &nl);
		for (int c = 0; c < CL_NCOLS; c++) {
			if (strlen(cl_col_names[c]) != nl || strncasecmp(cl_col_names[c], name, nl))
				continue;
			if (st->col[c] >= 0) {
				snprintf(run->err, sizeof(run->err),
					 "%s:%llu: header names column '%s' twice (columns %d and %d)",
					 run->opt->path, (unsigned long long)lineno, cl_col_names[c],
					 st->col[c] + 1, i + 1);
				return MB_E_PARSE;
			}
			st->col[c] = i;
		}
	}
	for (int c = CL_KEY; c <= CL_OP; c++) {
		if (st->col[c] < 0) {
			snprintf(run->err, sizeof(run->err),
				 "%s:%llu: header has no '%s' column (is this a CacheLib kvcache "
				 "trace?)", run->opt->path, (unsigned long long)lineno,
				 cl_col_names[c]);
			return MB_E_PARSE;
		}
	}
	if (st->col[CL_OP_TIME] < 0 && !(run->opt->rate > 0)) {
		snprintf(run->err, sizeof(run->err),
			 "%s:%llu: header has no 'op_time' column: give --rate OPS_PER_S to space "
			 "the requests evenly", run->opt->path, (unsigned long long)lineno);
		return MB_E_PARSE;
	}
	return 0;
}

/* A field's bytes, trimmed. */
static void cl_field(const struct cl_state *st, enum cl_col c, const char **p, size_t *n)
{
	*p = st->f[st->col[c]].p;
	*n = st->f[st->col[c]].n;
	trim(p, n);
}

/* Parses an optional unsigned column into *v (left alone when the column is absent). */
static int cl_u32(struct import_run *run, const struct cl_state *st, enum cl_col c,
		  uint64_t lineno, uint32_t *v)
{
	if (st->col[c] < 0)
		return 0;
	const char *p;
	size_t n;
	cl_field(st, c, &p, &n);
	if (mb_num_u32(p, n, v) == 0)
		return 0;
	int rc = import_bad_value(run, lineno, st->col[c] + 1, cl_col_names[c], p, n,
				  "not an unsigned 32-bit integer");
	return rc ? rc : 1;
}

/* One data row. @return 0 (pushed or skipped), IMPORT_STOP or a negative error. */
static int cl_row(struct import_run *run, struct cl_state *st, const char *line, size_t len,
		  uint64_t lineno)
{
	size_t n = mb_csv_split(line, len, ',', st->f, CACHELIB_MAX_COLS);
	if (n != (size_t)st->ncols)
		return import_bad_row(run, lineno, "expected %d columns (as in the header), found %zu",
				      st->ncols, n);
	const char *key, *opf;
	size_t kn, on;
	cl_field(st, CL_KEY, &key, &kn);
	cl_field(st, CL_OP, &opf, &on);
	if (kn == 0)
		return import_bad_value(run, lineno, st->col[CL_KEY] + 1, "key", key, kn,
					"empty key");
	int op = -1;
	for (size_t i = 0; i < sizeof(cl_ops) / sizeof(cl_ops[0]) && op < 0; i++)
		if (strlen(cl_ops[i].name) == on && strncasecmp(cl_ops[i].name, opf, on) == 0)
			op = cl_ops[i].op;
	if (op < 0)
		return import_bad_value(run, lineno, st->col[CL_OP] + 1, "op", opf, on,
					"unknown operation (expected GET, GET_LEASE, SET, "
					"SET_LEASE or DELETE)");
	struct mb_record rec = {
		.key_len = (uint32_t)kn,
		.op = (uint8_t)op,
		.proto = MB_PROTO_TEXT,
		.status = MB_STATUS_NONE,
	};
	uint32_t count = 1;
	uint64_t sec = 0;
	int rc;
	if ((rc = cl_u32(run, st, CL_SIZE, lineno, &rec.value_len)) ||
	    (rc = cl_u32(run, st, CL_KEY_SIZE, lineno, &rec.key_len)) ||
	    (rc = cl_u32(run, st, CL_OP_COUNT, lineno, &count)))
		return rc < 0 ? rc : 0;
	if (st->col[CL_TTL] >= 0) {
		const char *p;
		size_t pn;
		cl_field(st, CL_TTL, &p, &pn);
		if (mb_num_i32(p, pn, &rec.ttl))
			return import_bad_value(run, lineno, st->col[CL_TTL] + 1, "ttl", p, pn,
						"not a 32-bit integer");
	}
	if (st->col[CL_OP_TIME] >= 0) {
		const char *p;
		size_t pn;
		cl_field(st, CL_OP_TIME, &p, &pn);
		if (mb_num_u64(p, pn, &sec) || sec > IMPORT_TIME_MAX_S)
			return import_bad_value(run, lineno, st->col[CL_OP_TIME] + 1, "op_time", p,
						pn, "not a whole number of seconds below 2^33");
	}
	if (count > CACHELIB_MAX_REPEAT) {
		char why[64];
		snprintf(why, sizeof(why), "more than %u repeats", CACHELIB_MAX_REPEAT);
		const char *p;
		size_t pn;
		cl_field(st, CL_OP_COUNT, &p, &pn);
		return import_bad_value(run, lineno, st->col[CL_OP_COUNT] + 1, "op_count", p, pn,
					why);
	}
	for (uint32_t i = 0; i < count; i++) {
		rec.conn_id = st->conn;
		st->conn = st->conn + 1 == st->nconn ? 0 : st->conn + 1;
		rc = import_sink_push(run->sink, sec, &rec, key, kn);
		if (rc)
			return rc;
	}
	return 0;
}

int import_cachelib(struct import_run *run)
{
	struct cl_state *st = calloc(1, sizeof(*st));
	if (!st)
		return -ENOMEM;
	st->nconn = run->opt->connections ? run->opt->connections : 1;
	bool have_header = false;
	int rc;
	const char *line;
	size_t len;
	uint64_t lineno;
	while ((rc = import_input_line(run->in, &line, &len, &lineno, run->err,
				       sizeof(run->err))) == 1) {
		if (len == 0)
			continue;
		if (!have_header) {
			rc = cl_header(run, st, line, len, lineno);
			if (rc)
				break;
			have_header = true;
			continue;
		}
		run->rows++;
		if ((run->rows & 0xffff) == 0) {
			if (run->interrupted && *run->interrupted) {
				run->stopped = true;
				break;
			}
			if (run->progress)
				run->progress(run);
		}
		rc = cl_row(run, st, line, len, lineno);
		if (rc)
			break;
	}
	if (rc == 0 && !have_header) {
		snprintf(run->err, sizeof(run->err), "%s: empty file (no header row)",
			 run->opt->path);
		rc = MB_E_PARSE;
	}
	if (rc == IMPORT_STOP || rc == 1)
		rc = 0;
	free(st);
	return rc;
}
