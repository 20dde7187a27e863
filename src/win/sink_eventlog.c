/*
 * sink_eventlog.c - the built-in `eventlog` sink: each record as one
 * Application log event of source "rastap" (sink_syslog.h).
 *
 * Event ID = 1000 + the kind's number (event.h), message texts in
 * rastap_msg.mc. The insertion strings are the same list for every kind,
 * so a field always has the same number (docs/sinks.md): %1 the record's
 * JSON, then the fields below; a field the record lacks is "-". The event
 * type follows the record's syslog severity: err and worse an error,
 * warning a warning, the rest information.
 *
 * The source handle is registered once per open sink: ReportEventW goes to
 * the event log service through it for every record, which is the slow
 * part (a local RPC), and the worker is the only caller.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <windows.h>

#include "error.h"
#include "event.h"
#include "eventlog.h"
#include "sink_syslog.h"
#include "sinks.h"
#include "syslog_fmt.h"

/* Insertion strings %2.. in order; %1 is the record itself. */
static const char *const fields[] = {
    "event",          /* %2 */
    "seq",            /* %3 */
    "time",           /* %4 */
    "host",           /* %5 */
    "user",           /* %6 */
    "domain",         /* %7 */
    "connection",     /* %8 */
    "guid",           /* %9 */
    "port",           /* %10 */
    "interface",      /* %11 */
    "remote_computer", /* %12 */
    "client_ipv4",    /* %13 */
    "client_ipv6",    /* %14 */
    "ipv4",           /* %15 */
    "ipv6",           /* %16 */
    "tunnel",         /* %17 */
    "auth",           /* %18 */
    "decision",       /* %19 */
    "reason",         /* %20 */
    "duration_s",     /* %21 */
    "bytes_in",       /* %22 */
    "bytes_out",      /* %23 */
    "result",         /* %24 */
    "count",          /* %25 */
    "callout",        /* %26 */
    "instance",       /* %27 */
    "pid",            /* %28 */
    "key",            /* %29 */
    "value",          /* %30 */
    "generation",     /* %31 */
    "version",        /* %32 */
    "quarantine",     /* %33 */
    "mode",           /* %34 */
    "events_total",   /* %35 */
    "events_dropped", /* %36 */
};
#define NFIELDS (sizeof fields / sizeof fields[0])
#define NSTRINGS (NFIELDS + 1)
#define TEXT_CAP 65536u /* UTF-16 units for every string of one event */

typedef struct eventlog_sink {
    HANDLE src;
    rastap_sink_host cb;
    WCHAR *text;        /* the strings of the event being reported */
    size_t used;
    LPCWSTR strings[NSTRINGS];
    const char *kind;   /* the record's `event` (JSON string body) */
    size_t kind_len;
} eventlog_sink;

/* Appends UTF-8 s[0..n) as a NUL-terminated UTF-16 string; returns it. */
static LPCWSTR put(eventlog_sink *e, const char *s, size_t n)
{
    WCHAR *out = e->text + e->used;
    size_t room = TEXT_CAP - e->used;
    int k = n ? MultiByteToWideChar(CP_UTF8, 0, s, (int)n, out, (int)(room - 1)) : 0;
    if (k < 0 || (n && k == 0))
        k = 0;
    out[k] = 0;
    e->used += (size_t)k + 1;
    return out;
}

static int take_field(void *ctx, const rt_record_field *f)
{
    eventlog_sink *e = ctx;
    if (f->is_string && f->name_len == 5 && memcmp(f->name, "event", 5) == 0) {
        e->kind = f->value;
        e->kind_len = f->value_len;
    }
    for (size_t i = 0; i < NFIELDS; i++) {
        if (strlen(fields[i]) != f->name_len || memcmp(fields[i], f->name, f->name_len) != 0)
            continue;
        char tmp[4096];
        size_t n = f->is_string ? rt_json_unescape(f->value, f->value_len, tmp, sizeof tmp)
                                : (f->value_len < sizeof tmp ? f->value_len : sizeof tmp - 1);
        if (!f->is_string)
            memcpy(tmp, f->value, n);
        if (TEXT_CAP - e->used > n + 1)
            e->strings[i + 1] = put(e, tmp, n);
        break;
    }
    return 0;
}

/* 1000 + the kind's number; a kind rastap does not know: the diagnostic id. */
static DWORD event_id(const eventlog_sink *e)
{
    for (unsigned k = 1; k < RT_EV_COUNT_ && e->kind; k++) {
        const char *name = rt_kind_name(k);
        if (strlen(name) == e->kind_len && memcmp(name, e->kind, e->kind_len) == 0)
            return RT_EVMSG_KIND_BASE + k;
    }
    return RT_EVMSG_DIAG;
}

static WORD event_type(const char *json, size_t len)
{
    unsigned sev = rt_syslog_severity(json, len);
    return sev <= 3 ? EVENTLOG_ERROR_TYPE : sev == 4 ? EVENTLOG_WARNING_TYPE
                                                     : EVENTLOG_INFORMATION_TYPE;
}

/* Reports one record; false when ReportEventW failed. */
static bool report_record(eventlog_sink *e, const rastap_record *r)
{
    static const WCHAR dash[] = L"-";
    e->used = 0;
    for (size_t i = 0; i < NSTRINGS; i++)
        e->strings[i] = dash;
    size_t jl = r->json_len < 31000 ? r->json_len : 31000; /* ReportEventW's per-string limit */
    e->strings[0] = put(e, r->json, jl);
    e->kind = NULL;
    rt_record_fields(r->json, r->json_len, take_field, e);
    return ReportEventW(e->src, event_type(r->json, r->json_len), 0, event_id(e), NULL,
                        (WORD)NSTRINGS, 0, e->strings, NULL) != 0;
}

static int32_t ev_open(const rastap_sink_settings *set, const rastap_sink_host *host, void **ctx)
{
    (void)set;
    eventlog_sink *e = calloc(1, sizeof *e);
    if (!e)
        return RASTAP_SINK_ERETRY;
    e->cb = *host;
    e->text = malloc(TEXT_CAP * sizeof(WCHAR));
    e->src = RegisterEventSourceW(NULL, RT_EVENTLOG_SOURCE);
    if (!e->text || !e->src) {
        char msg[120];
        snprintf(msg, sizeof msg, "RegisterEventSourceW failed (Win32 error %lu)",
                 (unsigned long)GetLastError());
        if (e->cb.report_error)
            e->cb.report_error(e->cb.host_ctx, RT_EIO, msg);
        free(e->text);
        free(e);
        return RASTAP_SINK_ERETRY;
    }
    *ctx = e;
    return RASTAP_SINK_OK;
}

static int32_t ev_write(void *ctx, const rastap_record *recs, size_t n, size_t *accepted)
{
    eventlog_sink *e = ctx;
    for (size_t i = 0; i < n; i++) {
        if (!recs[i].json)
            continue;
        if (!report_record(e, &recs[i])) {
            char msg[120];
            snprintf(msg, sizeof msg, "ReportEventW failed (Win32 error %lu)",
                     (unsigned long)GetLastError());
            if (e->cb.report_error)
                e->cb.report_error(e->cb.host_ctx, RT_EIO, msg);
            *accepted = i;
            return RASTAP_SINK_ERETRY;
        }
    }
    *accepted = n;
    return RASTAP_SINK_OK;
}

static int32_t ev_flush(void *ctx)
{
    (void)ctx;
    return RASTAP_SINK_OK;
}

static void ev_close(void *ctx)
{
    eventlog_sink *e = ctx;
    DeregisterEventSource(e->src);
    free(e->text);
    free(e);
}

const rastap_sink_vtbl *rt_sink_eventlog_vtbl(void)
{
    static const rastap_sink_vtbl vt = {sizeof vt, RASTAP_SINK_ABI_VERSION, "eventlog",
                                        ev_open,   ev_write, ev_flush, ev_close};
    return &vt;
}
