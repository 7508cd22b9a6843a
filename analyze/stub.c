/* membench-analyze stand-in, built only while the profile reader is missing (analyze/CMakeLists.txt):
 * --help describes the analyzer; every other invocation exits with MB_EXIT_NOT_BUILT (7). */
#include <stdio.h>
#include <string.h>

#include "membench/cli.h"
#include "membench/exitcode.h"
#include "membench/version.h"

static const char help_text[] =
"usage: membench analyze [--json | --html FILE | --compare OTHER] PROFILE\n"
	"\n"
	"NOT BUILT YET. It will report a profile's op mix, key and value sizes, popularity (Zipf),\n"
	"rates, inter-arrival, reuse, TTL, hit ratio and latency as text, JSON or HTML.\n";

int main(int argc, char **argv)
{
	mb_cli_set_prog("membench analyze");
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			fputs(help_text, stdout);
			return MB_EXIT_OK;
		}
		if (strcmp(argv[i], "--version") == 0) {
			printf("membench-analyze %s\n", mb_version_long());
			return MB_EXIT_OK;
		}
	}
	mb_error("not built yet: this build only describes what it will do (see --help)");
	return MB_EXIT_NOT_BUILT;
}
