/*
 * drive_sinks.c - configures rastap's sinks in the registry, loads
 * rastap.dll as RRAS does and fires VPN sessions at it, for
 * test_sinks_rsyslog.py.
 *
 *   drive_sinks DLL [--core NAME=DWORD] [--sink NAME TYPE [--set KEY=VALUE]...]...
 *               [--sessions N] [--seconds S] [--linger-ms MS] [--tag T]
 *
 * --set takes REG_SZ text, or a REG_DWORD when VALUE is `#<decimal>`.
 * Each session is GetIpAddressForUser, AcceptNewConnectionEx,
 * ConnectionHangupNotificationEx and ReleaseIpAddress, with user names
 * from a list of hostile ones (quotes, backslashes, `]`, control
 * characters, lone surrogates, RTL override, a name filling the whole
 * array). Sessions are spread evenly over S seconds (0: as fast as
 * possible); after the last one the driver waits MS milliseconds (the
 * sinks drain meanwhile) and calls MprAdminTerminateDll. Prints one line:
 * `fired N sessions in T s; terminate returned R`.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "ras_contract.h"
#include "testutil.h"

static HMODULE dll;

static const WCHAR *const names[] = {
    NULL, /* filled to the end of the array, no terminator */
    L"alice",
    L"CORP\\bob",
    L"quote\"and\\backslash",
    L"]bracket[ \"sd\" x=\"y\"]",
    L"ctl\x01\x02\x1f\x7f",
    L"line\nbreak\r\ttab",
    L"para\x2028" L"sep\x2029",
    L"lone\xd800" L"surrogate",
    L"\x202e" L"evil",
    L"emoji\xd83d\xde00" L"\x00e9t\x00e9",
    L"",
    L"=cmd|' /C calc'!A0",
    L"back\\n-slash-n",
    L"%1 %n %%1 percent",
};
#define NNAMES (sizeof names / sizeof names[0])

#define GET(name) ((void *)GetProcAddress(dll, name))

static void set_name(WCHAR *dst, size_t units, unsigned i)
{
    memset(dst, 0, units * sizeof(WCHAR));
    const WCHAR *n = names[i % NNAMES];
    if (!n) {
        for (size_t k = 0; k < units; k++)
            dst[k] = (WCHAR)(L'a' + (k % 26));
        return;
    }
    wcsncpy(dst, n, units - 1);
}

static void session(unsigned i)
{
    static RAS_CONNECTION_EX cx;
    WCHAR user[UNLEN + 1], port[MAX_PORT_NAME + 1];
    set_name(user, UNLEN + 1, i);
    _snwprintf(port, MAX_PORT_NAME + 1, L"VPN0-%u", i);
    port[MAX_PORT_NAME] = 0;
    DWORD addr = 0x0000000A | ((i & 0xFFFFFFu) << 8), notify = 0;
    ((rt_pfn_get_ip)GET("MprAdminGetIpAddressForUser"))(user, port, &addr, (BOOL *)&notify);
    memset(&cx, 0, sizeof cx);
    cx.hConnection = (HANDLE)(uintptr_t)(0x10000u + i);
    memcpy(cx.wszUserName, user, sizeof user);
    wcscpy(cx.wszLogonDomain, L"CORP");
    cx.guid.Data1 = i;
    cx.ProjectionInfo.projectionInfoType = 1;
    cx.ProjectionInfo.PppProjectionInfo.dwAuthenticationProtocol = 0xC223;
    cx.ProjectionInfo.PppProjectionInfo.dwAuthenticationData = 0x81;
    _snwprintf(cx.ProjectionInfo.PppProjectionInfo.wszRemoteAddress, 16, L"10.%u.%u.%u",
               (i >> 16) & 255, (i >> 8) & 255, i & 255);
    ((rt_pfn_accept_conn_ex)GET("MprAdminAcceptNewConnectionEx"))(&cx);
    cx.dwConnectDuration = i % 86400;
    cx.dwBytesXmited = i * 2654435761u;
    cx.dwBytesRcved = i * 40503u + 17u;
    ((rt_pfn_hangup_ex)GET("MprAdminConnectionHangupNotificationEx"))(&cx);
    ((rt_pfn_release_ip)GET("MprAdminReleaseIpAddress"))(user, port, &addr);
}

static HKEY sink_key;

/* Milliseconds since the first call, for the progress lines on stderr. */
static unsigned long long since(int unused)
{
    static ULONGLONG start;
    (void)unused;
    if (!start)
        start = GetTickCount64();
    return GetTickCount64() - start;
}

static void open_sink(const char *name, const char *type)
{
    WCHAR path[512], wtype[64];
    if (sink_key)
        RegCloseKey(sink_key);
    _snwprintf(path, 512, L"%ls\\Sinks\\%hs", RT_CONFIG_KEY, name);
    if (RegCreateKeyExW(HKEY_LOCAL_MACHINE, path, 0, NULL, 0, KEY_ALL_ACCESS | KEY_WOW64_64KEY,
                        NULL, &sink_key, NULL) != ERROR_SUCCESS) {
        fprintf(stderr, "cannot create the key of sink %s\n", name);
        exit(2);
    }
    MultiByteToWideChar(CP_UTF8, 0, type, -1, wtype, 64);
    RegSetValueExW(sink_key, L"Type", 0, REG_SZ, (const BYTE *)wtype,
                   (DWORD)((wcslen(wtype) + 1) * sizeof(WCHAR)));
}

/* KEY=VALUE into k: REG_DWORD for #<n>, else REG_SZ. */
static void set_value(HKEY k, const char *kv)
{
    WCHAR wkey[64], wval[1024];
    const char *eq = strchr(kv, '=');
    if (!eq || !k) {
        fprintf(stderr, "bad --set/--core %s\n", kv);
        exit(2);
    }
    char key[64];
    snprintf(key, sizeof key, "%.*s", (int)(eq - kv), kv);
    MultiByteToWideChar(CP_UTF8, 0, key, -1, wkey, 64);
    if (eq[1] == '#') {
        DWORD v = (DWORD)strtoul(eq + 2, NULL, 10);
        RegSetValueExW(k, wkey, 0, REG_DWORD, (const BYTE *)&v, sizeof v);
        return;
    }
    MultiByteToWideChar(CP_UTF8, 0, eq + 1, -1, wval, 1024);
    RegSetValueExW(k, wkey, 0, REG_SZ, (const BYTE *)wval,
                   (DWORD)((wcslen(wval) + 1) * sizeof(WCHAR)));
}

static HKEY core_key(void)
{
    HKEY k = NULL;
    RegCreateKeyExW(HKEY_LOCAL_MACHINE, RT_CONFIG_KEY, 0, NULL, 0,
                    KEY_ALL_ACCESS | KEY_WOW64_64KEY, NULL, &k, NULL);
    return k;
}

int main(int argc, char **argv)
{
    unsigned sessions = 100, linger_ms = 0;
    double seconds = 0;
    if (argc < 2) {
        fprintf(stderr, "usage: drive_sinks DLL [options]\n");
        return 2;
    }
    fprintf(stderr, "drive_sinks: %llu ms: started\n", since(0));
    tu_config_file_sink(NULL, NULL); /* a clean configuration key */
    HKEY core = core_key();
    for (int i = 2; i < argc; i++) {
        if (!strcmp(argv[i], "--core") && i + 1 < argc)
            set_value(core, argv[++i]);
        else if (!strcmp(argv[i], "--sink") && i + 2 < argc) {
            open_sink(argv[i + 1], argv[i + 2]);
            i += 2;
        } else if (!strcmp(argv[i], "--set") && i + 1 < argc)
            set_value(sink_key, argv[++i]);
        else if (!strcmp(argv[i], "--sessions") && i + 1 < argc)
            sessions = (unsigned)atoi(argv[++i]);
        else if (!strcmp(argv[i], "--seconds") && i + 1 < argc)
            seconds = atof(argv[++i]);
        else if (!strcmp(argv[i], "--linger-ms") && i + 1 < argc)
            linger_ms = (unsigned)atoi(argv[++i]);
        else {
            fprintf(stderr, "unknown option %s\n", argv[i]);
            return 2;
        }
    }
    if (sink_key)
        RegCloseKey(sink_key);
    if (core)
        RegCloseKey(core);
    fprintf(stderr, "drive_sinks: %llu ms: configured\n", since(0));
    dll = tu_load_rastap(argv[1], "sinks");
    if (!dll)
        return 1;
    rt_admin_dll_callbacks cb;
    memset(&cb, 0, sizeof cb);
    if (((rt_pfn_initialize_ex)GET("MprAdminInitializeDllEx"))(&cb) != NO_ERROR)
        return 1;
    fprintf(stderr, "drive_sinks: %llu ms: initialized\n", since(0));
    ULONGLONG t0 = GetTickCount64();
    for (unsigned i = 0; i < sessions; i++) {
        session(i);
        if (seconds > 0) {
            ULONGLONG due = t0 + (ULONGLONG)(seconds * 1000.0 * (i + 1) / sessions);
            ULONGLONG now = GetTickCount64();
            if (due > now)
                Sleep((DWORD)(due - now));
        } else if ((i & 63) == 63) {
            SwitchToThread();
        }
    }
    double took = (double)(GetTickCount64() - t0) / 1000.0;
    fprintf(stderr, "drive_sinks: %llu ms: fired; lingering %u ms\n", since(0), linger_ms);
    Sleep(linger_ms);
    fprintf(stderr, "drive_sinks: %llu ms: terminating\n", since(0));
    DWORD rc = cb.lpfnRasAdminTerminateDll();
    fprintf(stderr, "drive_sinks: %llu ms: terminated\n", since(0));
    printf("fired %u sessions in %.2f s; terminate returned %lu\n", sessions, took,
           (unsigned long)rc);
    fflush(stdout);
    return rc == NO_ERROR ? 0 : 1;
}
