/* The recorder's /metrics (model in metrics.h; every name in docs/metrics.md). */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "membench/cli.h"
#include "membench/clock.h"
#include "membench/exitcode.h"
#include "membench/metrics.h"
#include "metrics.h"

struct record_snap {
	struct mb_profile_stats st;
	uint64_t connections, preexisting, tls_connections, drop_bytes, file_bytes;
	uint64_t elapsed_ns;
	uint64_t bytes[2];                 /* by direction: request, response */
	uint64_t op_requests[MB_OP_COUNT];
	bool running, published;
};

struct record_metrics {
	struct mb_metrics *srv;
	pthread_mutex_t mu;                /* guards pub */
	struct record_snap pub;
	/* capture thread only */
	uint64_t op_requests[MB_OP_COUNT];
	uint64_t last_ns;
};

/* Counters of struct mb_profile_stats. */
static const struct mb_prom_counter stat_counters[] = {
	{"membench_record_events_total", "Ring-buffer records the capture processed.",
	 offsetof(struct mb_profile_stats, events)},
	{"membench_record_commands_total",
	 "Commands parsed from the requests (a multiget counts once).",
	 offsetof(struct mb_profile_stats, requests)},
	{"membench_record_responses_total", "Responses paired with their requests.",
	 offsetof(struct mb_profile_stats, responses)},
	{"membench_record_ring_drops_total",
	 "Ring-buffer records the kernel lost because the ring was full (--ring-size).",
	 offsetof(struct mb_profile_stats, ring_drops)},
	{"membench_record_stream_gaps_total",
	 "Gaps in connections' byte streams (bytes never seen: drops, untraced syscalls).",
	 offsetof(struct mb_profile_stats, stream_gaps)},
	{"membench_record_gap_bytes_total", "Bytes missing in those gaps.",
	 offsetof(struct mb_profile_stats, gap_bytes)},
	{"membench_record_truncated_bytes_total",
	 "Bytes not copied because a segment was longer than --max-bytes + --tail-bytes.",
	 offsetof(struct mb_profile_stats, truncated_bytes)},
	{"membench_record_protocol_errors_total", "Commands or responses that could not be parsed.",
	 offsetof(struct mb_profile_stats, protocol_errors)},
	{"membench_record_resync_bytes_total",
	 "Bytes skipped to find the next command after a protocol error or a gap.",
	 offsetof(struct mb_profile_stats, resync_bytes)},
	{"membench_record_unpaired_responses_total", "Responses without a request to pair with.",
	 offsetof(struct mb_profile_stats, unpaired_responses)},
};

/* Counters of struct record_snap. */
static const struct mb_prom_counter snap_counters[] = {
	{"membench_record_connections_total", "Connections seen.",
	 offsetof(struct record_snap, connections)},
	{"membench_record_preexisting_connections_total",
	 "Of those, connections already open when the capture started.",
	 offsetof(struct record_snap, preexisting)},
	{"membench_record_tls_connections_total", "Connections skipped because they carry TLS.",
	 offsetof(struct record_snap, tls_connections)},
	{"membench_record_ring_drop_bytes_total",
	 "Payload bytes the lost ring-buffer records would have carried.",
	 offsetof(struct record_snap, drop_bytes)},
};

static void render(void *ctx, struct mb_prom *p)
{
	struct record_metrics *m = ctx;
	struct record_snap s;
	pthread_mutex_lock(&m->mu);
	s = m->pub;
	pthread_mutex_unlock(&m->mu);
	char lb[64];
	mb_prom_family(p, "membench_record_running", "gauge",
		       "1 while the capture runs, 0 once it stopped (its final figures).");
	mb_prom_u64(p, "membench_record_running", NULL, s.running);
	if (!s.published)
		return;
	mb_prom_family(p, "membench_record_elapsed_seconds", "gauge",
		       "Seconds since the capture was attached.");
	mb_prom_f64(p, "membench_record_elapsed_seconds", NULL, (double)s.elapsed_ns * 1e-9);
	mb_prom_family(p, "membench_record_requests_total", "counter",
		       "Requests written to the profile, one per key (a 10-key multiget is 10), "
		       "by command.");
	for (unsigned op = 0; op < MB_OP_COUNT; op++) {
		if (!s.op_requests[op])
			continue;
		lb[0] = '\0';
		mb_prom_label(lb, sizeof(lb), "op", mb_op_name(op));
		mb_prom_u64(p, "membench_record_requests_total", lb, s.op_requests[op]);
	}
	mb_prom_family(p, "membench_record_bytes_total", "counter",
		       "Bytes of the traced socket syscalls, by direction (request: client to "
		       "server); uncopied middles of long segments included.");
	mb_prom_u64(p, "membench_record_bytes_total", "direction=\"request\"", s.bytes[0]);
	mb_prom_u64(p, "membench_record_bytes_total", "direction=\"response\"", s.bytes[1]);
	mb_prom_counters(p, stat_counters, sizeof(stat_counters) / sizeof(stat_counters[0]), &s.st);
	mb_prom_counters(p, snap_counters, sizeof(snap_counters) / sizeof(snap_counters[0]), &s);
	mb_prom_family(p, "membench_record_profile_bytes", "gauge",
		       "Bytes of the profile written to disk so far.");
	mb_prom_u64(p, "membench_record_profile_bytes", NULL, s.file_bytes);
}

int record_metrics_open(struct record_metrics **out, const char *addr)
{
	*out = NULL;
	struct record_metrics *m = calloc(1, sizeof(*m));
	if (!m) {
		mb_error("out of memory");
		return MB_EXIT_FAILURE;
	}
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

void record_metrics_count(struct record_metrics *m, const struct mb_record *rec)
{
	if (rec->op < MB_OP_COUNT)
		m->op_requests[rec->op]++;
}

bool record_metrics_due(const struct record_metrics *m, uint64_t now)
{
	return now - m->last_ns >= RECORD_METRICS_EVERY_NS;
}

void record_metrics_publish(struct record_metrics *m, const struct record_metrics_capture *c,
			    uint64_t now, bool final)
{
	m->last_ns = now;
	if (final)
		pthread_mutex_lock(&m->mu);
	else if (pthread_mutex_trylock(&m->mu) != 0)
		return; /* a scrape is copying it: the next one publishes */
	struct record_snap *s = &m->pub;
	s->st = *c->st;
	s->connections = c->connections;
	s->preexisting = c->preexisting;
	s->tls_connections = c->tls_connections;
	s->drop_bytes = c->drop_bytes;
	s->file_bytes = c->file_bytes;
	s->elapsed_ns = c->elapsed_ns;
	s->running = c->running;
	memcpy(s->bytes, c->bytes, sizeof(s->bytes));
	memcpy(s->op_requests, m->op_requests, sizeof(s->op_requests));
	s->published = true;
	pthread_mutex_unlock(&m->mu);
}

void record_metrics_close(struct record_metrics *m, uint64_t linger_ns,
			  volatile sig_atomic_t *stop)
{
	if (!m)
		return;
	pthread_mutex_lock(&m->mu);
	m->pub.running = false;
	pthread_mutex_unlock(&m->mu);
	if (linger_ns) {
		fprintf(stderr, "%s: serving the final metrics for %.3g s more (--metrics-linger; "
			"Ctrl-C to stop)\n", mb_cli_prog(), (double)linger_ns / 1e9);
		uint64_t until = mb_mono_ns() + linger_ns;
		while (!*stop && mb_mono_ns() < until) {
			struct timespec ts = {0, 50 * 1000 * 1000};
			nanosleep(&ts, NULL);
		}
	}
	mb_metrics_stop(m->srv);
	pthread_mutex_destroy(&m->mu);
	free(m);
}
