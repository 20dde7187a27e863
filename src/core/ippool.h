/*
 * ippool.h - IPv4 leases: a process-wide lock-free lease bitmap, and the
 * pools that snapshots allocate from it.
 *
 * Two parts with different lifetimes:
 *
 *   rt_ippool_dir   every IPv4 address rastap may ever lease, in blocks of
 *                   32: one 32-bit word of lease bits and 32 holder words.
 *                   Created once per process, never shrinks, outlives every
 *                   configuration: the only record of who holds what.
 *   rt_ippool       what one configuration snapshot may hand out: a sorted
 *                   list of (block, allowed-bits) words over the directory
 *                   and a rotating start hint. Immutable apart from the
 *                   hint; built and freed with its snapshot.
 *
 * Because the lease bits live in the directory, not in a pool, a reload
 * that replaces pools cannot lose or duplicate a lease: the new pool
 * allocates from the same bits the old one set (ippool.c, invariant 4).
 *
 * Holder word (also used by iid.h): a non-zero 64-bit value naming the
 * session that holds an address: bits 63..2 identify it (a keyed hash of
 * user and port, ipassign.c), bits 1..0 are a tag saying how it was handed
 * out (RT_HOLDER_*). Releases match on bits 63..2 only.
 *
 * Threads: the directory has one writer at a time for reservations (the
 * configuration thread, *_sw) and any number of threads claiming,
 * allocating, releasing and reading (*_mpmc, held, live): lock-free, no
 * allocation, no system call.
 */
#ifndef RT_IPPOOL_H
#define RT_IPPOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "iprange.h"

enum { RT_HOLDER_POOL = 1, RT_HOLDER_STATIC = 2, RT_HOLDER_GENERATED = 3 };

/* A holder word from a 64-bit identity and a tag; never 0. */
static inline uint64_t rt_holder_make(uint64_t identity, unsigned tag)
{
    uint64_t id = identity & ~(uint64_t)3;
    if (id == 0)
        id = 4;
    return id | (tag & 3u);
}
/* Same session (tags ignored); a stored 0 matches nobody. */
static inline bool rt_holder_matches(uint64_t stored, uint64_t want)
{
    return stored != 0 && (stored >> 2) == (want >> 2);
}
static inline unsigned rt_holder_tag(uint64_t holder)
{
    return (unsigned)(holder & 3u);
}

/* Default and hard limit of directory blocks (32 addresses each): 4 Mi addresses. */
#define RT_IPPOOL_MAX_BLOCKS (1u << 17)

typedef struct rt_ippool_dir rt_ippool_dir;
typedef struct rt_ippool rt_ippool;

/* An empty directory for at most max_blocks blocks (0: the default). RT_ENOMEM. */
int rt_ippool_dir_create(uint32_t max_blocks, rt_ippool_dir **out);
/* Only when no thread can use it any more (DLL unload). */
void rt_ippool_dir_destroy(rt_ippool_dir *d);

/*
 * Makes sure the block holding addr exists (single writer). Returns 0,
 * RT_ENOSPC past max_blocks, RT_ENOMEM. Blocks are published with a
 * release store: a thread that finds one sees it initialised.
 */
int rt_ippool_dir_reserve_sw(rt_ippool_dir *d, uint32_t addr);
/* Blocks reserved so far. */
size_t rt_ippool_dir_blocks(const rt_ippool_dir *d);

/*
 * Leases the specific address addr (a static one) to holder. Returns 0;
 * RT_EBUSY when it is already held; RT_ENOENT when addr has no block (was
 * never configured); RT_EINVAL for holder 0.
 */
int rt_ippool_claim_mpmc(rt_ippool_dir *d, uint32_t addr, uint64_t holder);

/*
 * Ends holder's lease of addr. Returns 0 (and the holder word in *was, may
 * be NULL); RT_ENOENT when addr is not leased (never was, or already
 * released); RT_EACCES when another session holds it. Never clears a lease
 * whose holder does not match.
 */
int rt_ippool_release_mpmc(rt_ippool_dir *d, uint32_t addr, uint64_t holder, uint64_t *was);

/* Starts loading addr's lease words into the cache (a hint: changes
 * nothing, any addr is fine). Any thread. */
void rt_ippool_prefetch(const rt_ippool_dir *d, uint32_t addr);

/* Whether addr is leased right now, and its holder word (0 if none or unknown). */
bool rt_ippool_held(const rt_ippool_dir *d, uint32_t addr, uint64_t *holder);
/* Leases right now (a scan of every block). */
size_t rt_ippool_live(const rt_ippool_dir *d);
/* Calls fn for every leased address (a scan; configuration thread, status). */
void rt_ippool_each_live(const rt_ippool_dir *d, void (*fn)(void *ctx, uint32_t addr), void *ctx);

/*
 * A pool over d for the addresses of `set` (normalised), reserving the
 * blocks it needs (configuration thread: the directory's single writer).
 * RT_ENOSPC past the directory's block limit, RT_ENOMEM. An empty set gives
 * an empty pool.
 */
int rt_ippool_create(rt_ippool_dir *d, const rt_ipv4_set *set, rt_ippool **out);
void rt_ippool_free(rt_ippool *p);

/*
 * Leases a free address of the pool to holder (non-zero): next-fit from
 * the rotating hint, lowest free address of the first word that has one.
 * Returns 0 and *addr; RT_EEXHAUSTED when every address is held.
 */
int rt_ippool_alloc_mpmc(rt_ippool *p, uint64_t holder, uint32_t *addr);

/* Addresses the pool may hand out, and whether addr is one of them. */
uint64_t rt_ippool_size(const rt_ippool *p);
bool rt_ippool_contains(const rt_ippool *p, uint32_t addr);

#endif /* RT_IPPOOL_H */
