/* A cluster of replay processes (issue 10: distributed replay over MPI ranks); the seam between
 * membench-replay and MPI. (Named cluster, not dist: record/synth/dist.h is about probability
 * distributions.)
 *
 * Two implementations of this interface: cluster_none.c (the default build: one process, every call
 * a no-op or an identity) and cluster_mpi.c (-DMEMBENCH_MPI=ON: Open MPI). main.c calls the same
 * functions either way, so the engine carries no #ifdef.
 *
 * Model: N ranks (processes, possibly on several hosts) replay disjoint shards of one profile.
 * Lane L (a recorded connection, or a key-hash fold: see replay.h) belongs to rank L % N, and on
 * that rank to worker (L / N) % threads; main.c gives rp_worker_new the global worker id
 * rank + N * i out of N * threads, so the engine's own rule "lane % n == id" does the sharding
 * and the union of the shards is exactly the single-process replay. All ranks leave one barrier
 * and each sets t0 = its own CLOCK_MONOTONIC + a common delay. Results meet on rank 0: histogram
 * buckets and counters summed (MPI_Reduce), min/max reduced, times made relative to each rank's t0
 * (monotonic clocks of different hosts are not comparable), per-second series aligned on t0.
 *
 * Every function below is collective (all ranks call it, in the same order) unless it says not.
 */
#ifndef MB_REPLAY_CLUSTER_H
#define MB_REPLAY_CLUSTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "series.h"
#include "stats.h"

struct rp_cluster {
	int rank;          /* 0 .. size-1; 0 prints the report */
	int size;          /* 1 without mpirun (or in the default build) */
	char host[64];     /* this rank's host name */
	char prog[128];    /* "membench replay [rank R on HOST]" when size > 1 */
};

/* What rank 0 reports about each rank (the JSON's "ranks" array). */
struct rp_rank_info {
	char host[64];
	uint64_t requests_sent;   /* one per key */
	uint64_t responses;
	uint64_t latency_count;   /* values in its corrected-latency histogram */
	uint64_t lag_p99_ns;      /* schedule lag p99 of this rank's commands */
	double duration_s;        /* its first send to its last response */
	double achieved_rate;     /* requests_sent / duration_s */
	double realtime_offset_us; /* CLOCK_REALTIME of this rank - rank 0's (ping-pong midpoint) */
	double rtt_us;            /* round trip of the best ping-pong sample */
	int64_t t0_realtime_ns;   /* CLOCK_REALTIME at this rank's t0 */
	double start_skew_us;     /* its t0 - rank 0's t0, on rank 0's clock (offset removed) */
	bool behind;              /* open loop and lag p99 > 1 ms */
};

/* Joins the MPI job when started by mpirun (single process otherwise).
 * @return 0, or -EIO when MPI cannot start (message printed). */
int rp_cluster_init(struct rp_cluster *d, int *argc, char ***argv);
/* Leaves the job (MPI_Finalize). Not collective in the failure sense: call once, at exit. */
void rp_cluster_finalize(struct rp_cluster *d);
/* Every rank's rc meets: @return the largest rc of all ranks (0 when all are 0), so a failure on
 * one rank stops all of them at the same step. *failed_rank gets the rank that had it. */
int rp_cluster_agree(const struct rp_cluster *d, int rc, int *failed_rank);
/* Measures each rank's CLOCK_REALTIME offset from rank 0 by ping-pong (32 rounds, the sample with
 * the shortest round trip wins); rank 0 writes them into ranks[] (size entries), others ignore
 * ranks. @return 0 or -EIO. */
int rp_cluster_clock(const struct rp_cluster *d, struct rp_rank_info *ranks);
/* @return the smallest v of all ranks (lane counts must agree: hosts may differ in fd limits). */
unsigned rp_cluster_min(const struct rp_cluster *d, unsigned v);
/* Start gate: returns on every rank at (nearly) the same moment. */
void rp_cluster_barrier(const struct rp_cluster *d);
/* Sums st of every rank into rank 0's st (histogram buckets and counters exactly; min/max;
 * first_send_ns/last_done_ns must already be relative to the rank's t0, see main.c), and its
 * --warmup block alike (every rank must have one, or none).
 * Other ranks' st is left unchanged. Out of memory aborts the job (the others would wait).
 * @return 0 or -EIO. */
int rp_cluster_reduce_stats(const struct rp_cluster *d, struct rp_stats *st);
/* Gathers mine from every rank into all[] on rank 0 (keeping rank 0's clock fields). Out of
 * memory aborts the job. @return 0 or -EIO. */
int rp_cluster_gather_ranks(const struct rp_cluster *d, const struct rp_rank_info *mine,
			 struct rp_rank_info *all);
/* Appends every other rank's per-second points to rank 0's *series (grown with realloc); the
 * caller then merges points of the same second. Out of memory aborts the job.
 * @return 0 or -EIO. */
int rp_cluster_gather_series(const struct rp_cluster *d, struct rp_point **series, size_t *n,
			  size_t *cap);

#endif
