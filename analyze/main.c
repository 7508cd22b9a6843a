/* membench-analyze: reads one profile (or two with --compare) through the profile library, feeds
 * every record to the engine (analysis.h) and writes the text, JSON or HTML report (report.h).
 *
 * Errors: a file that cannot be opened, is not a profile or has a newer format stops with the
 * reader's message (file and byte offset) and the exit code of mb_exit_code_for() (3 for
 * unusable input). Damaged data (a file cut short, a block that fails its checks) is exit 3 too,
 * unless --allow-damaged: then the complete, valid blocks are analyzed and a warning (and the
 * report) says what was left out; the parallel scan is not used then (the damage is counted by
 * the one sequential reader). --info decodes every block, prints the damage, and exits 3 for a
 * damaged file (an integrity check) unless --allow-damaged. --compare also evaluates the fidelity checks (fidelity.h) and
 * exits 6 (MB_EXIT_MISMATCH) when one fails; it scans sequentially (--threads is ignored) because
 * the checks' per-connection sequences depend on file order. --html writes FILE.tmp and renames
 * it, so a page is complete or absent; with --compare the page is written before the exit code
 * says whether a check failed. --replay-json FILE --html PAGE reads a replay's --json report
 * (replay_json.h) instead of a profile. Ctrl-C stops the scan, writes nothing and ends the process by SIGINT like any
 * interrupted command.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "analysis.h"
#include "membench/cli.h"
#include "membench/error.h"
#include "membench/exitcode.h"
#include "membench/profile.h"
#include "membench/version.h"
#include "replay_json.h"
#include "report.h"
#include "scan.h"

#define READ_BATCH 4096
#define PROGRESS_MIN_BLOCKS 16

static const char help_text[] =
	"usage: membench analyze [options] PROFILE\n"
	"       membench analyze --compare ORIGINAL REPLAYED [--speed N] [thresholds] [--json]\n"
	"                        [--html FILE]\n"
	"       membench analyze --replay-json REPLAY.json --html FILE\n"
	"       membench analyze --info PROFILE\n"
	"\n"
	"Reports what a profile's traffic looks like: op mix (reads/writes by Twitter's and\n"
	"libCacheSim's definitions), key and value sizes per request and per object, popularity\n"
	"(unique keys, Zipf exponent by least squares and by maximum likelihood, one-hit wonders,\n"
	"top keys), request rate and inter-arrival, reuse time and distance, TTLs, multiget sizes,\n"
	"per-connection rates and pipelining, key prefixes, and hit ratio and server latency when\n"
	"responses were captured. Figures are exact unless marked '~' (see --exact-keys).\n"
	"\n"
	"Output (default: a text report on stdout):\n"
	"  --json              the report as JSON on stdout (schema membench-analyze/1, docs/analyze.md)\n"
	"  --html FILE         a self-contained HTML page with charts and tables (no script, no\n"
	"                      network needed to view it); a FILE that cannot be written fails at\n"
	"                      once (exit 1), before the scan. With --compare: the verdict and the\n"
	"                      distances on top, both profiles overlaid on every chart\n"
	"  --compare A B       both profiles side by side with distances (op-mix total variation,\n"
	"                      Kolmogorov-Smirnov of key size, value size and inter-arrival, rate\n"
	"                      error, Zipf exponent difference); text, JSON with --json, a page\n"
	"                      with --html\n"
	"  --replay-json R     with --html: a page of a replay's report (membench replay --json R):\n"
	"                      sent rate against the target and latency per second, schedule lag,\n"
	"                      per-command table, errors; R that is not such a report is exit 3\n"
	"  --max-distance D    with --compare: exit 6 when the op-mix distance or a KS distance > D\n"
	"\n"
	"Fidelity (with --compare; docs/fidelity.md): B must reproduce A within every threshold, else\n"
	"exit 6. Keyless stats, version, verbosity, flush_all and unknown commands (quit) are left\n"
	"out of both profiles (the replayer does not replay them and sends its own).\n"
	"  --speed N           B was replayed at --rate Nx: multiply B's times by N first (default 1)\n"
	"  --max-requests N    |requests B - A| (default 0)\n"
	"  --max-op-mix D      op mix total variation distance (default 0)\n"
	"  --max-key-ks D      KS distance of key length per request (default 0)\n"
	"  --max-value-ks D    KS distance of value length per storage request (default 0)\n"
	"  --max-rate-error F  |mean rate B - A| / A (default 0.005)\n"
	"  --max-series-rms F  RMS of per-second rate B - A over A's mean rate (default 0.02)\n"
	"  --max-iat-ks D      KS distance of inter-arrival, all commands (default 0.05)\n"
	"  --max-unmatched F   share of A's connections whose request sequence (op, key length,\n"
	"                      key's first-seen index on the connection, stored value length) no\n"
	"                      connection of B has (default 0)\n"
	"  --max-outcomes D    status mix distance (hit, miss, stored, exists, not_found, errors, ...)\n"
	"                      per command, weighted by the commands' shares; when both profiles\n"
	"                      carry responses. Meant for a replay with --warm against an empty\n"
	"                      server (default 0.01)\n"
	"  --max-new-errors N  error responses in B beyond those in A (default 0)\n"
	"  --info              print the profile's header, damage (every block is checked), block\n"
	"                      index and capture stats; exits 3 when the profile is damaged\n"
	"  --allow-damaged     use the complete, valid blocks of a damaged profile (cut short by a\n"
	"                      killed recorder, or a block failing its checks), with a warning\n"
	"\n"
	"Analysis:\n"
	"  --window DUR        rows of the per-window rate table (default: 10-20 windows), e.g. 10s\n"
	"  --top N             top keys to list (default 10)\n"
	"  --delim C           key prefix delimiter (default: the profile's, else ':')\n"
	"  --exact-keys N      keep exact per-key counters for up to N keys (default 16777216, 24\n"
	"                      bytes each); above that, sample keys and use HyperLogLog/Space-Saving\n"
	"  --threads N         decode blocks in N - 1 threads while one analyzes (default 1; the\n"
	"                      analysis itself stays sequential because it depends on order)\n"
	"  --ascii             draw bars with '#' instead of Unicode blocks\n"
	"  --no-progress       no progress bar (it is only shown on a terminal anyway)\n"
	"  -h, --help          this text;  --version  the version\n"
	"\n"
	"Exit codes: 0 ok, 1 runtime failure, 2 bad command line, 3 unusable profile (not a profile,\n"
	"newer version, damaged without --allow-damaged), 6 --compare failed a fidelity threshold or\n"
	"--max-distance.\n"
	"\n"
	"Examples:\n"
	"  membench analyze prod.mbp\n"
	"  membench analyze --json prod.mbp > report.json\n"
	"  membench analyze --html report.html prod.mbp\n"
	"  membench analyze --compare prod.mbp replayed.mbp --max-distance 0.05\n"
	"  membench analyze --compare prod.mbp replayed-at-2x.mbp --speed 2\n"
	"  membench analyze --compare prod.mbp replayed.mbp --html compare.html\n"
	"  membench analyze --replay-json run.json --html run.html\n";

struct opts {
	bool json, info, ascii, no_progress, allow_damaged;
	const char *html;
	const char *replay_json;
	const char *files[2];
	int nfiles;
	bool compare;
	double max_distance; /* < 0: none */
	double speed;        /* B's times are multiplied by this */
	struct fid_thresholds th;
	bool fid_set;        /* a fidelity flag was given */
	struct an_config cfg;
	bool delim_set;
	unsigned threads;
};

static volatile sig_atomic_t interrupted;

static void on_sigint(int sig)
{
	(void)sig;
	interrupted = 1;
}

/* Flags that take a value: one row each. */
enum flag_id { F_HTML, F_REPLAY_JSON, F_WINDOW, F_TOP, F_DELIM, F_EXACT, F_MAXDIST, F_THREADS, F_SPEED,
	       F_FID /* + enum fid_check_id */ };
static const struct {
	const char *name;
	enum flag_id id;
} value_flags[] = {
	{"--html", F_HTML}, {"--replay-json", F_REPLAY_JSON}, {"--window", F_WINDOW}, {"--top", F_TOP},
	{"--delim", F_DELIM}, {"--exact-keys", F_EXACT}, {"--max-distance", F_MAXDIST},
	{"--threads", F_THREADS}, {"--speed", F_SPEED},
	{"--max-requests", F_FID + FID_REQUESTS}, {"--max-op-mix", F_FID + FID_OP_MIX},
	{"--max-key-ks", F_FID + FID_KEY_SIZE}, {"--max-value-ks", F_FID + FID_VALUE_SIZE},
	{"--max-rate-error", F_FID + FID_RATE}, {"--max-series-rms", F_FID + FID_SERIES},
	{"--max-iat-ks", F_FID + FID_IAT}, {"--max-unmatched", F_FID + FID_ORDER},
	{"--max-outcomes", F_FID + FID_OUTCOMES}, {"--max-new-errors", F_FID + FID_NEW_ERRORS},
};

static int set_value(struct opts *o, enum flag_id id, const char *flag, const char *v)
{
	uint64_t u;
	switch (id) {
	case F_HTML:
		o->html = v;
		return 0;
	case F_REPLAY_JSON:
		o->replay_json = v;
		return 0;
	case F_WINDOW:
		if (mb_parse_duration_ns(v, &o->cfg.window_ns) || o->cfg.window_ns < 1000000000ull)
			goto bad;
		return 0;
	case F_TOP:
		if (mb_parse_u64(v, &u) || u < 1 || u > 10000)
			goto bad;
		o->cfg.top_k = (unsigned)u;
		return 0;
	case F_DELIM:
		if (strlen(v) != 1)
			goto bad;
		o->cfg.delim = v[0];
		o->delim_set = true;
		return 0;
	case F_EXACT:
		if (mb_parse_size(v, &u) || u < 1)
			goto bad;
		o->cfg.exact_keys = u;
		return 0;
	case F_MAXDIST:
		if (mb_parse_double(v, &o->max_distance) || o->max_distance < 0)
			goto bad;
		return 0;
	case F_THREADS:
		if (mb_parse_u64(v, &u) || u < 1 || u > 64)
			goto bad;
		o->threads = (unsigned)u;
		return 0;
	case F_SPEED: {
		char num[64];
		size_t n = strlen(v);
		if (n && (v[n - 1] == 'x' || v[n - 1] == 'X'))
			n--; /* the replayer's "2x" */
		if (n == 0 || n >= sizeof(num))
			goto bad;
		memcpy(num, v, n);
		num[n] = '\0';
		if (mb_parse_double(num, &o->speed) || !(o->speed > 0) || o->speed > 1e6)
			goto bad;
		o->fid_set = true;
		return 0;
	}
	default: /* F_FID + check */
		if (mb_parse_double(v, &o->th.max[id - F_FID]) || !(o->th.max[id - F_FID] >= 0))
			goto bad;
		o->fid_set = true;
		return 0;
	}
bad:
	mb_error("invalid value '%s' for %s (see --help)", v, flag);
	return MB_EXIT_USAGE;
}

/* @return -1 to continue, or the exit code to return now. */
static int parse_args(struct opts *o, int argc, char **argv)
{
	o->max_distance = -1;
	o->threads = 1;
	o->speed = 1;
	fid_thresholds_default(&o->th);
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			fputs(help_text, stdout);
			return MB_EXIT_OK;
		}
		if (!strcmp(a, "--version")) {
			printf("membench-analyze %s\n", mb_version_long());
			return MB_EXIT_OK;
		}
		if (!strcmp(a, "--json")) {
			o->json = true;
			continue;
		}
		if (!strcmp(a, "--info")) {
			o->info = true;
			continue;
		}
		if (!strcmp(a, "--ascii")) {
			o->ascii = true;
			continue;
		}
		if (!strcmp(a, "--no-progress")) {
			o->no_progress = true;
			continue;
		}
		if (!strcmp(a, MB_PROFILE_ALLOW_DAMAGED)) {
			o->allow_damaged = true;
			continue;
		}
		if (!strcmp(a, "--compare")) {
			o->compare = true;
			continue;
		}
		bool matched = false;
		for (size_t k = 0; k < sizeof(value_flags) / sizeof(value_flags[0]); k++) {
			size_t n = strlen(value_flags[k].name);
			if (strncmp(a, value_flags[k].name, n) || (a[n] && a[n] != '='))
				continue;
			const char *v = a[n] == '=' ? a + n + 1 : (i + 1 < argc ? argv[++i] : NULL);
			if (!v) {
				mb_error("%s needs a value (see --help)", value_flags[k].name);
				return MB_EXIT_USAGE;
			}
			int rc = set_value(o, value_flags[k].id, value_flags[k].name, v);
			if (rc)
				return rc;
			matched = true;
			break;
		}
		if (matched)
			continue;
		if (a[0] == '-' && a[1]) {
			mb_error("unknown option '%s' (see --help)", a);
			return MB_EXIT_USAGE;
		}
		if (o->nfiles == 2) {
			mb_error("too many profiles: '%s' (see --help)", a);
			return MB_EXIT_USAGE;
		}
		o->files[o->nfiles++] = a;
	}
	if (o->replay_json) {
		if (!o->html || o->compare || o->json || o->info || o->nfiles) {
			mb_error("--replay-json takes a replay's JSON report and --html FILE only, "
				 "no profile, --compare, --json or --info (see --help)");
			return MB_EXIT_USAGE;
		}
		return -1;
	}
	int want = o->compare ? 2 : 1;
	if (o->nfiles != want) {
		mb_error(o->compare ? "--compare needs two profiles (see --help)"
				    : "expected one profile (see --help)");
		return MB_EXIT_USAGE;
	}
	if (o->info && (o->compare || o->json || o->html)) {
		mb_error("--info cannot be combined with --json, --html or --compare");
		return MB_EXIT_USAGE;
	}
	if ((o->max_distance >= 0 || o->fid_set) && !o->compare) {
		mb_error("--max-distance, --speed and the --max-* thresholds only apply to --compare");
		return MB_EXIT_USAGE;
	}
	return -1;
}

/* Prints the reader's message for err (it names the file and offset) and returns the exit code. */
/* A failed open, or (read true) a record block that failed its checks: only then can
 * --allow-damaged help, and the message says so. */
static int report_open_error(const char *path, int err, const char *msg, bool read)
{
	if (err > -1000)
		mb_error("cannot open %s: %s", path, mb_strerror(err));
	else if (msg && *msg)
		mb_error("%s%s", msg, read ? mb_profile_damage_hint(err) : "");
	else
		mb_error("%s: %s", path, mb_strerror(err));
	return mb_exit_code_for(err);
}

static int key_lookup(void *ctx, uint64_t id, const char **bytes, uint32_t *len)
{
	return mb_profile_reader_key(ctx, id, bytes, len);
}

struct progress {
	const char *path;
	uint64_t total, next_tick;
	bool show;
};

static void progress_clear(const struct progress *p)
{
	if (p->show)
		fputs("\r\033[K", stderr);
}

/* Redraws the bar at most every 1 % of the records. */
static void progress_update(void *ctx, uint64_t done)
{
	struct progress *p = ctx;
	if (!p->show || done < p->next_tick)
		return;
	p->next_tick = done + p->total / 100 + 1;
	uint64_t total = p->total;
	int pct = total ? (int)(done * 100 / total) : 0;
	if (pct > 100)
		pct = 100;
	char bar[41];
	int fill = pct * 40 / 100;
	memset(bar, '#', (size_t)fill);
	memset(bar + fill, ' ', (size_t)(40 - fill));
	bar[40] = '\0';
	fprintf(stderr, "\ranalyzing %s [%s] %3d%% %.1fM records", p->path, bar, pct,
		(double)done / 1e6);
}

/* Opens path, analyzes every complete block into *out. With a trace (--compare), records also
 * go through fid_filter and into the trace, sequentially. @return an exit code. */
static int analyze_file(const char *path, const struct opts *o, struct fid_trace *trace,
			double speed, uint64_t *admin, struct analysis **out)
{
	struct mb_profile_reader *r = NULL;
	struct analysis *a = NULL;
	struct mb_record *buf = NULL;
	char err_msg[1200] = "";
	int rc = MB_EXIT_OK;
	*out = NULL;

	int err = mb_profile_reader_open(&r, path, err_msg, sizeof(err_msg));
	if (err)
		return report_open_error(path, err, err_msg, false);
	if (mb_profile_reader_allow_damaged(r, o->allow_damaged, err_msg, sizeof(err_msg))) {
		mb_error("%s", err_msg);
		rc = MB_EXIT_INPUT;
		goto cleanup;
	}
	if (err_msg[0])
		mb_warn("%s", err_msg);
	const struct mb_profile_meta *meta = mb_profile_reader_meta(r);
	struct an_config cfg = o->cfg;
	cfg.start_wall_ns = meta->start_wall_ns;
	cfg.nkeys_hint = mb_profile_reader_key_count(r);
	if (!o->delim_set && meta->key_delim)
		cfg.delim = meta->key_delim;
	err = an_init(&a, &cfg);
	buf = malloc(READ_BATCH * sizeof(*buf));
	if (err || !buf) {
		mb_error("%s: %s", path, mb_strerror(err ? err : -ENOMEM));
		rc = MB_EXIT_FAILURE;
		goto cleanup;
	}
	a->src.path = path;
	a->src.have_meta = true;
	a->src.meta = *meta;
	a->src.stats = *mb_profile_reader_stats(r);
	mb_profile_reader_version(r, &a->src.version_major, &a->src.version_minor);
	a->src.truncated = mb_profile_reader_truncated(r, &a->src.lost_bytes);
	a->src.have_stats = !a->src.truncated;
	a->src.blocks = mb_profile_reader_block_count(r);

	struct progress prog = {.path = path};
	for (size_t i = 0; i < a->src.blocks; i++)
		prog.total += mb_profile_reader_block(r, i)->records;
	prog.show = !o->no_progress && mb_isatty(STDERR_FILENO) &&
		    a->src.blocks >= PROGRESS_MIN_BLOCKS;
	if (o->threads > 1 && !o->allow_damaged && a->src.blocks > 1 && !trace) {
		err = scan_parallel(path, r, a, o->threads, &interrupted, progress_update, &prog,
				    err_msg, sizeof(err_msg));
		progress_clear(&prog);
		if (err) {
			rc = report_open_error(path, err, err_msg, true);
			goto cleanup;
		}
	} else {
		uint64_t done = 0;
		for (;;) {
			long n = mb_profile_reader_read(r, buf, READ_BATCH);
			if (n < 0) {
				progress_clear(&prog);
				rc = report_open_error(path, (int)n, mb_profile_reader_errmsg(r), true);
				goto cleanup;
			}
			if (n == 0 || interrupted)
				break;
			done += (uint64_t)n;
			if (trace) {
				n = (long)fid_filter(buf, (size_t)n, speed, admin);
				fid_trace_add(trace, buf, (size_t)n);
			}
			an_add(a, buf, (size_t)n);
			progress_update(&prog, done);
		}
		progress_clear(&prog);
	}
	if (interrupted) {
		rc = MB_EXIT_FAILURE;
		goto cleanup;
	}
	struct mb_profile_damage dmg;
	if (mb_profile_reader_damage(r, &dmg, err_msg, sizeof(err_msg)) && dmg.bad_blocks) {
		mb_warn("%s; analyzed the rest", err_msg);
		a->src.damaged_blocks = dmg.bad_blocks;
		a->src.damaged_records = dmg.bad_records;
	}
	err = an_finish(a, meta->key_mode != MB_KEYS_ANON ? key_lookup : NULL, r);
	if (!err && trace)
		err = fid_trace_err(trace);
	if (err) {
		mb_error("%s: %s", path, mb_strerror(err));
		rc = MB_EXIT_FAILURE;
		goto cleanup;
	}
	*out = a;
	a = NULL;
cleanup:
	free(buf);
	an_free(a);
	mb_profile_reader_close(r);
	return rc;
}

/* The page to write: one profile, a comparison or a replay report. */
struct page {
	const struct analysis *a, *b;
	const struct an_compare *c;
	const struct fid_result *fid;
	const struct an_replay *replay;
};

static int page_write(FILE *f, const struct page *p)
{
	if (p->replay)
		return report_html_replay(f, p->replay);
	if (p->b)
		return report_html_compare(f, p->a, p->b, p->c, p->fid);
	return report_html(f, p->a);
}

static int write_html(const char *path, const struct page *page, bool quiet)
{
	char tmp[4096];
	int rc = MB_EXIT_OK;
	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp)) {
		mb_error("--html path too long");
		return MB_EXIT_USAGE;
	}
	FILE *f = fopen(tmp, "w");
	if (!f) {
		mb_error("cannot create %s: %s", tmp, strerror(errno));
		return MB_EXIT_FAILURE;
	}
	int err = page_write(f, page);
	if (fclose(f) != 0 && !err)
		err = -errno;
	if (interrupted) { /* never leave a partial page behind */
		unlink(tmp);
		return MB_EXIT_FAILURE;
	}
	if (!err && rename(tmp, path) != 0)
		err = -errno;
	if (err) {
		mb_error("cannot write %s: %s", path, mb_strerror(err));
		unlink(tmp);
		rc = MB_EXIT_FAILURE;
	} else if (!quiet) {
		fprintf(stderr, "membench analyze: wrote %s\n", path);
	}
	return rc;
}

static int do_replay_page(const struct opts *o)
{
	struct an_replay *r = NULL;
	char msg[1200];
	int err = an_replay_load(o->replay_json, &r, msg, sizeof(msg));
	if (err) {
		mb_error("%s", msg);
		return mb_exit_code_for(err);
	}
	int rc = write_html(o->html, &(struct page){.replay = r}, false);
	an_replay_free(r);
	return rc;
}

static int do_info(const char *path, bool allow_damaged)
{
	struct mb_profile_reader *r = NULL;
	char err_msg[1200] = "";
	int err = mb_profile_reader_open(&r, path, err_msg, sizeof(err_msg));
	if (err)
		return report_open_error(path, err, err_msg, false);
	mb_profile_reader_print_info(r, stdout);
	int rc = ferror(stdout) ? MB_EXIT_FAILURE : MB_EXIT_OK;
	if (rc == MB_EXIT_OK && mb_profile_reader_damage(r, NULL, err_msg, sizeof(err_msg))) {
		if (allow_damaged) {
			mb_warn("%s", err_msg);
		} else {
			mb_error("%s (analyze, replay and record profile: refuse it unless given %s, "
				 "which uses its complete, valid blocks)", err_msg, MB_PROFILE_ALLOW_DAMAGED);
			rc = MB_EXIT_INPUT;
		}
	}
	mb_profile_reader_close(r);
	return rc;
}

static int run(const struct opts *o)
{
	struct analysis *a = NULL, *b = NULL;
	struct fid_trace *ta = NULL, *tb = NULL;
	struct fid_result fid;
	bool utf8 = !o->ascii;
	int rc = MB_EXIT_OK;
	uint64_t admin_a = 0, admin_b = 0;
	/* the page is written at the end as FILE.tmp, renamed: both are checked before the scan */
	char tmp[4096];
	int werr = 0;
	if (o->html && snprintf(tmp, sizeof(tmp), "%s.tmp", o->html) < (int)sizeof(tmp) &&
	    ((werr = mb_check_writable(o->html)) || (werr = mb_check_writable(tmp)))) {
		mb_error("--html %s: cannot write: %s", o->html, mb_strerror(werr));
		return MB_EXIT_FAILURE;
	}
	if (o->replay_json) {
		rc = do_replay_page(o);
		goto cleanup;
	}
	if (o->compare && (fid_trace_new(&ta) || fid_trace_new(&tb))) {
		mb_error("%s", mb_strerror(-ENOMEM));
		rc = MB_EXIT_FAILURE;
		goto cleanup;
	}
	rc = analyze_file(o->files[0], o, ta, 1, &admin_a, &a);
	if (rc)
		goto cleanup;
	if (o->compare) {
		rc = analyze_file(o->files[1], o, tb, o->speed, &admin_b, &b);
		if (rc)
			goto cleanup;
		struct an_compare c;
		compare_compute(a, b, &c);
		fid_evaluate(a, b, ta, tb, &o->th, o->speed, &fid);
		fid.admin_a = admin_a;
		fid.admin_b = admin_b;
		int err = 0;
		if (o->html)
			rc = write_html(o->html, &(struct page){.a = a, .b = b, .c = &c, .fid = &fid},
					o->json);
		if (rc)
			goto cleanup;
		if (o->json)
			err = compare_json(stdout, a, b, &c, &fid);
		else if (!o->html)
			err = compare_text(stdout, a, b, &c, &fid, utf8);
		if (err) {
			rc = MB_EXIT_FAILURE;
		} else if (o->max_distance >= 0 && compare_max_distance(&c) > o->max_distance) {
			mb_error("largest distance %.4f exceeds --max-distance %g",
				 compare_max_distance(&c), o->max_distance);
			rc = MB_EXIT_MISMATCH;
		} else if (!fid.pass) {
			for (unsigned i = 0; i < FID_NCHECKS; i++)
				if (!fid.c[i].pass)
					mb_error("fidelity check %s failed: %.4g > %g",
						 fid_check_name(i), fid.c[i].value,
						 fid.c[i].threshold);
			rc = MB_EXIT_MISMATCH;
		}
		goto cleanup;
	}
	if (o->html) {
		rc = write_html(o->html, &(struct page){.a = a}, o->json);
		if (rc)
			goto cleanup;
	}
	if (o->json) {
		if (report_json(stdout, a))
			rc = MB_EXIT_FAILURE;
	} else if (!o->html) {
		if (report_text(stdout, a, utf8))
			rc = MB_EXIT_FAILURE;
	}
cleanup:
	fid_trace_free(ta);
	fid_trace_free(tb);
	an_free(a);
	an_free(b);
	if (fflush(stdout) != 0 && rc == MB_EXIT_OK) {
		mb_error("cannot write the report: %s", strerror(errno));
		rc = MB_EXIT_FAILURE;
	}
	return rc;
}

int main(int argc, char **argv)
{
	struct opts o = {0};
	mb_cli_set_prog("membench analyze");
	int rc = parse_args(&o, argc, argv);
	if (rc >= 0)
		return rc;
	if (o.info)
		return do_info(o.files[0], o.allow_damaged);
	struct sigaction sa = {.sa_handler = on_sigint};
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	rc = run(&o);
	if (interrupted) {
		fputs("membench analyze: interrupted\n", stderr);
		signal(SIGINT, SIG_DFL);
		raise(SIGINT);
	}
	return rc;
}
