/*
 * sinks.c - delivery to every configured sink, with retry and backlog.
 *
 * Order: each sink sees records in seq order with no gaps except those it
 * was told about (events.dropped). When a sink refuses records, they and
 * every later record for that sink go to its backlog until the backlog has
 * been delivered; new records never overtake old ones.
 */
#include "sinks.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <windows.h>

#include "diag.h"
#include "sink_syslog.h"
#include "utf.h"

#define BATCH_MAX 256
#define BACKLOG_RECORDS 8192
#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 30000

typedef struct backlog_entry {
    uint64_t seq;
    int64_t time_us;
    const char *tunnel_hint;
    rt_event ev;
} backlog_entry;

typedef struct sink {
    rt_sink_config cfg;
    const rastap_sink_vtbl *vt;
    void *ctx;
    bool open;
    bool needs_json; /* false for built-in sinks that format from `native` */
    backlog_entry *bl; /* ring of BACKLOG_RECORDS, allocated on first use */
    uint32_t bl_head, bl_count;
    ULONGLONG next_retry;
    DWORD backoff_ms;
    uint64_t dropped_unreported;
    rt_sink_stats st;
} sink;

static sink sinks[RT_MAX_SINKS];
static unsigned nsinks;
static rt_format_ctx fmt;
static char *text;            /* JSON of the batch being delivered */
static size_t text_cap;
static rastap_record recs_out[BATCH_MAX];
static uint64_t spool_lost;   /* from syslog sinks' spools, not yet reported */

/* ------------------------------------------------------------ settings */

void rt_sink_config_set(rt_sink_config *c, const char *key, const char *value)
{
    rt_setting *s = NULL;
    for (unsigned i = 0; i < c->count; i++)
        if (_stricmp(c->settings[i].key, key) == 0)
            s = &c->settings[i];
    if (!s) {
        if (c->count == RT_SETTINGS_MAX)
            return;
        s = &c->settings[c->count++];
        snprintf(s->key, sizeof s->key, "%s", key);
    }
    snprintf(s->value, sizeof s->value, "%s", value);
}

const char *rt_sink_config_get(const rt_sink_config *c, const char *key)
{
    for (unsigned i = 0; i < c->count; i++)
        if (_stricmp(c->settings[i].key, key) == 0)
            return c->settings[i].value;
    return NULL;
}

static const char *settings_get(const void *ctx, const char *key)
{
    return rt_sink_config_get(ctx, key);
}

static void host_report(void *host_ctx, int32_t code, const char *message)
{
    const sink *s = host_ctx;
    rt_diag_report(RT_DIAG_WARNING, "sink %s: %s (%d)", s->cfg.name, message, (int)code);
}

/* ---------------------------------------------------------- open/retry */

static void schedule_retry(sink *s)
{
    s->backoff_ms = s->backoff_ms ? s->backoff_ms * 2 : BACKOFF_MIN_MS;
    if (s->backoff_ms > BACKOFF_MAX_MS)
        s->backoff_ms = BACKOFF_MAX_MS;
    s->next_retry = GetTickCount64() + s->backoff_ms;
    s->st.retrying = true;
    s->st.failed++;
}

static bool try_open(sink *s)
{
    rastap_sink_settings set = {sizeof set, 0, s->cfg.name, &s->cfg, settings_get};
    rastap_sink_host host = {sizeof host, 0, host_report, s};
    int32_t rc = s->vt->open(&set, &host, &s->ctx);
    if (rc == RASTAP_SINK_OK) {
        s->open = true;
        s->needs_json = rt_sink_needs_json(s->vt, s->ctx);
        return true;
    }
    rt_diag_report(RT_DIAG_ERROR, "sink %s (%s) could not open (%d); retrying", s->cfg.name,
                   s->cfg.type, (int)rc);
    schedule_retry(s);
    return false;
}

void rt_sinks_open(const rt_sink_config *configs, unsigned count, const rt_format_ctx *f)
{
    fmt = *f;
    if (!text) {
        text_cap = (size_t)BATCH_MAX * RT_RECORD_MAX;
        text = malloc(text_cap);
    }
    nsinks = 0;
    for (unsigned i = 0; i < count && nsinks < RT_MAX_SINKS; i++) {
        const rastap_sink_vtbl *vt = rt_sink_builtin(configs[i].type);
        if (!vt) {
            rt_diag_report(RT_DIAG_ERROR, "sink %s: unknown type \"%s\"", configs[i].name,
                           configs[i].type);
            continue;
        }
        sink *s = &sinks[nsinks++];
        memset(s, 0, sizeof *s);
        s->cfg = configs[i];
        s->vt = vt;
        try_open(s);
    }
}

/* -------------------------------------------------------------- backlog */

static void backlog_push(sink *s, const rt_out_record *r)
{
    if (!s->bl) {
        s->bl = malloc(sizeof(backlog_entry) * BACKLOG_RECORDS);
        if (!s->bl) {
            s->st.dropped++;
            s->dropped_unreported++;
            return;
        }
    }
    if (s->bl_count == BACKLOG_RECORDS) { /* drop the oldest */
        s->bl_head = (s->bl_head + 1) % BACKLOG_RECORDS;
        s->bl_count--;
        s->st.dropped++;
        s->dropped_unreported++;
    }
    backlog_entry *e = &s->bl[(s->bl_head + s->bl_count) % BACKLOG_RECORDS];
    e->seq = r->seq;
    e->time_us = r->time_us;
    e->tunnel_hint = r->tunnel_hint;
    e->ev = *r->ev;
    s->bl_count++;
    s->st.backlog = s->bl_count;
}

/* ------------------------------------------------------------- delivery */

/* Fills recs_out from recs; with `json`, also formats each record into
 * `text` (sinks that format for themselves do not pay for it). */
static size_t build(const rt_out_record *recs, size_t n, bool json)
{
    rt_buf b = {text, 0, text_cap, false};
    for (size_t i = 0; i < n; i++) {
        rastap_record *o = &recs_out[i];
        o->size = sizeof *o;
        o->seq = recs[i].seq;
        o->time_us = recs[i].time_us;
        o->event = rt_kind_name(recs[i].ev->kind);
        o->json = NULL;
        o->json_len = 0;
        o->native = &recs[i];
        if (!json)
            continue;
        rt_record r = {recs[i].seq, recs[i].time_us, recs[i].ev, recs[i].tunnel_hint};
        size_t start = b.len;
        if (rt_format_jsonl(&fmt, &r, &b) != 0)
            return i; /* cannot happen: text holds BATCH_MAX worst cases */
        o->json = text + start;
        o->json_len = b.len - start - 1; /* without the '\n' */
    }
    return n;
}

/* Offers n built records; returns how many the sink accepted. */
static size_t offer(sink *s, size_t n)
{
    size_t accepted = 0;
    int32_t rc = s->vt->write(s->ctx, recs_out, n, &accepted);
    if (accepted > n)
        accepted = n;
    s->st.written += accepted;
    if (rc != RASTAP_SINK_OK || accepted < n) {
        schedule_retry(s);
    } else {
        if (s->st.retrying)
            rt_diag_report(RT_DIAG_INFO, "sink %s (%s) is writing again", s->cfg.name,
                           s->cfg.type);
        s->backoff_ms = 0;
        s->st.retrying = false;
    }
    return accepted;
}

static void drain_backlog(sink *s)
{
    rt_out_record tmp[BATCH_MAX];
    while (s->bl_count > 0) {
        size_t n = 0;
        for (; n < s->bl_count && n < BATCH_MAX; n++) {
            backlog_entry *e = &s->bl[(s->bl_head + n) % BACKLOG_RECORDS];
            tmp[n] = (rt_out_record){e->seq, e->time_us, &e->ev, e->tunnel_hint};
        }
        n = build(tmp, n, s->needs_json);
        size_t acc = offer(s, n);
        s->bl_head = (uint32_t)((s->bl_head + acc) % BACKLOG_RECORDS);
        s->bl_count -= (uint32_t)acc;
        s->st.backlog = s->bl_count;
        if (acc < n)
            return;
    }
}

/* A sink that is closed or has a backlog gets another chance when due. */
static void retry_if_due(sink *s)
{
    if (s->st.retrying && GetTickCount64() < s->next_retry)
        return;
    if (!s->open && !try_open(s))
        return;
    drain_backlog(s);
}

void rt_sinks_write(const rt_out_record *recs, size_t n)
{
    while (n > 0) {
        size_t chunk = n < BATCH_MAX ? n : BATCH_MAX;
        int built = 0; /* 0 nothing, 1 records, 2 records with JSON */
        for (unsigned i = 0; i < nsinks; i++) {
            sink *s = &sinks[i];
            if (s->open && s->bl_count == 0) {
                int need = s->needs_json ? 2 : 1;
                if (built < need && build(recs, chunk, need == 2) == chunk)
                    built = need;
                size_t acc = offer(s, chunk);
                for (size_t k = acc; k < chunk; k++)
                    backlog_push(s, &recs[k]);
            } else {
                for (size_t k = 0; k < chunk; k++)
                    backlog_push(s, &recs[k]);
                retry_if_due(s);
                built = 0; /* drain_backlog reused the shared buffers */
            }
        }
        recs += chunk;
        n -= chunk;
    }
}

/* A syslog sink delivers from its spool when flush() pumps it, so it is
 * flushed every tick, records or not; its spool losses and backlog are
 * collected here. */
static void tick_syslog(sink *s)
{
    uint64_t lost = rt_sink_syslog_take_lost(s->ctx);
    s->st.dropped += lost;
    spool_lost += lost;
    rt_sink_syslog_backlog(s->ctx, &s->st.spooled, &s->st.spool_bytes);
}

uint64_t rt_sinks_take_spool_lost(void)
{
    uint64_t n = spool_lost;
    spool_lost = 0;
    return n;
}

uint64_t rt_sinks_tick(bool flush_due)
{
    uint64_t dropped = 0;
    for (unsigned i = 0; i < nsinks; i++) {
        sink *s = &sinks[i];
        bool syslog = s->vt == rt_sink_syslog_vtbl();
        if (!s->open || s->bl_count)
            retry_if_due(s);
        if ((flush_due || syslog) && s->open && s->vt->flush(s->ctx) != RASTAP_SINK_OK)
            s->st.failed++;
        if (syslog && s->open)
            tick_syslog(s);
        dropped += s->dropped_unreported;
        s->dropped_unreported = 0;
    }
    return dropped;
}

uint64_t rt_sinks_close(void)
{
    uint64_t lost = 0;
    for (unsigned i = 0; i < nsinks; i++) {
        sink *s = &sinks[i];
        if (s->bl_count) {
            s->st.retrying = false; /* one last attempt now */
            retry_if_due(s);
        }
        if (s->open && s->vt == rt_sink_syslog_vtbl())
            tick_syslog(s); /* losses reported before the sink goes */
        if (s->open)
            s->vt->close(s->ctx);
        s->open = false;
        if (s->bl_count)
            rt_diag_report(RT_DIAG_ERROR, "sink %s: %u records undelivered at stop", s->cfg.name,
                           (unsigned)s->bl_count);
        lost += s->bl_count;
        free(s->bl);
        s->bl = NULL;
        s->bl_count = s->bl_head = 0;
    }
    nsinks = 0;
    return lost;
}

const rt_format_ctx *rt_sinks_format_ctx(void)
{
    return &fmt;
}

unsigned rt_sinks_count(void)
{
    return nsinks;
}

void rt_sinks_stats(unsigned i, rt_sink_stats *out, const char **name)
{
    *out = sinks[i].st;
    *name = sinks[i].cfg.name;
}
