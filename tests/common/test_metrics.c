/* Unit tests for the --metrics server and exposition writer (common/metrics.c): label escaping
 * and its bounds, number formats, address parsing errors, and a real server on loopback
 * answering GET /metrics (the render's text, the 0.0.4 Content-Type), 404, 405, HEAD, several
 * scrapes in a row, a port in use, and a clean stop. */
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "membench/metrics.h"

static void test_label_escaping(void **state)
{
	(void)state;
	char lb[64] = "";
	assert_int_equal(mb_prom_label(lb, sizeof(lb), "op", "get"), 0);
	assert_int_equal(mb_prom_label(lb, sizeof(lb), "server", "a\\b\"c\nd"), 0);
	assert_string_equal(lb, "op=\"get\",server=\"a\\\\b\\\"c\\nd\"");
	/* does not fit: -ENOSPC and the text is left as it was */
	char small[16] = "op=\"get\"";
	assert_int_equal(mb_prom_label(small, sizeof(small), "server", "127.0.0.1:11211"), -ENOSPC);
	assert_string_equal(small, "op=\"get\"");
	/* exactly fits: x="abc" is 7 characters + NUL */
	char exact[8] = "";
	assert_int_equal(mb_prom_label(exact, sizeof(exact), "x", "abc"), 0);
	assert_string_equal(exact, "x=\"abc\"");
	char one_short[7] = "";
	assert_int_equal(mb_prom_label(one_short, sizeof(one_short), "x", "abc"), -ENOSPC);
	assert_string_equal(one_short, "");
}

static void test_samples(void **state)
{
	(void)state;
	struct mb_prom p = {0};
	mb_prom_family(&p, "a_total", "counter", "Things.");
	mb_prom_u64(&p, "a_total", "op=\"get\"", UINT64_MAX);
	mb_prom_u64(&p, "a_total", NULL, 0);
	mb_prom_f64(&p, "g", "", 0.000193);
	mb_prom_f64(&p, "g", "", NAN);
	mb_prom_f64(&p, "g", "", INFINITY);
	mb_prom_f64(&p, "g", "", -INFINITY);
	mb_prom_f64(&p, "g", "", 1e300);
	assert_int_equal(p.err, 0);
	assert_non_null(p.buf.data);
	assert_true(mb_buf_append(&p.buf, "", 1) == 0); /* NUL-terminate to compare */
	assert_string_equal(p.buf.data, "# HELP a_total Things.\n# TYPE a_total counter\n"
			    "a_total{op=\"get\"} 18446744073709551615\na_total 0\ng 0.000193\n"
			    "g NaN\ng +Inf\ng -Inf\ng 1e+300\n");
	mb_buf_free(&p.buf);
}

static void test_bad_addresses(void **state)
{
	(void)state;
	static const struct {
		const char *addr, *msg;
	} bad[] = {
		{"9100", "expected ADDR:PORT"},
		{"127.0.0.1:", "bad port ''"},
		{"127.0.0.1:65536", "bad port '65536'"},
		{"127.0.0.1:-1", "bad port '-1'"},
		{"127.0.0.1:12ab", "bad port '12ab'"},
		{"::1:9100", "brackets"},
		{"[::1:9100", "unbalanced"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct mb_metrics *m = (struct mb_metrics *)1;
		char err[256] = "";
		int rc = mb_metrics_start(&m, bad[i].addr, NULL, NULL, err, sizeof(err));
		if (rc != -EINVAL || !strstr(err, bad[i].msg))
			fail_msg("%s: rc %d, message '%s'", bad[i].addr, rc, err);
		assert_null(m);
	}
	struct mb_metrics *m;
	char err[256] = "";
	assert_int_equal(mb_metrics_start(&m, "nohost.invalid:0", NULL, NULL, err, sizeof(err)),
			 -ENOENT);
	assert_non_null(strstr(err, "cannot resolve 'nohost.invalid'"));
}

static int renders;

static void render(void *ctx, struct mb_prom *p)
{
	(void)ctx;
	renders++;
	mb_prom_family(p, "t_total", "counter", "Test.");
	mb_prom_u64(p, "t_total", NULL, (uint64_t)renders);
}

/* Sends req to 127.0.0.1:port and reads the reply to the end into buf (NUL-terminated). */
static void http(unsigned port, const char *req, char *buf, size_t len)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_true(fd >= 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(write(fd, req, strlen(req)), (ssize_t)strlen(req));
	size_t n = 0;
	ssize_t k;
	while (n + 1 < len && (k = read(fd, buf + n, len - 1 - n)) > 0)
		n += (size_t)k;
	buf[n] = '\0';
	close(fd);
}

static void test_server(void **state)
{
	(void)state;
	struct mb_metrics *m;
	char err[256] = "", buf[4096];
	renders = 0;
	assert_int_equal(mb_metrics_start(&m, "127.0.0.1:0", render, NULL, err, sizeof(err)), 0);
	unsigned port = mb_metrics_port(m);
	assert_true(port > 0);
	char url[64];
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/metrics", port);
	assert_string_equal(mb_metrics_url(m), url);
	for (int i = 1; i <= 3; i++) {
		http(port, "GET /metrics HTTP/1.0\r\n\r\n", buf, sizeof(buf));
		assert_non_null(strstr(buf, "HTTP/1.0 200"));
		assert_non_null(strstr(buf, "Content-Type: text/plain; version=0.0.4; charset=utf-8"));
		char want[64];
		snprintf(want, sizeof(want), "\r\n\r\n# HELP t_total Test.\n# TYPE t_total counter\n"
			 "t_total %d\n", i);
		assert_non_null(strstr(buf, want));
	}
	http(port, "GET /metrics?x=1 HTTP/1.0\r\n\r\n", buf, sizeof(buf));
	assert_non_null(strstr(buf, "t_total 4"));
	http(port, "HEAD /metrics HTTP/1.0\r\n\r\n", buf, sizeof(buf));
	assert_non_null(strstr(buf, " 200 "));
	assert_null(strstr(buf, "t_total"));
	http(port, "GET / HTTP/1.0\r\n\r\n", buf, sizeof(buf));
	assert_non_null(strstr(buf, " 404 "));
	http(port, "POST /metrics HTTP/1.0\r\nContent-Length: 0\r\n\r\n", buf, sizeof(buf));
	assert_non_null(strstr(buf, " 405 "));
	/* the port is taken now */
	struct mb_metrics *m2;
	snprintf(url, sizeof(url), "127.0.0.1:%u", port);
	assert_int_equal(mb_metrics_start(&m2, url, render, NULL, err, sizeof(err)), -EADDRINUSE);
	assert_string_equal(err, "cannot bind: Address already in use");
	mb_metrics_stop(m);
	/* stopped: the port is free again */
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_not_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	close(fd);
	mb_metrics_stop(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_label_escaping),
		cmocka_unit_test(test_samples),
		cmocka_unit_test(test_bad_addresses),
		cmocka_unit_test(test_server),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
