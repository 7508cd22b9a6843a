/* What the replayer learns before it sends anything (plan.c): the pre-scan of the profile
 * (counts, time span, mean rate, lanes, protocol families, keys to warm), the lanes fitted to
 * the file-descriptor limit, the start-up check that every server answers, and the --warm
 * stores. */
#ifndef MB_REPLAY_PLAN_H
#define MB_REPLAY_PLAN_H

#include <stdbool.h>
#include <stdint.h>

#include <libmemcached/memcached.h>

#include "options.h"
#include "replay.h"
#include "session.h"

/* What the pre-scan learned from the profile. */
struct rp_plan {
	uint64_t records;          /* usable records (all of them unless the profile is damaged) */
	uint64_t commands;         /* records without MB_RF_BATCH_CONT */
	uint64_t t_first, t_last;  /* time_ns of the first and last usable record */
	uint64_t loop_span;        /* profile time one --loop iteration advances */
	uint32_t recorded_conns;   /* max conn_id + 1 */
	double mean_rate;          /* requests (records: one per key) per recorded second */
	double speed;              /* effective time compression (SPEED and OPS modes) */
	unsigned nlanes;
	unsigned nfam;             /* 2 when text/meta and binary records both occur: each lane then
				    * has a connection per protocol family (memcached fixes a
				    * connection's protocol at its first byte) */
	bool binary;               /* every record is binary protocol (a -S server takes no text) */
	uint8_t key_mode;
	int64_t start_wall_ns;      /* the profile's start_wall_ns (recording's time_ns 0) */
	int64_t wall_minus_mono_ns; /* CLOCK_REALTIME - CLOCK_MONOTONIC when planned (ttl.c) */
	uint64_t warm_keys;        /* keys --warm stores */
	uint64_t *warm_ids;        /* their ids, key lengths and value lengths */
	uint32_t *warm_klen;
	uint32_t *warm_vlen;
	uint8_t *warm_num;         /* 1: store a decimal number (the key is used by arithmetic) */
};

/* What --warm did. */
struct rp_warm_result {
	uint64_t stored, failed;
	double seconds;
	bool interrupted;          /* SIGINT/SIGTERM: stopped early */
};

/* --warm's pending stores for one server (sent pipelined, RP_WARM_BATCH at a time). */
#define RP_WARM_BATCH 64
struct rp_warm_batch {
	size_t n;
	char keys[RP_WARM_BATCH][RP_MAX_KEY + 1];
	const char *kptr[RP_WARM_BATCH];
	const char *vptr[RP_WARM_BATCH]; /* the value pattern, or a number (MB_RF_NUMERIC) */
	uint32_t klen[RP_WARM_BATCH], vlen[RP_WARM_BATCH];
};

/* Reads the whole profile o->profile once and fills p (warm keys only with o->warm). A damaged
 * profile (cut short, or a block failing its checks) is refused (MB_EXIT_INPUT, the message
 * naming --allow-damaged) unless o->allow_damaged: then its valid blocks are planned and
 * *warning (static storage) says what was left out; NULL otherwise. @return 0, or an exit code
 * (message printed): MB_EXIT_INPUT for an unreadable or damaged profile, MB_EXIT_FAILURE when
 * out of memory, RP_EXIT_INTERRUPTED at a pending SIGINT/SIGTERM. p needs rp_plan_free either
 * way. */
int rp_plan_scan(const struct rp_opts *o, struct rp_plan *p, const char **warning);
void rp_plan_free(struct rp_plan *p);
/* --warmup must leave something to measure: a replay of a known length (open loop, a pass
 * count, no --duration beyond it) no longer than the warm-up is refused before anything is
 * sent. @return 0, or MB_EXIT_USAGE (message printed, naming --warmup and the replay's length). */
int rp_plan_check_warmup(const struct rp_opts *o, const struct rp_plan *p);
/* Raises the open-file limit for the connections; without --connections, folds the recorded
 * connections into fewer lanes (p->nlanes) when there are more than RP_DEFAULT_MAX_LANES or
 * than file descriptors. @return 0, or MB_EXIT_USAGE when --connections asks for more
 * connections than the limit allows (message printed). */
#define RP_DEFAULT_MAX_LANES 512
int rp_plan_fit_lanes(const struct rp_opts *o, struct rp_plan *p);
/* Every server must accept a connection, finish the TLS handshake and accept the credentials
 * (as configured in sec) within --connect-timeout: failures are clear before anything is sent.
 * With TLS the check ends with a round trip (version, or a binary NOOP), as a server refuses a
 * client certificate only after a TLS 1.3 handshake.
 * @return 0, MB_EXIT_TARGET naming the server and the reason (message printed), or
 * RP_EXIT_INTERRUPTED at SIGINT/SIGTERM. */
int rp_plan_check_targets(const struct rp_opts *o, const struct rp_plan *p,
			  const struct rp_secure *sec);
/* Stores p's warm keys with their recorded sizes, each on the server memc places it on, over
 * the replay's own connections ctls[server] (a profile that cannot be opened again, or a
 * server that fails, only warns; SIGINT/SIGTERM stops it: res->interrupted). */
void rp_plan_warm(const struct rp_opts *o, const struct rp_plan *p, memcached_st *memc,
		  struct rp_ctl *ctls, struct rp_warm_result *res);

#endif
