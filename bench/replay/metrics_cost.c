/* bench-replay-metrics-cost: what --metrics costs a replay worker and the metrics thread,
 * measured directly (the closed-loop comparison of metrics.sh is at the mercy of the machine's
 * load).
 *
 * usage: bench-replay-metrics-cost [OPS] [SCRAPES]
 *
 * A worker's stats block is filled as a run fills it (OPS commands used: get, set, delete, ...,
 * 10^6 latencies each spread over 20 us .. 200 ms), then:
 *  1. publish: rp_metrics_publish of that block, 2000 times (a worker does it once a second):
 *     the median and 99th percentile of one call, and the share of a worker's second it takes;
 *  2. scrape: SCRAPES GET /metrics over loopback (default 200) from this thread, each read to
 *     the end; the metrics thread's CPU time (/proc/self/task/TID/schedstat of "mb-metrics")
 *     per scrape, the bytes of one exposition and the wall time per scrape.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "membench/clock.h"
#include "metrics.h"
#include "options.h"
#include "series.h"
#include "stats.h"

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* CPU ns of this process's thread named name, 0 if none. */
static uint64_t thread_cpu_ns(const char *name)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;
	uint64_t ns = 0;
	while (d && (e = readdir(d))) {
		char path[300], comm[64] = "";
		snprintf(path, sizeof(path), "/proc/self/task/%s/comm", e->d_name);
		FILE *f = fopen(path, "r");
		if (!f)
			continue;
		if (fgets(comm, sizeof(comm), f))
			comm[strcspn(comm, "\n")] = '\0';
		fclose(f);
		if (strcmp(comm, name) != 0)
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%s/schedstat", e->d_name);
		f = fopen(path, "r");
		if (f && fscanf(f, "%" SCNu64, &ns) != 1)
			ns = 0;
		if (f)
			fclose(f);
	}
	if (d)
		closedir(d);
	return ns;
}

/* GET /metrics on 127.0.0.1:port, read to the end. @return bytes read, or 0 on failure. */
static size_t scrape(unsigned port)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	size_t total = 0;
	if (fd < 0)
		return 0;
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0) {
		static const char req[] = "GET /metrics HTTP/1.0\r\n\r\n";
		if (write(fd, req, sizeof(req) - 1) == (ssize_t)(sizeof(req) - 1)) {
			char buf[65536];
			ssize_t n;
			while ((n = read(fd, buf, sizeof(buf))) > 0)
				total += (size_t)n;
		}
	}
	close(fd);
	return total;
}

int main(int argc, char **argv)
{
	unsigned nops = argc > 1 ? (unsigned)atoi(argv[1]) : 3;
	int nscrapes = argc > 2 ? atoi(argv[2]) : 200;
	static const unsigned ops[] = {MB_OP_GET, MB_OP_SET, MB_OP_DELETE, MB_OP_GETS, MB_OP_INCR,
				       MB_OP_TOUCH, MB_OP_ADD, MB_OP_APPEND};
	if (nops < 1 || nops > sizeof(ops) / sizeof(ops[0]) || nscrapes < 1) {
		fprintf(stderr, "usage: %s [OPS 1..8] [SCRAPES]\n", argv[0]);
		return 2;
	}
	struct rp_opts o = {.metrics_addr = "127.0.0.1:0", .nservers = 1};
	snprintf(o.servers[0].spec, sizeof(o.servers[0].spec), "127.0.0.1:11211");
	struct rp_metrics *m;
	struct rp_series series;
	struct rp_stats st;
	if (rp_metrics_open(&m, &o, 0) || rp_series_init(&series) || rp_stats_init(&st))
		return 1;
	if (rp_metrics_begin(m, 1, 1, &series, 1000, mb_mono_ns()))
		return 1;
	uint64_t x = 88172645463325252ull;
	for (unsigned k = 0; k < nops; k++) {
		struct rp_opstats *os = &st.op[ops[k]];
		if (rp_opstats_use(os))
			return 1;
		for (int i = 0; i < 1000000; i++) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			uint64_t v = 20000 + x % 200000000ull / (1 + x % 1000);
			mb_hist_record(&os->corr, v);
			mb_hist_record(&os->uncorr, v / 2);
			mb_hist_record(&st.corr, v);
			mb_hist_record(&st.uncorr, v / 2);
			mb_hist_record(&st.lag, v / 4);
			mb_hist_record(&st.gen_lag, v / 8);
			os->sent++;
		}
	}
	unsigned up = 1;
	uint64_t fl = 0;
	struct rp_metrics_view v = {.st = &st, .up = &up, .srv_inflight = &fl};
	enum { N = 2000 };
	static uint64_t t[N];
	for (int i = 0; i < N; i++) {
		uint64_t a = mb_mono_ns();
		rp_metrics_publish(m, 0, &v, true);
		t[i] = mb_mono_ns() - a;
	}
	qsort(t, N, sizeof(t[0]), cmp_u64);
	printf("publish (%u commands used): median %.1f us, p99 %.1f us per call = %.4f%% of a "
	       "worker's second at one call per second\n", nops, (double)t[N / 2] / 1e3,
	       (double)t[N * 99 / 100] / 1e3, (double)t[N / 2] / 1e7);

	unsigned port = rp_metrics_port(m);
	uint64_t cpu0 = thread_cpu_ns("mb-metrics"), w0 = mb_mono_ns();
	size_t bytes = 0;
	for (int i = 0; i < nscrapes; i++)
		bytes = scrape(port);
	uint64_t wall = mb_mono_ns() - w0, cpu = thread_cpu_ns("mb-metrics") - cpu0;
	if (!bytes) {
		fprintf(stderr, "scrape of port %u failed\n", port);
		return 1;
	}
	printf("scrape: %zu bytes, metrics thread CPU %.0f us per scrape, wall %.0f us per scrape "
	       "(%d scrapes)\n", bytes, (double)cpu / nscrapes / 1e3,
	       (double)wall / nscrapes / 1e3, nscrapes);
	rp_metrics_close(m, 0);
	rp_stats_free(&st);
	rp_series_free(&series);
	return 0;
}
