/* unit: record/capture_stream.c with synthetic capture records (bpf/capture.h layouts) and the real
 * protocol codec: reassembly by offset, gaps (lost vs. announced-but-not-copied), repeated
 * bytes, connections already open when the capture started, struct sock reuse, close with a
 * missing tail, the reorder window, malformed records, and arrival stamps.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <linux/types.h>

#include "capture.h"
#include "capture/stream.h"

#define START 1000
#define SOCK_A 0xffff888100001000ULL
#define SOCK_B 0xffff888100002000ULL

struct got {
	struct mb_record rec;
	char key[256];
	int has_key;
};

struct sinkbuf {
	struct got r[4096];
	size_t n;
};

static int sink(void *ctx, const struct mb_record *rec, const void *key, size_t key_len)
{
	struct sinkbuf *b = ctx;
	assert_true(b->n < 4096);
	struct got *g = &b->r[b->n++];
	g->rec = *rec;
	g->has_key = key != NULL;
	assert_true(key_len < sizeof(g->key));
	if (key)
		memcpy(g->key, key, key_len);
	g->key[key_len] = '\0';
	return 0;
}

static struct capture_stream *new_stream(struct sinkbuf *b, uint64_t window)
{
	memset(b, 0, sizeof(*b));
	struct capture_stream_opts o = {.start_ns = START, .window_ns = window};
	struct capture_stream *s = capture_stream_new(&o, sink, b);
	assert_non_null(s);
	return s;
}

static void ev_conn(struct capture_stream *s, uint8_t kind, uint64_t sock, uint64_t gen, uint64_t ts,
		    int accepted, uint64_t rx, uint64_t tx)
{
	struct mb_cap_conn e;
	memset(&e, 0, sizeof(e));
	e.hdr.ts_ns = ts;
	e.hdr.sock = sock;
	e.hdr.gen = gen;
	e.hdr.kind = kind;
	e.role = MB_CAP_ROLE_SERVER;
	e.accepted = (uint8_t)accepted;
	e.family = 2;
	e.rx_offset = rx;
	e.tx_offset = tx;
	assert_int_equal(capture_stream_event(s, &e, sizeof(e)), 0);
}

/* One data record: bytes [seg_off, seg_off + len) of a segment of seg_len bytes that starts at
 * stream offset seg_start; arrive_ts/arrive_len: the arrival it carries (0: none). */
static void ev_piece_arrived(struct capture_stream *s, uint64_t sock, uint64_t gen, int dir,
			     uint64_t ts, uint64_t seg_start, uint32_t seg_len, uint32_t seg_off,
			     const void *p, uint32_t len, uint64_t arrive_ts, uint32_t arrive_len)
{
	static uint8_t buf[sizeof(struct mb_cap_data) + 70000];
	struct mb_cap_data e;
	memset(&e, 0, sizeof(e));
	e.arrive_ts = arrive_ts;
	e.arrive_len = arrive_len;
	e.hdr.ts_ns = ts;
	e.hdr.sock = sock;
	e.hdr.gen = gen;
	e.hdr.kind = MB_CAP_DATA;
	e.offset = seg_start + seg_off;
	e.seg_len = seg_len;
	e.seg_off = seg_off;
	e.cap_len = len;
	e.dir = (uint8_t)dir;
	memcpy(buf, &e, sizeof(e));
	memcpy(buf + sizeof(e), p, len);
	assert_int_equal(capture_stream_event(s, buf, sizeof(e) + len), 0);
}

static void ev_piece(struct capture_stream *s, uint64_t sock, uint64_t gen, int dir, uint64_t ts,
		     uint64_t seg_start, uint32_t seg_len, uint32_t seg_off, const void *p,
		     uint32_t len)
{
	ev_piece_arrived(s, sock, gen, dir, ts, seg_start, seg_len, seg_off, p, len, 0, 0);
}

/* A whole segment, fully copied. */
static void ev_data(struct capture_stream *s, uint64_t sock, uint64_t gen, int dir, uint64_t ts,
		    uint64_t off, const char *str)
{
	ev_piece(s, sock, gen, dir, ts, off, (uint32_t)strlen(str), 0, str, (uint32_t)strlen(str));
}

#define REQ MB_CAP_DIR_REQUEST
#define RESP MB_CAP_DIR_RESPONSE

static void test_pipelined_text(void **state)
{
	(void)state;
	struct sinkbuf *b = malloc(sizeof(*b));
	struct capture_stream *s = new_stream(b, 0);
	ev_conn(s, MB_CAP_OPEN, SOCK_A, 1, 1100, 1, 0, 0);
	const char *req = "set a 0 0 5\r\nhello\r\nget a\r\n";
	ev_data(s, SOCK_A, 1, REQ, 2000, 0, req);
	/* memcached's reply: three iovecs of one sendmsg, then one more. */
	ev_data(s, SOCK_A, 1, RESP, 3000, 0, "STORED\r\n");
	ev_data(s, SOCK_A, 1, RESP, 3000, 8, "VALUE a 0 5\r\n");
	ev_data(s, SOCK_A, 1, RESP, 3000, 21, "hello\r\n");
	ev_data(s, SOCK_A, 1, RESP, 3500, 28, "END\r\n");
	ev_conn(s, MB_CAP_CLOSE, SOCK_A, 1, 4000, 1, strlen(req), 33);
	assert_int_equal(capture_stream_finish(s), 0);

	assert_int_equal(b->n, 2);
	assert_int_equal(b->r[0].rec.op, MB_OP_SET);
	assert_int_equal(b->r[0].rec.status, MB_STATUS_STORED);
	assert_int_equal(b->r[0].rec.value_len, 5);
	assert_int_equal(b->r[0].rec.time_ns, 2000 - START);
	assert_int_equal(b->r[0].rec.latency_ns, 1000);
	assert_string_equal(b->r[0].key, "a");
	assert_int_equal(b->r[1].rec.op, MB_OP_GET);
	assert_int_equal(b->r[1].rec.status, MB_STATUS_HIT);
	assert_int_equal(b->r[1].rec.value_len, 5);
	assert_int_equal(b->r[1].rec.latency_ns, 1000);
	assert_int_equal(b->r[1].rec.conn_id, 0);

	struct mb_profile_stats st;
	capture_stream_stats(s, &st);
	assert_int_equal(st.requests, 2);
	assert_int_equal(st.responses, 2);
	assert_int_equal(st.stream_gaps, 0);
	assert_int_equal(st.truncated_bytes, 0);
	assert_int_equal(st.protocol_errors, 0);
	assert_int_equal(st.events, 7);
	capture_stream_free(s);
	free(b);
}

/* The same traffic one byte per record: identical result. */
static void test_byte_by_byte(void **state)
{
	(void)state;
	struct sinkbuf *b = malloc(sizeof(*b));
	struct capture_stream *s = new_stream(b, 0);
	ev_conn(s, MB_CAP_OPEN, SOCK_A, 1, 1100, 1, 0, 0);
	const char *req = "get k1 k2\r\n", *resp = "VALUE k2 3 2\r\nxy\r\nEND\r\n";
	for (size_t i = 0; i < strlen(req); i++)
		ev_piece(s, SOCK_A, 1, REQ, 2000 + i, i, 1, 0, req + i, 1);
	for (size_t i = 0; i < strlen(resp); i++)
		ev_piece(s, SOCK_A, 1, RESP, 3000 + i, i, 1, 0, resp + i, 1);
	assert_int_equal(capture_stream_finish(s), 0);
	assert_int_equal(b->n, 2);
	assert_string_equal(b->r[0].key, "k1");
	assert_int_equal(b->r[0].rec.status, MB_STATUS_MISS);
	assert_int_equal(b->r[0].rec.rflags & MB_RF_BATCH_CONT, 0);
	assert_string_equal(b->r[1].key, "k2");
	assert_int_equal(b->r[1].rec.status, MB_STATUS_HIT);
	assert_int_equal(b->r[1].rec.value_len, 2);
	assert_int_equal(b->r[1].rec.client_flags, 3);
	assert_true(b->r[1].rec.rflags & MB_RF_BATCH_CONT);
	assert_int_equal(b->r[1].rec.time_ns, 2000 - START); /* the command's first byte */
	capture_stream_free(s);
	free(b);
}

/* A 100000-byte value copied as head + tail: the middle is announced, not lost. */
static void test_truncated_value(void **state)
{
	(void)state;
	struct sinkbuf *b = malloc(sizeof(*b));
	struct capture_stream *s = new_stream(b, 0);
	enum { VLEN = 100000, HEAD = 16384, TAIL = 4096 };
	char *seg = malloc(VLEN + 64);
	int hl = snprintf(seg, 64, "set big 0 0 %d\r\n", VLEN);
	memset(seg + hl, 'x', VLEN);
	memcpy(seg + hl + VLEN, "\r\nget big\r\n", 11);
	uint32_t total = (uint32_t)(hl + VLEN + 11);
	ev_conn(s, MB_CAP_OPEN, SOCK_A, 1, 1100, 1, 0, 0);
	ev_piece(s, SOCK_A, 1, REQ, 2000, 0, total, 0, seg, HEAD);
	ev_piece(s, SOCK_A, 1, REQ, 2000, 0, total, total - TAIL, seg + total - TAIL, TAIL);
	ev_data(s, SOCK_A, 1, RESP, 3000, 0, "STORED\r\n");
	/* the reply's value iovec: head and tail of VLEN + 2 bytes */
	char hdr[64];
	int rl = snprintf(hdr, sizeof(hdr), "VALUE big 0 %d\r\n", VLEN);
	ev_data(s, SOCK_A, 1, RESP, 3100, 8, hdr);
	ev_piece(s, SOCK_A, 1, RESP, 3100, 8 + rl, VLEN + 2, 0, seg + hl, HEAD);
	ev_piece(s, SOCK_A, 1, RESP, 3100, 8 + rl, VLEN + 2, VLEN + 2 - TAIL,
		 seg + hl + VLEN + 2 - TAIL, TAIL);
	ev_data(s, SOCK_A, 1, RESP, 3100, 8 + rl + VLEN + 2, "END\r\n");
	assert_int_equal(capture_stream_finish(s), 0);
	assert_int_equal(b->n, 2);
	assert_int_equal(b->r[0].rec.op, MB_OP_SET);
	assert_int_equal(b->r[0].rec.value_len, VLEN);
	assert_int_equal(b->r[0].rec.status, MB_STATUS_STORED);
	assert_int_equal(b->r[1].rec.op, MB_OP_GET);
	assert_int_equal(b->r[1].rec.status, MB_STATUS_HIT);
	assert_int_equal(b->r[1].rec.value_len, VLEN);
	struct mb_profile_stats st;
	capture_stream_stats(s, &st);
	assert_int_equal(st.truncated_bytes, (total - HEAD - TAIL) + (VLEN + 2 - HEAD - TAIL));
	assert_int_equal(st.stream_gaps, 0);
	assert_int_equal(st.gap_bytes, 0);
	assert_int_equal(st.protocol_errors, 0);
	capture_stream_free(s);
	free(seg);
	free(b);
}

/* A reply whose value payload the kernel did not copy (a hole, capture.h "Values"): the hit and
 * its length are exact, nothing counts as lost or truncated, the hole is counted apart; a hole
 * after missing bytes is announced, not lost. */
static void hole_event(struct capture_stream *s, uint64_t ts, uint64_t off, const char *before,
		       uint32_t hole, const char *after)
{
	static uint8_t buf[sizeof(struct mb_cap_data) + 512];
	struct mb_cap_data e;
	memset(&e, 0, sizeof(e));
	e.hdr.ts_ns = ts;
	e.hdr.sock = SOCK_A;
	e.hdr.gen = 1;
	e.hdr.kind = MB_CAP_DATA;
	e.offset = off;
	e.hole_at = (uint16_t)strlen(before);
	e.hole_len = hole;
	e.cap_len = (uint32_t)(strlen(before) + strlen(after));
	e.seg_len = e.cap_len + hole;
	e.dir = RESP;
	memcpy(buf, &e, sizeof(e));
	memcpy(buf + sizeof(e), before, strlen(before));
	memcpy(buf + sizeof(e) + strlen(before), after, strlen(after));
	assert_int_equal(capture_stream_event(s, buf, sizeof(e) + e.cap_len), 0);
}

static void test_value_hole(void **state)
{
	(void)state;
	struct sinkbuf *b = malloc(sizeof(*b));
	struct capture_stream *s = new_stream(b, 0);
	ev_conn(s, MB_CAP_OPEN, SOCK_A, 1, 1100, 1, 0, 0);
	ev_data(s, SOCK_A, 1, REQ, 2000, 0, "get a\r\nmg b v\r\nget c\r\n");
	const char *h1 = "VALUE a 0 300\r\n"; /* 15 */
	hole_event(s, 3000, 0, h1, 300, "\r\nEND\r\n");
	/* meta: "VA 200\r\n" (8), hole 200, then "\r\n" */
	hole_event(s, 3100, 15 + 300 + 7, "VA 200\r\n", 200, "\r\n");
	/* the third reply's header line (15 bytes) was lost: its hole is announced, not lost */
	uint64_t o3 = 15 + 300 + 7 + 8 + 200 + 2;
	hole_event(s, 3200, o3 + 15, "", 250, "\r\nEND\r\n");
	assert_int_equal(capture_stream_finish(s), 0);
	assert_true(b->n >= 2);
	assert_string_equal(b->r[0].key, "a");
	assert_int_equal(b->r[0].rec.status, MB_STATUS_HIT);
	assert_int_equal(b->r[0].rec.value_len, 300);
	assert_int_equal(b->r[0].rec.latency_ns, 1000);
	assert_int_equal(b->r[1].key[0], 'b'); /* then its meta flags */
	assert_int_equal(b->r[1].rec.status, MB_STATUS_HIT);
	assert_int_equal(b->r[1].rec.value_len, 200);
	struct mb_profile_stats st;
	capture_stream_stats(s, &st);
	assert_int_equal(st.protocol_errors, 0);
	assert_int_equal(st.stream_gaps, 1);
	assert_int_equal(st.gap_bytes, 15);
	assert_int_equal(st.truncated_bytes, 250);
	assert_int_equal(capture_stream_counters(s)->value_bytes_skipped, 500);
	capture_stream_free(s);
	free(b);
}

/* A lost request record: counted as a gap; the next command is still parsed and paired. */
static void test_lost_request(void **state)
{
	(void)state;
	struct sinkbuf *b = malloc(sizeof(*b));
	struct capture_stream *s = new_stream(b, 0);
	ev_conn(s, MB_CAP_OPEN, SOCK_A, 1, 1100, 1, 0, 0);
	/* "get a\r\n" at offset 0 was lost from the ring; its reply came back */
	ev_data(s, SOCK_A, 1, RESP, 1500, 0, "END\r\n");
	ev_data(s, SOCK_A, 1, REQ, 2000, 7, "get b\r\n");
	ev_data(s, SOCK_A, 1, RESP, 2500, 5, "VALUE b 0 1\r\nz\r\nEND\r\n");
	assert_int_equal(capture_stream_finish(s), 0);
	assert_int_equal(b->n, 1);
	assert_string_equal(b->r[0].key, "b");
	assert_int_equal(b->r[0].rec.status, MB_STATUS_HIT);
	assert_int_equal(b->r[0].rec.latency_ns, 500);
	struct mb_profile_stats st;
	capture_stream_stats(s, &st);
	assert_int_equal(st.stream_gaps, 1);
	assert_int_equal(st.gap_bytes, 7);
	assert_int_equal(st.truncated_bytes, 0);
	capture_stream_free(s);
	free(b);
}

/* A connection open before the capture: the bytes before it are not losses, the codec
 * resynchronises, and nothing is invented. */
static void test_preexisting(void **state)
{
	(void)state;
	struct sinkbuf *b = malloc(sizeof(*b));
	struct capture_stream *s = new_stream(b, 0);
	ev_conn(s, MB_CAP_OPEN, SOCK_A, 1, 1100, 0, 1000, 400);
	/* caught in the middle of a value: "lue\r\n" is not a command */
	ev_data(s, SOCK_A, 1, REQ, 2000, 1000, "lue\r\nget y\r\n");
	ev_data(s, SOCK_A, 1, RESP, 2500, 400, "END\r\n");
	assert_int_equal(capture_stream_finish(s), 0);
	assert_int_equal(b->n, 1);
	assert_string_equal(b->r[0].key, "y");
	assert_int_equal(b->r[0].rec.status, MB_STATUS_MISS);
	const struct capture_stream_counters *c = capture_stream_counters(s);
	assert_int_equal(c->preexisting, 1);
	assert_int_equal(c->preexisting_bytes, 1400);
	struct mb_profile_stats st;
	capture_stream_stats(s, &st);
	assert_int_equal(st.stream_gaps, 0);
	assert_true(st.resync_bytes > 0); /* "lue\r\n", skipped */
	capture_stream_free(s);
	free(b);
}

/* Repeated bytes (two threads reading one socket) are trimmed, not parsed twice. */
static void test_overlap(void **state)
{
	(void)state;
	struct sinkbuf *b = malloc(sizeof(*b));
	struct capture_stream *s = new_stream(b, 0);
	ev_conn(s, MB_CAP_OPEN, SOCK_A, 1, 1100, 1, 0, 0);
	ev_data(s, SOCK_A, 1, REQ, 2000, 0, "get a\r\nge");
	ev_data(s, SOCK_A, 1, REQ, 2001, 7, "get b\r\n");
	ev_data(s, SOCK_A, 1, RESP, 2500, 0, "END\r\nEND\r\n");
	assert_int_equal(capture_stream_finish(s), 0);
	assert_int_equal(b->n, 2);
	assert_int_equal(b->r[1].key[0], 'b'); /* then its meta flags */
	assert_int_equal(capture_stream_counters(s)->overlap_bytes, 2);
	capture_stream_free(s);
	free(b);
}

/* A struct sock reused by a new connection (new generation) ends the old one: its pending
 * request is emitted without a response. Records from the old generation after that are
 * ignored. */
static void test_sock_reuse(void **state)
{
	(void)state;
	struct sinkbuf *b = malloc(sizeof(*b));
	struct capture_stream *s = new_stream(b, 0);
	ev_conn(s, MB_CAP_OPEN, SOCK_A, 10, 1100, 1, 0, 0);
	ev_data(s, SOCK_A, 10, REQ, 2000, 0, "get old\r\n");
	ev_conn(s, MB_CAP_OPEN, SOCK_A, 20, 3000, 1, 0, 0);
	ev_data(s, SOCK_A, 10, RESP, 3050, 0, "END\r\n"); /* stale */
	ev_data(s, SOCK_A, 20, REQ, 3100, 0, "get new\r\n");
	ev_data(s, SOCK_A, 20, RESP, 3200, 0, "END\r\n");
	assert_int_equal(capture_stream_finish(s), 0);
	assert_int_equal(b->n, 2);
	assert_string_equal(b->r[0].key, "old");
	assert_int_equal(b->r[0].rec.status, MB_STATUS_NONE);
	assert_int_equal(b->r[0].rec.rflags & MB_RF_HAS_RESPONSE, 0);
	assert_string_equal(b->r[1].key, "new");
	assert_int_equal(b->r[1].rec.status, MB_STATUS_MISS);
	assert_int_not_equal(b->r[0].rec.conn_id, b->r[1].rec.conn_id);
	assert_int_equal(capture_stream_counters(s)->connections, 2);
	capture_stream_free(s);
	free(b);
}

/* The close record's offsets reveal a lost tail: the reply's value end is skipped, the get is
 * still a hit, and the loss is counted. */
static void test_close_tail_gap(void **state)
{
	(void)state;
	struct sinkbuf *b = malloc(sizeof(*b));
	struct capture_stream *s = new_stream(b, 0);
	ev_conn(s, MB_CAP_OPEN, SOCK_A, 1, 1100, 1, 0, 0);
	ev_data(s, SOCK_A, 1, REQ, 2000, 0, "get k\r\n");
	ev_data(s, SOCK_A, 1, RESP, 2500, 0, "VALUE k 0 10\r\n0123");
	/* 6 value bytes + "\r\n" + "END\r\n" = 13 bytes never arrived */
	ev_conn(s, MB_CAP_CLOSE, SOCK_A, 1, 4000, 1, 7, 18 + 13);
	assert_int_equal(capture_stream_finish(s), 0);
	assert_int_equal(b->n, 1);
	assert_int_equal(b->r[0].rec.value_len, 10);
	struct mb_profile_stats st;
	capture_stream_stats(s, &st);
	assert_int_equal(st.stream_gaps, 1);
	assert_int_equal(st.gap_bytes, 13);
	capture_stream_free(s);
	free(b);
}

/* Records complete out of time order across connections; the window puts them back. */
static void test_reorder_window(void **state)
{
	(void)state;
	struct sinkbuf *b = malloc(sizeof(*b));
	struct capture_stream *s = new_stream(b, 1000000);
	ev_conn(s, MB_CAP_OPEN, SOCK_A, 1, 1100, 1, 0, 0);
	ev_conn(s, MB_CAP_OPEN, SOCK_B, 1, 1100, 1, 0, 0);
	ev_data(s, SOCK_A, 1, REQ, 2000, 0, "get slow\r\n");
	ev_data(s, SOCK_B, 1, REQ, 3000, 0, "get fast\r\n");
	ev_data(s, SOCK_B, 1, RESP, 3100, 0, "END\r\n");
	assert_int_equal(capture_stream_release(s), 0);
	assert_int_equal(b->n, 0); /* still inside the window */
	ev_data(s, SOCK_A, 1, RESP, 500000, 0, "END\r\n");
	ev_data(s, SOCK_B, 1, REQ, 2000000, 10, "get later\r\n");
	assert_int_equal(capture_stream_release(s), 0);
	assert_int_equal(b->n, 2);
	assert_string_equal(b->r[0].key, "slow");
	assert_string_equal(b->r[1].key, "fast");
	assert_int_equal(b->r[0].rec.latency_ns, 498000);
	assert_int_equal(capture_stream_finish(s), 0);
	assert_int_equal(b->n, 3);
	assert_string_equal(b->r[2].key, "later");
	assert_int_equal(capture_stream_counters(s)->late_records, 0);
	capture_stream_free(s);
	free(b);
}

/* Short, unknown or inconsistent records are counted and skipped. */
static void test_bad_records(void **state)
{
	(void)state;
	struct sinkbuf *b = malloc(sizeof(*b));
	struct capture_stream *s = new_stream(b, 0);
	uint8_t junk[128] = {0}; /* room for the largest record (mb_cap_data grew to 72 bytes) */
	assert_int_equal(capture_stream_event(s, junk, 8), 0);
	struct mb_cap_hdr h = {.kind = 99};
	memcpy(junk, &h, sizeof(h));
	assert_int_equal(capture_stream_event(s, junk, sizeof(junk)), 0);
	struct mb_cap_data d = {.hdr = {.kind = MB_CAP_DATA, .sock = SOCK_A, .gen = 1},
				.cap_len = 100, .seg_len = 100};
	memcpy(junk, &d, sizeof(d));
	assert_int_equal(capture_stream_event(s, junk, sizeof(d) + 4), 0); /* cap_len > bytes */
	h.kind = MB_CAP_OPEN;
	memcpy(junk, &h, sizeof(h));
	assert_int_equal(capture_stream_event(s, junk, sizeof(h) + 4), 0); /* short OPEN */
	assert_int_equal(capture_stream_counters(s)->bad_events, 4);
	assert_int_equal(capture_stream_finish(s), 0);
	assert_int_equal(b->n, 0);
	capture_stream_free(s);
	free(b);
}

static void ev_arrive(struct capture_stream *s, uint64_t sock, uint64_t gen, uint64_t ts,
		      uint64_t off, uint32_t len)
{
	struct mb_cap_arrive e;
	memset(&e, 0, sizeof(e));
	e.hdr.ts_ns = ts;
	e.hdr.sock = sock;
	e.hdr.gen = gen;
	e.hdr.kind = MB_CAP_ARRIVE;
	e.offset = off;
	e.len = len;
	assert_int_equal(capture_stream_event(s, &e, sizeof(e)), 0);
}

/* Three requests the server read at once keep the times their segments arrived; bytes with no
 * arrival (here the end of the third request) get the read's time, a retransmission changes
 * nothing, and a request takes the time of the segment holding its first byte. */
static void test_arrival_stamps(void **state)
{
	(void)state;
	struct sinkbuf *b = malloc(sizeof(*b));
	struct capture_stream *s = new_stream(b, 0);
	ev_conn(s, MB_CAP_OPEN, SOCK_A, 1, 1100, 1, 0, 0);
	ev_arrive(s, SOCK_A, 1, 1500, 0, 7);   /* "get a\r\n" */
	ev_arrive(s, SOCK_A, 1, 1800, 7, 7);   /* "get b\r\n" */
	ev_arrive(s, SOCK_A, 1, 1900, 0, 14);  /* both again: a retransmission */
	ev_arrive(s, SOCK_A, 1, 2100, 14, 3);  /* "get" of the third; " c\r\n" never announced */
	ev_data(s, SOCK_A, 1, REQ, 2500, 0, "get a\r\nget b\r\nget c\r\n");
	ev_data(s, SOCK_A, 1, RESP, 2600, 0, "END\r\nEND\r\nEND\r\n");
	assert_int_equal(capture_stream_finish(s), 0);

	assert_int_equal(b->n, 3);
	assert_string_equal(b->r[0].key, "a");
	assert_int_equal(b->r[0].rec.time_ns, 1500 - START);
	assert_int_equal(b->r[0].rec.latency_ns, 1100);
	assert_int_equal(b->r[1].key[0], 'b'); /* then its meta flags */
	assert_int_equal(b->r[1].rec.time_ns, 1800 - START);
	assert_string_equal(b->r[2].key, "c");
	assert_int_equal(b->r[2].rec.time_ns, 2100 - START);
	const struct capture_stream_counters *c = capture_stream_counters(s);
	assert_int_equal(c->arrivals, 3);
	assert_int_equal(c->arrival_bytes, 17);
	assert_int_equal(c->read_time_bytes, 4);
	capture_stream_free(s);
	free(b);
}

/* Bytes whose arrival was never announced (here: the first request) take the next known
 * arrival's time when it is earlier than their read, so a connection's requests never go back
 * in time and the reorder window keeps their order. */
static void test_arrival_missing_keeps_order(void **state)
{
	(void)state;
	struct sinkbuf *b = malloc(sizeof(*b));
	struct capture_stream *s = new_stream(b, 1000000);
	ev_conn(s, MB_CAP_OPEN, SOCK_A, 1, 1100, 1, 0, 0);
	ev_arrive(s, SOCK_A, 1, 1800, 7, 7); /* "get b\r\n"; "get a\r\n" never announced */
	ev_data(s, SOCK_A, 1, REQ, 5000, 0, "get a\r\nget b\r\n");
	ev_data(s, SOCK_A, 1, RESP, 5100, 0, "END\r\nEND\r\n");
	assert_int_equal(capture_stream_finish(s), 0);
	assert_int_equal(b->n, 2);
	assert_string_equal(b->r[0].key, "a");
	assert_int_equal(b->r[0].rec.time_ns, 1800 - START);
	assert_int_equal(b->r[1].key[0], 'b'); /* then its meta flags */
	assert_int_equal(b->r[1].rec.time_ns, 1800 - START);
	assert_int_equal(capture_stream_counters(s)->read_time_bytes, 7);
	capture_stream_free(s);
	free(b);
}

/* A connection that starts with a TLS ClientHello (0x16 0x03 ...) is skipped as TLS: no
 * records, no protocol errors, no gaps at its close; a plain connection beside it is parsed. */
static void test_tls_connection_skipped(void **state)
{
	(void)state;
	struct sinkbuf *b = malloc(sizeof(*b));
	struct capture_stream *s = new_stream(b, 0);
	static const char hello[] = "\x16\x03\x01\x00\xf4\x01\x00\x00\xf0\x03\x03get a\r\n";
	static const char server[] = "\x16\x03\x03\x00\x7a\x02\x00\x00\x76\x03\x03END\r\n";
	ev_conn(s, MB_CAP_OPEN, SOCK_A, 1, 1100, 1, 0, 0);
	ev_piece(s, SOCK_A, 1, REQ, 2000, 0, sizeof(hello) - 1, 0, hello, sizeof(hello) - 1);
	ev_piece(s, SOCK_A, 1, RESP, 2100, 0, sizeof(server) - 1, 0, server, sizeof(server) - 1);
	ev_data(s, SOCK_A, 1, REQ, 2200, sizeof(hello) - 1, "\x17\x03\x03 ciphertext");
	ev_conn(s, MB_CAP_OPEN, SOCK_B, 1, 1200, 1, 0, 0);
	ev_data(s, SOCK_B, 1, REQ, 2300, 0, "get b\r\n");
	ev_data(s, SOCK_B, 1, RESP, 2400, 0, "END\r\n");
	ev_conn(s, MB_CAP_CLOSE, SOCK_A, 1, 4000, 1, 1000, 1000);
	assert_int_equal(capture_stream_finish(s), 0);
	assert_int_equal(b->n, 1);
	assert_string_equal(b->r[0].key, "b");
	struct mb_profile_stats st;
	capture_stream_stats(s, &st);
	assert_int_equal(st.protocol_errors, 0);
	assert_int_equal(st.stream_gaps, 0);
	assert_int_equal(st.resync_bytes, 0);
	assert_int_equal(capture_stream_counters(s)->tls_connections, 1);
	capture_stream_free(s);
	free(b);
}

/* A read whose first bytes arrived at an empty socket carries that arrival in its data record
 * (arrive_ts, no ARRIVE record); a later segment, which arrived while those bytes waited, was
 * announced by an ARRIVE record that user space took first. Both stamps hold: the carried one
 * is queued in front. A carried range overlapping the next one is cut where it starts; ranges
 * already fed do not stand in the way of the next read's (the bug: every other request of a
 * one-at-a-time client lost its arrival stamp). */
static void test_arrival_carried_by_data(void **state)
{
	(void)state;
	struct sinkbuf *b = malloc(sizeof(*b));
	struct capture_stream *s = new_stream(b, 0);
	ev_conn(s, MB_CAP_OPEN, SOCK_A, 1, 1100, 1, 0, 0);
	ev_arrive(s, SOCK_A, 1, 1800, 7, 7); /* "get b\r\n", arrived while "get a" waited */
	/* read at 5000; "get a" arrived at 1500; the carried range claims 3 bytes of "get b": cut */
	ev_piece_arrived(s, SOCK_A, 1, REQ, 5000, 0, 14, 0, "get a\r\nget b\r\n", 14, 1500, 10);
	ev_data(s, SOCK_A, 1, RESP, 5100, 0, "END\r\nEND\r\n");
	/* the next request alone, its arrival carried too (the ranges above are all fed) */
	ev_piece_arrived(s, SOCK_A, 1, REQ, 7000, 14, 7, 0, "get c\r\n", 7, 6500, 7);
	ev_data(s, SOCK_A, 1, RESP, 7100, 10, "END\r\n");
	assert_int_equal(capture_stream_finish(s), 0);
	assert_int_equal(b->n, 3);
	assert_string_equal(b->r[0].key, "a");
	assert_int_equal(b->r[0].rec.time_ns, 1500 - START);
	assert_int_equal(b->r[1].key[0], 'b'); /* then its meta flags */
	assert_int_equal(b->r[1].rec.time_ns, 1800 - START);
	assert_string_equal(b->r[2].key, "c");
	assert_int_equal(b->r[2].rec.time_ns, 6500 - START);
	const struct capture_stream_counters *c = capture_stream_counters(s);
	assert_int_equal(c->arrivals, 3);
	assert_int_equal(c->arrival_bytes, 21);
	assert_int_equal(c->read_time_bytes, 0);
	capture_stream_free(s);
	free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pipelined_text), cmocka_unit_test(test_byte_by_byte),
		cmocka_unit_test(test_truncated_value), cmocka_unit_test(test_value_hole), cmocka_unit_test(test_lost_request),
		cmocka_unit_test(test_preexisting),    cmocka_unit_test(test_overlap),
		cmocka_unit_test(test_sock_reuse),     cmocka_unit_test(test_close_tail_gap),
		cmocka_unit_test(test_reorder_window), cmocka_unit_test(test_bad_records),
		cmocka_unit_test(test_arrival_stamps), cmocka_unit_test(test_arrival_missing_keeps_order),
		cmocka_unit_test(test_tls_connection_skipped),
		cmocka_unit_test(test_arrival_carried_by_data),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
