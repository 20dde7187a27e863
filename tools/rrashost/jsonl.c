/*
 * jsonl.c - a strict little JSON reader for rastap's records, and the
 * escaping rrashost itself uses when it prints names.
 *
 * Only the top-level members the audit needs are kept; nested objects and
 * arrays are skipped. Strict where it matters for the audit: raw control
 * characters inside strings and malformed escapes make the line invalid
 * (event-schema.md requires them escaped).
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"

typedef struct cur {
    const char *s;
    size_t i, n;
    char *tmp; /* decoded string scratch, n + 1 bytes */
} cur;

static void ws(cur *c)
{
    while (c->i < c->n && (c->s[c->i] == ' ' || c->s[c->i] == '\t' || c->s[c->i] == '\r'))
        c->i++;
}

static int hex4(const char *p)
{
    int v = 0;
    for (int k = 0; k < 4; k++) {
        char ch = p[k];
        int d = ch >= '0' && ch <= '9'   ? ch - '0'
                : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10
                : ch >= 'A' && ch <= 'F' ? ch - 'A' + 10
                                         : -1;
        if (d < 0)
            return -1;
        v = v * 16 + d;
    }
    return v;
}


static bool escape(cur *c, size_t *o)
{
    char e = c->s[c->i++];
    const char *simple = "\"\\/bfnrt", *value = "\"\\/\b\f\n\r\t";
    const char *k = strchr(simple, e);
    if (e && k) {
        c->tmp[(*o)++] = value[k - simple];
        return true;
    }
    if (e != 'u' || c->i + 4 > c->n)
        return false;
    int u = hex4(c->s + c->i);
    if (u < 0)
        return false;
    c->i += 4;
    uint32_t cp = (uint32_t)u;
    if (u >= 0xD800 && u <= 0xDBFF && c->i + 6 <= c->n && c->s[c->i] == '\\' &&
        c->s[c->i + 1] == 'u') {
        int lo = hex4(c->s + c->i + 2);
        if (lo >= 0xDC00 && lo <= 0xDFFF) {
            cp = 0x10000 + ((uint32_t)(u - 0xD800) << 10) + (uint32_t)(lo - 0xDC00);
            c->i += 6;
        }
    }
    if (cp >= 0xD800 && cp <= 0xDFFF)
        cp = 0xFFFD; /* an escaped lone surrogate is not text */
    *o += rh_put_utf8(c->tmp + *o, cp);
    return true;
}

/* Decodes a string at c->i (on the quote) into c->tmp. */
static bool string(cur *c)
{
    size_t o = 0;
    c->i++;
    while (c->i < c->n) {
        unsigned char ch = (unsigned char)c->s[c->i++];
        if (ch == '"') {
            c->tmp[o] = 0;
            return true;
        }
        if (ch < 0x20)
            return false;
        if (ch == '\\') {
            if (c->i >= c->n || !escape(c, &o))
                return false;
        } else {
            c->tmp[o++] = (char)ch;
        }
    }
    return false;
}

static bool skip_nested(cur *c)
{
    int depth = 0;
    while (c->i < c->n) {
        char ch = c->s[c->i];
        if (ch == '"') {
            if (!string(c))
                return false;
            continue;
        }
        c->i++;
        if (ch == '{' || ch == '[')
            depth++;
        else if ((ch == '}' || ch == ']') && --depth == 0)
            return true;
    }
    return false;
}

static bool number(cur *c, uint64_t *v, bool *integer)
{
    size_t start = c->i;
    *v = 0;
    *integer = true;
    if (c->s[c->i] == '-') {
        *integer = false;
        c->i++;
    }
    while (c->i < c->n && c->s[c->i] >= '0' && c->s[c->i] <= '9')
        *v = *v * 10 + (uint64_t)(c->s[c->i++] - '0');
    while (c->i < c->n && strchr(".eE+-0123456789", c->s[c->i])) {
        *integer = false;
        c->i++;
    }
    return c->i > start;
}

static void copy(char *dst, size_t cap, const char *src)
{
    size_t n = strlen(src);
    if (n >= cap)
        n = cap - 1;
    memcpy(dst, src, n);
    dst[n] = 0;
}

#define FIELD(name, bit, arr)                                                                     \
    if (strcmp(key, name) == 0) {                                                                 \
        copy(r->arr, sizeof r->arr, val);                                                         \
        r->has |= bit;                                                                            \
        return;                                                                                   \
    }

static void set_string(rh_record *r, const char *key, const char *val)
{
    FIELD("instance", 0, instance);
    FIELD("time", 0, time);
    FIELD("event", 0, event);
    FIELD("callout", RH_R_CALLOUT, callout);
    FIELD("port", RH_R_PORT, port);
    FIELD("decision", RH_R_DECISION, decision);
    FIELD("client_ipv4", RH_R_CLIENT_IPV4, client_ipv4);
    FIELD("server_ipv4", RH_R_SERVER_IPV4, server_ipv4);
    FIELD("client_ipv6", RH_R_CLIENT_IPV6, client_ipv6);
    FIELD("ipv4", RH_R_IPV4, ipv4);
    FIELD("ipv6_iid", RH_R_IPV6_IID, ipv6_iid);
    if (strcmp(key, "user") == 0) {
        free(r->user);
        r->user = malloc(strlen(val) + 1);
        if (r->user) {
            strcpy(r->user, val);
            r->has |= RH_R_USER;
        }
    } else if (strcmp(key, "connection") == 0 && val[0] == '0' && val[1] == 'x') {
        r->connection = strtoull(val + 2, NULL, 16);
        r->has |= RH_R_CONNECTION;
    }
}

static void set_number(rh_record *r, const char *key, uint64_t v)
{
    static const struct {
        const char *name;
        uint32_t bit;
        size_t off;
    } map[] = {
        {"seq", RH_R_SEQ, offsetof(rh_record, seq)},
        {"pid", RH_R_PID, offsetof(rh_record, pid)},
        {"bytes_in", RH_R_BYTES_IN, offsetof(rh_record, bytes_in)},
        {"bytes_out", RH_R_BYTES_OUT, offsetof(rh_record, bytes_out)},
        {"count", RH_R_COUNT, offsetof(rh_record, count)},
    };
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (strcmp(key, map[i].name) == 0) {
            memcpy((char *)r + map[i].off, &v, sizeof v);
            r->has |= map[i].bit;
        }
}

static bool member(cur *c, rh_record *r, char *key, size_t key_cap)
{
    ws(c);
    if (c->i >= c->n || c->s[c->i] != '"' || !string(c))
        return false;
    copy(key, key_cap, c->tmp);
    ws(c);
    if (c->i >= c->n || c->s[c->i++] != ':')
        return false;
    ws(c);
    if (c->i >= c->n)
        return false;
    char ch = c->s[c->i];
    if (ch == '"') {
        if (!string(c))
            return false;
        set_string(r, key, c->tmp);
    } else if (ch == '{' || ch == '[') {
        return skip_nested(c);
    } else if (ch == '-' || (ch >= '0' && ch <= '9')) {
        uint64_t v;
        bool integer;
        if (!number(c, &v, &integer))
            return false;
        if (integer)
            set_number(r, key, v);
    } else {
        static const char *lits[] = {"true", "false", "null"};
        for (size_t k = 0; k < 3; k++) {
            size_t l = strlen(lits[k]);
            if (c->i + l <= c->n && strncmp(c->s + c->i, lits[k], l) == 0) {
                c->i += l;
                return true;
            }
        }
        return false;
    }
    return true;
}

bool rh_record_parse(const char *line, size_t len, rh_record *r)
{
    memset(r, 0, sizeof *r);
    cur c = {.s = line, .i = 0, .n = len, .tmp = malloc(len + 1)};
    char key[64];
    bool ok = false;
    if (!c.tmp)
        return false;
    ws(&c);
    if (c.i >= c.n || line[c.i++] != '{')
        goto cleanup;
    ws(&c);
    if (c.i < c.n && line[c.i] == '}') {
        ok = true;
        goto cleanup;
    }
    for (;;) {
        if (!member(&c, r, key, sizeof key))
            goto cleanup;
        ws(&c);
        if (c.i >= c.n)
            goto cleanup;
        char ch = line[c.i++];
        if (ch == '}')
            break;
        if (ch != ',')
            goto cleanup;
    }
    ws(&c);
    ok = c.i == c.n;
cleanup:
    free(c.tmp);
    if (!ok)
        rh_record_free(r);
    return ok;
}

void rh_record_free(rh_record *r)
{
    free(r->user);
    r->user = NULL;
}
