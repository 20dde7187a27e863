/*
 * audit_match.c - pairs rastap's records with the calls rrashost made.
 */
#include <stdlib.h>
#include <string.h>

#include "audit.h"

#define SHOW 10

typedef struct keyed {
    uint64_t key;
    size_t idx;
} keyed;

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * 1099511628211ull;
    return h;
}

static uint64_t key_for(rh_callout co, uint64_t handle, const char *port)
{
    uint32_t c = (uint32_t)co;
    uint64_t h = fnv(1469598103934665603ull, &c, sizeof c);
    switch (rh_callout_class(co)) {
    case RH_CL_CONN_ACCEPT:
    case RH_CL_CONN_HANGUP:
    case RH_CL_REAUTH:
        return fnv(h, &handle, sizeof handle);
    case RH_CL_LINK_ACCEPT:
    case RH_CL_LINK_HANGUP:
        h = fnv(h, &handle, sizeof handle);
        return fnv(h, port, strlen(port));
    case RH_CL_IP:
    case RH_CL_IPV6:
        return fnv(h, port, strlen(port));
    default:
        return h;
    }
}

static int callout_of(const char *name)
{
    for (int c = 0; c < RH_CO_COUNT; c++)
        if (strcmp(rh_callout_name((rh_callout)c), name) == 0)
            return c;
    return -1;
}

static int by_key(const void *a, const void *b)
{
    const keyed *x = a, *y = b;
    if (x->key != y->key)
        return x->key < y->key ? -1 : 1;
    return x->idx < y->idx ? -1 : x->idx > y->idx;
}

static void diff(char *why, size_t cap, const char *field, const char *detail)
{
    size_t len = strlen(why);
    snprintf(why + len, cap - len, "%s%s%s", len ? ", " : "", field, detail);
}

static void check_addresses(const rh_expect *e, const rh_record *r, char *why, size_t cap)
{
    uint32_t v4;
    uint8_t v6[16];
    if (e->client_ipv4 && !((r->has & RH_R_CLIENT_IPV4) && rh_parse_ipv4(r->client_ipv4, &v4) &&
                            v4 == e->client_ipv4))
        diff(why, cap, "client_ipv4", (r->has & RH_R_CLIENT_IPV4) ? " differs" : " absent");
    if (e->server_ipv4 && (r->has & RH_R_SERVER_IPV4) &&
        !(rh_parse_ipv4(r->server_ipv4, &v4) && v4 == e->server_ipv4))
        diff(why, cap, "server_ipv4", " differs");
    if (e->has_ipv6 && !((r->has & RH_R_CLIENT_IPV6) && rh_parse_ipv6(r->client_ipv6, v6) &&
                         memcmp(v6, e->client_ipv6, 16) == 0))
        diff(why, cap, "client_ipv6", (r->has & RH_R_CLIENT_IPV6) ? " differs" : " absent");
    if (!e->has_ipv6 && (r->has & RH_R_CLIENT_IPV6))
        diff(why, cap, "client_ipv6", " present but none was negotiated");
    if (e->ipv4 && !((r->has & RH_R_IPV4) && rh_parse_ipv4(r->ipv4, &v4) && v4 == e->ipv4))
        diff(why, cap, "ipv4", (r->has & RH_R_IPV4) ? " differs" : " absent");
    if (e->has_iid) {
        char text[64];
        snprintf(text, sizeof text, "::%s", r->ipv6_iid);
        if (!((r->has & RH_R_IPV6_IID) && rh_parse_ipv6(text, v6) &&
              memcmp(v6 + 8, e->iid, 8) == 0))
            diff(why, cap, "ipv6_iid", (r->has & RH_R_IPV6_IID) ? " differs" : " absent");
    }
}

/* Empty why: the record says what the call carried. */
static void compare(const rh_expect *e, const rh_record *r, char *why, size_t cap)
{
    why[0] = 0;
    rh_class cl = rh_callout_class(e->co);
    bool stop = cl == RH_CL_CONN_HANGUP || cl == RH_CL_LINK_HANGUP;
    /* an empty string is written as an absent field (event-schema.md) */
    if (e->user && e->user[0] && !((r->has & RH_R_USER) && strcmp(r->user, e->user) == 0))
        diff(why, cap, "user", (r->has & RH_R_USER) ? " differs" : " absent");
    if (e->user && !e->user[0] && (r->has & RH_R_USER) && r->user[0])
        diff(why, cap, "user", " present, the name was empty");
    if (e->port[0] && !((r->has & RH_R_PORT) && strcmp(r->port, e->port) == 0))
        diff(why, cap, "port", (r->has & RH_R_PORT) ? " differs" : " absent");
    if (e->has_bytes) {
        if ((r->has & RH_R_BYTES_IN) ? r->bytes_in != e->bytes_in : stop)
            diff(why, cap, "bytes_in", (r->has & RH_R_BYTES_IN) ? " differs" : " absent");
        if ((r->has & RH_R_BYTES_OUT) ? r->bytes_out != e->bytes_out : stop)
            diff(why, cap, "bytes_out", (r->has & RH_R_BYTES_OUT) ? " differs" : " absent");
    }
    if (e->decision >= 0) {
        const char *want = e->decision ? "accept" : "reject";
        if (!((r->has & RH_R_DECISION) && strcmp(r->decision, want) == 0))
            diff(why, cap, "decision", (r->has & RH_R_DECISION) ? " differs" : " absent");
    }
    check_addresses(e, r, why, cap);
}

static void describe(const rh_expect *e)
{
    printf("%s", rh_callout_name(e->co));
    if (e->handle)
        printf(" connection=0x%llx", (unsigned long long)e->handle);
    if (e->port[0])
        printf(" port=%s", e->port);
    if (e->user) {
        printf(" user=");
        rh_json_str(stdout, e->user);
    }
}

/* First unmatched call under this key, preferring one whose content fits. */
static void pair(rh_expect_list *exp, const keyed *ks, size_t nk, const rh_record *r,
                 rh_callout co, rh_audit_result *res, bool quiet)
{
    keyed probe = {key_for(co, r->connection, (r->has & RH_R_PORT) ? r->port : ""), 0};
    size_t lo = 0, hi = nk;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (ks[mid].key < probe.key)
            lo = mid + 1;
        else
            hi = mid;
    }
    char why[256];
    rh_expect *first_free = NULL;
    bool any = false;
    for (size_t i = lo; i < nk && ks[i].key == probe.key; i++) {
        rh_expect *e = &exp->v[ks[i].idx];
        if (e->co != co)
            continue;
        any = true;
        if (e->matched)
            continue;
        compare(e, r, why, sizeof why);
        if (!why[0]) {
            e->matched = true;
            res->written++;
            return;
        }
        if (!first_free)
            first_free = e;
    }
    if (first_free) {
        compare(first_free, r, why, sizeof why);
        first_free->matched = true;
        res->written++;
        if (!quiet && res->mismatched < SHOW) {
            printf("  mismatch (seq %llu): ", (unsigned long long)r->seq);
            describe(first_free);
            printf(": %s", why);
            if (r->has & RH_R_USER) {
                printf(" (record's user: ");
                rh_json_str(stdout, r->user);
                printf(")");
            }
            printf("\n");
        }
        res->mismatched++;
    } else if (any) {
        if (!quiet && res->duplicated < SHOW)
            printf("  duplicate (seq %llu): %s connection=0x%llx port=%s\n",
                   (unsigned long long)r->seq, r->callout, (unsigned long long)r->connection,
                   r->port);
        res->duplicated++;
    } else {
        if (!quiet && res->unexpected < SHOW)
            printf("  unexpected (seq %llu): %s connection=0x%llx port=%s\n",
                   (unsigned long long)r->seq, r->callout, (unsigned long long)r->connection,
                   r->port);
        res->unexpected++;
    }
}

void rh_audit_match(rh_expect_list *exp, const rh_record *recs, size_t n, rh_audit_result *res,
                    bool quiet)
{
    keyed *ks = malloc((exp->n ? exp->n : 1) * sizeof *ks);
    if (!ks) {
        fputs("rrashost: out of memory\n", stderr);
        exit(RH_EXIT_USAGE);
    }
    for (size_t i = 0; i < exp->n; i++) {
        ks[i].key = key_for(exp->v[i].co, exp->v[i].handle, exp->v[i].port);
        ks[i].idx = i;
    }
    qsort(ks, exp->n, sizeof *ks, by_key);
    for (size_t i = 0; i < n; i++) {
        const rh_record *r = &recs[i];
        if (strcmp(r->event, "events.dropped") == 0) {
            res->dropped += (r->has & RH_R_COUNT) ? r->count : 0;
            continue;
        }
        if (!(r->has & RH_R_CALLOUT))
            continue; /* config.* and other records the DLL makes itself */
        int co = callout_of(r->callout);
        if (co < 0) {
            if (!quiet && res->unexpected < SHOW)
                printf("  unexpected (seq %llu): unknown callout \"%s\"\n",
                       (unsigned long long)r->seq, r->callout);
            res->unexpected++;
            continue;
        }
        pair(exp, ks, exp->n, r, (rh_callout)co, res, quiet);
    }
    /* Calls without a record. When rastap reported drops, it cannot say
     * which events it dropped, so the list is shown only if more are
     * missing than were reported. */
    for (size_t i = 0; i < exp->n; i++)
        res->missing += !exp->v[i].matched;
    bool show = !quiet && res->missing > res->dropped;
    if (show && res->dropped)
        printf("  %llu calls have no record, %llu of them accounted for by events.dropped; "
               "the first ones:\n",
               (unsigned long long)res->missing, (unsigned long long)res->dropped);
    size_t shown = 0;
    for (size_t i = 0; show && i < exp->n && shown < SHOW; i++) {
        if (exp->v[i].matched)
            continue;
        printf("  missing: ");
        describe(&exp->v[i]);
        printf("\n");
        shown++;
    }
    if (show && res->missing > SHOW)
        printf("  ... and %llu more missing\n", (unsigned long long)(res->missing - SHOW));
    free(ks);
}
