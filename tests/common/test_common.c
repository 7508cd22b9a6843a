/* Unit tests for mbcommon: strict flag parsing, error strings, exit-code mapping, mb_buf, and the
 * shared helpers (growable array, ring queue, decimal numbers, CSV fields, JSON writer). */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "membench/array.h"
#include "membench/buf.h"
#include "membench/cli.h"
#include "membench/error.h"
#include "membench/csv.h"
#include "membench/exitcode.h"
#include "membench/json.h"
#include "membench/num.h"
#include "membench/ring.h"

static void test_parse_u64(void **state)
{
	(void)state;
	uint64_t v = 0;
	assert_int_equal(mb_parse_u64("12345", &v), 0);
	assert_int_equal(v, 12345);
	assert_int_equal(mb_parse_u64("18446744073709551615", &v), 0);
	assert_true(v == UINT64_MAX);
	assert_int_equal(mb_parse_u64("18446744073709551616", &v), MB_E_USAGE);
	assert_int_equal(mb_parse_u64("-1", &v), MB_E_USAGE);
	assert_int_equal(mb_parse_u64("12x", &v), MB_E_USAGE);
	assert_int_equal(mb_parse_u64("", &v), MB_E_USAGE);
	assert_int_equal(mb_parse_u64(" 1", &v), MB_E_USAGE);
}

static void test_parse_duration(void **state)
{
	(void)state;
	uint64_t ns = 0;
	assert_int_equal(mb_parse_duration_ns("10", &ns), 0);
	assert_true(ns == 10000000000ull);
	assert_int_equal(mb_parse_duration_ns("500ms", &ns), 0);
	assert_true(ns == 500000000ull);
	assert_int_equal(mb_parse_duration_ns("2m", &ns), 0);
	assert_true(ns == 120000000000ull);
	assert_int_equal(mb_parse_duration_ns("1.5s", &ns), 0);
	assert_true(ns == 1500000000ull);
	assert_int_equal(mb_parse_duration_ns("250us", &ns), 0);
	assert_true(ns == 250000ull);
	assert_int_equal(mb_parse_duration_ns("5 s", &ns), MB_E_USAGE);
	assert_int_equal(mb_parse_duration_ns("-1s", &ns), MB_E_USAGE);
	assert_int_equal(mb_parse_duration_ns("1d", &ns), MB_E_USAGE);
}

static void test_parse_size(void **state)
{
	(void)state;
	uint64_t b = 0;
	assert_int_equal(mb_parse_size("4096", &b), 0);
	assert_true(b == 4096);
	assert_int_equal(mb_parse_size("16K", &b), 0);
	assert_true(b == 16384);
	assert_int_equal(mb_parse_size("1M", &b), 0);
	assert_true(b == 1048576);
	assert_int_equal(mb_parse_size("1.5", &b), MB_E_USAGE);
	assert_int_equal(mb_parse_size("3X", &b), MB_E_USAGE);
}

/* --sample's fraction: 1/N, N% or a decimal in (0, 1]; everything else -EINVAL. */
static void test_parse_fraction(void **state)
{
	(void)state;
	double f = -1;
	assert_int_equal(mb_parse_fraction("1/4", &f), 0);
	assert_true(f == 0.25);
	assert_int_equal(mb_parse_fraction("1/1", &f), 0);
	assert_true(f == 1.0);
	assert_int_equal(mb_parse_fraction("1/16", &f), 0);
	assert_true(f == 1.0 / 16);
	assert_int_equal(mb_parse_fraction("25%", &f), 0);
	assert_true(f == 0.25);
	assert_int_equal(mb_parse_fraction("100%", &f), 0);
	assert_true(f == 1.0);
	assert_int_equal(mb_parse_fraction("12.5%", &f), 0);
	assert_true(f == 0.125);
	assert_int_equal(mb_parse_fraction("0.1", &f), 0);
	assert_true(f == 0.1);
	assert_int_equal(mb_parse_fraction("1", &f), 0);
	assert_true(f == 1.0);
	f = 42;
	static const char *const bad[] = {"", "0", "0%", "0.0", "1.5", "101%", "1/0", "2/4", "1/",
					  "/4", "1/-4", "1/4x", "-0.5", "25 %", "%", "abc", "nan",
					  "inf", "0x1p-2", "1/2.5", " 0.5", "0.5 ", "25%%"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (mb_parse_fraction(bad[i], &f) != -EINVAL)
			fail_msg("'%s' accepted", bad[i]);
	}
	assert_true(f == 42); /* untouched on error */
	assert_int_equal(mb_parse_fraction(NULL, &f), -EINVAL);
}

static void test_strerror_and_exit_codes(void **state)
{
	(void)state;
	assert_string_equal(mb_strerror(-ENOENT), strerror(ENOENT));
	assert_string_equal(mb_strerror(MB_E_NOT_PROFILE), "not a membench profile");
	assert_string_equal(mb_strerror(MB_E_CONNECT), "cannot connect");
	assert_string_equal(mb_strerror(-1999), "unknown membench error");
	assert_int_equal(mb_exit_code_for(0), MB_EXIT_OK);
	assert_int_equal(mb_exit_code_for(MB_E_CHECKSUM), MB_EXIT_INPUT);
	assert_int_equal(mb_exit_code_for(MB_E_USAGE), MB_EXIT_USAGE);
	assert_int_equal(mb_exit_code_for(MB_E_PRIVILEGE), MB_EXIT_PRIVILEGE);
	assert_int_equal(mb_exit_code_for(-ECONNREFUSED), MB_EXIT_TARGET);
	assert_int_equal(mb_exit_code_for(-EIO), MB_EXIT_FAILURE);
}

static void test_buf(void **state)
{
	(void)state;
	struct mb_buf b = {0};
	for (int i = 0; i < 1000; i++)
		assert_int_equal(mb_buf_printf(&b, "%d,", i), 0);
	assert_int_equal(b.len, 3890);
	assert_memory_equal(b.data, "0,1,2,", 6);
	mb_buf_consume(&b, 2);
	assert_memory_equal(b.data, "1,2,", 4);
	assert_int_equal(b.len, 3888);
	assert_int_equal(mb_buf_append(&b, "xyz", 3), 0);
	assert_memory_equal(b.data + b.len - 5, "9,xyz", 5);
	mb_buf_consume(&b, b.len + 10);
	assert_int_equal(b.len, 0);
	mb_buf_free(&b);
	assert_null(b.data);
}

static void test_array(void **state)
{
	(void)state;
	uint32_t *a = NULL;
	size_t cap = 0;
	for (uint32_t i = 0; i < 100000; i++) {
		assert_int_equal(MB_ARRAY_RESERVE(a, cap, (size_t)i + 1), 0);
		assert_true(cap > i);
		a[i] = i * 7;
	}
	for (uint32_t i = 0; i < 100000; i++)
		assert_int_equal(a[i], i * 7);
	/* amortised doubling: the capacity is a power of two times the minimum, not i + 1 */
	assert_true(cap >= 100000 && cap < 2 * 131072);
	/* a size that overflows size_t is refused and leaves the array as it was */
	uint32_t *keep = a;
	size_t keep_cap = cap;
	assert_int_equal(MB_ARRAY_RESERVE(a, cap, SIZE_MAX / 2), -ENOMEM);
	assert_int_equal(MB_ARRAY_RESERVE(a, cap, SIZE_MAX / sizeof(*a) + 1), -ENOMEM);
	assert_ptr_equal(a, keep);
	assert_int_equal(cap, keep_cap);
	assert_int_equal(a[99999], 99999u * 7);
	free(a);

	/* zeroed growth: every new element reads 0, old ones are kept */
	uint64_t *z = NULL;
	size_t zcap = 0;
	assert_int_equal(MB_ARRAY_RESERVE_ZERO(z, zcap, 3), 0);
	for (size_t i = 0; i < zcap; i++)
		assert_true(z[i] == 0);
	z[2] = 42;
	size_t old = zcap;
	assert_int_equal(MB_ARRAY_RESERVE_ZERO(z, zcap, old * 5), 0);
	assert_true(z[2] == 42);
	for (size_t i = old; i < zcap; i++)
		assert_true(z[i] == 0);
	free(z);
}

static void test_ring(void **state)
{
	(void)state;
	struct mb_ring r = {0};
	uint64_t next_in = 0, next_out = 0;
	/* push and pop in uneven rounds so the contents wrap around the block end before the
	 * ring has to grow: growth must keep FIFO order across the wrap */
	for (int round = 0; round < 200; round++) {
		for (int i = 0; i < 7 + round % 13; i++) {
			uint64_t *slot = mb_ring_push(&r, sizeof(uint64_t));
			assert_non_null(slot);
			*slot = next_in++;
		}
		for (int i = 0; i < 5 + round % 11 && r.len; i++) {
			assert_true(*(uint64_t *)mb_ring_at(&r, sizeof(uint64_t), 0) == next_out);
			mb_ring_pop(&r);
			next_out++;
		}
		assert_true(r.len == next_in - next_out);
		assert_true(r.cap >= r.len && (r.cap & (r.cap - 1)) == 0);
		for (uint32_t i = 0; i < r.len; i++)
			assert_true(*(uint64_t *)mb_ring_at(&r, sizeof(uint64_t), i) == next_out + i);
	}
	/* a full ring whose head is mid-block grows and unwraps */
	mb_ring_free(&r);
	for (int i = 0; i < 16; i++)
		*(uint64_t *)mb_ring_push(&r, sizeof(uint64_t)) = (uint64_t)i;
	for (int i = 0; i < 10; i++)
		mb_ring_pop(&r);
	for (int i = 16; i < 26; i++)
		*(uint64_t *)mb_ring_push(&r, sizeof(uint64_t)) = (uint64_t)i;
	assert_int_equal(r.cap, 16);
	assert_int_equal(r.len, 16);
	*(uint64_t *)mb_ring_push(&r, sizeof(uint64_t)) = 26;
	assert_int_equal(r.cap, 32);
	for (uint32_t i = 0; i < r.len; i++)
		assert_true(*(uint64_t *)mb_ring_at(&r, sizeof(uint64_t), i) == 10 + i);
	mb_ring_free(&r);
	assert_null(r.data);
	/* an element size whose doubled block overflows size_t is refused */
	assert_null(mb_ring_push(&r, SIZE_MAX / 8));
	assert_int_equal(r.len, 0);
}

#define S(x) x, sizeof(x) - 1

static void test_num(void **state)
{
	(void)state;
	uint64_t u = 7;
	uint32_t v = 7;
	int32_t i = 7;
	assert_int_equal(mb_num_u64(S("0"), &u), 0);
	assert_true(u == 0);
	assert_int_equal(mb_num_u64(S("18446744073709551615"), &u), 0);
	assert_true(u == UINT64_MAX);
	u = 7;
	assert_int_equal(mb_num_u64(S("18446744073709551616"), &u), -ERANGE);
	assert_int_equal(mb_num_u64(S("99999999999999999999"), &u), -ERANGE);
	assert_int_equal(mb_num_u64(S("000000000000000000001"), &u), -ERANGE); /* 21 characters */
	assert_int_equal(mb_num_u64(S("99999999999999999999x"), &u), -EINVAL);
	assert_int_equal(mb_num_u64(S(""), &u), -EINVAL);
	assert_int_equal(mb_num_u64(S("12x"), &u), -EINVAL);
	assert_int_equal(mb_num_u64(S("-1"), &u), -EINVAL);
	assert_int_equal(mb_num_u64(S("+1"), &u), -EINVAL);
	assert_int_equal(mb_num_u64(S(" 1"), &u), -EINVAL);
	assert_true(u == 7); /* untouched on error */
	/* the length bounds the number: bytes past n are not read */
	assert_int_equal(mb_num_u64("123456", 3, &u), 0);
	assert_true(u == 123);

	assert_int_equal(mb_num_u32(S("4294967295"), &v), 0);
	assert_true(v == UINT32_MAX);
	assert_int_equal(mb_num_u32(S("4294967296"), &v), -ERANGE);
	assert_true(v == UINT32_MAX);

	assert_int_equal(mb_num_i32(S("-2147483648"), &i), 0);
	assert_true(i == INT32_MIN);
	assert_int_equal(mb_num_i32(S("2147483647"), &i), 0);
	assert_true(i == INT32_MAX);
	assert_int_equal(mb_num_i32(S("2147483648"), &i), -ERANGE);
	assert_int_equal(mb_num_i32(S("-2147483649"), &i), -ERANGE);
	assert_int_equal(mb_num_i32(S("-"), &i), -EINVAL);
	assert_int_equal(mb_num_i32(S("--1"), &i), -EINVAL);
	assert_int_equal(mb_num_i32(S("-0"), &i), 0);
	assert_true(i == 0);
}

static void test_csv(void **state)
{
	(void)state;
	struct mb_csv_field f[5];
	f[4] = (struct mb_csv_field){"sentinel", 8};
	const char *line = "0,key,\"a,b\",,7";
	size_t n = mb_csv_split(line, strlen(line), ',', f, 4);
	assert_int_equal(n, 6); /* no quoting: the quoted comma splits too */
	assert_int_equal(f[4].n, 8); /* only max fields are stored */
	assert_int_equal(f[0].n, 1);
	assert_memory_equal(f[1].p, "key", 3);
	assert_int_equal(f[1].n, 3);
	assert_memory_equal(f[2].p, "\"a", 2);
	assert_int_equal(f[2].n, 2);
	assert_memory_equal(f[3].p, "b\"", 2);
	const char *tail = "a,b,";
	n = mb_csv_split(tail, 4, ',', f, 4);
	assert_int_equal(n, 3);
	assert_int_equal(f[2].n, 0); /* trailing separator: an empty last field, at the end */
	assert_ptr_equal(f[2].p, tail + 4);
	n = mb_csv_split("", 0, ',', f, 4);
	assert_int_equal(n, 1);
	assert_int_equal(f[0].n, 0);
	/* the line's length bounds it: a separator past len is not seen */
	n = mb_csv_split("a;b;c", 3, ';', f, 4);
	assert_int_equal(n, 2);
	assert_int_equal(f[1].n, 1);
	assert_memory_equal(f[1].p, "b", 1);
}

/* The JSON string body mb_json_escape writes for s[0..n). */
static char *escaped(const char *s, size_t n)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	assert_non_null(f);
	mb_json_escape(f, s, n);
	fclose(f);
	return out;
}

static void expect_escape(const char *s, size_t n, const char *want)
{
	char *got = escaped(s, n);
	if (strcmp(got, want) != 0)
		fail_msg("escape: got '%s', want '%s'", got, want);
	free(got);
}

static void test_json_escape(void **state)
{
	(void)state;
	expect_escape(S("plain"), "plain");
	expect_escape(S("q\"b\\"), "q\\\"b\\\\");
	expect_escape(S("\n\t\x01\x7f"), "\\u000a\\u0009\\u0001\\u007f");
	expect_escape(S("nul\0x"), "nul\\u0000x");
	/* well-formed UTF-8 is copied: 2, 3 and 4 bytes, and the highest code point */
	expect_escape(S("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xf4\x8f\xbf\xbf"),
		      "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xf4\x8f\xbf\xbf");
	/* invalid: each offending byte as \u00XX, the next byte looked at afresh */
	expect_escape(S("\xc3"), "\\u00c3");                       /* truncated at the end */
	expect_escape(S("\xc3x"), "\\u00c3x");                     /* truncated mid-string */
	expect_escape("\xc3\xa9", 1, "\\u00c3"); /* n ends the string, whatever follows it */
	expect_escape(S("\x80\xbf"), "\\u0080\\u00bf");            /* stray continuations */
	expect_escape(S("\xc0\xaf"), "\\u00c0\\u00af");            /* overlong '/' */
	expect_escape(S("\xe0\x80\xaf"), "\\u00e0\\u0080\\u00af"); /* overlong, 3 bytes */
	expect_escape(S("\xed\xa0\x80"), "\\u00ed\\u00a0\\u0080"); /* surrogate U+D800 */
	expect_escape(S("\xf4\x90\x80\x80"), "\\u00f4\\u0090\\u0080\\u0080"); /* > U+10FFFF */
	expect_escape(S("\xf8\x88\x80\x80\x80"), "\\u00f8\\u0088\\u0080\\u0080\\u0080");
	expect_escape(S("\xff"), "\\u00ff");
	expect_escape(S("\xe2\x82" "\xc3\xa9"), "\\u00e2\\u0082\xc3\xa9"); /* cut, then valid */
}

static void test_json_writer(void **state)
{
	(void)state;
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	assert_non_null(f);
	struct mb_json w;
	mb_json_init(&w, f);
	mb_json_obj(&w, NULL);
	mb_json_u64(&w, "n", UINT64_MAX);
	mb_json_i64(&w, "i", -5);
	mb_json_num(&w, "x", 0.25);
	mb_json_num(&w, "nan", NAN);
	mb_json_arr(&w, "a");
	mb_json_bool(&w, NULL, true);
	mb_json_null(&w, NULL);
	mb_json_strn(&w, NULL, "k\xff", 2);
	mb_json_arr_end(&w);
	mb_json_obj(&w, "empty");
	mb_json_obj_end(&w);
	mb_json_obj_end(&w);
	mb_json_finish(&w);
	fclose(f);
	assert_string_equal(out, "{\n"
				 "  \"n\": 18446744073709551615,\n"
				 "  \"i\": -5,\n"
				 "  \"x\": 0.25,\n"
				 "  \"nan\": null,\n"
				 "  \"a\": [\n"
				 "    true,\n"
				 "    null,\n"
				 "    \"k\\u00ff\"\n"
				 "  ],\n"
				 "  \"empty\": {}\n"
				 "}\n");
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_u64),
		cmocka_unit_test(test_parse_duration),
		cmocka_unit_test(test_parse_size),
		cmocka_unit_test(test_parse_fraction),
		cmocka_unit_test(test_strerror_and_exit_codes),
		cmocka_unit_test(test_buf),
		cmocka_unit_test(test_array),
		cmocka_unit_test(test_ring),
		cmocka_unit_test(test_num),
		cmocka_unit_test(test_csv),
		cmocka_unit_test(test_json_escape),
		cmocka_unit_test(test_json_writer),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
