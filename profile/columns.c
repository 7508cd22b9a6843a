/* Record-block column coding and block headers (profile/FORMAT.md, "Record block" and "Block
 * header"). The encoder and the decoder sit side by side so the column order lives in one place:
 *
 *   base_time u64 | time deltas | conn | op | proto | status | rflags | key | key_len delta |
 *   value_len delta | client_flags | ttl | latency
 *
 * The decoder trusts nothing: every varint is bounded by the end of the buffer, every value is
 * range-checked, and the whole buffer must be consumed. Cost: O(n) per block, one pass per column.
 */
#include <xxhash.h>

#include "format.h"
#include "membench/error.h"

void fmt_block_hdr_put(uint8_t *p, const struct fmt_block_hdr *h)
{
	memcpy(p, FMT_BLOCK_MAGIC, 4);
	p[4] = h->type;
	p[5] = 0;
	put_le16(p + 6, 0);
	put_le32(p + 8, h->count);
	put_le32(p + 12, h->raw_size);
	put_le32(p + 16, h->comp_size);
	put_le32(p + 20, (uint32_t)XXH64(p, 20, 0));
	put_le64(p + 24, h->sum);
}

int fmt_block_hdr_get(const uint8_t *p, struct fmt_block_hdr *h, const char **what)
{
	if (memcmp(p, FMT_BLOCK_MAGIC, 4) != 0) {
		*what = "bad block magic";
		return MB_E_CHECKSUM;
	}
	if (FMT_SUM_BAD(get_le32(p + 20), (uint32_t)XXH64(p, 20, 0))) {
		*what = "block header checksum mismatch";
		return MB_E_CHECKSUM;
	}
	h->type = p[4];
	h->count = get_le32(p + 8);
	h->raw_size = get_le32(p + 12);
	h->comp_size = get_le32(p + 16);
	h->sum = get_le64(p + 24);
	if (p[5] != 0 || get_le16(p + 6) != 0) {
		*what = "reserved block header bits set";
		return MB_E_CORRUPT;
	}
	if (h->raw_size > FMT_MAX_RAW || h->comp_size > FMT_MAX_COMP) {
		*what = "block size over the format limit";
		return MB_E_CORRUPT;
	}
	return 0;
}

size_t fmt_cols_encode(uint8_t *out, uint8_t *scratch, const struct mb_record *recs, size_t n,
		       const struct fmt_keyfacts *kf)
{
	uint8_t *p = out;
	uint64_t prev = n ? recs[0].time_ns : 0;
	put_le64(p, prev);
	p += 8;
	for (size_t i = 0; i < n; i++) {
		p = varint_put(p, zz_enc(recs[i].time_ns - prev));
		prev = recs[i].time_ns;
	}
	for (size_t i = 0; i < n; i++)
		p = varint_put(p, recs[i].conn_id);
	for (size_t i = 0; i < n; i++)
		*p++ = recs[i].op;
	for (size_t i = 0; i < n; i++)
		*p++ = recs[i].proto;
	for (size_t i = 0; i < n; i++)
		*p++ = recs[i].status;
	for (size_t i = 0; i < n; i++)
		*p++ = recs[i].rflags;
	for (size_t i = 0; i < n; i++)
		p = varint_put(p, recs[i].key_id == MB_KEY_NONE ? 0 : recs[i].key_id + 1);
	/* key_len and value_len columns in one pass (one key-table access per record): the
	 * value column goes to scratch first and is appended after the key_len column */
	uint8_t *s = scratch;
	for (size_t i = 0; i < n; i++) {
		uint64_t id = recs[i].key_id;
		struct fmt_keyfact f = {0, 0};
		if (id != MB_KEY_NONE)
			f = kf->f[id];
		p = varint_put(p, zz_enc((uint64_t)recs[i].key_len - f.klen));
		s = varint_put(s, zz_enc((uint64_t)recs[i].value_len - f.vhint));
	}
	memcpy(p, scratch, (size_t)(s - scratch));
	p += s - scratch;
	for (size_t i = 0; i < n; i++)
		p = varint_put(p, recs[i].client_flags);
	for (size_t i = 0; i < n; i++)
		p = varint_put(p, zz_enc((uint64_t)(int64_t)recs[i].ttl));
	for (size_t i = 0; i < n; i++)
		p = varint_put(p, recs[i].latency_ns);
	return (size_t)(p - out);
}

/* Column decoders: each sets *at to the failing record and returns NULL on failure. */
#define COL_LOOP(what_msg, ...)                                                    \
	for (size_t i = 0; i < n; i++) {                                           \
		uint64_t v;                                                        \
		p = varint_get(p, end, &v);                                        \
		if (!p) {                                                          \
			*what = "column runs past the block (" what_msg ")";       \
			*at = i;                                                   \
			return MB_E_CORRUPT;                                       \
		}                                                                  \
		__VA_ARGS__                                                        \
	}

#define FAIL_AT(msg)           \
	do {                   \
		*what = (msg); \
		*at = i;       \
		return MB_E_CORRUPT; \
	} while (0)

int fmt_cols_decode(const uint8_t *raw, size_t len, struct mb_record *recs, size_t n,
		    const struct fmt_keyfacts *kf, const char **what, size_t *at)
{
	const uint8_t *p = raw, *end = raw + len;
	*at = 0;
	if (len < 8) {
		*what = "record block shorter than its base time";
		return MB_E_CORRUPT;
	}
	uint64_t t = get_le64(p);
	p += 8;
	COL_LOOP("time", t += zz_dec(v); recs[i].time_ns = t;)
	COL_LOOP("conn_id", if (v > UINT32_MAX) FAIL_AT("conn_id over 32 bits");
		 recs[i].conn_id = (uint32_t)v;)
	if ((size_t)(end - p) < 4 * n) {
		*what = "byte columns run past the block";
		return MB_E_CORRUPT;
	}
	for (size_t i = 0; i < n; i++, p++) {
		if (*p >= MB_OP_COUNT)
			FAIL_AT("unknown op");
		recs[i].op = *p;
	}
	for (size_t i = 0; i < n; i++, p++) {
		if (*p >= MB_PROTO_COUNT)
			FAIL_AT("unknown proto");
		recs[i].proto = *p;
	}
	for (size_t i = 0; i < n; i++, p++) {
		if (*p >= MB_STATUS_COUNT)
			FAIL_AT("unknown status");
		recs[i].status = *p;
	}
	for (size_t i = 0; i < n; i++, p++) {
		if (*p & ~MB_RF_KNOWN_MASK)
			FAIL_AT("reserved record flag set");
		recs[i].rflags = *p;
	}
	/* the key column also puts the key table's lengths in place (one access per record);
	 * the two length columns then add their differences */
	COL_LOOP("key", {
		if (v > kf->nkeys)
			FAIL_AT("key id not in any earlier key table");
		struct fmt_keyfact f = {0, 0};
		if (v)
			f = kf->f[v - 1];
		recs[i].key_id = v ? v - 1 : MB_KEY_NONE;
		recs[i].key_len = f.klen;
		recs[i].value_len = f.vhint;
	})
	COL_LOOP("key_len", {
		uint64_t kl = recs[i].key_len + zz_dec(v);
		if (kl > UINT32_MAX)
			FAIL_AT("key_len out of range");
		recs[i].key_len = (uint32_t)kl;
	})
	COL_LOOP("value_len", {
		uint64_t vl = recs[i].value_len + zz_dec(v);
		if (vl > UINT32_MAX)
			FAIL_AT("value_len out of range");
		recs[i].value_len = (uint32_t)vl;
	})
	COL_LOOP("client_flags", if (v > UINT32_MAX) FAIL_AT("client_flags over 32 bits");
		 recs[i].client_flags = (uint32_t)v;)
	COL_LOOP("ttl", {
		int64_t s = (int64_t)zz_dec(v);
		if (s < INT32_MIN || s > INT32_MAX)
			FAIL_AT("ttl out of range");
		recs[i].ttl = (int32_t)s;
	})
	COL_LOOP("latency", recs[i].latency_ns = v;)
	if (p != end) {
		*what = "record block has bytes after its last column";
		*at = n;
		return MB_E_CORRUPT;
	}
	return 0;
}
