/* Unit tests of the replayer's per-second time series (replay/series.c), through mbreplay.
 *
 * Workers are simulated by calls to rp_series_report (and, in the last test, by real threads
 * reporting while the main thread collects, as in a run). Checked: one point per second, in
 * order; a second in which nothing happened is still a point (zeros); the points' counts sum to
 * what was reported; a second is held back until every worker reported it, or until it is older
 * than the horizon; a report that arrives after its slot was reused still lands in its second;
 * percentiles come from the reported histograms; a worker's accumulator puts each event in the
 * second of its time stamp and reports every second it passed, empty ones included; tidy fills
 * a second nobody reported (issue 16: the series had to be one entry per second from 0).
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "replay.h"
#include "series.h"

struct fake_worker {
	struct mb_hist lat, lag;
};

static void fw_free(struct fake_worker *w)
{
	mb_hist_free(&w->lat);
	mb_hist_free(&w->lag);
}

/* Reports `sent` commands in second sec, each answered after lat_us, sent lag_us late. */
static void fw_report(struct rp_series *s, struct fake_worker *w, uint64_t sec, uint64_t sent,
		      uint64_t errors, uint64_t lat_us, uint64_t lag_us)
{
	mb_hist_reset(&w->lat);
	mb_hist_reset(&w->lag);
	for (uint64_t i = 0; i < sent; i++) {
		mb_hist_record(&w->lat, lat_us * 1000);
		mb_hist_record(&w->lag, lag_us * 1000);
	}
	struct rp_series_report r = {.sent = sent, .responses = sent - errors, .errors = errors,
				     .outstanding = 1, .lat = &w->lat, .lag = &w->lag};
	rp_series_report(s, sec, &r);
}

/* Two simulated workers reporting into one series (cmocka fixture). */
struct two_workers {
	struct rp_series s;
	struct fake_worker a, b;
};

static int two_setup(void **state)
{
	struct two_workers *f = calloc(1, sizeof(*f));
	if (!f || rp_series_init(&f->s) != 0 || rp_series_hist_init(&f->a.lat) ||
	    rp_series_hist_init(&f->a.lag) || rp_series_hist_init(&f->b.lat) ||
	    rp_series_hist_init(&f->b.lag))
		return -1;
	*state = f;
	return 0;
}

static int two_teardown(void **state)
{
	struct two_workers *f = *state;
	fw_free(&f->a);
	fw_free(&f->b);
	rp_series_free(&f->s);
	free(f);
	return 0;
}

static void assert_near_us(uint64_t got, uint64_t want)
{
	/* 2 significant digits: within 1% (and 1 us of rounding) */
	uint64_t tol = want / 100 + 1;
	if (got + tol < want || got > want + tol)
		fail_msg("got %llu us, expected %llu us", (unsigned long long)got,
			 (unsigned long long)want);
}

/* Two workers, seconds 0..4; second 2 has no traffic at all. */
static void test_series_one_point_per_second(void **state)
{
	struct two_workers *f = *state;
	struct rp_series *s = &f->s;
	struct fake_worker *a = &f->a, *b = &f->b;
	static const uint64_t sent_a[5] = {10, 20, 0, 40, 50}, sent_b[5] = {1, 2, 0, 4, 5};
	uint64_t total_sent = 0, total_err = 0;
	for (uint64_t sec = 0; sec < 5; sec++) {
		fw_report(s, a, sec, sent_a[sec], sent_a[sec] ? 1 : 0, 100 * (sec + 1), 7);
		fw_report(s, b, sec, sent_b[sec], 0, 100 * (sec + 1), 7);
		total_sent += sent_a[sec] + sent_b[sec];
		total_err += sent_a[sec] ? 1 : 0;
	}
	struct rp_point newest;
	assert_true(rp_series_collect(s, 2, 0, false, &newest));
	assert_int_equal(newest.sec, 4);
	rp_series_tidy(s);
	assert_int_equal(s->n, 5);
	uint64_t sum_sent = 0, sum_resp = 0, sum_err = 0;
	for (size_t i = 0; i < s->n; i++) {
		const struct rp_point *p = &s->points[i];
		assert_int_equal(p->sec, i);
		assert_int_equal(p->sent, sent_a[i] + sent_b[i]);
		assert_int_equal(p->outstanding, 2);
		sum_sent += p->sent;
		sum_resp += p->responses;
		sum_err += p->errors;
		if (p->sent) {
			assert_near_us(p->p50_us, 100 * (i + 1));
			assert_near_us(p->p99_us, 100 * (i + 1));
			assert_near_us(p->max_us, 100 * (i + 1));
			assert_near_us(p->lag_p99_us, 7);
		}
	}
	/* the empty second is present, with zeros */
	assert_int_equal(s->points[2].sent, 0);
	assert_int_equal(s->points[2].responses, 0);
	assert_int_equal(s->points[2].p99_us, 0);
	assert_int_equal(sum_sent, total_sent);
	assert_int_equal(sum_err, total_err);
	assert_int_equal(sum_resp, total_sent - total_err);
	/* nothing left open */
	assert_false(rp_series_collect(s, 2, 0, true, NULL));
}

/* A second is final once every running worker reported it, or once it is older than the
 * horizon; `all` takes everything. */
static void test_series_waits_for_workers(void **state)
{
	struct two_workers *f = *state;
	struct rp_series *s = &f->s;
	struct fake_worker *a = &f->a, *b = &f->b;
	fw_report(s, a, 0, 5, 0, 10, 1);
	fw_report(s, a, 1, 6, 0, 10, 1);
	assert_false(rp_series_collect(s, 2, 0, false, NULL)); /* b has not reported */
	assert_int_equal(s->n, 0);
	struct rp_point newest;
	assert_true(rp_series_collect(s, 2, 1, false, &newest)); /* second 0 is older than 1 */
	assert_int_equal(s->n, 1);
	assert_int_equal(newest.sec, 0);
	assert_int_equal(newest.sent, 5);
	/* one worker finished: the others' reports are enough */
	assert_true(rp_series_collect(s, 1, 0, false, &newest));
	assert_int_equal(s->n, 2);
	assert_int_equal(newest.sec, 1);
	fw_report(s, b, 2, 3, 0, 10, 1);
	assert_true(rp_series_collect(s, 2, 0, true, &newest));
	assert_int_equal(newest.sec, 2);
	assert_int_equal(s->n, 3);
}

/* Worker a runs 3 x RP_SERIES_RING seconds ahead of worker b: every one of a's reports reuses a
 * slot b has not filled yet, so seconds are finalized in pieces; after tidy each second is one
 * point with the sum of both workers. */
static void test_series_late_reports_merge(void **state)
{
	enum { NSEC = 3 * RP_SERIES_RING };
	struct two_workers *f = *state;
	struct rp_series *s = &f->s;
	struct fake_worker *a = &f->a, *b = &f->b;
	for (uint64_t sec = 0; sec < NSEC; sec++)
		fw_report(s, a, sec, sec + 1, 0, 50, 1);
	for (uint64_t sec = 0; sec < NSEC; sec++)
		fw_report(s, b, sec, 1000, 0, 50, 1);
	rp_series_collect(s, 2, 0, true, NULL);
	assert_true(s->n > NSEC); /* pieces before tidy */
	rp_series_tidy(s);
	assert_int_equal(s->n, NSEC);
	for (size_t i = 0; i < s->n; i++) {
		assert_int_equal(s->points[i].sec, i);
		assert_int_equal(s->points[i].sent, i + 1 + 1000);
	}
}

/* A worker's accumulator (struct rp_series_acc) with t0 = 10 s: events stamped 10.5 s, 12.9 s
 * (after a second with nothing) and 13.0 s (exactly at a boundary) land in seconds 0, 2 and 3;
 * the roll reports second 1 empty; the per-command counters follow. */
static void test_series_acc_by_timestamp(void **state)
{
	struct two_workers *f = *state;
	struct rp_series *s = &f->s;
	struct rp_series_acc acc;
	const uint64_t t0 = 10 * RP_NS_PER_SEC, ms = 1000000;
	static const uint64_t at[] = {10500, 12900, 13000};
	assert_int_equal(rp_series_acc_init(&acc), 0);
	acc.end_ns = t0 + RP_NS_PER_SEC;
	for (size_t i = 0; i < 3; i++) {
		rp_series_acc_at(s, &acc, at[i] * ms, 0);
		acc.sent++;
		acc.op_sent[MB_OP_GET]++;
		acc.op_bytes[MB_OP_GET] += 10;
		mb_hist_record(&acc.lat, 200000);
	}
	rp_series_acc_flush(s, &acc, 0);
	rp_series_acc_free(&acc);
	rp_series_collect(s, 1, 0, true, NULL);
	assert_int_equal(rp_series_tidy(s), 0);
	assert_int_equal(s->n, 4);
	static const uint64_t want[] = {1, 0, 1, 1};
	for (size_t i = 0; i < 4; i++) {
		assert_int_equal(s->points[i].sec, i);
		assert_int_equal(s->points[i].sent, want[i]);
		assert_int_equal(s->points[i].op_sent[MB_OP_GET], want[i]);
		assert_int_equal(s->points[i].op_bytes[MB_OP_GET], 10 * want[i]);
	}
	assert_near_us(s->points[3].p99_us, 200);
}

/* Seconds nobody reported (a rank without lanes, a point lost to out of memory) become empty
 * points, so the series is one entry per second from 0 to the last. */
static void test_series_tidy_fills_gaps(void **state)
{
	struct two_workers *f = *state;
	struct rp_series *s = &f->s;
	fw_report(s, &f->a, 1, 5, 0, 10, 1);
	fw_report(s, &f->a, 4, 7, 0, 10, 1);
	rp_series_collect(s, 1, 0, true, NULL);
	assert_int_equal(s->n, 2);
	assert_int_equal(rp_series_tidy(s), 0);
	assert_int_equal(s->n, 5);
	static const uint64_t want[] = {0, 5, 0, 0, 7};
	for (size_t i = 0; i < 5; i++) {
		assert_int_equal(s->points[i].sec, i);
		assert_int_equal(s->points[i].sent, want[i]);
	}
}

/* Real threads reporting while the main thread collects, as during a run. */
enum { NTHREADS = 4, NSECONDS = 40 };

struct thread_arg {
	struct rp_series *s;
	unsigned id;
};

static void *reporter(void *p)
{
	struct thread_arg *ta = p;
	struct mb_hist lat;
	if (rp_series_hist_init(&lat) != 0)
		return NULL;
	for (uint64_t sec = 0; sec < NSECONDS; sec++) {
		mb_hist_reset(&lat);
		mb_hist_record(&lat, 1000 * (ta->id + 1));
		struct rp_series_report r = {.sent = sec * 10 + ta->id, .responses = sec,
					     .lat = &lat};
		rp_series_report(ta->s, sec, &r);
	}
	mb_hist_free(&lat);
	return p;
}

static void test_series_threads(void **state)
{
	(void)state;
	struct rp_series s;
	assert_int_equal(rp_series_init(&s), 0);
	pthread_t th[NTHREADS];
	struct thread_arg ta[NTHREADS];
	for (unsigned i = 0; i < NTHREADS; i++) {
		ta[i] = (struct thread_arg){.s = &s, .id = i};
		assert_int_equal(pthread_create(&th[i], NULL, reporter, &ta[i]), 0);
	}
	for (unsigned k = 0; k < 200; k++)
		rp_series_collect(&s, NTHREADS, 0, false, NULL);
	for (unsigned i = 0; i < NTHREADS; i++) {
		void *ret;
		assert_int_equal(pthread_join(th[i], &ret), 0);
		assert_non_null(ret);
	}
	rp_series_collect(&s, NTHREADS, 0, true, NULL);
	rp_series_tidy(&s);
	assert_int_equal(s.n, NSECONDS);
	for (size_t i = 0; i < s.n; i++) {
		assert_int_equal(s.points[i].sec, i);
		/* sum over threads of i * 10 + id */
		assert_int_equal(s.points[i].sent, NTHREADS * i * 10 + NTHREADS * (NTHREADS - 1) / 2);
		assert_int_equal(s.points[i].responses, NTHREADS * i);
		assert_near_us(s.points[i].max_us, NTHREADS);
	}
	rp_series_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_series_one_point_per_second, two_setup, two_teardown),
		cmocka_unit_test_setup_teardown(test_series_waits_for_workers, two_setup, two_teardown),
		cmocka_unit_test_setup_teardown(test_series_late_reports_merge, two_setup, two_teardown),
		cmocka_unit_test_setup_teardown(test_series_acc_by_timestamp, two_setup, two_teardown),
		cmocka_unit_test_setup_teardown(test_series_tidy_fills_gaps, two_setup, two_teardown),
		cmocka_unit_test(test_series_threads),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
