/*
 * ipmap.c - the static map (ipmap.h).
 *
 * Sized for the cache: a 100 000-entry map must answer in well under a
 * microsecond, and past the last-level cache every dependent load costs
 * hundreds of nanoseconds (more in a VM, where a TLB miss walks two page
 * tables). So each table is
 *
 *   slots[]  2^k 32-bit slots, linear probing, load factor at most 1/2:
 *            an 8-bit tag from the name's hash and the record's offset in
 *            the arena (8-byte units) + 1; 0 = empty. 4 bytes per slot.
 *   arena    the records: value, length and the folded name inline, one
 *            byte per unit when every unit is below U+0100 (most names),
 *            two otherwise; 8-byte aligned. About 32 bytes for a name like
 *            "CORP\user000123", so 100 000 entries take ~4 MiB in all.
 *
 * A hit reads one slot and one record; a name that is not there is
 * usually refused by the slots alone (the tag). Two tables: `exact` holds
 * the entries as given (rules 1 and 2 of ipmap.h), `unique` the user parts
 * of qualified entries (rule 3), consulted only for bare names.
 *
 * The tables never change after finish, so lookups need no synchronisation
 * among themselves; the worst case of one lookup is the longest run of
 * occupied slots, which finish measures (rt_ipmap_max_probe). A user name
 * cannot lengthen it: the layout depends only on the configuration.
 */
#include "ipmap.h"

#include <stdlib.h>
#include <string.h>

#include "error.h"

/* Arena offsets are 24 bits of 8-byte units: 128 MiB of records at most. */
#define ARENA_MAX ((size_t)1 << 27)

enum { REC_NARROW = 0, REC_WIDE = 1 };

typedef struct rec {
    uint64_t value;
    uint16_t len;      /* in units */
    uint8_t wide;      /* REC_NARROW: key holds one byte per unit */
    uint8_t ambiguous; /* `unique` table: a second qualified entry had this user part */
    uint8_t key[];     /* len or 2 * len bytes (UTF-16LE) */
} rec;

typedef struct table {
    unsigned char *arena;
    size_t arena_len, arena_cap;
    uint32_t *slots;
    size_t mask, n;
} table;

struct rt_ipmap {
    table exact, unique;
    uint32_t *order; /* arena offsets (8-byte units) of the entries, in insertion order */
    size_t order_cap;
    size_t max_probe;
    bool frozen;
};

rt_wchar rt_ipmap_fold_unit(rt_wchar c)
{
    if (c < 0x80)
        return (c >= 'A' && c <= 'Z') ? (rt_wchar)(c + 32) : c;
    if (c >= 0xC0 && c <= 0xDE && c != 0xD7) /* Latin-1 capitals */
        return (rt_wchar)(c + 32);
    if (c >= 0x100 && c <= 0x17F) { /* Latin Extended-A: case pairs */
        if ((c >= 0x100 && c <= 0x12F) || (c >= 0x132 && c <= 0x137) ||
            (c >= 0x14A && c <= 0x177))
            return (rt_wchar)(c | 1);
        if ((c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17E))
            return (rt_wchar)((c & 1) ? c + 1 : c);
        return c == 0x178 ? (rt_wchar)0xFF : c;
    }
    if (c >= 0x386 && c <= 0x3AB) { /* Greek capitals */
        if (c >= 0x391 && c <= 0x3AB && c != 0x3A2)
            return (rt_wchar)(c + 32);
        if (c == 0x386)
            return 0x3AC;
        if (c >= 0x388 && c <= 0x38A)
            return (rt_wchar)(c + 37);
        if (c == 0x38C)
            return 0x3CC;
        if (c == 0x38E || c == 0x38F)
            return (rt_wchar)(c + 63);
        return c;
    }
    if (c == 0x3C2) /* final sigma compares as sigma */
        return 0x3C3;
    if (c >= 0x400 && c <= 0x42F) /* Cyrillic capitals */
        return (rt_wchar)(c < 0x410 ? c + 80 : c + 32);
    if ((c >= 0x460 && c <= 0x481) || (c >= 0x48A && c <= 0x4BF))
        return (rt_wchar)(c | 1);
    if (c >= 0xFF21 && c <= 0xFF3A) /* fullwidth A-Z */
        return (rt_wchar)(c + 32);
    return c;
}

void rt_ipmap_bare(const rt_wchar *s, size_t n, size_t *off, size_t *len, bool *qualified)
{
    size_t start = 0, end = n;
    for (size_t i = n; i > 0; i--) {
        if (s[i - 1] == '\\') {
            start = i;
            break;
        }
    }
    for (size_t i = n; i > start; i--) {
        if (s[i - 1] == '@') {
            end = i - 1;
            break;
        }
    }
    *off = start;
    *len = end - start;
    *qualified = start != 0 || end != n;
}

/* FNV-1a over the units, then a final avalanche (splitmix64's). */
static uint64_t hash_units(const rt_wchar *s, size_t n)
{
    uint64_t h = 0xcbf29ce484222325u;
    for (size_t i = 0; i < n; i++) {
        h ^= s[i];
        h *= 0x100000001b3u;
    }
    h ^= h >> 30;
    h *= 0xbf58476d1ce4e5b9u;
    h ^= h >> 27;
    h *= 0x94d049bb133111ebu;
    return h ^ (h >> 31);
}

static rec *rec_at(const table *t, uint32_t pos)
{
    return (rec *)(void *)(t->arena + (size_t)pos * 8);
}

static void prefetch(const void *p)
{
#if defined(__GNUC__)
    __builtin_prefetch(p);
#else
    (void)p;
#endif
}

static rt_wchar unit_at(const rec *r, size_t i)
{
    return r->wide ? (rt_wchar)(r->key[2 * i] | r->key[2 * i + 1] << 8) : r->key[i];
}

static bool same_key(const rec *r, const rt_wchar *key, size_t len)
{
    if (r->len != len)
        return false;
    for (size_t i = 0; i < len; i++)
        if (unit_at(r, i) != key[i])
            return false;
    return true;
}

static void key_of(const rec *r, rt_wchar *out)
{
    for (size_t i = 0; i < r->len; i++)
        out[i] = unit_at(r, i);
}

static uint32_t tag_of(uint64_t h)
{
    return (uint32_t)(h >> 56) << 24;
}

/* The record named key[0..len) (folded), or NULL. */
static rec *find(const table *t, const rt_wchar *key, size_t len, uint64_t h)
{
    if (!t->slots)
        return NULL;
    uint32_t tag = tag_of(h);
    for (size_t i = (size_t)h & t->mask;; i = (i + 1) & t->mask) {
        uint32_t s = t->slots[i];
        if (s == 0)
            return NULL;
        if ((s & 0xFF000000u) == tag) {
            rec *r = rec_at(t, (s & 0xFFFFFFu) - 1);
            if (same_key(r, key, len))
                return r;
        }
    }
}

static void place(table *t, uint32_t pos, uint64_t h)
{
    size_t i = (size_t)h & t->mask;
    while (t->slots[i] != 0)
        i = (i + 1) & t->mask;
    t->slots[i] = tag_of(h) | (pos + 1);
}

/* Grows the slots so that `want` entries keep the load at most 1/2. */
static int reserve_slots(table *t, size_t want)
{
    size_t nslots = t->slots ? t->mask + 1 : 0;
    if (want <= nslots / 2)
        return RT_OK;
    size_t cap = 64;
    while (cap / 2 < want)
        cap *= 2; /* want < 2^24 (the arena's limit): never overflows */
    uint32_t *slots = calloc(cap, sizeof *slots), *old = t->slots;
    if (!slots)
        return RT_ENOMEM;
    t->slots = slots;
    t->mask = cap - 1;
    for (size_t i = 0; i < nslots; i++) {
        if (old[i]) {
            rt_wchar key[RT_IPMAP_NAME_MAX];
            const rec *r = rec_at(t, (old[i] & 0xFFFFFFu) - 1);
            key_of(r, key);
            place(t, (old[i] & 0xFFFFFFu) - 1, hash_units(key, r->len));
        }
    }
    free(old);
    return RT_OK;
}

/* Appends a record for a folded key the caller checked is absent; returns
 * its arena offset (8-byte units), or -1 when out of memory or space. */
static long append(table *t, const rt_wchar *key, size_t len, uint64_t h, uint64_t value)
{
    bool wide = false;
    for (size_t i = 0; i < len; i++)
        wide |= key[i] > 0xFF;
    size_t bytes = (sizeof(rec) + len * (wide ? 2 : 1) + 7) & ~(size_t)7;
    if (t->arena_len + bytes > ARENA_MAX || reserve_slots(t, t->n + 1) != RT_OK)
        return -1;
    if (t->arena_len + bytes > t->arena_cap) {
        size_t cap = t->arena_cap ? t->arena_cap : 4096;
        while (cap < t->arena_len + bytes)
            cap *= 2;
        unsigned char *a = realloc(t->arena, cap);
        if (!a)
            return -1;
        t->arena = a;
        t->arena_cap = cap;
    }
    uint32_t pos = (uint32_t)(t->arena_len / 8);
    rec *r = rec_at(t, pos);
    memset(r, 0, bytes);
    r->value = value;
    r->len = (uint16_t)len;
    r->wide = wide ? REC_WIDE : REC_NARROW;
    for (size_t i = 0; i < len; i++) {
        if (wide) {
            r->key[2 * i] = (uint8_t)(key[i] & 0xFF);
            r->key[2 * i + 1] = (uint8_t)(key[i] >> 8);
        } else {
            r->key[i] = (uint8_t)key[i];
        }
    }
    t->arena_len += bytes;
    place(t, pos, h);
    t->n++;
    return (long)pos;
}

static void table_free(table *t)
{
    free(t->arena);
    free(t->slots);
}

int rt_ipmap_create(rt_ipmap **out)
{
    if (!out)
        return RT_EINVAL;
    *out = calloc(1, sizeof **out);
    return *out ? RT_OK : RT_ENOMEM;
}

static void fold(const rt_wchar *in, size_t n, rt_wchar *out)
{
    for (size_t i = 0; i < n; i++)
        out[i] = rt_ipmap_fold_unit(in[i]);
}

int rt_ipmap_add(rt_ipmap *m, const rt_wchar *name, size_t len, uint64_t value,
                 uint64_t *existing)
{
    rt_wchar key[RT_IPMAP_NAME_MAX];
    if (!m || !name || m->frozen || len == 0 || len > RT_IPMAP_NAME_MAX)
        return RT_EINVAL;
    fold(name, len, key);
    uint64_t h = hash_units(key, len);
    const rec *r = find(&m->exact, key, len, h);
    if (r) {
        if (existing)
            *existing = r->value;
        return RT_EEXIST;
    }
    if (m->exact.n + 1 >= m->order_cap) {
        size_t cap = m->order_cap ? m->order_cap * 2 : 64;
        uint32_t *o = realloc(m->order, cap * sizeof *o);
        if (!o)
            return RT_ENOMEM;
        m->order = o;
        m->order_cap = cap;
    }
    long pos = append(&m->exact, key, len, h, value);
    if (pos < 0)
        return RT_ENOMEM;
    m->order[m->exact.n - 1] = (uint32_t)pos;
    return RT_OK;
}

/* Longest run of occupied slots, wrapping: what a failed lookup may walk. */
static size_t longest_run(const table *t)
{
    if (!t->slots)
        return 0;
    size_t nslots = t->mask + 1, best = 0, run = 0;
    for (size_t i = 0; i < 2 * nslots; i++) {
        run = t->slots[i & t->mask] ? run + 1 : 0;
        if (run > best)
            best = run;
    }
    return best < nslots ? best + 1 : nslots;
}

int rt_ipmap_finish(rt_ipmap *m)
{
    if (!m || m->frozen)
        return RT_EINVAL;
    for (size_t i = 0; i < m->exact.n; i++) {
        rt_wchar key[RT_IPMAP_NAME_MAX];
        const rec *e = rec_at(&m->exact, m->order[i]);
        size_t off, len;
        bool qualified;
        key_of(e, key);
        rt_ipmap_bare(key, e->len, &off, &len, &qualified);
        if (!qualified || len == 0)
            continue;
        uint64_t h = hash_units(key + off, len);
        if (find(&m->exact, key + off, len, h))
            continue; /* an explicit bare entry takes this user part (rule 1) */
        rec *u = find(&m->unique, key + off, len, h);
        if (u)
            u->ambiguous = 1; /* a second domain has this user */
        else if (append(&m->unique, key + off, len, h, e->value) < 0)
            return RT_ENOMEM;
    }
    size_t a = longest_run(&m->exact), b = longest_run(&m->unique);
    m->max_probe = a > b ? a : b;
    m->frozen = true;
    return RT_OK;
}

int rt_ipmap_lookup(const rt_ipmap *m, const rt_wchar *name, size_t len, uint64_t *value)
{
    rt_wchar key[RT_IPMAP_NAME_MAX];
    if (!m || !m->frozen || !name || len == 0 || len > RT_IPMAP_NAME_MAX)
        return RT_IPMAP_NONE;
    fold(name, len, key);
    size_t off, blen;
    bool qualified;
    uint64_t h = hash_units(key, len), hb = 0;
    rt_ipmap_bare(key, len, &off, &blen, &qualified);
    /* The fallback probe (rule 2 or 3) does not depend on the first one:
     * start loading its slot now, so that missing both costs about one
     * memory latency, not two. */
    if (qualified && blen > 0) {
        hb = hash_units(key + off, blen);
        if (m->exact.slots)
            prefetch(&m->exact.slots[hb & m->exact.mask]);
    } else if (!qualified && m->unique.slots) {
        prefetch(&m->unique.slots[h & m->unique.mask]);
    }
    const rec *r = find(&m->exact, key, len, h);
    int rule = RT_IPMAP_EXACT;
    if (!r && !qualified) { /* rule 3 */
        r = find(&m->unique, key, len, h);
        if (r && r->ambiguous)
            r = NULL;
        rule = RT_IPMAP_UNIQUE_QUALIFIED;
    } else if (!r && blen > 0) { /* rule 2 */
        r = find(&m->exact, key + off, blen, hb);
        rule = RT_IPMAP_BARE;
    }
    if (!r)
        return RT_IPMAP_NONE;
    if (value)
        *value = r->value;
    return rule;
}

size_t rt_ipmap_count(const rt_ipmap *m)
{
    return m ? m->exact.n : 0;
}

uint64_t rt_ipmap_value_at(const rt_ipmap *m, size_t i)
{
    return m && i < m->exact.n ? rec_at(&m->exact, m->order[i])->value : 0;
}

size_t rt_ipmap_max_probe(const rt_ipmap *m)
{
    return m ? m->max_probe : 0;
}

void rt_ipmap_free(rt_ipmap *m)
{
    if (!m)
        return;
    table_free(&m->exact);
    table_free(&m->unique);
    free(m->order);
    free(m);
}
