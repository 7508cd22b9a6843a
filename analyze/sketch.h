/* Sketches the analyzer switches to when a profile has more distinct keys than it tracks exactly
 * (`--exact-keys`, docs/analyze.md "Exact figures and estimates").
 *
 * HyperLogLog (Flajolet et al. 2007, with the small-range linear-counting correction): 2^14
 * one-byte registers (16 KiB), standard error 1.04 / sqrt(2^14) = 0.81 %.
 *
 * Space-Saving (Metwally et al. 2005): `cap` counters {id, count, err}. A tracked id increments
 * its counter; an untracked id replaces the smallest counter c_min and starts at c_min + 1 with
 * err = c_min. Every id with true frequency > n / cap is tracked, and for a tracked id
 * count - err <= true frequency <= count. Counters sit in a min-heap by count (replacement is
 * O(log cap)) and an open-addressing table maps id -> heap slot; each heap entry knows its table
 * position, so moving entries in the heap never probes the table.
 */
#ifndef MB_ANALYZE_SKETCH_H
#define MB_ANALYZE_SKETCH_H

#include <stddef.h>
#include <stdint.h>

#include "membench/mix.h"

#define AN_HLL_BITS 14

struct an_hll {
	uint8_t reg[1u << AN_HLL_BITS];
};

void an_hll_init(struct an_hll *h);
void an_hll_add(struct an_hll *h, uint64_t id);
/* Estimated number of distinct ids added. */
double an_hll_estimate(const struct an_hll *h);

struct an_ss_entry {
	uint64_t id;
	uint64_t count; /* upper bound of the id's frequency */
	uint64_t err;   /* count - err is a lower bound */
	size_t tpos;    /* this entry's position in the id table (internal) */
};

struct an_spacesaving {
	struct an_ss_entry *heap; /* min-heap by count, `len` used of `cap` */
	uint32_t *table;          /* id hash -> heap slot + 1 (0 = empty), `tcap` slots */
	size_t len, cap, tcap;
};

/* @return 0 or -ENOMEM. */
int an_ss_init(struct an_spacesaving *s, size_t cap);
void an_ss_free(struct an_spacesaving *s);
void an_ss_add(struct an_spacesaving *s, uint64_t id);
/* Copies up to k entries with the largest counts into out, largest first. @return how many. */
size_t an_ss_top(const struct an_spacesaving *s, struct an_ss_entry *out, size_t k);

#endif
