/* membench-record: writes a profile from a live eBPF capture, an imported trace or a workload
 * generator. This file only picks the source; see record.h for the sources. */
#include <stdio.h>
#include <string.h>

#include "membench/cli.h"
#include "membench/exitcode.h"
#include "membench/version.h"
#include "record.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: membench record SOURCE -o FILE [--format mbp|twitter|oracle] [options]\n"
		"\n"
		"Writes a membench profile (or another format, see below) from one of these sources:\n"
		"  ebpf:any | ebpf:pid=N | ebpf:cgroup=PATH | ebpf:comm=NAME\n"
		"                     live capture of memcached traffic with eBPF (root)\n"
		"  twitter:PATH       Twitter cache-trace (CSV; plain, zstd or gzip)\n"
		"  oracle:PATH        libCacheSim oracleGeneral (binary; plain, zstd or gzip)\n"
		"  cachelib:PATH      Meta CacheLib kvcache CSV (plain, zstd or gzip)\n"
		"  synth:etc          Facebook ETC workload model\n"
		"  synth:zipf         Zipf popularity with chosen size and arrival distributions\n"
		"  profile:PATH ...   membench profiles: a time window, some commands, keys or\n"
		"                     connections of them, several merged in time order\n"
		"\n"
		"Every source takes -o FILE and --format mbp|twitter|oracle: mbp (default) is a\n"
		"membench profile; twitter writes Twitter cache-trace CSV, oracle libCacheSim\n"
		"oracleGeneral (next-access times computed); FILE ending in .zst is zstd-compressed.\n"
		"\n"
		"`membench record SOURCE --help` lists the options of that source.\n");
}

struct source_kind {
	const char *prefix;
	int (*main)(const char *source, int argc, char **argv);
};

static const struct source_kind sources[] = {
	{"ebpf:", record_ebpf_main},
	{"twitter:", record_import_main},
	{"oracle:", record_import_main},
	{"cachelib:", record_import_main},
	{"synth:", record_synth_main},
	{"profile:", record_profile_main},
};

/* The source kind whose prefix starts arg, or NULL. */
static const struct source_kind *source_kind_of(const char *arg)
{
	for (size_t i = 0; i < sizeof(sources) / sizeof(sources[0]); i++)
		if (strncmp(arg, sources[i].prefix, strlen(sources[i].prefix)) == 0)
			return &sources[i];
	return NULL;
}

/* Takes --format F / --format=F out of argv (every source accepts it; the sources' own option
 * parsers never see it). @return 0, or MB_EXIT_USAGE after an error message. */
static int take_format(int *argc, char **argv)
{
	int out = 1;
	for (int i = 1; i < *argc; i++) {
		const char *v = NULL;
		if (strcmp(argv[i], "--format") == 0) {
			if (i + 1 == *argc) {
				mb_error("option --format needs a value (mbp, twitter or oracle)");
				return MB_EXIT_USAGE;
			}
			v = argv[++i];
		} else if (strncmp(argv[i], "--format=", 9) == 0) {
			v = argv[i] + 9;
		} else {
			argv[out++] = argv[i];
			continue;
		}
		enum record_format f;
		if (record_format_parse(v, &f)) {
			mb_error("bad value for --format: '%s' (expected mbp, twitter or oracle)", v);
			return MB_EXIT_USAGE;
		}
		record_output_set_format(f);
	}
	argv[out] = NULL;
	*argc = out;
	return 0;
}

int main(int argc, char **argv)
{
	mb_cli_set_prog("membench record");
	if (take_format(&argc, argv))
		return MB_EXIT_USAGE;
	/* The source is the first argument that names one (options may come before it, and their
	 * values are not sources: `membench record --ops 5 synth:zipf`). */
	const char *source = NULL, *first_positional = NULL;
	const struct source_kind *kind = NULL;
	bool help = false;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--version") == 0) {
			printf("membench-record %s\n", mb_version_long());
			return MB_EXIT_OK;
		}
		help |= strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0;
		if (strcmp(argv[i], "-o") == 0 || strcmp(argv[i], "--output") == 0) {
			i++; /* its value is a file name, never the source */
			continue;
		}
		if (argv[i][0] == '-' || kind)
			continue;
		if (!first_positional)
			first_positional = argv[i];
		if ((kind = source_kind_of(argv[i])))
			source = argv[i];
	}
	if (kind)
		return kind->main(source, argc, argv);
	if (first_positional && !help) {
		mb_error("unknown source '%s' (expected ebpf:, twitter:, oracle:, cachelib:, synth: or profile:)",
			 first_positional);
		return MB_EXIT_USAGE;
	}
	usage(help ? stdout : stderr);
	if (!help)
		mb_error("no source given (e.g. ebpf:any, synth:zipf, twitter:trace.zst)");
	return help ? MB_EXIT_OK : MB_EXIT_USAGE;
}
