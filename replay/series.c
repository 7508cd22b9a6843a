/* The per-second time series (model in series.h).
 *
 * Cost: a report is O(histogram buckets) under the mutex, once per worker per second; the
 * collect scans the RP_SERIES_RING slots. Points grow by doubling (64 to start); a point is
 * about 500 bytes (the per-command counters), 1.8 MB for an hour.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "replay.h"
#include "series.h"
#include "stats.h"

int rp_series_hist_init(struct mb_hist *h)
{
	return mb_hist_init(h, RP_LAT_LOW, RP_LAT_HIGH, RP_SERIES_DIGITS);
}

int rp_series_init(struct rp_series *s)
{
	memset(s, 0, sizeof(*s));
	for (unsigned i = 0; i < RP_SERIES_RING; i++) {
		if (rp_series_hist_init(&s->ring[i].lat) || rp_series_hist_init(&s->ring[i].lag)) {
			for (unsigned k = 0; k <= i; k++) {
				mb_hist_free(&s->ring[k].lat);
				mb_hist_free(&s->ring[k].lag);
			}
			return -ENOMEM;
		}
	}
	pthread_mutex_init(&s->mu, NULL);
	return 0;
}

void rp_series_free(struct rp_series *s)
{
	for (unsigned i = 0; i < RP_SERIES_RING; i++) {
		mb_hist_free(&s->ring[i].lat);
		mb_hist_free(&s->ring[i].lag);
	}
	free(s->points);
	s->points = NULL;
	s->n = s->cap = 0;
	pthread_mutex_destroy(&s->mu);
}

static uint64_t ns_to_us(uint64_t ns)
{
	return (ns + 500) / 1000;
}

/* Turns an open second into a point and empties its slot. Called with s->mu held. */
static void finalize_locked(struct rp_series *s, struct rp_second *sec)
{
	if (sec->reports == 0)
		return;
	if (s->n == s->cap) {
		size_t ncap = s->cap ? s->cap * 2 : 64;
		struct rp_point *np = realloc(s->points, ncap * sizeof(*np));
		if (!np)
			goto reset; /* the series loses this second; totals are kept elsewhere */
		s->points = np;
		s->cap = ncap;
	}
	s->points[s->n++] = (struct rp_point){
		.sec = sec->sec,
		.sent = sec->sent,
		.responses = sec->responses,
		.errors = sec->errors,
		.outstanding = sec->outstanding,
		.p50_us = ns_to_us(mb_hist_percentile(&sec->lat, 50)),
		.p99_us = ns_to_us(mb_hist_percentile(&sec->lat, 99)),
		.max_us = ns_to_us(sec->lat.max),
		.lag_p99_us = ns_to_us(mb_hist_percentile(&sec->lag, 99)),
	};
	memcpy(s->points[s->n - 1].op_sent, sec->op_sent, sizeof(sec->op_sent));
	memcpy(s->points[s->n - 1].op_bytes, sec->op_bytes, sizeof(sec->op_bytes));
reset:
	sec->reports = 0;
	sec->sent = sec->responses = sec->errors = sec->outstanding = 0;
	memset(sec->op_sent, 0, sizeof(sec->op_sent));
	memset(sec->op_bytes, 0, sizeof(sec->op_bytes));
	mb_hist_reset(&sec->lat);
	mb_hist_reset(&sec->lag);
}

void rp_series_report(struct rp_series *s, uint64_t sec, const struct rp_series_report *r)
{
	pthread_mutex_lock(&s->mu);
	struct rp_second *slot = &s->ring[sec % RP_SERIES_RING];
	if (slot->reports && slot->sec != sec)
		finalize_locked(s, slot);
	slot->sec = sec;
	slot->reports++;
	slot->sent += r->sent;
	slot->responses += r->responses;
	slot->errors += r->errors;
	slot->outstanding += r->outstanding;
	for (unsigned op = 0; op < MB_OP_COUNT; op++) {
		slot->op_sent[op] += r->op_sent ? r->op_sent[op] : 0;
		slot->op_bytes[op] += r->op_bytes ? r->op_bytes[op] : 0;
	}
	if (r->lat)
		mb_hist_merge(&slot->lat, r->lat);
	if (r->lag)
		mb_hist_merge(&slot->lag, r->lag);
	pthread_mutex_unlock(&s->mu);
}

bool rp_series_collect(struct rp_series *s, unsigned expect, uint64_t older_than, bool all,
		       struct rp_point *newest)
{
	bool any = false;
	pthread_mutex_lock(&s->mu);
	for (;;) {
		struct rp_second *pick = NULL;
		for (unsigned i = 0; i < RP_SERIES_RING; i++) {
			struct rp_second *sec = &s->ring[i];
			if (!sec->reports)
				continue;
			if (!all && sec->reports < expect && sec->sec >= older_than)
				continue;
			if (!pick || sec->sec < pick->sec)
				pick = sec;
		}
		if (!pick)
			break;
		size_t before = s->n;
		finalize_locked(s, pick);
		if (s->n > before) {
			any = true;
			if (newest)
				*newest = s->points[s->n - 1];
		}
	}
	pthread_mutex_unlock(&s->mu);
	return any;
}

void rp_series_each(struct rp_series *s, size_t *from,
		    void (*fn)(void *ctx, const struct rp_point *pt), void *ctx)
{
	pthread_mutex_lock(&s->mu);
	for (; *from < s->n; (*from)++)
		fn(ctx, &s->points[*from]);
	pthread_mutex_unlock(&s->mu);
}

static int cmp_point(const void *a, const void *b)
{
	const struct rp_point *x = a, *y = b;
	return x->sec < y->sec ? -1 : x->sec > y->sec;
}

static uint64_t max_u64(uint64_t a, uint64_t b)
{
	return a > b ? a : b;
}

int rp_series_tidy(struct rp_series *s)
{
	if (s->n == 0)
		return 0; /* (qsort's array may not be NULL) a rank without lanes has no series */
	qsort(s->points, s->n, sizeof(*s->points), cmp_point);
	size_t k = 0;
	for (size_t i = 0; i < s->n; i++) {
		struct rp_point *p = &s->points[i];
		if (k && s->points[k - 1].sec == p->sec) {
			struct rp_point *d = &s->points[k - 1];
			d->sent += p->sent;
			d->responses += p->responses;
			d->errors += p->errors;
			d->outstanding += p->outstanding;
			d->p50_us = max_u64(d->p50_us, p->p50_us);
			d->p99_us = max_u64(d->p99_us, p->p99_us);
			d->max_us = max_u64(d->max_us, p->max_us);
			d->lag_p99_us = max_u64(d->lag_p99_us, p->lag_p99_us);
			for (unsigned op = 0; op < MB_OP_COUNT; op++) {
				d->op_sent[op] += p->op_sent[op];
				d->op_bytes[op] += p->op_bytes[op];
			}
			continue;
		}
		s->points[k++] = *p;
	}
	s->n = k;
	/* one point per second from 0: fill the gaps (from the end, in place, once grown) */
	size_t want = (size_t)s->points[k - 1].sec + 1;
	if (want == k)
		return 0;
	if (want > s->cap) {
		struct rp_point *np = realloc(s->points, want * sizeof(*np));
		if (!np)
			return -ENOMEM;
		s->points = np;
		s->cap = want;
	}
	for (size_t i = want; i-- > 0;) {
		if (k && s->points[k - 1].sec == i)
			s->points[i] = s->points[--k];
		else
			s->points[i] = (struct rp_point){.sec = i};
	}
	s->n = want;
	return 0;
}

int rp_series_acc_init(struct rp_series_acc *a)
{
	memset(a, 0, sizeof(*a));
	if (rp_series_hist_init(&a->lat) == 0 && rp_series_hist_init(&a->lag) == 0)
		return 0;
	rp_series_acc_free(a);
	return -ENOMEM;
}

void rp_series_acc_free(struct rp_series_acc *a)
{
	mb_hist_free(&a->lat);
	mb_hist_free(&a->lag);
}

void rp_series_acc_flush(struct rp_series *s, struct rp_series_acc *a, uint64_t outstanding)
{
	struct rp_series_report r = {.sent = a->sent, .responses = a->responses,
				     .errors = a->errors, .outstanding = outstanding,
				     .lat = &a->lat, .lag = &a->lag, .op_sent = a->op_sent,
				     .op_bytes = a->op_bytes};
	rp_series_report(s, a->sec, &r);
	a->sent = a->responses = a->errors = 0;
	memset(a->op_sent, 0, sizeof(a->op_sent));
	memset(a->op_bytes, 0, sizeof(a->op_bytes));
	mb_hist_reset(&a->lat);
	mb_hist_reset(&a->lag);
}

void rp_series_acc_roll(struct rp_series *s, struct rp_series_acc *a, uint64_t now,
			uint64_t outstanding)
{
	while (now >= a->end_ns) {
		rp_series_acc_flush(s, a, outstanding);
		a->sec++;
		a->end_ns += RP_NS_PER_SEC;
	}
}
