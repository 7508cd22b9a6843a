/* Streaming profile writer (profile/FORMAT.md).
 *
 * append() validates the record, notes its key's identity (XXH3-128 of the key bytes, or the
 * producer's key_id) and the bytes the key mode keeps, and copies it into the pending block.
 * When the block is full (opts.block_records), or flush()/close() is called, or the pending key
 * bytes pass 16 MiB, the block's identities are mapped to dense ids in record order
 * (keymap.c; batched so the hash-table misses overlap), the keys first seen in this block are
 * written as one key-table block and the records as one record block, each with a single
 * write(); the index entry of each is kept in memory (40 bytes per block). close() appends the
 * stats block, the index block and the footer.
 *
 * Memory: the pending block (72 bytes per record: the record and its key identity, plus its
 * meta flag text in format 1.1, at most 255 bytes), about 40
 * bytes per distinct key (two 16-byte identity-table slots at load <= 1/2, key length, value
 * hint), the index and at most 16 MiB of not-yet-written key bytes. It grows with distinct keys
 * and blocks, never with records.
 *
 * Errors are sticky: after a failed write every later call returns the same error, and close()
 * still frees everything.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define XXH_INLINE_ALL
#include <xxhash.h>
#include <zstd.h>

#include "format.h"
#include "keymap.h"
#include "meta.h"
#include "membench/array.h"
#include "membench/buf.h"
#include "membench/error.h"

#define DEFAULT_LEVEL 3
#define DEFAULT_BLOCK_RECORDS 65536u
#define KEYBYTES_FLUSH (16u << 20)
#define RESOLVE_AHEAD 8 /* identities prefetched ahead when a block's keys are resolved */
#define PK_NONE 1u      /* pend_key.b of a keyless record (never KM_B_BYTES or KM_B_ID) */

/* A pending record's key: its identity, and where its stored bytes end in parena. */
struct pend_key {
	uint64_t a;
	uint32_t b;
	uint32_t bytes_end;
};

struct mb_profile_writer {
	int fd;
	char *path;
	uint64_t offset; /* bytes written */
	int failed;      /* sticky error */
	uint8_t key_mode;
	char key_delim;
	int level;
	uint32_t block_records;
	ZSTD_CCtx *cctx;

	struct mb_record *pend; /* pending block; key_id set when the block is written */
	struct pend_key *pkey;  /* identity of each pending record's key */
	struct mb_buf parena;   /* stored bytes of pending records' keys, back to back */
	struct mb_buf mflags;   /* meta flag texts of pending records, back to back (1.1) */
	uint32_t npend;
	uint64_t tmin, tmax;

	struct keymap km;
	struct fmt_keyfact *facts; /* per dense id: key length, value hint */
	size_t keys_cap;
	uint64_t keys_flushed;  /* ids below this are in written key tables */
	struct mb_buf kbytes;   /* stored bytes of pending keys, back to back */
	uint32_t *kend;         /* kend[i]: end of pending key i's bytes in kbytes */
	size_t kend_cap;

	struct u32set conns;
	struct mb_buf raw, out, index, scratch;
	struct mb_profile_stats stats;
};

static void set_err(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
	if (!err || !errlen)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static int write_all(struct mb_profile_writer *w, const void *p, size_t n)
{
	const char *c = p;
	while (n) {
		ssize_t k = write(w->fd, c, n);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			return w->failed = -errno;
		}
		c += k;
		n -= (size_t)k;
		w->offset += (uint64_t)k;
	}
	return 0;
}

/* Compresses raw[0..len) into one block of the given type and writes it; records its index
 * entry when type is records or keys. */
static int write_block(struct mb_profile_writer *w, uint8_t type, uint32_t count,
		       const void *raw, size_t len, uint64_t tmin, uint64_t tmax)
{
	if (len > FMT_MAX_RAW)
		return w->failed = MB_E_LIMIT;
	size_t bound = ZSTD_compressBound(len);
	mb_buf_reset(&w->out);
	int err = mb_buf_reserve(&w->out, FMT_BLOCK_HDR + bound);
	if (err)
		return w->failed = err;
	uint8_t *hdr = (uint8_t *)w->out.data;
	size_t clen = ZSTD_compressCCtx(w->cctx, hdr + FMT_BLOCK_HDR, bound, raw, len, w->level);
	if (ZSTD_isError(clen) || clen > FMT_MAX_COMP)
		return w->failed = MB_E_ZSTD;
	struct fmt_block_hdr h = {
		.type = type,
		.count = count,
		.raw_size = (uint32_t)len,
		.comp_size = (uint32_t)clen,
		.sum = XXH64(hdr + FMT_BLOCK_HDR, clen, 0),
	};
	profile_fmt_block_hdr_put(hdr, &h);
	uint64_t at = w->offset;
	if (type == FMT_BLK_RECORDS || type == FMT_BLK_KEYS) {
		uint8_t e[FMT_INDEX_ENTRY] = {0};
		put_le64(e, at);
		put_le64(e + 8, tmin);
		put_le64(e + 16, tmax);
		put_le32(e + 24, count);
		put_le32(e + 28, (uint32_t)clen);
		put_le32(e + 32, (uint32_t)len);
		e[36] = type;
		if ((err = mb_buf_append(&w->index, e, sizeof(e))))
			return w->failed = err;
	}
	return write_all(w, hdr, FMT_BLOCK_HDR + clen);
}

/* Key table of the keys first seen since the last flush (ids keys_flushed..km.n-1). */
static int write_keys(struct mb_profile_writer *w)
{
	uint64_t first = w->keys_flushed, n = w->km.n - first;
	if (!n)
		return 0;
	mb_buf_reset(&w->raw);
	int err = mb_buf_reserve(&w->raw, 8 + n * 15 + w->kbytes.len);
	if (err)
		return w->failed = err;
	uint8_t *p = (uint8_t *)w->raw.data;
	put_le64(p, first);
	p += 8;
	uint32_t start = 0;
	for (uint64_t i = 0; i < n; i++) {
		uint32_t end = w->kend[i];
		p = varint_put(p, w->facts[first + i].klen);
		p = varint_put(p, w->facts[first + i].vhint);
		p = varint_put(p, end - start);
		if (end > start)
			memcpy(p, w->kbytes.data + start, end - start);
		p += end - start;
		start = end;
	}
	err = write_block(w, FMT_BLK_KEYS, (uint32_t)n, w->raw.data,
			  (size_t)(p - (uint8_t *)w->raw.data), 0, 0);
	if (err)
		return err;
	w->keys_flushed = w->km.n;
	mb_buf_reset(&w->kbytes);
	return 0;
}

static int keys_reserve(struct mb_profile_writer *w, uint64_t id);
static int keep_key_bytes(struct mb_profile_writer *w, uint64_t pending_idx, const void *bytes,
			  size_t n);

/* Maps the pending records' identities to dense ids, in record order (so ids stay in
 * first-seen order), with the table slots of the next few records already on their way into
 * the cache: a block's lookups overlap their memory latency instead of paying it one by one. */
static int resolve_keys(struct mb_profile_writer *w)
{
	uint32_t start = 0;
	for (uint32_t i = 0; i < w->npend; i++) {
		const struct pend_key *pk = &w->pkey[i];
		struct mb_record *r = &w->pend[i];
		uint32_t end = pk->bytes_end;
		if (i + RESOLVE_AHEAD < w->npend && pk[RESOLVE_AHEAD].b != PK_NONE)
			keymap_prefetch(&w->km, pk[RESOLVE_AHEAD].a, pk[RESOLVE_AHEAD].b);
		if (pk->b == PK_NONE) {
			r->key_id = MB_KEY_NONE;
			continue;
		}
		uint32_t id;
		bool is_new;
		int err = profile_keymap_get(&w->km, pk->a, pk->b, &id, &is_new);
		if (!err && is_new && !(err = keys_reserve(w, id))) {
			w->facts[id].klen = r->key_len;
			w->facts[id].vhint = r->value_len;
			err = keep_key_bytes(w, id - w->keys_flushed,
					     end > start ? w->parena.data + start : NULL, end - start);
		}
		if (err)
			return w->failed = err;
		/* value hint: first non-zero value_len in the block that introduces the key */
		if (!is_new && id >= w->keys_flushed && !w->facts[id].vhint)
			w->facts[id].vhint = r->value_len;
		r->key_id = id;
		start = end;
	}
	mb_buf_reset(&w->parena);
	return 0;
}

static int flush_block(struct mb_profile_writer *w)
{
	if (w->failed)
		return w->failed;
	int err = resolve_keys(w);
	if (!err)
		err = write_keys(w);
	if (err || !w->npend)
		return err;
	mb_buf_reset(&w->raw);
	if ((err = mb_buf_reserve(&w->raw, 8 + (size_t)w->npend * FMT_REC_MAX_BYTES)) ||
	    (err = mb_buf_reserve(&w->scratch, (size_t)w->npend * 10)))
		return w->failed = err;
	struct fmt_keyfacts kf = {w->facts, w->km.n};
	size_t len = profile_fmt_cols_encode((uint8_t *)w->raw.data, (uint8_t *)w->scratch.data, w->pend,
				             w->npend, &kf);
	err = write_block(w, FMT_BLK_RECORDS, w->npend, w->raw.data, len, w->tmin, w->tmax);
	/* 1.1 extras right behind the records */
	mb_buf_reset(&w->raw);
	if (!err && (err = mb_buf_reserve(&w->raw, FMT_EXTRAS_MAX(w->npend, w->mflags.len))))
		w->failed = err;
	if (!err && (len = profile_fmt_extras_encode((uint8_t *)w->raw.data, w->pend, w->npend,
						     w->mflags.data)))
		err = write_block(w, FMT_BLK_EXTRAS, w->npend, w->raw.data, len, 0, 0);
	mb_buf_reset(&w->mflags);
	w->npend = 0;
	return err;
}

int mb_profile_writer_open(struct mb_profile_writer **out, const char *path,
			   const struct mb_profile_meta *meta,
			   const struct mb_profile_writer_opts *opts, char *err, size_t errlen)
{
	struct mb_profile_writer *w = NULL;
	struct mb_buf hdr = {0};
	const char *what = NULL;
	int rc;

	*out = NULL;
	set_err(err, errlen, "%s", "");
	if (!path || !meta) {
		set_err(err, errlen, "no path or metadata given");
		return MB_E_USAGE;
	}
	if ((rc = profile_fmt_meta_check(meta, &what))) {
		set_err(err, errlen, "%s: %s", path, what);
		return rc;
	}
	int level = opts && opts->zstd_level ? opts->zstd_level : DEFAULT_LEVEL;
	uint32_t brec = opts && opts->block_records ? opts->block_records : DEFAULT_BLOCK_RECORDS;
	if (brec > MB_PROFILE_MAX_BLOCK_RECORDS || level < ZSTD_minCLevel() ||
	    level > ZSTD_maxCLevel()) {
		set_err(err, errlen, "%s: block_records %u or zstd level %d out of range", path,
			brec, level);
		return MB_E_USAGE;
	}

	w = calloc(1, sizeof(*w));
	if (!w) {
		rc = -ENOMEM;
		goto cleanup;
	}
	w->fd = -1;
	w->level = level;
	w->block_records = brec;
	w->key_mode = meta->key_mode;
	w->key_delim = meta->key_delim;
	w->path = strdup(path);
	w->pend = malloc((size_t)brec * sizeof(*w->pend));
	w->pkey = malloc((size_t)brec * sizeof(*w->pkey));
	w->cctx = ZSTD_createCCtx();
	if (!w->path || !w->pend || !w->pkey || !w->cctx) {
		rc = -ENOMEM;
		goto cleanup;
	}

	/* header: magic, major, minor, flags, meta_len, TLVs, XXH64 */
	uint8_t fixed[FMT_HEADER_FIXED];
	memcpy(fixed, FMT_MAGIC, FMT_MAGIC_LEN);
	put_le16(fixed + 8, MB_PROFILE_VERSION_MAJOR);
	put_le16(fixed + 10, MB_PROFILE_VERSION_MINOR);
	put_le32(fixed + 12, 0);
	if ((rc = mb_buf_append(&hdr, fixed, sizeof(fixed))) || (rc = profile_fmt_meta_encode(meta, &hdr)))
		goto cleanup;
	put_le32((uint8_t *)hdr.data + 16, (uint32_t)(hdr.len - FMT_HEADER_FIXED));
	uint8_t sum[8];
	put_le64(sum, XXH64(hdr.data, hdr.len, 0));
	if ((rc = mb_buf_append(&hdr, sum, sizeof(sum))))
		goto cleanup;

	w->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (w->fd < 0) {
		rc = -errno;
		set_err(err, errlen, "cannot create %s: %s", path, mb_strerror(rc));
		goto cleanup;
	}
	/* O_CREAT's mode applies only to new files: an existing regular file keeps its mode
	 * otherwise. Never touch anything else (-o /dev/null must not chmod the device). */
	struct stat st;
	if (fstat(w->fd, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0777) != 0600 &&
	    fchmod(w->fd, 0600) != 0) {
		rc = -errno;
		set_err(err, errlen, "cannot set mode 0600 on %s: %s", path, mb_strerror(rc));
		goto cleanup;
	}
	if ((rc = write_all(w, hdr.data, hdr.len))) {
		set_err(err, errlen, "cannot write %s: %s", path, mb_strerror(rc));
		goto cleanup;
	}
	mb_buf_free(&hdr);
	*out = w;
	return 0;

cleanup:
	mb_buf_free(&hdr);
	if (w) {
		if (w->fd >= 0)
			close(w->fd);
		w->fd = -1;
		mb_profile_writer_close(w, NULL, 0);
	}
	if (rc == -ENOMEM)
		set_err(err, errlen, "%s: out of memory", path);
	return rc;
}

/* Grows the per-key arrays to hold id. */
static int keys_reserve(struct mb_profile_writer *w, uint64_t id)
{
	return MB_ARRAY_RESERVE(w->facts, w->keys_cap, (size_t)id + 1);
}

/* Remembers the stored bytes of a key new in this block (cut at append time). */
static int keep_key_bytes(struct mb_profile_writer *w, uint64_t pending_idx, const void *bytes,
			  size_t n)
{
	int err = MB_ARRAY_RESERVE(w->kend, w->kend_cap, (size_t)pending_idx + 1);
	if (!err)
		err = mb_buf_append(&w->kbytes, bytes, n);
	if (err)
		return err;
	w->kend[pending_idx] = (uint32_t)w->kbytes.len;
	return 0;
}

/* The bytes of key the profile stores: none (anon, or no key bytes given), the prefix up to
 * and including the delimiter (none without one), or all of them. */
static size_t stored_len(const struct mb_profile_writer *w, const void *key, size_t key_bytes)
{
	if (!key || w->key_mode == MB_KEYS_ANON)
		return 0;
	if (w->key_mode == MB_KEYS_KEPT)
		return key_bytes;
	const char *d = memchr(key, w->key_delim, key_bytes);
	return d ? (size_t)(d - (const char *)key) + 1 : 0;
}

/* Both appends: the key's identity is the hash of key (when by_bytes) or rec->key_id; the
 * stored bytes are stored[0, stored_n). */
static int append_rec(struct mb_profile_writer *w, const struct mb_record *rec, bool by_bytes,
		      const void *key, size_t key_bytes, const void *stored, size_t stored_n,
		      const void *mflags)
{
	if (w->failed)
		return w->failed;
	if (rec->meta_flags > MB_PROFILE_MAX_META_FLAGS || (rec->meta_flags && !mflags))
		return MB_E_USAGE;
	if (rec->op >= MB_OP_COUNT || rec->proto >= MB_PROTO_COUNT ||
	    rec->status >= MB_STATUS_COUNT || (rec->rflags & ~MB_RF_KNOWN_MASK) ||
	    rec->key_len > MB_PROFILE_MAX_KEY_LEN || key_bytes > MB_PROFILE_MAX_KEY_LEN ||
	    stored_n > MB_PROFILE_MAX_KEY_LEN)
		return MB_E_USAGE;

	/* the key's identity now, its dense id when the block is written (resolve_keys) */
	struct pend_key *pk = &w->pkey[w->npend];
	if (by_bytes) {
		XXH128_hash_t h = XXH3_128bits(key, key_bytes);
		pk->a = h.low64;
		pk->b = KM_B_BYTES(h.high64);
	} else {
		pk->a = rec->key_id;
		pk->b = rec->key_id == MB_KEY_NONE ? PK_NONE : KM_B_ID;
	}
	if (stored_n && pk->b != PK_NONE) {
		int err = mb_buf_append(&w->parena, stored, stored_n);
		if (err)
			return w->failed = err;
	}
	pk->bytes_end = (uint32_t)w->parena.len;
	int err = profile_u32set_add(&w->conns, rec->conn_id);
	if (err)
		return w->failed = err;

	if (!w->npend) {
		w->tmin = w->tmax = rec->time_ns;
	} else {
		if (rec->time_ns < w->tmin)
			w->tmin = rec->time_ns;
		if (rec->time_ns > w->tmax)
			w->tmax = rec->time_ns;
	}
	if (rec->meta_flags && (err = mb_buf_append(&w->mflags, mflags, rec->meta_flags)))
		return w->failed = err;
	w->pend[w->npend++] = *rec;
	w->stats.records++;
	if (w->npend == w->block_records || w->parena.len > KEYBYTES_FLUSH)
		return flush_block(w);
	return 0;
}

int mb_profile_writer_append(struct mb_profile_writer *w, const struct mb_record *rec,
			     const void *key, size_t key_bytes)
{
	/* 1.1: the meta flag text follows the key in key's bytes */
	if (rec->meta_flags > key_bytes)
		return MB_E_USAGE;
	key_bytes -= rec->meta_flags;
	return append_rec(w, rec, key != NULL, key, key_bytes, key, stored_len(w, key, key_bytes),
			  key ? (const char *)key + key_bytes : NULL);
}

int mb_profile_writer_append_stored(struct mb_profile_writer *w, const struct mb_record *rec,
				    const void *stored, size_t stored_bytes)
{
	/* 1.1: the meta flag text follows the stored bytes, as it follows the key in append */
	if (rec->meta_flags > stored_bytes)
		return MB_E_USAGE;
	stored_bytes -= rec->meta_flags;
	const char *mflags = stored ? (const char *)stored + stored_bytes : NULL;
	if (w->key_mode == MB_KEYS_ANON)
		stored_bytes = 0;
	return append_rec(w, rec, false, NULL, 0, stored, stored_bytes, mflags);
}

int mb_profile_writer_key_id(const struct mb_profile_writer *w, const void *key,
			     size_t key_bytes, uint64_t *id)
{
	XXH128_hash_t h = XXH3_128bits(key, key_bytes);
	uint32_t dense;
	if (profile_keymap_find(&w->km, h.low64, KM_B_BYTES(h.high64), &dense))
		return -ENOENT;
	*id = dense;
	return 0;
}

void mb_profile_writer_add_stats(struct mb_profile_writer *w, const struct mb_profile_stats *s)
{
	struct mb_profile_stats add = *s;
	for (size_t i = FMT_STATS_WRITER; i < FMT_STATS_FIELDS; i++)
		*profile_fmt_stat(&w->stats, i) += *profile_fmt_stat(&add, i);
}

int mb_profile_writer_flush(struct mb_profile_writer *w)
{
	return flush_block(w);
}

uint64_t mb_profile_writer_bytes(const struct mb_profile_writer *w)
{
	return w->offset;
}

/* Stats block, index block and footer. */
static int write_tail(struct mb_profile_writer *w)
{
	int err = flush_block(w);
	if (err)
		return err;
	w->stats.keys = w->km.n;
	w->stats.connections = w->conns.n;
	uint8_t st[FMT_STATS_FIELDS * 8];
	for (size_t i = 0; i < FMT_STATS_FIELDS; i++)
		put_le64(st + 8 * i, *profile_fmt_stat(&w->stats, i));
	uint64_t stats_off = w->offset;
	if ((err = write_block(w, FMT_BLK_STATS, FMT_STATS_FIELDS, st, sizeof(st), 0, 0)))
		return err;
	uint64_t index_off = w->offset;
	if (w->index.len / FMT_INDEX_ENTRY > UINT32_MAX)
		return w->failed = MB_E_LIMIT;
	if ((err = write_block(w, FMT_BLK_INDEX, (uint32_t)(w->index.len / FMT_INDEX_ENTRY),
			       w->index.data, w->index.len, 0, 0)))
		return err;
	uint8_t foot[FMT_FOOTER];
	put_le64(foot, index_off);
	put_le64(foot + 8, stats_off);
	put_le32(foot + 16, 0);
	put_le32(foot + 20, (uint32_t)XXH64(foot, 20, 0));
	memcpy(foot + 24, FMT_END_MAGIC, 8);
	return write_all(w, foot, sizeof(foot));
}

int mb_profile_writer_close(struct mb_profile_writer *w, char *err, size_t errlen)
{
	if (!w)
		return 0;
	int rc = 0;
	set_err(err, errlen, "%s", "");
	if (w->fd >= 0) {
		rc = write_tail(w);
		if (close(w->fd) != 0 && !rc)
			rc = -errno;
		if (rc)
			set_err(err, errlen, "cannot write %s: %s", w->path, mb_strerror(rc));
	}
	ZSTD_freeCCtx(w->cctx);
	profile_keymap_free(&w->km);
	profile_u32set_free(&w->conns);
	mb_buf_free(&w->kbytes);
	mb_buf_free(&w->raw);
	mb_buf_free(&w->out);
	mb_buf_free(&w->index);
	mb_buf_free(&w->scratch);
	free(w->kend);
	free(w->facts);
	free(w->pend);
	free(w->pkey);
	mb_buf_free(&w->parena);
	mb_buf_free(&w->mflags);
	free(w->path);
	free(w);
	return rc;
}
