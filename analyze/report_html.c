/* The HTML reports: one self-contained page each (inline CSS and SVG, no script, no external
 * resource), so it opens offline and can be mailed or attached to a ticket. Three pages share the
 * same cards, tables and chart function:
 * - report_html: one profile;
 * - report_html_compare: two profiles (--compare A B), the fidelity verdict and the distances on
 *   top, then every chart with both profiles overlaid (A solid, B dashed; "A: "/"B: " names)
 *   and the tables of each profile;
 * - report_html_replay: a replay's --json report (replay_json.h): per-second sent rate against
 *   the target, commands per second per command, latency and schedule lag over time, the
 *   per-command table, errors.
 *
 * Cards are <section class="card" data-panel="ID"> (the rendering test finds panels by ID).
 * Charts are <svg class="chart" data-series="N"> elements drawn from the same figures as the
 * JSON report; each series is one <path class="series"> ("M x y L x y ..."), axes are log10
 * where the quantity spans decades; the key-size axis is fitted to the data (not snapped to
 * decades) with 1-2-5 ticks so that 1-20 byte keys spread over the width. The legend is a
 * <g class="legend"> in a band above the plot frame, never inside it: its rows are laid out
 * before the frame is placed, so no legend can cover a series (the test measures it in
 * Chromium). A chart with no data is replaced by a <p class="nodata"> sentence saying why,
 * never drawn empty; a table with no rows likewise.
 */
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "replay_json.h"
#include "report.h"

#define W 680.0
#define PLOT_H 240.0 /* height of the plot frame */
#define ML 70.0      /* margins: left, right, bottom (the top one holds the legend) */
#define MR 20.0
#define MB 44.0
#define LEG_ROW 16.0
#define LEG_CHAR 6.6 /* estimated width of a legend character (11px sans-serif, wide side) */
#define MAXPTS 400
#define MAXSERIES 8

struct series {
	char name[96];
	const char *color;
	bool dashed;
	double x[MAXPTS * 2 + 2], y[MAXPTS * 2 + 2];
	size_t n;
};

struct axis {
	bool log, tight;
	double lo, hi; /* in axis units (log10 of the value when log) */
};

/* What a chart shows; the series come apart. */
struct chart_spec {
	const char *panel, *title, *note, *xlabel, *ylabel;
	bool xlog, ylog;
	bool xtight; /* log x fitted to the data with 1-2-5 ticks (small key sizes) */
	double band0, band1; /* x range shaded as the warm-up (band1 > band0; linear x only) */
};

/* Placement of the plot frame in one chart: its top depends on the legend's rows. */
struct frame {
	struct axis x, y;
	double top, h; /* frame top; whole SVG height */
};

/* The profiles on a page: one, or A and B of a comparison. */
struct view {
	const struct analysis *an[2];
	size_t n;
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
			if ((unsigned char)*s < 0x20 || *s == 0x7f)
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

/* log10 of the 1-2-5 value at or below (up false) / above (up true) the log10 value v. */
static double round125(double v, bool up)
{
	static const double mant[] = {1, 2, 5, 10};
	double d = floor(v), best = up ? d + 1 : d;
	for (size_t i = 0; i < sizeof(mant) / sizeof(mant[0]); i++) {
		double t = d + log10(mant[i]);
		if (up ? t >= v - 1e-9 && t < best : t <= v + 1e-9 && t > best)
			best = t;
	}
	return best;
}

/* Range over every usable value; log axes snap to decades (tight ones to the 1-2-5 values around
 * the data, plus 5% of the span on each side, so a tick always falls inside), linear ones start
 * at 0. */
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
	if (ax->log && ax->tight) {
		lo = round125(lo, false);
		hi = round125(hi, true);
		double pad = (hi - lo) * 0.05;
		pad = pad < 0.08 ? 0.08 : pad;
		lo -= pad;
		hi += pad;
	} else if (ax->log) {
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

static double px(const struct frame *fr, double v)
{
	return ML + (to_axis(&fr->x, v) - fr->x.lo) / (fr->x.hi - fr->x.lo) * (W - ML - MR);
}

static double py(const struct frame *fr, double v)
{
	return fr->top + PLOT_H - (to_axis(&fr->y, v) - fr->y.lo) / (fr->y.hi - fr->y.lo) * PLOT_H;
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

static void tick(FILE *f, const struct frame *fr, double v, bool horizontal)
{
	char label[32];
	tick_label(label, sizeof(label), v);
	if (horizontal) {
		double x = px(fr, v);
		fprintf(f, "<line class=\"grid\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>"
			"<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%s</text>\n", x, fr->top, x,
			fr->top + PLOT_H, x, fr->top + PLOT_H + 16, label);
	} else {
		double y = py(fr, v);
		fprintf(f, "<line class=\"grid\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>"
			"<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%s</text>\n", ML, y, W - MR,
			y, ML - 6, y + 4, label);
	}
}

static void axis_ticks(FILE *f, const struct frame *fr, bool horizontal)
{
	const struct axis *ax = horizontal ? &fr->x : &fr->y;
	if (ax->log && ax->tight) { /* 1-2-5 in each decade, decades only past 2.5 of them */
		static const double mant[] = {1, 2, 5};
		size_t nm = ax->hi - ax->lo > 2.5 ? 1 : 3;
		for (double d = floor(ax->lo); d <= ceil(ax->hi); d++)
			for (size_t i = 0; i < nm; i++) {
				double t = d + log10(mant[i]);
				if (t >= ax->lo && t <= ax->hi)
					tick(f, fr, pow(10, t), horizontal);
			}
		return;
	}
	double step = ax->log ? 1 : pow(10, floor(log10(ax->hi - ax->lo)));
	if (!ax->log && (ax->hi - ax->lo) / step < 4)
		step /= 2;
	if (ax->log && ax->hi - ax->lo > 8)
		step = 2;
	for (double t = ax->lo; t <= ax->hi + 1e-9; t += step)
		tick(f, fr, ax->log ? pow(10, t) : t, horizontal);
}

/* Lays the legend out in rows above the frame (left to right, wrapping at the right margin)
 * and writes it when f is not NULL. @return the number of rows. */
static size_t legend(FILE *f, const struct series *s, size_t ns)
{
	double x = ML;
	size_t rows = 1;
	if (f)
		fprintf(f, "<g class=\"legend\">\n");
	for (size_t i = 0; i < ns; i++) {
		if (s[i].n < 2)
			continue;
		double w = 24 + LEG_CHAR * (double)strlen(s[i].name) + 16;
		if (x > ML && x + w > W - MR) {
			x = ML;
			rows++;
		}
		double y = 8 + 11 + (double)(rows - 1) * LEG_ROW;
		if (f) {
			fprintf(f, "<g class=\"key\"><line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
				"stroke=\"%s\" stroke-width=\"3\"%s/><text x=\"%.1f\" y=\"%.1f\">", x,
				y - 4, x + 18, y - 4, s[i].color,
				s[i].dashed ? " stroke-dasharray=\"6 4\"" : "", x + 24, y);
			html_escape(f, s[i].name);
			fprintf(f, "</text></g>\n");
		}
		x += w;
	}
	if (f)
		fprintf(f, "</g>\n");
	return rows;
}

static void card_begin(FILE *f, const char *panel, const char *title, const char *note)
{
	fprintf(f, "<section class=\"card\" data-panel=\"%s\"><h3>", panel);
	html_escape(f, title);
	fprintf(f, "</h3>\n");
	if (note) {
		fprintf(f, "<p class=\"note\">");
		html_escape(f, note);
		fprintf(f, "</p>\n");
	}
}

static void nodata(FILE *f, const char *why)
{
	fprintf(f, "<p class=\"nodata\">");
	html_escape(f, why);
	fprintf(f, "</p></section>\n");
}

static void chart(FILE *f, const struct chart_spec *c, const struct series *s, size_t ns)
{
	struct frame fr = {.x = {.log = c->xlog, .tight = c->xtight}, .y = {.log = c->ylog}};
	size_t points = 0, drawn = 0;
	card_begin(f, c->panel, c->title, c->note);
	for (size_t i = 0; i < ns; i++)
		drawn += s[i].n >= 2;
	if (!drawn || !axis_fit(&fr.x, s, ns, true) || !axis_fit(&fr.y, s, ns, false)) {
		nodata(f, "No data for this chart in this profile.");
		return;
	}
	fr.top = 8 + (double)legend(NULL, s, ns) * LEG_ROW + 10;
	fr.h = fr.top + PLOT_H + MB;
	fprintf(f, "<svg class=\"chart\" viewBox=\"0 0 %.0f %.0f\" role=\"img\" aria-label=\"", W,
		fr.h);
	html_escape(f, c->title);
	fprintf(f, "\" data-series=\"%zu\">\n", drawn);
	axis_ticks(f, &fr, true);
	axis_ticks(f, &fr, false);
	fprintf(f, "<rect class=\"frame\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\"/>\n", ML,
		fr.top, W - ML - MR, PLOT_H);
	if (c->band1 > c->band0 && !c->xlog) {
		double x0 = fmax(px(&fr, c->band0), ML), x1 = fmin(px(&fr, c->band1), W - MR);
		if (x1 > x0)
			fprintf(f, "<rect class=\"warmup\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
				"height=\"%.1f\"><title>warm-up (--warmup): kept out of the totals"
				"</title></rect>\n<text x=\"%.1f\" y=\"%.1f\">warm-up</text>\n",
				x0, fr.top, x1 - x0, PLOT_H, x0 + 4, fr.top + 14);
	}
	fprintf(f, "<text class=\"label\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">",
		(ML + W - MR) / 2, fr.h - 8);
	html_escape(f, c->xlabel);
	fprintf(f, "</text><text class=\"label\" transform=\"translate(14 %.1f) rotate(-90)\" "
		"text-anchor=\"middle\">", fr.top + PLOT_H / 2);
	html_escape(f, c->ylabel);
	fprintf(f, "</text>\n");
	for (size_t i = 0; i < ns; i++) {
		if (s[i].n < 2)
			continue;
		fprintf(f, "<path class=\"series\" fill=\"none\" stroke=\"%s\" stroke-width=\"2\"%s d=\"",
			s[i].color, s[i].dashed ? " stroke-dasharray=\"6 4\"" : "");
		bool first = true;
		for (size_t j = 0; j < s[i].n; j++) {
			if (!usable(&fr.x, s[i].x[j]) || !usable(&fr.y, s[i].y[j]))
				continue;
			double x = px(&fr, s[i].x[j]), y = py(&fr, s[i].y[j]);
			/* clip to the plot area (fitted lines may leave it) */
			y = y < fr.top ? fr.top : y > fr.top + PLOT_H ? fr.top + PLOT_H : y;
			fprintf(f, "%s%.1f %.1f", first ? "M" : " L", x, y);
			first = false;
			points++;
		}
		fprintf(f, "\"><title>");
		html_escape(f, s[i].name);
		fprintf(f, "</title></path>\n");
	}
	legend(f, s, ns);
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

/* Appends bucket [x0, x1) at height y to a step series. */
static void step(struct series *s, double x0, double x1, double y)
{
	if (s->n + 2 > MAXPTS * 2 + 2)
		return;
	s->x[s->n] = x0;
	s->y[s->n++] = y;
	s->x[s->n] = x1;
	s->y[s->n++] = y;
}

/* Colours by profile (A, B) and by kind of series within a chart. */
static const char *const palette[2][2] = {{"#1f6feb", "#d9480f"}, {"#2f9e44", "#9c36b5"}};

/* The next series of a chart: profile p of the view, kind k (0 solid, 1 dashed); in a
 * comparison the name gets "A: " or "B: " and B is dashed. */
static struct series *series_add(struct series *s, size_t *ns, const struct view *v, size_t p,
				 unsigned k, const char *name)
{
	struct series *x = &s[(*ns)++];
	memset(x, 0, sizeof(*x));
	snprintf(x->name, sizeof(x->name), "%s%.92s", v->n > 1 ? (p ? "B: " : "A: ") : "", name);
	x->color = palette[p][k];
	x->dashed = k == 1 || p == 1;
	return x;
}

/* ---- tables ---- */

/* A share as a bar of up to `width` px and a percentage. */
static void bar_cell(FILE *f, double frac, const char *color, double width)
{
	if (!isfinite(frac)) {
		fprintf(f, "<td>-</td>");
		return;
	}
	fprintf(f, "<td><span class=\"bar\" style=\"width:%.0fpx;background:%s\"></span> %.1f%%</td>",
		frac * width, color, frac * 100);
}

/* Bars are narrower when two profiles share a row. */
static double bar_width(const struct view *v)
{
	return v->n > 1 ? 100 : 200;
}

static void table_begin(FILE *f, const char *const *head, size_t n)
{
	fprintf(f, "<table>\n<tr>");
	for (size_t i = 0; i < n; i++)
		fprintf(f, "<th>%s</th>", head[i]);
	fprintf(f, "</tr>\n");
}

static const char *name_of(const struct view *v, size_t p)
{
	const char *path = v->an[p]->src.path;
	return path ? path : p ? "B" : "A";
}

/* A card per profile (the title names it in a comparison). */
static void card_for(FILE *f, const struct view *v, size_t p, const char *panel,
		     const char *title, const char *note)
{
	char t[160];
	snprintf(t, sizeof(t), v->n > 1 ? "%s (%s: %s)" : "%s", title, p ? "B" : "A", name_of(v, p));
	card_begin(f, panel, t, note);
}

/* The overview: one column per profile. */
static void overview_table(FILE *f, const struct view *v)
{
	char buf[96];
	static const char *const labels[] = {
		"requests", "commands", "duration", "connections", "unique keys", "mean rate",
		"peak rate", "Zipf alpha (OLS, R^2)", "Zipf alpha (MLE)", "one-hit wonders",
		"hit ratio", "capture losses",
	};
	card_begin(f, "overview", "Overview", NULL);
	fprintf(f, "<table>\n");
	if (v->n > 1)
		fprintf(f, "<tr><th></th><th>A</th><th>B</th></tr>\n");
	for (size_t row = 0; row < sizeof(labels) / sizeof(labels[0]); row++) {
		fprintf(f, "<tr><th>%s</th>", labels[row]);
		for (size_t p = 0; p < v->n; p++) {
			const struct analysis *a = v->an[p];
			const struct mb_profile_stats *st = &a->src.stats;
			switch (row) {
			case 0: snprintf(buf, sizeof(buf), "%llu", (unsigned long long)a->requests); break;
			case 1: snprintf(buf, sizeof(buf), "%llu", (unsigned long long)a->commands); break;
			case 2: snprintf(buf, sizeof(buf), "%.3f s", a->duration_s); break;
			case 3:
				snprintf(buf, sizeof(buf), "%llu", (unsigned long long)a->connections);
				break;
			case 4:
				snprintf(buf, sizeof(buf), "%s%llu", a->sketches ? "~" : "",
					 (unsigned long long)a->unique_keys);
				break;
			case 5: snprintf(buf, sizeof(buf), "%.1f req/s", a->mean_rps); break;
			case 6: snprintf(buf, sizeof(buf), "%.1f req/s", a->peak_rps); break;
			case 7:
				snprintf(buf, sizeof(buf), "%.3f (%.3f)", a->zipf_ols, a->zipf_r2);
				break;
			case 8: snprintf(buf, sizeof(buf), "%.3f", a->zipf_mle); break;
			case 9:
				snprintf(buf, sizeof(buf), "%.1f%% of keys", a->one_hit_fraction * 100);
				break;
			case 10:
				if (a->responded)
					snprintf(buf, sizeof(buf), "%.2f%%", a->hit_ratio * 100);
				else
					snprintf(buf, sizeof(buf), "not captured");
				break;
			default:
				snprintf(buf, sizeof(buf), "%llu drops, %llu gaps, %llu protocol errors",
					 (unsigned long long)st->ring_drops,
					 (unsigned long long)st->stream_gaps,
					 (unsigned long long)st->protocol_errors);
			}
			fprintf(f, "<td>");
			html_escape(f, buf);
			fprintf(f, "</td>");
		}
		fprintf(f, "</tr>\n");
	}
	fprintf(f, "</table></section>\n");
}

/* Op mix: requests and share per profile. */
static void op_mix_table(FILE *f, const struct view *v)
{
	static const char *const head1[] = {"command", "requests", "share"};
	static const char *const head2[] = {"command", "requests A", "share A", "requests B",
					    "share B"};
	card_begin(f, "op-mix", "Op mix", NULL);
	table_begin(f, v->n > 1 ? head2 : head1, v->n > 1 ? 5 : 3);
	for (unsigned op = 0; op < MB_OP_COUNT; op++) {
		if (!v->an[0]->ops[op] && (v->n < 2 || !v->an[1]->ops[op]))
			continue;
		fprintf(f, "<tr><td>%s</td>", mb_op_name(op));
		for (size_t p = 0; p < v->n; p++) {
			const struct analysis *a = v->an[p];
			fprintf(f, "<td>%llu</td>", (unsigned long long)a->ops[op]);
			bar_cell(f, an_frac(a->ops[op], a->requests), palette[p][0], bar_width(v));
		}
		fprintf(f, "</tr>\n");
	}
	fprintf(f, "</table></section>\n");
}

/* Opens a row: a key (or prefix) in code, its requests (~ for an estimate) and share. */
static void key_row(FILE *f, const char *name, bool estimate, uint64_t requests, double frac,
		    const char *color)
{
	fprintf(f, "<tr><td><code>");
	html_escape(f, name);
	fprintf(f, "</code></td><td>%s%llu</td>", estimate ? "~" : "", (unsigned long long)requests);
	bar_cell(f, frac, color, 200);
}

/* Top keys of profile p: key (or #id when keys are anonymous), requests, share. */
static void top_keys_table(FILE *f, const struct view *v, size_t p)
{
	static const char *const head[] = {"key", "requests", "share of keyed requests"};
	const struct analysis *a = v->an[p];
	char note[128];
	snprintf(note, sizeof(note), "the %zu most requested keys: %s%.1f%% of keyed requests%s",
		 a->ntop, a->sketches ? "~" : "", a->top_share * 100,
		 a->sketches ? " (Space-Saving upper bounds)" : "");
	card_for(f, v, p, "top-keys", "Top keys", a->ntop ? note : NULL);
	if (!a->ntop) {
		nodata(f, "No keyed requests in this profile.");
		return;
	}
	table_begin(f, head, 3);
	for (size_t i = 0; i < a->ntop; i++) {
		char name[72];
		an_topkey_name(a, &a->top[i], name, sizeof(name));
		key_row(f, name, a->sketches, a->top[i].count, an_frac(a->top[i].count, a->keyed),
			palette[p][0]);
		fprintf(f, "</tr>\n");
	}
	fprintf(f, "</table></section>\n");
}

#define MAX_PREFIX_ROWS 20

static void prefixes_table(FILE *f, const struct view *v, size_t p)
{
	static const char *const head[] = {"prefix", "requests", "share", "keys"};
	const struct analysis *a = v->an[p];
	char note[96];
	snprintf(note, sizeof(note), "key up to the first '%c'%s", a->cfg.delim,
		 a->nprefixes > MAX_PREFIX_ROWS ? "; the 20 busiest shown (--json has all)" : "");
	card_for(f, v, p, "prefixes", "Key prefixes", note);
	if (!a->nprefixes) {
		nodata(f, "No key prefixes: the profile keeps no key bytes (anonymized keys).");
		return;
	}
	table_begin(f, head, 4);
	for (size_t i = 0; i < a->nprefixes && i < MAX_PREFIX_ROWS; i++) {
		const struct an_prefix *x = &a->prefixes[i];
		key_row(f, x->prefix[0] ? x->prefix : "(none)", false, x->requests,
			an_frac(x->requests, a->keyed), palette[p][0]);
		fprintf(f, "<td>%llu</td></tr>\n", (unsigned long long)x->keys);
	}
	fprintf(f, "</table></section>\n");
}

static void conns_table(FILE *f, const struct view *v, size_t p)
{
	static const char *const head[] = {"connection", "commands", "share", "req/s"};
	const struct analysis *a = v->an[p];
	card_for(f, v, p, "connections", "Busiest connections",
		 "commands per connection; req/s over the connection's own lifetime");
	if (!a->ntop_conns) {
		nodata(f, "No connections in this profile.");
		return;
	}
	table_begin(f, head, 4);
	for (size_t i = 0; i < a->ntop_conns; i++) {
		const struct an_conn_top *c = &a->top_conns[i];
		fprintf(f, "<tr><td>conn %u</td><td>%llu</td>", c->conn_id,
			(unsigned long long)c->commands);
		bar_cell(f, an_frac(c->commands, a->commands), palette[p][0], 200);
		fprintf(f, "<td>%.1f</td></tr>\n", c->rps);
	}
	fprintf(f, "</table></section>\n");
}

static bool status_is_error(unsigned s)
{
	return s >= MB_STATUS_ERROR;
}

/* Statuses of the captured responses and the capture's own errors, one column per profile. */
static void status_table(FILE *f, const struct view *v)
{
	bool any = false;
	for (size_t p = 0; p < v->n; p++)
		any |= v->an[p]->responded > 0;
	card_begin(f, "statuses", "Statuses and errors",
		   "per request with a captured response; error statuses in bold");
	if (!any) {
		nodata(f, v->n > 1 ? "Responses were not captured in either profile: no statuses." :
			  "Responses were not captured in this profile: no statuses.");
		return;
	}
	fprintf(f, "<table>\n<tr><th>status</th>");
	for (size_t p = 0; p < v->n; p++)
		fprintf(f, "<th>requests%s</th><th>share%s</th>", v->n > 1 ? (p ? " B" : " A") : "",
			v->n > 1 ? (p ? " B" : " A") : "");
	fprintf(f, "</tr>\n");
	for (unsigned s = 1; s < MB_STATUS_COUNT; s++) {
		if (!v->an[0]->status[s] && (v->n < 2 || !v->an[1]->status[s]))
			continue;
		fprintf(f, status_is_error(s) ? "<tr class=\"err\"><td><b>%s</b></td>" :
						"<tr><td>%s</td>", mb_status_name(s));
		for (size_t p = 0; p < v->n; p++) {
			const struct analysis *a = v->an[p];
			uint64_t with = 0;
			for (unsigned t = 1; t < MB_STATUS_COUNT; t++)
				with += a->status[t];
			fprintf(f, "<td>%llu</td>", (unsigned long long)a->status[s]);
			bar_cell(f, an_frac(a->status[s], with), palette[p][status_is_error(s)],
				 bar_width(v));
		}
		fprintf(f, "</tr>\n");
	}
	static const char *const losses[] = {"capture: ring drops", "capture: stream gaps",
					     "capture: protocol errors", "bad records"};
	for (size_t row = 0; row < sizeof(losses) / sizeof(losses[0]); row++) {
		fprintf(f, "<tr><td>%s</td>", losses[row]);
		for (size_t p = 0; p < v->n; p++) {
			const struct analysis *a = v->an[p];
			const struct mb_profile_stats *st = &a->src.stats;
			uint64_t n = row == 0 ? st->ring_drops : row == 1 ? st->stream_gaps :
				     row == 2 ? st->protocol_errors : a->bad_records;
			fprintf(f, "<td>%llu</td><td></td>", (unsigned long long)n);
		}
		fprintf(f, "</tr>\n");
	}
	fprintf(f, "</table></section>\n");
}

/* ---- charts of a view ---- */

/* A CDF chart of one histogram per profile (or two, with `h2`). */
static void cdf_chart(FILE *f, struct series *s, const struct view *v, const struct chart_spec *c,
		      enum an_hist_id h1, const char *name1, int h2, const char *name2,
		      double scale)
{
	size_t ns = 0;
	for (size_t p = 0; p < v->n; p++) {
		cdf_series(series_add(s, &ns, v, p, 0, name1), &v->an[p]->h[h1], scale, c->xlog);
		if (h2 >= 0)
			cdf_series(series_add(s, &ns, v, p, 1, name2), &v->an[p]->h[h2], scale,
				   c->xlog);
	}
	chart(f, c, s, ns);
}

static void rank_chart(FILE *f, struct series *s, const struct view *v)
{
	size_t ns = 0;
	bool sampled = false;
	for (size_t p = 0; p < v->n; p++) {
		const struct analysis *a = v->an[p];
		sampled |= a->sketches;
		struct series *obs = series_add(s, &ns, v, p, 0, "observed");
		obs->n = an_rank_points(a, obs->x, obs->y, MAXPTS);
		char fit_name[96];
		snprintf(fit_name, sizeof(fit_name), "least squares, alpha %.3f (MLE %.3f)",
			 a->zipf_ols, a->zipf_mle);
		struct series *fit = series_add(s, &ns, v, p, 1, fit_name);
		if (obs->n >= 2 && isfinite(a->zipf_ols_intercept)) {
			double rmax = obs->x[obs->n - 1];
			for (size_t i = 0; i < 32; i++) {
				double r = pow(rmax, (double)i / 31);
				fit->x[i] = r;
				fit->y[i] = exp(a->zipf_ols_intercept - a->zipf_ols * log(r));
			}
			fit->n = 32;
		}
	}
	chart(f, &(struct chart_spec){.panel = "rank", .title = "Rank-frequency",
		     .note = sampled ? "sampled keys (estimate)" : NULL, .xlabel = "rank",
		     .ylabel = "requests", .xlog = true, .ylog = true}, s, ns);
}

/* Width of the time-series buckets drawn: a->tb_width_ns doubled until MAXPTS of them fit. */
static uint64_t series_width(const struct analysis *a)
{
	uint64_t width = a->tb_width_ns;
	while (an_series_len(a, width) > MAXPTS)
		width *= 2;
	return width;
}

/* Request rate and hit ratio over time, as steps over the series buckets. */
static void time_charts(FILE *f, struct series *s, const struct view *v)
{
	size_t ns = 0;
	double wmax = 0;
	bool responded = false;
	for (size_t p = 0; p < v->n; p++) {
		const struct analysis *a = v->an[p];
		uint64_t width = series_width(a);
		double wsec = (double)width / 1e9;
		wmax = wsec > wmax ? wsec : wmax;
		struct series *x = series_add(s, &ns, v, p, 0, "requests/s");
		for (size_t i = 0; i < an_series_len(a, width); i++)
			step(x, (double)i * wsec, (double)(i + 1) * wsec,
			     (double)an_series_at(a, width, i).requests / wsec);
		responded |= a->responded > 0;
	}
	char note[96];
	snprintf(note, sizeof(note), "requests per %g s bucket, divided by its width", wmax);
	chart(f, &(struct chart_spec){.panel = "rate", .title = "Request rate over time",
		     .note = note, .xlabel = "time since start (s)", .ylabel = "requests/s"}, s, ns);
	if (!responded)
		return;
	ns = 0;
	for (size_t p = 0; p < v->n; p++) {
		const struct analysis *a = v->an[p];
		uint64_t width = series_width(a);
		double wsec = (double)width / 1e9;
		struct series *x = series_add(s, &ns, v, p, 0, "hit ratio");
		for (size_t i = 0; i < an_series_len(a, width); i++) {
			struct an_tbucket b = an_series_at(a, width, i);
			if (b.hits + b.misses)
				step(x, (double)i * wsec, (double)(i + 1) * wsec,
				     (double)b.hits / (double)(b.hits + b.misses));
		}
	}
	chart(f, &(struct chart_spec){.panel = "hit-ratio", .title = "Hit ratio over time",
		     .xlabel = "time since start (s)", .ylabel = "hit ratio"}, s, ns);
}

static void charts(FILE *f, struct series *s, const struct view *v)
{
	const struct analysis *a = v->an[0];
	bool responded = false, sampled = false;
	for (size_t p = 0; p < v->n; p++) {
		responded |= v->an[p]->responded > 0;
		sampled |= v->an[p]->sketches;
	}
	cdf_chart(f, s, v, &(struct chart_spec){.panel = "key-size", .title = "Key size CDF",
		  .note = "axis fitted to the key sizes seen", .xlabel = "key size (bytes)",
		  .ylabel = "fraction <= x", .xlog = true, .xtight = true},
		  AN_H_KEY_REQ, "per request", AN_H_KEY_OBJ, "per object", 1);
	cdf_chart(f, s, v, &(struct chart_spec){.panel = "value-size", .title = "Value size CDF",
		  .xlabel = "value size (bytes)", .ylabel = "fraction <= x", .xlog = true},
		  AN_H_VAL_REQ, "per request", AN_H_VAL_OBJ, "per object", 1);
	rank_chart(f, s, v);
	time_charts(f, s, v);
	cdf_chart(f, s, v, &(struct chart_spec){.panel = "inter-arrival",
		  .title = "Inter-arrival time CDF", .xlabel = "inter-arrival (us)",
		  .ylabel = "fraction <= x", .xlog = true},
		  AN_H_IAT, "all commands", AN_H_IAT_CONN, "same connection", 1e-3);
	char note[128];
	if (v->n > 1)
		snprintf(note, sizeof(note), "first accesses not shown%s",
			 sampled ? " (sampled keys)" : "");
	else
		snprintf(note, sizeof(note), "%llu reuses; %llu first accesses not shown%s",
			 (unsigned long long)a->reuse_requests, (unsigned long long)a->first_accesses,
			 sampled ? " (sampled keys)" : "");
	cdf_chart(f, s, v, &(struct chart_spec){.panel = "reuse-time", .title = "Reuse time CDF",
		  .note = note, .xlabel = "time since previous request (s)",
		  .ylabel = "fraction <= x", .xlog = true},
		  AN_H_REUSE_NS, "reuse time", -1, NULL, 1e-9);
	cdf_chart(f, s, v, &(struct chart_spec){.panel = "reuse-distance",
		  .title = "Reuse distance CDF",
		  .xlabel = "requests since the previous request to the key",
		  .ylabel = "fraction <= x", .xlog = true},
		  AN_H_REUSE_REQ, "reuse distance", -1, NULL, 1);
	if (responded) {
		cdf_chart(f, s, v, &(struct chart_spec){.panel = "latency",
			  .title = "Server latency CDF",
			  .note = "request seen to response seen, per command",
			  .xlabel = "latency (us)", .ylabel = "fraction <= x", .xlog = true},
			  AN_H_LATENCY, "server latency", -1, NULL, 1e-3);
	} else {
		card_begin(f, "latency", "Server latency", NULL);
		nodata(f, v->n > 1 ? "Responses were not captured in either profile." :
			  "Responses were not captured in this profile.");
	}

	/* TTLs: relative seconds; the writes without one are counted in the note */
	if (v->n > 1)
		snprintf(note, sizeof(note), "relative TTL of storage commands; no expiry: A %llu, "
			 "B %llu", (unsigned long long)a->ttl_none,
			 (unsigned long long)v->an[1]->ttl_none);
	else
		snprintf(note, sizeof(note), "relative TTL of storage commands; no expiry %llu, "
			 "absolute (unix time) %llu, already expired %llu",
			 (unsigned long long)a->ttl_none, (unsigned long long)a->ttl_absolute,
			 (unsigned long long)a->ttl_expired);
	cdf_chart(f, s, v, &(struct chart_spec){.panel = "ttl", .title = "TTL CDF", .note = note,
		  .xlabel = "TTL (s)", .ylabel = "fraction <= x", .xlog = true, .xtight = true},
		  AN_H_TTL, "TTL", -1, NULL, 1);
	cdf_chart(f, s, v, &(struct chart_spec){.panel = "multiget", .title = "Multiget size CDF",
		  .note = "keys per read command (1 = single-key get)", .xlabel = "keys per command",
		  .ylabel = "fraction <= x", .xlog = true, .xtight = true},
		  AN_H_BATCH, "keys per command", -1, NULL, 1);
	cdf_chart(f, s, v, &(struct chart_spec){.panel = "conn-rate",
		  .title = "Per-connection rate CDF",
		  .note = "requests per second of each connection over its lifetime",
		  .xlabel = "req/s per connection", .ylabel = "fraction <= x", .xlog = true,
		  .xtight = true},
		  AN_H_CONN_RPS, "connections", -1, NULL, 1e-3);
	if (responded)
		cdf_chart(f, s, v, &(struct chart_spec){.panel = "depth",
			  .title = "Pipelining depth CDF",
			  .note = "commands outstanding on the connection when one is sent",
			  .xlabel = "commands in flight", .ylabel = "fraction <= x", .xlog = true,
			  .xtight = true},
			  AN_H_DEPTH, "depth", -1, NULL, 1);
}

static void tables(FILE *f, const struct view *v)
{
	for (size_t p = 0; p < v->n; p++)
		top_keys_table(f, v, p);
	for (size_t p = 0; p < v->n; p++)
		prefixes_table(f, v, p);
	for (size_t p = 0; p < v->n; p++)
		conns_table(f, v, p);
	status_table(f, v);
}

/* ---- pages ---- */

static void page_begin(FILE *f, const char *title, const char *path)
{
	fprintf(f, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>");
	html_escape(f, title);
	fprintf(f, ": ");
	html_escape(f, path ? path : "");
	fprintf(f, "</title>\n<style>\n"
		"body{font:14px/1.4 system-ui,sans-serif;margin:24px;background:#f6f8fa;color:#1f2328}\n"
		".grid-wrap{display:grid;grid-template-columns:repeat(auto-fill,minmax(560px,1fr));gap:16px}\n"
		".card{background:#fff;border:1px solid #d0d7de;border-radius:6px;padding:12px 16px}\n"
		".wide{grid-column:1/-1}\n"
		"h3{margin:0 0 8px}svg.chart{width:100%%;height:auto}\n"
		"svg text{font-size:11px;fill:#57606a}svg .label{font-size:12px;fill:#1f2328}\n"
		"line.grid{stroke:#eaeef2}rect.frame{fill:none;stroke:#8c959f}\n"
		"rect.warmup{fill:#8c959f;fill-opacity:0.15}\n"
		"table{border-collapse:collapse}th,td{text-align:left;padding:2px 12px 2px 0}\n"
		"code{font-size:12px;word-break:break-all}\n"
		".bar{display:inline-block;height:10px;background:#1f6feb}\n"
		".pass{color:#1a7f37;font-weight:bold}.fail{color:#cf222e;font-weight:bold}\n"
		".note,.nodata{color:#57606a}\n</style></head><body>\n<h1>");
	html_escape(f, title);
	fprintf(f, "</h1>\n");
}

static void page_end(FILE *f)
{
	fprintf(f, "</div>\n</body></html>\n");
}

/* The line under the title: file, source and warnings of one profile. */
static void source_line(FILE *f, const struct analysis *a, const char *label)
{
	fprintf(f, "<p>%s", label);
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
	fprintf(f, "</p>\n");
}

static int view_page(FILE *f, const struct view *v, void (*top)(FILE *, const void *),
		     const void *top_ctx)
{
	struct series *s = calloc(MAXSERIES, sizeof(*s));
	if (!s)
		return -ENOMEM;
	page_begin(f, v->n > 1 ? "membench analyze --compare" : "membench analyze",
		   v->an[0]->src.path);
	for (size_t p = 0; p < v->n; p++)
		source_line(f, v->an[p], v->n > 1 ? (p ? "B: " : "A: ") : "");
	fprintf(f, "<div class=\"grid-wrap\">\n");
	if (top)
		top(f, top_ctx);
	overview_table(f, v);
	op_mix_table(f, v);
	charts(f, s, v);
	tables(f, v);
	page_end(f);
	free(s);
	return ferror(f) ? -EIO : 0;
}

int report_html(FILE *f, const struct analysis *a)
{
	struct view v = {.an = {a}, .n = 1};
	return view_page(f, &v, NULL, NULL);
}

struct compare_top {
	const struct an_compare *c;
	const struct fid_result *fid;
};

/* A table cell with `decimals` digits after the point, "-" when not defined. */
static void num_cell(FILE *f, double v, int decimals)
{
	if (isfinite(v))
		fprintf(f, "<td>%.*f</td>", decimals, v);
	else
		fprintf(f, "<td>-</td>");
}

/* The verdict card (every fidelity check) and the distances, first on the compare page. */
static void compare_top(FILE *f, const void *ctx)
{
	const struct compare_top *t = ctx;
	const struct an_compare *c = t->c;
	const struct fid_result *fid = t->fid;
	static const char *const head[] = {"check", "value", "threshold", "result", "definition"};
	card_begin(f, "verdict", "Fidelity verdict", "does B reproduce A? (docs/fidelity.md)");
	fprintf(f, "<p class=\"%s\" id=\"verdict\">verdict: %s</p>\n", fid->pass ? "pass" : "fail",
		fid->pass ? "PASS" : "FAIL");
	if (fid->speed != 1)
		fprintf(f, "<p class=\"note\">B's times multiplied by %g (replayed at %gx)</p>\n",
			fid->speed, fid->speed);
	table_begin(f, head, 5);
	for (unsigned i = 0; i < FID_NCHECKS; i++) {
		const struct fid_check *k = &fid->c[i];
		const char *res = !isfinite(k->value) && k->pass ? "n/a" : k->pass ? "PASS" : "FAIL";
		fprintf(f, "<tr><td>%s</td>", fid_check_name(i));
		num_cell(f, k->value, i == FID_REQUESTS || i == FID_NEW_ERRORS ? 0 :
			 4);
		fprintf(f, "<td>%g</td><td class=\"%s\">%s</td><td>", k->threshold,
			!isfinite(k->value) && k->pass ? "note" : k->pass ? "pass" : "fail", res);
		html_escape(f, fid_check_what(i));
		fprintf(f, "</td></tr>\n");
	}
	fprintf(f, "</table>\n<p class=\"note\">connections: A %llu, B %llu, A's without a matching "
		"B sequence %llu</p>\n", (unsigned long long)fid->conns_a,
		(unsigned long long)fid->conns_b,
		fid->conns_unmatched == UINT64_MAX ? 0ull : (unsigned long long)fid->conns_unmatched);
	if (fid_outcomes_skipped(fid))
		fprintf(f, "<p class=\"note\">outcomes: not compared, %s</p>\n",
			fid_outcomes_skipped(fid));
	fprintf(f, "</section>\n");

	static const struct {
		const char *name, *what;
		size_t off;
	} dists[] = {
		{"op mix (total variation)", "0.5 * sum |share A - share B|",
		 offsetof(struct an_compare, op_tvd)},
		{"key size (KS)", "max |CDF A - CDF B|, per request",
		 offsetof(struct an_compare, ks_key_size)},
		{"value size (KS)", "max |CDF A - CDF B|, per request",
		 offsetof(struct an_compare, ks_value_size)},
		{"inter-arrival (KS)", "max |CDF A - CDF B|, all commands",
		 offsetof(struct an_compare, ks_inter_arrival)},
		{"mean rate error", "(B - A) / A", offsetof(struct an_compare, rate_error)},
		{"peak rate error", "(B - A) / A", offsetof(struct an_compare, peak_rate_error)},
		{"Zipf alpha difference (OLS)", "B - A", offsetof(struct an_compare, zipf_ols_diff)},
		{"Zipf alpha difference (MLE)", "B - A", offsetof(struct an_compare, zipf_mle_diff)},
		{"hit ratio difference", "B - A", offsetof(struct an_compare, hit_ratio_diff)},
		{"unique keys ratio", "B / A", offsetof(struct an_compare, unique_keys_ratio)},
	};
	static const char *const dhead[] = {"distance", "value", "definition"};
	card_begin(f, "distances", "Distances", "0 = identical");
	table_begin(f, dhead, 3);
	for (size_t i = 0; i < sizeof(dists) / sizeof(dists[0]); i++) {
		double v;
		memcpy(&v, (const char *)c + dists[i].off, sizeof(v));
		fprintf(f, "<tr><td>%s</td>", dists[i].name);
		num_cell(f, v, 4);
		fprintf(f, "<td>%s</td></tr>\n", dists[i].what);
	}
	fprintf(f, "</table></section>\n");
}

int report_html_compare(FILE *f, const struct analysis *a, const struct analysis *b,
			const struct an_compare *c, const struct fid_result *fid)
{
	struct view v = {.an = {a, b}, .n = 2};
	struct compare_top t = {.c = c, .fid = fid};
	return view_page(f, &v, compare_top, &t);
}

/* ---- the replay page ---- */

/* Seconds per point so that a series of n seconds fits in MAXPTS buckets. */
static size_t replay_group(const struct an_replay *r)
{
	return r->nsecs > MAXPTS ? (r->nsecs + MAXPTS - 1) / MAXPTS : 1;
}

/* Per-second figures, as steps over buckets of g seconds: the mean of the rates, the worst of
 * the latencies. Second j's figure is the double at base + j * stride (SEC(field) for a member
 * of struct an_replay_sec). */
#define SEC(field) (const char *)r->secs + offsetof(struct an_replay_sec, field), \
	sizeof(struct an_replay_sec)

static void replay_series(struct series *x, const struct an_replay *r, const char *base,
			  size_t stride, bool worst)
{
	size_t g = replay_group(r);
	for (size_t i = 0; i < r->nsecs; i += g) {
		double sum = 0, max = NAN;
		size_t n = 0;
		for (size_t j = i; j < i + g && j < r->nsecs; j++, n++) {
			double v;
			memcpy(&v, base + j * stride, sizeof(v));
			sum += v;
			max = fmax(max, v); /* NAN (no figure that second) is skipped */
		}
		double y = worst ? max : sum / (double)n;
		if (isfinite(y))
			step(x, r->secs[i].t, r->secs[i].t + (double)n, y);
	}
}

static void lat_row(FILE *f, const char *label, const struct an_replay_lat *l)
{
	fprintf(f, "<tr><td>%s</td>", label);
	if (!l->count) {
		fprintf(f, "<td>0</td><td colspan=\"6\">-</td></tr>\n");
		return;
	}
	fprintf(f, "<td>%llu</td>", (unsigned long long)l->count);
	const double v[] = {l->p50, l->p90, l->p99, l->p999, l->p9999, l->max};
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		num_cell(f, v[i], 0);
	fprintf(f, "</tr>\n");
}

static void replay_tables(FILE *f, const struct an_replay *r)
{
	char buf[192];
	card_begin(f, "replay-summary", "Run", NULL);
	fprintf(f, "<table>\n");
	static const char *const labels[] = {
		"profile", "servers", "settings", "requests sent", "commands sent", "responses",
		"target rate", "achieved rate", "duration", "errors", "stalls, reconnects",
		"skipped (late, server-wide)", "bytes sent / received", "warm-up",
	};
	for (size_t row = 0; row < sizeof(labels) / sizeof(labels[0]); row++) {
		const char *text = buf;
		if (row == 13 && !r->has_warmup)
			break;
		switch (row) {
		case 0: text = r->profile; break;
		case 1: text = r->servers; break;
		case 2: text = r->settings; break;
		case 3: snprintf(buf, sizeof(buf), "%llu", (unsigned long long)r->requests_sent); break;
		case 4: snprintf(buf, sizeof(buf), "%llu", (unsigned long long)r->commands_sent); break;
		case 5: snprintf(buf, sizeof(buf), "%llu", (unsigned long long)r->responses); break;
		case 6:
			if (r->target_rate > 0)
				snprintf(buf, sizeof(buf), "%.1f req/s", r->target_rate);
			else
				snprintf(buf, sizeof(buf), "none (--rate max)");
			break;
		case 7: snprintf(buf, sizeof(buf), "%.1f req/s", r->achieved_rate); break;
		case 8:
			snprintf(buf, sizeof(buf), "%.3f s%s", r->duration_s,
				 r->interrupted ? " (interrupted)" : "");
			break;
		case 9: snprintf(buf, sizeof(buf), "%llu", (unsigned long long)r->errors_total); break;
		case 10:
			snprintf(buf, sizeof(buf), "%llu, %llu", (unsigned long long)r->stalls,
				 (unsigned long long)r->reconnects);
			break;
		case 11:
			snprintf(buf, sizeof(buf), "%llu, %llu", (unsigned long long)r->skipped_late,
				 (unsigned long long)r->skipped_commands);
			break;
		case 12:
			snprintf(buf, sizeof(buf), "%llu / %llu", (unsigned long long)r->bytes_sent,
				 (unsigned long long)r->bytes_received);
			break;
		default:
			snprintf(buf, sizeof(buf), "the first %.3f s: %llu requests sent, kept out of "
				 "every figure here (shaded in the charts over time)", r->warmup_s,
				 (unsigned long long)r->warmup_requests);
		}
		fprintf(f, "<tr><th>%s</th><td>", labels[row]);
		html_escape(f, text);
		fprintf(f, "</td></tr>\n");
	}
	fprintf(f, "</table></section>\n");

	static const char *const lhead[] = {"latency (us)", "count", "p50", "p90", "p99",
					    "p99.9", "p99.99", "max"};
	card_begin(f, "replay-latency", "Latency",
		   "corrected: from the intended send time (no coordinated omission); "
		   "uncorrected: from the actual send");
	table_begin(f, lhead, 8);
	lat_row(f, "corrected", &r->lat_corrected);
	lat_row(f, "uncorrected", &r->lat_uncorrected);
	lat_row(f, "schedule lag", &r->sched_lag);
	fprintf(f, "</table></section>\n");

	static const char *const chead[] = {"command", "sent", "responses", "ops/s", "KB/s",
					    "p50 us", "p99 us", "p99.9 us", "statuses"};
	card_begin(f, "replay-commands", "Per command", "latency corrected, per command");
	if (!r->ncmds) {
		nodata(f, "No command was sent.");
	} else {
		table_begin(f, chead, 9);
		for (size_t i = 0; i < r->ncmds; i++) {
			const struct an_replay_cmd *c = &r->cmds[i];
			fprintf(f, "<tr><td>");
			html_escape(f, c->name);
			fprintf(f, "</td><td>%llu</td><td>%llu</td>", (unsigned long long)c->sent,
				(unsigned long long)c->responses);
			num_cell(f, c->ops_per_s, 1);
			num_cell(f, c->kb_per_s, 1);
			num_cell(f, c->lat.p50, 0);
			num_cell(f, c->lat.p99, 0);
			num_cell(f, c->lat.p999, 0);
			fprintf(f, "<td>");
			html_escape(f, c->status);
			fprintf(f, "</td></tr>\n");
		}
		fprintf(f, "</table></section>\n");
	}

	static const char *const ehead[] = {"error", "count", "share of requests sent"};
	card_begin(f, "replay-errors", "Errors", "per key answered so, or per command "
		   "(timeout, disconnect, unanswered, unsent, unsupported); docs/replay.md");
	table_begin(f, ehead, 3);
	for (size_t i = 0; i < r->nerrors; i++) {
		fputs(r->errors[i].count ? "<tr class=\"err\"><td><b>" : "<tr><td>", f);
		html_escape(f, r->errors[i].name);
		fputs(r->errors[i].count ? "</b></td>" : "</td>", f);
		fprintf(f, "<td>%llu</td>", (unsigned long long)r->errors[i].count);
		bar_cell(f, an_frac(r->errors[i].count, r->requests_sent), palette[0][1], 200);
		fprintf(f, "</tr>\n");
	}
	fprintf(f, "<tr><th>total</th><td>%llu</td>", (unsigned long long)r->errors_total);
	bar_cell(f, an_frac(r->errors_total, r->requests_sent), palette[0][1], 200);
	fprintf(f, "</tr>\n</table></section>\n");
}

/* The seconds `timeseries` marks as warm-up, as [*t0, *t1); both 0 when none is. */
static void replay_warmup_band(const struct an_replay *r, double *t0, double *t1)
{
	*t0 = *t1 = 0;
	bool any = false;
	for (size_t i = 0; i < r->nsecs; i++) {
		if (!r->secs[i].warmup)
			continue;
		*t0 = any ? fmin(*t0, r->secs[i].t) : r->secs[i].t;
		*t1 = fmax(*t1, r->secs[i].t + 1);
		any = true;
	}
}

static void replay_charts(FILE *f, struct series *s, const struct an_replay *r)
{
	struct view v = {.n = 1};
	size_t ns = 0, g = replay_group(r);
	char note[128];
	double b0, b1;
	replay_warmup_band(r, &b0, &b1);
	snprintf(note, sizeof(note), "requests sent per second%s; the target is the profile's mean "
		 "rate x speed", g > 1 ? " (mean of each bucket)" : "");
	replay_series(series_add(s, &ns, &v, 0, 0, "sent/s"), r, SEC(sent), false);
	if (r->target_rate > 0 && r->nsecs) {
		struct series *t = series_add(s, &ns, &v, 0, 1, "target rate");
		step(t, 0, r->secs[r->nsecs - 1].t + 1, r->target_rate);
	}
	chart(f, &(struct chart_spec){.panel = "replay-rate", .title = "Sent rate over time",
		     .note = note, .band0 = b0, .band1 = b1,
		     .xlabel = "time since start (s)", .ylabel = "requests/s"}, s, ns);

	ns = 0;
	for (size_t k = 0; k < r->ncmds && ns < MAXSERIES; k++)
		replay_series(series_add(s, &ns, &v, k / 2 % 2, k % 2, r->cmds[k].name), r,
			      (const char *)r->cmds[k].sent_s, sizeof(double), false);
	snprintf(note, sizeof(note), "commands sent per second, per command%s%s",
		 g > 1 ? " (mean of each bucket)" : "",
		 r->ncmds > MAXSERIES ? "; the first 8 commands" : "");
	chart(f, &(struct chart_spec){.panel = "replay-commands-time",
		     .title = "Commands per second", .note = note,
		     .band0 = b0, .band1 = b1,
		     .xlabel = "time since start (s)", .ylabel = "commands/s"}, s, ns);

	ns = 0;
	replay_series(series_add(s, &ns, &v, 0, 0, "p50"), r, SEC(p50_us), true);
	replay_series(series_add(s, &ns, &v, 0, 1, "p99"), r, SEC(p99_us), true);
	replay_series(series_add(s, &ns, &v, 1, 1, "max"), r, SEC(max_us), true);
	snprintf(note, sizeof(note), "corrected latency of the responses in each second%s",
		 g > 1 ? " (the worst second of each bucket)" : "");
	chart(f, &(struct chart_spec){.panel = "replay-latency-time", .title = "Latency over time",
		     .note = note, .band0 = b0, .band1 = b1,
		     .xlabel = "time since start (s)", .ylabel = "latency (us)",
		     .ylog = true}, s, ns);

	ns = 0;
	replay_series(series_add(s, &ns, &v, 0, 0, "schedule lag p99"), r, SEC(lag_p99_us), true);
	chart(f, &(struct chart_spec){.panel = "replay-lag", .title = "Schedule lag over time",
		     .note = "p99 of actual send - intended send (open loop only)",
		     .band0 = b0, .band1 = b1,
		     .xlabel = "time since start (s)", .ylabel = "lag p99 (us)", .ylog = true}, s, ns);

	bool any = false;
	for (size_t i = 0; i < r->nsecs; i++)
		any |= r->secs[i].errors > 0 || r->secs[i].outstanding > 0;
	if (!any) {
		card_begin(f, "replay-errors-time", "Errors and outstanding over time", NULL);
		nodata(f, "No error in any second, and nothing outstanding at the end of any second.");
		return;
	}
	ns = 0;
	replay_series(series_add(s, &ns, &v, 0, 0, "errors/s"), r, SEC(errors), false);
	replay_series(series_add(s, &ns, &v, 0, 1, "outstanding"), r, SEC(outstanding), false);
	chart(f, &(struct chart_spec){.panel = "replay-errors-time",
		     .title = "Errors and outstanding over time",
		     .note = "errors counted in the second they happened; commands in flight at "
			     "the end of each second", .band0 = b0, .band1 = b1,
		     .xlabel = "time since start (s)",
		     .ylabel = "count"}, s, ns);
}

int report_html_replay(FILE *f, const struct an_replay *r)
{
	struct series *s = calloc(MAXSERIES, sizeof(*s));
	if (!s)
		return -ENOMEM;
	page_begin(f, "membench replay", r->path);
	fprintf(f, "<p>");
	html_escape(f, r->path ? r->path : "");
	fprintf(f, " &mdash; replay of ");
	html_escape(f, r->profile);
	fprintf(f, " against ");
	html_escape(f, r->servers);
	if (r->interrupted)
		fprintf(f, " &mdash; <strong>interrupted run</strong>");
	fprintf(f, "</p>\n<div class=\"grid-wrap\">\n");
	replay_tables(f, r);
	replay_charts(f, s, r);
	page_end(f);
	free(s);
	return ferror(f) ? -EIO : 0;
}
