/*
 * test_ippool.c - the lease directory and pools (ippool.h): allocation to
 * exhaustion and back, the start hint wrapping, exclusions honoured bit by
 * bit, holder-checked releases, the directory's block limit, and a pool
 * swap that keeps leases. The multi-thread race is in test_ipassign.c
 * (through the public API) and a smaller one here, on the raw pool.
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
#include "ippool.h"

static uint32_t ip(unsigned a, unsigned b, unsigned c, unsigned d)
{
    return (uint32_t)a << 24 | b << 16 | c << 8 | d;
}

static rt_ippool *pool_of(rt_ippool_dir *d, const rt_ipv4_range *r, size_t n,
                          const rt_ipv4_range *ex, size_t nex)
{
    rt_ipv4_set s = {0}, x = {0};
    for (size_t i = 0; i < n; i++)
        assert_int_equal(rt_ipv4_set_add(&s, r[i]), RT_OK);
    for (size_t i = 0; i < nex; i++)
        assert_int_equal(rt_ipv4_set_add(&x, ex[i]), RT_OK);
    rt_ipv4_set_normalize(&s);
    rt_ipv4_set_normalize(&x);
    assert_int_equal(rt_ipv4_set_subtract(&s, &x), RT_OK);
    rt_ippool *p = NULL;
    assert_int_equal(rt_ippool_create(d, &s, &p), RT_OK);
    assert_int_equal(rt_ippool_size(p), rt_ipv4_set_count(&s));
    rt_ipv4_set_free(&s);
    rt_ipv4_set_free(&x);
    return p;
}

static uint64_t holder(unsigned i)
{
    return rt_holder_make((uint64_t)(i + 1) * 0x9E3779B97F4A7C15u, RT_HOLDER_POOL);
}

static void test_exhaustion_and_back(void **state)
{
    (void)state;
    rt_ippool_dir *d;
    assert_int_equal(rt_ippool_dir_create(0, &d), RT_OK);
    /* 10.0.0.1 - 10.0.0.254 (a /24 without network and broadcast), minus
     * 10.0.0.100-10.0.0.109 and 10.0.0.7: 243 addresses over 8 words. */
    rt_ipv4_range r[] = {{ip(10, 0, 0, 1), ip(10, 0, 0, 254)}};
    rt_ipv4_range ex[] = {{ip(10, 0, 0, 100), ip(10, 0, 0, 109)}, {ip(10, 0, 0, 7), ip(10, 0, 0, 7)}};
    rt_ippool *p = pool_of(d, r, 1, ex, 2);
    assert_int_equal(rt_ippool_size(p), 243);
    uint8_t seen[256] = {0};
    uint32_t a;
    for (unsigned i = 0; i < 243; i++) {
        assert_int_equal(rt_ippool_alloc_mpmc(p, holder(i), &a), RT_OK);
        assert_int_equal(a >> 8, ip(10, 0, 0, 0) >> 8);
        assert_false(seen[a & 255]);
        seen[a & 255] = 1;
        assert_true(rt_ippool_contains(p, a));
        assert_true(rt_ippool_held(d, a, NULL));
    }
    assert_false(seen[0] || seen[255] || seen[7] || seen[100] || seen[109]);
    assert_int_equal(rt_ippool_alloc_mpmc(p, holder(999), &a), RT_EEXHAUSTED);
    assert_int_equal(rt_ippool_live(d), 243);
    /* Back: every address returns to its holder, then the pool is whole again. */
    for (unsigned k = 1; k < 255; k++) {
        uint32_t addr = ip(10, 0, 0, k);
        uint64_t was = 0, h;
        if (!seen[k]) {
            assert_int_equal(rt_ippool_release_mpmc(d, addr, holder(0), NULL), RT_ENOENT);
            continue;
        }
        assert_true(rt_ippool_held(d, addr, &h));
        assert_int_equal(rt_ippool_release_mpmc(d, addr, h ^ 0x100, NULL), RT_EACCES);
        assert_int_equal(rt_ippool_release_mpmc(d, addr, h, &was), RT_OK);
        assert_int_equal(was, h);
        assert_int_equal(rt_ippool_release_mpmc(d, addr, h, NULL), RT_ENOENT); /* double */
    }
    assert_int_equal(rt_ippool_live(d), 0);
    for (unsigned i = 0; i < 243; i++)
        assert_int_equal(rt_ippool_alloc_mpmc(p, holder(i), &a), RT_OK);
    assert_int_equal(rt_ippool_alloc_mpmc(p, holder(999), &a), RT_EEXHAUSTED);
    rt_ippool_free(p);
    rt_ippool_dir_destroy(d);
}

/* Next-fit: the hint moves forward, so a just-released address is reused
 * only after the rest of the pool; at the end it wraps to the start. */
static void test_hint_wraps(void **state)
{
    (void)state;
    rt_ippool_dir *d;
    assert_int_equal(rt_ippool_dir_create(0, &d), RT_OK);
    rt_ipv4_range r[] = {{ip(10, 9, 0, 0), ip(10, 9, 0, 127)}}; /* 4 words */
    rt_ippool *p = pool_of(d, r, 1, NULL, 0);
    uint32_t a, first;
    assert_int_equal(rt_ippool_alloc_mpmc(p, holder(0), &first), RT_OK);
    assert_int_equal(first, ip(10, 9, 0, 0));
    /* Fill words 0..2 and release the very first address. */
    for (unsigned i = 1; i < 96; i++)
        assert_int_equal(rt_ippool_alloc_mpmc(p, holder(i), &a), RT_OK);
    assert_int_equal(a, ip(10, 9, 0, 95));
    assert_int_equal(rt_ippool_release_mpmc(d, first, holder(0), NULL), RT_OK);
    /* The next 32 come from word 3, not from the freed address. */
    for (unsigned i = 96; i < 128; i++) {
        assert_int_equal(rt_ippool_alloc_mpmc(p, holder(i), &a), RT_OK);
        assert_int_equal(a, ip(10, 9, 0, i));
    }
    /* Now the scan wraps around to word 0. */
    assert_int_equal(rt_ippool_alloc_mpmc(p, holder(500), &a), RT_OK);
    assert_int_equal(a, first);
    assert_int_equal(rt_ippool_alloc_mpmc(p, holder(501), &a), RT_EEXHAUSTED);
    rt_ippool_free(p);
    rt_ippool_dir_destroy(d);
}

static void test_static_claims(void **state)
{
    (void)state;
    rt_ippool_dir *d;
    assert_int_equal(rt_ippool_dir_create(0, &d), RT_OK);
    uint32_t s = ip(172, 16, 5, 9);
    rt_ippool_prefetch(d, s); /* a hint: no block, nothing happens */
    rt_ippool_prefetch(NULL, s);
    assert_int_equal(rt_ippool_claim_mpmc(d, s, holder(1)), RT_ENOENT); /* no block */
    assert_int_equal(rt_ippool_dir_blocks(d), 0);
    assert_int_equal(rt_ippool_dir_reserve_sw(d, s), RT_OK);
    rt_ippool_prefetch(d, s);
    assert_false(rt_ippool_held(d, s, NULL));
    assert_int_equal(rt_ippool_dir_reserve_sw(d, s + 1), RT_OK); /* same block */
    assert_int_equal(rt_ippool_dir_blocks(d), 1);
    assert_int_equal(rt_ippool_claim_mpmc(d, s, 0), RT_EINVAL);
    assert_int_equal(rt_ippool_claim_mpmc(d, s, holder(1)), RT_OK);
    assert_int_equal(rt_ippool_claim_mpmc(d, s, holder(2)), RT_EBUSY);
    assert_int_equal(rt_ippool_claim_mpmc(d, s, holder(1)), RT_EBUSY); /* the same session twice */
    /* Tags do not matter for a release: the identity does. */
    uint64_t same_id = rt_holder_make(holder(1), RT_HOLDER_STATIC);
    assert_int_equal(rt_ippool_release_mpmc(d, s, holder(2), NULL), RT_EACCES);
    assert_int_equal(rt_ippool_release_mpmc(d, s, same_id, NULL), RT_OK);
    assert_int_equal(rt_ippool_claim_mpmc(d, s, holder(2)), RT_OK);
    assert_int_equal(rt_ippool_release_mpmc(d, ip(1, 2, 3, 4), holder(2), NULL), RT_ENOENT);
    rt_ippool_dir_destroy(d);
}

static void test_block_limit(void **state)
{
    (void)state;
    rt_ippool_dir *d;
    assert_int_equal(rt_ippool_dir_create(4, &d), RT_OK);
    rt_ipv4_set s = {0};
    assert_int_equal(rt_ipv4_set_add(&s, (rt_ipv4_range){ip(10, 0, 0, 0), ip(10, 0, 0, 127)}), 0);
    rt_ipv4_set_normalize(&s);
    rt_ippool *p;
    assert_int_equal(rt_ippool_create(d, &s, &p), RT_OK); /* exactly 4 blocks */
    rt_ippool_free(p);
    assert_int_equal(rt_ipv4_set_add(&s, (rt_ipv4_range){ip(10, 0, 1, 0), ip(10, 0, 1, 0)}), 0);
    rt_ipv4_set_normalize(&s);
    assert_int_equal(rt_ippool_create(d, &s, &p), RT_ENOSPC);
    rt_ipv4_set_free(&s);
    /* An empty pool is fine and always exhausted. */
    rt_ipv4_set empty = {0};
    uint32_t a;
    assert_int_equal(rt_ippool_create(d, &empty, &p), RT_OK);
    assert_int_equal(rt_ippool_size(p), 0);
    assert_int_equal(rt_ippool_alloc_mpmc(p, holder(0), &a), RT_EEXHAUSTED);
    rt_ippool_free(p);
    rt_ippool_dir_destroy(d);
}

/* Ranges sharing words, scattered single addresses, and a /16. */
static void test_masks(void **state)
{
    (void)state;
    rt_ippool_dir *d;
    assert_int_equal(rt_ippool_dir_create(0, &d), RT_OK);
    rt_ipv4_range r[] = {{ip(10, 0, 0, 3), ip(10, 0, 0, 5)}, {ip(10, 0, 0, 9), ip(10, 0, 0, 9)},
                         {ip(10, 0, 0, 30), ip(10, 0, 0, 40)}, {ip(10, 0, 3, 1), ip(10, 0, 3, 1)},
                         {ip(10, 1, 0, 0), ip(10, 1, 255, 255)}};
    rt_ipv4_range ex[] = {{ip(10, 1, 7, 0), ip(10, 1, 7, 255)}};
    rt_ippool *p = pool_of(d, r, 5, ex, 1);
    assert_int_equal(rt_ippool_size(p), 3 + 1 + 11 + 1 + 65536 - 256);
    for (uint32_t a = ip(10, 0, 0, 0); a < ip(10, 0, 4, 0); a++) {
        bool want = (a >= ip(10, 0, 0, 3) && a <= ip(10, 0, 0, 5)) || a == ip(10, 0, 0, 9) ||
                    (a >= ip(10, 0, 0, 30) && a <= ip(10, 0, 0, 40)) || a == ip(10, 0, 3, 1);
        assert_int_equal(rt_ippool_contains(p, a), want);
    }
    assert_false(rt_ippool_contains(p, ip(10, 1, 7, 1)));
    assert_true(rt_ippool_contains(p, ip(10, 1, 8, 0)));
    uint64_t n = 0;
    uint32_t a;
    while (rt_ippool_alloc_mpmc(p, holder((unsigned)n), &a) == RT_OK) {
        assert_true(rt_ippool_contains(p, a));
        n++;
    }
    assert_int_equal(n, rt_ippool_size(p));
    rt_ippool_free(p);
    rt_ippool_dir_destroy(d);
}

/* Leases live in the directory: a second pool over the same addresses
 * (a reload) sees the first pool's leases as held, and releases made after
 * the swap free them. An address only the old pool had is never given by
 * the new one. */
static void test_swap_keeps_leases(void **state)
{
    (void)state;
    rt_ippool_dir *d;
    assert_int_equal(rt_ippool_dir_create(0, &d), RT_OK);
    rt_ipv4_range old_r[] = {{ip(10, 2, 0, 1), ip(10, 2, 0, 64)}};
    rt_ipv4_range new_r[] = {{ip(10, 2, 0, 33), ip(10, 2, 0, 96)}};
    rt_ippool *old_p = pool_of(d, old_r, 1, NULL, 0);
    uint32_t a, held[64];
    for (unsigned i = 0; i < 64; i++)
        assert_int_equal(rt_ippool_alloc_mpmc(old_p, holder(i), &held[i]), RT_OK);
    rt_ippool *new_p = pool_of(d, new_r, 1, NULL, 0);
    rt_ippool_free(old_p); /* the old snapshot is gone */
    for (unsigned i = 0; i < 32; i++) { /* only 65..96 are free in the new pool */
        assert_int_equal(rt_ippool_alloc_mpmc(new_p, holder(100 + i), &a), RT_OK);
        assert_true(a >= ip(10, 2, 0, 65) && a <= ip(10, 2, 0, 96));
    }
    assert_int_equal(rt_ippool_alloc_mpmc(new_p, holder(200), &a), RT_EEXHAUSTED);
    for (unsigned i = 0; i < 64; i++)
        assert_int_equal(rt_ippool_release_mpmc(d, held[i], holder(i), NULL), RT_OK);
    /* 33..64 come back to the new pool; 1..32 never do. */
    for (unsigned i = 0; i < 32; i++) {
        assert_int_equal(rt_ippool_alloc_mpmc(new_p, holder(300 + i), &a), RT_OK);
        assert_true(a >= ip(10, 2, 0, 33) && a <= ip(10, 2, 0, 64));
    }
    assert_int_equal(rt_ippool_alloc_mpmc(new_p, holder(400), &a), RT_EEXHAUSTED);
    rt_ippool_free(new_p);
    rt_ippool_dir_destroy(d);
}

/* ------------------------------------------------------------- race */

enum { THREADS = 4, OPS = 100000, KEEP = 24 };

typedef struct race {
    rt_ippool_dir *d;
    rt_ippool *p;
    _Atomic uint32_t owner[64]; /* 0 free, else thread + 1 */
    _Atomic uint64_t twice, exhausted, foreign_freed, bad_release;
} race;

typedef struct racer {
    race *r;
    unsigned id;
} racer;

/* Each thread keeps up to KEEP leases on a 62-address pool (4 x 24 > 62:
 * exhaustion happens), releases a random one, and tries foreign releases. */
static void *run_racer(void *arg)
{
    racer *me = arg;
    race *r = me->r;
    uint32_t mine[KEEP];
    unsigned n = 0;
    uint64_t x = 0x2545F4914F6CDD1Du * (me->id + 1);
    uint64_t h = holder(me->id);
    for (unsigned op = 0; op < OPS; op++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        if (n < KEEP && (x & 1)) {
            uint32_t a;
            if (rt_ippool_alloc_mpmc(r->p, h, &a) != RT_OK) {
                atomic_fetch_add(&r->exhausted, 1);
                continue;
            }
            uint32_t prev = atomic_exchange(&r->owner[a & 63], me->id + 1);
            if (prev != 0)
                atomic_fetch_add(&r->twice, 1);
            mine[n++] = a;
        } else if (n > 0) {
            unsigned k = (unsigned)(x >> 8) % n;
            uint32_t a = mine[k];
            mine[k] = mine[--n];
            /* Clear our mark before the release makes a reuse possible. */
            atomic_store(&r->owner[a & 63], 0);
            if (rt_ippool_release_mpmc(r->d, a, h, NULL) != RT_OK)
                atomic_fetch_add(&r->bad_release, 1);
        } else {
            /* A release of an address we do not hold must never succeed. */
            uint32_t a = ip(10, 3, 0, 1 + (unsigned)(x >> 10) % 62);
            if (rt_ippool_release_mpmc(r->d, a, h, NULL) == RT_OK)
                atomic_fetch_add(&r->foreign_freed, 1);
        }
    }
    while (n > 0) {
        uint32_t a = mine[--n];
        atomic_store(&r->owner[a & 63], 0);
        if (rt_ippool_release_mpmc(r->d, a, h, NULL) != RT_OK)
            atomic_fetch_add(&r->bad_release, 1);
    }
    return NULL;
}

static void test_race(void **state)
{
    (void)state;
    static race r;
    memset(&r, 0, sizeof r);
    assert_int_equal(rt_ippool_dir_create(0, &r.d), RT_OK);
    rt_ipv4_range range[] = {{ip(10, 3, 0, 1), ip(10, 3, 0, 62)}};
    r.p = pool_of(r.d, range, 1, NULL, 0);
    pthread_t t[THREADS];
    racer args[THREADS];
    for (unsigned i = 0; i < THREADS; i++) {
        args[i] = (racer){&r, i};
        assert_int_equal(pthread_create(&t[i], NULL, run_racer, &args[i]), 0);
    }
    for (unsigned i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
    printf("  %u threads x %u ops: %llu exhausted, %llu held twice, %llu foreign frees\n", THREADS,
           OPS, (unsigned long long)r.exhausted, (unsigned long long)r.twice,
           (unsigned long long)r.foreign_freed);
    assert_int_equal(r.twice, 0);
    assert_int_equal(r.foreign_freed, 0);
    assert_int_equal(r.bad_release, 0);
    assert_int_equal(rt_ippool_live(r.d), 0);
    rt_ippool_free(r.p);
    rt_ippool_dir_destroy(r.d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exhaustion_and_back), cmocka_unit_test(test_hint_wraps),
        cmocka_unit_test(test_static_claims),       cmocka_unit_test(test_block_limit),
        cmocka_unit_test(test_masks),               cmocka_unit_test(test_swap_keeps_leases),
        cmocka_unit_test(test_race),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
