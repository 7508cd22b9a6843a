/* The file header's metadata TLVs (profile/FORMAT.md, "Metadata TLV"): one table row per field
 * of struct mb_profile_meta, used by the encoder, the decoder and the writer's validation.
 *
 *   tag u16 | len u16 | value[len]     repeated; unknown tags skipped; tag 0 reserved
 */
#include <math.h>
#include <stddef.h>

#include "format.h"
#include "meta.h"
#include "membench/error.h"

enum meta_kind { MK_TEXT, MK_U8, MK_U32, MK_U64, MK_F64 };

static const struct meta_field {
	uint16_t tag;
	uint8_t kind;
	size_t off;
	size_t size; /* text: array size (max length + 1); numbers: bytes */
} meta_fields[] = {
	{FMT_TAG_CREATOR, MK_TEXT, offsetof(struct mb_profile_meta, creator),
	 sizeof(((struct mb_profile_meta *)0)->creator)},
	{FMT_TAG_SOURCE, MK_TEXT, offsetof(struct mb_profile_meta, source), MB_META_TEXT_MAX},
	{FMT_TAG_PARAMS, MK_TEXT, offsetof(struct mb_profile_meta, params), MB_META_TEXT_MAX},
	{FMT_TAG_CAPTURE, MK_TEXT, offsetof(struct mb_profile_meta, capture), MB_META_TEXT_MAX},
	{FMT_TAG_HOST, MK_TEXT, offsetof(struct mb_profile_meta, host),
	 sizeof(((struct mb_profile_meta *)0)->host)},
	{FMT_TAG_START_WALL, MK_U64, offsetof(struct mb_profile_meta, start_wall_ns), 8},
	{FMT_TAG_START_CLOCK, MK_U64, offsetof(struct mb_profile_meta, start_clock_ns), 8},
	{FMT_TAG_CLOCK, MK_U8, offsetof(struct mb_profile_meta, clock), 1},
	{FMT_TAG_KEY_MODE, MK_U8, offsetof(struct mb_profile_meta, key_mode), 1},
	{FMT_TAG_KEY_DELIM, MK_U8, offsetof(struct mb_profile_meta, key_delim), 1},
	{FMT_TAG_MAX_EVENT_BYTES, MK_U32, offsetof(struct mb_profile_meta, max_event_bytes), 4},
	{FMT_TAG_SAMPLE_RATIO, MK_F64, offsetof(struct mb_profile_meta, sample_ratio), 8},
};

#define NFIELDS (sizeof(meta_fields) / sizeof(meta_fields[0]))

static const struct meta_field *field_by_tag(unsigned tag)
{
	for (size_t i = 0; i < NFIELDS; i++)
		if (meta_fields[i].tag == tag)
			return &meta_fields[i];
	return NULL;
}

int profile_fmt_meta_check(const struct mb_profile_meta *m, const char **what)
{
	for (size_t i = 0; i < NFIELDS; i++) {
		const struct meta_field *f = &meta_fields[i];
		if (f->kind == MK_TEXT && !memchr((const char *)m + f->off, '\0', f->size)) {
			*what = "metadata text is not NUL-terminated within its field";
			return MB_E_USAGE;
		}
	}
	if (m->clock >= FMT_CLOCK_COUNT || m->key_mode >= FMT_KEY_MODE_COUNT) {
		*what = "unknown clock or key mode";
		return MB_E_USAGE;
	}
	if (m->key_mode == MB_KEYS_PREFIX && m->key_delim == '\0') {
		*what = "key mode prefix needs a key delimiter";
		return MB_E_USAGE;
	}
	if (!(m->sample_ratio >= 0.0 && m->sample_ratio <= 1.0)) {
		*what = "sample ratio outside [0, 1]";
		return MB_E_USAGE;
	}
	return 0;
}

int profile_fmt_meta_encode(const struct mb_profile_meta *m, struct mb_buf *out)
{
	for (size_t i = 0; i < NFIELDS; i++) {
		const struct meta_field *f = &meta_fields[i];
		const char *src = (const char *)m + f->off;
		uint8_t tlv[4 + 8];
		size_t len;
		const void *val = tlv + 4;
		if (f->kind == MK_TEXT) {
			len = strlen(src);
			if (len == 0)
				continue;
			val = src;
		} else if (f->kind == MK_U8) {
			len = 1;
			tlv[4] = (uint8_t)*src;
		} else if (f->kind == MK_U32) {
			uint32_t v;
			memcpy(&v, src, 4);
			len = 4;
			put_le32(tlv + 4, v);
		} else { /* MK_U64, MK_F64: both stored as their 64-bit pattern */
			uint64_t v;
			memcpy(&v, src, 8);
			len = 8;
			put_le64(tlv + 4, v);
		}
		put_le16(tlv, f->tag);
		put_le16(tlv + 2, (uint16_t)len);
		int err = mb_buf_append(out, tlv, 4);
		if (!err)
			err = mb_buf_append(out, val, len);
		if (err)
			return err;
	}
	return 0;
}

int profile_fmt_meta_decode(const uint8_t *p, size_t len, struct mb_profile_meta *m,
			    const char **what, size_t *at)
{
	memset(m, 0, sizeof(*m));
	m->sample_ratio = 1.0;
	size_t pos = 0;
	while (pos < len) {
		*at = pos;
		if (len - pos < 4) {
			*what = "metadata field header runs past the metadata";
			return MB_E_CORRUPT;
		}
		unsigned tag = get_le16(p + pos), vlen = get_le16(p + pos + 2);
		const uint8_t *v = p + pos + 4;
		if (len - pos - 4 < vlen) {
			*what = "metadata field runs past the metadata";
			return MB_E_CORRUPT;
		}
		pos += 4 + vlen;
		if (tag == 0) {
			*what = "reserved metadata tag 0";
			return MB_E_CORRUPT;
		}
		const struct meta_field *f = field_by_tag(tag);
		if (!f)
			continue; /* added by a later minor version */
		char *dst = (char *)m + f->off;
		if (f->kind == MK_TEXT) {
			if (vlen >= f->size) {
				*what = "metadata text longer than its field";
				return MB_E_CORRUPT;
			}
			if (memchr(v, '\0', vlen)) {
				*what = "metadata text contains NUL";
				return MB_E_CORRUPT;
			}
			memcpy(dst, v, vlen);
			dst[vlen] = '\0';
			continue;
		}
		if (vlen != f->size) {
			*what = "metadata number has the wrong length";
			return MB_E_CORRUPT;
		}
		if (f->kind == MK_U8) {
			*dst = (char)v[0];
		} else if (f->kind == MK_U32) {
			uint32_t x = get_le32(v);
			memcpy(dst, &x, 4);
		} else {
			uint64_t x = get_le64(v);
			memcpy(dst, &x, 8);
		}
	}
	if (m->clock >= FMT_CLOCK_COUNT || m->key_mode >= FMT_KEY_MODE_COUNT) {
		*what = "unknown clock or key mode";
		return MB_E_CORRUPT;
	}
	if (isnan(m->sample_ratio)) {
		*what = "sample ratio is not a number";
		return MB_E_CORRUPT;
	}
	return 0;
}

#define STAT(f) {#f, offsetof(struct mb_profile_stats, f)}
const struct fmt_stat_field profile_fmt_stats_fields[FMT_STATS_FIELDS] = {
	STAT(records), STAT(keys), STAT(connections), STAT(requests), STAT(responses),
	STAT(ring_drops), STAT(truncated_bytes), STAT(stream_gaps), STAT(gap_bytes),
	STAT(protocol_errors), STAT(resync_bytes), STAT(unpaired_responses), STAT(skipped_rows),
	STAT(events),
};

uint64_t *profile_fmt_stat(struct mb_profile_stats *s, size_t i)
{
	return (uint64_t *)((char *)s + profile_fmt_stats_fields[i].off);
}
