/*
 * syslog_fmt.h - a rastap record as a syslog message: RFC 5424 (default) or
 * RFC 3164, and the RFC 6587 octet-counting frame.
 *
 * Input is the record's JSON text (format.h wrote it; docs/event-schema.md
 * names its fields), so the syslog sink words a record exactly as the file
 * sink does and the field mapping lives in one place. RFC 5424 message:
 *
 *   <PRI>1 TIME HOST APP PID EVENT [rastap@PEN v="1" seq="42" ...] BOM MSG
 *
 *  - PRI = facility * 8 + severity. Severity is configured, or derived from
 *    the record (rt_syslog_severity).
 *  - TIMESTAMP is the record's `time` (RFC 3339, microseconds, Z).
 *  - HOSTNAME is the configured one, else the record's `host`; APP-NAME the
 *    configured name; PROCID the record's `pid`; MSGID its `event`. Header
 *    fields keep printable US-ASCII (33..126) only, any other byte becomes
 *    `_`, and are cut to RFC 5424's limits (255, 48, 128, 32 octets); an
 *    empty one is the NILVALUE `-`.
 *  - STRUCTURED-DATA is one element, SD-ID `rastap@<PEN>`, with one
 *    PARAM per record field in record order. A nested object's members are
 *    named `<object>.<member>` (`errors.crc`). Values: numbers and booleans
 *    as their JSON text; strings as the JSON string's body, in which `"`
 *    and `\` are already backslash-escaped, with `]` escaped as `\]` too
 *    (RFC 5424 6.3.3). So a control character stays in its JSON escape
 *    (`\n`, `\u0001`) and a value never spans lines: RFC 5424 unescaping
 *    leaves such a sequence as it is.
 *  - MSG is a UTF-8 BOM and a line for people: the event kind and the
 *    fields people look for (user, addresses, counters, decision ...) as
 *    `name=value`, strings as JSON string literals (quoted, escaped).
 *
 * RFC 3164 message (Format = rfc3164, for collectors that predate 5424):
 *
 *   <PRI>Mmm dd hh:mm:ss HOST APP[PID]: {"v":1,...the JSON record...}
 *
 * with the time in UTC, APP cut to 32 characters and the whole record as
 * the CONTENT.
 *
 * Pure functions of their arguments: any thread, no allocation. Output goes
 * to an rt_buf, all-or-nothing as buf.h describes.
 */
#ifndef RT_SYSLOG_FMT_H
#define RT_SYSLOG_FMT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/* Field limits of RFC 5424 6.2 (octets). */
#define RT_SYSLOG_HOSTNAME_MAX 255
#define RT_SYSLOG_APPNAME_MAX 48
#define RT_SYSLOG_PROCID_MAX 128
#define RT_SYSLOG_MSGID_MAX 32
/* RFC 3164 TAG limit. */
#define RT_SYSLOG_TAG_MAX 32

/* The documentation enterprise number (RFC 5612), the default SD-ID's. */
#define RT_SYSLOG_DEFAULT_PEN 32473u
#define RT_SYSLOG_DEFAULT_FACILITY 16u /* local0 */

/* Severity: derived from the record (rt_syslog_severity) unless fixed. */
#define RT_SYSLOG_SEVERITY_AUTO (-1)

/*
 * Upper bound on a formatted message for a record of rec_len JSON bytes:
 * the SD repeats the record (with `]` doubled at worst), MSG repeats a part
 * of it, the header adds at most ~600 bytes.
 */
#define RT_SYSLOG_MAX_FOR(rec_len) (3 * (rec_len) + 1024)

typedef struct rt_syslog_opts {
    unsigned facility;      /* 0..23 */
    int severity;           /* 0..7, or RT_SYSLOG_SEVERITY_AUTO */
    uint32_t pen;           /* enterprise number of the SD-ID */
    bool rfc3164;
    char app_name[RT_SYSLOG_APPNAME_MAX + 1]; /* NUL-terminated; "" = "rastap" */
    char hostname[RT_SYSLOG_HOSTNAME_MAX + 1]; /* "" = the record's `host` */
} rt_syslog_opts;

/* Sets o to the defaults: local0, automatic severity, PEN 32473, RFC 5424. */
void rt_syslog_opts_init(rt_syslog_opts *o);

/*
 * Facility by name ("local0", "authpriv", ... RFC 5424 table 1 names as
 * syslog(3) spells them) or decimal number 0..23; -1 when neither.
 * Severity by name ("err", "warning", "info" ...) or number 0..7; -1 when
 * neither. Case-insensitive.
 */
int rt_syslog_facility_parse(const char *s);
int rt_syslog_severity_parse(const char *s);

/*
 * The severity a record gets when none is configured, from its JSON text:
 *   config.error                                   3 err
 *   events.dropped; *.assign whose result is not ok 4 warning
 *   a decision "reject"; service.*; config.applied 5 notice
 *   everything else                                6 info
 */
unsigned rt_syslog_severity(const char *json, size_t len);

/*
 * Appends the syslog message for the record json[0..len) to out. On success
 * *msg_at is the offset in out (absolute, in out->p) where MSG starts (the
 * BOM; for RFC 3164 the CONTENT), for rt_syslog_udp_cut. Returns 0,
 * RT_EINVAL for NULL arguments, RT_EPARSE when json is not a flat JSON
 * object (one level of nesting allowed), RT_ENOSPC when out is too small
 * (out as before; RT_SYSLOG_MAX_FOR(len) free bytes always suffice).
 */
int rt_syslog_format(const rt_syslog_opts *o, const char *json, size_t len, rt_buf *out,
                     size_t *msg_at);

/*
 * The length to send of message m[0..len) in one datagram of at most
 * `limit` octets (RFC 5426): len when it fits; else MSG is cut at a UTF-8
 * character boundary; when even the header and STRUCTURED-DATA do not fit,
 * MSG is left out (with the space before it) and the rest is sent whole,
 * over the limit: structured data is never cut. msg_at is the offset of
 * MSG within m.
 */
size_t rt_syslog_udp_cut(const char *m, size_t len, size_t msg_at, size_t limit);

/* Appends the RFC 6587 octet-counting frame `LEN SP MSG`. True if it fit. */
bool rt_syslog_frame_octets(rt_buf *out, const char *m, size_t len);

/* ------------------------------------------------------------------
 * The record walker, also used by the Event Log sink.
 */

/* One field of a record. Names of nested members are `<outer>.<inner>`. */
typedef struct rt_record_field {
    const char *name;
    size_t name_len;
    const char *value;      /* strings: the body between the quotes, still
                               JSON-escaped; else the literal (42, true) */
    size_t value_len;
    bool is_string;
} rt_record_field;

/* Called per field in record order; a non-zero return stops the walk and
 * is returned by rt_record_fields. */
typedef int (*rt_record_field_fn)(void *ctx, const rt_record_field *f);

/*
 * Walks the JSON object json[0..len): every member whose value is a
 * string, number, true, false or null, and the members of objects nested
 * one level deep. Returns 0, the callback's non-zero value, or RT_EPARSE
 * for anything else (arrays, deeper nesting, bad syntax, names over 64
 * bytes).
 */
int rt_record_fields(const char *json, size_t len, rt_record_field_fn fn, void *ctx);

/*
 * Decodes a JSON string body (as rt_record_field gives it) to UTF-8 in
 * out[0..cap), NUL-terminated when cap > 0, cut at a character boundary
 * when it does not fit. \uXXXX surrogate pairs are joined; a lone
 * surrogate and \u0000 become U+FFFD (so the result is a C string).
 * Returns the bytes written without the terminator.
 */
size_t rt_json_unescape(const char *body, size_t n, char *out, size_t cap);

#endif /* RT_SYSLOG_FMT_H */
