/* csv.h: splitting one line of a delimiter-separated trace (Twitter cache-trace, CacheLib
 * kvcache) into fields, without copying.
 *
 * The trace formats membench imports never quote fields, so neither does this splitter: a
 * double quote is an ordinary byte and a separator always ends a field. A line of n separators
 * has n + 1 fields (an empty line has one empty field).
 */
#ifndef MEMBENCH_CSV_H
#define MEMBENCH_CSV_H

#include <stddef.h>

struct mb_csv_field {
	const char *p; /* into the line; not NUL-terminated */
	size_t n;
};

/* Splits line[0..len) at each sep into f[0..max). @return the number of fields in the line,
 * which may exceed max: only the first max are stored (callers report "found N columns"). */
size_t mb_csv_split(const char *line, size_t len, char sep, struct mb_csv_field *f, size_t max);

#endif
