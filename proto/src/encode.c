/* Request encoding for the replayer: text, meta and binary, byte for byte as memcached 1.6
 * expects (doc/protocol.txt, doc/binary protocol). Everything is appended to one mb_buf, so a
 * caller batches all due requests into one buffer and one write.
 *
 * Text:   get|gets <key>+ / gat|gats <exptime> <key>+ / <store> <key> <flags> <exptime> <bytes>
 *         [<cas>] [noreply]\r\n<data>\r\n / delete <key> / incr|decr <key> <delta> /
 *         touch <key> <exptime> / flush_all [<delay>] / stats / version / verbosity <n>
 * Meta:   reads  -> mg <key> v f [c] [T<exptime>] [q] [O<opaque>]   (one mg per key)
 *         stores -> ms <key> <bytes> F<flags> T<exptime> M<mode> [C<cas>] [q] [O<opaque>]
 *         delete -> md <key>; incr/decr -> ma <key> D<delta> M<I|D>; touch -> mg <key> T<exptime>
 *         mn; me <key>. Keys that are not plain text (spaces, control bytes) go base64 with b.
 * Binary: 24-byte header {magic 0x80, opcode, keylen be16, extlen, datatype 0, vbucket 0,
 *         bodylen be32, opaque be32, cas be64}, then extras, key, value. Multi-key reads are
 *         one getk/gatk per key, so every key is answered (the replayer counts one reply per
 *         key); with noreply they are getkq/gatkq. The quiet opcode is used for noreply.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"
#include "membench/error.h"

static bool key_is_text(const char *k, uint32_t n)
{
	if (n == 0 || n > MB_PROTO_MAX_KEY)
		return false;
	for (uint32_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)k[i];
		if (ch <= ' ' || ch == 0x7f)
			return false;
	}
	return true;
}

/* The i-th key of a request (single-key requests: i == 0). */
static void req_key(const struct mb_proto_req *r, uint32_t i, const char **k, uint32_t *n)
{
	if (r->keys && r->nkeys) {
		*k = r->keys[i];
		*n = r->key_lens[i];
	} else {
		*k = r->key;
		*n = r->key_len;
	}
}

static uint32_t req_nkeys(const struct mb_proto_req *r)
{
	return r->keys && r->nkeys ? r->nkeys : 1;
}

/* Appends the value (or a deterministic pattern when value is NULL). */
static int put_value(struct mb_buf *out, const struct mb_proto_req *r)
{
	if (r->value)
		return mb_buf_append(out, r->value, r->value_len);
	int err = mb_buf_reserve(out, r->value_len);
	if (err)
		return err;
	for (uint32_t i = 0; i < r->value_len; i++)
		out->data[out->len + i] = (char)('a' + i % 26);
	out->len += r->value_len;
	return 0;
}

static int put_str(struct mb_buf *out, const char *s)
{
	return mb_buf_append(out, s, strlen(s));
}

/* ---- text --------------------------------------------------------------------------------- */

static int encode_meta(struct mb_buf *out, const struct mb_proto_req *r);

static int encode_text(struct mb_buf *out, const struct mb_proto_req *r)
{
	const struct mb_op_info *op = mb_op_info(r->op);
	const char *name = op->text;
	const char *k;
	uint32_t kn;
	const char *nr = r->noreply ? " noreply" : "";
	int err = 0;
	if (!name && op->meta) /* a meta command sent on a text connection */
		return encode_meta(out, r);
	if (!name)
		return MB_E_USAGE;
	for (uint32_t i = 0; i < req_nkeys(r); i++) {
		req_key(r, i, &k, &kn);
		if (r->op <= MB_OP_TOUCH && !key_is_text(k, kn))
			return MB_E_USAGE;
	}
	size_t start = out->len;
	req_key(r, 0, &k, &kn);
	switch (r->op) {
	case MB_OP_GET: case MB_OP_GETS: case MB_OP_GAT: case MB_OP_GATS:
		err = put_str(out, name);
		if (!err && (r->op == MB_OP_GAT || r->op == MB_OP_GATS))
			err = mb_buf_printf(out, " %d", r->ttl);
		for (uint32_t i = 0; !err && i < req_nkeys(r); i++) {
			req_key(r, i, &k, &kn);
			err = mb_buf_append(out, " ", 1);
			if (!err)
				err = mb_buf_append(out, k, kn);
		}
		if (!err)
			err = put_str(out, "\r\n");
		break;
	case MB_OP_SET: case MB_OP_ADD: case MB_OP_REPLACE: case MB_OP_APPEND:
	case MB_OP_PREPEND: case MB_OP_CAS:
		err = mb_buf_printf(out, "%s %.*s %u %d %u", name, (int)kn, k, r->client_flags,
				    r->ttl, r->value_len);
		if (!err && r->op == MB_OP_CAS)
			err = mb_buf_printf(out, " %llu", (unsigned long long)r->arg);
		if (!err)
			err = mb_buf_printf(out, "%s\r\n", nr);
		if (!err)
			err = put_value(out, r);
		if (!err)
			err = put_str(out, "\r\n");
		break;
	case MB_OP_DELETE:
		err = mb_buf_printf(out, "delete %.*s%s\r\n", (int)kn, k, nr);
		break;
	case MB_OP_INCR: case MB_OP_DECR:
		err = mb_buf_printf(out, "%s %.*s %llu%s\r\n", name, (int)kn, k,
				    (unsigned long long)r->arg, nr);
		break;
	case MB_OP_TOUCH:
		err = mb_buf_printf(out, "touch %.*s %d%s\r\n", (int)kn, k, r->ttl, nr);
		break;
	case MB_OP_FLUSH_ALL:
		if (r->ttl)
			err = mb_buf_printf(out, "flush_all %d%s\r\n", r->ttl, nr);
		else
			err = mb_buf_printf(out, "flush_all%s\r\n", nr);
		break;
	case MB_OP_STATS:
		err = put_str(out, "stats\r\n");
		break;
	case MB_OP_VERSION:
		err = put_str(out, "version\r\n");
		break;
	case MB_OP_VERBOSITY:
		err = mb_buf_printf(out, "verbosity %llu%s\r\n", (unsigned long long)r->arg, nr);
		break;
	default:
		return MB_E_USAGE;
	}
	if (err)
		out->len = start;
	return err;
}

/* ---- meta --------------------------------------------------------------------------------- */

/* "<cmd> <key>" with the key in base64 (and the b flag appended later) when not plain text. */
static int meta_head(struct mb_buf *out, const char *cmd, const char *k, uint32_t kn, bool *b64)
{
	if (kn == 0 || kn > MB_PROTO_MAX_KEY)
		return MB_E_USAGE;
	*b64 = !key_is_text(k, kn);
	int err = mb_buf_printf(out, "%s ", cmd);
	if (err)
		return err;
	if (!*b64)
		return mb_buf_append(out, k, kn);
	char enc[(MB_PROTO_MAX_KEY + 2) / 3 * 4 + 4];
	size_t n = proto_base64_encode((const unsigned char *)k, kn, enc);
	return mb_buf_append(out, enc, n);
}

/* The flags every meta command may carry: b, q, O. */
static int meta_tail(struct mb_buf *out, const struct mb_proto_req *r, bool b64)
{
	int err = 0;
	if (b64)
		err = put_str(out, " b");
	if (!err && r->noreply)
		err = put_str(out, " q");
	if (!err && r->opaque)
		err = mb_buf_printf(out, " O%u", r->opaque);
	return err;
}

/* A meta request with its recorded flags (meta_flags): "<cmd> <key>[ <datalen>] <flags>",
 * tokens as recorded but O, C, E, T (and N naming an absolute time) filled in from r, and the
 * key in base64 when recorded so or when it is not text. */
static int encode_meta_recorded(struct mb_buf *out, const struct mb_proto_req *r, const char *mcmd)
{
	const char *k, *p = r->meta_flags, *end = r->meta_flags + r->meta_flags_len;
	uint32_t kn;
	bool b64 = false, want_b64 = false;
	for (const char *q = p; q < end; q++) /* a "b" token */
		want_b64 = want_b64 || (q[0] == 'b' && (q == p || q[-1] == ' ') &&
					(q + 1 == end || q[1] == ' '));
	req_key(r, 0, &k, &kn);
	int err = meta_head(out, mcmd, k, kn, &b64);
	if (!err && want_b64 && !b64) { /* recorded in base64: keep it base64 */
		char enc[(MB_PROTO_MAX_KEY + 2) / 3 * 4 + 4];
		out->len -= kn;
		err = mb_buf_append(out, enc, proto_base64_encode((const unsigned char *)k, kn, enc));
		b64 = true;
	}
	if (!err && r->op == MB_OP_MS)
		err = mb_buf_printf(out, " %u", r->value_len);
	while (!err && p < end) {
		const char *sp = memchr(p, ' ', (size_t)(end - p));
		size_t n = sp ? (size_t)(sp - p) : (size_t)(end - p);
		int32_t v;
		switch (p[0]) {
		case 'b':
			break; /* added below, with the key */
		case 'O':
			if (r->opaque)
				err = mb_buf_printf(out, " O%u", r->opaque);
			break;
		case 'C': case 'E':
			err = mb_buf_printf(out, " %c%llu", p[0], (unsigned long long)r->arg);
			break;
		case 'T':
			err = mb_buf_printf(out, " T%d", r->ttl);
			break;
		case 'N':
			if (!mb_num_i32(p + 1, n - 1, &v) && v > 60 * 60 * 24 * 30) {
				err = mb_buf_printf(out, " N%d", r->ttl);
				break;
			}
			/* fall through */
		default:
			err = mb_buf_printf(out, " %.*s", (int)n, p);
			break;
		}
		p += n + (sp != NULL);
	}
	if (!err && b64)
		err = put_str(out, " b");
	if (!err)
		err = put_str(out, "\r\n");
	if (!err && r->op == MB_OP_MS && !(err = put_value(out, r)))
		err = put_str(out, "\r\n");
	return err;
}

static int encode_meta(struct mb_buf *out, const struct mb_proto_req *r)
{
	const char *mcmd = mb_op_info(r->op)->meta; /* mg, ms, md, ma, mn, me or NULL */
	const char *k;
	uint32_t kn;
	bool b64 = false;
	int err = 0;
	size_t start = out->len;
	if (r->meta_flags_len && mcmd && req_nkeys(r) == 1 && r->op != MB_OP_MN) {
		err = encode_meta_recorded(out, r, mcmd);
		if (err)
			out->len = start;
		return err;
	}
	switch (r->op) {
	case MB_OP_GET: case MB_OP_GETS: case MB_OP_GAT: case MB_OP_GATS: case MB_OP_MG:
		for (uint32_t i = 0; !err && i < req_nkeys(r); i++) {
			req_key(r, i, &k, &kn);
			err = meta_head(out, mcmd, k, kn, &b64);
			if (!err)
				err = put_str(out, " v f");
			if (!err && (r->op == MB_OP_GETS || r->op == MB_OP_GATS))
				err = put_str(out, " c");
			if (!err && (r->op == MB_OP_GAT || r->op == MB_OP_GATS ||
				     (r->op == MB_OP_MG && r->ttl)))
				err = mb_buf_printf(out, " T%d", r->ttl);
			if (!err)
				err = meta_tail(out, r, b64);
			if (!err)
				err = put_str(out, "\r\n");
		}
		break;
	case MB_OP_SET: case MB_OP_ADD: case MB_OP_REPLACE: case MB_OP_APPEND:
	case MB_OP_PREPEND: case MB_OP_CAS: case MB_OP_MS:
		req_key(r, 0, &k, &kn);
		err = meta_head(out, mcmd, k, kn, &b64);
		if (!err)
			err = mb_buf_printf(out, " %u F%u T%d M%c", r->value_len, r->client_flags,
					    r->ttl, mb_op_info(r->op)->ms_mode);
		if (!err && r->op == MB_OP_CAS)
			err = mb_buf_printf(out, " C%llu", (unsigned long long)r->arg);
		if (!err)
			err = meta_tail(out, r, b64);
		if (!err)
			err = put_str(out, "\r\n");
		if (!err)
			err = put_value(out, r);
		if (!err)
			err = put_str(out, "\r\n");
		break;
	case MB_OP_DELETE: case MB_OP_MD:
		req_key(r, 0, &k, &kn);
		err = meta_head(out, mcmd, k, kn, &b64);
		if (!err)
			err = meta_tail(out, r, b64);
		if (!err)
			err = put_str(out, "\r\n");
		break;
	case MB_OP_INCR: case MB_OP_DECR: case MB_OP_MA:
		req_key(r, 0, &k, &kn);
		err = meta_head(out, mcmd, k, kn, &b64);
		if (!err && r->op == MB_OP_DECR)
			err = put_str(out, " MD");
		if (!err && r->arg != 1 && r->op != MB_OP_MA)
			err = mb_buf_printf(out, " D%llu", (unsigned long long)r->arg);
		if (!err && r->op == MB_OP_MA && r->arg)
			err = mb_buf_printf(out, " D%llu", (unsigned long long)r->arg);
		if (!err)
			err = meta_tail(out, r, b64);
		if (!err)
			err = put_str(out, "\r\n");
		break;
	case MB_OP_TOUCH:
		req_key(r, 0, &k, &kn);
		err = meta_head(out, mcmd, k, kn, &b64);
		if (!err)
			err = mb_buf_printf(out, " T%d", r->ttl);
		if (!err)
			err = meta_tail(out, r, b64);
		if (!err)
			err = put_str(out, "\r\n");
		break;
	case MB_OP_MN:
		err = put_str(out, "mn\r\n");
		break;
	case MB_OP_ME:
		req_key(r, 0, &k, &kn);
		err = meta_head(out, mcmd, k, kn, &b64);
		if (!err && b64)
			err = put_str(out, " b");
		if (!err)
			err = put_str(out, "\r\n");
		break;
	case MB_OP_FLUSH_ALL: case MB_OP_STATS: case MB_OP_VERSION: case MB_OP_VERBOSITY: {
		/* no meta form: the text command on the same connection */
		struct mb_proto_req t = *r;
		t.proto = MB_PROTO_TEXT;
		return encode_text(out, &t);
	}
	default:
		return MB_E_USAGE;
	}
	if (err)
		out->len = start;
	return err;
}

/* ---- binary ------------------------------------------------------------------------------- */

static void be16(unsigned char *p, uint16_t v)
{
	p[0] = (unsigned char)(v >> 8);
	p[1] = (unsigned char)v;
}

static void be32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

static void be64(unsigned char *p, uint64_t v)
{
	be32(p, (uint32_t)(v >> 32));
	be32(p + 4, (uint32_t)v);
}

/* Header + extras + key + value (value from r when with_value). */
static int bin_packet(struct mb_buf *out, uint8_t opcode, const unsigned char *extras,
		      uint8_t extlen, const char *k, uint32_t kn, const struct mb_proto_req *r,
		      bool with_value, uint64_t cas)
{
	if (kn > UINT16_MAX)
		return MB_E_USAGE;
	uint32_t vlen = with_value ? r->value_len : 0;
	uint64_t body = (uint64_t)extlen + kn + vlen;
	if (body > UINT32_MAX)
		return MB_E_USAGE;
	unsigned char h[24] = {0};
	h[0] = 0x80;
	h[1] = opcode;
	be16(h + 2, (uint16_t)kn);
	h[4] = extlen;
	be32(h + 8, (uint32_t)body);
	be32(h + 12, r->opaque);
	be64(h + 16, cas);
	int err = mb_buf_append(out, h, sizeof(h));
	if (!err && extlen)
		err = mb_buf_append(out, extras, extlen);
	if (!err && kn)
		err = mb_buf_append(out, k, kn);
	if (!err && with_value)
		err = put_value(out, r);
	return err;
}

static int encode_binary(struct mb_buf *out, const struct mb_proto_req *r)
{
	const struct mb_op_info *info = mb_op_info(r->op);
	/* the opcode of a single-key command, quiet for noreply */
	uint8_t opcode = (uint8_t)(r->noreply ? info->binq : info->bin);
	const char *k;
	uint32_t kn;
	unsigned char ex[20];
	int err = 0;
	size_t start = out->len;
	req_key(r, 0, &k, &kn);
	switch (r->op) {
	case MB_OP_GET: case MB_OP_GETS: case MB_OP_GAT: case MB_OP_GATS: {
		bool gat = r->op == MB_OP_GAT || r->op == MB_OP_GATS;
		uint32_t n = req_nkeys(r);
		be32(ex, (uint32_t)r->ttl);
		for (uint32_t i = 0; !err && i < n; i++) {
			req_key(r, i, &k, &kn);
			if (!kn)
				err = MB_E_USAGE;
			uint8_t op;
			if (n == 1)
				op = opcode;
			else
				op = gat ? (r->noreply ? MB_BIN_GATKQ : MB_BIN_GATK) :
					   (r->noreply ? MB_BIN_GETKQ : MB_BIN_GETK);
			if (!err)
				err = bin_packet(out, op, ex, gat ? 4 : 0, k, kn, r, false, 0);
		}
		break;
	}
	case MB_OP_SET: case MB_OP_ADD: case MB_OP_REPLACE: case MB_OP_CAS:
		be32(ex, r->client_flags);
		be32(ex + 4, (uint32_t)r->ttl);
		err = bin_packet(out, opcode, ex, 8, k, kn, r, true,
				 r->op == MB_OP_CAS ? r->arg : 0);
		break;
	case MB_OP_APPEND: case MB_OP_PREPEND:
		err = bin_packet(out, opcode, NULL, 0, k, kn, r, true, 0);
		break;
	case MB_OP_DELETE:
		err = bin_packet(out, opcode, NULL, 0, k, kn, r, false, 0);
		break;
	case MB_OP_INCR: case MB_OP_DECR:
		be64(ex, r->arg);
		be64(ex + 8, 0);
		be32(ex + 16, 0xffffffffu); /* do not create: text incr/decr semantics */
		err = bin_packet(out, opcode, ex, 20, k, kn, r, false, 0);
		break;
	case MB_OP_TOUCH:
		be32(ex, (uint32_t)r->ttl);
		err = bin_packet(out, opcode, ex, 4, k, kn, r, false, 0);
		break;
	case MB_OP_FLUSH_ALL:
		be32(ex, (uint32_t)r->ttl);
		err = bin_packet(out, opcode, ex, r->ttl ? 4 : 0, NULL, 0, r, false, 0);
		break;
	case MB_OP_STATS:
	case MB_OP_VERSION:
	case MB_OP_MN:
		err = bin_packet(out, opcode, NULL, 0, NULL, 0, r, false, 0);
		break;
	case MB_OP_VERBOSITY:
		/* memcached 1.6 answers binary verbosity "unknown command" without reading its
		 * extras, then parses them as the next header and closes the connection */
		return MB_E_UNSUPPORTED;
	default:
		return MB_E_USAGE;
	}
	if (err)
		out->len = start;
	return err;
}

int mb_proto_encode(struct mb_buf *out, const struct mb_proto_req *req)
{
	if (!out || !req || req->op >= MB_OP_COUNT)
		return MB_E_USAGE;
	if ((req->keys || req->nkeys) && (!req->keys || !req->key_lens || !req->nkeys))
		return MB_E_USAGE;
	if (req->value_len && !req->value && req->value_len > (1u << 30))
		return MB_E_USAGE;
	switch (req->proto) {
	case MB_PROTO_TEXT:
		return encode_text(out, req);
	case MB_PROTO_META:
		return encode_meta(out, req);
	case MB_PROTO_BINARY:
		return encode_binary(out, req);
	default:
		return MB_E_USAGE;
	}
}
