/*
 * relp.h - RELP, rsyslog's Reliable Event Logging Protocol: frames out,
 * frames in, responses and offers (librelp's doc/relp.md).
 *
 *   RELP-FRAME = TXNR SP COMMAND SP DATALEN [SP DATA] LF
 *
 * TXNR is 1..999999999 and then 1 again (0 is the server's hint channel,
 * e.g. `0 serverclose 0`); COMMAND 1..32 letters; DATALEN the octets of
 * DATA, no DATA (and no SP) when 0. A session is `1 open` with offers, a
 * `rsp` whose data is `200 OK\n<offers>`; then `N syslog LEN <message>`
 * answered by `N rsp 6 200 OK` each, in command order; `N close 0`
 * answered by `N rsp 0`. A record counts as delivered only when its rsp
 * says 200.
 *
 * Pure functions and a parser over caller memory: any thread, no
 * allocation.
 */
#ifndef RT_RELP_H
#define RT_RELP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define RT_RELP_TXNR_MAX 999999999u
#define RT_RELP_COMMAND_MAX 32
/* Largest DATA the parser takes (frames from a server are responses). */
#define RT_RELP_DATA_MAX (128u * 1024u)

/* The transaction number after t: t + 1, and 1 after 999999999 (or 0). */
uint32_t rt_relp_txnr_next(uint32_t t);

/* How many txnrs lie from a to b going forward (b == a: 0), wrap-aware. */
uint32_t rt_relp_txnr_distance(uint32_t a, uint32_t b);

/* Appends `txnr cmd len[ data]\n`. True if it fit (else out unchanged). */
bool rt_relp_frame(rt_buf *out, uint32_t txnr, const char *cmd, const char *data, size_t len);

/* Appends the `open` frame offering relp_version=0, commands=syslog and
 * relp_software=rastap,<version>. True if it fit. */
bool rt_relp_open_frame(rt_buf *out, uint32_t txnr, const char *version);

/* A parsed frame: data points into the parser's buffer until the next call. */
typedef struct rt_relp_frame_in {
    uint32_t txnr;
    char cmd[RT_RELP_COMMAND_MAX + 1];
    const char *data;
    size_t len;
} rt_relp_frame_in;

typedef struct rt_relp_parser {
    int state;
    uint32_t txnr;
    size_t digits;
    char cmd[RT_RELP_COMMAND_MAX + 1];
    size_t cmd_len;
    size_t datalen, got;
    char *buf;       /* DATA lands here: caller memory of `cap` bytes */
    size_t cap;
} rt_relp_parser;

/* Readies p to take frames with DATA up to min(cap, RT_RELP_DATA_MAX). */
void rt_relp_parser_init(rt_relp_parser *p, char *buf, size_t cap);

/*
 * Consumes bytes of in[0..n) until a frame is complete or the bytes run
 * out; *used says how many it took. Returns 1 with *f filled when a frame
 * is complete, 0 when it needs more bytes, RT_EPARSE on a framing error
 * (bad digits, over-long command or number, DATALEN over the limit, no LF
 * trailer): the connection must then be dropped.
 */
int rt_relp_parse(rt_relp_parser *p, const char *in, size_t n, size_t *used,
                  rt_relp_frame_in *f);

/*
 * Splits the DATA of a `rsp`: `CODE[ SP HUMAN][LF CMDDATA]`. *code is the
 * three-digit status (200 OK). Returns 0 or RT_EPARSE. human / cmddata
 * may be NULL when not wanted; absent parts have length 0.
 */
int rt_relp_rsp(const char *data, size_t len, unsigned *code, const char **human,
                size_t *human_len, const char **cmddata, size_t *cmddata_len);

/*
 * True when the offers text (LF-separated `name=value,value`) has an offer
 * `name` with the value `value`; value NULL: when it has the offer at all.
 */
bool rt_relp_offer_has(const char *offers, size_t len, const char *name, const char *value);

#endif /* RT_RELP_H */
