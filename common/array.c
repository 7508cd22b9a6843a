/* Growable arrays; see membench/array.h. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "membench/array.h"

#define ARRAY_MIN_CAP 16

int mb_array_grow(void **arr, size_t *cap, size_t need, size_t elem, int zero)
{
	if (need <= *cap)
		return 0;
	if (elem == 0 || need > SIZE_MAX / elem)
		return -ENOMEM;
	size_t ncap = *cap > SIZE_MAX / 2 ? SIZE_MAX : *cap * 2;
	if (ncap < ARRAY_MIN_CAP)
		ncap = ARRAY_MIN_CAP;
	if (ncap < need)
		ncap = need;
	if (ncap > SIZE_MAX / elem) /* doubling would overflow: take just what is needed */
		ncap = need;
	void *p = realloc(*arr, ncap * elem);
	if (!p)
		return -ENOMEM;
	if (zero)
		memset((char *)p + *cap * elem, 0, (ncap - *cap) * elem);
	*arr = p;
	*cap = ncap;
	return 0;
}
