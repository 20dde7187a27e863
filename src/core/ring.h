/*
 * ring.h - the bounded multi-producer / single-consumer event ring.
 *
 * Every RRAS callout reserves one fixed-size slot, copies its event into it,
 * commits it and returns; the worker thread peeks at committed slots in
 * batches, processes them in place and releases them. The ring never blocks
 * and never allocates after rt_ring_create: a producer that finds no slot
 * gets NULL at once and the ring counts a drop, which the worker later turns
 * into an `events.dropped` record (docs/event-schema.md).
 *
 * Concurrency classes, by suffix: `_mp` any number of threads at once,
 * `_sc` only the one consumer thread (the worker), no suffix any thread.
 * Create and destroy must not race with anything else.
 *
 * Progress: a producer never waits for the consumer or for another producer.
 * It retries only when another producer took the position it was trying for
 * (so some producer always makes progress). A producer preempted between
 * reserve and commit holds up only the consumer, at that slot; other
 * producers keep reserving and committing behind it. A producer *killed*
 * between reserve and commit would stop the consumer at that slot for good,
 * so nothing may fail between the two calls.
 *
 * Headroom policy
 * ---------------
 * The last `headroom` slots are kept for priority reservations. A normal
 * reservation fails once occupancy (reserved + committed + not yet released)
 * reaches capacity - headroom; a priority reservation fails only when all
 * `capacity` slots are taken. Both failures are counted separately
 * (rt_ring_take_drops).
 *
 * The DLL uses capacity RT_RING_DEFAULT_CAPACITY (4096) and headroom
 * RT_RING_DEFAULT_HEADROOM(capacity) = capacity / 8 (512). Events that close
 * something a collector already has open reserve with priority: connection
 * hangups (final byte counts and duration) and IPv4/IPv6 address releases;
 * losing one leaves a session or a lease open downstream for good. Everything
 * else (accepts, links, re-authentications, assignments, worker notices)
 * reserves normally, so a burst of new connections that fills the ring
 * still leaves 512 slots for the hangups that end sessions already reported.
 * The ring only enforces the split; the list of priority kinds lives in one
 * place, rt_kind_is_priority (event.h).
 *
 * Usage
 * -----
 *   callout (any thread):
 *       rt_event *ev = rt_ring_reserve_mp(ring, is_priority_kind(kind));
 *       if (!ev)
 *           return;                 (counted; the worker reports it)
 *       fill ev with bounded copies only;
 *       rt_ring_commit_mp(ring, ev);
 *
 *   worker (one thread):
 *       n = rt_ring_peek_sc(ring, batch, max);
 *       format and hand batch[0..n) to the sinks, in place;
 *       rt_ring_release_sc(ring, n);
 *       rt_ring_take_drops(ring, &normal, &priority);  -> events.dropped
 *
 * Portable C11 (<stdatomic.h>, 32-bit atomics only); no Windows headers.
 */
#ifndef RT_RING_H
#define RT_RING_H

#include <stdbool.h>
#include <stdint.h>

/* Payload alignment and the unit slot sizes are rounded up to. */
#define RT_RING_ALIGN 64u
/* Largest capacity accepted (keeps every counter difference below 2^31). */
#define RT_RING_MAX_CAPACITY (1u << 30)
/* What the DLL uses; see "Headroom policy" above. */
#define RT_RING_DEFAULT_CAPACITY 4096u
#define RT_RING_DEFAULT_HEADROOM(capacity) ((capacity) / 8u)

typedef struct rt_ring rt_ring;

/*
 * Creates a ring and allocates all of its memory (the only allocation the
 * ring ever makes).
 *   capacity   number of slots: a power of two in [4, RT_RING_MAX_CAPACITY]
 *   slot_size  payload bytes per slot, >= 1, rounded up to RT_RING_ALIGN
 *   headroom   slots kept for priority reservations, < capacity (0 allowed:
 *              then normal and priority reservations behave alike)
 * Returns 0 and sets *out, or RT_EINVAL (bad argument, *out untouched),
 * RT_ERANGE (capacity * slot size does not fit in memory's address range)
 * or RT_ENOMEM. Any thread; the caller owns the ring until rt_ring_destroy.
 */
int rt_ring_create(rt_ring **out, uint32_t capacity, uint32_t slot_size,
                   uint32_t headroom);

/*
 * As rt_ring_create, with the free-running 32-bit position counters starting
 * at `start` instead of 0. Behaviour is identical for any start; tests seed
 * it just below UINT32_MAX to exercise wrap-around.
 */
int rt_ring_create_at(rt_ring **out, uint32_t capacity, uint32_t slot_size,
                      uint32_t headroom, uint32_t start);

/* Frees the ring and every slot in it. NULL is a no-op. No concurrent use. */
void rt_ring_destroy(rt_ring *r);

/*
 * Multi-producer. Reserves the slot at the tail and returns its payload:
 * slot_size bytes (rounded up to RT_RING_ALIGN), RT_RING_ALIGN-aligned,
 * contents unspecified. The caller fills it and must then call
 * rt_ring_commit_mp exactly once, without anything that can fail or block in
 * between. Returns NULL, after counting one drop of its class, when no slot
 * is available for the class (see "Headroom policy"); never waits.
 */
void *rt_ring_reserve_mp(rt_ring *r, bool priority);

/*
 * Multi-producer. Publishes a slot obtained from rt_ring_reserve_mp on the
 * same ring; the caller must not touch the payload afterwards. Wait-free.
 */
void rt_ring_commit_mp(rt_ring *r, void *payload);

/*
 * Single consumer. Stores in slots[0..n) the payloads of up to `max`
 * consecutive committed slots starting at the head, stopping at the first
 * slot not yet committed, and returns n (0 when none). The payloads stay
 * valid, and are not reused, until rt_ring_release_sc frees them. Peeking
 * again without releasing returns the same slots first. Also samples the
 * occupancy for rt_ring_high_water when n > 0.
 */
uint32_t rt_ring_peek_sc(rt_ring *r, void **slots, uint32_t max);

/*
 * Single consumer. Frees the first n slots returned by the last
 * rt_ring_peek_sc (in order), making them available to producers. n is
 * clamped to the number peeked and not yet released.
 */
void rt_ring_release_sc(rt_ring *r, uint32_t n);

/*
 * Any thread. Stores the normal and priority drops counted since the
 * previous call (each counter is atomically exchanged with 0). Either
 * pointer may be NULL; that counter is still reset.
 */
void rt_ring_take_drops(rt_ring *r, uint32_t *normal, uint32_t *priority);

/* Any thread. The values given at creation. */
uint32_t rt_ring_capacity(const rt_ring *r);
uint32_t rt_ring_headroom(const rt_ring *r);

/*
 * Any thread. Slots reserved or committed and not yet released, in
 * [0, capacity]; a snapshot that may be stale by the time it returns.
 */
uint32_t rt_ring_occupancy(const rt_ring *r);

/* Any thread. Highest occupancy the consumer has seen on a peek. */
uint32_t rt_ring_high_water(const rt_ring *r);

#endif /* RT_RING_H */
