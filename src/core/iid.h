/*
 * iid.h - IPv6 64-bit interface identifiers: which ones a client may get,
 * their text form, a stable per-user identifier from a keyed hash, and the
 * lock-free set of identifiers held by live sessions.
 *
 * An identifier is held as a uint64_t whose most significant byte is the
 * first of the eight bytes (IN6_ADDR bytes 8..15): 0211:22ff:fe33:4455 is
 * 0x021122FFFE334455.
 *
 * Never handed out (rt_iid_usable):
 *   0000:0000:0000:0000                        subnet-router anycast (RFC 4291), "::"
 *   0000:0000:0000:0001                        "::1"-like: the address servers take
 *   0200:5eff:fe00:0000 - 0200:5eff:fe00:5212  reserved (RFC 5453)
 *   0200:5eff:fe00:5213                        proxy mobile IPv6 (RFC 5453)
 *   0200:5eff:fe00:5214 - 0200:5eff:feff:ffff  reserved (RFC 5453)
 *   fdff:ffff:ffff:ff80 - fdff:ffff:ffff:ffff  subnet anycast (RFC 2526, RFC 5453)
 * Generated identifiers are further never "small": their upper 32 bits are
 * never zero, so they cannot look like ::1, ::2 ...
 *
 * The stable identifier follows RFC 7217's idea: a pseudo-random function
 * of a secret key, the (folded) user name and a retry counter; the same
 * user gets the same identifier across sessions, reboots and servers
 * sharing the key, and nobody without the key can predict it. The function
 * is SipHash-2-4 (Aumasson and Bernstein, "SipHash: a fast short-input
 * PRF", 2012), implemented here from that paper.
 */
#ifndef RT_IID_H
#define RT_IID_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "event.h"

/* Text form "xxxx:xxxx:xxxx:xxxx", terminator included. */
#define RT_IID_TEXT 20
/* Retries (DAD_Counter values) before a user's stable identifier gives up. */
#define RT_IID_ATTEMPTS 16u
/* Slots per bucket of the live set. */
#define RT_IID_BUCKET 16u

/* SipHash-2-4 of data[0..len) under a 16-byte key. Pure. */
uint64_t rt_siphash24(const uint8_t key[16], const void *data, size_t len);

/* The 8 bytes of an identifier (network order) <-> its uint64_t. */
uint64_t rt_iid_from_bytes(const uint8_t b[8]);
void rt_iid_to_bytes(uint64_t iid, uint8_t b[8]);

/* False for the identifiers listed above. */
bool rt_iid_usable(uint64_t iid);

/*
 * Parses up to four groups of 1..4 hex digits separated by ':', with at
 * most one "::" standing for one or more zero groups: "0211:22ff:fe33:4455",
 * "::5", "1:2::". Reads s[0..n) only. Returns 0, or RT_EPARSE with *why.
 */
int rt_iid_parse(const rt_wchar *s, size_t n, uint64_t *iid, const char **why);

/*
 * The stable identifier of a user: SipHash-2-4 under `key` of
 * "rastap-iid" || name (UTF-16LE, as given: fold it first) || counter.
 * Returns it, or 0 when this counter's value is not usable (reserved or
 * upper half zero): the caller tries the next counter.
 */
uint64_t rt_iid_stable(const uint8_t key[16], const rt_wchar *name, size_t len, uint32_t counter);

/*
 * The identifiers held by live sessions: a fixed array of buckets, each
 * RT_IID_BUCKET slots of (identifier, holder); an identifier can only live
 * in the bucket its hash selects. Safe for any number of threads at once
 * (claim, release, held), lock-free, no allocation after create.
 */
typedef struct rt_iid_set rt_iid_set;

/* 2^buckets_log2 buckets (1..20). RT_EINVAL, RT_ENOMEM. Any thread. */
int rt_iid_set_create(unsigned buckets_log2, rt_iid_set **out);
/* Only when no thread can use the set any more. */
void rt_iid_set_destroy(rt_iid_set *s);

/*
 * Makes iid held by `holder` (non-zero, see ippool.h for the holder word).
 * Returns 0; RT_EBUSY when a live session holds it (or another thread is
 * claiming it right now); RT_ENOSPC when its bucket is full; RT_EINVAL for
 * iid 0 or holder 0. Never lets two sessions hold one identifier.
 */
int rt_iid_set_claim_mpmc(rt_iid_set *s, uint64_t iid, uint64_t holder);

/*
 * Ends the hold of iid by `holder` (matched as rt_holder_matches). Returns
 * 0 and the stored holder word in *was (may be NULL); RT_ENOENT when
 * nobody holds it; RT_EACCES when someone else does. Never frees another
 * holder's identifier.
 */
int rt_iid_set_release_mpmc(rt_iid_set *s, uint64_t iid, uint64_t holder, uint64_t *was);

/* True if a live session holds iid (a snapshot of a moving state). */
bool rt_iid_set_held(const rt_iid_set *s, uint64_t iid);

/* Identifiers held right now (a scan; for status and tests). */
size_t rt_iid_set_live(const rt_iid_set *s);

#endif /* RT_IID_H */
