/* Twitter cache-trace import (github.com/twitter/cache-trace): text, one request per line, no
 * header, exactly 7 comma-separated columns:
 *
 *   timestamp,anonymized key,key size,value size,client id,operation,TTL
 *   0,nz:u:eeW511W3dcH3de3d15ec,24,302,7,get,0
 *
 * timestamp: whole seconds; key: the anonymized key, used as the key's identity (its bytes go to
 * the writer, kept only with --keep-keys); key size/value size: bytes (the record's key_len and
 * value_len, independent of the anonymized string's length); client id: any string, mapped to
 * dense connection ids in order of first appearance (folded modulo --connections when given);
 * operation: get gets set add replace cas append prepend delete incr decr; TTL: seconds.
 * Empty lines are ignored. Any other deviation is a malformed row.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "import/import.h"
#include "membench/csv.h"
#include "membench/error.h"
#include "membench/num.h"

#define TW_COLS 7

static const char *const tw_col_names[TW_COLS] = {
	"timestamp", "key", "key size", "value size", "client id", "operation", "ttl",
};

static const struct tw_op {
	const char *name;
	size_t len;
	uint8_t op;
} tw_ops[] = {
	{"get", 3, MB_OP_GET},         {"gets", 4, MB_OP_GETS},       {"set", 3, MB_OP_SET},
	{"add", 3, MB_OP_ADD},         {"replace", 7, MB_OP_REPLACE}, {"cas", 3, MB_OP_CAS},
	{"append", 6, MB_OP_APPEND},   {"prepend", 7, MB_OP_PREPEND}, {"delete", 6, MB_OP_DELETE},
	{"incr", 4, MB_OP_INCR},       {"decr", 4, MB_OP_DECR},
};

/* Client id string -> dense id: open addressing, load <= 1/2, entries own a copy of the id. */
struct client_slot {
	uint64_t hash;
	char *name; /* NULL = empty slot */
	size_t len;
	uint32_t id;
};

struct client_map {
	struct client_slot *slots;
	size_t cap, count;
};

static uint64_t fnv1a(const char *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ull;
	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)p[i]) * 0x100000001b3ull;
	return h;
}

static int client_map_grow(struct client_map *m)
{
	size_t ncap = m->cap ? m->cap * 2 : 64;
	struct client_slot *ns = calloc(ncap, sizeof(*ns));
	if (!ns)
		return -ENOMEM;
	for (size_t i = 0; i < m->cap; i++) {
		if (!m->slots[i].name)
			continue;
		size_t j = m->slots[i].hash & (ncap - 1);
		while (ns[j].name)
			j = (j + 1) & (ncap - 1);
		ns[j] = m->slots[i];
	}
	free(m->slots);
	m->slots = ns;
	m->cap = ncap;
	return 0;
}

/* Dense id of a client name, adding it when new. @return 0 or -ENOMEM. */
static int client_map_get(struct client_map *m, const char *p, size_t n, uint32_t *id)
{
	if ((m->count + 1) * 2 > m->cap && client_map_grow(m))
		return -ENOMEM;
	uint64_t h = fnv1a(p, n);
	size_t j = h & (m->cap - 1);
	while (m->slots[j].name) {
		struct client_slot *s = &m->slots[j];
		if (s->hash == h && s->len == n && memcmp(s->name, p, n) == 0) {
			*id = s->id;
			return 0;
		}
		j = (j + 1) & (m->cap - 1);
	}
	char *copy = malloc(n + 1);
	if (!copy)
		return -ENOMEM;
	memcpy(copy, p, n);
	copy[n] = '\0';
	m->slots[j] = (struct client_slot){h, copy, n, (uint32_t)m->count};
	*id = (uint32_t)m->count++;
	return 0;
}

static void client_map_free(struct client_map *m)
{
	for (size_t i = 0; i < m->cap; i++)
		free(m->slots[i].name);
	free(m->slots);
}

static int tw_op_lookup(const char *p, size_t n)
{
	for (size_t i = 0; i < sizeof(tw_ops) / sizeof(tw_ops[0]); i++)
		if (tw_ops[i].len == n && memcmp(tw_ops[i].name, p, n) == 0)
			return tw_ops[i].op;
	return -1;
}

/* One row: 7 fields. @return 0 (pushed or skipped), IMPORT_STOP, or a negative error. */
static int tw_row(struct import_run *run, struct client_map *clients, const char *line,
		  size_t len, uint64_t lineno)
{
	struct mb_csv_field f[TW_COLS];
	size_t nf = mb_csv_split(line, len, ',', f, TW_COLS);
	if (nf != TW_COLS)
		return import_bad_row(run, lineno, "expected %d columns, found %zu", TW_COLS, nf);

	uint64_t ts;
	struct mb_record rec = {0};
	uint32_t client;
	int op;
	if (mb_num_u64(f[0].p, f[0].n, &ts) || ts > IMPORT_TIME_MAX_S)
		return import_bad_value(run, lineno, 1, tw_col_names[0], f[0].p, f[0].n,
					"not a whole number of seconds below 2^33");
	if (f[1].n == 0)
		return import_bad_value(run, lineno, 2, tw_col_names[1], f[1].p, f[1].n, "empty key");
	if (mb_num_u32(f[2].p, f[2].n, &rec.key_len))
		return import_bad_value(run, lineno, 3, tw_col_names[2], f[2].p, f[2].n,
					"not an unsigned 32-bit integer");
	if (mb_num_u32(f[3].p, f[3].n, &rec.value_len))
		return import_bad_value(run, lineno, 4, tw_col_names[3], f[3].p, f[3].n,
					"not an unsigned 32-bit integer");
	if (f[4].n == 0)
		return import_bad_value(run, lineno, 5, tw_col_names[4], f[4].p, f[4].n,
					"empty client id");
	if ((op = tw_op_lookup(f[5].p, f[5].n)) < 0)
		return import_bad_value(run, lineno, 6, tw_col_names[5], f[5].p, f[5].n,
					"unknown operation (expected get, gets, set, add, replace, "
					"cas, append, prepend, delete, incr or decr)");
	if (mb_num_i32(f[6].p, f[6].n, &rec.ttl))
		return import_bad_value(run, lineno, 7, tw_col_names[6], f[6].p, f[6].n,
					"not a 32-bit integer");
	if (client_map_get(clients, f[4].p, f[4].n, &client))
		return -ENOMEM;
	rec.conn_id = run->opt->connections ? client % run->opt->connections : client;
	rec.op = (uint8_t)op;
	rec.proto = MB_PROTO_TEXT;
	rec.status = MB_STATUS_NONE;
	return import_sink_push(run->sink, ts, &rec, f[1].p, f[1].n);
}

int import_twitter(struct import_run *run)
{
	struct client_map clients = {0};
	int rc;
	const char *line;
	size_t len;
	uint64_t lineno;
	while ((rc = import_input_line(run->in, &line, &len, &lineno, run->err,
				       sizeof(run->err))) == 1) {
		run->rows++;
		if ((run->rows & 0xffff) == 0) {
			if (run->interrupted && *run->interrupted) {
				run->stopped = true;
				break;
			}
			if (run->progress)
				run->progress(run);
		}
		if (len == 0) {
			run->rows--;
			continue;
		}
		rc = tw_row(run, &clients, line, len, lineno);
		if (rc)
			break;
	}
	if (rc == IMPORT_STOP || rc == 1)
		rc = 0;
	client_map_free(&clients);
	return rc;
}
