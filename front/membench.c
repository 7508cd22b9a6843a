/* membench: the front command. `membench <cmd> [args]` runs `membench-<cmd> [args]` (git style),
 * looking beside its own executable first and then on PATH, so an uninstalled build tree works
 * and so does an installed one.
 *
 * Exit status: the sub-command's own, 2 for an unknown command or bad usage, 127 when the
 * sub-command's binary cannot be found or executed.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "membench/exitcode.h"
#include "membench/version.h"

struct command {
	const char *name;
	const char *summary;
};

static const struct command commands[] = {
	{"record", "capture live memcached traffic with eBPF, import a trace, or generate a workload"},
	{"analyze", "report a profile's distributions as text, JSON or HTML; compare two profiles"},
	{"replay", "drive memcached servers with a profile's traffic at the recorded or a scaled rate"},
};
#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static void usage(FILE *f)
{
	fprintf(f,
		"usage: membench <command> [options]\n"
		"       membench help <command>\n"
		"       membench --version\n"
		"\n"
		"membench records real memcached traffic, shows what it looks like, and plays it\n"
		"back against another memcached at the recorded rate or faster.\n"
		"\n"
		"commands:\n");
	for (size_t i = 0; i < NCOMMANDS; i++)
		fprintf(f, "  %-9s %s\n", commands[i].name, commands[i].summary);
	fprintf(f,
		"\n"
		"examples:\n"
		"  membench record ebpf:any -o prod.mbp\n"
		"  membench analyze prod.mbp\n"
		"  membench replay prod.mbp --server staging:11211 --rate 2x\n"
		"\n"
		"`membench <command>` runs membench-<command>, found beside this program or on PATH.\n");
}

static const struct command *find_command(const char *name)
{
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

/* Directory of this executable (from /proc/self/exe), or "" if unknown. */
static void self_dir(char *dir, size_t len)
{
	ssize_t n = readlink("/proc/self/exe", dir, len - 1);
	if (n <= 0) {
		dir[0] = '\0';
		return;
	}
	dir[n] = '\0';
	char *slash = strrchr(dir, '/');
	if (slash)
		*slash = '\0';
	else
		dir[0] = '\0';
}

/* Replaces this process with membench-<name>; returns only on failure (exit code). */
static int run_command(const char *name, int argc, char **argv)
{
	char prog[64];
	snprintf(prog, sizeof(prog), "membench-%s", name);
	argv[0] = prog;

	char dir[PATH_MAX];
	self_dir(dir, sizeof(dir));
	if (dir[0]) {
		char path[PATH_MAX + 64];
		snprintf(path, sizeof(path), "%s/%s", dir, prog);
		if (access(path, X_OK) == 0) {
			execv(path, argv);
			fprintf(stderr, "membench: cannot run %s: %s\n", path, strerror(errno));
			return 127;
		}
	}
	execvp(prog, argv);
	fprintf(stderr, "membench: cannot run %s (looked in %s and PATH): %s\n", prog,
		dir[0] ? dir : "?", strerror(errno));
	(void)argc;
	return 127;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return MB_EXIT_USAGE;
	}
	const char *cmd = argv[1];
	if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
		usage(stdout);
		return MB_EXIT_OK;
	}
	if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "version") == 0) {
		printf("membench %s\n", mb_version_long());
		return MB_EXIT_OK;
	}
	if (strcmp(cmd, "help") == 0) {
		if (argc < 3) {
			usage(stdout);
			return MB_EXIT_OK;
		}
		if (!find_command(argv[2])) {
			fprintf(stderr, "membench: '%s' is not a membench command; see 'membench --help'\n",
				argv[2]);
			return MB_EXIT_USAGE;
		}
		char help_flag[] = "--help";
		char *help_argv[] = {NULL, help_flag, NULL};
		return run_command(argv[2], 2, help_argv);
	}
	if (cmd[0] == '-') {
		fprintf(stderr, "membench: unknown option '%s'; see 'membench --help'\n", cmd);
		return MB_EXIT_USAGE;
	}
	if (!find_command(cmd)) {
		fprintf(stderr, "membench: '%s' is not a membench command; see 'membench --help'\n", cmd);
		return MB_EXIT_USAGE;
	}
	return run_command(cmd, argc - 1, argv + 1);
}
