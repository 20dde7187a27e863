/*
 * naive_admin.c - the synchronous baseline rastap is measured against.
 *
 * What the Windows SDK's RRAS callout sample (netds/rras/callout) does, and
 * what most in-house admin DLLs do: inside every callout, format a text
 * record (sprintf of user, times, bytes) and write it to a log file under a
 * CRITICAL_SECTION, with FlushFileBuffers so the record is on disk before
 * the callout returns. Every RRAS client waits for that disk write: the
 * callouts are serialized (contract §2.5).
 *
 * Kept deliberately plain, but not broken: names are copied bounded (RAS
 * arrays may lack a terminator), and like the sample it refuses the user
 * "Administrator". Log file: %NAIVE_ADMIN_LOG%, or naive_admin.log in the
 * current directory (the sample's relative names land in System32 under
 * RRAS).
 */
#include <stdio.h>
#include <string.h>

#include "ras_contract.h"

static CRITICAL_SECTION log_lock;
static HANDLE log_file = INVALID_HANDLE_VALUE;

/* A bounded copy of a RAS string, as UTF-8. */
static void utf8(char *dst, int cap, const WCHAR *src, int max_units)
{
    int n = 0;
    while (n < max_units && src[n])
        n++;
    int k = WideCharToMultiByte(CP_UTF8, 0, src, n, dst, cap - 1, NULL, NULL);
    dst[k > 0 ? k : 0] = 0;
}

static void write_line(const char *line)
{
    DWORD wrote;
    EnterCriticalSection(&log_lock);
    if (log_file != INVALID_HANDLE_VALUE) {
        WriteFile(log_file, line, (DWORD)strlen(line), &wrote, NULL);
        FlushFileBuffers(log_file);
    }
    LeaveCriticalSection(&log_lock);
}

static int stamp(char *buf, size_t cap)
{
    SYSTEMTIME t;
    GetLocalTime(&t);
    return snprintf(buf, cap, "%04u-%02u-%02u %02u:%02u:%02u.%03u ", t.wYear, t.wMonth, t.wDay,
                    t.wHour, t.wMinute, t.wSecond, t.wMilliseconds);
}

static void log_conn(const char *what, RAS_CONNECTION_0 *c0, RAS_CONNECTION_1 *c1)
{
    char line[2048], user[800], domain[64], client[32];
    utf8(user, sizeof user, c0->wszUserName, UNLEN + 1);
    utf8(domain, sizeof domain, c0->wszLogonDomain, DNLEN + 1);
    utf8(client, sizeof client, c1->PppInfo.ip.wszRemoteAddress, IPADDRESSLEN + 1);
    int n = stamp(line, sizeof line);
    snprintf(line + n, sizeof line - (size_t)n,
             "%s handle=%p user=%s domain=%s client=%s duration=%lus bytes_in=%lu "
             "bytes_out=%lu frames_in=%lu frames_out=%lu\r\n",
             what, (void *)c0->hConnection, user, domain, client, c0->dwConnectDuration,
             c1->dwBytesRcved, c1->dwBytesXmited, c1->dwFramesRcved, c1->dwFramesXmited);
    write_line(line);
}

static void log_port(const char *what, RAS_PORT_0 *p0, RAS_PORT_1 *p1)
{
    char line[1024], port[64], device[400];
    utf8(port, sizeof port, p0->wszPortName, MAX_PORT_NAME + 1);
    utf8(device, sizeof device, p0->wszDeviceName, MAX_DEVICE_NAME + 1);
    int n = stamp(line, sizeof line);
    snprintf(line + n, sizeof line - (size_t)n,
             "%s handle=%p port=%s device=%s duration=%lus bytes_in=%lu bytes_out=%lu\r\n", what,
             (void *)p0->hConnection, port, device, p0->dwConnectDuration, p1->dwBytesRcved,
             p1->dwBytesXmited);
    write_line(line);
}

static void log_ip(const char *what, const WCHAR *user, const WCHAR *port, const char *addr)
{
    char line[1024], u[800], p[64];
    utf8(u, sizeof u, user, UNLEN + 1);
    utf8(p, sizeof p, port, MAX_PORT_NAME + 1);
    int n = stamp(line, sizeof line);
    snprintf(line + n, sizeof line - (size_t)n, "%s user=%s port=%s address=%s\r\n", what, u, p,
             addr);
    write_line(line);
}

DWORD APIENTRY naive_initialize(void)
{
    wchar_t path[MAX_PATH] = L"naive_admin.log";
    GetEnvironmentVariableW(L"NAIVE_ADMIN_LOG", path, MAX_PATH);
    InitializeCriticalSection(&log_lock);
    log_file = CreateFileW(path, FILE_APPEND_DATA, FILE_SHARE_READ, NULL, OPEN_ALWAYS,
                           FILE_ATTRIBUTE_NORMAL, NULL);
    if (log_file == INVALID_HANDLE_VALUE) {
        DWORD err = GetLastError();
        DeleteCriticalSection(&log_lock);
        return err;
    }
    write_line("naive_admin started\r\n");
    return NO_ERROR;
}

DWORD APIENTRY naive_terminate(void)
{
    write_line("naive_admin stopped\r\n");
    CloseHandle(log_file);
    log_file = INVALID_HANDLE_VALUE;
    DeleteCriticalSection(&log_lock);
    return NO_ERROR;
}

BOOL APIENTRY naive_accept2(RAS_CONNECTION_0 *c0, RAS_CONNECTION_1 *c1, RAS_CONNECTION_2 *c2)
{
    (void)c2;
    WCHAR user[UNLEN + 1];
    lstrcpynW(user, c0->wszUserName, UNLEN + 1);
    BOOL ok = lstrcmpiW(user, L"Administrator") != 0;
    log_conn(ok ? "accept" : "reject", c0, c1);
    return ok;
}

VOID APIENTRY naive_hangup2(RAS_CONNECTION_0 *c0, RAS_CONNECTION_1 *c1, RAS_CONNECTION_2 *c2)
{
    (void)c2;
    log_conn("hangup", c0, c1);
}

BOOL APIENTRY naive_reauth(RAS_CONNECTION_0 *c0, RAS_CONNECTION_1 *c1, RAS_CONNECTION_2 *c2,
                           RAS_CONNECTION_3 *c3)
{
    (void)c2;
    (void)c3;
    log_conn("reauth", c0, c1);
    return TRUE;
}

BOOL APIENTRY naive_accept_link(RAS_PORT_0 *p0, RAS_PORT_1 *p1)
{
    log_port("link-accept", p0, p1);
    return TRUE;
}

VOID APIENTRY naive_link_hangup(RAS_PORT_0 *p0, RAS_PORT_1 *p1)
{
    log_port("link-hangup", p0, p1);
}

static void v4_text(char *buf, size_t cap, DWORD a)
{
    snprintf(buf, cap, "%lu.%lu.%lu.%lu", a & 255, (a >> 8) & 255, (a >> 16) & 255, a >> 24);
}

DWORD APIENTRY naive_get_ip(WCHAR *user, WCHAR *port, DWORD *ip, BOOL *notify)
{
    char a[20];
    v4_text(a, sizeof a, *ip);
    log_ip("ip-assign", user, port, a);
    *notify = TRUE;
    return NO_ERROR;
}

VOID APIENTRY naive_release_ip(WCHAR *user, WCHAR *port, DWORD *ip)
{
    char a[20];
    v4_text(a, sizeof a, *ip);
    log_ip("ip-release", user, port, a);
}

static void v6_text(char *buf, size_t cap, const IN6_ADDR *a)
{
    const BYTE *b = a->s6_addr;
    snprintf(buf, cap, "%x:%x:%x:%x:%x:%x:%x:%x", b[0] << 8 | b[1], b[2] << 8 | b[3],
             b[4] << 8 | b[5], b[6] << 8 | b[7], b[8] << 8 | b[9], b[10] << 8 | b[11],
             b[12] << 8 | b[13], b[14] << 8 | b[15]);
}

DWORD APIENTRY naive_get_ipv6(WCHAR *user, WCHAR *port, IN6_ADDR *a, BOOL *notify)
{
    char t[48];
    v6_text(t, sizeof t, a);
    log_ip("ipv6-assign", user, port, t);
    *notify = TRUE;
    return NO_ERROR;
}

VOID APIENTRY naive_release_ipv6(WCHAR *user, WCHAR *port, IN6_ADDR *a)
{
    char t[48];
    v6_text(t, sizeof t, a);
    log_ip("ipv6-release", user, port, t);
}
