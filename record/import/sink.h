/* Time placement of imported rows (--spread even|burst, --rate) and the --ops/--duration limits:
 * turns rows stamped in whole trace seconds into records with ns times.
 *
 * Traces stamp requests in whole seconds. With SPREAD_EVEN (default) the n requests of one second
 * are placed at sec + i/n s (i = 0..n-1, file order), which needs the second's rows buffered
 * (memory O(rows of the busiest second), at most IMPORT_SECOND_MAX). With SPREAD_BURST every
 * request of a second is at the second's start (nothing buffered). A row whose second is earlier
 * than the previous row's is placed in the current second (counted in import_sink.reordered) so
 * time never goes backwards. time_ns counts from the first row's second (import_sink.base_s).
 * With a rate the seconds are ignored and rows are 1/rate s apart in arrival order.
 * A filter (filter.h) applies to placed records: dropped ones keep their time slots, so kept
 * ones have the times of a full import, less the window's start.
 */
#ifndef MB_RECORD_IMPORT_SINK_H
#define MB_RECORD_IMPORT_SINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "membench/buf.h"
#include "filter.h"
#include "membench/profile.h"

enum import_spread {
	SPREAD_EVEN = 0,
	SPREAD_BURST = 1,
};

#define IMPORT_SECOND_MAX (1u << 24) /* requests buffered for one second with SPREAD_EVEN */
#define IMPORT_STOP 1                /* positive return: a limit (--ops, --duration) was reached */
#define IMPORT_UNIX_MIN_S 946684800ull /* 2000-01-01: earlier first seconds are not unix times
					  * (wall-clock --from/--to are refused) */
#define IMPORT_TIME_MAX_S (1ull << 33) /* trace timestamps above this are malformed (year 2242):
					* keeps (sec - base) * 1e9 inside 64 bits */

/* Receives each finished record in time order; key as for mb_profile_writer_append.
 * base_s is the trace second of time_ns == 0. @return 0 or a negative error (stops the import). */
typedef int (*import_emit_fn)(void *arg, uint64_t base_s, const struct mb_record *rec,
			      const void *key, size_t key_bytes);

struct import_key_ref {
	uint32_t off, len;
	bool has;
};

struct import_sink {
	enum import_spread spread;
	import_emit_fn emit;
	void *arg;
	uint64_t max_ops;     /* 0 = unlimited */
	uint64_t max_time_ns; /* 0 = unlimited: stop before the first record at or after this */
	double rate;          /* > 0: ignore the seconds, rows are 1/rate s apart in push order */
	const struct record_filter *filter; /* --from/--to/--ops/--key-prefix-only/--connections,
					     * applied to placed records; may be NULL */
	uint64_t from_ns, to_ns; /* the filter's window, resolved at the first row (base_s);
				  * emitted times are shifted down by from_ns */
	/* state */
	bool started;
	bool stopped;
	uint64_t base_s, cur_s;
	uint64_t spaced;        /* rows placed so far by rate */
	struct mb_record *recs; /* the buffered second */
	struct import_key_ref *keys;
	size_t n, cap, keys_cap; /* rows buffered; capacity of recs and of keys */
	struct mb_buf arena;     /* their key bytes */
	/* results */
	uint64_t emitted;
	uint64_t reordered; /* rows stamped earlier than their predecessor */
	bool overflow;      /* a second held more than IMPORT_SECOND_MAX rows (MB_E_LIMIT) */
};

/* Sets up a sink; free it with import_sink_free. */
void import_sink_init(struct import_sink *s, enum import_spread spread, import_emit_fn emit,
		      void *arg);
void import_sink_free(struct import_sink *s);

/* Adds a record stamped with trace second sec (rec->time_ns is ignored and set here).
 * @return 0, IMPORT_STOP once a limit is reached (later calls are ignored), -ENOMEM, MB_E_LIMIT
 *         (more than IMPORT_SECOND_MAX rows in one second with SPREAD_EVEN), MB_E_USAGE (the
 *         filter has a wall-clock time but the first row's second is 0), or the emit error. */
int import_sink_push(struct import_sink *s, uint64_t sec, const struct mb_record *rec,
		     const void *key, size_t key_bytes);

/* Emits the buffered second. @return 0 or the emit error. */
int import_sink_finish(struct import_sink *s);

#endif
