/*
 * config_model.c - the schema and the validation of rastap's configuration.
 *
 * Every registry value goes through the same three steps:
 *   1. framing: is the byte string a well-formed value of its REG_* type?
 *      (REG_DWORD of exactly 4 bytes; UTF-16 text of an even size, with a
 *      NUL terminator, nothing but NULs after it, no unpaired surrogate, no
 *      control character; REG_MULTI_SZ ending with its double NUL);
 *   2. type: is it the type this value takes? (REG_EXPAND_SZ is accepted
 *      wherever text is and is always expanded);
 *   3. meaning: range, power of two, absolute path, known choice or type.
 * The first failing step becomes the problem; nothing is ever rounded,
 * clamped or guessed, because an administrator who typed 1000 for RingSize
 * must hear that it is refused rather than find 1024 in force.
 *
 * Lengths of text values are limited in UTF-16 units (what Windows counts)
 * and chosen so that the UTF-8 form fits RT_CFG_TEXT_MAX bytes even for
 * three-byte characters: at most 170 units for a path.
 */
#include "config_model.h"

#include "ipassign.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "error.h"
#include "utf.h"

/* Longest text value in UTF-16 units before any limit applies; longer
 * data is refused without being decoded. */
#define TEXT_UNITS_MAX 1024

/* ------------------------------------------------------------- schema */

static const rt_cfg_schema core_schema[RT_CFG_CORE_COUNT] = {
    [RT_CFG_RING_SIZE] = {"RingSize", RT_CFG_U32, 64, 1048576, RT_CFG_POW2, NULL, "4096",
                          "ring slots, a power of two; takes effect at the next start"},
    [RT_CFG_STOP_DRAIN_MS] = {"StopDrainMs", RT_CFG_U32, 0, 60000, 0, NULL, "2000",
                              "how long MprAdminTerminateDll lets queued records drain"},
    [RT_CFG_DIAG_LEVEL] = {"DiagLevel", RT_CFG_U32, 0, 3, 0, NULL, "2",
                           "Application event log: 0 none, 1 errors, 2 +warnings, 3 +information"},
    [RT_CFG_ACTIVE_SINKS] = {"ActiveSinks", RT_CFG_NAMES, 1, RT_CFG_MAX_SINKS, 0, NULL,
                             "(every sink under Sinks)", "the sinks that run, in this order"},
};

#define TYPE_ROW {"Type", RT_CFG_SINK_TYPE, 1, 31, 0, NULL, NULL, "the sink type"}

static const rt_cfg_schema file_values[] = {
    TYPE_ROW,
    {"Directory", RT_CFG_PATH, 3, 170, 0, NULL, "%ProgramData%\\rastap",
     "absolute directory of the files (created SYSTEM+Administrators only)"},
    {"FilePrefix", RT_CFG_FILENAME, 1, 40, 0, NULL, "rastap",
     "file names are <FilePrefix>-YYYYMMDD[.N].<jsonl|csv> (UTC day)"},
    {"Format", RT_CFG_CHOICE, 0, 0, 0, "jsonl|csv", "jsonl", "JSON Lines or CSV"},
    {"MaxFileMB", RT_CFG_U32, 1, 1048576, 0, NULL, "100",
     "size cap of one file in MiB; then .1, .2 ... of the same day"},
    {"CsvDefuse", RT_CFG_BOOL, 0, 1, 0, NULL, "1",
     "CSV: prefix cells starting with = + - @ TAB CR with '"},
};

/* docs/sinks.md describes these two. */
static const rt_cfg_schema syslog_values[] = {
    TYPE_ROW,
    {"Host", RT_CFG_ASCII, 1, 255, RT_CFG_REQUIRED, NULL, "(required)",
     "the collector: DNS name, IPv4 or IPv6 address"},
    {"Transport", RT_CFG_CHOICE, 0, 0, 0, "udp|tcp|relp", "udp", "RFC 5426 UDP, RFC 6587 TCP, RELP"},
    {"Port", RT_CFG_U32, 1, 65535, 0, NULL, "514 (udp, tcp), 2514 (relp)", "the collector's port"},
    {"Format", RT_CFG_CHOICE, 0, 0, 0, "rfc5424|rfc3164", "rfc5424", "message format"},
    {"Facility", RT_CFG_CHOICE, 0, 0, 0,
     "local0|local1|local2|local3|local4|local5|local6|local7|user|daemon|auth|authpriv",
     "local0", "syslog facility"},
    {"Severity", RT_CFG_CHOICE, 0, 0, 0, "auto|emerg|alert|crit|err|warning|notice|info|debug",
     "auto", "auto: from each record"},
    {"EnterpriseNumber", RT_CFG_U32, 1, 4294967294u, 0, NULL, "32473",
     "the SD-ID is rastap@<EnterpriseNumber>"},
    {"AppName", RT_CFG_ASCII, 1, 48, 0, NULL, "rastap", "APP-NAME"},
    {"Hostname", RT_CFG_ASCII, 1, 255, 0, NULL, "(the record's host)", "HOSTNAME"},
    {"SpoolDirectory", RT_CFG_PATH, 3, 170, 0, NULL, "%ProgramData%\\rastap\\spool\\<sink name>",
     "where records wait for the collector"},
    {"SpoolMaxMB", RT_CFG_U32, 1, 1048576, 0, NULL, "256", "size bound of the spool"},
    {"TimeoutMs", RT_CFG_U32, 100, 600000, 0, NULL, "10000", "connect, RELP open and ack timeout"},
    {"ReconnectMaxMs", RT_CFG_U32, 100, 3600000, 0, NULL, "30000",
     "longest wait between connection attempts"},
    {"UdpMaxBytes", RT_CFG_U32, 480, 65000, 0, NULL, "2048", "largest datagram"},
    {"RelpWindow", RT_CFG_U32, 1, 65536, 0, NULL, "1024", "RELP records not yet acknowledged"},
};

static const rt_cfg_schema eventlog_values[] = {TYPE_ROW};

#define SINK_TYPE(name, values) {name, values, sizeof values / sizeof values[0]}
static const rt_cfg_sink_type sink_types[] = {
    SINK_TYPE("file", file_values),
    SINK_TYPE("syslog", syslog_values),
    SINK_TYPE("eventlog", eventlog_values),
};

_Static_assert(sizeof file_values / sizeof file_values[0] <= RT_CFG_MAX_VALUES &&
                   sizeof syslog_values / sizeof syslog_values[0] <= RT_CFG_MAX_VALUES,
               "a sink type takes at most RT_CFG_MAX_VALUES values");

const rt_cfg_schema *rt_cfg_core_schema(void)
{
    return core_schema;
}

const rt_cfg_sink_type *rt_cfg_sink_types(size_t *count)
{
    *count = sizeof sink_types / sizeof sink_types[0];
    return sink_types;
}

/* ASCII case-insensitive equality (registry names compare this way for
 * the names rastap defines, which are ASCII). */
static bool ieq(const char *a, const char *b)
{
    for (;; a++, b++) {
        unsigned char x = (unsigned char)*a, y = (unsigned char)*b;
        if (x >= 'A' && x <= 'Z')
            x = (unsigned char)(x + 32);
        if (y >= 'A' && y <= 'Z')
            y = (unsigned char)(y + 32);
        if (x != y)
            return false;
        if (x == 0)
            return true;
    }
}

const rt_cfg_sink_type *rt_cfg_find_sink_type(const char *name)
{
    for (size_t i = 0; i < sizeof sink_types / sizeof sink_types[0]; i++)
        if (ieq(sink_types[i].name, name))
            return &sink_types[i];
    return NULL;
}

const char *rt_cfg_type_name(uint32_t type, char *buf, size_t cap)
{
    static const char *const names[] = {
        "REG_NONE", "REG_SZ", "REG_EXPAND_SZ", "REG_BINARY", "REG_DWORD",
        "REG_DWORD_BIG_ENDIAN", "REG_LINK", "REG_MULTI_SZ", "REG_RESOURCE_LIST",
        "REG_FULL_RESOURCE_DESCRIPTOR", "REG_RESOURCE_REQUIREMENTS_LIST", "REG_QWORD"};
    if (type < sizeof names / sizeof names[0])
        return names[type];
    snprintf(buf, cap, "type %lu", (unsigned long)type);
    return buf;
}

/* ----------------------------------------------------------- problems */

/* Copies src into a problem field: valid UTF-8, control characters shown
 * as '?', shortened with "..." when it does not fit. */
static void put_field(char *dst, const char *src)
{
    char tmp[RT_CFG_PROBLEM_TEXT * 2];
    size_t n = rt_utf8_sanitize(src ? src : "", SIZE_MAX, tmp, sizeof tmp);
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)tmp[i] < 0x20 || tmp[i] == 0x7F)
            tmp[i] = '?';
    if (n < RT_CFG_PROBLEM_TEXT) {
        memcpy(dst, tmp, n + 1);
        return;
    }
    size_t cut = RT_CFG_PROBLEM_TEXT - 4;
    while (cut > 0 && ((unsigned char)tmp[cut] & 0xC0) == 0x80)
        cut--; /* never split a character */
    memcpy(dst, tmp, cut);
    memcpy(dst + cut, "...", 4);
}

void rt_cfg_problem_add(rt_cfg *c, const char *key, const char *value, const char *reason)
{
    if (c->nproblems == RT_CFG_MAX_PROBLEMS) {
        c->problems_lost++;
        return;
    }
    rt_cfg_problem *p = &c->problems[c->nproblems++];
    put_field(p->key, key);
    put_field(p->value, value);
    put_field(p->reason, reason);
}

__attribute__((format(printf, 4, 5))) static void problem(rt_cfg *c, const char *key,
                                                          const char *value, const char *fmt, ...)
{
    char reason[RT_CFG_PROBLEM_TEXT * 2];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason, sizeof reason, fmt, ap);
    va_end(ap);
    rt_cfg_problem_add(c, key, value, reason);
}

/* ------------------------------------------------------------ framing */

static uint16_t unit_at(const unsigned char *d, size_t i)
{
    return (uint16_t)(d[2 * i] | (d[2 * i + 1] << 8));
}

/* A value as people read it, for a problem's `value` field: text leniently
 * decoded, numbers in decimal, other data as a byte count and hex. */
static void show_value(uint32_t type, const void *data, size_t size, char *out, size_t cap)
{
    const unsigned char *d = data;
    out[0] = 0;
    if ((type == RT_REG_DWORD && size == 4) || (type == RT_REG_QWORD && size == 8)) {
        uint64_t v = 0;
        for (size_t i = size; i-- > 0;)
            v = (v << 8) | d[i];
        snprintf(out, cap, "%llu", (unsigned long long)v);
        return;
    }
    if (type == RT_REG_SZ || type == RT_REG_EXPAND_SZ || type == RT_REG_MULTI_SZ) {
        rt_wchar w[128];
        size_t units = size / 2, n = 0;
        for (; n < units && n < 127; n++) {
            w[n] = unit_at(d, n);
            if (w[n] == 0 && (type != RT_REG_MULTI_SZ || n + 1 >= units || unit_at(d, n + 1) == 0))
                break;
            if (w[n] == 0)
                w[n] = '|'; /* REG_MULTI_SZ: show the separators */
        }
        w[n] = 0;
        size_t len = rt_utf16_to_utf8(w, n, out, cap > 4 ? cap - 4 : cap);
        if (n == 127 && units > 127)
            memcpy(out + len, "...", 4);
        return;
    }
    int k = snprintf(out, cap, "%lu bytes", (unsigned long)size);
    for (size_t i = 0; i < size && i < 16 && k > 0 && (size_t)k + 4 < cap; i++)
        k += snprintf(out + k, cap - (size_t)k, "%s%02x", i ? " " : ": ", d[i]);
    if (size > 16 && k > 0 && (size_t)k + 4 < cap)
        memcpy(out + k, " ...", 5);
}

/*
 * Decodes REG_SZ / REG_EXPAND_SZ data into UTF-8 (out, RT_CFG_TEXT_MAX * 2
 * bytes). Returns false with a reason when the framing is wrong.
 */
static bool decode_text(const unsigned char *d, size_t size, char *out, size_t cap, char *why,
                        size_t why_cap)
{
    rt_wchar w[TEXT_UNITS_MAX];
    size_t units = size / 2, n = 0;
    if (size % 2) {
        snprintf(why, why_cap, "odd size (%lu bytes): not UTF-16 text",
                 (unsigned long)size);
        return false;
    }
    while (n < units && unit_at(d, n) != 0)
        n++;
    if (units > 0 && n == units) {
        snprintf(why, why_cap, "the string is not NUL-terminated");
        return false;
    }
    for (size_t i = n + 1; i < units; i++) {
        if (unit_at(d, i) != 0) {
            snprintf(why, why_cap, "the text continues after an embedded NUL at character %lu",
                     (unsigned long)n + 1);
            return false;
        }
    }
    if (n >= TEXT_UNITS_MAX) {
        snprintf(why, why_cap, "too long: %lu characters", (unsigned long)n);
        return false;
    }
    for (size_t i = 0; i < n; i++)
        w[i] = unit_at(d, i);
    for (size_t i = 0, used; i < n; i += used) {
        uint32_t cp = rt_utf16_decode(w + i, n - i, &used);
        if (cp == RT_UTF_REPLACEMENT && w[i] != RT_UTF_REPLACEMENT) {
            snprintf(why, why_cap, "not valid UTF-16: unpaired surrogate at character %lu",
                     (unsigned long)i + 1);
            return false;
        }
        if (cp < 0x20 || (cp >= 0x7F && cp < 0xA0)) {
            snprintf(why, why_cap, "contains the control character U+%04X at character %lu",
                     (unsigned)cp, (unsigned long)i + 1);
            return false;
        }
    }
    rt_utf16_to_utf8(w, n, out, cap);
    return true;
}

/* UTF-16 units of UTF-8 text (valid UTF-8 assumed). */
static size_t utf16_units(const char *s)
{
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if ((*p & 0xC0) != 0x80)
            n++;
        if ((*p & 0xF8) == 0xF0)
            n++; /* four-byte form: a surrogate pair */
    }
    return n;
}

int rt_cfg_split_multi_sz(const void *data, size_t size, char out[][RT_CFG_NAME_MAX],
                          unsigned max, char *why, size_t why_cap)
{
    const unsigned char *d = data;
    size_t units = size / 2, i = 0;
    int count = 0;
    if (size % 2) {
        snprintf(why, why_cap, "odd size (%lu bytes): not UTF-16 text",
                 (unsigned long)size);
        return RT_EPARSE;
    }
    /* Empty list: no data, one NUL, or two. */
    if (units == 0 || (units <= 2 && unit_at(d, 0) == 0 && unit_at(d, units - 1) == 0))
        return 0;
    while (i < units) {
        size_t start = i;
        if (unit_at(d, i) == 0) { /* the list terminator */
            for (i++; i < units; i++)
                if (unit_at(d, i) != 0) {
                    snprintf(why, why_cap,
                             "data after the end of the list (an empty string inside it?)");
                    return RT_EPARSE;
                }
            return count;
        }
        while (i < units && unit_at(d, i) != 0)
            i++;
        if (i == units) {
            snprintf(why, why_cap, "the last string is not NUL-terminated "
                                   "(a REG_MULTI_SZ ends with two NULs)");
            return RT_EPARSE;
        }
        if (i + 1 == units) {
            snprintf(why, why_cap, "missing the final NUL: a REG_MULTI_SZ ends with two NULs");
            return RT_EPARSE;
        }
        if ((unsigned)count == max) {
            snprintf(why, why_cap, "more than %u strings", max);
            return RT_ERANGE;
        }
        rt_wchar w[RT_CFG_NAME_MAX];
        size_t len = i - start;
        if (len >= RT_CFG_NAME_MAX) {
            snprintf(why, why_cap, "string %d is longer than %d characters", count + 1,
                     RT_CFG_NAME_MAX - 1);
            return RT_ERANGE;
        }
        for (size_t k = 0; k < len; k++)
            w[k] = unit_at(d, start + k);
        for (size_t k = 0, used; k < len; k += used)
            if (rt_utf16_decode(w + k, len - k, &used) == RT_UTF_REPLACEMENT &&
                w[k] != RT_UTF_REPLACEMENT) {
                snprintf(why, why_cap, "string %d is not valid UTF-16", count + 1);
                return RT_EPARSE;
            }
        rt_utf16_to_utf8(w, len, out[count], RT_CFG_NAME_MAX);
        if (utf16_units(out[count]) != len) { /* cut short: did not fit in UTF-8 */
            snprintf(why, why_cap, "string %d is longer than %d bytes", count + 1,
                     RT_CFG_NAME_MAX - 1);
            return RT_ERANGE;
        }
        count++;
        i++; /* past this string's NUL */
    }
    return count; /* not reached: the loop returns at the terminator */
}

/* ------------------------------------------------------------ meaning */

static bool check_name(const char *s, char *why, size_t why_cap)
{
    size_t n = strlen(s);
    if (n == 0 || n >= RT_CFG_NAME_MAX) {
        snprintf(why, why_cap, "a sink name has 1 to %d bytes", RT_CFG_NAME_MAX - 1);
        return false;
    }
    if (!rt_utf8_valid(s, n)) {
        snprintf(why, why_cap, "the name is not valid Unicode");
        return false;
    }
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7F || s[i] == '\\') {
            snprintf(why, why_cap, "the name contains a control character or backslash");
            return false;
        }
    return true;
}

static const char *bad_path_char(const char *p)
{
    static const char bad[] = "<>\"|?*/";
    for (size_t i = 0; p[i]; i++) {
        if (strchr(bad, p[i]))
            return p + i;
        if (p[i] == ':' && i != 1)
            return p + i;
    }
    return NULL;
}

static bool check_path(const char *p, uint32_t max_units, char *why, size_t why_cap)
{
    size_t units = utf16_units(p);
    const char *rest;
    if (!*p) {
        snprintf(why, why_cap, "empty; delete the value to use the default");
        return false;
    }
    if (units > max_units) {
        snprintf(why, why_cap, "too long: %lu characters, at most %u (file names must fit MAX_PATH)",
                 (unsigned long)units, (unsigned)max_units);
        return false;
    }
    if (!strncmp(p, "\\\\?\\", 4) || !strncmp(p, "\\\\.\\", 4)) {
        snprintf(why, why_cap, "device and long-path prefixes (\\\\?\\, \\\\.\\) are not supported");
        return false;
    }
    const char *bad = bad_path_char(p);
    if (bad) {
        if (*bad == '/')
            snprintf(why, why_cap, "uses '/': write '\\' between directories");
        else
            snprintf(why, why_cap, "contains '%c', which a Windows path cannot hold", *bad);
        return false;
    }
    if (p[0] == '\\' && p[1] == '\\') { /* \\server\share[\...] */
        const char *share = strchr(p + 2, '\\');
        if (share == p + 2 || !share || share[1] == 0 || share[1] == '\\') {
            snprintf(why, why_cap, "a UNC path needs \\\\server\\share");
            return false;
        }
        rest = p + 2;
    } else if (((p[0] | 32) >= 'a' && (p[0] | 32) <= 'z') && p[1] == ':' && p[2] == '\\') {
        rest = p + 3;
    } else {
        snprintf(why, why_cap, "not an absolute path (C:\\... or \\\\server\\share\\...)%s",
                 strchr(p, '%') ? "; %VARIABLES% are expanded only in a REG_EXPAND_SZ" : "");
        return false;
    }
    while (*rest) { /* every component: not empty, not . or .., no trailing dot/space */
        const char *end = strchr(rest, '\\');
        size_t len = end ? (size_t)(end - rest) : strlen(rest);
        if (len == 0 && end) {
            snprintf(why, why_cap, "empty directory name (\\\\) inside the path");
            return false;
        }
        if ((len == 1 && rest[0] == '.') || (len == 2 && rest[0] == '.' && rest[1] == '.')) {
            snprintf(why, why_cap, "'.' and '..' are not allowed in the path");
            return false;
        }
        if (len && (rest[len - 1] == '.' || rest[len - 1] == ' ')) {
            snprintf(why, why_cap, "a directory name ends with a dot or space "
                                   "(Windows would silently drop it)");
            return false;
        }
        rest += len + (end ? 1 : 0);
    }
    return true;
}

static bool check_filename(const char *s, const rt_cfg_schema *sc, char *why, size_t why_cap)
{
    size_t units = utf16_units(s);
    if (units < sc->lo || units > sc->hi) {
        snprintf(why, why_cap, "%s has %u to %u characters", sc->name, (unsigned)sc->lo,
                 (unsigned)sc->hi);
        return false;
    }
    for (const char *p = s; *p; p++)
        if (strchr("\\/:*?\"<>|", *p)) {
            snprintf(why, why_cap, "contains '%c', which a file name cannot hold", *p);
            return false;
        }
    if (s[strlen(s) - 1] == '.' || s[strlen(s) - 1] == ' ' || s[0] == ' ') {
        snprintf(why, why_cap, "begins with a space or ends with a dot or space");
        return false;
    }
    return true;
}

static bool check_ascii(const char *s, const rt_cfg_schema *sc, char *why, size_t why_cap)
{
    size_t n = strlen(s);
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 33 || (unsigned char)s[i] > 126) {
            snprintf(why, why_cap, "%s takes printable ASCII without spaces only", sc->name);
            return false;
        }
    if (n < sc->lo || n > sc->hi) {
        snprintf(why, why_cap, "%s has %u to %u characters", sc->name, (unsigned)sc->lo,
                 (unsigned)sc->hi);
        return false;
    }
    return true;
}

static bool check_choice(const char *s, const char *choices, char *canon, char *why,
                         size_t why_cap)
{
    char list[128];
    snprintf(list, sizeof list, "%s", choices);
    for (char *tok = list, *bar; tok; tok = bar ? bar + 1 : NULL) {
        bar = strchr(tok, '|');
        if (bar)
            *bar = 0;
        if (ieq(tok, s)) {
            snprintf(canon, RT_CFG_TEXT_MAX, "%s", tok);
            return true;
        }
    }
    snprintf(list, sizeof list, "%s", choices);
    for (char *p = list; *p; p++)
        if (*p == '|')
            *p = '/';
    snprintf(why, why_cap, "takes one of: %s", list);
    return false;
}

static void known_types(char *out, size_t cap)
{
    size_t k = 0;
    out[0] = 0;
    for (size_t i = 0; i < sizeof sink_types / sizeof sink_types[0] && k < cap; i++)
        k += (size_t)snprintf(out + k, cap - k, "%s%s", i ? ", " : "", sink_types[i].name);
}

/*
 * Parses one value per its schema into canonical text (and *num for
 * numbers). Returns false after recording a problem.
 */
static bool parse_value(rt_cfg *c, const char *key, const rt_cfg_schema *sc, uint32_t type,
                        const void *data, size_t size, char *text, uint32_t *num)
{
    char shown[RT_CFG_PROBLEM_TEXT], why[RT_CFG_PROBLEM_TEXT], tn[24];
    show_value(type, data, size, shown, sizeof shown);
    bool numeric = sc->kind == RT_CFG_U32 || sc->kind == RT_CFG_BOOL;
    if (numeric) {
        if (type != RT_REG_DWORD) {
            problem(c, key, shown, "is %s; %s must be a REG_DWORD",
                    rt_cfg_type_name(type, tn, sizeof tn), sc->name);
            return false;
        }
        if (size != 4) {
            problem(c, key, shown, "REG_DWORD of %lu bytes; a REG_DWORD has 4",
                    (unsigned long)size);
            return false;
        }
        const unsigned char *d = data;
        uint32_t v = (uint32_t)d[0] | (uint32_t)d[1] << 8 | (uint32_t)d[2] << 16 |
                     (uint32_t)d[3] << 24;
        if (sc->kind == RT_CFG_BOOL && v > 1) {
            problem(c, key, shown, "%s takes 0 (off) or 1 (on)", sc->name);
            return false;
        }
        if (v < sc->lo || v > sc->hi) {
            problem(c, key, shown, "out of range: %s takes %lu..%lu", sc->name,
                    (unsigned long)sc->lo, (unsigned long)sc->hi);
            return false;
        }
        if ((sc->flags & RT_CFG_POW2) && (v & (v - 1))) {
            problem(c, key, shown,
                    "not a power of two: %s takes %lu, %lu, %lu ... %lu (it is never rounded)",
                    sc->name, (unsigned long)sc->lo, (unsigned long)sc->lo * 2,
                    (unsigned long)sc->lo * 4, (unsigned long)sc->hi);
            return false;
        }
        *num = v;
        snprintf(text, RT_CFG_TEXT_MAX, "%lu", (unsigned long)v);
        return true;
    }
    /* text kinds */
    if (type != RT_REG_SZ && type != RT_REG_EXPAND_SZ) {
        problem(c, key, shown, "is %s; %s must be a REG_SZ%s", rt_cfg_type_name(type, tn, sizeof tn),
                sc->name, sc->kind == RT_CFG_PATH ? " or REG_EXPAND_SZ" : "");
        return false;
    }
    char raw[RT_CFG_TEXT_MAX * 4], expanded[RT_CFG_TEXT_MAX * 2];
    if (!decode_text(data, size, raw, sizeof raw, why, sizeof why)) {
        problem(c, key, shown, "%s", why);
        return false;
    }
    const char *s = raw;
    if (type == RT_REG_EXPAND_SZ && c->expand) {
        if (!c->expand(c->expand_ctx, raw, expanded, sizeof expanded)) {
            problem(c, key, shown, "the %%VARIABLES%% cannot be expanded (or expand too long)");
            return false;
        }
        s = expanded;
    }
    bool ok = true;
    switch (sc->kind) {
    case RT_CFG_PATH:
        ok = check_path(s, sc->hi, why, sizeof why);
        break;
    case RT_CFG_FILENAME:
        ok = check_filename(s, sc, why, sizeof why);
        break;
    case RT_CFG_ASCII:
        ok = check_ascii(s, sc, why, sizeof why);
        break;
    case RT_CFG_CHOICE:
        ok = check_choice(s, sc->choices, text, why, sizeof why);
        break;
    case RT_CFG_SINK_TYPE: {
        const rt_cfg_sink_type *t = rt_cfg_find_sink_type(s);
        if (t) {
            snprintf(text, RT_CFG_TEXT_MAX, "%s", t->name);
        } else {
            char list[128];
            known_types(list, sizeof list);
            snprintf(why, sizeof why, "unknown sink type; known types: %s", list);
            ok = false;
        }
        break;
    }
    default:
        ok = false;
        snprintf(why, sizeof why, "internal: no text rule");
        break;
    }
    size_t len = strlen(s);
    if (ok && len >= RT_CFG_TEXT_MAX) { /* a safety net: the limits above keep below it */
        snprintf(why, sizeof why, "too long: more than %d bytes of UTF-8", RT_CFG_TEXT_MAX - 1);
        ok = false;
    }
    if (ok && (sc->kind == RT_CFG_PATH || sc->kind == RT_CFG_FILENAME || sc->kind == RT_CFG_ASCII))
        memcpy(text, s, len + 1);
    if (!ok)
        problem(c, key, s, "%s", why);
    return ok;
}

/* ------------------------------------------------------------- values */

void rt_cfg_init(rt_cfg *c, rt_cfg_expand_fn expand, void *expand_ctx)
{
    memset(c, 0, offsetof(rt_cfg, sinks)); /* the arrays are filled before they count */
    c->ring_size = RT_CFG_DEFAULT_RING_SIZE;
    c->stop_drain_ms = RT_CFG_DEFAULT_STOP_DRAIN_MS;
    c->diag_level = RT_CFG_DEFAULT_DIAG_LEVEL;
    c->expand = expand;
    c->expand_ctx = expand_ctx;
}

static void names_list(const rt_cfg_schema *s, size_t n, char *out, size_t cap)
{
    size_t k = 0;
    out[0] = 0;
    for (size_t i = 0; i < n && k < cap; i++)
        k += (size_t)snprintf(out + k, cap - k, "%s%s", i ? ", " : "", s[i].name);
}

static void active_sinks_value(rt_cfg *c, const char *key, uint32_t type, const void *data,
                               size_t size)
{
    char shown[RT_CFG_PROBLEM_TEXT], why[RT_CFG_PROBLEM_TEXT], tn[24];
    char names[RT_CFG_MAX_SINKS][RT_CFG_NAME_MAX];
    show_value(type, data, size, shown, sizeof shown);
    if (type != RT_REG_MULTI_SZ) {
        problem(c, key, shown, "is %s; ActiveSinks must be a REG_MULTI_SZ",
                rt_cfg_type_name(type, tn, sizeof tn));
        return;
    }
    int n = rt_cfg_split_multi_sz(data, size, names, RT_CFG_MAX_SINKS, why, sizeof why);
    if (n < 0) {
        problem(c, key, shown, "%s", why);
        return;
    }
    if (n == 0) {
        problem(c, key, shown, "lists no sink; delete ActiveSinks to run every sink");
        return;
    }
    for (int i = 0; i < n; i++) {
        if (!check_name(names[i], why, sizeof why)) {
            problem(c, key, names[i], "%s", why);
            return;
        }
        for (int j = 0; j < i; j++)
            if (ieq(names[i], names[j])) {
                problem(c, key, names[i], "names the same sink twice");
                return;
            }
    }
    memcpy(c->named, names, sizeof names);
    c->nnamed = (unsigned)n;
    c->core_set |= 1u << RT_CFG_ACTIVE_SINKS;
}

void rt_cfg_core_value(rt_cfg *c, const char *name, uint32_t type, const void *data, size_t size)
{
    char shown[RT_CFG_PROBLEM_TEXT], list[160], text[RT_CFG_TEXT_MAX];
    uint32_t v = 0;
    if (!name[0])
        return; /* the key's default value is not a setting */
    for (unsigned i = 0; i < RT_CFG_CORE_COUNT; i++) {
        const rt_cfg_schema *sc = &core_schema[i];
        if (!ieq(name, sc->name))
            continue;
        if (sc->kind == RT_CFG_NAMES) {
            active_sinks_value(c, sc->name, type, data, size);
            return;
        }
        if (!parse_value(c, sc->name, sc, type, data, size, text, &v))
            return;
        if (i == RT_CFG_RING_SIZE)
            c->ring_size = v;
        else if (i == RT_CFG_STOP_DRAIN_MS)
            c->stop_drain_ms = v;
        else
            c->diag_level = v;
        c->core_set |= 1u << i;
        return;
    }
    if (rt_ip_settings_knows(name))
        return; /* address assignment values: checked by its own reader (ipassign.h) */
    show_value(type, data, size, shown, sizeof shown);
    names_list(core_schema, RT_CFG_CORE_COUNT, list, sizeof list);
    problem(c, name, shown, "unknown value; rastap's key takes %s and the Sinks subkey", list);
}

int rt_cfg_sink_begin(rt_cfg *c, const char *name)
{
    char key[RT_CFG_PROBLEM_TEXT], why[RT_CFG_PROBLEM_TEXT];
    snprintf(key, sizeof key, "Sinks\\%s", name);
    if (!check_name(name, why, sizeof why)) {
        problem(c, key, name, "%s", why);
        return -1;
    }
    for (unsigned i = 0; i < c->nsinks; i++)
        if (ieq(c->sinks[i].name, name)) {
            problem(c, key, name, "a sink of this name is already configured");
            return -1;
        }
    if (c->nsinks == RT_CFG_MAX_SINKS) {
        problem(c, key, name, "more than %d sinks", RT_CFG_MAX_SINKS);
        return -1;
    }
    rt_cfg_sink *s = &c->sinks[c->nsinks];
    memset(s, 0, sizeof *s);
    snprintf(s->name, sizeof s->name, "%s", name);
    return (int)c->nsinks++;
}

/* Bit 31 of `set` remembers a refused Type, so finish does not also say
 * "no Type". */
#define TYPE_REFUSED (1u << 31)

void rt_cfg_sink_value(rt_cfg *c, int sink, const char *name, uint32_t type, const void *data,
                       size_t size)
{
    char key[RT_CFG_PROBLEM_TEXT], shown[RT_CFG_PROBLEM_TEXT], list[400];
    uint32_t v;
    if (sink < 0 || (unsigned)sink >= c->nsinks || !name[0])
        return;
    rt_cfg_sink *s = &c->sinks[sink];
    if (ieq(name, "Type")) {
        snprintf(key, sizeof key, "Sinks\\%s\\Type", s->name);
        static const rt_cfg_schema type_row = TYPE_ROW;
        if (!parse_value(c, key, &type_row, type, data, size, s->text[0], &v)) {
            s->set |= TYPE_REFUSED;
            return;
        }
        s->type = rt_cfg_find_sink_type(s->text[0]);
        s->set |= 1u;
        return;
    }
    if (!s->type)
        return; /* reported as a missing or refused Type */
    for (size_t i = 1; i < s->type->count; i++) {
        const rt_cfg_schema *sc = &s->type->values[i];
        if (!ieq(name, sc->name))
            continue;
        snprintf(key, sizeof key, "Sinks\\%s\\%s", s->name, sc->name);
        if (parse_value(c, key, sc, type, data, size, s->text[i], &v))
            s->set |= 1u << i;
        else if (sc->flags & RT_CFG_REQUIRED)
            s->refused_required = true; /* reported once, here */
        return;
    }
    snprintf(key, sizeof key, "Sinks\\%s\\%s", s->name, name);
    show_value(type, data, size, shown, sizeof shown);
    names_list(s->type->values, s->type->count, list, sizeof list);
    problem(c, key, shown, "unknown value; sinks of type %s take %s", s->type->name, list);
}

int rt_cfg_finish(rt_cfg *c)
{
    char list[160];
    known_types(list, sizeof list);
    for (unsigned i = 0; i < c->nsinks; i++) {
        const rt_cfg_sink *s = &c->sinks[i];
        char key[RT_CFG_PROBLEM_TEXT];
        if (!(s->set & (1u | TYPE_REFUSED))) {
            snprintf(key, sizeof key, "Sinks\\%s", s->name);
            problem(c, key, "", "no Type value: set Type (REG_SZ) to one of: %s", list);
        }
        for (size_t v = 1; s->type && v < s->type->count; v++) {
            const rt_cfg_schema *sc = &s->type->values[v];
            if ((sc->flags & RT_CFG_REQUIRED) && !((s->set >> v) & 1u) && !s->refused_required) {
                snprintf(key, sizeof key, "Sinks\\%s\\%s", s->name, sc->name);
                problem(c, key, "", "a %s sink needs %s: %s", s->type->name, sc->name, sc->help);
            }
        }
    }
    c->nactive = 0;
    if (c->nnamed) {
        for (unsigned n = 0; n < c->nnamed; n++) {
            unsigned i = 0;
            while (i < c->nsinks && !ieq(c->sinks[i].name, c->named[n]))
                i++;
            if (i == c->nsinks)
                problem(c, "ActiveSinks", c->named[n], "names no sink under Sinks");
            else
                c->active[c->nactive++] = (uint8_t)i;
        }
    } else if (c->nsinks) {
        for (unsigned i = 0; i < c->nsinks; i++)
            c->active[c->nactive++] = (uint8_t)i;
    } else {
        rt_cfg_sink *s = &c->sinks[0];
        memset(s, 0, sizeof *s);
        snprintf(s->name, sizeof s->name, "%s", RT_CFG_DEFAULT_SINK);
        s->type = &sink_types[0];
        snprintf(s->text[0], sizeof s->text[0], "%s", s->type->name);
        s->set = 1u;
        c->nsinks = 1;
        c->active[c->nactive++] = 0;
    }
    return c->nproblems || c->problems_lost ? RT_EINVAL : 0;
}

const rt_cfg_sink *rt_cfg_active_sink(const rt_cfg *c, unsigned i)
{
    return i < c->nactive ? &c->sinks[c->active[i]] : NULL;
}

const char *rt_cfg_sink_get(const rt_cfg_sink *s, const char *name)
{
    if (!s->type)
        return NULL;
    for (size_t i = 0; i < s->type->count; i++)
        if (ieq(name, s->type->values[i].name))
            return (s->set >> i) & 1u ? s->text[i] : NULL;
    return NULL;
}
