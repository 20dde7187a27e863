/*
 * test_json.c - json.h: string literals from UTF-8 and bounded UTF-16,
 * integers. Exact bytes for each escape class; Python's json module reads
 * everything back (tests/core/parse_back.py).
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

#include "json.h"
#include "utf.h"

#include "parse_back.h"

/* ---------------------------------------------------------- helpers */

static char mem[8192];

static rt_buf fresh(void)
{
    rt_buf b;
    rt_buf_init(&b, mem, sizeof mem);
    return b;
}

static void expect(const rt_buf *b, const char *want)
{
    assert_false(b->overflow);
    assert_int_equal(b->len, strlen(want));
    assert_memory_equal(b->p, want, b->len);
}

static void json8_is(const char *in, size_t n, const char *want)
{
    rt_buf b = fresh();
    assert_true(rt_json_str(&b, in, n));
    expect(&b, want);
}

static void json16_is(const rt_wchar *in, size_t n, const char *want)
{
    rt_buf b = fresh();
    assert_true(rt_json_str_utf16(&b, in, n));
    expect(&b, want);
}

/* The expected literal of one ASCII character, from RFC 8259 section 7. */
static void ascii_literal(unsigned c, char *out)
{
    const char *shortform = NULL;
    switch (c) {
    case 0x08: shortform = "\\b"; break;
    case 0x09: shortform = "\\t"; break;
    case 0x0A: shortform = "\\n"; break;
    case 0x0C: shortform = "\\f"; break;
    case 0x0D: shortform = "\\r"; break;
    case 0x22: shortform = "\\\""; break;
    case 0x5C: shortform = "\\\\"; break;
    default: break;
    }
    if (shortform != NULL)
        snprintf(out, 16, "\"%s\"", shortform);
    else if (c < 0x20 || c == 0x7F)
        snprintf(out, 16, "\"\\u%04x\"", c);
    else
        snprintf(out, 16, "\"%c\"", (char)c);
}

/* ---------------------------------------------------------- escapes */

static void test_every_ascii_char(void **state)
{
    (void)state;
    for (unsigned c = 0; c < 0x80; c++) {
        char ch = (char)c, want[16];
        rt_wchar w = (rt_wchar)c;
        ascii_literal(c, want);
        json8_is(&ch, 1, want);
        json16_is(&w, 1, c == 0 ? "\"\"" : want); /* a NUL unit ends the string */
    }
    json8_is("/", 1, "\"/\""); /* solidus is not escaped */
}

static void test_line_separators(void **state)
{
    static const rt_wchar ls[] = {0x2028, 0x2029, 0x2027, 0x202A};
    (void)state;
    json8_is("\xE2\x80\xA8", 3, "\"\\u2028\"");
    json8_is("\xE2\x80\xA9", 3, "\"\\u2029\"");
    json8_is("\xE2\x80\xA7\xE2\x80\xAA", 6, "\"\xE2\x80\xA7\xE2\x80\xAA\"");
    json16_is(ls, 4, "\"\\u2028\\u2029\xE2\x80\xA7\xE2\x80\xAA\"");
}

static void test_invalid_utf8(void **state)
{
    (void)state;
    json8_is("\xFF", 1, "\"" RT_UTF8_REPLACEMENT "\"");
    json8_is("a\xC3", 2, "\"a" RT_UTF8_REPLACEMENT "\"");
    json8_is("\xC3\"", 2, "\"" RT_UTF8_REPLACEMENT "\\\"\"");
    json8_is("\xED\xA0\x80", 3,
             "\"" RT_UTF8_REPLACEMENT RT_UTF8_REPLACEMENT RT_UTF8_REPLACEMENT "\"");
    json8_is("\xC0\x8A", 2, "\"" RT_UTF8_REPLACEMENT RT_UTF8_REPLACEMENT "\""); /* overlong LF */
    json8_is("\xC3\xA9\xF0\x9F\x98\x80", 6, "\"\xC3\xA9\xF0\x9F\x98\x80\"");
}

static void test_surrogates(void **state)
{
    static const rt_wchar pair[] = {0xD83D, 0xDE00};
    static const rt_wchar high_a[] = {0xD800, 'a'};
    static const rt_wchar low[] = {0xDC00};
    static const rt_wchar two_high_pair[] = {0xD800, 0xD800, 0xDC00};
    (void)state;
    json16_is(pair, 2, "\"\xF0\x9F\x98\x80\"");
    json16_is(pair, 1, "\"" RT_UTF8_REPLACEMENT "\""); /* the bound cuts the pair */
    json16_is(high_a, 2, "\"" RT_UTF8_REPLACEMENT "a\"");
    json16_is(low, 1, "\"" RT_UTF8_REPLACEMENT "\"");
    json16_is(two_high_pair, 3, "\"" RT_UTF8_REPLACEMENT "\xF0\x90\x80\x80\"");
}

static void test_nul_and_null(void **state)
{
    rt_buf b = fresh();
    (void)state;
    json8_is("a\0b", 3, "\"a\\u0000b\"");
    assert_true(rt_json_strz(&b, "a\0b", 3));
    expect(&b, "\"a\"");
    b = fresh();
    assert_true(rt_json_strz(&b, "abcdef", 3)); /* unterminated, bounded */
    expect(&b, "\"abc\"");
    b = fresh();
    assert_true(rt_json_strz(&b, NULL, 3));
    assert_true(rt_json_str(&b, NULL, 0));
    assert_true(rt_json_str_utf16(&b, NULL, 3));
    expect(&b, "\"\"\"\"\"\"");
}

static void test_unterminated_max_length(void **state)
{
    rt_wchar *s = malloc(RT_LEN_USER * sizeof *s); /* exactly the array: ASan sees overreads */
    rt_buf b = fresh();
    (void)state;
    assert_non_null(s);
    for (size_t i = 0; i < RT_LEN_USER; i++)
        s[i] = 'a';
    assert_true(rt_json_str_utf16(&b, s, RT_LEN_USER));
    assert_int_equal(b.len, RT_LEN_USER + 2);
    for (size_t i = 0; i < RT_LEN_USER; i++)
        s[i] = 0x01;
    b = fresh();
    assert_true(rt_json_str_utf16(&b, s, RT_LEN_USER));
    assert_int_equal(b.len, RT_JSON_MAX_PER_UNIT * RT_LEN_USER + 2);
    free(s);
}

/* ---------------------------------------------------------- capacity */

/* For every capacity: all or nothing, never a byte past cap. */
static void check_every_cap(bool utf16)
{
    static const char in8[] = "a\"\x01\xE2\x80\xA8\xC3\xA9\xFFz\\\x7F";
    static const rt_wchar in16[] = {'a', '"', 1, 0x2028, 0xE9, 0xD800, 'z', '\\', 0x7F,
                                    0xD83D, 0xDE00};
    char full[128], area[160];
    size_t full_len;
    rt_buf b;

    rt_buf_init(&b, full, sizeof full);
    assert_true(utf16 ? rt_json_str_utf16(&b, in16, 11) : rt_json_str(&b, in8, sizeof in8 - 1));
    full_len = b.len;
    for (size_t cap = 0; cap <= full_len + 4; cap++) {
        bool ok;
        memset(area, '#', sizeof area);
        rt_buf_init(&b, area, cap);
        if (cap >= 2)
            rt_buf_put(&b, "XY", 2); /* something already in the buffer */
        size_t before = b.len;
        ok = utf16 ? rt_json_str_utf16(&b, in16, 11) : rt_json_str(&b, in8, sizeof in8 - 1);
        assert_int_equal(ok, cap >= before + full_len);
        assert_int_equal(b.overflow, !ok);
        assert_int_equal(b.len, ok ? before + full_len : before);
        if (ok)
            assert_memory_equal(area + before, full, full_len);
        for (size_t k = cap; k < sizeof area; k++)
            assert_int_equal(area[k], '#');
    }
}

static void test_every_capacity(void **state)
{
    (void)state;
    check_every_cap(false);
    check_every_cap(true);
}

static void test_integers(void **state)
{
    rt_buf b = fresh();
    (void)state;
    assert_true(rt_json_u64(&b, 0));
    assert_true(RT_BUF_LIT(&b, " "));
    assert_true(rt_json_u64(&b, UINT64_MAX));
    assert_true(RT_BUF_LIT(&b, " "));
    assert_true(rt_json_i64(&b, INT64_MIN));
    assert_true(RT_BUF_LIT(&b, " "));
    assert_true(rt_json_i64(&b, -1));
    assert_true(RT_BUF_LIT(&b, " "));
    assert_true(rt_json_i64(&b, INT64_MAX));
    assert_true(RT_BUF_LIT(&b, " "));
    assert_true(rt_json_u64(&b, 1000000));
    assert_true(rt_json_bool(&b, true));
    assert_true(rt_json_bool(&b, false));
    expect(&b, "0 18446744073709551615 -9223372036854775808 -1 9223372036854775807 "
               "1000000truefalse");
    rt_buf_init(&b, mem, 19);
    assert_false(rt_json_u64(&b, UINT64_MAX));
    assert_int_equal(b.len, 0);
    assert_true(b.overflow);
}

/* ---------------------------------------------------------- Python */

static void test_all_classes_parse_back(void **state)
{
    static const rt_wchar specials[] = {0x2028, 0x2029, 0x7F, 0xD83D, 0xDE00, 0xDFFF,
                                        0xD800, 0xFFFE, 0x00A0, 0x0085};
    unsigned char all[256];
    rt_wchar units[0x80 + 10];
    struct batch t;
    rt_buf b = fresh();
    (void)state;

    for (unsigned i = 0; i < 256; i++)
        all[i] = (unsigned char)i;
    for (unsigned i = 1; i < 0x80; i++)
        units[i - 1] = (rt_wchar)i;
    memcpy(units + 0x7F, specials, sizeof specials);

    batch_open(&t);
    assert_true(rt_json_str(&b, (const char *)all, 256)); /* every byte value, NUL included */
    batch_hex(&t, all, 256);
    batch_sep(&t, '\t');
    batch_hex(&t, b.p, b.len);
    batch_sep(&t, '\n');
    batch_check(&t, "json8");

    b = fresh();
    batch_open(&t);
    assert_true(rt_json_str_utf16(&b, units, sizeof units / sizeof units[0]));
    batch_hex16(&t, units, sizeof units / sizeof units[0]);
    batch_sep(&t, '\t');
    batch_hex(&t, b.p, b.len);
    batch_sep(&t, '\n');
    batch_check(&t, "json16");
}

static void test_random_parse_back(void **state)
{
    struct batch t8, t16;
    (void)state;
    batch_open(&t8);
    batch_open(&t16);
    for (int i = 0; i < 3000; i++) {
        unsigned char in[24];
        rt_wchar w[24];
        size_t n = rnd(25);
        rt_buf b = fresh();
        for (size_t k = 0; k < n; k++) {
            uint32_t r = rnd(6);
            in[k] = (unsigned char)(r == 0 ? rnd(0x20) : r < 3 ? 0x80 + rnd(0x80) : rnd(0x80));
            w[k] = (rt_wchar)(r == 0 ? 1 + rnd(0x1F) : r == 1 ? 0xD800 + rnd(0x800)
                              : r == 2 ? 0x2020 + rnd(16) : r == 3 ? rnd(0x10000) : rnd(0x80));
        }
        assert_true(rt_json_str(&b, (const char *)in, n));
        batch_hex(&t8, in, n);
        batch_sep(&t8, '\t');
        batch_hex(&t8, b.p, b.len);
        batch_sep(&t8, '\n');
        b = fresh();
        assert_true(rt_json_str_utf16(&b, w, n));
        batch_hex16(&t16, w, n);
        batch_sep(&t16, '\t');
        batch_hex(&t16, b.p, b.len);
        batch_sep(&t16, '\n');
    }
    batch_check(&t8, "json8");
    batch_check(&t16, "json16");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_ascii_char),
        cmocka_unit_test(test_line_separators),
        cmocka_unit_test(test_invalid_utf8),
        cmocka_unit_test(test_surrogates),
        cmocka_unit_test(test_nul_and_null),
        cmocka_unit_test(test_unterminated_max_length),
        cmocka_unit_test(test_every_capacity),
        cmocka_unit_test(test_integers),
        cmocka_unit_test(test_all_classes_parse_back),
        cmocka_unit_test(test_random_parse_back),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
