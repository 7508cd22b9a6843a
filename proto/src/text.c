/* Text and meta protocol framing and parsing, both directions (memcached doc/protocol.txt;
 * memcached's proto_text.c is the judge of what is valid).
 *
 * Framing: a stream is lines ending in "\n" (a "\r" before it is dropped), some followed by a
 * data block of a length given on the line plus "\r\n":
 *   requests:  set|add|replace|append|prepend <key> <flags> <exptime> <bytes> [noreply]\r\n<data>\r\n
 *              cas <key> <flags> <exptime> <bytes> <cas unique> [noreply]\r\n<data>\r\n
 *              ms <key> <datalen> <flag>*\r\n<data>\r\n
 *   responses: VALUE <key> <flags> <bytes> [<cas unique>]\r\n<data>\r\n
 *              VA <size> <flag>*\r\n<data>\r\n
 * A complete line inside one fed chunk is parsed where it lies (no copy); a line split across
 * chunks is gathered in the stream's MB_PROTO_MAX_LINE buffer, so the result never depends on
 * where the stream was split. A get line longer than the buffer (memcached accepts unbounded
 * multigets) is parsed key by key as it arrives (PS_MGET) by the same code that parses a short
 * one. Other over-long lines are protocol errors and are discarded up to their "\n".
 *
 * Requests are interpreted as memcached would: an unknown command or a malformed known one is
 * a protocol error that still expects the one error line memcached sends back (unless noreply);
 * a storage command whose length is past max_value_len has its data block skipped, as memcached
 * swallows it. After a loss (gap), lines are accepted again only from the first one that is a
 * valid command (or response); everything before it is counted in resync_bytes.
 */
#include <string.h>

#include "internal.h"

#define MAX_TOKENS 24

struct tok {
	const char *p;
	uint32_t n;
};

/* Splits on spaces (runs of spaces separate, like memcached's tokenize_command).
 * @return the number of tokens, or MAX_TOKENS + 1 when there are more. */
static size_t tokenize(const char *s, size_t len, struct tok *t)
{
	size_t nt = 0, i = 0;
	while (i < len) {
		while (i < len && s[i] == ' ')
			i++;
		if (i == len)
			break;
		size_t b = i;
		while (i < len && s[i] != ' ')
			i++;
		if (nt == MAX_TOKENS)
			return MAX_TOKENS + 1;
		t[nt].p = s + b;
		t[nt].n = (uint32_t)(i - b);
		nt++;
	}
	return nt;
}

static bool tok_is(const struct tok *t, const char *s)
{
	size_t n = strlen(s);
	return t->n == n && memcmp(t->p, s, n) == 0;
}

/* ---- base64 (meta b flag) ----------------------------------------------------------------- */

static const char b64chars[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static int b64val(unsigned char ch)
{
	if (ch >= 'A' && ch <= 'Z')
		return ch - 'A';
	if (ch >= 'a' && ch <= 'z')
		return ch - 'a' + 26;
	if (ch >= '0' && ch <= '9')
		return ch - '0' + 52;
	if (ch == '+')
		return 62;
	if (ch == '/')
		return 63;
	return -1;
}

long proto_base64_decode(const char *s, size_t n, char *out, size_t cap)
{
	if (n % 4)
		return -1;
	size_t o = 0;
	for (size_t i = 0; i < n; i += 4) {
		int v[4];
		int pad = 0;
		for (int j = 0; j < 4; j++) {
			if (s[i + j] == '=' && i + 4 == n && j >= 2) {
				v[j] = 0;
				pad++;
			} else {
				if (pad)
					return -1;
				v[j] = b64val((unsigned char)s[i + j]);
				if (v[j] < 0)
					return -1;
			}
		}
		uint32_t w = (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 | (uint32_t)v[2] << 6 |
			     (uint32_t)v[3];
		int nb = 3 - pad;
		if (o + (size_t)nb > cap)
			return -1;
		out[o++] = (char)(w >> 16);
		if (nb > 1)
			out[o++] = (char)(w >> 8);
		if (nb > 2)
			out[o++] = (char)w;
	}
	return (long)o;
}

size_t proto_base64_encode(const unsigned char *s, size_t n, char *out)
{
	size_t o = 0;
	for (size_t i = 0; i < n; i += 3) {
		uint32_t w = (uint32_t)s[i] << 16;
		if (i + 1 < n)
			w |= (uint32_t)s[i + 1] << 8;
		if (i + 2 < n)
			w |= s[i + 2];
		out[o++] = b64chars[(w >> 18) & 63];
		out[o++] = b64chars[(w >> 12) & 63];
		out[o++] = i + 1 < n ? b64chars[(w >> 6) & 63] : '=';
		out[o++] = i + 2 < n ? b64chars[w & 63] : '=';
	}
	return o;
}

/* ---- requests ----------------------------------------------------------------------------- */

enum req_kind {
	C_GET, C_GAT, C_STORE, C_CAS, C_DELETE, C_ARITH, C_TOUCH, C_FLUSH, C_STATS, C_VERSION,
	C_VERBOSITY, C_QUIT, C_OTHER, C_MG, C_MS, C_MD, C_MA, C_MN, C_ME,
};

/* Commands memcached 1.6 knows. C_OTHER ones are recorded as MB_OP_OTHER, one response line. */
static const struct {
	const char *name;
	uint8_t len;
	uint8_t op;
	uint8_t kind;
} req_table[] = {
	{"get", 3, MB_OP_GET, C_GET},
	{"set", 3, MB_OP_SET, C_STORE},
	{"mg", 2, MB_OP_MG, C_MG},
	{"ms", 2, MB_OP_MS, C_MS},
	{"gets", 4, MB_OP_GETS, C_GET},
	{"delete", 6, MB_OP_DELETE, C_DELETE},
	{"md", 2, MB_OP_MD, C_MD},
	{"ma", 2, MB_OP_MA, C_MA},
	{"mn", 2, MB_OP_MN, C_MN},
	{"me", 2, MB_OP_ME, C_ME},
	{"add", 3, MB_OP_ADD, C_STORE},
	{"replace", 7, MB_OP_REPLACE, C_STORE},
	{"append", 6, MB_OP_APPEND, C_STORE},
	{"prepend", 7, MB_OP_PREPEND, C_STORE},
	{"cas", 3, MB_OP_CAS, C_CAS},
	{"incr", 4, MB_OP_INCR, C_ARITH},
	{"decr", 4, MB_OP_DECR, C_ARITH},
	{"touch", 5, MB_OP_TOUCH, C_TOUCH},
	{"gat", 3, MB_OP_GAT, C_GAT},
	{"gats", 4, MB_OP_GATS, C_GAT},
	{"flush_all", 9, MB_OP_FLUSH_ALL, C_FLUSH},
	{"stats", 5, MB_OP_STATS, C_STATS},
	{"version", 7, MB_OP_VERSION, C_VERSION},
	{"verbosity", 9, MB_OP_VERBOSITY, C_VERBOSITY},
	{"quit", 4, MB_OP_OTHER, C_QUIT},
	{"shutdown", 8, MB_OP_OTHER, C_OTHER},
	{"cache_memlimit", 14, MB_OP_OTHER, C_OTHER},
	{"lru_crawler", 11, MB_OP_OTHER, C_OTHER},
	{"slabs", 5, MB_OP_OTHER, C_OTHER},
	{"lru", 3, MB_OP_OTHER, C_OTHER},
	{"watch", 5, MB_OP_OTHER, C_OTHER},
	{"extstore", 8, MB_OP_OTHER, C_OTHER},
	{"misbehave", 9, MB_OP_OTHER, C_OTHER},
	{"debugtime", 9, MB_OP_OTHER, C_OTHER},
	{"refresh_certs", 13, MB_OP_OTHER, C_OTHER},
};

static int req_lookup(const struct tok *t)
{
	for (size_t i = 0; i < sizeof(req_table) / sizeof(req_table[0]); i++) {
		if (req_table[i].len == t->n && req_table[i].name[0] == t->p[0] &&
		    memcmp(req_table[i].name, t->p, t->n) == 0)
			return (int)i;
	}
	return -1;
}

/* New entry for the request whose line starts at the stream's lstart. */
static struct pend *req_new(struct mb_proto_conn *c, uint8_t op, uint8_t proto, uint8_t expect,
			    uint64_t *seq)
{
	struct pstream *s = &c->s[MB_DIR_REQUEST];
	struct pend *e = proto_conn_push(c, seq);
	if (!e)
		return NULL;
	e->req_time = s->lstart_time;
	e->req_offset = s->lstart_off;
	e->op = op;
	e->proto = proto;
	e->expect = expect;
	c->st.requests++;
	return e;
}

/* Finishes a request that has no data block. */
static void req_done(struct mb_proto_conn *c, struct pend *e, bool noreply)
{
	if (noreply) {
		e->rflags |= MB_RF_NOREPLY;
		e->expect = EXP_NONE;
	}
	if (e->expect == EXP_NONE)
		e->flags |= P_RESOLVED;
	e->flags |= P_COMPLETE;
	proto_conn_drain(c);
}

/* A request memcached answers with one error line (or nothing with noreply). In resync mode
 * (strict) it is not taken as a command at all. @return false when rejected. */
static bool req_invalid(struct mb_proto_conn *c, bool strict, uint8_t op, uint8_t proto,
			bool noreply, const char *why)
{
	if (strict)
		return false;
	proto_conn_error(c, MB_DIR_REQUEST, c->s[MB_DIR_REQUEST].lstart_off, why);
	uint64_t seq;
	struct pend *e = req_new(c, op, proto, EXP_LINE, &seq);
	if (e) {
		e->flags |= P_SOFT;
		req_done(c, e, noreply);
	}
	return true;
}

/* Starts reading the data block of the request at seq. */
static void req_data(struct mb_proto_conn *c, uint64_t seq, uint64_t len)
{
	struct pstream *s = &c->s[MB_DIR_REQUEST];
	s->state = PS_DATA;
	s->data_left = len + 2;
	s->data_bad = false;
	s->data_req = true;
	s->data_seq = seq;
	pstream_num_begin(s, len);
}

static bool key_ok(const struct tok *t)
{
	return t->n > 0 && t->n <= MB_PROTO_MAX_KEY;
}

/* <cmd> <key> <flags> <exptime> <bytes> [noreply]   /   cas ... <bytes> <cas unique> [noreply] */
static bool req_store(struct mb_proto_conn *c, const struct tok *t, size_t nt, uint8_t op,
		      bool is_cas, bool strict)
{
	size_t base = is_cas ? 6 : 5;
	if (nt != base && nt != base + 1)
		return req_invalid(c, strict, op, MB_PROTO_TEXT, false, "wrong number of tokens");
	bool noreply = tok_is(&t[nt - 1], "noreply");
	if (nt == base + 1 && !noreply)
		return req_invalid(c, strict, op, MB_PROTO_TEXT, false, "wrong number of tokens");
	uint32_t flags;
	int32_t exptime, vlen;
	uint64_t cas;
	if (!key_ok(&t[1]) || mb_num_u32(t[2].p, t[2].n, &flags) ||
	    mb_num_i32(t[3].p, t[3].n, &exptime) || mb_num_i32(t[4].p, t[4].n, &vlen) ||
	    (is_cas && mb_num_u64(t[5].p, t[5].n, &cas)) || vlen < 0 || vlen > INT32_MAX - 2)
		return req_invalid(c, strict, op, MB_PROTO_TEXT, noreply,
				   "bad storage command line (key, flags, exptime or length)");
	bool too_large = (uint64_t)vlen > c->opts.max_value_len;
	if (too_large && strict)
		return false;
	uint64_t seq;
	struct pend *e = req_new(c, op, MB_PROTO_TEXT, EXP_LINE, &seq);
	if (!e)
		return true;
	proto_conn_set_key(c, e, t[1].p, t[1].n);
	e->client_flags = flags;
	e->ttl = exptime;
	e->value_len = (uint32_t)vlen;
	if (noreply) {
		e->rflags |= MB_RF_NOREPLY;
		e->expect = EXP_NONE;
		e->flags |= P_RESOLVED;
	}
	if (too_large) /* memcached answers SERVER_ERROR and swallows the data */
		proto_conn_error(c, MB_DIR_REQUEST, c->s[MB_DIR_REQUEST].lstart_off,
			         "value length past max_value_len");
	req_data(c, seq, (uint64_t)vlen);
	return true;
}

/* ---- get lines, short or streamed ---- */

/* get|gets <key>*   /   gat|gats <exptime> <key>*: the command word (and exptime). */
static bool mget_begin(struct mb_proto_conn *c, const char *p, size_t n, size_t *used)
{
	struct pstream *s = &c->s[MB_DIR_REQUEST];
	size_t i = 0;
	while (i < n && p[i] == ' ')
		i++;
	size_t b = i;
	while (i < n && p[i] != ' ')
		i++;
	struct tok w = {p + b, (uint32_t)(i - b)};
	int idx = req_lookup(&w);
	if (idx < 0 || (req_table[idx].kind != C_GET && req_table[idx].kind != C_GAT))
		return false;
	s->mget_op = req_table[idx].op;
	s->mget_ttl = 0;
	s->mget_keys = 0;
	if (req_table[idx].kind == C_GAT) {
		while (i < n && p[i] == ' ')
			i++;
		b = i;
		while (i < n && p[i] != ' ')
			i++;
		if (i == n || mb_num_i32(p + b, i - b, &s->mget_ttl))
			return false;
	}
	s->mget_started = true;
	*used = i;
	return true;
}

/* Adds the keys in p[0..n) to the multiget being read. Unless final, a trailing token not yet
 * followed by a space is left for later. @return bytes consumed. */
static size_t mget_keys(struct mb_proto_conn *c, const char *p, size_t n, bool final)
{
	struct pstream *s = &c->s[MB_DIR_REQUEST];
	size_t i = 0, done = 0;
	for (;;) {
		while (i < n && p[i] == ' ')
			i++;
		done = i;
		if (i == n)
			break;
		size_t b = i;
		while (i < n && p[i] != ' ')
			i++;
		if (i == n && !final)
			break;
		done = i;
		uint64_t seq;
		struct pend *e = req_new(c, s->mget_op, MB_PROTO_TEXT, EXP_VALUES, &seq);
		if (!e)
			break;
		c->st.requests -= s->mget_keys > 0; /* a multiget counts once */
		if (s->mget_keys == 0)
			s->mget_seq = seq;
		e->batch_idx = s->mget_keys++;
		e->batch_size = 0;
		e->ttl = s->mget_ttl;
		if (i - b > MB_PROTO_MAX_KEY)
			proto_conn_error(c, MB_DIR_REQUEST, s->lstart_off, "key longer than 250 bytes");
		proto_conn_set_key(c, e, p + b, i - b);
	}
	return done;
}

static void mget_end(struct mb_proto_conn *c)
{
	struct pstream *s = &c->s[MB_DIR_REQUEST];
	s->mget_started = false;
	if (s->mget_keys == 0) {
		/* "get" alone: memcached says ERROR */
		req_invalid(c, false, s->mget_op, MB_PROTO_TEXT, false, "get without a key");
		return;
	}
	if (proto_conn_entry(c, s->mget_seq) == NULL)
		s->mget_seq = c->qseq; /* its first keys were pushed out by max_pending */
	proto_conn_finish_batch(c, s->mget_seq, s->mget_keys);
}

static bool req_get(struct mb_proto_conn *c, const char *line, size_t len, bool strict)
{
	size_t used;
	if (!mget_begin(c, line, len, &used)) {
		if (strict)
			return false;
		return req_invalid(c, false, c->s[MB_DIR_REQUEST].mget_op, MB_PROTO_TEXT, false,
				   "bad gat exptime");
	}
	if (strict) {
		/* must have at least one valid key */
		struct tok t[MAX_TOKENS];
		size_t nt = tokenize(line + used, len - used, t);
		if (nt == 0 || !key_ok(&t[0])) {
			c->s[MB_DIR_REQUEST].mget_started = false;
			return false;
		}
	}
	mget_keys(c, line + used, len - used, true);
	mget_end(c);
	return true;
}

/* ---- meta ---- */

struct mflags {
	bool quiet, b64, kecho, value, has_opaque, bad;
	uint32_t opaque;
	int32_t ttl;
	uint32_t client_flags;
};

/* Flags of a meta request: one token each, first char the flag, the rest its argument. */
static void meta_flags(const struct tok *t, size_t nt, size_t first, struct mflags *f)
{
	memset(f, 0, sizeof(*f));
	for (size_t i = first; i < nt; i++) {
		const char *a = t[i].p + 1;
		size_t an = t[i].n - 1;
		switch (t[i].p[0]) {
		case 'q': f->quiet = true; break;
		case 'b': f->b64 = true; break;
		case 'k': f->kecho = true; break;
		case 'v': f->value = true; break;
		case 'O':
			if (an > 32)
				f->bad = true;
			f->has_opaque = true;
			f->opaque = proto_opaque_token(a, an);
			break;
		case 'T':
			if (mb_num_i32(a, an, &f->ttl))
				f->bad = true;
			break;
		case 'N': {
			int32_t v;
			if (mb_num_i32(a, an, &v))
				f->bad = true;
			else if (!f->ttl)
				f->ttl = v;
			break;
		}
		case 'F':
			if (mb_num_u32(a, an, &f->client_flags))
				f->bad = true;
			break;
		case 'C': case 'D': case 'J': {
			uint64_t v;
			if (mb_num_u64(a, an, &v))
				f->bad = true;
			break;
		}
		case 'R': {
			int32_t v;
			if (mb_num_i32(a, an, &v))
				f->bad = true;
			break;
		}
		case 'M':
			if (an != 1)
				f->bad = true;
			break;
		case 'E': case 'I': case 'P': case 'L': case 's': case 't': case 'c': case 'f':
		case 'h': case 'l': case 'u': case 'S':
			break;
		default:
			f->bad = true;
			break;
		}
	}
}

/* The flags of a meta request as a profile keeps them (format 1.1): tokens as sent, separated
 * by one space, but O (opaque), C and E (cas values) without their value, which only meant
 * something to that client and that server. Cut at a token boundary to fit 255 bytes.
 * @return the length written to out (UINT8_MAX bytes). */
static size_t meta_flag_text(const struct tok *t, size_t nt, size_t first, char *out)
{
	size_t n = 0;
	for (size_t i = first; i < nt; i++) {
		size_t len = strchr("OCE", t[i].p[0]) ? 1 : t[i].n;
		if (n + (n > 0) + len > UINT8_MAX)
			break;
		if (n)
			out[n++] = ' ';
		memcpy(out + n, t[i].p, len);
		n += len;
	}
	return n;
}

/* mg|md|ma|me <key> <flag>*   /   ms <key> <datalen> <flag>*   /   mn */
static bool req_meta(struct mb_proto_conn *c, const struct tok *t, size_t nt, uint8_t op,
		     bool strict)
{
	uint64_t seq;
	struct pend *e;
	if (op == MB_OP_MN) {
		e = req_new(c, op, MB_PROTO_META, EXP_META, &seq);
		if (e)
			req_done(c, e, false);
		return true;
	}
	size_t first = op == MB_OP_MS ? 3 : 2;
	if (nt < first || !key_ok(&t[1]))
		return req_invalid(c, strict, op, MB_PROTO_META, false, "bad meta command line");
	struct mflags f;
	meta_flags(t, nt, first, &f);
	char key[MB_PROTO_MAX_KEY];
	long klen = t[1].n;
	if (f.b64) {
		klen = proto_base64_decode(t[1].p, t[1].n, key, sizeof(key));
		if (klen <= 0)
			f.bad = true;
	}
	int32_t vlen = 0;
	if (op == MB_OP_MS && (mb_num_i32(t[2].p, t[2].n, &vlen) || vlen < 0 || vlen > INT32_MAX - 2))
		return req_invalid(c, strict, op, MB_PROTO_META, false, "bad ms data length");
	bool too_large = op == MB_OP_MS && (uint64_t)vlen > c->opts.max_value_len;
	if ((f.bad || too_large) && strict)
		return false;
	e = req_new(c, op, MB_PROTO_META, EXP_META, &seq);
	if (!e)
		return true;
	char ft[UINT8_MAX];
	size_t fn = meta_flag_text(t, nt, first, ft);
	proto_conn_set_key_flags(c, e, f.b64 && klen > 0 ? key : t[1].p,
				 klen > 0 ? (size_t)klen : t[1].n, ft, fn);
	e->ttl = f.ttl;
	e->client_flags = f.client_flags;
	if (f.has_opaque) {
		e->opaque = f.opaque;
		e->flags |= P_OPAQUE;
	}
	if (f.kecho)
		e->flags |= P_KEYECHO;
	if (f.bad) {
		/* memcached answers CLIENT_ERROR even in quiet mode */
		proto_conn_error(c, MB_DIR_REQUEST, c->s[MB_DIR_REQUEST].lstart_off, "bad meta flag");
	} else if (f.quiet && op != MB_OP_ME) {
		e->flags |= P_QUIET;
		e->rflags |= MB_RF_NOREPLY;
		e->quiet_status = mb_op_info(op)->quiet;
	}
	if (op == MB_OP_MS) {
		e->value_len = (uint32_t)vlen;
		if (too_large)
			proto_conn_error(c, MB_DIR_REQUEST, c->s[MB_DIR_REQUEST].lstart_off,
				         "value length past max_value_len");
		req_data(c, seq, (uint64_t)vlen);
		return true;
	}
	req_done(c, e, false);
	return true;
}

/* One request line (without its "\n" or "\r"). strict: resynchronising, accept only a valid
 * command. @return whether the line was taken as a command. */
static bool req_line(struct mb_proto_conn *c, const char *line, size_t len, bool strict)
{
	struct tok t[MAX_TOKENS];
	size_t i = 0;
	while (i < len && line[i] == ' ')
		i++;
	if (i == len) {
		/* empty line: memcached answers ERROR */
		return req_invalid(c, strict, MB_OP_OTHER, MB_PROTO_TEXT, false, "empty line");
	}
	const char *sp = memchr(line + i, ' ', len - i);
	struct tok word = {line + i, (uint32_t)(sp ? (size_t)(sp - line) - i : len - i)};
	int idx = req_lookup(&word);
	if (idx < 0)
		return req_invalid(c, strict, MB_OP_OTHER, MB_PROTO_TEXT, false, "unknown command");
	uint8_t op = req_table[idx].op;
	uint8_t kind = req_table[idx].kind;
	if (kind == C_GET || kind == C_GAT)
		return req_get(c, line, len, strict);
	size_t nt = tokenize(line, len, t);
	if (nt > MAX_TOKENS)
		return req_invalid(c, strict, op, MB_PROTO_TEXT, false, "too many tokens");
	bool noreply = nt > 1 && tok_is(&t[nt - 1], "noreply");
	uint64_t seq;
	struct pend *e;
	int32_t i32;
	uint32_t u32;
	uint64_t u64;
	switch (kind) {
	case C_STORE:
		return req_store(c, t, nt, op, false, strict);
	case C_CAS:
		return req_store(c, t, nt, op, true, strict);
	case C_DELETE: /* delete <key> [0] [noreply] */
		if (nt < 2 || nt > 4 || !key_ok(&t[1]) ||
		    (nt == 3 && !noreply && !tok_is(&t[2], "0")) ||
		    (nt == 4 && (!noreply || !tok_is(&t[2], "0"))))
			return req_invalid(c, strict, op, MB_PROTO_TEXT, noreply, "bad delete");
		e = req_new(c, op, MB_PROTO_TEXT, EXP_LINE, &seq);
		if (e) {
			proto_conn_set_key(c, e, t[1].p, t[1].n);
			req_done(c, e, noreply);
		}
		return true;
	case C_ARITH: /* incr|decr <key> <delta> [noreply] */
		if (nt != 3u + noreply || !key_ok(&t[1]) || mb_num_u64(t[2].p, t[2].n, &u64))
			return req_invalid(c, strict, op, MB_PROTO_TEXT, noreply, "bad incr/decr");
		e = req_new(c, op, MB_PROTO_TEXT, EXP_LINE, &seq);
		if (e) {
			proto_conn_set_key(c, e, t[1].p, t[1].n);
			req_done(c, e, noreply);
		}
		return true;
	case C_TOUCH: /* touch <key> <exptime> [noreply] */
		if (nt != 3u + noreply || !key_ok(&t[1]) || mb_num_i32(t[2].p, t[2].n, &i32))
			return req_invalid(c, strict, op, MB_PROTO_TEXT, noreply, "bad touch");
		e = req_new(c, op, MB_PROTO_TEXT, EXP_LINE, &seq);
		if (e) {
			proto_conn_set_key(c, e, t[1].p, t[1].n);
			e->ttl = i32;
			req_done(c, e, noreply);
		}
		return true;
	case C_FLUSH: /* flush_all [delay] [noreply] */
		if (nt > 2u + noreply ||
		    (nt == 2u + noreply && mb_num_i32(t[1].p, t[1].n, &i32)))
			return req_invalid(c, strict, op, MB_PROTO_TEXT, noreply, "bad flush_all");
		e = req_new(c, op, MB_PROTO_TEXT, EXP_LINE, &seq);
		if (e) {
			if (nt == 2u + noreply)
				e->ttl = i32;
			req_done(c, e, noreply);
		}
		return true;
	case C_STATS:
		e = req_new(c, op, MB_PROTO_TEXT, EXP_STATS, &seq);
		if (e)
			req_done(c, e, false);
		return true;
	case C_VERSION:
		if (nt != 1)
			return req_invalid(c, strict, op, MB_PROTO_TEXT, false, "bad version");
		e = req_new(c, op, MB_PROTO_TEXT, EXP_LINE, &seq);
		if (e)
			req_done(c, e, false);
		return true;
	case C_VERBOSITY: /* verbosity <level> [noreply] */
		if (nt != 2u + noreply || mb_num_u32(t[1].p, t[1].n, &u32))
			return req_invalid(c, strict, op, MB_PROTO_TEXT, noreply, "bad verbosity");
		e = req_new(c, op, MB_PROTO_TEXT, EXP_LINE, &seq);
		if (e)
			req_done(c, e, noreply);
		return true;
	case C_QUIT:
		e = req_new(c, op, MB_PROTO_TEXT, EXP_NONE, &seq);
		if (e)
			req_done(c, e, false);
		return true;
	case C_OTHER:
		if (strict)
			return false;
		e = req_new(c, op, MB_PROTO_TEXT, EXP_LINE, &seq);
		if (e)
			req_done(c, e, noreply);
		return true;
	default:
		return req_meta(c, t, nt, op, strict);
	}
}

/* ---- responses ---------------------------------------------------------------------------- */

static const struct {
	const char *name;
	uint8_t len;
	uint8_t word;
} resp_table[] = {
	{"VALUE", 5, RW_VALUE}, {"END", 3, RW_END}, {"STORED", 6, RW_STORED},
	{"HD", 2, RW_HD}, {"VA", 2, RW_VA}, {"EN", 2, RW_EN},
	{"NOT_STORED", 10, RW_NOT_STORED}, {"EXISTS", 6, RW_EXISTS},
	{"NOT_FOUND", 9, RW_NOT_FOUND}, {"DELETED", 7, RW_DELETED}, {"TOUCHED", 7, RW_TOUCHED},
	{"OK", 2, RW_OK}, {"RESET", 5, RW_RESET}, {"ERROR", 5, RW_ERROR},
	{"CLIENT_ERROR", 12, RW_CLIENT_ERROR}, {"SERVER_ERROR", 12, RW_SERVER_ERROR},
	{"VERSION", 7, RW_VERSION}, {"STAT", 4, RW_STAT}, {"NF", 2, RW_NF}, {"NS", 2, RW_NS},
	{"EX", 2, RW_EX}, {"MN", 2, RW_MN}, {"ME", 2, RW_ME},
};

static uint8_t resp_lookup(const struct tok *t)
{
	for (size_t i = 0; i < sizeof(resp_table) / sizeof(resp_table[0]); i++) {
		if (resp_table[i].len == t->n && resp_table[i].name[0] == t->p[0] &&
		    memcmp(resp_table[i].name, t->p, t->n) == 0)
			return resp_table[i].word;
	}
	uint64_t v;
	if (!mb_num_u64(t->p, t->n, &v))
		return RW_NUMBER;
	return RW_UNKNOWN;
}

/* Flags of a meta response: O<opaque>, k<key>, b (key in base64), f<flags>, s<size>,
 * c<cas unique>. */
static bool meta_resp_flags(const struct tok *t, size_t nt, size_t first, struct resp *r,
			    char *keybuf)
{
	bool b64 = false;
	for (size_t i = first; i < nt; i++) {
		const char *a = t[i].p + 1;
		size_t an = t[i].n - 1;
		switch (t[i].p[0]) {
		case 'O':
			r->has_opaque = true;
			r->opaque = proto_opaque_token(a, an);
			break;
		case 'k':
			r->has_key = true;
			r->key = a;
			r->key_len = (uint32_t)(an > MB_PROTO_MAX_KEY ? MB_PROTO_MAX_KEY : an);
			break;
		case 'b':
			b64 = true;
			break;
		case 'f':
			if (!mb_num_u32(a, an, &r->client_flags))
				r->has_flags = true;
			break;
		case 's':
			if (!r->value_len && mb_num_u32(a, an, &r->value_len))
				return false;
			break;
		case 'c':
			if (mb_num_u64(a, an, &r->cas))
				r->cas = 0;
			break;
		default:
			break;
		}
	}
	if (b64 && r->has_key) {
		long n = proto_base64_decode(r->key, r->key_len, keybuf, MB_PROTO_MAX_KEY);
		if (n < 0)
			return false;
		r->key = keybuf;
		r->key_len = (uint32_t)n;
	}
	return true;
}

static void resp_data(struct mb_proto_conn *c, uint64_t len)
{
	struct pstream *s = &c->s[MB_DIR_RESPONSE];
	s->state = PS_DATA;
	s->data_left = len + 2;
	s->data_bad = false;
	s->data_req = false;
}

/* One response line. @return whether it was taken as a response. */
static bool resp_line(struct mb_proto_conn *c, const char *line, size_t len, bool strict)
{
	struct pstream *s = &c->s[MB_DIR_RESPONSE];
	struct tok t[MAX_TOKENS];
	size_t nt = tokenize(line, len, t);
	if (nt > MAX_TOKENS)
		nt = MAX_TOKENS; /* STAT lines of free text; meta flags past 24 are not ours */
	struct resp r = {.kind = RK_FINAL, .time = s->lstart_time, .off = s->lstart_off};
	char keybuf[MB_PROTO_MAX_KEY];
	if (nt == 0) {
		if (strict)
			return false;
		proto_conn_error(c, MB_DIR_RESPONSE, s->lstart_off, "empty response line");
		return true;
	}
	r.word = resp_lookup(&t[0]);
	uint64_t u64;
	switch (r.word) {
	case RW_VALUE: /* VALUE <key> <flags> <bytes> [<cas unique>] */
		if ((nt != 4 && nt != 5) || !key_ok(&t[1]) ||
		    mb_num_u32(t[2].p, t[2].n, &r.client_flags) ||
		    mb_num_u32(t[3].p, t[3].n, &r.value_len) ||
		    (nt == 5 && mb_num_u64(t[4].p, t[4].n, &u64)) ||
		    r.value_len > c->opts.max_value_len)
			goto bad;
		r.cas = nt == 5 ? u64 : 0;
		r.kind = RK_VALUE;
		r.key = t[1].p;
		r.key_len = t[1].n;
		r.has_flags = true;
		resp_data(c, r.value_len);
		break;
	case RW_VA: /* VA <size> <flag>* */
		if (nt < 2 || mb_num_u32(t[1].p, t[1].n, &r.value_len) ||
		    r.value_len > c->opts.max_value_len)
			goto bad;
		{
			uint32_t vl = r.value_len;
			if (!meta_resp_flags(t, nt, 2, &r, keybuf))
				goto bad;
			r.value_len = vl;
		}
		resp_data(c, r.value_len);
		break;
	case RW_HD: case RW_EN: case RW_NF: case RW_NS: case RW_EX: case RW_MN:
		if (!meta_resp_flags(t, nt, 1, &r, keybuf))
			goto bad;
		break;
	case RW_ME:
		if (nt < 2)
			goto bad;
		break;
	case RW_END:
		if (nt != 1)
			goto bad;
		r.kind = RK_END;
		break;
	case RW_STAT:
		r.kind = RK_STAT;
		break;
	case RW_SERVER_ERROR:
		if (nt >= 3 && tok_is(&t[1], "out") && tok_is(&t[2], "of"))
			r.word = RW_OOM;
		break;
	case RW_UNKNOWN: {
		/* free-form lines of stats sub-commands (ITEM, PREFIX, ...) */
		const struct pend *cur = proto_conn_cursor(c);
		if (c->rmulti == EXP_STATS || (cur && cur->expect == EXP_STATS)) {
			r.kind = RK_STAT;
			break;
		}
		if (cur && cur->op == MB_OP_OTHER && !strict)
			break;
		goto bad;
	}
	default:
		if (r.word == RW_NUMBER && nt != 1)
			goto bad;
		break;
	}
	if (c->rmulti == EXP_STATS && r.kind == RK_FINAL && r.word != RW_ERROR &&
	    r.word != RW_CLIENT_ERROR && r.word != RW_SERVER_ERROR && r.word != RW_OOM)
		r.kind = RK_STAT;
	proto_conn_response(c, &r);
	return true;
bad:
	if (strict)
		return false;
	proto_conn_error(c, MB_DIR_RESPONSE, s->lstart_off, "malformed or unknown response line");
	c->st.unpaired_responses++;
	/* what follows may be the data block of a line we could not read: skip to a valid reply */
	s->resync = true;
	return true;
}

/* ---- framing ------------------------------------------------------------------------------ */

static void line_done(struct mb_proto_conn *c, enum mb_dir dir, const char *line, size_t len)
{
	struct pstream *s = &c->s[dir];
	size_t raw = len + 1;
	if (len && line[len - 1] == '\r')
		len--;
	bool strict = s->resync;
	bool ok = dir == MB_DIR_REQUEST ? req_line(c, line, len, strict) :
					  resp_line(c, line, len, strict);
	if (strict) {
		if (ok)
			s->resync = false;
		else
			c->st.resync_bytes += raw;
	}
}

static void data_end(struct mb_proto_conn *c, enum mb_dir dir)
{
	struct pstream *s = &c->s[dir];
	s->state = PS_LINE;
	if (s->data_bad)
		proto_conn_error(c, dir, s->off - 2, "data block not terminated by \\r\\n");
	if (s->data_req) {
		struct pend *e = proto_conn_entry(c, s->data_seq);
		if (e && s->num_ok && !s->data_bad)
			e->rflags |= MB_RF_NUMERIC;
		s->data_req = false;
		proto_conn_complete(c, s->data_seq);
	}
}

/* Line too long for the buffer: a streamed multiget, or an error. */
static void line_overflow(struct mb_proto_conn *c, enum mb_dir dir)
{
	struct pstream *s = &c->s[dir];
	size_t used;
	if (dir == MB_DIR_REQUEST && !s->resync && mget_begin(c, s->line, s->llen, &used)) {
		size_t k = used + mget_keys(c, s->line + used, s->llen - used, false);
		memmove(s->line, s->line + k, s->llen - k);
		s->llen -= k;
		s->state = PS_MGET;
		return;
	}
	proto_conn_error(c, dir, s->lstart_off, "line too long");
	c->st.resync_bytes += s->llen;
	s->llen = 0;
	s->state = PS_DISCARD;
}

/* PS_MGET: n bytes of the streamed get line (up to, not including, its "\n"). */
static void mget_stream(struct mb_proto_conn *c, const char *p, size_t n)
{
	struct pstream *s = &c->s[MB_DIR_REQUEST];
	while (n) {
		size_t take = MB_PROTO_MAX_LINE - s->llen;
		if (take > n)
			take = n;
		memcpy(s->line + s->llen, p, take);
		s->llen += take;
		p += take;
		n -= take;
		if (s->llen == MB_PROTO_MAX_LINE) {
			size_t k = mget_keys(c, s->line, s->llen, false);
			if (k == 0) {
				/* one token fills the buffer: not a key memcached accepts */
				proto_conn_error(c, MB_DIR_REQUEST, s->off, "key longer than the line buffer");
				k = s->llen;
			}
			memmove(s->line, s->line + k, s->llen - k);
			s->llen -= k;
		}
	}
}

void proto_text_feed(struct mb_proto_conn *c, enum mb_dir dir, const char *p, size_t n, uint64_t t)
{
	struct pstream *s = &c->s[dir];
	while (n) {
		switch (s->state) {
		case PS_DATA: {
			size_t take = n < s->data_left ? n : (size_t)s->data_left;
			size_t from = s->data_left > 2 ? (size_t)(s->data_left - 2) : 0;
			for (size_t i = from; i < take; i++) {
				uint64_t left = s->data_left - i;
				if ((left == 2 && p[i] != '\r') || (left == 1 && p[i] != '\n'))
					s->data_bad = true;
			}
			if (s->data_req)
				pstream_num_scan(s, p, from < take ? from : take);
			s->data_left -= take;
			s->off += take;
			p += take;
			n -= take;
			if (!s->data_left)
				data_end(c, dir);
			break;
		}
		case PS_DISCARD: {
			const char *nl = memchr(p, '\n', n);
			size_t take = nl ? (size_t)(nl - p) + 1 : n;
			c->st.resync_bytes += take;
			s->off += take;
			p += take;
			n -= take;
			if (nl)
				s->state = PS_LINE;
			break;
		}
		case PS_MGET: {
			const char *nl = memchr(p, '\n', n);
			size_t take = nl ? (size_t)(nl - p) : n;
			mget_stream(c, p, take);
			s->off += take;
			p += take;
			n -= take;
			if (nl) {
				if (s->llen && s->line[s->llen - 1] == '\r')
					s->llen--;
				mget_keys(c, s->line, s->llen, true);
				mget_end(c);
				s->llen = 0;
				s->state = PS_LINE;
				s->off++;
				p++;
				n--;
			}
			break;
		}
		default: { /* PS_LINE */
			if (s->llen == 0) {
				s->lstart_off = s->off;
				s->lstart_time = t;
				size_t scan = n < MB_PROTO_MAX_LINE + 1 ? n : MB_PROTO_MAX_LINE + 1;
				const char *nl = memchr(p, '\n', scan);
				if (nl) {
					/* whole line in this chunk: parse in place */
					size_t len = (size_t)(nl - p);
					const char *line = p;
					s->off += len + 1;
					p += len + 1;
					n -= len + 1;
					line_done(c, dir, line, len);
					break;
				}
			}
			size_t room = MB_PROTO_MAX_LINE - s->llen;
			size_t scan = n < room + 1 ? n : room + 1;
			const char *nl = memchr(p, '\n', scan);
			if (nl) {
				size_t len = (size_t)(nl - p);
				memcpy(s->line + s->llen, p, len);
				s->llen += len;
				s->off += len + 1;
				p += len + 1;
				n -= len + 1;
				size_t ll = s->llen;
				s->llen = 0;
				line_done(c, dir, s->line, ll);
				break;
			}
			if (room == 0) {
				line_overflow(c, dir);
				break;
			}
			size_t take = n < room ? n : room;
			memcpy(s->line + s->llen, p, take);
			s->llen += take;
			s->off += take;
			p += take;
			n -= take;
			break;
		}
		}
	}
}

void proto_text_gap(struct mb_proto_conn *c, enum mb_dir dir, uint64_t len, uint64_t t)
{
	struct pstream *s = &c->s[dir];
	if (s->state == PS_DATA) {
		if (pstream_gap_in_payload(c, s, &len))
			data_end(c, dir);
		if (!len)
			return; /* inside the payload: nothing lost but the bytes */
	}
	/* the gap removed framing: everything up to the next valid line is suspect */
	size_t used;
	if (s->state == PS_MGET) {
		mget_end(c); /* the keys before the gap; the one it cut is left out */
	} else if (dir == MB_DIR_REQUEST && s->state == PS_LINE && s->llen && !s->resync &&
		   mget_begin(c, s->line, s->llen, &used)) {
		/* a get line cut by the gap: its complete keys were requested */
		mget_keys(c, s->line + used, s->llen - used, false);
		if (s->mget_keys)
			mget_end(c);
		s->mget_started = false;
	}
	s->off += len;
	s->llen = 0;
	s->state = PS_LINE;
	s->resync = true;
	if (dir == MB_DIR_REQUEST)
		proto_conn_barrier(c, t);
	else
		proto_conn_flush_unresolved(c);
}

void proto_text_close_stream(struct mb_proto_conn *c, enum mb_dir dir)
{
	struct pstream *s = &c->s[dir];
	if (dir != MB_DIR_REQUEST)
		return;
	if (s->state == PS_MGET) {
		mget_end(c);
		s->state = PS_LINE;
	} else if (s->state == PS_DATA && s->data_req) {
		s->data_req = false;
		proto_conn_complete(c, s->data_seq);
	}
	s->llen = 0;
}
