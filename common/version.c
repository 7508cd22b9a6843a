/* Project version (from CMake) and git describe (generated at build time). */
#include <stdio.h>

#include "membench/version.h"
#include "membench/version_git.h"

const char *mb_version_long(void)
{
	static char buf[128];
	if (MB_GIT_DESCRIBE[0])
		snprintf(buf, sizeof(buf), "%s (%s)", MB_VERSION, MB_GIT_DESCRIBE);
	else
		snprintf(buf, sizeof(buf), "%s", MB_VERSION);
	return buf;
}
