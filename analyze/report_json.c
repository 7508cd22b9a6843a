/* The JSON report. Layout and meaning of every member: docs/analyze.md and
 * docs/analyze-json-schema.json (schema "membench-analyze/1"). Members are only ever added within a
 * schema version; renaming or removing one bumps it. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>

#include "report.h"

#define CDF_POINTS 200
#define RANK_POINTS 200

static void json_dist(struct jw *w, const char *key, const struct mb_hist *h)
{
	struct an_dist d;
	an_dist_of(h, &d);
	jw_obj(w, key);
	jw_u64(w, "count", d.count);
	if (d.count) {
		jw_num(w, "mean", d.mean);
		jw_u64(w, "min", d.min);
		jw_u64(w, "p50", d.p50);
		jw_u64(w, "p90", d.p90);
		jw_u64(w, "p99", d.p99);
		jw_u64(w, "p999", d.p999);
		jw_u64(w, "max", d.max);
	} else {
		static const char *const names[] = {"mean", "min", "p50", "p90", "p99", "p999", "max"};
		for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
			jw_null(w, names[i]);
	}
	jw_obj_end(w);
}

static void json_cdf(struct jw *w, const char *key, const struct mb_hist *h)
{
	double x[CDF_POINTS], y[CDF_POINTS];
	size_t n = an_cdf_points(h, x, y, CDF_POINTS);
	jw_arr(w, key);
	for (size_t i = 0; i < n; i++) {
		jw_arr(w, NULL);
		jw_num(w, NULL, x[i]);
		jw_num(w, NULL, y[i]);
		jw_arr_end(w);
	}
	jw_arr_end(w);
}

/* A size: request-weighted summary, by_object summary, and both CDFs. */
static void json_size(struct jw *w, const char *key, const struct mb_hist *req,
		      const struct mb_hist *obj)
{
	struct an_dist d;
	an_dist_of(req, &d);
	jw_obj(w, key);
	jw_u64(w, "count", d.count);
	jw_num(w, "mean", d.mean);
	jw_num(w, "p50", d.count ? (double)d.p50 : NAN);
	jw_num(w, "p90", d.count ? (double)d.p90 : NAN);
	jw_num(w, "p99", d.count ? (double)d.p99 : NAN);
	jw_num(w, "max", d.count ? (double)d.max : NAN);
	json_dist(w, "by_object", obj);
	json_cdf(w, "cdf", req);
	json_cdf(w, "cdf_by_object", obj);
	jw_obj_end(w);
}

static void json_profile(struct jw *w, const struct analysis *a)
{
	const struct an_source *s = &a->src;
	jw_obj(w, "profile");
	if (s->have_meta) {
		const struct mb_profile_meta *m = &s->meta;
		char ver[32];
		snprintf(ver, sizeof(ver), "%u.%u", s->version_major, s->version_minor);
		jw_str(w, "format_version", ver);
		jw_str(w, "creator", m->creator);
		jw_str(w, "source", m->source);
		jw_str(w, "params", m->params);
		jw_str(w, "capture", m->capture);
		jw_str(w, "host", m->host);
		jw_i64(w, "start_wall_ns", m->start_wall_ns);
		const char *clock = mb_clock_name(m->clock);
		const char *mode = mb_key_mode_name(m->key_mode);
		jw_str(w, "clock", clock ? clock : "unknown");
		jw_str(w, "key_mode", mode ? mode : "unknown");
		jw_num(w, "sample_ratio", m->sample_ratio);
	}
	jw_u64(w, "blocks", s->blocks);
	jw_bool(w, "truncated", s->truncated);
	jw_u64(w, "lost_bytes", s->lost_bytes);
	jw_obj_end(w);
}

static void json_ops(struct jw *w, const char *key, const uint64_t *ops)
{
	jw_obj(w, key);
	for (unsigned op = 0; op < MB_OP_COUNT; op++)
		if (ops[op])
			jw_u64(w, mb_op_name(op), ops[op]);
	jw_obj_end(w);
}

static void json_reads_writes(struct jw *w, const struct analysis *a)
{
	uint64_t rd = 0, wr = 0, lcs = 0;
	for (unsigned op = 0; op < MB_OP_COUNT; op++) {
		rd += mb_op_is_read(op) ? a->ops[op] : 0;
		wr += mb_op_is_write(op) ? a->ops[op] : 0;
		lcs += an_op_is_write_libcachesim(op) ? a->ops[op] : 0;
	}
	jw_obj(w, "reads_writes");
	jw_obj(w, "twitter");
	jw_str(w, "definition", "writes: every command that changes the cache (set add replace "
				"append prepend cas delete incr decr touch ms md ma flush_all); reads: "
				"get gets gat gats mg");
	jw_u64(w, "reads", rd);
	jw_u64(w, "writes", wr);
	jw_u64(w, "other", a->requests - rd - wr);
	jw_num(w, "write_fraction", an_frac(wr, a->requests));
	jw_obj_end(w);
	jw_obj(w, "libcachesim");
	jw_str(w, "definition", "writes: set, replace, cas; everything else is not a write");
	jw_u64(w, "writes", lcs);
	jw_u64(w, "other", a->requests - lcs);
	jw_num(w, "write_fraction", an_frac(lcs, a->requests));
	jw_obj_end(w);
	jw_obj_end(w);
}

static void json_keys(struct jw *w, const struct analysis *a)
{
	jw_obj(w, "keys");
	jw_u64(w, "unique", a->unique_keys);
	jw_u64(w, "requests", a->keyed);
	jw_u64(w, "keyless_requests", a->keyless);
	jw_u64(w, "tracked", a->tracked_keys);
	jw_u64(w, "sample_every", a->sample);
	jw_num(w, "top_share", a->top_share);
	jw_arr(w, "top");
	for (size_t i = 0; i < a->ntop; i++) {
		const struct an_topkey *t = &a->top[i];
		jw_obj(w, NULL);
		jw_u64(w, "id", t->id);
		bool prefix_only = a->src.meta.key_mode == MB_KEYS_PREFIX;
		if (t->key && !prefix_only)
			jw_str(w, "key", t->key);
		else
			jw_null(w, "key");
		if (t->key && prefix_only) /* only the prefix was kept */
			jw_str(w, "prefix", t->key);
		jw_u64(w, "count", t->count);
		jw_u64(w, "count_error", t->err);
		jw_num(w, "share", an_frac(t->count, a->keyed));
		jw_obj_end(w);
	}
	jw_arr_end(w);
	if (a->prefixes || a->nprefixes) {
		jw_arr(w, "prefixes");
		for (size_t i = 0; i < a->nprefixes; i++) {
			jw_obj(w, NULL);
			jw_str(w, "prefix", a->prefixes[i].prefix);
			jw_u64(w, "requests", a->prefixes[i].requests);
			jw_u64(w, "keys", a->prefixes[i].keys);
			jw_num(w, "share", an_frac(a->prefixes[i].requests, a->keyed));
			jw_obj_end(w);
		}
		jw_arr_end(w);
	} else {
		jw_null(w, "prefixes");
	}
	jw_obj_end(w);
}

static void json_popularity(struct jw *w, const struct analysis *a)
{
	jw_obj(w, "popularity");
	jw_num(w, "zipf_alpha_ols", a->zipf_ols);
	jw_num(w, "zipf_r2", a->zipf_r2);
	jw_num(w, "zipf_alpha_mle", a->zipf_mle);
	jw_num(w, "one_hit_fraction", a->one_hit_fraction);
	jw_num(w, "compulsory_miss_ratio", a->compulsory_miss_ratio);
	jw_obj(w, "seen_times");
	for (int k = 1; k <= AN_MAX_FREQ_BUCKET; k++) {
		char name[4] = {(char)('0' + k), 0};
		jw_u64(w, name, a->freq_keys[k]);
	}
	jw_obj_end(w);
	double r[RANK_POINTS], f[RANK_POINTS];
	size_t n = an_rank_points(a, r, f, RANK_POINTS);
	jw_arr(w, "rank_frequency");
	for (size_t i = 0; i < n; i++) {
		jw_arr(w, NULL);
		jw_num(w, NULL, r[i]);
		jw_num(w, NULL, f[i]);
		jw_arr_end(w);
	}
	jw_arr_end(w);
	jw_obj_end(w);
}

static void json_rate(struct jw *w, const struct analysis *a)
{
	jw_obj(w, "rate");
	jw_num(w, "mean_rps", a->mean_rps);
	jw_num(w, "peak_rps", a->peak_rps);
	jw_num(w, "peak_to_mean", a->peak_to_mean);
	jw_num(w, "bucket_s", (double)a->tb_width_ns / 1e9);
	jw_num(w, "window_s", (double)a->window_ns / 1e9);
	jw_arr(w, "windows");
	size_t nw = an_series_len(a, a->window_ns);
	for (size_t i = 0; i < nw; i++) {
		struct an_tbucket b = an_series_at(a, a->window_ns, i);
		jw_obj(w, NULL);
		jw_num(w, "start_s", (double)(i * a->window_ns) / 1e9);
		jw_u64(w, "requests", b.requests);
		jw_num(w, "rps", (double)b.requests / ((double)a->window_ns / 1e9));
		jw_num(w, "hit_ratio", an_frac(b.hits, b.hits + b.misses));
		jw_obj_end(w);
	}
	jw_arr_end(w);
	/* per-bucket series, coarsened to at most 2000 points */
	uint64_t width = a->tb_width_ns;
	while (an_series_len(a, width) > 2000)
		width *= 2;
	jw_num(w, "series_bucket_s", (double)width / 1e9);
	jw_arr(w, "series");
	for (size_t i = 0, n = an_series_len(a, width); i < n; i++)
		jw_u64(w, NULL, an_series_at(a, width, i).requests);
	jw_arr_end(w);
	jw_obj_end(w);
}

static void json_bins(struct jw *w, const char *key, const struct mb_hist *h)
{
	/* powers of two: [1,2), [2,4), ... up to the bin holding the max */
	uint64_t edges[64];
	size_t n = 0;
	edges[n++] = 0;
	for (uint64_t e = 1; n < 64; e <<= 1) {
		edges[n++] = e;
		if (e > h->max)
			break;
	}
	uint64_t out[64];
	an_hist_bins(h, edges, n, out);
	jw_arr(w, key);
	for (size_t i = 0; i + 1 < n; i++) {
		jw_obj(w, NULL);
		jw_u64(w, "from", edges[i]);
		jw_u64(w, "below", edges[i + 1]);
		jw_u64(w, "count", out[i]);
		jw_obj_end(w);
	}
	jw_arr_end(w);
}

static void json_reuse(struct jw *w, const struct analysis *a)
{
	jw_obj(w, "reuse");
	jw_u64(w, "first_accesses", a->first_accesses);
	jw_u64(w, "reuses", a->reuse_requests);
	json_dist(w, "time_ns", &a->h[AN_H_REUSE_NS]);
	json_dist(w, "distance_requests", &a->h[AN_H_REUSE_REQ]);
	uint64_t out[16];
	an_hist_bins(&a->h[AN_H_REUSE_NS], an_reuse_time_edges, an_reuse_time_nedges, out);
	jw_arr(w, "time_bins");
	for (size_t i = 0; i < an_reuse_time_nedges; i++) {
		jw_obj(w, NULL);
		jw_str(w, "range", an_reuse_time_labels[i]);
		jw_num(w, "from_s", (double)an_reuse_time_edges[i] / 1e9);
		jw_u64(w, "count", out[i]);
		jw_obj_end(w);
	}
	jw_arr_end(w);
	json_bins(w, "distance_bins", &a->h[AN_H_REUSE_REQ]);
	jw_obj_end(w);
}

static void json_capture(struct jw *w, const struct analysis *a)
{
	const struct mb_profile_stats *s = &a->src.stats;
	jw_obj(w, "capture");
	jw_bool(w, "stats_present", a->src.have_stats);
	jw_u64(w, "drops", s->ring_drops);
	jw_u64(w, "truncated_bytes", s->truncated_bytes);
	jw_u64(w, "gaps", s->stream_gaps);
	jw_u64(w, "gap_bytes", s->gap_bytes);
	jw_u64(w, "protocol_errors", s->protocol_errors);
	jw_u64(w, "resync_bytes", s->resync_bytes);
	jw_u64(w, "unpaired_responses", s->unpaired_responses);
	jw_u64(w, "skipped_rows", s->skipped_rows);
	jw_u64(w, "events", s->events);
	jw_u64(w, "responses", s->responses);
	jw_obj_end(w);
}

static void json_outcomes(struct jw *w, const struct analysis *a)
{
	if (!a->responded) {
		jw_null(w, "outcomes");
		return;
	}
	jw_obj(w, "outcomes");
	jw_u64(w, "responses", a->responded);
	jw_u64(w, "hits", a->hits);
	jw_u64(w, "misses", a->misses);
	jw_num(w, "hit_ratio", a->hit_ratio);
	jw_obj(w, "status");
	for (unsigned s = 1; s < MB_STATUS_COUNT; s++)
		if (a->status[s])
			jw_u64(w, mb_status_name(s), a->status[s]);
	jw_obj_end(w);
	json_dist(w, "latency_ns", &a->h[AN_H_LATENCY]);
	json_cdf(w, "latency_cdf", &a->h[AN_H_LATENCY]);
	json_dist(w, "pipelining_depth", &a->h[AN_H_DEPTH]);
	jw_obj_end(w);
}

static void json_conns(struct jw *w, const struct analysis *a)
{
	jw_obj(w, "per_connection");
	struct an_dist d;
	an_dist_of(&a->h[AN_H_CONN_RPS], &d);
	jw_obj(w, "rps");
	jw_u64(w, "count", d.count);
	jw_num(w, "mean", d.count ? d.mean / 1000.0 : NAN);
	jw_num(w, "p50", d.count ? (double)d.p50 / 1000.0 : NAN);
	jw_num(w, "p90", d.count ? (double)d.p90 / 1000.0 : NAN);
	jw_num(w, "max", d.count ? (double)d.max / 1000.0 : NAN);
	jw_obj_end(w);
	jw_arr(w, "busiest");
	for (size_t i = 0; i < a->ntop_conns; i++) {
		jw_obj(w, NULL);
		jw_u64(w, "conn_id", a->top_conns[i].conn_id);
		jw_u64(w, "commands", a->top_conns[i].commands);
		jw_num(w, "rps", a->top_conns[i].rps);
		jw_obj_end(w);
	}
	jw_arr_end(w);
	jw_obj_end(w);
}

/* Whole-traffic estimates of a sampled profile (membench record --sample); for a whole profile
 * fraction 1, scaled false and the estimates equal the recorded figures. */
static void json_sampling(struct jw *w, const struct analysis *a)
{
	double k = an_sample_scale(a);
	jw_obj(w, "sampling");
	jw_num(w, "fraction", 1.0 / k);
	jw_bool(w, "scaled", k != 1.0);
	jw_obj(w, "estimated");
	jw_num(w, "requests", (double)a->requests * k);
	jw_num(w, "commands", (double)a->commands * k);
	jw_num(w, "connections", (double)a->connections * k);
	jw_num(w, "mean_rps", a->mean_rps * k);
	jw_num(w, "peak_rps", a->peak_rps * k);
	jw_obj(w, "ops");
	for (unsigned op = 0; op < MB_OP_COUNT; op++)
		if (a->ops[op])
			jw_num(w, mb_op_name(op), (double)a->ops[op] * k);
	jw_obj_end(w);
	jw_obj_end(w);
	jw_obj_end(w);
}

void report_json_object(struct jw *w, const char *key, const struct analysis *a)
{
	jw_obj(w, key);
	jw_str(w, "schema", AN_JSON_SCHEMA);
	jw_str(w, "file", a->src.path ? a->src.path : "");
	json_profile(w, a);
	json_sampling(w, a);
	jw_u64(w, "requests", a->requests);
	jw_u64(w, "commands", a->commands);
	jw_num(w, "start_s", (double)a->first_ns / 1e9);
	jw_num(w, "duration_s", a->duration_s);
	jw_u64(w, "connections", a->connections);
	jw_obj(w, "protocols");
	for (unsigned p = 0; p < MB_PROTO_COUNT; p++)
		if (a->protos[p])
			jw_u64(w, mb_proto_name(p), a->protos[p]);
	jw_obj_end(w);
	json_ops(w, "ops", a->ops);
	json_ops(w, "op_commands", a->op_commands);
	json_reads_writes(w, a);
	json_keys(w, a);
	json_size(w, "key_size", &a->h[AN_H_KEY_REQ], &a->h[AN_H_KEY_OBJ]);
	json_size(w, "value_size", &a->h[AN_H_VAL_REQ], &a->h[AN_H_VAL_OBJ]);
	json_popularity(w, a);
	json_rate(w, a);
	jw_obj(w, "inter_arrival_ns");
	json_dist(w, "global", &a->h[AN_H_IAT]);
	json_dist(w, "per_connection", &a->h[AN_H_IAT_CONN]);
	json_cdf(w, "cdf", &a->h[AN_H_IAT]);
	jw_obj_end(w);
	json_reuse(w, a);
	jw_obj(w, "ttl_s");
	jw_u64(w, "none", a->ttl_none);
	jw_u64(w, "absolute", a->ttl_absolute);
	jw_u64(w, "expired", a->ttl_expired);
	json_dist(w, "relative", &a->h[AN_H_TTL]);
	jw_obj_end(w);
	json_dist(w, "multiget_keys", &a->h[AN_H_BATCH]);
	json_conns(w, a);
	jw_num(w, "hit_ratio", a->responded ? a->hit_ratio : NAN);
	json_outcomes(w, a);
	json_capture(w, a);
	jw_bool(w, "exact", !a->sketches);
	jw_arr(w, "estimated");
	for (const char *const *e = an_estimated(a); *e; e++)
		jw_str(w, NULL, *e);
	jw_arr_end(w);
	jw_u64(w, "invalid_records", a->bad_records);
	jw_obj_end(w);
}

int report_json(FILE *f, const struct analysis *a)
{
	struct jw w;
	jw_init(&w, f);
	report_json_object(&w, NULL, a);
	jw_finish(&w);
	return ferror(f) ? -EIO : 0;
}
