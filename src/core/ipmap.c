/*
 * ipmap.c - the static map (ipmap.h).
 *
 * Sized for the cache: a 100 000-entry map must answer in well under a
 * microsecond, and past the last-level cache every dependent load costs
 * 100-200 ns (more in a VM, where a TLB miss walks two page tables; on the
 * project's VM a random read over 4 MiB costs ~130 ns, over 2 MiB ~18 ns).
 * So each table is
 *
 *   ctrl[]   one byte per slot: 0 = empty, else 0x80 | 7 bits of the
 *            name's hash. 256 KiB for 100 000 entries: small enough to stay
 *            in the caches far more often than the slots do.
 *   slots[]  2^k slots of 16 bytes, four to a 64-byte line, load factor at
 *            most 1/2: 32 further bits of the hash (the tag), the record's
 *            offset in the arena (8-byte units) + 1, and a copy of the
 *            record's value.
 *   arena    the records: value, length and the folded name inline, one
 *            byte per unit when every unit is below U+0100 (most names),
 *            two otherwise; 8-byte aligned, and a record of at most 64
 *            bytes never straddles two cache lines. 32 bytes for a name
 *            like "CORP\user000123".
 *
 * Linear probing whose home is the first slot of a line: a lookup scans
 * control bytes from there until an empty one, and reads a slot only where
 * the control byte matches, then the record only where the tag matches
 * too. So a name that is not there (every user served from the pool) is
 * refused by the control bytes alone, almost always without touching the
 * slots (a slot is read for about one occupied control byte in 128, a
 * record for one in 2^39); and a hit reads one slot line and one record
 * line. Because the slot carries the value, rt_ipmap_peek hands it out as
 * soon as the slot is read, and the caller loads what it leads to (the
 * address's lease words) at the same time as the record, instead of after.
 *
 * The hashes are computed once per call by rt_ipmap_key_prepare, over names
 * folded once by the caller (rt_ipmap_fold, four ASCII units at a time).
 *
 * Two tables: `exact` holds the entries as given (rules 1 and 2 of
 * ipmap.h), `unique` the user parts of qualified entries (rule 3),
 * consulted only for bare names.
 *
 * Invariants (the tables never change after finish, so lookups need no
 * synchronisation among themselves):
 *  1. Slot i is occupied iff ctrl[i] != 0, and then ctrl[i] is fp_of and
 *     slots[i].tag is tag_of of the hash of the record's name.
 *  2. An entry sits in the first empty slot after its home at the time it
 *     was placed, and slots are never emptied: a lookup that reaches an
 *     empty slot has passed every slot its name could occupy.
 *  3. The load stays at most 1/2, so every probe ends; its worst case is
 *     the longest run of occupied slots, which finish measures
 *     (rt_ipmap_max_probe). A user name cannot lengthen it: the layout
 *     depends only on the configuration.
 */
#include "ipmap.h"

#include <stdlib.h>
#include <string.h>

#include "error.h"

/* Arena offsets are 32 bits of 8-byte units; records stay below 128 MiB. */
#define ARENA_MAX ((size_t)1 << 27)

enum { LINE = 64, LINE_SLOTS = 4, REC_NARROW = 0, REC_WIDE = 1 };

typedef struct rec {
    uint64_t value;
    uint16_t len;      /* in units */
    uint8_t wide;      /* REC_NARROW: key holds one byte per unit */
    uint8_t ambiguous; /* `unique` table: a second qualified entry had this user part */
    uint8_t key[];     /* len or 2 * len bytes (UTF-16LE) */
} rec;

typedef struct slot {
    uint32_t tag;   /* bits 63..32 of the name's hash */
    uint32_t pos;   /* the record's arena offset in 8-byte units, + 1; 0: empty */
    uint64_t value; /* the record's value (rt_ipmap_peek) */
} slot;

/* Memory aligned to a cache line: `mem` is what was allocated. */
typedef struct lines {
    void *mem;
    unsigned char *at;
} lines;

typedef struct table {
    lines arena;
    size_t arena_len, arena_cap;
    lines slot_mem, ctrl_mem;
    slot *slots;
    uint8_t *ctrl; /* per slot: 0 empty, else fp_of(hash) */
    size_t mask, n;
} table;

struct rt_ipmap {
    table exact, unique;
    uint32_t *order; /* arena offsets (8-byte units) of the entries, in insertion order */
    size_t order_cap;
    size_t max_probe;
    bool frozen;
};

/* bytes of zeroed memory starting on a cache line; false when out of memory. */
static bool lines_alloc(lines *l, size_t bytes)
{
    l->mem = calloc(1, bytes + LINE - 1);
    if (!l->mem)
        return false;
    l->at = (unsigned char *)l->mem + ((LINE - (uintptr_t)l->mem % LINE) % LINE);
    return true;
}

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

/*
 * 1 + the index of the last unit of s[0..n) equal to c, or 0. Four units
 * at a time: x = w ^ c in every lane is zero exactly where a unit equals
 * c, and (x - 1) & ~x & 0x8000 in every lane is non-zero for the word
 * exactly when some lane is zero (a borrow can mark lanes above a zero
 * one too, so the word is then searched unit by unit).
 */
static size_t last_of(const rt_wchar *s, size_t n, rt_wchar c)
{
    const uint64_t ones = 0x0001000100010001u, pattern = ones * c;
    size_t i = n;
    for (; i >= 4; i -= 4) {
        uint64_t w;
        memcpy(&w, s + i - 4, sizeof w);
        uint64_t x = w ^ pattern;
        if ((x - ones) & ~x & 0x8000800080008000u)
            break;
    }
    for (; i > 0; i--)
        if (s[i - 1] == c)
            return i;
    return 0;
}

void rt_ipmap_bare(const rt_wchar *s, size_t n, size_t *off, size_t *len, bool *qualified)
{
    size_t start = last_of(s, n, '\\'); /* just after the last backslash */
    size_t at = last_of(s + start, n - start, '@');
    size_t end = at ? start + at - 1 : n;
    *off = start;
    *len = end - start;
    *qualified = start != 0 || end != n;
}

/*
 * Four units per step, then splitmix64's finaliser. The last units are
 * read as the name's last four (overlapping the previous step) when the
 * name has four. Only ever compared within one process (tables are built
 * where they are used), so reading the units in host byte order is fine.
 * Each step is a bijection of the state for a given word, so two names of
 * one length that differ in a single step's word never collide.
 */
static uint64_t hash_units(const rt_wchar *s, size_t n)
{
    uint64_t h = 0x9E3779B97F4A7C15u ^ (uint64_t)n, w;
    size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        memcpy(&w, s + i, sizeof w);
        h = (h ^ w) * 0xbf58476d1ce4e5b9u;
        h ^= h >> 31;
    }
    uint64_t tail = 0;
    if (i < n && n >= 4) {
        memcpy(&tail, s + n - 4, sizeof tail);
    } else {
        for (; i < n; i++)
            tail = tail << 16 | s[i];
    }
    h = (h ^ tail) * 0x94d049bb133111ebu;
    h ^= h >> 30;
    h *= 0xbf58476d1ce4e5b9u;
    h ^= h >> 27;
    h *= 0x94d049bb133111ebu;
    return h ^ (h >> 31);
}

/*
 * ASCII letters of four units at once (SWAR): a unit is in 'A'..'Z' when
 * adding 0x80 - 'A' sets its bit 7 and adding 0x80 - 'Z' - 1 does not; no
 * lane carries into the next because every unit is below 0x80. The lanes
 * are 16 bits whatever the byte order, so the masks work on both.
 */
static void fold4(const rt_wchar *in, rt_wchar *out)
{
    uint64_t w;
    memcpy(&w, in, sizeof w);
    if (w & 0xFF80FF80FF80FF80u) { /* not all ASCII: unit by unit */
        for (size_t k = 0; k < 4; k++)
            out[k] = rt_ipmap_fold_unit(in[k]);
        return;
    }
    uint64_t from_a = w + 0x003F003F003F003Fu, past_z = w + 0x0025002500250025u;
    w |= (from_a & ~past_z & 0x0080008000800080u) >> 2; /* + 0x20 on capitals */
    memcpy(out, &w, sizeof w);
}

void rt_ipmap_fold(const rt_wchar *in, size_t n, rt_wchar *out)
{
    size_t i = 0;
    for (; i + 4 <= n; i += 4)
        fold4(in + i, out + i);
    if (i < n && n >= 4) {
        /* The last four units, overlapping: folding is idempotent, so
         * units folded twice (even in place) come out the same. */
        fold4(in + n - 4, out + n - 4);
        return;
    }
    for (; i < n; i++)
        out[i] = rt_ipmap_fold_unit(in[i]);
}

static rec *rec_at(const table *t, uint32_t pos)
{
    return (rec *)(void *)(t->arena.at + (size_t)pos * 8);
}

/*
 * The prefetch helpers are always inlined: GCC sees a function whose only
 * effect is a prefetch as free of side effects and deletes the calls to it
 * (it did, for prefetch_home, before this).
 */
#if defined(__GNUC__)
#define PREFETCHING static inline __attribute__((always_inline))
#else
#define PREFETCHING static inline
#endif

PREFETCHING void prefetch(const void *p)
{
#if defined(__GNUC__)
    __builtin_prefetch(p);
#else
    (void)p;
#endif
}

static bool same_key(const rec *r, const rt_wchar *key, size_t len)
{
    if (r->len != len)
        return false;
    /* No early exit: the fingerprint already matched, so the names almost
     * always agree, and a branch-free loop is the cheaper way to say so. */
    unsigned diff = 0;
    if (r->wide) {
        for (size_t i = 0; i < len; i++)
            diff |= (unsigned)(r->key[2 * i] | r->key[2 * i + 1] << 8) ^ key[i];
    } else {
        for (size_t i = 0; i < len; i++)
            diff |= (unsigned)r->key[i] ^ key[i];
    }
    return diff == 0;
}

static void key_of(const rec *r, rt_wchar *out)
{
    for (size_t i = 0; i < r->len; i++)
        out[i] = r->wide ? (rt_wchar)(r->key[2 * i] | r->key[2 * i + 1] << 8) : r->key[i];
}

static uint32_t tag_of(uint64_t h)
{
    return (uint32_t)(h >> 32);
}

/* The control byte of an occupied slot: 7 bits of the hash that neither
 * the slot index (bits 23..0 at most) nor the tag (bits 63..32) uses. */
static uint8_t fp_of(uint64_t h)
{
    return (uint8_t)(0x80u | (h >> 24 & 0x7Fu));
}

/* The first slot of the line a hash starts its probe in. */
static size_t home_of(const table *t, uint64_t h)
{
    return (size_t)h & t->mask & ~(size_t)(LINE_SLOTS - 1);
}

/* The record named key[0..len) (folded), or NULL. */
static rec *find(const table *t, const rt_wchar *key, size_t len, uint64_t h)
{
    if (!t->slots)
        return NULL;
    uint8_t fp = fp_of(h);
    uint32_t tag = tag_of(h);
    for (size_t i = home_of(t, h);; i = (i + 1) & t->mask) {
        uint8_t c = t->ctrl[i];
        if (c == 0)
            return NULL;
        if (c == fp && t->slots[i].tag == tag) {
            rec *r = rec_at(t, t->slots[i].pos - 1);
            if (same_key(r, key, len))
                return r;
        }
    }
}

/* The value of the first slot whose fingerprint is h's (rt_ipmap_peek). */
static bool peek(const table *t, uint64_t h, uint64_t *value)
{
    if (!t->slots)
        return false;
    uint8_t fp = fp_of(h);
    uint32_t tag = tag_of(h);
    for (size_t i = home_of(t, h);; i = (i + 1) & t->mask) {
        uint8_t c = t->ctrl[i];
        if (c == 0)
            return false;
        if (c == fp && t->slots[i].tag == tag) {
            prefetch(rec_at(t, t->slots[i].pos - 1)); /* the lookup reads it next */
            *value = t->slots[i].value;
            return true;
        }
    }
}

static void place(table *t, uint32_t pos, uint64_t h, uint64_t value)
{
    size_t i = home_of(t, h);
    while (t->ctrl[i] != 0)
        i = (i + 1) & t->mask;
    t->ctrl[i] = fp_of(h);
    t->slots[i] = (slot){tag_of(h), pos + 1, value};
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
    lines mem, ctrl, old = t->slot_mem, old_ctrl = t->ctrl_mem;
    slot *olds = t->slots;
    if (!lines_alloc(&mem, cap * sizeof(slot)))
        return RT_ENOMEM;
    if (!lines_alloc(&ctrl, cap)) {
        free(mem.mem);
        return RT_ENOMEM;
    }
    t->slot_mem = mem;
    t->ctrl_mem = ctrl;
    t->slots = (slot *)(void *)mem.at;
    t->ctrl = ctrl.at;
    t->mask = cap - 1;
    for (size_t i = 0; i < nslots; i++) {
        if (olds[i].pos) {
            rt_wchar key[RT_IPMAP_NAME_MAX];
            const rec *r = rec_at(t, olds[i].pos - 1);
            key_of(r, key);
            place(t, olds[i].pos - 1, hash_units(key, r->len), r->value);
        }
    }
    free(old.mem);
    free(old_ctrl.mem);
    return RT_OK;
}

/* Room for `bytes` more bytes of arena, which stays on a cache line. */
static bool reserve_arena(table *t, size_t bytes)
{
    if (t->arena_len + bytes <= t->arena_cap)
        return true;
    size_t cap = t->arena_cap ? t->arena_cap : 4096;
    while (cap < t->arena_len + bytes)
        cap *= 2;
    lines a;
    if (!lines_alloc(&a, cap))
        return false;
    if (t->arena_len)
        memcpy(a.at, t->arena.at, t->arena_len);
    free(t->arena.mem);
    t->arena = a;
    t->arena_cap = cap;
    return true;
}

/* Appends a record for a folded key the caller checked is absent; returns
 * its arena offset (8-byte units), or -1 when out of memory or space. */
static long append(table *t, const rt_wchar *key, size_t len, uint64_t h, uint64_t value)
{
    bool wide = false;
    for (size_t i = 0; i < len; i++)
        wide |= key[i] > 0xFF;
    size_t bytes = (sizeof(rec) + len * (wide ? 2 : 1) + 7) & ~(size_t)7;
    /* A record that fits in a line starts where it does not cross one: a
     * hit then reads one line of arena. */
    size_t pad = 0;
    if (bytes <= LINE && t->arena_len % LINE + bytes > LINE)
        pad = LINE - t->arena_len % LINE;
    if (t->arena_len + pad + bytes > ARENA_MAX || reserve_slots(t, t->n + 1) != RT_OK ||
        !reserve_arena(t, pad + bytes))
        return -1;
    memset(t->arena.at + t->arena_len, 0, pad + bytes);
    t->arena_len += pad;
    uint32_t pos = (uint32_t)(t->arena_len / 8);
    rec *r = rec_at(t, pos);
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
    place(t, pos, h, value);
    t->n++;
    return (long)pos;
}

static void table_free(table *t)
{
    free(t->arena.mem);
    free(t->slot_mem.mem);
    free(t->ctrl_mem.mem);
}

int rt_ipmap_create(rt_ipmap **out)
{
    if (!out)
        return RT_EINVAL;
    *out = calloc(1, sizeof **out);
    return *out ? RT_OK : RT_ENOMEM;
}

int rt_ipmap_add(rt_ipmap *m, const rt_wchar *name, size_t len, uint64_t value,
                 uint64_t *existing)
{
    rt_wchar key[RT_IPMAP_NAME_MAX];
    if (!m || !name || m->frozen || len == 0 || len > RT_IPMAP_NAME_MAX)
        return RT_EINVAL;
    rt_ipmap_fold(name, len, key);
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
        run = t->ctrl[i & t->mask] ? run + 1 : 0;
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

/* Starts loading the control bytes and slots a probe for h begins with. */
PREFETCHING void prefetch_home(const table *t, uint64_t h)
{
    if (t->slots) {
        prefetch(&t->ctrl[home_of(t, h)]);
        prefetch(&t->slots[home_of(t, h)]);
    }
}

void rt_ipmap_key_prepare(rt_ipmap_key *k, const rt_ipmap *m, const rt_wchar *folded, size_t len)
{
    *k = (rt_ipmap_key){.units = folded};
    if (!folded || len == 0 || len > RT_IPMAP_NAME_MAX)
        return;
    if (m && !m->frozen)
        m = NULL;
    k->len = len;
    k->hash = hash_units(folded, len);
    /* Both probes' home lines are requested as soon as their hashes are
     * known: they do not depend on each other, so missing both costs about
     * one memory latency, not two, and the rest of the work overlaps it. */
    if (m)
        prefetch_home(&m->exact, k->hash);
    rt_ipmap_bare(folded, len, &k->bare_off, &k->bare_len, &k->qualified);
    if (k->qualified && k->bare_len > 0)
        k->bare_hash = hash_units(folded + k->bare_off, k->bare_len);
    if (m && k->qualified && k->bare_len > 0)
        prefetch_home(&m->exact, k->bare_hash);
    else if (m && !k->qualified)
        prefetch_home(&m->unique, k->hash);
}

/* The table and hash of the second probe (rule 2 or 3), or NULL. */
static const table *fallback(const rt_ipmap *m, const rt_ipmap_key *k, uint64_t *h)
{
    if (!k->qualified) {
        *h = k->hash;
        return &m->unique;
    }
    *h = k->bare_hash;
    return k->bare_len > 0 ? &m->exact : NULL;
}

int rt_ipmap_lookup_key(const rt_ipmap *m, const rt_ipmap_key *k, uint64_t *value)
{
    if (!m || !m->frozen || !k || k->len == 0)
        return RT_IPMAP_NONE;
    const rec *r = find(&m->exact, k->units, k->len, k->hash);
    int rule = RT_IPMAP_EXACT;
    if (!r && !k->qualified) { /* rule 3 */
        r = find(&m->unique, k->units, k->len, k->hash);
        if (r && r->ambiguous)
            r = NULL;
        rule = RT_IPMAP_UNIQUE_QUALIFIED;
    } else if (!r && k->bare_len > 0) { /* rule 2 */
        r = find(&m->exact, k->units + k->bare_off, k->bare_len, k->bare_hash);
        rule = RT_IPMAP_BARE;
    }
    if (!r)
        return RT_IPMAP_NONE;
    if (value)
        *value = r->value;
    return rule;
}

bool rt_ipmap_peek(const rt_ipmap *m, const rt_ipmap_key *k, uint64_t *value)
{
    if (!m || !m->frozen || !k || k->len == 0 || !value)
        return false;
    uint64_t hb;
    const table *fb = fallback(m, k, &hb);
    return peek(&m->exact, k->hash, value) || (fb && peek(fb, hb, value));
}

int rt_ipmap_lookup(const rt_ipmap *m, const rt_wchar *name, size_t len, uint64_t *value)
{
    rt_wchar folded[RT_IPMAP_NAME_MAX];
    rt_ipmap_key k;
    if (!name || len > RT_IPMAP_NAME_MAX)
        return RT_IPMAP_NONE;
    rt_ipmap_fold(name, len, folded);
    rt_ipmap_key_prepare(&k, m, folded, len);
    return rt_ipmap_lookup_key(m, &k, value);
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
