/* bench_import_gen: writes a synthetic Twitter cache-trace CSV (7 columns, no header) for the
 * import benchmark: ROWS rows, Zipf(1.0) over KEYS keys named like Twitter's anonymized keys
 * ("ns:u:" + 20 base-62 characters), 200 clients, 40000 rows per trace second, 80% get,
 * 15% set, 5% other ops.
 *
 * usage: bench_import_gen ROWS KEYS OUT.csv
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "synth/dist.h"
#include "synth/rng.h"

static const char b62[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: %s ROWS KEYS OUT.csv\n", argv[0]);
		return 2;
	}
	unsigned long long rows = strtoull(argv[1], NULL, 10), keys = strtoull(argv[2], NULL, 10);
	FILE *f = fopen(argv[3], "w");
	if (!f || !rows || !keys) {
		perror(argv[3]);
		return 1;
	}
	static char buf[1 << 16];
	setvbuf(f, buf, _IOFBF, sizeof(buf));
	struct zipf z;
	struct rng r;
	zipf_init(&z, keys, 1.0);
	rng_seed(&r, 12345);
	static const char *const ops[] = {"get", "get", "get", "get", "get", "get", "get",
					  "get", "get", "get", "get", "get", "get", "get",
					  "get", "get", "set", "set", "set", "delete"};
	for (unsigned long long i = 0; i < rows; i++) {
		uint64_t rank = zipf_sample(&z, &r);
		uint64_t h = rank * 0x9e3779b97f4a7c15ull;
		char key[32] = "ns:u:";
		for (int c = 0; c < 20; c++) {
			key[5 + c] = b62[h % 62];
			h = h / 62 + rank * (uint64_t)(c + 1) * 0x2545f4914f6cdd1dull;
		}
		key[25] = '\0';
		const char *op = ops[rng_below(&r, 20)];
		unsigned vs = (unsigned)(rank % 977) * 3 + 10;
		fprintf(f, "%llu,%s,25,%u,%u,%s,%u\n", i / 40000, key, vs,
			(unsigned)rng_below(&r, 200), op, op[0] == 's' ? 3600u : 0u);
	}
	if (fclose(f) != 0) {
		perror(argv[3]);
		return 1;
	}
	return 0;
}
