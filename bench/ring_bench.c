/*
 * ring_bench.c - event-ring throughput: rt_ring against ck_ring (Concurrency
 * Kit, MPSC) and a mutex + condition-variable bounded queue, in one run.
 *
 * gcc -std=c11 -O2 -Wall -Wextra -Werror -Isrc/core bench/ring_bench.c \
 *     src/core/ring.c src/core/error.c -pthread -o ring_bench
 * ./ring_bench [ops [rounds]]   (defaults: 5000000 operations, 3 rounds)
 *
 * Each queue gets 2 producers and 1 consumer, `ops` events in total, for a
 * 64-byte and a 1600-byte payload (1600 is about one rt_event). The three
 * queues run in turn, `rounds` times, and their medians are compared.
 * Producers copy a prepared event into the queue; the consumer copies each
 * event out and sums its first word (checked at the end). A producer that
 * finds the queue full retries after a short back-off (64 pauses, then
 * sched_yield), as does a consumer that finds it empty; the mutex queue
 * waits on its condition variables instead.
 *
 *   rt_ring  capacity 4096, headroom 512, normal reservations (the DLL's
 *            settings); the consumer peeks and releases up to 64 at a time.
 *   ck_ring  4096 pointers (4095 usable), ck_ring_enqueue_mpsc /
 *            ck_ring_dequeue_mpsc; each producer writes into its own pool of
 *            2 x 4096 preallocated 64-byte-aligned records and enqueues the
 *            record's address. A record is reused only 8192 pushes later,
 *            by which time the consumer has finished with it (on x86).
 *   mutex    4096 records in one array, copy in/out under the lock.
 *
 * Figures only, no assertions on time. With fewer than 3 free cores the
 * threads share cores and the figures swing from run to run (a producer
 * preempted inside reserve..commit stalls the consumer of either lock-free
 * ring); read min and max as well as the medians.
 */
#define _GNU_SOURCE
#include <ck_ring.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ring.h"

enum { PRODUCERS = 2, CAPACITY = 4096, BATCH = 64, POOL = 2 * CAPACITY };
enum { MAX_ROUNDS = 15 };

typedef struct bench bench;
typedef void *(*thread_fn)(void *);

typedef struct mutex_queue {
    pthread_mutex_t lock;
    pthread_cond_t not_empty, not_full;
    unsigned char *records;
    uint32_t head, count;
} mutex_queue;

struct bench {
    size_t size;      /* payload bytes */
    uint64_t per_producer;
    _Atomic uint32_t ready;
    _Atomic bool go;
    uint64_t sum;     /* consumer's sum of first words */
    rt_ring *rt;
    ck_ring_t ck;
    ck_ring_buffer_t *ck_buf;
    unsigned char *pool[PRODUCERS];
    mutex_queue mq;
};

typedef struct worker {
    bench *b;
    uint32_t id;
} worker;

static void *xalloc(size_t n)
{
    void *p = NULL;
    if (posix_memalign(&p, 64, n) != 0) {
        fprintf(stderr, "out of memory\n");
        exit(1);
    }
    memset(p, 0, n);
    return p;
}

static void backoff(uint32_t *spins)
{
    if (++*spins < 64) {
#if defined(__x86_64__) || defined(__i386__)
        __builtin_ia32_pause();
#endif
    } else {
        *spins = 0;
        sched_yield();
    }
}

static void start_line(bench *b)
{
    atomic_fetch_add_explicit(&b->ready, 1, memory_order_acq_rel);
    while (!atomic_load_explicit(&b->go, memory_order_acquire))
        sched_yield();
}

static void make_event(unsigned char *ev, uint64_t k)
{
    memcpy(ev, &k, sizeof k);
}

static uint64_t take_event(unsigned char *sink, const void *slot, size_t size)
{
    uint64_t k;
    memcpy(sink, slot, size);
    memcpy(&k, sink, sizeof k);
    return k;
}

/* ---- rt_ring ---------------------------------------------------------- */

static void *rt_produce(void *arg)
{
    worker *w = arg;
    bench *b = w->b;
    unsigned char *ev = xalloc(b->size);
    start_line(b);
    for (uint64_t k = 0; k < b->per_producer; k++) {
        make_event(ev, k);
        void *slot;
        uint32_t spins = 0;
        while (!(slot = rt_ring_reserve_mp(b->rt, false)))
            backoff(&spins);
        memcpy(slot, ev, b->size);
        rt_ring_commit_mp(b->rt, slot);
    }
    free(ev);
    return NULL;
}

static void *rt_consume(void *arg)
{
    bench *b = ((worker *)arg)->b;
    unsigned char *sink = xalloc(b->size);
    void *slots[BATCH];
    uint64_t left = b->per_producer * PRODUCERS, sum = 0;
    start_line(b);
    while (left > 0) {
        uint32_t spins = 0, n;
        while ((n = rt_ring_peek_sc(b->rt, slots, BATCH)) == 0)
            backoff(&spins);
        for (uint32_t i = 0; i < n; i++)
            sum += take_event(sink, slots[i], b->size);
        rt_ring_release_sc(b->rt, n);
        left -= n;
    }
    b->sum = sum;
    free(sink);
    return NULL;
}

/* ---- ck_ring (MPSC) --------------------------------------------------- */

static void *ck_produce(void *arg)
{
    worker *w = arg;
    bench *b = w->b;
    unsigned char *ev = xalloc(b->size);
    start_line(b);
    for (uint64_t k = 0; k < b->per_producer; k++) {
        make_event(ev, k);
        unsigned char *rec = b->pool[w->id] + (k % POOL) * b->size;
        memcpy(rec, ev, b->size);
        uint32_t spins = 0;
        while (!ck_ring_enqueue_mpsc(&b->ck, b->ck_buf, rec))
            backoff(&spins);
    }
    free(ev);
    return NULL;
}

static void *ck_consume(void *arg)
{
    bench *b = ((worker *)arg)->b;
    unsigned char *sink = xalloc(b->size);
    uint64_t left = b->per_producer * PRODUCERS, sum = 0;
    start_line(b);
    for (; left > 0; left--) {
        void *rec;
        uint32_t spins = 0;
        while (!ck_ring_dequeue_mpsc(&b->ck, b->ck_buf, &rec))
            backoff(&spins);
        sum += take_event(sink, rec, b->size);
    }
    b->sum = sum;
    free(sink);
    return NULL;
}

/* ---- mutex + condition variables -------------------------------------- */

static void *mq_produce(void *arg)
{
    worker *w = arg;
    bench *b = w->b;
    mutex_queue *q = &b->mq;
    unsigned char *ev = xalloc(b->size);
    start_line(b);
    for (uint64_t k = 0; k < b->per_producer; k++) {
        make_event(ev, k);
        pthread_mutex_lock(&q->lock);
        while (q->count == CAPACITY)
            pthread_cond_wait(&q->not_full, &q->lock);
        uint32_t tail = (q->head + q->count) % CAPACITY;
        memcpy(q->records + (size_t)tail * b->size, ev, b->size);
        q->count++;
        pthread_cond_signal(&q->not_empty);
        pthread_mutex_unlock(&q->lock);
    }
    free(ev);
    return NULL;
}

static void *mq_consume(void *arg)
{
    bench *b = ((worker *)arg)->b;
    mutex_queue *q = &b->mq;
    unsigned char *sink = xalloc(b->size);
    uint64_t left = b->per_producer * PRODUCERS, sum = 0;
    start_line(b);
    for (; left > 0; left--) {
        pthread_mutex_lock(&q->lock);
        while (q->count == 0)
            pthread_cond_wait(&q->not_empty, &q->lock);
        sum += take_event(sink, q->records + (size_t)q->head * b->size,
                          b->size);
        q->head = (q->head + 1) % CAPACITY;
        q->count--;
        pthread_cond_signal(&q->not_full);
        pthread_mutex_unlock(&q->lock);
    }
    b->sum = sum;
    free(sink);
    return NULL;
}

/* ---- driver ----------------------------------------------------------- */

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Runs one queue; returns operations per second (0 if the sum is wrong). */
static double run(bench *b, thread_fn produce, thread_fn consume)
{
    pthread_t th[PRODUCERS + 1];
    worker w[PRODUCERS + 1];
    atomic_store_explicit(&b->ready, 0, memory_order_relaxed);
    atomic_store_explicit(&b->go, false, memory_order_relaxed);
    for (uint32_t i = 0; i <= PRODUCERS; i++) {
        w[i] = (worker){b, i};
        pthread_create(&th[i], NULL, i < PRODUCERS ? produce : consume, &w[i]);
    }
    while (atomic_load_explicit(&b->ready, memory_order_acquire) <=
           PRODUCERS)
        sched_yield();
    double t0 = now();
    atomic_store_explicit(&b->go, true, memory_order_release);
    for (uint32_t i = 0; i <= PRODUCERS; i++)
        pthread_join(th[i], NULL);
    double secs = now() - t0;

    uint64_t n = b->per_producer;
    uint64_t want = PRODUCERS * (n * (n - 1) / 2);
    if (b->sum != want) {
        fprintf(stderr, "checksum mismatch: %llu != %llu\n",
                (unsigned long long)b->sum, (unsigned long long)want);
        return 0;
    }
    return (double)(n * PRODUCERS) / secs;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Prints median, min and max of one queue's rounds; returns the median. */
static double report(const char *name, double *v, uint32_t n)
{
    qsort(v, n, sizeof v[0], cmp_double);
    double med = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
    printf("  %-8s median %11.0f ops/s   min %11.0f   max %11.0f", name, med,
           v[0], v[n - 1]);
    return med;
}

static void bench_size(size_t size, uint64_t ops, uint32_t rounds)
{
    bench *b = xalloc(sizeof *b);
    b->size = size;
    b->per_producer = ops / PRODUCERS;

    if (rt_ring_create(&b->rt, CAPACITY, (uint32_t)size,
                       RT_RING_DEFAULT_HEADROOM(CAPACITY)) != 0)
        exit(1);
    b->ck_buf = xalloc(sizeof(ck_ring_buffer_t) * CAPACITY);
    ck_ring_init(&b->ck, CAPACITY);
    for (int i = 0; i < PRODUCERS; i++)
        b->pool[i] = xalloc(POOL * size);
    pthread_mutex_init(&b->mq.lock, NULL);
    pthread_cond_init(&b->mq.not_empty, NULL);
    pthread_cond_init(&b->mq.not_full, NULL);
    b->mq.records = xalloc((size_t)CAPACITY * size);
    printf("payload %zu B, %llu ops per run, %d producers / 1 consumer, "
           "%u rounds\n",
           size, (unsigned long long)(b->per_producer * PRODUCERS), PRODUCERS,
           rounds);

    double rt[MAX_ROUNDS], ck[MAX_ROUNDS], mq[MAX_ROUNDS];
    uint32_t retries = 0;
    for (uint32_t i = 0; i < rounds; i++) {
        uint32_t n, p;
        rt[i] = run(b, rt_produce, rt_consume);
        rt_ring_take_drops(b->rt, &n, &p);
        retries += n + p;
        ck[i] = run(b, ck_produce, ck_consume);
        mq[i] = run(b, mq_produce, mq_consume);
    }
    double rt_med = report("rt_ring", rt, rounds);
    printf("  (%u full-ring retries)\n", retries);
    double ck_med = report("ck_ring", ck, rounds);
    printf("\n");
    double mq_med = report("mutex", mq, rounds);
    printf("\n  median ratios: rt_ring/ck_ring %.2f   rt_ring/mutex %.2f\n",
           ck_med > 0 ? rt_med / ck_med : 0, mq_med > 0 ? rt_med / mq_med : 0);

    rt_ring_destroy(b->rt);
    free(b->ck_buf);
    for (int i = 0; i < PRODUCERS; i++)
        free(b->pool[i]);
    free(b->mq.records);
    pthread_mutex_destroy(&b->mq.lock);
    pthread_cond_destroy(&b->mq.not_empty);
    pthread_cond_destroy(&b->mq.not_full);
    free(b);
}

int main(int argc, char **argv)
{
    uint64_t ops = argc > 1 ? strtoull(argv[1], NULL, 10) : 5000000;
    unsigned long rounds = argc > 2 ? strtoul(argv[2], NULL, 10) : 3;
    if (ops < PRODUCERS || rounds < 1 || rounds > MAX_ROUNDS) {
        fprintf(stderr, "usage: %s [ops >= %d [rounds 1..%d]]\n", argv[0],
                PRODUCERS, MAX_ROUNDS);
        return 2;
    }
    bench_size(64, ops, (uint32_t)rounds);
    printf("\n");
    bench_size(1600, ops, (uint32_t)rounds);
    return 0;
}
