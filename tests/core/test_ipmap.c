/*
 * test_ipmap.c - the static map (ipmap.h): case folding (unit by unit and
 * four units at a time), the bare user part, the three matching rules and
 * their precedence, duplicates, limits, prepared keys and rt_ipmap_peek,
 * and a 100 000-entry map whose every name is found and whose probe length
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

/* rt_ipmap_fold agrees with rt_ipmap_fold_unit for every length and
 * alignment, in place and not, around the SWAR bounds; folding twice
 * changes nothing (rt_ipmap_fold relies on it for its last four units). */
static void test_fold_many(void **state)
{
    (void)state;
    for (uint32_t c = 0; c <= 0xFFFF; c++) {
        rt_wchar f = rt_ipmap_fold_unit((rt_wchar)c);
        assert_int_equal(rt_ipmap_fold_unit(f), f);
    }
    static const rt_wchar pick[] = {'@',   'A',   'M',   'Z',    '[',    '`',    'a',   'z',
                                    '{',   0x7F,  0x80,  0xC0,   0xD7,   0xDE,   0x100, 0x178,
                                    0x391, 0x3C2, 0x410, 0xFF21, 0xFF3A, 0xFFFF, '\\',  0};
    enum { NPICK = sizeof pick / sizeof pick[0] };
    uint64_t x = 0x2545F4914F6CDD1Du;
    for (unsigned round = 0; round < 20000; round++) {
        rt_wchar in[48], out[48], want[48], same[48];
        size_t off = round % 3, n = (round / 3) % 41;
        for (size_t i = 0; i < n; i++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            /* mostly ASCII, so that whole words take the fast path */
            in[off + i] = (x & 7) ? (rt_wchar)(x >> 8 & 0x7F) : pick[(x >> 8) % NPICK];
            want[i] = rt_ipmap_fold_unit(in[off + i]);
            same[off + i] = in[off + i];
        }
        rt_ipmap_fold(in + off, n, out);
        rt_ipmap_fold(same + off, n, same + off);
        assert_memory_equal(out, want, n * sizeof *want);
        assert_memory_equal(same + off, want, n * sizeof *want);
    }
}

/* rt_ipmap_bare against a plain reference, on random names over '\', '@'
 * and letters, of every length up to 40. */
static void test_bare_many(void **state)
{
    (void)state;
    static const rt_wchar alphabet[] = {'a', 'b', '\\', '@', 'c', 'd', 'e', 'f'};
    uint64_t x = 0x9E3779B97F4A7C15u;
    for (unsigned round = 0; round < 50000; round++) {
        rt_wchar s[40];
        size_t n = round % 41;
        for (size_t i = 0; i < n; i++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            s[i] = alphabet[(x >> 11) % (round % 5 ? 8 : 4)];
        }
        size_t start = 0, end = n;
        for (size_t i = 0; i < n; i++)
            if (s[i] == '\\')
                start = i + 1;
        for (size_t i = start; i < n; i++)
            if (s[i] == '@')
                end = i;
        size_t off, len;
        bool q;
        rt_ipmap_bare(s, n, &off, &len, &q);
        assert_int_equal(off, start);
        assert_int_equal(len, end - start);
        assert_int_equal(q, start != 0 || end != n);
    }
}

static int look_key(const rt_ipmap *m, const char *name, uint64_t *v, bool *peeked)
{
    rt_wchar buf[300];
    rt_ipmap_key k;
    size_t n = w(buf, name);
    rt_ipmap_fold(buf, n, buf);
    rt_ipmap_key_prepare(&k, m, buf, n);
    rt_ipmap_key without_map; /* the map only makes it prefetch */
    rt_ipmap_key_prepare(&without_map, NULL, buf, n);
    assert_true(k.len == without_map.len && k.hash == without_map.hash &&
                k.bare_hash == without_map.bare_hash && k.bare_off == without_map.bare_off &&
                k.bare_len == without_map.bare_len && k.qualified == without_map.qualified);
    uint64_t hint = 0;
    *peeked = rt_ipmap_peek(m, &k, &hint);
    *v = 0;
    int rule = rt_ipmap_lookup_key(m, &k, v);
    if (rule != RT_IPMAP_NONE) { /* what callers rely on: no peek, no match */
        assert_true(*peeked);
        assert_int_equal(hint, *v);
    }
    return rule;
}

/* Prepared keys give what rt_ipmap_lookup gives, rule by rule, and the
 * peek foretells every match. */
static void test_key_and_peek(void **state)
{
    (void)state;
    rt_ipmap *m;
    uint64_t v;
    bool peeked;
    assert_int_equal(rt_ipmap_create(&m), RT_OK);
    assert_int_equal(add(m, "CORP\\alice", 1), RT_OK);
    assert_int_equal(add(m, "bob", 2), RT_OK);
    assert_int_equal(add(m, "LAB\\carol", 3), RT_OK);
    assert_int_equal(add(m, "carol@lab.example", 4), RT_OK);
    assert_int_equal(add(m, "Łukasz@Corp.Example", 5), RT_OK);
    rt_wchar buf[8] = {'x'};
    rt_ipmap_key k;
    rt_ipmap_key_prepare(&k, m, buf, 1);    /* not finished: no prefetch */
    assert_false(rt_ipmap_peek(m, &k, &v)); /* before finish: nothing */
    assert_int_equal(rt_ipmap_lookup_key(m, &k, &v), RT_IPMAP_NONE);
    assert_int_equal(rt_ipmap_finish(m), RT_OK);

    assert_int_equal(look_key(m, "corp\\ALICE", &v, &peeked), RT_IPMAP_EXACT);
    assert_int_equal(v, 1);
    assert_int_equal(look_key(m, "alice", &v, &peeked), RT_IPMAP_UNIQUE_QUALIFIED);
    assert_int_equal(v, 1);
    assert_int_equal(look_key(m, "DOM\\Bob", &v, &peeked), RT_IPMAP_BARE);
    assert_int_equal(v, 2);
    assert_int_equal(look_key(m, "bob@x", &v, &peeked), RT_IPMAP_BARE);
    assert_int_equal(look_key(m, "carol", &v, &peeked), RT_IPMAP_NONE); /* ambiguous */
    assert_int_equal(look_key(m, "łukasz@corp.example", &v, &peeked), RT_IPMAP_EXACT);
    assert_int_equal(v, 5);
    assert_int_equal(look_key(m, "LAB\\alice", &v, &peeked), RT_IPMAP_NONE);
    assert_int_equal(look_key(m, "mallory", &v, &peeked), RT_IPMAP_NONE);
    assert_false(peeked);

    /* Keys that match nothing: empty, too long, NULL. */
    rt_ipmap_key_prepare(&k, m, buf, 0);
    assert_false(rt_ipmap_peek(m, &k, &v));
    assert_int_equal(rt_ipmap_lookup_key(m, &k, &v), RT_IPMAP_NONE);
    rt_ipmap_key_prepare(&k, m, buf, RT_IPMAP_NAME_MAX + 1);
    assert_int_equal(rt_ipmap_lookup_key(m, &k, &v), RT_IPMAP_NONE);
    rt_ipmap_key_prepare(&k, NULL, NULL, 3);
    assert_int_equal(rt_ipmap_lookup_key(m, &k, &v), RT_IPMAP_NONE);
    assert_int_equal(rt_ipmap_lookup_key(NULL, &k, &v), RT_IPMAP_NONE);
    assert_false(rt_ipmap_peek(NULL, &k, &v));
    rt_ipmap_free(m);
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
    /* Names that are not there are refused by the slots' fingerprints: the
     * peek almost never guesses (and never misses a match, look_key). */
    unsigned guessed = 0;
    for (unsigned i = 0; i < N; i++) {
        bool peeked;
        snprintf(name, sizeof name, i % 2 ? "LAB\\nobody%06u" : "nobody%06u", i);
        assert_int_equal(look_key(m, name, &v, &peeked), RT_IPMAP_NONE);
        guessed += peeked;
        snprintf(name, sizeof name, i % 3 ? "USER%06u" : "corp\\user%06u", i);
        assert_int_equal(look_key(m, name, &v, &peeked), RT_IPMAP_EXACT);
        assert_int_equal(v, 0x0A000000u + i);
    }
    printf("  %u of %u absent names passed the fingerprints\n", guessed, (unsigned)N);
    assert_true(guessed < N / 1000);
    /* Load <= 1/2 with a mixing hash: runs stay short. */
    printf("  100000 entries: longest probe %zu slots\n", rt_ipmap_max_probe(m));
    assert_true(rt_ipmap_max_probe(m) < 200);
    rt_ipmap_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fold),
        cmocka_unit_test(test_fold_many),
        cmocka_unit_test(test_bare),
        cmocka_unit_test(test_bare_many),
        cmocka_unit_test(test_key_and_peek),
        cmocka_unit_test(test_rules),
        cmocka_unit_test(test_duplicates_and_limits),
        cmocka_unit_test(test_large),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
