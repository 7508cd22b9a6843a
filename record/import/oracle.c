/* libCacheSim oracleGeneral import: a headerless sequence of packed little-endian 24-byte
 * records (plain, zstd or gzip):
 *
 *   offset 0  u32 time_s             request time, whole seconds
 *   offset 4  u64 obj_id             object identity
 *   offset 12 u32 obj_size           object size, bytes
 *   offset 16 i64 next_access_vtime  index of the object's next request, -1 = none (ignored)
 *
 * Every record becomes a get of obj_id (identity passed as rec->key_id, no key bytes) with
 * value_len = obj_size and key_len = --key-size (the format has no key length). The trace has no
 * clients: records go round-robin over --connections connections (default 1). A file whose
 * length is not a multiple of 24 ends in a malformed row (the trailing bytes).
 *
 * Format check: any bytes make 24-byte records, so before importing, the first read (up to
 * ORACLE_BATCH records) must look like oracleGeneral: either every next_access_vtime in it is -1
 * (a producer that did not compute them), or all of them agree with the obj_ids under one of
 * the conventions in use: the 1-based index of the next request for the same object
 * (libCacheSim traceConv), the 0-based index, or the distance in requests; -1 exactly where the
 * object is not requested again in the window, and for objects not seen again in the window a
 * position past it. Random bytes, a gzip or zstd stream of something else, or an all-zero file
 * fail this at the first record or so; the check costs one pass over the first batch with a
 * 16,384-slot table.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "import/import.h"
#include "membench/error.h"

#define ORACLE_REC 24
#define ORACLE_BATCH 8192 /* records per read */

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t le64(const uint8_t *p)
{
	return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

enum { CONV_ONE_BASED, CONV_ZERO_BASED, CONV_DISTANCE, CONV_COUNT };

/* Where record i's next_access_vtime v points under convention c (an index). */
static int64_t conv_target(int c, size_t i, int64_t v)
{
	return c == CONV_ONE_BASED ? v - 1 : c == CONV_ZERO_BASED ? v : (int64_t)i + v;
}

/* The format check described at the top, over n records. @return 0, or MB_E_PARSE with the
 * reason in run->err. */
static int oracle_check(struct import_run *run, const uint8_t *buf, size_t n)
{
	bool all_none = true;
	for (size_t i = 0; i < n && all_none; i++)
		all_none = (int64_t)le64(buf + i * ORACLE_REC + 16) == -1;
	if (all_none)
		return 0;
	/* nextj[i]: the next record of the same obj_id in the window, or -1 */
	enum { SLOTS = 2 * ORACLE_BATCH };
	int64_t *nextj = malloc(n * sizeof(*nextj));
	struct { uint64_t id; int64_t at; } *tab = calloc(SLOTS, sizeof(*tab));
	if (!nextj || !tab) {
		free(nextj);
		free(tab);
		return -ENOMEM;
	}
	for (size_t k = 0; k < SLOTS; k++)
		tab[k].at = -1;
	for (size_t i = n; i-- > 0;) {
		uint64_t id = le64(buf + i * ORACLE_REC + 4);
		size_t h = (size_t)((id * 0x9e3779b97f4a7c15ull) >> 50) & (SLOTS - 1);
		while (tab[h].at >= 0 && tab[h].id != id)
			h = (h + 1) & (SLOTS - 1);
		nextj[i] = tab[h].at;
		tab[h].id = id;
		tab[h].at = (int64_t)i;
	}
	size_t bad_at[CONV_COUNT] = {0};
	bool ok[CONV_COUNT];
	for (int c = 0; c < CONV_COUNT; c++) {
		ok[c] = true;
		for (size_t i = 0; i < n && ok[c]; i++) {
			int64_t v = (int64_t)le64(buf + i * ORACLE_REC + 16);
			int64_t t = conv_target(c, i, v);
			ok[c] = nextj[i] >= 0 ? v != -1 && t == nextj[i]
					      : v == -1 || (t >= (int64_t)n && t > (int64_t)i);
			bad_at[c] = i;
		}
	}
	int rc = 0;
	if (!ok[CONV_ONE_BASED] && !ok[CONV_ZERO_BASED] && !ok[CONV_DISTANCE]) {
		size_t i = bad_at[CONV_ONE_BASED];
		const uint8_t *r = buf + i * ORACLE_REC;
		char where[80];
		if (nextj[i] >= 0)
			snprintf(where, sizeof(where), "requested again at record %lld",
				 (long long)nextj[i]);
		else
			snprintf(where, sizeof(where), "not requested again in the first %zu records",
				 n);
		snprintf(run->err, sizeof(run->err),
			 "%s: not a libCacheSim oracleGeneral trace: record %zu (byte offset %zu): "
			 "next_access_vtime %lld does not fit obj_id %llu (%s); "
			 "is this another format, or compressed with something other than zstd or "
			 "gzip?", run->opt->path, i, i * ORACLE_REC, (long long)le64(r + 16),
			 (unsigned long long)le64(r + 4), where);
		rc = MB_E_PARSE;
	}
	free(nextj);
	free(tab);
	return rc;
}

int import_oracle(struct import_run *run)
{
	uint8_t *buf = malloc((size_t)ORACLE_REC * ORACLE_BATCH);
	if (!buf)
		return -ENOMEM;
	int rc = 0;
	uint32_t nconn = run->opt->connections ? run->opt->connections : 1, conn = 0;
	struct mb_record rec = {
		.key_len = run->opt->key_size,
		.op = MB_OP_GET,
		.proto = MB_PROTO_TEXT,
		.status = MB_STATUS_NONE,
	};
	for (;;) {
		long got = import_input_read(run->in, buf, (size_t)ORACLE_REC * ORACLE_BATCH,
					     run->err, sizeof(run->err));
		if (got < 0) {
			rc = (int)got;
			goto cleanup;
		}
		size_t whole = (size_t)got / ORACLE_REC;
		if (run->rows == 0 && (rc = oracle_check(run, buf, whole)))
			goto cleanup;
		for (size_t i = 0; i < whole; i++) {
			const uint8_t *r = buf + i * ORACLE_REC;
			rec.key_id = le64(r + 4);
			rec.value_len = le32(r + 12);
			rec.conn_id = conn;
			conn = conn + 1 == nconn ? 0 : conn + 1;
			run->rows++;
			rc = import_sink_push(run->sink, le32(r), &rec, NULL, 0);
			if (rc)
				goto cleanup;
		}
		if ((size_t)got % ORACLE_REC) {
			/* import_input_read is short only at the end: these bytes are the tail. */
			run->rows++;
			rc = import_bad_row(run, run->rows,
					    "record at byte offset %llu: trailing %zu bytes are not a "
					    "whole %d-byte record",
					    (unsigned long long)(run->rows - 1) * ORACLE_REC,
					    (size_t)got % ORACLE_REC, ORACLE_REC);
			goto cleanup;
		}
		if (got == 0)
			break;
		if (run->interrupted && *run->interrupted) {
			run->stopped = true;
			break;
		}
		if (run->progress)
			run->progress(run);
	}
cleanup:
	free(buf);
	return rc == IMPORT_STOP ? 0 : rc;
}
