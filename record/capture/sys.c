/* capture/sys: privilege, BTF, tracefs and cgroup checks for the live capture (see capture/sys.h). */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <bpf/btf.h>

#include <linux/capability.h>
#include <linux/magic.h>

#include "capture/sys.h"
#include "membench/error.h"

static bool cap_has(const struct __user_cap_data_struct *d, int cap)
{
	return d[cap / 32].effective & (1u << (cap % 32));
}

int capture_sys_check_privileges(char *msg, size_t len)
{
	struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
	struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3];
	memset(d, 0, sizeof(d));
	if (syscall(SYS_capget, &h, d) != 0) {
		int err = -errno;
		snprintf(msg, len, "cannot read this process's capabilities: %s", strerror(errno));
		return err;
	}
	if (cap_has(d, CAP_SYS_ADMIN) || (cap_has(d, CAP_BPF) && cap_has(d, CAP_PERFMON)))
		return 0;
	bool bpf = cap_has(d, CAP_BPF), perfmon = cap_has(d, CAP_PERFMON);
	snprintf(msg, len,
		 "loading the capture needs root, or CAP_BPF and CAP_PERFMON; this process lacks %s%s%s "
		 "(run it with sudo, or `setcap cap_bpf,cap_perfmon+ep` on membench-record)",
		 bpf ? "" : "CAP_BPF", !bpf && !perfmon ? " and " : "", perfmon ? "" : "CAP_PERFMON");
	return MB_E_PRIVILEGE;
}

int capture_sys_check_btf(char *msg, size_t len)
{
	if (access("/sys/kernel/btf/vmlinux", R_OK) != 0) {
		snprintf(msg, len,
			 "this kernel exposes no BTF type information (/sys/kernel/btf/vmlinux: %s); "
			 "the capture needs a kernel built with CONFIG_DEBUG_INFO_BTF=y (Debian's "
			 "kernels are)",
			 strerror(errno));
		return MB_E_UNSUPPORTED;
	}
	/* The capture reads kernel structures through bpf_rdonly_cast (Linux 6.2): say so
	 * rather than let the verifier fail with "kernel function not found". */
	struct btf *btf = btf__load_vmlinux_btf();
	int found = btf && btf__find_by_name_kind(btf, "bpf_rdonly_cast", BTF_KIND_FUNC) > 0;
	btf__free(btf);
	if (found)
		return 0;
	snprintf(msg, len,
		 "this kernel lacks the bpf_rdonly_cast kfunc the capture needs (Linux 6.2 or later; "
		 "on Debian 12, a kernel from bookworm-backports)");
	return MB_E_UNSUPPORTED;
}

static bool is_tracefs(const char *dir)
{
	struct statfs st;
	char events[PATH_MAX];
	snprintf(events, sizeof(events), "%s/events", dir);
	return statfs(dir, &st) == 0 && (unsigned long)st.f_type == TRACEFS_MAGIC &&
	       access(events, F_OK) == 0;
}

int capture_sys_tracefs(int *mounted, char *msg, size_t len)
{
	*mounted = 0;
	/* libbpf 1.1 uses /sys/kernel/debug/tracing when it exists, else /sys/kernel/tracing;
	 * the former is an automount of tracefs when debugfs is mounted. */
	if (is_tracefs("/sys/kernel/tracing"))
		return 0;
	if (access("/sys/kernel/debug/tracing/events", F_OK) == 0)
		return 0;
	if (mount("nodev", "/sys/kernel/tracing", "tracefs", 0, NULL) == 0 &&
	    is_tracefs("/sys/kernel/tracing")) {
		*mounted = 1;
		return 0;
	}
	snprintf(msg, len,
		 "tracefs is not mounted and mounting it failed (%s); mount it with "
		 "`mount -t tracefs nodev /sys/kernel/tracing` and run again",
		 strerror(errno));
	return MB_E_UNSUPPORTED;
}

/* Mount point of the cgroup2 hierarchy, from /proc/self/mountinfo. */
static int cgroup2_root(char *root, size_t len)
{
	FILE *f = fopen("/proc/self/mountinfo", "r");
	if (!f)
		return -errno;
	char line[4096];
	int rc = MB_E_USAGE;
	while (fgets(line, sizeof(line), f)) {
		/* id parent major:minor root mountpoint options... - fstype source superoptions */
		char mnt[PATH_MAX], fstype[64];
		const char *dash = strstr(line, " - ");
		if (!dash || sscanf(line, "%*s %*s %*s %*s %4095s", mnt) != 1 ||
		    sscanf(dash + 3, "%63s", fstype) != 1)
			continue;
		if (strcmp(fstype, "cgroup2") == 0) {
			snprintf(root, len, "%s", mnt);
			rc = 0;
			break;
		}
	}
	fclose(f);
	return rc;
}

int capture_sys_cgroup(const char *path, uint64_t *id, uint32_t *level, char *msg, size_t len)
{
	char root[PATH_MAX], full[PATH_MAX], real[PATH_MAX], realroot[PATH_MAX];
	int rc = cgroup2_root(root, sizeof(root));
	if (rc) {
		snprintf(msg, len, "no cgroup v2 hierarchy is mounted (see /proc/self/mountinfo)");
		return MB_E_USAGE;
	}
	int n = path[0] == '/' ? snprintf(full, sizeof(full), "%s", path) :
				 snprintf(full, sizeof(full), "%s/%s", root, path);
	if (n < 0 || (size_t)n >= sizeof(full)) {
		snprintf(msg, len, "cgroup path too long: %s", path);
		return MB_E_USAGE;
	}
	struct stat st;
	if (!realpath(full, real) || stat(real, &st) != 0) {
		rc = -errno;
		snprintf(msg, len, "cgroup %s: %s", full, strerror(errno));
		return rc;
	}
	if (!realpath(root, realroot))
		snprintf(realroot, sizeof(realroot), "%s", root);
	size_t rl = strlen(realroot);
	struct statfs sfs;
	if (!S_ISDIR(st.st_mode) || statfs(real, &sfs) != 0 ||
	    (unsigned long)sfs.f_type != CGROUP2_SUPER_MAGIC || strncmp(real, realroot, rl) != 0 ||
	    (real[rl] != '/' && real[rl] != '\0')) {
		snprintf(msg, len, "%s is not a cgroup v2 directory under %s", real, realroot);
		return MB_E_USAGE;
	}
	uint32_t depth = 0;
	for (const char *p = real + rl; *p; p++)
		if (*p == '/' && p[1] && p[1] != '/')
			depth++;
	*id = (uint64_t)st.st_ino;
	*level = depth;
	return 0;
}
