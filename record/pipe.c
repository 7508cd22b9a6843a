/* Producer/writer pipeline; see pipe.h.
 *
 * State under mu: full[i] = batch i is handed to the writer thread and not yet written;
 * done = the producer has handed over everything; err = first append error. The producer only
 * touches b[fill] while !full[fill]; the writer thread only touches b[cur] while full[cur].
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pipe.h"
#include "membench/buf.h"

#define NO_KEY UINT32_MAX

struct pipe_batch {
	struct mb_record *rec;
	uint32_t *koff, *klen; /* klen NO_KEY: identity in rec->key_id */
	struct mb_buf keys;    /* the batch's key bytes, back to back */
	size_t n;
};

struct record_pipe {
	struct mb_profile_writer *w;
	pthread_t th;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct pipe_batch b[2];
	int fill;
	bool full[2];
	bool done;
	int err;
};

static void batch_free(struct pipe_batch *b)
{
	free(b->rec);
	free(b->koff);
	free(b->klen);
	mb_buf_free(&b->keys);
}

static int batch_init(struct pipe_batch *b)
{
	memset(b, 0, sizeof(*b));
	b->rec = malloc(RECORD_PIPE_BATCH * sizeof(*b->rec));
	b->koff = malloc(RECORD_PIPE_BATCH * sizeof(*b->koff));
	b->klen = malloc(RECORD_PIPE_BATCH * sizeof(*b->klen));
	if (!b->rec || !b->koff || !b->klen)
		return -ENOMEM;
	return mb_buf_reserve(&b->keys, 1 << 20);
}

/* Appends a batch to the writer. @return 0 or the writer's error. */
static int batch_write(struct mb_profile_writer *w, const struct pipe_batch *b)
{
	for (size_t i = 0; i < b->n; i++) {
		const void *key = b->klen[i] == NO_KEY ? NULL : b->keys.data + b->koff[i];
		size_t kb = b->klen[i] == NO_KEY ? 0 : b->klen[i];
		int rc = mb_profile_writer_append(w, &b->rec[i], key, kb);
		if (rc)
			return rc;
	}
	return 0;
}

static void *pipe_thread(void *arg)
{
	struct record_pipe *p = arg;
	sigset_t all;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL); /* SIGINT goes to the producer's thread */
	int cur = 0;
	pthread_mutex_lock(&p->mu);
	for (;;) {
		while (!p->full[cur] && !p->done)
			pthread_cond_wait(&p->cv, &p->mu);
		if (!p->full[cur])
			break; /* done and nothing left */
		int err = p->err;
		pthread_mutex_unlock(&p->mu);
		if (!err)
			err = batch_write(p->w, &p->b[cur]);
		pthread_mutex_lock(&p->mu);
		if (err && !p->err)
			p->err = err;
		p->full[cur] = false;
		pthread_cond_broadcast(&p->cv);
		cur ^= 1;
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

int record_pipe_start(struct record_pipe **out, struct mb_profile_writer *w)
{
	struct record_pipe *p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	int rc = 0;
	p->w = w;
	if (batch_init(&p->b[0]) || batch_init(&p->b[1])) {
		rc = -ENOMEM;
		goto cleanup;
	}
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv, NULL);
	rc = -pthread_create(&p->th, NULL, pipe_thread, p);
	if (rc) {
		pthread_mutex_destroy(&p->mu);
		pthread_cond_destroy(&p->cv);
		goto cleanup;
	}
	*out = p;
	return 0;
cleanup:
	batch_free(&p->b[0]);
	batch_free(&p->b[1]);
	free(p);
	return rc;
}

/* Hands b[fill] to the writer thread and waits until the other batch is free.
 * @return the writer's error so far. */
static int pipe_hand_over(struct record_pipe *p)
{
	pthread_mutex_lock(&p->mu);
	p->full[p->fill] = true;
	pthread_cond_broadcast(&p->cv);
	p->fill ^= 1;
	while (p->full[p->fill])
		pthread_cond_wait(&p->cv, &p->mu);
	int err = p->err;
	pthread_mutex_unlock(&p->mu);
	p->b[p->fill].n = 0;
	mb_buf_reset(&p->b[p->fill].keys);
	return err;
}

int record_pipe_push(struct record_pipe *p, const struct mb_record *rec, const void *key,
		     size_t key_bytes)
{
	struct pipe_batch *b = &p->b[p->fill];
	if (key) {
		if (key_bytes >= NO_KEY)
			return -EINVAL;
		b->koff[b->n] = (uint32_t)b->keys.len;
		b->klen[b->n] = (uint32_t)key_bytes;
		if (mb_buf_append(&b->keys, key, key_bytes))
			return -ENOMEM;
	} else {
		b->klen[b->n] = NO_KEY;
	}
	b->rec[b->n++] = *rec;
	if (b->n == RECORD_PIPE_BATCH || b->keys.len > UINT32_MAX / 2)
		return pipe_hand_over(p);
	return 0;
}

int record_pipe_finish(struct record_pipe *p)
{
	if (p->b[p->fill].n)
		pipe_hand_over(p);
	pthread_mutex_lock(&p->mu);
	p->done = true;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
	pthread_join(p->th, NULL);
	int err = p->err;
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->cv);
	batch_free(&p->b[0]);
	batch_free(&p->b[1]);
	free(p);
	return err;
}
