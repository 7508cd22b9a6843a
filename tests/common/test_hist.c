/* Unit tests for the log-linear histogram (common/hist.c): precision, range, percentiles against
 * an exact sorted reference, merging, clamping and parameter checks. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "membench/error.h"
#include "membench/hist.h"

#define US 1000ull
#define SEC 1000000000ull

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* Every value from 1 us to 100 s is reported within 0.1% (3 significant digits). */
static void test_precision(void **state)
{
	(void)state;
	struct mb_hist h;
	assert_int_equal(mb_hist_init(&h, US, 100 * SEC, 3), 0);
	assert_true(h.ncounts < 25000); /* sized by precision: ~150 KiB */
	for (uint64_t v = US; v <= 100 * SEC; v = v + v / 7 + 13) {
		size_t i = mb_hist_index(&h, v);
		uint64_t lo = mb_hist_index_low(&h, i), hi = mb_hist_index_high(&h, i);
		assert_true(lo <= v && v <= hi);
		assert_true((double)(hi - lo) <= (double)v / 1000.0 + (double)(1ull << h.unit_shift));
		if (v >= 600 * US) /* past the linear first bucket, relative error < 0.1% */
			assert_true((double)(hi - lo) / (double)v < 0.001);
	}
	/* indexes are monotonic and contiguous */
	for (size_t i = 1; i < h.ncounts; i++)
		assert_true(mb_hist_index_low(&h, i) == mb_hist_index_high(&h, i - 1) + 1);
	mb_hist_free(&h);
}

static void test_percentiles_vs_exact(void **state)
{
	(void)state;
	enum { N = 100000 };
	uint64_t *vals = malloc(N * sizeof(*vals));
	assert_non_null(vals);
	struct mb_hist h;
	assert_int_equal(mb_hist_init(&h, US, 100 * SEC, 3), 0);
	uint64_t x = 88172645463325252ull;
	for (int i = 0; i < N; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17; /* xorshift: deterministic */
		/* log-uniform over 1 us .. ~1 s, like latencies */
		uint64_t v = US << (x % 20);
		v += (x >> 20) % v;
		vals[i] = v;
		mb_hist_record(&h, v);
	}
	qsort(vals, N, sizeof(*vals), cmp_u64);
	static const double ps[] = {50, 90, 99, 99.9, 99.99};
	for (size_t k = 0; k < sizeof(ps) / sizeof(ps[0]); k++) {
		uint64_t rank = (uint64_t)(ps[k] / 100.0 * N + 0.999999);
		uint64_t exact = vals[rank - 1];
		uint64_t got = mb_hist_percentile(&h, ps[k]);
		assert_true(got >= exact);
		assert_true((double)(got - exact) <= (double)exact / 1000.0 + 1024);
	}
	assert_true(mb_hist_percentile(&h, 100) == vals[N - 1]);
	assert_true(h.min == vals[0] && h.max == vals[N - 1]);
	assert_true(h.total == N);
	free(vals);
	mb_hist_free(&h);
}

static void test_merge(void **state)
{
	(void)state;
	struct mb_hist a, b, all, other;
	assert_int_equal(mb_hist_init(&a, US, 60 * SEC, 3), 0);
	assert_int_equal(mb_hist_init(&b, US, 60 * SEC, 3), 0);
	assert_int_equal(mb_hist_init(&all, US, 60 * SEC, 3), 0);
	assert_int_equal(mb_hist_init(&other, US, 60 * SEC, 2), 0);
	for (uint64_t v = 1; v < 5000000; v = v * 3 / 2 + 1) {
		mb_hist_record(&a, v);
		mb_hist_record_n(&b, v * 7, 3);
		mb_hist_record(&all, v);
		mb_hist_record_n(&all, v * 7, 3);
	}
	assert_int_equal(mb_hist_merge(&a, &b), 0);
	assert_true(a.total == all.total && a.min == all.min && a.max == all.max);
	assert_memory_equal(a.counts, all.counts, a.ncounts * sizeof(*a.counts));
	assert_true(mb_hist_percentile(&a, 99) == mb_hist_percentile(&all, 99));
	assert_int_equal(mb_hist_merge(&a, &other), MB_E_USAGE);
	mb_hist_free(&a);
	mb_hist_free(&b);
	mb_hist_free(&all);
	mb_hist_free(&other);
}

static void test_edges(void **state)
{
	(void)state;
	struct mb_hist h;
	assert_int_equal(mb_hist_init(&h, 0, SEC, 3), MB_E_USAGE);
	assert_int_equal(mb_hist_init(&h, US, US, 3), MB_E_USAGE);
	assert_int_equal(mb_hist_init(&h, US, SEC, 0), MB_E_USAGE);
	assert_int_equal(mb_hist_init(&h, US, SEC, 6), MB_E_USAGE);
	mb_hist_free(&h); /* safe after a failed init */

	assert_int_equal(mb_hist_init(&h, US, 60 * SEC, 3), 0);
	assert_true(mb_hist_percentile(&h, 99) == 0); /* empty */
	assert_true(mb_hist_mean(&h) == 0.0);
	mb_hist_record(&h, 0);
	mb_hist_record(&h, 3600 * SEC); /* beyond highest: clamped, max exact */
	assert_true(h.clamped == 1);
	assert_true(h.max == 3600 * SEC);
	assert_true(mb_hist_percentile(&h, 100) == 3600 * SEC);
	assert_true(mb_hist_percentile(&h, 50) < (1ull << h.unit_shift)); /* 0 within one unit */
	assert_true(mb_hist_percentile(&h, 99) >= 60 * SEC - 60 * SEC / 1000);
	mb_hist_reset(&h);
	assert_true(h.total == 0 && h.max == 0 && h.min == UINT64_MAX);
	mb_hist_record_n(&h, 1234567, 10);
	assert_true(mb_hist_mean(&h) == 1234567.0);
	uint64_t p = mb_hist_percentile(&h, 50);
	assert_true(p == 1234567); /* capped at the exact max */
	mb_hist_free(&h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_precision),
		cmocka_unit_test(test_percentiles_vs_exact),
		cmocka_unit_test(test_merge),
		cmocka_unit_test(test_edges),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
