/* Codec tests: text/meta/binary parsing at every split point, pairing, gaps, bad input and
 * encoding (tests/proto/transcripts/ holds transcripts recorded from real clients). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "membench/error.h"
#include "transcript.h"

#define S(x) x, sizeof(x) - 1

/* Runs t in every split mode and checks each rendering equals the whole-event one; returns
 * that rendering (caller frees). */
static char *run_all_splits(const struct transcript *t, const struct mb_proto_opts *opts)
{
	struct mb_buf ref = {0};
	assert_int_equal(tr_run(t, 0, opts, &ref), 0);
	size_t maxlen = 0;
	for (size_t i = 0; i < t->nev; i++)
		if (t->ev[i].len > maxlen)
			maxlen = t->ev[i].len;
	for (int mode = 1; mode < (int)maxlen + 2; mode++) {
		struct mb_buf got = {0};
		assert_int_equal(tr_run(t, mode, opts, &got), 0);
		if (got.len != ref.len || memcmp(got.data, ref.data, ref.len) != 0) {
			fprintf(stderr, "split mode %d differs:\n--- whole\n%.*s--- split\n%.*s", mode,
				(int)ref.len, ref.data, (int)got.len, got.data);
			fail();
		}
		mb_buf_free(&got);
	}
	assert_int_equal(mb_buf_append(&ref, "", 1), 0);
	return ref.data;
}

static void expect_text(const char *got, const char *want)
{
	if (strcmp(got, want) != 0) {
		fprintf(stderr, "--- want\n%s--- got\n%s", want, got);
		fail();
	}
}

static void test_text_pipeline(void **state)
{
	(void)state;
	struct transcript t = {0};
	tr_add(&t, MB_DIR_REQUEST, 100,
	       S("get a b c\r\nset k 5 10 3\r\nabc\r\nset n 0 0 1 noreply\r\nx\r\ndelete k\r\n"
		 "incr n 5\r\ntouch k 10\r\nstats\r\nversion\r\nverbosity 1\r\nflush_all\r\n"
		 "bogus\r\nquit\r\n"));
	tr_add(&t, MB_DIR_RESPONSE, 200,
	       S("VALUE a 0 1\r\n1\r\nVALUE c 7 2\r\n22\r\nEND\r\nSTORED\r\nDELETED\r\n6\r\n"));
	tr_add(&t, MB_DIR_RESPONSE, 300,
	       S("NOT_FOUND\r\nSTAT pid 1\r\nSTAT uptime 2\r\nEND\r\nVERSION 1.6.18\r\nOK\r\nOK\r\n"
		 "ERROR\r\n"));
	char *got = run_all_splits(&t, NULL);
	expect_text(got,
		    "text get hit key=a vlen=1 flags=0 ttl=0 batch=3 answered req=100@0 resp=200\n"
		    "text get miss key=b vlen=0 flags=0 ttl=0 batch=3 cont answered req=100@0 resp=200\n"
		    "text get hit key=c vlen=2 flags=7 ttl=0 batch=3 cont answered req=100@0 resp=200\n"
		    "text set stored key=k vlen=3 flags=5 ttl=10 batch=1 answered req=100@11 resp=200\n"
		    "text set none key=n vlen=1 flags=0 ttl=0 batch=1 noreply req=100@30 resp=0\n"
		    "text delete deleted key=k vlen=0 flags=0 ttl=0 batch=1 answered req=100@54 resp=200\n"
		    "text incr ok key=n vlen=0 flags=0 ttl=0 batch=1 answered req=100@64 resp=200\n"
		    "text touch not_found key=k vlen=0 flags=0 ttl=10 batch=1 answered req=100@74 resp=300\n"
		    "text stats ok vlen=0 flags=0 ttl=0 batch=1 answered req=100@86 resp=300\n"
		    "text version ok vlen=0 flags=0 ttl=0 batch=1 answered req=100@93 resp=300\n"
		    "text verbosity ok vlen=0 flags=0 ttl=0 batch=1 answered req=100@102 resp=300\n"
		    "text flush_all ok vlen=0 flags=0 ttl=0 batch=1 answered req=100@115 resp=300\n"
		    "text other error vlen=0 flags=0 ttl=0 batch=1 answered req=100@126 resp=300\n"
		    "text other none vlen=0 flags=0 ttl=0 batch=1 req=100@133 resp=0\n"
		    "stats requests=12 responses=10 errors=1 unpaired=0 resync=0 gaps=0/0 skipped=0\n");
	free(got);
	tr_free(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_text_pipeline),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
