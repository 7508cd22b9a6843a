/* Extras blocks (profile/FORMAT.md 1.1, "Extras block"): per-record columns that a 1.0 reader
 * must be able to do without, written right after the record block they belong to.
 *
 *   column*  where  column = tag u8 | len varint | bytes[len]
 *
 * Tag 1 (FMT_XCOL_RFLAGS): `count` bytes, one per record, bit 0 = MB_RF_NUMERIC, other bits
 * reserved. Unknown tags are skipped (a later minor version may add columns); a known tag
 * appears at most once. A 1.0 reader skips the whole block (unknown type), so it reads the
 * records without these facts. Cost: O(n) per block.
 */
#include "format.h"
#include "membench/error.h"

size_t profile_fmt_extras_encode(uint8_t *out, const struct mb_record *recs, uint32_t n)
{
	bool any = false;
	for (uint32_t i = 0; i < n && !any; i++)
		any = recs[i].rflags & MB_RF_NUMERIC;
	if (!any)
		return 0;
	uint8_t *p = out;
	*p++ = FMT_XCOL_RFLAGS;
	p = varint_put(p, n);
	for (uint32_t i = 0; i < n; i++)
		*p++ = recs[i].rflags & MB_RF_NUMERIC ? FMT_XRF_NUMERIC : 0;
	return (size_t)(p - out);
}

int profile_fmt_extras_decode(const uint8_t *p, size_t len, struct mb_record *recs, uint32_t n,
			      const char **what)
{
	const uint8_t *end = p + len;
	bool seen_rflags = false;
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
		} else if (tag == 0) {
			*what = "extras column tag 0 (reserved)";
			return MB_E_CORRUPT;
		}
		p += clen;
	}
	return 0;
}
