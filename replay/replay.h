/* membench-replay: the constants every file shares, and the map of the folder (not a public API).
 *
 * Files (everything but main.c is the static library mbreplay, which tests/replay links):
 *          main.c      the run: flags -> plan -> targets -> workers on one t0 -> series -> report
 *          options.c/h command line -> struct rp_opts; --help
 *          plan.c/h    pre-scan of the profile (counts, span, lanes, keys to warm), fitting the
 *                      lanes to the fd limit, the start-up check of the targets, --warm stores
 *          target.c/h  server addresses, sockets, libmemcached placement and server stats
 *          keys.c/h    deterministic key and value bytes for anonymized profiles
 *          worker.c/h  the engine: one thread, one event_base, its connections and histograms
 *          stats.c/h   a worker's counters and latency histograms, and their merge
 *          series.c/h  the per-second time series the workers report into
 *          report.c/h  what a run prints: the progress line on stderr, the text table and
 *                      the JSON (schema in docs/replay.md)
 *          metrics.c/h --metrics: the slots workers publish into once a second, and the
 *                      Prometheus exposition served from them (docs/metrics.md)
 *          cluster.h   several processes (MPI ranks) sharing one replay: cluster_none.c /
 *                      cluster_mpi.c
 * Calls go one way: main -> (options, plan, worker, report, cluster) -> (target, keys, stats,
 * series, metrics); no file calls a file above it.
 *
 * Model: the profile's records are split into lanes (a recorded connection, or a fold of them by
 * connection or key hash). Each lane has one TCP/unix connection per server (`struct rp_conn`),
 * two when the profile mixes binary with text/meta records;
 * lane L belongs to worker L % threads, so a connection is only ever touched by one thread.
 * Every worker streams the whole profile with its own reader and keeps only its lanes' records.
 * Workers share nothing per request: once a second each adds its counters for the past second
 * to the shared time series (series.h) under its mutex, and their totals are merged after the run.
 */
#ifndef MB_REPLAY_H
#define MB_REPLAY_H

#define RP_NS_PER_SEC 1000000000ull
#define RP_MAX_KEY 250          /* memcached's key length limit */
/* Exit code when SIGINT/SIGTERM comes before the first request was sent (128 + SIGINT, as a
 * shell reports it); once the run started, Ctrl-C still exits 0 with the report. */
#define RP_EXIT_INTERRUPTED 130
#define RP_MAX_VALUE (64u << 20) /* larger recorded values are not sent (memcached's -I max is 1 GiB,
				  * its default 1 MiB); they count as `unsupported` */

#endif
