/* The analyzer's engine; see analysis.h for the conventions and the memory bound.
 *
 * Hot path (an_add): a handful of array increments and histogram records per request plus one
 * random access to the key's 24-byte state; no allocation except when an array doubles.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "analysis.h"
#include "membench/array.h"

#define TB_BASE_NS 1000000000ull   /* time series: 1 s buckets ... */
#define TB_MAX (1u << 20)          /* ... coarsened (doubled) beyond this many */
#define PEND_MAX 4096u             /* outstanding commands tracked per connection */
/* Ids are dense in order of first appearance, so an id far beyond the records seen so far can
 * only come from a damaged file: such records count as invalid instead of making the arrays
 * grow without bound. */
#define ID_SLACK 65536u
#define KEY_VALUE_SEEN 1u          /* an_key.flags: the object's value size was recorded */
#define SS_CAPACITY 4096           /* Space-Saving counters in sketch mode */
#define MAX_PREFIXES 65536         /* distinct prefixes aggregated */
#define TOP_CONNS 5

/* The engine's per-op facts, expanded from MB_OP_FACTS (membench/ops.h) at compile time so the
 * hot path indexes them without a call: MB_OPF_TTL (stores an item with its TTL: the "TTL of
 * writes"), MB_OPF_MULTI (may carry several keys), and OPF_VALUE for storage commands. */
#define OPF_VALUE 0x80
static const uint8_t op_facts[MB_OP_COUNT] = {
#define OP_FACTS_ROW(id, value, name, cls, flags, ...) \
	[MB_OP_##id] = (flags) | (MB_OPC_##cls == MB_OPC_STORAGE ? OPF_VALUE : 0),
	MB_OP_FACTS(OP_FACTS_ROW)
#undef OP_FACTS_ROW
};

double an_frac(uint64_t num, uint64_t den)
{
	return den ? (double)num / (double)den : NAN;
}

double an_sample_scale(const struct analysis *a)
{
	double f = a->src.have_meta ? a->src.meta.sample_ratio : 1.0;
	return f > 0.0 && f < 1.0 ? 1.0 / f : 1.0;
}

/* Histogram parameters per quantity: lowest, highest tracked value, significant digits. */
static const struct {
	uint64_t lowest, highest;
	int digits;
} hist_params[AN_H_COUNT] = {
	[AN_H_KEY_REQ] = {1, 1u << 20, 3},
	[AN_H_KEY_OBJ] = {1, 1u << 20, 3},
	[AN_H_VAL_REQ] = {1, 1ull << 32, 3},
	[AN_H_VAL_OBJ] = {1, 1ull << 32, 3},
	[AN_H_IAT] = {1, 1ull << 50, 2},      /* ns, up to 13 days */
	[AN_H_IAT_CONN] = {1, 1ull << 50, 2},
	[AN_H_REUSE_NS] = {1, 1ull << 50, 2},
	[AN_H_REUSE_REQ] = {1, 1ull << 48, 2},
	[AN_H_TTL] = {1, 1ull << 32, 2},      /* seconds */
	[AN_H_LATENCY] = {1, 1ull << 40, 3},  /* ns, up to 18 minutes */
	[AN_H_BATCH] = {1, 1u << 20, 3},
	[AN_H_DEPTH] = {1, PEND_MAX * 2, 3},
	[AN_H_CONN_RPS] = {1, 1ull << 40, 2}, /* milli-requests per second */
};

#define HUGE_PAGE (2u << 20)

/* Zeroed per-key state for n keys. Large arrays are 2 MiB aligned and marked for transparent
 * huge pages: the per-request access is random, and with 4 KiB pages most of its cost would be
 * TLB misses. @return the array or NULL. */
static struct an_key *keys_alloc(size_t n)
{
	if (n > SIZE_MAX / sizeof(struct an_key))
		return NULL;
	size_t bytes = n * sizeof(struct an_key);
	if (bytes < 4 * HUGE_PAGE)
		return calloc(n, sizeof(struct an_key));
	bytes = (bytes + HUGE_PAGE - 1) / HUGE_PAGE * HUGE_PAGE;
	void *p = NULL;
	if (posix_memalign(&p, HUGE_PAGE, bytes))
		return NULL;
	madvise(p, bytes, MADV_HUGEPAGE); /* advice only: fine if refused */
	memset(p, 0, bytes);
	return p;
}

/* Grows the key array to hold slot idx (doubling). @return 0 or -ENOMEM. */
static int keys_grow(struct analysis *a, size_t idx)
{
	size_t ncap = a->keys_cap ? a->keys_cap : 1024;
	while (ncap <= idx) {
		if (ncap > SIZE_MAX / 2 / sizeof(struct an_key))
			return -ENOMEM;
		ncap *= 2;
	}
	struct an_key *n = keys_alloc(ncap);
	if (!n)
		return -ENOMEM;
	if (a->keys_cap)
		memcpy(n, a->keys, a->keys_cap * sizeof(*n));
	free(a->keys);
	a->keys = n;
	a->keys_cap = ncap;
	return 0;
}

int an_init(struct analysis **out, const struct an_config *cfg)
{
	int err = 0;
	struct analysis *a = calloc(1, sizeof(*a));
	*out = NULL;
	if (!a)
		return -ENOMEM;
	a->cfg = *cfg;
	if (!a->cfg.exact_keys)
		a->cfg.exact_keys = AN_DEFAULT_EXACT_KEYS;
	if (!a->cfg.top_k)
		a->cfg.top_k = 10;
	if (!a->cfg.delim)
		a->cfg.delim = ':';
	a->first_ns = UINT64_MAX;
	a->hit_ratio = NAN;
	for (int i = 0; i < AN_H_COUNT; i++) {
		err = mb_hist_init(&a->h[i], hist_params[i].lowest, hist_params[i].highest,
				   hist_params[i].digits);
		if (err)
			goto cleanup;
	}
	a->sample = 1;
	if (cfg->nkeys_hint > a->cfg.exact_keys) {
		a->sample = (cfg->nkeys_hint + a->cfg.exact_keys - 1) / a->cfg.exact_keys;
		a->sketches = true;
		a->hll = malloc(sizeof(*a->hll));
		if (!a->hll) {
			err = -ENOMEM;
			goto cleanup;
		}
		an_hll_init(a->hll);
		err = mb_ss_init(&a->ss, SS_CAPACITY);
		if (err)
			goto cleanup;
	}
	size_t want = cfg->nkeys_hint ? (size_t)(cfg->nkeys_hint / a->sample + 1) : 1024;
	a->keys = keys_alloc(want);
	if (!a->keys) {
		err = -ENOMEM;
		goto cleanup;
	}
	a->keys_cap = want;
	a->tb_width_ns = TB_BASE_NS;
	a->tb_lo = 1; /* empty cache range */
	*out = a;
	return 0;
cleanup:
	an_free(a);
	return err;
}

void an_free(struct analysis *a)
{
	if (!a)
		return;
	for (int i = 0; i < AN_H_COUNT; i++)
		mb_hist_free(&a->h[i]);
	free(a->keys);
	free(a->hll);
	mb_ss_free(&a->ss);
	free(a->tb);
	for (size_t i = 0; i < a->nconns; i++)
		mb_ring_free(&a->conns[i].pend);
	free(a->conns);
	free(a->runs);
	for (size_t i = 0; i < a->ntop; i++)
		free(a->top[i].key);
	free(a->top);
	for (size_t i = 0; i < a->nprefixes; i++)
		free(a->prefixes[i].prefix);
	free(a->prefixes);
	free(a->top_conns);
	free(a);
}

/* Time bucket of t, coarsening the series while it would exceed TB_MAX buckets. */
static struct an_tbucket *time_bucket(struct analysis *a, uint64_t t)
{
	uint64_t idx = t / a->tb_width_ns;
	while (idx >= TB_MAX) { /* halve the resolution: bucket i moves into i / 2 */
		for (size_t i = 1; i < a->ntb; i++) {
			struct an_tbucket m = a->tb[i];
			memset(&a->tb[i], 0, sizeof(a->tb[i]));
			a->tb[i / 2].requests += m.requests;
			a->tb[i / 2].hits += m.hits;
			a->tb[i / 2].misses += m.misses;
		}
		a->ntb = (a->ntb + 1) / 2;
		a->tb_width_ns *= 2;
		idx = t / a->tb_width_ns;
	}
	if (MB_ARRAY_RESERVE_ZERO(a->tb, a->tb_cap, idx + 1)) {
		a->err = -ENOMEM;
		return NULL;
	}
	if (idx >= a->ntb)
		a->ntb = idx + 1;
	a->tb_lo = idx * a->tb_width_ns;
	a->tb_hi = a->tb_lo + a->tb_width_ns;
	a->tb_cur = &a->tb[idx];
	return a->tb_cur;
}

/* Records the pipelining depth of a command on c sent at t and completing at done. */
static void conn_pipeline(struct analysis *a, struct an_conn *c, uint64_t t, uint64_t done)
{
	struct mb_ring *q = &c->pend;
	while (q->len && *(uint64_t *)mb_ring_at(q, sizeof(uint64_t), 0) <= t)
		mb_ring_pop(q);
	an_hist_add(&a->h[AN_H_DEPTH], (uint64_t)q->len + 1);
	if (q->len >= PEND_MAX) /* forget the oldest */
		mb_ring_pop(q);
	uint64_t *slot = mb_ring_push(q, sizeof(uint64_t));
	if (!slot) {
		a->err = -ENOMEM;
		return;
	}
	*slot = done;
}

/* Single-key commands (nearly all of them) are only counted here and folded into the
 * histograms by fold_small(); the same for short keys: both are the common case of the hot
 * path and a counter is cheaper than a histogram record. */
static void end_batch(struct analysis *a)
{
	if (a->batch_len == 1 && (op_facts[a->batch_op] & MB_OPF_MULTI))
		a->batch_singles++;
	else if (a->batch_len && (op_facts[a->batch_op] & MB_OPF_MULTI))
		an_hist_add(&a->h[AN_H_BATCH], a->batch_len);
	a->batch_len = 0;
}

static void fold_small(struct analysis *a)
{
	mb_hist_record_n(&a->h[AN_H_BATCH], 1, a->batch_singles);
	a->batch_singles = 0;
	for (unsigned len = 0; len < 256; len++) {
		mb_hist_record_n(&a->h[AN_H_KEY_REQ], len, a->key_len_small[len]);
		a->key_len_small[len] = 0;
	}
}

static void add_ttl(struct analysis *a, const struct mb_record *r)
{
	int64_t ttl = r->ttl;
	if (ttl == 0) {
		a->ttl_none++;
		return;
	}
	if (ttl > 30 * 86400) { /* memcached: an absolute unix time */
		a->ttl_absolute++;
		int64_t now_s = a->cfg.start_wall_ns / 1000000000 +
				(int64_t)(r->time_ns / 1000000000);
		ttl -= now_s;
	}
	if (ttl < 0) {
		a->ttl_expired++;
		return;
	}
	an_hist_add(&a->h[AN_H_TTL], (uint64_t)ttl);
}

static void add_key(struct analysis *a, const struct mb_record *r, bool has_value)
{
	uint64_t req = a->keyed++;
	if (r->key_len < 256)
		a->key_len_small[r->key_len]++;
	else
		an_hist_add(&a->h[AN_H_KEY_REQ], r->key_len);
	if (a->sketches) {
		an_hll_add(a->hll, r->key_id);
		mb_ss_add(&a->ss, r->key_id, 1, NULL);
		if (r->key_id % a->sample)
			return;
	}
	uint64_t slot = a->sketches ? r->key_id / a->sample : r->key_id;
	if (slot >= a->keys_cap) {
		if (r->key_id >= 2 * (a->keyed + a->cfg.nkeys_hint) + ID_SLACK) {
			a->bad_records++;
			return;
		}
		if (keys_grow(a, slot)) {
			a->err = -ENOMEM;
			return;
		}
	}
	struct an_key *k = &a->keys[slot];
	if (k->count == 0) {
		a->first_accesses++;
		an_hist_add(&a->h[AN_H_KEY_OBJ], r->key_len);
	} else {
		a->reuse_requests++;
		uint64_t dt = r->time_ns > k->last_time_ns ? r->time_ns - k->last_time_ns : 0;
		an_hist_add(&a->h[AN_H_REUSE_NS], dt);
		an_hist_add(&a->h[AN_H_REUSE_REQ], req - k->last_req);
	}
	if (has_value && !(k->flags & KEY_VALUE_SEEN)) {
		k->flags |= KEY_VALUE_SEEN;
		an_hist_add(&a->h[AN_H_VAL_OBJ], r->value_len);
	}
	if (k->count != UINT32_MAX)
		k->count++;
	k->last_time_ns = r->time_ns;
	k->last_req = req;
}

static struct an_conn *conn_get(struct analysis *a, uint32_t id)
{
	if (id >= a->conns_cap && id >= 2 * a->requests + ID_SLACK) {
		a->bad_records++;
		return NULL;
	}
	if (MB_ARRAY_RESERVE_ZERO(a->conns, a->conns_cap, (size_t)id + 1)) {
		a->err = -ENOMEM;
		return NULL;
	}
	if (id >= a->nconns)
		a->nconns = (size_t)id + 1;
	return &a->conns[id];
}

static void add_one(struct analysis *a, const struct mb_record *r)
{
	unsigned op = r->op < MB_OP_COUNT ? r->op : MB_OP_OTHER;
	unsigned status = r->status < MB_STATUS_COUNT ? r->status : MB_STATUS_NONE;
	if (r->op >= MB_OP_COUNT || r->proto >= MB_PROTO_COUNT || r->status >= MB_STATUS_COUNT)
		a->bad_records++;
	uint64_t t = r->time_ns;
	bool cont = (r->rflags & MB_RF_BATCH_CONT) && a->requests > 0;
	bool resp = r->rflags & MB_RF_HAS_RESPONSE;

	a->requests++;
	a->ops[op]++;
	if (r->proto < MB_PROTO_COUNT)
		a->protos[r->proto]++;
	if (t < a->first_ns)
		a->first_ns = t;
	if (t > a->last_ns)
		a->last_ns = t;
	if (r->rflags & MB_RF_NOREPLY)
		a->noreply++;

	struct an_conn *c = conn_get(a, r->conn_id);
	if (!cont) {
		end_batch(a);
		a->batch_op = (uint8_t)op;
		a->commands++;
		a->op_commands[op]++;
		if (a->have_prev)
			an_hist_add(&a->h[AN_H_IAT], t > a->prev_cmd_ns ? t - a->prev_cmd_ns : 0);
		a->prev_cmd_ns = t;
		a->have_prev = true;
		if (c) {
			if (!c->seen) {
				c->seen = true;
				c->first_ns = t;
			} else {
				an_hist_add(&a->h[AN_H_IAT_CONN],
					       t > c->last_ns ? t - c->last_ns : 0);
			}
			if (t > c->last_ns)
				c->last_ns = t;
			c->commands++;
		}
		if (resp) {
			a->responded++;
			an_hist_add(&a->h[AN_H_LATENCY], r->latency_ns);
			if (c && !(r->rflags & MB_RF_NOREPLY))
				conn_pipeline(a, c, t, t + r->latency_ns);
		}
	}
	a->batch_len++;
	if (c)
		c->requests++;

	struct an_tbucket *b = t >= a->tb_lo && t < a->tb_hi ? a->tb_cur : time_bucket(a, t);
	if (b)
		b->requests++;
	if (resp) {
		a->status[status]++;
		if (mb_op_is_read(op) && (status == MB_STATUS_HIT || status == MB_STATUS_MISS)) {
			bool hit = status == MB_STATUS_HIT;
			a->hits += hit;
			a->misses += !hit;
			if (b) {
				b->hits += hit;
				b->misses += !hit;
			}
		}
	}

	/* docs/analyze.md: storage commands, and reads whose response (or imported object size)
	 * carried a value; a delete or incr with a value size does not count. */
	bool has_value = (op_facts[op] & OPF_VALUE) ||
			 (mb_op_is_read(op) && (r->value_len > 0 || (resp && status == MB_STATUS_HIT)));
	if (has_value)
		an_hist_add(&a->h[AN_H_VAL_REQ], r->value_len);
	if (op_facts[op] & MB_OPF_TTL)
		add_ttl(a, r);
	if (r->key_id == MB_KEY_NONE)
		a->keyless++;
	else
		add_key(a, r, has_value);
}

#define PREFETCH_AHEAD 12

void an_add(struct analysis *a, const struct mb_record *recs, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		/* the key's state is a random access into a large array: start loading it early */
		if (i + PREFETCH_AHEAD < n) {
			uint64_t id = recs[i + PREFETCH_AHEAD].key_id;
			uint64_t slot = a->sketches ? id / a->sample : id; /* no division when exact */
			if (slot < a->keys_cap)
				__builtin_prefetch(&a->keys[slot], 1);
		}
		add_one(a, &recs[i]);
	}
}

/* ---- an_finish ---- */

static int cmp_run_desc(const void *x, const void *y)
{
	uint64_t a = ((const struct an_run *)x)->count, b = ((const struct an_run *)y)->count;
	return a < b ? 1 : a > b ? -1 : 0;
}

/* Builds the rank-frequency runs. Exact mode: one entry per key. Sketch mode: the head comes from
 * Space-Saving (every id above keyed / SS_CAPACITY requests is in it; its upper-bound count is
 * used), the tail from the sampled keys below the head's smallest guaranteed count, each standing
 * for `sample` keys of the same frequency. Sampling alone would make the head (which dominates
 * the MLE) depend on whether the few hottest keys happened to be sampled.
 * O(keys + distinct large counts * log). */
static int build_runs(struct analysis *a, size_t nslots)
{
	enum { SMALL = 4096 };
	int err = 0;
	uint64_t *small = calloc(SMALL, sizeof(*small));
	struct an_run *big = NULL; /* counts >= SMALL, or head entries */
	size_t nbig = 0, bigcap = 0;
	struct mb_ss_entry *head = NULL;
	size_t nhead = 0;
	uint64_t limit = UINT64_MAX; /* tail counts must be below this */
	if (!small)
		return -ENOMEM;
	if (a->sketches) {
		head = calloc(SS_CAPACITY, sizeof(*head));
		if (!head) {
			err = -ENOMEM;
			goto cleanup;
		}
		nhead = mb_ss_top(&a->ss, head, SS_CAPACITY);
		uint64_t guaranteed = a->keyed / SS_CAPACITY + 1;
		while (nhead && head[nhead - 1].count - head[nhead - 1].err < guaranteed)
			nhead--;
		if (nhead)
			limit = head[nhead - 1].count - head[nhead - 1].err;
		for (size_t i = 0; i < nhead; i++) {
			if (MB_ARRAY_RESERVE(big, bigcap, nbig + 1)) {
				err = -ENOMEM;
				goto cleanup;
			}
			big[nbig++] = (struct an_run){.count = head[i].count, .nkeys = 1};
		}
	}
	for (size_t i = 0; i < nslots; i++) {
		uint32_t c = a->keys[i].count;
		if (!c)
			continue;
		a->tracked_keys++;
		if (c <= AN_MAX_FREQ_BUCKET)
			a->freq_keys[c]++;
		if (c >= limit)
			continue;
		if (c < SMALL) {
			small[c] += a->sample;
			continue;
		}
		if (MB_ARRAY_RESERVE(big, bigcap, nbig + 1)) {
			err = -ENOMEM;
			goto cleanup;
		}
		big[nbig++] = (struct an_run){.count = c, .nkeys = a->sample};
	}
	if (nbig)
		qsort(big, nbig, sizeof(*big), cmp_run_desc);
	a->runs = calloc(nbig + SMALL, sizeof(*a->runs));
	if (!a->runs) {
		err = -ENOMEM;
		goto cleanup;
	}
	for (size_t i = 0; i < nbig; i++) {
		if (a->nruns && a->runs[a->nruns - 1].count == big[i].count)
			a->runs[a->nruns - 1].nkeys += big[i].nkeys;
		else
			a->runs[a->nruns++] = big[i];
	}
	for (size_t c = SMALL - 1; c >= 1; c--) {
		if (!small[c])
			continue;
		if (a->nruns && a->runs[a->nruns - 1].count == c)
			a->runs[a->nruns - 1].nkeys += small[c];
		else
			a->runs[a->nruns++] = (struct an_run){.count = c, .nkeys = small[c]};
	}
cleanup:
	free(small);
	free(big);
	free(head);
	return err;
}

static char *dup_key(an_key_fn key_fn, void *ctx, uint64_t id)
{
	const char *bytes;
	uint32_t len;
	if (!key_fn || key_fn(ctx, id, &bytes, &len) != 0)
		return NULL;
	char *s = malloc((size_t)len + 1);
	if (s) {
		memcpy(s, bytes, len);
		s[len] = '\0';
	}
	return s;
}

/* Top keys: exact (a min-heap of k over the counts) or from Space-Saving. */
static int build_top(struct analysis *a, size_t nslots, an_key_fn key_fn, void *ctx)
{
	size_t k = a->cfg.top_k;
	a->top = calloc(k, sizeof(*a->top));
	if (!a->top)
		return -ENOMEM;
	if (a->sketches) {
		struct mb_ss_entry *e = calloc(k, sizeof(*e));
		if (!e)
			return -ENOMEM;
		a->ntop = mb_ss_top(&a->ss, e, k);
		for (size_t i = 0; i < a->ntop; i++)
			a->top[i] = (struct an_topkey){.id = e[i].id, .count = e[i].count,
						       .err = e[i].err};
		free(e);
	} else {
		/* top[0..n) is a min-heap by count while scanning */
		size_t n = 0;
		for (size_t i = 0; i < nslots; i++) {
			uint64_t c = a->keys[i].count;
			if (!c || (n == k && c <= a->top[0].count))
				continue;
			size_t j;
			if (n < k) {
				j = n++;
				while (j > 0 && a->top[(j - 1) / 2].count > c) {
					a->top[j] = a->top[(j - 1) / 2];
					j = (j - 1) / 2;
				}
			} else {
				j = 0;
				for (;;) {
					size_t l = 2 * j + 1, r = l + 1, m = j;
					uint64_t mc = c;
					if (l < n && a->top[l].count < mc)
						m = l, mc = a->top[l].count;
					if (r < n && a->top[r].count < mc)
						m = r;
					if (m == j)
						break;
					a->top[j] = a->top[m];
					j = m;
				}
			}
			a->top[j] = (struct an_topkey){.id = i, .count = c};
		}
		a->ntop = n;
		/* sort descending by count, then id */
		for (size_t i = 1; i < n; i++) {
			struct an_topkey x = a->top[i];
			size_t j = i;
			while (j > 0 && (a->top[j - 1].count < x.count ||
					 (a->top[j - 1].count == x.count && a->top[j - 1].id > x.id))) {
				a->top[j] = a->top[j - 1];
				j--;
			}
			a->top[j] = x;
		}
	}
	uint64_t sum = 0;
	for (size_t i = 0; i < a->ntop; i++) {
		sum += a->top[i].count;
		a->top[i].key = dup_key(key_fn, ctx, a->top[i].id);
	}
	a->top_share = an_frac(sum, a->keyed);
	return 0;
}

/* Requests and keys per key prefix (keys or prefixes kept; in sketch mode from the sampled keys,
 * each standing for `sample` keys). Open addressing on the prefix bytes; at most MAX_PREFIXES
 * distinct prefixes, the rest counted as "(other)". */
static int build_prefixes(struct analysis *a, size_t nslots, an_key_fn key_fn, void *ctx)
{
	int err = 0;
	size_t tcap = 1;
	while (tcap < 2 * MAX_PREFIXES)
		tcap <<= 1;
	struct an_prefix *t = calloc(tcap, sizeof(*t));
	size_t used = 0;
	struct an_prefix other = {0};
	if (!t)
		return -ENOMEM;
	for (size_t i = 0; i < nslots; i++) {
		if (!a->keys[i].count)
			continue;
		const char *bytes;
		uint32_t len;
		if (key_fn(ctx, i * a->sample, &bytes, &len) != 0)
			continue;
		const char *d = memchr(bytes, a->cfg.delim, len);
		uint32_t plen = d ? (uint32_t)(d - bytes + 1) : len;
		if (!d && a->src.meta.key_mode == MB_KEYS_KEPT)
			plen = 0; /* no delimiter: the "(none)" prefix */
		uint64_t h = 1469598103934665603ull;
		for (uint32_t j = 0; j < plen; j++)
			h = (h ^ (uint8_t)bytes[j]) * 1099511628211ull;
		size_t p = h & (tcap - 1);
		while (t[p].prefix && (strlen(t[p].prefix) != plen || memcmp(t[p].prefix, bytes, plen)))
			p = (p + 1) & (tcap - 1);
		struct an_prefix *e = &t[p];
		if (!e->prefix) {
			if (used >= MAX_PREFIXES) {
				other.requests += (uint64_t)a->keys[i].count * a->sample;
				other.keys += a->sample;
				continue;
			}
			e->prefix = strndup(bytes, plen);
			if (!e->prefix) {
				err = -ENOMEM;
				goto cleanup;
			}
			used++;
		}
		e->requests += (uint64_t)a->keys[i].count * a->sample; /* each stands for `sample` */
		e->keys += a->sample;
	}
	a->prefixes = calloc(used + 1, sizeof(*a->prefixes));
	if (!a->prefixes) {
		err = -ENOMEM;
		goto cleanup;
	}
	for (size_t p = 0; p < tcap; p++)
		if (t[p].prefix)
			a->prefixes[a->nprefixes++] = t[p];
	if (other.keys) {
		other.prefix = strdup("(other)");
		if (other.prefix)
			a->prefixes[a->nprefixes++] = other;
	}
	/* insertion sort by requests desc: prefixes are few in practice */
	for (size_t i = 1; i < a->nprefixes; i++) {
		struct an_prefix x = a->prefixes[i];
		size_t j = i;
		while (j > 0 && a->prefixes[j - 1].requests < x.requests) {
			a->prefixes[j] = a->prefixes[j - 1];
			j--;
		}
		a->prefixes[j] = x;
	}
	free(t);
	return 0;
cleanup:
	for (size_t p = 0; p < tcap; p++)
		free(t[p].prefix);
	free(t);
	return err;
}

static int build_conns(struct analysis *a)
{
	a->top_conns = calloc(TOP_CONNS, sizeof(*a->top_conns));
	if (!a->top_conns)
		return -ENOMEM;
	for (size_t i = 0; i < a->nconns; i++) {
		const struct an_conn *c = &a->conns[i];
		if (!c->seen)
			continue;
		a->connections++;
		double span = (double)(c->last_ns - c->first_ns) / 1e9;
		double rps = c->commands >= 2 && span > 0 ? (double)(c->commands - 1) / span : NAN;
		if (!isnan(rps))
			mb_hist_record(&a->h[AN_H_CONN_RPS], (uint64_t)(rps * 1000.0 + 0.5));
		/* keep the TOP_CONNS busiest, sorted descending */
		size_t j = a->ntop_conns < TOP_CONNS ? a->ntop_conns++ : TOP_CONNS;
		while (j > 0 && a->top_conns[j - 1].commands < c->commands) {
			if (j < TOP_CONNS)
				a->top_conns[j] = a->top_conns[j - 1];
			j--;
		}
		if (j < TOP_CONNS)
			a->top_conns[j] = (struct an_conn_top){.conn_id = (uint32_t)i,
								.commands = c->commands, .rps = rps};
	}
	return 0;
}

/* A window giving about 10..20 rows: 1, 2, 5 x 10^k seconds, at least the series bucket. */
static uint64_t pick_window(const struct analysis *a)
{
	if (a->cfg.window_ns)
		return a->cfg.window_ns < a->tb_width_ns ? a->tb_width_ns :
			a->cfg.window_ns / a->tb_width_ns * a->tb_width_ns;
	double span = (double)a->ntb * (double)a->tb_width_ns;
	static const double steps[] = {1, 2, 5};
	for (double scale = 1e9;; scale *= 10)
		for (int i = 0; i < 3; i++) {
			double w = steps[i] * scale;
			if (span / w <= 20 && w >= (double)a->tb_width_ns)
				return (uint64_t)w / a->tb_width_ns * a->tb_width_ns;
		}
}

size_t an_series_len(const struct analysis *a, uint64_t width_ns)
{
	uint64_t per = width_ns / a->tb_width_ns;
	return per ? (a->ntb + per - 1) / per : 0;
}

struct an_tbucket an_series_at(const struct analysis *a, uint64_t width_ns, size_t i)
{
	uint64_t per = width_ns / a->tb_width_ns;
	struct an_tbucket s = {0};
	for (uint64_t j = i * per; j < (i + 1) * per && j < a->ntb; j++) {
		s.requests += a->tb[j].requests;
		s.hits += a->tb[j].hits;
		s.misses += a->tb[j].misses;
	}
	return s;
}

int an_finish(struct analysis *a, an_key_fn key_fn, void *key_ctx)
{
	int err = a->err;
	if (err)
		return err;
	end_batch(a);
	fold_small(a);
	if (!a->requests)
		a->first_ns = a->last_ns = 0;
	size_t nslots = a->keys_cap;

	a->duration_s = (double)(a->last_ns - a->first_ns) / 1e9;
	a->mean_rps = a->duration_s > 0 ? (double)a->requests / a->duration_s : NAN;
	uint64_t peak = 0;
	for (size_t i = 0; i < a->ntb; i++)
		if (a->tb[i].requests > peak)
			peak = a->tb[i].requests;
	a->peak_rps = a->ntb ? (double)peak / ((double)a->tb_width_ns / 1e9) : NAN;
	a->peak_to_mean = a->peak_rps / a->mean_rps;
	a->hit_ratio = an_frac(a->hits, a->hits + a->misses);
	a->window_ns = a->ntb ? pick_window(a) : a->tb_width_ns;

	err = build_runs(a, nslots);
	if (err)
		return err;
	a->unique_keys = a->sketches ? (uint64_t)llround(an_hll_estimate(a->hll)) : a->tracked_keys;
	a->one_hit_fraction = an_frac(a->freq_keys[1], a->tracked_keys);
	a->compulsory_miss_ratio = an_frac(a->unique_keys, a->keyed);
	if (a->compulsory_miss_ratio > 1)
		a->compulsory_miss_ratio = 1;
	if (an_zipf_ols(a->runs, a->nruns, &a->zipf_ols, &a->zipf_r2, &a->zipf_ols_intercept))
		a->zipf_ols = NAN;
	an_zipf_mle(a->runs, a->nruns, &a->zipf_mle);

	err = build_top(a, nslots, key_fn, key_ctx);
	if (!err && key_fn)
		err = build_prefixes(a, nslots, key_fn, key_ctx);
	if (!err)
		err = build_conns(a);
	a->finished = !err;
	return err;
}

double an_hist_ks(const struct mb_hist *x, const struct mb_hist *y)
{
	if ((!x->total && !y->total) || x->ncounts != y->ncounts || x->lowest != y->lowest ||
	    x->sig_digits != y->sig_digits)
		return NAN;
	if (!x->total || !y->total) /* one side has no values at all */
		return 1.0;
	double d = 0;
	uint64_t cx = 0, cy = 0;
	for (size_t i = 0; i < x->ncounts; i++) {
		cx += x->counts[i];
		cy += y->counts[i];
		double diff = fabs((double)cx / (double)x->total - (double)cy / (double)y->total);
		if (diff > d)
			d = diff;
	}
	return d;
}

const char *const *an_estimated(const struct analysis *a)
{
	static const char *const none[] = {NULL};
	static const char *const sketched[] = {
		"keys.unique", "keys.top", "keys.prefixes", "key_size.by_object",
		"value_size.by_object", "popularity", "reuse", NULL};
	return a->sketches ? sketched : none;
}
