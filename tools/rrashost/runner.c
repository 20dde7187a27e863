/*
 * runner.c - worker threads that drive sessions through the DLLs.
 *
 * Each worker claims session indexes from one shared counter and keeps up
 * to --window sessions in flight, advancing a randomly chosen one by one
 * event at a time, so connects, links and hangups of different sessions
 * interleave as on a busy server. The storm preset instead connects every
 * session first, waits until all threads have, then tears them all down.
 *
 * --hold-at N: a worker about to start session N (or any later one) stops
 * where it is, its sessions in flight left live, and counts itself held; a
 * worker that runs out of sessions first counts itself too. When every
 * worker is counted, the main thread prints a line, waits for a line on
 * standard input and lets them go on. No callout is in progress meanwhile,
 * so what a DLL sees during the hold (a configuration reload, say) happens
 * between two well-defined halves of the run.
 *
 * Shared state is a few counters and two barriers; everything else is
 * per-thread (statistics, expectations, address logs, scratch structures).
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "run.h"

#define MAX_THREADS 64

typedef struct shared {
    rh_host *host;
    const rh_workload *w;
    const rh_run_opts *o;
    atomic_uint_fast64_t next;  /* next session index; relaxed: only uniqueness matters */
    atomic_uint arrived;        /* storm barrier: threads done connecting */
    atomic_uint held;           /* hold: workers at the hold point or finished */
    atomic_uint waiting;        /* hold: of those, the ones at the hold point */
    atomic_bool resumed;        /* hold: the main thread let them go on */
    unsigned n_threads;
    double t0;                  /* rh_wall_seconds() at the start of the run */
} shared;

typedef struct worker {
    shared *sh;
    rh_ctx ctx;
    HANDLE thread;
    bool counted;               /* counted in shared.held (once per run) */
    /* progress, written by the worker, read by main; relaxed: a display */
    _Alignas(64) atomic_uint_fast64_t sessions_done;
    atomic_uint_fast64_t callouts;
} worker;

static uint64_t next_rand(rh_ctx *ctx)
{
    ctx->rng ^= ctx->rng << 13;
    ctx->rng ^= ctx->rng >> 7;
    ctx->rng ^= ctx->rng << 17;
    return ctx->rng;
}

/* When session s may start, on the rh_wall_seconds() scale. */
static double due_time(const shared *sh, const rh_session *s)
{
    if (sh->o->paced_by_rows && (s->given & RH_GIVEN_START))
        return sh->t0 + s->start_ms / 1000.0;
    if (sh->o->rate > 0)
        return sh->t0 + (double)s->index / sh->o->rate;
    return 0;
}

static void wait_until(double t)
{
    double left = t - rh_wall_seconds();
    if (left > 0.002)
        Sleep((DWORD)((left - 0.001) * 1000));
    while (rh_wall_seconds() < t)
        YieldProcessor();
}

static bool time_is_up(const shared *sh)
{
    return sh->o->duration_s > 0 && rh_wall_seconds() - sh->t0 >= sh->o->duration_s;
}

/* Counts the worker at the hold barrier (once), then waits, when asked to,
 * until the main thread resumes the run. */
static void hold(worker *wk, bool wait)
{
    if (wk->counted)
        return;
    wk->counted = true;
    if (wait) /* relaxed: the release increment of `held` below publishes it */
        atomic_fetch_add_explicit(&wk->sh->waiting, 1, memory_order_relaxed);
    /* Release pairs with the acquire load in rh_run: the main thread sees
     * this worker's callouts done before it marks the hold. */
    atomic_fetch_add_explicit(&wk->sh->held, 1, memory_order_release);
    /* Acquire pairs with the release store in hold_here: the callouts made
     * after the hold come after whatever happened during it. */
    while (wait && !atomic_load_explicit(&wk->sh->resumed, memory_order_acquire))
        Sleep(1);
}

/* Claims the next session; false when the workload (or time) is over. */
static bool claim(worker *wk, rh_session *s)
{
    if (time_is_up(wk->sh))
        return false;
    uint64_t i = atomic_fetch_add_explicit(&wk->sh->next, 1, memory_order_relaxed);
    if (wk->sh->o->hold && i >= wk->sh->o->hold_at)
        hold(wk, true);
    return rh_workload_get(wk->sh->w, i, s);
}

static void publish(worker *wk, uint64_t finished)
{
    atomic_store_explicit(&wk->sessions_done, finished, memory_order_relaxed);
    atomic_store_explicit(&wk->callouts, wk->ctx.stats.t.callouts, memory_order_relaxed);
}

static void run_window(worker *wk)
{
    unsigned window = wk->sh->o->window ? wk->sh->o->window : 1;
    rh_live *act = calloc(window, sizeof *act);
    rh_session *pending = malloc(sizeof *pending);
    if (!act || !pending) {
        fputs("rrashost: out of memory\n", stderr);
        exit(RH_EXIT_USAGE);
    }
    unsigned n = 0;
    bool have_pending = false, exhausted = false;
    uint64_t finished = 0;
    for (;;) {
        double due = 0;
        while (!exhausted && n < window) {
            if (!have_pending && !(have_pending = claim(wk, pending))) {
                exhausted = true;
                break;
            }
            due = due_time(wk->sh, pending);
            if (due > rh_wall_seconds())
                break;
            rh_live_init(&act[n++], pending);
            wk->ctx.stats.t.sessions++;
            have_pending = false;
        }
        if (n == 0) {
            if (exhausted)
                break;
            wait_until(due);
            continue;
        }
        unsigned k = (unsigned)(next_rand(&wk->ctx) % n);
        if (rh_live_step(&wk->ctx, &act[k])) {
            act[k] = act[--n];
            finished++;
        }
        publish(wk, finished);
    }
    publish(wk, finished);
    free(pending);
    free(act);
}

static bool connecting(const rh_live *l)
{
    return l->step <= RH_ST_LINK;
}

/* Reconnect storm: everyone connects, a barrier, then everyone leaves. */
static void run_storm(worker *wk)
{
    size_t n = 0, cap = 256;
    rh_live *list = malloc(cap * sizeof *list);
    rh_session *s = malloc(sizeof *s);
    if (!list || !s) {
        fputs("rrashost: out of memory\n", stderr);
        exit(RH_EXIT_USAGE);
    }
    uint64_t finished = 0;
    while (claim(wk, s)) {
        if (n == cap) {
            cap *= 2;
            rh_live *bigger = realloc(list, cap * sizeof *list);
            if (!bigger) {
                fputs("rrashost: out of memory\n", stderr);
                exit(RH_EXIT_USAGE);
            }
            list = bigger;
        }
        rh_live *l = &list[n];
        rh_live_init(l, s);
        wk->ctx.stats.t.sessions++;
        bool done = false;
        while (!done && connecting(l))
            done = rh_live_step(&wk->ctx, l);
        if (done)
            finished++;
        else
            n++;
        publish(wk, finished);
    }
    /* pairs with the loads below: all connects happen before any hangup */
    atomic_fetch_add_explicit(&wk->sh->arrived, 1, memory_order_acq_rel);
    while (atomic_load_explicit(&wk->sh->arrived, memory_order_acquire) < wk->sh->n_threads)
        Sleep(1);
    for (size_t i = 0; i < n; i++) {
        while (!rh_live_step(&wk->ctx, &list[i]))
            ;
        publish(wk, ++finished);
    }
    free(s);
    free(list);
}

static DWORD WINAPI worker_main(LPVOID arg)
{
    worker *wk = arg;
    if (wk->sh->o->storm)
        run_storm(wk);
    else
        run_window(wk);
    hold(wk, false); /* never reached the hold point: do not keep the others waiting */
    return 0;
}

/* The hold (main thread): every worker is paused or finished. */
static double hold_here(shared *sh, rh_run_result *res)
{
    double t0 = rh_wall_seconds();
    uint64_t started = sh->o->hold_at + sh->w->first;
    rh_addr_mark(&res->addrs, RH_AL_HOLD, started);
    printf("rrashost: holding after %llu sessions started (the sessions in flight stay live); "
           "send a line on standard input to go on\n",
           (unsigned long long)started);
    fflush(stdout);
    char line[256];
    if (!fgets(line, sizeof line, stdin))
        puts("rrashost: standard input closed; going on");
    rh_addr_mark(&res->addrs, RH_AL_RESUME, 0);
    /* Release pairs with the acquire load in hold(). */
    atomic_store_explicit(&sh->resumed, true, memory_order_release);
    return rh_wall_seconds() - t0;
}

static void show_progress(worker *wk, unsigned n, const rh_run_opts *o, const rh_workload *w,
                          double t)
{
    uint64_t done = 0, calls = 0;
    for (unsigned i = 0; i < n; i++) {
        done += atomic_load_explicit(&wk[i].sessions_done, memory_order_relaxed);
        calls += atomic_load_explicit(&wk[i].callouts, memory_order_relaxed);
    }
    double frac = 0;
    uint64_t total = w->rows ? (w->n_rows < w->limit ? w->n_rows : w->limit) : w->limit;
    if (o->duration_s > 0)
        frac = t / o->duration_s;
    if (total != UINT64_MAX && total > 0 && (double)done / (double)total > frac)
        frac = (double)done / (double)total;
    if (frac > 1)
        frac = 1;
    char bar[31];
    int filled = (int)(frac * 30);
    for (int i = 0; i < 30; i++)
        bar[i] = i < filled ? '#' : '.';
    bar[30] = 0;
    fprintf(stderr, "\r[%s] %3d%%  %llu sessions  %.0f callouts/s ", bar, (int)(frac * 100),
            (unsigned long long)done, t > 0 ? (double)calls / t : 0.0);
    fflush(stderr);
}

bool rh_run(rh_host *host, const rh_workload *w, const rh_run_opts *o, rh_run_result *res)
{
    unsigned n = o->threads < 1 ? 1 : o->threads > MAX_THREADS ? MAX_THREADS : o->threads;
    shared sh = {.host = host, .w = w, .o = o, .n_threads = n};
    atomic_init(&sh.next, 0);
    atomic_init(&sh.arrived, 0);
    atomic_init(&sh.held, 0);
    atomic_init(&sh.waiting, 0);
    atomic_init(&sh.resumed, false);
    worker *wk = _aligned_malloc(n * sizeof *wk, 64);
    HANDLE handles[MAX_THREADS];
    if (!wk)
        return false;
    bool record = false;
    for (unsigned d = 0; d < host->n_dlls; d++)
        record |= host->dlls[d].audited;
    unsigned started = 0;
    double t0 = sh.t0 = rh_wall_seconds();
    for (; started < n; started++) {
        worker *k = &wk[started];
        memset(k, 0, sizeof *k);
        k->sh = &sh;
        rh_ctx_init(&k->ctx, host, started + 1, record);
        atomic_init(&k->sessions_done, 0);
        atomic_init(&k->callouts, 0);
        k->thread = CreateThread(NULL, 0, worker_main, k, 0, NULL);
        if (!k->thread) {
            fprintf(stderr, "rrashost: CreateThread: %s\n", rh_win32_message(GetLastError()));
            break;
        }
        handles[started] = k->thread;
    }
    if (started < n) /* a hold would wait for threads that do not exist */
        atomic_store_explicit(&sh.resumed, true, memory_order_release);
    bool shown = false, held = false;
    double held_s = 0, shown_at = 0;
    while (started > 0 && WaitForMultipleObjects(started, handles, TRUE, 20) == WAIT_TIMEOUT) {
        double t = rh_wall_seconds() - t0;
        /* Acquire pairs with the release increment in hold(). A hold needs
         * one worker at the hold point: if all finished, the workload ended
         * before it. */
        if (o->hold && !held && started == n &&
            atomic_load_explicit(&sh.held, memory_order_acquire) == n &&
            atomic_load_explicit(&sh.waiting, memory_order_relaxed) > 0) {
            if (shown)
                fprintf(stderr, "\r%70s\r", "");
            held_s = hold_here(&sh, res);
            held = true;
        }
        if (o->progress && t > 1.0 && t - shown_at >= 0.2) {
            show_progress(wk, started, o, w, t);
            shown = true;
            shown_at = t;
        }
    }
    if (shown)
        fprintf(stderr, "\r%70s\r", "");
    res->seconds += rh_wall_seconds() - t0 - held_s;
    for (unsigned i = 0; i < started; i++) {
        CloseHandle(wk[i].thread);
        rh_stats_merge(&res->stats, &wk[i].ctx.stats);
        rh_stats_free(&wk[i].ctx.stats);
        rh_expect_append(&res->expect, &wk[i].ctx.expect);
        rh_addr_append(&res->addrs, &wk[i].ctx.addrs);
    }
    _aligned_free(wk);
    return started == n;
}
