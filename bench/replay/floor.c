/* bench-replay-floor: the "ideal pipelined client", the floor membench's pipelining is measured
 * against (bench/replay/engine.sh, section 1). Not a product: a bench tool.
 *
 * usage: bench-replay-floor HOST PORT CONNS DEPTH SECS [GET_PERCENT] [KEYS] [VALUE_LEN]
 *
 * With SECS 0 it only stores the KEYS keys (default 10000; 16-byte keys, VALUE_LEN-byte values,
 * default 100), so that gets hit; run it so once first. Otherwise, for SECS seconds it keeps DEPTH requests in flight on each of CONNS connections, closed loop, in
 * the way that costs the server least: a connection writes a batch of DEPTH requests (GET_PERCENT
 * gets, default 90, the rest sets; uniform keys) in ONE write, and writes the next batch only
 * when every reply of the last one is in (mc-crusher's shape: the server reads a whole batch
 * at a time). Replies are parsed just enough to count them: a line, plus a VALUE line's data
 * block skipped by its length. One thread, epoll, blocking only in epoll_wait; no clocks per
 * request, no histograms. Whatever membench at the same depth costs memcached beyond this is the
 * replayer's doing, not memcached's.
 *
 * Prints one line: "requests N seconds S rate R writes W reads D" (W and D: the client's own
 * send() and read() calls, per request they are 1/DEPTH and about as many as wakeups).
 * Exit 0, 1 on a connection or protocol error (message on stderr), 2 on bad arguments.
 */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define FL_KEY_LEN 16
#define FL_MAX_CONNS 1024

struct fl_conn {
	int fd;
	unsigned pending;     /* replies still due for the last batch */
	char *in;             /* unparsed reply bytes */
	size_t inlen, incap;
	size_t skip;          /* bytes of a VALUE data block (+ CRLF) still to skip */
};

static uint64_t fl_rng = 0x9e3779b97f4a7c15ull;
static char *fl_val;
static unsigned fl_vlen, fl_getpct;
static unsigned long fl_keys;
static uint64_t fl_writes, fl_reads;

static uint64_t rng_next(void)
{
	fl_rng ^= fl_rng << 13;
	fl_rng ^= fl_rng >> 7;
	fl_rng ^= fl_rng << 17;
	return fl_rng;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
	fprintf(stderr, "bench-replay-floor: %s: %s\n", what, errno ? strerror(errno) : "error");
	exit(1);
}

static int conn_open(const char *host, const char *port)
{
	struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *ai;
	if (getaddrinfo(host, port, &hints, &ai) != 0) {
		errno = 0;
		die(host);
	}
	int fd = socket(ai->ai_family, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, ai->ai_addr, ai->ai_addrlen) != 0)
		die("connect");
	freeaddrinfo(ai);
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

/* Appends one request (a get, or a set of key k) to b at *n. */
static void put_req(char *b, size_t *n, bool get, unsigned long k)
{
	if (get) {
		*n += (size_t)sprintf(b + *n, "get fl:%013lu\r\n", k);
		return;
	}
	*n += (size_t)sprintf(b + *n, "set fl:%013lu 0 0 %u\r\n", k, fl_vlen);
	memcpy(b + *n, fl_val, fl_vlen);
	*n += fl_vlen;
	memcpy(b + *n, "\r\n", 2);
	*n += 2;
}

static void write_all(int fd, const char *b, size_t n)
{
	fl_writes++;
	while (n) {
		ssize_t k = send(fd, b, n, MSG_NOSIGNAL); /* sendto(2), as membench: perf counts it */
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			die("write");
		b += k;
		n -= (size_t)k;
	}
}

/* Counts the complete replies in c's input: a line that is not a VALUE line ends a request
 * (END, STORED, ...); a VALUE line's data block is skipped by its length. @return replies. */
static unsigned parse(struct fl_conn *c)
{
	unsigned done = 0;
	size_t i = 0;
	for (;;) {
		if (c->skip) {
			size_t take = c->inlen - i < c->skip ? c->inlen - i : c->skip;
			i += take;
			c->skip -= take;
			if (c->skip)
				break;
		}
		char *nl = memchr(c->in + i, '\n', c->inlen - i);
		if (!nl)
			break;
		if (strncmp(c->in + i, "VALUE ", 6) == 0) {
			char *sp = nl;
			while (sp > c->in + i && sp[-1] != ' ')
				sp--; /* "VALUE key flags bytes\r\n": bytes is the last field */
			c->skip = strtoul(sp, NULL, 10) + 2;
		} else if (strncmp(c->in + i, "ERROR", 5) == 0 || strncmp(c->in + i, "CLIENT_", 7) == 0 ||
			   strncmp(c->in + i, "SERVER_", 7) == 0) {
			errno = 0;
			die("the server answered an error");
		} else {
			done++;
		}
		i = (size_t)(nl - c->in) + 1;
	}
	memmove(c->in, c->in + i, c->inlen - i);
	c->inlen -= i;
	return done;
}

/* Reads what c's socket holds. @return replies completed. */
static unsigned conn_read(struct fl_conn *c)
{
	if (c->incap - c->inlen < 65536) {
		c->incap = c->inlen + 65536;
		c->in = realloc(c->in, c->incap);
		if (!c->in)
			die("realloc");
	}
	fl_reads++;
	ssize_t k = read(c->fd, c->in + c->inlen, c->incap - c->inlen);
	if (k <= 0) {
		if (k < 0 && (errno == EINTR || errno == EAGAIN))
			return 0;
		if (k == 0)
			errno = ECONNRESET;
		die("read");
	}
	c->inlen += (size_t)k;
	return parse(c);
}

/* One batch of depth requests in one write. */
static void send_batch(struct fl_conn *c, unsigned depth, char *b)
{
	size_t n = 0;
	for (unsigned i = 0; i < depth; i++)
		put_req(b, &n, rng_next() % 100 < fl_getpct, (unsigned long)(rng_next() % fl_keys));
	write_all(c->fd, b, n);
	c->pending = depth;
}

int main(int argc, char **argv)
{
	if (argc < 6) {
		fprintf(stderr, "usage: %s HOST PORT CONNS DEPTH SECS [GET_PERCENT] [KEYS] [VALUE_LEN]\n",
			argv[0]);
		return 2;
	}
	unsigned nconns = (unsigned)strtoul(argv[3], NULL, 10);
	unsigned depth = (unsigned)strtoul(argv[4], NULL, 10);
	double secs = strtod(argv[5], NULL);
	fl_getpct = argc > 6 ? (unsigned)strtoul(argv[6], NULL, 10) : 90;
	fl_keys = argc > 7 ? strtoul(argv[7], NULL, 10) : 10000;
	fl_vlen = argc > 8 ? (unsigned)strtoul(argv[8], NULL, 10) : 100;
	if (!nconns || nconns > FL_MAX_CONNS || !depth || depth > 4096 || secs < 0 ||
	    fl_getpct > 100 || !fl_keys || fl_vlen > 1000000) {
		fprintf(stderr, "%s: bad arguments\n", argv[0]);
		return 2;
	}
	fl_val = malloc(fl_vlen + 1);
	char *b = malloc((size_t)depth * (fl_vlen + 64));
	struct fl_conn *cs = calloc(nconns, sizeof(*cs));
	if (!fl_val || !b || !cs)
		die("malloc");
	memset(fl_val, 'x', fl_vlen);

	for (unsigned i = 0; i < nconns; i++)
		cs[i].fd = conn_open(argv[1], argv[2]);
	/* SECS 0: store every key (so gets hit), depth at a time on the first connection */
	for (unsigned long k = 0; secs == 0 && k < fl_keys;) {
		size_t n = 0;
		unsigned m = 0;
		for (; m < depth && k < fl_keys; m++, k++)
			put_req(b, &n, false, k);
		write_all(cs[0].fd, b, n);
		while (m)
			m -= conn_read(&cs[0]);
	}

	if (secs == 0)
		return 0;
	int ep = epoll_create1(0);
	if (ep < 0)
		die("epoll_create1");
	for (unsigned i = 0; i < nconns; i++) {
		struct epoll_event ev = {.events = EPOLLIN, .data.u32 = i};
		if (epoll_ctl(ep, EPOLL_CTL_ADD, cs[i].fd, &ev) != 0)
			die("epoll_ctl");
	}
	fl_writes = fl_reads = 0;
	uint64_t done = 0;
	double t0 = now_s(), end = t0 + secs, t = t0;
	for (unsigned i = 0; i < nconns; i++)
		send_batch(&cs[i], depth, b);
	struct epoll_event evs[FL_MAX_CONNS];
	bool running = true;
	unsigned open = nconns;
	while (open) {
		int n = epoll_wait(ep, evs, FL_MAX_CONNS, 1000);
		if (n < 0 && errno != EINTR)
			die("epoll_wait");
		if (running && (t = now_s()) >= end)
			running = false; /* no new batches: the last ones finish */
		for (int e = 0; e < n; e++) {
			struct fl_conn *c = &cs[evs[e].data.u32];
			if (!c->pending)
				continue;
			unsigned r = conn_read(c);
			if (r > c->pending) {
				errno = 0;
				die("more replies than requests");
			}
			c->pending -= r;
			done += r;
			if (c->pending)
				continue;
			if (running)
				send_batch(c, depth, b);
			else
				open--;
		}
	}
	double el = t - t0;
	printf("requests %llu seconds %.3f rate %.0f writes %llu reads %llu\n",
	       (unsigned long long)done, el, (double)done / el, (unsigned long long)fl_writes,
	       (unsigned long long)fl_reads);
	return 0;
}
