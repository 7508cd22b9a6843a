// SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only)
/* capture: copies both directions of memcached TCP traffic to user space (membench record ebpf:).
 *
 * Syscall tracepoints, enter and exit: read, readv, recvfrom, recvmsg, recvmmsg, write, writev,
 * sendto, sendmsg, sendmmsg carry data; accept, accept4 and connect open connections; close ends
 * them. (x86_64 has no send/recv tracepoints: libc implements them with sendto/recvfrom.)
 *
 *   enter: armed? -> process filter (own pid excluded, pid, cgroup, process name) -> fd -> file
 *          (a socket inode) -> socket -> sock -> tracked in `conns`? (else: TCP over IPv4/IPv6,
 *          role from the port set, side filter) -> stash the arguments in `inflight`, keyed by
 *          thread (pid_tgid). Received data is stamped at exit, sent data at entry.
 *   exit:  the return value says how many bytes moved; the stream offset of the last byte comes
 *          from the socket (copied_seq after a receive, write_seq after a send); every buffer and
 *          every iovec (bpf_loop, up to UIO_MAXIOV per message, every message of *mmsg) is copied
 *          into ring-buffer records: a segment's head up to max_bytes and its tail up to
 *          tail_bytes (one record each); the middle of a longer segment (a large value) is
 *          described (offset, length) but not copied.
 *
 * Arrivals: a raw tracepoint on tcp_probe (the top of tcp_rcv_established) announces each
 * segment of request bytes reaching the server end of a traced connection, with its time, so
 * user space stamps a request when it arrived rather than when the server read it; segments
 * that arrive before accept() returns wait in `early` and are announced by accept.
 *
 * Connection state (`conns`, keyed by struct sock address) holds the generation and, per
 * direction, the constant k = (tcp sequence - stream offset) mod 2^32 and the last 64-bit offset,
 * so that offset(seq) = last + (s32)(seq - k - (u32)last). k is exact when the connection is seen
 * at accept (copied_seq and write_seq are the first bytes) or connect (write_seq); otherwise it
 * is derived once from the kernel's 64-bit byte counters (bytes_received, bytes_acked). The
 * sequence numbers read afterwards (copied_seq, write_seq) change only inside the application's
 * own syscalls, so offsets do not race with packet processing.
 *
 * Nothing is silent: a failed ring-buffer reservation is counted in the per-CPU `counters`
 * (records and payload bytes), and a lost record leaves a gap in the stream offsets that user
 * space sees and reports.
 *
 * Configuration is in .rodata, set by user space before load; `armed` (.bss) is set once every
 * program is attached. See capture.h for the records.
 */
#include "mb_vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "capture.h"
#include "fd_sock.h"

#define AF_INET 2
#define AF_INET6 10
#define IPPROTO_TCP 6
#define SOCK_STREAM 1
#define MSG_PEEK 0x02
#define EINPROGRESS 115
#define RCV_SHUTDOWN 1
/* TCP states in which our own FIN has been queued. */
#define TCP_FIN_WAIT1 4
#define TCP_FIN_WAIT2 5
#define TCP_TIME_WAIT 6
#define TCP_LAST_ACK 9
#define TCP_CLOSING 11

/* Keeps the compiler from reusing an unchecked copy of v after a bounds check (the verifier
 * tracks bounds per register). */
#define mb_barrier_var(v) asm volatile("" : "+r"(v))

/* ---- configuration (.rodata, written by user space before load) ------------------------- */

const volatile __u32 self_tgid = 0;         /* never traced: the recorder itself */
const volatile __u32 filter_tgid = 0;       /* 0 = every process */
const volatile __u64 filter_cgroup = 0;     /* cgroup v2 id, 0 = every cgroup */
const volatile __u32 filter_cgroup_level = 0; /* its depth below the cgroup2 root */
const volatile __u8 filter_comm_on = 0;
const volatile char filter_comm[MB_CAP_COMM_LEN] = {};
const volatile __u8 side = MB_CAP_SIDE_AUTO;
const volatile __u32 max_bytes = 16384;     /* head bytes copied per segment */
const volatile __u32 tail_bytes = 4096;     /* tail bytes copied of a longer segment */
const volatile __u64 port_bits[1024] = {};  /* bit p set: TCP port p is memcached's */
const volatile __u64 sample_below = 0;    /* sampling: a connection is traced when its
					     * hash (mb_cap_conn_hash) is below this; 0 = all */
const volatile __u8 full_values = 0;       /* copy value payloads of responses too */
const volatile __u64 wakeup_bytes = 0;      /* wake the reader only past this much unread
					     * data (it polls on a timer); 0 = every record */

/* Set by user space once every program is attached. The programs are attached one by one, so a
 * syscall entering before its exit program is attached would be stashed and never completed:
 * its bytes would be lost at the start of every busy connection. Until armed, entries do
 * nothing. (.bss: writable from user space while the programs run.) */
__u32 armed = 0;

/* ---- maps -------------------------------------------------------------------------------- */

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 24); /* user space sets the size (--ring-size) */
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, MB_CAPC_COUNT);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

/* Shapes of the syscalls' buffer arguments. */
enum shape {
	SHAPE_BUF = 1,  /* (fd, buf, len): read, write, recvfrom, sendto */
	SHAPE_IOV = 2,  /* (fd, iov, iovcnt): readv, writev */
	SHAPE_MSG = 3,  /* (fd, struct user_msghdr *): recvmsg, sendmsg */
	SHAPE_MMSG = 4, /* (fd, struct mmsghdr *, vlen): recvmmsg, sendmmsg */
	SHAPE_CONNECT = 5,
};

/* A traced syscall between its entry and exit. */
struct inflight {
	__u64 ts;    /* entry time */
	__u64 sock;
	__u64 gen;
	__u64 arg;   /* buf, iovec array, msghdr or mmsghdr array (user pointer) */
	__u64 off;   /* a send: stream offset of its first byte (write_seq at entry) */
	__u32 count; /* iovcnt or vlen */
	__u32 fd;
	__u8 shape;  /* enum shape */
	__u8 send;   /* 1: data leaves through this socket */
	__u8 dir;    /* MB_CAP_DIR_* */
	__u8 pad[5];
};

/* Task-local storage (one slot per thread, freed with the thread): no hash, no lock, no
 * eviction, unlike the LRU hash it replaces (whose update and delete were half of the cost of a
 * traced syscall, bench/record/RESULTS.md). shape 0 marks the slot empty. */
struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct inflight);
} inflight SEC(".maps");

/* Stream position of one socket direction: offset(seq) = last + (s32)(seq - k - (u32)last). */
struct stream_pos {
	__u64 last;  /* an offset seen recently */
	__u32 k;     /* (sequence - offset) mod 2^32 */
	__u32 known; /* k is set */
};

struct conn_state {
	__u64 gen;
	__u64 ident;   /* sock_ident() when tracking began: a struct sock freed without close()
			* (dup2 over its fd, exit, close_range) and reused by another connection
			* keeps its address, and this entry, but not its ports and peer */
	struct stream_pos rx, tx;
	__u8 role;     /* enum mb_cap_role */
	__u8 skip;     /* not traced (side filter); kept so the decision is made once */
	__u8 accepted; /* seen at accept/connect */
	__u8 pad[5];
	/* The arrival slot (server ends, x86_64): the arrival of a request segment that reached the
	 * socket while it held nothing unread, so that the next read starts with it. tcp_probe
	 * fills it instead of sending an ARRIVE record, and the exit of the read that returns those
	 * bytes empties it into its data record. Handover by arr_full: tcp_probe (one at a time per
	 * socket, under its lock) fills only an empty slot, writing the fields before the flag, and
	 * sends an ARRIVE record as before when the slot is still full (the read that empties it
	 * has not exited yet); the reader reads the fields after the flag and clears the flag
	 * after them. x86 keeps stores in order, loads in order, and loads before later stores;
	 * the volatile accesses keep the compiler from reordering them. */
	__u32 arr_full;
	__u32 arr_len;
	__u64 arr_off;
	__u64 arr_ts;
};

#if defined(__TARGET_ARCH_x86)
#define ARRIVAL_SLOT 1
#else
#define ARRIVAL_SLOT 0 /* weaker memory ordering: every arrival goes through the ring */
#endif
#define MB_READ_ONCE(x) (*(volatile __typeof__(x) *)&(x))
#define MB_WRITE_ONCE(x, v) (*(volatile __typeof__(x) *)&(x) = (v))

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, __u64); /* struct sock address */
	__type(value, struct conn_state);
} conns SEC(".maps");

/* Request segments that reached a server socket before its accept() returned (the client sent
 * at once, the connection was still in the listen queue): tcp_probe keeps their arrival here
 * until accept tracks the connection, which then announces them. The first few only: a
 * connection nobody accepts, or of a process the filters leave out, just ages out. */
#define EARLY_MAX 4
struct early_arrivals {
	__u32 n;
	__u32 seq[EARLY_MAX];
	__u32 len[EARLY_MAX];
	__u32 pad;
	__u64 ts[EARLY_MAX];
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, __u64); /* struct sock address */
	__type(value, struct early_arrivals);
} early SEC(".maps");

/* ---- small helpers ------------------------------------------------------------------------ */

static __always_inline void count(__u32 idx, __u64 n)
{
	__u64 *v = bpf_map_lookup_elem(&counters, &idx);
	if (v)
		__sync_fetch_and_add(v, n);
}

/* Stashes a syscall's arguments at its entry for its exit (`inflight`, this thread's slot). */
static __always_inline void stash(const struct inflight *in)
{
	struct inflight *p = bpf_task_storage_get(&inflight, bpf_get_current_task_btf(), 0,
						  BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!p) {
		count(MB_CAPC_STASH_FULL, 1);
		return;
	}
	*p = *in;
}

/* Takes what the entry of this thread's current syscall stashed. @return false if nothing. */
static __always_inline bool unstash(struct inflight *out)
{
	struct inflight *p = bpf_task_storage_get(&inflight, bpf_get_current_task_btf(), 0, 0);
	if (!p || !p->shape)
		return false;
	*out = *p;
	p->shape = 0;
	return true;
}

/* Armed, then own pid, pid, cgroup and process-name filters. Cheapest first. */
static __always_inline bool proc_ok(void)
{
	if (!armed)
		return false;
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	if (tgid == self_tgid)
		return false;
	if (filter_tgid && tgid != filter_tgid)
		return false;
	if (filter_cgroup &&
	    bpf_get_current_ancestor_cgroup_id(filter_cgroup_level) != filter_cgroup)
		return false;
	if (filter_comm_on) {
		/* The process's name, i.e. its main thread's: worker threads often have names of
		 * their own (memcached's are "mc-worker"). */
		char comm[MB_CAP_COMM_LEN];
		struct task_struct *task = (struct task_struct *)bpf_get_current_task();
		if (BPF_CORE_READ_INTO(&comm, task, group_leader, comm))
			return false;
		for (int i = 0; i < MB_CAP_COMM_LEN; i++) {
			if (comm[i] != filter_comm[i])
				return false;
			if (!comm[i])
				break;
		}
	}
	return true;
}

/* TCP over IPv4 or IPv6. */
static __always_inline bool sock_is_tcp(struct sock *sk)
{
	if (!sk)
		return false;
	struct sock *t = TYPED(struct sock, sk);
	__u16 family = t->__sk_common.skc_family;
	return t->sk_protocol == IPPROTO_TCP && t->sk_type == SOCK_STREAM &&
	       (family == AF_INET || family == AF_INET6);
}

static __always_inline bool port_in_set(__u16 port)
{
	return port_bits[port >> 6] & (1ULL << (port & 63));
}

/* Connection sampling (--sample): whether the connection of sk, whose traced end has this
 * role, is in the sample. A pure function of the connection's addresses and ports, put in
 * (server, client) order so that both ends of one connection agree: every probe that meets the
 * connection reaches the same verdict without any shared state, and the same connections are
 * picked in every capture. Plain loads only (about ten instructions and two multiplications),
 * so a connection left out costs what a connection on an untraced port costs. */
static __always_inline bool sampled(struct sock *sk, __u8 role)
{
	if (!sample_below)
		return true;
	struct sock_common *c = &TYPED(struct sock, sk)->__sk_common;
	__u32 l[4] = {}, r[4] = {};
	if (c->skc_family == AF_INET) {
		l[3] = c->skc_rcv_saddr;
		r[3] = c->skc_daddr;
	} else {
		for (int i = 0; i < 4; i++) {
			l[i] = c->skc_v6_rcv_saddr.in6_u.u6_addr32[i];
			r[i] = c->skc_v6_daddr.in6_u.u6_addr32[i];
		}
	}
	__u16 lport = c->skc_num, rport = bpf_ntohs(c->skc_dport);
	__u64 h = role == MB_CAP_ROLE_SERVER ? mb_cap_conn_hash(l, lport, r, rport) :
					       mb_cap_conn_hash(r, rport, l, lport);
	return h < sample_below;
}

/* True when the peer of sk is on this host: a loopback address or our own address. */
static __always_inline bool peer_is_local(struct sock *sk)
{
	if (BPF_CORE_READ(sk, __sk_common.skc_family) == AF_INET) {
		__be32 d = BPF_CORE_READ(sk, __sk_common.skc_daddr);
		return (bpf_ntohl(d) >> 24) == 127 || d == BPF_CORE_READ(sk, __sk_common.skc_rcv_saddr);
	}
	struct in6_addr d = BPF_CORE_READ(sk, __sk_common.skc_v6_daddr);
	struct in6_addr s = BPF_CORE_READ(sk, __sk_common.skc_v6_rcv_saddr);
	__u32 *dw = d.in6_u.u6_addr32, *sw = s.in6_u.u6_addr32;
	if (!dw[0] && !dw[1] && !dw[2] && dw[3] == bpf_htonl(1))
		return true; /* ::1 */
	if (!dw[0] && !dw[1] && dw[2] == bpf_htonl(0xffff) && (bpf_ntohl(dw[3]) >> 24) == 127)
		return true; /* ::ffff:127.x.y.z */
	return dw[0] == sw[0] && dw[1] == sw[1] && dw[2] == sw[2] && dw[3] == sw[3];
}

/* Sampling on the syscall path, before the connection table is looked at: false for a socket
 * on a port of the set whose connection is not in the sample (true for every other socket,
 * which the table and the protocol checks then handle as before). */
static __always_inline bool sampled_by_ports(struct sock *sk)
{
	struct sock_common *c = &TYPED(struct sock, sk)->__sk_common;
	if (port_in_set(c->skc_num))
		return sampled(sk, MB_CAP_ROLE_SERVER);
	if (port_in_set(bpf_ntohs(c->skc_dport)))
		return sampled(sk, MB_CAP_ROLE_CLIENT);
	return true;
}

/* The connection's ports and peer address, folded: what tells a connection from a later one
 * that reuses its struct sock. Plain loads from the first cache line of the sock. */
static __always_inline __u64 sock_ident(struct sock *sk)
{
	struct sock_common *c = &TYPED(struct sock, sk)->__sk_common;
	__u32 peer = c->skc_daddr;
	if (c->skc_family == AF_INET6) {
		peer = 0;
		for (int i = 0; i < 4; i++)
			peer ^= c->skc_v6_daddr.in6_u.u6_addr32[i];
	}
	return ((__u64)c->skc_num << 48) | ((__u64)c->skc_dport << 32) | peer;
}

/* The tracked state of sk, or NULL; an entry left by an earlier connection that used the same
 * struct sock (closed without a close() the probe saw) is deleted and not returned. A socket
 * that went to TCP_CLOSE (an RST) has given its local port back (inet_num is 0): then only the
 * peer is compared. */
static __always_inline struct conn_state *conn_find(struct sock *sk)
{
	__u64 key = (__u64)sk;
	struct conn_state *cs = bpf_map_lookup_elem(&conns, &key);
	if (!cs)
		return NULL;
	__u64 now = sock_ident(sk), was = cs->ident;
	if (!(now >> 48))
		was &= (1ULL << 48) - 1;
	if (now != was) {
		bpf_map_delete_elem(&conns, &key);
		return NULL;
	}
	return cs;
}

/* Whether the side filter leaves out this end of a connection. */
static __always_inline bool side_skips(struct sock *sk, __u8 role)
{
	if (side == MB_CAP_SIDE_SERVER)
		return role != MB_CAP_ROLE_SERVER;
	if (side == MB_CAP_SIDE_CLIENT)
		return role != MB_CAP_ROLE_CLIENT;
	if (side == MB_CAP_SIDE_BOTH || role != MB_CAP_ROLE_CLIENT)
		return false;
	/* auto: with no process filter the server end of a host-local connection is traced too. */
	if (filter_tgid || filter_cgroup || filter_comm_on)
		return false;
	return peer_is_local(sk);
}

/* A FIN takes one sequence number but carries no data. */
static __always_inline bool fin_sent(struct sock *sk)
{
	__u8 state = TYPED(struct sock, sk)->__sk_common.skc_state;
	return state == TCP_FIN_WAIT1 || state == TCP_FIN_WAIT2 || state == TCP_CLOSING ||
	       state == TCP_TIME_WAIT || state == TCP_LAST_ACK;
}

/* Sequence number after the last byte the application has read or written. copied_seq moves
 * past the peer's FIN when a read consumes it (the FIN has arrived: RCV_SHUTDOWN, and nothing is
 * left to read); write_seq counts our own FIN once it is queued (states after close/shutdown).
 * Both change only inside the application's own syscalls. */
static __always_inline __u32 app_seq(struct sock *sk, bool tx)
{
	struct tcp_sock *tp = TYPED(struct tcp_sock, sk);
	if (tx)
		return tp->write_seq - (fin_sent(sk) ? 1 : 0);
	__u32 seq = tp->copied_seq;
	if ((TYPED(struct sock, sk)->sk_shutdown & RCV_SHUTDOWN) && seq == tp->rcv_nxt)
		seq--;
	return seq;
}

/* 64-bit stream offset of the application's position in one direction, from the kernel's byte
 * counters (the sums of rcv_nxt / snd_una advances). Used once per connection direction
 * (see the top of the file). bytes_* and the sequence numbers are updated together by packet
 * processing: read until two passes agree. */
static __always_inline __u64 abs_offset(struct sock *sk, bool tx, __u32 *seq_out)
{
	struct tcp_sock *tp = (struct tcp_sock *)sk;
	__u64 total = 0;
	__u32 nxt = 0, seq = 0;
	for (int i = 0; i < 3; i++) {
		if (tx) {
			total = BPF_CORE_READ(tp, bytes_acked);
			nxt = BPF_CORE_READ(tp, snd_una);
		} else {
			total = BPF_CORE_READ(tp, bytes_received);
			nxt = BPF_CORE_READ(tp, rcv_nxt);
		}
		seq = app_seq(sk, tx);
		__u64 total2 = tx ? BPF_CORE_READ(tp, bytes_acked) : BPF_CORE_READ(tp, bytes_received);
		__u32 nxt2 = tx ? BPF_CORE_READ(tp, snd_una) : BPF_CORE_READ(tp, rcv_nxt);
		if (total == total2 && nxt == nxt2)
			break;
	}
	*seq_out = seq;
	/* tx: acked + (written - acked); rx: received - (received - read). */
	return tx ? total + (__u32)(seq - nxt) : total - (__u32)(nxt - seq);
}

/* Current stream offset of one direction of a traced connection. */
static __always_inline __u64 stream_offset(struct conn_state *cs, struct sock *sk, bool tx)
{
	struct stream_pos *p = tx ? &cs->tx : &cs->rx;
	if (!p->known) {
		__u32 seq;
		__u64 off = abs_offset(sk, tx, &seq);
		p->k = seq - (__u32)off;
		p->last = off;
		p->known = 1;
		return off;
	}
	__u32 seq = app_seq(sk, tx);
	__u64 last = p->last;
	__u64 off = last + (__s64)(__s32)(seq - p->k - (__u32)last);
	p->last = off;
	return off;
}

/* Waking the reader for every record costs it a syscall per record; with wakeup_bytes set (a
 * power of two), it is woken each time another wakeup_bytes of records have been produced (the
 * producer position, which this record's reservation just moved by about size, crossed a
 * multiple of it), and otherwise reads on its own timer. Asking how full the ring is instead
 * (BPF_RB_AVAIL_DATA) reads the consumer position, a cache line the reader writes: measured
 * about 50 ns a record here (bench/record/overhead.sh, part ringq); the producer position is
 * the line the reservation has just written. */
static __always_inline __u64 wake_flags(__u64 size)
{
	if (!wakeup_bytes)
		return 0;
	__u64 end = bpf_ringbuf_query(&events, BPF_RB_PROD_POS);
	return ((end - size) ^ end) >= wakeup_bytes ? BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP;
}

static __always_inline void fill_hdr(struct mb_cap_hdr *h, __u8 kind, __u64 ts, __u64 sock,
				     __u64 gen)
{
	h->ts_ns = ts;
	h->sock = sock;
	h->gen = gen;
	h->tgid = bpf_get_current_pid_tgid() >> 32;
	h->kind = kind;
	h->pad[0] = h->pad[1] = h->pad[2] = 0;
}

/* Sends an OPEN or CLOSE record. rx_back: bytes the receive stream is reported before its
 * current position (a connection first seen at the exit of a receive starts before what that
 * receive returned). */
static __always_inline void emit_conn(__u8 kind, struct sock *sk, struct conn_state *cs, __u64 ts,
				      __u64 rx_back)
{
	struct mb_cap_conn *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		count(MB_CAPC_RING_DROPS, 1);
		return;
	}
	fill_hdr(&e->hdr, kind, ts, (__u64)sk, cs->gen);
	e->rx_offset = cs->rx.known ? stream_offset(cs, sk, false) - rx_back : 0;
	e->tx_offset = cs->tx.known ? stream_offset(cs, sk, true) : 0;
	__u16 family = BPF_CORE_READ(sk, __sk_common.skc_family);
	__builtin_memset(e->laddr, 0, sizeof(e->laddr));
	__builtin_memset(e->raddr, 0, sizeof(e->raddr));
	if (family == AF_INET) {
		__be32 l = BPF_CORE_READ(sk, __sk_common.skc_rcv_saddr);
		__be32 r = BPF_CORE_READ(sk, __sk_common.skc_daddr);
		__builtin_memcpy(e->laddr, &l, 4);
		__builtin_memcpy(e->raddr, &r, 4);
	} else {
		BPF_CORE_READ_INTO(&e->laddr, sk, __sk_common.skc_v6_rcv_saddr);
		BPF_CORE_READ_INTO(&e->raddr, sk, __sk_common.skc_v6_daddr);
	}
	e->lport = BPF_CORE_READ(sk, __sk_common.skc_num);
	e->rport = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
	e->family = family;
	e->role = cs->role;
	e->accepted = cs->accepted;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	bpf_ringbuf_submit(e, wake_flags(sizeof(*e)));
}

/* Sends an ARRIVE record: request bytes [off, off + len) reached the server end at ts. */
static __always_inline void emit_arrive(__u64 sock, __u64 gen, __u64 ts, __u64 off, __u32 len)
{
	struct mb_cap_arrive *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		count(MB_CAPC_RING_DROPS, 1);
		return;
	}
	fill_hdr(&e->hdr, MB_CAP_ARRIVE, ts, sock, gen);
	e->hdr.tgid = 0;
	e->offset = off;
	e->len = len;
	e->pad = 0;
	bpf_ringbuf_submit(e, wake_flags(sizeof(*e)));
	count(MB_CAPC_ARRIVALS, 1);
}

/* A server connection just accepted: announces what arrived before (see `early`). */
static __always_inline void announce_early(__u64 key, struct conn_state *cs)
{
	struct early_arrivals *ea = bpf_map_lookup_elem(&early, &key);
	if (!ea)
		return;
	for (int i = 0; i < EARLY_MAX; i++) {
		if (i >= ea->n)
			break;
		/* nothing has been read: the offset is the distance from the first byte */
		emit_arrive(key, cs->gen, ea->ts[i], (__u32)(ea->seq[i] - cs->rx.k), ea->len[i]);
	}
	bpf_map_delete_elem(&early, &key);
}

/* How a connection came to be tracked. */
enum seen_at {
	SEEN_TRAFFIC = 0, /* its first traffic: it may have been open before the capture */
	SEEN_ACCEPT = 1,  /* accept: nothing read or written yet, both positions exact */
	SEEN_CONNECT = 2, /* connect: nothing written yet; the receive position comes later */
};

/* Starts tracking sk (replacing any older connection that used the same struct sock). @return NULL when sk is not on a
 * port of the set, or when the side filter leaves it out. */
static __always_inline struct conn_state *conn_new(struct sock *sk, enum seen_at seen, __u64 ts,
						   __u64 rx_back)
{
	__u16 lport = BPF_CORE_READ(sk, __sk_common.skc_num);
	__u16 rport = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
	__u8 role = port_in_set(lport) ? MB_CAP_ROLE_SERVER :
		    port_in_set(rport) ? MB_CAP_ROLE_CLIENT : 0;
	if (!role)
		return NULL;
	struct tcp_sock *tp = (struct tcp_sock *)sk;
	struct conn_state init = {
		.gen = ts,
		.ident = sock_ident(sk),
		.role = role,
		.skip = side_skips(sk, role) || !sampled(sk, role),
		.accepted = seen != SEEN_TRAFFIC,
	};
	if (seen != SEEN_TRAFFIC) {
		init.tx.k = BPF_CORE_READ(tp, write_seq);
		init.tx.known = 1;
		if (seen == SEEN_ACCEPT) {
			init.rx.k = BPF_CORE_READ(tp, copied_seq);
			init.rx.known = 1;
		}
	}
	__u64 key = (__u64)sk;
	if (bpf_map_update_elem(&conns, &key, &init, BPF_ANY))
		return NULL;
	struct conn_state *cs = bpf_map_lookup_elem(&conns, &key);
	if (!cs || cs->skip)
		return NULL;
	if (seen == SEEN_TRAFFIC) {
		/* Open before the capture: both positions now, so user space can declare what came
		 * before as unseen in both directions before any data arrives. */
		stream_offset(cs, sk, false);
		stream_offset(cs, sk, true);
	}
	emit_conn(MB_CAP_OPEN, sk, cs, ts, rx_back);
	if (seen == SEEN_ACCEPT && cs->role == MB_CAP_ROLE_SERVER)
		announce_early(key, cs);
	return cs;
}

/* ---- data copy ---------------------------------------------------------------------------- */

/* iovecs read from user memory per copy: a reply of memcached is "VALUE ...", the value and
 * "END" (three), or more when it answers several requests at once; each user-memory copy costs
 * ~30 ns whatever its size (bench/record/RESULTS.md, "Third round"). */
#define WALK_IOVC 4

/* Walk state of one syscall exit, shared with the bpf_loop callbacks. One flat loop visits every
 * iovec of every message (nested bpf_loops make the verifier's work explode). */
struct walk {
	__u64 ts, sock, gen;
	__u64 off;      /* stream offset of the next byte */
	__u64 left;     /* bytes of the syscall's result not walked yet */
	__u64 msgs;     /* user pointer to the mmsghdr array, 0 for a single iovec array */
	__u64 iov;      /* user pointer to the current iovec array */
	__u64 iov_n;    /* its length */
	__u64 iov_i;    /* next iovec to visit */
	__u64 msg_left; /* bytes of the current message not walked yet */
	__u64 base;     /* current segment: user address */
	__u32 nmsg;     /* messages (mmsghdr entries) to visit */
	__u32 msg_i;    /* next message */
	__u32 seg_len;  /* current segment: length */
	__u64 arr_ts;   /* arrival slot for the first record (0: none), see conn_state */
	__u32 arr_len;
	__u32 g_len;    /* bytes gathered for the next record (gather_add) */
	__u64 g_off;    /* stream offset where that record starts */
	__u32 hole_at;  /* its value hole (see capture.h "Values"): after hole_at gathered bytes, */
	__u32 hole_len; /* hole_len bytes not copied */
	__u32 hdr_at;   /* the iovec before was a value header, gathered at hdr_at, */
	__u32 hdr_len;  /* hdr_len bytes long, */
	__u32 hdr_kind; /* of this kind (value_hdr_kind; 0: it was not) */
	__u8 dir;
	__u8 skip_values; /* a server's send: value payloads are not copied */
	__u8 pad[2];
	/* iovecs [ivc_i, ivc_i + ivc_n) of the current array, read in one copy (WALK_IOVC) */
	__u32 ivc_i;
	__u32 ivc_n;
	struct iovec ivc[WALK_IOVC];
};

#define PIECE_TIER(SZ)                                                                         \
	if (n <= (SZ)) {                                                                       \
		__u64 len = n;                                                                 \
		mb_barrier_var(len);                                                           \
		if (len > (SZ))                                                                \
			len = (SZ);                                                            \
		e = bpf_ringbuf_reserve(&events, sizeof(*e) + (SZ), 0);                        \
		if (!e)                                                                        \
			goto drop;                                                             \
		if (bpf_probe_read_user((void *)(e + 1), len, (const void *)src)) {            \
			e->flags = MB_CAPF_READ_FAILED;                                        \
			e->cap_len = 0;                                                        \
		} else {                                                                       \
			e->flags = 0;                                                          \
			e->cap_len = len;                                                      \
		}                                                                              \
		goto fill;                                                                     \
	}

/* Sends bytes [seg_off, seg_off + n) of the current segment (n <= MB_CAP_PIECE_MAX) as one
 * record, in the smallest of five ring-buffer slot sizes that holds them (a reservation's size
 * must be a constant). */
static __noinline int emit_piece(struct walk *w, __u32 seg_off, __u64 n)
{
	struct mb_cap_data *e;
	__u64 src = w->base + seg_off;
	if (n > MB_CAP_PIECE_MAX)
		return 0;
	PIECE_TIER(64)
	PIECE_TIER(512)
	PIECE_TIER(2048)
	PIECE_TIER(4096)
	PIECE_TIER(16384)
	PIECE_TIER(MB_CAP_PIECE_MAX)
	return 0;
fill:
	if (e->flags)
		count(MB_CAPC_READ_FAILED, 1);
	fill_hdr(&e->hdr, MB_CAP_DATA, w->ts, w->sock, w->gen);
	e->offset = w->off + seg_off;
	e->seg_len = w->seg_len;
	e->seg_off = seg_off;
	e->dir = w->dir;
	e->hole_at = 0;
	e->arrive_ts = w->arr_ts; /* the syscall's first record carries its arrival slot */
	e->arrive_len = w->arr_len;
	e->hole_len = 0;
	w->arr_ts = 0;
	w->arr_len = 0;
	bpf_ringbuf_submit(e, wake_flags(sizeof(*e) + e->cap_len));
	return 0;
drop:
	count(MB_CAPC_RING_DROPS, 1);
	count(MB_CAPC_DROP_BYTES, n);
	return 0;
}

/* Copies one segment (a buffer or an iovec, len bytes at user address base): its head, and the
 * tail of a segment longer than the head cap. The caller advances the offsets. */
static __noinline int emit_segment(struct walk *w, __u64 base, __u32 len)
{
	w->base = base;
	w->seg_len = len;
	__u32 head = len < max_bytes ? len : max_bytes;
	emit_piece(w, 0, head);
	if (len > head && tail_bytes) {
		__u32 tail = len - head;
		if (tail > tail_bytes)
			tail = tail_bytes;
		emit_piece(w, len - tail, tail);
	}
	return 0;
}

/* Gathering: the iovecs of one send or receive whose bytes are copied whole (each within the
 * head cap) are gathered in a per-CPU buffer and leave as one ring record, a segment of their
 * total length, instead of one record per iovec (memcached's reply to a get is three iovecs:
 * "VALUE ...", the value, "END"). Each ring record costs a reservation under the ring's lock and
 * a commit whose atomic exchange waits for every store into the ring before it (the copy into
 * ring memory that another CPU reads: cache misses), so one record per send instead of three
 * is most of the difference (bench/record/RESULTS.md, "records per request"). Only whole
 * iovecs are gathered, so the bytes copied are exactly those the per-iovec pieces would carry.
 * The buffer is used by the exit program alone, which the kernel never runs nested on one CPU
 * (tracepoint programs do not recurse: bpf_prog_active). */
#define GATHER_MAX 8192 /* bytes; a power of two (offsets are bounded by masking) */
/* Messages with more iovecs keep one record per iovec, as before gathering (a 600-key multiget
 * is 1022 of them; tests/record/capture pins that layout). */
#define GATHER_IOV 64

struct gather_buf {
	struct mb_cap_data e;
	__u8 data[2 * GATHER_MAX]; /* twice: the verifier bounds offset and length separately */
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct gather_buf);
} gather SEC(".maps");

/* Sends what the walk has gathered as one record. Global (not static) so that the verifier
 * checks it once, on its own, and not at every call site of the walk. */
__noinline int gather_flush(struct walk *w)
{
	if (!w)
		return 0;
	__u64 n = w->g_len;
	__u32 hole_at = w->hole_at, hole_len = w->hole_len;
	if (!n && !hole_len)
		return 0;
	w->g_len = 0;
	w->hole_at = w->hole_len = 0;
	__u32 zero = 0;
	struct gather_buf *g = bpf_map_lookup_elem(&gather, &zero);
	if (!g || n > GATHER_MAX)
		return 0;
	struct mb_cap_data *e = &g->e;
	fill_hdr(&e->hdr, MB_CAP_DATA, w->ts, w->sock, w->gen);
	e->offset = w->g_off;
	e->seg_len = n + hole_len;
	e->seg_off = 0;
	e->cap_len = n;
	e->dir = w->dir;
	e->flags = 0;
	e->hole_at = hole_at;
	e->arrive_ts = w->arr_ts; /* the syscall's first record carries its arrival slot */
	e->arrive_len = w->arr_len;
	e->hole_len = hole_len;
	w->arr_ts = 0;
	w->arr_len = 0;
	__u64 size = sizeof(*e) + n;
	__u64 flags = 0;
	if (wakeup_bytes) {
		__u64 pos = bpf_ringbuf_query(&events, BPF_RB_PROD_POS);
		flags = ((pos + size) ^ pos) >= wakeup_bytes ? BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP;
	}
	if (bpf_ringbuf_output(&events, g, size, flags)) {
		count(MB_CAPC_RING_DROPS, 1);
		count(MB_CAPC_DROP_BYTES, n);
	}
	return 0;
}

/* Adds a whole segment (len <= GATHER_MAX, within the head cap) at stream offset w->off to the
 * gathered bytes, sending those first when it does not fit. @return false when its memory
 * could not be read (nothing added). */
static __always_inline bool gather_add(struct walk *w, __u64 base, __u64 len)
{
	if (w->g_len + len > GATHER_MAX)
		gather_flush(w);
	__u32 zero = 0;
	struct gather_buf *g = bpf_map_lookup_elem(&gather, &zero);
	if (!g)
		return false;
	__u64 at = w->g_len & (GATHER_MAX - 1); /* g_len < GATHER_MAX here */
	mb_barrier_var(len);
	if (len > GATHER_MAX)
		return false;
	if (bpf_probe_read_user(g->data + at, len, (const void *)base))
		return false;
	if (!w->g_len && !w->hole_len)
		w->g_off = w->off;
	w->g_len += len;
	return true;
}

#define VALUE_HDR_MAX 256  /* longest value header line looked at (keys are <= 250 bytes) */
/* Shorter values are copied: a hole costs a header check and a 2-byte copy of its own, which
 * a short copy costs no more than. Measured as BPF time on memcached's CPU per request (perf
 * samples, medians of 3 alternations, bench/record/RESULTS.md "Third round"): holes from 512
 * bytes instead of 2 KiB took 510-byte values from 1,308 to 1,164 ns and 1 KiB values from
 * 1,332 to 1,191 ns (each copied value costs its copy and the stores into ring memory that the
 * reader's CPU then takes back). */
#define VALUE_SKIP_MIN 512

/* Whether the len bytes gathered at `at` are one value header line (the checks of a fixed
 * prefix and the line end: "VALUE " or "VA " ... "\r\n"). @return 1 (VALUE), 2 (VA) or 0. */
static __always_inline __u32 value_hdr_kind(struct walk *w, __u64 at, __u64 len)
{
	__u32 zero = 0;
	struct gather_buf *g = bpf_map_lookup_elem(&gather, &zero);
	if (!g || len < 6 || len > VALUE_HDR_MAX || at >= GATHER_MAX)
		return 0;
	const __u8 *d = g->data;
	__u32 m = 2 * GATHER_MAX - 1;
	if (d[at & m] != 'V' || d[(at + 1) & m] != 'A' || d[(at + len - 2) & m] != '\r' ||
	    d[(at + len - 1) & m] != '\n')
		return 0;
	if (d[(at + 2) & m] == ' ')
		return 2;
	if (d[(at + 2) & m] == 'L' && d[(at + 3) & m] == 'U' && d[(at + 4) & m] == 'E' &&
	    d[(at + 5) & m] == ' ')
		return 1;
	return 0;
}

/* Whether the value header gathered at w->hdr_at (w->hdr_len bytes)
 * announces n = vlen bytes (kind: value_hdr_kind's): "VA <n>[ ...]\r\n", or "VALUE ... <n>\r\n" or "VALUE ... <n> <cas>\r\n"
 * (the token before the line end, or before the last one). Compares the digits of vlen where
 * they must be, from the line's ends (a few bytes: never the key). Global: checked once. */
__noinline int value_hdr_says(struct walk *w, __u64 vlen, __u32 kind)
{
	if (!w || vlen > (1u << 30))
		return 0;
	__u32 zero = 0;
	struct gather_buf *g = bpf_map_lookup_elem(&gather, &zero);
	if (!g)
		return 0;
	const __u8 *d = g->data;
	__u32 m = 2 * GATHER_MAX - 1;
	__u64 at = w->hdr_at, len = w->hdr_len;
	if (at >= GATHER_MAX || len > VALUE_HDR_MAX || len < 6)
		return 0;
	__u8 dig[16];
	int nd = 0;
	__u64 v = vlen;
	for (int i = 0; i < 10; i++) { /* least significant first */
		dig[i] = '0' + v % 10;
		v /= 10;
		nd = i + 1;
		if (!v)
			break;
	}
	__u64 end = at + len - 2; /* the "\r" */
	__u64 pos;                /* where the digits must start */
	if (kind == 2) {
		pos = at + 3;
		__u8 after = d[(pos + nd) & m];
		if (after != ' ' && after != '\r')
			return 0;
	} else {
		/* the last token, or the one before it (a cas after n, gets) */
		__u64 q = end;
		int tries = 0;
		for (; tries < 2; tries++) {
			pos = q - nd;
			if (q >= at + 6 + (__u64)nd + 2 && d[(pos - 1) & m] == ' ') {
				bool same = true;
				for (int i = 0; i < 10; i++) {
					if (i >= nd)
						break;
					if (d[(pos + i) & m] != dig[(nd - 1 - i) & 15])
						same = false;
				}
				if (same)
					return 1;
			}
			/* step back over the last token (a cas: up to 20 digits) */
			int k = 0;
			for (; k < 21; k++) {
				__u8 c = d[(q - 1 - k) & m];
				if (c < '0' || c > '9')
					break;
			}
			if (k == 0 || k > 20 || d[(q - 1 - k) & m] != ' ')
				return 0;
			q = q - 1 - k;
		}
		return 0;
	}
	for (int i = 0; i < 10; i++) {
		if (i >= nd)
			break;
		if (d[(pos + i) & m] != dig[(nd - 1 - i) & 15])
			return 0;
	}
	return 1;
}

/* A value payload (len bytes at base, exactly the length the header before it announced) in a
 * server's send: the last two bytes are gathered, the rest becomes the record's hole. A record
 * has one hole: one gathered before is sent first. @return false when nothing was done (the
 * caller copies the iovec as usual). */
static __always_inline bool value_hole(struct walk *w, __u64 base, __u64 len, __u32 kind)
{
	if (len < VALUE_SKIP_MIN || !value_hdr_says(w, len - 2, kind))
		return false;
	if (w->hole_len || w->g_len + 2 > GATHER_MAX)
		gather_flush(w);
	if (!w->g_len)
		w->g_off = w->off;
	__u32 at = w->g_len, hole = len - 2;
	w->hole_at = at;
	w->hole_len = hole;
	w->off += hole; /* gather_add copies the last two bytes from the stream offset after it */
	bool ok = gather_add(w, base + hole, 2);
	w->off -= hole;
	if (!ok) {
		w->hole_at = w->hole_len = 0;
		return false;
	}
	return true;
}

/* Moves the walk past n bytes. */
static __always_inline void walk_advance(struct walk *w, __u64 n)
{
	w->off += n;
	w->left -= n;
	w->msg_left -= n;
}

/* bpf_loop callback: one step of the walk, either the next iovec of the current message or,
 * once the message is done, the next message of an mmsghdr array. @return 1 to stop. */
static int walk_cb(__u32 i, void *ctx)
{
	struct walk *w = ctx;
	(void)i;
	if (!w->left)
		return 1;
	if (!w->msg_left || w->iov_i >= w->iov_n) {
		/* Bytes of the message no iovec accounted for (a changed iovec): a gap. */
		if (w->msg_left) {
			gather_flush(w);
			walk_advance(w, w->msg_left);
		}
		if (!w->msgs || w->msg_i >= w->nmsg)
			return 1;
		struct mmsghdr m;
		if (bpf_probe_read_user(&m, sizeof(m),
					(void *)(w->msgs + (__u64)w->msg_i * sizeof(m))))
			return 1;
		w->msg_i++;
		w->iov = (__u64)m.msg_hdr.msg_iov;
		w->iov_n = m.msg_hdr.msg_iovlen;
		w->iov_i = 0;
		w->ivc_n = 0;
		w->msg_left = m.msg_len < w->left ? m.msg_len : w->left;
		return 0;
	}
	if (w->iov_i - w->ivc_i >= w->ivc_n) {
		/* the next WALK_IOVC iovecs (fewer at the array's end: never read past it) */
		__u64 n = w->iov_n - w->iov_i;
		if (n > WALK_IOVC)
			n = WALK_IOVC;
		mb_barrier_var(n);
		if (n < 1 || n > WALK_IOVC)
			return 1;
		if (bpf_probe_read_user(w->ivc, n * sizeof(struct iovec),
					(void *)(w->iov + w->iov_i * sizeof(struct iovec))))
			return 1; /* the rest shows up as a gap */
		w->ivc_i = w->iov_i;
		w->ivc_n = n;
	}
	struct iovec iov = w->ivc[(w->iov_i - w->ivc_i) & (WALK_IOVC - 1)];
	w->iov_i++;
	__u64 len = iov.iov_len < w->msg_left ? iov.iov_len : w->msg_left;
	if (len > 0xffffffffULL)
		len = 0xffffffffULL; /* a segment over 4 GiB: the rest is a gap */
	__u32 hdr_kind = w->hdr_kind;
	w->hdr_kind = 0;
	if (!len) {
	} else if (hdr_kind && value_hole(w, (__u64)iov.iov_base, len, hdr_kind)) {
	} else if (len <= max_bytes && len <= GATHER_MAX && w->iov_n <= GATHER_IOV &&
		   gather_add(w, (__u64)iov.iov_base, len)) {
		if (w->skip_values && len <= VALUE_HDR_MAX) {
			w->hdr_at = w->g_len - len;
			w->hdr_len = len;
			w->hdr_kind = value_hdr_kind(w, w->hdr_at, len);
		}
	} else {
		/* Longer than the head cap (head and tail pieces), or unreadable (a piece that
		 * says so): on its own, after what was gathered before it. */
		gather_flush(w);
		emit_segment(w, (__u64)iov.iov_base, len);
	}
	walk_advance(w, len);
	return 0;
}

/* Walks every iovec of every message, one bpf_loop step each (each message takes one more),
 * then sends what is left gathered. Global, so the verifier checks the walk once, with nothing
 * known of w, rather than once per path of its caller. */
__noinline int walk_iovecs(struct walk *w)
{
	if (!w)
		return 0;
	struct walk local = *w; /* bpf_loop's context must be on this function's stack */
	bpf_loop(MB_CAP_MAX_MMSG * (MB_CAP_MAX_IOV + 1), walk_cb, &local, 0);
	gather_flush(&local);
	return 0;
}

/* bpf_loop callback: sums msg_len over the first i messages into w->left. */
static int mmsg_len_cb(__u32 i, void *ctx)
{
	struct walk *w = ctx;
	__u32 len;
	if (bpf_probe_read_user(&len, sizeof(len),
				(void *)(w->msgs + (__u64)i * sizeof(struct mmsghdr) +
					 __builtin_offsetof(struct mmsghdr, msg_len))))
		return 1;
	w->left += len;
	return 0;
}

/* ---- syscall entry and exit ----------------------------------------------------------------- */

/* The connection behind fd, if it is traced: NULL otherwise. rx_back is how many bytes this
 * syscall has already received (a receive classified at its exit), so that a connection first
 * seen now starts before them. Reads no clock: an untraced fd costs the walk and a lookup. */
static __always_inline struct conn_state *traced_conn(__u32 fd, __u64 rx_back, struct sock **skp)
{
	struct sock *sk = fd_sock(fd);
	if (!sk)
		return NULL;
	/* Cheapest rejection first: a socket with neither port in the set is no memcached
	 * connection (tracked ones all have one), whatever its protocol; no table lookup. */
	struct sock_common *c = &TYPED(struct sock, sk)->__sk_common;
	if (!port_in_set(c->skc_num) && !port_in_set(bpf_ntohs(c->skc_dport)))
		return NULL;
	if (sample_below && !sampled_by_ports(sk))
		return NULL;
	/* Only TCP sockets are ever tracked: a tracked one needs no protocol check. */
	struct conn_state *cs = conn_find(sk);
	if (cs && cs->skip)
		return NULL;
	if (!cs && sock_is_tcp(sk))
		cs = conn_new(sk, SEEN_TRAFFIC, bpf_ktime_get_ns(), rx_back);
	*skp = sk;
	return cs;
}

/* Sends, at entry: the data is stamped now (when the application hands it over) and copied at
 * exit, once the return value says how much the kernel took. */
static __always_inline int enter_send(__u64 fd, __u64 arg, __u64 cnt, __u8 shape)
{
	if (!proc_ok())
		return 0;
	struct sock *sk = NULL;
	struct conn_state *cs = traced_conn(fd, 0, &sk);
	if (!cs)
		return 0;
	struct inflight in = {
		.ts = bpf_ktime_get_ns(),
		.sock = (__u64)sk,
		.gen = cs->gen,
		.arg = arg,
		.off = stream_offset(cs, sk, true),
		.count = cnt > 0xffffffffULL ? 0xffffffffU : (__u32)cnt,
		.fd = fd,
		.shape = shape,
		.send = 1,
		.dir = cs->role == MB_CAP_ROLE_SERVER ? MB_CAP_DIR_RESPONSE : MB_CAP_DIR_REQUEST,
	};
	stash(&in);
	return 0;
}

/* Copies what one data syscall moved (ret: bytes, or messages for *mmsg) into ring records.
 * cs: the connection of a receive (its stream position and arrival slot); NULL for a send, whose
 * first byte's offset its entry took (in->off). */
static __always_inline int emit_data(struct conn_state *cs, const struct inflight *in, long ret,
				     __u64 ts)
{
	count(MB_CAPC_SYSCALLS, 1);
	struct walk w = {
		.ts = ts,
		.sock = in->sock,
		.gen = in->gen,
		.dir = in->dir,
		.skip_values = in->send && in->dir == MB_CAP_DIR_RESPONSE && !full_values,
	};
	if (in->shape == SHAPE_MMSG) {
		/* ret is the number of messages; their bytes are consecutive in the stream. */
		w.msgs = in->arg;
		w.nmsg = ret < MB_CAP_MAX_MMSG ? ret : MB_CAP_MAX_MMSG;
		bpf_loop(w.nmsg, mmsg_len_cb, &w, 0);
	} else {
		w.left = ret;
	}
	if (!cs) {
		w.off = in->off;
	} else {
		__u64 end = stream_offset(cs, (struct sock *)in->sock, false);
		w.off = end - w.left;
	}
	if (ARRIVAL_SLOT && cs && cs->role == MB_CAP_ROLE_SERVER && MB_READ_ONCE(cs->arr_full)) {
		/* Did these bytes start with a segment that arrived at the empty socket? The
		 * slot is emptied once this read has reached its bytes (matching or not: a slot
		 * nobody can match any more must not hold the next arrivals back). */
		__u64 aoff = MB_READ_ONCE(cs->arr_off), ats = MB_READ_ONCE(cs->arr_ts);
		__u32 alen = MB_READ_ONCE(cs->arr_len);
		if (aoff == w.off) {
			w.arr_ts = ats;
			w.arr_len = alen;
		}
		if (aoff < w.off + w.left)
			MB_WRITE_ONCE(cs->arr_full, 0);
	}

	if (in->shape == SHAPE_BUF) {
		/* read/write move at most MAX_RW_COUNT (< 2 GiB) bytes: ret fits a segment. */
		emit_segment(&w, in->arg, w.left);
		return 0;
	}
	if (in->shape == SHAPE_IOV) {
		w.iov = in->arg;
		w.iov_n = in->count;
		w.msg_left = w.left;
	} else if (in->shape == SHAPE_MSG) {
		struct user_msghdr m;
		if (bpf_probe_read_user(&m, sizeof(m), (void *)in->arg))
			return 0;
		w.iov = (__u64)m.msg_iov;
		w.iov_n = m.msg_iovlen;
		w.msg_left = w.left;
	}
	if (w.iov_n > MB_CAP_MAX_IOV)
		w.iov_n = MB_CAP_MAX_IOV;
	walk_iovecs(&w);
	return 0;
}

/* A send's exit: what its entry stashed. The slot is emptied whatever the result. No table
 * lookup: the entry took the stream offset of the send's first byte, and the bytes the kernel
 * took follow it (write_seq moves by exactly ret). The open file keeps the struct sock alive
 * during the call, so the stashed connection is still the one sent on; only another thread
 * closing the fd during the call (an application bug) would have its bytes follow the CLOSE
 * record, which user space then reports as unpaired. */
static __always_inline int exit_send(long ret)
{
	struct inflight in;
	if (!unstash(&in))
		return 0;
	if (ret <= 0 || in.shape == SHAPE_CONNECT)
		return 0;
	return emit_data(NULL, &in, ret, in.ts);
}

/* Syscall numbers of the data syscalls (the exit program's context says which one ran). */
#if defined(__TARGET_ARCH_x86)
enum { NR_READ = 0, NR_WRITE = 1, NR_READV = 19, NR_WRITEV = 20, NR_SENDTO = 44,
       NR_RECVFROM = 45, NR_SENDMSG = 46, NR_RECVMSG = 47, NR_RECVMMSG = 299,
       NR_SENDMMSG = 307 };
#elif defined(__TARGET_ARCH_arm64)
enum { NR_READ = 63, NR_WRITE = 64, NR_READV = 65, NR_WRITEV = 66, NR_SENDTO = 206,
       NR_RECVFROM = 207, NR_SENDMSG = 211, NR_RECVMSG = 212, NR_RECVMMSG = 243,
       NR_SENDMMSG = 269 };
#else
#error "syscall numbers of this architecture are not known"
#endif

/* Argument i (0..3) of the current syscall, from the registers saved at its entry (intact at
 * its exit; on arm64 the first is in orig_x0, x0 holds the return value by then). */
static __always_inline __u64 sys_arg(struct pt_regs *regs, int i)
{
#if defined(__TARGET_ARCH_x86)
	return i == 0 ? regs->di : i == 1 ? regs->si : i == 2 ? regs->dx : regs->r10;
#else
	return i == 0 ? regs->orig_x0 : regs->regs[i & 7];
#endif
}

/* Receives are handled at their exit alone, with their arguments from the saved registers:
 * no entry program, no stash. A receive that moved nothing (EAGAIN: memcached reads until
 * its socket is empty, so half of its reads) costs the exit tracepoint and three
 * instructions. The fd is looked up at exit: another thread closing or replacing it during the
 * read (a bug of the application) would have the bytes attributed to the new file. */
static __always_inline int exit_recv(long nr, long ret)
{
	__u8 shape;
	if (nr == NR_READ || nr == NR_RECVFROM)
		shape = SHAPE_BUF;
	else if (nr == NR_READV)
		shape = SHAPE_IOV;
	else if (nr == NR_RECVMSG)
		shape = SHAPE_MSG;
	else
		shape = SHAPE_MMSG;
	if (!proc_ok())
		return 0;
	struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf());
	__u64 flags = nr == NR_RECVFROM || nr == NR_RECVMMSG ? sys_arg(regs, 3) :
		      nr == NR_RECVMSG ? sys_arg(regs, 2) : 0;
	if (flags & MSG_PEEK)
		return 0; /* peeked bytes stay in the socket and are read again */
	struct inflight in = {
		.arg = sys_arg(regs, 1),
		.count = shape == SHAPE_IOV || shape == SHAPE_MMSG ? (__u32)sys_arg(regs, 2) : 0,
		.fd = (__u32)sys_arg(regs, 0),
		.shape = shape,
	};
	__u64 bytes = ret;
	if (shape == SHAPE_MMSG) {
		struct walk w = {.msgs = in.arg};
		bpf_loop(ret < MB_CAP_MAX_MMSG ? ret : MB_CAP_MAX_MMSG, mmsg_len_cb, &w, 0);
		bytes = w.left;
	}
	struct sock *sk = NULL;
	struct conn_state *cs = traced_conn(in.fd, bytes, &sk);
	if (!cs)
		return 0;
	__u64 ts = bpf_ktime_get_ns();
	in.sock = (__u64)sk;
	in.gen = cs->gen;
	in.dir = cs->role == MB_CAP_ROLE_SERVER ? MB_CAP_DIR_REQUEST : MB_CAP_DIR_RESPONSE;
	return emit_data(cs, &in, ret, ts);
}

static __always_inline int exit_data(struct trace_event_raw_sys_exit *ctx)
{
	long nr = ctx->id, ret = ctx->ret;
	bool recv = nr == NR_READ || nr == NR_RECVFROM || nr == NR_READV || nr == NR_RECVMSG ||
		    nr == NR_RECVMMSG;
	if (!recv)
		return exit_send(ret);
	if (ret <= 0)
		return 0; /* cheapest rejection first: nothing was received */
	return exit_recv(nr, ret);
}

#define ARG(i) (ctx->args[i])

/* Sends: stamped at entry, copied at exit (the return value says how much was taken). */
SEC("tracepoint/syscalls/sys_enter_write")
int enter_write(struct trace_event_raw_sys_enter *ctx)
{
	return enter_send(ARG(0), ARG(1), 0, SHAPE_BUF);
}

SEC("tracepoint/syscalls/sys_enter_writev")
int enter_writev(struct trace_event_raw_sys_enter *ctx)
{
	return enter_send(ARG(0), ARG(1), ARG(2), SHAPE_IOV);
}

SEC("tracepoint/syscalls/sys_enter_sendto")
int enter_sendto(struct trace_event_raw_sys_enter *ctx)
{
	return enter_send(ARG(0), ARG(1), 0, SHAPE_BUF);
}

SEC("tracepoint/syscalls/sys_enter_sendmsg")
int enter_sendmsg(struct trace_event_raw_sys_enter *ctx)
{
	return enter_send(ARG(0), ARG(1), 0, SHAPE_MSG);
}

SEC("tracepoint/syscalls/sys_enter_sendmmsg")
int enter_sendmmsg(struct trace_event_raw_sys_enter *ctx)
{
	return enter_send(ARG(0), ARG(1), ARG(2), SHAPE_MMSG);
}

/* One exit program serves every data syscall (the stashed shape says how to walk), so the
 * verifier checks the walk once: the skeleton attaches it to sys_exit_read, user space attaches
 * the same program to the other nine exits (capture_exit_tracepoints in capture.h). */
SEC("tracepoint/syscalls/sys_exit_read")
int exit_data_tp(struct trace_event_raw_sys_exit *ctx)
{
	return exit_data(ctx);
}

/* ---- connection life ------------------------------------------------------------------------ */

/* accept/accept4 return the new connection's fd: its streams start here. */
static __always_inline int on_accept(struct trace_event_raw_sys_exit *ctx)
{
	long fd = ctx->ret;
	if (fd < 0 || !proc_ok())
		return 0;
	struct sock *sk = fd_sock(fd);
	if (sock_is_tcp(sk))
		conn_new(sk, SEEN_ACCEPT, bpf_ktime_get_ns(), 0);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_accept")
int exit_accept(struct trace_event_raw_sys_exit *ctx)
{
	return on_accept(ctx);
}

SEC("tracepoint/syscalls/sys_exit_accept4")
int exit_accept4(struct trace_event_raw_sys_exit *ctx)
{
	return on_accept(ctx);
}

SEC("tracepoint/syscalls/sys_enter_connect")
int enter_connect(struct trace_event_raw_sys_enter *ctx)
{
	if (!proc_ok())
		return 0;
	struct inflight in = {.fd = ARG(0), .shape = SHAPE_CONNECT};
	stash(&in);
	return 0;
}

/* connect: the send stream starts here (write_seq is its first byte); the receive stream's
 * position is taken at the first receive (copied_seq is set only when the handshake ends). */
SEC("tracepoint/syscalls/sys_exit_connect")
int exit_connect(struct trace_event_raw_sys_exit *ctx)
{
	struct inflight in;
	if (!unstash(&in))
		return 0;
	__u32 fd = in.fd;
	long ret = ctx->ret;
	if (in.shape != SHAPE_CONNECT || (ret != 0 && ret != -EINPROGRESS))
		return 0;
	struct sock *sk = fd_sock(fd);
	if (sock_is_tcp(sk))
		conn_new(sk, SEEN_CONNECT, bpf_ktime_get_ns(), 0);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_close")
int enter_close(struct trace_event_raw_sys_enter *ctx)
{
	if (!proc_ok())
		return 0;
	struct sock *sk = fd_sock(ARG(0));
	if (!sk)
		return 0;
	__u64 key = (__u64)sk; /* tracked sockets are TCP */
	struct conn_state *cs = conn_find(sk);
	if (!cs)
		return 0;
	if (!cs->skip)
		emit_conn(MB_CAP_CLOSE, sk, cs, bpf_ktime_get_ns(), 0);
	bpf_map_delete_elem(&conns, &key);
	return 0;
}

/* ---- arrival stamps ------------------------------------------------------------------------ */

/* tcp_probe fires at the top of tcp_rcv_established() for every segment of an established TCP
 * connection, before its data is queued for the application: on loopback that is inside the
 * sender's own send call; on a NIC, in the receiving softirq. For the server end of a traced
 * connection, the request bytes of the segment are announced with their arrival time, so a
 * request keeps the time it reached the server even when the server reads it later, together
 * with the requests that came after it. Raw tracepoint: arguments (struct sock *, struct
 * sk_buff *), no trace record is built. Not filtered by process: a connection is in `conns`
 * only if its process passed the filters in a syscall. */
SEC("raw_tp/tcp_probe")
int on_tcp_probe(struct bpf_raw_tracepoint_args *ctx)
{
	if (!armed)
		return 0;
	__u64 key = ctx->args[0];
	/* Cheapest rejection first: arrivals are wanted at server ends only, i.e. on a socket whose
	 * local port is in the set. Every other segment of the host (the clients' ends, unrelated
	 * TCP traffic) costs two plain loads and a bit test. */
	if (!port_in_set(TYPED(struct sock, key)->__sk_common.skc_num))
		return 0;
	if (!sampled((struct sock *)key, MB_CAP_ROLE_SERVER))
		return 0;
	struct conn_state *cs = conn_find((struct sock *)key);
	if (cs && (cs->skip || cs->role != MB_CAP_ROLE_SERVER || !cs->rx.known))
		return 0;
	/* struct tcp_skb_cb at skb->cb: seq, then end_seq (= seq + data + SYN + FIN) */
	__u32 seq[2];
	struct sk_buff *skb = (struct sk_buff *)ctx->args[1];
	if (bpf_probe_read_kernel(seq, sizeof(seq), (void *)skb + bpf_core_field_offset(skb->cb)))
		return 0;
	__u32 len = seq[1] - seq[0];
	if (!len || len > (1u << 30))
		return 0; /* a pure ACK, or not a sane segment */
	__u64 ts = bpf_ktime_get_ns();
	if (cs) {
		/* Read-only use of the position: syscalls own `last`; any recent value works. */
		__u64 last = cs->rx.last;
		__u64 off = last + (__s64)(__s32)(seq[0] - cs->rx.k - (__u32)last);
		struct tcp_sock *tp = TYPED(struct tcp_sock, key);
		if (ARRIVAL_SLOT && !MB_READ_ONCE(cs->arr_full) && tp->copied_seq == tp->rcv_nxt &&
		    seq[0] == tp->rcv_nxt) {
			/* Nothing unread, and this segment is next in order: the next read starts
			 * with it. Its stamp waits in the slot for that read, with no ring record. */
			MB_WRITE_ONCE(cs->arr_off, off);
			MB_WRITE_ONCE(cs->arr_len, len);
			MB_WRITE_ONCE(cs->arr_ts, ts);
			MB_WRITE_ONCE(cs->arr_full, 1);
			count(MB_CAPC_ARRIVALS, 1);
			return 0;
		}
		emit_arrive(key, cs->gen, ts, off, len);
		return 0;
	}
	/* Not tracked: keep it for accept if it is a server socket nothing has read yet (all it
	 * ever received is still unread). */
	struct tcp_sock *tp = TYPED(struct tcp_sock, key);
	if (tp->rcv_nxt - tp->copied_seq != (__u32)tp->bytes_received)
		return 0;
	struct early_arrivals *ea = bpf_map_lookup_elem(&early, &key);
	if (!ea) {
		struct early_arrivals none = {};
		bpf_map_update_elem(&early, &key, &none, BPF_NOEXIST);
		ea = bpf_map_lookup_elem(&early, &key);
		if (!ea)
			return 0;
	}
	__u32 i = ea->n;
	if (i >= EARLY_MAX)
		return 0;
	ea->seq[i] = seq[0];
	ea->len[i] = len;
	ea->ts[i] = ts;
	ea->n = i + 1;
	/* accept() may have tracked the connection, and announced `early`, between the lookup above
	 * and now (the client sends at once, accept runs on another CPU): then announce it here.
	 * Both may announce the same segments; user space ignores repeated bytes. */
	cs = conn_find((struct sock *)key);
	if (cs && !cs->skip && cs->role == MB_CAP_ROLE_SERVER && cs->rx.known)
		announce_early(key, cs);
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
