/* Zipf exponent estimates: least squares over all ranks and maximum likelihood; see zipf.h. */
#include <math.h>

#include "zipf.h"

int an_zipf_ols(const struct an_run *runs, size_t nruns, double *alpha, double *r2,
		double *intercept)
{
	double n = 0, sx = 0, sy = 0, sxx = 0, sxy = 0, syy = 0;
	uint64_t rank = 0;
	for (size_t i = 0; i < nruns; i++) {
		double y = log((double)runs[i].count);
		double rx = 0, rxx = 0;
		for (uint64_t k = 0; k < runs[i].nkeys; k++) {
			double x = log((double)++rank);
			rx += x;
			rxx += x * x;
		}
		double m = (double)runs[i].nkeys;
		n += m;
		sx += rx;
		sxx += rxx;
		sy += m * y;
		syy += m * y * y;
		sxy += y * rx;
	}
	*alpha = 0;
	*r2 = NAN;
	*intercept = NAN;
	if (n < 2)
		return -1;
	double vx = sxx - sx * sx / n, vy = syy - sy * sy / n, cxy = sxy - sx * sy / n;
	if (vx <= 0 || vy <= 0)
		return -1;
	*alpha = -cxy / vx;
	*r2 = cxy * cxy / (vx * vy);
	*intercept = (sy + *alpha * sx) / n;
	return 0;
}

#define EXACT_RANKS 65536u
#define SIMPSON_STEPS 2048

/* E_alpha[ln r] for ranks 1..N. */
static double mean_log_rank(double alpha, uint64_t N)
{
	double h = 0, g = 0;
	uint64_t exact = N < EXACT_RANKS ? N : EXACT_RANKS;
	for (uint64_t r = 1; r <= exact; r++) {
		double lr = log((double)r);
		double w = exp(-alpha * lr);
		h += w;
		g += w * lr;
	}
	if (N > exact) {
		/* sum_{r=exact+1}^{N} f(r) ~ integral_{exact+.5}^{N+.5} f(x) dx, x = e^u:
		 * integral e^{(1-alpha)u} u^k du, Simpson in u. */
		double a = log((double)exact + 0.5), b = log((double)N + 0.5);
		double step = (b - a) / SIMPSON_STEPS;
		double ih = 0, ig = 0;
		for (int i = 0; i <= SIMPSON_STEPS; i++) {
			double u = a + step * i;
			double w = exp((1.0 - alpha) * u);
			double c = (i == 0 || i == SIMPSON_STEPS) ? 1 : (i % 2 ? 4 : 2);
			ih += c * w;
			ig += c * w * u;
		}
		h += ih * step / 3;
		g += ig * step / 3;
	}
	return g / h;
}

int an_zipf_mle(const struct an_run *runs, size_t nruns, double *alpha)
{
	double requests = 0, sum_log = 0;
	uint64_t rank = 0;
	for (size_t i = 0; i < nruns; i++) {
		double rl = 0;
		for (uint64_t k = 0; k < runs[i].nkeys; k++)
			rl += log((double)++rank);
		sum_log += (double)runs[i].count * rl;
		requests += (double)runs[i].count * (double)runs[i].nkeys;
	}
	*alpha = NAN;
	if (rank < 2 || requests <= 0)
		return -1;
	double target = sum_log / requests;
	double lo = 0, hi = 10;
	uint64_t N = rank;
	if (target >= mean_log_rank(lo, N)) { /* flatter than uniform: clamp */
		*alpha = 0;
		return 0;
	}
	for (int it = 0; it < 60 && hi - lo > 1e-7; it++) {
		double mid = 0.5 * (lo + hi);
		if (mean_log_rank(mid, N) > target)
			lo = mid;
		else
			hi = mid;
	}
	*alpha = 0.5 * (lo + hi);
	return 0;
}
