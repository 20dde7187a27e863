/*
 * test_ipmap.c - the static map (ipmap.h): case folding, the three
 * matching rules and their precedence, duplicates, limits, and a
 * 100 000-entry map whose every name is found and whose probe length
 * stays short.
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
#include "ipmap.h"

/* UTF-16 from UTF-8 (BMP only: what the tests need). */
static size_t w(rt_wchar *out, const char *s)
{
    size_t n = 0;
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        uint32_t c = *p++;
        if (c >= 0xE0) {
            c = (c & 0x0F) << 12 | (uint32_t)(p[0] & 0x3F) << 6 | (p[1] & 0x3F);
            p += 2;
        } else if (c >= 0xC0) {
            c = (c & 0x1F) << 6 | (p[0] & 0x3F);
            p += 1;
        }
        out[n++] = (rt_wchar)c;
    }
    return n;
}

static int add(rt_ipmap *m, const char *name, uint64_t v)
{
    rt_wchar buf[300];
    return rt_ipmap_add(m, buf, w(buf, name), v, NULL);
}

static int look(const rt_ipmap *m, const char *name, uint64_t *v)
{
    rt_wchar buf[300];
    *v = 0;
    return rt_ipmap_lookup(m, buf, w(buf, name), v);
}

static void test_fold(void **state)
{
    (void)state;
    static const struct {
        const char *upper, *lower;
    } pairs[] = {{"ALICE", "alice"},     {"ÀÉÎÕÜ", "àéîõü"}, {"ŁĄŻ", "łąż"}, {"ĽĹŇ", "ľĺň"},
                 {"ΑΒΓΣ", "αβγσ"},       {"ΆΈΏ", "άέώ"},     {"ς", "σ"},     {"ЖУРНАЛ", "журнал"},
                 {"ЁЇЂ", "ёїђ"},         {"Ѣ", "ѣ"},         {"ＡＢＣ", "ａｂｃ"}, {"Ÿ", "ÿ"}};
    for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++) {
        rt_wchar u[16], l[16];
        size_t n = w(u, pairs[i].upper);
        assert_int_equal(w(l, pairs[i].lower), n);
        for (size_t k = 0; k < n; k++) {
            assert_int_equal(rt_ipmap_fold_unit(u[k]), l[k]);
            assert_int_equal(rt_ipmap_fold_unit(l[k]), l[k]); /* folding is idempotent */
        }
    }
    /* Not letters, or without a simple pair: unchanged. */
    static const rt_wchar same[] = {'\\', '@', '0', 0xD7, 0xDF, 0x130, 0x131, 0x138, 0x149, 0x17F,
                                    0x4E00, 0xD800, 0xFFFF};
    for (size_t i = 0; i < sizeof same / sizeof same[0]; i++)
        assert_int_equal(rt_ipmap_fold_unit(same[i]), same[i]);
}

static void test_bare(void **state)
{
    (void)state;
    static const struct {
        const char *name, *bare;
        bool qualified;
    } cases[] = {{"alice", "alice", false},
                 {"CORP\\alice", "alice", true},
                 {"alice@corp.example", "alice", true},
                 {"CORP\\alice@x", "alice", true},
                 {"a\\b\\carol", "carol", true},
                 {"x@y@z", "x@y", true},
                 {"CORP\\", "", true}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        rt_wchar buf[64], want[64];
        size_t n = w(buf, cases[i].name), wn = w(want, cases[i].bare), off, len;
        bool q;
        rt_ipmap_bare(buf, n, &off, &len, &q);
        assert_int_equal(len, wn);
        assert_memory_equal(buf + off, want, wn * sizeof *want);
        assert_int_equal(q, cases[i].qualified);
    }
}

static void test_rules(void **state)
{
    (void)state;
    rt_ipmap *m;
    uint64_t v;
    assert_int_equal(rt_ipmap_create(&m), RT_OK);
    assert_int_equal(add(m, "CORP\\Alice", 1), RT_OK);
    assert_int_equal(add(m, "bob", 2), RT_OK);
    assert_int_equal(add(m, "CORP\\bob", 3), RT_OK);
    assert_int_equal(add(m, "carol@corp.example", 4), RT_OK);
    assert_int_equal(add(m, "LAB\\dave", 5), RT_OK);
    assert_int_equal(add(m, "CORP\\dave", 6), RT_OK);
    assert_int_equal(add(m, "Éva", 7), RT_OK);
    assert_int_equal(rt_ipmap_finish(m), RT_OK);
    assert_int_equal(rt_ipmap_count(m), 7);

    /* Rule 1: the exact name, case-insensitively. */
    assert_int_equal(look(m, "corp\\ALICE", &v), RT_IPMAP_EXACT);
    assert_int_equal(v, 1);
    assert_int_equal(look(m, "CORP\\bob", &v), RT_IPMAP_EXACT);
    assert_int_equal(v, 3); /* the full name beats the bare entry */
    assert_int_equal(look(m, "Carol@Corp.Example", &v), RT_IPMAP_EXACT);
    assert_int_equal(v, 4);
    assert_int_equal(look(m, "ÉVA", &v), RT_IPMAP_EXACT);
    assert_int_equal(v, 7);
    /* Rule 2: a qualified name falls back to the bare entry. */
    assert_int_equal(look(m, "LAB\\bob", &v), RT_IPMAP_BARE);
    assert_int_equal(v, 2);
    assert_int_equal(look(m, "bob@lab.example", &v), RT_IPMAP_BARE);
    assert_int_equal(v, 2);
    /* ... but never to another domain's entry. */
    assert_int_equal(look(m, "LAB\\alice", &v), RT_IPMAP_NONE);
    assert_int_equal(look(m, "alice@lab.example", &v), RT_IPMAP_NONE);
    assert_int_equal(look(m, "carol@other.example", &v), RT_IPMAP_NONE);
    /* Rule 3: a bare name finds the one qualified entry of that user. */
    assert_int_equal(look(m, "alice", &v), RT_IPMAP_UNIQUE_QUALIFIED);
    assert_int_equal(v, 1);
    assert_int_equal(look(m, "CAROL", &v), RT_IPMAP_UNIQUE_QUALIFIED);
    assert_int_equal(v, 4);
    /* ... an explicit bare entry wins over it ... */
    assert_int_equal(look(m, "bob", &v), RT_IPMAP_EXACT);
    assert_int_equal(v, 2);
    /* ... and two domains with the same user make it ambiguous. */
    assert_int_equal(look(m, "dave", &v), RT_IPMAP_NONE);
    assert_int_equal(look(m, "LAB\\dave", &v), RT_IPMAP_EXACT);
    assert_int_equal(v, 5);
    /* Nothing else. */
    assert_int_equal(look(m, "", &v), RT_IPMAP_NONE);
    assert_int_equal(look(m, "eve", &v), RT_IPMAP_NONE);
    assert_int_equal(look(m, "CORP\\", &v), RT_IPMAP_NONE);
    assert_int_equal(look(m, "\\", &v), RT_IPMAP_NONE);
    assert_int_equal(look(m, "@", &v), RT_IPMAP_NONE);
    assert_int_equal(rt_ipmap_lookup(m, NULL, 5, &v), RT_IPMAP_NONE);
    rt_ipmap_free(m);
}

static void test_duplicates_and_limits(void **state)
{
    (void)state;
    rt_ipmap *m;
    rt_wchar buf[300];
    uint64_t prev = 0, v;
    assert_int_equal(rt_ipmap_create(&m), RT_OK);
    assert_int_equal(add(m, "Alice", 10), RT_OK);
    assert_int_equal(rt_ipmap_add(m, buf, w(buf, "ALICE"), 11, &prev), RT_EEXIST);
    assert_int_equal(prev, 10);
    assert_int_equal(rt_ipmap_add(m, buf, 0, 1, NULL), RT_EINVAL);
    for (size_t i = 0; i < 257; i++)
        buf[i] = 'x';
    assert_int_equal(rt_ipmap_add(m, buf, 256, 12, NULL), RT_OK);
    assert_int_equal(rt_ipmap_add(m, buf, 257, 13, NULL), RT_EINVAL);
    /* Lookups before finish find nothing; adds after finish are refused. */
    assert_int_equal(rt_ipmap_lookup(m, buf, 256, &v), RT_IPMAP_NONE);
    assert_int_equal(rt_ipmap_finish(m), RT_OK);
    assert_int_equal(rt_ipmap_add(m, buf, 3, 14, NULL), RT_EINVAL);
    assert_int_equal(rt_ipmap_lookup(m, buf, 256, &v), RT_IPMAP_EXACT);
    assert_int_equal(v, 12);
    assert_int_equal(rt_ipmap_lookup(m, buf, 257, &v), RT_IPMAP_NONE);
    rt_ipmap_free(m);

    /* An empty map works and finds nothing. */
    assert_int_equal(rt_ipmap_create(&m), RT_OK);
    assert_int_equal(rt_ipmap_finish(m), RT_OK);
    assert_int_equal(look(m, "alice", &v), RT_IPMAP_NONE);
    rt_ipmap_free(m);
    rt_ipmap_free(NULL);
}

static void test_large(void **state)
{
    (void)state;
    enum { N = 100000 };
    rt_ipmap *m;
    char name[64];
    uint64_t v;
    assert_int_equal(rt_ipmap_create(&m), RT_OK);
    for (unsigned i = 0; i < N; i++) {
        snprintf(name, sizeof name, i % 3 ? "user%06u" : "CORP\\User%06u", i);
        assert_int_equal(add(m, name, 0x0A000000u + i), RT_OK);
    }
    assert_int_equal(rt_ipmap_finish(m), RT_OK);
    assert_int_equal(rt_ipmap_count(m), N);
    for (unsigned i = 0; i < N; i++) {
        snprintf(name, sizeof name, i % 3 ? "USER%06u" : "corp\\user%06u", i);
        assert_int_equal(look(m, name, &v), RT_IPMAP_EXACT);
        assert_int_equal(v, 0x0A000000u + i);
        if (i % 3 == 0) {
            snprintf(name, sizeof name, "user%06u", i); /* rule 3 */
            assert_int_equal(look(m, name, &v), RT_IPMAP_UNIQUE_QUALIFIED);
            assert_int_equal(v, 0x0A000000u + i);
        }
        assert_int_equal(rt_ipmap_value_at(m, i), 0x0A000000u + i);
    }
    snprintf(name, sizeof name, "user%06u", N + 1);
    assert_int_equal(look(m, name, &v), RT_IPMAP_NONE);
    /* Load <= 1/2 with a mixing hash: runs stay short. */
    printf("  100000 entries: longest probe %zu slots\n", rt_ipmap_max_probe(m));
    assert_true(rt_ipmap_max_probe(m) < 200);
    rt_ipmap_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fold),
        cmocka_unit_test(test_bare),
        cmocka_unit_test(test_rules),
        cmocka_unit_test(test_duplicates_and_limits),
        cmocka_unit_test(test_large),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
