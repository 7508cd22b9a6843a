/* Transcript loading, feeding at chosen split points, and command rendering (transcript.h). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "membench/array.h"
#include "transcript.h"

void tr_add(struct transcript *t, int dir, uint64_t time, const void *bytes, size_t len)
{
	if (MB_ARRAY_RESERVE(t->ev, t->ev_cap, t->nev + 1))
		abort();
	t->ev[t->nev].dir = (uint8_t)dir;
	t->ev[t->nev].time = time;
	t->ev[t->nev].off = t->data.len;
	t->ev[t->nev].len = len;
	t->nev++;
	if (mb_buf_append(&t->data, bytes, len))
		abort();
}

int tr_load(struct transcript *t, const char *path)
{
	memset(t, 0, sizeof(*t));
	FILE *f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return -1;
	}
	int ret = -1;
	char hdr[256];
	char *buf = NULL;
	while (fgets(hdr, sizeof(hdr), f)) {
		if (hdr[0] == '#' || hdr[0] == '\n')
			continue;
		char d;
		uint64_t time;
		size_t len;
		if (sscanf(hdr, "%c %" SCNu64 " %zu", &d, &time, &len) != 3 || (d != '>' && d != '<')) {
			fprintf(stderr, "%s: bad event header: %s", path, hdr);
			goto cleanup;
		}
		free(buf);
		buf = malloc(len + 1);
		if (!buf || fread(buf, 1, len + 1, f) != len + 1 || buf[len] != '\n') {
			fprintf(stderr, "%s: event of %zu bytes cut short\n", path, len);
			goto cleanup;
		}
		tr_add(t, d == '>' ? MB_DIR_REQUEST : MB_DIR_RESPONSE, time, buf, len);
	}
	ret = 0;
cleanup:
	free(buf);
	fclose(f);
	return ret;
}

void tr_free(struct transcript *t)
{
	free(t->ev);
	mb_buf_free(&t->data);
	memset(t, 0, sizeof(*t));
}

void tr_render(struct mb_buf *out, const struct mb_proto_cmd *cmd)
{
	mb_buf_printf(out, "%s %s %s", mb_proto_name(cmd->proto), mb_op_name(cmd->op),
		      mb_status_name(cmd->status));
	if (cmd->key) {
		mb_buf_printf(out, " key=");
		for (uint32_t i = 0; i < cmd->key_len; i++) {
			unsigned char ch = (unsigned char)cmd->key[i];
			if (ch > ' ' && ch < 0x7f && ch != '%')
				mb_buf_printf(out, "%c", ch);
			else
				mb_buf_printf(out, "%%%02x", ch);
		}
	}
	if (cmd->meta_flags_len)
		mb_buf_printf(out, " mf=[%.*s]", (int)cmd->meta_flags_len, cmd->meta_flags);
	mb_buf_printf(out, " vlen=%u flags=%u ttl=%d batch=%u%s%s%s%s req=%" PRIu64 "@%" PRIu64
		      " resp=%" PRIu64 "\n",
		      cmd->value_len, cmd->client_flags, cmd->ttl, cmd->batch_size,
		      (cmd->rflags & MB_RF_NUMERIC) ? " numeric" : "",
		      (cmd->rflags & MB_RF_NOREPLY) ? " noreply" : "",
		      (cmd->rflags & MB_RF_BATCH_CONT) ? " cont" : "",
		      (cmd->rflags & MB_RF_HAS_RESPONSE) ? " answered" : "", cmd->req_time_ns,
		      cmd->req_offset, cmd->resp_time_ns);
}

static void on_cmd(void *ctx, const struct mb_proto_cmd *cmd)
{
	tr_render(ctx, cmd);
}

static void on_error(void *ctx, enum mb_dir dir, uint64_t offset, const char *why)
{
	mb_buf_printf(ctx, "! %s @%" PRIu64 " %s\n", dir == MB_DIR_REQUEST ? "req" : "resp", offset,
		      why);
}

int tr_run(const struct transcript *t, int mode, const struct mb_proto_opts *opts,
	   struct mb_buf *out)
{
	struct mb_proto_opts o = {0};
	if (opts)
		o = *opts;
	o.on_error = on_error;
	struct mb_proto_conn *c = mb_proto_conn_new(&o, on_cmd, out);
	if (!c)
		return -ENOMEM;
	int err = 0;
	for (size_t i = 0; i < t->nev && !err; i++) {
		const struct tr_event *ev = &t->ev[i];
		const char *p = t->data.data + ev->off;
		if (mode == 0 || (mode >= 2 && (size_t)(mode - 2) + 1 > ev->len)) {
			err = mb_proto_conn_feed(c, ev->dir, p, ev->len, ev->time);
		} else if (mode == 1) {
			for (size_t k = 0; k < ev->len && !err; k++)
				err = mb_proto_conn_feed(c, ev->dir, p + k, 1, ev->time);
		} else {
			size_t k = (size_t)(mode - 2) + 1;
			err = mb_proto_conn_feed(c, ev->dir, p, k, ev->time);
			if (!err)
				err = mb_proto_conn_feed(c, ev->dir, p + k, ev->len - k, ev->time);
		}
	}
	mb_proto_conn_finish(c);
	const struct mb_proto_stats *st = mb_proto_conn_stats(c);
	mb_buf_printf(out,
		      "stats requests=%" PRIu64 " responses=%" PRIu64 " errors=%" PRIu64
		      " unpaired=%" PRIu64 " resync=%" PRIu64 " gaps=%" PRIu64 "/%" PRIu64
		      " skipped=%" PRIu64 "\n",
		      st->requests, st->responses, st->protocol_errors, st->unpaired_responses,
		      st->resync_bytes, st->gaps, st->gap_bytes, st->gap_bytes_skipped);
	mb_proto_conn_free(c);
	return err;
}
