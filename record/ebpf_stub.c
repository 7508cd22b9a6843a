/* Placeholder for the eBPF source until the recorder lands: says so plainly. */
#include <stdio.h>
#include <string.h>

#include "membench/cli.h"
#include "membench/exitcode.h"
#include "record.h"

int record_ebpf_main(const char *source, int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--help") == 0) {
			printf("usage: membench record ebpf:any|ebpf:pid=N|ebpf:cgroup=PATH -o FILE.mbp\n"
			       "\nNOT BUILT YET: live eBPF capture of memcached traffic.\n");
			return MB_EXIT_OK;
		}
	mb_error("%s: live eBPF capture is not built yet", source);
	return MB_EXIT_NOT_BUILT;
}
