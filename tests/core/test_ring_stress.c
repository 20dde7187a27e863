/*
 * test_ring_stress.c - N producers / 1 consumer on the event ring (ring.h).
 *
 * Each producer makes PUSHES attempts carrying (producer id, its counter) and
 * a fill pattern derived from both, every fourth one with priority, and
 * records which attempts the ring refused; producer 0 now and then yields
 * between reserve and commit. The consumer (the test's main
 * thread) checks every event as it arrives; after the join every attempt
 * must have been either received exactly once or refused, never both, each
 * producer's events must arrive in its own order, and the drop counters must
 * equal the refusals per class. Run with a small ring (drops guaranteed: the
 * consumer starts only after the first refusal) and a large one.
 *
 * gcc -std=c11 -O1 -g -fsanitize=thread -pthread -Wall -Wextra -Werror \
 *     -Isrc/core src/core/ring.c src/core/error.c \
 *     tests/core/test_ring_stress.c -lcmocka -o test_ring_stress
 * (also with -fsanitize=address,undefined instead of thread)
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "ring.h"

enum { PRODUCERS = 4, PUSHES = 200000, BATCH = 64, FILL = 40 };
enum { REFUSED_NORMAL = 1, REFUSED_PRIORITY = 2 };

typedef struct msg {
    uint32_t producer;
    uint32_t counter;
    uint8_t fill[FILL];
} msg;

typedef struct run {
    rt_ring *ring;
    _Atomic uint32_t finished; /* producers done */
    uint8_t *refused[PRODUCERS]; /* written by producer i only */
    uint8_t *received[PRODUCERS]; /* written by the consumer only */
    uint32_t next[PRODUCERS]; /* lowest counter still acceptable */
    uint64_t errors; /* bad producer, counter, order, fill, duplicate */
    uint64_t got;
    uint32_t drops[2]; /* normal, priority, as taken by the consumer */
} run;

typedef struct producer_arg {
    run *run;
    uint32_t id;
} producer_arg;

static uint8_t pattern(uint32_t producer, uint32_t counter, uint32_t i)
{
    return (uint8_t)(producer * 131u + counter * 7u + i);
}

static void *produce(void *p)
{
    producer_arg *a = p;
    run *t = a->run;
    for (uint32_t k = 0; k < PUSHES; k++) {
        bool prio = k % 4 == 0;
        msg *m = rt_ring_reserve_mp(t->ring, prio);
        if (!m) {
            t->refused[a->id][k] = prio ? REFUSED_PRIORITY : REFUSED_NORMAL;
            sched_yield(); /* back off so most attempts still get through */
            continue;
        }
        m->producer = a->id;
        m->counter = k;
        for (uint32_t i = 0; i < FILL; i++)
            m->fill[i] = pattern(a->id, k, i);
        if (a->id == 0 && k % 1024 == 0)
            sched_yield(); /* hold the slot: others must not wait for it */
        rt_ring_commit_mp(t->ring, m);
    }
    /* Release: pairs with the acquire load in consume(); every commit above
     * is visible to the consumer once it sees the count. */
    atomic_fetch_add_explicit(&t->finished, 1, memory_order_release);
    return NULL;
}

static void take_drops(run *t)
{
    uint32_t n, p;
    rt_ring_take_drops(t->ring, &n, &p);
    t->drops[0] += n;
    t->drops[1] += p;
}

static void check(run *t, const msg *m)
{
    if (m->producer >= PRODUCERS || m->counter >= PUSHES ||
        m->counter < t->next[m->producer]) {
        t->errors++;
        return;
    }
    for (uint32_t i = 0; i < FILL; i++)
        if (m->fill[i] != pattern(m->producer, m->counter, i)) {
            t->errors++;
            break;
        }
    t->received[m->producer][m->counter]++;
    t->next[m->producer] = m->counter + 1;
    t->got++;
}

static void consume(run *t)
{
    void *slots[BATCH];
    for (uint32_t spins = 0;; spins++) {
        /* Acquire: pairs with the release increment in produce(). */
        uint32_t done = atomic_load_explicit(&t->finished,
                                             memory_order_acquire);
        uint32_t n = rt_ring_peek_sc(t->ring, slots, BATCH);
        for (uint32_t i = 0; i < n; i++)
            check(t, slots[i]);
        rt_ring_release_sc(t->ring, n);
        if (spins % 1024 == 0)
            take_drops(t);
        if (n == 0) {
            if (done == PRODUCERS)
                break;
            sched_yield();
        }
    }
    take_drops(t);
}

static void stress(uint32_t capacity, uint32_t headroom, bool stall_first)
{
    run *t = calloc(1, sizeof *t);
    assert_non_null(t);
    assert_int_equal(rt_ring_create_at(&t->ring, capacity, sizeof(msg),
                                       headroom, UINT32_MAX - 100),
                     0);
    for (int i = 0; i < PRODUCERS; i++) {
        t->refused[i] = calloc(PUSHES, 1);
        t->received[i] = calloc(PUSHES, 1);
        assert_true(t->refused[i] && t->received[i]);
    }

    pthread_t th[PRODUCERS];
    producer_arg args[PRODUCERS];
    for (uint32_t i = 0; i < PRODUCERS; i++) {
        args[i] = (producer_arg){t, i};
        assert_int_equal(pthread_create(&th[i], NULL, produce, &args[i]), 0);
    }
    /* Let the ring overflow before consuming, so drops are certain. */
    while (stall_first && t->drops[0] + t->drops[1] == 0) {
        take_drops(t);
        sched_yield();
    }
    consume(t);
    for (int i = 0; i < PRODUCERS; i++)
        assert_int_equal(pthread_join(th[i], NULL), 0);

    uint64_t refused[3] = {0, 0, 0}, lost = 0, both = 0;
    for (int p = 0; p < PRODUCERS; p++)
        for (uint32_t k = 0; k < PUSHES; k++) {
            uint8_t f = t->refused[p][k], r = t->received[p][k];
            refused[f]++;
            lost += f == 0 && r != 1;
            both += f != 0 && r != 0;
        }
    printf("    capacity %u: received %llu, refused %llu normal + %llu "
           "priority, high water %u\n",
           capacity, (unsigned long long)t->got,
           (unsigned long long)refused[REFUSED_NORMAL],
           (unsigned long long)refused[REFUSED_PRIORITY],
           rt_ring_high_water(t->ring));

    assert_int_equal(t->errors, 0);
    assert_int_equal(lost, 0);
    assert_int_equal(both, 0);
    assert_int_equal(t->got + refused[1] + refused[2],
                     (uint64_t)PRODUCERS * PUSHES);
    assert_int_equal(t->drops[0], refused[REFUSED_NORMAL]);
    assert_int_equal(t->drops[1], refused[REFUSED_PRIORITY]);
    if (stall_first)
        assert_true(refused[1] + refused[2] > 0);
    assert_int_equal(rt_ring_occupancy(t->ring), 0);
    assert_true(rt_ring_high_water(t->ring) <= capacity);

    for (int i = 0; i < PRODUCERS; i++) {
        free(t->refused[i]);
        free(t->received[i]);
    }
    rt_ring_destroy(t->ring);
    free(t);
}

static void test_small_ring_drops(void **state)
{
    (void)state;
    stress(64, 8, true);
}

static void test_large_ring(void **state)
{
    (void)state;
    stress(1u << 16, 1u << 13, false);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_small_ring_drops),
        cmocka_unit_test(test_large_ring),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
