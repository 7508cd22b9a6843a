/* Probability distributions of the workload generators (synth:etc, synth:zipf): sizes and
 * inter-arrival times by inverse CDF, and Zipf popularity by rejection-inversion.
 *
 * Size/time distributions are written on the command line as NAME[:P1[,P2[,P3]]]:
 *   fixed:V              always V
 *   uniform:MIN,MAX      uniform real in [MIN, MAX]
 *   normal:MEAN,SD       Gaussian (Box-Muller; the only one not sampled by inverse CDF)
 *   exponential:MEAN     exponential with that mean
 *   pareto:XM,ALPHA      Pareto type I: P(X > x) = (XM / x)^ALPHA for x >= XM
 *   gpd:MU,SIGMA,K       Generalized Pareto, F(x) = 1 - (1 + K (x - MU) / SIGMA)^(-1/K)
 *   gev:MU,SIGMA,K       Generalized Extreme Value, F(x) = exp(-(1 + K (x - MU) / SIGMA)^(-1/K))
 *   etc-key              GEV(30.7984, 8.20449, 0.078688): Facebook ETC key sizes (bytes)
 *   etc-value            Facebook ETC value sizes: P(0..14 B) from a table, else GPD(15, 214.476,
 *                        0.348238) (bytes)
 *   etc-ia               GPD(0, 16.0292, 0.154971): Facebook ETC inter-arrival (microseconds)
 * The ETC parameters are those of Atikoglu et al. (SIGMETRICS 2012) as implemented by mutilate.
 * K = 0 in gpd/gev means the exponential/Gumbel limit.
 */
#ifndef MB_RECORD_DIST_H
#define MB_RECORD_DIST_H

#include <stddef.h>
#include <stdint.h>

#include "synth/rng.h"

enum dist_kind {
	DIST_FIXED,
	DIST_UNIFORM,
	DIST_NORMAL,
	DIST_EXPONENTIAL,
	DIST_PARETO,
	DIST_GPD,
	DIST_GEV,
	DIST_ETC_VALUE, /* discrete head + GPD tail, parameters fixed */
	DIST_KIND_COUNT
};

struct dist {
	enum dist_kind kind;
	double p[3];
	const char *alias; /* "etc-key", "etc-value", "etc-ia" or NULL: used by dist_format */
};

/* Facebook ETC model parameters (mutilate's fb_key, fb_value, fb_ia). */
#define ETC_KEY_MU 30.7984
#define ETC_KEY_SIGMA 8.20449
#define ETC_KEY_K 0.078688
#define ETC_VALUE_MU 15.0
#define ETC_VALUE_SIGMA 214.476
#define ETC_VALUE_K 0.348238
#define ETC_IA_MU 0.0
#define ETC_IA_SIGMA 16.0292
#define ETC_IA_K 0.154971
#define ETC_VALUE_HEAD 15 /* P(value size = 0..14) table entries */
extern const double etc_value_head[ETC_VALUE_HEAD];

/* Parses spec (see above) into d. On failure writes "bad distribution 'x': ..." to err.
 * @return 0, or MB_E_USAGE (unknown name, wrong parameter count, parameter out of range). */
int dist_parse(struct dist *d, const char *spec, char *err, size_t errlen);

/* Writes the canonical spec of d ("gev:30.7984,8.20449,0.078688", "etc-value") into buf, so
 * dist_parse(dist_format(d)) gives back d. */
void dist_format(const struct dist *d, char *buf, size_t len);

/* Inverse CDF at u in (0, 1). For DIST_NORMAL (no closed form) it returns NAN. */
double dist_quantile(const struct dist *d, double u);

/* One sample. Uses one uniform from r (two for DIST_NORMAL). */
double dist_sample(const struct dist *d, struct rng *r);

/* One sample rounded to the nearest integer and clamped to [lo, hi]. */
uint32_t dist_sample_u32(const struct dist *d, struct rng *r, uint32_t lo, uint32_t hi);

/* Mean of d (INFINITY when it does not exist, e.g. GPD with K >= 1). */
double dist_mean(const struct dist *d);

/* Zipf popularity over ranks 1..n: P(k) proportional to k^-s, s >= 0 (s = 0 is uniform, s = 1
 * works, s > 1 works). Rejection-inversion of Hoermann & Derflinger (1996): O(1) expected time
 * per sample (fewer than 1.1 uniforms on average), O(1) memory, exact for every n and s. */
struct zipf {
	uint64_t n;
	double s;
	double h_x1;   /* H(1.5) - 1 */
	double h_n;    /* H(n + 0.5) */
	double thresh; /* 2 - H^-1(H(2.5) - h(2)) */
};

/* @return 0, or MB_E_USAGE (n == 0, s < 0 or not finite). */
int zipf_init(struct zipf *z, uint64_t n, double s);

/* A rank in [1, n]; rank 1 is the most popular. */
uint64_t zipf_sample(const struct zipf *z, struct rng *r);

#endif
