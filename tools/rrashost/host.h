/*
 * host.h - rrashost's model of the RRAS side of the admin DLL contract:
 * the callouts it can make, the DLLs it loaded, and how it calls them.
 *
 * ras-admin-contract.md §1-§2 is the specification; section numbers in the
 * comments refer to it. Everything here runs in rrashost's own threads.
 */
#ifndef RH_HOST_H
#define RH_HOST_H

#include "ras_contract.h"

#include <stdbool.h>
#include <stdint.h>

#define RH_VERSION "0.1.0"
#define RH_MAX_DLLS 16

/* Exit codes (docs/rrashost.md). */
enum {
    RH_EXIT_OK = 0,
    RH_EXIT_USAGE = 1,     /* bad command line, unreadable scenario, host error */
    RH_EXIT_NO_START = 2,  /* RRAS would not start: load, init or validation failed */
    RH_EXIT_AUDIT = 3,     /* the audit found lost, duplicated or altered records */
    RH_EXIT_MISBEHAVE = 4, /* a DLL wrote past the callbacks block */
};

/* Every callout rrashost can make. Names match rastap's `callout` field. */
typedef enum rh_callout {
    RH_CO_INITIALIZE,
    RH_CO_INITIALIZE_EX,
    RH_CO_TERMINATE,
    RH_CO_ACCEPT_CONN,
    RH_CO_ACCEPT_CONN2,
    RH_CO_ACCEPT_CONN3,
    RH_CO_ACCEPT_CONN_EX,
    RH_CO_HANGUP,
    RH_CO_HANGUP2,
    RH_CO_HANGUP3,
    RH_CO_HANGUP_EX,
    RH_CO_ACCEPT_LINK,
    RH_CO_LINK_HANGUP,
    RH_CO_REAUTH,
    RH_CO_REAUTH_EX,
    RH_CO_GET_IP,
    RH_CO_RELEASE_IP,
    RH_CO_GET_IPV6,
    RH_CO_RELEASE_IPV6,
    RH_CO_COUNT
} rh_callout;

/* What a callout is for, independent of the variant (for --compare). */
typedef enum rh_class {
    RH_CL_LIFECYCLE,
    RH_CL_CONN_ACCEPT,
    RH_CL_CONN_HANGUP,
    RH_CL_LINK_ACCEPT,
    RH_CL_LINK_HANGUP,
    RH_CL_REAUTH,
    RH_CL_IP,
    RH_CL_IPV6,
    RH_CL_COUNT
} rh_class;

/*
 * Serialization groups (§2.5): RAS never runs a callout of one group for
 * two clients at once. The IPv4 pair is one group and AcceptNewConnection +
 * ConnectionHangupNotification another (documented); the IPv6 pair is
 * assumed to be a group like the IPv4 pair; every other callout is its own
 * group. Initialize/Terminate run alone anyway.
 */
typedef enum rh_group {
    RH_G_NONE,
    RH_G_CONN,
    RH_G_IP,
    RH_G_IPV6,
    RH_G_LINK_ACCEPT,
    RH_G_LINK_HANGUP,
    RH_G_REAUTH,
    RH_G_COUNT
} rh_group;

const char *rh_callout_name(rh_callout co);
const char *rh_class_name(rh_class cl);
rh_class rh_callout_class(rh_callout co);
rh_group rh_callout_group(rh_callout co);

/* One loaded admin DLL: the 168-byte record of RE-load, in our words. */
typedef struct rh_dll {
    wchar_t *path;              /* as given (after environment expansion) */
    char *path_utf8;
    char *name_utf8;            /* file name part, for reports */
    HMODULE module;
    bool ex;                    /* took the Ex path (MprAdminInitializeDllEx) */
    bool initialized;           /* Initialize returned NO_ERROR */
    bool audited;               /* rastap: its records are audited */
    unsigned revision;

    rt_pfn_initialize initialize;
    rt_pfn_initialize_ex initialize_ex;
    rt_pfn_terminate terminate;
    rt_pfn_accept_conn accept1;
    rt_pfn_accept_conn2 accept2;
    rt_pfn_accept_conn3 accept3;
    rt_pfn_accept_conn_ex accept_ex;
    rt_pfn_hangup hangup1;
    rt_pfn_hangup2 hangup2;
    rt_pfn_hangup3 hangup3;
    rt_pfn_hangup_ex hangup_ex;
    rt_pfn_accept_link accept_link;
    rt_pfn_link_hangup link_hangup;
    rt_pfn_accept_reauth reauth;
    rt_pfn_accept_conn_ex reauth_ex;
    rt_pfn_get_ip get_ip;
    rt_pfn_release_ip release_ip;
    rt_pfn_get_ipv6 get_ipv6;
    rt_pfn_release_ipv6 release_ipv6;
    bool endpoint_change_ex;    /* undocumented slots: noted, never called */
    bool validate_preauth_ex;

    /* Variant rrashost calls (highest one exported), or RH_CO_COUNT. */
    rh_callout accept_co, hangup_co, reauth_co;
} rh_dll;

typedef struct rh_host {
    rh_dll dlls[RH_MAX_DLLS];
    unsigned n_dlls;
    int ip_dll;                 /* first DLL with the IPv4 pair, -1 none */
    int ipv6_dll;               /* first DLL with the IPv6 pair, -1 none */
    bool stress;                /* no serialization: callouts overlap */
    bool legacy_only;           /* --legacy: as RRAS before 2008 R2, no Ex path */
    bool log_addresses;         /* --addresses: workers fill their address logs */
    SRWLOCK group_lock[RH_G_COUNT];
} rh_host;

/* ------------------------------------------------------------ registry.c */

/*
 * Reads DllPath from HKLM\<subkey> (default SOFTWARE\Microsoft\RAS\AdminDll,
 * 64-bit view) or HKCU\<subkey> when subkey starts with "HKCU\", splits it
 * as RRAS does (§1.1-§1.2) and stores up to max paths (heap strings the
 * caller frees). Returns NO_ERROR (*n may be 0: nothing registered), 1015
 * for a value of the wrong type, or the registry error.
 */
DWORD rh_registry_read(const wchar_t *subkey, wchar_t **paths, unsigned max, unsigned *n);

/*
 * Splits an expanded DllPath value in place as RRAS does: on ';', and an
 * entry starting with a space ends the list (a warning is printed).
 */
unsigned rh_split_dll_list(wchar_t *value, wchar_t **paths, unsigned max);

/* -------------------------------------------------------------- loader.c */

/*
 * Loads, initialises and validates host->dlls[index] exactly as RRAS's
 * LoadAdminModule (§1.3); Initialize is timed into ctx. On failure prints
 * why, leaves nothing loaded (FreeLibrary without TerminateDll, as RRAS)
 * and returns the Win32 error RRAS would return (87 for validation), or
 * RH_LOAD_OVERRUN when the DLL wrote past the callbacks block (RRAS's heap
 * would be corrupted; rrashost refuses to go on).
 */
#define RH_LOAD_OVERRUN 0x20000001u
struct rh_ctx;
DWORD rh_load_dll(rh_host *host, unsigned index, struct rh_ctx *ctx);

/* Terminate (if initialised) and unload every DLL, in registry order;
 * TerminateDll is timed into ctx's statistics. */
void rh_unload_all(rh_host *host, struct rh_ctx *ctx);

/* Fills host->ip_dll/ipv6_dll and the locks once all DLLs are loaded. */
void rh_host_ready(rh_host *host);

/* "87 (ERROR_INVALID_PARAMETER: The parameter is incorrect.)": code, name
 * when known, system text. Static buffer: main thread only. */
const char *rh_win32_message(DWORD err);

/* ------------------------------------------------------------ pe_names.c */

/* Appends to buf (cap bytes) the decorated exports (Name@N) of a loaded
 * module whose undecorated name is an admin callout. Returns the count. */
unsigned rh_decorated_exports(HMODULE module, char *buf, size_t cap);

#endif /* RH_HOST_H */
