/* What a run prints (report.c): the live progress line during the run, the text table at the
 * end and the --json file (schema "membench.replay/1", documented in docs/replay.md). With
 * --warmup, st is the measured part and st->warmup the warm-up, reported apart. */
#ifndef MB_REPLAY_REPORT_H
#define MB_REPLAY_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "cluster.h"
#include "options.h"
#include "plan.h"
#include "series.h"
#include "stats.h"
#include "target.h"

/* A rank whose schedule lag p99 exceeds this fell behind (flagged in the per-rank section). */
#define RP_BEHIND_LAG_NS 1000000ull

/* A server that restarted during the run (its pid changed, or its uptime went back; seen when
 * the replay reconnected or at the end). Its delta is the new process's own count (baseline
 * zero): counts of two processes are never mixed. */
struct rp_restart {
	bool restarted;
	unsigned restarts;         /* restarts seen (a pid change at a reconnect or at the end) */
	uint64_t pid_before, pid_after, uptime_before;
	uint64_t pre[RP_NSTAT];    /* the first "before", read from the first process */
};

struct rp_report {
	const struct rp_opts *opts;
	const struct rp_plan *plan;
	const struct rp_stats *st;
	const struct rp_point *series;
	size_t nseries;
	double duration_s;         /* the measured part: its first send to its last reply */
	double warmup_duration_s;  /* --warmup: the warm-up's first send to its last reply */
	unsigned nworkers;         /* threads actually used (at most one per lane) */
	double target_rate;        /* 0 for --rate max */
	bool interrupted;
	bool stats_ok;
	uint64_t (*stat_before)[RP_NSTAT];
	uint64_t (*stat_after)[RP_NSTAT];
	uint64_t (*stat_warmup_start)[RP_NSTAT]; /* --warmup, read again at its end: the stats
				    * before it (stat_before is then the reading at its end); NULL
				    * otherwise (without that reading the deltas include it) */
	double warmup_stats_late_s; /* that reading was complete this long after the warm-up's end */
	const struct rp_restart *restart; /* per server, or NULL */
	bool tls;                  /* --tls: the handshake counts below are reported */
	uint64_t tls_handshakes, tls_resumed;
	uint64_t warm_stored, warm_failed;
	double warm_s;
	const char *profile_warning; /* --allow-damaged: what was left out, or NULL */
	bool generator_bound;
	unsigned nranks;           /* MPI ranks (1 without mpirun); > 1 adds the per-rank section */
	const struct rp_rank_info *ranks; /* nranks entries (cluster.h) */
};

/* The live line: one per --interval seconds of the series, on out. */
struct rp_live {
	FILE *out;                 /* NULL: no line (--no-progress, or not rank 0) */
	bool tty;                  /* redraw in place; else one line per interval */
	bool drawn;                /* a line is on the terminal, to clear at the end */
	unsigned interval_s;
	double target;             /* req/s, 0 for --rate max */
	struct rp_point acc;       /* the interval so far: counts summed, percentiles the worst */
	unsigned nsec;             /* seconds in acc */
	uint64_t first_sec;        /* the first second in acc */
	uint64_t warmup_ns;        /* --warmup: lines of intervals starting before it say so */
};

void rp_live_init(struct rp_live *l, FILE *out, bool tty, unsigned interval_s, double target);
/* Adds one finalized second; prints the line when its interval is complete. */
void rp_live_add(struct rp_live *l, const struct rp_point *pt);
/* Prints what is left of the last interval and clears a terminal's line. */
void rp_live_end(struct rp_live *l);

extern const char *const rp_err_names[RP_ERR_COUNT];

void rp_report_text(FILE *out, const struct rp_report *r);
/* Writes the JSON file. @return 0 or -errno. */
int rp_report_json(const char *path, const struct rp_report *r);

#endif
