/*
 * ring.c - bounded MPSC ring with per-slot commit (Vyukov's bounded queue).
 *
 * The ring is an array of `capacity` cells (a power of two). Each cell is a
 * 64-byte header followed by the payload; the header holds a 32-bit sequence
 * number and the position of the producer that owns the cell. Positions are
 * free-running 32-bit counters: `tail` is the next position producers will
 * take, `head` the next one the consumer will free. Position p lives in cell
 * p & mask, and the cell's sequence says which lap it is on and in which
 * state:
 *
 *   seq == p             free for the producer of position p (or reserved
 *                        by it, if tail has moved past p)
 *   seq == p + 1         committed: the consumer may read it
 *   seq == p + capacity  released: free for the producer of p + capacity
 *
 * A producer loads tail into pos, checks occupancy (pos - head) against the
 * limit of its class, then loads the sequence of cell pos: if it equals pos
 * it tries to CAS tail from pos to pos + 1, and the winner owns the cell; if
 * it is behind, the cell still holds last lap's event and the ring is full;
 * if it is ahead, another producer took pos, so it reloads tail. A failed
 * check returns NULL at once - the only loops are the reload and the CAS
 * retry, and each of them means another producer made progress. Committing
 * is one release store of pos + 1 into the cell's sequence, so producers
 * never wait for each other's commits (unlike ck_ring's ordered p_tail).
 *
 * The consumer walks from head while each cell's sequence says "committed
 * for this position", stopping at the first that does not; so an event
 * reserved but not yet committed holds up only the consumer. Releasing
 * stores p + capacity into each freed cell and then publishes the new head.
 * The head is for the headroom test only - the cell sequence alone decides
 * whether a slot may be written - and is stored after the cells it frees so
 * that a producer that sees the new head also sees those cells free.
 *
 * Counters wrap: every comparison is on the signed 32-bit difference, which
 * is exact while live differences stay below 2^31 (capacity <= 2^30).
 * tail, head and the drop counters each sit on their own 64-byte line so
 * producers, the consumer and failing producers do not false-share.
 *
 * Invariants:
 *   1. 0 <= (int32_t)(tail - head) <= capacity, as seen by the consumer.
 *   2. For each position p in [head, tail), cell p & mask has seq p (reserved)
 *      or p + 1 (committed); for the cell of each p in [tail, head + capacity)
 *      seq is p (free).
 *   3. Only the producer whose CAS moved tail from p to p + 1 writes cell p's
 *      payload and header.pos; it writes nothing after its commit store.
 *   4. Only the consumer writes head, and only to positions whose cells it
 *      has already marked released (seq = p + capacity).
 *   5. A reservation of class c succeeds only if pos - head < limit(c) with
 *      pos == tail at its CAS, so occupancy never exceeds limit(c) through a
 *      reservation of class c; limit(priority) == capacity.
 *   6. A failed reservation does one relaxed increment of its drop counter
 *      and returns; it never loops.
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

    /* producers: next position to reserve */
    _Alignas(LINE) _Atomic uint32_t tail;

    /* consumer: next position to free, and its private state */
    _Alignas(LINE) _Atomic uint32_t head;
    uint32_t peeked; /* slots returned by the last peek, not yet released */
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
        atomic_init(&h->seq, start + i);
        h->pos = 0;
    }
    atomic_init(&r->tail, start);
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

void *rt_ring_reserve_mp(rt_ring *r, bool priority)
{
    int32_t limit = (int32_t)(r->mask + 1 - (priority ? 0 : r->headroom));
    /* Relaxed: pos is only a guess, validated by the cell's seq and the CAS. */
    uint32_t pos = atomic_load_explicit(&r->tail, memory_order_relaxed);

    for (;;) {
        /* Acquire: pairs with the release store of head in
         * rt_ring_release_sc, so every cell below the head we see also
         * shows its released seq to the load below (no false "full"). */
        uint32_t head = atomic_load_explicit(&r->head, memory_order_acquire);
        if ((int32_t)(pos - head) >= limit)
            return drop(r, priority);

        cell_header *h = cell_at(r, pos);
        /* Acquire: pairs with the release store of seq in
         * rt_ring_release_sc: the consumer's reads of last lap's payload
         * happen before our writes to it. */
        uint32_t seq = atomic_load_explicit(&h->seq, memory_order_acquire);
        int32_t dif = (int32_t)(seq - pos);
        if (dif == 0) {
            /* Relaxed both ways: ownership of the cell was established by
             * the acquire above; the CAS only arbitrates between producers.
             * On failure pos receives the current tail. */
            if (atomic_compare_exchange_weak_explicit(
                    &r->tail, &pos, pos + 1, memory_order_relaxed,
                    memory_order_relaxed)) {
                h->pos = pos;
                return payload_of(h);
            }
        } else if (dif < 0) {
            return drop(r, priority); /* last lap's event still there */
        } else {
            /* Another producer took pos; relaxed as above. */
            pos = atomic_load_explicit(&r->tail, memory_order_relaxed);
        }
    }
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
    uint32_t capacity = r->mask + 1;
    /* Relaxed: the consumer is the only writer of head. */
    uint32_t head = atomic_load_explicit(&r->head, memory_order_relaxed);

    for (uint32_t i = 0; i < n; i++) {
        /* Release: pairs with the acquire load of seq in rt_ring_reserve_mp;
         * our reads of the payload finish before a producer rewrites it. */
        atomic_store_explicit(&cell_at(r, head + i)->seq, head + i + capacity,
                              memory_order_release);
    }
    r->peeked -= n;
    /* Release: pairs with the acquire loads of head in rt_ring_reserve_mp
     * and rt_ring_occupancy; publishes the seq stores above with it. */
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
    /* Acquire: pairs with the release store of head in rt_ring_release_sc;
     * loaded before tail so the difference is rarely negative. */
    uint32_t head = atomic_load_explicit(&r->head, memory_order_acquire);
    /* Relaxed: a snapshot; nothing is read through it. */
    uint32_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
    int32_t occ = (int32_t)(tail - head);
    if (occ < 0)
        return 0;
    return (uint32_t)occ > r->mask + 1 ? r->mask + 1 : (uint32_t)occ;
}

uint32_t rt_ring_high_water(const rt_ring *r)
{
    /* Relaxed: a statistic written only by the consumer. */
    return atomic_load_explicit(&r->high_water, memory_order_relaxed);
}
