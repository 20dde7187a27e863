/*
 * callout.c - names, classes and serialization groups of the callouts.
 */
#include "host.h"

static const struct {
    const char *name;
    rh_class cl;
    rh_group group;
} table[RH_CO_COUNT] = {
    [RH_CO_INITIALIZE] = {"MprAdminInitializeDll", RH_CL_LIFECYCLE, RH_G_NONE},
    [RH_CO_INITIALIZE_EX] = {"MprAdminInitializeDllEx", RH_CL_LIFECYCLE, RH_G_NONE},
    [RH_CO_TERMINATE] = {"MprAdminTerminateDll", RH_CL_LIFECYCLE, RH_G_NONE},
    [RH_CO_ACCEPT_CONN] = {"MprAdminAcceptNewConnection", RH_CL_CONN_ACCEPT, RH_G_CONN},
    [RH_CO_ACCEPT_CONN2] = {"MprAdminAcceptNewConnection2", RH_CL_CONN_ACCEPT, RH_G_CONN},
    [RH_CO_ACCEPT_CONN3] = {"MprAdminAcceptNewConnection3", RH_CL_CONN_ACCEPT, RH_G_CONN},
    [RH_CO_ACCEPT_CONN_EX] = {"MprAdminAcceptNewConnectionEx", RH_CL_CONN_ACCEPT, RH_G_CONN},
    [RH_CO_HANGUP] = {"MprAdminConnectionHangupNotification", RH_CL_CONN_HANGUP, RH_G_CONN},
    [RH_CO_HANGUP2] = {"MprAdminConnectionHangupNotification2", RH_CL_CONN_HANGUP, RH_G_CONN},
    [RH_CO_HANGUP3] = {"MprAdminConnectionHangupNotification3", RH_CL_CONN_HANGUP, RH_G_CONN},
    [RH_CO_HANGUP_EX] = {"MprAdminConnectionHangupNotificationEx", RH_CL_CONN_HANGUP,
                         RH_G_CONN},
    [RH_CO_ACCEPT_LINK] = {"MprAdminAcceptNewLink", RH_CL_LINK_ACCEPT, RH_G_LINK_ACCEPT},
    [RH_CO_LINK_HANGUP] = {"MprAdminLinkHangupNotification", RH_CL_LINK_HANGUP,
                           RH_G_LINK_HANGUP},
    [RH_CO_REAUTH] = {"MprAdminAcceptReauthentication", RH_CL_REAUTH, RH_G_REAUTH},
    [RH_CO_REAUTH_EX] = {"MprAdminAcceptReauthenticationEx", RH_CL_REAUTH, RH_G_REAUTH},
    [RH_CO_GET_IP] = {"MprAdminGetIpAddressForUser", RH_CL_IP, RH_G_IP},
    [RH_CO_RELEASE_IP] = {"MprAdminReleaseIpAddress", RH_CL_IP, RH_G_IP},
    [RH_CO_GET_IPV6] = {"MprAdminGetIpv6AddressForUser", RH_CL_IPV6, RH_G_IPV6},
    [RH_CO_RELEASE_IPV6] = {"MprAdminReleaseIpv6AddressForUser", RH_CL_IPV6, RH_G_IPV6},
};

static const char *const class_names[RH_CL_COUNT] = {
    [RH_CL_LIFECYCLE] = "initialize/terminate",
    [RH_CL_CONN_ACCEPT] = "connection accept",
    [RH_CL_CONN_HANGUP] = "connection hangup",
    [RH_CL_LINK_ACCEPT] = "link accept",
    [RH_CL_LINK_HANGUP] = "link hangup",
    [RH_CL_REAUTH] = "reauthentication",
    [RH_CL_IP] = "IPv4 address",
    [RH_CL_IPV6] = "IPv6 address",
};

const char *rh_callout_name(rh_callout co)
{
    return co < RH_CO_COUNT ? table[co].name : "?";
}

const char *rh_class_name(rh_class cl)
{
    return cl < RH_CL_COUNT ? class_names[cl] : "?";
}

rh_class rh_callout_class(rh_callout co)
{
    return co < RH_CO_COUNT ? table[co].cl : RH_CL_LIFECYCLE;
}

rh_group rh_callout_group(rh_callout co)
{
    return co < RH_CO_COUNT ? table[co].group : RH_G_NONE;
}
