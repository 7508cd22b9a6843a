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
 */
#include "mb_vmlinux.h"
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 3);
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

char LICENSE[] SEC("license") = "Dual BSD/GPL";
