/* membench protocol codec: memcached text, meta and binary protocols, both directions.
 *
 * Used by the recorder (captured byte streams -> paired commands) and by the replayer (encode
 * requests; parse the target's responses). References: memcached doc/protocol.txt and the
 * binary protocol specification; memcached 1.6 is the judge.
 *
 * Parsing model: one struct mb_proto_conn per TCP connection holds an incremental parser for
 * each direction. Bytes are fed in arbitrary chunks (down to one byte) with the time the chunk
 * was seen; results are identical however the stream is split. Requests are paired with
 * responses in stream order (pipelining, noreply, quiet commands resolved at mn/noop/the next
 * non-quiet reply, multi-key gets with a hit or miss per key). Each completed command is passed
 * to the caller's callback in request order. The protocol is detected per connection from the
 * first request byte (0x80: binary; otherwise text, where meta commands are recognised per line).
 *
 * Gaps: mb_proto_conn_gap() says "len bytes of this direction are missing here". Inside a value
 * payload the parser skips them with no loss; elsewhere it resynchronises at the next valid
 * command/response line and counts what it skipped; it never attributes a response to the wrong
 * request (after an unrecoverable response-side loss, pending requests are emitted without a
 * response rather than guessed).
 *
 * Memory per connection is bounded (line buffer capped at MB_PROTO_MAX_LINE, pending requests
 * capped); bad input is counted as a protocol error with its stream offset, never a crash.
 *
 * When on_cmd fires, and what it says (docs/proto.md has the full rules):
 *  - Commands are reported in request order, each exactly once, when complete and resolved: a
 *    request that expects a reply is reported when its reply has been parsed; a text noreply
 *    request is reported as soon as it is parsed (if no earlier request is still waiting);
 *    anything left is reported by mb_proto_conn_finish() (status NONE when nothing was seen).
 *  - A multi-key read is one record per key, consecutive, the first with batch_size = number of
 *    keys and the others with MB_RF_BATCH_CONT; all of them are reported at the reply's END,
 *    share resp_time_ns, and each is a hit (VALUE seen for its key) or a miss. In meta and
 *    binary every key is its own command (batch_size 1).
 *  - Quiet commands (meta q, binary getq/getkq/setq/...) have MB_RF_NOREPLY. When the server
 *    answers one (a hit, a failure) it is paired like any command. When the next reply belongs
 *    to a later command (mn, noop, a non-quiet command, or a reply with another opaque/key),
 *    the quiet command gets the outcome the server leaves unsaid (mg q: miss; ms q: stored;
 *    md q: deleted; ma q: ok; binary getq: miss; setq...: stored) without MB_RF_HAS_RESPONSE.
 *  - req_time_ns is the time of the chunk holding the request's first byte; resp_time_ns (only
 *    with MB_RF_HAS_RESPONSE, else 0) the time of the chunk holding the first byte of the reply,
 *    so latency = resp_time_ns - req_time_ns. Times are whatever the caller passed to feed.
 *  - A reply is never paired with a request sent after it (after any loss), nor with one it
 *    cannot answer (STORED for a get, another binary opcode or opaque, another echoed key).
 * on_cmd and on_error must not call back into the same connection.
 */
#ifndef MEMBENCH_PROTO_H
#define MEMBENCH_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "membench/buf.h"
#include "membench/profile.h" /* enum mb_op, mb_proto, mb_status, MB_RF_* */

enum mb_dir {
	MB_DIR_REQUEST = 0,  /* client -> server */
	MB_DIR_RESPONSE = 1, /* server -> client */
};

/* One command (one key of a multi-key get) as the parser reports it. Pointers are valid only
 * during the callback. */
struct mb_proto_cmd {
	uint64_t req_time_ns;    /* time of the chunk holding the request's first byte */
	uint64_t resp_time_ns;   /* time of the chunk holding the response's first byte, or 0 */
	uint64_t req_offset;     /* stream offset of the request's first byte */
	const char *key;         /* key bytes (meta b flag: base64-decoded), or NULL (keyless) */
	uint32_t key_len;        /* key length, at most 250 (longer keys are cut to 250) */
	uint32_t value_len;      /* storage: request data length; hit: response value length */
	uint32_t client_flags;   /* storage: request flags; hit: the reply's flags (meta: f flag) */
	int32_t ttl;
	uint64_t cas;            /* the cas unique the response carried (gets/gats VALUE, meta c
				  * flag, binary header of a get hit or a store), 0 = none */
	const char *meta_flags;  /* meta requests: the flag tokens after the key (ms: after the
				  * data length), space-separated, values of O, C and E left out
				  * (profile format 1.1), at most 255 bytes; else NULL */
	uint32_t meta_flags_len;
	uint32_t batch_size;     /* keys in this command (1 for single-key commands) */
	uint8_t op;              /* enum mb_op */
	uint8_t proto;           /* enum mb_proto */
	uint8_t status;          /* enum mb_status */
	uint8_t rflags;          /* MB_RF_NOREPLY | MB_RF_BATCH_CONT | MB_RF_HAS_RESPONSE |
				  * MB_RF_NUMERIC (storage: the value was 1..20 decimal digits) */
};

typedef void (*mb_proto_cmd_fn)(void *ctx, const struct mb_proto_cmd *cmd);

/* Protocol error callback: offset in the direction's stream and a short reason. Optional. */
typedef void (*mb_proto_error_fn)(void *ctx, enum mb_dir dir, uint64_t offset, const char *why);

struct mb_proto_opts {
	uint64_t max_value_len;   /* larger lengths are protocol errors; 0 = 1 GiB (memcached -I max) */
	uint32_t max_pending;     /* requests awaiting responses before the oldest is dropped; 0 = 65536 */
	mb_proto_error_fn on_error;
};

struct mb_proto_stats {
	uint64_t requests;           /* commands parsed (a multiget counts once) */
	uint64_t responses;          /* responses paired */
	uint64_t protocol_errors;
	uint64_t gaps;               /* mb_proto_conn_gap calls */
	uint64_t gap_bytes;          /* bytes reported missing */
	uint64_t gap_bytes_skipped;  /* of those, skipped harmlessly inside value payloads */
	uint64_t resync_bytes;       /* bytes discarded while resynchronising */
	uint64_t unpaired_responses; /* responses with no request to pair with */
};

/* Longest command or response line accepted (memcached's own limit for a key-carrying line is
 * smaller; long multigets are handled key by key without buffering the whole line). */
#define MB_PROTO_MAX_LINE 8192

struct mb_proto_conn;

/* @return a new connection parser, or NULL on ENOMEM. opts may be NULL. */
struct mb_proto_conn *mb_proto_conn_new(const struct mb_proto_opts *opts, mb_proto_cmd_fn on_cmd,
					void *ctx);
/* Feeds len bytes of direction dir seen at time_ns. Commands complete through on_cmd.
 * @return 0, -ENOMEM, MB_E_USAGE (bad dir). Protocol errors are counted, not returned. */
int mb_proto_conn_feed(struct mb_proto_conn *c, enum mb_dir dir, const void *data, size_t len,
		       uint64_t time_ns);
/* Declares len bytes of direction dir missing at the current position. Inside a value payload
 * the bytes are skipped (gap_bytes_skipped); otherwise the direction resynchronises at the
 * next valid command/reply: a request-side loss stops replies sent before the next surviving
 * request from being paired with it; a response-side loss reports the requests still waiting
 * without a response. @return 0, -ENOMEM, MB_E_USAGE (bad dir). */
int mb_proto_conn_gap(struct mb_proto_conn *c, enum mb_dir dir, uint64_t len, uint64_t time_ns);
/* End of stream: emits every pending request without a response (status NONE). */
void mb_proto_conn_finish(struct mb_proto_conn *c);
const struct mb_proto_stats *mb_proto_conn_stats(const struct mb_proto_conn *c);
void mb_proto_conn_free(struct mb_proto_conn *c);

/* ---- encoding -------------------------------------------------------------------------- */

/* A request to encode. For multi-key reads, keys/key_lens hold nkeys keys (key/key_len unused).
 * value: value_len bytes to send as the data block of storage commands (the replayer passes a
 * deterministic pattern). */
struct mb_proto_req {
	uint8_t op;               /* enum mb_op */
	uint8_t proto;            /* enum mb_proto */
	bool noreply;             /* text noreply, meta q, binary quiet opcode */
	const char *key;
	uint32_t key_len;
	const char *const *keys;
	const uint32_t *key_lens;
	uint32_t nkeys;
	const void *value;
	uint32_t value_len;
	uint32_t client_flags;
	int32_t ttl;
	uint64_t arg;             /* incr/decr delta, cas unique, verbosity level */
	uint32_t opaque;          /* binary opaque / meta O token (0 = none) */
	/* Meta: the recorded flag text (mb_proto_cmd.meta_flags, profile format 1.1), sent instead of
	 * the encoder's own flags, with O<opaque>, C<arg>, E<arg>, T<ttl> and, beyond 30 days,
	 * N<ttl> filled in from this request; NULL/0 = the encoder's flags. */
	const char *meta_flags;
	uint32_t meta_flags_len;
};

/* Appends the encoded request to out, byte for byte as memcached expects (on error nothing is
 * appended). Text: keys must be 1..250 printable bytes without spaces. Meta: reads become one
 * "mg <key> v f" per key (+c for gets/gats, T<ttl> for gat/gats), storage "ms" with M<mode>,
 * delete "md", incr/decr "ma" (D<delta>, MD), touch "mg <key> T<ttl>"; keys that are not
 * plain text are sent base64 with the b flag; noreply adds q; opaque != 0 adds O<opaque>.
 * Binary: noreply selects the quiet opcode; a multi-key read is one getk/gatk per key (every
 * key answered; getkq/gatkq with noreply). value == NULL sends a deterministic pattern of
 * value_len bytes. Every key of a multi-key read is reported by on_cmd once parsed back.
 * @return 0, -ENOMEM, MB_E_USAGE (op not expressible in that protocol, bad key, bad keys
 *         array), MB_E_UNSUPPORTED (binary verbosity: memcached 1.6 mishandles it). */
int mb_proto_encode(struct mb_buf *out, const struct mb_proto_req *req);

#endif
