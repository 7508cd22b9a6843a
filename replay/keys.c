/* Deterministic request contents for profiles that keep no key or value bytes.
 *
 * Keys: an anonymized dense id becomes lowercase hex digits of the id, right-aligned and padded
 * on the left with letters g..z (never hex digits, so where the id starts is unambiguous) in a
 * pattern that depends only on the id and the position, to exactly the recorded length (1..250):
 * id 0x1a3 at length 12 -> "zmtgnuhov1a3". Only [0-9a-z] are used, all
 * valid in every memcached protocol. Two ids give the same key only when key_len is shorter than
 * the id's hex digits (very short recorded keys), as two real keys of that length could.
 * MB_KEYS_KEPT profiles send the recorded bytes; MB_KEYS_PREFIX ones the recorded prefix followed
 * by the generated tail. --key-prefix goes in front of everything and counts against the 250
 * limit (the generated tail is shortened, never the prefix).
 *
 * Values: a fixed printable pattern, grown on demand, so a value of length n is always the same n
 * bytes. A value recorded as a decimal number (format 1.1, MB_RF_NUMERIC) is sent as one of the
 * same length, "1" followed by zeros (at most 20 digits: 10^19 < 2^64), so incr/decr and meta
 * arithmetic act on a number as they did in production.
 */
#include <stdlib.h>
#include <string.h>

#include "keys.h"
#include "replay.h"

static size_t gen_tail(uint64_t id, size_t len, char *out)
{
	static const char hex[] = "0123456789abcdef";
	size_t i = len;
	uint64_t v = id;
	do {
		out[--i] = hex[v & 15];
		v >>= 4;
	} while (v && i > 0);
	for (size_t j = 0; j < i; j++) /* g..z: never a hex digit, so the id part is unambiguous */
		out[j] = (char)('g' + (id + j * 7) % 20);
	return len;
}

size_t rp_key(const struct rp_keygen *kg, uint64_t id, uint32_t key_len, char *out)
{
	size_t n = 0;
	size_t want = key_len ? key_len : 1;
	if (kg->prefix_len) {
		n = kg->prefix_len < RP_MAX_KEY - 1 ? kg->prefix_len : RP_MAX_KEY - 1;
		memcpy(out, kg->prefix, n);
	}
	if (want > RP_MAX_KEY - n)
		want = RP_MAX_KEY - n;
	const char *bytes = NULL;
	uint32_t blen = 0;
	if (kg->key_mode != MB_KEYS_ANON && kg->rd &&
	    mb_profile_reader_key(kg->rd, id, &bytes, &blen) == 0) {
		if (blen > want)
			blen = (uint32_t)want;
		memcpy(out + n, bytes, blen);
		n += blen;
		want -= blen;
		if (kg->key_mode == MB_KEYS_KEPT || want == 0) {
			out[n] = '\0';
			return n;
		}
	}
	n += gen_tail(id, want, out + n);
	out[n] = '\0';
	return n;
}

const char *rp_value(char **buf, size_t *cap, size_t len)
{
	if (len <= *cap && *buf)
		return *buf;
	size_t ncap = *cap ? *cap : 4096;
	while (ncap < len)
		ncap *= 2;
	char *p = realloc(*buf, ncap);
	if (!p)
		return NULL;
	for (size_t i = *cap; i < ncap; i++)
		p[i] = (char)('A' + i % 26);
	*buf = p;
	*cap = ncap;
	return p;
}

const char *rp_number(size_t len)
{
	static const char digits[] = "10000000000000000000";
	return len >= 1 && len < sizeof(digits) ? digits : NULL;
}

const char *rp_value_of(const struct mb_record *r, char **buf, size_t *cap)
{
	const char *v = (r->rflags & MB_RF_NUMERIC) ? rp_number(r->value_len) : NULL;
	return v ? v : rp_value(buf, cap, r->value_len);
}
