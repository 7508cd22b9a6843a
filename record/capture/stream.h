/* capture_stream: turns the capture program's ring-buffer records (bpf/capture.h) into profile
 * records. No BPF here: it is fed bytes, so it is tested with synthetic records.
 *
 *   records -> connection table (struct sock address + generation)
 *           -> arrival stamps (MB_CAP_ARRIVE): per connection, a queue of request-byte ranges
 *              and the time each reached the server's socket; a read's bytes are split at
 *              those ranges and each part is fed with its arrival time (never later than the
 *              read), so requests the server read together keep their own times
 *           -> per-direction reassembly by stream offset: in-order bytes are fed to the codec,
 *              missing bytes are declared as gaps (mb_proto_conn_gap) and classified as
 *              truncated (the uncopied middle of a long segment, which the capture announced)
 *              or lost (ring-buffer drops, syscalls not traced); repeated bytes are trimmed
 *           -> protocol codec (membench/proto.h): commands in request order per connection
 *           -> reorder window: commands complete out of time order across connections (a slow
 *              response holds its request back); they are released in request-time order once
 *              the capture's clock has passed them by `window_ns`
 *           -> the caller's sink (the profile writer).
 *
 * Connections that were open before the capture (no accept/connect seen) start mid-stream: the
 * bytes before the first one seen are declared as a gap, so the codec resynchronises at the next
 * valid line instead of parsing the middle of a command; they are counted in `preexisting_*`,
 * not as losses.
 *
 * Memory: one codec per live connection, plus the records waiting in the window (bounded by
 * the request rate times window_ns). A connection is freed at its CLOSE record, or when its
 * struct sock is reused by a newer connection.
 */
#ifndef MB_RECORD_EBPF_STREAM_H
#define MB_RECORD_EBPF_STREAM_H

#include <stddef.h>
#include <stdint.h>

#include "membench/profile.h"

struct capture_stream;

/* Receives every record in request-time order (small disorder possible for records completed
 * later than the window). key/key_len: the key's bytes as on the wire, NULL for keyless
 * commands. @return 0, or a negative error that stops the stream (returned by the call that
 * released the record). */
typedef int (*capture_stream_sink_fn)(void *ctx, const struct mb_record *rec, const void *key,
				   size_t key_len);

struct capture_stream_opts {
	uint64_t start_ns;  /* CLOCK_MONOTONIC value of profile time 0 */
	uint64_t window_ns; /* reorder window; 0 = release at once */
	uint64_t max_value_len; /* codec limit (0 = its default) */
};

/* Counters beyond struct mb_profile_stats. */
struct capture_stream_counters {
	uint64_t records;          /* records passed to the sink */
	uint64_t requests;         /* commands (a multiget counts once) */
	uint64_t connections;      /* connections seen */
	uint64_t preexisting;      /* of those, open before the capture */
	uint64_t preexisting_bytes;/* bytes those had carried before the capture */
	uint64_t overlap_bytes;    /* bytes received twice (concurrent syscalls) and trimmed */
	uint64_t late_records;     /* records released after newer ones (beyond the window) */
	uint64_t bad_events;       /* ring records too short or of an unknown kind */
	uint64_t arrivals;         /* arrival records used */
	uint64_t arrival_bytes;    /* request bytes fed with their arrival time */
	uint64_t read_time_bytes;  /* request bytes of server ends fed with the read's time (no
				    * arrival known: stamps off, arrival before the connection
				    * was tracked, or the queue overflowed) */
	uint64_t tls_connections;  /* connections skipped because they carry TLS */
	uint64_t value_bytes_skipped; /* response value payloads the kernel did not copy (holes) */
	uint64_t traced_bytes[2];  /* by direction (request, response): every traced segment's
				    * length, copied or not, counted once (at its first piece) */
};

/* @return a new stream, or NULL on ENOMEM. */
struct capture_stream *capture_stream_new(const struct capture_stream_opts *opts, capture_stream_sink_fn sink,
				    void *ctx);

/* Processes one ring-buffer record (size bytes). Malformed records are counted, not fatal.
 * @return 0, -ENOMEM, or the sink's error. */
int capture_stream_event(struct capture_stream *s, const void *data, size_t size);

/* Releases records whose request time is older than the newest capture time seen minus the
 * window. Call periodically. @return 0 or the sink's error. */
int capture_stream_release(struct capture_stream *s);

/* Tells the stream that every event stamped before now_ns has been fed (the ring was found
 * empty), so an idle capture's clock still advances and its last records are released after
 * the window rather than held until the next event (record --top). */
void capture_stream_clock(struct capture_stream *s, uint64_t now_ns);

/* End of capture: every connection's pending requests are finished (without responses) and
 * every record is released. @return 0 or the sink's error. */
int capture_stream_finish(struct capture_stream *s);

/* Capture counters for the profile trailer: requests, responses, truncated_bytes, stream_gaps,
 * gap_bytes, protocol_errors, resync_bytes, unpaired_responses, events (ring_drops is the
 * kernel's, filled by the caller). Includes live connections' codec counters. */
void capture_stream_stats(const struct capture_stream *s, struct mb_profile_stats *out);
const struct capture_stream_counters *capture_stream_counters(const struct capture_stream *s);

void capture_stream_free(struct capture_stream *s);

#endif
