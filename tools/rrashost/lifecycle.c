/*
 * lifecycle.c - the state machine that walks one session through its
 * callouts (order: dispatch.c's header, contract §2.6).
 *
 * rh_live_step makes exactly one event (one callout to each DLL concerned)
 * and returns, so a worker can interleave many sessions in flight; steps
 * that make no call (no DLL exports the address pair, no IPv6, ...) are
 * passed through in the same call.
 */
#include <string.h>

#include "run.h"

void rh_live_init(rh_live *l, const rh_session *s)
{
    memset(l, 0, sizeof *l);
    l->s = *s;
    l->step = RH_ST_GET_IP;
    l->ipv4 = s->ipv4_offer;
    l->has_ipv4 = s->ipv4_offer != 0;
    memcpy(&l->ipv6, s->ipv6_prefix, 8);
    memcpy((uint8_t *)&l->ipv6 + 8, s->ipv6_iid_offer, 8);
    memcpy(l->ipv6_iid, s->ipv6_iid_offer, 8);
    l->quarantine = s->reauths ? RAS_QUAR_STATE_QUARANTINE : RAS_QUAR_STATE_NORMAL;
}

static unsigned first_attempted_link_from_end(const rh_live *l)
{
    unsigned i = RH_MAX_LINKS;
    while (i > 0 && l->link_state[i - 1] == 0)
        i--;
    return i; /* links [0, i) were attempted */
}

/* Addresses are negotiated: on to the connection, or PPP fails here. */
static void after_ip(rh_ctx *ctx, rh_live *l)
{
    if (l->s.abort_after_ip) {
        ctx->stats.t.aborted++;
        l->step = RH_ST_RELEASE_IP;
    } else {
        l->step = RH_ST_ACCEPT;
    }
}

static bool step_get_ip(rh_ctx *ctx, rh_live *l)
{
    if (ctx->host->ip_dll < 0) {
        l->step = RH_ST_GET_IPV6; /* RAS assigns from its own pool */
        return false;
    }
    if (rh_fire_get_ip(ctx, l) != NO_ERROR) {
        ctx->stats.t.ip_refused++;
        l->has_ipv4 = false;
        l->step = RH_ST_DONE;
    } else {
        l->step = RH_ST_GET_IPV6;
    }
    return true;
}

static bool step_get_ipv6(rh_ctx *ctx, rh_live *l)
{
    if (!l->s.ipv6) {
        after_ip(ctx, l);
        return false;
    }
    if (ctx->host->ipv6_dll < 0) {
        l->has_ipv6 = true; /* RAS's own proposal stands */
        after_ip(ctx, l);
        return false;
    }
    if (rh_fire_get_ipv6(ctx, l) != NO_ERROR) {
        ctx->stats.t.ipv6_refused++;
        l->step = RH_ST_RELEASE_IP; /* the attempt ends; give back the IPv4 address */
    } else {
        l->has_ipv6 = true;
        after_ip(ctx, l);
    }
    return true;
}

static void step_accept(rh_ctx *ctx, rh_live *l)
{
    l->conn_called = true;
    l->conn_ok = rh_fire_conn(ctx, l, RH_PH_ACCEPT);
    if (!l->conn_ok) {
        ctx->stats.t.conn_rejected++;
        l->step = RH_ST_HANGUP;
        return;
    }
    l->link = 0;
    l->step = RH_ST_LINK;
}

static void step_link(rh_ctx *ctx, rh_live *l)
{
    unsigned i = l->link;
    bool ok = rh_fire_link(ctx, l, i, false);
    l->link_state[i] = ok ? 1 : 2;
    if (ok)
        ctx->stats.t.links++;
    else
        ctx->stats.t.links_refused++;
    if (i == 0 && !ok) {
        l->step = RH_ST_LINK_HANGUP; /* no link, no connection */
        return;
    }
    if (i + 1 < l->s.links) {
        l->link = i + 1;
        return;
    }
    ctx->stats.t.established++;
    l->step = l->s.reauths ? RH_ST_REAUTH : RH_ST_LINK_HANGUP;
}

static void step_reauth(rh_ctx *ctx, rh_live *l)
{
    /* The callout reports the new NAP state: probation first when there
     * are two rounds, then healthy. */
    l->quarantine = l->reauth + 1 < l->s.reauths ? RAS_QUAR_STATE_PROBATION
                                                 : RAS_QUAR_STATE_NORMAL;
    bool ok = rh_fire_conn(ctx, l, RH_PH_REAUTH);
    l->reauth++;
    if (!ok) {
        ctx->stats.t.reauth_rejected++;
        l->step = RH_ST_LINK_HANGUP;
        return;
    }
    ctx->stats.t.reauths++;
    if (l->reauth >= l->s.reauths)
        l->step = RH_ST_LINK_HANGUP;
}

/* Links go down last first; refused links are notified too (§2.5). */
static bool step_link_hangup(rh_ctx *ctx, rh_live *l)
{
    unsigned n = first_attempted_link_from_end(l);
    if (n == 0) {
        l->step = RH_ST_HANGUP;
        return false;
    }
    rh_fire_link(ctx, l, n - 1, true);
    l->link_state[n - 1] = 0;
    if (n == 1)
        l->step = RH_ST_HANGUP;
    return true;
}

static bool step_release(rh_ctx *ctx, rh_live *l, bool v6)
{
    l->step = v6 ? RH_ST_DONE : RH_ST_RELEASE_IPV6;
    if (v6 ? (ctx->host->ipv6_dll < 0 || !l->notify_ipv6 || !l->has_ipv6)
           : (ctx->host->ip_dll < 0 || !l->notify_ip || !l->has_ipv4))
        return false;
    rh_fire_release(ctx, l, v6);
    return true;
}

static bool step_once(rh_ctx *ctx, rh_live *l)
{
    switch (l->step) {
    case RH_ST_GET_IP: return step_get_ip(ctx, l);
    case RH_ST_GET_IPV6: return step_get_ipv6(ctx, l);
    case RH_ST_ACCEPT: step_accept(ctx, l); return true;
    case RH_ST_LINK: step_link(ctx, l); return true;
    case RH_ST_REAUTH: step_reauth(ctx, l); return true;
    case RH_ST_LINK_HANGUP: return step_link_hangup(ctx, l);
    case RH_ST_HANGUP:
        if (l->conn_called)
            rh_fire_conn(ctx, l, RH_PH_HANGUP);
        l->step = RH_ST_RELEASE_IP;
        return l->conn_called;
    case RH_ST_RELEASE_IP: return step_release(ctx, l, false);
    case RH_ST_RELEASE_IPV6: return step_release(ctx, l, true);
    case RH_ST_DONE: return false;
    }
    return false;
}

bool rh_live_step(rh_ctx *ctx, rh_live *l)
{
    while (l->step != RH_ST_DONE) {
        if (step_once(ctx, l))
            return l->step == RH_ST_DONE;
    }
    return true;
}
