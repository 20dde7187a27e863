/*
 * json.c - JSON string literals from UTF-8 bytes or bounded UTF-16.
 *
 * Both converters have the same shape: a tight loop copies the longest run
 * of "plain" ASCII (0x20..0x7E except `"` and `\`) that still fits, then one
 * special element is escaped or transcoded through a 6-byte scratch. Every
 * write keeps one byte free for the closing quote, so the quote never needs
 * its own check, and nothing is written at or past b->cap. On overflow the
 * function returns before updating b->len, so the buffer is unchanged.
 */
#include "json.h"

#include "utf.h"

#define P1 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1
#define P0 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0

/* 1 for bytes that stand for themselves inside a JSON string literal. */
static const unsigned char plain[256] = {
    P0, P0,                                             /* 0x00..0x1F: controls */
    1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,     /* 0x20..0x2F: `"` at 0x22 */
    P1, P1,                                             /* 0x30..0x4F */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1,     /* 0x50..0x5F: `\` at 0x5C */
    P1,                                                 /* 0x60..0x6F */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0,     /* 0x70..0x7F: DEL */
    P0, P0, P0, P0, P0, P0, P0, P0,                     /* 0x80..0xFF: not ASCII */
};

#undef P0
#undef P1

static const char hex_digits[] = "0123456789abcdef";

/*
 * Writes the literal form of one code point that is not plain ASCII to o
 * (room for 6 bytes) and returns its length.
 */
static size_t escape_cp(uint32_t cp, char *o)
{
    char c = 0;
    switch (cp) {
    case '"': c = '"'; break;
    case '\\': c = '\\'; break;
    case '\b': c = 'b'; break;
    case '\t': c = 't'; break;
    case '\n': c = 'n'; break;
    case '\f': c = 'f'; break;
    case '\r': c = 'r'; break;
    default: break;
    }
    if (c != 0) {
        o[0] = '\\';
        o[1] = c;
        return 2;
    }
    if (cp < 0x80 && plain[cp]) { /* not reached from the loops; kept total */
        o[0] = (char)cp;
        return 1;
    }
    if (cp < 0x80 || cp == 0x2028 || cp == 0x2029) {
        o[0] = '\\';
        o[1] = 'u';
        o[2] = hex_digits[(cp >> 12) & 0xF];
        o[3] = hex_digits[(cp >> 8) & 0xF];
        o[4] = hex_digits[(cp >> 4) & 0xF];
        o[5] = hex_digits[cp & 0xF];
        return 6;
    }
    return rt_utf8_encode(cp, o);
}

/* The UTF-8 converter; stop_nul selects rt_json_strz's reading of s. */
static bool str8(rt_buf *b, const unsigned char *s, size_t n, bool stop_nul)
{
    char *o, *last, tmp[6];
    size_t i = 0, k, used;
    uint32_t cp;

    if (rt_buf_room(b) < 2)
        return rt_buf_fail(b);
    o = b->p + b->len;
    last = b->p + b->cap - 1; /* the closing quote's reserved byte */
    *o++ = '"';
    for (;;) {
        size_t lim = n - i < (size_t)(last - o) ? n - i : (size_t)(last - o);
        const unsigned char *q = s + i, *qe = q + lim;
        while (q < qe && plain[*q])
            *o++ = (char)*q++;
        i = (size_t)(q - s);
        if (i == n || (stop_nul && s[i] == 0))
            break;
        if (plain[s[i]])
            return rt_buf_fail(b); /* the run hit the end of the buffer */
        if (s[i] < 0x80) {
            cp = s[i];
            used = 1;
        } else {
            cp = rt_utf8_decode(s + i, n - i, &used);
        }
        k = escape_cp(cp, tmp);
        if ((size_t)(last - o) < k)
            return rt_buf_fail(b);
        for (size_t j = 0; j < k; j++) /* k <= 6: no call */
            o[j] = tmp[j];
        o += k;
        i += used;
    }
    *o++ = '"';
    b->len = (size_t)(o - b->p);
    return true;
}

bool rt_json_str(rt_buf *b, const char *s, size_t n)
{
    if (s == NULL) /* no arithmetic on a null pointer below */
        return RT_BUF_LIT(b, "\"\"");
    return str8(b, (const unsigned char *)s, n, false);
}

bool rt_json_strz(rt_buf *b, const char *s, size_t max)
{
    if (s == NULL)
        return RT_BUF_LIT(b, "\"\"");
    return str8(b, (const unsigned char *)s, max, true);
}

bool rt_json_str_utf16(rt_buf *b, const rt_wchar *s, size_t max_units)
{
    char *o, *last, tmp[6];
    size_t i = 0, n = max_units, k, used;

    if (s == NULL)
        return RT_BUF_LIT(b, "\"\"");
    if (rt_buf_room(b) < 2)
        return rt_buf_fail(b);
    o = b->p + b->len;
    last = b->p + b->cap - 1;
    *o++ = '"';
    for (;;) {
        size_t lim = n - i < (size_t)(last - o) ? n - i : (size_t)(last - o);
        const rt_wchar *q = s + i, *qe = q + lim;
        while (q < qe && *q < 0x80 && plain[*q])
            *o++ = (char)*q++;
        i = (size_t)(q - s);
        if (i == n || s[i] == 0)
            break;
        if (s[i] < 0x80 && plain[s[i]])
            return rt_buf_fail(b);
        k = escape_cp(rt_utf16_decode(s + i, n - i, &used), tmp);
        if ((size_t)(last - o) < k)
            return rt_buf_fail(b);
        for (size_t j = 0; j < k; j++) /* k <= 6: no call */
            o[j] = tmp[j];
        o += k;
        i += used;
    }
    *o++ = '"';
    b->len = (size_t)(o - b->p);
    return true;
}
