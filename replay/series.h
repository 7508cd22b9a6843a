/* The per-second time series of a run (series.c): what the JSON's "timeseries" array and the
 * live per-second line on stderr show.
 *
 * Every worker reports each second since t0 once (its counters for that second, even when all
 * are zero); reports of the same second are summed in a small ring of open seconds. A worker
 * counts into a struct rp_series_acc, and every send or reply is put in the second of its own
 * timestamp (rp_series_acc_at, before it is counted): a second ends when time passes its end,
 * not when a timer fires, so a late tick or a worker that finishes just after a boundary never
 * folds one second's counts into the next (issue 16: that left seconds out of the series). A second is
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
#include "membench/profile.h"

#define RP_SERIES_RING 8        /* seconds kept open for late worker reports */
#define RP_SERIES_DIGITS 2      /* significant digits of the per-second histograms */

/* One worker's counters for one second. lat and lag are histograms made by
 * rp_series_hist_init; either may be NULL (nothing recorded). op_sent and op_bytes (commands
 * sent, and request bytes sent plus value bytes received, per enum mb_op) may be NULL. */
struct rp_series_report {
	uint64_t sent, responses, errors, outstanding;
	const struct mb_hist *lat, *lag;
	const uint64_t *op_sent, *op_bytes;
};

/* A worker's counters for its open second (written only by its thread). */
struct rp_series_acc {
	uint64_t sec;              /* the open second, counted from t0 */
	uint64_t end_ns;           /* its end: t0 + (sec + 1) s, CLOCK_MONOTONIC */
	uint64_t sent, responses, errors;
	uint64_t op_sent[MB_OP_COUNT], op_bytes[MB_OP_COUNT];
	struct mb_hist lat, lag;   /* corrected latency of replies, schedule lag of sends, ns */
};

/* One open second of the ring, as reported so far. */
struct rp_second {
	uint64_t sec;              /* seconds since t0 */
	unsigned reports;          /* workers that reported this second */
	uint64_t sent, responses, errors, outstanding;
	uint64_t op_sent[MB_OP_COUNT], op_bytes[MB_OP_COUNT];
	struct mb_hist lat, lag;
};

/* Finished summary of one second (the JSON time series). */
struct rp_point {
	uint64_t sec, sent, responses, errors, outstanding;
	uint64_t p50_us, p99_us, max_us, lag_p99_us;
	uint64_t op_sent[MB_OP_COUNT], op_bytes[MB_OP_COUNT];
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
/* Calls fn for every point finalized since *from (in finalization order) and advances *from;
 * under the lock, so fn must be quick (the live line). */
void rp_series_each(struct rp_series *s, size_t *from,
		    void (*fn)(void *ctx, const struct rp_point *pt), void *ctx);
/* Sorts the points by second, merges points of the same second (counts summed, percentiles
 * the larger of the two) and inserts an empty point for any second missing between 0 and the
 * last (a second lost to out of memory, or a rank without lanes), so the series has exactly one
 * point per second from 0 to its end. Not thread-safe: call when no worker reports.
 * @return 0 or -ENOMEM (the points are then sorted and merged, gaps left). */
int rp_series_tidy(struct rp_series *s);

/* Allocates a's histograms and zeroes it (second 0 ends at end_ns; set it once t0 is known).
 * @return 0 or -ENOMEM (nothing left allocated). */
int rp_series_acc_init(struct rp_series_acc *a);
void rp_series_acc_free(struct rp_series_acc *a);
/* Reports a's open second to s, then every later second that ended at or before now (empty),
 * and opens the second holding now. Cost: one report per second passed. */
void rp_series_acc_roll(struct rp_series *s, struct rp_series_acc *a, uint64_t now,
			uint64_t outstanding);
/* Puts a in the second holding now: call before counting an event stamped now. One comparison
 * unless a second has ended. */
static inline void rp_series_acc_at(struct rp_series *s, struct rp_series_acc *a, uint64_t now,
				    uint64_t outstanding)
{
	if (now >= a->end_ns)
		rp_series_acc_roll(s, a, now, outstanding);
}
/* Reports a's open second (a worker's last) and empties it. */
void rp_series_acc_flush(struct rp_series *s, struct rp_series_acc *a, uint64_t outstanding);

#endif
