/*
 * ip_bench.c - the cost of an address decision in assign mode, rastap's
 * lock-free snapshot against a locked baseline, in one run.
 *
 *   ip_bench [calls] [rastap]   (default 2 000 000 measured calls; "rastap":
 *                               only rastap's latency run, for profilers)
 *
 * Configuration (both implementations): 100 000 static users
 * "CORP\userNNNNNN" (even numbers) -> 10.128.0.1 ..., and the pool
 * 10.64.0.0/16 (65 534 addresses). Workload: those 100 000 and 100 000
 * users without a static entry (odd numbers, same form)
 * connect and disconnect at random (each call picks a user; a connected
 * user releases, another asks), so about half of them are online: ~50 000
 * static leases and ~50 000 pool leases (76 % of the pool). The same call
 * sequence runs against:
 *
 *   rastap    rt_ip_assign_v4 / rt_ip_release_v4 over a snapshot built from
 *             registry-shaped settings (ipassign.h)
 *   baseline  what a straightforward DLL does: one mutex around a sorted
 *             array of (folded name, address) searched with bsearch, a
 *             bitmap of the pool with a next-fit hint, and per-address
 *             holder strings compared on release
 *
 * Each call is timed alone (RDTSC calibrated against CLOCK_MONOTONIC on
 * x86, clock_gettime elsewhere; the timer's own cost is printed). Then
 * 4 threads run the same mix at once for throughput (RRAS serialises the
 * address callouts, so this shows the headroom, not production load).
 * Figures and ratios only: nothing here asserts on time.
 */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#if defined(__x86_64__) || defined(__i386__)
#include <x86intrin.h>
#endif

#include "error.h"
#include "ipassign.h"
#include "ipmap.h"

enum { STATIC_USERS = 100000, POOL_USERS = 100000, USERS = STATIC_USERS + POOL_USERS,
       NAME_UNITS = 24, POOL_BASE = 0x0A400000u, POOL_SIZE = 65536, STATIC_BASE = 0x0A800001u };

/* ------------------------------------------------------------- timing */

static double ticks_per_ns = 1.0;

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t ticks(void)
{
#if defined(__x86_64__) || defined(__i386__)
    return __rdtsc();
#else
    return now_ns();
#endif
}

static void calibrate(void)
{
    uint64_t n0 = now_ns(), t0 = ticks();
    while (now_ns() - n0 < 200000000u)
        ;
    ticks_per_ns = (double)(ticks() - t0) / (double)(now_ns() - n0);
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

typedef struct pct {
    double p50, p90, p99, p999, max;
    size_t n;
} pct;

static pct percentiles(uint64_t *v, size_t n)
{
    pct p = {0};
    if (n == 0)
        return p;
    qsort(v, n, sizeof *v, cmp_u64);
    p.p50 = (double)v[n / 2] / ticks_per_ns;
    p.p90 = (double)v[(size_t)((double)n * 0.90)] / ticks_per_ns;
    p.p99 = (double)v[(size_t)((double)n * 0.99)] / ticks_per_ns;
    p.p999 = (double)v[(size_t)((double)n * 0.999)] / ticks_per_ns;
    p.max = (double)v[n - 1] / ticks_per_ns;
    p.n = n;
    return p;
}

static void print_pct(const char *impl, const char *what, pct p)
{
    printf("  %-9s %-15s n %8zu  p50 %7.0f  p90 %7.0f  p99 %7.0f  p99.9 %7.0f  max %8.0f ns\n", impl,
           what, p.n, p.p50, p.p90, p.p99, p.p999, p.max);
}

/* -------------------------------------------------------------- users */

static rt_wchar names[USERS][NAME_UNITS];
static size_t name_len[USERS];
static const rt_wchar port_name[] = {'V', 'P', 'N', '2', '-', '1', '7'};

static void make_names(void)
{
    char buf[NAME_UNITS];
    for (unsigned i = 0; i < USERS; i++) {
        /* Static users have the even numbers, pool users the odd ones: the
         * names interleave, so no lookup is cheaper for its name's sake. */
        unsigned num = i < STATIC_USERS ? 2 * i : 2 * (i - STATIC_USERS) + 1;
        int n = snprintf(buf, sizeof buf, "CORP\\user%06u", num);
        for (int k = 0; k < n; k++)
            names[i][k] = (rt_wchar)buf[k];
        name_len[i] = (size_t)n;
    }
}

/* ---------------------------------------------------- implementations */

typedef struct impl {
    const char *name;
    void *ctx;
    /* Returns the address (host order) or 0. */
    uint32_t (*get)(void *ctx, unsigned user);
    int (*release)(void *ctx, unsigned user, uint32_t addr);
} impl;

/* rastap */

typedef struct rastap {
    rt_ip_state *st;
    rt_ip_snapshot *snap;
} rastap;

static void put_unit(unsigned char **p, size_t *n, size_t *cap, unsigned c)
{
    if (*n + 2 > *cap) {
        *cap = *cap ? *cap * 2 : 1 << 20;
        *p = realloc(*p, *cap);
    }
    (*p)[(*n)++] = (unsigned char)(c & 0xFF);
    (*p)[(*n)++] = (unsigned char)(c >> 8);
}

static void put_text(unsigned char **p, size_t *n, size_t *cap, const char *s)
{
    while (*s)
        put_unit(p, n, cap, (unsigned char)*s++);
    put_unit(p, n, cap, 0);
}

static rastap *rastap_create(void)
{
    static const uint8_t key[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
    rastap *r = calloc(1, sizeof *r);
    rt_ip_settings *s;
    if (rt_ip_state_create(key, 0, &r->st) != RT_OK || rt_ip_settings_create(&s) != RT_OK)
        exit(1);
    unsigned char *data = NULL;
    size_t n = 0, cap = 0;
    put_text(&data, &n, &cap, "assign");
    rt_ip_settings_value(s, "Ipv4Mode", 1, data, n, NULL, NULL);
    n = 0;
    put_text(&data, &n, &cap, "10.64.0.0/16");
    put_unit(&data, &n, &cap, 0);
    rt_ip_settings_value(s, "Ipv4Pools", 7, data, n, NULL, NULL);
    n = 0;
    for (unsigned i = 0; i < STATIC_USERS; i++) {
        char line[64];
        uint32_t a = STATIC_BASE + i;
        snprintf(line, sizeof line, "CORP\\user%06u=%u.%u.%u.%u", 2 * i, a >> 24, a >> 16 & 255,
                 a >> 8 & 255, a & 255);
        put_text(&data, &n, &cap, line);
    }
    put_unit(&data, &n, &cap, 0);
    uint64_t t0 = now_ns();
    if (rt_ip_settings_value(s, "Ipv4Static", 7, data, n, NULL, NULL) != RT_OK ||
        rt_ip_snapshot_build(r->st, s, NULL, NULL, &r->snap) != RT_OK)
        exit(1);
    printf("  rastap snapshot: %u static lines (%zu KiB of REG_MULTI_SZ) parsed and built in %.1f ms\n",
           STATIC_USERS, n / 1024, (double)(now_ns() - t0) / 1e6);
    free(data);
    return r;
}

/* Static and pool users go through functions of their own, only so that a
 * profiler can tell the two paths apart:
 *   valgrind --tool=callgrind --toggle-collect=rastap_get_static ip_bench 200000 rastap */
#if defined(__GNUC__)
#define NOINLINE __attribute__((noinline))
#else
#define NOINLINE
#endif

static NOINLINE uint32_t assign(rastap *r, unsigned user)
{
    rt_ip_who who = {names[user], name_len[user], port_name, 7};
    rt_ip_outcome o;
    rt_ip_assign_v4(r->st, r->snap, &who, 0, &o);
    return o.result == RT_OK ? o.ipv4 : 0;
}

static volatile unsigned path_calls[2]; /* keeps the two from being merged into one */

static NOINLINE uint32_t rastap_get_static(rastap *r, unsigned user)
{
    path_calls[0]++;
    return assign(r, user);
}

static NOINLINE uint32_t rastap_get_pool(rastap *r, unsigned user)
{
    path_calls[1]++;
    return assign(r, user);
}

static uint32_t rastap_get(void *ctx, unsigned user)
{
    return user < STATIC_USERS ? rastap_get_static(ctx, user) : rastap_get_pool(ctx, user);
}

static int rastap_release(void *ctx, unsigned user, uint32_t addr)
{
    rastap *r = ctx;
    rt_ip_who who = {names[user], name_len[user], port_name, 7};
    return rt_ip_release_v4(r->st, &who, addr, NULL);
}

/* baseline */

typedef struct entry {
    rt_wchar name[NAME_UNITS];
    size_t len;
    uint32_t addr;
} entry;

typedef struct holder {
    rt_wchar user[NAME_UNITS], port[8];
    size_t user_len;
} holder;

typedef struct baseline {
    pthread_mutex_t lock;
    entry *map;            /* sorted by folded name */
    uint64_t bits[POOL_SIZE / 64];
    uint8_t static_held[STATIC_USERS];
    holder *pool_holder, *static_holder;
    size_t hint;
} baseline;

static int cmp_name(const rt_wchar *a, size_t al, const rt_wchar *b, size_t bl)
{
    for (size_t i = 0; i < al && i < bl; i++)
        if (a[i] != b[i])
            return a[i] < b[i] ? -1 : 1;
    return al < bl ? -1 : al > bl;
}

static int cmp_entry(const void *a, const void *b)
{
    const entry *x = a, *y = b;
    return cmp_name(x->name, x->len, y->name, y->len);
}

static baseline *baseline_create(void)
{
    baseline *b = calloc(1, sizeof *b);
    pthread_mutex_init(&b->lock, NULL);
    b->map = calloc(STATIC_USERS, sizeof *b->map);
    b->pool_holder = calloc(POOL_SIZE, sizeof *b->pool_holder);
    b->static_holder = calloc(STATIC_USERS, sizeof *b->static_holder);
    for (unsigned i = 0; i < STATIC_USERS; i++) {
        for (size_t k = 0; k < name_len[i]; k++)
            b->map[i].name[k] = rt_ipmap_fold_unit(names[i][k]);
        b->map[i].len = name_len[i];
        b->map[i].addr = STATIC_BASE + i;
    }
    qsort(b->map, STATIC_USERS, sizeof *b->map, cmp_entry);
    b->bits[0] |= 1; /* network and broadcast addresses */
    b->bits[POOL_SIZE / 64 - 1] |= 1ull << 63;
    return b;
}

static void set_holder(holder *h, unsigned user)
{
    memcpy(h->user, names[user], name_len[user] * sizeof(rt_wchar));
    h->user_len = name_len[user];
    memcpy(h->port, port_name, sizeof port_name);
}

static bool same_holder(const holder *h, unsigned user)
{
    return h->user_len == name_len[user] &&
           memcmp(h->user, names[user], h->user_len * sizeof(rt_wchar)) == 0 &&
           memcmp(h->port, port_name, sizeof port_name) == 0;
}

static uint32_t baseline_get(void *ctx, unsigned user)
{
    baseline *b = ctx;
    entry key;
    for (size_t k = 0; k < name_len[user]; k++)
        key.name[k] = rt_ipmap_fold_unit(names[user][k]);
    key.len = name_len[user];
    uint32_t addr = 0;
    pthread_mutex_lock(&b->lock);
    entry *e = bsearch(&key, b->map, STATIC_USERS, sizeof *b->map, cmp_entry);
    if (e && !b->static_held[e->addr - STATIC_BASE]) {
        b->static_held[e->addr - STATIC_BASE] = 1;
        set_holder(&b->static_holder[e->addr - STATIC_BASE], user);
        addr = e->addr;
    }
    for (size_t k = 0; !addr && k < POOL_SIZE / 64; k++) {
        size_t w = (b->hint + k) % (POOL_SIZE / 64);
        if (~b->bits[w]) {
            unsigned bit = (unsigned)__builtin_ctzll(~b->bits[w]);
            b->bits[w] |= 1ull << bit;
            b->hint = w;
            set_holder(&b->pool_holder[w * 64 + bit], user);
            addr = POOL_BASE + (uint32_t)(w * 64 + bit);
        }
    }
    pthread_mutex_unlock(&b->lock);
    return addr;
}

static int baseline_release(void *ctx, unsigned user, uint32_t addr)
{
    baseline *b = ctx;
    int rc = RT_ENOENT;
    pthread_mutex_lock(&b->lock);
    if (addr >= STATIC_BASE && addr < STATIC_BASE + STATIC_USERS) {
        size_t i = addr - STATIC_BASE;
        if (b->static_held[i] && same_holder(&b->static_holder[i], user)) {
            b->static_held[i] = 0;
            rc = RT_OK;
        }
    } else if (addr - POOL_BASE < POOL_SIZE) {
        size_t i = addr - POOL_BASE;
        if ((b->bits[i / 64] >> (i % 64) & 1) && same_holder(&b->pool_holder[i], user)) {
            b->bits[i / 64] &= ~(1ull << (i % 64));
            rc = RT_OK;
        }
    }
    pthread_mutex_unlock(&b->lock);
    return rc;
}

/* ------------------------------------------------------------ workload */

typedef struct run {
    const impl *im;
    unsigned first, count; /* users this run drives */
    size_t calls;
    uint64_t seed;
    uint64_t *lat_static, *lat_pool, *lat_release; /* NULL: not timed */
    size_t n_static, n_pool, n_release, refused;
} run;

static volatile unsigned touched;

static void drive(run *r, uint32_t *held)
{
    uint64_t x = r->seed;
    for (size_t i = 0; i < r->calls; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        unsigned u = r->first + (unsigned)(x % r->count);
        /* RAS hands over strings it has just written: warm them, and our
         * own bookkeeping, before the clock starts. */
        uint32_t was = held[u];
        touched += names[u][0] + names[u][name_len[u] - 1];
        uint64_t t0 = ticks();
        if (was) {
            if (r->im->release(r->im->ctx, u, was) != RT_OK)
                abort(); /* every lease comes back */
            uint64_t dt = ticks() - t0;
            if (r->lat_release)
                r->lat_release[r->n_release++] = dt;
            held[u] = 0;
            continue;
        }
        uint32_t a = r->im->get(r->im->ctx, u);
        uint64_t dt = ticks() - t0;
        if (!a) {
            r->refused++;
            continue;
        }
        held[u] = a;
        if (r->lat_static && u < STATIC_USERS)
            r->lat_static[r->n_static++] = dt;
        else if (r->lat_pool)
            r->lat_pool[r->n_pool++] = dt;
    }
    r->seed = x;
}

static pct measured[2][3];

static void latency(const impl *im, int which, size_t calls)
{
    static uint32_t held[USERS];
    memset(held, 0, sizeof held);
    run warm = {im, 0, USERS, 1000000, 0x9E3779B97F4A7C15u, NULL, NULL, NULL, 0, 0, 0, 0};
    drive(&warm, held);
    run r = {im, 0, USERS, calls, warm.seed, malloc(calls * 8), malloc(calls * 8),
             malloc(calls * 8), 0, 0, 0, 0};
    drive(&r, held);
    measured[which][0] = percentiles(r.lat_static, r.n_static);
    measured[which][1] = percentiles(r.lat_pool, r.n_pool);
    measured[which][2] = percentiles(r.lat_release, r.n_release);
    print_pct(im->name, "get (static)", measured[which][0]);
    print_pct(im->name, "get (pool)", measured[which][1]);
    print_pct(im->name, "release", measured[which][2]);
    size_t live = 0;
    for (unsigned u = 0; u < USERS; u++) {
        if (held[u]) {
            live++;
            im->release(im->ctx, u, held[u]);
        }
    }
    printf("  %-9s %zu refused (pool exhausted), %zu leases live at the end\n", im->name, r.refused,
           live);
    free(r.lat_static);
    free(r.lat_pool);
    free(r.lat_release);
}

typedef struct thread_arg {
    run r;
    uint32_t *held;
} thread_arg;

static void *thread_main(void *p)
{
    thread_arg *a = p;
    drive(&a->r, a->held);
    return NULL;
}

static double throughput(const impl *im, size_t calls_per_thread)
{
    enum { T = 4 };
    pthread_t t[T];
    thread_arg a[T];
    uint32_t *held = calloc(USERS, sizeof *held);
    uint64_t t0 = now_ns();
    for (unsigned i = 0; i < T; i++) { /* each thread its own users */
        a[i].r = (run){im, i * (USERS / T), USERS / T, calls_per_thread, 0x1234567u + i,
                       NULL, NULL, NULL, 0, 0, 0, 0};
        a[i].held = held;
        pthread_create(&t[i], NULL, thread_main, &a[i]);
    }
    for (unsigned i = 0; i < T; i++)
        pthread_join(t[i], NULL);
    double secs = (double)(now_ns() - t0) / 1e9;
    for (unsigned u = 0; u < USERS; u++)
        if (held[u])
            im->release(im->ctx, u, held[u]);
    free(held);
    return (double)(T * calls_per_thread) / secs;
}

int main(int argc, char **argv)
{
    size_t calls = argc > 1 ? strtoul(argv[1], NULL, 10) : 2000000;
    if (calls < 1000)
        calls = 1000;
    calibrate();
    bool only_rastap = argc > 2 && strcmp(argv[2], "rastap") == 0;
    uint64_t t0 = ticks();
    for (int i = 0; i < 1000; i++)
        (void)ticks();
    double per = (double)(ticks() - t0) / 1000.0 / ticks_per_ns;
    printf("ip_bench: %u static users, pool 10.64.0.0/16, %zu timed calls per implementation\n",
           STATIC_USERS, calls);
    uint64_t *empty = malloc(100000 * sizeof *empty);
    for (int i = 0; i < 100000; i++) {
        uint64_t a = ticks();
        empty[i] = ticks() - a;
    }
    pct e = percentiles(empty, 100000);
    free(empty);
    printf("  timer: %.2f ticks/ns, %.1f ns per reading; an empty timed call reads p50 %.0f ns, "
           "p99 %.0f ns (included in every figure below)\n", ticks_per_ns, per, e.p50, e.p99);
    make_names();
    rastap *ra = rastap_create();
    baseline *ba = baseline_create();
    impl impls[2] = {{"rastap", ra, rastap_get, rastap_release},
                     {"baseline", ba, baseline_get, baseline_release}};
    printf("latency, 1 thread (the way RRAS calls):\n");
    for (int i = 0; i < (only_rastap ? 1 : 2); i++)
        latency(&impls[i], i, calls);
    if (only_rastap) /* for profilers: nothing else runs */
        return 0;
    printf("ratios baseline / rastap:\n");
    static const char *const what[] = {"get (static)", "get (pool)", "release"};
    for (int k = 0; k < 3; k++)
        printf("  %-15s p50 %.2fx  p99 %.2fx  p99.9 %.2fx\n", what[k],
               measured[1][k].p50 / measured[0][k].p50, measured[1][k].p99 / measured[0][k].p99,
               measured[1][k].p999 / measured[0][k].p999);
    printf("throughput, 4 threads on disjoint users:\n");
    double tr = throughput(&impls[0], calls / 2), tb = throughput(&impls[1], calls / 2);
    printf("  rastap   %10.0f calls/s\n  baseline %10.0f calls/s   (rastap %.2fx)\n", tr, tb,
           tr / tb);
    rt_ip_snapshot_free(ra->snap);
    rt_ip_state_destroy(ra->st);
    free(ra);
    free(ba->map);
    free(ba->pool_holder);
    free(ba->static_holder);
    free(ba);
    return 0;
}
