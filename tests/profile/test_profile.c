/* Tests of libmbprofile (profile/FORMAT.md v1): round trips of every field and edge value in
 * every key mode, the golden 1.0 and 1.1 files, corrupt fixtures each with its specific error,
 * truncation at every byte offset, and time seeks.
 *
 * The golden files were written once by this program, by the writer of their version:
 *     build/tests/profile/test_profile --write-golden tests/profile/golden/v1.1.mbp
 * (v1.mbp by the 1.0 writer) and are never regenerated: every later reader must keep reading
 * them back to the records that gen_record() describes for their version (gen_minor).
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <xxhash.h>
#include <zstd.h>

#include "format.h" /* private: byte layout helpers, to build corrupt fixtures */
#include "membench/error.h"
#include "membench/profile.h"
#include "testutil.h"

#define MAXKEYS 4096

/* What a test profile should read back as. */
struct expect {
	size_t n;
	struct mb_record *recs; /* key_id: dense id as the reader returns it */
	size_t nkeys;
	char *keys[MAXKEYS];    /* identity of each dense id: key bytes, or "#<id>" */
	uint32_t keylen[MAXKEYS];
	bool by_id[MAXKEYS];
	unsigned minor;         /* format minor version the file has */
};

static char tmpdir[4096];

static int setup(void **state)
{
	(void)state;
	return mb_test_tmpdir(tmpdir, sizeof(tmpdir));
}

static int teardown(void **state)
{
	(void)state;
	mb_test_rmtree(tmpdir);
	return 0;
}

static const char *tmp_path(const char *name)
{
	static char buf[4][4200];
	static int next;
	char *p = buf[next++ % 4];
	snprintf(p, sizeof(buf[0]), "%s/%s", tmpdir, name);
	return p;
}

static const uint32_t u32_edges[] = {0, 1, 127, 128, 16383, 16384, UINT32_MAX - 1, UINT32_MAX};
static const int32_t ttl_edges[] = {0, -1, 1, INT32_MIN, INT32_MAX, 2592000, 2592001, -3600};
static const uint64_t lat_edges[] = {0, 1, 999, 1000000, UINT64_MAX, UINT64_MAX - 1};
#define NEDGE(a) (sizeof(a) / sizeof((a)[0]))

/* Record i of a test profile: every op, proto, status and flag combination comes round, times
 * mostly rise but sometimes go back, and every field takes its edge values. key: set to the
 * key's bytes (NUL-terminated) or NULL for a keyless record / a record identified by number. */
/* Format minor version whose records gen_record describes (golden 1.0 file: 0). */
static unsigned gen_minor = MB_PROFILE_VERSION_MINOR;

static void gen_record(size_t i, bool ids, struct mb_record *r, char *key, const char **keyp)
{
	memset(r, 0, sizeof(*r));
	r->time_ns = (uint64_t)i * 1000 + (i % 7) * 3;
	if (i % 17 == 5)
		r->time_ns -= 4000; /* out of order */
	if (i == 3)
		r->time_ns = UINT64_MAX;
	if (i == 4)
		r->time_ns = 0;
	r->conn_id = (i % 23 == 0) ? u32_edges[(i / 23) % NEDGE(u32_edges)] : (uint32_t)(i % 5);
	r->op = (uint8_t)(i % MB_OP_COUNT);
	r->proto = (uint8_t)((i / 3) % MB_PROTO_COUNT);
	r->status = (uint8_t)((i / 2) % MB_STATUS_COUNT);
	/* 1.0 had no MB_RF_NUMERIC (1.1, extras block) */
	r->rflags = (uint8_t)(i % ((gen_minor ? MB_RF_KNOWN_MASK : MB_RF_COLUMN_MASK) + 1));
	r->value_len = (i % 4 == 0) ? u32_edges[(i / 4) % NEDGE(u32_edges)] : (uint32_t)(100 + i % 9);
	r->client_flags = u32_edges[(i / 5) % NEDGE(u32_edges)];
	r->ttl = ttl_edges[i % NEDGE(ttl_edges)];
	r->latency_ns = (i % 3 == 0) ? lat_edges[(i / 3) % NEDGE(lat_edges)] : i * 37;
	*keyp = NULL;
	if (i % 11 == 0) { /* keyless */
		r->key_id = MB_KEY_NONE;
		r->key_len = (i % 22 == 0) ? 0 : 7;
		return;
	}
	unsigned k = (unsigned)((i * 7) % 41);
	if (ids) {
		r->key_id = k == 40 ? UINT64_MAX - 1 : (uint64_t)k * 1000003u;
		r->key_len = 10 + k;
	} else {
		sprintf(key, "ns%u:key%u", k % 3, k);
		if (k == 40) /* a key without the delimiter */
			sprintf(key, "plainkey%u", k);
		r->key_len = (uint32_t)strlen(key);
		*keyp = key;
	}
	if (i % 19 == 0)
		r->key_len += 3; /* differs from the key table's length */
	if (i == 77)
		r->key_len = MB_PROFILE_MAX_KEY_LEN;
}

static void expect_free(struct expect *e)
{
	free(e->recs);
	for (size_t i = 0; i < e->nkeys; i++)
		free(e->keys[i]);
	memset(e, 0, sizeof(*e));
}

static uint64_t expect_key(struct expect *e, const char *key, uint64_t id, uint32_t len)
{
	char idbuf[32];
	const char *ident = key;
	if (!key) {
		snprintf(idbuf, sizeof(idbuf), "#%llu", (unsigned long long)id);
		ident = idbuf;
	}
	for (size_t k = 0; k < e->nkeys; k++)
		if (e->by_id[k] == !key && strcmp(e->keys[k], ident) == 0)
			return k;
	assert_true(e->nkeys < MAXKEYS);
	e->keys[e->nkeys] = strdup(ident);
	e->keylen[e->nkeys] = len;
	e->by_id[e->nkeys] = !key;
	return e->nkeys++;
}

static void test_meta(struct mb_profile_meta *m, uint8_t key_mode)
{
	memset(m, 0, sizeof(*m));
	snprintf(m->creator, sizeof(m->creator), "test_profile 1");
	snprintf(m->source, sizeof(m->source), "synth:test");
	snprintf(m->params, sizeof(m->params), "n=300 seed=1");
	snprintf(m->capture, sizeof(m->capture), "ports=11211 cap=16384");
	snprintf(m->host, sizeof(m->host), "golden-host");
	m->start_wall_ns = 1763776800000000000LL;
	m->start_clock_ns = 123456789;
	m->clock = MB_CLOCK_SYNTHETIC;
	m->key_mode = key_mode;
	m->key_delim = ':';
	m->max_event_bytes = 16384;
	m->sample_ratio = 0.25;
}

static const struct mb_profile_stats test_stats = {
	.requests = 250, .responses = 200, .ring_drops = 1, .truncated_bytes = 2, .stream_gaps = 3,
	.gap_bytes = 4, .protocol_errors = 5, .resync_bytes = 6, .unpaired_responses = 7,
	.skipped_rows = 8, .events = UINT64_MAX,
};

/* Fills e with what n generated records must read back as. */
static void build_expect(size_t n, bool ids, struct expect *e)
{
	memset(e, 0, sizeof(*e));
	e->n = n;
	e->minor = gen_minor;
	e->recs = calloc(n ? n : 1, sizeof(*e->recs));
	assert_non_null(e->recs);
	for (size_t i = 0; i < n; i++) {
		struct mb_record r;
		char key[64];
		const char *kp;
		gen_record(i, ids, &r, key, &kp);
		e->recs[i] = r;
		if (kp || r.key_id != MB_KEY_NONE)
			e->recs[i].key_id = expect_key(e, kp, r.key_id, r.key_len);
	}
}

/* Writes n generated records (a flush in the middle, stats added twice). */
static int write_profile(const char *path, size_t n, uint8_t key_mode, bool ids,
			 uint32_t block_records)
{
	struct mb_profile_meta meta;
	struct mb_profile_writer *w = NULL;
	struct mb_profile_writer_opts opts = {.zstd_level = 3, .block_records = block_records};
	char err[512];
	test_meta(&meta, key_mode);
	int rc = mb_profile_writer_open(&w, path, &meta, &opts, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "%s\n", err);
		return rc;
	}
	for (size_t i = 0; i < n; i++) {
		struct mb_record r;
		char key[64];
		const char *kp;
		gen_record(i, ids, &r, key, &kp);
		if ((rc = mb_profile_writer_append(w, &r, kp, kp ? strlen(kp) : 0)))
			break;
		if (i == n / 2 && (rc = mb_profile_writer_flush(w)))
			break;
	}
	mb_profile_writer_add_stats(w, &test_stats);
	mb_profile_writer_add_stats(w, &test_stats);
	int rc2 = mb_profile_writer_close(w, err, sizeof(err));
	return rc ? rc : rc2;
}

static void write_test_profile(const char *path, size_t n, uint8_t key_mode, bool ids,
			       uint32_t block_records, struct expect *e)
{
	assert_int_equal(write_profile(path, n, key_mode, ids, block_records), 0);
	build_expect(n, ids, e);
}

static void assert_record_equal(const struct mb_record *a, const struct mb_record *b, size_t i)
{
	if (memcmp(a, b, sizeof(*a)) == 0)
		return;
	print_error("record %zu differs: time %llu/%llu key %llu/%llu conn %u/%u klen %u/%u vlen "
		    "%u/%u flags %u/%u ttl %d/%d lat %llu/%llu op %u/%u proto %u/%u status %u/%u "
		    "rflags %u/%u\n",
		    i, (unsigned long long)a->time_ns, (unsigned long long)b->time_ns,
		    (unsigned long long)a->key_id, (unsigned long long)b->key_id, a->conn_id,
		    b->conn_id, a->key_len, b->key_len, a->value_len, b->value_len, a->client_flags,
		    b->client_flags, a->ttl, b->ttl, (unsigned long long)a->latency_ns,
		    (unsigned long long)b->latency_ns, a->op, b->op, a->proto, b->proto, a->status,
		    b->status, a->rflags, b->rflags);
	fail();
}

/* Reads the whole profile with read() in odd-sized chunks and compares with e. */
static void check_sequential(struct mb_profile_reader *r, const struct expect *e, size_t n)
{
	struct mb_record buf[37];
	size_t got = 0;
	long k;
	while ((k = mb_profile_reader_read(r, buf, 1 + got % 37)) > 0) {
		assert_true(got + (size_t)k <= n);
		for (long j = 0; j < k; j++)
			assert_record_equal(&buf[j], &e->recs[got + (size_t)j], got + (size_t)j);
		got += (size_t)k;
	}
	if (k < 0)
		print_error("read: %s\n", mb_profile_reader_errmsg(r));
	assert_int_equal(k, 0);
	assert_int_equal(got, n);
}

/* Block-by-block read, index times and record counts. */
static void check_blocks(struct mb_profile_reader *r, const struct expect *e)
{
	size_t at = 0;
	for (size_t b = 0; b < mb_profile_reader_block_count(r); b++) {
		const struct mb_profile_block_info *bi = mb_profile_reader_block(r, b);
		const struct mb_record *recs;
		size_t n;
		assert_int_equal(mb_profile_reader_read_block(r, b, &recs, &n), 0);
		assert_int_equal(n, bi->records);
		uint64_t lo = UINT64_MAX, hi = 0;
		for (size_t j = 0; j < n; j++) {
			assert_record_equal(&recs[j], &e->recs[at + j], at + j);
			lo = recs[j].time_ns < lo ? recs[j].time_ns : lo;
			hi = recs[j].time_ns > hi ? recs[j].time_ns : hi;
		}
		assert_true(bi->first_time_ns == lo && bi->last_time_ns == hi);
		at += n;
	}
	assert_int_equal(at, e->n);
	assert_null(mb_profile_reader_block(r, mb_profile_reader_block_count(r)));
}

static void check_keys(struct mb_profile_reader *r, const struct expect *e, uint8_t key_mode)
{
	assert_int_equal(mb_profile_reader_key_count(r), e->nkeys);
	for (size_t k = 0; k < e->nkeys; k++) {
		const char *bytes = NULL;
		uint32_t len = 0;
		int rc = mb_profile_reader_key(r, k, &bytes, &len);
		if (key_mode == MB_KEYS_ANON) {
			assert_int_equal(rc, MB_E_USAGE);
			continue;
		}
		assert_int_equal(rc, 0);
		if (e->by_id[k]) {
			assert_int_equal(len, 0);
			continue;
		}
		const char *want = e->keys[k];
		size_t wlen = strlen(want);
		if (key_mode == MB_KEYS_PREFIX) {
			const char *d = strchr(want, ':');
			wlen = d ? (size_t)(d - want) + 1 : 0;
		}
		assert_int_equal(len, wlen);
		assert_memory_equal(bytes, want, wlen);
	}
	const char *bytes;
	uint32_t len;
	assert_int_equal(mb_profile_reader_key(r, e->nkeys, &bytes, &len), MB_E_USAGE);
}

static void check_profile(const char *path, const struct expect *e, uint8_t key_mode)
{
	struct mb_profile_reader *r = NULL;
	char err[512];
	int rc = mb_profile_reader_open(&r, path, err, sizeof(err));
	if (rc)
		print_error("open: %s\n", err);
	assert_int_equal(rc, 0);
	assert_string_equal(err, "");

	struct mb_profile_meta want;
	test_meta(&want, key_mode);
	const struct mb_profile_meta *m = mb_profile_reader_meta(r);
	assert_string_equal(m->creator, want.creator);
	assert_string_equal(m->source, want.source);
	assert_string_equal(m->params, want.params);
	assert_string_equal(m->capture, want.capture);
	assert_string_equal(m->host, want.host);
	assert_true(m->start_wall_ns == want.start_wall_ns);
	assert_true(m->start_clock_ns == want.start_clock_ns);
	assert_int_equal(m->clock, want.clock);
	assert_int_equal(m->key_mode, want.key_mode);
	assert_int_equal(m->key_delim, want.key_delim);
	assert_int_equal(m->max_event_bytes, want.max_event_bytes);
	assert_true(m->sample_ratio == want.sample_ratio);

	unsigned major, minor;
	mb_profile_reader_version(r, &major, &minor);
	assert_int_equal(major, 1);
	assert_int_equal(minor, e->minor);
	uint64_t lost = 1;
	assert_false(mb_profile_reader_truncated(r, &lost));
	assert_int_equal(lost, 0);

	const struct mb_profile_stats *s = mb_profile_reader_stats(r);
	assert_int_equal(s->records, e->n);
	assert_int_equal(s->keys, e->nkeys);
	assert_int_equal(s->requests, 2 * test_stats.requests);
	assert_int_equal(s->skipped_rows, 2 * test_stats.skipped_rows);
	assert_true(s->events == UINT64_MAX - 1); /* UINT64_MAX twice, wrapping */

	check_sequential(r, e, e->n);
	check_blocks(r, e);
	check_keys(r, e, key_mode);

	/* rewind and read again from the middle block */
	size_t nb = mb_profile_reader_block_count(r);
	assert_int_equal(mb_profile_reader_rewind(r, nb + 1), MB_E_USAGE);
	assert_int_equal(mb_profile_reader_rewind(r, 0), 0);
	check_sequential(r, e, e->n);
	mb_profile_reader_close(r);
}

static void round_trip(uint8_t key_mode, bool ids, size_t n, uint32_t block_records)
{
	struct expect e;
	const char *path = tmp_path("rt.mbp");
	write_test_profile(path, n, key_mode, ids, block_records, &e);
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	check_profile(path, &e, key_mode);
	expect_free(&e);
}

static void test_round_trip_anon(void **state)
{
	(void)state;
	round_trip(MB_KEYS_ANON, false, 1000, 64);
}

static void test_round_trip_prefix(void **state)
{
	(void)state;
	round_trip(MB_KEYS_PREFIX, false, 1000, 100);
}

static void test_round_trip_kept(void **state)
{
	(void)state;
	round_trip(MB_KEYS_KEPT, false, 1000, 0);
}

static void test_round_trip_ids(void **state)
{
	(void)state;
	round_trip(MB_KEYS_KEPT, true, 500, 33);
	round_trip(MB_KEYS_ANON, true, 500, 1);
}

static void test_round_trip_empty(void **state)
{
	(void)state;
	round_trip(MB_KEYS_ANON, false, 0, 0);
}

/* ---- golden v1 file ------------------------------------------------------------------- */

#define GOLDEN_REL "tests/profile/golden/v1.mbp"
#define GOLDEN_1_1_REL "tests/profile/golden/v1.1.mbp"
#define GOLDEN_N 300
#define GOLDEN_MODE MB_KEYS_KEPT
#define GOLDEN_BLOCK 64

static void check_golden(const char *rel, unsigned minor)
{
	char path[4096];
	struct expect e;
	mb_test_source_path(path, sizeof(path), rel);
	gen_minor = minor;
	build_expect(GOLDEN_N, false, &e);
	gen_minor = MB_PROFILE_VERSION_MINOR;
	check_profile(path, &e, GOLDEN_MODE);
	expect_free(&e);
}

/* A 1.1 reader reads the 1.0 file (no extras blocks: no MB_RF_NUMERIC). */
static void test_golden_v1(void **state)
{
	(void)state;
	check_golden(GOLDEN_REL, 0);
}

/* The 1.1 file: MB_RF_NUMERIC comes back from the extras blocks. */
static void test_golden_v1_1(void **state)
{
	(void)state;
	check_golden(GOLDEN_1_1_REL, 1);
}

/* ---- byte-level fixtures ----------------------------------------------------------------- */

struct bytes {
	uint8_t *p;
	size_t n;
};

static void slurp(const char *path, struct bytes *b)
{
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	struct stat st;
	assert_int_equal(fstat(fileno(f), &st), 0);
	b->n = (size_t)st.st_size;
	b->p = malloc(b->n + 1);
	assert_non_null(b->p);
	assert_int_equal(fread(b->p, 1, b->n, f), b->n);
	fclose(f);
}

static void spit(const char *path, const void *p, size_t n)
{
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(p, 1, n, f), n);
	assert_int_equal(fclose(f), 0);
}

static void golden_bytes(struct bytes *b)
{
	char path[4096];
	slurp(mb_test_source_path(path, sizeof(path), GOLDEN_REL), b);
}

/* Offset where the body starts (after header + checksum). */
static size_t body_start(const struct bytes *b)
{
	return FMT_HEADER_FIXED + get_le32(b->p + 16) + FMT_HEADER_SUM;
}

/* The n-th block (0-based) of the given type in file order: its offset, or 0. */
static size_t nth_block(const struct bytes *b, uint8_t type, int nth)
{
	size_t pos = body_start(b);
	while (pos + FMT_BLOCK_HDR <= b->n - FMT_FOOTER) {
		uint8_t t = b->p[pos + 4];
		if (t == type && nth-- == 0)
			return pos;
		pos += FMT_BLOCK_HDR + get_le32(b->p + pos + 16);
	}
	return 0;
}

static void fix_header_sum(struct bytes *b)
{
	size_t end = body_start(b) - FMT_HEADER_SUM;
	put_le64(b->p + end, XXH64(b->p, end, 0));
}

static void fix_block_hdr_check(struct bytes *b, size_t off)
{
	put_le32(b->p + off + 20, (uint32_t)XXH64(b->p + off, 20, 0));
}

/* A profile assembled by hand (header + blocks + stats + index + footer), for inputs the
 * writer never produces: unknown tags and block types of a later minor version, records that
 * break the rules. */
struct build {
	uint8_t buf[1 << 16];
	size_t len;
	uint8_t index[4096];
	size_t nindex;
};

static void b_put(struct build *b, const void *p, size_t n)
{
	assert_true(b->len + n <= sizeof(b->buf));
	memcpy(b->buf + b->len, p, n);
	b->len += n;
}

/* Header with key mode kept plus an extra TLV (tag 999) a v1.0 reader does not know. */
static void b_header(struct build *b, uint16_t minor)
{
	uint8_t h[FMT_HEADER_FIXED + 64];
	size_t n = FMT_HEADER_FIXED;
	memcpy(h, FMT_MAGIC, 8);
	put_le16(h + 8, 1);
	put_le16(h + 10, minor);
	put_le32(h + 12, 0);
	const uint8_t tlvs[] = {9, 0, 1, 0, MB_KEYS_KEPT,   /* key_mode kept */
				0xe7, 0x03, 3, 0, 'n', 'e', 'w', /* tag 999: unknown */
				2, 0, 3, 0, 'h', 'a', 'n'};      /* source "han" */
	memcpy(h + n, tlvs, sizeof(tlvs));
	n += sizeof(tlvs);
	put_le32(h + 16, (uint32_t)(n - FMT_HEADER_FIXED));
	put_le64(h + n, XXH64(h, n, 0));
	b_put(b, h, n + 8);
}

static void b_block(struct build *b, uint8_t type, uint32_t count, const void *raw, size_t len,
		    uint64_t tmin, uint64_t tmax)
{
	uint8_t comp[8192], hdr[FMT_BLOCK_HDR];
	size_t clen = ZSTD_compress(comp, sizeof(comp), raw, len, 3);
	assert_false(ZSTD_isError(clen));
	struct fmt_block_hdr h = {.type = type, .count = count, .raw_size = (uint32_t)len,
				  .comp_size = (uint32_t)clen, .sum = XXH64(comp, clen, 0)};
	profile_fmt_block_hdr_put(hdr, &h);
	if (type == FMT_BLK_RECORDS || type == FMT_BLK_KEYS || type > FMT_BLK_STATS) {
		uint8_t *e = b->index + b->nindex * FMT_INDEX_ENTRY;
		assert_true((b->nindex + 1) * FMT_INDEX_ENTRY <= sizeof(b->index));
		memset(e, 0, FMT_INDEX_ENTRY);
		put_le64(e, b->len);
		put_le64(e + 8, tmin);
		put_le64(e + 16, tmax);
		put_le32(e + 24, count);
		put_le32(e + 28, (uint32_t)clen);
		put_le32(e + 32, (uint32_t)len);
		e[36] = type;
		b->nindex++;
	}
	b_put(b, hdr, sizeof(hdr));
	b_put(b, comp, clen);
}

/* One key "k:1" (id 0, key_len 3, value hint 10). */
static void b_keys(struct build *b)
{
	uint8_t raw[32];
	put_le64(raw, 0);
	uint8_t *p = raw + 8;
	*p++ = 3;
	*p++ = 10;
	*p++ = 3;
	memcpy(p, "k:1", 3);
	p += 3;
	b_block(b, FMT_BLK_KEYS, 1, raw, (size_t)(p - raw), 0, 0);
}

static void b_records(struct build *b, const struct mb_record *recs, size_t n)
{
	static uint8_t raw[8 + 16 * FMT_REC_MAX_BYTES], scratch[16 * 10];
	struct fmt_keyfact facts[2] = {{3, 10}, {0, 0}}; /* [1]: for the unknown-key case */
	struct fmt_keyfacts kf = {facts, 1};
	assert_true(n <= 16);
	size_t len = profile_fmt_cols_encode(raw, scratch, recs, n, &kf);
	b_block(b, FMT_BLK_RECORDS, (uint32_t)n, raw, len, recs[0].time_ns, recs[n - 1].time_ns);
}

static void b_finish(struct build *b)
{
	uint8_t st[FMT_STATS_FIELDS * 8 + 8] = {0};
	put_le64(st, 2);               /* records */
	put_le64(st + 8, 1);           /* keys */
	put_le64(st + FMT_STATS_FIELDS * 8, 42); /* a counter a later minor version added */
	uint64_t stats_off = b->len;
	b_block(b, FMT_BLK_STATS, FMT_STATS_FIELDS + 1, st, sizeof(st), 0, 0);
	uint64_t index_off = b->len;
	uint8_t idx[4096];
	size_t ilen = b->nindex * FMT_INDEX_ENTRY;
	memcpy(idx, b->index, ilen);
	b_block(b, FMT_BLK_INDEX, (uint32_t)b->nindex, idx, ilen, 0, 0);
	uint8_t f[FMT_FOOTER];
	put_le64(f, index_off);
	put_le64(f + 8, stats_off);
	put_le32(f + 16, 0);
	put_le32(f + 20, (uint32_t)XXH64(f, 20, 0));
	memcpy(f + 24, FMT_END_MAGIC, 8);
	b_put(b, f, sizeof(f));
}

static const struct mb_record hand_recs[2] = {
	{.time_ns = 5, .key_id = 0, .key_len = 3, .value_len = 10, .op = MB_OP_SET,
	 .proto = MB_PROTO_META, .status = MB_STATUS_STORED, .rflags = MB_RF_HAS_RESPONSE,
	 .latency_ns = 900, .ttl = -1},
	{.time_ns = 9, .key_id = MB_KEY_NONE, .op = MB_OP_STATS},
};

/* What a 1.0 reader sees of a 1.1 file: the 1.1 golden file with its header's minor set to 0
 * makes this reader take the 1.0 path (skip the extras blocks as a block type it does not know,
 * which is all a 1.0 reader does with them), with the index and by a scan: every record, only
 * without MB_RF_NUMERIC. */
static void test_v1_1_as_v1_0(void **state)
{
	(void)state;
	char path[4096];
	struct bytes b;
	struct expect e;
	slurp(mb_test_source_path(path, sizeof(path), GOLDEN_1_1_REL), &b);
	build_expect(GOLDEN_N, false, &e);
	size_t nnum = 0;
	for (size_t i = 0; i < e.n; i++) {
		nnum += (e.recs[i].rflags & MB_RF_NUMERIC) != 0;
		e.recs[i].rflags &= (uint8_t)~MB_RF_NUMERIC;
	}
	assert_true(nnum > 0);
	put_le16(b.p + 10, 0);
	fix_header_sum(&b);
	const char *tmp = tmp_path("v11as10.mbp");
	struct mb_record *got = calloc(GOLDEN_N + 1, sizeof(*got));
	assert_non_null(got);
	for (int pass = 0; pass < 2; pass++) { /* with the index, then by a scan without it */
		spit(tmp, b.p, pass ? b.n - FMT_FOOTER : b.n);
		struct mb_profile_reader *r;
		char err[512];
		assert_int_equal(mb_profile_reader_open(&r, tmp, err, sizeof(err)), 0);
		assert_int_equal(mb_profile_reader_read(r, got, GOLDEN_N + 1), GOLDEN_N);
		for (size_t i = 0; i < GOLDEN_N; i++)
			assert_record_equal(&got[i], &e.recs[i], i);
		mb_profile_reader_close(r);
	}

	free(got);
	free(b.p);
	expect_free(&e);
}

/* Extras blocks built by hand behind two records: an unknown column is skipped, and each
 * damage is corrupt at read with its own message naming the block's offset. */
static void test_extras_fixtures(void **state)
{
	(void)state;
	static const struct {
		uint32_t count;
		uint8_t raw[12];
		size_t len;
		const char *msg; /* NULL: reads, record 1 numeric */
	} fx[] = {
		{2, {7, 1, 0xaa, 1, 2, 0, 1}, 7, NULL},
		{2, {1, 2, 0, 0x80}, 4, "reserved extras record flag set"},
		{3, {1, 2, 0, 1}, 4, "3 records, its record block has 2"},
		{2, {1, 3, 0, 1, 0}, 5, "rflags column length is not the record count"},
		{2, {1, 2, 0, 1, 1, 2, 0, 1}, 8, "rflags column twice"},
		{2, {0, 0}, 2, "tag 0"},
		{2, {2, 3, 1, 'v', 0, 1, 2, 0, 1}, 9, NULL},
		{2, {2, 3, 1, 'v', 1}, 5, "a text runs past the column"},
		{2, {2, 4, 1, 'v', 0, 9}, 6, "bytes after the last record"},
		{2, {1, 5, 0}, 3, "runs past the block"},
	};
	for (size_t i = 0; i < sizeof(fx) / sizeof(fx[0]); i++) {
		static struct build b;
		memset(&b, 0, sizeof(b));
		b_header(&b, 1);
		b_keys(&b);
		b_records(&b, hand_recs, 2);
		size_t at = b.len;
		b_block(&b, FMT_BLK_EXTRAS, fx[i].count, fx[i].raw, fx[i].len, 0, 0);
		b_finish(&b);
		const char *path = tmp_path("extras.mbp");
		spit(path, b.buf, b.len);
		struct mb_profile_reader *r;
		char err[512], want[128];
		assert_int_equal(mb_profile_reader_open(&r, path, err, sizeof(err)), 0);
		struct mb_record got[3];
		long k = mb_profile_reader_read(r, got, 3);
		if (!fx[i].msg) {
			assert_int_equal(k, 2);
			assert_int_equal(got[0].rflags, hand_recs[0].rflags);
			assert_int_equal(got[1].rflags, hand_recs[1].rflags | MB_RF_NUMERIC);
			const char *t;
			uint32_t tl;
			if (fx[i].raw[0] == 2) { /* and the meta flags column before it */
				assert_int_equal(mb_profile_reader_meta_flags(r, got[0].meta_flags, &t,
									      &tl), 0);
				assert_int_equal(tl, 1);
				assert_int_equal(t[0], 'v');
				assert_int_equal(got[1].meta_flags, 0);
			}
		} else {
			assert_int_equal(k, MB_E_CORRUPT);
			snprintf(want, sizeof(want), "extras block at offset %zu: ", at);
			const char *m = mb_profile_reader_errmsg(r);
			if (!strstr(m, want) || !strstr(m, fx[i].msg))
				print_error("%zu: \"%s\" lacks \"%s%s\"\n", i, m, want, fx[i].msg);
			assert_non_null(strstr(m, want));
			assert_non_null(strstr(m, fx[i].msg));
		}
		mb_profile_reader_close(r);
	}
}

/* 1.1 meta flag texts: written after the key bytes, read back by id (sequentially and block by
 * block in reverse), absent for other records, in every key mode; the writer refuses a text
 * longer than the key bytes given, than 255 bytes, or without key bytes. */
static const char *const mflag_texts[] = {"N0 J13 v", "v c f", "T30 q O", "S C E k b", ""};

static void test_meta_flags(void **state)
{
	(void)state;
	const uint8_t modes[] = {MB_KEYS_ANON, MB_KEYS_PREFIX, MB_KEYS_KEPT};
	for (size_t m = 0; m < sizeof(modes); m++) {
		struct mb_profile_meta meta;
		struct mb_profile_writer *w = NULL;
		struct mb_profile_writer_opts opts = {.block_records = 64};
		char err[512], buf[600];
		test_meta(&meta, modes[m]);
		const char *path = tmp_path("mflags.mbp");
		assert_int_equal(mb_profile_writer_open(&w, path, &meta, &opts, err, sizeof(err)), 0);
		for (uint32_t i = 0; i < 1000; i++) {
			const char *f = mflag_texts[i % 5];
			int kn = snprintf(buf, sizeof(buf), "ns:k%u", i % 77);
			struct mb_record r = {.time_ns = i, .key_len = (uint32_t)kn, .op = MB_OP_MA,
					      .proto = MB_PROTO_META, .meta_flags = (uint32_t)strlen(f)};
			memcpy(buf + kn, f, strlen(f));
			assert_int_equal(mb_profile_writer_append(w, &r, buf, (size_t)kn + strlen(f)), 0);
		}
		struct mb_record bad = {.key_len = 2, .meta_flags = 3};
		assert_int_equal(mb_profile_writer_append(w, &bad, "k1", 2), MB_E_USAGE);
		assert_int_equal(mb_profile_writer_append(w, &bad, NULL, 0), MB_E_USAGE);
		bad.key_id = 5;
		assert_int_equal(mb_profile_writer_append_stored(w, &bad, NULL, 0), MB_E_USAGE);
		memset(buf, 'v', sizeof(buf));
		bad.meta_flags = MB_PROFILE_MAX_META_FLAGS + 1;
		assert_int_equal(mb_profile_writer_append(w, &bad, buf, 2 + bad.meta_flags), MB_E_USAGE);
		assert_int_equal(mb_profile_writer_close(w, err, sizeof(err)), 0);

		struct mb_profile_reader *r;
		assert_int_equal(mb_profile_reader_open(&r, path, err, sizeof(err)), 0);
		struct mb_record *got = calloc(1001, sizeof(*got));
		assert_non_null(got);
		assert_int_equal(mb_profile_reader_read(r, got, 1001), 1000);
		for (size_t b = mb_profile_reader_block_count(r); b-- > 0;) {
			const struct mb_record *recs;
			size_t n;
			assert_int_equal(mb_profile_reader_read_block(r, b, &recs, &n), 0);
			for (size_t j = 0; j < n; j++)
				assert_int_equal(recs[j].meta_flags, got[b * 64 + j].meta_flags);
		}
		for (uint32_t i = 0; i < 1000; i++) {
			const char *want = mflag_texts[i % 5], *t;
			uint32_t tl;
			assert_int_equal(got[i].key_len, snprintf(buf, sizeof(buf), "ns:k%u", i % 77));
			if (!*want) {
				assert_int_equal(got[i].meta_flags, 0);
				continue;
			}
			assert_int_equal(mb_profile_reader_meta_flags(r, got[i].meta_flags, &t, &tl), 0);
			assert_int_equal(tl, strlen(want));
			assert_memory_equal(t, want, tl);
			if (modes[m] == MB_KEYS_KEPT) { /* the key is the key, not key + flags */
				const char *kb;
				uint32_t kl;
				assert_int_equal(mb_profile_reader_key(r, got[i].key_id, &kb, &kl), 0);
				assert_int_equal(kl, got[i].key_len);
			}
		}
		assert_int_equal(mb_profile_reader_key_count(r), 77);
		const char *t;
		uint32_t tl;
		assert_int_equal(mb_profile_reader_meta_flags(r, 0, &t, &tl), MB_E_USAGE);
		assert_int_equal(mb_profile_reader_meta_flags(r, 5, &t, &tl), MB_E_USAGE);
		free(got);
		mb_profile_reader_close(r);
	}
}

/* A later minor version: unknown TLV, unknown block type, extra stats counter. v1.0 reads it. */
static void test_minor_version_compat(void **state)
{
	(void)state;
	static struct build b;
	memset(&b, 0, sizeof(b));
	b_header(&b, 7);
	b_keys(&b);
	const uint8_t unknown[] = "a block type from the future";
	b_block(&b, 9, 1, unknown, sizeof(unknown), 0, 0);
	b_records(&b, hand_recs, 2);
	b_finish(&b);
	const char *path = tmp_path("minor.mbp");
	spit(path, b.buf, b.len);

	for (int pass = 0; pass < 2; pass++) { /* with the index, then by a scan without it */
		struct mb_profile_reader *r;
		char err[512];
		int rc = mb_profile_reader_open(&r, path, err, sizeof(err));
		if (rc)
			print_error("%s\n", err);
		assert_int_equal(rc, 0);
		unsigned major, minor;
		mb_profile_reader_version(r, &major, &minor);
		assert_int_equal(minor, 7);
		assert_string_equal(mb_profile_reader_meta(r)->source, "han");
		assert_int_equal(mb_profile_reader_truncated(r, NULL), pass == 1);
		struct mb_record got[4];
		assert_int_equal(mb_profile_reader_read(r, got, 4), 2);
		assert_record_equal(&got[0], &hand_recs[0], 0);
		assert_record_equal(&got[1], &hand_recs[1], 1);
		const char *kb;
		uint32_t kl;
		assert_int_equal(mb_profile_reader_key(r, 0, &kb, &kl), 0);
		assert_int_equal(kl, 3);
		assert_memory_equal(kb, "k:1", 3);
		assert_int_equal(mb_profile_reader_stats(r)->keys, 1);
		mb_profile_reader_close(r);
		b.len -= FMT_FOOTER; /* second pass: no footer */
		spit(path, b.buf, b.len);
	}
}

/* Mutations of the golden file, each with the error it must produce at open or at read. */
struct fixture {
	const char *name;
	void (*mutate)(struct bytes *b, size_t *at);
	int open_rc;   /* expected from open */
	int read_rc;   /* expected from reading every record when open succeeds */
	const char *msg; /* substring of the message; "@" is replaced by the offset *at */
};

static void m_magic(struct bytes *b, size_t *at)
{
	b->p[1] = 'X';
	*at = 0;
}

static void m_major(struct bytes *b, size_t *at)
{
	put_le16(b->p + 8, 2); /* checked before the checksum: a v2 header may differ */
	*at = 0;
}

static void m_header_byte(struct bytes *b, size_t *at)
{
	b->p[FMT_HEADER_FIXED + 6] ^= 0x20;
	*at = 0;
}

static void m_header_reserved(struct bytes *b, size_t *at)
{
	b->p[12] = 0x01;
	fix_header_sum(b);
	*at = 12;
}

static void m_meta_len(struct bytes *b, size_t *at)
{
	put_le32(b->p + 16, 0x7fffffff);
	*at = 0;
}

static void m_record_payload(struct bytes *b, size_t *at)
{
	*at = nth_block(b, FMT_BLK_RECORDS, 1);
	b->p[*at + FMT_BLOCK_HDR + 7] ^= 0x01;
}

static void m_record_header(struct bytes *b, size_t *at)
{
	*at = nth_block(b, FMT_BLK_RECORDS, 2);
	b->p[*at + 8] ^= 0x01; /* record count */
}

static void m_block_reserved(struct bytes *b, size_t *at)
{
	*at = nth_block(b, FMT_BLK_RECORDS, 0);
	b->p[*at + 5] = 0x80;
	fix_block_hdr_check(b, *at);
}

static void m_key_table(struct bytes *b, size_t *at)
{
	*at = nth_block(b, FMT_BLK_KEYS, 1);
	b->p[*at + FMT_BLOCK_HDR + 9] ^= 0x10;
}

static void m_index(struct bytes *b, size_t *at)
{
	*at = (size_t)get_le64(b->p + b->n - FMT_FOOTER);
	b->p[*at + FMT_BLOCK_HDR + 2] ^= 0x04;
}

static void m_footer(struct bytes *b, size_t *at)
{
	*at = b->n - FMT_FOOTER;
	b->p[*at + 3] ^= 0x40;
}

static void m_garbage(struct bytes *b, size_t *at)
{
	memcpy(b->p, "VALUE foo 0 3\r\n", 15);
	*at = 0;
}

static const struct fixture fixtures[] = {
	{"bad-magic", m_magic, MB_E_NOT_PROFILE, 0, "not a membench profile"},
	{"not-a-profile", m_garbage, MB_E_NOT_PROFILE, 0, "bad magic"},
	{"major-2", m_major, MB_E_VERSION, 0, "version 2.0; this reader reads version 1.x"},
	{"header-flipped", m_header_byte, MB_E_CHECKSUM, 0, "header at offset 0: checksum"},
	{"header-reserved", m_header_reserved, MB_E_CORRUPT, 0, "offset 12: reserved flags"},
	{"meta-len-huge", m_meta_len, MB_E_LIMIT, 0, "metadata length 2147483647"},
	{"record-flipped", m_record_payload, 0, MB_E_CHECKSUM, "block at offset @: checksum mismatch"},
	{"record-header-flipped", m_record_header, 0, MB_E_CHECKSUM,
	 "block at offset @: block header checksum"},
	{"block-reserved", m_block_reserved, 0, MB_E_CORRUPT, "block at offset @: reserved"},
	{"key-table-flipped", m_key_table, MB_E_CHECKSUM, 0, "block at offset @: checksum mismatch"},
	{"index-flipped", m_index, 0, 0, "block at offset @: checksum mismatch"},
	{"footer-flipped", m_footer, 0, 0, "footer at offset @: checksum mismatch"},
};

static void run_fixture(const struct fixture *fx, const char *path, bool check)
{
	struct bytes b;
	size_t at = 0;
	golden_bytes(&b);
	fx->mutate(&b, &at);
	spit(path, b.p, b.n);
	free(b.p);
	if (!check)
		return;
#ifdef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
	if (strstr(fx->msg, "checksum")) {
		print_message("%s: not checked: checksums are off in fuzzing builds\n", fx->name);
		return;
	}
#endif

	char want[256], err[512] = "";
	const char *tmpl = fx->msg, *amp = strchr(tmpl, '@');
	if (amp)
		snprintf(want, sizeof(want), "%.*s%zu%s", (int)(amp - tmpl), tmpl, at, amp + 1);
	else
		snprintf(want, sizeof(want), "%s", tmpl);

	struct mb_profile_reader *r = NULL;
	int rc = mb_profile_reader_open(&r, path, err, sizeof(err));
	if (rc != fx->open_rc)
		print_error("%s: open returned %d (%s), expected %d\n", fx->name, rc, err, fx->open_rc);
	assert_int_equal(rc, fx->open_rc);
	if (rc) {
		assert_null(r);
		if (!strstr(err, want))
			print_error("%s: message \"%s\" lacks \"%s\"\n", fx->name, err, want);
		assert_non_null(strstr(err, want));
		assert_non_null(strstr(err, path));
		return;
	}
	/* opened: either a damaged block fails at read, or the index was damaged and the
	 * reader fell back to a scan that still reads every record */
	struct mb_record buf[64];
	long k;
	size_t total = 0;
	while ((k = mb_profile_reader_read(r, buf, 64)) > 0)
		total += (size_t)k;
	if (fx->read_rc) {
		assert_int_equal(k, fx->read_rc);
		const char *m = mb_profile_reader_errmsg(r);
		if (!strstr(m, want))
			print_error("%s: message \"%s\" lacks \"%s\"\n", fx->name, m, want);
		assert_non_null(strstr(m, want));
	} else {
		assert_int_equal(k, 0);
		assert_int_equal(total, GOLDEN_N);
		assert_true(mb_profile_reader_truncated(r, NULL));
		assert_non_null(strstr(err, "warning: no valid index"));
		assert_non_null(strstr(err, want));
	}
	mb_profile_reader_close(r);
}

static void test_corrupt_fixtures(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(fixtures) / sizeof(fixtures[0]); i++)
		run_fixture(&fixtures[i], tmp_path("fixture.mbp"), true);
}

/* mb_profile_reader_print_info's text (free it). */
static char *info_text(struct mb_profile_reader *r)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	assert_non_null(f);
	mb_profile_reader_print_info(r, f);
	fclose(f);
	return text;
}

/* The damage rule (profile.h, issue 16): a corrupt middle block fails a plain read; in skip mode
 * the other blocks are read, the block is counted once (even when read again), verify finds it
 * on a fresh reader, --info prints it; a file cut short is refused by
 * mb_profile_reader_allow_damaged(false) with a message naming the flag, and accepted with a
 * warning by allow_damaged(true). */
static void test_damage_rule(void **state)
{
	(void)state;
	const char *path = tmp_path("damaged.mbp");
	run_fixture(&fixtures[6], path, false); /* record-flipped: the second record block */
	assert_string_equal(fixtures[6].name, "record-flipped");
	struct mb_profile_reader *r;
	struct mb_profile_damage d;
	struct mb_record buf[64];
	char err[1200], msg[1200];
	long k;

	/* strict (the default): the read stops at the damaged block, the hint names the flag */
	assert_int_equal(mb_profile_reader_open(&r, path, err, sizeof(err)), 0);
	assert_int_equal(mb_profile_reader_allow_damaged(r, false, msg, sizeof(msg)), 0);
	assert_string_equal(msg, "");
	while ((k = mb_profile_reader_read(r, buf, 64)) > 0)
		;
	assert_int_equal(k, MB_E_CHECKSUM);
	assert_non_null(strstr(mb_profile_damage_hint((int)k), MB_PROFILE_ALLOW_DAMAGED));
	assert_string_equal(mb_profile_damage_hint(-ENOENT), "");
	mb_profile_reader_close(r);

	/* allowed: every other block, the damaged one counted once across two passes */
	assert_int_equal(mb_profile_reader_open(&r, path, err, sizeof(err)), 0);
	assert_int_equal(mb_profile_reader_allow_damaged(r, true, msg, sizeof(msg)), 0);
	uint32_t lost = mb_profile_reader_block(r, 1)->records;
	for (int pass = 0; pass < 2; pass++) {
		size_t total = 0;
		assert_int_equal(mb_profile_reader_rewind(r, 0), 0);
		while ((k = mb_profile_reader_read(r, buf, 64)) > 0)
			total += (size_t)k;
		assert_int_equal(k, 0);
		assert_int_equal(total, GOLDEN_N - lost);
	}
	assert_true(mb_profile_reader_damage(r, &d, msg, sizeof(msg)));
	assert_false(d.cut_short);
	assert_int_equal(d.bad_blocks, 1);
	assert_int_equal(d.bad_records, lost);
	assert_non_null(strstr(msg, path));
	assert_non_null(strstr(msg, "is damaged: 1 of"));
	assert_non_null(strstr(msg, "checksum mismatch"));
	const struct mb_record *recs;
	size_t n = 99;
	assert_int_equal(mb_profile_reader_read_block(r, 1, &recs, &n), 0);
	assert_int_equal(n, 0);
	mb_profile_reader_close(r);

	/* verify and --info on a fresh reader */
	assert_int_equal(mb_profile_reader_open(&r, path, err, sizeof(err)), 0);
	assert_false(mb_profile_reader_damage(r, NULL, NULL, 0));
	assert_int_equal(mb_profile_reader_verify(r), 1);
	for (size_t i = 0; i < mb_profile_reader_block_count(r); i++)
		assert_int_equal(mb_profile_reader_block_damaged(r, i), i == 1);
	char *text = info_text(r);
	assert_non_null(strstr(text, "damaged:         yes"));
	assert_non_null(strstr(text, "DAMAGED"));
	free(text);
	mb_profile_reader_close(r);

	/* cut short (a recorder killed): refused unless allowed, the message naming the flag */
	struct bytes b;
	golden_bytes(&b);
	spit(path, b.p, b.n * 2 / 3);
	free(b.p);
	assert_int_equal(mb_profile_reader_open(&r, path, err, sizeof(err)), 0);
	assert_int_equal(mb_profile_reader_allow_damaged(r, false, msg, sizeof(msg)),
			 MB_E_TRUNCATED);
	assert_non_null(strstr(msg, "cut short"));
	assert_non_null(strstr(msg, "pass " MB_PROFILE_ALLOW_DAMAGED));
	assert_int_equal(mb_profile_reader_allow_damaged(r, true, msg, sizeof(msg)), 0);
	assert_non_null(strstr(msg, "using the"));
	assert_true(mb_profile_reader_damage(r, &d, NULL, 0));
	assert_true(d.cut_short);
	mb_profile_reader_close(r);
}

/* Records that break the column rules, each assembled by hand behind valid checksums. */
static void test_bad_records(void **state)
{
	(void)state;
	static const struct {
		const char *name;
		struct mb_record rec;
		const char *msg;
	} bad[] = {
		{"reserved-rflag", {.key_id = MB_KEY_NONE, .rflags = 0x80}, "reserved record flag set"},
		{"op-out-of-range", {.key_id = MB_KEY_NONE, .op = MB_OP_COUNT}, "unknown op"},
		{"proto-out-of-range", {.key_id = MB_KEY_NONE, .proto = 3}, "unknown proto"},
		{"status-out-of-range", {.key_id = MB_KEY_NONE, .status = MB_STATUS_COUNT},
		 "unknown status"},
		{"unknown-key", {.key_id = 1}, "key id not in any earlier key table"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		static struct build b;
		memset(&b, 0, sizeof(b));
		b_header(&b, 0);
		b_keys(&b);
		size_t at = b.len;
		b_records(&b, &bad[i].rec, 1);
		b_finish(&b);
		const char *path = tmp_path("bad.mbp");
		spit(path, b.buf, b.len);
		struct mb_profile_reader *r;
		char err[512];
		assert_int_equal(mb_profile_reader_open(&r, path, err, sizeof(err)), 0);
		struct mb_record got[2];
		assert_int_equal(mb_profile_reader_read(r, got, 2), MB_E_CORRUPT);
		char want[128];
		snprintf(want, sizeof(want), "block at offset %zu: record 0: %s", at, bad[i].msg);
		if (!strstr(mb_profile_reader_errmsg(r), want))
			print_error("%s: \"%s\" lacks \"%s\"\n", bad[i].name,
				    mb_profile_reader_errmsg(r), want);
		assert_non_null(strstr(mb_profile_reader_errmsg(r), want));
		mb_profile_reader_close(r);
	}
}

/* Every prefix of the golden file: a complete header gives every complete record block, the
 * right number of lost bytes and a warning; less than a header is MB_E_TRUNCATED. */
static void test_truncation_every_byte(void **state)
{
	(void)state;
	struct bytes b;
	struct expect e;
	golden_bytes(&b);
	gen_minor = 0; /* the golden file is 1.0 */
	build_expect(GOLDEN_N, false, &e);
	gen_minor = MB_PROFILE_VERSION_MINOR;
	size_t body = body_start(&b);
	const char *path = tmp_path("cut.mbp");
	struct mb_record *buf = malloc(GOLDEN_N * sizeof(*buf));
	assert_non_null(buf);

	spit(path, b.p, b.n);
	for (size_t len = b.n; len-- > 0;) { /* cut a little more each time */
		assert_int_equal(truncate(path, (off_t)len), 0);
		struct mb_profile_reader *r = NULL;
		char err[512];
		int rc = mb_profile_reader_open(&r, path, err, sizeof(err));
		if (len < body) {
			if (rc != MB_E_TRUNCATED)
				print_error("cut at %zu: %d %s\n", len, rc, err);
			assert_int_equal(rc, MB_E_TRUNCATED);
			continue;
		}
		if (rc)
			print_error("cut at %zu: %d %s\n", len, rc, err);
		assert_int_equal(rc, 0);
		/* what a cut at len must keep: blocks that end by len, in file order */
		size_t pos = body, want = 0, last_end = body;
		while (pos + FMT_BLOCK_HDR <= len) {
			size_t end = pos + FMT_BLOCK_HDR + get_le32(b.p + pos + 16);
			if (end > len || b.p[pos + 4] == 0x89 /* footer */)
				break;
			if (b.p[pos + 4] == FMT_BLK_RECORDS)
				want += get_le32(b.p + pos + 8);
			last_end = pos = end;
		}
		uint64_t lost = 0;
		assert_true(mb_profile_reader_truncated(r, &lost));
		if (lost != len - last_end)
			print_error("cut at %zu: lost %llu, expected %zu\n", len,
				    (unsigned long long)lost, len - last_end);
		assert_int_equal(lost, len - last_end);
		assert_non_null(strstr(err, "warning"));
		long k = mb_profile_reader_read(r, buf, GOLDEN_N);
		assert_int_equal(k, (long)want);
		for (size_t i = 0; i < want; i++)
			assert_record_equal(&buf[i], &e.recs[i], i);
		assert_int_equal(mb_profile_reader_stats(r)->records, want);
		mb_profile_reader_close(r);
	}
	free(buf);
	free(b.p);
	expect_free(&e);
}

/* A writer killed with SIGKILL after flush(): everything flushed reads back, the file is
 * flagged truncated, and what came after the flush is gone. */
static void test_sigkill_after_flush(void **state)
{
	(void)state;
	const char *path = tmp_path("killed.mbp");
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct mb_profile_meta meta;
		struct mb_profile_writer *w;
		struct mb_profile_writer_opts opts = {.block_records = 64};
		char err[512];
		test_meta(&meta, MB_KEYS_KEPT);
		if (mb_profile_writer_open(&w, path, &meta, &opts, err, sizeof(err)))
			_exit(1);
		for (size_t i = 0; i < 1010; i++) {
			struct mb_record r;
			char key[64];
			const char *kp;
			gen_record(i, false, &r, key, &kp);
			if (mb_profile_writer_append(w, &r, kp, kp ? strlen(kp) : 0))
				_exit(1);
			if (i == 999 && mb_profile_writer_flush(w))
				_exit(1);
		}
		kill(getpid(), SIGKILL);
		_exit(1);
	}
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);

	struct expect e;
	build_expect(1000, false, &e);
	struct mb_profile_reader *r;
	char err[512];
	assert_int_equal(mb_profile_reader_open(&r, path, err, sizeof(err)), 0);
	uint64_t lost = 1;
	assert_true(mb_profile_reader_truncated(r, &lost));
	assert_int_equal(lost, 0);
	assert_non_null(strstr(err, "warning: no valid index"));
	check_sequential(r, &e, 1000);
	assert_int_equal(mb_profile_reader_stats(r)->records, 1000);
	assert_int_equal(mb_profile_reader_key_count(r), e.nkeys);
	check_keys(r, &e, MB_KEYS_KEPT);
	mb_profile_reader_close(r);
	expect_free(&e);
}

/* mb_profile_writer_key_id (record --top names anonymous keys as the profile will): unknown
 * until the block introducing the key is written, then the dense id the reader sees for it. */
static void test_writer_key_id(void **state)
{
	(void)state;
	const char *path = tmp_path("key_id.mbp");
	struct mb_profile_meta meta;
	struct mb_profile_writer *w;
	char err[512], key[32];
	test_meta(&meta, MB_KEYS_ANON);
	assert_int_equal(mb_profile_writer_open(&w, path, &meta, NULL, err, sizeof(err)), 0);
	uint64_t id, want[40];
	for (size_t i = 0; i < 200; i++) {
		struct mb_record r = {.time_ns = i, .op = MB_OP_GET, .status = MB_STATUS_HIT};
		int k = (int)((i * 7) % 40);
		r.key_len = (uint32_t)snprintf(key, sizeof(key), "key:%d", k);
		assert_int_equal(mb_profile_writer_append(w, &r, key, r.key_len), 0);
		assert_int_equal(mb_profile_writer_key_id(w, key, r.key_len, &id), -ENOENT);
	}
	assert_int_equal(mb_profile_writer_flush(w), 0);
	for (int k = 0; k < 40; k++) {
		int n = snprintf(key, sizeof(key), "key:%d", k);
		assert_int_equal(mb_profile_writer_key_id(w, key, (size_t)n, &want[k]), 0);
	}
	assert_int_equal(mb_profile_writer_key_id(w, "key:40", 6, &id), -ENOENT);
	assert_int_equal(mb_profile_writer_close(w, err, sizeof(err)), 0);

	struct mb_profile_reader *r;
	assert_int_equal(mb_profile_reader_open(&r, path, err, sizeof(err)), 0);
	struct mb_record recs[200];
	assert_int_equal(mb_profile_reader_read(r, recs, 200), 200);
	for (size_t i = 0; i < 200; i++)
		assert_int_equal(recs[i].key_id, want[(i * 7) % 40]);
	mb_profile_reader_close(r);
}

/* mb_profile_writer_append_stored (re-writing a prefix profile): the identity is the key_id,
 * the stored bytes are kept exactly as given (not cut again), two ids with the same prefix stay
 * two keys; in anon mode the bytes are dropped. */
static void test_append_stored(void **state)
{
	(void)state;
	for (int anon = 0; anon < 2; anon++) {
		const char *path = tmp_path("stored.mbp");
		struct mb_profile_meta meta;
		struct mb_profile_writer *w;
		char err[512];
		test_meta(&meta, anon ? MB_KEYS_ANON : MB_KEYS_PREFIX);
		assert_int_equal(mb_profile_writer_open(&w, path, &meta, NULL, err, sizeof(err)), 0);
		static const struct {
			uint64_t id;
			const char *stored;
		} in[] = {{70, "user:"}, {71, "user:"}, {70, "user:"}, {9, ""}, {72, "a:b:"}};
		for (size_t i = 0; i < 5; i++) {
			struct mb_record r = {.time_ns = i, .key_id = in[i].id, .key_len = 12};
			assert_int_equal(mb_profile_writer_append_stored(w, &r, in[i].stored,
									 strlen(in[i].stored)), 0);
		}
		assert_int_equal(mb_profile_writer_close(w, err, sizeof(err)), 0);
		struct mb_profile_reader *r;
		assert_int_equal(mb_profile_reader_open(&r, path, err, sizeof(err)), 0);
		struct mb_record got[5];
		assert_int_equal(mb_profile_reader_read(r, got, 5), 5);
		static const uint64_t want_id[] = {0, 1, 0, 2, 3};
		static const char *const want_key[] = {"user:", "user:", "", "a:b:"};
		for (size_t i = 0; i < 5; i++)
			assert_int_equal(got[i].key_id, want_id[i]);
		assert_int_equal(mb_profile_reader_key_count(r), 4);
		for (uint64_t k = 0; k < 4; k++) {
			const char *b;
			uint32_t n;
			if (anon) {
				assert_int_equal(mb_profile_reader_key(r, k, &b, &n), MB_E_USAGE);
				continue;
			}
			assert_int_equal(mb_profile_reader_key(r, k, &b, &n), 0);
			assert_int_equal(n, strlen(want_key[k]));
			assert_memory_equal(b, want_key[k], n);
		}
		mb_profile_reader_close(r);
	}
}

/* Enough distinct keys and connections to make every identity table grow several times
 * (regression: the connection set's rehash once used the stored value + 1, so a profile with
 * more than 32 connections reported some twice). Keys by bytes and by id, mixed with keyless
 * records in one profile; dense ids must follow first appearance. */
static void test_many_keys_and_connections(void **state)
{
	(void)state;
	enum { N = 60000, NKEYS = 20000, NCONN = 3000 };
	const char *path = tmp_path("many.mbp");
	struct mb_profile_meta meta;
	struct mb_profile_writer *w;
	struct mb_profile_writer_opts opts = {.block_records = 4096};
	char err[512];
	test_meta(&meta, MB_KEYS_KEPT);
	assert_int_equal(mb_profile_writer_open(&w, path, &meta, &opts, err, sizeof(err)), 0);
	uint64_t *want_id = malloc(N * sizeof(*want_id));
	int64_t *first = malloc(2 * NKEYS * sizeof(*first)); /* dense id of key k (bytes: k+NKEYS) */
	assert_non_null(want_id);
	assert_non_null(first);
	for (size_t k = 0; k < 2 * NKEYS; k++)
		first[k] = -1;
	uint64_t next = 0;
	for (size_t i = 0; i < N; i++) {
		struct mb_record r = {.time_ns = i, .conn_id = (uint32_t)((i * 7919) % NCONN)};
		size_t k = (i * 2654435761u) % NKEYS;
		char key[32];
		int by_bytes = i % 3 == 1;
		if (i % 5 == 4) {
			r.key_id = MB_KEY_NONE;
			want_id[i] = MB_KEY_NONE;
			assert_int_equal(mb_profile_writer_append(w, &r, NULL, 0), 0);
			continue;
		}
		size_t slot = by_bytes ? k + NKEYS : k;
		if (first[slot] < 0)
			first[slot] = (int64_t)next++;
		want_id[i] = (uint64_t)first[slot];
		if (by_bytes) {
			r.key_len = (uint32_t)snprintf(key, sizeof(key), "k:%zu", k);
			assert_int_equal(mb_profile_writer_append(w, &r, key, r.key_len), 0);
		} else {
			r.key_id = k * 1000003u;
			r.key_len = 8;
			assert_int_equal(mb_profile_writer_append(w, &r, NULL, 0), 0);
		}
	}
	assert_int_equal(mb_profile_writer_close(w, err, sizeof(err)), 0);

	struct mb_profile_reader *r;
	assert_int_equal(mb_profile_reader_open(&r, path, err, sizeof(err)), 0);
	const struct mb_profile_stats *s = mb_profile_reader_stats(r);
	assert_int_equal(s->records, N);
	assert_int_equal(s->connections, NCONN);
	assert_int_equal(s->keys, next);
	assert_int_equal(mb_profile_reader_key_count(r), next);
	struct mb_record *buf = malloc(N * sizeof(*buf));
	assert_non_null(buf);
	assert_int_equal(mb_profile_reader_read(r, buf, N), N);
	for (size_t i = 0; i < N; i++) {
		if (buf[i].key_id != want_id[i])
			print_error("record %zu: key id %llu, expected %llu\n", i,
				    (unsigned long long)buf[i].key_id, (unsigned long long)want_id[i]);
		assert_true(buf[i].key_id == want_id[i]);
		if (i % 3 == 1 && i % 5 != 4) {
			const char *kb;
			uint32_t kl;
			char key[32];
			int n = snprintf(key, sizeof(key), "k:%zu", (i * 2654435761u) % NKEYS);
			assert_int_equal(mb_profile_reader_key(r, buf[i].key_id, &kb, &kl), 0);
			assert_int_equal(kl, n);
			assert_memory_equal(kb, key, (size_t)n);
		}
	}
	free(buf);
	free(want_id);
	free(first);
	mb_profile_reader_close(r);
}

static void test_seek_time(void **state)
{
	(void)state;
	const char *path = tmp_path("seek.mbp");
	assert_int_equal(write_profile(path, 1000, MB_KEYS_ANON, true, 100), 0);
	struct mb_profile_reader *r;
	char err[512];
	assert_int_equal(mb_profile_reader_open(&r, path, err, sizeof(err)), 0);
	size_t nb = mb_profile_reader_block_count(r);
	assert_true(nb >= 10);
	/* gen_record: record i is at about i us; record 3 is at UINT64_MAX (block 0) */
	assert_int_equal(mb_profile_reader_seek_time(r, 0), 0);
	size_t b = mb_profile_reader_seek_time(r, 550000);
	assert_true(b < nb);
	const struct mb_profile_block_info *bi = mb_profile_reader_block(r, b);
	assert_true(bi->last_time_ns >= 550000);
	for (size_t i = 1; i < b; i++)
		assert_true(mb_profile_reader_block(r, i)->last_time_ns < 550000);
	/* from the seek point on, read() returns the records of block b onward */
	assert_int_equal(mb_profile_reader_rewind(r, b), 0);
	struct mb_record rec;
	assert_int_equal(mb_profile_reader_read(r, &rec, 1), 1);
	const struct mb_record *recs;
	size_t n;
	assert_int_equal(mb_profile_reader_read_block(r, b, &recs, &n), 0);
	assert_record_equal(&rec, &recs[0], 0);
	assert_int_equal(mb_profile_reader_read_block(r, nb, &recs, &n), MB_E_USAGE);
	/* block 0 holds UINT64_MAX, so every time finds block 0 at least */
	assert_int_equal(mb_profile_reader_seek_time(r, UINT64_MAX), 0);
	mb_profile_reader_close(r);
}

static void test_print_info(void **state)
{
	(void)state;
	char path[4096];
	mb_test_source_path(path, sizeof(path), GOLDEN_REL);
	struct mb_profile_reader *r;
	char err[512];
	assert_int_equal(mb_profile_reader_open(&r, path, err, sizeof(err)), 0);
	char *text = info_text(r);
	assert_non_null(strstr(text, "membench profile 1.0"));
	assert_non_null(strstr(text, "golden-host"));
	assert_non_null(strstr(text, "key mode:        kept"));
	assert_non_null(strstr(text, "truncated:       no"));
	assert_non_null(strstr(text, "damaged:         no"));
	assert_non_null(strstr(text, "records              300"));
	assert_non_null(strstr(text, "skipped_rows         16"));
	free(text);
	mb_profile_reader_close(r);
}

static void test_writer_errors(void **state)
{
	(void)state;
	struct mb_profile_meta meta;
	struct mb_profile_writer *w = NULL;
	char err[512];
	test_meta(&meta, MB_KEYS_ANON);
	assert_int_equal(mb_profile_writer_open(&w, "/nonexistent/dir/x.mbp", &meta, NULL, err,
						sizeof(err)),
			 -ENOENT);
	assert_non_null(strstr(err, "cannot create /nonexistent/dir/x.mbp"));
	meta.key_mode = 3;
	assert_int_equal(mb_profile_writer_open(&w, tmp_path("w.mbp"), &meta, NULL, err,
						sizeof(err)),
			 MB_E_USAGE);
	test_meta(&meta, MB_KEYS_PREFIX);
	meta.key_delim = 0;
	assert_int_equal(mb_profile_writer_open(&w, tmp_path("w.mbp"), &meta, NULL, err,
						sizeof(err)),
			 MB_E_USAGE);
	test_meta(&meta, MB_KEYS_ANON);
	struct mb_profile_writer_opts opts = {.block_records = MB_PROFILE_MAX_BLOCK_RECORDS + 1};
	assert_int_equal(mb_profile_writer_open(&w, tmp_path("w.mbp"), &meta, &opts, err,
						sizeof(err)),
			 MB_E_USAGE);
	assert_int_equal(mb_profile_writer_open(&w, tmp_path("w.mbp"), &meta, NULL, err,
						sizeof(err)),
			 0);
	struct mb_record r = {.key_id = MB_KEY_NONE};
	r.op = MB_OP_COUNT;
	assert_int_equal(mb_profile_writer_append(w, &r, NULL, 0), MB_E_USAGE);
	r.op = 0;
	r.rflags = 0x10;
	assert_int_equal(mb_profile_writer_append(w, &r, NULL, 0), MB_E_USAGE);
	r.rflags = 0;
	r.key_len = MB_PROFILE_MAX_KEY_LEN + 1;
	assert_int_equal(mb_profile_writer_append(w, &r, NULL, 0), MB_E_USAGE);
	r.key_len = 0;
	assert_int_equal(mb_profile_writer_append(w, &r, NULL, 0), 0);
	assert_int_equal(mb_profile_writer_close(w, err, sizeof(err)), 0);

	/* an existing, world-readable file becomes 0600 too; a device is left alone */
	const char *old = tmp_path("old.mbp");
	spit(old, "x", 1);
	assert_int_equal(chmod(old, 0644), 0);
	assert_int_equal(mb_profile_writer_open(&w, old, &meta, NULL, err, sizeof(err)), 0);
	assert_int_equal(mb_profile_writer_close(w, err, sizeof(err)), 0);
	struct stat st, before;
	assert_int_equal(stat(old, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(stat("/dev/null", &before), 0);
	assert_int_equal(mb_profile_writer_open(&w, "/dev/null", &meta, NULL, err, sizeof(err)), 0);
	assert_int_equal(mb_profile_writer_close(w, err, sizeof(err)), 0);
	assert_int_equal(stat("/dev/null", &st), 0);
	assert_int_equal(st.st_mode, before.st_mode);
}

static void test_reader_open_errors(void **state)
{
	(void)state;
	struct mb_profile_reader *r = (void *)1;
	char err[512];
	assert_int_equal(mb_profile_reader_open(&r, tmp_path("missing.mbp"), err, sizeof(err)),
			 -ENOENT);
	assert_null(r);
	assert_non_null(strstr(err, "cannot open"));
	assert_int_equal(mb_profile_reader_open(&r, tmpdir, err, sizeof(err)), -EISDIR);
	spit(tmp_path("empty.mbp"), "", 0);
	assert_int_equal(mb_profile_reader_open(&r, tmp_path("empty.mbp"), err, sizeof(err)),
			 MB_E_TRUNCATED);
	spit(tmp_path("short.mbp"), "hello", 5);
	assert_int_equal(mb_profile_reader_open(&r, tmp_path("short.mbp"), err, sizeof(err)),
			 MB_E_NOT_PROFILE);
}

/* --write-corpus DIR: the fuzz target's seed corpus (golden file, every fixture, a few cuts,
 * the hand-built minor-version file). */
static int write_corpus(const char *dir)
{
	char path[4200];
	struct bytes b;
	golden_bytes(&b);
	snprintf(path, sizeof(path), "%s/golden-v1.mbp", dir);
	spit(path, b.p, b.n);
	const size_t cuts[] = {20, 200, b.n / 3, b.n / 2, b.n - 40, b.n - 1};
	for (size_t i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
		snprintf(path, sizeof(path), "%s/cut-%zu.mbp", dir, cuts[i]);
		spit(path, b.p, cuts[i]);
	}
	free(b.p);
	for (size_t i = 0; i < sizeof(fixtures) / sizeof(fixtures[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s.mbp", dir, fixtures[i].name);
		run_fixture(&fixtures[i], path, false);
	}
	static struct build hb;
	b_header(&hb, 3);
	b_keys(&hb);
	b_records(&hb, hand_recs, 2);
	b_finish(&hb);
	snprintf(path, sizeof(path), "%s/hand-built.mbp", dir);
	spit(path, hb.buf, hb.len);
	return 0;
}

int main(int argc, char **argv)
{
	/* one-off generators (see the comment at the top) */
	if (argc == 3 && strcmp(argv[1], "--write-golden") == 0)
		return write_profile(argv[2], GOLDEN_N, GOLDEN_MODE, false, GOLDEN_BLOCK) ? 1 : 0;
	if (argc == 3 && strcmp(argv[1], "--write-corpus") == 0)
		return write_corpus(argv[2]);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip_anon),
		cmocka_unit_test(test_round_trip_prefix),
		cmocka_unit_test(test_round_trip_kept),
		cmocka_unit_test(test_round_trip_ids),
		cmocka_unit_test(test_round_trip_empty),
		cmocka_unit_test(test_golden_v1),
		cmocka_unit_test(test_golden_v1_1),
		cmocka_unit_test(test_v1_1_as_v1_0),
		cmocka_unit_test(test_extras_fixtures),
		cmocka_unit_test(test_meta_flags),
		cmocka_unit_test(test_minor_version_compat),
		cmocka_unit_test(test_corrupt_fixtures),
		cmocka_unit_test(test_bad_records),
		cmocka_unit_test(test_truncation_every_byte),
		cmocka_unit_test(test_sigkill_after_flush),
		cmocka_unit_test(test_many_keys_and_connections),
		cmocka_unit_test(test_append_stored),
		cmocka_unit_test(test_writer_key_id),
		cmocka_unit_test(test_seek_time),
		cmocka_unit_test(test_print_info),
		cmocka_unit_test(test_damage_rule),
		cmocka_unit_test(test_writer_errors),
		cmocka_unit_test(test_reader_open_errors),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
