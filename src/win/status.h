/*
 * status.h - live counters the loaded DLL publishes for `rastapctl status`.
 *
 * Each process that runs rastap creates a named, pagefile-backed section
 * "Global\rastap-status-<pid>" (RT_STATUS_NAME_FMT) whose security
 * descriptor grants access to SYSTEM and Administrators only. A reader
 * finds the sections by trying that name for every process id; there is no
 * shared index to corrupt or to go stale. The section exists while the
 * worker runs (MprAdminInitializeDll(Ex) .. MprAdminTerminateDll).
 *
 * The page (rt_status_page) is written by the worker thread only, once a
 * second and after a configuration change, under a sequence lock:
 *   writer: seq += 1 (odd), release fence, write the fields, seq += 1
 *           (even, release store).
 *   reader: s1 = seq (acquire); copy the page; acquire fence; s2 = seq;
 *           the copy is consistent when s1 == s2 and s1 is even, else retry.
 * The fences pair with each other across the two processes (the section
 * is the same physical memory, and lock-free 32-bit atomics are
 * address-free). Fields are fixed-width and the layout only grows at its
 * end (`size` says how much the writer knows); names are stored with their
 * counts, so a reader of another version still labels them right.
 *
 * Readers (rastapctl, which may be newer than the DLL a running RRAS has
 * loaded, or older) take a page only with the magic and layout they know
 * and a `size` of at least RT_STATUS_SIZE_MIN (the first layout-1 page),
 * and use a field appended since only when RT_STATUS_HAS says the writer
 * filled it. A change that moves a field raises RT_STATUS_LAYOUT instead.
 */
#ifndef RT_STATUS_H
#define RT_STATUS_H

#include <stddef.h>
#include <stdint.h>

#include "ring.h"
#include "sinks.h"

#define RT_STATUS_NAME_FMT L"Global\\rastap-status-%lu"
#define RT_STATUS_SDDL L"D:P(A;;GA;;;SY)(A;;GA;;;BA)"
#define RT_STATUS_MAGIC 0x54534152u /* "RAST" */
#define RT_STATUS_LAYOUT 1u
#define RT_STATUS_SECTION_SIZE 65536u

#define RT_STATUS_KINDS 32
#define RT_STATUS_REASONS 8
#define RT_STATUS_SINKS 16

enum { RT_STATUS_STARTING = 1, RT_STATUS_RUNNING = 2, RT_STATUS_STOPPED = 3 };

typedef struct rt_status_counter {
    char name[40];      /* "connection.stop", "ring_full" ... ("" = unused) */
    uint64_t count;
} rt_status_counter;

typedef struct rt_status_sink {
    char name[64];
    char type[32];
    uint64_t written;   /* records accepted */
    uint64_t failed;    /* failed open/write/flush calls */
    uint64_t dropped;   /* records lost: backlog overflow, and a full spool */
    uint32_t backlog;   /* records waiting in memory for a retry */
    uint32_t retrying;  /* 1 while the sink waits to retry */
} rt_status_sink;

/* A sink's on-disk spool (syslog sinks: docs/sinks.md, "The spool"). */
typedef struct rt_status_spool {
    uint64_t records;   /* records in the spool not yet delivered */
    uint64_t bytes;     /* their record frames in the segment files (no segment headers) */
    uint32_t present;   /* 1: the sink delivers through a spool; 0: the others are 0 */
    uint32_t pad;
} rt_status_spool;

typedef struct rt_status_page {
    uint32_t magic;             /* RT_STATUS_MAGIC */
    uint32_t layout;            /* RT_STATUS_LAYOUT */
    uint32_t size;              /* sizeof(rt_status_page) of the writer */
    volatile uint32_t seq;      /* sequence lock, see above */

    uint32_t pid;
    uint32_t state;             /* RT_STATUS_* */
    char instance[40];          /* the records' `instance` */
    char version[32];           /* rastap version */
    uint32_t mode_ex;           /* 1: MprAdminInitializeDllEx */
    uint32_t pad0;
    int64_t started_us;         /* when this run started, us since 1970 UTC */
    int64_t updated_us;         /* when the page was last written */

    uint64_t records_total;     /* records handed to the sinks in this run */
    uint64_t callouts_fired;    /* callouts that tried to record, since load */
    rt_status_counter kinds[RT_STATUS_KINDS];     /* records per `event` kind */
    uint64_t dropped_total;     /* sum of events.dropped counts */
    rt_status_counter dropped[RT_STATUS_REASONS]; /* ... per reason */

    uint32_t ring_capacity;
    uint32_t ring_high_water;   /* highest occupancy the worker has seen */
    uint32_t ring_occupancy;
    uint32_t ring_size_configured; /* RingSize in force (applies at the next start) */

    uint64_t config_generation;
    uint64_t config_refused;    /* configurations refused since load */
    uint32_t stop_drain_ms;
    uint32_t diag_level;

    uint32_t nsinks;
    uint32_t pad1;
    rt_status_sink sinks[RT_STATUS_SINKS];

    uint64_t diag_errors;       /* diagnostics at warning or above */
    int64_t last_error_us;      /* 0: none */
    char last_error[512];       /* UTF-8 */

    /* Appended to layout 1: check RT_STATUS_HAS before reading. */
    rt_status_spool spools[RT_STATUS_SINKS]; /* same index as sinks[] */
} rt_status_page;

/* The size of the first layout-1 page: every writer of layout 1 fills at
 * least this much. */
#define RT_STATUS_SIZE_MIN offsetof(rt_status_page, spools)
_Static_assert(RT_STATUS_SIZE_MIN == 4688, "the first layout-1 page keeps its size: add a field "
                                           "at the end, or raise RT_STATUS_LAYOUT");
/* Whether the writer of page p (a consistent copy) filled field f. */
#define RT_STATUS_HAS(p, f) ((p)->size >= offsetof(rt_status_page, f) + sizeof((p)->f))

_Static_assert(sizeof(rt_status_page) <= RT_STATUS_SECTION_SIZE, "the page fits its section");

/* The writer side, in rastap.dll (rastapctl only reads the page).
 * Worker thread only. open: when the worker starts; count: every record
 * the worker delivers; publish: once a second and after a change (also
 * with state); close: when the worker ends (the section goes away). */
void rt_status_open(void);
void rt_status_count(const rt_out_record *recs, size_t n);
void rt_status_publish(rt_ring *ring);
void rt_status_close(void);

#endif /* RT_STATUS_H */
