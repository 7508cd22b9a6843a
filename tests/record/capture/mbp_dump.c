/* mbp_dump: prints a profile as text for the recorder's shell tests, which compare it with the
 * traffic their clients sent. Not installed.
 *
 *   mbp_dump FILE
 *
 * Output: "stat <name> <value>" lines (trailer counters and meta), then one line per record:
 *   rec <time_ns> <conn_id> <op> <proto> <status> <flags> <key_len> <value_len> <client_flags>
 *       <ttl> <latency_ns> <key or ->
 * flags are letters: n = noreply, b = batch continuation, r = has response, - = none. The key is
 * printed when the profile keeps key bytes (MB_KEYS_KEPT), else "-". A meta request that carries
 * flag text (format 1.1) gets one more field, "meta=<flags>", its spaces written as commas.
 * Exit: 0, or 3 when the file cannot be read.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "membench/profile.h"

static void flags_str(unsigned f, char *out)
{
	char *p = out;
	if (f & MB_RF_NOREPLY)
		*p++ = 'n';
	if (f & MB_RF_BATCH_CONT)
		*p++ = 'b';
	if (f & MB_RF_HAS_RESPONSE)
		*p++ = 'r';
	if (p == out)
		*p++ = '-';
	*p = '\0';
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: mbp_dump FILE.mbp\n");
		return 2;
	}
	char err[512] = "";
	struct mb_profile_reader *r;
	int rc = mb_profile_reader_open(&r, argv[1], err, sizeof(err));
	if (rc) {
		fprintf(stderr, "mbp_dump: %s\n", err);
		return 3;
	}
	const struct mb_profile_meta *m = mb_profile_reader_meta(r);
	const struct mb_profile_stats *s = mb_profile_reader_stats(r);
	uint64_t lost = 0;
	printf("stat truncated_file %d\n", mb_profile_reader_truncated(r, &lost) ? 1 : 0);
	printf("stat clock %s\nstat key_mode %s\n", mb_clock_name(m->clock),
	       mb_key_mode_name(m->key_mode));
	printf("stat start_wall_ns %" PRId64 "\nstat start_clock_ns %" PRIu64 "\n",
	       m->start_wall_ns, m->start_clock_ns);
	printf("stat max_event_bytes %u\n", m->max_event_bytes);
	const struct {
		const char *name;
		uint64_t v;
	} st[] = {
		{"records", s->records},
		{"keys", s->keys},
		{"connections", s->connections},
		{"requests", s->requests},
		{"responses", s->responses},
		{"ring_drops", s->ring_drops},
		{"truncated_bytes", s->truncated_bytes},
		{"stream_gaps", s->stream_gaps},
		{"gap_bytes", s->gap_bytes},
		{"protocol_errors", s->protocol_errors},
		{"resync_bytes", s->resync_bytes},
		{"unpaired_responses", s->unpaired_responses},
		{"events", s->events},
	};
	for (size_t i = 0; i < sizeof(st) / sizeof(st[0]); i++)
		printf("stat %s %" PRIu64 "\n", st[i].name, st[i].v);
	printf("stat capture %s\n", m->capture);

	struct mb_record buf[1024];
	long n;
	while ((n = mb_profile_reader_read(r, buf, 1024)) > 0) {
		for (long i = 0; i < n; i++) {
			const struct mb_record *x = &buf[i];
			char f[8];
			flags_str(x->rflags, f);
			const char *key = NULL;
			uint32_t klen = 0;
			char kbuf[512] = "-";
			if (m->key_mode == MB_KEYS_KEPT && x->key_id != MB_KEY_NONE &&
			    mb_profile_reader_key(r, x->key_id, &key, &klen) == 0 &&
			    klen < sizeof(kbuf)) {
				memcpy(kbuf, key, klen);
				kbuf[klen] = '\0';
			}
			printf("rec %" PRIu64 " %u %s %s %s %s %u %u %u %d %" PRIu64 " %s",
			       x->time_ns, x->conn_id, mb_op_name(x->op), mb_proto_name(x->proto),
			       mb_status_name(x->status), f, x->key_len, x->value_len,
			       x->client_flags, x->ttl, x->latency_ns, kbuf);
			const char *mf;
			uint32_t mfl;
			if (x->meta_flags &&
			    mb_profile_reader_meta_flags(r, x->meta_flags, &mf, &mfl) == 0) {
				printf(" meta=");
				for (uint32_t j = 0; j < mfl; j++)
					putchar(mf[j] == ' ' ? ',' : mf[j]);
			}
			putchar('\n');
		}
	}
	if (n < 0) {
		fprintf(stderr, "mbp_dump: %s\n", mb_profile_reader_errmsg(r));
		mb_profile_reader_close(r);
		return 3;
	}
	mb_profile_reader_close(r);
	return 0;
}
