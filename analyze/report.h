/* Reports of a finished analysis (analysis.h): readable text, JSON (schema in
 * docs/analyze-json-schema.json, described in docs/analyze.md) and a self-contained HTML page, plus
 * the side-by-side comparison of two analyses. Every function writes to a caller's FILE and
 * @return 0, or -EIO when the stream reported a write error.
 */
#ifndef MB_ANALYZE_REPORT_H
#define MB_ANALYZE_REPORT_H

#include <stdbool.h>
#include <stdio.h>

#include "analysis.h"
#include "fidelity.h"
#include "membench/json.h"

#define AN_JSON_SCHEMA "membench-analyze/1"
#define AN_JSON_COMPARE_SCHEMA "membench-analyze-compare/1"

/* Summary of a distribution; percentiles use the nearest-rank rule on the histogram. */
struct an_dist {
	uint64_t count;
	double mean;
	uint64_t min, p50, p90, p99, p999, max;
};
void an_dist_of(const struct mb_hist *h, struct an_dist *d);

/* Counts of h falling in [edges[i], edges[i+1]) (by bucket low value), i < nedges - 1, plus the
 * values >= the last edge in out[nedges - 1]. */
void an_hist_bins(const struct mb_hist *h, const uint64_t *edges, size_t nedges, uint64_t *out);

/* Up to max points of the CDF of h: x = highest value of a bucket (capped at the max seen),
 * y = fraction of values <= x; thinned evenly when there are more buckets. @return points. */
size_t an_cdf_points(const struct mb_hist *h, double *x, double *y, size_t max);
/* Up to max (rank, frequency) points of the rank-frequency table at roughly log-spaced ranks,
 * always including the first and last rank. @return points. */
size_t an_rank_points(const struct analysis *a, double *rank, double *freq, size_t max);

/* The name of top key t for a report, at most 60 bytes of it: the key, "prefix... #id" when only
 * prefixes were kept, "#id" when keys are anonymized; control bytes and DEL become '?'. */
void an_topkey_name(const struct analysis *a, const struct an_topkey *t, char *buf, size_t len);

/* Edges of the log bins used by every report: reuse time (ns, decades from 1 us) and reuse
 * distance / batch size (powers of two). */
extern const uint64_t an_reuse_time_edges[];
extern const size_t an_reuse_time_nedges;
extern const char *const an_reuse_time_labels[];

/* `utf8`: draw bars with Unicode block characters (else ASCII '#'). */
int report_text(FILE *f, const struct analysis *a, bool utf8);
int report_json(FILE *f, const struct analysis *a);
/* Writes the report object (used by report_json and the comparison). */
void report_json_object(struct mb_json *w, const char *key, const struct analysis *a);
/* The HTML pages (report_html.c): one profile; a comparison (verdict, distances, both profiles
 * overlaid); a replay's --json report (replay_json.h). @return 0, -EIO, -ENOMEM. */
int report_html(FILE *f, const struct analysis *a);

/* Distances between two profiles: how well B (e.g. a replay) reproduces A. */
struct an_compare {
	double op_tvd;          /* total variation distance of op mix: 0.5 * sum |pA - pB| */
	double ks_key_size;     /* KS distance, key size per request */
	double ks_value_size;   /* KS distance, value size per request */
	double ks_inter_arrival;/* KS distance, global inter-arrival */
	double rate_error;      /* (mean_rps B - mean_rps A) / mean_rps A */
	double peak_rate_error; /* same for peak_rps */
	double zipf_ols_diff;   /* alpha B - alpha A */
	double zipf_mle_diff;
	double hit_ratio_diff;  /* B - A; NAN unless both captured responses */
	double unique_keys_ratio; /* unique B / unique A */
};
void compare_compute(const struct analysis *a, const struct analysis *b, struct an_compare *c);
/* Largest of op_tvd and the three KS distances (NAN ignored); 0 when none is defined. */
double compare_max_distance(const struct an_compare *c);
/* fid: the fidelity verdict (fidelity.h) printed after the distances, or NULL. */
int compare_text(FILE *f, const struct analysis *a, const struct analysis *b,
		 const struct an_compare *c, const struct fid_result *fid, bool utf8);
int compare_json(FILE *f, const struct analysis *a, const struct analysis *b,
		 const struct an_compare *c, const struct fid_result *fid);
int report_html_compare(FILE *f, const struct analysis *a, const struct analysis *b,
			const struct an_compare *c, const struct fid_result *fid);
struct an_replay;
int report_html_replay(FILE *f, const struct an_replay *r);

#endif
