/* Distributions for the generators; see dist.h. Every continuous distribution except the normal
 * is sampled by its closed-form inverse CDF from one uniform in (0, 1), so dist_quantile() is
 * exactly what dist_sample() draws from (the tests compare sample quantiles against it).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "synth/dist.h"
#include "membench/error.h"

const double etc_value_head[ETC_VALUE_HEAD] = {
	0.00536, 0.00047, 0.17820, 0.09239, 0.00018, 0.02740, 0.00065, 0.00606,
	0.00023, 0.00837, 0.00837, 0.08989, 0.00092, 0.00326, 0.01980,
};

/* Parameter checks: each returns NULL when fine or the complaint. */
static const char *check_none(const double *p)
{
	(void)p;
	return NULL;
}

static const char *check_uniform(const double *p)
{
	return p[0] <= p[1] ? NULL : "MIN must not exceed MAX";
}

static const char *check_normal(const double *p)
{
	return p[1] >= 0 ? NULL : "SD must be >= 0";
}

static const char *check_exponential(const double *p)
{
	return p[0] > 0 ? NULL : "MEAN must be > 0";
}

static const char *check_pareto(const double *p)
{
	return p[0] > 0 && p[1] > 0 ? NULL : "XM and ALPHA must be > 0";
}

static const char *check_sigma(const double *p)
{
	return p[1] > 0 ? NULL : "SIGMA must be > 0";
}

/* Every accepted name, its parameter count and check. Aliases carry fixed parameters. */
static const struct dist_name {
	const char *name;
	enum dist_kind kind;
	int nparams;
	const char *(*check)(const double *p);
	const char *usage;
	double fixed[3]; /* parameters of an alias (nparams == 0) */
} dist_names[] = {
	{"fixed", DIST_FIXED, 1, check_none, "fixed:V", {0}},
	{"uniform", DIST_UNIFORM, 2, check_uniform, "uniform:MIN,MAX", {0}},
	{"normal", DIST_NORMAL, 2, check_normal, "normal:MEAN,SD", {0}},
	{"exponential", DIST_EXPONENTIAL, 1, check_exponential, "exponential:MEAN", {0}},
	{"pareto", DIST_PARETO, 2, check_pareto, "pareto:XM,ALPHA", {0}},
	{"gpd", DIST_GPD, 3, check_sigma, "gpd:MU,SIGMA,K", {0}},
	{"gev", DIST_GEV, 3, check_sigma, "gev:MU,SIGMA,K", {0}},
	{"etc-key", DIST_GEV, 0, check_none, "etc-key", {ETC_KEY_MU, ETC_KEY_SIGMA, ETC_KEY_K}},
	{"etc-value", DIST_ETC_VALUE, 0, check_none, "etc-value",
	 {ETC_VALUE_MU, ETC_VALUE_SIGMA, ETC_VALUE_K}},
	{"etc-ia", DIST_GPD, 0, check_none, "etc-ia", {ETC_IA_MU, ETC_IA_SIGMA, ETC_IA_K}},
};

#define NDIST_NAMES (sizeof(dist_names) / sizeof(dist_names[0]))

int dist_parse(struct dist *d, const char *spec, char *err, size_t errlen)
{
	const char *colon = strchr(spec, ':');
	size_t nlen = colon ? (size_t)(colon - spec) : strlen(spec);
	const struct dist_name *dn = NULL;
	for (size_t i = 0; i < NDIST_NAMES; i++)
		if (strlen(dist_names[i].name) == nlen && strncmp(dist_names[i].name, spec, nlen) == 0)
			dn = &dist_names[i];
	if (!dn) {
		snprintf(err, errlen,
			 "bad distribution '%s': expected fixed, uniform, normal, exponential, "
			 "pareto, gpd, gev, etc-key, etc-value or etc-ia", spec);
		return MB_E_USAGE;
	}
	memset(d, 0, sizeof(*d));
	d->kind = dn->kind;
	if (dn->nparams == 0) {
		if (colon) {
			snprintf(err, errlen, "bad distribution '%s': %s takes no parameters", spec,
				 dn->name);
			return MB_E_USAGE;
		}
		memcpy(d->p, dn->fixed, sizeof(d->p));
		d->alias = dn->name;
		return 0;
	}
	int n = 0;
	const char *p = colon ? colon + 1 : NULL;
	while (p && n < 3) {
		char *end;
		d->p[n] = strtod(p, &end);
		if (end == p || (*end && *end != ',') || !isfinite(d->p[n]))
			break;
		n++;
		p = *end == ',' ? end + 1 : NULL;
	}
	if (n != dn->nparams || p) {
		snprintf(err, errlen, "bad distribution '%s': expected %s", spec, dn->usage);
		return MB_E_USAGE;
	}
	const char *why = dn->check(d->p);
	if (why) {
		snprintf(err, errlen, "bad distribution '%s': %s", spec, why);
		return MB_E_USAGE;
	}
	return 0;
}

void dist_format(const struct dist *d, char *buf, size_t len)
{
	if (d->alias) {
		snprintf(buf, len, "%s", d->alias);
		return;
	}
	for (size_t i = 0; i < NDIST_NAMES; i++) {
		const struct dist_name *dn = &dist_names[i];
		if (dn->kind != d->kind || dn->nparams == 0)
			continue;
		int off = snprintf(buf, len, "%s:%.15g", dn->name, d->p[0]);
		for (int k = 1; k < dn->nparams && off > 0 && (size_t)off < len; k++)
			off += snprintf(buf + off, len - (size_t)off, ",%.15g", d->p[k]);
		return;
	}
	snprintf(buf, len, "?");
}

/* Inverse CDF of the Generalized Pareto distribution at u. */
static double gpd_quantile(double mu, double sigma, double k, double u)
{
	if (k == 0)
		return mu - sigma * log1p(-u);
	return mu + sigma * (pow(1 - u, -k) - 1) / k;
}

double dist_quantile(const struct dist *d, double u)
{
	const double *p = d->p;
	switch (d->kind) {
	case DIST_FIXED:
		return p[0];
	case DIST_UNIFORM:
		return p[0] + u * (p[1] - p[0]);
	case DIST_NORMAL:
		return NAN;
	case DIST_EXPONENTIAL:
		return -p[0] * log1p(-u);
	case DIST_PARETO:
		return p[0] * pow(1 - u, -1 / p[1]);
	case DIST_GPD:
		return gpd_quantile(p[0], p[1], p[2], u);
	case DIST_GEV:
		if (p[2] == 0)
			return p[0] - p[1] * log(-log(u));
		return p[0] + p[1] * (pow(-log(u), -p[2]) - 1) / p[2];
	case DIST_ETC_VALUE: {
		/* Walk the head table; the tail gets the rest of the probability, rescaled. */
		double cum = 0;
		for (int v = 0; v < ETC_VALUE_HEAD; v++) {
			cum += etc_value_head[v];
			if (u < cum)
				return v;
		}
		return gpd_quantile(p[0], p[1], p[2], (u - cum) / (1 - cum));
	}
	case DIST_KIND_COUNT:
		break;
	}
	return NAN;
}

double dist_sample(const struct dist *d, struct rng *r)
{
	if (d->kind == DIST_NORMAL) {
		double u1 = rng_double(r), u2 = rng_double(r);
		return d->p[0] + d->p[1] * sqrt(-2 * log(u1)) * cos(2 * M_PI * u2);
	}
	return dist_quantile(d, rng_double(r));
}

uint32_t dist_sample_u32(const struct dist *d, struct rng *r, uint32_t lo, uint32_t hi)
{
	double x = round(dist_sample(d, r));
	if (!(x >= lo)) /* also catches NAN */
		return lo;
	if (x >= hi)
		return hi;
	return (uint32_t)x;
}

double dist_mean(const struct dist *d)
{
	const double *p = d->p;
	switch (d->kind) {
	case DIST_FIXED:
		return p[0];
	case DIST_UNIFORM:
		return (p[0] + p[1]) / 2;
	case DIST_NORMAL:
	case DIST_EXPONENTIAL:
		return p[0];
	case DIST_PARETO:
		return p[1] > 1 ? p[1] * p[0] / (p[1] - 1) : INFINITY;
	case DIST_GPD:
		return p[2] < 1 ? p[0] + p[1] / (1 - p[2]) : INFINITY;
	case DIST_GEV:
		if (p[2] >= 1)
			return INFINITY;
		if (p[2] == 0)
			return p[0] + p[1] * 0.57721566490153286;
		return p[0] + p[1] * (tgamma(1 - p[2]) - 1) / p[2];
	case DIST_ETC_VALUE: {
		double cum = 0, m = 0;
		for (int v = 0; v < ETC_VALUE_HEAD; v++) {
			cum += etc_value_head[v];
			m += v * etc_value_head[v];
		}
		return m + (1 - cum) * (p[0] + p[1] / (1 - p[2]));
	}
	case DIST_KIND_COUNT:
		break;
	}
	return NAN;
}

/* ---- Zipf by rejection-inversion (Hoermann & Derflinger 1996) ----------------------------
 * h(x) = x^-s is the unnormalised density; H is an antiderivative of h written so it stays
 * accurate at s = 1 (where x^(1-s)/(1-s) turns into log x):
 *   H(x) = ((exp((1-s) log x) - 1) / (1-s) = helper2((1-s) log x) * log x
 * A uniform u over [H(n + 0.5), H(1.5) - 1] is inverted through H; the nearest integer k is
 * accepted when u falls under the exact mass of k, which holds for all but a few percent. */

/* log1p(x) / x, continuous at 0. */
static double helper1(double x)
{
	if (fabs(x) > 1e-8)
		return log1p(x) / x;
	return 1 - x * (0.5 - x * (1.0 / 3 - 0.25 * x));
}

/* expm1(x) / x, continuous at 0. */
static double helper2(double x)
{
	if (fabs(x) > 1e-8)
		return expm1(x) / x;
	return 1 + x * 0.5 * (1 + x / 3 * (1 + 0.25 * x));
}

static double zipf_h(const struct zipf *z, double x)
{
	return exp(-z->s * log(x));
}

static double zipf_hint(const struct zipf *z, double x)
{
	double lx = log(x);
	return helper2((1 - z->s) * lx) * lx;
}

static double zipf_hint_inv(const struct zipf *z, double x)
{
	double t = x * (1 - z->s);
	if (t < -1) /* rounding: the argument of log1p must stay >= -1 */
		t = -1;
	return exp(helper1(t) * x);
}

int zipf_init(struct zipf *z, uint64_t n, double s)
{
	if (n == 0 || !(s >= 0) || !isfinite(s) || n > (1ull << 53))
		return MB_E_USAGE;
	z->n = n;
	z->s = s;
	z->h_x1 = zipf_hint(z, 1.5) - 1;
	z->h_n = zipf_hint(z, (double)n + 0.5);
	z->thresh = 2 - zipf_hint_inv(z, zipf_hint(z, 2.5) - zipf_h(z, 2));
	return 0;
}

uint64_t zipf_sample(const struct zipf *z, struct rng *r)
{
	for (;;) {
		double u = z->h_n + rng_double(r) * (z->h_x1 - z->h_n);
		double x = zipf_hint_inv(z, u);
		double kd = floor(x + 0.5);
		uint64_t k;
		if (kd < 1)
			k = 1;
		else if (kd > (double)z->n)
			k = z->n;
		else
			k = (uint64_t)kd;
		if ((double)k - x <= z->thresh ||
		    u >= zipf_hint(z, (double)k + 0.5) - zipf_h(z, (double)k))
			return k;
	}
}
