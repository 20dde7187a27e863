/*
 * csv.c - RFC 4180 cells from UTF-8 bytes or bounded UTF-16.
 *
 * Two passes over the (short) input: the first only reads, to learn the
 * cell's length, whether it needs quotes or the defusing apostrophe (both
 * come before the text), and whether any character needs more than a plain
 * copy; the second writes. Most cells are plain ASCII without quotes, and
 * for them the second pass is one copy. The writer keeps the closing quote's
 * byte in reserve like json.c, and returns before updating b->len when
 * anything does not fit, so a failed append changes nothing.
 */
#include "csv.h"

#include "utf.h"

/* Character classes, as bits: what the first pass ORs together. */
enum {
    QUOTES = 1, /* forces quoting wherever it appears: , " CR LF */
    SLOW = 2,   /* cannot be copied as it is: " (doubled) and all non-ASCII */
};

#define S16 SLOW, SLOW, SLOW, SLOW, SLOW, SLOW, SLOW, SLOW, \
            SLOW, SLOW, SLOW, SLOW, SLOW, SLOW, SLOW, SLOW
#define Z16 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0

static const unsigned char byte_class[256] = {
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, QUOTES, 0, 0, QUOTES, 0, 0, /* LF 0x0A, CR 0x0D */
    Z16,
    0, 0, QUOTES | SLOW, 0, 0, 0, 0, 0, 0, 0, 0, 0, QUOTES, 0, 0, 0, /* " 0x22, `,` 0x2C */
    Z16, Z16, Z16, Z16, Z16,
    S16, S16, S16, S16, S16, S16, S16, S16,
};

#undef S16
#undef Z16

static unsigned unit_class(rt_wchar u)
{
    return u < 0x80 ? byte_class[u] : SLOW;
}

/* What the first pass learns about a cell. */
struct shape {
    size_t n;    /* input elements before the NUL or the bound */
    bool quote;  /* needs surrounding quotes */
    bool prefix; /* needs the `'` in front */
    bool plain;  /* every element is ASCII other than `"`: copy as is */
};

static struct shape make_shape(size_t n, unsigned classes, unsigned first, unsigned final,
                               bool defuse)
{
    struct shape sh = {n, false, false, true};
    if (n != 0) {
        sh.quote = (classes & QUOTES) || first == ' ' || final == ' ';
        sh.prefix = defuse && rt_csv_is_formula_start(first);
        sh.plain = !(classes & SLOW);
    }
    return sh;
}

static struct shape scan8(const unsigned char *s, size_t max, bool defuse)
{
    unsigned classes = 0;
    size_t n = 0;
    while (n < max && s[n] != 0)
        classes |= byte_class[s[n++]];
    return make_shape(n, classes, s[0], n ? s[n - 1] : 0, defuse);
}

static struct shape scan16(const rt_wchar *s, size_t max, bool defuse)
{
    unsigned classes = 0;
    size_t n = 0;
    while (n < max && s[n] != 0)
        classes |= unit_class(s[n++]);
    return make_shape(n, classes, s[0], n ? s[n - 1] : 0, defuse);
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

    if (s == NULL || max == 0)
        return true;
    sh = scan8(s, max, defuse);
    if (sh.n == 0)
        return true; /* an empty cell is no bytes at all */
    if ((o = open_cell(b, sh, &last)) == NULL)
        return rt_buf_fail(b);
    if (sh.plain) {
        if ((size_t)(last - o) < sh.n)
            return rt_buf_fail(b);
        memcpy(o, s, sh.n);
        return close_cell(b, sh, o + sh.n);
    }
    while (i < sh.n) {
        size_t lim = sh.n - i < (size_t)(last - o) ? sh.n - i : (size_t)(last - o);
        const unsigned char *q = s + i, *qe = q + lim;
        while (q < qe && !(byte_class[*q] & SLOW))
            *o++ = (char)*q++;
        i = (size_t)(q - s);
        if (i == sh.n)
            break;
        if (!(byte_class[s[i]] & SLOW))
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

    if (s == NULL || max_units == 0)
        return true;
    sh = scan16(s, max_units, defuse);
    if (sh.n == 0)
        return true;
    if ((o = open_cell(b, sh, &last)) == NULL)
        return rt_buf_fail(b);
    while (i < sh.n) {
        size_t lim = sh.n - i < (size_t)(last - o) ? sh.n - i : (size_t)(last - o);
        const rt_wchar *q = s + i, *qe = q + lim;
        while (q < qe && !(unit_class(*q) & SLOW))
            *o++ = (char)*q++;
        i = (size_t)(q - s);
        if (i == sh.n)
            break;
        if (!(unit_class(s[i]) & SLOW))
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
