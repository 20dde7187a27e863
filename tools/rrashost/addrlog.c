/*
 * addrlog.c - the address log (addrlog.h has the ordering argument).
 *
 * One line per entry, sorted by `seq`:
 *   {"seq":7,"callout":"MprAdminGetIpAddressForUser","session":3,"user":"u3",
 *    "port":"VPN3-12","offered":"10.8.0.5","ipv4":"10.20.0.1","error":0,"notify":true}
 *   {"seq":9,"callout":"MprAdminReleaseIpv6AddressForUser","session":3,"user":"u3",
 *    "port":"VPN3-12","iid":"1a2b:3c4d:5e6f:7081"}
 *   {"seq":1,"mark":"round","round":1}   {"seq":40,"mark":"hold","sessions":300}
 *   {"seq":41,"mark":"resume"}
 * An address that is 0 (none) is left out, as rastap leaves out absent fields.
 */
#include "addrlog.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "vec.h"

/* relaxed: only the order of the increments matters, and fetch_add on one
 * atomic is totally ordered whatever the memory order */
static atomic_uint_fast64_t next_seq = 1;

uint64_t rh_addr_seq(void)
{
    return atomic_fetch_add_explicit(&next_seq, 1, memory_order_relaxed);
}

rh_addr_entry *rh_addr_push(rh_addr_list *l)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 1024;
        l->v = rh_xrealloc(l->v, l->cap * sizeof *l->v);
    }
    rh_addr_entry *e = &l->v[l->n++];
    memset(e, 0, sizeof *e);
    return e;
}

void rh_addr_mark(rh_addr_list *l, rh_addr_kind kind, uint64_t value)
{
    rh_addr_entry *e = rh_addr_push(l);
    e->kind = (uint8_t)kind;
    e->value = value;
    e->seq = rh_addr_seq();
}

void rh_addr_append(rh_addr_list *dst, rh_addr_list *src)
{
    void *dv = dst->v, *sv = src->v;
    rh_vec_append(&dv, &dst->n, &dst->cap, &sv, &src->n, &src->cap, sizeof *dst->v);
    dst->v = dv;
    src->v = sv;
}

void rh_addr_free(rh_addr_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i].user);
    free(l->v);
    l->v = NULL;
    l->n = l->cap = 0;
}

static int by_seq(const void *a, const void *b)
{
    uint64_t x = ((const rh_addr_entry *)a)->seq, y = ((const rh_addr_entry *)b)->seq;
    return x < y ? -1 : x > y;
}

static void put_ipv4(FILE *f, const char *name, uint32_t a)
{
    if (a)
        fprintf(f, ",\"%s\":\"%u.%u.%u.%u\"", name, a & 255, a >> 8 & 255, a >> 16 & 255,
                a >> 24);
}

/* As rastap's ipv6_iid: four groups of four lowercase hex digits. */
static void put_iid(FILE *f, const char *name, const uint8_t b[8])
{
    static const uint8_t zero[8];
    if (memcmp(b, zero, 8) != 0)
        fprintf(f, ",\"%s\":\"%02x%02x:%02x%02x:%02x%02x:%02x%02x\"", name, b[0], b[1], b[2],
                b[3], b[4], b[5], b[6], b[7]);
}

static void put_call(FILE *f, const rh_addr_entry *e)
{
    bool get = e->co == RH_CO_GET_IP || e->co == RH_CO_GET_IPV6;
    bool v6 = e->co == RH_CO_GET_IPV6 || e->co == RH_CO_RELEASE_IPV6;
    fprintf(f, "{\"seq\":%llu,\"callout\":\"%s\",\"session\":%llu", (unsigned long long)e->seq,
            rh_callout_name((rh_callout)e->co), (unsigned long long)e->value);
    if (e->user) {
        fputs(",\"user\":", f);
        rh_json_str(f, e->user);
    }
    fputs(",\"port\":", f);
    rh_json_str(f, e->port);
    if (v6) {
        put_iid(f, "iid_offered", e->iid_offered);
        put_iid(f, "iid", e->iid);
    } else {
        put_ipv4(f, "offered", e->offered);
        put_ipv4(f, "ipv4", e->ipv4);
    }
    if (get)
        fprintf(f, ",\"error\":%lu,\"notify\":%s", (unsigned long)e->error,
                e->notify ? "true" : "false");
    fputs("}\n", f);
}

bool rh_addr_write(const wchar_t *path, rh_addr_list *l)
{
    FILE *f = _wfopen(path, L"wb");
    if (!f)
        return false;
    qsort(l->v, l->n, sizeof *l->v, by_seq);
    for (size_t i = 0; i < l->n; i++) {
        const rh_addr_entry *e = &l->v[i];
        switch (e->kind) {
        case RH_AL_CALL: put_call(f, e); break;
        case RH_AL_ROUND:
            fprintf(f, "{\"seq\":%llu,\"mark\":\"round\",\"round\":%llu}\n",
                    (unsigned long long)e->seq, (unsigned long long)e->value);
            break;
        case RH_AL_HOLD:
            fprintf(f, "{\"seq\":%llu,\"mark\":\"hold\",\"sessions\":%llu}\n",
                    (unsigned long long)e->seq, (unsigned long long)e->value);
            break;
        default:
            fprintf(f, "{\"seq\":%llu,\"mark\":\"resume\"}\n", (unsigned long long)e->seq);
            break;
        }
    }
    return fclose(f) == 0;
}
