/* proto_dump: prints what the codec reports for a transcript (tests/proto/transcript.h), one
 * line per command, protocol errors as "! dir @offset why", then the counters. Used to write
 * the transcripts' .expect files (reviewed by hand) and to look at captures.
 * Usage: proto_dump FILE.mct [split-mode]   (0 whole events, 1 byte by byte, 2+k split at k) */
#include <stdio.h>
#include <stdlib.h>

#include "transcript.h"

int main(int argc, char **argv)
{
	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: proto_dump FILE.mct [split-mode]\n");
		return 2;
	}
	struct transcript t;
	if (tr_load(&t, argv[1]))
		return 3;
	struct mb_buf out = {0};
	int err = tr_run(&t, argc == 3 ? atoi(argv[2]) : 0, NULL, &out);
	fwrite(out.data, 1, out.len, stdout);
	mb_buf_free(&out);
	tr_free(&t);
	return err ? 1 : 0;
}
