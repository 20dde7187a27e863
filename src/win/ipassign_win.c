/*
 * ipassign_win.c - address assignment on Windows (ipassign_win.h).
 *
 * The callout bodies copy RAS's user and port names into bounded local
 * arrays (at most 256 units each, stopping at the NUL, so a missing
 * terminator cannot make us read far), convert RAS's DWORD (first octet in
 * the low byte) to a host-order address and back, and let the core decide.
 * They touch only the snapshot (immutable) and the lease state (atomics).
 *
 * The lease state lives from its first use until FreeLibrary: it must
 * outlive every snapshot, and a snapshot may be in use by a callout until
 * its grace period ends (config.h), so only DLL unload, when no callout can
 * run, may free it.
 */
#include "ipassign_win.h"

#include <ntsecapi.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "error.h"
#include "iid.h"
#include "ipmap.h"
#include "iprange.h"

/* Largest address value we read (100 000 static lines are about 4 MiB). */
#define MAX_VALUE_BYTES (64u << 20)

static _Atomic(rt_ip_state *) state;
static INIT_ONCE state_once = INIT_ONCE_STATIC_INIT;
static INIT_ONCE key_once = INIT_ONCE_STATIC_INIT;
static uint8_t generated_key[16];
static bool generated_stored;

/* 16 secret bytes. RtlGenRandom does not fail in practice; if it ever
 * does, a mix of clocks and addresses is still unpredictable enough for a
 * holder hash, and the IID key is then reported as not stored. */
static bool random_bytes(uint8_t out[16])
{
    if (RtlGenRandom(out, 16))
        return true;
    LARGE_INTEGER qpc;
    QueryPerformanceCounter(&qpc);
    uint64_t seed[2] = {(uint64_t)qpc.QuadPart ^ GetTickCount64(),
                        (uint64_t)GetCurrentProcessId() << 32 ^ (uintptr_t)out};
    uint8_t k[16];
    memcpy(k, seed, 16);
    uint64_t a = rt_siphash24(k, seed, 16), b = rt_siphash24(k, &a, 8);
    memcpy(out, &a, 8);
    memcpy(out + 8, &b, 8);
    return false;
}

static BOOL CALLBACK create_state(PINIT_ONCE once, PVOID param, PVOID *ctx)
{
    (void)once;
    (void)param;
    (void)ctx;
    uint8_t key[16];
    rt_ip_state *st = NULL;
    random_bytes(key);
    if (rt_ip_state_create(key, 0, &st) == RT_OK)
        /* Release pairs with the acquire load in rt_ipassign_win_state: a
         * callout that sees the state sees it initialised. */
        atomic_store_explicit(&state, st, memory_order_release);
    SecureZeroMemory(key, sizeof key);
    return TRUE;
}

rt_ip_state *rt_ipassign_win_state(void)
{
    /* Acquire pairs with the release store in create_state. */
    rt_ip_state *st = atomic_load_explicit(&state, memory_order_acquire);
    if (!st) { /* configuration thread only: callouts never get here before a snapshot exists */
        InitOnceExecuteOnce(&state_once, create_state, NULL, NULL);
        st = atomic_load_explicit(&state, memory_order_acquire);
    }
    return st;
}

/* The state for a callout: one acquire load, never creation. Acquire pairs
 * with the release store in create_state. */
static rt_ip_state *state_now(void)
{
    return atomic_load_explicit(&state, memory_order_acquire);
}

void rt_ipassign_win_unload(void)
{
    rt_ip_state *st = atomic_exchange_explicit(&state, NULL, memory_order_acq_rel);
    rt_ip_state_destroy(st);
}

/* -------------------------------------------------------- registry */

static HKEY open_key(HKEY root, REGSAM access, LONG *rc)
{
    HKEY k = NULL;
    *rc = root ? RegOpenKeyExW(root, NULL, 0, access, &k)
               : RegOpenKeyExW(HKEY_LOCAL_MACHINE, RT_CONFIG_KEY, 0, access | KEY_WOW64_64KEY, &k);
    return *rc == ERROR_SUCCESS ? k : NULL;
}

typedef struct store_ctx {
    HKEY root;
} store_ctx;

static BOOL CALLBACK generate_key(PINIT_ONCE once, PVOID param, PVOID *ctx)
{
    (void)once;
    (void)ctx;
    const store_ctx *sc = param;
    bool good = random_bytes(generated_key);
    WCHAR hex[33];
    for (int i = 0; i < 16; i++) {
        hex[2 * i] = L"0123456789abcdef"[generated_key[i] >> 4];
        hex[2 * i + 1] = L"0123456789abcdef"[generated_key[i] & 15];
    }
    hex[32] = 0;
    LONG rc;
    HKEY k = open_key(sc->root, KEY_SET_VALUE, &rc);
    if (k && good) {
        rc = RegSetValueExW(k, L"Ipv6IidKey", 0, REG_SZ, (const BYTE *)hex, sizeof hex);
        generated_stored = rc == ERROR_SUCCESS;
    }
    if (k)
        RegCloseKey(k);
    SecureZeroMemory(hex, sizeof hex);
    return TRUE;
}

void rt_ipassign_win_iid_key(HKEY root, uint8_t key[16], bool *stored)
{
    store_ctx sc = {root};
    InitOnceExecuteOnce(&key_once, generate_key, &sc, NULL);
    memcpy(key, generated_key, 16);
    if (stored)
        *stored = generated_stored;
}

static void report(rt_ip_problem_fn fn, void *ctx, const char *key, const char *reason)
{
    if (fn)
        fn(ctx, key, "", reason);
}

/* One value into the settings; a value changing size under us is re-read. */
static int read_value(HKEY k, const char *name, rt_ip_settings *s, rt_ip_problem_fn fn, void *ctx)
{
    WCHAR wname[32];
    size_t i = 0;
    for (; name[i] && i < 31; i++)
        wname[i] = (WCHAR)name[i];
    wname[i] = 0;
    DWORD type = 0, size = 0;
    LONG rc = RegQueryValueExW(k, wname, NULL, &type, NULL, &size);
    for (int tries = 0; tries < 4; tries++) {
        if (rc == ERROR_FILE_NOT_FOUND)
            return RT_OK; /* absent (or deleted meanwhile): the default */
        if (rc != ERROR_SUCCESS && rc != ERROR_MORE_DATA) {
            report(fn, ctx, name, "cannot be read");
            return RT_EIO;
        }
        if (size > MAX_VALUE_BYTES) {
            report(fn, ctx, name, "too large: an address value holds at most 64 MiB");
            return RT_EINVAL;
        }
        BYTE *buf = malloc(size ? size : 1);
        if (!buf)
            return RT_ENOMEM;
        DWORD got = size;
        rc = RegQueryValueExW(k, wname, NULL, &type, buf, &got);
        if (rc == ERROR_SUCCESS) {
            int r = rt_ip_settings_value(s, name, type, buf, got, fn, ctx);
            free(buf);
            return r == RT_ENOMEM ? RT_ENOMEM : RT_OK; /* problems already reported */
        }
        free(buf);
        size = got;
    }
    report(fn, ctx, name, "kept changing while being read");
    return RT_EIO;
}

int rt_ipassign_win_load(HKEY root, rt_ip_problem_fn fn, void *ctx, rt_ip_snapshot **out)
{
    static const char *const names[] = {RT_IP_SETTING_NAMES};
    rt_ip_settings *s = NULL;
    rt_ip_state *st = rt_ipassign_win_state();
    LONG rc;
    int err = RT_OK;
    if (!out)
        return RT_EINVAL;
    *out = NULL;
    if (!st)
        return RT_ENOMEM;
    if (rt_ip_settings_create(&s) != RT_OK)
        return RT_ENOMEM;
    HKEY k = open_key(root, KEY_READ, &rc);
    if (!k && rc != ERROR_FILE_NOT_FOUND) {
        report(fn, ctx, "AdminDll\\rastap", "the configuration key cannot be opened");
        err = RT_EIO;
    }
    for (size_t i = 0; k && err == RT_OK && i < sizeof names / sizeof names[0]; i++) {
        int r = read_value(k, names[i], s, fn, ctx);
        if (r == RT_ENOMEM || r == RT_EIO)
            err = r;
    }
    if (k)
        RegCloseKey(k);
    if (err != RT_OK) {
        rt_ip_settings_free(s);
        return err;
    }
    /* Only IPv6 assignment derives identifiers: only then is a key generated
     * (and stored), so reading a configuration never writes to it otherwise. */
    if (!rt_ip_settings_has_iid_key(s) && rt_ip_settings_mode(s, RT_IP_V6) == RT_IP_ASSIGN) {
        uint8_t key[16];
        rt_ipassign_win_iid_key(root, key, NULL);
        rt_ip_settings_set_iid_key(s, key);
        SecureZeroMemory(key, sizeof key);
    }
    return rt_ip_snapshot_build(st, s, fn, ctx, out); /* consumes s */
}

/* ------------------------------------------------------------ callouts */

bool rt_ipassign_win_registers(const rt_ip_snapshot *snap, int family)
{
    return rt_ip_snapshot_mode(snap, family) != RT_IP_OFF;
}

typedef struct names {
    rt_wchar user[RT_IPMAP_NAME_MAX], port[RT_IPMAP_NAME_MAX];
    rt_ip_who who;
} names;

static size_t copy_name(rt_wchar *dst, const WCHAR *src)
{
    size_t n = 0;
    for (; src && n < RT_IPMAP_NAME_MAX && src[n]; n++)
        dst[n] = (rt_wchar)src[n];
    return n;
}

static const rt_ip_who *who_of(names *nm, const WCHAR *user, const WCHAR *port)
{
    nm->who.user = nm->user;
    nm->who.user_len = copy_name(nm->user, user);
    nm->who.port = nm->port;
    nm->who.port_len = copy_name(nm->port, port);
    return &nm->who;
}

static DWORD win32_of(int result)
{
    if (result == RT_OK)
        return NO_ERROR;
    return result == RT_EINVAL ? ERROR_INVALID_PARAMETER : ERROR_NO_SYSTEM_RESOURCES;
}

DWORD rt_ipassign_win_get_v4(const rt_ip_snapshot *snap, const WCHAR *user, const WCHAR *port,
                             DWORD *ip, BOOL *notify, rt_ev_ip *e)
{
    names nm;
    uint32_t offered = ip ? (uint32_t)*ip : 0;
    rt_ip_outcome o = {.ipv4 = rt_ipv4_from_ras(offered), .notify = true};
    bool assign = rt_ip_snapshot_mode(snap, RT_IP_V4) == RT_IP_ASSIGN;
    if (assign && (!ip || !notify))
        o = (rt_ip_outcome){.result = RT_EINVAL}; /* nowhere to put it, or never released */
    else if (ip)
        rt_ip_assign_v4(state_now(), snap, who_of(&nm, user, port), o.ipv4, &o);
    if (ip) /* a refusal hands back nothing: 0 */
        *ip = o.result == RT_OK ? (DWORD)rt_ipv4_to_ras(o.ipv4) : 0;
    if (notify)
        *notify = o.notify ? TRUE : FALSE;
    if (e) {
        e->ipv4 = o.result == RT_OK ? rt_ipv4_to_ras(o.ipv4) : 0;
        e->ipv4_offered = offered;
        e->has_ipv4 = e->ipv4 != 0;
        e->has_ipv6 = 0;
        e->source = o.source;
        e->notify_release = notify && o.notify;
        e->result = ip ? o.result : RT_EINVAL;
    }
    return win32_of(o.result);
}

void rt_ipassign_win_release_v4(const WCHAR *user, const WCHAR *port, const DWORD *ip,
                                rt_ev_ip *e)
{
    names nm;
    uint8_t source = RT_SRC_RAS;
    uint32_t addr = ip ? (uint32_t)*ip : 0;
    int rc = rt_ip_release_v4(state_now(), who_of(&nm, user, port), rt_ipv4_from_ras(addr),
                              &source);
    if (e) {
        e->ipv4 = addr;
        e->ipv4_offered = 0;
        e->has_ipv4 = addr != 0;
        e->has_ipv6 = 0;
        e->source = source;
        e->notify_release = 0;
        e->result = rc;
    }
}

DWORD rt_ipassign_win_get_v6(const rt_ip_snapshot *snap, const WCHAR *user, const WCHAR *port,
                             IN6_ADDR *addr, BOOL *notify, rt_ev_ip *e)
{
    names nm;
    uint8_t bytes[16] = {0};
    if (addr)
        memcpy(bytes, addr, 16);
    rt_ip_outcome o = {.iid = rt_iid_from_bytes(bytes + 8), .notify = true};
    bool assign = rt_ip_snapshot_mode(snap, RT_IP_V6) == RT_IP_ASSIGN;
    if (assign && (!addr || !notify))
        o = (rt_ip_outcome){.result = RT_EINVAL};
    else if (addr)
        rt_ip_assign_v6(state_now(), snap, who_of(&nm, user, port), o.iid, &o);
    if (addr && o.result == RT_OK) {
        rt_iid_to_bytes(o.iid, bytes + 8); /* RAS keeps the prefix: only the identifier is ours */
        memcpy(addr, bytes, 16);
    }
    if (notify)
        *notify = o.notify ? TRUE : FALSE;
    if (e) {
        memcpy(e->ipv6, bytes, 16);
        e->has_ipv6 = addr != NULL && o.result == RT_OK && o.iid != 0;
        e->has_ipv4 = 0;
        e->ipv4 = e->ipv4_offered = 0;
        e->source = o.source;
        e->notify_release = notify && o.notify;
        e->result = addr ? o.result : RT_EINVAL;
    }
    return win32_of(o.result);
}

void rt_ipassign_win_release_v6(const WCHAR *user, const WCHAR *port, const IN6_ADDR *addr,
                                rt_ev_ip *e)
{
    names nm;
    uint8_t bytes[16] = {0}, source = RT_SRC_RAS;
    if (addr)
        memcpy(bytes, addr, 16);
    int rc = rt_ip_release_v6(state_now(), who_of(&nm, user, port), rt_iid_from_bytes(bytes + 8),
                              &source);
    if (e) {
        memcpy(e->ipv6, bytes, 16);
        e->has_ipv6 = addr != NULL;
        e->has_ipv4 = 0;
        e->ipv4 = e->ipv4_offered = 0;
        e->source = source;
        e->notify_release = 0;
        e->result = rc;
    }
}
