/* The analyzer's engine: feeds on struct mb_record in file order and produces every figure the
 * reports print (docs/analyze.md lists them with their definitions).
 *
 * Use: an_init(), an_add() for each batch of records (any batch size, in file order), then
 * an_finish() once; the reports (report.h) only read the finished struct. Nothing here touches a
 * file, so the unit tests drive it with in-memory arrays.
 *
 * Counting conventions (docs/analyze.md):
 * - a "request" is a record (one per key: a 10-key multiget is 10 requests, as in the Twitter and
 *   libCacheSim traces); a "command" is a record without MB_RF_BATCH_CONT;
 * - inter-arrival, latency and pipelining depth are per command; rates, op mix, sizes and
 *   popularity are per request.
 *
 * Per-key state: key ids are dense (0..nkeys-1), so per-key counters are a flat array of 24-byte
 * struct an_key, O(nkeys) memory. When the profile has more keys than cfg.exact_keys, only keys
 * with id % sample == 0 are tracked (sample = ceil(nkeys / exact_keys); ids are in first-seen
 * order, so this is a systematic sample independent of popularity), distinct keys come from a
 * HyperLogLog and the top keys from Space-Saving, and every figure derived from them is listed in
 * `estimated`. Memory is then bounded by exact_keys * 24 bytes plus fixed-size histograms.
 */
#ifndef MB_ANALYZE_ANALYSIS_H
#define MB_ANALYZE_ANALYSIS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "membench/hist.h"
#include "membench/ring.h"
#include "membench/profile.h"
#include "sketch.h"
#include "zipf.h"

#define AN_DEFAULT_EXACT_KEYS (16u << 20)
#define AN_MAX_FREQ_BUCKET 8 /* objects seen 1..8 times */

struct an_config {
	uint64_t exact_keys;  /* track at most this many keys exactly (0 = default) */
	uint64_t window_ns;   /* per-window rate table; 0 = chosen from the duration */
	unsigned top_k;       /* top keys to report (0 = 10) */
	char delim;           /* key prefix delimiter (0 = ':') */
	int64_t start_wall_ns;/* unix time of time_ns == 0, to turn absolute TTLs into relative */
	uint64_t nkeys_hint;  /* distinct keys expected (mb_profile_reader_key_count), 0 = unknown */
};

/* Looks up the stored bytes of a key (the prefix or the whole key). @return 0 or negative. */
typedef int (*an_key_fn)(void *ctx, uint64_t id, const char **bytes, uint32_t *len);

/* Where a profile came from, for the reports (filled by the caller; all optional). */
struct an_source {
	const char *path;
	bool have_meta;
	struct mb_profile_meta meta;
	bool have_stats;
	struct mb_profile_stats stats;
	unsigned version_major, version_minor;
	bool truncated;
	uint64_t lost_bytes;
	uint64_t blocks;
	uint64_t damaged_blocks;   /* record blocks left out (--allow-damaged) */
	uint64_t damaged_records;  /* records in them */
};

struct an_key {
	uint64_t last_time_ns;
	uint64_t last_req;  /* index of the last keyed request */
	uint32_t count;     /* requests (saturates at UINT32_MAX) */
	uint32_t flags;     /* AN_KEY_* */
};

struct an_conn {
	uint64_t first_ns, last_ns;
	uint64_t commands, requests;
	struct mb_ring pend; /* completion times (uint64_t) of outstanding commands */
	bool seen;
};

struct an_tbucket {
	uint64_t requests, hits, misses;
};

struct an_topkey {
	uint64_t id;
	uint64_t count;  /* exact, or the Space-Saving upper bound */
	uint64_t err;    /* count - err <= true count (0 when exact) */
	char *key;       /* stored key bytes (escaped later), NULL when not kept */
};

struct an_prefix {
	char *prefix;
	uint64_t requests, keys;
};

struct an_conn_top {
	uint32_t conn_id;
	uint64_t commands;
	double rps;
};

/* Hist with parameters chosen per quantity (analysis.c: hist_params). */
enum an_hist_id {
	AN_H_KEY_REQ, AN_H_KEY_OBJ, AN_H_VAL_REQ, AN_H_VAL_OBJ,
	AN_H_IAT, AN_H_IAT_CONN, AN_H_REUSE_NS, AN_H_REUSE_REQ,
	AN_H_TTL, AN_H_LATENCY, AN_H_BATCH, AN_H_DEPTH, AN_H_CONN_RPS,
	AN_H_COUNT
};

struct analysis {
	struct an_config cfg;
	struct an_source src;

	/* ---- accumulated by an_add ---- */
	uint64_t requests, commands, keyed, keyless;
	uint64_t ops[MB_OP_COUNT], op_commands[MB_OP_COUNT];
	uint64_t protos[MB_PROTO_COUNT], status[MB_STATUS_COUNT];
	uint64_t first_ns, last_ns;
	uint64_t responded, hits, misses; /* commands with a response; read requests hit/miss */
	uint64_t noreply;
	uint64_t ttl_none, ttl_absolute, ttl_expired;
	uint64_t first_accesses;           /* of tracked keys */
	uint64_t reuse_requests;           /* reuses of tracked keys */
	uint64_t bad_records;              /* op/proto/status out of range (counted as other) */
	struct mb_hist h[AN_H_COUNT];

	struct an_key *keys;
	size_t keys_cap;
	uint64_t sample; /* 1 = exact; else keys with id % sample == 0 are tracked */
	struct an_hll *hll;
	struct mb_ss ss;
	bool sketches;

	struct an_tbucket *tb;
	size_t ntb, tb_cap;
	uint64_t tb_width_ns;
	uint64_t tb_lo, tb_hi;       /* time range of tb_cur (a cache of the last bucket used) */
	struct an_tbucket *tb_cur;

	struct an_conn *conns;
	size_t nconns, conns_cap;

	uint64_t batch_len;
	uint8_t batch_op;
	uint64_t batch_singles;            /* single-key read commands, folded into AN_H_BATCH */
	uint64_t key_len_small[256];       /* key lengths < 256, folded into AN_H_KEY_REQ */
	uint64_t prev_cmd_ns;
	bool have_prev;
	int err; /* first allocation failure, returned by an_finish */

	/* ---- computed by an_finish ---- */
	bool finished;
	double duration_s, mean_rps, peak_rps, peak_to_mean;
	uint64_t connections;
	uint64_t unique_keys;
	uint64_t tracked_keys;           /* keys with per-key state */
	double zipf_ols, zipf_r2, zipf_mle;
	double zipf_ols_intercept;       /* ln f = intercept - zipf_ols * ln r */
	uint64_t freq_keys[AN_MAX_FREQ_BUCKET + 1]; /* [k] = tracked keys seen exactly k times */
	double one_hit_fraction;
	double compulsory_miss_ratio;
	double hit_ratio;                /* NAN when no read response was captured */
	struct an_run *runs;             /* rank-frequency of tracked keys */
	size_t nruns;
	struct an_topkey *top;
	size_t ntop;
	double top_share;                /* requests to the top keys / keyed requests */
	struct an_prefix *prefixes;      /* by requests, descending */
	size_t nprefixes;
	struct an_conn_top *top_conns;
	size_t ntop_conns;
	uint64_t window_ns;              /* chosen window of the per-window table */
};

/* mb_hist_record for the per-request hot path, inlined: the same index arithmetic as
 * mb_hist_index (documented in membench/hist.h; test_analyze checks that both agree). */
static inline void an_hist_add(struct mb_hist *h, uint64_t value)
{
	uint64_t v = value > h->highest ? h->highest : value;
	uint64_t u = v >> h->unit_shift;
	size_t idx;
	if (u < h->sub_count) {
		idx = (size_t)u;
	} else {
		unsigned b = (63u - (unsigned)__builtin_clzll(u)) - (h->sub_bits - 1);
		idx = h->sub_count + (size_t)(b - 1) * h->half + (size_t)((u >> b) - h->half);
	}
	h->counts[idx]++;
	h->total++;
	h->clamped += value > h->highest;
	h->min = value < h->min ? value : h->min;
	h->max = value > h->max ? value : h->max;
	h->sum += (double)value;
}

/* @return 0, -ENOMEM. On failure *out is NULL. */
int an_init(struct analysis **out, const struct an_config *cfg);
/* Adds records in file order. Allocation failures are remembered and returned by an_finish. */
void an_add(struct analysis *a, const struct mb_record *recs, size_t n);
/* Computes the derived figures. key_fn may be NULL (no key bytes kept).
 * @return 0, -ENOMEM (during an_add or here). */
int an_finish(struct analysis *a, an_key_fn key_fn, void *key_ctx);
void an_free(struct analysis *a);

/* Fraction helper: num / den, NAN when den == 0. */
double an_frac(uint64_t num, uint64_t den);

/* A profile recorded from a sample of the connections (meta sample_ratio f < 1, `membench record
 * --sample`): 1/f, the factor that turns its counts and rates into estimates for the whole
 * traffic; 1 for a whole profile. */
double an_sample_scale(const struct analysis *a);

/* Number of time-series buckets of width `width_ns` (a multiple of a->tb_width_ns) and the
 * request / hit / miss sums of bucket i; for reports. */
size_t an_series_len(const struct analysis *a, uint64_t width_ns);
struct an_tbucket an_series_at(const struct analysis *a, uint64_t width_ns, size_t i);

/* Kolmogorov-Smirnov distance between two histograms of the same quantity (same parameters):
 * max over bucket boundaries of |F_a - F_b|; 1 when exactly one is empty; NAN when both are
 * empty or the parameters differ. */
double an_hist_ks(const struct mb_hist *x, const struct mb_hist *y);

/* Names of the estimated figures (JSON paths), NULL-terminated; empty when all are exact. */
const char *const *an_estimated(const struct analysis *a);

#endif
