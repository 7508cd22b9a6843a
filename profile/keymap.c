/* Identity tables of the writer; see keymap.h. Both tables double when half full, so an
 * insert is amortised O(1) and a lookup touches one or two cache lines. */
#include <errno.h>
#include <stdlib.h>

#include "keymap.h"
#include "membench/error.h"

static int keymap_grow(struct keymap *m)
{
	size_t cap = m->slots ? (m->mask + 1) * 2 : 1024;
	if (cap > SIZE_MAX / sizeof(struct km_slot))
		return -ENOMEM;
	struct km_slot *s = calloc(cap, sizeof(*s));
	if (!s)
		return -ENOMEM;
	size_t mask = cap - 1;
	if (m->slots) {
		for (size_t i = 0; i <= m->mask; i++) {
			const struct km_slot *o = &m->slots[i];
			if (!o->id1)
				continue;
			size_t j = mb_mix64(o->a ^ o->b) & mask;
			while (s[j].id1)
				j = (j + 1) & mask;
			s[j] = *o;
		}
		free(m->slots);
	}
	m->slots = s;
	m->mask = mask;
	return 0;
}

int profile_keymap_get(struct keymap *m, uint64_t a, uint32_t b, uint32_t *id, bool *is_new)
{
	if (!m->slots || m->n >= (m->mask + 1) / 2) {
		int err = keymap_grow(m);
		if (err)
			return err;
	}
	uint32_t b32 = b;
	size_t j = mb_mix64(a ^ b32) & m->mask;
	for (;;) {
		struct km_slot *s = &m->slots[j];
		if (!s->id1)
			break;
		if (s->a == a && s->b == b32) {
			*id = s->id1 - 1;
			*is_new = false;
			return 0;
		}
		j = (j + 1) & m->mask;
	}
	if (m->n >= UINT32_MAX - 1)
		return MB_E_LIMIT;
	struct km_slot *s = &m->slots[j];
	s->a = a;
	s->b = b32;
	s->id1 = (uint32_t)(m->n + 1);
	*id = (uint32_t)m->n;
	*is_new = true;
	m->n++;
	return 0;
}

int profile_keymap_find(const struct keymap *m, uint64_t a, uint32_t b, uint32_t *id)
{
	if (!m->slots)
		return -ENOENT;
	for (size_t j = mb_mix64(a ^ b) & m->mask; m->slots[j].id1; j = (j + 1) & m->mask)
		if (m->slots[j].a == a && m->slots[j].b == b) {
			*id = m->slots[j].id1 - 1;
			return 0;
		}
	return -ENOENT;
}

void profile_keymap_free(struct keymap *m)
{
	free(m->slots);
	m->slots = NULL;
	m->mask = m->n = 0;
}

static int u32set_grow(struct u32set *s)
{
	size_t cap = s->slots ? (s->mask + 1) * 2 : 64;
	uint32_t *t = calloc(cap, sizeof(*t));
	if (!t)
		return -ENOMEM;
	size_t mask = cap - 1;
	if (s->slots) {
		for (size_t i = 0; i <= s->mask; i++) {
			if (!s->slots[i])
				continue;
			size_t j = mb_mix64(s->slots[i] - 1) & mask; /* slots hold v + 1 */
			while (t[j])
				j = (j + 1) & mask;
			t[j] = s->slots[i];
		}
		free(s->slots);
	}
	s->slots = t;
	s->mask = mask;
	return 0;
}

int profile_u32set_add(struct u32set *s, uint32_t v)
{
	if (v == UINT32_MAX) { /* v + 1 would be the empty marker */
		s->n += !s->has_max;
		s->has_max = true;
		return 0;
	}
	if (!s->slots || s->n >= (s->mask + 1) / 2) {
		int err = u32set_grow(s);
		if (err)
			return err;
	}
	size_t j = mb_mix64(v) & s->mask;
	for (;;) {
		uint32_t cur = s->slots[j];
		if (!cur)
			break;
		if (cur - 1 == v)
			return 0;
		j = (j + 1) & s->mask;
	}
	s->slots[j] = v + 1;
	s->n++;
	return 0;
}

void profile_u32set_free(struct u32set *s)
{
	free(s->slots);
	s->slots = NULL;
	s->mask = s->n = 0;
	s->has_max = false;
}
