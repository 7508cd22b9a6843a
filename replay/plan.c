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
#include "membench/error.h"
#include "membench/exitcode.h"
#include "keys.h"
#include "plan.h"
#include "replay.h"
#include "target.h"

/* KEY_WARM: warmed, still watching for arithmetic before a write; KEY_DONE: warmed, decided */
enum { KEY_UNSEEN = 0, KEY_WARM, KEY_SKIP, KEY_DONE, KEY_NUMERIC = 0x80 };

static int grow(void **p, size_t *cap, size_t need, size_t elem)
{
	if (need <= *cap)
		return 0;
	size_t ncap = *cap ? *cap : 1024;
	while (ncap < need)
		ncap *= 2;
	void *np = realloc(*p, ncap * elem);
	if (!np)
		return -ENOMEM;
	memset((char *)np + *cap * elem, 0, (ncap - *cap) * elem);
	*p = np;
	*cap = ncap;
	return 0;
}

int rp_plan_scan(const struct rp_opts *o, struct rp_plan *p, const char **warning)
{
	static char warnbuf[600];
	char err[512];
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
	uint64_t lost = 0;
	if (mb_profile_reader_truncated(rd, &lost)) {
		snprintf(warnbuf, sizeof(warnbuf),
			 "%s is truncated (%" PRIu64 " bytes after the last complete block are lost); "
			 "replaying the complete blocks", o->profile, lost);
		*warning = warnbuf;
		mb_warn("%s", warnbuf);
	}
	buf = malloc(4096 * sizeof(*buf));
	if (!buf)
		goto oom;
	bool first = true, seen_bin = false, seen_text = false;
	for (;;) {
		long n = mb_profile_reader_read(rd, buf, 4096);
		if (n < 0) {
			snprintf(warnbuf, sizeof(warnbuf), "%s; replaying the %" PRIu64
				 " records before it", mb_profile_reader_errmsg(rd), p->records);
			*warning = warnbuf;
			mb_warn("%s", warnbuf);
			break;
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
			if (grow((void **)&kstate, &kcap, id + 1, 1) ||
			    grow((void **)&kvlen, &kcap2, id + 1, 4) ||
			    grow((void **)&kklen, &kcap3, id + 1, 4))
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
	p->speed = o->rate_mode == RP_RATE_OPS ? o->rate / p->mean_rate : o->rate;
	p->nlanes = o->connections ? o->connections : (p->recorded_conns ? p->recorded_conns : 1);
	p->nfam = seen_bin && seen_text ? 2 : 1;
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

/* ---- targets --------------------------------------------------------------------------- */

int rp_plan_check_targets(const struct rp_opts *o)
{
	for (unsigned i = 0; i < o->nservers; i++) {
		const struct rp_server *s = &o->servers[i];
		int fd = rp_server_connect(s, false);
		int e = fd < 0 ? -fd : 0;
		if (fd >= 0) {
			struct pollfd pfd = {.fd = fd, .events = POLLOUT};
			int pr = poll(&pfd, 1, 3000);
			socklen_t len = sizeof(e);
			if (pr == 0)
				e = ETIMEDOUT;
			else if (pr < 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &len) != 0)
				e = errno;
			close(fd);
		}
		if (e) {
			mb_error("cannot connect to %s: %s", s->spec, strerror(e));
			return MB_EXIT_TARGET;
		}
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

void rp_plan_warm(const struct rp_opts *o, const struct rp_plan *p, memcached_st *memc,
		  struct rp_warm_result *res)
{
	char err[512];
	struct mb_profile_reader *rd = NULL;
	char *val = NULL;
	size_t valcap = 0;
	uint64_t t = mb_mono_ns();
	*res = (struct rp_warm_result){0};
	if (mb_profile_reader_open(&rd, o->profile, err, sizeof(err)) != 0) {
		mb_warn("--warm: %s", err);
		return;
	}
	struct rp_keygen kg = {.rd = rd, .key_mode = p->key_mode, .prefix = o->key_prefix,
			       .prefix_len = o->key_prefix_len};
	char key[RP_MAX_KEY + 1];
	for (uint64_t i = 0; i < p->warm_keys; i++) {
		size_t klen = rp_key(&kg, p->warm_ids[i], p->warm_klen[i], key);
		if (p->warm_vlen[i] > RP_MAX_VALUE) {
			res->failed++;
			continue;
		}
		struct mb_record as = {.value_len = p->warm_vlen[i],
				       .rflags = p->warm_num[i] ? MB_RF_NUMERIC : 0};
		const char *v = rp_value_of(&as, &val, &valcap);
		memcached_return_t rc = v ? memcached_set(memc, key, klen, v, p->warm_vlen[i], 0, 0)
					  : MEMCACHED_MEMORY_ALLOCATION_FAILURE;
		if (rc == MEMCACHED_SUCCESS)
			res->stored++;
		else
			res->failed++;
	}
	res->seconds = (double)(mb_mono_ns() - t) / 1e9;
	free(val);
	mb_profile_reader_close(rd);
}

