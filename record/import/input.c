/* Input of trace import: a file or stdin ("-"), read in large chunks, zstd-decompressed with
 * ZSTD_decompressStream when its first four bytes are the zstd frame magic (28 b5 2f fd; a file
 * of several concatenated frames is one stream), gzip-decompressed with zlib's inflate when they
 * start with the gzip magic (1f 8b; several members, as `cat a.gz b.gz` makes, are one stream).
 * Memory is bounded: one compressed chunk, one line buffer (grows only up to IMPORT_LINE_MAX +
 * one chunk), zlib's 32 KiB window, whatever the file size.
 *
 * Line buffer invariant: buf[start, len) holds decompressed bytes not yet returned as lines.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include "progress.h"
#include "import/input.h"
#include "membench/error.h"

#define INPUT_CHUNK (1u << 20)

struct import_input {
	const char *path;
	int fd;
	bool own_fd;
	bool zstd;
	bool gzip;
	bool gz_ended;        /* inflate reached the end of a gzip member */
	z_stream gz;
	bool eof;             /* the file itself is exhausted */
	ZSTD_DStream *zs;
	size_t zret;          /* last ZSTD_decompressStream result: 0 = at a frame boundary */
	uint8_t *in;          /* raw bytes read from the file */
	size_t in_pos, in_len, in_cap;
	uint64_t file_size;   /* 0 when unknown */
	uint64_t file_pos;    /* raw bytes read */
	char *buf;            /* line buffer */
	size_t start, len, cap;
	uint64_t lineno;
};

/* read(2) that retries on EINTR. */
static ssize_t read_full(int fd, void *p, size_t n)
{
	ssize_t r;
	do
		r = read(fd, p, n);
	while (r < 0 && errno == EINTR && !record_interrupted);
	return r;
}

int import_input_open(struct import_input **out, const char *path, char *err, size_t errlen)
{
	int rc = 0;
	struct import_input *in = calloc(1, sizeof(*in));
	if (!in)
		return -ENOMEM;
	in->path = path;
	in->fd = -1;
	if (strcmp(path, "-") == 0) {
		in->fd = STDIN_FILENO;
	} else {
		in->fd = open(path, O_RDONLY | O_CLOEXEC);
		in->own_fd = true;
	}
	if (in->fd < 0) {
		rc = -errno;
		snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
		goto cleanup;
	}
	struct stat st;
	if (fstat(in->fd, &st) == 0 && S_ISDIR(st.st_mode)) {
		rc = -EISDIR;
		snprintf(err, errlen, "cannot read %s: %s", path, strerror(EISDIR));
		goto cleanup;
	}
	if (fstat(in->fd, &st) == 0 && S_ISREG(st.st_mode))
		in->file_size = (uint64_t)st.st_size;
	in->in_cap = INPUT_CHUNK;
	in->in = malloc(in->in_cap);
	if (!in->in) {
		rc = -ENOMEM;
		goto cleanup;
	}
	/* Sniff: read until we have 4 bytes or the file ends. */
	while (in->in_len < 4 && !in->eof) {
		ssize_t r = read_full(in->fd, in->in + in->in_len, in->in_cap - in->in_len);
		if (r < 0) {
			rc = -errno;
			snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
			goto cleanup;
		}
		if (r == 0)
			in->eof = true;
		in->in_len += (size_t)r;
		in->file_pos += (uint64_t)r;
	}
	static const uint8_t magic[4] = {0x28, 0xb5, 0x2f, 0xfd};
	if (in->in_len >= 2 && in->in[0] == 0x1f && in->in[1] == 0x8b) {
		if (inflateInit2(&in->gz, 15 + 16) != Z_OK) { /* 16: gzip wrapper only */
			rc = -ENOMEM;
			goto cleanup;
		}
		in->gzip = true;
	} else if (in->in_len >= 4 && memcmp(in->in, magic, 4) == 0) {
		in->zstd = true;
		in->zs = ZSTD_createDStream();
		if (!in->zs) {
			rc = -ENOMEM;
			goto cleanup;
		}
	}
	*out = in;
	return 0;
cleanup:
	import_input_close(in);
	return rc;
}

void import_input_close(struct import_input *in)
{
	if (!in)
		return;
	if (in->own_fd && in->fd >= 0)
		close(in->fd);
	ZSTD_freeDStream(in->zs);
	if (in->gzip)
		inflateEnd(&in->gz);
	free(in->in);
	free(in->buf);
	free(in);
}

bool import_input_is_zstd(const struct import_input *in)
{
	return in->zstd;
}

const char *import_input_compression(const struct import_input *in)
{
	return in->zstd ? "zstd" : in->gzip ? "gzip" : "none";
}

double import_input_progress(const struct import_input *in)
{
	if (!in->file_size)
		return -1;
	return (double)(in->file_pos - (in->in_len - in->in_pos)) / (double)in->file_size;
}

/* Refills the raw buffer when it is empty. @return 0 or -errno. */
static int input_fill(struct import_input *in, char *err, size_t errlen)
{
	if (in->in_pos < in->in_len || in->eof)
		return 0;
	ssize_t r = read_full(in->fd, in->in, in->in_cap);
	if (r < 0) {
		int e = errno;
		snprintf(err, errlen, "cannot read %s: %s", in->path, strerror(e));
		return -e;
	}
	in->in_pos = 0;
	in->in_len = (size_t)r;
	in->file_pos += (uint64_t)r;
	if (r == 0)
		in->eof = true;
	return 0;
}

/* import_input_read for gzip input: inflate until cap bytes or the end. */
static long gzip_read(struct import_input *in, void *buf, size_t cap, char *err, size_t errlen)
{
	size_t got = 0;
	while (got < cap) {
		int rc = input_fill(in, err, errlen);
		if (rc)
			return rc;
		if (in->in_pos == in->in_len && in->eof)
			break;
		if (in->gz_ended) { /* another member follows the one that ended */
			inflateReset(&in->gz);
			in->gz_ended = false;
		}
		in->gz.next_in = in->in + in->in_pos;
		in->gz.avail_in = (uInt)(in->in_len - in->in_pos);
		in->gz.next_out = (Bytef *)buf + got;
		in->gz.avail_out = (uInt)(cap - got);
		int zr = inflate(&in->gz, Z_NO_FLUSH);
		size_t used = (in->in_len - in->in_pos) - in->gz.avail_in;
		in->in_pos += used;
		got = cap - in->gz.avail_out;
		if (zr == Z_STREAM_END) {
			in->gz_ended = true;
		} else if (zr != Z_OK && zr != Z_BUF_ERROR) {
			snprintf(err, errlen, "%s: gzip: %s (near compressed byte %llu)", in->path,
				 in->gz.msg ? in->gz.msg : "bad data",
				 (unsigned long long)(in->file_pos - (in->in_len - in->in_pos)));
			return zr == Z_MEM_ERROR ? -ENOMEM : MB_E_CORRUPT;
		}
	}
	if (got == 0 && !in->gz_ended) {
		snprintf(err, errlen, "%s: gzip stream ends in the middle of a member (file cut "
			 "short?)", in->path);
		return MB_E_TRUNCATED;
	}
	return (long)got;
}

long import_input_read(struct import_input *in, void *buf, size_t cap, char *err, size_t errlen)
{
	if (in->gzip)
		return gzip_read(in, buf, cap, err, errlen);
	size_t got = 0;
	while (got < cap) {
		if (!in->zstd) {
			if (in->in_pos < in->in_len) { /* the sniffed first bytes */
				size_t n = in->in_len - in->in_pos;
				if (n > cap - got)
					n = cap - got;
				memcpy((char *)buf + got, in->in + in->in_pos, n);
				in->in_pos += n;
				got += n;
				continue;
			}
			if (in->eof)
				break;
			/* Plain input is read straight into the caller's buffer. */
			ssize_t r = read_full(in->fd, (char *)buf + got, cap - got);
			if (r < 0) {
				int e = errno;
				snprintf(err, errlen, "cannot read %s: %s", in->path, strerror(e));
				return -e;
			}
			if (r == 0)
				in->eof = true;
			in->file_pos += (uint64_t)r;
			got += (size_t)r;
			continue;
		}
		int rc = input_fill(in, err, errlen);
		if (rc)
			return rc;
		ZSTD_inBuffer ib = {in->in, in->in_len, in->in_pos};
		ZSTD_outBuffer ob = {buf, cap, got};
		size_t ret = ZSTD_decompressStream(in->zs, &ob, &ib);
		if (ZSTD_isError(ret)) {
			snprintf(err, errlen, "%s: zstd: %s (near compressed byte %llu)", in->path,
				 ZSTD_getErrorName(ret),
				 (unsigned long long)(in->file_pos - (in->in_len - ib.pos)));
			return MB_E_ZSTD;
		}
		bool progress = ob.pos != got || ib.pos != in->in_pos;
		if (progress) /* an idle call returns the next frame's header hint, not 0 */
			in->zret = ret;
		in->in_pos = ib.pos;
		got = ob.pos;
		if (!progress && in->eof)
			break; /* nothing buffered in zstd, nothing left to read */
	}
	if (got == 0 && in->zstd && in->zret != 0) {
		snprintf(err, errlen, "%s: zstd stream ends in the middle of a frame (file cut short?)",
			 in->path);
		return MB_E_TRUNCATED;
	}
	return (long)got;
}

int import_input_line(struct import_input *in, const char **line, size_t *len,
		      uint64_t *lineno, char *err, size_t errlen)
{
	for (;;) {
		char *nl = in->len > in->start ? memchr(in->buf + in->start, '\n',
						      in->len - in->start) : NULL;
		bool at_end = false;
		if (!nl) {
			/* Move the partial line to the front and read more after it. */
			if (in->start > 0) {
				memmove(in->buf, in->buf + in->start, in->len - in->start);
				in->len -= in->start;
				in->start = 0;
			}
			if (in->len > IMPORT_LINE_MAX) {
				snprintf(err, errlen, "%s:%llu: line longer than %u bytes", in->path,
					 (unsigned long long)in->lineno + 1, IMPORT_LINE_MAX);
				return MB_E_LIMIT;
			}
			if (in->cap - in->len < INPUT_CHUNK) {
				size_t ncap = in->len + INPUT_CHUNK;
				char *nb = realloc(in->buf, ncap);
				if (!nb)
					return -ENOMEM;
				in->buf = nb;
				in->cap = ncap;
			}
			long r = import_input_read(in, in->buf + in->len, in->cap - in->len, err,
						   errlen);
			if (r < 0)
				return (int)r;
			if (r > 0) {
				in->len += (size_t)r;
				continue;
			}
			if (in->len == 0)
				return 0;
			at_end = true; /* last line without a newline */
		}
		char *s = in->buf + in->start;
		size_t n = at_end ? in->len - in->start : (size_t)(nl - s);
		in->start = at_end ? in->len : in->start + n + 1;
		if (n > 0 && s[n - 1] == '\r')
			n--;
		*line = s;
		*len = n;
		*lineno = ++in->lineno;
		return 1;
	}
}
