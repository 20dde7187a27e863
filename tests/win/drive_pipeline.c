/*
 * drive_pipeline.c - fires VPN sessions at rastap.dll from several threads
 * and writes a manifest of every callout it made, for e2e_pipeline.py.
 *
 *   drive_pipeline DLL MANIFEST SESSIONS THREADS [--dir DIR jsonl|csv]
 *                  [--stop-drain-ms N]
 *
 * Each session: GetIpAddressForUser, AcceptNewConnection (1, 2, 3 or Ex),
 * AcceptNewLink, maybe AcceptReauthentication (or Ex), LinkHangupNotification,
 * ConnectionHangupNotification (1, 2, 3 or Ex), ReleaseIpAddress, and for
 * every third session the IPv6 pair: all 17 connection, link and address
 * callouts. Odd sessions use RAS_CONNECTION_EX, even ones cycle through
 * the legacy variants. Strings are hex-encoded UTF-16 in the
 * manifest (the whole array, as passed), so the checker sees exactly what
 * the DLL saw.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "ras_contract.h"
#include "testutil.h"

static HMODULE dll;
static unsigned sessions_per_thread;

typedef struct manifest {
    char *p;
    size_t len, cap;
} manifest;

static void mput(manifest *m, const char *fmt, ...)
{
    va_list ap;
    if (m->cap - m->len < 8192) {
        m->cap = m->cap * 2 + (1 << 20);
        m->p = realloc(m->p, m->cap);
    }
    va_start(ap, fmt);
    m->len += (size_t)vsnprintf(m->p + m->len, m->cap - m->len, fmt, ap);
    va_end(ap);
}

static void mhex(manifest *m, const WCHAR *s, size_t units)
{
    static const char hex[] = "0123456789abcdef";
    if (m->cap - m->len < units * 4 + 16) {
        m->cap = m->cap * 2 + units * 4 + (1 << 20);
        m->p = realloc(m->p, m->cap);
    }
    for (size_t i = 0; i < units; i++) {
        unsigned v = s[i];
        for (int k = 3; k >= 0; k--)
            m->p[m->len++] = hex[(v >> (4 * k)) & 15];
    }
}

/* Hostile and ordinary user names; index 0 is filled to the array's end
 * without a terminator. */
static const WCHAR *const names[] = {
    NULL,
    L"alice",
    L"CORP\\bob",
    L"carol@example.org",
    L"quote\"and\\backslash",
    L"ctl\x01\x02\x1f\x7f",
    L"line\nbreak\r\ttab",
    L"para\x2028" L"sep\x2029",
    L"lone\xd800" L"surrogate",
    L"low\xdc00" L"first",
    L"=cmd|' /C calc'!A0",
    L"+SUM(1,2)",
    L"-2+3",
    L"@import",
    L"\x202e" L"evil",
    L"emoji\xd83d\xde00" L"ok",
    L"",
    L"]bracket[ \"sd\"",
};
#define NNAMES (sizeof names / sizeof names[0])

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

#define GET(name) ((void *)GetProcAddress(dll, name))

static void run_session(manifest *m, unsigned tid, unsigned i)
{
    unsigned id = tid * 1000000u + i;
    HANDLE hconn = (HANDLE)(uintptr_t)(0x100000000ull * (tid + 1) + i + 1);
    /* odd sessions: Ex; even ones cycle through the legacy variants 1, 2, 3 */
    bool ex = id & 1;
    unsigned variant = ex ? 0 : 1 + (id / 2) % 3;
    static const char *const accept_names[] = {"MprAdminAcceptNewConnectionEx",
        "MprAdminAcceptNewConnection", "MprAdminAcceptNewConnection2",
        "MprAdminAcceptNewConnection3"};
    static const char *const hangup_names[] = {"MprAdminConnectionHangupNotificationEx",
        "MprAdminConnectionHangupNotification", "MprAdminConnectionHangupNotification2",
        "MprAdminConnectionHangupNotification3"};
    static __thread RAS_CONNECTION_0 c0;
    static __thread RAS_CONNECTION_1 c1;
    static __thread RAS_CONNECTION_2 c2;
    static __thread RAS_CONNECTION_3 c3;
    static __thread RAS_CONNECTION_EX cx;
    static __thread RAS_PORT_0 p0;
    static __thread RAS_PORT_1 p1;
    memset(&c0, 0, sizeof c0);
    memset(&c1, 0, sizeof c1);
    memset(&c2, 0, sizeof c2);
    memset(&c3, 0, sizeof c3);
    memset(&cx, 0, sizeof cx);
    WCHAR user[UNLEN + 1], port[MAX_PORT_NAME + 1];
    set_name(user, UNLEN + 1, id);
    _snwprintf(port, MAX_PORT_NAME + 1, L"VPN%u-%u", tid, i);
    port[MAX_PORT_NAME] = 0;
    DWORD ipv4 = 0x0A000000u | ((id * 7u) & 0xFFFFFFu);
    ipv4 = ((ipv4 >> 24) & 0xFF) | ((ipv4 >> 8) & 0xFF00) | ((ipv4 << 8) & 0xFF0000) | (ipv4 << 24);
    DWORD bytes_out = id * 2654435761u, bytes_in = id * 40503u + 17u, duration = id % 86400;
    WCHAR client[16];
    _snwprintf(client, 16, L"%u.%u.%u.%u", ipv4 & 255, (ipv4 >> 8) & 255, (ipv4 >> 16) & 255,
               ipv4 >> 24);

    /* address */
    DWORD addr = ipv4;
    BOOL notify = FALSE;
    ((rt_pfn_get_ip)GET("MprAdminGetIpAddressForUser"))(user, port, &addr, &notify);
    mput(m, "{\"callout\":\"MprAdminGetIpAddressForUser\",\"event\":\"ip.assign\",\"port\":\"");
    mhex(m, port, wcslen(port) + 1);
    mput(m, "\",\"user\":\"");
    mhex(m, user, UNLEN + 1);
    mput(m, "\",\"ipv4\":%lu}\n", (unsigned long)ipv4);

    /* connection accept */
    if (ex) {
        cx.hConnection = hconn;
        memcpy(cx.wszUserName, user, sizeof user);
        wcscpy(cx.wszLogonDomain, L"CORP");
        cx.dwConnectDuration = 0;
        cx.guid.Data1 = id;
        cx.ProjectionInfo.projectionInfoType = (id % 4 == 1) ? 2 : 1;
        if (cx.ProjectionInfo.projectionInfoType == 1) {
            wcscpy(cx.ProjectionInfo.PppProjectionInfo.wszRemoteAddress, client);
            cx.ProjectionInfo.PppProjectionInfo.dwAuthenticationProtocol = 0xC223;
            cx.ProjectionInfo.PppProjectionInfo.dwAuthenticationData = 0x81;
        } else {
            wcscpy(cx.ProjectionInfo.Ikev2ProjectionInfo.wszRemoteAddress, client);
            cx.ProjectionInfo.Ikev2ProjectionInfo.dwAuthenticationProtocol = 2;
            cx.ProjectionInfo.Ikev2ProjectionInfo.dwEapTypeId = 26;
        }
        wcscpy(cx.wszRemoteEndpointAddress, L"198.51.100.7");
        ((rt_pfn_accept_conn_ex)GET("MprAdminAcceptNewConnectionEx"))(&cx);
    } else {
        c0.hConnection = c1.hConnection = c2.hConnection = c3.hConnection = hconn;
        memcpy(c0.wszUserName, user, sizeof user);
        memcpy(c2.wszUserName, user, sizeof user);
        memcpy(c3.wszUserName, user, sizeof user);
        wcscpy(c0.wszLogonDomain, L"CORP");
        wcscpy(c1.PppInfo.ip.wszRemoteAddress, client);
        c2.guid.Data1 = c3.guid.Data1 = id;
        c2.PppInfo2.lcp.dwAuthenticationProtocol = 0xC227;
        c3.PppInfo3.lcp.dwAuthenticationProtocol = 0xC227;
        if (variant == 1)
            ((rt_pfn_accept_conn)GET(accept_names[1]))(&c0, &c1);
        else if (variant == 2)
            ((rt_pfn_accept_conn2)GET(accept_names[2]))(&c0, &c1, &c2);
        else
            ((rt_pfn_accept_conn3)GET(accept_names[3]))(&c0, &c1, &c2, &c3);
    }
    mput(m, "{\"callout\":\"%s\",\"event\":\"connection.accept\",\"connection\":\"0x%llx\","
            "\"user\":\"",
         accept_names[variant],
         (unsigned long long)(uintptr_t)hconn);
    mhex(m, user, UNLEN + 1);
    mput(m, "\",\"client_ipv4\":\"%ls\"}\n", client);

    /* link */
    memset(&p0, 0, sizeof p0);
    memset(&p1, 0, sizeof p1);
    p0.hConnection = p1.hConnection = hconn;
    p0.hPort = p1.hPort = (HANDLE)(uintptr_t)(id + 7);
    wcscpy(p0.wszPortName, port);
    wcscpy(p0.wszDeviceType, L"vpn");
    wcscpy(p0.wszDeviceName, (id % 3 == 0) ? L"WAN Miniport (SSTP)" : L"WAN Miniport (L2TP)");
    p1.dwLineSpeed = 100000000;
    ((rt_pfn_accept_link)GET("MprAdminAcceptNewLink"))(&p0, &p1);
    mput(m, "{\"callout\":\"MprAdminAcceptNewLink\",\"event\":\"link.accept\",\"connection\":"
            "\"0x%llx\",\"port\":\"%ls\"}\n",
         (unsigned long long)(uintptr_t)hconn, port);
    if (id % 5 == 0) {
        if (ex) {
            cx.rasQuarState = RAS_QUAR_STATE_PROBATION;
            ((rt_pfn_accept_conn_ex)GET("MprAdminAcceptReauthenticationEx"))(&cx);
        } else {
            c3.rasQuarState = RAS_QUAR_STATE_PROBATION;
            ((rt_pfn_accept_reauth)GET("MprAdminAcceptReauthentication"))(&c0, &c1, &c2, &c3);
        }
        mput(m, "{\"callout\":\"%s\",\"event\":\"reauth\",\"connection\":\"0x%llx\","
                "\"quarantine\":\"probation\"}\n",
             ex ? "MprAdminAcceptReauthenticationEx" : "MprAdminAcceptReauthentication",
             (unsigned long long)(uintptr_t)hconn);
    }
    p1.dwBytesXmited = bytes_out;
    p1.dwBytesRcved = bytes_in;
    p0.dwConnectDuration = duration;
    ((rt_pfn_link_hangup)GET("MprAdminLinkHangupNotification"))(&p0, &p1);
    mput(m, "{\"callout\":\"MprAdminLinkHangupNotification\",\"event\":\"link.stop\","
            "\"connection\":\"0x%llx\",\"port\":\"%ls\",\"bytes_in\":%lu,\"bytes_out\":%lu}\n",
         (unsigned long long)(uintptr_t)hconn, port, (unsigned long)bytes_in,
         (unsigned long)bytes_out);

    /* hangup */
    if (ex) {
        cx.dwConnectDuration = duration;
        cx.dwBytesXmited = bytes_out;
        cx.dwBytesRcved = bytes_in;
        ((rt_pfn_hangup_ex)GET("MprAdminConnectionHangupNotificationEx"))(&cx);
    } else {
        c0.dwConnectDuration = duration;
        c1.dwBytesXmited = bytes_out;
        c1.dwBytesRcved = bytes_in;
        if (variant == 1)
            ((rt_pfn_hangup)GET(hangup_names[1]))(&c0, &c1);
        else if (variant == 2)
            ((rt_pfn_hangup2)GET(hangup_names[2]))(&c0, &c1, &c2);
        else
            ((rt_pfn_hangup3)GET(hangup_names[3]))(&c0, &c1, &c2, &c3);
    }
    mput(m, "{\"callout\":\"%s\",\"event\":\"connection.stop\",\"connection\":\"0x%llx\","
            "\"duration_s\":%lu,\"bytes_in\":%lu,\"bytes_out\":%lu,\"user\":\"",
         hangup_names[variant],
         (unsigned long long)(uintptr_t)hconn, (unsigned long)duration, (unsigned long)bytes_in,
         (unsigned long)bytes_out);
    mhex(m, user, UNLEN + 1);
    mput(m, "\"}\n");

    addr = ipv4;
    ((rt_pfn_release_ip)GET("MprAdminReleaseIpAddress"))(user, port, &addr);
    mput(m, "{\"callout\":\"MprAdminReleaseIpAddress\",\"event\":\"ip.release\",\"port\":\"");
    mhex(m, port, wcslen(port) + 1);
    mput(m, "\",\"ipv4\":%lu}\n", (unsigned long)ipv4);

    if (id % 3 == 0) {
        IN6_ADDR a6;
        memset(&a6, 0, sizeof a6);
        a6.s6_bytes[0] = 0x20;
        a6.s6_bytes[1] = 0x01;
        a6.s6_bytes[2] = 0x0d;
        a6.s6_bytes[3] = 0xb8;
        unsigned iid = id + 1; /* an all-zero interface id means "none proposed" */
        memcpy(&a6.s6_bytes[8], &iid, sizeof iid);
        ((rt_pfn_get_ipv6)GET("MprAdminGetIpv6AddressForUser"))(user, port, &a6, &notify);
        ((rt_pfn_release_ipv6)GET("MprAdminReleaseIpv6AddressForUser"))(user, port, &a6);
        for (int k = 0; k < 2; k++) {
            mput(m, "{\"callout\":\"%s\",\"event\":\"%s\",\"port\":\"",
                 k ? "MprAdminReleaseIpv6AddressForUser" : "MprAdminGetIpv6AddressForUser",
                 k ? "ipv6.release" : "ipv6.assign");
            mhex(m, port, wcslen(port) + 1);
            mput(m, "\",\"iid\":%u}\n", iid);
        }
    }
}

typedef struct thread_arg {
    unsigned tid;
    manifest m;
} thread_arg;

static DWORD WINAPI thread_main(void *p)
{
    thread_arg *a = p;
    for (unsigned i = 0; i < sessions_per_thread; i++) {
        run_session(&a->m, a->tid, i);
        if ((i & 63) == 63)
            SwitchToThread(); /* RRAS's pace is far lower; keep the test about accounting */
    }
    return 0;
}

static void set_dword(const WCHAR *name, DWORD v)
{
    HKEY k;
    if (RegCreateKeyExW(HKEY_LOCAL_MACHINE, RT_CONFIG_KEY, 0, NULL, 0, KEY_ALL_ACCESS, NULL, &k,
                        NULL) == ERROR_SUCCESS) {
        RegSetValueExW(k, name, 0, REG_DWORD, (const BYTE *)&v, sizeof v);
        RegCloseKey(k);
    }
}

int main(int argc, char **argv)
{
    if (argc < 5) {
        fprintf(stderr, "usage: drive_pipeline DLL MANIFEST SESSIONS THREADS [options]\n");
        return 2;
    }
    unsigned sessions = (unsigned)atoi(argv[3]), threads = (unsigned)atoi(argv[4]);
    sessions_per_thread = sessions / threads;
    tu_config_file_sink(NULL, NULL); /* default: %ProgramData%\rastap */
    for (int i = 5; i < argc; i++) {
        if (!strcmp(argv[i], "--dir") && i + 2 < argc) {
            WCHAR dir[MAX_PATH];
            tu_windows_path(argv[i + 1], dir, MAX_PATH);
            tu_fresh_dir(dir);
            tu_config_file_sink(dir, argv[i + 2]); /* format: jsonl or csv */
            i += 2;
        } else if (!strcmp(argv[i], "--stop-drain-ms") && i + 1 < argc) {
            set_dword(L"StopDrainMs", (DWORD)atoi(argv[++i]));
        }
    }
    dll = tu_load_rastap(argv[1], "pipeline");
    if (!dll)
        return 1;
    rt_admin_dll_callbacks cb;
    memset(&cb, 0, sizeof cb);
    if (((rt_pfn_initialize_ex)GET("MprAdminInitializeDllEx"))(&cb) != NO_ERROR)
        return 1;
    thread_arg *args = calloc(threads, sizeof *args);
    HANDLE *h = calloc(threads, sizeof *h);
    for (unsigned t = 0; t < threads; t++) {
        args[t].tid = t;
        h[t] = CreateThread(NULL, 0, thread_main, &args[t], 0, NULL);
    }
    WaitForMultipleObjects(threads, h, TRUE, INFINITE);
    DWORD rc = cb.lpfnRasAdminTerminateDll();
    WCHAR mpath[MAX_PATH];
    tu_windows_path(argv[2], mpath, MAX_PATH);
    FILE *f = _wfopen(mpath, L"wb");
    if (!f)
        return 1;
    for (unsigned t = 0; t < threads; t++)
        fwrite(args[t].m.p, 1, args[t].m.len, f);
    fclose(f);
    tu_config_file_sink(NULL, NULL); /* leave no configuration behind */
    printf("fired %u sessions from %u threads; terminate returned %lu\n", sessions, threads,
           (unsigned long)rc);
    return rc == NO_ERROR ? 0 : 1;
}
