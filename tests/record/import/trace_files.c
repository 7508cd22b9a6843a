/* Trace files for the import tests; see trace_files.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>
#include <zstd.h>

#include "testutil.h"
#include "trace_files.h"

static char tmpdir[512];

int trace_dir_create(void)
{
	return mb_test_tmpdir(tmpdir, sizeof(tmpdir));
}

const char *trace_dir(void)
{
	return tmpdir;
}

void trace_dir_remove(void)
{
	mb_test_rmtree(tmpdir);
}

const char *tmp_path(const char *name)
{
	static char p[4][600];
	static int i;
	i = (i + 1) % 4;
	snprintf(p[i], sizeof(p[i]), "%s/%s", tmpdir, name);
	return p[i];
}

void write_file(const char *path, const void *data, size_t n)
{
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, n, f), n);
	assert_int_equal(fclose(f), 0);
}

void write_zstd(const char *path, const void *data, size_t n, int frames)
{
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	size_t per = (n + (size_t)frames - 1) / (size_t)frames;
	for (size_t off = 0; off < n; off += per) {
		size_t len = n - off < per ? n - off : per;
		size_t cap = ZSTD_compressBound(len);
		void *buf = malloc(cap);
		assert_non_null(buf);
		size_t z = ZSTD_compress(buf, cap, (const char *)data + off, len, 3);
		assert_false(ZSTD_isError(z));
		assert_int_equal(fwrite(buf, 1, z, f), z);
		free(buf);
	}
	assert_int_equal(fclose(f), 0);
}
