/*
 * format.h - one rt_event as one record: a JSON Lines line or a CSV row.
 *
 * The field names, their meanings and the CSV column order are fixed by
 * docs/event-schema.md; this module is the one place that maps rt_event to
 * them, so every sink words a record the same way. Summary of the mapping:
 *
 *  - Every record: v, seq, instance, time, host, pid, event, and callout
 *    unless the DLL made the record itself (RT_CO_NONE).
 *  - A field whose RT_HAS_* bit (or has_* byte for ip.*) is clear is absent;
 *    a string whose first unit is NUL is absent, never "".
 *  - connection.*, reauth: connection, guid, user, domain, interface,
 *    remote_computer, interface_type, duration_s, bytes_in, bytes_out,
 *    frames_in, frames_out, errors (stop only), client_ipv4, server_ipv4,
 *    client_ipv6 (absent when the combined address is ::), endpoint_remote,
 *    endpoint_local, tunnel, auth, eap_type (when non-zero), quarantine,
 *    decision, reason (on reject with a non-zero reason code).
 *  - link.*: connection, port, media, device, device_type, tunnel (ours:
 *    from the device, see rt_tunnel_from_device_type), line_speed,
 *    duration_s, counters, errors (stop only), decision, reason.
 *  - ip.* / ipv6.*: user, port, ipv4 + ipv4_offered (when non-zero) or
 *    ipv6 + ipv6_iid, source; on *.assign also notify_release and result.
 *  - service.start: mode, version; service.stop: events_total,
 *    events_dropped; events.dropped: count, reason; config.applied:
 *    generation; config.error: generation, key, value, reason.
 *
 * CSV columns: the schema's 24, then the ones this project adds:
 *   guid    the connection GUID (connection.*, reauth)
 *   ipv6    the address of ipv6.* records (ipv4's twin)
 *   result  ip.assign / ipv6.assign outcome ("ok" or an error name)
 *   count   events.dropped: events refused since the last such record
 * Fields without a column (frames, errors, ...) are JSON-only.
 *
 * Threads: all functions are pure apart from writing to `out`; the worker
 * calls them, tests call them from anywhere. No allocation.
 */
#ifndef RT_FORMAT_H
#define RT_FORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "event.h"

/* Schema version: the `v` field. */
#define RT_SCHEMA_VERSION 1

/*
 * Upper bound on the bytes of one formatted record, JSON line or CSV row,
 * for any rt_event content: every string at its full array length, every
 * character escaping to its longest form. tests/core/test_format.c checks
 * it; the real worst case is about half of it.
 */
#define RT_RECORD_MAX 16384

/* Bytes of rt_format_ctx.version that records use; the rest is ignored. */
#define RT_FORMAT_VERSION_MAX 64

/* Reject reason codes (rt_event.reason) and their `reason` names. */
enum { RT_REASON_NONE = 0, RT_REASON_POLICY = 1 };

/* What stays the same for every record of one DLL instance. */
typedef struct rt_format_ctx {
    char instance[33];   /* 32 lowercase hex digits, NUL-terminated */
    char host[256];      /* UTF-8 computer name, NUL-terminated */
    uint32_t pid;
    const char *version; /* rastap version for service.start, or NULL */
    bool csv_defuse;     /* prefix formula-like CSV text cells with ' */
} rt_format_ctx;

/* One record to format: the event plus what the worker adds. */
typedef struct rt_record {
    uint64_t seq;             /* the `seq` field */
    int64_t time_us;          /* wall time of the callout, us since 1970 UTC */
    const rt_event *ev;
    const char *tunnel_hint;  /* NULL or "pptp"/"l2tp"/"sstp"/"ikev2", from an
                                 earlier link's device type (connection kinds) */
} rt_record;

/*
 * Appends r as one JSON Lines record (one object, then '\n') to out.
 * Returns 0; RT_EINVAL if c, r, r->ev or out is NULL or the event's kind or
 * callout is out of range; RT_ENOSPC if the record does not fit. On any
 * error out->len, out->overflow and the content p[0..len) are as before the
 * call (bytes past len may have been written, never past cap). A buffer
 * with RT_RECORD_MAX free bytes always fits one record.
 */
int rt_format_jsonl(const rt_format_ctx *c, const rt_record *r, rt_buf *out);

/* Appends the CSV header row (column names, then CRLF). Overflow: see buf.h. */
void rt_format_csv_header(rt_buf *out);

/*
 * Appends r as one CSV row (RFC 4180, CRLF-terminated, one cell per header
 * column; absent fields are empty cells). Returns as rt_format_jsonl.
 */
int rt_format_csv(const rt_format_ctx *c, const rt_record *r, rt_buf *out);

/*
 * The tunnel type a RAS port's device reveals: "pptp", "l2tp", "sstp" or
 * "ikev2" (static strings), else NULL. device_type is RAS_PORT_0's
 * wszDeviceType (at most max units), device_name its wszDeviceName (at most
 * max2). A device type that is itself one of the four names wins;
 * otherwise, when the type is "vpn" or empty, the name is searched ("WAN
 * Miniport (L2TP)" -> "l2tp"). ASCII case-insensitive. Either may be NULL.
 */
const char *rt_tunnel_from_device_type(const rt_wchar *device_type, size_t max,
                                       const rt_wchar *device_name, size_t max2);

#endif /* RT_FORMAT_H */
