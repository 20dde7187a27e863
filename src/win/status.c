/*
 * status.c - the writer of the status section (status.h has the layout and
 * the sequence lock). Worker thread only: the counters below are private
 * to it and copied to the shared page once a second, so counting a record
 * costs a few adds on memory nobody else touches.
 */
#include "status.h"

#include <stdio.h>
#include <string.h>

#include <windows.h>
#include <sddl.h>

#include "clock.h"
#include "config.h"
#include "diag.h"
#include "reload.h"
#include "runtime.h"
#include "sink_syslog.h"
#include "version.h"

static HANDLE section;
static rt_status_page *page;

static struct {
    uint64_t total;
    uint64_t kinds[RT_EV_COUNT_];
    uint64_t dropped_total;
    rt_status_counter reasons[RT_STATUS_REASONS];
} local;
static int64_t started_us;

_Static_assert(RT_EV_COUNT_ <= RT_STATUS_KINDS, "every kind has a row in the page");

void rt_status_open(void)
{
    memset(&local, 0, sizeof local);
    started_us = rt_clock_now_unix_us();
    if (page)
        return;
    WCHAR name[64];
    _snwprintf(name, 64, RT_STATUS_NAME_FMT, (unsigned long)GetCurrentProcessId());
    name[63] = 0;
    SECURITY_ATTRIBUTES sa = {sizeof sa, NULL, FALSE};
    if (!ConvertStringSecurityDescriptorToSecurityDescriptorW(RT_STATUS_SDDL, SDDL_REVISION_1,
                                                              &sa.lpSecurityDescriptor, NULL)) {
        rt_diag_report(RT_DIAG_WARNING, "status: no security descriptor (%lu); not published",
                       (unsigned long)GetLastError());
        return;
    }
    section = CreateFileMappingW(INVALID_HANDLE_VALUE, &sa, PAGE_READWRITE, 0,
                                 RT_STATUS_SECTION_SIZE, name);
    DWORD err = GetLastError();
    LocalFree(sa.lpSecurityDescriptor);
    if (section && err == ERROR_ALREADY_EXISTS) {
        /* Someone else made it, with a DACL we did not choose: do not publish. */
        CloseHandle(section);
        section = NULL;
    }
    if (!section) {
        rt_diag_report(RT_DIAG_WARNING, "status: cannot create the status section (%lu)",
                       (unsigned long)err);
        return;
    }
    page = MapViewOfFile(section, FILE_MAP_WRITE, 0, 0, RT_STATUS_SECTION_SIZE);
    if (!page) {
        CloseHandle(section);
        section = NULL;
        return;
    }
    page->magic = RT_STATUS_MAGIC;
    page->layout = RT_STATUS_LAYOUT;
    page->size = sizeof *page;
    page->pid = GetCurrentProcessId();
    page->state = RT_STATUS_STARTING;
}

void rt_status_count(const rt_out_record *recs, size_t n)
{
    local.total += n;
    for (size_t i = 0; i < n; i++) {
        const rt_event *ev = recs[i].ev;
        if (ev->kind < RT_EV_COUNT_)
            local.kinds[ev->kind]++;
        if (ev->kind != RT_EV_EVENTS_DROPPED)
            continue;
        local.dropped_total += ev->u.meta.a;
        unsigned r = 0;
        while (r < RT_STATUS_REASONS && local.reasons[r].name[0] &&
               strncmp(local.reasons[r].name, ev->u.meta.reason, sizeof local.reasons[r].name - 1))
            r++;
        if (r == RT_STATUS_REASONS)
            r--; /* more reasons than rows: the last row takes the rest */
        if (!local.reasons[r].name[0])
            snprintf(local.reasons[r].name, sizeof local.reasons[r].name, "%s",
                     ev->u.meta.reason);
        local.reasons[r].count += ev->u.meta.a;
    }
}

static void copy_sinks(const rt_config *cfg)
{
    unsigned n = rt_sinks_count();
    page->nsinks = n < RT_STATUS_SINKS ? n : RT_STATUS_SINKS;
    for (unsigned i = 0; i < page->nsinks; i++) {
        rt_status_sink *o = &page->sinks[i];
        rt_sink_stats st;
        const char *name;
        rt_sinks_stats(i, &st, &name);
        snprintf(o->name, sizeof o->name, "%s", name);
        o->type[0] = 0;
        for (unsigned k = 0; cfg && k < cfg->nsinks; k++)
            if (!strcmp(cfg->sinks[k].name, name))
                snprintf(o->type, sizeof o->type, "%s", cfg->sinks[k].type);
        o->written = st.written;
        o->failed = st.failed;
        o->dropped = st.dropped;
        o->backlog = st.backlog;
        o->retrying = st.retrying;
        /* What rt_sinks_tick last read from the sink's spool; the worker
         * ticks right before its once-a-second publish. */
        rt_status_spool *sp = &page->spools[i];
        sp->present = o->type[0] && rt_sink_builtin(o->type) == rt_sink_syslog_vtbl();
        sp->records = sp->present ? st.spooled : 0;
        sp->bytes = sp->present ? st.spool_bytes : 0;
    }
}

static void write_fields(rt_ring *ring, uint32_t state)
{
    page->state = state;
    snprintf(page->instance, sizeof page->instance, "%s", rt_sinks_format_ctx()->instance);
    snprintf(page->version, sizeof page->version, "%s", RT_VERSION_STRING);
    page->mode_ex = rt_rt.mode_ex;
    page->started_us = started_us;
    page->updated_us = rt_clock_now_unix_us();
    page->records_total = local.total;
    page->callouts_fired = atomic_load_explicit(&rt_rt.fired, memory_order_relaxed);
    for (unsigned k = 0; k < RT_STATUS_KINDS; k++) {
        const char *kn = k < RT_EV_COUNT_ ? rt_kind_name(k) : NULL;
        snprintf(page->kinds[k].name, sizeof page->kinds[k].name, "%s",
                 kn && k != RT_EV_NONE ? kn : "");
        page->kinds[k].count = k < RT_EV_COUNT_ ? local.kinds[k] : 0;
    }
    page->dropped_total = local.dropped_total;
    memcpy(page->dropped, local.reasons, sizeof page->dropped);
    if (ring) {
        page->ring_capacity = rt_ring_capacity(ring);
        page->ring_high_water = rt_ring_high_water(ring);
        page->ring_occupancy = rt_ring_occupancy(ring);
    }
    const rt_config *cfg = rt_config_current();
    if (cfg) {
        page->config_generation = cfg->generation;
        page->ring_size_configured = cfg->core.ring_size;
        page->stop_drain_ms = cfg->core.stop_drain_ms;
        page->diag_level = cfg->core.diag_level;
    }
    page->config_refused = rt_reload_refused();
    copy_sinks(cfg);
    page->diag_errors = rt_diag_errors();
    rt_diag_last(page->last_error, sizeof page->last_error, &page->last_error_us);
}

/* Writes the page under the sequence lock. InterlockedIncrement is a full
 * barrier: the first orders "seq is odd" before the field writes, the
 * second orders the field writes before "seq is even"; they pair with the
 * reader's acquire load of seq and its fence before the second load
 * (rastapctl's status command). */
static void write_page(rt_ring *ring, uint32_t state)
{
    if (!page)
        return;
    InterlockedIncrement((volatile LONG *)&page->seq);
    write_fields(ring, state);
    InterlockedIncrement((volatile LONG *)&page->seq);
}

void rt_status_publish(rt_ring *ring)
{
    write_page(ring, RT_STATUS_RUNNING);
}

void rt_status_close(void)
{
    if (!page)
        return;
    write_page(atomic_load_explicit(&rt_rt.ring, memory_order_acquire), RT_STATUS_STOPPED);
    UnmapViewOfFile(page);
    CloseHandle(section);
    page = NULL;
    section = NULL;
}
