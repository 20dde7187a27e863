/*
 * csv.c - RFC 4180 cells from UTF-8 bytes or bounded UTF-16.
 *
 * Two passes over the (short) input: the first only reads, to learn the
 * cell's length and whether it needs quotes or the defusing apostrophe,
 * since both come before the text; the second writes. The writer keeps the
 * closing quote's byte in reserve like json.c, and returns before updating
 * b->len when anything does not fit, so a failed append changes nothing.
 */
#include "csv.h"

#include "utf.h"

/* What the first pass learns about a cell. */
struct shape {
    size_t n;    /* input elements before the NUL or the bound */
    bool quote;  /* needs surrounding quotes */
    bool prefix; /* needs the `'` in front */
};

/* The characters that force quoting wherever they appear in a cell. */
static bool forces_quotes(unsigned c)
{
    return c == ',' || c == '"' || c == '\r' || c == '\n';
}

static struct shape finish_shape(struct shape sh, unsigned first, unsigned final, bool defuse)
{
    if (sh.n != 0) {
        sh.quote = sh.quote || first == ' ' || final == ' ';
        sh.prefix = defuse && rt_csv_is_formula_start(first);
    }
    return sh;
}

static struct shape scan8(const unsigned char *s, size_t max, bool defuse)
{
    struct shape sh = {0, false, false};
    while (sh.n < max && s[sh.n] != 0) {
        if (forces_quotes(s[sh.n]))
            sh.quote = true;
        sh.n++;
    }
    return sh.n ? finish_shape(sh, s[0], s[sh.n - 1], defuse) : sh;
}

static struct shape scan16(const rt_wchar *s, size_t max, bool defuse)
{
    struct shape sh = {0, false, false};
    while (sh.n < max && s[sh.n] != 0) {
        if (s[sh.n] < 0x80 && forces_quotes(s[sh.n]))
            sh.quote = true;
        sh.n++;
    }
    return sh.n ? finish_shape(sh, s[0], s[sh.n - 1], defuse) : sh;
}

/*
 * Starts a cell of shape sh: checks room for the fixed bytes, writes the
 * opening quote and apostrophe. Returns the write position, or NULL if even
 * those do not fit. *last is where the text has to stop (the closing
 * quote's byte, or the end of the buffer).
 */
static char *open_cell(rt_buf *b, struct shape sh, char **last)
{
    char *o;
    if (b->p == NULL || rt_buf_room(b) < (size_t)(2 * sh.quote + sh.prefix))
        return NULL;
    o = b->p + b->len;
    *last = b->p + b->cap - sh.quote;
    if (sh.quote)
        *o++ = '"';
    if (sh.prefix)
        *o++ = '\'';
    return o;
}

static bool close_cell(rt_buf *b, struct shape sh, char *o)
{
    if (sh.quote)
        *o++ = '"';
    b->len = (size_t)(o - b->p);
    return true;
}

/* Writes code point cp (or a doubled quote) to o; room for 4 bytes. */
static size_t cell_cp(uint32_t cp, char *o)
{
    if (cp == '"') {
        o[0] = '"';
        o[1] = '"';
        return 2;
    }
    return rt_utf8_encode(cp, o);
}

bool rt_csv_cell_utf8(rt_buf *b, const char *str, size_t max, bool defuse)
{
    const unsigned char *s = (const unsigned char *)str;
    struct shape sh;
    char *o, *last, tmp[4];
    size_t i = 0, k, used;
    uint32_t cp;

    if (s == NULL)
        return true;
    sh = scan8(s, max, defuse);
    if (sh.n == 0)
        return true; /* an empty cell is no bytes at all */
    if ((o = open_cell(b, sh, &last)) == NULL)
        return rt_buf_fail(b);
    while (i < sh.n) {
        size_t lim = sh.n - i < (size_t)(last - o) ? sh.n - i : (size_t)(last - o);
        const unsigned char *q = s + i, *qe = q + lim;
        while (q < qe && *q < 0x80 && *q != '"')
            *o++ = (char)*q++;
        i = (size_t)(q - s);
        if (i == sh.n)
            break;
        if (s[i] < 0x80 && s[i] != '"')
            return rt_buf_fail(b); /* the run hit the end of the buffer */
        if (s[i] < 0x80) {
            cp = s[i];
            used = 1;
        } else {
            cp = rt_utf8_decode(s + i, sh.n - i, &used);
        }
        k = cell_cp(cp, tmp);
        if ((size_t)(last - o) < k)
            return rt_buf_fail(b);
        memcpy(o, tmp, k);
        o += k;
        i += used;
    }
    return close_cell(b, sh, o);
}

bool rt_csv_cell_utf16(rt_buf *b, const rt_wchar *s, size_t max_units, bool defuse)
{
    struct shape sh;
    char *o, *last, tmp[4];
    size_t i = 0, k, used;

    if (s == NULL)
        return true;
    sh = scan16(s, max_units, defuse);
    if (sh.n == 0)
        return true;
    if ((o = open_cell(b, sh, &last)) == NULL)
        return rt_buf_fail(b);
    while (i < sh.n) {
        size_t lim = sh.n - i < (size_t)(last - o) ? sh.n - i : (size_t)(last - o);
        const rt_wchar *q = s + i, *qe = q + lim;
        while (q < qe && *q < 0x80 && *q != '"')
            *o++ = (char)*q++;
        i = (size_t)(q - s);
        if (i == sh.n)
            break;
        if (s[i] < 0x80 && s[i] != '"')
            return rt_buf_fail(b);
        k = cell_cp(rt_utf16_decode(s + i, sh.n - i, &used), tmp);
        if ((size_t)(last - o) < k)
            return rt_buf_fail(b);
        memcpy(o, tmp, k);
        o += k;
        i += used;
    }
    return close_cell(b, sh, o);
}
