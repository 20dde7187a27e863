/*
 * ip_bench_win.c - MprAdminGetIpAddressForUser's work in assign mode, timed
 * on Windows (or Wine): rastap's callout body against a locked baseline.
 *
 *   ip_bench_win [calls]        (default 1 000 000 timed calls each)
 *
 * The configuration goes through the registry as an administrator would
 * write it, into a scratch key (HKCU\Software\rastap-ip-bench, deleted at
 * the end): Ipv4Mode=assign, Ipv4Pools=10.64.0.0/16, Ipv4Static with
 * 100 000 lines "CORP\userNNNNNN=10.128.x.y" (even numbers).
 * rt_ipassign_win_load reads it and builds the snapshot (timed once). Then
 * the same random connect / disconnect mix as bench/ip_bench.c (100 000
 * static users and 100 000 odd-numbered users without an entry, about half
 * online) calls
 *
 *   rastap    rt_ipassign_win_get_v4 / _release_v4: the exact bodies of the
 *             callouts, WCHAR strings and RAS's DWORD included
 *   baseline  a CRITICAL_SECTION around a sorted array searched with
 *             bsearch (case-insensitive), a pool bitmap with a next-fit
 *             hint, and holder strings compared on release
 *
 * Each call is timed with RDTSCP calibrated against QueryPerformanceCounter.
 * The target is p99 <= 1 us for the assign call. Figures and
 * ratios only; nothing is asserted on time. A few functional checks (the
 * DWORD's byte order, a refused release) run first and stop the program if
 * they fail.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tsc.h"

#include "error.h"
#include "ipassign.h"
#include "ipassign_win.h"
#include "ipmap.h"

enum { STATIC_USERS = 100000, POOL_USERS = 100000, USERS = STATIC_USERS + POOL_USERS,
       NAME_UNITS = 24, POOL_SIZE = 65536 };
#define POOL_BASE 0x0A400000u
#define STATIC_BASE 0x0A800001u
#define BENCH_KEY L"Software\\rastap-ip-bench"

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

typedef struct pct {
    double p50, p99, p999, max;
    size_t n;
} pct;

static pct percentiles(uint64_t *v, size_t n)
{
    pct p = {0, 0, 0, 0, n};
    if (!n)
        return p;
    qsort(v, n, sizeof *v, cmp_u64);
    p.p50 = (double)v[n / 2] / tsc_per_ns;
    p.p99 = (double)v[(size_t)((double)n * 0.99)] / tsc_per_ns;
    p.p999 = (double)v[(size_t)((double)n * 0.999)] / tsc_per_ns;
    p.max = (double)v[n - 1] / tsc_per_ns;
    return p;
}

static void print_pct(const char *impl, const char *what, pct p)
{
    printf("  %-9s %-13s n %8lu  p50 %6.0f  p99 %6.0f  p99.9 %7.0f  max %9.0f ns\n", impl, what,
           (unsigned long)p.n, p.p50, p.p99, p.p999, p.max);
}

static void die(const char *what)
{
    fprintf(stderr, "ip_bench_win: %s\n", what);
    RegDeleteTreeW(HKEY_CURRENT_USER, BENCH_KEY);
    exit(1);
}

/* ------------------------------------------------------------- users */

static WCHAR names[USERS][NAME_UNITS];
static const WCHAR port[] = L"VPN2-17";

static void make_names(void)
{
    for (unsigned i = 0; i < USERS; i++) {
        /* Static users have the even numbers, pool users the odd ones: the
         * names interleave, so no lookup is cheaper for its name's sake. */
        unsigned num = i < STATIC_USERS ? 2 * i : 2 * (i - STATIC_USERS) + 1;
        _snwprintf(names[i], NAME_UNITS, L"CORP\\user%06u", num);
    }
}

/* ----------------------------------------------------------- registry */

static void set_sz(HKEY k, const WCHAR *name, DWORD type, const WCHAR *data, size_t units)
{
    if (RegSetValueExW(k, name, 0, type, (const BYTE *)data, (DWORD)(units * sizeof(WCHAR))))
        die("cannot write the scratch key");
}

static HKEY write_config(size_t *bytes)
{
    HKEY k;
    RegDeleteTreeW(HKEY_CURRENT_USER, BENCH_KEY);
    if (RegCreateKeyExW(HKEY_CURRENT_USER, BENCH_KEY, 0, NULL, 0, KEY_ALL_ACCESS, NULL, &k, NULL))
        die("cannot create the scratch key");
    set_sz(k, L"Ipv4Mode", REG_SZ, L"assign", 7);
    set_sz(k, L"Ipv4Pools", REG_MULTI_SZ, L"10.64.0.0/16\0", 14);
    size_t cap = (size_t)STATIC_USERS * 40 + 1, n = 0;
    WCHAR *lines = malloc(cap * sizeof *lines);
    for (unsigned i = 0; i < STATIC_USERS; i++) {
        uint32_t a = STATIC_BASE + i;
        n += (size_t)_snwprintf(lines + n, cap - n, L"CORP\\user%06u=%u.%u.%u.%u", 2 * i, a >> 24,
                                a >> 16 & 255, a >> 8 & 255, a & 255) + 1;
        lines[n - 1] = 0;
    }
    lines[n++] = 0;
    set_sz(k, L"Ipv4Static", REG_MULTI_SZ, lines, n);
    free(lines);
    *bytes = n * sizeof(WCHAR);
    return k;
}

/* ---------------------------------------------------- implementations */

typedef struct impl {
    const char *name;
    DWORD (*get)(unsigned user, DWORD *ip);
    void (*release)(unsigned user, DWORD ip);
} impl;

static const rt_ip_snapshot *snap;

static DWORD rastap_get(unsigned user, DWORD *ip)
{
    BOOL notify = FALSE;
    *ip = 0;
    return rt_ipassign_win_get_v4(snap, names[user], port, ip, &notify, NULL);
}

static void rastap_release(unsigned user, DWORD ip)
{
    rt_ev_ip e;
    rt_ipassign_win_release_v4(names[user], port, &ip, &e);
    if (e.result != RT_OK)
        die("a lease did not come back");
}

/* baseline */

typedef struct entry {
    const WCHAR *name;
    uint32_t addr;
} entry;

typedef struct holder {
    WCHAR user[NAME_UNITS], port[8];
} holder;

static CRITICAL_SECTION lock;
static entry *map;
static uint64_t bits[POOL_SIZE / 64];
static uint8_t static_held[STATIC_USERS];
static holder *pool_holder, *static_holder;
static size_t hint;

static int cmp_entry(const void *a, const void *b)
{
    return _wcsicmp(((const entry *)a)->name, ((const entry *)b)->name);
}

static void baseline_init(void)
{
    InitializeCriticalSection(&lock);
    map = calloc(STATIC_USERS, sizeof *map);
    pool_holder = calloc(POOL_SIZE, sizeof *pool_holder);
    static_holder = calloc(STATIC_USERS, sizeof *static_holder);
    for (unsigned i = 0; i < STATIC_USERS; i++)
        map[i] = (entry){names[i], STATIC_BASE + i};
    qsort(map, STATIC_USERS, sizeof *map, cmp_entry);
    bits[0] |= 1;
    bits[POOL_SIZE / 64 - 1] |= 1ull << 63;
}

static DWORD to_ras(uint32_t a)
{
    return (DWORD)(a >> 24 | (a >> 8 & 0xFF00u) | (a << 8 & 0xFF0000u) | a << 24);
}

static DWORD baseline_get(unsigned user, DWORD *ip)
{
    entry key = {names[user], 0};
    uint32_t addr = 0;
    EnterCriticalSection(&lock);
    entry *e = bsearch(&key, map, STATIC_USERS, sizeof *map, cmp_entry);
    if (e && !static_held[e->addr - STATIC_BASE]) {
        static_held[e->addr - STATIC_BASE] = 1;
        wcscpy(static_holder[e->addr - STATIC_BASE].user, names[user]);
        wcscpy(static_holder[e->addr - STATIC_BASE].port, port);
        addr = e->addr;
    }
    for (size_t k = 0; !addr && k < POOL_SIZE / 64; k++) {
        size_t w = (hint + k) % (POOL_SIZE / 64);
        if (~bits[w]) {
            unsigned b = (unsigned)__builtin_ctzll(~bits[w]);
            bits[w] |= 1ull << b;
            hint = w;
            wcscpy(pool_holder[w * 64 + b].user, names[user]);
            wcscpy(pool_holder[w * 64 + b].port, port);
            addr = POOL_BASE + (uint32_t)(w * 64 + b);
        }
    }
    LeaveCriticalSection(&lock);
    *ip = to_ras(addr);
    return addr ? NO_ERROR : ERROR_NO_SYSTEM_RESOURCES;
}

static void baseline_release(unsigned user, DWORD ip)
{
    uint32_t a = to_ras(ip); /* a byte swap undoes itself */
    bool ok = false;
    EnterCriticalSection(&lock);
    if (a >= STATIC_BASE && a < STATIC_BASE + STATIC_USERS) {
        holder *h = &static_holder[a - STATIC_BASE];
        if (static_held[a - STATIC_BASE] && !_wcsicmp(h->user, names[user]) && !wcscmp(h->port, port))
            static_held[a - STATIC_BASE] = 0, ok = true;
    } else if (a - POOL_BASE < POOL_SIZE) {
        size_t i = a - POOL_BASE;
        holder *h = &pool_holder[i];
        if ((bits[i / 64] >> (i % 64) & 1) && !_wcsicmp(h->user, names[user]) &&
            !wcscmp(h->port, port))
            bits[i / 64] &= ~(1ull << (i % 64)), ok = true;
    }
    LeaveCriticalSection(&lock);
    if (!ok)
        die("a baseline lease did not come back");
}

/* ------------------------------------------------------------ workload */

static volatile unsigned touched;
static pct results[2][3];

static void run(const impl *im, int which, size_t calls)
{
    static DWORD held[USERS];
    memset(held, 0, sizeof held);
    uint64_t *lat[3];
    size_t n[3] = {0, 0, 0}, refused = 0;
    for (int k = 0; k < 3; k++)
        lat[k] = malloc(calls * sizeof *lat[k]);
    uint64_t x = 0x9E3779B97F4A7C15u;
    for (size_t i = 0; i < 1000000 + calls; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        unsigned u = (unsigned)(x % USERS);
        bool timed = i >= 1000000; /* the first million only warm up */
        DWORD was = held[u];
        touched += names[u][0] + names[u][10];
        uint64_t t0 = tsc();
        if (was) {
            im->release(u, was);
            uint64_t dt = tsc() - t0;
            if (timed)
                lat[2][n[2]++] = dt;
            held[u] = 0;
            continue;
        }
        DWORD ip;
        DWORD rc = im->get(u, &ip);
        uint64_t dt = tsc() - t0;
        if (rc != NO_ERROR) {
            refused++;
            continue;
        }
        held[u] = ip;
        if (timed)
            lat[u < STATIC_USERS ? 0 : 1][n[u < STATIC_USERS ? 0 : 1]++] = dt;
    }
    static const char *const what[] = {"get (static)", "get (pool)", "release"};
    for (int k = 0; k < 3; k++) {
        results[which][k] = percentiles(lat[k], n[k]);
        print_pct(im->name, what[k], results[which][k]);
        free(lat[k]);
    }
    for (unsigned u = 0; u < USERS; u++)
        if (held[u])
            im->release(u, held[u]);
    printf("  %-9s %lu refused\n", im->name, (unsigned long)refused);
}

static void checks(void)
{
    /* user000000's static address 10.128.0.1 arrives as RAS's DWORD with
     * the first octet in the low byte. */
    DWORD ip = 0;
    BOOL notify = FALSE;
    rt_ev_ip e;
    if (rt_ipassign_win_get_v4(snap, names[0], port, &ip, &notify, &e) != NO_ERROR ||
        ip != 0x0100800Au || !notify || e.source != RT_SRC_STATIC)
        die("static address of user000000 is not 10.128.0.1 = 0x0100800A");
    DWORD other = ip;
    rt_ipassign_win_release_v4(names[1], port, &other, &e); /* someone else's lease */
    if (e.result != RT_EACCES)
        die("a foreign release was not refused");
    rt_ipassign_win_release_v4(names[0], port, &ip, &e);
    if (e.result != RT_OK || e.source != RT_SRC_STATIC)
        die("release of a static lease failed");
    rt_ipassign_win_release_v4(names[0], port, &ip, &e);
    if (e.result != RT_ENOENT)
        die("a double release was not refused");
    if (!rt_ipassign_win_registers(snap, RT_IP_V4) || rt_ipassign_win_registers(snap, RT_IP_V6))
        die("registration rule: IPv4 assign registers, IPv6 off does not");
}

static void on_problem(void *ctx, const char *key, const char *value, const char *reason)
{
    (void)ctx;
    fprintf(stderr, "problem: %s [%s]: %s\n", key, value, reason);
}

int main(int argc, char **argv)
{
    size_t calls = argc > 1 ? strtoul(argv[1], NULL, 10) : 1000000;
    if (calls < 1000)
        calls = 1000;
    tsc_calibrate();
    make_names();
    size_t bytes;
    HKEY k = write_config(&bytes);
    LARGE_INTEGER f, a, b;
    QueryPerformanceFrequency(&f);
    QueryPerformanceCounter(&a);
    rt_ip_snapshot *built = NULL;
    if (rt_ipassign_win_load(k, on_problem, NULL, &built) != RT_OK)
        die("the configuration was refused");
    QueryPerformanceCounter(&b);
    snap = built;
    printf("ip_bench_win: %u static users, pool 10.64.0.0/16, %lu timed calls each\n", STATIC_USERS,
           (unsigned long)calls);
    printf("  registry read + parse + build of %lu KiB of Ipv4Static: %.1f ms\n",
           (unsigned long)(bytes / 1024),
           (double)(b.QuadPart - a.QuadPart) * 1e3 / (double)f.QuadPart);
    checks();
    baseline_init();
    impl impls[2] = {{"rastap", rastap_get, rastap_release},
                     {"baseline", baseline_get, baseline_release}};
    for (int i = 0; i < 2; i++)
        run(&impls[i], i, calls);
    printf("ratios baseline / rastap:\n");
    static const char *const what[] = {"get (static)", "get (pool)", "release"};
    for (int i = 0; i < 3; i++)
        printf("  %-13s p50 %.2fx  p99 %.2fx  p99.9 %.2fx\n", what[i],
               results[1][i].p50 / results[0][i].p50, results[1][i].p99 / results[0][i].p99,
               results[1][i].p999 / results[0][i].p999);
    printf("target: assign call p99 <= 1000 ns: static %s (%.0f ns), pool %s (%.0f ns)\n",
           results[0][0].p99 <= 1000 ? "met" : "NOT met", results[0][0].p99,
           results[0][1].p99 <= 1000 ? "met" : "NOT met", results[0][1].p99);
    rt_ip_snapshot_free(built);
    RegCloseKey(k);
    RegDeleteTreeW(HKEY_CURRENT_USER, BENCH_KEY);
    return 0;
}
