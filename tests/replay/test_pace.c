/* Unit tests of the pacing rule after a late timer wakeup (replay/pace.c): the send the wakeup
 * was for is due at its intended time + the lateness, the sends after it catch up with gaps at
 * most 1/8 short and are on schedule again 8 x the lateness later, however long the busy-waited
 * stretch. (The rule it replaces shifted every send until the next sleep: a paced run of 60k
 * req/s never slept again, so all of it was late by its first wakeup's lateness.) No run.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "pace.h"

#define US 1000ull

static void test_on_time_no_shift(void **state)
{
	(void)state;
	struct rp_pace p = {0};
	assert_int_equal(rp_pace_due(&p, 12345), 12345); /* never shifted */
	rp_pace_late(&p, 1000 * US, 1000 * US);           /* on the dot */
	assert_int_equal(rp_pace_due(&p, 1000 * US), 1000 * US);
	assert_int_equal(rp_pace_due(&p, 1017 * US), 1017 * US);
}

static void test_shift_decays(void **state)
{
	(void)state;
	const uint64_t d = 5000 * US, late = 40 * US;
	struct rp_pace p = {0};
	rp_pace_late(&p, d, d + late);
	assert_int_equal(rp_pace_due(&p, d), d + late); /* the send it woke for: now */
	assert_int_equal(rp_pace_due(&p, d + 80 * US), d + 80 * US + late - 10 * US);
	/* on schedule again 8 x 40 us later, and for the rest of the stretch */
	assert_int_equal(rp_pace_due(&p, d + 320 * US), d + 320 * US);
	assert_int_equal(rp_pace_due(&p, d + 3000 * US), d + 3000 * US);
	assert_int_equal(rp_pace_due(&p, d + 3000000 * US), d + 3000000 * US);
	/* every gap kept within 1/8 (16.7 us: 60k req/s) and none reversed */
	uint64_t prev = rp_pace_due(&p, d);
	for (uint64_t t = d + 16667; t < d + 1000 * US; t += 16667) {
		uint64_t due = rp_pace_due(&p, t);
		assert_true(due >= t);
		assert_true(due > prev);
		assert_true(due - prev >= 16667 - 16667 / 8 - 1);
		assert_true(due - prev <= 16667);
		prev = due;
	}
}

static void test_stall_and_clear(void **state)
{
	(void)state;
	struct rp_pace p = {0};
	rp_pace_late(&p, 100 * US, 100 * US + RP_PACE_SHIFT_MAX_NS + 1); /* a stall: catch up */
	assert_int_equal(rp_pace_due(&p, 100 * US), 100 * US);
	rp_pace_late(&p, 100 * US, 100 * US + RP_PACE_SHIFT_MAX_NS); /* the longest shift kept */
	assert_int_equal(rp_pace_due(&p, 100 * US), 100 * US + RP_PACE_SHIFT_MAX_NS);
	assert_int_equal(rp_pace_due(&p, 100 * US + 8 * RP_PACE_SHIFT_MAX_NS),
			 100 * US + 8 * RP_PACE_SHIFT_MAX_NS);
	rp_pace_late(&p, 200 * US, 230 * US); /* the next late wakeup starts over */
	assert_int_equal(rp_pace_due(&p, 200 * US), 230 * US);
	rp_pace_clear(&p); /* an early wakeup */
	assert_int_equal(rp_pace_due(&p, 200 * US), 200 * US);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_on_time_no_shift),
		cmocka_unit_test(test_shift_decays),
		cmocka_unit_test(test_stall_and_clear),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
