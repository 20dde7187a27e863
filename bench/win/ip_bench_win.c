/*
 * ip_bench_win.c - MprAdminGetIpAddressForUser's work in assign mode, timed
 * on Windows (or Wine): rastap's callout body against a locked baseline,
 * and optionally the whole export of the loaded DLL.
 *
 *   ip_bench_win [calls] [--export RASTAP.DLL]
 *                               (default 1 000 000 timed calls each)
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
 *   export    (with --export) MprAdminGetIpAddressForUser /
 *             MprAdminReleaseIpAddress of RASTAP.DLL, loaded as RRAS loads
 *             it and called through the callback block that
 *             MprAdminInitializeDllEx fills: everything a callout does,
 *             i.e. the body above plus the record (time stamp, a ring slot,
 *             the names, the commit and, when the worker sleeps, the
 *             SetEvent that wakes it). Paced at one call every 4 us, then
 *             100 calls 60 ms apart that each find the worker asleep. Its
 *             worker meanwhile formats the records into a JSON Lines file
 *             sink under %TEMP%, deleted afterwards. This writes rastap's own configuration key
 *             (HKLM\...\AdminDll\rastap) and deletes it at the end, as
 *             callout_bench does: run it in a scratch Wine prefix or on a
 *             test machine, never next to a configured rastap.
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

#include "config.h"
#include "error.h"
#include "ipassign.h"
#include "ipassign_win.h"
#include "ipmap.h"
#include "ras_contract.h"
#include "testutil.h"

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

/* The address values under hive\path (created; the caller cleared it). */
static HKEY write_config(HKEY hive, const WCHAR *path, REGSAM view, size_t *bytes)
{
    HKEY k;
    if (RegCreateKeyExW(hive, path, 0, NULL, 0, KEY_ALL_ACCESS | view, NULL, &k, NULL))
        die("cannot create the configuration key");
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

/* export */

/* One export call every 4 us: back to back, the worker fell behind its
 * file sink under Wine and about a quarter of the records were dropped (a
 * dropped record makes a call cheaper); at this pace a few percent still
 * are, when the worker is descheduled (the count is printed). Faster than
 * its 1 ms idle poll, so it never sleeps and no call here pays the
 * SetEvent that wakes it: isolated_calls measures that. */
#define EXPORT_PACE_NS 4000

static rt_admin_dll_callbacks cb;
static WCHAR export_port[] = L"VPN2-17";

static DWORD export_get(unsigned user, DWORD *ip)
{
    BOOL notify = FALSE;
    *ip = 0;
    return cb.lpfnMprAdminGetIpAddressForUser(names[user], export_port, ip, &notify);
}

static void export_release(unsigned user, DWORD ip)
{
    cb.lpfnMprAdminReleaseIpAddress(names[user], export_port, &ip);
}

/* Records the worker wrote and the drops it reported, read back from the
 * sink's files. */
typedef struct tally {
    unsigned long long lines, dropped;
} tally;

static bool count_line(const char *line, void *ctx)
{
    tally *t = ctx;
    t->lines++;
    const char *c = strstr(line, "\"count\":");
    if (c && strstr(line, "\"event\":\"events.dropped\""))
        t->dropped += strtoull(c + 8, NULL, 10);
    return true;
}

static void read_back(const WCHAR *dir, unsigned long long *lines, unsigned long long *dropped)
{
    tally t = {0, 0};
    tu_each_line(dir, L"jsonl", count_line, &t);
    *lines = t.lines;
    *dropped = t.dropped;
}

/* Loads the DLL with the benchmark's configuration in rastap's key and a
 * file sink into `dir`; returns the module. */
static HMODULE export_start(const char *dll_arg, const WCHAR *dir)
{
    size_t bytes;
    tu_fresh_dir(dir);
    tu_config_file_sink(dir, "jsonl"); /* replaces rastap's key: sinks only */
    RegCloseKey(write_config(HKEY_LOCAL_MACHINE, RT_CONFIG_KEY, KEY_WOW64_64KEY, &bytes));
    HMODULE dll = tu_load_rastap(dll_arg, "ip-bench");
    rt_pfn_initialize_ex init =
        dll ? (rt_pfn_initialize_ex)(void *)GetProcAddress(dll, "MprAdminInitializeDllEx") : NULL;
    memset(&cb, 0, sizeof cb);
    if (!init || init(&cb) != NO_ERROR || !cb.lpfnMprAdminGetIpAddressForUser ||
        !cb.lpfnMprAdminReleaseIpAddress)
        die("the DLL did not start with the address callouts registered");
    return dll;
}

/* Static users connecting one at a time, 60 ms apart: the worker has gone
 * to sleep (after 20 idle polls of 1 ms), so each call also wakes it. This
 * is what an address callout costs RRAS when connections are rare. */
static pct isolated_calls(void)
{
    enum { N = 100 };
    uint64_t lat[N];
    for (unsigned i = 0; i < N; i++) {
        DWORD ip;
        Sleep(60);
        uint64_t t0 = tsc();
        DWORD rc = export_get(i, &ip);
        lat[i] = tsc() - t0;
        if (rc != NO_ERROR)
            die("an isolated call was refused");
        export_release(i, ip);
    }
    return percentiles(lat, N);
}

/* ------------------------------------------------------------ workload */

static volatile unsigned touched;
static pct results[3][3];

/* pace_ns: 0 back to back, else one call every pace_ns (the export's
 * worker must keep up, or records are dropped and the calls get cheaper). */
static void run(const impl *im, int which, size_t calls, unsigned pace_ns)
{
    static DWORD held[USERS];
    memset(held, 0, sizeof held);
    uint64_t *lat[3];
    size_t n[3] = {0, 0, 0}, refused = 0;
    for (int k = 0; k < 3; k++)
        lat[k] = malloc(calls * sizeof *lat[k]);
    uint64_t x = 0x9E3779B97F4A7C15u, due = tsc(), step = (uint64_t)(pace_ns * tsc_per_ns);
    for (size_t i = 0; i < 1000000 + calls; i++) {
        while (step && tsc() < due)
            YieldProcessor();
        due += step;
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
    const char *dll_arg = argc > 3 && !strcmp(argv[2], "--export") ? argv[3] : NULL;
    if (calls < 1000)
        calls = 1000;
    tsc_calibrate();
    make_names();
    size_t bytes;
    RegDeleteTreeW(HKEY_CURRENT_USER, BENCH_KEY);
    HKEY k = write_config(HKEY_CURRENT_USER, BENCH_KEY, 0, &bytes);
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
    impl impls[3] = {{"rastap", rastap_get, rastap_release},
                     {"baseline", baseline_get, baseline_release},
                     {"export", export_get, export_release}};
    for (int i = 0; i < 2; i++)
        run(&impls[i], i, calls, 0);
    static const char *const what[] = {"get (static)", "get (pool)", "release"};
    if (dll_arg) {
        WCHAR dir[MAX_PATH];
        unsigned long long lines, dropped;
        tu_temp_dir("ip-bench-records", dir, MAX_PATH);
        HMODULE dll = export_start(dll_arg, dir);
        run(&impls[2], 2, calls, EXPORT_PACE_NS);
        pct iso = isolated_calls();
        printf("  export    get (static) 60 ms apart, waking the worker: n %lu  p50 %6.0f  "
               "max %7.0f ns\n",
               (unsigned long)iso.n, iso.p50, iso.max);
        cb.lpfnRasAdminTerminateDll();
        FreeLibrary(dll);
        read_back(dir, &lines, &dropped);
        printf("  export    %llu records written, %llu dropped (ring full)\n", lines, dropped);
        tu_fresh_dir(dir);
        RemoveDirectoryW(dir);
        tu_config_file_sink(NULL, NULL);
    }
    printf("ratios baseline / rastap:\n");
    for (int i = 0; i < 3; i++)
        printf("  %-13s p50 %.2fx  p99 %.2fx  p99.9 %.2fx\n", what[i],
               results[1][i].p50 / results[0][i].p50, results[1][i].p99 / results[0][i].p99,
               results[1][i].p999 / results[0][i].p999);
    if (dll_arg) {
        printf("ratios export / rastap (what the record adds):\n");
        for (int i = 0; i < 3; i++)
            printf("  %-13s p50 %.2fx  p99 %.2fx  p99.9 %.2fx\n", what[i],
                   results[2][i].p50 / results[0][i].p50, results[2][i].p99 / results[0][i].p99,
                   results[2][i].p999 / results[0][i].p999);
    }
    printf("target: assign call p99 <= 1000 ns: static %s (%.0f ns), pool %s (%.0f ns)\n",
           results[0][0].p99 <= 1000 ? "met" : "NOT met", results[0][0].p99,
           results[0][1].p99 <= 1000 ? "met" : "NOT met", results[0][1].p99);
    if (dll_arg)
        printf("        through the export:            static %s (%.0f ns), pool %s (%.0f ns)\n",
               results[2][0].p99 <= 1000 ? "met" : "NOT met", results[2][0].p99,
               results[2][1].p99 <= 1000 ? "met" : "NOT met", results[2][1].p99);
    rt_ip_snapshot_free(built);
    RegCloseKey(k);
    RegDeleteTreeW(HKEY_CURRENT_USER, BENCH_KEY);
    return 0;
}
