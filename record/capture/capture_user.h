/* capture/capture.c: loading, attaching and reading the capture program (bpf/capture.bpf.c).
 * Shared by membench-record and the root-bpf tests, which drive the same program.
 */
#ifndef MB_RECORD_CAPTURE_USER_H
#define MB_RECORD_CAPTURE_USER_H

#include <stdbool.h>
#include <stdint.h>

#include <linux/types.h>

#include "capture.h"
#include "capture.skel.h"

/* What to trace; written into the program's .rodata before load. */
struct capture_prog_config {
	uint64_t ports[1024];  /* bitmap of memcached ports */
	uint32_t self_tgid;    /* never traced (the recorder) */
	uint32_t pid;          /* 0 = every process */
	uint64_t cgroup_id;    /* 0 = every cgroup */
	uint32_t cgroup_level;
	char comm[MB_CAP_COMM_LEN]; /* "" = every process name */
	uint8_t side;          /* enum mb_cap_side */
	uint32_t max_bytes;    /* head bytes per segment, 1..MB_CAP_PIECE_MAX */
	uint32_t tail_bytes;   /* tail bytes of a longer segment, 0..MB_CAP_PIECE_MAX */
	uint32_t ring_size;    /* ring buffer bytes: a power of two, multiple of the page size */
	uint64_t wakeup_bytes; /* wake the reader past this much unread data, 0 = every record
				* (then it must also read on a timer: ring_buffer__consume) */
	bool arrivals;         /* stamp request segments on arrival (tcp_probe, MB_CAP_ARRIVE) */
	bool full_values;      /* copy the value payloads of server responses too (capture.h) */
	uint64_t sample_below; /* trace a connection when mb_cap_conn_hash() < this; 0 = all
				* (capture_sample_below) */
};

/* The sample_below of a fraction in (0, 1]: fraction * 2^64, 0 (everything) for 1. */
uint64_t capture_sample_below(double fraction);

struct capture_prog {
	struct capture *skel;
	struct bpf_link *extra[16]; /* exit_data_tp on the other exit tracepoints */
	int nextra;
	struct bpf_link *arrive;    /* on_tcp_probe, NULL when arrivals are off or unavailable */
	int arrive_err;             /* why arrivals were asked for but are off (negative errno) */
};

/* Opens, configures and loads the program. @return 0 or a negative libbpf error (-EPERM, the
 * verifier's -EACCES/-EINVAL, -ENOMEM). */
int capture_prog_load(struct capture_prog *cap, const struct capture_prog_config *cfg);

/* Attaches every program to its tracepoints, then arms them (entries do nothing until every
 * exit is attached, so no syscall is half-traced). @return 0 or a negative error (then nothing
 * stays attached). The arrival stamp is optional: if the kernel cannot attach it, the capture
 * goes on with read-time stamps and cap->arrive_err says why. */
int capture_prog_attach(struct capture_prog *cap);

/* Detaches every program; the ring buffer and counters remain readable. */
void capture_prog_detach(struct capture_prog *cap);

/* Sum over CPUs of the kernel counter idx (enum mb_cap_counter). */
uint64_t capture_prog_counter(const struct capture_prog *cap, uint32_t idx);

/* Times the kernel skipped the arrival program because it was already running on that CPU
 * (a softirq delivering a segment while it ran): those segments have no arrival stamp. 0 when
 * arrivals are off or the kernel does not say. */
uint64_t capture_prog_arrival_misses(const struct capture_prog *cap);

/* Ring buffer map fd. */
int capture_prog_ring_fd(const struct capture_prog *cap);

/* Detaches and frees everything. Safe on a zeroed struct. */
void capture_prog_destroy(struct capture_prog *cap);

#endif
