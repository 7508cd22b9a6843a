// SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only)
/* nullprobe: the cost floor of the recorder's hooks (bench/record/overhead.sh).
 *
 * Programs that do nothing but count, attached by bench-record-nullprobe to exactly the hooks
 * bpf/capture.bpf.c uses: the entry and exit tracepoints of its syscalls and the tcp_probe raw
 * tracepoint. What the kernel spends calling them is what any recorder built on these hooks
 * pays before it does any work; whatever the recorder costs beyond it is its own.
 *
 * One program per hook kind (entry, exit, arrival), each adding 1 to its slot of a per-CPU
 * array (no shared cache line, no atomics across CPUs).
 *
 * And the recorder's building blocks, each alone in a program for sys_enter_write that the
 * loader attaches on request (--part), so that bpf_stats times it:
 *   part_walk       fd -> struct sock as the capture does it (fd_sock.h: typed loads)
 *   part_probewalk  the same walk in bpf_probe_read_kernel calls (the capture until issue 14)
 *   part_cache      a per-(process, fd) verdict cache: one hash lookup on (tgid, fd), an
 *                   insert when missing (what the walk would have been replaced by)
 *   part_ring       one 64-byte ring-buffer record, reserved and submitted without wake-up
 *   part_ringq      the same after asking the ring how full it is (the capture's wake-up test)
 *   part_ktime      bpf_ktime_get_ns()
 *
 * And the copy floor (copy_exit, --copy PORT): the least a ring-buffer recorder of this traffic
 * can do, on the same hooks. At the exit of every data syscall that moved bytes on a socket
 * whose local port is PORT (the server end: fd -> sock as the capture walks it, the port from
 * the sock), one ring record stamped with one clock read, carrying what the profile is made
 * of: the bytes of a read or write, or of a sendmsg's first iovec (memcached's reply header
 * line; a value after it is left out, as the capture leaves it out). No connection state, no
 * stream offsets, no arrival stamps, no sends stamped at entry: what the capture adds beyond
 * this is the price of a complete, ordered, exactly placed stream. Enter and arrival hooks
 * stay the counting programs.
 */
#include "mb_vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>

#include "fd_sock.h"

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64);
} hits SEC(".maps");

static __always_inline int hit(__u32 idx)
{
	__u64 *v = bpf_map_lookup_elem(&hits, &idx);
	if (v)
		(*v)++;
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_read")
int null_enter(void *ctx)
{
	(void)ctx;
	return hit(0);
}

SEC("tracepoint/syscalls/sys_exit_read")
int null_exit(void *ctx)
{
	(void)ctx;
	return hit(1);
}

SEC("raw_tp/tcp_probe")
int null_arrive(void *ctx)
{
	(void)ctx;
	return hit(2);
}

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, __u64);   /* tgid << 32 | fd */
	__type(value, __u64); /* struct sock address, 0 = not a socket */
} verdicts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 22);
} ring SEC(".maps");

static __always_inline int ring_record(bool query)
{
	__u64 flags = BPF_RB_NO_WAKEUP;
	if (query && bpf_ringbuf_query(&ring, BPF_RB_AVAIL_DATA) > (1 << 20))
		flags = BPF_RB_FORCE_WAKEUP;
	__u64 *e = bpf_ringbuf_reserve(&ring, 64, 0);
	if (!e)
		return 0;
	e[0] = bpf_get_current_pid_tgid();
	bpf_ringbuf_submit(e, flags);
	return hit(3);
}

SEC("tracepoint/syscalls/sys_enter_write")
int part_ring(void *ctx)
{
	(void)ctx;
	return ring_record(false);
}

SEC("tracepoint/syscalls/sys_enter_write")
int part_ringq(void *ctx)
{
	(void)ctx;
	return ring_record(true);
}

SEC("tracepoint/syscalls/sys_enter_write")
int part_ktime(void *ctx)
{
	(void)ctx;
	return bpf_ktime_get_ns() ? hit(3) : 0;
}

SEC("tracepoint/syscalls/sys_enter_write")
int part_walk(struct trace_event_raw_sys_enter *ctx)
{
	return fd_sock(ctx->args[0]) ? hit(3) : 0;
}

SEC("tracepoint/syscalls/sys_enter_write")
int part_probewalk(struct trace_event_raw_sys_enter *ctx)
{
	__u32 fd = ctx->args[0];
	struct task_struct *task = bpf_get_current_task_btf();
	struct files_struct *files = task->files;
	if (!files)
		return 0;
	struct fdtable *fdt = files->fdt;
	if (!fdt || fd >= fdt->max_fds)
		return 0;
	struct file **fda = fdt->fd;
	struct file *f = NULL;
	if (bpf_probe_read_kernel(&f, sizeof(f), fda + fd) || !f)
		return 0;
	umode_t mode = BPF_CORE_READ(f, f_inode, i_mode);
	if ((mode & S_IFMT) != S_IFSOCK)
		return 0;
	struct socket *so = (struct socket *)BPF_CORE_READ(f, private_data);
	return BPF_CORE_READ(so, sk) ? hit(3) : 0;
}

SEC("tracepoint/syscalls/sys_enter_write")
int part_cache(struct trace_event_raw_sys_enter *ctx)
{
	__u64 key = (bpf_get_current_pid_tgid() & ~0xffffffffULL) | (__u32)ctx->args[0];
	__u64 *v = bpf_map_lookup_elem(&verdicts, &key);
	if (v)
		return *v ? hit(3) : 0;
	__u64 none = 0;
	bpf_map_update_elem(&verdicts, &key, &none, BPF_NOEXIST);
	return 0;
}

/* ---- the copy floor ---------------------------------------------------------------------- */

const volatile __u16 copy_port = 0;

#define COPY_MAX 2048 /* bytes copied per record at most: a request, a reply's header line */

struct copy_rec {
	__u64 ts;
	__u32 len;
	__u32 pad;
	__u8 data[COPY_MAX];
};

struct user_msghdr_head { /* the start of struct user_msghdr */
	__u64 name;
	__u32 namelen;
	__u32 pad;
	__u64 iov;
	__u64 iovlen;
};

/* The bytes a copy floor program copies at this syscall exit: a read, write, recvfrom or sendto
 * of the server on copy_port that moved bytes (their user address and count), or a sendmsg's
 * first iovec (memcached's reply header). @return false for anything else. */
static __always_inline bool copy_source(struct trace_event_raw_sys_exit *ctx, long *nr,
					__u64 *src, __u64 *len)
{
	long ret = ctx->ret;
	*nr = ctx->id;
	hit(1);
	if (ret <= 0 || (*nr != 0 && *nr != 1 && *nr != 44 && *nr != 45 && *nr != 46)) /* x86_64 */
		return false;
	struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf());
	struct sock *sk = fd_sock((__u32)regs->di);
	if (!sk || TYPED(struct sock, sk)->__sk_common.skc_num != copy_port)
		return false;
	*src = regs->si;
	*len = ret;
	if (*nr == 46) { /* sendmsg: the first iovec */
		struct user_msghdr_head m;
		struct iovec iov;
		if (bpf_probe_read_user(&m, sizeof(m), (void *)*src) || !m.iovlen ||
		    bpf_probe_read_user(&iov, sizeof(iov), (void *)m.iov))
			return false;
		*src = (__u64)iov.iov_base;
		if (iov.iov_len < *len)
			*len = iov.iov_len;
	}
	return true;
}

SEC("tracepoint/syscalls/sys_exit_read")
int copy_exit(struct trace_event_raw_sys_exit *ctx)
{
	long nr;
	__u64 src, len;
	if (!copy_source(ctx, &nr, &src, &len))
		return 0;
	if (len > COPY_MAX)
		len = COPY_MAX;
	struct copy_rec *e = bpf_ringbuf_reserve(&ring, sizeof(*e), 0);
	if (!e)
		return 0;
	e->ts = bpf_ktime_get_ns();
	e->len = len;
	e->pad = 0;
	if (bpf_probe_read_user(e->data, len, (void *)src))
		e->len = 0;
	bpf_ringbuf_submit(e, BPF_RB_NO_WAKEUP);
	return hit(3);
}

/* The copy floor with one ring record per request (copy1_exit, --copy1 PORT): what the next
 * step for the capture (docs/record-ebpf.md, "What it costs now") could save at most. A read's
 * bytes wait in the thread's task storage; the send that follows on the same thread appends its
 * bytes and both leave as one ring record (a read with one still waiting sends that one alone
 * first). Up to PEND_MAX bytes of each. No flush for a thread that goes idle holding a read: a
 * floor, not a recorder. */
#define PEND_MAX 1024

struct pend {
	__u64 ts;
	__u32 len1; /* bytes of the read waiting */
	__u32 len2;
	__u8 data[2 * PEND_MAX];
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct pend);
} pending SEC(".maps");

SEC("tracepoint/syscalls/sys_exit_read")
int copy1_exit(struct trace_event_raw_sys_exit *ctx)
{
	long nr;
	__u64 src, len;
	if (!copy_source(ctx, &nr, &src, &len))
		return 0;
	if (len > PEND_MAX)
		len = PEND_MAX;
	struct pend *p = bpf_task_storage_get(&pending, bpf_get_current_task_btf(), 0,
					      BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!p)
		return 0;
	__u64 at = p->len1;
	if (at > PEND_MAX)
		at = PEND_MAX;
	if (nr == 0 || nr == 45) { /* a receive: it waits for the send that answers it */
		if (at)
			bpf_ringbuf_output(&ring, p, sizeof(*p) - sizeof(p->data) + at, BPF_RB_NO_WAKEUP);
		p->ts = bpf_ktime_get_ns();
		if (bpf_probe_read_user(p->data, len, (void *)src))
			len = 0;
		p->len1 = len;
		p->len2 = 0;
		return 0;
	}
	if (!at)
		p->ts = bpf_ktime_get_ns();
	if (bpf_probe_read_user(p->data + at, len, (void *)src))
		len = 0;
	p->len2 = len;
	bpf_ringbuf_output(&ring, p, sizeof(*p) - sizeof(p->data) + at + len, BPF_RB_NO_WAKEUP);
	p->len1 = 0;
	return hit(3);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
