/* The terminal report: sections of aligned two- or more-column tables, bars drawn with Unicode
 * block characters (or '#' when the terminal is not UTF-8), estimates marked with '~'.
 * Numbers: counts with thousands separators, sizes in bytes, times with a unit chosen per value. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "report.h"

#define BAR_WIDTH 30

struct out {
	FILE *f;
	bool utf8;
};

/* "1,234,567" into buf. */
static const char *fmt_count(char *buf, size_t len, uint64_t v)
{
	char tmp[32];
	int n = snprintf(tmp, sizeof(tmp), "%llu", (unsigned long long)v);
	size_t o = 0;
	for (int i = 0; i < n && o + 2 < len; i++) {
		if (i && (n - i) % 3 == 0)
			buf[o++] = ',';
		buf[o++] = tmp[i];
	}
	buf[o] = '\0';
	return buf;
}

/* A duration in ns with a fitting unit: "850ns", "12.3us", "4.56ms", "1.23s", "2.5h". */
static const char *fmt_ns(char *buf, size_t len, double ns)
{
	static const struct {
		double div;
		const char *unit;
	} units[] = {{86400e9, "d"}, {3600e9, "h"}, {60e9, "min"}, {1e9, "s"}, {1e6, "ms"},
		     {1e3, "us"}, {1, "ns"}};
	if (!isfinite(ns)) {
		snprintf(buf, len, "-");
		return buf;
	}
	if (ns == 0) {
		snprintf(buf, len, "0s");
		return buf;
	}
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (ns >= units[i].div || units[i].div == 1) {
			double v = ns / units[i].div;
			snprintf(buf, len, v >= 100 || units[i].div == 1 ? "%.0f%s" : "%.3g%s", v,
				 units[i].unit);
			return buf;
		}
	}
	return buf;
}

static const char *fmt_pct(char *buf, size_t len, double frac)
{
	if (!isfinite(frac))
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%.1f%%", frac * 100.0);
	return buf;
}

static const char *fmt_num(char *buf, size_t len, double v)
{
	if (!isfinite(v))
		snprintf(buf, len, "-");
	else if (fabs(v) >= 1e6)
		snprintf(buf, len, "%.4g", v);
	else if (fabs(v) >= 100)
		snprintf(buf, len, "%.0f", v);
	else
		snprintf(buf, len, "%.3g", v);
	return buf;
}

/* A bar of frac * BAR_WIDTH cells with eighth-cell resolution. */
static void bar(struct out *o, double frac)
{
	static const char *const eighths[] = {"", "▏", "▎", "▍", "▌", "▋", "▊", "▉"};
	if (!isfinite(frac) || frac < 0)
		frac = 0;
	if (frac > 1)
		frac = 1;
	int units = (int)lround(frac * BAR_WIDTH * 8);
	if (!o->utf8) {
		for (int i = 0; i < (units + 4) / 8; i++)
			fputc('#', o->f);
		return;
	}
	for (int i = 0; i < units / 8; i++)
		fputs("█", o->f);
	fputs(eighths[units % 8], o->f);
}

static void section(struct out *o, const char *title)
{
	fprintf(o->f, "\n%s\n", title);
}

static const char *est(const struct analysis *a)
{
	return a->sketches ? "~" : "";
}

static void overview(struct out *o, const struct analysis *a)
{
	char b1[64], b2[64], b3[64];
	const struct an_source *s = &a->src;
	fprintf(o->f, "membench analyze: %s\n", s->path ? s->path : "(records)");
	if (s->have_meta) {
		const char *clock = mb_clock_name(s->meta.clock);
		const char *mode = mb_key_mode_name(s->meta.key_mode);
		fprintf(o->f, "  source       %s (%s clock)\n", s->meta.source[0] ? s->meta.source : "?",
			clock ? clock : "unknown");
		if (s->meta.params[0])
			fprintf(o->f, "  parameters   %s\n", s->meta.params);
		fprintf(o->f, "  written by   %s%s%s\n", s->meta.creator[0] ? s->meta.creator : "?",
			s->meta.host[0] ? " on " : "", s->meta.host);
		fprintf(o->f, "  format       %u.%u, %llu blocks, keys %s\n", s->version_major,
			s->version_minor, (unsigned long long)s->blocks, mode ? mode : "?");
	}
	if (s->truncated)
		fprintf(o->f, "  WARNING      truncated file: analyzed up to the last complete block "
			"(%s bytes lost)\n", fmt_count(b1, sizeof(b1), s->lost_bytes));
	if (s->damaged_blocks)
		fprintf(o->f, "  WARNING      damaged file: %llu record blocks (%s records) failed their "
			"checks and were left out\n", (unsigned long long)s->damaged_blocks,
			fmt_count(b1, sizeof(b1), s->damaged_records));

	section(o, "Overview");
	double k = an_sample_scale(a);
	if (k != 1.0)
		fprintf(o->f, "  sampled       %.4g%% of the connections (fraction %.4g, membench record "
			"--sample): figures marked ~ are estimates for the whole traffic (recorded "
			"x %.4g); the others describe the sample\n",
			100.0 / k, 1.0 / k, k);
	if (k != 1.0)
		fprintf(o->f, "  requests      ~%s  (%s recorded, %s commands recorded)\n",
			fmt_count(b1, sizeof(b1), (uint64_t)llround((double)a->requests * k)),
			fmt_count(b2, sizeof(b2), a->requests),
			fmt_count(b3, sizeof(b3), a->commands));
	else
		fprintf(o->f, "  requests      %s  (%s commands; a multiget counts once per key)\n",
			fmt_count(b1, sizeof(b1), a->requests), fmt_count(b2, sizeof(b2), a->commands));
	fprintf(o->f, "  time span     %s  (from %s after the profile start)\n",
		fmt_ns(b1, sizeof(b1), a->duration_s * 1e9), fmt_ns(b2, sizeof(b2), (double)a->first_ns));
	if (k != 1.0)
		fprintf(o->f, "  connections   ~%s  (%s recorded)\n",
			fmt_count(b1, sizeof(b1), (uint64_t)llround((double)a->connections * k)),
			fmt_count(b2, sizeof(b2), a->connections));
	else
		fprintf(o->f, "  connections   %s\n", fmt_count(b1, sizeof(b1), a->connections));
	fprintf(o->f, "  protocols    ");
	for (unsigned p = 0; p < MB_PROTO_COUNT; p++)
		if (a->protos[p])
			fprintf(o->f, " %s %s", mb_proto_name(p),
				fmt_pct(b1, sizeof(b1), an_frac(a->protos[p], a->requests)));
	fputc('\n', o->f);
	const struct mb_profile_stats *st = &s->stats;
	if (!s->have_stats) {
		fprintf(o->f, "  capture       no stats trailer (truncated file): completeness unknown\n");
	} else {
		/* Bytes past the per-event cap (the middle of large values) are not copied but are
		 * accounted for exactly by the codec: no request is lost, so they are reported
		 * apart and do not make the capture incomplete. */
		bool clean = !st->ring_drops && !st->stream_gaps && !st->protocol_errors &&
			     !st->skipped_rows;
		fprintf(o->f, "  capture       %s: %s drops, %s gaps (%s bytes), %s protocol errors",
			clean ? "complete" : "INCOMPLETE",
			fmt_count(b1, sizeof(b1), st->ring_drops),
			fmt_count(b3, sizeof(b3), st->stream_gaps),
			fmt_count((char[32]){0}, 32, st->gap_bytes),
			fmt_count((char[32]){0}, 32, st->protocol_errors));
		if (st->skipped_rows)
			fprintf(o->f, ", %s skipped rows", fmt_count(b1, sizeof(b1), st->skipped_rows));
		fputc('\n', o->f);
		if (st->truncated_bytes)
			fprintf(o->f, "                %s value bytes past the per-event cap not copied "
				"(sizes kept exactly; --max-bytes)\n",
				fmt_count(b2, sizeof(b2), st->truncated_bytes));
	}
	if (a->bad_records)
		fprintf(o->f, "  WARNING       %s records with out-of-range op/proto/status\n",
			fmt_count(b1, sizeof(b1), a->bad_records));
	if (a->sketches)
		fprintf(o->f, "  NOTE          %s distinct keys exceed --exact-keys: figures marked ~ "
			"are estimates (1 key in %llu tracked, HyperLogLog, Space-Saving)\n",
			fmt_count(b1, sizeof(b1), a->unique_keys), (unsigned long long)a->sample);
}

static void op_mix(struct out *o, const struct analysis *a)
{
	char b1[64], b2[64], b3[64];
	double k = an_sample_scale(a);
	const char *e = k != 1.0 ? "~" : "";
	section(o, k != 1.0 ? "Op mix (~ whole traffic)  requests    share  commands" :
			      "Op mix                requests    share  commands");
	for (unsigned op = 0; op < MB_OP_COUNT; op++) {
		if (!a->ops[op])
			continue;
		double frac = an_frac(a->ops[op], a->requests);
		fprintf(o->f, "  %-12s %1s%14s %8s %1s%8s  ", mb_op_name(op), e,
			fmt_count(b1, sizeof(b1), (uint64_t)llround((double)a->ops[op] * k)),
			fmt_pct(b2, sizeof(b2), frac), e,
			fmt_count(b3, sizeof(b3), (uint64_t)llround((double)a->op_commands[op] * k)));
		bar(o, frac);
		fputc('\n', o->f);
	}
	uint64_t rd = 0, wr = 0, lcs = 0;
	for (unsigned op = 0; op < MB_OP_COUNT; op++) {
		rd += mb_op_is_read(op) ? a->ops[op] : 0;
		wr += mb_op_is_write(op) ? a->ops[op] : 0;
		lcs += mb_op_has(op, MB_OPF_LCS_WRITE) ? a->ops[op] : 0;
	}
	fprintf(o->f, "  reads / writes, Twitter (writes = every mutating command): %s / %s\n",
		fmt_pct(b1, sizeof(b1), an_frac(rd, a->requests)),
		fmt_pct(b2, sizeof(b2), an_frac(wr, a->requests)));
	fprintf(o->f, "  writes, libCacheSim (set, replace, cas only):              %s\n",
		fmt_pct(b1, sizeof(b1), an_frac(lcs, a->requests)));
}

static void dist_row(struct out *o, const char *label, const struct mb_hist *h, bool ns,
		     const char *mark)
{
	struct an_dist d;
	char v[6][32];
	an_dist_of(h, &d);
	double vals[6] = {d.mean, (double)d.p50, (double)d.p90, (double)d.p99, (double)d.max,
			  (double)d.count};
	for (int i = 0; i < 5; i++) {
		if (!d.count)
			snprintf(v[i], sizeof(v[i]), "-");
		else if (ns)
			fmt_ns(v[i], sizeof(v[i]), vals[i]);
		else
			fmt_num(v[i], sizeof(v[i]), vals[i]);
	}
	fmt_count(v[5], sizeof(v[5]), d.count);
	fprintf(o->f, "  %-20s %1s%9s %9s %9s %9s %9s %14s\n", label, mark, v[0], v[1], v[2], v[3],
		v[4], v[5]);
}

static void dist_header(struct out *o, const char *title)
{
	fprintf(o->f, "\n%-22s %10s %9s %9s %9s %9s %14s\n", title, "mean", "p50", "p90", "p99",
		"max", "count");
}

static void sizes(struct out *o, const struct analysis *a)
{
	dist_header(o, "Sizes (bytes)");
	dist_row(o, "key, per request", &a->h[AN_H_KEY_REQ], false, "");
	dist_row(o, "key, per object", &a->h[AN_H_KEY_OBJ], false, est(a));
	dist_row(o, "value, per request", &a->h[AN_H_VAL_REQ], false, "");
	dist_row(o, "value, per object", &a->h[AN_H_VAL_OBJ], false, est(a));
	/* value sizes per request in power-of-four bins */
	const struct mb_hist *h = &a->h[AN_H_VAL_REQ];
	if (!h->total)
		return;
	uint64_t edges[20];
	size_t n = 0;
	edges[n++] = 0;
	for (uint64_t e = 16; n < 20; e <<= 2) {
		edges[n++] = e;
		if (e > h->max)
			break;
	}
	uint64_t cnt[20];
	an_hist_bins(h, edges, n, cnt);
	fprintf(o->f, "  value size per request:\n");
	for (size_t i = 0; i + 1 < n; i++) {
		char range[48], b1[32];
		snprintf(range, sizeof(range), "%llu-%llu", (unsigned long long)edges[i],
			 (unsigned long long)edges[i + 1] - 1);
		fprintf(o->f, "    %-22s %7s  ", range,
			fmt_pct(b1, sizeof(b1), an_frac(cnt[i], h->total)));
		bar(o, an_frac(cnt[i], h->total));
		fputc('\n', o->f);
	}
}

static void popularity(struct out *o, const struct analysis *a)
{
	char b1[64], b2[64], b3[64];
	const char *e = est(a);
	section(o, "Popularity");
	fprintf(o->f, "  unique keys            %s%s  (%s requests with a key, %s without)\n", e,
		fmt_count(b1, sizeof(b1), a->unique_keys), fmt_count(b2, sizeof(b2), a->keyed),
		fmt_count(b3, sizeof(b3), a->keyless));
	fprintf(o->f, "  Zipf alpha, OLS        %s%.3f  (least squares of log freq on log rank, "
		"all ranks; R^2 %.3f)\n", e, a->zipf_ols, a->zipf_r2);
	fprintf(o->f, "  Zipf alpha, MLE        %s%.3f  (maximum likelihood, discrete power law on "
		"ranks)\n", e, a->zipf_mle);
	fprintf(o->f, "  one-hit wonders        %s%s of keys\n", e,
		fmt_pct(b1, sizeof(b1), a->one_hit_fraction));
	fprintf(o->f, "  compulsory miss ratio  %s%s  (first accesses / keyed requests)\n", e,
		fmt_pct(b1, sizeof(b1), a->compulsory_miss_ratio));
	fprintf(o->f, "  keys seen k times:\n");
	for (int k = 1; k <= AN_MAX_FREQ_BUCKET; k++) {
		double frac = an_frac(a->freq_keys[k], a->tracked_keys);
		fprintf(o->f, "    %d  %s%7s  ", k, e, fmt_pct(b1, sizeof(b1), frac));
		bar(o, frac);
		fputc('\n', o->f);
	}
	if (!a->ntop)
		return;
	fprintf(o->f, "  top %zu keys: %s%s of keyed requests\n", a->ntop, e,
		fmt_pct(b1, sizeof(b1), a->top_share));
	for (size_t i = 0; i < a->ntop; i++) {
		const struct an_topkey *t = &a->top[i];
		char name[72];
		an_topkey_name(a, t, name, sizeof(name));
		fprintf(o->f, "    %-40s %s%12s %7s\n", name, e, fmt_count(b1, sizeof(b1), t->count),
			fmt_pct(b2, sizeof(b2), an_frac(t->count, a->keyed)));
	}
}

static void rate(struct out *o, const struct analysis *a)
{
	char b1[64], b2[64], b3[64];
	section(o, "Rate");
	double k = an_sample_scale(a);
	const char *e = k != 1.0 ? "~" : "";
	if (k != 1.0)
		fprintf(o->f, "  whole traffic, estimated from the %.4g%% sample (recorded x %.4g):\n",
			100.0 / k, k);
	fprintf(o->f, "  mean %s%s req/s, peak %s%s req/s (busiest %s), peak/mean %s\n", e,
		fmt_num(b1, sizeof(b1), a->mean_rps * k), e, fmt_num(b2, sizeof(b2), a->peak_rps * k),
		fmt_ns(b3, sizeof(b3), (double)a->tb_width_ns), fmt_num((char[32]){0}, 32, a->peak_to_mean));
	size_t nw = an_series_len(a, a->window_ns);
	if (!nw)
		return;
	uint64_t maxw = 0;
	for (size_t i = 0; i < nw; i++) {
		uint64_t r = an_series_at(a, a->window_ns, i).requests;
		maxw = r > maxw ? r : maxw;
	}
	fprintf(o->f, "  per %s window:%s\n", fmt_ns(b1, sizeof(b1), (double)a->window_ns),
		a->responded ? "                      req/s  hit ratio" : "                      req/s");
	size_t shown = nw > 40 ? 40 : nw;
	for (size_t i = 0; i < shown; i++) {
		struct an_tbucket b = an_series_at(a, a->window_ns, i);
		fprintf(o->f, "    +%-10s %1s%8s  ", fmt_ns(b1, sizeof(b1), (double)(i * a->window_ns)), e,
			fmt_num(b2, sizeof(b2), (double)b.requests * k / ((double)a->window_ns / 1e9)));
		if (a->responded)
			fprintf(o->f, "%7s  ", fmt_pct(b3, sizeof(b3), an_frac(b.hits, b.hits + b.misses)));
		bar(o, an_frac(b.requests, maxw));
		if (i + 1 == nw && nw > 1 &&
		    (double)(a->last_ns - i * a->window_ns) < 0.9 * (double)a->window_ns)
			fputs(" (partial window)", o->f);
		fputc('\n', o->f);
	}
	if (shown < nw)
		fprintf(o->f, "    ... %zu more windows (--window, --json)\n", nw - shown);
}

static void timing(struct out *o, const struct analysis *a)
{
	dist_header(o, "Inter-arrival");
	dist_row(o, "all commands", &a->h[AN_H_IAT], true, "");
	dist_row(o, "same connection", &a->h[AN_H_IAT_CONN], true, "");
}

static void reuse(struct out *o, const struct analysis *a)
{
	char b1[64], b2[64];
	const char *e = est(a);
	section(o, "Reuse (time since the same key's previous request)");
	fprintf(o->f, "  first accesses %s%s, reuses %s%s\n", e,
		fmt_count(b1, sizeof(b1), a->first_accesses), e,
		fmt_count(b2, sizeof(b2), a->reuse_requests));
	const struct mb_hist *h = &a->h[AN_H_REUSE_NS];
	if (!h->total)
		return;
	uint64_t cnt[16];
	an_hist_bins(h, an_reuse_time_edges, an_reuse_time_nedges, cnt);
	size_t last = 0;
	for (size_t i = 0; i < an_reuse_time_nedges; i++)
		if (cnt[i])
			last = i;
	for (size_t i = 0; i <= last; i++) {
		fprintf(o->f, "    %-16s %s%7s  ", an_reuse_time_labels[i], e,
			fmt_pct(b1, sizeof(b1), an_frac(cnt[i], h->total)));
		bar(o, an_frac(cnt[i], h->total));
		fputc('\n', o->f);
	}
	dist_header(o, "Reuse distance");
	dist_row(o, "in requests", &a->h[AN_H_REUSE_REQ], false, e);
	dist_row(o, "in time", h, true, e);
}

static void misc(struct out *o, const struct analysis *a)
{
	char b1[64], b2[64], b3[64];
	dist_header(o, "TTL of writes (s)");
	dist_row(o, "relative TTL", &a->h[AN_H_TTL], false, "");
	fprintf(o->f, "  no expiry %s, absolute (unix time) %s, already expired %s\n",
		fmt_count(b1, sizeof(b1), a->ttl_none), fmt_count(b2, sizeof(b2), a->ttl_absolute),
		fmt_count(b3, sizeof(b3), a->ttl_expired));
	dist_header(o, "Multiget");
	dist_row(o, "keys per command", &a->h[AN_H_BATCH], false, "");
	dist_header(o, "Connections");
	struct an_dist d;
	an_dist_of(&a->h[AN_H_CONN_RPS], &d);
	fprintf(o->f, "  %-20s  %9s %9s %9s %9s %9s %14s\n", "req/s per conn",
		d.count ? fmt_num(b1, sizeof(b1), d.mean / 1000.0) : "-",
		d.count ? fmt_num(b2, sizeof(b2), (double)d.p50 / 1000.0) : "-",
		d.count ? fmt_num(b3, sizeof(b3), (double)d.p90 / 1000.0) : "-",
		d.count ? fmt_num((char[32]){0}, 32, (double)d.p99 / 1000.0) : "-",
		d.count ? fmt_num((char[32]){0}, 32, (double)d.max / 1000.0) : "-",
		fmt_count((char[32]){0}, 32, d.count));
	if (a->responded)
		dist_row(o, "pipelining depth", &a->h[AN_H_DEPTH], false, "");
	for (size_t i = 0; i < a->ntop_conns; i++)
		fprintf(o->f, "    conn %-8u %12s commands  %s req/s\n", a->top_conns[i].conn_id,
			fmt_count(b1, sizeof(b1), a->top_conns[i].commands),
			fmt_num(b2, sizeof(b2), a->top_conns[i].rps));
}

static void prefixes(struct out *o, const struct analysis *a)
{
	char b1[64], b2[64], b3[64];
	if (!a->nprefixes)
		return;
	fprintf(o->f, "\nKey prefixes (delimiter '%c')      requests    share         keys\n",
		a->cfg.delim);
	for (size_t i = 0; i < a->nprefixes && i < 20; i++) {
		const struct an_prefix *p = &a->prefixes[i];
		char name[40];
		snprintf(name, sizeof(name), "%.30s", p->prefix[0] ? p->prefix : "(none)");
		for (char *c = name; *c; c++)
			if ((unsigned char)*c < 0x20 || *c == 0x7f)
				*c = '?';
		fprintf(o->f, "  %-30s %12s %8s %12s\n", name,
			fmt_count(b1, sizeof(b1), p->requests),
			fmt_pct(b2, sizeof(b2), an_frac(p->requests, a->keyed)),
			fmt_count(b3, sizeof(b3), p->keys));
	}
	if (a->nprefixes > 20)
		fprintf(o->f, "  ... %zu more prefixes (--json)\n", a->nprefixes - 20);
}

static void outcomes(struct out *o, const struct analysis *a)
{
	char b1[64], b2[64], b3[64];
	section(o, "Outcomes");
	if (!a->responded) {
		fprintf(o->f, "  no responses captured: hit ratio and latency unknown\n");
		return;
	}
	fprintf(o->f, "  hit ratio %s (%s hits, %s misses); %s commands with a response\n",
		fmt_pct(b1, sizeof(b1), a->hit_ratio), fmt_count(b2, sizeof(b2), a->hits),
		fmt_count(b3, sizeof(b3), a->misses), fmt_count((char[32]){0}, 32, a->responded));
	fprintf(o->f, "  status:");
	for (unsigned s = 1; s < MB_STATUS_COUNT; s++)
		if (a->status[s])
			fprintf(o->f, " %s %s", mb_status_name(s), fmt_count(b1, sizeof(b1), a->status[s]));
	fputc('\n', o->f);
	dist_header(o, "Server latency");
	dist_row(o, "all commands", &a->h[AN_H_LATENCY], true, "");
}

int report_text(FILE *f, const struct analysis *a, bool utf8)
{
	struct out o = {.f = f, .utf8 = utf8};
	overview(&o, a);
	op_mix(&o, a);
	sizes(&o, a);
	popularity(&o, a);
	rate(&o, a);
	timing(&o, a);
	reuse(&o, a);
	misc(&o, a);
	prefixes(&o, a);
	outcomes(&o, a);
	return ferror(f) ? -EIO : 0;
}
