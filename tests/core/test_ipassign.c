/*
 * test_ipassign.c - address decisions over snapshots (ipassign.h), from
 * registry-shaped settings to assign and release: modes, static first,
 * the two conflict policies, exhaustion, releases that are not ours, IPv6
 * static and stable identifiers, reloads that keep leases and never hand
 * out removed addresses, and a 4-thread race of 10^6 operations with a
 * fifth thread swapping snapshots, checked by an independent owner table
 * (every address held by at most one session at any time).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "iid.h"
#include "ipassign.h"
#include "iprange.h"

enum { REG_SZ = 1, REG_BINARY = 3, REG_MULTI_SZ = 7 };

static const uint8_t holder_key[16] = {0x51, 0x7a, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
static const uint8_t iid_key[16] = {0xA5, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};

static uint32_t ip(unsigned a, unsigned b, unsigned c, unsigned d)
{
    return (uint32_t)a << 24 | b << 16 | c << 8 | d;
}

/* ---------------------------------------------------- registry values */

typedef struct value {
    unsigned char *data;
    size_t size, cap;
} value;

static void put_unit(value *v, rt_wchar c)
{
    if (v->size + 2 > v->cap) {
        v->cap = v->cap ? v->cap * 2 : 256;
        v->data = realloc(v->data, v->cap);
    }
    v->data[v->size++] = (unsigned char)(c & 0xFF);
    v->data[v->size++] = (unsigned char)(c >> 8);
}

/* Appends one string of a REG_MULTI_SZ (ASCII or 2-byte UTF-8) and its NUL. */
static void put_line(value *v, const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        rt_wchar c = *p++;
        if (c >= 0xC0) {
            c = (rt_wchar)((c & 0x1F) << 6 | (*p++ & 0x3F));
        }
        put_unit(v, c);
    }
    put_unit(v, 0);
}

static value multi(const char *const *lines, size_t n)
{
    value v = {0};
    for (size_t i = 0; i < n; i++)
        put_line(&v, lines[i]);
    put_unit(&v, 0);
    return v;
}

static value sz(const char *s)
{
    value v = {0};
    put_line(&v, s);
    return v;
}

typedef struct problems {
    unsigned n;
    char last[512];
} problems;

static void on_problem(void *ctx, const char *key, const char *val, const char *reason)
{
    problems *p = ctx;
    p->n++;
    snprintf(p->last, sizeof p->last, "%s [%s]: %s", key, val, reason);
}

static int set_value(rt_ip_settings *s, const char *name, uint32_t type, value v, problems *p)
{
    int rc = rt_ip_settings_value(s, name, type, v.data, v.size, on_problem, p);
    free(v.data);
    return rc;
}

/* Settings from name/REG_MULTI_SZ-lines pairs; modes as REG_SZ. */
static rt_ip_settings *settings(const char *mode4, const char *mode6, problems *p)
{
    rt_ip_settings *s;
    assert_int_equal(rt_ip_settings_create(&s), RT_OK);
    if (mode4)
        assert_int_equal(set_value(s, "Ipv4Mode", REG_SZ, sz(mode4), p), RT_OK);
    if (mode6)
        assert_int_equal(set_value(s, "IPV6MODE", REG_SZ, sz(mode6), p), RT_OK);
    rt_ip_settings_set_iid_key(s, iid_key);
    return s;
}

static rt_ip_snapshot *build(rt_ip_state *st, rt_ip_settings *s)
{
    problems p = {0};
    rt_ip_snapshot *snap = NULL;
    int rc = rt_ip_snapshot_build(st, s, on_problem, &p, &snap);
    if (rc != RT_OK)
        print_error("build: %s\n", p.last);
    assert_int_equal(rc, RT_OK);
    assert_int_equal(p.n, 0);
    return snap;
}

/* ------------------------------------------------------------ callers */

typedef struct who_buf {
    rt_wchar user[64], port[16];
    rt_ip_who who;
} who_buf;

static const rt_ip_who *who(who_buf *b, const char *user, const char *port)
{
    size_t i = 0;
    for (; user[i]; i++)
        b->user[i] = (unsigned char)user[i];
    b->who.user = b->user;
    b->who.user_len = i;
    for (i = 0; port[i]; i++)
        b->port[i] = (unsigned char)port[i];
    b->who.port = b->port;
    b->who.port_len = i;
    return &b->who;
}

static rt_ip_outcome get4(rt_ip_state *st, const rt_ip_snapshot *snap, const char *user,
                          const char *port, uint32_t offered)
{
    who_buf b;
    rt_ip_outcome o;
    rt_ip_assign_v4(st, snap, who(&b, user, port), offered, &o);
    return o;
}

static int rel4(rt_ip_state *st, const char *user, const char *port, uint32_t addr, uint8_t *src)
{
    who_buf b;
    return rt_ip_release_v4(st, who(&b, user, port), addr, src);
}

static rt_ip_state *state(void)
{
    rt_ip_state *st;
    assert_int_equal(rt_ip_state_create(holder_key, 0, &st), RT_OK);
    return st;
}

/* --------------------------------------------------------------- tests */

static void test_settings_problems(void **state_)
{
    (void)state_;
    rt_ip_settings *s;
    problems p = {0};
    assert_int_equal(rt_ip_settings_create(&s), RT_OK);
    assert_true(rt_ip_settings_knows("ipv4pools"));
    assert_false(rt_ip_settings_knows("RingSize"));
    assert_int_equal(set_value(s, "RingSize", REG_SZ, sz("1"), &p), RT_ENOENT);
    assert_int_equal(set_value(s, "Ipv4Mode", REG_SZ, sz(" Assign "), &p), RT_OK);
    assert_int_equal(set_value(s, "Ipv4Mode", REG_SZ, sz("on"), &p), RT_EINVAL);
    assert_int_equal(set_value(s, "Ipv4Mode", REG_MULTI_SZ, multi((const char *[]){"off"}, 1), &p),
                     RT_EINVAL);
    assert_int_equal(set_value(s, "Ipv4StaticConflict", REG_SZ, sz("REFUSE"), &p), RT_OK);
    assert_int_equal(set_value(s, "Ipv6StaticConflict", REG_SZ, sz("drop"), &p), RT_EINVAL);
    p.n = 0;
    static const char *const statics[] = {"alice=10.0.0.7", "# comment",      "  ",
                                          "bob=10.0.0.256", "carol",          "ALICE=10.0.0.8",
                                          "dave=127.0.0.1", "eve = 10.0.0.9 "};
    assert_int_equal(set_value(s, "Ipv4Static", REG_MULTI_SZ, multi(statics, 8), &p), RT_EINVAL);
    assert_int_equal(p.n, 4); /* bob, carol, ALICE (duplicate), dave */
    p.n = 0;
    static const char *const pools[] = {"10.0.1.0/24, 10.0.2.0/24", "10.0.3.10-10.0.3.20",
                                        "10.0.4.1/24", "224.0.0.0/8", "10.0.5.0/24,,"};
    assert_int_equal(set_value(s, "Ipv4Pools", REG_MULTI_SZ, multi(pools, 5), &p), RT_EINVAL);
    assert_int_equal(p.n, 4); /* host bits, multicast, two empty items */
    p.n = 0;
    assert_int_equal(set_value(s, "Ipv4Pools", 4 /* REG_DWORD */, sz("x"), &p), RT_EINVAL);
    assert_int_equal(p.n, 1);
    p.n = 0;
    static const char *const v6[] = {"alice=::1", "bob=::", "carol=0200:5eff:fe00:5213",
                                     "dave=::2", "eve=1:2:3:4:5"};
    assert_int_equal(set_value(s, "Ipv6Static", REG_MULTI_SZ, multi(v6, 5), &p), RT_EINVAL);
    assert_int_equal(p.n, 4);
    p.n = 0;
    assert_int_equal(set_value(s, "Ipv6IidKey", REG_SZ, sz("00112233445566778899aabbccddeeff"), &p),
                     RT_OK);
    assert_true(rt_ip_settings_has_iid_key(s));
    assert_int_equal(set_value(s, "Ipv6IidKey", REG_SZ, sz("0011"), &p), RT_EINVAL);
    assert_int_equal(set_value(s, "Ipv6IidKey", REG_SZ, sz("zz112233445566778899aabbccddeeff"), &p),
                     RT_EINVAL);
    value bin = {malloc(16), 16, 16};
    memset(bin.data, 7, 16);
    assert_int_equal(set_value(s, "Ipv6IidKey", REG_BINARY, bin, &p), RT_OK);
    /* Hostile framing: odd size, junk after the list. */
    unsigned char odd[] = {'1', 0, '0'};
    p.n = 0;
    assert_int_equal(rt_ip_settings_value(s, "Ipv4Exclude", REG_MULTI_SZ, odd, 3, on_problem, &p),
                     RT_EINVAL);
    unsigned char junk[] = {'1', 0, 0, 0, 0, 0, 'x', 0};
    assert_int_equal(rt_ip_settings_value(s, "Ipv4Exclude", REG_MULTI_SZ, junk, 8, on_problem, &p),
                     RT_EINVAL);
    assert_int_equal(rt_ip_settings_value(s, "Ipv4Exclude", REG_MULTI_SZ, NULL, 9, on_problem, &p),
                     RT_OK); /* NULL data reads as empty */
    rt_ip_settings_free(s);
}

static void test_build_problems(void **state_)
{
    (void)state_;
    rt_ip_state *st = state();
    problems p = {0};
    rt_ip_snapshot *snap = NULL;
    /* Two users with one address. */
    rt_ip_settings *s = settings("assign", NULL, &p);
    static const char *const statics[] = {"alice=10.0.0.7", "bob=10.0.0.7"};
    assert_int_equal(set_value(s, "Ipv4Static", REG_MULTI_SZ, multi(statics, 2), &p), RT_OK);
    assert_int_equal(rt_ip_snapshot_build(st, s, on_problem, &p, &snap), RT_EINVAL);
    assert_null(snap);
    assert_int_equal(p.n, 1);
    assert_non_null(strstr(p.last, "10.0.0.7"));
    /* IPv6 assign without a key. */
    p.n = 0;
    assert_int_equal(rt_ip_settings_create(&s), RT_OK);
    assert_int_equal(set_value(s, "Ipv6Mode", REG_SZ, sz("assign"), &p), RT_OK);
    assert_int_equal(rt_ip_snapshot_build(st, s, on_problem, &p, &snap), RT_EINVAL);
    assert_int_equal(p.n, 1);
    /* A refused value makes the whole settings refused, reported once. */
    p.n = 0;
    s = settings("assign", NULL, &p);
    assert_int_equal(set_value(s, "Ipv4Pools", REG_SZ, sz("10.0.0.1/24"), &p), RT_EINVAL);
    assert_int_equal(p.n, 1);
    assert_int_equal(rt_ip_snapshot_build(st, s, on_problem, &p, &snap), RT_EINVAL);
    assert_null(snap);
    assert_int_equal(p.n, 1);
    /* Pools too large for the lease directory. */
    p.n = 0;
    s = settings("assign", NULL, &p);
    static const char *const huge[] = {"1.0.0.0/8", "2.0.0.0/8"};
    assert_int_equal(set_value(s, "Ipv4Pools", REG_MULTI_SZ, multi(huge, 2), &p), RT_OK);
    assert_int_equal(rt_ip_snapshot_build(st, s, on_problem, &p, &snap), RT_ENOSPC);
    assert_int_equal(p.n, 1);
    rt_ip_state_destroy(st);
}

static void test_modes(void **state_)
{
    (void)state_;
    rt_ip_state *st = state();
    problems p = {0};
    rt_ip_outcome o;
    /* No snapshot yet, off, observe: RAS's proposal stands, release asked for. */
    o = get4(st, NULL, "alice", "VPN1-0", ip(192, 168, 0, 5));
    assert_true(o.ipv4 == ip(192, 168, 0, 5) && o.source == RT_SRC_RAS && o.notify && !o.replaced);
    for (int m = 0; m < 2; m++) {
        rt_ip_settings *s = settings(m ? "observe" : "off", "observe", &p);
        static const char *const statics[] = {"alice=10.0.0.7"};
        assert_int_equal(set_value(s, "Ipv4Static", REG_MULTI_SZ, multi(statics, 1), &p), RT_OK);
        rt_ip_snapshot *snap = build(st, s);
        assert_int_equal(rt_ip_snapshot_mode(snap, RT_IP_V4), m ? RT_IP_OBSERVE : RT_IP_OFF);
        o = get4(st, snap, "alice", "VPN1-0", ip(192, 168, 0, 5));
        assert_true(o.ipv4 == ip(192, 168, 0, 5) && o.source == RT_SRC_RAS && o.result == 0);
        o = get4(st, snap, "alice", "VPN1-0", 0); /* RAS proposed nothing: nothing to keep */
        assert_true(o.ipv4 == 0 && o.result == 0 && o.notify);
        /* A release of RAS's own address is not ours. */
        assert_int_equal(rel4(st, "alice", "VPN1-0", ip(192, 168, 0, 5), NULL), RT_ENOENT);
        rt_ip_snapshot_free(snap);
    }
    assert_int_equal(rt_ip_snapshot_mode(NULL, RT_IP_V4), RT_IP_OFF);
    rt_ip_state_destroy(st);
}

static void test_static_then_pool(void **state_)
{
    (void)state_;
    rt_ip_state *st = state();
    problems p = {0};
    rt_ip_settings *s = settings("assign", NULL, &p);
    static const char *const statics[] = {"CORP\\alice=10.1.0.7", "bob=10.1.0.8",
                                          "carol=10.9.9.9"};
    static const char *const pools[] = {"10.1.0.0/29"}; /* .1 - .6, plus .7 static: excluded */
    assert_int_equal(set_value(s, "Ipv4Static", REG_MULTI_SZ, multi(statics, 3), &p), RT_OK);
    assert_int_equal(set_value(s, "Ipv4Pools", REG_MULTI_SZ, multi(pools, 1), &p), RT_OK);
    assert_int_equal(set_value(s, "Ipv4Exclude", REG_SZ, sz("10.1.0.3"), &p), RT_OK);
    rt_ip_snapshot *snap = build(st, s);
    rt_ip_summary sum;
    rt_ip_summarize(st, snap, &sum);
    assert_int_equal(sum.v4_pool, 5); /* 1, 2, 4, 5, 6 */
    assert_int_equal(sum.v4_static, 3);

    rt_ip_outcome o = get4(st, snap, "alice", "VPN2-1", ip(192, 168, 0, 9)); /* rule 3 */
    assert_true(o.ipv4 == ip(10, 1, 0, 7) && o.source == RT_SRC_STATIC && o.result == 0);
    assert_true(o.notify && o.replaced);
    o = get4(st, snap, "Bob", "VPN2-2", 0);
    assert_true(o.ipv4 == ip(10, 1, 0, 8) && o.source == RT_SRC_STATIC);
    /* carol's static address lies outside every pool: fine. */
    o = get4(st, snap, "LAB\\carol", "VPN2-3", 0); /* rule 2 */
    assert_true(o.ipv4 == ip(10, 9, 9, 9) && o.source == RT_SRC_STATIC);
    /* bob again while the first session holds 10.1.0.8: conflict -> pool (default). */
    o = get4(st, snap, "bob", "VPN2-4", 0);
    assert_true(o.source == RT_SRC_POOL && o.ipv4 == ip(10, 1, 0, 1));
    uint32_t seen = 0;
    /* The pool never yields a static or an excluded address, and runs dry. */
    for (unsigned i = 0; i < 4; i++) {
        char user[16];
        snprintf(user, sizeof user, "x%u", i);
        o = get4(st, snap, user, "P", 0);
        assert_int_equal(o.result, 0);
        assert_true(o.ipv4 != ip(10, 1, 0, 3) && o.ipv4 != ip(10, 1, 0, 7));
        seen |= 1u << (o.ipv4 & 31);
    }
    assert_int_equal(seen, (1u << 2) | (1u << 4) | (1u << 5) | (1u << 6));
    o = get4(st, snap, "y", "P", ip(192, 168, 0, 1));
    assert_true(o.ipv4 == 0 && o.result == RT_EEXHAUSTED && !o.notify);
    /* Release rules: the holder must match; double, foreign, zero are ignored. */
    uint8_t src = 99;
    assert_int_equal(rel4(st, "bob", "VPN2-9", ip(10, 1, 0, 8), NULL), RT_EACCES); /* wrong port */
    assert_int_equal(rel4(st, "eve", "VPN2-2", ip(10, 1, 0, 8), NULL), RT_EACCES); /* wrong user */
    assert_int_equal(rel4(st, "BOB", "VPN2-2", ip(10, 1, 0, 8), &src), RT_OK); /* case folds */
    assert_int_equal(src, RT_SRC_STATIC);
    assert_int_equal(rel4(st, "bob", "VPN2-2", ip(10, 1, 0, 8), &src), RT_ENOENT);
    assert_int_equal(src, RT_SRC_RAS);
    assert_int_equal(rel4(st, "bob", "VPN2-4", ip(10, 1, 0, 1), &src), RT_OK);
    assert_int_equal(src, RT_SRC_POOL);
    assert_int_equal(rel4(st, "bob", "VPN2-4", 0, NULL), RT_EINVAL);
    assert_int_equal(rt_ip_release_v4(st, NULL, ip(10, 1, 0, 2), NULL), RT_EACCES);
    uint64_t c[RT_IPC_COUNT];
    rt_ip_counters(st, c);
    assert_int_equal(c[RT_IPC_ASSIGNED_STATIC], 3);
    assert_int_equal(c[RT_IPC_ASSIGNED_POOL], 5);
    assert_int_equal(c[RT_IPC_REFUSED_EXHAUSTED], 1);
    assert_int_equal(c[RT_IPC_STATIC_FELL_BACK], 1);
    assert_int_equal(c[RT_IPC_RELEASED], 2);
    assert_int_equal(c[RT_IPC_RELEASE_IGNORED], 5);
    rt_ip_snapshot_free(snap);
    rt_ip_state_destroy(st);
}

static void test_refuse_and_no_pool(void **state_)
{
    (void)state_;
    rt_ip_state *st = state();
    problems p = {0};
    rt_ip_settings *s = settings("assign", NULL, &p);
    static const char *const statics[] = {"alice=10.2.0.7"};
    assert_int_equal(set_value(s, "Ipv4Static", REG_MULTI_SZ, multi(statics, 1), &p), RT_OK);
    assert_int_equal(set_value(s, "Ipv4StaticConflict", REG_SZ, sz("refuse"), &p), RT_OK);
    rt_ip_snapshot *snap = build(st, s);
    rt_ip_outcome o = get4(st, snap, "alice", "A", 0);
    assert_true(o.ipv4 == ip(10, 2, 0, 7) && o.result == 0);
    o = get4(st, snap, "alice", "B", ip(192, 168, 0, 1));
    assert_true(o.ipv4 == 0 && o.result == RT_EBUSY && !o.notify);
    /* No pool configured: users without a static entry keep RAS's proposal... */
    o = get4(st, snap, "bob", "C", ip(192, 168, 0, 1));
    assert_true(o.ipv4 == ip(192, 168, 0, 1) && o.source == RT_SRC_RAS && o.result == 0);
    /* ... and are refused when RAS proposed nothing. */
    o = get4(st, snap, "bob", "C", 0);
    assert_true(o.ipv4 == 0 && o.result == RT_EEXHAUSTED);
    assert_int_equal(rel4(st, "alice", "A", ip(10, 2, 0, 7), NULL), RT_OK);
    o = get4(st, snap, "alice", "B", 0);
    assert_true(o.ipv4 == ip(10, 2, 0, 7) && o.result == 0);
    rt_ip_snapshot_free(snap);
    rt_ip_state_destroy(st);
}

/* The lease holder names user and port without ambiguity, whatever units
 * they contain; names longer than RT_IPMAP_NAME_MAX never match a static
 * entry but still lease and release from the pool. */
static void test_holder_names(void **state_)
{
    (void)state_;
    rt_ip_state *st = state();
    problems p = {0};
    rt_ip_settings *s = settings("assign", NULL, &p);
    static const char *const pools[] = {"10.3.0.0/29"};
    char long_line[300];
    memset(long_line, 'x', 256);
    strcpy(long_line + 256, "=10.4.0.1");
    const char *const statics[] = {long_line};
    assert_int_equal(set_value(s, "Ipv4Pools", REG_MULTI_SZ, multi(pools, 1), &p), RT_OK);
    assert_int_equal(set_value(s, "Ipv4Static", REG_MULTI_SZ, multi(statics, 1), &p), RT_OK);
    rt_ip_snapshot *snap = build(st, s);

    /* user "a<U+FFFF>b" on port "c" against user "a" on port "b<U+FFFF>c". */
    rt_wchar u1[] = {'a', 0xFFFF, 'b'}, p1[] = {'c'}, u2[] = {'a'}, p2[] = {'b', 0xFFFF, 'c'};
    rt_ip_who w1 = {u1, 3, p1, 1}, w2 = {u2, 1, p2, 3};
    rt_ip_outcome o;
    rt_ip_assign_v4(st, snap, &w1, 0, &o);
    assert_true(o.result == 0 && o.source == RT_SRC_POOL);
    assert_int_equal(rt_ip_release_v4(st, &w2, o.ipv4, NULL), RT_EACCES);
    assert_int_equal(rt_ip_release_v4(st, &w1, o.ipv4, NULL), RT_OK);

    /* 256 units: the static entry; 257 and 300 units: the pool. */
    rt_wchar name[300];
    for (size_t i = 0; i < 300; i++)
        name[i] = i % 2 ? 'x' : 'X';
    rt_wchar port[] = {'P', '1'};
    rt_ip_who exact = {name, 256, port, 2}, longer = {name, 257, port, 1},
              longest = {name, 300, port + 1, 1};
    rt_ip_assign_v4(st, snap, &exact, 0, &o);
    assert_true(o.result == 0 && o.source == RT_SRC_STATIC && o.ipv4 == ip(10, 4, 0, 1));
    rt_ip_outcome o2, o3;
    rt_ip_assign_v4(st, snap, &longer, 0, &o2);
    assert_true(o2.result == 0 && o2.source == RT_SRC_POOL);
    rt_ip_assign_v4(st, snap, &longest, 0, &o3);
    assert_true(o3.result == 0 && o3.source == RT_SRC_POOL && o3.ipv4 != o2.ipv4);
    assert_int_equal(rt_ip_release_v4(st, &longest, o3.ipv4, NULL), RT_OK);
    assert_int_equal(rt_ip_release_v4(st, &longer, o2.ipv4, NULL), RT_OK);
    assert_int_equal(rt_ip_release_v4(st, &exact, o.ipv4, NULL), RT_OK);
    rt_ip_snapshot_free(snap);
    rt_ip_state_destroy(st);
}

/* A reload keeps leases valid; a removed address is never handed out again. */
static void test_reload(void **state_)
{
    (void)state_;
    rt_ip_state *st = state();
    problems p = {0};
    rt_ip_settings *s = settings("assign", NULL, &p);
    assert_int_equal(set_value(s, "Ipv4Pools", REG_SZ, sz("10.3.0.1-10.3.0.8"), &p), RT_OK);
    static const char *const statics1[] = {"alice=10.3.1.1", "bob=10.3.1.2"};
    assert_int_equal(set_value(s, "Ipv4Static", REG_MULTI_SZ, multi(statics1, 2), &p), RT_OK);
    rt_ip_snapshot *one = build(st, s);
    uint32_t got[8];
    for (unsigned i = 0; i < 8; i++) {
        char user[8];
        snprintf(user, sizeof user, "u%u", i);
        got[i] = get4(st, one, user, "P", 0).ipv4;
        assert_int_equal(got[i], ip(10, 3, 0, 1 + i));
    }
    assert_int_equal(get4(st, one, "alice", "P", 0).ipv4, ip(10, 3, 1, 1));

    /* Reload: the pool moves to .5 - .12, alice's static address is gone,
     * 10.3.0.1 becomes bob's static address. */
    s = settings("assign", NULL, &p);
    assert_int_equal(set_value(s, "Ipv4Pools", REG_SZ, sz("10.3.0.5-10.3.0.12"), &p), RT_OK);
    static const char *const statics2[] = {"bob=10.3.0.1", "carol=10.3.1.1"};
    assert_int_equal(set_value(s, "Ipv4Static", REG_MULTI_SZ, multi(statics2, 2), &p), RT_OK);
    rt_ip_snapshot *two = build(st, s);
    assert_true(rt_ip_snapshot_digest(one) != rt_ip_snapshot_digest(two));
    rt_ip_summary sum;
    rt_ip_summarize(st, two, &sum);
    assert_int_equal(sum.v4_live, 9);
    assert_int_equal(sum.v4_live_outside, 3); /* .2 .3 .4 of the old pool; .1 is bob's now */
    rt_ip_snapshot_free(one);

    /* Old leases block their addresses under the new configuration. */
    rt_ip_outcome o = get4(st, two, "bob", "P", 0); /* 10.3.0.1 still held by u0 */
    assert_true(o.source == RT_SRC_POOL && o.ipv4 == ip(10, 3, 0, 9));
    o = get4(st, two, "carol", "P", 0); /* 10.3.1.1 still held by alice */
    assert_true(o.source == RT_SRC_POOL && o.ipv4 == ip(10, 3, 0, 10));
    /* Old leases are released through the new configuration. */
    for (unsigned i = 0; i < 8; i++) {
        char user[8];
        snprintf(user, sizeof user, "u%u", i);
        assert_int_equal(rel4(st, user, "P", got[i], NULL), RT_OK);
    }
    assert_int_equal(rel4(st, "alice", "P", ip(10, 3, 1, 1), NULL), RT_OK);
    /* The removed addresses .2 - .4 never come back; the rest do. */
    uint32_t mask = 0;
    for (unsigned i = 0; i < 16; i++) {
        char user[8];
        snprintf(user, sizeof user, "v%u", i);
        o = get4(st, two, user, "P", 0);
        if (o.result != 0)
            break;
        assert_true(o.ipv4 >= ip(10, 3, 0, 5) && o.ipv4 <= ip(10, 3, 0, 12));
        mask |= 1u << (o.ipv4 & 31);
    }
    assert_int_equal(mask, 0x1FE0u & ~(1u << 9) & ~(1u << 10)); /* 5..12 minus bob's and carol's */
    assert_int_equal(get4(st, two, "bob", "Q", 0).ipv4, ip(10, 3, 0, 1)); /* now free: static */
    rt_ip_snapshot_free(two);
    rt_ip_state_destroy(st);
}

static void test_ipv6(void **state_)
{
    (void)state_;
    rt_ip_state *st = state();
    problems p = {0};
    rt_ip_settings *s = settings(NULL, "assign", &p);
    static const char *const statics[] = {"alice=::a1", "CORP\\bob=0211:22ff:fe33:4455"};
    assert_int_equal(set_value(s, "Ipv6Static", REG_MULTI_SZ, multi(statics, 2), &p), RT_OK);
    rt_ip_snapshot *snap = build(st, s);
    who_buf b;
    rt_ip_outcome o, o2;
    rt_ip_assign_v6(st, snap, who(&b, "ALICE", "P1"), 0x1234, &o);
    assert_true(o.iid == 0xA1 && o.source == RT_SRC_STATIC && o.result == 0 && o.replaced);
    rt_ip_assign_v6(st, snap, who(&b, "bob", "P2"), 0, &o);
    assert_true(o.iid == 0x021122FFFE334455u && o.source == RT_SRC_STATIC);
    /* Stable per user: the same identifier after a release, another user differs. */
    rt_ip_assign_v6(st, snap, who(&b, "carol", "P3"), 0, &o);
    assert_true(o.source == RT_SRC_POOL && o.result == 0 && rt_iid_usable(o.iid));
    assert_int_equal(rt_ip_release_v6(st, who(&b, "carol", "P3"), o.iid, NULL), RT_OK);
    rt_ip_assign_v6(st, snap, who(&b, "Carol", "P9"), 0, &o2);
    assert_int_equal(o2.iid, o.iid);
    /* A second live session of carol gets another identifier. */
    rt_ip_outcome o3;
    rt_ip_assign_v6(st, snap, who(&b, "carol", "P4"), 0, &o3);
    assert_true(o3.result == 0 && o3.iid != o.iid);
    /* alice's static identifier is held: conflict pool -> her stable one. */
    rt_ip_assign_v6(st, snap, who(&b, "alice", "P5"), 0, &o);
    assert_true(o.source == RT_SRC_POOL && o.iid != 0xA1 && o.result == 0);
    /* Releases: wrong holder, unknown, double, zero. */
    uint8_t src;
    assert_int_equal(rt_ip_release_v6(st, who(&b, "alice", "P9"), 0xA1, NULL), RT_EACCES);
    assert_int_equal(rt_ip_release_v6(st, who(&b, "alice", "P1"), 0xA1, &src), RT_OK);
    assert_int_equal(src, RT_SRC_STATIC);
    assert_int_equal(rt_ip_release_v6(st, who(&b, "alice", "P1"), 0xA1, NULL), RT_ENOENT);
    assert_int_equal(rt_ip_release_v6(st, who(&b, "alice", "P1"), 0, NULL), RT_EINVAL);
    assert_int_equal(rt_ip_release_v6(st, who(&b, "x", "P1"), 0x77, NULL), RT_ENOENT);
    /* Generated identifiers never collide with static ones and are never reserved. */
    for (unsigned i = 0; i < 2000; i++) {
        char user[16];
        snprintf(user, sizeof user, "g%u", i);
        rt_ip_assign_v6(st, snap, who(&b, user, "G"), 0, &o);
        assert_int_equal(o.result, 0);
        assert_true(rt_iid_usable(o.iid) && (o.iid >> 32) != 0 && o.iid != 0xA1);
    }
    rt_ip_summary sum;
    rt_ip_summarize(st, snap, &sum);
    assert_int_equal(sum.v6_live, 2004);
    assert_int_equal(sum.v6_static, 2);
    rt_ip_snapshot_free(snap);

    /* refuse policy */
    s = settings(NULL, "assign", &p);
    assert_int_equal(set_value(s, "Ipv6StaticConflict", REG_SZ, sz("refuse"), &p), RT_OK);
    static const char *const again[] = {"bob=0211:22ff:fe33:4455"};
    assert_int_equal(set_value(s, "Ipv6Static", REG_MULTI_SZ, multi(again, 1), &p), RT_OK);
    snap = build(st, s);
    rt_ip_assign_v6(st, snap, who(&b, "bob", "P7"), 0, &o);
    assert_true(o.result == RT_EBUSY && o.iid == 0 && !o.notify);
    rt_ip_snapshot_free(snap);
    rt_ip_state_destroy(st);
}

/* ---------------------------------------------------------------- race */

enum {
    THREADS = 4,
    OPS_PER_THREAD = 250000, /* 10^6 in all */
    USERS = 40,              /* per thread; 8 of them shared by all threads */
    SHARED = 8,
    SNAPS = 3,
};

typedef struct race {
    rt_ip_state *st;
    rt_ip_snapshot *snaps[SNAPS];
    _Atomic(rt_ip_snapshot *) current;
    atomic_int stop;
    _Atomic uint32_t owner[1024]; /* 10.5.0.0/22 and the statics in 10.5.3.x: 0 or thread+1 */
    _Atomic uint64_t twice, outside, ok, refused, bad_release, swaps;
} race;

typedef struct racer {
    race *r;
    unsigned id;
} racer;

/* What snapshot i may hand out: pool i and the statics of snapshot i. */
static bool allowed(unsigned snap, uint32_t a)
{
    uint32_t off = a - ip(10, 5, 0, 0);
    if (off >= 1024)
        return false;
    if (off >= 3 * 256) /* statics: 10.5.3.0 - 10.5.3.7 in every snapshot */
        return off - 3 * 256 < SHARED;
    static const uint32_t lo[SNAPS] = {1, 100, 1}, hi[SNAPS] = {300, 400, 600};
    return off >= lo[snap] && off <= hi[snap];
}

static void *run_racer(void *arg)
{
    racer *me = arg;
    race *r = me->r;
    char names[USERS][16], port[8];
    uint32_t held[USERS] = {0};
    snprintf(port, sizeof port, "VPN-%u", me->id);
    for (unsigned k = 0; k < USERS; k++)
        snprintf(names[k], sizeof names[k], k < SHARED ? "shared%u" : "t%uu%u", k < SHARED ? k : me->id,
                 k);
    uint64_t x = 0x9E3779B97F4A7C15u * (me->id + 7);
    for (unsigned op = 0; op < OPS_PER_THREAD; op++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        unsigned k = (unsigned)(x >> 32) % USERS;
        if (held[k] == 0) {
            /* Acquire pairs with the swapper's release store. */
            rt_ip_snapshot *snap = atomic_load_explicit(&r->current, memory_order_acquire);
            unsigned si = 0;
            while (r->snaps[si] != snap)
                si++;
            rt_ip_outcome o = get4(r->st, snap, names[k], port, 0);
            if (o.result != 0) {
                atomic_fetch_add(&r->refused, 1);
                continue;
            }
            if (!allowed(si, o.ipv4))
                atomic_fetch_add(&r->outside, 1);
            uint32_t off = (o.ipv4 - ip(10, 5, 0, 0)) & 1023;
            if (atomic_exchange(&r->owner[off], me->id + 1) != 0)
                atomic_fetch_add(&r->twice, 1);
            atomic_fetch_add(&r->ok, 1);
            held[k] = o.ipv4;
        } else {
            uint32_t off = (held[k] - ip(10, 5, 0, 0)) & 1023;
            atomic_store(&r->owner[off], 0); /* before the release makes reuse possible */
            if (rel4(r->st, names[k], port, held[k], NULL) != RT_OK)
                atomic_fetch_add(&r->bad_release, 1);
            /* A second release of the same address is always refused. */
            if (rel4(r->st, names[k], port, held[k], NULL) == RT_OK)
                atomic_fetch_add(&r->bad_release, 1);
            held[k] = 0;
        }
    }
    for (unsigned k = 0; k < USERS; k++) {
        if (!held[k])
            continue;
        atomic_store(&r->owner[(held[k] - ip(10, 5, 0, 0)) & 1023], 0);
        if (rel4(r->st, names[k], port, held[k], NULL) != RT_OK)
            atomic_fetch_add(&r->bad_release, 1);
    }
    return NULL;
}

static void *run_swapper(void *arg)
{
    race *r = arg;
    for (unsigned i = 1; !atomic_load_explicit(&r->stop, memory_order_acquire); i++) {
        /* Release pairs with the racers' acquire loads: they see a snapshot
         * fully built. Snapshots are freed only after the join (the grace
         * period of the real configuration). */
        atomic_store_explicit(&r->current, r->snaps[i % SNAPS], memory_order_release);
        atomic_fetch_add(&r->swaps, 1);
        for (int k = 0; k < 200; k++)
            sched_yield();
    }
    return NULL;
}

static void test_race(void **state_)
{
    (void)state_;
    static race r;
    memset(&r, 0, sizeof r);
    r.st = state();
    static const char *const pools[SNAPS] = {"10.5.0.1-10.5.1.44", "10.5.0.100-10.5.1.144",
                                             "10.5.0.1-10.5.2.88"};
    static const char *const statics[SHARED] = {"shared0=10.5.3.0", "shared1=10.5.3.1",
                                                "shared2=10.5.3.2", "shared3=10.5.3.3",
                                                "shared4=10.5.3.4", "shared5=10.5.3.5",
                                                "shared6=10.5.3.6", "shared7=10.5.3.7"};
    for (unsigned i = 0; i < SNAPS; i++) {
        problems p = {0};
        rt_ip_settings *s = settings("assign", NULL, &p);
        assert_int_equal(set_value(s, "Ipv4Pools", REG_SZ, sz(pools[i]), &p), RT_OK);
        assert_int_equal(set_value(s, "Ipv4Static", REG_MULTI_SZ, multi(statics, SHARED), &p),
                         RT_OK);
        if (i == 1)
            assert_int_equal(set_value(s, "Ipv4StaticConflict", REG_SZ, sz("refuse"), &p), RT_OK);
        r.snaps[i] = build(r.st, s);
    }
    atomic_store(&r.current, r.snaps[0]);
    pthread_t t[THREADS], sw;
    racer args[THREADS];
    assert_int_equal(pthread_create(&sw, NULL, run_swapper, &r), 0);
    for (unsigned i = 0; i < THREADS; i++) {
        args[i] = (racer){&r, i};
        assert_int_equal(pthread_create(&t[i], NULL, run_racer, &args[i]), 0);
    }
    for (unsigned i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
    atomic_store(&r.stop, 1);
    pthread_join(sw, NULL);
    printf("  %u threads x %u ops, %llu snapshot swaps: %llu leases, %llu refused, "
           "%llu held twice, %llu outside their snapshot, %llu bad releases\n",
           THREADS, OPS_PER_THREAD, (unsigned long long)r.swaps, (unsigned long long)r.ok,
           (unsigned long long)r.refused, (unsigned long long)r.twice,
           (unsigned long long)r.outside, (unsigned long long)r.bad_release);
    assert_int_equal(r.twice, 0);
    assert_int_equal(r.outside, 0);
    assert_int_equal(r.bad_release, 0);
    assert_true(r.ok > 100000);
    rt_ip_summary sum;
    rt_ip_summarize(r.st, r.snaps[0], &sum);
    assert_int_equal(sum.v4_live, 0); /* every release returned its address */
    for (unsigned i = 0; i < SNAPS; i++)
        rt_ip_snapshot_free(r.snaps[i]);
    rt_ip_state_destroy(r.st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_settings_problems), cmocka_unit_test(test_build_problems),
        cmocka_unit_test(test_modes),             cmocka_unit_test(test_static_then_pool),
        cmocka_unit_test(test_refuse_and_no_pool), cmocka_unit_test(test_reload),
        cmocka_unit_test(test_ipv6),              cmocka_unit_test(test_race),
        cmocka_unit_test(test_holder_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
