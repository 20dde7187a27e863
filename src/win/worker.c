/*
 * worker.c - the one thread that drains the ring into the sinks.
 *
 * It assigns `seq` in the order records leave the ring, converts time
 * stamps, remembers each connection's tunnel type (learned from its first
 * link), turns loss counters into events.dropped records and, once a
 * second, flushes the sinks and retries failing ones.
 *
 * Idle path (the consumer half of the handshake in runtime.c):
 *   a. worker_idle = 1;  b. seq_cst fence;  c. peek the ring: if anything is
 *   committed, clear worker_idle and run;  d. else wait on wake_event.
 * Before sleeping it polls for a few milliseconds, so under load the
 * callouts almost never pay for SetEvent.
 *
 * The thread holds a reference on the module (taken before it starts) and
 * leaves with FreeLibraryAndExitThread, so an unexpected unload cannot pull
 * its code away.
 */
#include "worker.h"

#include <ntsecapi.h>

#include <stdio.h>
#include <string.h>

#include "clock.h"
#include "config.h"
#include "diag.h"
#include "reload.h"
#include "runtime.h"
#include "sinks.h"
#include "status.h"
#include "tunnels.h"
#include "utf.h"
#include "version.h"

#define BATCH 256
#define IDLE_POLLS 20
#define TICK_MS 1000
#define CLOSE_MARGIN_MS 3000

static HANDLE thread;
static HANDLE zombie;               /* a worker that outlived its stop bound */
static atomic_int stopping;
static ULONGLONG stop_deadline;
static uint64_t seq;                /* per instance: survives re-initialisation */
static rt_format_ctx fmt;
static rt_sink_config configs[RT_MAX_SINKS];
static unsigned nconfigs;

/* Totals of the current run, for service.stop. */
static uint64_t run_events;
static uint64_t run_dropped;

static rt_out_record out[BATCH];
static rt_event made;               /* records the worker makes itself */

static void make_instance(void)
{
    if (fmt.instance[0])
        return;
    uint8_t r[16];
    if (!RtlGenRandom(r, sizeof r)) { /* fall back to time and pid */
        uint64_t t = rt_clock_ticks() ^ ((uint64_t)GetCurrentProcessId() << 32);
        memcpy(r, &t, 8);
        memcpy(r + 8, &t, 8);
    }
    for (int i = 0; i < 16; i++)
        snprintf(fmt.instance + 2 * i, 3, "%02x", r[i]);
    WCHAR host[256];
    DWORD len = 256;
    if (!GetComputerNameExW(ComputerNameDnsHostname, host, &len) || len == 0) {
        len = 256;
        if (!GetComputerNameW(host, &len))
            len = 0;
    }
    rt_utf16_to_utf8((const rt_wchar *)host, len, fmt.host, sizeof fmt.host);
    fmt.pid = GetCurrentProcessId();
    fmt.version = RT_VERSION_STRING;
    fmt.csv_defuse = true;
}

/* Sends n records of `out` to the sinks. */
static void deliver(size_t n)
{
    rt_status_count(out, n);
    rt_sinks_write(out, n);
}

static void emit_made(void)
{
    out[0] = (rt_out_record){++seq, rt_clock_now_unix_us(), &made, NULL};
    deliver(1);
}

static void emit_dropped(uint64_t count, const char *reason)
{
    memset(&made, 0, sizeof made);
    made.kind = RT_EV_EVENTS_DROPPED;
    made.u.meta.a = count;
    snprintf(made.u.meta.reason, sizeof made.u.meta.reason, "%s", reason);
    emit_made();
}

/* Turns loss counters into events.dropped records. */
static void report_losses(rt_ring *ring, uint64_t sink_dropped)
{
    uint32_t normal = 0, priority = 0;
    rt_ring_take_drops(ring, &normal, &priority);
    unsigned refused = atomic_exchange_explicit(&rt_rt.refused, 0, memory_order_relaxed);
    if (normal + priority) {
        run_dropped += (uint64_t)normal + priority;
        emit_dropped((uint64_t)normal + priority, "ring_full");
    }
    if (refused) {
        run_dropped += refused;
        emit_dropped(refused, "not_running");
    }
    if (sink_dropped)
        emit_dropped(sink_dropped, "sink_backlog_full");
    uint64_t spool = rt_sinks_take_spool_lost();
    if (spool)
        emit_dropped(spool, "spool_full");
}

static void handle_batch(void **slots, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) {
        const rt_event *ev = slots[i];
        out[i] = (rt_out_record){++seq, rt_clock_to_unix_us(ev->time_ticks), ev,
                                 rt_tunnels_observe(ev)};
    }
    run_events += n;
    deliver(n);
    for (uint32_t i = 0; i < n; i++)
        rt_tunnels_forget(slots[i]);
}

/* Between two batches: apply what the configuration watcher found
 * (reload.h). Records already handed to the sinks are written by close (what
 * a sink still cannot take is counted as dropped); records still in the
 * ring go to the reopened sinks. */
static void check_config(rt_ring *ring)
{
    const rt_reload_change *ch = rt_reload_take();
    if (!ch)
        return;
    if (ch->sinks_changed) {
        report_losses(ring, rt_sinks_tick(false));
        uint64_t lost = rt_sinks_close();
        rt_sinks_open(ch->sinks, ch->nsinks, &fmt);
        if (lost) {
            run_dropped += lost;
            emit_dropped(lost, "sink_reconfigured");
        }
    }
    for (unsigned i = 0; i < ch->nrecords; i++) {
        made = ch->records[i];
        emit_made();
    }
    rt_status_publish(ring);
}

static void finish(rt_ring *ring)
{
    uint32_t left = rt_ring_occupancy(ring);
    if (left) {
        rt_diag_report(RT_DIAG_ERROR, "stop: %u records not drained within %u ms", left,
                       (unsigned)rt_rt.stop_drain_ms);
        run_dropped += left;
        emit_dropped(left, "stop_timeout");
    }
    report_losses(ring, rt_sinks_tick(false));
    memset(&made, 0, sizeof made);
    made.kind = RT_EV_SERVICE_STOP;
    made.callout = RT_CO_TERMINATE_DLL;
    made.u.meta.a = run_events;
    made.u.meta.b = run_dropped;
    emit_made();
    rt_sinks_close();
}

static void wait_idle(rt_ring *ring, DWORD ms)
{
    void *probe;
    atomic_store_explicit(&rt_rt.worker_idle, 1, memory_order_relaxed);
    /* Pairs with the seq_cst fence in rt_event_end (runtime.c). */
    atomic_thread_fence(memory_order_seq_cst);
    if (rt_ring_peek_sc(ring, &probe, 1) == 0 &&
        !atomic_load_explicit(&stopping, memory_order_acquire))
        WaitForSingleObject(rt_rt.wake_event, ms);
    atomic_store_explicit(&rt_rt.worker_idle, 0, memory_order_relaxed);
}

static DWORD WINAPI worker_main(void *arg)
{
    (void)arg;
    rt_ring *ring = atomic_load_explicit(&rt_rt.ring, memory_order_acquire);
    void *slots[BATCH];
    rt_clock_reanchor();
    rt_sinks_open(configs, nconfigs, &fmt);
    rt_status_open();
    rt_reload_start();
    ULONGLONG next_tick = GetTickCount64() + TICK_MS;
    bool dirty = false;
    unsigned polls = 0;
    for (;;) {
        uint32_t n = rt_ring_peek_sc(ring, slots, BATCH);
        if (n) {
            handle_batch(slots, n);
            rt_ring_release_sc(ring, n);
            dirty = true;
            polls = 0;
        }
        ULONGLONG now = GetTickCount64();
        if (now >= next_tick) {
            rt_clock_reanchor();
            report_losses(ring, rt_sinks_tick(dirty));
            rt_status_publish(ring);
            dirty = false;
            next_tick = now + TICK_MS;
        }
        check_config(ring);
        if (n)
            continue;
        if (atomic_load_explicit(&stopping, memory_order_acquire)) {
            if (rt_ring_occupancy(ring) == 0 || now >= stop_deadline)
                break;
            Sleep(1); /* a producer is still between reserve and commit */
            continue;
        }
        if (polls < IDLE_POLLS) {
            polls++;
            Sleep(1);
            continue;
        }
        wait_idle(ring, (DWORD)(next_tick > now ? next_tick - now : 1));
    }
    rt_reload_stop();
    finish(ring);
    rt_status_close();
    FreeLibraryAndExitThread(rt_rt.module, 0);
    return 0;
}

/* service.start goes into the ring before intake opens, so it is the first
 * record of the run. */
static void push_service_start(rt_ring *ring)
{
    rt_event *ev = rt_ring_reserve_mp(ring, true);
    if (!ev)
        return;
    memset(ev, 0, offsetof(rt_event, u) + sizeof(rt_ev_meta));
    ev->time_ticks = rt_clock_ticks();
    ev->kind = RT_EV_SERVICE_START;
    ev->callout = rt_rt.mode_ex ? RT_CO_INITIALIZE_DLL_EX : RT_CO_INITIALIZE_DLL;
    ev->u.meta.mode = rt_rt.mode_ex;
    rt_ring_commit_mp(ring, ev);
}

void rt_worker_configure(rt_core_settings *core)
{
    nconfigs = rt_config_load(core, configs, RT_MAX_SINKS);
}

DWORD rt_worker_start(void)
{
    rt_ring *ring = atomic_load_explicit(&rt_rt.ring, memory_order_acquire);
    if (zombie) {
        /* Never two consumers on one ring: give the old worker time to
         * finish its sink call; if it cannot, stay without a worker (the
         * ring fills and the loss is counted) rather than break the ring. */
        if (WaitForSingleObject(zombie, 5000) != WAIT_OBJECT_0) {
            rt_diag_report(RT_DIAG_ERROR, "start: previous worker still busy; not starting");
            return NO_ERROR;
        }
        CloseHandle(zombie);
        zombie = NULL;
    }
    make_instance();
    run_events = run_dropped = 0;
    atomic_store_explicit(&stopping, 0, memory_order_relaxed);
    push_service_start(ring);
    rt_reload_push_start(ring);

    HMODULE self = NULL;
    if (!GetModuleHandleExW(GET_MODULE_HANDLE_EX_FLAG_FROM_ADDRESS, (LPCWSTR)(void *)worker_main,
                            &self))
        return GetLastError();
    rt_rt.module = self;
    thread = CreateThread(NULL, 0, worker_main, NULL, 0, NULL);
    if (!thread) {
        DWORD err = GetLastError();
        FreeLibrary(self);
        return err;
    }
    rt_rt.worker = thread;
    return NO_ERROR;
}

void rt_worker_stop(uint32_t drain_ms)
{
    stop_deadline = GetTickCount64() + drain_ms;
    atomic_store_explicit(&stopping, 1, memory_order_release);
    SetEvent(rt_rt.wake_event);
    if (WaitForSingleObject(thread, drain_ms + CLOSE_MARGIN_MS) != WAIT_OBJECT_0) {
        rt_diag_report(RT_DIAG_ERROR, "stop: worker still busy after %u ms; not waiting longer",
                       (unsigned)(drain_ms + CLOSE_MARGIN_MS));
        zombie = thread;
    } else {
        CloseHandle(thread);
    }
    thread = NULL;
    rt_rt.worker = NULL;
}
