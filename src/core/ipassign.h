/*
 * ipassign.h - who gets which address: the decisions behind
 * MprAdminGetIpAddressForUser / MprAdminReleaseIpAddress and the IPv6 pair.
 *
 * Three objects, three lifetimes:
 *
 *   rt_ip_state     the leases: which IPv4 addresses and IPv6 interface
 *                   identifiers live sessions hold, and by whom. One per
 *                   process, created before the first snapshot, destroyed
 *                   at DLL unload only. It outlives every snapshot, which is
 *                   what keeps leases valid across reloads.
 *   rt_ip_settings  the address values read from the registry, parsed and
 *                   checked (configuration thread; allocates).
 *   rt_ip_snapshot  an immutable, prebuilt view of one configuration: modes,
 *                   static maps (hash tables), pools (bitmap words over the
 *                   state's lease directory). Built from settings on the
 *                   configuration thread, published with the configuration
 *                   snapshot (an atomic pointer, release), read by callouts
 *                   without a lock, freed after the configuration's grace
 *                   period.
 *
 * The callout side (rt_ip_assign_*, rt_ip_release_*) never blocks, never
 * allocates, makes no system call: hash lookups in the snapshot and atomic
 * operations on the state. Any number of threads may call it at once; RRAS
 * happens to serialise the address callouts, but nothing here relies on it.
 *
 * Why no address is handed out twice across a reload: leases are bits in
 * the state's directory (ippool.h) and slots in its identifier set (iid.h),
 * shared by every snapshot. A snapshot only says which addresses may be
 * claimed. A new snapshot's pool claims the same bits the old one set, so
 * an address still held under the old configuration is simply seen as held;
 * an address removed from the configuration is absent from the new
 * snapshot's pool and map and is never claimed through it (a callout that
 * loaded the old snapshot before the swap is ordered before the swap); and
 * its lease is released through the directory, which no reload changes.
 *
 * Modes per family (Ipv4Mode / Ipv6Mode, docs/addresses.md): off and
 * observe keep RAS's proposal (source ras) and ask for the release; assign
 * decides: the static map first, then the pool (IPv4) or the user's stable
 * identifier (IPv6). Releases are always checked against the leases,
 * whatever the mode, so a switch from assign to observe still frees what
 * assign handed out.
 */
#ifndef RT_IPASSIGN_H
#define RT_IPASSIGN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "event.h"

typedef enum rt_ip_mode { RT_IP_OFF = 0, RT_IP_OBSERVE = 1, RT_IP_ASSIGN = 2 } rt_ip_mode;
/* A static address held by a live session: fall back to the pool / stable
 * identifier, or refuse the connection. */
typedef enum rt_ip_conflict { RT_IP_CONFLICT_POOL = 0, RT_IP_CONFLICT_REFUSE = 1 } rt_ip_conflict;
enum { RT_IP_V4 = 0, RT_IP_V6 = 1 };

/* Counters kept by the state (rt_ip_counters), by index. */
enum {
    RT_IPC_ASSIGNED_STATIC, RT_IPC_ASSIGNED_POOL, RT_IPC_KEPT_RAS, RT_IPC_REFUSED_EXHAUSTED,
    RT_IPC_REFUSED_CONFLICT, RT_IPC_STATIC_FELL_BACK, RT_IPC_RELEASED, RT_IPC_RELEASE_IGNORED,
    RT_IPC_COUNT
};

/* The registry value names this module owns (matched case-insensitively). */
#define RT_IP_SETTING_NAMES                                                                    \
    "Ipv4Mode", "Ipv4Static", "Ipv4Pools", "Ipv4Exclude", "Ipv4StaticConflict", "Ipv6Mode",    \
        "Ipv6Static", "Ipv6StaticConflict", "Ipv6IidKey"

/* A configuration problem: value name, offending text (UTF-8), reason. */
typedef void (*rt_ip_problem_fn)(void *ctx, const char *key, const char *value,
                                 const char *reason);

typedef struct rt_ip_state rt_ip_state;
typedef struct rt_ip_settings rt_ip_settings;
typedef struct rt_ip_snapshot rt_ip_snapshot;

/* ------------------------------------------------------------- state */

/*
 * The process's lease state. holder_key: 16 secret bytes for the holder
 * hash (random per process). iid_buckets_log2: size of the IPv6 live set
 * (0: 12, i.e. 4096 buckets of 16 slots, comfortable for 16 000 live IPv6
 * sessions). RT_ENOMEM. Configuration thread.
 */
int rt_ip_state_create(const uint8_t holder_key[16], unsigned iid_buckets_log2,
                       rt_ip_state **out);
/* DLL unload only: no snapshot and no callout may use it any more. */
void rt_ip_state_destroy(rt_ip_state *st);
/* Current value of each RT_IPC_* counter (relaxed reads; any thread). */
void rt_ip_counters(const rt_ip_state *st, uint64_t out[RT_IPC_COUNT]);

/* ---------------------------------------------------------- settings */

int rt_ip_settings_create(rt_ip_settings **out);
void rt_ip_settings_free(rt_ip_settings *s);

/* True if `name` (UTF-8) is one of RT_IP_SETTING_NAMES: route it here. */
bool rt_ip_settings_knows(const char *name);

/*
 * One registry value, raw as the registry stores it (type = REG_* number,
 * strings UTF-16LE). Problems go to fn (may be NULL). Returns 0 when the
 * value was accepted, RT_EINVAL when it had problems, RT_ENOENT for a name
 * this module does not own, RT_ENOMEM.
 */
int rt_ip_settings_value(rt_ip_settings *s, const char *name, uint32_t type, const void *data,
                         size_t size, rt_ip_problem_fn fn, void *ctx);

/* Ipv6IidKey was given. Otherwise the reader supplies one (generated and
 * stored once, src/win/ipassign_win.c) with rt_ip_settings_set_iid_key. */
bool rt_ip_settings_has_iid_key(const rt_ip_settings *s);
/* The mode the settings give a family (RT_IP_V4 / RT_IP_V6). */
rt_ip_mode rt_ip_settings_mode(const rt_ip_settings *s, int family);
void rt_ip_settings_set_iid_key(rt_ip_settings *s, const uint8_t key[16]);

/* -------------------------------------------------------- snapshots */

/*
 * Builds the snapshot of `s` over the lease state st. Consumes s (frees it,
 * whatever the outcome): the static maps move into the snapshot instead of
 * being copied. Reserves lease blocks in st for every static and pool
 * address (the directory's single writer: call from one thread at a time).
 * Problems found only here (an address given to two users, too many
 * addresses, no Ipv6IidKey while Ipv6Mode is assign) go to fn. Settings
 * with a refused value never build: RT_EINVAL without a second report.
 * Returns 0, RT_EINVAL (problems), RT_ENOMEM, RT_ENOSPC (lease directory
 * full).
 */
int rt_ip_snapshot_build(rt_ip_state *st, rt_ip_settings *s, rt_ip_problem_fn fn, void *ctx,
                         rt_ip_snapshot **out);
void rt_ip_snapshot_free(rt_ip_snapshot *snap);

/* The mode of a family (RT_IP_V4 / RT_IP_V6); RT_IP_OFF for NULL. */
rt_ip_mode rt_ip_snapshot_mode(const rt_ip_snapshot *snap, int family);
/* A digest of the settings the snapshot came from: equal digests, same
 * address configuration (for "did anything change" on reload). */
uint64_t rt_ip_snapshot_digest(const rt_ip_snapshot *snap);

/* What a snapshot offers and what is live now (for config.applied, status). */
typedef struct rt_ip_summary {
    uint8_t mode[2];
    uint64_t v4_pool;          /* addresses in the pool */
    uint64_t v4_static;        /* static map entries */
    uint64_t v6_static;
    uint64_t v4_live;          /* leases held now */
    uint64_t v4_live_outside;  /* of those, addresses this configuration no longer has:
                                * valid until released, never handed out again */
    uint64_t v6_live;
} rt_ip_summary;
/* Configuration thread (scans the leases). */
void rt_ip_summarize(const rt_ip_state *st, const rt_ip_snapshot *snap, rt_ip_summary *out);

/* ------------------------------------------------------- callout side */

/* The session asking: RAS's user and port names (UTF-16, lengths in
 * units; NULL or empty is an empty name). */
typedef struct rt_ip_who {
    const rt_wchar *user;
    size_t user_len;
    const rt_wchar *port;
    size_t port_len;
} rt_ip_who;

typedef struct rt_ip_outcome {
    uint32_t ipv4;     /* host order; 0: none */
    uint64_t iid;      /* IPv6 interface identifier; 0: none */
    int32_t result;    /* 0, or why nothing was given: RT_EEXHAUSTED, RT_EBUSY (static
                        * address held and StaticConflict refuse), RT_EINVAL */
    uint8_t source;    /* RT_SRC_RAS / _STATIC / _POOL (IPv6: the stable identifier) */
    bool notify;       /* ask RAS for the release notification */
    bool replaced;     /* differs from RAS's proposal */
} rt_ip_outcome;

/*
 * IPv4 decision. offered: RAS's proposal (host order, 0 none). snap may be
 * NULL (no configuration yet: observe). st may be NULL only with a snapshot
 * that does not assign. Any thread; no lock, no allocation, no system call.
 *
 * assign: the static entry of the user (ipmap.h rules) if its address is
 * free; held by a live session -> StaticConflict: pool or refuse (RT_EBUSY).
 * Otherwise the pool; exhausted -> RT_EEXHAUSTED. With no pool configured
 * (Ipv4Pools empty), users without a static entry keep RAS's proposal, or
 * get RT_EEXHAUSTED when RAS proposed nothing.
 */
void rt_ip_assign_v4(rt_ip_state *st, const rt_ip_snapshot *snap, const rt_ip_who *who,
                     uint32_t offered, rt_ip_outcome *out);

/*
 * Releases addr (host order) held by who. Returns 0 (freed; *source set to
 * how it was handed out), RT_ENOENT (not a lease of ours: RAS's own
 * address, never handed out, or already released), RT_EACCES (another
 * session holds it), RT_EINVAL (addr 0). Only 0 changes anything. Any
 * thread, no lock, no allocation.
 */
int rt_ip_release_v4(rt_ip_state *st, const rt_ip_who *who, uint32_t addr, uint8_t *source);

/*
 * IPv6 decision over interface identifiers (offered: RAS's, 0 none).
 * assign: the static entry if free (conflict as IPv4), else the user's
 * stable identifier: the first of RT_IID_ATTEMPTS counter values that is
 * usable, not a static entry's, and not held; none -> RT_EEXHAUSTED.
 */
void rt_ip_assign_v6(rt_ip_state *st, const rt_ip_snapshot *snap, const rt_ip_who *who,
                     uint64_t offered, rt_ip_outcome *out);
/* As rt_ip_release_v4, for an interface identifier. */
int rt_ip_release_v6(rt_ip_state *st, const rt_ip_who *who, uint64_t iid, uint8_t *source);

#endif /* RT_IPASSIGN_H */
