/* A small streaming JSON writer for the reports: pretty-printed (two-space indent), strings
 * escaped per RFC 8259 (control characters as \u00XX, invalid UTF-8 bytes as \u00XX of the byte
 * so output is always valid JSON), non-finite numbers written as null.
 * Invariant: `depth` open containers; comma[d] says whether container d already has a member.
 */
#ifndef MB_ANALYZE_JSON_H
#define MB_ANALYZE_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define JW_MAX_DEPTH 32

struct jw {
	FILE *f;
	int depth;
	bool comma[JW_MAX_DEPTH];
};

void jw_init(struct jw *w, FILE *f);
/* `key` names the member inside an object; pass NULL inside arrays and at the top level. */
void jw_obj(struct jw *w, const char *key);
void jw_obj_end(struct jw *w);
void jw_arr(struct jw *w, const char *key);
void jw_arr_end(struct jw *w);
void jw_u64(struct jw *w, const char *key, uint64_t v);
void jw_i64(struct jw *w, const char *key, int64_t v);
void jw_num(struct jw *w, const char *key, double v);
void jw_bool(struct jw *w, const char *key, bool v);
void jw_null(struct jw *w, const char *key);
void jw_str(struct jw *w, const char *key, const char *s);
void jw_strn(struct jw *w, const char *key, const char *s, size_t n);
/* Ends the document with a newline. */
void jw_finish(struct jw *w);

/* Writes s[0..n) as a JSON string body (no quotes) to f; shared with the HTML escaper's users. */
void jw_escape(FILE *f, const char *s, size_t n);

#endif
