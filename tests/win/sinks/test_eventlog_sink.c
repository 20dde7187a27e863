/*
 * test_eventlog_sink.c - the `eventlog` sink inside rastap.dll under Wine.
 *
 * Wine's event log keeps nothing, so the test watches the calls instead:
 * rastap.dll's imports of RegisterEventSourceW and ReportEventW are
 * pointed at spies that record their arguments and pass each call on to
 * the real function (whose result is checked too). Then:
 *  - every record becomes one ReportEventW with event ID 1000 + its kind,
 *    insertion string %1 the record's JSON, %2 its kind, %6 the user, the
 *    documented type; hostile user names (quotes, %1, %n) pass unchanged;
 *  - the message table in rastap.dll has every documented ID, and
 *    FormatMessageW renders the texts docs/sinks.md shows;
 *  - the registration rastapctl install writes (rt_eventlog_register)
 *    names this DLL as EventMessageFile, TypesSupported 7, and Event
 *    Viewer's way of reading it (the DLL as a data file) finds the texts.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "config.h"
#include "eventlog.h"
#include "iat.h"
#include "ras_contract.h"
#include "sink_syslog.h"
#include "testutil.h"

static const char *dll_arg;

#define MAX_CALLS 64
#define NSTR 36

typedef HANDLE(WINAPI *register_fn)(LPCWSTR, LPCWSTR);
typedef BOOL(WINAPI *report_fn)(HANDLE, WORD, WORD, DWORD, PSID, WORD, DWORD, LPCWSTR *,
                                LPVOID);
static register_fn real_register;
static report_fn real_report;

static struct {
    WCHAR source[64];
    HANDLE handle;
} reg;

typedef struct call {
    HANDLE h;
    WORD type, category, nstrings;
    DWORD id;
    BOOL ret;
    WCHAR s[NSTR][600];
} call;
static call calls[MAX_CALLS];
static unsigned ncalls;

static HANDLE WINAPI spy_register(LPCWSTR server, LPCWSTR source)
{
    HANDLE h = real_register(server, source);
    if (!server && source && wcscmp(source, RT_EVENTLOG_SOURCE) == 0 && !reg.handle) {
        wcsncpy(reg.source, source, 63);
        reg.handle = h;
    }
    return h;
}

static BOOL WINAPI spy_report(HANDLE h, WORD type, WORD category, DWORD id, PSID sid, WORD n,
                              DWORD data_size, LPCWSTR *strings, LPVOID data)
{
    BOOL ret = real_report(h, type, category, id, sid, n, data_size, strings, data);
    if (ncalls < MAX_CALLS) {
        call *c = &calls[ncalls++];
        c->h = h;
        c->type = type;
        c->category = category;
        c->id = id;
        c->nstrings = n;
        c->ret = ret;
        for (WORD i = 0; i < n && i < NSTR; i++)
            wcsncpy(c->s[i], strings[i], 599);
    }
    return ret;
}

static const WCHAR *const users[] = {L"alice", L"quote\"and\\backslash", L"%1 %n %%1 pct"};

static void fire(HMODULE h)
{
    static RAS_CONNECTION_EX cx;
    for (unsigned i = 0; i < 3; i++) {
        memset(&cx, 0, sizeof cx);
        cx.hConnection = (HANDLE)(uintptr_t)(0x100 + i);
        wcscpy(cx.wszUserName, users[i]);
        wcscpy(cx.wszLogonDomain, L"CORP");
        ((rt_pfn_accept_conn_ex)(void *)GetProcAddress(h, "MprAdminAcceptNewConnectionEx"))(&cx);
        cx.dwConnectDuration = 60 + i;
        cx.dwBytesRcved = 1000 + i;
        cx.dwBytesXmited = 2000 + i;
        ((rt_pfn_hangup_ex)(void *)GetProcAddress(h, "MprAdminConnectionHangupNotificationEx"))(
            &cx);
    }
}

static void configure_eventlog_sink(void)
{
    HKEY k;
    WCHAR path[512];
    tu_config_file_sink(NULL, NULL);
    _snwprintf(path, 512, L"%ls\\Sinks\\ev", RT_CONFIG_KEY);
    assert_int_equal(RegCreateKeyExW(HKEY_LOCAL_MACHINE, path, 0, NULL, 0,
                                     KEY_ALL_ACCESS | KEY_WOW64_64KEY, NULL, &k, NULL),
                     0);
    RegSetValueExW(k, L"Type", 0, REG_SZ, (const BYTE *)L"eventlog", sizeof(L"eventlog"));
    RegCloseKey(k);
}

/* The value of field `name` (a JSON string body or number) in w's JSON. */
static bool json_has(const WCHAR *json, const WCHAR *name, const WCHAR *value)
{
    WCHAR pat[700];
    _snwprintf(pat, 700, L"\"%ls\":%ls", name, value);
    return wcsstr(json, pat) != NULL;
}

static void test_records_become_events(void **state)
{
    (void)state;
    configure_eventlog_sink();
    HMODULE h = tu_load_rastap(dll_arg, "eventlog");
    assert_non_null(h);
    real_register = tu_iat_hook(h, "ADVAPI32.dll", "RegisterEventSourceW", (void *)spy_register);
    real_report = tu_iat_hook(h, "ADVAPI32.dll", "ReportEventW", (void *)spy_report);
    assert_non_null(real_register);
    assert_non_null(real_report);
    rt_admin_dll_callbacks cb;
    memset(&cb, 0, sizeof cb);
    assert_int_equal(
        ((rt_pfn_initialize_ex)(void *)GetProcAddress(h, "MprAdminInitializeDllEx"))(&cb), 0);
    fire(h);
    assert_int_equal(cb.lpfnRasAdminTerminateDll(), 0);

    assert_non_null(reg.handle); /* RegisterEventSourceW(NULL, "rastap") succeeded */
    unsigned stops = 0, starts = 0, accepts = 0, kinds = 0;
    for (unsigned i = 0; i < ncalls; i++) {
        call *c = &calls[i];
        if (c->id < RT_EVMSG_KIND_BASE)
            continue; /* rastap's own diagnostics (eventlog.c) */
        kinds++;
        assert_true(c->ret);                  /* the real ReportEventW took it */
        assert_true(c->h == reg.handle);
        assert_int_equal(c->category, 0);
        assert_int_equal(c->nstrings, NSTR);
        assert_true(c->s[0][0] == L'{');      /* %1: the record */
        WCHAR kind[64];
        _snwprintf(kind, 64, L"\"%ls\"", c->s[1]);
        assert_true(json_has(c->s[0], L"event", kind));
        assert_true(json_has(c->s[0], L"seq", c->s[2]));
        if (wcscmp(c->s[1], L"service.start") == 0) {
            starts++;
            assert_int_equal(c->id, 1001);
            assert_int_equal(c->type, EVENTLOG_INFORMATION_TYPE);
        } else if (wcscmp(c->s[1], L"connection.accept") == 0) {
            assert_int_equal(c->id, 1003);
            assert_int_equal(wcscmp(c->s[5], users[accepts]), 0); /* %6 exactly as RAS gave it */
            assert_int_equal(wcscmp(c->s[6], L"CORP"), 0);
            accepts++;
        } else if (wcscmp(c->s[1], L"connection.stop") == 0) {
            WCHAR n[16];
            assert_int_equal(c->id, 1004);
            assert_int_equal(c->type, EVENTLOG_INFORMATION_TYPE);
            assert_int_equal(wcscmp(c->s[5], users[stops]), 0);
            _snwprintf(n, 16, L"%u", 60 + stops);
            assert_int_equal(wcscmp(c->s[20], n), 0); /* %21 duration_s */
            _snwprintf(n, 16, L"%u", 1000 + stops);
            assert_int_equal(wcscmp(c->s[21], n), 0); /* %22 bytes_in */
            _snwprintf(n, 16, L"%u", 2000 + stops);
            assert_int_equal(wcscmp(c->s[22], n), 0); /* %23 bytes_out */
            assert_int_equal(wcscmp(c->s[12], L"-"), 0); /* %13 client_ipv4: absent */
            stops++;
        } else if (wcscmp(c->s[1], L"service.stop") == 0) {
            assert_int_equal(c->id, 1002);
        }
    }
    assert_int_equal(starts, 1);
    assert_int_equal(accepts, 3);
    assert_int_equal(stops, 3);
    assert_true(kinds >= 8);
    FreeLibrary(h);
    tu_config_file_sink(NULL, NULL);
}

static const DWORD ids[] = {900,  901,  902,  1001, 1002, 1003, 1004, 1005, 1006,
                            1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014};

/* The sample insertion strings: %n = "v<n>", %6 a hostile one. */
static void sample_args(DWORD_PTR *args, WCHAR store[NSTR][32])
{
    for (int i = 0; i < NSTR; i++) {
        _snwprintf(store[i], 32, L"v%d", i + 1);
        args[i] = (DWORD_PTR)store[i];
    }
    wcscpy(store[5], L"%1 %n %%1");
}

static WCHAR *render(HMODULE m, DWORD id, DWORD_PTR *args)
{
    WCHAR *text = NULL;
    DWORD n = FormatMessageW(FORMAT_MESSAGE_FROM_HMODULE | FORMAT_MESSAGE_ARGUMENT_ARRAY |
                                 FORMAT_MESSAGE_ALLOCATE_BUFFER,
                             m, id, MAKELANGID(LANG_ENGLISH, SUBLANG_ENGLISH_US),
                             (LPWSTR)&text, 0, (va_list *)args);
    return n ? text : NULL;
}

static void check_table(HMODULE m)
{
    DWORD_PTR args[NSTR];
    WCHAR store[NSTR][32];
    sample_args(args, store);
    assert_non_null(FindResourceW(m, MAKEINTRESOURCEW(1), (LPCWSTR)RT_MESSAGETABLE));
    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++) {
        WCHAR *t = render(m, ids[i], args);
        assert_non_null(t);
        if (ids[i] < 1000)
            assert_int_equal(wcscmp(t, L"v1\r\n"), 0);
        else
            assert_non_null(wcsstr(t, L"Record v3 at v4: v1"));
        LocalFree(t);
    }
    WCHAR *t = render(m, 1004, args);
    static const WCHAR want[] =
        L"Connection v8 of user %1 %n %%1 (domain v7) ended after v21 s: v22 bytes in, v23 "
        L"bytes out. Client v13 v14, tunnel v17.\r\n\r\nRecord v3 at v4: v1\r\n";
    assert_int_equal(wcscmp(t, want), 0); /* insertion strings are not expanded again */
    LocalFree(t);
    assert_null(render(m, 1015, args));
}

static void test_message_table(void **state)
{
    (void)state;
    HMODULE h = tu_load_rastap(dll_arg, "eventlog-table");
    assert_non_null(h);
    check_table(h);
    FreeLibrary(h);
}

static void test_registration(void **state)
{
    (void)state;
    WCHAR src[MAX_PATH], path[MAX_PATH], dir[MAX_PATH];
    tu_windows_path(dll_arg, src, MAX_PATH);
    tu_temp_dir("eventlog-reg", dir, MAX_PATH);
    tu_fresh_dir(dir);
    _snwprintf(path, MAX_PATH, L"%ls\\rastap.dll", dir);
    assert_true(CopyFileW(src, path, FALSE));
    bool changed = false;
    assert_int_equal(rt_eventlog_register(path, &changed), 0);
    HKEY k;
    assert_int_equal(RegOpenKeyExW(HKEY_LOCAL_MACHINE, RT_EVENTLOG_KEY, 0,
                                   KEY_READ | KEY_WOW64_64KEY, &k),
                     0);
    WCHAR file[MAX_PATH];
    DWORD type = 0, size = sizeof file, types = 0;
    assert_int_equal(RegQueryValueExW(k, L"EventMessageFile", NULL, &type, (BYTE *)file, &size),
                     0);
    assert_int_equal(type, REG_EXPAND_SZ);
    assert_int_equal(_wcsicmp(file, path), 0);
    size = sizeof types;
    assert_int_equal(RegQueryValueExW(k, L"TypesSupported", NULL, &type, (BYTE *)&types, &size),
                     0);
    assert_int_equal(type, REG_DWORD);
    assert_int_equal(types, EVENTLOG_ERROR_TYPE | EVENTLOG_WARNING_TYPE |
                                EVENTLOG_INFORMATION_TYPE);
    RegCloseKey(k);
    /* what Event Viewer does with it */
    WCHAR expanded[MAX_PATH];
    ExpandEnvironmentStringsW(file, expanded, MAX_PATH);
    HMODULE m = LoadLibraryExW(expanded, NULL,
                               LOAD_LIBRARY_AS_DATAFILE | LOAD_LIBRARY_AS_IMAGE_RESOURCE);
    assert_non_null(m);
    check_table(m);
    FreeLibrary(m);
    assert_int_equal(rt_eventlog_unregister(), 0);
    assert_int_equal(RegOpenKeyExW(HKEY_LOCAL_MACHINE, RT_EVENTLOG_KEY, 0,
                                   KEY_READ | KEY_WOW64_64KEY, &k),
                     ERROR_FILE_NOT_FOUND);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: test_sinks_eventlog rastap.dll\n");
        return 2;
    }
    dll_arg = argv[1];
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_records_become_events),
        cmocka_unit_test(test_message_table),
        cmocka_unit_test(test_registration),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
