/*
 * relp.c - RELP frames and responses (relp.h).
 *
 * The parser is a byte-at-a-time state machine for the header (a few
 * bytes per frame) and a memcpy for DATA, so a frame split anywhere by TCP
 * is handled and nothing is read twice. Every number is bounded by its
 * digit count before it is multiplied, so no input overflows it.
 */
#include "relp.h"

#include <string.h>

#include "error.h"

#define TXNR_DIGITS_MAX 9
#define DATALEN_DIGITS_MAX 9

enum { S_TXNR, S_CMD, S_LEN, S_DATA, S_TRAILER };

uint32_t rt_relp_txnr_next(uint32_t t)
{
    return t >= RT_RELP_TXNR_MAX ? 1 : t + 1;
}

uint32_t rt_relp_txnr_distance(uint32_t a, uint32_t b)
{
    return b >= a ? b - a : RT_RELP_TXNR_MAX - a + b;
}

static size_t digits(uint64_t v)
{
    size_t d = 1;
    while (v >= 10) {
        v /= 10;
        d++;
    }
    return d;
}

/* Writes v's d decimal digits at o; returns o + d. */
static char *put_dec(char *o, uint64_t v, size_t d)
{
    for (size_t i = d; i-- > 0; v /= 10)
        o[i] = (char)('0' + v % 10);
    return o + d;
}

/* Bytes of the frame `txnr cmd len[ data]\n`. */
static size_t exact_size(uint32_t txnr, size_t cl, size_t len)
{
    return digits(txnr) + 1 + cl + 1 + digits(len) + (len ? 1 + len : 0) + 1;
}

bool rt_relp_frame(rt_buf *out, uint32_t txnr, const char *cmd, const char *data, size_t len)
{
    size_t cl = strlen(cmd);
    if (rt_buf_room(out) < exact_size(txnr, cl, len))
        return rt_buf_fail(out);
    char *o = out->p + out->len; /* room checked: everything goes straight in */
    o = put_dec(o, txnr, digits(txnr));
    *o++ = ' ';
    memcpy(o, cmd, cl);
    o += cl;
    *o++ = ' ';
    o = put_dec(o, len, digits(len));
    if (len) {
        *o++ = ' ';
        memcpy(o, data, len);
        o += len;
    }
    *o++ = '\n';
    out->len = (size_t)(o - out->p);
    return true;
}

bool rt_relp_open_frame(rt_buf *out, uint32_t txnr, const char *version)
{
    char offers[160];
    size_t n = 0;
    static const char a[] = "relp_version=0\nrelp_software=rastap,";
    static const char c[] = ",https://github.com/rastap\ncommands=syslog";
    size_t vn = version ? strlen(version) : 0;
    if (vn > sizeof offers - sizeof a - sizeof c)
        vn = sizeof offers - sizeof a - sizeof c;
    memcpy(offers, a, sizeof a - 1);
    n = sizeof a - 1;
    if (vn)
        memcpy(offers + n, version, vn);
    n += vn;
    memcpy(offers + n, c, sizeof c - 1);
    n += sizeof c - 1;
    return rt_relp_frame(out, txnr, "open", offers, n);
}

void rt_relp_parser_init(rt_relp_parser *p, char *buf, size_t cap)
{
    memset(p, 0, sizeof *p);
    p->buf = buf;
    p->cap = cap < RT_RELP_DATA_MAX ? cap : RT_RELP_DATA_MAX;
}

static void reset_frame(rt_relp_parser *p)
{
    p->state = S_TXNR;
    p->txnr = 0;
    p->digits = 0;
    p->cmd_len = 0;
    p->datalen = 0;
    p->got = 0;
}

/* One header byte; returns 0 to go on, 1 when the header ended with no
 * DATA to follow and the frame is complete, RT_EPARSE on bad input. */
static int header_byte(rt_relp_parser *p, char c)
{
    switch (p->state) {
    case S_TXNR:
        if (c == ' ' && p->digits > 0) {
            p->state = S_CMD;
            return 0;
        }
        if (c < '0' || c > '9' || p->digits == TXNR_DIGITS_MAX)
            return RT_EPARSE;
        p->txnr = p->txnr * 10 + (uint32_t)(c - '0');
        p->digits++;
        return 0;
    case S_CMD:
        if (c == ' ' && p->cmd_len > 0) {
            p->cmd[p->cmd_len] = '\0';
            p->state = S_LEN;
            p->digits = 0;
            return 0;
        }
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) ||
            p->cmd_len == RT_RELP_COMMAND_MAX)
            return RT_EPARSE;
        p->cmd[p->cmd_len++] = c;
        return 0;
    default: /* S_LEN */
        if ((c == ' ' || c == '\n') && p->digits > 0) {
            if (p->datalen > p->cap)
                return RT_EPARSE;
            if (c == '\n')
                return p->datalen == 0 ? 1 : RT_EPARSE;
            p->state = p->datalen ? S_DATA : S_TRAILER;
            return 0;
        }
        if (c < '0' || c > '9' || p->digits == DATALEN_DIGITS_MAX)
            return RT_EPARSE;
        p->datalen = p->datalen * 10 + (size_t)(c - '0');
        p->digits++;
        return 0;
    }
}

static int complete(rt_relp_parser *p, rt_relp_frame_in *f)
{
    f->txnr = p->txnr;
    memcpy(f->cmd, p->cmd, p->cmd_len + 1);
    f->data = p->buf;
    f->len = p->datalen;
    reset_frame(p);
    return 1;
}

int rt_relp_parse(rt_relp_parser *p, const char *in, size_t n, size_t *used,
                  rt_relp_frame_in *f)
{
    size_t i = 0;
    int rc;
    while (i < n) {
        if (p->state == S_DATA) {
            size_t take = p->datalen - p->got < n - i ? p->datalen - p->got : n - i;
            memcpy(p->buf + p->got, in + i, take);
            p->got += take;
            i += take;
            if (p->got == p->datalen)
                p->state = S_TRAILER;
            continue;
        }
        if (p->state == S_TRAILER) {
            *used = ++i;
            return in[i - 1] == '\n' ? complete(p, f) : RT_EPARSE;
        }
        rc = header_byte(p, in[i++]);
        if (rc != 0) {
            *used = i;
            return rc < 0 ? rc : complete(p, f);
        }
    }
    *used = i;
    return 0;
}

int rt_relp_rsp(const char *data, size_t len, unsigned *code, const char **human,
                size_t *human_len, const char **cmddata, size_t *cmddata_len)
{
    const char *lf;
    size_t hl = 0, cl = 0;
    const char *h = NULL, *c = NULL;
    if (len < 3 || data[0] < '0' || data[0] > '9' || data[1] < '0' || data[1] > '9' ||
        data[2] < '0' || data[2] > '9')
        return RT_EPARSE;
    if (len > 3 && data[3] != ' ' && data[3] != '\n')
        return RT_EPARSE;
    *code = (unsigned)((data[0] - '0') * 100 + (data[1] - '0') * 10 + (data[2] - '0'));
    lf = memchr(data, '\n', len);
    if (len > 3 && data[3] == ' ') {
        h = data + 4;
        hl = (size_t)((lf ? lf : data + len) - h);
    }
    if (lf) {
        c = lf + 1;
        cl = (size_t)(data + len - c);
    }
    if (human) {
        *human = h;
        *human_len = hl;
    }
    if (cmddata) {
        *cmddata = c;
        *cmddata_len = cl;
    }
    return 0;
}

bool rt_relp_offer_has(const char *offers, size_t len, const char *name, const char *value)
{
    size_t nl = strlen(name), vl = value ? strlen(value) : 0;
    const char *p = offers, *e = offers + len;
    while (p < e) {
        const char *eol = memchr(p, '\n', (size_t)(e - p));
        const char *le = eol ? eol : e;
        if ((size_t)(le - p) >= nl && memcmp(p, name, nl) == 0 &&
            (p + nl == le || p[nl] == '=')) {
            if (!value)
                return true;
            const char *v = p + nl + 1;
            while (v < le) { /* comma-separated values */
                const char *comma = memchr(v, ',', (size_t)(le - v));
                const char *ve = comma ? comma : le;
                if ((size_t)(ve - v) == vl && memcmp(v, value, vl) == 0)
                    return true;
                v = ve + 1;
            }
        }
        p = le + 1;
    }
    return false;
}
