/*
 * ipassign.c - settings, snapshots and the address decisions (ipassign.h).
 *
 * The callout side is short on purpose: one keyed hash of (user, port) that
 * names the session, one static-map lookup, then atomic operations in
 * ippool.c / iid.c, whose files carry the lock-free arguments. This file
 * adds one rule of its own: a release is always matched against the
 * holder recorded by the lease, so it can free only what this session was
 * given (ippool.c invariant 3, iid.c invariant 3).
 *
 * Its cost is mostly memory latency: a static user's assignment needs the
 * map's slot, then both the map's record and the address's lease words,
 * each a likely cache (and TLB) miss with 100 000 users. So the user name
 * is folded once for the map and the holder hash alike (caller_init), the
 * lease words are requested as soon as the map's slot names the address
 * (rt_ipmap_peek, rt_ippool_prefetch), and the holder hash is computed
 * while they arrive.
 */
#include "ipassign.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "iid.h"
#include "ipmap.h"
#include "ippool.h"
#include "iprange.h"
#include "utf.h"

enum { REG_SZ_ = 1, REG_BINARY_ = 3, REG_MULTI_SZ_ = 7 };

struct rt_ip_state {
    rt_ippool_dir *dir;
    rt_iid_set *iids;
    uint8_t holder_key[16];
    _Atomic uint64_t counters[RT_IPC_COUNT];
};

struct rt_ip_settings {
    uint8_t mode[2], conflict[2];
    rt_ipmap *map[2];
    rt_ipv4_set pools, exclude;
    uint8_t iid_key[16];
    bool has_key;
    uint64_t digest;
    unsigned problems; /* values refused so far: the build refuses too */
};

struct rt_ip_snapshot {
    uint8_t mode[2], conflict[2];
    rt_ipmap *map[2];
    rt_ippool *pool;
    uint32_t *static4; /* sorted static IPv4 addresses */
    size_t nstatic4;
    uint64_t *static6; /* sorted static identifiers */
    size_t nstatic6;
    uint8_t iid_key[16];
    uint64_t digest;
};

/* ------------------------------------------------------------- state */

int rt_ip_state_create(const uint8_t holder_key[16], unsigned iid_buckets_log2,
                       rt_ip_state **out)
{
    if (!holder_key || !out)
        return RT_EINVAL;
    rt_ip_state *st = calloc(1, sizeof *st);
    if (!st)
        return RT_ENOMEM;
    int rc = rt_ippool_dir_create(0, &st->dir);
    if (rc == RT_OK)
        rc = rt_iid_set_create(iid_buckets_log2 ? iid_buckets_log2 : 12, &st->iids);
    if (rc != RT_OK) {
        rt_ip_state_destroy(st);
        return rc;
    }
    memcpy(st->holder_key, holder_key, 16);
    for (unsigned i = 0; i < RT_IPC_COUNT; i++)
        atomic_init(&st->counters[i], 0);
    *out = st;
    return RT_OK;
}

void rt_ip_state_destroy(rt_ip_state *st)
{
    if (!st)
        return;
    rt_ippool_dir_destroy(st->dir);
    rt_iid_set_destroy(st->iids);
    free(st);
}

void rt_ip_counters(const rt_ip_state *st, uint64_t out[RT_IPC_COUNT])
{
    for (unsigned i = 0; i < RT_IPC_COUNT; i++)
        out[i] = st ? atomic_load_explicit(&st->counters[i], memory_order_relaxed) : 0;
}

static void count(rt_ip_state *st, unsigned which)
{
    atomic_fetch_add_explicit(&st->counters[which], 1, memory_order_relaxed);
}

/* ---------------------------------------------------------- settings */

static const char *const setting_names[] = {RT_IP_SETTING_NAMES};
enum { S_V4_MODE, S_V4_STATIC, S_V4_POOLS, S_V4_EXCLUDE, S_V4_CONFLICT, S_V6_MODE, S_V6_STATIC,
       S_V6_CONFLICT, S_V6_KEY, S_COUNT };

static bool same_ascii_nocase(const char *a, const char *b)
{
    for (; *a && *b; a++, b++) {
        char x = (*a >= 'A' && *a <= 'Z') ? (char)(*a + 32) : *a;
        char y = (*b >= 'A' && *b <= 'Z') ? (char)(*b + 32) : *b;
        if (x != y)
            return false;
    }
    return *a == *b;
}

static int setting_index(const char *name)
{
    for (int i = 0; name && i < S_COUNT; i++)
        if (same_ascii_nocase(name, setting_names[i]))
            return i;
    return -1;
}

bool rt_ip_settings_knows(const char *name)
{
    return setting_index(name) >= 0;
}

int rt_ip_settings_create(rt_ip_settings **out)
{
    if (!out)
        return RT_EINVAL;
    rt_ip_settings *s = calloc(1, sizeof *s);
    if (!s || rt_ipmap_create(&s->map[0]) != RT_OK || rt_ipmap_create(&s->map[1]) != RT_OK) {
        rt_ip_settings_free(s);
        return RT_ENOMEM;
    }
    *out = s;
    return RT_OK;
}

void rt_ip_settings_free(rt_ip_settings *s)
{
    if (!s)
        return;
    rt_ipmap_free(s->map[0]);
    rt_ipmap_free(s->map[1]);
    rt_ipv4_set_free(&s->pools);
    rt_ipv4_set_free(&s->exclude);
    free(s);
}

bool rt_ip_settings_has_iid_key(const rt_ip_settings *s)
{
    return s && s->has_key;
}

rt_ip_mode rt_ip_settings_mode(const rt_ip_settings *s, int family)
{
    return s && (family == RT_IP_V4 || family == RT_IP_V6) ? (rt_ip_mode)s->mode[family]
                                                           : RT_IP_OFF;
}

void rt_ip_settings_set_iid_key(rt_ip_settings *s, const uint8_t key[16])
{
    if (!s || !key)
        return;
    memcpy(s->iid_key, key, 16);
    s->has_key = true;
}

/* One value being read: where problems go and how many there were. */
typedef struct reading {
    const char *key;
    rt_ip_problem_fn fn;
    void *ctx;
    unsigned problems;
} reading;

static void problem(reading *r, const rt_wchar *text, size_t len, unsigned line, const char *why)
{
    char value[192], reason[256];
    r->problems++;
    if (!r->fn)
        return;
    rt_utf16_to_utf8(text, len < 120 ? len : 120, value, sizeof value);
    if (line)
        snprintf(reason, sizeof reason, "line %u: %s", line, why);
    else
        snprintf(reason, sizeof reason, "%s", why);
    r->fn(r->ctx, r->key, text ? value : "", reason);
}

/* Calls each(line) for every non-blank string of a REG_SZ / REG_MULTI_SZ. */
typedef void (*line_fn)(rt_ip_settings *s, reading *r, const rt_wchar *line, size_t len,
                        unsigned no);

static void each_line(rt_ip_settings *s, reading *r, uint32_t type, const void *data,
                      size_t size, line_fn each)
{
    rt_wchar line[RT_IPRANGE_LINE_MAX];
    size_t pos = 0, len;
    const char *why;
    if (type != REG_MULTI_SZ_ && type != REG_SZ_) {
        problem(r, NULL, 0, 0, "wrong type: REG_MULTI_SZ (or REG_SZ for one line) expected");
        return;
    }
    for (unsigned no = 1;; no++) {
        int rc = rt_regstr_next(data, size, type == REG_MULTI_SZ_, &pos, line, RT_IPRANGE_LINE_MAX,
                                &len, &why);
        if (rc == 0)
            break;
        if (rc < 0) {
            problem(r, NULL, 0, no, why);
            if (rc != RT_ERANGE)
                break;
            continue;
        }
        if (!rt_ipline_is_blank(line, len))
            each(s, r, line, len, no);
    }
}

static void static4_line(rt_ip_settings *s, reading *r, const rt_wchar *line, size_t len,
                         unsigned no)
{
    const rt_wchar *name, *val;
    size_t nl, vl;
    const char *why;
    uint32_t addr;
    uint64_t prev;
    if (rt_ipline_split(line, len, &name, &nl, &val, &vl, &why) != RT_OK ||
        rt_ipv4_parse(val, vl, &addr, &why) != RT_OK) {
        problem(r, line, len, no, why);
    } else if (!rt_ipv4_usable(addr)) {
        problem(r, line, len, no, "address no client can use (0/8, 127/8, 224/3)");
    } else {
        int rc = rt_ipmap_add(s->map[RT_IP_V4], name, nl, addr, &prev);
        if (rc == RT_EEXIST)
            problem(r, line, len, no, "user listed twice (names compare case-insensitively)");
        else if (rc != RT_OK)
            problem(r, line, len, no, "out of memory");
    }
}

static void static6_line(rt_ip_settings *s, reading *r, const rt_wchar *line, size_t len,
                         unsigned no)
{
    const rt_wchar *name, *val;
    size_t nl, vl;
    const char *why;
    uint64_t iid, prev;
    if (rt_ipline_split(line, len, &name, &nl, &val, &vl, &why) != RT_OK ||
        rt_iid_parse(val, vl, &iid, &why) != RT_OK) {
        problem(r, line, len, no, why);
    } else if (!rt_iid_usable(iid)) {
        problem(r, line, len, no, "reserved interface identifier (::, ::1, RFC 5453 ranges)");
    } else {
        int rc = rt_ipmap_add(s->map[RT_IP_V6], name, nl, iid, &prev);
        if (rc == RT_EEXIST)
            problem(r, line, len, no, "user listed twice (names compare case-insensitively)");
        else if (rc != RT_OK)
            problem(r, line, len, no, "out of memory");
    }
}

/* Pool and exclusion lines: items separated by commas. */
static void ranges_line(rt_ip_settings *s, reading *r, const rt_wchar *line, size_t len,
                        unsigned no, bool pools)
{
    size_t start = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i < len && line[i] != ',')
            continue;
        rt_ipv4_range range;
        const char *why;
        if (rt_ipv4_parse_item(line + start, i - start, pools, &range, &why) != RT_OK)
            problem(r, line + start, i - start, no, why);
        else if (rt_ipv4_set_add(pools ? &s->pools : &s->exclude, range) != RT_OK)
            problem(r, line, len, no, "out of memory");
        start = i + 1;
    }
}

static void pools_line(rt_ip_settings *s, reading *r, const rt_wchar *line, size_t len,
                       unsigned no)
{
    ranges_line(s, r, line, len, no, true);
}

static void exclude_line(rt_ip_settings *s, reading *r, const rt_wchar *line, size_t len,
                         unsigned no)
{
    ranges_line(s, r, line, len, no, false);
}

/* The single string of a REG_SZ choice, trimmed, compared to `choices`. */
static int choice(reading *r, uint32_t type, const void *data, size_t size,
                  const char *const *choices, int n, const char *expect)
{
    rt_wchar line[32];
    size_t pos = 0, len = 0;
    const char *why = expect;
    int rc = type == REG_SZ_ ? rt_regstr_next(data, size, false, &pos, line, 32, &len, &why)
                             : RT_ETYPE;
    if (rc == 1) {
        const rt_wchar *t = line;
        rt_ipline_trim(&t, &len);
        for (int i = 0; i < n; i++) {
            size_t k = 0;
            while (k < len && choices[i][k] &&
                   rt_ipmap_fold_unit(t[k]) == (rt_wchar)choices[i][k])
                k++;
            if (k == len && choices[i][k] == '\0')
                return i;
        }
        problem(r, line, len, 0, expect);
        return -1;
    }
    problem(r, NULL, 0, 0, rc == RT_ETYPE ? "wrong type: REG_SZ expected" : rc == 0 ? expect : why);
    return -1;
}

static void iid_key(rt_ip_settings *s, reading *r, uint32_t type, const void *data, size_t size)
{
    uint8_t key[16];
    if (type == REG_BINARY_ && size == 16) {
        memcpy(key, data, 16);
    } else {
        rt_wchar line[80];
        size_t pos = 0, len = 0;
        const char *why = "";
        if (type != REG_SZ_ ||
            rt_regstr_next(data, size, false, &pos, line, 80, &len, &why) != 1) {
            problem(r, NULL, 0, 0, "expected 32 hex digits (REG_SZ) or 16 bytes (REG_BINARY)");
            return;
        }
        const rt_wchar *t = line;
        rt_ipline_trim(&t, &len);
        bool ok = len == 32;
        for (size_t i = 0; ok && i < len; i++) {
            rt_wchar c = rt_ipmap_fold_unit(t[i]);
            int v = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
            ok = v >= 0;
            key[i / 2] = (uint8_t)(i % 2 ? key[i / 2] | (v & 15) : (v & 15) << 4);
        }
        if (!ok) { /* the secret itself is never echoed into a problem */
            problem(r, NULL, 0, 0, "expected 32 hex digits (a 128-bit secret)");
            return;
        }
    }
    rt_ip_settings_set_iid_key(s, key);
}

int rt_ip_settings_value(rt_ip_settings *s, const char *name, uint32_t type, const void *data,
                         size_t size, rt_ip_problem_fn fn, void *ctx)
{
    static const char *const modes[] = {"off", "observe", "assign"};
    static const char *const conflicts[] = {"pool", "refuse"};
    int which = setting_index(name);
    if (!s)
        return RT_EINVAL;
    if (which < 0)
        return RT_ENOENT;
    reading r = {setting_names[which], fn, ctx, 0};
    if (size && !data)
        size = 0;
    int v;
    switch (which) {
    case S_V4_MODE:
    case S_V6_MODE:
        v = choice(&r, type, data, size, modes, 3, "expected off, observe or assign");
        if (v >= 0)
            s->mode[which == S_V6_MODE] = (uint8_t)v;
        break;
    case S_V4_CONFLICT:
    case S_V6_CONFLICT:
        v = choice(&r, type, data, size, conflicts, 2, "expected pool or refuse");
        if (v >= 0)
            s->conflict[which == S_V6_CONFLICT] = (uint8_t)v;
        break;
    case S_V4_STATIC:
        each_line(s, &r, type, data, size, static4_line);
        break;
    case S_V6_STATIC:
        each_line(s, &r, type, data, size, static6_line);
        break;
    case S_V4_POOLS:
        each_line(s, &r, type, data, size, pools_line);
        break;
    case S_V4_EXCLUDE:
        each_line(s, &r, type, data, size, exclude_line);
        break;
    default:
        iid_key(s, &r, type, data, size);
        break;
    }
    /* Digest: order-independent sum of a hash of each value given. */
    static const uint8_t zero_key[16];
    uint64_t h = rt_siphash24(zero_key, data, size);
    s->digest += (h ^ (uint64_t)type << 32) * (uint64_t)(2 * which + 1);
    s->problems += r.problems;
    return r.problems ? RT_EINVAL : RT_OK;
}

/* -------------------------------------------------------- snapshots */

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static void problem_text(reading *r, const char *value, const char *why)
{
    r->problems++;
    if (r->fn)
        r->fn(r->ctx, r->key, value, why);
}

/* Sorted static IPv4 addresses; each given to one user only; each with its
 * lease block reserved. */
static int build_static4(rt_ip_state *st, rt_ip_snapshot *snap, reading *r)
{
    size_t n = rt_ipmap_count(snap->map[RT_IP_V4]);
    if (n == 0)
        return RT_OK;
    if (!(snap->static4 = malloc(n * sizeof *snap->static4)))
        return RT_ENOMEM;
    for (size_t i = 0; i < n; i++)
        snap->static4[i] = (uint32_t)rt_ipmap_value_at(snap->map[RT_IP_V4], i);
    qsort(snap->static4, n, sizeof *snap->static4, cmp_u32);
    snap->nstatic4 = n;
    for (size_t i = 0; i < n; i++) {
        if (i > 0 && snap->static4[i] == snap->static4[i - 1]) {
            char text[16];
            uint32_t a = snap->static4[i];
            snprintf(text, sizeof text, "%u.%u.%u.%u", (unsigned)(a >> 24), (unsigned)(a >> 16 & 255),
                     (unsigned)(a >> 8 & 255), (unsigned)(a & 255));
            problem_text(r, text, "address given to more than one user");
            continue;
        }
        int rc = rt_ippool_dir_reserve_sw(st->dir, snap->static4[i]);
        if (rc != RT_OK)
            return rc;
    }
    return RT_OK;
}

/* The pool: Ipv4Pools minus Ipv4Exclude minus every static address. */
static int build_pool(rt_ip_state *st, rt_ip_settings *s, rt_ip_snapshot *snap)
{
    rt_ipv4_set_normalize(&s->pools);
    for (size_t i = 0; i < snap->nstatic4; i++)
        if (rt_ipv4_set_add(&s->exclude, (rt_ipv4_range){snap->static4[i], snap->static4[i]}))
            return RT_ENOMEM;
    rt_ipv4_set_normalize(&s->exclude);
    if (rt_ipv4_set_subtract(&s->pools, &s->exclude) != RT_OK)
        return RT_ENOMEM;
    return rt_ippool_create(st->dir, &s->pools, &snap->pool);
}

static int build_static6(rt_ip_snapshot *snap, reading *r)
{
    size_t n = rt_ipmap_count(snap->map[RT_IP_V6]);
    if (n == 0)
        return RT_OK;
    if (!(snap->static6 = malloc(n * sizeof *snap->static6)))
        return RT_ENOMEM;
    for (size_t i = 0; i < n; i++)
        snap->static6[i] = rt_ipmap_value_at(snap->map[RT_IP_V6], i);
    qsort(snap->static6, n, sizeof *snap->static6, cmp_u64);
    snap->nstatic6 = n;
    for (size_t i = 1; i < n; i++) {
        if (snap->static6[i] == snap->static6[i - 1]) {
            char text[RT_IID_TEXT];
            uint64_t v = snap->static6[i];
            snprintf(text, sizeof text, "%04x:%04x:%04x:%04x", (unsigned)(v >> 48),
                     (unsigned)(v >> 32 & 0xFFFF), (unsigned)(v >> 16 & 0xFFFF),
                     (unsigned)(v & 0xFFFF));
            problem_text(r, text, "interface identifier given to more than one user");
        }
    }
    return RT_OK;
}

int rt_ip_snapshot_build(rt_ip_state *st, rt_ip_settings *s, rt_ip_problem_fn fn, void *ctx,
                         rt_ip_snapshot **out)
{
    int rc = RT_ENOMEM;
    rt_ip_snapshot *snap = NULL;
    if (!st || !s || !out) {
        rt_ip_settings_free(s);
        return RT_EINVAL;
    }
    *out = NULL;
    if (!(snap = calloc(1, sizeof *snap)))
        goto done;
    memcpy(snap->mode, s->mode, sizeof snap->mode);
    memcpy(snap->conflict, s->conflict, sizeof snap->conflict);
    memcpy(snap->iid_key, s->iid_key, sizeof snap->iid_key);
    snap->digest = s->digest;
    for (int f = 0; f < 2; f++) { /* the maps move into the snapshot */
        snap->map[f] = s->map[f];
        s->map[f] = NULL;
        if ((rc = rt_ipmap_finish(snap->map[f])) != RT_OK)
            goto done;
    }
    reading r4 = {"Ipv4Static", fn, ctx, 0}, r6 = {"Ipv6Static", fn, ctx, 0};
    reading rk = {"Ipv6IidKey", fn, ctx, 0};
    if ((rc = build_static4(st, snap, &r4)) != RT_OK || (rc = build_pool(st, s, snap)) != RT_OK ||
        (rc = build_static6(snap, &r6)) != RT_OK) {
        if (rc == RT_ENOSPC) {
            reading rp = {"Ipv4Pools", fn, ctx, 0};
            problem_text(&rp, "", "more IPv4 addresses than rastap can lease: pools and static "
                                  "addresses of every configuration since the service started "
                                  "may span at most 4 194 304 addresses");
        }
        goto done;
    }
    if (snap->mode[RT_IP_V6] == RT_IP_ASSIGN && !s->has_key)
        problem_text(&rk, "", "Ipv6Mode is assign but no key for stable identifiers was set");
    rc = s->problems + r4.problems + r6.problems + rk.problems ? RT_EINVAL : RT_OK;
done:
    rt_ip_settings_free(s);
    if (rc != RT_OK) {
        rt_ip_snapshot_free(snap);
        return rc;
    }
    *out = snap;
    return RT_OK;
}

void rt_ip_snapshot_free(rt_ip_snapshot *snap)
{
    if (!snap)
        return;
    rt_ipmap_free(snap->map[0]);
    rt_ipmap_free(snap->map[1]);
    rt_ippool_free(snap->pool);
    free(snap->static4);
    free(snap->static6);
    free(snap);
}

rt_ip_mode rt_ip_snapshot_mode(const rt_ip_snapshot *snap, int family)
{
    if (!snap || (family != RT_IP_V4 && family != RT_IP_V6))
        return RT_IP_OFF;
    return (rt_ip_mode)snap->mode[family];
}

uint64_t rt_ip_snapshot_digest(const rt_ip_snapshot *snap)
{
    return snap ? snap->digest : 0;
}

static bool is_static4(const rt_ip_snapshot *snap, uint32_t addr)
{
    return snap->nstatic4 &&
           bsearch(&addr, snap->static4, snap->nstatic4, sizeof addr, cmp_u32) != NULL;
}

static bool is_static6(const rt_ip_snapshot *snap, uint64_t iid)
{
    return snap->nstatic6 &&
           bsearch(&iid, snap->static6, snap->nstatic6, sizeof iid, cmp_u64) != NULL;
}

typedef struct outside {
    const rt_ip_snapshot *snap;
    uint64_t live, outside;
} outside;

static void count_outside(void *ctx, uint32_t addr)
{
    outside *o = ctx;
    o->live++;
    if (!o->snap || (!rt_ippool_contains(o->snap->pool, addr) && !is_static4(o->snap, addr)))
        o->outside++;
}

void rt_ip_summarize(const rt_ip_state *st, const rt_ip_snapshot *snap, rt_ip_summary *out)
{
    memset(out, 0, sizeof *out);
    if (snap) {
        memcpy(out->mode, snap->mode, sizeof out->mode);
        out->v4_pool = rt_ippool_size(snap->pool);
        out->v4_static = snap->nstatic4;
        out->v6_static = snap->nstatic6;
    }
    if (st) {
        outside o = {snap, 0, 0};
        rt_ippool_each_live(st->dir, count_outside, &o);
        out->v4_live = o.live;
        out->v4_live_outside = o.outside;
        out->v6_live = rt_iid_set_live(st->iids);
    }
}

/* ------------------------------------------------------- callout side */

/* Longest name taken into account, in units (longer input is cut, the same
 * way on assign and release, so they still agree). */
enum { NAME_MAX_UNITS = RT_IPMAP_NAME_MAX };

/*
 * The session asking, as the decisions use it: the user name folded once,
 * for the static map and the holder hash alike. buf holds the holder
 * hash's input: the user's length in units, the folded user, the port as
 * given. The length first makes the split between user and port
 * unambiguous whatever units the names contain.
 */
typedef struct caller {
    rt_wchar buf[1 + 2 * NAME_MAX_UNITS];
    size_t user_len; /* folded units at buf + 1 */
    size_t n;        /* units of buf in use */
} caller;

static void caller_init(caller *c, const rt_ip_who *who)
{
    size_t ul = who->user ? (who->user_len < NAME_MAX_UNITS ? who->user_len : NAME_MAX_UNITS) : 0;
    size_t pl = who->port ? (who->port_len < NAME_MAX_UNITS ? who->port_len : NAME_MAX_UNITS) : 0;
    c->buf[0] = (rt_wchar)ul;
    rt_ipmap_fold(who->user, ul, c->buf + 1);
    for (size_t i = 0; i < pl; i++) /* a loop, not memcpy: ports are short */
        c->buf[1 + ul + i] = who->port[i];
    c->user_len = ul;
    c->n = 1 + ul + pl;
}

/* The user prepared for the static map m; a name longer than any entry
 * can be matches nothing (the buffer holds only its first units). */
static void caller_key(const caller *c, const rt_ip_who *who, const rt_ipmap *m, rt_ipmap_key *k)
{
    rt_ipmap_key_prepare(k, m, c->buf + 1, who->user_len > NAME_MAX_UNITS ? 0 : c->user_len);
}

/* The session's identity: SipHash of the caller's buffer under the
 * process's secret. It never leaves the process, so hashing the units in
 * host byte order is fine. */
static uint64_t identity(const rt_ip_state *st, const caller *c)
{
    return rt_siphash24(st->holder_key, c->buf, c->n * sizeof c->buf[0]);
}

static uint8_t source_of(uint64_t holder)
{
    return rt_holder_tag(holder) == RT_HOLDER_STATIC ? RT_SRC_STATIC : RT_SRC_POOL;
}

static void refuse(rt_ip_state *st, rt_ip_outcome *out, int why)
{
    out->ipv4 = 0;
    out->iid = 0;
    out->source = RT_SRC_RAS;
    out->result = why;
    out->notify = false;
    out->replaced = true;
    count(st, why == RT_EBUSY ? RT_IPC_REFUSED_CONFLICT : RT_IPC_REFUSED_EXHAUSTED);
}

static void given(rt_ip_state *st, rt_ip_outcome *out, uint8_t source)
{
    out->source = source;
    out->result = RT_OK;
    count(st, source == RT_SRC_STATIC ? RT_IPC_ASSIGNED_STATIC : RT_IPC_ASSIGNED_POOL);
}

static const rt_ip_who no_one = {NULL, 0, NULL, 0};

void rt_ip_assign_v4(rt_ip_state *st, const rt_ip_snapshot *snap, const rt_ip_who *who,
                     uint32_t offered, rt_ip_outcome *out)
{
    *out = (rt_ip_outcome){.ipv4 = offered, .source = RT_SRC_RAS, .notify = true};
    if (!st || rt_ip_snapshot_mode(snap, RT_IP_V4) != RT_IP_ASSIGN)
        return; /* off / observe: RAS's proposal stands */
    who = who ? who : &no_one;
    caller c;
    rt_ipmap_key k;
    uint64_t addr;
    caller_init(&c, who);
    caller_key(&c, who, snap->map[RT_IP_V4], &k);
    /* The likely static address is known from the map's slots: start
     * loading its lease words now, so that they, the map's record and the
     * holder hash's arithmetic overlap instead of following each other. */
    bool maybe = rt_ipmap_peek(snap->map[RT_IP_V4], &k, &addr);
    if (maybe)
        rt_ippool_prefetch(st->dir, (uint32_t)addr);
    uint64_t id = identity(st, &c);
    /* No fingerprint matched: the lookup would find nothing (ipmap.h). */
    int found = maybe ? rt_ipmap_lookup_key(snap->map[RT_IP_V4], &k, &addr) : RT_IPMAP_NONE;
    if (found != RT_IPMAP_NONE) {
        if (rt_ippool_claim_mpmc(st->dir, (uint32_t)addr, rt_holder_make(id, RT_HOLDER_STATIC)) ==
            RT_OK) {
            out->ipv4 = (uint32_t)addr;
            out->replaced = out->ipv4 != offered;
            given(st, out, RT_SRC_STATIC);
            return;
        }
        if (snap->conflict[RT_IP_V4] == RT_IP_CONFLICT_REFUSE) {
            refuse(st, out, RT_EBUSY);
            return;
        }
        count(st, RT_IPC_STATIC_FELL_BACK);
    }
    if (rt_ippool_size(snap->pool) == 0) { /* no pool: RAS's proposal, if any */
        if (offered == 0)
            refuse(st, out, RT_EEXHAUSTED);
        else
            count(st, RT_IPC_KEPT_RAS);
        return;
    }
    uint32_t a;
    if (rt_ippool_alloc_mpmc(snap->pool, rt_holder_make(id, RT_HOLDER_POOL), &a) != RT_OK) {
        refuse(st, out, RT_EEXHAUSTED);
        return;
    }
    out->ipv4 = a;
    out->replaced = a != offered;
    given(st, out, RT_SRC_POOL);
}

int rt_ip_release_v4(rt_ip_state *st, const rt_ip_who *who, uint32_t addr, uint8_t *source)
{
    uint64_t was = 0;
    caller c;
    if (source)
        *source = RT_SRC_RAS;
    if (!st)
        return RT_ENOENT;
    int rc = RT_EINVAL;
    if (addr != 0) {
        rt_ippool_prefetch(st->dir, addr); /* arrives while the holder hash is computed */
        caller_init(&c, who ? who : &no_one);
        rc = rt_ippool_release_mpmc(st->dir, addr, rt_holder_make(identity(st, &c), 0), &was);
    }
    count(st, rc == RT_OK ? RT_IPC_RELEASED : RT_IPC_RELEASE_IGNORED);
    if (rc == RT_OK && source)
        *source = source_of(was);
    return rc;
}

void rt_ip_assign_v6(rt_ip_state *st, const rt_ip_snapshot *snap, const rt_ip_who *who,
                     uint64_t offered, rt_ip_outcome *out)
{
    *out = (rt_ip_outcome){.iid = offered, .source = RT_SRC_RAS, .notify = true};
    if (!st || rt_ip_snapshot_mode(snap, RT_IP_V6) != RT_IP_ASSIGN)
        return;
    who = who ? who : &no_one;
    caller c;
    rt_ipmap_key k;
    uint64_t iid;
    caller_init(&c, who);
    caller_key(&c, who, snap->map[RT_IP_V6], &k);
    int found = rt_ipmap_lookup_key(snap->map[RT_IP_V6], &k, &iid);
    uint64_t id = identity(st, &c);
    if (found != RT_IPMAP_NONE) {
        if (rt_iid_set_claim_mpmc(st->iids, iid, rt_holder_make(id, RT_HOLDER_STATIC)) == RT_OK) {
            out->iid = iid;
            out->replaced = iid != offered;
            given(st, out, RT_SRC_STATIC);
            return;
        }
        if (snap->conflict[RT_IP_V6] == RT_IP_CONFLICT_REFUSE) {
            refuse(st, out, RT_EBUSY);
            return;
        }
        count(st, RT_IPC_STATIC_FELL_BACK);
    }
    for (uint32_t n = 0; n < RT_IID_ATTEMPTS; n++) {
        iid = rt_iid_stable(snap->iid_key, c.buf + 1, c.user_len, n);
        if (iid == 0 || is_static6(snap, iid))
            continue;
        if (rt_iid_set_claim_mpmc(st->iids, iid, rt_holder_make(id, RT_HOLDER_GENERATED)) ==
            RT_OK) {
            out->iid = iid;
            out->replaced = iid != offered;
            given(st, out, RT_SRC_POOL);
            return;
        }
    }
    refuse(st, out, RT_EEXHAUSTED);
}

int rt_ip_release_v6(rt_ip_state *st, const rt_ip_who *who, uint64_t iid, uint8_t *source)
{
    uint64_t was = 0;
    caller c;
    if (source)
        *source = RT_SRC_RAS;
    if (!st)
        return RT_ENOENT;
    int rc = RT_EINVAL;
    if (iid != 0) {
        caller_init(&c, who ? who : &no_one);
        rc = rt_iid_set_release_mpmc(st->iids, iid, rt_holder_make(identity(st, &c), 0), &was);
    }
    count(st, rc == RT_OK ? RT_IPC_RELEASED : RT_IPC_RELEASE_IGNORED);
    if (rc == RT_OK && source)
        *source = source_of(was);
    return rc;
}
