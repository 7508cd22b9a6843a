/* Input of trace import: a file or stdin ("-"), plain, zstd or gzip (sniffed by their magic),
 * read as decompressed bytes or as text lines, in bounded memory. See input.c.
 */
#ifndef MB_RECORD_IMPORT_INPUT_H
#define MB_RECORD_IMPORT_INPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define IMPORT_LINE_MAX (1u << 20) /* longest accepted text line, bytes */

struct import_input;

/* Opens path and sniffs the zstd frame magic (28 b5 2f fd) or the gzip magic (1f 8b) in its
 * first bytes: such input is stream-decompressed, anything else is read as is. The extension does not matter.
 * @return 0, or -errno with "cannot open PATH: reason" in err. */
int import_input_open(struct import_input **out, const char *path, char *err, size_t errlen);
void import_input_close(struct import_input *in);

bool import_input_is_zstd(const struct import_input *in);
/* "zstd", "gzip" or "none". */
const char *import_input_compression(const struct import_input *in);

/* Reads up to cap decompressed bytes; short only at the end of input.
 * @return bytes read (0 at the end), or -errno / MB_E_ZSTD / MB_E_CORRUPT (bad gzip data) /
 *         MB_E_TRUNCATED (zstd frame or gzip member cut short) with the message in err. */
long import_input_read(struct import_input *in, void *buf, size_t cap, char *err, size_t errlen);

/* Next text line without its "\n" (and "\r"); *lineno is its 1-based number. The line stays
 * valid until the next call. The last line may lack a newline.
 * @return 1 (a line), 0 (end of input), or a negative error with the message in err
 *         (MB_E_LIMIT for a line longer than IMPORT_LINE_MAX). */
int import_input_line(struct import_input *in, const char **line, size_t *len,
		      uint64_t *lineno, char *err, size_t errlen);

/* Fraction of the input file consumed (compressed bytes for zstd); -1 when unknown (a pipe). */
double import_input_progress(const struct import_input *in);

#endif
