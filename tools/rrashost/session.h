/*
 * session.h - what one simulated VPN session is, where sessions come from
 * (the generator or a scenario file), and how they become RAS structures.
 *
 * A session is a pure function of (seed, index) or of one scenario row, so
 * a run is reproducible whatever the thread interleaving: only the order
 * in which callouts of different sessions meet changes.
 */
#ifndef RH_SESSION_H
#define RH_SESSION_H

#include <stdbool.h>
#include <stdint.h>

#include "ras_contract.h"

#define RH_USER_UNITS 257 /* UNLEN + 1: a full array has no terminator */
#define RH_MAX_LINKS 4

typedef enum rh_tunnel { RH_TUN_PPTP, RH_TUN_L2TP, RH_TUN_SSTP, RH_TUN_IKEV2, RH_TUN_COUNT } rh_tunnel;

typedef enum rh_auth {
    RH_AUTH_MSCHAPV2, /* PPP: CHAP 0xC223 / 0x81 */
    RH_AUTH_EAP_PEAP, /* PPP: EAP 0xC227 type 25; IKEv2: EAP type 26 */
    RH_AUTH_EAP_TLS,  /* PPP or IKEv2: EAP type 13 */
    RH_AUTH_CERT,     /* IKEv2 machine certificate */
} rh_auth;

typedef struct rh_session {
    uint64_t index;
    uint16_t user[RH_USER_UNITS];
    unsigned user_units;        /* units before the terminator; 257 = none */
    rh_tunnel tunnel;
    rh_auth auth;
    unsigned links;             /* 1..RH_MAX_LINKS; >1 only for PPTP/L2TP */
    unsigned reauths;           /* NAP reauthentications during the session */
    bool ipv6;
    bool abort_after_ip;        /* PPP fails after the address was assigned */
    uint32_t duration_s;
    uint64_t bytes_in;          /* from the client, true 64-bit total */
    uint64_t bytes_out;         /* to the client */
    uint32_t ipv4_offer;        /* RAS's proposal, first octet in the low byte */
    uint32_t server_ipv4;       /* the server's side of the PPP link */
    uint32_t endpoint_ipv4;     /* client's public (outer) address */
    uint8_t ipv6_prefix[8];
    uint8_t ipv6_iid_offer[8];
    uint32_t start_ms;          /* scenario: not before this offset */
    GUID guid;
    uint32_t given;             /* scenario rows: RH_GIVEN_* fields set by the file */
} rh_session;

/* Scenario columns present in a row; the rest comes from the generator. */
enum {
    RH_GIVEN_USER = 1u << 0,
    RH_GIVEN_TUNNEL = 1u << 1,
    RH_GIVEN_AUTH = 1u << 2,
    RH_GIVEN_LINKS = 1u << 3,
    RH_GIVEN_REAUTHS = 1u << 4,
    RH_GIVEN_IPV6 = 1u << 5,
    RH_GIVEN_ABORT = 1u << 6,
    RH_GIVEN_DURATION = 1u << 7,
    RH_GIVEN_BYTES_IN = 1u << 8,
    RH_GIVEN_BYTES_OUT = 1u << 9,
    RH_GIVEN_IPV4 = 1u << 10,
    RH_GIVEN_START = 1u << 11,
};

/* Handles are unique per session, so an audit can tell sessions apart. */
uint64_t rh_session_handle(const rh_session *s);
uint64_t rh_session_port_handle(const rh_session *s, unsigned link);
/* Port name ("VPN3-1234"), NUL-terminated, at most 16 units. */
void rh_session_port_name(const rh_session *s, unsigned link, wchar_t out[17]);

/* ---------------------------------------------------------- workload.c */

typedef struct rh_workload {
    uint64_t seed;
    unsigned users;
    unsigned hostile_pct;       /* share of users with hostile names */
    bool storm;
    uint64_t limit;             /* sessions to run (UINT64_MAX: until --duration) */
    uint64_t first;             /* index of session 0 (--rounds: rounds continue the
                                 * numbering, so handles and ports stay unique) */
    rh_session *rows;           /* scenario replay, or NULL */
    uint64_t n_rows;
} rh_workload;

/* Fills *out with session `index` of the workload (its index in the run is
 * w->first + index); false past the end of the workload. */
bool rh_workload_get(const rh_workload *w, uint64_t index, rh_session *out);

/* ------------------------------------------------------------- names.c */

/* Number of hostile name templates; builds template k for user u. */
unsigned rh_hostile_count(void);
void rh_hostile_name(unsigned k, unsigned u, uint16_t *out, unsigned *units);
/* An ordinary "first.lastN" name for user u. */
void rh_plain_name(unsigned u, uint16_t *out, unsigned *units);

/* ---------------------------------------------------------- scenario.c */

/* Parses a scenario CSV (docs/rrashost.md). On error prints file:line and
 * returns false. */
bool rh_scenario_load(const wchar_t *path, rh_session **rows, uint64_t *n);

/* ------------------------------------------------------------ structs.c */

typedef enum rh_phase { RH_PH_ACCEPT, RH_PH_REAUTH, RH_PH_HANGUP } rh_phase;

typedef struct rh_conn_structs {
    RAS_CONNECTION_0 c0;
    RAS_CONNECTION_1 c1;
    RAS_CONNECTION_2 c2;
    RAS_CONNECTION_3 c3;
    RAS_CONNECTION_EX ex;
} rh_conn_structs;

typedef struct rh_port_structs {
    RAS_PORT_0 p0;
    RAS_PORT_1 p1;
} rh_port_structs;

/* What the connection looks like at this point (addresses as negotiated). */
typedef struct rh_conn_view {
    const rh_session *s;
    rh_phase phase;
    uint32_t client_ipv4;       /* 0: none */
    bool has_ipv6;
    uint8_t ipv6_iid[8];        /* client's interface id */
    unsigned links_up;
    RAS_QUARANTINE_STATE quarantine;
} rh_conn_view;

void rh_build_conn(const rh_conn_view *v, rh_conn_structs *out);
void rh_build_port(const rh_session *s, unsigned link, rh_phase phase, rh_port_structs *out);

/* Byte counters as RAS reports them: the 64-bit total truncated to the
 * DWORD (wraps at 4 GiB). For links, link's share of the session. */
uint64_t rh_link_bytes(uint64_t total, unsigned links, unsigned link);

#endif /* RH_SESSION_H */
