/* Fuzz driver shared by the request and response targets; see fuzz_proto.h. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_proto.h"
#include "transcript.h"

static void on_cmd(void *ctx, const struct mb_proto_cmd *cmd)
{
	tr_render(ctx, cmd);
}

static void on_error(void *ctx, enum mb_dir dir, uint64_t off, const char *why)
{
	mb_buf_printf(ctx, "! %d @%" PRIu64 " %s\n", (int)dir, off, why);
}

/* mode 0: whole; 1: chunks; 2: chunks with gaps */
static void run(struct mb_buf *out, enum mb_dir dir, const uint8_t *pre, size_t pre_len,
		uint8_t seed, const uint8_t *data, size_t size, int mode)
{
	struct mb_proto_opts o = {.on_error = on_error, .max_pending = 256, .max_value_len = 1 << 20};
	struct mb_proto_conn *c = mb_proto_conn_new(&o, on_cmd, out);
	if (!c)
		abort();
	if (pre)
		mb_proto_conn_feed(c, MB_DIR_REQUEST, pre, pre_len, 1);
	uint32_t x = seed * 2654435761u + 1;
	size_t off = 0;
	while (off < size) {
		size_t n = size - off;
		if (mode) {
			x ^= x << 13;
			x ^= x >> 17;
			x ^= x << 5;
			n = x % 37 + 1;
			if (n > size - off)
				n = size - off;
		}
		mb_proto_conn_feed(c, dir, data + off, n, 2);
		off += n;
		if (mode == 2 && (x & 7) == 0)
			mb_proto_conn_gap(c, dir, x % 300 + 1, 3);
	}
	mb_proto_conn_finish(c);
	const struct mb_proto_stats *st = mb_proto_conn_stats(c);
	mb_buf_printf(out, "stats %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 "\n",
		      st->requests, st->responses, st->protocol_errors, st->unpaired_responses,
		      st->resync_bytes);
	mb_proto_conn_free(c);
}

void fuzz_proto_run(enum mb_dir dir, const uint8_t *prelude, size_t prelude_len, uint8_t seed,
		    const uint8_t *data, size_t size)
{
	struct mb_buf a = {0}, b = {0}, g = {0};
	run(&a, dir, prelude, prelude_len, seed, data, size, 0);
	run(&b, dir, prelude, prelude_len, seed, data, size, 1);
	if (a.len != b.len || memcmp(a.data, b.data, a.len) != 0) {
		fprintf(stderr, "split invariance violated:\n--- whole\n%.*s--- chunked\n%.*s",
			(int)a.len, a.data, (int)b.len, b.data);
		abort();
	}
	run(&g, dir, prelude, prelude_len, seed, data, size, 2);
	mb_buf_free(&a);
	mb_buf_free(&b);
	mb_buf_free(&g);
}
