/* Record filters shared by the record sources (docs/import.md, "Filters"): a time window
 * (--from/--to: offsets from the start like 30s or 1m30s, or wall-clock times in ISO 8601), a
 * set of commands (--ops get,set), a key prefix (--key-prefix-only P) and a set of connections
 * (--connections 0,3-5), and a sample (--sample 1/N by key or by connection: a record is kept
 * when a hash of its key, or of its connection, is 0 mod N, so a key is kept or dropped as a
 * whole). --ops also keeps its older meaning on every source: a bare number is a request count
 * ("stop after N requests").
 *
 * Which source takes which filter is decided by the source (profile: all of them; twitter: and
 * cachelib: all; oracle: the window, --ops and --connections; synth: none); the filter itself
 * only parses, describes and matches. The window is resolved against a start time once it is
 * known (record_filter_window); matching by command, connection and key prefix is per record.
 */
#ifndef MB_RECORD_FILTER_H
#define MB_RECORD_FILTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "membench/profile.h"

#define RECORD_FILTER_MAX_RANGES 256 /* connection ranges in one --connections list */

/* One end of the time window as given: an offset from the start, or a unix time. */
struct record_time {
	bool set;
	bool wall;    /* ns is unix time (ns), else an offset from the start */
	int64_t ns;
	const char *text; /* as given, for the header */
};

struct record_conn_range {
	uint32_t lo, hi; /* inclusive */
};

struct record_filter {
	struct record_time from, to;
	uint32_t ops;           /* bit (1 << enum mb_op) per kept command; 0 = every command */
	const char *ops_text;
	uint64_t max_requests;  /* --ops N: stop after N requests; 0 = no limit */
	const char *key_prefix; /* keep keys starting with these bytes; NULL = every key */
	size_t key_prefix_len;
	struct record_conn_range conns[RECORD_FILTER_MAX_RANGES];
	size_t nconns;          /* 0 = every connection */
	const char *conns_text;
	uint64_t sample_n;      /* --sample 1/N; 0 or 1 = everything */
	bool sample_by_conn;    /* --sample-by connection (default: key) */
	const char *sample_text;
};

/* Parses one filter option: name is "from", "to", "ops", "key-prefix-only", "connections",
 * "sample" or "sample-by".
 * Prints "membench record: bad value for --NAME: 'V' (expected ...)" on a bad value.
 * The strings must outlive f (argv does).
 * @return 0, or MB_E_USAGE. */
int record_filter_set(struct record_filter *f, const char *name, const char *value);

/* True when any filter other than the request count is set. */
bool record_filter_active(const struct record_filter *f);

/* Resolves the window against the unix time (ns) of offset 0: *from (0 when unset) and *to
 * (UINT64_MAX when unset) become offsets; a wall time before the start becomes 0.
 * @return 0, or MB_E_USAGE when a wall time is given but start_wall_ns is 0 (unknown). */
int record_filter_window(const struct record_filter *f, int64_t start_wall_ns, uint64_t *from,
			 uint64_t *to);

/* Command, connection and key-prefix test (not the window). key may be NULL (no key bytes
 * known): then only a filter without key prefix keeps the record. */
bool record_filter_keep(const struct record_filter *f, const struct mb_record *r,
			const void *key, size_t key_bytes);

/* The --sample test: key is the key's identity as bytes (whole keys), or NULL to use
 * rec->key_id; by connection, rec->conn_id. True when there is no sample. */
bool record_filter_sample(const struct record_filter *f, const struct mb_record *r,
			  const void *key, size_t key_bytes);

/* Appends " from=.. to=.. ops=.. key-prefix-only=.. connections=.. sample=.." (what is set) to
 * buf, NUL-terminated, truncated to len. */
void record_filter_describe(const struct record_filter *f, char *buf, size_t len);

/* Compound duration "1m30s", "500ms", "2h", "90" (bare number: seconds) in ns.
 * @return 0, or MB_E_USAGE. */
int record_parse_offset(const char *s, uint64_t *ns);

/* Wall-clock time: ISO 8601 "2026-12-02T01:30:00Z", with fraction ".25", a "+02:00" offset or
 * none (UTC), 'T' or a space between date and time; or "@1764639000.5" (unix seconds).
 * @return 0, or MB_E_USAGE. */
int record_parse_wall(const char *s, int64_t *ns);

#endif
