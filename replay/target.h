/* Targets: memcached server addresses, sockets to them, libmemcached's key placement across
 * several servers, and the names of the server stats the report shows. Notes in target.c. */
#ifndef MB_REPLAY_TARGET_H
#define MB_REPLAY_TARGET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include <libmemcached/memcached.h>

struct rp_server {
	char spec[300];   /* as given: "host:port", "[v6]:port", "/path" or "unix:/path" */
	char host[256];   /* host name / address, or the socket path */
	unsigned port;    /* 0 for unix sockets */
	bool is_unix;
	struct sockaddr_storage addr;
	socklen_t addrlen;
};

/* Parses "host:port", "[v6addr]:port", "/path" or "unix:/path" and resolves it.
 * @return 0, MB_E_USAGE (malformed; message in err), MB_E_CONNECT (cannot resolve; message). */
int rp_server_parse(struct rp_server *s, const char *spec, char *err, size_t errlen);
/* Opens a connected, non-blocking, TCP_NODELAY socket to s (the connect itself blocks when
 * `blocking_connect`, else may be in progress). @return fd, or -errno. */
int rp_server_connect(const struct rp_server *s, bool blocking_connect);
/* A libmemcached handle with every server, in order, and the distribution and hash
 * (memcached_server_distribution_t, memcached_hash_t). @return the handle or NULL (message in
 * err). */
memcached_st *rp_memc_new(const struct rp_server *servers, unsigned nservers, int distribution,
			  int hash, char *err, size_t errlen);
/* Index of the server a key goes to (libmemcached's own placement). */
unsigned rp_memc_server(memcached_st *memc, unsigned nservers, const char *key, size_t len);

/* The server counters the report shows (read by session.c's rp_ctl_stats). */
#define RP_NSTAT 8
extern const char *const rp_stat_names[RP_NSTAT];
#endif
