/*
 * reload.h - live reload: a watcher thread notices a change of the
 * configuration key, waits for it to settle, reads and validates it, and
 * hands the outcome to the worker, which applies it between two batches.
 *
 *   watcher thread                         worker thread (between batches)
 *   RegNotifyChangeKeyValue fires          rt_reload_take():
 *   settle: no change for SETTLE_MS          valid and different: publish the
 *   rt_config_read (off the worker)            snapshot, say whether the sinks
 *   refused: diag + Application event log      changed, config.applied record
 *   pending = outcome (exchange)             refused: config.error records
 *   SetEvent(wake_event)                   the worker reopens changed sinks and
 *                                          emits the records (worker.c)
 *
 * Hand-off: `pending` holds at most one outcome; the watcher exchanges a
 * newer one in (and frees what it displaced: the newer read supersedes
 * it), the worker exchanges NULL in. Whoever receives a pointer from the
 * exchange owns it, so no outcome is used or freed twice. The release half
 * of the watcher's exchange pairs with the acquire half of the worker's:
 * the worker sees the outcome fully written. The worker is woken by
 * SetEvent on rt_rt.wake_event after the exchange; a wake that finds the
 * worker busy leaves the event set, which only makes one later idle wait
 * return at once, and the worker checks `pending` on every loop anyway.
 *
 * Nothing here runs on a callout's thread.
 */
#ifndef RT_RELOAD_H
#define RT_RELOAD_H

#include <stdbool.h>
#include <stdint.h>

#include "event.h"
#include "ring.h"
#include "sinks.h"

/* A change counts once no further change came for this long. */
#define RT_RELOAD_SETTLE_MS 150u
/* Continuous changes cannot postpone a read longer than this. */
#define RT_RELOAD_SETTLE_MAX_MS 1000u
/* config.error records per refusal; more problems are summarised in one more. */
#define RT_RELOAD_MAX_ERRORS 15u
#define RT_RELOAD_MAX_RECORDS (RT_RELOAD_MAX_ERRORS + 1u)

/* What the worker must do for one change. */
typedef struct rt_reload_change {
    bool sinks_changed;             /* close and reopen the sinks with `sinks` */
    const rt_sink_config *sinks;    /* the new snapshot's sinks (valid until the next change) */
    unsigned nsinks;
    unsigned nrecords;              /* config.applied or config.error records, in order */
    rt_event records[RT_RELOAD_MAX_RECORDS];
} rt_reload_change;

/* RRAS's thread, in rt_worker_start before intake opens: queues the start's
 * configuration records (config.error for a refused configuration, then
 * config.applied with the generation in force) right after service.start,
 * and reports a refusal to the event log. */
void rt_reload_push_start(rt_ring *ring);

/* Worker thread, when it starts / before it finishes: the watcher thread. */
void rt_reload_start(void);
void rt_reload_stop(void);

/* Worker thread, between batches: the change to apply, or NULL. The result
 * stays valid until the next call. */
const rt_reload_change *rt_reload_take(void);

/* Configurations refused since the DLL was loaded (any thread). */
uint64_t rt_reload_refused(void);

#endif /* RT_RELOAD_H */
