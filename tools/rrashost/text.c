/*
 * text.c - JSON string output and address parsing shared by the report and
 * the audit.
 */
#include <string.h>

#include "audit.h"

/* Decodes one UTF-8 sequence (well-formed or not: a bad byte is U+FFFD). */
static uint32_t utf8_next(const unsigned char **p)
{
    const unsigned char *s = *p;
    uint32_t cp;
    int extra;
    if (s[0] < 0x80) {
        *p += 1;
        return s[0];
    }
    if ((s[0] & 0xE0) == 0xC0) {
        cp = s[0] & 0x1F;
        extra = 1;
    } else if ((s[0] & 0xF0) == 0xE0) {
        cp = s[0] & 0x0F;
        extra = 2;
    } else if ((s[0] & 0xF8) == 0xF0) {
        cp = s[0] & 0x07;
        extra = 3;
    } else {
        *p += 1;
        return 0xFFFD;
    }
    for (int k = 1; k <= extra; k++) {
        if ((s[k] & 0xC0) != 0x80) {
            *p += (size_t)k;
            return 0xFFFD;
        }
        cp = cp << 6 | (s[k] & 0x3F);
    }
    *p += (size_t)extra + 1;
    return cp;
}

void rh_json_str(FILE *f, const char *s)
{
    const unsigned char *p = (const unsigned char *)(s ? s : "");
    fputc('"', f);
    while (*p) {
        uint32_t cp = utf8_next(&p);
        if (cp == '"' || cp == '\\')
            fprintf(f, "\\%c", (char)cp);
        else if (cp >= 0x20 && cp < 0x7F)
            fputc((int)cp, f);
        else if (cp < 0x10000)
            fprintf(f, "\\u%04x", (unsigned)cp);
        else
            fprintf(f, "\\u%04x\\u%04x", (unsigned)(0xD800 + ((cp - 0x10000) >> 10)),
                    (unsigned)(0xDC00 + ((cp - 0x10000) & 0x3FF)));
    }
    fputc('"', f);
}

bool rh_parse_ipv4(const char *s, uint32_t *out)
{
    uint32_t v = 0;
    for (int k = 0; k < 4; k++) {
        unsigned part = 0, digits = 0;
        while (*s >= '0' && *s <= '9' && digits < 4) {
            part = part * 10 + (unsigned)(*s++ - '0');
            digits++;
        }
        if (!digits || part > 255)
            return false;
        v |= (uint32_t)part << (8 * k);
        if (k < 3 && *s++ != '.')
            return false;
    }
    *out = v;
    return *s == 0;
}

static int hexval(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
                                          : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                                                 : -1;
}

/* Parses up to max 16-bit groups separated by ':'; returns the count. */
static int groups(const char *s, size_t len, uint16_t *g, int max)
{
    int n = 0;
    size_t i = 0;
    if (len == 0)
        return 0;
    while (i <= len) {
        unsigned v = 0, digits = 0;
        while (i < len && hexval(s[i]) >= 0 && digits < 4) {
            v = v * 16 + (unsigned)hexval(s[i++]);
            digits++;
        }
        if (!digits || n == max)
            return -1;
        g[n++] = (uint16_t)v;
        if (i == len)
            return n;
        if (s[i++] != ':')
            return -1;
    }
    return -1;
}

bool rh_parse_ipv6(const char *s, uint8_t out[16])
{
    uint16_t head[8], tail[8];
    const char *dc = strstr(s, "::");
    int nh, nt = 0;
    if (dc) {
        nh = groups(s, (size_t)(dc - s), head, 8);
        nt = groups(dc + 2, strlen(dc + 2), tail, 8);
        if (nh < 0 || nt < 0 || nh + nt > 7)
            return false;
    } else {
        nh = groups(s, strlen(s), head, 8);
        if (nh != 8)
            return false;
    }
    uint16_t all[8] = {0};
    memcpy(all, head, (size_t)nh * 2);
    memcpy(all + 8 - nt, tail, (size_t)nt * 2);
    for (int k = 0; k < 8; k++) {
        out[2 * k] = (uint8_t)(all[k] >> 8);
        out[2 * k + 1] = (uint8_t)all[k];
    }
    return true;
}
