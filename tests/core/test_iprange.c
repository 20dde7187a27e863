/*
 * test_iprange.c - address text (iprange.h): RAS's DWORD byte order, dotted
 * quads, ranges, CIDR blocks, static-map lines, registry string framing and
 * IPv4 set arithmetic, with hostile inputs: every parser runs on exactly
 * sized heap copies, so ASan reports any read past the given length.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "iprange.h"
#include "netfmt.h"

/* An exactly sized heap copy of ASCII text as UTF-16 (no terminator). */
static rt_wchar *w(const char *s, size_t *n)
{
    *n = strlen(s);
    rt_wchar *p = malloc(*n ? *n * sizeof *p : 1);
    for (size_t i = 0; i < *n; i++)
        p[i] = (unsigned char)s[i];
    return p;
}

static int parse_item(const char *s, bool usable, rt_ipv4_range *r)
{
    size_t n;
    rt_wchar *p = w(s, &n);
    const char *why = NULL;
    int rc = rt_ipv4_parse_item(p, n, usable, r, &why);
    if (rc != RT_OK)
        assert_non_null(why);
    free(p);
    return rc;
}

static uint32_t ip(unsigned a, unsigned b, unsigned c, unsigned d)
{
    return (uint32_t)a << 24 | b << 16 | c << 8 | d;
}

/* RAS's DWORD holds the first octet in its low byte: 0x0100A8C0 is
 * 192.168.0.1. This test pins the order; do not "fix" it. */
static void test_ras_dword_order(void **state)
{
    (void)state;
    assert_int_equal(rt_ipv4_from_ras(0x0100A8C0u), ip(192, 168, 0, 1));
    assert_int_equal(rt_ipv4_to_ras(ip(192, 168, 0, 1)), 0x0100A8C0u);
    /* The callout sample's first pool address, 14.15.10.1, is 0x010A0F0E. */
    assert_int_equal(rt_ipv4_to_ras(ip(14, 15, 10, 1)), 0x010A0F0Eu);
    /* Same convention as the record formatter. */
    char text[RT_IPV4_TEXT_MAX];
    rt_netfmt_ipv4(rt_ipv4_to_ras(ip(10, 1, 2, 3)), text);
    assert_string_equal(text, "10.1.2.3");
    uint32_t a = 1;
    for (int i = 0; i < 100000; i++, a = a * 2654435761u + 7)
        assert_int_equal(rt_ipv4_from_ras(rt_ipv4_to_ras(a)), a);
}

static void test_quads(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        uint32_t want;
    } good[] = {{"0.0.0.0", 0}, {"255.255.255.255", 0xFFFFFFFFu}, {"10.0.0.1", 0x0A000001u},
                {"192.168.100.200", 0xC0A864C8u}};
    static const char *const bad[] = {
        "", ".", "1.2.3", "1.2.3.4.5", "1.2.3.256", "01.2.3.4", "1.2.3.04", "1..3.4", "1.2.3.",
        ".1.2.3", " 1.2.3.4", "1.2.3.4 ", "1.2.3.4x", "1.2.3.-4", "+1.2.3.4", "1.2.3.4444",
        "999999999999.1.1.1", "0x1.2.3.4", "1,2,3,4", "\xef\xbc\x91.2.3.4"};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        size_t n;
        rt_wchar *p = w(good[i].text, &n);
        uint32_t a = 0;
        assert_int_equal(rt_ipv4_parse(p, n, &a, NULL), RT_OK);
        assert_int_equal(a, good[i].want);
        free(p);
    }
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        size_t n;
        rt_wchar *p = w(bad[i], &n);
        uint32_t a;
        const char *why = NULL;
        assert_int_equal(rt_ipv4_parse(p, n, &a, &why), RT_EPARSE);
        assert_non_null(why);
        free(p);
    }
}

static void test_items(void **state)
{
    (void)state;
    rt_ipv4_range r;
    assert_int_equal(parse_item("10.0.0.5", true, &r), RT_OK);
    assert_true(r.lo == ip(10, 0, 0, 5) && r.hi == r.lo);
    assert_int_equal(parse_item(" 10.0.0.20 - 10.0.0.99 ", true, &r), RT_OK);
    assert_true(r.lo == ip(10, 0, 0, 20) && r.hi == ip(10, 0, 0, 99));
    /* CIDR: network and broadcast left out up to /30, kept for /31 and /32. */
    assert_int_equal(parse_item("10.1.0.0/22", true, &r), RT_OK);
    assert_true(r.lo == ip(10, 1, 0, 1) && r.hi == ip(10, 1, 3, 254));
    assert_int_equal(parse_item("10.1.0.0/30", true, &r), RT_OK);
    assert_true(r.lo == ip(10, 1, 0, 1) && r.hi == ip(10, 1, 0, 2));
    assert_int_equal(parse_item("10.1.0.2/31", true, &r), RT_OK);
    assert_true(r.lo == ip(10, 1, 0, 2) && r.hi == ip(10, 1, 0, 3));
    assert_int_equal(parse_item("10.1.0.9/32", true, &r), RT_OK);
    assert_true(r.lo == ip(10, 1, 0, 9) && r.hi == r.lo);
    /* An exclusion block is the whole block, its first and last address too. */
    assert_int_equal(parse_item("10.70.0.128/25", false, &r), RT_OK);
    assert_true(r.lo == ip(10, 70, 0, 128) && r.hi == ip(10, 70, 0, 255));
    assert_int_equal(parse_item("10.1.0.0/30", false, &r), RT_OK);
    assert_true(r.lo == ip(10, 1, 0, 0) && r.hi == ip(10, 1, 0, 3));
    /* Exclusions may name anything; pools only what clients can use. */
    assert_int_equal(parse_item("0.0.0.0/0", false, &r), RT_OK);
    assert_int_equal(parse_item("0.0.0.0/0", true, &r), RT_EPARSE);
    assert_int_equal(parse_item("127.0.0.1", true, &r), RT_EPARSE);
    assert_int_equal(parse_item("224.0.0.0/4", true, &r), RT_EPARSE);
    assert_int_equal(parse_item("223.255.255.0-224.0.0.5", true, &r), RT_EPARSE);
    assert_int_equal(parse_item("126.255.255.250-127.0.0.1", true, &r), RT_EPARSE);
    assert_int_equal(parse_item("1.0.0.0/8", true, &r), RT_OK);

    static const char *const bad[] = {
        "10.0.0.1/24",        /* host bits */
        "10.0.0.0/33", "10.0.0.0/", "10.0.0.0/-1", "10.0.0.0/024", "10.0.0.0/2 4",
        "10.0.0.9-10.0.0.1",  /* backwards */
        "10.0.0.1-", "-10.0.0.1", "10.0.0.1--10.0.0.2", "10.0.0.1-10.0.0.2-10.0.0.3",
        "10.0.0.1/8-10.0.0.2", "10.0.0.0/8/8", "10.0.0.1 10.0.0.2", "", "   ", "/8",
        "10.0.0.0/8 x", "10.0.0.1-10.0.0.2x"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(parse_item(bad[i], false, &r), RT_EPARSE);
}

static void test_static_lines(void **state)
{
    (void)state;
    static const struct {
        const char *line, *name, *value;
    } good[] = {{"alice=10.0.0.7", "alice", "10.0.0.7"},
                {"  CORP\\bob \t=\t 10.0.0.8  ", "CORP\\bob", "10.0.0.8"},
                {"carol@corp.example=10.0.0.9", "carol@corp.example", "10.0.0.9"},
                {"a b=::5", "a b", "::5"}};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        size_t n, nl, vl;
        rt_wchar *p = w(good[i].line, &n);
        const rt_wchar *name, *val;
        assert_int_equal(rt_ipline_split(p, n, &name, &nl, &val, &vl, NULL), RT_OK);
        assert_int_equal(nl, strlen(good[i].name));
        assert_int_equal(vl, strlen(good[i].value));
        for (size_t k = 0; k < nl; k++)
            assert_int_equal(name[k], (unsigned char)good[i].name[k]);
        for (size_t k = 0; k < vl; k++)
            assert_int_equal(val[k], (unsigned char)good[i].value[k]);
        free(p);
    }
    static const char *const bad[] = {"alice", "=10.0.0.1", "alice=", "alice=  ", "  =  ",
                                      "al=ice=10.0.0.1", "a\x01=10.0.0.1"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        size_t n, nl, vl;
        rt_wchar *p = w(bad[i], &n);
        const rt_wchar *name, *val;
        const char *why = NULL;
        assert_int_equal(rt_ipline_split(p, n, &name, &nl, &val, &vl, &why), RT_EPARSE);
        assert_non_null(why);
        free(p);
    }
    /* A name of 256 units is the longest accepted. */
    char longline[300];
    for (size_t len = 256; len <= 257; len++) {
        memset(longline, 'x', len);
        strcpy(longline + len, "=10.0.0.1");
        size_t n, nl, vl;
        rt_wchar *p = w(longline, &n);
        const rt_wchar *name, *val;
        assert_int_equal(rt_ipline_split(p, n, &name, &nl, &val, &vl, NULL),
                         len == 256 ? RT_OK : RT_EPARSE);
        free(p);
    }

    rt_wchar blank[] = {' ', '\t', '#', 'x'};
    assert_true(rt_ipline_is_blank(blank, 2));
    assert_true(rt_ipline_is_blank(blank, 4));
    assert_true(rt_ipline_is_blank(blank, 0));
    rt_wchar nonblank[] = {' ', 'a'};
    assert_false(rt_ipline_is_blank(nonblank, 2));
}

/* REG_MULTI_SZ bytes from strings (each ASCII); `extra` units appended raw. */
static unsigned char *multi(const char *const *s, size_t count, const rt_wchar *extra,
                            size_t nextra, size_t *size)
{
    size_t units = nextra;
    for (size_t i = 0; i < count; i++)
        units += strlen(s[i]) + 1;
    unsigned char *p = malloc(units ? units * 2 : 1);
    size_t u = 0;
    for (size_t i = 0; i < count; i++) {
        for (const char *c = s[i]; *c; c++, u++) {
            p[2 * u] = (unsigned char)*c;
            p[2 * u + 1] = 0;
        }
        p[2 * u] = p[2 * u + 1] = 0;
        u++;
    }
    for (size_t i = 0; i < nextra; i++, u++) {
        p[2 * u] = (unsigned char)(extra[i] & 0xFF);
        p[2 * u + 1] = (unsigned char)(extra[i] >> 8);
    }
    *size = units * 2;
    return p;
}

static int count_lines(const void *data, size_t size, bool is_multi, int *err)
{
    rt_wchar line[64];
    size_t pos = 0, len;
    int n = 0, rc;
    *err = 0;
    while ((rc = rt_regstr_next(data, size, is_multi, &pos, line, 64, &len, NULL)) != 0) {
        if (rc < 0) {
            *err = rc;
            if (rc != RT_ERANGE)
                break;
            continue;
        }
        n++;
    }
    return n;
}

static void test_registry_strings(void **state)
{
    (void)state;
    static const char *const two[] = {"10.0.0.0/24", "10.0.1.0/24"};
    static const rt_wchar term[] = {0};
    static const rt_wchar junk[] = {0, 'x', 0};
    size_t size;
    int err;
    unsigned char *p = multi(two, 2, term, 1, &size); /* well formed */
    assert_int_equal(count_lines(p, size, true, &err), 2);
    assert_int_equal(err, 0);
    free(p);
    p = multi(two, 2, NULL, 0, &size); /* missing the final empty string */
    assert_int_equal(count_lines(p, size, true, &err), 2);
    assert_int_equal(err, 0);
    free(p);
    p = multi(two, 2, junk, 3, &size); /* data after the end of the list */
    assert_int_equal(count_lines(p, size, true, &err), 2);
    assert_int_equal(err, RT_EPARSE);
    free(p);
    p = multi(two, 2, term, 1, &size); /* odd size */
    assert_int_equal(count_lines(p, size - 1, true, &err), 0);
    assert_int_equal(err, RT_EPARSE);
    free(p);
    p = multi(two, 1, NULL, 0, &size); /* no terminator at all */
    assert_int_equal(count_lines(p, size - 2, true, &err), 1);
    assert_int_equal(count_lines(p, size - 2, false, &err), 1);
    free(p);
    assert_int_equal(count_lines(NULL, 0, true, &err), 0);
    assert_int_equal(err, 0);
    /* REG_SZ: one string; what follows its NUL is ignored. */
    p = multi(two, 2, term, 1, &size);
    assert_int_equal(count_lines(p, size, false, &err), 1);
    free(p);
    /* A line longer than the caller's buffer is refused, the next is read. */
    char longer[100];
    memset(longer, '1', 99);
    longer[99] = 0;
    const char *const mixed[] = {longer, "10.0.0.1"};
    p = multi(mixed, 2, term, 1, &size);
    assert_int_equal(count_lines(p, size, true, &err), 1);
    assert_int_equal(err, RT_ERANGE);
    free(p);
}

/* Random units from an alphabet that makes near-misses likely; every call
 * on an exactly sized buffer. */
static void test_hostile_fuzz(void **state)
{
    (void)state;
    static const rt_wchar alphabet[] = {'0', '1', '2', '5', '9', '.', '/', '-', ' ', ',', ':', '=',
                                        '#', 'a', 'F', 0,   0xD800, 0xFFFF, 0x0660, '\t'};
    uint64_t seed = 0x9E3779B97F4A7C15u;
    for (int iter = 0; iter < 200000; iter++) {
        seed = seed * 6364136223846793005u + 1442695040888963407u;
        size_t n = (size_t)(seed >> 58); /* 0..63 */
        rt_wchar *p = malloc(n ? n * sizeof *p : 1);
        uint64_t x = seed;
        for (size_t i = 0; i < n; i++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            p[i] = alphabet[x % (sizeof alphabet / sizeof alphabet[0])];
        }
        rt_ipv4_range r;
        uint32_t a;
        if (rt_ipv4_parse_item(p, n, iter & 1, &r, NULL) == RT_OK)
            assert_true(r.lo <= r.hi);
        if (rt_ipv4_parse(p, n, &a, NULL) == RT_OK) {
            char text[RT_IPV4_TEXT_MAX];
            size_t tl = rt_netfmt_ipv4(rt_ipv4_to_ras(a), text);
            assert_int_equal(tl, n); /* canonical text only: no zeros, no spaces */
        }
        const rt_wchar *nm, *val;
        size_t nl, vl;
        if (rt_ipline_split(p, n, &nm, &nl, &val, &vl, NULL) == RT_OK)
            assert_true(nl >= 1 && vl >= 1 && nm >= p && val + vl <= p + n);
        /* The same bytes as registry data of every framing. */
        size_t pos = 0, len;
        rt_wchar line[16];
        for (int k = 0; k < 100 && rt_regstr_next(p, n * 2, true, &pos, line, 16, &len, NULL);
             k++)
            ;
        pos = 0;
        (void)rt_regstr_next(p, n * 2 - (n > 0), false, &pos, line, 16, &len, NULL);
        free(p);
    }
}

static void test_sets(void **state)
{
    (void)state;
    rt_ipv4_set a = {0}, b = {0};
    assert_int_equal(rt_ipv4_set_add(&a, (rt_ipv4_range){ip(10, 0, 0, 50), ip(10, 0, 0, 60)}), 0);
    assert_int_equal(rt_ipv4_set_add(&a, (rt_ipv4_range){ip(10, 0, 0, 1), ip(10, 0, 0, 10)}), 0);
    assert_int_equal(rt_ipv4_set_add(&a, (rt_ipv4_range){ip(10, 0, 0, 11), ip(10, 0, 0, 20)}), 0);
    assert_int_equal(rt_ipv4_set_add(&a, (rt_ipv4_range){ip(10, 0, 0, 5), ip(10, 0, 0, 7)}), 0);
    rt_ipv4_set_normalize(&a);
    assert_int_equal(a.n, 2); /* 1-20 (adjacent merged), 50-60 */
    assert_int_equal(rt_ipv4_set_count(&a), 31);
    assert_int_equal(rt_ipv4_set_add(&b, (rt_ipv4_range){ip(10, 0, 0, 1), ip(10, 0, 0, 1)}), 0);
    assert_int_equal(rt_ipv4_set_add(&b, (rt_ipv4_range){ip(10, 0, 0, 15), ip(10, 0, 0, 55)}), 0);
    assert_int_equal(rt_ipv4_set_add(&b, (rt_ipv4_range){ip(10, 0, 0, 60), ip(10, 0, 0, 60)}), 0);
    rt_ipv4_set_normalize(&b);
    assert_int_equal(rt_ipv4_set_subtract(&a, &b), 0);
    assert_int_equal(a.n, 2); /* 2-14, 56-59 */
    assert_int_equal(rt_ipv4_set_count(&a), 13 + 4);
    assert_true(rt_ipv4_set_contains(&a, ip(10, 0, 0, 2)));
    assert_false(rt_ipv4_set_contains(&a, ip(10, 0, 0, 1)));
    assert_false(rt_ipv4_set_contains(&a, ip(10, 0, 0, 15)));
    assert_true(rt_ipv4_set_contains(&a, ip(10, 0, 0, 59)));
    assert_false(rt_ipv4_set_contains(&a, ip(10, 0, 0, 60)));
    rt_ipv4_set_free(&a);
    rt_ipv4_set_free(&b);

    /* The edges of the address space. */
    rt_ipv4_set c = {0}, d = {0};
    assert_int_equal(rt_ipv4_set_add(&c, (rt_ipv4_range){0, UINT32_MAX}), 0);
    assert_int_equal(rt_ipv4_set_add(&c, (rt_ipv4_range){5, 9}), 0);
    rt_ipv4_set_normalize(&c);
    assert_int_equal(c.n, 1);
    assert_int_equal(rt_ipv4_set_count(&c), (uint64_t)1 << 32);
    assert_int_equal(rt_ipv4_set_add(&d, (rt_ipv4_range){0, 0}), 0);
    assert_int_equal(rt_ipv4_set_add(&d, (rt_ipv4_range){UINT32_MAX, UINT32_MAX}), 0);
    rt_ipv4_set_normalize(&d);
    assert_int_equal(rt_ipv4_set_subtract(&c, &d), 0);
    assert_int_equal(rt_ipv4_set_count(&c), ((uint64_t)1 << 32) - 2);
    rt_ipv4_set_free(&c);
    rt_ipv4_set_free(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ras_dword_order), cmocka_unit_test(test_quads),
        cmocka_unit_test(test_items),           cmocka_unit_test(test_static_lines),
        cmocka_unit_test(test_registry_strings), cmocka_unit_test(test_hostile_fuzz),
        cmocka_unit_test(test_sets),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
