/* Request contents for profiles that keep no key or value bytes (keys.c; scheme described
 * there). */
#ifndef MB_REPLAY_KEYS_H
#define MB_REPLAY_KEYS_H

#include <stddef.h>
#include <stdint.h>

#include "membench/profile.h"
#include "replay.h"

struct rp_keygen {
	const struct mb_profile_reader *rd; /* for kept/prefix key bytes */
	uint8_t key_mode;
	const char *prefix;
	size_t prefix_len;
};

/* Writes the key for dense id (recorded length key_len) into out (>= RP_MAX_KEY + 1 bytes).
 * Anonymized ids become a fixed string derived from the id: lowercase hex of the id, left-padded
 * with letters g..z to key_len (distinct ids of the same length give distinct keys while
 * key_len >= hex digits). @return the key's length (1..RP_MAX_KEY). */
size_t rp_key(const struct rp_keygen *kg, uint64_t id, uint32_t key_len, char *out);
/* Deterministic value bytes: at least len bytes of a fixed printable pattern, valid until the
 * next call with a larger len. @return pointer, or NULL on ENOMEM. */
const char *rp_value(char **buf, size_t *cap, size_t len);
/* The value of a request recorded as a decimal number (MB_RF_NUMERIC): len (1..20) digits,
 * "1" then zeros, below 2^64 so incr/decr/ma accept it. @return NULL for other lengths. */
const char *rp_number(size_t len);
/* The value to send for record r (storage: a number when recorded as one, else the pattern
 * from rp_value). @return pointer, or NULL on ENOMEM. */
const char *rp_value_of(const struct mb_record *r, char **buf, size_t *cap);

#endif
