/* array.h: growing an array by doubling, with the size arithmetic checked once here instead of
 * at every call site.
 *
 * An array is a pointer and a capacity in elements (size_t); the caller keeps its own count.
 * mb_array_reserve grows the capacity to at least `need` elements: to max(need, 2 * cap, 16),
 * so n appends cost O(n) copies in total. It refuses (-ENOMEM, array untouched) when the byte
 * size would not fit in size_t, instead of wrapping around and handing back a short block.
 *
 *   struct mb_record *recs = NULL; size_t cap = 0, n = 0;
 *   if (MB_ARRAY_RESERVE(recs, cap, n + 1)) return -ENOMEM;
 *   recs[n++] = r;
 */
#ifndef MEMBENCH_ARRAY_H
#define MEMBENCH_ARRAY_H

#include <stddef.h>

/* The growing step of mb_array_reserve (out of line; call mb_array_reserve). */
int mb_array_grow(void **arr, size_t *cap, size_t need, size_t elem, int zero);

/* Grows *arr (of *cap elements of elem bytes) to hold at least need elements; new elements are
 * uninitialised, or zeroed when zero is true. Nothing happens when *cap >= need (an inline
 * compare: cheap enough for a per-record call).
 * @return 0, or -ENOMEM (out of memory, or need * elem overflows size_t) with *arr and *cap
 *         unchanged. */
static inline int mb_array_reserve(void **arr, size_t *cap, size_t need, size_t elem, int zero)
{
	return need <= *cap ? 0 : mb_array_grow(arr, cap, need, elem, zero);
}

/* Typed forms: arr is an lvalue pointer, cap an lvalue size_t. */
#define MB_ARRAY_RESERVE(arr, cap, need) \
	mb_array_reserve((void **)&(arr), &(cap), (need), sizeof(*(arr)), 0)
#define MB_ARRAY_RESERVE_ZERO(arr, cap, need) \
	mb_array_reserve((void **)&(arr), &(cap), (need), sizeof(*(arr)), 1)

#endif
