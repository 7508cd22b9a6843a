/* Names of the profile's enumerations, one table row per value (the values are pinned by the
 * format, so the tables are indexed by them). */
#include <string.h>

#include "membench/profile.h"

#define COUNT_OF(a) (sizeof(a) / sizeof((a)[0]))

enum op_class { OP_READ = 1, OP_WRITE = 2 };

static const struct {
	const char *name;
	unsigned class;
} op_table[MB_OP_COUNT] = {
	[MB_OP_GET] = {"get", OP_READ},
	[MB_OP_GETS] = {"gets", OP_READ},
	[MB_OP_GAT] = {"gat", OP_READ},
	[MB_OP_GATS] = {"gats", OP_READ},
	[MB_OP_SET] = {"set", OP_WRITE},
	[MB_OP_ADD] = {"add", OP_WRITE},
	[MB_OP_REPLACE] = {"replace", OP_WRITE},
	[MB_OP_APPEND] = {"append", OP_WRITE},
	[MB_OP_PREPEND] = {"prepend", OP_WRITE},
	[MB_OP_CAS] = {"cas", OP_WRITE},
	[MB_OP_DELETE] = {"delete", OP_WRITE},
	[MB_OP_INCR] = {"incr", OP_WRITE},
	[MB_OP_DECR] = {"decr", OP_WRITE},
	[MB_OP_TOUCH] = {"touch", OP_WRITE},
	[MB_OP_MG] = {"mg", OP_READ},
	[MB_OP_MS] = {"ms", OP_WRITE},
	[MB_OP_MD] = {"md", OP_WRITE},
	[MB_OP_MA] = {"ma", OP_WRITE},
	[MB_OP_MN] = {"mn", 0},
	[MB_OP_ME] = {"me", 0},
	[MB_OP_FLUSH_ALL] = {"flush_all", OP_WRITE},
	[MB_OP_STATS] = {"stats", 0},
	[MB_OP_VERSION] = {"version", 0},
	[MB_OP_VERBOSITY] = {"verbosity", 0},
	[MB_OP_OTHER] = {"other", 0},
};

static const char *const proto_names[MB_PROTO_COUNT] = {
	[MB_PROTO_TEXT] = "text", [MB_PROTO_META] = "meta", [MB_PROTO_BINARY] = "binary"};

static const char *const status_names[MB_STATUS_COUNT] = {
	[MB_STATUS_NONE] = "none",
	[MB_STATUS_HIT] = "hit",
	[MB_STATUS_MISS] = "miss",
	[MB_STATUS_STORED] = "stored",
	[MB_STATUS_NOT_STORED] = "not_stored",
	[MB_STATUS_EXISTS] = "exists",
	[MB_STATUS_NOT_FOUND] = "not_found",
	[MB_STATUS_DELETED] = "deleted",
	[MB_STATUS_TOUCHED] = "touched",
	[MB_STATUS_OK] = "ok",
	[MB_STATUS_ERROR] = "error",
	[MB_STATUS_CLIENT_ERROR] = "client_error",
	[MB_STATUS_SERVER_ERROR] = "server_error",
	[MB_STATUS_OUT_OF_MEMORY] = "out_of_memory",
};

static const char *const key_mode_names[] = {
	[MB_KEYS_ANON] = "anon", [MB_KEYS_PREFIX] = "prefix", [MB_KEYS_KEPT] = "kept"};

static const char *const clock_names[] = {
	[MB_CLOCK_MONOTONIC] = "monotonic", [MB_CLOCK_TRACE] = "trace",
	[MB_CLOCK_SYNTHETIC] = "synthetic"};

const char *mb_op_name(unsigned op)
{
	return op < MB_OP_COUNT ? op_table[op].name : NULL;
}

int mb_op_from_name(const char *name)
{
	for (unsigned i = 0; i < MB_OP_COUNT; i++)
		if (strcmp(op_table[i].name, name) == 0)
			return (int)i;
	return -1;
}

bool mb_op_is_read(unsigned op)
{
	return op < MB_OP_COUNT && op_table[op].class == OP_READ;
}

bool mb_op_is_write(unsigned op)
{
	return op < MB_OP_COUNT && op_table[op].class == OP_WRITE;
}

const char *mb_proto_name(unsigned proto)
{
	return proto < MB_PROTO_COUNT ? proto_names[proto] : NULL;
}

const char *mb_status_name(unsigned status)
{
	return status < MB_STATUS_COUNT ? status_names[status] : NULL;
}

const char *mb_key_mode_name(unsigned mode)
{
	return mode < COUNT_OF(key_mode_names) ? key_mode_names[mode] : NULL;
}

const char *mb_clock_name(unsigned clock)
{
	return clock < COUNT_OF(clock_names) ? clock_names[clock] : NULL;
}
