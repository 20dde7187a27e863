/*
 * test_iid.c - IPv6 interface identifiers (iid.h): SipHash-2-4 against the
 * 64 test vectors published with the SipHash reference implementation, the
 * reserved identifiers of RFC 5453 at their exact edges, the text parser
 * with hostile input, stable per-user identifiers, and the live set:
 * uniqueness, holder-checked release, full buckets, and threads racing to
 * claim the same identifiers.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "iid.h"
#include "ippool.h"

/* SipHash-2-4, key 00 01 .. 0f, message 00 01 .. (len-1), len = 0..63. */
static const uint64_t vectors[64] = {
    0x726FDB47DD0E0E31, 0x74F839C593DC67FD, 0x0D6C8009D9A94F5A, 0x85676696D7FB7E2D,
    0xCF2794E0277187B7, 0x18765564CD99A68D, 0xCBC9466E58FEE3CE, 0xAB0200F58B01D137,
    0x93F5F5799A932462, 0x9E0082DF0BA9E4B0, 0x7A5DBBC594DDB9F3, 0xF4B32F46226BADA7,
    0x751E8FBC860EE5FB, 0x14EA5627C0843D90, 0xF723CA908E7AF2EE, 0xA129CA6149BE45E5,
    0x3F2ACC7F57C29BDB, 0x699AE9F52CBE4794, 0x4BC1B3F0968DD39C, 0xBB6DC91DA77961BD,
    0xBED65CF21AA2EE98, 0xD0F2CBB02E3B67C7, 0x93536795E3A33E88, 0xA80C038CCD5CCEC8,
    0xB8AD50C6F649AF94, 0xBCE192DE8A85B8EA, 0x17D835B85BBB15F3, 0x2F2E6163076BCFAD,
    0xDE4DAAACA71DC9A5, 0xA6A2506687956571, 0xAD87A3535C49EF28, 0x32D892FAD841C342,
    0x7127512F72F27CCE, 0xA7F32346F95978E3, 0x12E0B01ABB051238, 0x15E034D40FA197AE,
    0x314DFFBE0815A3B4, 0x027990F029623981, 0xCADCD4E59EF40C4D, 0x9ABFD8766A33735C,
    0x0E3EA96B5304A7D0, 0xAD0C42D6FC585992, 0x187306C89BC215A9, 0xD4A60ABCF3792B95,
    0xF935451DE4F21DF2, 0xA9538F0419755787, 0xDB9ACDDFF56CA510, 0xD06C98CD5C0975EB,
    0xE612A3CB9ECBA951, 0xC766E62CFCADAF96, 0xEE64435A9752FE72, 0xA192D576B245165A,
    0x0A8787BF8ECB74B2, 0x81B3E73D20B49B6F, 0x7FA8220BA3B2ECEA, 0x245731C13CA42499,
    0xB78DBFAF3A8D83BD, 0xEA1AD565322A1A0B, 0x60E61C23A3795013, 0x6606D7E446282B93,
    0x6CA4ECB15C5F91E1, 0x9F626DA15C9625F3, 0xE51B38608EF25F57, 0x958A324CEB064572,
};

static void test_siphash_vectors(void **state)
{
    (void)state;
    uint8_t key[16], msg[64];
    for (int i = 0; i < 16; i++)
        key[i] = (uint8_t)i;
    for (int i = 0; i < 64; i++)
        msg[i] = (uint8_t)i;
    for (size_t len = 0; len < 64; len++) {
        /* An exactly sized copy at an odd address: no over-read, no alignment need. */
        uint8_t *p = malloc(len + 1);
        memcpy(p + 1, msg, len);
        assert_int_equal(rt_siphash24(key, p + 1, len), vectors[len]);
        free(p);
    }
}

static void test_usable(void **state)
{
    (void)state;
    static const uint64_t bad[] = {0, 1, 0x02005EFFFE000000u, 0x02005EFFFE005212u,
                                   0x02005EFFFE005213u, 0x02005EFFFE005214u, 0x02005EFFFEFFFFFFu,
                                   0x02005EFFFE800000u, 0xFDFFFFFFFFFFFF80u, 0xFDFFFFFFFFFFFFFFu};
    static const uint64_t good[] = {2, 0xFFFF, 0x02005EFFFDFFFFFFu, 0x02005EFFFF000000u,
                                    0xFDFFFFFFFFFFFF7Fu, 0xFE00000000000000u, 0xFFFFFFFFFFFFFFFFu,
                                    0x021122FFFE334455u};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_false(rt_iid_usable(bad[i]));
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        assert_true(rt_iid_usable(good[i]));
    uint8_t b[8];
    rt_iid_to_bytes(0x021122FFFE334455u, b);
    static const uint8_t want[8] = {0x02, 0x11, 0x22, 0xFF, 0xFE, 0x33, 0x44, 0x55};
    assert_memory_equal(b, want, 8);
    assert_int_equal(rt_iid_from_bytes(b), 0x021122FFFE334455u);
}

static int parse(const char *s, uint64_t *v)
{
    size_t n = strlen(s);
    rt_wchar *p = malloc(n ? n * sizeof *p : 1);
    for (size_t i = 0; i < n; i++)
        p[i] = (unsigned char)s[i];
    int rc = rt_iid_parse(p, n, v, NULL);
    free(p);
    return rc;
}

static void test_parse(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        uint64_t want;
    } good[] = {{"0211:22ff:fe33:4455", 0x021122FFFE334455u}, {"::5", 5}, {"::", 0},
                {"1::", 0x0001000000000000u},                 {"1::2", 0x0001000000000002u},
                {"a:b::c", 0x000A000B0000000Cu},              {"::a:b:c", 0x0000000A000B000Cu},
                {"FFFF:ffff:FfFf:0", 0xFFFFFFFFFFFF0000u},    {"0:0:0:1", 1}};
    static const char *const bad[] = {"",           ":",         ":::",           "1:2:3",
                                      "1:2:3:4:5",  "1::2::3",   "1:2:3:4::",     "::1:2:3:4",
                                      "12345::",    "g::",       "1:2:3:4 ",      " ::1",
                                      "1:2:3:",     ":1:2:3:4", "1:::2",          "1:2:3:4:",
                                      "::ffff:1.2.3.4", "0x1::", "1-2-3-4",       "1:2:3:04444"};
    uint64_t v;
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        assert_int_equal(parse(good[i].text, &v), RT_OK);
        assert_int_equal(v, good[i].want);
    }
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(parse(bad[i], &v), RT_EPARSE);
    /* Random strings over the parser's alphabet: bounded, never crashing. */
    static const char alphabet[] = "0123abcdefABCDEF::::: x.";
    uint64_t x = 88172645463325252u;
    char text[24];
    for (int iter = 0; iter < 200000; iter++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        size_t n = (size_t)(x % 23);
        for (size_t i = 0; i < n; i++)
            text[i] = alphabet[(x >> (i % 48)) % (sizeof alphabet - 1)];
        text[n] = 0;
        (void)parse(text, &v);
    }
}

static void test_stable(void **state)
{
    (void)state;
    uint8_t key[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}, key2[16] = {0};
    rt_wchar alice[] = {'a', 'l', 'i', 'c', 'e'}, bob[] = {'b', 'o', 'b'};
    uint64_t a0 = rt_iid_stable(key, alice, 5, 0);
    assert_true(a0 != 0 && rt_iid_usable(a0) && (a0 >> 32) != 0);
    assert_int_equal(rt_iid_stable(key, alice, 5, 0), a0); /* stable */
    assert_true(rt_iid_stable(key, alice, 5, 1) != a0);    /* the counter moves it */
    assert_true(rt_iid_stable(key, bob, 3, 0) != a0);      /* users differ */
    assert_true(rt_iid_stable(key2, alice, 5, 0) != a0);   /* keys differ */
    /* Over many users every produced identifier is usable and not small. */
    unsigned zeros = 0;
    for (uint32_t u = 0; u < 100000; u++) {
        rt_wchar name[2] = {(rt_wchar)(u & 0xFFFF), (rt_wchar)(u >> 16)};
        uint64_t v = rt_iid_stable(key, name, 2, 0);
        if (v == 0)
            zeros++;
        else
            assert_true(rt_iid_usable(v) && (v >> 32) != 0);
    }
    assert_true(zeros < 5);
}

static uint64_t holder(unsigned i)
{
    return rt_holder_make((uint64_t)(i + 1) * 0xD1B54A32D192ED03u, RT_HOLDER_GENERATED);
}

static void test_set(void **state)
{
    (void)state;
    rt_iid_set *s;
    assert_int_equal(rt_iid_set_create(0, &s), RT_EINVAL);
    assert_int_equal(rt_iid_set_create(1, &s), RT_OK); /* 2 buckets x 16 slots */
    assert_int_equal(rt_iid_set_claim_mpmc(s, 0, holder(0)), RT_EINVAL);
    assert_int_equal(rt_iid_set_claim_mpmc(s, 7, 0), RT_EINVAL);
    assert_int_equal(rt_iid_set_claim_mpmc(s, 7, holder(0)), RT_OK);
    assert_int_equal(rt_iid_set_claim_mpmc(s, 7, holder(1)), RT_EBUSY);
    assert_true(rt_iid_set_held(s, 7));
    assert_int_equal(rt_iid_set_release_mpmc(s, 7, holder(1), NULL), RT_EACCES);
    assert_int_equal(rt_iid_set_release_mpmc(s, 8, holder(0), NULL), RT_ENOENT);
    uint64_t was = 0;
    assert_int_equal(rt_iid_set_release_mpmc(s, 7, holder(0), &was), RT_OK);
    assert_int_equal(was, holder(0));
    assert_int_equal(rt_iid_set_release_mpmc(s, 7, holder(0), NULL), RT_ENOENT); /* double */
    assert_false(rt_iid_set_held(s, 7));
    /* Fill the set: 32 slots; then some bucket is full. */
    unsigned ok = 0, full = 0;
    for (uint64_t v = 100; v < 200; v++) {
        int rc = rt_iid_set_claim_mpmc(s, v, holder((unsigned)v));
        ok += rc == RT_OK;
        full += rc == RT_ENOSPC;
    }
    assert_int_equal(ok, 32);
    assert_int_equal(full, 68);
    assert_int_equal(rt_iid_set_live(s), 32);
    for (uint64_t v = 100; v < 200; v++)
        (void)rt_iid_set_release_mpmc(s, v, holder((unsigned)v), NULL);
    assert_int_equal(rt_iid_set_live(s), 0);
    rt_iid_set_destroy(s);
}

/* ------------------------------------------------------------- race */

enum { THREADS = 4, OPS = 100000, IIDS = 48 };

typedef struct race {
    rt_iid_set *s;
    _Atomic uint32_t owner[IIDS];
    _Atomic uint64_t twice, got, busy, bad_release;
} race;

typedef struct racer {
    race *r;
    unsigned id;
} racer;

/* Every thread claims from the same 48 identifiers and releases: the
 * checker marks each successful claim and must never find it marked. */
static void *run_racer(void *arg)
{
    racer *me = arg;
    race *r = me->r;
    uint64_t h = holder(me->id), x = 0x9E3779B97F4A7C15u * (me->id + 1);
    int held[IIDS];
    unsigned n = 0;
    for (unsigned op = 0; op < OPS; op++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        if (n < 12 && (x & 1)) {
            unsigned k = (unsigned)(x >> 16) % IIDS;
            int rc = rt_iid_set_claim_mpmc(r->s, 0x1000 + k, h);
            if (rc != RT_OK) {
                atomic_fetch_add(&r->busy, 1);
                continue;
            }
            if (atomic_exchange(&r->owner[k], me->id + 1) != 0)
                atomic_fetch_add(&r->twice, 1);
            atomic_fetch_add(&r->got, 1);
            held[n++] = (int)k;
        } else if (n > 0) {
            unsigned i = (unsigned)(x >> 20) % n;
            unsigned k = (unsigned)held[i];
            held[i] = held[--n];
            atomic_store(&r->owner[k], 0);
            if (rt_iid_set_release_mpmc(r->s, 0x1000 + k, h, NULL) != RT_OK)
                atomic_fetch_add(&r->bad_release, 1);
        }
    }
    while (n > 0) {
        unsigned k = (unsigned)held[--n];
        atomic_store(&r->owner[k], 0);
        if (rt_iid_set_release_mpmc(r->s, 0x1000 + k, h, NULL) != RT_OK)
            atomic_fetch_add(&r->bad_release, 1);
    }
    return NULL;
}

static void test_race(void **state)
{
    (void)state;
    static race r;
    memset(&r, 0, sizeof r);
    /* 4 buckets: the 48 identifiers crowd a few buckets, so claims of the
     * same identifier and of neighbours in one bucket race all the time. */
    assert_int_equal(rt_iid_set_create(2, &r.s), RT_OK);
    pthread_t t[THREADS];
    racer args[THREADS];
    for (unsigned i = 0; i < THREADS; i++) {
        args[i] = (racer){&r, i};
        assert_int_equal(pthread_create(&t[i], NULL, run_racer, &args[i]), 0);
    }
    for (unsigned i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
    printf("  %u threads x %u ops: %llu claims, %llu busy or full, %llu held twice\n", THREADS, OPS,
           (unsigned long long)r.got, (unsigned long long)r.busy, (unsigned long long)r.twice);
    assert_int_equal(r.twice, 0);
    assert_int_equal(r.bad_release, 0);
    assert_true(r.got > 1000);
    assert_int_equal(rt_iid_set_live(r.s), 0);
    rt_iid_set_destroy(r.s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_siphash_vectors), cmocka_unit_test(test_usable),
        cmocka_unit_test(test_parse),           cmocka_unit_test(test_stable),
        cmocka_unit_test(test_set),             cmocka_unit_test(test_race),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
