/*
 * sink_syslog.h - the built-in `syslog` and `eventlog` sinks, and the
 * on-disk spool the syslog sink delivers through.
 *
 * Syslog sink (sink_syslog.c): RFC 5424 (or 3164) messages (syslog_fmt.h)
 * over UDP (RFC 5426), TCP with octet counting (RFC 6587) or RELP
 * (relp.h), to a host given by name or address, IPv4 or IPv6. Every socket
 * is non-blocking and used on the worker thread only; a name is resolved
 * on a short-lived thread so a slow DNS server never stalls the worker.
 * TCP and RELP write every record to the spool first, as its JSON text:
 * write() accepts a record once it is in the spool; it is formatted when
 * it is sent, and the collector's acknowledgement (RELP rsp 200; for TCP,
 * which has none, a record's age and the bytes sent after it) advances the
 * spool's cursor. UDP sends directly and uses the spool only while it
 * cannot send. docs/sinks.md has the settings and the delivery semantics
 * of each transport.
 *
 * Event Log sink (sink_eventlog.c): ReportEventW into the Application log,
 * source "rastap", one event ID per record kind (the message table in
 * rastap_msg.mc).
 */
#ifndef RT_SINK_SYSLOG_H
#define RT_SINK_SYSLOG_H

#include <stdbool.h>
#include <stdint.h>

#include <windows.h>

#include "rastap/sink.h"
#include "spool.h"

const rastap_sink_vtbl *rt_sink_syslog_vtbl(void);
const rastap_sink_vtbl *rt_sink_eventlog_vtbl(void);

/*
 * Hooks the worker uses for built-in syslog sinks (ctx from open; worker
 * thread). take_lost returns, and resets, the number of accepted records
 * the sink has lost since the last call (its spool was full and dropped
 * its oldest segment), for an events.dropped record with reason
 * "spool_full". backlog reports records and bytes waiting in the spool.
 */
uint64_t rt_sink_syslog_take_lost(void *ctx);
void rt_sink_syslog_backlog(void *ctx, uint64_t *records, uint64_t *bytes);

/* Event IDs of the Event Log sink: RT_EVMSG_KIND_BASE + rt_kind. */
#define RT_EVMSG_KIND_BASE 1000u

/* ------------------------------------------------------------------
 * The spool (spool.c). Worker thread only, apart from the flusher thread
 * it runs for FlushFileBuffers. Formats: src/core/spool.h.
 */

typedef struct rt_spool rt_spool;

/* Receives the spool's reports (corrupt tails, dropped segments, I/O
 * errors) as one line of UTF-8. */
typedef void (*rt_spool_report_fn)(void *ctx, const char *message);

/*
 * Opens the spool in directory `dir`, creating it (and missing parents)
 * with a protected DACL for SYSTEM and Administrators, and takes its lock
 * file. Existing segments are checked record by record: a torn or corrupt
 * tail is skipped and reported, and whatever is left after the saved
 * cursor is replayed before anything new. max_bytes bounds the segments'
 * total size. Returns a Win32 error (ERROR_SHARING_VIOLATION: another
 * process has the spool).
 */
DWORD rt_spool_open(const WCHAR *dir, uint64_t max_bytes, rt_spool_report_fn report,
                    void *report_ctx, rt_spool **out);

/* Appends a record to the write buffer; rt_spool_commit makes the batch
 * durable-in-order (one WriteFile). */
DWORD rt_spool_append(rt_spool *s, uint64_t seq, uint32_t aux, const void *payload,
                      uint32_t len);

/*
 * Writes the appended records. On failure nothing of the batch counts (the
 * file is cut back) and the error is returned. Then enforces max_bytes:
 * whole oldest segments are dropped, their unconfirmed records counted as
 * lost (rt_spool_take_lost) and reported.
 */
DWORD rt_spool_commit(rt_spool *s);

/*
 * The next record at the send position, which then moves past it: 1 with
 * *rec (valid until the next call) and *end (the position after it), 0
 * when every committed record has been read, or a negative RT_E* code.
 */
int rt_spool_read(rt_spool *s, rt_spool_rec *rec, rt_spool_pos *end);

/* The send position, and putting it back to one taken before a read (a
 * record read but not sent is read again next). */
rt_spool_pos rt_spool_send_pos(const rt_spool *s);
void rt_spool_unread(rt_spool *s, rt_spool_pos pos);

/* Everything before `upto` is delivered: the cursor moves there and
 * segments wholly before it are deleted. */
void rt_spool_confirm(rt_spool *s, rt_spool_pos upto);

/* Sends again from the cursor (after a connection broke). */
void rt_spool_rewind(rt_spool *s);

/* True once after the spool moved the send position by itself (it dropped
 * the segment being sent): entries of the caller's window are void. */
bool rt_spool_take_reset(rt_spool *s);

uint64_t rt_spool_take_lost(rt_spool *s);

/* Records committed since the spool was opened (only ever grows). */
uint64_t rt_spool_committed(const rt_spool *s);

/* Records and bytes not yet confirmed. */
void rt_spool_backlog(const rt_spool *s, uint64_t *records, uint64_t *bytes);

/* True when every committed record has been read. */
bool rt_spool_all_read(const rt_spool *s);

/* Saves the cursor and has the flusher thread FlushFileBuffers the active
 * segment. Call about once a second. */
void rt_spool_flush(rt_spool *s);

/* Commits, saves the cursor, flushes synchronously, releases everything. */
void rt_spool_close(rt_spool *s);

#endif /* RT_SINK_SYSLOG_H */
