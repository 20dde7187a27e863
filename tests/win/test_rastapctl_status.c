/*
 * test_rastapctl_status.c - `rastapctl status` shows what the DLL counted.
 * This process loads rastap.dll, fires a known set of callouts (some
 * before Initialize, which are refused and reported as dropped), makes a
 * configuration refusal, and then runs rastapctl.exe (built beside
 * rastap.dll) to read the status section out of process. Every number is
 * compared with what was fired and with the records in the sink's file.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "ras_contract.h"
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
    tu_fresh_dir(dir);
    tu_config_file_sink(dir, "jsonl");
    dll = tu_load_rastap(dll_arg, "ctl-status");
    if (!dll)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_status_shows_the_counts),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    tu_config_file_sink(NULL, NULL);
    return rc;
}
