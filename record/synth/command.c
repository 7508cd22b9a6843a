/* membench record synth:zipf | synth:etc: writes a profile drawn from a workload model (model in
 * gen.c, distributions in dist.c, docs/import.md).
 *
 * Determinism: the same options and --seed give the same profile byte for byte. The header
 * therefore holds no wall-clock time (start_wall_ns = 0, clock "synthetic") and no host name;
 * the creator field carries the membench version, so "same bytes" assumes the same build.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "progress.h"
#include "pipe.h"
#include "membench/cli.h"
#include "membench/error.h"
#include "membench/exitcode.h"
#include "record.h"
#include "synth/synth.h"

static void usage(FILE *f, const char *model)
{
	fprintf(f,
		"usage: membench record synth:%s -o OUT.mbp [options]\n"
		"\n"
		"%s"
		"\n"
		"options (defaults for synth:%s in brackets):\n"
		"  -o, --output FILE     file to write (required)\n"
		"  --format F            mbp (default), twitter or oracle: see membench record --help\n"
		"  --ops N               requests to generate [1000000; none if only --duration]\n"
		"  --duration D          stop at D of generated time (10s, 5m, 1h)\n"
		"  --seed S              64-bit seed; same seed and options = same profile [1]\n"
		"  --keys N              key population [100000]\n"
		"  --alpha A             Zipf exponent of key popularity, 0 = uniform [0.99]\n"
		"  --key-size DIST       key length in bytes, clamped to 1..250 [%s]\n"
		"  --value-size DIST     value length in bytes, clamped to 0..--max-value [%s]\n"
		"  --max-value N         largest value length [1000000]\n"
		"  --get-ratio R         fraction of gets, the rest sets [%s]\n"
		"  --mix get:W,set:W,delete:W   op weights (any subset) [%s]\n"
		"  --rate R              mean requests per second [%s]\n"
		"  --arrival poisson|fixed|etc  gaps: exponential, constant 1/R, or ETC's\n"
		"                        Generalized Pareto scaled to mean 1/R [%s]\n"
		"  --connections N       requests go to N connections uniformly at random [1]\n"
		"  -h, --help            this help\n"
		"\n"
		"DIST: fixed:V uniform:MIN,MAX normal:MEAN,SD exponential:MEAN pareto:XM,ALPHA\n"
		"      gpd:MU,SIGMA,K gev:MU,SIGMA,K etc-key etc-value etc-ia\n"
		"Key and value sizes are drawn once per key (every request of a key has the same\n"
		"sizes). Keys are ranks 1..N (no key bytes are stored).\n",
		model,
		strcmp(model, "etc") == 0
			? "Facebook's ETC memcached workload (Atikoglu et al., SIGMETRICS 2012, as in\n"
			  "mutilate): key sizes GEV(30.7984, 8.20449, 0.078688), value sizes a table for\n"
			  "0..14 bytes then GPD(15, 214.476, 0.348238), inter-arrival GPD(0, 16.0292,\n"
			  "0.154971) us, get:set 30:1; key popularity Zipf(--alpha) over --keys.\n"
			: "Zipf(--alpha) key popularity over --keys keys, chosen size distributions,\n"
			  "op mix, rate and arrival process.\n",
		model, strcmp(model, "etc") == 0 ? "etc-key" : "fixed:16",
		strcmp(model, "etc") == 0 ? "etc-value" : "fixed:100",
		strcmp(model, "etc") == 0 ? "0.968" : "0.9",
		strcmp(model, "etc") == 0 ? "get:30,set:1" : "get:0.9,set:0.1",
		strcmp(model, "etc") == 0 ? "52718, ETC's native mean gap" : "10000",
		strcmp(model, "etc") == 0 ? "etc" : "poisson");
}

enum {
	OPT_OPS = 256,
	OPT_DURATION,
	OPT_SEED,
	OPT_KEYS,
	OPT_ALPHA,
	OPT_KEY_SIZE,
	OPT_VALUE_SIZE,
	OPT_MAX_VALUE,
	OPT_GET_RATIO,
	OPT_MIX,
	OPT_RATE,
	OPT_ARRIVAL,
	OPT_CONNECTIONS,
	OPT_KEEP_KEYS,
};

static const struct option long_opts[] = {
	{"output", required_argument, NULL, 'o'},
	{"ops", required_argument, NULL, OPT_OPS},
	{"duration", required_argument, NULL, OPT_DURATION},
	{"seed", required_argument, NULL, OPT_SEED},
	{"keys", required_argument, NULL, OPT_KEYS},
	{"alpha", required_argument, NULL, OPT_ALPHA},
	{"key-size", required_argument, NULL, OPT_KEY_SIZE},
	{"value-size", required_argument, NULL, OPT_VALUE_SIZE},
	{"max-value", required_argument, NULL, OPT_MAX_VALUE},
	{"get-ratio", required_argument, NULL, OPT_GET_RATIO},
	{"mix", required_argument, NULL, OPT_MIX},
	{"rate", required_argument, NULL, OPT_RATE},
	{"arrival", required_argument, NULL, OPT_ARRIVAL},
	{"connections", required_argument, NULL, OPT_CONNECTIONS},
	{"keep-keys", no_argument, NULL, OPT_KEEP_KEYS},
	{"help", no_argument, NULL, 'h'},
	{NULL, 0, NULL, 0},
};

static const char *const mix_names[MIX_COUNT] = {
	[MIX_GET] = "get", [MIX_SET] = "set", [MIX_DELETE] = "delete",
};

/* --mix get:W,set:W,delete:W (any subset, others 0). @return 0 or MB_E_USAGE. */
static int parse_mix(const char *s, double *mix)
{
	double m[MIX_COUNT] = {0};
	char *copy = strdup(s), *save = NULL;
	int rc = copy ? 0 : MB_E_USAGE;
	for (char *tok = copy ? strtok_r(copy, ",", &save) : NULL; tok && !rc;
	     tok = strtok_r(NULL, ",", &save)) {
		char *colon = strchr(tok, ':');
		int which = -1;
		if (colon) {
			*colon = '\0';
			for (int i = 0; i < MIX_COUNT; i++)
				if (strcmp(tok, mix_names[i]) == 0)
					which = i;
		}
		if (which < 0 || mb_parse_double(colon + 1, &m[which]) || m[which] < 0)
			rc = MB_E_USAGE;
	}
	free(copy);
	if (!rc && m[MIX_GET] + m[MIX_SET] + m[MIX_DELETE] <= 0)
		rc = MB_E_USAGE;
	if (!rc)
		memcpy(mix, m, sizeof(m));
	return rc;
}

static int bad_value(const char *opt, const char *v, const char *expected)
{
	mb_error("bad value for %s: '%s' (expected %s)", opt, v, expected);
	return MB_EXIT_USAGE;
}

/* Parses the options into *opts (which holds the model's defaults) and *out_file.
 * @return -1 to go on, or the exit code to return now. */
static int synth_parse_args(struct synth_opts *opts, const char **out_file, const char *source,
			    int argc, char **argv)
{
	const char *model = source + strlen("synth:");
	struct synth_opts o = *opts;
	const char *out_path = NULL;
	bool ops_given = false;
	char err[256];
	uint64_t u;
	int c;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":o:h", long_opts, NULL)) != -1) {
		switch (c) {
		case 'o':
			out_path = optarg;
			break;
		case 'h':
			usage(stdout, model);
			return MB_EXIT_OK;
		case OPT_OPS:
			if (mb_parse_u64(optarg, &o.ops) || o.ops == 0)
				return bad_value("--ops", optarg, "a count > 0");
			ops_given = true;
			break;
		case OPT_DURATION:
			if (mb_parse_duration_ns(optarg, &o.duration_ns) || o.duration_ns == 0)
				return bad_value("--duration", optarg, "e.g. 30s, 5m");
			break;
		case OPT_SEED:
			if (mb_parse_u64(optarg, &o.seed))
				return bad_value("--seed", optarg, "an unsigned 64-bit integer");
			break;
		case OPT_KEYS:
			if (mb_parse_u64(optarg, &o.keys) || o.keys == 0 || o.keys > (1ull << 53))
				return bad_value("--keys", optarg, "a count from 1 to 2^53");
			break;
		case OPT_ALPHA:
			if (mb_parse_double(optarg, &o.alpha) || o.alpha < 0 || o.alpha > 100)
				return bad_value("--alpha", optarg, "a Zipf exponent from 0 to 100");
			break;
		case OPT_KEY_SIZE:
		case OPT_VALUE_SIZE:
			if (dist_parse(c == OPT_KEY_SIZE ? &o.key_size : &o.value_size, optarg, err,
				       sizeof(err))) {
				mb_error("%s: %s", c == OPT_KEY_SIZE ? "--key-size" : "--value-size",
					 err);
				return MB_EXIT_USAGE;
			}
			break;
		case OPT_MAX_VALUE:
			if (mb_parse_size(optarg, &u) || u > UINT32_MAX)
				return bad_value("--max-value", optarg, "a size in bytes");
			o.max_value = (uint32_t)u;
			break;
		case OPT_GET_RATIO: {
			double r;
			if (mb_parse_double(optarg, &r) || r < 0 || r > 1)
				return bad_value("--get-ratio", optarg, "a fraction from 0 to 1");
			o.mix[MIX_GET] = r;
			o.mix[MIX_SET] = 1 - r;
			o.mix[MIX_DELETE] = 0;
			break;
		}
		case OPT_MIX:
			if (parse_mix(optarg, o.mix))
				return bad_value("--mix", optarg, "get:W,set:W,delete:W with weights >= 0");
			break;
		case OPT_RATE:
			if (mb_parse_double(optarg, &o.rate) || !(o.rate > 0) || o.rate > 1e9)
				return bad_value("--rate", optarg, "requests per second, > 0");
			break;
		case OPT_ARRIVAL:
			if (strcmp(optarg, "poisson") == 0)
				o.arrival = ARRIVAL_POISSON;
			else if (strcmp(optarg, "fixed") == 0)
				o.arrival = ARRIVAL_FIXED;
			else if (strcmp(optarg, "etc") == 0)
				o.arrival = ARRIVAL_ETC;
			else
				return bad_value("--arrival", optarg, "poisson, fixed or etc");
			break;
		case OPT_CONNECTIONS:
			if (mb_parse_u64(optarg, &u) || u == 0 || u > 1000000)
				return bad_value("--connections", optarg, "a count from 1 to 1000000");
			o.connections = (uint32_t)u;
			break;
		case OPT_KEEP_KEYS:
			mb_error("synthetic keys are numbers (ranks), there are no key bytes to keep");
			return MB_EXIT_USAGE;
		case ':':
			mb_error("option %s needs a value", argv[optind - 1]);
			return MB_EXIT_USAGE;
		default:
			mb_error("unknown option '%s' for %s (see membench record %s --help)",
				 argv[optind - 1], source, source);
			return MB_EXIT_USAGE;
		}
	}
	for (int i = optind; i < argc; i++) {
		if (argv[i] != source) {
			mb_error("unexpected argument '%s'", argv[i]);
			return MB_EXIT_USAGE;
		}
	}
	if (!out_path) {
		mb_error("no output file: give -o FILE.mbp");
		return MB_EXIT_USAGE;
	}
	if (o.duration_ns && !ops_given)
		o.ops = 0; /* --duration alone: as many requests as fit */
	*opts = o;
	*out_file = out_path;
	return -1;
}

/* Generates the profile. @return the exit code. */
static int synth_execute(const struct synth_opts *opts, const char *source, const char *out_path)
{
	struct synth_opts o = *opts;
	char err[256];
	int ret = MB_EXIT_OK, rc;
	struct synth_gen g;
	struct mb_profile_writer *w = NULL;
	struct record_pipe *pipe = NULL;
	struct mb_profile_meta meta;
	struct record_progress prog;
	rc = synth_init(&g, &o);
	if (rc) {
		mb_error("%s: %s", source, rc == -ENOMEM ? mb_strerror(rc) : "inconsistent options");
		synth_free(&g);
		return rc == -ENOMEM ? MB_EXIT_FAILURE : MB_EXIT_USAGE;
	}
	record_meta_init(&meta, source);
	meta.host[0] = '\0'; /* see the top of this file: no machine-specific bytes */
	meta.clock = MB_CLOCK_SYNTHETIC;
	meta.key_mode = MB_KEYS_ANON;
	meta.start_wall_ns = 0;
	synth_format_params(&o, meta.params, sizeof(meta.params));
	if ((rc = record_output_open(&w, out_path, &meta))) {
		ret = mb_exit_code_for(rc);
		goto cleanup;
	}
	if ((rc = record_pipe_start(&pipe, w))) {
		mb_error("cannot start the writer thread: %s", mb_strerror(rc));
		ret = MB_EXIT_FAILURE;
		goto cleanup;
	}
	record_progress_init(&prog);
	record_catch_signals();
	struct mb_record rec;
	bool stopped = false;
	while (synth_next(&g, &rec) == 1) {
		if ((rc = record_pipe_push(pipe, &rec, NULL, 0))) {
			mb_error("cannot write %s: %s", out_path, mb_strerror(rc));
			ret = mb_exit_code_for(rc);
			goto cleanup;
		}
		if ((g.n & 0xffff) == 0) {
			if (record_interrupted) {
				stopped = true; /* the output holds a prefix */
				break;
			}
			record_progress_show(&prog, g.n,
					     o.ops ? (double)g.n / (double)o.ops
						   : g.t_ns / (double)o.duration_ns);
		}
	}
	record_progress_done(&prog);
	rc = record_pipe_finish(pipe);
	pipe = NULL;
	if (rc) {
		mb_error("cannot write %s: %s", out_path, mb_strerror(rc));
		ret = mb_exit_code_for(rc);
		goto cleanup;
	}
	struct mb_profile_stats st = {.requests = g.n};
	mb_profile_writer_add_stats(w, &st);
	rc = record_output_close(w, out_path);
	w = NULL;
	if (rc) {
		ret = mb_exit_code_for(rc);
		goto cleanup;
	}
	if (stopped) {
		mb_error("interrupted: %s holds the first %llu requests", out_path,
			 (unsigned long long)g.n);
		ret = MB_EXIT_FAILURE;
	} else if (prog.tty) {
		double secs = record_progress_elapsed(&prog);
		fprintf(stderr, "%s: %llu requests, %.3f s of traffic, generated in %.2f s -> %s\n",
			mb_cli_prog(), (unsigned long long)g.n, g.t_ns / 1e9, secs, out_path);
	}
cleanup:
	if (pipe)
		record_pipe_finish(pipe);
	if (w) {
		mb_profile_writer_close(w, err, sizeof(err));
		unlink(out_path);
	}
	synth_free(&g);
	return ret;
}

int record_synth_main(const char *source, int argc, char **argv)
{
	struct synth_opts o;
	const char *out_path = NULL;
	if (synth_defaults(&o, source + strlen("synth:"))) {
		mb_error("unknown generator '%s' (expected synth:zipf or synth:etc)", source);
		return MB_EXIT_USAGE;
	}
	int ret = synth_parse_args(&o, &out_path, source, argc, argv);
	return ret >= 0 ? ret : synth_execute(&o, source, out_path);
}
