/* Peer for the analyzer benchmark: reads every record of a profile through the profile reader
 * and folds a few fields into a checksum, doing no analysis. Its time is the floor under any
 * analysis of the same file (decompression + column decoding).
 *
 * usage: bench_analyze_read PROFILE       prints "records checksum"
 */
#include <stdint.h>
#include <stdio.h>

#include "membench/profile.h"

int main(int argc, char **argv)
{
	static struct mb_record buf[4096];
	struct mb_profile_reader *r = NULL;
	char err[512];
	if (argc != 2) {
		fprintf(stderr, "usage: bench_analyze_read PROFILE\n");
		return 2;
	}
	if (mb_profile_reader_open(&r, argv[1], err, sizeof(err))) {
		fprintf(stderr, "bench_analyze_read: %s\n", err);
		return 3;
	}
	uint64_t records = 0, sum = 0;
	long n;
	while ((n = mb_profile_reader_read(r, buf, 4096)) > 0) {
		records += (uint64_t)n;
		for (long i = 0; i < n; i++)
			sum += buf[i].key_id ^ buf[i].time_ns ^ buf[i].value_len;
	}
	int rc = n < 0 ? 3 : 0;
	if (n < 0)
		fprintf(stderr, "bench_analyze_read: %s\n", mb_profile_reader_errmsg(r));
	mb_profile_reader_close(r);
	printf("%llu %llu\n", (unsigned long long)records, (unsigned long long)sum);
	return rc;
}
