/* mb_strerror and the mapping from library errors to exit codes. */
#include <errno.h>
#include <string.h>

#include "membench/error.h"
#include "membench/exitcode.h"

static const char *const mb_error_text[] = {
	[-(MB_E_NOT_PROFILE) - 1000] = "not a membench profile",
	[-(MB_E_VERSION) - 1000] = "unsupported profile version",
	[-(MB_E_CORRUPT) - 1000] = "corrupt data",
	[-(MB_E_CHECKSUM) - 1000] = "checksum mismatch",
	[-(MB_E_TRUNCATED) - 1000] = "truncated input",
	[-(MB_E_LIMIT) - 1000] = "value exceeds a limit",
	[-(MB_E_ZSTD) - 1000] = "zstd error",
	[-(MB_E_PARSE) - 1000] = "malformed input",
	[-(MB_E_USAGE) - 1000] = "invalid argument",
	[-(MB_E_UNSUPPORTED) - 1000] = "not supported",
	[-(MB_E_PRIVILEGE) - 1000] = "missing privileges",
	[-(MB_E_STATE) - 1000] = "invalid state",
	[-(MB_E_PROTOCOL) - 1000] = "memcached protocol error",
	[-(MB_E_CONNECT) - 1000] = "cannot connect",
};

const char *mb_strerror(int err)
{
	if (err >= 0)
		return "success";
	if (err > -1000)
		return strerror(-err);
	unsigned idx = (unsigned)(-err - 1000);
	if (idx < sizeof(mb_error_text) / sizeof(mb_error_text[0]) && mb_error_text[idx])
		return mb_error_text[idx];
	return "unknown membench error";
}

int mb_exit_code_for(int err)
{
	switch (err) {
	case 0:
		return MB_EXIT_OK;
	case MB_E_NOT_PROFILE:
	case MB_E_VERSION:
	case MB_E_CORRUPT:
	case MB_E_CHECKSUM:
	case MB_E_TRUNCATED:
	case MB_E_LIMIT:
	case MB_E_PARSE:
		return MB_EXIT_INPUT;
	case MB_E_USAGE:
		return MB_EXIT_USAGE;
	case MB_E_PRIVILEGE:
	case MB_E_UNSUPPORTED:
	case -EPERM:
		return MB_EXIT_PRIVILEGE;
	case MB_E_CONNECT:
	case -ECONNREFUSED:
		return MB_EXIT_TARGET;
	default:
		return MB_EXIT_FAILURE;
	}
}
