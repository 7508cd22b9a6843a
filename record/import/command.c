/* membench record twitter:PATH | oracle:PATH | cachelib:PATH: imports a published cache trace
 * into a profile. Options, parsing and output; the formats are in twitter.c,
 * oracle.c and cachelib.c, time placement in sink.c (docs/import.md).
 *
 * The profile is opened when the first record comes out of the sink, because the header's
 * start_wall_ns is the trace's first second. On any error the half-written output is removed.
 * Exit codes: 0; 2 bad option; 3 unreadable/malformed input (the message names file:line, column
 * and value); 1 output or memory failure, or interrupted (the profile is still closed properly).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "import/import.h"
#include "progress.h"
#include "pipe.h"
#include "membench/cli.h"
#include "membench/error.h"
#include "membench/exitcode.h"
#include "record.h"

static const struct import_format_info {
	const char *prefix;
	enum import_format format;
	int (*run)(struct import_run *run);
	const char *help;
} formats[] = {
	{"twitter:", IMPORT_TWITTER, import_twitter,
	 "Twitter cache-trace: CSV 'timestamp,key,key size,value size,client id,op,ttl', plain,\n"
	 "zstd or gzip (detected by magic). Client ids become connections; keys are identified by the\n"
	 "anonymized key string.\n"},
	{"oracle:", IMPORT_ORACLE, import_oracle,
	 "libCacheSim oracleGeneral: 24-byte little-endian records {u32 time_s, u64 obj_id,\n"
	 "u32 obj_size, i64 next_access_vtime}, plain, zstd or gzip. Each record is a get of obj_id with\n"
	 "value size obj_size; keys have --key-size bytes; requests go round-robin over\n"
	 "--connections.\n"},
	{"cachelib:", IMPORT_CACHELIB, import_cachelib,
	 "Meta CacheLib kvcache CSV with a header row; columns by name in any order: key, op\n"
	 "(GET, GET_LEASE, SET, SET_LEASE, DELETE), size, op_time, key_size, op_count (rows are\n"
	 "repeated), ttl; others ignored. Requests go round-robin over --connections.\n"},
};

static void usage(FILE *f, const struct import_format_info *fi)
{
	fprintf(f, "usage: membench record %sPATH -o OUT.mbp [options]\n\n%s\n", fi->prefix,
		fi->help);
	fprintf(f,
		"PATH may be - for standard input. An input without requests, or one that is not\n"
		"this format, is refused (exit 3).\n"
		"\n"
		"options:\n"
		"  -o, --output FILE     file to write (required)\n"
		"  --format F            mbp (default), twitter or oracle: see membench record --help\n"
		"  --spread even|burst   placement of the requests of one trace second: even (default)\n"
		"                        spreads them evenly over the second in file order, burst puts\n"
		"                        them all at the second's start\n"
		"  --ops N               stop after N requests\n"
		"  --ops LIST            keep only these commands (get,set,delete,...)\n"
		"  --from T, --to T      keep requests from T to T: offsets from the first row's second\n"
		"                        (30s, 1m30s) or wall-clock times when the trace's timestamps\n"
		"                        are unix times (2026-12-02T01:30:00Z, @1764639000); the\n"
		"                        profile then starts at --from\n"
		"  --sample 1/N          keep the requests of 1 key in N (a hash of the key)\n"
		"  --sample-by key|connection  sample by key (default) or by connection\n"
		"  --duration D          stop after D of trace time (10s, 5m, 1h)\n"
		"  --connections N       %s\n"
		"%s"
		"%s"
		"%s"
		"  --skip-bad            skip malformed rows (counted, reported, stored in the\n"
		"                        profile's trailer) instead of stopping at the first\n"
		"  -h, --help            this help\n",
		fi->format == IMPORT_TWITTER ? "fold the trace's clients onto N connections"
					     : "spread requests round-robin over N connections (1)",
		fi->format == IMPORT_ORACLE
			? "  --key-size N          key length of every object (default 16)\n" : "",
		fi->format == IMPORT_CACHELIB
			? "  --rate R              ignore the trace's timestamps: R requests/s in file\n"
			  "                        order (needed when there is no op_time column)\n"
			: "  --rate R              ignore the trace's timestamps: R requests/s in file\n"
			  "                        order\n",
		fi->format != IMPORT_ORACLE
			? "  --keep-keys           store the trace's (anonymized) key strings\n"
			  "  --key-prefix C        store only each key's prefix up to the first C\n"
			  "                        (its namespace, e.g. ':'), not the whole key\n"
			  "  --key-prefix-only P   keep only keys starting with P\n" : "");
}

enum {
	OPT_SPREAD = 256,
	OPT_OPS,
	OPT_DURATION,
	OPT_CONNECTIONS,
	OPT_KEY_SIZE,
	OPT_RATE,
	OPT_KEEP_KEYS,
	OPT_SKIP_BAD,
	OPT_KEY_PREFIX,
	OPT_FROM,
	OPT_TO,
	OPT_KEY_PREFIX_ONLY,
	OPT_SAMPLE,
	OPT_SAMPLE_BY,
};

static const struct option long_opts[] = {
	{"output", required_argument, NULL, 'o'},
	{"spread", required_argument, NULL, OPT_SPREAD},
	{"ops", required_argument, NULL, OPT_OPS},
	{"duration", required_argument, NULL, OPT_DURATION},
	{"connections", required_argument, NULL, OPT_CONNECTIONS},
	{"key-size", required_argument, NULL, OPT_KEY_SIZE},
	{"rate", required_argument, NULL, OPT_RATE},
	{"keep-keys", no_argument, NULL, OPT_KEEP_KEYS},
	{"skip-bad", no_argument, NULL, OPT_SKIP_BAD},
	{"key-prefix", required_argument, NULL, OPT_KEY_PREFIX},
	{"from", required_argument, NULL, OPT_FROM},
	{"to", required_argument, NULL, OPT_TO},
	{"key-prefix-only", required_argument, NULL, OPT_KEY_PREFIX_ONLY},
	{"sample", required_argument, NULL, OPT_SAMPLE},
	{"sample-by", required_argument, NULL, OPT_SAMPLE_BY},
	{"help", no_argument, NULL, 'h'},
	{NULL, 0, NULL, 0},
};

/* State of the writer side, behind the sink's emit callback. */
struct import_out {
	const char *path;
	const struct import_sink *sink; /* its window start moves the profile's start */
	struct mb_profile_meta meta;
	struct mb_profile_writer *w;
	struct record_pipe *pipe; /* appends to w on a second thread while the input is parsed */
	int write_err; /* set when opening or appending failed (message already printed) */
	bool created;  /* the output file was created by us (removed again on failure) */
};

static int out_open(struct import_out *o, uint64_t base_s)
{
	o->meta.start_wall_ns = (int64_t)(base_s * 1000000000ull + o->sink->from_ns);
	int rc = record_output_open(&o->w, o->path, &o->meta);
	if (rc) {
		o->write_err = rc;
		return rc;
	}
	o->created = true;
	rc = record_pipe_start(&o->pipe, o->w);
	if (rc) {
		mb_error("cannot start the writer thread: %s", mb_strerror(rc));
		o->write_err = rc;
	}
	return rc;
}

static int out_emit(void *arg, uint64_t base_s, const struct mb_record *rec, const void *key,
		    size_t key_bytes)
{
	struct import_out *o = arg;
	int rc;
	if (!o->w && (rc = out_open(o, base_s)))
		return rc;
	rc = record_pipe_push(o->pipe, rec, key, key_bytes);
	if (rc) {
		mb_error("cannot write %s: %s", o->path, mb_strerror(rc));
		o->write_err = rc;
	}
	return rc;
}

static void import_show_progress(struct import_run *run)
{
	record_progress_show(run->progress_arg, run->rows, import_input_progress(run->in));
}

/* Parses an option value in [1, max]. */
static int opt_u32(const char *name, const char *v, uint32_t max, uint32_t *out)
{
	uint64_t x;
	if (mb_parse_u64(v, &x) || x == 0 || x > max) {
		mb_error("bad value for %s: '%s' (expected an integer from 1 to %u)", name, v, max);
		return MB_E_USAGE;
	}
	*out = (uint32_t)x;
	return 0;
}

/* Everything the command line decides. */
struct import_args {
	const struct import_format_info *fi;
	struct import_opts opt;
	enum import_spread spread;
	uint64_t max_ops, max_time_ns;
	const char *out_path;
	const char *key_prefix; /* one delimiter character, or NULL */
	struct record_filter filter; /* --ops LIST, --from/--to, --key-prefix-only */
	bool conn_given, rate_given, key_size_given;
};

/* Parses and checks the options. @return -1 to go on, or the exit code to return now. */
static int import_parse_args(struct import_args *a, const char *source, int argc, char **argv)
{
	const struct import_format_info *fi = a->fi;
	struct import_opts *opt = &a->opt;
	int c;
	optind = 1;
	opterr = 0;
	int opt_index = 0;
	while ((c = getopt_long(argc, argv, ":o:h", long_opts, &opt_index)) != -1) {
		switch (c) {
		case 'o':
			a->out_path = optarg;
			break;
		case 'h':
			usage(stdout, fi);
			return MB_EXIT_OK;
		case OPT_SPREAD:
			if (strcmp(optarg, "even") == 0) {
				a->spread = SPREAD_EVEN;
			} else if (strcmp(optarg, "burst") == 0) {
				a->spread = SPREAD_BURST;
			} else {
				mb_error("bad value for --spread: '%s' (expected even or burst)", optarg);
				return MB_EXIT_USAGE;
			}
			break;
		case OPT_OPS: /* a count, or a list of commands */
			if (record_filter_set(&a->filter, "ops", optarg))
				return MB_EXIT_USAGE;
			a->max_ops = a->filter.max_requests;
			break;
		case OPT_FROM:
		case OPT_TO:
		case OPT_KEY_PREFIX_ONLY:
		case OPT_SAMPLE:
		case OPT_SAMPLE_BY:
			if (record_filter_set(&a->filter, long_opts[opt_index].name, optarg))
				return MB_EXIT_USAGE;
			break;
		case OPT_DURATION:
			if (mb_parse_duration_ns(optarg, &a->max_time_ns) || a->max_time_ns == 0) {
				mb_error("bad value for --duration: '%s' (expected e.g. 30s, 5m)", optarg);
				return MB_EXIT_USAGE;
			}
			break;
		case OPT_CONNECTIONS:
			if (opt_u32("--connections", optarg, UINT32_MAX, &opt->connections))
				return MB_EXIT_USAGE;
			a->conn_given = true;
			break;
		case OPT_KEY_SIZE:
			if (opt_u32("--key-size", optarg, 250, &opt->key_size))
				return MB_EXIT_USAGE;
			a->key_size_given = true;
			break;
		case OPT_RATE:
			if (mb_parse_double(optarg, &opt->rate) || !(opt->rate > 0)) {
				mb_error("bad value for --rate: '%s' (expected requests/s > 0)", optarg);
				return MB_EXIT_USAGE;
			}
			a->rate_given = true;
			break;
		case OPT_KEEP_KEYS:
			opt->keep_keys = true;
			break;
		case OPT_SKIP_BAD:
			opt->skip_bad = true;
			break;
		case OPT_KEY_PREFIX:
			if (strlen(optarg) != 1) {
				mb_error("bad value for --key-prefix: '%s' (expected one delimiter "
					 "character, e.g. ':')", optarg);
				return MB_EXIT_USAGE;
			}
			a->key_prefix = optarg;
			break;
		case ':':
			mb_error("option %s needs a value", argv[optind - 1]);
			return MB_EXIT_USAGE;
		default:
			mb_error("unknown option '%s' for %s (see membench record %s--help)",
				 argv[optind - 1], fi->prefix, fi->prefix);
			return MB_EXIT_USAGE;
		}
	}
	for (int i = optind; i < argc; i++) {
		if (argv[i] != source) {
			mb_error("unexpected argument '%s'", argv[i]);
			return MB_EXIT_USAGE;
		}
	}
	/* Combinations, each with what to do instead. */
	if (!*opt->path) {
		mb_error("%s needs a file name: %sPATH, or %s- for standard input", source,
			 fi->prefix, fi->prefix);
		return MB_EXIT_USAGE;
	}
	const char *why = NULL;
	if (!a->out_path)
		why = "needs an output file: give -o FILE.mbp";
	else if (a->key_prefix && opt->keep_keys)
		why = "--keep-keys and --key-prefix exclude each other";
	else if (fi->format == IMPORT_ORACLE && (opt->keep_keys || a->key_prefix))
		why = "oracle traces have no key strings, only obj_id numbers: --keep-keys and "
		      "--key-prefix do not apply";
	else if (fi->format == IMPORT_ORACLE && a->filter.key_prefix)
		why = "oracle traces have no key strings: --key-prefix-only does not apply";
	else if (a->key_size_given && fi->format != IMPORT_ORACLE)
		why = "--key-size applies to oracle traces only (the other formats carry key sizes)";
	if (why) {
		mb_error("%s: %s", source, why);
		return MB_EXIT_USAGE;
	}
	return -1;
}

/* Writes "key=value ..." with everything that shapes the records into meta->params, so the
 * import can be repeated exactly. */
static void import_format_params(const struct import_args *a, const char *compression, char *pp,
				 size_t pl)
{
	const struct import_format_info *fi = a->fi;
	int off = snprintf(pp, pl, "format=%.*s compression=%s spread=%s ops=%llu duration=%lluns "
			   "skip-bad=%d", (int)strlen(fi->prefix) - 1, fi->prefix,
			   compression, a->spread == SPREAD_EVEN ? "even" : "burst",
			   (unsigned long long)a->max_ops, (unsigned long long)a->max_time_ns,
			   a->opt.skip_bad);
	if (fi->format == IMPORT_TWITTER && !a->conn_given)
		off += snprintf(pp + off, pl - (size_t)off, " connections=clients");
	else
		off += snprintf(pp + off, pl - (size_t)off, " connections=%u",
				a->opt.connections ? a->opt.connections : 1);
	if (fi->format == IMPORT_ORACLE)
		off += snprintf(pp + off, pl - (size_t)off, " key-size=%u", a->opt.key_size);
	if (a->rate_given)
		off += snprintf(pp + off, pl - (size_t)off, " rate=%.15g", a->opt.rate);
	if (record_filter_active(&a->filter) && (size_t)off + 1 < pl) {
		pp[off++] = ' ';
		pp[off] = '\0';
		record_filter_describe(&a->filter, pp + off, pl - (size_t)off);
	}
}

/* Prints the error that stopped the parser. @return the exit code. */
static int import_report_error(const struct import_run *run, const struct import_sink *sink,
			       const struct import_out *out, int rc)
{
	if (out->write_err) /* already printed by the writer side */
		return mb_exit_code_for(out->write_err);
	/* run->err may still hold a row skipped earlier: only input errors and malformed rows
	 * leave their message there. */
	if (rc == MB_E_USAGE) {
		mb_error("%s: the trace's timestamps are not unix times (first second before 2000): give --from/--to as "
			 "offsets (30s)", run->opt->path);
		return MB_EXIT_USAGE;
	}
	if (sink->overflow)
		mb_error("%s: more than %u requests in one second: use --spread burst",
			 run->opt->path, IMPORT_SECOND_MAX);
	else if (rc == -ENOMEM)
		mb_error("%s: %s", run->opt->path, mb_strerror(rc));
	else
		mb_error("%s", run->err[0] ? run->err : mb_strerror(rc));
	return rc == -ENOMEM ? MB_EXIT_FAILURE : MB_EXIT_INPUT;
}

/* Runs the import. @return the exit code. */
static int import_execute(const struct import_args *a, const char *source)
{
	int rc, ret = MB_EXIT_OK;
	struct import_input *in = NULL;
	struct import_sink sink;
	struct import_out out = {.path = a->out_path, .sink = &sink};
	struct record_progress prog;
	struct import_run run = {.opt = &a->opt, .interrupted = &record_interrupted,
				 .progress = import_show_progress, .progress_arg = &prog};
	import_sink_init(&sink, a->spread, out_emit, &out);
	sink.max_ops = a->max_ops;
	sink.max_time_ns = a->max_time_ns;
	sink.rate = a->rate_given ? a->opt.rate : 0;
	sink.filter = record_filter_active(&a->filter) ? &a->filter : NULL;

	rc = import_input_open(&in, a->opt.path, run.err, sizeof(run.err));
	if (rc) {
		mb_error("%s", run.err);
		ret = rc == -ENOMEM ? MB_EXIT_FAILURE : MB_EXIT_INPUT;
		goto cleanup;
	}
	record_meta_init(&out.meta, source);
	out.meta.clock = MB_CLOCK_TRACE;
	out.meta.key_mode = a->opt.keep_keys ? MB_KEYS_KEPT
			    : a->key_prefix  ? MB_KEYS_PREFIX
					     : MB_KEYS_ANON;
	out.meta.key_delim = a->key_prefix ? a->key_prefix[0] : '\0';
	if (a->filter.sample_n > 1)
		out.meta.sample_ratio = 1.0 / (double)a->filter.sample_n;
	import_format_params(a, import_input_compression(in), out.meta.params, sizeof(out.meta.params));
	run.in = in;
	run.sink = &sink;
	record_progress_init(&prog);
	record_catch_signals();

	rc = a->fi->run(&run);
	/* Stopped early by Ctrl-C/SIGTERM: the output holds a prefix. A signal that comes later,
	 * while the output is closed (compressed, converted), changes nothing written. */
	bool stopped = run.stopped || (rc == -EINTR && record_interrupted);
	if (rc == 0)
		rc = import_sink_finish(&sink);
	record_progress_done(&prog);
	if (rc < 0 && !stopped) {
		ret = import_report_error(&run, &sink, &out, rc);
		goto cleanup;
	}
	if (run.rows == 0 && !stopped) { /* one rule for every format: docs/import.md */
		mb_error("%s: no requests in the input (empty%s): nothing imported", a->opt.path,
			 a->fi->format == IMPORT_CACHELIB ? ", or a header row alone" : "");
		ret = MB_EXIT_INPUT;
		goto cleanup;
	}
	if (!out.w && out_open(&out, 0)) { /* every row filtered out: an empty profile */
		ret = mb_exit_code_for(out.write_err);
		goto cleanup;
	}
	rc = record_pipe_finish(out.pipe);
	out.pipe = NULL;
	if (rc) {
		mb_error("cannot write %s: %s", a->out_path, mb_strerror(rc));
		ret = mb_exit_code_for(rc);
		goto cleanup;
	}
	struct mb_profile_stats st = {.requests = sink.emitted, .skipped_rows = run.skipped};
	mb_profile_writer_add_stats(out.w, &st);
	rc = record_output_close(out.w, a->out_path);
	out.w = NULL;
	if (rc) {
		ret = mb_exit_code_for(rc);
		goto cleanup;
	}
	if (run.skipped)
		mb_warn("skipped %llu malformed row%s of %llu (--skip-bad); last: %s",
			(unsigned long long)run.skipped, run.skipped == 1 ? "" : "s",
			(unsigned long long)run.rows, run.err);
	if (sink.emitted == 0 && !stopped)
		mb_warn("no request matched the filters: %s is empty", a->out_path);
	if (sink.reordered)
		mb_warn("%llu rows were stamped earlier than the row before them; they were placed "
			"in the current second", (unsigned long long)sink.reordered);
	if (stopped) {
		mb_error("interrupted: %s holds the first %llu requests", a->out_path,
			 (unsigned long long)sink.emitted);
		ret = MB_EXIT_FAILURE;
	} else if (prog.tty) {
		double secs = record_progress_elapsed(&prog);
		fprintf(stderr, "%s: %llu requests from %llu rows in %.2f s (%.2fM rows/s) -> %s\n",
			mb_cli_prog(), (unsigned long long)sink.emitted, (unsigned long long)run.rows,
			secs, secs > 0 ? (double)run.rows / secs / 1e6 : 0.0, a->out_path);
	}
cleanup:
	if (out.pipe)
		record_pipe_finish(out.pipe);
	if (out.w) {
		char err[256];
		mb_profile_writer_close(out.w, err, sizeof(err));
	}
	if (ret != MB_EXIT_OK && out.created && !record_interrupted)
		unlink(a->out_path);
	import_sink_free(&sink);
	import_input_close(in);
	return ret;
}

int record_import_main(const char *source, int argc, char **argv)
{
	const struct import_format_info *fi = NULL;
	for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++)
		if (strncmp(source, formats[i].prefix, strlen(formats[i].prefix)) == 0)
			fi = &formats[i];
	if (!fi) {
		mb_error("unknown import source '%s'", source);
		return MB_EXIT_USAGE;
	}
	struct import_args a = {
		.fi = fi,
		.opt = {.format = fi->format, .path = source + strlen(fi->prefix), .key_size = 16,
			.warn_bad = 3},
		.spread = SPREAD_EVEN,
	};
	int ret = import_parse_args(&a, source, argc, argv);
	return ret >= 0 ? ret : import_execute(&a, source);
}
