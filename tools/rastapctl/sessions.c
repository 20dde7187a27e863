/*
 * sessions.c - `sessions [--watch]`: the connections RRAS has now, read
 * out of process through the RAS administration API (contract §4).
 *
 * mprapi.dll is loaded at run time (LOAD_LIBRARY_SEARCH_SYSTEM32, so a
 * planted mprapi.dll beside rastapctl.exe is never used) and every entry
 * point is looked up with GetProcAddress: MinGW's import library lacks
 * MprAdminConnectionEnumEx, and rastapctl should start even where RRAS's
 * client side is missing. --mprapi PATH loads another implementation, for
 * the tests (tests/win/mprapi_double) and for diagnosis.
 *
 * Enumeration uses MprAdminConnectionEnumEx (RAS_CONNECTION_EX: user,
 * addresses, tunnel, counters) and falls back to MprAdminConnectionEnum
 * level 3 when the Ex call is missing or refused as unsupported. --watch
 * registers an auto-reset event with MprAdminRegisterConnectionNotification
 * and enumerates again whenever it is signalled; Ctrl+C, --count or an
 * error ends it with MprAdminDeregisterConnectionNotification and
 * MprAdminServerDisconnect.
 */
#include "ctl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mprapi.h>

#ifndef ERROR_DDM_NOT_RUNNING
#define ERROR_DDM_NOT_RUNNING 903
#endif

typedef DWORD(WINAPI *pfn_connect)(LPWSTR, HANDLE *);
typedef VOID(WINAPI *pfn_disconnect)(HANDLE);
typedef DWORD(WINAPI *pfn_enum)(HANDLE, DWORD, LPBYTE *, DWORD, LPDWORD, LPDWORD, LPDWORD);
typedef DWORD(WINAPI *pfn_enum_ex)(HANDLE, MPRAPI_OBJECT_HEADER *, DWORD, LPDWORD, LPDWORD,
                                   RAS_CONNECTION_EX **, LPDWORD);
typedef DWORD(WINAPI *pfn_free)(LPVOID);
typedef DWORD(WINAPI *pfn_notify)(HANDLE, HANDLE);

typedef struct api {
    pfn_connect connect;
    pfn_disconnect disconnect;
    pfn_enum enum_l;
    pfn_enum_ex enum_ex;
    pfn_free buffer_free;
    pfn_notify reg, dereg;
} api;

typedef struct opts {
    const WCHAR *server;
    const WCHAR *mprapi;
    bool watch, json;
    unsigned long count;
} opts;

static HANDLE stop_event;

static BOOL WINAPI on_ctrl(DWORD type)
{
    (void)type;
    SetEvent(stop_event);
    return TRUE;
}

/* An exit code and a clear message for an error of an MprAdmin* call. */
static int report(const char *call, DWORD e, const opts *o)
{
    const char *srv = o->server ? u8(o->server) : "this computer";
    switch (e) {
    case ERROR_ACCESS_DENIED:
        err("rastapctl: %s: access denied by %s. Run rastapctl from an elevated prompt,\n"
            "as a member of the Administrators group of the RRAS server.\n",
            call, srv);
        return RC_ACCESS;
    case ERROR_DDM_NOT_RUNNING:
        err("rastapctl: %s: the Routing and Remote Access service is not running on %s\n"
            "(or runs as a LAN router only, without remote access) (error 903).\n"
            "Start it with: Start-Service RemoteAccess\n",
            call, srv);
        return RC_UNAVAILABLE;
    case ERROR_INVALID_PARAMETER:
        err("rastapctl: %s rejected its parameters (ERROR_INVALID_PARAMETER, 87); the\n"
            "mprapi.dll of %s may not support this request.\n",
            call, srv);
        return RC_FAILED;
    case RPC_S_SERVER_UNAVAILABLE:
        err("rastapctl: %s: cannot reach %s over RPC (the RPC server is unavailable, 1722).\n"
            "Check the name, the network path and the firewall (SMB, named pipe \\PIPE\\ROUTER).\n",
            call, srv);
        return RC_UNAVAILABLE;
    case RPC_S_UNKNOWN_IF:
        err("rastapctl: %s: %s does not offer the RRAS administration interface (1717):\n"
            "the RemoteAccess service is not running there. Start-Service RemoteAccess\n",
            call, srv);
        return RC_UNAVAILABLE;
    case RPC_S_INVALID_BINDING:
        err("rastapctl: %s: invalid RPC binding to %s (1702): the connection to the\n"
            "server was lost or never made.\n",
            call, srv);
        return RC_UNAVAILABLE;
    default:
        break;
    }
    if (e >= 1700 && e <= 1830) { /* the RPC_S_* / RPC_X_* / EPT_S_* range */
        err("rastapctl: %s: RPC to %s failed: %s (error %lu). The RemoteAccess service may\n"
            "have stopped or the network path failed.\n",
            call, srv, win32_text(e), (unsigned long)e);
        return RC_UNAVAILABLE;
    }
    err("rastapctl: %s failed on %s: %s (error %lu)\n", call, srv, win32_text(e),
        (unsigned long)e);
    return RC_FAILED;
}

/* ------------------------------------------------------------- output */

typedef struct row {
    uint64_t handle;
    const char *user, *domain, *interface_name, *remote_computer;
    const char *client_ipv4, *endpoint, *tunnel;
    DWORD duration, bytes_in, bytes_out;
    bool has_counters;
} row;

static void print_row(json *j, const row *r)
{
    if (j) {
        json_obj(j, NULL);
        char h[24];
        snprintf(h, sizeof h, "0x%llx", (unsigned long long)r->handle);
        json_str(j, "connection", h);
#define OPT(k, v)                                                                                 \
    if ((v) && *(v))                                                                              \
    json_str(j, k, v)
        OPT("user", r->user);
        OPT("domain", r->domain);
        OPT("interface", r->interface_name);
        OPT("remote_computer", r->remote_computer);
        OPT("client_ipv4", r->client_ipv4);
        OPT("endpoint_remote", r->endpoint);
        OPT("tunnel", r->tunnel);
#undef OPT
        if (r->has_counters) {
            json_u64(j, "duration_s", r->duration);
            json_u64(j, "bytes_in", r->bytes_in);
            json_u64(j, "bytes_out", r->bytes_out);
        }
        json_end(j);
        return;
    }
    out("  0x%-8llx %s%s%s", (unsigned long long)r->handle, r->domain && *r->domain ? r->domain : "",
        r->domain && *r->domain ? "\\" : "", r->user && *r->user ? r->user : "(no user)");
    if (r->client_ipv4 && *r->client_ipv4)
        out("  client %s", r->client_ipv4);
    if (r->tunnel)
        out("  %s", r->tunnel);
    if (r->endpoint && *r->endpoint)
        out("  from %s", r->endpoint);
    if (r->has_counters)
        out("  %lu:%02lu:%02lu  in %lu B  out %lu B", (unsigned long)r->duration / 3600,
            (unsigned long)r->duration / 60 % 60, (unsigned long)r->duration % 60,
            (unsigned long)r->bytes_in, (unsigned long)r->bytes_out);
    out("\n");
}

static void row_ex(json *j, const RAS_CONNECTION_EX *x)
{
    row r = {0};
    r.handle = (uint64_t)(uintptr_t)x->hConnection;
    r.user = u8n(x->wszUserName, sizeof x->wszUserName / sizeof(WCHAR));
    r.domain = u8n(x->wszLogonDomain, sizeof x->wszLogonDomain / sizeof(WCHAR));
    r.interface_name = u8n(x->wszInterfaceName, sizeof x->wszInterfaceName / sizeof(WCHAR));
    r.remote_computer = u8n(x->wszRemoteComputer, sizeof x->wszRemoteComputer / sizeof(WCHAR));
    r.endpoint = u8n(x->wszRemoteEndpointAddress,
                     sizeof x->wszRemoteEndpointAddress / sizeof(WCHAR));
    if (x->ProjectionInfo.projectionInfoType == 2) {
        r.tunnel = "ikev2";
        r.client_ipv4 = u8n(x->ProjectionInfo.Ikev2ProjectionInfo.wszRemoteAddress, 16);
    } else if (x->ProjectionInfo.projectionInfoType == 1) {
        r.tunnel = "ppp";
        r.client_ipv4 = u8n(x->ProjectionInfo.PppProjectionInfo.wszRemoteAddress, 16);
    }
    r.duration = x->dwConnectDuration;
    r.bytes_in = x->dwBytesRcved;
    r.bytes_out = x->dwBytesXmited;
    r.has_counters = true;
    print_row(j, &r);
}

static void row_3(json *j, const RAS_CONNECTION_3 *c)
{
    row r = {0};
    r.handle = (uint64_t)(uintptr_t)c->hConnection;
    r.user = u8n(c->wszUserName, sizeof c->wszUserName / sizeof(WCHAR));
    r.client_ipv4 = u8n(c->PppInfo3.ip.wszRemoteAddress, 16);
    print_row(j, &r);
}

/* ------------------------------------------------------------- enumerate */

static bool unsupported(DWORD e)
{
    return e == ERROR_PROC_NOT_FOUND || e == ERROR_NOT_SUPPORTED || e == ERROR_INVALID_LEVEL ||
           e == RPC_S_PROCNUM_OUT_OF_RANGE || e == ERROR_CALL_NOT_IMPLEMENTED;
}

/* Enumerates with the Ex call; *fallback set when the server lacks it. */
static DWORD enum_ex(const api *a, HANDLE h, json *j, unsigned *count, bool *fallback)
{
    MPRAPI_OBJECT_HEADER hdr = {MPRAPI_RAS_CONNECTION_OBJECT_REVISION_1,
                                MPRAPI_OBJECT_TYPE_RAS_CONNECTION_OBJECT,
                                (USHORT)sizeof(RAS_CONNECTION_EX)};
    DWORD resume = 0, e;
    do {
        RAS_CONNECTION_EX *buf = NULL;
        DWORD got = 0, total = 0;
        e = a->enum_ex(h, &hdr, (DWORD)-1, &got, &total, &buf, &resume);
        if (e != NO_ERROR && e != ERROR_MORE_DATA) {
            if (buf)
                a->buffer_free(buf);
            *fallback = *count == 0 && unsupported(e);
            return e;
        }
        for (DWORD i = 0; buf && i < got; i++, (*count)++)
            row_ex(j, &buf[i]);
        if (buf)
            a->buffer_free(buf);
    } while (e == ERROR_MORE_DATA);
    return NO_ERROR;
}

static DWORD enum_3(const api *a, HANDLE h, json *j, unsigned *count)
{
    DWORD resume = 0, e;
    do {
        BYTE *buf = NULL;
        DWORD got = 0, total = 0;
        e = a->enum_l(h, 3, &buf, (DWORD)-1, &got, &total, &resume);
        if (e != NO_ERROR && e != ERROR_MORE_DATA) {
            if (buf)
                a->buffer_free(buf);
            return e;
        }
        for (DWORD i = 0; buf && i < got; i++, (*count)++)
            row_3(j, &((RAS_CONNECTION_3 *)(void *)buf)[i]);
        if (buf)
            a->buffer_free(buf);
    } while (e == ERROR_MORE_DATA);
    return NO_ERROR;
}

/* One listing; returns an exit code (RC_OK or the error's). */
static int list(const api *a, HANDLE h, const opts *o, unsigned refresh)
{
    json *j = o->json ? json_new() : NULL;
    unsigned count = 0;
    bool fallback = !a->enum_ex;
    const char *call = "MprAdminConnectionEnumEx", *level = "RAS_CONNECTION_EX";
    if (j) {
        json_obj(j, NULL);
        json_str(j, "server", o->server ? u8(o->server) : NULL);
        json_u64(j, "refresh", refresh);
        json_str(j, "time", rfc3339(now_us()));
        json_arr(j, "connections");
    }
    DWORD e = a->enum_ex ? enum_ex(a, h, j, &count, &fallback) : NO_ERROR;
    if (fallback) {
        call = "MprAdminConnectionEnum";
        level = "RAS_CONNECTION_3";
        e = enum_3(a, h, j, &count);
    }
    if (j) {
        json_end(j);
        json_str(j, "level", level);
        json_u64(j, "count", count);
        json_end(j);
        if (e == NO_ERROR)
            json_print(j);
        else
            json_free(j);
    }
    if (e != NO_ERROR)
        return report(call, e, o);
    if (!o->json)
        out("%u connection%s on %s (%s)%s\n", count, count == 1 ? "" : "s",
            o->server ? u8(o->server) : "this computer", level,
            o->watch ? "; waiting for changes (Ctrl+C ends)" : "");
    return RC_OK;
}

/* ------------------------------------------------------------- command */

static void sessions_help(void)
{
    out("usage: rastapctl sessions [--server NAME] [--watch [--count N]] [--json]\n"
        "                          [--mprapi PATH]\n\n"
        "Lists the connections RRAS has now, through the RAS administration API\n"
        "(MprAdminServerConnect, MprAdminConnectionEnumEx or, where it is missing,\n"
        "MprAdminConnectionEnum level 3). --watch lists them again whenever RRAS signals\n"
        "a connect or disconnect, until Ctrl+C (or N listings with --count). --json\n"
        "prints one JSON object per listing (JSON Lines). --mprapi loads that DLL instead\n"
        "of System32's mprapi.dll (tests, diagnosis). Needs administrator rights on the\n"
        "RRAS server.\n\n"
        "Exit codes: 0 listed; 2 usage; 3 access denied; 4 RRAS not running or not\n"
        "reachable (903, RPC errors); 5 other failure.\n");
}

static int parse(int argc, WCHAR **argv, opts *o)
{
    memset(o, 0, sizeof *o);
    for (int i = 1; i < argc; i++) {
        if (is_help(argv[i])) {
            sessions_help();
            return -1;
        } else if (is_opt(argv[i], L"--watch")) {
            o->watch = true;
        } else if (is_opt(argv[i], L"--json")) {
            o->json = true;
        } else if (is_opt(argv[i], L"--server") && i + 1 < argc) {
            o->server = argv[++i];
        } else if (is_opt(argv[i], L"--mprapi") && i + 1 < argc) {
            o->mprapi = argv[++i];
        } else if (is_opt(argv[i], L"--count") && i + 1 < argc) {
            WCHAR *end;
            o->count = wcstoul(argv[++i], &end, 10);
            if (*end || !o->count) {
                err("rastapctl sessions: --count takes a positive number\n");
                return RC_USAGE;
            }
        } else {
            err("rastapctl sessions: unexpected argument \"%s\" (see --help)\n", u8(argv[i]));
            return RC_USAGE;
        }
    }
    return RC_OK;
}

static int load(const opts *o, api *a, HMODULE *m)
{
    *m = o->mprapi ? LoadLibraryExW(o->mprapi, NULL, LOAD_WITH_ALTERED_SEARCH_PATH)
                   : LoadLibraryExW(L"mprapi.dll", NULL, LOAD_LIBRARY_SEARCH_SYSTEM32);
    if (!*m) {
        DWORD e = GetLastError();
        err("rastapctl: cannot load %s: %s (error %lu)\n",
            o->mprapi ? u8(o->mprapi) : "mprapi.dll", win32_text(e), (unsigned long)e);
        return RC_FAILED;
    }
    a->connect = (pfn_connect)(void *)GetProcAddress(*m, "MprAdminServerConnect");
    a->disconnect = (pfn_disconnect)(void *)GetProcAddress(*m, "MprAdminServerDisconnect");
    a->enum_l = (pfn_enum)(void *)GetProcAddress(*m, "MprAdminConnectionEnum");
    a->enum_ex = (pfn_enum_ex)(void *)GetProcAddress(*m, "MprAdminConnectionEnumEx");
    a->buffer_free = (pfn_free)(void *)GetProcAddress(*m, "MprAdminBufferFree");
    a->reg = (pfn_notify)(void *)GetProcAddress(*m, "MprAdminRegisterConnectionNotification");
    a->dereg = (pfn_notify)(void *)GetProcAddress(*m, "MprAdminDeregisterConnectionNotification");
    if (!a->connect || !a->disconnect || !a->enum_l || !a->buffer_free ||
        (o->watch && (!a->reg || !a->dereg))) {
        err("rastapctl: %s lacks the RAS administration functions this command needs\n",
            o->mprapi ? u8(o->mprapi) : "mprapi.dll");
        return RC_FAILED;
    }
    return RC_OK;
}

/* Lists until stop, --count, or an error; returns the exit code. */
static int watch_loop(const api *a, HANDLE h, HANDLE ev, const opts *o)
{
    for (unsigned refresh = 1;; refresh++) {
        if (!o->json && refresh > 1)
            out("--- change %u at %s\n", refresh - 1, rfc3339(now_us()));
        int rc = list(a, h, o, refresh);
        if (rc != RC_OK || (o->count && refresh >= o->count))
            return rc;
        HANDLE hs[2] = {stop_event, ev};
        DWORD w = WaitForMultipleObjects(2, hs, FALSE, INFINITE);
        if (w != WAIT_OBJECT_0 + 1)
            return RC_OK; /* Ctrl+C */
    }
}

int cmd_sessions(int argc, WCHAR **argv)
{
    opts o;
    api a = {0};
    HMODULE m;
    int rc = parse(argc, argv, &o);
    if (rc)
        return rc < 0 ? RC_OK : rc;
    if ((rc = load(&o, &a, &m)) != RC_OK)
        return rc;
    HANDLE h = NULL;
    DWORD e = a.connect((LPWSTR)o.server, &h);
    if (e != NO_ERROR) {
        rc = report("MprAdminServerConnect", e, &o);
        FreeLibrary(m);
        return rc;
    }
    if (!o.watch) {
        rc = list(&a, h, &o, 1);
    } else {
        HANDLE ev = CreateEventW(NULL, FALSE, FALSE, NULL);
        stop_event = CreateEventW(NULL, TRUE, FALSE, NULL);
        if (!ev || !stop_event) {
            rc = RC_FAILED;
        } else if ((e = a.reg(h, ev)) != NO_ERROR) {
            rc = report("MprAdminRegisterConnectionNotification", e, &o);
        } else {
            SetConsoleCtrlHandler(on_ctrl, TRUE);
            rc = watch_loop(&a, h, ev, &o);
            e = a.dereg(h, ev);
            if (e != NO_ERROR) {
                int rc2 = report("MprAdminDeregisterConnectionNotification", e, &o);
                if (rc == RC_OK)
                    rc = rc2;
            }
            SetConsoleCtrlHandler(on_ctrl, FALSE);
        }
        if (ev)
            CloseHandle(ev);
    }
    a.disconnect(h);
    FreeLibrary(m);
    return rc;
}
