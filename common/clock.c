/* Clocks in nanoseconds; see membench/clock.h. */
#include <time.h>

#include "membench/clock.h"

static int64_t read_ns(clockid_t id)
{
	struct timespec ts;
	clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * 1000000000ll + ts.tv_nsec;
}

uint64_t mb_mono_ns(void)
{
	return (uint64_t)read_ns(CLOCK_MONOTONIC);
}

int64_t mb_wall_ns(void)
{
	return read_ns(CLOCK_REALTIME);
}

uint64_t mb_thread_cpu_ns(void)
{
	return (uint64_t)read_ns(CLOCK_THREAD_CPUTIME_ID);
}
