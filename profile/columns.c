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

void profile_fmt_block_hdr_put(uint8_t *p, const struct fmt_block_hdr *h)
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

int profile_fmt_block_hdr_get(const uint8_t *p, struct fmt_block_hdr *h, const char **what)
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

size_t profile_fmt_cols_encode(uint8_t *out, uint8_t *scratch, const struct mb_record *recs,
			       size_t n, const struct fmt_keyfacts *kf)
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
		*p++ = recs[i].rflags & (uint8_t)~MB_RF_NUMERIC; /* 1.1: in the extras block */
	for (size_t i = 0; i < n; i++)
		p = varint_put(p, recs[i].key_id == MB_KEY_NONE ? 0 : recs[i].key_id + 1);
	/* key_len and value_len columns in one pass (one key-table access per record): the
	 * value column goes to scratch first and is appended after the key_len column */
	uint8_t *s = scratch;
	for (size_t i = 0; i < n; i++) {
		uint64_t id = recs[i].key_id;
		if (i + 16 < n && recs[i + 16].key_id != MB_KEY_NONE)
			__builtin_prefetch(&kf->f[recs[i + 16].key_id]);
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

/* End of a column of n varints starting at p: just after its n-th terminating byte (< 0x80),
 * or NULL when [p, end) holds fewer. Counts terminators a word at a time where it can. */
static const uint8_t *col_end(const uint8_t *p, const uint8_t *end, size_t n)
{
	while (n >= 8 && end - p >= 8) {
		uint64_t w;
		memcpy(&w, p, 8);
		/* terminators in the word: bytes with the top bit clear, summed by a multiply */
		size_t k = (size_t)((((~w & 0x8080808080808080ULL) >> 7) * 0x0101010101010101ULL) >> 56);
		if (k >= n)
			break; /* the n-th terminator is in this word: finish byte by byte */
		n -= k;
		p += 8;
	}
	while (n) {
		if (p >= end)
			return NULL;
		n -= *p++ < 0x80;
	}
	return p;
}

/* Reads one varint whose terminator is known to lie ahead (col_end checked the column).
 * Returns the byte after it, or NULL when it is longer than 64 bits allow. */
static inline const uint8_t *varint_take(const uint8_t *p, uint64_t *out)
{
	uint64_t b = *p++;
	if (b < 0x80) {
		*out = b;
		return p;
	}
	uint64_t v = b & 0x7f;
	for (unsigned shift = 7;; shift += 7) {
		b = *p++;
		if (shift == 63) {
			if (b > 1)
				return NULL;
			*out = v | b << 63;
			return p;
		}
		v |= (b & 0x7f) << shift;
		if (b < 0x80) {
			*out = v;
			return p;
		}
	}
}

#define FAIL_AT(msg)                 \
	do {                         \
		*what = (msg);       \
		*at = i;             \
		return MB_E_CORRUPT; \
	} while (0)

#define TAKE(cur, name)                                             \
	do {                                                        \
		if (!((cur) = varint_take((cur), &v)))              \
			FAIL_AT("varint longer than 64 bits (" name ")"); \
	} while (0)

enum { COL_TIME, COL_CONN, COL_BYTES, COL_KEY, COL_KLEN, COL_VLEN, COL_FLAGS, COL_TTL, COL_LAT,
       COL_END };

#define OVERRUN(name) "column " name " runs past the block"
static const char *const col_overrun[COL_END] = {
	[COL_TIME] = OVERRUN("time"), [COL_CONN] = OVERRUN("conn_id"),
	[COL_BYTES] = OVERRUN("op/proto/status/rflags"), [COL_KEY] = OVERRUN("key"),
	[COL_KLEN] = OVERRUN("key_len"), [COL_VLEN] = OVERRUN("value_len"),
	[COL_FLAGS] = OVERRUN("client_flags"), [COL_TTL] = OVERRUN("ttl"),
	[COL_LAT] = OVERRUN("latency"),
};

/* Decoding is row by row, so each record is written once while it is in cache: a first pass
 * finds where every column starts (counting varint terminators, which also proves that no
 * varint read can run past its column), then one cursor per column advances per record. */
int profile_fmt_cols_decode(const uint8_t *raw, size_t len, struct mb_record *recs, size_t n,
		            const struct fmt_keyfacts *kf, const char **what, size_t *at)
{
	const uint8_t *end = raw + len, *c[COL_END + 1];
	*at = SIZE_MAX;
	if (len < 8) {
		*what = "record block shorter than its base time";
		return MB_E_CORRUPT;
	}
	c[COL_TIME] = raw + 8;
	for (int k = COL_TIME; k < COL_END; k++) {
		if (k == COL_BYTES)
			c[k + 1] = (size_t)(end - c[k]) >= 4 * n ? c[k] + 4 * n : NULL;
		else
			c[k + 1] = col_end(c[k], end, n);
		if (!c[k + 1]) {
			*what = col_overrun[k];
			return MB_E_CORRUPT;
		}
	}
	if (c[COL_END] != end) {
		*what = "record block has bytes after its last column";
		return MB_E_CORRUPT;
	}

	const uint8_t *tm = c[COL_TIME], *cn = c[COL_CONN], *ky = c[COL_KEY], *kl = c[COL_KLEN],
		      *vl = c[COL_VLEN], *fl = c[COL_FLAGS], *tt = c[COL_TTL], *lt = c[COL_LAT];
	const uint8_t *ops = c[COL_BYTES], *protos = ops + n, *stats = protos + n,
		      *rfl = stats + n;
	/* a second cursor on the key column, 16 records ahead, prefetches key-table entries */
	const uint8_t *ahead = ky;
	size_t lead = n < 16 ? n : 16;
	uint64_t t = get_le64(raw), v;
	for (size_t i = 0; i < lead && ahead; i++)
		ahead = varint_take(ahead, &v);

	for (size_t i = 0; i < n; i++) {
		struct mb_record *r = &recs[i];
		if (ahead && i + lead < n && (ahead = varint_take(ahead, &v)) && v && v <= kf->nkeys)
			__builtin_prefetch(&kf->f[v - 1]);
		TAKE(tm, "time");
		t += zz_dec(v);
		r->time_ns = t;
		TAKE(cn, "conn_id");
		if (v > UINT32_MAX)
			FAIL_AT("conn_id over 32 bits");
		r->conn_id = (uint32_t)v;
		if (ops[i] >= MB_OP_COUNT)
			FAIL_AT("unknown op");
		if (protos[i] >= MB_PROTO_COUNT)
			FAIL_AT("unknown proto");
		if (stats[i] >= MB_STATUS_COUNT)
			FAIL_AT("unknown status");
		if (rfl[i] & ~MB_RF_COLUMN_MASK)
			FAIL_AT("reserved record flag set");
		r->op = ops[i];
		r->meta_flags = 0; /* 1.1: from the extras block, if any */
		r->spare = 0;
		r->proto = protos[i];
		r->status = stats[i];
		r->rflags = rfl[i];
		TAKE(ky, "key");
		if (v > kf->nkeys)
			FAIL_AT("key id not in any earlier key table");
		struct fmt_keyfact f = {0, 0};
		if (v)
			f = kf->f[v - 1];
		r->key_id = v ? v - 1 : MB_KEY_NONE;
		TAKE(kl, "key_len");
		uint64_t x = f.klen + zz_dec(v);
		if (x > UINT32_MAX)
			FAIL_AT("key_len out of range");
		r->key_len = (uint32_t)x;
		TAKE(vl, "value_len");
		x = f.vhint + zz_dec(v);
		if (x > UINT32_MAX)
			FAIL_AT("value_len out of range");
		r->value_len = (uint32_t)x;
		TAKE(fl, "client_flags");
		if (v > UINT32_MAX)
			FAIL_AT("client_flags over 32 bits");
		r->client_flags = (uint32_t)v;
		TAKE(tt, "ttl");
		int64_t sv = (int64_t)zz_dec(v);
		if (sv < INT32_MIN || sv > INT32_MAX)
			FAIL_AT("ttl out of range");
		r->ttl = (int32_t)sv;
		TAKE(lt, "latency");
		r->latency_ns = v;
	}
	return 0;
}
