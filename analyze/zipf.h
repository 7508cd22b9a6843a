/* Zipf exponent estimates from a rank-frequency table.
 *
 * Input: runs of equal frequency in decreasing order of frequency: run i says that nkeys keys were
 * each requested `count` times; ranks are assigned 1, 2, ... in that order (ties get consecutive
 * ranks, as a sort by frequency gives them). Runs make the table O(distinct frequencies) instead
 * of O(keys).
 *
 * OLS: unweighted least-squares fit of ln(frequency) on ln(rank) over every rank; alpha is minus
 * the slope and r2 the coefficient of determination. This is how Twitter's cache-trace analysis
 * and libCacheSim publish the exponent, so it is comparable with their numbers, but the many
 * low-frequency tail ranks bias it. O(keys) (one log per rank).
 *
 * MLE: models each request's rank as drawn from P(r) = r^-alpha / H(N, alpha), r = 1..N (N =
 * distinct keys), and solves d/d(alpha) log-likelihood = 0, i.e. E_alpha[ln r] = mean ln r of the
 * requests, by bisection (E_alpha[ln r] decreases in alpha). Sums over r <= 65536 are exact; the
 * rest are midpoint integrals evaluated with Simpson's rule in ln r. O(65536) per iteration.
 */
#ifndef MB_ANALYZE_ZIPF_H
#define MB_ANALYZE_ZIPF_H

#include <stddef.h>
#include <stdint.h>

struct an_run {
	uint64_t count; /* frequency of each key in the run */
	uint64_t nkeys; /* keys with that frequency */
};

/* Fits ln f = intercept - alpha ln r.
 * @return 0, or -1 when fewer than 2 ranks or all frequencies are equal (alpha = 0, r2 NaN). */
int an_zipf_ols(const struct an_run *runs, size_t nruns, double *alpha, double *r2,
		double *intercept);
/* @return 0, or -1 when fewer than 2 ranks (alpha NaN). alpha is searched in [0, 10]. */
int an_zipf_mle(const struct an_run *runs, size_t nruns, double *alpha);

#endif
