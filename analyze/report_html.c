/* The HTML report: one self-contained page (inline CSS and SVG, no script, no external resource),
 * so it opens offline and can be mailed or attached to a ticket.
 *
 * Charts are <svg class="chart" data-series="N" data-points="M"> elements drawn from the same
 * figures as the JSON report; each series is one <path class="series"> ("M x y L x y ..."), axes
 * are log10 where the quantity spans decades. A chart with no data is replaced by a
 * <p class="nodata"> sentence saying why, never drawn empty (the rendering test checks this).
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"

#define W 680.0
#define H 300.0
#define ML 70.0  /* margins: left, right, top, bottom */
#define MR 20.0
#define MT 16.0
#define MB 44.0
#define MAXPTS 400

struct series {
	const char *name;
	const char *color;
	bool dashed;
	double x[MAXPTS * 2 + 2], y[MAXPTS * 2 + 2];
	size_t n;
};

struct axis {
	bool log;
	double lo, hi; /* in axis units (log10 of the value when log) */
};

static void html_escape(FILE *f, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '&': fputs("&amp;", f); break;
		case '"': fputs("&quot;", f); break;
		default:
			if ((unsigned char)*s < 0x20)
				fputc('?', f);
			else
				fputc(*s, f);
		}
	}
}

static double to_axis(const struct axis *ax, double v)
{
	return ax->log ? log10(v) : v;
}

static bool usable(const struct axis *ax, double v)
{
	return isfinite(v) && (!ax->log || v > 0);
}

/* Range over every usable value; log axes snap to decades, linear ones start at 0. */
static bool axis_fit(struct axis *ax, const struct series *s, size_t ns, bool use_x)
{
	double lo = INFINITY, hi = -INFINITY;
	for (size_t i = 0; i < ns; i++)
		for (size_t j = 0; j < s[i].n; j++) {
			double v = use_x ? s[i].x[j] : s[i].y[j];
			if (!usable(ax, v))
				continue;
			v = to_axis(ax, v);
			lo = v < lo ? v : lo;
			hi = v > hi ? v : hi;
		}
	if (!isfinite(lo))
		return false;
	if (ax->log) {
		lo = floor(lo);
		hi = ceil(hi);
		if (hi <= lo)
			hi = lo + 1;
	} else {
		if (lo > 0)
			lo = 0;
		if (hi <= lo)
			hi = lo + 1;
		double step = pow(10, floor(log10(hi - lo))) / 2;
		hi = ceil(hi / step) * step;
	}
	ax->lo = lo;
	ax->hi = hi;
	return true;
}

static double px(const struct axis *ax, double v)
{
	return ML + (to_axis(ax, v) - ax->lo) / (ax->hi - ax->lo) * (W - ML - MR);
}

static double py(const struct axis *ax, double v)
{
	return H - MB - (to_axis(ax, v) - ax->lo) / (ax->hi - ax->lo) * (H - MT - MB);
}

/* Tick label: 1.5k, 2M, 0.5, 1e-06, ... */
static void tick_label(char *buf, size_t len, double v)
{
	static const struct {
		double div;
		const char *suffix;
	} units[] = {{1e12, "T"}, {1e9, "G"}, {1e6, "M"}, {1e3, "k"}};
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (fabs(v) >= units[i].div * 0.999) {
			snprintf(buf, len, "%g%s", v / units[i].div, units[i].suffix);
			return;
		}
	snprintf(buf, len, "%g", v);
}

static void axis_ticks(FILE *f, const struct axis *ax, bool horizontal)
{
	double step = ax->log ? 1 : pow(10, floor(log10(ax->hi - ax->lo)));
	if (!ax->log && (ax->hi - ax->lo) / step < 4)
		step /= 2;
	if (ax->log && ax->hi - ax->lo > 8)
		step = 2;
	for (double t = ax->lo; t <= ax->hi + 1e-9; t += step) {
		double v = ax->log ? pow(10, t) : t;
		char label[32];
		tick_label(label, sizeof(label), v);
		if (horizontal) {
			double x = px(ax, v);
			fprintf(f, "<line class=\"grid\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>"
				"<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%s</text>\n", x, MT, x,
				H - MB, x, H - MB + 16, label);
		} else {
			double y = py(ax, v);
			fprintf(f, "<line class=\"grid\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>"
				"<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%s</text>\n", ML, y, W - MR,
				y, ML - 6, y + 4, label);
		}
	}
}

static void chart(FILE *f, const char *title, const char *note, const struct series *s, size_t ns,
		  bool xlog, bool ylog, const char *xlabel, const char *ylabel)
{
	struct axis ax = {.log = xlog}, ay = {.log = ylog};
	size_t points = 0, drawn = 0;
	fprintf(f, "<section class=\"card\"><h3>");
	html_escape(f, title);
	fprintf(f, "</h3>\n");
	if (note) {
		fprintf(f, "<p class=\"note\">");
		html_escape(f, note);
		fprintf(f, "</p>\n");
	}
	for (size_t i = 0; i < ns; i++)
		drawn += s[i].n >= 2;
	if (!drawn || !axis_fit(&ax, s, ns, true) || !axis_fit(&ay, s, ns, false)) {
		fprintf(f, "<p class=\"nodata\">No data for this chart in this profile.</p></section>\n");
		return;
	}
	fprintf(f, "<svg class=\"chart\" viewBox=\"0 0 %.0f %.0f\" role=\"img\" aria-label=\"", W, H);
	html_escape(f, title);
	fprintf(f, "\" data-series=\"%zu\">\n", drawn);
	axis_ticks(f, &ax, true);
	axis_ticks(f, &ay, false);
	fprintf(f, "<rect class=\"frame\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\"/>\n", ML,
		MT, W - ML - MR, H - MT - MB);
	fprintf(f, "<text class=\"label\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">",
		(ML + W - MR) / 2, H - 8);
	html_escape(f, xlabel);
	fprintf(f, "</text><text class=\"label\" transform=\"translate(14 %.1f) rotate(-90)\" "
		"text-anchor=\"middle\">", (MT + H - MB) / 2);
	html_escape(f, ylabel);
	fprintf(f, "</text>\n");
	for (size_t i = 0; i < ns; i++) {
		if (s[i].n < 2)
			continue;
		fprintf(f, "<path class=\"series\" fill=\"none\" stroke=\"%s\" stroke-width=\"2\"%s d=\"",
			s[i].color, s[i].dashed ? " stroke-dasharray=\"6 4\"" : "");
		bool first = true;
		for (size_t j = 0; j < s[i].n; j++) {
			if (!usable(&ax, s[i].x[j]) || !usable(&ay, s[i].y[j]))
				continue;
			double x = px(&ax, s[i].x[j]), y = py(&ay, s[i].y[j]);
			/* clip to the plot area (fitted lines may leave it) */
			y = y < MT ? MT : y > H - MB ? H - MB : y;
			fprintf(f, "%s%.1f %.1f", first ? "M" : " L", x, y);
			first = false;
			points++;
		}
		fprintf(f, "\"><title>");
		html_escape(f, s[i].name);
		fprintf(f, "</title></path>\n");
	}
	/* legend */
	double lx = ML + 10, ly = MT + 14;
	for (size_t i = 0; i < ns; i++) {
		if (s[i].n < 2)
			continue;
		fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" "
			"stroke-width=\"3\"%s/><text x=\"%.1f\" y=\"%.1f\">", lx, ly - 4, lx + 18, ly - 4,
			s[i].color, s[i].dashed ? " stroke-dasharray=\"6 4\"" : "", lx + 24, ly);
		html_escape(f, s[i].name);
		fprintf(f, "</text>\n");
		ly += 16;
	}
	fprintf(f, "<desc>points: %zu</desc></svg></section>\n", points);
}

/* A step CDF of h into s (x scaled by `scale`); values <= 0 are dropped on log axes and their
 * mass starts the curve. */
static void cdf_series(struct series *s, const struct mb_hist *h, double scale, bool xlog)
{
	double x[MAXPTS], y[MAXPTS];
	size_t n = an_cdf_points(h, x, y, MAXPTS);
	double prev = 0;
	s->n = 0;
	for (size_t i = 0; i < n; i++) {
		double v = x[i] * scale;
		if (xlog && v <= 0) {
			prev = y[i];
			continue;
		}
		s->x[s->n] = v;
		s->y[s->n++] = prev;
		s->x[s->n] = v;
		s->y[s->n++] = y[i];
		prev = y[i];
	}
}

static const char *const colors[] = {"#1f6feb", "#d9480f", "#2f9e44", "#9c36b5"};

static void overview_table(FILE *f, const struct analysis *a)
{
	char buf[64];
	fprintf(f, "<section class=\"card\"><h3>Overview</h3><table>\n");
#define ROW(label, ...)                                                                            \
	do {                                                                                       \
		snprintf(buf, sizeof(buf), __VA_ARGS__);                                           \
		fprintf(f, "<tr><th>%s</th><td>", label);                                          \
		html_escape(f, buf);                                                               \
		fprintf(f, "</td></tr>\n");                                                        \
	} while (0)
	ROW("requests", "%llu", (unsigned long long)a->requests);
	ROW("commands", "%llu", (unsigned long long)a->commands);
	ROW("duration", "%.3f s", a->duration_s);
	ROW("connections", "%llu", (unsigned long long)a->connections);
	ROW("unique keys", "%s%llu", a->sketches ? "~" : "", (unsigned long long)a->unique_keys);
	ROW("mean rate", "%.1f req/s", a->mean_rps);
	ROW("peak rate", "%.1f req/s", a->peak_rps);
	ROW("Zipf alpha (OLS, R^2)", "%.3f (%.3f)", a->zipf_ols, a->zipf_r2);
	ROW("Zipf alpha (MLE)", "%.3f", a->zipf_mle);
	ROW("one-hit wonders", "%.1f%% of keys", a->one_hit_fraction * 100);
	if (a->responded)
		ROW("hit ratio", "%.2f%%", a->hit_ratio * 100);
	else
		ROW("hit ratio", "%s", "not captured");
	const struct mb_profile_stats *st = &a->src.stats;
	ROW("capture losses", "%llu drops, %llu gaps, %llu protocol errors",
	    (unsigned long long)st->ring_drops, (unsigned long long)st->stream_gaps,
	    (unsigned long long)st->protocol_errors);
#undef ROW
	fprintf(f, "</table></section>\n");

	fprintf(f, "<section class=\"card\"><h3>Op mix</h3><table>\n"
		"<tr><th>command</th><th>requests</th><th>share</th></tr>\n");
	for (unsigned op = 0; op < MB_OP_COUNT; op++) {
		if (!a->ops[op])
			continue;
		double frac = an_frac(a->ops[op], a->requests);
		fprintf(f, "<tr><td>%s</td><td>%llu</td><td><span class=\"bar\" style=\"width:%.0fpx\">"
			"</span> %.1f%%</td></tr>\n", mb_op_name(op), (unsigned long long)a->ops[op],
			frac * 200, frac * 100);
	}
	fprintf(f, "</table></section>\n");
}

int report_html(FILE *f, const struct analysis *a)
{
	struct series *s = calloc(3, sizeof(*s));
	if (!s)
		return -ENOMEM;
	fprintf(f, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>"
		"membench analyze: ");
	html_escape(f, a->src.path ? a->src.path : "profile");
	fprintf(f, "</title>\n<style>\n"
		"body{font:14px/1.4 system-ui,sans-serif;margin:24px;background:#f6f8fa;color:#1f2328}\n"
		".grid-wrap{display:grid;grid-template-columns:repeat(auto-fill,minmax(560px,1fr));gap:16px}\n"
		".card{background:#fff;border:1px solid #d0d7de;border-radius:6px;padding:12px 16px}\n"
		"h3{margin:0 0 8px}svg.chart{width:100%%;height:auto}\n"
		"svg text{font-size:11px;fill:#57606a}svg .label{font-size:12px;fill:#1f2328}\n"
		"line.grid{stroke:#eaeef2}rect.frame{fill:none;stroke:#8c959f}\n"
		"table{border-collapse:collapse}th,td{text-align:left;padding:2px 12px 2px 0}\n"
		".bar{display:inline-block;height:10px;background:#1f6feb}\n"
		".note,.nodata{color:#57606a}\n</style></head><body>\n<h1>membench analyze</h1>\n<p>");
	html_escape(f, a->src.path ? a->src.path : "");
	if (a->src.have_meta) {
		fprintf(f, " &mdash; source ");
		html_escape(f, a->src.meta.source);
	}
	if (a->src.truncated)
		fprintf(f, " &mdash; <strong>truncated file: analyzed up to the last complete block"
			"</strong>");
	if (a->src.damaged_blocks)
		fprintf(f, " &mdash; <strong>damaged file: %llu record blocks failed their checks and "
			"were left out</strong>", (unsigned long long)a->src.damaged_blocks);
	if (a->sketches)
		fprintf(f, " &mdash; figures marked ~ are estimates (key sampling and sketches)");
	fprintf(f, "</p>\n<div class=\"grid-wrap\">\n");
	overview_table(f, a);

	static const struct {
		const char *title, *xlabel;
		enum an_hist_id req, obj;
	} size_charts[] = {
		{"Key size CDF", "key size (bytes)", AN_H_KEY_REQ, AN_H_KEY_OBJ},
		{"Value size CDF", "value size (bytes)", AN_H_VAL_REQ, AN_H_VAL_OBJ},
	};
	for (size_t i = 0; i < 2; i++) {
		memset(s, 0, 2 * sizeof(*s));
		s[0].name = "per request";
		s[0].color = colors[0];
		cdf_series(&s[0], &a->h[size_charts[i].req], 1, true);
		s[1].name = "per object";
		s[1].color = colors[1];
		s[1].dashed = true;
		cdf_series(&s[1], &a->h[size_charts[i].obj], 1, true);
		chart(f, size_charts[i].title, NULL, s, 2, true, false, size_charts[i].xlabel,
		      "fraction <= x");
	}

	/* rank-frequency with the least-squares line */
	memset(s, 0, 2 * sizeof(*s));
	s[0].name = "observed";
	s[0].color = colors[0];
	s[0].n = an_rank_points(a, s[0].x, s[0].y, MAXPTS);
	char fit_name[96];
	snprintf(fit_name, sizeof(fit_name), "least squares, alpha %.3f (MLE %.3f)", a->zipf_ols,
		 a->zipf_mle);
	s[1].name = fit_name;
	s[1].color = colors[1];
	s[1].dashed = true;
	if (s[0].n >= 2 && isfinite(a->zipf_ols_intercept)) {
		double rmax = s[0].x[s[0].n - 1];
		for (size_t i = 0; i < 32; i++) {
			double r = pow(rmax, (double)i / 31);
			s[1].x[i] = r;
			s[1].y[i] = exp(a->zipf_ols_intercept - a->zipf_ols * log(r));
		}
		s[1].n = 32;
	}
	chart(f, "Rank-frequency", a->sketches ? "sampled keys (estimate)" : NULL, s, 2, true, true,
	      "rank", "requests");

	/* request rate over time, as steps over the series buckets */
	memset(s, 0, 2 * sizeof(*s));
	uint64_t width = a->tb_width_ns;
	while (an_series_len(a, width) > MAXPTS)
		width *= 2;
	size_t nb = an_series_len(a, width);
	double wsec = (double)width / 1e9;
	s[0].name = "requests/s";
	s[0].color = colors[0];
	s[1].name = "hit ratio x peak";
	s[1].color = colors[2];
	for (size_t i = 0; i < nb; i++) {
		struct an_tbucket b = an_series_at(a, width, i);
		double rps = (double)b.requests / wsec;
		s[0].x[s[0].n] = (double)i * wsec;
		s[0].y[s[0].n++] = rps;
		s[0].x[s[0].n] = (double)(i + 1) * wsec;
		s[0].y[s[0].n++] = rps;
	}
	char rate_note[96];
	snprintf(rate_note, sizeof(rate_note), "requests per %g s bucket, divided by its width", wsec);
	chart(f, "Request rate over time", rate_note, s, 1, false, false, "time since start (s)",
	      "requests/s");
	if (a->responded) {
		memset(s, 0, sizeof(*s));
		s[0].name = "hit ratio";
		s[0].color = colors[2];
		for (size_t i = 0; i < nb; i++) {
			struct an_tbucket b = an_series_at(a, width, i);
			if (b.hits + b.misses == 0)
				continue;
			double hr = (double)b.hits / (double)(b.hits + b.misses);
			s[0].x[s[0].n] = (double)i * wsec;
			s[0].y[s[0].n++] = hr;
			s[0].x[s[0].n] = (double)(i + 1) * wsec;
			s[0].y[s[0].n++] = hr;
		}
		chart(f, "Hit ratio over time", NULL, s, 1, false, false, "time since start (s)",
		      "hit ratio");
	}

	memset(s, 0, 2 * sizeof(*s));
	s[0].name = "all commands";
	s[0].color = colors[0];
	cdf_series(&s[0], &a->h[AN_H_IAT], 1e-3, true);
	s[1].name = "same connection";
	s[1].color = colors[1];
	s[1].dashed = true;
	cdf_series(&s[1], &a->h[AN_H_IAT_CONN], 1e-3, true);
	chart(f, "Inter-arrival time CDF", NULL, s, 2, true, false, "inter-arrival (us)",
	      "fraction <= x");

	memset(s, 0, 2 * sizeof(*s));
	s[0].name = "reuse time";
	s[0].color = colors[0];
	cdf_series(&s[0], &a->h[AN_H_REUSE_NS], 1e-9, true);
	char reuse_note[96];
	snprintf(reuse_note, sizeof(reuse_note), "%llu reuses; %llu first accesses not shown%s",
		 (unsigned long long)a->reuse_requests, (unsigned long long)a->first_accesses,
		 a->sketches ? " (sampled keys)" : "");
	chart(f, "Reuse time CDF", reuse_note, s, 1, true, false, "time since previous request (s)",
	      "fraction <= x");
	memset(s, 0, sizeof(*s));
	s[0].name = "reuse distance";
	s[0].color = colors[3];
	cdf_series(&s[0], &a->h[AN_H_REUSE_REQ], 1, true);
	chart(f, "Reuse distance CDF", NULL, s, 1, true, false,
	      "requests since the previous request to the key", "fraction <= x");

	if (a->responded) {
		memset(s, 0, sizeof(*s));
		s[0].name = "server latency";
		s[0].color = colors[1];
		cdf_series(&s[0], &a->h[AN_H_LATENCY], 1e-3, true);
		chart(f, "Server latency CDF", "request seen to response seen, per command", s, 1,
		      true, false, "latency (us)", "fraction <= x");
	} else {
		fprintf(f, "<section class=\"card\"><h3>Server latency</h3><p class=\"nodata\">"
			"Responses were not captured in this profile.</p></section>\n");
	}
	fprintf(f, "</div>\n</body></html>\n");
	free(s);
	return ferror(f) ? -EIO : 0;
}
