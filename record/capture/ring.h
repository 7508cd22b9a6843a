/* capture/ring.c: the reader of the capture's BPF ring buffer (BPF_MAP_TYPE_RINGBUF).
 *
 * Why not libbpf's ring_buffer__consume: it stores the consumer position after every record,
 * and the kernel reads that position in every bpf_ringbuf_reserve() and bpf_ringbuf_submit().
 * While the reader drains (parsing records is slow next to producing them, so most of the time
 * under load), every record the traced server produces then misses on that cache line twice
 * (bench/record/RESULTS.md, "the ring reader"). This reader publishes its position once per
 * CAPTURE_RING_PUBLISH bytes consumed and at the end of each pass, as the kernel's
 * documentation of the ring allows (records are freed in order; a position published late
 * only keeps space reserved a little longer).
 *
 * Layout it relies on (kernel/bpf/ringbuf.c, stable ABI): page 0 of the map (read-write) holds
 * the consumer position; page 1 (read-only) the producer position; the data area (size bytes)
 * follows, mapped twice in a row so a record that wraps reads contiguously. Each record starts
 * with an 8-byte header {u32 len (bit 31 busy, bit 30 discarded); u32 page offset}, its data
 * follows, and the next record starts at the next multiple of 8.
 */
#ifndef MB_RECORD_CAPTURE_RING_H
#define MB_RECORD_CAPTURE_RING_H

#include <stddef.h>

/* Called for each committed record; a negative return stops the pass and is returned by it. */
typedef int (*capture_ring_fn)(void *ctx, void *data, size_t size);

struct capture_ring;

/* Maps the ring of map_fd. @return 0 and *out, or a negative errno (-EINVAL if map_fd is not
 * a ring buffer, mmap and epoll errors). */
int capture_ring_open(int map_fd, capture_ring_fn fn, void *ctx, struct capture_ring **out);

/* Waits up to timeout_ms for the kernel's wakeup, then consumes. @return records consumed,
 * or a negative error (the callback's, or -errno of epoll_wait; -EINTR on a signal). */
int capture_ring_poll(struct capture_ring *r, int timeout_ms);

/* Consumes every committed record now. @return records consumed, or the callback's error. */
int capture_ring_consume(struct capture_ring *r);

/* Unmaps and frees. Safe on NULL. */
void capture_ring_free(struct capture_ring *r);

#endif
