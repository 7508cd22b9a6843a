/* bench-record-nullprobe: attaches bpf/nullprobe.bpf.c (programs that only count) to every
 * hook the recorder uses, the cost floor of bench/record/overhead.sh.
 *
 * usage: bench-record-nullprobe [--receive-entries] [--no-arrival] [--copy|--copy1 PORT]
 *        bench-record-nullprobe --part walk|probewalk|cache|ring|ringq|ktime|null
 *   Attaches, prints "attached" on stdout, and waits for SIGINT/SIGTERM; then prints how often
 *   each kind of hook ran ("enter N", "exit N", "arrive N") and exits 0. --receive-entries
 *   also hooks the entries of the receive syscalls, which the capture used until it handled
 *   receives at their exit alone (the floor as issue 14 measured it); --no-arrival leaves out
 *   tcp_probe (the floor of `--stamp read`). --part attaches one building block of the
 *   recorder alone to sys_enter_write (null: the counting program) for bpf_stats to time.
 *   --copy PORT: the copy floor (nullprobe.bpf.c) on the exits instead of the counting
 *   program: one ring record per data syscall of the server on PORT, drained every millisecond;
 *   also prints "records N". --copy1 PORT: the same with one ring record per request (a read's
 *   bytes wait for the send that answers it on the same thread; copy1_exit).
 *   Needs root (CAP_BPF, CAP_PERFMON).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/types.h>

#include "capture.h"
#include "nullprobe.skel.h"

static const char *const enters[] = {MB_CAP_HOOKED_ENTERS};
static const char *const exits[] = {MB_CAP_HOOKED_EXITS};
static const char *const recv_enters[] = {MB_CAP_UNHOOKED_ENTERS};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int drop_record(void *ctx, void *data, size_t size)
{
	(void)ctx;
	(void)data;
	(void)size;
	return 0;
}

/* Sum over CPUs of slot idx. */
static unsigned long long hits(struct nullprobe *skel, __u32 idx)
{
	int ncpu = libbpf_num_possible_cpus();
	unsigned long long sum = 0;
	__u64 *v = calloc(ncpu > 0 ? (size_t)ncpu : 1, sizeof(*v));
	if (v && ncpu > 0 && !bpf_map_lookup_elem(bpf_map__fd(skel->maps.hits), &idx, v))
		for (int i = 0; i < ncpu; i++)
			sum += v[i];
	free(v);
	return sum;
}

/* Attaches prog to every "syscalls" tracepoint of names. @return 0 or a negative errno. */
static int attach_all(struct bpf_program *prog, const char *const *names, size_t n,
		      struct bpf_link **links, size_t *nlinks)
{
	for (size_t i = 0; i < n; i++) {
		struct bpf_link *l = bpf_program__attach_tracepoint(prog, "syscalls", names[i]);
		if (!l) {
			fprintf(stderr, "bench-record-nullprobe: cannot attach to %s: %s\n", names[i],
				strerror(errno));
			return -errno;
		}
		links[(*nlinks)++] = l;
	}
	return 0;
}

int main(int argc, char **argv)
{
	int arrival = 1, recv = 0;
	const char *part = NULL;
	long copy_port = 0;
	int copy1 = 0;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--part") == 0 && i + 1 < argc) {
			part = argv[++i];
		} else if ((strcmp(argv[i], "--copy") == 0 || strcmp(argv[i], "--copy1") == 0) &&
			   i + 1 < argc) {
			char *end;
			copy1 = strcmp(argv[i], "--copy1") == 0;
			copy_port = strtol(argv[++i], &end, 10);
			if (*end || copy_port < 1 || copy_port > 65535) {
				fprintf(stderr, "bench-record-nullprobe: --copy: '%s' is not a port\n",
					argv[i]);
				return 2;
			}
		} else if (strcmp(argv[i], "--no-arrival") == 0) {
			arrival = 0;
		} else if (strcmp(argv[i], "--receive-entries") == 0) {
			recv = 1;
		} else {
			fprintf(stderr, "usage: bench-record-nullprobe [--receive-entries] "
					"[--no-arrival] [--copy|--copy1 PORT] | --part walk|probewalk|cache|"
					"ring|ringq|ktime|null\n");
			return 2;
		}
	}
	struct bpf_link *links[64] = {0};
	size_t nlinks = 0;
	int rc = 1;
	struct nullprobe *skel = nullprobe__open();
	if (skel)
		skel->rodata->copy_port = (__u16)copy_port;
	if (!skel || nullprobe__load(skel)) {
		fprintf(stderr, "bench-record-nullprobe: cannot load: %s\n", strerror(errno));
		nullprobe__destroy(skel);
		return 1;
	}
	struct bpf_program *exit_prog = copy1	  ? skel->progs.copy1_exit :
					copy_port ? skel->progs.copy_exit :
						    skel->progs.null_exit;
	if (part) {
		static const char *const write_enter[] = {"sys_enter_write"};
		struct bpf_program *prog = strcmp(part, "walk") == 0      ? skel->progs.part_walk :
					   strcmp(part, "probewalk") == 0 ? skel->progs.part_probewalk :
					   strcmp(part, "cache") == 0     ? skel->progs.part_cache :
					   strcmp(part, "ring") == 0      ? skel->progs.part_ring :
					   strcmp(part, "ringq") == 0     ? skel->progs.part_ringq :
					   strcmp(part, "ktime") == 0     ? skel->progs.part_ktime :
					   strcmp(part, "null") == 0      ? skel->progs.null_enter :
									    NULL;
		if (!prog) {
			fprintf(stderr, "bench-record-nullprobe: unknown part '%s'\n", part);
			goto cleanup;
		}
		if (attach_all(prog, write_enter, 1, links, &nlinks))
			goto cleanup;
		arrival = 0;
	} else if (attach_all(skel->progs.null_enter, enters, sizeof(enters) / sizeof(enters[0]), links,
		       &nlinks) ||
	    attach_all(exit_prog, exits, sizeof(exits) / sizeof(exits[0]), links,
		       &nlinks) ||
	    (recv && attach_all(skel->progs.null_enter, recv_enters,
				sizeof(recv_enters) / sizeof(recv_enters[0]), links, &nlinks)))
		goto cleanup;
	if (arrival &&
	    !(links[nlinks++] = bpf_program__attach_raw_tracepoint(skel->progs.null_arrive,
								     "tcp_probe"))) {
		fprintf(stderr, "bench-record-nullprobe: cannot attach to tcp_probe: %s\n",
			strerror(errno));
		goto cleanup;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	printf("attached\n");
	fflush(stdout);
	/* the ring parts need a reader, as the capture has one: drain every millisecond */
	struct ring_buffer *rb = ring_buffer__new(bpf_map__fd(skel->maps.ring), drop_record, NULL,
						  NULL);
	while (!stop) {
		if (!rb) {
			pause();
			continue;
		}
		/* The programs submit without waking (as the capture mostly does), so poll() only
		 * times out: consume on the timer, or the ring fills and every reservation fails. */
		ring_buffer__poll(rb, 1);
		ring_buffer__consume(rb);
	}
	ring_buffer__free(rb);
	printf("enter %llu\nexit %llu\narrive %llu\n", hits(skel, 0), hits(skel, 1), hits(skel, 2));
	if (copy_port)
		printf("records %llu\n", hits(skel, 3));
	rc = 0;
cleanup:
	for (size_t i = 0; i < nlinks; i++)
		bpf_link__destroy(links[i]);
	nullprobe__destroy(skel);
	return rc;
}
