/* root-bpf: loads the probe skeleton (bpf/probe.bpf.c), attaches it to a syscall tracepoint and
 * checks it saw exactly the calls this process made. Proves the clang -> bpftool skeleton build,
 * CO-RE relocation against the running kernel, and tracepoint attachment. Skips (77) without root.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "probe.skel.h"
#include "testutil.h"

static void test_probe_counts_own_calls(void **state)
{
	(void)state;
	struct probe *skel = probe__open();
	if (!skel || !skel->rodata) {
		fail_msg("probe__open failed");
		return;
	}
	skel->rodata->target_tgid = getpid();
	assert_int_equal(probe__load(skel), 0);
	assert_int_equal(probe__attach(skel), 0);
	for (int i = 0; i < 25; i++)
		(void)getppid();
	assert_int_equal(skel->bss->hits, 25);
	probe__destroy(skel);
}

int main(void)
{
	if (!mb_test_is_root()) {
		fprintf(stderr, "skip: needs root to load BPF programs\n");
		return MB_TEST_SKIP;
	}
	if (access("/sys/kernel/btf/vmlinux", R_OK) != 0) {
		fprintf(stderr, "skip: kernel has no BTF (/sys/kernel/btf/vmlinux)\n");
		return MB_TEST_SKIP;
	}
	/* libbpf attaches tracepoints through tracefs; a fresh machine may not have it mounted. */
	struct stat st;
	if (stat("/sys/kernel/tracing/events", &st) != 0 &&
	    stat("/sys/kernel/debug/tracing/events", &st) != 0)
		mount("nodev", "/sys/kernel/tracing", "tracefs", 0, NULL);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_probe_counts_own_calls),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
