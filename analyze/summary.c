/* Shared helpers of the reports: distribution summaries, log bins, CDF and rank-frequency
 * points. */
#include <math.h>
#include <stdlib.h>

#include "report.h"

const uint64_t an_reuse_time_edges[] = {
	0, 1000ull, 10000ull, 100000ull, 1000000ull, 10000000ull, 100000000ull, 1000000000ull,
	10000000000ull, 100000000000ull, 1000000000000ull, 10000000000000ull, 100000000000000ull};
const size_t an_reuse_time_nedges = sizeof(an_reuse_time_edges) / sizeof(an_reuse_time_edges[0]);
const char *const an_reuse_time_labels[] = {
	"< 1us", "1us-10us", "10us-100us", "100us-1ms", "1ms-10ms", "10ms-100ms", "100ms-1s",
	"1s-10s", "10s-100s", "100s-1000s", "1000s-10000s", "10000s-100000s", ">= 100000s"};

void an_topkey_name(const struct analysis *a, const struct an_topkey *t, char *buf, size_t len)
{
	if (t->key && a->src.meta.key_mode == MB_KEYS_PREFIX)
		snprintf(buf, len, "%.40s... #%llu", t->key, (unsigned long long)t->id);
	else if (t->key)
		snprintf(buf, len, "%.60s", t->key);
	else
		snprintf(buf, len, "#%llu", (unsigned long long)t->id);
	for (char *p = buf; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
}

void an_dist_of(const struct mb_hist *h, struct an_dist *d)
{
	d->count = h->total;
	d->mean = h->total ? mb_hist_mean(h) : NAN;
	d->min = h->total ? h->min : 0;
	d->p50 = mb_hist_percentile(h, 50);
	d->p90 = mb_hist_percentile(h, 90);
	d->p99 = mb_hist_percentile(h, 99);
	d->p999 = mb_hist_percentile(h, 99.9);
	d->max = h->max;
}

void an_hist_bins(const struct mb_hist *h, const uint64_t *edges, size_t nedges, uint64_t *out)
{
	for (size_t i = 0; i < nedges; i++)
		out[i] = 0;
	size_t bin = 0;
	for (size_t i = 0; i < h->ncounts; i++) {
		if (!h->counts[i])
			continue;
		uint64_t low = mb_hist_index_low(h, i);
		while (bin + 1 < nedges && low >= edges[bin + 1])
			bin++;
		out[bin] += h->counts[i];
	}
}

size_t an_cdf_points(const struct mb_hist *h, double *x, double *y, size_t max)
{
	if (!h->total || max < 2)
		return 0;
	size_t nonzero = 0;
	for (size_t i = 0; i < h->ncounts; i++)
		nonzero += h->counts[i] != 0;
	size_t step = (nonzero + max - 2) / (max - 1);
	if (step < 1)
		step = 1;
	size_t n = 0, seen = 0;
	uint64_t cum = 0;
	for (size_t i = 0; i < h->ncounts; i++) {
		if (!h->counts[i])
			continue;
		cum += h->counts[i];
		seen++;
		if (seen % step && seen != nonzero)
			continue;
		uint64_t v = mb_hist_index_high(h, i);
		if (v > h->max)
			v = h->max;
		if (n < max) {
			x[n] = (double)v;
			y[n] = (double)cum / (double)h->total;
			n++;
		}
	}
	return n;
}

size_t an_rank_points(const struct analysis *a, double *rank, double *freq, size_t max)
{
	uint64_t total = 0;
	for (size_t i = 0; i < a->nruns; i++)
		total += a->runs[i].nkeys;
	if (!total || max < 2)
		return 0;
	double ratio = pow((double)total, 1.0 / (double)(max - 1));
	if (ratio < 1.0001)
		ratio = 1.0001;
	size_t n = 0;
	double next = 1;
	uint64_t r0 = 0;
	for (size_t i = 0; i < a->nruns && n < max; i++) {
		uint64_t first = r0 + 1, last = r0 + a->runs[i].nkeys;
		r0 = last;
		for (uint64_t r = first; r <= last && n < max;) {
			if ((double)r >= next || r == total) {
				rank[n] = (double)r;
				freq[n] = (double)a->runs[i].count;
				n++;
				while (next <= (double)r)
					next = ceil(next * ratio);
			}
			if (r == last)
				break;
			/* jump to the next rank of interest within this run */
			uint64_t want = (uint64_t)next;
			r = want > r ? (want < last ? want : last) : r + 1;
		}
	}
	return n;
}
