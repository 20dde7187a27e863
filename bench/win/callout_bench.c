/*
 * callout_bench.c - what a callout costs RRAS, and how fast the worker drains.
 *
 *   callout_bench RASTAP.DLL [--rate N] [--seconds S] [--drain N] [--out DIR]
 *
 * 1. Latency: for S seconds (default 30) fire N callouts/s (default 50 000)
 *    at rastap from one thread while its worker drains into the JSON Lines
 *    sink; each call is timed with RDTSC (calibrated against QPC). The same
 *    loop, in the same run, times a synchronous baseline: what the SDK's
 *    callout sample does (format a line, WriteFile under a lock).
 * 2. Drain: with a 2^18-slot ring, fire `--drain` callouts (default 250 000)
 *    as fast as one thread can and time until MprAdminTerminateDll returns
 *    with everything written: records/s through formatting and the file.
 * Prints percentiles, ratios and the drop counts read back from the files.
 * A benchmark, not a test: it never judges its figures.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tsc.h"

#include "config.h"
#include "ras_contract.h"
#include "testutil.h"

static HMODULE dll;
static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

typedef struct pct {
    double p50, p90, p99, p999, max;
} pct;

static pct percentiles(uint64_t *v, size_t n)
{
    qsort(v, n, sizeof *v, cmp_u64);
    pct p;
    p.p50 = (double)v[n / 2] / tsc_per_ns;
    p.p90 = (double)v[(size_t)(n * 0.90)] / tsc_per_ns;
    p.p99 = (double)v[(size_t)(n * 0.99)] / tsc_per_ns;
    p.p999 = (double)v[(size_t)(n * 0.999)] / tsc_per_ns;
    p.max = (double)v[n - 1] / tsc_per_ns;
    return p;
}

static void print_pct(const char *name, pct p)
{
    printf("  %-22s p50 %8.0f ns  p90 %8.0f ns  p99 %8.0f ns  p99.9 %8.0f ns  max %9.0f ns\n",
           name, p.p50, p.p90, p.p99, p.p999, p.max);
}

/* ------------------------------------------------------- the callouts */

static RAS_CONNECTION_EX cx;
static rt_admin_dll_callbacks cb;

static void prepare_connection(void)
{
    memset(&cx, 0, sizeof cx);
    cx.hConnection = (HANDLE)(uintptr_t)0x1234;
    wcscpy(cx.wszUserName, L"CORP\\some.user.name");
    wcscpy(cx.wszLogonDomain, L"CORP");
    wcscpy(cx.wszInterfaceName, L"some.user.name");
    wcscpy(cx.wszRemoteEndpointAddress, L"203.0.113.44");
    wcscpy(cx.wszLocalEndpointAddress, L"198.51.100.1");
    cx.ProjectionInfo.projectionInfoType = RT_PPP_PROJECTION_INFO_TYPE;
    wcscpy(cx.ProjectionInfo.PppProjectionInfo.wszRemoteAddress, L"10.8.0.23");
    wcscpy(cx.ProjectionInfo.PppProjectionInfo.wszAddress, L"10.8.0.1");
    cx.ProjectionInfo.PppProjectionInfo.dwAuthenticationProtocol = 0xC223;
    cx.ProjectionInfo.PppProjectionInfo.dwAuthenticationData = 0x81;
    cx.dwBytesXmited = 123456789;
    cx.dwBytesRcved = 98765432;
    cx.dwConnectDuration = 3600;
}

/* The synchronous baseline: the SDK sample's approach, without its flush. */
static CRITICAL_SECTION sync_lock;
static HANDLE sync_file;

static void sync_callout(const RAS_CONNECTION_EX *x)
{
    char line[1024];
    SYSTEMTIME st;
    GetSystemTime(&st);
    EnterCriticalSection(&sync_lock);
    int n = snprintf(line, sizeof line,
                     "%04u-%02u-%02u %02u:%02u:%02u.%03u hangup user=%ls domain=%ls ip=%ls "
                     "bytes_in=%lu bytes_out=%lu duration=%lu\r\n",
                     st.wYear, st.wMonth, st.wDay, st.wHour, st.wMinute, st.wSecond,
                     st.wMilliseconds, x->wszUserName, x->wszLogonDomain,
                     x->ProjectionInfo.PppProjectionInfo.wszRemoteAddress,
                     (unsigned long)x->dwBytesRcved, (unsigned long)x->dwBytesXmited,
                     (unsigned long)x->dwConnectDuration);
    DWORD done;
    WriteFile(sync_file, line, (DWORD)n, &done, NULL);
    LeaveCriticalSection(&sync_lock);
}

/* Fires `rate` calls/s for `seconds`; which = 0 rastap, 1 baseline. */
static size_t paced_run(int which, unsigned rate, unsigned seconds, uint64_t *lat)
{
    size_t total = (size_t)rate * seconds;
    double ticks_per_call = tsc_per_ns * 1e9 / rate;
    uint64_t start = tsc();
    for (size_t i = 0; i < total; i++) {
        uint64_t due = start + (uint64_t)(ticks_per_call * (double)i);
        while (tsc() < due)
            YieldProcessor();
        cx.hConnection = (HANDLE)(uintptr_t)(i + 1);
        uint64_t t0 = tsc();
        if (which == 0) {
            if (i & 1)
                cb.lpfnRasAdminConnectionHangupNotificationEx(&cx);
            else
                cb.lpfnRasAdminAcceptNewConnectionEx(&cx);
        } else {
            sync_callout(&cx);
        }
        lat[i] = tsc() - t0;
    }
    return total;
}

/* "2026-11-21T12:22:20.871016Z" -> seconds within the day (enough here). */
static double time_of(const char *line)
{
    const char *t = strstr(line, "\"time\":\"");
    if (!t)
        return 0;
    t += 8;
    int h = 0, m = 0;
    double sec = 0;
    if (sscanf(t + 11, "%2d:%2d:%lf", &h, &m, &sec) != 3)
        return 0;
    return h * 3600.0 + m * 60.0 + sec;
}

/* Time span from the first connection.stop to service.stop: how long the
 * worker took to format and write them, without the final flush. */
static double first_stop, stop_record;

/* Reads back every record file of dir: lines and the dropped count. */
static void read_back(const WCHAR *dir, uint64_t *lines, uint64_t *dropped)
{
    *lines = *dropped = 0;
    first_stop = stop_record = 0;
    WCHAR pattern[MAX_PATH], path[MAX_PATH];
    _snwprintf(pattern, MAX_PATH, L"%ls\\*.jsonl", dir);
    WIN32_FIND_DATAW fd;
    HANDLE h = FindFirstFileW(pattern, &fd);
    if (h == INVALID_HANDLE_VALUE)
        return;
    static char line[1 << 16];
    do {
        _snwprintf(path, MAX_PATH, L"%ls\\%ls", dir, fd.cFileName);
        FILE *f = _wfopen(path, L"rb");
        if (!f)
            continue;
        while (fgets(line, sizeof line, f)) {
            (*lines)++;
            if (!first_stop && strstr(line, "\"event\":\"connection.stop\""))
                first_stop = time_of(line);
            if (strstr(line, "\"event\":\"service.stop\""))
                stop_record = time_of(line);
            if (strstr(line, "\"event\":\"events.dropped\"")) {
                const char *c = strstr(line, "\"count\":");
                if (c)
                    *dropped += strtoull(c + 8, NULL, 10);
            }
        }
        fclose(f);
    } while (FindNextFileW(h, &fd));
    FindClose(h);
}

static void set_ring_size(DWORD slots)
{
    HKEY k;
    if (RegCreateKeyExW(HKEY_LOCAL_MACHINE, RT_CONFIG_KEY, 0, NULL, 0, KEY_ALL_ACCESS, NULL, &k,
                        NULL) == ERROR_SUCCESS) {
        RegSetValueExW(k, L"RingSize", 0, REG_DWORD, (const BYTE *)&slots, sizeof slots);
        DWORD drain = 60000;
        RegSetValueExW(k, L"StopDrainMs", 0, REG_DWORD, (const BYTE *)&drain, sizeof drain);
        RegCloseKey(k);
    }
}

static bool start_rastap(void)
{
    memset(&cb, 0, sizeof cb);
    rt_pfn_initialize_ex init = (rt_pfn_initialize_ex)(void *)GetProcAddress(
        dll, "MprAdminInitializeDllEx");
    return init && init(&cb) == NO_ERROR;
}

int main(int argc, char **argv)
{
    unsigned rate = 50000, seconds = 30, drain_n = 250000;
    const char *out = NULL;
    if (argc < 2) {
        fprintf(stderr, "usage: callout_bench RASTAP.DLL [--rate N] [--seconds S] [--drain N] "
                        "[--out DIR]\n");
        return 2;
    }
    for (int i = 2; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--rate"))
            rate = (unsigned)atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--seconds"))
            seconds = (unsigned)atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--drain"))
            drain_n = (unsigned)atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--out"))
            out = argv[i + 1];
    }
    WCHAR dir[MAX_PATH], sync_path[MAX_PATH];
    if (out)
        tu_windows_path(out, dir, MAX_PATH);
    else
        tu_temp_dir("bench-out", dir, MAX_PATH);
    tu_fresh_dir(dir);
    tu_config_file_sink(dir, "jsonl");
    tsc_calibrate();
    prepare_connection();
    dll = tu_load_rastap(argv[1], "bench");
    if (!dll || !start_rastap())
        return 1;
    printf("callout_bench: %u callouts/s for %u s, TSC %.3f GHz\n", rate, seconds, tsc_per_ns);

    size_t total = (size_t)rate * seconds;
    uint64_t *lat = malloc(total * sizeof *lat), *base = malloc(total * sizeof *base);
    if (!lat || !base)
        return 1;
    paced_run(0, rate, seconds, lat);
    cb.lpfnRasAdminTerminateDll();
    uint64_t lines, dropped;
    read_back(dir, &lines, &dropped);

    InitializeCriticalSection(&sync_lock);
    _snwprintf(sync_path, MAX_PATH, L"%ls\\sync-baseline.log", dir);
    sync_file = CreateFileW(sync_path, FILE_APPEND_DATA, FILE_SHARE_READ, NULL, CREATE_ALWAYS,
                            FILE_ATTRIBUTE_NORMAL, NULL);
    paced_run(1, rate, seconds, base);
    CloseHandle(sync_file);

    pct r = percentiles(lat, total), b = percentiles(base, total);
    printf("latency per callout (%zu calls each, same run):\n", total);
    print_pct("rastap", r);
    print_pct("sync baseline", b);
    printf("  ratio baseline/rastap p50 %.1fx  p99 %.1fx  p99.9 %.1fx\n", b.p50 / r.p50,
           b.p99 / r.p99, b.p999 / r.p999);
    printf("  records written %llu, dropped %llu (fired %zu + service records)\n",
           (unsigned long long)lines, (unsigned long long)dropped, total);

    /* Drain throughput, into a directory of its own. */
    FreeLibrary(dll);
    wcscat(dir, L"\\drain");
    tu_fresh_dir(dir);
    tu_config_file_sink(dir, "jsonl");
    set_ring_size(1u << 18); /* ~450 MB: holds the whole burst */
    dll = tu_load_rastap(argv[1], "bench-drain");
    if (!dll || !start_rastap())
        return 1;
    LARGE_INTEGER f, t0, t1, t2;
    QueryPerformanceFrequency(&f);
    QueryPerformanceCounter(&t0);
    for (unsigned i = 0; i < drain_n; i++) {
        cx.hConnection = (HANDLE)(uintptr_t)(i + 1);
        cb.lpfnRasAdminConnectionHangupNotificationEx(&cx);
    }
    QueryPerformanceCounter(&t1);
    cb.lpfnRasAdminTerminateDll();
    QueryPerformanceCounter(&t2);
    double fire_s = (double)(t1.QuadPart - t0.QuadPart) / (double)f.QuadPart;
    double all_s = (double)(t2.QuadPart - t0.QuadPart) / (double)f.QuadPart;
    read_back(dir, &lines, &dropped);
    double sync_rate = 1e9 / (b.p50 > 0 ? b.p50 : 1);
    printf("drain: %u records fired in %.3f s, all written and flushed after %.3f s\n", drain_n,
           fire_s, all_s);
    printf("  drain throughput %.0f records/s written, %.0f records/s written and flushed "
           "(records %llu, dropped %llu)\n",
           stop_record > first_stop ? (double)drain_n / (stop_record - first_stop) : 0.0,
           (double)drain_n / all_s, (unsigned long long)lines, (unsigned long long)dropped);
    printf("  ratio drain (written and flushed) / sync baseline (1/p50 = %.0f records/s): %.1fx\n",
           sync_rate, (double)drain_n / all_s / sync_rate);
    tu_config_file_sink(NULL, NULL);
    return 0;
}
