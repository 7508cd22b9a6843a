/* Codec tests: text/meta/binary parsing at every split point, pairing, gaps, bad input and
 * encoding (tests/proto/transcripts/ holds transcripts recorded from real clients). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "testutil.h"

#include "membench/error.h"
#include "transcript.h"

#define S(x) x, sizeof(x) - 1

/* Renders t fed whole and checks that feeding it byte by byte and split in two at every byte
 * k < maxk (then at a stride up to the longest event) gives the same rendering; returns the
 * rendering (caller frees). */
static char *check_splits(const struct transcript *t, const struct mb_proto_opts *opts,
			  size_t maxk)
{
	struct mb_buf ref = {0};
	assert_int_equal(tr_run(t, 0, opts, &ref), 0);
	size_t maxlen = 0;
	for (size_t i = 0; i < t->nev; i++)
		if (t->ev[i].len > maxlen)
			maxlen = t->ev[i].len;
	size_t stride = maxlen / 64 + 1;
	for (size_t k = 0; k <= maxlen; k = k < maxk ? k + 1 : k + stride) {
		int mode = k == 0 ? 1 : (int)k + 1; /* byte by byte, then split at byte k */
		struct mb_buf got = {0};
		assert_int_equal(tr_run(t, mode, opts, &got), 0);
		if (got.len != ref.len || memcmp(got.data, ref.data, ref.len) != 0) {
			fprintf(stderr, "split mode %d differs:\n--- whole\n%.*s--- split\n%.*s", mode,
				(int)ref.len, ref.data, (int)got.len, got.data);
			fail();
		}
		mb_buf_free(&got);
	}
	assert_int_equal(mb_buf_append(&ref, "", 1), 0);
	return ref.data;
}

static char *run_all_splits(const struct transcript *t, const struct mb_proto_opts *opts)
{
	return check_splits(t, opts, SIZE_MAX);
}

static void expect_text(const char *got, const char *want)
{
	if (strcmp(got, want) != 0) {
		fprintf(stderr, "--- want\n%s--- got\n%s", want, got);
		fail();
	}
}

static void test_text_pipeline(void **state)
{
	(void)state;
	struct transcript t = {0};
	tr_add(&t, MB_DIR_REQUEST, 100,
	       S("get a b c\r\nset k 5 10 3\r\nabc\r\nset n 0 0 1 noreply\r\n7\r\ndelete k\r\n"
		 "incr n 5\r\ntouch k 10\r\nstats\r\nversion\r\nverbosity 1\r\nflush_all\r\n"
		 "bogus\r\nquit\r\n"));
	tr_add(&t, MB_DIR_RESPONSE, 200,
	       S("VALUE a 0 1\r\n1\r\nVALUE c 7 2\r\n22\r\nEND\r\nSTORED\r\nDELETED\r\n6\r\n"));
	tr_add(&t, MB_DIR_RESPONSE, 300,
	       S("NOT_FOUND\r\nSTAT pid 1\r\nSTAT uptime 2\r\nEND\r\nVERSION 1.6.18\r\nOK\r\nOK\r\n"
		 "ERROR\r\n"));
	char *got = run_all_splits(&t, NULL);
	expect_text(got,
		    "! req @126 unknown command\n"
		    "text get hit key=a vlen=1 flags=0 ttl=0 batch=3 answered req=100@0 resp=200\n"
		    "text get miss key=b vlen=0 flags=0 ttl=0 batch=3 cont answered req=100@0 resp=200\n"
		    "text get hit key=c vlen=2 flags=7 ttl=0 batch=3 cont answered req=100@0 resp=200\n"
		    "text set stored key=k vlen=3 flags=5 ttl=10 batch=1 answered req=100@11 resp=200\n"
		    "text set none key=n vlen=1 flags=0 ttl=0 batch=1 numeric noreply req=100@30 resp=0\n"
		    "text delete deleted key=k vlen=0 flags=0 ttl=0 batch=1 answered req=100@54 resp=200\n"
		    "text incr ok key=n vlen=0 flags=0 ttl=0 batch=1 answered req=100@64 resp=200\n"
		    "text touch not_found key=k vlen=0 flags=0 ttl=10 batch=1 answered req=100@74 resp=300\n"
		    "text stats ok vlen=0 flags=0 ttl=0 batch=1 answered req=100@86 resp=300\n"
		    "text version ok vlen=0 flags=0 ttl=0 batch=1 answered req=100@93 resp=300\n"
		    "text verbosity ok vlen=0 flags=0 ttl=0 batch=1 answered req=100@102 resp=300\n"
		    "text flush_all ok vlen=0 flags=0 ttl=0 batch=1 answered req=100@115 resp=300\n"
		    "text other error vlen=0 flags=0 ttl=0 batch=1 answered req=100@126 resp=300\n"
		    "text other none vlen=0 flags=0 ttl=0 batch=1 req=100@133 resp=0\n"
		    "stats requests=12 responses=10 errors=1 unpaired=0 resync=0 gaps=0/0 skipped=0\n");
	free(got);
	tr_free(&t);
}


static void render_cb(void *ctx, const struct mb_proto_cmd *cmd)
{
	tr_render(ctx, cmd);
}

/* MB_RF_NUMERIC: a storage value of 1..20 decimal digits, however the bytes are split; not
 * for 21 digits, a sign, a space, an empty value, or a value a gap cut into (binary too). */
static void test_numeric_values(void **state)
{
	(void)state;
	struct transcript t = {0};
	tr_add(&t, MB_DIR_REQUEST, 100,
	       S("set a 0 0 20\r\n18446744073709551615\r\nset b 0 0 21\r\n123456789012345678901\r\n"
		 "set c 0 0 2\r\n-1\r\nset d 0 0 0\r\n\r\nappend e 0 0 3\r\n1 2\r\n"
		 "ms f 1 T0\r\n9\r\nget a\r\n"));
	tr_add(&t, MB_DIR_RESPONSE, 200,
	       S("STORED\r\nSTORED\r\nSTORED\r\nSTORED\r\nNOT_STORED\r\nHD\r\n"
		 "VALUE a 0 2\r\n12\r\nEND\r\n"));
	char *got = run_all_splits(&t, NULL);
	expect_text(got,
		    "text set stored key=a vlen=20 flags=0 ttl=0 batch=1 numeric answered req=100@0 resp=200\n"
		    "text set stored key=b vlen=21 flags=0 ttl=0 batch=1 answered req=100@36 resp=200\n"
		    "text set stored key=c vlen=2 flags=0 ttl=0 batch=1 answered req=100@73 resp=200\n"
		    "text set stored key=d vlen=0 flags=0 ttl=0 batch=1 answered req=100@90 resp=200\n"
		    "text append not_stored key=e vlen=3 flags=0 ttl=0 batch=1 answered req=100@105 resp=200\n"
		    "meta ms stored key=f mf=[T0] vlen=1 flags=0 ttl=0 batch=1 numeric answered req=100@126 resp=200\n"
		    "text get hit key=a vlen=2 flags=0 ttl=0 batch=1 answered req=100@140 resp=200\n"
		    "stats requests=7 responses=7 errors=0 unpaired=0 resync=0 gaps=0/0 skipped=0\n");
	free(got);
	tr_free(&t);

	/* binary: numeric, not numeric, and numeric but cut by a gap */
	struct mb_buf req = {0};
	struct mb_proto_req r = {.op = MB_OP_SET, .proto = MB_PROTO_BINARY, .key = "k", .key_len = 1,
				 .value = "42", .value_len = 2};
	assert_int_equal(mb_proto_encode(&req, &r), 0);
	r.value = "4a";
	assert_int_equal(mb_proto_encode(&req, &r), 0);
	r.value = "77";
	assert_int_equal(mb_proto_encode(&req, &r), 0);
	struct mb_buf out = {0};
	struct mb_proto_conn *c = mb_proto_conn_new(NULL, render_cb, &out);
	assert_non_null(c);
	size_t one = req.len / 3;
	assert_int_equal(mb_proto_conn_feed(c, MB_DIR_REQUEST, req.data, 2 * one + one - 1, 1), 0);
	assert_int_equal(mb_proto_conn_gap(c, MB_DIR_REQUEST, 1, 2), 0);
	mb_proto_conn_finish(c);
	assert_int_equal(mb_buf_append(&out, "", 1), 0);
	assert_non_null(strstr(out.data, "binary set none key=k vlen=2 flags=0 ttl=0 batch=1 numeric"));
	const char *second = strstr(out.data, "\n");
	assert_non_null(second);
	assert_null(strstr(second, "numeric"));
	mb_proto_conn_free(c);
	mb_buf_free(&out);
	mb_buf_free(&req);
}

/* Every transcript recorded from real clients (tests/proto/tools/make_transcripts.sh) gives
 * exactly its reviewed .expect, however its events are split. */
static void test_transcripts(void **state)
{
	(void)state;
	char dir[4096];
	mb_test_source_path(dir, sizeof(dir), "tests/proto/transcripts");
	DIR *d = opendir(dir);
	assert_non_null(d);
	struct dirent *de;
	int n = 0;
	while ((de = readdir(d))) {
		size_t len = strlen(de->d_name);
		if (len < 5 || strcmp(de->d_name + len - 4, ".mct") != 0)
			continue;
		char path[4200], epath[4200];
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		snprintf(epath, sizeof(epath), "%s/%.*s.expect", dir, (int)(len - 4), de->d_name);
		struct transcript t;
		assert_int_equal(tr_load(&t, path), 0);
		FILE *f = fopen(epath, "rb");
		assert_non_null(f);
		char *want = calloc(1, 1 << 20);
		assert_non_null(want);
		size_t wn = fread(want, 1, (1 << 20) - 1, f);
		want[wn] = 0;
		fclose(f);
		char *got = check_splits(&t, NULL, 200);
		if (strcmp(got, want) != 0) {
			fprintf(stderr, "%s: rendering differs from %s\n", path, epath);
			expect_text(got, want);
		}
		free(got);
		free(want);
		tr_free(&t);
		n++;
	}
	closedir(d);
	assert_true(n >= 20);
}

/* A get line far longer than the line buffer is parsed key by key with the same result. */
static void test_multiget_streamed(void **state)
{
	(void)state;
	struct mb_buf req = {0}, resp = {0};
	mb_buf_printf(&req, "gets");
	for (int i = 0; i < 2000; i++) {
		mb_buf_printf(&req, " key:%06d:abcdefghijklmnopqrst", i);
		if (i % 3 == 0)
			mb_buf_printf(&resp, "VALUE key:%06d:abcdefghijklmnopqrst 1 2 %d\r\nxy\r\n", i, i);
	}
	mb_buf_printf(&req, "\r\nget last\r\n");
	mb_buf_printf(&resp, "END\r\nEND\r\n");
	assert_true(req.len > 4 * MB_PROTO_MAX_LINE);
	struct transcript t = {0};
	tr_add(&t, MB_DIR_REQUEST, 1, req.data, req.len);
	tr_add(&t, MB_DIR_RESPONSE, 2, resp.data, resp.len);
	char *got = check_splits(&t, NULL, 40);
	size_t hits = 0, misses = 0;
	for (char *p = got; (p = strstr(p, "text gets ")); p++) {
		if (!strncmp(p + 10, "hit", 3))
			hits++;
		else if (!strncmp(p + 10, "miss", 4))
			misses++;
	}
	assert_int_equal(hits, 667);
	assert_int_equal(misses, 1333);
	assert_non_null(strstr(got, "text gets hit key=key:000000:abcdefghijklmnopqrst vlen=2 "
				    "flags=1 ttl=0 batch=2000 answered req=1@0 resp=2\n"));
	assert_non_null(strstr(got, "text get miss key=last "));
	assert_non_null(strstr(got, "stats requests=2 responses=2 errors=0 unpaired=0"));
	free(got);
	tr_free(&t);
	mb_buf_free(&req);
	mb_buf_free(&resp);
}

/* Quiet meta commands: omitted replies are resolved by the next reply (here mn); echoed keys
 * and opaques decide which quiet command a reply belongs to. */
static void test_meta_quiet(void **state)
{
	(void)state;
	struct transcript t = {0};
	tr_add(&t, MB_DIR_REQUEST, 10,
	       S("mg a v q k\r\nmg b v q k\r\nms c 2 q\r\nhi\r\nms d 2 q O7\r\nhi\r\nmd e q\r\n"
		 "mn\r\nmg f v q\r\nmg g v\r\n"));
	tr_add(&t, MB_DIR_RESPONSE, 20, S("VA 1 kb\r\nx\r\nNS O7\r\nMN\r\nEN\r\n"));
	char *got = run_all_splits(&t, NULL);
	expect_text(got,
		    "meta mg miss key=a mf=[v q k] vlen=0 flags=0 ttl=0 batch=1 noreply req=10@0 resp=0\n"
		    "meta mg hit key=b mf=[v q k] vlen=1 flags=0 ttl=0 batch=1 noreply answered req=10@12 resp=20\n"
		    "meta ms stored key=c mf=[q] vlen=2 flags=0 ttl=0 batch=1 noreply req=10@24 resp=0\n"
		    "meta ms not_stored key=d mf=[q O] vlen=2 flags=0 ttl=0 batch=1 noreply answered req=10@38 resp=20\n"
		    "meta md deleted key=e mf=[q] vlen=0 flags=0 ttl=0 batch=1 noreply req=10@55 resp=0\n"
		    "meta mn ok vlen=0 flags=0 ttl=0 batch=1 answered req=10@63 resp=20\n"
		    "meta mg miss key=f mf=[v q] vlen=0 flags=0 ttl=0 batch=1 noreply req=10@67 resp=0\n"
		    "meta mg miss key=g mf=[v] vlen=0 flags=0 ttl=0 batch=1 answered req=10@77 resp=20\n"
		    "stats requests=8 responses=4 errors=0 unpaired=0 resync=0 gaps=0/0 skipped=0\n");
	free(got);
	tr_free(&t);
}

/* Builds a binary response header. */
static void bin_resp(struct mb_buf *b, uint8_t opcode, uint16_t status, uint32_t opaque,
		     const char *key, const char *value)
{
	uint8_t h[24] = {0x81, opcode};
	size_t kl = key ? strlen(key) : 0, vl = value ? strlen(value) : 0;
	size_t ext = value ? 4 : 0;
	uint32_t body = (uint32_t)(ext + kl + vl);
	h[2] = (uint8_t)(kl >> 8);
	h[3] = (uint8_t)kl;
	h[4] = (uint8_t)ext;
	h[6] = (uint8_t)(status >> 8);
	h[7] = (uint8_t)status;
	h[8] = (uint8_t)(body >> 24);
	h[9] = (uint8_t)(body >> 16);
	h[10] = (uint8_t)(body >> 8);
	h[11] = (uint8_t)body;
	h[12] = (uint8_t)(opaque >> 24);
	h[13] = (uint8_t)(opaque >> 16);
	h[14] = (uint8_t)(opaque >> 8);
	h[15] = (uint8_t)opaque;
	mb_buf_append(b, h, 24);
	if (ext)
		mb_buf_append(b, "\0\0\0\5", 4);
	if (kl)
		mb_buf_append(b, key, kl);
	if (vl)
		mb_buf_append(b, value, vl);
}

/* Binary quiet gets (getkq k1, getkq k2, then get k3): misses are omitted and resolved by the
 * next reply; a quiet set's success is implied by the noop's reply. */
struct cas_seen {
	uint64_t cas[8];
	char key[8][16];
	size_t n;
};

static void cas_cb(void *ctx, const struct mb_proto_cmd *cmd)
{
	struct cas_seen *cs = ctx;
	if (cs->n < 8) {
		cs->cas[cs->n] = cmd->cas;
		snprintf(cs->key[cs->n], sizeof(cs->key[0]), "%.*s", (int)cmd->key_len,
			 cmd->key ? cmd->key : "");
		cs->n++;
	}
}

/* The cas unique of a response reaches on_cmd (the replayer sends it with the next cas of the
 * key): text gets VALUE's 5th token per key of a multiget, meta c flag (also on a store's HD),
 * binary header; 0 where the response carries none. */
static void test_cas_unique(void **state)
{
	(void)state;
	struct cas_seen cs = {0};
	struct mb_proto_conn *c = mb_proto_conn_new(NULL, cas_cb, &cs);
	assert_non_null(c);
	const char *req = "gets a b c\r\nget a\r\nmg d v c\r\nms e 1 c\r\n1\r\n";
	const char *resp = "VALUE a 0 1 41\r\nx\r\nVALUE c 0 1 18446744073709551615\r\ny\r\nEND\r\n"
			   "VALUE a 0 1\r\nx\r\nEND\r\nVA 1 c77\r\nz\r\nHD c78\r\n";
	assert_int_equal(mb_proto_conn_feed(c, MB_DIR_REQUEST, req, strlen(req), 1), 0);
	assert_int_equal(mb_proto_conn_feed(c, MB_DIR_RESPONSE, resp, strlen(resp), 2), 0);
	mb_proto_conn_finish(c);
	assert_int_equal(cs.n, 6);
	const char *keys[] = {"a", "b", "c", "a", "d", "e"};
	const uint64_t want[] = {41, 0, UINT64_MAX, 0, 77, 78};
	for (size_t i = 0; i < 6; i++) {
		assert_string_equal(cs.key[i], keys[i]);
		assert_true(cs.cas[i] == want[i]);
	}
	mb_proto_conn_free(c);

	memset(&cs, 0, sizeof(cs));
	c = mb_proto_conn_new(NULL, cas_cb, &cs);
	assert_non_null(c);
	struct mb_buf rq = {0}, rs = {0};
	struct mb_proto_req g = {.op = MB_OP_GET, .proto = MB_PROTO_BINARY, .key = "k1", .key_len = 2,
				 .opaque = 5};
	assert_int_equal(mb_proto_encode(&rq, &g), 0);
	bin_resp(&rs, 0x00, 0, 5, NULL, "vv");
	rs.data[16 + 7] = 9; /* cas 9 */
	assert_int_equal(mb_proto_conn_feed(c, MB_DIR_REQUEST, rq.data, rq.len, 1), 0);
	assert_int_equal(mb_proto_conn_feed(c, MB_DIR_RESPONSE, rs.data, rs.len, 2), 0);
	mb_proto_conn_finish(c);
	assert_int_equal(cs.n, 1);
	assert_true(cs.cas[0] == 9);
	mb_proto_conn_free(c);
	mb_buf_free(&rq);
	mb_buf_free(&rs);
}

/* Recorded meta flags (format 1.1) are sent as recorded, with O, C, E, T (and an absolute N)
 * filled in from the request, and a key recorded in base64 sent in base64. */
static void test_encode_meta_recorded(void **state)
{
	(void)state;
	static const struct {
		uint8_t op;
		const char *key, *flags;
		uint32_t vlen;
		int32_t ttl;
		const char *want;
	} cases[] = {
		{MB_OP_MA, "ctr", "N0 J13 q O C T5", 0, 77, "ma ctr N0 J13 q O7 C99 T77\r\n"},
		{MB_OP_MG, "k", "b v", 0, 0, "mg aw== v b\r\n"},
		{MB_OP_MS, "k", "C E T0 MA", 2, 0, "ms k 2 C99 E99 T0 MA\r\nAB\r\n"},
		{MB_OP_MG, "k", "N1700000000 v", 0, 1900000000, "mg k N1900000000 v\r\n"},
		{MB_OP_MD, "k", "q I T30", 0, 30, "md k q I T30\r\n"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct mb_buf out = {0};
		struct mb_proto_req r = {.op = cases[i].op, .proto = MB_PROTO_META,
					 .key = cases[i].key, .key_len = (uint32_t)strlen(cases[i].key),
					 .value = "AB", .value_len = cases[i].vlen, .ttl = cases[i].ttl,
					 .arg = 99, .opaque = 7, .meta_flags = cases[i].flags,
					 .meta_flags_len = (uint32_t)strlen(cases[i].flags)};
		assert_int_equal(mb_proto_encode(&out, &r), 0);
		assert_int_equal(mb_buf_append(&out, "", 1), 0);
		assert_string_equal(out.data, cases[i].want);
		mb_buf_free(&out);
	}
}

static void test_binary_quiet(void **state)
{
	(void)state;
	const char *keys[] = {"k1", "k2", "k3"};
	uint32_t lens[] = {2, 2, 2};
	struct mb_buf req = {0}, resp = {0};
	struct mb_proto_req r = {.op = MB_OP_GET, .proto = MB_PROTO_BINARY, .keys = keys,
				 .key_lens = lens, .nkeys = 2, .opaque = 9, .noreply = true};
	assert_int_equal(mb_proto_encode(&req, &r), 0);
	r.noreply = false;
	r.keys = keys + 2;
	r.key_lens = lens + 2;
	r.nkeys = 1;
	assert_int_equal(mb_proto_encode(&req, &r), 0); /* one key: plain get */
	struct mb_proto_req s = {.op = MB_OP_SET, .proto = MB_PROTO_BINARY, .noreply = true,
				 .key = "k4", .key_len = 2, .value = "abc", .value_len = 3, .opaque = 10};
	assert_int_equal(mb_proto_encode(&req, &s), 0);
	struct mb_proto_req n = {.op = MB_OP_MN, .proto = MB_PROTO_BINARY, .opaque = 11};
	assert_int_equal(mb_proto_encode(&req, &n), 0);
	assert_int_equal(req.len, 3 * 26 + 24 + 8 + 2 + 3 + 24);
	assert_int_equal((unsigned char)req.data[1], 0x0d);
	assert_int_equal((unsigned char)req.data[53], 0x00);
	bin_resp(&resp, 0x0d, 0, 9, "k2", "vv");  /* getkq hit */
	bin_resp(&resp, 0x00, 1, 9, NULL, NULL);  /* get miss (not quiet: answered) */
	bin_resp(&resp, 0x0a, 0, 11, NULL, NULL); /* noop */
	struct transcript t = {0};
	tr_add(&t, MB_DIR_REQUEST, 5, req.data, req.len);
	tr_add(&t, MB_DIR_RESPONSE, 6, resp.data, resp.len);
	char *got = run_all_splits(&t, NULL);
	expect_text(got,
		    "binary get miss key=k1 vlen=0 flags=0 ttl=0 batch=1 noreply req=5@0 resp=0\n"
		    "binary get hit key=k2 vlen=2 flags=5 ttl=0 batch=1 noreply answered req=5@26 resp=6\n"
		    "binary get miss key=k3 vlen=0 flags=0 ttl=0 batch=1 answered req=5@52 resp=6\n"
		    "binary set stored key=k4 vlen=3 flags=0 ttl=0 batch=1 noreply req=5@78 resp=0\n"
		    "binary mn ok vlen=0 flags=0 ttl=0 batch=1 answered req=5@115 resp=6\n"
		    "stats requests=5 responses=3 errors=0 unpaired=0 resync=0 gaps=0/0 skipped=0\n");
	free(got);
	tr_free(&t);
	mb_buf_free(&req);
	mb_buf_free(&resp);
}

/* Feeds a script of events with gaps: ">" request, "<" response, "G>"/"G<" gap of n bytes. */
struct step {
	const char *what;
	uint64_t time;
	const char *bytes;
	uint64_t gap;
};

static char *run_steps(const struct step *steps, const struct mb_proto_opts *opts);

static void on_cmd_cb(void *ctx, const struct mb_proto_cmd *cmd)
{
	tr_render(ctx, cmd);
}

static void on_err_cb(void *ctx, enum mb_dir dir, uint64_t off, const char *why)
{
	mb_buf_printf(ctx, "! %s @%llu %s\n", dir == MB_DIR_REQUEST ? "req" : "resp",
		      (unsigned long long)off, why);
}

static char *run_steps(const struct step *steps, const struct mb_proto_opts *opts)
{
	struct mb_buf out = {0};
	struct mb_proto_opts o = {0};
	if (opts)
		o = *opts;
	o.on_error = on_err_cb;
	struct mb_proto_conn *c = mb_proto_conn_new(&o, on_cmd_cb, &out);
	assert_non_null(c);
	for (const struct step *s = steps; s->what; s++) {
		enum mb_dir dir = strchr(s->what, '>') ? MB_DIR_REQUEST : MB_DIR_RESPONSE;
		if (s->what[0] == 'G')
			assert_int_equal(mb_proto_conn_gap(c, dir, s->gap, s->time), 0);
		else
			assert_int_equal(mb_proto_conn_feed(c, dir, s->bytes, strlen(s->bytes), s->time), 0);
	}
	mb_proto_conn_finish(c);
	const struct mb_proto_stats *st = mb_proto_conn_stats(c);
	mb_buf_printf(&out, "stats requests=%llu responses=%llu errors=%llu unpaired=%llu resync=%llu gaps=%llu/%llu skipped=%llu\n",
		      (unsigned long long)st->requests, (unsigned long long)st->responses,
		      (unsigned long long)st->protocol_errors, (unsigned long long)st->unpaired_responses,
		      (unsigned long long)st->resync_bytes, (unsigned long long)st->gaps,
		      (unsigned long long)st->gap_bytes, (unsigned long long)st->gap_bytes_skipped);
	mb_proto_conn_free(c);
	mb_buf_append(&out, "", 1);
	return out.data;
}

/* A gap inside a value payload (the capture copied only part of a big buffer) loses nothing. */
static void test_gap_in_payload(void **state)
{
	(void)state;
	const struct step steps[] = {
		{">", 10, "set big 3 0 10\r\n0123", 0},
		{"G>", 10, NULL, 4},
		{">", 10, "89\r\nget big\r\n", 0},
		{"<", 20, "STORED\r\nVALUE big 3 10\r\n01", 0},
		{"G<", 20, NULL, 9},
		{"<", 21, "\nEND\r\n", 0},
		{NULL, 0, NULL, 0},
	};
	char *got = run_steps(steps, NULL);
	expect_text(got,
		    "text set stored key=big vlen=10 flags=3 ttl=0 batch=1 answered req=10@0 resp=20\n"
		    "text get hit key=big vlen=10 flags=3 ttl=0 batch=1 answered req=10@28 resp=20\n"
		    "stats requests=2 responses=2 errors=0 unpaired=0 resync=0 gaps=2/13 skipped=13\n");
	free(got);
}

/* Requests lost on the request side: replies seen before the next surviving request was sent
 * belong to the lost ones and are not paired; the parser resumes at the next valid line. */
static void test_gap_request_side(void **state)
{
	(void)state;
	const struct step steps[] = {
		{">", 10, "get a\r\n", 0},
		{"<", 11, "END\r\n", 0},
		{">", 20, "set k 0 0 5\r\nhel", 0},
		{"G>", 20, NULL, 13}, /* "lo\r\nget c\r\nse" lost: the payload and beyond */
		{">", 30, "t j 0 0 1\r\nx\r\nget d\r\n", 0},
		{"<", 21, "STORED\r\n", 0},
		{"<", 25, "VALUE c 0 1\r\nx\r\nEND\r\n", 0},
		{"<", 31, "END\r\n", 0},
		{NULL, 0, NULL, 0},
	};
	char *got = run_steps(steps, NULL);
	expect_text(got,
		    "text get miss key=a vlen=0 flags=0 ttl=0 batch=1 answered req=10@0 resp=11\n"
		    "text set stored key=k vlen=5 flags=0 ttl=0 batch=1 answered req=20@7 resp=21\n"
		    "text get miss key=d vlen=0 flags=0 ttl=0 batch=1 answered req=30@50 resp=31\n"
		    "stats requests=3 responses=3 errors=0 unpaired=2 resync=14 gaps=1/13 skipped=4\n");
	free(got);
}

/* Responses lost: the requests waiting are reported without a response, never guessed. */
static void test_gap_response_side(void **state)
{
	(void)state;
	const struct step steps[] = {
		{">", 10, "get a\r\nget b\r\nget c\r\n", 0},
		{"<", 20, "VALUE a 0 1\r\n1\r\nEND\r\nVA", 0},
		{"G<", 21, NULL, 10},
		{"<", 22, "\r\nEND\r\nEND\r\n", 0},
		{">", 30, "delete e\r\n", 0},
		{"<", 31, "DELETED\r\n", 0},
		{NULL, 0, NULL, 0},
	};
	char *got = run_steps(steps, NULL);
	expect_text(got,
		    "text get hit key=a vlen=1 flags=0 ttl=0 batch=1 answered req=10@0 resp=20\n"
		    "text get none key=b vlen=0 flags=0 ttl=0 batch=1 req=10@7 resp=0\n"
		    "text get none key=c vlen=0 flags=0 ttl=0 batch=1 req=10@14 resp=0\n"
		    "text delete deleted key=e vlen=0 flags=0 ttl=0 batch=1 answered req=30@21 resp=31\n"
		    "stats requests=4 responses=2 errors=0 unpaired=2 resync=2 gaps=1/10 skipped=0\n");
	free(got);
}

/* Bad input is counted with its offset and never derails what follows. */
static void test_bad_input(void **state)
{
	(void)state;
	struct mb_proto_opts opts = {.max_value_len = 100};
	struct mb_buf longline = {0};
	mb_buf_printf(&longline, "set ");
	for (int i = 0; i < 3 * MB_PROTO_MAX_LINE; i++)
		mb_buf_append(&longline, "x", 1);
	mb_buf_printf(&longline, " 0 0 1\r\n");
	mb_buf_append(&longline, "", 1);
	const struct step steps[] = {
		{">", 1, "set k abc 0 1\r\n", 0},         /* invalid flags: CLIENT_ERROR */
		{">", 1, "set k 0 0 -5\r\n", 0},          /* negative length: CLIENT_ERROR */
		{">", 1, "set k 0 0 500\r\n", 0},         /* past max_value_len: data skipped */
		{">", 1, "", 0},
		{">", 1, longline.data, 0},               /* over-long line: dropped */
		{">", 1, "incr k 12x\r\ntouch k\r\n", 0},  /* invalid number, missing argument */
		{">", 1, "get ok\r\n", 0},
		{"<", 2, "CLIENT_ERROR bad command line format\r\n"
			 "CLIENT_ERROR bad command line format\r\n"
			 "SERVER_ERROR object too large for cache\r\n"
			 "CLIENT_ERROR invalid numeric delta argument\r\nERROR\r\n"
			 "\x01\x02garbage\r\nEND\r\n", 0},
		{NULL, 0, NULL, 0},
	};
	char *got = run_steps(steps, &opts);
	/* the 500-byte data block of the third set is swallowed as memcached does */
	assert_non_null(strstr(got, "! req @0 bad storage command line"));
	assert_non_null(strstr(got, "! req @15 bad storage command line"));
	assert_non_null(strstr(got, "! req @29 value length past max_value_len"));
	assert_non_null(strstr(got, "line too long"));
	assert_non_null(strstr(got, "! resp @"));
	assert_non_null(strstr(got, "text set client_error vlen=0"));
	assert_non_null(strstr(got, "text set server_error key=k vlen=500"));
	assert_non_null(strstr(got, "text incr client_error"));
	assert_non_null(strstr(got, "text touch error"));
	assert_non_null(strstr(got, "text get miss key=ok vlen=0 flags=0 ttl=0 batch=1 answered"));
	free(got);
	mb_buf_free(&longline);

	/* a reply line announcing a value past max_value_len: what follows is skipped up to the
	 * next valid reply, which still pairs */
	const struct step replies[] = {
		{">", 1, "get k\r\n", 0},
		{"<", 2, "VALUE k 0 999999\r\njunk junk\r\nEND\r\n", 0},
		{NULL, 0, NULL, 0},
	};
	got = run_steps(replies, &opts);
	expect_text(got,
		    "! resp @0 malformed or unknown response line\n"
		    "text get miss key=k vlen=0 flags=0 ttl=0 batch=1 answered req=1@0 resp=2\n"
		    "stats requests=1 responses=1 errors=1 unpaired=1 resync=11 gaps=0/0 skipped=0\n");
	free(got);
}

/* xorshift: deterministic noise */
static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* Binary noise on both directions of text and binary connections: no crash, bounded work, the
 * parser keeps counting and comes back on valid input. */
static void test_noise(void **state)
{
	(void)state;
	uint64_t seed = 0x9e3779b97f4a7c15ull;
	for (int first = 0; first < 2; first++) {
		struct mb_buf out = {0};
		struct mb_proto_opts o = {.on_error = on_err_cb, .max_pending = 64};
		struct mb_proto_conn *c = mb_proto_conn_new(&o, on_cmd_cb, &out);
		assert_non_null(c);
		uint8_t head = first ? 0x80 : 'g';
		assert_int_equal(mb_proto_conn_feed(c, MB_DIR_REQUEST, &head, 1, 1), 0);
		for (int round = 0; round < 200; round++) {
			uint8_t buf[512];
			size_t n = rnd(&seed) % sizeof(buf) + 1;
			for (size_t i = 0; i < n; i++)
				buf[i] = (uint8_t)rnd(&seed);
			enum mb_dir dir = rnd(&seed) & 1 ? MB_DIR_REQUEST : MB_DIR_RESPONSE;
			if (rnd(&seed) % 8 == 0)
				mb_proto_conn_gap(c, dir, rnd(&seed) % 100000, round);
			else
				assert_int_equal(mb_proto_conn_feed(c, dir, buf, n, round), 0);
		}
		assert_true(mb_proto_conn_stats(c)->protocol_errors + mb_proto_conn_stats(c)->resync_bytes > 0);
		mb_proto_conn_finish(c);
		mb_proto_conn_free(c);
		mb_buf_free(&out);
	}
}

static int emitted;
static void count_cb(void *ctx, const struct mb_proto_cmd *cmd)
{
	(void)ctx;
	(void)cmd;
	emitted++;
}

/* Requests that never get a response (one direction not captured) stay bounded. */
static void test_max_pending(void **state)
{
	(void)state;
	struct mb_proto_opts o = {.max_pending = 16};
	struct mb_proto_conn *c = mb_proto_conn_new(&o, count_cb, NULL);
	emitted = 0;
	for (int i = 0; i < 1000; i++)
		assert_int_equal(mb_proto_conn_feed(c, MB_DIR_REQUEST, S("get somekey\r\n"), (uint64_t)i), 0);
	assert_int_equal(emitted, 1000 - 16);
	assert_int_equal(mb_proto_conn_stats(c)->protocol_errors, 1000 - 16);
	mb_proto_conn_finish(c);
	assert_int_equal(emitted, 1000);
	mb_proto_conn_free(c);
}

static void expect_encode(const struct mb_proto_req *r, const char *want, size_t wlen)
{
	struct mb_buf b = {0};
	assert_int_equal(mb_proto_encode(&b, r), 0);
	if (b.len != wlen || memcmp(b.data, want, wlen) != 0) {
		fprintf(stderr, "encoded %zu bytes: %.*s\n", b.len, (int)b.len, b.data);
		fail();
	}
	mb_buf_free(&b);
}

static void test_encode(void **state)
{
	(void)state;
	const char *keys[] = {"a", "bb"};
	uint32_t lens[] = {1, 2};
	struct mb_proto_req r = {.op = MB_OP_GET, .proto = MB_PROTO_TEXT, .keys = keys,
				 .key_lens = lens, .nkeys = 2};
	expect_encode(&r, S("get a bb\r\n"));
	r = (struct mb_proto_req){.op = MB_OP_GATS, .proto = MB_PROTO_TEXT, .key = "k", .key_len = 1,
				  .ttl = 30};
	expect_encode(&r, S("gats 30 k\r\n"));
	r = (struct mb_proto_req){.op = MB_OP_CAS, .proto = MB_PROTO_TEXT, .key = "k", .key_len = 1,
				  .value = "xyz", .value_len = 3, .client_flags = 5, .ttl = 60,
				  .arg = 77, .noreply = true};
	expect_encode(&r, S("cas k 5 60 3 77 noreply\r\nxyz\r\n"));
	r = (struct mb_proto_req){.op = MB_OP_SET, .proto = MB_PROTO_TEXT, .key = "k", .key_len = 1,
				  .value_len = 4};
	expect_encode(&r, S("set k 0 0 4\r\nabcd\r\n"));
	r = (struct mb_proto_req){.op = MB_OP_DECR, .proto = MB_PROTO_TEXT, .key = "n", .key_len = 1,
				  .arg = 3};
	expect_encode(&r, S("decr n 3\r\n"));
	r = (struct mb_proto_req){.op = MB_OP_APPEND, .proto = MB_PROTO_META, .key = "k",
				  .key_len = 1, .value = "z", .value_len = 1, .ttl = 9,
				  .noreply = true, .opaque = 4};
	expect_encode(&r, S("ms k 1 F0 T9 MA q O4\r\nz\r\n"));
	r = (struct mb_proto_req){.op = MB_OP_GETS, .proto = MB_PROTO_META, .key = "a b",
				  .key_len = 3};
	expect_encode(&r, S("mg YSBi v f c b\r\n"));
	r = (struct mb_proto_req){.op = MB_OP_DECR, .proto = MB_PROTO_META, .key = "n", .key_len = 1,
				  .arg = 2};
	expect_encode(&r, S("ma n MD D2\r\n"));
	r = (struct mb_proto_req){.op = MB_OP_TOUCH, .proto = MB_PROTO_META, .key = "t", .key_len = 1,
				  .ttl = 5};
	expect_encode(&r, S("mg t T5\r\n"));
	r = (struct mb_proto_req){.op = MB_OP_DELETE, .proto = MB_PROTO_BINARY, .key = "kk",
				  .key_len = 2, .noreply = true, .opaque = 0x01020304};
	expect_encode(&r, S("\x80\x14\x00\x02\x00\x00\x00\x00\x00\x00\x00\x02\x01\x02\x03\x04"
			    "\x00\x00\x00\x00\x00\x00\x00\x00kk"));
	/* errors */
	struct mb_buf b = {0};
	r = (struct mb_proto_req){.op = MB_OP_GET, .proto = MB_PROTO_TEXT, .key = "a b", .key_len = 3};
	assert_int_equal(mb_proto_encode(&b, &r), MB_E_USAGE);
	r = (struct mb_proto_req){.op = MB_OP_OTHER, .proto = MB_PROTO_TEXT};
	assert_int_equal(mb_proto_encode(&b, &r), MB_E_USAGE);
	r = (struct mb_proto_req){.op = MB_OP_VERBOSITY, .proto = MB_PROTO_BINARY};
	assert_int_equal(mb_proto_encode(&b, &r), MB_E_UNSUPPORTED);
	assert_int_equal(b.len, 0);
	mb_buf_free(&b);
}


/* A capture that joins a connection mid-stream: the tail of a value looks like an unknown
 * command, the first reply answers a request never seen. Neither derails what follows, with or
 * without the caller declaring the unknown prefix as a gap. */
struct parsed {
	unsigned n;
	struct mb_proto_cmd first;
};

static void on_cmd_first(void *ctx, const struct mb_proto_cmd *cmd)
{
	struct parsed *p = ctx;
	if (p->n++ == 0)
		p->first = *cmd;
}

/* Every command the encoder writes, in every protocol, parses back as the command the
 * protocol carries it as: the encoder's words and opcodes (membench/ops.h) and the parsers'
 * tables (text.c, binary.c) must agree. Meta carries reads and touch as mg, stores as ms,
 * deletes as md, arithmetic as ma, and has no form for the admin commands (sent as text);
 * binary has no gets/gats (get/gat return the cas anyway). A noreply request sent in binary
 * comes back noreply wherever the protocol has a quiet opcode. */
static void test_encode_parses_back(void **state)
{
	(void)state;
	static const uint8_t meta_op[] = {
		[MB_OPC_READ] = MB_OP_MG, [MB_OPC_STORAGE] = MB_OP_MS, [MB_OPC_ARITH] = MB_OP_MA,
		[MB_OPC_DELETE] = MB_OP_MD, [MB_OPC_TOUCH] = MB_OP_MG,
	};
	unsigned checked = 0;
	for (unsigned op = 0; op < MB_OP_COUNT; op++) {
		for (unsigned proto = 0; proto < MB_PROTO_COUNT; proto++) {
			for (int q = 0; q < 2; q++) {
				struct mb_proto_req r = {.op = (uint8_t)op, .proto = (uint8_t)proto,
							 .noreply = q, .key = "k", .key_len = 1,
							 .value_len = 3, .ttl = 5, .arg = 1};
				struct mb_buf b = {0};
				int rc = mb_proto_encode(&b, &r);
				if (rc == MB_E_USAGE || rc == MB_E_UNSUPPORTED) {
					mb_buf_free(&b);
					continue; /* no form in this protocol (other, binary mg ...) */
				}
				assert_int_equal(rc, 0);
				struct parsed p = {0};
				struct mb_proto_conn *c = mb_proto_conn_new(NULL, on_cmd_first, &p);
				assert_non_null(c);
				assert_int_equal(mb_proto_conn_feed(c, MB_DIR_REQUEST, b.data, b.len, 1), 0);
				mb_proto_conn_finish(c);
				unsigned want = op, want_proto = proto;
				const struct mb_op_info *in = mb_op_info(op);
				if (proto == MB_PROTO_TEXT && !in->text)
					want_proto = MB_PROTO_META; /* a meta command on a text connection */
				if (proto == MB_PROTO_META && !in->meta)
					want_proto = MB_PROTO_TEXT; /* no meta form: sent as text */
				if (want_proto == MB_PROTO_META && in->cls < MB_OPC_OTHER)
					want = meta_op[in->cls];
				if (proto == MB_PROTO_BINARY && (op == MB_OP_GETS || op == MB_OP_GATS))
					want = op == MB_OP_GETS ? MB_OP_GET : MB_OP_GAT;
				if (p.n == 0 || p.first.op != want || p.first.proto != want_proto)
					fail_msg("%s/%s%s: parsed %u commands, first %s/%s", mb_op_name(op),
						 mb_proto_name(proto), q ? " noreply" : "", p.n,
						 p.n ? mb_op_name(p.first.op) : "-",
						 p.n ? mb_proto_name(p.first.proto) : "-");
				/* binary has quiet opcodes for all but touch, stat, version, noop */
				bool quiet_form = op != MB_OP_TOUCH && op != MB_OP_STATS &&
						  op != MB_OP_VERSION && op != MB_OP_MN;
				if (proto == MB_PROTO_BINARY)
					assert_int_equal(!!(p.first.rflags & MB_RF_NOREPLY),
							 q && quiet_form);
				if (p.first.key_len)
					assert_memory_equal(p.first.key, "k", 1);
				mb_proto_conn_free(c);
				mb_buf_free(&b);
				checked++;
			}
		}
	}
	print_message("%u encodings parsed back\n", checked);
	assert_true(checked > 100);
}

static void test_join_midstream(void **state)
{
	(void)state;
	const struct step plain[] = {
		{">", 10, "3456789\r\nget a\r\n", 0},
		{"<", 11, "STORED\r\nEND\r\n", 0},
		{">", 20, "delete a\r\n", 0},
		{"<", 21, "NOT_FOUND\r\n", 0},
		{NULL, 0, NULL, 0},
	};
	char *got = run_steps(plain, NULL);
	expect_text(got,
		    "! req @0 unknown command\n"
		    "text other none vlen=0 flags=0 ttl=0 batch=1 req=10@0 resp=0\n"
		    "! resp @0 response does not answer the pending request\n"
		    "text get miss key=a vlen=0 flags=0 ttl=0 batch=1 answered req=10@9 resp=11\n"
		    "text delete not_found key=a vlen=0 flags=0 ttl=0 batch=1 answered req=20@16 resp=21\n"
		    "stats requests=3 responses=2 errors=2 unpaired=1 resync=0 gaps=0/0 skipped=0\n");
	free(got);
	const struct step declared[] = {
		{"G>", 9, NULL, 1000},
		{"G<", 9, NULL, 1000},
		{">", 10, "3456789\r\nget a\r\n", 0},
		{"<", 11, "STORED\r\nEND\r\n", 0},
		{NULL, 0, NULL, 0},
	};
	got = run_steps(declared, NULL);
	expect_text(got,
		    "text get miss key=a vlen=0 flags=0 ttl=0 batch=1 answered req=10@1009 resp=11\n"
		    "stats requests=1 responses=1 errors=0 unpaired=1 resync=9 gaps=2/2000 skipped=0\n");
	free(got);
}

/* Binary: a gap that cuts a header starts a scan for the next plausible header; the reply to
 * the lost request (sent before the next surviving one) is not paired with anything. */
static void test_gap_binary(void **state)
{
	(void)state;
	struct mb_buf a = {0}, b = {0}, cc = {0}, ra = {0}, rb = {0}, rc = {0};
	struct mb_proto_req r = {.op = MB_OP_GET, .proto = MB_PROTO_BINARY, .key = "a", .key_len = 1,
				 .opaque = 1};
	assert_int_equal(mb_proto_encode(&a, &r), 0);
	r.key = "bbbbbbbbbbbbbbbbbbbb";
	r.key_len = 20;
	r.opaque = 2;
	assert_int_equal(mb_proto_encode(&b, &r), 0);
	r.key = "c";
	r.key_len = 1;
	r.opaque = 3;
	assert_int_equal(mb_proto_encode(&cc, &r), 0);
	bin_resp(&ra, 0x00, 1, 1, NULL, NULL);
	bin_resp(&rb, 0x00, 0, 2, NULL, "vvv");
	bin_resp(&rc, 0x00, 0, 3, NULL, "cc");
	struct mb_buf out = {0};
	struct mb_proto_opts o = {.on_error = on_err_cb};
	struct mb_proto_conn *c = mb_proto_conn_new(&o, on_cmd_cb, &out);
	assert_int_equal(mb_proto_conn_feed(c, MB_DIR_REQUEST, a.data, a.len, 10), 0);
	assert_int_equal(mb_proto_conn_feed(c, MB_DIR_RESPONSE, ra.data, ra.len, 11), 0);
	assert_int_equal(mb_proto_conn_feed(c, MB_DIR_REQUEST, b.data, 10, 20), 0);
	assert_int_equal(mb_proto_conn_gap(c, MB_DIR_REQUEST, 20, 20), 0);
	/* the rest of b (14 bytes: the key's tail) is noise to the scanner */
	assert_int_equal(mb_proto_conn_feed(c, MB_DIR_REQUEST, b.data + 30, b.len - 30, 20), 0);
	assert_int_equal(mb_proto_conn_feed(c, MB_DIR_RESPONSE, rb.data, rb.len, 21), 0);
	assert_int_equal(mb_proto_conn_feed(c, MB_DIR_REQUEST, cc.data, cc.len, 30), 0);
	assert_int_equal(mb_proto_conn_feed(c, MB_DIR_RESPONSE, rc.data, rc.len, 31), 0);
	mb_proto_conn_finish(c);
	const struct mb_proto_stats *st = mb_proto_conn_stats(c);
	assert_int_equal(st->unpaired_responses, 1);
	assert_int_equal(st->resync_bytes, 14);
	mb_proto_conn_free(c);
	assert_int_equal(mb_buf_append(&out, "", 1), 0);
	expect_text(out.data,
		    "binary get miss key=a vlen=0 flags=0 ttl=0 batch=1 answered req=10@0 resp=11\n"
		    "binary get hit key=c vlen=2 flags=5 ttl=0 batch=1 answered req=30@69 resp=31\n");
	mb_buf_free(&out);
	mb_buf_free(&a);
	mb_buf_free(&b);
	mb_buf_free(&cc);
	mb_buf_free(&ra);
	mb_buf_free(&rb);
	mb_buf_free(&rc);
}

/* A gap in the middle of a streamed multiget: the keys before it are one command, the line's
 * tail is discarded and the next command is found. */
static void test_gap_in_streamed_get(void **state)
{
	(void)state;
	struct mb_buf req = {0};
	mb_buf_printf(&req, "get");
	for (int i = 0; i < 1000; i++)
		mb_buf_printf(&req, " k%05d", i);
	const struct step steps[] = {
		{">", 1, req.data, 0},
		{"G>", 1, NULL, 50},
		{">", 1, " k99998 k99999\r\nget z\r\n", 0},
		{"<", 2, "VALUE k00001 0 1\r\nx\r\nEND\r\n", 0},
		{"<", 3, "END\r\n", 0},
		{NULL, 0, NULL, 0},
	};
	assert_int_equal(mb_buf_append(&req, "", 1), 0);
	char *got = run_steps(steps, NULL);
	if (getenv("MB_TEST_VERBOSE"))
		fputs(got, stderr);
	assert_non_null(strstr(got, "text get hit key=k00001 vlen=1 flags=0 ttl=0 batch=999 cont answered req=1@0 resp=2\n"));
	assert_non_null(strstr(got, "text get miss key=k00998 vlen=0 flags=0 ttl=0 batch=999 cont answered req=1@0 resp=2\n"));
	assert_null(strstr(got, "key=k00999"));
	assert_non_null(strstr(got, "text get miss key=z vlen=0 flags=0 ttl=0 batch=1 answered req=1@7069 resp=3\n"));
	assert_non_null(strstr(got, "stats requests=2 responses=2 errors=0 unpaired=0 resync=16 gaps=1/50"));
	free(got);
	mb_buf_free(&req);
}

/* ---- round trip: encode -> real memcached -> parse the replies ---------------------------- */

struct rt_step {
	uint8_t op;
	const char *keys; /* space-separated */
	const char *value;
	uint64_t arg;
	int32_t ttl;
	bool noreply;
	uint32_t flags;
	/* expected statuses, one per key, per protocol (text, meta, binary); "-" = not sent */
	const char *want[3];
};

static const struct rt_step rt_steps[] = {
	{MB_OP_FLUSH_ALL, NULL, NULL, 0, 0, false, 0, {"ok", "ok", "ok"}},
	{MB_OP_SET, "k1", "hello", 0, 0, false, 3, {"stored", "stored", "stored"}},
	{MB_OP_GET, "k1", NULL, 0, 0, false, 0, {"hit", "hit", "hit"}},
	{MB_OP_ADD, "k1", "x", 0, 0, false, 0, {"not_stored", "not_stored", "not_stored"}},
	{MB_OP_ADD, "k2", "x", 0, 0, false, 0, {"stored", "stored", "stored"}},
	{MB_OP_REPLACE, "nokey", "x", 0, 0, false, 0, {"not_stored", "not_stored", "not_found"}},
	{MB_OP_APPEND, "k1", "!!", 0, 0, false, 0, {"stored", "stored", "stored"}},
	{MB_OP_PREPEND, "k1", "<<", 0, 0, false, 0, {"stored", "stored", "stored"}},
	{MB_OP_GETS, "k1", NULL, 0, 0, false, 0, {"hit", "hit", "hit"}},
	{MB_OP_CAS, "k1", "c", 1, 0, false, 0, {"exists", "exists", "exists"}},
	{MB_OP_GET, "k1 k2 nokey", NULL, 0, 0, false, 0, {"hit hit miss", "hit hit miss", "hit hit miss"}},
	{MB_OP_TOUCH, "k1", NULL, 0, 100, false, 0, {"touched", "hit", "touched"}},
	{MB_OP_TOUCH, "nokey", NULL, 0, 100, false, 0, {"not_found", "miss", "not_found"}},
	{MB_OP_GAT, "k1 nokey", NULL, 0, 100, false, 0, {"hit miss", "hit miss", "hit miss"}},
	{MB_OP_GATS, "k2", NULL, 0, 0, false, 0, {"hit", "hit", "hit"}},
	{MB_OP_SET, "n", "10", 0, 0, false, 0, {"stored", "stored", "stored"}},
	{MB_OP_INCR, "n", NULL, 5, 0, false, 0, {"ok", "ok", "ok"}},
	{MB_OP_DECR, "n", NULL, 3, 0, false, 0, {"ok", "ok", "ok"}},
	{MB_OP_INCR, "nokey", NULL, 1, 0, false, 0, {"not_found", "not_found", "not_found"}},
	{MB_OP_DELETE, "k2", NULL, 0, 0, false, 0, {"deleted", "deleted", "deleted"}},
	{MB_OP_DELETE, "k2", NULL, 0, 0, false, 0, {"not_found", "not_found", "not_found"}},
	/* quiet / noreply: resolved by the next reply (text noreply: no outcome at all) */
	{MB_OP_SET, "k3", "quiet", 0, 0, true, 0, {"none", "stored", "stored"}},
	{MB_OP_GET, "k3 nokey", NULL, 0, 0, true, 0, {"-", "hit miss", "hit miss"}},
	{MB_OP_DELETE, "k3", NULL, 0, 0, true, 0, {"none", "deleted", "deleted"}},
	{MB_OP_GET, "k3", NULL, 0, 0, false, 0, {"miss", "miss", "miss"}},
	{MB_OP_MN, NULL, NULL, 0, 0, false, 0, {"-", "ok", "ok"}},
	{MB_OP_MS, "m1", "meta", 0, 0, false, 0, {"-", "stored", "-"}},
	{MB_OP_MG, "m1", NULL, 0, 0, false, 0, {"-", "hit", "-"}},
	{MB_OP_MA, "m1", NULL, 1, 0, false, 0, {"-", "client_error", "-"}},
	{MB_OP_MD, "m1", NULL, 0, 0, false, 0, {"-", "deleted", "-"}},
	{MB_OP_ME, "m1", NULL, 0, 0, false, 0, {"-", "miss", "-"}},
	{MB_OP_STATS, NULL, NULL, 0, 0, false, 0, {"ok", "ok", "ok"}},
	{MB_OP_VERSION, NULL, NULL, 0, 0, false, 0, {"ok", "ok", "ok"}},
	{MB_OP_VERBOSITY, NULL, NULL, 0, 0, false, 0, {"ok", "ok", "-"}},
	{MB_OP_FLUSH_ALL, NULL, NULL, 0, 0, true, 0, {"none", "none", "ok"}},
	{MB_OP_VERSION, NULL, NULL, 0, 0, false, 0, {"ok", "ok", "ok"}},
};

struct rt_ctx {
	struct mb_buf got; /* "status " per reported record */
	size_t n;
};

static void rt_cb(void *ctx, const struct mb_proto_cmd *cmd)
{
	struct rt_ctx *r = ctx;
	mb_buf_printf(&r->got, "%s%s", r->n ? " " : "", mb_status_name(cmd->status));
	r->n++;
}

static int rt_connect(int port)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	assert_true(fd >= 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

static void test_roundtrip_memcached(void **state)
{
	(void)state;
	struct mb_test_memcached mc;
	int rc = mb_test_memcached_start(&mc, NULL);
	if (rc == MB_TEST_SKIP)
		skip();
	assert_int_equal(rc, 0);
	for (int proto = 0; proto < 3; proto++) {
		int fd = rt_connect(mc.port);
		struct rt_ctx ctx = {0};
		struct mb_buf want = {0};
		size_t nwant = 0;
		struct mb_proto_conn *c = mb_proto_conn_new(NULL, rt_cb, &ctx);
		assert_non_null(c);
		uint64_t t = 1;
		for (size_t i = 0; i < sizeof(rt_steps) / sizeof(rt_steps[0]); i++) {
			const struct rt_step *st = &rt_steps[i];
			if (!strcmp(st->want[proto], "-"))
				continue;
			char keybuf[128] = "";
			const char *keys[4];
			uint32_t lens[4];
			uint32_t nk = 0;
			if (st->keys) {
				snprintf(keybuf, sizeof(keybuf), "%s", st->keys);
				for (char *tok = strtok(keybuf, " "); tok && nk < 4; tok = strtok(NULL, " ")) {
					keys[nk] = tok;
					lens[nk++] = (uint32_t)strlen(tok);
				}
			}
			struct mb_proto_req r = {
				.op = st->op, .proto = (uint8_t)proto, .noreply = st->noreply,
				.keys = nk > 1 ? keys : NULL, .key_lens = nk > 1 ? lens : NULL,
				.nkeys = nk > 1 ? nk : 0, .key = nk ? keys[0] : NULL,
				.key_len = nk ? lens[0] : 0, .value = st->value,
				.value_len = st->value ? (uint32_t)strlen(st->value) : 0,
				.client_flags = st->flags, .ttl = st->ttl, .arg = st->arg,
				.opaque = (uint32_t)i + 1,
			};
			struct mb_buf out = {0};
			rc = mb_proto_encode(&out, &r);
			if (rc) {
				fprintf(stderr, "encode %s/%s: %s\n", mb_proto_name((unsigned)proto),
					mb_op_name(st->op), mb_strerror(rc));
				fail();
			}
			assert_int_equal(write(fd, out.data, out.len), (ssize_t)out.len);
			assert_int_equal(mb_proto_conn_feed(c, MB_DIR_REQUEST, out.data, out.len, t++), 0);
			mb_buf_free(&out);
			mb_buf_printf(&want, "%s%s", want.len ? " " : "", st->want[proto]);
			nwant += (size_t)(nk > 1 ? nk : 1);
			if (st->noreply)
				continue; /* its outcome arrives with the next reply */
			while (ctx.n < nwant) {
				struct pollfd pfd = {.fd = fd, .events = POLLIN};
				if (poll(&pfd, 1, 3000) != 1) {
					fprintf(stderr, "%s: no reply to %s (step %zu); have: %.*s\n",
						mb_proto_name((unsigned)proto), mb_op_name(st->op), i,
						(int)ctx.got.len, ctx.got.data);
					fail();
				}
				char buf[65536];
				ssize_t n = read(fd, buf, sizeof(buf));
				assert_true(n > 0);
				assert_int_equal(mb_proto_conn_feed(c, MB_DIR_RESPONSE, buf, (size_t)n, t++), 0);
			}
		}
		mb_proto_conn_finish(c);
		assert_int_equal(mb_buf_append(&want, "", 1), 0);
		assert_int_equal(mb_buf_append(&ctx.got, "", 1), 0);
		if (strcmp(want.data, ctx.got.data) != 0) {
			fprintf(stderr, "%s round trip:\n want %s\n got  %s\n",
				mb_proto_name((unsigned)proto), want.data, ctx.got.data);
			fail();
		}
		const struct mb_proto_stats *ps = mb_proto_conn_stats(c);
		assert_int_equal(ps->protocol_errors, 0);
		assert_int_equal(ps->unpaired_responses, 0);
		mb_proto_conn_free(c);
		mb_buf_free(&want);
		mb_buf_free(&ctx.got);
		close(fd);
	}
	mb_test_memcached_stop(&mc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_text_pipeline),
		cmocka_unit_test(test_transcripts),
		cmocka_unit_test(test_numeric_values),
		cmocka_unit_test(test_cas_unique),
		cmocka_unit_test(test_encode_meta_recorded),
		cmocka_unit_test(test_multiget_streamed),
		cmocka_unit_test(test_meta_quiet),
		cmocka_unit_test(test_binary_quiet),
		cmocka_unit_test(test_gap_in_payload),
		cmocka_unit_test(test_gap_request_side),
		cmocka_unit_test(test_gap_response_side),
		cmocka_unit_test(test_bad_input),
		cmocka_unit_test(test_noise),
		cmocka_unit_test(test_max_pending),
		cmocka_unit_test(test_join_midstream),
		cmocka_unit_test(test_gap_binary),
		cmocka_unit_test(test_gap_in_streamed_get),
		cmocka_unit_test(test_encode),
		cmocka_unit_test(test_encode_parses_back),
		cmocka_unit_test(test_roundtrip_memcached),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
