/*
 * test_format.c - netfmt.h, event.c and format.h: address, GUID, handle and
 * time text; event names; whole records. Records are read back by Python's
 * json and csv modules (tests/core/parse_back.py) and compared field by
 * field, in order, with what docs/event-schema.md says they must hold.
 */
#define _POSIX_C_SOURCE 200809L

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "error.h"
#include "format.h"
#include "netfmt.h"
#include "utf.h"

#include "parse_back.h"

/* ---------------------------------------------------------- netfmt */

static void test_ipv4_byte_order(void **state)
{
    static const uint8_t wire[4] = {192, 168, 0, 1}; /* network order in memory */
    char s[RT_IPV4_TEXT_MAX];
    uint32_t dword = (uint32_t)wire[0] | (uint32_t)wire[1] << 8 | (uint32_t)wire[2] << 16 |
                     (uint32_t)wire[3] << 24; /* how RAS's DWORD reads it on x86 */
    (void)state;
    assert_int_equal(dword, 0x0100A8C0);
    assert_int_equal(rt_netfmt_ipv4(0x0100A8C0, s), 11);
    assert_string_equal(s, "192.168.0.1");
    rt_netfmt_ipv4(0, s);
    assert_string_equal(s, "0.0.0.0");
    rt_netfmt_ipv4(0xFFFFFFFF, s);
    assert_string_equal(s, "255.255.255.255");
    rt_netfmt_ipv4(0x1700000A, s);
    assert_string_equal(s, "10.0.0.23");
}

static void parse_ipv6(const char *groups, uint8_t a[16])
{
    unsigned g[8];
    assert_int_equal(sscanf(groups, "%x:%x:%x:%x:%x:%x:%x:%x", &g[0], &g[1], &g[2], &g[3],
                            &g[4], &g[5], &g[6], &g[7]), 8);
    for (int i = 0; i < 8; i++) {
        a[2 * i] = (uint8_t)(g[i] >> 8);
        a[2 * i + 1] = (uint8_t)g[i];
    }
}

static void test_ipv6_rfc5952(void **state)
{
    static const struct {
        const char *full, *text;
    } cases[] = {
        {"2001:db8:0:0:0:0:0:1", "2001:db8::1"},
        {"0:0:0:0:0:0:0:0", "::"},
        {"0:0:0:0:0:0:0:1", "::1"},
        {"1:0:0:0:0:0:0:0", "1::"},
        {"2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"},    /* tie: the first run */
        {"2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1"}, /* leading zeros */
        {"2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"}, /* one zero group stays */
        {"2001:0:0:1:0:0:0:1", "2001:0:0:1::1"},          /* the longest run wins */
        {"2001:DB8:ABCD:12:FFFF:0:0:ABCD", "2001:db8:abcd:12:ffff::abcd"},
        {"fe80:0:0:0:211:22ff:fe33:4455", "fe80::211:22ff:fe33:4455"},
        {"0:0:0:0:0:ffff:c0a8:1", "::ffff:192.168.0.1"},  /* IPv4-mapped */
        {"0:0:0:0:0:ffff:0:1", "::ffff:0.0.0.1"},
        {"0:0:0:0:1:ffff:c0a8:1", "::1:ffff:c0a8:1"},     /* not mapped */
        {"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
         "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"},
    };
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint8_t a[16];
        char s[RT_IPV6_TEXT_MAX];
        parse_ipv6(cases[i].full, a);
        assert_int_equal(rt_netfmt_ipv6(a, s), strlen(cases[i].text));
        assert_string_equal(s, cases[i].text);
    }
}

static void test_ipv6_random_vs_python(void **state)
{
    struct batch t;
    (void)state;
    batch_open(&t);
    for (int i = 0; i < 5000; i++) {
        uint8_t a[16];
        char s[RT_IPV6_TEXT_MAX];
        for (int g = 0; g < 8; g++) { /* mostly zero groups: runs and ties */
            uint32_t r = rnd(4), v = r < 2 ? 0 : r == 2 ? rnd(0x10) : rnd(0x10000);
            a[2 * g] = (uint8_t)(v >> 8);
            a[2 * g + 1] = (uint8_t)v;
        }
        if (rnd(10) == 0) {
            memset(a, 0, 10);
            a[10] = a[11] = 0xFF;
        }
        rt_netfmt_ipv6(a, s);
        batch_hex(&t, a, 16);
        fprintf(t.f, "\t%s\n", s);
    }
    batch_check(&t, "ipv6");
}

static void test_iid_guid_handle(void **state)
{
    static const uint8_t iid[8] = {0x02, 0x11, 0x22, 0xff, 0xfe, 0x33, 0x04, 0x00};
    static const uint8_t guid[16] = {0x40, 0xFC, 0x29, 0x6B, 0x47, 0xCA, 0x67, 0x10,
                                     0xB3, 0x1D, 0x00, 0xDD, 0x01, 0x06, 0x62, 0xDA};
    char s[RT_GUID_TEXT_MAX];
    (void)state;
    assert_int_equal(rt_netfmt_iid(iid, s), 19);
    assert_string_equal(s, "0211:22ff:fe33:0400");
    assert_int_equal(rt_netfmt_guid(guid, s), 38);
    assert_string_equal(s, "{6B29FC40-CA47-1067-B31D-00DD010662DA}");
    assert_int_equal(rt_netfmt_handle(0, s), 3);
    assert_string_equal(s, "0x0");
    rt_netfmt_handle(0x1a2b, s);
    assert_string_equal(s, "0x1a2b");
    assert_int_equal(rt_netfmt_handle(UINT64_MAX, s), 18);
    assert_string_equal(s, "0xffffffffffffffff");
    rt_netfmt_handle(0x8000000000000000u, s);
    assert_string_equal(s, "0x8000000000000000");
}

static void test_time(void **state)
{
    static const struct {
        int64_t us;
        const char *text;
    } cases[] = {
        {0, "1970-01-01T00:00:00.000000Z"},
        {1, "1970-01-01T00:00:00.000001Z"},
        {94694399500000, "1972-12-31T23:59:59.500000Z"},          /* a leap year's last day */
        {951782400000000, "2000-02-29T00:00:00.000000Z"},         /* 400-year leap day */
        {1709251199999999, "2024-02-29T23:59:59.999999Z"},
        {4107542399999999, "2100-02-28T23:59:59.999999Z"},        /* 2100: no leap day */
        {4107542400000000, "2100-03-01T00:00:00.000000Z"},
        {2147483647000000, "2038-01-19T03:14:07.000000Z"},        /* 32-bit time_t's end */
        {2147483648000000, "2038-01-19T03:14:08.000000Z"},
        {1795252502123456, "2026-11-21T09:15:02.123456Z"},
        {RT_TIME_US_MAX, "9999-12-31T23:59:59.999999Z"},
        {-1, "1970-01-01T00:00:00.000000Z"},                      /* clamped */
        {INT64_MIN, "1970-01-01T00:00:00.000000Z"},
        {INT64_MAX, "9999-12-31T23:59:59.999999Z"},
    };
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char s[RT_TIME_TEXT_MAX];
        assert_int_equal(rt_netfmt_time(cases[i].us, s), 27);
        assert_string_equal(s, cases[i].text);
    }
}

static void test_time_random_vs_python(void **state)
{
    struct batch t;
    (void)state;
    batch_open(&t);
    for (int i = 0; i < 5000; i++) {
        char s[RT_TIME_TEXT_MAX];
        int64_t us = (int64_t)(((uint64_t)rnd(UINT32_MAX) << 32 | rnd(UINT32_MAX)) %
                               (uint64_t)(RT_TIME_US_MAX + 1));
        if (i % 3 == 0) /* midnights and their neighbours */
            us = (int64_t)rnd(2932897) * 86400000000 + (int64_t)rnd(3) - 1;
        if (us < 0 || us > RT_TIME_US_MAX)
            continue;
        rt_netfmt_time(us, s);
        fprintf(t.f, "%" PRId64 "\t%s\n", us, s);
    }
    batch_check(&t, "time");
}

/* ---------------------------------------------------------- names */

static void test_event_names(void **state)
{
    (void)state;
    assert_null(rt_kind_name(RT_EV_NONE));
    assert_string_equal(rt_kind_name(RT_EV_CONN_STOP), "connection.stop");
    assert_string_equal(rt_kind_name(RT_EV_IPV6_RELEASE), "ipv6.release");
    assert_string_equal(rt_kind_name(RT_EV_CONFIG_ERROR), "config.error");
    assert_null(rt_kind_name(RT_EV_COUNT_));
    assert_null(rt_kind_name(9999));
    assert_null(rt_callout_name(RT_CO_NONE));
    assert_string_equal(rt_callout_name(RT_CO_CONNECTION_HANGUP_EX),
                        "MprAdminConnectionHangupNotificationEx");
    assert_string_equal(rt_callout_name(RT_CO_RELEASE_IPV6_ADDRESS),
                        "MprAdminReleaseIpv6AddressForUser");
    assert_null(rt_callout_name(RT_CO_COUNT_));
    for (unsigned k = 1; k < RT_EV_COUNT_; k++)
        assert_non_null(rt_kind_name(k));
    for (unsigned k = 1; k < RT_CO_COUNT_; k++)
        assert_non_null(rt_callout_name(k));
    for (unsigned k = 0; k < RT_EV_COUNT_ + 2; k++)
        assert_int_equal(rt_kind_is_priority(k), k == RT_EV_CONN_STOP ||
                                                      k == RT_EV_IP_RELEASE ||
                                                      k == RT_EV_IPV6_RELEASE);
}

/* UTF-8 text to a UTF-16 array of cap units (terminated if it fits). */
static void set_w(rt_wchar *dst, size_t cap, const char *utf8)
{
    const unsigned char *s = (const unsigned char *)utf8;
    size_t i = 0, o = 0, n = strlen(utf8), used;
    while (i < n && o < cap) {
        uint32_t cp = rt_utf8_decode(s + i, n - i, &used);
        i += used;
        if (cp >= 0x10000 && o + 1 < cap) {
            dst[o++] = (rt_wchar)(0xD800 + ((cp - 0x10000) >> 10));
            dst[o++] = (rt_wchar)(0xDC00 + ((cp - 0x10000) & 0x3FF));
        } else if (cp < 0x10000) {
            dst[o++] = (rt_wchar)cp;
        }
    }
    if (o < cap)
        dst[o] = 0;
}

#define SET_W(arr, text) set_w((arr), sizeof(arr) / sizeof((arr)[0]), (text))

static void test_tunnel_from_device(void **state)
{
    static const struct {
        const char *type, *name, *want;
    } cases[] = {
        {"vpn", "WAN Miniport (PPTP)", "pptp"},
        {"VPN", "wan miniport (l2tp)", "l2tp"},
        {"vpn", "WAN Miniport (SSTP)", "sstp"},
        {"vpn", "WAN Miniport (IKEv2)", "ikev2"},
        {"", "WAN Miniport (SSTP)", "sstp"},
        {"PPTP", "", "pptp"},
        {"IkEv2", "whatever", "ikev2"},
        {"modem", "WAN Miniport (PPTP)", NULL},
        {"vpn", "WAN Miniport (PPPOE)", NULL},
        {"vpn", "", NULL},
        {"vpnx", "WAN Miniport (PPTP)", NULL},
    };
    rt_wchar type[RT_LEN_DEVICE_TYPE], name[RT_LEN_DEVICE];
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *got;
        SET_W(type, cases[i].type);
        SET_W(name, cases[i].name);
        got = rt_tunnel_from_device_type(type, RT_LEN_DEVICE_TYPE, name, RT_LEN_DEVICE);
        if (cases[i].want == NULL)
            assert_null(got);
        else
            assert_string_equal(got, cases[i].want);
    }
    assert_null(rt_tunnel_from_device_type(NULL, 5, NULL, 5));
    for (size_t i = 0; i < RT_LEN_DEVICE_TYPE; i++) /* full array, no NUL */
        type[i] = 'v';
    SET_W(name, "(SSTP)");
    assert_null(rt_tunnel_from_device_type(type, RT_LEN_DEVICE_TYPE, name, RT_LEN_DEVICE));
    SET_W(type, "vpn");
    SET_W(name, "(SSTP)");
    assert_null(rt_tunnel_from_device_type(type, RT_LEN_DEVICE_TYPE, name, 4)); /* bound */
}

/* ---------------------------------------------------------- records */

static rt_format_ctx test_ctx(void)
{
    rt_format_ctx c;
    memset(&c, 0, sizeof c);
    strcpy(c.instance, "0123456789abcdef0123456789abcdef");
    strcpy(c.host, "rras-m\xC3\xBCnchen");
    c.pid = 4242;
    c.version = "0.1.0";
    c.csv_defuse = true;
    return c;
}

#define T_US INT64_C(1795252502123456)
#define T_TEXT "2026-11-21T09:15:02.123456Z"

static char outmem[2 * RT_RECORD_MAX];

static rt_buf format_one(const rt_format_ctx *c, const rt_record *r, bool csv)
{
    rt_buf b;
    rt_buf_init(&b, outmem, sizeof outmem);
    assert_int_equal(csv ? rt_format_csv(c, r, &b) : rt_format_jsonl(c, r, &b), 0);
    assert_false(b.overflow);
    return b;
}

static void build_conn_stop(rt_event *ev)
{
    static const uint8_t guid[16] = {0x40, 0xFC, 0x29, 0x6B, 0x47, 0xCA, 0x67, 0x10,
                                     0xB3, 0x1D, 0x00, 0xDD, 0x01, 0x06, 0x62, 0xDA};
    static const uint8_t prefix[8] = {0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 2};
    static const uint8_t iid[8] = {0x02, 0x11, 0x22, 0xff, 0xfe, 0x33, 0x44, 0x55};
    rt_ev_conn *c = &ev->u.conn;

    memset(ev, 0, sizeof *ev);
    ev->kind = RT_EV_CONN_STOP;
    ev->callout = RT_CO_CONNECTION_HANGUP_EX;
    ev->has = RT_HAS_HANDLE | RT_HAS_GUID | RT_HAS_USER | RT_HAS_IFTYPE | RT_HAS_DURATION |
              RT_HAS_COUNTERS | RT_HAS_ERRORS | RT_HAS_IPV4 | RT_HAS_IPV6 | RT_HAS_ENDPOINTS |
              RT_HAS_PROJECTION | RT_HAS_QUARANTINE | RT_HAS_FLAGS;
    c->handle = 0x1a2b3c4d5e6f;
    memcpy(c->guid, guid, 16);
    c->interface_type = 0;
    c->flags = 0x1;
    c->duration_s = 3725;
    c->quarantine = 0;
    c->projection = RT_PROJ_PPP;
    c->auth_proto = 0xC227;
    c->eap_type = 25;
    c->ipv6_prefix_len = 64;
    memcpy(c->ipv6_prefix, prefix, 8);
    memcpy(c->ipv6_remote_iid, iid, 8);
    c->ctr.bytes_in = 123456789;
    c->ctr.bytes_out = UINT32_MAX;
    c->ctr.frames_in = 1000;
    c->ctr.frames_out = 2000;
    c->ctr.crc = 1;
    c->ctr.timeout = 2;
    c->ctr.alignment = 3;
    c->ctr.hw_overrun = 4;
    c->ctr.framing = 5;
    c->ctr.buffer_overrun = 6;
    SET_W(c->user, "J\xC3\xBCrgen \"jj\"\t\xF0\x9F\x98\x80,\\");
    SET_W(c->domain, "CORP");
    SET_W(c->interface_name, "J\xC3\xBCrgen");
    SET_W(c->remote_computer, "=cmd|'/c calc'");
    SET_W(c->client_ipv4, "10.0.0.23");
    SET_W(c->server_ipv4, "10.0.0.1");
    SET_W(c->endpoint_remote, "203.0.113.7");
    SET_W(c->endpoint_local, "198.51.100.1");
}

/* Expectations for parse_back.py's jsonrec / csvrec modes. */
struct recs {
    struct batch exp;
    FILE *out;
    char out_path[256];
};

static void recs_open(struct recs *r)
{
    const char *dir = getenv("TMPDIR");
    int fd;
    batch_open(&r->exp);
    snprintf(r->out_path, sizeof r->out_path, "%s/rt_out_XXXXXX", dir != NULL ? dir : "/tmp");
    fd = mkstemp(r->out_path);
    assert_true(fd >= 0);
    r->out = fdopen(fd, "wb");
    assert_non_null(r->out);
    fprintf(r->exp.f, "%s\n", r->out_path);
}

static void recs_write(struct recs *r, const rt_buf *b)
{
    assert_int_equal(fwrite(b->p, 1, b->len, r->out), b->len);
}

static void recs_check(struct recs *r, const char *mode)
{
    assert_int_equal(fclose(r->out), 0);
    batch_check(&r->exp, mode);
    unlink(r->out_path);
}

static void ex_s(struct recs *r, const char *key, const char *val)
{
    fprintf(r->exp.f, "%s\ts\t", key);
    batch_hex(&r->exp, val, strlen(val));
    batch_sep(&r->exp, '\n');
}

static void ex_i(struct recs *r, const char *key, uint64_t v)
{
    fprintf(r->exp.f, "%s\ti\t%" PRIu64 "\n", key, v);
}

static void ex_b(struct recs *r, const char *key, bool v)
{
    fprintf(r->exp.f, "%s\tb\t%s\n", key, v ? "true" : "false");
}

/* csvrec: one cell. */
static void ex_c(struct recs *r, const char *col, const char *val)
{
    fprintf(r->exp.f, "%s\t", col);
    batch_hex(&r->exp, val, strlen(val));
    batch_sep(&r->exp, '\n');
}

static void ex_end(struct recs *r)
{
    fputs("---\n", r->exp.f);
}

static void ex_common(struct recs *r, uint64_t seq, const char *event, const char *callout)
{
    ex_i(r, "v", 1);
    ex_i(r, "seq", seq);
    ex_s(r, "instance", "0123456789abcdef0123456789abcdef");
    ex_s(r, "time", T_TEXT);
    ex_s(r, "host", "rras-m\xC3\xBCnchen");
    ex_i(r, "pid", 4242);
    ex_s(r, "event", event);
    if (callout != NULL)
        ex_s(r, "callout", callout);
}

static void ex_c_common(struct recs *r, const char *seq, const char *event, const char *callout)
{
    ex_c(r, "v", "1");
    ex_c(r, "seq", seq);
    ex_c(r, "instance", "0123456789abcdef0123456789abcdef");
    ex_c(r, "time", T_TEXT);
    ex_c(r, "host", "rras-m\xC3\xBCnchen");
    ex_c(r, "pid", "4242");
    ex_c(r, "event", event);
    if (callout != NULL)
        ex_c(r, "callout", callout);
}

static void test_connection_stop_json(void **state)
{
    static rt_event ev;
    rt_format_ctx c = test_ctx();
    rt_record rec = {42, T_US, &ev, "sstp"};
    struct recs r;
    rt_buf b;
    (void)state;

    build_conn_stop(&ev);
    b = format_one(&c, &rec, false);
    recs_open(&r);
    recs_write(&r, &b);
    ex_common(&r, 42, "connection.stop", "MprAdminConnectionHangupNotificationEx");
    ex_s(&r, "connection", "0x1a2b3c4d5e6f");
    ex_s(&r, "guid", "{6B29FC40-CA47-1067-B31D-00DD010662DA}");
    ex_s(&r, "user", "J\xC3\xBCrgen \"jj\"\t\xF0\x9F\x98\x80,\\");
    ex_s(&r, "domain", "CORP");
    ex_s(&r, "interface", "J\xC3\xBCrgen");
    ex_s(&r, "remote_computer", "=cmd|'/c calc'");
    ex_s(&r, "interface_type", "client");
    ex_i(&r, "duration_s", 3725);
    ex_i(&r, "bytes_in", 123456789);
    ex_i(&r, "bytes_out", UINT32_MAX);
    ex_i(&r, "frames_in", 1000);
    ex_i(&r, "frames_out", 2000);
    ex_i(&r, "errors.crc", 1);
    ex_i(&r, "errors.timeout", 2);
    ex_i(&r, "errors.alignment", 3);
    ex_i(&r, "errors.hw_overrun", 4);
    ex_i(&r, "errors.framing", 5);
    ex_i(&r, "errors.buffer_overrun", 6);
    ex_s(&r, "client_ipv4", "10.0.0.23");
    ex_s(&r, "server_ipv4", "10.0.0.1");
    ex_s(&r, "client_ipv6", "2001:db8:1:2:211:22ff:fe33:4455");
    ex_s(&r, "endpoint_remote", "203.0.113.7");
    ex_s(&r, "endpoint_local", "198.51.100.1");
    ex_s(&r, "tunnel", "sstp");
    ex_s(&r, "auth", "eap");
    ex_i(&r, "eap_type", 25);
    ex_s(&r, "quarantine", "normal");
    ex_end(&r);
    recs_check(&r, "jsonrec");
}

static void test_connection_stop_csv(void **state)
{
    static rt_event ev;
    rt_format_ctx c = test_ctx();
    rt_record rec = {42, T_US, &ev, "sstp"};
    struct recs r;
    rt_buf b;
    (void)state;

    build_conn_stop(&ev);
    recs_open(&r);
    rt_buf_init(&b, outmem, sizeof outmem);
    rt_format_csv_header(&b);
    assert_false(b.overflow);
    recs_write(&r, &b);
    for (int defuse = 1; defuse >= 0; defuse--) {
        c.csv_defuse = defuse;
        b = format_one(&c, &rec, true);
        recs_write(&r, &b);
        ex_c_common(&r, "42", "connection.stop", "MprAdminConnectionHangupNotificationEx");
        ex_c(&r, "connection", "0x1a2b3c4d5e6f");
        ex_c(&r, "user", "J\xC3\xBCrgen \"jj\"\t\xF0\x9F\x98\x80,\\");
        ex_c(&r, "domain", "CORP");
        ex_c(&r, "interface", "J\xC3\xBCrgen");
        ex_c(&r, "remote_computer", defuse ? "'=cmd|'/c calc'" : "=cmd|'/c calc'");
        ex_c(&r, "duration_s", "3725");
        ex_c(&r, "bytes_in", "123456789");
        ex_c(&r, "bytes_out", "4294967295");
        ex_c(&r, "client_ipv4", "10.0.0.23");
        ex_c(&r, "client_ipv6", "2001:db8:1:2:211:22ff:fe33:4455");
        ex_c(&r, "tunnel", "sstp");
        ex_c(&r, "auth", "eap");
        ex_c(&r, "guid", "{6B29FC40-CA47-1067-B31D-00DD010662DA}");
        ex_end(&r);
    }
    recs_check(&r, "csvrec");
}

static rt_event *blank(rt_event *ev, unsigned kind, unsigned callout, uint32_t has)
{
    memset(ev, 0, sizeof *ev);
    ev->kind = (uint16_t)kind;
    ev->callout = (uint16_t)callout;
    ev->has = has;
    return ev;
}

static void emit(struct recs *r, const rt_format_ctx *c, const rt_event *ev, bool csv)
{
    rt_record rec = {7, T_US, ev, NULL};
    rt_buf b = format_one(c, &rec, csv);
    recs_write(r, &b);
}

/* Every other kind, one or more records each, read back as JSON. */
static void test_conn_kinds_json(void **state)
{
    static rt_event ev;
    rt_format_ctx c = test_ctx();
    struct recs r;
    (void)state;
    recs_open(&r);

    /* connection.accept, rejected by policy; IKEv2 with a certificate */
    blank(&ev, RT_EV_CONN_ACCEPT, RT_CO_ACCEPT_NEW_CONNECTION_EX,
          RT_HAS_HANDLE | RT_HAS_USER | RT_HAS_PROJECTION | RT_HAS_DECISION);
    ev.u.conn.handle = 0x10;
    ev.u.conn.projection = RT_PROJ_IKEV2;
    ev.u.conn.auth_proto = 1;
    SET_W(ev.u.conn.user, "bob");
    ev.decision = 0;
    ev.reason = RT_REASON_POLICY;
    emit(&r, &c, &ev, false);
    ex_common(&r, 7, "connection.accept", "MprAdminAcceptNewConnectionEx");
    ex_s(&r, "connection", "0x10");
    ex_s(&r, "user", "bob");
    ex_s(&r, "tunnel", "ikev2");
    ex_s(&r, "auth", "cert");
    ex_s(&r, "decision", "reject");
    ex_s(&r, "reason", "policy");
    ex_end(&r);

    /* legacy accept: tunnel from the flags, CHAP MD5; no reason when accepted */
    blank(&ev, RT_EV_CONN_ACCEPT, RT_CO_ACCEPT_NEW_CONNECTION,
          RT_HAS_FLAGS | RT_HAS_PROJECTION | RT_HAS_DECISION | RT_HAS_IFTYPE);
    ev.u.conn.flags = 0x1;
    ev.u.conn.auth_proto = 0xC223;
    ev.u.conn.auth_data = 0x05;
    ev.u.conn.interface_type = 2;
    ev.decision = 1;
    ev.reason = RT_REASON_POLICY;
    emit(&r, &c, &ev, false);
    ex_common(&r, 7, "connection.accept", "MprAdminAcceptNewConnection");
    ex_s(&r, "interface_type", "full_router");
    ex_s(&r, "tunnel", "ppp");
    ex_s(&r, "auth", "chap");
    ex_s(&r, "decision", "accept");
    ex_end(&r);

    /* reauth: quarantine state, unknown interface type as a number, reject code 9 */
    blank(&ev, RT_EV_REAUTH, RT_CO_ACCEPT_REAUTHENTICATION_EX,
          RT_HAS_QUARANTINE | RT_HAS_DECISION | RT_HAS_IFTYPE | RT_HAS_FLAGS);
    ev.u.conn.quarantine = 2;
    ev.u.conn.interface_type = 7;
    ev.u.conn.flags = 0x10 | 0x8;
    ev.reason = 9;
    emit(&r, &c, &ev, false);
    ex_common(&r, 7, "reauth", "MprAdminAcceptReauthenticationEx");
    ex_i(&r, "interface_type", 7);
    ex_s(&r, "tunnel", "ikev2");
    ex_s(&r, "quarantine", "probation");
    ex_s(&r, "decision", "reject");
    ex_s(&r, "reason", "reason_9");
    ex_end(&r);

    recs_check(&r, "jsonrec");
}

static void test_link_kinds_json(void **state)
{
    static rt_event ev;
    rt_format_ctx c = test_ctx();
    struct recs r;
    (void)state;
    recs_open(&r);

    /* link.accept */
    blank(&ev, RT_EV_LINK_ACCEPT, RT_CO_ACCEPT_NEW_LINK,
          RT_HAS_HANDLE | RT_HAS_PORT_INFO | RT_HAS_LINE_SPEED | RT_HAS_DECISION);
    ev.u.link.handle = 0xabc;
    ev.u.link.line_speed = 1000000000;
    SET_W(ev.u.link.port, "VPN2-3");
    SET_W(ev.u.link.media, "rastapi");
    SET_W(ev.u.link.device, "WAN Miniport (L2TP)");
    SET_W(ev.u.link.device_type, "vpn");
    ev.decision = 1;
    emit(&r, &c, &ev, false);
    ex_common(&r, 7, "link.accept", "MprAdminAcceptNewLink");
    ex_s(&r, "connection", "0xabc");
    ex_s(&r, "port", "VPN2-3");
    ex_s(&r, "media", "rastapi");
    ex_s(&r, "device", "WAN Miniport (L2TP)");
    ex_s(&r, "device_type", "vpn");
    ex_s(&r, "tunnel", "l2tp");
    ex_i(&r, "line_speed", 1000000000);
    ex_s(&r, "decision", "accept");
    ex_end(&r);

    /* link.stop with counters and errors */
    blank(&ev, RT_EV_LINK_STOP, RT_CO_LINK_HANGUP,
          RT_HAS_HANDLE | RT_HAS_DURATION | RT_HAS_COUNTERS | RT_HAS_ERRORS);
    ev.u.link.handle = 0xabc;
    ev.u.link.duration_s = 60;
    ev.u.link.ctr.bytes_in = 5;
    ev.u.link.ctr.bytes_out = 6;
    ev.u.link.ctr.frames_in = 7;
    ev.u.link.ctr.frames_out = 8;
    ev.u.link.ctr.buffer_overrun = UINT32_MAX;
    emit(&r, &c, &ev, false);
    ex_common(&r, 7, "link.stop", "MprAdminLinkHangupNotification");
    ex_s(&r, "connection", "0xabc");
    ex_i(&r, "duration_s", 60);
    ex_i(&r, "bytes_in", 5);
    ex_i(&r, "bytes_out", 6);
    ex_i(&r, "frames_in", 7);
    ex_i(&r, "frames_out", 8);
    ex_i(&r, "errors.crc", 0);
    ex_i(&r, "errors.timeout", 0);
    ex_i(&r, "errors.alignment", 0);
    ex_i(&r, "errors.hw_overrun", 0);
    ex_i(&r, "errors.framing", 0);
    ex_i(&r, "errors.buffer_overrun", UINT32_MAX);
    ex_end(&r);

    recs_check(&r, "jsonrec");
}

static void test_ip_kinds_json(void **state)
{
    static rt_event ev;
    rt_format_ctx c = test_ctx();
    struct recs r;
    (void)state;
    recs_open(&r);

    /* ip.assign from the pool */
    blank(&ev, RT_EV_IP_ASSIGN, RT_CO_GET_IP_ADDRESS, 0);
    ev.u.ip.has_user = ev.u.ip.has_port = ev.u.ip.has_ipv4 = 1;
    SET_W(ev.u.ip.user, "alice");
    SET_W(ev.u.ip.port, "VPN2-3");
    ev.u.ip.ipv4 = 0x1700000A;
    ev.u.ip.ipv4_offered = 0x6300000A;
    ev.u.ip.source = RT_SRC_POOL;
    ev.u.ip.notify_release = 1;
    emit(&r, &c, &ev, false);
    ex_common(&r, 7, "ip.assign", "MprAdminGetIpAddressForUser");
    ex_s(&r, "user", "alice");
    ex_s(&r, "port", "VPN2-3");
    ex_s(&r, "ipv4", "10.0.0.23");
    ex_s(&r, "ipv4_offered", "10.0.0.99");
    ex_s(&r, "source", "pool");
    ex_b(&r, "notify_release", true);
    ex_s(&r, "result", "ok");
    ex_end(&r);

    /* ip.assign failures: our code, a known Win32 code, an unknown one */
    static const struct {
        int32_t code;
        const char *name;
    } results[] = {{RT_EEXHAUSTED, "exhausted"}, {87, "invalid_parameter"},
                   {1627, "function_failed"}, {1234, "win32_1234"},
                   {-100, "win32_4294967196"}};
    for (size_t i = 0; i < sizeof results / sizeof results[0]; i++) {
        blank(&ev, RT_EV_IP_ASSIGN, RT_CO_GET_IP_ADDRESS, 0);
        ev.u.ip.has_ipv4 = 1;
        ev.u.ip.result = results[i].code;
        emit(&r, &c, &ev, false);
        ex_common(&r, 7, "ip.assign", "MprAdminGetIpAddressForUser");
        ex_s(&r, "ipv4", "0.0.0.0");
        ex_s(&r, "source", "ras");
        ex_b(&r, "notify_release", false);
        ex_s(&r, "result", results[i].name);
        ex_end(&r);
    }

    /* a refusal hands back nothing but still says what RAS proposed */
    blank(&ev, RT_EV_IP_ASSIGN, RT_CO_GET_IP_ADDRESS, 0);
    ev.u.ip.ipv4_offered = 0x6300000A;
    ev.u.ip.result = RT_EEXHAUSTED;
    emit(&r, &c, &ev, false);
    ex_common(&r, 7, "ip.assign", "MprAdminGetIpAddressForUser");
    ex_s(&r, "ipv4_offered", "10.0.0.99");
    ex_s(&r, "source", "ras");
    ex_b(&r, "notify_release", false);
    ex_s(&r, "result", "exhausted");
    ex_end(&r);

    /* ip.release: freed, and the three ways a release is ignored */
    static const struct {
        int32_t code;
        const char *name;
    } releases[] = {{0, "ok"}, {RT_ENOENT, "not_found"}, {RT_EACCES, "access_denied"},
                    {RT_EINVAL, "invalid_argument"}};
    for (size_t i = 0; i < sizeof releases / sizeof releases[0]; i++) {
        blank(&ev, RT_EV_IP_RELEASE, RT_CO_RELEASE_IP_ADDRESS, 0);
        ev.u.ip.has_user = ev.u.ip.has_ipv4 = 1;
        SET_W(ev.u.ip.user, "alice");
        ev.u.ip.ipv4 = 0x1700000A;
        ev.u.ip.source = releases[i].code == 0 ? RT_SRC_STATIC : RT_SRC_RAS;
        ev.u.ip.result = releases[i].code;
        emit(&r, &c, &ev, false);
        ex_common(&r, 7, "ip.release", "MprAdminReleaseIpAddress");
        ex_s(&r, "user", "alice");
        ex_s(&r, "ipv4", "10.0.0.23");
        ex_s(&r, "source", releases[i].code == 0 ? "static" : "ras");
        ex_s(&r, "result", releases[i].name);
        ex_end(&r);
    }

    /* ipv6.assign and release */
    static const uint8_t v6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0,
                                   0x02, 0x11, 0x22, 0xff, 0xfe, 0x33, 0x44, 0x55};
    for (int k = 0; k < 2; k++) {
        blank(&ev, k ? RT_EV_IPV6_RELEASE : RT_EV_IPV6_ASSIGN,
              k ? RT_CO_RELEASE_IPV6_ADDRESS : RT_CO_GET_IPV6_ADDRESS, 0);
        ev.u.ip.has_ipv6 = ev.u.ip.has_port = 1;
        SET_W(ev.u.ip.port, "VPN2-3");
        memcpy(ev.u.ip.ipv6, v6, 16);
        ev.u.ip.source = RT_SRC_POOL;
        emit(&r, &c, &ev, false);
        ex_common(&r, 7, k ? "ipv6.release" : "ipv6.assign",
                  k ? "MprAdminReleaseIpv6AddressForUser" : "MprAdminGetIpv6AddressForUser");
        ex_s(&r, "port", "VPN2-3");
        ex_s(&r, "ipv6", "2001:db8::211:22ff:fe33:4455");
        ex_s(&r, "ipv6_iid", "0211:22ff:fe33:4455");
        ex_s(&r, "source", "pool");
        if (!k)
            ex_b(&r, "notify_release", false);
        ex_s(&r, "result", "ok");
        ex_end(&r);
    }

    recs_check(&r, "jsonrec");
}

static void test_meta_kinds_json(void **state)
{
    static rt_event ev;
    rt_format_ctx c = test_ctx();
    struct recs r;
    (void)state;
    recs_open(&r);

    /* the DLL's own records */
    blank(&ev, RT_EV_SERVICE_START, RT_CO_INITIALIZE_DLL_EX, 0);
    ev.u.meta.mode = 1;
    emit(&r, &c, &ev, false);
    ex_common(&r, 7, "service.start", "MprAdminInitializeDllEx");
    ex_s(&r, "mode", "ex");
    ex_s(&r, "version", "0.1.0");
    ex_end(&r);

    blank(&ev, RT_EV_SERVICE_START, RT_CO_INITIALIZE_DLL, 0);
    c.version = NULL;
    emit(&r, &c, &ev, false);
    c.version = "0.1.0";
    ex_common(&r, 7, "service.start", "MprAdminInitializeDll");
    ex_s(&r, "mode", "legacy");
    ex_end(&r);

    blank(&ev, RT_EV_SERVICE_STOP, RT_CO_TERMINATE_DLL, 0);
    ev.u.meta.a = 1000;
    ev.u.meta.b = 3;
    emit(&r, &c, &ev, false);
    ex_common(&r, 7, "service.stop", "MprAdminTerminateDll");
    ex_i(&r, "events_total", 1000);
    ex_i(&r, "events_dropped", 3);
    ex_end(&r);

    blank(&ev, RT_EV_EVENTS_DROPPED, RT_CO_NONE, 0);
    ev.u.meta.a = 17;
    strcpy(ev.u.meta.reason, "ring full");
    emit(&r, &c, &ev, false);
    ex_common(&r, 7, "events.dropped", NULL);
    ex_i(&r, "count", 17);
    ex_s(&r, "reason", "ring full");
    ex_end(&r);

    blank(&ev, RT_EV_EVENTS_DROPPED, RT_CO_NONE, 0);
    ev.u.meta.a = UINT64_MAX;
    emit(&r, &c, &ev, false);
    ex_common(&r, 7, "events.dropped", NULL);
    ex_i(&r, "count", UINT64_MAX);
    ex_end(&r);

    blank(&ev, RT_EV_CONFIG_APPLIED, RT_CO_NONE, 0);
    ev.u.meta.a = 4;
    ev.u.meta.ipv4_leases = 9; /* not shown without has_leases */
    emit(&r, &c, &ev, false);
    ex_common(&r, 7, "config.applied", NULL);
    ex_i(&r, "generation", 4);
    ex_end(&r);

    blank(&ev, RT_EV_CONFIG_APPLIED, RT_CO_NONE, 0);
    ev.u.meta.a = 5;
    ev.u.meta.has_leases = 1;
    ev.u.meta.ipv4_leases = 812;
    ev.u.meta.ipv4_leases_outside = 126;
    ev.u.meta.ipv6_leases = UINT64_MAX;
    emit(&r, &c, &ev, false);
    ex_common(&r, 7, "config.applied", NULL);
    ex_i(&r, "generation", 5);
    ex_i(&r, "ipv4_leases", 812);
    ex_i(&r, "ipv4_leases_outside", 126);
    ex_i(&r, "ipv6_leases", UINT64_MAX);
    ex_end(&r);

    blank(&ev, RT_EV_CONFIG_ERROR, RT_CO_NONE, 0);
    ev.u.meta.a = 5;
    strcpy(ev.u.meta.key, "pool.start");
    strcpy(ev.u.meta.value, "10.0.0.x\n\"\xFF");
    strcpy(ev.u.meta.reason, "not an IPv4 address");
    emit(&r, &c, &ev, false);
    ex_common(&r, 7, "config.error", NULL);
    ex_i(&r, "generation", 5);
    ex_s(&r, "key", "pool.start");
    ex_s(&r, "value", "10.0.0.x\n\"" RT_UTF8_REPLACEMENT);
    ex_s(&r, "reason", "not an IPv4 address");
    ex_end(&r);

    recs_check(&r, "jsonrec");
}

/* The CSV columns the other kinds fill. */
static void test_other_kinds_csv(void **state)
{
    static rt_event ev;
    rt_format_ctx c = test_ctx();
    struct recs r;
    rt_buf b;
    (void)state;
    recs_open(&r);
    rt_buf_init(&b, outmem, sizeof outmem);
    rt_format_csv_header(&b);
    recs_write(&r, &b);

    blank(&ev, RT_EV_CONN_ACCEPT, RT_CO_ACCEPT_NEW_CONNECTION3,
          RT_HAS_USER | RT_HAS_DECISION | RT_HAS_PROJECTION);
    SET_W(ev.u.conn.user, "-bob");
    SET_W(ev.u.conn.domain, "@corp");
    ev.u.conn.projection = RT_PROJ_PPP;
    ev.u.conn.auth_proto = 0xC223;
    ev.u.conn.auth_data = 0x80;
    ev.reason = RT_REASON_POLICY;
    emit(&r, &c, &ev, true);
    ex_c_common(&r, "7", "connection.accept", "MprAdminAcceptNewConnection3");
    ex_c(&r, "user", "'-bob");
    ex_c(&r, "domain", "'@corp");
    ex_c(&r, "tunnel", "ppp");
    ex_c(&r, "auth", "mschap");
    ex_c(&r, "decision", "reject");
    ex_c(&r, "reason", "policy");
    ex_end(&r);

    blank(&ev, RT_EV_LINK_ACCEPT, RT_CO_ACCEPT_NEW_LINK,
          RT_HAS_HANDLE | RT_HAS_PORT_INFO | RT_HAS_DECISION);
    ev.u.link.handle = 1;
    SET_W(ev.u.link.port, "VPN1-0,\"x\"");
    SET_W(ev.u.link.device, "WAN Miniport (PPTP)");
    SET_W(ev.u.link.device_type, "vpn");
    ev.decision = 1;
    emit(&r, &c, &ev, true);
    ex_c_common(&r, "7", "link.accept", "MprAdminAcceptNewLink");
    ex_c(&r, "connection", "0x1");
    ex_c(&r, "port", "VPN1-0,\"x\"");
    ex_c(&r, "tunnel", "pptp");
    ex_c(&r, "decision", "accept");
    ex_end(&r);

    blank(&ev, RT_EV_IP_ASSIGN, RT_CO_GET_IP_ADDRESS, 0);
    ev.u.ip.has_user = ev.u.ip.has_port = ev.u.ip.has_ipv4 = 1;
    SET_W(ev.u.ip.user, "alice\r\nbob");
    SET_W(ev.u.ip.port, "VPN2-3");
    ev.u.ip.ipv4 = 0x1700000A;
    ev.u.ip.result = 87;
    emit(&r, &c, &ev, true);
    ex_c_common(&r, "7", "ip.assign", "MprAdminGetIpAddressForUser");
    ex_c(&r, "user", "alice\r\nbob");
    ex_c(&r, "port", "VPN2-3");
    ex_c(&r, "ipv4", "10.0.0.23");
    ex_c(&r, "result", "invalid_parameter");
    ex_end(&r);

    blank(&ev, RT_EV_IP_RELEASE, RT_CO_RELEASE_IP_ADDRESS, 0);
    ev.u.ip.has_port = ev.u.ip.has_ipv4 = 1;
    SET_W(ev.u.ip.port, "VPN2-3");
    ev.u.ip.ipv4 = 0x1700000A;
    ev.u.ip.result = RT_ENOENT;
    emit(&r, &c, &ev, true);
    ex_c_common(&r, "7", "ip.release", "MprAdminReleaseIpAddress");
    ex_c(&r, "port", "VPN2-3");
    ex_c(&r, "ipv4", "10.0.0.23");
    ex_c(&r, "result", "not_found");
    ex_end(&r);

    blank(&ev, RT_EV_IPV6_ASSIGN, RT_CO_GET_IPV6_ADDRESS, 0);
    ev.u.ip.has_ipv6 = 1;
    ev.u.ip.ipv6[0] = 0xfe;
    ev.u.ip.ipv6[1] = 0x80;
    ev.u.ip.ipv6[15] = 1;
    emit(&r, &c, &ev, true);
    ex_c_common(&r, "7", "ipv6.assign", "MprAdminGetIpv6AddressForUser");
    ex_c(&r, "ipv6", "fe80::1");
    ex_c(&r, "result", "ok");
    ex_end(&r);

    blank(&ev, RT_EV_EVENTS_DROPPED, RT_CO_NONE, 0);
    ev.u.meta.a = 17;
    strcpy(ev.u.meta.reason, "=ring full");
    emit(&r, &c, &ev, true);
    ex_c_common(&r, "7", "events.dropped", NULL);
    ex_c(&r, "count", "17");
    ex_c(&r, "reason", "'=ring full");
    ex_end(&r);

    recs_check(&r, "csvrec");
}

/* Clear bits and empty strings leave fields out; they never become "". */
static void test_absent_fields(void **state)
{
    static rt_event ev;
    rt_format_ctx c = test_ctx();
    rt_record rec = {1, T_US, &ev, NULL};
    rt_buf b;
    static const char common[] = "{\"v\":1,\"seq\":1,\"instance\":\"0123456789abcdef0123456789abcdef\","
                                 "\"time\":\"" T_TEXT "\",\"host\":\"rras-m\xC3\xBCnchen\","
                                 "\"pid\":4242,\"event\":\"connection.stop\","
                                 "\"callout\":\"MprAdminConnectionHangup"
                                 "Notification\"";
    (void)state;

    build_conn_stop(&ev);
    ev.callout = RT_CO_CONNECTION_HANGUP;
    ev.has = 0;
    b = format_one(&c, &rec, false);
    assert_int_equal(b.len, sizeof common - 1 + 2);
    assert_memory_equal(b.p, common, sizeof common - 1);
    assert_memory_equal(b.p + sizeof common - 1, "}\n", 2);

    /* bits set, but every string empty, prefix/iid zero, unknown auth, no eap */
    memset(&ev.u.conn, 0, sizeof ev.u.conn);
    ev.has = RT_HAS_USER | RT_HAS_IPV4 | RT_HAS_IPV6 | RT_HAS_ENDPOINTS | RT_HAS_PROJECTION;
    ev.u.conn.auth_proto = 0x1234;
    b = format_one(&c, &rec, false);
    assert_int_equal(b.len, sizeof common - 1 + 2);

    /* empty host and instance are left out too */
    c.host[0] = '\0';
    c.instance[0] = '\0';
    b = format_one(&c, &rec, false);
    assert_null(strstr(b.p, "host"));
    assert_null(strstr(b.p, "instance"));
    assert_null(strstr(b.p, "\"\""));
}

static bool has_text(const rt_buf *b, const char *needle)
{
    size_t n = strlen(needle);
    for (size_t i = 0; i + n <= b->len; i++)
        if (memcmp(b->p + i, needle, n) == 0)
            return true;
    return false;
}

static void test_auth_and_tunnel_mapping(void **state)
{
    static const struct {
        uint32_t projection, proto, data;
        const char *auth;
    } auths[] = {
        {RT_PROJ_PPP, 0xC023, 0, "\"auth\":\"pap\""},
        {RT_PROJ_PPP, 0xC027, 0, "\"auth\":\"spap\""},
        {RT_PROJ_PPP, 0xC223, 0x05, "\"auth\":\"chap\""},
        {RT_PROJ_PPP, 0xC223, 0x80, "\"auth\":\"mschap\""},
        {RT_PROJ_PPP, 0xC223, 0x81, "\"auth\":\"mschapv2\""},
        {RT_PROJ_PPP, 0xC227, 0, "\"auth\":\"eap\""},
        {RT_PROJ_IKEV2, 1, 0, "\"auth\":\"cert\""},
        {RT_PROJ_IKEV2, 2, 0, "\"auth\":\"eap\""},
        {RT_PROJ_IKEV2, 0xC023, 0, NULL},
        {RT_PROJ_PPP, 7, 0, NULL},
    };
    static rt_event ev;
    rt_format_ctx c = test_ctx();
    rt_record rec = {1, T_US, &ev, NULL};
    rt_buf b;
    (void)state;

    for (size_t i = 0; i < sizeof auths / sizeof auths[0]; i++) {
        blank(&ev, RT_EV_CONN_ACCEPT, RT_CO_ACCEPT_NEW_CONNECTION2, RT_HAS_PROJECTION);
        ev.u.conn.projection = auths[i].projection;
        ev.u.conn.auth_proto = auths[i].proto;
        ev.u.conn.auth_data = auths[i].data;
        b = format_one(&c, &rec, false);
        if (auths[i].auth != NULL)
            assert_true(has_text(&b, auths[i].auth));
        else
            assert_false(has_text(&b, "\"auth\""));
        assert_true(has_text(&b, auths[i].projection == RT_PROJ_PPP ? "\"tunnel\":\"ppp\""
                                                                     : "\"tunnel\":\"ikev2\""));
    }
    /* no projection, no flags: no tunnel unless a link told us */
    blank(&ev, RT_EV_CONN_STOP, RT_CO_CONNECTION_HANGUP, 0);
    b = format_one(&c, &rec, false);
    assert_false(has_text(&b, "\"tunnel\""));
    rec.tunnel_hint = "l2tp";
    b = format_one(&c, &rec, false);
    assert_true(has_text(&b, "\"tunnel\":\"l2tp\""));
    /* client IPv6 from a /60 prefix: bits past the length are dropped */
    rec.tunnel_hint = NULL;
    blank(&ev, RT_EV_CONN_STOP, RT_CO_CONNECTION_HANGUP3, RT_HAS_IPV6);
    memset(ev.u.conn.ipv6_prefix, 0xFF, 8);
    ev.u.conn.ipv6_prefix_len = 60;
    ev.u.conn.ipv6_remote_iid[7] = 9;
    b = format_one(&c, &rec, false);
    assert_true(has_text(&b, "\"client_ipv6\":\"ffff:ffff:ffff:fff0::9\""));
    ev.u.conn.ipv6_prefix_len = 200; /* nonsense: the 8 prefix bytes at most */
    b = format_one(&c, &rec, false);
    assert_true(has_text(&b, "\"client_ipv6\":\"ffff:ffff:ffff:ffff::9\""));
}

/* ---------------------------------------------------------- errors */

static void check_enospc(bool csv)
{
    static rt_event ev;
    static char area[RT_RECORD_MAX + 64];
    rt_format_ctx c = test_ctx();
    rt_record rec = {42, T_US, &ev, "sstp"};
    rt_buf full, b;

    build_conn_stop(&ev);
    full = format_one(&c, &rec, csv);
    for (size_t cap = 0; cap <= full.len + 6; cap++) {
        int rc;
        memset(area, '#', sizeof area);
        rt_buf_init(&b, area, cap);
        if (cap >= 5)
            rt_buf_put(&b, "PREV\n", 5);
        size_t before = b.len;
        rc = csv ? rt_format_csv(&c, &rec, &b) : rt_format_jsonl(&c, &rec, &b);
        if (cap >= before + full.len) {
            assert_int_equal(rc, 0);
            assert_int_equal(b.len, before + full.len);
            assert_memory_equal(area + before, full.p, full.len);
        } else {
            assert_int_equal(rc, RT_ENOSPC);
            assert_int_equal(b.len, before); /* as it was */
            assert_false(b.overflow);
        }
        if (before)
            assert_memory_equal(area, "PREV\n", 5);
        for (size_t k = cap; k < sizeof area; k++)
            assert_int_equal(area[k], '#');
    }
    /* a buffer that had overflowed before keeps saying so */
    rt_buf_init(&b, area, 10);
    b.overflow = true;
    assert_int_equal(rt_format_jsonl(&c, &rec, &b), RT_ENOSPC);
    assert_true(b.overflow);
    assert_int_equal(b.len, 0);
}

static void test_enospc_leaves_buffer(void **state)
{
    (void)state;
    check_enospc(false);
    check_enospc(true);
}

static void test_header(void **state)
{
    static const char want[] =
        "v,seq,instance,time,host,pid,event,callout,connection,user,domain,interface,"
        "remote_computer,duration_s,bytes_in,bytes_out,client_ipv4,client_ipv6,tunnel,auth,"
        "port,ipv4,decision,reason,guid,ipv6,result,count\r\n";
    char small[20];
    rt_buf b;
    (void)state;
    rt_buf_init(&b, outmem, sizeof outmem);
    rt_format_csv_header(&b);
    assert_int_equal(b.len, sizeof want - 1);
    assert_memory_equal(b.p, want, b.len);
    rt_buf_init(&b, small, sizeof small);
    rt_format_csv_header(&b);
    assert_true(b.overflow);
    assert_int_equal(b.len, 0);
}

static void test_invalid_events(void **state)
{
    static rt_event ev;
    rt_format_ctx c = test_ctx();
    rt_record rec = {1, T_US, &ev, NULL};
    rt_buf b;
    (void)state;
    rt_buf_init(&b, outmem, sizeof outmem);
    blank(&ev, RT_EV_NONE, RT_CO_NONE, 0);
    assert_int_equal(rt_format_jsonl(&c, &rec, &b), RT_EINVAL);
    blank(&ev, RT_EV_COUNT_, RT_CO_NONE, 0);
    assert_int_equal(rt_format_jsonl(&c, &rec, &b), RT_EINVAL);
    blank(&ev, RT_EV_CONN_STOP, RT_CO_COUNT_, 0);
    assert_int_equal(rt_format_csv(&c, &rec, &b), RT_EINVAL);
    assert_int_equal(rt_format_jsonl(NULL, &rec, &b), RT_EINVAL);
    assert_int_equal(rt_format_jsonl(&c, NULL, &b), RT_EINVAL);
    assert_int_equal(rt_format_jsonl(&c, &rec, NULL), RT_EINVAL);
    rec.ev = NULL;
    assert_int_equal(rt_format_csv(&c, &rec, &b), RT_EINVAL);
    assert_int_equal(b.len, 0);
    assert_false(b.overflow);
}

/* ---------------------------------------------------------- worst case */

static void fill16(rt_wchar *s, size_t n, rt_wchar u)
{
    for (size_t i = 0; i < n; i++)
        s[i] = u;
}

#define FILL16(arr, u) fill16((arr), sizeof(arr) / sizeof((arr)[0]), (u))

/* Every string of every kind full to its last unit with unit u (or byte c). */
static void fill_worst(rt_event *ev, unsigned kind, rt_wchar u, char c)
{
    memset(ev, 0xFF, sizeof *ev); /* every number at its maximum */
    ev->kind = (uint16_t)kind;
    ev->callout = RT_CO_CONNECTION_HANGUP_EX; /* the longest name */
    ev->has = UINT32_MAX;
    ev->decision = 0;
    ev->reason = 200;
    FILL16(ev->u.conn.user, u);
    FILL16(ev->u.conn.domain, u);
    FILL16(ev->u.conn.interface_name, u);
    FILL16(ev->u.conn.remote_computer, u);
    FILL16(ev->u.conn.client_ipv4, u);
    FILL16(ev->u.conn.server_ipv4, u);
    FILL16(ev->u.conn.endpoint_remote, u);
    FILL16(ev->u.conn.endpoint_local, u);
    ev->u.conn.projection = RT_PROJ_PPP;
    ev->u.conn.auth_proto = 0xC223;
    ev->u.conn.auth_data = 0x81;
    if (kind == RT_EV_LINK_ACCEPT || kind == RT_EV_LINK_STOP) {
        memset(&ev->u.link, 0xFF, sizeof ev->u.link);
        FILL16(ev->u.link.port, u);
        FILL16(ev->u.link.media, u);
        FILL16(ev->u.link.device, u);
        FILL16(ev->u.link.device_type, u);
    }
    if (kind >= RT_EV_IP_ASSIGN && kind <= RT_EV_IPV6_RELEASE) {
        memset(&ev->u.ip, 0xFF, sizeof ev->u.ip);
        ev->u.ip.result = INT32_MIN; /* the longest "win32_<n>" */
        FILL16(ev->u.ip.user, u);
        FILL16(ev->u.ip.port, u);
    }
    if (kind >= RT_EV_EVENTS_DROPPED || kind <= RT_EV_SERVICE_STOP) {
        memset(&ev->u.meta, 0xFF, sizeof ev->u.meta);
        memset(ev->u.meta.key, c, sizeof ev->u.meta.key);
        memset(ev->u.meta.value, c, sizeof ev->u.meta.value);
        memset(ev->u.meta.reason, c, sizeof ev->u.meta.reason);
    }
}

static void test_record_max_worst_case(void **state)
{
    static const rt_wchar units[] = {0x01, 0x2028, 0xD800, 0x20AC, '"'};
    static const char bytes[] = {0x01, (char)0xFF, '"', 0x1F, (char)0xE2};
    static rt_event ev;
    static char version[300], hint[100], area[RT_RECORD_MAX];
    size_t worst[2] = {0, 0};
    struct recs rj, rc;
    rt_format_ctx c;
    rt_buf b;
    (void)state;

    recs_open(&rj);
    recs_open(&rc);
    rt_buf_init(&b, outmem, sizeof outmem);
    rt_format_csv_header(&b);
    recs_write(&rc, &b);
    for (size_t p = 0; p < sizeof units / sizeof units[0]; p++) {
        c = test_ctx();
        memset(c.instance, bytes[p], sizeof c.instance); /* no terminators anywhere */
        memset(c.host, bytes[p], sizeof c.host);
        memset(version, bytes[p], sizeof version - 1);
        memset(hint, bytes[p], sizeof hint - 1);
        c.version = version;
        c.pid = UINT32_MAX;
        for (unsigned kind = 1; kind < RT_EV_COUNT_; kind++) {
            rt_record rec = {UINT64_MAX, INT64_MAX, &ev, hint};
            fill_worst(&ev, kind, units[p], bytes[p]);
            for (int csv = 0; csv < 2; csv++) {
                rt_buf_init(&b, area, sizeof area); /* exactly RT_RECORD_MAX */
                assert_int_equal(csv ? rt_format_csv(&c, &rec, &b) : rt_format_jsonl(&c, &rec, &b),
                                 0);
                worst[csv] = b.len > worst[csv] ? b.len : worst[csv];
                recs_write(csv ? &rc : &rj, &b);
            }
        }
    }
    print_message("worst case: JSON %zu bytes, CSV %zu bytes, RT_RECORD_MAX %d\n", worst[0],
                  worst[1], RT_RECORD_MAX);
    assert_true(worst[0] <= RT_RECORD_MAX);
    assert_true(worst[1] <= RT_RECORD_MAX);
    recs_check(&rj, "jsonvalid");
    recs_check(&rc, "csvvalid");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ipv4_byte_order),
        cmocka_unit_test(test_ipv6_rfc5952),
        cmocka_unit_test(test_ipv6_random_vs_python),
        cmocka_unit_test(test_iid_guid_handle),
        cmocka_unit_test(test_time),
        cmocka_unit_test(test_time_random_vs_python),
        cmocka_unit_test(test_event_names),
        cmocka_unit_test(test_tunnel_from_device),
        cmocka_unit_test(test_connection_stop_json),
        cmocka_unit_test(test_connection_stop_csv),
        cmocka_unit_test(test_conn_kinds_json),
        cmocka_unit_test(test_link_kinds_json),
        cmocka_unit_test(test_ip_kinds_json),
        cmocka_unit_test(test_meta_kinds_json),
        cmocka_unit_test(test_other_kinds_csv),
        cmocka_unit_test(test_absent_fields),
        cmocka_unit_test(test_auth_and_tunnel_mapping),
        cmocka_unit_test(test_enospc_leaves_buffer),
        cmocka_unit_test(test_header),
        cmocka_unit_test(test_invalid_events),
        cmocka_unit_test(test_record_max_worst_case),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
