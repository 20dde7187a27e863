#include "clock.h"

/* 100 ns intervals between 1601-01-01 and 1970-01-01. */
#define FILETIME_UNIX_EPOCH 116444736000000000LL

static int64_t freq;          /* counter ticks per second */
static uint64_t anchor_ticks; /* counter at the anchor */
static int64_t anchor_us;     /* wall clock at the anchor */

int64_t rt_clock_now_unix_us(void)
{
    FILETIME ft;
    GetSystemTimePreciseAsFileTime(&ft);
    int64_t t = (int64_t)(((uint64_t)ft.dwHighDateTime << 32) | ft.dwLowDateTime);
    return (t - FILETIME_UNIX_EPOCH) / 10;
}

void rt_clock_init(void)
{
    LARGE_INTEGER f;
    QueryPerformanceFrequency(&f);
    freq = f.QuadPart > 0 ? f.QuadPart : 1;
    rt_clock_reanchor();
}

void rt_clock_reanchor(void)
{
    anchor_ticks = rt_clock_ticks();
    anchor_us = rt_clock_now_unix_us();
}

int64_t rt_clock_to_unix_us(uint64_t ticks)
{
    /* Signed difference: events stamped just before the anchor are fine. */
    int64_t d = (int64_t)(ticks - anchor_ticks);
    int64_t whole = d / freq;
    int64_t rest = d % freq;
    return anchor_us + whole * 1000000 + rest * 1000000 / freq;
}
