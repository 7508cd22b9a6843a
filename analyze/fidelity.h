/* Fidelity checks of `membench analyze --compare A B`: does profile B (a replay of A, recorded
 * again) reproduce A? Each check has a threshold (defaults in fid_thresholds_default, flags in
 * main.c, definitions in docs/fidelity.md); the verdict passes when every defined check does.
 *
 * Besides the two analyses (analysis.h), the checks need what the analyzer does not keep: the
 * per-connection request sequences and a fine-grained rate series. struct fid_trace collects both
 * while the profile is scanned, fed the same records as an_add():
 * - per connection, a 64-bit hash chained over each request's (op, batch continuation, key
 *   length, key's local index, value length of storage commands). A key's local index is its
 *   rank of first appearance on that connection, so keys are compared by the pattern of reuse,
 *   not by raw ids (ids are dense per profile, and a replay of an anonymized profile sends
 *   generated keys). Response value lengths are left out: they depend on the server's state.
 * - requests per millisecond since the profile's start, for at most FID_MAX_MS buckets (about
 *   4.6 hours; later requests are left out of the series and the check says so).
 * - value lengths of storage requests (the bodies the client sent), for their KS distance.
 * - per command (op), the outcome of every request whose response was captured (its status:
 *   hit, miss, stored, exists, ..., error kinds), for the outcome checks.
 * Memory: O(connections + distinct (connection, key) pairs + duration in ms).
 *
 * Keyless admin commands (fid_is_admin: stats, version, verbosity, flush_all and unknown
 * commands such as quit) are not requests of the workload: the replayer does not replay
 * stats/verbosity/flush_all/unknown commands (docs/replay.md) and sends stats and quit of its
 * own, so the caller drops them from both profiles before analysis and counts them.
 */
#ifndef MB_ANALYZE_FIDELITY_H
#define MB_ANALYZE_FIDELITY_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "analysis.h"
#include "membench/json.h"

#define FID_MAX_MS (1u << 24)

struct fid_trace;

/* @return 0, -ENOMEM. */
int fid_trace_new(struct fid_trace **out);
/* Adds records in file order (admin commands already dropped). Allocation failures are
 * remembered and returned by fid_trace_err. */
void fid_trace_add(struct fid_trace *t, const struct mb_record *recs, size_t n);
/* @return 0 or the first -ENOMEM of fid_trace_add. */
int fid_trace_err(const struct fid_trace *t);
void fid_trace_free(struct fid_trace *t);
/* For --compare: drops admin commands (fid_is_admin; counted in *admin) and multiplies the
 * times of the rest by speed (B of a --rate Nx replay), in place. @return the records kept. */
size_t fid_filter(struct mb_record *recs, size_t n, double speed, uint64_t *admin);
/* True for a keyless stats, version, verbosity, flush_all or unknown command (MB_OP_OTHER). */
bool fid_is_admin(const struct mb_record *r);

enum fid_check_id {
	FID_REQUESTS,    /* |requests B - requests A| */
	FID_OP_MIX,      /* op mix total variation distance */
	FID_KEY_SIZE,    /* KS distance of key length per request */
	FID_VALUE_SIZE,  /* KS distance of value length per storage request */
	FID_RATE,        /* |mean rate B - mean rate A| / mean rate A */
	FID_SERIES,      /* RMS of per-second rate differences / mean rate of A */
	FID_IAT,         /* KS distance of inter-arrival (all commands) */
	FID_ORDER,       /* fraction of A's connections whose sequence no B connection has */
	FID_OUTCOMES,    /* status mix distance, per command, weighted by the commands' shares */
	FID_NEW_ERRORS,  /* error responses in B beyond those in A */
	FID_NCHECKS
};

struct fid_thresholds {
	double max[FID_NCHECKS];
};

struct fid_check {
	double value;     /* NAN: not defined (e.g. no storage requests on either side) */
	double threshold;
	bool pass;        /* value <= threshold, or not defined */
};

struct fid_result {
	struct fid_check c[FID_NCHECKS];
	bool pass;
	double speed;                 /* B's times were multiplied by this */
	uint64_t admin_a, admin_b;    /* admin commands dropped */
	uint64_t conns_a, conns_b, conns_unmatched;
	uint64_t series_seconds;      /* full seconds of A compared by FID_SERIES */
	bool series_cut;              /* a profile ran past FID_MAX_MS */
	uint64_t responded_a, responded_b; /* requests with a captured response */
	uint64_t errors_a, errors_b;  /* of them, error responses (ERROR, CLIENT_ERROR, SERVER_ERROR) */
	/* Per op: the status mix distance (NAN where neither side has a response) and the
	 * responses on each side; the outcome check is their weighted mean. */
	double op_outcome_tvd[MB_OP_COUNT];
	uint64_t op_responded_a[MB_OP_COUNT], op_responded_b[MB_OP_COUNT];
};

/* Name of a check (for JSON and flags); its one-line definition is printed by fid_text. */
const char *fid_check_name(enum fid_check_id id);
/* Its one-line definition ("KS distance of key length per request"). */
const char *fid_check_what(enum fid_check_id id);
/* Why the outcomes were not compared ("neither profile carries responses", "A carries no
 * responses", ...), or NULL when they were (both profiles carry responses). */
const char *fid_outcomes_skipped(const struct fid_result *res);
void fid_thresholds_default(struct fid_thresholds *th);

/* Evaluates every check of B against A. */
void fid_evaluate(const struct analysis *a, const struct analysis *b, const struct fid_trace *ta,
		  const struct fid_trace *tb, const struct fid_thresholds *th, double speed,
		  struct fid_result *res);
/* Text table / JSON object "fidelity". @return 0 or -EIO (text). */
int fid_text(FILE *f, const struct fid_result *res);
void fid_json(struct mb_json *w, const struct fid_result *res);

#endif
