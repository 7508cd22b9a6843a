/* capture/ring.c: reader of the capture's BPF ring buffer, publishing its position in batches.
 * See ring.h for why and for the layout it reads.
 */
#include "capture/ring.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <linux/bpf.h>

#define HDR_BYTES 8u
#define BUSY_BIT (1u << 31)
#define DISCARD_BIT (1u << 30)
/* Bytes consumed between two stores of the consumer position: each store costs the producers
 * one cache miss per CPU; publishing later keeps that much more of the ring reserved. */
#define CAPTURE_RING_PUBLISH (256u << 10)

struct capture_ring {
	capture_ring_fn fn;
	void *ctx;
	int epfd;
	size_t page;
	uint64_t mask;          /* data size - 1 */
	uint64_t *consumer;     /* page 0, read-write */
	uint64_t *producer;     /* page 1, mapped read-only */
	uint8_t *data;          /* after the producer page, mapped twice, read-only */
	size_t ro_len;
};

int capture_ring_open(int map_fd, capture_ring_fn fn, void *ctx, struct capture_ring **out)
{
	struct bpf_map_info info;
	uint32_t len = sizeof(info);
	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(map_fd, &info, &len))
		return -errno;
	if (info.type != BPF_MAP_TYPE_RINGBUF || !info.max_entries ||
	    (info.max_entries & (info.max_entries - 1)))
		return -EINVAL;
	struct capture_ring *r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	int rc = 0;
	r->fn = fn;
	r->ctx = ctx;
	r->page = (size_t)sysconf(_SC_PAGESIZE);
	r->mask = info.max_entries - 1;
	r->epfd = -1;
	void *c = mmap(NULL, r->page, PROT_READ | PROT_WRITE, MAP_SHARED, map_fd, 0);
	if (c == MAP_FAILED) {
		rc = -errno;
		goto cleanup;
	}
	r->consumer = c;
	r->ro_len = r->page + 2 * (size_t)info.max_entries;
	void *p = mmap(NULL, r->ro_len, PROT_READ, MAP_SHARED, map_fd, (off_t)r->page);
	if (p == MAP_FAILED) {
		rc = -errno;
		goto cleanup;
	}
	r->producer = p;
	r->data = (uint8_t *)p + r->page;
	r->epfd = epoll_create1(EPOLL_CLOEXEC);
	struct epoll_event ev = {.events = EPOLLIN};
	if (r->epfd < 0 || epoll_ctl(r->epfd, EPOLL_CTL_ADD, map_fd, &ev) < 0) {
		rc = -errno;
		goto cleanup;
	}
	*out = r;
	return 0;
cleanup:
	capture_ring_free(r);
	return rc;
}

int capture_ring_consume(struct capture_ring *r)
{
	uint64_t cons = __atomic_load_n(r->consumer, __ATOMIC_ACQUIRE);
	uint64_t published = cons;
	int n = 0, rc = 0;
	for (;;) {
		uint64_t prod = __atomic_load_n(r->producer, __ATOMIC_ACQUIRE);
		if (cons >= prod)
			break;
		while (cons < prod) {
			uint32_t *hdr = (uint32_t *)(void *)(r->data + (cons & r->mask));
			uint32_t len = __atomic_load_n(hdr, __ATOMIC_ACQUIRE);
			if (len & BUSY_BIT)
				goto done; /* reserved, not committed yet: the next pass takes it */
			uint32_t size = len & ~(BUSY_BIT | DISCARD_BIT);
			uint64_t next = cons + ((HDR_BYTES + size + 7) & ~7ull);
			if (!(len & DISCARD_BIT)) {
				rc = r->fn(r->ctx, hdr + 2, size);
				n++;
			}
			cons = next;
			if (rc < 0)
				goto done;
			if (cons - published >= CAPTURE_RING_PUBLISH) {
				__atomic_store_n(r->consumer, cons, __ATOMIC_RELEASE);
				published = cons;
			}
		}
	}
done:
	if (cons != published)
		__atomic_store_n(r->consumer, cons, __ATOMIC_RELEASE);
	return rc < 0 ? rc : n;
}

int capture_ring_poll(struct capture_ring *r, int timeout_ms)
{
	struct epoll_event ev;
	if (epoll_wait(r->epfd, &ev, 1, timeout_ms) < 0)
		return -errno;
	return capture_ring_consume(r);
}

void capture_ring_free(struct capture_ring *r)
{
	if (!r)
		return;
	if (r->epfd >= 0)
		close(r->epfd);
	if (r->producer)
		munmap(r->producer, r->ro_len);
	if (r->consumer)
		munmap(r->consumer, r->page);
	free(r);
}
