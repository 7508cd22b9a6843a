/* CLI helpers: diagnostics, strict flag parsing, clocks. See membench/cli.h. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "membench/cli.h"
#include "membench/error.h"

static const char *cli_prog = "membench";

void mb_cli_set_prog(const char *prog)
{
	cli_prog = prog;
}

const char *mb_cli_prog(void)
{
	return cli_prog;
}

void mb_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "%s: ", cli_prog);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

void mb_warn(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "%s: warning: ", cli_prog);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

int mb_parse_u64(const char *s, uint64_t *out)
{
	if (!s || !*s || *s == '-' || *s == '+' || *s == ' ')
		return MB_E_USAGE;
	errno = 0;
	char *end;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || *end)
		return MB_E_USAGE;
	*out = v;
	return 0;
}

int mb_parse_double(const char *s, double *out)
{
	if (!s || !*s)
		return MB_E_USAGE;
	errno = 0;
	char *end;
	double v = strtod(s, &end);
	if (errno || *end || !isfinite(v))
		return MB_E_USAGE;
	*out = v;
	return 0;
}

int mb_parse_fraction(const char *s, double *out)
{
	if (!s || !*s || strpbrk(s, "xX")) /* no hexadecimal floats */
		return -EINVAL;
	double v;
	size_t n = strlen(s);
	const char *slash = strchr(s, '/');
	if (slash) {
		/* 1/N */
		uint64_t num, den;
		char head[32];
		size_t hl = (size_t)(slash - s);
		if (hl >= sizeof(head))
			return -EINVAL;
		memcpy(head, s, hl);
		head[hl] = '\0';
		if (mb_parse_u64(head, &num) || num != 1 || mb_parse_u64(slash + 1, &den) || !den)
			return -EINVAL;
		v = 1.0 / (double)den;
	} else if (s[n - 1] == '%') {
		/* N% */
		char num[64];
		if (n - 1 >= sizeof(num) || n == 1)
			return -EINVAL;
		memcpy(num, s, n - 1);
		num[n - 1] = '\0';
		if (!isdigit((unsigned char)num[0]) || mb_parse_double(num, &v))
			return -EINVAL;
		v /= 100.0;
	} else if (!isdigit((unsigned char)s[0]) || mb_parse_double(s, &v)) {
		return -EINVAL;
	}
	if (!(v > 0.0 && v <= 1.0))
		return -EINVAL;
	*out = v;
	return 0;
}

/* Parses "<number><suffix>" where suffix is looked up in a table of multipliers. */
struct unit {
	const char *suffix;
	double mult;
};

static int parse_with_units(const char *s, const struct unit *units, size_t nunits, double *out)
{
	if (!s || !*s || *s == '-')
		return MB_E_USAGE;
	errno = 0;
	char *end;
	double v = strtod(s, &end);
	if (errno || end == s || !isfinite(v) || v < 0)
		return MB_E_USAGE;
	for (size_t i = 0; i < nunits; i++) {
		if (strcmp(end, units[i].suffix) == 0) {
			*out = v * units[i].mult;
			return 0;
		}
	}
	return MB_E_USAGE;
}

int mb_parse_duration_ns(const char *s, uint64_t *out)
{
	static const struct unit units[] = {
		{"", 1e9}, {"s", 1e9}, {"ms", 1e6}, {"us", 1e3}, {"ns", 1},
		{"m", 60e9}, {"min", 60e9}, {"h", 3600e9},
	};
	double v;
	int err = parse_with_units(s, units, sizeof(units) / sizeof(units[0]), &v);
	if (err)
		return err;
	if (v > 9.2e18)
		return MB_E_USAGE;
	*out = (uint64_t)v;
	return 0;
}

int mb_parse_size(const char *s, uint64_t *out)
{
	static const struct unit units[] = {
		{"", 1}, {"k", 1024.0}, {"K", 1024.0}, {"KiB", 1024.0},
		{"m", 1048576.0}, {"M", 1048576.0}, {"MiB", 1048576.0},
		{"g", 1073741824.0}, {"G", 1073741824.0}, {"GiB", 1073741824.0},
	};
	double v;
	int err = parse_with_units(s, units, sizeof(units) / sizeof(units[0]), &v);
	if (err)
		return err;
	if (v > 1.8e19 || v != floor(v))
		return MB_E_USAGE;
	*out = (uint64_t)v;
	return 0;
}

bool mb_isatty(int fd)
{
	return isatty(fd) == 1;
}

int mb_check_writable(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd >= 0) {
		close(fd);
		return unlink(path) == 0 ? 0 : -errno;
	}
	if (errno != EEXIST)
		return -errno;
	fd = open(path, O_WRONLY | O_CLOEXEC); /* exists: writable? (not truncated now) */
	if (fd < 0)
		return -errno;
	close(fd);
	return 0;
}
