/* The replay engine: one worker thread = one event_base (NOLOCK), its lanes' connections, its own
 * profile reader, its own histograms, and a timerfd armed at absolute CLOCK_MONOTONIC deadlines.
 *
 * Schedule (open loop, absolute time). A record's intended send time is
 *     t0 + ((time_ns - t_first) + loops * loop_span) / speed
 * on CLOCK_MONOTONIC. The worker's timerfd is armed with TFD_TIMER_ABSTIME shortly before the
 * next record's intended time, so wakeups are on absolute deadlines and errors never accumulate
 * (no relative sleeps); it is re-armed only when the deadline changes (libevent's own precise
 * timers would call timerfd_settime on every loop iteration, i.e. for every batch of replies
 * too). Pacing (worker_run_schedule): the last stretch before a deadline, and any gap up to
 * --spin, is busy-waited in worker_main's loop on the clock (vDSO), polling the event base
 * without blocking only every RP_POLL_NS (RP_POLL_STAMPED_NS: "Reply times" below) while
 * replies are awaited. At a deadline every record
 * now due is taken from the profile ("pulled") and queued on its connection; then each
 * connection that got work encodes what it may send into its output buffer and writes it, one
 * send() per recorded instant (commands recorded at the same time arrived together, in one
 * segment; later ones get their own write even when the worker is behind). A multi-key get (records with MB_RF_BATCH_CONT after the first) is pulled whole
 * and sent as one command again (split per server when keys live on several servers, as
 * libmemcached does).
 *
 * Profile: decoded whole before t0 when it fits RP_PRELOAD_MAX_BYTES (reader_preload), so that
 * no block decode (~2.3 ms per 65,536 records) stops the schedule; larger ones are read block
 * by block during the run.
 *
 * --rate max: the same queues, but records carry no intended time; the worker keeps about
 * 4 x depth records queued per connection and sends whenever a connection has room.
 *
 * Batching: read callbacks only parse replies and mark their connection dirty; after each
 * event-loop wakeup, worker_flush has every dirty connection write once (one send() with all
 * it may send in --rate max). Output buffers stay small: nothing is encoded while a socket is
 * full (`blocked`), so memory is bounded by depth x connections x request size.
 *
 * Depth: at most `depth` commands awaiting a reply per connection. A due command that finds its
 * connection full waits in the queue (a "stall", counted once per episode) and is sent as soon as
 * a reply frees room. Falling behind: by default a late command is sent late and its lag (actual
 * send - intended send) goes into the lag histogram; its corrected latency still starts at the
 * intended time, so waiting is never hidden. With --skip-late D, a command already more than D
 * late when it could be sent is dropped and counted instead. gen_lag (pulled - intended) measures
 * the generator alone: if it is large, membench itself, not the target, was the bottleneck.
 *
 * Reply times: a reply's latency ends when it arrived, by the kernel's receive stamp
 * (SO_TIMESTAMPNS on TCP connections without TLS; conn_recv), so a reply read late is still timed
 * right; unix-socket and TLS connections are timed when read. While spinning, replies are then
 * read every RP_POLL_STAMPED_NS instead of RP_POLL_NS (~1 epoll_wait per request at 60k req/s
 * instead of ~3).
 *
 * Replies: every byte sent and received goes through the codec's connection parser
 * (mb_proto_conn), which pairs responses with requests in stream order and reports each key's
 * status; the worker keeps a FIFO of in-flight commands per connection (intended time, send time,
 * keys outstanding) and completes the head when its last key is reported. noreply commands are
 * sent, counted, and never waited for.
 *
 * Warm-up (--warmup): every count goes into the block rp_stats_at (stats.h) picks by the
 * intended time of the request it is about (a connection's own counts: by now).
 *
 * Faults: EOF/error on a connection counts its in-flight commands as `disconnect` errors,
 * forgets its parser state and reconnects with backoff (10 ms doubling to 1 s); queued commands
 * wait and go out late. Connecting (at start-up and on reconnects) is session.c's state machine:
 * non-blocking connect, TLS handshake (resuming the connection's last session), authentication,
 * all within --connect-timeout; I/O goes through tls.c's rp_io_send/rp_io_recv. With
 * --timeout, a command unanswered for that long marks the connection broken (the stream cannot
 * be resynchronised): overdue commands count as `timeout`, the rest in flight as `disconnect`,
 * and it reconnects at once.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <event2/event.h>

#include "membench/buf.h"
#include "membench/cli.h"
#include "membench/clock.h"
#include "membench/error.h"
#include "membench/mix.h"
#include "membench/proto.h"
#include "cas.h"
#include "keys.h"
#include "pace.h"
#include "ttl.h"
#include "replay.h"
#include "worker.h"

#define RP_READ_CHUNK 4096          /* records per reader call */
#define RP_QUEUE_CAP (1u << 20)     /* records queued per worker before pulling pauses */
#define RP_HK_NS (50 * 1000 * 1000) /* housekeeping period: timeouts, drain deadline */
#define RP_DRAIN_NS (2 * RP_NS_PER_SEC)
#define RP_STOP_DRAIN_NS (500 * 1000 * 1000)
#define RP_POLL_NS 5000             /* spinning: network poll period while replies are awaited */
#define RP_POLL_STAMPED_NS 25000    /* ... when the kernel stamps every connection's replies */
#define RP_STAMP_MAX_AGE_NS RP_NS_PER_SEC /* an older kernel stamp: the clock was stepped */
#define RP_IDLE_POLL_NS 50000       /* ... and while none are */
#define RP_PRELOAD_MAX_BYTES (256ull << 20) /* profiles whose records (x workers) fit are decoded
					     * before t0 (MEMBENCH_REPLAY_PRELOAD_BYTES overrides) */

struct rp_qent {
	uint64_t intended; /* 0 in --rate max: "now" when sent */
	uint64_t pulled;
	struct mb_record rec;
};

struct rp_flight {
	uint64_t intended, sent;
	uint32_t keys_left;
	uint32_t write;    /* the connection's write it went out in (conn.writes) */
	uint8_t op;
	uint8_t rec_status;  /* the recorded outcome (cas: compared with the target's) */
	bool cas;            /* a cas (text, binary, meta C): its outcome is compared */
};

struct rp_conn {
	struct rp_worker *w;
	const struct rp_server *srv;
	int fd;
	bool up;
	bool dirty;        /* on the worker's dirty list: dispatched at the end of the wakeup */
	bool stalled;
	bool blocked;      /* the socket took only part of `out`: nothing more is encoded until
			    * EV_WRITE drains it (bounds `out`, see conn_dispatch) */
	bool hungry;       /* --rate max: room for more commands than are queued (worker_flush) */
	bool kstamp;       /* the kernel stamps what arrives (SO_TIMESTAMPNS): replies are timed
			    * by their arrival, not by when they are read (not with TLS) */
	struct event *rev, *wev, *retry;
	uint64_t backoff_ms;
	bool binary;               /* binary protocol: SASL authentication */
	SSL *ssl;                  /* with --tls */
	SSL_SESSION *sess;         /* its last TLS session, resumed on reconnect */
	struct rp_setup *setup;    /* a reconnect in progress (wev waits for it) */
	struct mb_proto_conn *parser;
	struct mb_buf out;
	size_t out_off;
	struct rp_qent *q;         /* ring of unsent commands' records */
	size_t qh, qn, qcap;
	struct rp_flight *f;       /* ring of in-flight commands, capacity depth */
	size_t fh, fn, fcap;
	uint64_t batch;            /* batch sequence of the last record queued here */
	uint64_t last_time;        /* recorded time of the last command encoded */
	uint32_t writes;           /* writes started (flight.write) */
	uint32_t done_write;       /* write of the last command answered (UINT32_MAX: none) */
	struct rp_cas cas;         /* key -> latest unique the target returned here (cas.c) */
	uint32_t opaque;           /* last meta O token sent (recorded O flags get fresh ones) */
	bool last_cas;             /* the command conn_encode encoded last is a cas */
};

enum rp_state { RP_RUNNING, RP_DRAINING, RP_DONE };

struct rp_worker {
	struct rp_run *run;
	const struct rp_opts *o;
	const struct rp_plan *p;
	unsigned id, n;
	pthread_t th;
	bool started;
	struct event_base *base;
	struct event *timer, *tick, *hk, *stopev;
	int tfd;                   /* schedule timerfd (CLOCK_MONOTONIC, absolute), `timer` reads it */
	uint64_t armed;            /* deadline it is armed for, 0 = none */
	uint64_t spin_for;         /* send deadline being busy-waited for, 0 = none (pacing) */
	struct rp_pace pace;       /* when sends are due after a late timer wakeup (pace.c) */
	uint64_t wake_for;         /* intended time the timer was armed for (armed = wake_for - early) */
	uint64_t early;            /* how early the timer is armed: ~98th percentile of its lateness */
	bool halt;                 /* leave the event loop: finished or a fatal error */
	int stop_pipe[2];
	struct mb_profile_reader *rd;
	struct rp_keygen kg;
	memcached_st *memc;

	struct mb_record *rbuf;
	size_t rn, ri;
	uint64_t rec_in_pass, loops;
	bool eof;
	bool preloaded;            /* rbuf holds every record of the profile (reader_preload) */

	struct rp_conn *conns;     /* local lane l, server s, family f:
				    * conns[(l * nservers + s) * nfam + f] */
	size_t nconns;
	struct rp_conn **dirty;
	size_t ndirty;
	size_t hungry;             /* conns with hungry set */
	uint64_t next_poll;        /* spinning: when the network is polled next */
	size_t unstamped;          /* conns without kstamp: the poll period stays RP_POLL_NS */
	uint64_t rx_ns;            /* arrival time of the bytes being parsed (0: w->now) */
	uint64_t queued, inflight;
	uint64_t cur_batch;
	unsigned cur_lane;
	bool cur_mine, cur_skip;

	enum rp_state state;
	uint64_t drain_deadline;   /* Ctrl-C: hard end of the wait for replies */
	uint64_t last_progress;    /* last send or reply: ends a stuck drain after RP_DRAIN_NS */
	uint64_t now;

	struct rp_stats st;
	struct rp_series_acc sa;   /* this second's counters for the time series */

	char *val;
	size_t valcap;
	char *kbuf;                /* kcap keys of RP_MAX_KEY + 1 bytes */
	const char **kptr;
	uint32_t *klen;
	size_t kcap;
	char rdbuf[65536];
};

/* A command that carries a value (storage class in membench/ops.h's facts table): its bytes are
 * counted when sent; for the others, the value of a hit is counted when it comes back. */
static bool op_has_value(unsigned op)
{
	return mb_op_class(op) == MB_OPC_STORAGE;
}

/* Commands never replayed: the server-wide ones of the facts table (MB_OPF_ADMIN: flush_all,
 * stats, verbosity, and "other", which is not a command at all), except version, a harmless
 * round trip clients use as a health check, which is replayed as recorded; flush_all only with
 * --allow-flush. */
static bool op_skipped(const struct rp_opts *o, unsigned op)
{
	if (op >= MB_OP_COUNT)
		return true;
	if (op == MB_OP_VERSION || (op == MB_OP_FLUSH_ALL && o->allow_flush))
		return false;
	return mb_op_has(op, MB_OPF_ADMIN);
}

/* Error kind of a response status, or -1 when the status is not an error. */
static int status_err(unsigned status)
{
	switch (status) {
	case MB_STATUS_ERROR:
		return RP_ERR_ERROR;
	case MB_STATUS_CLIENT_ERROR:
		return RP_ERR_CLIENT;
	case MB_STATUS_SERVER_ERROR:
		return RP_ERR_SERVER;
	case MB_STATUS_OUT_OF_MEMORY:
		return RP_ERR_OOM;
	default:
		return -1;
	}
}

/* n errors of requests scheduled at t (stats.h rp_stats_at: --warmup) */
static void count_error(struct rp_worker *w, enum rp_err kind, uint64_t n, uint64_t t)
{
	rp_stats_at(&w->st, t)->errors[kind] += n;
	w->sa.errors += n;
}

/* ---- rings ----------------------------------------------------------------------------- */

static struct rp_qent *q_at(struct rp_conn *c, size_t i)
{
	return &c->q[(c->qh + i) % c->qcap];
}

static struct rp_qent *q_push(struct rp_conn *c)
{
	if (c->qn == c->qcap) {
		size_t ncap = c->qcap ? c->qcap * 2 : 64;
		struct rp_qent *nq = malloc(ncap * sizeof(*nq));
		if (!nq)
			return NULL;
		for (size_t i = 0; i < c->qn; i++)
			nq[i] = *q_at(c, i);
		free(c->q);
		c->q = nq;
		c->qcap = ncap;
		c->qh = 0;
	}
	return &c->q[(c->qh + c->qn++) % c->qcap];
}

static void q_pop(struct rp_conn *c, size_t n)
{
	c->qh = (c->qh + n) % c->qcap;
	c->qn -= n;
	c->w->queued -= n;
}

static struct rp_flight *f_head(struct rp_conn *c)
{
	return &c->f[c->fh];
}

static void f_pop(struct rp_conn *c)
{
	c->fh = (c->fh + 1) % c->fcap;
	c->fn--;
	c->w->inflight--;
}

/* ---- connections ----------------------------------------------------------------------- */

static void conn_on_read(evutil_socket_t fd, short what, void *arg);
static void conn_on_write(evutil_socket_t fd, short what, void *arg);
static void conn_on_retry(evutil_socket_t fd, short what, void *arg);
static void conn_dispatch(struct rp_conn *c);
static void worker_check_done(struct rp_worker *w);

/* Queues c for dispatch at the end of the current wakeup (worker_flush). */
static void conn_mark_dirty(struct rp_conn *c)
{
	if (!c->dirty) {
		c->dirty = true;
		c->w->dirty[c->w->ndirty++] = c;
	}
}

/* Leaves the worker's event loop for good (finished, or a fatal error already reported). */
static void worker_halt(struct rp_worker *w)
{
	w->halt = true;
	event_base_loopbreak(w->base);
}

static void conn_on_cmd(void *ctx, const struct mb_proto_cmd *cmd)
{
	struct rp_conn *c = ctx;
	struct rp_worker *w = c->w;
	/* the unique a read returned, for the next cas of the key (out of memory loses it: that
	 * cas is then answered exists, and counted as a differing outcome) */
	if (cmd->cas && cmd->key && mb_op_is_read(cmd->op))
		(void)rp_cas_put(&c->cas, cmd->key, cmd->key_len, cmd->cas);
	if ((cmd->rflags & MB_RF_NOREPLY) || c->fn == 0)
		return; /* noreply commands are not waited for */
	struct rp_flight *f = f_head(c);
	struct rp_stats *st = rp_stats_at(&w->st, f->intended);
	if (f->cas && f->rec_status != MB_STATUS_NONE) {
		st->cas_compared++;
		st->cas_differ += cmd->status != f->rec_status;
	}
	struct rp_opstats *os = &st->op[f->op];
	if (cmd->status < MB_STATUS_COUNT)
		os->status[cmd->status]++;
	rp_series_acc_at(&w->run->series, &w->sa, w->now, w->inflight);
	if (!op_has_value(f->op)) { /* a hit's value; a storage command's was counted sent */
		w->sa.op_bytes[f->op] += cmd->value_len;
		os->bytes_in += cmd->value_len;
	}
	int ek = status_err(cmd->status);
	if (ek >= 0)
		count_error(w, (enum rp_err)ek, 1, f->intended);
	if (f->keys_left > 1) {
		f->keys_left--;
		return;
	}
	uint64_t now = w->now, rx = w->rx_ns ? w->rx_ns : now; /* arrival (conn_recv) */
	uint64_t corr = rx > f->intended ? rx - f->intended : 0;
	uint64_t uncorr = rx > f->sent ? rx - f->sent : 0;
	mb_hist_record(&st->corr, corr);
	mb_hist_record(&st->uncorr, uncorr);
	mb_hist_record(&os->corr, corr);
	mb_hist_record(&os->uncorr, uncorr);
	mb_hist_record(&w->sa.lat, corr);
	os->responses++;
	st->responses++;
	w->sa.responses++;
	st->last_done_ns = now;
	w->last_progress = now;
	c->done_write = f->write;
	f_pop(c);
}

static int conn_new_parser(struct rp_conn *c)
{
	if (c->parser)
		mb_proto_conn_free(c->parser);
	c->parser = mb_proto_conn_new(NULL, conn_on_cmd, c);
	return c->parser ? 0 : -ENOMEM;
}

/* Asks the kernel to stamp c's incoming data (SO_TIMESTAMPNS): TCP only (unix stream sockets
 * take the option and never stamp), and not under TLS, whose reads go through OpenSSL. Counts
 * the worker's connections without. */
static void conn_stamp(struct rp_conn *c)
{
	int one = 1, dom = 0;
	socklen_t len = sizeof(dom);
	bool on = !c->ssl && getsockopt(c->fd, SOL_SOCKET, SO_DOMAIN, &dom, &len) == 0 &&
		  (dom == AF_INET || dom == AF_INET6) &&
		  setsockopt(c->fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof(one)) == 0;
	if (on != c->kstamp) {
		c->kstamp = on;
		if (on)
			c->w->unstamped--;
		else
			c->w->unstamped++;
	}
}

/* Arms the read event on a connected fd. @return 0 or -ENOMEM. */
static int conn_attach(struct rp_conn *c, int fd)
{
	c->fd = fd;
	conn_stamp(c);
	c->rev = event_new(c->w->base, fd, EV_READ | EV_PERSIST, conn_on_read, c);
	c->wev = event_new(c->w->base, fd, EV_WRITE, conn_on_write, c);
	if (!c->rev || !c->wev || event_add(c->rev, NULL) != 0)
		return -ENOMEM;
	c->up = true;
	return 0;
}

static void conn_detach(struct rp_conn *c)
{
	if (c->rev)
		event_free(c->rev);
	if (c->wev)
		event_free(c->wev);
	c->rev = c->wev = NULL;
	rp_tls_free(c->ssl);
	c->ssl = NULL;
	if (c->setup)
		rp_setup_abort(c->setup);
	free(c->setup);
	c->setup = NULL;
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	c->up = false;
}

static void conn_schedule_retry(struct rp_conn *c, uint64_t delay_ms)
{
	struct timeval tv = {.tv_sec = (time_t)(delay_ms / 1000),
			     .tv_usec = (suseconds_t)(delay_ms % 1000) * 1000};
	evtimer_add(c->retry, &tv);
}

/* Drops the connection: in-flight commands are counted (timed_out_before: those sent before this
 * time count as timeouts, the rest as disconnects), parser state is forgotten, output discarded,
 * and a reconnect is scheduled unless the run is ending. */
static void conn_fail(struct rp_conn *c, uint64_t timed_out_before, uint64_t retry_ms)
{
	struct rp_worker *w = c->w;
	while (c->fn) {
		struct rp_flight *f = f_head(c);
		count_error(w, f->sent < timed_out_before ? RP_ERR_TIMEOUT : RP_ERR_DISCONNECT, 1,
			    f->intended);
		f_pop(c);
	}
	conn_detach(c);
	mb_buf_reset(&c->out);
	c->out_off = 0;
	c->blocked = false;
	if (conn_new_parser(c) != 0) {
		mb_error("out of memory");
		c->qn = 0; /* never reconnected: its queue is dropped */
		worker_halt(w);
		return;
	}
	if (w->state != RP_RUNNING && c->qn == 0)
		return;
	conn_schedule_retry(c, retry_ms);
}

static void conn_broken(struct rp_conn *c)
{
	c->backoff_ms = c->backoff_ms ? c->backoff_ms * 2 : 10;
	if (c->backoff_ms > 1000)
		c->backoff_ms = 1000;
	conn_fail(c, 0, c->backoff_ms);
}

/* Steps a reconnect's set-up (connect, TLS, authentication) on each event, within
 * --connect-timeout; when done the connection is attached and sends what waits. */
static void conn_on_setup(evutil_socket_t fd, short what, void *arg)
{
	struct rp_conn *c = arg;
	struct rp_worker *w = c->w;
	char err[512];
	(void)fd;
	if (c->wev)
		event_free(c->wev);
	c->wev = NULL;
	int rc = (what & EV_TIMEOUT) ? MB_E_CONNECT : rp_setup_step(c->setup, err, sizeof(err));
	if (rc > 0) {
		uint64_t now = mb_mono_ns(), left = c->setup->deadline > now ? c->setup->deadline - now : 0;
		struct timeval tv = {.tv_sec = (time_t)(left / RP_NS_PER_SEC),
				     .tv_usec = (suseconds_t)(left % RP_NS_PER_SEC / 1000)};
		c->wev = event_new(w->base, c->setup->fd, rc == RP_WANT_READ ? EV_READ : EV_WRITE,
				   conn_on_setup, c);
		if (c->wev && event_add(c->wev, &tv) == 0)
			return;
		rc = -ENOMEM;
	}
	if (rc < 0) {
		if (rc == MB_E_CONNECT && c->setup->tcp_up && !c->backoff_ms)
			mb_warn("reconnect: %s", err); /* TLS or credentials, once per failure streak */
		conn_detach(c);
		conn_broken(c);
		return;
	}
	int nfd = c->setup->fd;
	c->ssl = c->setup->ssl;
	free(c->setup);
	c->setup = NULL;
	if (conn_attach(c, nfd) != 0) {
		conn_detach(c);
		conn_broken(c);
		return;
	}
	c->backoff_ms = 0;
	rp_stats_at(&w->st, w->now)->reconnects++;
	__atomic_add_fetch(&w->run->reconnects, 1, __ATOMIC_RELAXED);
	conn_mark_dirty(c); /* what waited goes out at the end of this wakeup */
}

static void conn_on_retry(evutil_socket_t fd, short what, void *arg)
{
	struct rp_conn *c = arg;
	char err[512];
	(void)fd;
	(void)what;
	if (c->up || c->setup || c->w->state == RP_DONE)
		return;
	c->setup = malloc(sizeof(*c->setup));
	int rc = c->setup ? rp_setup_start(c->setup, c->srv, c->w->run->sec, c->binary, &c->sess,
					   err, sizeof(err))
			  : -ENOMEM;
	if (rc < 0) {
		free(c->setup);
		c->setup = NULL;
		conn_broken(c);
		return;
	}
	c->setup->deadline = mb_mono_ns() + c->w->run->sec->connect_timeout_ns;
	conn_on_setup(-1, 0, c); /* arms the wait for the socket */
}

/* Writes as much of the output buffer as the socket takes; the rest waits for EV_WRITE, and
 * until it has gone the connection is `blocked` (conn_dispatch encodes nothing more). */
static void conn_flush(struct rp_conn *c)
{
	while (c->out_off < c->out.len) {
		ssize_t k = rp_io_send(c->fd, c->ssl, c->out.data + c->out_off,
				       c->out.len - c->out_off);
		if (k > 0) {
			c->out_off += (size_t)k;
			rp_stats_at(&c->w->st, c->w->now)->bytes_out += (uint64_t)k;
			continue;
		}
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			c->blocked = true;
			event_add(c->wev, NULL);
			return;
		}
		conn_broken(c);
		return;
	}
	mb_buf_reset(&c->out);
	c->out_off = 0;
	if (c->blocked) {
		c->blocked = false;
		conn_mark_dirty(c); /* what waited behind it goes out at the end of this wakeup */
	}
}

static void conn_on_write(evutil_socket_t fd, short what, void *arg)
{
	struct rp_conn *c = arg;
	(void)fd;
	(void)what;
	conn_flush(c);
}

/* Reads what c received into w->rdbuf, setting w->now, and *rx to when it arrived: the
 * kernel's stamp of the last segment read (SO_TIMESTAMPNS, CLOCK_REALTIME, moved to
 * CLOCK_MONOTONIC by the clocks' offset now) when c has kstamp, else now. So a reply read late
 * (the worker was sending, or polls less often: RP_POLL_STAMPED_NS) is still timed by its
 * arrival; replies that arrived apart and are read at once share the later one's stamp.
 * @return as recv(2). */
static ssize_t conn_recv(struct rp_conn *c, uint64_t *rx)
{
	struct rp_worker *w = c->w;
	if (!c->kstamp) {
		ssize_t k = rp_io_recv(c->fd, c->ssl, w->rdbuf, sizeof(w->rdbuf));
		*rx = w->now = mb_mono_ns();
		return k;
	}
	union {
		char buf[CMSG_SPACE(sizeof(struct timespec))];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = {.iov_base = w->rdbuf, .iov_len = sizeof(w->rdbuf)};
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf,
			     .msg_controllen = sizeof(ctl.buf)};
	ssize_t k = recvmsg(c->fd, &msg, 0);
	int saved = errno;
	*rx = w->now = mb_mono_ns();
	for (struct cmsghdr *cm = k > 0 ? CMSG_FIRSTHDR(&msg) : NULL; cm; cm = CMSG_NXTHDR(&msg, cm)) {
		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_TIMESTAMPNS)
			continue;
		struct timespec ts;
		memcpy(&ts, CMSG_DATA(cm), sizeof(ts));
		uint64_t at = (uint64_t)ts.tv_sec * RP_NS_PER_SEC + (uint64_t)ts.tv_nsec;
		uint64_t wall = (uint64_t)mb_wall_ns();
		if (at <= wall && wall - at < RP_STAMP_MAX_AGE_NS && wall - at < w->now)
			*rx = w->now - (wall - at);
	}
	errno = saved;
	return k;
}

static void conn_on_read(evutil_socket_t fd, short what, void *arg)
{
	struct rp_conn *c = arg;
	struct rp_worker *w = c->w;
	(void)fd;
	(void)what;
	for (;;) {
		uint64_t rx;
		ssize_t k = conn_recv(c, &rx);
		if (k > 0) {
			rp_stats_at(&w->st, w->now)->bytes_in += (uint64_t)k;
			w->rx_ns = rx;
			int err = mb_proto_conn_feed(c->parser, MB_DIR_RESPONSE, w->rdbuf, (size_t)k,
						     w->now);
			w->rx_ns = 0;
			if (err != 0) {
				conn_broken(c);
				return;
			}
			if ((size_t)k < sizeof(w->rdbuf))
				break;
			continue;
		}
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		conn_broken(c); /* EOF or a hard error */
		worker_check_done(w);
		return;
	}
	/* what the replies freed is sent at the end of the wakeup, once for all of them */
	conn_mark_dirty(c);
	/* a send deadline passed while replies were read: the rest of the ready connections are
	 * read after the send (the event loop keeps them active) */
	if (w->spin_for && w->now >= w->spin_for)
		event_base_loopbreak(w->base);
}

static int ensure_keys(struct rp_worker *w, size_t n)
{
	if (n <= w->kcap)
		return 0;
	size_t ncap = w->kcap ? w->kcap : 16;
	while (ncap < n)
		ncap *= 2;
	char *kb = realloc(w->kbuf, ncap * (RP_MAX_KEY + 1));
	if (!kb)
		return -ENOMEM;
	w->kbuf = kb;
	const char **kp = realloc(w->kptr, ncap * sizeof(*kp));
	if (!kp)
		return -ENOMEM;
	w->kptr = kp;
	uint32_t *kl = realloc(w->klen, ncap * sizeof(*kl));
	if (!kl)
		return -ENOMEM;
	w->klen = kl;
	w->kcap = ncap;
	return 0;
}

/* A cas: text/binary cas, or a meta command whose recorded flags carry C or E (cas.c). */
static bool rec_is_cas(const struct rp_worker *w, const struct mb_record *r)
{
	const char *mf;
	uint32_t n;
	if (r->op == MB_OP_CAS)
		return true;
	return r->meta_flags && r->proto == MB_PROTO_META &&
	       mb_profile_reader_meta_flags(w->rd, r->meta_flags, &mf, &n) == 0 &&
	       rp_cas_in_meta(mf, n);
}

/* Encodes the nb queued records at the head of c (one command) into c->out.
 * @return 0, -ENOMEM, or MB_E_USAGE/MB_E_UNSUPPORTED from the codec. */
static int conn_encode(struct rp_conn *c, size_t nb)
{
	struct rp_worker *w = c->w;
	const struct mb_record *r = &q_at(c, 0)->rec;
	int err = ensure_keys(w, nb);
	if (err)
		return err;
	struct mb_proto_req req = {
		.op = r->op,
		.proto = r->proto,
		.noreply = (r->rflags & MB_RF_NOREPLY) != 0,
		.client_flags = r->client_flags,
		.ttl = rp_ttl_map(w->p, w->run->t0, r->ttl),
		.arg = mb_op_class(r->op) == MB_OPC_ARITH, /* incr/decr/ma by 1 */
	};
	for (size_t i = 0; i < nb; i++) {
		const struct mb_record *ri = &q_at(c, i)->rec;
		char *k = w->kbuf + i * (RP_MAX_KEY + 1);
		if (ri->key_id == MB_KEY_NONE) {
			w->kptr[i] = NULL;
			w->klen[i] = 0;
			continue;
		}
		w->klen[i] = (uint32_t)rp_key(&w->kg, ri->key_id, ri->key_len, k);
		w->kptr[i] = k;
	}
	/* format 1.1: a meta request's recorded flags, sent as recorded (encode.c) */
	if (r->meta_flags && r->proto == MB_PROTO_META &&
	    mb_profile_reader_meta_flags(w->rd, r->meta_flags, &req.meta_flags,
					 &req.meta_flags_len) == 0)
		req.opaque = ++c->opaque ? c->opaque : ++c->opaque;
	c->last_cas = r->op == MB_OP_CAS || rp_cas_in_meta(req.meta_flags, req.meta_flags_len);
	if (nb == 1) {
		req.key = w->kptr[0];
		req.key_len = w->klen[0];
		if (c->last_cas && req.key)
			req.arg = rp_cas_for(&c->cas, req.key, req.key_len, r->status);
	} else {
		req.keys = w->kptr;
		req.key_lens = w->klen;
		req.nkeys = (uint32_t)nb;
	}
	if (op_has_value(r->op)) {
		if (r->value_len > RP_MAX_VALUE)
			return MB_E_LIMIT; /* counted as unsupported */
		req.value = rp_value_of(r, &w->val, &w->valcap);
		if (!req.value)
			return -ENOMEM;
		req.value_len = r->value_len;
	}
	size_t before = c->out.len;
	err = mb_proto_encode(&c->out, &req);
	if (err) {
		c->out.len = before;
		return err;
	}
	return mb_proto_conn_feed(c->parser, MB_DIR_REQUEST, c->out.data + before,
				  c->out.len - before, w->now);
}

/* --rate max: is the server part-way through answering one of c's writes? It read the write
 * whole and answers command by command (memcached sends each get's reply on its own), so the
 * room the first replies free waits, and all of it goes out in one write when the last reply
 * of that write is in: one write per server read, not one per batch of replies read. */
static bool conn_mid_write(const struct rp_conn *c)
{
	return c->w->o->rate_mode == RP_RATE_MAX && c->fn && c->f[c->fh].write == c->done_write;
}

/* Sends every queued command the depth allows, in order. Commands recorded at the same instant
 * (they reached the server together: one segment) share a write; a command recorded later gets
 * a write of its own even when the worker is behind and both are due, so the target sees the
 * recorded segment boundaries rather than a burst. In --rate max every command that fits goes
 * out in one write. Memory: nothing is encoded while the socket is full (`blocked`), so `out`
 * holds at most one call's commands: up to --depth of them (plus noreply ones then due). */
static void conn_dispatch(struct rp_conn *c)
{
	struct rp_worker *w = c->w;
	uint64_t now = w->now;
	bool wrote = false, unflushed = false;
	if (!c->up)
		return;
	if (conn_mid_write(c))
		return;
	while (c->qn > 0 && !c->blocked) {
		if (c->fn >= c->fcap) {
			/* closed loop is at --depth by design */
			if (!c->stalled && w->o->rate_mode != RP_RATE_MAX)
				rp_stats_at(&w->st, q_at(c, 0)->intended)->stalls++;
			c->stalled = true;
			break;
		}
		c->stalled = false;
		size_t nb = 1;
		while (nb < c->qn && (q_at(c, nb)->rec.rflags & MB_RF_BATCH_CONT))
			nb++;
		struct rp_qent *h = q_at(c, 0);
		/* a cas needs the unique of the read before it, as its client waited for it: it
		 * waits until every reply due on this connection is in (dispatched again then) */
		if (c->fn > 0 && rec_is_cas(w, &h->rec))
			break;
		uint64_t intended = h->intended ? h->intended : now;
		struct rp_stats *st = rp_stats_at(&w->st, intended);
		if (w->o->skip_late_ns && now > intended + w->o->skip_late_ns) {
			st->skipped_late++;
			q_pop(c, nb);
			continue;
		}
		if (unflushed && h->intended && h->rec.time_ns != c->last_time) {
			conn_flush(c);
			if (!c->up)
				return;
			c->writes++;
			unflushed = false;
			if (c->blocked)
				break;
			now = w->now = mb_mono_ns();
		}
		c->last_time = h->rec.time_ns;
		uint8_t op = h->rec.op;
		bool noreply = (h->rec.rflags & MB_RF_NOREPLY) != 0;
		size_t out_before = c->out.len;
		int err = conn_encode(c, nb);
		if (err == -ENOMEM) {
			mb_error("out of memory");
			w->state = RP_DONE;
			worker_halt(w);
			return;
		}
		if (err) {
			count_error(w, RP_ERR_UNSUPPORTED, 1, intended);
			q_pop(c, nb);
			continue;
		}
		struct rp_opstats *os = &st->op[op];
		if (!os->used && rp_opstats_use(os) != 0) {
			mb_error("out of memory");
			worker_halt(w);
			return;
		}
		rp_series_acc_at(&w->run->series, &w->sa, now, w->inflight);
		os->sent++;
		os->keys += nb;
		os->bytes_out += c->out.len - out_before;
		w->sa.op_sent[op]++;
		w->sa.op_bytes[op] += c->out.len - out_before;
		st->commands_sent++;
		st->requests_sent += nb;
		w->sa.sent += nb; /* requests: one per key */
		if (!st->first_send_ns)
			st->first_send_ns = now;
		if (h->intended) {
			uint64_t lag = now > intended ? now - intended : 0;
			mb_hist_record(&st->lag, lag);
			mb_hist_record(&w->sa.lag, lag);
			mb_hist_record(&st->gen_lag, h->pulled > intended ? h->pulled - intended : 0);
		}
		if (noreply) {
			st->noreply_sent++;
		} else {
			struct rp_flight *f = &c->f[(c->fh + c->fn) % c->fcap];
			f->intended = intended;
			f->sent = now;
			f->keys_left = (uint32_t)nb;
			f->write = c->writes;
			f->op = op;
			f->rec_status = h->rec.status;
			f->cas = c->last_cas;
			c->fn++;
			w->inflight++;
		}
		q_pop(c, nb);
		wrote = unflushed = true;
	}
	if (wrote)
		w->last_progress = now;
	if (unflushed) {
		c->writes++;
		conn_flush(c);
	}
}

/* ---- profile -> queues ----------------------------------------------------------------- */

static unsigned lane_of(const struct rp_worker *w, const struct mb_record *r)
{
	unsigned n = w->p->nlanes;
	if (w->o->fold == RP_FOLD_KEY && r->key_id != MB_KEY_NONE)
		return (unsigned)(mb_mix64(r->key_id) % n);
	return r->conn_id % n;
}

static uint64_t intended_of(const struct rp_worker *w, uint64_t t)
{
	const struct rp_plan *p = w->p;
	double rel = t > p->t_first ? (double)(t - p->t_first) : 0.0;
	rel += (double)w->loops * (double)p->loop_span;
	uint64_t off = (uint64_t)(rel / p->speed);
	return w->run->t0 + off + 1; /* +1: 0 means "no schedule" (--rate max) */
}

/* Makes rbuf[ri] valid. @return 1 (a record), 0 (end of profile), or a negative error. */
static int reader_peek(struct rp_worker *w)
{
	if (w->preloaded && w->ri == w->rn && !w->eof) {
		if ((w->o->passes && w->loops + 1 >= w->o->passes) || w->rn == 0) {
			w->eof = true;
		} else {
			w->ri = 0; /* the next --loop pass */
			w->loops++;
		}
	}
	if (w->preloaded)
		return w->ri < w->rn;
	while (w->ri == w->rn) {
		if (w->eof)
			return 0;
		if (w->rec_in_pass >= w->p->records) {
			if ((w->o->passes && w->loops + 1 >= w->o->passes) || w->p->records == 0) {
				w->eof = true;
				return 0;
			}
			int err = mb_profile_reader_rewind(w->rd, 0);
			if (err)
				return err;
			w->loops++;
			w->rec_in_pass = 0;
		}
		uint64_t left = w->p->records - w->rec_in_pass;
		long n = mb_profile_reader_read(w->rd, w->rbuf,
						left < RP_READ_CHUNK ? (size_t)left : RP_READ_CHUNK);
		if (n < 0)
			return (int)n;
		if (n == 0) {
			w->rec_in_pass = w->p->records; /* shorter than the pre-scan said: end pass */
			continue;
		}
		w->rn = (size_t)n;
		w->ri = 0;
	}
	return 1;
}

/* Decodes the whole profile before t0 when the records of all workers fit RP_PRELOAD_MAX_BYTES
 * (each worker holds every record: 4.7M records with one worker, half that with two). Why: the
 * reader decodes a block at a time, and a 65,536-record block costs ~2.3 ms (zstd and the
 * columns, measured on the 2-core VM), during which nothing is sent: at 72k req/s that made ~170
 * sends late by up to 2.3 ms, and as many more while the worker caught up, three times a second.
 * Preloaded, the run never calls the reader, and --loop passes reuse the records. Every record
 * is kept, as the streaming path reads them all: a worker's schedule (what it spins for, when it
 * sleeps) still sees the other workers' requests, as before; keeping only its own lanes left it
 * sleeping through gaps it used to spin through, and the inter-arrival check of the 20k req/s
 * ceiling measured worse (bench/replay/RESULTS.md). A larger profile, or one the reader finds
 * damaged (its warning comes from the streaming path), is read block by block during the run as
 * before. MEMBENCH_REPLAY_PRELOAD_BYTES=N sets the limit (0: always stream; the tests use it). */
static void reader_preload(struct rp_worker *w)
{
	uint64_t total = w->p->records, limit = RP_PRELOAD_MAX_BYTES;
	const char *env = getenv("MEMBENCH_REPLAY_PRELOAD_BYTES");
	if (env && *env)
		limit = strtoull(env, NULL, 10);
	if (total == 0 || total > limit / sizeof(struct mb_record) / w->n ||
	    mb_profile_reader_rewind(w->rd, 0) != 0)
		return;
	struct mb_record *all = malloc((size_t)total * sizeof(*all));
	uint64_t n = 0;
	while (all && n < total) {
		uint64_t left = total - n;
		long k = mb_profile_reader_read(w->rd, all + n,
						left < RP_READ_CHUNK ? (size_t)left : RP_READ_CHUNK);
		if (k < 0) {
			free(all);
			all = NULL;
		}
		if (k <= 0)
			break;
		n += (uint64_t)k;
	}
	w->ri = w->rn = 0;
	w->rec_in_pass = 0;
	if (!all) { /* damaged or out of memory: stream from the start (rewinding to 0 cannot fail) */
		(void)mb_profile_reader_rewind(w->rd, 0);
		return;
	}
	free(w->rbuf);
	w->rbuf = all;
	w->rn = (size_t)n;
	w->preloaded = true;
}

/* Queues one record on its connection (or drops it when another worker owns its lane). */
static int route(struct rp_worker *w, const struct mb_record *r, uint64_t intended)
{
	bool cont = (r->rflags & MB_RF_BATCH_CONT) != 0;
	if (!cont) {
		w->cur_batch++;
		w->cur_lane = lane_of(w, r);
		w->cur_mine = w->cur_lane % w->n == w->id;
		w->cur_skip = op_skipped(w->o, r->op);
		if (w->cur_mine && w->cur_skip)
			rp_stats_at(&w->st, intended ? intended : w->now)->skipped_ops++;
	}
	if (!w->cur_mine || w->cur_skip)
		return 0;
	unsigned server = 0;
	if (w->o->nservers > 1 && r->key_id != MB_KEY_NONE) {
		char key[RP_MAX_KEY + 1];
		size_t klen = rp_key(&w->kg, r->key_id, r->key_len, key);
		server = rp_memc_server(w->memc, w->o->nservers, key, klen);
	}
	size_t fam = w->p->nfam == 2 && r->proto == MB_PROTO_BINARY;
	struct rp_conn *c = &w->conns[((size_t)(w->cur_lane / w->n) * w->o->nservers + server) *
				      w->p->nfam + fam];
	struct rp_qent *e = q_push(c);
	if (!e)
		return -ENOMEM;
	e->rec = *r;
	e->intended = intended;
	e->pulled = w->now;
	if (c->batch != w->cur_batch)
		e->rec.rflags &= (uint8_t)~MB_RF_BATCH_CONT; /* first key of this server's part */
	c->batch = w->cur_batch;
	w->queued++;
	if (c->hungry && c->qn >= c->fcap - c->fn) {
		c->hungry = false;
		w->hungry--;
	}
	conn_mark_dirty(c);
	return 0;
}

/* No more requests are taken from the profile; what is queued and in flight may finish. */
static void worker_begin_drain(struct rp_worker *w, uint64_t deadline)
{
	if (w->state != RP_RUNNING)
		return;
	w->state = RP_DRAINING;
	w->eof = true;
	w->drain_deadline = deadline;
}

/* Pulls every record due by now (schedule) or enough to keep connections busy (max: about
 * 4 x depth per connection, and more while a connection with room has fewer queued than it may
 * send, up to 16 times that: the profile's order decides which connection the next record is
 * for, and a connection left short would send what a reply freed in two writes).
 * @return the next deadline (absolute ns), UINT64_MAX when nothing is scheduled, or 0 on a
 * fatal error (reported). */
static uint64_t worker_pull(struct rp_worker *w)
{
	bool max = w->o->rate_mode == RP_RATE_MAX;
	uint64_t want = (uint64_t)w->nconns * w->o->depth * 4;
	uint64_t most = want * 16 < RP_QUEUE_CAP ? want * 16 : RP_QUEUE_CAP;
	for (;;) {
		if (w->state != RP_RUNNING)
			return UINT64_MAX;
		int rc = reader_peek(w);
		if (rc < 0) {
			mb_warn("%s: %s; replaying what was read", w->o->profile,
				mb_profile_reader_errmsg(w->rd));
			w->eof = true;
			return UINT64_MAX;
		}
		if (rc == 0)
			return UINT64_MAX;
		const struct mb_record *r = &w->rbuf[w->ri];
		bool cont = (r->rflags & MB_RF_BATCH_CONT) != 0;
		uint64_t intended = 0;
		if (max) {
			if (!cont && w->queued >= want && (!w->hungry || w->queued >= most))
				return UINT64_MAX; /* refilled on replies */
			if (!cont && w->now >= w->run->end_ns) {
				worker_begin_drain(w, UINT64_MAX);
				return UINT64_MAX;
			}
		} else {
			intended = intended_of(w, r->time_ns);
			if (!cont && intended > w->run->end_ns) {
				worker_begin_drain(w, UINT64_MAX);
				return UINT64_MAX;
			}
			if (!cont && rp_pace_due(&w->pace, intended) > w->now)
				return intended;
			if (!cont && w->queued >= RP_QUEUE_CAP)
				return w->now + 1000000; /* the target is far behind: pause pulling */
		}
		if (route(w, r, intended) != 0) {
			mb_error("out of memory");
			return 0;
		}
		w->ri++;
		w->rec_in_pass++;
	}
}

/* Every connection that got records or replies since the last call writes (at most) once. */
static void worker_dispatch_dirty(struct rp_worker *w)
{
	for (size_t i = 0; i < w->ndirty; i++) {
		struct rp_conn *c = w->dirty[i];
		c->dirty = false;
		c->hungry = false;
		conn_dispatch(c);
	}
	w->ndirty = 0;
	w->hungry = 0;
}

/* The end of a wakeup (worker_main, after the event loop returns): the connections whose
 * replies were read in it send what those freed, one write each, after every ready connection
 * has been read; in --rate max the queues are topped up first, so that a connection can fill
 * all the room it got. */
static void worker_flush(struct rp_worker *w)
{
	if (w->ndirty == 0 || w->halt)
		return;
	w->now = mb_mono_ns();
	if (w->o->rate_mode == RP_RATE_MAX && w->state == RP_RUNNING && !w->eof) {
		for (size_t i = 0; i < w->ndirty; i++) {
			struct rp_conn *c = w->dirty[i];
			c->hungry = c->up && !c->blocked && !conn_mid_write(c) &&
				    c->qn < c->fcap - c->fn;
			w->hungry += c->hungry;
		}
		if (worker_pull(w) == 0) {
			worker_halt(w);
			return;
		}
	}
	worker_dispatch_dirty(w);
	worker_check_done(w);
}

/* Arms the schedule timerfd for an absolute CLOCK_MONOTONIC deadline (a past one fires at once). */
static void worker_arm(struct rp_worker *w, uint64_t deadline)
{
	if (deadline == 0)
		deadline = 1; /* 0 would disarm */
	if (w->armed == deadline)
		return;
	struct itimerspec its = {
		.it_value = {.tv_sec = (time_t)(deadline / RP_NS_PER_SEC),
			     .tv_nsec = (long)(deadline % RP_NS_PER_SEC)},
	};
	if (timerfd_settime(w->tfd, TFD_TIMER_ABSTIME, &its, NULL) == 0)
		w->armed = deadline;
	else
		mb_warn("timerfd_settime: %s", strerror(errno));
}

/* Pulls what is due and sends it, then waits for the next deadline. Pacing (docs/replay.md,
 * "Pacing"): a send due within --spin of now is busy-waited for (spin_for), so short recorded
 * gaps are kept instead of collapsing into a back-to-back burst. A longer wait sleeps on the
 * timer, armed `early` before the deadline (early tracks the 98th percentile of the timer's
 * lateness), and the rest is busy-waited: most sends then leave on time, for a short spin per
 * sleep. A wakeup that comes after the deadline anyway sets `shift`: the sends that follow it
 * are due at intended + a shift that decays to nothing (pace.c), so their gaps to it are kept
 * within 1/8 while the worker catches up; the next late wakeup starts over, so shifts never
 * accumulate. Lag is always measured from the intended time. */
static void worker_run_schedule(struct rp_worker *w)
{
	w->spin_for = 0;
	w->now = mb_mono_ns();
	uint64_t next = worker_pull(w);
	worker_dispatch_dirty(w);
	if (next == 0) {
		worker_halt(w);
		return;
	}
	if (next == UINT64_MAX) {
		worker_check_done(w);
		return;
	}
	uint64_t due = rp_pace_due(&w->pace, next);
	if (w->o->spin_ns && due <= mb_mono_ns() + w->o->spin_ns) {
		w->spin_for = due;
		return;
	}
	w->wake_for = next;
	worker_arm(w, next > w->early ? next - w->early : next);
}

/* Streaming 98th percentile of the timer's lateness (frugal estimator: up 49 steps when a
 * sample is above, down 1 when below, so it settles where 2% are above), within [0, --spin].
 * The 90th percentile left one send in ten late and its gap off by the timer's jitter, which a
 * 2x replay doubles; the 98th costs ~50 us more spinning per sleep. */
static void track_lateness(struct rp_worker *w, uint64_t late)
{
	const uint64_t step = 1000;
	if (late > w->early)
		w->early += 49 * step;
	else if (w->early >= step)
		w->early -= step;
	if (w->early > w->o->spin_ns)
		w->early = w->o->spin_ns;
}

static void worker_on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct rp_worker *w = arg;
	uint64_t expirations;
	(void)what;
	if (read(fd, &expirations, sizeof(expirations)) < 0 && errno == EAGAIN)
		return; /* spurious: not expired yet */
	uint64_t now = mb_mono_ns();
	track_lateness(w, now > w->armed ? now - w->armed : 0);
	w->armed = 0;
	if (now < w->wake_for) { /* woke early, as meant: spin to the deadline */
		rp_pace_clear(&w->pace);
		w->spin_for = w->wake_for;
		return;
	}
	rp_pace_late(&w->pace, w->wake_for, now);
	worker_run_schedule(w);
}

/* ---- time series, end of run ----------------------------------------------------------- */

/* The tick reports seconds that ended while nothing was sent or received (sends and replies
 * roll the series themselves); it is armed 1 ms after the open second's end. */
static void worker_arm_tick(struct rp_worker *w)
{
	uint64_t now = mb_mono_ns();
	uint64_t at = w->sa.end_ns + 1000000;
	uint64_t d = at > now ? at - now : 0;
	struct timeval tv = {.tv_sec = (time_t)(d / RP_NS_PER_SEC),
			     .tv_usec = (suseconds_t)(d % RP_NS_PER_SEC / 1000)};
	evtimer_add(w->tick, &tv);
}

/* --metrics: the worker's stats and state for the scrapes (metrics.h), once a second from the
 * tick and once at the end. Cost: a copy of its stats and a pass over its connections. */
static void worker_publish(struct rp_worker *w, bool final)
{
	unsigned up[RP_MAX_SERVERS] = {0};
	uint64_t fl[RP_MAX_SERVERS] = {0};
	for (size_t i = 0; i < w->nconns; i++) {
		const struct rp_conn *c = &w->conns[i];
		size_t s = (size_t)(c->srv - w->o->servers);
		up[s] += c->up;
		fl[s] += c->fn;
	}
	struct rp_metrics_view v = {.st = &w->st, .inflight = w->inflight, .queued = w->queued,
				    .up = up, .srv_inflight = fl};
	rp_metrics_publish(w->run->metrics, w->id, &v, final);
}

static void worker_on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct rp_worker *w = arg;
	(void)fd;
	(void)what;
	rp_series_acc_at(&w->run->series, &w->sa, mb_mono_ns(), w->inflight);
	if (w->run->metrics)
		worker_publish(w, false);
	worker_arm_tick(w);
}

/* Counts c's queued commands (not records: heads of batches) as unsent and empties its queue. */
static void conn_drop_queued(struct rp_conn *c)
{
	struct rp_worker *w = c->w;
	for (size_t k = 0; k < c->qn; k++) {
		const struct rp_qent *e = q_at(c, k);
		if (!(e->rec.rflags & MB_RF_BATCH_CONT))
			count_error(w, RP_ERR_UNSENT, 1, e->intended ? e->intended : w->now);
	}
	if (c->qn)
		q_pop(c, c->qn);
}

static void worker_finish(struct rp_worker *w)
{
	if (w->state == RP_DONE)
		return;
	rp_series_acc_at(&w->run->series, &w->sa, mb_mono_ns(), w->inflight);
	for (size_t i = 0; i < w->nconns; i++) {
		struct rp_conn *c = &w->conns[i];
		for (; c->fn; f_pop(c))
			count_error(w, RP_ERR_UNANSWERED, 1, f_head(c)->intended);
		conn_drop_queued(c);
	}
	w->state = RP_DONE;
	rp_series_acc_flush(&w->run->series, &w->sa, w->inflight);
	if (w->run->metrics)
		worker_publish(w, true);
	worker_halt(w);
}

static void worker_check_done(struct rp_worker *w)
{
	if (w->state == RP_DONE)
		return;
	if (w->eof && w->queued == 0 && w->inflight == 0)
		worker_finish(w);
}

static void worker_on_hk(evutil_socket_t fd, short what, void *arg)
{
	struct rp_worker *w = arg;
	(void)fd;
	(void)what;
	uint64_t now = mb_mono_ns();
	w->now = now;
	if (w->o->rate_mode == RP_RATE_MAX && w->state == RP_RUNNING && now >= w->run->end_ns)
		worker_begin_drain(w, UINT64_MAX);
	if (w->o->timeout_ns) {
		uint64_t limit = now > w->o->timeout_ns ? now - w->o->timeout_ns : 0;
		for (size_t i = 0; i < w->nconns; i++) {
			struct rp_conn *c = &w->conns[i];
			if (c->fn && f_head(c)->sent < limit)
				conn_fail(c, limit, 1);
		}
	}
	/* The end: after the last request, or --duration, queued and in-flight requests may finish
	 * while they make progress (a reply or a send at least every RP_DRAIN_NS, or --timeout if
	 * longer); after Ctrl-C, for RP_STOP_DRAIN_NS at most. */
	uint64_t grace = w->o->timeout_ns > RP_DRAIN_NS ? w->o->timeout_ns : RP_DRAIN_NS;
	if (w->eof && (now >= w->drain_deadline ||
			(now > w->last_progress && now - w->last_progress > grace)))
		worker_finish(w);
	else
		worker_check_done(w);
}

static void worker_on_stop(evutil_socket_t fd, short what, void *arg)
{
	struct rp_worker *w = arg;
	char b[16];
	(void)what;
	if (read(fd, b, sizeof(b)) < 0 && errno != EAGAIN)
		return;
	w->now = mb_mono_ns();
	for (size_t i = 0; i < w->nconns; i++)
		conn_drop_queued(&w->conns[i]);
	worker_begin_drain(w, w->now + RP_STOP_DRAIN_NS);
	if (w->now + RP_STOP_DRAIN_NS < w->drain_deadline)
		w->drain_deadline = w->now + RP_STOP_DRAIN_NS;
	worker_check_done(w);
}

/* ---- lifecycle ------------------------------------------------------------------------- */

/* Sets up every connection at once (non-blocking; --connect-timeout; Ctrl-C).
 * @return 0, MB_E_CONNECT, -EINTR or -ENOMEM (message in err). */
static int worker_connect_all(struct rp_worker *w, char *err, size_t errlen)
{
	struct rp_setup *s = calloc(w->nconns ? w->nconns : 1, sizeof(*s));
	int rc = s ? 0 : -ENOMEM;
	size_t started = 0;
	for (; rc == 0 && started < w->nconns; started++) {
		struct rp_conn *c = &w->conns[started];
		rc = rp_setup_start(&s[started], c->srv, w->run->sec, c->binary, &c->sess, err, errlen);
		rc = rc > 0 ? 0 : rc;
	}
	if (rc == 0)
		rc = rp_setup_wait(s, w->nconns, err, errlen);
	size_t i = 0;
	for (; rc == 0 && i < w->nconns; i++) {
		w->conns[i].ssl = s[i].ssl; /* from here on the connection owns fd and ssl */
		if (conn_attach(&w->conns[i], s[i].fd) != 0)
			rc = -ENOMEM;
	}
	for (i = rc == -ENOMEM ? i : 0; rc && s && i < started; i++)
		rp_setup_abort(&s[i]); /* idempotent: safe on those already given up */
	if (rc == -ENOMEM)
		snprintf(err, errlen, "out of memory");
	free(s);
	return rc;
}

int rp_worker_new(struct rp_worker **out, struct rp_run *run, unsigned id, unsigned n, char *err,
		  size_t errlen)
{
	const struct rp_opts *o = run->opts;
	const struct rp_plan *p = run->plan;
	int rc = -ENOMEM;
	struct rp_worker *w = calloc(1, sizeof(*w));
	*out = NULL;
	if (!w) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	w->run = run;
	w->o = o;
	w->p = p;
	w->id = id;
	w->n = n;
	w->stop_pipe[0] = w->stop_pipe[1] = -1;
	w->tfd = -1;
	if (rp_stats_init(&w->st) || rp_series_acc_init(&w->sa) ||
	    (o->warmup_ns && rp_stats_add_warmup(&w->st)))
		goto oom;
	rc = mb_profile_reader_open(&w->rd, o->profile, err, errlen);
	if (rc)
		goto cleanup;
	mb_profile_reader_skip_damaged(w->rd, o->allow_damaged); /* as the pre-scan did */
	w->kg = (struct rp_keygen){.rd = w->rd, .key_mode = p->key_mode, .prefix = o->key_prefix,
				   .prefix_len = o->key_prefix_len};
	/* a handle of its own, built like the main one (memcached_clone loses the ketama
	 * weighting, and with it the placement) */
	w->memc = rp_memc_new(o->servers, o->nservers, o->distribution, o->hash, err, errlen);
	if (!w->memc) {
		rc = MB_E_USAGE;
		goto cleanup;
	}
	rc = -ENOMEM;
	w->rbuf = malloc(RP_READ_CHUNK * sizeof(*w->rbuf));
	if (!w->rbuf)
		goto oom;

	struct event_config *cfg = event_config_new();
	if (!cfg)
		goto oom;
	/* No PRECISE_TIMER: libevent's own timers (1 s tick, housekeeping) may be coarse; the
	 * schedule has its own timerfd. */
	event_config_set_flag(cfg, EVENT_BASE_FLAG_NOLOCK | EVENT_BASE_FLAG_NO_CACHE_TIME);
	w->base = event_base_new_with_config(cfg);
	event_config_free(cfg);
	if (!w->base)
		goto oom;
	if (pipe2(w->stop_pipe, O_NONBLOCK | O_CLOEXEC) != 0) {
		rc = -errno;
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		goto cleanup;
	}
	w->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (w->tfd < 0) {
		rc = -errno;
		snprintf(err, errlen, "timerfd_create: %s", strerror(errno));
		goto cleanup;
	}
	w->timer = event_new(w->base, w->tfd, EV_READ | EV_PERSIST, worker_on_timer, w);
	w->tick = evtimer_new(w->base, worker_on_tick, w);
	w->hk = event_new(w->base, -1, EV_PERSIST, worker_on_hk, w);
	w->stopev = event_new(w->base, w->stop_pipe[0], EV_READ | EV_PERSIST, worker_on_stop, w);
	if (!w->timer || !w->tick || !w->hk || !w->stopev)
		goto oom;

	size_t nlocal = p->nlanes > id ? (p->nlanes - id + n - 1) / n : 0;
	w->nconns = nlocal * o->nservers * p->nfam;
	w->unstamped = w->nconns; /* until conn_attach turns the kernel's stamps on */
	w->conns = calloc(w->nconns ? w->nconns : 1, sizeof(*w->conns));
	w->dirty = calloc(w->nconns ? w->nconns : 1, sizeof(*w->dirty));
	if (!w->conns || !w->dirty)
		goto oom;
	for (size_t i = 0; i < w->nconns; i++) {
		struct rp_conn *c = &w->conns[i];
		c->w = w;
		c->fd = -1;
		c->srv = &o->servers[(i / p->nfam) % o->nservers];
		c->fcap = o->depth;
		c->f = calloc(c->fcap, sizeof(*c->f));
		c->done_write = UINT32_MAX;
		c->retry = evtimer_new(w->base, conn_on_retry, c);
		c->binary = p->nfam == 2 ? i % 2 == 1 : p->binary;
		if (!c->f || !c->retry || conn_new_parser(c) != 0)
			goto oom;
	}
	rc = worker_connect_all(w, err, errlen);
	if (rc)
		goto cleanup;
	/* decode the first block now, not at t0 (it would delay the first requests) */
	rc = reader_peek(w);
	if (rc < 0) {
		snprintf(err, errlen, "%s", mb_profile_reader_errmsg(w->rd));
		goto cleanup;
	}
	*out = w;
	return 0;
oom:
	rc = -ENOMEM;
	snprintf(err, errlen, "out of memory");
cleanup:
	rp_worker_free(w);
	return rc;
}

static void *worker_main(void *arg)
{
	struct rp_worker *w = arg;
	sigset_t all;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL); /* signals go to the main thread */
	/* Decode the profile (or its first block) now, before t0 is set: done at the first deadline
	 * instead, it made the first requests milliseconds late. (An error is reported by the
	 * first pull.) */
	reader_preload(w);
	(void)reader_peek(w);
	pthread_mutex_lock(&w->run->mu);
	w->run->ready++;
	pthread_cond_broadcast(&w->run->gate);
	while (!w->run->released)
		pthread_cond_wait(&w->run->gate, &w->run->mu);
	pthread_mutex_unlock(&w->run->mu);
	struct timeval hk = {.tv_sec = 0, .tv_usec = RP_HK_NS / 1000};
	if (w->o->timeout_ns && w->o->timeout_ns / 4 < RP_HK_NS)
		hk.tv_usec = (suseconds_t)(w->o->timeout_ns / 4000 + 1);
	event_add(w->hk, &hk);
	event_add(w->stopev, NULL);
	w->sa.end_ns = w->run->t0 + RP_NS_PER_SEC;
	w->st.warmup_end_ns = w->run->t0 + w->o->warmup_ns;
	w->drain_deadline = UINT64_MAX;
	w->last_progress = w->run->t0;
	worker_arm_tick(w);
	event_add(w->timer, NULL);
	w->early = w->o->spin_ns < 50000 ? w->o->spin_ns : 50000; /* a first guess; tracked */
	w->wake_for = w->run->t0;
	worker_arm(w, w->run->t0 - w->early); /* first send at t0 */
	if (w->nconns == 0)
		worker_finish(w);
	/* event_base_dispatch(), except that while a send deadline is near (spin_for) the loop
	 * reads the clock (vDSO, no syscall) and sends the moment the deadline passes, and polls the
	 * network without blocking only every RP_POLL_NS while replies are awaited (RP_IDLE_POLL_NS
	 * otherwise, for the stop pipe and libevent's timers); after each wakeup, worker_flush. */
	while (!w->halt) {
		if (!w->spin_for) {
			if (event_base_loop(w->base, EVLOOP_ONCE) != 0)
				break;
		} else {
			/* sends first; replies are read at least every RP_POLL_NS also while the
			 * worker is behind and every iteration finds a send due */
			uint64_t now = mb_mono_ns();
			bool ran = false;
			if (now >= w->spin_for) {
				worker_run_schedule(w);
				now = mb_mono_ns();
				ran = true;
			}
			if (now >= w->next_poll) {
				bool busy = w->inflight || w->ndirty;
				w->next_poll = now + (!busy	      ? RP_IDLE_POLL_NS
						      : w->unstamped ? RP_POLL_NS
								     : RP_POLL_STAMPED_NS);
				if (event_base_loop(w->base, EVLOOP_NONBLOCK) < 0)
					break;
				ran = true;
			}
			/* nothing due: spin on. No PAUSE here: under KVM a PAUSE loop can trigger
			 * pause-loop exiting, which deschedules the vCPU as if it spun on a lock */
			if (!ran)
				continue;
		}
		worker_flush(w);
	}
	if (w->state != RP_DONE)
		worker_finish(w);
	pthread_mutex_lock(&w->run->mu);
	w->run->done_workers++;
	pthread_mutex_unlock(&w->run->mu);
	return NULL;
}

int rp_worker_start(struct rp_worker *w)
{
	int rc = pthread_create(&w->th, NULL, worker_main, w);
	if (rc)
		return -rc;
	w->started = true;
	return 0;
}

void rp_worker_stop(struct rp_worker *w)
{
	if (w->stop_pipe[1] >= 0 && write(w->stop_pipe[1], "s", 1) < 0) {
		/* the pipe is full: a stop is already pending */
	}
}

void rp_worker_join(struct rp_worker *w)
{
	if (w->started)
		pthread_join(w->th, NULL);
	w->started = false;
}

const struct rp_stats *rp_worker_stats(const struct rp_worker *w)
{
	return &w->st;
}

void rp_worker_free(struct rp_worker *w)
{
	if (!w)
		return;
	rp_worker_join(w);
	for (size_t i = 0; w->conns && i < w->nconns; i++) {
		struct rp_conn *c = &w->conns[i];
		conn_detach(c);
		if (c->sess)
			SSL_SESSION_free(c->sess);
		if (c->retry)
			event_free(c->retry);
		if (c->parser)
			mb_proto_conn_free(c->parser);
		rp_cas_free(&c->cas);
		mb_buf_free(&c->out);
		free(c->q);
		free(c->f);
	}
	free(w->conns);
	free(w->dirty);
	if (w->timer)
		event_free(w->timer);
	if (w->tick)
		event_free(w->tick);
	if (w->hk)
		event_free(w->hk);
	if (w->stopev)
		event_free(w->stopev);
	if (w->base)
		event_base_free(w->base);
	if (w->tfd >= 0)
		close(w->tfd);
	if (w->stop_pipe[0] >= 0)
		close(w->stop_pipe[0]);
	if (w->stop_pipe[1] >= 0)
		close(w->stop_pipe[1]);
	if (w->memc)
		memcached_free(w->memc);
	if (w->rd)
		mb_profile_reader_close(w->rd);
	free(w->rbuf);
	free(w->val);
	free(w->kbuf);
	free(w->kptr);
	free(w->klen);
	rp_stats_free(&w->st);
	rp_series_acc_free(&w->sa);
	free(w);
}
