/* The output step every record source shares: header basics, opening the profile (0600, handed
 * to the sudo user), closing it with a clear error, and the output format (--format): for
 * twitter/oracle the source's profile goes to a temporary file beside the output (mkstemp, so
 * nothing else is overwritten), converted by export.c when the source closes it, then removed;
 * an exit before that (an error path) removes it through atexit. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "membench/cli.h"
#include "membench/error.h"
#include "membench/version.h"
#include "export.h"
#include "record.h"

static struct {
	enum record_format format;
	char *tmp;        /* the temporary profile, while it exists */
	bool atexit_set;
} out_state;

void record_output_set_format(enum record_format f)
{
	out_state.format = f;
}

static void remove_tmp(void)
{
	if (out_state.tmp)
		unlink(out_state.tmp);
	free(out_state.tmp);
	out_state.tmp = NULL;
}

void record_meta_init(struct mb_profile_meta *meta, const char *source)
{
	memset(meta, 0, sizeof(*meta));
	snprintf(meta->creator, sizeof(meta->creator), "membench-record %s", mb_version_long());
	snprintf(meta->source, sizeof(meta->source), "%s", source);
	if (gethostname(meta->host, sizeof(meta->host) - 1) != 0)
		meta->host[0] = '\0';
	meta->sample_ratio = 1.0;
}

/* Under sudo, give the file to the user who ran sudo. Failure is only a warning. */
static void give_to_sudo_user(const char *path)
{
	const char *uid = getenv("SUDO_UID"), *gid = getenv("SUDO_GID");
	uint64_t u, g;
	if (geteuid() != 0 || !uid || !gid || mb_parse_u64(uid, &u) || mb_parse_u64(gid, &g))
		return;
	if (chown(path, (uid_t)u, (gid_t)g) != 0)
		mb_warn("cannot give %s to uid %s: %s", path, uid, mb_strerror(-errno));
}

int record_output_open(struct mb_profile_writer **w, const char *path,
		       const struct mb_profile_meta *meta)
{
	char err[512] = "";
	const char *at = path;
	if (out_state.format != RECORD_FORMAT_MBP) {
		/* check now that the output can be created, before any work is done */
		int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
		if (fd < 0) {
			int rc = -errno;
			mb_error("cannot create %s: %s", path, mb_strerror(rc));
			return rc;
		}
		close(fd);
		remove_tmp();
		size_t n = strlen(path) + 16;
		out_state.tmp = malloc(n);
		if (!out_state.tmp)
			return -ENOMEM;
		snprintf(out_state.tmp, n, "%s.mbp.XXXXXX", path);
		fd = mkstemp(out_state.tmp);
		if (fd < 0) {
			int rc = -errno;
			mb_error("cannot create a temporary file beside %s: %s", path, mb_strerror(rc));
			free(out_state.tmp);
			out_state.tmp = NULL;
			return rc;
		}
		close(fd);
		if (!out_state.atexit_set)
			atexit(remove_tmp);
		out_state.atexit_set = true;
		at = out_state.tmp;
	}
	int rc = mb_profile_writer_open(w, at, meta, NULL, err, sizeof(err));
	if (rc) {
		mb_error("cannot create %s: %s", at, err[0] ? err : mb_strerror(rc));
		return rc;
	}
	give_to_sudo_user(path);
	return 0;
}

int record_output_close(struct mb_profile_writer *w, const char *path)
{
	char err[512] = "";
	int rc = mb_profile_writer_close(w, err, sizeof(err));
	if (rc) {
		mb_error("cannot finish %s: %s", path, err[0] ? err : mb_strerror(rc));
		return rc;
	}
	if (out_state.format == RECORD_FORMAT_MBP || !out_state.tmp)
		return 0;
	struct record_export_result res;
	rc = record_export(out_state.tmp, path, out_state.format, &res, err, sizeof(err));
	remove_tmp();
	if (rc) {
		mb_error("%s", err[0] ? err : mb_strerror(rc));
		unlink(path);
		return rc;
	}
	if (res.left_out)
		mb_warn("%llu of %llu records left out of %s: the %s format has no %s",
			(unsigned long long)res.left_out,
			(unsigned long long)(res.left_out + res.written), path,
			record_format_name(out_state.format), res.left_out_ops);
	give_to_sudo_user(path);
	return 0;
}
