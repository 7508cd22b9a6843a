/* Unit tests of the analyzer engine, sketches, Zipf estimators and report writers, driven by
 * in-memory records with exactly known content (the end-to-end tests with real profile files are
 * in test_analyze_cli.sh and test_analyze_e2e.c). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "analysis.h"
#include "report.h"
#include "sketch.h"
#include "synth/dist.h"
#include "synth/rng.h"
#include "zipf.h"

#define MS 1000000ull
#define SEC 1000000000ull

static struct analysis *run(const struct mb_record *r, size_t n, const struct an_config *cfg,
			    an_key_fn fn, void *ctx)
{
	struct analysis *a = NULL;
	struct an_config def = {0};
	assert_int_equal(an_init(&a, cfg ? cfg : &def), 0);
	an_add(a, r, n);
	assert_int_equal(an_finish(a, fn, ctx), 0);
	return a;
}

static struct mb_record rec(uint64_t t, unsigned op, uint64_t key, uint32_t klen, uint32_t vlen)
{
	return (struct mb_record){.time_ns = t, .op = (uint8_t)op, .key_id = key, .key_len = klen,
				  .value_len = vlen};
}

/* 1000 requests, one every 10 ms on 4 connections: 800 get, 150 set, 50 delete.
 * Keys: request i uses key i % 100 except the 50 deletes, which use new keys 1000..1049 once
 * each; key length 10 + key % 10; sets (i % 20 = 16, 17, 18) carry 100, 200, 300 bytes. */
static void test_known_profile(void **state)
{
	(void)state;
	struct mb_record r[1000];
	for (unsigned i = 0; i < 1000; i++) {
		unsigned op = i % 20 < 16 ? MB_OP_GET : i % 20 < 19 ? MB_OP_SET : MB_OP_DELETE;
		uint64_t key = op == MB_OP_DELETE ? 1000 + i / 20 : i % 100;
		uint32_t vlen = op == MB_OP_SET ? 100 * (i % 20 - 15) : 0;
		r[i] = rec(i * 10 * MS, op, key, 10 + (uint32_t)(key % 10), vlen);
		r[i].conn_id = i % 4;
	}
	struct analysis *a = run(r, 1000, NULL, NULL, NULL);
	assert_int_equal(a->requests, 1000);
	assert_int_equal(a->commands, 1000);
	assert_int_equal(a->ops[MB_OP_GET], 800);
	assert_int_equal(a->ops[MB_OP_SET], 150);
	assert_int_equal(a->ops[MB_OP_DELETE], 50);
	assert_int_equal(a->connections, 4);
	assert_int_equal(a->unique_keys, 145); /* 95 of keys 0..99 (not 19, 39, ...) + 50 */
	assert_false(a->sketches);
	assert_true(fabs(a->duration_s - 9.99) < 1e-9);
	assert_true(fabs(a->mean_rps - 1000 / 9.99) < 1e-6);
	assert_true(fabs(a->peak_rps - 100) < 1e-9); /* 100 requests in every second */
	/* keys 1000..1049 are requested once, the others 8 or more times */
	assert_int_equal(a->freq_keys[1], 50);
	assert_true(fabs(a->one_hit_fraction - 50.0 / 145) < 1e-12);
	assert_true(fabs(a->compulsory_miss_ratio - 145.0 / 1000) < 1e-12);
	/* objects by key length: 15 each of 10..18, 10 of 19 */
	struct an_dist d;
	an_dist_of(&a->h[AN_H_KEY_OBJ], &d);
	assert_int_equal(d.count, 145);
	assert_int_equal(d.min, 10);
	assert_int_equal(d.max, 19);
	assert_int_equal(d.p50, 14); /* the 73rd of 145 */
	assert_int_equal(d.p90, 18);
	/* values: 150 sets of 100/200/300 bytes, 50 each */
	an_dist_of(&a->h[AN_H_VAL_REQ], &d);
	assert_int_equal(d.count, 150);
	assert_true(fabs(d.mean - 200) < 1e-9);
	assert_int_equal(d.p50, 200);
	assert_int_equal(d.p99, 300);
	/* inter-arrival: 999 gaps of exactly 10 ms; per connection 40 ms */
	an_dist_of(&a->h[AN_H_IAT], &d);
	assert_int_equal(d.count, 999);
	assert_true(llabs((long long)d.p50 - (long long)(10 * MS)) <= (long long)(10 * MS / 100));
	an_dist_of(&a->h[AN_H_IAT_CONN], &d);
	assert_int_equal(d.count, 996);
	assert_true(llabs((long long)d.p99 - (long long)(40 * MS)) <= (long long)(40 * MS / 100));
	assert_true(isnan(a->hit_ratio));
	assert_int_equal(a->responded, 0);
	an_free(a);
}

/* Bug: a delete carrying a value size (an imported trace's object size on a delete row)
 * counted in the per-request value sizes, which docs/analyze.md limits to storage commands and
 * reads that carried a value. */
static void test_delete_value_size_not_counted(void **state)
{
	(void)state;
	struct mb_record r[4] = {
		rec(0, MB_OP_SET, 1, 5, 100),
		rec(SEC, MB_OP_DELETE, 1, 5, 5000),
		rec(2 * SEC, MB_OP_GET, 2, 5, 300), /* an imported read with an object size */
		rec(3 * SEC, MB_OP_INCR, 3, 5, 7000),
	};
	struct analysis *a = run(r, 4, NULL, NULL, NULL);
	struct an_dist d;
	an_dist_of(&a->h[AN_H_VAL_REQ], &d);
	assert_int_equal(d.count, 2);
	assert_int_equal(d.max, 300);
	an_dist_of(&a->h[AN_H_VAL_OBJ], &d);
	assert_int_equal(d.count, 2);
	an_free(a);
}

/* Multigets: a 3-key get, a 5-key get, a single get; continuation records share the command. */
static void test_multiget(void **state)
{
	(void)state;
	struct mb_record r[9];
	for (unsigned i = 0; i < 9; i++)
		r[i] = rec(i < 3 ? 0 : i < 8 ? SEC : 2 * SEC, MB_OP_GET, i, 5, 0);
	for (unsigned i = 0; i < 9; i++)
		if (i != 0 && i != 3 && i != 8)
			r[i].rflags = MB_RF_BATCH_CONT;
	struct analysis *a = run(r, 9, NULL, NULL, NULL);
	assert_int_equal(a->requests, 9);
	assert_int_equal(a->commands, 3);
	assert_int_equal(a->op_commands[MB_OP_GET], 3);
	struct an_dist d;
	an_dist_of(&a->h[AN_H_BATCH], &d);
	assert_int_equal(d.count, 3);
	assert_int_equal(d.min, 1);
	assert_int_equal(d.p50, 3);
	assert_int_equal(d.max, 5);
	an_dist_of(&a->h[AN_H_IAT], &d); /* per command: two gaps of 1 s */
	assert_int_equal(d.count, 2);
	an_free(a);
}

/* Responses: 10 gets alternating hit/miss with latency 100 us..1 ms, pipelined 2 deep. */
static void test_outcomes(void **state)
{
	(void)state;
	struct mb_record r[10];
	for (unsigned i = 0; i < 10; i++) {
		r[i] = rec(i * 50000ull, MB_OP_GET, i % 3, 4, i % 2 ? 0 : 10);
		r[i].rflags = MB_RF_HAS_RESPONSE;
		r[i].status = i % 2 ? MB_STATUS_MISS : MB_STATUS_HIT;
		r[i].latency_ns = 100000ull * (i + 1);
	}
	struct analysis *a = run(r, 10, NULL, NULL, NULL);
	assert_int_equal(a->responded, 10);
	assert_int_equal(a->hits, 5);
	assert_int_equal(a->misses, 5);
	assert_true(fabs(a->hit_ratio - 0.5) < 1e-12);
	struct an_dist d;
	an_dist_of(&a->h[AN_H_LATENCY], &d);
	assert_int_equal(d.min, 100000);
	assert_int_equal(d.max, 1000000);
	assert_true(d.p50 >= 500000 && d.p50 <= 500000 + 500);
	/* request i (sent at 50i us, done at 50i + 100(i+1) us) finds the earlier ones with
	 * 50j + 100(j+1) > 50i outstanding: depth grows by one every second request. */
	an_dist_of(&a->h[AN_H_DEPTH], &d);
	assert_int_equal(d.count, 10);
	assert_int_equal(d.min, 1);
	assert_true(d.max > 1);
	an_free(a);
}

/* TTLs: none, relative, absolute (unix time) and already expired absolute. */
static void test_ttl(void **state)
{
	(void)state;
	struct mb_record r[4];
	for (unsigned i = 0; i < 4; i++)
		r[i] = rec(i * SEC, MB_OP_SET, i, 3, 10);
	int64_t start = 1700000000;
	r[0].ttl = 0;
	r[1].ttl = 3600;
	r[2].ttl = (int32_t)(start + 2 + 600); /* at t = 2 s: 600 s left */
	r[3].ttl = (int32_t)(start - 5);
	struct an_config cfg = {.start_wall_ns = start * (int64_t)SEC};
	struct analysis *a = run(r, 4, &cfg, NULL, NULL);
	assert_int_equal(a->ttl_none, 1);
	assert_int_equal(a->ttl_absolute, 2);
	assert_int_equal(a->ttl_expired, 1);
	assert_int_equal(a->h[AN_H_TTL].total, 2);
	assert_int_equal(a->h[AN_H_TTL].min, 600);
	assert_int_equal(a->h[AN_H_TTL].max, 3600);
	an_free(a);
}

/* Reuse: key 7 at t = 0, 1 s, 3 s with other keys in between. */
static void test_reuse(void **state)
{
	(void)state;
	struct mb_record r[] = {
		rec(0, MB_OP_GET, 7, 3, 0), rec(SEC / 2, MB_OP_GET, 1, 3, 0),
		rec(SEC, MB_OP_GET, 7, 3, 0), rec(2 * SEC, MB_OP_GET, 2, 3, 0),
		rec(2 * SEC, MB_OP_GET, 3, 3, 0), rec(3 * SEC, MB_OP_GET, 7, 3, 0),
	};
	struct analysis *a = run(r, 6, NULL, NULL, NULL);
	assert_int_equal(a->first_accesses, 4);
	assert_int_equal(a->reuse_requests, 2);
	assert_int_equal(a->h[AN_H_REUSE_REQ].min, 2);
	assert_int_equal(a->h[AN_H_REUSE_REQ].max, 3);
	assert_int_equal(a->h[AN_H_REUSE_NS].min, SEC);
	assert_int_equal(a->h[AN_H_REUSE_NS].max, 2 * SEC);
	assert_int_equal(a->ntop, 4);
	assert_int_equal(a->top[0].id, 7);
	assert_int_equal(a->top[0].count, 3);
	assert_true(fabs(a->top_share - 1.0) < 1e-12);
	an_free(a);
}

/* n requests over nkeys keys with P(rank r) ~ r^-alpha, sampled by the workload generator's
 * sampler (record/synth); the key id of rank r is a fixed permutation so ids do not follow
 * ranks. */
static struct mb_record *zipf_records(size_t n, uint64_t nkeys, double alpha, uint64_t seed)
{
	struct mb_record *r = calloc(n, sizeof(*r));
	assert_non_null(r);
	struct zipf z;
	struct rng g;
	assert_int_equal(zipf_init(&z, nkeys, alpha), 0);
	rng_seed(&g, seed);
	for (size_t i = 0; i < n; i++) {
		uint64_t rank = zipf_sample(&z, &g) - 1;
		r[i] = rec(i * 1000ull, MB_OP_GET, (rank * 7919) % nkeys, 12, 0);
	}
	return r;
}

static void check_zipf(double alpha)
{
	const size_t n = 400000;
	struct mb_record *r = zipf_records(n, 1000, alpha, 42);
	struct analysis *a = run(r, n, NULL, NULL, NULL);
	print_message("alpha %.2f: OLS %.4f (R^2 %.4f), MLE %.4f\n", alpha, a->zipf_ols, a->zipf_r2,
		      a->zipf_mle);
	assert_true(fabs(a->zipf_mle - alpha) < 0.02);
	assert_true(fabs(a->zipf_ols - alpha) < 0.05);
	assert_true(a->zipf_r2 > 0.95);
	an_free(a);
	free(r);
}

static void test_zipf_estimates(void **state)
{
	(void)state;
	check_zipf(0.7);
	check_zipf(1.0);
	check_zipf(1.3);
}

/* The MLE on an exact power law over many keys (exercises the integral tail): frequencies
 * f(r) = round(1e6 * r^-0.9) for 200000 ranks. */
static void test_zipf_mle_large(void **state)
{
	(void)state;
	enum { N = 200000 };
	struct an_run *runs = calloc(N, sizeof(*runs));
	size_t nr = 0;
	for (uint64_t rk = 1; rk <= N; rk++) {
		uint64_t f = (uint64_t)llround(1e6 * pow((double)rk, -0.9));
		if (f == 0)
			f = 1;
		if (nr && runs[nr - 1].count == f)
			runs[nr - 1].nkeys++;
		else
			runs[nr++] = (struct an_run){.count = f, .nkeys = 1};
	}
	double alpha, r2, icpt;
	assert_int_equal(an_zipf_mle(runs, nr, &alpha), 0);
	assert_true(fabs(alpha - 0.9) < 0.01);
	assert_int_equal(an_zipf_ols(runs, nr, &alpha, &r2, &icpt), 0);
	assert_true(fabs(alpha - 0.9) < 0.01);
	assert_true(fabs(icpt - log(1e6)) < 0.05);
	/* degenerate: one rank */
	struct an_run one = {.count = 5, .nkeys = 1};
	assert_int_equal(an_zipf_mle(&one, 1, &alpha), -1);
	assert_int_equal(an_zipf_ols(&one, 1, &alpha, &r2, &icpt), -1);
	free(runs);
}

static void test_hll(void **state)
{
	(void)state;
	struct an_hll *h = malloc(sizeof(*h));
	an_hll_init(h);
	assert_true(an_hll_estimate(h) < 0.5);
	for (uint64_t i = 0; i < 1000; i++)
		an_hll_add(h, i);
	assert_true(fabs(an_hll_estimate(h) - 1000) < 20);
	for (uint64_t i = 0; i < 1000000; i++)
		an_hll_add(h, i * 3 + 1);
	double e = an_hll_estimate(h);
	assert_true(fabs(e - 1000667) / 1000667 < 0.03);
	free(h);
}

static void test_space_saving(void **state)
{
	(void)state;
	struct mb_ss ss;
	assert_int_equal(mb_ss_init(&ss, 1024), 0);
	/* ids 0..9 heavy (1000 - 50 i each), 100000 distinct light ids in between */
	uint64_t light = 1000;
	for (int round = 0; round < 1000; round++) {
		for (uint64_t id = 0; id < 10; id++)
			if ((uint64_t)round < 1000 - 50 * id)
				mb_ss_add(&ss, id, 1, NULL);
		for (int j = 0; j < 100; j++)
			mb_ss_add(&ss, light++, 1, NULL);
	}
	struct mb_ss_entry top[10];
	assert_int_equal(mb_ss_top(&ss, top, 10), 10);
	/* n = 100000 light + 7750 heavy requests: every id above n / 1024 = 105 requests is
	 * tracked, with its count overestimated by at most err */
	for (uint64_t i = 0; i < 10; i++) {
		uint64_t id = top[i].id;
		assert_true(id < 10);
		uint64_t truth = 1000 - 50 * id;
		assert_true(top[i].count >= truth && top[i].count - top[i].err <= truth);
		assert_true(top[i].err <= 105);
	}
	mb_ss_free(&ss);
}

/* More keys than --exact-keys: sampling and sketches, flagged as estimates. */
static void test_sketch_mode(void **state)
{
	(void)state;
	const size_t n = 300000;
	struct mb_record *r = zipf_records(n, 50000, 1.0, 7);
	struct an_config cfg = {.exact_keys = 5000, .nkeys_hint = 50000};
	struct analysis *exact = run(r, n, NULL, NULL, NULL);
	struct analysis *a = run(r, n, &cfg, NULL, NULL);
	assert_true(a->sketches);
	assert_int_equal(a->sample, 10);
	assert_true(a->tracked_keys <= 5000);
	assert_non_null(an_estimated(a)[0]);
	assert_null(an_estimated(exact)[0]);
	double ue = (double)exact->unique_keys;
	assert_true(fabs((double)a->unique_keys - ue) / ue < 0.03);
	assert_true(fabs(a->one_hit_fraction - exact->one_hit_fraction) < 0.05);
	print_message("exact: unique %llu one-hit %.4f OLS %.4f MLE %.4f; sampled: unique %llu "
		      "one-hit %.4f OLS %.4f MLE %.4f\n", (unsigned long long)exact->unique_keys,
		      exact->one_hit_fraction, exact->zipf_ols, exact->zipf_mle,
		      (unsigned long long)a->unique_keys, a->one_hit_fraction, a->zipf_ols, a->zipf_mle);
	assert_true(fabs(a->zipf_mle - exact->zipf_mle) < 0.1);
	for (size_t i = 0; i < 3; i++) /* heavy hitters found with their exact counts bracketed */
		assert_int_equal(a->top[i].id, exact->top[i].id);
	an_free(a);
	an_free(exact);
	free(r);
}

static const char *const test_keys[] = {"user:1", "user:2", "sess:9", "nodelim", "user:3"};

static int key_fn(void *ctx, uint64_t id, const char **bytes, uint32_t *len)
{
	(void)ctx;
	if (id >= 5)
		return -1;
	*bytes = test_keys[id];
	*len = (uint32_t)strlen(test_keys[id]);
	return 0;
}

static void test_prefixes(void **state)
{
	(void)state;
	struct mb_record r[8];
	uint64_t ids[8] = {0, 1, 2, 3, 4, 0, 0, 2};
	for (int i = 0; i < 8; i++)
		r[i] = rec((uint64_t)i * MS, MB_OP_GET, ids[i], 6, 0);
	struct analysis *a = NULL;
	struct an_config cfg = {0};
	assert_int_equal(an_init(&a, &cfg), 0);
	a->src.meta.key_mode = MB_KEYS_KEPT;
	an_add(a, r, 8);
	assert_int_equal(an_finish(a, key_fn, NULL), 0);
	assert_int_equal(a->nprefixes, 3);
	assert_string_equal(a->prefixes[0].prefix, "user:");
	assert_int_equal(a->prefixes[0].requests, 5);
	assert_int_equal(a->prefixes[0].keys, 3);
	assert_string_equal(a->prefixes[1].prefix, "sess:");
	assert_int_equal(a->prefixes[1].requests, 2);
	assert_string_equal(a->prefixes[2].prefix, "");
	assert_string_equal(a->top[0].key, "user:1");
	an_free(a);
}

/* Rates over a long span force the time series to coarsen; totals must survive. */
static void test_long_span(void **state)
{
	(void)state;
	struct mb_record r[3] = {rec(0, MB_OP_GET, 0, 1, 0), rec(5 * SEC, MB_OP_GET, 0, 1, 0),
				 rec(3000000 * SEC, MB_OP_GET, 1, 1, 0)};
	struct analysis *a = run(r, 3, NULL, NULL, NULL);
	assert_true(a->tb_width_ns > SEC);
	uint64_t sum = 0;
	for (size_t i = 0; i < an_series_len(a, a->tb_width_ns); i++)
		sum += an_series_at(a, a->tb_width_ns, i).requests;
	assert_int_equal(sum, 3);
	an_free(a);
}

static char *capture(int (*fn)(FILE *, const struct analysis *), const struct analysis *a)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	assert_non_null(f);
	assert_int_equal(fn(f, a), 0);
	fclose(f);
	return buf;
}

static int text_utf8(FILE *f, const struct analysis *a)
{
	return report_text(f, a, true);
}

static void test_reports(void **state)
{
	(void)state;
	const size_t n = 20000;
	struct mb_record *r = zipf_records(n, 500, 1.0, 3);
	for (size_t i = 0; i < n; i += 10) {
		r[i].op = MB_OP_SET;
		r[i].value_len = 100 + (uint32_t)i % 1000;
		r[i].ttl = 60;
	}
	struct analysis *a = run(r, n, NULL, NULL, NULL);
	char *json = capture(report_json, a);
	assert_non_null(strstr(json, "\"schema\": \"membench-analyze/1\""));
	assert_non_null(strstr(json, "\"zipf_alpha_mle\": "));
	assert_non_null(strstr(json, "\"hit_ratio\": null"));
	char *text = capture(text_utf8, a);
	assert_non_null(strstr(text, "Zipf alpha, MLE"));
	assert_non_null(strstr(text, "set"));
	char *html = capture(report_html, a);
	assert_non_null(strstr(html, "<svg class=\"chart\""));
	assert_null(strstr(html, "http://")); /* self-contained: nothing to fetch */
	assert_null(strstr(html, "https://"));
	assert_null(strstr(html, "<script"));
	free(json);
	free(text);
	free(html);

	/* comparison with itself: every distance 0 */
	struct an_compare c;
	compare_compute(a, a, &c);
	assert_true(c.op_tvd == 0 && c.ks_key_size == 0 && c.ks_value_size == 0 &&
		    c.ks_inter_arrival == 0 && c.rate_error == 0 && c.zipf_mle_diff == 0);
	/* with a copy where every set became a get: TVD = the set share (10 %) */
	for (size_t i = 0; i < n; i += 10) {
		r[i].op = MB_OP_GET;
		r[i].value_len = 0;
	}
	struct analysis *b = run(r, n, NULL, NULL, NULL);
	compare_compute(a, b, &c);
	assert_true(fabs(c.op_tvd - 0.1) < 1e-12);
	assert_true(c.ks_value_size == 1.0); /* B has no values at all */
	an_free(b);
	an_free(a);
	free(r);
}

static void test_json_escape(void **state)
{
	(void)state;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct mb_json w;
	mb_json_init(&w, f);
	mb_json_obj(&w, NULL);
	mb_json_strn(&w, "k", "a\"b\\c\n\x01\xff\xc3\xa9", 10);
	mb_json_num(&w, "nan", NAN);
	mb_json_arr(&w, "e");
	mb_json_arr_end(&w);
	mb_json_obj_end(&w);
	mb_json_finish(&w);
	fclose(f);
	assert_string_equal(buf, "{\n  \"k\": \"a\\\"b\\\\c\\u000a\\u0001\\u00ff\xc3\xa9\",\n"
				 "  \"nan\": null,\n  \"e\": []\n}\n");
	free(buf);
}

static void test_empty(void **state)
{
	(void)state;
	struct analysis *a = run(NULL, 0, NULL, NULL, NULL);
	assert_int_equal(a->requests, 0);
	assert_true(isnan(a->mean_rps));
	char *json = capture(report_json, a);
	char *html = capture(report_html, a);
	char *text = capture(text_utf8, a);
	assert_non_null(strstr(html, "No data"));
	free(json);
	free(html);
	free(text);
	an_free(a);
}

/* The inlined hot-path recorder must agree with mb_hist_record bucket for bucket. */
static void test_hist_add_matches(void **state)
{
	(void)state;
	struct mb_hist x, y;
	assert_int_equal(mb_hist_init(&x, 1, 1ull << 40, 3), 0);
	assert_int_equal(mb_hist_init(&y, 1, 1ull << 40, 3), 0);
	struct rng g;
	rng_seed(&g, 99);
	for (int i = 0; i < 200000; i++) {
		uint64_t v = rng_next(&g) >> rng_below(&g, 64);
		an_hist_add(&x, v);
		mb_hist_record(&y, v);
	}
	assert_memory_equal(x.counts, y.counts, x.ncounts * sizeof(*x.counts));
	assert_true(x.total == y.total && x.min == y.min && x.max == y.max &&
		    x.clamped == y.clamped);
	mb_hist_free(&x);
	mb_hist_free(&y);
}

/* Ids far beyond anything seen (a damaged file) are counted as invalid, not allocated for. */
static void test_wild_ids(void **state)
{
	(void)state;
	struct mb_record r[3] = {rec(0, MB_OP_GET, 0, 3, 0), rec(1, MB_OP_GET, 1ull << 40, 3, 0),
				 rec(2, MB_OP_GET, 1, 3, 0)};
	r[2].conn_id = 4000000000u;
	r[1].op = 200;
	struct analysis *a = run(r, 3, NULL, NULL, NULL);
	assert_int_equal(a->requests, 3);
	assert_int_equal(a->unique_keys, 2); /* ids 0 and 1 */
	assert_int_equal(a->bad_records, 3); /* wild key, op 200, wild connection */
	assert_int_equal(a->ops[MB_OP_OTHER], 1);
	an_free(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_known_profile),
		cmocka_unit_test(test_multiget),
		cmocka_unit_test(test_delete_value_size_not_counted),
		cmocka_unit_test(test_outcomes),
		cmocka_unit_test(test_ttl),
		cmocka_unit_test(test_reuse),
		cmocka_unit_test(test_zipf_estimates),
		cmocka_unit_test(test_zipf_mle_large),
		cmocka_unit_test(test_hll),
		cmocka_unit_test(test_space_saving),
		cmocka_unit_test(test_sketch_mode),
		cmocka_unit_test(test_prefixes),
		cmocka_unit_test(test_long_span),
		cmocka_unit_test(test_reports),
		cmocka_unit_test(test_json_escape),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_hist_add_matches),
		cmocka_unit_test(test_wild_ids),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
