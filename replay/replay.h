/* membench-replay internals shared by its files (not a public API).
 *
 * Pieces:  main.c    command line, profile pre-scan (plan), run orchestration, SIGINT
 *          target.c  server addresses, start-up checks, libmemcached placement/stats/warm-up
 *          keys.c    deterministic key and value bytes for anonymized profiles
 *          worker.c  the engine: one thread, one event_base, its connections and histograms
 *          report.c  merged results: text table and JSON (schema in docs/replay.md)
 *          cluster.h several processes (MPI ranks) sharing one replay: cluster_none.c / cluster_mpi.c
 *
 * Model: the profile's records are split into lanes (a recorded connection, or a fold of them by
 * connection or key hash). Each lane has one TCP/unix connection per server (`struct rp_conn`),
 * two when the profile mixes binary with text/meta records;
 * lane L belongs to worker L % threads, so a connection is only ever touched by one thread.
 * Every worker streams the whole profile with its own reader and keeps only its lanes' records.
 * Workers share nothing per request: once a second each adds its counters for the past second
 * to the shared time series under a mutex, and their totals are merged after the run.
 */
#ifndef MB_REPLAY_H
#define MB_REPLAY_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>

#include <libmemcached/memcached.h>

#include "membench/hist.h"
#include "membench/profile.h"

#define RP_NS_PER_SEC 1000000000ull
#define RP_MAX_KEY 250          /* memcached's key length limit */
#define RP_MAX_VALUE (64u << 20) /* larger recorded values are not sent (memcached's -I max is 1 GiB,
				  * its default 1 MiB); they count as `unsupported` */
#define RP_SERIES_RING 8        /* seconds kept open for late worker reports */

enum rp_rate_mode {
	RP_RATE_SPEED, /* --rate 2x: time compression, burst structure kept */
	RP_RATE_OPS,   /* --rate 50000: speed = ops / profile mean rate, burst structure kept */
	RP_RATE_MAX,   /* --rate max: closed loop, --depth outstanding per connection */
};

enum rp_fold {
	RP_FOLD_CONN, /* lane = recorded connection % N */
	RP_FOLD_KEY,  /* lane = hash(key id) % N */
};

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

struct rp_server {
	char spec[300];   /* as given: "host:port", "[v6]:port", "/path" or "unix:/path" */
	char host[256];   /* host name / address, or the socket path */
	unsigned port;    /* 0 for unix sockets */
	bool is_unix;
	struct sockaddr_storage addr;
	socklen_t addrlen;
};

/* --spin default: see the pacing section of docs/replay.md */
#define RP_SPIN_DEFAULT_NS (100 * 1000)

struct rp_opts {
	const char *profile;
	struct rp_server *servers;
	unsigned nservers;
	enum rp_rate_mode rate_mode;
	double rate;               /* speed factor (SPEED) or ops/s (OPS) */
	unsigned threads;
	unsigned connections;      /* 0: one lane per recorded connection */
	enum rp_fold fold;
	unsigned depth;            /* max outstanding requests per connection */
	uint64_t duration_ns;      /* 0: the whole profile (once, or forever with --loop) */
	bool loop;
	bool warm;
	uint64_t timeout_ns;       /* 0: no timeout */
	uint64_t skip_late_ns;     /* 0: send late requests anyway (count lag) */
	uint64_t spin_ns;          /* busy-wait for a send due at most this long after the last one
				    * (keeps short gaps); 0: always sleep on the timer */
	const char *key_prefix;
	size_t key_prefix_len;
	int distribution;          /* memcached_server_distribution_t */
	int hash;                  /* memcached_hash_t */
	const char *json_path;
	bool quiet;                /* no report table on stdout */
	bool allow_flush;          /* replay flush_all too */
};

/* What the pre-scan learned from the profile. */
struct rp_plan {
	uint64_t records;          /* usable records (all of them unless the profile is damaged) */
	uint64_t commands;         /* records without MB_RF_BATCH_CONT */
	uint64_t t_first, t_last;  /* time_ns of the first and last usable record */
	uint64_t loop_span;        /* profile time one --loop iteration advances */
	uint32_t recorded_conns;   /* max conn_id + 1 */
	double mean_rate;          /* commands per recorded second */
	double speed;              /* effective time compression (SPEED and OPS modes) */
	unsigned nlanes;
	unsigned nfam;             /* 2 when text/meta and binary records both occur: each lane then
				    * has a connection per protocol family (memcached fixes a
				    * connection's protocol at its first byte) */
	uint8_t key_mode;
	uint64_t warm_keys;        /* keys --warm stores */
	uint64_t *warm_ids;        /* their ids, key lengths and value lengths */
	uint32_t *warm_klen;
	uint32_t *warm_vlen;
};

struct rp_opstats {
	uint64_t sent;             /* commands sent */
	uint64_t keys;             /* keys in them */
	uint64_t responses;        /* commands completed */
	uint64_t status[MB_STATUS_COUNT]; /* per key */
	struct mb_hist corr, uncorr;
	bool used;
};

struct rp_stats {
	uint64_t requests_sent, keys_sent, responses, noreply_sent;
	uint64_t skipped_late, skipped_ops, stalls, reconnects, bytes_out, bytes_in;
	uint64_t errors[RP_ERR_COUNT];
	struct rp_opstats op[MB_OP_COUNT];
	struct mb_hist corr, uncorr;  /* all commands, ns */
	struct mb_hist lag;           /* actual send - intended send, ns */
	struct mb_hist gen_lag;       /* taken from the profile - intended (generator delay), ns */
	uint64_t first_send_ns, last_done_ns;
};

/* One second of the shared time series, as reported by the workers. */
struct rp_second {
	uint64_t sec;              /* seconds since t0 */
	unsigned reports;          /* workers that reported this second */
	uint64_t sent, responses, errors, outstanding;
	struct mb_hist lat, lag;   /* 2 significant digits */
};

/* Finished summary of one second (the JSON time series). */
struct rp_point {
	uint64_t sec, sent, responses, errors, outstanding;
	uint64_t p50_us, p99_us, max_us, lag_p99_us;
};

struct rp_run {
	const struct rp_opts *opts;
	const struct rp_plan *plan;
	memcached_st *memc;        /* stats and --warm (workers build their own for placement) */
	uint64_t t0;               /* CLOCK_MONOTONIC ns of profile time t_first: set once every
				    * worker thread runs, so a slow thread start is not lag */
	uint64_t end_ns;           /* t0 + duration, or UINT64_MAX */

	pthread_mutex_t mu;        /* guards the fields below */
	pthread_cond_t gate;       /* start: workers wait, ready, until main sets t0 and releases */
	unsigned ready;
	bool released;
	struct rp_second ring[RP_SERIES_RING];
	struct rp_point *series;
	size_t nseries, capseries;
	unsigned done_workers;
};

struct rp_worker;
struct rp_rank_info;

/* A rank whose schedule lag p99 exceeds this fell behind (flagged in the per-rank section). */
#define RP_BEHIND_LAG_NS 1000000ull

/* ---- target.c -------------------------------------------------------------------------- */

/* Parses "host:port", "[v6addr]:port", "/path" or "unix:/path" and resolves it.
 * @return 0, MB_E_USAGE (malformed; message in err), MB_E_CONNECT (cannot resolve; message). */
int rp_server_parse(struct rp_server *s, const char *spec, char *err, size_t errlen);
/* Opens a connected, non-blocking, TCP_NODELAY socket to s (the connect itself blocks when
 * `blocking_connect`, else may be in progress). @return fd, or -errno. */
int rp_server_connect(const struct rp_server *s, bool blocking_connect);
/* A libmemcached handle with every server, in order, and the chosen distribution and hash.
 * @return the handle or NULL (message in err). */
memcached_st *rp_memc_new(const struct rp_opts *o, char *err, size_t errlen);
/* Index of the server a key goes to (libmemcached's own placement). */
unsigned rp_memc_server(memcached_st *memc, unsigned nservers, const char *key, size_t len);

#define RP_NSTAT 8
extern const char *const rp_stat_names[RP_NSTAT];
/* Reads rp_stat_names from every server into vals[server][i]; missing values stay 0.
 * @return 0, or MB_E_CONNECT when a server did not answer. */
int rp_stats_fetch(memcached_st *memc, unsigned nservers, uint64_t (*vals)[RP_NSTAT]);

/* ---- keys.c ---------------------------------------------------------------------------- */

struct rp_keygen {
	const struct mb_profile_reader *rd; /* for kept/prefix key bytes */
	uint8_t key_mode;
	const char *prefix;
	size_t prefix_len;
};

/* Writes the key for dense id (recorded length key_len) into out (>= RP_MAX_KEY + 1 bytes).
 * Anonymized ids become a fixed string derived from the id: lowercase hex of the id, left-padded
 * with letters g..z to key_len (distinct ids of the same length give distinct keys while
 * key_len >= hex digits). @return the key's length (1..RP_MAX_KEY). */
size_t rp_key(const struct rp_keygen *kg, uint64_t id, uint32_t key_len, char *out);
/* Deterministic value bytes: at least len bytes of a fixed printable pattern, valid until the
 * next call with a larger len. @return pointer, or NULL on ENOMEM. */
const char *rp_value(char **buf, size_t *cap, size_t len);

/* ---- worker.c -------------------------------------------------------------------------- */

/* Creates worker id of n: opens its reader, its event base and connects its connections.
 * @return 0, or a negative error (message in err). */
int rp_worker_new(struct rp_worker **out, struct rp_run *run, unsigned id, unsigned n, char *err,
		  size_t errlen);
int rp_worker_start(struct rp_worker *w);
/* Asks the worker to stop sending (async-signal-unsafe, thread-safe: writes to its pipe). */
void rp_worker_stop(struct rp_worker *w);
void rp_worker_join(struct rp_worker *w);
const struct rp_stats *rp_worker_stats(const struct rp_worker *w);
void rp_worker_free(struct rp_worker *w);

/* Initialises / frees a stats block (histograms). @return 0 or -ENOMEM. */
int rp_stats_init(struct rp_stats *s);
void rp_stats_free(struct rp_stats *s);
/* dst += src. */
void rp_stats_merge(struct rp_stats *dst, const struct rp_stats *src);
int rp_opstats_use(struct rp_opstats *o);

/* Turns a reported second into a point of run->series and empties the slot (main.c). Called with
 * run->mu held. */
void rp_series_finalize_locked(struct rp_run *run, struct rp_second *s);

/* ---- report.c -------------------------------------------------------------------------- */

struct rp_report {
	const struct rp_opts *opts;
	const struct rp_plan *plan;
	const struct rp_stats *st;
	const struct rp_point *series;
	size_t nseries;
	double duration_s;
	unsigned nworkers;         /* threads actually used (at most one per lane) */
	double target_rate;        /* 0 for --rate max */
	bool interrupted;
	bool stats_ok;
	uint64_t (*stat_before)[RP_NSTAT];
	uint64_t (*stat_after)[RP_NSTAT];
	uint64_t warm_stored, warm_failed;
	double warm_s;
	const char *profile_warning; /* truncated/corrupt profile note, or NULL */
	bool generator_bound;
	unsigned nranks;           /* MPI ranks (1 without mpirun); > 1 adds the per-rank section */
	const struct rp_rank_info *ranks; /* nranks entries (cluster.h) */
};

extern const char *const rp_err_names[RP_ERR_COUNT];
void rp_report_text(FILE *out, const struct rp_report *r);
/* @return 0 or -errno. */
int rp_report_json(const char *path, const struct rp_report *r);

#endif
