/* Authentication of the replayer's connections (auth.c): --authenticate USER:PASSWORD or @FILE,
 * and the first exchange on every connection (before any recorded request, again after each
 * reconnect): SASL PLAIN in the binary protocol (memcached -S), or the auth-file `set` in the
 * text protocol (memcached -Y), which meta connections share. No libsasl: PLAIN is one message. */
#ifndef MB_REPLAY_AUTH_H
#define MB_REPLAY_AUTH_H

#include <stdbool.h>
#include <stddef.h>

#define RP_AUTH_MAX 255            /* user and password, each (SASL PLAIN fields) */
#define RP_AUTH_REQ_MAX (2 * RP_AUTH_MAX + 96)

struct rp_auth {
	bool on;
	char user[RP_AUTH_MAX + 1];
	char pass[RP_AUTH_MAX + 1];
};

/* Parses "USER:PASSWORD" (split at the first ':'), or "@FILE" whose first line holds
 * USER:PASSWORD (so the password need not be on the command line). @return 0, or MB_E_USAGE
 * with the reason (flag and file named, never the password) in err. */
int rp_auth_parse(struct rp_auth *a, const char *arg, char *err, size_t errlen);
/* The authenticating request for a binary (SASL PLAIN) or text/meta (auth-file set)
 * connection, into buf (RP_AUTH_REQ_MAX bytes). @return its length. */
size_t rp_auth_request(const struct rp_auth *a, bool binary, char *buf);
/* Looks at the len bytes received so far. @return 0 when the reply is incomplete, 1 accepted,
 * or MB_E_CONNECT (rejected, or not an answer to it) with one line in err. */
int rp_auth_reply(const struct rp_auth *a, bool binary, const char *buf, size_t len, char *err,
		  size_t errlen);

#endif
