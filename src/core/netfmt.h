/*
 * netfmt.h - the text forms of addresses, GUIDs, handles and times that
 * records carry (docs/event-schema.md).
 *
 * Each function writes into a caller array of the size its RT_*_TEXT_MAX
 * gives, NUL-terminates it and returns the length without the terminator.
 * The output is plain ASCII that needs no escaping in JSON or quoting in
 * CSV. Pure functions: any thread, no allocation, no locale, no libc time.
 */
#ifndef RT_NETFMT_H
#define RT_NETFMT_H

#include <stddef.h>
#include <stdint.h>

/* Array sizes, terminator included. */
#define RT_IPV4_TEXT_MAX 16   /* 255.255.255.255 */
#define RT_IPV6_TEXT_MAX 46   /* ffff:...:ffff or ::ffff:255.255.255.255, as INET6_ADDRSTRLEN */
#define RT_IID_TEXT_MAX 20    /* xxxx:xxxx:xxxx:xxxx */
#define RT_GUID_TEXT_MAX 39   /* {XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX} */
#define RT_HANDLE_TEXT_MAX 19 /* 0x + 16 hex digits */
#define RT_TIME_TEXT_MAX 28   /* 2026-11-21T09:15:02.123456Z */

/* The range rt_netfmt_time formats exactly: 1970-01-01 .. 9999-12-31T23:59:59.999999Z. */
#define RT_TIME_US_MIN INT64_C(0)
#define RT_TIME_US_MAX INT64_C(253402300799999999)

/*
 * Dotted quad of an IPv4 address held as RAS's DWORD, whose low byte is the
 * first octet (the address in network order read as a little-endian
 * integer): 0x0100A8C0 -> "192.168.0.1". The same on every host, since it
 * works on the value, not on memory.
 */
size_t rt_netfmt_ipv4(uint32_t ras_dword, char out[RT_IPV4_TEXT_MAX]);

/*
 * RFC 5952 text of a 16-byte IPv6 address (network order): lowercase hex,
 * no leading zeros, the longest run of two or more zero groups as "::"
 * (the first such run on a tie), and IPv4-mapped addresses (::ffff:0:0/96)
 * as "::ffff:a.b.c.d".
 */
size_t rt_netfmt_ipv6(const uint8_t addr[16], char out[RT_IPV6_TEXT_MAX]);

/*
 * A 64-bit IPv6 interface identifier (8 bytes, network order) as four
 * groups of four lowercase, zero-padded hex digits: "0211:22ff:fe33:4455".
 */
size_t rt_netfmt_iid(const uint8_t iid[8], char out[RT_IID_TEXT_MAX]);

/*
 * A GUID held in Windows memory order (Data1 as a little-endian u32, Data2
 * and Data3 as little-endian u16, then the 8 bytes of Data4) in registry
 * form, uppercase: "{6B29FC40-CA47-1067-B31D-00DD010662DA}".
 */
size_t rt_netfmt_guid(const uint8_t guid[16], char out[RT_GUID_TEXT_MAX]);

/* A handle value as "0x" and lowercase hex without padding: "0x1a2b", "0x0". */
size_t rt_netfmt_handle(uint64_t handle, char out[RT_HANDLE_TEXT_MAX]);

/*
 * Microseconds since 1970-01-01T00:00:00Z (no leap seconds, as every Unix
 * and Windows clock counts) as RFC 3339 UTC with six fraction digits:
 * "2026-11-21T09:15:02.123456Z". Values outside [RT_TIME_US_MIN,
 * RT_TIME_US_MAX] are clamped to the nearest end, so the text always has
 * this exact shape (27 characters).
 */
size_t rt_netfmt_time(int64_t us, char out[RT_TIME_TEXT_MAX]);

#endif /* RT_NETFMT_H */
