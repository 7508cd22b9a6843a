/* Private to libmbprofile: interned byte strings with dense ids 1, 2, ... (strtab.c). */
#ifndef MB_PROFILE_STRTAB_H
#define MB_PROFILE_STRTAB_H

#include <stddef.h>
#include <stdint.h>

#include "membench/buf.h"

struct profile_strtab {
	struct mb_buf bytes;  /* every string back to back */
	uint32_t *end;        /* end[id - 1]: where string id ends in bytes */
	uint32_t *slot;       /* open addressing: 0 empty, else id */
	size_t n, ecap, scap; /* strings; capacity of end; slots (power of two, <= half full) */
};

/* The id of s[0, len) (1..), adding it when new. @return id, or 0 on ENOMEM / over the limit
 * (2^31 bytes in all). Cost: O(len) expected. */
uint32_t profile_strtab_intern(struct profile_strtab *t, const void *s, size_t len);
/* String id (1..n). @return 0 with *s, *len set, or -1 for an unknown id. */
int profile_strtab_get(const struct profile_strtab *t, uint32_t id, const char **s, uint32_t *len);
void profile_strtab_free(struct profile_strtab *t);

#endif
