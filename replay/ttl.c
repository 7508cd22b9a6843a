/* Expiration times of a replay: an item must expire at the same point of the replay as it did
 * of the recording.
 *
 * Relative exptimes (1 .. 30 days in seconds) count from the request, which the replay sends at
 * its own point of time: they are sent as recorded (not scaled by --rate: a TTL is a property of
 * the data, and a 2x replay that halved it would expire items production kept). Absolute ones
 * (> 30 days: a unix time) name a wall-clock instant of the recording, which has passed by the
 * time of a replay: they are mapped through the replay's clock,
 *
 *     sent = wall(t0) + ((exptime * 1e9 - start_wall_ns) - t_first) / speed
 *
 * where start_wall_ns + t_first is the recording's wall time of the profile's first request and
 * wall(t0) the replay's. An item production stored already expired stays expired (a past time);
 * a result that would no longer be read as absolute (<= 30 days) is sent as 1 (the earliest
 * absolute time: expired), one past INT32_MAX as INT32_MAX. With --rate max (no speed) the
 * shift alone is applied. --loop passes are not accounted for: each pass sends the first pass's
 * times. Cost: a few arithmetic operations per request with an absolute exptime, none otherwise.
 */
#include <math.h>

#include "ttl.h"

int32_t rp_ttl_map(const struct rp_plan *p, uint64_t t0, int32_t exptime)
{
	if (exptime <= RP_TTL_MAX_DELTA)
		return exptime;
	double speed = p->speed > 0 && isfinite(p->speed) ? p->speed : 1.0;
	double rec_ns = (double)exptime * 1e9 - (double)p->start_wall_ns - (double)p->t_first;
	double sent_s = ((double)t0 + (double)p->wall_minus_mono_ns + rec_ns / speed) / 1e9;
	if (sent_s <= RP_TTL_MAX_DELTA)
		return 1;
	if (sent_s >= (double)INT32_MAX)
		return INT32_MAX;
	return (int32_t)llround(sent_s);
}
