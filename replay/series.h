/* The per-second time series of a run (series.c): what the JSON's "series" array and the live
 * line on a terminal show.
 *
 * Every worker reports each second since t0 once (its counters for that second, even when all
 * are zero); reports of the same second are summed in a small ring of open seconds. A second is
 * finalized into a point when every running worker has reported it, when it is older than the
 * caller's horizon, or when a newer second needs its ring slot (a late report then makes a
 * second point of the same second, merged again by rp_series_tidy). Points are appended in
 * finalization order; rp_series_tidy sorts them. Thread-safe: workers report, main collects.
 */
#ifndef MB_REPLAY_SERIES_H
#define MB_REPLAY_SERIES_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "membench/hist.h"

#define RP_SERIES_RING 8        /* seconds kept open for late worker reports */
#define RP_SERIES_DIGITS 2      /* significant digits of the per-second histograms */

/* One worker's counters for one second. lat and lag are histograms made by
 * rp_series_hist_init; either may be NULL (nothing recorded). */
struct rp_series_report {
	uint64_t sent, responses, errors, outstanding;
	const struct mb_hist *lat, *lag;
};

/* One open second of the ring, as reported so far. */
struct rp_second {
	uint64_t sec;              /* seconds since t0 */
	unsigned reports;          /* workers that reported this second */
	uint64_t sent, responses, errors, outstanding;
	struct mb_hist lat, lag;
};

/* Finished summary of one second (the JSON time series). */
struct rp_point {
	uint64_t sec, sent, responses, errors, outstanding;
	uint64_t p50_us, p99_us, max_us, lag_p99_us;
};

struct rp_series {
	pthread_mutex_t mu;        /* guards everything below */
	struct rp_second ring[RP_SERIES_RING];
	struct rp_point *points;   /* grown with realloc (cluster.h appends other ranks' points) */
	size_t n, cap;
};

/* @return 0 or -ENOMEM (nothing left allocated). */
int rp_series_init(struct rp_series *s);
void rp_series_free(struct rp_series *s);
/* A histogram that rp_series_report accepts (ns, RP_SERIES_DIGITS). @return 0 or -ENOMEM. */
int rp_series_hist_init(struct mb_hist *h);
/* Adds one worker's counters for second `sec`. Out of memory loses the second from the series
 * (the run's totals are kept elsewhere). */
void rp_series_report(struct rp_series *s, uint64_t sec, const struct rp_series_report *r);
/* Finalizes every open second that `expect` workers have reported, or older than `older_than`,
 * or every open second when `all`. Copies the newest point finalized into *newest (may be NULL).
 * @return true when at least one point was finalized. */
bool rp_series_collect(struct rp_series *s, unsigned expect, uint64_t older_than, bool all,
		       struct rp_point *newest);
/* Sorts the points by second and merges points of the same second (counts summed, percentiles
 * the larger of the two). Not thread-safe: call when no worker reports. */
void rp_series_tidy(struct rp_series *s);

#endif
