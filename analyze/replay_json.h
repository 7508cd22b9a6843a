/* A replay's --json report (schema "membench.replay/1", docs/replay.md) read back for
 * `membench analyze --replay-json FILE --html PAGE` (report_html_replay in report.h).
 *
 * Only what the page shows is kept: the run's totals, latency summaries, per-command rows,
 * errors by kind, the per-second `timeseries` (with its `warmup` marks) and the `warmup`
 * object's duration and requests (--warmup D). Unknown members are ignored (fields are only
 * ever added within /1); a member the page needs that has the wrong type, a missing
 * `timeseries` or `requests_sent`, or another schema is refused with the member's name.
 * Missing optional numbers read as NAN (shown as "-"); a command missing from a second's
 * `commands` sent 0 then. Strings are cut to their field's size.
 */
#ifndef MB_ANALYZE_REPLAY_JSON_H
#define MB_ANALYZE_REPLAY_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define AN_REPLAY_SCHEMA "membench.replay/1"
#define AN_REPLAY_MAX_ERRORS 16

/* A latency summary (microseconds); count 0 when absent. */
struct an_replay_lat {
	uint64_t count;
	double mean, p50, p90, p99, p999, p9999, max;
};

/* One entry of `timeseries` (doubles, so the page can average and take maxima alike). */
struct an_replay_sec {
	double t, sent, responses, errors, outstanding, p50_us, p99_us, max_us, lag_p99_us;
	bool warmup; /* `"warmup": true`: a second of --warmup, kept out of the totals */
};

struct an_replay_cmd {
	char name[32];
	uint64_t sent, keys, responses;
	double ops_per_s, kb_per_s;
	struct an_replay_lat lat;  /* corrected */
	char status[256];          /* "hit 2947, miss 2854" */
	double *sent_s;            /* commands sent in each second of `timeseries` (nsecs) */
};

struct an_replay_err {
	char name[32];
	uint64_t count;
};

struct an_replay {
	const char *path;
	char profile[512], servers[512], settings[512];
	uint64_t requests_sent, commands_sent, responses, errors_total, stalls, reconnects;
	uint64_t skipped_late, skipped_commands, bytes_sent, bytes_received;
	double target_rate, achieved_rate, duration_s;
	bool interrupted;
	bool has_warmup;               /* a `warmup` object: the run had --warmup */
	double warmup_s;               /* warmup.duration_s */
	uint64_t warmup_requests;      /* warmup.requests_sent */
	struct an_replay_err errors[AN_REPLAY_MAX_ERRORS];
	size_t nerrors;
	struct an_replay_lat lat_corrected, lat_uncorrected, sched_lag;
	struct an_replay_cmd *cmds;
	size_t ncmds;
	struct an_replay_sec *secs;
	size_t nsecs;
};

/* Reads path into *out. On failure *out is NULL and err holds a message naming the file and
 * the line/column or member ("r.json:3:7: ..." or "r.json: timeseries[4].sent: not a number").
 * @return 0, -errno (cannot read), MB_E_PARSE (not JSON, or a member of the wrong type),
 *         MB_E_NOT_PROFILE (JSON but not a membench replay report), -ENOMEM. */
int an_replay_load(const char *path, struct an_replay **out, char *err, size_t errlen);
void an_replay_free(struct an_replay *r);

#endif
