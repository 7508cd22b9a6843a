/* profile_strip IN OUT [numeric] [meta]: copies a profile, clearing what a replay needs to be
 * faithful (MB_RF_NUMERIC with "numeric", the meta flag texts with "meta"), so the e2e fidelity
 * test can show that `analyze --compare` fails when a replay does not do what production did.
 * Everything else (header, keys by id and stored bytes, times, outcomes, stats) is copied.
 * Exit 0, or 1 with a message. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "membench/profile.h"

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: profile_strip IN OUT [numeric] [meta]\n");
		return 2;
	}
	bool numeric = false, meta = false;
	for (int i = 3; i < argc; i++) {
		numeric = numeric || strcmp(argv[i], "numeric") == 0;
		meta = meta || strcmp(argv[i], "meta") == 0;
	}
	char err[1024];
	struct mb_profile_reader *r = NULL;
	struct mb_profile_writer *w = NULL;
	int rc = mb_profile_reader_open(&r, argv[1], err, sizeof(err));
	if (!rc)
		rc = mb_profile_writer_open(&w, argv[2], mb_profile_reader_meta(r), NULL, err,
					    sizeof(err));
	struct mb_record rec;
	char buf[2 * 65536];
	long n;
	while (!rc && (n = mb_profile_reader_read(r, &rec, 1)) == 1) {
		if (numeric)
			rec.rflags &= (uint8_t)~MB_RF_NUMERIC;
		const char *mf = NULL, *kb = NULL;
		uint32_t mfl = 0, kl = 0;
		if (meta || mb_profile_reader_meta_flags(r, rec.meta_flags, &mf, &mfl))
			mfl = 0;
		if (rec.key_id != MB_KEY_NONE)
			(void)mb_profile_reader_key(r, rec.key_id, &kb, &kl);
		memcpy(buf, kb ? kb : "", kl);
		memcpy(buf + kl, mf ? mf : "", mfl);
		rec.meta_flags = mfl;
		rc = rec.key_id == MB_KEY_NONE ? mb_profile_writer_append(w, &rec, NULL, 0)
					       : mb_profile_writer_append_stored(w, &rec, buf, kl + mfl);
		if (rc)
			snprintf(err, sizeof(err), "%s: append: %d", argv[2], rc);
	}
	if (!rc && n < 0) {
		snprintf(err, sizeof(err), "%s", mb_profile_reader_errmsg(r));
		rc = (int)n;
	}
	if (w) {
		mb_profile_writer_add_stats(w, mb_profile_reader_stats(r));
		char cerr[1024];
		int rc2 = mb_profile_writer_close(w, cerr, sizeof(cerr));
		if (!rc && rc2)
			snprintf(err, sizeof(err), "%s", cerr);
		rc = rc ? rc : rc2;
	}
	mb_profile_reader_close(r);
	if (rc)
		fprintf(stderr, "profile_strip: %s\n", err);
	return rc ? 1 : 0;
}
