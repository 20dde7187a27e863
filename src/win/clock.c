#include "clock.h"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

/* 100 ns intervals between 1601-01-01 and 1970-01-01. */
#define FILETIME_UNIX_EPOCH 116444736000000000LL
/* Below this span the TSC rate is not measured yet: use QPC's. */
#define MIN_RATE_SPAN_QPC_MS 20

int rt_clock_use_tsc;

static int64_t qpc_freq;      /* QPC ticks per second */
static uint64_t ref_ticks;    /* raw counter at the reference point */
static int64_t ref_qpc;       /* QPC at the reference point */
static double ticks_per_us;   /* measured rate of the raw counter */
static uint64_t anchor_ticks; /* counter at the wall-clock anchor */
static int64_t anchor_us;     /* wall clock at the anchor */

int64_t rt_clock_now_unix_us(void)
{
    FILETIME ft;
    GetSystemTimePreciseAsFileTime(&ft);
    int64_t t = (int64_t)(((uint64_t)ft.dwHighDateTime << 32) | ft.dwLowDateTime);
    return (t - FILETIME_UNIX_EPOCH) / 10;
}

static int64_t qpc(void)
{
    LARGE_INTEGER t;
    QueryPerformanceCounter(&t);
    return t.QuadPart;
}

static int tsc_is_invariant(void)
{
#if defined(__x86_64__) || defined(__i386__)
    unsigned a, b, c, d;
    if (__get_cpuid(0x80000007, &a, &b, &c, &d))
        return (d >> 8) & 1;
#endif
    return 0;
}

void rt_clock_init(void)
{
    if (qpc_freq)
        return; /* keep one counter for the life of the process */
    LARGE_INTEGER f;
    QueryPerformanceFrequency(&f);
    qpc_freq = f.QuadPart > 0 ? f.QuadPart : 1;
    rt_clock_use_tsc = tsc_is_invariant();
    ref_qpc = qpc();
    ref_ticks = rt_clock_ticks();
    ticks_per_us = rt_clock_use_tsc ? 0 : (double)qpc_freq / 1e6;
    anchor_ticks = ref_ticks;
    anchor_us = rt_clock_now_unix_us();
}

void rt_clock_reanchor(void)
{
    if (rt_clock_use_tsc) {
        /* Measure the TSC rate against QPC over everything seen so far;
         * until the span is long enough, wait a little (worker only). */
        uint64_t now;
        int64_t span;
        for (;;) {
            now = rt_clock_ticks();
            span = qpc() - ref_qpc;
            if (span * 1000 >= (int64_t)MIN_RATE_SPAN_QPC_MS * qpc_freq)
                break;
            Sleep(1);
        }
        double span_us = (double)span * 1e6 / (double)qpc_freq;
        ticks_per_us = (double)(now - ref_ticks) / span_us;
    }
    anchor_ticks = rt_clock_ticks();
    anchor_us = rt_clock_now_unix_us();
}

int64_t rt_clock_to_unix_us(uint64_t ticks)
{
    if (ticks_per_us <= 0)
        rt_clock_reanchor();
    /* Signed difference: events stamped just before the anchor are fine. */
    double d = (double)(int64_t)(ticks - anchor_ticks);
    return anchor_us + (int64_t)(d / ticks_per_us);
}
