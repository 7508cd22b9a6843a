/* Streaming JSON writer; see membench/json.h. */
#include <math.h>
#include <string.h>

#include "membench/json.h"

void mb_json_init(struct mb_json *w, FILE *f)
{
	memset(w, 0, sizeof(*w));
	w->f = f;
}

static void indent(struct mb_json *w)
{
	fputc('\n', w->f);
	for (int i = 0; i < w->depth; i++)
		fputs("  ", w->f);
}

/* Comma, newline and indentation before a member, then `"key": ` when key != NULL. */
static void member(struct mb_json *w, const char *key)
{
	if (w->depth > 0) {
		if (w->comma[w->depth - 1])
			fputc(',', w->f);
		w->comma[w->depth - 1] = true;
		indent(w);
	}
	if (key) {
		fputc('"', w->f);
		mb_json_escape(w->f, key, strlen(key));
		fputs("\": ", w->f);
	}
}

static void open(struct mb_json *w, const char *key, char c)
{
	member(w, key);
	fputc(c, w->f);
	if (w->depth < MB_JSON_MAX_DEPTH)
		w->comma[w->depth] = false;
	w->depth++;
}

static void close_(struct mb_json *w, char c)
{
	w->depth--;
	if (w->depth < MB_JSON_MAX_DEPTH && w->comma[w->depth])
		indent(w);
	fputc(c, w->f);
}

void mb_json_obj(struct mb_json *w, const char *key)
{
	open(w, key, '{');
}

void mb_json_obj_end(struct mb_json *w)
{
	close_(w, '}');
}

void mb_json_arr(struct mb_json *w, const char *key)
{
	open(w, key, '[');
}

void mb_json_arr_end(struct mb_json *w)
{
	close_(w, ']');
}

void mb_json_u64(struct mb_json *w, const char *key, uint64_t v)
{
	member(w, key);
	fprintf(w->f, "%llu", (unsigned long long)v);
}

void mb_json_i64(struct mb_json *w, const char *key, int64_t v)
{
	member(w, key);
	fprintf(w->f, "%lld", (long long)v);
}

void mb_json_num(struct mb_json *w, const char *key, double v)
{
	member(w, key);
	if (!isfinite(v))
		fputs("null", w->f);
	else if (v == floor(v) && fabs(v) < 1e15)
		fprintf(w->f, "%.0f", v);
	else
		fprintf(w->f, "%.10g", v);
}

void mb_json_bool(struct mb_json *w, const char *key, bool v)
{
	member(w, key);
	fputs(v ? "true" : "false", w->f);
}

void mb_json_null(struct mb_json *w, const char *key)
{
	member(w, key);
	fputs("null", w->f);
}

void mb_json_str(struct mb_json *w, const char *key, const char *s)
{
	mb_json_strn(w, key, s, strlen(s));
}

void mb_json_strn(struct mb_json *w, const char *key, const char *s, size_t n)
{
	member(w, key);
	fputc('"', w->f);
	mb_json_escape(w->f, s, n);
	fputc('"', w->f);
}

void mb_json_finish(struct mb_json *w)
{
	fputc('\n', w->f);
}

/* Length of the valid UTF-8 sequence at s (1..4), or 0 when it is not valid. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	size_t len;
	uint32_t cp;
	if (s[0] < 0x80)
		return 1;
	if ((s[0] & 0xe0) == 0xc0)
		len = 2, cp = s[0] & 0x1f;
	else if ((s[0] & 0xf0) == 0xe0)
		len = 3, cp = s[0] & 0x0f;
	else if ((s[0] & 0xf8) == 0xf0)
		len = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	static const uint32_t min_cp[] = {0, 0, 0x80, 0x800, 0x10000};
	if (cp < min_cp[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

void mb_json_escape(FILE *f, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	for (size_t i = 0; i < n;) {
		unsigned char c = p[i];
		if (c == '"' || c == '\\') {
			fputc('\\', f);
			fputc(c, f);
			i++;
		} else if (c < 0x20 || c == 0x7f) {
			fprintf(f, "\\u%04x", c);
			i++;
		} else {
			size_t l = utf8_len(p + i, n - i);
			if (l == 0) { /* not UTF-8: show the byte's value */
				fprintf(f, "\\u%04x", c);
				i++;
			} else {
				fwrite(p + i, 1, l, f);
				i += l;
			}
		}
	}
}
