/* The command line of membench-replay: flags -> struct rp_opts, and --help.
 *
 * Every flag is checked here, before the profile is opened or a server contacted, and a bad
 * one exits 2 with a message naming the flag and its value. Defaults are set in one place
 * (the initializer at the top of rp_options_parse; --depth's depends on --rate, so it is
 * filled in after the flags). --server is resolved here (target.c), so an
 * unknown host exits 5 before anything else happens.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "membench/cli.h"
#include "membench/error.h"
#include "membench/exitcode.h"
#include "membench/version.h"
#include "options.h"
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
"  -r, --rate 50000       a target mean rate in requests/s (a request is one key, as analyze\n"
"                         counts: a 10-key multiget is 10): the timeline is compressed by\n"
"                         50000 / (the profile's mean rate). Keeps the recorded burst structure.\n"
"                         A sampled profile (record --sample F) plays 50000 * F: its share.\n"
"  -r, --rate max         closed loop, as fast as the target answers with --depth outstanding\n"
"                         per connection. Does NOT keep the burst structure (no schedule).\n"
"  -D, --duration D       stop after D (e.g. 30s, 2m); with --loop, run for D; with --warmup,\n"
"                         measure for D after the warm-up (the run lasts warm-up + D)\n"
"      --loop [N]         play the profile N times (N >= 1; N=1 is no loop), or endlessly\n"
"                         without N; time keeps advancing (pass k is shifted by k times the\n"
"                         profile's span), so bursts recur at the same spacing. N is the next\n"
"                         argument when it is a number (--loop=N also works)\n"
"      --warmup D         play the first D of the run (e.g. 10s, 500ms; replay time, after\n"
"                         --rate) but keep it out of the statistics: a request scheduled in it\n"
"                         is counted in a separate warm-up section even when answered later;\n"
"                         server stat deltas start at its end. --rate max: the first D by send\n"
"                         time\n"
"\n"
"Connections:\n"
"  -c, --connections N    N lanes (connections per server) instead of one per recorded connection\n"
"                         (more than 512 recorded connections are folded into 512)\n"
"      --fold conn|key    map recorded requests to lanes by recorded connection (conn % N; keeps\n"
"                         each connection's order; the default) or by key hash (spreads a few hot\n"
"                         connections over many)\n"
"  -d, --depth N          at most N requests awaiting a reply per connection (default 64, and 1\n"
"                         with --rate max); a due request that finds its connection full waits\n"
"                         and is counted as a stall (open loop only)\n"
"  -t, --threads N        worker threads, each with its own event loop (default: the CPUs this\n"
"                         process may run on, at most one per connection)\n"
"      --timeout D        count a request unanswered after D as timed out and reconnect\n"
"      --connect-timeout D  give up a connection not set up (connected, TLS handshake and\n"
"                         authentication done) within D (default 5s): at start-up that is exit 5\n"
"                         naming the server; later the reconnect is retried with backoff\n"
"\n"
"Security (memtier's flag names; every protocol; details in docs/replay.md):\n"
"      --tls              connect with TLS (memcached -Z); sessions are resumed on reconnect\n"
"      --cacert FILE      trust the CA certificates in FILE (default: the system's store)\n"
"      --cert FILE --key FILE  present a client certificate\n"
"      --sni NAME         server name to send and check the certificate against (default: the\n"
"                         --server host; an IP address is checked against the certificate's IPs)\n"
"      --tls-skip-verify  do not check the server's certificate\n"
"      --authenticate USER:PASSWORD, --authenticate @FILE (USER:PASSWORD on its first line)\n"
"                         authenticate every connection before its first request: SASL PLAIN on\n"
"                         binary-protocol connections (memcached -S), the auth-file `set` on\n"
"                         text/meta ones (memcached -Y). A rejected credential is exit 5.\n"
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
"Damaged profiles: a profile cut short (its recorder killed) or with a block that fails its\n"
"checks is refused (exit 3) unless --allow-damaged is given:\n"
"      --allow-damaged    replay the profile's complete, valid blocks, with a warning\n"
"\n"
"Contents:\n"
"      --key-prefix P     prepend P to every key (namespaces a run on a shared server)\n"
"      --warm             first store every key the profile reads before writing it (recorded\n"
"                         as a hit, or a counter), with its recorded size; reported separately\n"
"                         (not to be confused with --warmup, which replays and sets apart)\n"
"      --allow-flush      also replay flush_all (skipped by default, like stats and verbosity)\n"
"\n"
"Output:\n"
"      --json FILE        write the results as JSON (schema: docs/replay.md). FILE is checked\n"
"                         before anything else: one that cannot be written exits 1 at once\n"
"  -q, --quiet            no report table on stdout\n"
"      --interval D       a progress line on stderr every D (whole seconds; default 1s): time,\n"
"                         sent/target req/s, ops/s and KB/s per command, corrected p99,\n"
"                         errors and schedule lag p99; redrawn in place on a terminal, one\n"
"                         line per interval otherwise (a log, a pipe)\n"
"      --no-progress      no progress line\n"
"      --metrics ADDR:PORT  serve live Prometheus metrics at http://ADDR:PORT/metrics while\n"
"                         the replay runs (names: docs/metrics.md); :PORT listens on every\n"
"                         interface, port 0 on a free one (the URL is printed on stderr). A\n"
"                         port that cannot be bound exits 2 at once. Under mpirun, rank r uses\n"
"                         PORT + r\n"
"      --metrics-linger D keep serving the final figures for D after the report (a scraper's\n"
"                         next visit; Ctrl-C ends it early; default 0)\n"
"  -h, --help, --version\n"
"\n"
"Exit codes: 0 done (also after Ctrl-C, with the report of what ran), 2 bad flags, 3 unusable\n"
"or damaged profile, 5 a server unreachable, failing the TLS handshake or refusing the credentials\n"
"at start, 130 Ctrl-C/SIGTERM before the first request was sent, 1 other failures (a --json\n"
"FILE that cannot be written: at once, before the run).\n";

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
	OPT_WARM, OPT_FLUSH, OPT_JSON, OPT_VERSION, OPT_SPIN, OPT_CONNECT_TIMEOUT,
	OPT_TLS, OPT_CACERT, OPT_CERT, OPT_KEY, OPT_SNI, OPT_TLS_SKIP_VERIFY, OPT_AUTH,
	OPT_INTERVAL, OPT_NO_PROGRESS, OPT_ALLOW_DAMAGED, OPT_METRICS, OPT_METRICS_LINGER,
	OPT_WARMUP,
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
	{"loop", optional_argument, NULL, OPT_LOOP},
	{"warmup", required_argument, NULL, OPT_WARMUP},
	{"fold", required_argument, NULL, OPT_FOLD},
	{"timeout", required_argument, NULL, OPT_TIMEOUT},
	{"skip-late", required_argument, NULL, OPT_SKIP_LATE},
	{"spin", required_argument, NULL, OPT_SPIN},
	{"key-prefix", required_argument, NULL, OPT_PREFIX},
	{"warm", no_argument, NULL, OPT_WARM},
	{"allow-flush", no_argument, NULL, OPT_FLUSH},
	{"json", required_argument, NULL, OPT_JSON},
	{"interval", required_argument, NULL, OPT_INTERVAL},
	{"no-progress", no_argument, NULL, OPT_NO_PROGRESS},
	{"allow-damaged", no_argument, NULL, OPT_ALLOW_DAMAGED},
	{"metrics", required_argument, NULL, OPT_METRICS},
	{"metrics-linger", required_argument, NULL, OPT_METRICS_LINGER},
	{"version", no_argument, NULL, OPT_VERSION},
	{"connect-timeout", required_argument, NULL, OPT_CONNECT_TIMEOUT},
	{"tls", no_argument, NULL, OPT_TLS},
	{"cacert", required_argument, NULL, OPT_CACERT},
	{"cert", required_argument, NULL, OPT_CERT},
	{"key", required_argument, NULL, OPT_KEY},
	{"sni", required_argument, NULL, OPT_SNI},
	{"tls-skip-verify", no_argument, NULL, OPT_TLS_SKIP_VERIFY},
	{"authenticate", required_argument, NULL, OPT_AUTH},
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

/* A --loop count given as the next argument: a number (digits, maybe a sign, point or
 * exponent), or anything starting with a digit that names no file ("2x"): wrong ones are then
 * refused by name rather than taken for the profile. A profile named like a number is given
 * as ./3. */
static bool loop_count_like(const char *s)
{
	const char *d = s;
	if (*d == '-' || *d == '+')
		d++;
	if (!isdigit((unsigned char)*d))
		return false;
	return d[strspn(d, "0123456789.eE+-")] == '\0' || access(s, F_OK) != 0;
}

/* --loop (endless), --loop N or --loop=N (N passes; 1 = no loop). getopt_long takes an
 * optional argument only as --loop=N, so a number in the next argument is taken here. */
static int parse_loop(struct rp_opts *o, int argc, char **argv)
{
	const char *n = optarg;
	if (!n && optind < argc && loop_count_like(argv[optind]))
		n = argv[optind++];
	if (!n) {
		o->passes = 0;
		return 0;
	}
	unsigned v = 0;
	int rc = parse_count("--loop", n, 1, 1000000000, &v);
	if (rc == 0)
		o->passes = v;
	return rc;
}

/* The TLS flags; any of them turns TLS on. A file that cannot be read is named here. */
static int parse_tls(struct rp_tls_opts *t, int c, const char *arg)
{
	const char **file = c == OPT_CACERT ? &t->cacert : c == OPT_CERT ? &t->cert
			    : c == OPT_KEY ? &t->key : NULL;
	t->on = true;
	if (c == OPT_SNI)
		t->sni = arg;
	if (c == OPT_TLS_SKIP_VERIFY)
		t->skip_verify = true;
	if (file) {
		FILE *f = fopen(arg, "r");
		if (!f)
			return usage_error("%s %s: %s", c == OPT_CACERT ? "--cacert"
					   : c == OPT_CERT ? "--cert" : "--key", arg, strerror(errno));
		fclose(f);
		*file = arg;
	}
	return 0;
}

/* --threads default: the CPUs this process may run on (its affinity mask, e.g. under taskset),
 * at most 256; main.c gives no thread fewer than one lane. */
static unsigned default_threads(void)
{
	cpu_set_t set;
	long n = sched_getaffinity(0, sizeof(set), &set) == 0 ? CPU_COUNT(&set)
							      : sysconf(_SC_NPROCESSORS_ONLN);
	return n < 1 ? 1 : n > 256 ? 256 : (unsigned)n;
}

/* @return 0, or an exit code. */
int rp_options_parse(int argc, char **argv, struct rp_opts *o)
{
	char err[512];
	int c;
	*o = (struct rp_opts){.rate_mode = RP_RATE_SPEED, .rate = 1.0, .passes = 1,
			      .threads = default_threads(), .interval_s = 1, .fold = RP_FOLD_CONN, .spin_ns = RP_SPIN_DEFAULT_NS,
			      .distribution = MEMCACHED_DISTRIBUTION_CONSISTENT_KETAMA,
			      .hash = MEMCACHED_HASH_DEFAULT,
			      .connect_timeout_ns = 5 * RP_NS_PER_SEC};
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":s:r:D:c:d:t:qh", long_opts, NULL)) != -1) {
		int rc = 0;
		uint64_t ns;
		switch (c) {
		case 's':
			if (o->nservers == RP_MAX_SERVERS)
				return usage_error("--server %s: too many servers (%d at most)", optarg,
						   RP_MAX_SERVERS);
			rc = rp_server_parse(&o->servers[o->nservers], optarg, err, sizeof(err));
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
			rc = parse_loop(o, argc, argv);
			break;
		case OPT_WARMUP:
			if (mb_parse_duration_ns(optarg, &o->warmup_ns) != 0 || !o->warmup_ns)
				return usage_error("--warmup %s: expected a duration like 10s or 500ms",
						   optarg);
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
		case OPT_CONNECT_TIMEOUT:
			if (mb_parse_duration_ns(optarg, &o->connect_timeout_ns) != 0 ||
			    !o->connect_timeout_ns)
				return usage_error("--connect-timeout %s: expected a duration like 5s or 500ms",
						   optarg);
			break;
		case OPT_TLS:
		case OPT_CACERT:
		case OPT_CERT:
		case OPT_KEY:
		case OPT_SNI:
		case OPT_TLS_SKIP_VERIFY:
			rc = parse_tls(&o->tls, c, optarg);
			break;
		case OPT_AUTH:
			if (rp_auth_parse(&o->auth, optarg, err, sizeof(err)) != 0)
				return usage_error("%s", err);
			break;
		case OPT_INTERVAL:
			if (mb_parse_duration_ns(optarg, &ns) != 0 || ns == 0 || ns % RP_NS_PER_SEC ||
			    ns > 3600 * RP_NS_PER_SEC)
				return usage_error("--interval %s: expected whole seconds from 1s to 1h, "
						   "like 1s or 10s", optarg);
			o->interval_s = (unsigned)(ns / RP_NS_PER_SEC);
			break;
		case OPT_NO_PROGRESS:
			o->no_progress = true;
			break;
		case OPT_ALLOW_DAMAGED:
			o->allow_damaged = true;
			break;
		case OPT_METRICS:
			o->metrics_addr = optarg; /* bound (and checked) by main, before the run */
			break;
		case OPT_METRICS_LINGER:
			if (mb_parse_duration_ns(optarg, &o->metrics_linger_ns) != 0)
				return usage_error("--metrics-linger %s: expected a duration like 30s",
						   optarg);
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
	if (!o->depth) /* not given: memtier's closed-loop default, room for bursts in open loop */
		o->depth = o->rate_mode == RP_RATE_MAX ? 1 : 64;
	if (o->nservers == 0)
		return usage_error("%s", "missing --server HOST:PORT");
	if (!o->tls.cert != !o->tls.key)
		return usage_error("%s", "--cert and --key go together");
	if (o->metrics_linger_ns && !o->metrics_addr)
		return usage_error("%s", "--metrics-linger needs --metrics ADDR:PORT");
	if (o->passes == 0 && o->rate_mode == RP_RATE_MAX && !o->duration_ns)
		mb_warn("--rate max --loop without --duration runs until Ctrl-C");
	return 0;
}
