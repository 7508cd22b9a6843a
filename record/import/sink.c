/* Time placement of imported rows and the --ops/--duration limits; see import.h.
 *
 * With SPREAD_EVEN the rows of the current second wait in recs[0, n) (their key bytes in arena,
 * located by keys[i]); a row of a later second flushes them at sec + i/n. With SPREAD_BURST or a
 * rate nothing waits.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "import/sink.h"
#include "membench/array.h"
#include "membench/error.h"

#define NS_PER_S 1000000000ull

void import_sink_init(struct import_sink *s, enum import_spread spread, import_emit_fn emit,
		      void *arg)
{
	memset(s, 0, sizeof(*s));
	s->spread = spread;
	s->emit = emit;
	s->arg = arg;
}

void import_sink_free(struct import_sink *s)
{
	free(s->recs);
	free(s->keys);
	mb_buf_free(&s->arena);
	s->recs = NULL;
	s->keys = NULL;
}

/* Emits one record unless a limit says stop. @return 0, IMPORT_STOP or the emit error. */
static int sink_emit(struct import_sink *s, struct mb_record *rec, const void *key, size_t kb)
{
	if (s->stopped)
		return IMPORT_STOP;
	if ((s->max_ops && s->emitted >= s->max_ops) ||
	    (s->max_time_ns && rec->time_ns >= s->max_time_ns)) {
		s->stopped = true;
		return IMPORT_STOP;
	}
	if (s->filter) {
		if (rec->time_ns >= s->to_ns) {
			s->stopped = true;
			return IMPORT_STOP;
		}
		if (rec->time_ns < s->from_ns || !record_filter_keep(s->filter, rec, key, kb) ||
		    !record_filter_sample(s->filter, rec, key, kb))
			return 0;
		rec->time_ns -= s->from_ns;
	}
	int rc = s->emit(s->arg, s->base_s, rec, key, kb);
	if (rc)
		return rc;
	s->emitted++;
	if (s->max_ops && s->emitted >= s->max_ops) {
		s->stopped = true;
		return IMPORT_STOP;
	}
	return 0;
}

/* Emits the buffered second, spreading its n rows evenly over it. */
static int sink_flush(struct import_sink *s)
{
	uint64_t t0 = (s->cur_s - s->base_s) * NS_PER_S;
	int rc = 0;
	for (size_t i = 0; i < s->n && !rc; i++) {
		s->recs[i].time_ns = t0 + (uint64_t)i * NS_PER_S / s->n;
		const struct import_key_ref *k = &s->keys[i];
		rc = sink_emit(s, &s->recs[i], k->has ? s->arena.data + k->off : NULL, k->len);
	}
	s->n = 0;
	mb_buf_reset(&s->arena);
	return rc;
}

/* Buffers one row of the current second. */
static int sink_buffer(struct import_sink *s, const struct mb_record *rec, const void *key,
		       size_t kb)
{
	if (s->n == s->cap) {
		if (s->cap >= IMPORT_SECOND_MAX) {
			s->overflow = true;
			return MB_E_LIMIT;
		}
		if (MB_ARRAY_RESERVE(s->recs, s->cap, s->n + 1) ||
		    MB_ARRAY_RESERVE(s->keys, s->keys_cap, s->n + 1))
			return -ENOMEM;
	}
	struct import_key_ref *k = &s->keys[s->n];
	k->has = key != NULL;
	k->len = (uint32_t)kb;
	k->off = (uint32_t)s->arena.len;
	if (key) {
		if (kb > UINT32_MAX || s->arena.len + kb > UINT32_MAX)
			return MB_E_LIMIT;
		if (mb_buf_append(&s->arena, key, kb))
			return -ENOMEM;
	}
	s->recs[s->n++] = *rec;
	return 0;
}

int import_sink_push(struct import_sink *s, uint64_t sec, const struct mb_record *rec,
		     const void *key, size_t key_bytes)
{
	if (s->stopped)
		return IMPORT_STOP;
	if (!s->started) {
		s->started = true;
		s->base_s = s->cur_s = sec;
		/* a first second before 2000-01-01 is a relative trace clock, not a unix time */
		int64_t wall = sec >= IMPORT_UNIX_MIN_S ? (int64_t)(sec * NS_PER_S) : 0;
		if (s->filter && record_filter_window(s->filter, wall, &s->from_ns, &s->to_ns))
			return MB_E_USAGE;
	}
	if (s->rate > 0) { /* --rate: the trace's clock is ignored */
		struct mb_record r = *rec;
		r.time_ns = (uint64_t)((double)s->spaced++ * 1e9 / s->rate);
		return sink_emit(s, &r, key, key_bytes);
	}
	if (sec < s->cur_s) {
		sec = s->cur_s;
		s->reordered++;
	}
	if (s->spread == SPREAD_BURST) {
		s->cur_s = sec;
		struct mb_record r = *rec;
		r.time_ns = (sec - s->base_s) * NS_PER_S;
		return sink_emit(s, &r, key, key_bytes);
	}
	if (sec > s->cur_s) {
		int rc = sink_flush(s);
		if (rc)
			return rc;
		s->cur_s = sec;
		/* A limit by time: nothing from this second on can be emitted. */
		if (s->max_time_ns && (sec - s->base_s) * NS_PER_S >= s->max_time_ns) {
			s->stopped = true;
			return IMPORT_STOP;
		}
	}
	/* With --ops the rest of the second is still read, so that the kept rows get the same
	 * times as in a full import. */
	return sink_buffer(s, rec, key, key_bytes);
}

int import_sink_finish(struct import_sink *s)
{
	if (s->n == 0)
		return 0;
	int rc = sink_flush(s);
	return rc == IMPORT_STOP ? 0 : rc;
}
