/* Connection set-up (connect -> TLS handshake -> authentication) as a state machine, the
 * start-up loop that runs many at once, and the replay's own stats/warm connection.
 *
 * Stages: CONNECT (non-blocking connect; writable = done, SO_ERROR says how) -> TLS (only with
 * --tls; SSL_do_handshake until done) -> AUTH_SEND / AUTH_RECV (only with --authenticate; the
 * request of auth.c, then its reply, read byte-exact: nothing else is in flight yet) -> DONE.
 * Every failure message starts "cannot connect to HOST:PORT" or names HOST:PORT, and a rejected
 * credential sets `rejected` so the caller can tell it from a network failure.
 *
 * Start-up (rp_setup_wait) polls all pending set-ups with one deadline, --connect-timeout, in
 * slices of at most 100 ms, and looks for a pending SIGINT/SIGTERM between slices: the main
 * thread keeps them blocked (main.c takes them with sigtimedwait later), so sigpending() sees
 * them without consuming them. A listener whose backlog is full (the SYN is dropped, a blocking
 * connect would retry for ~130 s) therefore fails after the timeout, or stops at Ctrl-C.
 *
 * The stats/warm connection (struct rp_ctl) speaks text, or binary when the profile is binary
 * only (a memcached -S server takes nothing else):
 *   text:   stats\r\n -> STAT <name> <value>\r\n ... END\r\n
 *           set <key> 0 0 <n>\r\n<data>\r\n -> STORED\r\n (or an error line)
 *   binary: header {0x80, 0x10 STAT} -> one packet per stat (key = name, value = value), then
 *           one with an empty key; SET (0x01, extras flags 0 + expiry 0) -> a header with status.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "membench/buf.h"
#include "membench/cli.h"
#include "membench/clock.h"
#include "membench/error.h"
#include "replay.h"
#include "session.h"

enum { ST_CONNECT, ST_TLS, ST_SEND, ST_RECV, ST_DONE };

static const char *const stage_what[] = {
	[ST_CONNECT] = "no connection", [ST_TLS] = "TLS handshake not finished",
	[ST_SEND] = "request not sent", [ST_RECV] = "no reply", [ST_DONE] = "done",
};

/* A big-endian field of n bytes (binary protocol headers). */
static size_t be(const char *p, unsigned n)
{
	size_t v = 0;
	for (unsigned i = 0; i < n; i++)
		v = v << 8 | (unsigned char)p[i];
	return v;
}

/* The next exchange after the handshake: authentication (unless done or not asked for), then
 * the probe (if asked for), then done. Loads its request into buf. */
static int setup_next(struct rp_setup *s)
{
	static const char noop[24] = {(char)0x80, 0x0a}; /* binary NOOP */
	s->off = 0;
	if (!s->authed && s->sec->auth && s->sec->auth->on) {
		s->len = rp_auth_request(s->sec->auth, s->binary, s->buf);
		return ST_SEND;
	}
	s->authed = true;
	if (!s->probe)
		return ST_DONE;
	s->len = s->binary ? sizeof(noop) : 9;
	memcpy(s->buf, s->binary ? noop : "version\r\n", s->len);
	return ST_SEND;
}

/* Why an exchange failed: OpenSSL's reason (an alert: the server refused our certificate), EOF
 * or errno. */
static const char *io_reason(const struct rp_setup *s, ssize_t k, const char *when)
{
	static __thread char r[400];
	const char *tls = s->ssl ? rp_tls_reason() : NULL;
	bool probing = s->ssl && s->authed && s->probe;
	snprintf(r, sizeof(r), "%s %s%s", tls && *tls ? tls : k == 0 ? "closed by the server"
		 : strerror(errno), when, probing && !(tls && *tls) ? " right after the TLS "
		 "handshake (does the server require a client certificate: --cert/--key?)" : "");
	return r;
}

bool rp_stop_pending(void)
{
	sigset_t p;
	return sigpending(&p) == 0 && (sigismember(&p, SIGINT) == 1 || sigismember(&p, SIGTERM) == 1);
}

void rp_setup_abort(struct rp_setup *s)
{
	rp_tls_free(s->ssl);
	s->ssl = NULL;
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
}

static int setup_fail(struct rp_setup *s, char *err, size_t errlen, const char *why)
{
	char msg[512];
	snprintf(msg, sizeof(msg), "%s", why);
	snprintf(err, errlen, "%s %s: %s", s->rejected ? "server" : "cannot connect to",
		 s->srv->spec, msg);
	rp_setup_abort(s);
	return MB_E_CONNECT;
}

int rp_setup_start(struct rp_setup *s, const struct rp_server *srv, const struct rp_secure *sec,
		   bool binary, SSL_SESSION **slot, char *err, size_t errlen)
{
	*s = (struct rp_setup){.srv = srv, .sec = sec, .binary = binary, .fd = -1, .slot = slot};
	int fd = rp_server_connect(srv, false);
	if (fd < 0)
		return setup_fail(s, err, errlen, strerror(-fd));
	s->fd = fd;
	return RP_WANT_WRITE;
}

int rp_setup_step(struct rp_setup *s, char *err, size_t errlen)
{
	char why[400];
	int rc;
	switch (s->stage) {
	case ST_CONNECT: {
		int e = 0;
		socklen_t len = sizeof(e);
		if (getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &e, &len) != 0)
			e = errno;
		if (e == 0) { /* writable with no error, or not yet: ask the socket */
			struct pollfd pfd = {.fd = s->fd, .events = POLLOUT};
			if (poll(&pfd, 1, 0) == 0)
				return RP_WANT_WRITE;
		}
		if (e)
			return setup_fail(s, err, errlen, strerror(e));
		s->stage = ST_TLS;
		s->tcp_up = true;
		if (s->sec->ctx) {
			s->ssl = rp_tls_new(s->sec->ctx, s->sec->tls, s->fd, s->srv->host, s->slot,
					    why, sizeof(why));
			if (!s->ssl)
				return setup_fail(s, err, errlen, why);
		}
	}
		/* fall through */
	case ST_TLS:
		if (s->ssl) {
			rc = rp_tls_handshake(s->ssl, why, sizeof(why));
			if (rc > 0)
				return rc;
			if (rc < 0)
				return setup_fail(s, err, errlen, why);
		}
		s->stage = setup_next(s);
		/* fall through */
	case ST_SEND:
		while (s->stage == ST_SEND) {
			while (s->off < s->len) {
				ssize_t k = rp_io_send(s->fd, s->ssl, s->buf + s->off, s->len - s->off);
				if (k < 0 && errno == EAGAIN)
					return RP_WANT_WRITE;
				if (k <= 0)
					return setup_fail(s, err, errlen, io_reason(s, k, "sending"));
				s->off += (size_t)k;
			}
			s->stage = ST_RECV;
			s->len = 0;
			/* fall through */
		case ST_RECV:
			while (s->stage == ST_RECV) {
				/* byte by byte at worst: the reply is short, and nothing may be read
				 * past it */
				size_t want = s->binary ? (s->len < 24 ? 24 - s->len : 0) : 1;
				if (s->binary && s->len >= 24)
					want = 24 + be(s->buf + 8, 4) - s->len;
				if (s->len + want > sizeof(s->buf))
					return setup_fail(s, err, errlen, "reply too long");
				ssize_t k = rp_io_recv(s->fd, s->ssl, s->buf + s->len, want);
				if (k < 0 && errno == EAGAIN)
					return RP_WANT_READ;
				if (k <= 0)
					return setup_fail(s, err, errlen, io_reason(s, k, "waiting for a reply"));
				s->len += (size_t)k;
				if (s->authed) { /* the probe: any complete reply will do */
					if (s->binary ? s->len >= 24 && s->len == 24 + be(s->buf + 8, 4)
						      : s->buf[s->len - 1] == '\n') {
						s->probe = false;
						s->stage = setup_next(s);
					}
					continue;
				}
				rc = rp_auth_reply(s->sec->auth, s->binary, s->buf, s->len, why, sizeof(why));
				if (rc < 0) {
					s->rejected = true;
					return setup_fail(s, err, errlen, why);
				}
				if (rc == 1) {
					s->authed = true;
					s->stage = setup_next(s);
				}
			}
		}
		/* fall through */
	default:
		return 0;
	}
}

int rp_setup_wait(struct rp_setup *s, size_t n, char *err, size_t errlen)
{
	if (n == 0)
		return 0; /* a worker without lanes (more threads or ranks than lanes) */
	struct pollfd *pfd = calloc(n, sizeof(*pfd));
	int *want = calloc(n, sizeof(*want));
	uint64_t deadline = mb_mono_ns() + s[0].sec->connect_timeout_ns;
	int ret = 0;
	size_t left = 0;
	if (!pfd || !want) {
		snprintf(err, errlen, "out of memory");
		ret = -ENOMEM;
		goto cleanup;
	}
	for (size_t i = 0; i < n; i++) {
		want[i] = s[i].stage == ST_DONE ? 0 : RP_WANT_WRITE;
		left += want[i] != 0;
	}
	while (left) {
		if (rp_stop_pending()) {
			snprintf(err, errlen, "interrupted while connecting");
			ret = -EINTR;
			goto cleanup;
		}
		uint64_t now = mb_mono_ns();
		if (now >= deadline) {
			for (size_t i = 0; i < n; i++) {
				if (want[i]) {
					char why[200];
					snprintf(why, sizeof(why), "%s within %.3g s (--connect-timeout)",
						 stage_what[s[i].stage],
						 (double)s[i].sec->connect_timeout_ns / 1e9);
					ret = setup_fail(&s[i], err, errlen, why);
					goto cleanup;
				}
			}
		}
		size_t np = 0;
		for (size_t i = 0; i < n; i++) {
			if (!want[i])
				continue;
			pfd[np].fd = s[i].fd;
			pfd[np].events = want[i] == RP_WANT_READ ? POLLIN : POLLOUT;
			pfd[np].revents = 0;
			np++;
		}
		uint64_t slice = deadline - now > 100000000 ? 100000000 : deadline - now;
		int pr = poll(pfd, np, (int)(slice / 1000000) + 1);
		if (pr < 0 && errno != EINTR) {
			snprintf(err, errlen, "poll: %s", strerror(errno));
			ret = -errno;
			goto cleanup;
		}
		for (size_t i = 0, k = 0; pr > 0 && i < n; i++) {
			if (!want[i])
				continue;
			if (pfd[k++].revents) {
				int rc = rp_setup_step(&s[i], err, errlen);
				if (rc < 0) {
					ret = rc;
					goto cleanup;
				}
				want[i] = rc;
				left -= rc == 0;
			}
		}
	}
cleanup:
	for (size_t i = 0; ret && i < n; i++)
		rp_setup_abort(&s[i]); /* all of them: the caller gets none */
	free(pfd);
	free(want);
	return ret;
}

/* ---- the stats / warm connection -------------------------------------------------------- */

void rp_ctl_close(struct rp_ctl *c)
{
	rp_tls_free(c->ssl);
	c->ssl = NULL;
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
}

int rp_ctl_open(struct rp_ctl *c, const struct rp_server *srv, const struct rp_secure *sec,
		bool binary, char *err, size_t errlen)
{
	struct rp_setup s;
	if (c->srv != srv) {
		*c = (struct rp_ctl){.srv = srv, .sec = sec, .binary = binary, .fd = -1};
	}
	rp_ctl_close(c);
	int rc = rp_setup_start(&s, srv, sec, binary, &c->sess, err, errlen);
	if (rc > 0)
		rc = rp_setup_wait(&s, 1, err, errlen);
	if (rc == 0) {
		c->fd = s.fd;
		c->ssl = s.ssl;
	}
	return rc;
}

/* Waits until fd is ready (POLLIN/POLLOUT) before the deadline. @return 0, -ETIMEDOUT, -EINTR. */
static int ctl_wait(struct rp_ctl *c, short ev, uint64_t deadline)
{
	for (;;) {
		if (rp_stop_pending())
			return -EINTR;
		uint64_t now = mb_mono_ns();
		if (now >= deadline)
			return -ETIMEDOUT;
		struct pollfd pfd = {.fd = c->fd, .events = ev};
		int pr = poll(&pfd, 1, 100);
		if (pr > 0)
			return 0;
	}
}

static int ctl_send(struct rp_ctl *c, const char *b, size_t n, uint64_t deadline)
{
	while (n) {
		ssize_t k = rp_io_send(c->fd, c->ssl, b, n);
		if (k > 0) {
			b += k;
			n -= (size_t)k;
			continue;
		}
		if (k < 0 && errno == EAGAIN) {
			int rc = ctl_wait(c, POLLOUT, deadline);
			if (rc)
				return rc;
			continue;
		}
		return k < 0 ? -errno : -EPIPE;
	}
	return 0;
}

/* Appends what the server sends to in until done(in) says the reply is complete. */
static int ctl_recv(struct rp_ctl *c, struct mb_buf *in, bool (*done)(const struct mb_buf *, void *),
		    void *arg, uint64_t deadline)
{
	char b[16384];
	while (!done(in, arg)) {
		ssize_t k = rp_io_recv(c->fd, c->ssl, b, sizeof(b));
		if (k > 0) {
			if (mb_buf_append(in, b, (size_t)k) != 0)
				return -ENOMEM;
			continue;
		}
		if (k < 0 && errno == EAGAIN) {
			int rc = ctl_wait(c, POLLIN, deadline);
			if (rc)
				return rc;
			continue;
		}
		return k < 0 ? -errno : -ECONNRESET;
	}
	return 0;
}


/* Calls fn for each complete binary packet (header at p) in in; stops when fn returns true.
 * @return true when fn did. */
static bool bin_walk(const struct mb_buf *in, bool (*fn)(const char *p, void *), void *arg)
{
	size_t off = 0;
	while (in->len - off >= 24) {
		size_t total = 24 + be(in->data + off + 8, 4);
		if (in->len - off < total)
			return false;
		if (fn(in->data + off, arg))
			return true;
		off += total;
	}
	return false;
}

static bool bin_stats_end(const char *p, void *arg)
{
	(void)arg;
	return be(p + 2, 2) == 0; /* the packet with an empty key ends the list */
}

/* The reply starts like a stats listing (not an error line such as CLIENT_ERROR). */
static bool text_is_stats(const struct mb_buf *in)
{
	return (in->len >= 5 && memcmp(in->data, "STAT ", 5) == 0) ||
	       (in->len >= 3 && memcmp(in->data, "END", 3) == 0);
}

static bool stats_done(const struct mb_buf *in, void *arg)
{
	struct rp_ctl *c = arg;
	if (c->binary)
		return bin_walk(in, bin_stats_end, NULL);
	if (in->len >= 5 && memcmp(in->data + in->len - 5, "END\r\n", 5) == 0)
		return true;
	return in->len && memchr(in->data, '\n', in->len) && !text_is_stats(in); /* an error line */
}

struct store_count {
	bool binary;
	size_t want, seen, stored;
};

static bool bin_store_one(const char *p, void *arg)
{
	struct store_count *sc = arg;
	sc->stored += be(p + 6, 2) == 0;
	return ++sc->seen == sc->want;
}

/* Complete when every request has its reply (recounted from the start: replies are short). */
static bool store_done(const struct mb_buf *in, void *arg)
{
	struct store_count *sc = arg;
	sc->seen = sc->stored = 0;
	if (sc->binary)
		return sc->want == 0 || bin_walk(in, bin_store_one, sc);
	for (size_t off = 0; off < in->len && sc->seen < sc->want;) {
		const char *eol = memchr(in->data + off, '\n', in->len - off);
		if (!eol)
			break;
		size_t n = (size_t)(eol - (in->data + off)) + 1;
		sc->stored += n == 8 && memcmp(in->data + off, "STORED\r\n", 8) == 0;
		sc->seen++;
		off += n;
	}
	return sc->seen == sc->want;
}

/* One stat line/packet: name and value, into vals/id. */
static void stat_take(const char *name, size_t nlen, const char *val, size_t vlen,
		      uint64_t vals[RP_NSTAT], struct rp_srv_id *id)
{
	char v[32];
	snprintf(v, sizeof(v), "%.*s", (int)(vlen < 31 ? vlen : 31), val);
	uint64_t x = strtoull(v, NULL, 10);
	for (unsigned i = 0; i < RP_NSTAT; i++)
		if (strlen(rp_stat_names[i]) == nlen && memcmp(rp_stat_names[i], name, nlen) == 0)
			vals[i] = x;
	if (nlen == 3 && memcmp(name, "pid", 3) == 0)
		id->pid = x;
	if (nlen == 6 && memcmp(name, "uptime", 6) == 0)
		id->uptime = x;
}

struct stat_sink {
	uint64_t *vals;
	struct rp_srv_id *id;
};

static bool bin_stat_take(const char *p, void *arg)
{
	struct stat_sink *sk = arg;
	size_t klen = be(p + 2, 2), ext = (unsigned char)p[4], body = be(p + 8, 4);
	if (klen == 0)
		return true;
	if (ext + klen <= body)
		stat_take(p + 24 + ext, klen, p + 24 + ext + klen, body - ext - klen, sk->vals, sk->id);
	return false;
}

static void text_stats_take(const struct mb_buf *in, uint64_t vals[RP_NSTAT], struct rp_srv_id *id)
{
	for (size_t off = 0; off < in->len;) {
		const char *l = in->data + off, *eol = memchr(l, '\n', in->len - off);
		if (!eol)
			break;
		size_t n = (size_t)(eol - l);
		off += n + 1;
		if (n < 6 || memcmp(l, "STAT ", 5) != 0)
			continue;
		const char *name = l + 5, *sp = memchr(name, ' ', (size_t)(eol - name));
		if (sp)
			stat_take(name, (size_t)(sp - name), sp + 1, (size_t)(eol - sp - 1), vals, id);
	}
}

/* The error of a failed ctl exchange, into err. */
static int ctl_error(struct rp_ctl *c, int rc, const char *what, char *err, size_t errlen)
{
	rp_ctl_close(c);
	if (rc == -EINTR) {
		snprintf(err, errlen, "interrupted");
		return -EINTR;
	}
	snprintf(err, errlen, "%s from %s: %s", what, c->srv->spec,
		 rc == -ETIMEDOUT ? "no answer in time" : strerror(-rc));
	return rc == -ENOMEM ? -ENOMEM : MB_E_CONNECT;
}

int rp_ctl_stats(struct rp_ctl *c, uint64_t vals[RP_NSTAT], struct rp_srv_id *id, char *err,
		 size_t errlen)
{
	static const char bin_req[24] = {(char)0x80, 0x10};
	struct mb_buf in = {0};
	int rc = 0;
	memset(vals, 0, RP_NSTAT * sizeof(*vals));
	*id = (struct rp_srv_id){0};
	for (int attempt = 0; attempt < 2; attempt++) {
		if (c->fd < 0 && (rc = rp_ctl_open(c, c->srv, c->sec, c->binary, err, errlen)) != 0)
			return rc;
		uint64_t deadline = mb_mono_ns() + c->sec->connect_timeout_ns;
		mb_buf_reset(&in);
		rc = c->binary ? ctl_send(c, bin_req, sizeof(bin_req), deadline)
			       : ctl_send(c, "stats\r\n", 7, deadline);
		if (rc == 0)
			rc = ctl_recv(c, &in, stats_done, c, deadline);
		if (rc == 0 || rc == -EINTR || rc == -ENOMEM)
			break;
		rp_ctl_close(c); /* broken (the server restarted?): once more on a new connection */
	}
	if (rc == 0 && !c->binary && !text_is_stats(&in)) {
		const char *eol = memchr(in.data, '\r', in.len);
		snprintf(err, errlen, "stats from %s: %.*s (does it need --authenticate?)", c->srv->spec,
			 (int)(eol ? (size_t)(eol - in.data) : in.len > 200 ? 200 : in.len), in.data);
		mb_buf_free(&in);
		rp_ctl_close(c);
		return MB_E_CONNECT;
	}
	if (rc == 0) {
		struct stat_sink sk = {vals, id};
		if (c->binary)
			bin_walk(&in, bin_stat_take, &sk);
		else
			text_stats_take(&in, vals, id);
	}
	mb_buf_free(&in);
	return rc ? ctl_error(c, rc, "stats", err, errlen) : 0;
}

long rp_ctl_store(struct rp_ctl *c, const char *const *keys, const uint32_t *klen,
		  const char *const *values, const uint32_t *vlen, size_t n, char *err,
		  size_t errlen)
{
	struct mb_buf out = {0}, in = {0};
	struct store_count sc = {.binary = c->binary, .want = n};
	int rc = 0;
	if (c->fd < 0 && (rc = rp_ctl_open(c, c->srv, c->sec, c->binary, err, errlen)) != 0)
		return rc;
	for (size_t i = 0; i < n && rc == 0; i++) {
		if (!c->binary) {
			rc = mb_buf_printf(&out, "set %.*s 0 0 %u\r\n", (int)klen[i], keys[i], vlen[i]);
			if (rc == 0)
				rc = mb_buf_append(&out, values[i], vlen[i]);
			if (rc == 0)
				rc = mb_buf_append(&out, "\r\n", 2);
			continue;
		}
		char h[32] = {(char)0x80, 0x01};
		h[2] = (char)(klen[i] >> 8);
		h[3] = (char)klen[i];
		h[4] = 8; /* extras: flags, expiry */
		size_t body = 8 + klen[i] + vlen[i];
		for (int b = 0; b < 4; b++)
			h[8 + b] = (char)(body >> (24 - 8 * b));
		rc = mb_buf_append(&out, h, 32); /* header + 8 zero bytes of extras */
		if (rc == 0)
			rc = mb_buf_append(&out, keys[i], klen[i]);
		if (rc == 0)
			rc = mb_buf_append(&out, values[i], vlen[i]);
	}
	uint64_t deadline = mb_mono_ns() + c->sec->connect_timeout_ns;
	if (rc == 0)
		rc = ctl_send(c, out.data, out.len, deadline);
	if (rc == 0)
		rc = ctl_recv(c, &in, store_done, &sc, deadline);
	mb_buf_free(&out);
	mb_buf_free(&in);
	return rc ? ctl_error(c, rc, "--warm stores", err, errlen) : (long)sc.stored;
}
