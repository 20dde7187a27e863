/*
 * scenario.c - replay sessions from a CSV file (format: docs/rrashost.md).
 *
 * RFC 4180 CSV in UTF-8 (a BOM is skipped), one session per row, a header
 * row naming the columns, '#' lines are comments. Every column is
 * optional; an empty or missing cell keeps the generator's value for that
 * session (deterministic with --seed). In `user`, \uXXXX is one UTF-16
 * unit (so lone surrogates can be written) and \\ a backslash; any other
 * backslash is literal.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "session.h"

enum { C_USER, C_TUNNEL, C_AUTH, C_LINKS, C_REAUTHS, C_IPV6, C_ABORT, C_DURATION, C_BYTES_IN,
       C_BYTES_OUT, C_IPV4, C_START, C_COUNT };

static const char *const columns[C_COUNT] = {"user", "tunnel", "auth", "links", "reauths",
                                             "ipv6", "abort", "duration_s", "bytes_in",
                                             "bytes_out", "ipv4", "start_ms"};

typedef struct csv {
    const char *s;
    size_t i, n;
    unsigned line;
    char *cell;    /* current cell, decoded */
    size_t cap;
} csv;

/* Reads one cell; *end_row set at end of record. False on a quote error. */
static bool read_cell(csv *c, bool *end_row)
{
    size_t o = 0;
    bool quoted = c->i < c->n && c->s[c->i] == '"';
    if (quoted)
        c->i++;
    for (;;) {
        if (o + 2 > c->cap) {
            c->cap = c->cap ? c->cap * 2 : 256;
            char *bigger = realloc(c->cell, c->cap);
            if (!bigger)
                return false;
            c->cell = bigger;
        }
        if (c->i >= c->n) {
            *end_row = true;
            break;
        }
        char ch = c->s[c->i++];
        if (quoted) {
            if (ch == '"' && c->i < c->n && c->s[c->i] == '"') {
                c->i++;
            } else if (ch == '"') {
                quoted = false;
                continue;
            }
            if (ch == '\n')
                c->line++;
            c->cell[o++] = ch;
            continue;
        }
        if (ch == ',')
            break;
        if (ch == '\r' && c->i < c->n && c->s[c->i] == '\n')
            continue;
        if (ch == '\n') {
            c->line++;
            *end_row = true;
            break;
        }
        if (ch == '"')
            return false;
        c->cell[o++] = ch;
    }
    c->cell[o] = 0;
    return !quoted;
}

static bool parse_u64(const char *s, uint64_t max, uint64_t *v)
{
    char *end;
    if (!*s || *s == '-')
        return false;
    unsigned long long x = strtoull(s, &end, 10);
    if (*end || x > max)
        return false;
    *v = x;
    return true;
}

static bool parse_bool(const char *s, bool *v)
{
    if (!_stricmp(s, "yes") || !_stricmp(s, "true") || !strcmp(s, "1")) {
        *v = true;
        return true;
    }
    if (!_stricmp(s, "no") || !_stricmp(s, "false") || !strcmp(s, "0")) {
        *v = false;
        return true;
    }
    return false;
}

static int hexd(char ch)
{
    return ch >= '0' && ch <= '9' ? ch - '0' : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10
                                           : ch >= 'A' && ch <= 'F' ? ch - 'A' + 10
                                                                    : -1;
}

/* UTF-8 with \uXXXX escapes to UTF-16 units, at most 257. */
static bool parse_user(const char *s, rh_session *r)
{
    unsigned n = 0;
    while (*s) {
        if (n == RH_USER_UNITS)
            return false;
        if (s[0] == '\\' && s[1] == '\\') {
            r->user[n++] = '\\';
            s += 2;
        } else if (s[0] == '\\' && s[1] == 'u' && hexd(s[2]) >= 0 && hexd(s[3]) >= 0 &&
                   hexd(s[4]) >= 0 && hexd(s[5]) >= 0) {
            r->user[n++] = (uint16_t)(hexd(s[2]) << 12 | hexd(s[3]) << 8 | hexd(s[4]) << 4 |
                                      hexd(s[5]));
            s += 6;
        } else {
            wchar_t w[2];
            int len = 1;
            unsigned char b = (unsigned char)*s;
            len = b < 0x80 ? 1 : b < 0xE0 ? 2 : b < 0xF0 ? 3 : 4;
            int got = MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, s, len, w, 2);
            if (got <= 0 || n + (unsigned)got > RH_USER_UNITS)
                return false;
            for (int k = 0; k < got; k++)
                r->user[n++] = w[k];
            s += len;
        }
    }
    if (n < RH_USER_UNITS)
        r->user[n] = 0;
    r->user_units = n;
    return true;
}

static bool pick(const char *s, const char *const *names, unsigned count, unsigned *v)
{
    for (unsigned k = 0; k < count; k++) {
        if (!_stricmp(s, names[k])) {
            *v = k;
            return true;
        }
    }
    return false;
}

static bool parse_ipv4(const char *v, uint32_t *out)
{
    unsigned a, b, c, d;
    char tail;
    if (sscanf(v, "%u.%u.%u.%u%c", &a, &b, &c, &d, &tail) != 4 || a > 255 || b > 255 ||
        c > 255 || d > 255)
        return false;
    *out = a | b << 8 | c << 16 | (uint32_t)d << 24;
    return true;
}

/* Stores one non-empty cell; false when the value is not valid. */
static bool set_cell(rh_session *r, int col, const char *v)
{
    static const char *const tunnels[] = {"pptp", "l2tp", "sstp", "ikev2"};
    static const char *const auths[] = {"mschapv2", "peap", "eap-tls", "cert"};
    static const uint32_t bit[C_COUNT] = {
        RH_GIVEN_USER,     RH_GIVEN_TUNNEL,   RH_GIVEN_AUTH,      RH_GIVEN_LINKS,
        RH_GIVEN_REAUTHS,  RH_GIVEN_IPV6,     RH_GIVEN_ABORT,     RH_GIVEN_DURATION,
        RH_GIVEN_BYTES_IN, RH_GIVEN_BYTES_OUT, RH_GIVEN_IPV4,     RH_GIVEN_START};
    uint64_t x = 0;
    unsigned k = 0;
    bool ok = false;
    switch (col) {
    case C_USER: ok = parse_user(v, r); break;
    case C_TUNNEL: ok = pick(v, tunnels, 4, &k); r->tunnel = (rh_tunnel)k; break;
    case C_AUTH: ok = pick(v, auths, 4, &k); r->auth = (rh_auth)k; break;
    case C_LINKS: ok = parse_u64(v, RH_MAX_LINKS, &x) && x >= 1; r->links = (unsigned)x; break;
    case C_REAUTHS: ok = parse_u64(v, 8, &x); r->reauths = (unsigned)x; break;
    case C_IPV6: ok = parse_bool(v, &r->ipv6); break;
    case C_ABORT: ok = parse_bool(v, &r->abort_after_ip); break;
    case C_DURATION: ok = parse_u64(v, UINT32_MAX, &x); r->duration_s = (uint32_t)x; break;
    case C_BYTES_IN: ok = parse_u64(v, UINT64_MAX, &r->bytes_in); break;
    case C_BYTES_OUT: ok = parse_u64(v, UINT64_MAX, &r->bytes_out); break;
    case C_IPV4: ok = parse_ipv4(v, &r->ipv4_offer); break;
    case C_START: ok = parse_u64(v, UINT32_MAX, &x); r->start_ms = (uint32_t)x; break;
    }
    if (ok)
        r->given |= bit[col];
    return ok;
}

static bool read_file(const wchar_t *path, char **buf, size_t *len)
{
    FILE *f = _wfopen(path, L"rb");
    size_t cap = 65536;
    *len = 0;
    *buf = malloc(cap);
    if (!f || !*buf) {
        if (f)
            fclose(f);
        return false;
    }
    size_t got;
    while ((got = fread(*buf + *len, 1, cap - *len, f)) > 0) {
        *len += got;
        if (*len == cap) {
            char *bigger = realloc(*buf, cap *= 2);
            if (!bigger)
                break;
            *buf = bigger;
        }
    }
    bool ok = !ferror(f) && *len < cap;
    fclose(f);
    return ok;
}

static bool fail(const char *file, unsigned line, const char *what, const char *cell)
{
    fprintf(stderr, "rrashost: %s:%u: %s%s%s%s\n", file, line, what, cell ? " \"" : "",
            cell ? cell : "", cell ? "\"" : "");
    return false;
}

/* Header: maps each cell position to a column. */
static bool read_header(csv *c, int *map, unsigned *n, const char *file)
{
    bool end = false;
    *n = 0;
    while (!end) {
        if (!read_cell(c, &end) || *n == C_COUNT * 2)
            return fail(file, c->line, "bad header", NULL);
        int col = -1;
        for (int k = 0; k < C_COUNT; k++)
            if (!strcmp(c->cell, columns[k]))
                col = k;
        if (col < 0)
            return fail(file, c->line, "unknown column", c->cell);
        map[(*n)++] = col;
    }
    return true;
}

static bool skip_comments(csv *c)
{
    while (c->i < c->n && (c->s[c->i] == '#' || c->s[c->i] == '\n' || c->s[c->i] == '\r')) {
        const char *nl = memchr(c->s + c->i, '\n', c->n - c->i);
        c->i = nl ? (size_t)(nl - c->s) + 1 : c->n;
        c->line++;
    }
    return c->i < c->n;
}

static bool parse_rows(csv *c, const int *map, unsigned ncols, const char *file,
                       rh_session **rows, uint64_t *count)
{
    size_t cap = 0;
    while (skip_comments(c)) {
        if (*count == cap) {
            cap = cap ? cap * 2 : 64;
            rh_session *bigger = realloc(*rows, cap * sizeof **rows);
            if (!bigger)
                return fail(file, c->line, "out of memory", NULL);
            *rows = bigger;
        }
        rh_session *r = &(*rows)[*count];
        memset(r, 0, sizeof *r);
        unsigned line = c->line, k = 0;
        bool end = false;
        for (; !end; k++) {
            if (!read_cell(c, &end))
                return fail(file, line, "bad quoting", NULL);
            if (k >= ncols)
                return fail(file, line, "more cells than header columns", NULL);
            if (c->cell[0] && !set_cell(r, map[k], c->cell))
                return fail(file, line, columns[map[k]], c->cell);
        }
        if ((r->given & RH_GIVEN_LINKS) && r->links > 1 && (r->given & RH_GIVEN_TUNNEL) &&
            r->tunnel != RH_TUN_PPTP && r->tunnel != RH_TUN_L2TP)
            return fail(file, line, "multilink needs a PPP tunnel with links: pptp or l2tp",
                        NULL);
        (*count)++;
    }
    return true;
}

bool rh_scenario_load(const wchar_t *path, rh_session **rows, uint64_t *count)
{
    char *file = rh_utf8(path), *buf = NULL;
    size_t len = 0;
    csv c = {0};
    int map[C_COUNT * 2];
    unsigned ncols = 0;
    bool ok = false;
    *rows = NULL;
    *count = 0;
    if (!read_file(path, &buf, &len)) {
        fail(file, 0, "cannot read the scenario file", NULL);
        goto cleanup;
    }
    c.s = buf;
    c.n = len;
    c.line = 1;
    if (len >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0)
        c.i = 3;
    if (!skip_comments(&c)) {
        fail(file, c.line, "no header row", NULL);
        goto cleanup;
    }
    ok = read_header(&c, map, &ncols, file) && parse_rows(&c, map, ncols, file, rows, count);
    if (ok && *count == 0)
        ok = fail(file, c.line, "no session rows", NULL);
cleanup:
    if (!ok) {
        free(*rows);
        *rows = NULL;
    }
    free(c.cell);
    free(buf);
    free(file);
    return ok;
}
