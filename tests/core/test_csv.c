/*
 * test_csv.c - csv.h: RFC 4180 cells with formula defusing. Exact bytes for
 * the quoting and defusing rules; Python's csv module reads every cell back
 * (tests/core/parse_back.py).
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

#include "csv.h"
#include "utf.h"

#include "parse_back.h"

/* ---------------------------------------------------------- cases */

struct cell_case {
    const char *in;
    bool defuse;
    const char *out;
};

static const struct cell_case cells[] = {
    {"abc", true, "abc"},
    {"", true, ""},
    {"mid space", true, "mid space"},
    {"a,b", true, "\"a,b\""},
    {"a\"b", true, "\"a\"\"b\""},
    {"\"", true, "\"\"\"\""},
    {"a\r\nb", true, "\"a\r\nb\""},
    {"a\nb", true, "\"a\nb\""},
    {"a\rb", true, "\"a\rb\""},
    {" lead", true, "\" lead\""},
    {"trail ", true, "\"trail \""},
    {" ", true, "\" \""},
    {"=1+2", true, "'=1+2"},
    {"+x", true, "'+x"},
    {"-5", true, "'-5"},
    {"@SUM(A1)", true, "'@SUM(A1)"},
    {"\tx", true, "'\tx"},
    {"\rx", true, "\"'\rx\""},
    {"=a,b", true, "\"'=a,b\""},
    {"=HYPERLINK(\"http://x\")", true, "\"'=HYPERLINK(\"\"http://x\"\")\""},
    {"a=b", true, "a=b"},
    {"'=x", true, "'=x"},
    {"\"=x\"", true, "\"\"\"=x\"\"\""},
    {" =x", true, "\" =x\""},
    {"=1+2", false, "=1+2"},
    {"-5", false, "-5"},
    {"\rx", false, "\"\rx\""},
    {"\xFF,", true, "\"" RT_UTF8_REPLACEMENT ",\""},
    {"=\xC3\xA9", true, "'=\xC3\xA9"},
    {"\xE2\x80\xA8", true, "\xE2\x80\xA8"},
};

static char mem[4096];

static void test_cells_utf8(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof cells / sizeof cells[0]; i++) {
        rt_buf b;
        rt_buf_init(&b, mem, sizeof mem);
        assert_true(rt_csv_cell_utf8(&b, cells[i].in, strlen(cells[i].in) + 1, cells[i].defuse));
        assert_int_equal(b.len, strlen(cells[i].out));
        assert_memory_equal(b.p, cells[i].out, b.len);
    }
}

/* The same cells from UTF-16 (the non-ASCII ones widened by hand). */
static void test_cells_utf16(void **state)
{
    static const rt_wchar pair[] = {'=', 0xD83D, 0xDE00, ','};
    static const rt_wchar lone[] = {0xDC00, '"', 0xD800};
    rt_buf b;
    (void)state;
    for (size_t i = 0; i < sizeof cells / sizeof cells[0]; i++) {
        rt_wchar w[64];
        size_t n = strlen(cells[i].in);
        if (!rt_utf8_valid(cells[i].in, n) || strchr(cells[i].in, '\xE2') != NULL ||
            strchr(cells[i].in, '\xC3') != NULL)
            continue;
        for (size_t k = 0; k <= n; k++)
            w[k] = (unsigned char)cells[i].in[k];
        rt_buf_init(&b, mem, sizeof mem);
        assert_true(rt_csv_cell_utf16(&b, w, n + 1, cells[i].defuse));
        assert_int_equal(b.len, strlen(cells[i].out));
        assert_memory_equal(b.p, cells[i].out, b.len);
    }
    rt_buf_init(&b, mem, sizeof mem);
    assert_true(rt_csv_cell_utf16(&b, pair, 4, true));
    assert_true(rt_csv_cell_utf16(&b, pair, 2, true)); /* the bound cuts the pair */
    assert_true(rt_csv_cell_utf16(&b, lone, 3, true));
    assert_true(rt_csv_cell_utf16(&b, NULL, 3, true));
    assert_true(rt_csv_cell_utf8(&b, NULL, 3, true));
    static const char want[] = "\"'=\xF0\x9F\x98\x80,\"" "'=" RT_UTF8_REPLACEMENT
                               "\"" RT_UTF8_REPLACEMENT "\"\"" RT_UTF8_REPLACEMENT "\"";
    assert_int_equal(b.len, sizeof want - 1);
    assert_memory_equal(b.p, want, b.len);
}

static void test_unterminated_max_length(void **state)
{
    rt_wchar *s = malloc(RT_LEN_USER * sizeof *s);
    rt_buf b;
    (void)state;
    assert_non_null(s);
    for (size_t i = 0; i < RT_LEN_USER; i++)
        s[i] = '"';
    rt_buf_init(&b, mem, sizeof mem);
    assert_true(rt_csv_cell_utf16(&b, s, RT_LEN_USER, true));
    assert_int_equal(b.len, 2 * RT_LEN_USER + 2);
    for (size_t i = 0; i < RT_LEN_USER; i++)
        s[i] = 0xD800;
    s[0] = '=';
    s[1] = ' ';
    s[RT_LEN_USER - 1] = ' ';
    rt_buf_init(&b, mem, sizeof mem);
    assert_true(rt_csv_cell_utf16(&b, s, RT_LEN_USER, true));
    assert_int_equal(b.len, 3 + 1 + 1 + 3 * (RT_LEN_USER - 3) + 1);
    assert_true(b.len <= RT_CSV_MAX_PER_UNIT * RT_LEN_USER + 3);
    free(s);
}

static void check_every_cap(bool utf16)
{
    static const char in8[] = "=a\"b,\xC3\xA9\xFF ";
    static const rt_wchar in16[] = {'=', 'a', '"', 'b', ',', 0xE9, 0xDC00, ' ', 0xD83D, 0xDE00};
    char full[64], area[96];
    size_t full_len;
    rt_buf b;

    rt_buf_init(&b, full, sizeof full);
    assert_true(utf16 ? rt_csv_cell_utf16(&b, in16, 10, true)
                      : rt_csv_cell_utf8(&b, in8, sizeof in8, true));
    full_len = b.len;
    for (size_t cap = 0; cap <= full_len + 3; cap++) {
        size_t before;
        bool ok;
        memset(area, '#', sizeof area);
        rt_buf_init(&b, area, cap);
        if (cap >= 1)
            rt_buf_putc(&b, ',');
        before = b.len;
        ok = utf16 ? rt_csv_cell_utf16(&b, in16, 10, true)
                   : rt_csv_cell_utf8(&b, in8, sizeof in8, true);
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

/* ---------------------------------------------------------- Python */

static void test_cases_parse_back(void **state)
{
    struct batch t;
    (void)state;
    batch_open(&t);
    for (size_t i = 0; i < sizeof cells / sizeof cells[0]; i++) {
        rt_buf b;
        rt_buf_init(&b, mem, sizeof mem);
        assert_true(rt_csv_cell_utf8(&b, cells[i].in, strlen(cells[i].in), cells[i].defuse));
        batch_hex(&t, cells[i].in, strlen(cells[i].in));
        batch_sep(&t, '\t');
        batch_hex(&t, b.p, b.len);
        fprintf(t.f, "\t%d\n", cells[i].defuse);
    }
    batch_check(&t, "csv8");
}

static void test_random_parse_back(void **state)
{
    static const char alphabet[] = ",\"\r\n =+-@\tab'";
    struct batch t8, t16;
    (void)state;
    batch_open(&t8);
    batch_open(&t16);
    for (int i = 0; i < 3000; i++) {
        unsigned char in[16];
        rt_wchar w[16];
        size_t n = rnd(17);
        bool defuse = rnd(4) != 0;
        rt_buf b;
        for (size_t k = 0; k < n; k++) {
            uint32_t r = rnd(8);
            in[k] = (unsigned char)(r < 5 ? (unsigned char)alphabet[rnd(sizeof alphabet - 1)]
                                          : r < 7 ? 0x80 + rnd(0x80) : 1 + rnd(0x7F));
            w[k] = (rt_wchar)(r < 5 ? (unsigned char)alphabet[rnd(sizeof alphabet - 1)]
                              : r == 5 ? 0xD800 + rnd(0x800) : r == 6 ? rnd(0x10000)
                                                                      : 1 + rnd(0x7F));
        }
        rt_buf_init(&b, mem, sizeof mem);
        assert_true(rt_csv_cell_utf8(&b, (const char *)in, n, defuse));
        batch_hex(&t8, in, n);
        batch_sep(&t8, '\t');
        batch_hex(&t8, b.p, b.len);
        fprintf(t8.f, "\t%d\n", defuse);
        rt_buf_init(&b, mem, sizeof mem);
        assert_true(rt_csv_cell_utf16(&b, w, n, defuse));
        batch_hex16(&t16, w, n);
        batch_sep(&t16, '\t');
        batch_hex(&t16, b.p, b.len);
        fprintf(t16.f, "\t%d\n", defuse);
    }
    batch_check(&t8, "csv8");
    batch_check(&t16, "csv16");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cells_utf8),
        cmocka_unit_test(test_cells_utf16),
        cmocka_unit_test(test_unterminated_max_length),
        cmocka_unit_test(test_every_capacity),
        cmocka_unit_test(test_cases_parse_back),
        cmocka_unit_test(test_random_parse_back),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
