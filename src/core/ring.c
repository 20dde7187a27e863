/*
 * ring.c - bounded MPSC ring with per-slot commit (after Vyukov's bounded
 * queue).
 *
 * The ring is an array of `capacity` cells (a power of two). Each cell is a
 * 64-byte header followed by the payload; the header holds a 32-bit sequence
 * number and the position of the producer that owns the cell. Positions are
 * free-running 32-bit counters: `tail` is the next position producers will
 * take, `head` the next one the consumer will free; position p lives in cell
 * p & mask.
 *
 * Reserving: a producer loads tail into pos and checks occupancy, pos - head,
 * against the limit of its class (capacity - headroom, or capacity). If it
 * passes, it CASes tail from pos to pos + 1 and owns cell pos; if the CAS
 * loses, another producer took pos and it checks again with the new tail. A
 * failed check counts a drop and returns NULL at once, so the only loop is
 * the CAS retry, and every retry means another producer made progress.
 * Committing is one release store of pos + 1 into the cell's sequence, so
 * producers never wait for one another's commits (ck_ring's ordered p_tail
 * makes them). The consumer walks from head while each cell's sequence reads
 * "committed for this position" and stops at the first that does not: an
 * event reserved but not yet committed holds up the consumer, no one else.
 *
 * Where this differs from Vyukov's queue: there the consumer also stores
 * p + capacity into every cell it frees, and producers test the cell's
 * sequence to see whether it is free. Here producers must read head anyway
 * for the headroom test, and pos - head < capacity already says that the
 * cell's previous lap was released, so the consumer frees a whole batch with
 * one store of head and never writes a cell. That halves the cache-line
 * traffic per event on the header line (producer writes, consumer reads,
 * never the reverse). Since a cell's sequence is only ever p + 1 for the
 * position p that last committed it, "seq == p + 1" cannot be last lap's
 * value (that is p - capacity + 1).
 *
 * Producers keep a copy of head, `head_cache`, next to tail, and read the
 * consumer's line only when the copy makes the ring look too full; a stale
 * copy only overstates occupancy, so it can cost a re-read, never a slot.
 *
 * Counters wrap: comparisons use 32-bit differences, exact while live
 * differences stay below 2^31 (capacity <= 2^30). tail, head, the
 * consumer's own fields and the drop counters each sit on their own 64-byte
 * line.
 *
 * Invariants:
 *   1. 0 <= tail - head <= capacity (as seen by the consumer).
 *   2. A cell's seq is written only by the commit of the position p it was
 *      reserved for, with p + 1; at creation the cell of p holds p. So for p
 *      in [head, tail), seq == p + 1 exactly when p has been committed.
 *   3. Between its CAS of tail from p to p + 1 and its commit, the producer
 *      of p is the only writer of cell p; after the commit it writes nothing.
 *   4. Only the consumer writes head, and only past committed cells it has
 *      finished reading (it never writes a cell).
 *   5. head_cache holds a value head had at some earlier time, so
 *      pos - head_cache >= pos - head.
 *   6. A reservation of class c succeeds only if pos - h < limit(c) <=
 *      capacity for a value h of head obtained through acquire loads
 *      (directly, or via head_cache), with pos == tail at the CAS; so the
 *      consumer's reads of the cell's previous lap happen before the
 *      producer's writes, and occupancy never passes limit(c) through it.
 *   7. A failed reservation re-reads head at most once, does one relaxed
 *      increment and returns.
 */
#include "ring.h"

#include "error.h"

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#if ATOMIC_INT_LOCK_FREE != 2
#error "rt_ring needs lock-free 32-bit atomics"
#endif

#define LINE RT_RING_ALIGN

typedef struct cell_header {
    _Atomic uint32_t seq;
    uint32_t pos; /* position owned by the producer, for commit */
    unsigned char pad[LINE - 2 * sizeof(uint32_t)];
} cell_header;

_Static_assert(sizeof(cell_header) == LINE, "header must be one line");

struct rt_ring {
    /* read-only after create */
    unsigned char *cells;
    void *block; /* what malloc returned */
    size_t stride; /* header + payload bytes */
    uint32_t mask;
    uint32_t headroom;

    /* producers: next position to reserve, last head they saw */
    _Alignas(LINE) _Atomic uint32_t tail;
    _Atomic uint32_t head_cache;

    /* consumer: next position to free; alone, because producers poll it
     * when the ring looks full */
    _Alignas(LINE) _Atomic uint32_t head;

    /* consumer's own state */
    _Alignas(LINE) uint32_t peeked; /* returned by the last peek, not freed */
    _Atomic uint32_t high_water;

    /* written only by producers that fail */
    _Alignas(LINE) _Atomic uint32_t drops_normal;
    _Atomic uint32_t drops_priority;
};

static bool is_pow2(uint32_t v)
{
    return v != 0 && (v & (v - 1)) == 0;
}

static cell_header *cell_at(const rt_ring *r, uint32_t pos)
{
    return (cell_header *)(r->cells + (size_t)(pos & r->mask) * r->stride);
}

static void *payload_of(cell_header *h)
{
    return (unsigned char *)h + LINE;
}

int rt_ring_create(rt_ring **out, uint32_t capacity, uint32_t slot_size,
                   uint32_t headroom)
{
    return rt_ring_create_at(out, capacity, slot_size, headroom, 0);
}

int rt_ring_create_at(rt_ring **out, uint32_t capacity, uint32_t slot_size,
                      uint32_t headroom, uint32_t start)
{
    if (!out || !is_pow2(capacity) || capacity < 4 ||
        capacity > RT_RING_MAX_CAPACITY || slot_size == 0 ||
        headroom >= capacity)
        return RT_EINVAL;

    size_t payload = ((size_t)slot_size + LINE - 1) / LINE * LINE;
    size_t stride = LINE + payload;
    size_t head_bytes = sizeof(rt_ring);
    if (stride > (SIZE_MAX - head_bytes - LINE) / capacity)
        return RT_ERANGE;

    /* malloc, aligned by hand: MinGW's msvcrt has no aligned_alloc. */
    void *block = malloc(head_bytes + (size_t)capacity * stride + LINE - 1);
    if (!block)
        return RT_ENOMEM;
    uintptr_t base = ((uintptr_t)block + LINE - 1) & ~(uintptr_t)(LINE - 1);
    rt_ring *r = (rt_ring *)base;

    r->cells = (unsigned char *)base + head_bytes;
    r->block = block;
    r->stride = stride;
    r->mask = capacity - 1;
    r->headroom = headroom;
    r->peeked = 0;
    for (uint32_t i = 0; i < capacity; i++) {
        cell_header *h = cell_at(r, start + i);
        atomic_init(&h->seq, start + i); /* "not committed" (invariant 2) */
        h->pos = 0;
    }
    atomic_init(&r->tail, start);
    atomic_init(&r->head_cache, start);
    atomic_init(&r->head, start);
    atomic_init(&r->high_water, 0);
    atomic_init(&r->drops_normal, 0);
    atomic_init(&r->drops_priority, 0);
    *out = r;
    return 0;
}

void rt_ring_destroy(rt_ring *r)
{
    if (r)
        free(r->block);
}

static void *drop(rt_ring *r, bool priority)
{
    /* Relaxed: a statistic; rt_ring_take_drops orders nothing by it. */
    atomic_fetch_add_explicit(priority ? &r->drops_priority : &r->drops_normal,
                              1, memory_order_relaxed);
    return NULL;
}

/* Reads the consumer's head and shares it with the other producers. */
static uint32_t refresh_head(rt_ring *r, uint32_t cached)
{
    /* Acquire: pairs with the release store of head in rt_ring_release_sc:
     * the consumer's reads of every slot below head happen before our
     * writes to them. */
    uint32_t head = atomic_load_explicit(&r->head, memory_order_acquire);
    if (head != cached) {
        /* Release: pairs with the acquire load of head_cache in
         * rt_ring_reserve_mp, passing on what we acquired above. A racing
         * producer may store an older head after us; that only overstates
         * occupancy (invariant 5). */
        atomic_store_explicit(&r->head_cache, head, memory_order_release);
    }
    return head;
}

void *rt_ring_reserve_mp(rt_ring *r, bool priority)
{
    uint32_t limit = r->mask + 1 - (priority ? 0 : r->headroom);
    /* Relaxed: pos is only a guess, validated by the CAS. */
    uint32_t pos = atomic_load_explicit(&r->tail, memory_order_relaxed);
    /* Acquire: pairs with the release store in refresh_head (which got the
     * value from head with acquire), so the slots below it are free. */
    uint32_t head = atomic_load_explicit(&r->head_cache, memory_order_acquire);
    bool fresh = false;

    for (;;) {
        /* Unsigned on purpose: a head_cache far behind, or one newer than a
         * stale pos, makes the difference huge, so it is re-read. */
        if (pos - head >= limit) {
            if (fresh)
                return drop(r, priority);
            head = refresh_head(r, head);
            fresh = true;
            /* Signed: pos may be older than the head just read; then the
             * CAS below fails and brings the current tail. */
            if ((int32_t)(pos - head) >= (int32_t)limit)
                return drop(r, priority);
        }
        /* Relaxed both ways: the slot is free by the acquire of head above;
         * the CAS only arbitrates between producers. On failure pos gets the
         * current tail (another producer has taken pos). */
        if (atomic_compare_exchange_strong_explicit(&r->tail, &pos, pos + 1,
                                                    memory_order_relaxed,
                                                    memory_order_relaxed))
            break;
    }
    cell_header *h = cell_at(r, pos);
    h->pos = pos;
    return payload_of(h);
}

void rt_ring_commit_mp(rt_ring *r, void *payload)
{
    (void)r;
    cell_header *h = (cell_header *)((unsigned char *)payload - LINE);
    /* Release: pairs with the acquire load of seq in rt_ring_peek_sc; the
     * payload written by this producer is visible to the consumer. */
    atomic_store_explicit(&h->seq, h->pos + 1, memory_order_release);
}

static void sample_high_water(rt_ring *r, uint32_t head)
{
    /* Relaxed: an approximate statistic; nothing is read through it. */
    uint32_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
    uint32_t occ = tail - head;
    if (occ > r->mask + 1)
        occ = r->mask + 1;
    /* Relaxed: only this thread writes high_water; readers want a number. */
    if (occ > atomic_load_explicit(&r->high_water, memory_order_relaxed))
        atomic_store_explicit(&r->high_water, occ, memory_order_relaxed);
}

uint32_t rt_ring_peek_sc(rt_ring *r, void **slots, uint32_t max)
{
    /* Relaxed: the consumer is the only writer of head. */
    uint32_t head = atomic_load_explicit(&r->head, memory_order_relaxed);
    uint32_t n = 0;

    while (n < max) {
        uint32_t pos = head + n;
        cell_header *h = cell_at(r, pos);
        /* Acquire: pairs with the release store in rt_ring_commit_mp, so the
         * payload is complete before we hand it out. */
        uint32_t seq = atomic_load_explicit(&h->seq, memory_order_acquire);
        if (seq != pos + 1)
            break;
        slots[n++] = payload_of(h);
    }
    r->peeked = n;
    if (n > 0)
        sample_high_water(r, head);
    return n;
}

void rt_ring_release_sc(rt_ring *r, uint32_t n)
{
    if (n > r->peeked)
        n = r->peeked;
    if (n == 0)
        return;
    /* Relaxed: the consumer is the only writer of head. */
    uint32_t head = atomic_load_explicit(&r->head, memory_order_relaxed);
    r->peeked -= n;
    /* Release: pairs with the acquire loads of head in refresh_head and
     * rt_ring_occupancy; our reads of the n payloads happen before any
     * producer that sees this head rewrites them. */
    atomic_store_explicit(&r->head, head + n, memory_order_release);
}

void rt_ring_take_drops(rt_ring *r, uint32_t *normal, uint32_t *priority)
{
    /* Relaxed: counters only; each drop is counted in exactly one take. */
    uint32_t n = atomic_exchange_explicit(&r->drops_normal, 0,
                                          memory_order_relaxed);
    uint32_t p = atomic_exchange_explicit(&r->drops_priority, 0,
                                          memory_order_relaxed);
    if (normal)
        *normal = n;
    if (priority)
        *priority = p;
}

uint32_t rt_ring_capacity(const rt_ring *r)
{
    return r->mask + 1;
}

uint32_t rt_ring_headroom(const rt_ring *r)
{
    return r->headroom;
}

uint32_t rt_ring_occupancy(const rt_ring *r)
{
    /* Acquire: pairs with the release store of head in rt_ring_release_sc.
     * Each CAS of tail to x happens before the consumer can move head to x,
     * so the tail loaded after this is never behind the head we see. */
    uint32_t head = atomic_load_explicit(&r->head, memory_order_acquire);
    /* Relaxed: a snapshot; nothing is read through it. */
    uint32_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
    uint32_t occ = tail - head;
    return occ > r->mask + 1 ? r->mask + 1 : occ; /* clamp: defensive */
}

uint32_t rt_ring_high_water(const rt_ring *r)
{
    /* Relaxed: a statistic written only by the consumer. */
    return atomic_load_explicit(&r->high_water, memory_order_relaxed);
}
