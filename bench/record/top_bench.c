/* bench-record-top: what `membench record --top` costs per record and in memory, and how close
 * its hot-key list is to the truth, on a Zipf stream with millions of distinct keys.
 *
 * The stream: N records (default 10M) over K keys (default 5M, "key:RANK"), ranks drawn from
 * Zipf(s) (default 0.99, seeded), each a get of a 100-byte value. Three loops over the same
 * stream, each ROUNDS times (median printed):
 *   base    format the key only (the floor every loop pays)
 *   top     format + capture_top_add (the --top consumer, as the capture calls it)
 *   writer  format + mb_profile_writer_append (anonymous keys) into a temporary profile: the
 *           work every capture already does per record, the peer --top is compared with
 * ns/record are the loop's thread CPU time minus base's. Memory: the growth of VmRSS while each consumer
 * takes the whole stream (top: fixed sketches; writer: its key table grows with distinct keys).
 * Accuracy: --top's final "by requests" list (keys kept) against exact counts: every listed key's
 * count is within [true, true + W/4096], and the true top rows are all listed.
 *
 * Usage: bench-record-top [N [K [S [ROUNDS]]]]
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "capture/top.h"
#include "membench/clock.h"
#include "membench/profile.h"
#include "synth/dist.h"
#include "synth/rng.h"

static long rss_kb(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long kb = -1;
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %ld", &kb) == 1)
			break;
	if (f)
		fclose(f);
	return kb;
}

/* CPU time of this thread: the machine is shared, and wall time counts the other sessions. */
static uint64_t cpu_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

enum loop { LOOP_BASE, LOOP_TOP, LOOP_WRITER, NLOOPS };
static const char *const loop_names[NLOOPS] = {"base", "top", "writer"};

struct run_result {
	double ns;
	long rss_growth_kb;
};

static volatile size_t sink_len;

/* One pass of loop l over ranks[0..n). keep: --keep-keys (for the accuracy pass), report: the
 * final table's output (NULL: /dev/null). */
static int run_loop(enum loop l, const uint32_t *ranks, size_t n, bool keep, FILE *report,
		    struct run_result *res)
{
	char key[32], path[] = "/tmp/bench-top-XXXXXX";
	struct capture_top *t = NULL;
	struct mb_profile_writer *w = NULL;
	FILE *null = fopen("/dev/null", "w");
	int rc = 0;
	long rss0 = rss_kb();
	uint64_t t0 = cpu_ns();
	if (l == LOOP_TOP) {
		struct capture_top_opts o = {.rows = 10, .refresh_ns = UINT64_MAX, .start_ns = mb_mono_ns(),
					     .key_mode = keep ? MB_KEYS_KEPT : MB_KEYS_ANON,
					     .sample = 1.0, .out = report ? report : null};
		if ((rc = capture_top_new(&t, &o)))
			goto cleanup;
	} else if (l == LOOP_WRITER) {
		int fd = mkstemp(path);
		if (fd < 0)
			return -errno;
		close(fd);
		struct mb_profile_meta meta = {.clock = MB_CLOCK_SYNTHETIC, .sample_ratio = 1.0};
		char err[256];
		if ((rc = mb_profile_writer_open(&w, path, &meta, NULL, err, sizeof(err))))
			goto cleanup;
	}
	for (size_t i = 0; i < n; i++) {
		struct mb_record r = {.time_ns = i * 1000, .op = MB_OP_GET, .status = MB_STATUS_HIT,
				      .value_len = 100};
		r.key_len = (uint32_t)snprintf(key, sizeof(key), "key:%u", ranks[i]);
		if (l == LOOP_TOP)
			capture_top_add(t, &r, key, r.key_len);
		else if (l == LOOP_WRITER && (rc = mb_profile_writer_append(w, &r, key, r.key_len)))
			goto cleanup;
		else
			sink_len += (size_t)key[r.key_len - 1];
	}
	res->ns = (double)(cpu_ns() - t0) / (double)n;
	res->rss_growth_kb = rss_kb() - rss0;
	if (t) {
		struct capture_top_losses none = {0};
		rc = capture_top_tick(t, mb_mono_ns(), &none, true);
	}
cleanup:
	capture_top_free(t);
	if (w) {
		mb_profile_writer_close(w, NULL, 0);
		unlink(path);
	}
	if (null)
		fclose(null);
	return rc;
}

int main(int argc, char **argv)
{
	size_t n = argc > 1 ? strtoull(argv[1], NULL, 10) : 10000000;
	uint64_t k = argc > 2 ? strtoull(argv[2], NULL, 10) : 5000000;
	double s = argc > 3 ? strtod(argv[3], NULL) : 0.99;
	int rounds = argc > 4 ? atoi(argv[4]) : 3;
	if (!n || !k || rounds < 1 || rounds > 99) {
		fprintf(stderr, "usage: bench-record-top [N [K [S [ROUNDS]]]]\n");
		return 2;
	}
	uint32_t *ranks = malloc(n * sizeof(*ranks));
	uint32_t *truth = calloc(k + 1, sizeof(*truth));
	struct zipf z;
	struct rng rng;
	if (!ranks || !truth || zipf_init(&z, k, s)) {
		fprintf(stderr, "bench-record-top: cannot set up the stream\n");
		return 1;
	}
	rng_seed(&rng, 42);
	uint64_t distinct = 0;
	for (size_t i = 0; i < n; i++) {
		ranks[i] = (uint32_t)zipf_sample(&z, &rng);
		distinct += truth[ranks[i]]++ == 0;
	}
	printf("stream: %zu records, %llu distinct keys of %llu, Zipf s=%.2f, %d rounds\n", n,
	       (unsigned long long)distinct, (unsigned long long)k, s, rounds);

	double ns[NLOOPS][99];
	long rss[NLOOPS] = {0};
	for (int r = 0; r < rounds; r++)
		for (int l = 0; l < NLOOPS; l++) {
			struct run_result res;
			if (run_loop((enum loop)l, ranks, n, false, NULL, &res)) {
				fprintf(stderr, "bench-record-top: %s loop failed\n", loop_names[l]);
				return 1;
			}
			ns[l][r] = res.ns;
			if (res.rss_growth_kb > rss[l])
				rss[l] = res.rss_growth_kb;
		}
	double med[NLOOPS];
	for (int l = 0; l < NLOOPS; l++) {
		qsort(ns[l], (size_t)rounds, sizeof(double), cmp_double);
		med[l] = ns[l][rounds / 2];
	}
	double top = med[LOOP_TOP] - med[LOOP_BASE], wr = med[LOOP_WRITER] - med[LOOP_BASE];
	printf("ns/record (median, minus the key formatting of base %.1f ns): top %.1f, writer %.1f, "
	       "top / writer %.2f\n", med[LOOP_BASE], top, wr, top / wr);
	printf("RSS growth over the stream: top %ld kB, writer %ld kB\n", rss[LOOP_TOP],
	       rss[LOOP_WRITER]);

	/* accuracy: the final table with keys kept, against truth */
	char *buf = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&buf, &len);
	struct run_result res;
	if (!mem || run_loop(LOOP_TOP, ranks, n, true, mem, &res)) {
		fprintf(stderr, "bench-record-top: accuracy pass failed\n");
		return 1;
	}
	fclose(mem);
	uint64_t bound = n / TOP_COUNTERS, worst = 0;
	int listed = 0, bad = 0, top_ranks = 0;
	for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) {
		char list[16], key[64], count[32];
		unsigned rank;
		if (sscanf(line, "%15s %u %63s %*u %31s", list, &rank, key, count) != 4 ||
		    strcmp(list, "requests"))
			continue;
		unsigned kr;
		if (sscanf(key, "key:%u", &kr) != 1 || kr > k)
			continue;
		uint64_t c = strtoull(count[0] == '~' ? count + 1 : count, NULL, 10);
		uint64_t over = c - truth[kr];
		if (c < truth[kr] || over > bound)
			bad++;
		if (over > worst)
			worst = over;
		top_ranks += kr <= 10;
		listed++;
		printf("  %2u key:%-8u listed %8llu  true %8u  over by %llu\n", rank, kr,
		       (unsigned long long)c, truth[kr], (unsigned long long)over);
	}
	printf("accuracy: %d rows, %d outside [true, true + W/4096 = %llu], worst over-count %llu; "
	       "%d of the 10 most popular ranks listed\n", listed, bad, (unsigned long long)bound,
	       (unsigned long long)worst, top_ranks);
	free(buf);
	free(ranks);
	free(truth);
	return bad || listed != 10 ? 1 : 0;
}
