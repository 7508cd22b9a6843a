/* What a worker counts during a run (stats.c): requests, keys, bytes, errors by kind, and the
 * latency histograms (corrected: from the intended send time; uncorrected: from the actual one)
 * in total and per command. One block per worker, written only by its thread; merged after the
 * run (and across MPI ranks by cluster.h).
 *
 * --warmup: a block may carry a second one, `warmup`, for everything that belongs to the first
 * part of the schedule. Every count is put in one block or the other by rp_stats_at, from the
 * intended send time of the request it is about (its send time in --rate max, which has no
 * schedule), so a request scheduled in the warm-up but answered, timed out or left unsent after
 * it is the warm-up's, latency and error alike: coordinated omission cannot move a slow warm-up
 * reply into the measured figures. Counts of a connection rather than of a request (bytes on
 * the wire, reconnects) go by the time they happen. Warm-up + measured = what the run did. */
#ifndef MB_REPLAY_STATS_H
#define MB_REPLAY_STATS_H

#include <stdbool.h>
#include <stdint.h>

#include "membench/hist.h"
#include "membench/profile.h"
#include "replay.h"

/* Range of every latency histogram of the replayer, ns. */
#define RP_LAT_LOW 1000ull                  /* 1 us */
#define RP_LAT_HIGH (100 * RP_NS_PER_SEC)   /* 100 s */

/* Error kinds, counted per request (JSON names in report.c). */
enum rp_err {
	RP_ERR_ERROR,        /* ERROR response */
	RP_ERR_CLIENT,       /* CLIENT_ERROR */
	RP_ERR_SERVER,       /* SERVER_ERROR other than out of memory */
	RP_ERR_OOM,          /* SERVER_ERROR out of memory */
	RP_ERR_TIMEOUT,      /* no response within --timeout */
	RP_ERR_DISCONNECT,   /* in flight when the connection dropped or was reset */
	RP_ERR_UNANSWERED,   /* still in flight when the run ended */
	RP_ERR_UNSENT,       /* due but never sent (connection down at the end, or run stopped) */
	RP_ERR_UNSUPPORTED,  /* the codec cannot encode it in the recorded protocol */
	RP_ERR_COUNT
};

struct rp_opstats {
	uint64_t sent;             /* commands sent */
	uint64_t keys;             /* keys in them */
	uint64_t responses;        /* commands completed */
	uint64_t bytes_out;        /* request bytes encoded (written, unless the run stopped first) */
	uint64_t bytes_in;         /* value bytes of hits received (the rest of a reply is not
				    * attributed to a command) */
	uint64_t status[MB_STATUS_COUNT]; /* per key */
	struct mb_hist corr, uncorr;
	bool used;                 /* histograms allocated (rp_opstats_use) */
};

struct rp_stats {
	/* requests_sent counts requests (one per key, as analyze and the profile count them: a
	 * 10-key multiget is 10), commands_sent commands (a multiget is one) */
	uint64_t requests_sent, commands_sent, responses, noreply_sent;
	uint64_t skipped_late, skipped_ops, stalls, reconnects, bytes_out, bytes_in;
	uint64_t cas_compared, cas_differ; /* cas with a recorded outcome; of those, answered else */
	uint64_t errors[RP_ERR_COUNT];
	struct rp_opstats op[MB_OP_COUNT];
	struct mb_hist corr, uncorr;  /* all commands, ns */
	struct mb_hist lag;           /* actual send - intended send, ns */
	struct mb_hist gen_lag;       /* taken from the profile - intended (generator delay), ns */
	uint64_t first_send_ns, last_done_ns;
	struct rp_stats *warmup;      /* --warmup: counts of requests scheduled before
				       * warmup_end_ns; NULL without --warmup (and in a warm-up
				       * block itself) */
	uint64_t warmup_end_ns;       /* CLOCK_MONOTONIC: t0 + --warmup */
};

/* The block that counts an event of a request scheduled at t (CLOCK_MONOTONIC ns: its intended
 * send time; in --rate max its send time; for a connection's own counts, now): s's warm-up block
 * when t is before the warm-up's end, else s. One comparison. */
static inline struct rp_stats *rp_stats_at(struct rp_stats *s, uint64_t t)
{
	return s->warmup && t < s->warmup_end_ns ? s->warmup : s;
}

/* Initialises a stats block (zeroed, histograms allocated; per-command ones on first use).
 * @return 0 or -ENOMEM (nothing left allocated). */
int rp_stats_init(struct rp_stats *s);
void rp_stats_free(struct rp_stats *s);
/* Zeroes every counter of s and empties its histograms, keeping their allocation (a field
 * added to struct rp_stats that owns memory must be kept here too). Cost: O(histogram size).
 * Used by --metrics (metrics.c) to copy a block as reset + merge. */
void rp_stats_reset(struct rp_stats *s);
/* Gives s a warm-up block (empty; rp_stats_free frees it), unless it has one.
 * @return 0 or -ENOMEM. */
int rp_stats_add_warmup(struct rp_stats *s);
/* dst += src: counters summed, histograms merged, first/last times widened; src's warm-up block
 * into dst's (given one if needed). A command whose histograms cannot be allocated in dst (out
 * of memory) is left out of dst's per-command part, a warm-up block out of dst. */
void rp_stats_merge(struct rp_stats *dst, const struct rp_stats *src);
/* Allocates o's histograms unless done already. @return 0 or -ENOMEM. */
int rp_opstats_use(struct rp_opstats *o);

#endif
