/* Minimal kernel type definitions for membench's CO-RE BPF programs.
 *
 * Written by hand instead of generating vmlinux.h from the build host's BTF, so the build never
 * depends on the build machine's kernel. Every struct is marked preserve_access_index: field
 * offsets are relocated by libbpf against the running kernel's BTF at load time, so only the
 * fields we read need to be declared, and their order here does not matter.
 * Add fields and types here as programs need them.
 */
#ifndef MB_VMLINUX_H
#define MB_VMLINUX_H

typedef unsigned char __u8;
typedef signed char __s8;
typedef unsigned short __u16;
typedef short __s16;
typedef unsigned int __u32;
typedef int __s32;
typedef unsigned long long __u64;
typedef long long __s64;
typedef __u8 u8;
typedef __u16 u16;
typedef __u32 u32;
typedef __u64 u64;
typedef __s32 s32;
typedef __s64 s64;
typedef __u16 __be16;
typedef __u32 __be32;
typedef __u32 __wsum;
typedef _Bool bool;
enum { false = 0, true = 1 };
typedef unsigned long size_t;
typedef long ssize_t;
typedef int pid_t;
typedef unsigned short umode_t;

enum bpf_map_type {
	BPF_MAP_TYPE_UNSPEC = 0,
	BPF_MAP_TYPE_HASH = 1,
	BPF_MAP_TYPE_ARRAY = 2,
	BPF_MAP_TYPE_PERCPU_HASH = 5,
	BPF_MAP_TYPE_PERCPU_ARRAY = 6,
	BPF_MAP_TYPE_LRU_HASH = 9,
	BPF_MAP_TYPE_RINGBUF = 27,
	BPF_MAP_TYPE_TASK_STORAGE = 29,
};
/* map_flags, and the flags of bpf_task_storage_get (uapi/linux/bpf.h). */
enum {
	BPF_F_NO_PREALLOC = 1,
};
enum {
	BPF_LOCAL_STORAGE_GET_F_CREATE = 1,
};

enum {
	BPF_ANY = 0,
	BPF_NOEXIST = 1,
	BPF_EXIST = 2,
};

/* bpf_ringbuf_submit/output flags and bpf_ringbuf_query fields (uapi/linux/bpf.h). */
enum {
	BPF_RB_NO_WAKEUP = 1,
	BPF_RB_FORCE_WAKEUP = 2,
};

enum {
	BPF_RB_AVAIL_DATA = 0,
	BPF_RB_RING_SIZE = 1,
	BPF_RB_CONS_POS = 2,
	BPF_RB_PROD_POS = 3,
};

#pragma clang attribute push(__attribute__((preserve_access_index)), apply_to = record)

struct trace_entry {
	unsigned short type;
	unsigned char flags;
	unsigned char preempt_count;
	int pid;
};

/* Raw syscall tracepoint contexts (syscalls:sys_enter_* / sys_exit_*). */
struct trace_event_raw_sys_enter {
	struct trace_entry ent;
	long id;
	unsigned long args[6];
};

struct trace_event_raw_sys_exit {
	struct trace_entry ent;
	long id;
	long ret;
};

/* The registers saved at syscall entry (bpf_task_pt_regs): the syscall's arguments. */
#if defined(__TARGET_ARCH_x86)
struct pt_regs {
	unsigned long di;
	unsigned long si;
	unsigned long dx;
	unsigned long r10;
};
#elif defined(__TARGET_ARCH_arm64)
struct pt_regs {
	u64 regs[31];
	u64 orig_x0;
};
#endif
/* ---- types followed by capture.bpf.c: fd -> file -> socket -> sock -> tcp_sock ---------- */

struct inode {
	umode_t i_mode;
};

struct file {
	struct inode *f_inode;
	void *private_data; /* struct socket * for socket files */
};

struct fdtable {
	unsigned int max_fds;
	struct file **fd;
};

struct files_struct {
	struct fdtable *fdt;
};

struct task_struct {
	int tgid;
	struct files_struct *files;
	struct task_struct *group_leader;
	char comm[16];
};

struct in6_addr {
	union {
		__u8 u6_addr8[16];
		__be16 u6_addr16[8];
		__be32 u6_addr32[4];
	} in6_u;
};

/* In the kernel the address and port fields sit inside anonymous unions/structs; libbpf's field
 * matching looks through anonymous members, so they can be declared flat here. */
struct sock_common {
	__be32 skc_daddr;
	__be32 skc_rcv_saddr;
	__be16 skc_dport;
	__u16 skc_num;
	unsigned short skc_family;
	volatile unsigned char skc_state;
	struct in6_addr skc_v6_daddr;
	struct in6_addr skc_v6_rcv_saddr;
};

struct sock {
	struct sock_common __sk_common;
	u16 sk_type;
	u16 sk_protocol;
	u8 sk_shutdown;
};

struct socket {
	short type;
	struct sock *sk;
};

/* Stream position counters (RFC 4898 tcpEStatsAppHCThruOctets*): bytes_received and
 * bytes_acked are 64-bit totals since the connection was established; the 32-bit sequence
 * numbers give the distance from those totals to what the application has read or written. */
struct tcp_sock {
	u64 bytes_received;
	u64 bytes_acked;
	u32 rcv_nxt;
	u32 copied_seq;
	u32 snd_una;
	u32 write_seq;
};

/* Only the control block: TCP keeps struct tcp_skb_cb there, whose first two fields (seq and
 * end_seq) have not moved since Linux 2.x. */
struct sk_buff {
	char cb[48];
};

#pragma clang attribute pop

/* UAPI (include/uapi/linux/bpf.h): the context of a raw tracepoint program. */
struct bpf_raw_tracepoint_args {
	__u64 args[0];
};

/* User-space ABI structs (fixed layout on every kernel, read with bpf_probe_read_user): declared
 * without preserve_access_index on purpose. */
struct iovec {
	void *iov_base;
	size_t iov_len;
};

struct user_msghdr {
	void *msg_name;
	int msg_namelen;
	struct iovec *msg_iov;
	size_t msg_iovlen;
	void *msg_control;
	size_t msg_controllen;
	unsigned int msg_flags;
};

struct mmsghdr {
	struct user_msghdr msg_hdr;
	unsigned int msg_len;
};

#endif
