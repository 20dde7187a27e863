/*
 * dispatch.c - one session's life as RRAS would call it (contract §2.4-2.6).
 *
 *   GetIpAddressForUser -> [GetIpv6AddressForUser] -> AcceptNewConnection*
 *   -> AcceptNewLink per link -> [AcceptReauthentication*] -> LinkHangup per
 *   link (last first) -> ConnectionHangupNotification* -> ReleaseIpAddress
 *   -> [ReleaseIpv6AddressForUser]
 *
 * Rules applied here:
 *  - Accept callouts go to every DLL in registry order; the first FALSE
 *    refuses the connection/link and later DLLs are not asked.
 *  - Hangups go to every DLL, also after a refusal (Windows after 2000
 *    notifies refused connections and links too, §2.5).
 *  - The address callouts go only to the first DLL exporting the pair; a
 *    non-zero return or no address at all ends the attempt (no accept).
 *  - Each event takes its serialization group's lock around the calls to
 *    all DLLs (§2.5), unless --stress. Only the call itself is timed.
 *  - --addresses: each address callout is logged with what RAS got back,
 *    numbered after a Get returned and before a Release is made (addrlog.h
 *    says why), while the group's lock is still held.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "run.h"

static void lock(rh_ctx *ctx, rh_group g)
{
    if (!ctx->host->stress)
        AcquireSRWLockExclusive(&ctx->host->group_lock[g]);
}

static void unlock(rh_ctx *ctx, rh_group g)
{
    if (!ctx->host->stress)
        ReleaseSRWLockExclusive(&ctx->host->group_lock[g]);
}

static bool audited(const rh_ctx *ctx, unsigned d)
{
    return ctx->record_expect && ctx->host->dlls[d].audited;
}

static void view_of(const rh_live *l, rh_phase phase, rh_conn_view *v)
{
    memset(v, 0, sizeof *v);
    v->s = &l->s;
    v->phase = phase;
    v->client_ipv4 = l->has_ipv4 ? l->ipv4 : 0;
    v->has_ipv6 = l->has_ipv6;
    memcpy(v->ipv6_iid, l->ipv6_iid, 8);
    v->quarantine = l->quarantine;
    for (unsigned i = 0; i < RH_MAX_LINKS; i++)
        v->links_up += l->link_state[i] == 1;
}

static BOOL call_conn(rh_dll *dll, rh_callout co, rh_conn_structs *c)
{
    switch (co) {
    case RH_CO_ACCEPT_CONN: return dll->accept1(&c->c0, &c->c1);
    case RH_CO_ACCEPT_CONN2: return dll->accept2(&c->c0, &c->c1, &c->c2);
    case RH_CO_ACCEPT_CONN3: return dll->accept3(&c->c0, &c->c1, &c->c2, &c->c3);
    case RH_CO_ACCEPT_CONN_EX: return dll->accept_ex(&c->ex);
    case RH_CO_REAUTH: return dll->reauth(&c->c0, &c->c1, &c->c2, &c->c3);
    case RH_CO_REAUTH_EX: return dll->reauth_ex(&c->ex);
    case RH_CO_HANGUP: dll->hangup1(&c->c0, &c->c1); return TRUE;
    case RH_CO_HANGUP2: dll->hangup2(&c->c0, &c->c1, &c->c2); return TRUE;
    case RH_CO_HANGUP3: dll->hangup3(&c->c0, &c->c1, &c->c2, &c->c3); return TRUE;
    case RH_CO_HANGUP_EX: dll->hangup_ex(&c->ex); return TRUE;
    default: return TRUE;
    }
}

/* Accept-like (stop at the first FALSE) or notification (everyone). */
bool rh_fire_conn(rh_ctx *ctx, rh_live *l, rh_phase phase)
{
    rh_conn_view v;
    view_of(l, phase, &v);
    rh_build_conn(&v, &ctx->conn);
    rh_group g = phase == RH_PH_REAUTH ? RH_G_REAUTH : RH_G_CONN;
    bool ok = true;
    lock(ctx, g);
    for (unsigned d = 0; d < ctx->host->n_dlls && ok; d++) {
        rh_dll *dll = &ctx->host->dlls[d];
        rh_callout co = phase == RH_PH_ACCEPT   ? dll->accept_co
                        : phase == RH_PH_REAUTH ? dll->reauth_co
                                                : dll->hangup_co;
        if (co == RH_CO_COUNT)
            continue; /* no reauthentication callout: nothing to refuse */
        size_t e = audited(ctx, d) ? rh_expect_conn(ctx, co, &v, &ctx->conn) : 0;
        uint64_t t0 = rh_ticks();
        BOOL r = call_conn(dll, co, &ctx->conn);
        rh_stats_record(&ctx->stats, d, co, rh_ticks() - t0);
        if (phase == RH_PH_HANGUP)
            continue;
        if (audited(ctx, d))
            rh_expect_at(ctx, e)->decision = r ? 1 : 0;
        if (!r) {
            ctx->stats.refusals[d][co]++;
            ok = false;
        }
    }
    unlock(ctx, g);
    return ok;
}

bool rh_fire_link(rh_ctx *ctx, rh_live *l, unsigned link, bool hangup)
{
    rh_build_port(&l->s, link, hangup ? RH_PH_HANGUP : RH_PH_ACCEPT, &ctx->port);
    rh_callout co = hangup ? RH_CO_LINK_HANGUP : RH_CO_ACCEPT_LINK;
    rh_group g = hangup ? RH_G_LINK_HANGUP : RH_G_LINK_ACCEPT;
    bool ok = true;
    lock(ctx, g);
    for (unsigned d = 0; d < ctx->host->n_dlls && ok; d++) {
        rh_dll *dll = &ctx->host->dlls[d];
        size_t e = audited(ctx, d) ? rh_expect_link(ctx, co, &ctx->port) : 0;
        uint64_t t0 = rh_ticks();
        BOOL r = TRUE;
        if (hangup)
            dll->link_hangup(&ctx->port.p0, &ctx->port.p1);
        else
            r = dll->accept_link(&ctx->port.p0, &ctx->port.p1);
        rh_stats_record(&ctx->stats, d, co, rh_ticks() - t0);
        if (hangup)
            continue;
        if (audited(ctx, d))
            rh_expect_at(ctx, e)->decision = r ? 1 : 0;
        if (!r) {
            ctx->stats.refusals[d][co]++;
            ok = false;
        }
    }
    unlock(ctx, g);
    return ok;
}

/* The user name RAS passes to the address callouts: a terminated string of
 * at most UNLEN units (the 257th unit of a full array cannot fit). */
static void ip_names(const rh_live *l, WCHAR user[257], WCHAR port[17])
{
    unsigned n = l->s.user_units < 256 ? l->s.user_units : 256;
    memcpy(user, l->s.user, n * sizeof(WCHAR));
    user[n] = 0;
    rh_session_port_name(&l->s, 0, port);
}

/* An address log entry for a callout of session l (numbered by the caller). */
static rh_addr_entry *log_call(rh_ctx *ctx, const rh_live *l, rh_callout co, const WCHAR *user,
                               const WCHAR *port)
{
    rh_addr_entry *a = rh_addr_push(&ctx->addrs);
    a->kind = RH_AL_CALL;
    a->co = (uint8_t)co;
    a->value = l->s.index;
    a->user = rh_utf16_to_utf8((const uint16_t *)user, RH_USER_UNITS);
    char *p = rh_utf16_to_utf8((const uint16_t *)port, 17);
    snprintf(a->port, sizeof a->port, "%s", p);
    free(p);
    return a;
}

DWORD rh_fire_get_ip(rh_ctx *ctx, rh_live *l)
{
    unsigned d = (unsigned)ctx->host->ip_dll;
    WCHAR user[257], port[17];
    ip_names(l, user, port);
    DWORD ip = l->s.ipv4_offer;
    BOOL notify = FALSE;
    size_t e = audited(ctx, d) ? rh_expect_ip(ctx, RH_CO_GET_IP, user, port) : 0;
    lock(ctx, RH_G_IP);
    uint64_t t0 = rh_ticks();
    DWORD err = ctx->host->dlls[d].get_ip(user, port, &ip, &notify);
    rh_stats_record(&ctx->stats, d, RH_CO_GET_IP, rh_ticks() - t0);
    if (ctx->host->log_addresses) {
        rh_addr_entry *a = log_call(ctx, l, RH_CO_GET_IP, user, port);
        a->seq = rh_addr_seq(); /* after the call: the address is claimed */
        a->offered = l->s.ipv4_offer;
        a->ipv4 = ip;
        a->error = err;
        a->notify = notify != FALSE;
    }
    unlock(ctx, RH_G_IP);
    if (audited(ctx, d))
        rh_expect_at(ctx, e)->ipv4 = ip;
    if (err != NO_ERROR || ip == 0) {
        ctx->stats.refusals[d][RH_CO_GET_IP]++;
        return err != NO_ERROR ? err : ERROR_NO_DATA;
    }
    l->ipv4 = ip;
    l->notify_ip = notify != FALSE;
    return NO_ERROR;
}

DWORD rh_fire_get_ipv6(rh_ctx *ctx, rh_live *l)
{
    unsigned d = (unsigned)ctx->host->ipv6_dll;
    WCHAR user[257], port[17];
    ip_names(l, user, port);
    BOOL notify = FALSE;
    size_t e = audited(ctx, d) ? rh_expect_ip(ctx, RH_CO_GET_IPV6, user, port) : 0;
    lock(ctx, RH_G_IPV6);
    uint64_t t0 = rh_ticks();
    DWORD err = ctx->host->dlls[d].get_ipv6(user, port, &l->ipv6, &notify);
    rh_stats_record(&ctx->stats, d, RH_CO_GET_IPV6, rh_ticks() - t0);
    if (ctx->host->log_addresses) {
        rh_addr_entry *a = log_call(ctx, l, RH_CO_GET_IPV6, user, port);
        a->seq = rh_addr_seq(); /* after the call: the identifier is claimed */
        memcpy(a->iid_offered, l->s.ipv6_iid_offer, 8);
        if (err == NO_ERROR)
            memcpy(a->iid, (const uint8_t *)&l->ipv6 + 8, 8);
        a->error = err;
        a->notify = notify != FALSE;
    }
    unlock(ctx, RH_G_IPV6);
    if (audited(ctx, d) && err == NO_ERROR) { /* a refusal hands back no identifier */
        rh_expect_at(ctx, e)->has_iid = true;
        memcpy(rh_expect_at(ctx, e)->iid, (const uint8_t *)&l->ipv6 + 8, 8);
    }
    if (err != NO_ERROR) {
        ctx->stats.refusals[d][RH_CO_GET_IPV6]++;
        return err;
    }
    memcpy(l->ipv6_iid, (const uint8_t *)&l->ipv6 + 8, 8);
    l->notify_ipv6 = notify != FALSE;
    return NO_ERROR;
}

void rh_fire_release(rh_ctx *ctx, rh_live *l, bool v6)
{
    unsigned d = (unsigned)(v6 ? ctx->host->ipv6_dll : ctx->host->ip_dll);
    rh_callout co = v6 ? RH_CO_RELEASE_IPV6 : RH_CO_RELEASE_IP;
    WCHAR user[257], port[17];
    ip_names(l, user, port);
    DWORD ip = l->ipv4;
    IN6_ADDR a6 = l->ipv6;
    size_t e = audited(ctx, d) ? rh_expect_ip(ctx, co, user, port) : 0;
    if (audited(ctx, d)) {
        rh_expect *x = rh_expect_at(ctx, e);
        if (v6) {
            x->has_iid = true;
            memcpy(x->iid, (const uint8_t *)&a6 + 8, 8);
        } else {
            x->ipv4 = ip;
        }
    }
    lock(ctx, v6 ? RH_G_IPV6 : RH_G_IP);
    if (ctx->host->log_addresses) {
        rh_addr_entry *a = log_call(ctx, l, co, user, port);
        a->seq = rh_addr_seq(); /* before the call: the address is still held */
        a->ipv4 = v6 ? 0 : ip;
        if (v6)
            memcpy(a->iid, (const uint8_t *)&a6 + 8, 8);
    }
    uint64_t t0 = rh_ticks();
    if (v6)
        ctx->host->dlls[d].release_ipv6(user, port, &a6);
    else
        ctx->host->dlls[d].release_ip(user, port, &ip);
    rh_stats_record(&ctx->stats, d, co, rh_ticks() - t0);
    unlock(ctx, v6 ? RH_G_IPV6 : RH_G_IP);
}

/* ------------------------------------------------- Initialize / Terminate */

DWORD rh_call_initialize(rh_ctx *ctx, unsigned d)
{
    if (audited(ctx, d))
        rh_expect_plain(ctx, RH_CO_INITIALIZE); /* service.start */
    uint64_t t0 = rh_ticks();
    DWORD err = ctx->host->dlls[d].initialize();
    rh_stats_record(&ctx->stats, d, RH_CO_INITIALIZE, rh_ticks() - t0);
    return err;
}

DWORD rh_call_initialize_ex(rh_ctx *ctx, unsigned d, rt_admin_dll_callbacks *cb)
{
    if (audited(ctx, d))
        rh_expect_plain(ctx, RH_CO_INITIALIZE_EX); /* service.start */
    uint64_t t0 = rh_ticks();
    DWORD err = ctx->host->dlls[d].initialize_ex(cb);
    rh_stats_record(&ctx->stats, d, RH_CO_INITIALIZE_EX, rh_ticks() - t0);
    return err;
}

DWORD rh_call_terminate(rh_ctx *ctx, unsigned d)
{
    if (audited(ctx, d))
        rh_expect_plain(ctx, RH_CO_TERMINATE); /* service.stop */
    uint64_t t0 = rh_ticks();
    DWORD err = ctx->host->dlls[d].terminate();
    rh_stats_record(&ctx->stats, d, RH_CO_TERMINATE, rh_ticks() - t0);
    return err;
}
