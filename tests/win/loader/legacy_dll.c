/*
 * legacy_dll.c - a minimal admin DLL of the legacy model (named exports).
 *
 * One source for several test DLLs: which callouts RRAS can find is decided
 * by each DLL's .def file (that is the point of most tests), how they
 * behave by compile definitions:
 *   LEGACY_INIT_FAIL=n   MprAdminInitializeDll returns n
 *   LEGACY_REJECT        every connection is refused
 * Function names are our own; the .def maps the Mpr* names to them, so the
 * MinGW prototypes in mprapi.h do not constrain the signatures.
 */
#include "ras_contract.h"

#ifndef LEGACY_INIT_FAIL
#define LEGACY_INIT_FAIL NO_ERROR
#endif
#ifdef LEGACY_REJECT
#define DECISION FALSE
#else
#define DECISION TRUE
#endif

static volatile LONG next_host = 10;

DWORD APIENTRY legacy_initialize(void)
{
    return LEGACY_INIT_FAIL;
}

DWORD APIENTRY legacy_terminate(void)
{
    return NO_ERROR;
}

BOOL APIENTRY legacy_accept1(RAS_CONNECTION_0 *c0, RAS_CONNECTION_1 *c1)
{
    return c0 && c1 ? DECISION : FALSE;
}

BOOL APIENTRY legacy_accept2(RAS_CONNECTION_0 *c0, RAS_CONNECTION_1 *c1, RAS_CONNECTION_2 *c2)
{
    return c0 && c1 && c2 ? DECISION : FALSE;
}

BOOL APIENTRY legacy_accept3(RAS_CONNECTION_0 *c0, RAS_CONNECTION_1 *c1, RAS_CONNECTION_2 *c2,
                             RAS_CONNECTION_3 *c3)
{
    return c0 && c1 && c2 && c3 && c3->dwSize == sizeof *c3 ? DECISION : FALSE;
}

VOID APIENTRY legacy_hangup1(RAS_CONNECTION_0 *c0, RAS_CONNECTION_1 *c1)
{
    (void)c0;
    (void)c1;
}

VOID APIENTRY legacy_hangup2(RAS_CONNECTION_0 *c0, RAS_CONNECTION_1 *c1, RAS_CONNECTION_2 *c2)
{
    (void)c0;
    (void)c1;
    (void)c2;
}

BOOL APIENTRY legacy_reauth(RAS_CONNECTION_0 *c0, RAS_CONNECTION_1 *c1, RAS_CONNECTION_2 *c2,
                            RAS_CONNECTION_3 *c3)
{
    return c0 && c1 && c2 && c3;
}

BOOL APIENTRY legacy_accept_link(RAS_PORT_0 *p0, RAS_PORT_1 *p1)
{
    return p0 && p1 && p0->hConnection == p1->hConnection;
}

VOID APIENTRY legacy_link_hangup(RAS_PORT_0 *p0, RAS_PORT_1 *p1)
{
    (void)p0;
    (void)p1;
}

/* Keeps RAS's proposal; invents one when RAS proposes nothing. */
DWORD APIENTRY legacy_get_ip(WCHAR *user, WCHAR *port, DWORD *ip, BOOL *notify)
{
    if (!user || !port || !ip || !notify)
        return ERROR_INVALID_PARAMETER;
    if (*ip == 0)
        *ip = 0x0000800Au | ((DWORD)(InterlockedIncrement(&next_host) & 0xFF) << 24);
    *notify = TRUE;
    return NO_ERROR;
}

VOID APIENTRY legacy_release_ip(WCHAR *user, WCHAR *port, DWORD *ip)
{
    (void)user;
    (void)port;
    (void)ip;
}
