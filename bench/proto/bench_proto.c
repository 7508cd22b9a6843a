/* bench_proto: parse speed of the codec on a pipelined get/set stream, both directions.
 *
 * Builds N commands (half get, half set; 32-byte keys, 32-byte values, 3 in 4 gets hit), in
 * text, meta and binary, as a client pipelining batches of 64 would send them and memcached
 * would answer, then feeds each batch's requests and then its responses to one connection
 * parser (as the recorder does, chunk = one batch per direction) and counts the commands paired.
 * Prints commands/s and MB/s (both directions' bytes) for each protocol, plus a reference
 * ceiling: one memchr('\n') pass over the same text bytes, the least any line parser must do.
 * Times are the thread's CPU time (CLOCK_THREAD_CPUTIME_ID), so other load on the machine
 * does not count against the parser.
 * Usage: bench_proto [commands [text|meta|binary]]   (default 2000000, all; best of 3 runs)
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "membench/clock.h"
#include "membench/proto.h"

#define BATCH 64

struct stream {
	struct mb_buf req, resp;
	size_t *req_end, *resp_end; /* per batch */
	size_t nbatch;
};

static void put_bin(struct mb_buf *b, uint8_t magic, uint8_t op, uint16_t kl, uint8_t el,
		    uint32_t vl, uint32_t opaque)
{
	uint8_t h[24] = {magic, op, (uint8_t)(kl >> 8), (uint8_t)kl, el};
	uint32_t body = el + kl + vl;
	h[8] = (uint8_t)(body >> 24);
	h[9] = (uint8_t)(body >> 16);
	h[10] = (uint8_t)(body >> 8);
	h[11] = (uint8_t)body;
	h[12] = (uint8_t)(opaque >> 24);
	h[13] = (uint8_t)(opaque >> 16);
	h[14] = (uint8_t)(opaque >> 8);
	h[15] = (uint8_t)opaque;
	mb_buf_append(b, h, 24);
}

static void build(struct stream *s, int proto, size_t n)
{
	static const char value[] = "0123456789abcdef0123456789abcdef";
	memset(s, 0, sizeof(*s));
	s->nbatch = (n + BATCH - 1) / BATCH;
	s->req_end = calloc(s->nbatch, sizeof(size_t));
	s->resp_end = calloc(s->nbatch, sizeof(size_t));
	for (size_t i = 0; i < n; i++) {
		char key[40];
		snprintf(key, sizeof(key), "user:profile:%019zu", i * 7919 % 1000003);
		struct mb_proto_req r = {.proto = (uint8_t)proto, .key = key, .key_len = 32,
					 .opaque = proto == MB_PROTO_BINARY ? (uint32_t)i : 0};
		bool get = i % 2 == 0, hit = i % 8 != 0;
		if (get) {
			r.op = MB_OP_GET;
		} else {
			r.op = MB_OP_SET;
			r.value = value;
			r.value_len = 32;
		}
		mb_proto_encode(&s->req, &r);
		switch (proto) {
		case MB_PROTO_TEXT:
			if (get && hit)
				mb_buf_printf(&s->resp, "VALUE %s 0 32\r\n%s\r\nEND\r\n", key, value);
			else
				mb_buf_printf(&s->resp, get ? "END\r\n" : "STORED\r\n");
			break;
		case MB_PROTO_META:
			if (get && hit)
				mb_buf_printf(&s->resp, "VA 32 f0\r\n%s\r\n", value);
			else
				mb_buf_printf(&s->resp, get ? "EN\r\n" : "HD\r\n");
			break;
		default:
			if (get && hit) {
				put_bin(&s->resp, 0x81, 0x00, 0, 4, 32, (uint32_t)i);
				mb_buf_append(&s->resp, "\0\0\0\0", 4);
				mb_buf_append(&s->resp, value, 32);
			} else {
				put_bin(&s->resp, 0x81, get ? 0x00 : 0x01, 0, 0, 0, (uint32_t)i);
				if (get)
					s->resp.data[s->resp.len - 17] = 1; /* status: not found */
			}
			break;
		}
		if (i % BATCH == BATCH - 1 || i == n - 1) {
			s->req_end[i / BATCH] = s->req.len;
			s->resp_end[i / BATCH] = s->resp.len;
		}
	}
}

static uint64_t paired;
static void on_cmd(void *ctx, const struct mb_proto_cmd *cmd)
{
	(void)ctx;
	paired += (cmd->rflags & MB_RF_HAS_RESPONSE) != 0;
}

static double run(const struct stream *s, uint64_t *errors)
{
	struct mb_proto_conn *c = mb_proto_conn_new(NULL, on_cmd, NULL);
	size_t rq = 0, rs = 0;
	uint64_t t0 = mb_thread_cpu_ns(); /* CPU time: meaningful on a shared, loaded machine */
	for (size_t b = 0; b < s->nbatch; b++) {
		mb_proto_conn_feed(c, MB_DIR_REQUEST, s->req.data + rq, s->req_end[b] - rq, b);
		mb_proto_conn_feed(c, MB_DIR_RESPONSE, s->resp.data + rs, s->resp_end[b] - rs, b);
		rq = s->req_end[b];
		rs = s->resp_end[b];
	}
	mb_proto_conn_finish(c);
	double secs = (double)(mb_thread_cpu_ns() - t0) / 1e9;
	*errors = mb_proto_conn_stats(c)->protocol_errors + mb_proto_conn_stats(c)->unpaired_responses;
	mb_proto_conn_free(c);
	return secs;
}

int main(int argc, char **argv)
{
	size_t n = argc > 1 ? strtoull(argv[1], NULL, 10) : 2000000;
	if (n == 0) {
		fprintf(stderr, "usage: bench_proto [commands [text|meta|binary]]\n");
		return 2;
	}
	printf("bench_proto: %zu pipelined commands (50%% get, 50%% set, 32 B keys and values), "
	       "batches of %d, best of 3\n", n, BATCH);
	printf("%-8s %12s %10s %14s %8s\n", "proto", "bytes", "MB/s", "commands/s", "paired");
	for (int proto = 0; proto < 3; proto++) {
		if (argc > 2 && strcmp(argv[2], mb_proto_name((unsigned)proto)) != 0)
			continue;
		struct stream s;
		build(&s, proto, n);
		double best = 1e9;
		uint64_t errors = 0;
		for (int rep = 0; rep < 3; rep++) {
			paired = 0;
			double t = run(&s, &errors);
			if (t < best)
				best = t;
		}
		size_t bytes = s.req.len + s.resp.len;
		printf("%-8s %12zu %10.1f %14.0f %8.3f%s\n", mb_proto_name((unsigned)proto), bytes,
		       (double)bytes / best / 1e6, (double)n / best, (double)paired / (double)n,
		       errors ? "  ERRORS" : "");
		if (proto == MB_PROTO_TEXT) {
			/* ceiling: find every newline of the same bytes, nothing else */
			double bt = 1e9;
			size_t lines = 0;
			for (int rep = 0; rep < 3; rep++) {
				uint64_t t0 = mb_thread_cpu_ns();
				lines = 0;
				for (const struct mb_buf *b = &s.req; b; b = b == &s.req ? &s.resp : NULL) {
					const char *p = b->data, *end = b->data + b->len;
					while ((p = memchr(p, '\n', (size_t)(end - p)))) {
						p++;
						lines++;
					}
				}
				double t = (double)(mb_thread_cpu_ns() - t0) / 1e9;
				if (t < bt)
					bt = t;
			}
			printf("%-8s %12zu %10.1f %14s %8s  (memchr line scan only: %zu lines)\n",
			       "ceiling", bytes, (double)bytes / bt / 1e6, "-", "-", lines);
		}
		mb_buf_free(&s.req);
		mb_buf_free(&s.resp);
		free(s.req_end);
		free(s.resp_end);
	}
	return 0;
}
