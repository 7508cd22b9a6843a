/* Parallel block decoding; see scan.h. Synchronisation: one mutex and one condition variable
 * for the whole ring (a block is tens of thousands of records, so a lock per block costs
 * nothing). Slot s holds block `block` (s == block % nslots) and moves EMPTY -> READY (worker)
 * -> EMPTY with block += nslots (consumer). */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scan.h"
#include "membench/array.h"

enum slot_state { SLOT_EMPTY, SLOT_READY };

struct slot {
	enum slot_state state;
	size_t block;
	struct mb_record *recs;
	size_t n, cap;
	int err;
};

struct scan {
	const char *path;
	size_t nblocks, nslots;
	unsigned nworkers;
	struct slot *slots;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool quit;
	char errmsg[512];
};

struct worker {
	struct scan *s;
	unsigned id;
};

/* Decodes one block into its slot (outside the lock: the slot is ours while EMPTY with our
 * block number). */
static int decode_into(struct mb_profile_reader *r, size_t b, struct slot *sl)
{
	const struct mb_record *recs;
	size_t n;
	int err = mb_profile_reader_read_block(r, b, &recs, &n);
	if (err)
		return err;
	if (MB_ARRAY_RESERVE(sl->recs, sl->cap, n))
		return -ENOMEM;
	if (n)
		memcpy(sl->recs, recs, n * sizeof(*recs));
	sl->n = n;
	return 0;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct scan *s = w->s;
	struct mb_profile_reader *r = NULL;
	char msg[512] = "";
	int open_err = mb_profile_reader_open(&r, s->path, msg, sizeof(msg));
	for (size_t b = w->id; b < s->nblocks; b += s->nworkers) {
		struct slot *sl = &s->slots[b % s->nslots];
		pthread_mutex_lock(&s->mu);
		while (!s->quit && !(sl->state == SLOT_EMPTY && sl->block == b))
			pthread_cond_wait(&s->cv, &s->mu);
		bool quit = s->quit;
		pthread_mutex_unlock(&s->mu);
		if (quit)
			break;
		int err = open_err ? open_err : decode_into(r, b, sl);
		pthread_mutex_lock(&s->mu);
		sl->err = err;
		if (err && !s->errmsg[0])
			snprintf(s->errmsg, sizeof(s->errmsg), "%s",
				 open_err ? msg : mb_profile_reader_errmsg(r));
		sl->state = SLOT_READY;
		pthread_cond_broadcast(&s->cv);
		pthread_mutex_unlock(&s->mu);
		if (err)
			break;
	}
	mb_profile_reader_close(r);
	return NULL;
}

int scan_parallel(const char *path, const struct mb_profile_reader *r, struct analysis *a,
		  unsigned threads, volatile sig_atomic_t *stop, scan_progress_fn progress,
		  void *progress_ctx, char *errbuf, size_t errlen)
{
	struct scan s = {.path = path, .nblocks = mb_profile_reader_block_count(r),
			 .nworkers = threads > 1 ? threads - 1 : 1};
	struct worker *w = NULL;
	pthread_t *tid = NULL;
	unsigned started = 0;
	int err = 0;
	uint64_t done = 0;
	s.nslots = 2 * (size_t)s.nworkers + 2;
	pthread_mutex_init(&s.mu, NULL);
	pthread_cond_init(&s.cv, NULL);
	s.slots = calloc(s.nslots, sizeof(*s.slots));
	w = calloc(s.nworkers, sizeof(*w));
	tid = calloc(s.nworkers, sizeof(*tid));
	if (!s.slots || !w || !tid) {
		err = -ENOMEM;
		goto cleanup;
	}
	for (size_t i = 0; i < s.nslots; i++)
		s.slots[i].block = i;
	for (unsigned t = 0; t < s.nworkers; t++) {
		w[t] = (struct worker){.s = &s, .id = t};
		int e = pthread_create(&tid[t], NULL, worker_main, &w[t]);
		if (e) {
			err = -e;
			goto cleanup;
		}
		started++;
	}
	for (size_t b = 0; b < s.nblocks && !*stop; b++) {
		struct slot *sl = &s.slots[b % s.nslots];
		pthread_mutex_lock(&s.mu);
		while (!(sl->state == SLOT_READY && sl->block == b))
			pthread_cond_wait(&s.cv, &s.mu);
		pthread_mutex_unlock(&s.mu);
		if (sl->err) {
			err = sl->err;
			snprintf(errbuf, errlen, "%s", s.errmsg);
			break;
		}
		an_add(a, sl->recs, sl->n);
		done += sl->n;
		if (progress)
			progress(progress_ctx, done);
		pthread_mutex_lock(&s.mu);
		sl->state = SLOT_EMPTY;
		sl->block = b + s.nslots;
		pthread_cond_broadcast(&s.cv);
		pthread_mutex_unlock(&s.mu);
	}
cleanup:
	pthread_mutex_lock(&s.mu);
	s.quit = true;
	pthread_cond_broadcast(&s.cv);
	pthread_mutex_unlock(&s.mu);
	for (unsigned t = 0; t < started; t++)
		pthread_join(tid[t], NULL);
	for (size_t i = 0; s.slots && i < s.nslots; i++)
		free(s.slots[i].recs);
	free(s.slots);
	free(w);
	free(tid);
	pthread_mutex_destroy(&s.mu);
	pthread_cond_destroy(&s.cv);
	return err;
}
