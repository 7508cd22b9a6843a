/* The replayer's settings: the command line turned into struct rp_opts (options.c), and --help.
 * Nothing else reads argv. */
#ifndef MB_REPLAY_OPTIONS_H
#define MB_REPLAY_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "auth.h"
#include "target.h"
#include "tls.h"

enum rp_rate_mode {
	RP_RATE_SPEED, /* --rate 2x: time compression, burst structure kept */
	RP_RATE_OPS,   /* --rate 50000: speed = ops / profile mean rate, burst structure kept */
	RP_RATE_MAX,   /* --rate max: closed loop, --depth outstanding per connection */
};

enum rp_fold {
	RP_FOLD_CONN, /* lane = recorded connection % N */
	RP_FOLD_KEY,  /* lane = hash(key id) % N */
};

/* --spin default: see the pacing section of docs/replay.md */
#define RP_SPIN_DEFAULT_NS (100 * 1000)
#define RP_MAX_SERVERS 64

struct rp_opts {
	const char *profile;
	struct rp_server servers[RP_MAX_SERVERS];
	unsigned nservers;
	enum rp_rate_mode rate_mode;
	double rate;               /* speed factor (SPEED) or ops/s (OPS) */
	unsigned threads;
	unsigned connections;      /* 0: one lane per recorded connection */
	enum rp_fold fold;
	unsigned depth;            /* max outstanding requests per connection */
	uint64_t duration_ns;      /* 0: the whole profile (its passes, or forever with --loop);
				    * with --warmup, measured time after the warm-up */
	uint32_t passes;           /* times the profile is played (--loop N; 1 without --loop);
				    * 0: endless (--loop alone) */
	uint64_t warmup_ns;        /* --warmup: the first this much of the schedule is played but
				    * counted apart (stats.h rp_stats_at); 0: none */
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
	bool no_progress;          /* no live line on stderr */
	unsigned interval_s;       /* seconds per live line (--interval; default 1) */
	bool allow_flush;          /* replay flush_all too */
	uint64_t connect_timeout_ns; /* --connect-timeout: connect + TLS + authentication */
	struct rp_tls_opts tls;
	struct rp_auth auth;
	bool allow_damaged;        /* replay the valid blocks of a damaged profile */
	const char *metrics_addr;  /* --metrics ADDR:PORT, NULL: no metrics server */
	uint64_t metrics_linger_ns; /* --metrics-linger: serve the final figures this long */
};

/* Fills o from argv (strings point into argv). --help and --version print and exit 0.
 * @return 0, or an exit code (MB_EXIT_USAGE for bad flags, MB_EXIT_TARGET when a --server
 * cannot be resolved), with the message printed. */
int rp_options_parse(int argc, char **argv, struct rp_opts *o);

#endif
