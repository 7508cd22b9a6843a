/* Command-line support shared by the import and synth commands: the Ctrl-C flag and the
 * progress line. See progress.c.
 */
#ifndef MB_RECORD_PROGRESS_H
#define MB_RECORD_PROGRESS_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

/* Set by the SIGINT/SIGTERM handler that record_catch_signals installs. */
extern volatile sig_atomic_t record_interrupted;
/* Installs the handler (no SA_RESTART: a blocking read returns EINTR and is retried by the
 * caller's loop, which checks the flag). */
void record_catch_signals(void);

/* A status line on stderr, shown only when stderr is a terminal, at most 4 times a second. */
struct record_progress {
	bool tty;
	bool shown;
	uint64_t t0_ns, last_ns;
};
void record_progress_init(struct record_progress *p);
/* rows so far; frac = fraction of the input done, or < 0 when unknown. */
void record_progress_show(struct record_progress *p, uint64_t rows, double frac);
/* Clears the status line if one was shown. */
void record_progress_done(struct record_progress *p);
/* Seconds since record_progress_init. */
double record_progress_elapsed(const struct record_progress *p);

#endif
