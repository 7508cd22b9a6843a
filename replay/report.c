/* Replay output: the live progress line, the text table printed at the end of a run and the
 * --json file. Per-command rates: ops/s = commands sent / run duration; KB/s (1 KB = 1024 bytes)
 * = (request bytes sent + value bytes of hits received) / duration, the same for the live line
 * over its interval. In closed loop (--rate max) a request's intended time is its send time,
 * so corrected and uncorrected latency are the same figures: the text shows one row.
 * The JSON schema ("membench.replay/1") is documented field by field in docs/replay.md; add
 * fields compatibly, and bump the schema's version for any change of meaning. A run spread over
 * MPI ranks (docs/distributed.md) adds a per-rank section; a single process prints exactly what
 * it did before.
 *
 * --warmup: everything above is the measured part (st); the warm-up (st->warmup) gets a short
 * section of its own in the text and a "warmup" object in the JSON, with the same counts, so
 * warm-up + measured = what was sent. The time series covers both, its warm-up seconds marked.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "membench/json.h"
#include "replay.h"
#include "report.h"

const char *const rp_err_names[RP_ERR_COUNT] = {
	[RP_ERR_ERROR] = "error",
	[RP_ERR_CLIENT] = "client_error",
	[RP_ERR_SERVER] = "server_error",
	[RP_ERR_OOM] = "out_of_memory",
	[RP_ERR_TIMEOUT] = "timeout",
	[RP_ERR_DISCONNECT] = "disconnect",
	[RP_ERR_UNANSWERED] = "unanswered",
	[RP_ERR_UNSENT] = "unsent",
	[RP_ERR_UNSUPPORTED] = "unsupported",
};

static const double pcts[] = {50, 90, 99, 99.9, 99.99};
static const char *const pct_json[] = {"p50", "p90", "p99", "p999", "p9999"};
#define NPCT (sizeof(pcts) / sizeof(pcts[0]))

static double us(uint64_t ns)
{
	return (double)ns / 1000.0;
}

static uint64_t err_total(const struct rp_stats *st)
{
	uint64_t n = 0;
	for (unsigned i = 0; i < RP_ERR_COUNT; i++)
		n += st->errors[i];
	return n;
}

/* ---- live line --------------------------------------------------------------------------- */

void rp_live_init(struct rp_live *l, FILE *out, bool tty, unsigned interval_s, double target)
{
	*l = (struct rp_live){.out = out, .tty = tty, .interval_s = interval_s ? interval_s : 1,
			      .target = target};
}

static uint64_t max_u64(uint64_t a, uint64_t b)
{
	return a > b ? a : b;
}

static void live_print(struct rp_live *l)
{
	const struct rp_point *a = &l->acc;
	double n = l->nsec;
	char line[1024];
	size_t k = 0;
	char tgt[32] = "max";
	if (l->target > 0)
		snprintf(tgt, sizeof(tgt), "%.0f", l->target);
	k += (size_t)snprintf(line + k, sizeof(line) - k, "[%5" PRIu64 "s] sent %.0f/%s req/s |",
			      a->sec + 1, (double)a->sent / n, tgt);
	for (unsigned op = 0; op < MB_OP_COUNT && k < sizeof(line); op++)
		if (a->op_sent[op] || a->op_bytes[op])
			k += (size_t)snprintf(line + k, sizeof(line) - k, " %s %.0f ops/s %.1f KB/s",
					      mb_op_name(op), (double)a->op_sent[op] / n,
					      (double)a->op_bytes[op] / 1024.0 / n);
	if (k < sizeof(line))
		k += (size_t)snprintf(line + k, sizeof(line) - k, " | p99 %" PRIu64 " us | errors %"
				      PRIu64, a->p99_us, a->errors);
	if (k < sizeof(line) && l->target > 0)
		k += (size_t)snprintf(line + k, sizeof(line) - k, " | lag p99 %" PRIu64 " us",
				      a->lag_p99_us);
	if (k < sizeof(line) && l->first_sec * RP_NS_PER_SEC < l->warmup_ns)
		snprintf(line + k, sizeof(line) - k, " | warm-up");
	fprintf(l->out, l->tty ? "\r\033[K%s" : "%s\n", line);
	fflush(l->out);
	l->drawn = l->tty;
	l->nsec = 0;
}

void rp_live_add(struct rp_live *l, const struct rp_point *pt)
{
	if (!l->out)
		return;
	struct rp_point *a = &l->acc;
	if (l->nsec == 0) {
		*a = (struct rp_point){0};
		l->first_sec = pt->sec;
	}
	a->sec = pt->sec; /* the newest second: the line's time stamp */
	a->sent += pt->sent;
	a->responses += pt->responses;
	a->errors += pt->errors;
	a->p99_us = max_u64(a->p99_us, pt->p99_us);
	a->lag_p99_us = max_u64(a->lag_p99_us, pt->lag_p99_us);
	for (unsigned op = 0; op < MB_OP_COUNT; op++) {
		a->op_sent[op] += pt->op_sent[op];
		a->op_bytes[op] += pt->op_bytes[op];
	}
	if (++l->nsec >= l->interval_s || (pt->sec + 1) % l->interval_s == 0)
		live_print(l);
}

void rp_live_end(struct rp_live *l)
{
	if (l->out && l->nsec)
		live_print(l);
	if (l->out && l->drawn) {
		fputs("\r\033[K", l->out);
		fflush(l->out);
	}
}

/* ---- the report ----------------------------------------------------------------------------- */

static double achieved(const struct rp_report *r)
{
	/* requests: one per key, as analyze and --rate N count them */
	return r->duration_s > 0 ? (double)r->st->requests_sent / r->duration_s : 0;
}

/* n per second of duration_s (0 for no duration) */
static double rate_over(double n, double duration_s)
{
	return duration_s > 0 ? n / duration_s : 0;
}

/* n per second of the (measured) run */
static double per_s(const struct rp_report *r, double n)
{
	return rate_over(n, r->duration_s);
}

/* "123.4 us" / "12.3 ms" / "1.23 s" in a fixed width */
static const char *fmt_lat(char *b, size_t n, uint64_t ns)
{
	if (ns < 10000000)
		snprintf(b, n, "%.1f", us(ns));
	else
		snprintf(b, n, "%.0f", us(ns));
	return b;
}

static void text_hist_row(FILE *out, const char *name, const char *kind, const struct mb_hist *h)
{
	char b[NPCT + 1][32];
	for (size_t i = 0; i < NPCT; i++)
		fmt_lat(b[i], sizeof(b[i]), mb_hist_percentile(h, pcts[i]));
	fmt_lat(b[NPCT], sizeof(b[NPCT]), h->max);
	fprintf(out, "%-10s %-11s %10" PRIu64 " %9s %9s %9s %9s %9s %9s\n", name, kind, h->total,
		b[0], b[1], b[2], b[3], b[4], b[NPCT]);
}

/* The per-rank section of a distributed run (cluster.h). */
static void text_ranks(FILE *out, const struct rp_report *r)
{
	unsigned behind = 0;
	fprintf(out, "\nranks: %u (clock offsets from rank 0 by ping-pong, CLOCK_REALTIME)\n",
		r->nranks);
	fprintf(out, "%-5s %-20s %10s %12s %12s %12s %10s %10s\n", "rank", "host", "sent", "req/s",
		"lag p99 us", "offset us", "rtt us", "t0 skew us");
	for (unsigned i = 0; i < r->nranks; i++) {
		const struct rp_rank_info *k = &r->ranks[i];
		behind += k->behind;
		fprintf(out, "%-5u %-20.20s %10" PRIu64 " %12.1f %12.1f %12.1f %10.1f %10.1f%s\n", i,
			k->host, k->requests_sent, k->achieved_rate, us(k->lag_p99_ns),
			k->realtime_offset_us, k->rtt_us, k->start_skew_us, k->behind ? "  BEHIND" : "");
	}
	if (behind)
		fprintf(out, "warning: %u rank%s fell behind (schedule lag p99 > %.0f ms): that host, "
			"not the target, limited the rate\n", behind, behind == 1 ? "" : "s",
			(double)RP_BEHIND_LAG_NS / 1e6);
}

/* The --warmup section: what the first part of the schedule did, kept out of the rest. */
static void text_warmup(FILE *out, const struct rp_report *r)
{
	const struct rp_stats *w = r->st->warmup;
	char b[3][32];
	fprintf(out, "warm-up (--warmup: the first %.3f s of the run, played and kept out of "
		"every figure below): %" PRIu64 " requests (%" PRIu64 " commands) sent, %" PRIu64
		" answered, %" PRIu64 " errors", (double)r->opts->warmup_ns / 1e9, w->requests_sent,
		w->commands_sent, w->responses, err_total(w));
	for (unsigned i = 0; i < RP_ERR_COUNT; i++)
		if (w->errors[i])
			fprintf(out, " %s=%" PRIu64, rp_err_names[i], w->errors[i]);
	fprintf(out, "; latency (us, %s) p50 %s p99 %s max %s\n",
		r->opts->rate_mode == RP_RATE_MAX ? "from send" : "corrected",
		fmt_lat(b[0], 32, mb_hist_percentile(&w->corr, 50)),
		fmt_lat(b[1], 32, mb_hist_percentile(&w->corr, 99)), fmt_lat(b[2], 32, w->corr.max));
	fprintf(out, "requests sent in all: %" PRIu64 " = %" PRIu64 " warm-up + %" PRIu64
		" measured%s\n", w->requests_sent + r->st->requests_sent, w->requests_sent,
		r->st->requests_sent, r->stats_ok && !r->stat_warmup_start
		? "; the server stat deltas include the warm-up (no reading at its end)" : "");
}

void rp_report_text(FILE *out, const struct rp_report *r)
{
	const struct rp_opts *o = r->opts;
	const struct rp_plan *p = r->plan;
	const struct rp_stats *st = r->st;
	fprintf(out, "membench replay: %s -> %s%s (%u server%s, %u connection%s per server%s, "
		"%u thread%s)\n", o->profile, o->servers[0].spec, o->nservers > 1 ? ", ..." : "",
		o->nservers, o->nservers == 1 ? "" : "s", p->nlanes, p->nlanes == 1 ? "" : "s",
		p->nfam == 2 ? " and protocol family" : "", r->nworkers, r->nworkers == 1 ? "" : "s");
	if (r->profile_warning)
		fprintf(out, "warning: %s\n", r->profile_warning);
	if (r->interrupted)
		fprintf(out, "interrupted: the figures cover what ran before Ctrl-C\n");
	if (o->warm)
		fprintf(out, "--warm: %" PRIu64 " keys stored (%" PRIu64 " failed) in %.2f s, before "
			"the run\n", r->warm_stored, r->warm_failed, r->warm_s);
	if (st->warmup)
		text_warmup(out, r);
	if (r->target_rate > 0)
		fprintf(out, "rate: target %.1f req/s (%.4gx the recorded %.1f req/s), achieved %.1f "
			"req/s over %.3f s\n", r->target_rate, p->speed, p->mean_rate, achieved(r),
			r->duration_s);
	else
		fprintf(out, "rate: max (closed loop, depth %u), achieved %.1f req/s over %.3f s\n",
			o->depth, achieved(r), r->duration_s);
	fprintf(out, "requests (one per key): %" PRIu64 " sent; commands (a multiget is one): %"
		PRIu64 " sent, %" PRIu64 " noreply, %" PRIu64 " answered, %" PRIu64 " errors",
		st->requests_sent, st->commands_sent, st->noreply_sent, st->responses, err_total(st));
	for (unsigned i = 0; i < RP_ERR_COUNT; i++)
		if (st->errors[i])
			fprintf(out, " %s=%" PRIu64, rp_err_names[i], st->errors[i]);
	fprintf(out, "\n");
	if (st->cas_compared)
		fprintf(out, "cas: %" PRIu64 " of %" PRIu64 " outcomes differ from the recorded ones\n",
			st->cas_differ, st->cas_compared);
	if (st->skipped_ops || st->skipped_late)
		fprintf(out, "skipped: %" PRIu64 " server-wide commands (flush_all/stats/verbosity), "
			"%" PRIu64 " late requests (--skip-late)\n", st->skipped_ops, st->skipped_late);
	if (r->target_rate > 0) {
		char b[4][32];
		fprintf(out, "schedule lag (sent - intended, us): p50 %s  p99 %s  p99.9 %s  max %s; "
			"stalls (connection at --depth) %" PRIu64 ", reconnects %" PRIu64 "\n",
			fmt_lat(b[0], 32, mb_hist_percentile(&st->lag, 50)),
			fmt_lat(b[1], 32, mb_hist_percentile(&st->lag, 99)),
			fmt_lat(b[2], 32, mb_hist_percentile(&st->lag, 99.9)),
			fmt_lat(b[3], 32, st->lag.max), st->stalls, st->reconnects);
		if (r->generator_bound)
			fprintf(out, "warning: the generator itself fell behind (it took requests from "
				"the profile up to %.1f us late at p99): latencies include membench's own "
				"delay; use more --threads or a lower --rate\n",
				us(mb_hist_percentile(&st->gen_lag, 99)));
	}
	bool closed = o->rate_mode == RP_RATE_MAX;
	fprintf(out, "\n%-10s %-11s %10s %9s %9s %9s %9s %9s %9s\n", "command", "latency(us)",
		"count", "p50", "p90", "p99", "p99.9", "p99.99", "max");
	text_hist_row(out, "all", closed ? "from send" : "corrected", &st->corr);
	if (!closed)
		text_hist_row(out, "", "uncorrected", &st->uncorr);
	for (unsigned op = 0; op < MB_OP_COUNT; op++) {
		const struct rp_opstats *os = &st->op[op];
		if (!os->used)
			continue;
		text_hist_row(out, mb_op_name(op), closed ? "from send" : "corrected", &os->corr);
		if (!closed)
			text_hist_row(out, "", "uncorrected", &os->uncorr);
	}
	if (closed)
		fprintf(out, "(closed loop: no schedule to fall behind, so latency is measured from "
			"the actual send)\n");
	for (unsigned op = 0; op < MB_OP_COUNT; op++) {
		const struct rp_opstats *os = &st->op[op];
		if (!os->used)
			continue;
		fprintf(out, "%s: %" PRIu64 " sent (%.1f ops/s, %.1f KB/s)", mb_op_name(op), os->sent,
			per_s(r, (double)os->sent), per_s(r, (double)(os->bytes_out + os->bytes_in)) / 1024.0);
		for (unsigned s = 1; s < MB_STATUS_COUNT; s++)
			if (os->status[s])
				fprintf(out, ", %s %" PRIu64, mb_status_name(s), os->status[s]);
		fprintf(out, "\n");
	}
	if (r->nranks > 1)
		text_ranks(out, r);
	if (r->tls)
		fprintf(out, "tls: %" PRIu64 " handshakes, %" PRIu64 " resumed sessions\n",
			r->tls_handshakes, r->tls_resumed);
	if (r->stats_ok) {
		if (r->stat_warmup_start)
			fprintf(out, "\nserver stats (after - at the end of the warm-up, read %.1f ms "
				"after it):\n", r->warmup_stats_late_s * 1e3);
		else
			fprintf(out, "\nserver stats (after - before):\n");
		for (unsigned s = 0; s < o->nservers; s++) {
			const struct rp_restart *rs = r->restart ? &r->restart[s] : NULL;
			if (rs && rs->restarted)
				fprintf(out, "  %s restarted during the run (pid %" PRIu64 " -> %" PRIu64
					", %u restart%s seen): the first process's counts are lost; below, "
					"the last process's own counts, since it started\n",
					o->servers[s].spec, rs->pid_before, rs->pid_after, rs->restarts,
					rs->restarts == 1 ? "" : "s");
			fprintf(out, "  %s:", o->servers[s].spec);
			for (unsigned i = 0; i < RP_NSTAT; i++)
				fprintf(out, " %s %+" PRId64, rp_stat_names[i],
					(int64_t)(r->stat_after[s][i] - r->stat_before[s][i]));
			fprintf(out, "\n");
		}
	}
}

/* ---- JSON ------------------------------------------------------------------------------ */

/* A JSON string: escaped by the shared writer (membench/json.h), which also turns bytes that are
 * not well-formed UTF-8 (a profile path, a host name) into \u00XX instead of passing them on. */
static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	mb_json_escape(f, s, strlen(s));
	fputc('"', f);
}

static void json_hist(FILE *f, const struct mb_hist *h)
{
	fprintf(f, "{\"count\": %" PRIu64 ", \"mean\": %.3f", h->total, mb_hist_mean(h) / 1000.0);
	for (size_t i = 0; i < NPCT; i++)
		fprintf(f, ", \"%s\": %.3f", pct_json[i], us(mb_hist_percentile(h, pcts[i])));
	fprintf(f, ", \"max\": %.3f}", us(h->max));
}

/* A "latency_us" object: {"corrected": summary, "uncorrected": summary}. */
static void json_latency(FILE *f, const struct mb_hist *corr, const struct mb_hist *uncorr)
{
	fprintf(f, "{\"corrected\": ");
	json_hist(f, corr);
	fprintf(f, ", \"uncorrected\": ");
	json_hist(f, uncorr);
	fputc('}', f);
}

/* The "commands" object of st: per command, counts, rates over duration_s and latency; ind is
 * the indentation of the line holding the object. */
static void json_commands(FILE *f, const struct rp_stats *st, double duration_s, const char *ind)
{
	bool first = true;
	fputc('{', f);
	for (unsigned op = 0; op < MB_OP_COUNT; op++) {
		const struct rp_opstats *os = &st->op[op];
		if (!os->used)
			continue;
		fprintf(f, "%s\n%s  \"%s\": {\"sent\": %" PRIu64 ", \"keys\": %" PRIu64
			", \"responses\": %" PRIu64 ", \"bytes_sent\": %" PRIu64 ", \"bytes_received\": %"
			PRIu64 ", \"ops_per_s\": %.3f, \"kb_per_s\": %.3f, \"status\": {",
			first ? "" : ",", ind, mb_op_name(op), os->sent, os->keys, os->responses,
			os->bytes_out, os->bytes_in, rate_over((double)os->sent, duration_s),
			rate_over((double)(os->bytes_out + os->bytes_in), duration_s) / 1024.0);
		bool sf = true;
		for (unsigned s = 0; s < MB_STATUS_COUNT; s++) {
			if (!os->status[s])
				continue;
			fprintf(f, "%s\"%s\": %" PRIu64, sf ? "" : ", ", mb_status_name(s),
				os->status[s]);
			sf = false;
		}
		fprintf(f, "},\n%s    \"latency_us\": ", ind);
		json_latency(f, &os->corr, &os->uncorr);
		fputc('}', f);
		first = false;
	}
	fprintf(f, "\n%s}", ind);
}

/* The "errors" object of st. */
static void json_errors(FILE *f, const struct rp_stats *st)
{
	fprintf(f, "{\"total\": %" PRIu64, err_total(st));
	for (unsigned i = 0; i < RP_ERR_COUNT; i++)
		fprintf(f, ", \"%s\": %" PRIu64, rp_err_names[i], st->errors[i]);
	fputc('}', f);
}

/* The --warmup object: the warm-up's counts, named as the measured ones at the top level. */
static void json_warmup(FILE *f, const struct rp_report *r)
{
	const struct rp_stats *w = r->st->warmup;
	fprintf(f, "  \"warmup\": {\"duration_s\": %.6f, \"active_s\": %.6f, "
		"\"requests_sent\": %" PRIu64 ", \"commands_sent\": %" PRIu64 ", \"noreply_sent\": %"
		PRIu64 ", \"responses\": %" PRIu64 ",\n    \"errors\": ",
		(double)r->opts->warmup_ns / 1e9, r->warmup_duration_s, w->requests_sent,
		w->commands_sent, w->noreply_sent, w->responses);
	json_errors(f, w);
	fprintf(f, ",\n    \"skipped_late\": %" PRIu64 ", \"skipped_commands\": %" PRIu64
		", \"stalls\": %" PRIu64 ", \"reconnects\": %" PRIu64 ", \"bytes_sent\": %" PRIu64
		", \"bytes_received\": %" PRIu64 ",\n    \"cas_outcomes\": {\"compared\": %" PRIu64
		", \"differ\": %" PRIu64 "}, \"server_stats_excluded\": %s, \"server_stats_late_s\": "
		"%.6f,\n    \"latency_us\": ", w->skipped_late, w->skipped_ops,
		w->stalls, w->reconnects, w->bytes_out, w->bytes_in, w->cas_compared, w->cas_differ,
		r->stat_warmup_start ? "true" : "false", r->warmup_stats_late_s);
	json_latency(f, &w->corr, &w->uncorr);
	fprintf(f, ",\n    \"schedule_lag_us\": ");
	json_hist(f, &w->lag);
	fprintf(f, ",\n    \"commands\": ");
	json_commands(f, w, r->warmup_duration_s, "    ");
	fprintf(f, "},\n");
}

static const char *rate_mode_name(enum rp_rate_mode m)
{
	static const char *const names[] = {[RP_RATE_SPEED] = "speed", [RP_RATE_OPS] = "ops",
					    [RP_RATE_MAX] = "max"};
	return names[m];
}

int rp_report_json(const char *path, const struct rp_report *r)
{
	const struct rp_opts *o = r->opts;
	const struct rp_plan *p = r->plan;
	const struct rp_stats *st = r->st;
	FILE *f = fopen(path, "w");
	if (!f)
		return -errno;
	fprintf(f, "{\n  \"schema\": \"membench.replay/1\",\n  \"profile\": ");
	json_str(f, o->profile);
	fprintf(f, ",\n  \"servers\": [");
	for (unsigned s = 0; s < o->nservers; s++) {
		fprintf(f, "%s", s ? ", " : "");
		json_str(f, o->servers[s].spec);
	}
	fprintf(f, "],\n  \"settings\": {\"rate_mode\": \"%s\", \"speed\": %.6g, \"threads\": %u, "
		"\"connections_per_server\": %u, \"fold\": \"%s\", \"depth\": %u, \"duration_limit_s\": "
		"%.3f, \"loop\": %s, \"passes\": %u, \"warmup_s\": %.6f, \"warm\": %s, "
		"\"timeout_ms\": %.3f, \"skip_late_ms\": %.3f, \"spin_us\": %.3f},\n",
		rate_mode_name(o->rate_mode), o->rate_mode == RP_RATE_MAX ? 0.0 : p->speed, r->nworkers,
		p->nlanes, o->fold == RP_FOLD_KEY ? "key" : "conn", o->depth,
		(double)o->duration_ns / 1e9, o->passes != 1 ? "true" : "false", o->passes,
		(double)o->warmup_ns / 1e9, o->warm ? "true" : "false",
		(double)o->timeout_ns / 1e6, (double)o->skip_late_ns / 1e6, (double)o->spin_ns / 1e3);
	fprintf(f, "  \"profile_commands\": %" PRIu64 ",\n  \"profile_records\": %" PRIu64 ",\n"
		"  \"profile_rate\": %.3f,\n", p->commands, p->records, p->mean_rate);
	fprintf(f, "  \"requests_sent\": %" PRIu64 ",\n  \"commands_sent\": %" PRIu64 ",\n"
		"  \"noreply_sent\": %" PRIu64 ",\n  \"responses\": %" PRIu64 ",\n",
		st->requests_sent, st->commands_sent, st->noreply_sent, st->responses);
	fprintf(f, "  \"errors\": ");
	json_errors(f, st);
	fprintf(f, ",\n  \"skipped_late\": %" PRIu64 ",\n  \"skipped_commands\": %" PRIu64 ",\n"
		"  \"stalls\": %" PRIu64 ",\n  \"reconnects\": %" PRIu64 ",\n  \"bytes_sent\": %" PRIu64
		",\n  \"bytes_received\": %" PRIu64 ",\n", st->skipped_late, st->skipped_ops,
		st->stalls, st->reconnects, st->bytes_out, st->bytes_in);
	if (r->tls)
		fprintf(f, "  \"tls\": {\"handshakes\": %" PRIu64 ", \"resumed\": %" PRIu64 "},\n",
			r->tls_handshakes, r->tls_resumed);
	fprintf(f, "  \"cas_outcomes\": {\"compared\": %" PRIu64 ", \"differ\": %" PRIu64 "},\n",
		st->cas_compared, st->cas_differ);
	fprintf(f, "  \"target_rate\": %.3f,\n  \"achieved_rate\": %.3f,\n  \"duration_s\": %.6f,\n"
		"  \"interrupted\": %s,\n", r->target_rate, achieved(r), r->duration_s,
		r->interrupted ? "true" : "false");
	if (st->warmup)
		json_warmup(f, r);
	fprintf(f, "  \"latency_us\": ");
	json_latency(f, &st->corr, &st->uncorr);
	fprintf(f, ",\n  \"commands\": ");
	json_commands(f, st, r->duration_s, "  ");
	fprintf(f, ",\n  \"schedule_lag_us\": ");
	json_hist(f, &st->lag);
	fprintf(f, ",\n  \"generator_lag_us\": ");
	json_hist(f, &st->gen_lag);
	fprintf(f, ",\n  \"generator_bound\": %s,\n  \"timeseries\": [",
		r->generator_bound ? "true" : "false");
	for (size_t i = 0; i < r->nseries; i++) {
		const struct rp_point *pt = &r->series[i];
		fprintf(f, "%s\n    {\"t\": %" PRIu64 ", \"sent\": %" PRIu64 ", \"responses\": %" PRIu64
			", \"errors\": %" PRIu64 ", \"outstanding\": %" PRIu64 ", \"p50_us\": %" PRIu64
			", \"p99_us\": %" PRIu64 ", \"max_us\": %" PRIu64 ", \"lag_p99_us\": %" PRIu64
			", \"commands\": {", i ? "," : "", pt->sec, pt->sent, pt->responses, pt->errors,
			pt->outstanding, pt->p50_us, pt->p99_us, pt->max_us, pt->lag_p99_us);
		bool cf = true;
		for (unsigned op = 0; op < MB_OP_COUNT; op++) {
			if (!pt->op_sent[op] && !pt->op_bytes[op])
				continue;
			fprintf(f, "%s\"%s\": {\"sent\": %" PRIu64 ", \"bytes\": %" PRIu64 "}",
				cf ? "" : ", ", mb_op_name(op), pt->op_sent[op], pt->op_bytes[op]);
			cf = false;
		}
		/* a second that begins before the warm-up's end */
		fprintf(f, "}%s}", pt->sec * RP_NS_PER_SEC < o->warmup_ns ? ", \"warmup\": true" : "");
	}
	fprintf(f, "\n  ],\n  \"server_stats\": [");
	for (unsigned s = 0; r->stats_ok && s < o->nservers; s++) {
		fprintf(f, "%s\n    {\"server\": ", s ? "," : "");
		json_str(f, o->servers[s].spec);
		const struct rp_restart *rs = r->restart ? &r->restart[s] : NULL;
		if (rs && rs->restarted) {
			fprintf(f, ", \"restarted\": true, \"restarts\": %u, \"pid_before\": %" PRIu64
				", \"pid_after\": %" PRIu64 ", \"before_restart\": {", rs->restarts,
				rs->pid_before, rs->pid_after);
			for (unsigned i = 0; i < RP_NSTAT; i++)
				fprintf(f, "%s\"%s\": %" PRIu64, i ? ", " : "", rp_stat_names[i], rs->pre[i]);
			fprintf(f, "}");
		}
		/* --warmup read at its end: the reading before it, and the warm-up's delta */
		static const char *const parts[] = {"before", "after", "delta", "before_warmup",
						    "warmup_delta"};
		for (unsigned k = 0; k < (r->stat_warmup_start ? 5u : 3u); k++) {
			const uint64_t *ws = r->stat_warmup_start ? r->stat_warmup_start[s] : NULL;
			fprintf(f, ", \"%s\": {", parts[k]);
			for (unsigned i = 0; i < RP_NSTAT; i++) {
				int64_t v = k == 0 ? (int64_t)r->stat_before[s][i]
					  : k == 1 ? (int64_t)r->stat_after[s][i]
					  : k == 2 ? (int64_t)(r->stat_after[s][i] - r->stat_before[s][i])
					  : k == 3 ? (int64_t)ws[i]
						   : (int64_t)(r->stat_before[s][i] - ws[i]);
				fprintf(f, "%s\"%s\": %" PRId64, i ? ", " : "", rp_stat_names[i], v);
			}
			fprintf(f, "}");
		}
		fprintf(f, "}");
	}
	if (r->nranks > 1) {
		fprintf(f, "\n  ],\n  \"ranks\": [");
		for (unsigned i = 0; i < r->nranks; i++) {
			const struct rp_rank_info *k = &r->ranks[i];
			fprintf(f, "%s\n    {\"rank\": %u, \"host\": ", i ? "," : "", i);
			json_str(f, k->host);
			fprintf(f, ", \"requests_sent\": %" PRIu64 ", \"responses\": %" PRIu64
				", \"latency_count\": %" PRIu64, k->requests_sent, k->responses,
				k->latency_count);
			fprintf(f, ", \"achieved_rate\": %.3f, "
				"\"duration_s\": %.6f, \"schedule_lag_p99_us\": %.3f, "
				"\"clock_offset_us\": %.3f, \"clock_rtt_us\": %.3f, "
				"\"start_skew_us\": %.3f, \"behind\": %s}",
				k->achieved_rate, k->duration_s, us(k->lag_p99_ns),
				k->realtime_offset_us, k->rtt_us, k->start_skew_us,
				k->behind ? "true" : "false");
		}
	}
	fprintf(f, "\n  ],\n  \"warm\": {\"enabled\": %s, \"keys\": %" PRIu64 ", \"stored\": %" PRIu64
		", \"failed\": %" PRIu64 ", \"duration_s\": %.3f},\n  \"profile_warning\": ",
		o->warm ? "true" : "false", p->warm_keys, r->warm_stored, r->warm_failed, r->warm_s);
	if (r->profile_warning)
		json_str(f, r->profile_warning);
	else
		fputs("null", f);
	fprintf(f, "\n}\n");
	if (ferror(f)) {
		int e = errno ? -errno : -EIO;
		fclose(f);
		return e;
	}
	if (fclose(f) != 0)
		return -errno;
	return 0;
}
