/* Unit tests for the replayer's deterministic keys and values (replay/keys.c): exact length,
 * memcached-safe characters, distinct keys for distinct ids, --key-prefix, the 250-byte limit. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "keys.h"

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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_anon_keys),
		cmocka_unit_test(test_prefix),
		cmocka_unit_test(test_values),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
