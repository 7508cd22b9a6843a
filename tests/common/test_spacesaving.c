/* Unit tests for membench/spacesaving.h: the Space-Saving bounds with weights, the largest-value
 * mode against a brute-force answer, and the cells (stable while the heap reorders, handed
 * over on replacement, `fresh` exactly when an id takes a counter). Streams are random but
 * seeded; every figure is checked against exact totals computed beside the sketch. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "membench/mix.h"
#include "membench/spacesaving.h"

#define NIDS 20000u
#define CAP 256u

static uint64_t rng_next(uint64_t *s)
{
	return mb_mix64(*s += 0x9e3779b97f4a7c15ull);
}

/* Zipf-ish ids (id = floor(NIDS ^ u^3) roughly skews toward small ids) with weights 1..1000. */
static uint64_t draw_id(uint64_t *s)
{
	double u = (double)(rng_next(s) >> 11) / 9007199254740992.0;
	return (uint64_t)(u * u * u * u * NIDS);
}

static void test_weighted_bounds(void **state)
{
	(void)state;
	struct mb_ss ss;
	assert_int_equal(mb_ss_init(&ss, CAP), 0);
	uint64_t *truth = calloc(NIDS, sizeof(*truth));
	assert_non_null(truth);
	uint64_t seed = 7, total = 0;
	for (int i = 0; i < 300000; i++) {
		uint64_t id = draw_id(&seed), w = 1 + rng_next(&seed) % 1000;
		truth[id] += w;
		total += w;
		assert_int_not_equal(mb_ss_add(&ss, id, w, NULL), MB_SS_NO_CELL);
	}
	assert_int_equal(ss.len, CAP);
	for (uint64_t id = 0; id < NIDS; id++) {
		const struct mb_ss_entry *e = mb_ss_find(&ss, id);
		if (truth[id] > total / CAP)
			assert_non_null(e); /* every heavy id is tracked */
		if (!e)
			continue;
		assert_true(e->count >= truth[id]);
		assert_true(e->count - e->err <= truth[id]);
		assert_true(e->err <= total / CAP);
	}
	/* the top ids, largest first, are the true heaviest where the bounds separate them */
	struct mb_ss_entry top[5];
	assert_int_equal(mb_ss_top(&ss, top, 5), 5);
	for (int i = 1; i < 5; i++)
		assert_true(top[i - 1].count >= top[i].count);
	assert_int_equal(top[0].id, 0);
	/* weight 0 of an untracked id changes nothing */
	size_t len = ss.len;
	assert_int_equal(mb_ss_add(&ss, NIDS + 5, 0, NULL), MB_SS_NO_CELL);
	assert_null(mb_ss_find(&ss, NIDS + 5));
	assert_int_equal(ss.len, len);
	free(truth);
	mb_ss_free(&ss);
}

static void test_cells(void **state)
{
	(void)state;
	struct mb_ss ss;
	assert_int_equal(mb_ss_init(&ss, 4), 0);
	bool fresh;
	uint32_t cell[4];
	for (uint64_t id = 0; id < 4; id++) {
		cell[id] = mb_ss_add(&ss, 100 + id, 10 * (id + 1), &fresh);
		assert_true(fresh);
	}
	/* cells are distinct and 0..cap-1 */
	for (int i = 0; i < 4; i++) {
		assert_true(cell[i] < 4);
		for (int j = 0; j < i; j++)
			assert_int_not_equal(cell[i], cell[j]);
	}
	/* reordering the heap keeps each id's cell */
	for (int k = 0; k < 50; k++)
		assert_int_equal(mb_ss_add(&ss, 100, 1, &fresh), cell[0]);
	assert_false(fresh);
	assert_int_equal(mb_ss_add(&ss, 102, 1, &fresh), cell[2]);
	assert_false(fresh);
	/* a new id replaces the smallest (101: 20) and takes its cell, count 20 + 5, err 20 */
	assert_int_equal(mb_ss_add(&ss, 999, 5, &fresh), cell[1]);
	assert_true(fresh);
	assert_null(mb_ss_find(&ss, 101));
	const struct mb_ss_entry *e = mb_ss_find(&ss, 999);
	assert_non_null(e);
	assert_int_equal(e->count, 25);
	assert_int_equal(e->err, 20);
	assert_int_equal(e->cell, cell[1]);
	mb_ss_free(&ss);
	assert_int_equal(mb_ss_init(&ss, 0), -EINVAL);
}

static void test_max(void **state)
{
	(void)state;
	struct mb_ss ss;
	assert_int_equal(mb_ss_init(&ss, CAP), 0);
	uint64_t *best = calloc(NIDS, sizeof(*best));
	assert_non_null(best);
	uint64_t seed = 11;
	for (int i = 0; i < 200000; i++) {
		uint64_t id = rng_next(&seed) % NIDS, v = 1 + rng_next(&seed) % 5000000;
		if (v > best[id])
			best[id] = v;
		mb_ss_max(&ss, id, v, NULL);
	}
	/* the CAP largest per-id maxima, exactly */
	uint64_t *sorted = malloc(NIDS * sizeof(*sorted));
	assert_non_null(sorted);
	memcpy(sorted, best, NIDS * sizeof(*sorted));
	for (size_t i = 0; i < CAP; i++) /* partial selection sort: enough for 256 of 20000 */
		for (size_t j = i + 1; j < NIDS; j++)
			if (sorted[j] > sorted[i]) {
				uint64_t t = sorted[i];
				sorted[i] = sorted[j];
				sorted[j] = t;
			}
	struct mb_ss_entry *top = calloc(CAP, sizeof(*top));
	assert_non_null(top);
	assert_int_equal(mb_ss_top(&ss, top, CAP), CAP);
	for (size_t i = 0; i < CAP; i++) {
		assert_int_equal(top[i].count, sorted[i]);
		assert_int_equal(top[i].count, best[top[i].id]);
		assert_int_equal(top[i].err, 0);
	}
	/* a value below the smallest kept is not taken */
	assert_int_equal(mb_ss_max(&ss, NIDS + 1, 1, NULL), MB_SS_NO_CELL);
	free(top);
	free(sorted);
	free(best);
	mb_ss_free(&ss);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_weighted_bounds),
		cmocka_unit_test(test_cells),
		cmocka_unit_test(test_max),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
