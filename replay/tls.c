/* TLS on the replayer's connections, with OpenSSL directly on the engine's non-blocking sockets.
 *
 * One SSL_CTX per run, shared by every worker thread (OpenSSL contexts are thread-safe once
 * built); one SSL per connection, only ever touched by its worker's thread. Resumption: each
 * connection owns a session slot; the context's new-session callback stores every ticket the
 * server sends into the slot of the connection it arrived on (TLS 1.3 tickets come after the
 * handshake, so SSL_get1_session() right after it would miss them), and a reconnect offers the
 * slot's session. OpenSSL's internal cache is off: slots are the cache.
 *
 * I/O: SSL_MODE_ENABLE_PARTIAL_WRITE and ACCEPT_MOVING_WRITE_BUFFER make SSL_write behave like
 * send(2) on an output buffer that may grow between calls. A TLS write that needs to read
 * (renegotiation; TLS 1.3 has none, memcached never asks) reports EAGAIN like a full socket, and
 * the engine retries on the next writable event. Reads loop until the socket is drained or the
 * buffer is full, so no decrypted bytes wait inside OpenSSL while the socket is idle.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "membench/error.h"
#include "tls.h"

static int slot_idx = -1;
static uint64_t n_handshakes, n_resumed;
static __thread char last_reason[300]; /* of this thread's last failed TLS read or write */

const char *rp_tls_reason(void)
{
	return last_reason;
}

/* The connection's slot takes the server's new ticket (we keep the reference: return 1). */
static int tls_on_new_session(SSL *ssl, SSL_SESSION *sess)
{
	SSL_SESSION **slot = SSL_get_ex_data(ssl, slot_idx);
	if (!slot)
		return 0;
	if (*slot)
		SSL_SESSION_free(*slot);
	*slot = sess;
	return 1;
}

/* OpenSSL's first queued error, or `fallback`, into err after `what`. */
static void tls_reason(char *err, size_t errlen, const char *what, const char *fallback)
{
	unsigned long e = ERR_get_error();
	char r[256];
	if (e)
		ERR_error_string_n(e, r, sizeof(r));
	snprintf(err, errlen, "%s: %s", what, e ? r : fallback);
	ERR_clear_error();
}

SSL_CTX *rp_tls_ctx_new(const struct rp_tls_opts *o, char *err, size_t errlen)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	char what[600];
	if (!ctx) {
		tls_reason(err, errlen, "TLS", "cannot create a context");
		return NULL;
	}
	if (slot_idx < 0)
		slot_idx = SSL_get_ex_new_index(0, NULL, NULL, NULL, NULL);
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
	SSL_CTX_sess_set_new_cb(ctx, tls_on_new_session);
	SSL_CTX_set_verify(ctx, o->skip_verify ? SSL_VERIFY_NONE : SSL_VERIFY_PEER, NULL);
	if (o->cacert) {
		snprintf(what, sizeof(what), "--cacert %s", o->cacert);
		if (SSL_CTX_load_verify_locations(ctx, o->cacert, NULL) != 1)
			goto fail;
	} else if (SSL_CTX_set_default_verify_paths(ctx) != 1) {
		snprintf(what, sizeof(what), "TLS: the system's trust store");
		goto fail;
	}
	if (o->cert) {
		snprintf(what, sizeof(what), "--cert %s", o->cert);
		if (SSL_CTX_use_certificate_chain_file(ctx, o->cert) != 1)
			goto fail;
		snprintf(what, sizeof(what), "--key %s", o->key);
		if (SSL_CTX_use_PrivateKey_file(ctx, o->key, SSL_FILETYPE_PEM) != 1)
			goto fail;
		snprintf(what, sizeof(what), "--key %s does not match --cert %s", o->key, o->cert);
		if (SSL_CTX_check_private_key(ctx) != 1)
			goto fail;
	}
	return ctx;
fail:
	tls_reason(err, errlen, what, "failed");
	SSL_CTX_free(ctx);
	return NULL;
}

SSL *rp_tls_new(SSL_CTX *ctx, const struct rp_tls_opts *o, int fd, const char *host,
		SSL_SESSION **slot, char *err, size_t errlen)
{
	SSL *ssl = SSL_new(ctx);
	const char *name = o->sni ? o->sni : host;
	unsigned char ip[16];
	bool is_ip = inet_pton(AF_INET, name, ip) == 1 || inet_pton(AF_INET6, name, ip) == 1;
	if (!ssl || SSL_set_fd(ssl, fd) != 1 || SSL_set_ex_data(ssl, slot_idx, slot) != 1)
		goto fail;
	if (!is_ip && SSL_set_tlsext_host_name(ssl, name) != 1)
		goto fail;
	if (!o->skip_verify) {
		X509_VERIFY_PARAM *vp = SSL_get0_param(ssl);
		int ok = is_ip ? X509_VERIFY_PARAM_set1_ip_asc(vp, name)
			       : X509_VERIFY_PARAM_set1_host(vp, name, 0);
		if (ok != 1)
			goto fail;
	}
	if (slot && *slot)
		SSL_set_session(ssl, *slot);
	SSL_set_connect_state(ssl);
	return ssl;
fail:
	tls_reason(err, errlen, "TLS", "cannot set up the connection");
	SSL_free(ssl);
	return NULL;
}

int rp_tls_handshake(SSL *ssl, char *err, size_t errlen)
{
	ERR_clear_error();
	int rc = SSL_do_handshake(ssl);
	if (rc == 1) {
		__atomic_add_fetch(&n_handshakes, 1, __ATOMIC_RELAXED);
		if (SSL_session_reused(ssl))
			__atomic_add_fetch(&n_resumed, 1, __ATOMIC_RELAXED);
		return 0;
	}
	int e = SSL_get_error(ssl, rc);
	if (e == SSL_ERROR_WANT_READ)
		return 1;
	if (e == SSL_ERROR_WANT_WRITE)
		return 2;
	long vr = SSL_get_verify_result(ssl);
	if (vr != X509_V_OK) {
		snprintf(err, errlen, "TLS handshake failed: certificate verify failed (%s); "
			 "--cacert FILE names a CA to trust, --tls-skip-verify skips the check",
			 X509_verify_cert_error_string(vr));
		ERR_clear_error();
	} else if (e == SSL_ERROR_SYSCALL && !ERR_peek_error()) {
		snprintf(err, errlen, "TLS handshake failed: %s",
			 rc == 0 || errno == 0 ? "the server closed the connection (is it a TLS port?)"
					       : strerror(errno));
	} else {
		tls_reason(err, errlen, "TLS handshake failed", "protocol error");
	}
	return MB_E_CONNECT;
}

void rp_tls_free(SSL *ssl)
{
	if (!ssl)
		return;
	SSL_set_ex_data(ssl, slot_idx, NULL);
	/* No close_notify (the socket is closed at once), but marked as shut down: OpenSSL makes
	 * the session of a connection freed otherwise non-resumable, and the slot holds it. */
	SSL_set_shutdown(ssl, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
	SSL_free(ssl);
}

void rp_tls_counts(struct rp_tls_counts *out)
{
	out->handshakes = __atomic_load_n(&n_handshakes, __ATOMIC_RELAXED);
	out->resumed = __atomic_load_n(&n_resumed, __ATOMIC_RELAXED);
}

/* errno for an SSL_read/SSL_write that did not move bytes. */
static ssize_t tls_io_error(SSL *ssl, int rc)
{
	last_reason[0] = '\0';
	switch (SSL_get_error(ssl, rc)) {
	case SSL_ERROR_WANT_READ:
	case SSL_ERROR_WANT_WRITE:
		errno = EAGAIN;
		return -1;
	case SSL_ERROR_ZERO_RETURN:
		return 0;
	case SSL_ERROR_SYSCALL:
		ERR_clear_error();
		if (errno == 0 || rc == 0)
			return 0; /* EOF without close_notify: the server went away */
		return -1;
	default:
		tls_reason(last_reason, sizeof(last_reason), "TLS", "protocol error");
		errno = EPROTO;
		return -1;
	}
}

ssize_t rp_io_send(int fd, SSL *ssl, const void *buf, size_t len)
{
	if (!ssl)
		return send(fd, buf, len, MSG_NOSIGNAL);
	if (len > INT32_MAX)
		len = INT32_MAX;
	errno = 0;
	int k = SSL_write(ssl, buf, (int)len);
	if (k > 0)
		return k;
	ssize_t r = tls_io_error(ssl, k);
	if (r == 0) { /* the peer is gone: as send(2) would say */
		errno = EPIPE;
		return -1;
	}
	return r;
}

ssize_t rp_io_recv(int fd, SSL *ssl, void *buf, size_t len)
{
	if (!ssl)
		return recv(fd, buf, len, 0);
	size_t got = 0;
	while (got < len) {
		size_t want = len - got > INT32_MAX ? INT32_MAX : len - got;
		errno = 0;
		int k = SSL_read(ssl, (char *)buf + got, (int)want);
		if (k > 0) {
			got += (size_t)k;
			continue;
		}
		if (got)
			return (ssize_t)got; /* EOF or error again on the next call */
		return tls_io_error(ssl, k);
	}
	return (ssize_t)got;
}
