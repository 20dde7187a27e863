/*
 * test_syslog_fmt.c - syslog_fmt.h: RFC 5424 and RFC 3164 messages made
 * from real records (format.h), the structured data read back by an
 * independent RFC 5424 parser, header limits and NILVALUEs, severities,
 * UDP truncation that never cuts SD, octet-counting frames, and the
 * record walker and JSON unescaping the sinks share.
 */
#define _POSIX_C_SOURCE 200809L

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "format.h"
#include "json.h"
#include "syslog_fmt.h"

static rt_format_ctx ctx;

static void setup_ctx(void)
{
    memset(&ctx, 0, sizeof ctx);
    memcpy(ctx.instance, "0123456789abcdef0123456789abcdef", 33);
    snprintf(ctx.host, sizeof ctx.host, "rras01");
    ctx.pid = 4242;
    ctx.version = "0.1.0";
}

/* The JSON record of ev (without its '\n') in out[0..cap); returns its length. */
static size_t record(const rt_event *ev, uint64_t seq, char *out, size_t cap)
{
    rt_buf b;
    rt_record r = {seq, 1795252502123456LL, ev, NULL}; /* 2026-11-21T09:15:02.123456Z */
    rt_buf_init(&b, out, cap);
    assert_int_equal(rt_format_jsonl(&ctx, &r, &b), 0);
    return b.len - 1;
}

static void set_user(rt_wchar *dst, size_t units, const rt_wchar *src)
{
    memset(dst, 0, units * sizeof *dst);
    for (size_t i = 0; i + 1 < units && src[i]; i++)
        dst[i] = src[i];
}

static void conn_stop(rt_event *ev, const rt_wchar *user)
{
    memset(ev, 0, sizeof *ev);
    ev->kind = RT_EV_CONN_STOP;
    ev->callout = RT_CO_CONNECTION_HANGUP_EX;
    ev->has = RT_HAS_HANDLE | RT_HAS_USER | RT_HAS_DURATION | RT_HAS_COUNTERS | RT_HAS_ERRORS;
    ev->u.conn.handle = 0x1a2b;
    ev->u.conn.duration_s = 3600;
    ev->u.conn.ctr.bytes_in = 123;
    ev->u.conn.ctr.bytes_out = 456;
    set_user(ev->u.conn.user, RT_LEN_USER, user);
}

static size_t format(const rt_syslog_opts *o, const char *json, size_t len, char *out,
                     size_t cap, size_t *msg_at)
{
    rt_buf b;
    rt_buf_init(&b, out, cap);
    assert_int_equal(rt_syslog_format(o, json, len, &b, msg_at), 0);
    return b.len;
}

/* ----------------------------------------------- an RFC 5424 reader */

typedef struct parsed {
    unsigned pri;
    char fields[6][300]; /* VERSION TIMESTAMP HOSTNAME APP-NAME PROCID MSGID */
    char sd_id[64];
    unsigned nparams;
    char names[64][40];
    char values[64][2048]; /* RFC 5424 6.3.3 unescaped */
    const char *msg;       /* after the SP, BOM included */
    size_t msg_len;
} parsed;

static parsed P;

/* Parses m[0..n) the way a collector does, independently of syslog_fmt.c. */
static void parse5424(const char *m, size_t n)
{
    const char *p = m, *e = m + n;
    memset(&P, 0, sizeof P);
    assert_true(*p == '<');
    P.pri = (unsigned)strtoul(p + 1, NULL, 10);
    p = strchr(p, '>') + 1;
    for (int f = 0; f < 6; f++) {
        const char *sp = memchr(p, ' ', (size_t)(e - p));
        assert_non_null(sp);
        assert_true((size_t)(sp - p) < sizeof P.fields[f]);
        memcpy(P.fields[f], p, (size_t)(sp - p));
        p = sp + 1;
    }
    assert_true(*p == '[');
    p++;
    const char *sp = strchr(p, ' ');
    memcpy(P.sd_id, p, (size_t)(sp - p));
    p = sp;
    while (*p == ' ') {
        const char *eq = strchr(p, '=');
        unsigned k = P.nparams++;
        memcpy(P.names[k], p + 1, (size_t)(eq - p - 1));
        assert_true(eq[1] == '"');
        p = eq + 2;
        size_t o = 0;
        while (*p != '"') {
            assert_true(p < e);
            if (*p == '\\' && (p[1] == '"' || p[1] == '\\' || p[1] == ']')) {
                P.values[k][o++] = p[1];
                p += 2;
            } else {
                assert_true(*p != ']'); /* an unescaped ']' would end SD early */
                P.values[k][o++] = *p++;
            }
        }
        p++;
    }
    assert_true(*p == ']');
    p++;
    if (p < e) {
        assert_true(*p == ' ');
        P.msg = p + 1;
        P.msg_len = (size_t)(e - p - 1);
    }
}

static const char *param(const char *name)
{
    for (unsigned i = 0; i < P.nparams; i++)
        if (strcmp(P.names[i], name) == 0)
            return P.values[i];
    return NULL;
}

/* ------------------------------------------------------------ tests */

static void test_exact_message(void **state)
{
    (void)state;
    static const rt_wchar alice[] = {'a', 'l', 'i', 'c', 'e', 0};
    char json[4096], m[8192];
    rt_event ev;
    rt_syslog_opts o;
    size_t at;
    conn_stop(&ev, alice);
    size_t jl = record(&ev, 7, json, sizeof json);
    rt_syslog_opts_init(&o);
    size_t n = format(&o, json, jl, m, sizeof m, &at);
    static const char want[] =
        "<134>1 2026-11-21T09:15:02.123456Z rras01 rastap 4242 connection.stop "
        "[rastap@32473 v=\"1\" seq=\"7\" instance=\"0123456789abcdef0123456789abcdef\" "
        "time=\"2026-11-21T09:15:02.123456Z\" host=\"rras01\" pid=\"4242\" "
        "event=\"connection.stop\" callout=\"MprAdminConnectionHangupNotificationEx\" "
        "connection=\"0x1a2b\" user=\"alice\" duration_s=\"3600\" bytes_in=\"123\" "
        "bytes_out=\"456\" frames_in=\"0\" frames_out=\"0\" errors.crc=\"0\" "
        "errors.timeout=\"0\" errors.alignment=\"0\" errors.hw_overrun=\"0\" "
        "errors.framing=\"0\" errors.buffer_overrun=\"0\"] "
        "\xEF\xBB\xBF" "connection.stop connection=\"0x1a2b\" user=\"alice\" duration_s=3600 "
        "bytes_in=123 bytes_out=456";
    assert_int_equal(n, sizeof want - 1);
    assert_memory_equal(m, want, n);
    assert_memory_equal(m + at, "\xEF\xBB\xBF", 3);
}

/* Every hostile name: SD reads back as the name with control characters
 * in their JSON escapes, nothing else changed, and no message has a
 * control byte in it. */
static void test_hostile_names_round_trip(void **state)
{
    (void)state;
    static const rt_wchar n1[] = {'q', '"', 'x', '\\', 'y', ']', 'z', '[', 0};
    static const rt_wchar n2[] = {'l', '\n', 'b', '\r', '\t', 0x01, 0x7f, 0};
    static const rt_wchar n3[] = {'p', 0x2028, 's', 0x2029, 0xd800, 'x', 0};
    static const rt_wchar n4[] = {']', '"', 's', 'd', '"', ' ', '=', ']', ' ', '[', 0};
    static const rt_wchar n5[] = {'e', 0xd83d, 0xde00, 0x00e9, 0x202e, 0};
    static const rt_wchar n6[] = {'\\', 'n', 0}; /* a backslash and an n */
    const rt_wchar *names[] = {n1, n2, n3, n4, n5, n6};
    static const char *const want[] = {
        "q\"x\\y]z[", "l\\nb\\r\\t\\u0001\\u007f", "p\\u2028s\\u2029\xEF\xBF\xBDx",
        "]\"sd\" =] [", "e\xF0\x9F\x98\x80\xC3\xA9\xE2\x80\xAE", "\\n",
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char json[8192], m[16384];
        rt_event ev;
        rt_syslog_opts o;
        size_t at;
        conn_stop(&ev, names[i]);
        size_t jl = record(&ev, i + 1, json, sizeof json);
        rt_syslog_opts_init(&o);
        size_t n = format(&o, json, jl, m, sizeof m, &at);
        for (size_t k = 0; k < n; k++)
            assert_true((unsigned char)m[k] >= 0x20 && m[k] != 0x7f);
        parse5424(m, n);
        assert_string_equal(param("user"), want[i]);
        assert_string_equal(P.sd_id, "rastap@32473");
        assert_int_equal(P.msg, m + at);
        /* MSG carries the name as a JSON literal: JSON reads it back */
        assert_non_null(strstr(P.msg, " user=\""));
    }
}

static void test_header_fields(void **state)
{
    (void)state;
    char m[4096];
    size_t at;
    rt_syslog_opts o;
    rt_syslog_opts_init(&o);
    /* no host, no pid, no time: NILVALUEs */
    static const char j1[] = "{\"v\":1,\"seq\":1,\"event\":\"service.start\"}";
    size_t n = format(&o, j1, sizeof j1 - 1, m, sizeof m, &at);
    assert_true(n > 0);
    parse5424(m, n);
    assert_int_equal(P.pri, 16 * 8 + 5);
    assert_string_equal(P.fields[0], "1");
    assert_string_equal(P.fields[1], "-");
    assert_string_equal(P.fields[2], "-");
    assert_string_equal(P.fields[4], "-");
    assert_string_equal(P.fields[5], "service.start");
    /* host with spaces and non-ASCII: '_' per byte; long app-name cut at 48 */
    static const char j2[] = "{\"host\":\"my host\\u00e9\",\"pid\":7,\"event\":\"ip.assign\","
                             "\"result\":\"win32_5\"}";
    memset(o.app_name, 'A', RT_SYSLOG_APPNAME_MAX);
    o.app_name[RT_SYSLOG_APPNAME_MAX] = 0;
    o.facility = 10;
    n = format(&o, j2, sizeof j2 - 1, m, sizeof m, &at);
    parse5424(m, n);
    assert_int_equal(P.pri, 10 * 8 + 4);
    assert_string_equal(P.fields[2], "my_host__");
    assert_int_equal(strlen(P.fields[3]), 48);
    assert_string_equal(P.fields[4], "7");
    /* a 300-byte host is cut to 255; the configured Hostname wins */
    char j3[600];
    int k = snprintf(j3, sizeof j3, "{\"host\":\"%0300d\",\"event\":\"link.stop\"}", 0);
    n = format(&o, j3, (size_t)k, m, sizeof m, &at);
    parse5424(m, n);
    assert_int_equal(strlen(P.fields[2]), 255);
    snprintf(o.hostname, sizeof o.hostname, "rras01.corp.example");
    o.severity = 2;
    o.pen = 4711;
    n = format(&o, j3, (size_t)k, m, sizeof m, &at);
    parse5424(m, n);
    assert_string_equal(P.fields[2], "rras01.corp.example");
    assert_int_equal(P.pri, 10 * 8 + 2);
    assert_string_equal(P.sd_id, "rastap@4711");
}

static void test_severity(void **state)
{
    (void)state;
    static const struct {
        const char *json;
        unsigned sev;
    } cases[] = {
        {"{\"event\":\"config.error\"}", 3},
        {"{\"event\":\"events.dropped\",\"count\":5}", 4},
        {"{\"event\":\"ip.assign\",\"result\":\"ok\"}", 6},
        {"{\"event\":\"ipv6.assign\",\"result\":\"not_found\"}", 4},
        {"{\"event\":\"connection.accept\",\"decision\":\"reject\"}", 5},
        {"{\"event\":\"connection.accept\",\"decision\":\"accept\"}", 6},
        {"{\"event\":\"service.stop\"}", 5},
        {"{\"event\":\"config.applied\"}", 5},
        {"{\"event\":\"connection.stop\"}", 6},
        {"not json", 6},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        assert_int_equal(rt_syslog_severity(cases[i].json, strlen(cases[i].json)), cases[i].sev);
    assert_int_equal(rt_syslog_facility_parse("LOCAL7"), 23);
    assert_int_equal(rt_syslog_facility_parse("authpriv"), 10);
    assert_int_equal(rt_syslog_facility_parse("4"), 4);
    assert_int_equal(rt_syslog_facility_parse("24"), -1);
    assert_int_equal(rt_syslog_facility_parse("local8"), -1);
    assert_int_equal(rt_syslog_facility_parse(""), -1);
    assert_int_equal(rt_syslog_severity_parse("warning"), 4);
    assert_int_equal(rt_syslog_severity_parse("Err"), 3);
    assert_int_equal(rt_syslog_severity_parse("7"), 7);
    assert_int_equal(rt_syslog_severity_parse("8"), -1);
}

static void test_rfc3164(void **state)
{
    (void)state;
    static const rt_wchar bob[] = {'b', 'o', 'b', 0};
    char json[4096], m[8192];
    rt_event ev;
    rt_syslog_opts o;
    size_t at;
    conn_stop(&ev, bob);
    size_t jl = record(&ev, 9, json, sizeof json);
    rt_syslog_opts_init(&o);
    o.rfc3164 = true;
    size_t n = format(&o, json, jl, m, sizeof m, &at);
    static const char head[] = "<134>Nov 21 09:15:02 rras01 rastap[4242]: ";
    assert_memory_equal(m, head, sizeof head - 1);
    assert_int_equal(at, sizeof head - 1);
    assert_int_equal(n - at, jl);
    assert_memory_equal(m + at, json, jl);
    /* a day below 10 is space-padded */
    static const char j2[] = "{\"time\":\"2026-01-05T23:59:59.000001Z\",\"event\":\"x\"}";
    n = format(&o, j2, sizeof j2 - 1, m, sizeof m, &at);
    assert_memory_equal(m, "<134>Jan  5 23:59:59 - rastap: ", 31);
}

static void test_udp_cut(void **state)
{
    (void)state;
    static const rt_wchar u[] = {0x00e9, 0x00e9, 0x00e9, 0x00e9, 0x00e9, 0x00e9, 0};
    char json[4096], m[8192];
    rt_event ev;
    rt_syslog_opts o;
    size_t at;
    conn_stop(&ev, u);
    size_t jl = record(&ev, 1, json, sizeof json);
    rt_syslog_opts_init(&o);
    size_t n = format(&o, json, jl, m, sizeof m, &at);
    assert_int_equal(rt_syslog_udp_cut(m, n, at, n), n);
    assert_int_equal(rt_syslog_udp_cut(m, n, at, 65000), n);
    for (size_t limit = at + 4; limit < n; limit++) {
        size_t c = rt_syslog_udp_cut(m, n, at, limit);
        assert_true(c <= limit && c >= at + 3);
        assert_true(c == limit || c >= limit - 3);
        assert_true(((unsigned char)m[c] & 0xC0) != 0x80); /* a character boundary */
        parse5424(m, c); /* SD intact */
        assert_non_null(param("errors.buffer_overrun"));
    }
    /* not even the BOM and a character fit: MSG left out, SD sent whole */
    for (size_t limit = 0; limit < at + 4; limit++) {
        size_t c = rt_syslog_udp_cut(m, n, at, limit);
        assert_int_equal(c, at - 1);
        assert_int_equal(m[c - 1], ']');
    }
}

static void test_octet_frame_and_overflow(void **state)
{
    (void)state;
    char out[64];
    rt_buf b;
    rt_buf_init(&b, out, sizeof out);
    assert_true(rt_syslog_frame_octets(&b, "<13>1 - - - - - -", 17));
    assert_int_equal(b.len, 20);
    assert_memory_equal(out, "17 <13>1 - - - - - -", 20);
    rt_buf_init(&b, out, 19);
    assert_false(rt_syslog_frame_octets(&b, "<13>1 - - - - - -", 17));
    assert_int_equal(b.len, 0);
    /* a message that does not fit leaves the buffer as it was */
    static const rt_wchar z[] = {'z', 0};
    char json[4096], m[8192];
    rt_event ev;
    rt_syslog_opts o;
    size_t at;
    conn_stop(&ev, z);
    size_t jl = record(&ev, 1, json, sizeof json);
    rt_syslog_opts_init(&o);
    size_t full = format(&o, json, jl, m, sizeof m, &at);
    assert_true(full <= RT_SYSLOG_MAX_FOR(jl));
    for (size_t cap = 0; cap < full; cap += 7) {
        rt_buf_init(&b, m, sizeof m);
        b.len = 5;
        b.cap = 5 + cap;
        assert_int_equal(rt_syslog_format(&o, json, jl, &b, &at), RT_ENOSPC);
        assert_int_equal(b.len, 5);
        assert_false(b.overflow);
    }
}

/* The worst case bound holds for a record of only `]` and quotes. */
static void test_worst_case_bound(void **state)
{
    (void)state;
    rt_wchar u[RT_LEN_USER];
    for (size_t i = 0; i < RT_LEN_USER - 1; i++)
        u[i] = i % 2 ? ']' : '"';
    u[RT_LEN_USER - 1] = 0;
    static char json[RT_RECORD_MAX], m[3 * RT_RECORD_MAX + 1024];
    rt_event ev;
    rt_syslog_opts o;
    size_t at;
    conn_stop(&ev, u);
    size_t jl = record(&ev, 1, json, sizeof json);
    rt_syslog_opts_init(&o);
    size_t n = format(&o, json, jl, m, sizeof m, &at);
    assert_true(n <= RT_SYSLOG_MAX_FOR(jl));
    parse5424(m, n);
    assert_int_equal(strlen(param("user")), RT_LEN_USER - 1);
}

static int count_field(void *c, const rt_record_field *f)
{
    (void)f;
    (*(int *)c)++;
    return 0;
}

static void test_walker(void **state)
{
    (void)state;
    int c = 0;
    static const char ok[] = " {\"a\":1, \"b\":\"x\\\"y\" ,\"o\":{\"p\":true,\"q\":null},\"z\":-2.5e3} ";
    assert_int_equal(rt_record_fields(ok, sizeof ok - 1, count_field, &c), 0);
    assert_int_equal(c, 5);
    static const char *const bad[] = {
        "", "[]", "{\"a\":[1]}", "{\"a\":{\"b\":{\"c\":1}}}", "{\"a\":1", "{\"a\" 1}",
        "{\"a\":\"x\ny\"}", "{\"a\":\"\\x\"}", "{\"a\":\"\\u12\"}", "{\"a\":1}x", "{a:1}",
        "{\"a\":1,}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        c = 0;
        assert_int_equal(rt_record_fields(bad[i], strlen(bad[i]), count_field, &c), RT_EPARSE);
    }
    char out[64];
    static const char esc[] = "a\\\"b\\\\c\\n\\u00e9\\ud83d\\ude00\\ud800x\\u0000";
    size_t n = rt_json_unescape(esc, sizeof esc - 1, out, sizeof out);
    static const char want[] = "a\"b\\c\n\xC3\xA9\xF0\x9F\x98\x80\xEF\xBF\xBDx\xEF\xBF\xBD";
    assert_int_equal(n, sizeof want - 1);
    assert_memory_equal(out, want, n);
    n = rt_json_unescape(esc, sizeof esc - 1, out, 12); /* cut at a character boundary */
    assert_int_equal(n, 8); /* the 4-byte emoji does not fit with the NUL */
    assert_int_equal(out[8], 0);
}

int main(void)
{
    setup_ctx();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exact_message),
        cmocka_unit_test(test_hostile_names_round_trip),
        cmocka_unit_test(test_header_fields),
        cmocka_unit_test(test_severity),
        cmocka_unit_test(test_rfc3164),
        cmocka_unit_test(test_udp_cut),
        cmocka_unit_test(test_octet_frame_and_overflow),
        cmocka_unit_test(test_worst_case_bound),
        cmocka_unit_test(test_walker),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
