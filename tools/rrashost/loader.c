/*
 * loader.c - RRAS's LoadAdminModule, step by step (contract §1.3).
 *
 *  1. LoadLibraryExW(path, NULL, LOAD_LIBRARY_SEARCH_DEFAULT_DIRS)
 *  2. MprAdminInitializeDllEx exported (and no --legacy) -> Ex path: it
 *     gets a zeroed 104-byte block (SDK layout); the pointers are copied
 *     out right after the call; every other export is ignored.
 *  3. Otherwise the legacy path: revision 1, GetProcAddress by plain name,
 *     MprAdminInitializeDll called (only if exported) before the last five
 *     lookups, exactly in RRAS's order.
 *  4. Validation (validate.c). On failure FreeLibrary, *without*
 *     MprAdminTerminateDll, and error 87.
 *
 * Additions that RRAS does not make, reported so an administrator learns
 * before the real server does: a guard area after the block catches DLLs
 * that write past 104 bytes, and modules the DLL pulled in from outside
 * System32 are flagged (svchost's application directory *is* System32, so
 * under RRAS such a dependency would not be found: error 126).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "run.h"
#include "validate.h"

#include <psapi.h>

#define CALLBACKS_SIZE 104
#define GUARD_SIZE 152
#define GUARD_BYTE 0xA5

#define PROC(type, name) ((type)(void (*)(void))GetProcAddress(h, name))

typedef struct modules {
    HMODULE *v;
    DWORD n;
} modules;

static void list_modules(modules *m)
{
    DWORD need = 0;
    m->v = NULL;
    m->n = 0;
    if (!K32EnumProcessModules(GetCurrentProcess(), NULL, 0, &need) || need == 0)
        return;
    need += 64 * sizeof(HMODULE);
    m->v = malloc(need);
    if (m->v && K32EnumProcessModules(GetCurrentProcess(), m->v, need, &need))
        m->n = need / sizeof(HMODULE);
}

static bool in_list(const modules *m, HMODULE h)
{
    for (DWORD i = 0; i < m->n; i++)
        if (m->v[i] == h)
            return true;
    return false;
}

/* Modules that arrived with the DLL from outside System32. */
static unsigned foreign_dependencies(const modules *before, HMODULE self, const char *dll_name)
{
    modules after;
    wchar_t sysdir[MAX_PATH], path[MAX_PATH];
    unsigned bad = 0;
    UINT n = GetSystemDirectoryW(sysdir, MAX_PATH);
    list_modules(&after);
    for (DWORD i = 0; i < after.n && n > 0; i++) {
        HMODULE m = after.v[i];
        if (m == self || in_list(before, m))
            continue;
        if (!K32GetModuleFileNameExW(GetCurrentProcess(), m, path, MAX_PATH))
            continue;
        if (_wcsnicmp(path, sysdir, n) == 0 && path[n] == L'\\')
            continue;
        char u[MAX_PATH * 3];
        WideCharToMultiByte(CP_UTF8, 0, path, -1, u, sizeof u, NULL, NULL);
        fprintf(stderr, "rrashost: %s: dependency %s was loaded from outside System32; RRAS "
                        "(LOAD_LIBRARY_SEARCH_DEFAULT_DIRS from svchost) would not find it and "
                        "fail with error 126 - link it statically\n",
                dll_name, u);
        bad++;
    }
    free(after.v);
    return bad;
}

static void explain_load_error(const rh_dll *dll, DWORD err)
{
    fprintf(stderr, "rrashost: %s: LoadLibraryExW failed with error %s\n", dll->path_utf8,
            rh_win32_message(err));
    if (err >= 191 && err <= 193)
        fputs("rrashost: the image does not fit this process (a 32-bit DLL in 64-bit RRAS?); "
              "RRAS logs event 20204 for this\n",
              stderr);
    else if (err == ERROR_MOD_NOT_FOUND)
        fputs("rrashost: the file or one of its dependencies was not found; RRAS searches "
              "dependencies only in System32 and AddDllDirectory paths, never beside the DLL\n",
              stderr);
    fputs("rrashost: RRAS would not start (event 20113 with this code)\n", stderr);
}

static void failed_start(const rh_dll *dll, const char *what, DWORD err)
{
    fprintf(stderr, "rrashost: %s: %s returned %s\n", dll->path_utf8, what,
            rh_win32_message(err));
    fputs("rrashost: RRAS would not start; the DLL was unloaded without MprAdminTerminateDll\n",
          stderr);
}

/* Highest guard byte the DLL changed, 0 if none. */
static size_t overrun_of(const unsigned char *block)
{
    for (size_t i = GUARD_SIZE; i > 0; i--)
        if (block[CALLBACKS_SIZE + i - 1] != GUARD_BYTE)
            return i;
    return 0;
}

static DWORD load_ex(rh_host *host, unsigned idx, rh_ctx *ctx)
{
    rh_dll *dll = &host->dlls[idx];
    unsigned char *block = HeapAlloc(GetProcessHeap(), 0, CALLBACKS_SIZE + GUARD_SIZE);
    if (!block)
        return ERROR_NOT_ENOUGH_MEMORY;
    memset(block, 0, CALLBACKS_SIZE);
    memset(block + CALLBACKS_SIZE, GUARD_BYTE, GUARD_SIZE);
    _Static_assert(sizeof(rt_admin_dll_callbacks) <= CALLBACKS_SIZE, "SDK block");
    rt_admin_dll_callbacks *cb = (rt_admin_dll_callbacks *)block;
    dll->ex = true;
    DWORD err = rh_call_initialize_ex(ctx, idx, cb);
    size_t over = overrun_of(block);
    if (err != NO_ERROR) {
        failed_start(dll, "MprAdminInitializeDllEx", err);
        goto cleanup_block;
    }
    dll->initialized = true;
    dll->revision = cb->revision;
    dll->get_ip = cb->lpfnMprAdminGetIpAddressForUser;
    dll->release_ip = cb->lpfnMprAdminReleaseIpAddress;
    dll->get_ipv6 = cb->lpfnMprAdminGetIpv6AddressForUser;
    dll->release_ipv6 = cb->lpfnMprAdminReleaseIpV6AddressForUser;
    dll->accept_link = cb->lpfnRasAdminAcceptNewLink;
    dll->link_hangup = cb->lpfnRasAdminLinkHangupNotification;
    dll->terminate = cb->lpfnRasAdminTerminateDll;
    dll->accept_ex = cb->lpfnRasAdminAcceptNewConnectionEx;
    dll->endpoint_change_ex = cb->lpfnRasAdminAcceptEndpointChangeEx != NULL;
    dll->reauth_ex = cb->lpfnRasAdminAcceptReauthenticationEx;
    dll->hangup_ex = cb->lpfnRasAdminConnectionHangupNotificationEx;
    dll->validate_preauth_ex = cb->lpfnRASValidatePreAuthenticatedConnectionEx != NULL;
    if (over) {
        fprintf(stderr, "rrashost: %s: MprAdminInitializeDllEx wrote %zu byte(s) past the "
                        "104-byte MPRAPI_ADMIN_DLL_CALLBACKS block; under RRAS that corrupts the "
                        "service's heap. Its callbacks struct is larger than the SDK's.\n",
                dll->path_utf8, over);
        err = RH_LOAD_OVERRUN;
    }
cleanup_block:
    HeapFree(GetProcessHeap(), 0, block);
    return err;
}

static DWORD load_legacy(rh_host *host, unsigned idx, rh_ctx *ctx, HMODULE h)
{
    rh_dll *dll = &host->dlls[idx];
    dll->revision = RT_MPRAPI_ADMIN_DLL_VERSION_1;
    dll->initialize = PROC(rt_pfn_initialize, "MprAdminInitializeDll");
    dll->terminate = PROC(rt_pfn_terminate, "MprAdminTerminateDll");
    dll->accept1 = PROC(rt_pfn_accept_conn, "MprAdminAcceptNewConnection");
    dll->accept2 = PROC(rt_pfn_accept_conn2, "MprAdminAcceptNewConnection2");
    dll->accept3 = PROC(rt_pfn_accept_conn3, "MprAdminAcceptNewConnection3");
    dll->accept_link = PROC(rt_pfn_accept_link, "MprAdminAcceptNewLink");
    dll->reauth = PROC(rt_pfn_accept_reauth, "MprAdminAcceptReauthentication");
    dll->hangup1 = PROC(rt_pfn_hangup, "MprAdminConnectionHangupNotification");
    dll->hangup2 = PROC(rt_pfn_hangup2, "MprAdminConnectionHangupNotification2");
    dll->hangup3 = PROC(rt_pfn_hangup3, "MprAdminConnectionHangupNotification3");
    if (dll->initialize) {
        DWORD err = rh_call_initialize(ctx, idx);
        if (err != NO_ERROR) {
            failed_start(dll, "MprAdminInitializeDll", err);
            return err;
        }
    }
    dll->initialized = true;
    dll->link_hangup = PROC(rt_pfn_link_hangup, "MprAdminLinkHangupNotification");
    dll->get_ip = PROC(rt_pfn_get_ip, "MprAdminGetIpAddressForUser");
    dll->release_ip = PROC(rt_pfn_release_ip, "MprAdminReleaseIpAddress");
    dll->get_ipv6 = PROC(rt_pfn_get_ipv6, "MprAdminGetIpv6AddressForUser");
    dll->release_ipv6 = PROC(rt_pfn_release_ipv6, "MprAdminReleaseIpv6AddressForUser");
    return NO_ERROR;
}

static void unload(rh_dll *dll)
{
    FreeLibrary(dll->module);
    dll->module = NULL;
    dll->initialized = false;
}

DWORD rh_load_dll(rh_host *host, unsigned idx, rh_ctx *ctx)
{
    rh_dll *dll = &host->dlls[idx];
    modules before;
    list_modules(&before);
    HMODULE h = LoadLibraryExW(dll->path, NULL, LOAD_LIBRARY_SEARCH_DEFAULT_DIRS);
    DWORD err = h ? NO_ERROR : GetLastError();
    if (!h) {
        explain_load_error(dll, err);
        goto cleanup_list;
    }
    dll->module = h;
    if (foreign_dependencies(&before, h, dll->path_utf8) > 0) {
        err = ERROR_MOD_NOT_FOUND;
        unload(dll);
        goto cleanup_list;
    }
    /* RRAS before Windows Server 2008 R2 does not look for the Ex entry. */
    dll->initialize_ex = host->legacy_only
                             ? NULL
                             : PROC(rt_pfn_initialize_ex, "MprAdminInitializeDllEx");
    err = dll->initialize_ex ? load_ex(host, idx, ctx) : load_legacy(host, idx, ctx, h);
    if (err == RH_LOAD_OVERRUN && dll->terminate)
        rh_call_terminate(ctx, idx); /* it did start: let it stop its threads */
    if (err != NO_ERROR) {
        unload(dll);
        goto cleanup_list;
    }
    err = rh_validate(dll);
    if (err != NO_ERROR) {
        unload(dll); /* as RRAS: no TerminateDll after a failed validation */
        goto cleanup_list;
    }
    rh_choose_variants(dll);
cleanup_list:
    free(before.v);
    return err;
}

void rh_unload_all(rh_host *host, rh_ctx *ctx)
{
    for (unsigned d = 0; d < host->n_dlls; d++) {
        rh_dll *dll = &host->dlls[d];
        if (!dll->module)
            continue;
        if (dll->initialized && dll->terminate) {
            DWORD err = rh_call_terminate(ctx, d);
            if (err != NO_ERROR)
                printf("note: %s: MprAdminTerminateDll returned %lu (expected NO_ERROR)\n",
                       dll->name_utf8, (unsigned long)err);
        }
        unload(dll);
    }
}

void rh_host_ready(rh_host *host)
{
    host->ip_dll = host->ipv6_dll = -1;
    for (unsigned d = 0; d < host->n_dlls; d++) {
        const rh_dll *dll = &host->dlls[d];
        if (host->ip_dll < 0 && dll->get_ip && dll->release_ip)
            host->ip_dll = (int)d;
        if (host->ipv6_dll < 0 && dll->get_ipv6 && dll->release_ipv6)
            host->ipv6_dll = (int)d;
    }
    for (unsigned g = 0; g < RH_G_COUNT; g++)
        InitializeSRWLock(&host->group_lock[g]);
}
