/* Planning a replay before anything is sent (plan.h): one pass over the profile, fitting the
 * lanes to the file-descriptor limit, checking the servers answer, and the --warm stores.
 *
 * The pre-scan reads every record once (O(records) time; O(largest key id) memory with --warm:
 * a state byte and two lengths per key id). A key is warmed when the first thing the profile does
 * to it is a read that hit (or returned a value); a write first means the replay creates it
 * itself; a recorded miss leaves it undecided, so a later hit before any write still warms it.
 * A key whose first command is arithmetic that succeeded (incr/decr/ma ok or hit) existed and
 * held a number: it is warmed with one. A warmed key that arithmetic reaches before any other
 * write held a number too (a profile keeps no values, only this use of them): warmed as one.
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "membench/cli.h"
#include "membench/clock.h"
#include "membench/error.h"
#include "membench/array.h"
#include "membench/exitcode.h"
#include "keys.h"
#include "plan.h"
#include "replay.h"
#include "target.h"

/* KEY_WARM: warmed, still watching for arithmetic before a write; KEY_DONE: warmed, decided */
enum { KEY_UNSEEN = 0, KEY_WARM, KEY_SKIP, KEY_DONE, KEY_NUMERIC = 0x80 };

int rp_plan_scan(const struct rp_opts *o, struct rp_plan *p, const char **warning)
{
	static char warnbuf[1400];
	char err[1200];
	struct mb_profile_reader *rd = NULL;
	struct mb_record *buf = NULL;
	uint8_t *kstate = NULL;
	uint32_t *kvlen = NULL, *kklen = NULL;
	size_t kcap = 0, kcap2 = 0, kcap3 = 0;
	int ret = MB_EXIT_FAILURE;
	memset(p, 0, sizeof(*p));
	*warning = NULL;
	int rc = mb_profile_reader_open(&rd, o->profile, err, sizeof(err));
	if (rc) {
		mb_error("%s", err[0] ? err : mb_strerror(rc));
		return mb_exit_code_for(rc);
	}
	p->key_mode = mb_profile_reader_meta(rd)->key_mode;
	p->start_wall_ns = mb_profile_reader_meta(rd)->start_wall_ns;
	p->wall_minus_mono_ns = (int64_t)(mb_wall_ns() - mb_mono_ns());
	/* damaged data (profile.h): refused unless --allow-damaged, which leaves it out here and
	 * in every worker's reader alike */
	if (mb_profile_reader_allow_damaged(rd, o->allow_damaged, err, sizeof(err))) {
		mb_error("%s", err);
		ret = MB_EXIT_INPUT;
		goto cleanup;
	}
	buf = malloc(4096 * sizeof(*buf));
	if (!buf)
		goto oom;
	bool first = true, seen_bin = false, seen_text = false;
	for (;;) {
		if (rp_stop_pending()) { /* Ctrl-C while a large profile is scanned */
			ret = RP_EXIT_INTERRUPTED;
			goto cleanup;
		}
		long n = mb_profile_reader_read(rd, buf, 4096);
		if (n < 0) {
			mb_error("%s%s", mb_profile_reader_errmsg(rd), mb_profile_damage_hint((int)n));
			ret = mb_exit_code_for((int)n);
			goto cleanup;
		}
		if (n == 0)
			break;
		for (long i = 0; i < n; i++) {
			const struct mb_record *r = &buf[i];
			if (first) {
				p->t_first = p->t_last = r->time_ns;
				first = false;
			}
			if (r->time_ns > p->t_last)
				p->t_last = r->time_ns;
			if (r->conn_id >= p->recorded_conns)
				p->recorded_conns = r->conn_id + 1;
			p->records++;
			p->commands += !(r->rflags & MB_RF_BATCH_CONT);
			if (r->proto == MB_PROTO_BINARY)
				seen_bin = true;
			else
				seen_text = true;
			if (!o->warm || r->key_id == MB_KEY_NONE)
				continue;
			size_t id = (size_t)r->key_id;
			if (MB_ARRAY_RESERVE_ZERO(kstate, kcap, id + 1) ||
			    MB_ARRAY_RESERVE_ZERO(kvlen, kcap2, id + 1) ||
			    MB_ARRAY_RESERVE_ZERO(kklen, kcap3, id + 1))
				goto oom;
			bool arith = mb_op_class(r->op) == MB_OPC_ARITH;
			uint8_t st = kstate[id] & (uint8_t)~KEY_NUMERIC;
			if (st == KEY_WARM && !mb_op_is_read(r->op))
				kstate[id] = (uint8_t)(KEY_DONE | (arith ? KEY_NUMERIC : 0));
			if (st != KEY_UNSEEN)
				continue;
			bool hit = r->status == MB_STATUS_HIT ||
				   (r->status == MB_STATUS_NONE && r->value_len > 0);
			bool arith_ok = arith && (r->status == MB_STATUS_OK || r->status == MB_STATUS_HIT);
			if ((mb_op_is_read(r->op) && hit) || arith_ok) {
				kstate[id] = arith_ok ? KEY_DONE | KEY_NUMERIC : KEY_WARM;
				kvlen[id] = arith_ok ? 1 : r->value_len;
				kklen[id] = r->key_len;
				p->warm_keys++;
			} else if (!mb_op_is_read(r->op)) {
				kstate[id] = KEY_SKIP;
			}
			/* a recorded miss leaves the key unseen: a later hit before any write warms it */
		}
	}
	if (p->warm_keys) {
		p->warm_ids = malloc(p->warm_keys * sizeof(*p->warm_ids));
		p->warm_klen = malloc(p->warm_keys * sizeof(*p->warm_klen));
		p->warm_vlen = malloc(p->warm_keys * sizeof(*p->warm_vlen));
		p->warm_num = malloc(p->warm_keys);
		if (!p->warm_ids || !p->warm_klen || !p->warm_vlen || !p->warm_num)
			goto oom;
		uint64_t k = 0;
		for (size_t id = 0; id < kcap; id++) {
			uint8_t st = kstate[id] & (uint8_t)~KEY_NUMERIC;
			if (st == KEY_WARM || st == KEY_DONE) {
				p->warm_ids[k] = id;
				p->warm_klen[k] = kklen[id];
				p->warm_vlen[k] = kvlen[id];
				p->warm_num[k] = (kstate[id] & KEY_NUMERIC) != 0;
				k++;
			}
		}
	}
	uint64_t span = p->t_last - p->t_first;
	double span_s = (double)(span ? span : 1000000) / 1e9;
	p->mean_rate = (double)p->records / span_s; /* requests (keys) per second, as analyze */
	p->loop_span = span + (p->commands > 1 ? span / (p->commands - 1) : 1000000);
	if (p->loop_span == 0)
		p->loop_span = 1000000;
	/* --rate N means the whole traffic's rate: a sample (record --sample f) is played at N * f */
	double f = mb_profile_reader_meta(rd)->sample_ratio;
	p->speed = o->rate_mode == RP_RATE_OPS ? o->rate * (f > 0 ? f : 1) / p->mean_rate : o->rate;
	p->nlanes = o->connections ? o->connections : (p->recorded_conns ? p->recorded_conns : 1);
	p->nfam = seen_bin && seen_text ? 2 : 1;
	p->binary = seen_bin && !seen_text;
	if (mb_profile_reader_damage(rd, NULL, err, sizeof(err))) {
		snprintf(warnbuf, sizeof(warnbuf), "%s; replaying the complete, valid blocks "
			 "(" MB_PROFILE_ALLOW_DAMAGED ")", err);
		*warning = warnbuf;
		mb_warn("%s", warnbuf);
	}
	ret = 0;
	goto cleanup;
oom:
	mb_error("out of memory");
	ret = MB_EXIT_FAILURE;
cleanup:
	free(buf);
	free(kstate);
	free(kvlen);
	free(kklen);
	mb_profile_reader_close(rd);
	return ret;
}

void rp_plan_free(struct rp_plan *p)
{
	free(p->warm_ids);
	free(p->warm_klen);
	free(p->warm_vlen);
	free(p->warm_num);
}

int rp_plan_check_warmup(const struct rp_opts *o, const struct rp_plan *p)
{
	if (!o->warmup_ns || o->rate_mode == RP_RATE_MAX || o->passes == 0)
		return 0; /* closed loop, or endless: as long as it is let run */
	/* the last request of the last pass is due at (passes - 1) loop spans + the span */
	double last = ((double)(o->passes - 1) * (double)p->loop_span +
		       (double)(p->t_last - p->t_first)) / p->speed;
	if ((double)o->warmup_ns <= last)
		return 0;
	mb_error("--warmup %.3f s: the replay's last request is due %.3f s after its first (%u "
		 "pass%s at %.4gx): nothing would be measured (see --help)",
		 (double)o->warmup_ns / 1e9, last / 1e9, o->passes, o->passes == 1 ? "" : "es",
		 p->speed);
	return MB_EXIT_USAGE;
}

/* ---- targets --------------------------------------------------------------------------- */

int rp_plan_check_targets(const struct rp_opts *o, const struct rp_plan *p,
			  const struct rp_secure *sec)
{
	char err[512];
	struct rp_setup s[RP_MAX_SERVERS];
	int rc = 0;
	unsigned started = 0;
	for (; rc == 0 && started < o->nservers; started++) {
		rc = rp_setup_start(&s[started], &o->servers[started], sec, p->binary, NULL, err,
				    sizeof(err));
		s[started].probe = sec->ctx != NULL; /* TLS 1.3 refuses a client cert after it */
		rc = rc > 0 ? 0 : rc;
	}
	if (rc == 0)
		rc = rp_setup_wait(s, o->nservers, err, sizeof(err));
	for (unsigned i = 0; i < started; i++)
		rp_setup_abort(&s[i]); /* a check only: closed either way */
	if (rc == -EINTR)
		return RP_EXIT_INTERRUPTED;
	if (rc) {
		mb_error("%s", err);
		return rc == MB_E_CONNECT ? MB_EXIT_TARGET : MB_EXIT_FAILURE;
	}
	return 0;
}

int rp_plan_fit_lanes(const struct rp_opts *o, struct rp_plan *p)
{
	struct rlimit rl;
	size_t per_lane = (size_t)o->nservers * p->nfam;
	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return 0;
	size_t need = (size_t)p->nlanes * per_lane + 64;
	if (rl.rlim_cur < need) {
		rl.rlim_cur = rl.rlim_max < need ? rl.rlim_max : need;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	size_t fit = rl.rlim_cur > 64 + per_lane ? (rl.rlim_cur - 64) / per_lane : 1;
	if (o->connections) {
		if (o->connections > fit) {
			mb_error("--connections %u needs %zu file descriptors; the limit is %llu",
				 o->connections, (size_t)o->connections * per_lane + 64,
				 (unsigned long long)rl.rlim_cur);
			return MB_EXIT_USAGE;
		}
		return 0;
	}
	if (fit > RP_DEFAULT_MAX_LANES)
		fit = RP_DEFAULT_MAX_LANES;
	if (p->nlanes > fit) {
		mb_warn("%u recorded connections are folded into %zu connections per server (use "
			"--connections N to choose)", p->nlanes, fit);
		p->nlanes = (unsigned)fit;
	}
	return 0;
}

/* Stores one server's pending batch. @return 0, or -EINTR/MB_E_CONNECT/-ENOMEM (reported). */
static int warm_flush(struct rp_ctl *ctl, struct rp_warm_batch *b, struct rp_warm_result *res)
{
	char err[512];
	if (rp_stop_pending()) {
		res->failed += b->n;
		b->n = 0;
		return -EINTR;
	}
	long k = b->n ? rp_ctl_store(ctl, b->kptr, b->klen, b->vptr, b->vlen, b->n, err,
				     sizeof(err))
		      : 0;
	if (k < 0) {
		if (k != -EINTR)
			mb_warn("--warm: %s", err);
		res->failed += b->n;
		b->n = 0;
		return (int)k;
	}
	res->stored += (uint64_t)k;
	res->failed += b->n - (size_t)k;
	b->n = 0;
	return 0;
}

void rp_plan_warm(const struct rp_opts *o, const struct rp_plan *p, memcached_st *memc,
		  struct rp_ctl *ctls, struct rp_warm_result *res)
{
	char err[512];
	struct mb_profile_reader *rd = NULL;
	char *val = NULL;
	size_t valcap = 0;
	uint64_t t = mb_mono_ns();
	struct rp_warm_batch *batch = calloc(o->nservers, sizeof(*batch));
	*res = (struct rp_warm_result){0};
	if (!batch) {
		mb_warn("--warm: out of memory");
		return;
	}
	if (mb_profile_reader_open(&rd, o->profile, err, sizeof(err)) != 0) {
		mb_warn("--warm: %s", err);
		free(batch);
		return;
	}
	uint32_t maxv = 0;
	for (uint64_t i = 0; i < p->warm_keys; i++)
		if (p->warm_vlen[i] <= RP_MAX_VALUE && p->warm_vlen[i] > maxv)
			maxv = p->warm_vlen[i];
	const char *v = rp_value(&val, &valcap, maxv);
	struct rp_keygen kg = {.rd = rd, .key_mode = p->key_mode, .prefix = o->key_prefix,
			       .prefix_len = o->key_prefix_len};
	int rc = v ? 0 : -ENOMEM;
	for (uint64_t i = 0; i < p->warm_keys && rc == 0; i++) {
		char key[RP_MAX_KEY + 1];
		size_t klen = rp_key(&kg, p->warm_ids[i], p->warm_klen[i], key);
		if (p->warm_vlen[i] > RP_MAX_VALUE) {
			res->failed++;
			continue;
		}
		struct rp_warm_batch *b = &batch[rp_memc_server(memc, o->nservers, key, klen)];
		struct mb_record as = {.value_len = p->warm_vlen[i],
				       .rflags = p->warm_num[i] ? MB_RF_NUMERIC : 0};
		memcpy(b->keys[b->n], key, klen);
		b->kptr[b->n] = b->keys[b->n];
		b->klen[b->n] = (uint32_t)klen;
		/* a number where production stored one, else the pattern (v is long enough) */
		b->vptr[b->n] = (as.rflags & MB_RF_NUMERIC) ? rp_value_of(&as, &val, &valcap) : v;
		b->vlen[b->n++] = p->warm_vlen[i];
		if (b->n == RP_WARM_BATCH)
			rc = warm_flush(&ctls[b - batch], b, res);
	}
	for (unsigned s = 0; s < o->nservers && rc == 0; s++)
		rc = warm_flush(&ctls[s], &batch[s], res);
	if (rc == -ENOMEM)
		mb_warn("--warm: out of memory");
	res->seconds = (double)(mb_mono_ns() - t) / 1e9;
	res->interrupted = rc == -EINTR;
	free(val);
	free(batch);
	mb_profile_reader_close(rd);
}
