/* Distributed replay over Open MPI (built with -DMEMBENCH_MPI=ON; interface and model in cluster.h).
 *
 * Started by mpirun (OMPI_COMM_WORLD_SIZE or PMIX_RANK in the environment) the process joins
 * MPI_COMM_WORLD; started on its own it never calls MPI_Init and behaves exactly like the default
 * build (size 1), so the same binary serves both. Only the main thread calls MPI
 * (MPI_THREAD_FUNNELED); worker threads never do.
 *
 * Wire layouts (ranks of one job are assumed to share the architecture, as Open MPI's own
 * homogeneous default does): struct rp_rank_info and struct rp_point travel as bytes; counters
 * as MPI_UINT64_T arrays, in the order of pack_counters(); histograms as their counts array
 * (MPI_SUM), total and clamped (MPI_SUM), min (MPI_MIN), max (MPI_MAX), sum (MPI_DOUBLE, MPI_SUM).
 * Every rank creates its histograms with the same parameters (rp_stats_init), so bucket i means
 * the same value range everywhere and the bucket-by-bucket sum is the exact merged histogram.
 *
 * Failures: a start-up error on one rank travels through rp_cluster_agree (MPI_MAXLOC), so every
 * rank stops at the same step. A rank killed mid-run is detected by mpirun, which aborts the whole
 * job naming the rank and host (Open MPI's default); see docs/distributed.md.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <mpi.h>

#include "membench/cli.h"
#include "membench/exitcode.h"
#include "cluster.h"

#define TAG_CLOCK 17
#define CLOCK_ROUNDS 32

static bool mpi_on; /* MPI_Init was called */

/* Out of memory in the middle of a collective: the other ranks would wait forever, so the job
 * ends here. */
static void oom_abort(void)
{
	mb_error("out of memory while combining the ranks' results; aborting the job");
	MPI_Abort(MPI_COMM_WORLD, MB_EXIT_FAILURE);
}

static bool under_mpirun(void)
{
	return getenv("OMPI_COMM_WORLD_SIZE") || getenv("PMIX_RANK") || getenv("PMI_RANK");
}

int rp_cluster_init(struct rp_cluster *d, int *argc, char ***argv)
{
	memset(d, 0, sizeof(*d));
	d->size = 1;
	if (gethostname(d->host, sizeof(d->host)) != 0)
		strcpy(d->host, "localhost");
	d->host[sizeof(d->host) - 1] = '\0';
	if (!under_mpirun())
		return 0;
	int provided = 0;
	if (MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS) {
		mb_error("MPI_Init failed (started by mpirun?)");
		return -EIO;
	}
	mpi_on = true;
	MPI_Comm_rank(MPI_COMM_WORLD, &d->rank);
	MPI_Comm_size(MPI_COMM_WORLD, &d->size);
	if (d->size > 1) {
		snprintf(d->prog, sizeof(d->prog), "membench replay [rank %d on %s]", d->rank,
			 d->host);
		mb_cli_set_prog(d->prog);
	}
	return 0;
}

void rp_cluster_finalize(struct rp_cluster *d)
{
	(void)d;
	if (mpi_on)
		MPI_Finalize();
	mpi_on = false;
}

int rp_cluster_agree(const struct rp_cluster *d, int rc, int *failed_rank)
{
	struct {
		int rc, rank;
	} in = {rc < 0 ? -rc : rc, d->rank}, out = in;
	*failed_rank = d->rank;
	if (d->size == 1)
		return rc;
	/* |rc| orders the failures; exit codes are positive, library codes negative */
	if (MPI_Allreduce(&in, &out, 1, MPI_2INT, MPI_MAXLOC, MPI_COMM_WORLD) != MPI_SUCCESS)
		MPI_Abort(MPI_COMM_WORLD, MB_EXIT_FAILURE);
	*failed_rank = out.rank;
	if (out.rc == in.rc && out.rank == d->rank)
		return rc;
	return out.rc;
}

static int64_t realtime_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int rp_cluster_clock(const struct rp_cluster *d, struct rp_rank_info *ranks)
{
	if (d->rank == 0) {
		ranks[0].realtime_offset_us = 0;
		ranks[0].rtt_us = 0;
	}
	if (d->size == 1)
		return 0;
	for (int r = 1; r < d->size; r++) {
		int64_t best_rtt = INT64_MAX, best_off = 0;
		for (int k = 0; k < CLOCK_ROUNDS; k++) {
			int64_t theirs = 0;
			if (d->rank == 0) {
				int64_t t1 = realtime_ns();
				if (MPI_Send(&t1, 1, MPI_INT64_T, r, TAG_CLOCK, MPI_COMM_WORLD) ||
				    MPI_Recv(&theirs, 1, MPI_INT64_T, r, TAG_CLOCK, MPI_COMM_WORLD,
					     MPI_STATUS_IGNORE))
					return -EIO;
				int64_t t2 = realtime_ns();
				if (t2 - t1 < best_rtt) {
					best_rtt = t2 - t1;
					best_off = theirs - (t1 + (t2 - t1) / 2);
				}
			} else if (d->rank == r) {
				if (MPI_Recv(&theirs, 1, MPI_INT64_T, 0, TAG_CLOCK, MPI_COMM_WORLD,
					     MPI_STATUS_IGNORE))
					return -EIO;
				theirs = realtime_ns();
				if (MPI_Send(&theirs, 1, MPI_INT64_T, 0, TAG_CLOCK, MPI_COMM_WORLD))
					return -EIO;
			}
		}
		if (d->rank == 0) {
			ranks[r].realtime_offset_us = (double)best_off / 1000.0;
			ranks[r].rtt_us = (double)best_rtt / 1000.0;
		}
	}
	return 0;
}

unsigned rp_cluster_min(const struct rp_cluster *d, unsigned v)
{
	unsigned out = v;
	if (d->size > 1 &&
	    MPI_Allreduce(&v, &out, 1, MPI_UNSIGNED, MPI_MIN, MPI_COMM_WORLD) != MPI_SUCCESS)
		MPI_Abort(MPI_COMM_WORLD, 1);
	return out;
}

void rp_cluster_barrier(const struct rp_cluster *d)
{
	if (d->size > 1)
		MPI_Barrier(MPI_COMM_WORLD);
}

/* In-place reduction onto rank 0. @return 0 or -EIO. */
static int reduce(const struct rp_cluster *d, void *buf, int count, MPI_Datatype type, MPI_Op op)
{
	int rc;
	if (count == 0)
		return 0;
	if (d->rank == 0)
		rc = MPI_Reduce(MPI_IN_PLACE, buf, count, type, op, 0, MPI_COMM_WORLD);
	else
		rc = MPI_Reduce(buf, NULL, count, type, op, 0, MPI_COMM_WORLD);
	return rc == MPI_SUCCESS ? 0 : -EIO;
}

static int reduce_hist(const struct rp_cluster *d, struct mb_hist *h)
{
	uint64_t tc[2] = {h->total, h->clamped};
	double sum = h->sum;
	uint64_t mn = h->min, mx = h->max;
	int rc = 0;
	if (h->ncounts > (size_t)INT32_MAX)
		return -EIO;
	rc = rc ? rc : reduce(d, h->counts, (int)h->ncounts, MPI_UINT64_T, MPI_SUM);
	rc = rc ? rc : reduce(d, tc, 2, MPI_UINT64_T, MPI_SUM);
	rc = rc ? rc : reduce(d, &sum, 1, MPI_DOUBLE, MPI_SUM);
	rc = rc ? rc : reduce(d, &mn, 1, MPI_UINT64_T, MPI_MIN);
	rc = rc ? rc : reduce(d, &mx, 1, MPI_UINT64_T, MPI_MAX);
	if (rc == 0 && d->rank == 0) {
		h->total = tc[0];
		h->clamped = tc[1];
		h->sum = sum;
		h->min = mn;
		h->max = mx;
	}
	return rc;
}

#define NSCALAR (12 + RP_ERR_COUNT)
#define NPEROP (5 + MB_STATUS_COUNT)

/* Copies st's counters into v (to_st false) or back (to_st true), in one fixed order. */
static void pack_counters(struct rp_stats *st, uint64_t *v, bool to_st)
{
	uint64_t *f[NSCALAR] = {
		&st->commands_sent, &st->requests_sent, &st->responses, &st->noreply_sent,
		&st->skipped_late, &st->skipped_ops, &st->stalls, &st->reconnects,
		&st->bytes_out, &st->bytes_in, &st->cas_compared, &st->cas_differ,
	};
	for (unsigned i = 0; i < RP_ERR_COUNT; i++)
		f[12 + i] = &st->errors[i];
	for (unsigned i = 0; i < NSCALAR; i++) {
		if (to_st)
			*f[i] = v[i];
		else
			v[i] = *f[i];
	}
	for (unsigned op = 0; op < MB_OP_COUNT; op++) {
		struct rp_opstats *o = &st->op[op];
		uint64_t *w = v + NSCALAR + (size_t)op * NPEROP;
		uint64_t *g[5] = {&o->sent, &o->keys, &o->responses, &o->bytes_out, &o->bytes_in};
		for (unsigned i = 0; i < 5; i++) {
			if (to_st)
				*g[i] = w[i];
			else
				w[i] = *g[i];
		}
		for (unsigned k = 0; k < MB_STATUS_COUNT; k++) {
			if (to_st)
				o->status[k] = w[5 + k];
			else
				w[5 + k] = o->status[k];
		}
	}
}

int rp_cluster_reduce_stats(const struct rp_cluster *d, struct rp_stats *st)
{
	enum { NCOUNTERS = NSCALAR + MB_OP_COUNT * NPEROP };
	uint64_t v[NCOUNTERS];
	unsigned char used[MB_OP_COUNT];
	int rc = 0;
	if (d->size == 1)
		return 0;
	/* an op used on any rank gets (empty) histograms everywhere, so every rank reduces the
	 * same list of buffers */
	for (unsigned op = 0; op < MB_OP_COUNT; op++)
		used[op] = st->op[op].used;
	if (MPI_Allreduce(MPI_IN_PLACE, used, MB_OP_COUNT, MPI_UNSIGNED_CHAR, MPI_MAX,
			  MPI_COMM_WORLD) != MPI_SUCCESS)
		return -EIO;
	for (unsigned op = 0; op < MB_OP_COUNT; op++)
		if (used[op] && rp_opstats_use(&st->op[op]) != 0)
			oom_abort();
	pack_counters(st, v, false);
	rc = reduce(d, v, NCOUNTERS, MPI_UINT64_T, MPI_SUM);
	if (rc)
		return rc;
	if (d->rank == 0)
		pack_counters(st, v, true);
	/* times are relative to each rank's t0 (+1; 0 = none): earliest first send, latest end */
	uint64_t first = st->first_send_ns ? st->first_send_ns : UINT64_MAX;
	uint64_t last = st->last_done_ns;
	rc = reduce(d, &first, 1, MPI_UINT64_T, MPI_MIN);
	rc = rc ? rc : reduce(d, &last, 1, MPI_UINT64_T, MPI_MAX);
	if (rc)
		return rc;
	if (d->rank == 0) {
		st->first_send_ns = first == UINT64_MAX ? 0 : first;
		st->last_done_ns = last;
	}
	struct mb_hist *hs[4] = {&st->corr, &st->uncorr, &st->lag, &st->gen_lag};
	for (unsigned i = 0; i < 4 && !rc; i++)
		rc = reduce_hist(d, hs[i]);
	for (unsigned op = 0; op < MB_OP_COUNT && !rc; op++) {
		if (!used[op])
			continue;
		rc = reduce_hist(d, &st->op[op].corr);
		rc = rc ? rc : reduce_hist(d, &st->op[op].uncorr);
	}
	/* --warmup: the warm-up block the same way (every rank has one: same flags) */
	if (rc == 0 && st->warmup)
		rc = rp_cluster_reduce_stats(d, st->warmup);
	return rc;
}

int rp_cluster_gather_ranks(const struct rp_cluster *d, const struct rp_rank_info *mine,
			 struct rp_rank_info *all)
{
	struct rp_rank_info *tmp = NULL;
	int rc = 0;
	if (d->rank == 0) {
		tmp = calloc((size_t)d->size, sizeof(*tmp));
		if (!tmp)
			oom_abort();
	}
	if (d->size > 1) {
		if (MPI_Gather(mine, (int)sizeof(*mine), MPI_BYTE, tmp, (int)sizeof(*mine), MPI_BYTE,
			       0, MPI_COMM_WORLD) != MPI_SUCCESS)
			rc = -EIO;
	} else if (tmp) {
		tmp[0] = *mine;
	}
	if (rc == 0 && d->rank == 0) {
		for (int r = 0; r < d->size; r++) {
			double off = all[r].realtime_offset_us, rtt = all[r].rtt_us;
			all[r] = tmp[r];
			all[r].realtime_offset_us = off;
			all[r].rtt_us = rtt;
		}
	}
	free(tmp);
	return rc;
}

int rp_cluster_gather_series(const struct rp_cluster *d, struct rp_point **series, size_t *n,
			  size_t *cap)
{
	int *counts = NULL, *displs = NULL;
	int mine = (int)(*n * sizeof(**series)), rc = -EIO;
	if (d->size == 1)
		return 0;
	if (d->rank == 0) {
		counts = calloc((size_t)d->size, sizeof(*counts));
		displs = calloc((size_t)d->size, sizeof(*displs));
		if (!counts || !displs)
			oom_abort();
	}
	if (MPI_Gather(&mine, 1, MPI_INT, counts, 1, MPI_INT, 0, MPI_COMM_WORLD) != MPI_SUCCESS)
		goto cleanup;
	size_t total = 0;
	if (d->rank == 0) {
		counts[0] = 0; /* rank 0's points are already in place */
		for (int r = 0; r < d->size; r++) {
			displs[r] = (int)(*n * sizeof(**series) + total);
			total += (size_t)counts[r];
		}
		size_t need = *n + total / sizeof(**series);
		if (need > *cap) {
			struct rp_point *np = realloc(*series, need * sizeof(*np));
			if (!np)
				oom_abort();
			*series = np;
			*cap = need;
		}
	}
	if (MPI_Gatherv(d->rank == 0 ? MPI_IN_PLACE : (void *)*series, mine, MPI_BYTE,
			d->rank == 0 ? (void *)*series : NULL, counts, displs, MPI_BYTE, 0,
			MPI_COMM_WORLD) != MPI_SUCCESS)
		goto cleanup;
	if (d->rank == 0)
		*n += total / sizeof(**series);
	rc = 0;
cleanup:
	free(counts);
	free(displs);
	return rc;
}
