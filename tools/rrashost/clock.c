/*
 * clock.c - TSC timing calibrated against QueryPerformanceCounter.
 *
 * Callouts of a non-blocking DLL take a few hundred nanoseconds, so the
 * timer must cost little and resolve well below that: `lfence; rdtsc` does
 * (the lfence keeps the read from being hoisted above the call's start).
 * The TSC rate is measured against QPC twice: over ~50 ms at start (so
 * progress output is right) and over the whole run at the end (so the
 * reported figures carry an error far below the histogram's 3 %).
 */
#include <windows.h>

#include <cpuid.h>

#include "stats.h"

static struct {
    bool tsc;
    double hz;
    uint64_t tick0;
    LARGE_INTEGER qpc0;
    LARGE_INTEGER qpf;
    const char *warning;
} clk;

static uint64_t read_tsc(void)
{
    uint32_t lo, hi;
    __asm__ __volatile__("lfence\n\trdtsc" : "=a"(lo), "=d"(hi)::"memory");
    return ((uint64_t)hi << 32) | lo;
}

static uint64_t read_qpc(void)
{
    LARGE_INTEGER q;
    QueryPerformanceCounter(&q);
    return (uint64_t)q.QuadPart;
}

/* CPUID 0x80000007 EDX bit 8: the TSC runs at a constant rate in all
 * power states, so ticks convert to time with one factor. */
static bool tsc_invariant(void)
{
    unsigned a, b, c, d;
    if (!__get_cpuid(0x80000000u, &a, &b, &c, &d) || a < 0x80000007u)
        return false;
    if (!__get_cpuid(0x80000007u, &a, &b, &c, &d))
        return false;
    return (d & (1u << 8)) != 0;
}

uint64_t rh_ticks(void)
{
    return clk.tsc ? read_tsc() : read_qpc();
}

static double measure_hz(void)
{
    uint64_t q1 = read_qpc();
    uint64_t t1 = rh_ticks();
    double secs = (double)(q1 - (uint64_t)clk.qpc0.QuadPart) / (double)clk.qpf.QuadPart;
    return secs > 0 ? (double)(t1 - clk.tick0) / secs : 0;
}

void rh_clock_init(bool force_qpc)
{
    QueryPerformanceFrequency(&clk.qpf);
    clk.tsc = !force_qpc;
    if (clk.tsc && !tsc_invariant())
        clk.warning = "CPUID does not report an invariant TSC (common in VMs); "
                      "TSC figures assume a constant rate, use --clock qpc if in doubt";
    clk.qpc0.QuadPart = (LONGLONG)read_qpc();
    clk.tick0 = rh_ticks();
    if (!clk.tsc) {
        clk.hz = (double)clk.qpf.QuadPart;
        return;
    }
    /* ~50 ms, mostly asleep; the end-of-run calibration refines it. */
    Sleep(40);
    while ((double)(read_qpc() - (uint64_t)clk.qpc0.QuadPart) < 0.05 * (double)clk.qpf.QuadPart)
        YieldProcessor();
    clk.hz = measure_hz();
}

void rh_clock_finish(void)
{
    if (!clk.tsc)
        return;
    double early = clk.hz;
    double hz = measure_hz();
    if (hz <= 0)
        return;
    clk.hz = hz;
    if (early > 0 && (hz / early > 1.01 || early / hz > 1.01))
        clk.warning = "the TSC rate changed by more than 1 % during the run; "
                      "latency figures may be off, try --clock qpc";
}

double rh_ticks_hz(void)
{
    return clk.hz;
}

double rh_ticks_to_ns(uint64_t ticks)
{
    return clk.hz > 0 ? (double)ticks * 1e9 / clk.hz : 0;
}

const char *rh_clock_name(void)
{
    return clk.tsc ? "tsc" : "qpc";
}

const char *rh_clock_warning(void)
{
    return clk.warning;
}

double rh_wall_seconds(void)
{
    return (double)(read_qpc() - (uint64_t)clk.qpc0.QuadPart) / (double)clk.qpf.QuadPart;
}
