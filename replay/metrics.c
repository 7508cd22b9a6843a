/* The replayer's /metrics (model in metrics.h; every name in docs/metrics.md).
 *
 * A slot's copy is "rp_stats_reset, then rp_stats_merge" (stats.c): the histograms keep their
 * allocation and the merge is the one done after the run, so a slot holds exactly what the worker's block
 * held. Cost: once a second per worker, the counters and its histograms (148 KiB each at 3
 * digits: total, uncorrected, lag, generator lag, and two per command used) are copied; a scrape
 * merges every slot into `agg`, which only the server thread touches.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "membench/cli.h"
#include "membench/clock.h"
#include "membench/exitcode.h"
#include "membench/metrics.h"
#include "metrics.h"
#include "replay.h"
#include "report.h"

struct rp_slot {
	pthread_mutex_t mu;
	struct rp_stats st;
	uint64_t inflight, queued;
	unsigned *up;            /* per server */
	uint64_t *srv_inflight;  /* per server */
	bool published, done;
};

struct rp_metrics {
	struct mb_metrics *srv;
	const struct rp_opts *o;
	pthread_mutex_t mu;      /* guards everything below (the slots have their own locks) */
	bool begun, ended;
	struct rp_slot *slots;
	unsigned nslots, stride;
	struct rp_series *series; /* NULL once ended */
	struct rp_point last;     /* newest point of the series (valid when has_last) */
	bool has_last;
	double target_rate;
	uint64_t t0, end_ns;
	/* server thread only */
	struct rp_stats agg;
	unsigned *agg_up;
	uint64_t *agg_inflight;
};

/* ---- slots --------------------------------------------------------------------------------- */

void rp_metrics_publish(struct rp_metrics *m, unsigned id, const struct rp_metrics_view *v,
			bool final)
{
	if (!m || !m->stride || id / m->stride >= m->nslots)
		return;
	struct rp_slot *s = &m->slots[id / m->stride];
	if (final)
		pthread_mutex_lock(&s->mu);
	else if (pthread_mutex_trylock(&s->mu) != 0)
		return; /* a scrape is reading it: the next tick publishes */
	rp_stats_reset(&s->st);
	rp_stats_merge(&s->st, v->st);
	s->inflight = v->inflight;
	s->queued = v->queued;
	for (unsigned i = 0; i < m->o->nservers; i++) {
		s->up[i] = v->up ? v->up[i] : 0;
		s->srv_inflight[i] = v->srv_inflight ? v->srv_inflight[i] : 0;
	}
	s->published = true;
	s->done = s->done || final;
	pthread_mutex_unlock(&s->mu);
}

/* ---- exposition ---------------------------------------------------------------------------- */

#define NS 1e-9

static const double quantiles[] = {0.5, 0.9, 0.99, 0.999};

/* A summary family of one histogram (ns): quantiles, _sum and _count, in seconds. */
static void summary(struct mb_prom *p, const char *name, const char *labels,
		    const struct mb_hist *h)
{
	char lb[160], sum[128], count[128];
	for (size_t i = 0; i < sizeof(quantiles) / sizeof(quantiles[0]); i++) {
		char q[16];
		snprintf(lb, sizeof(lb), "%s", labels);
		snprintf(q, sizeof(q), "%g", quantiles[i]);
		mb_prom_label(lb, sizeof(lb), "quantile", q);
		mb_prom_f64(p, name, lb,
			    h->total ? (double)mb_hist_percentile(h, quantiles[i] * 100) * NS : NAN);
	}
	snprintf(sum, sizeof(sum), "%s_sum", name);
	snprintf(count, sizeof(count), "%s_count", name);
	mb_prom_f64(p, sum, labels, h->sum * NS);
	mb_prom_u64(p, count, labels, h->total);
}

/* Upper bounds (seconds) of the histogram buckets: 10 us .. 10 s, about 2.5x apart. */
static const double bucket_le[] = {10e-6, 25e-6, 50e-6, 100e-6, 250e-6, 500e-6, 1e-3, 2.5e-3,
				   5e-3, 10e-3, 25e-3, 50e-3, 100e-3, 250e-3, 500e-3, 1, 2.5, 5,
				   10};
#define NBUCKET (sizeof(bucket_le) / sizeof(bucket_le[0]))

/* A histogram family of one histogram (ns): cumulative _bucket{le} counts, _sum, _count, in
 * seconds. A value goes to the first bucket whose bound is at least the lowest value of its
 * mb_hist bucket, so a bound is placed to within the histogram's precision (0.1%). O(ncounts). */
static void histogram(struct mb_prom *p, const char *name, const char *labels,
		      const struct mb_hist *h)
{
	uint64_t cum[NBUCKET] = {0};
	char lb[192], bucket[128], sum[128], count[128];
	for (size_t i = 0; i < h->ncounts && h->total; i++) {
		if (!h->counts[i])
			continue;
		double low = (double)mb_hist_index_low(h, i) * NS;
		for (size_t k = 0; k < NBUCKET; k++) {
			if (low <= bucket_le[k]) {
				cum[k] += h->counts[i];
				break;
			}
		}
	}
	snprintf(bucket, sizeof(bucket), "%s_bucket", name);
	uint64_t run = 0;
	for (size_t k = 0; k <= NBUCKET; k++) {
		char le[32];
		if (k < NBUCKET) {
			run += cum[k];
			snprintf(le, sizeof(le), "%g", bucket_le[k]);
		} else {
			run = h->total;
			snprintf(le, sizeof(le), "+Inf");
		}
		snprintf(lb, sizeof(lb), "%s", labels);
		mb_prom_label(lb, sizeof(lb), "le", le);
		mb_prom_u64(p, bucket, lb, run);
	}
	snprintf(sum, sizeof(sum), "%s_sum", name);
	snprintf(count, sizeof(count), "%s_count", name);
	mb_prom_f64(p, sum, labels, h->sum * NS);
	mb_prom_u64(p, count, labels, h->total);
}

static void op_label(char *lb, size_t len, unsigned op)
{
	lb[0] = '\0';
	mb_prom_label(lb, len, "op", mb_op_name(op));
}

/* Fields of struct rp_opstats exported as counters with an op label. */
static const struct mb_prom_counter op_counters[] = {
	{"membench_replay_requests_sent_total",
	 "Requests sent, one per key (a 10-key multiget is 10), by command.",
	 offsetof(struct rp_opstats, keys)},
	{"membench_replay_commands_sent_total",
	 "Commands sent (a multiget is one), by command.", offsetof(struct rp_opstats, sent)},
	{"membench_replay_responses_total",
	 "Commands completed (every key answered), by command.",
	 offsetof(struct rp_opstats, responses)},
	{"membench_replay_command_bytes_sent_total", "Request bytes encoded and sent, by command.",
	 offsetof(struct rp_opstats, bytes_out)},
	{"membench_replay_command_value_bytes_received_total",
	 "Value bytes of hits received, by command (the rest of a reply is not attributed).",
	 offsetof(struct rp_opstats, bytes_in)},
};

/* Fields of struct rp_stats exported as plain counters. */
static const struct mb_prom_counter run_counters[] = {
	{"membench_replay_bytes_sent_total", "Bytes written to the target connections.",
	 offsetof(struct rp_stats, bytes_out)},
	{"membench_replay_bytes_received_total", "Bytes read from the target connections.",
	 offsetof(struct rp_stats, bytes_in)},
	{"membench_replay_noreply_sent_total", "Commands sent with noreply (never waited for).",
	 offsetof(struct rp_stats, noreply_sent)},
	{"membench_replay_skipped_late_total",
	 "Commands dropped because they were later than --skip-late.",
	 offsetof(struct rp_stats, skipped_late)},
	{"membench_replay_skipped_commands_total",
	 "Recorded commands never replayed (flush_all, stats, verbosity, unknown).",
	 offsetof(struct rp_stats, skipped_ops)},
	{"membench_replay_stalls_total",
	 "Times a due command found its connection at --depth and waited.",
	 offsetof(struct rp_stats, stalls)},
	{"membench_replay_reconnects_total", "Connections set up again during the run.",
	 offsetof(struct rp_stats, reconnects)},
	{"membench_replay_cas_compared_total", "cas commands with a recorded outcome.",
	 offsetof(struct rp_stats, cas_compared)},
	{"membench_replay_cas_differ_total",
	 "cas commands the target answered differently from the recording.",
	 offsetof(struct rp_stats, cas_differ)},
};

static void render_gauges(struct rp_metrics *m, struct mb_prom *p, unsigned done, uint64_t inflight,
			  uint64_t queued)
{
	mb_prom_family(p, "membench_replay_running", "gauge",
		       "1 while the replay runs, 0 before it starts and once every worker finished.");
	mb_prom_u64(p, "membench_replay_running", NULL,
		    m->begun && !m->ended && done < m->nslots);
	mb_prom_family(p, "membench_replay_workers", "gauge",
		       "Worker threads of this process, and how many have finished.");
	mb_prom_u64(p, "membench_replay_workers", "state=\"total\"", m->nslots);
	mb_prom_u64(p, "membench_replay_workers", "state=\"finished\"", done);
	if (!m->begun)
		return;
	uint64_t now = mb_mono_ns(), end = m->ended ? m->end_ns : now;
	mb_prom_family(p, "membench_replay_elapsed_seconds", "gauge",
		       "Seconds since the schedule's start (t0), frozen at the end of the run.");
	mb_prom_f64(p, "membench_replay_elapsed_seconds", NULL,
		    end > m->t0 ? (double)(end - m->t0) * NS : 0);
	if (m->target_rate > 0) {
		mb_prom_family(p, "membench_replay_target_rate_requests_per_second", "gauge",
			       "Rate the schedule asks for: the profile's mean rate times --rate "
			       "(absent with --rate max).");
		mb_prom_f64(p, "membench_replay_target_rate_requests_per_second", NULL,
			    m->target_rate);
	}
	mb_prom_family(p, "membench_replay_in_flight", "gauge",
		       "Commands sent and awaiting a reply.");
	mb_prom_u64(p, "membench_replay_in_flight", NULL, inflight);
	mb_prom_family(p, "membench_replay_queued", "gauge",
		       "Records taken from the profile and not yet sent.");
	mb_prom_u64(p, "membench_replay_queued", NULL, queued);
	if (!m->has_last)
		return;
	const struct rp_point *pt = &m->last;
	mb_prom_family(p, "membench_replay_last_second_start_seconds", "gauge",
		       "Start (seconds since t0) of the second the last_second gauges and the "
		       "achieved rate describe: the newest second every worker reported.");
	mb_prom_u64(p, "membench_replay_last_second_start_seconds", NULL, pt->sec);
	mb_prom_family(p, "membench_replay_last_second_warmup", "gauge",
		       "1 when that second is part of the --warmup (its sends are in the last_second "
		       "gauges, never in the counters and quantiles); the JSON marks it likewise.");
	mb_prom_u64(p, "membench_replay_last_second_warmup", NULL,
		    pt->sec * RP_NS_PER_SEC < m->o->warmup_ns);
	mb_prom_family(p, "membench_replay_achieved_rate_requests_per_second", "gauge",
		       "Requests sent in the last complete second (one per key).");
	mb_prom_u64(p, "membench_replay_achieved_rate_requests_per_second", NULL, pt->sent);
	mb_prom_family(p, "membench_replay_last_second_latency_seconds", "gauge",
		       "Corrected latency of the replies of the last complete second: median, "
		       "99th percentile and maximum (quantile 1).");
	mb_prom_f64(p, "membench_replay_last_second_latency_seconds", "quantile=\"0.5\"",
		    (double)pt->p50_us * 1e-6);
	mb_prom_f64(p, "membench_replay_last_second_latency_seconds", "quantile=\"0.99\"",
		    (double)pt->p99_us * 1e-6);
	mb_prom_f64(p, "membench_replay_last_second_latency_seconds", "quantile=\"1\"",
		    (double)pt->max_us * 1e-6);
	mb_prom_family(p, "membench_replay_last_second_schedule_lag_seconds", "gauge",
		       "99th percentile of the schedule lag of the last complete second's sends.");
	mb_prom_f64(p, "membench_replay_last_second_schedule_lag_seconds", "quantile=\"0.99\"",
		    (double)pt->lag_p99_us * 1e-6);
}

static void render_counters(struct mb_prom *p, const struct rp_stats *st)
{
	char lb[128];
	for (size_t k = 0; k < sizeof(op_counters) / sizeof(op_counters[0]); k++) {
		mb_prom_family(p, op_counters[k].name, "counter", op_counters[k].help);
		for (unsigned op = 0; op < MB_OP_COUNT; op++) {
			if (!st->op[op].used)
				continue;
			op_label(lb, sizeof(lb), op);
			mb_prom_u64(p, op_counters[k].name, lb,
				    mb_prom_field(&st->op[op], op_counters[k].off));
		}
	}
	mb_prom_family(p, "membench_replay_statuses_total", "counter",
		       "Replies by command and status, one per key (hit, miss, stored, ...).");
	for (unsigned op = 0; op < MB_OP_COUNT; op++) {
		for (unsigned s = 0; st->op[op].used && s < MB_STATUS_COUNT; s++) {
			if (!st->op[op].status[s])
				continue;
			op_label(lb, sizeof(lb), op);
			mb_prom_label(lb, sizeof(lb), "status", mb_status_name(s));
			mb_prom_u64(p, "membench_replay_statuses_total", lb, st->op[op].status[s]);
		}
	}
	mb_prom_family(p, "membench_replay_errors_total", "counter",
		       "Failed requests by kind (the JSON report's errors; see docs/replay.md).");
	for (unsigned i = 0; i < RP_ERR_COUNT; i++) {
		lb[0] = '\0';
		mb_prom_label(lb, sizeof(lb), "kind", rp_err_names[i]);
		mb_prom_u64(p, "membench_replay_errors_total", lb, st->errors[i]);
	}
	mb_prom_counters(p, run_counters, sizeof(run_counters) / sizeof(run_counters[0]), st);
}

/* The latency families: one struct mb_hist of the run (rp_stats) or one per command used
 * (rp_opstats), written as a summary or as a histogram. */
static const struct lat_family {
	const char *name, *help;
	bool hist;    /* histogram, else summary */
	bool per_op;  /* off is into struct rp_opstats, else into struct rp_stats */
	size_t off;   /* of the struct mb_hist */
} lat_families[] = {
	{"membench_replay_latency_seconds",
	 "Latency of every command from its intended send time (corrected for coordinated "
	 "omission), since the start.", false, false, offsetof(struct rp_stats, corr)},
	{"membench_replay_service_latency_seconds",
	 "Latency of every command from its actual send time (uncorrected).", false, false,
	 offsetof(struct rp_stats, uncorr)},
	{"membench_replay_command_latency_seconds", "Corrected latency by command.", false, true,
	 offsetof(struct rp_opstats, corr)},
	{"membench_replay_command_service_latency_seconds", "Uncorrected latency by command.",
	 false, true, offsetof(struct rp_opstats, uncorr)},
	{"membench_replay_latency_histogram_seconds",
	 "Corrected latency of every command as a histogram (aggregatable across processes, e.g. "
	 "MPI ranks, with histogram_quantile).", true, false, offsetof(struct rp_stats, corr)},
	{"membench_replay_command_latency_histogram_seconds",
	 "Corrected latency by command, as a histogram.", true, true,
	 offsetof(struct rp_opstats, corr)},
	{"membench_replay_schedule_lag_seconds",
	 "Actual send time minus intended send time of every scheduled command.", false, false,
	 offsetof(struct rp_stats, lag)},
	{"membench_replay_generator_lag_seconds",
	 "Time a command was taken from the profile minus its intended send time (large: "
	 "membench itself was the bottleneck).", false, false, offsetof(struct rp_stats, gen_lag)},
};

static void render_latency(struct mb_prom *p, const struct rp_stats *st)
{
	char lb[128];
	for (size_t k = 0; k < sizeof(lat_families) / sizeof(lat_families[0]); k++) {
		const struct lat_family *f = &lat_families[k];
		void (*emit)(struct mb_prom *, const char *, const char *, const struct mb_hist *) =
			f->hist ? histogram : summary;
		mb_prom_family(p, f->name, f->hist ? "histogram" : "summary", f->help);
		if (!f->per_op) {
			emit(p, f->name, "", (const struct mb_hist *)((const char *)st + f->off));
			continue;
		}
		for (unsigned op = 0; op < MB_OP_COUNT; op++) {
			if (!st->op[op].used)
				continue;
			op_label(lb, sizeof(lb), op);
			emit(p, f->name, lb,
			     (const struct mb_hist *)((const char *)&st->op[op] + f->off));
		}
	}
}

static void render_servers(struct rp_metrics *m, struct mb_prom *p)
{
	char lb[320];
	mb_prom_family(p, "membench_replay_server_connections", "gauge",
		       "Connections to each target server that are up.");
	for (unsigned i = 0; i < m->o->nservers; i++) {
		lb[0] = '\0';
		mb_prom_label(lb, sizeof(lb), "server", m->o->servers[i].spec);
		mb_prom_u64(p, "membench_replay_server_connections", lb, m->agg_up[i]);
	}
	mb_prom_family(p, "membench_replay_server_in_flight", "gauge",
		       "Commands awaiting a reply from each target server.");
	for (unsigned i = 0; i < m->o->nservers; i++) {
		lb[0] = '\0';
		mb_prom_label(lb, sizeof(lb), "server", m->o->servers[i].spec);
		mb_prom_u64(p, "membench_replay_server_in_flight", lb, m->agg_inflight[i]);
	}
}

static void render(void *ctx, struct mb_prom *p)
{
	struct rp_metrics *m = ctx;
	pthread_mutex_lock(&m->mu);
	unsigned done = 0;
	uint64_t inflight = 0, queued = 0;
	if (m->begun) {
		rp_stats_reset(&m->agg);
		memset(m->agg_up, 0, m->o->nservers * sizeof(*m->agg_up));
		memset(m->agg_inflight, 0, m->o->nservers * sizeof(*m->agg_inflight));
		for (unsigned i = 0; i < m->nslots; i++) {
			struct rp_slot *s = &m->slots[i];
			pthread_mutex_lock(&s->mu);
			if (s->published) {
				rp_stats_merge(&m->agg, &s->st);
				inflight += s->inflight;
				queued += s->queued;
				for (unsigned k = 0; k < m->o->nservers; k++) {
					m->agg_up[k] += s->up[k];
					m->agg_inflight[k] += s->srv_inflight[k];
				}
			}
			done += s->done;
			pthread_mutex_unlock(&s->mu);
		}
		if (m->series) {
			pthread_mutex_lock(&m->series->mu);
			if (m->series->n) {
				m->last = m->series->points[m->series->n - 1];
				m->has_last = true;
			}
			pthread_mutex_unlock(&m->series->mu);
		}
	}
	render_gauges(m, p, done, inflight, queued);
	if (m->begun) {
		render_counters(p, &m->agg);
		render_latency(p, &m->agg);
		render_servers(m, p);
	}
	pthread_mutex_unlock(&m->mu);
}

/* ---- lifecycle ----------------------------------------------------------------------------- */

int rp_metrics_open(struct rp_metrics **out, const struct rp_opts *o, int rank)
{
	char addr[300];
	*out = NULL;
	snprintf(addr, sizeof(addr), "%s", o->metrics_addr);
	/* under mpirun, rank r serves on PORT + r (port 0 stays 0) */
	char *colon = strrchr(addr, ':');
	unsigned long port = colon ? strtoul(colon + 1, NULL, 10) : 0;
	if (rank > 0 && colon && port > 0 && port + (unsigned long)rank <= 65535)
		snprintf(colon + 1, sizeof(addr) - (size_t)(colon + 1 - addr), "%lu",
			 port + (unsigned long)rank);
	struct rp_metrics *m = calloc(1, sizeof(*m));
	if (!m) {
		mb_error("out of memory");
		return MB_EXIT_FAILURE;
	}
	m->o = o;
	pthread_mutex_init(&m->mu, NULL);
	int rc = mb_metrics_serve(&m->srv, addr, render, m);
	if (rc) {
		pthread_mutex_destroy(&m->mu);
		free(m);
		return rc;
	}
	*out = m;
	return 0;
}

unsigned rp_metrics_port(const struct rp_metrics *m)
{
	return mb_metrics_port(m->srv);
}

int rp_metrics_begin(struct rp_metrics *m, unsigned nworkers, unsigned stride,
		     struct rp_series *series, double target_rate, uint64_t t0)
{
	if (!m)
		return 0;
	unsigned ns = m->o->nservers;
	struct rp_slot *slots = calloc(nworkers, sizeof(*slots));
	unsigned *agg_up = calloc(ns, sizeof(*agg_up));
	uint64_t *agg_inflight = calloc(ns, sizeof(*agg_inflight));
	unsigned ready = 0;
	int rc = -ENOMEM;
	if (!slots || !agg_up || !agg_inflight || rp_stats_init(&m->agg) != 0)
		goto cleanup;
	for (; ready < nworkers; ready++) {
		struct rp_slot *s = &slots[ready];
		s->up = calloc(ns, sizeof(*s->up));
		s->srv_inflight = calloc(ns, sizeof(*s->srv_inflight));
		if (!s->up || !s->srv_inflight || rp_stats_init(&s->st) != 0) {
			free(s->up);
			free(s->srv_inflight);
			rp_stats_free(&m->agg);
			goto cleanup;
		}
		pthread_mutex_init(&s->mu, NULL);
	}
	pthread_mutex_lock(&m->mu);
	m->slots = slots;
	m->nslots = nworkers;
	m->stride = stride ? stride : 1;
	m->series = series;
	m->target_rate = target_rate;
	m->t0 = t0;
	m->agg_up = agg_up;
	m->agg_inflight = agg_inflight;
	m->begun = true;
	pthread_mutex_unlock(&m->mu);
	return 0;
cleanup:
	for (unsigned i = 0; i < ready; i++) {
		rp_stats_free(&slots[i].st);
		free(slots[i].up);
		free(slots[i].srv_inflight);
		pthread_mutex_destroy(&slots[i].mu);
	}
	free(slots);
	free(agg_up);
	free(agg_inflight);
	return rc;
}

void rp_metrics_end(struct rp_metrics *m)
{
	if (!m)
		return;
	pthread_mutex_lock(&m->mu);
	if (m->series && !m->ended) {
		pthread_mutex_lock(&m->series->mu);
		if (m->series->n) {
			m->last = m->series->points[m->series->n - 1];
			m->has_last = true;
		}
		pthread_mutex_unlock(&m->series->mu);
	}
	m->series = NULL;
	if (!m->ended)
		m->end_ns = mb_mono_ns();
	m->ended = true;
	pthread_mutex_unlock(&m->mu);
}

void rp_metrics_close(struct rp_metrics *m, uint64_t linger_ns)
{
	if (!m)
		return;
	rp_metrics_end(m);
	if (linger_ns) {
		sigset_t sigs;
		sigemptyset(&sigs);
		sigaddset(&sigs, SIGINT);
		sigaddset(&sigs, SIGTERM);
		uint64_t until = mb_mono_ns() + linger_ns;
		fprintf(stderr, "%s: serving the final metrics for %.3g s more (--metrics-linger; "
			"Ctrl-C to stop)\n", mb_cli_prog(), (double)linger_ns * NS);
		for (uint64_t now; (now = mb_mono_ns()) < until;) {
			uint64_t left = until - now;
			struct timespec ts = {.tv_sec = (time_t)(left / RP_NS_PER_SEC),
					      .tv_nsec = (long)(left % RP_NS_PER_SEC)};
			int sig = sigtimedwait(&sigs, NULL, &ts);
			if (sig == SIGINT || sig == SIGTERM)
				break;
		}
	}
	mb_metrics_stop(m->srv); /* no render runs after this */
	if (m->begun) {
		for (unsigned i = 0; i < m->nslots; i++) {
			rp_stats_free(&m->slots[i].st);
			free(m->slots[i].up);
			free(m->slots[i].srv_inflight);
			pthread_mutex_destroy(&m->slots[i].mu);
		}
		rp_stats_free(&m->agg);
	}
	free(m->slots);
	free(m->agg_up);
	free(m->agg_inflight);
	pthread_mutex_destroy(&m->mu);
	free(m);
}
