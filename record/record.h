/* membench-record internals: the sources a profile can come from, and the shared output step.
 *
 * main.c picks the source from the first positional argument's prefix and calls its entry point
 * with the full argv; each source parses its own options (getopt_long) and returns an exit code
 * (membench/exitcode.h). Sources:
 *   ebpf:...      live capture          record/capture/   (record_ebpf_main)
 *   twitter: oracle: cachelib:          record/import/    (record_import_main)
 *   synth:...     workload generators   record/synth/     (record_synth_main)
 *   profile:PATH  re-recording profiles record/profile/   (record_profile_main): slice, filter,
 *                 merge (several profile: sources)
 */
#ifndef MB_RECORD_H
#define MB_RECORD_H

#include <stdbool.h>

#include "export.h"
#include "membench/profile.h"

int record_ebpf_main(const char *source, int argc, char **argv);
int record_import_main(const char *source, int argc, char **argv);
int record_synth_main(const char *source, int argc, char **argv);
int record_profile_main(const char *source, int argc, char **argv);

/* Fills the parts of meta every source shares: creator ("membench-record <version>"), host
 * (gethostname) and source. The caller fills the rest (clock, params, capture, times). */
void record_meta_init(struct mb_profile_meta *meta, const char *source);

/* Sets the output format of record_output_open/close (main.c, from --format; default mbp). */
void record_output_set_format(enum record_format f);

/* Opens the output profile (mode 0600). With --format twitter|oracle the profile is a
 * temporary file beside path, converted into path by record_output_close. When run under sudo, the file is given to the invoking
 * user (SUDO_UID/SUDO_GID) so they can read their own capture. Prints an error naming the path.
 * @return 0 or a negative error. */
int record_output_open(struct mb_profile_writer **w, const char *path,
		       const struct mb_profile_meta *meta);

/* Closes the writer (index + trailer), converts it when --format asks for another format
 * (warning about records the format cannot carry), and prints an error naming the path on
 * failure.
 * @return 0 or a negative error. */
int record_output_close(struct mb_profile_writer *w, const char *path);

#endif
