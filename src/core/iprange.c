/*
 * iprange.c - parsing of address settings and IPv4 range sets (iprange.h).
 *
 * Every parser walks an explicit [s, s + n) span with an index that is
 * checked before each read; there is no call that relies on a terminator.
 * Numbers are accumulated with an explicit digit limit, so no input can
 * overflow them.
 */
#include "iprange.h"

#include <stdlib.h>
#include <string.h>

#include "error.h"

static bool is_space(rt_wchar c)
{
    return c == ' ' || c == '\t';
}

static bool is_digit(rt_wchar c)
{
    return c >= '0' && c <= '9';
}

void rt_ipline_trim(const rt_wchar **s, size_t *n)
{
    while (*n > 0 && is_space((*s)[0])) {
        (*s)++;
        (*n)--;
    }
    while (*n > 0 && is_space((*s)[*n - 1]))
        (*n)--;
}

bool rt_ipline_is_blank(const rt_wchar *s, size_t n)
{
    rt_ipline_trim(&s, &n);
    return n == 0 || s[0] == '#' || s[0] == ';';
}

/* Decimal 0..max at s[*i], at most `digits` digits, no leading zero. */
static bool parse_dec(const rt_wchar *s, size_t n, size_t *i, unsigned digits, uint32_t max,
                      uint32_t *out, const char **why)
{
    size_t start = *i;
    uint32_t v = 0;
    while (*i < n && is_digit(s[*i])) {
        if (*i - start == digits) {
            *why = "number too long";
            return false;
        }
        v = v * 10u + (uint32_t)(s[*i] - '0');
        (*i)++;
    }
    if (*i == start) {
        *why = "a number is missing";
        return false;
    }
    if (*i - start > 1 && s[start] == '0') {
        *why = "leading zero (ambiguous: octal to some tools)";
        return false;
    }
    if (v > max) {
        *why = max == 255 ? "octet above 255" : "prefix length above 32";
        return false;
    }
    *out = v;
    return true;
}

/* A dotted quad starting at s[*i]; stops after the fourth octet. */
static bool parse_quad(const rt_wchar *s, size_t n, size_t *i, uint32_t *addr, const char **why)
{
    uint32_t a = 0;
    for (int k = 0; k < 4; k++) {
        uint32_t octet;
        if (k > 0) {
            if (*i >= n || s[*i] != '.') {
                *why = "an IPv4 address has four dot-separated parts";
                return false;
            }
            (*i)++;
        }
        if (!parse_dec(s, n, i, 3, 255, &octet, why))
            return false;
        a = a << 8 | octet;
    }
    *addr = a;
    return true;
}

int rt_ipv4_parse(const rt_wchar *s, size_t n, uint32_t *addr, const char **why)
{
    size_t i = 0;
    const char *dummy;
    if (!why)
        why = &dummy;
    if (!s || !addr) {
        *why = "missing";
        return RT_EINVAL;
    }
    if (!parse_quad(s, n, &i, addr, why))
        return RT_EPARSE;
    if (i != n) {
        *why = "unexpected characters after the address";
        return RT_EPARSE;
    }
    return RT_OK;
}

bool rt_ipv4_usable(uint32_t addr)
{
    uint32_t first = addr >> 24;
    return first != 0 && first != 127 && first < 224;
}

static int parse_cidr(const rt_wchar *s, size_t n, size_t i, uint32_t net, bool pool,
                      rt_ipv4_range *out, const char **why)
{
    uint32_t p;
    if (!parse_dec(s, n, &i, 2, 32, &p, why))
        return RT_EPARSE;
    if (i != n) {
        *why = "unexpected characters after the prefix length";
        return RT_EPARSE;
    }
    uint32_t mask = p == 0 ? 0 : ~(uint32_t)0 << (32 - p);
    if (net & ~mask) {
        *why = "host bits set after the prefix (write the network address)";
        return RT_EPARSE;
    }
    out->lo = net;
    out->hi = net | ~mask;
    if (pool && p <= 30) { /* network and broadcast addresses are not for clients */
        out->lo++;
        out->hi--;
    }
    return RT_OK;
}

int rt_ipv4_parse_item(const rt_wchar *s, size_t n, bool usable_only, rt_ipv4_range *out,
                       const char **why)
{
    const char *dummy;
    if (!why)
        why = &dummy;
    if (!s || !out) {
        *why = "missing";
        return RT_EINVAL;
    }
    rt_ipline_trim(&s, &n);
    size_t i = 0;
    uint32_t a, b;
    if (n == 0) {
        *why = "empty item";
        return RT_EPARSE;
    }
    if (!parse_quad(s, n, &i, &a, why))
        return RT_EPARSE;
    while (i < n && is_space(s[i]))
        i++;
    if (i == n) {
        out->lo = out->hi = a;
    } else if (s[i] == '/') {
        int rc = parse_cidr(s, n, i + 1, a, usable_only, out, why);
        if (rc != RT_OK)
            return rc;
    } else if (s[i] == '-') {
        i++;
        while (i < n && is_space(s[i]))
            i++;
        if (!parse_quad(s, n, &i, &b, why))
            return RT_EPARSE;
        if (i != n) {
            *why = "unexpected characters after the range";
            return RT_EPARSE;
        }
        if (b < a) {
            *why = "range ends before it starts";
            return RT_EPARSE;
        }
        out->lo = a;
        out->hi = b;
    } else {
        *why = "expected an address, a range a-b or a block a/prefix";
        return RT_EPARSE;
    }
    /* The unusable blocks are whole /8s or larger and aligned, so a range
     * avoids all of them iff its two ends and every /8 between do. */
    if (usable_only) {
        for (uint32_t top = out->lo >> 24; top <= out->hi >> 24; top++) {
            if (!rt_ipv4_usable(top << 24)) {
                *why = "includes addresses no client can use (0/8, 127/8, 224/3)";
                return RT_EPARSE;
            }
        }
    }
    return RT_OK;
}

int rt_ipline_split(const rt_wchar *s, size_t n, const rt_wchar **name, size_t *name_len,
                    const rt_wchar **value, size_t *value_len, const char **why)
{
    const char *dummy;
    if (!why)
        why = &dummy;
    if (!s || !name || !name_len || !value || !value_len) {
        *why = "missing";
        return RT_EINVAL;
    }
    size_t eq = n;
    for (size_t i = n; i > 0; i--) {
        if (s[i - 1] == '=') {
            eq = i - 1;
            break;
        }
    }
    if (eq == n) {
        *why = "expected name=value";
        return RT_EPARSE;
    }
    const rt_wchar *nm = s, *val = s + eq + 1;
    size_t nl = eq, vl = n - eq - 1;
    rt_ipline_trim(&nm, &nl);
    rt_ipline_trim(&val, &vl);
    if (nl == 0) {
        *why = "the name before '=' is empty";
        return RT_EPARSE;
    }
    if (nl > RT_IPRANGE_NAME_MAX) {
        *why = "name longer than 256 characters";
        return RT_EPARSE;
    }
    for (size_t i = 0; i < nl; i++) {
        if (nm[i] < 0x20 || nm[i] == 0x7F || nm[i] == '=') {
            *why = "name contains a control character or '='";
            return RT_EPARSE;
        }
    }
    if (vl == 0) {
        *why = "the value after '=' is empty";
        return RT_EPARSE;
    }
    *name = nm;
    *name_len = nl;
    *value = val;
    *value_len = vl;
    return RT_OK;
}

static rt_wchar unit_at(const unsigned char *p, size_t i)
{
    return (rt_wchar)(p[2 * i] | (unsigned)p[2 * i + 1] << 8); /* UTF-16LE */
}

int rt_regstr_next(const void *data, size_t size, bool multi, size_t *pos, rt_wchar *line,
                   size_t cap, size_t *len, const char **why)
{
    const char *dummy;
    if (!why)
        why = &dummy;
    if (!pos || !line || !len || cap == 0 || (size && !data)) {
        *why = "missing";
        return RT_EINVAL;
    }
    if (size % 2) {
        *why = "odd number of bytes: not UTF-16";
        return RT_EPARSE;
    }
    const unsigned char *p = data;
    size_t units = size / 2, i = *pos;
    if (i >= units)
        return 0;
    size_t start = i;
    while (i < units && unit_at(p, i) != 0)
        i++;
    size_t n = i - start;
    if (n == 0 && !multi) { /* an empty REG_SZ */
        *pos = units;
        return 0;
    }
    if (n == 0) { /* the empty string that ends a list */
        for (size_t k = i; k < units; k++) {
            if (unit_at(p, k) != 0) {
                *why = "data after the end of the list";
                *pos = units;
                return RT_EPARSE;
            }
        }
        *pos = units;
        return 0;
    }
    if (n > cap) {
        *why = "line too long";
        *pos = multi ? i + 1 : units;
        return RT_ERANGE;
    }
    for (size_t k = 0; k < n; k++)
        line[k] = unit_at(p, start + k);
    *len = n;
    /* REG_SZ: one string; whatever follows its NUL is ignored, as Windows does. */
    *pos = multi ? i + 1 : units;
    return 1;
}

/* ---------------------------------------------------------------- sets */

int rt_ipv4_set_add(rt_ipv4_set *s, rt_ipv4_range r)
{
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 16;
        if (cap > SIZE_MAX / sizeof *s->r)
            return RT_ENOMEM;
        rt_ipv4_range *p = realloc(s->r, cap * sizeof *p);
        if (!p)
            return RT_ENOMEM;
        s->r = p;
        s->cap = cap;
    }
    s->r[s->n++] = r;
    s->sorted = false;
    return RT_OK;
}

static int cmp_range(const void *a, const void *b)
{
    const rt_ipv4_range *x = a, *y = b;
    return x->lo < y->lo ? -1 : x->lo > y->lo;
}

void rt_ipv4_set_normalize(rt_ipv4_set *s)
{
    if (s->n > 1)
        qsort(s->r, s->n, sizeof *s->r, cmp_range);
    size_t out = 0;
    for (size_t i = 0; i < s->n; i++) {
        if (out > 0 && (s->r[out - 1].hi == UINT32_MAX || s->r[i].lo <= s->r[out - 1].hi + 1)) {
            if (s->r[i].hi > s->r[out - 1].hi)
                s->r[out - 1].hi = s->r[i].hi;
        } else {
            s->r[out++] = s->r[i];
        }
    }
    s->n = out;
    s->sorted = true;
}

int rt_ipv4_set_subtract(rt_ipv4_set *a, const rt_ipv4_set *b)
{
    rt_ipv4_set out = {0};
    size_t j = 0;
    for (size_t i = 0; i < a->n; i++) {
        uint64_t lo = a->r[i].lo, hi = a->r[i].hi;
        while (j < b->n && b->r[j].hi < lo)
            j++;
        for (size_t k = j; k < b->n && b->r[k].lo <= hi && lo <= hi; k++) {
            if (b->r[k].lo > lo) {
                rt_ipv4_range piece = {(uint32_t)lo, b->r[k].lo - 1};
                if (rt_ipv4_set_add(&out, piece) != RT_OK)
                    goto fail;
            }
            lo = (uint64_t)b->r[k].hi + 1;
        }
        if (lo <= hi && rt_ipv4_set_add(&out, (rt_ipv4_range){(uint32_t)lo, (uint32_t)hi}) != RT_OK)
            goto fail;
    }
    free(a->r);
    *a = out;
    a->sorted = true;
    return RT_OK;
fail:
    rt_ipv4_set_free(&out);
    return RT_ENOMEM;
}

uint64_t rt_ipv4_set_count(const rt_ipv4_set *s)
{
    uint64_t c = 0;
    for (size_t i = 0; i < s->n; i++)
        c += (uint64_t)s->r[i].hi - s->r[i].lo + 1;
    return c;
}

bool rt_ipv4_set_contains(const rt_ipv4_set *s, uint32_t addr)
{
    size_t lo = 0, hi = s->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (s->r[mid].hi < addr)
            lo = mid + 1;
        else if (s->r[mid].lo > addr)
            hi = mid;
        else
            return true;
    }
    return false;
}

void rt_ipv4_set_free(rt_ipv4_set *s)
{
    free(s->r);
    s->r = NULL;
    s->n = s->cap = 0;
    s->sorted = false;
}
