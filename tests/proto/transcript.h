/* Test support for the codec tests: transcripts (recorded byte streams of both directions) and
 * a canonical one-line-per-command rendering of what the parser reports.
 *
 * Transcript file format (tests/proto/transcripts/NAME.mct), binary safe:
 *   one event per record:  "> <time_ns> <len>\n" (client -> server) or "< <time_ns> <len>\n"
 *   (server -> client), then exactly <len> raw bytes, then "\n". Lines starting with '#' before
 *   an event header are comments. Events are in capture order.
 * Expected output (NAME.expect): the rendering of every command, one per line, as printed by
 * tr_render(), in the order on_cmd reported them.
 */
#ifndef MB_TEST_TRANSCRIPT_H
#define MB_TEST_TRANSCRIPT_H

#include <stddef.h>
#include <stdint.h>

#include "membench/buf.h"
#include "membench/proto.h"

struct tr_event {
	uint8_t dir;
	uint64_t time;
	size_t off, len; /* bytes in the transcript's data buffer */
};

struct transcript {
	struct tr_event *ev;
	size_t nev, ev_cap;
	struct mb_buf data;
};

/* Loads a transcript file. @return 0 or -1 (message on stderr). */
int tr_load(struct transcript *t, const char *path);
/* Builds a transcript in memory from alternating (dir, time, string) items. */
void tr_add(struct transcript *t, int dir, uint64_t time, const void *bytes, size_t len);
void tr_free(struct transcript *t);

/* Split modes: 0 = each event in one feed; 1 = every event byte by byte; 2 + k = every event
 * split in two at byte k (events shorter than k+1 fed whole). */
/* Feeds t and appends the rendering of every reported command (and final stats) to out.
 * @return 0 or the first error returned by the codec. */
int tr_run(const struct transcript *t, int mode, const struct mb_proto_opts *opts,
	   struct mb_buf *out);

/* Renders one command as a line. */
void tr_render(struct mb_buf *out, const struct mb_proto_cmd *cmd);

#endif
