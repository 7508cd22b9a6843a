/* Connection state, the FIFO of pending requests and request/response pairing.
 *
 * Requests enter the FIFO in stream order (proto_conn_push), one entry per key. Responses are
 * matched in stream order by proto_conn_response(), which walks from the response cursor
 * (rseq):
 *  - entries already resolved (noreply) are skipped;
 *  - a quiet entry (meta q, binary quiet opcode) takes the response only if the response can be
 *    its own and is not the outcome the server suppresses (a miss for mg q / getq, success for
 *    ms q / setq / ...); otherwise the quiet entry is resolved with that suppressed outcome
 *    (status set, no MB_RF_HAS_RESPONSE) and the walk moves on; opaque (binary, meta O) and
 *    echoed keys (meta k, binary getk) make this exact;
 *  - a non-quiet entry must take the response; one that cannot be its answer (STORED for a get,
 *    another opcode or opaque in binary) is counted as a protocol error and unpaired, and the
 *    entry keeps waiting;
 *  - a barrier (requests lost on the request side) lets through, as unpaired, every response
 *    seen before the next surviving request was sent; the first later one removes it;
 *  - after any loss (`uncertain`), a response seen before a request was sent is never paired
 *    with it.
 * Text multigets take VALUE lines for their keys in order; keys without a VALUE before END are
 * misses. A command's keys are all resolved (and emitted) at its END.
 *
 * Emission: proto_conn_drain() hands entries to the callback from the FIFO head while the head is
 * complete and resolved, so the caller sees commands in request order.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "membench/array.h"
#include "membench/error.h"

#define COUNT_OF(a) (sizeof(a) / sizeof((a)[0]))

/* ---- status of a response word for an op -------------------------------------------------- */

#define OPB(op) (1u << (op))
/* The text storage commands (set, add, replace, append, prepend, cas), from MB_OP_FACTS. */
#define OPS_STORE_ROW(id, value, name, cls, flags, text, ...) \
	| (MB_OPC_##cls == MB_OPC_STORAGE && (text) != NULL ? OPB(MB_OP_##id) : 0u)
#define OPS_STORE (0u MB_OP_FACTS(OPS_STORE_ROW))
#define OPS_ALL 0xffffffffu
#define ST_NOFIT 0xff

/* One row per response word: the ops it can answer and the status it means; `alt` rows give a
 * different status for some ops (HD is a hit for mg but "stored" for ms). */
static const struct {
	uint32_t ops;
	uint8_t status;
	struct {
		uint8_t op, status;
	} alt[4];
} word_table[RW_COUNT] = {
	[RW_UNKNOWN] = {OPB(MB_OP_OTHER), MB_STATUS_OK, {{0, 0}}},
	[RW_STORED] = {OPS_STORE, MB_STATUS_STORED, {{0, 0}}},
	[RW_NOT_STORED] = {OPS_STORE, MB_STATUS_NOT_STORED, {{0, 0}}},
	[RW_EXISTS] = {OPS_STORE, MB_STATUS_EXISTS, {{0, 0}}},
	[RW_NOT_FOUND] = {OPS_STORE | OPB(MB_OP_DELETE) | OPB(MB_OP_INCR) | OPB(MB_OP_DECR) |
				  OPB(MB_OP_TOUCH),
			  MB_STATUS_NOT_FOUND, {{0, 0}}},
	[RW_DELETED] = {OPB(MB_OP_DELETE), MB_STATUS_DELETED, {{0, 0}}},
	[RW_TOUCHED] = {OPB(MB_OP_TOUCH), MB_STATUS_TOUCHED, {{0, 0}}},
	[RW_OK] = {OPB(MB_OP_FLUSH_ALL) | OPB(MB_OP_VERBOSITY) | OPB(MB_OP_OTHER) | OPB(MB_OP_STATS),
		   MB_STATUS_OK, {{0, 0}}},
	[RW_RESET] = {OPB(MB_OP_STATS), MB_STATUS_OK, {{0, 0}}},
	[RW_NUMBER] = {OPB(MB_OP_INCR) | OPB(MB_OP_DECR), MB_STATUS_OK, {{0, 0}}},
	[RW_VERSION] = {OPB(MB_OP_VERSION), MB_STATUS_OK, {{0, 0}}},
	[RW_ERROR] = {OPS_ALL, MB_STATUS_ERROR, {{0, 0}}},
	[RW_CLIENT_ERROR] = {OPS_ALL, MB_STATUS_CLIENT_ERROR, {{0, 0}}},
	[RW_SERVER_ERROR] = {OPS_ALL, MB_STATUS_SERVER_ERROR, {{0, 0}}},
	[RW_OOM] = {OPS_ALL, MB_STATUS_OUT_OF_MEMORY, {{0, 0}}},
	[RW_HD] = {OPB(MB_OP_MG) | OPB(MB_OP_MS) | OPB(MB_OP_MD) | OPB(MB_OP_MA),
		   MB_STATUS_OK,
		   {{MB_OP_MG, MB_STATUS_HIT}, {MB_OP_MS, MB_STATUS_STORED},
		    {MB_OP_MD, MB_STATUS_DELETED}, {0, 0}}},
	[RW_VA] = {OPB(MB_OP_MG) | OPB(MB_OP_MA), MB_STATUS_OK, {{MB_OP_MG, MB_STATUS_HIT}, {0, 0}}},
	[RW_EN] = {OPB(MB_OP_MG) | OPB(MB_OP_ME), MB_STATUS_MISS, {{0, 0}}},
	[RW_NF] = {OPB(MB_OP_MS) | OPB(MB_OP_MD) | OPB(MB_OP_MA), MB_STATUS_NOT_FOUND, {{0, 0}}},
	[RW_NS] = {OPB(MB_OP_MS) | OPB(MB_OP_MA), MB_STATUS_NOT_STORED, {{0, 0}}},
	[RW_EX] = {OPB(MB_OP_MS) | OPB(MB_OP_MD) | OPB(MB_OP_MA), MB_STATUS_EXISTS, {{0, 0}}},
	[RW_MN] = {OPB(MB_OP_MN), MB_STATUS_OK, {{0, 0}}},
	[RW_ME] = {OPB(MB_OP_ME), MB_STATUS_OK, {{0, 0}}},
};

/* Binary status codes (protocol_binary.h) -> outcome; success depends on the op's class. */
static uint8_t bin_status(const struct pend *e, uint16_t code)
{
	static const uint8_t success[] = {
		[MB_OPC_READ] = MB_STATUS_HIT,       [MB_OPC_STORAGE] = MB_STATUS_STORED,
		[MB_OPC_ARITH] = MB_STATUS_OK,       [MB_OPC_DELETE] = MB_STATUS_DELETED,
		[MB_OPC_TOUCH] = MB_STATUS_TOUCHED,  [MB_OPC_OTHER] = MB_STATUS_OK,
	};
	enum mb_op_class cls = mb_op_class(e->op);
	switch (code) {
	case 0x00:
		return success[cls];
	case 0x01: /* key not found */
		return cls == MB_OPC_READ ? MB_STATUS_MISS : MB_STATUS_NOT_FOUND;
	case 0x02: /* key exists */
		return e->op == MB_OP_ADD ? MB_STATUS_NOT_STORED : MB_STATUS_EXISTS;
	case 0x05: /* item not stored */
		return MB_STATUS_NOT_STORED;
	case 0x03: /* value too large */
	case 0x04: /* invalid arguments */
	case 0x06: /* incr/decr on a non-numeric value */
		return MB_STATUS_CLIENT_ERROR;
	case 0x81: /* unknown command */
		return MB_STATUS_ERROR;
	case 0x82: /* out of memory */
		return MB_STATUS_OUT_OF_MEMORY;
	default:
		return MB_STATUS_SERVER_ERROR;
	}
}

/* @return the status r means for e, or ST_NOFIT when r cannot be e's response. */
static uint8_t response_status(struct mb_proto_conn *c, const struct resp *r, const struct pend *e)
{
	if (r->word == RW_BIN) {
		if (e->proto != MB_PROTO_BINARY || r->bin_opcode != e->bin_opcode)
			return ST_NOFIT;
		if (r->opaque != e->opaque)
			return ST_NOFIT;
		if (r->has_key && (e->flags & P_KEYECHO) && e->has_key &&
		    (r->key_len != e->key_len ||
		     memcmp(r->key, c->karena + (e->key_pos - c->kbase), e->key_len) != 0))
			return ST_NOFIT;
		return bin_status(e, r->bin_status);
	}
	if (e->proto == MB_PROTO_BINARY)
		return ST_NOFIT;
	if (r->word >= RW_COUNT || !(word_table[r->word].ops & OPB(e->op)))
		return ST_NOFIT;
	/* meta: memcached echoes O and k exactly when asked, except on error lines */
	bool err_line = r->word == RW_ERROR || r->word == RW_CLIENT_ERROR ||
			r->word == RW_SERVER_ERROR || r->word == RW_OOM;
	if (r->has_opaque != !!(e->flags & P_OPAQUE) && !err_line)
		return ST_NOFIT;
	if (r->has_opaque && (e->flags & P_OPAQUE) && r->opaque != e->opaque)
		return ST_NOFIT;
	if (e->proto == MB_PROTO_META && r->has_key != !!(e->flags & P_KEYECHO) && !err_line)
		return ST_NOFIT;
	if (r->has_key && e->has_key &&
	    (r->key_len != e->key_len ||
	     memcmp(r->key, c->karena + (e->key_pos - c->kbase), e->key_len) != 0))
		return ST_NOFIT;
	for (size_t i = 0; i < COUNT_OF(word_table[r->word].alt); i++) {
		if (word_table[r->word].alt[i].status && word_table[r->word].alt[i].op == e->op)
			return word_table[r->word].alt[i].status;
	}
	return word_table[r->word].status;
}

/* ---- the FIFO ----------------------------------------------------------------------------- */

/* The entry at seq, which the caller knows is in [qseq, qseq + q.len). */
static struct pend *entry_at(struct mb_proto_conn *c, uint64_t seq)
{
	return mb_ring_at(&c->q, sizeof(struct pend), (uint32_t)(seq - c->qseq));
}

struct pend *proto_conn_entry(struct mb_proto_conn *c, uint64_t seq)
{
	if (seq < c->qseq || seq >= c->qseq + c->q.len)
		return NULL;
	return entry_at(c, seq);
}

static void emit(struct mb_proto_conn *c, const struct pend *e)
{
	struct mb_proto_cmd cmd = {
		.req_time_ns = e->req_time,
		.resp_time_ns = (e->rflags & MB_RF_HAS_RESPONSE) ? e->resp_time : 0,
		.req_offset = e->req_offset,
		.key = e->has_key ? c->karena + (e->key_pos - c->kbase) : NULL,
		.key_len = e->has_key ? e->key_len : 0,
		.value_len = e->value_len,
		.client_flags = e->client_flags,
		.ttl = e->ttl,
		.cas = e->cas,
		.meta_flags = e->has_key && e->mflags_len
				      ? c->karena + (e->key_pos - c->kbase) + e->key_len : NULL,
		.meta_flags_len = e->has_key ? e->mflags_len : 0,
		.batch_size = e->batch_size ? e->batch_size : e->batch_idx + 1,
		.op = e->op,
		.proto = e->proto,
		.status = e->status,
		.rflags = (uint8_t)((e->rflags & MB_RF_KNOWN_MASK) |
				    (e->batch_idx ? MB_RF_BATCH_CONT : 0)),
	};
	if (c->on_cmd)
		c->on_cmd(c->ctx, &cmd);
}

void proto_conn_drain(struct mb_proto_conn *c)
{
	while (c->q.len) {
		struct pend *e = entry_at(c, c->qseq);
		if ((e->flags & (P_COMPLETE | P_RESOLVED)) != (P_COMPLETE | P_RESOLVED))
			break;
		if (!(e->flags & P_BARRIER))
			emit(c, e);
		mb_ring_pop(&c->q);
		c->qseq++;
	}
	if (c->rseq < c->qseq)
		c->rseq = c->qseq;
	if (!c->q.len) {
		c->kbase += c->klen;
		c->klen = 0;
	}
}

/* Forces the oldest entry out (the FIFO is at max_pending). Its response, if one is still to
 * come, can no longer be matched: the connection becomes uncertain. */
static void drop_oldest(struct mb_proto_conn *c)
{
	struct pend *e = entry_at(c, c->qseq);
	if (!(e->flags & P_RESOLVED)) {
		if (e->expect != EXP_NONE && !(e->flags & P_QUIET))
			c->uncertain = true;
		e->status = (e->flags & P_QUIET) ? e->quiet_status : MB_STATUS_NONE;
		e->flags |= P_RESOLVED;
	}
	e->flags |= P_COMPLETE;
	if (c->rmulti && c->rseq == c->qseq)
		c->rmulti = 0;
	proto_conn_error(c, MB_DIR_REQUEST, e->req_offset, "too many pending requests; oldest dropped");
	proto_conn_drain(c);
}

struct pend *proto_conn_push(struct mb_proto_conn *c, uint64_t *seq)
{
	if (c->q.len >= c->opts.max_pending)
		drop_oldest(c);
	uint64_t s = c->qseq + c->q.len;
	struct pend *e = mb_ring_push(&c->q, sizeof(struct pend));
	if (!e) {
		c->err = -ENOMEM;
		return NULL;
	}
	memset(e, 0, sizeof(*e));
	e->key_pos = c->kbase + c->klen;
	e->batch_size = 1;
	*seq = s;
	return e;
}

int proto_conn_set_key(struct mb_proto_conn *c, struct pend *e, const char *key, size_t len)
{
	return proto_conn_set_key_flags(c, e, key, len, NULL, 0);
}

int proto_conn_set_key_flags(struct mb_proto_conn *c, struct pend *e, const char *key, size_t len,
			     const char *flags, size_t flen)
{
	if (len > MB_PROTO_MAX_KEY)
		len = MB_PROTO_MAX_KEY;
	if (flen > UINT8_MAX)
		flen = UINT8_MAX;
	size_t all = len + flen;
	if (c->kcap - c->klen < all) {
		/* compact: everything before the head's key is dead */
		uint64_t live = entry_at(c, c->qseq)->key_pos;
		size_t shift = (size_t)(live - c->kbase);
		if (shift) {
			memmove(c->karena, c->karena + shift, c->klen - shift);
			c->kbase += shift;
			c->klen -= shift;
		}
		if (c->kcap - c->klen < all || c->kcap - c->klen < c->kcap / 2) {
			/* still over half full after compaction: double */
			size_t need = c->kcap ? c->kcap + 1 : 4096;
			if (need < c->klen + all)
				need = c->klen + all;
			if (MB_ARRAY_RESERVE(c->karena, c->kcap, need)) {
				c->err = -ENOMEM;
				return -ENOMEM;
			}
		}
	}
	e->key_pos = c->kbase + c->klen;
	if (len)
		memcpy(c->karena + c->klen, key, len);
	if (flen)
		memcpy(c->karena + c->klen + len, flags, flen);
	c->klen += all;
	e->key_len = (uint32_t)len;
	e->mflags_len = (uint8_t)flen;
	e->has_key = 1;
	return 0;
}

void proto_conn_complete(struct mb_proto_conn *c, uint64_t seq)
{
	struct pend *e = proto_conn_entry(c, seq);
	if (e)
		e->flags |= P_COMPLETE;
	proto_conn_drain(c);
}

void proto_conn_finish_batch(struct mb_proto_conn *c, uint64_t first_seq, uint32_t nkeys)
{
	for (uint64_t s = first_seq; s < first_seq + nkeys; s++) {
		struct pend *e = proto_conn_entry(c, s);
		if (e) {
			e->batch_size = nkeys;
			e->flags |= P_COMPLETE;
		}
	}
	proto_conn_drain(c);
}

void proto_conn_error(struct mb_proto_conn *c, enum mb_dir dir, uint64_t off, const char *why)
{
	c->st.protocol_errors++;
	if (c->opts.on_error)
		c->opts.on_error(c->ctx, dir, off, why);
}

void proto_conn_barrier(struct mb_proto_conn *c, uint64_t time)
{
	uint64_t seq;
	struct pend *e = proto_conn_push(c, &seq);
	if (!e)
		return;
	e->flags = P_BARRIER | P_COMPLETE;
	e->req_time = time;
	e->op = MB_OP_OTHER;
	c->uncertain = true;
}

void proto_conn_flush_unresolved(struct mb_proto_conn *c)
{
	for (uint64_t s = c->rseq; s < c->qseq + c->q.len; s++) {
		struct pend *e = entry_at(c, s);
		if (!(e->flags & P_COMPLETE))
			break;
		if (!(e->flags & P_RESOLVED)) {
			if (!(e->rflags & MB_RF_HAS_RESPONSE))
				e->status = MB_STATUS_NONE;
			e->flags |= P_RESOLVED;
		}
		c->rseq = s + 1;
	}
	c->rmulti = 0;
	c->uncertain = true;
	proto_conn_drain(c);
}

const struct pend *proto_conn_cursor(struct mb_proto_conn *c)
{
	for (uint64_t s = c->rseq; s < c->qseq + c->q.len; s++) {
		const struct pend *e = entry_at(c, s);
		if (!(e->flags & P_RESOLVED))
			return e;
	}
	return NULL;
}

/* ---- pairing ------------------------------------------------------------------------------ */

static void resolve(struct pend *e, uint8_t status, const struct resp *r)
{
	e->status = status;
	e->flags |= P_RESOLVED;
	if (r) {
		if (!(e->flags & P_STARTED))
			e->resp_time = r->time;
		e->rflags |= MB_RF_HAS_RESPONSE;
		e->cas = r->cas;
		if (status == MB_STATUS_HIT) {
			e->value_len = r->value_len;
			if (r->has_flags)
				e->client_flags = r->client_flags;
		}
	}
}

static void unpaired(struct mb_proto_conn *c, const struct resp *r, const char *why)
{
	c->st.unpaired_responses++;
	if (why)
		proto_conn_error(c, MB_DIR_RESPONSE, r->off, why);
}

/* Sets the response time of every key of the command starting at seq. */
static void start_multi(struct mb_proto_conn *c, uint64_t seq, const struct pend *e,
			uint8_t kind, uint64_t time)
{
	uint32_t n = e->batch_size > e->batch_idx ? e->batch_size - e->batch_idx : 1;
	c->rmulti = kind;
	c->rmulti_end = seq + n;
	c->rvcur = seq;
	for (uint64_t s = seq; s < seq + n; s++) {
		struct pend *k = proto_conn_entry(c, s);
		if (!k)
			break;
		k->resp_time = time;
		k->flags |= P_STARTED;
	}
}

/* Ends the multi-part response: every key not already a hit gets `status`. */
static void end_multi(struct mb_proto_conn *c, uint8_t status)
{
	for (uint64_t s = c->rseq; s < c->rmulti_end; s++) {
		struct pend *k = proto_conn_entry(c, s);
		if (!k)
			continue;
		if (k->status != MB_STATUS_HIT)
			k->status = status;
		k->flags |= P_RESOLVED;
		k->rflags |= MB_RF_HAS_RESPONSE;
	}
	c->rseq = c->rmulti_end;
	c->rmulti = 0;
	c->st.responses++;
	c->uncertain = false;
}

/* A VALUE line while a get's response runs: the key is the next one of the command that
 * matches (memcached answers keys in request order, skipping misses). */
static void value_line(struct mb_proto_conn *c, const struct resp *r)
{
	for (uint64_t s = c->rvcur; s < c->rmulti_end; s++) {
		struct pend *k = proto_conn_entry(c, s);
		if (!k)
			break;
		if (k->has_key && k->key_len == r->key_len &&
		    memcmp(c->karena + (k->key_pos - c->kbase), r->key, r->key_len) == 0) {
			k->status = MB_STATUS_HIT;
			k->rflags |= MB_RF_HAS_RESPONSE;
			k->value_len = r->value_len;
			k->client_flags = r->client_flags;
			k->cas = r->cas;
			c->rvcur = s + 1;
			return;
		}
	}
	proto_conn_error(c, MB_DIR_RESPONSE, r->off, "VALUE for a key that was not requested");
}

/* Is r's key one of the keys of the command whose first unanswered key is e? */
static bool batch_has_key(struct mb_proto_conn *c, const struct pend *e, const struct resp *r)
{
	uint32_t n = e->batch_size > e->batch_idx ? e->batch_size - e->batch_idx : 1;
	for (uint64_t s = c->rseq; s < c->rseq + n; s++) {
		const struct pend *k = proto_conn_entry(c, s);
		if (!k)
			break;
		if (k->has_key && k->key_len == r->key_len &&
		    memcmp(c->karena + (k->key_pos - c->kbase), r->key, r->key_len) == 0)
			return true;
	}
	return false;
}

static bool is_error_word(uint8_t w)
{
	return w == RW_ERROR || w == RW_CLIENT_ERROR || w == RW_SERVER_ERROR || w == RW_OOM;
}

/* Does r name e itself (echoed opaque or key, or a reply only e's command gets)? */
static bool provable(const struct resp *r, const struct pend *e)
{
	if (r->has_opaque && (e->flags & P_OPAQUE) && r->opaque == e->opaque && r->opaque)
		return true;
	if (r->word == RW_MN && e->op == MB_OP_MN)
		return true;
	if (r->word == RW_BIN && r->bin_opcode == 0x0a && e->bin_opcode == 0x0a &&
	    e->proto == MB_PROTO_BINARY)
		return true;
	return false;
}

#define REANCHOR_WINDOW 64

/* The response cannot answer the request at the cursor, but provably answers a later one
 * within REANCHOR_WINDOW entries: the responses in between were lost or never sent, so those
 * requests are resolved without a response and the cursor moves to that entry.
 * @return whether it moved. */
static bool reanchor(struct mb_proto_conn *c, const struct resp *r)
{
	uint64_t end = c->qseq + c->q.len;
	if (end > c->rseq + REANCHOR_WINDOW)
		end = c->rseq + REANCHOR_WINDOW;
	for (uint64_t s = c->rseq + 1; s < end; s++) {
		const struct pend *e = entry_at(c, s);
		if (!(e->flags & P_COMPLETE))
			return false;
		if ((e->flags & (P_RESOLVED | P_BARRIER)) || !provable(r, e))
			continue;
		proto_conn_error(c, MB_DIR_RESPONSE, r->off,
			         "reply skips pending requests; they are left without a response");
		for (uint64_t k = c->rseq; k < s; k++) {
			struct pend *x = entry_at(c, k);
			if (!(x->flags & P_RESOLVED)) {
				x->status = (x->flags & P_QUIET) ? x->quiet_status : MB_STATUS_NONE;
				x->flags |= P_RESOLVED;
			}
		}
		c->rseq = s;
		return true;
	}
	return false;
}

void proto_conn_response(struct mb_proto_conn *c, const struct resp *r)
{
	/* continuation of a multi-part response */
	if (c->rmulti == EXP_ORPHAN) {
		if (r->kind == RK_END || (r->word < RW_COUNT && is_error_word(r->word)))
			c->rmulti = 0;
		return;
	}
	if (c->rmulti) {
		if (c->rmulti == EXP_VALUES && r->kind == RK_VALUE) {
			value_line(c, r);
			return;
		}
		if ((c->rmulti == EXP_STATS && r->kind == RK_STAT) ||
		    (c->rmulti == EXP_BIN_STATS && r->kind == RK_BIN_STAT))
			return;
		if (r->kind == RK_END || (c->rmulti == EXP_BIN_STATS && r->kind == RK_FINAL &&
					  r->word == RW_BIN)) {
			end_multi(c, c->rmulti == EXP_VALUES ? MB_STATUS_MISS : MB_STATUS_OK);
			proto_conn_drain(c);
			return;
		}
		if (r->word < RW_COUNT && is_error_word(r->word)) {
			end_multi(c, word_table[r->word].status);
			proto_conn_drain(c);
			return;
		}
		proto_conn_error(c, MB_DIR_RESPONSE, r->off, "unexpected line inside a multi-line response");
		return;
	}

	for (;;) {
		while (c->rseq < c->qseq + c->q.len && (entry_at(c, c->rseq)->flags & P_RESOLVED))
			c->rseq++;
		struct pend *e = proto_conn_entry(c, c->rseq);
		if (!e) {
			unpaired(c, r, c->uncertain ? NULL : "response without a request");
			return;
		}
		if (!(e->flags & P_COMPLETE)) {
			unpaired(c, r, "response before its request was complete");
			return;
		}
		if (e->flags & P_BARRIER) {
			const struct pend *n = NULL;
			for (uint64_t s = c->rseq + 1; s < c->qseq + c->q.len; s++) {
				n = entry_at(c, s);
				if (!(n->flags & P_RESOLVED))
					break;
				n = NULL;
			}
			if (!n || r->time < n->req_time) {
				unpaired(c, r, NULL); /* answers a request lost in the gap */
				return;
			}
			e->flags |= P_RESOLVED;
			c->rseq++;
			continue;
		}
		if (c->uncertain && r->time < e->req_time) {
			unpaired(c, r, NULL);
			return;
		}
		/* multi-part responses start here */
		if (r->kind == RK_VALUE || r->kind == RK_END) {
			if (e->expect == EXP_VALUES && r->kind == RK_VALUE && !batch_has_key(c, e, r)) {
				/* memcached only returns keys it was asked for: this reply (up to its
				 * END) answers a request we did not see */
				c->rmulti = EXP_ORPHAN;
				unpaired(c, r, c->uncertain ? NULL : "VALUE for a key that was not requested");
				return;
			}
			if (e->expect == EXP_VALUES) {
				start_multi(c, c->rseq, e, EXP_VALUES, r->time);
				if (r->kind == RK_VALUE) {
					value_line(c, r);
				} else {
					end_multi(c, MB_STATUS_MISS);
					proto_conn_drain(c);
				}
				return;
			}
			if (e->expect == EXP_STATS && r->kind == RK_END) {
				resolve(e, MB_STATUS_OK, r);
				c->rseq++;
				c->st.responses++;
				c->uncertain = false;
				proto_conn_drain(c);
				return;
			}
		}
		if (r->kind == RK_STAT || r->kind == RK_BIN_STAT) {
			if ((e->expect == EXP_STATS && r->kind == RK_STAT) ||
			    (e->expect == EXP_BIN_STATS && r->kind == RK_BIN_STAT &&
			     r->bin_opcode == e->bin_opcode)) {
				start_multi(c, c->rseq, e, e->expect, r->time);
				return;
			}
		}
		if (r->kind == RK_FINAL && e->expect == EXP_VALUES && r->word < RW_COUNT &&
		    is_error_word(r->word)) {
			/* an error answers every key of the get */
			start_multi(c, c->rseq, e, EXP_VALUES, r->time);
			end_multi(c, word_table[r->word].status);
			proto_conn_drain(c);
			return;
		}
		uint8_t st = ST_NOFIT;
		if (r->kind == RK_FINAL)
			st = response_status(c, r, e);
		if ((e->flags & P_QUIET) && st != ST_NOFIT && r->word < RW_COUNT &&
		    is_error_word(r->word) && !provable(r, e))
			st = ST_NOFIT; /* an unattributed error goes to the next non-quiet request */
		if (e->flags & P_QUIET) {
			if (st == ST_NOFIT || st == e->quiet_status) {
				/* not this one's: its response was the suppressed outcome */
				e->status = e->quiet_status;
				e->flags |= P_RESOLVED;
				c->rseq++;
				proto_conn_drain(c);
				continue;
			}
		} else if (st == ST_NOFIT) {
			if (e->flags & P_SOFT) {
				/* its error line never came: not a command memcached saw as one */
				e->status = MB_STATUS_NONE;
				e->flags |= P_RESOLVED;
				c->rseq++;
				proto_conn_drain(c);
				continue;
			}
			if (reanchor(c, r))
				continue;
			/* after a loss, replies to lost requests are expected, not errors */
			unpaired(c, r, c->uncertain ? NULL : "response does not answer the pending request");
			return;
		}
		resolve(e, st, r);
		c->rseq++;
		c->st.responses++;
		c->uncertain = false;
		proto_conn_drain(c);
		return;
	}
}

/* ---- opaque tokens ------------------------------------------------------------------------ */

uint32_t proto_opaque_token(const char *s, size_t n)
{
	uint32_t v;
	if (!mb_num_u32(s, n, &v))
		return v;
	uint32_t h = 2166136261u; /* FNV-1a */
	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 16777619u;
	}
	return h;
}

/* ---- public API --------------------------------------------------------------------------- */

struct mb_proto_conn *mb_proto_conn_new(const struct mb_proto_opts *opts, mb_proto_cmd_fn on_cmd,
					void *ctx)
{
	struct mb_proto_conn *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	if (opts)
		c->opts = *opts;
	if (!c->opts.max_value_len)
		c->opts.max_value_len = PROTO_DEFAULT_MAX_VALUE;
	if (!c->opts.max_pending)
		c->opts.max_pending = PROTO_DEFAULT_MAX_PENDING;
	c->on_cmd = on_cmd;
	c->ctx = ctx;
	c->proto = MB_PROTO_TEXT;
	for (int d = 0; d < 2; d++) {
		c->s[d].line = malloc(MB_PROTO_MAX_LINE);
		if (!c->s[d].line) {
			mb_proto_conn_free(c);
			return NULL;
		}
	}
	return c;
}

static void detect(struct mb_proto_conn *c, enum mb_dir dir, uint8_t first)
{
	c->detected = true;
	if ((dir == MB_DIR_REQUEST && first == 0x80) || (dir == MB_DIR_RESPONSE && first == 0x81)) {
		c->proto = MB_PROTO_BINARY;
		c->s[0].state = PS_BIN_HDR;
		c->s[1].state = PS_BIN_HDR;
	}
}

int mb_proto_conn_feed(struct mb_proto_conn *c, enum mb_dir dir, const void *data, size_t len,
		       uint64_t time_ns)
{
	if (dir != MB_DIR_REQUEST && dir != MB_DIR_RESPONSE)
		return MB_E_USAGE;
	if (!len)
		return c->err;
	if (!c->detected)
		detect(c, dir, *(const uint8_t *)data);
	if (c->proto == MB_PROTO_BINARY)
		proto_bin_feed(c, dir, data, len, time_ns);
	else
		proto_text_feed(c, dir, data, len, time_ns);
	return c->err;
}

int mb_proto_conn_gap(struct mb_proto_conn *c, enum mb_dir dir, uint64_t len, uint64_t time_ns)
{
	if (dir != MB_DIR_REQUEST && dir != MB_DIR_RESPONSE)
		return MB_E_USAGE;
	if (!len)
		return 0;
	c->st.gaps++;
	c->st.gap_bytes += len;
	if (c->proto == MB_PROTO_BINARY)
		proto_bin_gap(c, dir, len, time_ns);
	else
		proto_text_gap(c, dir, len, time_ns);
	return c->err;
}

void mb_proto_conn_finish(struct mb_proto_conn *c)
{
	/* a request still being read is complete as far as it goes */
	if (c->proto != MB_PROTO_BINARY)
		proto_text_close_stream(c, MB_DIR_REQUEST);
	for (uint64_t s = c->qseq; s < c->qseq + c->q.len; s++) {
		struct pend *e = entry_at(c, s);
		if (!(e->flags & P_RESOLVED)) {
			/* no evidence either way, quiet or not */
			if (!(e->rflags & MB_RF_HAS_RESPONSE) && e->status != MB_STATUS_HIT)
				e->status = MB_STATUS_NONE;
			e->flags |= P_RESOLVED;
		}
		e->flags |= P_COMPLETE;
	}
	c->rmulti = 0;
	proto_conn_drain(c);
}

const struct mb_proto_stats *mb_proto_conn_stats(const struct mb_proto_conn *c)
{
	return &c->st;
}

void mb_proto_conn_free(struct mb_proto_conn *c)
{
	if (!c)
		return;
	free(c->s[0].line);
	free(c->s[1].line);
	mb_ring_free(&c->q);
	free(c->karena);
	free(c);
}
