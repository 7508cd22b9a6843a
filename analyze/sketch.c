/* HyperLogLog and Space-Saving; see sketch.h for the guarantees. */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "sketch.h"

void an_hll_init(struct an_hll *h)
{
	memset(h->reg, 0, sizeof(h->reg));
}

void an_hll_add(struct an_hll *h, uint64_t id)
{
	uint64_t x = mb_mix64(id + 0x9e3779b97f4a7c15ull);
	uint32_t idx = (uint32_t)(x >> (64 - AN_HLL_BITS));
	uint64_t rest = x << AN_HLL_BITS;
	/* rank = position of the first 1 bit in the remaining 64 - b bits, 1-based */
	uint8_t rank = rest ? (uint8_t)(__builtin_clzll(rest) + 1) : (uint8_t)(64 - AN_HLL_BITS + 1);
	if (rank > h->reg[idx])
		h->reg[idx] = rank;
}

double an_hll_estimate(const struct an_hll *h)
{
	const double m = (double)(1u << AN_HLL_BITS);
	double sum = 0;
	unsigned zeros = 0;
	for (size_t i = 0; i < sizeof(h->reg); i++) {
		sum += ldexp(1.0, -h->reg[i]);
		zeros += h->reg[i] == 0;
	}
	double alpha = 0.7213 / (1.0 + 1.079 / m);
	double e = alpha * m * m / sum;
	if (e <= 2.5 * m && zeros)
		e = m * log(m / zeros); /* linear counting for small cardinalities */
	return e;
}

/* ---- Space-Saving ---- */

static size_t ss_probe(const struct an_spacesaving *s, uint64_t id)
{
	return (size_t)(mb_mix64(id) & (s->tcap - 1));
}

/* Table position holding id, or of the empty slot where it would go. */
static size_t ss_find(const struct an_spacesaving *s, uint64_t id)
{
	size_t p = ss_probe(s, id);
	while (s->table[p] && s->heap[s->table[p] - 1].id != id)
		p = (p + 1) & (s->tcap - 1);
	return p;
}

/* Removes the table slot at p with backward-shift deletion (linear probing stays valid). */
static void ss_table_delete(struct an_spacesaving *s, size_t p)
{
	size_t mask = s->tcap - 1;
	size_t q = p;
	for (;;) {
		q = (q + 1) & mask;
		if (!s->table[q])
			break;
		size_t home = ss_probe(s, s->heap[s->table[q] - 1].id);
		/* move q back to p if its home is not in (p, q] cyclically */
		bool stays = p <= q ? (home > p && home <= q) : (home > p || home <= q);
		if (!stays) {
			s->table[p] = s->table[q];
			s->heap[s->table[p] - 1].tpos = p;
			p = q;
		}
	}
	s->table[p] = 0;
}

/* Swaps heap slots i and j and points their table entries at the new slots. */
static void ss_swap(struct an_spacesaving *s, size_t i, size_t j)
{
	struct an_ss_entry t = s->heap[i];
	s->heap[i] = s->heap[j];
	s->heap[j] = t;
	s->table[s->heap[i].tpos] = (uint32_t)i + 1;
	s->table[s->heap[j].tpos] = (uint32_t)j + 1;
}

static void ss_sift_down(struct an_spacesaving *s, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		if (l < s->len && s->heap[l].count < s->heap[m].count)
			m = l;
		if (r < s->len && s->heap[r].count < s->heap[m].count)
			m = r;
		if (m == i)
			return;
		ss_swap(s, i, m);
		i = m;
	}
}

static void ss_sift_up(struct an_spacesaving *s, size_t i)
{
	while (i > 0) {
		size_t parent = (i - 1) / 2;
		if (s->heap[parent].count <= s->heap[i].count)
			return;
		ss_swap(s, i, parent);
		i = parent;
	}
}

int an_ss_init(struct an_spacesaving *s, size_t cap)
{
	memset(s, 0, sizeof(*s));
	if (cap < 1 || cap > (1u << 24))
		return -EINVAL;
	s->cap = cap;
	s->tcap = 1;
	while (s->tcap < 2 * cap)
		s->tcap <<= 1;
	s->heap = calloc(cap, sizeof(*s->heap));
	s->table = calloc(s->tcap, sizeof(*s->table));
	if (!s->heap || !s->table) {
		an_ss_free(s);
		return -ENOMEM;
	}
	return 0;
}

void an_ss_free(struct an_spacesaving *s)
{
	free(s->heap);
	free(s->table);
	memset(s, 0, sizeof(*s));
}

void an_ss_add(struct an_spacesaving *s, uint64_t id)
{
	size_t p = ss_find(s, id);
	if (s->table[p]) {
		size_t slot = s->table[p] - 1;
		s->heap[slot].count++;
		ss_sift_down(s, slot);
		return;
	}
	if (s->len < s->cap) {
		size_t slot = s->len++;
		s->heap[slot] = (struct an_ss_entry){.id = id, .count = 1, .err = 0, .tpos = p};
		s->table[p] = (uint32_t)slot + 1;
		ss_sift_up(s, slot);
		return;
	}
	/* replace the minimum (heap root) */
	ss_table_delete(s, s->heap[0].tpos);
	uint64_t min = s->heap[0].count;
	size_t tp = ss_find(s, id);
	s->heap[0] = (struct an_ss_entry){.id = id, .count = min + 1, .err = min, .tpos = tp};
	s->table[tp] = 1;
	ss_sift_down(s, 0);
}

static int ss_cmp_desc(const void *a, const void *b)
{
	const struct an_ss_entry *x = a, *y = b;
	if (x->count != y->count)
		return x->count < y->count ? 1 : -1;
	return x->id < y->id ? -1 : x->id > y->id;
}

size_t an_ss_top(const struct an_spacesaving *s, struct an_ss_entry *out, size_t k)
{
	if (s->len == 0)
		return 0;
	struct an_ss_entry *all = malloc(s->len * sizeof(*all));
	if (!all)
		return 0;
	memcpy(all, s->heap, s->len * sizeof(*all));
	qsort(all, s->len, sizeof(*all), ss_cmp_desc);
	size_t n = k < s->len ? k : s->len;
	memcpy(out, all, n * sizeof(*out));
	free(all);
	return n;
}
