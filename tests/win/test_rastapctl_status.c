/*
 * test_rastapctl_status.c - `rastapctl status` shows what the DLL counted.
 * This process loads rastap.dll, fires a known set of callouts (some
 * before Initialize, which are refused and reported as dropped), makes a
 * configuration refusal, and then runs rastapctl.exe (built beside
 * rastap.dll) to read the status section out of process. Every number is
 * compared with what was fired and with the records in the sink's file.
 *
 * The spool backlog: a syslog TCP sink whose collector port is closed (a
 * socket bound on loopback that never listens) keeps every record in its
 * spool; the records and bytes status shows are compared with the spool's
 * segment files, read frame by frame, and a healthy file sink beside it
 * shows none. A page written by an older DLL (a smaller `size`) is shown
 * without the fields it does not have.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <winsock2.h>

#include "config.h"
#include "ras_contract.h"
#include "spool.h"
#include "status.h"
#include "testutil.h"

static const char *dll_arg;
static HMODULE dll;
static WCHAR dir[MAX_PATH], ctl[MAX_PATH];

#define GET(name) ((void *)GetProcAddress(dll, name))

/* Runs rastapctl with `args`; returns its exit code, stdout in out. */
static DWORD run_ctl(const WCHAR *args, char *out, size_t cap)
{
    WCHAR cmd[1024];
    _snwprintf(cmd, 1024, L"\"%ls\" %ls", ctl, args);
    SECURITY_ATTRIBUTES sa = {sizeof sa, NULL, TRUE};
    HANDLE rd, wr;
    assert_true(CreatePipe(&rd, &wr, &sa, 0));
    SetHandleInformation(rd, HANDLE_FLAG_INHERIT, 0);
    STARTUPINFOW si;
    memset(&si, 0, sizeof si);
    si.cb = sizeof si;
    si.dwFlags = STARTF_USESTDHANDLES;
    si.hStdOutput = wr;
    si.hStdError = GetStdHandle(STD_ERROR_HANDLE);
    si.hStdInput = GetStdHandle(STD_INPUT_HANDLE);
    PROCESS_INFORMATION pi;
    if (!CreateProcessW(ctl, cmd, NULL, NULL, TRUE, 0, NULL, NULL, &si, &pi))
        fail_msg("cannot run %ls (%lu): build the rastapctl target", ctl, GetLastError());
    CloseHandle(wr);
    size_t len = 0;
    DWORD got;
    while (len + 1 < cap && ReadFile(rd, out + len, (DWORD)(cap - 1 - len), &got, NULL) && got)
        len += got;
    out[len] = 0;
    CloseHandle(rd);
    WaitForSingleObject(pi.hProcess, 20000);
    DWORD rc = 1000;
    GetExitCodeProcess(pi.hProcess, &rc);
    CloseHandle(pi.hProcess);
    CloseHandle(pi.hThread);
    return rc;
}

/* The number after "key": that follows `anchor` (NULL: from the start). */
static uint64_t num(const char *json, const char *anchor, const char *key)
{
    const char *p = anchor ? strstr(json, anchor) : json;
    if (!p)
        fail_msg("no %s in %s", anchor, json);
    char k[80];
    snprintf(k, sizeof k, "\"%s\":", key);
    p = strstr(p, k);
    if (!p)
        fail_msg("no %s after %s in %s", key, anchor ? anchor : "(start)", json);
    return strtoull(p + strlen(k), NULL, 10);
}

/* The JSON object of sink `name` in status's output, into obj. */
static void sink_json(const char *json, const char *name, char *obj, size_t cap)
{
    char anchor[96];
    snprintf(anchor, sizeof anchor, "{\"name\":\"%s\"", name);
    const char *p = strstr(json, anchor);
    if (!p)
        fail_msg("no sink %s in %s", name, json);
    const char *e = strchr(p, '}'); /* a sink's object holds no other object */
    assert_non_null(e);
    size_t n = (size_t)(e + 1 - p);
    assert_true(n < cap);
    memcpy(obj, p, n);
    obj[n] = 0;
}

static unsigned lines_in_sink(const char *needle)
{
    WCHAR pattern[MAX_PATH], path[MAX_PATH];
    _snwprintf(pattern, MAX_PATH, L"%ls\\*.jsonl", dir);
    WIN32_FIND_DATAW fd;
    HANDLE h = FindFirstFileW(pattern, &fd);
    unsigned n = 0;
    if (h == INVALID_HANDLE_VALUE)
        return 0;
    do {
        _snwprintf(path, MAX_PATH, L"%ls\\%ls", dir, fd.cFileName);
        FILE *f = _wfopen(path, L"rb");
        static char line[1 << 16];
        while (f && fgets(line, sizeof line, f))
            n += !needle || strstr(line, needle) != NULL;
        if (f)
            fclose(f);
    } while (FindNextFileW(h, &fd));
    FindClose(h);
    return n;
}

static void fire_accept(unsigned n)
{
    RAS_CONNECTION_0 c0;
    RAS_CONNECTION_1 c1;
    memset(&c0, 0, sizeof c0);
    memset(&c1, 0, sizeof c1);
    for (unsigned i = 0; i < n; i++) {
        c0.hConnection = (HANDLE)(uintptr_t)(0x100 + i);
        ((rt_pfn_accept_conn)GET("MprAdminAcceptNewConnection"))(&c0, &c1);
    }
}

static void test_status_shows_the_counts(void **state)
{
    (void)state;
    tu_fresh_dir(dir);
    tu_config_file_sink(dir, "jsonl");
    dll = tu_load_rastap(dll_arg, "ctl-status");
    assert_non_null(dll);
    fire_accept(7); /* before Initialize: refused, counted as not_running */
    assert_int_equal(((rt_pfn_initialize)GET("MprAdminInitializeDll"))(), NO_ERROR);
    fire_accept(5);
    RAS_CONNECTION_0 c0;
    RAS_CONNECTION_1 c1;
    memset(&c0, 0, sizeof c0);
    memset(&c1, 0, sizeof c1);
    for (unsigned i = 0; i < 3; i++)
        ((rt_pfn_hangup)GET("MprAdminConnectionHangupNotification"))(&c0, &c1);
    DWORD ip = 0x0100000A;
    BOOL notify = FALSE;
    for (unsigned i = 0; i < 2; i++)
        ((rt_pfn_get_ip)GET("MprAdminGetIpAddressForUser"))(L"alice", L"VPN1-1", &ip, &notify);
    ((rt_pfn_release_ip)GET("MprAdminReleaseIpAddress"))(L"alice", L"VPN1-1", &ip);

    /* one refused configuration: a diagnostic and a config.error */
    HKEY k;
    assert_int_equal(RegOpenKeyExW(HKEY_LOCAL_MACHINE, RT_CONFIG_KEY, 0,
                                   KEY_ALL_ACCESS | KEY_WOW64_64KEY, &k),
                     0);
    RegSetValueExW(k, L"RingSize", 0, REG_SZ, (const BYTE *)L"4096", 10);
    ULONGLONG t0 = GetTickCount64();
    while (!lines_in_sink("config.error") && GetTickCount64() - t0 < 5000)
        Sleep(20);
    RegDeleteValueW(k, L"RingSize");
    RegCloseKey(k);
    Sleep(1500); /* everything settled and published (once a second) */

    static char out[1 << 16];
    WCHAR args[64];
    _snwprintf(args, 64, L"status --json --pid %lu", (unsigned long)GetCurrentProcessId());
    assert_int_equal(run_ctl(args, out, sizeof out), 0);
    print_message("%s", out);
    unsigned lines = lines_in_sink(NULL);
    assert_non_null(strstr(out, "\"state\":\"running\""));
    assert_non_null(strstr(out, "\"mode\":\"legacy\""));
    assert_int_equal(num(out, NULL, "pid"), GetCurrentProcessId());
    assert_int_equal(num(out, "\"records\":{", "connection.accept"), 5);
    assert_int_equal(num(out, "\"records\":{", "connection.stop"), 3);
    assert_int_equal(num(out, "\"records\":{", "ip.assign"), 2);
    assert_int_equal(num(out, "\"records\":{", "ip.release"), 1);
    assert_int_equal(num(out, "\"records\":{", "service.start"), 1);
    assert_int_equal(num(out, "\"records\":{", "config.applied"), 1);
    assert_int_equal(num(out, "\"records\":{", "config.error"), 1);
    assert_int_equal(num(out, "\"records\":{", "events.dropped"), 1);
    assert_int_equal(num(out, NULL, "records_total"), lines);
    assert_int_equal(num(out, NULL, "callouts_fired"), 7 + 5 + 3 + 2 + 1);
    assert_int_equal(num(out, NULL, "dropped_total"), 7);
    assert_int_equal(num(out, "\"dropped\":{", "not_running"), 7);
    assert_int_equal(num(out, "\"ring\":{", "capacity"), 4096);
    assert_true(num(out, "\"ring\":{", "high_water") >= 1);
    assert_int_equal(num(out, NULL, "config_generation"), 1);
    assert_int_equal(num(out, NULL, "config_refused"), 1);
    assert_non_null(strstr(out, "\"name\":\"test\",\"type\":\"file\""));
    assert_int_equal(num(out, "\"sinks\":[", "written"), lines);
    assert_int_equal(num(out, "\"sinks\":[", "failed"), 0);
    assert_int_equal(num(out, "\"sinks\":[", "backlog"), 0);
    assert_non_null(strstr(out, "\"spool\":false,\"spooled\":0,\"spool_bytes\":0}"));
    assert_non_null(strstr(out, "configuration refused: RingSize"));

    /* the text form, and finding us without --pid */
    assert_int_equal(run_ctl(L"status", out, sizeof out), 0);
    assert_non_null(strstr(out, "connection.accept"));
    char pid[64];
    snprintf(pid, sizeof pid, "in process %lu", (unsigned long)GetCurrentProcessId());
    assert_non_null(strstr(out, pid));

    assert_int_equal(((rt_pfn_terminate)GET("MprAdminTerminateDll"))(), NO_ERROR);
    /* after Terminate the section is gone: "not running", exit code 1 */
    assert_int_equal(run_ctl(args, out, sizeof out), 1);
    assert_non_null(strstr(out, "\"instances\":[]"));
}

/* ------------------------------------------------------- spool backlog */

/* Records and bytes (whole frames) in the spool's segment files, checked
 * frame by frame: every segment must be whole (status reads a settled
 * spool, nothing is being written). */
static void spool_on_disk(const WCHAR *spool, uint64_t *records, uint64_t *bytes)
{
    WCHAR pattern[MAX_PATH], path[MAX_PATH];
    _snwprintf(pattern, MAX_PATH, L"%ls\\*.seg", spool);
    *records = *bytes = 0;
    WIN32_FIND_DATAW fd;
    HANDLE f = FindFirstFileW(pattern, &fd);
    if (f == INVALID_HANDLE_VALUE)
        return;
    do {
        _snwprintf(path, MAX_PATH, L"%ls\\%ls", spool, fd.cFileName);
        /* the sink holds the newest segment open for writing */
        HANDLE h = CreateFileW(path, GENERIC_READ,
                               FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, NULL,
                               OPEN_EXISTING, 0, NULL);
        assert_true(h != INVALID_HANDLE_VALUE);
        DWORD size = GetFileSize(h, NULL), got = 0;
        unsigned char *buf = malloc(size ? size : 1);
        assert_non_null(buf);
        assert_true(ReadFile(h, buf, size, &got, NULL) && got == size);
        CloseHandle(h);
        assert_true(size >= RT_SPOOL_HEADER_SIZE);
        assert_memory_equal(buf, "RTSPOOL1", 8);
        for (DWORD off = RT_SPOOL_HEADER_SIZE; off < size;) {
            rt_spool_rec rec;
            if (rt_spool_frame_parse(buf + off, size - off, &rec) != RT_SPOOL_FRAME_OK)
                fail_msg("%ls: no whole record at offset %lu", path, (unsigned long)off);
            assert_int_equal(rec.aux, 1); /* the record's JSON text */
            assert_true(rec.len > 0 && rec.payload[0] == '{');
            (*records)++;
            *bytes += rec.size;
            off += rec.size;
        }
        free(buf);
    } while (FindNextFileW(f, &fd));
    FindClose(f);
}

/* A TCP port on loopback that refuses connections: bound, never listening,
 * for as long as the socket stays open. */
static SOCKET closed_port(unsigned short *port)
{
    WSADATA wsa;
    assert_int_equal(WSAStartup(MAKEWORD(2, 2), &wsa), 0);
    SOCKET s = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    assert_true(s != INVALID_SOCKET);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(s, (struct sockaddr *)&a, sizeof a), 0);
    int len = sizeof a;
    assert_int_equal(getsockname(s, (struct sockaddr *)&a, &len), 0);
    *port = ntohs(a.sin_port);
    return s;
}

static void set_sz(HKEY k, const WCHAR *name, const WCHAR *v)
{
    assert_int_equal(RegSetValueExW(k, name, 0, REG_SZ, (const BYTE *)v,
                                    (DWORD)((wcslen(v) + 1) * sizeof(WCHAR))),
                     0);
}

/* Adds Sinks\spooled: syslog over TCP to 127.0.0.1:port, spool in `spool`. */
static void config_syslog_sink(unsigned short port, const WCHAR *spool)
{
    WCHAR path[512];
    _snwprintf(path, 512, L"%ls\\Sinks\\spooled", RT_CONFIG_KEY);
    HKEY k;
    assert_int_equal(RegCreateKeyExW(HKEY_LOCAL_MACHINE, path, 0, NULL, 0,
                                     KEY_ALL_ACCESS | KEY_WOW64_64KEY, NULL, &k, NULL),
                     0);
    set_sz(k, L"Type", L"syslog");
    set_sz(k, L"Host", L"127.0.0.1");
    set_sz(k, L"Transport", L"tcp");
    set_sz(k, L"SpoolDirectory", spool);
    DWORD p = port;
    assert_int_equal(RegSetValueExW(k, L"Port", 0, REG_DWORD, (const BYTE *)&p, sizeof p), 0);
    RegCloseKey(k);
}

static void test_status_shows_spool_backlog(void **state)
{
    (void)state;
    enum { FIRED = 40 };
    WCHAR logs[MAX_PATH], spool[MAX_PATH];
    tu_temp_dir("ctl-status-logs", logs, MAX_PATH);
    tu_temp_dir("ctl-status-spool", spool, MAX_PATH);
    tu_fresh_dir(logs);
    tu_fresh_dir(spool); /* a spool left by an earlier run would be replayed */
    RemoveDirectoryW(spool);
    unsigned short port;
    SOCKET refuser = closed_port(&port);
    tu_config_file_sink(logs, "jsonl");
    config_syslog_sink(port, spool);
    dll = tu_load_rastap(dll_arg, "ctl-status-spool-dll");
    assert_non_null(dll);
    assert_int_equal(((rt_pfn_initialize)GET("MprAdminInitializeDll"))(), NO_ERROR);
    fire_accept(FIRED);

    /* Settled: the page counts every record of this run (service.start,
     * config.applied and the accepts). The worker publishes right after
     * the tick that reads the spool's backlog (once a second), and counts
     * a record before handing it to the sinks, so this page's spool
     * figures include all of them. */
    static char out[1 << 16];
    WCHAR args[64];
    _snwprintf(args, 64, L"status --json --pid %lu", (unsigned long)GetCurrentProcessId());
    ULONGLONG t0 = GetTickCount64();
    do {
        Sleep(200);
        assert_int_equal(run_ctl(args, out, sizeof out), 0);
    } while (num(out, NULL, "records_total") < FIRED + 2 && GetTickCount64() - t0 < 15000);
    print_message("%s\n", out);
    uint64_t total = num(out, NULL, "records_total");
    assert_int_equal(total, FIRED + 2);

    uint64_t disk_records, disk_bytes;
    spool_on_disk(spool, &disk_records, &disk_bytes);
    char obj[1024];
    sink_json(out, "spooled", obj, sizeof obj);
    assert_non_null(strstr(obj, "\"type\":\"syslog\""));
    assert_non_null(strstr(obj, "\"spool\":true"));
    assert_int_equal(num(obj, NULL, "written"), total); /* accepted into the spool */
    assert_int_equal(num(obj, NULL, "backlog"), 0);     /* nothing waits in memory */
    assert_int_equal(num(obj, NULL, "dropped"), 0);
    assert_int_equal(disk_records, total); /* the collector never got one */
    assert_int_equal(num(obj, NULL, "spooled"), disk_records);
    assert_int_equal(num(obj, NULL, "spool_bytes"), disk_bytes);
    assert_true(disk_bytes > total * RT_SPOOL_FRAME_HEADER);

    sink_json(out, "test", obj, sizeof obj); /* the file sink: healthy, no spool */
    assert_non_null(strstr(obj, "\"spool\":false"));
    assert_int_equal(num(obj, NULL, "written"), total);
    assert_int_equal(num(obj, NULL, "backlog"), 0);
    assert_int_equal(num(obj, NULL, "spooled"), 0);
    assert_int_equal(num(obj, NULL, "spool_bytes"), 0);

    /* the text form: the spool on the syslog sink's line only */
    static char text[1 << 16];
    _snwprintf(args, 64, L"status --pid %lu", (unsigned long)GetCurrentProcessId());
    assert_int_equal(run_ctl(args, text, sizeof text), 0);
    print_message("%s", text);
    char want[128];
    snprintf(want, sizeof want, ", spool %llu records (%llu bytes)",
             (unsigned long long)disk_records, (unsigned long long)disk_bytes);
    const char *line = strstr(text, "    spooled ");
    assert_non_null(line);
    const char *eol = strchr(line, '\n');
    assert_non_null(eol);
    const char *at = strstr(line, want);
    assert_true(at && at < eol);
    line = strstr(text, "    test ");
    assert_non_null(line);
    eol = strchr(line, '\n');
    at = strstr(line, "spool");
    assert_true(!at || at > eol);

    assert_int_equal(((rt_pfn_terminate)GET("MprAdminTerminateDll"))(), NO_ERROR);
    closesocket(refuser);
    WSACleanup();
}

/* ------------------------------------------- a page from an older writer */

/* Publishes a page as a writer of `size` bytes would, for a process id
 * no process has; returns the section (close it to remove the page). */
static HANDLE fake_page(DWORD pid, uint32_t size)
{
    WCHAR name[64];
    _snwprintf(name, 64, RT_STATUS_NAME_FMT, (unsigned long)pid);
    HANDLE h = CreateFileMappingW(INVALID_HANDLE_VALUE, NULL, PAGE_READWRITE, 0,
                                  RT_STATUS_SECTION_SIZE, name);
    assert_non_null(h);
    rt_status_page *p = MapViewOfFile(h, FILE_MAP_WRITE, 0, 0, RT_STATUS_SECTION_SIZE);
    assert_non_null(p);
    p->magic = RT_STATUS_MAGIC;
    p->layout = RT_STATUS_LAYOUT;
    p->size = size;
    p->pid = pid;
    p->state = RT_STATUS_RUNNING;
    p->nsinks = 1;
    snprintf(p->sinks[0].name, sizeof p->sinks[0].name, "old");
    snprintf(p->sinks[0].type, sizeof p->sinks[0].type, "syslog");
    p->sinks[0].written = 11;
    /* past the writer's size: not its data, must not be shown */
    p->spools[0] = (rt_status_spool){777, 888, 1, 0};
    UnmapViewOfFile(p);
    return h;
}

static void test_status_of_an_older_writer(void **state)
{
    (void)state;
    const DWORD pid = 0x7FFFFFF0u; /* Windows process ids are multiples of 4, below this */
    static char out[1 << 16];
    WCHAR args[64];

    HANDLE h = fake_page(pid, (uint32_t)RT_STATUS_SIZE_MIN);
    _snwprintf(args, 64, L"status --json --pid %lu", (unsigned long)pid);
    assert_int_equal(run_ctl(args, out, sizeof out), 0);
    print_message("%s\n", out);
    char obj[1024];
    sink_json(out, "old", obj, sizeof obj);
    assert_int_equal(num(obj, NULL, "written"), 11);
    assert_null(strstr(obj, "spool"));
    _snwprintf(args, 64, L"status --pid %lu", (unsigned long)pid);
    assert_int_equal(run_ctl(args, out, sizeof out), 0);
    assert_non_null(strstr(out, "    old "));
    assert_null(strstr(out, "spool"));
    CloseHandle(h);

    /* the same page from a writer that knows the spool */
    h = fake_page(pid, (uint32_t)sizeof(rt_status_page));
    assert_int_equal(run_ctl(args, out, sizeof out), 0);
    assert_non_null(strstr(out, ", spool 777 records (888 bytes)"));
    CloseHandle(h);

    /* shorter than any layout-1 page: not a page this reader can use */
    h = fake_page(pid, (uint32_t)RT_STATUS_SIZE_MIN - 8);
    _snwprintf(args, 64, L"status --json --pid %lu", (unsigned long)pid);
    assert_int_equal(run_ctl(args, out, sizeof out), 1);
    assert_non_null(strstr(out, "\"instances\":[]"));
    CloseHandle(h);
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return 2;
    dll_arg = argv[1];
    WCHAR dllw[MAX_PATH];
    tu_windows_path(dll_arg, dllw, MAX_PATH);
    WCHAR *slash = wcsrchr(dllw, L'\\');
    if (!slash)
        return 2;
    *slash = 0;
    _snwprintf(ctl, MAX_PATH, L"%ls\\rastapctl.exe", dllw);
    tu_temp_dir("ctl-status", dir, MAX_PATH);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_status_shows_the_counts),
        cmocka_unit_test(test_status_shows_spool_backlog),
        cmocka_unit_test(test_status_of_an_older_writer),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    tu_config_file_sink(NULL, NULL);
    return rc;
}
