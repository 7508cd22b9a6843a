/* Log-linear histogram; the layout and its invariants are described in membench/hist.h.
 *
 * Index arithmetic: bucket 0 holds units [0, sub_count) one slot each; bucket b >= 1 holds units
 * [half << b, sub_count << b) in `half` slots of width 2^b units. Recording is a shift, a
 * count-leading-zeros and an add; percentile queries walk the counters once.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "membench/error.h"
#include "membench/hist.h"

static unsigned msb64(uint64_t v)
{
	return 63u - (unsigned)__builtin_clzll(v); /* v != 0 */
}

size_t mb_hist_index(const struct mb_hist *h, uint64_t value)
{
	if (value > h->highest)
		value = h->highest;
	uint64_t u = value >> h->unit_shift;
	if (u < h->sub_count)
		return (size_t)u;
	unsigned b = msb64(u) - (h->sub_bits - 1);
	return h->sub_count + (size_t)(b - 1) * h->half + (size_t)((u >> b) - h->half);
}

uint64_t mb_hist_index_low(const struct mb_hist *h, size_t index)
{
	if (index < h->sub_count)
		return (uint64_t)index << h->unit_shift;
	size_t rel = index - h->sub_count;
	unsigned b = (unsigned)(rel / h->half) + 1;
	uint64_t sub = h->half + rel % h->half;
	return (sub << b) << h->unit_shift;
}

uint64_t mb_hist_index_high(const struct mb_hist *h, size_t index)
{
	if (index < h->sub_count)
		return (((uint64_t)index + 1) << h->unit_shift) - 1;
	size_t rel = index - h->sub_count;
	unsigned b = (unsigned)(rel / h->half) + 1;
	uint64_t sub = h->half + rel % h->half;
	return (((sub + 1) << b) << h->unit_shift) - 1;
}

int mb_hist_init(struct mb_hist *h, uint64_t lowest, uint64_t highest, int sig_digits)
{
	memset(h, 0, sizeof(*h));
	h->min = UINT64_MAX;
	if (lowest < 1 || sig_digits < 1 || sig_digits > 5 || highest / 2 < lowest ||
	    highest > (UINT64_MAX >> 2))
		return MB_E_USAGE;
	uint64_t need = 2;
	for (int i = 0; i < sig_digits; i++)
		need *= 10;
	unsigned sub_bits = 1;
	while ((1ull << sub_bits) < need)
		sub_bits++;
	h->lowest = lowest;
	h->highest = highest;
	h->sig_digits = sig_digits;
	h->unit_shift = msb64(lowest);
	h->sub_bits = sub_bits;
	h->sub_count = 1u << sub_bits;
	h->half = h->sub_count / 2;
	h->ncounts = mb_hist_index(h, highest) + 1;
	h->counts = calloc(h->ncounts, sizeof(*h->counts));
	if (!h->counts) {
		h->ncounts = 0;
		return -ENOMEM;
	}
	return 0;
}

void mb_hist_free(struct mb_hist *h)
{
	free(h->counts);
	h->counts = NULL;
	h->ncounts = 0;
}

void mb_hist_reset(struct mb_hist *h)
{
	if (h->counts)
		memset(h->counts, 0, h->ncounts * sizeof(*h->counts));
	h->total = 0;
	h->clamped = 0;
	h->min = UINT64_MAX;
	h->max = 0;
	h->sum = 0;
}

void mb_hist_record_n(struct mb_hist *h, uint64_t value, uint64_t n)
{
	if (n == 0 || !h->counts)
		return;
	h->counts[mb_hist_index(h, value)] += n;
	h->total += n;
	if (value > h->highest)
		h->clamped += n;
	if (value < h->min)
		h->min = value;
	if (value > h->max)
		h->max = value;
	h->sum += (double)value * (double)n;
}

int mb_hist_merge(struct mb_hist *dst, const struct mb_hist *src)
{
	if (dst->lowest != src->lowest || dst->highest != src->highest ||
	    dst->sig_digits != src->sig_digits || dst->ncounts != src->ncounts)
		return MB_E_USAGE;
	for (size_t i = 0; i < src->ncounts; i++)
		dst->counts[i] += src->counts[i];
	dst->total += src->total;
	dst->clamped += src->clamped;
	if (src->min < dst->min)
		dst->min = src->min;
	if (src->max > dst->max)
		dst->max = src->max;
	dst->sum += src->sum;
	return 0;
}

uint64_t mb_hist_percentile(const struct mb_hist *h, double p)
{
	if (h->total == 0)
		return 0;
	if (p >= 100.0)
		return h->max;
	if (p < 0)
		p = 0;
	uint64_t rank = (uint64_t)(p / 100.0 * (double)h->total + 0.999999);
	if (rank < 1)
		rank = 1;
	uint64_t seen = 0;
	for (size_t i = 0; i < h->ncounts; i++) {
		seen += h->counts[i];
		if (seen >= rank) {
			uint64_t v = mb_hist_index_high(h, i);
			if (v > h->max)
				v = h->max;
			if (v < h->min)
				v = h->min;
			return v;
		}
	}
	return h->max;
}

double mb_hist_mean(const struct mb_hist *h)
{
	return h->total ? h->sum / (double)h->total : 0.0;
}
