/* Per-lane cas uniques of a replay (cas.c). */
#ifndef MB_REPLAY_CAS_H
#define MB_REPLAY_CAS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "membench/profile.h"

/* The unique sent for a cas that production answered `exists` (a race there): no item has it
 * (memcached's cas counter starts at 1 and counts up), so the target answers `exists` too.
 * Also sent when the lane has seen no unique for the key (production got it elsewhere). */
#define RP_CAS_NONE UINT64_MAX

struct rp_cas_slot {
	uint64_t hash; /* 0 = empty */
	uint64_t cas;
};

/* Key -> the latest unique the target returned for it on one connection. Zeroed = empty. */
struct rp_cas {
	struct rp_cas_slot *slots;
	size_t cap, n;   /* cap: power of two or 0; n <= cap / 2 */
};

/* Remembers key's unique (replacing an older one). @return 0 or -ENOMEM (then not kept). */
int rp_cas_put(struct rp_cas *t, const char *key, size_t len, uint64_t cas);
/* The latest unique of key, or RP_CAS_NONE. */
uint64_t rp_cas_get(const struct rp_cas *t, const char *key, size_t len);
/* The unique to send with a replayed cas recorded with outcome rec_status (enum mb_status):
 * RP_CAS_NONE for a recorded `exists`, else the key's latest unique on this lane. */
uint64_t rp_cas_for(const struct rp_cas *t, const char *key, size_t len, uint8_t rec_status);
void rp_cas_free(struct rp_cas *t);
/* True when a recorded meta flag text (format 1.1) has a C or E token: a cas. */
bool rp_cas_in_meta(const char *flags, uint32_t len);

#endif
