/* Unit tests of trace import and the workload generators (record/import*.c, dist.c, rng.c,
 * synth_gen.c), driven directly, without the profile writer:
 *  - parsers: each test writes a small trace in its format (plain and zstd), runs the parser
 *    into a collecting emit callback and checks every record, or the exact error message;
 *  - distributions: Zipf exponent recovered by maximum likelihood within 0.02 from 1M samples,
 *    GEV/GPD sample quantiles within 2% of the analytic ones, ETC value head frequencies;
 *  - generator: determinism per seed, per-key sizes, op mix, rate, limits.
 */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <zstd.h>

#include "synth/dist.h"
#include "import/import.h"
#include "pipe.h"
#include "membench/array.h"
#include "membench/error.h"
#include "synth/rng.h"
#include "synth/synth.h"
#include "testutil.h"
#include "trace_files.h"

/* ---- harness: a temp dir, trace files, a collecting sink --------------------------------- */

struct got_rec {
	struct mb_record rec;
	char key[64];
	size_t key_bytes;
	bool has_key;
	uint64_t base_s;
};

struct collect {
	struct got_rec *r;
	size_t n, cap;
};

static int collect_emit(void *arg, uint64_t base_s, const struct mb_record *rec, const void *key,
			size_t key_bytes)
{
	struct collect *c = arg;
	assert_int_equal(MB_ARRAY_RESERVE(c->r, c->cap, c->n + 1), 0);
	struct got_rec *g = &c->r[c->n++];
	memset(g, 0, sizeof(*g));
	g->rec = *rec;
	g->base_s = base_s;
	g->has_key = key != NULL;
	g->key_bytes = key_bytes;
	if (key) {
		assert_true(key_bytes < sizeof(g->key));
		memcpy(g->key, key, key_bytes);
	}
	return 0;
}

struct import_case {
	struct import_opts opt;
	enum import_spread spread;
	uint64_t max_ops, max_time_ns;
	/* results */
	struct collect got;
	struct import_run run;
	uint64_t reordered;
	int rc;
};

/* Runs one import of path with the case's options; results in c. */
static void run_import(struct import_case *c, const char *path, enum import_format fmt)
{
	static int (*const parsers[])(struct import_run *) = {
		[IMPORT_TWITTER] = import_twitter,
		[IMPORT_ORACLE] = import_oracle,
		[IMPORT_CACHELIB] = import_cachelib,
	};
	struct import_sink sink;
	struct import_input *in = NULL;
	c->opt.format = fmt;
	c->opt.path = path;
	if (!c->opt.key_size)
		c->opt.key_size = 16;
	memset(&c->got, 0, sizeof(c->got));
	memset(&c->run, 0, sizeof(c->run));
	import_sink_init(&sink, c->spread, collect_emit, &c->got);
	sink.max_ops = c->max_ops;
	sink.max_time_ns = c->max_time_ns;
	sink.rate = c->opt.rate;
	c->run.opt = &c->opt;
	c->run.sink = &sink;
	c->rc = import_input_open(&in, path, c->run.err, sizeof(c->run.err));
	if (c->rc == 0) {
		c->run.in = in;
		c->rc = parsers[fmt](&c->run);
		if (c->rc == 0)
			c->rc = import_sink_finish(&sink);
	}
	c->reordered = sink.reordered;
	import_sink_free(&sink);
	import_input_close(in);
}

static void case_free(struct import_case *c)
{
	free(c->got.r);
	c->got.r = NULL;
}

/* ---- twitter ------------------------------------------------------------------------------ */

static const char tw_basic[] =
	"100,nz:u:aaa,12,300,client7,get,0\n"
	"100,nz:u:bbb,13,0,client9,set,3600\n"
	"100,nz:u:aaa,12,300,client7,gets,0\n"
	"101,x:1,3,10,client9,delete,0\n"
	"101,x:2,3,20,client1,incr,0\n"
	"103,x:3,3,5,client7,cas,-1\n";

static void check_tw_basic(const struct import_case *c, bool burst)
{
	assert_int_equal(c->rc, 0);
	assert_int_equal(c->got.n, 6);
	const struct got_rec *g = c->got.r;
	static const uint64_t even_t[6] = {0, 333333333, 666666666, 1000000000, 1500000000,
					   3000000000};
	static const uint64_t burst_t[6] = {0, 0, 0, 1000000000, 1000000000, 3000000000};
	static const uint8_t ops[6] = {MB_OP_GET, MB_OP_SET, MB_OP_GETS, MB_OP_DELETE, MB_OP_INCR,
				       MB_OP_CAS};
	static const uint32_t conns[6] = {0, 1, 0, 1, 2, 0};
	static const uint32_t klen[6] = {12, 13, 12, 3, 3, 3};
	static const uint32_t vlen[6] = {300, 0, 300, 10, 20, 5};
	static const int32_t ttl[6] = {0, 3600, 0, 0, 0, -1};
	static const char *const keys[6] = {"nz:u:aaa", "nz:u:bbb", "nz:u:aaa", "x:1", "x:2",
					    "x:3"};
	for (int i = 0; i < 6; i++) {
		assert_int_equal(g[i].base_s, 100);
		assert_int_equal(g[i].rec.time_ns, burst ? burst_t[i] : even_t[i]);
		assert_int_equal(g[i].rec.op, ops[i]);
		assert_int_equal(g[i].rec.conn_id, conns[i]);
		assert_int_equal(g[i].rec.key_len, klen[i]);
		assert_int_equal(g[i].rec.value_len, vlen[i]);
		assert_int_equal(g[i].rec.ttl, ttl[i]);
		assert_int_equal(g[i].rec.proto, MB_PROTO_TEXT);
		assert_int_equal(g[i].rec.status, MB_STATUS_NONE);
		assert_true(g[i].has_key);
		assert_int_equal(g[i].key_bytes, strlen(keys[i]));
		assert_memory_equal(g[i].key, keys[i], g[i].key_bytes);
	}
}

static void test_twitter_plain(void **state)
{
	(void)state;
	struct import_case c = {0};
	const char *p = tmp_path("tw.csv");
	write_file(p, tw_basic, strlen(tw_basic));
	run_import(&c, p, IMPORT_TWITTER);
	check_tw_basic(&c, false);
	assert_int_equal(c.run.rows, 6);
	case_free(&c);
	c.spread = SPREAD_BURST;
	run_import(&c, p, IMPORT_TWITTER);
	check_tw_basic(&c, true);
	case_free(&c);
}

/* Also the regression test of "complete zstd file reported as cut short": after a frame ends,
 * an idle ZSTD_decompressStream call returns the next header's size hint, not 0. */
static void test_twitter_zstd(void **state)
{
	(void)state;
	struct import_case c = {0};
	/* Extension says nothing: the magic decides. Also several frames in one file. */
	const char *p = tmp_path("tw-zstd.csv");
	write_zstd(p, tw_basic, strlen(tw_basic), 1);
	run_import(&c, p, IMPORT_TWITTER);
	check_tw_basic(&c, false);
	case_free(&c);
	p = tmp_path("tw3.zst");
	write_zstd(p, tw_basic, strlen(tw_basic), 3);
	run_import(&c, p, IMPORT_TWITTER);
	check_tw_basic(&c, false);
	case_free(&c);
}

static void test_twitter_zstd_cli(void **state)
{
	(void)state;
	const char *p = tmp_path("tw-cli.csv");
	write_file(p, tw_basic, strlen(tw_basic));
	char cmd[1400];
	snprintf(cmd, sizeof(cmd), "zstd -q -f -19 '%s' -o '%s.zst' 2>/dev/null", p, p);
	if (system(cmd) != 0)
		skip(); /* zstd CLI missing: libzstd-written files are covered above */
	char z[700];
	snprintf(z, sizeof(z), "%s.zst", p);
	struct import_case c = {0};
	run_import(&c, z, IMPORT_TWITTER);
	check_tw_basic(&c, false);
	case_free(&c);
}

static void test_twitter_zstd_truncated(void **state)
{
	(void)state;
	const char *p = tmp_path("tw-cut.zst");
	write_zstd(p, tw_basic, strlen(tw_basic), 1);
	FILE *f = fopen(p, "rb");
	char buf[4096];
	size_t n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	write_file(p, buf, n - 6);
	struct import_case c = {0};
	run_import(&c, p, IMPORT_TWITTER);
	assert_int_equal(c.rc, MB_E_TRUNCATED);
	char want[700];
	snprintf(want, sizeof(want),
		 "%s: zstd stream ends in the middle of a frame (file cut short?)", p);
	assert_string_equal(c.run.err, want);
	case_free(&c);
}

static void test_twitter_crlf_blank_no_final_newline(void **state)
{
	(void)state;
	const char text[] = "5,k1,2,3,a,get,0\r\n\n5,k2,2,4,b,set,9\r\n\r\n6,k1,2,3,a,get,0";
	const char *p = tmp_path("tw-crlf.csv");
	write_file(p, text, strlen(text));
	struct import_case c = {0};
	run_import(&c, p, IMPORT_TWITTER);
	assert_int_equal(c.rc, 0);
	assert_int_equal(c.got.n, 3);
	assert_int_equal(c.run.rows, 3);
	assert_int_equal(c.got.r[1].rec.ttl, 9);
	assert_int_equal(c.got.r[1].rec.time_ns, 500000000);
	assert_int_equal(c.got.r[2].rec.time_ns, 1000000000);
	assert_int_equal(c.got.r[2].key_bytes, 2);
	case_free(&c);
}

/* Each malformed row, alone after a good one, with its exact message. */
static void test_twitter_malformed(void **state)
{
	(void)state;
	static const struct {
		const char *row;
		const char *msg; /* after "PATH:2: " */
	} cases[] = {
		{"1,k,2,3,c,get", "expected 7 columns, found 6"},
		{"1,k,2,3,c,get,0,9", "expected 7 columns, found 8"},
		{"1x,k,2,3,c,get,0",
		 "column 1 (timestamp): bad value '1x': not a whole number of seconds below 2^33"},
		{"8589934593,k,2,3,c,get,0",
		 "column 1 (timestamp): bad value '8589934593': not a whole number of seconds below "
		 "2^33"},
		{"1,,2,3,c,get,0", "column 2 (key): bad value '': empty key"},
		{"1,k,12x,3,c,get,0",
		 "column 3 (key size): bad value '12x': not an unsigned 32-bit integer"},
		{"1,k,2,4294967296,c,get,0",
		 "column 4 (value size): bad value '4294967296': not an unsigned 32-bit integer"},
		{"1,k,2,-3,c,get,0",
		 "column 4 (value size): bad value '-3': not an unsigned 32-bit integer"},
		{"1,k,2,3,,get,0", "column 5 (client id): bad value '': empty client id"},
		{"1,k,2,3,c,GET,0",
		 "column 6 (operation): bad value 'GET': unknown operation (expected get, gets, set, "
		 "add, replace, cas, append, prepend, delete, incr or decr)"},
		{"1,k,2,3,c,get,1.5", "column 7 (ttl): bad value '1.5': not a 32-bit integer"},
		{"1,k,2,3,c,frob\x01,0",
		 "column 6 (operation): bad value 'frob?': unknown operation (expected get, gets, "
		 "set, add, replace, cas, append, prepend, delete, incr or decr)"},
	};
	const char *p = tmp_path("tw-bad.csv");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char text[256], want[900];
		snprintf(text, sizeof(text), "1,ok,2,3,c,get,0\n%s\n1,ok2,2,3,c,get,0\n",
			 cases[i].row);
		write_file(p, text, strlen(text));
		struct import_case c = {0};
		run_import(&c, p, IMPORT_TWITTER);
		assert_int_equal(c.rc, MB_E_PARSE);
		snprintf(want, sizeof(want), "%s:2: %s", p, cases[i].msg);
		assert_string_equal(c.run.err, want);
		case_free(&c);
		/* --skip-bad: the good rows stay, the bad one is counted. */
		c.opt.skip_bad = true;
		run_import(&c, p, IMPORT_TWITTER);
		assert_int_equal(c.rc, 0);
		assert_int_equal(c.got.n, 2);
		assert_int_equal(c.run.skipped, 1);
		assert_int_equal(c.run.rows, 3);
		assert_string_equal(c.run.err, want);
		case_free(&c);
	}
}

static void test_twitter_long_value_shown_truncated(void **state)
{
	(void)state;
	char text[400], want[900];
	char big[101];
	memset(big, '9', 100);
	big[100] = '\0';
	snprintf(text, sizeof(text), "1,k,%s,3,c,get,0\n", big);
	const char *p = tmp_path("tw-long.csv");
	write_file(p, text, strlen(text));
	struct import_case c = {0};
	run_import(&c, p, IMPORT_TWITTER);
	assert_int_equal(c.rc, MB_E_PARSE);
	snprintf(want, sizeof(want),
		 "%s:1: column 3 (key size): bad value '%.48s...': not an unsigned 32-bit integer",
		 p, big);
	assert_string_equal(c.run.err, want);
	case_free(&c);
}

static void test_twitter_limits_and_connections(void **state)
{
	(void)state;
	/* 10 seconds x 4 rows, 5 clients. */
	char text[4096];
	size_t off = 0;
	for (int s = 0; s < 10; s++)
		for (int i = 0; i < 4; i++)
			off += (size_t)snprintf(text + off, sizeof(text) - off,
						"%d,key%d,5,%d,cl%d,get,0\n", 50 + s, i, s * 4 + i,
						(s * 4 + i) % 5);
	const char *p = tmp_path("tw-lim.csv");
	write_file(p, text, off);
	struct import_case c = {0};
	c.max_ops = 7;
	run_import(&c, p, IMPORT_TWITTER);
	assert_int_equal(c.rc, 0);
	assert_int_equal(c.got.n, 7);
	/* --ops keeps the times a full import gives: row 7 is the 3rd of the 2nd second. */
	assert_int_equal(c.got.r[6].rec.time_ns, 1500000000);
	case_free(&c);

	c.max_ops = 0;
	c.max_time_ns = 3000000000ull; /* seconds 0, 1, 2 */
	run_import(&c, p, IMPORT_TWITTER);
	assert_int_equal(c.got.n, 12);
	case_free(&c);

	c.max_time_ns = 0;
	c.opt.connections = 2;
	run_import(&c, p, IMPORT_TWITTER);
	assert_int_equal(c.got.n, 40);
	for (size_t i = 0; i < c.got.n; i++)
		assert_int_equal(c.got.r[i].rec.conn_id, (i % 5) % 2);
	case_free(&c);
}

static void test_twitter_reordered(void **state)
{
	(void)state;
	const char text[] = "10,a,1,1,c,get,0\n12,b,1,1,c,get,0\n11,c,1,1,c,get,0\n"
			    "13,d,1,1,c,get,0\n";
	const char *p = tmp_path("tw-order.csv");
	write_file(p, text, strlen(text));
	struct import_case c = {0};
	run_import(&c, p, IMPORT_TWITTER);
	assert_int_equal(c.rc, 0);
	assert_int_equal(c.reordered, 1);
	assert_int_equal(c.got.n, 4);
	assert_int_equal(c.got.r[1].rec.time_ns, 2000000000);
	assert_int_equal(c.got.r[2].rec.time_ns, 2500000000);
	assert_int_equal(c.got.r[3].rec.time_ns, 3000000000);
	case_free(&c);
}

static void test_twitter_line_too_long(void **state)
{
	(void)state;
	size_t n = IMPORT_LINE_MAX + 100;
	char *text = malloc(n + 40);
	assert_non_null(text);
	int off = snprintf(text, 40, "1,a,1,1,c,get,0\n1,");
	memset(text + off, 'k', n);
	const char *p = tmp_path("tw-longline.csv");
	write_file(p, text, (size_t)off + n);
	free(text);
	struct import_case c = {0};
	run_import(&c, p, IMPORT_TWITTER);
	assert_int_equal(c.rc, MB_E_LIMIT);
	char want[700];
	snprintf(want, sizeof(want), "%s:2: line longer than %u bytes", p, IMPORT_LINE_MAX);
	assert_string_equal(c.run.err, want);
	assert_int_equal(c.got.n, 0); /* the first second was never complete */
	case_free(&c);
}

static void test_input_missing_file(void **state)
{
	(void)state;
	struct import_case c = {0};
	const char *p = tmp_path("does-not-exist.csv");
	run_import(&c, p, IMPORT_TWITTER);
	assert_int_equal(c.rc, -ENOENT);
	char want[700];
	snprintf(want, sizeof(want), "cannot open %s: No such file or directory", p);
	assert_string_equal(c.run.err, want);
	case_free(&c);
}

/* ---- oracle ------------------------------------------------------------------------------- */

static void put_le(uint8_t *p, uint64_t v, int n)
{
	for (int i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* n records: time 1000 + i/3, obj_id 1e12 + i%4, size 100*i, next -1. */
static size_t oracle_data(uint8_t *buf, int n)
{
	for (int i = 0; i < n; i++) {
		uint8_t *r = buf + 24 * i;
		put_le(r, 1000 + (uint64_t)i / 3, 4);
		put_le(r + 4, 1000000000000ull + (uint64_t)(i % 4), 8);
		put_le(r + 12, 100 * (uint64_t)i, 4);
		put_le(r + 16, UINT64_MAX, 8);
	}
	return 24 * (size_t)n;
}

static void check_oracle(const struct import_case *c, int n, uint32_t nconn)
{
	assert_int_equal(c->rc, 0);
	assert_int_equal(c->got.n, n);
	for (int i = 0; i < n; i++) {
		const struct got_rec *g = &c->got.r[i];
		assert_int_equal(g->base_s, 1000);
		assert_false(g->has_key);
		assert_int_equal(g->rec.key_id, 1000000000000ull + (uint64_t)(i % 4));
		assert_int_equal(g->rec.value_len, 100 * i);
		assert_int_equal(g->rec.key_len, c->opt.key_size);
		assert_int_equal(g->rec.op, MB_OP_GET);
		assert_int_equal(g->rec.conn_id, (uint32_t)i % nconn);
		assert_int_equal(g->rec.time_ns,
				 (uint64_t)(i / 3) * 1000000000ull + (uint64_t)(i % 3) * 333333333ull +
					 (i % 3 == 2 ? 1 : 0) * 0);
	}
}

static void test_oracle(void **state)
{
	(void)state;
	uint8_t buf[24 * 9 + 5];
	size_t n = oracle_data(buf, 9);
	const char *p = tmp_path("o.bin");
	write_file(p, buf, n);
	struct import_case c = {0};
	run_import(&c, p, IMPORT_ORACLE);
	check_oracle(&c, 9, 1);
	case_free(&c);

	c.opt.connections = 3;
	c.opt.key_size = 40;
	p = tmp_path("o.bin.zst");
	write_zstd(p, buf, n, 2);
	run_import(&c, p, IMPORT_ORACLE);
	check_oracle(&c, 9, 3);
	case_free(&c);
}

/* --rate: the trace's seconds are ignored, rows are 1/rate apart. */
static void test_oracle_rate(void **state)
{
	(void)state;
	uint8_t buf[24 * 9];
	size_t n = oracle_data(buf, 9);
	const char *p = tmp_path("o-rate.bin");
	write_file(p, buf, n);
	struct import_case c = {0};
	c.opt.rate = 4;
	c.max_time_ns = 2000000000ull;
	run_import(&c, p, IMPORT_ORACLE);
	assert_int_equal(c.rc, 0);
	assert_int_equal(c.got.n, 8); /* 0, 0.25, ... 1.75 s */
	for (int i = 0; i < 8; i++)
		assert_int_equal(c.got.r[i].rec.time_ns, (uint64_t)i * 250000000ull);
	case_free(&c);
}

static void test_oracle_trailing_bytes(void **state)
{
	(void)state;
	uint8_t buf[24 * 4 + 5];
	size_t n = oracle_data(buf, 4);
	memset(buf + n, 7, 5);
	const char *p = tmp_path("o-tail.bin");
	write_file(p, buf, n + 5);
	struct import_case c = {0};
	run_import(&c, p, IMPORT_ORACLE);
	assert_int_equal(c.rc, MB_E_PARSE);
	char want[700];
	snprintf(want, sizeof(want),
		 "%s:5: record at byte offset 96: trailing 5 bytes are not a whole 24-byte record",
		 p);
	assert_string_equal(c.run.err, want);
	case_free(&c);
	c.opt.skip_bad = true;
	run_import(&c, p, IMPORT_ORACLE);
	assert_int_equal(c.rc, 0);
	assert_int_equal(c.got.n, 4);
	assert_int_equal(c.run.skipped, 1);
	case_free(&c);
}

/* ---- cachelib ----------------------------------------------------------------------------- */

/* The same 4 rows under different column orders, extra columns, spaces and case. */
static const char *const cl_variants[] = {
	"key,op,size,op_time,key_size,op_count,cache_hits,ttl\n"
	"k1,GET,100,500,20,1,1,0\n"
	"k2,SET_LEASE,200,500,21,2,0,60\n"
	"k1,GET_LEASE,0,501,20,3,0,0\n"
	"k3,DELETE,0,503,22,1,0,0\n",

	"op_time,ttl,op_count,cache_hits,size,op,key_size,key\n"
	"500,0,1,1,100,GET,20,k1\n"
	"500,60,2,0,200,SET_LEASE,21,k2\n"
	"501,0,3,0,0,GET_LEASE,20,k1\n"
	"503,0,1,0,0,DELETE,22,k3\n",

	" Key_Size , extra ,OP, KEY,TTL,Op_Count,Size,usecase,op_time\r\n"
	"20,x,get,k1,0,1,100,u,500\r\n"
	"21,y,set_lease,k2,60,2,200,u,500\r\n"
	"20,z,GET_LEASE,k1,0,3,0,u,501\r\n"
	"22,,Delete,k3,0,1,0,u,503\r\n",
};

static void check_cl(const struct import_case *c)
{
	assert_int_equal(c->rc, 0);
	assert_int_equal(c->got.n, 7);
	static const uint8_t ops[7] = {MB_OP_GET, MB_OP_SET, MB_OP_SET, MB_OP_GET, MB_OP_GET,
				       MB_OP_GET, MB_OP_DELETE};
	static const char *const keys[7] = {"k1", "k2", "k2", "k1", "k1", "k1", "k3"};
	static const uint32_t vlen[7] = {100, 200, 200, 0, 0, 0, 0};
	static const uint32_t klen[7] = {20, 21, 21, 20, 20, 20, 22};
	static const int32_t ttl[7] = {0, 60, 60, 0, 0, 0, 0};
	static const uint64_t t[7] = {0, 333333333, 666666666, 1000000000, 1333333333,
				      1666666666, 3000000000};
	for (int i = 0; i < 7; i++) {
		const struct got_rec *g = &c->got.r[i];
		assert_int_equal(g->base_s, 500);
		assert_int_equal(g->rec.op, ops[i]);
		assert_int_equal(g->key_bytes, 2);
		assert_memory_equal(g->key, keys[i], 2);
		assert_int_equal(g->rec.value_len, vlen[i]);
		assert_int_equal(g->rec.key_len, klen[i]);
		assert_int_equal(g->rec.ttl, ttl[i]);
		assert_int_equal(g->rec.time_ns, t[i]);
		assert_int_equal(g->rec.conn_id, (uint32_t)i % 2);
	}
}

static void test_cachelib_header_orders(void **state)
{
	(void)state;
	for (size_t v = 0; v < sizeof(cl_variants) / sizeof(cl_variants[0]); v++) {
		const char *p = tmp_path("cl.csv");
		write_file(p, cl_variants[v], strlen(cl_variants[v]));
		struct import_case c = {0};
		c.opt.connections = 2;
		run_import(&c, p, IMPORT_CACHELIB);
		check_cl(&c);
		assert_int_equal(c.run.rows, 4);
		case_free(&c);
		p = tmp_path("cl.csv.zst");
		write_zstd(p, cl_variants[v], strlen(cl_variants[v]), 1);
		c.opt.connections = 2;
		run_import(&c, p, IMPORT_CACHELIB);
		check_cl(&c);
		case_free(&c);
	}
}

static void test_cachelib_minimal_columns_rate(void **state)
{
	(void)state;
	const char text[] = "op,key\nGET,abcdef\nSET,xy\n";
	const char *p = tmp_path("cl-min.csv");
	write_file(p, text, strlen(text));
	struct import_case c = {0};
	run_import(&c, p, IMPORT_CACHELIB);
	assert_int_equal(c.rc, MB_E_PARSE);
	char want[700];
	snprintf(want, sizeof(want),
		 "%s:1: header has no 'op_time' column: give --rate OPS_PER_S to space the "
		 "requests evenly", p);
	assert_string_equal(c.run.err, want);
	case_free(&c);
	c.opt.rate = 4;
	run_import(&c, p, IMPORT_CACHELIB);
	assert_int_equal(c.rc, 0);
	assert_int_equal(c.got.n, 2);
	assert_int_equal(c.got.r[0].rec.key_len, 6); /* no key_size column: the key's length */
	assert_int_equal(c.got.r[1].rec.key_len, 2);
	assert_int_equal(c.got.r[0].rec.time_ns, 0);
	assert_int_equal(c.got.r[1].rec.time_ns, 250000000);
	assert_int_equal(c.got.r[1].rec.value_len, 0);
	case_free(&c);
}

static void test_cachelib_malformed(void **state)
{
	(void)state;
	static const struct {
		const char *text;
		int line;
		const char *msg;
	} cases[] = {
		{"key,size,op_time\nk,1,2\n", 1,
		 "header has no 'op' column (is this a CacheLib kvcache trace?)"},
		{"key,op,op_time,KEY\nk,GET,1,k\n", 1,
		 "header names column 'key' twice (columns 1 and 4)"},
		{"key,op,op_time\nk,GET,1\nk,GET\n", 3, "expected 3 columns (as in the header), found 2"},
		{"key,op,op_time\nk,PUT,1\n", 2,
		 "column 2 (op): bad value 'PUT': unknown operation (expected GET, GET_LEASE, SET, "
		 "SET_LEASE or DELETE)"},
		{"op_time,key,op,size\n1,k,GET,-5\n", 2,
		 "column 4 (size): bad value '-5': not an unsigned 32-bit integer"},
		{"op_time,key,op,op_count\n1,k,GET,2000000\n", 2,
		 "column 4 (op_count): bad value '2000000': more than 1000000 repeats"},
		{"op_time,key,op\nnow,k,GET\n", 2,
		 "column 1 (op_time): bad value 'now': not a whole number of seconds below 2^33"},
		{"op_time,key,op,ttl\n1,k,GET,x\n", 2, "column 4 (ttl): bad value 'x': not a 32-bit integer"},
		{"op_time,key,op\n1,,GET\n", 2, "column 2 (key): bad value '': empty key"},
	};
	const char *p = tmp_path("cl-bad.csv");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		write_file(p, cases[i].text, strlen(cases[i].text));
		struct import_case c = {0};
		run_import(&c, p, IMPORT_CACHELIB);
		assert_int_equal(c.rc, MB_E_PARSE);
		char want[900];
		snprintf(want, sizeof(want), "%s:%d: %s", p, cases[i].line, cases[i].msg);
		assert_string_equal(c.run.err, want);
		case_free(&c);
	}
	write_file(p, "", 0);
	struct import_case c = {0};
	run_import(&c, p, IMPORT_CACHELIB);
	assert_int_equal(c.rc, MB_E_PARSE);
	case_free(&c);
}

/* ---- distributions ------------------------------------------------------------------------ */

static void test_rng(void **state)
{
	(void)state;
	struct rng a, b, c;
	rng_seed(&a, 42);
	rng_seed(&b, 42);
	rng_seed(&c, 43);
	int same_c = 0;
	for (int i = 0; i < 1000; i++) {
		uint64_t x = rng_next(&a);
		assert_true(x == rng_next(&b));
		same_c += x == rng_next(&c);
	}
	assert_true(same_c < 2);
	/* rng_below is unbiased enough to fill 7 buckets evenly; doubles stay in (0, 1). */
	uint64_t bucket[7] = {0};
	for (int i = 0; i < 700000; i++) {
		bucket[rng_below(&a, 7)]++;
		double u = rng_double(&a);
		assert_true(u > 0 && u < 1);
	}
	for (int i = 0; i < 7; i++)
		assert_true(bucket[i] > 99000 && bucket[i] < 101000);
}

/* MLE of the Zipf exponent on ranks 1..n from counts: solves
 * sum_k k^-s log k / sum_k k^-s = (1/m) sum_samples log k by bisection. */
static double zipf_mle(const uint64_t *count, uint64_t n)
{
	double m = 0, slog = 0;
	for (uint64_t k = 1; k <= n; k++) {
		m += (double)count[k];
		slog += (double)count[k] * log((double)k);
	}
	double target = slog / m, lo = 0.01, hi = 4;
	for (int it = 0; it < 50; it++) {
		double s = (lo + hi) / 2, num = 0, den = 0;
		for (uint64_t k = 1; k <= n; k++) {
			double w = exp(-s * log((double)k));
			num += w * log((double)k);
			den += w;
		}
		/* E[log k] falls as s grows. */
		if (num / den > target)
			lo = s;
		else
			hi = s;
	}
	return (lo + hi) / 2;
}

static int cmp_u64_desc(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? 1 : x > y ? -1 : 0;
}

/* The published estimator: least-squares slope of log(frequency) on log(rank), objects ranked
 * by observed frequency (objects seen at least min_count times). */
static double zipf_lsq(const uint64_t *count, uint64_t n, uint64_t min_count)
{
	uint64_t *c = malloc(n * sizeof(*c));
	assert_non_null(c);
	memcpy(c, count + 1, n * sizeof(*c));
	qsort(c, n, sizeof(*c), cmp_u64_desc);
	double sx = 0, sy = 0, sxx = 0, sxy = 0, k = 0;
	for (uint64_t i = 0; i < n && c[i] >= min_count; i++) {
		double x = log((double)i + 1), y = log((double)c[i]);
		sx += x;
		sy += y;
		sxx += x * x;
		sxy += x * y;
		k++;
	}
	free(c);
	return -(k * sxy - sx * sy) / (k * sxx - sx * sx);
}

static void test_zipf_exponent_recovered(void **state)
{
	(void)state;
	static const double alphas[] = {0.7, 0.99, 1.0, 1.3};
	const uint64_t n = 10000, samples = 1000000;
	uint64_t *count = calloc(n + 1, sizeof(*count));
	assert_non_null(count);
	for (size_t a = 0; a < sizeof(alphas) / sizeof(alphas[0]); a++) {
		struct zipf z;
		struct rng r;
		assert_int_equal(zipf_init(&z, n, alphas[a]), 0);
		rng_seed(&r, 1000 + a);
		memset(count, 0, (n + 1) * sizeof(*count));
		for (uint64_t i = 0; i < samples; i++) {
			uint64_t k = zipf_sample(&z, &r);
			assert_true(k >= 1 && k <= n);
			count[k]++;
		}
		double mle = zipf_mle(count, n), lsq = zipf_lsq(count, n, 10);
		print_message("zipf alpha %.2f: MLE %.4f, least squares (count >= 10) %.4f\n",
			      alphas[a], mle, lsq);
		assert_true(fabs(mle - alphas[a]) < 0.02);
	}
	free(count);
}

/* Exact probabilities on a small support: every rank within 5 standard deviations. */
static void test_zipf_exact_small(void **state)
{
	(void)state;
	static const double alphas[] = {0.0, 0.5, 1.0, 2.0};
	const int n = 8;
	const int samples = 400000;
	for (size_t a = 0; a < sizeof(alphas) / sizeof(alphas[0]); a++) {
		struct zipf z;
		struct rng r;
		uint64_t count[9] = {0};
		assert_int_equal(zipf_init(&z, n, alphas[a]), 0);
		rng_seed(&r, 7);
		for (int i = 0; i < samples; i++)
			count[zipf_sample(&z, &r)]++;
		double hn = 0;
		for (int k = 1; k <= n; k++)
			hn += pow(k, -alphas[a]);
		for (int k = 1; k <= n; k++) {
			double p = pow(k, -alphas[a]) / hn, expect = p * samples;
			double sd = sqrt(samples * p * (1 - p));
			assert_true(fabs((double)count[k] - expect) < 5 * sd);
		}
	}
	struct zipf z;
	assert_int_equal(zipf_init(&z, 0, 1), MB_E_USAGE);
	assert_int_equal(zipf_init(&z, 10, -0.5), MB_E_USAGE);
	assert_int_equal(zipf_init(&z, 10, NAN), MB_E_USAGE);
	/* n = 1 always gives rank 1. */
	struct rng r;
	rng_seed(&r, 1);
	assert_int_equal(zipf_init(&z, 1, 0.99), 0);
	for (int i = 0; i < 1000; i++)
		assert_int_equal(zipf_sample(&z, &r), 1);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* Analytic quantiles written out here, independent of dist.c. */
static double gev_q(double mu, double sigma, double k, double p)
{
	return mu + sigma * (pow(-log(p), -k) - 1) / k;
}

static double gpd_q(double mu, double sigma, double k, double p)
{
	return mu + sigma * (pow(1 - p, -k) - 1) / k;
}

/* 1M samples of d; each listed quantile within 2% of want(p). */
static void check_quantiles(const char *spec, double (*want)(const double *par, double p),
			    const double *par)
{
	struct dist d;
	char err[128];
	assert_int_equal(dist_parse(&d, spec, err, sizeof(err)), 0);
	const size_t n = 1000000;
	double *x = malloc(n * sizeof(*x));
	assert_non_null(x);
	struct rng r;
	rng_seed(&r, 99);
	for (size_t i = 0; i < n; i++)
		x[i] = dist_sample(&d, &r);
	qsort(x, n, sizeof(*x), cmp_double);
	static const double ps[] = {0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99};
	for (size_t i = 0; i < sizeof(ps) / sizeof(ps[0]); i++) {
		double got = x[(size_t)(ps[i] * (double)n)], w = want(par, ps[i]);
		print_message("%s q%.2f: sample %.4f analytic %.4f\n", spec, ps[i], got, w);
		assert_true(fabs(got - w) <= 0.02 * fabs(w));
	}
	free(x);
}

static double want_gev(const double *par, double p)
{
	return gev_q(par[0], par[1], par[2], p);
}

static double want_gpd(const double *par, double p)
{
	return gpd_q(par[0], par[1], par[2], p);
}

/* ETC value sizes above the head: P(X <= x) = head + (1 - head) GPD(x). */
static double want_etc_value_tail(const double *par, double p)
{
	(void)par;
	double head = 0;
	for (int i = 0; i < ETC_VALUE_HEAD; i++)
		head += etc_value_head[i];
	return gpd_q(15, 214.476, 0.348238, (p - head) / (1 - head));
}

static void test_gev_gpd_quantiles(void **state)
{
	(void)state;
	const double etc_key[3] = {30.7984, 8.20449, 0.078688};
	const double etc_ia[3] = {0, 16.0292, 0.154971};
	const double gpd2[3] = {100, 50, 0.5};
	const double gev_neg[3] = {10, 2, -0.2};
	check_quantiles("etc-key", want_gev, etc_key);
	check_quantiles("gev:30.7984,8.20449,0.078688", want_gev, etc_key);
	check_quantiles("gev:10,2,-0.2", want_gev, gev_neg);
	check_quantiles("etc-ia", want_gpd, etc_ia);
	check_quantiles("gpd:100,50,0.5", want_gpd, gpd2);

	/* ETC values: head frequencies, then tail quantiles. */
	struct dist d;
	char err[128];
	assert_int_equal(dist_parse(&d, "etc-value", err, sizeof(err)), 0);
	const size_t n = 1000000;
	double *x = malloc(n * sizeof(*x));
	assert_non_null(x);
	uint64_t head[ETC_VALUE_HEAD] = {0};
	struct rng r;
	rng_seed(&r, 5);
	for (size_t i = 0; i < n; i++) {
		x[i] = dist_sample(&d, &r);
		if (x[i] < ETC_VALUE_HEAD) {
			assert_true(x[i] == floor(x[i]));
			head[(int)x[i]]++;
		} else {
			assert_true(x[i] >= 15);
		}
	}
	double hsum = 0;
	for (int v = 0; v < ETC_VALUE_HEAD; v++) {
		double p = etc_value_head[v], sd = sqrt(p * (1 - p) / (double)n);
		hsum += p;
		assert_true(fabs((double)head[v] / (double)n - p) < 5 * sd + 1e-9);
	}
	qsort(x, n, sizeof(*x), cmp_double);
	static const double ps[] = {0.5, 0.75, 0.9, 0.99};
	for (size_t i = 0; i < sizeof(ps) / sizeof(ps[0]); i++) {
		double got = x[(size_t)(ps[i] * (double)n)], w = want_etc_value_tail(NULL, ps[i]);
		assert_true(ps[i] > hsum);
		assert_true(fabs(got - w) <= 0.02 * w);
	}
	free(x);
}

static void test_other_distributions(void **state)
{
	(void)state;
	struct dist d;
	char err[160];
	struct rng r;
	rng_seed(&r, 3);
	const int n = 200000;
	/* mean and spread checks */
	static const struct {
		const char *spec;
		double mean, sd;
	} cases[] = {
		{"fixed:42", 42, 0},       {"uniform:10,20", 15, 2.8867513},
		{"normal:100,15", 100, 15}, {"exponential:250", 250, 250},
		{"pareto:10,3", 15, 8.660254},
	};
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		assert_int_equal(dist_parse(&d, cases[c].spec, err, sizeof(err)), 0);
		double s = 0, s2 = 0;
		for (int i = 0; i < n; i++) {
			double x = dist_sample(&d, &r);
			s += x;
			s2 += x * x;
		}
		double mean = s / n, sd = sqrt(s2 / n - mean * mean);
		assert_true(fabs(mean - cases[c].mean) <= 0.01 * cases[c].mean);
		assert_true(fabs(sd - cases[c].sd) <= 0.03 * cases[c].sd + 1e-6);
		assert_true(fabs(dist_mean(&d) - cases[c].mean) < 1e-9);
		/* canonical form parses back to the same distribution */
		char buf[128];
		struct dist d2;
		dist_format(&d, buf, sizeof(buf));
		assert_string_equal(buf, cases[c].spec);
		assert_int_equal(dist_parse(&d2, buf, err, sizeof(err)), 0);
		assert_memory_equal(d.p, d2.p, sizeof(d.p));
	}
	/* clamping to the size range */
	assert_int_equal(dist_parse(&d, "normal:0,1000", err, sizeof(err)), 0);
	for (int i = 0; i < 1000; i++) {
		uint32_t v = dist_sample_u32(&d, &r, 1, 250);
		assert_true(v >= 1 && v <= 250);
	}
	assert_true(fabs(dist_mean(&d) - 0) < 1e-12);
	assert_int_equal(dist_parse(&d, "etc-value", err, sizeof(err)), 0);
	assert_true(fabs(dist_mean(&d) - (0.44155 * 0 + 214.476 / (1 - 0.348238))) < 400);
}

static void test_dist_parse_errors(void **state)
{
	(void)state;
	static const struct {
		const char *spec, *msg;
	} cases[] = {
		{"zipf:1", "bad distribution 'zipf:1': expected fixed, uniform, normal, exponential, "
			   "pareto, gpd, gev, etc-key, etc-value or etc-ia"},
		{"uniform:5", "bad distribution 'uniform:5': expected uniform:MIN,MAX"},
		{"uniform:5,1", "bad distribution 'uniform:5,1': MIN must not exceed MAX"},
		{"gev:1,0,0.1", "bad distribution 'gev:1,0,0.1': SIGMA must be > 0"},
		{"gpd:1,2,3,4", "bad distribution 'gpd:1,2,3,4': expected gpd:MU,SIGMA,K"},
		{"fixed:abc", "bad distribution 'fixed:abc': expected fixed:V"},
		{"fixed", "bad distribution 'fixed': expected fixed:V"},
		{"etc-key:1", "bad distribution 'etc-key:1': etc-key takes no parameters"},
		{"pareto:0,2", "bad distribution 'pareto:0,2': XM and ALPHA must be > 0"},
		{"exponential:-1", "bad distribution 'exponential:-1': MEAN must be > 0"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct dist d;
		char err[200] = "";
		assert_int_equal(dist_parse(&d, cases[i].spec, err, sizeof(err)), MB_E_USAGE);
		assert_string_equal(err, cases[i].msg);
	}
}

/* ---- generator ---------------------------------------------------------------------------- */

static uint64_t gen_hash(const struct synth_opts *o, uint64_t *n)
{
	struct synth_gen g;
	struct mb_record rec;
	assert_int_equal(synth_init(&g, o), 0);
	uint64_t h = 1469598103934665603ull;
	*n = 0;
	while (synth_next(&g, &rec) == 1) {
		const uint64_t f[] = {rec.time_ns, rec.key_id, rec.key_len, rec.value_len,
				      rec.conn_id, rec.op};
		for (size_t i = 0; i < 6; i++)
			h = (h ^ f[i]) * 1099511628211ull;
		(*n)++;
	}
	synth_free(&g);
	return h;
}

static void test_synth_deterministic(void **state)
{
	(void)state;
	struct synth_opts o;
	assert_int_equal(synth_defaults(&o, "etc"), 0);
	o.ops = 50000;
	o.seed = 7;
	o.connections = 20;
	uint64_t n1, n2, n3;
	uint64_t h1 = gen_hash(&o, &n1), h2 = gen_hash(&o, &n2);
	o.seed = 8;
	uint64_t h3 = gen_hash(&o, &n3);
	assert_int_equal(n1, 50000);
	assert_true(h1 == h2);
	assert_true(h1 != h3);
	assert_int_equal(synth_defaults(&o, "nope"), MB_E_USAGE);
}

static void test_synth_model(void **state)
{
	(void)state;
	struct synth_opts o;
	char err[128];
	assert_int_equal(synth_defaults(&o, "zipf"), 0);
	o.ops = 200000;
	o.keys = 1000;
	o.rate = 20000;
	o.connections = 5;
	o.mix[MIX_GET] = 0.7;
	o.mix[MIX_SET] = 0.2;
	o.mix[MIX_DELETE] = 0.1;
	assert_int_equal(dist_parse(&o.key_size, "uniform:10,60", err, sizeof(err)), 0);
	assert_int_equal(dist_parse(&o.value_size, "pareto:100,1.5", err, sizeof(err)), 0);
	o.max_value = 5000;
	struct synth_gen g;
	struct mb_record rec;
	assert_int_equal(synth_init(&g, &o), 0);
	uint64_t ops[MB_OP_COUNT] = {0}, last_t = 0, max_conn = 0;
	uint32_t *klen = calloc(o.keys + 1, sizeof(*klen));
	assert_non_null(klen);
	while (synth_next(&g, &rec) == 1) {
		ops[rec.op]++;
		assert_true(rec.time_ns >= last_t);
		last_t = rec.time_ns;
		assert_true(rec.key_id >= 1 && rec.key_id <= o.keys);
		assert_true(rec.key_len >= 10 && rec.key_len <= 60);
		/* sizes belong to the key */
		if (klen[rec.key_id])
			assert_int_equal(klen[rec.key_id], rec.key_len);
		klen[rec.key_id] = rec.key_len;
		if (rec.op == MB_OP_DELETE)
			assert_int_equal(rec.value_len, 0);
		else
			assert_int_equal(rec.value_len, synth_value_len(&g, rec.key_id));
		assert_true(rec.value_len <= 5000);
		assert_true(rec.conn_id <= max_conn + 1); /* dense in order of first use */
		if (rec.conn_id > max_conn)
			max_conn = rec.conn_id;
	}
	free(klen);
	assert_int_equal(g.n, 200000);
	assert_int_equal(max_conn, 4);
	assert_true(fabs((double)ops[MB_OP_GET] / 200000 - 0.7) < 0.005);
	assert_true(fabs((double)ops[MB_OP_SET] / 200000 - 0.2) < 0.005);
	assert_true(fabs((double)ops[MB_OP_DELETE] / 200000 - 0.1) < 0.005);
	/* Poisson at 20000/s: 200000 requests take about 10 s. */
	assert_true(fabs((double)last_t / 1e9 - 10.0) < 0.1);
	synth_free(&g);

	/* --duration alone, fixed arrivals: exactly rate * duration requests. */
	o.ops = 0;
	o.duration_ns = 2000000000ull;
	o.arrival = ARRIVAL_FIXED;
	assert_int_equal(synth_init(&g, &o), 0);
	uint64_t n = 0;
	while (synth_next(&g, &rec) == 1) {
		assert_int_equal(rec.time_ns, n * 50000);
		n++;
	}
	assert_int_equal(n, 40000);
	synth_free(&g);

	/* ETC arrivals keep their mean at --rate. */
	o.arrival = ARRIVAL_ETC;
	o.duration_ns = 0;
	o.ops = 200000;
	assert_int_equal(synth_init(&g, &o), 0);
	while (synth_next(&g, &rec) == 1)
		last_t = rec.time_ns;
	assert_true(fabs((double)last_t / 1e9 - 10.0) < 0.2);
	synth_free(&g);

	/* no limit at all, no rate, no keys: refused */
	o.ops = 0;
	assert_int_equal(synth_init(&g, &o), MB_E_USAGE);
	synth_free(&g);

	char params[MB_META_TEXT_MAX];
	o.ops = 5;
	synth_format_params(&o, params, sizeof(params));
	assert_string_equal(params,
			    "model=zipf ops=5 duration=0ns seed=1 keys=1000 alpha=0.99 "
			    "key-size=uniform:10,60 value-size=pareto:100,1.5 max-value=5000 "
			    "mix=get:0.7,set:0.2,delete:0.1 rate=20000 arrival=etc connections=5");
}

/* ---- writer pipeline ---------------------------------------------------------------------- */

/* 100,000 records (mixed key bytes and numeric identities, several batches) through the pipe:
 * the profile must hold exactly them, in order. */
static void test_pipe_roundtrip(void **state)
{
	(void)state;
	const char *path = tmp_path("pipe.mbp");
	struct mb_profile_meta meta = {.sample_ratio = 1.0, .clock = MB_CLOCK_SYNTHETIC};
	struct mb_profile_writer *w;
	char err[256];
	assert_int_equal(mb_profile_writer_open(&w, path, &meta, NULL, err, sizeof(err)), 0);
	struct record_pipe *p;
	assert_int_equal(record_pipe_start(&p, w), 0);
	const uint32_t n = 100000;
	for (uint32_t i = 0; i < n; i++) {
		struct mb_record rec = {.time_ns = i * 1000ull, .key_len = 10, .value_len = i,
					.conn_id = i % 7, .op = MB_OP_SET};
		char key[16];
		int kb = snprintf(key, sizeof(key), "k%u", i % 5000);
		if (i % 3 == 0) {
			rec.key_id = 1000000 + i % 2000; /* numeric identity */
			assert_int_equal(record_pipe_push(p, &rec, NULL, 0), 0);
		} else {
			assert_int_equal(record_pipe_push(p, &rec, key, (size_t)kb), 0);
		}
	}
	assert_int_equal(record_pipe_finish(p), 0);
	assert_int_equal(mb_profile_writer_close(w, err, sizeof(err)), 0);

	struct mb_profile_reader *r;
	assert_int_equal(mb_profile_reader_open(&r, path, err, sizeof(err)), 0);
	struct mb_record *recs = malloc(n * sizeof(*recs));
	assert_non_null(recs);
	size_t got = 0;
	long k;
	while ((k = mb_profile_reader_read(r, recs + got, n - got)) > 0)
		got += (size_t)k;
	assert_int_equal(k, 0);
	assert_int_equal(got, n);
	for (uint32_t i = 0; i < n; i++) {
		assert_int_equal(recs[i].time_ns, i * 1000ull);
		assert_int_equal(recs[i].value_len, i);
		assert_int_equal(recs[i].conn_id, i % 7);
	}
	assert_int_equal(mb_profile_reader_stats(r)->keys, 2000 + 5000);
	free(recs);
	mb_profile_reader_close(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_twitter_plain),
		cmocka_unit_test(test_twitter_zstd),
		cmocka_unit_test(test_twitter_zstd_cli),
		cmocka_unit_test(test_twitter_zstd_truncated),
		cmocka_unit_test(test_twitter_crlf_blank_no_final_newline),
		cmocka_unit_test(test_twitter_malformed),
		cmocka_unit_test(test_twitter_long_value_shown_truncated),
		cmocka_unit_test(test_twitter_limits_and_connections),
		cmocka_unit_test(test_twitter_reordered),
		cmocka_unit_test(test_twitter_line_too_long),
		cmocka_unit_test(test_input_missing_file),
		cmocka_unit_test(test_oracle),
		cmocka_unit_test(test_oracle_rate),
		cmocka_unit_test(test_oracle_trailing_bytes),
		cmocka_unit_test(test_cachelib_header_orders),
		cmocka_unit_test(test_cachelib_minimal_columns_rate),
		cmocka_unit_test(test_cachelib_malformed),
		cmocka_unit_test(test_rng),
		cmocka_unit_test(test_zipf_exponent_recovered),
		cmocka_unit_test(test_zipf_exact_small),
		cmocka_unit_test(test_gev_gpd_quantiles),
		cmocka_unit_test(test_other_distributions),
		cmocka_unit_test(test_dist_parse_errors),
		cmocka_unit_test(test_synth_deterministic),
		cmocka_unit_test(test_synth_model),
		cmocka_unit_test(test_pipe_roundtrip),
	};
	if (trace_dir_create() != 0)
		return 1;
	int failed = cmocka_run_group_tests(tests, NULL, NULL);
	trace_dir_remove();
	return failed;
}
