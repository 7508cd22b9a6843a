/* TLS for the replayer's connections (tls.c): the settings (--tls, --cacert, --cert/--key, --sni,
 * --tls-skip-verify), one OpenSSL client context per run, and send/recv that go through TLS when
 * a connection has it. OpenSSL is used directly on the engine's own non-blocking sockets (not
 * libevent's bufferevents), so the engine's event loop, buffers and flush logic are unchanged:
 * rp_io_send/rp_io_recv behave like send(2)/recv(2), errno included. */
#ifndef MB_REPLAY_TLS_H
#define MB_REPLAY_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <openssl/ssl.h>

struct rp_tls_opts {
	bool on;                   /* --tls (implied by every other TLS flag) */
	bool skip_verify;          /* --tls-skip-verify */
	const char *cacert;        /* --cacert FILE; NULL: the system's trust store */
	const char *cert, *key;    /* --cert FILE --key FILE: a client certificate */
	const char *sni;           /* --sni NAME; NULL: the --server host name (not for addresses) */
};

/* Counters of a run's handshakes (all threads; atomics, touched once per connection). */
struct rp_tls_counts {
	uint64_t handshakes, resumed;
};

/* Builds the client context: verification on unless skip_verify, CA file or system store,
 * client certificate and key (checked to match), TLS >= 1.2, a client session cache for
 * resumption. @return the context, or NULL with the reason (file named) in err. */
SSL_CTX *rp_tls_ctx_new(const struct rp_tls_opts *o, char *err, size_t errlen);
/* A TLS object for fd, to connect to host (SNI and certificate name check: o->sni or host;
 * an IP address is checked against the certificate's IP entries and sent no SNI). *slot keeps
 * the connection's last session: it is offered for resumption and replaced by the server's new
 * ticket. @return the object or NULL (err). */
SSL *rp_tls_new(SSL_CTX *ctx, const struct rp_tls_opts *o, int fd, const char *host,
		SSL_SESSION **slot, char *err, size_t errlen);
/* One step of the client handshake. @return 0 done, 1 wants to read, 2 wants to write, or
 * MB_E_CONNECT with OpenSSL's reason (and the certificate check's, if that failed) in err. */
int rp_tls_handshake(SSL *ssl, char *err, size_t errlen);
void rp_tls_free(SSL *ssl);
void rp_tls_counts(struct rp_tls_counts *out);

/* send(2)/recv(2) on fd, or through ssl when it is not NULL: bytes moved, 0 at EOF (recv), or
 * -1 with errno (EAGAIN when TLS must wait for the socket, EPIPE/ECONNRESET/EPROTO otherwise).
 * rp_io_recv reads until buf is full or the socket has no more, so a short count means drained. */
ssize_t rp_io_send(int fd, SSL *ssl, const void *buf, size_t len);
/* OpenSSL's reason for this thread's last rp_io_* failure with EPROTO ("" otherwise). */
const char *rp_tls_reason(void);
ssize_t rp_io_recv(int fd, SSL *ssl, void *buf, size_t len);

#endif
