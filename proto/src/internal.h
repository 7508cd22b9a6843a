/* mbproto private structures: the per-connection state shared by the framing code of the three
 * protocols (text.c, binary.c) and the pairing code (conn.c).
 *
 * Model. Each direction has a framer (struct pstream) that turns bytes into units: request
 * lines (+ data blocks), response lines (+ data blocks), or binary packets. Request units become
 * entries of a FIFO of pending requests (struct pend, one per key: a multiget of N keys is N
 * consecutive entries). Response units are matched against that FIFO in order by
 * proto_conn_response(); an entry is "resolved" when its outcome is known (a response, or none is
 * expected: noreply). Entries leave the FIFO only from its head, and only when complete and
 * resolved, so the caller sees commands in request order.
 *
 * Invariants:
 *  - q (a ring of struct pend, membench/ring.h) holds q.len entries; the entry with absolute
 *    sequence number s is the (s - qseq)-th from its oldest.
 *  - rseq (the response cursor) is in [qseq, qseq + q.len]: every entry before it is resolved.
 *  - Key bytes of pending entries live in the key arena between kbase and kbase + klen
 *    (absolute positions, so that compaction never invalidates an entry's key_pos).
 *  - Memory: q.cap <= max_pending (rounded up to a power of two), keys <= MB_PROTO_MAX_KEY bytes
 *    each, line buffers MB_PROTO_MAX_LINE bytes: a connection never holds more than about
 *    max_pending * (sizeof(struct pend) + MB_PROTO_MAX_KEY) + 2 * MB_PROTO_MAX_LINE bytes.
 */
#ifndef MBPROTO_INTERNAL_H
#define MBPROTO_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "membench/num.h" /* mb_num_*: strict decimal numbers, as memcached safe_strto* */
#include "membench/proto.h"
#include "membench/ring.h"

/* memcached's KEY_MAX_LENGTH: longer keys are refused by the server; we keep at most this. */
#define MB_PROTO_MAX_KEY 250
#define PROTO_DEFAULT_MAX_VALUE (1ull << 30)
#define PROTO_DEFAULT_MAX_PENDING 65536u

/* What response an entry waits for. */
enum expect {
	EXP_NONE = 0,   /* none: noreply, quit */
	EXP_LINE,       /* one text line (STORED, DELETED, 42, OK, VERSION ...) */
	EXP_VALUES,     /* text get family: VALUE lines with data, then END */
	EXP_STATS,      /* STAT lines then END, or one line (RESET, OK, an error) */
	EXP_META,       /* one meta response (HD, VA + data, EN, NF, NS, EX, MN, ME) */
	EXP_BIN,        /* one binary packet with the same opcode (and opaque) */
	EXP_BIN_STATS,  /* binary stat packets until the one with an empty key */
	EXP_ORPHAN,     /* (rmulti only) a VALUE...END reply that answers no pending request */
};

/* struct pend.flags */
#define P_COMPLETE 0x01   /* the whole request (line and data block) has been seen */
#define P_RESOLVED 0x02   /* outcome known; may be emitted once it reaches the head */
#define P_BARRIER 0x04    /* not a request: requests were lost here (request-side gap) */
#define P_QUIET 0x08      /* meta q / binary quiet: the response may be omitted */
#define P_OPAQUE 0x10     /* opaque is set and echoed by the server (binary, meta O) */
#define P_KEYECHO 0x20    /* meta k flag / binary getk: the response carries the key */
#define P_STARTED 0x40    /* a multi-part response (VALUE..END, STAT..END) has begun */
#define P_SOFT 0x80       /* unknown or malformed command: memcached answers with an error line,
			   * but a reply that is not one means its answer was lost (or it was
			   * not a command: a capture joined mid-stream), so it yields */

struct pend {
	uint64_t req_time;
	uint64_t resp_time;
	uint64_t req_offset;
	uint64_t key_pos;     /* absolute position in the key arena */
	uint32_t key_len;     /* bytes stored (<= MB_PROTO_MAX_KEY) */
	uint32_t value_len;
	uint32_t client_flags;
	uint32_t batch_size;  /* 0 until the command is complete */
	uint32_t batch_idx;   /* index of this key within its command */
	uint32_t opaque;
	int32_t ttl;
	uint64_t cas;         /* the unique the response carried (gets/gats, mg c, binary), 0 = none */
	uint8_t op, proto, status, rflags;
	uint8_t expect;
	uint8_t flags;        /* P_* */
	uint8_t quiet_status; /* outcome when a quiet command's response is omitted */
	uint8_t bin_opcode;
	uint8_t has_key;
	uint8_t mflags_len;   /* meta: flag text stored in the key arena right after the key */
};

/* Framing states of one direction. */
enum pstate {
	PS_LINE = 0,   /* reading a text line */
	PS_DATA,       /* inside a data block (value payload and its \r\n) */
	PS_DISCARD,    /* dropping bytes up to the next \n (over-long line, resync) */
	PS_MGET,       /* streaming an over-long get line key by key */
	PS_BIN_HDR,    /* reading a 24-byte binary header */
	PS_BIN_BODY,   /* reading extras + key of a binary packet */
	PS_BIN_VALUE,  /* skipping the value of a binary packet */
	PS_BIN_SCAN,   /* resynchronising: looking for a plausible binary header */
};

struct pstream {
	uint64_t off;          /* stream offset of the next byte */
	uint8_t state;         /* enum pstate */
	bool resync;           /* after a loss: accept only a valid unit, discard the rest */
	char *line;            /* MB_PROTO_MAX_LINE bytes */
	size_t llen;
	uint64_t lstart_off;   /* offset and time of the current unit's first byte */
	uint64_t lstart_time;
	uint64_t data_left;    /* PS_DATA / PS_BIN_VALUE: bytes left (text: including \r\n) */
	bool data_bad;         /* the data block's terminator was not \r\n */
	bool data_req;         /* request side: data_seq waits for this block */
	uint64_t data_seq;
	/* PS_MGET: the streamed multiget */
	uint64_t mget_seq;     /* sequence of its first key entry */
	uint32_t mget_keys;
	uint8_t mget_op;
	int32_t mget_ttl;
	bool mget_started;     /* command word (and exptime) consumed */
	/* binary */
	uint8_t hdr[24];
	uint32_t body_need;    /* extras + key bytes to collect */
	uint32_t body_len;     /* total body length */
	/* the request value passing now: still 1..20 decimal digits so far (MB_RF_NUMERIC) */
	bool num_ok;
};

struct mb_proto_conn {
	struct mb_proto_opts opts;
	mb_proto_cmd_fn on_cmd;
	void *ctx;
	struct mb_proto_stats st;
	uint8_t proto;         /* enum mb_proto: TEXT or BINARY once detected */
	bool detected;
	bool uncertain;        /* after a loss: pair only causally possible responses */
	int err;               /* sticky -ENOMEM from queue growth */
	uint8_t rmulti;        /* EXP_VALUES / EXP_STATS / EXP_BIN_STATS while a multi-part response runs */
	uint64_t rmulti_end;   /* one past the last entry of the command being answered */
	uint64_t rvcur;        /* next key of that command a VALUE may match */
	struct pstream s[2];   /* [MB_DIR_REQUEST], [MB_DIR_RESPONSE] */
	/* pending requests */
	struct mb_ring q;      /* of struct pend */
	uint64_t qseq;         /* sequence number of q's oldest entry */
	uint64_t rseq;         /* response cursor */
	/* key arena */
	char *karena;
	size_t kcap, klen;
	uint64_t kbase;
	/* binary bodies: extras + key of the current packet, per direction */
	char bbody[2][MB_PROTO_MAX_KEY + 64];
};

/* A response unit, as the framers hand it to proto_conn_response(). */
enum rkind {
	RK_FINAL = 0,  /* a complete response by itself (STORED, 42, HD, EN, a binary packet...) */
	RK_VALUE,      /* text VALUE line: one hit of a get */
	RK_END,        /* text END: ends a get or a stats response */
	RK_STAT,       /* one line of a multi-line stats response (STAT, ITEM, ...) */
	RK_BIN_STAT,   /* binary stat packet with a key (more follow) */
};

/* Response words: what a line or packet said (the table in conn.c maps word x op -> status). */
enum rword {
	RW_UNKNOWN = 0,
	RW_STORED, RW_NOT_STORED, RW_EXISTS, RW_NOT_FOUND, RW_DELETED, RW_TOUCHED,
	RW_OK, RW_RESET, RW_NUMBER, RW_VERSION, RW_ERROR, RW_CLIENT_ERROR, RW_SERVER_ERROR,
	RW_OOM, RW_VALUE, RW_END, RW_STAT,
	RW_HD, RW_VA, RW_EN, RW_NF, RW_NS, RW_EX, RW_MN, RW_ME,
	RW_BIN,        /* binary packet: status in bin_status */
	RW_COUNT
};

struct resp {
	uint8_t kind;          /* enum rkind */
	uint8_t word;          /* enum rword */
	uint8_t bin_opcode;
	bool has_opaque;
	bool has_key;
	uint16_t bin_status;
	uint32_t opaque;
	uint32_t value_len;
	uint32_t client_flags;
	bool has_flags;
	uint64_t cas;          /* cas unique: VALUE's 5th token, meta c flag, binary header; 0 none */
	const char *key;
	uint32_t key_len;
	uint64_t time;
	uint64_t off;
};

/* conn.c: queue and pairing */
/* Appends an entry (zeroed, batch_size 1) for a new request. @return it, or NULL (ENOMEM). */
struct pend *proto_conn_push(struct mb_proto_conn *c, uint64_t *seq);
struct pend *proto_conn_entry(struct mb_proto_conn *c, uint64_t seq);
int proto_conn_set_key(struct mb_proto_conn *c, struct pend *e, const char *key, size_t len);
/* The same, with a meta request's flag text (at most 255 bytes) kept after the key. */
int proto_conn_set_key_flags(struct mb_proto_conn *c, struct pend *e, const char *key, size_t len,
			     const char *flags, size_t flen);
void proto_conn_complete(struct mb_proto_conn *c, uint64_t seq);
void proto_conn_finish_batch(struct mb_proto_conn *c, uint64_t first_seq, uint32_t nkeys);
void proto_conn_response(struct mb_proto_conn *c, const struct resp *r);
void proto_conn_drain(struct mb_proto_conn *c);
void proto_conn_error(struct mb_proto_conn *c, enum mb_dir dir, uint64_t off, const char *why);
void proto_conn_barrier(struct mb_proto_conn *c, uint64_t time);
void proto_conn_flush_unresolved(struct mb_proto_conn *c);
/* The first entry still waiting for a response, or NULL. */
const struct pend *proto_conn_cursor(struct mb_proto_conn *c);
uint32_t proto_opaque_token(const char *s, size_t n);

/* text.c: text and meta framing of both directions */
void proto_text_feed(struct mb_proto_conn *c, enum mb_dir dir, const char *p, size_t n, uint64_t t);
void proto_text_gap(struct mb_proto_conn *c, enum mb_dir dir, uint64_t len, uint64_t t);
void proto_text_close_stream(struct mb_proto_conn *c, enum mb_dir dir);

/* binary.c */
void proto_bin_feed(struct mb_proto_conn *c, enum mb_dir dir, const uint8_t *p, size_t n,
		    uint64_t t);
void proto_bin_gap(struct mb_proto_conn *c, enum mb_dir dir, uint64_t len, uint64_t t);

/* Base64 (RFC 4648, with padding) decode into out (cap bytes). @return decoded length or -1. */
long proto_base64_decode(const char *s, size_t n, char *out, size_t cap);
size_t proto_base64_encode(const unsigned char *s, size_t n, char *out);

/* A gap of *len bytes that starts inside a value payload (text data block, binary body): skips
 * the part that falls inside it, loses nothing, and leaves in *len what lies beyond the payload.
 * @return true when the payload is now complete (the caller finishes the unit). */
static inline bool pstream_gap_in_payload(struct mb_proto_conn *c, struct pstream *s,
					  uint64_t *len)
{
	uint64_t skip = *len < s->data_left ? *len : s->data_left;
	s->data_left -= skip;
	s->off += skip;
	*len -= skip;
	c->st.gap_bytes_skipped += skip;
	s->num_ok = false; /* bytes unseen: not known to be a number */
	return s->data_left == 0;
}

/* Format 1.1's MB_RF_NUMERIC: is a storage request's value an unsigned decimal number of at most
 * 20 digits (what incr/decr/ma accept)? The value bytes are looked at as they pass, never kept.
 * num_begin at the start of a value of len bytes, num_scan on each run of its bytes, then
 * s->num_ok is the answer. Cost: one compare per byte of values up to 20 bytes, none beyond. */
static inline void pstream_num_begin(struct pstream *s, uint64_t len)
{
	s->num_ok = len >= 1 && len <= 20;
}

static inline void pstream_num_scan(struct pstream *s, const char *p, size_t n)
{
	for (size_t i = 0; s->num_ok && i < n; i++)
		s->num_ok = p[i] >= '0' && p[i] <= '9';
}

#endif
