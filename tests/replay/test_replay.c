/* Integration tests for membench-replay against real memcached servers on loopback.
 *
 * Each test writes a profile with exact known content through mb_profile_writer_*, runs the
 * built binary ($MB_BINARY_DIR/bin/membench-replay) with --json, and checks the JSON figures
 * against the profile and against memcached's own counters (`stats` before/after, read here over
 * a plain socket). Placement across two servers is checked against libmemcached's ketama,
 * computed here independently for every key. Runs are short (<= ~3 s each) so the suite stays well under
 * its budget under sanitizers.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <libmemcached/memcached.h>

#include "membench/cli.h"
#include "membench/clock.h"
#include "membench/profile.h"
#include "testutil.h"

#define MS 1000000ull

static char tmpdir[512];
static char replay_bin[1024];

/* ---- helpers --------------------------------------------------------------------------- */

struct prof {
	struct mb_profile_writer *w;
	char path[600];
};

static void prof_open(struct prof *p, const char *name, enum mb_key_mode mode)
{
	struct mb_profile_meta meta = {.clock = MB_CLOCK_SYNTHETIC, .key_mode = (uint8_t)mode,
				       .sample_ratio = 1.0, .start_wall_ns = 1700000000000000000ll};
	snprintf(meta.creator, sizeof(meta.creator), "test_replay");
	snprintf(meta.source, sizeof(meta.source), "test:%s", name);
	struct mb_profile_writer_opts opts = {.block_records = 256};
	char err[256];
	snprintf(p->path, sizeof(p->path), "%s/%s.mbp", tmpdir, name);
	int rc = mb_profile_writer_open(&p->w, p->path, &meta, &opts, err, sizeof(err));
	if (rc)
		fail_msg("writer_open: %s", err);
}

static void prof_add(struct prof *p, uint64_t t, uint32_t conn, unsigned op, uint64_t key,
		     uint32_t klen, uint32_t vlen, uint8_t status, uint8_t rflags)
{
	struct mb_record r = {.time_ns = t, .key_id = key, .conn_id = conn, .key_len = klen,
			      .value_len = vlen, .op = (uint8_t)op, .proto = MB_PROTO_TEXT,
			      .status = status, .rflags = rflags};
	assert_int_equal(mb_profile_writer_append(p->w, &r, NULL, 0), 0);
}

static void prof_add_key(struct prof *p, uint64_t t, uint32_t conn, unsigned op, const char *key,
			 uint32_t vlen)
{
	struct mb_record r = {.time_ns = t, .conn_id = conn, .key_len = (uint32_t)strlen(key),
			      .value_len = vlen, .op = (uint8_t)op, .proto = MB_PROTO_TEXT};
	assert_int_equal(mb_profile_writer_append(p->w, &r, key, strlen(key)), 0);
}

static void prof_close(struct prof *p)
{
	char err[256];
	if (mb_profile_writer_close(p->w, err, sizeof(err)) != 0)
		fail_msg("writer_close: %s", err);
}

/* Runs membench-replay with a NULL-terminated argument list; stdout/stderr go to files in
 * tmpdir. @return the exit status (or 128 + signal). */
static int run_replay_argv(char *const argv[])
{
	char out[700], errp[700];
	snprintf(out, sizeof(out), "%s/stdout", tmpdir);
	snprintf(errp, sizeof(errp), "%s/stderr", tmpdir);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int fo = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		int fe = open(errp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (fo >= 0)
			dup2(fo, STDOUT_FILENO);
		if (fe >= 0)
			dup2(fe, STDERR_FILENO);
		execv(replay_bin, argv);
		_exit(127);
	}
	int st;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

#define MAXARG 40
struct args {
	char *v[MAXARG];
	char store[MAXARG][700];
	int n;
};

static void args_add(struct args *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void args_add(struct args *a, const char *fmt, ...)
{
	assert_true(a->n < MAXARG - 1);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(a->store[a->n], sizeof(a->store[a->n]), fmt, ap);
	va_end(ap);
	a->v[a->n] = a->store[a->n];
	a->v[++a->n] = NULL;
}

static void args_base(struct args *a, const char *profile, int port)
{
	a->n = 0;
	args_add(a, "membench-replay");
	args_add(a, "%s", profile);
	args_add(a, "--server");
	args_add(a, "127.0.0.1:%d", port);
	args_add(a, "--json");
	args_add(a, "%s/run.json", tmpdir);
	args_add(a, "--quiet");
}

/* args_base, then the NULL-terminated words that follow (flags and their values). */
static void args_with(struct args *a, const char *profile, int port, ...)
{
	args_base(a, profile, port);
	va_list ap;
	va_start(ap, port);
	for (const char *w; (w = va_arg(ap, const char *));)
		args_add(a, "%s", w);
	va_end(ap);
}

static char *slurp(const char *name)
{
	char path[700];
	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	FILE *f = fopen(path, "r");
	if (!f)
		return strdup("");
	static char buf[1 << 20];
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return strdup(buf);
}

static void dump_output(void)
{
	char *e = slurp("stderr"), *o = slurp("stdout");
	fprintf(stderr, "--- replay stdout\n%s--- replay stderr\n%s---\n", o, e);
	free(e);
	free(o);
}

/* First number after `"name": ` in run.json, past `after` if given (top-level names come
 * before nested ones). */
/* Runs the replay of a and asserts it succeeded (printing its output when not). */
static void replay_ok(struct args *a)
{
	int rc = run_replay_argv(a->v);
	if (rc != 0)
		dump_output();
	assert_int_equal(rc, 0);
}

static double json_num_in(const char *after, const char *name)
{
	char *j = slurp("run.json");
	char pat[128];
	snprintf(pat, sizeof(pat), "\"%s\": ", name);
	const char *from = after ? strstr(j, after) : j;
	const char *p = from ? strstr(from, pat) : NULL;
	if (!p) {
		fprintf(stderr, "no %s in run.json:\n%s\n", name, j);
		free(j);
		fail();
	}
	double v = strtod(p + strlen(pat), NULL);
	free(j);
	return v;
}

static double json_num(const char *name)
{
	return json_num_in(NULL, name);
}

/* memcached counters through libmemcached */
struct mcstat {
	uint64_t cmd_get, get_hits, get_misses, cmd_set, total_connections, delete_hits,
		delete_misses;
};

/* One counter from a `stats` text (0 when absent). */
static uint64_t stat_val(const char *text, const char *name)
{
	char pat[64];
	snprintf(pat, sizeof(pat), "STAT %s ", name);
	const char *p = strstr(text, pat);
	return p ? strtoull(p + strlen(pat), NULL, 10) : 0;
}

/* memcached's counters over a plain socket (libmemcached's stat API knows only some names).
 * This connection counts in total_connections itself. */
static struct mcstat mc_stats(int port)
{
	struct mcstat s = {0};
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_true(write(fd, "stats\r\n", 7) == 7);
	static char buf[65536];
	size_t n = 0;
	while (n < sizeof(buf) - 1) {
		ssize_t k = read(fd, buf + n, sizeof(buf) - 1 - n);
		assert_true(k > 0);
		n += (size_t)k;
		buf[n] = '\0';
		if (n >= 5 && strcmp(buf + n - 5, "END\r\n") == 0)
			break;
	}
	close(fd);
	s.cmd_get = stat_val(buf, "cmd_get");
	s.get_hits = stat_val(buf, "get_hits");
	s.get_misses = stat_val(buf, "get_misses");
	s.cmd_set = stat_val(buf, "cmd_set");
	s.total_connections = stat_val(buf, "total_connections");
	s.delete_hits = stat_val(buf, "delete_hits");
	s.delete_misses = stat_val(buf, "delete_misses");
	return s;
}

/* Waits (up to 10 s) until the server counted `n` more gets (or sets) than `base`: the replayer
 * under test is then really running, however slowly this machine started it. */
static void wait_progress(int port, bool sets, uint64_t base, uint64_t n)
{
	for (int i = 0; i < 1000; i++) {
		struct mcstat st = mc_stats(port);
		if ((sets ? st.cmd_set : st.cmd_get) >= base + n)
			return;
		struct timespec ts = {0, 10 * 1000 * 1000};
		nanosleep(&ts, NULL);
	}
	fail_msg("the replayer made no progress within 10 s");
}

/* Servers of the current test; teardown stops them even when an assertion failed (a leaked
 * memcached would hold ctest's output pipe open). */
static struct mb_test_memcached mc, mc2, victim;
static pid_t restarted;

static int setup(void **state)
{
	(void)state;
	int rc = mb_test_memcached_start(&mc, "-m 64");
	if (rc == MB_TEST_SKIP)
		skip();
	assert_int_equal(rc, 0);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	mb_test_memcached_stop(&mc);
	mb_test_memcached_stop(&mc2);
	mb_test_memcached_stop(&victim);
	if (restarted > 0) {
		kill(restarted, SIGTERM);
		waitpid(restarted, NULL, 0);
		restarted = 0;
	}
	return 0;
}

/* ---- tests ----------------------------------------------------------------------------- */

/* Every recorded command is sent once; memcached's counters move by exactly what the profile
 * holds (sets, gets incl. multi-key batches, deletes), and the replayer's hit counts agree with
 * the server's. */
static void test_counts_match(void **state)
{
	(void)state;
	struct prof p;
	prof_open(&p, "counts", MB_KEYS_ANON);
	uint64_t t = 0, sets = 0, getcmds = 0, getkeys = 0, dels = 0;
	for (int i = 0; i < 400; i++, t += MS / 2) {
		uint32_t conn = (uint32_t)(i % 4);
		uint64_t key = (uint64_t)(i % 97);
		switch (i % 5) {
		case 0:
		case 1:
			prof_add(&p, t, conn, MB_OP_SET, key, 16, 100 + (uint32_t)i, MB_STATUS_STORED, 0);
			sets++;
			break;
		case 2:
			prof_add(&p, t, conn, MB_OP_GET, key, 16, 0, MB_STATUS_NONE, 0);
			getcmds++, getkeys++;
			break;
		case 3: /* a 3-key multiget */
			prof_add(&p, t, conn, MB_OP_GET, key, 16, 0, MB_STATUS_NONE, 0);
			prof_add(&p, t, conn, MB_OP_GET, key + 1, 16, 0, MB_STATUS_NONE, MB_RF_BATCH_CONT);
			prof_add(&p, t, conn, MB_OP_GET, key + 2, 16, 0, MB_STATUS_NONE, MB_RF_BATCH_CONT);
			getcmds++, getkeys += 3;
			break;
		default:
			prof_add(&p, t, conn, MB_OP_DELETE, key + 50, 16, 0, MB_STATUS_NONE, 0);
			dels++;
			break;
		}
	}
	prof_close(&p);
	struct mcstat before = mc_stats(mc.port);
	struct args a;
	args_base(&a, p.path, mc.port);
	args_add(&a, "--rate");
	args_add(&a, "4x");
	int rc = run_replay_argv(a.v);
	if (rc != 0)
		dump_output();
	assert_int_equal(rc, 0);
	struct mcstat after = mc_stats(mc.port);
	uint64_t cmds = sets + getcmds + dels;
	assert_true(json_num("commands_sent") == (double)cmds);
	assert_true(json_num("requests_sent") == (double)(sets + getkeys + dels));
	assert_true(json_num("responses") == (double)cmds);
	assert_true(json_num("total") == 0); /* errors.total */
	assert_true(after.cmd_set - before.cmd_set == sets);
	assert_true(after.cmd_get - before.cmd_get == getkeys);
	assert_true((after.delete_hits + after.delete_misses) -
			    (before.delete_hits + before.delete_misses) == dels);
	assert_true(after.total_connections - before.total_connections >= 4);
	/* the replayer's per-key hit count is the server's */
	char *j = slurp("run.json");
	const char *g = strstr(j, "\"get\": {");
	assert_non_null(g);
	const char *h = strstr(g, "\"hit\": ");
	uint64_t hits = h ? strtoull(h + 7, NULL, 10) : 0;
	free(j);
	assert_true(hits == after.get_hits - before.get_hits);
	assert_true(after.get_hits - before.get_hits > 0);
}

/* Server-wide commands (MB_OPF_ADMIN in the facts table) are not replayed: stats, verbosity,
 * flush_all and unknown commands are counted as skipped, version is sent as recorded, and a
 * flush_all is sent only with --allow-flush (the key stored before it is then gone). */
static void test_server_wide_commands_skipped(void **state)
{
	(void)state;
	struct prof p;
	prof_open(&p, "serverwide", MB_KEYS_KEPT);
	uint64_t t = 0;
	prof_add_key(&p, t += MS, 0, MB_OP_SET, "sw:key", 10);
	static const unsigned admin[] = {MB_OP_STATS, MB_OP_VERSION, MB_OP_VERBOSITY,
					 MB_OP_FLUSH_ALL, MB_OP_OTHER};
	for (size_t i = 0; i < sizeof(admin) / sizeof(admin[0]); i++)
		prof_add(&p, t += MS, 0, admin[i], MB_KEY_NONE, 0, 0, MB_STATUS_NONE, 0);
	prof_add_key(&p, t += MS, 0, MB_OP_GET, "sw:key", 0);
	prof_close(&p);
	for (int allow = 0; allow <= 1; allow++) {
		struct mcstat before = mc_stats(mc.port);
		struct args a;
		args_base(&a, p.path, mc.port);
		if (allow)
			args_add(&a, "--allow-flush");
		replay_ok(&a);
		struct mcstat after = mc_stats(mc.port);
		/* set, version, get (and flush_all when allowed) */
		assert_true(json_num("commands_sent") == 3 + allow);
		assert_true(json_num("skipped_commands") == 4 - allow);
		assert_true(json_num("total") == 0); /* errors.total */
		assert_true(after.cmd_set - before.cmd_set == 1);
		assert_true(after.get_hits - before.get_hits == (uint64_t)!allow);
		assert_true(after.get_misses - before.get_misses == (uint64_t)allow);
	}
}

/* Text, meta and binary connections in one profile: each is replayed in its own protocol
 * (binary on connections of its own), every command is answered without errors, and the
 * per-command statuses are the ones the sequence implies: set K, get K (hit), delete K, get K
 * (miss) on every connection. */
static void test_protocols(void **state)
{
	(void)state;
	static const struct {
		uint8_t proto, set, get, del;
	} fam[] = {
		{MB_PROTO_TEXT, MB_OP_SET, MB_OP_GET, MB_OP_DELETE},
		{MB_PROTO_META, MB_OP_MS, MB_OP_MG, MB_OP_MD},
		{MB_PROTO_BINARY, MB_OP_SET, MB_OP_GET, MB_OP_DELETE},
	};
	struct prof p;
	prof_open(&p, "protocols", MB_KEYS_ANON);
	uint64_t t = 0;
	for (int i = 0; i < 20; i++) {
		for (unsigned f = 0; f < 3; f++) {
			uint64_t key = (uint64_t)(i * 3 + (int)f);
			uint8_t ops[4] = {fam[f].set, fam[f].get, fam[f].del, fam[f].get};
			for (int k = 0; k < 4; k++, t += MS / 4) {
				struct mb_record r = {.time_ns = t, .key_id = key, .conn_id = f,
						      .key_len = 12, .value_len = k == 0 ? 50 : 0,
						      .op = ops[k], .proto = fam[f].proto};
				assert_int_equal(mb_profile_writer_append(p.w, &r, NULL, 0), 0);
			}
		}
	}
	prof_close(&p);
	struct mcstat before = mc_stats(mc.port);
	struct args a;
	args_base(&a, p.path, mc.port);
	int rc = run_replay_argv(a.v);
	if (rc != 0)
		dump_output();
	assert_int_equal(rc, 0);
	struct mcstat after = mc_stats(mc.port);
	assert_true(json_num("requests_sent") == 240);
	assert_true(json_num("responses") == 240);
	assert_true(json_num("total") == 0);
	/* text and binary get/set share the op names; meta ones are their own */
	assert_true(json_num_in("\"get\": {", "hit") == 40);
	assert_true(json_num_in("\"get\": {", "miss") == 40);
	assert_true(json_num_in("\"mg\": {", "hit") == 20);
	assert_true(json_num_in("\"mg\": {", "miss") == 20);
	assert_true(json_num_in("\"set\": {", "stored") == 40);
	assert_true(json_num_in("\"ms\": {", "stored") == 20);
	assert_true(json_num_in("\"md\": {", "deleted") == 20);
	assert_true(after.get_hits - before.get_hits == 60);
	assert_true(after.get_misses - before.get_misses == 60);
	assert_true(after.delete_hits - before.delete_hits == 60);
	assert_true(after.cmd_set - before.cmd_set == 60);
}

/* Error responses are counted per kind and the run goes on: incr of a non-numeric value is a
 * CLIENT_ERROR, a 2 MiB value (over memcached's 1 MiB item limit) a SERVER_ERROR. */
static void test_error_kinds(void **state)
{
	(void)state;
	struct prof p;
	prof_open(&p, "errors", MB_KEYS_ANON);
	prof_add(&p, 0, 0, MB_OP_SET, 1, 10, 10, MB_STATUS_NONE, 0);
	prof_add(&p, MS, 0, MB_OP_INCR, 1, 10, 0, MB_STATUS_NONE, 0);
	prof_add(&p, 2 * MS, 0, MB_OP_SET, 2, 10, 2u << 20, MB_STATUS_NONE, 0);
	prof_add(&p, 3 * MS, 0, MB_OP_GET, 1, 10, 0, MB_STATUS_NONE, 0);
	prof_close(&p);
	struct args a;
	args_base(&a, p.path, mc.port);
	int rc = run_replay_argv(a.v);
	if (rc != 0)
		dump_output();
	assert_int_equal(rc, 0);
	assert_true(json_num("requests_sent") == 4);
	assert_true(json_num("responses") == 4);
	assert_true(json_num("client_error") == 1);
	assert_true(json_num("server_error") + json_num("out_of_memory") == 1);
	assert_true(json_num("total") == 2);
	assert_true(json_num_in("\"get\": {", "hit") == 1);
}

/* Format 1.1's numeric values: a set recorded as a decimal number is replayed as one, so the
 * incr/decr/ma after it succeed; a non-numeric set stays a pattern (its incr fails, as it would
 * have in production). --warm stores numbers for keys that arithmetic reaches first or right
 * after a read hit. */
static void test_numeric_counters(void **state)
{
	(void)state;
	struct prof p;
	prof_open(&p, "numeric", MB_KEYS_ANON);
	uint64_t t = 0;
	prof_add(&p, t += MS, 0, MB_OP_SET, 1, 10, 5, MB_STATUS_STORED, MB_RF_NUMERIC);
	prof_add(&p, t += MS, 0, MB_OP_INCR, 1, 10, 0, MB_STATUS_OK, 0);
	prof_add(&p, t += MS, 0, MB_OP_DECR, 1, 10, 0, MB_STATUS_OK, 0);
	struct mb_record ma = {.time_ns = t += MS, .key_id = 1, .key_len = 10, .op = MB_OP_MA,
			       .proto = MB_PROTO_META, .status = MB_STATUS_OK};
	assert_int_equal(mb_profile_writer_append(p.w, &ma, NULL, 0), 0);
	prof_add(&p, t += MS, 0, MB_OP_SET, 2, 10, 20, MB_STATUS_STORED, MB_RF_NUMERIC);
	prof_add(&p, t += MS, 0, MB_OP_INCR, 2, 10, 0, MB_STATUS_OK, 0);
	prof_add(&p, t += MS, 0, MB_OP_SET, 3, 10, 5, MB_STATUS_STORED, 0);
	prof_add(&p, t += MS, 0, MB_OP_INCR, 3, 10, 0, MB_STATUS_CLIENT_ERROR, 0);
	prof_add(&p, t += MS, 0, MB_OP_INCR, 4, 10, 0, MB_STATUS_OK, 0);  /* --warm: a number */
	prof_add(&p, t += MS, 0, MB_OP_GET, 5, 10, 3, MB_STATUS_HIT, 0);  /* --warm: a number, */
	prof_add(&p, t += MS, 0, MB_OP_DECR, 5, 10, 0, MB_STATUS_OK, 0);  /* as decr comes next */
	prof_close(&p);
	for (int warm = 0; warm < 2; warm++) {
		struct args a;
		args_base(&a, p.path, mc.port);
		args_add(&a, "--key-prefix");
		args_add(&a, warm ? "numw:" : "num:");
		if (warm)
			args_add(&a, "--warm");
		replay_ok(&a);
		if (json_num("client_error") != 1)
			dump_output();
		assert_true(json_num("client_error") == 1); /* key 3 only */
		assert_true(json_num_in("\"incr\": {", warm ? "ok" : "not_found") == (warm ? 3 : 1));
		assert_true(json_num_in("\"ma\": {", "ok") == 1);
		if (warm)
			assert_true(json_num_in("\"warm\": {", "stored") == 2);
	}
}

/* Absolute exptimes (a unix time, > 30 days) name an instant of the recording (2023 here):
 * sent as recorded they would have passed, and every item would be a miss. Mapped to the
 * replay, the item set to expire an hour after the recording's first request is a hit (touched
 * and read by gat with absolute times too), the one already expired when recorded a miss. */
static void test_absolute_exptime(void **state)
{
	(void)state;
	struct prof p;
	prof_open(&p, "abs_exptime", MB_KEYS_ANON);
	const int32_t rec_s = 1700000000; /* prof_open's start_wall_ns */
	const struct mb_record rs[] = {
		{.time_ns = MS, .key_id = 1, .key_len = 10, .value_len = 5, .op = MB_OP_SET,
		 .ttl = rec_s + 3600, .status = MB_STATUS_STORED},
		{.time_ns = 2 * MS, .key_id = 2, .key_len = 10, .value_len = 5, .op = MB_OP_SET,
		 .ttl = rec_s - 10, .status = MB_STATUS_STORED},
		{.time_ns = 3 * MS, .key_id = 1, .key_len = 10, .op = MB_OP_TOUCH,
		 .ttl = rec_s + 7200, .status = MB_STATUS_TOUCHED},
		{.time_ns = 4 * MS, .key_id = 1, .key_len = 10, .value_len = 5, .op = MB_OP_GAT,
		 .ttl = rec_s + 7200, .status = MB_STATUS_HIT},
		{.time_ns = 5 * MS, .key_id = 1, .key_len = 10, .value_len = 5, .op = MB_OP_GET,
		 .status = MB_STATUS_HIT},
		{.time_ns = 6 * MS, .key_id = 2, .key_len = 10, .op = MB_OP_GET,
		 .status = MB_STATUS_MISS},
	};
	for (size_t i = 0; i < sizeof(rs) / sizeof(rs[0]); i++)
		assert_int_equal(mb_profile_writer_append(p.w, &rs[i], NULL, 0), 0);
	prof_close(&p);
	struct args a;
	args_base(&a, p.path, mc.port);
	replay_ok(&a);
	if (json_num_in("\"get\": {", "hit") != 1)
		dump_output();
	assert_true(json_num_in("\"get\": {", "hit") == 1);
	assert_true(json_num_in("\"get\": {", "miss") == 1);
	assert_true(json_num_in("\"touch\": {", "touched") == 1);
	assert_true(json_num_in("\"gat\": {", "hit") == 1);
}

/* cas is sent with the unique the target returned to the latest gets of the key on the lane
 * (text and binary), so what production stored is stored again; a recorded exists (a race in
 * production) is reproduced; the report counts outcomes that differ from the recorded ones. */
static void test_cas_uniques(void **state)
{
	(void)state;
	struct prof p;
	prof_open(&p, "cas", MB_KEYS_ANON);
	uint64_t t = 0;
	for (uint8_t proto = MB_PROTO_TEXT; proto <= MB_PROTO_BINARY; proto += 2) {
		uint64_t k = proto + 1;
		const struct mb_record rs[] = {
			{.key_id = k, .op = MB_OP_SET, .status = MB_STATUS_STORED},
			{.key_id = k, .op = MB_OP_GETS, .status = MB_STATUS_HIT},
			{.key_id = k, .op = MB_OP_CAS, .status = MB_STATUS_STORED},
			{.key_id = k, .op = MB_OP_GETS, .status = MB_STATUS_HIT},
			{.key_id = k, .op = MB_OP_CAS, .status = MB_STATUS_EXISTS},
			{.key_id = k, .op = MB_OP_CAS, .status = MB_STATUS_STORED},
			{.key_id = k + 10, .op = MB_OP_CAS, .status = MB_STATUS_NOT_FOUND},
		};
		for (size_t i = 0; i < sizeof(rs) / sizeof(rs[0]); i++) {
			struct mb_record r = rs[i];
			r.time_ns = t += MS;
			r.key_len = 10;
			r.value_len = 5;
			r.proto = proto;
			if (proto == MB_PROTO_BINARY && r.op == MB_OP_GETS)
				r.op = MB_OP_GET; /* binary get returns the cas */
			assert_int_equal(mb_profile_writer_append(p.w, &r, NULL, 0), 0);
		}
	}
	prof_close(&p);
	struct args a;
	args_base(&a, p.path, mc.port);
	replay_ok(&a);
	const char *cas = "\"cas\": {";
	if (json_num_in(cas, "stored") != 4)
		dump_output();
	assert_true(json_num_in(cas, "stored") == 4);
	assert_true(json_num_in(cas, "exists") == 2);
	assert_true(json_num_in(cas, "not_found") == 2);
	assert_true(json_num_in("\"cas_outcomes\": {", "compared") == 8);
	assert_true(json_num_in("\"cas_outcomes\": {", "differ") == 0);
}

/* Format 1.1 meta flags are replayed as recorded: ma with N0 J13 creates the counter (it was
 * missing, as in production), D and MD act, mg c hands its unique to ms C (stored; a recorded
 * EX stays exists), q and O and k are kept, and a key recorded in base64 is sent in base64. */
static void test_meta_flags_replayed(void **state)
{
	(void)state;
	static const struct {
		uint8_t op, status, rflags;
		const char *key, *flags;
		uint32_t vlen;
	} rs[] = {
		{MB_OP_MA, MB_STATUS_OK, 0, "mctr", "N0 J13 v", 0},
		{MB_OP_MA, MB_STATUS_OK, 0, "mctr", "D5 v", 0},
		{MB_OP_MA, MB_STATUS_OK, 0, "mctr", "MD D3 q", 0},
		{MB_OP_MG, MB_STATUS_HIT, 0, "mctr", "v c", 2},
		{MB_OP_MS, MB_STATUS_STORED, MB_RF_NUMERIC, "mctr", "C T0", 2},
		{MB_OP_MS, MB_STATUS_EXISTS, MB_RF_NUMERIC, "mctr", "C", 2},
		{MB_OP_MG, MB_STATUS_HIT, 0, "mctr", "v q k O", 2},
		{MB_OP_MS, MB_STATUS_STORED, 0, "b\001k", "b T0 I", 3},
		{MB_OP_MG, MB_STATUS_HIT, 0, "b\001k", "b v", 3},
	};
	struct prof p;
	prof_open(&p, "metaflags", MB_KEYS_KEPT);
	char buf[64];
	for (size_t i = 0; i < sizeof(rs) / sizeof(rs[0]); i++) {
		size_t kn = strlen(rs[i].key), fn = strlen(rs[i].flags);
		memcpy(buf, rs[i].key, kn);
		memcpy(buf + kn, rs[i].flags, fn);
		struct mb_record r = {.time_ns = (i + 1) * MS, .key_len = (uint32_t)kn,
				      .value_len = rs[i].vlen, .op = rs[i].op, .proto = MB_PROTO_META,
				      .status = rs[i].status, .rflags = rs[i].rflags,
				      .meta_flags = (uint32_t)fn};
		if (strchr(rs[i].flags, 'q'))
			r.rflags |= MB_RF_NOREPLY;
		assert_int_equal(mb_profile_writer_append(p.w, &r, buf, kn + fn), 0);
	}
	prof_close(&p);
	struct args a;
	args_base(&a, p.path, mc.port);
	args_add(&a, "--key-prefix");
	args_add(&a, "mf:");
	replay_ok(&a);
	if (json_num("total") != 0)
		dump_output();
	assert_true(json_num("total") == 0); /* no error response */
	assert_true(json_num_in("\"ma\": {", "ok") == 2); /* the third is quiet */
	assert_true(json_num_in("\"ms\": {", "stored") == 2);
	assert_true(json_num_in("\"ms\": {", "exists") == 1);
	assert_true(json_num_in("\"mg\": {", "hit") == 2); /* and a quiet one, not counted */
	assert_true(json_num_in("\"cas_outcomes\": {", "compared") == 2);
	assert_true(json_num_in("\"cas_outcomes\": {", "differ") == 0);
}

/* noreply sets are sent and never waited for; the gets after them still pair with their own
 * replies (text noreply and binary quiet sets). */
static void test_noreply(void **state)
{
	(void)state;
	struct prof p;
	prof_open(&p, "noreply", MB_KEYS_ANON);
	uint64_t t = 0;
	for (int i = 0; i < 100; i++, t += MS / 4) {
		uint8_t proto = i % 2 ? MB_PROTO_BINARY : MB_PROTO_TEXT;
		struct mb_record r = {.time_ns = t, .key_id = (uint64_t)i, .conn_id = (uint32_t)(i % 2),
				      .key_len = 12, .value_len = 20, .op = MB_OP_SET, .proto = proto,
				      .rflags = MB_RF_NOREPLY};
		assert_int_equal(mb_profile_writer_append(p.w, &r, NULL, 0), 0);
		t += MS / 4;
		r = (struct mb_record){.time_ns = t, .key_id = (uint64_t)i, .conn_id = (uint32_t)(i % 2),
				       .key_len = 12, .op = MB_OP_GET, .proto = proto};
		assert_int_equal(mb_profile_writer_append(p.w, &r, NULL, 0), 0);
	}
	prof_close(&p);
	struct mcstat before = mc_stats(mc.port);
	struct args a;
	args_base(&a, p.path, mc.port);
	int rc = run_replay_argv(a.v);
	if (rc != 0)
		dump_output();
	assert_int_equal(rc, 0);
	struct mcstat after = mc_stats(mc.port);
	assert_true(json_num("requests_sent") == 200);
	assert_true(json_num("noreply_sent") == 100);
	assert_true(json_num("responses") == 100);
	assert_true(json_num("total") == 0);
	assert_true(json_num_in("\"get\": {", "hit") == 100);
	assert_true(after.cmd_set - before.cmd_set == 100);
	assert_true(after.get_hits - before.get_hits == 100);
}

/* Same profile at 1x and 2x: the second takes half the wall time (within 15%). */
static void test_rate_2x_halves_time(void **state)
{
	(void)state;
	struct prof p;
	prof_open(&p, "rate", MB_KEYS_ANON);
	for (int i = 0; i <= 300; i++) /* 1.2 s recorded */
		prof_add(&p, (uint64_t)i * 4 * MS, (uint32_t)(i % 2), MB_OP_GET, (uint64_t)i, 10, 0,
			 MB_STATUS_NONE, 0);
	prof_close(&p);
	/* Timing on a shared 2-core machine: a pair of runs may be disturbed by other processes
	 * (the ms-scale stalls that bench/replay/RESULTS.md measures), so up to 3 pairs are tried
	 * and one clean pair must show the halving. */
	bool ok = false;
	for (int attempt = 0; attempt < 3 && !ok; attempt++) {
		struct args a;
		args_base(&a, p.path, mc.port);
		assert_int_equal(run_replay_argv(a.v), 0);
		double d1 = json_num("duration_s");
		args_add(&a, "--rate");
		args_add(&a, "2x");
		assert_int_equal(run_replay_argv(a.v), 0);
		double d2 = json_num("duration_s");
		double target = json_num("target_rate"), got = json_num("achieved_rate");
		fprintf(stderr, "1x: %.3f s, 2x: %.3f s, target %.1f achieved %.1f\n", d1, d2, target,
			got);
		/* duration_s runs from the first send to the last reply: 1.2 s of schedule */
		ok = d1 > 1.1 && d1 < 1.5 && d2 > 0.85 * d1 / 2 && d2 < 1.15 * d1 / 2 &&
		     got > target * 0.9 && got < target * 1.1;
		if (!ok)
			fprintf(stderr, "disturbed run, lag max %.0f us, uncorrected max %.0f us\n",
				json_num_in("\"schedule_lag_us\"", "max"),
				json_num_in("\"uncorrected\"", "max"));
	}
	assert_true(ok);
	struct args a;
	/* --rate OPS: 500 req/s is 2x this profile's 250 req/s */
	args_base(&a, p.path, mc.port);
	args_add(&a, "--rate");
	args_add(&a, "500");
	assert_int_equal(run_replay_argv(a.v), 0);
	assert_true(json_num("speed") > 1.95 && json_num("speed") < 2.05);
	assert_true(json_num("target_rate") > 495 && json_num("target_rate") < 505);
}

/* Pacing (docs/replay.md): two connections whose requests are recorded 40 us apart, every 5 ms.
 * With the default --spin the second of each pair is busy-waited for and the first comes out
 * of an early timer wakeup, so the median schedule lag is a few microseconds; with --spin 0
 * every send waits for a timer wakeup and is late by its latency (tens of microseconds here).
 * The paced median must be under half the other: up to 3 attempts, as in the test above. */
static void test_pacing(void **state)
{
	(void)state;
	struct prof p;
	prof_open(&p, "pacing", MB_KEYS_ANON);
	for (int i = 0; i < 400; i++)
		prof_add(&p, (uint64_t)(i / 2) * 5 * MS + (uint64_t)(i % 2) * 40000, (uint32_t)(i % 2),
			 MB_OP_GET, (uint64_t)i, 10, 0, MB_STATUS_NONE, 0);
	prof_close(&p);
	bool ok = false;
	for (int attempt = 0; attempt < 3 && !ok; attempt++) {
		struct args a;
		args_base(&a, p.path, mc.port);
		/* one worker, as the pacing compared is one thread's (the default is one per CPU,
		 * and two spinning threads compete with memcached on this 2-core machine) */
		args_add(&a, "--threads");
		args_add(&a, "1");
		assert_int_equal(run_replay_argv(a.v), 0);
		assert_true(json_num("spin_us") == 100);
		double paced = json_num_in("\"schedule_lag_us\"", "p50");
		args_add(&a, "--spin");
		args_add(&a, "0");
		assert_int_equal(run_replay_argv(a.v), 0);
		assert_true(json_num("spin_us") == 0);
		double slept = json_num_in("\"schedule_lag_us\"", "p50");
		fprintf(stderr, "schedule lag p50: %.1f us paced, %.1f us with --spin 0\n", paced,
			slept);
		ok = paced < slept / 2;
	}
	assert_true(ok);
	struct args a;
	args_base(&a, p.path, mc.port);
	args_add(&a, "--spin");
	args_add(&a, "soon");
	assert_int_equal(run_replay_argv(a.v), 2);
}

/* --connections N folds 6 recorded connections into N (by connection, or by key hash). */
static void test_connections(void **state)
{
	(void)state;
	struct prof p;
	prof_open(&p, "conns", MB_KEYS_ANON);
	for (int i = 0; i < 120; i++)
		prof_add(&p, (uint64_t)i * MS, (uint32_t)(i % 6), MB_OP_SET, (uint64_t)i, 12, 10,
			 MB_STATUS_NONE, 0);
	prof_close(&p);
	static const char *const folds[] = {"conn", "key"};
	for (int k = 0; k < 2; k++) {
		struct mcstat before = mc_stats(mc.port);
		struct args a;
		args_base(&a, p.path, mc.port);
		args_add(&a, "--connections");
		args_add(&a, "%d", 3 + k * 5);
		args_add(&a, "--fold");
		args_add(&a, "%s", folds[k]);
		args_add(&a, "--rate");
		args_add(&a, "4x");
		assert_int_equal(run_replay_argv(a.v), 0);
		struct mcstat after = mc_stats(mc.port);
		/* the lanes + the replayer's start-up check and stats connections + ours (+1 when
		 * libmemcached reconnected for the second stats call on a loaded machine) */
		uint64_t got = after.total_connections - before.total_connections;
		uint64_t want = (uint64_t)(3 + k * 5) + 3;
		if (got != want)
			fprintf(stderr, "--fold %s: %" PRIu64 " connections, expected %" PRIu64 "\n",
				folds[k], got, want);
		assert_true(got == want || got == want + 1);
		assert_true(after.cmd_set - before.cmd_set == 120);
		assert_true(json_num("connections_per_server") == 3 + k * 5);
	}
	/* default: one connection per recorded connection */
	struct mcstat before = mc_stats(mc.port);
	struct args a;
	args_with(&a, p.path, mc.port, "--rate", "4x", "--threads", "2", (char *)NULL);
	assert_int_equal(run_replay_argv(a.v), 0);
	struct mcstat after = mc_stats(mc.port);
	uint64_t got = after.total_connections - before.total_connections;
	assert_true(got == 6 + 3 || got == 6 + 4);
	assert_true(after.cmd_set - before.cmd_set == 120);
}

/* The two ways a worker reads the profile send the same: decoded whole before the start (the
 * default for profiles that fit, worker.c reader_preload) and block by block during the run
 * (MEMBENCH_REPLAY_PRELOAD_BYTES=0, as for large profiles). 12 blocks of 256 records, two
 * threads (each sends its lanes' share), multigets whose keys continue across records; then
 * --loop over the preloaded records. */
static void test_preloaded_and_streamed_agree(void **state)
{
	(void)state;
	struct prof p;
	prof_open(&p, "preload", MB_KEYS_ANON);
	uint64_t cmds = 0, keys = 0;
	for (int i = 0; i < 3000; i++) {
		uint64_t t = (uint64_t)i * MS / 8;
		uint32_t conn = (uint32_t)(i % 6);
		if (i % 10 == 0) {
			prof_add(&p, t, conn, MB_OP_SET, (uint64_t)(i % 500), 16, 40, MB_STATUS_STORED, 0);
			cmds++, keys++;
		} else if (i % 10 == 5) { /* a 2-key multiget */
			prof_add(&p, t, conn, MB_OP_GET, (uint64_t)(i % 500), 16, 0, MB_STATUS_NONE, 0);
			prof_add(&p, t, conn, MB_OP_GET, (uint64_t)(i % 499), 16, 0, MB_STATUS_NONE,
				 MB_RF_BATCH_CONT);
			cmds++, keys += 2;
		} else {
			prof_add(&p, t, conn, MB_OP_GET, (uint64_t)(i % 500), 16, 0, MB_STATUS_NONE, 0);
			cmds++, keys++;
		}
	}
	prof_close(&p);
	for (int streamed = 0; streamed <= 1; streamed++) {
		if (streamed)
			setenv("MEMBENCH_REPLAY_PRELOAD_BYTES", "0", 1);
		struct mcstat before = mc_stats(mc.port);
		struct args a;
		args_with(&a, p.path, mc.port, "--rate", "10x", "--threads", "2", (char *)NULL);
		int rc = run_replay_argv(a.v);
		unsetenv("MEMBENCH_REPLAY_PRELOAD_BYTES");
		if (rc != 0)
			dump_output();
		assert_int_equal(rc, 0);
		struct mcstat after = mc_stats(mc.port);
		assert_true(json_num("commands_sent") == (double)cmds);
		assert_true(json_num("requests_sent") == (double)keys);
		assert_true(json_num("responses") == (double)cmds);
		assert_true(json_num("total") == 0); /* errors.total */
		assert_true(after.cmd_get - before.cmd_get + after.cmd_set - before.cmd_set == keys);
	}
	/* --loop over preloaded records: 375 ms per pass at 1x, so 1 s runs 2 passes and a part */
	struct args a;
	args_with(&a, p.path, mc.port, "--loop", "--duration", "1s", "--threads", "2", (char *)NULL);
	replay_ok(&a);
	double sent = json_num("requests_sent");
	fprintf(stderr, "preload loop: %.0f requests in 1 s (%" PRIu64 " per pass)\n", sent, keys);
	assert_true(sent >= 2.5 * (double)keys && sent <= 2.8 * (double)keys);
}

/* --loop --duration repeats a 0.2 s profile for 1 s: about 5 passes, time keeps advancing. */
static void test_loop(void **state)
{
	(void)state;
	struct prof p;
	prof_open(&p, "loop", MB_KEYS_ANON);
	for (int i = 0; i < 100; i++)
		prof_add(&p, (uint64_t)i * 2 * MS, 0, MB_OP_GET, (uint64_t)i, 10, 0, MB_STATUS_NONE, 0);
	prof_close(&p);
	struct mcstat before = mc_stats(mc.port);
	struct args a;
	args_base(&a, p.path, mc.port);
	args_add(&a, "--loop");
	args_add(&a, "--duration");
	args_add(&a, "1s");
	assert_int_equal(run_replay_argv(a.v), 0);
	struct mcstat after = mc_stats(mc.port);
	double sent = json_num("requests_sent");
	fprintf(stderr, "loop: %.0f requests in 1 s\n", sent);
	assert_true(sent >= 480 && sent <= 510);
	assert_true(after.cmd_get - before.cmd_get == (uint64_t)sent);
	/* first send to last reply; loose: a stalled start or end on a loaded machine moves it */
	assert_true(json_num("duration_s") > 0.5 && json_num("duration_s") < 3.0);
}

/* --warm stores the keys read (as hits) before they are written: without it every recorded hit
 * misses on a fresh server; with it they all hit, and the warm-up is not in the run's stats. */
static void test_warm(void **state)
{
	(void)state;
	struct prof p;
	prof_open(&p, "warm", MB_KEYS_ANON);
	uint64_t t = 0;
	for (int i = 0; i < 50; i++, t += MS) /* read-before-write, recorded as hits */
		prof_add(&p, t, 0, MB_OP_GET, 1000 + (uint64_t)i, 20, 300, MB_STATUS_HIT, 0);
	for (int i = 0; i < 10; i++, t += MS) /* written first: not warmed */
		prof_add(&p, t, 0, MB_OP_SET, 2000 + (uint64_t)i, 20, 40, MB_STATUS_STORED, 0);
	for (int i = 0; i < 10; i++, t += MS)
		prof_add(&p, t, 0, MB_OP_GET, 2000 + (uint64_t)i, 20, 40, MB_STATUS_HIT, 0);
	for (int i = 0; i < 5; i++, t += MS) /* recorded misses: not warmed */
		prof_add(&p, t, 0, MB_OP_GET, 3000 + (uint64_t)i, 20, 0, MB_STATUS_MISS, 0);
	prof_close(&p);
	struct args a;
	args_base(&a, p.path, mc.port);
	args_add(&a, "--key-prefix");
	args_add(&a, "nowarm:");
	struct mcstat b0 = mc_stats(mc.port);
	assert_int_equal(run_replay_argv(a.v), 0);
	struct mcstat a0 = mc_stats(mc.port);
	assert_true(a0.get_hits - b0.get_hits == 10);
	args_base(&a, p.path, mc.port);
	args_add(&a, "--warm");
	args_add(&a, "--key-prefix");
	args_add(&a, "warm:");
	struct mcstat b1 = mc_stats(mc.port);
	assert_int_equal(run_replay_argv(a.v), 0);
	struct mcstat a1 = mc_stats(mc.port);
	assert_true(a1.get_hits - b1.get_hits == 60);
	assert_true(a1.get_misses - b1.get_misses == 5);
	assert_true(a1.cmd_set - b1.cmd_set == 60); /* 50 warm + 10 replayed */
	assert_true(json_num_in("\"warm\": {", "stored") == 50);
	/* the report's server delta covers the measured run only */
	char *j = slurp("run.json");
	const char *d = strstr(j, "\"delta\": {");
	assert_non_null(d);
	const char *cs = strstr(d, "\"cmd_set\": ");
	assert_non_null(cs);
	assert_true(strtoull(cs + 11, NULL, 10) == 10);
	free(j);
}

/* Two servers: each server's share of 2000 distinct keys is exactly what libmemcached's ketama
 * (weighted, md5) assigns to it. */
static void test_two_servers_ketama(void **state)
{
	(void)state;
	assert_int_equal(mb_test_memcached_start(&mc2, "-m 64"), 0);
	struct prof p;
	prof_open(&p, "ketama", MB_KEYS_KEPT);
	char key[64];
	for (int i = 0; i < 2000; i++) {
		snprintf(key, sizeof(key), "user:%d:profile", i);
		prof_add_key(&p, (uint64_t)i * MS / 4, (uint32_t)(i % 3), MB_OP_GET, key, 0);
	}
	prof_close(&p);
	memcached_st *m = memcached_create(NULL);
	memcached_server_add(m, "127.0.0.1", (in_port_t)mc.port);
	memcached_server_add(m, "127.0.0.1", (in_port_t)mc2.port);
	memcached_behavior_set(m, MEMCACHED_BEHAVIOR_KETAMA_WEIGHTED, 1);
	uint64_t expect[2] = {0, 0};
	for (int i = 0; i < 2000; i++) {
		snprintf(key, sizeof(key), "user:%d:profile", i);
		expect[memcached_generate_hash(m, key, strlen(key)) % 2]++;
	}
	memcached_free(m);
	struct mcstat b[2] = {mc_stats(mc.port), mc_stats(mc2.port)};
	struct args a;
	args_base(&a, p.path, mc.port);
	args_add(&a, "--server");
	args_add(&a, "127.0.0.1:%d", mc2.port);
	assert_int_equal(run_replay_argv(a.v), 0);
	struct mcstat e[2] = {mc_stats(mc.port), mc_stats(mc2.port)};
	fprintf(stderr, "ketama: expected %" PRIu64 "/%" PRIu64 ", got %" PRIu64 "/%" PRIu64 "\n",
		expect[0], expect[1], e[0].cmd_get - b[0].cmd_get, e[1].cmd_get - b[1].cmd_get);
	assert_true(expect[0] > 500 && expect[1] > 500);
	assert_true(e[0].cmd_get - b[0].cmd_get == expect[0]);
	assert_true(e[1].cmd_get - b[1].cmd_get == expect[1]);
	assert_true(json_num("requests_sent") == 2000);
}

/* Starts memcached on a given port (to restart a killed one). @return pid or -1. */
static pid_t start_on_port(int port)
{
	for (int attempt = 0; attempt < 100; attempt++) {
		pid_t pid = fork();
		if (pid == 0) {
			char ps[16];
			snprintf(ps, sizeof(ps), "%d", port);
			int dn = open("/dev/null", O_RDWR);
			if (dn >= 0)
				dup2(dn, STDOUT_FILENO), dup2(dn, STDERR_FILENO);
			if (mb_test_is_root())
				execl("/usr/bin/memcached", "memcached", "-l", "127.0.0.1", "-p", ps,
				      "-U", "0", "-u", "nobody", (char *)NULL);
			else
				execl("/usr/bin/memcached", "memcached", "-l", "127.0.0.1", "-p", ps,
				      "-U", "0", (char *)NULL);
			_exit(127);
		}
		struct timespec ts = {0, 50 * 1000 * 1000};
		nanosleep(&ts, NULL);
		int st;
		if (waitpid(pid, &st, WNOHANG) == 0)
			return pid; /* still running: it bound the port */
	}
	return -1;
}

/* The server is killed mid-run and restarted on the same port: the replayer counts the lost
 * requests, reconnects, carries on, and the restarted server receives the rest. */
static void test_server_killed_restarted(void **state)
{
	(void)state;
	assert_int_equal(mb_test_memcached_start(&victim, NULL), 0);
	struct prof p;
	prof_open(&p, "restart", MB_KEYS_ANON);
	for (int i = 0; i < 600; i++) /* 2.4 s */
		prof_add(&p, (uint64_t)i * 4 * MS, (uint32_t)(i % 2), MB_OP_SET, (uint64_t)i, 10, 10,
			 MB_STATUS_NONE, 0);
	prof_close(&p);
	struct args a;
	args_base(&a, p.path, victim.port);
	args_add(&a, "--timeout");
	args_add(&a, "500ms");
	pid_t rp = fork();
	if (rp == 0) {
		execv(replay_bin, a.v);
		_exit(127);
	}
	wait_progress(victim.port, true, 0, 100);
	kill(victim.pid, SIGKILL);
	waitpid(victim.pid, NULL, 0);
	victim.pid = 0;
	struct timespec ts = {0, 300 * 1000 * 1000};
	nanosleep(&ts, NULL);
	restarted = start_on_port(victim.port);
	assert_true(restarted > 0);
	int st;
	waitpid(rp, &st, 0);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	struct mcstat s = mc_stats(victim.port);
	fprintf(stderr, "restart: %" PRIu64 " sets reached the restarted server, %.0f reconnects, "
		"%.0f disconnect errors, %.0f unsent\n", s.cmd_set, json_num("reconnects"),
		json_num("disconnect"), json_num("unsent"));
	assert_true(json_num("reconnects") >= 2); /* one per connection */
	assert_true(s.cmd_set > 200);             /* most of the last 1.4 s got through */
	assert_true(json_num("requests_sent") + json_num("unsent") + json_num("unsupported") == 600);
}

/* --timeout: a server that stops answering (SIGSTOP) makes requests time out; the replayer
 * counts them, reconnects and carries on once it answers again (SIGCONT). A server killed for
 * good ends the run shortly after the profile with the lost requests counted, not a hang. */
static void test_timeout_and_dead_server(void **state)
{
	(void)state;
	assert_int_equal(mb_test_memcached_start(&victim, NULL), 0);
	struct prof p;
	prof_open(&p, "stall", MB_KEYS_ANON);
	for (int i = 0; i < 300; i++) /* 1.5 s */
		prof_add(&p, (uint64_t)i * 5 * MS, 0, MB_OP_GET, (uint64_t)i, 10, 0, MB_STATUS_NONE, 0);
	prof_close(&p);
	struct args a;
	args_base(&a, p.path, victim.port);
	args_add(&a, "--timeout");
	args_add(&a, "100ms");
	pid_t rp = fork();
	if (rp == 0) {
		execv(replay_bin, a.v);
		_exit(127);
	}
	wait_progress(victim.port, false, 0, 50);
	struct timespec ts = {0, 400 * 1000 * 1000};
	kill(victim.pid, SIGSTOP);
	nanosleep(&ts, NULL);
	kill(victim.pid, SIGCONT);
	int st;
	waitpid(rp, &st, 0);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	fprintf(stderr, "stalled server: %.0f timeouts, %.0f disconnects, %.0f responses\n",
		json_num("timeout"), json_num("disconnect"), json_num("responses"));
	assert_true(json_num("timeout") >= 1);
	assert_true(json_num("responses") > 150);
	assert_true(json_num("reconnects") >= 1);

	/* killed for good after 50 requests */
	uint64_t base = mc_stats(victim.port).cmd_get;
	rp = fork();
	if (rp == 0) {
		execv(replay_bin, a.v);
		_exit(127);
	}
	wait_progress(victim.port, false, base, 50);
	uint64_t t = mb_mono_ns();
	kill(victim.pid, SIGKILL);
	waitpid(victim.pid, NULL, 0);
	victim.pid = 0;
	waitpid(rp, &st, 0);
	double took = (double)(mb_mono_ns() - t) / 1e9;
	fprintf(stderr, "dead server: run ended after %.2f s, %.0f unsent\n", took,
		json_num("unsent"));
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	assert_true(took < 5.0);
	assert_true(json_num("unsent") > 100);
	assert_true(json_num("requests_sent") + json_num("unsent") == 300);
}

/* Unix-socket and IPv6 targets: the same requests reach each server. */
static void test_unix_and_ipv6(void **state)
{
	(void)state;
	/* memcached runs as nobody when we are root: give it a directory it may write */
	char sockdir[512], sock[700];
	assert_int_equal(mb_test_tmpdir(sockdir, sizeof(sockdir)), 0);
	assert_int_equal(chmod(sockdir, 0777), 0);
	snprintf(sock, sizeof(sock), "%s/mc.sock", sockdir);
	pid_t pid = fork();
	if (pid == 0) {
		int dn = open("/dev/null", O_RDWR);
		if (dn >= 0)
			dup2(dn, STDOUT_FILENO), dup2(dn, STDERR_FILENO);
		if (mb_test_is_root())
			execl("/usr/bin/memcached", "memcached", "-s", sock, "-u", "nobody", (char *)NULL);
		else
			execl("/usr/bin/memcached", "memcached", "-s", sock, (char *)NULL);
		_exit(127);
	}
	restarted = pid; /* stopped by teardown */
	for (int i = 0; i < 200 && access(sock, F_OK) != 0; i++) {
		struct timespec ts = {0, 10 * 1000 * 1000};
		nanosleep(&ts, NULL);
	}
	if (mb_test_is_root())
		chmod(sock, 0777);
	struct prof p;
	prof_open(&p, "unix", MB_KEYS_ANON);
	for (int i = 0; i < 50; i++)
		prof_add(&p, (uint64_t)i * MS, 0, MB_OP_SET, (uint64_t)i, 10, 10, MB_STATUS_NONE, 0);
	prof_close(&p);
	struct args a;
	a.n = 0;
	args_add(&a, "membench-replay");
	args_add(&a, "%s", p.path);
	args_add(&a, "--server");
	args_add(&a, "unix:%s", sock);
	args_add(&a, "--json");
	args_add(&a, "%s/run.json", tmpdir);
	args_add(&a, "-q");
	int rc = run_replay_argv(a.v);
	if (rc != 0)
		dump_output();
	assert_int_equal(rc, 0);
	assert_true(json_num("responses") == 50);
	assert_true(json_num_in("\"delta\": {", "cmd_set") == 50);
	kill(restarted, SIGTERM);
	waitpid(restarted, NULL, 0);
	restarted = 0;
	mb_test_rmtree(sockdir);

	/* IPv6 loopback, when this machine has it */
	int fd6 = socket(AF_INET6, SOCK_STREAM, 0);
	struct sockaddr_in6 sa6 = {.sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT};
	bool have6 = fd6 >= 0 && bind(fd6, (struct sockaddr *)&sa6, sizeof(sa6)) == 0;
	if (fd6 >= 0)
		close(fd6);
	if (!have6) {
		fprintf(stderr, "no IPv6 loopback: IPv6 part skipped\n");
		return;
	}
	assert_int_equal(mb_test_memcached_start(&mc2, "-l ::1"), 0); /* listens on both */
	a.n = 0;
	args_add(&a, "membench-replay");
	args_add(&a, "%s", p.path);
	args_add(&a, "--server");
	args_add(&a, "[::1]:%d", mc2.port);
	args_add(&a, "--json");
	args_add(&a, "%s/run.json", tmpdir);
	args_add(&a, "-q");
	rc = run_replay_argv(a.v);
	if (rc != 0)
		dump_output();
	assert_int_equal(rc, 0);
	assert_true(json_num("responses") == 50);
	assert_true(json_num_in("\"delta\": {", "cmd_set") == 50);
}

/* A port nobody listens on: exit 5 and a message naming host and port. */
static void test_wrong_port(void **state)
{
	(void)state;
	struct prof p;
	prof_open(&p, "wrongport", MB_KEYS_ANON);
	prof_add(&p, 0, 0, MB_OP_GET, 1, 10, 0, MB_STATUS_NONE, 0);
	prof_close(&p);
	int port = mb_test_free_port();
	struct args a;
	args_base(&a, p.path, port);
	assert_int_equal(run_replay_argv(a.v), 5);
	char *e = slurp("stderr");
	char want[64];
	snprintf(want, sizeof(want), "127.0.0.1:%d", port);
	assert_non_null(strstr(e, want));
	assert_non_null(strstr(e, "refused"));
	free(e);
	/* unresolvable host: also exit 5, naming it */
	a.n = 0;
	args_add(&a, "membench-replay");
	args_add(&a, "%s", p.path);
	args_add(&a, "--server");
	args_add(&a, "no-such-host.invalid:11211");
	assert_int_equal(run_replay_argv(a.v), 5);
	e = slurp("stderr");
	assert_non_null(strstr(e, "no-such-host.invalid"));
	free(e);
}

/* SIGINT stops the run early; the report for what ran is still written, exit 0. */
static void test_sigint_reports(void **state)
{
	(void)state;
	struct prof p;
	prof_open(&p, "sigint", MB_KEYS_ANON);
	for (int i = 0; i < 1000; i++) /* 10 s */
		prof_add(&p, (uint64_t)i * 10 * MS, 0, MB_OP_GET, (uint64_t)i, 10, 0, MB_STATUS_NONE, 0);
	prof_close(&p);
	struct args a;
	args_base(&a, p.path, mc.port);
	char json[700];
	snprintf(json, sizeof(json), "%s/run.json", tmpdir);
	unlink(json);
	pid_t rp = fork();
	if (rp == 0) {
		int dn = open("/dev/null", O_RDWR);
		if (dn >= 0)
			dup2(dn, STDOUT_FILENO);
		execv(replay_bin, a.v);
		_exit(127);
	}
	wait_progress(mc.port, false, 0, 30);
	uint64_t t = mb_mono_ns();
	kill(rp, SIGINT);
	int st;
	waitpid(rp, &st, 0);
	assert_true((mb_mono_ns() - t) < 5000 * MS); /* 0.5 s drain + exit, with room for load */
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	char *j = slurp("run.json");
	assert_non_null(strstr(j, "\"interrupted\": true"));
	free(j);
	double sent = json_num("requests_sent");
	assert_true(sent > 20 && sent < 200);
}

/* A profile cut short, or with a corrupt block (issue 16's rule, profile.h): refused with exit 3
 * naming the file and --allow-damaged; with --allow-damaged the complete, valid blocks are
 * replayed, with a warning. */
static void test_truncated_profile(void **state)
{
	(void)state;
	struct prof p;
	prof_open(&p, "cut", MB_KEYS_ANON);
	for (int i = 0; i < 1024; i++)
		prof_add(&p, (uint64_t)i * MS / 10, 0, MB_OP_SET, (uint64_t)i, 10, 10, MB_STATUS_NONE, 0);
	prof_close(&p);
	struct stat sb;
	assert_int_equal(stat(p.path, &sb), 0);
	assert_int_equal(truncate(p.path, sb.st_size * 6 / 10), 0);
	struct args a;
	args_base(&a, p.path, mc.port);
	assert_int_equal(run_replay_argv(a.v), 3);
	char *e = slurp("stderr");
	assert_non_null(strstr(e, "cut.mbp is damaged: cut short"));
	assert_non_null(strstr(e, "--allow-damaged"));
	free(e);
	args_add(&a, "--allow-damaged");
	assert_int_equal(run_replay_argv(a.v), 0);
	double sent = json_num("requests_sent");
	fprintf(stderr, "truncated: replayed %.0f of 1024\n", sent);
	assert_true(sent > 0 && sent < 1024);
	e = slurp("stderr");
	assert_non_null(strstr(e, "warning"));
	free(e);

	/* a flipped byte in the second half: the blocks before it are replayed, with the profile
	 * library's message naming the file and offset */
	prof_open(&p, "flip", MB_KEYS_ANON);
	for (int i = 0; i < 1024; i++)
		prof_add(&p, (uint64_t)i * MS / 10, 0, MB_OP_SET, (uint64_t)i, 10, 10, MB_STATUS_NONE, 0);
	prof_close(&p);
	assert_int_equal(stat(p.path, &sb), 0);
	FILE *f = fopen(p.path, "r+b");
	assert_non_null(f);
	assert_int_equal(fseek(f, sb.st_size * 6 / 10, SEEK_SET), 0);
	int ch = fgetc(f);
	assert_int_equal(fseek(f, sb.st_size * 6 / 10, SEEK_SET), 0);
	fputc(ch ^ 0xff, f);
	fclose(f);
	args_base(&a, p.path, mc.port);
	assert_int_equal(run_replay_argv(a.v), 3);
	e = slurp("stderr");
	assert_non_null(strstr(e, "flip.mbp"));
	assert_non_null(strstr(e, "--allow-damaged"));
	free(e);
	args_add(&a, "--allow-damaged");
	assert_int_equal(run_replay_argv(a.v), 0);
	sent = json_num("requests_sent");
	fprintf(stderr, "corrupt: replayed %.0f of 1024\n", sent);
	assert_true(sent > 0 && sent < 1024);
	e = slurp("stderr");
	assert_non_null(strstr(e, "flip.mbp is damaged"));
	free(e);
}

int main(void)
{
	const char *bin = getenv("MB_BINARY_DIR");
	if (!bin) {
		fprintf(stderr, "MB_BINARY_DIR not set (run through ctest)\n");
		return MB_TEST_SKIP;
	}
	snprintf(replay_bin, sizeof(replay_bin), "%s/bin/membench-replay", bin);
	if (access("/usr/bin/memcached", X_OK) != 0) {
		fprintf(stderr, "memcached not installed\n");
		return MB_TEST_SKIP;
	}
	if (mb_test_tmpdir(tmpdir, sizeof(tmpdir)) != 0)
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_counts_match, setup, teardown),
		cmocka_unit_test_setup_teardown(test_protocols, setup, teardown),
		cmocka_unit_test_setup_teardown(test_server_wide_commands_skipped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_numeric_counters, setup, teardown),
		cmocka_unit_test_setup_teardown(test_absolute_exptime, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cas_uniques, setup, teardown),
		cmocka_unit_test_setup_teardown(test_meta_flags_replayed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_error_kinds, setup, teardown),
		cmocka_unit_test_setup_teardown(test_noreply, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rate_2x_halves_time, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pacing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_connections, setup, teardown),
		cmocka_unit_test_setup_teardown(test_loop, setup, teardown),
		cmocka_unit_test_setup_teardown(test_preloaded_and_streamed_agree, setup, teardown),
		cmocka_unit_test_setup_teardown(test_warm, setup, teardown),
		cmocka_unit_test_setup_teardown(test_two_servers_ketama, setup, teardown),
		cmocka_unit_test_teardown(test_server_killed_restarted, teardown),
		cmocka_unit_test_teardown(test_timeout_and_dead_server, teardown),
		cmocka_unit_test_teardown(test_unix_and_ipv6, teardown),
		cmocka_unit_test(test_wrong_port),
		cmocka_unit_test_setup_teardown(test_sigint_reports, setup, teardown),
		cmocka_unit_test_setup_teardown(test_truncated_profile, setup, teardown),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	if (!getenv("MB_KEEP_TMP"))
		mb_test_rmtree(tmpdir);
	else
		fprintf(stderr, "kept %s\n", tmpdir);
	return rc;
}
