/* Private to libmbprofile: the writer's identity tables.
 *
 * keymap: key identity -> dense key id (0, 1, 2, ... in first-seen order). An identity is 96
 * bits: for key bytes the XXH3-128 hash's low 64 bits and 32 bits of its high half with the top
 * bit set; for a producer's key_id the id and 0. Open addressing with
 * linear probing, power-of-two capacity, load <= 1/2, 16 bytes per slot (four per cache line):
 * memory grows with distinct keys (about 32 bytes each), never with records.
 *
 * u32set: the distinct connection ids seen (for the trailer's connection count), same scheme.
 */
#ifndef MB_PROFILE_KEYMAP_H
#define MB_PROFILE_KEYMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "membench/mix.h"

/* The second identity word: KM_BYTES hashes set the top bit, producer ids use 0. */
#define KM_B_BYTES(high64) ((uint32_t)(high64) | 0x80000000u)
#define KM_B_ID 0u

struct km_slot {
	uint64_t a;
	uint32_t b;   /* KM_B_BYTES(...) or KM_B_ID */
	uint32_t id1; /* dense id + 1; 0 = empty slot */
};

struct keymap {
	struct km_slot *slots;
	size_t mask; /* capacity - 1 */
	size_t n;
};


/* Finds the identity's dense id, inserting it as id n when new (*is_new set).
 * @return 0, -ENOMEM, MB_E_LIMIT (2^32 - 1 keys). */
int profile_keymap_get(struct keymap *m, uint64_t a, uint32_t b, uint32_t *id, bool *is_new);

/* Finds the identity's dense id without inserting it. @return 0 or -ENOENT. */
int profile_keymap_find(const struct keymap *m, uint64_t a, uint32_t b, uint32_t *id);

/* Starts loading the identity's first slot into the cache (lookups that follow are then
 * independent of memory latency). */
static inline void keymap_prefetch(const struct keymap *m, uint64_t a, uint32_t b)
{
	if (m->slots)
		__builtin_prefetch(&m->slots[mb_mix64(a ^ b) & m->mask]);
}

void profile_keymap_free(struct keymap *m);

struct u32set {
	uint32_t *slots; /* value + 1; 0 = empty */
	size_t mask;
	size_t n;         /* distinct values, including UINT32_MAX */
	bool has_max;     /* UINT32_MAX seen (its slot value would wrap to empty) */
};

/* Adds v. @return 0 or -ENOMEM. */
int profile_u32set_add(struct u32set *s, uint32_t v);
void profile_u32set_free(struct u32set *s);

#endif
