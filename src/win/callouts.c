/*
 * callouts.c - the 19 functions RRAS calls (def/rastap.def).
 *
 * The one design rule: a callout never blocks. Each one stamps the time,
 * copies what the record needs into a ring slot and returns. No heap, no
 * lock, no I/O, no RAS admin API (that deadlocks inside a callout). When
 * the ring is full the loss is counted by the ring and reported by the
 * worker as an events.dropped record.
 *
 * Accept* return TRUE (the accounting DLL does not take decisions yet).
 * The address callouts hand their arguments to ipassign_win.c, which
 * decides from the configuration snapshot in force (docs/addresses.md):
 * keep RAS's proposal (off, observe) or assign a static or pooled address;
 * the record gets the decision either way, and the decision is made even
 * when the ring is full.
 */
#include <string.h>

#include "capture.h"
#include "config.h"
#include "error.h"
#include "ipassign_win.h"
#include "runtime.h"

/* Not declared by MinGW's mprapi.h (contract §3.10 #3). */
BOOL APIENTRY MprAdminAcceptNewConnectionEx(RAS_CONNECTION_EX *x);
BOOL APIENTRY MprAdminAcceptReauthenticationEx(RAS_CONNECTION_EX *x);
VOID APIENTRY MprAdminConnectionHangupNotificationEx(RAS_CONNECTION_EX *x);

/* The address snapshot in force: NULL before the first configuration
 * (observe). One acquire load; valid until the callout returns (config.h). */
static const rt_ip_snapshot *ip_snapshot(void)
{
    const rt_config *cfg = rt_config_current();
    return cfg ? cfg->ip : NULL;
}

/* Accept records carry identity and addresses, not counters. */
static void finish_accept(rt_event *ev)
{
    ev->has &= ~(uint32_t)(RT_HAS_COUNTERS | RT_HAS_ERRORS | RT_HAS_DURATION);
    ev->has |= RT_HAS_DECISION;
    ev->decision = 1;
    rt_event_end(ev);
}

/* ------------------------------------------------------------ lifecycle */

DWORD APIENTRY MprAdminInitializeDll(VOID)
{
    return rt_runtime_start(false);
}

static VOID APIENTRY release_ipv6_callback(WCHAR *user, WCHAR *port, IN6_ADDR *addr)
{
    (void)MprAdminReleaseIpv6AddressForUser(user, port, addr);
}

/* MinGW declares the parameter with its own, too short, struct; RAS passes
 * the SDK's 104-byte block, which is what we fill (ras_contract.h). */
DWORD APIENTRY MprAdminInitializeDllEx(MPRAPI_ADMIN_DLL_CALLBACKS *callbacks)
{
    rt_admin_dll_callbacks *cb = (rt_admin_dll_callbacks *)(void *)callbacks;
    if (!cb)
        return ERROR_INVALID_PARAMETER;
    DWORD err = rt_runtime_start(true);
    if (err != NO_ERROR)
        return err;
    cb->revision = RT_MPRAPI_ADMIN_DLL_VERSION_2;
    /* Mode off: leave the pair out (both or neither), so RRAS's own
     * assignment or another DLL keeps the job (docs/addresses.md). Read
     * once: off <-> on takes effect at the next RRAS start. */
    const rt_ip_snapshot *ip = ip_snapshot();
    bool v4 = rt_ipassign_win_registers(ip, RT_IP_V4);
    bool v6 = rt_ipassign_win_registers(ip, RT_IP_V6);
    cb->lpfnMprAdminGetIpAddressForUser = v4 ? MprAdminGetIpAddressForUser : NULL;
    cb->lpfnMprAdminReleaseIpAddress = v4 ? MprAdminReleaseIpAddress : NULL;
    cb->lpfnMprAdminGetIpv6AddressForUser = v6 ? MprAdminGetIpv6AddressForUser : NULL;
    cb->lpfnMprAdminReleaseIpV6AddressForUser = v6 ? release_ipv6_callback : NULL;
    cb->lpfnRasAdminAcceptNewLink = MprAdminAcceptNewLink;
    cb->lpfnRasAdminLinkHangupNotification = MprAdminLinkHangupNotification;
    cb->lpfnRasAdminTerminateDll = MprAdminTerminateDll;
    cb->lpfnRasAdminAcceptNewConnectionEx = MprAdminAcceptNewConnectionEx;
    cb->lpfnRasAdminAcceptEndpointChangeEx = NULL;          /* undocumented */
    cb->lpfnRasAdminAcceptReauthenticationEx = MprAdminAcceptReauthenticationEx;
    cb->lpfnRasAdminConnectionHangupNotificationEx = MprAdminConnectionHangupNotificationEx;
    cb->lpfnRASValidatePreAuthenticatedConnectionEx = NULL; /* undocumented */
    return NO_ERROR;
}

DWORD APIENTRY MprAdminTerminateDll(VOID)
{
    rt_runtime_stop();
    return NO_ERROR;
}

/* ---------------------------------------------------------- connections */

BOOL APIENTRY MprAdminAcceptNewConnection(RAS_CONNECTION_0 *c0, RAS_CONNECTION_1 *c1)
{
    rt_event *ev = rt_event_begin(RT_EV_CONN_ACCEPT, RT_CO_ACCEPT_NEW_CONNECTION);
    if (ev) {
        rt_capture_conn0(ev, c0);
        rt_capture_conn1(ev, c1);
        finish_accept(ev);
    }
    return TRUE;
}

BOOL APIENTRY MprAdminAcceptNewConnection2(RAS_CONNECTION_0 *c0, RAS_CONNECTION_1 *c1,
                                           RAS_CONNECTION_2 *c2)
{
    rt_event *ev = rt_event_begin(RT_EV_CONN_ACCEPT, RT_CO_ACCEPT_NEW_CONNECTION2);
    if (ev) {
        rt_capture_conn0(ev, c0);
        rt_capture_conn1(ev, c1);
        rt_capture_conn2(ev, c2);
        finish_accept(ev);
    }
    return TRUE;
}

BOOL CALLBACK MprAdminAcceptNewConnection3(RAS_CONNECTION_0 *c0, RAS_CONNECTION_1 *c1,
                                           RAS_CONNECTION_2 *c2, RAS_CONNECTION_3 *c3)
{
    rt_event *ev = rt_event_begin(RT_EV_CONN_ACCEPT, RT_CO_ACCEPT_NEW_CONNECTION3);
    if (ev) {
        rt_capture_conn0(ev, c0);
        rt_capture_conn1(ev, c1);
        rt_capture_conn2(ev, c2);
        rt_capture_conn3(ev, c3);
        finish_accept(ev);
    }
    return TRUE;
}

BOOL APIENTRY MprAdminAcceptNewConnectionEx(RAS_CONNECTION_EX *x)
{
    rt_event *ev = rt_event_begin(RT_EV_CONN_ACCEPT, RT_CO_ACCEPT_NEW_CONNECTION_EX);
    if (ev) {
        rt_capture_conn_ex(ev, x);
        finish_accept(ev);
    }
    return TRUE;
}

BOOL CALLBACK MprAdminAcceptReauthentication(RAS_CONNECTION_0 *c0, RAS_CONNECTION_1 *c1,
                                             RAS_CONNECTION_2 *c2, RAS_CONNECTION_3 *c3)
{
    rt_event *ev = rt_event_begin(RT_EV_REAUTH, RT_CO_ACCEPT_REAUTHENTICATION);
    if (ev) {
        rt_capture_conn0(ev, c0);
        rt_capture_conn1(ev, c1);
        rt_capture_conn2(ev, c2);
        rt_capture_conn3(ev, c3);
        finish_accept(ev);
    }
    return TRUE;
}

BOOL APIENTRY MprAdminAcceptReauthenticationEx(RAS_CONNECTION_EX *x)
{
    rt_event *ev = rt_event_begin(RT_EV_REAUTH, RT_CO_ACCEPT_REAUTHENTICATION_EX);
    if (ev) {
        rt_capture_conn_ex(ev, x);
        finish_accept(ev);
    }
    return TRUE;
}

VOID APIENTRY MprAdminConnectionHangupNotification(RAS_CONNECTION_0 *c0, RAS_CONNECTION_1 *c1)
{
    rt_event *ev = rt_event_begin(RT_EV_CONN_STOP, RT_CO_CONNECTION_HANGUP);
    if (ev) {
        rt_capture_conn0(ev, c0);
        rt_capture_conn1(ev, c1);
        rt_event_end(ev);
    }
}

VOID APIENTRY MprAdminConnectionHangupNotification2(RAS_CONNECTION_0 *c0, RAS_CONNECTION_1 *c1,
                                                    RAS_CONNECTION_2 *c2)
{
    rt_event *ev = rt_event_begin(RT_EV_CONN_STOP, RT_CO_CONNECTION_HANGUP2);
    if (ev) {
        rt_capture_conn0(ev, c0);
        rt_capture_conn1(ev, c1);
        rt_capture_conn2(ev, c2);
        rt_event_end(ev);
    }
}

void CALLBACK MprAdminConnectionHangupNotification3(RAS_CONNECTION_0 *c0, RAS_CONNECTION_1 *c1,
                                                    RAS_CONNECTION_2 *c2, RAS_CONNECTION_3 *c3)
{
    rt_event *ev = rt_event_begin(RT_EV_CONN_STOP, RT_CO_CONNECTION_HANGUP3);
    if (ev) {
        rt_capture_conn0(ev, c0);
        rt_capture_conn1(ev, c1);
        rt_capture_conn2(ev, c2);
        rt_capture_conn3(ev, c3);
        rt_event_end(ev);
    }
}

VOID APIENTRY MprAdminConnectionHangupNotificationEx(RAS_CONNECTION_EX *x)
{
    rt_event *ev = rt_event_begin(RT_EV_CONN_STOP, RT_CO_CONNECTION_HANGUP_EX);
    if (ev) {
        rt_capture_conn_ex(ev, x);
        rt_event_end(ev);
    }
}

/* ---------------------------------------------------------------- links */

BOOL APIENTRY MprAdminAcceptNewLink(RAS_PORT_0 *p0, RAS_PORT_1 *p1)
{
    rt_event *ev = rt_event_begin(RT_EV_LINK_ACCEPT, RT_CO_ACCEPT_NEW_LINK);
    if (ev) {
        rt_capture_port(ev, p0, p1);
        finish_accept(ev);
    }
    return TRUE;
}

VOID APIENTRY MprAdminLinkHangupNotification(RAS_PORT_0 *p0, RAS_PORT_1 *p1)
{
    rt_event *ev = rt_event_begin(RT_EV_LINK_STOP, RT_CO_LINK_HANGUP);
    if (ev) {
        rt_capture_port(ev, p0, p1);
        rt_event_end(ev);
    }
}

/* ------------------------------------------------------------ addresses */

/* A release that is not one of rastap's leases is RAS's own address when
 * the family is not in assign mode (observe, or off on the legacy path):
 * recorded as a release that went fine. In assign mode it stays not_found
 * (released twice, or never handed out by rastap). */
static void observed_release(rt_event *ev, int fam)
{
    if (ev->u.ip.result == RT_ENOENT && rt_ip_snapshot_mode(ip_snapshot(), fam) != RT_IP_ASSIGN)
        ev->u.ip.result = RT_OK;
}

/* The address callouts copy the names into the record before deciding: the
 * slot's lines are then fetched while the decision runs, not after it
 * (the record is the callout's own until rt_event_end commits it). */
DWORD APIENTRY MprAdminGetIpAddressForUser(WCHAR *user, WCHAR *port, DWORD *ip, BOOL *notify)
{
    rt_event *ev = rt_event_begin(RT_EV_IP_ASSIGN, RT_CO_GET_IP_ADDRESS);
    if (ev)
        rt_capture_ip_names(ev, user, port);
    DWORD rc = rt_ipassign_win_get_v4(ip_snapshot(), user, port, ip, notify, ev ? &ev->u.ip : NULL);
    if (ev)
        rt_event_end(ev);
    return rc;
}

VOID APIENTRY MprAdminReleaseIpAddress(WCHAR *user, WCHAR *port, DWORD *ip)
{
    rt_event *ev = rt_event_begin(RT_EV_IP_RELEASE, RT_CO_RELEASE_IP_ADDRESS);
    if (ev)
        rt_capture_ip_names(ev, user, port);
    rt_ipassign_win_release_v4(user, port, ip, ev ? &ev->u.ip : NULL);
    if (ev) {
        observed_release(ev, RT_IP_V4);
        rt_event_end(ev);
    }
}

DWORD CALLBACK MprAdminGetIpv6AddressForUser(WCHAR *user, WCHAR *port, IN6_ADDR *addr,
                                             BOOL *notify)
{
    rt_event *ev = rt_event_begin(RT_EV_IPV6_ASSIGN, RT_CO_GET_IPV6_ADDRESS);
    if (ev)
        rt_capture_ip_names(ev, user, port);
    DWORD rc = rt_ipassign_win_get_v6(ip_snapshot(), user, port, addr, notify,
                                      ev ? &ev->u.ip : NULL);
    if (ev)
        rt_event_end(ev);
    return rc;
}

/* The SDK declares this VOID, MinGW DWORD; on x86 and x64 the return value
 * travels in a register, so returning NO_ERROR suits both callers. */
DWORD CALLBACK MprAdminReleaseIpv6AddressForUser(WCHAR *user, WCHAR *port, IN6_ADDR *addr)
{
    rt_event *ev = rt_event_begin(RT_EV_IPV6_RELEASE, RT_CO_RELEASE_IPV6_ADDRESS);
    if (ev)
        rt_capture_ip_names(ev, user, port);
    rt_ipassign_win_release_v6(user, port, addr, ev ? &ev->u.ip : NULL);
    if (ev) {
        observed_release(ev, RT_IP_V6);
        rt_event_end(ev);
    }
    return NO_ERROR;
}
