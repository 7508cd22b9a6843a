/* membench profile library: the only way record, analyze and replay touch .mbp files.
 *
 * A profile is a header (metadata), a sequence of independently decompressible zstd blocks
 * (records by column, and key tables), an index and a stats trailer. The byte layout is in
 * profile/FORMAT.md; this header is the contract for the code that produces and consumes it.
 *
 * Records: one struct mb_record per request key. A multi-key get becomes one record per key,
 * consecutive, the first without and the rest with MB_RF_BATCH_CONT, so replay can send them as one
 * command again and analysis still counts every key.
 *
 * Keys: producers identify keys either by their bytes (mb_profile_writer_append with key != NULL)
 * or by a 64-bit identity of their own (key == NULL, rec->key_id: an obj_id from a trace, a rank
 * from a generator). The writer maps identities to dense ids 0, 1, 2, ... in first-seen order;
 * readers always see dense ids. By default (MB_KEYS_ANON) no key bytes are written, only each
 * key's id and length; MB_KEYS_PREFIX also keeps the namespace prefix up to a delimiter;
 * MB_KEYS_KEPT stores the raw bytes. Each key's bytes are stored once, in key-table blocks that
 * precede the first record block using the key. Values are never stored, only their lengths.
 *
 * Errors: every int-returning call returns 0 or a negative code (membench/error.h); calls that
 * take `char *err, size_t errlen` also write a message naming the file and byte offset at fault.
 * Thread safety: a writer or reader is used by one thread at a time; open one reader per thread
 * to scan blocks in parallel.
 */
#ifndef MEMBENCH_PROFILE_H
#define MEMBENCH_PROFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "membench/ops.h"

#define MB_PROFILE_VERSION_MAJOR 1
#define MB_PROFILE_VERSION_MINOR 1

/* Commands. Values are stored in profiles: pinned, append only. One row each in
 * MB_OP_FACTS (membench/ops.h), which also says what each command is. */
enum mb_op {
#define MB_OP_ENUM_(id, value, ...) MB_OP_##id = value,
	MB_OP_FACTS(MB_OP_ENUM_)
#undef MB_OP_ENUM_
	MB_OP_COUNT
};

/* Wire protocol a request used. Stored: pinned. */
enum mb_proto {
	MB_PROTO_TEXT = 0,
	MB_PROTO_META = 1,
	MB_PROTO_BINARY = 2,
	MB_PROTO_COUNT
};

/* Outcome of a request, when its response was seen. Stored: pinned, append only. */
enum mb_status {
	MB_STATUS_NONE = 0,        /* no response seen (noreply, quiet, capture ended, imported) */
	MB_STATUS_HIT = 1,         /* read found the key (VALUE / VA / binary get success) */
	MB_STATUS_MISS = 2,        /* read did not find the key (no VALUE before END / EN) */
	MB_STATUS_STORED = 3,
	MB_STATUS_NOT_STORED = 4,
	MB_STATUS_EXISTS = 5,
	MB_STATUS_NOT_FOUND = 6,
	MB_STATUS_DELETED = 7,
	MB_STATUS_TOUCHED = 8,
	MB_STATUS_OK = 9,          /* other success: OK, HD, numeric incr/decr result, STAT ... END */
	MB_STATUS_ERROR = 10,      /* ERROR (unknown command) */
	MB_STATUS_CLIENT_ERROR = 11,
	MB_STATUS_SERVER_ERROR = 12,
	MB_STATUS_OUT_OF_MEMORY = 13, /* SERVER_ERROR out of memory / binary ENOMEM */
	MB_STATUS_COUNT
};

/* Record flags (struct mb_record.rflags). Stored: pinned; unknown bits must be zero. */
#define MB_RF_NOREPLY 0x01      /* text noreply, meta q, binary quiet variant */
#define MB_RF_BATCH_CONT 0x02   /* continues the multi-key command of the previous record */
#define MB_RF_HAS_RESPONSE 0x04 /* status and latency_ns are from a captured response */
/* Format 1.1: the storage request's value was an unsigned decimal number of at most 20 digits
 * (what incr/decr and meta arithmetic accept). Stored in the record's extras block (FORMAT.md),
 * not in the 1.0 rflags column, so a 1.0 reader reads the file without it. */
#define MB_RF_NUMERIC 0x08
#define MB_RF_KNOWN_MASK 0x0F
#define MB_RF_COLUMN_MASK 0x07  /* the bits the 1.0 rflags column holds */

/* Key id of keyless commands (stats, version, flush_all, mn, ...). */
#define MB_KEY_NONE UINT64_MAX

/* Format limits (profile/FORMAT.md, "Limits"): longest key_len and stored key; most records
 * per block a writer may be asked for. */
#define MB_PROFILE_MAX_KEY_LEN 65535u
#define MB_PROFILE_MAX_BLOCK_RECORDS (1u << 20)

struct mb_record {
	uint64_t time_ns;     /* request time, ns since the profile's start (meta.start_wall_ns) */
	uint64_t key_id;      /* reader: dense id (0..nkeys-1) or MB_KEY_NONE; writer: see above */
	uint64_t latency_ns;  /* response time - request time when MB_RF_HAS_RESPONSE, else 0 */
	uint32_t conn_id;     /* connection, dense in order of first appearance */
	uint32_t key_len;     /* key length in bytes */
	uint32_t value_len;   /* storage: request body; reads: response body of a hit; else 0 */
	uint32_t client_flags;
	int32_t ttl;          /* exptime as sent (seconds, or unix time > 30 days); 0 = none */
	uint8_t op;           /* enum mb_op */
	uint8_t proto;        /* enum mb_proto */
	uint8_t status;       /* enum mb_status */
	uint8_t rflags;       /* MB_RF_* */
	/* Format 1.1, meta requests: the request's flags (FORMAT.md, "Extras block"). Writer: how
	 * many of the key_bytes given to mb_profile_writer_append are the flag text that follows
	 * the key (0 = none, at most MB_PROFILE_MAX_META_FLAGS). Reader: an id for
	 * mb_profile_reader_meta_flags (0 = none). */
	uint32_t meta_flags;
	uint32_t spare;       /* 0: keeps the struct free of padding (records compare by memcmp) */
};

/* Longest meta flag text a record keeps. */
#define MB_PROFILE_MAX_META_FLAGS 255u

/* How timestamps were taken. Stored: pinned. */
enum mb_clock {
	MB_CLOCK_MONOTONIC = 0, /* kernel CLOCK_MONOTONIC (live capture) */
	MB_CLOCK_TRACE = 1,     /* an imported trace's own timestamps */
	MB_CLOCK_SYNTHETIC = 2, /* generated by a workload model */
};

/* What is kept of key bytes. Stored: pinned. */
enum mb_key_mode {
	MB_KEYS_ANON = 0,   /* identity and length only */
	MB_KEYS_PREFIX = 1, /* identity, length and the prefix up to (and including) key_delim */
	MB_KEYS_KEPT = 2,   /* raw key bytes */
};

#define MB_META_TEXT_MAX 1024

/* Profile header metadata. Text fields are NUL-terminated UTF-8; empty means unknown. */
struct mb_profile_meta {
	char creator[128];             /* "membench-record 0.1.0 (v0.1.0-4-gabc)" */
	char source[MB_META_TEXT_MAX]; /* "ebpf:any", "twitter:/data/c12.zst", "synth:zipf" */
	char params[MB_META_TEXT_MAX]; /* generator/import parameters, "key=value key=value" */
	char capture[MB_META_TEXT_MAX];/* capture options: ports, filters, caps, as "key=value" */
	char host[256];                /* hostname where recorded or generated */
	int64_t start_wall_ns;         /* unix time (ns) of time_ns == 0 */
	uint64_t start_clock_ns;       /* value of `clock` at time_ns == 0 (0 if not applicable) */
	uint8_t clock;                 /* enum mb_clock */
	uint8_t key_mode;              /* enum mb_key_mode */
	char key_delim;                /* prefix delimiter for MB_KEYS_PREFIX, e.g. ':' */
	uint32_t max_event_bytes;      /* capture's per-event byte cap, 0 = none/not applicable */
	double sample_ratio;           /* fraction of traffic kept, 1.0 = all */
};

/* Stats trailer: what was recorded and everything the capture lost. */
struct mb_profile_stats {
	uint64_t records;          /* filled by the writer */
	uint64_t keys;             /* distinct keys, filled by the writer */
	uint64_t connections;      /* distinct conn_ids, filled by the writer */
	uint64_t requests;         /* commands (a multiget counts once) */
	uint64_t responses;        /* responses paired with requests */
	uint64_t ring_drops;       /* kernel ring-buffer events lost */
	uint64_t truncated_bytes;  /* bytes not copied because of the per-event cap */
	uint64_t stream_gaps;      /* gaps in a connection's byte stream */
	uint64_t gap_bytes;        /* bytes lost in those gaps */
	uint64_t protocol_errors;  /* unparsable commands/responses */
	uint64_t resync_bytes;     /* bytes skipped while resynchronising */
	uint64_t unpaired_responses;
	uint64_t skipped_rows;     /* import: malformed rows skipped with --skip-bad */
	uint64_t events;           /* capture events processed */
};

/* ---- writer ---------------------------------------------------------------------------- */

struct mb_profile_writer;

struct mb_profile_writer_opts {
	int zstd_level;          /* 0 = default (3) */
	uint32_t block_records;  /* records per block, 0 = default (65536) */
};

/* Creates path (mode 0600, truncating) and writes the header.
 * @return 0, -errno (open/write), MB_E_USAGE (bad meta/opts). */
int mb_profile_writer_open(struct mb_profile_writer **out, const char *path,
			   const struct mb_profile_meta *meta,
			   const struct mb_profile_writer_opts *opts, char *err, size_t errlen);

/* Appends one record. key/key_bytes: the key's bytes (identity = the bytes) or NULL (identity =
 * rec->key_id; MB_KEY_NONE for keyless). rec->key_len is the key's length either way. Records
 * should come in non-decreasing time_ns order; any order is stored exactly, but time-range
 * reads use per-block min/max only. Every field round-trips exactly; the dense id replaces
 * key_id. Cost: a copy and, for key bytes, one hash; every block_records records the block's
 * keys are mapped to dense ids (batched) and the block is compressed and written.
 * @return 0, -errno (write), -ENOMEM, MB_E_ZSTD, MB_E_LIMIT (2^32 - 1 distinct keys),
 *         MB_E_USAGE (bad op/proto/status/rflags, key_len or key_bytes > MB_PROFILE_MAX_KEY_LEN).
 *         Errors from writing a block come from the append that fills it (or flush/close).
 *         Errors other than MB_E_USAGE are sticky: later calls return them too. */
int mb_profile_writer_append(struct mb_profile_writer *w, const struct mb_record *rec,
			     const void *key, size_t key_bytes);

/* Appends one record whose key is identified by rec->key_id (as with key == NULL above) and
 * whose stored key bytes are given as they are to be kept: for re-writing a profile, whose
 * prefix-mode keys are only their prefix. The stored bytes are ignored in key mode anon; they
 * are stored as given (not cut at the delimiter). As in mb_profile_writer_append, the last
 * rec->meta_flags of the stored_bytes are the meta flag text (so a text can be given in
 * every key mode). Same returns as mb_profile_writer_append. */
int mb_profile_writer_append_stored(struct mb_profile_writer *w, const struct mb_record *rec,
				    const void *stored, size_t stored_bytes);

/* The dense id the writer gave the key with these bytes (the `#id` membench analyze shows for
 * an anonymous key), once the block that introduced the key has been written (a full block or
 * mb_profile_writer_flush): for a live view that names keys as the profile will (record --top).
 * key/key_bytes as given to mb_profile_writer_append, without meta flag text. Cost: one hash
 * and one table probe; nothing is inserted.
 * @return 0 (*id set), or -ENOENT (never appended by bytes, or only since the last block). */
int mb_profile_writer_key_id(const struct mb_profile_writer *w, const void *key,
			     size_t key_bytes, uint64_t *id);

/* Adds capture counters to the trailer (summed over calls; records/keys/connections ignored). */
void mb_profile_writer_add_stats(struct mb_profile_writer *w, const struct mb_profile_stats *s);

/* Flushes the current block to disk (so a SIGKILL loses at most what came after).
 * @return 0, -errno, MB_E_ZSTD. */
int mb_profile_writer_flush(struct mb_profile_writer *w);

/* Writes the last block, the index and the trailer, closes the file and frees w (always).
 * @return 0, -errno, MB_E_ZSTD. */
int mb_profile_writer_close(struct mb_profile_writer *w, char *err, size_t errlen);

/* Bytes written to the file so far. */
uint64_t mb_profile_writer_bytes(const struct mb_profile_writer *w);

/* ---- reader ---------------------------------------------------------------------------- */

struct mb_profile_reader;

/* Index entry of one record block. */
struct mb_profile_block_info {
	uint64_t file_offset;
	uint64_t first_time_ns, last_time_ns; /* min and max time_ns in the block */
	uint32_t records;
	uint32_t compressed_bytes;
};

/* Opens and validates the header; reads the index and trailer if present, and loads every key
 * table (so any block can be decoded on its own, and mb_profile_reader_key answers for every
 * key, right after open). A file without a valid footer/index (cut short, or damaged there) is
 * opened by a sequential scan that keeps every complete, valid block and is flagged as
 * truncated; err then holds a warning ("x.mbp: warning: no valid index (...); read 6 complete
 * record blocks sequentially, 205 bytes from offset 974 lost (...)"), else err is "".
 * Cost: O(blocks + keys) with an index; a scan also decodes every record block once.
 * @return 0, -errno, MB_E_NOT_PROFILE, MB_E_VERSION (message names both versions),
 *         MB_E_LIMIT (header metadata over 64 KiB), MB_E_CORRUPT, MB_E_CHECKSUM (header or a key
 *         table damaged: the message names the offset), MB_E_TRUNCATED (not even a complete
 *         header), -ENOMEM. */
int mb_profile_reader_open(struct mb_profile_reader **out, const char *path, char *err,
			   size_t errlen);
void mb_profile_reader_close(struct mb_profile_reader *r);

const struct mb_profile_meta *mb_profile_reader_meta(const struct mb_profile_reader *r);
/* Trailer stats; records and keys are recomputed from the blocks read if the trailer is
 * missing (truncated file); connections and the capture counters are then 0. */
const struct mb_profile_stats *mb_profile_reader_stats(const struct mb_profile_reader *r);
/* Format version of the file. */
void mb_profile_reader_version(const struct mb_profile_reader *r, unsigned *major,
			       unsigned *minor);
/* True when the file had no valid index/trailer (cut short); *lost_bytes is how many bytes
 * after the last complete block could not be used. */
bool mb_profile_reader_truncated(const struct mb_profile_reader *r, uint64_t *lost_bytes);

size_t mb_profile_reader_block_count(const struct mb_profile_reader *r);
const struct mb_profile_block_info *mb_profile_reader_block(const struct mb_profile_reader *r,
							   size_t i);
/* Index of the first block whose last_time_ns >= t (block_count() if none). O(blocks): a
 * linear scan, since blocks overlap in time when records came out of order. */
size_t mb_profile_reader_seek_time(const struct mb_profile_reader *r, uint64_t t_ns);

/* Positions the sequential reader (mb_profile_reader_read) at block i (0 = start;
 * block_count() = the end). @return 0, MB_E_USAGE. */
int mb_profile_reader_rewind(struct mb_profile_reader *r, size_t block);

/* Reads up to cap records into buf in file order (record order within the file = append
 * order). Records may cross block boundaries within one call. A damaged block stops the
 * read there: records before it are returned first, the error on the next call (and again on
 * every later call; rewind past it to go on).
 * @return the number read (0 at the end), or a negative error (MB_E_CORRUPT, MB_E_CHECKSUM,
 *         MB_E_ZSTD, -errno) with the message in the reader's last error. */
long mb_profile_reader_read(struct mb_profile_reader *r, struct mb_record *buf, size_t cap);

/* Decodes block i of the index into an internal array valid until the next call on r; *n is
 * the block's record count (mb_profile_reader_block(r, i)->records). Independent of the
 * sequential cursor of mb_profile_reader_read. For parallel scans open one reader per thread.
 * @return 0, MB_E_USAGE (i out of range), MB_E_CHECKSUM, MB_E_CORRUPT, MB_E_TRUNCATED, -errno,
 *         -ENOMEM; the message (naming the block's offset) is in mb_profile_reader_errmsg. */
int mb_profile_reader_read_block(struct mb_profile_reader *r, size_t i,
				 const struct mb_record **recs, size_t *n);

/* Key bytes stored for dense id (MB_KEYS_PREFIX: the prefix up to and including the
 * delimiter, empty if the key had none; MB_KEYS_KEPT: the key, empty if the producer gave only
 * a key_id). Every key table is loaded at open. *bytes is not NUL-terminated and stays valid
 * until mb_profile_reader_close.
 * @return 0, or MB_E_USAGE when id is unknown or the profile keeps no key bytes (anon). */
int mb_profile_reader_key(const struct mb_profile_reader *r, uint64_t id, const char **bytes,
			  uint32_t *len);
/* The meta flag text of a record's meta_flags id: the flag tokens of a meta request after its
 * key (ms: after the data length), space-separated, as sent, except that O, C and E carry no
 * value (the replayer supplies its own). *bytes is not NUL-terminated and stays valid until
 * mb_profile_reader_close. @return 0, or MB_E_USAGE for id 0 or an unknown id. */
int mb_profile_reader_meta_flags(const struct mb_profile_reader *r, uint32_t id,
				 const char **bytes, uint32_t *len);
/* Distinct keys known to the reader: dense ids are 0 .. count-1. */
uint64_t mb_profile_reader_key_count(const struct mb_profile_reader *r);

/* Prints the header metadata, format version, damage (every record block is decoded to find
 * it: mb_profile_reader_verify), index (one line per block, damaged ones marked) and trailer
 * stats in readable text (`membench analyze --info FILE`). */
void mb_profile_reader_print_info(struct mb_profile_reader *r, FILE *out);

/* ---- damage: one rule for every binary (README, "Exit codes") ---------------------------
 * A profile is damaged when it was cut short or its end is damaged (no valid footer, index or
 * trailer: opened by a scan, mb_profile_reader_truncated) or when a record block fails its
 * checks (checksum, structure, zstd). Every binary refuses damaged data (exit 3, the message
 * naming the file, the damage and MB_PROFILE_ALLOW_DAMAGED) unless given that flag; with it,
 * the complete, valid blocks are used and a warning says what was left out. A file cut short is
 * damaged too (its stats trailer, with what the capture lost, is missing): a recorder killed
 * with SIGKILL leaves one, readable with the flag. */
#define MB_PROFILE_ALLOW_DAMAGED "--allow-damaged"

struct mb_profile_damage {
	bool cut_short;        /* no valid index/trailer (mb_profile_reader_truncated) */
	uint64_t lost_bytes;   /* of a file cut short: bytes after its last valid block */
	uint64_t bad_blocks;   /* record blocks found damaged so far (each counted once) */
	uint64_t bad_records;  /* records the index gives those blocks */
};

/* Skip mode (off by default): mb_profile_reader_read goes on past a damaged record block and
 * mb_profile_reader_read_block returns 0 with no records for one; the block is counted in the
 * damage. I/O errors and -ENOMEM still fail. */
void mb_profile_reader_skip_damaged(struct mb_profile_reader *r, bool skip);
/* Decodes every record block, counting the damaged ones (cost: one pass over the file).
 * @return the number of damaged record blocks, or -errno / -ENOMEM. */
long mb_profile_reader_verify(struct mb_profile_reader *r);
/* True when record block i was found damaged (by a read in skip mode, or by verify). */
bool mb_profile_reader_block_damaged(const struct mb_profile_reader *r, size_t i);
/* Fills *d (may be NULL) with the damage known so far: cut short at open, blocks found by reads
 * in skip mode or by verify. msg (may be NULL) gets one line without a trailing newline, "" when
 * there is none ("x.mbp is damaged: 1 of 9 record blocks failed their checks and were left out
 * (4096 records; first: block at offset 8123: checksum mismatch)"). @return true when damaged. */
bool mb_profile_reader_damage(const struct mb_profile_reader *r, struct mb_profile_damage *d,
			      char *msg, size_t len);
/* The rule at open: sets skip mode to `allow`; when the file was cut short, msg gets its
 * description, and without `allow` also the flag to pass. @return 0 (msg, if not "", is a
 * warning to print), or MB_E_TRUNCATED (refused: msg is the error). */
int mb_profile_reader_allow_damaged(struct mb_profile_reader *r, bool allow, char *msg,
				    size_t len);
/* What to append to the message of a read error err: "; pass --allow-damaged to ..." for damage
 * (MB_E_CHECKSUM, MB_E_CORRUPT, MB_E_ZSTD, MB_E_TRUNCATED), else "". */
const char *mb_profile_damage_hint(int err);

/* Message of the last error or warning ("prod.mbp: block at offset 81234: checksum mismatch"). */
const char *mb_profile_reader_errmsg(const struct mb_profile_reader *r);

/* ---- names ----------------------------------------------------------------------------- */

/* One command's facts, the row of MB_OP_FACTS (membench/ops.h) for its value. */
struct mb_op_info {
	const char *name;  /* "get", "mg", "flush_all", ... */
	const char *text;  /* text-protocol command word, NULL when none */
	const char *meta;  /* meta command carrying it, NULL when none */
	uint8_t cls;       /* enum mb_op_class */
	uint8_t flags;     /* MB_OPF_* */
	uint8_t quiet;     /* enum mb_status a quiet variant leaves unsaid (NONE: no quiet form) */
	char ms_mode;      /* ms M<mode> letter of a storage command, else 0 */
	uint16_t bin, binq; /* binary opcode and its quiet variant; MB_BIN_NONE: no binary form */
};

/* The facts of op; NULL for an out-of-range value. */
const struct mb_op_info *mb_op_info(unsigned op);
/* "get", "mg", "flush_all", ...; NULL for an out-of-range value. */
const char *mb_op_name(unsigned op);
/* Inverse of mb_op_name (record --ops); -1 if unknown. */
int mb_op_from_name(const char *name);
/* True when op is in range and has every MB_OPF_* bit of flags. */
bool mb_op_has(unsigned op, unsigned flags);
/* enum mb_op_class of op; MB_OPC_OTHER for an out-of-range value. */
enum mb_op_class mb_op_class(unsigned op);
const char *mb_proto_name(unsigned proto);     /* "text", "meta", "binary" */
const char *mb_status_name(unsigned status);   /* "none", "hit", "miss", "stored", ... */
const char *mb_key_mode_name(unsigned mode);   /* "anon", "prefix", "kept" */
const char *mb_clock_name(unsigned clock);     /* "monotonic", "trace", "synthetic" */
/* True for commands that read a key (class MB_OPC_READ: get, gets, gat, gats, mg). */
bool mb_op_is_read(unsigned op);
/* True for commands that change the cache (MB_OPF_WRITE, Twitter's definition of a write: set,
 * add, replace, append, prepend, cas, delete, incr, decr, touch, ms, md, ma, flush_all).
 * libCacheSim counts only set, replace and cas as writes (MB_OPF_LCS_WRITE); the analyzer
 * reports both. */
bool mb_op_is_write(unsigned op);

#endif
