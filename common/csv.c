/* Field splitter for trace lines; see membench/csv.h. One memchr per field. */
#include <string.h>

#include "membench/csv.h"

size_t mb_csv_split(const char *line, size_t len, char sep, struct mb_csv_field *f, size_t max)
{
	const char *p = line, *end = line + len;
	size_t n = 0;
	for (;;) {
		const char *c = p < end ? memchr(p, sep, (size_t)(end - p)) : NULL;
		const char *fe = c ? c : end;
		if (n < max)
			f[n] = (struct mb_csv_field){p, (size_t)(fe - p)};
		n++;
		if (!c)
			return n;
		p = c + 1;
	}
}
