/*
 * runtime.c - start/stop and the callouts' hot path.
 *
 * Wake handshake (the producer side; the worker side is in worker.c):
 *
 *   producer (rt_event_end)            worker (idle path)
 *   1. commit slot (release store)     a. worker_idle = 1
 *   2. seq_cst fence                   b. seq_cst fence
 *   3. if worker_idle: exchange -> 0   c. peek ring; if non-empty: idle = 0, run
 *      and SetEvent if it was 1        d. else wait on wake_event
 *
 * Both fences are seq_cst, so either the producer's load in 3 sees a = 1
 * (and sets the event, which is auto-reset and stays signalled until the
 * worker waits), or the worker's peek in c sees the slot committed in 1. No
 * wake-up is lost. Only the producer that wins the exchange calls SetEvent,
 * and only while the worker really sleeps, so a busy worker costs the
 * callouts one fence and one load.
 */
#include "runtime.h"

#include <string.h>

#include "clock.h"
#include "ipassign_win.h"
#include "worker.h"

rt_runtime rt_rt;

/* Rings replaced by a RingSize change: never freed while the DLL is
 * loaded, in case a straggling callout still holds one. */
static rt_ring *retired[4];

void rt_runtime_attach(HMODULE module)
{
    rt_rt.module = module;
}

void rt_runtime_detach(bool process_terminating)
{
    /* At process exit other threads are already gone and memory goes with
     * the process; on a real FreeLibrary the worker has been joined by
     * Terminate (it holds a module reference while it runs). */
    if (process_terminating)
        return;
    rt_config_reclaim(true);
    rt_ipassign_win_unload(); /* after the last configuration that used the leases */
    rt_ring *ring = atomic_exchange_explicit(&rt_rt.ring, NULL, memory_order_acq_rel);
    if (ring)
        rt_ring_destroy(ring);
    for (unsigned i = 0; i < 4; i++) {
        if (retired[i])
            rt_ring_destroy(retired[i]);
        retired[i] = NULL;
    }
    if (rt_rt.wake_event) {
        CloseHandle(rt_rt.wake_event);
        rt_rt.wake_event = NULL;
    }
}

rt_event *rt_event_begin(rt_kind kind, rt_callout callout)
{
    uint64_t now = rt_clock_ticks();
    atomic_fetch_add_explicit(&rt_rt.fired, 1, memory_order_relaxed);
    /* Acquire pairs with the release store of the ring in rt_runtime_start:
     * a callout that sees the ring sees it initialised. */
    rt_ring *ring = atomic_load_explicit(&rt_rt.ring, memory_order_acquire);
    if (!ring || !atomic_load_explicit(&rt_rt.intake_open, memory_order_acquire)) {
        atomic_fetch_add_explicit(&rt_rt.refused, 1, memory_order_relaxed);
        return NULL;
    }
    rt_event *ev = rt_ring_reserve_mp(ring, rt_kind_is_priority(kind));
    if (!ev)
        return NULL; /* counted by the ring */
    ev->time_ticks = now;
    ev->has = 0;
    ev->kind = (uint16_t)kind;
    ev->callout = (uint16_t)callout;
    ev->decision = 0;
    ev->reason = 0;
    ev->thread_tag = 0;
    ev->producer_seq = 0;
    return ev;
}

void rt_event_end(rt_event *ev)
{
    rt_ring *ring = atomic_load_explicit(&rt_rt.ring, memory_order_relaxed);
    rt_ring_commit_mp(ring, ev);
    /* Orders the commit before the load of worker_idle; pairs with the
     * seq_cst fence in the worker's idle path (worker.c, step b). */
    atomic_thread_fence(memory_order_seq_cst);
    if (atomic_load_explicit(&rt_rt.worker_idle, memory_order_relaxed) &&
        atomic_exchange_explicit(&rt_rt.worker_idle, 0, memory_order_relaxed))
        SetEvent(rt_rt.wake_event);
}

static DWORD ensure_ring(uint32_t capacity)
{
    rt_ring *old = atomic_load_explicit(&rt_rt.ring, memory_order_relaxed);
    if (old && rt_ring_capacity(old) == capacity)
        return NO_ERROR; /* kept for the life of the process (runtime.h) */
    unsigned slot = 0;
    while (old && slot < 4 && retired[slot])
        slot++;
    if (old && slot == 4)
        return NO_ERROR; /* changed too often: keep the ring we have */
    rt_ring *ring = NULL;
    if (rt_ring_create(&ring, capacity, (uint32_t)sizeof(rt_event), RT_RING_DEFAULT_HEADROOM(capacity)) != 0)
        return ERROR_NOT_ENOUGH_MEMORY;
    if (old)
        retired[slot] = old;
    /* Release pairs with the acquire load in rt_event_begin. */
    atomic_store_explicit(&rt_rt.ring, ring, memory_order_release);
    return NO_ERROR;
}

DWORD rt_runtime_start(bool mode_ex)
{
    if (rt_rt.worker)
        return NO_ERROR; /* initialised twice: keep the running instance */
    rt_rt.mode_ex = mode_ex;
    if (!rt_rt.wake_event) {
        rt_rt.wake_event = CreateEventW(NULL, FALSE, FALSE, NULL);
        if (!rt_rt.wake_event)
            return GetLastError();
    }
    rt_core_settings core;
    rt_worker_configure(&core);
    rt_rt.stop_drain_ms = core.stop_drain_ms;
    DWORD err = ensure_ring(core.ring_size);
    if (err != NO_ERROR)
        return err;
    rt_clock_init();
    err = rt_worker_start();
    if (err != NO_ERROR)
        return err;
    atomic_store_explicit(&rt_rt.intake_open, 1, memory_order_release);
    return NO_ERROR;
}

void rt_runtime_stop(void)
{
    if (!rt_rt.worker)
        return;
    /* Callouts arriving from now on are refused and counted. */
    atomic_store_explicit(&rt_rt.intake_open, 0, memory_order_release);
    const rt_config *cfg = rt_config_current(); /* StopDrainMs applies live */
    if (cfg)
        rt_rt.stop_drain_ms = cfg->core.stop_drain_ms;
    rt_worker_stop(rt_rt.stop_drain_ms);
}
