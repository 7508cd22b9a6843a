/* --compare A B: both profiles side by side, distances saying how closely B reproduces A
 * (definitions in report.h and docs/analyze.md), then the fidelity verdict (fidelity.h,
 * docs/fidelity.md). */
#include <errno.h>
#include <math.h>

#include "report.h"

void compare_compute(const struct analysis *a, const struct analysis *b, struct an_compare *c)
{
	double tvd = 0;
	for (unsigned op = 0; op < MB_OP_COUNT; op++) {
		double pa = a->requests ? (double)a->ops[op] / (double)a->requests : 0;
		double pb = b->requests ? (double)b->ops[op] / (double)b->requests : 0;
		tvd += fabs(pa - pb);
	}
	c->op_tvd = a->requests && b->requests ? tvd / 2 : NAN;
	c->ks_key_size = an_hist_ks(&a->h[AN_H_KEY_REQ], &b->h[AN_H_KEY_REQ]);
	c->ks_value_size = an_hist_ks(&a->h[AN_H_VAL_REQ], &b->h[AN_H_VAL_REQ]);
	c->ks_inter_arrival = an_hist_ks(&a->h[AN_H_IAT], &b->h[AN_H_IAT]);
	c->rate_error = (b->mean_rps - a->mean_rps) / a->mean_rps;
	c->peak_rate_error = (b->peak_rps - a->peak_rps) / a->peak_rps;
	c->zipf_ols_diff = b->zipf_ols - a->zipf_ols;
	c->zipf_mle_diff = b->zipf_mle - a->zipf_mle;
	c->hit_ratio_diff = a->responded && b->responded ? b->hit_ratio - a->hit_ratio : NAN;
	c->unique_keys_ratio = an_frac(b->unique_keys, a->unique_keys);
}

double compare_max_distance(const struct an_compare *c)
{
	double v[] = {c->op_tvd, c->ks_key_size, c->ks_value_size, c->ks_inter_arrival};
	double m = 0;
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		if (isfinite(v[i]) && v[i] > m)
			m = v[i];
	return m;
}

/* One row: label, A and B with `decimals` digits after the point and a unit suffix. */
static void row_num(FILE *f, const char *label, double x, double y, int decimals,
		    const char *suffix)
{
	char bx[32], by[32];
	if (isfinite(x))
		snprintf(bx, sizeof(bx), "%.*f%s", decimals, x, suffix);
	else
		snprintf(bx, sizeof(bx), "-");
	if (isfinite(y))
		snprintf(by, sizeof(by), "%.*f%s", decimals, y, suffix);
	else
		snprintf(by, sizeof(by), "-");
	fprintf(f, "  %-28s %16s %16s\n", label, bx, by);
}

static void row_pct(FILE *f, const char *label, double x, double y)
{
	row_num(f, label, x * 100, y * 100, 2, "%");
}

static void dist_rows(FILE *f, const char *what, const struct mb_hist *x, const struct mb_hist *y)
{
	struct an_dist dx, dy;
	char label[64];
	an_dist_of(x, &dx);
	an_dist_of(y, &dy);
	snprintf(label, sizeof(label), "%s mean", what);
	row_num(f, label, dx.count ? dx.mean : NAN, dy.count ? dy.mean : NAN, 1, "");
	snprintf(label, sizeof(label), "%s p50 / p99", what);
	char bx[48], by[48];
	snprintf(bx, sizeof(bx), "%llu / %llu", (unsigned long long)dx.p50, (unsigned long long)dx.p99);
	snprintf(by, sizeof(by), "%llu / %llu", (unsigned long long)dy.p50, (unsigned long long)dy.p99);
	fprintf(f, "  %-28s %16s %16s\n", label, bx, by);
}

static void dist_line(FILE *f, const char *label, double v, const char *what)
{
	if (isfinite(v))
		fprintf(f, "  %-32s %8.4f  %s\n", label, v, what);
	else
		fprintf(f, "  %-32s %8s  %s\n", label, "-", what);
}

int compare_text(FILE *f, const struct analysis *a, const struct analysis *b,
		 const struct an_compare *c, const struct fid_result *fid, bool utf8)
{
	(void)utf8;
	fprintf(f, "membench analyze --compare\n  A  %s\n  B  %s\n\n", a->src.path ? a->src.path : "A",
		b->src.path ? b->src.path : "B");
	fprintf(f, "  %-28s %16s %16s\n", "", "A", "B");
	row_num(f, "requests", (double)a->requests, (double)b->requests, 0, "");
	row_num(f, "duration (s)", a->duration_s, b->duration_s, 3, "");
	row_num(f, "connections", (double)a->connections, (double)b->connections, 0, "");
	row_num(f, "mean rate (req/s)", a->mean_rps, b->mean_rps, 1, "");
	row_num(f, "peak rate (req/s)", a->peak_rps, b->peak_rps, 1, "");
	row_num(f, "unique keys", (double)a->unique_keys, (double)b->unique_keys, 0, "");
	row_num(f, "Zipf alpha OLS", a->zipf_ols, b->zipf_ols, 3, "");
	row_num(f, "Zipf alpha MLE", a->zipf_mle, b->zipf_mle, 3, "");
	row_pct(f, "one-hit wonders", a->one_hit_fraction, b->one_hit_fraction);
	row_pct(f, "hit ratio", a->responded ? a->hit_ratio : NAN, b->responded ? b->hit_ratio : NAN);
	for (unsigned op = 0; op < MB_OP_COUNT; op++) {
		if (!a->ops[op] && !b->ops[op])
			continue;
		char label[48];
		snprintf(label, sizeof(label), "op %s", mb_op_name(op));
		row_pct(f, label, an_frac(a->ops[op], a->requests), an_frac(b->ops[op], b->requests));
	}
	dist_rows(f, "key size", &a->h[AN_H_KEY_REQ], &b->h[AN_H_KEY_REQ]);
	dist_rows(f, "value size", &a->h[AN_H_VAL_REQ], &b->h[AN_H_VAL_REQ]);
	dist_rows(f, "inter-arrival ns", &a->h[AN_H_IAT], &b->h[AN_H_IAT]);

	fprintf(f, "\nDistances (0 = identical)\n");
	dist_line(f, "op mix (total variation)", c->op_tvd, "0.5 * sum over commands |share A - share B|");
	dist_line(f, "key size (KS)", c->ks_key_size, "max |CDF A - CDF B|, per request");
	dist_line(f, "value size (KS)", c->ks_value_size, "max |CDF A - CDF B|, per request");
	dist_line(f, "inter-arrival (KS)", c->ks_inter_arrival, "max |CDF A - CDF B|, all commands");
	dist_line(f, "mean rate error", c->rate_error, "(B - A) / A");
	dist_line(f, "peak rate error", c->peak_rate_error, "(B - A) / A");
	dist_line(f, "Zipf alpha difference (OLS)", c->zipf_ols_diff, "B - A");
	dist_line(f, "Zipf alpha difference (MLE)", c->zipf_mle_diff, "B - A");
	dist_line(f, "hit ratio difference", c->hit_ratio_diff, "B - A");
	dist_line(f, "unique keys ratio", c->unique_keys_ratio, "B / A");
	if (fid && fid_text(f, fid))
		return -EIO;
	return ferror(f) ? -EIO : 0;
}

int compare_json(FILE *f, const struct analysis *a, const struct analysis *b,
		 const struct an_compare *c, const struct fid_result *fid)
{
	struct mb_json w;
	mb_json_init(&w, f);
	mb_json_obj(&w, NULL);
	mb_json_str(&w, "schema", AN_JSON_COMPARE_SCHEMA);
	mb_json_obj(&w, "distances");
	mb_json_num(&w, "op_mix_tvd", c->op_tvd);
	mb_json_num(&w, "ks_key_size", c->ks_key_size);
	mb_json_num(&w, "ks_value_size", c->ks_value_size);
	mb_json_num(&w, "ks_inter_arrival", c->ks_inter_arrival);
	mb_json_num(&w, "rate_error", c->rate_error);
	mb_json_num(&w, "peak_rate_error", c->peak_rate_error);
	mb_json_num(&w, "zipf_alpha_ols_diff", c->zipf_ols_diff);
	mb_json_num(&w, "zipf_alpha_mle_diff", c->zipf_mle_diff);
	mb_json_num(&w, "hit_ratio_diff", c->hit_ratio_diff);
	mb_json_num(&w, "unique_keys_ratio", c->unique_keys_ratio);
	mb_json_num(&w, "max_distance", compare_max_distance(c));
	mb_json_obj_end(&w);
	if (fid)
		fid_json(&w, fid);
	report_json_object(&w, "a", a);
	report_json_object(&w, "b", b);
	mb_json_obj_end(&w);
	mb_json_finish(&w);
	return ferror(f) ? -EIO : 0;
}
