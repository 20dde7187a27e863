/*
 * clock.h - the time stamp a callout takes on entry, and its conversion to
 * wall-clock time in the worker.
 *
 * Callouts read a raw counter only: the CPU's time-stamp counter where it is
 * invariant (CPUID 0x80000007 EDX bit 8; what QueryPerformanceCounter itself
 * reads on current Windows, minus the call, which costs ~300 cycles under
 * Wine), else QueryPerformanceCounter. The worker converts ticks to wall
 * time with an anchor pair (ticks, system time) renewed every second and a
 * tick rate measured against QPC over the whole run, so wall-clock
 * adjustments show within a second and the rate error shrinks with time.
 */
#ifndef RT_CLOCK_H
#define RT_CLOCK_H

#include <stdint.h>

#include <windows.h>
#if defined(__x86_64__) || defined(__i386__)
#include <x86intrin.h>
#endif

/* Set once by rt_clock_init() before intake opens; read-only afterwards. */
extern int rt_clock_use_tsc;

static inline uint64_t rt_clock_ticks(void)
{
#if defined(__x86_64__) || defined(__i386__)
    if (rt_clock_use_tsc)
        return __rdtsc();
#endif
    LARGE_INTEGER t;
    QueryPerformanceCounter(&t);
    return (uint64_t)t.QuadPart;
}

/* Chooses the counter and takes the first reference point. Cheap: called
 * from Initialize. */
void rt_clock_init(void);
/* Worker only: renew the anchor and the rate estimate. */
void rt_clock_reanchor(void);
/* Worker only: ticks -> microseconds since 1970-01-01 UTC. */
int64_t rt_clock_to_unix_us(uint64_t ticks);
/* Now, in microseconds since 1970-01-01 UTC. */
int64_t rt_clock_now_unix_us(void);

#endif /* RT_CLOCK_H */
