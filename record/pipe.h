/* A two-stage pipeline for import and generation: the calling thread parses (or generates)
 * records and batches them; a second thread appends the batches to the profile writer, so
 * parsing/decompression and compression/key mapping overlap on two cores.
 *
 * Double buffering: the producer fills batch b[fill] while the writer thread writes the other;
 * batches are written strictly in the order they were filled, so the profile is the same bytes as
 * with direct appends. The writer is touched only by the pipe's thread between start and finish.
 * Memory: 2 x RECORD_PIPE_BATCH records plus their key bytes.
 */
#ifndef MB_RECORD_PIPE_H
#define MB_RECORD_PIPE_H

#include <stddef.h>

#include "membench/profile.h"

#define RECORD_PIPE_BATCH 16384

struct record_pipe;

/* Starts the writer thread for w. @return 0, -ENOMEM, or -errno of pthread_create. */
int record_pipe_start(struct record_pipe **out, struct mb_profile_writer *w);

/* Queues one record (key as for mb_profile_writer_append; the bytes are copied).
 * @return 0, -ENOMEM, or the first error of the writer thread (sticky: nothing more is written
 *         after it). */
int record_pipe_push(struct record_pipe *p, const struct mb_record *rec, const void *key,
		     size_t key_bytes);

/* Writes what is queued, stops the thread and frees p (always). The writer stays open.
 * @return 0 or the first error of mb_profile_writer_append. */
int record_pipe_finish(struct record_pipe *p);

#endif
