/* A growable byte buffer for building output (encoded requests, JSON, block columns).
 * Invariant: data[0..len) is valid; cap >= len; data is NULL only while cap == 0.
 */
#ifndef MEMBENCH_BUF_H
#define MEMBENCH_BUF_H

#include <stddef.h>
#include <stdint.h>

struct mb_buf {
	char *data;
	size_t len;
	size_t cap;
};

/* Ensures room for `more` bytes past len. @return 0 or -ENOMEM. */
int mb_buf_reserve(struct mb_buf *b, size_t more);
/* Appends n bytes. @return 0 or -ENOMEM. */
int mb_buf_append(struct mb_buf *b, const void *p, size_t n);
/* Appends formatted text (no NUL is counted in len). @return 0 or -ENOMEM. */
int mb_buf_printf(struct mb_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Drops the first n bytes (n <= len), moving the rest to the front. O(len - n). */
void mb_buf_consume(struct mb_buf *b, size_t n);
static inline void mb_buf_reset(struct mb_buf *b)
{
	b->len = 0;
}
void mb_buf_free(struct mb_buf *b);

#endif
