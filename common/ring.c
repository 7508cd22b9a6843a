/* Ring queue; see membench/ring.h. */
#include <stdlib.h>
#include <string.h>

#include "membench/ring.h"

#define RING_MIN_CAP 16u
#define RING_MAX_CAP (1u << 31)

void *mb_ring_push(struct mb_ring *r, size_t elem)
{
	if (r->len == r->cap) {
		if (r->cap >= RING_MAX_CAP)
			return NULL;
		uint32_t ncap = r->cap ? r->cap * 2 : RING_MIN_CAP;
		if (elem == 0 || ncap > SIZE_MAX / elem) /* the block's size would wrap around */
			return NULL;
		char *n = malloc((size_t)ncap * elem);
		if (!n)
			return NULL;
		/* unwrap: the part from head to the end of the block, then the part from 0 */
		uint32_t first = r->cap - r->head < r->len ? r->cap - r->head : r->len;
		if (r->len) {
			memcpy(n, r->data + (size_t)r->head * elem, (size_t)first * elem);
			memcpy(n + (size_t)first * elem, r->data, (size_t)(r->len - first) * elem);
		}
		free(r->data);
		r->data = n;
		r->cap = ncap;
		r->head = 0;
	}
	r->len++;
	return mb_ring_at(r, elem, r->len - 1);
}

void mb_ring_free(struct mb_ring *r)
{
	free(r->data);
	r->data = NULL;
	r->cap = r->head = r->len = 0;
}
