/* Extras blocks (profile/FORMAT.md 1.1, "Extras block"): per-record columns that a 1.0 reader
 * must be able to do without, written right after the record block they belong to.
 *
 *   column*  where  column = tag u8 | len varint | bytes[len]
 *
 * Tag 1 (FMT_XCOL_RFLAGS): `count` bytes, one per record, bit 0 = MB_RF_NUMERIC, other bits
 * reserved. Tag 2 (FMT_XCOL_META_FLAGS): per record `len varint (<= 255), bytes[len]`, the meta
 * request's flag text (0 for other records). Each column is written only when some record of
 * the block has its fact. Unknown tags are skipped (a later minor version may add columns); a known tag
 * appears at most once. A 1.0 reader skips the whole block (unknown type), so it reads the
 * records without these facts. Cost: O(n) per block.
 */
#include <errno.h>

#include "format.h"
#include "strtab.h"
#include "membench/error.h"

size_t profile_fmt_extras_encode(uint8_t *out, const struct mb_record *recs, uint32_t n,
				 const char *mflags)
{
	bool numeric = false, meta = false;
	for (uint32_t i = 0; i < n; i++) {
		numeric = numeric || (recs[i].rflags & MB_RF_NUMERIC);
		meta = meta || recs[i].meta_flags;
	}
	uint8_t *p = out;
	if (numeric) {
		*p++ = FMT_XCOL_RFLAGS;
		p = varint_put(p, n);
		for (uint32_t i = 0; i < n; i++)
			*p++ = recs[i].rflags & MB_RF_NUMERIC ? FMT_XRF_NUMERIC : 0;
	}
	if (meta) {
		size_t clen = 0;
		for (uint32_t i = 0; i < n; i++)
			clen += (recs[i].meta_flags > 127 ? 2 : 1) + recs[i].meta_flags;
		*p++ = FMT_XCOL_META_FLAGS;
		p = varint_put(p, clen);
		for (uint32_t i = 0; i < n; i++) {
			p = varint_put(p, recs[i].meta_flags);
			memcpy(p, mflags, recs[i].meta_flags);
			p += recs[i].meta_flags;
			mflags += recs[i].meta_flags;
		}
	}
	return (size_t)(p - out);
}

/* Tag 2: the flag texts of n records, interned. */
static int meta_column(const uint8_t *p, const uint8_t *end, struct mb_record *recs, uint32_t n,
		       struct profile_strtab *tab, const char **what)
{
	for (uint32_t i = 0; i < n; i++) {
		uint64_t len;
		if (!(p = varint_get(p, end, &len)) || len > MB_PROFILE_MAX_META_FLAGS ||
		    len > (uint64_t)(end - p)) {
			*what = "extras meta flags column: a text runs past the column or over 255 bytes";
			return MB_E_CORRUPT;
		}
		recs[i].meta_flags = 0;
		if (len && !(recs[i].meta_flags = profile_strtab_intern(tab, p, (size_t)len))) {
			*what = "out of memory";
			return -ENOMEM;
		}
		p += len;
	}
	if (p != end) {
		*what = "extras meta flags column: bytes after the last record";
		return MB_E_CORRUPT;
	}
	return 0;
}

int profile_fmt_extras_decode(const uint8_t *p, size_t len, struct mb_record *recs, uint32_t n,
			      struct profile_strtab *tab, const char **what)
{
	const uint8_t *end = p + len;
	bool seen_rflags = false, seen_meta = false;
	while (p < end) {
		uint8_t tag = *p++;
		uint64_t clen;
		if (!(p = varint_get(p, end, &clen)) || clen > (uint64_t)(end - p)) {
			*what = "extras column runs past the block";
			return MB_E_CORRUPT;
		}
		if (tag == FMT_XCOL_RFLAGS) {
			if (seen_rflags || clen != n) {
				*what = seen_rflags ? "extras rflags column twice"
						    : "extras rflags column length is not the record count";
				return MB_E_CORRUPT;
			}
			for (uint32_t i = 0; i < n; i++) {
				if (p[i] & ~FMT_XRF_NUMERIC) {
					*what = "reserved extras record flag set";
					return MB_E_CORRUPT;
				}
				if (p[i] & FMT_XRF_NUMERIC)
					recs[i].rflags |= MB_RF_NUMERIC;
			}
			seen_rflags = true;
		} else if (tag == FMT_XCOL_META_FLAGS) {
			if (seen_meta) {
				*what = "extras meta flags column twice";
				return MB_E_CORRUPT;
			}
			int rc = meta_column(p, p + clen, recs, n, tab, what);
			if (rc)
				return rc;
			seen_meta = true;
		} else if (tag == 0) {
			*what = "extras column tag 0 (reserved)";
			return MB_E_CORRUPT;
		}
		p += clen;
	}
	return 0;
}
