/*
 * rastap/sink.h - the stable C ABI of a rastap sink.
 *
 * A sink receives the records rastap produces, in `seq` order, in batches.
 * rastap's own sinks (file, and later syslog, Event Log, RADIUS) implement
 * this interface, and so will third-party sink DLLs, which export
 *
 *     const rastap_sink_vtbl *rastap_sink_entry(uint32_t host_abi_version);
 *
 * Threading: every function of a sink is called on rastap's worker thread
 * only, never from an RRAS callout, never concurrently. A sink may block in
 * its own I/O (it only delays the worker), but should bound each call.
 *
 * Memory: records and settings are owned by rastap and valid only during
 * the call that receives them; copy what must outlive it.
 *
 * Versioning: structures start with their size; rastap fills `size` with
 * what it knows, a sink reads only fields that fit inside `size`. New fields
 * are only ever appended. RASTAP_SINK_ABI_VERSION changes only for an
 * incompatible change.
 */
#ifndef RASTAP_SINK_H
#define RASTAP_SINK_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define RASTAP_SINK_ABI_VERSION 1u

/* Return codes of sink functions: 0 success, negative failure. */
#define RASTAP_SINK_OK 0
#define RASTAP_SINK_ERETRY (-1) /* transient: rastap retries with backoff */
#define RASTAP_SINK_EFATAL (-2) /* configuration is unusable: the sink stays closed */

/* One record, as event-schema.md describes it. */
typedef struct rastap_record {
    uint32_t size;        /* sizeof(rastap_record) as rastap knows it */
    uint32_t reserved;
    uint64_t seq;         /* the record's `seq` */
    int64_t time_us;      /* `time`: microseconds since 1970-01-01 UTC */
    const char *event;    /* `event` kind, e.g. "connection.stop" */
    const char *json;     /* the whole record: one JSON object, UTF-8, no newline */
    size_t json_len;
    const void *native;   /* rastap's internal event; for built-in sinks only */
} rastap_record;

/* Settings of one configured sink instance (a registry subkey). */
typedef struct rastap_sink_settings {
    uint32_t size;
    uint32_t reserved;
    const char *name;     /* the instance name (registry subkey), UTF-8 */
    const void *ctx;      /* pass back to get() */
    /* Value `key` as UTF-8 text (numbers in decimal), or NULL when unset. */
    const char *(*get)(const void *ctx, const char *key);
} rastap_sink_settings;

/* Services rastap offers to a sink. */
typedef struct rastap_sink_host {
    uint32_t size;
    uint32_t reserved;
    /* Reports a problem: counted, shown by `rastapctl status`, logged. */
    void (*report_error)(void *host_ctx, int32_t code, const char *message_utf8);
    void *host_ctx;
} rastap_sink_host;

typedef struct rastap_sink_vtbl {
    uint32_t size;            /* sizeof(rastap_sink_vtbl) as the sink knows it */
    uint32_t abi_version;     /* RASTAP_SINK_ABI_VERSION */
    const char *type_name;    /* the `Type` value that selects it, e.g. "file" */
    /* Opens an instance. On success stores the sink's context in *ctx. */
    int32_t (*open)(const rastap_sink_settings *settings, const rastap_sink_host *host,
                    void **ctx);
    /* Takes count records in seq order. Sets *accepted to how many, from the
     * first, it has taken responsibility for (written or safely buffered);
     * returns 0 when all were accepted, RASTAP_SINK_ERETRY otherwise. Records
     * not accepted are offered again, first, on a later call. */
    int32_t (*write)(void *ctx, const rastap_record *records, size_t count, size_t *accepted);
    /* Pushes buffered data to its destination (disk, network). */
    int32_t (*flush)(void *ctx);
    /* Flushes and releases everything. ctx is invalid afterwards. */
    void (*close)(void *ctx);
} rastap_sink_vtbl;

typedef const rastap_sink_vtbl *(*rastap_sink_entry_fn)(uint32_t host_abi_version);

#ifdef __cplusplus
}
#endif

#endif /* RASTAP_SINK_H */
