/*
 * runtime.h - rastap's process-wide state: the ring the callouts fill, the
 * worker that drains it, and the intake gate between them.
 *
 * Lifetime: DllMain only records the module handle. MprAdminInitializeDll(Ex)
 * calls rt_runtime_start(), which allocates the ring (once per process; it
 * stays until the DLL unloads, so a callout racing with Terminate can never
 * write into freed memory) and starts the worker. MprAdminTerminateDll calls
 * rt_runtime_stop(). Start -> stop -> start in one process works.
 */
#ifndef RT_RUNTIME_H
#define RT_RUNTIME_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <windows.h>

#include "event.h"
#include "ring.h"

/* Defaults (the configuration can change them). */
#define RT_DEFAULT_RING_CAPACITY 4096u
#define RT_DEFAULT_STOP_DRAIN_MS 2000u

typedef struct rt_runtime {
    /* Written by start/stop (RRAS's thread), read by every callout. */
    _Atomic(rt_ring *) ring;
    atomic_int intake_open;

    /* The worker's sleep/wake handshake (see rt_runtime_wake in runtime.c
     * and the idle path in worker.c). */
    atomic_int worker_idle;
    HANDLE wake_event;

    /* Callouts refused because rastap was not running (no ring or intake
     * closed); reported as events.dropped by the next worker. */
    atomic_uint refused;

    /* Totals for service.stop and status. */
    atomic_uint fired;          /* callouts that produced an event attempt */

    HANDLE worker;
    HMODULE module;
    uint8_t mode_ex;            /* how RRAS initialised us */
    uint32_t stop_drain_ms;
} rt_runtime;

extern rt_runtime rt_rt;

/* DllMain: remember the module. */
void rt_runtime_attach(HMODULE module);
/* DllMain, DLL_PROCESS_DETACH (lpReserved == NULL: a real FreeLibrary). */
void rt_runtime_detach(bool process_terminating);

/* MprAdminInitializeDll(Ex): allocate once, start the worker, open intake.
 * Returns NO_ERROR, or a Win32 error when even the ring cannot exist. A sink
 * that cannot open is never an error here (it is reported and retried). */
DWORD rt_runtime_start(bool mode_ex);

/* MprAdminTerminateDll: close intake, let the worker drain for at most the
 * stop-drain bound, write service.stop, close sinks, join. Never hangs. */
void rt_runtime_stop(void);

/*
 * Hot path, any thread, never blocks.
 * rt_event_begin reserves a slot for `kind` (NULL: ring full or rastap not
 * running; the loss is counted either way) and stamps time and callout.
 * rt_event_end publishes it and wakes the worker if it sleeps.
 */
rt_event *rt_event_begin(rt_kind kind, rt_callout callout);
void rt_event_end(rt_event *ev);

#endif /* RT_RUNTIME_H */
