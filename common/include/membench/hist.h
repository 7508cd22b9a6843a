/* Log-linear latency histogram (the HdrHistogram idea, written for membench).
 *
 * Values are unsigned 64-bit integers (membench records nanoseconds). The range [0, highest] is
 * split into buckets that double in width; each bucket is split into `half` linear sub-buckets,
 * so every recorded value is known to within 1/half of itself:
 *
 *   u = value >> unit_shift                      (unit = largest power of two <= lowest)
 *   u <  sub_count:  index = u                   (bucket 0: sub_count slots of one unit)
 *   u >= sub_count:  b = msb(u) - (sub_bits - 1), index = sub_count + (b - 1) * half
 *                                                          + (u >> b) - half
 *
 * sub_count = 2^sub_bits is the smallest power of two >= 2 * 10^sig_digits, so the relative
 * error of any reported value is < 10^-sig_digits. Memory is sized by precision and range, not by
 * the largest value: 1 us .. 100 s at 3 digits is 18,899 counters (148 KiB); at 2 digits, 2,747.
 *
 * Invariants: total == sum(counts); min/max/sum are exact (not bucketed); values above
 * `highest` are counted in the last bucket and in `clamped`, while max still says the true value.
 * Two histograms merge bucket by bucket only when created with the same parameters.
 * Not thread safe: one histogram per thread, merged after the run.
 */
#ifndef MEMBENCH_HIST_H
#define MEMBENCH_HIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct mb_hist {
	uint64_t lowest;    /* smallest value told apart from 0 (as given) */
	uint64_t highest;   /* largest value tracked exactly (as given) */
	int sig_digits;     /* 1..5 */
	unsigned unit_shift;
	unsigned sub_bits;
	uint32_t sub_count; /* 2^sub_bits */
	uint32_t half;      /* sub_count / 2 */
	size_t ncounts;
	uint64_t *counts;
	uint64_t total;     /* values recorded */
	uint64_t clamped;   /* of those, values > highest */
	uint64_t min, max;  /* exact; min == UINT64_MAX while empty */
	double sum;         /* exact sum, for the mean */
};

/* Sets up h for values in [lowest, highest] (lowest >= 1, highest >= 2 * lowest) with
 * sig_digits (1..5) significant decimal digits.
 * @return 0, MB_E_USAGE (bad parameters) or -ENOMEM. On failure h is left empty (free is safe). */
int mb_hist_init(struct mb_hist *h, uint64_t lowest, uint64_t highest, int sig_digits);
/* Releases the counters; h may be re-initialised. Safe on a zeroed or failed h. */
void mb_hist_free(struct mb_hist *h);
/* Forgets every recorded value, keeping the parameters. */
void mb_hist_reset(struct mb_hist *h);

/* Records value n times. O(1). */
void mb_hist_record_n(struct mb_hist *h, uint64_t value, uint64_t n);
static inline void mb_hist_record(struct mb_hist *h, uint64_t value)
{
	mb_hist_record_n(h, value, 1);
}

/* Adds every count of src to dst. @return 0, or MB_E_USAGE when their parameters differ. */
int mb_hist_merge(struct mb_hist *dst, const struct mb_hist *src);

/* Value at percentile p (0..100): the highest value equivalent to the bucket holding the
 * ceil(p% * total)-th smallest recording, capped at the exact max (p = 100 gives max exactly).
 * @return that value, or 0 when h is empty. O(ncounts). */
uint64_t mb_hist_percentile(const struct mb_hist *h, double p);
/* Exact mean, or 0 when empty. */
double mb_hist_mean(const struct mb_hist *h);

/* Bucket index of a value, and the lowest/highest value sharing that index (for tests and for
 * callers that export buckets). */
size_t mb_hist_index(const struct mb_hist *h, uint64_t value);
uint64_t mb_hist_index_low(const struct mb_hist *h, size_t index);
uint64_t mb_hist_index_high(const struct mb_hist *h, size_t index);

#endif
