/* The replay engine's interface (worker.c): a worker is one thread with its own event loop,
 * profile reader, connections and stats. struct rp_run is what main.c shares with every worker
 * of a run: the settings, the start gate and the time series they report into. */
#ifndef MB_REPLAY_WORKER_H
#define MB_REPLAY_WORKER_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libmemcached/memcached.h>

#include "metrics.h"
#include "options.h"
#include "plan.h"
#include "session.h"
#include "series.h"
#include "stats.h"

struct rp_run {
	const struct rp_opts *opts;
	const struct rp_plan *plan;
	memcached_st *memc;        /* stats and --warm (workers build their own for placement) */
	uint64_t t0;               /* CLOCK_MONOTONIC ns of profile time t_first: set once every
				    * worker thread runs, so a slow thread start is not lag */
	uint64_t end_ns;           /* t0 + duration, or UINT64_MAX */
	struct rp_series series;   /* workers report each second here (its own lock) */
	const struct rp_secure *sec; /* connection set-up: TLS context, credentials, timeout */
	unsigned reconnects;       /* connections set up again during the run (atomic): main reads
				    * the servers' stats again when it moves (a restart?) */
	struct rp_metrics *metrics; /* --metrics: workers publish once a second (NULL: off) */

	pthread_mutex_t mu;        /* guards the fields below */
	pthread_cond_t gate;       /* start: workers wait, ready, until main sets t0 and releases */
	unsigned ready;
	bool released;
	unsigned done_workers;
};

struct rp_worker;

/* Creates worker id of n: opens its reader, its event base and sets up its connections (connect,
 * TLS, authentication; all at once, within --connect-timeout). It keeps the lanes L with
 * L % n == id. @return 0, or a negative error (message in err): MB_E_CONNECT when a server
 * cannot be reached or refused the handshake or credentials, -EINTR when SIGINT/SIGTERM came. */
int rp_worker_new(struct rp_worker **out, struct rp_run *run, unsigned id, unsigned n, char *err,
		  size_t errlen);
/* Starts its thread, which waits at run->gate until run->released. @return 0 or -errno. */
int rp_worker_start(struct rp_worker *w);
/* Asks the worker to stop sending (async-signal-unsafe, thread-safe: writes to its pipe). */
void rp_worker_stop(struct rp_worker *w);
void rp_worker_join(struct rp_worker *w);
const struct rp_stats *rp_worker_stats(const struct rp_worker *w);
void rp_worker_free(struct rp_worker *w);

#endif
