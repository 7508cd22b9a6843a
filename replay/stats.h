/* What a worker counts during a run (stats.c): requests, keys, bytes, errors by kind, and the
 * latency histograms (corrected: from the intended send time; uncorrected: from the actual one)
 * in total and per command. One block per worker, written only by its thread; merged after the
 * run (and across MPI ranks by cluster.h). */
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
};

/* Initialises a stats block (zeroed, histograms allocated; per-command ones on first use).
 * @return 0 or -ENOMEM (nothing left allocated). */
int rp_stats_init(struct rp_stats *s);
void rp_stats_free(struct rp_stats *s);
/* Zeroes every counter of s and empties its histograms, keeping their allocation (a field
 * added to struct rp_stats that owns memory must be kept here too). Cost: O(histogram size).
 * Used by --metrics (metrics.c) to copy a block as reset + merge. */
void rp_stats_reset(struct rp_stats *s);
/* dst += src: counters summed, histograms merged, first/last times widened. A command whose
 * histograms cannot be allocated in dst (out of memory) is left out of dst's per-command part. */
void rp_stats_merge(struct rp_stats *dst, const struct rp_stats *src);
/* Allocates o's histograms unless done already. @return 0 or -ENOMEM. */
int rp_opstats_use(struct rp_opstats *o);

#endif
