/*
 * test_utf.c - utf.h: bounded UTF-16 / UTF-8 decoding, conversion, repair.
 *
 * Hand-picked cases pin the rules (surrogates, maximal subparts, cuts at the
 * bound and at the capacity); random inputs are checked against Python's
 * codecs through tests/core/parse_back.py.
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
#include <unistd.h>

#include "utf.h"

#include "parse_back.h"

/* ---------------------------------------------------------- UTF-16 */

static void test_utf16_len(void **state)
{
    static const rt_wchar s[] = {'a', 'b', 0, 'c'};
    (void)state;
    assert_int_equal(rt_utf16_len(NULL, 10), 0);
    assert_int_equal(rt_utf16_len(s, 0), 0);
    assert_int_equal(rt_utf16_len(s, 1), 1);
    assert_int_equal(rt_utf16_len(s, 4), 2);
}

struct case16 {
    rt_wchar in[4];
    size_t n;
    const char *out;
};

static const struct case16 cases16[] = {
    {{'A'}, 1, "A"},
    {{0x00E9}, 1, "\xC3\xA9"},
    {{0x20AC}, 1, "\xE2\x82\xAC"},
    {{0xFFFF}, 1, "\xEF\xBF\xBF"},
    {{0xD83D, 0xDE00}, 2, "\xF0\x9F\x98\x80"},         /* pair */
    {{0xDBFF, 0xDFFF}, 2, "\xF4\x8F\xBF\xBF"},         /* U+10FFFF */
    {{0xD800}, 1, RT_UTF8_REPLACEMENT},                /* lone high */
    {{0xDC00}, 1, RT_UTF8_REPLACEMENT},                /* lone low */
    {{0xD800, 'A'}, 2, RT_UTF8_REPLACEMENT "A"},       /* high, then not low */
    {{0xDC00, 0xD800}, 2, RT_UTF8_REPLACEMENT RT_UTF8_REPLACEMENT}, /* reversed */
    {{0xD800, 0xD800, 0xDC00}, 3, RT_UTF8_REPLACEMENT "\xF0\x90\x80\x80"},
    {{0xD83D, 0xDE00}, 1, RT_UTF8_REPLACEMENT},        /* pair cut by the bound */
    {{0xD83D, 0, 0xDE00}, 3, RT_UTF8_REPLACEMENT},     /* pair cut by a NUL */
    {{'A', 'B', 0, 'C'}, 4, "AB"},
};

static void test_utf16_cases(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof cases16 / sizeof cases16[0]; i++) {
        char out[32];
        size_t n = rt_utf16_to_utf8(cases16[i].in, cases16[i].n, out, sizeof out);
        assert_int_equal(n, strlen(cases16[i].out));
        assert_string_equal(out, cases16[i].out);
    }
}

/* Every capacity: the longest whole-code-point prefix that fits, terminated. */
static void test_utf16_capacity(void **state)
{
    static const rt_wchar s[] = {'a', 0x00E9, 0x20AC, 0xD83D, 0xDE00, 0xD800};
    static const size_t ends[] = {0, 1, 3, 6, 10, 13}; /* byte offsets of code point ends */
    (void)state;
    for (size_t cap = 0; cap <= 16; cap++) {
        char out[24];
        size_t want = 0, n;
        memset(out, '#', sizeof out);
        for (size_t k = 0; k < 6; k++)
            if (cap > 0 && ends[k] <= cap - 1)
                want = ends[k];
        n = rt_utf16_to_utf8(s, 6, out, cap);
        assert_int_equal(n, want);
        if (cap > 0)
            assert_int_equal(out[n], '\0');
        for (size_t k = cap; k < sizeof out; k++)
            assert_int_equal(out[k], '#');
    }
    assert_int_equal(rt_utf16_to_utf8(NULL, 5, NULL, 0), 0);
}

/* A RAS array full to its last unit, no terminator: read all, not one more. */
static void test_utf16_unterminated(void **state)
{
    rt_wchar *s = malloc(RT_LEN_USER * sizeof *s);
    char out[RT_LEN_USER * 3 + 1];
    (void)state;
    assert_non_null(s);
    for (size_t i = 0; i < RT_LEN_USER; i++)
        s[i] = 'x';
    assert_int_equal(rt_utf16_len(s, RT_LEN_USER), RT_LEN_USER);
    assert_int_equal(rt_utf16_to_utf8(s, RT_LEN_USER, out, sizeof out), RT_LEN_USER);
    for (size_t i = 0; i < RT_LEN_USER; i++)
        s[i] = 0x20AC;
    assert_int_equal(rt_utf16_to_utf8(s, RT_LEN_USER, out, sizeof out), 3 * RT_LEN_USER);
    s[RT_LEN_USER - 1] = 0xD800; /* the last unit a high surrogate: its pair is cut */
    assert_int_equal(rt_utf16_to_utf8(s, RT_LEN_USER, out, sizeof out), 3 * RT_LEN_USER);
    assert_memory_equal(out + 3 * (RT_LEN_USER - 1), RT_UTF8_REPLACEMENT, 3);
    free(s);
}

static rt_wchar random_unit(void)
{
    switch (rnd(8)) {
    case 0: return (rt_wchar)(0xD800 + rnd(0x400)); /* high */
    case 1: return (rt_wchar)(0xDC00 + rnd(0x400)); /* low */
    case 2: return (rt_wchar)rnd(0x10000);
    case 3: return (rt_wchar)(0x80 + rnd(0x780));
    case 4: return rnd(40) == 0 ? 0 : (rt_wchar)rnd(0x80);
    default: return (rt_wchar)(0x20 + rnd(0x5F));
    }
}

static void test_utf16_random_vs_python(void **state)
{
    struct batch b;
    (void)state;
    batch_open(&b);
    for (int t = 0; t < 3000; t++) {
        rt_wchar in[24];
        char out[24 * 3 + 1];
        size_t n = 1 + rnd(24), k;
        for (size_t i = 0; i < n; i++)
            in[i] = random_unit();
        k = rt_utf16_to_utf8(in, n, out, sizeof out);
        batch_hex16(&b, in, n);
        batch_sep(&b, '\t');
        batch_hex(&b, out, k);
        batch_sep(&b, '\n');
    }
    batch_check(&b, "utf16");
}

/* ---------------------------------------------------------- UTF-8 */

struct case8 {
    const char *in;
    size_t used;   /* bytes the first decode consumes */
    uint32_t cp;
};

static const struct case8 cases8[] = {
    {"A", 1, 'A'},
    {"\xC3\xA9", 2, 0xE9},
    {"\xE2\x80\xA8", 3, 0x2028},
    {"\xF4\x8F\xBF\xBF", 4, 0x10FFFF},
    {"\xEF\xBF\xBD", 3, 0xFFFD},              /* a real U+FFFD */
    {"\x80", 1, 0xFFFD},                      /* stray continuation */
    {"\xC0\x80", 1, 0xFFFD},                  /* overlong NUL: C0 never valid */
    {"\xC1\xBF", 1, 0xFFFD},
    {"\xE0\x80\x80", 1, 0xFFFD},              /* overlong 3-byte */
    {"\xE0\xA0", 2, 0xFFFD},                  /* truncated 3-byte */
    {"\xED\xA0\x80", 1, 0xFFFD},              /* surrogate D800 */
    {"\xF0\x80\x80\x80", 1, 0xFFFD},          /* overlong 4-byte */
    {"\xF0\x90\x80", 3, 0xFFFD},              /* truncated 4-byte */
    {"\xF4\x90\x80\x80", 1, 0xFFFD},          /* above U+10FFFF */
    {"\xF5\x80\x80\x80", 1, 0xFFFD},
    {"\xFF", 1, 0xFFFD},
    {"\xC3" "A", 1, 0xFFFD},                  /* lead, then ASCII */
};

static void test_utf8_decode(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof cases8 / sizeof cases8[0]; i++) {
        size_t used = 0;
        uint32_t cp = rt_utf8_decode((const unsigned char *)cases8[i].in,
                                     strlen(cases8[i].in), &used);
        assert_int_equal(cp, cases8[i].cp);
        assert_int_equal(used, cases8[i].used);
    }
}

static void test_utf8_encode(void **state)
{
    static const struct {
        uint32_t cp;
        const char *out;
    } enc[] = {
        {0x7F, "\x7F"}, {0x80, "\xC2\x80"}, {0x7FF, "\xDF\xBF"}, {0x800, "\xE0\xA0\x80"},
        {0xFFFF, "\xEF\xBF\xBF"}, {0x10000, "\xF0\x90\x80\x80"},
        {0x10FFFF, "\xF4\x8F\xBF\xBF"}, {0x110000, RT_UTF8_REPLACEMENT},
        {0xD800, RT_UTF8_REPLACEMENT}, {0xDFFF, RT_UTF8_REPLACEMENT},
    };
    (void)state;
    for (size_t i = 0; i < sizeof enc / sizeof enc[0]; i++) {
        char out[4];
        size_t n = rt_utf8_encode(enc[i].cp, out);
        assert_int_equal(n, strlen(enc[i].out));
        assert_memory_equal(out, enc[i].out, n);
    }
}

static void test_utf8_valid(void **state)
{
    (void)state;
    assert_true(rt_utf8_valid(NULL, 3));
    assert_true(rt_utf8_valid("", 1));
    assert_true(rt_utf8_valid("h\xC3\xA9llo \xF0\x9F\x98\x80", 64));
    assert_true(rt_utf8_valid("ok\0\xFF", 4)); /* stops at the NUL */
    assert_true(rt_utf8_valid("\xC3\xA9", 2));
    assert_false(rt_utf8_valid("\xC3\xA9", 1)); /* cut by the bound */
    for (size_t i = 0; i < sizeof cases8 / sizeof cases8[0]; i++) /* a real U+FFFD is valid */
        assert_int_equal(rt_utf8_valid(cases8[i].in, 8),
                         cases8[i].cp != 0xFFFD || strcmp(cases8[i].in, RT_UTF8_REPLACEMENT) == 0);
}

static void test_utf8_sanitize_capacity(void **state)
{
    /* a, é, bad byte (FFFD), € ; code point ends at 1, 3, 6, 9 bytes out */
    static const char in[] = "a\xC3\xA9\xFF\xE2\x82\xAC";
    static const size_t ends[] = {0, 1, 3, 6, 9};
    (void)state;
    for (size_t cap = 0; cap <= 12; cap++) {
        char out[16];
        size_t want = 0, n;
        memset(out, '#', sizeof out);
        for (size_t k = 0; k < 5; k++)
            if (cap > 0 && ends[k] <= cap - 1)
                want = ends[k];
        n = rt_utf8_sanitize(in, sizeof in - 1, out, cap);
        assert_int_equal(n, want);
        if (cap > 0)
            assert_int_equal(out[n], '\0');
        for (size_t k = cap; k < sizeof out; k++)
            assert_int_equal(out[k], '#');
    }
}

static void test_utf8_random_vs_python(void **state)
{
    static const unsigned char interesting[] = {0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0,
                                                0xC1, 0xC2, 0xDF, 0xE0, 0xE1, 0xED, 0xEF,
                                                0xF0, 0xF4, 0xF5, 0xFF};
    struct batch b;
    (void)state;
    batch_open(&b);
    for (int t = 0; t < 4000; t++) {
        unsigned char in[20];
        char out[20 * 3 + 1], copy[21];
        size_t n = 1 + rnd(20), k;
        for (size_t i = 0; i < n; i++) {
            unsigned r = rnd(10);
            in[i] = r < 5 ? interesting[rnd(sizeof interesting)]
                  : r < 9 ? (unsigned char)(0x80 + rnd(0x40))
                          : (unsigned char)rnd(0x80);
        }
        k = rt_utf8_sanitize((const char *)in, n, out, sizeof out);
        /* valid exactly when repair changes nothing */
        memcpy(copy, in, n);
        copy[n] = '\0';
        assert_int_equal(rt_utf8_valid((const char *)in, n),
                         strlen(copy) == k && memcmp(copy, out, k) == 0);
        batch_hex(&b, in, n);
        batch_sep(&b, '\t');
        batch_hex(&b, out, k);
        batch_sep(&b, '\n');
    }
    batch_check(&b, "utf8fix");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_utf16_len),
        cmocka_unit_test(test_utf16_cases),
        cmocka_unit_test(test_utf16_capacity),
        cmocka_unit_test(test_utf16_unterminated),
        cmocka_unit_test(test_utf16_random_vs_python),
        cmocka_unit_test(test_utf8_decode),
        cmocka_unit_test(test_utf8_encode),
        cmocka_unit_test(test_utf8_valid),
        cmocka_unit_test(test_utf8_sanitize_capacity),
        cmocka_unit_test(test_utf8_random_vs_python),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
