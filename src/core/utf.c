/*
 * utf.c - bounded UTF-16 / UTF-8 decoding and conversion.
 *
 * Every loop here is bounded twice: by the caller's unit/byte count and by
 * the first NUL. RAS arrays may be full to the last unit with no
 * terminator, so "stop at NUL" alone would read past them.
 */
#include "utf.h"

#include "buf.h"

#include <string.h>

size_t rt_utf16_len(const rt_wchar *s, size_t max_units)
{
    size_t n = 0;
    if (s == NULL)
        return 0;
    while (n < max_units && s[n] != 0)
        n++;
    return n;
}

uint32_t rt_utf16_decode(const rt_wchar *s, size_t n, size_t *used)
{
    uint32_t u = s[0];
    *used = 1;
    if ((u & 0xF800u) != 0xD800u)
        return u;
    /* A high surrogate pairs only with a low one inside the bound; the
     * bound (or a NUL, which is not a low surrogate) leaves it unpaired. */
    if (u < 0xDC00u && n >= 2 && (s[1] & 0xFC00u) == 0xDC00u) {
        *used = 2;
        return 0x10000u + ((u - 0xD800u) << 10) + ((uint32_t)s[1] - 0xDC00u);
    }
    return RT_UTF_REPLACEMENT;
}

/*
 * The decoder behind rt_utf8_decode; *ok tells a real U+FFFD in the input
 * from a replacement. The table in Unicode 15 section 3.9 (Table 3-7) gives
 * the second byte's range per lead byte; later bytes are always 80..BF.
 * Stopping at the first byte outside its range is exactly the "maximal
 * subpart" rule.
 */
static uint32_t decode8(const unsigned char *s, size_t n, size_t *used, bool *ok)
{
    unsigned c = s[0], lo = 0x80, hi = 0xBF;
    size_t need;
    uint32_t cp;

    *used = 1;
    *ok = true;
    if (c < 0x80)
        return c;
    if (c < 0xC2 || c > 0xF4) {
        *ok = false;
        return RT_UTF_REPLACEMENT;
    }
    if (c < 0xE0) {
        need = 1;
        cp = c & 0x1Fu;
    } else if (c < 0xF0) {
        need = 2;
        cp = c & 0x0Fu;
        lo = c == 0xE0 ? 0xA0 : 0x80; /* no overlong 3-byte forms */
        hi = c == 0xED ? 0x9F : 0xBF; /* no surrogates */
    } else {
        need = 3;
        cp = c & 0x07u;
        lo = c == 0xF0 ? 0x90 : 0x80; /* no overlong 4-byte forms */
        hi = c == 0xF4 ? 0x8F : 0xBF; /* nothing above U+10FFFF */
    }
    for (size_t i = 1; i <= need; i++) {
        if (i >= n || s[i] < lo || s[i] > hi) {
            *used = i;
            *ok = false;
            return RT_UTF_REPLACEMENT;
        }
        cp = (cp << 6) | (s[i] & 0x3Fu);
        lo = 0x80;
        hi = 0xBF;
    }
    *used = need + 1;
    return cp;
}

uint32_t rt_utf8_decode(const unsigned char *s, size_t n, size_t *used)
{
    bool ok;
    return decode8(s, n, used, &ok);
}

size_t rt_utf8_encode(uint32_t cp, char *out)
{
    unsigned char *o = (unsigned char *)out;
    if (cp < 0x80) {
        o[0] = (unsigned char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (unsigned char)(0xC0 | (cp >> 6));
        o[1] = (unsigned char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        cp = RT_UTF_REPLACEMENT;
    if (cp < 0x10000) {
        o[0] = (unsigned char)(0xE0 | (cp >> 12));
        o[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        o[2] = (unsigned char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (unsigned char)(0xF0 | (cp >> 18));
    o[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
    o[3] = (unsigned char)(0x80 | (cp & 0x3F));
    return 4;
}

size_t rt_utf16_to_utf8(const rt_wchar *src, size_t max_units, char *dst, size_t cap)
{
    size_t i = 0, o = 0, room, used, k;
    char tmp[4];

    if (cap == 0)
        return 0;
    room = cap - 1; /* one byte stays for the terminator */
    while (src != NULL && i < max_units && src[i] != 0) {
        if (src[i] < 0x80) { /* ASCII: no decoding, one byte */
            if (o == room)
                break;
            dst[o++] = (char)src[i++];
            continue;
        }
        k = rt_utf8_encode(rt_utf16_decode(src + i, max_units - i, &used), tmp);
        if (room - o < k)
            break; /* truncate before the code point, never inside it */
        for (size_t j = 0; j < k; j++) /* k <= 4: no call */
            dst[o + j] = tmp[j];
        o += k;
        i += used;
    }
    dst[o] = '\0';
    return o;
}

bool rt_utf8_valid(const char *s, size_t max_bytes)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0, used;
    bool ok;

    while (u != NULL && i < max_bytes && u[i] != 0) {
        if (u[i] < 0x80) {
            i++;
            continue;
        }
        decode8(u + i, max_bytes - i, &used, &ok);
        if (!ok)
            return false;
        i += used;
    }
    return true;
}

size_t rt_utf8_sanitize(const char *src, size_t max_bytes, char *dst, size_t cap)
{
    const unsigned char *u = (const unsigned char *)src;
    size_t i = 0, o = 0, room, used, k;
    bool ok;

    if (cap == 0)
        return 0;
    room = cap - 1;
    while (u != NULL && i < max_bytes && u[i] != 0) {
        if (u[i] < 0x80) {
            if (o == room)
                break;
            dst[o++] = (char)u[i++];
            continue;
        }
        decode8(u + i, max_bytes - i, &used, &ok);
        k = ok ? used : 3;
        if (room - o < k)
            break;
        if (ok) /* well-formed: copy the bytes as they are */
            rt_copy(dst + o, u + i, k);
        else
            memcpy(dst + o, RT_UTF8_REPLACEMENT, 3);
        o += k;
        i += used;
    }
    dst[o] = '\0';
    return o;
}
