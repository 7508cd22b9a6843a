/* mb_profile_reader_print_info: a profile's header, format version, block index and stats in
 * readable text (`membench analyze --info FILE`). Uses only the public reader API.
 */
#include <inttypes.h>
#include <time.h>

#include "format.h"
#include "meta.h"
#include "membench/profile.h"

static const char *or_unknown(const char *s)
{
	return s[0] ? s : "(unknown)";
}

void mb_profile_reader_print_info(struct mb_profile_reader *r, FILE *out)
{
	const struct mb_profile_meta *m = mb_profile_reader_meta(r);
	unsigned major, minor;
	uint64_t lost = 0;
	mb_profile_reader_version(r, &major, &minor);

	fprintf(out, "format:          membench profile %u.%u\n", major, minor);
	fprintf(out, "creator:         %s\n", or_unknown(m->creator));
	fprintf(out, "source:          %s\n", or_unknown(m->source));
	fprintf(out, "params:          %s\n", m->params);
	fprintf(out, "capture:         %s\n", m->capture);
	fprintf(out, "host:            %s\n", or_unknown(m->host));
	char when[64] = "unknown";
	time_t secs = (time_t)(m->start_wall_ns / 1000000000);
	struct tm tm;
	if (m->start_wall_ns && gmtime_r(&secs, &tm))
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	fprintf(out, "start:           %s (%" PRId64 " ns since the epoch)\n", when,
		m->start_wall_ns);
	fprintf(out, "clock:           %s (at start: %" PRIu64 " ns)\n",
		mb_clock_name(m->clock) ? mb_clock_name(m->clock) : "?", m->start_clock_ns);
	fprintf(out, "key mode:        %s", mb_key_mode_name(m->key_mode) ? mb_key_mode_name(m->key_mode) : "?");
	if (m->key_mode == MB_KEYS_PREFIX)
		fprintf(out, " (delimiter '%c')", m->key_delim);
	fprintf(out, "\nmax event bytes: %" PRIu32 "\n", m->max_event_bytes);
	fprintf(out, "sample ratio:    %g\n", m->sample_ratio);
	fprintf(out, "keys:            %" PRIu64 "\n", mb_profile_reader_key_count(r));
	struct mb_profile_damage dmg;
	char dmsg[1200];
	bool cut = mb_profile_reader_truncated(r, &lost);
	long verified = mb_profile_reader_verify(r);
	mb_profile_reader_damage(r, &dmg, dmsg, sizeof(dmsg));
	if (cut)
		fprintf(out, "truncated:       yes, %" PRIu64 " bytes lost\n", lost);
	else
		fprintf(out, "truncated:       no\n");
	if (verified < 0)
		fprintf(out, "damaged:         unknown: %s\n", mb_profile_reader_errmsg(r));
	else if (cut || dmg.bad_blocks)
		fprintf(out, "damaged:         yes: %s\n", dmsg);
	else
		fprintf(out, "damaged:         no (every record block decoded and checked)\n");

	size_t n = mb_profile_reader_block_count(r);
	fprintf(out, "\nrecord blocks:   %zu\n", n);
	fprintf(out, "%8s %14s %10s %12s %20s %20s\n", "block", "offset", "records", "bytes",
		"first_ns", "last_ns");
	for (size_t i = 0; i < n; i++) {
		const struct mb_profile_block_info *b = mb_profile_reader_block(r, i);
		fprintf(out, "%8zu %14" PRIu64 " %10" PRIu32 " %12" PRIu32 " %20" PRIu64
			     " %20" PRIu64 "%s\n",
			i, b->file_offset, b->records, b->compressed_bytes, b->first_time_ns,
			b->last_time_ns, mb_profile_reader_block_damaged(r, i) ? "  DAMAGED" : "");
	}

	struct mb_profile_stats s = *mb_profile_reader_stats(r);
	fprintf(out, "\nstats:\n");
	for (size_t i = 0; i < FMT_STATS_FIELDS; i++)
		fprintf(out, "  %-20s %" PRIu64 "\n", profile_fmt_stats_fields[i].name, *profile_fmt_stat(&s, i));
}
