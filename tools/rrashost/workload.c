/*
 * workload.c - the session generator.
 *
 * Session i is drawn from its own random stream (splitmix64 seeded with
 * seed and i), so --seed reproduces every session exactly whatever the
 * thread count. Shapes, with the shares used:
 *   tunnel        PPTP 10 %, L2TP 25 %, SSTP 30 %, IKEv2 35 %
 *   users         N users, 80 % of sessions from 20 % of them; a share of
 *                 users (--hostile, default 5 %) have hostile names; 1 % of
 *                 sessions log on as "Administrator" (the SDK callout sample
 *                 refuses that user, so policies have something to reject)
 *   duration      log-normal, median 20 min, capped at 30 days
 *   bytes         log-normal rate (median 20 kB/s down), 1.5 % "elephant"
 *                 sessions of 4-40 GiB whose 32-bit counters wrap
 *   IPv6          40 % also negotiate IPv6CP
 *   multilink     5 % of PPTP/L2TP sessions bring 2-3 links
 *   reauth        4 % see 1-2 NAP reauthentications
 *   abort         2 % fail after the address was assigned (no connection)
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "session.h"

typedef struct rng {
    uint64_t s;
} rng;

static uint64_t next_u64(rng *r)
{
    uint64_t z = (r->s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static double uniform(rng *r)
{
    return (double)(next_u64(r) >> 11) * (1.0 / 9007199254740992.0);
}

static bool chance(rng *r, double p)
{
    return uniform(r) < p;
}

static double normal(rng *r)
{
    double u1 = uniform(r), u2 = uniform(r);
    if (u1 < 1e-300)
        u1 = 1e-300;
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

static double lognormal(rng *r, double median, double sigma)
{
    return median * exp(sigma * normal(r));
}

static rng stream(uint64_t seed, uint64_t index)
{
    rng r = {seed ^ (index * 0xD1B54A32D192ED03ull)};
    (void)next_u64(&r);
    return r;
}

/* 80 % of sessions come from the first 20 % of users. */
static unsigned pick_user(rng *r, unsigned users)
{
    unsigned hot = users / 5 ? users / 5 : 1;
    if (chance(r, 0.8))
        return (unsigned)(uniform(r) * hot) % users;
    return (hot + (unsigned)(uniform(r) * (users - hot))) % users;
}

static bool user_is_hostile(uint64_t seed, unsigned u, unsigned pct)
{
    rng r = stream(seed ^ 0x55AA55AA55AA55AAull, u);
    return (next_u64(&r) % 100) < pct;
}

static void set_user(rh_session *s, const rh_workload *w, rng *r, unsigned u)
{
    static const uint16_t admin[] = {'A', 'd', 'm', 'i', 'n', 'i', 's', 't', 'r', 'a', 't', 'o', 'r'};
    if (!w->storm && chance(r, 0.01)) {
        memcpy(s->user, admin, sizeof admin);
        s->user_units = sizeof admin / sizeof admin[0];
    } else if (user_is_hostile(w->seed, u, w->hostile_pct)) {
        rh_hostile_name(u % rh_hostile_count(), u, s->user, &s->user_units);
    } else {
        rh_plain_name(u, s->user, &s->user_units);
    }
    if (s->user_units < RH_USER_UNITS)
        s->user[s->user_units] = 0;
}

static rh_tunnel pick_tunnel(rng *r)
{
    double x = uniform(r);
    return x < 0.10 ? RH_TUN_PPTP : x < 0.35 ? RH_TUN_L2TP : x < 0.65 ? RH_TUN_SSTP : RH_TUN_IKEV2;
}

static rh_auth pick_auth(rng *r, rh_tunnel t)
{
    double x = uniform(r);
    if (t == RH_TUN_IKEV2)
        return x < 0.3 ? RH_AUTH_CERT : x < 0.85 ? RH_AUTH_EAP_PEAP : RH_AUTH_EAP_TLS;
    return x < 0.6 ? RH_AUTH_MSCHAPV2 : x < 0.9 ? RH_AUTH_EAP_PEAP : RH_AUTH_EAP_TLS;
}

static void set_traffic(rh_session *s, rng *r, bool storm)
{
    double d = storm ? lognormal(r, 60, 1.0) : lognormal(r, 1200, 1.4);
    if (d < 1)
        d = 1;
    if (d > 30 * 86400.0)
        d = 30 * 86400.0;
    s->duration_s = (uint32_t)d;
    double down = lognormal(r, 20000, 1.2) * d;
    if (chance(r, 0.015))
        down = (4.1 + uniform(r) * 36) * 1073741824.0;
    double up = down * (0.05 + uniform(r) * 0.35);
    if (chance(r, 0.005))
        up = (4.1 + uniform(r) * 8) * 1073741824.0;
    s->bytes_out = (uint64_t)down;
    s->bytes_in = (uint64_t)up;
}

static uint32_t ipv4(unsigned a, unsigned b, unsigned c, unsigned d)
{
    return (uint32_t)a | (uint32_t)b << 8 | (uint32_t)c << 16 | (uint32_t)d << 24;
}

static void set_addresses(rh_session *s, rng *r)
{
    uint64_t i = s->index;
    s->ipv4_offer = ipv4(10, 8 + (unsigned)((i / 64000) % 8), (unsigned)((i / 250) % 256),
                         2 + (unsigned)(i % 250));
    s->server_ipv4 = ipv4(10, 8, 0, 1);
    s->endpoint_ipv4 = chance(r, 0.5) ? ipv4(203, 0, 113, 1 + (unsigned)(next_u64(r) % 254))
                                      : ipv4(198, 51, 100, 1 + (unsigned)(next_u64(r) % 254));
    static const uint8_t prefix[4] = {0x20, 0x01, 0x0d, 0xb8};
    memcpy(s->ipv6_prefix, prefix, 4);
    s->ipv6_prefix[4] = (uint8_t)(i >> 24);
    s->ipv6_prefix[5] = (uint8_t)(i >> 16);
    s->ipv6_prefix[6] = (uint8_t)(i >> 8);
    s->ipv6_prefix[7] = (uint8_t)i;
    uint64_t iid = next_u64(r);
    memcpy(s->ipv6_iid_offer, &iid, 8);
    s->ipv6_iid_offer[0] &= 0xFD; /* universal/local bit clear: a random IID */
}

static void set_guid(rh_session *s, rng *r)
{
    uint64_t a = next_u64(r), b = next_u64(r);
    memcpy(&s->guid, &a, 8);
    memcpy((char *)&s->guid + 8, &b, 8);
    s->guid.Data3 = (uint16_t)((s->guid.Data3 & 0x0FFF) | 0x4000);
    s->guid.Data4[0] = (uint8_t)((s->guid.Data4[0] & 0x3F) | 0x80);
}

/* Session w->first + k; in a storm, workload session k is user k mod N, so
 * every round brings the same users back. */
static void generate(const rh_workload *w, uint64_t k, rh_session *s)
{
    uint64_t index = w->first + k;
    rng r = stream(w->seed, index);
    memset(s, 0, sizeof *s);
    s->index = index;
    unsigned users = w->users ? w->users : 1;
    unsigned u = w->storm ? (unsigned)(k % users) : pick_user(&r, users);
    set_user(s, w, &r, u);
    s->tunnel = pick_tunnel(&r);
    s->auth = pick_auth(&r, s->tunnel);
    s->links = 1;
    bool ppp_multilink = s->tunnel == RH_TUN_PPTP || s->tunnel == RH_TUN_L2TP;
    if (ppp_multilink && chance(&r, 0.05))
        s->links = chance(&r, 0.3) ? 3 : 2;
    s->reauths = chance(&r, 0.04) ? (chance(&r, 0.25) ? 2 : 1) : 0;
    s->ipv6 = chance(&r, 0.4);
    s->abort_after_ip = !w->storm && chance(&r, 0.02);
    set_traffic(s, &r, w->storm);
    set_addresses(s, &r);
    set_guid(s, &r);
}

/* A scenario row overrides the generated session field by field. */
static void apply_row(rh_session *s, const rh_session *row)
{
    uint32_t g = row->given;
    if (g & RH_GIVEN_USER) {
        memcpy(s->user, row->user, sizeof s->user);
        s->user_units = row->user_units;
    }
    if (g & RH_GIVEN_TUNNEL) {
        s->tunnel = row->tunnel;
        if (!(g & RH_GIVEN_AUTH))
            s->auth = s->tunnel == RH_TUN_IKEV2 ? RH_AUTH_EAP_PEAP : RH_AUTH_MSCHAPV2;
        if (!(g & RH_GIVEN_LINKS) && s->tunnel != RH_TUN_PPTP && s->tunnel != RH_TUN_L2TP)
            s->links = 1;
    }
    if (g & RH_GIVEN_AUTH)
        s->auth = row->auth;
    if (g & RH_GIVEN_LINKS) {
        s->links = row->links;
        if (s->links > 1 && !(g & RH_GIVEN_TUNNEL) && s->tunnel != RH_TUN_PPTP &&
            s->tunnel != RH_TUN_L2TP)
            s->tunnel = RH_TUN_L2TP; /* multilink is a PPP feature */
    }
    if (g & RH_GIVEN_REAUTHS)
        s->reauths = row->reauths;
    if (g & RH_GIVEN_IPV6)
        s->ipv6 = row->ipv6;
    if (g & RH_GIVEN_ABORT)
        s->abort_after_ip = row->abort_after_ip;
    if (g & RH_GIVEN_DURATION)
        s->duration_s = row->duration_s;
    if (g & RH_GIVEN_BYTES_IN)
        s->bytes_in = row->bytes_in;
    if (g & RH_GIVEN_BYTES_OUT)
        s->bytes_out = row->bytes_out;
    if (g & RH_GIVEN_IPV4)
        s->ipv4_offer = row->ipv4_offer;
    if (g & RH_GIVEN_START)
        s->start_ms = row->start_ms;
    s->given = g;
}

bool rh_workload_get(const rh_workload *w, uint64_t index, rh_session *out)
{
    if (index >= w->limit)
        return false;
    if (w->rows && index >= w->n_rows)
        return false;
    generate(w, index, out);
    if (w->rows)
        apply_row(out, &w->rows[index]);
    return true;
}

void rh_session_port_name(const rh_session *s, unsigned link, wchar_t out[17])
{
    /* VPN1 PPTP, VPN2 L2TP, VPN3 SSTP, VPN4 IKEv2; numbered per session
     * and link (never reused, so records of different sessions differ). */
    char tmp[32];
    unsigned long long n = (unsigned long long)(s->index * RH_MAX_LINKS + link) % 100000000000ull;
    int len = snprintf(tmp, sizeof tmp, "VPN%u-%llu", (unsigned)s->tunnel + 1, n);
    for (int i = 0; i <= len && i < 17; i++)
        out[i] = (wchar_t)tmp[i];
    out[16] = 0;
}

uint64_t rh_session_handle(const rh_session *s)
{
    return 0x40000000ull + s->index * 4;
}

uint64_t rh_session_port_handle(const rh_session *s, unsigned link)
{
    return 0x2000000ull + s->index * RH_MAX_LINKS + link;
}
