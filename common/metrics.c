/* The --metrics HTTP server and the exposition writer (membench/metrics.h).
 *
 * The listening socket is made here (getaddrinfo, bind, listen) rather than by
 * evhttp_bind_socket, so a bind error keeps its errno ("Address already in use") for the one-line
 * message the binaries print before any work starts. evhttp then accepts on it. The event_base
 * is created here, handed to the server thread, and only touched by that thread until the thread
 * is joined; the stop request goes through a pipe, so libevent needs no locking.
 *
 * Answers: GET /metrics -> 200 with the exposition (Content-Type text/plain; version=0.0.4);
 * HEAD /metrics -> 200 without a body (and without rendering); any other path -> 404; other
 * methods -> 405. Connections idle for 10 s are
 * closed, so a stuck client cannot hold a socket for the whole run.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <netdb.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>

#include "membench/cli.h"
#include "membench/exitcode.h"
#include "membench/metrics.h"

/* ---- exposition writer --------------------------------------------------------------------- */

static void prom_printf(struct mb_prom *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void prom_printf(struct mb_prom *p, const char *fmt, ...)
{
	if (p->err)
		return;
	char small[512];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0) {
		p->err = -EINVAL;
		return;
	}
	if ((size_t)n < sizeof(small)) {
		p->err = mb_buf_append(&p->buf, small, (size_t)n);
		return;
	}
	if ((p->err = mb_buf_reserve(&p->buf, (size_t)n + 1)) != 0)
		return;
	va_start(ap, fmt);
	vsnprintf(p->buf.data + p->buf.len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	p->buf.len += (size_t)n;
}

void mb_prom_family(struct mb_prom *p, const char *name, const char *type, const char *help)
{
	prom_printf(p, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void prom_name(struct mb_prom *p, const char *name, const char *labels)
{
	if (labels && *labels)
		prom_printf(p, "%s{%s} ", name, labels);
	else
		prom_printf(p, "%s ", name);
}

void mb_prom_u64(struct mb_prom *p, const char *name, const char *labels, uint64_t v)
{
	prom_name(p, name, labels);
	prom_printf(p, "%llu\n", (unsigned long long)v);
}

void mb_prom_f64(struct mb_prom *p, const char *name, const char *labels, double v)
{
	prom_name(p, name, labels);
	if (isnan(v))
		prom_printf(p, "NaN\n");
	else if (isinf(v))
		prom_printf(p, "%s\n", v > 0 ? "+Inf" : "-Inf");
	else
		prom_printf(p, "%.12g\n", v);
}

uint64_t mb_prom_field(const void *base, size_t off)
{
	uint64_t v;
	memcpy(&v, (const char *)base + off, sizeof(v));
	return v;
}

void mb_prom_counters(struct mb_prom *p, const struct mb_prom_counter *t, size_t n,
		      const void *base)
{
	for (size_t i = 0; i < n; i++) {
		mb_prom_family(p, t[i].name, "counter", t[i].help);
		mb_prom_u64(p, t[i].name, NULL, mb_prom_field(base, t[i].off));
	}
}

int mb_prom_label(char *buf, size_t len, const char *name, const char *value)
{
	size_t at = strlen(buf), n = at;
	int w = snprintf(buf + n, len - n, "%s%s=\"", at ? "," : "", name);
	if (w < 0 || (size_t)w >= len - n)
		goto nospace;
	n += (size_t)w;
	for (const char *c = value; *c; c++) {
		const char *esc = *c == '\\' ? "\\\\" : *c == '"' ? "\\\"" : *c == '\n' ? "\\n" : NULL;
		size_t k = esc ? 2 : 1;
		if (n + k + 2 > len) /* room for the closing quote and the NUL */
			goto nospace;
		memcpy(buf + n, esc ? esc : c, k);
		n += k;
	}
	buf[n++] = '"';
	buf[n] = '\0';
	return 0;
nospace:
	buf[at] = '\0';
	return -ENOSPC;
}

/* ---- server -------------------------------------------------------------------------------- */

struct mb_metrics {
	struct event_base *base;
	struct evhttp *http;
	struct event *stopev;
	int stop_pipe[2];
	pthread_t th;
	bool running;
	unsigned port;
	char url[128];
	mb_metrics_render_fn render;
	void *ctx;
};

static void on_request(struct evhttp_request *req, void *arg)
{
	struct mb_metrics *m = arg;
	enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
	const char *path = evhttp_uri_get_path(evhttp_request_get_evhttp_uri(req));
	struct evkeyvalq *hdr = evhttp_request_get_output_headers(req);
	if (!path || strcmp(path, "/metrics") != 0) {
		evhttp_send_error(req, HTTP_NOTFOUND, "membench serves /metrics only");
		return;
	}
	if (cmd != EVHTTP_REQ_GET && cmd != EVHTTP_REQ_HEAD) {
		evhttp_add_header(hdr, "Allow", "GET, HEAD");
		evhttp_send_error(req, HTTP_BADMETHOD, NULL);
		return;
	}
	if (cmd == EVHTTP_REQ_HEAD) { /* headers only (evhttp would send a body given one) */
		evhttp_add_header(hdr, "Content-Type", "text/plain; version=0.0.4; charset=utf-8");
		evhttp_send_reply(req, HTTP_OK, "OK", NULL);
		return;
	}
	struct mb_prom p = {0};
	m->render(m->ctx, &p);
	struct evbuffer *body = evbuffer_new();
	if (p.err || !body || evbuffer_add(body, p.buf.data ? p.buf.data : "", p.buf.len) != 0) {
		evhttp_send_error(req, HTTP_INTERNAL, "out of memory");
	} else {
		evhttp_add_header(hdr, "Content-Type", "text/plain; version=0.0.4; charset=utf-8");
		evhttp_send_reply(req, HTTP_OK, "OK", body);
	}
	if (body)
		evbuffer_free(body);
	mb_buf_free(&p.buf);
}

static void on_stop(evutil_socket_t fd, short what, void *arg)
{
	struct mb_metrics *m = arg;
	(void)fd;
	(void)what;
	event_base_loopbreak(m->base);
}

static void *server_main(void *arg)
{
	struct mb_metrics *m = arg;
	event_base_dispatch(m->base);
	return NULL;
}

/* Splits "HOST:PORT", "[V6]:PORT" or ":PORT" into host (empty: every interface) and port.
 * @return 0 or -EINVAL (reason in err). */
static int split_addr(const char *addr, char *host, size_t hostlen, unsigned *port, char *err,
		      size_t errlen)
{
	const char *colon = strrchr(addr, ':');
	const char *h = addr, *hend = colon;
	if (!colon) {
		snprintf(err, errlen, "expected ADDR:PORT (e.g. 127.0.0.1:9100, [::1]:9100, :9100)");
		return -EINVAL;
	}
	if (*h == '[') {
		if (hend == h || hend[-1] != ']') {
			snprintf(err, errlen, "unbalanced [ in the address (expected [IPV6]:PORT)");
			return -EINVAL;
		}
		h++;
		hend--;
	} else if (memchr(addr, ':', (size_t)(colon - addr))) {
		snprintf(err, errlen, "an IPv6 address goes in brackets: [IPV6]:PORT");
		return -EINVAL;
	}
	if ((size_t)(hend - h) >= hostlen) {
		snprintf(err, errlen, "address too long");
		return -EINVAL;
	}
	memcpy(host, h, (size_t)(hend - h));
	host[hend - h] = '\0';
	const char *ps = colon + 1;
	char *end;
	errno = 0;
	unsigned long v = *ps >= '0' && *ps <= '9' ? strtoul(ps, &end, 10) : 0;
	if (!(*ps >= '0' && *ps <= '9') || *end || errno || v > 65535) {
		snprintf(err, errlen, "bad port '%s' (0..65535; 0 picks a free one)", ps);
		return -EINVAL;
	}
	*port = (unsigned)v;
	return 0;
}

/* Binds and listens on the first address of host:port that accepts. @return the socket, or a
 * negative errno (reason in err). */
static int listen_on(const char *host, unsigned port, char *err, size_t errlen)
{
	struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
				 .ai_flags = AI_PASSIVE | AI_NUMERICSERV}, *res = NULL;
	char ps[8];
	snprintf(ps, sizeof(ps), "%u", port);
	int grc = getaddrinfo(*host ? host : NULL, ps, &hints, &res);
	if (grc) {
		snprintf(err, errlen, "cannot resolve '%s': %s", host, gai_strerror(grc));
		return grc == EAI_MEMORY ? -ENOMEM : -ENOENT;
	}
	int rc = -EADDRNOTAVAIL;
	const char *step = "bind";
	for (struct addrinfo *a = res; a; a = a->ai_next) {
		int fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK,
				a->ai_protocol);
		if (fd < 0) {
			rc = -errno;
			continue;
		}
		int one = 1;
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		step = "bind";
		if (bind(fd, a->ai_addr, a->ai_addrlen) == 0) {
			step = "listen";
			if (listen(fd, 64) == 0) {
				freeaddrinfo(res);
				return fd;
			}
		}
		rc = -errno;
		close(fd);
	}
	freeaddrinfo(res);
	snprintf(err, errlen, "cannot %s: %s", step, strerror(-rc));
	return rc;
}

/* The address fd is bound to, as a URL. */
static void make_url(struct mb_metrics *m, int fd)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	char host[NI_MAXHOST] = "?", serv[NI_MAXSERV] = "0";
	if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0)
		getnameinfo((struct sockaddr *)&ss, sl, host, sizeof(host), serv, sizeof(serv),
			    NI_NUMERICHOST | NI_NUMERICSERV);
	m->port = (unsigned)strtoul(serv, NULL, 10);
	bool v6 = strchr(host, ':') != NULL;
	snprintf(m->url, sizeof(m->url), "http://%s%s%s:%u/metrics", v6 ? "[" : "", host,
		 v6 ? "]" : "", m->port);
}

int mb_metrics_start(struct mb_metrics **out, const char *addr, mb_metrics_render_fn fn, void *ctx,
		     char *err, size_t errlen)
{
	char host[256];
	unsigned port;
	int fd = -1;
	*out = NULL;
	int rc = split_addr(addr, host, sizeof(host), &port, err, errlen);
	if (rc)
		return rc;
	struct mb_metrics *m = calloc(1, sizeof(*m));
	if (!m)
		goto oom;
	m->render = fn;
	m->ctx = ctx;
	m->stop_pipe[0] = m->stop_pipe[1] = -1;
	fd = listen_on(host, port, err, errlen);
	if (fd < 0) {
		rc = fd;
		goto cleanup;
	}
	make_url(m, fd);
	if (pipe2(m->stop_pipe, O_CLOEXEC | O_NONBLOCK) != 0) {
		rc = -errno;
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		goto cleanup;
	}
	struct event_config *cfg = event_config_new();
	if (!cfg)
		goto oom;
	event_config_set_flag(cfg, EVENT_BASE_FLAG_NOLOCK);
	m->base = event_base_new_with_config(cfg);
	event_config_free(cfg);
	if (!m->base || !(m->http = evhttp_new(m->base)))
		goto oom;
	m->stopev = event_new(m->base, m->stop_pipe[0], EV_READ, on_stop, m);
	if (!m->stopev || event_add(m->stopev, NULL) != 0)
		goto oom;
	evhttp_set_timeout(m->http, 10);
	evhttp_set_gencb(m->http, on_request, m);
	if (!evhttp_accept_socket_with_handle(m->http, fd))
		goto oom;
	fd = -1; /* evhttp's now */
	/* the thread starts with every signal blocked: they stay with the binary's threads */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	int prc = pthread_create(&m->th, NULL, server_main, m);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (prc == 0)
		pthread_setname_np(m->th, "mb-metrics"); /* top -H, /proc/PID/task/TID/comm */
	if (prc) {
		rc = -prc;
		snprintf(err, errlen, "cannot start the metrics thread: %s", strerror(prc));
		goto cleanup;
	}
	m->running = true;
	*out = m;
	return 0;
oom:
	rc = -ENOMEM;
	snprintf(err, errlen, "out of memory");
cleanup:
	if (fd >= 0)
		close(fd);
	mb_metrics_stop(m);
	return rc;
}

int mb_metrics_serve(struct mb_metrics **out, const char *addr, mb_metrics_render_fn fn,
		     void *ctx)
{
	char err[256];
	int rc = mb_metrics_start(out, addr, fn, ctx, err, sizeof(err));
	if (rc) {
		mb_error("--metrics %s: %s", addr, err);
		bool ours = rc == -ENOMEM || rc == -EAGAIN || rc == -EMFILE || rc == -ENFILE;
		return ours ? MB_EXIT_FAILURE : MB_EXIT_USAGE;
	}
	fprintf(stderr, "%s: metrics at %s\n", mb_cli_prog(), mb_metrics_url(*out));
	return 0;
}

unsigned mb_metrics_port(const struct mb_metrics *m)
{
	return m->port;
}

const char *mb_metrics_url(const struct mb_metrics *m)
{
	return m->url;
}

void mb_metrics_stop(struct mb_metrics *m)
{
	if (!m)
		return;
	if (m->running) {
		if (write(m->stop_pipe[1], "s", 1) < 0) {
			/* cannot happen with an empty pipe; the join would then wait */
		}
		pthread_join(m->th, NULL);
	}
	if (m->http)
		evhttp_free(m->http);
	if (m->stopev)
		event_free(m->stopev);
	if (m->base)
		event_base_free(m->base);
	for (int i = 0; i < 2; i++)
		if (m->stop_pipe[i] >= 0)
			close(m->stop_pipe[i]);
	free(m);
}
