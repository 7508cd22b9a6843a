/* When a paced send is due after a late timer wakeup (docs/replay.md, "Pacing").
 *
 * The worker sleeps on its timer until shortly before a send and busy-waits the rest; when the
 * wakeup comes after the deadline anyway, sending everything then due back to back would
 * collapse the recorded gaps after it. So its lateness becomes a shift: the sends after it are
 * due at intended + shift, and their gaps to it are kept. The shift decays:
 *
 *     due(intended) = intended + max(0, shift - (intended - at) / RP_PACE_DECAY)
 *
 * (at: the intended time the late wakeup was for), so the worker catches up with gaps at most
 * 1/8 short: a 50 us shift is gone 400 us of schedule later, the longest one kept (1 ms) after
 * 8 ms. The shift it replaces held until the next sleep, which never comes when every gap is
 * busy-waited (a replay of more than ~10k req/s per thread): the whole run was then late by the
 * lateness of its first wakeup (bench/replay/engine.sh, pacing: lag p50 33-48 us, of a p99 of
 * 59-86 us). Lag and latency are measured from the intended time whatever the shift. Cost: a
 * few arithmetic operations per pulled record.
 */
#include "pace.h"

void rp_pace_late(struct rp_pace *p, uint64_t deadline, uint64_t now)
{
	uint64_t late = now > deadline ? now - deadline : 0;
	p->shift = late <= RP_PACE_SHIFT_MAX_NS ? late : 0;
	p->at = deadline;
}

void rp_pace_clear(struct rp_pace *p)
{
	p->shift = 0;
}

uint64_t rp_pace_due(const struct rp_pace *p, uint64_t intended)
{
	uint64_t since = intended > p->at ? intended - p->at : 0;
	uint64_t gone = since / RP_PACE_DECAY;
	return intended + (p->shift > gone ? p->shift - gone : 0);
}
