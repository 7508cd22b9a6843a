/* Seedable pseudo-random numbers for the workload generators: xoshiro256** (Blackman & Vigna,
 * 2018) seeded through splitmix64, so one 64-bit --seed gives the same stream on every machine.
 *
 * Invariant: the state is never all zero (splitmix64 seeding cannot produce four zero words from
 * the same increment sequence). Not for cryptography. Cost: a few ns per number.
 */
#ifndef MB_RECORD_RNG_H
#define MB_RECORD_RNG_H

#include <stdint.h>

struct rng {
	uint64_t s[4];
};

/* One step of splitmix64: advances *x and returns a well-mixed 64-bit value. Also used as a
 * hash of (seed, key rank) for per-key sizes. */
uint64_t rng_splitmix64(uint64_t *x);

/* Seeds the generator from a 64-bit seed. */
void rng_seed(struct rng *r, uint64_t seed);

/* Next 64 random bits. */
uint64_t rng_next(struct rng *r);

/* Uniform double in the open interval (0, 1): never 0 or 1, so log() and pow(u, -k) are safe. */
double rng_double(struct rng *r);

/* Uniform integer in [0, n) without modulo bias (Lemire's multiply-shift with rejection).
 * n must be > 0. */
uint64_t rng_below(struct rng *r, uint64_t n);

#endif
