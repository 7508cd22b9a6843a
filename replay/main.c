/* membench-replay: plays a profile's traffic against memcached servers and measures latency
 * without coordinated omission.
 *
 * Order of a run: parse flags -> pre-scan the profile (plan: counts, time span, lanes, keys to
 * warm) -> check every server answers (exit 5 naming HOST:PORT otherwise) -> --warm stores ->
 * server stats "before" -> create the workers (their connections are opened here) -> t0 = now +
 * 20 ms -> start them -> the main thread waits for SIGINT/SIGTERM or the workers' end, turning
 * each second's reports into the time series (and the live line on a terminal) -> merge -> stats
 * "after" -> report table on stdout, JSON with --json.
 *
 * Signals: SIGINT and SIGTERM are blocked in every thread and taken by the main thread with
 * sigtimedwait(), so no handler runs inside the engine. The first one stops the workers (queued
 * commands are counted as unsent, in-flight ones get 0.5 s to answer) and the report covers what
 * ran; the exit code is then still 0.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "membench/cli.h"
#include "membench/error.h"
#include "membench/exitcode.h"
#include "membench/version.h"
#include "dist.h"
#include "replay.h"

static const char help_text[] =
"usage: membench replay PROFILE --server HOST:PORT [--server ...] [options]\n"
"\n"
"Plays the profile's requests against memcached servers, open loop on the recorded schedule, and\n"
"reports latency measured from each request's intended send time (free of coordinated omission)\n"
"and from its actual send time.\n"
"\n"
"Targets:\n"
"  -s, --server ADDR      HOST:PORT, [IPv6]:PORT, /path/to/socket or unix:/path (repeatable).\n"
"                         With several servers keys are placed by libmemcached's hashing.\n"
"      --distribution D   ketama (default; weighted, md5, libketama-compatible), modula, or\n"
"                         consistent\n"
"      --hash H           key hash: default, md5, crc, fnv1_64, fnv1a_64, fnv1_32, fnv1a_32,\n"
"                         hsieh, murmur, jenkins, murmur3 (ketama defaults to md5)\n"
"\n"
"Rate (how the recorded timeline is played):\n"
"  -r, --rate 2x          time compression: the same requests at twice the recorded pace\n"
"                         (1x = as recorded; the default). Keeps the recorded burst structure.\n"
"  -r, --rate 50000       a target mean rate in requests/s: the timeline is compressed by\n"
"                         50000 / (the profile's mean rate). Keeps the recorded burst structure.\n"
"                         A sampled profile (record --sample F) plays 50000 * F: its share.\n"
"  -r, --rate max         closed loop, as fast as the target answers with --depth outstanding\n"
"                         per connection. Does NOT keep the burst structure (no schedule).\n"
"  -D, --duration D       stop after D (e.g. 30s, 2m); with --loop, run for D\n"
"      --loop             repeat the profile; time keeps advancing (iteration k is shifted by k\n"
"                         times the profile's span), so bursts recur at the same spacing\n"
"\n"
"Connections:\n"
"  -c, --connections N    N lanes (connections per server) instead of one per recorded connection\n"
"                         (more than 512 recorded connections are folded into 512)\n"
"      --fold conn|key    map recorded requests to lanes by recorded connection (conn % N; keeps\n"
"                         each connection's order; the default) or by key hash (spreads a few hot\n"
"                         connections over many)\n"
"  -d, --depth N          at most N requests awaiting a reply per connection (default 64); a due\n"
"                         request that finds its connection full waits and is counted as a stall\n"
"  -t, --threads N        worker threads, each with its own event loop (default 1)\n"
"      --timeout D        count a request unanswered after D as timed out and reconnect\n"
"\n"
"Pacing: a request due within --spin of the previous send is busy-waited for, so short gaps\n"
"are kept; a longer wait sleeps and wakes a little early to send on time. Requests recorded at\n"
"the same instant on a connection (they arrived together) share a write; others get their own.\n"
"      --spin D           longest gap busy-waited for (default 100us); 0 sleeps on the timer\n"
"                         only: less CPU, gaps shorter than the timer's wakeup delay collapse\n"
"\n"
"Falling behind: a request that cannot be sent on time is sent late by default; its schedule lag\n"
"is recorded and its corrected latency still starts at its intended time. --skip-late D drops\n"
"requests that are already more than D late and counts them instead.\n"
"\n"
"Contents:\n"
"      --key-prefix P     prepend P to every key (namespaces a run on a shared server)\n"
"      --warm             first store every key the profile reads before writing it (recorded\n"
"                         as a hit), with its recorded size; reported separately\n"
"      --allow-flush      also replay flush_all (skipped by default, like stats and verbosity)\n"
"\n"
"Output:\n"
"      --json FILE        write the results as JSON (schema: docs/replay.md)\n"
"  -q, --quiet            no report table on stdout\n"
"  -h, --help, --version\n"
"\n"
"Exit codes: 0 done (also after Ctrl-C, with the report of what ran), 2 bad flags, 3 unusable\n"
"profile, 5 a server unreachable at start, 1 other failures.\n";

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int usage_error(const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	mb_error("%s (see --help)", msg);
	return MB_EXIT_USAGE;
}

struct name_val {
	const char *name;
	int val;
};

static const struct name_val dist_names[] = {
	{"ketama", MEMCACHED_DISTRIBUTION_CONSISTENT_KETAMA},
	{"modula", MEMCACHED_DISTRIBUTION_MODULA},
	{"consistent", MEMCACHED_DISTRIBUTION_CONSISTENT},
};

static const struct name_val hash_names[] = {
	{"default", MEMCACHED_HASH_DEFAULT}, {"md5", MEMCACHED_HASH_MD5},
	{"crc", MEMCACHED_HASH_CRC},         {"fnv1_64", MEMCACHED_HASH_FNV1_64},
	{"fnv1a_64", MEMCACHED_HASH_FNV1A_64}, {"fnv1_32", MEMCACHED_HASH_FNV1_32},
	{"fnv1a_32", MEMCACHED_HASH_FNV1A_32}, {"hsieh", MEMCACHED_HASH_HSIEH},
	{"murmur", MEMCACHED_HASH_MURMUR},   {"jenkins", MEMCACHED_HASH_JENKINS},
	{"murmur3", MEMCACHED_HASH_MURMUR3},
};

static int lookup(const struct name_val *t, size_t n, const char *name, int *out)
{
	for (size_t i = 0; i < n; i++) {
		if (strcmp(t[i].name, name) == 0) {
			*out = t[i].val;
			return 0;
		}
	}
	return MB_E_USAGE;
}

enum {
	OPT_DIST = 256, OPT_HASH, OPT_LOOP, OPT_FOLD, OPT_TIMEOUT, OPT_SKIP_LATE, OPT_PREFIX,
	OPT_WARM, OPT_FLUSH, OPT_JSON, OPT_VERSION, OPT_SPIN,
};

static const struct option long_opts[] = {
	{"server", required_argument, NULL, 's'},
	{"rate", required_argument, NULL, 'r'},
	{"duration", required_argument, NULL, 'D'},
	{"connections", required_argument, NULL, 'c'},
	{"depth", required_argument, NULL, 'd'},
	{"threads", required_argument, NULL, 't'},
	{"quiet", no_argument, NULL, 'q'},
	{"help", no_argument, NULL, 'h'},
	{"distribution", required_argument, NULL, OPT_DIST},
	{"hash", required_argument, NULL, OPT_HASH},
	{"loop", no_argument, NULL, OPT_LOOP},
	{"fold", required_argument, NULL, OPT_FOLD},
	{"timeout", required_argument, NULL, OPT_TIMEOUT},
	{"skip-late", required_argument, NULL, OPT_SKIP_LATE},
	{"spin", required_argument, NULL, OPT_SPIN},
	{"key-prefix", required_argument, NULL, OPT_PREFIX},
	{"warm", no_argument, NULL, OPT_WARM},
	{"allow-flush", no_argument, NULL, OPT_FLUSH},
	{"json", required_argument, NULL, OPT_JSON},
	{"version", no_argument, NULL, OPT_VERSION},
	{NULL, 0, NULL, 0},
};

static int parse_count(const char *flag, const char *s, unsigned lo, unsigned hi, unsigned *out)
{
	uint64_t v;
	if (mb_parse_u64(s, &v) != 0 || v < lo || v > hi)
		return usage_error("%s %s: expected an integer in %u..%u", flag, s, lo, hi);
	*out = (unsigned)v;
	return 0;
}

static int parse_rate(struct rp_opts *o, const char *s)
{
	size_t n = strlen(s);
	double v;
	if (strcmp(s, "max") == 0) {
		o->rate_mode = RP_RATE_MAX;
		return 0;
	}
	if (n > 1 && (s[n - 1] == 'x' || s[n - 1] == 'X')) {
		char tmp[64];
		if (n >= sizeof(tmp))
			return usage_error("--rate %s: expected 2x, 50000 or max", s);
		memcpy(tmp, s, n - 1);
		tmp[n - 1] = '\0';
		if (mb_parse_double(tmp, &v) != 0 || !(v > 0) || v > 1e9)
			return usage_error("--rate %s: the speed factor must be > 0", s);
		o->rate_mode = RP_RATE_SPEED;
		o->rate = v;
		return 0;
	}
	if (mb_parse_double(s, &v) != 0 || !(v > 0) || v > 1e9)
		return usage_error("--rate %s: expected 2x, 50000 (requests/s) or max", s);
	o->rate_mode = RP_RATE_OPS;
	o->rate = v;
	return 0;
}

/* @return 0, or an exit code. */
static int parse_args(int argc, char **argv, struct rp_opts *o)
{
	static struct rp_server servers[64];
	char err[512];
	int c;
	*o = (struct rp_opts){.servers = servers, .rate_mode = RP_RATE_SPEED, .rate = 1.0,
			      .threads = 1, .depth = 64, .fold = RP_FOLD_CONN, .spin_ns = RP_SPIN_DEFAULT_NS,
			      .distribution = MEMCACHED_DISTRIBUTION_CONSISTENT_KETAMA,
			      .hash = MEMCACHED_HASH_DEFAULT};
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":s:r:D:c:d:t:qh", long_opts, NULL)) != -1) {
		int rc = 0;
		uint64_t ns;
		switch (c) {
		case 's':
			if (o->nservers == sizeof(servers) / sizeof(servers[0]))
				return usage_error("--server %s: too many servers (64 at most)", optarg);
			rc = rp_server_parse(&servers[o->nservers], optarg, err, sizeof(err));
			if (rc == MB_E_USAGE)
				return usage_error("%s", err);
			if (rc) {
				mb_error("%s", err);
				return MB_EXIT_TARGET;
			}
			o->nservers++;
			break;
		case 'r':
			rc = parse_rate(o, optarg);
			break;
		case 'D':
			if (mb_parse_duration_ns(optarg, &o->duration_ns) != 0 || !o->duration_ns)
				return usage_error("--duration %s: expected a duration like 30s or 2m",
						   optarg);
			break;
		case 'c':
			rc = parse_count("--connections", optarg, 1, 65536, &o->connections);
			break;
		case 'd':
			rc = parse_count("--depth", optarg, 1, 1u << 20, &o->depth);
			break;
		case 't':
			rc = parse_count("--threads", optarg, 1, 256, &o->threads);
			break;
		case 'q':
			o->quiet = true;
			break;
		case 'h':
			fputs(help_text, stdout);
			exit(MB_EXIT_OK);
		case OPT_VERSION:
			printf("membench-replay %s\n", mb_version_long());
			exit(MB_EXIT_OK);
		case OPT_DIST:
			if (lookup(dist_names, sizeof(dist_names) / sizeof(dist_names[0]), optarg,
				   &o->distribution) != 0)
				return usage_error("--distribution %s: expected ketama, modula or consistent",
						   optarg);
			break;
		case OPT_HASH:
			if (lookup(hash_names, sizeof(hash_names) / sizeof(hash_names[0]), optarg,
				   &o->hash) != 0)
				return usage_error("--hash %s: unknown hash (see --help)", optarg);
			break;
		case OPT_LOOP:
			o->loop = true;
			break;
		case OPT_FOLD:
			if (strcmp(optarg, "conn") == 0)
				o->fold = RP_FOLD_CONN;
			else if (strcmp(optarg, "key") == 0)
				o->fold = RP_FOLD_KEY;
			else
				return usage_error("--fold %s: expected conn or key", optarg);
			break;
		case OPT_TIMEOUT:
		case OPT_SKIP_LATE:
			if (mb_parse_duration_ns(optarg, &ns) != 0 || !ns)
				return usage_error("expected a duration like 100ms, got %s", optarg);
			if (c == OPT_TIMEOUT)
				o->timeout_ns = ns;
			else
				o->skip_late_ns = ns;
			break;
		case OPT_SPIN:
			if (mb_parse_duration_ns(optarg, &ns) != 0 || ns > 100 * 1000 * 1000)
				return usage_error("--spin %s: expected a duration up to 100ms, like 200us or 0",
						   optarg);
			o->spin_ns = ns;
			break;
		case OPT_PREFIX:
			o->key_prefix = optarg;
			o->key_prefix_len = strlen(optarg);
			if (o->key_prefix_len >= RP_MAX_KEY)
				return usage_error("--key-prefix %s: too long (memcached keys are <= 250 bytes)",
						   optarg);
			for (const char *p = optarg; *p; p++)
				if ((unsigned char)*p <= ' ' || (unsigned char)*p == 0x7f)
					return usage_error("--key-prefix %s: spaces and control characters are not valid in keys",
							   optarg);
			break;
		case OPT_WARM:
			o->warm = true;
			break;
		case OPT_FLUSH:
			o->allow_flush = true;
			break;
		case OPT_JSON:
			o->json_path = optarg;
			break;
		case ':':
			return usage_error("%s needs a value", argv[optind - 1]);
		default:
			return usage_error("unknown option %s", argv[optind - 1]);
		}
		if (rc)
			return rc;
	}
	if (optind >= argc)
		return usage_error("%s", "missing PROFILE");
	if (optind + 1 < argc)
		return usage_error("unexpected argument %s", argv[optind + 1]);
	o->profile = argv[optind];
	if (o->nservers == 0)
		return usage_error("%s", "missing --server HOST:PORT");
	if (o->loop && o->rate_mode == RP_RATE_MAX && !o->duration_ns)
		mb_warn("--rate max --loop without --duration runs until Ctrl-C");
	return 0;
}

/* ---- plan ------------------------------------------------------------------------------ */

enum { KEY_UNSEEN = 0, KEY_WARM, KEY_SKIP };

static int grow(void **p, size_t *cap, size_t need, size_t elem)
{
	if (need <= *cap)
		return 0;
	size_t ncap = *cap ? *cap : 1024;
	while (ncap < need)
		ncap *= 2;
	void *np = realloc(*p, ncap * elem);
	if (!np)
		return -ENOMEM;
	memset((char *)np + *cap * elem, 0, (ncap - *cap) * elem);
	*p = np;
	*cap = ncap;
	return 0;
}

/* Reads the whole profile once. @return 0, or an exit code (message printed). */
static int plan_scan(const struct rp_opts *o, struct rp_plan *p, const char **warning)
{
	static char warnbuf[600];
	char err[512];
	struct mb_profile_reader *rd = NULL;
	struct mb_record *buf = NULL;
	uint8_t *kstate = NULL;
	uint32_t *kvlen = NULL, *kklen = NULL;
	size_t kcap = 0, kcap2 = 0, kcap3 = 0;
	int ret = MB_EXIT_FAILURE;
	memset(p, 0, sizeof(*p));
	*warning = NULL;
	int rc = mb_profile_reader_open(&rd, o->profile, err, sizeof(err));
	if (rc) {
		mb_error("%s", err[0] ? err : mb_strerror(rc));
		return mb_exit_code_for(rc);
	}
	p->key_mode = mb_profile_reader_meta(rd)->key_mode;
	uint64_t lost = 0;
	if (mb_profile_reader_truncated(rd, &lost)) {
		snprintf(warnbuf, sizeof(warnbuf),
			 "%s is truncated (%" PRIu64 " bytes after the last complete block are lost); "
			 "replaying the complete blocks", o->profile, lost);
		*warning = warnbuf;
		mb_warn("%s", warnbuf);
	}
	buf = malloc(4096 * sizeof(*buf));
	if (!buf)
		goto oom;
	bool first = true, seen_bin = false, seen_text = false;
	for (;;) {
		long n = mb_profile_reader_read(rd, buf, 4096);
		if (n < 0) {
			snprintf(warnbuf, sizeof(warnbuf), "%s; replaying the %" PRIu64
				 " records before it", mb_profile_reader_errmsg(rd), p->records);
			*warning = warnbuf;
			mb_warn("%s", warnbuf);
			break;
		}
		if (n == 0)
			break;
		for (long i = 0; i < n; i++) {
			const struct mb_record *r = &buf[i];
			if (first) {
				p->t_first = p->t_last = r->time_ns;
				first = false;
			}
			if (r->time_ns > p->t_last)
				p->t_last = r->time_ns;
			if (r->conn_id >= p->recorded_conns)
				p->recorded_conns = r->conn_id + 1;
			p->records++;
			p->commands += !(r->rflags & MB_RF_BATCH_CONT);
			if (r->proto == MB_PROTO_BINARY)
				seen_bin = true;
			else
				seen_text = true;
			if (!o->warm || r->key_id == MB_KEY_NONE)
				continue;
			size_t id = (size_t)r->key_id;
			if (grow((void **)&kstate, &kcap, id + 1, 1) ||
			    grow((void **)&kvlen, &kcap2, id + 1, 4) ||
			    grow((void **)&kklen, &kcap3, id + 1, 4))
				goto oom;
			if (kstate[id] != KEY_UNSEEN)
				continue;
			bool hit = r->status == MB_STATUS_HIT ||
				   (r->status == MB_STATUS_NONE && r->value_len > 0);
			if (mb_op_is_read(r->op) && hit) {
				kstate[id] = KEY_WARM;
				kvlen[id] = r->value_len;
				kklen[id] = r->key_len;
				p->warm_keys++;
			} else if (!mb_op_is_read(r->op)) {
				kstate[id] = KEY_SKIP;
			}
			/* a recorded miss leaves the key unseen: a later hit before any write warms it */
		}
	}
	if (p->warm_keys) {
		p->warm_ids = malloc(p->warm_keys * sizeof(*p->warm_ids));
		p->warm_klen = malloc(p->warm_keys * sizeof(*p->warm_klen));
		p->warm_vlen = malloc(p->warm_keys * sizeof(*p->warm_vlen));
		if (!p->warm_ids || !p->warm_klen || !p->warm_vlen)
			goto oom;
		uint64_t k = 0;
		for (size_t id = 0; id < kcap; id++) {
			if (kstate[id] == KEY_WARM) {
				p->warm_ids[k] = id;
				p->warm_klen[k] = kklen[id];
				p->warm_vlen[k] = kvlen[id];
				k++;
			}
		}
	}
	uint64_t span = p->t_last - p->t_first;
	double span_s = (double)(span ? span : 1000000) / 1e9;
	p->mean_rate = (double)p->commands / span_s;
	p->loop_span = span + (p->commands > 1 ? span / (p->commands - 1) : 1000000);
	if (p->loop_span == 0)
		p->loop_span = 1000000;
	/* --rate N means the whole traffic's rate: a sample (record --sample f) is played at N * f */
	double f = mb_profile_reader_meta(rd)->sample_ratio;
	p->speed = o->rate_mode == RP_RATE_OPS ? o->rate * (f > 0 ? f : 1) / p->mean_rate : o->rate;
	p->nlanes = o->connections ? o->connections : (p->recorded_conns ? p->recorded_conns : 1);
	p->nfam = seen_bin && seen_text ? 2 : 1;
	ret = 0;
	goto cleanup;
oom:
	mb_error("out of memory");
	ret = MB_EXIT_FAILURE;
cleanup:
	free(buf);
	free(kstate);
	free(kvlen);
	free(kklen);
	mb_profile_reader_close(rd);
	return ret;
}

static void plan_free(struct rp_plan *p)
{
	free(p->warm_ids);
	free(p->warm_klen);
	free(p->warm_vlen);
}

/* ---- targets --------------------------------------------------------------------------- */

/* Every server must accept a connection within 3 s. @return 0 or MB_EXIT_TARGET. */
static int check_targets(const struct rp_opts *o)
{
	for (unsigned i = 0; i < o->nservers; i++) {
		const struct rp_server *s = &o->servers[i];
		int fd = rp_server_connect(s, false);
		int e = fd < 0 ? -fd : 0;
		if (fd >= 0) {
			struct pollfd pfd = {.fd = fd, .events = POLLOUT};
			int pr = poll(&pfd, 1, 3000);
			socklen_t len = sizeof(e);
			if (pr == 0)
				e = ETIMEDOUT;
			else if (pr < 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &len) != 0)
				e = errno;
			close(fd);
		}
		if (e) {
			mb_error("cannot connect to %s: %s", s->spec, strerror(e));
			return MB_EXIT_TARGET;
		}
	}
	return 0;
}

/* Raises the open-file limit for the connections; without --connections, folds the recorded
 * connections into fewer lanes when there are more than RP_DEFAULT_MAX_LANES (memcached's default
 * -c is 1024 and it rejects connections well before that) or than file descriptors. @return 0, or MB_EXIT_USAGE when --connections asks for
 * more connections than the limit allows. */
#define RP_DEFAULT_MAX_LANES 512
static int fit_lanes(const struct rp_opts *o, struct rp_plan *p)
{
	struct rlimit rl;
	size_t per_lane = (size_t)o->nservers * p->nfam;
	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return 0;
	size_t need = (size_t)p->nlanes * per_lane + 64;
	if (rl.rlim_cur < need) {
		rl.rlim_cur = rl.rlim_max < need ? rl.rlim_max : need;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	size_t fit = rl.rlim_cur > 64 + per_lane ? (rl.rlim_cur - 64) / per_lane : 1;
	if (o->connections) {
		if (o->connections > fit) {
			mb_error("--connections %u needs %zu file descriptors; the limit is %llu",
				 o->connections, (size_t)o->connections * per_lane + 64,
				 (unsigned long long)rl.rlim_cur);
			return MB_EXIT_USAGE;
		}
		return 0;
	}
	if (fit > RP_DEFAULT_MAX_LANES)
		fit = RP_DEFAULT_MAX_LANES;
	if (p->nlanes > fit) {
		mb_warn("%u recorded connections are folded into %zu connections per server (use "
			"--connections N to choose)", p->nlanes, fit);
		p->nlanes = (unsigned)fit;
	}
	return 0;
}

/* Stores the warm keys through libmemcached. */
static void warm_run(const struct rp_opts *o, const struct rp_plan *p, memcached_st *memc,
		     struct rp_report *rep)
{
	char err[512];
	struct mb_profile_reader *rd = NULL;
	char *val = NULL;
	size_t valcap = 0;
	uint64_t t = mb_mono_ns();
	if (mb_profile_reader_open(&rd, o->profile, err, sizeof(err)) != 0) {
		mb_warn("--warm: %s", err);
		return;
	}
	struct rp_keygen kg = {.rd = rd, .key_mode = p->key_mode, .prefix = o->key_prefix,
			       .prefix_len = o->key_prefix_len};
	char key[RP_MAX_KEY + 1];
	for (uint64_t i = 0; i < p->warm_keys; i++) {
		size_t klen = rp_key(&kg, p->warm_ids[i], p->warm_klen[i], key);
		if (p->warm_vlen[i] > RP_MAX_VALUE) {
			rep->warm_failed++;
			continue;
		}
		const char *v = rp_value(&val, &valcap, p->warm_vlen[i]);
		memcached_return_t rc = v ? memcached_set(memc, key, klen, v, p->warm_vlen[i], 0, 0)
					  : MEMCACHED_MEMORY_ALLOCATION_FAILURE;
		if (rc == MEMCACHED_SUCCESS)
			rep->warm_stored++;
		else
			rep->warm_failed++;
	}
	rep->warm_s = (double)(mb_mono_ns() - t) / 1e9;
	free(val);
	mb_profile_reader_close(rd);
}

/* ---- time series ----------------------------------------------------------------------- */

static uint64_t ns_to_us(uint64_t ns)
{
	return (ns + 500) / 1000;
}

void rp_series_finalize_locked(struct rp_run *run, struct rp_second *s)
{
	if (s->reports == 0)
		return;
	if (run->nseries == run->capseries) {
		size_t ncap = run->capseries ? run->capseries * 2 : 64;
		struct rp_point *np = realloc(run->series, ncap * sizeof(*np));
		if (!np)
			goto reset; /* the series loses this second; totals are kept elsewhere */
		run->series = np;
		run->capseries = ncap;
	}
	run->series[run->nseries++] = (struct rp_point){
		.sec = s->sec,
		.sent = s->sent,
		.responses = s->responses,
		.errors = s->errors,
		.outstanding = s->outstanding,
		.p50_us = ns_to_us(mb_hist_percentile(&s->lat, 50)),
		.p99_us = ns_to_us(mb_hist_percentile(&s->lat, 99)),
		.max_us = ns_to_us(s->lat.max),
		.lag_p99_us = ns_to_us(mb_hist_percentile(&s->lag, 99)),
	};
reset:
	s->reports = 0;
	s->sent = s->responses = s->errors = s->outstanding = 0;
	mb_hist_reset(&s->lat);
	mb_hist_reset(&s->lag);
}

/* Finalizes every second all workers reported, or that is older than `older_than`.
 * @return the newest point finalized, or NULL. */
static const struct rp_point *series_collect(struct rp_run *run, unsigned nworkers,
					     uint64_t older_than, bool all)
{
	const struct rp_point *last = NULL;
	pthread_mutex_lock(&run->mu);
	for (;;) {
		struct rp_second *pick = NULL;
		for (unsigned i = 0; i < RP_SERIES_RING; i++) {
			struct rp_second *s = &run->ring[i];
			if (!s->reports)
				continue;
			if (!all && s->reports < nworkers - run->done_workers && s->sec >= older_than)
				continue;
			if (!pick || s->sec < pick->sec)
				pick = s;
		}
		if (!pick)
			break;
		rp_series_finalize_locked(run, pick);
		last = run->nseries ? &run->series[run->nseries - 1] : NULL;
	}
	pthread_mutex_unlock(&run->mu);
	return last;
}

static int cmp_point(const void *a, const void *b)
{
	const struct rp_point *x = a, *y = b;
	return x->sec < y->sec ? -1 : x->sec > y->sec;
}

/* Sorts the series and merges points of the same second (a late report finalized twice). */
static void series_tidy(struct rp_run *run)
{
	if (run->nseries == 0)
		return; /* (qsort's array may not be NULL) a rank without lanes has no series */
	qsort(run->series, run->nseries, sizeof(*run->series), cmp_point);
	size_t k = 0;
	for (size_t i = 0; i < run->nseries; i++) {
		struct rp_point *p = &run->series[i];
		if (k && run->series[k - 1].sec == p->sec) {
			struct rp_point *d = &run->series[k - 1];
			d->sent += p->sent;
			d->responses += p->responses;
			d->errors += p->errors;
			d->outstanding += p->outstanding;
			d->p50_us = d->p50_us > p->p50_us ? d->p50_us : p->p50_us;
			d->p99_us = d->p99_us > p->p99_us ? d->p99_us : p->p99_us;
			d->max_us = d->max_us > p->max_us ? d->max_us : p->max_us;
			d->lag_p99_us = d->lag_p99_us > p->lag_p99_us ? d->lag_p99_us : p->lag_p99_us;
			continue;
		}
		run->series[k++] = *p;
	}
	run->nseries = k;
}

static void live_line(const struct rp_point *pt, double target)
{
	char tgt[32] = "max";
	if (target > 0)
		snprintf(tgt, sizeof(tgt), "%.0f", target);
	fprintf(stderr, "\r\033[K[%4" PRIu64 "s] %" PRIu64 "/%s req/s  p99 %" PRIu64
		" us  errors %" PRIu64 "  outstanding %" PRIu64 "  lag p99 %" PRIu64 " us",
		pt->sec + 1, pt->sent, tgt, pt->p99_us, pt->errors, pt->outstanding, pt->lag_p99_us);
	fflush(stderr);
}

/* ---- run ------------------------------------------------------------------------------- */

/* Lanes of this rank: L % size == rank (dist.h). */
static unsigned rank_lanes(const struct rp_dist *d, const struct rp_plan *plan)
{
	unsigned r = (unsigned)d->rank, n = (unsigned)d->size;
	return plan->nlanes > r ? (plan->nlanes - r + n - 1) / n : 0;
}

/* Times of st relative to t0 (+1, so 0 still means "none"), or back to absolute. */
static uint64_t rel_t0(uint64_t t, uint64_t t0)
{
	return t ? (t > t0 ? t - t0 : 0) + 1 : 0;
}

static uint64_t abs_t0(uint64_t rel, uint64_t t0)
{
	return rel ? t0 + rel - 1 : 0;
}

/* This rank's line of the per-rank section. */
static void rank_info(const struct rp_dist *d, const struct rp_opts *o, const struct rp_stats *st,
		      struct rp_rank_info *ri)
{
	memset(ri, 0, sizeof(*ri));
	snprintf(ri->host, sizeof(ri->host), "%s", d->host);
	ri->requests_sent = st->requests_sent;
	ri->responses = st->responses;
	ri->latency_count = st->corr.total;
	ri->lag_p99_ns = mb_hist_percentile(&st->lag, 99);
	if (st->last_done_ns > st->first_send_ns && st->first_send_ns)
		ri->duration_s = (double)(st->last_done_ns - st->first_send_ns) / 1e9;
	ri->achieved_rate = ri->duration_s > 0 ? (double)st->requests_sent / ri->duration_s : 0;
	ri->behind = o->rate_mode != RP_RATE_MAX && ri->lag_p99_ns > RP_BEHIND_LAG_NS;
}

static int run_replay(const struct rp_dist *d, const struct rp_opts *o, struct rp_plan *plan,
		      const char *warning)
{
	struct rp_rank_info *ranks = calloc((size_t)d->size, sizeof(*ranks));
	int failed_rank = 0;
	char err[512];
	struct rp_run run = {.opts = o, .plan = plan};
	struct rp_worker **workers = NULL;
	struct rp_stats total;
	uint64_t (*before)[RP_NSTAT] = calloc(o->nservers, sizeof(*before));
	uint64_t (*after)[RP_NSTAT] = calloc(o->nservers, sizeof(*after));
	struct rp_report rep = {.opts = o, .plan = plan, .profile_warning = warning};
	int ret = MB_EXIT_FAILURE;
	unsigned started = 0, nw = 0;
	bool tty = mb_isatty(STDERR_FILENO);
	bool total_ok = false;
	double target = 0;
	pthread_mutex_init(&run.mu, NULL);
	pthread_cond_init(&run.gate, NULL);
	for (unsigned i = 0; i < RP_SERIES_RING; i++) {
		if (mb_hist_init(&run.ring[i].lat, 1000, 100 * RP_NS_PER_SEC, 2) ||
		    mb_hist_init(&run.ring[i].lag, 1000, 100 * RP_NS_PER_SEC, 2))
			goto oom;
	}
	if (!before || !after || !ranks || rp_stats_init(&total) != 0)
		goto oom;
	total_ok = true;
	run.memc = rp_memc_new(o, err, sizeof(err));
	if (!run.memc) {
		mb_error("%s", err);
		goto cleanup;
	}
	/* warm-up and the "before" stats once, on rank 0, before any rank sends */
	if (o->warm && d->rank == 0)
		warm_run(o, plan, run.memc, &rep);
	if (d->rank == 0)
		rep.stats_ok = rp_stats_fetch(run.memc, o->nservers, before) == 0;

	/* this rank's lanes are spread over its threads; worker i of rank r has the global id
	 * r + size * i of size * nw (dist.h), so the engine keeps exactly this rank's shard */
	unsigned mylanes = rank_lanes(d, plan);
	nw = o->threads < mylanes ? o->threads : mylanes;
	if (nw == 0)
		nw = 1; /* no lanes here: one idle worker keeps the flow the same */
	workers = calloc(nw, sizeof(*workers));
	if (!workers)
		goto oom;
	int wrc = 0;
	for (unsigned i = 0; i < nw && !wrc; i++) {
		int rc = rp_worker_new(&workers[i], &run, (unsigned)d->rank + (unsigned)d->size * i,
				       (unsigned)d->size * nw, err, sizeof(err));
		if (rc) {
			mb_error("%s", err);
			wrc = rc == MB_E_CONNECT ? MB_EXIT_TARGET : mb_exit_code_for(rc);
		}
	}
	wrc = rp_dist_agree(d, wrc, &failed_rank);
	if (wrc) {
		if (d->rank == 0 && failed_rank != 0)
			mb_error("rank %d failed to start (its message names its host); stopping",
				 failed_rank);
		ret = wrc;
		goto cleanup;
	}
	for (; started < nw; started++) {
		if (rp_worker_start(workers[started]) != 0) {
			mb_error("cannot start a worker thread");
			for (unsigned i = 0; i < started; i++)
				rp_worker_stop(workers[i]);
			break;
		}
	}
	/* every thread is up (on every rank): the schedule starts 20 ms after the barrier */
	pthread_mutex_lock(&run.mu);
	while (run.ready < started)
		pthread_cond_wait(&run.gate, &run.mu);
	pthread_mutex_unlock(&run.mu);
	if (rp_dist_clock(d, ranks) != 0)
		mb_warn("cannot measure the clock offsets between ranks");
	rp_dist_barrier(d);
	pthread_mutex_lock(&run.mu);
	struct timespec rt;
	clock_gettime(CLOCK_REALTIME, &rt);
	run.t0 = mb_mono_ns() + 20 * 1000 * 1000;
	int64_t t0_rt = (int64_t)rt.tv_sec * 1000000000 + rt.tv_nsec + 20 * 1000 * 1000;
	run.end_ns = o->duration_ns ? run.t0 + o->duration_ns : UINT64_MAX;
	run.released = true;
	pthread_cond_broadcast(&run.gate);
	pthread_mutex_unlock(&run.mu);
	target = o->rate_mode == RP_RATE_MAX ? 0 : plan->mean_rate * plan->speed;
	if (started < nw)
		goto join;
	sigset_t sigs;
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	for (;;) {
		struct timespec ts = {0, 100 * 1000 * 1000};
		int sig = sigtimedwait(&sigs, NULL, &ts);
		if (sig == SIGINT || sig == SIGTERM) {
			if (!rep.interrupted) {
				rep.interrupted = true;
				for (unsigned i = 0; i < nw; i++)
					rp_worker_stop(workers[i]);
			}
		}
		uint64_t now = mb_mono_ns();
		uint64_t cur = now > run.t0 ? (now - run.t0) / RP_NS_PER_SEC : 0;
		const struct rp_point *pt = series_collect(&run, nw, cur > 2 ? cur - 2 : 0, false);
		if (pt && tty && d->rank == 0)
			live_line(pt, target);
		pthread_mutex_lock(&run.mu);
		bool done = run.done_workers == nw;
		pthread_mutex_unlock(&run.mu);
		if (done)
			break;
	}
	if (tty)
		fputs("\r\033[K", stderr);
	ret = 0;
join:
	for (unsigned i = 0; i < started; i++)
		rp_worker_join(workers[i]);
	series_collect(&run, nw, 0, true);
	series_tidy(&run);
	for (unsigned i = 0; i < started; i++)
		rp_stats_merge(&total, rp_worker_stats(workers[i]));
	ret = rp_dist_agree(d, ret, &failed_rank);
	if (ret != 0)
		goto cleanup;
	/* results meet on rank 0, times relative to each rank's own t0 */
	struct rp_rank_info mine;
	rank_info(d, o, &total, &mine);
	mine.t0_realtime_ns = t0_rt;
	total.first_send_ns = rel_t0(total.first_send_ns, run.t0);
	total.last_done_ns = rel_t0(total.last_done_ns, run.t0);
	int drc = rp_dist_reduce_stats(d, &total);
	if (drc == 0)
		drc = rp_dist_gather_ranks(d, &mine, ranks);
	if (drc == 0)
		drc = rp_dist_gather_series(d, &run.series, &run.nseries, &run.capseries);
	if (drc) {
		mb_error("cannot combine the ranks' results: %s", mb_strerror(drc));
		ret = MB_EXIT_FAILURE;
		goto cleanup;
	}
	/* Ctrl-C on mpirun reaches every rank; the report says so if any rank saw it */
	rep.interrupted = rp_dist_agree(d, rep.interrupted, &failed_rank) != 0;
	total.first_send_ns = abs_t0(total.first_send_ns, run.t0);
	total.last_done_ns = abs_t0(total.last_done_ns, run.t0);
	if (d->rank != 0)
		goto cleanup; /* rank 0 reports */
	for (int r = 0; r < d->size; r++)
		ranks[r].start_skew_us = (double)(ranks[r].t0_realtime_ns - ranks[0].t0_realtime_ns) /
					 1000.0 - ranks[r].realtime_offset_us;
	series_tidy(&run);
	rep.stats_ok = rep.stats_ok && rp_stats_fetch(run.memc, o->nservers, after) == 0;
	rep.stat_before = before;
	rep.stat_after = after;
	rep.st = &total;
	rep.series = run.series;
	rep.nseries = run.nseries;
	uint64_t end = total.last_done_ns > total.first_send_ns ? total.last_done_ns : mb_mono_ns();
	uint64_t start = total.first_send_ns ? total.first_send_ns : run.t0;
	rep.duration_s = end > start ? (double)(end - start) / 1e9 : 0;
	rep.target_rate = target;
	rep.nworkers = nw;
	rep.generator_bound = mb_hist_percentile(&total.gen_lag, 99) > 1000000;
	rep.nranks = (unsigned)d->size;
	rep.ranks = ranks;
	if (!o->quiet)
		rp_report_text(stdout, &rep);
	if (o->json_path) {
		int rc = rp_report_json(o->json_path, &rep);
		if (rc) {
			mb_error("cannot write %s: %s", o->json_path, mb_strerror(rc));
			ret = MB_EXIT_FAILURE;
		}
	}
	goto cleanup;
oom:
	mb_error("out of memory");
	ret = MB_EXIT_FAILURE;
cleanup:
	for (unsigned i = 0; workers && i < nw; i++)
		rp_worker_free(workers[i]);
	free(workers);
	if (total_ok)
		rp_stats_free(&total);
	for (unsigned i = 0; i < RP_SERIES_RING; i++) {
		mb_hist_free(&run.ring[i].lat);
		mb_hist_free(&run.ring[i].lag);
	}
	free(run.series);
	if (run.memc)
		memcached_free(run.memc);
	pthread_mutex_destroy(&run.mu);
	pthread_cond_destroy(&run.gate);
	free(before);
	free(after);
	free(ranks);
	return ret;
}

int main(int argc, char **argv)
{
	struct rp_opts o;
	struct rp_plan plan;
	struct rp_dist d;
	const char *warning = NULL;
	int failed_rank;
	mb_cli_set_prog("membench replay");
	if (rp_dist_init(&d, &argc, &argv) != 0)
		return MB_EXIT_FAILURE;
	int rc = parse_args(argc, argv, &o);
	if (rc) {
		rp_dist_finalize(&d);
		return rc;
	}
	/* Block the stop signals before any thread exists; main takes them with sigtimedwait. */
	sigset_t sigs;
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);

	/* every step that can fail on one host (its copy of the profile, its route to a server)
	 * is agreed on by all ranks before the next one, so a failing rank stops them all */
	rc = plan_scan(&o, &plan, &warning);
	if (rc == 0 && plan.records == 0) {
		mb_error("%s: the profile has no records to replay", o.profile);
		rc = MB_EXIT_INPUT;
	}
	if (rc == 0)
		rc = fit_lanes(&o, &plan);
	if (rc == 0)
		rc = check_targets(&o);
	rc = rp_dist_agree(&d, rc, &failed_rank);
	if (rc && d.rank == 0 && failed_rank != 0)
		mb_error("rank %d failed (its message above names its host); stopping", failed_rank);
	if (rc == 0)
		plan.nlanes = rp_dist_min(&d, plan.nlanes);
	if (rc == 0)
		rc = run_replay(&d, &o, &plan, warning);
	plan_free(&plan);
	rp_dist_finalize(&d);
	return rc;
}
