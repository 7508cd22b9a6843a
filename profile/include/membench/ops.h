/* ops.h: what each memcached command is, in one table (memcached proto_parser.h's CMD_FIELDS).
 *
 * MB_OP_FACTS has one row per enum mb_op value (the values are stored in profiles: pinned, append
 * only). Everything written per command elsewhere derives from it: the enum itself, the names
 * (profile/names.c), the read/write classes the analyzer reports, and the codec's encodings and
 * response expectations (proto/). MB_BIN_OPCODES is the binary protocol's opcode list
 * (memcached protocol_binary.h), the other direction of the table's binary columns: an opcode
 * names the command it carries and whether it is the quiet or key-echoing variant.
 *
 * It lives in mbprofile's public headers because both sides must see it: analyze and replay
 * link mbprofile, and mbproto links mbprofile (docs/ARCHITECTURE.md).
 *
 * Row: X(ID, value, name, class, flags, text, meta, ms_mode, quiet, bin, binq)
 *   ID       enum mb_op is MB_OP_<ID>
 *   value    the pinned enum value
 *   name     report name ("get", "mg", "other")
 *   class    enum mb_op_class, without the MB_OPC_ prefix
 *   flags    MB_OPF_* or 0
 *   text     the text-protocol command word, NULL when the command has no text form
 *   meta     the meta command that carries it (touch is mg with T), NULL when none
 *   ms_mode  ms mode flag letter (M<mode>) of a storage command, else 0
 *   quiet    the outcome a quiet variant (meta q, binary ...Q) leaves unsaid (MB_STATUS_*
 *            without the prefix); NONE when the command has no quiet form
 *   bin      binary opcode (MB_BIN_* without the prefix), NONE when there is no binary form
 *   binq     its quiet opcode (the same opcode when there is no quiet one)
 */
#ifndef MEMBENCH_OPS_H
#define MEMBENCH_OPS_H

/* What a command does to the cache. */
enum mb_op_class {
	MB_OPC_READ,    /* reads a key: get, gets, gat, gats, mg */
	MB_OPC_STORAGE, /* carries a value: set, add, replace, append, prepend, cas, ms */
	MB_OPC_ARITH,   /* incr, decr, ma */
	MB_OPC_DELETE,  /* delete, md */
	MB_OPC_TOUCH,   /* touch */
	MB_OPC_OTHER,   /* mn, me, flush_all, stats, version, verbosity, other */
};

#define MB_OPF_WRITE 0x01     /* changes the cache (Twitter's definition of a write) */
#define MB_OPF_LCS_WRITE 0x02 /* a write for libCacheSim (set, replace, cas) */
#define MB_OPF_TTL 0x04       /* stores an item with its exptime (the "TTL of writes"; touch and
			       * gat only refresh one) */
#define MB_OPF_MULTI 0x08     /* may carry several keys (text get family) */
#define MB_OPF_ADMIN 0x10     /* server-wide, keyless (flush_all, stats, version, verbosity, and
			       * unknown commands) */

#define MB_OPF_WRITE_TTL (MB_OPF_WRITE | MB_OPF_TTL)

/* clang-format off */
#define MB_OP_FACTS(X)                                                                            \
	X(GET,        0, "get",       READ,    MB_OPF_MULTI,                    "get",       "mg", 0,   MISS,    GET,       GETQ)      \
	X(GETS,       1, "gets",      READ,    MB_OPF_MULTI,                    "gets",      "mg", 0,   MISS,    GET,       GETQ)      \
	X(GAT,        2, "gat",       READ,    MB_OPF_MULTI,                    "gat",       "mg", 0,   MISS,    GAT,       GATQ)      \
	X(GATS,       3, "gats",      READ,    MB_OPF_MULTI,                    "gats",      "mg", 0,   MISS,    GAT,       GATQ)      \
	X(SET,        4, "set",       STORAGE, MB_OPF_WRITE_TTL | MB_OPF_LCS_WRITE, "set",   "ms", 'S', STORED,  SET,       SETQ)      \
	X(ADD,        5, "add",       STORAGE, MB_OPF_WRITE_TTL,                "add",       "ms", 'E', STORED,  ADD,       ADDQ)      \
	X(REPLACE,    6, "replace",   STORAGE, MB_OPF_WRITE_TTL | MB_OPF_LCS_WRITE, "replace", "ms", 'R', STORED, REPLACE, REPLACEQ) \
	X(APPEND,     7, "append",    STORAGE, MB_OPF_WRITE,                    "append",    "ms", 'A', STORED,  APPEND,    APPENDQ)   \
	X(PREPEND,    8, "prepend",   STORAGE, MB_OPF_WRITE,                    "prepend",   "ms", 'P', STORED,  PREPEND,   PREPENDQ)  \
	X(CAS,        9, "cas",       STORAGE, MB_OPF_WRITE_TTL | MB_OPF_LCS_WRITE, "cas",   "ms", 'S', STORED,  SET,       SETQ)      \
	X(DELETE,    10, "delete",    DELETE,  MB_OPF_WRITE,                    "delete",    "md", 0,   DELETED, DELETE,    DELETEQ)   \
	X(INCR,      11, "incr",      ARITH,   MB_OPF_WRITE,                    "incr",      "ma", 0,   OK,      INCR,      INCRQ)     \
	X(DECR,      12, "decr",      ARITH,   MB_OPF_WRITE,                    "decr",      "ma", 0,   OK,      DECR,      DECRQ)     \
	X(TOUCH,     13, "touch",     TOUCH,   MB_OPF_WRITE,                    "touch",     "mg", 0,   NONE,    TOUCH,     TOUCH)     \
	X(MG,        14, "mg",        READ,    0,                               NULL,        "mg", 0,   MISS,    NONE,      NONE)      \
	X(MS,        15, "ms",        STORAGE, MB_OPF_WRITE_TTL,                NULL,        "ms", 'S', STORED,  NONE,      NONE)      \
	X(MD,        16, "md",        DELETE,  MB_OPF_WRITE,                    NULL,        "md", 0,   DELETED, NONE,      NONE)      \
	X(MA,        17, "ma",        ARITH,   MB_OPF_WRITE,                    NULL,        "ma", 0,   OK,      NONE,      NONE)      \
	X(MN,        18, "mn",        OTHER,   0,                               NULL,        "mn", 0,   NONE,    NOOP,      NOOP)      \
	X(ME,        19, "me",        OTHER,   0,                               NULL,        "me", 0,   NONE,    NONE,      NONE)      \
	X(FLUSH_ALL, 20, "flush_all", OTHER,   MB_OPF_WRITE | MB_OPF_ADMIN,     "flush_all", NULL, 0,   OK,      FLUSH,     FLUSHQ)    \
	X(STATS,     21, "stats",     OTHER,   MB_OPF_ADMIN,                    "stats",     NULL, 0,   NONE,    STAT,      STAT)      \
	X(VERSION,   22, "version",   OTHER,   MB_OPF_ADMIN,                    "version",   NULL, 0,   NONE,    VERSION,   VERSION)   \
	X(VERBOSITY, 23, "verbosity", OTHER,   MB_OPF_ADMIN,                    "verbosity", NULL, 0,   NONE,    VERBOSITY, VERBOSITY) \
	X(OTHER,     24, "other",     OTHER,   MB_OPF_ADMIN,                    NULL,        NULL, 0,   NONE,    NONE,      NONE)

/* Binary opcodes. Row: X(NAME, code, op, quiet, keyecho): op is the enum mb_op it records as
 * (without MB_OP_), quiet the variant that leaves the outcome in the op's `quiet` column unsaid,
 * keyecho the variant whose response carries the key. */
#define MB_BIN_OPCODES(X)                     \
	X(GET,       0x00, GET,       0, 0)   \
	X(SET,       0x01, SET,       0, 0)   \
	X(ADD,       0x02, ADD,       0, 0)   \
	X(REPLACE,   0x03, REPLACE,   0, 0)   \
	X(DELETE,    0x04, DELETE,    0, 0)   \
	X(INCR,      0x05, INCR,      0, 0)   \
	X(DECR,      0x06, DECR,      0, 0)   \
	X(QUIT,      0x07, OTHER,     0, 0)   \
	X(FLUSH,     0x08, FLUSH_ALL, 0, 0)   \
	X(GETQ,      0x09, GET,       1, 0)   \
	X(NOOP,      0x0a, MN,        0, 0)   \
	X(VERSION,   0x0b, VERSION,   0, 0)   \
	X(GETK,      0x0c, GET,       0, 1)   \
	X(GETKQ,     0x0d, GET,       1, 1)   \
	X(APPEND,    0x0e, APPEND,    0, 0)   \
	X(PREPEND,   0x0f, PREPEND,   0, 0)   \
	X(STAT,      0x10, STATS,     0, 0)   \
	X(SETQ,      0x11, SET,       1, 0)   \
	X(ADDQ,      0x12, ADD,       1, 0)   \
	X(REPLACEQ,  0x13, REPLACE,   1, 0)   \
	X(DELETEQ,   0x14, DELETE,    1, 0)   \
	X(INCRQ,     0x15, INCR,      1, 0)   \
	X(DECRQ,     0x16, DECR,      1, 0)   \
	X(QUITQ,     0x17, OTHER,     1, 0)   \
	X(FLUSHQ,    0x18, FLUSH_ALL, 1, 0)   \
	X(APPENDQ,   0x19, APPEND,    1, 0)   \
	X(PREPENDQ,  0x1a, PREPEND,   1, 0)   \
	X(VERBOSITY, 0x1b, VERBOSITY, 0, 0)   \
	X(TOUCH,     0x1c, TOUCH,     0, 0)   \
	X(GAT,       0x1d, GAT,       0, 0)   \
	X(GATQ,      0x1e, GAT,       1, 0)   \
	X(SASL_LIST, 0x20, OTHER,     0, 0)   \
	X(SASL_AUTH, 0x21, OTHER,     0, 0)   \
	X(SASL_STEP, 0x22, OTHER,     0, 0)   \
	X(GATK,      0x23, GAT,       0, 1)   \
	X(GATKQ,     0x24, GAT,       1, 1)
/* clang-format on */

/* MB_BIN_GET = 0x00, ...; MB_BIN_NONE: the command has no binary form. */
enum mb_bin_opcode {
#define MB_BIN_ENUM_(name, code, op, quiet, keyecho) MB_BIN_##name = code,
	MB_BIN_OPCODES(MB_BIN_ENUM_)
#undef MB_BIN_ENUM_
	MB_BIN_NONE = 0x100
};

#endif
