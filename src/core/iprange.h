/*
 * iprange.h - the text of rastap's address settings, and IPv4 sets.
 *
 * What an administrator writes (docs/addresses.md) and how it is read:
 *
 *   192.168.10.7                 one address
 *   192.168.10.20-192.168.10.99  a range, both ends included
 *   192.168.12.0/22              a CIDR block; for prefixes up to /30 the
 *                                network and broadcast addresses are left out
 *   alice=192.168.10.7           a static map line: `name=value`, split at the
 *                                last '=', spaces and tabs around both trimmed
 *   # text, ; text               comment lines (pools, exclusions, maps)
 *
 * Pools and exclusions also take several items on one line, separated by
 * commas. Everything is parsed from UTF-16 code units as the registry stores
 * them, with explicit lengths: no function reads past the length it is
 * given, none needs a terminator, and anything doubtful is refused
 * (RT_EPARSE with a reason) rather than guessed: leading zeros ("010" may
 * mean octal to other tools), empty or extra parts, a CIDR with host bits
 * set, a range running backwards, addresses no client can use.
 *
 * Addresses are host-order integers here (192.168.0.1 = 0xC0A80001). RAS's
 * DWORD has the first octet in the LOW byte (the address in network order
 * read as a little-endian integer: 192.168.0.1 = 0x0100A8C0); the two
 * conversions below are the only place rastap crosses between the forms.
 *
 * The parsers are pure (any thread). rt_ipv4_set allocates: configuration
 * thread only.
 */
#ifndef RT_IPRANGE_H
#define RT_IPRANGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "event.h"

/* Longest line rastap reads in an address setting, in UTF-16 units. */
#define RT_IPRANGE_LINE_MAX 1024u
/* Longest user name in a static map line (UNLEN). */
#define RT_IPRANGE_NAME_MAX 256u

/* RAS's DWORD <-> host order: 0x0100A8C0 <-> 0xC0A80001 (192.168.0.1). */
static inline uint32_t rt_ipv4_from_ras(uint32_t ras_dword)
{
    return (ras_dword >> 24) | ((ras_dword >> 8) & 0xFF00u) | ((ras_dword << 8) & 0xFF0000u) |
           (ras_dword << 24);
}
static inline uint32_t rt_ipv4_to_ras(uint32_t host)
{
    return rt_ipv4_from_ras(host); /* a byte swap is its own inverse */
}

/* An inclusive range of host-order addresses, lo <= hi. */
typedef struct rt_ipv4_range {
    uint32_t lo, hi;
} rt_ipv4_range;

/*
 * A dotted quad: exactly four decimal parts 0..255, no sign, no leading
 * zero (except "0" itself), no spaces. Returns 0 and *addr, or RT_EPARSE
 * with a reason for people in *why (a static string).
 */
int rt_ipv4_parse(const rt_wchar *s, size_t n, uint32_t *addr, const char **why);

/*
 * One pool or exclusion item: an address, a range "a-b" (spaces allowed
 * around '-') or a CIDR "a/p" (p 0..32, host bits zero). With
 * `usable_only` (a pool) the result is the usable range: a CIDR with
 * p <= 30 loses its network and broadcast addresses, and addresses in
 * 0.0.0.0/8, 127.0.0.0/8 and 224.0.0.0/3 (multicast, reserved, broadcast)
 * are refused. Without it (an exclusion) a CIDR is the whole block.
 */
int rt_ipv4_parse_item(const rt_wchar *s, size_t n, bool usable_only, rt_ipv4_range *out,
                       const char **why);

/* False for 0.0.0.0/8, 127.0.0.0/8 and 224.0.0.0/3: never a client's address. */
bool rt_ipv4_usable(uint32_t addr);

/*
 * A static map line "name=value": the name and value spans, trimmed of
 * spaces and tabs, split at the last '='. The name must be 1..256 units
 * with no control character and no '='; the value non-empty. Returns 0,
 * or RT_EPARSE with *why.
 */
int rt_ipline_split(const rt_wchar *s, size_t n, const rt_wchar **name, size_t *name_len,
                    const rt_wchar **value, size_t *value_len, const char **why);

/* s[0..n) trimmed of spaces and tabs at both ends (in place: adjusts *s, *n). */
void rt_ipline_trim(const rt_wchar **s, size_t *n);

/* True for lines that carry nothing: empty, blank, or a '#' / ';' comment. */
bool rt_ipline_is_blank(const rt_wchar *s, size_t n);

/*
 * Iterates the strings of a registry string value: REG_SZ (one string, up
 * to its first NUL) or REG_MULTI_SZ (NUL-separated, ended by an empty
 * string). data[0..size) is the raw value; *pos starts at 0 and is
 * advanced. Returns 1 with the next string in line[0..*len), 0 at the end,
 * RT_EPARSE (with *why) for an odd byte count or data after the list's end.
 * A last string that lacks its terminator is accepted. data is read with
 * memcpy, so it needs no alignment.
 */
int rt_regstr_next(const void *data, size_t size, bool multi, size_t *pos, rt_wchar *line,
                   size_t cap, size_t *len, const char **why);

/*
 * A set of IPv4 addresses as sorted, disjoint, non-adjacent ranges.
 * Zero-initialise, add ranges, normalise, combine, free.
 */
typedef struct rt_ipv4_set {
    rt_ipv4_range *r;
    size_t n, cap;
    bool sorted; /* set by rt_ipv4_set_normalize, cleared by add */
} rt_ipv4_set;

/* Appends a range (lo <= hi). RT_ENOMEM when out of memory. */
int rt_ipv4_set_add(rt_ipv4_set *s, rt_ipv4_range r);
/* Sorts and merges overlapping and adjacent ranges. */
void rt_ipv4_set_normalize(rt_ipv4_set *s);
/* a := a minus b; both normalised. RT_ENOMEM when out of memory. */
int rt_ipv4_set_subtract(rt_ipv4_set *a, const rt_ipv4_set *b);
/* Addresses in a normalised set. */
uint64_t rt_ipv4_set_count(const rt_ipv4_set *s);
/* True if addr is in the normalised set (binary search). */
bool rt_ipv4_set_contains(const rt_ipv4_set *s, uint32_t addr);
void rt_ipv4_set_free(rt_ipv4_set *s);

#endif /* RT_IPRANGE_H */
