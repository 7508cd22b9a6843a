/* Per-lane cas uniques: what was stored in production by a cas is stored again by the replay
 * only if the replay's cas carries the unique the target gave out, not the recorded one (which
 * a profile does not keep, and which would mean nothing to another server).
 *
 * Each connection of a lane keeps, per key, the unique of the latest response that carried one
 * for a read (gets/gats VALUE, mg with c, binary get), and a replayed cas of that key is sent
 * with it. A production race (cas answered `exists`) is reproduced by sending RP_CAS_NONE; a
 * `not_found` comes back by itself when the replay's order deleted or never stored the key.
 *
 * Table: open addressing with linear probing over a 64-bit hash of the key bytes (FNV-1a, then
 * mb_mix64); keys are not stored, so two keys of one connection sharing a hash (about n^2 / 2^65
 * for n keys) would share a unique: that cas would be answered `exists`, and counted as a
 * differing outcome. 16 bytes per slot, at most half full; it grows with the keys a connection
 * reads with cas, never with requests. Cost: O(key length) per put/get.
 */
#include <errno.h>
#include <stdlib.h>

#include "cas.h"
#include "membench/mix.h"

static uint64_t key_hash(const char *key, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ull;
	for (size_t i = 0; i < len; i++)
		h = (h ^ (uint8_t)key[i]) * 0x100000001b3ull;
	h = mb_mix64(h);
	return h ? h : 1;
}

static struct rp_cas_slot *find(struct rp_cas_slot *slots, size_t cap, uint64_t h)
{
	size_t i = (size_t)h & (cap - 1);
	while (slots[i].hash && slots[i].hash != h)
		i = (i + 1) & (cap - 1);
	return &slots[i];
}

static int grow(struct rp_cas *t)
{
	size_t ncap = t->cap ? t->cap * 2 : 64;
	struct rp_cas_slot *ns = calloc(ncap, sizeof(*ns));
	if (!ns)
		return -ENOMEM;
	for (size_t i = 0; i < t->cap; i++)
		if (t->slots[i].hash)
			*find(ns, ncap, t->slots[i].hash) = t->slots[i];
	free(t->slots);
	t->slots = ns;
	t->cap = ncap;
	return 0;
}

int rp_cas_put(struct rp_cas *t, const char *key, size_t len, uint64_t cas)
{
	if ((t->n + 1) * 2 > t->cap && grow(t))
		return -ENOMEM;
	uint64_t h = key_hash(key, len);
	struct rp_cas_slot *s = find(t->slots, t->cap, h);
	if (!s->hash) {
		s->hash = h;
		t->n++;
	}
	s->cas = cas;
	return 0;
}

uint64_t rp_cas_get(const struct rp_cas *t, const char *key, size_t len)
{
	if (!t->cap)
		return RP_CAS_NONE;
	const struct rp_cas_slot *s = find(t->slots, t->cap, key_hash(key, len));
	return s->hash ? s->cas : RP_CAS_NONE;
}

uint64_t rp_cas_for(const struct rp_cas *t, const char *key, size_t len, uint8_t rec_status)
{
	return rec_status == MB_STATUS_EXISTS ? RP_CAS_NONE : rp_cas_get(t, key, len);
}

void rp_cas_free(struct rp_cas *t)
{
	free(t->slots);
	*t = (struct rp_cas){0};
}

bool rp_cas_in_meta(const char *flags, uint32_t len)
{
	for (uint32_t i = 0; i < len; i++)
		if ((flags[i] == 'C' || flags[i] == 'E') && (i == 0 || flags[i - 1] == ' '))
			return true;
	return false;
}
