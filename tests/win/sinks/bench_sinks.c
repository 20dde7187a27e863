/*
 * bench_sinks.c - records/s through the syslog sink's transports into a
 * real rsyslog, through its spool, and through the file sink, in one run
 * (test_sinks_rsyslog.py --bench starts rsyslog and runs this).
 *
 *   bench_sinks WORKDIR RECORDS HOST UDP_PORT TCP_PORT RELP_PORT OUTDIR
 *
 * The records are real connection.stop records (format.h, ~450 bytes of
 * JSON), prepared before the clock starts. Each figure is from the first
 * write() to the moment the last record is where it is going:
 *   file    write() of every record, then close() (which flushes to disk)
 *   spool   the syslog sink with no collector: every record committed to
 *           its spool (write() returns only then), then close()
 *   udp/tcp/relp  write() of every record, then flush() until rsyslog's
 *           output file (OUTDIR\<transport>.log, one line per message) has
 *           them all (UDP: until it stops growing; what UDP lost is shown)
 * Each line also gives the CPU time this process spent per record (the
 * sink's own cost, whatever rsyslog and the rest of the machine do).
 * Figures are printed, never asserted.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <windows.h>

#include "format.h"
#include "sink_syslog.h"
#include "sinks.h"

#define BATCH 256

static rt_format_ctx fmt;

const rt_format_ctx *rt_sinks_format_ctx(void)
{
    return &fmt;
}

typedef struct kv {
    const char *k;
    char v[512];
} kv;

typedef struct settings {
    kv kv[16];
    unsigned n;
} settings;

static const char *get(const void *ctx, const char *key)
{
    const settings *s = ctx;
    for (unsigned i = 0; i < s->n; i++)
        if (_stricmp(s->kv[i].k, key) == 0)
            return s->kv[i].v;
    return NULL;
}

static void set(settings *s, const char *k, const char *v)
{
    s->kv[s->n].k = k;
    snprintf(s->kv[s->n].v, sizeof s->kv[s->n].v, "%s", v);
    s->n++;
}

static void report(void *ctx, int32_t code, const char *msg)
{
    (void)ctx;
    if (code != 0)
        fprintf(stderr, "  [sink] %s\n", msg);
}

static rastap_record *recs;
static char *text;
static rt_event ev;

static void prepare(unsigned n)
{
    size_t cap = (size_t)n * 600 + RT_RECORD_MAX;
    text = malloc(cap);
    recs = calloc(n, sizeof *recs);
    rt_buf b;
    rt_buf_init(&b, text, cap);
    memcpy(fmt.instance, "0123456789abcdef0123456789abcdef", 33);
    snprintf(fmt.host, sizeof fmt.host, "rras-bench-01.corp.example");
    fmt.pid = 4242;
    for (unsigned i = 0; i < n; i++) {
        memset(&ev, 0, sizeof ev);
        ev.kind = RT_EV_CONN_STOP;
        ev.callout = RT_CO_CONNECTION_HANGUP_EX;
        ev.has = RT_HAS_HANDLE | RT_HAS_USER | RT_HAS_DURATION | RT_HAS_COUNTERS | RT_HAS_IPV4 |
                 RT_HAS_PROJECTION | RT_HAS_GUID;
        ev.u.conn.handle = 0x10000 + i;
        ev.u.conn.guid[0] = (uint8_t)i;
        ev.u.conn.duration_s = i % 86400;
        ev.u.conn.ctr.bytes_in = i * 40503u;
        ev.u.conn.ctr.bytes_out = i * 2654435761u;
        ev.u.conn.projection = RT_PROJ_PPP;
        ev.u.conn.auth_proto = 0xC223;
        ev.u.conn.auth_data = 0x81;
        WCHAR tmp[64];
        _snwprintf(tmp, 64, L"user%06u", i);
        memcpy(ev.u.conn.user, tmp, (wcslen(tmp) + 1) * 2);
        memcpy(ev.u.conn.domain, L"CORP", 10);
        _snwprintf(tmp, 16, L"10.%u.%u.%u", (i >> 16) & 255, (i >> 8) & 255, i & 255);
        memcpy(ev.u.conn.client_ipv4, tmp, (wcslen(tmp) + 1) * 2);
        rt_record r = {i + 1, 1795252502123456LL + i, &ev, "sstp"};
        size_t start = b.len;
        rt_format_jsonl(&fmt, &r, &b);
        recs[i].size = sizeof recs[i];
        recs[i].seq = i + 1;
        recs[i].time_us = r.time_us;
        recs[i].event = "connection.stop";
        recs[i].json = text + start;
        recs[i].json_len = b.len - start - 1;
    }
}

/* CPU time of this process (user + kernel), seconds. */
static double cpu_s(void)
{
    FILETIME c, e, k, u;
    GetProcessTimes(GetCurrentProcess(), &c, &e, &k, &u);
    return ((double)(((uint64_t)k.dwHighDateTime << 32) | k.dwLowDateTime) +
            (double)(((uint64_t)u.dwHighDateTime << 32) | u.dwLowDateTime)) / 1e7;
}

static double cpu_used; /* of the last phase */

static double now_s(void)
{
    LARGE_INTEGER f, c;
    QueryPerformanceFrequency(&f);
    QueryPerformanceCounter(&c);
    return (double)c.QuadPart / (double)f.QuadPart;
}

static void write_all(const rastap_sink_vtbl *vt, void *ctx, unsigned n)
{
    for (unsigned i = 0; i < n;) {
        size_t k = n - i < BATCH ? n - i : BATCH, acc = 0;
        vt->write(ctx, recs + i, k, &acc);
        i += (unsigned)acc;
        if (acc < k)
            Sleep(1);
    }
}

static unsigned long count_lines(const char *path)
{
    FILE *f = fopen(path, "rb");
    unsigned long n = 0;
    static char buf[1 << 16];
    size_t got;
    if (!f)
        return 0;
    while ((got = fread(buf, 1, sizeof buf, f)) > 0)
        for (size_t i = 0; i < got; i++)
            n += buf[i] == '\n';
    fclose(f);
    return n;
}

static double file_sink(const char *work, unsigned n)
{
    settings s = {0};
    char dir[MAX_PATH];
    snprintf(dir, sizeof dir, "%s\\file", work);
    set(&s, "Directory", dir);
    rastap_sink_settings st = {sizeof st, 0, "bench-file", &s, get};
    rastap_sink_host host = {sizeof host, 0, report, NULL};
    void *ctx;
    const rastap_sink_vtbl *vt = rt_sink_file_vtbl();
    if (vt->open(&st, &host, &ctx) != 0)
        return 0;
    double t0 = now_s(), c0 = cpu_s();
    write_all(vt, ctx, n);
    vt->close(ctx);
    cpu_used = cpu_s() - c0;
    return now_s() - t0;
}

static double syslog_sink(const char *work, unsigned n, const char *host_name, const char *tp,
                          const char *port, const char *out, unsigned long *got)
{
    settings s = {0};
    char dir[MAX_PATH];
    snprintf(dir, sizeof dir, "%s\\spool-%s", work, tp);
    set(&s, "Host", host_name);
    set(&s, "Port", port);
    set(&s, "Transport", strcmp(tp, "spool") == 0 ? "tcp" : tp);
    set(&s, "SpoolDirectory", dir);
    set(&s, "SpoolMaxMB", "8192");
    set(&s, "AppName", tp);
    set(&s, "ReconnectMaxMs", "60000");
    rastap_sink_settings st = {sizeof st, 0, tp, &s, get};
    rastap_sink_host host = {sizeof host, 0, report, NULL};
    void *ctx;
    const rastap_sink_vtbl *vt = rt_sink_syslog_vtbl();
    if (vt->open(&st, &host, &ctx) != 0)
        return 0;
    double t0 = now_s(), t = 0, c0 = cpu_s(), counting = 0;
    write_all(vt, ctx, n);
    if (!out) { /* the spool alone: written when write() returned */
        t = now_s() - t0;
        cpu_used = cpu_s() - c0;
        vt->close(ctx);
        return t;
    }
    unsigned long last = 0;
    double last_growth = now_s();
    for (;;) {
        vt->flush(ctx);
        double cc = cpu_s();
        *got = count_lines(out);
        counting += cpu_s() - cc; /* the bench's own reading: not the sink's */
        t = now_s() - t0;
        if (*got >= n)
            break;
        if (*got != last) {
            last = *got;
            last_growth = now_s();
        } else if (now_s() - last_growth > 3.0) {
            t = last_growth - t0;
            break;
        }
    }
    cpu_used = cpu_s() - c0 - counting;
    vt->close(ctx);
    return t;
}

int main(int argc, char **argv)
{
    if (argc < 8) {
        fprintf(stderr, "usage: bench_sinks WORKDIR RECORDS HOST UDP TCP RELP OUTDIR\n");
        return 2;
    }
    const char *work = argv[1], *host = argv[3], *outdir = argv[7];
    unsigned n = (unsigned)atoi(argv[2]);
    CreateDirectoryA(work, NULL);
    prepare(n);
    printf("records: %u connection.stop records, %zu bytes of JSON on average\n", n,
           (size_t)(recs[n - 1].json + recs[n - 1].json_len - recs[0].json) / n);
    double tf = file_sink(work, n);
    printf("file sink (JSON Lines)      %8.3f s  %9.0f records/s  %5.2f us CPU/record\n", tf,
           n / tf, cpu_used * 1e6 / n);
    double ts = syslog_sink(work, n, "127.0.0.1", "spool", "9", NULL, NULL);
    printf("syslog sink into its spool  %8.3f s  %9.0f records/s  %5.2f us CPU/record  "
           "(%.2fx the file sink)\n",
           ts, n / ts, cpu_used * 1e6 / n, tf / ts);
    const char *tps[3] = {"udp", "tcp", "relp"};
    for (int i = 0; i < 3; i++) {
        char out[MAX_PATH];
        unsigned long got = 0;
        snprintf(out, sizeof out, "%s\\%s.log", outdir, tps[i]);
        double t = syslog_sink(work, n, host, tps[i], argv[4 + i], out, &got);
        printf("syslog %-4s to rsyslog     %8.3f s  %9.0f records/s  %5.2f us CPU/record  "
               "(%lu of %u arrived)\n",
               tps[i], t, got / t, cpu_used * 1e6 / n, got, n);
    }
    return 0;
}
