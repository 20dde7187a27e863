/*
 * addrlog.h - the address log (--addresses FILE): every address callout
 * rrashost made and what RAS got back, in one total order, so a test can
 * check from RAS's side that no address was held by two live sessions at
 * once and that every release gave back what was handed out.
 *
 * Order. Every entry takes a number from one process-wide counter. A Get
 * takes it after the DLL returned (the address is the session's by then),
 * a Release before the call (the address is still the session's). A lease
 * is therefore numbered [get, release] inside the time the DLL really let
 * the session hold it, and two leases of one address whose numbers overlap
 * were really held at once: the check never accuses a correct DLL. Under
 * RRAS's serialization (the default) the group lock is held while the
 * number is taken, so the order is also complete; with --stress it is
 * only sound.
 *
 * Threads: each worker appends to its own list (rh_ctx); lists are merged
 * after the run and written sorted by number. Markers (round, hold,
 * resume) are appended by the main thread while no worker makes a callout.
 */
#ifndef RH_ADDRLOG_H
#define RH_ADDRLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "host.h"

typedef enum rh_addr_kind {
    RH_AL_CALL,   /* an address callout */
    RH_AL_ROUND,  /* a round begins (value: its number, 1-based) */
    RH_AL_HOLD,   /* --hold-at: sessions stopped starting (value: sessions started) */
    RH_AL_RESUME, /* the hold ended */
} rh_addr_kind;

typedef struct rh_addr_entry {
    uint64_t seq;
    uint64_t value;             /* markers; calls: the session index */
    uint8_t kind;               /* rh_addr_kind */
    uint8_t co;                 /* rh_callout: GET_IP, RELEASE_IP, GET_IPV6, RELEASE_IPV6 */
    bool notify;                /* Get: bNotifyRelease as the DLL left it */
    uint32_t error;             /* Get: what the DLL returned */
    uint32_t offered;           /* IPv4 Get: RAS's proposal (first octet in the low byte) */
    uint32_t ipv4;              /* IPv4: handed back (Get) or released (Release); 0 none */
    uint8_t iid_offered[8];     /* IPv6 Get: RAS's interface identifier */
    uint8_t iid[8];             /* IPv6: handed back or released */
    char *user;                 /* UTF-8, as the callout got it */
    char port[24];
} rh_addr_entry;

typedef struct rh_addr_list {
    rh_addr_entry *v;
    size_t n, cap;
} rh_addr_list;

/* The next number of the total order (any thread). */
uint64_t rh_addr_seq(void);
/* A zeroed entry at the end of l (the caller fills it, seq included). */
rh_addr_entry *rh_addr_push(rh_addr_list *l);
/* A marker numbered now (main thread, no callout in progress). */
void rh_addr_mark(rh_addr_list *l, rh_addr_kind kind, uint64_t value);
/* Moves src's entries to the end of dst. */
void rh_addr_append(rh_addr_list *dst, rh_addr_list *src);
void rh_addr_free(rh_addr_list *l);
/* Sorts l by number and writes it as JSON Lines (docs/rrashost.md). */
bool rh_addr_write(const wchar_t *path, rh_addr_list *l);

#endif /* RH_ADDRLOG_H */
