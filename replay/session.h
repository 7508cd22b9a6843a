/* Connection set-up shared by every connection the replayer opens (session.c): a non-blocking
 * connect, the TLS handshake (--tls) and the authentication exchange (--authenticate), as one
 * resumable state machine. The engine steps it from its event loop on reconnects; start-up runs
 * many at once with rp_setup_wait() (poll, --connect-timeout, Ctrl-C). The replay's own
 * connection for server stats and --warm (struct rp_ctl) is built on it too: libmemcached cannot
 * do TLS, so it is used for key placement only. */
#ifndef MB_REPLAY_SESSION_H
#define MB_REPLAY_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libmemcached/memcached.h>

#include "auth.h"
#include "target.h"
#include "tls.h"

/* What set-up needs, the same for every connection of a run. */
struct rp_secure {
	const struct rp_tls_opts *tls;
	SSL_CTX *ctx;              /* NULL without --tls */
	const struct rp_auth *auth;
	uint64_t connect_timeout_ns;
};

#define RP_WANT_READ 1
#define RP_WANT_WRITE 2

struct rp_setup {
	const struct rp_server *srv;
	const struct rp_secure *sec;
	bool binary;               /* the connection speaks the binary protocol (SASL) */
	int stage;
	int fd;
	SSL *ssl;
	SSL_SESSION **slot;        /* the connection's TLS session, for resumption */
	size_t len, off;
	char buf[RP_AUTH_REQ_MAX];
	bool probe;                /* end with a round trip (version / NOOP): a server that refuses
				    * our client certificate says so only after the handshake */
	bool authed;
	bool tcp_up;               /* the TCP connection was made (a later failure is TLS/auth) */
	bool rejected;             /* the server refused the credentials */
	uint64_t deadline;         /* the caller's (the engine's reconnect timeout) */
};

/* Begins: socket, non-blocking connect. @return as rp_setup_step. */
int rp_setup_start(struct rp_setup *s, const struct rp_server *srv, const struct rp_secure *sec,
		   bool binary, SSL_SESSION **slot, char *err, size_t errlen);
/* Moves the set-up on as far as the socket allows. @return 0 when done (s->fd and s->ssl are
 * then the caller's), RP_WANT_READ or RP_WANT_WRITE (wait for that, then step again), or
 * MB_E_CONNECT with a message naming the server in err (the socket is closed). */
int rp_setup_step(struct rp_setup *s, char *err, size_t errlen);
/* Gives up a set-up in progress (closes its socket). */
void rp_setup_abort(struct rp_setup *s);
/* Runs n started set-ups to the end with poll(2), all within sec->connect_timeout_ns, and stops
 * early when SIGINT or SIGTERM is pending (they stay pending). @return 0, MB_E_CONNECT (the first
 * failure; the others are aborted; message in err), or -EINTR. */
int rp_setup_wait(struct rp_setup *s, size_t n, char *err, size_t errlen);
/* True when SIGINT or SIGTERM is pending for this thread or the process. */
bool rp_stop_pending(void);

/* The replay's own connection to one server, for stats and --warm (blocking calls with the
 * connect timeout as their deadline, interrupted by a pending SIGINT/SIGTERM). */
struct rp_ctl {
	const struct rp_server *srv;
	const struct rp_secure *sec;
	bool binary;
	int fd;
	SSL *ssl;
	SSL_SESSION *sess;
};

/* Server identity from `stats`: a restart shows as another pid or a smaller uptime. */
struct rp_srv_id {
	uint64_t pid, uptime;
};

/* Opens (or re-opens) the connection. @return 0, MB_E_CONNECT (err), -EINTR. */
int rp_ctl_open(struct rp_ctl *c, const struct rp_server *srv, const struct rp_secure *sec,
		bool binary, char *err, size_t errlen);
void rp_ctl_close(struct rp_ctl *c);
/* Reads rp_stat_names into vals (missing ones 0) and the server's pid and uptime; re-opens the
 * connection once if it broke (a restarted server). @return 0, MB_E_CONNECT (err), -EINTR. */
int rp_ctl_stats(struct rp_ctl *c, uint64_t vals[RP_NSTAT], struct rp_srv_id *id, char *err,
		 size_t errlen);
/* Stores n keys (keys[i], klen[i]) with the first vlen[i] bytes of values[i] (flags 0, no
 * expiry), pipelined in one write. @return the number stored, or MB_E_CONNECT/-EINTR/-ENOMEM
 * (err). */
long rp_ctl_store(struct rp_ctl *c, const char *const *keys, const uint32_t *klen,
		  const char *const *values, const uint32_t *vlen, size_t n, char *err,
		  size_t errlen);

#endif
