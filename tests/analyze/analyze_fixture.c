/* Writes profiles with exactly known content through the profile writer, for the analyzer's
 * end-to-end tests (test_analyze_cli.sh asserts the figures derived here by hand).
 *
 *   analyze_fixture known OUT.mbp [prefix]
 *                                   2000 commands over 20 s, keys kept (or only their prefixes
 *                                   up to ':'), responses captured
 *   analyze_fixture zipf OUT.mbp ALPHA [KEYS] [REQUESTS]
 *                                   Zipf(ALPHA) popularity sampled here (anon keys); capture
 *                                   stats: only 5000 truncated bytes (value middles not copied)
 *
 * "known": command i (0..1999) is sent at i * 10 ms on connection i % 5, with a response
 * 100 us + (i % 10) * 10 us later; by i % 10:
 *   0..6  get user:<i % 50>                      hit unless (i / 10) % 4 == 0 (value 200 B)
 *   7     get sess:<i%20> sess:<i%20+1> sess:<i%20+2>   (one command, three records)
 *   8     set user:<i % 50>, value 100 * (1 + (i / 10) % 4) B, TTL 300 s, STORED
 *   9     delete tmp:<i>, NOT_FOUND
 * and capture stats: 3 ring drops, 100 truncated bytes, 2 gaps, 1 protocol error.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "membench/profile.h"
#include "synth/dist.h"
#include "synth/rng.h"

#define MS 1000000ull
#define US 1000ull

static int append(struct mb_profile_writer *w, struct mb_record *r, const char *key)
{
	r->key_len = key ? (uint32_t)strlen(key) : r->key_len;
	int err = mb_profile_writer_append(w, r, key, key ? strlen(key) : 0);
	if (err)
		fprintf(stderr, "analyze_fixture: append: %d\n", err);
	return err;
}

static int write_known(struct mb_profile_writer *w)
{
	char key[64];
	for (unsigned i = 0; i < 2000; i++) {
		struct mb_record r = {.time_ns = i * 10 * MS, .conn_id = i % 5,
				      .latency_ns = 100 * US + (i % 10) * 10 * US,
				      .rflags = MB_RF_HAS_RESPONSE};
		unsigned kind = i % 10;
		bool hit = (i / 10) % 4 != 0;
		if (kind <= 7) {
			r.op = MB_OP_GET;
			r.status = hit ? MB_STATUS_HIT : MB_STATUS_MISS;
			r.value_len = hit ? 200 : 0;
		}
		if (kind <= 6) {
			snprintf(key, sizeof(key), "user:%u", i % 50);
			if (append(w, &r, key))
				return -1;
		} else if (kind == 7) {
			for (unsigned k = 0; k < 3; k++) {
				snprintf(key, sizeof(key), "sess:%u", i % 20 + k);
				r.rflags = MB_RF_HAS_RESPONSE | (k ? MB_RF_BATCH_CONT : 0);
				if (append(w, &r, key))
					return -1;
			}
		} else if (kind == 8) {
			r.op = MB_OP_SET;
			r.status = MB_STATUS_STORED;
			r.value_len = 100 * (1 + (i / 10) % 4);
			r.ttl = 300;
			snprintf(key, sizeof(key), "user:%u", i % 50);
			if (append(w, &r, key))
				return -1;
		} else {
			r.op = MB_OP_DELETE;
			r.status = MB_STATUS_NOT_FOUND;
			snprintf(key, sizeof(key), "tmp:%u", i);
			if (append(w, &r, key))
				return -1;
		}
	}
	struct mb_profile_stats st = {.ring_drops = 3, .truncated_bytes = 100, .stream_gaps = 2,
				      .protocol_errors = 1, .requests = 2000, .responses = 2000};
	mb_profile_writer_add_stats(w, &st);
	return 0;
}

/* Zipf(alpha) over nkeys ranks, sampled by the workload generator's sampler (record/synth);
 * rank r (0 = most popular) is key identity r * 7919 % nkeys. */
static int write_zipf(struct mb_profile_writer *w, double alpha, uint64_t nkeys, uint64_t n)
{
	struct zipf z;
	struct rng g;
	if (zipf_init(&z, nkeys, alpha))
		return -1;
	rng_seed(&g, 12345);
	int rc = 0;
	for (uint64_t i = 0; i < n && !rc; i++) {
		uint64_t rank = zipf_sample(&z, &g) - 1;
		struct mb_record r = {.time_ns = i * 100 * US, .key_id = rank * 7919 % nkeys,
				      .key_len = 16, .op = MB_OP_GET, .conn_id = (uint32_t)(i % 4)};
		rc = append(w, &r, NULL);
	}
	/* the only loss: value bytes past the recorder's cap, which lose no request */
	struct mb_profile_stats st = {.truncated_bytes = 5000, .requests = n};
	mb_profile_writer_add_stats(w, &st);
	return rc;
}

int main(int argc, char **argv)
{
	if (argc < 3 || (strcmp(argv[1], "known") && strcmp(argv[1], "zipf")) ||
	    (!strcmp(argv[1], "known") && argc > 3 && strcmp(argv[3], "prefix")) ||
	    (!strcmp(argv[1], "zipf") && argc < 4)) {
		fprintf(stderr, "usage: analyze_fixture known OUT [prefix] | "
			"zipf OUT ALPHA [KEYS] [REQUESTS]\n");
		return 2;
	}
	bool known = !strcmp(argv[1], "known");
	struct mb_profile_meta meta = {.clock = MB_CLOCK_SYNTHETIC, .sample_ratio = 1.0,
				       .key_mode = !known ? MB_KEYS_ANON
						 : argc > 3 ? MB_KEYS_PREFIX : MB_KEYS_KEPT,
				       .key_delim = ':', .start_wall_ns = 1700000000000000000ll};
	snprintf(meta.creator, sizeof(meta.creator), "analyze_fixture");
	snprintf(meta.source, sizeof(meta.source), "test:%s", argv[1]);
	struct mb_profile_writer *w = NULL;
	struct mb_profile_writer_opts opts = {.block_records = 500};
	char err[256];
	if (mb_profile_writer_open(&w, argv[2], &meta, &opts, err, sizeof(err))) {
		fprintf(stderr, "analyze_fixture: %s\n", err);
		return 1;
	}
	int rc = known ? write_known(w)
		       : write_zipf(w, atof(argv[3]), argc > 4 ? strtoull(argv[4], NULL, 10) : 2000,
				    argc > 5 ? strtoull(argv[5], NULL, 10) : 300000);
	if (mb_profile_writer_close(w, err, sizeof(err))) {
		fprintf(stderr, "analyze_fixture: %s\n", err);
		return 1;
	}
	return rc ? 1 : 0;
}
