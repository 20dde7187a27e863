/*
 * clock.h - the time stamp a callout takes on entry, and its conversion to
 * wall-clock time in the worker.
 *
 * Callouts read the performance counter only (cheap, never blocks); the
 * worker converts with an anchor pair (counter, system time) that it renews
 * every second, so wall-clock adjustments show up within a second.
 */
#ifndef RT_CLOCK_H
#define RT_CLOCK_H

#include <stdint.h>

#include <windows.h>

static inline uint64_t rt_clock_ticks(void)
{
    LARGE_INTEGER t;
    QueryPerformanceCounter(&t);
    return (uint64_t)t.QuadPart;
}

/* Any thread; sets the first anchor. */
void rt_clock_init(void);
/* Worker only: take a fresh anchor. */
void rt_clock_reanchor(void);
/* Worker only: ticks -> microseconds since 1970-01-01 UTC. */
int64_t rt_clock_to_unix_us(uint64_t ticks);
/* Now, in microseconds since 1970-01-01 UTC. */
int64_t rt_clock_now_unix_us(void);

#endif /* RT_CLOCK_H */
