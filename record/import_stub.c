/* Placeholder for trace import and synthetic generation until they land: says so plainly. */
#include "membench/cli.h"
#include "membench/exitcode.h"
#include "record.h"

int record_import_main(const char *source, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	mb_error("%s: trace import is not built yet", source);
	return MB_EXIT_NOT_BUILT;
}

int record_synth_main(const char *source, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	mb_error("%s: synthetic workloads are not built yet", source);
	return MB_EXIT_NOT_BUILT;
}
