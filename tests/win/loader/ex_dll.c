/*
 * ex_dll.c - a minimal admin DLL of the Ex model (MprAdminInitializeDllEx).
 *
 * Variants by compile definition:
 *   (none)            correct: SDK layout, revision 2, every callback
 *   EX_MINGW_LAYOUT   fills MinGW's 10-pointer MPRAPI_ADMIN_DLL_CALLBACKS by
 *                     field name: HangupEx lands in RRAS's reauth slot -> 87
 *   EX_REVISION=n     reports revision n (1: the Ex path then fails -> 87)
 *   EX_OVERRUN        writes 8 bytes past the 104-byte block
 *   EX_OVERLAP        detects overlapping connection callouts (§2.5): once
 *                     two ran at the same time, it refuses every connection
 */
#include "ras_contract.h"

#ifndef EX_REVISION
#define EX_REVISION RT_MPRAPI_ADMIN_DLL_VERSION_2
#endif

static volatile LONG in_flight;
static volatile LONG overlapped;

/* Entered/left by every connection-group callout. With RRAS's serialization
 * in_flight never exceeds 1; the spin widens the window so that, without
 * it, overlap is seen quickly. */
static void group_enter(void)
{
    if (InterlockedIncrement(&in_flight) > 1)
        InterlockedExchange(&overlapped, 1);
#ifdef EX_OVERLAP
    LARGE_INTEGER f, a, b;
    QueryPerformanceFrequency(&f);
    QueryPerformanceCounter(&a);
    do {
        YieldProcessor();
        QueryPerformanceCounter(&b);
    } while ((b.QuadPart - a.QuadPart) * 1000000 / f.QuadPart < 50);
#endif
}

static void group_leave(void)
{
    InterlockedDecrement(&in_flight);
}

static BOOL APIENTRY ex_accept(RAS_CONNECTION_EX *x)
{
    group_enter();
    BOOL ok = x && x->Header.size == sizeof *x && x->Header.type == 1;
    group_leave();
#ifdef EX_OVERLAP
    if (overlapped)
        ok = FALSE;
#endif
    return ok;
}

static VOID APIENTRY ex_hangup(RAS_CONNECTION_EX *x)
{
    (void)x;
    group_enter();
    group_leave();
}

static BOOL APIENTRY ex_reauth(RAS_CONNECTION_EX *x)
{
    return x != NULL;
}

static BOOL APIENTRY ex_accept_link(RAS_PORT_0 *p0, RAS_PORT_1 *p1)
{
    return p0 && p1;
}

static VOID APIENTRY ex_link_hangup(RAS_PORT_0 *p0, RAS_PORT_1 *p1)
{
    (void)p0;
    (void)p1;
}

static DWORD APIENTRY ex_terminate(void)
{
    return NO_ERROR;
}

static DWORD APIENTRY ex_get_ip(WCHAR *user, WCHAR *port, DWORD *ip, BOOL *notify)
{
    if (!user || !port || !ip || !notify)
        return ERROR_INVALID_PARAMETER;
    if (*ip == 0)
        *ip = 0x0A00800Au; /* 10.128.0.10 */
    *notify = TRUE;
    return NO_ERROR;
}

static VOID APIENTRY ex_release_ip(WCHAR *user, WCHAR *port, DWORD *ip)
{
    (void)user;
    (void)port;
    (void)ip;
}

static DWORD APIENTRY ex_get_ipv6(WCHAR *user, WCHAR *port, IN6_ADDR *a, BOOL *notify)
{
    if (!user || !port || !a || !notify)
        return ERROR_INVALID_PARAMETER;
    *notify = TRUE;
    return NO_ERROR;
}

static VOID APIENTRY ex_release_ipv6(WCHAR *user, WCHAR *port, IN6_ADDR *a)
{
    (void)user;
    (void)port;
    (void)a;
}

#ifdef EX_MINGW_LAYOUT
/* The bug the contract warns about (§2.3, §6 item 1): correct-looking code
 * against MinGW's struct, which is 2 pointers short. */
DWORD APIENTRY ex_initialize(MPRAPI_ADMIN_DLL_CALLBACKS *cb)
{
    cb->revision = 2;
    cb->lpfnMprAdminGetIpAddressForUser = ex_get_ip;
    cb->lpfnMprAdminReleaseIpAddress = ex_release_ip;
    cb->lpfnMprAdminGetIpv6AddressForUser = ex_get_ipv6;
    cb->lpfnMprAdminReleaseIpV6AddressForUser = ex_release_ipv6;
    cb->lpfnRasAdminAcceptNewLink = ex_accept_link;
    cb->lpfnRasAdminLinkHangupNotification = ex_link_hangup;
    cb->lpfnRasAdminTerminateDll = ex_terminate;
    cb->lpfnRasAdminAcceptNewConnectionEx = ex_accept;
    cb->lpfnRasAdminAcceptReauthenticationEx = ex_reauth;
    cb->lpfnRasAdminConnectionHangupNotificationEx = ex_hangup;
    return NO_ERROR;
}
#else
DWORD APIENTRY ex_initialize(rt_admin_dll_callbacks *cb)
{
    if (!cb)
        return ERROR_INVALID_PARAMETER;
    cb->revision = EX_REVISION;
    cb->lpfnMprAdminGetIpAddressForUser = ex_get_ip;
    cb->lpfnMprAdminReleaseIpAddress = ex_release_ip;
    cb->lpfnMprAdminGetIpv6AddressForUser = ex_get_ipv6;
    cb->lpfnMprAdminReleaseIpV6AddressForUser = ex_release_ipv6;
    cb->lpfnRasAdminAcceptNewLink = ex_accept_link;
    cb->lpfnRasAdminLinkHangupNotification = ex_link_hangup;
    cb->lpfnRasAdminTerminateDll = ex_terminate;
    cb->lpfnRasAdminAcceptNewConnectionEx = ex_accept;
    cb->lpfnRasAdminAcceptReauthenticationEx = ex_reauth;
    cb->lpfnRasAdminConnectionHangupNotificationEx = ex_hangup;
#ifdef EX_OVERRUN
    /* a "bigger" struct of its own: one pointer more than the SDK's */
    ((void **)cb)[sizeof *cb / sizeof(void *)] = (void *)ex_reauth;
#endif
    return NO_ERROR;
}
#endif
