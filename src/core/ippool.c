/*
 * ippool.c - the lease directory and the pools over it (ippool.h).
 *
 * The directory is a two-level radix table over the IPv4 space:
 * pages[addr >> 16] -> page, page->blk[(addr >> 5) & 2047] -> block of 32
 * addresses. Both pointers are written once, by the single writer, with a
 * release store after the object is initialised, and read with acquire
 * loads, so a lookup is two dependent loads, never a lock. Blocks and pages
 * are never freed before the directory is, so a pointer once found stays
 * valid (no reclamation problem at all).
 *
 * A block's `bits` word is the lease state: bit i set <=> address base + i
 * is leased. Only 32-bit atomics touch it (no libatomic on i686). holder[i]
 * names the session holding it (64-bit atomics; MinGW's i686 GCC inlines
 * them with cmpxchg8b and fild/fistp, so they need no libatomic either).
 *
 * Lease:    CAS / fetch_or sets bit i (acq_rel) -> the caller owns i;
 *           then holder[i] = holder (release).
 * Release:  h = holder[i] (acquire); if h matches, CAS holder[i] h -> 0
 *           (acq_rel) -> this releaser won; then fetch_and clears bit i
 *           (release). A releaser whose holder does not match, or that
 *           loses the CAS, changes nothing.
 *
 * Invariants:
 *  1. Bit i goes 0 -> 1 only by a successful CAS/fetch_or of a lease, and
 *     that lease is the only operation that saw the bit clear: at most one
 *     session owns an address at any time, however many threads race.
 *  2. Bit i goes 1 -> 0 only by the release that won the CAS on holder[i];
 *     there is one such winner per lease, so a lease is freed at most once.
 *  3. holder[i] != 0 only between a lease's holder store and its release's
 *     CAS. The releaser clears holder[i] before clearing bit i; the bit
 *     clear is a release store that the next lease's CAS reads with
 *     acquire, so the next owner's holder store comes after the clear and
 *     is never overwritten by it. A stale or foreign release sees 0 or
 *     another holder and does nothing.
 *  4. Pools only decide which bits may be claimed (allowed masks); the
 *     bits themselves belong to the directory. Pools built from different
 *     configurations therefore share one lease state: a swap of snapshots
 *     can neither free a live lease nor let an address be leased twice,
 *     and a release finds its lease through the directory even when no
 *     current pool contains the address any more.
 *  5. The hint is only a starting point (relaxed loads and stores); any
 *     value is correct, so races on it cost a few extra loads at most.
 */
#include "ippool.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

enum { BLOCK_BITS = 32, PAGE_BLOCKS = 2048, PAGES = 65536, SLAB_BLOCKS = 256 };

typedef struct rt_ippool_block {
    _Atomic uint32_t bits;
    uint32_t base;
    _Atomic uint64_t holder[BLOCK_BITS];
} block;

typedef struct page {
    _Atomic(block *) blk[PAGE_BLOCKS];
} page;

typedef struct slab {
    struct slab *next;
    uint32_t used;
    block b[SLAB_BLOCKS];
} slab;

struct rt_ippool_dir {
    _Atomic(page *) *pages; /* PAGES entries */
    slab *slabs;            /* newest first; writer only */
    uint32_t nblocks, max_blocks;
};

typedef struct pool_word {
    block *blk;
    uint32_t allowed; /* bits of blk this pool may hand out */
} pool_word;

struct rt_ippool {
    pool_word *w;
    size_t n;
    uint64_t size;
    _Atomic size_t hint;
};

static unsigned lowest_bit(uint32_t x)
{
#if defined(__GNUC__)
    return (unsigned)__builtin_ctz(x);
#else
    unsigned i = 0;
    while (!(x & 1u)) {
        x >>= 1;
        i++;
    }
    return i;
#endif
}

/* Starts loading the cache line of p; the two lines a lease touches (bits,
 * holder) are then fetched at once instead of one after the other. */
static void prefetch(const volatile void *p)
{
#if defined(__GNUC__)
    __builtin_prefetch((const void *)p, 1);
#else
    (void)p;
#endif
}

static unsigned popcount(uint32_t x)
{
    x = x - ((x >> 1) & 0x55555555u);
    x = (x & 0x33333333u) + ((x >> 2) & 0x33333333u);
    return (((x + (x >> 4)) & 0x0F0F0F0Fu) * 0x01010101u) >> 24;
}

int rt_ippool_dir_create(uint32_t max_blocks, rt_ippool_dir **out)
{
    if (!out)
        return RT_EINVAL;
    rt_ippool_dir *d = calloc(1, sizeof *d);
    if (!d)
        return RT_ENOMEM;
    d->pages = calloc(PAGES, sizeof *d->pages);
    if (!d->pages) {
        free(d);
        return RT_ENOMEM;
    }
    d->max_blocks = max_blocks && max_blocks < RT_IPPOOL_MAX_BLOCKS ? max_blocks
                                                                     : RT_IPPOOL_MAX_BLOCKS;
    *out = d;
    return RT_OK;
}

void rt_ippool_dir_destroy(rt_ippool_dir *d)
{
    if (!d)
        return;
    for (size_t i = 0; i < PAGES; i++)
        free(atomic_load_explicit(&d->pages[i], memory_order_relaxed));
    while (d->slabs) {
        slab *next = d->slabs->next;
        free(d->slabs);
        d->slabs = next;
    }
    free(d->pages);
    free(d);
}

/* The block of addr, or NULL. Acquire pairs with the release stores in
 * rt_ippool_dir_reserve_sw: a block found is seen initialised. */
static block *find(const rt_ippool_dir *d, uint32_t addr)
{
    page *pg = atomic_load_explicit(&d->pages[addr >> 16], memory_order_acquire);
    if (!pg)
        return NULL;
    return atomic_load_explicit(&pg->blk[(addr >> 5) & (PAGE_BLOCKS - 1)], memory_order_acquire);
}

int rt_ippool_dir_reserve_sw(rt_ippool_dir *d, uint32_t addr)
{
    if (!d)
        return RT_EINVAL;
    if (find(d, addr))
        return RT_OK;
    if (d->nblocks >= d->max_blocks)
        return RT_ENOSPC;
    page *pg = atomic_load_explicit(&d->pages[addr >> 16], memory_order_relaxed);
    if (!pg) {
        pg = calloc(1, sizeof *pg);
        if (!pg)
            return RT_ENOMEM;
        /* Release: readers that load the page see its zeroed slots. Pairs
         * with the acquire load in find(). */
        atomic_store_explicit(&d->pages[addr >> 16], pg, memory_order_release);
    }
    if (!d->slabs || d->slabs->used == SLAB_BLOCKS) {
        slab *s = calloc(1, sizeof *s);
        if (!s)
            return RT_ENOMEM;
        s->next = d->slabs;
        d->slabs = s;
    }
    block *b = &d->slabs->b[d->slabs->used++];
    b->base = addr & ~(uint32_t)(BLOCK_BITS - 1);
    atomic_init(&b->bits, 0);
    for (unsigned i = 0; i < BLOCK_BITS; i++)
        atomic_init(&b->holder[i], 0);
    d->nblocks++;
    /* Release: publishes base and the zeroed lease words; pairs with the
     * acquire load in find(). */
    atomic_store_explicit(&pg->blk[(addr >> 5) & (PAGE_BLOCKS - 1)], b, memory_order_release);
    return RT_OK;
}

size_t rt_ippool_dir_blocks(const rt_ippool_dir *d)
{
    return d ? d->nblocks : 0;
}

int rt_ippool_claim_mpmc(rt_ippool_dir *d, uint32_t addr, uint64_t holder)
{
    if (!d || holder == 0)
        return RT_EINVAL;
    block *b = find(d, addr);
    if (!b)
        return RT_ENOENT;
    uint32_t bit = 1u << (addr & (BLOCK_BITS - 1));
    prefetch(&b->holder[addr & (BLOCK_BITS - 1)]);
    /* acq_rel: acquire pairs with the releasing fetch_and of the previous
     * owner's release (invariant 3); release orders nothing we need but is
     * what a successful lease does everywhere else. */
    uint32_t old = atomic_fetch_or_explicit(&b->bits, bit, memory_order_acq_rel);
    if (old & bit)
        return RT_EBUSY; /* held: our fetch_or changed nothing */
    /* Release pairs with the acquire load of holder in release_mpmc. */
    atomic_store_explicit(&b->holder[addr & (BLOCK_BITS - 1)], holder, memory_order_release);
    return RT_OK;
}

int rt_ippool_release_mpmc(rt_ippool_dir *d, uint32_t addr, uint64_t holder, uint64_t *was)
{
    if (!d)
        return RT_EINVAL;
    block *b = find(d, addr);
    if (!b)
        return RT_ENOENT;
    unsigned i = addr & (BLOCK_BITS - 1);
    uint32_t bit = 1u << i;
    prefetch(&b->bits);
    /* Acquire pairs with the release store of holder in a lease. */
    uint64_t h = atomic_load_explicit(&b->holder[i], memory_order_acquire);
    while (rt_holder_matches(h, holder)) {
        if (atomic_compare_exchange_weak_explicit(&b->holder[i], &h, 0, memory_order_acq_rel,
                                                  memory_order_acquire)) {
            /* Release: the next lease's acquire (claim or alloc CAS) sees
             * holder[i] == 0 before it stores its own (invariant 3). */
            atomic_fetch_and_explicit(&b->bits, ~bit, memory_order_release);
            if (was)
                *was = h;
            return RT_OK;
        }
    }
    uint32_t bits = atomic_load_explicit(&b->bits, memory_order_acquire);
    return (bits & bit) ? RT_EACCES : RT_ENOENT;
}

void rt_ippool_prefetch(const rt_ippool_dir *d, uint32_t addr)
{
    block *b = d ? find(d, addr) : NULL;
    if (b) {
        prefetch(&b->bits);
        prefetch(&b->holder[addr & (BLOCK_BITS - 1)]);
    }
}

bool rt_ippool_held(const rt_ippool_dir *d, uint32_t addr, uint64_t *holder)
{
    block *b = d ? find(d, addr) : NULL;
    unsigned i = addr & (BLOCK_BITS - 1);
    bool held = b && (atomic_load_explicit(&b->bits, memory_order_acquire) & (1u << i));
    if (holder)
        *holder = held ? atomic_load_explicit(&b->holder[i], memory_order_acquire) : 0;
    return held;
}

size_t rt_ippool_live(const rt_ippool_dir *d)
{
    size_t n = 0;
    for (const slab *s = d ? d->slabs : NULL; s; s = s->next)
        for (uint32_t k = 0; k < s->used; k++)
            n += popcount(atomic_load_explicit(&s->b[k].bits, memory_order_relaxed));
    return n;
}

void rt_ippool_each_live(const rt_ippool_dir *d, void (*fn)(void *ctx, uint32_t addr), void *ctx)
{
    for (const slab *s = d ? d->slabs : NULL; s; s = s->next) {
        for (uint32_t k = 0; k < s->used; k++) {
            uint32_t bits = atomic_load_explicit(&s->b[k].bits, memory_order_relaxed);
            while (bits) {
                unsigned i = lowest_bit(bits);
                bits &= bits - 1;
                fn(ctx, s->b[k].base + i);
            }
        }
    }
}

/* ---------------------------------------------------------------- pools */

/* Bits of the block at `base` that the set covers; *r advances over ranges
 * that end inside this block. */
static uint32_t block_mask(const rt_ipv4_set *set, size_t *r, uint32_t base)
{
    uint32_t mask = 0;
    uint64_t end = (uint64_t)base + BLOCK_BITS - 1;
    for (size_t k = *r; k < set->n && set->r[k].lo <= end; k++) {
        uint64_t lo = set->r[k].lo > base ? set->r[k].lo : base;
        uint64_t hi = set->r[k].hi < end ? set->r[k].hi : end;
        for (uint64_t a = lo; a <= hi; a++)
            mask |= 1u << (a - base);
        if (set->r[k].hi <= end)
            *r = k + 1;
        else
            break;
    }
    return mask;
}

static size_t count_words(const rt_ipv4_set *set)
{
    size_t n = 0;
    uint64_t last = UINT64_MAX;
    for (size_t k = 0; k < set->n; k++) {
        uint64_t first = set->r[k].lo >> 5, final = set->r[k].hi >> 5;
        n += (size_t)(final - first + 1) - (first == last);
        last = final;
    }
    return n;
}

int rt_ippool_create(rt_ippool_dir *d, const rt_ipv4_set *set, rt_ippool **out)
{
    if (!d || !set || !out)
        return RT_EINVAL;
    rt_ippool *p = calloc(1, sizeof *p);
    if (!p)
        return RT_ENOMEM;
    size_t nwords = count_words(set);
    if (nwords && !(p->w = calloc(nwords, sizeof *p->w))) {
        free(p);
        return RT_ENOMEM;
    }
    size_t r = 0;
    for (size_t k = 0; k < set->n; k++) {
        for (uint64_t base = set->r[k].lo & ~(uint64_t)31; base <= set->r[k].hi; base += 32) {
            if (p->n && p->w[p->n - 1].blk->base == base)
                continue; /* a previous range already filled this word */
            int rc = rt_ippool_dir_reserve_sw(d, (uint32_t)base);
            if (rc != RT_OK) {
                rt_ippool_free(p);
                return rc;
            }
            uint32_t mask = block_mask(set, &r, (uint32_t)base);
            p->w[p->n++] = (pool_word){find(d, (uint32_t)base), mask};
            p->size += popcount(mask);
        }
    }
    atomic_init(&p->hint, 0);
    *out = p;
    return RT_OK;
}

void rt_ippool_free(rt_ippool *p)
{
    if (!p)
        return;
    free(p->w);
    free(p);
}

int rt_ippool_alloc_mpmc(rt_ippool *p, uint64_t holder, uint32_t *addr)
{
    if (!p || !addr || holder == 0)
        return RT_EINVAL;
    size_t n = p->n;
    size_t start = atomic_load_explicit(&p->hint, memory_order_relaxed); /* invariant 5 */
    if (start >= n)
        start = 0;
    for (size_t k = 0; k < n; k++) {
        size_t i = start + k < n ? start + k : start + k - n;
        const pool_word *w = &p->w[i];
        uint32_t cur = atomic_load_explicit(&w->blk->bits, memory_order_relaxed);
        uint32_t avail = w->allowed & ~cur;
        while (avail) {
            uint32_t bit = avail & (0u - avail);
            /* acq_rel on success: acquire pairs with the releasing
             * fetch_and of the address's previous release (invariant 3). */
            if (atomic_compare_exchange_weak_explicit(&w->blk->bits, &cur, cur | bit,
                                                      memory_order_acq_rel,
                                                      memory_order_relaxed)) {
                unsigned b = lowest_bit(bit);
                /* Release pairs with the acquire load in release_mpmc. */
                atomic_store_explicit(&w->blk->holder[b], holder, memory_order_release);
                atomic_store_explicit(&p->hint, i, memory_order_relaxed);
                *addr = w->blk->base + b;
                return RT_OK;
            }
            avail = w->allowed & ~cur; /* cur was reloaded by the failed CAS */
        }
    }
    return RT_EEXHAUSTED;
}

uint64_t rt_ippool_size(const rt_ippool *p)
{
    return p ? p->size : 0;
}

bool rt_ippool_contains(const rt_ippool *p, uint32_t addr)
{
    if (!p)
        return false;
    uint32_t base = addr & ~(uint32_t)(BLOCK_BITS - 1);
    size_t lo = 0, hi = p->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (p->w[mid].blk->base < base)
            lo = mid + 1;
        else if (p->w[mid].blk->base > base)
            hi = mid;
        else
            return (p->w[mid].allowed >> (addr & (BLOCK_BITS - 1))) & 1u;
    }
    return false;
}
