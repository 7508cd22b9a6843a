/* Space-Saving heavy hitters (Metwally, Agrawal, El Abbadi, "Efficient computation of frequent
 * and top-k elements in data streams", ICDT 2005), weighted, with a stable cell per counter.
 * Used by `membench analyze` (top keys beyond --exact-keys) and `membench record --top` (live
 * hot keys), which both need the heaviest ids of a stream in memory that does not grow with it.
 *
 * `cap` counters {id, count, err}. mb_ss_add(id, w): a tracked id adds w to its counter; an
 * untracked one replaces the smallest counter c_min and starts at c_min + w with err = c_min.
 * With W the total weight added: every id whose true total exceeds W / cap is tracked, and for a
 * tracked id count - err <= true total <= count, with err <= W / cap.
 *
 * mb_ss_max(id, v) uses the same counters to keep the `cap` ids with the largest v ever seen
 * (count = the id's largest v, err = 0): exact, since an id leaves only for a larger one.
 * Do not mix mb_ss_add and mb_ss_max on one sketch.
 *
 * Cells: each counter owns a cell 0..cap-1 that does not move while the heap reorders; an id
 * that takes a counter (new, or replacing the smallest) takes that counter's cell and `fresh`
 * says so, so a caller can keep its own per-id data in an array of cap cells and reset it then.
 *
 * Layout: counters in a min-heap by count (an update or a replacement is O(log cap)) and an
 * open-addressing table (linear probing, load <= 1/2) mapping id -> heap slot; each heap entry
 * knows its table position, so moving entries in the heap never probes the table. Memory:
 * 32 bytes per counter plus 8 to 16 bytes of table.
 */
#ifndef MEMBENCH_SPACESAVING_H
#define MEMBENCH_SPACESAVING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MB_SS_MAX_CAP (1u << 24)
#define MB_SS_NO_CELL UINT32_MAX

struct mb_ss_entry {
	uint64_t id;
	uint64_t count; /* upper bound of the id's total (mb_ss_max: its largest value) */
	uint64_t err;   /* count - err is a lower bound */
	uint32_t tpos;  /* this entry's position in the id table (internal) */
	uint32_t cell;  /* stable cell, 0..cap-1 */
};

struct mb_ss {
	struct mb_ss_entry *heap; /* min-heap by count, `len` used of `cap` */
	uint32_t *table;          /* id hash -> heap slot + 1 (0 = empty), `tcap` slots */
	size_t len, cap, tcap;
};

/* @return 0, -EINVAL (cap not in 1..MB_SS_MAX_CAP) or -ENOMEM. */
int mb_ss_init(struct mb_ss *s, size_t cap);
void mb_ss_free(struct mb_ss *s);

/* Adds weight w to id. *fresh (may be NULL) is set when id took a counter now.
 * @return id's cell; MB_SS_NO_CELL when w is 0 and id is not tracked (nothing changes). */
uint32_t mb_ss_add(struct mb_ss *s, uint64_t id, uint64_t w, bool *fresh);

/* Notes value v for id, keeping the cap ids with the largest values. *fresh as above.
 * @return id's cell, or MB_SS_NO_CELL when id is not (or no longer) among them (a v of 0
 * never enters). */
uint32_t mb_ss_max(struct mb_ss *s, uint64_t id, uint64_t v, bool *fresh);

/* The counter of a tracked id, or NULL. */
const struct mb_ss_entry *mb_ss_find(const struct mb_ss *s, uint64_t id);

/* Copies up to k entries with the largest counts into out, largest first (ties by id).
 * Cost: O(len log len). @return how many, 0 when len is 0 or on ENOMEM. */
size_t mb_ss_top(const struct mb_ss *s, struct mb_ss_entry *out, size_t k);

#endif
