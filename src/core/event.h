/*
 * event.h - the fixed-size event a callout copies into the ring.
 *
 * A callout fills one rt_event straight from RAS's structures and returns.
 * Everything here is plain data: strings stay UTF-16 exactly as RAS handed
 * them (fixed arrays, possibly without a terminator), numbers stay raw. The
 * worker converts and formats later (format.h), so the callout does nothing
 * but bounded copies.
 *
 * Portable C11: no Windows headers. The array sizes mirror mprapi.h so the
 * Windows layer can memcpy whole arrays; src/win checks the sizes with
 * _Static_assert against the real RAS structures.
 */
#ifndef RT_EVENT_H
#define RT_EVENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* UTF-16 code unit, as WCHAR on Windows. */
typedef uint16_t rt_wchar;

/* Array lengths (in code units, terminator included) of RAS string fields. */
enum {
    RT_LEN_USER = 257,        /* UNLEN + 1 */
    RT_LEN_DOMAIN = 16,       /* DNLEN + 1 */
    RT_LEN_INTERFACE = 257,   /* MAX_INTERFACE_NAME_LEN + 1 */
    RT_LEN_COMPUTER = 17,     /* NETBIOS_NAME_LEN + 1 */
    RT_LEN_IPV4 = 16,         /* IPADDRESSLEN + 1 */
    RT_LEN_ENDPOINT = 65,     /* MAXIPADRESSLEN + 1 */
    RT_LEN_PORT = 17,         /* MAX_PORT_NAME + 1 */
    RT_LEN_MEDIA = 17,        /* MAX_MEDIA_NAME + 1 */
    RT_LEN_DEVICE = 129,      /* MAX_DEVICE_NAME + 1 */
    RT_LEN_DEVICE_TYPE = 17,  /* MAX_DEVICETYPE_NAME + 1 */
    RT_LEN_META_TEXT = 256,   /* UTF-8 text of worker-made records */
};

/* Event kinds: the schema's `event` field (docs: event-schema.md). */
typedef enum rt_kind {
    RT_EV_NONE = 0,
    RT_EV_SERVICE_START,
    RT_EV_SERVICE_STOP,
    RT_EV_CONN_ACCEPT,
    RT_EV_CONN_STOP,
    RT_EV_LINK_ACCEPT,
    RT_EV_LINK_STOP,
    RT_EV_REAUTH,
    RT_EV_IP_ASSIGN,
    RT_EV_IP_RELEASE,
    RT_EV_IPV6_ASSIGN,
    RT_EV_IPV6_RELEASE,
    RT_EV_EVENTS_DROPPED,
    RT_EV_CONFIG_APPLIED,
    RT_EV_CONFIG_ERROR,
    RT_EV_COUNT_
} rt_kind;

/* The callout that produced an event: the schema's `callout` field. */
typedef enum rt_callout {
    RT_CO_NONE = 0, /* made by the DLL itself: no `callout` field */
    RT_CO_INITIALIZE_DLL,
    RT_CO_INITIALIZE_DLL_EX,
    RT_CO_TERMINATE_DLL,
    RT_CO_ACCEPT_NEW_CONNECTION,
    RT_CO_ACCEPT_NEW_CONNECTION2,
    RT_CO_ACCEPT_NEW_CONNECTION3,
    RT_CO_ACCEPT_NEW_CONNECTION_EX,
    RT_CO_ACCEPT_NEW_LINK,
    RT_CO_ACCEPT_REAUTHENTICATION,
    RT_CO_ACCEPT_REAUTHENTICATION_EX,
    RT_CO_CONNECTION_HANGUP,
    RT_CO_CONNECTION_HANGUP2,
    RT_CO_CONNECTION_HANGUP3,
    RT_CO_CONNECTION_HANGUP_EX,
    RT_CO_LINK_HANGUP,
    RT_CO_GET_IP_ADDRESS,
    RT_CO_RELEASE_IP_ADDRESS,
    RT_CO_GET_IPV6_ADDRESS,
    RT_CO_RELEASE_IPV6_ADDRESS,
    RT_CO_COUNT_
} rt_callout;

/* Presence bits: a field whose bit is clear is absent from the record. */
enum {
    RT_HAS_GUID = 1u << 0,
    RT_HAS_USER = 1u << 1,          /* conn: user/domain/interface/remote */
    RT_HAS_IFTYPE = 1u << 2,
    RT_HAS_DURATION = 1u << 3,
    RT_HAS_COUNTERS = 1u << 4,      /* bytes + frames */
    RT_HAS_ERRORS = 1u << 5,        /* the six error counters */
    RT_HAS_IPV4 = 1u << 6,          /* client/server IPv4 strings */
    RT_HAS_IPV6 = 1u << 7,          /* prefix + remote interface id */
    RT_HAS_ENDPOINTS = 1u << 8,
    RT_HAS_PROJECTION = 1u << 9,    /* tunnel + auth from projection/LCP */
    RT_HAS_QUARANTINE = 1u << 10,
    RT_HAS_HANDLE = 1u << 11,       /* connection handle */
    RT_HAS_DECISION = 1u << 12,
    RT_HAS_FLAGS = 1u << 13,
    RT_HAS_PORT_INFO = 1u << 14,    /* link: port/media/device strings */
    RT_HAS_LINE_SPEED = 1u << 15,
};

/* Projection kinds, as PROJECTION_INFO.projectionInfoType. */
enum { RT_PROJ_NONE = 0, RT_PROJ_PPP = 1, RT_PROJ_IKEV2 = 2 };

/* Address sources for ip.* records. */
enum { RT_SRC_RAS = 0, RT_SRC_STATIC = 1, RT_SRC_POOL = 2 };

typedef struct rt_counters {
    uint32_t bytes_out;   /* dwBytesXmited: sent to the client */
    uint32_t bytes_in;    /* dwBytesRcved: received from the client */
    uint32_t frames_out;
    uint32_t frames_in;
    uint32_t crc, timeout, alignment, hw_overrun, framing, buffer_overrun;
} rt_counters;

/* connection.accept, connection.stop, reauth */
typedef struct rt_ev_conn {
    uint64_t handle;            /* hConnection */
    uint8_t guid[16];           /* GUID in memory order (Data1..3 little-endian) */
    uint32_t interface_type;    /* ROUTER_INTERFACE_TYPE */
    uint32_t flags;             /* dwConnectionFlags */
    uint32_t duration_s;
    uint32_t quarantine;        /* RAS_QUARANTINE_STATE */
    uint32_t projection;        /* RT_PROJ_* */
    uint32_t auth_proto;        /* LCP protocol (0xC023 ...) or IKEv2 auth (1 cert, 2 EAP) */
    uint32_t auth_data;         /* CHAP algorithm (0x05, 0x80, 0x81) */
    uint32_t eap_type;
    uint32_t ipv6_prefix_len;   /* bits */
    rt_counters ctr;
    uint8_t ipv6_prefix[8];
    uint8_t ipv6_remote_iid[8];
    rt_wchar user[RT_LEN_USER];
    rt_wchar domain[RT_LEN_DOMAIN];
    rt_wchar interface_name[RT_LEN_INTERFACE];
    rt_wchar remote_computer[RT_LEN_COMPUTER];
    rt_wchar client_ipv4[RT_LEN_IPV4];   /* IPCP wszRemoteAddress */
    rt_wchar server_ipv4[RT_LEN_IPV4];   /* IPCP wszAddress */
    rt_wchar endpoint_remote[RT_LEN_ENDPOINT];
    rt_wchar endpoint_local[RT_LEN_ENDPOINT];
} rt_ev_conn;

/* link.accept, link.stop */
typedef struct rt_ev_link {
    uint64_t handle;            /* hConnection of the port */
    uint64_t port_handle;       /* hPort */
    uint32_t port_condition;    /* RAS_PORT_CONDITION */
    uint32_t hw_condition;      /* RAS_HARDWARE_CONDITION */
    uint32_t line_speed;        /* bit/s */
    uint32_t duration_s;
    uint32_t total_calls;
    rt_counters ctr;
    rt_wchar port[RT_LEN_PORT];
    rt_wchar media[RT_LEN_MEDIA];
    rt_wchar device[RT_LEN_DEVICE];
    rt_wchar device_type[RT_LEN_DEVICE_TYPE];
} rt_ev_link;

/* ip.assign, ip.release, ipv6.assign, ipv6.release */
typedef struct rt_ev_ip {
    uint32_t ipv4;              /* as RAS's DWORD: first octet in the low byte */
    uint32_t ipv4_offered;      /* what RAS proposed (0 = nothing) */
    uint8_t ipv6[16];           /* IN6_ADDR; the interface id is bytes 8..15 */
    int32_t result;             /* 0 ok; a negative RT_E* code (error.h) for rastap's own
                                 * outcomes (exhausted, busy, not_found, access_denied,
                                 * invalid_argument); else a positive Win32 error code */
    uint8_t source;             /* RT_SRC_* */
    uint8_t notify_release;
    uint8_t has_ipv4;
    uint8_t has_ipv6;
    uint8_t has_user;
    uint8_t has_port;
    rt_wchar user[RT_LEN_USER];
    rt_wchar port[RT_LEN_PORT];
} rt_ev_ip;

/* Records the DLL makes itself: service.*, events.dropped, config.* */
typedef struct rt_ev_meta {
    uint64_t a;                 /* service.stop: events_total; dropped: count; config: generation */
    uint64_t b;                 /* service.stop: events_dropped */
    uint8_t mode;               /* service.start: 1 ex, 0 legacy */
    uint8_t has_leases;         /* config.applied: the three lease counts are set */
    uint64_t ipv4_leases;       /* config.applied: IPv4 leases held */
    uint64_t ipv4_leases_outside; /* of those, on addresses the configuration no longer has */
    uint64_t ipv6_leases;       /* config.applied: IPv6 interface identifiers held */
    char key[RT_LEN_META_TEXT];    /* UTF-8, NUL-terminated */
    char value[RT_LEN_META_TEXT];
    char reason[RT_LEN_META_TEXT];
} rt_ev_meta;

/*
 * One event: what a ring slot holds. `time_ticks` is the raw clock the
 * callout read on entry (rt_clock, converted to wall time by the worker).
 */
typedef struct rt_event {
    uint64_t time_ticks;
    uint32_t has;               /* RT_HAS_* bits */
    uint16_t kind;              /* rt_kind */
    uint16_t callout;           /* rt_callout */
    uint8_t decision;           /* 1 accept, 0 reject (when RT_HAS_DECISION) */
    uint8_t reason;             /* reject reason code, 0 none */
    uint16_t thread_tag;        /* producer id for tests and diagnostics */
    uint32_t producer_seq;      /* producer-local counter for tests */
    union {
        rt_ev_conn conn;
        rt_ev_link link;
        rt_ev_ip ip;
        rt_ev_meta meta;
    } u;
} rt_event;

/* Names used in records; NULL for out-of-range values. */
const char *rt_kind_name(unsigned kind);
const char *rt_callout_name(unsigned callout);

/* True for the kinds that carry billing data and may use the ring's
 * headroom (connection.stop, ip.release, ipv6.release). */
bool rt_kind_is_priority(unsigned kind);

#endif /* RT_EVENT_H */
