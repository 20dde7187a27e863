/*
 * config.c - reads rastap's registry key into the model (config_model.h)
 * and keeps the snapshot in force (config.h explains the grace period).
 *
 * Reading: the core values, then Sinks\<name> in the registry's order, each
 * sink's Type first. Every registry call's failure is a problem of the
 * configuration, never a crash and never a silent default: a key deleted
 * while we hold it open answers ERROR_KEY_DELETED, a subkey deleted between
 * enumeration and opening answers ERROR_FILE_NOT_FOUND, and both refuse the
 * configuration as a whole (the deletion notifies the watcher again, and
 * the next read sees the settled state).
 *
 * No dependency beyond the model, advapi32 and kernel32, so rastapctl
 * compiles this file too (validate, show).
 */
#include "config.h"
#include "ipassign_win.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "utf.h"

_Static_assert(RT_SETTING_TEXT_MAX == RT_CFG_TEXT_MAX, "sink setting text = model text");
_Static_assert(RT_SINK_NAME_MAX == RT_CFG_NAME_MAX, "sink names");
_Static_assert(RT_MAX_SINKS == RT_CFG_MAX_SINKS, "sink count");

#define DATA_MAX 65536u      /* larger values are refused unread */
#define NAME_UNITS 257u      /* value and key names longer than 256 are refused */

/* ------------------------------------------------------------ expand */

bool rt_config_expand(void *ctx, const char *in, char *out, size_t cap)
{
    (void)ctx;
    WCHAR win[RT_CFG_TEXT_MAX * 2], wout[RT_CFG_TEXT_MAX * 2];
    if (!MultiByteToWideChar(CP_UTF8, 0, in, -1, win, RT_CFG_TEXT_MAX * 2))
        return false;
    /* ExpandEnvironmentStringsW leaves an unknown %NAME% as it is: refuse it. */
    for (const WCHAR *p = wcschr(win, L'%'); p; p = wcschr(p + 1, L'%')) {
        const WCHAR *end = wcschr(p + 1, L'%');
        if (!end)
            break;
        WCHAR name[256];
        size_t len = (size_t)(end - p - 1);
        if (len == 0 || len >= 256)
            return false;
        memcpy(name, p + 1, len * sizeof(WCHAR));
        name[len] = 0;
        if (GetEnvironmentVariableW(name, NULL, 0) == 0)
            return false;
        p = end;
    }
    DWORD n = ExpandEnvironmentStringsW(win, wout, RT_CFG_TEXT_MAX * 2);
    if (n == 0 || n > RT_CFG_TEXT_MAX * 2)
        return false;
    return WideCharToMultiByte(CP_UTF8, 0, wout, -1, out, (int)cap, NULL, NULL) > 0;
}

/* ------------------------------------------------------------ reading */

static void name_utf8(const WCHAR *w, size_t units, char *out, size_t cap)
{
    rt_utf16_to_utf8((const rt_wchar *)w, units, out, cap);
}

static void read_error(rt_cfg *m, const char *key, LONG rc)
{
    char why[160];
    if (rc == ERROR_KEY_DELETED || rc == ERROR_FILE_NOT_FOUND)
        snprintf(why, sizeof why, "the key was deleted while being read");
    else if (rc == ERROR_ACCESS_DENIED)
        snprintf(why, sizeof why, "access denied while reading the key");
    else
        snprintf(why, sizeof why, "cannot be read (Win32 error %ld)", (long)rc);
    rt_cfg_problem_add(m, key, "", why);
}

/* Passes one value to the model; sink < 0 for the core values. */
static void give(rt_cfg *m, int sink, const char *name, DWORD type, const BYTE *data, DWORD size)
{
    if (sink < 0)
        rt_cfg_core_value(m, name, type, data, size);
    else
        rt_cfg_sink_value(m, sink, name, type, data, size);
}

/*
 * Every value of k except `skip` (may be NULL). key is the key's name for
 * problems ("" for rastap's key). Returns false when the key itself failed.
 */
static bool read_values(HKEY k, rt_cfg *m, int sink, const char *key, const WCHAR *skip,
                        BYTE *data)
{
    for (DWORD i = 0;; i++) {
        WCHAR wname[NAME_UNITS];
        DWORD name_len = NAME_UNITS, type = 0, size = DATA_MAX;
        LONG rc = RegEnumValueW(k, i, wname, &name_len, NULL, &type, data, &size);
        if (rc == ERROR_NO_MORE_ITEMS)
            return true;
        char name[NAME_UNITS * 3], full[RT_CFG_PROBLEM_TEXT];
        if (rc == ERROR_MORE_DATA) {
            /* the name did not fit or the data is larger than DATA_MAX */
            name_len = NAME_UNITS;
            size = 0;
            bool named = RegEnumValueW(k, i, wname, &name_len, NULL, &type, NULL, &size) ==
                         ERROR_SUCCESS;
            name_utf8(wname, named ? name_len : 0, name, sizeof name);
            if (named && sink < 0 && rt_ip_settings_knows(name))
                continue; /* address values may be large: ipassign_win.c reads them */
            snprintf(full, sizeof full, "%s%s%s", key, *key ? "\\" : "", named ? name : "?");
            rt_cfg_problem_add(m, full, "",
                               named ? "too large: a value holds at most 64 KiB here"
                                     : "a value name longer than 256 characters");
            continue;
        }
        if (rc != ERROR_SUCCESS) {
            read_error(m, *key ? key : "(rastap key)", rc);
            return false;
        }
        if (skip && _wcsicmp(wname, skip) == 0)
            continue;
        name_utf8(wname, name_len, name, sizeof name);
        if (sink < 0 && rt_ip_settings_knows(name))
            continue; /* address values: read by ipassign_win.c */
        give(m, sink, name, type, data, size);
    }
}

static void read_sink(HKEY sinks, const WCHAR *wname, DWORD name_len, rt_cfg *m, BYTE *data)
{
    char name[NAME_UNITS * 3], key[RT_CFG_PROBLEM_TEXT];
    name_utf8(wname, name_len, name, sizeof name);
    snprintf(key, sizeof key, "Sinks\\%s", name);
    int s = rt_cfg_sink_begin(m, name);
    if (s < 0)
        return;
    HKEY k;
    LONG rc = RegOpenKeyExW(sinks, wname, 0, KEY_READ, &k);
    if (rc != ERROR_SUCCESS) {
        read_error(m, key, rc);
        return;
    }
    DWORD type = 0, size = DATA_MAX;
    rc = RegQueryValueExW(k, L"Type", NULL, &type, data, &size);
    if (rc == ERROR_SUCCESS) {
        give(m, s, "Type", type, data, size);
    } else if (rc == ERROR_MORE_DATA) {
        char tkey[RT_CFG_PROBLEM_TEXT];
        snprintf(tkey, sizeof tkey, "%s\\Type", key);
        rt_cfg_problem_add(m, tkey, "", "too large: a value holds at most 64 KiB here");
    } else if (rc != ERROR_FILE_NOT_FOUND) {
        read_error(m, key, rc);
        RegCloseKey(k);
        return;
    }
    read_values(k, m, s, key, L"Type", data);
    RegCloseKey(k);
}

static void read_sinks(HKEY root, rt_cfg *m, BYTE *data)
{
    HKEY sinks;
    LONG rc = RegOpenKeyExW(root, L"Sinks", 0, KEY_READ, &sinks);
    if (rc == ERROR_FILE_NOT_FOUND)
        return; /* no sinks: the default one */
    if (rc != ERROR_SUCCESS) {
        read_error(m, "Sinks", rc);
        return;
    }
    for (DWORD i = 0;; i++) {
        WCHAR wname[NAME_UNITS];
        DWORD len = NAME_UNITS;
        rc = RegEnumKeyExW(sinks, i, wname, &len, NULL, NULL, NULL, NULL);
        if (rc == ERROR_NO_MORE_ITEMS)
            break;
        if (rc == ERROR_MORE_DATA) {
            rt_cfg_problem_add(m, "Sinks", "", "a sink name longer than 256 characters");
            continue;
        }
        if (rc != ERROR_SUCCESS) {
            read_error(m, "Sinks", rc);
            break;
        }
        read_sink(sinks, wname, len, m, data);
    }
    RegCloseKey(sinks);
}

/* Address-assignment problems join the model's: one refuses the whole. */
static void ip_problem(void *ctx, const char *key, const char *value, const char *reason)
{
    rt_cfg_problem_add(ctx, key, value, reason);
}

/* The model's verdict; a refused model keeps no address snapshot. */
static int finish(rt_cfg *m)
{
    int rc = rt_cfg_finish(m);
    if (rc != 0)
        rt_config_read_done(m);
    return rc;
}

void rt_config_read_done(rt_cfg *m)
{
    rt_ip_snapshot_free(m->ip);
    m->ip = NULL;
}

int rt_config_read(HKEY root, rt_cfg *m)
{
    rt_cfg_init(m, rt_config_expand, NULL);
    BYTE *data = malloc(DATA_MAX);
    if (!data) {
        rt_cfg_problem_add(m, "(rastap key)", "", "out of memory while reading");
        return rt_cfg_finish(m);
    }
    HKEY own = NULL;
    if (!root) {
        LONG rc = RegOpenKeyExW(HKEY_LOCAL_MACHINE, RT_CONFIG_KEY, 0,
                                KEY_READ | KEY_WOW64_64KEY, &own);
        if (rc == ERROR_FILE_NOT_FOUND) {
            free(data);
            return rt_cfg_finish(m); /* no key: the built-in default */
        }
        if (rc != ERROR_SUCCESS) {
            read_error(m, "(rastap key)", rc);
            free(data);
            return rt_cfg_finish(m);
        }
        root = own;
    }
    m->key_present = true;
    if (read_values(root, m, -1, "", NULL, data))
        read_sinks(root, m, data);
    free(data);
    int ip_rc = rt_ipassign_win_load(root, ip_problem, m, &m->ip);
    if (ip_rc != 0 && m->nproblems == 0)
        rt_cfg_problem_add(m, "(address assignment)", "", rt_error_message(ip_rc));
    if (own)
        RegCloseKey(own);
    return finish(m);
}

/* ---------------------------------------------------------- snapshots */

rt_config *rt_config_build(rt_cfg *m)
{
    rt_config *c = calloc(1, sizeof *c + (size_t)m->nactive * sizeof(rt_sink_config));
    if (!c)
        return NULL;
    c->ip = m->ip; /* moved: the configuration owns it now */
    m->ip = NULL;
    c->core.ring_size = m->ring_size;
    c->core.stop_drain_ms = m->stop_drain_ms;
    c->core.diag_level = m->diag_level;
    for (unsigned i = 0; i < m->nactive; i++) {
        const rt_cfg_sink *s = rt_cfg_active_sink(m, i);
        rt_sink_config *o = &c->sinks[c->nsinks++];
        snprintf(o->name, sizeof o->name, "%s", s->name);
        snprintf(o->type, sizeof o->type, "%s", s->type->name);
        for (size_t v = 1; v < s->type->count && o->count < RT_SETTINGS_MAX; v++) {
            if (!((s->set >> v) & 1u))
                continue;
            rt_setting *st = &o->settings[o->count++];
            snprintf(st->key, sizeof st->key, "%s", s->type->values[v].name);
            memcpy(st->value, s->text[v], sizeof st->value);
        }
    }
    return c;
}

void rt_config_free(rt_config *c)
{
    if (c)
        rt_ip_snapshot_free(c->ip);
    free(c);
}

static bool same_sink(const rt_sink_config *a, const rt_sink_config *b)
{
    if (strcmp(a->name, b->name) || strcmp(a->type, b->type) || a->count != b->count)
        return false;
    for (unsigned i = 0; i < a->count; i++)
        if (strcmp(a->settings[i].key, b->settings[i].key) ||
            strcmp(a->settings[i].value, b->settings[i].value))
            return false;
    return true;
}

bool rt_config_same_sinks(const rt_config *a, const rt_config *b)
{
    if (a->nsinks != b->nsinks)
        return false;
    for (unsigned i = 0; i < a->nsinks; i++)
        if (!same_sink(&a->sinks[i], &b->sinks[i]))
            return false;
    return true;
}

bool rt_config_same(const rt_config *a, const rt_config *b)
{
    return a->core.ring_size == b->core.ring_size &&
           a->core.stop_drain_ms == b->core.stop_drain_ms &&
           a->core.diag_level == b->core.diag_level && rt_config_same_sinks(a, b) &&
           rt_ip_snapshot_digest(a->ip) == rt_ip_snapshot_digest(b->ip);
}

/* Writers take `writer`; readers never do. */
static SRWLOCK writer = SRWLOCK_INIT;
static _Atomic(rt_config *) current;
static uint64_t generation;
static struct {
    rt_config *cfg;
    ULONGLONG retired_at;
} retired[RT_CONFIG_RETIRED_MAX];
static rt_cfg *start_refusal;

const rt_config *rt_config_current(void)
{
    /* Acquire pairs with the release store in rt_config_publish: a reader
     * that sees the pointer sees the snapshot's contents. */
    return atomic_load_explicit(&current, memory_order_acquire);
}

static void reclaim_locked(bool all)
{
    ULONGLONG now = GetTickCount64();
    for (unsigned i = 0; i < RT_CONFIG_RETIRED_MAX; i++) {
        if (retired[i].cfg && (all || now - retired[i].retired_at >= RT_CONFIG_GRACE_MS)) {
            free(retired[i].cfg);
            retired[i].cfg = NULL;
        }
    }
}

bool rt_config_publish(rt_config *next)
{
    AcquireSRWLockExclusive(&writer);
    reclaim_locked(false);
    rt_config *old = atomic_load_explicit(&current, memory_order_relaxed);
    unsigned slot = 0;
    while (old && slot < RT_CONFIG_RETIRED_MAX && retired[slot].cfg)
        slot++;
    if (old && slot == RT_CONFIG_RETIRED_MAX) {
        ReleaseSRWLockExclusive(&writer);
        return false;
    }
    next->generation = ++generation;
    /* Release pairs with the acquire load in rt_config_current. */
    atomic_store_explicit(&current, next, memory_order_release);
    if (old) {
        retired[slot].cfg = old;
        retired[slot].retired_at = GetTickCount64();
    }
    ReleaseSRWLockExclusive(&writer);
    return true;
}

void rt_config_reclaim(bool all)
{
    AcquireSRWLockExclusive(&writer);
    reclaim_locked(all);
    if (all) {
        free(atomic_exchange_explicit(&current, NULL, memory_order_acq_rel));
        free(start_refusal);
        start_refusal = NULL;
    }
    ReleaseSRWLockExclusive(&writer);
}

/* ------------------------------------------------------------- start */

/* The default snapshot without the model (when even its memory is missing). */
static rt_config *minimal_default(void)
{
    rt_config *c = calloc(1, sizeof *c + sizeof(rt_sink_config));
    if (!c)
        return NULL;
    c->core = (rt_core_settings){RT_CFG_DEFAULT_RING_SIZE, RT_CFG_DEFAULT_STOP_DRAIN_MS,
                                 RT_CFG_DEFAULT_DIAG_LEVEL};
    c->nsinks = 1;
    snprintf(c->sinks[0].name, sizeof c->sinks[0].name, "%s", RT_CFG_DEFAULT_SINK);
    snprintf(c->sinks[0].type, sizeof c->sinks[0].type, "file");
    return c;
}

static rt_config *default_snapshot(rt_cfg *m)
{
    if (m) {
        rt_cfg_init(m, NULL, NULL);
        rt_cfg_finish(m);
        return rt_config_build(m);
    }
    return minimal_default();
}

unsigned rt_config_load(rt_core_settings *core, rt_sink_config *sinks, unsigned max)
{
    rt_cfg *m = malloc(sizeof *m);
    rt_config *next = NULL;
    if (m && rt_config_read(NULL, m) == 0) {
        next = rt_config_build(m);
    } else if (m) {
        AcquireSRWLockExclusive(&writer);
        free(start_refusal);
        start_refusal = m; /* rt_reload reports it */
        ReleaseSRWLockExclusive(&writer);
        m = NULL;
    }
    const rt_config *cur = rt_config_current();
    if (!next && !cur)
        next = default_snapshot(m);
    if (next && cur && rt_config_same(cur, next)) {
        rt_config_free(next); /* a restart with the same settings keeps its generation */
    } else if (next && !rt_config_publish(next)) {
        rt_config_free(next);
    }
    free(m);
    cur = rt_config_current();
    if (!cur) { /* out of memory at the first start: run with the defaults */
        *core = (rt_core_settings){RT_CFG_DEFAULT_RING_SIZE, RT_CFG_DEFAULT_STOP_DRAIN_MS,
                                   RT_CFG_DEFAULT_DIAG_LEVEL};
        memset(&sinks[0], 0, sizeof sinks[0]);
        snprintf(sinks[0].name, sizeof sinks[0].name, "%s", RT_CFG_DEFAULT_SINK);
        snprintf(sinks[0].type, sizeof sinks[0].type, "file");
        return 1;
    }
    *core = cur->core;
    unsigned n = cur->nsinks < max ? cur->nsinks : max;
    memcpy(sinks, cur->sinks, n * sizeof *sinks);
    return n;
}

rt_cfg *rt_config_take_start_refusal(void)
{
    AcquireSRWLockExclusive(&writer);
    rt_cfg *m = start_refusal;
    start_refusal = NULL;
    ReleaseSRWLockExclusive(&writer);
    return m;
}
