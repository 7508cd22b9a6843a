/* capture/sys: what the live capture needs from the system, checked before anything is loaded so
 * the user is told what is really missing (libbpf 1.1 blames RLIMIT_MEMLOCK for any EPERM).
 *
 * Every function writes a complete, user-facing sentence into msg on failure.
 */
#ifndef MB_RECORD_EBPF_SYS_H
#define MB_RECORD_EBPF_SYS_H

#include <stddef.h>
#include <stdint.h>

/* Root, or CAP_BPF and CAP_PERFMON (or CAP_SYS_ADMIN) in the effective set.
 * @return 0, MB_E_PRIVILEGE (msg names the missing capabilities), or -errno from capget. */
int capture_sys_check_privileges(char *msg, size_t len);

/* The kernel's BTF (/sys/kernel/btf/vmlinux), which CO-RE relocation needs, and in it the
 * bpf_rdonly_cast kfunc (Linux 6.2) the program's typed reads need.
 * @return 0 or MB_E_UNSUPPORTED. */
int capture_sys_check_btf(char *msg, size_t len);

/* Makes sure tracefs is reachable (libbpf attaches tracepoints through it): mounts it at
 * /sys/kernel/tracing when neither it nor /sys/kernel/debug/tracing is mounted.
 * *mounted is set when this call mounted it. @return 0 or MB_E_UNSUPPORTED (msg says how to
 * mount it by hand). */
int capture_sys_tracefs(int *mounted, char *msg, size_t len);

/* A cgroup v2 directory (absolute, or relative to the cgroup2 mount) -> its id (the inode
 * number bpf_get_current_cgroup_id() returns) and depth below the root (0 = root).
 * @return 0, -errno (stat), or MB_E_USAGE (not in a cgroup2 hierarchy). */
int capture_sys_cgroup(const char *path, uint64_t *id, uint32_t *level, char *msg, size_t len);

#endif
