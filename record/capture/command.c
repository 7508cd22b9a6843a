/* membench record ebpf:...: live capture of memcached traffic into a profile.
 *
 * Steps: parse the source and options -> check privileges, BTF and tracefs (and say what is
 * missing) -> load bpf/capture.bpf.c with the filters in .rodata and attach it -> open the
 * profile -> poll the ring buffer into capture_stream (reassembly, codec, reorder window) whose
 * records go to the profile writer -> on SIGINT/SIGTERM, --duration or --count: detach, drain
 * the ring, finish every connection, write the kernel's drop counters and the capture's losses
 * into the trailer, close the file.
 *
 * Time: profile time 0 is CLOCK_MONOTONIC just before attach (meta.start_clock_ns), paired with
 * the wall clock read at the same moment (meta.start_wall_ns). The writer flushes a block at
 * least once a second, so a SIGKILLed capture reads back to its last flushed block.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/types.h>

#include "capture/capture_user.h"
#include "capture/ring.h"
#include "capture/stream.h"
#include "capture/sys.h"
#include "capture/top.h"
#include "membench/cli.h"
#include "membench/clock.h"
#include "membench/error.h"
#include "membench/exitcode.h"
#include "metrics.h"
#include "record.h"

#define DEFAULT_PORT 11211
#define DEFAULT_MAX_BYTES 16384
#define DEFAULT_TAIL_BYTES 4096
#define DEFAULT_RING (64u << 20)
#define DEFAULT_WINDOW_NS 1000000000ULL
#define FLUSH_EVERY_NS 1000000000ULL
#define STATUS_EVERY_NS 1000000000ULL
#define POLL_MS 10

struct options {
	const char *source;
	const char *output;
	uint64_t ports[1024]; /* bitmap, as the BPF program wants it */
	unsigned nports;
	uint8_t side;
	uint32_t pid;
	const char *cgroup;
	const char *comm;
	uint64_t duration_ns; /* 0 = until interrupted */
	uint64_t count;       /* 0 = no limit */
	uint8_t key_mode;
	char key_delim;
	uint32_t max_bytes, tail_bytes;
	uint32_t ring_size;
	uint64_t window_ns;
	bool read_stamps;     /* --stamp read: server ends stamp requests when read */
	bool full_values;     /* --full-values: copy response value payloads too */
	double sample;        /* --sample: fraction of connections traced, (0, 1] */
	unsigned top;         /* --top: rows per list of live hot keys, 0 = off */
	uint64_t refresh_ns;  /* --refresh: between --top refreshes */
	bool verbose;
	const char *metrics_addr;   /* --metrics ADDR:PORT (NULL: none) */
	uint64_t metrics_linger_ns; /* --metrics-linger */
};

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
	stop_signal = sig;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: membench record ebpf:TARGET -o FILE.mbp [options]\n"
		"       membench record ebpf:TARGET --top [N] [-o FILE.mbp] [options]\n"
		"\n"
		"Records live memcached traffic with eBPF (syscall tracepoints, both directions) into\n"
		"a profile. Needs root, or CAP_BPF and CAP_PERFMON.\n"
		"\n"
		"TARGET:\n"
		"  any                every process on this host\n"
		"  pid=N              one process\n"
		"  comm=NAME          processes with this name (/proc/PID/comm of the process, not\n"
		"                     of its threads; at most 15 characters)\n"
		"  cgroup=PATH        processes in this cgroup v2 or below it (absolute, or relative to\n"
		"                     the cgroup2 mount, e.g. system.slice/memcached.service)\n"
		"\n"
		"Options:\n"
		"  -o, --output FILE  profile to write (mode 0600; given to the sudo user under sudo)\n"
		"  -p, --port LIST    memcached port(s), comma-separated, repeatable (default 11211);\n"
		"                     a socket whose local port is listed is a server end (it receives\n"
		"                     requests), one whose peer port is listed is a client end\n"
		"      --side S       auto|server|client|both (default auto: both roles, but a\n"
		"                     connection between two processes of this host is recorded once,\n"
		"                     at its server end, unless a pid/comm/cgroup target is given)\n"
		"  -d, --duration D   stop after D (e.g. 30s, 5m; default: until Ctrl-C/SIGTERM)\n"
		"  -n, --count N      stop after N requests (one per key: a 10-key multiget is 10)\n"
		"      --keep-keys    store key bytes (default: only key identity and length)\n"
		"      --key-prefix C store each key's prefix up to and including the character C\n"
		"      --max-bytes N  bytes copied from the start of each buffer/iovec (default 16k,\n"
		"                     at most 64k); longer ones also get their last --tail-bytes\n"
		"                     copied; the middle (a large value) is skipped and accounted for\n"
		"      --tail-bytes N (default 4k, 0..64k)\n"
		"      --full-values  also copy the value payloads of server responses (by default\n"
		"                     a value of 2 KiB or more that follows its own VALUE/VA header\n"
		"                     is not copied: the profile keeps only its length, and the\n"
		"                     copy costs the server CPU time)\n"
		"      --ring-size N  kernel ring buffer (default 64M; rounded up to a power of two)\n"
		"      --window D     reorder window for request-time order (default 1s)\n"
		"      --stamp WHEN   arrival|read: when a request received by a server end is\n"
		"                     stamped (default arrival, see below)\n"
		"      --sample F     trace only a fraction F of the connections (1/N, N%% or 0.25),\n"
		"                     chosen by a hash of their addresses and ports: the same ones\n"
		"                     in every capture, each complete; the profile records F and\n"
		"                     `membench analyze` scales its rates and counts (default 1/1)\n"
		"      --top [N]      live hot keys on stdout, N rows per list (default %u): by\n"
		"                     requests, by value bytes, most read misses, largest values,\n"
		"                     with req/s over the last refresh and on average; redrawn on a\n"
		"                     terminal, timestamped blocks of lines otherwise; a final table\n"
		"                     at the end. Keys shown as the profile keeps them (anonymous:\n"
		"                     #ID as membench analyze shows it, or ~HASH without -o). Fixed\n"
		"                     memory (Space-Saving sketches of %u counters per list). -o is\n"
		"                     optional with --top: without it no profile is written\n"
		"      --refresh D    between --top refreshes (default 1s, at least 100ms)\n"
		"      --metrics ADDR:PORT  serve live Prometheus metrics at http://ADDR:PORT/metrics\n"
		"                     (names: docs/metrics.md); :PORT listens on every interface,\n"
		"                     port 0 on a free one (the URL is printed on stderr); a port\n"
		"                     that cannot be bound exits 2 before the capture starts\n"
		"      --metrics-linger D  keep serving the final figures for D after the capture\n"
		"                     (a scraper's next visit; Ctrl-C ends it early; default 0)\n"
		"  -v, --verbose      show libbpf's messages (the verifier log on a load failure)\n"
		"  -h, --help\n"
		"\n"
		"Timestamps: CLOCK_MONOTONIC in the kernel. A request received by a server end is\n"
		"stamped when its TCP segment reached the socket (the kernel's tcp_probe tracepoint),\n"
		"so requests the server reads together keep their own arrival times; with --stamp\n"
		"read, or when the kernel lacks tcp_probe, when the read returns. Requests sent by a\n"
		"client end are stamped when the send is called; responses when they are sent (server\n"
		"end) or read (client end). A live status line is shown when stderr is a terminal;\n"
		"Ctrl-C finishes the file cleanly.\n"
		"\n"
		"Examples: membench record ebpf:any -o prod.mbp --duration 60s\n"
		"          membench record ebpf:pid=$(pidof memcached) --top 20 --keep-keys\n",
		TOP_DEFAULT_ROWS, TOP_COUNTERS);
}

/* ---- option parsing ------------------------------------------------------------------------ */

static int parse_target(struct options *o, const char *source)
{
	const char *t = source + strlen("ebpf:");
	if (strcmp(t, "any") == 0)
		return 0;
	if (strncmp(t, "pid=", 4) == 0) {
		uint64_t pid;
		if (mb_parse_u64(t + 4, &pid) || pid == 0 || pid > INT32_MAX) {
			mb_error("%s: bad pid '%s'", source, t + 4);
			return MB_E_USAGE;
		}
		o->pid = (uint32_t)pid;
		return 0;
	}
	if (strncmp(t, "comm=", 5) == 0) {
		o->comm = t + 5;
		if (!*o->comm || strlen(o->comm) >= MB_CAP_COMM_LEN) {
			mb_error("%s: a process name has 1 to %d characters", source,
				 MB_CAP_COMM_LEN - 1);
			return MB_E_USAGE;
		}
		return 0;
	}
	if (strncmp(t, "cgroup=", 7) == 0 && t[7]) {
		o->cgroup = t + 7;
		return 0;
	}
	mb_error("unknown eBPF target '%s' (expected ebpf:any, ebpf:pid=N, ebpf:comm=NAME or "
		 "ebpf:cgroup=PATH)",
		 source);
	return MB_E_USAGE;
}

/* --port LIST: 1..65535, comma-separated; an empty list or an empty item ("", ",", "11211,")
 * is refused rather than read as "no port given" (which would record the default port). */
static int parse_ports(struct options *o, const char *list)
{
	char *copy = strdup(list);
	if (!copy)
		return -ENOMEM;
	int rc = 0;
	for (char *tok = copy, *next; tok; tok = next) {
		next = strchr(tok, ',');
		if (next)
			*next++ = '\0';
		uint64_t p;
		if (!*tok) {
			mb_error("--port: empty port in '%s' (expected 1..65535, comma-separated)",
				 list);
			rc = MB_E_USAGE;
			break;
		}
		if (mb_parse_u64(tok, &p) || p == 0 || p > 65535) {
			mb_error("--port: bad port '%s' (1..65535)", tok);
			rc = MB_E_USAGE;
			break;
		}
		if (!(o->ports[p >> 6] & (1ULL << (p & 63))))
			o->nports++;
		o->ports[p >> 6] |= 1ULL << (p & 63);
	}
	free(copy);
	return rc;
}

static int parse_size_opt(const char *name, const char *arg, uint64_t lo, uint64_t hi,
			  uint32_t *out)
{
	uint64_t v;
	if (mb_parse_size(arg, &v) || v < lo || v > hi) {
		mb_error("%s: bad size '%s' (%llu..%llu)", name, arg, (unsigned long long)lo,
			 (unsigned long long)hi);
		return MB_E_USAGE;
	}
	*out = (uint32_t)v;
	return 0;
}

enum {
	OPT_SIDE = 256,
	OPT_KEEP_KEYS,
	OPT_KEY_PREFIX,
	OPT_MAX_BYTES,
	OPT_TAIL_BYTES,
	OPT_RING_SIZE,
	OPT_WINDOW,
	OPT_STAMP,
	OPT_SAMPLE,
	OPT_TOP,
	OPT_REFRESH,
	OPT_METRICS,
	OPT_METRICS_LINGER,
	OPT_FULL_VALUES,
};

static const struct option long_opts[] = {
	{"output", required_argument, NULL, 'o'},
	{"port", required_argument, NULL, 'p'},
	{"side", required_argument, NULL, OPT_SIDE},
	{"duration", required_argument, NULL, 'd'},
	{"count", required_argument, NULL, 'n'},
	{"keep-keys", no_argument, NULL, OPT_KEEP_KEYS},
	{"key-prefix", required_argument, NULL, OPT_KEY_PREFIX},
	{"max-bytes", required_argument, NULL, OPT_MAX_BYTES},
	{"tail-bytes", required_argument, NULL, OPT_TAIL_BYTES},
	{"ring-size", required_argument, NULL, OPT_RING_SIZE},
	{"window", required_argument, NULL, OPT_WINDOW},
	{"stamp", required_argument, NULL, OPT_STAMP},
	{"sample", required_argument, NULL, OPT_SAMPLE},
	{"top", optional_argument, NULL, OPT_TOP},
	{"refresh", required_argument, NULL, OPT_REFRESH},
	{"metrics", required_argument, NULL, OPT_METRICS},
	{"metrics-linger", required_argument, NULL, OPT_METRICS_LINGER},
	{"full-values", no_argument, NULL, OPT_FULL_VALUES},
	{"verbose", no_argument, NULL, 'v'},
	{"help", no_argument, NULL, 'h'},
	{NULL, 0, NULL, 0},
};

static const char *const side_names[] = {
	[MB_CAP_SIDE_AUTO] = "auto",
	[MB_CAP_SIDE_SERVER] = "server",
	[MB_CAP_SIDE_CLIENT] = "client",
	[MB_CAP_SIDE_BOTH] = "both",
};

/* @return 0, 1 when --help was printed, or MB_E_USAGE (message printed). */
static int parse_args(struct options *o, const char *source, int argc, char **argv)
{
	memset(o, 0, sizeof(*o));
	o->source = source;
	o->max_bytes = DEFAULT_MAX_BYTES;
	o->tail_bytes = DEFAULT_TAIL_BYTES;
	o->ring_size = DEFAULT_RING;
	o->window_ns = DEFAULT_WINDOW_NS;
	o->key_mode = MB_KEYS_ANON;
	o->sample = 1.0;
	o->refresh_ns = 1000000000ULL;
	bool refresh_given = false;
	int c, rc;
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":o:p:d:n:vh", long_opts, NULL)) != -1) {
		switch (c) {
		case 'o':
			o->output = optarg;
			break;
		case 'p':
			if ((rc = parse_ports(o, optarg)))
				return rc;
			break;
		case OPT_SIDE: {
			size_t i;
			for (i = 0; i < sizeof(side_names) / sizeof(side_names[0]); i++)
				if (strcmp(optarg, side_names[i]) == 0)
					break;
			if (i == sizeof(side_names) / sizeof(side_names[0])) {
				mb_error("--side: expected auto, server, client or both, not '%s'",
					 optarg);
				return MB_E_USAGE;
			}
			o->side = (uint8_t)i;
			break;
		}
		case 'd':
			if (mb_parse_duration_ns(optarg, &o->duration_ns) || !o->duration_ns) {
				mb_error("--duration: bad duration '%s' (e.g. 30s, 500ms, 5m)", optarg);
				return MB_E_USAGE;
			}
			break;
		case 'n':
			if (mb_parse_u64(optarg, &o->count) || !o->count) {
				mb_error("--count: bad count '%s'", optarg);
				return MB_E_USAGE;
			}
			break;
		case OPT_KEEP_KEYS:
			o->key_mode = MB_KEYS_KEPT;
			break;
		case OPT_KEY_PREFIX:
			if (strlen(optarg) != 1) {
				mb_error("--key-prefix: expected one delimiter character, not '%s'",
					 optarg);
				return MB_E_USAGE;
			}
			o->key_mode = MB_KEYS_PREFIX;
			o->key_delim = optarg[0];
			break;
		case OPT_MAX_BYTES:
			if ((rc = parse_size_opt("--max-bytes", optarg, 64, MB_CAP_PIECE_MAX,
						 &o->max_bytes)))
				return rc;
			break;
		case OPT_TAIL_BYTES:
			if ((rc = parse_size_opt("--tail-bytes", optarg, 0, MB_CAP_PIECE_MAX,
						 &o->tail_bytes)))
				return rc;
			break;
		case OPT_RING_SIZE:
			if ((rc = parse_size_opt("--ring-size", optarg, 1u << 16, 1u << 30,
						 &o->ring_size)))
				return rc;
			break;
		case OPT_WINDOW:
			if (mb_parse_duration_ns(optarg, &o->window_ns)) {
				mb_error("--window: bad duration '%s'", optarg);
				return MB_E_USAGE;
			}
			break;
		case OPT_STAMP:
			if (strcmp(optarg, "arrival") && strcmp(optarg, "read")) {
				mb_error("--stamp: expected arrival or read, not '%s'", optarg);
				return MB_E_USAGE;
			}
			o->read_stamps = optarg[0] == 'r';
			break;
		case OPT_FULL_VALUES:
			o->full_values = true;
			break;
		case OPT_SAMPLE:
			if (mb_parse_fraction(optarg, &o->sample)) {
				mb_error("--sample: bad fraction '%s' (1/N, N%% or a decimal in (0, 1])",
					 optarg);
				return MB_E_USAGE;
			}
			break;
		case OPT_TOP: {
			uint64_t n = TOP_DEFAULT_ROWS;
			/* --top N as well as --top=N: the next argument is the count unless it is
			 * an option or the source (the one positional argument, with its ':') */
			if (!optarg && optind < argc && argv[optind][0] != '-' &&
			    !strchr(argv[optind], ':'))
				optarg = argv[optind++];
			if (optarg && (mb_parse_u64(optarg, &n) || !n || n > TOP_MAX_ROWS)) {
				mb_error("--top: bad row count '%s' (1..%u)", optarg, TOP_MAX_ROWS);
				return MB_E_USAGE;
			}
			o->top = (unsigned)n;
			break;
		}
		case OPT_REFRESH:
			if (mb_parse_duration_ns(optarg, &o->refresh_ns) ||
			    o->refresh_ns < 100000000ULL) {
				mb_error("--refresh: bad interval '%s' (at least 100ms)", optarg);
				return MB_E_USAGE;
			}
			refresh_given = true;
			break;
		case OPT_METRICS:
			o->metrics_addr = optarg; /* bound before the capture starts */
			break;
		case OPT_METRICS_LINGER:
			if (mb_parse_duration_ns(optarg, &o->metrics_linger_ns)) {
				mb_error("--metrics-linger: bad duration '%s'", optarg);
				return MB_E_USAGE;
			}
			break;
		case 'v':
			o->verbose = true;
			break;
		case 'h':
			usage(stdout);
			return 1;
		case ':':
			mb_error("option '%s' needs a value", argv[optind - 1]);
			return MB_E_USAGE;
		default:
			mb_error("unknown option '%s' (see membench record ebpf:any --help)",
				 argv[optind - 1]);
			return MB_E_USAGE;
		}
	}
	for (int i = optind; i < argc; i++)
		if (argv[i] != source) {
			/* ebpf:pid=$(pidof memcached) on a host with several memcacheds */
			bool pid_list = strncmp(source, "ebpf:pid=", 9) == 0 && argv[i][0] &&
					strspn(argv[i], "0123456789") == strlen(argv[i]);
			mb_error("unexpected argument '%s'%s", argv[i], pid_list ?
				 ": ebpf:pid= takes one process (did pidof find several? give one "
				 "pid, or use ebpf:comm=NAME)" : "");
			return MB_E_USAGE;
		}
	if ((rc = parse_target(o, source)))
		return rc;
	if (refresh_given && !o->top) {
		mb_error("--refresh applies to --top only");
		return MB_E_USAGE;
	}
	if (!o->output && !o->top) {
		mb_error("no output file: add -o FILE.mbp (or --top to watch hot keys only)");
		return MB_E_USAGE;
	}
	if (o->metrics_linger_ns && !o->metrics_addr) {
		mb_error("--metrics-linger needs --metrics ADDR:PORT");
		return MB_E_USAGE;
	}
	if (!o->nports) {
		o->ports[DEFAULT_PORT >> 6] |= 1ULL << (DEFAULT_PORT & 63);
		o->nports = 1;
	}
	/* A power of two, as the kernel's ring buffer requires. */
	uint32_t r = 1u << 16;
	while (r < o->ring_size)
		r <<= 1;
	o->ring_size = r;
	return 0;
}

/* ---- BPF ----------------------------------------------------------------------------------- */

static bool libbpf_verbose;

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (!libbpf_verbose || level == LIBBPF_DEBUG)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

/* Loads the capture with the options' filters. @return 0 or an exit code (message printed). */
static int capture_load(struct capture_prog *cap, const struct options *o)
{
	struct capture_prog_config cfg = {
		.self_tgid = (uint32_t)getpid(),
		.pid = o->pid,
		.side = o->side,
		.max_bytes = o->max_bytes,
		.tail_bytes = o->tail_bytes,
		.ring_size = o->ring_size,
		.wakeup_bytes = o->ring_size / 8,
		.arrivals = !o->read_stamps,
		.full_values = o->full_values,
		.sample_below = capture_sample_below(o->sample),
	};
	memcpy(cfg.ports, o->ports, sizeof(cfg.ports));
	if (o->comm)
		snprintf(cfg.comm, sizeof(cfg.comm), "%s", o->comm);
	if (o->cgroup) {
		char msg[512];
		int rc = capture_sys_cgroup(o->cgroup, &cfg.cgroup_id, &cfg.cgroup_level, msg,
					 sizeof(msg));
		if (rc) {
			mb_error("%s", msg);
			return MB_EXIT_USAGE;
		}
	}
	int rc = capture_prog_load(cap, &cfg);
	if (rc) {
		mb_error("cannot load the capture program into the kernel: %s%s", mb_strerror(rc),
			 o->verbose ? "" : " (run with --verbose to see the kernel's log)");
		return rc == -EPERM || rc == -EACCES ? MB_EXIT_PRIVILEGE : MB_EXIT_FAILURE;
	}
	return 0;
}

/* ---- capture loop --------------------------------------------------------------------------- */

struct run {
	const struct options *o;
	struct mb_profile_writer *w;
	struct capture_stream *st;
	struct capture_top *top; /* --top, or NULL */
	uint64_t appended; /* records appended since the last flush */
	uint64_t arrival_misses; /* kernel-skipped runs of the arrival probe (read before detach) */
	struct record_metrics *metrics; /* --metrics, NULL: off */
};

static int sink(void *ctx, const struct mb_record *rec, const void *key, size_t key_len)
{
	struct run *r = ctx;
	if (r->top)
		capture_top_add(r->top, rec, key, key_len);
	if (!r->w)
		return 0;
	r->appended++;
	if (r->metrics)
		record_metrics_count(r->metrics, rec);
	return mb_profile_writer_append(r->w, rec, key, key_len);
}

static int on_ring(void *ctx, void *data, size_t size)
{
	struct run *r = ctx;
	return capture_stream_event(r->st, data, size);
}

/* --metrics: the capture's figures (st: the final ones, as the summary prints them; NULL: now). */
static void publish_metrics(struct run *r, struct capture_prog *cap, const struct mb_profile_stats *st,
			    uint64_t elapsed_ns, uint64_t now)
{
	struct mb_profile_stats cur;
	const struct capture_stream_counters *c = capture_stream_counters(r->st);
	if (!st) {
		capture_stream_stats(r->st, &cur);
		cur.ring_drops = capture_prog_counter(cap, MB_CAPC_RING_DROPS);
	}
	struct record_metrics_capture mc = {
		.st = st ? st : &cur, .connections = c->connections, .preexisting = c->preexisting,
		.tls_connections = c->tls_connections,
		.drop_bytes = capture_prog_counter(cap, MB_CAPC_DROP_BYTES),
		.bytes = {c->traced_bytes[0], c->traced_bytes[1]},
		.file_bytes = r->w ? mb_profile_writer_bytes(r->w) : 0, .elapsed_ns = elapsed_ns,
		.running = !st};
	record_metrics_publish(r->metrics, &mc, now, st != NULL);
}

static void fmt_bytes(char *buf, size_t len, uint64_t b)
{
	if (b >= 10ull << 20)
		snprintf(buf, len, "%.1f MB", (double)b / (1 << 20));
	else if (b >= 10ull << 10)
		snprintf(buf, len, "%.1f kB", (double)b / (1 << 10));
	else
		snprintf(buf, len, "%llu B", (unsigned long long)b);
}

static void show_status(struct run *r, struct capture_prog *cap, uint64_t elapsed_ns,
			uint64_t dreq, uint64_t dev, uint64_t dt_ns)
{
	struct mb_profile_stats st;
	capture_stream_stats(r->st, &st);
	char written[32];
	fmt_bytes(written, sizeof(written), r->w ? mb_profile_writer_bytes(r->w) : 0);
	double dt = dt_ns ? (double)dt_ns / 1e9 : 1;
	fprintf(stderr,
		"\r%s: %4llus  %8.0f req/s  %8.0f events/s  drops %llu  gaps %llu  %s written\033[K",
		mb_cli_prog(), (unsigned long long)(elapsed_ns / 1000000000ULL), (double)dreq / dt,
		(double)dev / dt, (unsigned long long)capture_prog_counter(cap, MB_CAPC_RING_DROPS),
		(unsigned long long)st.stream_gaps, written);
	fflush(stderr);
}

static void summary(struct run *r, const struct mb_profile_stats *st, uint64_t elapsed_ns,
		    uint64_t file_bytes)
{
	const struct capture_stream_counters *c = capture_stream_counters(r->st);
	char size[32];
	fmt_bytes(size, sizeof(size), file_bytes);
	fprintf(stderr,
		"%s: %s%s: %llu requests (one per key; %llu commands, %llu responses) on %llu "
		"connections in %.1f s%s%s\n",
		mb_cli_prog(), r->o->output ? "wrote " : "captured (no profile written, no -o)",
		r->o->output ? r->o->output : "", (unsigned long long)c->records,
		(unsigned long long)st->requests, (unsigned long long)st->responses,
		(unsigned long long)c->connections, (double)elapsed_ns / 1e9, r->o->output ? ", " : "",
		r->o->output ? size : "");
	fprintf(stderr,
		"%s: capture: %llu events, %llu ring-buffer drops, %llu stream gaps (%llu bytes), "
		"%llu bytes not copied (--max-bytes), %llu reply value bytes not copied (sizes kept; "
		"--full-values copies them), %llu protocol errors, %llu bytes skipped to "
		"resynchronise, %llu unpaired responses\n",
		mb_cli_prog(), (unsigned long long)st->events, (unsigned long long)st->ring_drops,
		(unsigned long long)st->stream_gaps, (unsigned long long)st->gap_bytes,
		(unsigned long long)st->truncated_bytes,
		(unsigned long long)c->value_bytes_skipped, (unsigned long long)st->protocol_errors,
		(unsigned long long)st->resync_bytes, (unsigned long long)st->unpaired_responses);
	if (c->arrival_bytes + c->read_time_bytes)
		fprintf(stderr,
			"%s: request bytes received by server ends: %.1f%% stamped on arrival, the "
			"rest when read (arrival probe skipped %llu times while already running)\n",
			mb_cli_prog(),
			100.0 * (double)c->arrival_bytes / (double)(c->arrival_bytes + c->read_time_bytes),
			(unsigned long long)r->arrival_misses);
	if (c->preexisting)
		fprintf(stderr,
			"%s: %llu connections were already open when the capture started (%llu "
			"earlier bytes not seen; their first commands may be missing)\n",
			mb_cli_prog(), (unsigned long long)c->preexisting,
			(unsigned long long)c->preexisting_bytes);
	if (c->tls_connections)
		fprintf(stderr, "%s: %llu TLS connections skipped (encrypted)\n", mb_cli_prog(),
			(unsigned long long)c->tls_connections);
	if (st->ring_drops)
		mb_warn("%llu ring-buffer records were lost because the ring was full: use a "
			"larger --ring-size or a smaller --max-bytes",
			(unsigned long long)st->ring_drops);
}

static void capture_meta(struct mb_profile_meta *meta, const struct options *o, bool arrivals)
{
	record_meta_init(meta, o->source);
	meta->clock = MB_CLOCK_MONOTONIC;
	meta->key_mode = o->key_mode;
	meta->key_delim = o->key_delim;
	meta->max_event_bytes = o->max_bytes;
	meta->sample_ratio = o->sample;
	char ports[512] = "";
	size_t n = 0;
	for (unsigned p = 1; p < 65536 && n + 8 < sizeof(ports); p++)
		if (o->ports[p >> 6] & (1ULL << (p & 63)))
			n += (size_t)snprintf(ports + n, sizeof(ports) - n, "%s%u", n ? "," : "", p);
	snprintf(meta->capture, sizeof(meta->capture),
		 "ports=%s side=%s max_bytes=%u tail_bytes=%u ring_bytes=%u window_ns=%llu "
		 "send_time=syscall_entry recv_time=syscall_exit server_request_time=%s sample=%.17g",
		 ports, side_names[o->side], o->max_bytes, o->tail_bytes, o->ring_size,
		 (unsigned long long)o->window_ns, arrivals ? "tcp_arrival" : "syscall_exit",
		 o->sample);
}

/* --top: shows the lists with the capture's losses so far. @return 0 or the writer's error. */
static int top_tick(struct run *r, struct capture_prog *cap, uint64_t now, bool final)
{
	struct mb_profile_stats st;
	capture_stream_stats(r->st, &st);
	struct capture_top_losses l = {.ring_drops = capture_prog_counter(cap, MB_CAPC_RING_DROPS),
				       .stream_gaps = st.stream_gaps,
				       .protocol_errors = st.protocol_errors};
	return capture_top_tick(r->top, now, &l, final);
}

/* Polls until a stop condition. @return 0 or a negative error. */
static int capture_loop(struct run *r, struct capture_prog *cap, struct capture_ring *rb,
			uint64_t start_ns)
{
	const struct options *o = r->o;
	bool tty = mb_isatty(2) && !(r->top && mb_isatty(1)); /* --top owns the terminal */
	uint64_t last_flush = start_ns, last_status = start_ns;
	uint64_t last_req = 0, last_ev = 0;
	int rc = 0;
	while (!stop_signal) {
		/* Woken when the ring is 1/8 full; otherwise read every POLL_MS. */
		uint64_t polled = mb_mono_ns();
		int n = capture_ring_poll(rb, POLL_MS), m = 0;
		if (n >= 0 && r->top) /* --top: tell an idle ring from a wakeup that came late */
			m = capture_ring_consume(rb);
		if ((n < 0 && n != -EINTR) || m < 0) {
			rc = n < 0 ? n : m;
			break;
		}
		if (r->top && n <= 0 && m == 0) /* idle: --top still sees the last second */
			capture_stream_clock(r->st, polled);
		if ((rc = capture_stream_release(r->st)))
			break;
		uint64_t now = mb_mono_ns();
		const struct capture_stream_counters *c = capture_stream_counters(r->st);
		if (r->top && capture_top_due(r->top, now) && (rc = top_tick(r, cap, now, false))) {
			if (rc == 1) /* stdout closed (`--top | head`): stop, finish the profile */
				rc = 0;
			break;
		}
		if (now - last_flush >= FLUSH_EVERY_NS) {
			if (r->appended && (rc = mb_profile_writer_flush(r->w)))
				break;
			r->appended = 0;
			last_flush = now;
		}
		if (tty && now - last_status >= STATUS_EVERY_NS) {
			struct mb_profile_stats st;
			capture_stream_stats(r->st, &st);
			show_status(r, cap, now - start_ns, c->records - last_req,
				    st.events - last_ev, now - last_status);
			last_req = c->records; /* requests: one per key */
			last_ev = st.events;
			last_status = now;
		}
		if (r->metrics && record_metrics_due(r->metrics, now))
			publish_metrics(r, cap, NULL, now - start_ns, now);
		if (o->duration_ns && now - start_ns >= o->duration_ns)
			break;
		if (o->count && c->records >= o->count) /* requests: one per key */
			break;
	}
	if (tty)
		fprintf(stderr, "\r\033[K");
	return rc;
}

int record_ebpf_main(const char *source, int argc, char **argv)
{
	struct options o;
	int rc = parse_args(&o, source, argc, argv);
	if (rc)
		return rc == 1 ? MB_EXIT_OK : MB_EXIT_USAGE;

	char msg[512];
	int mounted = 0;
	if (capture_sys_check_privileges(msg, sizeof(msg)) || capture_sys_check_btf(msg, sizeof(msg)) ||
	    capture_sys_tracefs(&mounted, msg, sizeof(msg))) {
		mb_error("%s", msg);
		return MB_EXIT_PRIVILEGE;
	}
	if (mounted && o.verbose)
		fprintf(stderr, "%s: mounted tracefs at /sys/kernel/tracing\n", mb_cli_prog());
	libbpf_verbose = o.verbose;
	libbpf_set_print(libbpf_print);

	struct capture_prog cap = {0};
	struct capture_ring *rb = NULL;
	struct run r = {.o = &o};
	struct mb_profile_meta meta;
	int exit_code = MB_EXIT_FAILURE;
	if ((rc = capture_load(&cap, &o)))
		return rc;
	/* --metrics: an address that cannot be bound fails now (exit 2), before the capture */
	if (o.metrics_addr && (exit_code = record_metrics_open(&r.metrics, o.metrics_addr)) != 0)
		goto cleanup;
	exit_code = MB_EXIT_FAILURE;

	struct sigaction sa = {.sa_handler = on_signal};
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	if (o.top)
		signal(SIGPIPE, SIG_IGN); /* a closed stdout ends the capture cleanly (top_tick) */

	uint64_t start_ns = mb_mono_ns();
	int64_t start_wall = mb_wall_ns();
	if ((rc = capture_prog_attach(&cap))) {
		mb_error("cannot attach the capture to the syscall tracepoints: %s%s",
			 mb_strerror(rc), o.verbose ? "" : " (run with --verbose for details)");
		exit_code = MB_EXIT_PRIVILEGE;
		goto cleanup;
	}
	if (cap.arrive_err)
		mb_warn("cannot attach to the tcp_probe tracepoint (%s): requests are stamped when "
			"the server reads them, not when they arrive (--stamp read)",
			mb_strerror(cap.arrive_err));
	capture_meta(&meta, &o, cap.arrive != NULL);
	meta.start_clock_ns = start_ns;
	meta.start_wall_ns = start_wall;
	struct capture_stream_opts so = {.start_ns = start_ns, .window_ns = o.window_ns};
	r.st = capture_stream_new(&so, sink, &r);
	int rrc = capture_ring_open(capture_prog_ring_fd(&cap), on_ring, &r, &rb);
	if (!r.st || rrc) {
		mb_error("cannot set up the capture: %s", mb_strerror(r.st ? rrc : -ENOMEM));
		goto cleanup;
	}
	if (o.output && record_output_open(&r.w, o.output, &meta))
		goto cleanup;
	struct capture_top_opts to = {
		.rows = o.top, .refresh_ns = o.refresh_ns, .start_ns = start_ns,
		.start_wall_ns = start_wall, .key_mode = o.key_mode, .key_delim = o.key_delim,
		.sample = o.sample, .out = stdout, .tty = mb_isatty(1), .writer = r.w};
	if (o.top && (rc = capture_top_new(&r.top, &to))) {
		mb_error("cannot set up --top: %s", mb_strerror(rc));
		goto cleanup;
	}

	rc = capture_loop(&r, &cap, rb, start_ns);
	uint64_t elapsed = mb_mono_ns() - start_ns; /* the capture, not the detaching after it */
	/* Stop the probes, then take everything they left in the ring. */
	r.arrival_misses = capture_prog_arrival_misses(&cap);
	capture_prog_detach(&cap);
	if (!rc) {
		rc = capture_ring_consume(rb);
		rc = rc < 0 ? rc : 0;
	}
	if (!rc)
		rc = capture_stream_finish(r.st);
	if (!rc && r.top && (rc = top_tick(&r, &cap, start_ns + elapsed, true)) == 1)
		rc = 0; /* nowhere to print the final table */

	struct mb_profile_stats st;
	capture_stream_stats(r.st, &st);
	st.ring_drops = capture_prog_counter(&cap, MB_CAPC_RING_DROPS);
	if (r.metrics)
		publish_metrics(&r, &cap, &st, elapsed, mb_mono_ns());
	if (rc)
		mb_error("capture failed: %s", mb_strerror(rc));
	int crc = 0;
	if (r.w) {
		mb_profile_writer_add_stats(r.w, &st);
		crc = record_output_close(r.w, o.output);
		r.w = NULL;
	}
	struct stat sb;
	if (!rc && !crc) {
		summary(&r, &st, elapsed,
			o.output && stat(o.output, &sb) == 0 ? (uint64_t)sb.st_size : 0);
		exit_code = MB_EXIT_OK;
	}
cleanup:
	if (r.w)
		mb_profile_writer_close(r.w, NULL, 0);
	stop_signal = 0; /* a Ctrl-C that ended the capture does not end the linger */
	record_metrics_close(r.metrics, exit_code == MB_EXIT_OK ? o.metrics_linger_ns : 0,
			     &stop_signal);
	capture_ring_free(rb);
	capture_top_free(r.top);
	capture_stream_free(r.st);
	capture_prog_destroy(&cap);
	return exit_code;
}
