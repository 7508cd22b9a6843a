// SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only)
/* fd_sock.h: the walk from a file descriptor of the current process to its struct sock, shared
 * by bpf/capture.bpf.c (every traced syscall) and bpf/nullprobe.bpf.c (which measures it alone
 * for bench/record/overhead.sh). Include after mb_vmlinux.h and bpf_core_read.h.
 */
#ifndef MB_BPF_FD_SOCK_H
#define MB_BPF_FD_SOCK_H

#define S_IFMT 00170000
#define S_IFSOCK 0140000

/* bpf_rdonly_cast (a kfunc the verifier replaces by a plain move): a kernel address as a
 * read-only BTF-typed pointer, so that its fields are read with plain, fault-safe loads
 * instead of bpf_probe_read_kernel calls (about 20 ns each). A NULL or stale address reads as
 * zeros, never faults. */
extern void *bpf_rdonly_cast(const void *obj, __u32 btf_id) __ksym;
#define TYPED(T, p) ((T *)bpf_rdonly_cast((const void *)(p), bpf_core_type_id_kernel(T)))

/* fd of the current process -> its struct sock if it is a socket, else NULL. The hot path of
 * every syscall on a hooked tracepoint, so the protocol checks are left to sock_is_tcp(),
 * needed only for a socket the probe does not track yet. Every step but one is a plain load
 * through a BTF-typed pointer (the task's, then TYPED casts), which the JIT turns into one
 * fault-safe instruction; only the fd array slot (a variable index into an array of pointers,
 * which the verifier does not type) is a bpf_probe_read_kernel (it used to be five of them;
 * bench/record/overhead.sh times both walks alone, and a hash lookup, in nullprobe.bpf.c). */
static __always_inline struct sock *fd_sock(__u32 fd)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct files_struct *files = task->files;
	if (!files)
		return NULL;
	struct fdtable *fdt = files->fdt;
	if (!fdt || fd >= fdt->max_fds)
		return NULL;
	struct file **fda = fdt->fd;
	struct file *f = NULL;
	if (bpf_probe_read_kernel(&f, sizeof(f), fda + fd) || !f)
		return NULL;
	struct file *tf = TYPED(struct file, f);
	struct inode *inode = tf->f_inode;
	if (!inode || (inode->i_mode & S_IFMT) != S_IFSOCK)
		return NULL;
	struct socket *so = TYPED(struct socket, tf->private_data);
	return so->sk;
}

#endif
