/* When a paced send is due after a late timer wakeup (pace.c). */
#ifndef MB_REPLAY_PACE_H
#define MB_REPLAY_PACE_H

#include <stdint.h>

/* A wakeup later than this is a stall: what is due goes out at once, unshifted. */
#define RP_PACE_SHIFT_MAX_NS 1000000
/* A shift shrinks by 1/RP_PACE_DECAY of the schedule time that passes after its wakeup. */
#define RP_PACE_DECAY 8

struct rp_pace {
	uint64_t shift; /* lateness of the last late timer wakeup (0: none) */
	uint64_t at;    /* the intended time (CLOCK_MONOTONIC ns) that wakeup was for */
};

/* A timer wakeup for the send intended at `deadline` came at `now`: from now on (until the next
 * call or rp_pace_clear) sends are due at rp_pace_due. A wakeup on time, or more than
 * RP_PACE_SHIFT_MAX_NS late, clears the shift. */
void rp_pace_late(struct rp_pace *p, uint64_t deadline, uint64_t now);

/* A wakeup came early (the worker spins to its deadline): no shift. */
void rp_pace_clear(struct rp_pace *p);

/* When the send intended at `intended` (>= 1, CLOCK_MONOTONIC ns) is due: intended + the shift,
 * less 1/RP_PACE_DECAY of the time from p->at to intended; never before `intended`. */
uint64_t rp_pace_due(const struct rp_pace *p, uint64_t intended);

#endif
