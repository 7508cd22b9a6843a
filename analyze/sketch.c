/* HyperLogLog; see sketch.h for the guarantees. */
#include <math.h>
#include <string.h>

#include "sketch.h"

void an_hll_init(struct an_hll *h)
{
	memset(h->reg, 0, sizeof(h->reg));
}

void an_hll_add(struct an_hll *h, uint64_t id)
{
	uint64_t x = mb_mix64(id + 0x9e3779b97f4a7c15ull);
	uint32_t idx = (uint32_t)(x >> (64 - AN_HLL_BITS));
	uint64_t rest = x << AN_HLL_BITS;
	/* rank = position of the first 1 bit in the remaining 64 - b bits, 1-based */
	uint8_t rank = rest ? (uint8_t)(__builtin_clzll(rest) + 1) : (uint8_t)(64 - AN_HLL_BITS + 1);
	if (rank > h->reg[idx])
		h->reg[idx] = rank;
}

double an_hll_estimate(const struct an_hll *h)
{
	const double m = (double)(1u << AN_HLL_BITS);
	double sum = 0;
	unsigned zeros = 0;
	for (size_t i = 0; i < sizeof(h->reg); i++) {
		sum += ldexp(1.0, -h->reg[i]);
		zeros += h->reg[i] == 0;
	}
	double alpha = 0.7213 / (1.0 + 1.079 / m);
	double e = alpha * m * m / sum;
	if (e <= 2.5 * m && zeros)
		e = m * log(m / zeros); /* linear counting for small cardinalities */
	return e;
}
