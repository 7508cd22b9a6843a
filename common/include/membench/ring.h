/* ring.h: a FIFO queue of fixed-size elements in a ring that doubles when full.
 *
 * Invariant: cap is 0 or a power of two; the len elements sit at indices head, head + 1, ...
 * (mod cap) from oldest to newest. Pushing into a full ring moves its elements, unwrapped, into
 * a block twice the size (O(len), so n pushes cost O(n) moves in total); popping is O(1) and
 * never shrinks the block. At most 2^31 elements. Element addresses change when the ring grows.
 */
#ifndef MEMBENCH_RING_H
#define MEMBENCH_RING_H

#include <stddef.h>
#include <stdint.h>

struct mb_ring {
	char *data;    /* cap elements */
	uint32_t cap;  /* 0 or a power of two */
	uint32_t head; /* index of the oldest element */
	uint32_t len;  /* elements held */
};

/* The i-th element from the oldest (i < len). */
static inline void *mb_ring_at(const struct mb_ring *r, size_t elem, uint32_t i)
{
	return r->data + (size_t)((r->head + i) & (r->cap - 1)) * elem;
}

/* Appends one element at the tail. @return its slot (contents undefined), or NULL when memory
 * runs out or the ring already holds 2^31 elements (the ring is then unchanged). */
void *mb_ring_push(struct mb_ring *r, size_t elem);

/* Drops the oldest element (len > 0). */
static inline void mb_ring_pop(struct mb_ring *r)
{
	r->head = (r->head + 1) & (r->cap - 1);
	r->len--;
}

void mb_ring_free(struct mb_ring *r);

#endif
