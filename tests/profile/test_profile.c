/* Tests of libmbprofile (profile/FORMAT.md v1): round trips of every field and edge value in
 * every key mode, the golden v1 file, corrupt fixtures each with its specific error, truncation
 * at every byte offset, and time seeks.
 *
 * The golden file tests/profile/golden/v1.mbp was written once by this program:
 *     build/tests/profile/test_profile --write-golden tests/profile/golden/v1.mbp
 * and is never regenerated: every later reader must keep reading it back to the records that
 * gen_record() describes.
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
#include <sys/stat.h>
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
	r->rflags = (uint8_t)(i % (MB_RF_KNOWN_MASK + 1));
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

/* Writes n generated records; fills e with what must be read back. */
static void write_test_profile(const char *path, size_t n, uint8_t key_mode, bool ids,
			       uint32_t block_records, struct expect *e)
{
	struct mb_profile_meta meta;
	struct mb_profile_writer *w = NULL;
	struct mb_profile_writer_opts opts = {.zstd_level = 3, .block_records = block_records};
	char err[512];
	test_meta(&meta, key_mode);
	assert_int_equal(mb_profile_writer_open(&w, path, &meta, &opts, err, sizeof(err)), 0);
	memset(e, 0, sizeof(*e));
	e->n = n;
	e->recs = calloc(n ? n : 1, sizeof(*e->recs));
	for (size_t i = 0; i < n; i++) {
		struct mb_record r;
		char key[64];
		const char *kp;
		gen_record(i, ids, &r, key, &kp);
		assert_int_equal(mb_profile_writer_append(w, &r, kp, kp ? strlen(kp) : 0), 0);
		e->recs[i] = r;
		if (kp || r.key_id != MB_KEY_NONE)
			e->recs[i].key_id = expect_key(e, kp, r.key_id, r.key_len);
		if (i == n / 2)
			assert_int_equal(mb_profile_writer_flush(w), 0);
	}
	mb_profile_writer_add_stats(w, &test_stats);
	mb_profile_writer_add_stats(w, &test_stats);
	assert_true(mb_profile_writer_bytes(w) > 0);
	assert_int_equal(mb_profile_writer_close(w, err, sizeof(err)), 0);
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
	assert_int_equal(minor, 0);
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

int main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip_anon),
		cmocka_unit_test(test_round_trip_prefix),
		cmocka_unit_test(test_round_trip_kept),
		cmocka_unit_test(test_round_trip_ids),
		cmocka_unit_test(test_round_trip_empty),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
