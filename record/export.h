/* Output formats of membench record (-o FILE --format mbp|twitter|oracle): every source writes
 * a profile; for the other formats that profile is a temporary file next to FILE, converted
 * when it is closed (record_output_close) and removed. See export.c and docs/import.md.
 */
#ifndef MB_RECORD_EXPORT_H
#define MB_RECORD_EXPORT_H

#include <stddef.h>
#include <stdint.h>

enum record_format {
	RECORD_FORMAT_MBP = 0,
	RECORD_FORMAT_TWITTER,
	RECORD_FORMAT_ORACLE,
};

/* "mbp", "twitter", "oracle" -> *f. @return 0 or MB_E_USAGE. */
int record_format_parse(const char *s, enum record_format *f);
const char *record_format_name(enum record_format f);

struct record_export_result {
	uint64_t written;        /* requests written */
	uint64_t left_out;       /* records the format cannot express (see export.c) */
	char left_out_ops[128];  /* their command names, "touch,stats" */
};

/* Converts the profile at mbp to out in format f (twitter or oracle); out is zstd-compressed
 * when its name ends in ".zst". The output is created with mode 0600.
 * @return 0, or a negative error with "PATH: reason" in err (-errno, MB_E_ZSTD, reader errors,
 *         -ENOMEM). */
int record_export(const char *mbp, const char *out, enum record_format f,
		  struct record_export_result *res, char *err, size_t errlen);

#endif
