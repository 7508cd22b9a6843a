/* Interrupt flag and the progress line shared by the import and synth commands. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "progress.h"
#include "membench/cli.h"
#include "membench/clock.h"

volatile sig_atomic_t record_interrupted;

static void on_signal(int sig)
{
	(void)sig;
	record_interrupted = 1;
}

void record_catch_signals(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

void record_progress_init(struct record_progress *p)
{
	memset(p, 0, sizeof(*p));
	p->tty = mb_isatty(STDERR_FILENO);
	p->t0_ns = p->last_ns = mb_mono_ns();
}

void record_progress_show(struct record_progress *p, uint64_t rows, double frac)
{
	if (!p->tty)
		return;
	uint64_t now = mb_mono_ns();
	if (now - p->last_ns < 250000000ull)
		return;
	p->last_ns = now;
	double secs = (double)(now - p->t0_ns) / 1e9;
	char pct[16] = "";
	if (frac >= 0)
		snprintf(pct, sizeof(pct), ", %.1f%%", frac * 100);
	fprintf(stderr, "\r%s: %.2fM rows, %.2fM rows/s%s\033[K", mb_cli_prog(), (double)rows / 1e6,
		secs > 0 ? (double)rows / secs / 1e6 : 0.0, pct);
	p->shown = true;
}

void record_progress_done(struct record_progress *p)
{
	if (p->shown)
		fputs("\r\033[K", stderr);
	p->shown = false;
}

double record_progress_elapsed(const struct record_progress *p)
{
	return (double)(mb_mono_ns() - p->t0_ns) / 1e9;
}
