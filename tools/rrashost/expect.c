/*
 * expect.c - what rastap must have written for each call into it.
 *
 * Computed from the very structures passed to the DLL, before the call, by
 * code that shares nothing with rastap (so a conversion bug there is not
 * mirrored here). Strings follow event-schema.md: at most the array's
 * length, up to the first NUL, unpaired surrogates as U+FFFD.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "run.h"
#include "vec.h"

size_t rh_put_utf8(char *o, uint32_t cp)
{
    if (cp < 0x80) {
        o[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (char)(0xC0 | cp >> 6);
        o[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (char)(0xE0 | cp >> 12);
        o[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        o[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (char)(0xF0 | cp >> 18);
    o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    o[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

char *rh_utf16_to_utf8(const uint16_t *s, size_t max_units)
{
    char *out = rh_xrealloc(NULL, max_units * 3 + 1);
    size_t o = 0;
    for (size_t i = 0; i < max_units && s[i]; i++) {
        uint32_t u = s[i];
        uint32_t cp = u;
        if (u >= 0xD800 && u <= 0xDBFF && i + 1 < max_units && s[i + 1] >= 0xDC00 &&
            s[i + 1] <= 0xDFFF) {
            cp = 0x10000 + ((u - 0xD800) << 10) + (s[i + 1] - 0xDC00u);
            i++;
        } else if (u >= 0xD800 && u <= 0xDFFF) {
            cp = 0xFFFD;
        }
        o += rh_put_utf8(out + o, cp);
    }
    out[o] = 0;
    return out;
}

void rh_ctx_init(rh_ctx *ctx, rh_host *host, unsigned id, bool record_expect)
{
    memset(ctx, 0, sizeof *ctx);
    ctx->host = host;
    ctx->id = id;
    ctx->record_expect = record_expect;
    ctx->rng = 0x243F6A8885A308D3ull ^ ((uint64_t)id << 32);
}

static size_t push(rh_ctx *ctx, rh_callout co)
{
    rh_expect_list *l = &ctx->expect;
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 1024;
        l->v = rh_xrealloc(l->v, l->cap * sizeof *l->v);
    }
    rh_expect *e = &l->v[l->n];
    memset(e, 0, sizeof *e);
    e->co = co;
    e->decision = -1;
    return l->n++;
}

static uint32_t parse_ipv4w(const WCHAR *w)
{
    unsigned part[4] = {0};
    unsigned k = 0;
    for (size_t i = 0; i < 16 && w[i] && k < 4; i++) {
        if (w[i] == '.')
            k++;
        else
            part[k] = part[k] * 10 + (unsigned)(w[i] - '0');
    }
    if (!w[0])
        return 0;
    return part[0] | part[1] << 8 | part[2] << 16 | part[3] << 24;
}

static void port_utf8(char dst[24], const WCHAR *port)
{
    char *p = rh_utf16_to_utf8((const uint16_t *)port, 17);
    snprintf(dst, 24, "%s", p);
    free(p);
}

size_t rh_expect_conn(rh_ctx *ctx, rh_callout co, const rh_conn_view *v,
                      const rh_conn_structs *st)
{
    size_t i = push(ctx, co);
    rh_expect *e = rh_expect_at(ctx, i);
    bool ex = co == RH_CO_ACCEPT_CONN_EX || co == RH_CO_HANGUP_EX || co == RH_CO_REAUTH_EX;
    bool v3 = co == RH_CO_ACCEPT_CONN3 || co == RH_CO_HANGUP3 || co == RH_CO_REAUTH;
    e->handle = rh_session_handle(v->s);
    e->user = rh_utf16_to_utf8((const uint16_t *)(ex ? st->ex.wszUserName : st->c0.wszUserName),
                               RH_USER_UNITS);
    e->has_bytes = true;
    e->bytes_in = ex ? st->ex.dwBytesRcved : st->c1.dwBytesRcved;
    e->bytes_out = ex ? st->ex.dwBytesXmited : st->c1.dwBytesXmited;
    e->client_ipv4 = parse_ipv4w(st->c1.PppInfo.ip.wszRemoteAddress);
    e->server_ipv4 = parse_ipv4w(st->c1.PppInfo.ip.wszAddress);
    if ((ex || v3) && v->has_ipv6) {
        e->has_ipv6 = true;
        memcpy(e->client_ipv6, v->s->ipv6_prefix, 8);
        memcpy(e->client_ipv6 + 8, v->ipv6_iid, 8);
    }
    return i;
}

size_t rh_expect_link(rh_ctx *ctx, rh_callout co, const rh_port_structs *p)
{
    size_t i = push(ctx, co);
    rh_expect *e = rh_expect_at(ctx, i);
    e->handle = (uint64_t)(uintptr_t)p->p0.hConnection;
    port_utf8(e->port, p->p0.wszPortName);
    e->has_bytes = true;
    e->bytes_in = p->p1.dwBytesRcved;
    e->bytes_out = p->p1.dwBytesXmited;
    return i;
}

size_t rh_expect_ip(rh_ctx *ctx, rh_callout co, const WCHAR *user, const WCHAR *port)
{
    size_t i = push(ctx, co);
    rh_expect *e = rh_expect_at(ctx, i);
    e->user = rh_utf16_to_utf8((const uint16_t *)user, RH_USER_UNITS);
    port_utf8(e->port, port);
    return i;
}

size_t rh_expect_plain(rh_ctx *ctx, rh_callout co)
{
    return push(ctx, co);
}

void rh_expect_append(rh_expect_list *dst, rh_expect_list *src)
{
    void *dv = dst->v, *sv = src->v;
    rh_vec_append(&dv, &dst->n, &dst->cap, &sv, &src->n, &src->cap, sizeof *dst->v);
    dst->v = dv;
    src->v = sv;
}

void rh_expect_free(rh_expect_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i].user);
    free(l->v);
    l->v = NULL;
    l->n = l->cap = 0;
}
