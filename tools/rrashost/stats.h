/*
 * stats.h - the clock callouts are timed with, latency histograms, and the
 * per-thread counters they are kept in.
 *
 * Timing: the TSC (lfence; rdtsc) around each single call into a DLL,
 * calibrated against QueryPerformanceCounter over the whole run. When the
 * CPU does not report an invariant TSC (or --clock qpc), QPC itself is the
 * clock; its resolution (100 ns under Wine) is then the floor.
 */
#ifndef RH_STATS_H
#define RH_STATS_H

#include <stdbool.h>
#include <stdint.h>

#include "host.h"

/* -------------------------------------------------------------- clock.c */

/* Selects and calibrates the clock (about 50 ms). */
void rh_clock_init(bool force_qpc);
/* Re-derives the tick rate over everything since rh_clock_init (call once,
 * after the run, before converting ticks). */
void rh_clock_finish(void);
/* Current tick count; any thread. */
uint64_t rh_ticks(void);
/* Ticks per second (calibrated). */
double rh_ticks_hz(void);
double rh_ticks_to_ns(uint64_t ticks);
/* "tsc" or "qpc", and a warning text or NULL. */
const char *rh_clock_name(void);
const char *rh_clock_warning(void);
/* Wall seconds from QPC (for pacing, progress and rates). */
double rh_wall_seconds(void);

/* --------------------------------------------------------------- hist.c */

/* Log-linear histogram: exact below 64 ticks, then 32 sub-buckets per
 * power of two (relative error under 3.2 %). */
#define RH_HIST_BUCKETS (64 + 58 * 32)

typedef struct rh_hist {
    uint64_t count;
    uint64_t sum;
    uint64_t min;
    uint64_t max;
    uint64_t bucket[RH_HIST_BUCKETS];
} rh_hist;

rh_hist *rh_hist_new(void);
void rh_hist_add(rh_hist *h, uint64_t ticks);
void rh_hist_merge(rh_hist *dst, const rh_hist *src);
/* Value (ticks) at quantile q in [0,1]: the middle of the bucket holding
 * that rank, clamped to [min, max]; q = 1 gives max exactly. */
uint64_t rh_hist_quantile(const rh_hist *h, double q);
/* Representative value and population of bucket i (for plots). */
uint64_t rh_hist_bucket_value(unsigned i);

/* -------------------------------------------------------------- totals */

typedef struct rh_totals {
    uint64_t sessions;          /* sessions started */
    uint64_t established;       /* connection accepted by every DLL and a link up */
    uint64_t conn_rejected;     /* some DLL returned FALSE from AcceptNewConnection* */
    uint64_t aborted;           /* address assigned, then PPP failed: no connection */
    uint64_t ip_refused;        /* GetIpAddressForUser failed or left no address */
    uint64_t ipv6_refused;
    uint64_t links;             /* links accepted */
    uint64_t links_refused;
    uint64_t reauths;           /* reauthentications accepted */
    uint64_t reauth_rejected;
    uint64_t callouts;          /* calls into DLLs, all kinds */
} rh_totals;

typedef struct rh_stats {
    rh_hist *lat[RH_MAX_DLLS][RH_CO_COUNT];     /* lazily allocated */
    uint64_t calls[RH_MAX_DLLS][RH_CO_COUNT];
    uint64_t refusals[RH_MAX_DLLS][RH_CO_COUNT]; /* FALSE / error returned */
    rh_totals t;
} rh_stats;

void rh_stats_record(rh_stats *s, unsigned dll, rh_callout co, uint64_t ticks);
void rh_stats_merge(rh_stats *dst, const rh_stats *src);
void rh_stats_free(rh_stats *s);

#endif /* RH_STATS_H */
