/* Names of the profile's enumerations, one table row per value (the values are pinned by the
 * format, so the tables are indexed by them). The command table is MB_OP_FACTS (membench/ops.h)
 * expanded once. */
#include <string.h>

#include "membench/profile.h"

#define COUNT_OF(a) (sizeof(a) / sizeof((a)[0]))

static const struct mb_op_info op_table[MB_OP_COUNT] = {
#define OP_ROW(id, value, name, cls, flags, text, meta, ms_mode, quiet, bin, binq)         \
	[MB_OP_##id] = {name, text, meta, MB_OPC_##cls, flags, MB_STATUS_##quiet, ms_mode,  \
			MB_BIN_##bin, MB_BIN_##binq},
	MB_OP_FACTS(OP_ROW)
#undef OP_ROW
};

/* The enum is generated from the same rows: as many rows as values (a repeated value would
 * repeat an initializer above, which -Woverride-init reports). */
#define OP_ONE(...) +1
_Static_assert(0 MB_OP_FACTS(OP_ONE) == MB_OP_COUNT, "MB_OP_FACTS values are not dense");
#undef OP_ONE

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

const struct mb_op_info *mb_op_info(unsigned op)
{
	return op < MB_OP_COUNT ? &op_table[op] : NULL;
}

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

bool mb_op_has(unsigned op, unsigned flags)
{
	return op < MB_OP_COUNT && (op_table[op].flags & flags) == flags;
}

enum mb_op_class mb_op_class(unsigned op)
{
	return op < MB_OP_COUNT ? (enum mb_op_class)op_table[op].cls : MB_OPC_OTHER;
}

bool mb_op_is_read(unsigned op)
{
	return mb_op_class(op) == MB_OPC_READ;
}

bool mb_op_is_write(unsigned op)
{
	return mb_op_has(op, MB_OPF_WRITE);
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
