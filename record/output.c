/* The output step every record source shares: header basics, opening the profile (0600, handed
 * to the sudo user), closing it with a clear error. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "membench/cli.h"
#include "membench/error.h"
#include "membench/version.h"
#include "record.h"

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
	int rc = mb_profile_writer_open(w, path, meta, NULL, err, sizeof(err));
	if (rc) {
		mb_error("cannot create %s: %s", path, err[0] ? err : mb_strerror(rc));
		return rc;
	}
	give_to_sudo_user(path);
	return 0;
}

int record_output_close(struct mb_profile_writer *w, const char *path)
{
	char err[512] = "";
	int rc = mb_profile_writer_close(w, err, sizeof(err));
	if (rc)
		mb_error("cannot finish %s: %s", path, err[0] ? err : mb_strerror(rc));
	return rc;
}
