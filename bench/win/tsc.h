/*
 * tsc.h - the Windows benchmarks' clock: RDTSCP, calibrated against
 * QueryPerformanceCounter over 200 ms. Benchmarks only.
 */
#ifndef RT_BENCH_TSC_H
#define RT_BENCH_TSC_H

#include <stdint.h>

#include <windows.h>
#include <intrin.h>

/* TSC ticks per nanosecond; set by tsc_calibrate(). */
static double tsc_per_ns;

static inline uint64_t tsc(void)
{
    unsigned aux;
    return __rdtscp(&aux);
}

static inline void tsc_calibrate(void)
{
    LARGE_INTEGER f, a, b;
    QueryPerformanceFrequency(&f);
    QueryPerformanceCounter(&a);
    uint64_t t0 = tsc();
    Sleep(200);
    QueryPerformanceCounter(&b);
    uint64_t t1 = tsc();
    double ns = (double)(b.QuadPart - a.QuadPart) * 1e9 / (double)f.QuadPart;
    tsc_per_ns = (double)(t1 - t0) / ns;
}

#endif /* RT_BENCH_TSC_H */
