/* --metrics for membench record ebpf: (metrics.c): the capture's counters at /metrics while it
 * runs (metric names in docs/metrics.md), served by membench/metrics.h.
 *
 * The capture thread owns every counter: it counts records by command as they pass
 * (record_metrics_count: one addition, no lock), and
 * every RECORD_METRICS_EVERY_NS copies them, with the stream's and the kernel's counters, into
 * the published snapshot under a lock (trylock: a scrape never makes the capture wait; that copy
 * is skipped). A scrape renders the snapshot. The last publish (final) is made from the same
 * figures the closing summary prints, so the two agree.
 */
#ifndef MB_RECORD_METRICS_H
#define MB_RECORD_METRICS_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "membench/profile.h"

#define RECORD_METRICS_EVERY_NS (250ull * 1000 * 1000)

struct record_metrics;

/* What the capture publishes besides what record_metrics counts itself. */
struct record_metrics_capture {
	const struct mb_profile_stats *st; /* events, commands, responses, losses (ring_drops set) */
	uint64_t connections, preexisting, tls_connections;
	uint64_t drop_bytes;      /* payload bytes of the records the ring dropped */
	uint64_t bytes[2];        /* traced bytes by direction (capture_stream_counters) */
	uint64_t file_bytes;      /* profile bytes written so far */
	uint64_t elapsed_ns;
	bool running;
};

/* Binds addr and starts serving (the URL is printed on stderr). @return 0 or an exit code
 * (MB_EXIT_USAGE for an address that cannot be bound), the message naming --metrics and addr. */
int record_metrics_open(struct record_metrics **out, const char *addr);
/* Counts one record written (capture thread). */
void record_metrics_count(struct record_metrics *m, const struct mb_record *rec);
/* True when a periodic publish is due at now (CLOCK_MONOTONIC ns). */
bool record_metrics_due(const struct record_metrics *m, uint64_t now);
/* Publishes c and the counts (capture thread). final: waits for the lock. */
void record_metrics_publish(struct record_metrics *m, const struct record_metrics_capture *c,
			    uint64_t now, bool final);
/* Keeps serving for linger_ns or until *stop becomes non-zero, then stops and frees m. Safe on
 * NULL. */
void record_metrics_close(struct record_metrics *m, uint64_t linger_ns,
			  volatile sig_atomic_t *stop);

#endif
