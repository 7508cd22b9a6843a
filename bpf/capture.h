/* capture.h: the records the capture BPF program (capture.bpf.c) sends to user space
 * (record/capture/) through its ring buffer, and the constants both sides share.
 *
 * Included by the BPF program (after mb_vmlinux.h, which provides __u8 .. __u64) and by user
 * space (after <linux/types.h>). Fixed-width types, explicit padding, natural alignment: the
 * layouts are identical for clang -target bpf and for x86_64/arm64 C compilers (checked by the
 * _Static_asserts at the bottom).
 *
 * Every ring-buffer record starts with struct mb_cap_hdr; hdr.kind says which record follows:
 *
 *   MB_CAP_DATA   struct mb_cap_data, then cap_len bytes of payload. One record per captured
 *                 piece of one syscall segment (a buffer, or one iovec); the iovecs of one
 *                 send or receive that are copied whole (each within the head cap) are gathered
 *                 into one record (up to 8 KiB), a segment of their total length. A segment longer than
 *                 the per-segment cap is sent as two pieces, its head (max_bytes) and its tail
 *                 (tail_bytes); the middle is not copied. Each piece carries the stream offset of its first byte,
 *                 so user space knows exactly which bytes it has and which are missing.
 *                 Values: in a server's send, an iovec that follows an iovec holding a whole
 *                 value header line ("VALUE <key> <flags> <n>..." or "VA <n> ...", as memcached
 *                 sends every hit) and is exactly the n + 2 bytes the header announces (512
 *                 or more) is value payload: its bytes but the last two are not copied (hole_at,
 *                 hole_len), since the codec skips a value's bytes anyway and the profile keeps
 *                 only its length (--full-values copies them).
 *   MB_CAP_OPEN   struct mb_cap_conn: a connection seen for the first time (accept/connect while
 *                 recording, or the first traffic of a connection that was already open).
 *   MB_CAP_CLOSE  struct mb_cap_conn: close() of a traced connection.
 *   MB_CAP_ARRIVE struct mb_cap_arrive: a TCP segment carrying request bytes reached the server
 *                 end of a traced connection (tcp_probe, in the kernel's receive path), before
 *                 the application read it. Lets user space stamp each request with the time it
 *                 arrived rather than the time the server got round to reading it. A segment
 *                 that reaches a socket holding nothing unread (the usual case below
 *                 saturation) sends no ARRIVE: its arrival rides in the data record of the
 *                 read that returns it (mb_cap_data.arrive_ts/arrive_len; x86_64).
 *
 * Connection identity: (hdr.sock, hdr.gen). sock is the kernel address of the struct sock; gen
 * is the CLOCK_MONOTONIC time at which the probe started tracking the connection, renewed on every
 * accept/connect, so a struct sock reused for a new connection gets a new identity (a time is
 * unique per struct sock, and needs no atomic fetch-and-add, which BPF CPU v1 lacks). It does not
 * depend on fds or threads (accept on one thread, I/O on another).
 *
 * Stream offsets: bytes since the TCP connection was established, per direction, taken from the
 * kernel's own counters (tcp_sock bytes_received/copied_seq/rcv_nxt and
 * bytes_acked/write_seq/snd_una), not counted by the probe. So a record lost from the ring,
 * a syscall the probe does not see (sendfile, io_uring) or a connection that was open before the
 * capture all show up as an exact gap. Directions are already mapped to the protocol's
 * (request = client to server) using the connection's role.
 *
 * Timestamps: bpf_ktime_get_ns() (CLOCK_MONOTONIC). Received data is stamped at syscall exit
 * (when the application has the bytes); sent data at syscall entry (when the application hands
 * them over); arrivals when the kernel's TCP receive path takes the segment (on loopback, inside
 * the sender's send call). A data record precedes nothing it depends on: an arrival is reserved
 * in the ring before the read that returns its bytes can exit, so it is consumed first.
 */
#ifndef MB_CAPTURE_H
#define MB_CAPTURE_H

#ifdef __bpf__
typedef __u64 uint64_t; /* membench/mix.h's one type (no libc headers in BPF) */
#endif
#include "membench/mix.h"

/* Kinds of ring-buffer records (mb_cap_hdr.kind). */
enum mb_cap_kind {
	MB_CAP_DATA = 1,
	MB_CAP_OPEN = 2,
	MB_CAP_CLOSE = 3,
	MB_CAP_ARRIVE = 4,
};

/* Direction of a data record (same values as enum mb_dir in membench/proto.h). */
#define MB_CAP_DIR_REQUEST 0
#define MB_CAP_DIR_RESPONSE 1

/* Role of the traced end of a connection. */
enum mb_cap_role {
	MB_CAP_ROLE_SERVER = 1, /* local port in the port set: received bytes are requests */
	MB_CAP_ROLE_CLIENT = 2, /* peer port in the port set: sent bytes are requests */
};

/* Which ends of a connection to trace (rodata `side`). */
enum mb_cap_side {
	MB_CAP_SIDE_AUTO = 0,   /* both roles, but the client end of a host-local connection only
				 * when a process filter is set (otherwise its server end, on the
				 * same host, is traced and the traffic would be recorded twice) */
	MB_CAP_SIDE_SERVER = 1, /* server ends only */
	MB_CAP_SIDE_CLIENT = 2, /* client ends only */
	MB_CAP_SIDE_BOTH = 3,   /* every end, even both ends of one host-local connection */
};

/* Flags of mb_cap_data.flags. */
#define MB_CAPF_READ_FAILED 0x01 /* copying from user memory failed: cap_len is 0 */

/* Indexes of the per-CPU counter array `counters`. */
enum mb_cap_counter {
	MB_CAPC_RING_DROPS = 0,  /* ring-buffer reservations that failed (records lost) */
	MB_CAPC_DROP_BYTES = 1,  /* payload bytes those lost data records would have carried */
	MB_CAPC_STASH_FULL = 2,  /* syscalls not traced because the in-flight table was full */
	MB_CAPC_READ_FAILED = 3, /* pieces whose user memory could not be read */
	MB_CAPC_SYSCALLS = 4,    /* traced socket syscalls that moved data */
	MB_CAPC_ARRIVALS = 5,    /* request segments stamped on arrival (MB_CAP_ARRIVE sent) */
	MB_CAPC_COUNT = 8,
};

/* Largest payload of one data record: the largest head (--max-bytes) or tail capture. */
#define MB_CAP_PIECE_MAX 65536
/* Most iovecs followed per syscall message (the kernel's UIO_MAXIOV). */
#define MB_CAP_MAX_IOV 1024
/* Most messages followed per recvmmsg/sendmmsg. */
#define MB_CAP_MAX_MMSG 64

#define MB_CAP_COMM_LEN 16

/* Common header of every ring-buffer record. 32 bytes. */
struct mb_cap_hdr {
	__u64 ts_ns;   /* CLOCK_MONOTONIC, see the top of this file */
	__u64 sock;    /* kernel address of the struct sock */
	__u64 gen;     /* connection generation, see the top of this file */
	__u32 tgid;    /* process (thread group) that made the syscall */
	__u8 kind;     /* enum mb_cap_kind */
	__u8 pad[3];
};

/* MB_CAP_DATA: followed by cap_len payload bytes. 72 bytes. */
struct mb_cap_data {
	struct mb_cap_hdr hdr;
	__u64 offset;    /* stream offset (this direction) of the first payload byte */
	__u32 seg_len;   /* full length of the segment (buffer or iovec) this piece belongs to */
	__u32 seg_off;   /* position of the first payload byte inside that segment */
	__u32 cap_len;   /* payload bytes that follow this struct */
	__u8 dir;        /* MB_CAP_DIR_REQUEST or MB_CAP_DIR_RESPONSE */
	__u8 flags;      /* MB_CAPF_* */
	__u16 hole_at;   /* with hole_len: payload bytes [0, hole_at) are stream bytes from offset */
	/* Server ends' receives: when the read's first bytes arrived at an empty socket, their
	 * arrival (what an MB_CAP_ARRIVE record would have said, saved a ring record): request
	 * bytes [offset, offset + arrive_len) reached the socket at arrive_ts. 0: none. */
	__u64 arrive_ts;
	__u32 arrive_len;
	/* A value payload not copied (server responses, see "Values" above): hole_len stream bytes
	 * follow the first hole_at payload bytes, then the rest of the payload. 0: none. The
	 * record's segment (seg_len) counts the hole; cap_len does not. */
	__u32 hole_len;
	/* __u8 data[cap_len] follows */
};

/* MB_CAP_OPEN / MB_CAP_CLOSE. 104 bytes. Addresses are in network byte order; IPv4 addresses
 * use the first 4 bytes of laddr/raddr. */
struct mb_cap_conn {
	struct mb_cap_hdr hdr;
	/* Bytes received / sent by the application so far (stream offsets). OPEN of a connection
	 * seen at accept: 0; seen at its first traffic (accepted == 0): where the capture starts;
	 * CLOSE: where the streams end. 0 when the kernel does not know yet (the receive side of a
	 * connect() whose handshake has not finished). */
	__u64 rx_offset;
	__u64 tx_offset;
	__u8 laddr[16];
	__u8 raddr[16];
	__u16 lport;       /* host byte order */
	__u16 rport;       /* host byte order */
	__u16 family;      /* AF_INET or AF_INET6 */
	__u8 role;         /* enum mb_cap_role */
	__u8 accepted;     /* 1: seen at accept/connect, so the stream starts at offset 0 */
	char comm[MB_CAP_COMM_LEN];
};

/* MB_CAP_ARRIVE. 48 bytes. hdr.tgid is 0 (softirq context: no meaningful process). */
struct mb_cap_arrive {
	struct mb_cap_hdr hdr;
	__u64 offset;    /* request-stream offset of the segment's first byte */
	__u32 len;       /* sequence space it covers: its data bytes, plus 1 if it carries a FIN */
	__u32 pad;
};

/* Exit tracepoints (category "syscalls") to which user space attaches the program exit_data_tp,
 * beyond the sys_exit_read of its section name. */
#define MB_CAP_EXTRA_EXITS                                                                     \
	"sys_exit_readv", "sys_exit_recvfrom", "sys_exit_recvmsg", "sys_exit_recvmmsg",        \
		"sys_exit_write", "sys_exit_writev", "sys_exit_sendto", "sys_exit_sendmsg",    \
		"sys_exit_sendmmsg"

/* Every syscall tracepoint the capture uses (category "syscalls"), entries then exits: the
 * cost floor of bench/record/overhead.sh attaches its null programs to exactly these. Keep in
 * step with the SEC()s of capture.bpf.c and MB_CAP_EXTRA_EXITS. */
#define MB_CAP_HOOKED_ENTERS                                                                   \
	"sys_enter_write", "sys_enter_writev", "sys_enter_sendto", "sys_enter_sendmsg",        \
		"sys_enter_sendmmsg", "sys_enter_connect", "sys_enter_close"
/* The receive entries, which the capture no longer uses (receives are handled at their exit
 * alone): the floor of issue 14 had null programs there too. */
#define MB_CAP_UNHOOKED_ENTERS                                                                 \
	"sys_enter_read", "sys_enter_readv", "sys_enter_recvfrom", "sys_enter_recvmsg",        \
		"sys_enter_recvmmsg"
#define MB_CAP_HOOKED_EXITS                                                                    \
	"sys_exit_read", MB_CAP_EXTRA_EXITS, "sys_exit_accept", "sys_exit_accept4",            \
		"sys_exit_connect"

/* Sampling hash of a connection (--sample): mb_mix64 chained over its server end's address and
 * port, then its client end's (addresses as four 32-bit words in network byte order, IPv4 in the
 * last word; ports in host byte order). A connection is in a sample of fraction f when its hash
 * is below f * 2^64. The kernel and user space (tests, tools) compute it alike. */
static inline __u64 mb_cap_conn_hash(const __u32 saddr[4], __u16 sport, const __u32 caddr[4],
				     __u16 cport)
{
	__u64 h = mb_mix64(((__u64)sport << 16) | cport);
	for (int i = 0; i < 4; i++)
		h = mb_mix64(h ^ (((__u64)saddr[i] << 32) | caddr[i]));
	return h;
}

_Static_assert(sizeof(struct mb_cap_hdr) == 32, "mb_cap_hdr layout");
_Static_assert(sizeof(struct mb_cap_data) == 72, "mb_cap_data layout");
_Static_assert(sizeof(struct mb_cap_conn) == 104, "mb_cap_conn layout");
_Static_assert(sizeof(struct mb_cap_arrive) == 48, "mb_cap_arrive layout");

#endif
