/* num.h: strict decimal numbers in byte ranges that are not NUL-terminated (protocol tokens,
 * CSV fields), as memcached's safe_strto* read them: digits only (an optional leading '-' for
 * signed types), no sign otherwise, no spaces, no trailing bytes, at most 20 characters.
 *
 * One error convention for every parser: 0, -EINVAL (empty, or a byte that is not a digit),
 * -ERANGE (all digits but the value does not fit the type, or longer than 20 characters).
 * *out is written only on success. Inline: these sit on the codec's and the importers' hot paths.
 * (mb_parse_u64 and friends in cli.h parse command-line flags, with units.)
 */
#ifndef MEMBENCH_NUM_H
#define MEMBENCH_NUM_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>

#define MB_NUM_MAX_DIGITS 20

/* Unsigned 64-bit. @return 0, -EINVAL, -ERANGE. */
static inline int mb_num_u64(const char *s, size_t n, uint64_t *out)
{
	if (n == 0)
		return -EINVAL;
	uint64_t v = 0;
	int err = n > MB_NUM_MAX_DIGITS ? -ERANGE : 0;
	for (size_t i = 0; i < n; i++) {
		unsigned d = (unsigned)(unsigned char)s[i] - '0';
		if (d > 9)
			return -EINVAL;
		if (v > (UINT64_MAX - d) / 10)
			err = -ERANGE; /* keep scanning: a later non-digit makes it -EINVAL */
		else
			v = v * 10 + d;
	}
	if (err)
		return err;
	*out = v;
	return 0;
}

/* Unsigned 32-bit. @return 0, -EINVAL, -ERANGE. */
static inline int mb_num_u32(const char *s, size_t n, uint32_t *out)
{
	uint64_t v;
	int err = mb_num_u64(s, n, &v);
	if (err)
		return err;
	if (v > UINT32_MAX)
		return -ERANGE;
	*out = (uint32_t)v;
	return 0;
}

/* Signed 32-bit, "-2147483648" to "2147483647". @return 0, -EINVAL, -ERANGE. */
static inline int mb_num_i32(const char *s, size_t n, int32_t *out)
{
	size_t neg = n > 0 && s[0] == '-';
	uint64_t v;
	int err = mb_num_u64(s + neg, n - neg, &v);
	if (err)
		return err;
	if (v > (neg ? 2147483648ull : 2147483647ull))
		return -ERANGE;
	*out = neg ? (int32_t)(-(int64_t)v) : (int32_t)v;
	return 0;
}

#endif
