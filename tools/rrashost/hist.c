/*
 * hist.c - log-linear latency histograms and per-thread statistics.
 *
 * Each worker thread owns its rh_stats (no sharing, no atomics on the hot
 * path); main merges them after the threads are joined.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stats.h"

#define SUB_BITS 5
#define SUB (1u << SUB_BITS)
#define LINEAR 64u

static unsigned msb64(uint64_t v)
{
    return 63u - (unsigned)__builtin_clzll(v);
}

static unsigned bucket_of(uint64_t v)
{
    if (v < LINEAR)
        return (unsigned)v;
    unsigned p = msb64(v); /* 6 .. 63 */
    unsigned sub = (unsigned)(v >> (p - SUB_BITS)) & (SUB - 1);
    return LINEAR + (p - 6) * SUB + sub;
}

uint64_t rh_hist_bucket_value(unsigned i)
{
    if (i < LINEAR)
        return i;
    unsigned p = 6 + (i - LINEAR) / SUB;
    unsigned sub = (i - LINEAR) % SUB;
    uint64_t width = (uint64_t)1 << (p - SUB_BITS);
    uint64_t low = (uint64_t)(SUB + sub) << (p - SUB_BITS);
    return low + width / 2;
}

rh_hist *rh_hist_new(void)
{
    rh_hist *h = calloc(1, sizeof *h);
    if (!h) {
        fputs("rrashost: out of memory\n", stderr);
        exit(RH_EXIT_USAGE);
    }
    h->min = UINT64_MAX;
    return h;
}

void rh_hist_add(rh_hist *h, uint64_t ticks)
{
    h->count++;
    h->sum += ticks;
    if (ticks < h->min)
        h->min = ticks;
    if (ticks > h->max)
        h->max = ticks;
    h->bucket[bucket_of(ticks)]++;
}

void rh_hist_merge(rh_hist *dst, const rh_hist *src)
{
    dst->count += src->count;
    dst->sum += src->sum;
    if (src->min < dst->min)
        dst->min = src->min;
    if (src->max > dst->max)
        dst->max = src->max;
    for (unsigned i = 0; i < RH_HIST_BUCKETS; i++)
        dst->bucket[i] += src->bucket[i];
}

uint64_t rh_hist_quantile(const rh_hist *h, double q)
{
    if (!h || h->count == 0)
        return 0;
    if (q >= 1.0)
        return h->max;
    /* rank of the q-quantile, 1-based: ceil(q * count), at least 1 */
    uint64_t rank = (uint64_t)(q * (double)h->count);
    if ((double)rank < q * (double)h->count)
        rank++;
    if (rank == 0)
        rank = 1;
    uint64_t seen = 0;
    for (unsigned i = 0; i < RH_HIST_BUCKETS; i++) {
        seen += h->bucket[i];
        if (seen >= rank) {
            uint64_t v = rh_hist_bucket_value(i);
            if (v < h->min)
                v = h->min;
            if (v > h->max)
                v = h->max;
            return v;
        }
    }
    return h->max;
}

void rh_stats_record(rh_stats *s, unsigned dll, rh_callout co, uint64_t ticks)
{
    rh_hist *h = s->lat[dll][co];
    if (!h)
        h = s->lat[dll][co] = rh_hist_new();
    rh_hist_add(h, ticks);
    s->calls[dll][co]++;
    s->t.callouts++;
}

void rh_stats_merge(rh_stats *dst, const rh_stats *src)
{
    for (unsigned d = 0; d < RH_MAX_DLLS; d++) {
        for (unsigned c = 0; c < RH_CO_COUNT; c++) {
            dst->calls[d][c] += src->calls[d][c];
            dst->refusals[d][c] += src->refusals[d][c];
            if (!src->lat[d][c])
                continue;
            if (!dst->lat[d][c])
                dst->lat[d][c] = rh_hist_new();
            rh_hist_merge(dst->lat[d][c], src->lat[d][c]);
        }
    }
    const uint64_t *a = (const uint64_t *)&src->t;
    uint64_t *b = (uint64_t *)&dst->t;
    for (size_t i = 0; i < sizeof src->t / sizeof(uint64_t); i++)
        b[i] += a[i];
}

void rh_stats_free(rh_stats *s)
{
    for (unsigned d = 0; d < RH_MAX_DLLS; d++)
        for (unsigned c = 0; c < RH_CO_COUNT; c++) {
            free(s->lat[d][c]);
            s->lat[d][c] = NULL;
        }
}
