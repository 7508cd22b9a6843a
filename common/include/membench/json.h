/* json.h: a small streaming JSON writer for reports (analyze; replay's report should move to it):
 * pretty-printed (two-space indent), strings escaped per RFC 8259, non-finite numbers written as
 * null, so the output is always valid JSON whatever the bytes given.
 *
 * Strings: '"' and '\\' are escaped, control characters and DEL as \u00XX; well-formed UTF-8 is
 * copied as is. A byte that does not start a well-formed UTF-8 sequence (a stray continuation
 * byte, a truncated sequence, an overlong form, a surrogate U+D800..U+DFFF, a code point past
 * U+10FFFF, the bytes C0, C1, F5..FF) is written as \u00XX of its value, and the next byte is
 * looked at afresh: a reader gets valid JSON and can still tell which byte it was (anonymized
 * or binary keys are not text).
 * Invariant: `depth` open containers; comma[d] says whether container d already has a member.
 */
#ifndef MEMBENCH_JSON_H
#define MEMBENCH_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define MB_JSON_MAX_DEPTH 32

struct mb_json {
	FILE *f;
	int depth;
	bool comma[MB_JSON_MAX_DEPTH];
};

void mb_json_init(struct mb_json *w, FILE *f);
/* `key` names the member inside an object; pass NULL inside arrays and at the top level. */
void mb_json_obj(struct mb_json *w, const char *key);
void mb_json_obj_end(struct mb_json *w);
void mb_json_arr(struct mb_json *w, const char *key);
void mb_json_arr_end(struct mb_json *w);
void mb_json_u64(struct mb_json *w, const char *key, uint64_t v);
void mb_json_i64(struct mb_json *w, const char *key, int64_t v);
void mb_json_num(struct mb_json *w, const char *key, double v);
void mb_json_bool(struct mb_json *w, const char *key, bool v);
void mb_json_null(struct mb_json *w, const char *key);
void mb_json_str(struct mb_json *w, const char *key, const char *s);
void mb_json_strn(struct mb_json *w, const char *key, const char *s, size_t n);
/* Ends the document with a newline. */
void mb_json_finish(struct mb_json *w);

/* Writes s[0..n) as a JSON string body (no quotes) to f. */
void mb_json_escape(FILE *f, const char *s, size_t n);

#endif
