/* libCacheSim oracleGeneral import: a headerless sequence of packed little-endian 24-byte
 * records (plain or zstd):
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
		if (run->interrupted && *run->interrupted)
			break;
		if (run->progress)
			run->progress(run);
	}
cleanup:
	free(buf);
	return rc == IMPORT_STOP ? 0 : rc;
}
