/* Unit tests for the replayer's deterministic keys and values (replay/keys.c): exact length,
 * memcached-safe characters, distinct keys for distinct ids, --key-prefix, the 250-byte limit;
 * numbers for values recorded as numbers; expiration times mapped to the replay (replay/ttl.c);
 * the per-lane cas uniques (replay/cas.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cas.h"
#include "keys.h"
#include "ttl.h"

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void test_anon_keys(void **state)
{
	(void)state;
	struct rp_keygen kg = {.key_mode = MB_KEYS_ANON};
	char k[RP_MAX_KEY + 1];
	/* the documented example */
	assert_int_equal(rp_key(&kg, 0x1a3, 12, k), 12);
	assert_string_equal(k, "zmtgnuhov1a3");
	/* exact length, safe characters, deterministic */
	for (uint32_t len = 1; len <= RP_MAX_KEY; len++) {
		size_t n = rp_key(&kg, 123456789ull * len, len, k);
		assert_int_equal(n, len);
		for (size_t i = 0; i < n; i++)
			assert_true((k[i] >= '0' && k[i] <= '9') || (k[i] >= 'a' && k[i] <= 'z'));
		char again[RP_MAX_KEY + 1];
		rp_key(&kg, 123456789ull * len, len, again);
		assert_string_equal(k, again);
	}
	assert_int_equal(rp_key(&kg, 7, 400, k), RP_MAX_KEY); /* capped at memcached's limit */
	assert_int_equal(rp_key(&kg, 7, 0, k), 1);            /* never empty */
	/* distinct ids -> distinct keys at a length that holds their hex digits */
	enum { N = 20000 };
	char **keys = malloc(N * sizeof(*keys));
	assert_non_null(keys);
	for (int i = 0; i < N; i++) {
		rp_key(&kg, (uint64_t)i, 16, k);
		keys[i] = strdup(k);
	}
	qsort(keys, N, sizeof(*keys), cmp_str);
	for (int i = 1; i < N; i++)
		assert_true(strcmp(keys[i - 1], keys[i]) != 0);
	for (int i = 0; i < N; i++)
		free(keys[i]);
	free(keys);
}

static void test_prefix(void **state)
{
	(void)state;
	struct rp_keygen kg = {.key_mode = MB_KEYS_ANON, .prefix = "run42:", .prefix_len = 6};
	char k[RP_MAX_KEY + 1];
	assert_int_equal(rp_key(&kg, 0x1a3, 12, k), 18);
	assert_memory_equal(k, "run42:", 6);
	struct rp_keygen plain = {.key_mode = MB_KEYS_ANON};
	char t[RP_MAX_KEY + 1];
	rp_key(&plain, 0x1a3, 12, t);
	assert_string_equal(k + 6, t);
	assert_int_equal(rp_key(&kg, 1, 250, k), RP_MAX_KEY); /* the tail shrinks, not the prefix */
	assert_memory_equal(k, "run42:", 6);
}

static void test_values(void **state)
{
	(void)state;
	char *buf = NULL;
	size_t cap = 0;
	const char *v = rp_value(&buf, &cap, 10);
	assert_non_null(v);
	char first[10];
	memcpy(first, v, 10);
	v = rp_value(&buf, &cap, 1 << 20); /* grows, keeps the same leading bytes */
	assert_non_null(v);
	assert_true(cap >= (1 << 20));
	assert_memory_equal(v, first, 10);
	for (size_t i = 0; i < cap; i++)
		assert_true(v[i] >= 'A' && v[i] <= 'Z');
	free(buf);
}

/* Recorded as a number: digits of the recorded length, below 2^64; else the pattern. */
static void test_numbers(void **state)
{
	(void)state;
	char *buf = NULL;
	size_t cap = 0;
	for (uint32_t len = 1; len <= 21; len++) {
		struct mb_record r = {.value_len = len, .rflags = MB_RF_NUMERIC};
		const char *v = rp_value_of(&r, &buf, &cap);
		assert_non_null(v);
		bool digits = true;
		for (uint32_t i = 0; i < len; i++)
			digits = digits && v[i] >= '0' && v[i] <= '9';
		assert_int_equal(digits, len <= 20);
		if (len == 20)
			assert_true(strncmp(v, "18446744073709551615", 20) < 0);
		r.rflags = 0;
		v = rp_value_of(&r, &buf, &cap);
		assert_false(v[0] >= '0' && v[0] <= '9');
	}
	assert_null(rp_number(0));
	free(buf);
}

/* Relative exptimes as recorded; absolute ones moved to the same point of the replay. */
static void test_ttl_map(void **state)
{
	(void)state;
	const int64_t rec_s = 1700000000; /* recording start, unix s */
	struct rp_plan p = {.start_wall_ns = rec_s * 1000000000ll, .t_first = 5000000000ull,
			    .wall_minus_mono_ns = 1800000000ll * 1000000000ll, .speed = 1.0};
	const uint64_t t0 = 1000ull * 1000000000ull; /* replay: first request at wall 1800001000 */
	const int32_t rep_s = 1800001000;
	assert_int_equal(rp_ttl_map(&p, t0, 0), 0);
	assert_int_equal(rp_ttl_map(&p, t0, 100), 100);
	assert_int_equal(rp_ttl_map(&p, t0, -1), -1);
	assert_int_equal(rp_ttl_map(&p, t0, RP_TTL_MAX_DELTA), RP_TTL_MAX_DELTA);
	/* 60 s after the recording's first request -> 60 s after the replay's (30 s at 2x) */
	assert_int_equal(rp_ttl_map(&p, t0, (int32_t)(rec_s + 5 + 60)), rep_s + 60);
	p.speed = 2.0;
	assert_int_equal(rp_ttl_map(&p, t0, (int32_t)(rec_s + 5 + 60)), rep_s + 30);
	/* already past when recorded: still past */
	assert_int_equal(rp_ttl_map(&p, t0, (int32_t)(rec_s + 5 - 3600)), rep_s - 1800);
	/* --rate max (no speed): the shift alone */
	p.speed = 0;
	assert_int_equal(rp_ttl_map(&p, t0, (int32_t)(rec_s + 5 + 60)), rep_s + 60);
	/* out of range either way */
	p.speed = 1.0;
	p.wall_minus_mono_ns = -(int64_t)t0;
	assert_int_equal(rp_ttl_map(&p, t0, (int32_t)(rec_s + 5 + 60)), 1); /* would be relative */
	p.wall_minus_mono_ns = 2200000000ll * 1000000000ll;
	assert_int_equal(rp_ttl_map(&p, t0, (int32_t)(rec_s + 5 + 60)), INT32_MAX);
}

/* Latest unique per key through growth; none -> RP_CAS_NONE; a recorded exists -> none. */
static void test_cas_table(void **state)
{
	(void)state;
	struct rp_cas t = {0};
	char k[32];
	assert_true(rp_cas_get(&t, "a", 1) == RP_CAS_NONE);
	for (uint64_t i = 0; i < 5000; i++) {
		int n = snprintf(k, sizeof(k), "key%llu", (unsigned long long)i);
		assert_int_equal(rp_cas_put(&t, k, (size_t)n, i + 1), 0);
	}
	assert_int_equal(rp_cas_put(&t, "key7", 4, 999), 0); /* replaced, not added */
	assert_int_equal(t.n, 5000);
	assert_true(t.n * 2 <= t.cap);
	for (uint64_t i = 0; i < 5000; i++) {
		int n = snprintf(k, sizeof(k), "key%llu", (unsigned long long)i);
		assert_true(rp_cas_get(&t, k, (size_t)n) == (i == 7 ? 999 : i + 1));
	}
	assert_true(rp_cas_get(&t, "key5000", 7) == RP_CAS_NONE);
	assert_true(rp_cas_for(&t, "key1", 4, MB_STATUS_STORED) == 2);
	assert_true(rp_cas_for(&t, "key1", 4, MB_STATUS_EXISTS) == RP_CAS_NONE);
	rp_cas_free(&t);
	assert_null(t.slots);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_anon_keys),
		cmocka_unit_test(test_prefix),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_numbers),
		cmocka_unit_test(test_ttl_map),
		cmocka_unit_test(test_cas_table),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
