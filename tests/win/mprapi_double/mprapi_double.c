/*
 * mprapi_double.c - a test double of mprapi.dll that plays the RRAS side of
 * the RAS administration API for `rastapctl sessions` (contract §4).
 *
 * It checks its arguments as the documentation says the real one does
 * (NULL or foreign handles: RPC_S_INVALID_BINDING; a wrong object header,
 * NULL out-pointers or events: ERROR_INVALID_PARAMETER; levels above 3:
 * ERROR_INVALID_LEVEL) and is steered by environment variables:
 *
 *   MPRAPI_DOUBLE_LOG=FILE        append one line per call (and the number of
 *                                 buffers not yet freed at disconnect)
 *   MPRAPI_DOUBLE_CONNECT=ERR     MprAdminServerConnect fails with ERR
 *   MPRAPI_DOUBLE_ENUM=ERR        enumeration fails with ERR ...
 *   MPRAPI_DOUBLE_ENUM_AFTER=N    ... after N successful enumerations
 *   MPRAPI_DOUBLE_NO_EX=1         MprAdminConnectionEnumEx: ERROR_PROC_NOT_FOUND
 *   MPRAPI_DOUBLE_REGISTER=ERR    MprAdminRegisterConnectionNotification fails
 *   MPRAPI_DOUBLE_DEREGISTER=ERR  MprAdminDeregisterConnectionNotification fails
 *   MPRAPI_DOUBLE_SESSIONS=N      connections at the start (default 2)
 *   MPRAPI_DOUBLE_CHANGES=N       after registration, N times: 50 ms later a
 *                                 connection arrives and the event is signalled
 *   MPRAPI_DOUBLE_PAGE=N          at most N entries per call (ERROR_MORE_DATA)
 *
 * Connection i: handle 0x1000+i, user "user<i>", domain "CORP", client
 * 10.0.0.<10+i>, endpoint 203.0.113.<i+1>, IKEv2 for odd i, PPP for even i,
 * duration 60*i s, bytes in 1000*i, out 2000*i.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <winsock2.h>
#include <windows.h>
#include <mprapi.h>

#define MAX_SESSIONS 64
#define MAGIC 0x4D505241u

DWORD APIENTRY MprAdminConnectionEnumEx(HANDLE h, MPRAPI_OBJECT_HEADER *hdr, DWORD pref,
                                        LPDWORD read, LPDWORD total, RAS_CONNECTION_EX **out,
                                        LPDWORD resume);
DWORD APIENTRY MprAdminDeregisterConnectionNotification(HANDLE h, HANDLE ev);

typedef struct server {
    unsigned magic;
} server;

static server the_server = {MAGIC};
static volatile LONG sessions = -1, outstanding, enums;
static HANDLE watched_event, changer;
static volatile LONG stop_changes;

static DWORD env(const char *name, DWORD def)
{
    char v[64];
    DWORD n = GetEnvironmentVariableA(name, v, sizeof v);
    return n && n < sizeof v ? (DWORD)strtoul(v, NULL, 0) : def;
}

static void note(const char *fmt, ...) __attribute__((format(gnu_printf, 1, 2)));
static void note(const char *fmt, ...)
{
    char path[MAX_PATH], line[512];
    if (!GetEnvironmentVariableA("MPRAPI_DOUBLE_LOG", path, sizeof path))
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line - 2, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if (n > (int)sizeof line - 3)
        n = (int)sizeof line - 3;
    line[n++] = '\n';
    HANDLE f = CreateFileA(path, FILE_APPEND_DATA, FILE_SHARE_READ | FILE_SHARE_WRITE, NULL,
                           OPEN_ALWAYS, 0, NULL);
    DWORD done;
    if (f != INVALID_HANDLE_VALUE) {
        WriteFile(f, line, (DWORD)n, &done, NULL);
        CloseHandle(f);
    }
}

static LONG count(void)
{
    InterlockedCompareExchange(&sessions, (LONG)env("MPRAPI_DOUBLE_SESSIONS", 2), -1);
    return sessions;
}

static bool valid(HANDLE h)
{
    return h == (HANDLE)&the_server && the_server.magic == MAGIC;
}

/* The error steered for the next enumeration, or 0. */
static DWORD enum_error(void)
{
    DWORD e = env("MPRAPI_DOUBLE_ENUM", 0);
    LONG n = InterlockedIncrement(&enums);
    return e && (DWORD)n > env("MPRAPI_DOUBLE_ENUM_AFTER", 0) ? e : 0;
}

static void *alloc(size_t n)
{
    void *p = HeapAlloc(GetProcessHeap(), HEAP_ZERO_MEMORY, n ? n : 1);
    if (p)
        InterlockedIncrement(&outstanding);
    return p;
}

DWORD APIENTRY MprAdminBufferFree(LPVOID p)
{
    if (!p)
        return ERROR_INVALID_PARAMETER;
    InterlockedDecrement(&outstanding);
    HeapFree(GetProcessHeap(), 0, p);
    return NO_ERROR;
}

DWORD APIENTRY MprAdminServerConnect(LPWSTR name, MPR_SERVER_HANDLE *ph)
{
    note("connect %ls", name ? name : L"(local)");
    if (!ph)
        return RPC_S_INVALID_BINDING;
    DWORD e = env("MPRAPI_DOUBLE_CONNECT", 0);
    if (e)
        return e;
    *ph = &the_server;
    return NO_ERROR;
}

VOID APIENTRY MprAdminServerDisconnect(MPR_SERVER_HANDLE h)
{
    note("disconnect valid=%d outstanding=%ld", valid(h), (long)outstanding);
}

BOOL APIENTRY MprAdminIsServiceRunning(LPWSTR name)
{
    (void)name;
    return env("MPRAPI_DOUBLE_CONNECT", 0) == 0;
}

static void fill_ex(RAS_CONNECTION_EX *x, LONG i)
{
    x->Header.revision = MPRAPI_RAS_CONNECTION_OBJECT_REVISION_1;
    x->Header.type = MPRAPI_OBJECT_TYPE_RAS_CONNECTION_OBJECT;
    x->Header.size = sizeof *x;
    x->hConnection = (HANDLE)(uintptr_t)(0x1000 + i);
    x->dwConnectDuration = 60u * (DWORD)i;
    x->dwInterfaceType = ROUTER_IF_TYPE_CLIENT;
    _snwprintf(x->wszUserName, UNLEN, L"user%ld", (long)i);
    wcscpy(x->wszLogonDomain, L"CORP");
    _snwprintf(x->wszRemoteEndpointAddress, MAXIPADRESSLEN, L"203.0.113.%ld", (long)i + 1);
    x->dwBytesRcved = 1000u * (DWORD)i;
    x->dwBytesXmited = 2000u * (DWORD)i;
    x->ProjectionInfo.projectionInfoType = (UCHAR)(i & 1 ? 2 : 1);
    WCHAR *ip = i & 1 ? x->ProjectionInfo.Ikev2ProjectionInfo.wszRemoteAddress
                      : x->ProjectionInfo.PppProjectionInfo.wszRemoteAddress;
    _snwprintf(ip, IPADDRESSLEN, L"10.0.0.%ld", (long)i + 10);
}

DWORD APIENTRY MprAdminConnectionEnumEx(HANDLE h, MPRAPI_OBJECT_HEADER *hdr, DWORD pref,
                                        LPDWORD read, LPDWORD total, RAS_CONNECTION_EX **out,
                                        LPDWORD resume)
{
    (void)pref;
    note("enumex resume=%lu", resume ? (unsigned long)*resume : 0ul);
    if (env("MPRAPI_DOUBLE_NO_EX", 0))
        return ERROR_PROC_NOT_FOUND;
    if (!valid(h))
        return RPC_S_INVALID_BINDING;
    if (!hdr || hdr->revision != MPRAPI_RAS_CONNECTION_OBJECT_REVISION_1 ||
        hdr->type != MPRAPI_OBJECT_TYPE_RAS_CONNECTION_OBJECT || hdr->size != sizeof **out ||
        !read || !total || !out || !resume)
        return ERROR_INVALID_PARAMETER;
    DWORD e = enum_error();
    if (e)
        return e;
    LONG n = count(), start = (LONG)*resume, page = (LONG)env("MPRAPI_DOUBLE_PAGE", 0);
    LONG take = n - start;
    if (take < 0)
        take = 0;
    if (page > 0 && take > page)
        take = page;
    *out = alloc((size_t)take * sizeof **out);
    if (!*out)
        return ERROR_NOT_ENOUGH_MEMORY;
    for (LONG i = 0; i < take; i++)
        fill_ex(&(*out)[i], start + i);
    *read = (DWORD)take;
    *total = (DWORD)n;
    *resume = (DWORD)(start + take);
    return start + take < n ? ERROR_MORE_DATA : NO_ERROR;
}

DWORD APIENTRY MprAdminConnectionEnum(RAS_SERVER_HANDLE h, DWORD level, LPBYTE *buf, DWORD pref,
                                      LPDWORD read, LPDWORD total, LPDWORD resume)
{
    (void)pref;
    note("enum level=%lu", (unsigned long)level);
    if (!valid(h))
        return RPC_S_INVALID_BINDING;
    if (level > 3)
        return ERROR_INVALID_LEVEL;
    if (level != 3 || !buf || !read || !total)
        return ERROR_INVALID_PARAMETER; /* the double implements level 3 only */
    DWORD e = enum_error();
    if (e)
        return e;
    LONG n = count(), start = resume ? (LONG)*resume : 0;
    RAS_CONNECTION_3 *c = alloc((size_t)(n > start ? n - start : 0) * sizeof *c);
    if (!c)
        return ERROR_NOT_ENOUGH_MEMORY;
    for (LONG i = start; i < n; i++) {
        RAS_CONNECTION_3 *x = &c[i - start];
        x->dwVersion = 3;
        x->dwSize = sizeof *x;
        x->hConnection = (HANDLE)(uintptr_t)(0x1000 + i);
        _snwprintf(x->wszUserName, UNLEN, L"user%ld", (long)i);
        _snwprintf(x->PppInfo3.ip.wszRemoteAddress, IPADDRESSLEN, L"10.0.0.%ld", (long)i + 10);
    }
    *buf = (LPBYTE)c;
    *read = (DWORD)(n > start ? n - start : 0);
    *total = (DWORD)n;
    if (resume)
        *resume = (DWORD)n;
    return NO_ERROR;
}

static DWORD WINAPI changes(void *arg)
{
    HANDLE ev = arg;
    DWORD n = env("MPRAPI_DOUBLE_CHANGES", 0);
    for (DWORD i = 0; i < n && !stop_changes; i++) {
        Sleep(50);
        if (count() < MAX_SESSIONS)
            InterlockedIncrement(&sessions);
        note("signal %lu", (unsigned long)i + 1);
        SetEvent(ev);
    }
    return 0;
}

DWORD APIENTRY MprAdminRegisterConnectionNotification(MPR_SERVER_HANDLE h, HANDLE ev)
{
    note("register");
    if (!valid(h))
        return RPC_S_INVALID_BINDING;
    if (!ev || ev == INVALID_HANDLE_VALUE)
        return ERROR_INVALID_PARAMETER;
    DWORD e = env("MPRAPI_DOUBLE_REGISTER", 0);
    if (e)
        return e;
    watched_event = ev;
    stop_changes = 0;
    changer = CreateThread(NULL, 0, changes, ev, 0, NULL);
    return NO_ERROR;
}

DWORD APIENTRY MprAdminDeregisterConnectionNotification(HANDLE h, HANDLE ev)
{
    note("deregister same_event=%d", ev == watched_event);
    if (!valid(h))
        return RPC_S_INVALID_BINDING;
    if (!ev || ev != watched_event)
        return ERROR_INVALID_PARAMETER;
    stop_changes = 1;
    if (changer) {
        WaitForSingleObject(changer, 5000);
        CloseHandle(changer);
        changer = NULL;
    }
    watched_event = NULL;
    DWORD e = env("MPRAPI_DOUBLE_DEREGISTER", 0);
    return e;
}
