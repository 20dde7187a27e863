/*
 * audit.h - the end-to-end check of what rastap wrote (issue 4, item 3).
 *
 * After Terminate, every *.jsonl file in the directory is read; records of
 * the rastap instance(s) loaded by this process in this run (pid and time)
 * are kept; per instance `seq` must run 1, 2, 3 ... without gap or repeat;
 * every call made into rastap must appear exactly once with the content it
 * was given (handle, user name as UTF-8 with U+FFFD for lone surrogates,
 * byte counters, addresses, decision); fired == written + the counts of
 * events.dropped records. "lost: 0" or the list of what is missing.
 */
#ifndef RH_AUDIT_H
#define RH_AUDIT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "run.h"

typedef struct rh_audit_result {
    bool ran;
    bool io_error;              /* directory or file unreadable */
    unsigned files;
    unsigned instances;
    uint64_t lines;             /* all lines read, any instance */
    uint64_t records;           /* records of our instance(s) */
    uint64_t bad_lines;         /* not JSON, or without seq/instance */
    uint64_t fired;             /* calls into rastap */
    uint64_t written;           /* callout records matched to a call */
    uint64_t dropped;           /* sum of events.dropped counts */
    uint64_t missing;           /* calls without a record */
    int64_t lost;               /* missing - dropped */
    uint64_t duplicated;        /* a second record for one call */
    uint64_t unexpected;        /* a record for no call at all */
    uint64_t mismatched;        /* record found, content differs */
    uint64_t seq_gaps, seq_repeats;
    bool ok;
} rh_audit_result;

/* since: UTC RFC 3339 text; records older than this are not ours. */
bool rh_audit(const wchar_t *dir, rh_expect_list *exp, const char *since, unsigned long pid,
              bool quiet, rh_audit_result *out);

/* ------------------------------------------------------- audit_match.c */

struct rh_record;
/* Pairs records with calls and fills written, dropped, missing,
 * duplicated, unexpected and mismatched, printing the first few of each. */
void rh_audit_match(rh_expect_list *exp, const struct rh_record *recs, size_t n,
                    rh_audit_result *res, bool quiet);

/* ------------------------------------------------------------- jsonl.c */

/* The fields of one record the audit looks at. Strings are UTF-8. */
typedef struct rh_record {
    uint32_t has;               /* RH_R_* */
    uint64_t seq, pid, connection, bytes_in, bytes_out, count;
    char instance[40];
    char time[40];
    char event[32];
    char callout[48];
    char port[64];
    char decision[16];
    char client_ipv4[48], server_ipv4[48], client_ipv6[64], ipv4[48], ipv6_iid[48];
    char *user;                 /* heap */
} rh_record;

enum {
    RH_R_SEQ = 1u << 0,
    RH_R_PID = 1u << 1,
    RH_R_CONNECTION = 1u << 2,
    RH_R_BYTES_IN = 1u << 3,
    RH_R_BYTES_OUT = 1u << 4,
    RH_R_COUNT = 1u << 5,
    RH_R_USER = 1u << 6,
    RH_R_PORT = 1u << 7,
    RH_R_DECISION = 1u << 8,
    RH_R_CLIENT_IPV4 = 1u << 9,
    RH_R_SERVER_IPV4 = 1u << 10,
    RH_R_CLIENT_IPV6 = 1u << 11,
    RH_R_IPV4 = 1u << 12,
    RH_R_IPV6_IID = 1u << 13,
    RH_R_CALLOUT = 1u << 14,
};

/* Parses one JSON Lines record (len bytes, no newline). False when the
 * line is not a JSON object. */
bool rh_record_parse(const char *line, size_t len, rh_record *r);
void rh_record_free(rh_record *r);

/* Writes s as a JSON string, quotes included, ASCII only (\uXXXX). */
void rh_json_str(FILE *f, const char *s);

/* Address text to bytes; false if malformed. */
bool rh_parse_ipv4(const char *s, uint32_t *out); /* first octet in the low byte */
bool rh_parse_ipv6(const char *s, uint8_t out[16]);

#endif /* RH_AUDIT_H */
