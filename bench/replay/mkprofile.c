/* bench-replay-mkprofile: writes a synthetic profile for the replayer benchmarks.
 *
 * usage: bench-replay-mkprofile OUT.mbp REQUESTS RATE CONNS [GET_PERCENT] [KEYS] [VALUE_LEN]
 *                               [PROTO]
 *
 * REQUESTS requests evenly spaced at RATE per second (a constant rate, so "achieved within 1%"
 * is well defined), round-robin over CONNS recorded connections, GET_PERCENT gets (default 90)
 * and the rest sets, over KEYS keys (default 10000, uniform, deterministic xorshift), 16-byte
 * keys and VALUE_LEN-byte values (default 32), in PROTO: text (default), meta (mg/ms) or binary.
 * Gets are recorded as hits so --warm stores them.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "membench/profile.h"

int main(int argc, char **argv)
{
	if (argc < 5) {
		fprintf(stderr, "usage: %s OUT.mbp REQUESTS RATE CONNS [GET_PERCENT] [KEYS] [VALUE_LEN] "
			"[text|meta|binary]\n", argv[0]);
		return 2;
	}
	unsigned long long n = strtoull(argv[2], NULL, 10);
	double rate = strtod(argv[3], NULL);
	unsigned conns = (unsigned)strtoul(argv[4], NULL, 10);
	unsigned getpct = argc > 5 ? (unsigned)strtoul(argv[5], NULL, 10) : 90;
	unsigned long long keys = argc > 6 ? strtoull(argv[6], NULL, 10) : 10000;
	unsigned vlen = argc > 7 ? (unsigned)strtoul(argv[7], NULL, 10) : 32;
	const char *proto = argc > 8 ? argv[8] : "text";
	bool is_meta = strcmp(proto, "meta") == 0, binary = strcmp(proto, "binary") == 0;
	if (!is_meta && !binary && strcmp(proto, "text") != 0) {
		fprintf(stderr, "%s: PROTO %s: expected text, meta or binary\n", argv[0], proto);
		return 2;
	}
	if (!n || rate <= 0 || !conns || !keys) {
		fprintf(stderr, "%s: bad arguments\n", argv[0]);
		return 2;
	}
	struct mb_profile_meta meta = {.clock = MB_CLOCK_SYNTHETIC, .key_mode = MB_KEYS_ANON,
				       .sample_ratio = 1.0};
	snprintf(meta.creator, sizeof(meta.creator), "bench-replay-mkprofile");
	snprintf(meta.source, sizeof(meta.source), "synth:constant-rate");
	snprintf(meta.params, sizeof(meta.params), "requests=%llu rate=%g conns=%u get=%u keys=%llu",
		 n, rate, conns, getpct, keys);
	struct mb_profile_writer *w;
	char err[256];
	if (mb_profile_writer_open(&w, argv[1], &meta, NULL, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	unsigned long long x = 88172645463325252ull;
	for (unsigned long long i = 0; i < n; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		bool get = x % 100 < getpct;
		struct mb_record r = {
			.time_ns = (uint64_t)((double)i * 1e9 / rate),
			.key_id = (x >> 8) % keys,
			.conn_id = (uint32_t)(i % conns),
			.key_len = 16,
			.value_len = vlen,
			.op = is_meta ? (get ? MB_OP_MG : MB_OP_MS) : get ? MB_OP_GET : MB_OP_SET,
			.proto = is_meta ? MB_PROTO_META : binary ? MB_PROTO_BINARY : MB_PROTO_TEXT,
			.status = get ? MB_STATUS_HIT : MB_STATUS_STORED,
			.rflags = MB_RF_HAS_RESPONSE,
		};
		if (mb_profile_writer_append(w, &r, NULL, 0) != 0) {
			fprintf(stderr, "%s: append failed\n", argv[1]);
			return 1;
		}
	}
	if (mb_profile_writer_close(w, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	return 0;
}
