/* Profile format benchmark: writer and full-scan reader throughput on one core, and file size
 * on a synthetic Zipf workload, compared in the same run against the same requests written as
 * a Twitter cache-trace CSV compressed with `zstd -19`.
 *
 * Workload (all from a fixed seed): N get/set requests (90% get) over K keys whose popularity
 * follows Zipf(alpha) (rank r drawn with probability proportional to 1/r^alpha by the workload
 * generator's own sampler and random numbers, record/synth: rejection-inversion, xoshiro256**);
 * each key has a fixed anonymised identity, key size (10..49),
 * value size (a log-uniform 1 B..64 KiB) and TTL (one of 0, 60, 3600, 86400 for sets; 0 for
 * gets, as in the Twitter traces); one of 100 client ids per request; the arrival rate is
 * 100,000 requests/s. Timestamps have the CSV's one-second resolution by default (so both files
 * hold the same information); --time-res us gives each request a Poisson arrival time in
 * microseconds instead (the CSV cannot express that, so its size is then not comparable).
 *
 * The requests are generated as struct mb_record before timing starts (as a producer would hold
 * them), so the writer figure is the cost of appending them, including key identity lookup,
 * column encoding, zstd compression and file writes (to --dir). The reader figure is open + read_block of every block (decompress, verify, decode
 * columns) + a checksum over the records. Each timing is repeated --runs times; the median is
 * printed.
 *
 * Usage: bench_profile [--requests N] [--keys K] [--alpha A] [--runs R] [--level L]
 *                      [--block RECORDS] [--time-res s|us] [--dir DIR] [--no-csv] [--keep]
 * --keep leaves the profile in DIR (to inspect it with membench analyze).
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "membench/clock.h"
#include "membench/error.h"
#include "membench/mix.h"
#include "membench/profile.h"
#include "synth/dist.h"
#include "synth/rng.h"

struct opts {
	uint64_t requests, keys;
	double alpha;
	int runs, level;
	uint32_t block;
	int time_us;
	const char *dir;
	int csv;
	int keep;
};

/* Compact pre-generated workload, and per-key facts by rank. */
struct workload {
	uint64_t n, keys;
	uint64_t *kident;
	uint32_t *ksize, *vsize;
	int32_t *kttl;
	uint32_t *rank;   /* key rank (0 = most popular) */
	uint8_t *is_set;
	uint8_t *client;
	uint64_t *time_ns;
	struct mb_record *recs; /* the requests as the producer hands them to the writer */
};


/* Per-key facts, derived from the rank so both outputs agree without storing them. */
static uint64_t key_ident(uint32_t rank)
{
	return mb_mix64(rank + 1);
}

static uint32_t key_size(uint32_t rank)
{
	return 10 + (uint32_t)(mb_mix64(rank ^ 0x1111) % 40);
}

static uint32_t value_size(uint32_t rank)
{
	/* log-uniform over 1 B .. 64 KiB */
	double u = (double)(mb_mix64(rank ^ 0x2222) >> 11) * (1.0 / 9007199254740992.0);
	return (uint32_t)exp(u * log(65536.0));
}

static int32_t key_ttl(uint32_t rank)
{
	static const int32_t ttls[] = {0, 60, 3600, 86400};
	return ttls[mb_mix64(rank ^ 0x3333) % 4];
}

static void fill_record(const struct workload *w, uint64_t i, struct mb_record *r)
{
	uint32_t rank = w->rank[i];
	memset(r, 0, sizeof(*r));
	r->time_ns = w->time_ns[i];
	r->key_id = w->kident[rank];
	r->key_len = w->ksize[rank];
	r->value_len = w->vsize[rank];
	r->conn_id = w->client[i];
	r->op = w->is_set[i] ? MB_OP_SET : MB_OP_GET;
	r->proto = MB_PROTO_TEXT;
	r->ttl = w->is_set[i] ? w->kttl[rank] : 0;
}

static int gen_workload(const struct opts *o, struct workload *w)
{
	/* the workload generator's own sampler and random numbers (record/synth), fixed seed */
	struct zipf z;
	struct rng g;
	if (zipf_init(&z, o->keys, o->alpha))
		return -EINVAL;
	rng_seed(&g, 1);
	w->n = o->requests;
	w->keys = o->keys;
	w->kident = malloc(w->keys * sizeof(*w->kident));
	w->ksize = malloc(w->keys * sizeof(*w->ksize));
	w->vsize = malloc(w->keys * sizeof(*w->vsize));
	w->kttl = malloc(w->keys * sizeof(*w->kttl));
	w->rank = malloc(w->n * sizeof(*w->rank));
	w->is_set = malloc(w->n);
	w->client = malloc(w->n);
	w->time_ns = malloc(w->n * sizeof(*w->time_ns));
	if (!w->rank || !w->is_set || !w->client || !w->time_ns || !w->kident || !w->ksize ||
	    !w->vsize || !w->kttl)
		return -ENOMEM;
	for (uint32_t r = 0; r < w->keys; r++) {
		w->kident[r] = key_ident(r);
		w->ksize[r] = key_size(r);
		w->vsize[r] = value_size(r);
		w->kttl[r] = key_ttl(r);
	}
	const double rate = 100000.0; /* requests per second */
	double t_us = 0;
	for (uint64_t i = 0; i < w->n; i++) {
		w->rank[i] = (uint32_t)(zipf_sample(&z, &g) - 1);
		w->is_set[i] = rng_below(&g, 10) == 0;
		w->client[i] = (uint8_t)rng_below(&g, 100);
		if (o->time_us) {
			t_us += -log(rng_double(&g)) * (1e6 / rate);
			w->time_ns[i] = (uint64_t)t_us * 1000;
		} else {
			w->time_ns[i] = (i / (uint64_t)rate) * 1000000000ULL;
		}
	}
	if (!(w->recs = malloc(w->n * sizeof(*w->recs))))
		return -ENOMEM;
	for (uint64_t i = 0; i < w->n; i++)
		fill_record(w, i, &w->recs[i]);
	return 0;
}

/* CPU time of this thread: the "one core" figure stays honest when other work shares the
 * machine's cores (wall time is printed too). */
static double cpu_s(void)
{
	return (double)mb_thread_cpu_ns() * 1e-9;
}

static double now_s(void)
{
	return (double)mb_mono_ns() * 1e-9;
}

struct timing {
	double cpu, wall;
};

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static int write_profile(const struct opts *o, const struct workload *w, const char *path,
			 struct timing *tm)
{
	struct mb_profile_meta meta = {0};
	snprintf(meta.creator, sizeof(meta.creator), "bench_profile");
	snprintf(meta.source, sizeof(meta.source), "synth:zipf");
	snprintf(meta.params, sizeof(meta.params), "requests=%" PRIu64 " keys=%" PRIu64 " alpha=%g",
		 o->requests, o->keys, o->alpha);
	meta.clock = MB_CLOCK_SYNTHETIC;
	meta.key_mode = MB_KEYS_ANON;
	meta.sample_ratio = 1.0;
	struct mb_profile_writer_opts wo = {.zstd_level = o->level, .block_records = o->block};
	struct mb_profile_writer *pw;
	char err[512];
	double c0 = cpu_s(), t0 = now_s();
	int rc = mb_profile_writer_open(&pw, path, &meta, &wo, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "bench_profile: %s\n", err);
		return rc;
	}
	for (uint64_t i = 0; i < w->n && !rc; i++)
		rc = mb_profile_writer_append(pw, &w->recs[i], NULL, 0);
	int rc2 = mb_profile_writer_close(pw, err, sizeof(err));
	tm->cpu = cpu_s() - c0;
	tm->wall = now_s() - t0;
	if (rc || rc2) {
		fprintf(stderr, "bench_profile: write failed: %s\n", mb_strerror(rc ? rc : rc2));
		return rc ? rc : rc2;
	}
	return 0;
}

static int read_profile(const char *path, uint64_t expect, struct timing *tm, uint64_t *check)
{
	struct mb_profile_reader *r;
	char err[512];
	double c0 = cpu_s(), t0 = now_s();
	int rc = mb_profile_reader_open(&r, path, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "bench_profile: %s\n", err);
		return rc;
	}
	uint64_t total = 0, sum = 0;
	for (size_t b = 0; b < mb_profile_reader_block_count(r); b++) {
		const struct mb_record *recs;
		size_t n;
		if ((rc = mb_profile_reader_read_block(r, b, &recs, &n))) {
			fprintf(stderr, "bench_profile: %s\n", mb_profile_reader_errmsg(r));
			break;
		}
		for (size_t i = 0; i < n; i++)
			sum += recs[i].key_id + recs[i].value_len + recs[i].time_ns;
		total += n;
	}
	mb_profile_reader_close(r);
	tm->cpu = cpu_s() - c0;
	tm->wall = now_s() - t0;
	*check = sum;
	if (!rc && total != expect) {
		fprintf(stderr, "bench_profile: read %" PRIu64 " records, wrote %" PRIu64 "\n", total,
			expect);
		rc = MB_E_CORRUPT;
	}
	return rc;
}

/* The same requests as a Twitter cache-trace CSV: timestamp,key,key_size,value_size,client_id,
 * op,ttl. The anonymised key is the key identity in base64url (11 characters). */
static int write_csv(const struct workload *w, const char *path)
{
	static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	FILE *f = fopen(path, "w");
	if (!f)
		return -errno;
	for (uint64_t i = 0; i < w->n; i++) {
		uint32_t rank = w->rank[i];
		uint64_t id = w->kident[rank];
		char key[12];
		for (int c = 0; c < 11; c++)
			key[c] = b64[(id >> (6 * c)) & 63];
		key[11] = '\0';
		fprintf(f, "%" PRIu64 ",%s,%u,%u,%u,%s,%d\n", w->time_ns[i] / UINT64_C(1000000000), key,
			w->ksize[rank], w->vsize[rank], w->client[i], w->is_set[i] ? "set" : "get",
			w->is_set[i] ? w->kttl[rank] : 0);
	}
	return fclose(f) ? -errno : 0;
}

static uint64_t file_size(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 ? (uint64_t)st.st_size : 0;
}

static int parse_args(int argc, char **argv, struct opts *o)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (strcmp(a, "--no-csv") == 0) {
			o->csv = 0;
			continue;
		}
		if (strcmp(a, "--keep") == 0) {
			o->keep = 1;
			continue;
		}
		if (strcmp(a, "--help") == 0 || !v) {
			fprintf(a && strcmp(a, "--help") == 0 ? stdout : stderr,
				"usage: bench_profile [--requests N] [--keys K] [--alpha A] [--runs R]\n"
				"                     [--level L] [--block RECORDS] [--time-res s|us] [--dir DIR] [--no-csv]\n");
			return strcmp(a, "--help") == 0 ? 1 : -1;
		}
		i++;
		if (strcmp(a, "--requests") == 0)
			o->requests = strtoull(v, NULL, 10);
		else if (strcmp(a, "--keys") == 0)
			o->keys = strtoull(v, NULL, 10);
		else if (strcmp(a, "--alpha") == 0)
			o->alpha = strtod(v, NULL);
		else if (strcmp(a, "--runs") == 0)
			o->runs = atoi(v);
		else if (strcmp(a, "--block") == 0)
			o->block = (uint32_t)strtoul(v, NULL, 10);
		else if (strcmp(a, "--level") == 0)
			o->level = atoi(v);
		else if (strcmp(a, "--time-res") == 0)
			o->time_us = strcmp(v, "us") == 0;
		else if (strcmp(a, "--dir") == 0)
			o->dir = v;
		else {
			fprintf(stderr, "bench_profile: unknown option %s\n", a);
			return -1;
		}
	}
	if (!o->requests || !o->keys || o->keys > UINT32_MAX || o->runs < 1 || o->runs > 100) {
		fprintf(stderr, "bench_profile: bad --requests, --keys or --runs\n");
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct opts o = {.requests = 10000000, .keys = 1000000, .alpha = 0.99, .runs = 5,
			 .level = 0, .dir = "/tmp", .csv = 1};
	int rc = parse_args(argc, argv, &o);
	if (rc)
		return rc > 0 ? 0 : 2;
	setvbuf(stdout, NULL, _IOLBF, 0); /* progress lines show up as they happen */
	struct workload w = {0};
	char path[4096], csv[4200], zst[4300], cmd[9000];
	snprintf(path, sizeof(path), "%s/bench_profile.%d.mbp", o.dir, (int)getpid());
	snprintf(csv, sizeof(csv), "%s.csv", path);
	snprintf(zst, sizeof(zst), "%s.csv.zst", path);

	printf("workload: %" PRIu64 " requests (90%% get, 10%% set), %" PRIu64
	       " keys, Zipf(%g), 100 clients, time resolution %s\n",
	       o.requests, o.keys, o.alpha, o.time_us ? "1 us (Poisson)" : "1 s");
	if ((rc = gen_workload(&o, &w))) {
		fprintf(stderr, "bench_profile: out of memory\n");
		return 1;
	}
	double wc[100], ww[100], rc_[100], rw[100];
	uint64_t check = 0;
	for (int i = 0; i < o.runs; i++) {
		struct timing wt, rt;
		if ((rc = write_profile(&o, &w, path, &wt)) ||
		    (rc = read_profile(path, w.n, &rt, &check)))
			goto cleanup;
		wc[i] = wt.cpu, ww[i] = wt.wall, rc_[i] = rt.cpu, rw[i] = rt.wall;
		printf("run %d: write %.3f s cpu / %.3f s wall, read %.3f s cpu / %.3f s wall\n",
		       i + 1, wt.cpu, wt.wall, rt.cpu, rt.wall);
	}
	uint64_t psize = file_size(path);
	double n = (double)w.n;
	printf("writer:  %.2f M records/s per cpu-second (wall: %.2f M/s), median of %d\n",
	       n / median(wc, o.runs) / 1e6, n / median(ww, o.runs) / 1e6, o.runs);
	printf("reader:  %.2f M records/s per cpu-second (wall: %.2f M/s), median of %d, full scan\n",
	       n / median(rc_, o.runs) / 1e6, n / median(rw, o.runs) / 1e6, o.runs);
	printf("profile: %" PRIu64 " bytes, %.3f bytes/request (checksum %" PRIu64 ")\n", psize,
	       (double)psize / (double)w.n, check);
	if (o.csv) {
		if ((rc = write_csv(&w, csv))) {
			fprintf(stderr, "bench_profile: %s: %s\n", csv, mb_strerror(rc));
			goto cleanup;
		}
		snprintf(cmd, sizeof(cmd), "zstd -19 -T1 -q -f '%s' -o '%s'", csv, zst);
		double t0 = now_s();
		if (system(cmd) != 0) {
			fprintf(stderr, "bench_profile: %s failed\n", cmd);
			rc = 1;
			goto cleanup;
		}
		double zt = now_s() - t0;
		uint64_t csize = file_size(csv), zsize = file_size(zst);
		printf("csv:     %" PRIu64 " bytes raw, %" PRIu64 " bytes with zstd -19 (%.1f s), "
		       "%.3f bytes/request\n",
		       csize, zsize, zt, (double)zsize / (double)w.n);
		printf("ratio:   profile / csv.zst = %.3f%s\n", (double)psize / (double)zsize,
		       o.time_us ? " (not comparable: the CSV keeps only seconds)" : "");
	}
cleanup:
	if (o.keep)
		printf("kept:    %s\n", path);
	else
		remove(path);
	remove(csv);
	remove(zst);
	free(w.rank);
	free(w.is_set);
	free(w.client);
	free(w.time_ns);
	free(w.kident);
	free(w.ksize);
	free(w.vsize);
	free(w.kttl);
	free(w.recs);
	return rc ? 1 : 0;
}
