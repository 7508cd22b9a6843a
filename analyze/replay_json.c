/* Reads a replay's --json report (replay_json.h) with jansson. Members are looked up by name; the
 * first problem found is the one reported (struct rd keeps it), and the rest of the file is
 * still walked so the code stays a straight list of lookups. */
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "membench/error.h"
#include "replay_json.h"

struct rd {
	const char *path;
	char *err;
	size_t errlen;
	int rc;
};

#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static void fail(struct rd *d, int rc, const char *fmt, ...)
{
	if (d->rc)
		return;
	d->rc = rc;
	int n = snprintf(d->err, d->errlen, "%s: ", d->path);
	if (n < 0 || (size_t)n >= d->errlen)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(d->err + n, d->errlen - (size_t)n, fmt, ap);
	va_end(ap);
}

/* A number member of o (`where` names o in messages); NAN when absent or null. */
static double num(struct rd *d, json_t *o, const char *where, const char *key, bool required)
{
	json_t *v = json_object_get(o, key);
	if (!v || json_is_null(v)) {
		if (required)
			fail(d, MB_E_PARSE, "%s%s: missing", where, key);
		return NAN;
	}
	if (!json_is_number(v)) {
		fail(d, MB_E_PARSE, "%s%s: not a number", where, key);
		return NAN;
	}
	return json_number_value(v);
}

/* A count: a number >= 0; 0 when absent. */
static uint64_t count(struct rd *d, json_t *o, const char *where, const char *key, bool required)
{
	double v = num(d, o, where, key, required);
	if (isnan(v))
		return 0;
	if (!(v >= 0 && v < 1.8e19)) {
		fail(d, MB_E_PARSE, "%s%s: %g is not a count", where, key, v);
		return 0;
	}
	return (uint64_t)v;
}

/* An object member (NULL when absent, an error when of another type). */
static json_t *obj(struct rd *d, json_t *o, const char *where, const char *key)
{
	json_t *v = json_object_get(o, key);
	if (v && !json_is_object(v)) {
		fail(d, MB_E_PARSE, "%s%s: not an object", where, key);
		return NULL;
	}
	return v;
}

/* Element `where` (ends with '.') of an array or object must be an object. */
static bool is_obj(struct rd *d, json_t *v, const char *where)
{
	if (json_is_object(v))
		return true;
	fail(d, MB_E_PARSE, "%.*s: not an object", (int)strlen(where) - 1, where);
	return false;
}

/* Appends text to buf (cut at its size). */
static void append(char *buf, size_t len, const char *sep, const char *text)
{
	size_t n = strlen(buf);
	if (n + 1 < len)
		snprintf(buf + n, len - n, "%s%s", n ? sep : "", text);
}

/* Any JSON value as text: strings as they are, the rest in compact JSON. */
static void append_value(char *buf, size_t len, const char *sep, const char *key, json_t *v)
{
	char *s = json_is_string(v) ? NULL : json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
	char item[256];
	snprintf(item, sizeof(item), "%s%s%s", key ? key : "", key ? "=" : "",
		 s ? s : json_is_string(v) ? json_string_value(v) : "?");
	free(s);
	append(buf, len, sep, item);
}

static void lat(struct rd *d, json_t *o, const char *where, struct an_replay_lat *l)
{
	if (!o)
		return;
	l->count = count(d, o, where, "count", false);
	l->mean = num(d, o, where, "mean", false);
	l->p50 = num(d, o, where, "p50", false);
	l->p90 = num(d, o, where, "p90", false);
	l->p99 = num(d, o, where, "p99", false);
	l->p999 = num(d, o, where, "p999", false);
	l->p9999 = num(d, o, where, "p9999", false);
	l->max = num(d, o, where, "max", false);
}

static void read_commands(struct rd *d, json_t *cmds, struct an_replay *r)
{
	if (!cmds)
		return;
	r->cmds = calloc(json_object_size(cmds) + 1, sizeof(*r->cmds));
	if (!r->cmds) {
		fail(d, -ENOMEM, "%s", strerror(ENOMEM));
		return;
	}
	const char *op;
	json_t *c;
	json_object_foreach(cmds, op, c) {
		char where[64];
		snprintf(where, sizeof(where), "commands.%.40s.", op);
		if (!is_obj(d, c, where))
			return;
		struct an_replay_cmd *x = &r->cmds[r->ncmds++];
		snprintf(x->name, sizeof(x->name), "%s", op);
		x->sent = count(d, c, where, "sent", true);
		x->keys = count(d, c, where, "keys", false);
		x->responses = count(d, c, where, "responses", false);
		x->ops_per_s = num(d, c, where, "ops_per_s", false);
		x->kb_per_s = num(d, c, where, "kb_per_s", false);
		json_t *l = obj(d, c, where, "latency_us");
		lat(d, l ? obj(d, l, where, "corrected") : NULL, where, &x->lat);
		json_t *st = obj(d, c, where, "status");
		const char *name;
		json_t *v;
		json_object_foreach(st, name, v) {
			char item[64];
			snprintf(item, sizeof(item), "%.30s %.0f", name,
				 json_is_number(v) ? json_number_value(v) : NAN);
			append(x->status, sizeof(x->status), ", ", item);
		}
	}
}

static void read_series(struct rd *d, json_t *ts, struct an_replay *r)
{
	if (!json_is_array(ts)) {
		fail(d, MB_E_PARSE, "timeseries: %s", ts ? "not an array" : "missing");
		return;
	}
	r->secs = calloc(json_array_size(ts) + 1, sizeof(*r->secs));
	if (!r->secs) {
		fail(d, -ENOMEM, "%s", strerror(ENOMEM));
		return;
	}
	static const struct {
		const char *key;
		size_t off;
		bool required;
	} fields[] = {
		{"t", offsetof(struct an_replay_sec, t), true},
		{"sent", offsetof(struct an_replay_sec, sent), true},
		{"responses", offsetof(struct an_replay_sec, responses), false},
		{"errors", offsetof(struct an_replay_sec, errors), false},
		{"outstanding", offsetof(struct an_replay_sec, outstanding), false},
		{"p50_us", offsetof(struct an_replay_sec, p50_us), false},
		{"p99_us", offsetof(struct an_replay_sec, p99_us), false},
		{"max_us", offsetof(struct an_replay_sec, max_us), false},
		{"lag_p99_us", offsetof(struct an_replay_sec, lag_p99_us), false},
	};
	size_t i;
	json_t *e;
	json_array_foreach(ts, i, e) {
		char where[48];
		snprintf(where, sizeof(where), "timeseries[%zu].", i);
		if (!is_obj(d, e, where))
			return;
		struct an_replay_sec *s = &r->secs[r->nsecs++];
		for (size_t k = 0; k < sizeof(fields) / sizeof(fields[0]); k++) {
			double v = num(d, e, where, fields[k].key, fields[k].required);
			memcpy((char *)s + fields[k].off, &v, sizeof(v));
		}
		json_t *w = json_object_get(e, "warmup");
		if (w && !json_is_boolean(w))
			fail(d, MB_E_PARSE, "%swarmup: not a boolean", where);
		s->warmup = json_is_true(w);
	}
}

/* Per command, `timeseries[].commands.<op>.sent` (ops not in `commands` are left out). */
static void read_cmd_series(struct rd *d, json_t *ts, struct an_replay *r)
{
	for (size_t k = 0; k < r->ncmds; k++) {
		r->cmds[k].sent_s = calloc(r->nsecs + 1, sizeof(double));
		if (!r->cmds[k].sent_s) {
			fail(d, -ENOMEM, "%s", strerror(ENOMEM));
			return;
		}
	}
	for (size_t i = 0; i < r->nsecs; i++) {
		char where[64];
		snprintf(where, sizeof(where), "timeseries[%zu].", i);
		const char *op;
		json_t *c;
		json_object_foreach(obj(d, json_array_get(ts, i), where, "commands"), op, c) {
			snprintf(where, sizeof(where), "timeseries[%zu].commands.%.20s.", i, op);
			for (size_t k = 0; k < r->ncmds && is_obj(d, c, where); k++)
				if (!strcmp(r->cmds[k].name, op))
					r->cmds[k].sent_s[i] = (double)count(d, c, where, "sent", false);
		}
	}
}

int an_replay_load(const char *path, struct an_replay **out, char *err, size_t errlen)
{
	struct rd d = {.path = path, .err = err, .errlen = errlen};
	struct an_replay *r = NULL;
	json_t *root = NULL;
	*out = NULL;
	FILE *f = fopen(path, "r");
	if (!f) {
		int e = errno;
		snprintf(err, errlen, "cannot open %s: %s", path, strerror(e));
		return -e;
	}
	json_error_t jerr;
	root = json_loadf(f, JSON_REJECT_DUPLICATES, &jerr);
	fclose(f);
	if (!root) {
		snprintf(err, errlen, "%s:%d:%d: not JSON: %s", path, jerr.line, jerr.column,
			 jerr.text);
		return MB_E_PARSE;
	}
	json_t *schema = json_is_object(root) ? json_object_get(root, "schema") : NULL;
	if (!json_is_string(schema) || strcmp(json_string_value(schema), AN_REPLAY_SCHEMA)) {
		fail(&d, MB_E_NOT_PROFILE, "not a membench replay report (schema %s%s%s, expected "
		     "\"%s\" from membench replay --json)", json_is_string(schema) ? "\"" : "",
		     json_is_string(schema) ? json_string_value(schema) : "missing",
		     json_is_string(schema) ? "\"" : "", AN_REPLAY_SCHEMA);
		goto cleanup;
	}
	r = calloc(1, sizeof(*r));
	if (!r) {
		fail(&d, -ENOMEM, "%s", strerror(ENOMEM));
		goto cleanup;
	}
	r->path = path;
	json_t *v = json_object_get(root, "profile");
	snprintf(r->profile, sizeof(r->profile), "%s", json_is_string(v) ? json_string_value(v) : "?");
	size_t i;
	json_t *e;
	json_array_foreach(json_object_get(root, "servers"), i, e)
		append_value(r->servers, sizeof(r->servers), ", ", NULL, e);
	const char *key;
	json_object_foreach(obj(&d, root, "", "settings"), key, e)
		append_value(r->settings, sizeof(r->settings), " ", key, e);
	r->requests_sent = count(&d, root, "", "requests_sent", true);
	r->commands_sent = count(&d, root, "", "commands_sent", false);
	r->responses = count(&d, root, "", "responses", false);
	r->stalls = count(&d, root, "", "stalls", false);
	r->reconnects = count(&d, root, "", "reconnects", false);
	r->skipped_late = count(&d, root, "", "skipped_late", false);
	r->skipped_commands = count(&d, root, "", "skipped_commands", false);
	r->bytes_sent = count(&d, root, "", "bytes_sent", false);
	r->bytes_received = count(&d, root, "", "bytes_received", false);
	r->target_rate = num(&d, root, "", "target_rate", false);
	r->achieved_rate = num(&d, root, "", "achieved_rate", false);
	r->duration_s = num(&d, root, "", "duration_s", false);
	r->interrupted = json_is_true(json_object_get(root, "interrupted"));
	json_t *wu = obj(&d, root, "", "warmup");
	if (wu) {
		r->has_warmup = true;
		r->warmup_s = num(&d, wu, "warmup.", "duration_s", false);
		r->warmup_requests = count(&d, wu, "warmup.", "requests_sent", false);
	}
	json_t *errs = obj(&d, root, "", "errors");
	r->errors_total = count(&d, errs, "errors.", "total", false);
	json_object_foreach(errs, key, e) {
		if (!strcmp(key, "total") || r->nerrors == AN_REPLAY_MAX_ERRORS)
			continue;
		struct an_replay_err *x = &r->errors[r->nerrors++];
		snprintf(x->name, sizeof(x->name), "%s", key);
		x->count = count(&d, errs, "errors.", key, false);
	}
	json_t *l = obj(&d, root, "", "latency_us");
	lat(&d, l ? obj(&d, l, "latency_us.", "corrected") : NULL, "latency_us.corrected.",
	    &r->lat_corrected);
	lat(&d, l ? obj(&d, l, "latency_us.", "uncorrected") : NULL, "latency_us.uncorrected.",
	    &r->lat_uncorrected);
	lat(&d, obj(&d, root, "", "schedule_lag_us"), "schedule_lag_us.", &r->sched_lag);
	read_commands(&d, obj(&d, root, "", "commands"), r);
	read_series(&d, json_object_get(root, "timeseries"), r);
	if (!d.rc)
		read_cmd_series(&d, json_object_get(root, "timeseries"), r);
cleanup:
	json_decref(root);
	if (d.rc) {
		an_replay_free(r);
		return d.rc;
	}
	*out = r;
	return 0;
}

void an_replay_free(struct an_replay *r)
{
	if (!r)
		return;
	for (size_t k = 0; k < r->ncmds; k++)
		free(r->cmds[k].sent_s);
	free(r->cmds);
	free(r->secs);
	free(r);
}
