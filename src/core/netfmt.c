/*
 * netfmt.c - addresses, GUIDs, handles and times as record text.
 *
 * Written by hand rather than with inet_ntop / StringFromGUID2 / gmtime:
 * src/core may not call Windows, the libc versions differ between hosts
 * (glibc and msvcrt disagree on IPv4-mapped IPv6 text, and gmtime is not
 * thread-safe on every CRT), and these are in the worker's hot path.
 */
#include "netfmt.h"

#include <string.h>

static const char hex_lower[] = "0123456789abcdef";
static const char hex_upper[] = "0123456789ABCDEF";

/* Decimal 0..255 without leading zeros. */
static char *put_octet(char *o, unsigned v)
{
    if (v >= 100)
        *o++ = (char)('0' + v / 100);
    if (v >= 10)
        *o++ = (char)('0' + v / 10 % 10);
    *o++ = (char)('0' + v % 10);
    return o;
}

/* Dotted quad of four bytes in network order. */
static char *put_quad(char *o, const uint8_t a[4])
{
    for (int i = 0; i < 4; i++) {
        if (i != 0)
            *o++ = '.';
        o = put_octet(o, a[i]);
    }
    return o;
}

size_t rt_netfmt_ipv4(uint32_t ras_dword, char out[RT_IPV4_TEXT_MAX])
{
    uint8_t a[4] = {
        (uint8_t)(ras_dword & 0xFF),
        (uint8_t)(ras_dword >> 8 & 0xFF),
        (uint8_t)(ras_dword >> 16 & 0xFF),
        (uint8_t)(ras_dword >> 24),
    };
    char *o = put_quad(out, a);
    *o = '\0';
    return (size_t)(o - out);
}

/* Lowercase hex of a 16-bit group without leading zeros ("0" for zero). */
static char *put_group(char *o, unsigned g)
{
    int shift = 12;
    while (shift > 0 && (g >> shift) == 0)
        shift -= 4;
    for (; shift >= 0; shift -= 4)
        *o++ = hex_lower[(g >> shift) & 0xF];
    return o;
}

/* First index and length of the longest run of >= 2 zero groups (len 0: none). */
static void longest_zero_run(const unsigned g[8], int *start, int *len)
{
    *start = -1;
    *len = 0;
    for (int i = 0; i < 8;) {
        int j = i;
        while (j < 8 && g[j] == 0)
            j++;
        if (j - i >= 2 && j - i > *len) { /* '>' keeps the first on a tie */
            *start = i;
            *len = j - i;
        }
        i = j == i ? i + 1 : j;
    }
}

size_t rt_netfmt_ipv6(const uint8_t addr[16], char out[RT_IPV6_TEXT_MAX])
{
    static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF};
    unsigned g[8];
    int start, len;
    char *o = out;

    if (memcmp(addr, mapped, sizeof mapped) == 0) { /* RFC 5952 section 5 */
        memcpy(o, "::ffff:", 7);
        o = put_quad(o + 7, addr + 12);
        *o = '\0';
        return (size_t)(o - out);
    }
    for (int i = 0; i < 8; i++)
        g[i] = (unsigned)addr[2 * i] << 8 | addr[2 * i + 1];
    longest_zero_run(g, &start, &len);
    for (int i = 0; i < 8; i++) {
        if (i == start) {
            *o++ = ':';
            *o++ = ':';
            i += len - 1;
            continue;
        }
        if (i != 0 && i != start + len)
            *o++ = ':';
        o = put_group(o, g[i]);
    }
    *o = '\0';
    return (size_t)(o - out);
}

/* Two hex digits of byte v. */
static char *put_byte(char *o, unsigned v, const char *digits)
{
    *o++ = digits[v >> 4];
    *o++ = digits[v & 0xF];
    return o;
}

size_t rt_netfmt_iid(const uint8_t iid[8], char out[RT_IID_TEXT_MAX])
{
    char *o = out;
    for (int i = 0; i < 8; i++) {
        if (i != 0 && i % 2 == 0)
            *o++ = ':';
        o = put_byte(o, iid[i], hex_lower);
    }
    *o = '\0';
    return (size_t)(o - out);
}

size_t rt_netfmt_guid(const uint8_t guid[16], char out[RT_GUID_TEXT_MAX])
{
    /* Byte order of the text: Data1..3 are little-endian in memory. */
    static const uint8_t order[16] = {3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15};
    char *o = out;
    *o++ = '{';
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            *o++ = '-';
        o = put_byte(o, guid[order[i]], hex_upper);
    }
    *o++ = '}';
    *o = '\0';
    return (size_t)(o - out);
}

size_t rt_netfmt_handle(uint64_t handle, char out[RT_HANDLE_TEXT_MAX])
{
    int shift = 60;
    char *o = out;
    *o++ = '0';
    *o++ = 'x';
    while (shift > 0 && (handle >> shift) == 0)
        shift -= 4;
    for (; shift >= 0; shift -= 4)
        *o++ = hex_lower[(handle >> shift) & 0xF];
    *o = '\0';
    return (size_t)(o - out);
}

/* n decimal digits of v, zero-padded. */
static char *put_dec(char *o, uint32_t v, int n)
{
    for (int i = n - 1; i >= 0; i--) {
        o[i] = (char)('0' + v % 10);
        v /= 10;
    }
    return o + n;
}

/*
 * Civil date from days since 1970-01-01 (days >= 0), after Howard
 * Hinnant's civil_from_days: shift the epoch to 0000-03-01 so that leap
 * days fall at the end of a year, then split into 400-year eras of 146097
 * days, years of the era, and a March-based day of year.
 */
static void civil_from_days(uint32_t days, uint32_t *y, uint32_t *m, uint32_t *d)
{
    uint32_t z = days + 719468u;
    uint32_t era = z / 146097u;
    uint32_t doe = z - era * 146097u;                                   /* [0, 146096] */
    uint32_t yoe = (doe - doe / 1460u + doe / 36524u - doe / 146096u) / 365u; /* [0, 399] */
    uint32_t doy = doe - (365u * yoe + yoe / 4u - yoe / 100u);          /* [0, 365] */
    uint32_t mp = (5u * doy + 2u) / 153u;                               /* [0, 11], 0 = March */
    *d = doy - (153u * mp + 2u) / 5u + 1u;
    *m = mp < 10u ? mp + 3u : mp - 9u;
    *y = yoe + era * 400u + (*m <= 2u);
}

size_t rt_netfmt_time(int64_t us, char out[RT_TIME_TEXT_MAX])
{
    uint64_t t, secs;
    uint32_t days, sod, y, m, d;
    char *o = out;

    if (us < RT_TIME_US_MIN)
        us = RT_TIME_US_MIN;
    if (us > RT_TIME_US_MAX)
        us = RT_TIME_US_MAX;
    t = (uint64_t)us;
    secs = t / 1000000u;
    days = (uint32_t)(secs / 86400u); /* < 2932897: fits easily */
    sod = (uint32_t)(secs % 86400u);
    civil_from_days(days, &y, &m, &d);
    o = put_dec(o, y, 4);
    *o++ = '-';
    o = put_dec(o, m, 2);
    *o++ = '-';
    o = put_dec(o, d, 2);
    *o++ = 'T';
    o = put_dec(o, sod / 3600u, 2);
    *o++ = ':';
    o = put_dec(o, sod / 60u % 60u, 2);
    *o++ = ':';
    o = put_dec(o, sod % 60u, 2);
    *o++ = '.';
    o = put_dec(o, (uint32_t)(t % 1000000u), 6);
    *o++ = 'Z';
    *o = '\0';
    return (size_t)(o - out);
}
