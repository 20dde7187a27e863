/*
 * run.h - the per-thread context, calling callouts with RRAS's semantics
 * (dispatch.c), the session state machine and worker threads (runner.c),
 * and what the audit expects to find for each call into rastap (expect.c).
 */
#ifndef RH_RUN_H
#define RH_RUN_H

#include <stdbool.h>
#include <stdint.h>

#include "addrlog.h"
#include "host.h"
#include "session.h"
#include "stats.h"

/* One record rastap must have written for one call into it. */
typedef struct rh_expect {
    rh_callout co;
    int8_t decision;            /* -1 none, 0 reject, 1 accept */
    bool has_bytes;
    bool has_ipv6;              /* client_ipv6 */
    bool has_iid;               /* ipv6.*: interface id */
    bool matched;
    uint64_t handle;            /* hConnection, 0 none */
    uint32_t bytes_in, bytes_out;
    uint32_t client_ipv4, server_ipv4; /* 0 none */
    uint32_t ipv4;              /* ip.*: the address handed back, 0 none */
    uint8_t client_ipv6[16];
    uint8_t iid[8];
    char *user;                 /* UTF-8 as rastap must write it; NULL none */
    char port[24];              /* UTF-8; "" none */
} rh_expect;

typedef struct rh_expect_list {
    rh_expect *v;
    size_t n, cap;
} rh_expect_list;

typedef struct rh_ctx {
    rh_host *host;
    unsigned id;
    rh_stats stats;
    bool record_expect;         /* an audited DLL is loaded */
    rh_expect_list expect;
    rh_addr_list addrs;         /* --addresses: this thread's address callouts */
    uint64_t rng;
    rh_conn_structs conn;       /* scratch: one session's structures */
    rh_port_structs port;
} rh_ctx;

/* ---------------------------------------------------------- dispatch.c */

/* A session in flight: what RAS knows about it so far. */
typedef enum rh_step {
    RH_ST_GET_IP,
    RH_ST_GET_IPV6,
    RH_ST_ACCEPT,
    RH_ST_LINK,
    RH_ST_REAUTH,
    RH_ST_LINK_HANGUP,
    RH_ST_HANGUP,
    RH_ST_RELEASE_IP,
    RH_ST_RELEASE_IPV6,
    RH_ST_DONE
} rh_step;

typedef struct rh_live {
    rh_session s;
    rh_step step;
    unsigned link;              /* next link to accept / hang up */
    unsigned reauth;            /* reauthentications done */
    uint8_t link_state[RH_MAX_LINKS]; /* 0 not tried, 1 up, 2 refused */
    bool conn_called;           /* AcceptNewConnection was made */
    bool conn_ok;
    bool notify_ip, notify_ipv6;
    bool has_ipv4, has_ipv6;
    uint32_t ipv4;              /* final client address */
    uint8_t ipv6_iid[8];
    IN6_ADDR ipv6;
    RAS_QUARANTINE_STATE quarantine;
} rh_live;

/* lifecycle.c: the session state machine. */
void rh_live_init(rh_live *l, const rh_session *s);
/* Makes the session's next callout(s); returns true when it is finished. */
bool rh_live_step(rh_ctx *ctx, rh_live *l);

/*
 * One event to every DLL concerned, under its group's lock (dispatch.c).
 * rh_fire_conn: phase ACCEPT/REAUTH stop at the first FALSE and return
 * false if someone refused; HANGUP notifies all. rh_fire_link likewise.
 * The address calls go to the first DLL with the pair and return its
 * error (ERROR_NO_DATA when it left no address).
 */
bool rh_fire_conn(rh_ctx *ctx, rh_live *l, rh_phase phase);
bool rh_fire_link(rh_ctx *ctx, rh_live *l, unsigned link, bool hangup);
DWORD rh_fire_get_ip(rh_ctx *ctx, rh_live *l);
DWORD rh_fire_get_ipv6(rh_ctx *ctx, rh_live *l);
void rh_fire_release(rh_ctx *ctx, rh_live *l, bool v6);

/* Initialize/Terminate, timed into ctx (loader.c uses these). */
DWORD rh_call_initialize(rh_ctx *ctx, unsigned dll_index);
DWORD rh_call_initialize_ex(rh_ctx *ctx, unsigned dll_index, rt_admin_dll_callbacks *cb);
DWORD rh_call_terminate(rh_ctx *ctx, unsigned dll_index);

/* ------------------------------------------------------------ runner.c */

typedef struct rh_run_opts {
    unsigned threads;
    unsigned window;            /* sessions in flight per thread */
    double rate;                /* sessions/s, 0 unpaced */
    double duration_s;          /* 0: until the workload ends */
    bool storm;
    bool progress;
    bool paced_by_rows;         /* scenario start_ms columns */
    bool hold;                  /* --hold-at: pause before session hold_at starts */
    uint64_t hold_at;           /* index in this run's workload */
} rh_run_opts;

typedef struct rh_run_result {
    rh_stats stats;             /* merged */
    rh_expect_list expect;      /* merged, in no particular order */
    rh_addr_list addrs;         /* merged, with the markers; sorted when written */
    double seconds;             /* wall time of the workload phase, holds excluded */
} rh_run_result;

/*
 * Runs the workload on o->threads threads and adds their statistics,
 * expectations and address logs to *res (zeroed by the caller before the
 * first run; several runs, e.g. rounds, accumulate). With o->hold, when
 * every worker has reached session o->hold_at (or finished), the sessions
 * in flight stay live while the main thread prints a line and waits for a
 * line on standard input (docs/rrashost.md, --hold-at). False if threads
 * could not be started.
 */
bool rh_run(rh_host *host, const rh_workload *w, const rh_run_opts *o, rh_run_result *res);

/* ------------------------------------------------------------ expect.c */

void rh_ctx_init(rh_ctx *ctx, rh_host *host, unsigned id, bool record_expect);
size_t rh_expect_conn(rh_ctx *ctx, rh_callout co, const rh_conn_view *v,
                      const rh_conn_structs *st);
size_t rh_expect_link(rh_ctx *ctx, rh_callout co, const rh_port_structs *p);
size_t rh_expect_ip(rh_ctx *ctx, rh_callout co, const WCHAR *user, const WCHAR *port);
size_t rh_expect_plain(rh_ctx *ctx, rh_callout co);
static inline rh_expect *rh_expect_at(rh_ctx *ctx, size_t i)
{
    return &ctx->expect.v[i];
}
void rh_expect_append(rh_expect_list *dst, rh_expect_list *src);
void rh_expect_free(rh_expect_list *l);

/* UTF-16 (bounded, NUL-terminated or not) to UTF-8 with every unpaired
 * surrogate as U+FFFD: what event-schema.md requires rastap to write. */
char *rh_utf16_to_utf8(const uint16_t *s, size_t max_units);
/* Writes code point cp (a scalar value) as UTF-8 into o (room for 4 bytes);
 * returns the bytes written. */
size_t rh_put_utf8(char *o, uint32_t cp);

#endif /* RH_RUN_H */
