/*
 * test_sink_failure.c - a file sink whose directory cannot be created never
 * hurts RRAS: Initialize succeeds, callouts return, Terminate comes back
 * within its bound; and when the directory becomes usable, the sink
 * recovers and delivers its backlog in order, nothing lost.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "config.h"
#include "ras_contract.h"
#include "testutil.h"

static const char *dll_arg;
static WCHAR base[MAX_PATH], blocker[MAX_PATH], target[MAX_PATH];

/* A file where the sink wants a directory: CreateDirectory under it fails. */
static void block(void)
{
    tu_temp_dir("sinkfail", base, MAX_PATH);
    tu_fresh_dir(base);
    _snwprintf(blocker, MAX_PATH, L"%ls\\blocker", base);
    _snwprintf(target, MAX_PATH, L"%ls\\blocker\\logs", base);
    /* leftovers of an earlier run: the logs the recovered sink wrote */
    if (GetFileAttributesW(target) != INVALID_FILE_ATTRIBUTES)
        tu_fresh_dir(target);
    RemoveDirectoryW(target);
    RemoveDirectoryW(blocker);
    HANDLE h = CreateFileW(blocker, GENERIC_WRITE, 0, NULL, CREATE_ALWAYS, 0, NULL);
    assert_true(h != INVALID_HANDLE_VALUE);
    CloseHandle(h);
    tu_config_file_sink(target, "jsonl");
    HKEY k;
    DWORD drain = 500;
    assert_int_equal(RegOpenKeyExW(HKEY_LOCAL_MACHINE, RT_CONFIG_KEY, 0, KEY_SET_VALUE, &k), 0);
    RegSetValueExW(k, L"StopDrainMs", 0, REG_DWORD, (const BYTE *)&drain, sizeof drain);
    RegCloseKey(k);
}

static void hangups(HMODULE h, unsigned n, unsigned first)
{
    rt_pfn_hangup_ex hangup =
        (rt_pfn_hangup_ex)(void *)GetProcAddress(h, "MprAdminConnectionHangupNotificationEx");
    static RAS_CONNECTION_EX x;
    memset(&x, 0, sizeof x);
    wcscpy(x.wszUserName, L"someone");
    for (unsigned i = 0; i < n; i++) {
        x.hConnection = (HANDLE)(uintptr_t)(first + i);
        hangup(&x);
    }
}

static unsigned count_lines(const WCHAR *dir, const char *needle)
{
    WCHAR pattern[MAX_PATH], path[MAX_PATH];
    _snwprintf(pattern, MAX_PATH, L"%ls\\*.jsonl", dir);
    WIN32_FIND_DATAW fd;
    HANDLE f = FindFirstFileW(pattern, &fd);
    if (f == INVALID_HANDLE_VALUE)
        return 0;
    unsigned n = 0;
    do {
        _snwprintf(path, MAX_PATH, L"%ls\\%ls", dir, fd.cFileName);
        FILE *fp = _wfopen(path, L"rb");
        static char line[1 << 16];
        while (fp && fgets(line, sizeof line, fp))
            n += !needle || strstr(line, needle) != NULL;
        if (fp)
            fclose(fp);
    } while (FindNextFileW(f, &fd));
    FindClose(f);
    return n;
}

static void test_terminate_returns_within_bound(void **state)
{
    (void)state;
    block();
    HMODULE h = tu_load_rastap(dll_arg, "sinkfail-a");
    assert_non_null(h);
    rt_admin_dll_callbacks cb;
    memset(&cb, 0, sizeof cb);
    rt_pfn_initialize_ex init =
        (rt_pfn_initialize_ex)(void *)GetProcAddress(h, "MprAdminInitializeDllEx");
    assert_int_equal(init(&cb), NO_ERROR); /* RRAS still starts */
    hangups(h, 1000, 1);
    ULONGLONG t0 = GetTickCount64();
    assert_int_equal(cb.lpfnRasAdminTerminateDll(), NO_ERROR);
    ULONGLONG took = GetTickCount64() - t0;
    /* bound: StopDrainMs (500) + the close margin (3000); generous for Wine */
    if (took > 8000)
        fail_msg("Terminate took %llu ms", (unsigned long long)took);
    assert_true(FreeLibrary(h));
    assert_int_equal(GetFileAttributesW(target), INVALID_FILE_ATTRIBUTES);
}

static void test_recovers_and_delivers_backlog(void **state)
{
    (void)state;
    block();
    HMODULE h = tu_load_rastap(dll_arg, "sinkfail-b");
    assert_non_null(h);
    rt_admin_dll_callbacks cb;
    memset(&cb, 0, sizeof cb);
    rt_pfn_initialize_ex init =
        (rt_pfn_initialize_ex)(void *)GetProcAddress(h, "MprAdminInitializeDllEx");
    assert_int_equal(init(&cb), NO_ERROR);
    hangups(h, 500, 1);
    Sleep(300); /* the sink has failed at least once and backs off */
    assert_true(DeleteFileW(blocker));
    hangups(h, 500, 501);
    unsigned n = 0;
    for (int i = 0; i < 100 && n < 1001; i++) { /* backoff doubles from 100 ms */
        Sleep(100);
        n = count_lines(target, NULL);
    }
    assert_int_equal(cb.lpfnRasAdminTerminateDll(), NO_ERROR);
    assert_true(FreeLibrary(h));
    /* service.start + 1000 hangups + service.stop, none dropped */
    assert_int_equal(count_lines(target, "\"event\":\"connection.stop\""), 1000);
    assert_int_equal(count_lines(target, "\"event\":\"events.dropped\""), 0);
    assert_int_equal(count_lines(target, "\"event\":\"service.stop\""), 1);
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return 2;
    dll_arg = argv[1];
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_terminate_returns_within_bound),
        cmocka_unit_test(test_recovers_and_delivers_backlog),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    tu_config_file_sink(NULL, NULL);
    return rc;
}
