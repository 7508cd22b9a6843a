// SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only)
/* probe: the smallest useful BPF program, used to check that this kernel and these privileges
 * can load and attach membench's syscall tracepoint programs (`membench record --check`) and
 * that the skeleton build works. It counts getppid() calls made by one target pid.
 */
#include "mb_vmlinux.h"
#include <bpf/bpf_helpers.h>

const volatile int target_tgid = 0;
__u64 hits = 0;

SEC("tracepoint/syscalls/sys_enter_getppid")
int probe_getppid(struct trace_event_raw_sys_enter *ctx)
{
	(void)ctx;
	if ((int)(bpf_get_current_pid_tgid() >> 32) != target_tgid)
		return 0;
	__sync_fetch_and_add(&hits, 1);
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
