/*
 * test_ring.c - single-threaded behaviour of the event ring (ring.h):
 * empty/full boundaries per reservation class, drop counting, release,
 * wrap-around of the 32-bit counters, per-slot commit, argument checks.
 *
 * gcc -std=c11 -O1 -g -fsanitize=address,undefined -Wall -Wextra -Werror \
 *     -Isrc/core src/core/ring.c src/core/error.c tests/core/test_ring.c \
 *     -lcmocka -o test_ring
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <string.h>

#include "error.h"
#include "ring.h"

enum { CAP = 16, HEADROOM = 4, SLOT = 100 };

static rt_ring *make(uint32_t cap, uint32_t slot, uint32_t headroom,
                     uint32_t start)
{
    rt_ring *r = NULL;
    assert_int_equal(rt_ring_create_at(&r, cap, slot, headroom, start), 0);
    assert_non_null(r);
    return r;
}

/* Reserves and commits one slot carrying `value`; false if refused. */
static bool push(rt_ring *r, bool priority, uint32_t value)
{
    uint32_t *p = rt_ring_reserve_mp(r, priority);
    if (!p)
        return false;
    assert_int_equal((uintptr_t)p % RT_RING_ALIGN, 0);
    p[0] = value;
    p[1] = ~value;
    rt_ring_commit_mp(r, p);
    return true;
}

static void assert_drops(rt_ring *r, uint32_t normal, uint32_t priority)
{
    uint32_t n = 99, p = 99;
    rt_ring_take_drops(r, &n, &p);
    assert_int_equal(n, normal);
    assert_int_equal(p, priority);
}

static void test_empty_peek_returns_zero(void **state)
{
    (void)state;
    rt_ring *r = make(CAP, SLOT, HEADROOM, 0);
    void *slots[CAP];
    assert_int_equal(rt_ring_peek_sc(r, slots, CAP), 0);
    assert_int_equal(rt_ring_occupancy(r), 0);
    assert_int_equal(rt_ring_high_water(r), 0);
    assert_int_equal(rt_ring_capacity(r), CAP);
    assert_int_equal(rt_ring_headroom(r), HEADROOM);
    rt_ring_release_sc(r, 5); /* nothing peeked: clamped to 0 */
    assert_int_equal(rt_ring_occupancy(r), 0);
    assert_drops(r, 0, 0);
    rt_ring_destroy(r);
}

static void test_headroom_boundaries(void **state)
{
    (void)state;
    rt_ring *r = make(CAP, SLOT, HEADROOM, 0);
    for (uint32_t i = 0; i < CAP - HEADROOM; i++)
        assert_true(push(r, false, i));
    assert_false(push(r, false, 1000));
    assert_false(push(r, false, 1001));
    for (uint32_t i = CAP - HEADROOM; i < CAP; i++)
        assert_true(push(r, true, i));
    assert_false(push(r, true, 2000));
    assert_false(push(r, false, 1002));
    assert_int_equal(rt_ring_occupancy(r), CAP);

    assert_drops(r, 3, 1);
    assert_drops(r, 0, 0); /* reset by the previous take */
    assert_false(push(r, true, 2001));
    rt_ring_take_drops(r, NULL, NULL);
    assert_drops(r, 0, 0);

    void *slots[CAP + 4];
    assert_int_equal(rt_ring_peek_sc(r, slots, CAP + 4), CAP);
    for (uint32_t i = 0; i < CAP; i++)
        assert_int_equal(((uint32_t *)slots[i])[0], i);
    assert_int_equal(rt_ring_high_water(r), CAP);
    rt_ring_destroy(r);
}

static void test_release_frees_space(void **state)
{
    (void)state;
    rt_ring *r = make(CAP, SLOT, HEADROOM, 0);
    void *slots[CAP];
    for (uint32_t i = 0; i < CAP; i++)
        assert_true(push(r, true, i));
    assert_false(push(r, true, 99));

    assert_int_equal(rt_ring_peek_sc(r, slots, CAP), CAP);
    rt_ring_release_sc(r, 1);
    assert_int_equal(rt_ring_occupancy(r), CAP - 1);
    assert_false(push(r, false, 99)); /* 15 >= 16 - 4 */
    assert_true(push(r, true, CAP));
    assert_false(push(r, true, 99));

    /* The 15 still-peeked slots come first again, then the new one. */
    assert_int_equal(rt_ring_peek_sc(r, slots, CAP), CAP);
    assert_int_equal(((uint32_t *)slots[0])[0], 1);
    assert_int_equal(((uint32_t *)slots[CAP - 1])[0], CAP);
    rt_ring_release_sc(r, HEADROOM + 1);
    assert_int_equal(rt_ring_occupancy(r), CAP - HEADROOM - 1);
    assert_true(push(r, false, CAP + 1));
    assert_false(push(r, false, 99));
    assert_drops(r, 2, 2);

    /* Releasing more than was peeked is clamped. */
    assert_int_equal(rt_ring_peek_sc(r, slots, CAP), CAP - HEADROOM);
    rt_ring_release_sc(r, 1000);
    assert_int_equal(rt_ring_occupancy(r), 0);
    assert_int_equal(rt_ring_peek_sc(r, slots, CAP), 0);
    rt_ring_destroy(r);
}

static void test_wrap_around(void **state)
{
    (void)state;
    enum { LAPS = 40, WCAP = 8, WHEAD = 2 };
    rt_ring *r = make(WCAP, 65, WHEAD, UINT32_MAX - 5);
    void *slots[WCAP];
    uint32_t next_in = 0, next_out = 0;

    for (uint32_t round = 0; round < LAPS * 3; round++) {
        uint32_t want = 1 + round % WCAP; /* 1..8 pushes, mixed classes */
        for (uint32_t i = 0; i < want; i++) {
            bool prio = (round + i) % 3 == 0;
            uint32_t occ = rt_ring_occupancy(r);
            bool room = occ < (prio ? WCAP : WCAP - WHEAD);
            if (push(r, prio, next_in)) {
                assert_true(room);
                next_in++;
            } else {
                assert_false(room);
            }
        }
        uint32_t n = rt_ring_peek_sc(r, slots, WCAP);
        assert_int_equal(n, next_in - next_out);
        uint32_t take = round % 2 ? n : (n + 1) / 2;
        for (uint32_t i = 0; i < take; i++) {
            uint32_t *p = slots[i];
            assert_int_equal(p[0], next_out);
            assert_int_equal(p[1], ~next_out);
            memset(p, 0xa5, 128); /* all of it: 65 rounds up to 128 */
            next_out++;
        }
        rt_ring_release_sc(r, take);
    }
    assert_true(next_in > LAPS * WCAP); /* the counters really wrapped */
    rt_ring_destroy(r);
}

static void test_uncommitted_blocks_consumer_only(void **state)
{
    (void)state;
    rt_ring *r = make(CAP, SLOT, HEADROOM, UINT32_MAX - 1);
    void *slots[CAP];
    uint32_t *a = rt_ring_reserve_mp(r, false);
    uint32_t *b = rt_ring_reserve_mp(r, false);
    assert_non_null(a);
    assert_non_null(b);
    assert_ptr_not_equal(a, b);
    b[0] = 2;
    rt_ring_commit_mp(r, b);
    assert_int_equal(rt_ring_peek_sc(r, slots, CAP), 0);
    assert_true(push(r, false, 3)); /* other producers are not held up */
    assert_int_equal(rt_ring_peek_sc(r, slots, CAP), 0);

    a[0] = 1;
    rt_ring_commit_mp(r, a);
    assert_int_equal(rt_ring_peek_sc(r, slots, 2), 2);
    assert_ptr_equal(slots[0], a);
    assert_ptr_equal(slots[1], b);
    assert_int_equal(rt_ring_peek_sc(r, slots, CAP), 3);
    assert_int_equal(((uint32_t *)slots[2])[0], 3);
    rt_ring_release_sc(r, 3);
    assert_int_equal(rt_ring_occupancy(r), 0);
    assert_int_equal(rt_ring_high_water(r), 3);
    rt_ring_destroy(r);
}

static void test_zero_headroom(void **state)
{
    (void)state;
    rt_ring *r = make(4, 1, 0, 0);
    for (uint32_t i = 0; i < 4; i++)
        assert_true(push(r, i % 2, i));
    assert_false(push(r, false, 9));
    assert_false(push(r, true, 9));
    assert_drops(r, 1, 1);
    rt_ring_destroy(r);
}

static void test_invalid_args(void **state)
{
    (void)state;
    static rt_ring *const sentinel = (rt_ring *)&sentinel;
    rt_ring *r = sentinel; /* must stay untouched on failure */
    const uint32_t bad_caps[] = {0, 1, 2, 3, 6, 12, 100, 1u << 31,
                                 UINT32_MAX};
    for (size_t i = 0; i < sizeof bad_caps / sizeof bad_caps[0]; i++)
        assert_int_equal(rt_ring_create(&r, bad_caps[i], SLOT, 0), RT_EINVAL);
    assert_int_equal(rt_ring_create(&r, 8, SLOT, 8), RT_EINVAL);
    assert_int_equal(rt_ring_create(&r, 8, SLOT, 9), RT_EINVAL);
    assert_int_equal(rt_ring_create(&r, 8, SLOT, UINT32_MAX), RT_EINVAL);
    assert_int_equal(rt_ring_create(&r, 8, 0, 1), RT_EINVAL);
    assert_int_equal(rt_ring_create(NULL, 8, SLOT, 1), RT_EINVAL);
    assert_ptr_equal(r, sentinel);

    assert_int_equal(rt_ring_create(&r, 4, 1, 3), 0);
    assert_ptr_not_equal(r, sentinel);
    rt_ring_destroy(r);
    rt_ring_destroy(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty_peek_returns_zero),
        cmocka_unit_test(test_headroom_boundaries),
        cmocka_unit_test(test_release_frees_space),
        cmocka_unit_test(test_wrap_around),
        cmocka_unit_test(test_uncommitted_blocks_consumer_only),
        cmocka_unit_test(test_zero_headroom),
        cmocka_unit_test(test_invalid_args),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
