/* Unit tests of the replayer's counters (replay/stats.c) for --warmup: rp_stats_at puts an event
 * in the warm-up block exactly when the request's time is before the warm-up's end, and the
 * merge after the run carries warm-up blocks along (giving the destination one), so warm-up +
 * measured stay what the workers counted. No run, no memcached.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "stats.h"

static void test_stats_at(void **state)
{
	(void)state;
	struct rp_stats s;
	assert_int_equal(rp_stats_init(&s), 0);
	assert_ptr_equal(rp_stats_at(&s, 0), &s); /* no warm-up: always the block itself */
	assert_int_equal(rp_stats_add_warmup(&s), 0);
	struct rp_stats *w = s.warmup;
	assert_non_null(w);
	assert_int_equal(rp_stats_add_warmup(&s), 0); /* idempotent */
	assert_ptr_equal(s.warmup, w);
	s.warmup_end_ns = 1000;
	assert_ptr_equal(rp_stats_at(&s, 1), w);
	assert_ptr_equal(rp_stats_at(&s, 999), w);
	assert_ptr_equal(rp_stats_at(&s, 1000), &s); /* due at the end: measured */
	assert_ptr_equal(rp_stats_at(&s, 5000), &s);
	rp_stats_free(&s);
	assert_null(s.warmup);
}

static void test_stats_merge_warmup(void **state)
{
	(void)state;
	struct rp_stats a, b, total;
	assert_int_equal(rp_stats_init(&a), 0);
	assert_int_equal(rp_stats_init(&b), 0);
	assert_int_equal(rp_stats_init(&total), 0);
	assert_int_equal(rp_stats_add_warmup(&a), 0);
	assert_int_equal(rp_stats_add_warmup(&b), 0);
	a.warmup_end_ns = b.warmup_end_ns = 100;
	/* a: 3 warm-up requests (one slow), 2 measured; b: 1 and 4 */
	uint64_t times[] = {10, 20, 30, 200, 300};
	for (unsigned i = 0; i < 5; i++) {
		struct rp_stats *st = rp_stats_at(&a, times[i]);
		st->requests_sent++;
		mb_hist_record(&st->corr, i == 0 ? 50 * RP_LAT_LOW : RP_LAT_LOW);
	}
	rp_stats_at(&b, 99)->requests_sent++;
	for (unsigned i = 0; i < 4; i++)
		rp_stats_at(&b, 100 + i)->requests_sent++;
	rp_stats_at(&b, 1)->errors[RP_ERR_TIMEOUT]++;
	rp_stats_merge(&total, &a);
	rp_stats_merge(&total, &b);
	assert_non_null(total.warmup); /* given one by the merge */
	assert_int_equal(total.warmup->requests_sent, 4);
	assert_int_equal(total.requests_sent, 6);
	assert_int_equal(total.warmup->errors[RP_ERR_TIMEOUT], 1);
	assert_int_equal(total.errors[RP_ERR_TIMEOUT], 0);
	assert_int_equal(total.warmup->corr.total, 3);
	assert_int_equal(total.corr.total, 2);
	assert_true(total.corr.max < 2 * RP_LAT_LOW);    /* the slow one stayed in the warm-up */
	assert_true(total.warmup->corr.max >= 49 * RP_LAT_LOW);
	rp_stats_free(&a);
	rp_stats_free(&b);
	rp_stats_free(&total);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stats_at),
		cmocka_unit_test(test_stats_merge_warmup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
