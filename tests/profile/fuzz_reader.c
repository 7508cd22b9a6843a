/* Fuzz target for the profile reader: the input is a whole .mbp file. It is handed to the
 * reader through a memfd (the reader's API takes a path), then every record is read
 * sequentially and block by block, every key looked up and the info printed: no input may
 * crash, hang or make the reader allocate without bound. The saved corpus (corpus/, written by
 * `test_profile --write-corpus DIR`) runs as the ctest fuzz_profile_reader_regress.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "membench/profile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct mb_record buf[4096];
	char path[64], err[512];
	struct mb_profile_reader *r = NULL;
	int fd = memfd_create("fuzz.mbp", MFD_CLOEXEC);
	if (fd < 0)
		return 0;
	if (write(fd, data, size) != (ssize_t)size)
		goto cleanup;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	if (mb_profile_reader_open(&r, path, err, sizeof(err)) != 0)
		goto cleanup;
	while (mb_profile_reader_read(r, buf, sizeof(buf) / sizeof(buf[0])) > 0)
		;
	size_t nb = mb_profile_reader_block_count(r);
	for (size_t i = 0; i < nb; i++) {
		const struct mb_record *recs;
		size_t n;
		mb_profile_reader_read_block(r, i, &recs, &n);
	}
	mb_profile_reader_seek_time(r, 1000);
	uint64_t nk = mb_profile_reader_key_count(r);
	for (uint64_t k = 0; k < nk && k < 1000; k++) {
		const char *bytes;
		uint32_t len;
		if (mb_profile_reader_key(r, k, &bytes, &len) == 0 && len)
			(void)bytes[len - 1];
	}
	FILE *devnull = fopen("/dev/null", "w");
	if (devnull) {
		mb_profile_reader_print_info(r, devnull);
		fclose(devnull);
	}
cleanup:
	mb_profile_reader_close(r);
	close(fd);
	return 0;
}
