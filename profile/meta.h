/* Private to libmbprofile: header metadata TLV coding (meta.c). */
#ifndef MB_PROFILE_META_H
#define MB_PROFILE_META_H

#include <stddef.h>
#include <stdint.h>

#include "membench/buf.h"
#include "membench/profile.h"

/* Validates metadata given to the writer. @return 0 or MB_E_USAGE (reason in *what). */
int profile_fmt_meta_check(const struct mb_profile_meta *m, const char **what);
/* Appends the TLVs of m to out (empty texts are omitted). @return 0 or -ENOMEM. */
int profile_fmt_meta_encode(const struct mb_profile_meta *m, struct mb_buf *out);
/* Decodes TLVs from p[0..len) into m (defaults for absent fields, unknown tags skipped).
 * @return 0 or MB_E_CORRUPT with the reason in *what and the TLV's offset in *at. */
int profile_fmt_meta_decode(const uint8_t *p, size_t len, struct mb_profile_meta *m,
			    const char **what, size_t *at);

/* The stats block's counters in file order (FORMAT.md, "Stats block"): name and offset in
 * struct mb_profile_stats. The first FMT_STATS_WRITER are filled by the writer itself. */
struct fmt_stat_field {
	const char *name;
	size_t off;
};
#define FMT_STATS_WRITER 3
extern const struct fmt_stat_field profile_fmt_stats_fields[];
/* The i-th counter of s. */
uint64_t *profile_fmt_stat(struct mb_profile_stats *s, size_t i);

#endif
