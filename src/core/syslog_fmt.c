/*
 * syslog_fmt.c - records as RFC 5424 / RFC 3164 messages (syslog_fmt.h).
 *
 * The record is parsed once into a table of fields (pointers into the
 * JSON text); the header, the structured data and MSG are written from
 * it. Values are copied as they are, because a JSON string body is already
 * what a PARAM-VALUE needs except for `]`.
 */
#include "syslog_fmt.h"

#include <string.h>

#include "error.h"
#include "utf.h"

#define NAME_MAX_BYTES 64
#define SD_NAME_MAX 32 /* RFC 5424 SD-NAME */
#define UTF8_BOM "\xEF\xBB\xBF"

static const char *const facility_names[24] = {
    "kern",   "user",   "mail",   "daemon", "auth",   "syslog", "lpr",    "news",
    "uucp",   "cron",   "authpriv", "ftp",  "ntp",    "security", "console", "clock",
    "local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7",
};

static const char *const severity_names[8] = {
    "emerg", "alert", "crit", "err", "warning", "notice", "info", "debug",
};

static bool ieq(const char *a, const char *b)
{
    for (; *a && *b; a++, b++) {
        char x = *a >= 'A' && *a <= 'Z' ? (char)(*a + 32) : *a;
        char y = *b >= 'A' && *b <= 'Z' ? (char)(*b + 32) : *b;
        if (x != y)
            return false;
    }
    return *a == *b;
}

static int parse_small(const char *s, int max)
{
    int v = 0;
    if (*s == '\0')
        return -1;
    for (; *s; s++) {
        if (*s < '0' || *s > '9' || v > max)
            return -1;
        v = v * 10 + (*s - '0');
    }
    return v <= max ? v : -1;
}

static int parse_named(const char *s, const char *const *names, int count)
{
    if (s == NULL)
        return -1;
    for (int i = 0; i < count; i++)
        if (ieq(s, names[i]))
            return i;
    return parse_small(s, count - 1);
}

int rt_syslog_facility_parse(const char *s)
{
    return parse_named(s, facility_names, 24);
}

int rt_syslog_severity_parse(const char *s)
{
    if (s != NULL && (ieq(s, "error") || ieq(s, "warn") || ieq(s, "emergency")))
        return ieq(s, "error") ? 3 : ieq(s, "warn") ? 4 : 0;
    return parse_named(s, severity_names, 8);
}

void rt_syslog_opts_init(rt_syslog_opts *o)
{
    memset(o, 0, sizeof *o);
    o->facility = RT_SYSLOG_DEFAULT_FACILITY;
    o->severity = RT_SYSLOG_SEVERITY_AUTO;
    o->pen = RT_SYSLOG_DEFAULT_PEN;
}

/* ------------------------------------------------------------- walker */

/*
 * One parse of the record into a field table: every later step (header,
 * severity, SD, MSG) reads the table, never the text again. A nested
 * member keeps its object's name apart (outer), so nothing is copied. The
 * scanners compare bytes inline: no libc string calls per character,
 * which matters where msvcrt's are plain loops (Wine).
 */
#define MAX_FIELDS 128

typedef struct field {
    const char *outer, *name, *value;
    uint32_t outer_len, name_len, value_len;
    bool is_string;
} field;

typedef struct parsed {
    unsigned n;
    field f[MAX_FIELDS];
} parsed;

static const char *skip_ws(const char *p, const char *e)
{
    while (p < e && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
        p++;
    return p;
}

/* Eight bytes at a time: a byte equal to c, or below n, anywhere in v
 * (exact when there is none; only the first hit is exact otherwise). */
#define ONES UINT64_C(0x0101010101010101)
#define HIGHS UINT64_C(0x8080808080808080)

static uint64_t has_byte(uint64_t v, unsigned char c)
{
    uint64_t x = v ^ (ONES * c);
    return (x - ONES) & ~x & HIGHS;
}

static uint64_t has_below(uint64_t v, unsigned char n)
{
    return (v - ONES * n) & ~v & HIGHS;
}

static uint64_t load8(const char *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

static bool is_hex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* p at the opening quote; on success (*body, *n) is the body and the return
 * value points past the closing quote. Raw control characters are refused:
 * they would end up in a message unescaped. */
static const char *scan_string(const char *p, const char *e, const char **body, uint32_t *n)
{
    const char *s = ++p;
    for (;;) {
        while (e - p >= 8) {
            uint64_t v = load8(p);
            if (has_byte(v, '"') | has_byte(v, '\\') | has_below(v, 0x20))
                break;
            p += 8;
        }
        while (p < e && *p != '"' && *p != '\\' && (unsigned char)*p >= 0x20)
            p++;
        if (p == e || (unsigned char)*p < 0x20)
            return NULL;
        if (*p == '"')
            break;
        if (e - p >= 6 && p[1] == 'u' && is_hex(p[2]) && is_hex(p[3]) && is_hex(p[4]) &&
            is_hex(p[5])) {
            p += 6;
            continue;
        }
        if (e - p < 2)
            return NULL;
        switch (p[1]) {
        case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't':
            p += 2;
            continue;
        default:
            return NULL;
        }
    }
    *body = s;
    *n = (uint32_t)(p - s);
    return p + 1;
}

static bool is_scalar_char(char c)
{
    switch (c) {
    case '-': case '+': case '.': case 'e': case 'E': case 't': case 'r': case 'u':
    case 'f': case 'a': case 'l': case 's': case 'n':
        return true;
    default:
        return c >= '0' && c <= '9';
    }
}

static const char *parse_object(parsed *pr, const char *p, const char *e, const char *outer,
                                uint32_t outer_len)
{
    p = skip_ws(p + 1, e); /* past '{' */
    if (p < e && *p == '}')
        return p + 1;
    for (;;) {
        field f = {outer, NULL, NULL, outer_len, 0, 0, false};
        if (p == e || *p != '"' || !(p = scan_string(p, e, &f.name, &f.name_len)) ||
            f.name_len == 0 || f.name_len > NAME_MAX_BYTES)
            return NULL;
        p = skip_ws(p, e);
        if (p == e || *p != ':')
            return NULL;
        p = skip_ws(p + 1, e);
        if (p == e)
            return NULL;
        if (*p == '{') {
            if (outer) /* one level only */
                return NULL;
            p = parse_object(pr, p, e, f.name, f.name_len);
        } else if (*p == '"') {
            p = scan_string(p, e, &f.value, &f.value_len);
            f.is_string = true;
        } else {
            f.value = p;
            while (p < e && is_scalar_char(*p))
                p++;
            f.value_len = (uint32_t)(p - f.value);
            if (f.value_len == 0)
                return NULL;
        }
        if (p == NULL)
            return NULL;
        if (f.value) {
            if (pr->n == MAX_FIELDS)
                return NULL;
            pr->f[pr->n++] = f;
        }
        p = skip_ws(p, e);
        if (p == e)
            return NULL;
        if (*p == '}')
            return p + 1;
        if (*p != ',')
            return NULL;
        p = skip_ws(p + 1, e);
    }
}

static int parse(const char *json, size_t len, parsed *pr)
{
    const char *e = json + len, *p = skip_ws(json, e);
    pr->n = 0;
    if (p == e || *p != '{')
        return RT_EPARSE;
    p = parse_object(pr, p, e, NULL, 0);
    if (p == NULL || skip_ws(p, e) != e)
        return RT_EPARSE;
    return 0;
}

int rt_record_fields(const char *json, size_t len, rt_record_field_fn fn, void *ctx)
{
    parsed pr;
    char name[2 * NAME_MAX_BYTES + 2];
    if (json == NULL || fn == NULL)
        return RT_EINVAL;
    if (parse(json, len, &pr) != 0)
        return RT_EPARSE;
    for (unsigned i = 0; i < pr.n; i++) {
        const field *f = &pr.f[i];
        rt_record_field out = {f->name, f->name_len, f->value, f->value_len, f->is_string};
        if (f->outer) {
            memcpy(name, f->outer, f->outer_len);
            name[f->outer_len] = '.';
            memcpy(name + f->outer_len + 1, f->name, f->name_len);
            out.name = name;
            out.name_len = f->outer_len + 1 + f->name_len;
        }
        int rc = fn(ctx, &out);
        if (rc != 0)
            return rc;
    }
    return 0;
}

/* ------------------------------------------------------------ unescape */

static unsigned hex4(const char *p)
{
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        char c = p[i];
        v = v * 16 + (unsigned)(c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
    }
    return v;
}

/* The character a two-character JSON escape stands for. */
static uint32_t short_escape(char c)
{
    switch (c) {
    case 'b': return '\b';
    case 'f': return '\f';
    case 'n': return '\n';
    case 'r': return '\r';
    case 't': return '\t';
    case '"':
    case '\\':
    case '/': return (unsigned char)c;
    default: return RT_UTF_REPLACEMENT;
    }
}

size_t rt_json_unescape(const char *body, size_t n, char *out, size_t cap)
{
    size_t o = 0, i = 0;
    if (cap == 0)
        return 0;
    while (i < n) {
        char tmp[4];
        size_t k;
        uint32_t cp;
        if (body[i] != '\\') {
            size_t used;
            cp = rt_utf8_decode((const unsigned char *)body + i, n - i, &used);
            i += used;
        } else if (i + 1 < n && body[i + 1] != 'u') {
            cp = short_escape(body[i + 1]);
            i += 2;
        } else if (i + 5 < n) {
            cp = hex4(body + i + 2);
            i += 6;
            if (cp >= 0xD800 && cp < 0xDC00 && i + 5 < n && body[i] == '\\' &&
                body[i + 1] == 'u') {
                uint32_t lo = hex4(body + i + 2);
                if (lo >= 0xDC00 && lo < 0xE000) {
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                    i += 6;
                }
            }
            if (cp == 0 || (cp >= 0xD800 && cp < 0xE000))
                cp = RT_UTF_REPLACEMENT;
        } else {
            cp = RT_UTF_REPLACEMENT;
            i = n;
        }
        k = rt_utf8_encode(cp, tmp);
        if (o + k >= cap)
            break;
        memcpy(out + o, tmp, k);
        o += k;
    }
    out[o] = '\0';
    return o;
}

/* ------------------------------------------------------------- header */

/* Indices into the field table of what the header and severity use. */
typedef struct head {
    const field *time, *host, *pid, *event, *decision, *result;
} head;

static bool name_is(const field *f, const char *lit, uint32_t n)
{
    return f->outer == NULL && f->name_len == n && memcmp(f->name, lit, n) == 0;
}

#define NAME_IS(f, lit) name_is((f), lit, sizeof(lit) - 1)

static void find_head(const parsed *pr, head *h)
{
    memset(h, 0, sizeof *h);
    for (unsigned i = 0; i < pr->n; i++) {
        const field *f = &pr->f[i];
        if (f->outer)
            continue;
        switch (f->name_len) {
        case 3: h->pid = NAME_IS(f, "pid") ? f : h->pid; break;
        case 4:
            h->time = NAME_IS(f, "time") ? f : h->time;
            h->host = NAME_IS(f, "host") ? f : h->host;
            break;
        case 5: h->event = NAME_IS(f, "event") ? f : h->event; break;
        case 6: h->result = NAME_IS(f, "result") ? f : h->result; break;
        case 8: h->decision = NAME_IS(f, "decision") ? f : h->decision; break;
        default: break;
        }
    }
}

static bool value_is(const field *f, const char *lit)
{
    size_t n = strlen(lit);
    return f != NULL && f->value_len == n && memcmp(f->value, lit, n) == 0;
}

static unsigned severity_of(const head *h)
{
    const field *ev = h->event;
    if (value_is(ev, "config.error"))
        return 3;
    if (value_is(ev, "events.dropped"))
        return 4;
    if ((value_is(ev, "ip.assign") || value_is(ev, "ipv6.assign")) && h->result &&
        !value_is(h->result, "ok"))
        return 4;
    if (value_is(h->decision, "reject"))
        return 5;
    if (value_is(ev, "service.start") || value_is(ev, "service.stop") ||
        value_is(ev, "config.applied"))
        return 5;
    return 6;
}

unsigned rt_syslog_severity(const char *json, size_t len)
{
    parsed pr;
    head h;
    if (json == NULL || parse(json, len, &pr) != 0)
        return 6;
    find_head(&pr, &h);
    return severity_of(&h);
}

/* Appends s[0..n) keeping printable US-ASCII, other bytes as '_', at most
 * max bytes; "-" when nothing is left. */
static void put_header_text(rt_buf *b, const char *s, size_t n, size_t max)
{
    if (n > max)
        n = max;
    if (n == 0) {
        rt_buf_putc(b, '-');
        return;
    }
    if (rt_buf_room(b) < n) {
        rt_buf_fail(b);
        return;
    }
    char *o = b->p + b->len;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        o[i] = c >= 33 && c <= 126 ? (char)c : '_';
    }
    b->len += n;
}

static void put_field_text(rt_buf *b, const field *f, size_t max)
{
    put_header_text(b, f ? f->value : NULL, f ? f->value_len : 0, max);
}

static void put_hostname(rt_buf *b, const rt_syslog_opts *o, const head *h)
{
    char host[RT_SYSLOG_HOSTNAME_MAX * 4 + 1];
    size_t n = 0;
    if (o->hostname[0] != '\0') {
        put_header_text(b, o->hostname, strlen(o->hostname), RT_SYSLOG_HOSTNAME_MAX);
        return;
    }
    if (h->host && h->host->is_string &&
        memchr(h->host->value, '\\', h->host->value_len) == NULL) { /* nothing to unescape */
        put_header_text(b, h->host->value, h->host->value_len, RT_SYSLOG_HOSTNAME_MAX);
        return;
    }
    if (h->host && h->host->is_string)
        n = rt_json_unescape(h->host->value, h->host->value_len, host, sizeof host);
    put_header_text(b, host, n, RT_SYSLOG_HOSTNAME_MAX);
}

static const char *app_name(const rt_syslog_opts *o)
{
    return o->app_name[0] != '\0' ? o->app_name : "rastap";
}

static void put_pri(rt_buf *b, const rt_syslog_opts *o, const head *h)
{
    unsigned sev = o->severity >= 0 && o->severity <= 7 ? (unsigned)o->severity : severity_of(h);
    unsigned fac = o->facility <= 23 ? o->facility : RT_SYSLOG_DEFAULT_FACILITY;
    rt_buf_putc(b, '<');
    rt_buf_u64(b, fac * 8 + sev);
    rt_buf_putc(b, '>');
}

/* --------------------------------------------------------- 5424 parts */

static char *put_name_part(char *o, const char *s, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) {
        char c = s[i];
        *o++ = c > 32 && c < 127 && c != '=' && c != ']' && c != '"' ? c : '_';
    }
    return o;
}

/* An SD-NAME, `outer.name` for a nested member: printable US-ASCII except
 * = SP ] ", at most 32 (a longer one is cut). */
static char *put_sd_name(char *o, const field *f)
{
    char *start = o;
    if (f->outer) {
        o = put_name_part(o, f->outer, f->outer_len);
        *o++ = '.';
    }
    o = put_name_part(o, f->name, f->name_len);
    return o - start > SD_NAME_MAX ? start + SD_NAME_MAX : o;
}

/* Copies v[0..n) with every `]` escaped as `\]`; returns the end. */
static char *put_sd_value(char *o, const char *v, uint32_t n)
{
    const char *e = v + n;
    for (;;) {
        const char *q = v;
        while (e - q >= 8 && !has_byte(load8(q), ']'))
            q += 8;
        while (q < e && *q != ']')
            q++;
        rt_copy(o, v, (size_t)(q - v));
        o += q - v;
        if (q == e)
            return o;
        *o++ = '\\';
        *o++ = ']';
        v = q + 1;
    }
}

/* Every field as ` name="value"`: a string's JSON body with `]` escaped,
 * other values as their JSON text. */
static void put_sd(rt_buf *b, const parsed *pr)
{
    for (unsigned i = 0; i < pr->n; i++) {
        const field *f = &pr->f[i];
        size_t need = 4 + 2 * NAME_MAX_BYTES + 2 * (size_t)f->value_len;
        if (rt_buf_room(b) < need) {
            rt_buf_fail(b);
            return;
        }
        char *o = b->p + b->len;
        *o++ = ' ';
        o = put_sd_name(o, f);
        *o++ = '=';
        *o++ = '"';
        o = put_sd_value(o, f->value, f->value_len);
        *o++ = '"';
        b->len = (size_t)(o - b->p);
    }
}

/* The top-level fields MSG shows (docs/sinks.md), by first letter. */
static bool in_summary(const field *f)
{
    static const char *const by_letter[26] = {
        ['a' - 'a'] = "auth",
        ['b' - 'a'] = "bytes_in bytes_out",
        ['c' - 'a'] = "connection client_ipv4 client_ipv6 count",
        ['d' - 'a'] = "domain decision duration_s",
        ['g' - 'a'] = "generation",
        ['i' - 'a'] = "ipv4 ipv6",
        ['k' - 'a'] = "key",
        ['p' - 'a'] = "port",
        ['q' - 'a'] = "quarantine",
        ['r' - 'a'] = "reason result",
        ['t' - 'a'] = "tunnel",
        ['u' - 'a'] = "user",
        ['v' - 'a'] = "value version",
    };
    const char *list;
    if (f->outer || f->name[0] < 'a' || f->name[0] > 'z' || !(list = by_letter[f->name[0] - 'a']))
        return false;
    while (*list) {
        size_t n = 0;
        while (list[n] && list[n] != ' ')
            n++;
        if (n == f->name_len && memcmp(list, f->name, n) == 0)
            return true;
        list += n + (list[n] == ' ');
    }
    return false;
}

static void put_summary(rt_buf *b, const parsed *pr)
{
    for (unsigned i = 0; i < pr->n; i++) {
        const field *f = &pr->f[i];
        if (!in_summary(f))
            continue;
        rt_buf_putc(b, ' ');
        rt_buf_put(b, f->name, f->name_len);
        rt_buf_putc(b, '=');
        if (f->is_string)
            rt_buf_putc(b, '"');
        rt_buf_put(b, f->value, f->value_len);
        if (f->is_string)
            rt_buf_putc(b, '"');
    }
}

static void format_5424(const rt_syslog_opts *o, const parsed *pr, const head *h, rt_buf *b,
                        size_t *msg_at)
{
    put_pri(b, o, h);
    RT_BUF_LIT(b, "1 ");
    put_field_text(b, h->time, 64);
    rt_buf_putc(b, ' ');
    put_hostname(b, o, h);
    rt_buf_putc(b, ' ');
    put_header_text(b, app_name(o), strlen(app_name(o)), RT_SYSLOG_APPNAME_MAX);
    rt_buf_putc(b, ' ');
    put_field_text(b, h->pid, RT_SYSLOG_PROCID_MAX);
    rt_buf_putc(b, ' ');
    put_field_text(b, h->event, RT_SYSLOG_MSGID_MAX);
    RT_BUF_LIT(b, " [rastap@");
    rt_buf_u64(b, o->pen);
    put_sd(b, pr);
    RT_BUF_LIT(b, "] ");
    *msg_at = b->len;
    RT_BUF_LIT(b, UTF8_BOM);
    if (h->event)
        rt_buf_put(b, h->event->value, h->event->value_len);
    else
        RT_BUF_LIT(b, "record");
    put_summary(b, pr);
}

/* --------------------------------------------------------- 3164 parts */

static int two_digits(const char *p)
{
    if (p[0] < '0' || p[0] > '9' || p[1] < '0' || p[1] > '9')
        return -1;
    return (p[0] - '0') * 10 + (p[1] - '0');
}

/* "Mmm dd hh:mm:ss" from "YYYY-MM-DDThh:mm:ss..." */
static void put_3164_time(rt_buf *b, const field *t)
{
    static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
    const char *s = t ? t->value : NULL;
    int mon = s && t->value_len >= 19 ? two_digits(s + 5) : -1;
    int day = mon > 0 ? two_digits(s + 8) : -1;
    if (mon < 1 || mon > 12 || day < 1 || day > 31 || s[10] != 'T') {
        RT_BUF_LIT(b, "Jan  1 00:00:00");
        return;
    }
    rt_buf_put(b, months + 3 * (mon - 1), 3);
    rt_buf_putc(b, ' ');
    rt_buf_putc(b, day < 10 ? ' ' : (char)('0' + day / 10));
    rt_buf_putc(b, (char)('0' + day % 10));
    rt_buf_putc(b, ' ');
    put_header_text(b, s + 11, 8, 8);
}

static void format_3164(const rt_syslog_opts *o, const head *h, const char *json, size_t len,
                        rt_buf *b, size_t *msg_at)
{
    const char *app = app_name(o);
    size_t an = strlen(app);
    put_pri(b, o, h);
    put_3164_time(b, h->time);
    rt_buf_putc(b, ' ');
    put_hostname(b, o, h);
    rt_buf_putc(b, ' ');
    put_header_text(b, app, an < RT_SYSLOG_TAG_MAX ? an : RT_SYSLOG_TAG_MAX, RT_SYSLOG_TAG_MAX);
    if (h->pid) {
        rt_buf_putc(b, '[');
        put_field_text(b, h->pid, 10);
        rt_buf_putc(b, ']');
    }
    RT_BUF_LIT(b, ": ");
    *msg_at = b->len;
    rt_buf_put(b, json, len);
}

int rt_syslog_format(const rt_syslog_opts *o, const char *json, size_t len, rt_buf *out,
                     size_t *msg_at)
{
    parsed pr;
    head h;
    size_t at = 0;
    if (o == NULL || json == NULL || out == NULL || msg_at == NULL)
        return RT_EINVAL;
    if (parse(json, len, &pr) != 0)
        return RT_EPARSE;
    find_head(&pr, &h);
    rt_buf_mark mark = rt_buf_save(out);
    out->overflow = false;
    if (o->rfc3164)
        format_3164(o, &h, json, len, out, &at);
    else
        format_5424(o, &pr, &h, out, &at);
    if (out->overflow) {
        rt_buf_restore(out, mark);
        return RT_ENOSPC;
    }
    out->overflow = mark.overflow;
    *msg_at = at;
    return 0;
}

/* ------------------------------------------------------------ framing */

size_t rt_syslog_udp_cut(const char *m, size_t len, size_t msg_at, size_t limit)
{
    size_t min_msg = 0, cut;
    if (len <= limit || msg_at > len)
        return len;
    if (len - msg_at >= 3 && memcmp(m + msg_at, UTF8_BOM, 3) == 0)
        min_msg = 3;
    if (limit < msg_at + min_msg + 1) {
        /* Not even one character of MSG fits: leave MSG out, and with a
         * BOM-less 3164 CONTENT keep the header's trailing ": ". */
        return min_msg ? msg_at - 1 : msg_at;
    }
    cut = limit;
    while (cut > msg_at + min_msg && ((unsigned char)m[cut] & 0xC0) == 0x80)
        cut--; /* m[cut] is the first byte left out: not a continuation */
    return cut;
}

/* Decimal digits of v. */
static size_t digits(uint64_t v)
{
    size_t d = 1;
    while (v >= 10) {
        v /= 10;
        d++;
    }
    return d;
}

/* Writes v's d decimal digits at o; returns o + d. */
static char *put_dec(char *o, uint64_t v, size_t d)
{
    for (size_t i = d; i-- > 0; v /= 10)
        o[i] = (char)('0' + v % 10);
    return o + d;
}

bool rt_syslog_frame_octets(rt_buf *out, const char *m, size_t len)
{
    if (rt_buf_room(out) < digits(len) + 1 + len)
        return rt_buf_fail(out);
    char *o = put_dec(out->p + out->len, len, digits(len)); /* room checked above */
    *o = ' ';
    out->len = (size_t)(o + 1 - out->p);
    memcpy(out->p + out->len, m, len);
    out->len += len;
    return true;
}
