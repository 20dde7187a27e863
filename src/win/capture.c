/*
 * capture.c - copy what the record needs out of RAS's structures.
 *
 * Runs inside callouts: bounded memcpy of fixed arrays and scalar loads, no
 * allocation, no locks, no calls that can wait. Every pointer may be NULL.
 * Arrays are copied whole (their size is fixed by mprapi.h); the worker
 * finds the terminator later, bounded by the array length, so a missing
 * terminator costs nothing here.
 */
#include "capture.h"

#include <string.h>

/*
 * A RAS string array: copied up to and including its terminator, or whole
 * when it has none. Names are short and the arrays long (257 units), so
 * this is a fraction of copying the array; the worker reads at most the
 * array's length and stops at the first NUL, so what lies after it in the
 * slot never matters.
 */
#define COPY_ARRAY(dst, src)                                                 \
    do {                                                                     \
        _Static_assert(sizeof(dst) == sizeof(src), "RAS array size");        \
        copy_units((dst), (const rt_wchar *)(src), sizeof(dst) / sizeof((dst)[0])); \
    } while (0)

static inline void copy_units(rt_wchar *dst, const rt_wchar *src, size_t max)
{
    for (size_t i = 0; i < max; i++)
        if ((dst[i] = src[i]) == 0)
            return;
}

static uint64_t handle_value(HANDLE h)
{
    return (uint64_t)(uintptr_t)h;
}

static void counters_from(rt_counters *c, DWORD xmited, DWORD rcved, DWORD fx, DWORD fr,
                          const DWORD *errors6)
{
    c->bytes_out = xmited;
    c->bytes_in = rcved;
    c->frames_out = fx;
    c->frames_in = fr;
    c->crc = errors6[0];
    c->timeout = errors6[1];
    c->alignment = errors6[2];
    c->hw_overrun = errors6[3];
    c->framing = errors6[4];
    c->buffer_overrun = errors6[5];
}

void rt_capture_conn0(rt_event *ev, const RAS_CONNECTION_0 *c0)
{
    rt_ev_conn *c = &ev->u.conn;
    if (!c0)
        return;
    c->handle = handle_value(c0->hConnection);
    c->interface_type = (uint32_t)c0->dwInterfaceType;
    c->flags = c0->dwConnectionFlags;
    c->duration_s = c0->dwConnectDuration;
    COPY_ARRAY(c->user, c0->wszUserName);
    COPY_ARRAY(c->domain, c0->wszLogonDomain);
    COPY_ARRAY(c->interface_name, c0->wszInterfaceName);
    COPY_ARRAY(c->remote_computer, c0->wszRemoteComputer);
    ev->has |= RT_HAS_HANDLE | RT_HAS_USER | RT_HAS_IFTYPE | RT_HAS_FLAGS | RT_HAS_DURATION;
}

void rt_capture_conn1(rt_event *ev, const RAS_CONNECTION_1 *c1)
{
    rt_ev_conn *c = &ev->u.conn;
    if (!c1)
        return;
    if (!(ev->has & RT_HAS_HANDLE)) {
        c->handle = handle_value(c1->hConnection);
        ev->has |= RT_HAS_HANDLE;
    }
    const DWORD errors[6] = {c1->dwCrcErr, c1->dwTimeoutErr, c1->dwAlignmentErr,
                             c1->dwHardwareOverrunErr, c1->dwFramingErr, c1->dwBufferOverrunErr};
    counters_from(&c->ctr, c1->dwBytesXmited, c1->dwBytesRcved, c1->dwFramesXmited,
                  c1->dwFramesRcved, errors);
    /* PPP_IPCP_INFO is written from the server's side: wszRemoteAddress is the client. */
    COPY_ARRAY(c->client_ipv4, c1->PppInfo.ip.wszRemoteAddress);
    COPY_ARRAY(c->server_ipv4, c1->PppInfo.ip.wszAddress);
    ev->has |= RT_HAS_COUNTERS | RT_HAS_ERRORS | RT_HAS_IPV4;
}

static void lcp_from(rt_ev_conn *c, const PPP_LCP_INFO *lcp)
{
    c->auth_proto = lcp->dwAuthenticationProtocol;
    c->auth_data = lcp->dwAuthenticationData;
    c->eap_type = lcp->dwEapTypeId;
}

void rt_capture_conn2(rt_event *ev, const RAS_CONNECTION_2 *c2)
{
    rt_ev_conn *c = &ev->u.conn;
    if (!c2)
        return;
    if (!(ev->has & RT_HAS_HANDLE)) {
        c->handle = handle_value(c2->hConnection);
        ev->has |= RT_HAS_HANDLE;
    }
    memcpy(c->guid, &c2->guid, sizeof c->guid);
    c->projection = RT_PROJ_PPP;
    lcp_from(c, &c2->PppInfo2.lcp);
    if (!(ev->has & RT_HAS_USER)) {
        COPY_ARRAY(c->user, c2->wszUserName);
        c->domain[0] = c->interface_name[0] = c->remote_computer[0] = 0;
        c->interface_type = (uint32_t)c2->dwInterfaceType;
        ev->has |= RT_HAS_USER | RT_HAS_IFTYPE;
    }
    ev->has |= RT_HAS_GUID | RT_HAS_PROJECTION;
}

void rt_capture_conn3(rt_event *ev, const RAS_CONNECTION_3 *c3)
{
    rt_ev_conn *c = &ev->u.conn;
    if (!c3)
        return;
    if (!(ev->has & RT_HAS_HANDLE)) {
        c->handle = handle_value(c3->hConnection);
        ev->has |= RT_HAS_HANDLE;
    }
    if (!(ev->has & RT_HAS_GUID)) {
        memcpy(c->guid, &c3->guid, sizeof c->guid);
        ev->has |= RT_HAS_GUID;
    }
    c->quarantine = (uint32_t)c3->rasQuarState;
    const PPP_IPV6_CP_INFO *v6 = &c3->PppInfo3.ipv6;
    if (v6->dwError == 0 && v6->dwPrefixLength > 0) {
        memcpy(c->ipv6_prefix, v6->bPrefix, sizeof c->ipv6_prefix);
        memcpy(c->ipv6_remote_iid, v6->bRemoteInterfaceIdentifier, sizeof c->ipv6_remote_iid);
        c->ipv6_prefix_len = v6->dwPrefixLength;
        ev->has |= RT_HAS_IPV6;
    }
    c->projection = RT_PROJ_PPP;
    lcp_from(c, &c3->PppInfo3.lcp);
    ev->has |= RT_HAS_QUARANTINE | RT_HAS_PROJECTION;
}

static void v6_from(rt_ev_conn *c, uint32_t *has, DWORD err, const BYTE *prefix, DWORD len,
                    const BYTE *remote_iid)
{
    if (err != 0 || len == 0)
        return;
    memcpy(c->ipv6_prefix, prefix, sizeof c->ipv6_prefix);
    memcpy(c->ipv6_remote_iid, remote_iid, sizeof c->ipv6_remote_iid);
    c->ipv6_prefix_len = len;
    *has |= RT_HAS_IPV6;
}

void rt_capture_conn_ex(rt_event *ev, const RAS_CONNECTION_EX *x)
{
    rt_ev_conn *c = &ev->u.conn;
    if (!x)
        return;
    c->handle = handle_value(x->hConnection);
    c->interface_type = (uint32_t)x->dwInterfaceType;
    c->flags = x->dwConnectionFlags;
    c->duration_s = x->dwConnectDuration;
    c->quarantine = (uint32_t)x->rasQuarState;
    memcpy(c->guid, &x->guid, sizeof c->guid);
    COPY_ARRAY(c->user, x->wszUserName);
    COPY_ARRAY(c->domain, x->wszLogonDomain);
    COPY_ARRAY(c->interface_name, x->wszInterfaceName);
    COPY_ARRAY(c->remote_computer, x->wszRemoteComputer);
    COPY_ARRAY(c->endpoint_remote, x->wszRemoteEndpointAddress);
    COPY_ARRAY(c->endpoint_local, x->wszLocalEndpointAddress);
    const DWORD errors[6] = {x->dwCrcErr, x->dwTimeoutErr, x->dwAlignmentErr,
                             x->dwHardwareOverrunErr, x->dwFramingErr, x->dwBufferOverrunErr};
    counters_from(&c->ctr, x->dwBytesXmited, x->dwBytesRcved, x->dwFramesXmited, x->dwFramesRcved,
                  errors);
    ev->has |= RT_HAS_HANDLE | RT_HAS_USER | RT_HAS_IFTYPE | RT_HAS_FLAGS | RT_HAS_DURATION |
               RT_HAS_GUID | RT_HAS_QUARANTINE | RT_HAS_ENDPOINTS | RT_HAS_COUNTERS |
               RT_HAS_ERRORS;

    const PROJECTION_INFO *p = &x->ProjectionInfo;
    if (p->projectionInfoType == RT_PPP_PROJECTION_INFO_TYPE) {
        const PPP_PROJECTION_INFO *ppp = &p->PppProjectionInfo;
        c->projection = RT_PROJ_PPP;
        /* Assumed server-side like PPP_IPCP_INFO (contract §3.5: to be
         * confirmed on a live server); both addresses are recorded. */
        COPY_ARRAY(c->client_ipv4, ppp->wszRemoteAddress);
        COPY_ARRAY(c->server_ipv4, ppp->wszAddress);
        c->auth_proto = ppp->dwAuthenticationProtocol;
        c->auth_data = ppp->dwAuthenticationData;
        c->eap_type = ppp->dwEapTypeId;
        v6_from(c, &ev->has, ppp->dwIPv6NegotiationError, ppp->bPrefix, ppp->dwPrefixLength,
                ppp->bRemoteInterfaceIdentifier);
        ev->has |= RT_HAS_PROJECTION | RT_HAS_IPV4;
    } else if (p->projectionInfoType == RT_IKEV2_PROJECTION_INFO_TYPE) {
        const IKEV2_PROJECTION_INFO *ike = &p->Ikev2ProjectionInfo;
        c->projection = RT_PROJ_IKEV2;
        COPY_ARRAY(c->client_ipv4, ike->wszRemoteAddress);
        COPY_ARRAY(c->server_ipv4, ike->wszAddress);
        c->auth_proto = ike->dwAuthenticationProtocol;
        c->eap_type = ike->dwEapTypeId;
        v6_from(c, &ev->has, ike->dwIPv6NegotiationError, ike->bPrefix, ike->dwPrefixLength,
                ike->bRemoteInterfaceIdentifier);
        ev->has |= RT_HAS_PROJECTION | RT_HAS_IPV4;
    }
}

void rt_capture_port(rt_event *ev, const RAS_PORT_0 *p0, const RAS_PORT_1 *p1)
{
    rt_ev_link *l = &ev->u.link;
    if (p0) {
        l->handle = handle_value(p0->hConnection);
        l->port_handle = handle_value(p0->hPort);
        l->port_condition = (uint32_t)p0->dwPortCondition;
        l->total_calls = p0->dwTotalNumberOfCalls;
        l->duration_s = p0->dwConnectDuration;
        COPY_ARRAY(l->port, p0->wszPortName);
        COPY_ARRAY(l->media, p0->wszMediaName);
        COPY_ARRAY(l->device, p0->wszDeviceName);
        COPY_ARRAY(l->device_type, p0->wszDeviceType);
        ev->has |= RT_HAS_HANDLE | RT_HAS_PORT_INFO | RT_HAS_DURATION;
    }
    if (p1) {
        if (!p0) {
            l->handle = handle_value(p1->hConnection);
            l->port_handle = handle_value(p1->hPort);
            ev->has |= RT_HAS_HANDLE;
        }
        l->hw_condition = (uint32_t)p1->dwHardwareCondition;
        l->line_speed = p1->dwLineSpeed;
        const DWORD errors[6] = {p1->dwCrcErr, p1->dwTimeoutErr, p1->dwAlignmentErr,
                                 p1->dwHardwareOverrunErr, p1->dwFramingErr,
                                 p1->dwBufferOverrunErr};
        counters_from(&l->ctr, p1->dwBytesXmited, p1->dwBytesRcved, p1->dwFramesXmited,
                      p1->dwFramesRcved, errors);
        ev->has |= RT_HAS_LINE_SPEED | RT_HAS_COUNTERS | RT_HAS_ERRORS;
    }
}

/* A WCHAR* argument of unknown length: copy up to the buffer RAS uses for
 * it (max units), stopping at the terminator. */
static bool copy_wstr(rt_wchar *dst, size_t max, const WCHAR *src)
{
    if (!src)
        return false;
    size_t i = 0;
    for (; i < max && src[i]; i++)
        dst[i] = (rt_wchar)src[i];
    if (i < max)
        dst[i] = 0;
    return true;
}

void rt_capture_ip_names(rt_event *ev, const WCHAR *user, const WCHAR *port)
{
    rt_ev_ip *ip = &ev->u.ip;
    ip->has_user = copy_wstr(ip->user, RT_LEN_USER, user);
    ip->has_port = copy_wstr(ip->port, RT_LEN_PORT, port);
}
