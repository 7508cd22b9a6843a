/* Expiration times of a replay (ttl.c). */
#ifndef MB_REPLAY_TTL_H
#define MB_REPLAY_TTL_H

#include <stdint.h>

#include "plan.h"

/* memcached reads an exptime above 30 days as a unix time (memcached.h REALTIME_MAXDELTA). */
#define RP_TTL_MAX_DELTA (60 * 60 * 24 * 30)

/* The exptime to send for a recorded one: relative TTLs (and 0, and negative ones) as recorded;
 * an absolute unix time moved to the same point of the replay: shifted by (replay start -
 * recording start) and its distance from the recording's first request divided by the speed.
 * t0: CLOCK_MONOTONIC ns at which the replay sends the profile's first request. */
int32_t rp_ttl_map(const struct rp_plan *p, uint64_t t0, int32_t exptime);

#endif
