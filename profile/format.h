/* Private to libmbprofile: the constants of profile/FORMAT.md (v1) and the little-endian,
 * varint and zigzag helpers every encoder and decoder uses. Fields are always read and written
 * byte by byte through these helpers, never by casting structs onto file bytes.
 */
#ifndef MB_PROFILE_FORMAT_H
#define MB_PROFILE_FORMAT_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "membench/profile.h"

#define FMT_MAGIC "\x89MBP\r\n\x1a\n"
#define FMT_MAGIC_LEN 8
#define FMT_END_MAGIC "\x89MBPEND\n"
#define FMT_HEADER_FIXED 20 /* magic, major, minor, flags, meta_len */
#define FMT_HEADER_SUM 8
#define FMT_MAX_META 65536u

#define FMT_BLOCK_MAGIC "MBBK"
#define FMT_BLOCK_HDR 32
#define FMT_FOOTER 32
#define FMT_INDEX_ENTRY 40

#define FMT_MAX_RAW (64u << 20)
#define FMT_MAX_COMP (FMT_MAX_RAW + (512u << 10))
#define FMT_MAX_STATS 1024u
#define FMT_MAX_KEYS UINT32_MAX
/* Raw bytes reserved per record when encoding: the worst case over all columns is 54 (time 10,
 * conn 5, four bytes, key 5, key_len 5, value_len 5, flags 5, ttl 5, latency 10), so a block of
 * MB_PROFILE_MAX_BLOCK_RECORDS always fits FMT_MAX_RAW. */
#define FMT_REC_MAX_BYTES 64

/* Fuzzing builds (-DFUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION, the libFuzzer convention) accept
 * checksum mismatches so mutated inputs reach the decoders behind the checksums. */
#ifdef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
#define FMT_SUM_BAD(stored, computed) ((void)(stored), (void)(computed), 0)
#else
#define FMT_SUM_BAD(stored, computed) ((stored) != (computed))
#endif

enum fmt_block_type {
	FMT_BLK_RECORDS = 1,
	FMT_BLK_KEYS = 2,
	FMT_BLK_INDEX = 3,
	FMT_BLK_STATS = 4,
	FMT_BLK_EXTRAS = 5, /* 1.1: per-record columns of the record block just before it */
};

/* Columns of an extras block (FORMAT.md, "Extras block"): tag u8, len varint, bytes. */
enum fmt_extra_col {
	FMT_XCOL_RFLAGS = 1, /* one byte per record: bit 0 = MB_RF_NUMERIC */
	FMT_XCOL_META_FLAGS = 2, /* per record: len varint (<= 255), flag text */
};
#define FMT_XRF_NUMERIC 0x01

/* Metadata TLV tags (FORMAT.md, "Metadata TLV"). */
enum fmt_meta_tag {
	FMT_TAG_CREATOR = 1,
	FMT_TAG_SOURCE = 2,
	FMT_TAG_PARAMS = 3,
	FMT_TAG_CAPTURE = 4,
	FMT_TAG_HOST = 5,
	FMT_TAG_START_WALL = 6,
	FMT_TAG_START_CLOCK = 7,
	FMT_TAG_CLOCK = 8,
	FMT_TAG_KEY_MODE = 9,
	FMT_TAG_KEY_DELIM = 10,
	FMT_TAG_MAX_EVENT_BYTES = 11,
	FMT_TAG_SAMPLE_RATIO = 12,
};

#define FMT_CLOCK_COUNT 3
#define FMT_KEY_MODE_COUNT 3
#define FMT_STATS_FIELDS 14

/* Decoded block header. */
struct fmt_block_hdr {
	uint8_t type;
	uint32_t count;
	uint32_t raw_size;
	uint32_t comp_size;
	uint64_t sum; /* XXH64 of the payload */
};

static inline void put_le16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static inline void put_le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static inline void put_le64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static inline uint16_t get_le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | (p[1] << 8));
}

static inline uint32_t get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint64_t get_le64(const uint8_t *p)
{
	return (uint64_t)get_le32(p) | (uint64_t)get_le32(p + 4) << 32;
}

static inline uint64_t zz_enc(uint64_t d)
{
	return (d << 1) ^ (0 - (d >> 63));
}

static inline uint64_t zz_dec(uint64_t z)
{
	return (z >> 1) ^ (0 - (z & 1));
}

/* Writes v as LEB128 at p (room for 10 bytes assumed); returns the end. */
static inline uint8_t *varint_put(uint8_t *p, uint64_t v)
{
	while (v >= 0x80) {
		*p++ = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	*p++ = (uint8_t)v;
	return p;
}

/* Reads one LEB128 value from [p, end). Returns the byte after it, or NULL when it runs past
 * end or is longer than 64 bits allow. */
static inline const uint8_t *varint_get(const uint8_t *p, const uint8_t *end, uint64_t *out)
{
	if (p < end && *p < 0x80) {
		*out = *p;
		return p + 1;
	}
	uint64_t v = 0;
	for (unsigned shift = 0; shift < 70; shift += 7) {
		if (p >= end)
			return NULL;
		uint8_t b = *p++;
		if (shift == 63 && b > 1)
			return NULL;
		v |= (uint64_t)(b & 0x7f) << shift;
		if (b < 0x80) {
			*out = v;
			return p;
		}
	}
	return NULL;
}

/* Encodes a block header into 32 bytes (the header check is computed here). */
void profile_fmt_block_hdr_put(uint8_t *p, const struct fmt_block_hdr *h);
/* Decodes and checks a block header: 0, MB_E_CHECKSUM (header check or magic), MB_E_CORRUPT
 * (reserved bits, sizes over the limits). *what names the failed check. */
int profile_fmt_block_hdr_get(const uint8_t *p, struct fmt_block_hdr *h, const char **what);

/* Record-block columns (columns.c). */

/* What the key table says about one key; the columns code lengths against it. Kept side by
 * side so the one random access per record (by key id) touches one cache line. */
struct fmt_keyfact {
	uint32_t klen;
	uint32_t vhint;
};

struct fmt_keyfacts {
	const struct fmt_keyfact *f; /* indexed by dense key id */
	uint64_t nkeys;
};

/* Encodes n records (key_id already dense or MB_KEY_NONE) into out, which has room for
 * 8 + n * FMT_REC_MAX_BYTES bytes; scratch has room for n * 10 bytes. Returns the bytes
 * written. */
size_t profile_fmt_cols_encode(uint8_t *out, uint8_t *scratch, const struct mb_record *recs,
			       size_t n, const struct fmt_keyfacts *kf);
/* Decodes n records from raw[0..len). @return 0 or MB_E_CORRUPT with the reason (a static
 * string) in *what and the record index at fault in *at (SIZE_MAX: the block as a whole). */
int profile_fmt_cols_decode(const uint8_t *raw, size_t len, struct mb_record *recs, size_t n,
		            const struct fmt_keyfacts *kf, const char **what, size_t *at);

/* Bytes profile_fmt_extras_encode may need for n records with mflags_len bytes of flag text. */
#define FMT_EXTRAS_MAX(n, mflags_len) (24 + 3 * (size_t)(n) + (size_t)(mflags_len))
/* Extras block (1.1) of n records into out (room for FMT_EXTRAS_MAX); mflags: the records' meta
 * flag texts back to back (recs[i].meta_flags bytes each). Returns the bytes written, 0 when
 * no record has an extra fact (then no block is written). */
size_t profile_fmt_extras_encode(uint8_t *out, const struct mb_record *recs, uint32_t n,
				 const char *mflags);
struct profile_strtab;
/* ORs the extras of raw[0..len) into recs[0..n), interning meta flag texts in tab.
 * @return 0, MB_E_CORRUPT (*what), -ENOMEM. */
int profile_fmt_extras_decode(const uint8_t *raw, size_t len, struct mb_record *recs, uint32_t n,
			      struct profile_strtab *tab, const char **what);

#endif
