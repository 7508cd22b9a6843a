/* Workload generators of membench-record (synth:zipf, synth:etc): the model, separate from the
 * command line and the profile writer so the tests can draw from it directly.
 *
 * Each request is drawn in a fixed order from one xoshiro256** stream seeded by --seed:
 * inter-arrival gap (poisson/etc arrivals), key rank (Zipf), operation (get/set/delete mix),
 * connection (uniform). Key size and value size are properties of the key: they are drawn from a
 * second generator seeded by hash(seed, rank), so every request of a key has the same sizes and
 * a key's sizes do not depend on which requests came before. Same options and seed => same
 * records on any machine with the same libm.
 */
#ifndef MB_RECORD_SYNTH_H
#define MB_RECORD_SYNTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "synth/dist.h"
#include "membench/profile.h"
#include "synth/rng.h"

enum synth_arrival {
	ARRIVAL_POISSON, /* exponential gaps, mean 1/rate */
	ARRIVAL_FIXED,   /* exactly 1/rate apart */
	ARRIVAL_ETC,     /* Generalized Pareto gaps of the ETC model (shape 0.154971), mean 1/rate */
};

enum synth_mix {
	MIX_GET,
	MIX_SET,
	MIX_DELETE,
	MIX_COUNT
};

#define SYNTH_KEY_MAX 250 /* memcached's key length limit */

struct synth_opts {
	const char *model;     /* "zipf" or "etc" */
	uint64_t ops;          /* stop after this many requests (0 = no limit) */
	uint64_t duration_ns;  /* stop at this time (0 = no limit); at least one limit is set */
	uint64_t seed;
	uint64_t keys;         /* key population, ranks 1..keys */
	double alpha;          /* Zipf exponent; 0 = uniform popularity */
	struct dist key_size;  /* bytes, clamped to [1, SYNTH_KEY_MAX] */
	struct dist value_size;/* bytes, clamped to [0, max_value] */
	uint32_t max_value;
	double mix[MIX_COUNT]; /* weights, need not sum to 1 */
	double rate;           /* mean requests per second, > 0 */
	enum synth_arrival arrival;
	uint32_t connections;  /* >= 1 */
};

/* Fills the defaults of a model: "zipf" (alpha 0.99, 100000 keys, key size fixed:16, value size
 * fixed:100, 90/10 get/set, 10000/s Poisson, 1 connection) or "etc" (same keys and alpha,
 * etc-key, etc-value, get:set 30:1, ETC gaps at their native mean 18.97 us = 52,718/s).
 * ops = 1,000,000, seed = 1. @return 0 or MB_E_USAGE for an unknown model. */
int synth_defaults(struct synth_opts *o, const char *model);

struct synth_gen {
	struct synth_opts o;
	struct rng rng;
	struct zipf zipf;
	struct dist gap;      /* inter-arrival in ns (poisson/etc) */
	double cum[MIX_COUNT];/* cumulative normalised mix */
	double t_ns;
	uint64_t n;           /* requests generated */
	uint32_t *conn_dense; /* drawn connection -> dense id in order of first use, UINT32_MAX = none */
	uint32_t conns_used;
};

/* @return 0, MB_E_USAGE (inconsistent options: no limit, rate <= 0, keys == 0, mix all zero),
 *         -ENOMEM. */
int synth_init(struct synth_gen *g, const struct synth_opts *o);
void synth_free(struct synth_gen *g);

/* Next request: rec filled with time_ns, key_id = rank (1 = most popular; key identity for the
 * writer with key == NULL), key_len, value_len (sets: bytes stored; gets: the key's value size,
 * what a hit returns; deletes: 0), conn_id, op, proto text.
 * @return 1, or 0 when a limit is reached. */
int synth_next(struct synth_gen *g, struct mb_record *rec);

/* Key length and value length of key `rank` (deterministic in seed and rank). */
uint32_t synth_key_len(const struct synth_gen *g, uint64_t rank);
uint32_t synth_value_len(const struct synth_gen *g, uint64_t rank);

/* "model=zipf ops=... seed=..." with every parameter needed to regenerate the profile. */
void synth_format_params(const struct synth_opts *o, char *buf, size_t len);

#endif
