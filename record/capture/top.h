/* capture_top: live hot keys of a capture (membench record ebpf:... --top), like mctop/memkeys.
 *
 * Fed every record the capture releases (the same records, in the same order, as the profile
 * writer), it keeps four lists, each a Space-Saving sketch of TOP_COUNTERS counters
 * (membench/spacesaving.h), so memory is fixed (about 6 MB) whatever the number of keys:
 *   requests   hot keys by requests (one per key: a 10-key multiget is 10)
 *   bytes      hot keys by value bytes moved (storage request bodies + read hits' values),
 *              weighted Space-Saving
 *   misses     keys with the most read misses
 *   largest    keys with the largest value seen (exact: the largest TOP_COUNTERS kept)
 * Guarantee of the first three: with W the list's total (requests, bytes, misses), every key
 * above W / TOP_COUNTERS is listed, and its figure is at most W / TOP_COUNTERS over its true
 * one (the counter's err; shown with ~ when non-zero). Each counter has a cell with the key's
 * other columns (requests, hits, misses, bytes, largest value) counted since that list tracks
 * the key: from its first request unless it replaced another key.
 *
 * Keys are shown as the profile keeps them: --keep-keys the bytes (non-printable bytes and
 * spaces as \xNN), --key-prefix the prefix and an identity, by default only an identity. The
 * identity of an anonymous key is the profile's dense id, `#ID` as `membench analyze` prints it,
 * when a profile is being written (the writer is flushed before each refresh so every key shown
 * has one); without a profile, `~` and 8 hex digits of a hash salted per run (the same key
 * keeps it for the run, and the raw key cannot be looked up from it).
 *
 * Output: on a terminal, the screen is redrawn in place every refresh, cut to its height; else
 * a block of plain lines per refresh, each row tagged with its list (`requests 1 #17 ...`), under
 * a timestamped header line. The final table (Ctrl-C, --duration, --count) is printed as a
 * block either way. Rates: req/s over the last refresh interval and averaged since the start.
 * One thread (the capture loop); no locks.
 */
#ifndef MB_RECORD_CAPTURE_TOP_H
#define MB_RECORD_CAPTURE_TOP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "membench/profile.h"

#define TOP_COUNTERS 4096u
#define TOP_DEFAULT_ROWS 10u
#define TOP_MAX_ROWS 1000u

struct capture_top;

struct capture_top_opts {
	unsigned rows;          /* rows per list */
	uint64_t refresh_ns;    /* between refreshes */
	uint64_t start_ns;      /* CLOCK_MONOTONIC of the capture's start */
	int64_t start_wall_ns;  /* wall clock at start_ns */
	uint8_t key_mode;       /* enum mb_key_mode: what of a key is shown */
	char key_delim;         /* MB_KEYS_PREFIX */
	double sample;          /* fraction of connections traced, for the header */
	FILE *out;
	bool tty;               /* out is a terminal: redraw in place */
	struct mb_profile_writer *writer; /* the profile being written, or NULL */
};

/* What the capture lost so far, for the header. */
struct capture_top_losses {
	uint64_t ring_drops, stream_gaps, protocol_errors;
};

/* @return 0, -ENOMEM. */
int capture_top_new(struct capture_top **out, const struct capture_top_opts *o);

/* Counts one record. key/key_bytes as the capture gives them to the profile writer (a meta
 * request's flag text after the key: rec->meta_flags bytes). Cost: one hash and four sketch
 * updates (O(log TOP_COUNTERS) each). */
void capture_top_add(struct capture_top *t, const struct mb_record *rec, const void *key,
		     size_t key_bytes);

/* True when a refresh is due at now_ns. */
bool capture_top_due(const struct capture_top *t, uint64_t now_ns);

/* Shows the lists (the final table when final). Flushes the profile writer first, so
 * anonymous keys have their #ID. @return 0; 1 when the output cannot be written any more (a
 * closed pipe: the capture should stop as if interrupted; SIGPIPE must be ignored); or the
 * writer's flush error. */
int capture_top_tick(struct capture_top *t, uint64_t now_ns, const struct capture_top_losses *l,
		     bool final);

void capture_top_free(struct capture_top *t);

#endif
