/* membench-replay: plays a profile's traffic against memcached servers and measures latency
 * without coordinated omission. This file is the run; every part it wires is in the mbreplay
 * library (file map in replay.h).
 *
 * Order of a run: parse flags (options.c) -> check that --json FILE can be written -> TLS
 * context -> pre-scan the profile (plan.c: counts, time span, lanes, keys to warm) -> check
 * every server connects, completes the TLS handshake and accepts the credentials (exit 5 naming
 * HOST:PORT otherwise) -> --warm stores -> server stats "before" -> create the workers
 * (worker.c; their connections are set up here, all at once within --connect-timeout) -> t0 =
 * now + 20 ms -> start them -> the main thread waits for SIGINT/SIGTERM or the workers' end,
 * turning each second's reports into the time series (series.c) and the progress line on
 * stderr (report.c) -> merge (stats.c) -> stats "after" -> report table on stdout, JSON with
 * --json (report.c). Under mpirun each step that can fail on one host is agreed on by all ranks
 * (cluster.h).
 *
 * Signals: SIGINT and SIGTERM are blocked in every thread and taken by the main thread with
 * sigtimedwait(), so no handler runs inside the engine. The first one stops the workers (queued
 * commands are counted as unsent, in-flight ones get 0.5 s to answer) and the report covers what
 * ran; the exit code is then still 0. Before t0 (connecting, --warm), every wait polls in slices
 * and looks for a pending signal (session.c), and the replay exits 130 at once.
 *
 * --warmup: the workers count the first part of the schedule apart (stats.h); the main thread
 * wakes at its end (t0 + D) and reads the servers' stats again, and that reading becomes the
 * "before" of the deltas, the first one being kept as the warm-up's start. --duration then
 * counts from the warm-up's end.
 *
 * Server stats go over the replay's own connections (session.c's rp_ctl; libmemcached cannot do
 * TLS). A server restart shows as a reconnect: the stats are read again then (and at the end),
 * and a server whose pid changed (or uptime went back) gets a zero baseline, so its delta is
 * the new process's own count, one process only, and the report says it restarted.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "membench/cli.h"
#include "membench/clock.h"
#include "membench/error.h"
#include "membench/exitcode.h"
#include "cluster.h"
#include "metrics.h"
#include "options.h"
#include "plan.h"
#include "replay.h"
#include "report.h"
#include "series.h"
#include "session.h"
#include "stats.h"
#include "target.h"
#include "worker.h"

static void live_point(void *ctx, const struct rp_point *pt)
{
	rp_live_add(ctx, pt);
}

/* Lanes of this rank: L % size == rank (cluster.h). */
static unsigned rank_lanes(const struct rp_cluster *d, const struct rp_plan *plan)
{
	unsigned r = (unsigned)d->rank, n = (unsigned)d->size;
	return plan->nlanes > r ? (plan->nlanes - r + n - 1) / n : 0;
}

/* Times of st relative to t0 (+1, so 0 still means "none"), or back to absolute. */
static uint64_t rel_t0(uint64_t t, uint64_t t0)
{
	return t ? (t > t0 ? t - t0 : 0) + 1 : 0;
}

static uint64_t abs_t0(uint64_t rel, uint64_t t0)
{
	return rel ? t0 + rel - 1 : 0;
}

/* This rank's line of the per-rank section. */
static void rank_info(const struct rp_cluster *d, const struct rp_opts *o, const struct rp_stats *st,
		      struct rp_rank_info *ri)
{
	memset(ri, 0, sizeof(*ri));
	snprintf(ri->host, sizeof(ri->host), "%s", d->host);
	ri->requests_sent = st->requests_sent; /* requests: one per key */
	ri->responses = st->responses;
	ri->latency_count = st->corr.total;
	ri->lag_p99_ns = mb_hist_percentile(&st->lag, 99);
	if (st->last_done_ns > st->first_send_ns && st->first_send_ns)
		ri->duration_s = (double)(st->last_done_ns - st->first_send_ns) / 1e9;
	ri->achieved_rate = ri->duration_s > 0 ? (double)st->requests_sent / ri->duration_s : 0;
	ri->behind = o->rate_mode != RP_RATE_MAX && ri->lag_p99_ns > RP_BEHIND_LAG_NS;
}

/* st's times (and its warm-up block's) relative to t0, or back to absolute (rel_t0, abs_t0). */
static void stats_times(struct rp_stats *st, uint64_t t0, bool rel)
{
	for (; st; st = st->warmup) {
		st->first_send_ns = rel ? rel_t0(st->first_send_ns, t0) : abs_t0(st->first_send_ns, t0);
		st->last_done_ns = rel ? rel_t0(st->last_done_ns, t0) : abs_t0(st->last_done_ns, t0);
	}
}

/* Server stats of every server into vals/ids. @return true when all answered. */
static bool stats_all(const struct rp_opts *o, struct rp_ctl *ctl, uint64_t (*vals)[RP_NSTAT],
		      struct rp_srv_id *ids)
{
	char err[512];
	for (unsigned s = 0; s < o->nservers; s++) {
		int rc = rp_ctl_stats(&ctl[s], vals[s], &ids[s], err, sizeof(err));
		if (rc) {
			if (rc != -EINTR)
				mb_warn("server stats: %s", err);
			return false;
		}
	}
	return true;
}

/* A server whose pid changed or whose uptime went back since ids[s] restarted: its first
 * "before" moves to restart[s].pre and its baseline becomes zero, so its delta is the new
 * process's own count (it started during the run), never old and new mixed. */
static void note_restarts(const struct rp_opts *o, uint64_t (*before)[RP_NSTAT],
			  struct rp_srv_id *ids, const struct rp_srv_id *now_ids,
			  struct rp_restart *restart)
{
	for (unsigned s = 0; s < o->nservers; s++) {
		struct rp_restart *rs = &restart[s];
		if (now_ids[s].pid == ids[s].pid && now_ids[s].uptime >= ids[s].uptime)
			continue;
		if (!rs->restarted) {
			memcpy(rs->pre, before[s], sizeof(rs->pre));
			rs->pid_before = ids[s].pid;
			rs->uptime_before = ids[s].uptime;
		}
		rs->restarted = true;
		rs->restarts++;
		rs->pid_after = now_ids[s].pid;
		memset(before[s], 0, sizeof(before[s]));
		ids[s] = now_ids[s];
	}
}

/* The end of --warmup on rank 0: every server's stats are read again; the first reading moves
 * to at_start and this one becomes "before" (a restart seen since is noted first). A server
 * that does not answer leaves the deltas covering the warm-up too (said in the report). */
static void warmup_stats(const struct rp_opts *o, struct rp_ctl *ctl, uint64_t end_ns,
			 uint64_t (*before)[RP_NSTAT], uint64_t (*at_start)[RP_NSTAT],
			 struct rp_srv_id *ids, struct rp_srv_id *ids_now, struct rp_restart *restart,
			 struct rp_report *rep)
{
	uint64_t (*now)[RP_NSTAT] = calloc(o->nservers, sizeof(*now));
	if (now && stats_all(o, ctl, now, ids_now)) {
		note_restarts(o, before, ids, ids_now, restart);
		memcpy(at_start, before, o->nservers * sizeof(*before));
		memcpy(before, now, o->nservers * sizeof(*before));
		rep->stat_warmup_start = at_start;
		/* how late the reading is: the requests sent meanwhile are in the warm-up's delta */
		rep->warmup_stats_late_s = (double)(mb_mono_ns() - end_ns) / 1e9;
	}
	free(now);
}

static int run_replay(const struct rp_cluster *d, const struct rp_opts *o, struct rp_plan *plan,
		      const char *warning, const struct rp_secure *sec, struct rp_metrics *metrics)
{
	struct rp_rank_info *ranks = calloc((size_t)d->size, sizeof(*ranks));
	int failed_rank = 0;
	char err[512];
	struct rp_run run = {.opts = o, .plan = plan, .sec = sec, .metrics = metrics};
	struct rp_worker **workers = NULL;
	struct rp_stats total;
	uint64_t (*before)[RP_NSTAT] = calloc(o->nservers, sizeof(*before));
	uint64_t (*after)[RP_NSTAT] = calloc(o->nservers, sizeof(*after));
	struct rp_ctl *ctl = calloc(o->nservers, sizeof(*ctl));
	struct rp_srv_id *ids = calloc(o->nservers, sizeof(*ids));
	struct rp_srv_id *ids_now = calloc(o->nservers, sizeof(*ids_now));
	struct rp_restart *restart = calloc(o->nservers, sizeof(*restart));
	uint64_t (*at_start)[RP_NSTAT] = calloc(o->nservers, sizeof(*at_start));
	bool warmup_pending = o->warmup_ns != 0;
	unsigned seen_reconnects = 0;
	struct rp_report rep = {.opts = o, .plan = plan, .profile_warning = warning};
	int ret = MB_EXIT_FAILURE;
	unsigned started = 0, nw = 0;
	struct rp_live live;
	size_t shown = 0;
	bool total_ok = false, series_ok = false;
	double target = 0;
	pthread_mutex_init(&run.mu, NULL);
	pthread_cond_init(&run.gate, NULL);
	if (rp_series_init(&run.series) != 0)
		goto oom;
	series_ok = true;
	if (!before || !after || !ranks || !ctl || !ids || !ids_now || !restart || !at_start ||
	    rp_stats_init(&total) != 0)
		goto oom;
	total_ok = true;
	if (o->warmup_ns && rp_stats_add_warmup(&total) != 0)
		goto oom;
	for (unsigned s = 0; s < o->nservers; s++) {
		ctl[s] = (struct rp_ctl){.srv = &o->servers[s], .sec = sec, .binary = plan->binary,
					 .fd = -1};
	}
	run.memc = rp_memc_new(o->servers, o->nservers, o->distribution, o->hash, err, sizeof(err));
	if (!run.memc) {
		mb_error("%s", err);
		goto cleanup;
	}
	/* warm-up and the "before" stats once, on rank 0, before any rank sends */
	if (o->warm && d->rank == 0) {
		struct rp_warm_result wr;
		rp_plan_warm(o, plan, run.memc, ctl, &wr);
		rep.warm_stored = wr.stored;
		rep.warm_failed = wr.failed;
		rep.warm_s = wr.seconds;
		if (wr.interrupted) {
			ret = RP_EXIT_INTERRUPTED;
			goto cleanup;
		}
	}
	if (d->rank == 0)
		rep.stats_ok = stats_all(o, ctl, before, ids);
	if (rp_stop_pending()) {
		ret = RP_EXIT_INTERRUPTED;
		goto cleanup;
	}

	/* this rank's lanes are spread over its threads; worker i of rank r has the global id
	 * r + size * i of size * nw (cluster.h), so the engine keeps exactly this rank's shard */
	unsigned mylanes = rank_lanes(d, plan);
	nw = o->threads < mylanes ? o->threads : mylanes;
	if (nw == 0)
		nw = 1; /* no lanes here: one idle worker keeps the flow the same */
	workers = calloc(nw, sizeof(*workers));
	if (!workers)
		goto oom;
	int wrc = 0;
	for (unsigned i = 0; i < nw && !wrc; i++) {
		int rc = rp_worker_new(&workers[i], &run, (unsigned)d->rank + (unsigned)d->size * i,
				       (unsigned)d->size * nw, err, sizeof(err));
		if (rc) {
			if (rc != -EINTR)
				mb_error("%s", err);
			wrc = rc == MB_E_CONNECT ? MB_EXIT_TARGET
			      : rc == -EINTR ? RP_EXIT_INTERRUPTED : mb_exit_code_for(rc);
		}
	}
	wrc = rp_cluster_agree(d, wrc, &failed_rank);
	if (wrc) {
		if (d->rank == 0 && failed_rank != 0)
			mb_error("rank %d failed to start (its message names its host); stopping",
				 failed_rank);
		ret = wrc;
		goto cleanup;
	}
	for (; started < nw; started++) {
		if (rp_worker_start(workers[started]) != 0) {
			mb_error("cannot start a worker thread");
			for (unsigned i = 0; i < started; i++)
				rp_worker_stop(workers[i]);
			break;
		}
	}
	/* every thread is up (on every rank): the schedule starts 20 ms after the barrier */
	pthread_mutex_lock(&run.mu);
	while (run.ready < started)
		pthread_cond_wait(&run.gate, &run.mu);
	pthread_mutex_unlock(&run.mu);
	if (rp_cluster_clock(d, ranks) != 0)
		mb_warn("cannot measure the clock offsets between ranks");
	rp_cluster_barrier(d);
	pthread_mutex_lock(&run.mu);
	struct timespec rt;
	clock_gettime(CLOCK_REALTIME, &rt);
	run.t0 = mb_mono_ns() + 20 * 1000 * 1000;
	int64_t t0_rt = (int64_t)rt.tv_sec * 1000000000 + rt.tv_nsec + 20 * 1000 * 1000;
	run.end_ns = o->duration_ns ? run.t0 + o->warmup_ns + o->duration_ns : UINT64_MAX;
	if (rp_metrics_begin(metrics, nw, (unsigned)d->size, &run.series,
			     o->rate_mode == RP_RATE_MAX ? 0 : plan->mean_rate * plan->speed,
			     run.t0) != 0)
		mb_warn("--metrics: out of memory: the run's figures are not served");
	run.released = true;
	pthread_cond_broadcast(&run.gate);
	pthread_mutex_unlock(&run.mu);
	target = o->rate_mode == RP_RATE_MAX ? 0 : plan->mean_rate * plan->speed;
	/* the live line: rank 0's own seconds (other ranks' join the series after the run) */
	rp_live_init(&live, o->no_progress || d->rank != 0 ? NULL : stderr,
		     mb_isatty(STDERR_FILENO), o->interval_s, target);
	live.warmup_ns = o->warmup_ns;
	if (started < nw)
		goto join;
	sigset_t sigs;
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	for (;;) {
		struct timespec ts = {0, 100 * 1000 * 1000};
		uint64_t wu_end = run.t0 + o->warmup_ns, t = mb_mono_ns();
		if (warmup_pending && wu_end > t && wu_end - t < 100 * 1000 * 1000)
			ts.tv_nsec = (long)(wu_end - t); /* wake at the warm-up's end */
		int sig = sigtimedwait(&sigs, NULL, &ts);
		if (sig == SIGINT || sig == SIGTERM) {
			if (!rep.interrupted) {
				rep.interrupted = true;
				for (unsigned i = 0; i < nw; i++)
					rp_worker_stop(workers[i]);
			}
		}
		uint64_t now = mb_mono_ns();
		uint64_t cur = now > run.t0 ? (now - run.t0) / RP_NS_PER_SEC : 0;
		pthread_mutex_lock(&run.mu);
		unsigned done = run.done_workers;
		pthread_mutex_unlock(&run.mu);
		if (warmup_pending && now >= wu_end) {
			warmup_pending = false;
			if (rep.stats_ok && d->rank == 0 && !rep.interrupted && done < nw)
				warmup_stats(o, ctl, wu_end, before, at_start, ids, ids_now, restart,
					     &rep);
		}
		unsigned rec = __atomic_load_n(&run.reconnects, __ATOMIC_RELAXED);
		if (rec != seen_reconnects && rep.stats_ok && d->rank == 0 && !rep.interrupted) {
			/* a server came back: read the stats again; a restarted one is rebased */
			seen_reconnects = rec;
			if (stats_all(o, ctl, after, ids_now))
				note_restarts(o, before, ids, ids_now, restart);
		}
		/* a second is complete once every worker still running reported it */
		rp_series_collect(&run.series, nw - done, cur > 2 ? cur - 2 : 0, false, NULL);
		rp_series_each(&run.series, &shown, live_point, &live);
		if (done == nw)
			break;
	}
	rp_series_collect(&run.series, 0, 0, true, NULL); /* every worker reported its last */
	rp_series_each(&run.series, &shown, live_point, &live);
	rp_live_end(&live);
	ret = 0;
join:
	for (unsigned i = 0; i < started; i++)
		rp_worker_join(workers[i]);
	rp_series_collect(&run.series, nw, 0, true, NULL);
	rp_metrics_end(metrics); /* before the series is reorganised */
	rp_series_tidy(&run.series);
	for (unsigned i = 0; i < started; i++)
		rp_stats_merge(&total, rp_worker_stats(workers[i]));
	ret = rp_cluster_agree(d, ret, &failed_rank);
	if (ret != 0)
		goto cleanup;
	/* results meet on rank 0, times relative to each rank's own t0 */
	struct rp_rank_info mine;
	rank_info(d, o, &total, &mine);
	mine.t0_realtime_ns = t0_rt;
	stats_times(&total, run.t0, true);
	int drc = rp_cluster_reduce_stats(d, &total);
	if (drc == 0)
		drc = rp_cluster_gather_ranks(d, &mine, ranks);
	if (drc == 0)
		drc = rp_cluster_gather_series(d, &run.series.points, &run.series.n, &run.series.cap);
	if (drc) {
		mb_error("cannot combine the ranks' results: %s", mb_strerror(drc));
		ret = MB_EXIT_FAILURE;
		goto cleanup;
	}
	/* Ctrl-C on mpirun reaches every rank; the report says so if any rank saw it */
	rep.interrupted = rp_cluster_agree(d, rep.interrupted, &failed_rank) != 0;
	stats_times(&total, run.t0, false);
	if (d->rank != 0)
		goto cleanup; /* rank 0 reports */
	for (int r = 0; r < d->size; r++)
		ranks[r].start_skew_us = (double)(ranks[r].t0_realtime_ns - ranks[0].t0_realtime_ns) /
					 1000.0 - ranks[r].realtime_offset_us;
	rp_series_tidy(&run.series);
	rep.stats_ok = rep.stats_ok && stats_all(o, ctl, after, ids_now);
	if (rep.stats_ok)
		note_restarts(o, before, ids, ids_now, restart);
	rep.restart = restart;
	if (o->tls.on) {
		struct rp_tls_counts tc;
		rp_tls_counts(&tc);
		rep.tls = true;
		rep.tls_handshakes = tc.handshakes;
		rep.tls_resumed = tc.resumed;
	}
	rep.stat_before = before;
	rep.stat_after = after;
	rep.st = &total;
	rep.series = run.series.points;
	rep.nseries = run.series.n;
	uint64_t end = total.last_done_ns > total.first_send_ns ? total.last_done_ns : mb_mono_ns();
	uint64_t start = total.first_send_ns ? total.first_send_ns : run.t0;
	rep.duration_s = end > start ? (double)(end - start) / 1e9 : 0;
	if (total.warmup && !total.first_send_ns)
		rep.duration_s = 0; /* stopped in the warm-up: nothing measured, no measured time */
	if (total.warmup && total.warmup->last_done_ns > total.warmup->first_send_ns)
		rep.warmup_duration_s = (double)(total.warmup->last_done_ns -
						 total.warmup->first_send_ns) / 1e9;
	rep.target_rate = target;
	rep.nworkers = nw;
	rep.generator_bound = mb_hist_percentile(&total.gen_lag, 99) > 1000000;
	rep.nranks = (unsigned)d->size;
	rep.ranks = ranks;
	if (!o->quiet)
		rp_report_text(stdout, &rep);
	if (o->json_path) {
		int rc = rp_report_json(o->json_path, &rep);
		if (rc) {
			mb_error("cannot write %s: %s", o->json_path, mb_strerror(rc));
			ret = MB_EXIT_FAILURE;
		}
	}
	goto cleanup;
oom:
	mb_error("out of memory");
	ret = MB_EXIT_FAILURE;
cleanup:
	for (unsigned i = 0; workers && i < nw; i++)
		rp_worker_free(workers[i]);
	free(workers);
	if (total_ok)
		rp_stats_free(&total);
	if (series_ok)
		rp_series_free(&run.series);
	if (run.memc)
		memcached_free(run.memc);
	pthread_mutex_destroy(&run.mu);
	pthread_cond_destroy(&run.gate);
	for (unsigned s = 0; ctl && s < o->nservers; s++) {
		rp_ctl_close(&ctl[s]);
		if (ctl[s].sess)
			SSL_SESSION_free(ctl[s].sess);
	}
	free(ctl);
	free(ids);
	free(ids_now);
	free(restart);
	free(at_start);
	free(before);
	free(after);
	free(ranks);
	return ret;
}

int main(int argc, char **argv)
{
	struct rp_opts o;
	struct rp_plan plan = {0};
	struct rp_cluster d;
	struct rp_metrics *metrics = NULL;
	const char *warning = NULL;
	int failed_rank;
	mb_cli_set_prog("membench replay");
	if (rp_cluster_init(&d, &argc, &argv) != 0)
		return MB_EXIT_FAILURE;
	int rc = rp_options_parse(argc, argv, &o);
	if (rc) {
		rp_cluster_finalize(&d);
		return rc;
	}
	/* Block the stop signals before any thread exists; main takes them with sigtimedwait. */
	sigset_t sigs;
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);
	struct rp_secure sec = {.tls = &o.tls, .auth = &o.auth,
				.connect_timeout_ns = o.connect_timeout_ns};
	if (o.tls.on) {
		char err[512];
		sec.ctx = rp_tls_ctx_new(&o.tls, err, sizeof(err));
		if (!sec.ctx) {
			mb_error("%s", err);
			rp_cluster_finalize(&d);
			return MB_EXIT_USAGE;
		}
	}

	/* every step that can fail on one host (its copy of the profile, its route to a server)
	 * is agreed on by all ranks before the next one, so a failing rank stops them all */
	/* outputs first: a --json FILE that cannot be written fails now, not after the run */
	if (o.json_path && d.rank == 0 && (rc = mb_check_writable(o.json_path)) != 0) {
		mb_error("--json %s: cannot write: %s", o.json_path, mb_strerror(rc));
		rc = MB_EXIT_FAILURE;
	}
	/* --metrics: a port that cannot be bound fails now (exit 2), not after the run */
	if (rc == 0 && o.metrics_addr)
		rc = rp_metrics_open(&metrics, &o, d.rank);
	if (rc == 0)
		rc = rp_plan_scan(&o, &plan, &warning);
	if (rc == 0 && plan.records == 0) {
		mb_error("%s: the profile has no records to replay", o.profile);
		rc = MB_EXIT_INPUT;
	}
	if (rc == 0)
		rc = rp_plan_check_warmup(&o, &plan);
	if (rc == 0)
		rc = rp_plan_fit_lanes(&o, &plan);
	if (rc == 0)
		rc = rp_plan_check_targets(&o, &plan, &sec);
	rc = rp_cluster_agree(&d, rc, &failed_rank);
	if (rc && d.rank == 0 && failed_rank != 0)
		mb_error("rank %d failed (its message above names its host); stopping", failed_rank);
	if (rc == 0)
		plan.nlanes = rp_cluster_min(&d, plan.nlanes);
	if (rc == 0)
		rc = run_replay(&d, &o, &plan, warning, &sec, metrics);
	if (rc == RP_EXIT_INTERRUPTED)
		mb_error("interrupted before the first request: nothing was sent");
	rp_metrics_close(metrics, rc == 0 ? o.metrics_linger_ns : 0);
	rp_plan_free(&plan);
	SSL_CTX_free(sec.ctx);
	rp_cluster_finalize(&d);
	return rc;
}
