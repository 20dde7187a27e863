/*
 * event.c - the names records use for event kinds and callouts.
 *
 * The tables are indexed by the enums in event.h; the _Static_asserts
 * below catch an enum that grew without its name.
 */
#include "event.h"

static const char *const kind_names[] = {
    [RT_EV_NONE] = NULL,
    [RT_EV_SERVICE_START] = "service.start",
    [RT_EV_SERVICE_STOP] = "service.stop",
    [RT_EV_CONN_ACCEPT] = "connection.accept",
    [RT_EV_CONN_STOP] = "connection.stop",
    [RT_EV_LINK_ACCEPT] = "link.accept",
    [RT_EV_LINK_STOP] = "link.stop",
    [RT_EV_REAUTH] = "reauth",
    [RT_EV_IP_ASSIGN] = "ip.assign",
    [RT_EV_IP_RELEASE] = "ip.release",
    [RT_EV_IPV6_ASSIGN] = "ipv6.assign",
    [RT_EV_IPV6_RELEASE] = "ipv6.release",
    [RT_EV_EVENTS_DROPPED] = "events.dropped",
    [RT_EV_CONFIG_APPLIED] = "config.applied",
    [RT_EV_CONFIG_ERROR] = "config.error",
};
_Static_assert(sizeof kind_names / sizeof kind_names[0] == RT_EV_COUNT_,
               "every rt_kind needs a name");

/*
 * The exported function names, as RRAS documents them. The Ex callbacks are
 * reached through MPRAPI_ADMIN_DLL_CALLBACKS rather than exports, but their
 * documented names are the MprAdmin*Ex ones, and the schema uses those.
 */
static const char *const callout_names[] = {
    [RT_CO_NONE] = NULL,
    [RT_CO_INITIALIZE_DLL] = "MprAdminInitializeDll",
    [RT_CO_INITIALIZE_DLL_EX] = "MprAdminInitializeDllEx",
    [RT_CO_TERMINATE_DLL] = "MprAdminTerminateDll",
    [RT_CO_ACCEPT_NEW_CONNECTION] = "MprAdminAcceptNewConnection",
    [RT_CO_ACCEPT_NEW_CONNECTION2] = "MprAdminAcceptNewConnection2",
    [RT_CO_ACCEPT_NEW_CONNECTION3] = "MprAdminAcceptNewConnection3",
    [RT_CO_ACCEPT_NEW_CONNECTION_EX] = "MprAdminAcceptNewConnectionEx",
    [RT_CO_ACCEPT_NEW_LINK] = "MprAdminAcceptNewLink",
    [RT_CO_ACCEPT_REAUTHENTICATION] = "MprAdminAcceptReauthentication",
    [RT_CO_ACCEPT_REAUTHENTICATION_EX] = "MprAdminAcceptReauthenticationEx",
    [RT_CO_CONNECTION_HANGUP] = "MprAdminConnectionHangupNotification",
    [RT_CO_CONNECTION_HANGUP2] = "MprAdminConnectionHangupNotification2",
    [RT_CO_CONNECTION_HANGUP3] = "MprAdminConnectionHangupNotification3",
    [RT_CO_CONNECTION_HANGUP_EX] = "MprAdminConnectionHangupNotificationEx",
    [RT_CO_LINK_HANGUP] = "MprAdminLinkHangupNotification",
    [RT_CO_GET_IP_ADDRESS] = "MprAdminGetIpAddressForUser",
    [RT_CO_RELEASE_IP_ADDRESS] = "MprAdminReleaseIpAddress",
    [RT_CO_GET_IPV6_ADDRESS] = "MprAdminGetIpv6AddressForUser",
    [RT_CO_RELEASE_IPV6_ADDRESS] = "MprAdminReleaseIpv6AddressForUser",
};
_Static_assert(sizeof callout_names / sizeof callout_names[0] == RT_CO_COUNT_,
               "every rt_callout needs a name");

const char *rt_kind_name(unsigned kind)
{
    return kind < RT_EV_COUNT_ ? kind_names[kind] : NULL;
}

const char *rt_callout_name(unsigned callout)
{
    return callout < RT_CO_COUNT_ ? callout_names[callout] : NULL;
}

bool rt_kind_is_priority(unsigned kind)
{
    return kind == RT_EV_CONN_STOP || kind == RT_EV_IP_RELEASE || kind == RT_EV_IPV6_RELEASE;
}
