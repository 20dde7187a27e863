/*
 * fake_rastap.c - a stand-in for rastap that writes event-schema.md JSON
 * Lines synchronously, to test rrashost's audit before rastap's pipeline
 * exists, and to prove the audit catches what it must.
 *
 * Environment (read at initialisation):
 *   RRASHOST_FAKE_DIR   directory for fake-<pid>.jsonl (required)
 *   RRASHOST_FAKE_MODE  ok (default) | drop | lose | dup | alter
 *     drop:  every 97th record is not written, and an events.dropped record
 *            at Terminate accounts for them (audit passes, lost: 0)
 *     lose:  every 97th record silently missing (audit fails)
 *     dup:   every 97th record written twice (audit fails)
 *     alter: every 97th record carrying a user gets a wrong one (audit fails)
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "ras_contract.h"

enum { M_OK, M_DROP, M_LOSE, M_DUP, M_ALTER };

static CRITICAL_SECTION lock;
static HANDLE out = INVALID_HANDLE_VALUE;
static unsigned long long seq, counter, dropped;
static char instance[33];
static int mode;

typedef struct buf {
    char s[8192];
    size_t n;
} buf;

static void add(buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add(buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(b->s + b->n, sizeof b->s - b->n, fmt, ap);
    va_end(ap);
    if (k > 0)
        b->n += (size_t)k < sizeof b->s - b->n ? (size_t)k : sizeof b->s - b->n - 1;
}

/* UTF-16 (bounded, maybe unterminated) as a JSON string per the schema. */
static void add_wstr(buf *b, const char *key, const WCHAR *w, size_t max)
{
    add(b, ",\"%s\":\"", key);
    for (size_t i = 0; i < max && w[i]; i++) {
        unsigned cp = w[i];
        if (cp >= 0xD800 && cp <= 0xDBFF && i + 1 < max && w[i + 1] >= 0xDC00 &&
            w[i + 1] <= 0xDFFF)
            cp = 0x10000 + ((cp - 0xD800) << 10) + (w[++i] - 0xDC00u);
        else if (cp >= 0xD800 && cp <= 0xDFFF)
            cp = 0xFFFD;
        if (cp == '"' || cp == '\\')
            add(b, "\\%c", (char)cp);
        else if (cp < 0x20 || cp == 0x7F || cp == 0x2028 || cp == 0x2029)
            add(b, "\\u%04x", cp);
        else if (cp < 0x80)
            add(b, "%c", (char)cp);
        else if (cp < 0x800)
            add(b, "%c%c", 0xC0 | cp >> 6, 0x80 | (cp & 0x3F));
        else if (cp < 0x10000)
            add(b, "%c%c%c", 0xE0 | cp >> 12, 0x80 | ((cp >> 6) & 0x3F), 0x80 | (cp & 0x3F));
        else
            add(b, "%c%c%c%c", 0xF0 | cp >> 18, 0x80 | ((cp >> 12) & 0x3F),
                0x80 | ((cp >> 6) & 0x3F), 0x80 | (cp & 0x3F));
    }
    add(b, "\"");
}

static void head(buf *b, const char *event, const char *callout)
{
    FILETIME ft;
    SYSTEMTIME st;
    GetSystemTimePreciseAsFileTime(&ft);
    FileTimeToSystemTime(&ft, &st);
    unsigned long long t = (unsigned long long)ft.dwHighDateTime << 32 | ft.dwLowDateTime;
    b->n = 0;
    add(b, "{\"v\":1,\"seq\":%%SEQ%%,\"instance\":\"%s\",\"time\":\"%04u-%02u-%02uT%02u:%02u:"
           "%02u.%06lluZ\",\"host\":\"test\",\"pid\":%lu,\"event\":\"%s\"",
        instance, st.wYear, st.wMonth, st.wDay, st.wHour, st.wMinute, st.wSecond,
        (t / 10) % 1000000, GetCurrentProcessId(), event);
    if (callout)
        add(b, ",\"callout\":\"%s\"", callout);
}

static void emit(buf *b, bool has_user)
{
    add(b, "}\n");
    EnterCriticalSection(&lock);
    unsigned long long n = ++counter;
    bool faulty = n % 97 == 0;
    int copies = 1;
    if (faulty && (mode == M_DROP || mode == M_LOSE)) {
        dropped += mode == M_DROP;
        copies = 0;
    } else if (faulty && mode == M_DUP) {
        copies = 2;
    }
    char *mark = strstr(b->s, "%SEQ%");
    for (int c = 0; c < copies && mark; c++) {
        char line[8300];
        int k = snprintf(line, sizeof line, "%.*s%llu%s", (int)(mark - b->s), b->s, ++seq,
                         mark + 5);
        if (faulty && mode == M_ALTER && has_user) {
            char *u = strstr(line, ",\"user\":\"");
            if (u && u[9] != '"')
                u[9] = u[9] == 'Z' ? 'Y' : 'Z';
        }
        DWORD wrote;
        if (out != INVALID_HANDLE_VALUE && k > 0)
            WriteFile(out, line, (DWORD)k, &wrote, NULL);
    }
    LeaveCriticalSection(&lock);
}

static void ipv4(buf *b, const char *key, const WCHAR *w)
{
    if (w[0])
        add_wstr(b, key, w, 16);
}

static void conn(const char *event, const char *callout, RAS_CONNECTION_EX *x, int decision,
                 bool stop)
{
    buf b;
    head(&b, event, callout);
    add(&b, ",\"connection\":\"0x%llx\"", (unsigned long long)(uintptr_t)x->hConnection);
    add_wstr(&b, "user", x->wszUserName, 257);
    if (stop)
        add(&b, ",\"bytes_in\":%lu,\"bytes_out\":%lu", x->dwBytesRcved, x->dwBytesXmited);
    bool ike = x->ProjectionInfo.projectionInfoType == RT_IKEV2_PROJECTION_INFO_TYPE;
    const IKEV2_PROJECTION_INFO *k = &x->ProjectionInfo.Ikev2ProjectionInfo;
    const PPP_PROJECTION_INFO *p = &x->ProjectionInfo.PppProjectionInfo;
    ipv4(&b, "client_ipv4", ike ? k->wszRemoteAddress : p->wszRemoteAddress);
    ipv4(&b, "server_ipv4", ike ? k->wszAddress : p->wszAddress);
    DWORD plen = ike ? k->dwPrefixLength : p->dwPrefixLength;
    const BYTE *pre = ike ? k->bPrefix : p->bPrefix;
    const BYTE *iid = ike ? k->bRemoteInterfaceIdentifier : p->bRemoteInterfaceIdentifier;
    if (plen) {
        add(&b, ",\"client_ipv6\":\"");
        for (int g = 0; g < 8; g++) {
            const BYTE *src = g < 4 ? pre + 2 * g : iid + 2 * (g - 4);
            add(&b, "%s%x", g ? ":" : "", (unsigned)(src[0] << 8 | src[1]));
        }
        add(&b, "\"");
    }
    if (decision >= 0)
        add(&b, ",\"decision\":\"%s\"", decision ? "accept" : "reject");
    emit(&b, true);
}

static void link_rec(const char *event, const char *callout, RAS_PORT_0 *p0, RAS_PORT_1 *p1,
                     bool stop)
{
    buf b;
    head(&b, event, callout);
    add(&b, ",\"connection\":\"0x%llx\"", (unsigned long long)(uintptr_t)p0->hConnection);
    add_wstr(&b, "port", p0->wszPortName, 17);
    if (stop)
        add(&b, ",\"bytes_in\":%lu,\"bytes_out\":%lu", p1->dwBytesRcved, p1->dwBytesXmited);
    else
        add(&b, ",\"decision\":\"accept\"");
    emit(&b, false);
}

static void ip_rec(const char *event, const char *callout, WCHAR *user, WCHAR *port,
                   const DWORD *ip, const IN6_ADDR *a6)
{
    buf b;
    head(&b, event, callout);
    add_wstr(&b, "user", user, 257);
    add_wstr(&b, "port", port, 17);
    if (ip && *ip)
        add(&b, ",\"ipv4\":\"%lu.%lu.%lu.%lu\"", *ip & 255, (*ip >> 8) & 255, (*ip >> 16) & 255,
            *ip >> 24);
    if (a6) {
        const BYTE *x = (const BYTE *)a6 + 8;
        add(&b, ",\"ipv6_iid\":\"%x:%x:%x:%x\"", x[0] << 8 | x[1], x[2] << 8 | x[3],
            x[4] << 8 | x[5], x[6] << 8 | x[7]);
    }
    add(&b, ",\"result\":\"ok\"");
    emit(&b, true);
}

static BOOL APIENTRY accept_ex(RAS_CONNECTION_EX *x)
{
    conn("connection.accept", "MprAdminAcceptNewConnectionEx", x, 1, false);
    return TRUE;
}

static BOOL APIENTRY reauth_ex(RAS_CONNECTION_EX *x)
{
    conn("reauth", "MprAdminAcceptReauthenticationEx", x, 1, false);
    return TRUE;
}

static VOID APIENTRY hangup_ex(RAS_CONNECTION_EX *x)
{
    conn("connection.stop", "MprAdminConnectionHangupNotificationEx", x, -1, true);
}

static BOOL APIENTRY accept_link(RAS_PORT_0 *p0, RAS_PORT_1 *p1)
{
    link_rec("link.accept", "MprAdminAcceptNewLink", p0, p1, false);
    return TRUE;
}

static VOID APIENTRY link_hangup(RAS_PORT_0 *p0, RAS_PORT_1 *p1)
{
    link_rec("link.stop", "MprAdminLinkHangupNotification", p0, p1, true);
}

static DWORD APIENTRY get_ip(WCHAR *user, WCHAR *port, DWORD *ip, BOOL *notify)
{
    *notify = TRUE;
    ip_rec("ip.assign", "MprAdminGetIpAddressForUser", user, port, ip, NULL);
    return NO_ERROR;
}

static VOID APIENTRY release_ip(WCHAR *user, WCHAR *port, DWORD *ip)
{
    ip_rec("ip.release", "MprAdminReleaseIpAddress", user, port, ip, NULL);
}

static DWORD APIENTRY get_ipv6(WCHAR *user, WCHAR *port, IN6_ADDR *a, BOOL *notify)
{
    *notify = TRUE;
    ip_rec("ipv6.assign", "MprAdminGetIpv6AddressForUser", user, port, NULL, a);
    return NO_ERROR;
}

static VOID APIENTRY release_ipv6(WCHAR *user, WCHAR *port, IN6_ADDR *a)
{
    ip_rec("ipv6.release", "MprAdminReleaseIpv6AddressForUser", user, port, NULL, a);
}

static DWORD APIENTRY terminate(void)
{
    buf b;
    head(&b, "service.stop", "MprAdminTerminateDll");
    emit(&b, false);
    if (dropped) {
        head(&b, "events.dropped", NULL);
        add(&b, ",\"count\":%llu", dropped);
        emit(&b, false);
    }
    CloseHandle(out);
    out = INVALID_HANDLE_VALUE;
    DeleteCriticalSection(&lock);
    return NO_ERROR;
}

DWORD APIENTRY fake_initialize(rt_admin_dll_callbacks *cb)
{
    wchar_t dir[MAX_PATH], path[MAX_PATH + 40], m[16] = L"ok";
    if (!GetEnvironmentVariableW(L"RRASHOST_FAKE_DIR", dir, MAX_PATH))
        return ERROR_PATH_NOT_FOUND;
    GetEnvironmentVariableW(L"RRASHOST_FAKE_MODE", m, 16);
    mode = !wcscmp(m, L"drop") ? M_DROP : !wcscmp(m, L"lose") ? M_LOSE
           : !wcscmp(m, L"dup") ? M_DUP : !wcscmp(m, L"alter") ? M_ALTER : M_OK;
    CreateDirectoryW(dir, NULL);
    _snwprintf(path, MAX_PATH + 40, L"%ls\\fake-%lu.jsonl", dir, GetCurrentProcessId());
    path[MAX_PATH + 39] = 0;
    out = CreateFileW(path, FILE_APPEND_DATA, FILE_SHARE_READ | FILE_SHARE_WRITE, NULL,
                      OPEN_ALWAYS, FILE_ATTRIBUTE_NORMAL, NULL);
    if (out == INVALID_HANDLE_VALUE)
        return GetLastError();
    InitializeCriticalSection(&lock);
    seq = counter = dropped = 0;
    snprintf(instance, sizeof instance, "%08lx%08lx%016llx", GetCurrentProcessId(),
             GetTickCount(), (unsigned long long)(uintptr_t)&lock ^ 0x9e3779b97f4a7c15ull);
    buf b;
    head(&b, "service.start", "MprAdminInitializeDllEx");
    add(&b, ",\"mode\":\"ex\"");
    emit(&b, false);
    cb->revision = RT_MPRAPI_ADMIN_DLL_VERSION_2;
    cb->lpfnMprAdminGetIpAddressForUser = get_ip;
    cb->lpfnMprAdminReleaseIpAddress = release_ip;
    cb->lpfnMprAdminGetIpv6AddressForUser = get_ipv6;
    cb->lpfnMprAdminReleaseIpV6AddressForUser = release_ipv6;
    cb->lpfnRasAdminAcceptNewLink = accept_link;
    cb->lpfnRasAdminLinkHangupNotification = link_hangup;
    cb->lpfnRasAdminTerminateDll = terminate;
    cb->lpfnRasAdminAcceptNewConnectionEx = accept_ex;
    cb->lpfnRasAdminAcceptReauthenticationEx = reauth_ex;
    cb->lpfnRasAdminConnectionHangupNotificationEx = hangup_ex;
    return NO_ERROR;
}
