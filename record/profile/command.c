/* membench record profile:PATH [profile:PATH ...]: re-records profiles: cuts a time window,
 * keeps some commands, key prefixes or connections, and merges several profiles into one
 * (docs/import.md, "Profiles as a source").
 *
 * Each input is read block by block (mb_profile_reader_read_block), starting at the first
 * block that can hold --from (mb_profile_reader_seek_time) and skipping blocks that start at
 * or after --to. Inputs are merged by time: the input whose next kept record is earliest goes
 * next (O(inputs) per record), and a multi-key command's continuation records follow their
 * first record at once, so commands stay whole. Time: each input's window start (--from, else
 * its start) is placed at its unix start time when every input has one (--align wall, the
 * default), else at 0 (--align start); the output starts at the earliest. Connections become
 * dense ids per (input, connection) in order of first appearance, so inputs never share one.
 * Keys keep their identity: by bytes where the profile kept them (so the same key in two
 * inputs is one key), else by (input, dense id). The output key mode is the weakest of the
 * inputs' (anon < prefix < kept). Everything else (status, latency, flags, ttl, sizes) is
 * copied as is, except meta requests' flag texts (format 1.1), which are not carried over yet. A filter that drops the first key of a multiget keeps the rest as a command
 * of their own.
 *
 * Memory: one decoded block per input (65,536 records by default, about 3 MiB) plus the
 * writer's; the connection map grows with distinct connections.
 * Damaged inputs (a file cut short, a block failing its checks; the rule is in profile.h) are
 * refused with exit 3 unless --allow-damaged, which copies their complete, valid blocks and
 * warns, per input, what was left out.
 * Exit codes: 0; 2 bad option; 3 an input is not a readable profile, is damaged (without
 * --allow-damaged), or a filter needs key bytes it does not keep; 1 output failure or
 * interrupted.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "filter.h"
#include "progress.h"
#include "membench/cli.h"
#include "membench/error.h"
#include "membench/exitcode.h"
#include "membench/mix.h"
#include "record.h"

#define PROFILE_PREFIX "profile:"
#define MAX_INPUTS 64

static void usage(FILE *f)
{
	fprintf(f,
		"usage: membench record profile:PATH [profile:PATH ...] -o OUT [options]\n"
		"\n"
		"Re-records membench profiles: cuts a time window, keeps some commands, keys or\n"
		"connections, and merges several profiles in time order (their connections stay\n"
		"apart). Responses, latencies, sizes and keys are copied unchanged.\n"
		"\n"
		"options:\n"
		"  -o, --output FILE       file to write (required)\n"
		"  --format mbp|twitter|oracle  output format (default mbp; see membench record --help)\n"
		"  --from T, --to T        keep requests from T (inclusive) to T (exclusive): an offset\n"
		"                          from each input's start (30s, 1m30s, 500ms) or a wall-clock\n"
		"                          time (2026-12-02T01:30:00Z, @1764639000); the output starts\n"
		"                          at --from\n"
		"  --ops LIST              keep these commands only (get,gets,set,delete,mg,...);\n"
		"                          a bare number N instead stops after N requests\n"
		"  --key-prefix-only P     keep keys starting with P (needs a profile with key bytes:\n"
		"                          --keep-keys, or --key-prefix with P inside the prefix)\n"
		"  --connections LIST      keep these connections of each input (0,3,7-9)\n"
		"  --sample 1/N            keep 1 key in N (a hash of the key: kept keys by their\n"
		"                          bytes, the same in every input; others by their id)\n"
		"  --sample-by key|connection  sample keys (default) or connections\n"
		"  --align wall|start      merge by unix time (default when every input has one) or\n"
		"                          by start (every input starts at 0)\n"
		"  --allow-damaged         copy the complete, valid blocks of a damaged input (cut short\n"
		"                          by a killed recorder, or a block failing its checks), with a\n"
		"                          warning; without it a damaged input is refused (exit 3)\n"
		"  -h, --help              this help\n");
}

enum {
	OPT_FROM = 256,
	OPT_TO,
	OPT_OPS,
	OPT_KEY_PREFIX_ONLY,
	OPT_CONNECTIONS,
	OPT_SAMPLE,
	OPT_SAMPLE_BY,
	OPT_ALIGN,
	OPT_ALLOW_DAMAGED,
};

static const struct option long_opts[] = {
	{"output", required_argument, NULL, 'o'},
	{"from", required_argument, NULL, OPT_FROM},
	{"to", required_argument, NULL, OPT_TO},
	{"ops", required_argument, NULL, OPT_OPS},
	{"key-prefix-only", required_argument, NULL, OPT_KEY_PREFIX_ONLY},
	{"connections", required_argument, NULL, OPT_CONNECTIONS},
	{"sample", required_argument, NULL, OPT_SAMPLE},
	{"sample-by", required_argument, NULL, OPT_SAMPLE_BY},
	{"align", required_argument, NULL, OPT_ALIGN},
	{"allow-damaged", no_argument, NULL, OPT_ALLOW_DAMAGED},
	{"help", no_argument, NULL, 'h'},
	{NULL, 0, NULL, 0},
};

/* The filter option of each getopt code (names as in record_filter_set). */
static const char *const filter_opt_names[] = {
	[OPT_FROM - OPT_FROM] = "from",
	[OPT_TO - OPT_FROM] = "to",
	[OPT_OPS - OPT_FROM] = "ops",
	[OPT_KEY_PREFIX_ONLY - OPT_FROM] = "key-prefix-only",
	[OPT_CONNECTIONS - OPT_FROM] = "connections",
	[OPT_SAMPLE - OPT_FROM] = "sample",
	[OPT_SAMPLE_BY - OPT_FROM] = "sample-by",
};

enum key_way { KEYS_BY_ID, KEYS_BY_BYTES_OR_ID, KEYS_STORED };

struct input {
	const char *source, *path;
	struct mb_profile_reader *r;
	const struct mb_profile_meta *meta;
	uint64_t from, to;        /* window, offsets in this input's time */
	uint64_t shift;           /* output time = time - from + shift */
	size_t block;             /* next block to decode */
	const struct mb_record *recs;
	size_t n, pos;            /* decoded block and position in it */
	struct mb_record head;    /* next kept record (output time and flags), when has_head */
	bool has_head, done;
	bool cmd_kept;            /* a record of the current command was kept */
	enum key_way keys;
};

/* (input, conn) -> dense output connection id, open addressing. */
struct conn_map {
	uint64_t *k; /* key + 1; 0 = empty */
	uint32_t *v;
	size_t cap, n;
};

static int conn_map_get(struct conn_map *m, uint64_t key, uint32_t *id)
{
	if ((m->n + 1) * 2 > m->cap) {
		size_t ncap = m->cap ? m->cap * 2 : 256;
		uint64_t *nk = calloc(ncap, sizeof(*nk));
		uint32_t *nv = calloc(ncap, sizeof(*nv));
		if (!nk || !nv) {
			free(nk);
			free(nv);
			return -ENOMEM;
		}
		for (size_t i = 0; i < m->cap; i++) {
			if (!m->k[i])
				continue;
			size_t j = (size_t)mb_mix64(m->k[i]) & (ncap - 1);
			while (nk[j])
				j = (j + 1) & (ncap - 1);
			nk[j] = m->k[i];
			nv[j] = m->v[i];
		}
		free(m->k);
		free(m->v);
		m->k = nk;
		m->v = nv;
		m->cap = ncap;
	}
	size_t j = (size_t)mb_mix64(key + 1) & (m->cap - 1);
	while (m->k[j] && m->k[j] != key + 1)
		j = (j + 1) & (m->cap - 1);
	if (!m->k[j]) {
		m->k[j] = key + 1;
		m->v[j] = (uint32_t)m->n++;
	}
	*id = m->v[j];
	return 0;
}

struct prof_run {
	struct input in[MAX_INPUTS];
	size_t nin;
	struct record_filter filter;
	bool align_start, align_given, allow_damaged;
	const char *out_path;
	struct mb_profile_meta meta;
	struct conn_map conns;
	uint64_t requests, responses, records;
	char err[1200];
	char keybuf[MB_PROFILE_MAX_KEY_LEN + MB_PROFILE_MAX_META_FLAGS]; /* key + meta flag text */
};

/* The key bytes a record has in its input (NULL when none are stored). */
static const char *input_key(const struct input *in, const struct mb_record *r, uint32_t *len)
{
	const char *b;
	*len = 0;
	if (r->key_id == MB_KEY_NONE || in->meta->key_mode == MB_KEYS_ANON ||
	    mb_profile_reader_key(in->r, r->key_id, &b, len) || *len == 0)
		return NULL;
	return b;
}

/* Finds the input's next kept record. @return 0 or a negative reader error (message in
 * run->err). */
static int input_advance(struct prof_run *run, struct input *in)
{
	in->has_head = false;
	while (!in->done) {
		if (in->pos == in->n) {
			size_t nb = mb_profile_reader_block_count(in->r);
			while (in->block < nb &&
			       mb_profile_reader_block(in->r, in->block)->first_time_ns >= in->to)
				in->block++;
			if (in->block >= nb) {
				in->done = true;
				break;
			}
			int rc = mb_profile_reader_read_block(in->r, in->block++, &in->recs, &in->n);
			if (rc) {
				snprintf(run->err, sizeof(run->err), "%s%s",
					 mb_profile_reader_errmsg(in->r), mb_profile_damage_hint(rc));
				return rc;
			}
			in->pos = 0;
			continue;
		}
		const struct mb_record *r = &in->recs[in->pos++];
		bool cont = r->rflags & MB_RF_BATCH_CONT;
		if (!cont)
			in->cmd_kept = false;
		if (r->time_ns < in->from || r->time_ns >= in->to)
			continue;
		uint32_t kl;
		const char *key = input_key(in, r, &kl);
		if (!record_filter_keep(&run->filter, r, key, kl))
			continue;
		/* sample kept keys by their bytes (the same key in every input), others by id */
		struct mb_record sr = *r;
		sr.key_id = r->key_id == MB_KEY_NONE ? r->key_id : (uint64_t)(in - run->in) << 32 |
								     r->key_id;
		bool whole = in->meta->key_mode == MB_KEYS_KEPT && key;
		if (!record_filter_sample(&run->filter, &sr, whole ? key : NULL, whole ? kl : 0))
			continue;
		in->head = *r;
		in->head.time_ns = r->time_ns - in->from + in->shift;
		if (cont && !in->cmd_kept) /* its command's first key was left out */
			in->head.rflags &= (uint8_t)~MB_RF_BATCH_CONT;
		in->cmd_kept = true;
		in->has_head = true;
		break;
	}
	return 0;
}

/* Writes the head of input i. */
static int emit_head(struct prof_run *run, struct mb_profile_writer *w, size_t i)
{
	struct input *in = &run->in[i];
	struct mb_record rec = in->head;
	uint32_t kl;
	const char *key = input_key(in, &in->recs[in->pos - 1], &kl);
	int rc = conn_map_get(&run->conns, (uint64_t)i << 32 | rec.conn_id, &rec.conn_id);
	if (rc)
		return rc;
	if (rec.key_id != MB_KEY_NONE)
		rec.key_id = (uint64_t)i << 32 | rec.key_id;
	/* A meta request's flag text (format 1.1): the reader's id means nothing to the writer,
	 * which takes the text behind the key (or stored) bytes. */
	const char *mf = NULL;
	uint32_t mfl = 0;
	if (rec.meta_flags && mb_profile_reader_meta_flags(in->r, rec.meta_flags, &mf, &mfl))
		mfl = 0;
	rec.meta_flags = mfl;
	if (mfl) {
		if (key)
			memcpy(run->keybuf, key, kl);
		memcpy(run->keybuf + (key ? kl : 0), mf, mfl);
		if (key)
			key = run->keybuf;
	}
	if (in->keys == KEYS_BY_BYTES_OR_ID && key)
		rc = mb_profile_writer_append(w, &rec, key, kl + mfl);
	else if (in->keys == KEYS_STORED)
		rc = mb_profile_writer_append_stored(w, &rec, key ? key : run->keybuf,
						     (key ? kl : 0) + mfl);
	else if (mfl) /* identified by key_id: only the flag text rides in the stored bytes */
		rc = mb_profile_writer_append_stored(w, &rec, run->keybuf, mfl);
	else
		rc = mb_profile_writer_append(w, &rec, NULL, 0);
	if (rc)
		return rc;
	run->records++;
	if (!(rec.rflags & MB_RF_BATCH_CONT)) {
		run->requests++;
		run->responses += (rec.rflags & MB_RF_HAS_RESPONSE) != 0;
	}
	return 0;
}

/* The merge loop. @return 0, or a negative error (reader message in run->err, or a writer
 * error). */
static int merge(struct prof_run *run, struct mb_profile_writer *w, int *writer_err)
{
	int rc;
	for (size_t i = 0; i < run->nin; i++)
		if ((rc = input_advance(run, &run->in[i])))
			return rc;
	for (uint64_t n = 0;; n++) {
		size_t best = run->nin;
		for (size_t i = 0; i < run->nin; i++)
			if (run->in[i].has_head &&
			    (best == run->nin || run->in[i].head.time_ns < run->in[best].head.time_ns))
				best = i;
		if (best == run->nin)
			return 0;
		if (run->filter.max_requests && run->requests >= run->filter.max_requests)
			return 0;
		struct input *in = &run->in[best];
		do {
			if ((rc = emit_head(run, w, best))) {
				*writer_err = rc;
				return rc;
			}
			if ((rc = input_advance(run, in)))
				return rc;
		} while (in->has_head && (in->head.rflags & MB_RF_BATCH_CONT));
		if ((n & 0xffff) == 0 && record_interrupted)
			return -EINTR;
	}
}

/* Opens the inputs, checks that the filters can be applied to them, and works out the time
 * placement and the output header. @return -1 to go on, or an exit code. */
static int prof_open_inputs(struct prof_run *run)
{
	char err[1200];
	bool all_wall = true;
	int kmode = MB_KEYS_KEPT;
	char delim = '\0';
	for (size_t i = 0; i < run->nin; i++) {
		struct input *in = &run->in[i];
		int rc = mb_profile_reader_open(&in->r, in->path, err, sizeof(err));
		if (rc) {
			mb_error("%s", err[0] ? err : mb_strerror(rc));
			return rc == -ENOMEM ? MB_EXIT_FAILURE : MB_EXIT_INPUT;
		}
		if (mb_profile_reader_allow_damaged(in->r, run->allow_damaged, err, sizeof(err))) {
			mb_error("%s", err);
			return MB_EXIT_INPUT;
		}
		in->meta = mb_profile_reader_meta(in->r);
		all_wall &= in->meta->start_wall_ns != 0;
		if (in->meta->key_mode < kmode)
			kmode = in->meta->key_mode;
		if (in->meta->key_mode == MB_KEYS_PREFIX) {
			if (delim && delim != in->meta->key_delim)
				kmode = MB_KEYS_ANON; /* prefixes cut at different delimiters */
			delim = in->meta->key_delim;
		}
		if (record_filter_window(&run->filter, in->meta->start_wall_ns, &in->from, &in->to)) {
			mb_error("%s has no wall-clock start time: give --from/--to as offsets (30s)",
				 in->path);
			return MB_EXIT_USAGE;
		}
		const char *pfx = run->filter.key_prefix;
		if (pfx && in->meta->key_mode == MB_KEYS_ANON) {
			mb_error("%s keeps no key bytes (recorded without --keep-keys or --key-prefix): "
				 "--key-prefix-only cannot be applied", in->path);
			return MB_EXIT_INPUT;
		}
		if (pfx && in->meta->key_mode == MB_KEYS_PREFIX) {
			const char *d = memchr(pfx, in->meta->key_delim, run->filter.key_prefix_len);
			if (d && d != pfx + run->filter.key_prefix_len - 1) {
				mb_error("%s keeps keys only up to '%c': --key-prefix-only '%s' goes past "
					 "it", in->path, in->meta->key_delim, pfx);
				return MB_EXIT_INPUT;
			}
		}
	}
	if (!run->align_given)
		run->align_start = !all_wall;
	else if (!run->align_start && !all_wall) {
		mb_error("--align wall: an input has no wall-clock start time (use --align start)");
		return MB_EXIT_USAGE;
	}
	/* Time placement: input i's window start goes to its unix time W_i; the output starts at
	 * min W_i. */
	int64_t origin = INT64_MAX;
	for (size_t i = 0; i < run->nin; i++) {
		struct input *in = &run->in[i];
		int64_t wi = run->align_start ? 0 : in->meta->start_wall_ns + (int64_t)in->from;
		if (wi < origin)
			origin = wi;
	}
	for (size_t i = 0; i < run->nin; i++) {
		struct input *in = &run->in[i];
		in->shift = run->align_start ? 0
					     : (uint64_t)(in->meta->start_wall_ns + (int64_t)in->from -
							  origin);
		in->block = mb_profile_reader_seek_time(in->r, in->from);
		in->keys = kmode == MB_KEYS_ANON				  ? KEYS_BY_ID
			   : kmode == MB_KEYS_KEPT				  ? KEYS_BY_BYTES_OR_ID
			   : in->meta->key_mode == MB_KEYS_KEPT ? KEYS_BY_BYTES_OR_ID
								: KEYS_STORED;
	}
	/* The header: the first input's, with the window's start, the weakest key mode and the
	 * inputs and filters in source/params. */
	const struct mb_profile_meta *m0 = run->in[0].meta;
	struct mb_profile_meta *m = &run->meta;
	char src[MB_META_TEXT_MAX] = "";
	for (size_t i = 0, off = 0; i < run->nin && off + 1 < sizeof(src); i++) {
		int n = snprintf(src + off, sizeof(src) - off, "%s%s", i ? " " : "",
				 run->in[i].source);
		off += n > 0 ? (size_t)n : 0;
	}
	record_meta_init(m, src);
	m->clock = m0->clock;
	m->start_wall_ns = run->align_start ? m0->start_wall_ns + (int64_t)run->in[0].from : origin;
	m->start_clock_ns = run->nin == 1 && m0->start_clock_ns ? m0->start_clock_ns +
								   run->in[0].from : 0;
	m->key_mode = (uint8_t)kmode;
	m->key_delim = kmode == MB_KEYS_PREFIX ? delim : '\0';
	m->sample_ratio = m0->sample_ratio;
	double kept = run->filter.sample_n > 1 ? 1.0 / (double)run->filter.sample_n : 1.0;
	snprintf(m->host, sizeof(m->host), "%s", m0->host);
	if (run->nin == 1)
		snprintf(m->capture, sizeof(m->capture), "%s", m0->capture);
	size_t off = (size_t)snprintf(m->params, sizeof(m->params), "align=%s",
				      run->align_start ? "start" : "wall");
	record_filter_describe(&run->filter, m->params, sizeof(m->params));
	for (size_t i = 0; i < run->nin; i++) {
		const struct mb_profile_meta *mi = run->in[i].meta;
		off = strlen(m->params);
		snprintf(m->params + off, sizeof(m->params) - off, "; %s: %s %s", run->in[i].path,
			 mi->source, mi->params);
		if (mi->max_event_bytes > m->max_event_bytes)
			m->max_event_bytes = mi->max_event_bytes;
		if (mi->sample_ratio < m->sample_ratio)
			m->sample_ratio = mi->sample_ratio;
		if (strcmp(mi->host, m->host) != 0)
			m->host[0] = '\0'; /* recorded on different hosts */
		if (mi->clock != m->clock)
			m->clock = MB_CLOCK_TRACE;
	}
	m->sample_ratio *= kept;
	return -1;
}

/* Trailer: the counters of the inputs (whole inputs: a capture's losses are not cut by the
 * filters) and the requests written. */
static void prof_stats(const struct prof_run *run, struct mb_profile_writer *w)
{
	struct mb_profile_stats st = {.requests = run->requests, .responses = run->responses};
	mb_profile_writer_add_stats(w, &st);
	for (size_t i = 0; i < run->nin; i++) {
		st = *mb_profile_reader_stats(run->in[i].r);
		st.requests = st.responses = 0;
		mb_profile_writer_add_stats(w, &st);
	}
}

static int prof_execute(struct prof_run *run)
{
	int ret = prof_open_inputs(run);
	struct mb_profile_writer *w = NULL;
	if (ret >= 0)
		goto cleanup;
	ret = MB_EXIT_OK;
	record_catch_signals();
	int rc = record_output_open(&w, run->out_path, &run->meta);
	if (rc) {
		ret = mb_exit_code_for(rc);
		goto cleanup;
	}
	int werr = 0;
	rc = merge(run, w, &werr);
	/* Stopped early by Ctrl-C/SIGTERM: the output holds a prefix. A signal that comes later,
	 * while the output is closed (compressed, converted), changes nothing written. */
	bool stopped = rc == -EINTR;
	if (rc && rc != -EINTR) {
		if (werr)
			mb_error("cannot write %s: %s", run->out_path, mb_strerror(rc));
		else
			mb_error("%s", run->err[0] ? run->err : mb_strerror(rc));
		ret = werr || rc == -ENOMEM ? MB_EXIT_FAILURE : MB_EXIT_INPUT;
		mb_profile_writer_close(w, NULL, 0);
		w = NULL;
		unlink(run->out_path);
		goto cleanup;
	}
	for (size_t i = 0; i < run->nin; i++)
		if (mb_profile_reader_damage(run->in[i].r, NULL, run->err, sizeof(run->err)))
			mb_warn("%s; copied the complete, valid blocks (%s)", run->err,
				MB_PROFILE_ALLOW_DAMAGED);
	prof_stats(run, w);
	rc = record_output_close(w, run->out_path);
	w = NULL;
	if (rc) {
		ret = mb_exit_code_for(rc);
		goto cleanup;
	}
	if (stopped) {
		mb_error("interrupted: %s holds the first %llu requests", run->out_path,
			 (unsigned long long)run->requests);
		ret = MB_EXIT_FAILURE;
	} else if (run->records == 0) {
		mb_warn("no request matched: %s is empty", run->out_path);
	}
cleanup:
	for (size_t i = 0; i < run->nin; i++)
		mb_profile_reader_close(run->in[i].r);
	free(run->conns.k);
	free(run->conns.v);
	return ret;
}

/* Parses the options and collects the profile: sources. @return -1 to go on, or an exit code. */
static int prof_parse_args(struct prof_run *run, int argc, char **argv)
{
	int c;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":o:h", long_opts, NULL)) != -1) {
		switch (c) {
		case 'o':
			run->out_path = optarg;
			break;
		case 'h':
			usage(stdout);
			return MB_EXIT_OK;
		case OPT_FROM:
		case OPT_TO:
		case OPT_OPS:
		case OPT_KEY_PREFIX_ONLY:
		case OPT_CONNECTIONS:
		case OPT_SAMPLE:
		case OPT_SAMPLE_BY:
			if (record_filter_set(&run->filter, filter_opt_names[c - OPT_FROM], optarg))
				return MB_EXIT_USAGE;
			break;
		case OPT_ALIGN:
			if (strcmp(optarg, "wall") && strcmp(optarg, "start")) {
				mb_error("bad value for --align: '%s' (expected wall or start)", optarg);
				return MB_EXIT_USAGE;
			}
			run->align_start = strcmp(optarg, "start") == 0;
			run->align_given = true;
			break;
		case OPT_ALLOW_DAMAGED:
			run->allow_damaged = true;
			break;
		case ':':
			mb_error("option %s needs a value", argv[optind - 1]);
			return MB_EXIT_USAGE;
		default:
			mb_error("unknown option '%s' for profile: (see membench record profile: --help)",
				 argv[optind - 1]);
			return MB_EXIT_USAGE;
		}
	}
	for (int i = optind; i < argc; i++) {
		if (strncmp(argv[i], PROFILE_PREFIX, strlen(PROFILE_PREFIX)) != 0) {
			mb_error("unexpected argument '%s' (several sources must all be profile:PATH)",
				 argv[i]);
			return MB_EXIT_USAGE;
		}
		if (run->nin == MAX_INPUTS) {
			mb_error("more than %d profile: inputs", MAX_INPUTS);
			return MB_EXIT_USAGE;
		}
		struct input *in = &run->in[run->nin++];
		in->source = argv[i];
		in->path = argv[i] + strlen(PROFILE_PREFIX);
		if (!*in->path) {
			mb_error("%s needs a file name: profile:PATH", argv[i]);
			return MB_EXIT_USAGE;
		}
	}
	if (!run->out_path) {
		mb_error("profile: needs an output file: give -o FILE.mbp");
		return MB_EXIT_USAGE;
	}
	if (run->filter.from.set && run->filter.to.set && !run->filter.from.wall &&
	    !run->filter.to.wall && run->filter.to.ns <= run->filter.from.ns) {
		mb_error("--to %s is not after --from %s", run->filter.to.text, run->filter.from.text);
		return MB_EXIT_USAGE;
	}
	return -1;
}

int record_profile_main(const char *source, int argc, char **argv)
{
	(void)source;
	struct prof_run *run = calloc(1, sizeof(*run));
	if (!run) {
		mb_error("out of memory");
		return MB_EXIT_FAILURE;
	}
	int ret = prof_parse_args(run, argc, argv);
	if (ret < 0)
		ret = prof_execute(run);
	free(run);
	return ret;
}
