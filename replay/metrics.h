/* --metrics for the replayer (metrics.c): what a run exposes at /metrics while it runs (metric
 * names in docs/metrics.md), served by membench/metrics.h.
 *
 * Every worker owns a slot: once a second (its series tick) and when it finishes, it copies its
 * counters and histograms into the slot under the slot's lock, taken with trylock so a scrape
 * never makes a worker wait (that second's copy is skipped; the next tick publishes). A scrape
 * merges the slots, so every counter it shows is at most about a second old and never goes
 * back; once every worker finished, the counters equal the run's totals (the JSON report of a
 * single process). The rate and last-second latency gauges are the newest point of the time
 * series (series.h), read under the series' lock until rp_metrics_end.
 */
#ifndef MB_REPLAY_METRICS_H
#define MB_REPLAY_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "options.h"
#include "series.h"
#include "stats.h"

struct rp_metrics;

/* What a worker publishes: its stats, and its state now. up/inflight: per server index of
 * opts->servers, connections up and commands awaiting a reply. */
struct rp_metrics_view {
	const struct rp_stats *st;
	uint64_t inflight, queued;
	const unsigned *up;
	const uint64_t *srv_inflight;
};

/* Binds o->metrics_addr (+ rank when its port is not 0, so the ranks of one host do not
 * collide) and starts serving; the exposition is empty of run figures until rp_metrics_begin.
 * @return 0 or an exit code, the message printed naming --metrics and the address. */
int rp_metrics_open(struct rp_metrics **out, const struct rp_opts *o, int rank);
/* The port it serves on. */
unsigned rp_metrics_port(const struct rp_metrics *m);
/* Sizes the slots for nworkers workers whose ids are rank + stride * i, and remembers the
 * series and the target rate (0: --rate max). @return 0 or -ENOMEM. */
int rp_metrics_begin(struct rp_metrics *m, unsigned nworkers, unsigned stride,
		     struct rp_series *series, double target_rate, uint64_t t0);
/* Publishes worker id's view (worker thread). final: wait for the slot's lock, and mark the
 * worker finished. No-op on NULL. */
void rp_metrics_publish(struct rp_metrics *m, unsigned id, const struct rp_metrics_view *v,
			bool final);
/* The run is over: the series is no longer read (it is about to be reorganised); the newest
 * point is kept. */
void rp_metrics_end(struct rp_metrics *m);
/* Keeps serving for linger_ns (the final figures, for a scraper's next visit), returning early
 * on SIGINT/SIGTERM (which the caller has blocked), then stops and frees m. Safe on NULL. */
void rp_metrics_close(struct rp_metrics *m, uint64_t linger_ns);

#endif
