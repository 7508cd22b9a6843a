/* The JSON report. Layout and meaning of every member: docs/analyze.md and
 * docs/analyze-json-schema.json (schema "membench-analyze/1"). Members are only ever added within a
 * schema version; renaming or removing one bumps it. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>

#include "report.h"

#define CDF_POINTS 200
#define RANK_POINTS 200

static void json_dist(struct mb_json *w, const char *key, const struct mb_hist *h)
{
	struct an_dist d;
	an_dist_of(h, &d);
	mb_json_obj(w, key);
	mb_json_u64(w, "count", d.count);
	if (d.count) {
		mb_json_num(w, "mean", d.mean);
		mb_json_u64(w, "min", d.min);
		mb_json_u64(w, "p50", d.p50);
		mb_json_u64(w, "p90", d.p90);
		mb_json_u64(w, "p99", d.p99);
		mb_json_u64(w, "p999", d.p999);
		mb_json_u64(w, "max", d.max);
	} else {
		static const char *const names[] = {"mean", "min", "p50", "p90", "p99", "p999", "max"};
		for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
			mb_json_null(w, names[i]);
	}
	mb_json_obj_end(w);
}

static void json_cdf(struct mb_json *w, const char *key, const struct mb_hist *h)
{
	double x[CDF_POINTS], y[CDF_POINTS];
	size_t n = an_cdf_points(h, x, y, CDF_POINTS);
	mb_json_arr(w, key);
	for (size_t i = 0; i < n; i++) {
		mb_json_arr(w, NULL);
		mb_json_num(w, NULL, x[i]);
		mb_json_num(w, NULL, y[i]);
		mb_json_arr_end(w);
	}
	mb_json_arr_end(w);
}

/* A size: request-weighted summary, by_object summary, and both CDFs. */
static void json_size(struct mb_json *w, const char *key, const struct mb_hist *req,
		      const struct mb_hist *obj)
{
	struct an_dist d;
	an_dist_of(req, &d);
	mb_json_obj(w, key);
	mb_json_u64(w, "count", d.count);
	mb_json_num(w, "mean", d.mean);
	mb_json_num(w, "p50", d.count ? (double)d.p50 : NAN);
	mb_json_num(w, "p90", d.count ? (double)d.p90 : NAN);
	mb_json_num(w, "p99", d.count ? (double)d.p99 : NAN);
	mb_json_num(w, "max", d.count ? (double)d.max : NAN);
	json_dist(w, "by_object", obj);
	json_cdf(w, "cdf", req);
	json_cdf(w, "cdf_by_object", obj);
	mb_json_obj_end(w);
}

static void json_profile(struct mb_json *w, const struct analysis *a)
{
	const struct an_source *s = &a->src;
	mb_json_obj(w, "profile");
	if (s->have_meta) {
		const struct mb_profile_meta *m = &s->meta;
		char ver[32];
		snprintf(ver, sizeof(ver), "%u.%u", s->version_major, s->version_minor);
		mb_json_str(w, "format_version", ver);
		mb_json_str(w, "creator", m->creator);
		mb_json_str(w, "source", m->source);
		mb_json_str(w, "params", m->params);
		mb_json_str(w, "capture", m->capture);
		mb_json_str(w, "host", m->host);
		mb_json_i64(w, "start_wall_ns", m->start_wall_ns);
		const char *clock = mb_clock_name(m->clock);
		const char *mode = mb_key_mode_name(m->key_mode);
		mb_json_str(w, "clock", clock ? clock : "unknown");
		mb_json_str(w, "key_mode", mode ? mode : "unknown");
		mb_json_num(w, "sample_ratio", m->sample_ratio);
	}
	mb_json_u64(w, "blocks", s->blocks);
	mb_json_bool(w, "truncated", s->truncated);
	mb_json_u64(w, "lost_bytes", s->lost_bytes);
	mb_json_u64(w, "damaged_blocks", s->damaged_blocks);
	mb_json_u64(w, "damaged_records", s->damaged_records);
	mb_json_obj_end(w);
}

static void json_ops(struct mb_json *w, const char *key, const uint64_t *ops)
{
	mb_json_obj(w, key);
	for (unsigned op = 0; op < MB_OP_COUNT; op++)
		if (ops[op])
			mb_json_u64(w, mb_op_name(op), ops[op]);
	mb_json_obj_end(w);
}

static void json_reads_writes(struct mb_json *w, const struct analysis *a)
{
	uint64_t rd = 0, wr = 0, lcs = 0;
	for (unsigned op = 0; op < MB_OP_COUNT; op++) {
		rd += mb_op_is_read(op) ? a->ops[op] : 0;
		wr += mb_op_is_write(op) ? a->ops[op] : 0;
		lcs += mb_op_has(op, MB_OPF_LCS_WRITE) ? a->ops[op] : 0;
	}
	mb_json_obj(w, "reads_writes");
	mb_json_obj(w, "twitter");
	mb_json_str(w, "definition", "writes: every command that changes the cache (set add replace "
				"append prepend cas delete incr decr touch ms md ma flush_all); reads: "
				"get gets gat gats mg");
	mb_json_u64(w, "reads", rd);
	mb_json_u64(w, "writes", wr);
	mb_json_u64(w, "other", a->requests - rd - wr);
	mb_json_num(w, "write_fraction", an_frac(wr, a->requests));
	mb_json_obj_end(w);
	mb_json_obj(w, "libcachesim");
	mb_json_str(w, "definition", "writes: set, replace, cas; everything else is not a write");
	mb_json_u64(w, "writes", lcs);
	mb_json_u64(w, "other", a->requests - lcs);
	mb_json_num(w, "write_fraction", an_frac(lcs, a->requests));
	mb_json_obj_end(w);
	mb_json_obj_end(w);
}

static void json_keys(struct mb_json *w, const struct analysis *a)
{
	mb_json_obj(w, "keys");
	mb_json_u64(w, "unique", a->unique_keys);
	mb_json_u64(w, "requests", a->keyed);
	mb_json_u64(w, "keyless_requests", a->keyless);
	mb_json_u64(w, "tracked", a->tracked_keys);
	mb_json_u64(w, "sample_every", a->sample);
	mb_json_num(w, "top_share", a->top_share);
	mb_json_arr(w, "top");
	for (size_t i = 0; i < a->ntop; i++) {
		const struct an_topkey *t = &a->top[i];
		mb_json_obj(w, NULL);
		mb_json_u64(w, "id", t->id);
		bool prefix_only = a->src.meta.key_mode == MB_KEYS_PREFIX;
		if (t->key && !prefix_only)
			mb_json_str(w, "key", t->key);
		else
			mb_json_null(w, "key");
		if (t->key && prefix_only) /* only the prefix was kept */
			mb_json_str(w, "prefix", t->key);
		mb_json_u64(w, "count", t->count);
		mb_json_u64(w, "count_error", t->err);
		mb_json_num(w, "share", an_frac(t->count, a->keyed));
		mb_json_obj_end(w);
	}
	mb_json_arr_end(w);
	if (a->prefixes || a->nprefixes) {
		mb_json_arr(w, "prefixes");
		for (size_t i = 0; i < a->nprefixes; i++) {
			mb_json_obj(w, NULL);
			mb_json_str(w, "prefix", a->prefixes[i].prefix);
			mb_json_u64(w, "requests", a->prefixes[i].requests);
			mb_json_u64(w, "keys", a->prefixes[i].keys);
			mb_json_num(w, "share", an_frac(a->prefixes[i].requests, a->keyed));
			mb_json_obj_end(w);
		}
		mb_json_arr_end(w);
	} else {
		mb_json_null(w, "prefixes");
	}
	mb_json_obj_end(w);
}

static void json_popularity(struct mb_json *w, const struct analysis *a)
{
	mb_json_obj(w, "popularity");
	mb_json_num(w, "zipf_alpha_ols", a->zipf_ols);
	mb_json_num(w, "zipf_r2", a->zipf_r2);
	mb_json_num(w, "zipf_alpha_mle", a->zipf_mle);
	mb_json_num(w, "one_hit_fraction", a->one_hit_fraction);
	mb_json_num(w, "compulsory_miss_ratio", a->compulsory_miss_ratio);
	mb_json_obj(w, "seen_times");
	for (int k = 1; k <= AN_MAX_FREQ_BUCKET; k++) {
		char name[4] = {(char)('0' + k), 0};
		mb_json_u64(w, name, a->freq_keys[k]);
	}
	mb_json_obj_end(w);
	double r[RANK_POINTS], f[RANK_POINTS];
	size_t n = an_rank_points(a, r, f, RANK_POINTS);
	mb_json_arr(w, "rank_frequency");
	for (size_t i = 0; i < n; i++) {
		mb_json_arr(w, NULL);
		mb_json_num(w, NULL, r[i]);
		mb_json_num(w, NULL, f[i]);
		mb_json_arr_end(w);
	}
	mb_json_arr_end(w);
	mb_json_obj_end(w);
}

static void json_rate(struct mb_json *w, const struct analysis *a)
{
	mb_json_obj(w, "rate");
	mb_json_num(w, "mean_rps", a->mean_rps);
	mb_json_num(w, "peak_rps", a->peak_rps);
	mb_json_num(w, "peak_to_mean", a->peak_to_mean);
	mb_json_num(w, "bucket_s", (double)a->tb_width_ns / 1e9);
	mb_json_num(w, "window_s", (double)a->window_ns / 1e9);
	mb_json_arr(w, "windows");
	size_t nw = an_series_len(a, a->window_ns);
	for (size_t i = 0; i < nw; i++) {
		struct an_tbucket b = an_series_at(a, a->window_ns, i);
		mb_json_obj(w, NULL);
		mb_json_num(w, "start_s", (double)(i * a->window_ns) / 1e9);
		mb_json_u64(w, "requests", b.requests);
		mb_json_num(w, "rps", (double)b.requests / ((double)a->window_ns / 1e9));
		mb_json_num(w, "hit_ratio", an_frac(b.hits, b.hits + b.misses));
		mb_json_obj_end(w);
	}
	mb_json_arr_end(w);
	/* per-bucket series, coarsened to at most 2000 points */
	uint64_t width = a->tb_width_ns;
	while (an_series_len(a, width) > 2000)
		width *= 2;
	mb_json_num(w, "series_bucket_s", (double)width / 1e9);
	mb_json_arr(w, "series");
	for (size_t i = 0, n = an_series_len(a, width); i < n; i++)
		mb_json_u64(w, NULL, an_series_at(a, width, i).requests);
	mb_json_arr_end(w);
	mb_json_obj_end(w);
}

static void json_bins(struct mb_json *w, const char *key, const struct mb_hist *h)
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
	mb_json_arr(w, key);
	for (size_t i = 0; i + 1 < n; i++) {
		mb_json_obj(w, NULL);
		mb_json_u64(w, "from", edges[i]);
		mb_json_u64(w, "below", edges[i + 1]);
		mb_json_u64(w, "count", out[i]);
		mb_json_obj_end(w);
	}
	mb_json_arr_end(w);
}

static void json_reuse(struct mb_json *w, const struct analysis *a)
{
	mb_json_obj(w, "reuse");
	mb_json_u64(w, "first_accesses", a->first_accesses);
	mb_json_u64(w, "reuses", a->reuse_requests);
	json_dist(w, "time_ns", &a->h[AN_H_REUSE_NS]);
	json_dist(w, "distance_requests", &a->h[AN_H_REUSE_REQ]);
	uint64_t out[16];
	an_hist_bins(&a->h[AN_H_REUSE_NS], an_reuse_time_edges, an_reuse_time_nedges, out);
	mb_json_arr(w, "time_bins");
	for (size_t i = 0; i < an_reuse_time_nedges; i++) {
		mb_json_obj(w, NULL);
		mb_json_str(w, "range", an_reuse_time_labels[i]);
		mb_json_num(w, "from_s", (double)an_reuse_time_edges[i] / 1e9);
		mb_json_u64(w, "count", out[i]);
		mb_json_obj_end(w);
	}
	mb_json_arr_end(w);
	json_bins(w, "distance_bins", &a->h[AN_H_REUSE_REQ]);
	mb_json_obj_end(w);
}

static void json_capture(struct mb_json *w, const struct analysis *a)
{
	const struct mb_profile_stats *s = &a->src.stats;
	mb_json_obj(w, "capture");
	mb_json_bool(w, "stats_present", a->src.have_stats);
	mb_json_u64(w, "drops", s->ring_drops);
	mb_json_u64(w, "truncated_bytes", s->truncated_bytes);
	mb_json_u64(w, "gaps", s->stream_gaps);
	mb_json_u64(w, "gap_bytes", s->gap_bytes);
	mb_json_u64(w, "protocol_errors", s->protocol_errors);
	mb_json_u64(w, "resync_bytes", s->resync_bytes);
	mb_json_u64(w, "unpaired_responses", s->unpaired_responses);
	mb_json_u64(w, "skipped_rows", s->skipped_rows);
	mb_json_u64(w, "events", s->events);
	mb_json_u64(w, "responses", s->responses);
	mb_json_obj_end(w);
}

static void json_outcomes(struct mb_json *w, const struct analysis *a)
{
	if (!a->responded) {
		mb_json_null(w, "outcomes");
		return;
	}
	mb_json_obj(w, "outcomes");
	mb_json_u64(w, "responses", a->responded);
	mb_json_u64(w, "hits", a->hits);
	mb_json_u64(w, "misses", a->misses);
	mb_json_num(w, "hit_ratio", a->hit_ratio);
	mb_json_obj(w, "status");
	for (unsigned s = 1; s < MB_STATUS_COUNT; s++)
		if (a->status[s])
			mb_json_u64(w, mb_status_name(s), a->status[s]);
	mb_json_obj_end(w);
	json_dist(w, "latency_ns", &a->h[AN_H_LATENCY]);
	json_cdf(w, "latency_cdf", &a->h[AN_H_LATENCY]);
	json_dist(w, "pipelining_depth", &a->h[AN_H_DEPTH]);
	mb_json_obj_end(w);
}

static void json_conns(struct mb_json *w, const struct analysis *a)
{
	mb_json_obj(w, "per_connection");
	struct an_dist d;
	an_dist_of(&a->h[AN_H_CONN_RPS], &d);
	mb_json_obj(w, "rps");
	mb_json_u64(w, "count", d.count);
	mb_json_num(w, "mean", d.count ? d.mean / 1000.0 : NAN);
	mb_json_num(w, "p50", d.count ? (double)d.p50 / 1000.0 : NAN);
	mb_json_num(w, "p90", d.count ? (double)d.p90 / 1000.0 : NAN);
	mb_json_num(w, "max", d.count ? (double)d.max / 1000.0 : NAN);
	mb_json_obj_end(w);
	mb_json_arr(w, "busiest");
	for (size_t i = 0; i < a->ntop_conns; i++) {
		mb_json_obj(w, NULL);
		mb_json_u64(w, "conn_id", a->top_conns[i].conn_id);
		mb_json_u64(w, "commands", a->top_conns[i].commands);
		mb_json_num(w, "rps", a->top_conns[i].rps);
		mb_json_obj_end(w);
	}
	mb_json_arr_end(w);
	mb_json_obj_end(w);
}

/* Whole-traffic estimates of a sampled profile (membench record --sample); for a whole profile
 * fraction 1, scaled false and the estimates equal the recorded figures. */
static void json_sampling(struct mb_json *w, const struct analysis *a)
{
	double k = an_sample_scale(a);
	mb_json_obj(w, "sampling");
	mb_json_num(w, "fraction", 1.0 / k);
	mb_json_bool(w, "scaled", k != 1.0);
	mb_json_obj(w, "estimated");
	mb_json_num(w, "requests", (double)a->requests * k);
	mb_json_num(w, "commands", (double)a->commands * k);
	mb_json_num(w, "connections", (double)a->connections * k);
	mb_json_num(w, "mean_rps", a->mean_rps * k);
	mb_json_num(w, "peak_rps", a->peak_rps * k);
	mb_json_obj(w, "ops");
	for (unsigned op = 0; op < MB_OP_COUNT; op++)
		if (a->ops[op])
			mb_json_num(w, mb_op_name(op), (double)a->ops[op] * k);
	mb_json_obj_end(w);
	mb_json_obj_end(w);
	mb_json_obj_end(w);
}

void report_json_object(struct mb_json *w, const char *key, const struct analysis *a)
{
	mb_json_obj(w, key);
	mb_json_str(w, "schema", AN_JSON_SCHEMA);
	mb_json_str(w, "file", a->src.path ? a->src.path : "");
	json_profile(w, a);
	json_sampling(w, a);
	mb_json_u64(w, "requests", a->requests);
	mb_json_u64(w, "commands", a->commands);
	mb_json_num(w, "start_s", (double)a->first_ns / 1e9);
	mb_json_num(w, "duration_s", a->duration_s);
	mb_json_u64(w, "connections", a->connections);
	mb_json_obj(w, "protocols");
	for (unsigned p = 0; p < MB_PROTO_COUNT; p++)
		if (a->protos[p])
			mb_json_u64(w, mb_proto_name(p), a->protos[p]);
	mb_json_obj_end(w);
	json_ops(w, "ops", a->ops);
	json_ops(w, "op_commands", a->op_commands);
	json_reads_writes(w, a);
	json_keys(w, a);
	json_size(w, "key_size", &a->h[AN_H_KEY_REQ], &a->h[AN_H_KEY_OBJ]);
	json_size(w, "value_size", &a->h[AN_H_VAL_REQ], &a->h[AN_H_VAL_OBJ]);
	json_popularity(w, a);
	json_rate(w, a);
	mb_json_obj(w, "inter_arrival_ns");
	json_dist(w, "global", &a->h[AN_H_IAT]);
	json_dist(w, "per_connection", &a->h[AN_H_IAT_CONN]);
	json_cdf(w, "cdf", &a->h[AN_H_IAT]);
	mb_json_obj_end(w);
	json_reuse(w, a);
	mb_json_obj(w, "ttl_s");
	mb_json_u64(w, "none", a->ttl_none);
	mb_json_u64(w, "absolute", a->ttl_absolute);
	mb_json_u64(w, "expired", a->ttl_expired);
	json_dist(w, "relative", &a->h[AN_H_TTL]);
	mb_json_obj_end(w);
	json_dist(w, "multiget_keys", &a->h[AN_H_BATCH]);
	json_conns(w, a);
	mb_json_num(w, "hit_ratio", a->responded ? a->hit_ratio : NAN);
	json_outcomes(w, a);
	json_capture(w, a);
	mb_json_bool(w, "exact", !a->sketches);
	mb_json_arr(w, "estimated");
	for (const char *const *e = an_estimated(a); *e; e++)
		mb_json_str(w, NULL, *e);
	mb_json_arr_end(w);
	mb_json_u64(w, "invalid_records", a->bad_records);
	mb_json_obj_end(w);
}

int report_json(FILE *f, const struct analysis *a)
{
	struct mb_json w;
	mb_json_init(&w, f);
	report_json_object(&w, NULL, a);
	mb_json_finish(&w);
	return ferror(f) ? -EIO : 0;
}
