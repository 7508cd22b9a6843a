/* clock.h: the clocks membench reads, in nanoseconds.
 *
 * mb_mono_ns (CLOCK_MONOTONIC) for intervals and schedules; it is the clock the kernel stamps
 * captured events with (bpf_ktime_get_ns), so live profiles and replay timing share it.
 * mb_wall_ns (CLOCK_REALTIME) only to anchor a profile or report in calendar time.
 * mb_thread_cpu_ns (CLOCK_THREAD_CPUTIME_ID) for benchmarks: CPU time of the calling thread,
 * which stays meaningful on a shared, loaded machine.
 */
#ifndef MEMBENCH_CLOCK_H
#define MEMBENCH_CLOCK_H

#include <stdint.h>

uint64_t mb_mono_ns(void);
int64_t mb_wall_ns(void);
uint64_t mb_thread_cpu_ns(void);

#endif
