/* Profile reader (profile/FORMAT.md): header, index or sequential scan, key tables, blocks.
 *
 * open(): validates the file header; then, when the footer, index and stats blocks are valid,
 * takes the block list from the index and loads every key table it names. Otherwise (a file cut
 * short, or a damaged footer/index) it scans block headers from the start of the body, using
 * every complete, valid block and stopping at the first incomplete or damaged one; the bytes
 * after it are reported as lost. Either way every key table is in memory after open, so any
 * record block can be decoded on its own, in any order.
 *
 * Damage (the rule is in profile.h): a file opened by a scan is cut short; in skip mode a record
 * block that fails its checks is left out and marked in `bad` (one byte per block, allocated at
 * the first), so a block read twice (replay --loop, verify after reads) counts once.
 *
 * Untrusted input: every size is checked against the format limits and the file size before
 * anything is allocated or read; every allocation is bounded by a block's raw size (64 MiB) or
 * by data already decompressed; every loop advances through the file or a buffer, so no input
 * makes the reader hang. Errors name the file and the byte offset of the structure at fault.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
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
#include "meta.h"
#include "strtab.h"
#include "membench/array.h"
#include "membench/buf.h"
#include "membench/error.h"

struct mb_profile_reader {
	int fd;
	char *path;
	uint64_t size;
	unsigned major, minor;
	uint64_t body; /* offset of the first block */
	struct mb_profile_meta meta;
	struct mb_profile_stats stats;
	bool have_stats;
	bool truncated;
	uint64_t lost;

	struct mb_profile_block_info *blocks; /* record blocks, file order */
	size_t nblocks, bcap;

	struct fmt_keyfact *facts; /* per dense key id */
	uint64_t *kend;         /* end of key i's stored bytes in kbytes (not in anon mode) */
	uint64_t nkeys;
	size_t kcap, kend_cap;  /* capacity of facts and kend */
	struct mb_buf kbytes;

	ZSTD_DCtx *dctx;
	struct mb_buf comp, raw;

	struct profile_strtab mflags; /* 1.1 meta flag texts of the blocks decoded so far */

	struct mb_record *seq; /* sequential read(): decoded block seq_block - 1 */
	size_t seq_cap, seq_n, seq_pos, seq_block;
	struct mb_record *blk; /* read_block() */
	size_t blk_cap;

	bool skip_damaged;
	uint8_t *bad;           /* per record block: found damaged (NULL until one is) */
	uint64_t bad_blocks, bad_records;
	char bad_msg[512];      /* the first damaged block's message */
	char open_warn[512];    /* a scanned file's warning from open */

	char msg[512];
};

/* The message without its "path: " prefix. */
static const char *msg_tail(const struct mb_profile_reader *r)
{
	size_t plen = strlen(r->path);
	if (strncmp(r->msg, r->path, plen) == 0 && r->msg[plen] == ':' && r->msg[plen + 1] == ' ')
		return r->msg + plen + 2;
	return r->msg;
}

static int rfail(struct mb_profile_reader *r, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int rfail(struct mb_profile_reader *r, int code, const char *fmt, ...)
{
	int n = snprintf(r->msg, sizeof(r->msg), "%s: ", r->path);
	va_list ap;
	va_start(ap, fmt);
	if (n > 0 && (size_t)n < sizeof(r->msg))
		vsnprintf(r->msg + n, sizeof(r->msg) - (size_t)n, fmt, ap);
	va_end(ap);
	return code;
}

/* Reads exactly n bytes at off. @return 0, -errno, or 1 when the file ends first. */
static int read_at(struct mb_profile_reader *r, void *buf, size_t n, uint64_t off)
{
	char *p = buf;
	while (n) {
		ssize_t k = pread(r->fd, p, n, (off_t)off);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (k == 0)
			return 1;
		p += k;
		n -= (size_t)k;
		off += (uint64_t)k;
	}
	return 0;
}

/* Reads, checks and decompresses the block at off into r->raw. The block must end at or before
 * `limit`; type 0 accepts any type. @return 0, -errno, MB_E_CHECKSUM, MB_E_CORRUPT,
 * MB_E_TRUNCATED (runs past limit/end of file). */
static int load_block(struct mb_profile_reader *r, uint64_t off, uint8_t type, uint64_t limit,
		      struct fmt_block_hdr *h)
{
	uint8_t hb[FMT_BLOCK_HDR];
	const char *what = NULL;
	if (off > limit || limit - off < FMT_BLOCK_HDR)
		return rfail(r, MB_E_TRUNCATED, "block at offset %llu: header runs past offset %llu",
			     (unsigned long long)off, (unsigned long long)limit);
	int rc = read_at(r, hb, sizeof(hb), off);
	if (rc)
		return rc > 0 ? rfail(r, MB_E_TRUNCATED, "block at offset %llu: file ends in its header",
				      (unsigned long long)off)
			      : rfail(r, rc, "read at offset %llu: %s", (unsigned long long)off,
				      mb_strerror(rc));
	if ((rc = profile_fmt_block_hdr_get(hb, h, &what)))
		return rfail(r, rc, "block at offset %llu: %s", (unsigned long long)off, what);
	if (type && h->type != type)
		return rfail(r, MB_E_CORRUPT, "block at offset %llu: type %u where type %u belongs",
			     (unsigned long long)off, h->type, type);
	if (limit - off - FMT_BLOCK_HDR < h->comp_size)
		return rfail(r, MB_E_TRUNCATED,
			     "block at offset %llu: %u-byte payload runs past offset %llu",
			     (unsigned long long)off, h->comp_size, (unsigned long long)limit);
	mb_buf_reset(&r->comp);
	mb_buf_reset(&r->raw);
	if ((rc = mb_buf_reserve(&r->comp, h->comp_size)) ||
	    (rc = mb_buf_reserve(&r->raw, h->raw_size)))
		return rfail(r, rc, "block at offset %llu: out of memory", (unsigned long long)off);
	rc = read_at(r, r->comp.data, h->comp_size, off + FMT_BLOCK_HDR);
	if (rc)
		return rc > 0 ? rfail(r, MB_E_TRUNCATED, "block at offset %llu: file ends in its payload",
				      (unsigned long long)off)
			      : rfail(r, rc, "read at offset %llu: %s", (unsigned long long)off,
				      mb_strerror(rc));
	uint64_t sum = XXH64(r->comp.data, h->comp_size, 0);
	if (FMT_SUM_BAD(h->sum, sum))
		return rfail(r, MB_E_CHECKSUM,
			     "block at offset %llu: checksum mismatch (stored %016llx, computed %016llx)",
			     (unsigned long long)off, (unsigned long long)h->sum,
			     (unsigned long long)sum);
	if (ZSTD_findFrameCompressedSize(r->comp.data, h->comp_size) != h->comp_size)
		return rfail(r, MB_E_CORRUPT, "block at offset %llu: payload is not one zstd frame",
			     (unsigned long long)off);
	size_t got = ZSTD_decompressDCtx(r->dctx, r->raw.data, h->raw_size, r->comp.data,
					 h->comp_size);
	if (ZSTD_isError(got))
		return rfail(r, MB_E_CORRUPT, "block at offset %llu: zstd: %s",
			     (unsigned long long)off, ZSTD_getErrorName(got));
	if (got != h->raw_size)
		return rfail(r, MB_E_CORRUPT, "block at offset %llu: %zu bytes decompressed, header says %u",
			     (unsigned long long)off, got, h->raw_size);
	r->raw.len = got;
	return 0;
}

static int keys_reserve(struct mb_profile_reader *r, uint64_t n)
{
	if (n > SIZE_MAX)
		return -ENOMEM;
	int err = MB_ARRAY_RESERVE(r->facts, r->kcap, (size_t)n);
	if (!err && r->meta.key_mode != MB_KEYS_ANON)
		err = MB_ARRAY_RESERVE(r->kend, r->kend_cap, (size_t)n);
	return err;
}

/* Key-table block at off (already in r->raw, header h): appends its keys. */
static int parse_keys(struct mb_profile_reader *r, uint64_t off, const struct fmt_block_hdr *h)
{
	const uint8_t *p = (const uint8_t *)r->raw.data, *end = p + r->raw.len;
	unsigned long long o = (unsigned long long)off;
	if (r->raw.len < 8)
		return rfail(r, MB_E_CORRUPT, "key table at offset %llu: shorter than its first id", o);
	uint64_t first = get_le64(p);
	p += 8;
	if (first != r->nkeys)
		return rfail(r, MB_E_CORRUPT, "key table at offset %llu: first id %llu, expected %llu",
			     o, (unsigned long long)first, (unsigned long long)r->nkeys);
	if (h->count > (r->raw.len - 8) / 3 || h->count > FMT_MAX_KEYS - r->nkeys)
		return rfail(r, MB_E_CORRUPT, "key table at offset %llu: %u keys cannot fit", o,
			     h->count);
	int rc = keys_reserve(r, r->nkeys + h->count);
	if (rc)
		return rfail(r, rc, "key table at offset %llu: out of memory", o);
	for (uint32_t i = 0; i < h->count; i++) {
		uint64_t kl, vh, sl;
		if (!(p = varint_get(p, end, &kl)) || !(p = varint_get(p, end, &vh)) ||
		    !(p = varint_get(p, end, &sl)))
			return rfail(r, MB_E_CORRUPT, "key table at offset %llu: key %u runs past the block",
				     o, i);
		if (kl > MB_PROFILE_MAX_KEY_LEN || vh > UINT32_MAX || sl > MB_PROFILE_MAX_KEY_LEN)
			return rfail(r, MB_E_CORRUPT, "key table at offset %llu: key %u: length over the limit",
				     o, i);
		if (sl && r->meta.key_mode == MB_KEYS_ANON)
			return rfail(r, MB_E_CORRUPT,
				     "key table at offset %llu: key %u: key bytes in an anonymised profile",
				     o, i);
		if ((uint64_t)(end - p) < sl)
			return rfail(r, MB_E_CORRUPT, "key table at offset %llu: key %u runs past the block",
				     o, i);
		uint64_t id = r->nkeys + i;
		r->facts[id].klen = (uint32_t)kl;
		r->facts[id].vhint = (uint32_t)vh;
		if (r->kend) {
			if ((rc = mb_buf_append(&r->kbytes, p, sl)))
				return rfail(r, rc, "key table at offset %llu: out of memory", o);
			r->kend[id] = r->kbytes.len;
		}
		p += sl;
	}
	if (p != end)
		return rfail(r, MB_E_CORRUPT, "key table at offset %llu: bytes after the last key", o);
	r->nkeys += h->count;
	return 0;
}

static int parse_stats(struct mb_profile_reader *r, uint64_t off, const struct fmt_block_hdr *h)
{
	if (h->count > FMT_MAX_STATS || (uint64_t)h->count * 8 != r->raw.len)
		return rfail(r, MB_E_CORRUPT, "stats block at offset %llu: %u counters in %zu bytes",
			     (unsigned long long)off, h->count, r->raw.len);
	memset(&r->stats, 0, sizeof(r->stats));
	for (size_t i = 0; i < h->count && i < FMT_STATS_FIELDS; i++)
		*profile_fmt_stat(&r->stats, i) = get_le64((const uint8_t *)r->raw.data + 8 * i);
	r->have_stats = true;
	return 0;
}

static int add_block(struct mb_profile_reader *r, const struct mb_profile_block_info *b)
{
	if (MB_ARRAY_RESERVE(r->blocks, r->bcap, r->nblocks + 1))
		return rfail(r, -ENOMEM, "out of memory");
	r->blocks[r->nblocks++] = *b;
	return 0;
}

static int records_reserve(struct mb_record **a, size_t *cap, size_t n)
{
	return mb_array_reserve((void **)a, cap, n, sizeof(**a), 0);
}

/* 1.1: the extras block of the record block that ended at off, if one follows it (a header
 * that is not an extras block's is the next block's: no extras). */
static int load_extras(struct mb_profile_reader *r, uint64_t off, uint64_t limit,
		       struct mb_record *recs, uint32_t count)
{
	uint8_t hb[FMT_BLOCK_HDR];
	struct fmt_block_hdr h;
	const char *what = NULL;
	if (off > limit || limit - off < FMT_BLOCK_HDR || read_at(r, hb, sizeof(hb), off) ||
	    profile_fmt_block_hdr_get(hb, &h, &what) || h.type != FMT_BLK_EXTRAS)
		return 0;
	int rc = load_block(r, off, FMT_BLK_EXTRAS, limit, &h);
	if (rc)
		return rc;
	if (h.count != count)
		return rfail(r, MB_E_CORRUPT, "extras block at offset %llu: %u records, its record "
			     "block has %u", (unsigned long long)off, h.count, count);
	if ((rc = profile_fmt_extras_decode((const uint8_t *)r->raw.data, r->raw.len, recs, count,
					    &r->mflags, &what)))
		return rfail(r, rc, "extras block at offset %llu: %s", (unsigned long long)off, what);
	return 0;
}

/* Decodes the record block at off (expected `count` records, 0 = take the header's) into *a. */
static int decode_records(struct mb_profile_reader *r, uint64_t off, uint64_t limit,
			  uint32_t count, struct mb_record **a, size_t *cap, size_t *n)
{
	struct fmt_block_hdr h;
	int rc = load_block(r, off, FMT_BLK_RECORDS, limit, &h);
	if (rc)
		return rc;
	unsigned long long o = (unsigned long long)off;
	/* each record takes at least 12 raw bytes (eight varints and four byte columns) */
	if (h.count > MB_PROFILE_MAX_BLOCK_RECORDS || (count && h.count != count) ||
	    (r->raw.len < 8 ? 0 : (r->raw.len - 8) / 12) < h.count)
		return rfail(r, MB_E_CORRUPT,
			     "record block at offset %llu: %u records (index: %u) in %zu bytes", o,
			     h.count, count, r->raw.len);
	if ((rc = records_reserve(a, cap, h.count)))
		return rfail(r, rc, "record block at offset %llu: out of memory", o);
	struct fmt_keyfacts kf = {r->facts, r->nkeys};
	const char *what = NULL;
	size_t at = 0;
	rc = profile_fmt_cols_decode((const uint8_t *)r->raw.data, r->raw.len, *a, h.count, &kf, &what,
			             &at);
	if (rc && at == SIZE_MAX)
		return rfail(r, rc, "record block at offset %llu: %s", o, what);
	if (rc)
		return rfail(r, rc, "record block at offset %llu: record %zu: %s", o, at, what);
	*n = h.count;
	return r->minor >= 1 ? load_extras(r, off + FMT_BLOCK_HDR + h.comp_size, limit, *a, h.count)
			     : 0;
}

/* The file header. @return 0, -errno, MB_E_NOT_PROFILE, MB_E_VERSION, MB_E_TRUNCATED,
 * MB_E_LIMIT, MB_E_CHECKSUM, MB_E_CORRUPT. */
static int read_header(struct mb_profile_reader *r)
{
	uint8_t fixed[FMT_HEADER_FIXED];
	size_t have = r->size < sizeof(fixed) ? (size_t)r->size : sizeof(fixed);
	uint8_t *buf = NULL;
	int rc = read_at(r, fixed, have, 0);
	if (rc)
		return rc > 0 ? rfail(r, MB_E_TRUNCATED, "file shrank while reading its header")
			      : rfail(r, rc, "read: %s", mb_strerror(rc));
	size_t mlen = have < FMT_MAGIC_LEN ? have : FMT_MAGIC_LEN;
	if (memcmp(fixed, FMT_MAGIC, mlen) != 0)
		return rfail(r, MB_E_NOT_PROFILE, "not a membench profile (bad magic)");
	if (have < sizeof(fixed))
		return rfail(r, MB_E_TRUNCATED, "file ends in its header (%zu bytes)", have);
	r->major = get_le16(fixed + 8);
	r->minor = get_le16(fixed + 10);
	if (r->major != MB_PROFILE_VERSION_MAJOR)
		return rfail(r, MB_E_VERSION,
			     "profile format version %u.%u; this reader reads version %u.x (up to %u.%u)",
			     r->major, r->minor, MB_PROFILE_VERSION_MAJOR, MB_PROFILE_VERSION_MAJOR,
			     MB_PROFILE_VERSION_MINOR);
	uint32_t meta_len = get_le32(fixed + 16);
	if (meta_len > FMT_MAX_META)
		return rfail(r, MB_E_LIMIT, "header at offset 0: metadata length %u over the limit %u",
			     meta_len, FMT_MAX_META);
	size_t total = FMT_HEADER_FIXED + meta_len + FMT_HEADER_SUM;
	if (r->size < total)
		return rfail(r, MB_E_TRUNCATED, "file ends in its header (%llu of %zu bytes)",
			     (unsigned long long)r->size, total);
	if (!(buf = malloc(total))) {
		rc = rfail(r, -ENOMEM, "out of memory");
		goto cleanup;
	}
	if ((rc = read_at(r, buf, total, 0))) {
		rc = rc > 0 ? rfail(r, MB_E_TRUNCATED, "file shrank while reading its header")
			    : rfail(r, rc, "read: %s", mb_strerror(rc));
		goto cleanup;
	}
	uint64_t sum = XXH64(buf, total - FMT_HEADER_SUM, 0);
	if (FMT_SUM_BAD(get_le64(buf + total - FMT_HEADER_SUM), sum)) {
		rc = rfail(r, MB_E_CHECKSUM, "header at offset 0: checksum mismatch");
		goto cleanup;
	}
	if (get_le32(buf + 12) != 0) {
		rc = rfail(r, MB_E_CORRUPT, "header at offset 12: reserved flags 0x%x set",
			   get_le32(buf + 12));
		goto cleanup;
	}
	const char *what = NULL;
	size_t at = 0;
	if ((rc = profile_fmt_meta_decode(buf + FMT_HEADER_FIXED, meta_len, &r->meta, &what, &at))) {
		rc = rfail(r, rc, "header metadata at offset %zu: %s", FMT_HEADER_FIXED + at, what);
		goto cleanup;
	}
	r->body = total;
cleanup:
	free(buf);
	return rc;
}

/* Footer, index, key tables and stats. @return 0, or an error: the caller falls back to a
 * scan for index damage (the message says what was wrong), and fails for key-table damage
 * (*fatal set). */
static int read_index(struct mb_profile_reader *r, bool *fatal)
{
	uint8_t f[FMT_FOOTER];
	*fatal = false;
	if (r->size - r->body < FMT_FOOTER)
		return rfail(r, MB_E_TRUNCATED, "no footer");
	uint64_t foot = r->size - FMT_FOOTER;
	int rc = read_at(r, f, sizeof(f), foot);
	if (rc)
		return rc > 0 ? rfail(r, MB_E_TRUNCATED, "file shrank") : rfail(r, rc, "read: %s",
										 mb_strerror(rc));
	if (memcmp(f + 24, FMT_END_MAGIC, 8) != 0)
		return rfail(r, MB_E_TRUNCATED, "no footer at offset %llu", (unsigned long long)foot);
	if (FMT_SUM_BAD(get_le32(f + 20), (uint32_t)XXH64(f, 20, 0)))
		return rfail(r, MB_E_CHECKSUM, "footer at offset %llu: checksum mismatch",
			     (unsigned long long)foot);
	if (get_le32(f + 16) != 0)
		return rfail(r, MB_E_CORRUPT, "footer at offset %llu: reserved field set",
			     (unsigned long long)foot);
	uint64_t index_off = get_le64(f), stats_off = get_le64(f + 8);
	if (stats_off < r->body || index_off <= stats_off || index_off >= foot)
		return rfail(r, MB_E_CORRUPT, "footer at offset %llu: index %llu / stats %llu out of place",
			     (unsigned long long)foot, (unsigned long long)index_off,
			     (unsigned long long)stats_off);

	struct fmt_block_hdr h;
	if ((rc = load_block(r, index_off, FMT_BLK_INDEX, foot, &h)))
		return rc;
	if (index_off + FMT_BLOCK_HDR + h.comp_size != foot ||
	    (uint64_t)h.count * FMT_INDEX_ENTRY != r->raw.len)
		return rfail(r, MB_E_CORRUPT, "index at offset %llu: %u entries in %zu bytes",
			     (unsigned long long)index_off, h.count, r->raw.len);
	/* the index is in r->raw, which loading key tables reuses: keep a copy */
	size_t ilen = r->raw.len;
	uint8_t *idx = malloc(ilen ? ilen : 1);
	if (!idx)
		return rfail(r, -ENOMEM, "out of memory");
	if (ilen)
		memcpy(idx, r->raw.data, ilen);
	uint64_t next = r->body;
	uint32_t nent = h.count;
	for (uint32_t i = 0; i < nent; i++) {
		const uint8_t *e = idx + (size_t)i * FMT_INDEX_ENTRY;
		uint64_t off = get_le64(e);
		uint32_t count = get_le32(e + 24), comp = get_le32(e + 28);
		uint8_t type = e[36];
		if (off < next || off > stats_off || stats_off - off < FMT_BLOCK_HDR ||
		    stats_off - off - FMT_BLOCK_HDR < comp || e[37] || e[38] || e[39]) {
			rc = rfail(r, MB_E_CORRUPT, "index entry %u (offset %llu) invalid", i,
				   (unsigned long long)off);
			goto cleanup;
		}
		next = off + FMT_BLOCK_HDR + comp;
		if (type == FMT_BLK_KEYS) {
			if ((rc = load_block(r, off, FMT_BLK_KEYS, stats_off, &h)) ||
			    (rc = parse_keys(r, off, &h))) {
				*fatal = true;
				goto cleanup;
			}
		} else if (type == FMT_BLK_RECORDS) {
			if (count > MB_PROFILE_MAX_BLOCK_RECORDS) {
				rc = rfail(r, MB_E_CORRUPT, "index entry %u: %u records", i, count);
				goto cleanup;
			}
			struct mb_profile_block_info b = {
				.file_offset = off,
				.first_time_ns = get_le64(e + 8),
				.last_time_ns = get_le64(e + 16),
				.records = count,
				.compressed_bytes = comp,
			};
			if ((rc = add_block(r, &b)))
				goto cleanup;
		}
	}
	if ((rc = load_block(r, stats_off, FMT_BLK_STATS, index_off, &h)) ||
	    (rc = parse_stats(r, stats_off, &h)))
		goto cleanup;
cleanup:
	free(idx);
	return rc;
}

/* Forgets what a failed index read collected, before scanning. */
static void reset_body(struct mb_profile_reader *r)
{
	r->nblocks = 0;
	r->nkeys = 0;
	mb_buf_reset(&r->kbytes);
	r->have_stats = false;
	memset(&r->stats, 0, sizeof(r->stats));
}

/* Reads and checks the block header at pos and that its payload fits in the file. */
static int peek_block(struct mb_profile_reader *r, uint64_t pos, struct fmt_block_hdr *h)
{
	uint8_t hb[FMT_BLOCK_HDR];
	const char *what = NULL;
	int rc = read_at(r, hb, sizeof(hb), pos);
	if (rc)
		return rc > 0 ? rfail(r, MB_E_TRUNCATED, "file ends in the block header at offset %llu",
				      (unsigned long long)pos)
			      : rfail(r, rc, "read at offset %llu: %s", (unsigned long long)pos,
				      mb_strerror(rc));
	if ((rc = profile_fmt_block_hdr_get(hb, h, &what)))
		return rfail(r, rc, "block at offset %llu: %s", (unsigned long long)pos, what);
	if (r->size - pos - FMT_BLOCK_HDR < h->comp_size)
		return rfail(r, MB_E_TRUNCATED,
			     "block at offset %llu: %u-byte payload runs past the end of the file",
			     (unsigned long long)pos, h->comp_size);
	return 0;
}

/* Sequential scan of the body; stops at the first incomplete or damaged block. Key tables,
 * stats and record blocks are read and checked in full (record blocks are decoded for their
 * time range); index blocks and unknown types only need a valid header. */
static void scan_blocks(struct mb_profile_reader *r, const char *why)
{
	char reason[256];
	snprintf(reason, sizeof(reason), "%s", why);
	uint64_t pos = r->body;
	for (;;) {
		if (r->size - pos == FMT_FOOTER) {
			uint8_t f[FMT_FOOTER];
			if (read_at(r, f, sizeof(f), pos) == 0 &&
			    memcmp(f + 24, FMT_END_MAGIC, 8) == 0) {
				pos = r->size; /* the footer is not data: nothing lost */
				break;
			}
		}
		if (r->size - pos < FMT_BLOCK_HDR) {
			if (pos != r->size)
				rfail(r, MB_E_TRUNCATED, "file ends in the block header at offset %llu",
				      (unsigned long long)pos);
			break;
		}
		struct fmt_block_hdr h;
		int rc = peek_block(r, pos, &h);
		if (rc)
			break;
		if ((h.type == FMT_BLK_KEYS || h.type == FMT_BLK_STATS) &&
		    (rc = load_block(r, pos, h.type, r->size, &h)))
			break;
		if (h.type == FMT_BLK_KEYS) {
			rc = parse_keys(r, pos, &h);
		} else if (h.type == FMT_BLK_STATS) {
			rc = parse_stats(r, pos, &h);
		} else if (h.type == FMT_BLK_RECORDS) {
			size_t n = 0;
			rc = decode_records(r, pos, r->size, 0, &r->blk, &r->blk_cap, &n);
			struct mb_profile_block_info b = {.file_offset = pos, .records = (uint32_t)n,
							  .compressed_bytes = h.comp_size};
			for (size_t i = 0; !rc && i < n; i++) {
				uint64_t t = r->blk[i].time_ns;
				if (i == 0 || t < b.first_time_ns)
					b.first_time_ns = t;
				if (i == 0 || t > b.last_time_ns)
					b.last_time_ns = t;
			}
			if (!rc)
				rc = add_block(r, &b);
		}
		if (rc)
			break;
		pos += FMT_BLOCK_HDR + h.comp_size;
	}
	r->truncated = true;
	r->lost = r->size - pos;
	char detail[320] = "";
	if (r->lost && r->msg[0])
		if (snprintf(detail, sizeof(detail), " (%s)", msg_tail(r)) < 0)
			detail[0] = '\0'; /* a long reason is cut, which is fine for a warning */
	char msg[sizeof(r->msg)];
	snprintf(msg, sizeof(msg),
		 "%s: warning: %s; read %zu complete record blocks sequentially, %llu bytes from "
		 "offset %llu lost%s",
		 r->path, reason, r->nblocks, (unsigned long long)r->lost, (unsigned long long)pos,
		 detail);
	memcpy(r->msg, msg, sizeof(r->msg));
	if (!r->have_stats) {
		for (size_t i = 0; i < r->nblocks; i++)
			r->stats.records += r->blocks[i].records;
		r->stats.keys = r->nkeys;
	}
}

int mb_profile_reader_open(struct mb_profile_reader **out, const char *path, char *err,
			   size_t errlen)
{
	struct mb_profile_reader *r = calloc(1, sizeof(*r));
	int rc = 0;
	*out = NULL;
	if (err && errlen)
		err[0] = '\0';
	if (r)
		r->fd = -1;
	if (!r || !(r->path = strdup(path)) || !(r->dctx = ZSTD_createDCtx())) {
		if (err && errlen)
			snprintf(err, errlen, "%s: out of memory", path);
		rc = -ENOMEM;
		goto cleanup;
	}
	r->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (r->fd < 0) {
		rc = -errno;
		snprintf(r->msg, sizeof(r->msg), "cannot open %s: %s", path, mb_strerror(rc));
		goto cleanup;
	}
	struct stat st;
	if (fstat(r->fd, &st) != 0) {
		rc = rfail(r, -errno, "stat: %s", mb_strerror(-errno));
		goto cleanup;
	}
	if (S_ISDIR(st.st_mode)) {
		rc = rfail(r, -EISDIR, "%s", mb_strerror(-EISDIR));
		goto cleanup;
	}
	r->size = (uint64_t)st.st_size;
	if ((rc = read_header(r)))
		goto cleanup;
	bool fatal = false;
	rc = read_index(r, &fatal);
	if (rc && fatal)
		goto cleanup;
	if (rc) {
		char why[256];
		if (snprintf(why, sizeof(why), "no valid index (%s)", msg_tail(r)) < 0)
			why[0] = '\0'; /* cut if long: it only explains the fallback */
		r->msg[0] = '\0';
		reset_body(r);
		scan_blocks(r, why);
		memcpy(r->open_warn, r->msg, sizeof(r->msg));
		rc = 0;
	} else {
		r->msg[0] = '\0';
	}
cleanup:
	if (r && err && errlen && r->msg[0])
		snprintf(err, errlen, "%s", r->msg);
	if (rc) {
		mb_profile_reader_close(r);
		return rc;
	}
	*out = r;
	return 0;
}

void mb_profile_reader_close(struct mb_profile_reader *r)
{
	if (!r)
		return;
	if (r->fd >= 0)
		close(r->fd);
	ZSTD_freeDCtx(r->dctx);
	mb_buf_free(&r->comp);
	mb_buf_free(&r->raw);
	mb_buf_free(&r->kbytes);
	profile_strtab_free(&r->mflags);
	free(r->blocks);
	free(r->facts);
	free(r->kend);
	free(r->seq);
	free(r->blk);
	free(r->bad);
	free(r->path);
	free(r);
}

int mb_profile_reader_meta_flags(const struct mb_profile_reader *r, uint32_t id,
				 const char **bytes, uint32_t *len)
{
	return profile_strtab_get(&r->mflags, id, bytes, len) ? MB_E_USAGE : 0;
}

const struct mb_profile_meta *mb_profile_reader_meta(const struct mb_profile_reader *r)
{
	return &r->meta;
}

const struct mb_profile_stats *mb_profile_reader_stats(const struct mb_profile_reader *r)
{
	return &r->stats;
}

void mb_profile_reader_version(const struct mb_profile_reader *r, unsigned *major,
			       unsigned *minor)
{
	*major = r->major;
	*minor = r->minor;
}

bool mb_profile_reader_truncated(const struct mb_profile_reader *r, uint64_t *lost_bytes)
{
	if (lost_bytes)
		*lost_bytes = r->lost;
	return r->truncated;
}

size_t mb_profile_reader_block_count(const struct mb_profile_reader *r)
{
	return r->nblocks;
}

const struct mb_profile_block_info *mb_profile_reader_block(const struct mb_profile_reader *r,
							   size_t i)
{
	return i < r->nblocks ? &r->blocks[i] : NULL;
}

size_t mb_profile_reader_seek_time(const struct mb_profile_reader *r, uint64_t t_ns)
{
	/* linear: blocks may overlap in time when records came out of order */
	for (size_t i = 0; i < r->nblocks; i++)
		if (r->blocks[i].last_time_ns >= t_ns)
			return i;
	return r->nblocks;
}

int mb_profile_reader_rewind(struct mb_profile_reader *r, size_t block)
{
	if (block > r->nblocks)
		return MB_E_USAGE;
	r->seq_block = block;
	r->seq_n = r->seq_pos = 0;
	return 0;
}

/* Where block i ends at the latest: the next block's start, or the end of the file. */
static uint64_t block_limit(const struct mb_profile_reader *r, size_t i)
{
	return i + 1 < r->nblocks ? r->blocks[i + 1].file_offset : r->size;
}

static bool is_damage(int rc)
{
	return rc == MB_E_CHECKSUM || rc == MB_E_CORRUPT || rc == MB_E_ZSTD || rc == MB_E_TRUNCATED;
}

/* Counts block i as damaged (once). @return true when skip mode leaves it out. */
static bool skip_bad(struct mb_profile_reader *r, size_t i, int rc)
{
	if (!r->skip_damaged || !is_damage(rc))
		return false;
	if (!r->bad)
		r->bad = calloc(r->nblocks, 1); /* out of memory: counted again if read again */
	if (r->bad && r->bad[i])
		return true;
	if (r->bad)
		r->bad[i] = 1;
	r->bad_blocks++;
	r->bad_records += r->blocks[i].records;
	if (!r->bad_msg[0])
		memcpy(r->bad_msg, r->msg, sizeof(r->msg));
	return true;
}

long mb_profile_reader_read(struct mb_profile_reader *r, struct mb_record *buf, size_t cap)
{
	size_t got = 0;
	if (cap > LONG_MAX)
		cap = LONG_MAX;
	while (got < cap) {
		if (r->seq_pos == r->seq_n) {
			if (r->seq_block >= r->nblocks)
				break;
			const struct mb_profile_block_info *b = &r->blocks[r->seq_block];
			r->seq_n = r->seq_pos = 0;
			int rc = decode_records(r, b->file_offset, block_limit(r, r->seq_block),
						b->records, &r->seq, &r->seq_cap, &r->seq_n);
			if (rc && skip_bad(r, r->seq_block, rc)) {
				r->seq_n = 0;
				r->seq_block++;
				continue;
			}
			if (rc) {
				r->seq_n = 0;
				if (got)
					break; /* the error comes with the next call */
				return rc;
			}
			r->seq_block++;
			continue;
		}
		size_t n = r->seq_n - r->seq_pos;
		if (n > cap - got)
			n = cap - got;
		memcpy(buf + got, r->seq + r->seq_pos, n * sizeof(*buf));
		got += n;
		r->seq_pos += n;
	}
	return (long)got;
}

int mb_profile_reader_read_block(struct mb_profile_reader *r, size_t i,
				 const struct mb_record **recs, size_t *n)
{
	*recs = NULL;
	*n = 0;
	if (i >= r->nblocks)
		return rfail(r, MB_E_USAGE, "block %zu of %zu requested", i, r->nblocks);
	const struct mb_profile_block_info *b = &r->blocks[i];
	int rc = decode_records(r, b->file_offset, block_limit(r, i), b->records, &r->blk,
				&r->blk_cap, n);
	if (rc && skip_bad(r, i, rc)) {
		*n = 0;
		return 0;
	}
	if (rc)
		return rc;
	*recs = r->blk;
	return 0;
}

void mb_profile_reader_skip_damaged(struct mb_profile_reader *r, bool skip)
{
	r->skip_damaged = skip;
}

long mb_profile_reader_verify(struct mb_profile_reader *r)
{
	bool skip = r->skip_damaged;
	int rc = 0;
	r->skip_damaged = true;
	for (size_t i = 0; i < r->nblocks && !rc; i++) {
		const struct mb_profile_block_info *b = &r->blocks[i];
		size_t n = 0;
		rc = decode_records(r, b->file_offset, block_limit(r, i), b->records, &r->blk,
				    &r->blk_cap, &n);
		if (rc && skip_bad(r, i, rc))
			rc = 0;
	}
	r->skip_damaged = skip;
	return rc ? rc : (long)r->bad_blocks;
}

bool mb_profile_reader_block_damaged(const struct mb_profile_reader *r, size_t i)
{
	return r->bad && i < r->nblocks && r->bad[i];
}

/* The text after "PATH: " (and "warning: ") of a message of r. */
static const char *tail_of(const struct mb_profile_reader *r, const char *m)
{
	size_t plen = strlen(r->path);
	if (strncmp(m, r->path, plen) == 0 && m[plen] == ':' && m[plen + 1] == ' ')
		m += plen + 2;
	if (strncmp(m, "warning: ", 9) == 0)
		m += 9;
	return m;
}

bool mb_profile_reader_damage(const struct mb_profile_reader *r, struct mb_profile_damage *d,
			      char *msg, size_t len)
{
	struct mb_profile_damage dd = {.cut_short = r->truncated, .lost_bytes = r->lost,
				       .bad_blocks = r->bad_blocks, .bad_records = r->bad_records};
	if (d)
		*d = dd;
	if (msg && len) {
		char cut[sizeof(r->open_warn) + 48] = "", bad[sizeof(r->bad_msg) + 128] = "";
		if (dd.cut_short)
			snprintf(cut, sizeof(cut), "cut short or its end damaged (%s)",
				 tail_of(r, r->open_warn));
		if (dd.bad_blocks)
			snprintf(bad, sizeof(bad), "%" PRIu64 " of %zu record blocks failed their checks "
				 "(%" PRIu64 " records; first: %s)", dd.bad_blocks, r->nblocks,
				 dd.bad_records, tail_of(r, r->bad_msg));
		if (dd.cut_short || dd.bad_blocks)
			snprintf(msg, len, "%s is damaged: %s%s%s", r->path, cut,
				 cut[0] && bad[0] ? "; " : "", bad);
		else
			msg[0] = '\0';
	}
	return dd.cut_short || dd.bad_blocks;
}

int mb_profile_reader_allow_damaged(struct mb_profile_reader *r, bool allow, char *msg,
				    size_t len)
{
	r->skip_damaged = allow;
	if (len)
		msg[0] = '\0';
	if (!r->truncated)
		return 0;
	char d[sizeof(r->msg) + 64];
	mb_profile_reader_damage(r, NULL, d, sizeof(d));
	snprintf(msg, len, "%s; %s the %zu complete record blocks", d,
		 allow ? "using" : "pass " MB_PROFILE_ALLOW_DAMAGED " to use", r->nblocks);
	return allow ? 0 : MB_E_TRUNCATED;
}

const char *mb_profile_damage_hint(int err)
{
	return is_damage(err) ? "; pass " MB_PROFILE_ALLOW_DAMAGED " to leave damaged blocks out "
				"and use the rest" : "";
}

int mb_profile_reader_key(const struct mb_profile_reader *r, uint64_t id, const char **bytes,
			  uint32_t *len)
{
	if (id >= r->nkeys || !r->kend)
		return MB_E_USAGE;
	uint64_t start = id ? r->kend[id - 1] : 0;
	*bytes = r->kbytes.data ? r->kbytes.data + start : "";
	*len = (uint32_t)(r->kend[id] - start);
	return 0;
}

uint64_t mb_profile_reader_key_count(const struct mb_profile_reader *r)
{
	return r->nkeys;
}

const char *mb_profile_reader_errmsg(const struct mb_profile_reader *r)
{
	return r->msg;
}
