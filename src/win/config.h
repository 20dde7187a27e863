/*
 * config.h - rastap's settings from the registry, and the configuration
 * snapshot in force.
 *
 * Key: HKLM\SYSTEM\CurrentControlSet\Services\RemoteAccess\Parameters\
 *      AdminDll\rastap  (RT_CONFIG_KEY, 64-bit view), sinks under its
 *      Sinks\<name>. No key at all means the built-in default: one JSON
 *      Lines file sink in %ProgramData%\rastap. Every value is described in
 *      docs/configuration.md; validation is src/core/config_model.c.
 *
 * Snapshots. A valid configuration becomes an rt_config, which is immutable
 * once published. rt_config_current() is one acquire load: callouts (any
 * thread) read it without a lock and may use the pointer until they
 * return, never longer. Publication swaps the pointer (release) under a
 * writer lock; the replaced snapshot is retired and freed only after
 * RT_CONFIG_GRACE_MS. The grace argument: a callout holds the pointer only
 * between its load and its return, and callouts never block (no lock, no
 * I/O, no allocation; callouts.c), so a callout still using a snapshot 30 s
 * after it was replaced would have to be descheduled for 30 s in the middle
 * of a few hundred instructions, while RRAS, which serialises callouts,
 * waits for it. Retired snapshots that remain are freed when the DLL is
 * unloaded (FreeLibrary: no callout can run any more).
 */
#ifndef RT_CONFIG_H
#define RT_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#include <windows.h>

#include "config_model.h"
#include "sinks.h"

#define RT_CONFIG_KEY L"SYSTEM\\CurrentControlSet\\Services\\RemoteAccess\\Parameters\\AdminDll\\rastap"
/* Retired snapshots are freed this long after they were replaced. */
#define RT_CONFIG_GRACE_MS 30000u
/* Snapshots that may wait for their grace period at once; a further change
 * waits (stays pending) until one is freed. */
#define RT_CONFIG_RETIRED_MAX 64u

typedef struct rt_core_settings {
    uint32_t ring_size;
    uint32_t stop_drain_ms;
    uint32_t diag_level;
} rt_core_settings;

/* An applied configuration. Immutable once published. */
typedef struct rt_config {
    uint64_t generation;          /* 1, 2, 3 ... per process, one per applied configuration */
    rt_core_settings core;
    struct rt_ip_snapshot *ip;    /* address assignment (ipassign.h); owned, may be NULL */
    unsigned nsinks;              /* the sinks that run, in order */
    rt_sink_config sinks[];
} rt_config;

/*
 * Reads the configuration under `root` (NULL: open RT_CONFIG_KEY in the
 * 64-bit view) into m and validates it. Returns 0 when valid, RT_EINVAL
 * when m->problems says why not. A missing key is the default (valid); a
 * key deleted while being read, access denied and the like are problems.
 * Any thread; allocates a 64 KiB read buffer for the call.
 */
int rt_config_read(HKEY root, rt_cfg *m);

/* The REG_EXPAND_SZ expander rt_config_read uses: the calling process's
 * environment; a %NAME% that it does not define is an error. */
bool rt_config_expand(void *ctx, const char *in, char *out, size_t cap);

/* A new, unpublished snapshot of a valid model (generation 0), or NULL
 * when out of memory. Free with rt_config_free unless published. */
rt_config *rt_config_build(rt_cfg *m);
/* Frees what rt_config_read attached to m that no configuration took over
 * (the address snapshot); for readers that only validate. */
void rt_config_read_done(rt_cfg *m);
void rt_config_free(rt_config *c);

/* Same settings (generation ignored), and same sinks only. */
bool rt_config_same(const rt_config *a, const rt_config *b);
bool rt_config_same_sinks(const rt_config *a, const rt_config *b);

/* The snapshot in force, or NULL before the first start. Any thread, lock-free. */
const rt_config *rt_config_current(void);

/*
 * Makes `next` the snapshot in force with the next generation number and
 * retires the previous one. Returns false (next untouched, still the
 * caller's) when RT_CONFIG_RETIRED_MAX snapshots are still in their grace
 * period. Writers: the worker between batches, and rt_config_load.
 */
bool rt_config_publish(rt_config *next);

/* Frees retired snapshots whose grace period is over (all: true frees
 * every one and the current one; DLL unload only). */
void rt_config_reclaim(bool all);

/*
 * Start path (MprAdminInitializeDll(Ex), through rt_worker_configure):
 * reads and validates the configuration and publishes it; an invalid one
 * leaves the snapshot in force (or, at the first start, the built-in
 * default) and is kept for rt_config_take_start_refusal. Copies the core
 * settings and up to max sinks of the snapshot in force; returns how many.
 */
unsigned rt_config_load(rt_core_settings *core, rt_sink_config *sinks, unsigned max);

/* The refused model of the last rt_config_load, or NULL; the caller frees it. */
rt_cfg *rt_config_take_start_refusal(void);

#endif /* RT_CONFIG_H */
