/* Unit tests of the replayer's planning (replay/plan.c) and of its target parsing
 * (replay/target.c), through the mbreplay library: no run, no memcached.
 *
 * Each plan test writes a small profile with mb_profile_writer_* whose counts, span, connections
 * and key histories are known, and checks what rp_plan_scan derives from it: records against
 * commands (a multiget's continuation records are not commands), the time span and mean rate,
 * the --loop span, lanes (recorded connections, or --connections), protocol families, the speed
 * of --rate N, exactly which keys --warm stores, and which --warmup leaves nothing to measure. The target checks use real sockets on
 * loopback: one that listens and one that refuses.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "membench/error.h"
#include "membench/exitcode.h"
#include "membench/profile.h"
#include "options.h"
#include "plan.h"
#include "target.h"
#include "testutil.h"

#define MS 1000000ull

static char tmpdir[512];

struct prof {
	struct mb_profile_writer *w;
	char path[600];
};

static void prof_open(struct prof *p, const char *name)
{
	struct mb_profile_meta meta = {.clock = MB_CLOCK_SYNTHETIC, .key_mode = MB_KEYS_ANON,
				       .sample_ratio = 1.0, .start_wall_ns = 1700000000000000000ll};
	snprintf(meta.creator, sizeof(meta.creator), "test_plan");
	snprintf(meta.source, sizeof(meta.source), "test:%s", name);
	struct mb_profile_writer_opts opts = {.block_records = 16}; /* several blocks */
	char err[256];
	snprintf(p->path, sizeof(p->path), "%s/%s.mbp", tmpdir, name);
	if (mb_profile_writer_open(&p->w, p->path, &meta, &opts, err, sizeof(err)) != 0)
		fail_msg("writer_open: %s", err);
}

static void prof_add(struct prof *p, uint64_t t, uint32_t conn, unsigned op, unsigned proto,
		     uint64_t key, uint32_t vlen, uint8_t status, uint8_t rflags)
{
	struct mb_record r = {.time_ns = t, .key_id = key, .conn_id = conn, .key_len = 10,
			      .value_len = vlen, .op = (uint8_t)op, .proto = (uint8_t)proto,
			      .status = status, .rflags = rflags};
	assert_int_equal(mb_profile_writer_append(p->w, &r, NULL, 0), 0);
}

static void prof_close(struct prof *p)
{
	char err[256];
	if (mb_profile_writer_close(p->w, err, sizeof(err)) != 0)
		fail_msg("writer_close: %s", err);
}

static struct rp_opts opts_for(const char *profile)
{
	struct rp_opts o;
	memset(&o, 0, sizeof(o));
	o.profile = profile;
	o.rate_mode = RP_RATE_SPEED;
	o.rate = 1.0;
	o.threads = 1;
	o.depth = 64;
	o.nservers = 1;
	o.passes = 1;
	return o;
}

/* 3 recorded connections (ids 0, 2, 4 -> recorded_conns 5), 1 s to 3 s, 10 sets and one
 * 3-key get (a head and two continuation records): 13 records, 11 commands. */
static void write_counts_profile(struct prof *p)
{
	prof_open(p, "counts");
	for (unsigned i = 0; i < 10; i++)
		prof_add(p, 1000 * MS + i * 200 * MS, (i % 3) * 2, MB_OP_SET, MB_PROTO_TEXT, i, 100,
			 MB_STATUS_STORED, 0);
	prof_add(p, 3000 * MS, 4, MB_OP_GET, MB_PROTO_TEXT, 1, 100, MB_STATUS_HIT, 0);
	prof_add(p, 3000 * MS, 4, MB_OP_GET, MB_PROTO_TEXT, 2, 100, MB_STATUS_HIT, MB_RF_BATCH_CONT);
	prof_add(p, 3000 * MS, 4, MB_OP_GET, MB_PROTO_TEXT, 3, 0, MB_STATUS_MISS, MB_RF_BATCH_CONT);
	prof_close(p);
}

static void test_plan_counts_span_rate(void **state)
{
	(void)state;
	struct prof p;
	write_counts_profile(&p);
	struct rp_opts o = opts_for(p.path);
	struct rp_plan plan;
	const char *warning = "unset";
	assert_int_equal(rp_plan_scan(&o, &plan, &warning), 0);
	assert_null(warning);
	assert_int_equal(plan.records, 13);
	assert_int_equal(plan.commands, 11);
	assert_int_equal(plan.t_first, 1000 * MS);
	assert_int_equal(plan.t_last, 3000 * MS);
	assert_int_equal(plan.recorded_conns, 5);
	assert_int_equal(plan.key_mode, MB_KEYS_ANON);
	/* 13 requests (one per key; 11 commands) over 2 s: requests/s, as analyze counts (issue
	 * 15: counted in commands, a multiget-heavy profile replayed too fast at analyze's rate) */
	assert_true(plan.mean_rate > 6.4999 && plan.mean_rate < 6.5001);
	/* one iteration of --loop: the span plus one mean gap (2 s / 10) */
	assert_int_equal(plan.loop_span, 2000 * MS + 200 * MS);
	assert_true(plan.speed == 1.0);
	/* one lane per recorded connection id, one protocol family */
	assert_int_equal(plan.nlanes, 5);
	assert_int_equal(plan.nfam, 1);
	assert_int_equal(plan.warm_keys, 0); /* --warm not asked */
	rp_plan_free(&plan);
	unlink(p.path);
}

static void test_plan_lanes_and_rate_options(void **state)
{
	(void)state;
	struct prof p;
	write_counts_profile(&p);
	struct rp_opts o = opts_for(p.path);
	o.connections = 2;
	o.rate_mode = RP_RATE_OPS;
	o.rate = 65.0; /* 10 x the profile's 6.5 requests/s */
	struct rp_plan plan;
	const char *warning;
	assert_int_equal(rp_plan_scan(&o, &plan, &warning), 0);
	assert_int_equal(plan.nlanes, 2);
	assert_true(plan.speed > 9.999 && plan.speed < 10.001);
	assert_int_equal(rp_plan_fit_lanes(&o, &plan), 0);
	assert_int_equal(plan.nlanes, 2); /* --connections is kept as given */
	rp_plan_free(&plan);
	unlink(p.path);
}

/* --warmup must leave a request to measure: the counts profile's last request is due 2 s after
 * its first (one pass at 1x), 2.2 + 2 s with two passes (loop span 2.2 s), 1 s at 2x. */
static void test_plan_check_warmup(void **state)
{
	(void)state;
	struct prof p;
	write_counts_profile(&p);
	struct rp_opts o = opts_for(p.path);
	struct rp_plan plan;
	const char *warning;
	assert_int_equal(rp_plan_scan(&o, &plan, &warning), 0);
	static const struct {
		uint32_t passes;
		enum rp_rate_mode mode;
		double speed;
		uint64_t warmup_ns;
		int want;
	} cases[] = {
		{1, RP_RATE_SPEED, 1.0, 0, 0},                    /* no --warmup */
		{1, RP_RATE_SPEED, 1.0, 1999 * MS, 0},
		{1, RP_RATE_SPEED, 1.0, 2000 * MS, 0},            /* the last request is measured */
		{1, RP_RATE_SPEED, 1.0, 2001 * MS, MB_EXIT_USAGE},
		{2, RP_RATE_SPEED, 1.0, 4200 * MS, 0},
		{2, RP_RATE_SPEED, 1.0, 4201 * MS, MB_EXIT_USAGE},
		{1, RP_RATE_SPEED, 2.0, 1000 * MS, 0},            /* replay time: 2 s at 2x is 1 s */
		{1, RP_RATE_SPEED, 2.0, 1001 * MS, MB_EXIT_USAGE},
		{0, RP_RATE_SPEED, 1.0, 3600000 * MS, 0},         /* endless --loop: never too long */
		{1, RP_RATE_MAX, 1.0, 3600000 * MS, 0},           /* closed loop: no schedule */
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		o.passes = cases[i].passes;
		o.rate_mode = cases[i].mode;
		o.warmup_ns = cases[i].warmup_ns;
		plan.speed = cases[i].speed;
		if (rp_plan_check_warmup(&o, &plan) != cases[i].want)
			fail_msg("case %zu: expected %d", i, cases[i].want);
	}
	rp_plan_free(&plan);
	unlink(p.path);
}

/* More recorded connections than RP_DEFAULT_MAX_LANES fold into that many lanes. */
static void test_plan_fit_lanes_folds(void **state)
{
	(void)state;
	struct rp_opts o = opts_for("unused");
	struct rp_plan plan = {.nlanes = 2000, .nfam = 1};
	assert_int_equal(rp_plan_fit_lanes(&o, &plan), 0);
	/* the cap, or fewer when this host's file limit (raised as far as allowed) is lower */
	struct rlimit rl;
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &rl), 0);
	rlim_t want = rl.rlim_cur > 64 + RP_DEFAULT_MAX_LANES ? RP_DEFAULT_MAX_LANES : rl.rlim_cur - 64;
	assert_int_equal(plan.nlanes, want);
	struct rp_plan small = {.nlanes = 7, .nfam = 1};
	assert_int_equal(rp_plan_fit_lanes(&o, &small), 0);
	assert_int_equal(small.nlanes, 7);
}

/* Text and binary records in one profile: each lane needs a connection per protocol family. */
static void test_plan_mixed_protocols(void **state)
{
	(void)state;
	struct prof p;
	prof_open(&p, "mixed");
	prof_add(&p, 0, 0, MB_OP_GET, MB_PROTO_TEXT, 1, 0, MB_STATUS_MISS, 0);
	prof_add(&p, 1 * MS, 1, MB_OP_GET, MB_PROTO_BINARY, 2, 0, MB_STATUS_MISS, 0);
	prof_close(&p);
	struct rp_opts o = opts_for(p.path);
	struct rp_plan plan;
	const char *warning;
	assert_int_equal(rp_plan_scan(&o, &plan, &warning), 0);
	assert_int_equal(plan.nfam, 2);
	assert_int_equal(plan.nlanes, 2);
	rp_plan_free(&plan);
	unlink(p.path);
}

/* --warm stores exactly the keys whose first decisive access is a read that hit (the writer
 * turns identities 1..6 into dense ids 0..5 in first-seen order, which is what the plan holds):
 *   key 1: get hit                      -> warm, its value length 111
 *   key 2: set, then get hit            -> not warm (the replay writes it itself)
 *   key 3: get miss, then get hit       -> warm (a miss decides nothing), 333
 *   key 4: get miss, then set           -> not warm
 *   key 5: get with no status but a value (a passive capture) -> warm, 555
 *   key 6: delete, then get hit         -> not warm (a write first) */
static void test_plan_warm_keys(void **state)
{
	(void)state;
	struct prof p;
	prof_open(&p, "warm");
	uint64_t t = 0;
	prof_add(&p, t += MS, 0, MB_OP_GET, MB_PROTO_TEXT, 1, 111, MB_STATUS_HIT, 0);
	prof_add(&p, t += MS, 0, MB_OP_SET, MB_PROTO_TEXT, 2, 222, MB_STATUS_STORED, 0);
	prof_add(&p, t += MS, 0, MB_OP_GET, MB_PROTO_TEXT, 2, 222, MB_STATUS_HIT, 0);
	prof_add(&p, t += MS, 0, MB_OP_GET, MB_PROTO_TEXT, 3, 0, MB_STATUS_MISS, 0);
	prof_add(&p, t += MS, 0, MB_OP_GET, MB_PROTO_TEXT, 3, 333, MB_STATUS_HIT, 0);
	prof_add(&p, t += MS, 0, MB_OP_GET, MB_PROTO_TEXT, 4, 0, MB_STATUS_MISS, 0);
	prof_add(&p, t += MS, 0, MB_OP_SET, MB_PROTO_TEXT, 4, 444, MB_STATUS_STORED, 0);
	prof_add(&p, t += MS, 0, MB_OP_GET, MB_PROTO_TEXT, 5, 555, MB_STATUS_NONE, 0);
	prof_add(&p, t += MS, 0, MB_OP_DELETE, MB_PROTO_TEXT, 6, 0, MB_STATUS_NOT_FOUND, 0);
	prof_add(&p, t += MS, 0, MB_OP_GET, MB_PROTO_TEXT, 6, 666, MB_STATUS_HIT, 0);
	prof_close(&p);
	struct rp_opts o = opts_for(p.path);
	o.warm = true;
	struct rp_plan plan;
	const char *warning;
	assert_int_equal(rp_plan_scan(&o, &plan, &warning), 0);
	assert_int_equal(plan.warm_keys, 3);
	assert_int_equal(plan.warm_ids[0], 0);
	assert_int_equal(plan.warm_vlen[0], 111);
	assert_int_equal(plan.warm_klen[0], 10);
	assert_int_equal(plan.warm_ids[1], 2);
	assert_int_equal(plan.warm_vlen[1], 333);
	assert_int_equal(plan.warm_ids[2], 4);
	assert_int_equal(plan.warm_vlen[2], 555);
	rp_plan_free(&plan);
	unlink(p.path);
}

/* A file that is not a profile: the scan stops with the input exit code and a clear error. */
static void test_plan_not_a_profile(void **state)
{
	(void)state;
	char path[600];
	snprintf(path, sizeof(path), "%s/not-a-profile.mbp", tmpdir);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs("this is not a membench profile, just text long enough to hold a header\n", f);
	fclose(f);
	struct rp_opts o = opts_for(path);
	struct rp_plan plan;
	const char *warning;
	assert_int_equal(rp_plan_scan(&o, &plan, &warning), MB_EXIT_INPUT);
	rp_plan_free(&plan);
	unlink(path);
}

/* ---- targets --------------------------------------------------------------------------- */

static void test_server_parse(void **state)
{
	(void)state;
	struct rp_server s;
	char err[256];
	assert_int_equal(rp_server_parse(&s, "127.0.0.1:11311", err, sizeof(err)), 0);
	assert_string_equal(s.host, "127.0.0.1");
	assert_int_equal(s.port, 11311);
	assert_false(s.is_unix);
	assert_int_equal(s.addr.ss_family, AF_INET);
	assert_int_equal(ntohs(((struct sockaddr_in *)&s.addr)->sin_port), 11311);

	assert_int_equal(rp_server_parse(&s, "[::1]:9", err, sizeof(err)), 0);
	assert_string_equal(s.host, "::1");
	assert_int_equal(s.port, 9);
	assert_int_equal(s.addr.ss_family, AF_INET6);

	assert_int_equal(rp_server_parse(&s, "unix:/run/mc.sock", err, sizeof(err)), 0);
	assert_true(s.is_unix);
	assert_string_equal(s.host, "/run/mc.sock");
	assert_int_equal(s.port, 0);
	assert_int_equal(rp_server_parse(&s, "/tmp/x.sock", err, sizeof(err)), 0);
	assert_true(s.is_unix);
	assert_string_equal(s.host, "/tmp/x.sock");
	assert_string_equal(s.spec, "/tmp/x.sock");

	static const char *const bad[] = {
		"localhost", "127.0.0.1:", ":11211", "127.0.0.1:0", "127.0.0.1:65536",
		"127.0.0.1:12x", "::1:11211", "[::1]11211", "unix:",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		int rc = rp_server_parse(&s, bad[i], err, sizeof(err));
		if (rc != MB_E_USAGE)
			fail_msg("%s: expected MB_E_USAGE, got %d", bad[i], rc);
		assert_non_null(strstr(err, "--server"));
	}
}

/* One server that listens, one port that refuses: the check names the refusing one. */
static void test_check_targets(void **state)
{
	(void)state;
	int lfd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(lfd >= 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t alen = sizeof(a);
	assert_int_equal(bind(lfd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(lfd, 4), 0);
	assert_int_equal(getsockname(lfd, (struct sockaddr *)&a, &alen), 0);
	char spec[64], err[256];
	struct rp_opts o = opts_for("unused");
	snprintf(spec, sizeof(spec), "127.0.0.1:%u", (unsigned)ntohs(a.sin_port));
	assert_int_equal(rp_server_parse(&o.servers[0], spec, err, sizeof(err)), 0);
	o.nservers = 1;
	struct rp_plan plan = {0};
	struct rp_secure sec = {.tls = &o.tls, .auth = &o.auth, .connect_timeout_ns = 2000000000};
	assert_int_equal(rp_plan_check_targets(&o, &plan, &sec), 0);

	snprintf(spec, sizeof(spec), "127.0.0.1:%d", mb_test_free_port());
	assert_int_equal(rp_server_parse(&o.servers[1], spec, err, sizeof(err)), 0);
	o.nservers = 2;
	assert_int_equal(rp_plan_check_targets(&o, &plan, &sec), MB_EXIT_TARGET);
	close(lfd);
}

static int setup(void **state)
{
	(void)state;
	return mb_test_tmpdir(tmpdir, sizeof(tmpdir)) == 0 ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	mb_test_rmtree(tmpdir);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plan_counts_span_rate),
		cmocka_unit_test(test_plan_lanes_and_rate_options),
		cmocka_unit_test(test_plan_check_warmup),
		cmocka_unit_test(test_plan_fit_lanes_folds),
		cmocka_unit_test(test_plan_mixed_protocols),
		cmocka_unit_test(test_plan_warm_keys),
		cmocka_unit_test(test_plan_not_a_profile),
		cmocka_unit_test(test_server_parse),
		cmocka_unit_test(test_check_targets),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
