/*
 * iid.c - interface identifiers (iid.h): SipHash-2-4, the usable-identifier
 * rules, parsing, stable identifiers, and the live set.
 *
 * The live set is an array of buckets; an identifier can only be stored in
 * the bucket its hash selects, in any of that bucket's RT_IID_BUCKET slots.
 * A slot holds (iid, holder); iid == 0 means empty (0 is never a usable
 * identifier). Deletion empties the slot, so there are no tombstones and
 * no probe chains: everything about one identifier is decided inside one
 * bucket.
 *
 * Claim of X:   1. if a slot already holds X: busy.
 *               2. CAS an empty slot 0 -> X (seq_cst).
 *               3. re-read every other slot of the bucket (seq_cst); if one
 *                  holds X, undo (store 0) and report busy.
 *               4. store the holder (release).
 * Release of X by H: for each slot holding X whose holder matches H, CAS
 *               holder H -> 0 (acq_rel); the winner stores iid 0 (release).
 *
 * Why two racing claims of X cannot both succeed: each does a seq_cst CAS
 * on its own slot and then seq_cst loads of the other slots. In the single
 * total order of seq_cst operations one of the two CASes comes first, say
 * A's; B's CAS and then B's re-read of A's slot come after it, so B sees X
 * there and backs off (A may back off too: both may fail, never both
 * succeed). A claim that sees a slot mid-claim counts it as held, so a
 * claim can fail spuriously under a race, never succeed wrongly.
 *
 * Invariants:
 *  1. At any time, at most one slot whose claim has succeeded (reached
 *     step 4) holds X.
 *  2. holder != 0 only in a slot whose claim succeeded and whose release
 *     has not yet won the CAS; the winner clears holder before iid, and
 *     the iid store is a release that the next claimant's CAS acquires, so
 *     a new holder is never overwritten by an old release.
 *  3. A release frees only a slot whose holder matches: a foreign, stale
 *     or duplicate release changes nothing.
 */
#include "iid.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "ippool.h"

/* ------------------------------------------------------------- SipHash */

static inline uint64_t rotl(uint64_t x, unsigned b)
{
    return (x << b) | (x >> (64 - b));
}

/* One 8-byte load (memcpy compiles to a single move), byte-swapped on a
 * big-endian host: SipHash reads its input little-endian everywhere. */
static inline uint64_t load_le64(const unsigned char *p)
{
    uint64_t v;
    memcpy(&v, p, sizeof v);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    v = __builtin_bswap64(v);
#endif
    return v;
}

typedef struct sip {
    uint64_t v0, v1, v2, v3;
} sip;

/* Inlined so that the state stays in registers: the holder hash runs on
 * every address callout (ipassign.c). */
#if defined(__GNUC__)
#define RT_SIP_INLINE static inline __attribute__((always_inline))
#else
#define RT_SIP_INLINE static inline
#endif

RT_SIP_INLINE void sip_round(sip *s)
{
    s->v0 += s->v1;
    s->v1 = rotl(s->v1, 13);
    s->v1 ^= s->v0;
    s->v0 = rotl(s->v0, 32);
    s->v2 += s->v3;
    s->v3 = rotl(s->v3, 16);
    s->v3 ^= s->v2;
    s->v0 += s->v3;
    s->v3 = rotl(s->v3, 21);
    s->v3 ^= s->v0;
    s->v2 += s->v1;
    s->v1 = rotl(s->v1, 17);
    s->v1 ^= s->v2;
    s->v2 = rotl(s->v2, 32);
}

RT_SIP_INLINE void sip_compress(sip *s, uint64_t m)
{
    s->v3 ^= m;
    sip_round(s); /* c = 2 compression rounds */
    sip_round(s);
    s->v0 ^= m;
}

uint64_t rt_siphash24(const uint8_t key[16], const void *data, size_t len)
{
    const unsigned char *p = data;
    uint64_t k0 = load_le64(key), k1 = load_le64(key + 8);
    /* The initial constants spell "somepseudorandomlygeneratedbytes". */
    sip s = {k0 ^ 0x736f6d6570736575u, k1 ^ 0x646f72616e646f6du, k0 ^ 0x6c7967656e657261u,
             k1 ^ 0x7465646279746573u};
    size_t full = len - len % 8;
    for (size_t i = 0; i < full; i += 8)
        sip_compress(&s, load_le64(p + i));
    /* Last word: the remaining bytes, little-endian, and len mod 256 on top. */
    uint64_t last = (uint64_t)(len & 0xFF) << 56;
    const unsigned char *t = p + full;
    switch (len % 8) {
    case 7:
        last |= (uint64_t)t[6] << 48;
        /* fall through */
    case 6:
        last |= (uint64_t)t[5] << 40;
        /* fall through */
    case 5:
        last |= (uint64_t)t[4] << 32;
        /* fall through */
    case 4:
        last |= (uint64_t)t[3] << 24;
        /* fall through */
    case 3:
        last |= (uint64_t)t[2] << 16;
        /* fall through */
    case 2:
        last |= (uint64_t)t[1] << 8;
        /* fall through */
    case 1:
        last |= (uint64_t)t[0];
        break;
    default:
        break;
    }
    sip_compress(&s, last);
    s.v2 ^= 0xFF;
    for (int i = 0; i < 4; i++) /* d = 4 finalisation rounds */
        sip_round(&s);
    return s.v0 ^ s.v1 ^ s.v2 ^ s.v3;
}

/* --------------------------------------------------- identifiers, text */

uint64_t rt_iid_from_bytes(const uint8_t b[8])
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | b[i];
    return v;
}

void rt_iid_to_bytes(uint64_t iid, uint8_t b[8])
{
    for (int i = 7; i >= 0; i--) {
        b[i] = (uint8_t)iid;
        iid >>= 8;
    }
}

bool rt_iid_usable(uint64_t iid)
{
    if (iid <= 1)
        return false; /* "::" and "::1" */
    if (iid >= 0x02005EFFFE000000u && iid <= 0x02005EFFFEFFFFFFu)
        return false; /* RFC 5453: reserved, proxy mobile IPv6, reserved */
    if (iid >= 0xFDFFFFFFFFFFFF80u && iid <= 0xFDFFFFFFFFFFFFFFu)
        return false; /* RFC 2526 subnet anycast */
    return true;
}

static int hexval(rt_wchar c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* One group of 1..4 hex digits at s[*i]. */
static bool parse_group(const rt_wchar *s, size_t n, size_t *i, uint16_t *out, const char **why)
{
    uint32_t v = 0;
    size_t start = *i;
    int d;
    while (*i < n && (d = hexval(s[*i])) >= 0) {
        if (*i - start == 4) {
            *why = "a group has more than 4 hex digits";
            return false;
        }
        v = v << 4 | (uint32_t)d;
        (*i)++;
    }
    if (*i == start) {
        *why = "expected hex digits (xxxx:xxxx:xxxx:xxxx)";
        return false;
    }
    *out = (uint16_t)v;
    return true;
}

int rt_iid_parse(const rt_wchar *s, size_t n, uint64_t *iid, const char **why)
{
    const char *dummy;
    if (!why)
        why = &dummy;
    if (!s || !iid) {
        *why = "missing";
        return RT_EINVAL;
    }
    uint16_t head[4], tail[4];
    size_t nh = 0, nt = 0, i = 0;
    bool gap = n >= 2 && s[0] == ':' && s[1] == ':';
    if (gap)
        i = 2;
    while (i < n) {
        uint16_t v;
        if (nh + nt == 4) {
            *why = "more than four groups";
            return RT_EPARSE;
        }
        if (!parse_group(s, n, &i, &v, why))
            return RT_EPARSE;
        if (gap)
            tail[nt++] = v;
        else
            head[nh++] = v;
        if (i == n)
            break;
        if (s[i] != ':' || i + 1 == n) {
            *why = "expected ':' between groups";
            return RT_EPARSE;
        }
        i++;
        if (s[i] == ':') {
            if (gap) {
                *why = "'::' may appear only once";
                return RT_EPARSE;
            }
            gap = true;
            i++;
        }
    }
    if (gap ? nh + nt > 3 : nh != 4) {
        *why = gap ? "'::' must stand for at least one group" : "expected four groups";
        return RT_EPARSE;
    }
    uint64_t v = 0;
    for (size_t k = 0; k < nh; k++)
        v = v << 16 | head[k];
    for (size_t k = nh + nt; k < 4; k++)
        v <<= 16; /* the groups "::" stands for */
    for (size_t k = 0; k < nt; k++)
        v = v << 16 | tail[k];
    *iid = v;
    return RT_OK;
}

uint64_t rt_iid_stable(const uint8_t key[16], const rt_wchar *name, size_t len, uint32_t counter)
{
    static const char tag[] = "rastap-iid";
    unsigned char buf[sizeof tag + 2 * 256 + 4];
    size_t n = sizeof tag; /* the tag with its NUL, the name, the counter (LE) */
    if (len > 256)
        len = 256;
    memcpy(buf, tag, sizeof tag);
    for (size_t i = 0; i < len; i++) {
        buf[n++] = (unsigned char)(name[i] & 0xFF);
        buf[n++] = (unsigned char)(name[i] >> 8);
    }
    for (int i = 0; i < 4; i++)
        buf[n++] = (unsigned char)(counter >> (8 * i));
    uint64_t iid = rt_siphash24(key, buf, n);
    if ((iid >> 32) == 0 || !rt_iid_usable(iid))
        return 0;
    return iid;
}

/* ----------------------------------------------------------- live set */

typedef struct bucket {
    _Atomic uint64_t iid[RT_IID_BUCKET];
    _Atomic uint64_t holder[RT_IID_BUCKET];
} bucket;

struct rt_iid_set {
    bucket *b;
    uint64_t mask;
};

int rt_iid_set_create(unsigned buckets_log2, rt_iid_set **out)
{
    if (!out || buckets_log2 < 1 || buckets_log2 > 20)
        return RT_EINVAL;
    rt_iid_set *s = calloc(1, sizeof *s);
    size_t n = (size_t)1 << buckets_log2;
    if (!s || !(s->b = calloc(n, sizeof *s->b))) {
        free(s);
        return RT_ENOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        for (unsigned k = 0; k < RT_IID_BUCKET; k++) {
            atomic_init(&s->b[i].iid[k], 0);
            atomic_init(&s->b[i].holder[k], 0);
        }
    }
    s->mask = n - 1;
    *out = s;
    return RT_OK;
}

void rt_iid_set_destroy(rt_iid_set *s)
{
    if (!s)
        return;
    free(s->b);
    free(s);
}

/* Bucket of an identifier: a mix of all its bits (identifiers chosen by an
 * administrator may differ in their low bits only). */
static bucket *bucket_of(const rt_iid_set *s, uint64_t iid)
{
    uint64_t h = iid * 0x9E3779B97F4A7C15u;
    return &s->b[(h ^ (h >> 29)) & s->mask];
}

int rt_iid_set_claim_mpmc(rt_iid_set *s, uint64_t iid, uint64_t holder)
{
    if (!s || iid == 0 || holder == 0)
        return RT_EINVAL;
    bucket *b = bucket_of(s, iid);
    for (unsigned k = 0; k < RT_IID_BUCKET; k++) /* step 1: a fast "held" */
        if (atomic_load_explicit(&b->iid[k], memory_order_acquire) == iid)
            return RT_EBUSY;
    unsigned mine = RT_IID_BUCKET;
    for (unsigned k = 0; k < RT_IID_BUCKET && mine == RT_IID_BUCKET; k++) {
        uint64_t empty = 0;
        /* Step 2, seq_cst: the store half of the Dekker pair with step 3 of
         * a racing claim (see the top of this file). Acquire half pairs
         * with the release store of 0 by the slot's last release. */
        if (atomic_compare_exchange_strong_explicit(&b->iid[k], &empty, iid,
                                                    memory_order_seq_cst,
                                                    memory_order_relaxed))
            mine = k;
    }
    if (mine == RT_IID_BUCKET)
        return RT_ENOSPC;
    for (unsigned k = 0; k < RT_IID_BUCKET; k++) {
        /* Step 3, seq_cst: the load half of the Dekker pair. */
        if (k != mine && atomic_load_explicit(&b->iid[k], memory_order_seq_cst) == iid) {
            atomic_store_explicit(&b->iid[mine], 0, memory_order_release);
            return RT_EBUSY;
        }
    }
    /* Step 4. Release pairs with the acquire load of holder in release. */
    atomic_store_explicit(&b->holder[mine], holder, memory_order_release);
    return RT_OK;
}

int rt_iid_set_release_mpmc(rt_iid_set *s, uint64_t iid, uint64_t holder, uint64_t *was)
{
    if (!s || iid == 0)
        return RT_EINVAL;
    bucket *b = bucket_of(s, iid);
    bool other = false;
    for (unsigned k = 0; k < RT_IID_BUCKET; k++) {
        if (atomic_load_explicit(&b->iid[k], memory_order_acquire) != iid)
            continue;
        uint64_t h = atomic_load_explicit(&b->holder[k], memory_order_acquire);
        while (rt_holder_matches(h, holder)) {
            if (atomic_compare_exchange_weak_explicit(&b->holder[k], &h, 0,
                                                      memory_order_acq_rel,
                                                      memory_order_acquire)) {
                /* Release: pairs with the acquire half of the next claim's
                 * CAS on this slot (invariant 2). */
                atomic_store_explicit(&b->iid[k], 0, memory_order_release);
                if (was)
                    *was = h;
                return RT_OK;
            }
        }
        other = true;
    }
    return other ? RT_EACCES : RT_ENOENT;
}

bool rt_iid_set_held(const rt_iid_set *s, uint64_t iid)
{
    if (!s || iid == 0)
        return false;
    bucket *b = bucket_of(s, iid);
    for (unsigned k = 0; k < RT_IID_BUCKET; k++)
        if (atomic_load_explicit(&b->iid[k], memory_order_acquire) == iid)
            return true;
    return false;
}

size_t rt_iid_set_live(const rt_iid_set *s)
{
    size_t n = 0;
    for (uint64_t i = 0; s && i <= s->mask; i++)
        for (unsigned k = 0; k < RT_IID_BUCKET; k++)
            n += atomic_load_explicit(&s->b[i].holder[k], memory_order_relaxed) != 0;
    return n;
}
