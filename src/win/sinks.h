/*
 * sinks.h - the configured sink instances and delivery to them.
 *
 * Worker thread only. Each instance keeps its own state: open or waiting to
 * reopen, a backlog of records it did not accept, the time of its next
 * retry (exponential backoff, 100 ms doubling to 30 s), and counters. A
 * failing sink never holds up the others: what it refuses goes to its
 * backlog, which is bounded; what overflows the backlog is counted as
 * dropped for that sink and reported.
 */
#ifndef RT_SINKS_H
#define RT_SINKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "event.h"
#include "format.h"
#include "rastap/sink.h"

#define RT_MAX_SINKS 16
#define RT_SINK_NAME_MAX 64
#define RT_SETTINGS_MAX 32
#define RT_SETTING_TEXT_MAX 512

/* A record as the worker hands it to the sinks. */
typedef struct rt_out_record {
    uint64_t seq;
    int64_t time_us;
    const rt_event *ev;
    const char *tunnel_hint;
} rt_out_record;

typedef struct rt_setting {
    char key[64];
    char value[RT_SETTING_TEXT_MAX];
} rt_setting;

/* The settings of one sink instance (from the registry, or the default). */
typedef struct rt_sink_config {
    char name[RT_SINK_NAME_MAX];
    char type[32];
    unsigned count;
    rt_setting settings[RT_SETTINGS_MAX];
} rt_sink_config;

typedef struct rt_sink_stats {
    uint64_t written;   /* records accepted */
    uint64_t failed;    /* failed write/open calls */
    uint64_t dropped;   /* records lost from an overflowing backlog */
    uint32_t backlog;   /* records waiting for a retry */
    bool retrying;
    uint64_t spooled;   /* syslog sinks: records in the spool, not yet confirmed */
    uint64_t spool_bytes;
} rt_sink_stats;

/* Opens every configured sink (failures are reported and retried later). */
void rt_sinks_open(const rt_sink_config *configs, unsigned count, const rt_format_ctx *fmt);
/* Delivers n records in seq order to every sink. */
void rt_sinks_write(const rt_out_record *recs, size_t n);
/* Periodic work: retries due, flushes when `flush_due`. Returns the number of
 * records dropped from backlogs since the last call. */
uint64_t rt_sinks_tick(bool flush_due);
/* Records that syslog sinks lost from full spools since the last call, for
 * an events.dropped record with reason "spool_full" (worker thread). */
uint64_t rt_sinks_take_spool_lost(void);
/* Final delivery attempt, flush, close everything; returns the records left
 * undelivered (counted as dropped). */
uint64_t rt_sinks_close(void);
unsigned rt_sinks_count(void);
/* The record context (instance, host, pid) sinks format with. */
const rt_format_ctx *rt_sinks_format_ctx(void);
void rt_sinks_stats(unsigned i, rt_sink_stats *out, const char **name);

/* Built-in sink types (sink_types.c): the vtable for a `Type` value, or NULL. */
const rastap_sink_vtbl *rt_sink_builtin(const char *type);
bool rt_sink_type_known(const char *type);
/* Whether an open built-in sink reads rastap_record.json (third-party sinks
 * always get it); a sink that formats from `native` does not. */
bool rt_sink_needs_json(const rastap_sink_vtbl *vt, void *ctx);
bool rt_sink_file_needs_json(void *ctx);
const rastap_sink_vtbl *rt_sink_file_vtbl(void);

/* rt_sink_config helpers for building defaults and tests. */
void rt_sink_config_set(rt_sink_config *c, const char *key, const char *value);
const char *rt_sink_config_get(const rt_sink_config *c, const char *key);

#endif /* RT_SINKS_H */
