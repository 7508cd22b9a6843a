/* Command-line support shared by the import and synth commands: the Ctrl-C flag and the
 * progress line. See import_cli.c.
 */
#ifndef MB_RECORD_IMPORT_CLI_H
#define MB_RECORD_IMPORT_CLI_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

/* Set by the SIGINT/SIGTERM handler that import_catch_signals installs. */
extern volatile sig_atomic_t import_interrupted;
/* Installs the handler (no SA_RESTART: a blocking read returns EINTR and is retried by the
 * caller's loop, which checks the flag). */
void import_catch_signals(void);

/* A status line on stderr, shown only when stderr is a terminal, at most 4 times a second. */
struct import_progress {
	bool tty;
	bool shown;
	uint64_t t0_ns, last_ns;
};
void import_progress_init(struct import_progress *p);
/* rows so far; frac = fraction of the input done, or < 0 when unknown. */
void import_progress_show(struct import_progress *p, uint64_t rows, double frac);
/* Clears the status line if one was shown. */
void import_progress_done(struct import_progress *p);
/* Seconds since import_progress_init. */
double import_progress_elapsed(const struct import_progress *p);

#endif
