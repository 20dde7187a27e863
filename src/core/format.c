/*
 * format.c - rt_event to JSON Lines / CSV records.
 *
 * One set of functions decides which fields a record has and what their
 * values are (put_common, put_conn, put_link, put_ip, put_meta); an
 * "emitter" then either writes each field at once as JSON (`,"key":value`,
 * in the order the put_* calls make) or parks it in its CSV column and
 * writes the row at the end. So JSON and CSV cannot disagree about a value.
 *
 * Text the formatter makes itself (names, numbers, addresses, times) is
 * ASCII without anything to escape and is written as is; text from outside
 * (RAS strings, host, configuration) goes through json.c / csv.c.
 * Formatted addresses and times live in the emitter's scratch area until
 * the record is written, because CSV writes them only at the end.
 */
#include "format.h"

#include "csv.h"
#include "error.h"
#include "json.h"
#include "netfmt.h"
#include "utf.h"

#define STRINGIFY_(x) #x
#define STRINGIFY(x) STRINGIFY_(x)

/* CSV columns in header order: the schema's, then ours (format.h). */
#define COLUMNS(X)                                                              \
    X(C_V, "v") X(C_SEQ, "seq") X(C_INSTANCE, "instance") X(C_TIME, "time")     \
    X(C_HOST, "host") X(C_PID, "pid") X(C_EVENT, "event")                       \
    X(C_CALLOUT, "callout") X(C_CONNECTION, "connection") X(C_USER, "user")     \
    X(C_DOMAIN, "domain") X(C_INTERFACE, "interface")                           \
    X(C_REMOTE_COMPUTER, "remote_computer") X(C_DURATION, "duration_s")         \
    X(C_BYTES_IN, "bytes_in") X(C_BYTES_OUT, "bytes_out")                       \
    X(C_CLIENT_IPV4, "client_ipv4") X(C_CLIENT_IPV6, "client_ipv6")             \
    X(C_TUNNEL, "tunnel") X(C_AUTH, "auth") X(C_PORT, "port") X(C_IPV4, "ipv4") \
    X(C_DECISION, "decision") X(C_REASON, "reason")                             \
    X(C_GUID, "guid") X(C_IPV6, "ipv6") X(C_RESULT, "result") X(C_COUNT, "count")

enum column {
#define COLUMN_ENUM(id, name) id,
    COLUMNS(COLUMN_ENUM)
#undef COLUMN_ENUM
    C_COUNT_,
    NO_COL = C_COUNT_
};

/* Record fields: id, JSON name, CSV column. */
#define FIELDS(X)                                                                          \
    X(F_SEQ, "seq", C_SEQ) X(F_INSTANCE, "instance", C_INSTANCE) X(F_TIME, "time", C_TIME) \
    X(F_HOST, "host", C_HOST) X(F_PID, "pid", C_PID) X(F_EVENT, "event", C_EVENT)          \
    X(F_CALLOUT, "callout", C_CALLOUT) X(F_CONNECTION, "connection", C_CONNECTION)         \
    X(F_GUID, "guid", C_GUID) X(F_USER, "user", C_USER) X(F_DOMAIN, "domain", C_DOMAIN)    \
    X(F_INTERFACE, "interface", C_INTERFACE)                                               \
    X(F_REMOTE_COMPUTER, "remote_computer", C_REMOTE_COMPUTER)                             \
    X(F_INTERFACE_TYPE, "interface_type", NO_COL) X(F_PORT, "port", C_PORT)                \
    X(F_MEDIA, "media", NO_COL) X(F_DEVICE, "device", NO_COL)                              \
    X(F_DEVICE_TYPE, "device_type", NO_COL) X(F_LINE_SPEED, "line_speed", NO_COL)          \
    X(F_DURATION, "duration_s", C_DURATION) X(F_BYTES_IN, "bytes_in", C_BYTES_IN)          \
    X(F_BYTES_OUT, "bytes_out", C_BYTES_OUT) X(F_FRAMES_IN, "frames_in", NO_COL)           \
    X(F_FRAMES_OUT, "frames_out", NO_COL) X(F_ERRORS, "errors", NO_COL)                    \
    X(F_CLIENT_IPV4, "client_ipv4", C_CLIENT_IPV4)                                         \
    X(F_SERVER_IPV4, "server_ipv4", NO_COL) X(F_CLIENT_IPV6, "client_ipv6", C_CLIENT_IPV6) \
    X(F_ENDPOINT_REMOTE, "endpoint_remote", NO_COL)                                        \
    X(F_ENDPOINT_LOCAL, "endpoint_local", NO_COL) X(F_TUNNEL, "tunnel", C_TUNNEL)          \
    X(F_AUTH, "auth", C_AUTH) X(F_EAP_TYPE, "eap_type", NO_COL)                            \
    X(F_QUARANTINE, "quarantine", NO_COL) X(F_IPV4, "ipv4", C_IPV4)                        \
    X(F_IPV4_OFFERED, "ipv4_offered", NO_COL) X(F_IPV6, "ipv6", C_IPV6)                    \
    X(F_IPV6_IID, "ipv6_iid", NO_COL) X(F_SOURCE, "source", NO_COL)                        \
    X(F_NOTIFY_RELEASE, "notify_release", NO_COL) X(F_RESULT, "result", C_RESULT)          \
    X(F_DECISION, "decision", C_DECISION) X(F_REASON, "reason", C_REASON)                  \
    X(F_MODE, "mode", NO_COL) X(F_VERSION, "version", NO_COL)                              \
    X(F_EVENTS_TOTAL, "events_total", NO_COL)                                              \
    X(F_EVENTS_DROPPED, "events_dropped", NO_COL) X(F_COUNT, "count", C_COUNT)             \
    X(F_GENERATION, "generation", NO_COL) X(F_KEY, "key", NO_COL)                          \
    X(F_VALUE, "value", NO_COL) X(F_IPV4_LEASES, "ipv4_leases", NO_COL)                    \
    X(F_IPV4_LEASES_OUTSIDE, "ipv4_leases_outside", NO_COL)                                \
    X(F_IPV6_LEASES, "ipv6_leases", NO_COL)

enum field {
#define FIELD_ENUM(id, name, col) id,
    FIELDS(FIELD_ENUM)
#undef FIELD_ENUM
    F_COUNT_
};

/*
 * `,"name":` per field, padded to KEY_PAD bytes: the JSON writer copies a
 * key with one fixed-size memcpy, which compiles to a few moves instead of
 * a library call, and then advances by the real length n.
 */
#define KEY_PAD 24

struct key {
    char s[KEY_PAD];
    unsigned char n;
};

static const struct {
    struct key key;
    unsigned char col;
} fields[F_COUNT_] = {
#define FIELD_ROW(id, name, col) {{",\"" name "\":", sizeof(",\"" name "\":") - 1}, col},
    FIELDS(FIELD_ROW)
#undef FIELD_ROW
};

static const char *const column_names[C_COUNT_] = {
#define COLUMN_NAME(id, name) name,
    COLUMNS(COLUMN_NAME)
#undef COLUMN_NAME
};

/* How a CSV cell's value is held until the row is written. */
enum vtype { V_NONE, V_U64, V_BOOL, V_TEXT, V_UTF8, V_UTF16 };

struct value {
    unsigned char type;
    size_t n; /* V_TEXT: length; V_UTF8 / V_UTF16: bound */
    union {
        uint64_t u;
        const char *s;
        const rt_wchar *w;
    } as;
};

/*
 * Scratch needs per record, at most: connection records 159 (time 28,
 * handle 19, guid 39, client_ipv6 46, coded reason 27), address records 120
 * (time, ipv6 46, iid 20, coded result 26). Twice that leaves slack for a
 * field or two more; scratch() itself does not check.
 */
#define SCRATCH_MAX 320

struct emitter {
    rt_buf *b;
    bool csv, defuse;
    uint32_t set; /* CSV: bit c = column c has a value */
    size_t used;
    char scratch[SCRATCH_MAX];
    struct value col[C_COUNT_];
};
_Static_assert(C_COUNT_ <= 32, "one bit of emitter.set per CSV column");

/* Room for n bytes of record text in the scratch area. */
static char *scratch(struct emitter *e, size_t n)
{
    char *p = e->scratch + e->used;
    e->used += n;
    return p;
}

/* CSV: keeps v for f's column, if it has one, until the row is written. */
static void park(struct emitter *e, enum field f, uint8_t type, size_t n, uint64_t u,
                 const void *ptr)
{
    unsigned c = fields[f].col;
    struct value *v = &e->col[c];
    if (c == NO_COL)
        return;
    v->type = type;
    v->n = n;
    if (type == V_U64 || type == V_BOOL)
        v->as.u = u;
    else if (type == V_UTF16)
        v->as.w = ptr;
    else
        v->as.s = ptr;
    e->set |= 1u << c;
}

/*
 * JSON: appends key k, then returns where `need` more bytes can go, or NULL
 * when fewer than KEY_PAD + need bytes are free; then nothing is written
 * and the caller takes the exact, checked path.
 */
static char *fast_key(rt_buf *b, const struct key *k, size_t need)
{
    char *p;
    if (rt_buf_room(b) < KEY_PAD + need)
        return NULL;
    p = b->p + b->len;
    memcpy(p, k->s, KEY_PAD); /* within cap: room >= KEY_PAD */
    return p + k->n;
}

static void json_u64(rt_buf *b, const struct key *k, uint64_t u)
{
    char *p = fast_key(b, k, RT_U64_DIGITS);
    if (p != NULL) {
        b->len = (size_t)(p - b->p) + rt_u64_to_dec(u, p);
        return;
    }
    rt_buf_put(b, k->s, k->n);
    rt_buf_u64(b, u);
}

static void json_key(rt_buf *b, const struct key *k)
{
    char *p = fast_key(b, k, 0);
    if (p != NULL)
        b->len = (size_t)(p - b->p);
    else
        rt_buf_put(b, k->s, k->n);
}

static void put_u64(struct emitter *e, enum field f, uint64_t u)
{
    if (e->csv)
        park(e, f, V_U64, 0, u, NULL);
    else
        json_u64(e->b, &fields[f].key, u);
}

static void put_bool(struct emitter *e, enum field f, bool v)
{
    if (e->csv) {
        park(e, f, V_BOOL, 0, v, NULL);
        return;
    }
    json_key(e->b, &fields[f].key);
    rt_json_bool(e->b, v);
}

/* Our own ASCII text s[0..n), nothing to escape. */
static void put_text(struct emitter *e, enum field f, const char *s, size_t n)
{
    char *p;
    if (e->csv) {
        park(e, f, V_TEXT, n, 0, s);
        return;
    }
    if ((p = fast_key(e->b, &fields[f].key, n + 2)) != NULL) {
        *p++ = '"';
        rt_copy(p, s, n);
        p[n] = '"';
        e->b->len = (size_t)(p + n + 1 - e->b->p);
        return;
    }
    rt_buf_put(e->b, fields[f].key.s, fields[f].key.n);
    rt_buf_putc(e->b, '"');
    rt_buf_put(e->b, s, n);
    rt_buf_putc(e->b, '"');
}

static void put_name(struct emitter *e, enum field f, const char *name)
{
    put_text(e, f, name, strlen(name));
}

/* Foreign UTF-8 text, bounded; absent when NULL or empty. */
static void put_utf8(struct emitter *e, enum field f, const char *s, size_t max)
{
    if (s == NULL || max == 0 || s[0] == '\0')
        return;
    if (e->csv) {
        park(e, f, V_UTF8, max, 0, s);
        return;
    }
    json_key(e->b, &fields[f].key);
    rt_json_strz(e->b, s, max);
}

/* A RAS string array; absent when empty. */
static void put_utf16(struct emitter *e, enum field f, const rt_wchar *s, size_t max)
{
    if (max == 0 || s[0] == 0)
        return;
    if (e->csv) {
        park(e, f, V_UTF16, max, 0, s);
        return;
    }
    json_key(e->b, &fields[f].key);
    rt_json_str_utf16(e->b, s, max);
}

#define PUT_ARRAY(e, f, arr) put_utf16((e), (f), (arr), sizeof(arr) / sizeof((arr)[0]))

static void put_handle(struct emitter *e, enum field f, uint64_t h)
{
    char *s = scratch(e, RT_HANDLE_TEXT_MAX);
    put_text(e, f, s, rt_netfmt_handle(h, s));
}

static void put_ipv4(struct emitter *e, enum field f, uint32_t ras_dword)
{
    char *s = scratch(e, RT_IPV4_TEXT_MAX);
    put_text(e, f, s, rt_netfmt_ipv4(ras_dword, s));
}

static void put_ipv6(struct emitter *e, enum field f, const uint8_t a[16])
{
    char *s = scratch(e, RT_IPV6_TEXT_MAX);
    put_text(e, f, s, rt_netfmt_ipv6(a, s));
}

/* A name from a table, or the number when the table has none. */
static void put_enum(struct emitter *e, enum field f, const char *const *names, size_t count,
                     uint32_t v)
{
    if (v < count && names[v] != NULL)
        put_name(e, f, names[v]);
    else
        put_u64(e, f, v);
}

/* "<prefix><n>" for codes without a name, e.g. "win32_1234". */
static void put_coded(struct emitter *e, enum field f, const char *prefix, size_t plen,
                      uint32_t n)
{
    char *s = scratch(e, plen + RT_U64_DIGITS);
    memcpy(s, prefix, plen);
    put_text(e, f, s, plen + rt_u64_to_dec(n, s + plen));
}

static bool put_common(struct emitter *e, const rt_format_ctx *c, const rt_record *r)
{
    const char *event = rt_kind_name(r->ev->kind);
    const char *callout = rt_callout_name(r->ev->callout);
    char *t;

    if (event == NULL || (callout == NULL && r->ev->callout != RT_CO_NONE))
        return false;
    if (e->csv) {
        struct value v = {V_U64, 0, {.u = RT_SCHEMA_VERSION}};
        e->col[C_V] = v; /* no field of its own: JSON writes it with the brace */
        e->set |= 1u << C_V;
    } else {
        RT_BUF_LIT(e->b, "{\"v\":" STRINGIFY(RT_SCHEMA_VERSION));
    }
    put_u64(e, F_SEQ, r->seq);
    put_utf8(e, F_INSTANCE, c->instance, sizeof c->instance);
    t = scratch(e, RT_TIME_TEXT_MAX);
    put_text(e, F_TIME, t, rt_netfmt_time(r->time_us, t));
    put_utf8(e, F_HOST, c->host, sizeof c->host);
    put_u64(e, F_PID, c->pid);
    put_name(e, F_EVENT, event);
    if (callout != NULL)
        put_name(e, F_CALLOUT, callout);
    return true;
}

/* The `errors` object's members, the first one opening it. */
#define KEY(lit) {lit, sizeof(lit) - 1}
static const struct key error_keys[6] = {
    KEY("{\"crc\":"),         KEY(",\"timeout\":"), KEY(",\"alignment\":"),
    KEY(",\"hw_overrun\":"), KEY(",\"framing\":"), KEY(",\"buffer_overrun\":"),
};
#undef KEY

static void put_counters(struct emitter *e, const rt_counters *k, uint32_t has, bool stop)
{
    if (has & RT_HAS_COUNTERS) {
        put_u64(e, F_BYTES_IN, k->bytes_in);
        put_u64(e, F_BYTES_OUT, k->bytes_out);
        put_u64(e, F_FRAMES_IN, k->frames_in);
        put_u64(e, F_FRAMES_OUT, k->frames_out);
    }
    if ((has & RT_HAS_ERRORS) && stop && !e->csv) { /* no CSV column */
        const uint32_t errors[6] = {k->crc,        k->timeout, k->alignment,
                                    k->hw_overrun, k->framing, k->buffer_overrun};
        json_key(e->b, &fields[F_ERRORS].key);
        for (int i = 0; i < 6; i++)
            json_u64(e->b, &error_keys[i], errors[i]);
        rt_buf_putc(e->b, '}');
    }
}

static void put_decision(struct emitter *e, const rt_event *ev)
{
    if (!(ev->has & RT_HAS_DECISION))
        return;
    put_name(e, F_DECISION, ev->decision ? "accept" : "reject");
    if (ev->decision || ev->reason == RT_REASON_NONE)
        return;
    if (ev->reason == RT_REASON_POLICY)
        put_name(e, F_REASON, "policy");
    else
        put_coded(e, F_REASON, "reason_", 7, ev->reason);
}

/* ---------------------------------------------------------- connections */

static const char *const interface_types[] = {
    "client", "home_router", "full_router", "dedicated", "internal", "loopback",
};
static const char *const quarantine_states[] = {
    "normal", "quarantined", "probation", "not_capable",
};

/* PPP LCP authentication protocol, or IKEv2's (1 certificate, 2 EAP). */
static const char *auth_name(const rt_ev_conn *c)
{
    if (c->projection == RT_PROJ_IKEV2)
        return c->auth_proto == 1 ? "cert" : c->auth_proto == 2 ? "eap" : NULL;
    switch (c->auth_proto) {
    case 0xC023: return "pap";
    case 0xC027: return "spap";
    case 0xC227: return "eap";
    case 0xC223: /* CHAP: the algorithm says which */
        return c->auth_data == 0x80 ? "mschap" : c->auth_data == 0x81 ? "mschapv2" : "chap";
    default: return NULL;
    }
}

/* Tunnel: a link's device type if we saw one, else what RAS tells us. */
static void put_tunnel(struct emitter *e, const rt_record *r)
{
    const rt_ev_conn *c = &r->ev->u.conn;
    uint32_t has = r->ev->has;
    const char *t = NULL;

    if (r->tunnel_hint != NULL) {
        put_utf8(e, F_TUNNEL, r->tunnel_hint, 16);
        return;
    }
    if ((has & RT_HAS_PROJECTION) && c->projection == RT_PROJ_IKEV2)
        t = "ikev2";
    else if ((has & RT_HAS_PROJECTION) && c->projection == RT_PROJ_PPP)
        t = "ppp";
    else if ((has & RT_HAS_FLAGS) && (c->flags & 0x10)) /* RAS_FLAGS_IKEV2_CONNECTION */
        t = "ikev2";
    else if ((has & RT_HAS_FLAGS) && (c->flags & 0x1)) /* RAS_FLAGS_PPP_CONNECTION */
        t = "ppp";
    if (t != NULL)
        put_name(e, F_TUNNEL, t);
}

/* Client IPv6: the first prefix_len bits of the prefix, then the remote IID. */
static void put_client_ipv6(struct emitter *e, const rt_ev_conn *c)
{
    static const uint8_t zero[16];
    uint8_t a[16] = {0};
    unsigned bits = c->ipv6_prefix_len < 64 ? c->ipv6_prefix_len : 64;

    memcpy(a, c->ipv6_prefix, bits / 8);
    if (bits % 8)
        a[bits / 8] = (uint8_t)(c->ipv6_prefix[bits / 8] & (0xFF00u >> (bits % 8)));
    memcpy(a + 8, c->ipv6_remote_iid, 8);
    if (memcmp(a, zero, sizeof a) != 0) /* "::" would say nothing */
        put_ipv6(e, F_CLIENT_IPV6, a);
}

static void put_conn(struct emitter *e, const rt_record *r)
{
    const rt_event *ev = r->ev;
    const rt_ev_conn *c = &ev->u.conn;
    const char *auth;
    char *g;

    if (ev->has & RT_HAS_HANDLE)
        put_handle(e, F_CONNECTION, c->handle);
    if (ev->has & RT_HAS_GUID) {
        g = scratch(e, RT_GUID_TEXT_MAX);
        put_text(e, F_GUID, g, rt_netfmt_guid(c->guid, g));
    }
    if (ev->has & RT_HAS_USER) {
        PUT_ARRAY(e, F_USER, c->user);
        PUT_ARRAY(e, F_DOMAIN, c->domain);
        PUT_ARRAY(e, F_INTERFACE, c->interface_name);
        PUT_ARRAY(e, F_REMOTE_COMPUTER, c->remote_computer);
    }
    if (ev->has & RT_HAS_IFTYPE)
        put_enum(e, F_INTERFACE_TYPE, interface_types, 6, c->interface_type);
    if (ev->has & RT_HAS_DURATION)
        put_u64(e, F_DURATION, c->duration_s);
    put_counters(e, &c->ctr, ev->has, ev->kind == RT_EV_CONN_STOP);
    if (ev->has & RT_HAS_IPV4) {
        PUT_ARRAY(e, F_CLIENT_IPV4, c->client_ipv4);
        PUT_ARRAY(e, F_SERVER_IPV4, c->server_ipv4);
    }
    if (ev->has & RT_HAS_IPV6)
        put_client_ipv6(e, c);
    if (ev->has & RT_HAS_ENDPOINTS) {
        PUT_ARRAY(e, F_ENDPOINT_REMOTE, c->endpoint_remote);
        PUT_ARRAY(e, F_ENDPOINT_LOCAL, c->endpoint_local);
    }
    put_tunnel(e, r);
    if (ev->has & RT_HAS_PROJECTION) {
        if ((auth = auth_name(c)) != NULL)
            put_name(e, F_AUTH, auth);
        if (c->eap_type != 0)
            put_u64(e, F_EAP_TYPE, c->eap_type);
    }
    if (ev->has & RT_HAS_QUARANTINE)
        put_enum(e, F_QUARANTINE, quarantine_states, 4, c->quarantine);
    put_decision(e, ev);
}

/* ---------------------------------------------------------- links */

static void put_link(struct emitter *e, const rt_event *ev)
{
    const rt_ev_link *l = &ev->u.link;
    const char *tunnel;

    if (ev->has & RT_HAS_HANDLE)
        put_handle(e, F_CONNECTION, l->handle);
    if (ev->has & RT_HAS_PORT_INFO) {
        PUT_ARRAY(e, F_PORT, l->port);
        PUT_ARRAY(e, F_MEDIA, l->media);
        PUT_ARRAY(e, F_DEVICE, l->device);
        PUT_ARRAY(e, F_DEVICE_TYPE, l->device_type);
        tunnel = rt_tunnel_from_device_type(l->device_type, RT_LEN_DEVICE_TYPE, l->device,
                                            RT_LEN_DEVICE);
        if (tunnel != NULL)
            put_name(e, F_TUNNEL, tunnel);
    }
    if (ev->has & RT_HAS_LINE_SPEED)
        put_u64(e, F_LINE_SPEED, l->line_speed);
    if (ev->has & RT_HAS_DURATION)
        put_u64(e, F_DURATION, l->duration_s);
    put_counters(e, &l->ctr, ev->has, ev->kind == RT_EV_LINK_STOP);
    put_decision(e, ev);
}

/* ---------------------------------------------------------- addresses */

static const char *const address_sources[] = {"ras", "static", "pool"};

/* Win32 codes an address callout plausibly returns, by winerror.h name. */
static const struct {
    int32_t code;
    const char *name;
} win32_names[] = {
    {5, "access_denied"},        {8, "not_enough_memory"}, {14, "outofmemory"},
    {31, "gen_failure"},         {50, "not_supported"},    {87, "invalid_parameter"},
    {120, "call_not_implemented"}, {122, "insufficient_buffer"}, {1168, "not_found"},
    {1460, "timeout"},           {1627, "function_failed"},
};

/* "ok", our name for a negative RT_E* code, a Win32 name, or "win32_<n>". */
static void put_result(struct emitter *e, int32_t code)
{
    const char *name = NULL;

    if (code == 0) {
        name = "ok";
    } else if (code < 0) {
        name = rt_error_name(code);
        if (strcmp(name, "unknown_error") == 0)
            name = NULL;
    } else {
        for (size_t i = 0; i < sizeof win32_names / sizeof win32_names[0]; i++)
            if (win32_names[i].code == code)
                name = win32_names[i].name;
    }
    if (name != NULL)
        put_name(e, F_RESULT, name);
    else
        put_coded(e, F_RESULT, "win32_", 6, (uint32_t)code);
}

static void put_ip(struct emitter *e, const rt_event *ev)
{
    const rt_ev_ip *p = &ev->u.ip;
    bool v6 = ev->kind == RT_EV_IPV6_ASSIGN || ev->kind == RT_EV_IPV6_RELEASE;
    char *s;

    if (p->has_user)
        PUT_ARRAY(e, F_USER, p->user);
    if (p->has_port)
        PUT_ARRAY(e, F_PORT, p->port);
    if (!v6 && p->has_ipv4)
        put_ipv4(e, F_IPV4, p->ipv4);
    /* RAS's proposal also when nothing was handed back (a refusal) */
    if (!v6 && p->ipv4_offered != 0)
        put_ipv4(e, F_IPV4_OFFERED, p->ipv4_offered);
    if (v6 && p->has_ipv6) {
        put_ipv6(e, F_IPV6, p->ipv6);
        s = scratch(e, RT_IID_TEXT_MAX);
        put_text(e, F_IPV6_IID, s, rt_netfmt_iid(p->ipv6 + 8, s));
    }
    put_enum(e, F_SOURCE, address_sources, 3, p->source);
    if (ev->kind == RT_EV_IP_ASSIGN || ev->kind == RT_EV_IPV6_ASSIGN)
        put_bool(e, F_NOTIFY_RELEASE, p->notify_release != 0);
    /* a release says whether it freed a lease (ok) or was ignored, and why */
    put_result(e, p->result);
}

/* ---------------------------------------------------------- DLL's own */

static void put_meta(struct emitter *e, const rt_format_ctx *c, const rt_event *ev)
{
    const rt_ev_meta *m = &ev->u.meta;

    switch (ev->kind) {
    case RT_EV_SERVICE_START:
        put_name(e, F_MODE, m->mode ? "ex" : "legacy");
        put_utf8(e, F_VERSION, c->version, RT_FORMAT_VERSION_MAX);
        break;
    case RT_EV_SERVICE_STOP:
        put_u64(e, F_EVENTS_TOTAL, m->a);
        put_u64(e, F_EVENTS_DROPPED, m->b);
        break;
    case RT_EV_EVENTS_DROPPED:
        put_u64(e, F_COUNT, m->a);
        put_utf8(e, F_REASON, m->reason, sizeof m->reason);
        break;
    case RT_EV_CONFIG_APPLIED:
        put_u64(e, F_GENERATION, m->a);
        if (m->has_leases) {
            put_u64(e, F_IPV4_LEASES, m->ipv4_leases);
            put_u64(e, F_IPV4_LEASES_OUTSIDE, m->ipv4_leases_outside);
            put_u64(e, F_IPV6_LEASES, m->ipv6_leases);
        }
        break;
    case RT_EV_CONFIG_ERROR:
        put_u64(e, F_GENERATION, m->a);
        put_utf8(e, F_KEY, m->key, sizeof m->key);
        put_utf8(e, F_VALUE, m->value, sizeof m->value);
        put_utf8(e, F_REASON, m->reason, sizeof m->reason);
        break;
    default:
        break;
    }
}

/* ---------------------------------------------------------- records */

static void put_kind(struct emitter *e, const rt_format_ctx *c, const rt_record *r)
{
    switch (r->ev->kind) {
    case RT_EV_CONN_ACCEPT:
    case RT_EV_CONN_STOP:
    case RT_EV_REAUTH:
        put_conn(e, r);
        break;
    case RT_EV_LINK_ACCEPT:
    case RT_EV_LINK_STOP:
        put_link(e, r->ev);
        break;
    case RT_EV_IP_ASSIGN:
    case RT_EV_IP_RELEASE:
    case RT_EV_IPV6_ASSIGN:
    case RT_EV_IPV6_RELEASE:
        put_ip(e, r->ev);
        break;
    default:
        put_meta(e, c, r->ev);
        break;
    }
}

static void write_cell(rt_buf *b, const struct value *v, bool defuse)
{
    switch (v->type) {
    case V_U64: rt_buf_u64(b, v->as.u); break;
    case V_BOOL: v->as.u ? RT_BUF_LIT(b, "true") : RT_BUF_LIT(b, "false"); break;
    case V_TEXT: rt_buf_put(b, v->as.s, v->n); break;
    case V_UTF8: rt_csv_cell_utf8(b, v->as.s, v->n, defuse); break;
    case V_UTF16: rt_csv_cell_utf16(b, v->as.w, v->n, defuse); break;
    default: break;
    }
}

/* The shared driver: validate, put every field, finish, or undo. */
static int format(const rt_format_ctx *c, const rt_record *r, rt_buf *out, bool csv)
{
    struct emitter e;
    rt_buf_mark mark;

    if (c == NULL || r == NULL || r->ev == NULL || out == NULL)
        return RT_EINVAL;
    mark = rt_buf_save(out);
    e.b = out;
    e.csv = csv;
    e.defuse = c->csv_defuse;
    e.used = 0;
    e.set = 0;
    out->overflow = false;
    if (!put_common(&e, c, r)) {
        rt_buf_restore(out, mark);
        return RT_EINVAL;
    }
    put_kind(&e, c, r);
    if (csv) {
        for (size_t i = 0; i < C_COUNT_; i++) {
            if (i != 0)
                rt_buf_putc(out, ',');
            if (e.set & (1u << i))
                write_cell(out, &e.col[i], e.defuse);
        }
        RT_BUF_LIT(out, "\r\n");
    } else {
        RT_BUF_LIT(out, "}\n");
    }
    if (out->overflow) {
        rt_buf_restore(out, mark);
        return RT_ENOSPC;
    }
    out->overflow = mark.overflow;
    return 0;
}

int rt_format_jsonl(const rt_format_ctx *c, const rt_record *r, rt_buf *out)
{
    return format(c, r, out, false);
}

int rt_format_csv(const rt_format_ctx *c, const rt_record *r, rt_buf *out)
{
    return format(c, r, out, true);
}

void rt_format_csv_header(rt_buf *out)
{
    rt_buf_mark mark = rt_buf_save(out);

    out->overflow = false;
    for (size_t i = 0; i < C_COUNT_; i++) {
        if (i != 0)
            rt_buf_putc(out, ',');
        rt_buf_put(out, column_names[i], strlen(column_names[i]));
    }
    RT_BUF_LIT(out, "\r\n");
    if (out->overflow) { /* all or nothing, like every append */
        mark.overflow = true;
        rt_buf_restore(out, mark);
        return;
    }
    out->overflow = mark.overflow;
}

/* ---------------------------------------------------------- tunnels */

static unsigned fold(rt_wchar u)
{
    return u >= 'A' && u <= 'Z' ? u + ('a' - 'A') : u;
}

/* True if s[0..n) starts with the lowercase ASCII word w (case-insensitive). */
static bool starts_with(const rt_wchar *s, size_t n, const char *w)
{
    size_t i = 0;
    for (; w[i] != '\0'; i++)
        if (i >= n || fold(s[i]) != (unsigned char)w[i])
            return false;
    return true;
}

static bool equals(const rt_wchar *s, size_t n, const char *w)
{
    return n == strlen(w) && starts_with(s, n, w);
}

static bool contains(const rt_wchar *s, size_t n, const char *w)
{
    for (size_t i = 0; i < n; i++)
        if (starts_with(s + i, n - i, w))
            return true;
    return false;
}

const char *rt_tunnel_from_device_type(const rt_wchar *device_type, size_t max,
                                       const rt_wchar *device_name, size_t max2)
{
    static const char *const kinds[] = {"pptp", "l2tp", "sstp", "ikev2"};
    size_t tn = rt_utf16_len(device_type, max), nn = rt_utf16_len(device_name, max2);

    for (size_t i = 0; i < 4; i++)
        if (equals(device_type, tn, kinds[i]))
            return kinds[i];
    if (tn != 0 && !equals(device_type, tn, "vpn"))
        return NULL; /* a modem, ISDN, PPPoE ...: not a tunnel */
    for (size_t i = 0; i < 4; i++)
        if (contains(device_name, nn, kinds[i]))
            return kinds[i];
    return NULL;
}
