/* Fidelity checks (fidelity.h; definitions in docs/fidelity.md).
 *
 * Connection sequences: conns[conn_id].hash chains h = mix(h ^ mix(tuple)) over the requests in
 * file order, so two connections hash equal when (with overwhelming probability) their request
 * sequences are equal. The (conn_id, key_id) -> local index map is one open-addressing table with
 * linear probing, load factor <= 1/2, doubled when full.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fidelity.h"
#include "membench/array.h"
#include "membench/hist.h"
#include "membench/mix.h"

#define MS_NS 1000000ull

struct fid_conn {
	uint64_t hash;
	uint64_t requests;
	uint32_t nkeys; /* distinct keys seen on the connection: the next local index */
	bool seen;
};

struct fid_slot {
	uint64_t key_id; /* UINT64_MAX: empty (MB_KEY_NONE is never stored) */
	uint32_t conn_id;
	uint32_t local;
};

struct fid_trace {
	struct fid_conn *conns;
	size_t nconns, conns_cap;
	struct fid_slot *slots;
	size_t nslots, used; /* nslots is a power of two */
	uint32_t *ms;        /* requests per millisecond since the profile's start */
	size_t nms, ms_cap;
	bool ms_cut;
	uint64_t first_ns, last_ns, requests;
	struct mb_hist values; /* value_len of storage requests */
	uint64_t outcome[MB_OP_COUNT][MB_STATUS_COUNT]; /* requests with a response, by status */
	int err;
};

static const struct {
	const char *name, *what;
	double def;
} checks[FID_NCHECKS] = {
	[FID_REQUESTS] = {"requests", "|B - A| requests (admin commands excluded)", 0},
	[FID_OP_MIX] = {"op_mix", "op mix total variation distance", 0},
	[FID_KEY_SIZE] = {"key_size_ks", "KS distance of key length per request", 0},
	[FID_VALUE_SIZE] = {"value_size_ks", "KS distance of value length per storage request", 0},
	[FID_RATE] = {"mean_rate_error", "|mean rate B - A| / A", 0.005},
	[FID_SERIES] = {"rate_series_rms", "RMS of per-second rate B - A / mean rate A", 0.02},
	[FID_IAT] = {"inter_arrival_ks", "KS distance of inter-arrival (all commands)", 0.05},
	[FID_ORDER] = {"conn_order", "share of A's connections whose sequence B lacks", 0},
	[FID_OUTCOMES] = {"outcomes", "status mix distance per command, weighted", 0.01},
	[FID_NEW_ERRORS] = {"new_errors", "error responses in B beyond those in A", 0},
};

const char *fid_check_name(enum fid_check_id id)
{
	return checks[id].name;
}

const char *fid_check_what(enum fid_check_id id)
{
	return checks[id].what;
}

void fid_thresholds_default(struct fid_thresholds *th)
{
	for (unsigned i = 0; i < FID_NCHECKS; i++)
		th->max[i] = checks[i].def;
}

bool fid_is_admin(const struct mb_record *r)
{
	return r->key_id == MB_KEY_NONE && mb_op_has(r->op, MB_OPF_ADMIN);
}

size_t fid_filter(struct mb_record *recs, size_t n, double speed, uint64_t *admin)
{
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		if (fid_is_admin(&recs[i])) {
			(*admin)++;
			continue;
		}
		recs[k] = recs[i];
		if (speed != 1)
			recs[k].time_ns = (uint64_t)((double)recs[k].time_ns * speed);
		k++;
	}
	return k;
}

int fid_trace_new(struct fid_trace **out)
{
	struct fid_trace *t = calloc(1, sizeof(*t));
	int err = -ENOMEM;
	*out = NULL;
	if (!t)
		return -ENOMEM;
	t->nslots = 1024;
	t->slots = malloc(t->nslots * sizeof(*t->slots));
	if (!t->slots)
		goto cleanup;
	for (size_t i = 0; i < t->nslots; i++)
		t->slots[i].key_id = UINT64_MAX;
	err = mb_hist_init(&t->values, 1, 1ull << 32, 3);
	if (err)
		goto cleanup;
	t->first_ns = UINT64_MAX;
	*out = t;
	return 0;
cleanup:
	fid_trace_free(t);
	return err;
}

void fid_trace_free(struct fid_trace *t)
{
	if (!t)
		return;
	free(t->conns);
	free(t->slots);
	free(t->ms);
	mb_hist_free(&t->values);
	free(t);
}

int fid_trace_err(const struct fid_trace *t)
{
	return t->err;
}

static size_t slot_find(const struct fid_slot *s, size_t nslots, uint32_t conn, uint64_t key)
{
	size_t mask = nslots - 1;
	size_t i = (size_t)mb_mix64(key * 0x9e3779b97f4a7c15ull ^ conn) & mask;
	while (s[i].key_id != UINT64_MAX && (s[i].key_id != key || s[i].conn_id != conn))
		i = (i + 1) & mask;
	return i;
}

/* Doubles the key table. O(slots). @return 0, -ENOMEM. */
static int slots_grow(struct fid_trace *t)
{
	size_t n = t->nslots * 2;
	struct fid_slot *s = malloc(n * sizeof(*s));
	if (!s)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		s[i].key_id = UINT64_MAX;
	for (size_t i = 0; i < t->nslots; i++)
		if (t->slots[i].key_id != UINT64_MAX)
			s[slot_find(s, n, t->slots[i].conn_id, t->slots[i].key_id)] = t->slots[i];
	free(t->slots);
	t->slots = s;
	t->nslots = n;
	return 0;
}

/* Local index of key on conn, assigned on first sight. @return 0, -ENOMEM. */
static int local_index(struct fid_trace *t, struct fid_conn *c, uint32_t conn, uint64_t key,
		       uint32_t *out)
{
	if ((t->used + 1) * 2 > t->nslots && slots_grow(t))
		return -ENOMEM;
	size_t i = slot_find(t->slots, t->nslots, conn, key);
	if (t->slots[i].key_id == UINT64_MAX) {
		t->slots[i] = (struct fid_slot){.key_id = key, .conn_id = conn, .local = c->nkeys++};
		t->used++;
	}
	*out = t->slots[i].local;
	return 0;
}

static struct fid_conn *conn_get(struct fid_trace *t, uint32_t id)
{
	if (MB_ARRAY_RESERVE_ZERO(t->conns, t->conns_cap, (size_t)id + 1))
		return NULL;
	if (id >= t->nconns)
		t->nconns = (size_t)id + 1;
	return &t->conns[id];
}

static void ms_add(struct fid_trace *t, uint64_t time_ns)
{
	uint64_t ms = time_ns / MS_NS;
	if (ms >= FID_MAX_MS) {
		t->ms_cut = true;
		return;
	}
	if (MB_ARRAY_RESERVE_ZERO(t->ms, t->ms_cap, (size_t)ms + 1)) {
		t->err = -ENOMEM;
		return;
	}
	if (ms >= t->nms)
		t->nms = (size_t)ms + 1;
	t->ms[ms]++;
}

void fid_trace_add(struct fid_trace *t, const struct mb_record *recs, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct mb_record *r = &recs[i];
		struct fid_conn *c = conn_get(t, r->conn_id);
		if (!c) {
			t->err = -ENOMEM;
			return;
		}
		bool storage = mb_op_class(r->op) == MB_OPC_STORAGE;
		uint32_t local = UINT32_MAX;
		if (r->key_id != MB_KEY_NONE && local_index(t, c, r->conn_id, r->key_id, &local)) {
			t->err = -ENOMEM;
			return;
		}
		uint64_t tuple = (uint64_t)r->op | (uint64_t)(r->rflags & MB_RF_BATCH_CONT) << 8 |
				 (uint64_t)r->key_len << 16 | (uint64_t)local << 32;
		uint64_t v = mb_mix64(tuple) ^ mb_mix64((storage ? (uint64_t)r->value_len : 0) + 1);
		c->hash = mb_mix64(c->hash ^ v) + 0x632be59bd9b4e019ull;
		c->requests++;
		c->seen = true;
		if (storage)
			mb_hist_record(&t->values, r->value_len);
		if ((r->rflags & MB_RF_HAS_RESPONSE) && r->op < MB_OP_COUNT &&
		    r->status < MB_STATUS_COUNT)
			t->outcome[r->op][r->status]++;
		ms_add(t, r->time_ns);
		t->first_ns = r->time_ns < t->first_ns ? r->time_ns : t->first_ns;
		t->last_ns = r->time_ns > t->last_ns ? r->time_ns : t->last_ns;
		t->requests++;
	}
}

/* Requests of seconds [s, s + 1) counted from the trace's first request. */
static uint64_t second_at(const struct fid_trace *t, uint64_t s)
{
	uint64_t lo = t->first_ns / MS_NS + s * 1000, sum = 0;
	for (uint64_t m = lo; m < lo + 1000 && m < t->nms; m++)
		sum += t->ms[m];
	return sum;
}

/* RMS over A's full seconds of (B_s - A_s), divided by A's mean per-second count; NAN when A
 * spans less than one second. */
static double series_rms(const struct fid_trace *a, const struct fid_trace *b, uint64_t *secs)
{
	*secs = 0;
	if (!a->requests || !b->requests)
		return NAN;
	uint64_t n = (a->last_ns - a->first_ns) / 1000000000ull;
	if (n == 0)
		return NAN;
	double sq = 0, sum = 0;
	for (uint64_t s = 0; s < n; s++) {
		double x = (double)second_at(a, s), y = (double)second_at(b, s);
		sq += (y - x) * (y - x);
		sum += x;
	}
	*secs = n;
	return sum > 0 ? sqrt(sq / (double)n) / (sum / (double)n) : NAN;
}

struct conn_sig {
	uint64_t hash, requests;
};

static int sig_cmp(const void *x, const void *y)
{
	const struct conn_sig *a = x, *b = y;
	if (a->hash != b->hash)
		return a->hash < b->hash ? -1 : 1;
	return a->requests < b->requests ? -1 : a->requests > b->requests;
}

/* Sorted signatures of the connections that sent requests; *n set. NULL on -ENOMEM. */
static struct conn_sig *sigs_of(const struct fid_trace *t, size_t *n)
{
	struct conn_sig *s = malloc((t->nconns + 1) * sizeof(*s));
	*n = 0;
	if (!s)
		return NULL;
	for (size_t i = 0; i < t->nconns; i++)
		if (t->conns[i].seen)
			s[(*n)++] = (struct conn_sig){t->conns[i].hash, t->conns[i].requests};
	qsort(s, *n, sizeof(*s), sig_cmp);
	return s;
}

/* A's connections without a B connection of the same sequence (a multiset difference by a
 * merge of the sorted signatures, O(n log n)); UINT64_MAX on -ENOMEM. */
static uint64_t unmatched(const struct fid_trace *a, const struct fid_trace *b, uint64_t *na,
			  uint64_t *nb)
{
	size_t la, lb;
	uint64_t miss = UINT64_MAX;
	struct conn_sig *sa = sigs_of(a, &la), *sb = sigs_of(b, &lb);
	*na = la;
	*nb = lb;
	if (!sa || !sb)
		goto cleanup;
	miss = 0;
	size_t j = 0;
	for (size_t i = 0; i < la; i++) {
		while (j < lb && sig_cmp(&sb[j], &sa[i]) < 0)
			j++;
		if (j < lb && !sig_cmp(&sb[j], &sa[i]))
			j++;
		else
			miss++;
	}
cleanup:
	free(sa);
	free(sb);
	return miss;
}

static bool status_is_error(unsigned s)
{
	return s == MB_STATUS_ERROR || s == MB_STATUS_CLIENT_ERROR || s == MB_STATUS_SERVER_ERROR ||
	       s == MB_STATUS_OUT_OF_MEMORY;
}

/* The outcome checks. Per op, the total variation distance between A's and B's status mixes of
 * the requests that got a response; the check's value is their mean weighted by the op's mean
 * share of the responses of A and B, so one op's change weighs what that op weighs in the
 * workload (an op answered on one side only has distance 1). NAN when either side has no
 * response. Error responses are counted over every op. */
static double outcome_distance(const struct fid_trace *ta, const struct fid_trace *tb,
			       struct fid_result *res)
{
	for (unsigned op = 0; op < MB_OP_COUNT; op++) {
		for (unsigned s = 0; s < MB_STATUS_COUNT; s++) {
			res->op_responded_a[op] += ta->outcome[op][s];
			res->op_responded_b[op] += tb->outcome[op][s];
			if (status_is_error(s)) {
				res->errors_a += ta->outcome[op][s];
				res->errors_b += tb->outcome[op][s];
			}
		}
		res->responded_a += res->op_responded_a[op];
		res->responded_b += res->op_responded_b[op];
	}
	double sum = 0;
	for (unsigned op = 0; op < MB_OP_COUNT; op++) {
		uint64_t na = res->op_responded_a[op], nb = res->op_responded_b[op];
		res->op_outcome_tvd[op] = NAN;
		if (!na && !nb)
			continue;
		double tvd = 1;
		if (na && nb) {
			tvd = 0;
			for (unsigned s = 0; s < MB_STATUS_COUNT; s++)
				tvd += fabs(an_frac(ta->outcome[op][s], na) -
					    an_frac(tb->outcome[op][s], nb));
			tvd /= 2;
		}
		res->op_outcome_tvd[op] = tvd;
		double w = ((double)na / (double)(res->responded_a ? res->responded_a : 1) +
			    (double)nb / (double)(res->responded_b ? res->responded_b : 1)) / 2;
		sum += w * tvd;
	}
	return res->responded_a && res->responded_b ? sum : NAN;
}

void fid_evaluate(const struct analysis *a, const struct analysis *b, const struct fid_trace *ta,
		  const struct fid_trace *tb, const struct fid_thresholds *th, double speed,
		  struct fid_result *res)
{
	memset(res, 0, sizeof(*res));
	res->speed = speed;
	double *v[FID_NCHECKS];
	for (unsigned i = 0; i < FID_NCHECKS; i++)
		v[i] = &res->c[i].value;
	*v[FID_REQUESTS] = fabs((double)b->requests - (double)a->requests);
	double tvd = 0;
	for (unsigned op = 0; op < MB_OP_COUNT; op++)
		tvd += fabs(an_frac(a->ops[op], a->requests) - an_frac(b->ops[op], b->requests));
	*v[FID_OP_MIX] = a->requests && b->requests ? tvd / 2 : NAN;
	*v[FID_KEY_SIZE] = an_hist_ks(&a->h[AN_H_KEY_REQ], &b->h[AN_H_KEY_REQ]);
	*v[FID_VALUE_SIZE] = an_hist_ks(&ta->values, &tb->values);
	*v[FID_RATE] = fabs(b->mean_rps - a->mean_rps) / a->mean_rps;
	*v[FID_SERIES] = series_rms(ta, tb, &res->series_seconds);
	res->series_cut = ta->ms_cut || tb->ms_cut;
	*v[FID_IAT] = an_hist_ks(&a->h[AN_H_IAT], &b->h[AN_H_IAT]);
	uint64_t miss = unmatched(ta, tb, &res->conns_a, &res->conns_b);
	res->conns_unmatched = miss;
	*v[FID_ORDER] = miss == UINT64_MAX ? NAN : an_frac(miss, res->conns_a);
	*v[FID_OUTCOMES] = outcome_distance(ta, tb, res);
	*v[FID_NEW_ERRORS] = res->responded_a && res->responded_b ?
		(res->errors_b > res->errors_a ? (double)(res->errors_b - res->errors_a) : 0) : NAN;
	res->pass = true;
	for (unsigned i = 0; i < FID_NCHECKS; i++) {
		struct fid_check *c = &res->c[i];
		c->threshold = th->max[i];
		/* 1e-12: shares of equal counts are equal doubles, but sums of them may not be */
		c->pass = !isfinite(c->value) || c->value <= c->threshold + 1e-12;
		res->pass = res->pass && c->pass;
	}
	/* Both empty on one side only is a failure, not "not defined". */
	if (!a->requests != !b->requests) {
		res->c[FID_REQUESTS].pass = false;
		res->pass = false;
	}
}

/* One line per op answered on either side: its status mix distance and the statuses whose
 * counts differ, "status A->B". */
static void outcomes_text(FILE *f, const struct fid_result *res)
{
	fprintf(f, "  outcomes (requests with a response): A %llu, B %llu; errors A %llu, B %llu\n",
		(unsigned long long)res->responded_a, (unsigned long long)res->responded_b,
		(unsigned long long)res->errors_a, (unsigned long long)res->errors_b);
	for (unsigned op = 0; op < MB_OP_COUNT; op++) {
		if (!isfinite(res->op_outcome_tvd[op]) || res->op_outcome_tvd[op] == 0)
			continue;
		fprintf(f, "    %-10s distance %.4f  (A %llu, B %llu responses)\n", mb_op_name(op),
			res->op_outcome_tvd[op], (unsigned long long)res->op_responded_a[op],
			(unsigned long long)res->op_responded_b[op]);
	}
}

int fid_text(FILE *f, const struct fid_result *res)
{
	fprintf(f, "\nFidelity (does B reproduce A?)\n");
	if (res->speed != 1)
		fprintf(f, "  B's times multiplied by %g (replayed at %gx) before rates and "
			   "inter-arrival were compared\n", res->speed, res->speed);
	if (res->admin_a || res->admin_b)
		fprintf(f, "  left out: keyless stats, version, verbosity, flush_all and unknown "
			   "commands: A %llu, B %llu\n", (unsigned long long)res->admin_a,
			(unsigned long long)res->admin_b);
	fprintf(f, "  %-18s %12s %12s  %-6s %s\n", "check", "value", "threshold", "result",
		"definition");
	for (unsigned i = 0; i < FID_NCHECKS; i++) {
		const struct fid_check *c = &res->c[i];
		char val[32];
		if (!isfinite(c->value))
			snprintf(val, sizeof(val), "-");
		else if (i == FID_REQUESTS || i == FID_NEW_ERRORS)
			snprintf(val, sizeof(val), "%.0f", c->value);
		else
			snprintf(val, sizeof(val), "%.4f", c->value);
		fprintf(f, "  %-18s %12s %12g  %-6s %s\n", checks[i].name, val, c->threshold,
			!isfinite(c->value) && c->pass ? "n/a" : c->pass ? "PASS" : "FAIL",
			checks[i].what);
	}
	fprintf(f, "  connections: A %llu, B %llu, A's without a matching B sequence %llu\n",
		(unsigned long long)res->conns_a, (unsigned long long)res->conns_b,
		res->conns_unmatched == UINT64_MAX ? 0ull : (unsigned long long)res->conns_unmatched);
	if (res->series_cut)
		fprintf(f, "  rate series: only the first %u s of each profile compared\n",
			FID_MAX_MS / 1000);
	if (fid_outcomes_skipped(res))
		fprintf(f, "  outcomes: not compared, %s\n", fid_outcomes_skipped(res));
	else
		outcomes_text(f, res);
	fprintf(f, "verdict: %s\n", res->pass ? "PASS" : "FAIL");
	return ferror(f) ? -EIO : 0;
}

const char *fid_outcomes_skipped(const struct fid_result *res)
{
	if (res->responded_a && res->responded_b)
		return NULL;
	return !res->responded_a && !res->responded_b ? "neither profile carries responses" :
	       !res->responded_a ? "A carries no responses" : "B carries no responses";
}

void fid_json(struct mb_json *w, const struct fid_result *res)
{
	mb_json_obj(w, "fidelity");
	mb_json_bool(w, "pass", res->pass);
	mb_json_num(w, "speed", res->speed);
	mb_json_u64(w, "excluded_admin_a", res->admin_a);
	mb_json_u64(w, "excluded_admin_b", res->admin_b);
	mb_json_u64(w, "connections_a", res->conns_a);
	mb_json_u64(w, "connections_b", res->conns_b);
	mb_json_u64(w, "series_seconds", res->series_seconds);
	mb_json_u64(w, "responded_a", res->responded_a);
	mb_json_u64(w, "responded_b", res->responded_b);
	mb_json_u64(w, "errors_a", res->errors_a);
	mb_json_u64(w, "errors_b", res->errors_b);
	mb_json_arr(w, "outcomes");
	for (unsigned op = 0; op < MB_OP_COUNT; op++) {
		if (!isfinite(res->op_outcome_tvd[op]))
			continue;
		mb_json_obj(w, NULL);
		mb_json_str(w, "op", mb_op_name(op));
		mb_json_num(w, "distance", res->op_outcome_tvd[op]);
		mb_json_u64(w, "responded_a", res->op_responded_a[op]);
		mb_json_u64(w, "responded_b", res->op_responded_b[op]);
		mb_json_obj_end(w);
	}
	mb_json_arr_end(w);
	mb_json_arr(w, "checks");
	for (unsigned i = 0; i < FID_NCHECKS; i++) {
		const struct fid_check *c = &res->c[i];
		mb_json_obj(w, NULL);
		mb_json_str(w, "name", checks[i].name);
		mb_json_num(w, "value", c->value);
		mb_json_num(w, "threshold", c->threshold);
		mb_json_str(w, "result", !isfinite(c->value) && c->pass ? "n/a" : c->pass ? "PASS" : "FAIL");
		mb_json_obj_end(w);
	}
	mb_json_arr_end(w);
	mb_json_obj_end(w);
}
