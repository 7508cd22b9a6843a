/* Distributed replay, default build: one process, rank 0 of 1. Every collective is the identity
 * (see cluster.h); -DMEMBENCH_MPI=ON builds cluster_mpi.c instead.
 */
#include <string.h>
#include <unistd.h>

#include "cluster.h"

int rp_cluster_init(struct rp_cluster *d, int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	memset(d, 0, sizeof(*d));
	d->size = 1;
	if (gethostname(d->host, sizeof(d->host)) != 0)
		strcpy(d->host, "localhost");
	d->host[sizeof(d->host) - 1] = '\0';
	return 0;
}

void rp_cluster_finalize(struct rp_cluster *d)
{
	(void)d;
}

int rp_cluster_agree(const struct rp_cluster *d, int rc, int *failed_rank)
{
	*failed_rank = d->rank;
	return rc;
}

int rp_cluster_clock(const struct rp_cluster *d, struct rp_rank_info *ranks)
{
	(void)d;
	ranks[0].realtime_offset_us = 0;
	ranks[0].rtt_us = 0;
	return 0;
}

unsigned rp_cluster_min(const struct rp_cluster *d, unsigned v)
{
	(void)d;
	return v;
}

void rp_cluster_barrier(const struct rp_cluster *d)
{
	(void)d;
}

int rp_cluster_reduce_stats(const struct rp_cluster *d, struct rp_stats *st)
{
	(void)d;
	(void)st;
	return 0;
}

int rp_cluster_gather_ranks(const struct rp_cluster *d, const struct rp_rank_info *mine,
			 struct rp_rank_info *all)
{
	(void)d;
	double off = all[0].realtime_offset_us, rtt = all[0].rtt_us;
	all[0] = *mine;
	all[0].realtime_offset_us = off;
	all[0].rtt_us = rtt;
	return 0;
}

int rp_cluster_gather_series(const struct rp_cluster *d, struct rp_point **series, size_t *n,
			  size_t *cap)
{
	(void)d;
	(void)series;
	(void)n;
	(void)cap;
	return 0;
}
