/* Sketches the analyzer switches to when a profile has more distinct keys than it tracks exactly
 * (`--exact-keys`, docs/analyze.md "Exact figures and estimates").
 *
 * HyperLogLog (Flajolet et al. 2007, with the small-range linear-counting correction): 2^14
 * one-byte registers (16 KiB), standard error 1.04 / sqrt(2^14) = 0.81 %.
 *
 * Space-Saving (top keys) is membench/spacesaving.h, shared with `membench record --top`.
 */
#ifndef MB_ANALYZE_SKETCH_H
#define MB_ANALYZE_SKETCH_H

#include <stdint.h>

#include "membench/mix.h"
#include "membench/spacesaving.h"

#define AN_HLL_BITS 14

struct an_hll {
	uint8_t reg[1u << AN_HLL_BITS];
};

void an_hll_init(struct an_hll *h);
void an_hll_add(struct an_hll *h, uint64_t id);
/* Estimated number of distinct ids added. */
double an_hll_estimate(const struct an_hll *h);

#endif
