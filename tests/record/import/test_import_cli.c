/* Integration tests of `membench-record twitter:|oracle:|cachelib:|synth:` : each test writes a
 * small trace, runs the real binary, reads the profile back through the profile reader and checks
 * exact counts, sizes, key ids, metadata and trailer stats; malformed input must give exit code 3,
 * the exact "file:line: column" message and no output file; synthetic profiles must be
 * byte-identical for the same seed and differ for another.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <zstd.h>

#include "membench/array.h"
#include "membench/exitcode.h"
#include "membench/profile.h"
#include "testutil.h"
#include "trace_files.h"

static char record_bin[600];

static int setup_all(void **state)
{
	(void)state;
	const char *bin = getenv("MB_BINARY_DIR");
	snprintf(record_bin, sizeof(record_bin), "%s/bin/membench-record", bin ? bin : ".");
	if (access(record_bin, X_OK) != 0) {
		print_error("%s not found: build membench-record and set MB_BINARY_DIR (ctest does)\n",
			    record_bin);
		return -1;
	}
	return trace_dir_create();
}

static int teardown_all(void **state)
{
	(void)state;
	trace_dir_remove();
	return 0;
}

static char *read_all(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	long len = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *buf = malloc((size_t)len + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)len, f), (size_t)len);
	buf[len] = '\0';
	fclose(f);
	*n = (size_t)len;
	return buf;
}

/* Runs membench-record with the NULL-terminated (const char *) arguments; stderr is captured
 * into err.
 * @return the exit code. */
static int run_record(char *err, size_t errlen, ...)
{
	char *argv[40];
	int argc = 0;
	argv[argc++] = record_bin;
	va_list ap;
	va_start(ap, errlen);
	const char *a;
	while ((a = va_arg(ap, const char *)) && argc < 39) {
		argv[argc] = strdup(a);
		assert_non_null(argv[argc]);
		argc++;
	}
	va_end(ap);
	argv[argc] = NULL;
	char errfile[600];
	snprintf(errfile, sizeof(errfile), "%s/stderr.txt", trace_dir());
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int fd = open(errfile, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		int nul = open("/dev/null", O_WRONLY);
		if (fd < 0 || nul < 0)
			_exit(126);
		dup2(fd, 2);
		dup2(nul, 1);
		execv(record_bin, argv);
		_exit(127);
	}
	for (int i = 1; i < argc; i++)
		free(argv[i]);
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	/* Keep only membench's own lines: a sanitizer runtime may add its own under load. */
	size_t n = 0, off = 0;
	char *text = read_all(errfile, &n), *save = NULL;
	err[0] = '\0';
	for (char *line = text ? strtok_r(text, "\n", &save) : NULL; line;
	     line = strtok_r(NULL, "\n", &save))
		if (strncmp(line, "membench record", 15) == 0 && off < errlen)
			off += (size_t)snprintf(err + off, errlen - off, "%s\n", line);
	free(text);
	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

struct profile {
	struct mb_profile_reader *r;
	struct mb_profile_meta meta;
	struct mb_profile_stats stats;
	struct mb_record *rec;
	size_t n;
};

static void profile_load(struct profile *p, const char *path)
{
	char err[512] = "";
	memset(p, 0, sizeof(*p));
	int rc = mb_profile_reader_open(&p->r, path, err, sizeof(err));
	if (rc)
		print_error("%s\n", err);
	assert_int_equal(rc, 0);
	p->meta = *mb_profile_reader_meta(p->r);
	p->stats = *mb_profile_reader_stats(p->r);
	size_t cap = 0;
	for (;;) {
		assert_int_equal(MB_ARRAY_RESERVE(p->rec, cap, p->n + 1024), 0);
		long got = mb_profile_reader_read(p->r, p->rec + p->n, cap - p->n);
		assert_true(got >= 0);
		if (got == 0)
			break;
		p->n += (size_t)got;
	}
}

static void profile_free(struct profile *p)
{
	mb_profile_reader_close(p->r);
	free(p->rec);
}

static const char tw_trace[] =
	"100,nz:u:aaa,12,300,client7,get,0\n"
	"100,nz:u:bbb,13,0,client9,set,3600\n"
	"100,nz:u:aaa,12,300,client7,gets,0\n"
	"101,x:1,3,10,client9,delete,0\n"
	"101,x:2,3,20,client1,incr,0\n"
	"103,x:3,3,5,client7,cas,-1\n";

static void check_tw_profile(const char *out, const char *source, bool zstd)
{
	struct profile p;
	profile_load(&p, out);
	assert_int_equal(p.n, 6);
	static const uint64_t t[6] = {0, 333333333, 666666666, 1000000000, 1500000000, 3000000000};
	static const uint8_t ops[6] = {MB_OP_GET, MB_OP_SET, MB_OP_GETS, MB_OP_DELETE, MB_OP_INCR,
				       MB_OP_CAS};
	static const uint64_t key[6] = {0, 1, 0, 2, 3, 4};
	static const uint32_t conn[6] = {0, 1, 0, 1, 2, 0};
	static const uint32_t klen[6] = {12, 13, 12, 3, 3, 3};
	static const uint32_t vlen[6] = {300, 0, 300, 10, 20, 5};
	static const int32_t ttl[6] = {0, 3600, 0, 0, 0, -1};
	for (int i = 0; i < 6; i++) {
		assert_int_equal(p.rec[i].time_ns, t[i]);
		assert_int_equal(p.rec[i].op, ops[i]);
		assert_int_equal(p.rec[i].key_id, key[i]);
		assert_int_equal(p.rec[i].conn_id, conn[i]);
		assert_int_equal(p.rec[i].key_len, klen[i]);
		assert_int_equal(p.rec[i].value_len, vlen[i]);
		assert_int_equal(p.rec[i].ttl, ttl[i]);
		assert_int_equal(p.rec[i].status, MB_STATUS_NONE);
	}
	assert_string_equal(p.meta.source, source);
	assert_int_equal(p.meta.clock, MB_CLOCK_TRACE);
	assert_int_equal(p.meta.start_wall_ns, 100000000000ll);
	char want[256];
	snprintf(want, sizeof(want),
		 "format=twitter compression=%s spread=even ops=0 duration=0ns skip-bad=0 "
		 "connections=clients", zstd ? "zstd" : "none");
	assert_string_equal(p.meta.params, want);
	assert_int_equal(p.stats.records, 6);
	assert_int_equal(p.stats.requests, 6);
	assert_int_equal(p.stats.keys, 5);
	assert_int_equal(p.stats.connections, 3);
	assert_int_equal(p.stats.skipped_rows, 0);
	profile_free(&p);
}

static void test_cli_twitter(void **state)
{
	(void)state;
	char err[2048], source[700];
	const char *in = tmp_path("tw.csv"), *out = tmp_path("tw.mbp");
	write_file(in, tw_trace, strlen(tw_trace));
	snprintf(source, sizeof(source), "twitter:%s", in);
	assert_int_equal(run_record(err, sizeof(err), source, "-o", out, NULL), 0);
	assert_string_equal(err, "");
	check_tw_profile(out, source, false);

	in = tmp_path("tw.csv.zst");
	write_zstd(in, tw_trace, strlen(tw_trace), 1);
	snprintf(source, sizeof(source), "twitter:%s", in);
	assert_int_equal(run_record(err, sizeof(err), "-o", out, source, NULL), 0);
	check_tw_profile(out, source, true);
}

static void test_cli_twitter_keep_keys(void **state)
{
	(void)state;
	char err[2048], source[700];
	const char *in = tmp_path("twk.csv"), *out = tmp_path("twk.mbp");
	write_file(in, tw_trace, strlen(tw_trace));
	snprintf(source, sizeof(source), "twitter:%s", in);
	assert_int_equal(run_record(err, sizeof(err), source, "--keep-keys", "-o", out,
				    NULL), 0);
	struct profile p;
	profile_load(&p, out);
	assert_int_equal(p.meta.key_mode, MB_KEYS_KEPT);
	static const char *const keys[5] = {"nz:u:aaa", "nz:u:bbb", "x:1", "x:2", "x:3"};
	for (uint64_t id = 0; id < 5; id++) {
		const char *b;
		uint32_t len;
		assert_int_equal(mb_profile_reader_key(p.r, id, &b, &len), 0);
		assert_int_equal(len, strlen(keys[id]));
		assert_memory_equal(b, keys[id], len);
	}
	profile_free(&p);
	/* --key-prefix: the namespace up to the first ':' (keys without one keep nothing more) */
	assert_int_equal(run_record(err, sizeof(err), source, "--key-prefix", ":", "-o", out,
				    NULL), 0);
	profile_load(&p, out);
	assert_int_equal(p.meta.key_mode, MB_KEYS_PREFIX);
	assert_int_equal(p.meta.key_delim, ':');
	assert_int_equal(p.stats.keys, 5);
	{
		const char *kb;
		uint32_t kl;
		assert_int_equal(mb_profile_reader_key(p.r, 0, &kb, &kl), 0);
		assert_int_equal(kl, 3);
		assert_memory_equal(kb, "nz:", 3);
		assert_int_equal(mb_profile_reader_key(p.r, 2, &kb, &kl), 0);
		assert_int_equal(kl, 2);
		assert_memory_equal(kb, "x:", 2);
	}
	profile_free(&p);
	assert_int_equal(run_record(err, sizeof(err), source, "--key-prefix", "::", "-o", out,
				    NULL), MB_EXIT_USAGE);
	/* default: anonymous, no key bytes */
	assert_int_equal(run_record(err, sizeof(err), source, "-o", out, NULL), 0);
	profile_load(&p, out);
	assert_int_equal(p.meta.key_mode, MB_KEYS_ANON);
	const char *b;
	uint32_t len;
	assert_int_not_equal(mb_profile_reader_key(p.r, 0, &b, &len), 0);
	profile_free(&p);
}

static void test_cli_malformed_row(void **state)
{
	(void)state;
	char err[2048], source[700], want[1400];
	const char *in = tmp_path("twbad.csv"), *out = tmp_path("twbad.mbp");
	const char text[] = "1,a,2,3,c,get,0\n1,b,12x,3,c,get,0\n2,c,2,3,c,get,0\n"
			    "2,d,2,3,c,frob,0\n3,e,2,3,c,set,0\n";
	write_file(in, text, strlen(text));
	snprintf(source, sizeof(source), "twitter:%s", in);
	unlink(out);
	assert_int_equal(run_record(err, sizeof(err), source, "-o", out, NULL),
			 MB_EXIT_INPUT);
	snprintf(want, sizeof(want),
		 "membench record: %s:2: column 3 (key size): bad value '12x': not an unsigned "
		 "32-bit integer\n", in);
	assert_string_equal(err, want);
	assert_int_equal(access(out, F_OK), -1); /* no half-written profile left behind */

	assert_int_equal(run_record(err, sizeof(err), source, "--skip-bad", "-o", out,
				    NULL), 0);
	assert_non_null(strstr(err, "skipped 2 malformed rows of 5 (--skip-bad)"));
	struct profile p;
	profile_load(&p, out);
	assert_int_equal(p.n, 3);
	assert_int_equal(p.stats.skipped_rows, 2);
	assert_int_equal(p.stats.records, 3);
	profile_free(&p);
}

static void test_cli_oracle(void **state)
{
	(void)state;
	uint8_t buf[24 * 10];
	for (int i = 0; i < 10; i++) {
		uint8_t *r = buf + 24 * i;
		uint64_t f[4] = {50 + (uint64_t)i / 5, 777000 + (uint64_t)(i % 3), 1000 + (uint64_t)i,
				 UINT64_MAX};
		for (int b = 0; b < 4; b++)
			r[b] = (uint8_t)(f[0] >> (8 * b));
		for (int b = 0; b < 8; b++)
			r[4 + b] = (uint8_t)(f[1] >> (8 * b));
		for (int b = 0; b < 4; b++)
			r[12 + b] = (uint8_t)(f[2] >> (8 * b));
		for (int b = 0; b < 8; b++)
			r[16 + b] = (uint8_t)(f[3] >> (8 * b));
	}
	char err[2048], source[700];
	const char *in = tmp_path("o.zst"), *out = tmp_path("o.mbp");
	write_zstd(in, buf, sizeof(buf), 1);
	snprintf(source, sizeof(source), "oracle:%s", in);
	assert_int_equal(run_record(err, sizeof(err), source, "--key-size", "24",
				    "--connections", "4", "--spread", "burst", "-o", out,
				    NULL), 0);
	struct profile p;
	profile_load(&p, out);
	assert_int_equal(p.n, 10);
	for (int i = 0; i < 10; i++) {
		assert_int_equal(p.rec[i].op, MB_OP_GET);
		assert_int_equal(p.rec[i].key_id, i % 3); /* obj_ids 777000..2 in first-seen order */
		assert_int_equal(p.rec[i].key_len, 24);
		assert_int_equal(p.rec[i].value_len, 1000 + i);
		assert_int_equal(p.rec[i].conn_id, i % 4);
		assert_int_equal(p.rec[i].time_ns, (uint64_t)(i / 5) * 1000000000ull);
	}
	assert_int_equal(p.stats.keys, 3);
	assert_int_equal(p.stats.connections, 4);
	assert_string_equal(p.meta.params,
			    "format=oracle compression=zstd spread=burst ops=0 duration=0ns "
			    "skip-bad=0 connections=4 key-size=24");
	profile_free(&p);
	/* oracle has no key strings */
	assert_int_equal(run_record(err, sizeof(err), source, "--keep-keys", "-o", out,
				    NULL), MB_EXIT_USAGE);
}

static void test_cli_cachelib(void **state)
{
	(void)state;
	const char text[] = "op_time,op,key,size,op_count,key_size,cache_hits\n"
			    "10,GET,k1,100,3,20,1\n"
			    "10,SET_LEASE,k2,50,1,22,0\n"
			    "12,DELETE,k1,0,2,20,0\n";
	char err[2048], source[700];
	const char *in = tmp_path("cl.csv"), *out = tmp_path("cl.mbp");
	write_file(in, text, strlen(text));
	snprintf(source, sizeof(source), "cachelib:%s", in);
	assert_int_equal(run_record(err, sizeof(err), source, "-o", out, "--ops", "5",
				    NULL), 0);
	struct profile p;
	profile_load(&p, out);
	assert_int_equal(p.n, 5);
	static const uint8_t ops[5] = {MB_OP_GET, MB_OP_GET, MB_OP_GET, MB_OP_SET, MB_OP_DELETE};
	static const uint64_t t[5] = {0, 250000000, 500000000, 750000000, 2000000000};
	for (int i = 0; i < 5; i++) {
		assert_int_equal(p.rec[i].op, ops[i]);
		assert_int_equal(p.rec[i].time_ns, t[i]);
	}
	assert_int_equal(p.rec[3].key_len, 22);
	assert_int_equal(p.rec[3].value_len, 50);
	assert_int_equal(p.stats.keys, 2);
	profile_free(&p);
}

static void test_cli_synth_deterministic(void **state)
{
	(void)state;
	char err[2048];
	const char *a = tmp_path("s1.mbp"), *b = tmp_path("s2.mbp"), *c = tmp_path("s3.mbp");
	const char *args[] = {"synth:zipf", "--ops", "100000", "--keys", "10000", "--alpha", "0.99",
			"--rate", "20000", "--connections", "20", "--value-size",
			"pareto:100,1.2", "--seed"};
	assert_int_equal(run_record(err, sizeof(err), args[0], args[1], args[2], args[3], args[4],
				    args[5], args[6], args[7], args[8], args[9], args[10],
				    args[11], args[12], args[13], "7", "-o", a, NULL), 0);
	assert_int_equal(run_record(err, sizeof(err), args[0], args[1], args[2], args[3], args[4],
				    args[5], args[6], args[7], args[8], args[9], args[10],
				    args[11], args[12], args[13], "7", "-o", b, NULL), 0);
	assert_int_equal(run_record(err, sizeof(err), args[0], args[1], args[2], args[3], args[4],
				    args[5], args[6], args[7], args[8], args[9], args[10],
				    args[11], args[12], args[13], "8", "-o", c, NULL), 0);
	size_t na, nb, nc;
	char *da = read_all(a, &na), *db = read_all(b, &nb), *dc = read_all(c, &nc);
	assert_non_null(da);
	assert_non_null(db);
	assert_non_null(dc);
	assert_int_equal(na, nb);
	assert_memory_equal(da, db, na);
	assert_true(na != nc || memcmp(da, dc, na) != 0);
	free(da);
	free(db);
	free(dc);

	struct profile p;
	profile_load(&p, a);
	assert_int_equal(p.n, 100000);
	assert_int_equal(p.stats.requests, 100000);
	assert_int_equal(p.stats.connections, 20);
	assert_true(p.stats.keys > 5000 && p.stats.keys <= 10000);
	assert_int_equal(p.meta.clock, MB_CLOCK_SYNTHETIC);
	assert_int_equal(p.meta.start_wall_ns, 0);
	assert_string_equal(p.meta.host, "");
	assert_string_equal(p.meta.params,
			    "model=zipf ops=100000 duration=0ns seed=7 keys=10000 alpha=0.99 "
			    "key-size=fixed:16 value-size=pareto:100,1.2 max-value=1000000 "
			    "mix=get:0.9,set:0.1,delete:0 rate=20000 arrival=poisson "
			    "connections=20");
	/* about 5 s of traffic at 20000/s */
	assert_true(p.rec[p.n - 1].time_ns > 4800000000ull &&
		    p.rec[p.n - 1].time_ns < 5200000000ull);
	for (size_t i = 0; i < p.n; i++) {
		assert_int_equal(p.rec[i].key_len, 16);
		assert_true(p.rec[i].op == MB_OP_GET || p.rec[i].op == MB_OP_SET);
		assert_true(p.rec[i].value_len >= 100);
	}
	profile_free(&p);
}

/* The header's params are enough to regenerate the profile: each "key=value" is the option
 * --key value (model= names the source; ops=0 and duration=0ns mean "not given"). */
static void test_cli_synth_regenerate_from_params(void **state)
{
	(void)state;
	char err[2048];
	const char *a = tmp_path("r1.mbp"), *b = tmp_path("r2.mbp");
	assert_int_equal(run_record(err, sizeof(err), "synth:etc", "--duration", "1500ms",
				    "--seed", "99", "--keys", "5000", "--alpha", "1.1", "--mix",
				    "get:8,set:1,delete:1", "--connections", "3", "--value-size",
				    "gpd:15,214.476,0.348238", "--arrival", "poisson", "--rate",
				    "7000", "-o", a, NULL), 0);
	struct profile p;
	profile_load(&p, a);
	char params[MB_META_TEXT_MAX], source[64] = "";
	snprintf(params, sizeof(params), "%s", p.meta.params);
	profile_free(&p);
	const char *args[40];
	int n = 0;
	char *save = NULL;
	for (char *tok = strtok_r(params, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
		char *eq = strchr(tok, '=');
		assert_non_null(eq);
		*eq = '\0';
		if (strcmp(tok, "model") == 0) {
			snprintf(source, sizeof(source), "synth:%s", eq + 1);
			continue;
		}
		if ((strcmp(tok, "ops") == 0 && strcmp(eq + 1, "0") == 0) ||
		    (strcmp(tok, "duration") == 0 && strcmp(eq + 1, "0ns") == 0))
			continue;
		static char opt[20][40];
		int k = n / 2;
		assert_true(k < 20);
		snprintf(opt[k], sizeof(opt[0]), "--%s", tok);
		args[n] = opt[k];
		args[n + 1] = eq + 1;
		n += 2;
	}
	assert_string_equal(source, "synth:etc");
	while (n < 38)
		args[n++] = NULL;
	assert_int_equal(run_record(err, sizeof(err), source, "-o", b, args[0], args[1], args[2],
				    args[3], args[4], args[5], args[6], args[7], args[8], args[9],
				    args[10], args[11], args[12], args[13], args[14], args[15],
				    args[16], args[17], args[18], args[19], args[20], args[21],
				    args[22], args[23], args[24], args[25], args[26], args[27],
				    args[28], args[29], NULL), 0);
	size_t na, nb;
	char *da = read_all(a, &na), *db = read_all(b, &nb);
	assert_non_null(da);
	assert_non_null(db);
	assert_int_equal(na, nb);
	assert_memory_equal(da, db, na);
	free(da);
	free(db);
}

static void test_cli_synth_etc_duration(void **state)
{
	(void)state;
	char err[2048];
	const char *out = tmp_path("etc.mbp");
	assert_int_equal(run_record(err, sizeof(err), "synth:etc", "--duration", "2s", "--rate",
				    "5000", "-o", out, NULL), 0);
	struct profile p;
	profile_load(&p, out);
	assert_true(p.n > 9000 && p.n < 11000);
	assert_true(p.rec[p.n - 1].time_ns < 2000000000ull);
	uint64_t gets = 0;
	for (size_t i = 0; i < p.n; i++) {
		assert_true(p.rec[i].key_len >= 1 && p.rec[i].key_len <= 250);
		gets += p.rec[i].op == MB_OP_GET;
	}
	assert_true((double)gets / (double)p.n > 0.95);
	profile_free(&p);
}

static void test_cli_usage(void **state)
{
	(void)state;
	char err[2048];
	static const char *const sources[] = {"twitter:x", "oracle:x", "cachelib:x", "synth:zipf",
					      "synth:etc"};
	for (size_t i = 0; i < sizeof(sources) / sizeof(sources[0]); i++)
		assert_int_equal(run_record(err, sizeof(err), sources[i], "--help", NULL),
				 0);
	assert_int_equal(run_record(err, sizeof(err), "synth:zipf", "--alpha", "-1", "-o",
				    tmp_path("u.mbp"), NULL), MB_EXIT_USAGE);
	assert_string_equal(err, "membench record: bad value for --alpha: '-1' (expected a Zipf "
				 "exponent from 0 to 100)\n");
	assert_int_equal(run_record(err, sizeof(err), "synth:zipf", "--value-size", "gev:1,2",
				    "-o", tmp_path("u.mbp"), NULL), MB_EXIT_USAGE);
	assert_string_equal(err, "membench record: --value-size: bad distribution 'gev:1,2': "
				 "expected gev:MU,SIGMA,K\n");
	assert_int_equal(run_record(err, sizeof(err), "synth:pareto", "-o",
				    tmp_path("u.mbp"), NULL), MB_EXIT_USAGE);
	assert_int_equal(run_record(err, sizeof(err), "twitter:/nonexistent/t.csv", "-o",
				    tmp_path("u.mbp"), NULL), MB_EXIT_INPUT);
	assert_string_equal(err, "membench record: cannot open /nonexistent/t.csv: No such file "
				 "or directory\n");
	assert_int_equal(run_record(err, sizeof(err), "twitter:x", "--bogus", "-o",
				    tmp_path("u.mbp"), NULL), MB_EXIT_USAGE);
	assert_int_equal(run_record(err, sizeof(err), "twitter:x", NULL), MB_EXIT_USAGE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cli_twitter),
		cmocka_unit_test(test_cli_twitter_keep_keys),
		cmocka_unit_test(test_cli_malformed_row),
		cmocka_unit_test(test_cli_oracle),
		cmocka_unit_test(test_cli_cachelib),
		cmocka_unit_test(test_cli_synth_deterministic),
		cmocka_unit_test(test_cli_synth_regenerate_from_params),
		cmocka_unit_test(test_cli_synth_etc_duration),
		cmocka_unit_test(test_cli_usage),
	};
	return cmocka_run_group_tests(tests, setup_all, teardown_all);
}
