/*
 * reload.c - the configuration watcher and the hand-off to the worker
 * (reload.h has the picture and the hand-off's ordering argument).
 *
 * Watching. RegNotifyChangeKeyValue needs a key that exists. The watcher
 * watches rastap's key (subtree) when it exists, else the nearest existing
 * ancestor (subtree), so creating the key is noticed too; a notification
 * from an ancestor usually concerns something else and costs one read that
 * finds the configuration unchanged. After a notification the watch is
 * armed again *before* the configuration is read, so a change made during
 * the read fires again and is read later: no change is lost. The watcher
 * also reads once right after it first arms, which covers the changes made
 * between the start's read and that moment. A handle is
 * only closed after its notification fired (or at stop), so closing never
 * signals a change that did not happen.
 *
 * Leases. config.applied says how many address leases live sessions hold
 * and how many of those are on addresses the configuration no longer has
 * (docs/addresses.md, "Reloading"). The count scans the lease directory,
 * which only the directory's single writer may do (ipassign.h): the thread
 * that reads configurations, i.e. the watcher, or RRAS's thread at start
 * before the watcher runs. So it is taken right after the read, just
 * before the worker applies the configuration.
 *
 * Deduplication. The worker drops a valid configuration equal to the one in
 * force (no record). The watcher drops a refusal equal to the previous
 * refusal, so an unrelated registry change does not repeat the same
 * config.error records; reading a valid configuration forgets it.
 */
#include "reload.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <windows.h>

#include "clock.h"
#include "config.h"
#include "diag.h"
#include "eventlog.h"
#include "ipassign_win.h"
#include "runtime.h"

/* Watched keys, deepest first; the last one always exists on Windows. */
static const WCHAR *const watch_keys[] = {
    RT_CONFIG_KEY,
    L"SYSTEM\\CurrentControlSet\\Services\\RemoteAccess\\Parameters\\AdminDll",
    L"SYSTEM\\CurrentControlSet\\Services\\RemoteAccess\\Parameters",
    L"SYSTEM\\CurrentControlSet\\Services\\RemoteAccess",
    L"SYSTEM\\CurrentControlSet\\Services",
};
#define NWATCH (sizeof watch_keys / sizeof watch_keys[0])
/* When nothing can be watched, read this often. */
#define POLL_MS 5000u
#define STOP_WAIT_MS 5000u

typedef struct outcome {
    rt_config *cfg;   /* valid: the snapshot to publish */
    rt_cfg *refusal;  /* refused: the model with its problems */
    rt_ip_summary ip; /* valid: leases when it was read */
} outcome;

static _Atomic(outcome *) pending;
static outcome *deferred;           /* worker: waits for a retired slot */
static atomic_ullong refused;

static HANDLE watcher, stop_event;

/* The watcher's memory of the last refusal it reported. */
static rt_cfg_problem memo[RT_CFG_MAX_PROBLEMS];
static unsigned memo_n, memo_lost;
static bool memo_set;

static rt_reload_change change;    /* worker only */

/* ------------------------------------------------------------ records */

static void meta_record(rt_event *ev, rt_kind kind, uint64_t generation, const char *key,
                        const char *value, const char *reason)
{
    memset(ev, 0, offsetof(rt_event, u) + sizeof(rt_ev_meta));
    ev->time_ticks = rt_clock_ticks();
    ev->kind = (uint16_t)kind;
    ev->callout = RT_CO_NONE;
    ev->u.meta.a = generation;
    snprintf(ev->u.meta.key, sizeof ev->u.meta.key, "%s", key ? key : "");
    snprintf(ev->u.meta.value, sizeof ev->u.meta.value, "%s", value ? value : "");
    snprintf(ev->u.meta.reason, sizeof ev->u.meta.reason, "%s", reason ? reason : "");
}

/* Lease counts of a config.applied record; only when the configuration
 * assigns or observes addresses, or leases of an earlier one are live. */
static void lease_counts(rt_event *ev, const rt_ip_summary *ip)
{
    bool any = ip->mode[RT_IP_V4] != RT_IP_OFF || ip->mode[RT_IP_V6] != RT_IP_OFF ||
               ip->v4_live != 0 || ip->v6_live != 0;
    ev->u.meta.has_leases = any;
    ev->u.meta.ipv4_leases = ip->v4_live;
    ev->u.meta.ipv4_leases_outside = ip->v4_live_outside;
    ev->u.meta.ipv6_leases = ip->v6_live;
}

/* Leases now, against cfg's address snapshot. The directory's single
 * writer only (see the top of the file). */
static void summarize(const rt_config *cfg, rt_ip_summary *out)
{
    rt_ip_summarize(rt_ipassign_win_state(), cfg ? cfg->ip : NULL, out);
}

/* config.error records for m's problems into out[]; returns how many. */
static unsigned error_records(const rt_cfg *m, uint64_t generation, rt_event *out)
{
    unsigned total = m->nproblems + m->problems_lost, n = 0;
    for (; n < m->nproblems && n < RT_RELOAD_MAX_ERRORS; n++)
        meta_record(&out[n], RT_EV_CONFIG_ERROR, generation, m->problems[n].key,
                    m->problems[n].value, m->problems[n].reason);
    if (total > n) {
        char more[32], why[160];
        snprintf(more, sizeof more, "%u", total - n);
        snprintf(why, sizeof why, "%u more problems; `rastapctl validate` lists them all",
                 total - n);
        meta_record(&out[n++], RT_EV_CONFIG_ERROR, generation, "(more)", more, why);
    }
    return n;
}

/* Diagnostics and the Application event log for a refusal. */
static void report_refusal(const rt_cfg *m, uint64_t generation)
{
    atomic_fetch_add_explicit(&refused, 1, memory_order_relaxed);
    const rt_cfg_problem *p = &m->problems[0];
    rt_diag_report(RT_DIAG_ERROR, "configuration refused: %s = \"%s\": %s%s", p->key, p->value,
                   p->reason, m->nproblems > 1 ? " (and more)" : "");
    char text[8192];
    size_t k = (size_t)snprintf(text, sizeof text,
                                "rastap refused its new configuration; generation %llu stays in "
                                "force.\r\nRegistry key: HKLM\\%ls\r\n",
                                (unsigned long long)generation, RT_CONFIG_KEY);
    for (unsigned i = 0; i < m->nproblems && k < sizeof text; i++)
        k += (size_t)snprintf(text + k, sizeof text - k, "\r\n%s = \"%s\": %s",
                              m->problems[i].key, m->problems[i].value, m->problems[i].reason);
    if (m->problems_lost && k < sizeof text)
        snprintf(text + k, sizeof text - k, "\r\n... and %u more", m->problems_lost);
    rt_eventlog_report(RT_EVENTLOG_ERROR, RT_EVMSG_CONFIG_REFUSED, text);
}

static uint64_t generation_in_force(void)
{
    const rt_config *c = rt_config_current();
    return c ? c->generation : 0;
}

static void remember_refusal(const rt_cfg *m)
{
    memo_n = m->nproblems;
    memo_lost = m->problems_lost;
    memcpy(memo, m->problems, m->nproblems * sizeof memo[0]);
    memo_set = true;
}

static bool same_refusal(const rt_cfg *m)
{
    if (!memo_set || memo_n != m->nproblems || memo_lost != m->problems_lost)
        return false;
    for (unsigned i = 0; i < memo_n; i++)
        if (strcmp(memo[i].key, m->problems[i].key) ||
            strcmp(memo[i].value, m->problems[i].value) ||
            strcmp(memo[i].reason, m->problems[i].reason))
            return false;
    return true;
}

void rt_reload_push_start(rt_ring *ring)
{
    const rt_config *cur = rt_config_current();
    uint64_t gen = cur ? cur->generation : 0;
    if (cur)
        rt_eventlog_set_level(cur->core.diag_level);
    rt_cfg *m = rt_config_take_start_refusal();
    static rt_event recs[RT_RELOAD_MAX_RECORDS]; /* RRAS's thread only, once per start */
    unsigned n = 0;
    if (m) {
        report_refusal(m, gen);
        remember_refusal(m); /* the watcher is not running yet */
        n = error_records(m, gen, recs);
        free(m);
    } else {
        memo_set = false;
    }
    meta_record(&recs[n], RT_EV_CONFIG_APPLIED, gen, NULL, NULL, NULL);
    rt_ip_summary ip;
    summarize(cur, &ip); /* the watcher does not run yet: we are the single writer */
    lease_counts(&recs[n++], &ip);
    for (unsigned i = 0; i < n; i++) {
        rt_event *ev = rt_ring_reserve_mp(ring, false);
        if (!ev)
            return; /* counted by the ring, reported as events.dropped */
        memcpy(ev, &recs[i], offsetof(rt_event, u) + sizeof(rt_ev_meta));
        rt_ring_commit_mp(ring, ev);
    }
}

/* ------------------------------------------------------------ watcher */

static void offer(outcome *o)
{
    /* acq_rel: release publishes *o to the worker (pairs with the acquire
     * in rt_reload_take); acquire lets us free what we displaced. */
    outcome *old = atomic_exchange_explicit(&pending, o, memory_order_acq_rel);
    if (old) {
        rt_config_free(old->cfg);
        free(old->refusal);
        free(old);
    }
    SetEvent(rt_rt.wake_event);
}

static void read_and_offer(void)
{
    outcome *o = calloc(1, sizeof *o);
    rt_cfg *m = malloc(sizeof *m);
    if (!o || !m) {
        free(o);
        free(m);
        return;
    }
    if (rt_config_read(NULL, m) == 0) {
        memo_set = false;
        o->cfg = rt_config_build(m);
        free(m);
        if (!o->cfg) {
            free(o);
            return;
        }
        summarize(o->cfg, &o->ip);
    } else {
        if (same_refusal(m)) {
            free(m);
            free(o);
            return;
        }
        remember_refusal(m);
        report_refusal(m, generation_in_force());
        o->refusal = m;
    }
    offer(o);
}

/* (Re)arms the notification on the deepest existing key. *h and *depth hold
 * the watched key; it is kept when it is still the deepest one. */
static bool arm(HKEY *h, unsigned *depth, HANDLE ev)
{
    for (int attempt = 0; attempt < 3; attempt++) {
        unsigned d = 0;
        HKEY k = NULL;
        while (d < NWATCH && RegOpenKeyExW(HKEY_LOCAL_MACHINE, watch_keys[d], 0,
                                           KEY_NOTIFY | KEY_WOW64_64KEY, &k) != ERROR_SUCCESS)
            d++;
        if (*h && d == *depth) { /* same key: keep our handle, re-arm it */
            RegCloseKey(k);
        } else {
            if (*h)
                RegCloseKey(*h);
            *h = d < NWATCH ? k : NULL;
            *depth = d;
        }
        if (!*h)
            return false;
        if (RegNotifyChangeKeyValue(*h, TRUE, REG_NOTIFY_CHANGE_NAME | REG_NOTIFY_CHANGE_LAST_SET,
                                    ev, TRUE) == ERROR_SUCCESS)
            return true;
        RegCloseKey(*h); /* deleted under us: start over */
        *h = NULL;
    }
    return false;
}

static DWORD WINAPI watch_main(void *arg)
{
    HMODULE self = arg;
    HANDLE changed = CreateEventW(NULL, FALSE, FALSE, NULL);
    HKEY h = NULL;
    unsigned depth = NWATCH;
    if (!changed)
        goto out;
    bool armed = arm(&h, &depth, changed);
    /* A change between the start's read (rt_config_load) and this first
     * arm notified nobody: read once now. Unchanged, it costs nothing (the
     * worker drops an equal configuration, same_refusal a repeated refusal). */
    read_and_offer();
    for (;;) {
        HANDLE hs[2] = {stop_event, changed};
        DWORD w = WaitForMultipleObjects(2, hs, FALSE, armed ? INFINITE : POLL_MS);
        if (w != WAIT_OBJECT_0 + 1 && w != WAIT_TIMEOUT)
            break; /* stop, or the wait itself failed */
        /* Settle: re-arm, then wait until no change for SETTLE_MS. */
        ULONGLONG first = GetTickCount64();
        for (;;) {
            armed = arm(&h, &depth, changed);
            if (GetTickCount64() - first >= RT_RELOAD_SETTLE_MAX_MS)
                break;
            w = WaitForMultipleObjects(2, hs, FALSE, RT_RELOAD_SETTLE_MS);
            if (w == WAIT_OBJECT_0)
                goto out;
            if (w != WAIT_OBJECT_0 + 1)
                break;
        }
        read_and_offer();
    }
out:
    if (h)
        RegCloseKey(h);
    if (changed)
        CloseHandle(changed);
    FreeLibraryAndExitThread(self, 0);
    return 0;
}

void rt_reload_start(void)
{
    HMODULE self = NULL;
    if (watcher)
        return;
    if (!stop_event)
        stop_event = CreateEventW(NULL, TRUE, FALSE, NULL);
    /* The watcher holds its own reference on the module and leaves with
     * FreeLibraryAndExitThread, like the worker. */
    if (!stop_event ||
        !GetModuleHandleExW(GET_MODULE_HANDLE_EX_FLAG_FROM_ADDRESS, (LPCWSTR)(void *)watch_main,
                            &self)) {
        rt_diag_report(RT_DIAG_ERROR, "reload: cannot start the watcher; changes need a restart");
        return;
    }
    ResetEvent(stop_event);
    watcher = CreateThread(NULL, 0, watch_main, self, 0, NULL);
    if (!watcher) {
        FreeLibrary(self);
        rt_diag_report(RT_DIAG_ERROR, "reload: cannot start the watcher (%lu)",
                       (unsigned long)GetLastError());
    }
}

void rt_reload_stop(void)
{
    if (watcher) {
        SetEvent(stop_event);
        if (WaitForSingleObject(watcher, STOP_WAIT_MS) != WAIT_OBJECT_0)
            rt_diag_report(RT_DIAG_ERROR, "reload: the watcher did not stop in time");
        CloseHandle(watcher);
        watcher = NULL;
    }
    /* Outcomes not applied by now are dropped: the next start reads again. */
    outcome *o = atomic_exchange_explicit(&pending, NULL, memory_order_acquire);
    for (int i = 0; i < 2; i++, o = deferred, deferred = NULL) {
        if (!o)
            continue;
        rt_config_free(o->cfg);
        free(o->refusal);
        free(o);
    }
}

/* -------------------------------------------------------------- worker */

static void applied(const rt_config *now, const rt_ip_summary *ip)
{
    rt_eventlog_set_level(now->core.diag_level);
    rt_event *ev = &change.records[change.nrecords++];
    meta_record(ev, RT_EV_CONFIG_APPLIED, now->generation, NULL, NULL, NULL);
    lease_counts(ev, ip);
    rt_ring *ring = atomic_load_explicit(&rt_rt.ring, memory_order_acquire);
    if (ring && rt_ring_capacity(ring) != now->core.ring_size)
        rt_diag_report(RT_DIAG_INFO, "RingSize %lu takes effect at the next start (now %lu)",
                       (unsigned long)now->core.ring_size, (unsigned long)rt_ring_capacity(ring));
    char text[200];
    snprintf(text, sizeof text, "rastap applied configuration generation %llu (%u sinks).",
             (unsigned long long)now->generation, now->nsinks);
    rt_eventlog_report(RT_EVENTLOG_INFO, RT_EVMSG_CONFIG_APPLIED, text);
}

const rt_reload_change *rt_reload_take(void)
{
    /* Acquire pairs with the release half of offer()'s exchange. */
    outcome *o = atomic_exchange_explicit(&pending, NULL, memory_order_acquire);
    if (o) {
        if (deferred) { /* superseded by the newer read */
            rt_config_free(deferred->cfg);
            free(deferred);
            deferred = NULL;
        }
    } else {
        o = deferred;
        deferred = NULL;
    }
    if (!o)
        return NULL;
    change.nrecords = 0;
    change.sinks_changed = false;
    const rt_config *cur = rt_config_current();
    if (o->cfg) {
        if (cur && rt_config_same(cur, o->cfg)) {
            rt_config_free(o->cfg);
            free(o);
            return NULL;
        }
        bool sinks_changed = !cur || !rt_config_same_sinks(cur, o->cfg);
        if (!rt_config_publish(o->cfg)) {
            deferred = o; /* every retired slot is in its grace period */
            return NULL;
        }
        change.sinks_changed = sinks_changed;
        change.sinks = o->cfg->sinks;
        change.nsinks = o->cfg->nsinks;
        applied(o->cfg, &o->ip);
    } else {
        change.nrecords = error_records(o->refusal, cur ? cur->generation : 0, change.records);
        free(o->refusal);
    }
    free(o);
    return &change;
}

uint64_t rt_reload_refused(void)
{
    return atomic_load_explicit(&refused, memory_order_relaxed);
}
