/* Fuzz target for the trace parsers. Byte 0 picks the case: bits 0-1 the format (0 twitter,
 * 1 oracle, 2 cachelib, 3 cachelib with --rate), bit 2 --skip-bad, bit 3 --spread burst, bit 4
 * --connections 3; the rest is the file (plain or zstd, as the input detects), served from a
 * memfd. Any outcome but a crash, a sanitizer report or a broken invariant is fine: records must
 * come out in non-decreasing time and an error must leave a message.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "import/import.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct fuzz_state {
	uint64_t last_t;
	uint64_t n;
};

static int fuzz_emit(void *arg, uint64_t base_s, const struct mb_record *rec, const void *key,
		     size_t key_bytes)
{
	struct fuzz_state *st = arg;
	(void)base_s;
	if (rec->time_ns < st->last_t || (key == NULL && key_bytes != 0))
		abort();
	st->last_t = rec->time_ns;
	st->n++;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int (*const parsers[])(struct import_run *) = {
		import_twitter, import_oracle, import_cachelib, import_cachelib,
	};
	if (size < 1)
		return 0;
	int fd = memfd_create("fuzz_import", 0);
	if (fd < 0)
		return 0;
	if (size > 1 && write(fd, data + 1, size - 1) != (ssize_t)(size - 1)) {
		close(fd);
		return 0;
	}
	char path[64];
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	unsigned sel = data[0];
	struct import_opts opt = {
		.format = (enum import_format)(sel & 3) == 3 ? IMPORT_CACHELIB
							     : (enum import_format)(sel & 3),
		.path = path,
		.key_size = 16,
		.rate = (sel & 3) == 3 ? 1000 : 0,
		.skip_bad = sel & 4,
		.connections = sel & 16 ? 3 : 0,
	};
	struct fuzz_state st = {0};
	struct import_sink sink;
	import_sink_init(&sink, sel & 8 ? SPREAD_BURST : SPREAD_EVEN, fuzz_emit, &st);
	sink.max_ops = 100000;
	sink.rate = opt.rate;
	struct import_run run = {.opt = &opt, .sink = &sink};
	int rc = import_input_open(&run.in, path, run.err, sizeof(run.err));
	if (rc == 0) {
		rc = parsers[sel & 3](&run);
		if (rc == 0)
			rc = import_sink_finish(&sink);
		if (rc < 0 && rc != -12 /* ENOMEM */ && !run.err[0])
			abort();
	}
	import_sink_free(&sink);
	import_input_close(run.in);
	close(fd);
	return 0;
}
