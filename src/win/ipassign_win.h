/*
 * ipassign_win.h - the Windows side of address assignment: the lease state
 * of the process, reading the address values from the registry into a
 * snapshot, and the bodies of the four address callouts (src/core/
 * ipassign.h takes the decisions).
 *
 * Threads:
 *   - rt_ipassign_win_load, _iid_key: the configuration thread (start path
 *     and reload watcher, one at a time); registry, allocation, RtlGenRandom.
 *   - rt_ipassign_win_get_*, _release_*, _registers: RRAS's callout threads,
 *     any number at once: no lock, no allocation, no system call, no I/O.
 *   - rt_ipassign_win_unload: DllMain, DLL_PROCESS_DETACH on FreeLibrary.
 *
 * Return codes to RRAS (docs/addresses.md):
 *   NO_ERROR                   an address was given (or RAS's proposal kept)
 *   ERROR_NO_SYSTEM_RESOURCES  assign mode found nothing to give: pool
 *                              exhausted, or the static address is held and
 *                              Ipv4StaticConflict / Ipv6StaticConflict is
 *                              refuse. RRAS then refuses the connection.
 *   ERROR_INVALID_PARAMETER    assign mode called without the address or
 *                              notification pointer.
 * The record's `result` says why with rastap's own names: "exhausted",
 * "busy" (static address held, refuse), "invalid_argument"; on releases
 * "not_found" (not a lease of ours, or released twice) and "access_denied"
 * (another session's lease: left alone).
 */
#ifndef RT_IPASSIGN_WIN_H
#define RT_IPASSIGN_WIN_H

#include <stdbool.h>
#include <stdint.h>

#include "event.h"
#include "ipassign.h"
#include "ras_contract.h"

/* The process's lease state, created on first use (thread-safe, once):
 * NULL when it could not be created (out of memory). */
rt_ip_state *rt_ipassign_win_state(void);

/*
 * Reads the address values under `root` (NULL: the configuration key,
 * RT_CONFIG_KEY, in the 64-bit view) and builds their snapshot over the
 * process's lease state. A missing key or value is its default (modes off).
 * When Ipv6IidKey is absent, the process's generated key is used
 * (rt_ipassign_win_iid_key). Problems go to fn. Returns 0, RT_EINVAL
 * (problems reported), RT_ENOMEM, RT_ENOSPC, RT_EIO (key unreadable).
 */
int rt_ipassign_win_load(HKEY root, rt_ip_problem_fn fn, void *ctx, rt_ip_snapshot **out);

/*
 * The Ipv6IidKey to use when none is configured: generated once per
 * process with RtlGenRandom and written to Ipv6IidKey under `root` (NULL:
 * the configuration key) as 32 hex digits, so identifiers stay stable
 * across restarts. *stored says whether that write succeeded (if not, the
 * identifiers are stable only until RRAS restarts).
 */
void rt_ipassign_win_iid_key(HKEY root, uint8_t key[16], bool *stored);

/* Ex path: whether to put the family's pair into the callback block (mode
 * other than off). Both or neither of a pair, as RRAS requires. */
bool rt_ipassign_win_registers(const rt_ip_snapshot *snap, int family);

/*
 * Callout bodies. snap: the snapshot in force (NULL: observe). e: the
 * record to fill (NULL when the ring was full: the decision is the same);
 * they fill the address fields, source, notify_release and result, not the
 * names (rt_capture_ip_names). Return what the callout returns to RRAS.
 */
DWORD rt_ipassign_win_get_v4(const rt_ip_snapshot *snap, const WCHAR *user, const WCHAR *port,
                             DWORD *ip, BOOL *notify, rt_ev_ip *e);
void rt_ipassign_win_release_v4(const WCHAR *user, const WCHAR *port, const DWORD *ip,
                                rt_ev_ip *e);
DWORD rt_ipassign_win_get_v6(const rt_ip_snapshot *snap, const WCHAR *user, const WCHAR *port,
                             IN6_ADDR *addr, BOOL *notify, rt_ev_ip *e);
void rt_ipassign_win_release_v6(const WCHAR *user, const WCHAR *port, const IN6_ADDR *addr,
                                rt_ev_ip *e);

/* DllMain on FreeLibrary, after the configuration snapshots are freed. */
void rt_ipassign_win_unload(void);

#endif /* RT_IPASSIGN_WIN_H */
