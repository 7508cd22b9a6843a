/* Space-Saving heavy hitters; see membench/spacesaving.h for the guarantees. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "membench/mix.h"
#include "membench/spacesaving.h"

static size_t ss_probe(const struct mb_ss *s, uint64_t id)
{
	return (size_t)(mb_mix64(id) & (s->tcap - 1));
}

/* Table position holding id, or of the empty slot where it would go. */
static size_t ss_find(const struct mb_ss *s, uint64_t id)
{
	size_t p = ss_probe(s, id);
	while (s->table[p] && s->heap[s->table[p] - 1].id != id)
		p = (p + 1) & (s->tcap - 1);
	return p;
}

/* Removes the table slot at p with backward-shift deletion (linear probing stays valid). */
static void ss_table_delete(struct mb_ss *s, size_t p)
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
			s->heap[s->table[p] - 1].tpos = (uint32_t)p;
			p = q;
		}
	}
	s->table[p] = 0;
}

/* Puts entry e at heap slot i and points its table entry at it. */
static void ss_place(struct mb_ss *s, size_t i, const struct mb_ss_entry *e)
{
	s->heap[i] = *e;
	s->table[e->tpos] = (uint32_t)i + 1;
}

/* Moves slot i's entry down to its place: smaller children move up into the hole, and the
 * entry is written once, at the end (one copy and one table write per level, not a swap). */
static void ss_sift_down(struct mb_ss *s, size_t i)
{
	struct mb_ss_entry e = s->heap[i];
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = l;
		if (l >= s->len)
			break;
		if (r < s->len && s->heap[r].count < s->heap[l].count)
			m = r;
		if (s->heap[m].count >= e.count)
			break;
		ss_place(s, i, &s->heap[m]);
		i = m;
	}
	ss_place(s, i, &e);
}

static void ss_sift_up(struct mb_ss *s, size_t i)
{
	struct mb_ss_entry e = s->heap[i];
	while (i > 0) {
		size_t parent = (i - 1) / 2;
		if (s->heap[parent].count <= e.count)
			break;
		ss_place(s, i, &s->heap[parent]);
		i = parent;
	}
	ss_place(s, i, &e);
}

int mb_ss_init(struct mb_ss *s, size_t cap)
{
	memset(s, 0, sizeof(*s));
	if (cap < 1 || cap > MB_SS_MAX_CAP)
		return -EINVAL;
	s->cap = cap;
	s->tcap = 1;
	while (s->tcap < 2 * cap)
		s->tcap <<= 1;
	s->heap = calloc(cap, sizeof(*s->heap));
	s->table = calloc(s->tcap, sizeof(*s->table));
	if (!s->heap || !s->table) {
		mb_ss_free(s);
		return -ENOMEM;
	}
	return 0;
}

void mb_ss_free(struct mb_ss *s)
{
	free(s->heap);
	free(s->table);
	memset(s, 0, sizeof(*s));
}

/* Puts id in a counter starting at count (err): a free one, else the smallest (heap root),
 * whose cell it takes. p is ss_find(id). @return the cell. */
static uint32_t ss_take(struct mb_ss *s, uint64_t id, size_t p, uint64_t count, uint64_t err)
{
	if (s->len < s->cap) {
		size_t slot = s->len++;
		s->heap[slot] = (struct mb_ss_entry){
			.id = id, .count = count, .err = err, .tpos = (uint32_t)p, .cell = (uint32_t)slot};
		s->table[p] = (uint32_t)slot + 1;
		ss_sift_up(s, slot);
		return (uint32_t)slot;
	}
	uint32_t cell = s->heap[0].cell;
	ss_table_delete(s, s->heap[0].tpos);
	p = ss_find(s, id);
	s->heap[0] = (struct mb_ss_entry){
		.id = id, .count = count, .err = err, .tpos = (uint32_t)p, .cell = cell};
	s->table[p] = 1;
	ss_sift_down(s, 0);
	return cell;
}

/* Both updates of id's counter: add v (mb_ss_add), or raise it to v (mb_ss_max). */
static uint32_t ss_update(struct mb_ss *s, uint64_t id, uint64_t v, bool max, bool *fresh)
{
	size_t p = ss_find(s, id);
	if (fresh)
		*fresh = false;
	if (s->table[p]) {
		size_t slot = s->table[p] - 1;
		struct mb_ss_entry *e = &s->heap[slot];
		uint32_t cell = e->cell;
		uint64_t count = !max ? e->count + v : v > e->count ? v : e->count;
		if (count != e->count) {
			e->count = count;
			ss_sift_down(s, slot);
		}
		return cell;
	}
	uint64_t min = s->len < s->cap ? 0 : s->heap[0].count;
	if (!v || (max && s->len == s->cap && v <= min))
		return MB_SS_NO_CELL;
	if (fresh)
		*fresh = true;
	return max ? ss_take(s, id, p, v, 0) : ss_take(s, id, p, min + v, min);
}

uint32_t mb_ss_add(struct mb_ss *s, uint64_t id, uint64_t w, bool *fresh)
{
	return ss_update(s, id, w, false, fresh);
}

uint32_t mb_ss_max(struct mb_ss *s, uint64_t id, uint64_t v, bool *fresh)
{
	return ss_update(s, id, v, true, fresh);
}

const struct mb_ss_entry *mb_ss_find(const struct mb_ss *s, uint64_t id)
{
	if (!s->table)
		return NULL;
	size_t p = ss_find(s, id);
	return s->table[p] ? &s->heap[s->table[p] - 1] : NULL;
}

static int ss_cmp_desc(const void *a, const void *b)
{
	const struct mb_ss_entry *x = a, *y = b;
	if (x->count != y->count)
		return x->count < y->count ? 1 : -1;
	return x->id < y->id ? -1 : x->id > y->id;
}

size_t mb_ss_top(const struct mb_ss *s, struct mb_ss_entry *out, size_t k)
{
	if (s->len == 0)
		return 0;
	struct mb_ss_entry *all = malloc(s->len * sizeof(*all));
	if (!all)
		return 0;
	memcpy(all, s->heap, s->len * sizeof(*all));
	qsort(all, s->len, sizeof(*all), ss_cmp_desc);
	size_t n = k < s->len ? k : s->len;
	memcpy(out, all, n * sizeof(*out));
	free(all);
	return n;
}
