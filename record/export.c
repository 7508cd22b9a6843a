/* Profile -> Twitter cache-trace CSV or libCacheSim oracleGeneral (docs/import.md, "Output
 * formats").
 *
 * Twitter: one line per request, "timestamp,key,key size,value size,client id,operation,ttl":
 * timestamp = whole unix seconds of the request (start_wall_ns + time_ns; a profile without a
 * unix start counts from 0); key = the kept key bytes when the profile has them and they contain
 * no ',', '\r' or '\n', else the stored prefix followed by the dense key id (key mode prefix),
 * else the dense id in decimal; client id = the connection id; operation: the text commands as
 * they are, meta and touch-less variants folded onto their text equivalent (mg get, ms set,
 * md delete, ma incr, gat get, gats gets); ttl: the request's, 0 for reads. Records with a
 * command the format has no word for (touch, and keyless commands) are left out and counted.
 *
 * oracleGeneral: packed little-endian {u32 time_s, u64 obj_id, u32 obj_size,
 * i64 next_access_vtime} per request with a key, in profile order. obj_id is the dense key id;
 * obj_size is the request's value size, or, when it has none (a miss, a delete), the first
 * non-zero value size the key has anywhere in the profile (0 if never). next_access_vtime is the
 * 1-based index of the next request for the same object, -1 if none: the convention of
 * libCacheSim's traceConv ("reference count starts with 1"). It needs the future, so the records
 * are written backwards: pass 1 reads every block forward and counts its requests with a key
 * (so each block's place in the output is known) and each key's first size; pass 2 decodes the
 * blocks from last to first, walks each backwards keeping next[key], and writes the block's
 * records at their offset with pwrite. Memory: 12 bytes per distinct key (next index, size), 8
 * per block, one decoded block; the file itself is never held. A .zst output is first written
 * plain to a temporary file beside it, then stream-compressed and the temporary removed.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zstd.h>

#include "export.h"
#include "membench/error.h"
#include "membench/profile.h"

#define OUT_BUF (1u << 20)
#define TW_LINE_MAX (64 + 2 * 65536 + 64) /* longest Twitter line: key bytes escaped never */
#define ORACLE_REC 24

static const char *const format_names[] = {
	[RECORD_FORMAT_MBP] = "mbp",
	[RECORD_FORMAT_TWITTER] = "twitter",
	[RECORD_FORMAT_ORACLE] = "oracle",
};

int record_format_parse(const char *s, enum record_format *f)
{
	for (size_t i = 0; i < sizeof(format_names) / sizeof(format_names[0]); i++) {
		if (strcmp(s, format_names[i]) == 0) {
			*f = (enum record_format)i;
			return 0;
		}
	}
	return MB_E_USAGE;
}

const char *record_format_name(enum record_format f)
{
	return format_names[f];
}

/* Twitter's word for each command, NULL = left out. */
static const char *const tw_words[MB_OP_COUNT] = {
	[MB_OP_GET] = "get",         [MB_OP_GETS] = "gets",     [MB_OP_GAT] = "get",
	[MB_OP_GATS] = "gets",       [MB_OP_SET] = "set",       [MB_OP_ADD] = "add",
	[MB_OP_REPLACE] = "replace", [MB_OP_APPEND] = "append", [MB_OP_PREPEND] = "prepend",
	[MB_OP_CAS] = "cas",         [MB_OP_DELETE] = "delete", [MB_OP_INCR] = "incr",
	[MB_OP_DECR] = "decr",       [MB_OP_MG] = "get",        [MB_OP_MS] = "set",
	[MB_OP_MD] = "delete",       [MB_OP_MA] = "incr",
};

/* Buffered output to a file, zstd-compressed or not. */
struct out {
	const char *path;
	int fd;
	ZSTD_CCtx *cctx; /* NULL = plain */
	char *buf, *zbuf;
	size_t len, zcap;
	char *err;
	size_t errlen;
};

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && strcmp(s + n - m, suffix) == 0;
}

static int write_all(struct out *o, const void *p, size_t n)
{
	const char *c = p;
	while (n) {
		ssize_t k = write(o->fd, c, n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			int e = errno;
			snprintf(o->err, o->errlen, "cannot write %s: %s", o->path, strerror(e));
			return -e;
		}
		c += k;
		n -= (size_t)k;
	}
	return 0;
}

/* Writes (compresses) the buffer; with end, also ends the zstd frame. */
static int out_flush(struct out *o, bool end)
{
	if (!o->cctx) {
		int rc = write_all(o, o->buf, o->len);
		o->len = 0;
		return rc;
	}
	ZSTD_inBuffer in = {o->buf, o->len, 0};
	size_t left;
	do {
		ZSTD_outBuffer ob = {o->zbuf, o->zcap, 0};
		left = ZSTD_compressStream2(o->cctx, &ob, &in, end ? ZSTD_e_end : ZSTD_e_continue);
		if (ZSTD_isError(left)) {
			snprintf(o->err, o->errlen, "%s: zstd: %s", o->path, ZSTD_getErrorName(left));
			return MB_E_ZSTD;
		}
		int rc = write_all(o, o->zbuf, ob.pos);
		if (rc)
			return rc;
	} while (end ? left != 0 : in.pos < in.size);
	o->len = 0;
	return 0;
}

static int out_open(struct out *o, const char *path, bool zstd, char *err, size_t errlen)
{
	memset(o, 0, sizeof(*o));
	o->path = path;
	o->err = err;
	o->errlen = errlen;
	o->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (o->fd < 0) {
		int e = errno;
		snprintf(err, errlen, "cannot create %s: %s", path, strerror(e));
		return -e;
	}
	o->buf = malloc(OUT_BUF);
	if (!o->buf)
		return -ENOMEM;
	if (zstd) {
		o->cctx = ZSTD_createCCtx();
		o->zcap = ZSTD_CStreamOutSize();
		o->zbuf = malloc(o->zcap);
		if (!o->cctx || !o->zbuf)
			return -ENOMEM;
		ZSTD_CCtx_setParameter(o->cctx, ZSTD_c_compressionLevel, 3);
	}
	return 0;
}

static int out_put(struct out *o, const void *p, size_t n)
{
	if (o->len + n > OUT_BUF) {
		int rc = out_flush(o, false);
		if (rc)
			return rc;
	}
	memcpy(o->buf + o->len, p, n);
	o->len += n;
	return 0;
}

/* Finishes and closes; @return the first error (rc if non-zero). */
static int out_close(struct out *o, int rc)
{
	if (!rc && o->fd >= 0 && (o->len || o->cctx))
		rc = out_flush(o, true);
	if (o->fd >= 0 && close(o->fd) != 0 && !rc) {
		rc = -errno;
		snprintf(o->err, o->errlen, "cannot write %s: %s", o->path, strerror(-rc));
	}
	ZSTD_freeCCtx(o->cctx);
	free(o->buf);
	free(o->zbuf);
	return rc;
}

static void note_left_out(struct record_export_result *res, unsigned op)
{
	res->left_out++;
	const char *name = mb_op_name(op);
	size_t have = strlen(res->left_out_ops), n = strlen(name);
	for (const char *p = res->left_out_ops; (p = strstr(p, name)); p += n)
		if ((p == res->left_out_ops || p[-1] == ',') && (p[n] == ',' || !p[n]))
			return;
	if (have + n + 2 < sizeof(res->left_out_ops))
		snprintf(res->left_out_ops + have, sizeof(res->left_out_ops) - have, "%s%s",
			 have ? "," : "", name);
}

static uint64_t unix_seconds(int64_t start_wall_ns, uint64_t t)
{
	int64_t ns = start_wall_ns + (int64_t)t;
	return ns > 0 ? (uint64_t)ns / 1000000000u : 0;
}

/* v in decimal at p (no terminator). @return its length. sprintf costs more than the rest of
 * a line's work. */
static size_t put_dec(char *p, uint64_t v)
{
	char tmp[20];
	size_t n = 0;
	do
		tmp[n++] = (char)('0' + v % 10);
	while ((v /= 10));
	for (size_t i = 0; i < n; i++)
		p[i] = tmp[n - 1 - i];
	return n;
}

/* The key column of a Twitter line into p. @return its length. */
static size_t tw_key(struct mb_profile_reader *r, const struct mb_profile_meta *m, uint64_t id,
		     char *p)
{
	const char *b;
	uint32_t n = 0;
	if (m->key_mode != MB_KEYS_ANON && mb_profile_reader_key(r, id, &b, &n) == 0 && n &&
	    !memchr(b, ',', n) && !memchr(b, '\n', n) && !memchr(b, '\r', n)) {
		memcpy(p, b, n);
		if (m->key_mode == MB_KEYS_KEPT)
			return n;
	} else {
		n = 0;
	}
	return n + put_dec(p + n, id);
}

static int export_twitter(struct mb_profile_reader *r, struct out *o,
			  struct record_export_result *res, char *err, size_t errlen)
{
	const struct mb_profile_meta *m = mb_profile_reader_meta(r);
	struct mb_record recs[1024];
	char *line = malloc(TW_LINE_MAX);
	if (!line)
		return -ENOMEM;
	long n;
	int rc = 0;
	while (!rc && (n = mb_profile_reader_read(r, recs, 1024)) > 0) {
		for (long i = 0; i < n && !rc; i++) {
			const struct mb_record *x = &recs[i];
			const char *word = x->op < MB_OP_COUNT ? tw_words[x->op] : NULL;
			if (!word || x->key_id == MB_KEY_NONE) {
				note_left_out(res, x->op);
				continue;
			}
			char *p = line;
			int32_t ttl = mb_op_is_read(x->op) ? 0 : x->ttl;
			p += put_dec(p, unix_seconds(m->start_wall_ns, x->time_ns));
			*p++ = ',';
			p += tw_key(r, m, x->key_id, p);
			*p++ = ',';
			p += put_dec(p, x->key_len);
			*p++ = ',';
			p += put_dec(p, x->value_len);
			*p++ = ',';
			p += put_dec(p, x->conn_id);
			*p++ = ',';
			p += strlen(strcpy(p, word));
			*p++ = ',';
			if (ttl < 0)
				*p++ = '-';
			p += put_dec(p, ttl < 0 ? (uint64_t)-(int64_t)ttl : (uint64_t)ttl);
			*p++ = '\n';
			size_t len = (size_t)(p - line);
			rc = out_put(o, line, len);
			res->written++;
		}
	}
	if (!rc && n < 0) {
		snprintf(err, errlen, "%s", mb_profile_reader_errmsg(r));
		rc = (int)n;
	}
	free(line);
	return rc;
}

static void put_le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void put_le64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* The two passes described at the top, into fd (plain, sized here). */
static int export_oracle_plain(struct mb_profile_reader *r, int fd, const char *path,
			       struct record_export_result *res, char *err, size_t errlen)
{
	const struct mb_profile_meta *m = mb_profile_reader_meta(r);
	size_t nb = mb_profile_reader_block_count(r);
	uint64_t nkeys = mb_profile_reader_key_count(r);
	uint64_t *start = calloc(nb + 1, sizeof(*start));
	uint32_t *size = calloc(nkeys ? nkeys : 1, sizeof(*size));
	int64_t *next = malloc((nkeys ? nkeys : 1) * sizeof(*next));
	uint8_t *buf = NULL;
	int rc = 0;
	if (!start || !size || !next) {
		rc = -ENOMEM;
		goto cleanup;
	}
	/* pass 1: requests with a key per block, each key's first size */
	uint32_t most = 0;
	for (size_t b = 0; b < nb; b++) {
		const struct mb_record *recs;
		size_t n, k = 0;
		if ((rc = mb_profile_reader_read_block(r, b, &recs, &n)))
			goto read_error;
		for (size_t i = 0; i < n; i++) {
			if (recs[i].key_id == MB_KEY_NONE) {
				note_left_out(res, recs[i].op);
				continue;
			}
			k++;
			if (!size[recs[i].key_id])
				size[recs[i].key_id] = recs[i].value_len;
		}
		start[b + 1] = start[b] + k;
		if (k > most)
			most = (uint32_t)k;
	}
	res->written = start[nb];
	if (ftruncate(fd, (off_t)(start[nb] * ORACLE_REC)) != 0) {
		rc = -errno;
		snprintf(err, errlen, "cannot write %s: %s", path, strerror(-rc));
		goto cleanup;
	}
	buf = malloc((size_t)most * ORACLE_REC + 1);
	if (!buf) {
		rc = -ENOMEM;
		goto cleanup;
	}
	for (uint64_t k = 0; k < nkeys; k++)
		next[k] = -1;
	/* pass 2: blocks last to first, records last to first */
	for (size_t b = nb; b-- > 0;) {
		const struct mb_record *recs;
		size_t n;
		if ((rc = mb_profile_reader_read_block(r, b, &recs, &n)))
			goto read_error;
		uint64_t j = start[b + 1];
		for (size_t i = n; i-- > 0;) {
			const struct mb_record *x = &recs[i];
			if (x->key_id == MB_KEY_NONE)
				continue;
			j--;
			uint8_t *p = buf + (j - start[b]) * ORACLE_REC;
			uint64_t t = unix_seconds(m->start_wall_ns, x->time_ns);
			put_le32(p, t > UINT32_MAX ? UINT32_MAX : (uint32_t)t);
			put_le64(p + 4, x->key_id);
			put_le32(p + 12, x->value_len ? x->value_len : size[x->key_id]);
			put_le64(p + 16, (uint64_t)next[x->key_id]);
			next[x->key_id] = (int64_t)j + 1;
		}
		size_t len = (size_t)(start[b + 1] - start[b]) * ORACLE_REC;
		for (size_t done = 0; done < len;) {
			ssize_t w = pwrite(fd, buf + done, len - done,
					   (off_t)(start[b] * ORACLE_REC + done));
			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0) {
				rc = -errno;
				snprintf(err, errlen, "cannot write %s: %s", path, strerror(-rc));
				goto cleanup;
			}
			done += (size_t)w;
		}
	}
	goto cleanup;
read_error:
	snprintf(err, errlen, "%s", mb_profile_reader_errmsg(r));
cleanup:
	free(buf);
	free(next);
	free(size);
	free(start);
	return rc;
}

/* Copies the plain file at from into o (compressing). */
static int copy_into(const char *from, struct out *o, char *err, size_t errlen)
{
	int fd = open(from, O_RDONLY | O_CLOEXEC), rc = 0;
	if (fd < 0) {
		rc = -errno;
		snprintf(err, errlen, "cannot open %s: %s", from, strerror(-rc));
		return rc;
	}
	for (;;) {
		if (o->len == OUT_BUF && (rc = out_flush(o, false)))
			break;
		ssize_t k = read(fd, o->buf + o->len, OUT_BUF - o->len);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			rc = -errno;
			snprintf(err, errlen, "cannot read %s: %s", from, strerror(-rc));
			break;
		}
		if (k == 0)
			break;
		o->len += (size_t)k;
	}
	close(fd);
	return rc;
}

static int export_oracle(struct mb_profile_reader *r, const char *out,
			 struct record_export_result *res, char *err, size_t errlen)
{
	bool zstd = ends_with(out, ".zst");
	char tmp[4096];
	const char *plain = out;
	int rc, fd;
	if (zstd) {
		if (snprintf(tmp, sizeof(tmp), "%s.plain.XXXXXX", out) >= (int)sizeof(tmp))
			return -ENAMETOOLONG;
		fd = mkstemp(tmp);
		plain = tmp;
	} else {
		fd = open(out, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	}
	if (fd < 0) {
		rc = -errno;
		snprintf(err, errlen, "cannot create %s: %s", plain, strerror(-rc));
		return rc;
	}
	rc = export_oracle_plain(r, fd, plain, res, err, errlen);
	if (close(fd) != 0 && !rc) {
		rc = -errno;
		snprintf(err, errlen, "cannot write %s: %s", plain, strerror(-rc));
	}
	if (!rc && zstd) {
		struct out o;
		rc = out_open(&o, out, true, err, errlen);
		if (!rc)
			rc = copy_into(tmp, &o, err, errlen);
		rc = out_close(&o, rc);
	}
	if (zstd)
		unlink(tmp);
	return rc;
}

int record_export(const char *mbp, const char *out, enum record_format f,
		  struct record_export_result *res, char *err, size_t errlen)
{
	struct mb_profile_reader *r = NULL;
	memset(res, 0, sizeof(*res));
	int rc = mb_profile_reader_open(&r, mbp, err, errlen);
	if (rc)
		return rc;
	err[0] = '\0';
	if (f == RECORD_FORMAT_TWITTER) {
		struct out o;
		rc = out_open(&o, out, ends_with(out, ".zst"), err, errlen);
		if (!rc)
			rc = export_twitter(r, &o, res, err, errlen);
		rc = out_close(&o, rc);
	} else if (f == RECORD_FORMAT_ORACLE) {
		rc = export_oracle(r, out, res, err, errlen);
	} else {
		rc = MB_E_USAGE;
	}
	if (rc == -ENOMEM && !err[0])
		snprintf(err, errlen, "%s: out of memory", out);
	mb_profile_reader_close(r);
	return rc;
}
