/* Binary protocol framing and parsing, both directions (memcached's protocol_binary.h and
 * proto_bin.c are the judges).
 *
 * Packet layout (all integers big-endian):
 *   offset 0  magic     0x80 request, 0x81 response
 *          1  opcode
 *          2  key length (16 bits)
 *          4  extras length (8 bits)
 *          5  data type (0: raw bytes)
 *          6  vbucket id (request) / status (response), 16 bits
 *          8  total body length (32 bits) = extras + key + value
 *         12  opaque (32 bits, echoed by the server)
 *         16  cas (64 bits)
 *         24  extras, key, value
 * Requests carry per opcode: get* no extras; set/add/replace {flags, exptime}; incr/decr
 * {delta 64, initial 64, exptime}; touch/gat {exptime}; flush {[delay]}; verbosity {level}.
 * A get response carries {flags} as extras.
 *
 * Quiet opcodes (getq, getkq, gatq, gatkq: a miss is not answered; setq, addq, replaceq,
 * appendq, prependq, deleteq, incrq, decrq, flushq: success is not answered; quitq: nothing)
 * become quiet entries that the next reply with another opcode or opaque resolves (conn.c).
 *
 * Framing: the header is gathered (24 bytes), then extras + key (kept, up to MB_PROTO_MAX_KEY of
 * key), then the value is skipped without being stored; a unit is handed on when its last byte
 * has been seen, stamped with the time and offset of its first byte. A gap inside the value is
 * skipped with no loss; a gap elsewhere, or a header that is not plausible (bad magic, lengths
 * that do not add up, unknown data type), starts a byte-wise scan for the next plausible header.
 */
#include <string.h>

#include "internal.h"

#define BIN_REQ_MAGIC 0x80
#define BIN_RES_MAGIC 0x81
#define BIN_MAX_EXTRAS 32

/* What each opcode is, from MB_BIN_OPCODES (membench/ops.h); unlisted opcodes are not known.
 * What a quiet opcode leaves unsaid is its command's `quiet` fact (mb_op_info). */
static const struct {
	uint8_t op;
	uint8_t quiet;
	uint8_t keyecho;
	uint8_t known;
} bin_ops[256] = {
#define BIN_OP_ROW(name, code, op, quiet, keyecho) [code] = {MB_OP_##op, quiet, keyecho, 1},
	MB_BIN_OPCODES(BIN_OP_ROW)
#undef BIN_OP_ROW
};

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint64_t rd64(const uint8_t *p)
{
	return (uint64_t)rd32(p) << 32 | rd32(p + 4);
}

/* Is this a header we can frame? Requests with an unknown opcode are framed too (memcached
 * answers them with "unknown command"); in resync mode only known opcodes are accepted. */
static bool hdr_ok(const struct mb_proto_conn *c, enum mb_dir dir, const uint8_t *h, bool strict)
{
	uint8_t magic = dir == MB_DIR_REQUEST ? BIN_REQ_MAGIC : BIN_RES_MAGIC;
	uint32_t body = rd32(h + 8);
	uint32_t fixed = (uint32_t)h[4] + rd16(h + 2);
	if (h[0] != magic || h[5] != 0 || fixed > body || h[4] > BIN_MAX_EXTRAS)
		return false;
	if (body - fixed > c->opts.max_value_len)
		return false;
	if (strict && (!bin_ops[h[1]].known || (dir == MB_DIR_REQUEST && rd16(h + 6) != 0)))
		return false;
	return true;
}

static void packet_request(struct mb_proto_conn *c, struct pstream *s)
{
	const uint8_t *h = s->hdr;
	uint8_t opcode = h[1];
	uint8_t extlen = h[4];
	uint16_t keylen = rd16(h + 2);
	const char *body = c->bbody[MB_DIR_REQUEST];
	uint64_t seq;
	if (!bin_ops[opcode].known)
		proto_conn_error(c, MB_DIR_REQUEST, s->lstart_off, "unknown binary opcode");
	struct pend *e = proto_conn_push(c, &seq);
	if (!e)
		return;
	c->st.requests++;
	e->req_time = s->lstart_time;
	e->req_offset = s->lstart_off;
	e->proto = MB_PROTO_BINARY;
	e->bin_opcode = opcode;
	e->opaque = rd32(h + 12);
	e->flags |= P_OPAQUE;
	e->op = bin_ops[opcode].known ? bin_ops[opcode].op : MB_OP_OTHER;
	uint8_t unsaid = mb_op_info(e->op)->quiet;
	e->expect = e->op == MB_OP_STATS ? EXP_BIN_STATS : EXP_BIN;
	if (bin_ops[opcode].keyecho)
		e->flags |= P_KEYECHO;
	if (bin_ops[opcode].quiet) {
		e->rflags |= MB_RF_NOREPLY;
		if (unsaid == MB_STATUS_NONE) { /* quitq: nothing is ever answered */
			e->expect = EXP_NONE;
		} else {
			e->flags |= P_QUIET;
			e->quiet_status = unsaid;
		}
	}
	if (keylen) {
		uint16_t kept = keylen > MB_PROTO_MAX_KEY ? MB_PROTO_MAX_KEY : keylen;
		proto_conn_set_key(c, e, body + extlen, kept);
	}
	uint32_t vlen = rd32(h + 8) - extlen - keylen;
	switch (e->op) {
	case MB_OP_SET: case MB_OP_ADD: case MB_OP_REPLACE:
		if (extlen == 8) {
			e->client_flags = rd32((const uint8_t *)body);
			e->ttl = (int32_t)rd32((const uint8_t *)body + 4);
		}
		if (e->op == MB_OP_SET && rd64(h + 16) != 0)
			e->op = MB_OP_CAS;
		e->value_len = vlen;
		if (s->num_ok)
			e->rflags |= MB_RF_NUMERIC;
		break;
	case MB_OP_APPEND: case MB_OP_PREPEND:
		e->value_len = vlen;
		if (s->num_ok)
			e->rflags |= MB_RF_NUMERIC;
		break;
	case MB_OP_INCR: case MB_OP_DECR:
		if (extlen == 20)
			e->ttl = (int32_t)rd32((const uint8_t *)body + 16);
		break;
	case MB_OP_TOUCH: case MB_OP_GAT: case MB_OP_FLUSH_ALL:
		if (extlen == 4)
			e->ttl = (int32_t)rd32((const uint8_t *)body);
		break;
	default:
		break;
	}
	if (e->expect == EXP_NONE)
		e->flags |= P_RESOLVED;
	e->flags |= P_COMPLETE;
	proto_conn_drain(c);
}

static void packet_response(struct mb_proto_conn *c, struct pstream *s)
{
	const uint8_t *h = s->hdr;
	uint8_t extlen = h[4];
	uint16_t keylen = rd16(h + 2);
	const char *body = c->bbody[MB_DIR_RESPONSE];
	struct resp r = {
		.kind = RK_FINAL,
		.word = RW_BIN,
		.bin_opcode = h[1],
		.bin_status = rd16(h + 6),
		.has_opaque = true,
		.opaque = rd32(h + 12),
		.value_len = rd32(h + 8) - extlen - keylen,
		.cas = rd64(h + 16),
		.time = s->lstart_time,
		.off = s->lstart_off,
	};
	if (keylen) {
		r.has_key = true;
		r.key = body + extlen;
		r.key_len = keylen > MB_PROTO_MAX_KEY ? MB_PROTO_MAX_KEY : keylen;
		if (bin_ops[h[1]].op == MB_OP_STATS)
			r.kind = RK_BIN_STAT;
	}
	if (extlen == 4) {
		r.has_flags = true;
		r.client_flags = rd32((const uint8_t *)body);
	}
	proto_conn_response(c, &r);
}

static void packet_done(struct mb_proto_conn *c, enum mb_dir dir)
{
	struct pstream *s = &c->s[dir];
	if (dir == MB_DIR_REQUEST)
		packet_request(c, s);
	else
		packet_response(c, s);
	s->state = PS_BIN_HDR;
	s->llen = 0;
}

/* The header in s->hdr is complete: set up the body. */
static void header_done(struct mb_proto_conn *c, enum mb_dir dir)
{
	struct pstream *s = &c->s[dir];
	const uint8_t *h = s->hdr;
	uint32_t fixed = (uint32_t)h[4] + rd16(h + 2);
	s->body_len = rd32(h + 8);
	s->body_need = fixed;
	s->llen = 0;
	s->data_left = s->body_len - fixed;
	pstream_num_begin(s, s->data_left);
	s->state = PS_BIN_BODY;
	if (s->body_need == 0) {
		s->state = PS_BIN_VALUE;
		if (s->data_left == 0)
			packet_done(c, dir);
	}
}

static void scan_byte(struct mb_proto_conn *c, enum mb_dir dir, uint8_t b, uint64_t t)
{
	struct pstream *s = &c->s[dir];
	uint8_t magic = dir == MB_DIR_REQUEST ? BIN_REQ_MAGIC : BIN_RES_MAGIC;
	if (s->llen == 0) {
		if (b != magic) {
			c->st.resync_bytes++;
			return;
		}
		s->lstart_off = s->off;
		s->lstart_time = t;
	}
	s->hdr[s->llen++] = b;
	if (s->llen < 24)
		return;
	if (hdr_ok(c, dir, s->hdr, true)) {
		s->resync = false;
		header_done(c, dir);
		return;
	}
	/* not a header: drop its first byte and look again from the next magic byte */
	size_t i = 1;
	while (i < 24 && s->hdr[i] != magic)
		i++;
	c->st.resync_bytes += i;
	memmove(s->hdr, s->hdr + i, 24 - i);
	s->llen = 24 - i;
	s->lstart_off += i; /* approximate: the time stays that of the first scanned byte */
}

void proto_bin_feed(struct mb_proto_conn *c, enum mb_dir dir, const uint8_t *p, size_t n,
		    uint64_t t)
{
	struct pstream *s = &c->s[dir];
	while (n) {
		switch (s->state) {
		case PS_BIN_SCAN:
			scan_byte(c, dir, *p, t);
			s->off++;
			p++;
			n--;
			break;
		case PS_BIN_BODY: {
			size_t take = n < s->body_need - s->llen ? n : s->body_need - s->llen;
			size_t room = sizeof(c->bbody[dir]) > s->llen ? sizeof(c->bbody[dir]) - s->llen : 0;
			if (room) /* beyond it: key bytes past MB_PROTO_MAX_KEY, not kept */
				memcpy(c->bbody[dir] + s->llen, p, take < room ? take : room);
			s->llen += take;
			s->off += take;
			p += take;
			n -= take;
			if (s->llen == s->body_need) {
				s->state = PS_BIN_VALUE;
				if (s->data_left == 0)
					packet_done(c, dir);
			}
			break;
		}
		case PS_BIN_VALUE: {
			size_t take = n < s->data_left ? n : (size_t)s->data_left;
			pstream_num_scan(s, (const char *)p, take);
			s->data_left -= take;
			s->off += take;
			p += take;
			n -= take;
			if (!s->data_left)
				packet_done(c, dir);
			break;
		}
		default: { /* PS_BIN_HDR */
			if (s->llen == 0) {
				s->lstart_off = s->off;
				s->lstart_time = t;
			}
			size_t take = 24 - s->llen < n ? 24 - s->llen : n;
			memcpy(s->hdr + s->llen, p, take);
			s->llen += take;
			s->off += take;
			p += take;
			n -= take;
			if (s->llen < 24)
				break;
			if (!hdr_ok(c, dir, s->hdr, s->resync)) {
				proto_conn_error(c, dir, s->lstart_off, "implausible binary header");
				/* rescan these 24 bytes from their second one */
				uint8_t h[24];
				memcpy(h, s->hdr, 24);
				s->llen = 0;
				s->state = PS_BIN_SCAN;
				c->st.resync_bytes++;
				s->off -= 23;
				for (int i = 1; i < 24; i++) {
					scan_byte(c, dir, h[i], t);
					s->off++;
					if (s->state != PS_BIN_SCAN) {
						/* header found inside: feed what is left of the 24 */
						proto_bin_feed(c, dir, h + i + 1, (size_t)(23 - i), t);
						break;
					}
				}
				break;
			}
			header_done(c, dir);
			break;
		}
		}
	}
}

void proto_bin_gap(struct mb_proto_conn *c, enum mb_dir dir, uint64_t len, uint64_t t)
{
	struct pstream *s = &c->s[dir];
	if (s->state == PS_BIN_VALUE) {
		if (pstream_gap_in_payload(c, s, &len))
			packet_done(c, dir);
		if (!len)
			return;
	}
	s->off += len;
	s->llen = 0;
	s->state = PS_BIN_SCAN;
	s->resync = true;
	if (dir == MB_DIR_REQUEST)
		proto_conn_barrier(c, t);
	else
		proto_conn_flush_unresolved(c);
}
