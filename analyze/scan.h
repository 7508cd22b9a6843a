/* Parallel block decoding for `membench analyze --threads N`.
 *
 * The engine (analysis.h) needs records in file order (reuse, inter-arrival and batches depend
 * on it), but decoding blocks (zstd + columns) does not: N - 1 worker threads, each with its own
 * reader, decode blocks i = t, t + (N-1), ... through the block index into a ring of slots, and
 * the calling thread feeds the slots to the engine in block order. Memory: (2N + 2) slots of one
 * block each (65536 records x 48 bytes by default).
 */
#ifndef MB_ANALYZE_SCAN_H
#define MB_ANALYZE_SCAN_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "analysis.h"

/* Called after each block with records done so far. */
typedef void (*scan_progress_fn)(void *ctx, uint64_t done);

/* Analyzes every block of the index of `r` (opened on path) with `threads` >= 2 threads.
 * Stops early (returning 0) when *stop becomes nonzero.
 * @return 0, or a reader error (message in errbuf, naming the file and offset), -ENOMEM, or
 *         -errno from pthread_create. */
int scan_parallel(const char *path, const struct mb_profile_reader *r, struct analysis *a,
		  unsigned threads, volatile sig_atomic_t *stop, scan_progress_fn progress,
		  void *progress_ctx, char *errbuf, size_t errlen);

#endif
