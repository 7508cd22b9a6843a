/* Interned byte strings (strtab.h): the meta-request flag texts of format 1.1's extras blocks.
 * A reader hands records an id per distinct text and the text by id, so a record stays a fixed
 * size and the text stays valid until the reader is closed. Memory grows with distinct texts
 * (few: opaque and cas values are not part of them, FORMAT.md), never with records: 8 bytes
 * per text plus its bytes plus the slot table (at most half full). Hash: FNV-1a 32.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "strtab.h"
#include "membench/array.h"

static uint32_t hash(const void *s, size_t len)
{
	const unsigned char *p = s;
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < len; i++)
		h = (h ^ p[i]) * 16777619u;
	return h;
}

int profile_strtab_get(const struct profile_strtab *t, uint32_t id, const char **s, uint32_t *len)
{
	if (id == 0 || id > t->n)
		return -1;
	uint32_t start = id > 1 ? t->end[id - 2] : 0;
	*s = t->bytes.data + start;
	*len = t->end[id - 1] - start;
	return 0;
}

static uint32_t *find(const struct profile_strtab *t, uint32_t *slots, size_t cap, uint32_t h,
		      const void *s, size_t len)
{
	size_t i = h & (cap - 1);
	for (;;) {
		uint32_t id = slots[i];
		const char *b = NULL;
		uint32_t bl = 0;
		if (!id || (profile_strtab_get(t, id, &b, &bl) == 0 && bl == len &&
			    memcmp(b, s, len) == 0))
			return &slots[i];
		i = (i + 1) & (cap - 1);
	}
}

static int grow(struct profile_strtab *t)
{
	size_t ncap = t->scap ? t->scap * 2 : 64;
	uint32_t *ns = calloc(ncap, sizeof(*ns));
	if (!ns)
		return -ENOMEM;
	for (uint32_t id = 1; id <= t->n; id++) {
		const char *b = NULL;
		uint32_t bl = 0;
		profile_strtab_get(t, id, &b, &bl);
		*find(t, ns, ncap, hash(b, bl), b, bl) = id;
	}
	free(t->slot);
	t->slot = ns;
	t->scap = ncap;
	return 0;
}

uint32_t profile_strtab_intern(struct profile_strtab *t, const void *s, size_t len)
{
	if ((t->n + 1) * 2 > t->scap && grow(t))
		return 0;
	uint32_t h = hash(s, len);
	uint32_t *slot = find(t, t->slot, t->scap, h, s, len);
	if (*slot)
		return *slot;
	if (t->bytes.len + len > INT32_MAX || MB_ARRAY_RESERVE(t->end, t->ecap, t->n + 1) ||
	    mb_buf_append(&t->bytes, s, len))
		return 0;
	t->end[t->n++] = (uint32_t)t->bytes.len;
	*slot = (uint32_t)t->n;
	return *slot;
}

void profile_strtab_free(struct profile_strtab *t)
{
	mb_buf_free(&t->bytes);
	free(t->end);
	free(t->slot);
	*t = (struct profile_strtab){0};
}
