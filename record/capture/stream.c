/* capture_stream: capture records -> reassembled streams -> codec -> time-ordered profile records.
 * See capture/stream.h for the pipeline; the ring-buffer record layouts are in bpf/capture.h.
 *
 * Invariants:
 *  - conns: chained hash on the struct sock address; at most one live connection per address
 *    (a newer generation replaces and finishes the older one).
 *  - per connection and direction, next_off is the stream offset of the next byte the codec
 *    expects; every byte before it was either fed or declared as a gap, exactly once.
 *  - arrivals: per connection, a ring of disjoint request-byte ranges [start, end) in increasing
 *    order, each with the time it arrived; ranges wholly before next_off[REQUEST] are dropped.
 *    They come from ARRIVE records (queued at the back) and from data records whose first bytes
 *    reached an empty socket (arrive_ts: queued at the front, before the ranges that arrived
 *    while those bytes waited).
 *    The times fed for a server end's request bytes never decrease along the stream, so the
 *    reorder window cannot swap two requests of one connection (bytes whose arrival is unknown
 *    take the next known arrival's time, if earlier than their read).
 *  - heap: binary min-heap on (time_ns, seq), keys stored in the entries; seq is the order in
 *    which the codec completed the records, so records of equal time keep their completion
 *    (request) order. O(log n) per record, n = records inside the window.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <linux/types.h>

#include "capture.h"
#include "capture/stream.h"
#include "membench/cli.h"
#include "membench/mix.h"
#include "membench/proto.h"

/* Request bytes [start, end) reached the server's socket at ts. */
struct arrival {
	uint64_t start, end, ts;
};

#define ARRIVALS_MAX 4096 /* per connection; beyond it the oldest range is dropped and its bytes
			   * take the next range's time */

struct conn {
	struct conn *next; /* hash chain */
	struct capture_stream *s;
	uint64_t sock, gen;
	struct mb_proto_conn *pc;
	uint64_t next_off[2]; /* per enum mb_dir */
	uint64_t seg_end[2];  /* end offset of the last segment the capture announced */
	bool started[2];
	bool accepted;        /* stream starts at offset 0 (seen at accept/connect) */
	uint8_t role;         /* enum mb_cap_role, 0 = unknown (OPEN record lost) */
	uint32_t id;          /* dense id in the profile, UINT32_MAX until its first record */
	struct arrival *arr;  /* ring: arr_n ranges from arr_head, capacity arr_cap (power of 2) */
	uint32_t arr_head, arr_n, arr_cap;
	uint64_t arr_end;     /* end of the newest range queued */
	uint64_t req_ts;      /* time given to the last request bytes fed: times never go back */
	bool tls;             /* started with a TLS record: ciphertext, never fed to the codec */
};

struct pending {
	struct mb_record rec;
	uint64_t seq;
	uint32_t key_len;
	bool has_key;
	char key[]; /* key_len bytes */
};

struct capture_stream {
	struct capture_stream_opts opts;
	capture_stream_sink_fn sink;
	void *ctx;
	int err; /* first error from an allocation inside a codec callback, or the sink */

	struct conn **buckets;
	size_t nbuckets, nconns;
	uint32_t next_conn_id;

	struct heap_ent *heap;
	size_t nheap, capheap;
	uint64_t seq;
	uint64_t max_ts;        /* newest capture time seen */
	uint64_t last_released; /* time_ns of the newest record released */

	struct mb_proto_stats closed; /* codec counters of connections already freed */
	uint64_t events, truncated_bytes, stream_gaps, gap_bytes;
	struct capture_stream_counters cnt;
	bool tls_warned;
};

/* ---- reorder window ------------------------------------------------------------------------ */

/* Heap entries carry their sort key, so sifting never touches the records themselves. */
struct heap_ent {
	uint64_t time_ns, seq;
	struct pending *p;
};

static bool ent_before(const struct heap_ent *a, const struct heap_ent *b)
{
	return a->time_ns != b->time_ns ? a->time_ns < b->time_ns : a->seq < b->seq;
}

static int heap_push(struct capture_stream *s, struct pending *p)
{
	if (s->nheap == s->capheap) {
		size_t cap = s->capheap ? s->capheap * 2 : 1024;
		struct heap_ent *h = realloc(s->heap, cap * sizeof(*h));
		if (!h)
			return -ENOMEM;
		s->heap = h;
		s->capheap = cap;
	}
	struct heap_ent e = {p->rec.time_ns, p->seq, p};
	size_t i = s->nheap++;
	while (i > 0) {
		size_t up = (i - 1) / 2;
		if (!ent_before(&e, &s->heap[up]))
			break;
		s->heap[i] = s->heap[up];
		i = up;
	}
	s->heap[i] = e;
	return 0;
}

static struct pending *heap_pop(struct capture_stream *s)
{
	struct pending *top = s->heap[0].p;
	struct heap_ent last = s->heap[--s->nheap];
	size_t i = 0;
	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= s->nheap)
			break;
		if (c + 1 < s->nheap && ent_before(&s->heap[c + 1], &s->heap[c]))
			c++;
		if (!ent_before(&s->heap[c], &last))
			break;
		s->heap[i] = s->heap[c];
		i = c;
	}
	if (s->nheap)
		s->heap[i] = last;
	return top;
}

/* Releases records with time_ns < limit (relative to start). */
static int release_until(struct capture_stream *s, uint64_t limit)
{
	while (!s->err && s->nheap && s->heap[0].time_ns < limit) {
		struct pending *p = heap_pop(s);
		if (p->rec.time_ns < s->last_released)
			s->cnt.late_records++;
		else
			s->last_released = p->rec.time_ns;
		int rc = s->sink(s->ctx, &p->rec, p->has_key ? p->key : NULL, p->key_len);
		free(p);
		if (rc)
			s->err = rc;
		else
			s->cnt.records++;
	}
	return s->err;
}

int capture_stream_release(struct capture_stream *s)
{
	uint64_t horizon = s->opts.start_ns + s->opts.window_ns;
	if (s->max_ts <= horizon)
		return s->err;
	return release_until(s, s->max_ts - horizon);
}

void capture_stream_clock(struct capture_stream *s, uint64_t now_ns)
{
	if (now_ns > s->max_ts)
		s->max_ts = now_ns;
}

/* ---- codec callback ------------------------------------------------------------------------ */

static void on_cmd(void *ctx, const struct mb_proto_cmd *cmd)
{
	struct conn *c = ctx;
	struct capture_stream *s = c->s;
	if (s->err)
		return;
	/* a meta request's flag text rides behind the key (profile format 1.1, rec.meta_flags) */
	size_t flen = cmd->key ? cmd->meta_flags_len : 0;
	size_t klen = cmd->key ? cmd->key_len + flen : 0;
	struct pending *p = malloc(sizeof(*p) + klen);
	if (!p) {
		s->err = -ENOMEM;
		return;
	}
	if (c->id == UINT32_MAX)
		c->id = s->next_conn_id++;
	uint64_t start = s->opts.start_ns;
	p->rec = (struct mb_record){
		.time_ns = cmd->req_time_ns > start ? cmd->req_time_ns - start : 0,
		.key_id = cmd->key ? 0 : MB_KEY_NONE,
		.conn_id = c->id,
		.key_len = cmd->key_len,
		.value_len = cmd->value_len,
		.client_flags = cmd->client_flags,
		.ttl = cmd->ttl,
		.op = cmd->op,
		.proto = cmd->proto,
		.status = cmd->status,
		.rflags = cmd->rflags,
		.meta_flags = (uint32_t)flen,
	};
	if ((cmd->rflags & MB_RF_HAS_RESPONSE) && cmd->resp_time_ns >= cmd->req_time_ns)
		p->rec.latency_ns = cmd->resp_time_ns - cmd->req_time_ns;
	p->seq = s->seq++;
	p->has_key = cmd->key != NULL;
	p->key_len = (uint32_t)klen;
	if (klen)
		memcpy(p->key, cmd->key, klen - flen);
	if (flen)
		memcpy(p->key + klen - flen, cmd->meta_flags, flen);
	if (!(cmd->rflags & MB_RF_BATCH_CONT))
		s->cnt.requests++;
	if (heap_push(s, p)) {
		free(p);
		s->err = -ENOMEM;
	}
}

/* ---- connections --------------------------------------------------------------------------- */

static size_t bucket_of(const struct capture_stream *s, uint64_t sock)
{
	/* struct sock addresses are slab objects: drop the low bits, then mix. */
	return (size_t)mb_mix64(sock >> 6) & (s->nbuckets - 1);
}

static void add_stats(struct mb_proto_stats *t, const struct mb_proto_stats *a)
{
	t->requests += a->requests;
	t->responses += a->responses;
	t->protocol_errors += a->protocol_errors;
	t->gaps += a->gaps;
	t->gap_bytes += a->gap_bytes;
	t->gap_bytes_skipped += a->gap_bytes_skipped;
	t->resync_bytes += a->resync_bytes;
	t->unpaired_responses += a->unpaired_responses;
}

/* Finishes the connection's codec (pending requests are emitted without responses), keeps its
 * counters, unlinks and frees it. */
static void conn_end(struct capture_stream *s, struct conn *c)
{
	struct conn **pp = &s->buckets[bucket_of(s, c->sock)];
	while (*pp != c)
		pp = &(*pp)->next;
	*pp = c->next;
	s->nconns--;
	mb_proto_conn_finish(c->pc);
	add_stats(&s->closed, mb_proto_conn_stats(c->pc));
	mb_proto_conn_free(c->pc);
	free(c->arr);
	free(c);
}

static int grow_buckets(struct capture_stream *s)
{
	size_t n = s->nbuckets * 2;
	struct conn **b = calloc(n, sizeof(*b));
	if (!b)
		return -ENOMEM;
	struct conn **old = s->buckets;
	size_t oldn = s->nbuckets;
	s->buckets = b;
	s->nbuckets = n;
	for (size_t i = 0; i < oldn; i++) {
		struct conn *c = old[i];
		while (c) {
			struct conn *next = c->next;
			size_t j = bucket_of(s, c->sock);
			c->next = b[j];
			b[j] = c;
			c = next;
		}
	}
	free(old);
	return 0;
}

/* The live connection (sock, gen). A connection on the same struct sock with another generation
 * has been replaced in the kernel: it is ended. create: make it if missing (*c NULL otherwise).
 * @return 0 or -ENOMEM. */
static int conn_get(struct capture_stream *s, uint64_t sock, uint64_t gen, bool create,
		    struct conn **out)
{
	*out = NULL;
	for (struct conn *c = s->buckets[bucket_of(s, sock)]; c; c = c->next) {
		if (c->sock != sock)
			continue;
		if (c->gen == gen) {
			*out = c;
			return 0;
		}
		if (c->gen > gen)
			return 0; /* a record of an older connection, after its successor appeared */
		conn_end(s, c);
		break;
	}
	if (!create)
		return 0;
	if (s->nconns >= s->nbuckets && grow_buckets(s))
		return -ENOMEM;
	struct conn *c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	struct mb_proto_opts po = {.max_value_len = s->opts.max_value_len};
	c->pc = mb_proto_conn_new(&po, on_cmd, c);
	if (!c->pc) {
		free(c);
		return -ENOMEM;
	}
	c->s = s;
	c->sock = sock;
	c->gen = gen;
	c->id = UINT32_MAX;
	size_t b = bucket_of(s, sock);
	c->next = s->buckets[b];
	s->buckets[b] = c;
	s->nconns++;
	s->cnt.connections++;
	*out = c;
	return 0;
}

/* Declares [next_off, off) of direction d missing, sorting it into bytes the capture announced
 * but did not copy (the middle of this segment, which starts at seg_start, or the uncopied rest
 * of the previous one, which ended at seg_end) and bytes lost. */
static void conn_gap(struct capture_stream *s, struct conn *c, int d, uint64_t off, uint64_t seg_start,
		     uint64_t ts)
{
	uint64_t next = c->next_off[d], missing = off - next;
	uint64_t a = c->seg_end[d] < off ? c->seg_end[d] : off; /* announced: [next, a) */
	uint64_t b = seg_start > next ? seg_start : next;       /* announced: [b, off) */
	uint64_t truncated;
	if (a >= b)
		truncated = missing;
	else
		truncated = (a > next ? a - next : 0) + (off - b);
	s->truncated_bytes += truncated;
	if (missing > truncated) {
		s->stream_gaps++;
		s->gap_bytes += missing - truncated;
	}
	mb_proto_conn_gap(c->pc, (enum mb_dir)d, missing, ts);
	c->next_off[d] = off;
}

/* Start of a direction: a connection seen at accept/connect starts at 0; one that was already
 * open starts wherever the capture caught it (its OPEN record says where, or else its first
 * data), with what came before declared missing so the codec resynchronises rather than parse
 * the middle of a command. */
static void conn_start(struct capture_stream *s, struct conn *c, int d, uint64_t off, uint64_t ts)
{
	c->started[d] = true;
	if (c->accepted || off == 0)
		return;
	c->next_off[d] = off;
	s->cnt.preexisting_bytes += off;
	mb_proto_conn_gap(c->pc, (enum mb_dir)d, off, ts);
}

static struct arrival *arr_front(struct conn *c)
{
	return &c->arr[c->arr_head];
}

static void arr_pop(struct conn *c)
{
	c->arr_head = (c->arr_head + 1) & (c->arr_cap - 1);
	c->arr_n--;
}

/* Makes room for one more arrival. @return 0, 1 when the ring is full at ARRIVALS_MAX (the caller
 * drops one), or -ENOMEM. */
static int arr_room(struct conn *c)
{
	if (c->arr_n < c->arr_cap)
		return 0;
	if (c->arr_cap == ARRIVALS_MAX)
		return 1;
	uint32_t ncap = c->arr_cap ? c->arr_cap * 2 : 8;
	struct arrival *a = malloc(ncap * sizeof(*a));
	if (!a)
		return -ENOMEM;
	for (uint32_t i = 0; i < c->arr_n; i++)
		a[i] = c->arr[(c->arr_head + i) & (c->arr_cap - 1)];
	free(c->arr);
	c->arr = a;
	c->arr_cap = ncap;
	c->arr_head = 0;
	return 0;
}

/* Queues the arrival a data record carried (mb_cap_data.arrive_ts: its first bytes reached an
 * empty socket). It comes before every range queued so far, which arrived while these bytes
 * waited unread: it goes to the front, cut where the front range starts. @return 0 or
 * -ENOMEM. */
static int arr_push_front(struct capture_stream *s, struct conn *c, uint64_t start, uint64_t end,
			  uint64_t ts)
{
	if (start < c->next_off[MB_DIR_REQUEST])
		start = c->next_off[MB_DIR_REQUEST];
	while (c->arr_n && arr_front(c)->end <= start)
		arr_pop(c); /* ranges already fed (feed_requests drops them only when it next runs) */
	if (c->arr_n && end > arr_front(c)->start)
		end = arr_front(c)->start;
	if (end <= start)
		return 0;
	int rc = arr_room(c);
	if (rc)
		return rc < 0 ? rc : 0; /* full: the newest ranges are worth more than this one */
	c->arr_head = (c->arr_head + c->arr_cap - 1) & (c->arr_cap - 1);
	c->arr[c->arr_head] = (struct arrival){.start = start, .end = end, .ts = ts};
	c->arr_n++;
	if (end > c->arr_end)
		c->arr_end = end;
	s->cnt.arrivals++;
	return 0;
}

/* Queues an arrival. Repeated bytes (retransmissions) are trimmed; a range that starts beyond
 * the newest one (a reordered segment) is queued as it is: the bytes of the hole before it will
 * get read times. @return 0 or -ENOMEM. */
static int on_arrive(struct capture_stream *s, const struct mb_cap_arrive *e)
{
	struct conn *c;
	int rc = conn_get(s, e->hdr.sock, e->hdr.gen, true, &c);
	if (rc || !c)
		return rc;
	uint64_t start = e->offset, end = e->offset + e->len;
	uint64_t floor = c->arr_end > c->next_off[MB_DIR_REQUEST] ? c->arr_end :
								    c->next_off[MB_DIR_REQUEST];
	if (start < floor)
		start = floor;
	if (end <= start)
		return 0;
	int room = arr_room(c);
	if (room < 0)
		return room;
	if (room)
		arr_pop(c);
	c->arr[(c->arr_head + c->arr_n) & (c->arr_cap - 1)] =
		(struct arrival){.start = start, .end = end, .ts = e->hdr.ts_ns};
	c->arr_n++;
	c->arr_end = end;
	s->cnt.arrivals++;
	return 0;
}

/* Feeds request bytes [off, off + len) that a server read at read_ts, split where their
 * arrival times change. @return 0 or -ENOMEM. */
static int feed_requests(struct capture_stream *s, struct conn *c, const uint8_t *p, uint64_t off,
			 uint64_t len, uint64_t read_ts)
{
	while (len) {
		while (c->arr_n && arr_front(c)->end <= off)
			arr_pop(c);
		uint64_t n = len, ts = read_ts;
		bool stamped = false;
		if (c->arr_n) {
			const struct arrival *a = arr_front(c);
			if (a->start <= off) {
				n = a->end - off < len ? a->end - off : len;
				stamped = true;
			} else if (a->start - off < len) {
				n = a->start - off;
			}
			/* Bytes with no arrival of their own (a dropped or never-seen segment) came
			 * before the next one that has one: TCP delivers in order. */
			if (a->ts < ts)
				ts = a->ts;
		}
		/* A connection's requests keep their stream order in time too, whatever was lost. */
		if (ts < c->req_ts)
			ts = c->req_ts;
		c->req_ts = ts;
		if (stamped)
			s->cnt.arrival_bytes += n;
		else
			s->cnt.read_time_bytes += n;
		if (mb_proto_conn_feed(c->pc, MB_DIR_REQUEST, p, n, ts))
			return -ENOMEM;
		p += n;
		off += n;
		len -= n;
		c->next_off[MB_DIR_REQUEST] = off;
	}
	return 0;
}

/* A direction that starts (stream offset 0) with a TLS record header, handshake type 0x16 and
 * version major 3 (a ClientHello or ServerHello), carries TLS: memcached's protocols never
 * start with 0x16. Its bytes are ciphertext at the syscall layer (docs/record-ebpf.md): the
 * connection is skipped, counted, and the first one is reported once, instead of being fed to
 * the codec as protocol errors. */
static bool conn_is_tls(struct capture_stream *s, struct conn *c, uint64_t off, const uint8_t *p,
			uint64_t cap)
{
	if (!c->tls && off == 0 && cap >= 2 && p[0] == 0x16 && p[1] == 0x03) {
		c->tls = true;
		s->cnt.tls_connections++;
		if (!s->tls_warned)
			mb_warn("a traced connection carries TLS (it starts with a TLS handshake): "
				"encrypted bytes cannot be read at the syscall layer, so TLS "
				"connections are skipped (docs/record-ebpf.md)");
		s->tls_warned = true;
	}
	return c->tls;
}

static int on_piece(struct capture_stream *s, const struct mb_cap_data *e, const uint8_t *payload,
		    size_t avail)
{
	if (e->dir > MB_CAP_DIR_RESPONSE || e->cap_len > avail || e->seg_off > e->seg_len ||
	    e->offset < e->seg_off) {
		s->cnt.bad_events++;
		return 0;
	}
	struct conn *c;
	int rc = conn_get(s, e->hdr.sock, e->hdr.gen, true, &c);
	if (rc || !c)
		return rc;
	int d = e->dir;
	uint64_t ts = e->hdr.ts_ns, off = e->offset, cap = e->cap_len;
	if (conn_is_tls(s, c, off, payload, cap))
		return 0;
	uint64_t seg_start = off - e->seg_off;
	if (!c->started[d])
		conn_start(s, c, d, off, ts);
	if (off > c->next_off[d]) {
		conn_gap(s, c, d, off, seg_start, ts);
	} else if (off < c->next_off[d]) {
		uint64_t dup = c->next_off[d] - off;
		if (dup > cap)
			dup = cap;
		s->cnt.overlap_bytes += dup;
		payload += dup;
		cap -= dup;
		off += dup;
	}
	if (e->arrive_ts && d == MB_DIR_REQUEST && c->role == MB_CAP_ROLE_SERVER &&
	    arr_push_front(s, c, e->offset, e->offset + e->arrive_len, e->arrive_ts))
		return -ENOMEM;
	if (cap) {
		if (d == MB_DIR_REQUEST && c->role == MB_CAP_ROLE_SERVER) {
			if (feed_requests(s, c, payload, off, cap, ts))
				return -ENOMEM;
		} else {
			if (mb_proto_conn_feed(c->pc, (enum mb_dir)d, payload, cap, ts))
				return -ENOMEM;
			c->next_off[d] = off + cap;
		}
	}
	if (seg_start + e->seg_len > c->seg_end[d])
		c->seg_end[d] = seg_start + e->seg_len;
	return s->err;
}

/* A data record. One with a value hole (capture.h, "Values": a response's value payload the
 * kernel did not copy) is its bytes before the hole, the hole, its bytes after: the hole goes to
 * the codec as a gap inside the value, which it skips with no loss, and is counted apart from
 * truncated bytes and losses. */
static int on_data(struct capture_stream *s, const struct mb_cap_data *e, const uint8_t *payload,
		   size_t avail)
{
	if (e->dir <= MB_CAP_DIR_RESPONSE && !e->seg_off)
		s->cnt.traced_bytes[e->dir] += e->seg_len;
	if (!e->hole_len)
		return on_piece(s, e, payload, avail);
	if (e->dir != MB_CAP_DIR_RESPONSE || e->hole_at > e->cap_len || e->cap_len > avail ||
	    e->seg_off || e->seg_len != (uint64_t)e->cap_len + e->hole_len) {
		s->cnt.bad_events++;
		return 0;
	}
	struct mb_cap_data a = *e, b = *e;
	a.hole_len = b.hole_len = 0;
	a.cap_len = a.seg_len = e->hole_at;
	uint64_t hole = e->offset + e->hole_at;
	b.offset = hole + e->hole_len;
	b.seg_len = e->cap_len - e->hole_at;
	b.cap_len = b.seg_len;
	int rc = 0;
	if (a.cap_len && (rc = on_piece(s, &a, payload, a.cap_len)))
		return rc;
	struct conn *c;
	if ((rc = conn_get(s, e->hdr.sock, e->hdr.gen, false, &c)))
		return rc;
	if (c && !c->tls && c->started[MB_DIR_RESPONSE] && c->next_off[MB_DIR_RESPONSE] == hole) {
		mb_proto_conn_gap(c->pc, MB_DIR_RESPONSE, e->hole_len, e->hdr.ts_ns);
		c->next_off[MB_DIR_RESPONSE] = b.offset;
		s->cnt.value_bytes_skipped += e->hole_len;
	} else {
		/* the bytes before the hole are missing too: the hole is announced (the segment
		 * of b starts at it), so it is counted as not copied */
		b.seg_off = e->hole_len;
		b.seg_len += e->hole_len;
	}
	return b.cap_len ? on_piece(s, &b, payload + e->hole_at, b.cap_len) : s->err;
}

static int on_open(struct capture_stream *s, const struct mb_cap_conn *e)
{
	struct conn *c;
	int rc = conn_get(s, e->hdr.sock, e->hdr.gen, true, &c);
	if (rc || !c)
		return rc;
	c->accepted = e->accepted != 0;
	c->role = e->role;
	if (c->accepted || c->started[0] || c->started[1])
		return 0;
	/* Open before the capture: both directions start where the capture caught them. */
	s->cnt.preexisting++;
	bool server = c->role == MB_CAP_ROLE_SERVER;
	conn_start(s, c, MB_DIR_REQUEST, server ? e->rx_offset : e->tx_offset, e->hdr.ts_ns);
	conn_start(s, c, MB_DIR_RESPONSE, server ? e->tx_offset : e->rx_offset, e->hdr.ts_ns);
	return 0;
}

/* Stream end: the final offsets say whether the last bytes of each direction were missed. */
static int on_close(struct capture_stream *s, const struct mb_cap_conn *e)
{
	struct conn *c;
	int rc = conn_get(s, e->hdr.sock, e->hdr.gen, false, &c);
	if (rc || !c)
		return rc;
	if (c->role && !c->tls) {
		bool server = c->role == MB_CAP_ROLE_SERVER;
		uint64_t end[2] = {
			[MB_DIR_REQUEST] = server ? e->rx_offset : e->tx_offset,
			[MB_DIR_RESPONSE] = server ? e->tx_offset : e->rx_offset,
		};
		for (int d = 0; d < 2; d++) {
			if (!c->started[d] && c->accepted && end[d])
				c->started[d] = true; /* every byte of this direction was missed */
			if (c->started[d] && end[d] > c->next_off[d])
				conn_gap(s, c, d, end[d], end[d], e->hdr.ts_ns);
		}
	}
	conn_end(s, c);
	return s->err;
}

int capture_stream_event(struct capture_stream *s, const void *data, size_t size)
{
	struct mb_cap_hdr h;
	if (s->err)
		return s->err;
	if (size < sizeof(h)) {
		s->cnt.bad_events++;
		return 0;
	}
	memcpy(&h, data, sizeof(h));
	s->events++;
	if (h.ts_ns > s->max_ts)
		s->max_ts = h.ts_ns;
	switch (h.kind) {
	case MB_CAP_DATA: {
		struct mb_cap_data e;
		if (size < sizeof(e))
			break;
		memcpy(&e, data, sizeof(e));
		return on_data(s, &e, (const uint8_t *)data + sizeof(e), size - sizeof(e));
	}
	case MB_CAP_ARRIVE: {
		struct mb_cap_arrive e;
		if (size < sizeof(e))
			break;
		memcpy(&e, data, sizeof(e));
		return on_arrive(s, &e);
	}
	case MB_CAP_OPEN:
	case MB_CAP_CLOSE: {
		struct mb_cap_conn e;
		if (size < sizeof(e))
			break;
		memcpy(&e, data, sizeof(e));
		return h.kind == MB_CAP_OPEN ? on_open(s, &e) : on_close(s, &e);
	}
	default:
		break;
	}
	s->cnt.bad_events++;
	return 0;
}

int capture_stream_finish(struct capture_stream *s)
{
	for (size_t i = 0; i < s->nbuckets; i++)
		while (s->buckets[i])
			conn_end(s, s->buckets[i]);
	if (s->err)
		return s->err;
	return release_until(s, UINT64_MAX);
}

void capture_stream_stats(const struct capture_stream *s, struct mb_profile_stats *out)
{
	struct mb_proto_stats t = s->closed;
	for (size_t i = 0; i < s->nbuckets; i++)
		for (const struct conn *c = s->buckets[i]; c; c = c->next)
			add_stats(&t, mb_proto_conn_stats(c->pc));
	memset(out, 0, sizeof(*out));
	out->requests = t.requests;
	out->responses = t.responses;
	out->protocol_errors = t.protocol_errors;
	out->resync_bytes = t.resync_bytes;
	out->unpaired_responses = t.unpaired_responses;
	out->truncated_bytes = s->truncated_bytes;
	out->stream_gaps = s->stream_gaps;
	out->gap_bytes = s->gap_bytes;
	out->events = s->events;
}

const struct capture_stream_counters *capture_stream_counters(const struct capture_stream *s)
{
	return &s->cnt;
}

struct capture_stream *capture_stream_new(const struct capture_stream_opts *opts, capture_stream_sink_fn sink,
				    void *ctx)
{
	struct capture_stream *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->opts = *opts;
	s->sink = sink;
	s->ctx = ctx;
	s->nbuckets = 256;
	s->buckets = calloc(s->nbuckets, sizeof(*s->buckets));
	if (!s->buckets) {
		free(s);
		return NULL;
	}
	return s;
}

void capture_stream_free(struct capture_stream *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->nbuckets; i++) {
		struct conn *c = s->buckets[i];
		while (c) {
			struct conn *next = c->next;
			mb_proto_conn_free(c->pc);
			free(c);
			c = next;
		}
	}
	for (size_t i = 0; i < s->nheap; i++)
		free(s->heap[i].p);
	free(s->heap);
	free(s->buckets);
	free(s);
}
