/* Targets: parsing and resolving --server, opening sockets, and key placement through
 * libmemcached (server statistics and --warm go over the replay's own connections, session.c:
 * libmemcached cannot do TLS).
 *
 * Placement is libmemcached's own: the handle is built with the servers in command-line order
 * and the chosen distribution/hash, and memcached_generate_hash() names the server a key goes
 * to, exactly as a libmemcached client with those settings would place it.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "membench/cli.h"
#include "membench/error.h"
#include "replay.h"
#include "target.h"

const char *const rp_stat_names[RP_NSTAT] = {
	"cmd_get", "get_hits", "get_misses", "cmd_set",
	"evictions", "total_connections", "curr_connections", "curr_items",
};

int rp_server_parse(struct rp_server *s, const char *spec, char *err, size_t errlen)
{
	memset(s, 0, sizeof(*s));
	if (strlen(spec) >= sizeof(s->spec)) {
		snprintf(err, errlen, "--server %.40s...: too long", spec);
		return MB_E_USAGE;
	}
	strcpy(s->spec, spec);
	const char *path = NULL;
	if (strncmp(spec, "unix:", 5) == 0)
		path = spec + 5;
	else if (spec[0] == '/')
		path = spec;
	if (path) {
		struct sockaddr_un *un = (struct sockaddr_un *)&s->addr;
		if (!*path || strlen(path) >= sizeof(un->sun_path)) {
			snprintf(err, errlen, "--server %s: bad unix socket path", spec);
			return MB_E_USAGE;
		}
		s->is_unix = true;
		snprintf(s->host, sizeof(s->host), "%s", path);
		un->sun_family = AF_UNIX;
		strcpy(un->sun_path, path);
		s->addrlen = sizeof(*un);
		return 0;
	}
	/* host:port, [v6]:port */
	const char *colon;
	const char *hbeg = spec;
	size_t hlen;
	if (spec[0] == '[') {
		const char *rb = strchr(spec, ']');
		if (!rb || rb[1] != ':') {
			snprintf(err, errlen, "--server %s: expected [ADDRESS]:PORT", spec);
			return MB_E_USAGE;
		}
		hbeg = spec + 1;
		hlen = (size_t)(rb - hbeg);
		colon = rb + 1;
	} else {
		colon = strrchr(spec, ':');
		if (!colon || strchr(spec, ':') != colon) {
			snprintf(err, errlen, "--server %s: expected HOST:PORT, [IPv6]:PORT or a socket path",
				 spec);
			return MB_E_USAGE;
		}
		hlen = (size_t)(colon - spec);
	}
	uint64_t port;
	if (hlen == 0 || hlen >= sizeof(s->host) || mb_parse_u64(colon + 1, &port) != 0 || port == 0 ||
	    port > 65535) {
		snprintf(err, errlen, "--server %s: expected HOST:PORT with a port in 1..65535", spec);
		return MB_E_USAGE;
	}
	memcpy(s->host, hbeg, hlen);
	s->host[hlen] = '\0';
	s->port = (unsigned)port;
	struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
	struct addrinfo *ai = NULL;
	char portstr[8];
	snprintf(portstr, sizeof(portstr), "%u", s->port);
	int rc = getaddrinfo(s->host, portstr, &hints, &ai);
	if (rc != 0 || !ai) {
		snprintf(err, errlen, "cannot resolve %s (port %u): %s", s->host, s->port,
			 gai_strerror(rc));
		return MB_E_CONNECT;
	}
	memcpy(&s->addr, ai->ai_addr, ai->ai_addrlen);
	s->addrlen = ai->ai_addrlen;
	freeaddrinfo(ai);
	return 0;
}

int rp_server_connect(const struct rp_server *s, bool blocking_connect)
{
	int fd = socket(s->addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC |
				(blocking_connect ? 0 : SOCK_NONBLOCK), 0);
	if (fd < 0)
		return -errno;
	if (!s->is_unix) {
		int one = 1;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	}
	if (connect(fd, (const struct sockaddr *)&s->addr, s->addrlen) != 0 &&
	    (blocking_connect || errno != EINPROGRESS)) {
		int e = -errno;
		close(fd);
		return e;
	}
	if (blocking_connect) {
		int fl = fcntl(fd, F_GETFL);
		if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) {
			int e = -errno;
			close(fd);
			return e;
		}
	}
	return fd;
}

memcached_st *rp_memc_new(const struct rp_server *servers, unsigned nservers, int distribution,
			  int hash, char *err, size_t errlen)
{
	memcached_st *memc = memcached_create(NULL);
	if (!memc) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	memcached_return_t rc = MEMCACHED_SUCCESS;
	for (unsigned i = 0; i < nservers && rc == MEMCACHED_SUCCESS; i++) {
		const struct rp_server *s = &servers[i];
		rc = s->is_unix ? memcached_server_add_unix_socket(memc, s->host)
				: memcached_server_add(memc, s->host, (in_port_t)s->port);
	}
	if (rc == MEMCACHED_SUCCESS && distribution == MEMCACHED_DISTRIBUTION_CONSISTENT_KETAMA) {
		/* libketama-compatible continuum: weighted points, md5 for keys and points */
		rc = memcached_behavior_set(memc, MEMCACHED_BEHAVIOR_KETAMA_WEIGHTED, 1);
		if (rc == MEMCACHED_SUCCESS && hash != MEMCACHED_HASH_DEFAULT)
			rc = memcached_behavior_set(memc, MEMCACHED_BEHAVIOR_KETAMA_HASH,
						    (uint64_t)hash);
	} else if (rc == MEMCACHED_SUCCESS) {
		rc = memcached_behavior_set(memc, MEMCACHED_BEHAVIOR_DISTRIBUTION,
					    (uint64_t)distribution);
	}
	if (rc == MEMCACHED_SUCCESS && hash != MEMCACHED_HASH_DEFAULT)
		rc = memcached_behavior_set(memc, MEMCACHED_BEHAVIOR_HASH, (uint64_t)hash);
	if (rc == MEMCACHED_SUCCESS)
		rc = memcached_behavior_set(memc, MEMCACHED_BEHAVIOR_CONNECT_TIMEOUT, 2000);
	if (rc == MEMCACHED_SUCCESS)
		rc = memcached_behavior_set(memc, MEMCACHED_BEHAVIOR_POLL_TIMEOUT, 5000);
	if (rc != MEMCACHED_SUCCESS) {
		snprintf(err, errlen, "libmemcached: %s", memcached_strerror(memc, rc));
		memcached_free(memc);
		return NULL;
	}
	return memc;
}

unsigned rp_memc_server(memcached_st *memc, unsigned nservers, const char *key, size_t len)
{
	if (nservers <= 1)
		return 0;
	uint32_t idx = memcached_generate_hash(memc, key, len);
	return idx < nservers ? idx : idx % nservers;
}
