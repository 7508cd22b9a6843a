/* Unit tests for mbcommon: strict flag parsing, error strings, exit-code mapping, mb_buf. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "membench/buf.h"
#include "membench/cli.h"
#include "membench/error.h"
#include "membench/exitcode.h"

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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_u64),
		cmocka_unit_test(test_parse_duration),
		cmocka_unit_test(test_parse_size),
		cmocka_unit_test(test_parse_fraction),
		cmocka_unit_test(test_strerror_and_exit_codes),
		cmocka_unit_test(test_buf),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
