/*
 * structs.c - a session's state as the RAS structures a DLL receives.
 *
 * One rule for addresses, the same everywhere: PPP_IPCP_INFO and the Ex
 * projection records are written from the server's side, wszAddress = the
 * server, wszRemoteAddress = the client (documented for IPCP; assumed for
 * PPP_PROJECTION_INFO / IKEV2_PROJECTION_INFO, whose pages word it the other
 * way round - contract §3.5). IPv6: bPrefix + bRemoteInterfaceIdentifier is
 * the client, bInterfaceIdentifier the server (::1).
 *
 * Counters are what RAS reports: the session's true 64-bit byte totals
 * truncated to DWORDs, so sessions past 4 GiB arrive wrapped.
 */
#include <stdio.h>
#include <string.h>

#include "session.h"

#define MEDIA_NAME L"rastapi"
#define DEVICE_TYPE L"vpn"
#define LOCAL_ENDPOINT L"192.0.2.1"

static const wchar_t *const device_names[RH_TUN_COUNT] = {
    L"WAN Miniport (PPTP)", L"WAN Miniport (L2TP)", L"WAN Miniport (SSTP)",
    L"WAN Miniport (IKEv2)"};

static void put_wstr(WCHAR *dst, size_t cap, const wchar_t *src)
{
    size_t i = 0;
    for (; src[i] && i + 1 < cap; i++)
        dst[i] = src[i];
    dst[i] = 0;
}

static void put_ascii(WCHAR *dst, size_t cap, const char *src)
{
    size_t i = 0;
    for (; src[i] && i + 1 < cap; i++)
        dst[i] = (WCHAR)(unsigned char)src[i];
    dst[i] = 0;
}

static void put_ipv4(WCHAR *dst, size_t cap, uint32_t a)
{
    char tmp[16];
    snprintf(tmp, sizeof tmp, "%u.%u.%u.%u", a & 255, (a >> 8) & 255, (a >> 16) & 255, a >> 24);
    put_ascii(dst, cap, tmp);
}

uint64_t rh_link_bytes(uint64_t total, unsigned links, unsigned link)
{
    if (links <= 1)
        return total;
    uint64_t share = total / links;
    return link == 0 ? total - share * (links - 1) : share;
}

static uint32_t link_duration(const rh_session *s, unsigned link)
{
    /* extra links join later: each one 20 % of the session after the last */
    uint64_t d = (uint64_t)s->duration_s * (10 - 2 * (link < 4 ? link : 4)) / 10;
    return (uint32_t)(d ? d : 1);
}

typedef struct ctr {
    DWORD bytes_out, bytes_in, frames_out, frames_in, crc, timeout, align, overrun, framing,
        buffer;
} ctr;

static ctr counters(uint64_t out, uint64_t in, uint64_t seed, rh_phase phase)
{
    ctr c = {0};
    if (phase == RH_PH_ACCEPT)
        return c;
    if (phase == RH_PH_REAUTH) {
        out /= 2;
        in /= 2;
    }
    c.bytes_out = (DWORD)out; /* DWORD in RAS: wraps at 4 GiB */
    c.bytes_in = (DWORD)in;
    c.frames_out = (DWORD)(out / 1180 + (out ? 1 : 0));
    c.frames_in = (DWORD)(in / 640 + (in ? 1 : 0));
    c.crc = (DWORD)(seed % 3 == 0);
    c.timeout = (DWORD)(seed % 7);
    c.framing = (DWORD)(seed % 11 == 0);
    return c;
}

static void fill_user(const rh_session *s, WCHAR *dst)
{
    /* the whole array: a 257-unit name has no terminator, and units after
     * an embedded NUL stay where they are, as RAS's buffer would hold them */
    memcpy(dst, s->user, sizeof s->user);
}

static DWORD auth_proto(rh_auth a)
{
    return a == RH_AUTH_MSCHAPV2 ? PPP_LCP_CHAP : PPP_LCP_EAP;
}

static DWORD eap_type(rh_auth a, bool ikev2)
{
    return a == RH_AUTH_EAP_TLS ? 13 : a == RH_AUTH_EAP_PEAP ? (ikev2 ? 26 : 25) : 0;
}

static void fill_lcp(PPP_LCP_INFO *lcp, const rh_session *s)
{
    if (s->tunnel == RH_TUN_IKEV2)
        return;
    lcp->dwAuthenticationProtocol = auth_proto(s->auth);
    lcp->dwAuthenticationData = s->auth == RH_AUTH_MSCHAPV2 ? PPP_LCP_CHAP_MSV2 : 0;
    lcp->dwEapTypeId = eap_type(s->auth, false);
}

static void fill_ipcp2(PPP_IPCP_INFO2 *ip, const rh_conn_view *v)
{
    put_ipv4(ip->wszAddress, 16, v->s->server_ipv4);
    if (v->client_ipv4)
        put_ipv4(ip->wszRemoteAddress, 16, v->client_ipv4);
}

static void fill_legacy(const rh_conn_view *v, rh_conn_structs *o, HANDLE h, const ctr *c)
{
    const rh_session *s = v->s;
    RAS_CONNECTION_0 *c0 = &o->c0;
    c0->hConnection = h;
    c0->hInterface = (HANDLE)(uintptr_t)(rh_session_handle(s) + 1);
    c0->dwConnectDuration = v->phase == RH_PH_HANGUP ? s->duration_s
                            : v->phase == RH_PH_REAUTH ? s->duration_s / 2 : 0;
    c0->dwInterfaceType = ROUTER_IF_TYPE_CLIENT;
    c0->dwConnectionFlags = s->tunnel == RH_TUN_IKEV2 ? RAS_FLAGS_IKEV2_CONNECTION
                                                      : RAS_FLAGS_PPP_CONNECTION;
    if (s->reauths)
        c0->dwConnectionFlags |= RAS_FLAGS_QUARANTINE_PRESENT;
    fill_user(s, c0->wszUserName);
    fill_user(s, c0->wszInterfaceName);
    put_wstr(c0->wszLogonDomain, 16, L"CORP");
    if (s->index % 4) {
        char pc[17];
        snprintf(pc, sizeof pc, "PC-%05u", (unsigned)(s->index % 100000));
        put_ascii(c0->wszRemoteComputer, 17, pc);
    }

    RAS_CONNECTION_1 *c1 = &o->c1;
    c1->hConnection = h;
    c1->hInterface = c0->hInterface;
    put_ipv4(c1->PppInfo.ip.wszAddress, 16, s->server_ipv4);
    if (v->client_ipv4)
        put_ipv4(c1->PppInfo.ip.wszRemoteAddress, 16, v->client_ipv4);
    c1->dwBytesXmited = c->bytes_out;
    c1->dwBytesRcved = c->bytes_in;
    c1->dwFramesXmited = c->frames_out;
    c1->dwFramesRcved = c->frames_in;
    c1->dwCrcErr = c->crc;
    c1->dwTimeoutErr = c->timeout;
    c1->dwFramingErr = c->framing;

    RAS_CONNECTION_2 *c2 = &o->c2;
    c2->hConnection = h;
    fill_user(s, c2->wszUserName);
    c2->dwInterfaceType = ROUTER_IF_TYPE_CLIENT;
    c2->guid = s->guid;
    fill_ipcp2(&c2->PppInfo2.ip, v);
    fill_lcp(&c2->PppInfo2.lcp, s);
    if (s->tunnel == RH_TUN_PPTP)
        c2->PppInfo2.ccp.dwCompressionAlgorithm = RASCCPCA_MPPC;

    RAS_CONNECTION_3 *c3 = &o->c3;
    c3->dwVersion = 3;
    c3->dwSize = sizeof *c3;
    c3->hConnection = h;
    fill_user(s, c3->wszUserName);
    c3->dwInterfaceType = ROUTER_IF_TYPE_CLIENT;
    c3->guid = s->guid;
    fill_ipcp2(&c3->PppInfo3.ip, v);
    fill_lcp(&c3->PppInfo3.lcp, s);
    c3->PppInfo3.ccp = c2->PppInfo2.ccp;
    if (v->has_ipv6) {
        PPP_IPV6_CP_INFO *v6 = &c3->PppInfo3.ipv6;
        v6->dwSize = sizeof *v6;
        v6->bInterfaceIdentifier[7] = 1;
        memcpy(v6->bRemoteInterfaceIdentifier, v->ipv6_iid, 8);
        memcpy(v6->bPrefix, s->ipv6_prefix, 8);
        v6->dwPrefixLength = 64;
    }
    c3->rasQuarState = v->quarantine;
    if (v->quarantine == RAS_QUAR_STATE_PROBATION)
        c3->timer.dwHighDateTime = 0x01DC0000u; /* a deadline in 2025 */
}

static void fill_projection(const rh_conn_view *v, PROJECTION_INFO *p)
{
    const rh_session *s = v->s;
    if (s->tunnel == RH_TUN_IKEV2) {
        IKEV2_PROJECTION_INFO *k = &p->Ikev2ProjectionInfo;
        p->projectionInfoType = RT_IKEV2_PROJECTION_INFO_TYPE;
        put_ipv4(k->wszAddress, 16, s->server_ipv4);
        if (v->client_ipv4)
            put_ipv4(k->wszRemoteAddress, 16, v->client_ipv4);
        if (v->has_ipv6) {
            k->bInterfaceIdentifier[7] = 1;
            memcpy(k->bRemoteInterfaceIdentifier, v->ipv6_iid, 8);
            memcpy(k->bPrefix, s->ipv6_prefix, 8);
            k->dwPrefixLength = 64;
        }
        k->dwAuthenticationProtocol = s->auth == RH_AUTH_CERT ? 1 : 2;
        k->dwEapTypeId = eap_type(s->auth, true);
        k->dwEncryptionMethod = 4; /* IPSEC_CIPHER_TYPE_AES_256 */
        return;
    }
    PPP_PROJECTION_INFO *q = &p->PppProjectionInfo;
    p->projectionInfoType = RT_PPP_PROJECTION_INFO_TYPE;
    put_ipv4(q->wszAddress, 16, s->server_ipv4);
    if (v->client_ipv4)
        put_ipv4(q->wszRemoteAddress, 16, v->client_ipv4);
    if (v->has_ipv6) {
        q->bInterfaceIdentifier[7] = 1;
        memcpy(q->bRemoteInterfaceIdentifier, v->ipv6_iid, 8);
        memcpy(q->bPrefix, s->ipv6_prefix, 8);
        q->dwPrefixLength = 64;
    }
    q->dwAuthenticationProtocol = auth_proto(s->auth);
    q->dwAuthenticationData = s->auth == RH_AUTH_MSCHAPV2 ? PPP_LCP_CHAP_MSV2 : 0;
    q->dwEapTypeId = eap_type(s->auth, false);
    if (s->tunnel == RH_TUN_PPTP)
        q->dwCompressionAlgorithm = RASCCPCA_MPPC;
}

static void fill_ex(const rh_conn_view *v, rh_conn_structs *o, HANDLE h, const ctr *c)
{
    const rh_session *s = v->s;
    RAS_CONNECTION_EX *x = &o->ex;
    x->Header.revision = MPRAPI_RAS_CONNECTION_OBJECT_REVISION_1;
    x->Header.type = MPRAPI_OBJECT_TYPE_RAS_CONNECTION_OBJECT;
    x->Header.size = (USHORT)sizeof *x;
    x->dwConnectDuration = o->c0.dwConnectDuration;
    x->dwInterfaceType = ROUTER_IF_TYPE_CLIENT;
    x->dwConnectionFlags = o->c0.dwConnectionFlags;
    fill_user(s, x->wszInterfaceName);
    fill_user(s, x->wszUserName);
    memcpy(x->wszLogonDomain, o->c0.wszLogonDomain, sizeof x->wszLogonDomain);
    memcpy(x->wszRemoteComputer, o->c0.wszRemoteComputer, sizeof x->wszRemoteComputer);
    x->guid = s->guid;
    x->rasQuarState = v->quarantine;
    x->probationTime = o->c3.timer;
    x->dwBytesXmited = c->bytes_out;
    x->dwBytesRcved = c->bytes_in;
    x->dwFramesXmited = c->frames_out;
    x->dwFramesRcved = c->frames_in;
    x->dwCrcErr = c->crc;
    x->dwTimeoutErr = c->timeout;
    x->dwFramingErr = c->framing;
    x->dwNumSwitchOvers = s->tunnel == RH_TUN_IKEV2 && v->phase != RH_PH_ACCEPT ? s->index % 2 : 0;
    put_ipv4(x->wszRemoteEndpointAddress, 65, s->endpoint_ipv4);
    put_wstr(x->wszLocalEndpointAddress, 65, LOCAL_ENDPOINT);
    fill_projection(v, &x->ProjectionInfo);
    x->hConnection = h;
    x->hInterface = o->c0.hInterface;
}

void rh_build_conn(const rh_conn_view *v, rh_conn_structs *out)
{
    memset(out, 0, sizeof *out);
    HANDLE h = (HANDLE)(uintptr_t)rh_session_handle(v->s);
    ctr c = counters(v->s->bytes_out, v->s->bytes_in, v->s->index, v->phase);
    fill_legacy(v, out, h, &c);
    fill_ex(v, out, h, &c);
}

void rh_build_port(const rh_session *s, unsigned link, rh_phase phase, rh_port_structs *out)
{
    memset(out, 0, sizeof *out);
    RAS_PORT_0 *p0 = &out->p0;
    p0->hPort = (HANDLE)(uintptr_t)rh_session_port_handle(s, link);
    p0->hConnection = (HANDLE)(uintptr_t)rh_session_handle(s);
    p0->dwPortCondition = phase == RH_PH_HANGUP ? RAS_PORT_DISCONNECTED : RAS_PORT_AUTHENTICATED;
    p0->dwTotalNumberOfCalls = 1 + (DWORD)(s->index % 97);
    p0->dwConnectDuration = phase == RH_PH_HANGUP ? link_duration(s, link) : 0;
    rh_session_port_name(s, link, p0->wszPortName);
    put_wstr(p0->wszMediaName, 17, MEDIA_NAME);
    put_wstr(p0->wszDeviceName, 129, device_names[s->tunnel]);
    put_wstr(p0->wszDeviceType, 17, DEVICE_TYPE);

    RAS_PORT_1 *p1 = &out->p1;
    p1->hPort = p0->hPort;
    p1->hConnection = p0->hConnection;
    p1->dwHardwareCondition = RAS_HARDWARE_OPERATIONAL;
    p1->dwLineSpeed = 1000000000u;
    ctr c = counters(rh_link_bytes(s->bytes_out, s->links, link),
                     rh_link_bytes(s->bytes_in, s->links, link), s->index + link,
                     phase == RH_PH_HANGUP ? RH_PH_HANGUP : RH_PH_ACCEPT);
    p1->dwBytesXmited = c.bytes_out;
    p1->dwBytesRcved = c.bytes_in;
    p1->dwFramesXmited = c.frames_out;
    p1->dwFramesRcved = c.frames_in;
    p1->dwCrcErr = c.crc;
    p1->dwTimeoutErr = c.timeout;
    p1->dwFramingErr = c.framing;
}
