/* Unit tests of the fidelity checks (analyze/fidelity.h) on in-memory profiles with known
 * differences: each check must pass on a faithful copy (renumbered keys and connections, times
 * scaled by --speed) and fail on the one difference it exists to catch. The end-to-end test
 * with real replays is tests/e2e/test_fidelity.sh. */
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
#include "fidelity.h"

#define MS 1000000ull
#define N 4000

struct side {
	struct analysis *a;
	struct fid_trace *t;
};

static struct side side_of(const struct mb_record *r, size_t n)
{
	struct side s = {0};
	struct an_config cfg = {0};
	assert_int_equal(an_init(&s.a, &cfg), 0);
	assert_int_equal(fid_trace_new(&s.t), 0);
	an_add(s.a, r, n);
	fid_trace_add(s.t, r, n);
	assert_int_equal(an_finish(s.a, NULL, NULL), 0);
	assert_int_equal(fid_trace_err(s.t), 0);
	return s;
}

static void side_free(struct side *s)
{
	an_free(s->a);
	fid_trace_free(s->t);
}

/* 4000 requests, gaps spread over 1-3 ms (8 s), on 4 connections; 90% get, 10% set; keys
 * i*7 % 300; every response captured: sets stored, gets hit but one in five misses. */
static void profile(struct mb_record *r)
{
	uint64_t t = 0;
	for (unsigned i = 0; i < N; i++) {
		bool set = i % 10 == 3;
		uint64_t key = (uint64_t)i * 7 % 300;
		uint8_t status = set ? MB_STATUS_STORED : i % 5 ? MB_STATUS_HIT : MB_STATUS_MISS;
		r[i] = (struct mb_record){.time_ns = t, .key_id = key, .key_len = 10 + key % 20,
					  .value_len = set ? 100 + (uint32_t)(key % 50) : 0,
					  .latency_ns = 50000, .conn_id = i % 4,
					  .op = set ? MB_OP_SET : MB_OP_GET, .status = status,
					  .rflags = MB_RF_HAS_RESPONSE};
		t += MS + (uint64_t)(i * 7919u % 2000u) * 1000u; /* spread over 1-3 ms */
	}
}

/* As membench analyze --compare does: fid_filter on both (speed on B), then both analyses. */
static void evaluate(const struct mb_record *x, const struct mb_record *y, size_t ny,
		     double speed, struct fid_result *res)
{
	static struct mb_record fx[N], fy[N];
	uint64_t admin_a = 0, admin_b = 0;
	struct fid_thresholds th;
	fid_thresholds_default(&th);
	memcpy(fx, x, N * sizeof(*x));
	memcpy(fy, y, ny * sizeof(*y));
	size_t nx = fid_filter(fx, N, 1, &admin_a);
	ny = fid_filter(fy, ny, speed, &admin_b);
	struct side a = side_of(fx, nx), b = side_of(fy, ny);
	fid_evaluate(a.a, b.a, a.t, b.t, &th, speed, res);
	side_free(&a);
	side_free(&b);
}

static void test_faithful_copy_passes(void **state)
{
	(void)state;
	static struct mb_record a[N], b[N];
	profile(a);
	/* B: other key ids (a bijection), connections renumbered, replayed at 2x */
	for (unsigned i = 0; i < N; i++) {
		b[i] = a[i];
		b[i].key_id = 5000 - a[i].key_id;
		b[i].conn_id = 3 - a[i].conn_id;
		b[i].time_ns = a[i].time_ns / 2;
	}
	struct fid_result res;
	evaluate(a, b, N, 2, &res);
	for (unsigned i = 0; i < FID_NCHECKS; i++) {
		assert_true(res.c[i].pass);
		assert_true(isfinite(res.c[i].value));
	}
	assert_true(res.pass);
	assert_true(res.c[FID_RATE].value < 1e-9);
	assert_true(res.c[FID_IAT].value == 0);
	assert_int_equal(res.conns_a, 4);
	assert_int_equal(res.conns_unmatched, 0);

	/* the same copy without --speed: twice the rate */
	evaluate(a, b, N, 1, &res);
	assert_false(res.pass);
	assert_false(res.c[FID_RATE].pass);
	assert_true(fabs(res.c[FID_RATE].value - 1.0) < 0.01);
	assert_false(res.c[FID_SERIES].pass);
	assert_true(res.c[FID_ORDER].pass);
}

static void test_swapped_requests_fail_order(void **state)
{
	(void)state;
	static struct mb_record a[N], b[N];
	profile(a);
	memcpy(b, a, sizeof(a));
	/* swap the keys of two requests of connection 1 (same op, so distributions stay equal) */
	uint64_t k = b[101].key_id;
	uint32_t l = b[101].key_len;
	b[101].key_id = b[105].key_id;
	b[101].key_len = b[105].key_len;
	b[105].key_id = k;
	b[105].key_len = l;
	struct fid_result res;
	evaluate(a, b, N, 1, &res);
	assert_false(res.pass);
	assert_false(res.c[FID_ORDER].pass);
	assert_int_equal(res.conns_unmatched, 1);
	assert_true(fabs(res.c[FID_ORDER].value - 0.25) < 1e-12);
	assert_true(res.c[FID_KEY_SIZE].pass && res.c[FID_OP_MIX].pass && res.c[FID_REQUESTS].pass);

	/* reusing a different key (same length) is also a different sequence */
	memcpy(b, a, sizeof(a));
	b[2].key_id = 299; /* conn 2 sees key 299 where it saw key 14 */
	b[2].key_len = a[2].key_len;
	evaluate(a, b, N, 1, &res);
	assert_false(res.c[FID_ORDER].pass);
}

static void test_each_check_catches_its_difference(void **state)
{
	(void)state;
	static struct mb_record a[N], b[N];
	profile(a);
	struct fid_result res;

	evaluate(a, a, N - 1, 1, &res); /* one request lost */
	assert_false(res.c[FID_REQUESTS].pass);
	assert_true(res.c[FID_REQUESTS].value == 1);

	memcpy(b, a, sizeof(a));
	b[7].op = MB_OP_DELETE; /* op mix */
	evaluate(a, b, N, 1, &res);
	assert_false(res.c[FID_OP_MIX].pass);
	assert_true(res.c[FID_VALUE_SIZE].pass);

	memcpy(b, a, sizeof(a));
	b[13].value_len += 1000; /* a storage body */
	evaluate(a, b, N, 1, &res);
	assert_false(res.c[FID_VALUE_SIZE].pass);
	assert_true(res.c[FID_KEY_SIZE].pass);

	memcpy(b, a, sizeof(a));
	b[8].key_len = 200; /* a key length */
	evaluate(a, b, N, 1, &res);
	assert_false(res.c[FID_KEY_SIZE].pass);

	/* a burst: the first half of the requests 3x faster, the rest delayed to the same end */
	memcpy(b, a, sizeof(a));
	for (unsigned i = 0; i < N / 2; i++)
		b[i].time_ns = a[i].time_ns / 3;
	evaluate(a, b, N, 1, &res);
	assert_true(res.c[FID_RATE].pass); /* same first and last time */
	assert_false(res.c[FID_SERIES].pass);
	assert_false(res.c[FID_IAT].pass);

	/* jitter of 1 us on 1-3 ms gaps: within every threshold (gaps of a few fixed values would
	 * not do: KS between a point mass and a jittered copy of it is large, docs/fidelity.md) */
	memcpy(b, a, sizeof(a));
	for (unsigned i = 1; i < N - 1; i++)
		b[i].time_ns += i % 2 ? 1000 : 0;
	evaluate(a, b, N, 1, &res);
	print_message("jitter: IAT KS %.4f, series RMS %.4f\n", res.c[FID_IAT].value,
		      res.c[FID_SERIES].value);
	assert_true(res.pass);

	/* admin commands are left out of both sides: a replayer's stats and quit do not count */
	memcpy(b, a, sizeof(a));
	b[20] = (struct mb_record){.time_ns = b[20].time_ns, .key_id = MB_KEY_NONE,
				   .conn_id = 9, .op = MB_OP_STATS};
	b[21] = b[20];
	b[21].op = MB_OP_OTHER;
	evaluate(a, b, N, 1, &res);
	assert_false(res.c[FID_REQUESTS].pass); /* two real requests were replaced */
	assert_true(res.c[FID_REQUESTS].value == 2);
	assert_int_equal(res.conns_b, 4);        /* the admin-only connection 9 is not counted */
}

/* The outcome checks (issue 15): a replay whose server answered differently fails them. */
static void test_outcomes_catch_changed_answers(void **state)
{
	(void)state;
	static struct mb_record a[N], b[N];
	profile(a);
	struct fid_result res;

	evaluate(a, a, N, 1, &res);
	assert_true(res.c[FID_OUTCOMES].pass && res.c[FID_NEW_ERRORS].pass);
	assert_true(res.c[FID_OUTCOMES].value == 0 && res.c[FID_NEW_ERRORS].value == 0);
	assert_int_equal(res.responded_a, N);

	/* 100 of the 3600 gets miss instead of hitting: 0.028 on gets, weighted 0.9 -> 0.025 */
	memcpy(b, a, sizeof(a));
	for (unsigned i = 0, k = 0; i < N && k < 100; i++)
		if (b[i].op == MB_OP_GET && b[i].status == MB_STATUS_HIT) {
			b[i].status = MB_STATUS_MISS;
			k++;
		}
	evaluate(a, b, N, 1, &res);
	print_message("100 hits -> misses: outcomes %.4f\n", res.c[FID_OUTCOMES].value);
	assert_false(res.c[FID_OUTCOMES].pass);
	assert_true(fabs(res.c[FID_OUTCOMES].value - 0.9 * 100.0 / 3600) < 1e-9);
	assert_true(res.c[FID_NEW_ERRORS].pass);
	assert_true(res.c[FID_OP_MIX].pass && res.c[FID_ORDER].pass); /* the requests are equal */
	assert_false(res.pass);

	/* 5 of them only: 0.00125, under the default 0.01 */
	memcpy(b, a, sizeof(a));
	for (unsigned i = 0, k = 0; i < N && k < 5; i++)
		if (b[i].op == MB_OP_GET && b[i].status == MB_STATUS_HIT) {
			b[i].status = MB_STATUS_MISS;
			k++;
		}
	evaluate(a, b, N, 1, &res);
	assert_true(res.c[FID_OUTCOMES].pass);

	/* every incr answered CLIENT_ERROR (values replayed as non-numbers): both checks fail */
	memcpy(b, a, sizeof(a));
	for (unsigned i = 0; i < N; i += 50) {
		a[i].op = b[i].op = MB_OP_INCR;
		a[i].value_len = b[i].value_len = 0;
		a[i].status = MB_STATUS_OK;
		b[i].status = MB_STATUS_CLIENT_ERROR;
	}
	evaluate(a, b, N, 1, &res);
	assert_false(res.c[FID_NEW_ERRORS].pass);
	assert_true(res.c[FID_NEW_ERRORS].value == N / 50);
	assert_int_equal(res.errors_a, 0);
	assert_false(res.c[FID_OUTCOMES].pass);
	assert_true(res.op_outcome_tvd[MB_OP_INCR] == 1);

	/* errors the original had too are not new: B with A's errors passes */
	evaluate(b, b, N, 1, &res);
	assert_true(res.c[FID_NEW_ERRORS].pass && res.c[FID_OUTCOMES].pass);

	/* without responses on one side the checks are not defined, and say so */
	profile(a);
	memcpy(b, a, sizeof(a));
	for (unsigned i = 0; i < N; i++)
		b[i].rflags = 0, b[i].status = MB_STATUS_NONE, b[i].latency_ns = 0;
	evaluate(a, b, N, 1, &res);
	assert_true(isnan(res.c[FID_OUTCOMES].value) && res.c[FID_OUTCOMES].pass);
	assert_true(isnan(res.c[FID_NEW_ERRORS].value) && res.c[FID_NEW_ERRORS].pass);
}

static void test_admin_commands(void **state)
{
	(void)state;
	struct mb_record r = {.key_id = MB_KEY_NONE, .op = MB_OP_STATS};
	assert_true(fid_is_admin(&r));
	r.op = MB_OP_OTHER; /* quit, unknown */
	assert_true(fid_is_admin(&r));
	r.op = MB_OP_MN; /* meta no-op is part of a client's pipeline */
	assert_false(fid_is_admin(&r));
	r.op = MB_OP_GET;
	r.key_id = 1;
	assert_false(fid_is_admin(&r));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_faithful_copy_passes),
		cmocka_unit_test(test_swapped_requests_fail_order),
		cmocka_unit_test(test_each_check_catches_its_difference),
		cmocka_unit_test(test_outcomes_catch_changed_answers),
		cmocka_unit_test(test_admin_commands),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
