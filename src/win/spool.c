/*
 * spool.c - a syslog sink's on-disk spool (sink_syslog.h; formats in
 * src/core/spool.h).
 *
 * Layout: <dir>\<16 hex>.seg segments, <dir>\cursor, <dir>\lock. Appends
 * go to the newest segment through a 1 MiB buffer written with one
 * WriteFile per batch; a segment that reaches seg_target is finished and a
 * new one started; a spool opened again never appends to an old segment
 * (its tail may be torn). The reader has its own handle and buffer and
 * never reads past what was committed. The cursor (first unconfirmed
 * record) is saved once a second and at close, so a restart re-sends at
 * most about a second of records the collector already had.
 *
 * Invariants:
 *  1. head <= send <= committed end of the newest segment (positions).
 *  2. segs[] holds every segment on disk, ascending; each one's `end` is
 *     the end of its last intact record; nothing past `end` is ever read.
 *  3. A segment is deleted only when head is past it, or when the size
 *     bound drops it, and then its records after head are counted lost.
 *
 * Durability: flush() hands a duplicate of the active segment's handle to
 * the flusher thread for FlushFileBuffers (as the file sink does), so the
 * worker never waits for the disk.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <windows.h>
#include <sddl.h>

#include "error.h"
#include "privdir.h"
#include "sink_syslog.h"

#define WBUF_CAP (1u << 20)
#define RBUF_CAP (2u * RT_SPOOL_PAYLOAD_MAX + 64)
#define SEG_MIN (256u << 10)
#define SEG_MAX (16u << 20)

typedef struct seg_info {
    uint64_t no;
    uint64_t end;       /* end of the last intact (committed) record */
    uint64_t first_ord; /* ordinal of its first record */
    uint64_t records;
} seg_info;

struct rt_spool {
    WCHAR dir[MAX_PATH];
    uint64_t max_bytes, seg_target;
    rt_spool_report_fn report;
    void *report_ctx;
    HANDLE lock, cursor_file;
    uint32_t cursor_gen;
    rt_spool_pos saved;         /* what the cursor file holds */

    seg_info *segs;
    size_t nsegs, cap_segs;
    uint64_t total_bytes;       /* committed bytes of all segments */

    /* writer: the newest segment when `w` is open */
    HANDLE w;
    char *wbuf;
    size_t wlen;
    uint64_t batch_records;
    bool dirty;                 /* written since the last flush */

    /* reader */
    HANDLE r;
    uint64_t r_seg;             /* segment `r` is open on (0: none) */
    char *rbuf;
    uint64_t rbuf_off;          /* file offset of rbuf[0] */
    size_t rbuf_len;

    rt_spool_pos head, send;
    uint64_t last_no;           /* highest segment number used or saved */
    uint64_t next_ord;          /* ordinal of the next appended record */
    uint64_t lost;
    bool reset;

    /* flusher */
    HANDLE flusher, flush_event;
    SRWLOCK lock_pending;
    HANDLE pending;
    bool quit;
};

static void reportf(rt_spool *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void reportf(rt_spool *s, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (s->report)
        s->report(s->report_ctx, msg);
}

/* ------------------------------------------------------------ flusher */

static DWORD WINAPI flusher_main(void *arg)
{
    rt_spool *s = arg;
    for (;;) {
        WaitForSingleObject(s->flush_event, INFINITE);
        AcquireSRWLockExclusive(&s->lock_pending);
        HANDLE h = s->pending;
        s->pending = NULL;
        bool quit = s->quit;
        ReleaseSRWLockExclusive(&s->lock_pending);
        if (h) {
            FlushFileBuffers(h);
            CloseHandle(h);
        }
        if (quit)
            return 0;
    }
}

/* Gives h (owned) to the flusher; flushes and closes it here when the
 * flusher is busy or absent. */
static void flush_handle(rt_spool *s, HANDLE h)
{
    bool handed = false;
    if (s->flusher) {
        AcquireSRWLockExclusive(&s->lock_pending);
        if (!s->pending && !s->quit) {
            s->pending = h;
            handed = true;
        }
        ReleaseSRWLockExclusive(&s->lock_pending);
    }
    if (handed) {
        SetEvent(s->flush_event);
        return;
    }
    FlushFileBuffers(h);
    CloseHandle(h);
}

/* -------------------------------------------------------------- files */

static void seg_path(const rt_spool *s, uint64_t no, WCHAR *out)
{
    char name[21];
    rt_spool_segment_name(no, name);
    _snwprintf(out, MAX_PATH, L"%ls\\%hs", s->dir, name);
    out[MAX_PATH - 1] = 0;
}


static HANDLE open_read(const rt_spool *s, uint64_t no)
{
    WCHAR path[MAX_PATH];
    seg_path(s, no, path);
    return CreateFileW(path, GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
                       NULL, OPEN_EXISTING, FILE_FLAG_SEQUENTIAL_SCAN, NULL);
}

static bool add_seg(rt_spool *s, const seg_info *g)
{
    if (s->nsegs == s->cap_segs) {
        size_t cap = s->cap_segs ? s->cap_segs * 2 : 16;
        seg_info *n = realloc(s->segs, cap * sizeof *n);
        if (!n)
            return false;
        s->segs = n;
        s->cap_segs = cap;
    }
    s->segs[s->nsegs++] = *g;
    return true;
}

static seg_info *find_seg(rt_spool *s, uint64_t no)
{
    for (size_t i = 0; i < s->nsegs; i++)
        if (s->segs[i].no == no)
            return &s->segs[i];
    return NULL;
}

static void close_reader(rt_spool *s)
{
    if (s->r != INVALID_HANDLE_VALUE)
        CloseHandle(s->r);
    s->r = INVALID_HANDLE_VALUE;
    s->r_seg = 0;
    s->rbuf_len = 0;
}

/* Deletes segs[0] from disk and the table. */
static void delete_oldest(rt_spool *s)
{
    WCHAR path[MAX_PATH];
    if (s->r_seg == s->segs[0].no)
        close_reader(s);
    seg_path(s, s->segs[0].no, path);
    DeleteFileW(path);
    s->total_bytes -= s->segs[0].end;
    memmove(s->segs, s->segs + 1, (s->nsegs - 1) * sizeof *s->segs);
    s->nsegs--;
}

/* Makes rbuf hold at least `need` bytes from file offset `off` of segment
 * `no`, reading at most up to `limit`. Returns the bytes available from
 * off (less than need at the limit or on a read error). */
static size_t fill(rt_spool *s, uint64_t no, uint64_t off, size_t need, uint64_t limit,
                   const char **at)
{
    if (s->r_seg != no) {
        close_reader(s);
        s->r = open_read(s, no);
        if (s->r == INVALID_HANDLE_VALUE)
            return 0;
        s->r_seg = no;
    }
    if (off < s->rbuf_off || off > s->rbuf_off + s->rbuf_len) {
        s->rbuf_off = off; /* a jump (rewind): start over */
        s->rbuf_len = 0;
    }
    size_t have = (size_t)(s->rbuf_off + s->rbuf_len - off);
    if (have < need && off + have < limit) {
        memmove(s->rbuf, s->rbuf + (off - s->rbuf_off), have);
        s->rbuf_off = off;
        s->rbuf_len = have;
        LARGE_INTEGER li;
        li.QuadPart = (LONGLONG)(off + have);
        DWORD want = (DWORD)(RBUF_CAP - have), got = 0;
        if (limit - (off + have) < want)
            want = (DWORD)(limit - (off + have));
        if (SetFilePointerEx(s->r, li, NULL, FILE_BEGIN) && ReadFile(s->r, s->rbuf + have, want,
                                                                     &got, NULL))
            s->rbuf_len += got;
        have = s->rbuf_len;
    }
    *at = s->rbuf + (off - s->rbuf_off);
    return have;
}

/* ------------------------------------------------------------ opening */

/* Checks segment `no` record by record: its intact end and record count.
 * A bad header or a damaged tail is reported. When the saved cursor is in
 * this segment, *head moves to the first record boundary at or after it. */
static bool scan_seg(rt_spool *s, uint64_t no, uint64_t file_size, seg_info *g,
                     const rt_spool_pos *cursor, rt_spool_pos *head)
{
    const char *at;
    unsigned char hdr[RT_SPOOL_HEADER_SIZE];
    memset(g, 0, sizeof *g);
    g->no = no;
    g->first_ord = s->next_ord;
    size_t n = fill(s, no, 0, RT_SPOOL_HEADER_SIZE, file_size, &at);
    if (n >= RT_SPOOL_HEADER_SIZE)
        memcpy(hdr, at, sizeof hdr);
    if (n < RT_SPOOL_HEADER_SIZE || !rt_spool_segment_header_ok(hdr, no)) {
        reportf(s, "spool segment %016llx has no valid header (%llu bytes): deleted",
                (unsigned long long)no, (unsigned long long)file_size);
        return false;
    }
    uint64_t off = RT_SPOOL_HEADER_SIZE;
    int rc = RT_SPOOL_FRAME_OK;
    while (off < file_size) {
        rt_spool_rec rec;
        n = fill(s, no, off, RT_SPOOL_FRAME_HEADER, file_size, &at);
        rc = rt_spool_frame_parse(at, n, &rec);
        if (rc == RT_SPOOL_FRAME_MORE && n >= RT_SPOOL_FRAME_HEADER) {
            uint32_t len = (uint32_t)((unsigned char)at[0] | (unsigned char)at[1] << 8 |
                                      (unsigned char)at[2] << 16 | (uint32_t)(unsigned char)at[3] << 24);
            n = fill(s, no, off, RT_SPOOL_FRAME_HEADER + len, file_size, &at);
            rc = rt_spool_frame_parse(at, n, &rec);
        }
        if (rc != RT_SPOOL_FRAME_OK)
            break;
        off += rec.size;
        if (cursor->seg == no && off - rec.size < cursor->off) {
            head->ord = s->next_ord + 1; /* the cursor is past this record's start */
            head->off = off;
        }
        g->records++;
        s->next_ord++;
    }
    g->end = off;
    if (off < file_size)
        reportf(s, "spool segment %016llx: %s tail of %llu bytes after %llu records skipped",
                (unsigned long long)no, rc == RT_SPOOL_FRAME_MORE ? "torn" : "corrupt",
                (unsigned long long)(file_size - off), (unsigned long long)g->records);
    return true;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Lists the segment files, ascending; *n receives how many. */
static uint64_t *list_segments(rt_spool *s, size_t *n)
{
    WCHAR pattern[MAX_PATH];
    WIN32_FIND_DATAW fd;
    uint64_t *nos = NULL;
    size_t cap = 0;
    *n = 0;
    _snwprintf(pattern, MAX_PATH, L"%ls\\*.seg", s->dir);
    HANDLE h = FindFirstFileW(pattern, &fd);
    if (h == INVALID_HANDLE_VALUE)
        return NULL;
    do {
        char name[64];
        if (WideCharToMultiByte(CP_UTF8, 0, fd.cFileName, -1, name, sizeof name, NULL, NULL) <= 0)
            continue;
        uint64_t no = rt_spool_segment_parse_name(name);
        if (!no)
            continue;
        if (*n == cap) {
            cap = cap ? cap * 2 : 64;
            uint64_t *m = realloc(nos, cap * sizeof *m);
            if (!m)
                break;
            nos = m;
        }
        nos[(*n)++] = no;
    } while (FindNextFileW(h, &fd));
    FindClose(h);
    qsort(nos, *n, sizeof *nos, cmp_u64);
    return nos;
}

static void read_cursor(rt_spool *s, rt_spool_pos *pos)
{
    unsigned char file[RT_SPOOL_CURSOR_SIZE];
    DWORD got = 0;
    memset(pos, 0, sizeof *pos);
    if (!ReadFile(s->cursor_file, file, sizeof file, &got, NULL) ||
        !rt_spool_cursor_decode(file, got, pos, &s->cursor_gen))
        s->cursor_gen = 0;
}

/* Scans every segment and places head at the saved cursor. */
static void load(rt_spool *s)
{
    rt_spool_pos cursor;
    size_t n;
    read_cursor(s, &cursor);
    uint64_t *nos = list_segments(s, &n);
    s->head = (rt_spool_pos){0, 0, 0};
    bool head_set = false;
    for (size_t i = 0; i < n; i++) {
        WCHAR path[MAX_PATH];
        WIN32_FILE_ATTRIBUTE_DATA fa;
        seg_info g;
        seg_path(s, nos[i], path);
        if (!GetFileAttributesExW(path, GetFileExInfoStandard, &fa))
            continue;
        uint64_t size = (uint64_t)fa.nFileSizeHigh << 32 | fa.nFileSizeLow;
        rt_spool_pos h = {nos[i], RT_SPOOL_HEADER_SIZE, s->next_ord};
        if (!scan_seg(s, nos[i], size, &g, &cursor, &h)) {
            close_reader(s);
            DeleteFileW(path);
            continue;
        }
        if (!head_set && cursor.seg <= nos[i]) {
            /* The first segment at or after the cursor's: the cursor is in
             * it (scan_seg placed h), else h is its start. */
            s->head = h;
            head_set = true;
        }
        add_seg(s, &g);
        s->total_bytes += g.end;
    }
    s->last_no = n ? nos[n - 1] : 0;
    if (cursor.seg > s->last_no)
        s->last_no = cursor.seg; /* numbers never go back below the cursor's */
    free(nos);
    close_reader(s);
    if (!head_set) /* the cursor is past every segment: all delivered */
        s->head = (rt_spool_pos){UINT64_MAX, 0, s->next_ord};
    /* Old segments are never appended to: one the cursor has passed goes. */
    while (s->nsegs && (s->segs[0].no < s->head.seg ||
                        (s->segs[0].no == s->head.seg && s->head.off >= s->segs[0].end))) {
        delete_oldest(s);
        if (s->nsegs && rt_spool_pos_cmp(s->head, (rt_spool_pos){s->segs[0].no, 0, 0}) < 0)
            s->head = (rt_spool_pos){s->segs[0].no, RT_SPOOL_HEADER_SIZE, s->segs[0].first_ord};
    }
    if (s->nsegs == 0)
        s->head = (rt_spool_pos){0, 0, s->next_ord};
    s->send = s->head;
    s->saved = s->head;
    uint64_t pending = s->next_ord - s->head.ord;
    if (pending)
        reportf(s, "spool: %llu records from an earlier run will be delivered first",
                (unsigned long long)pending);
}

DWORD rt_spool_open(const WCHAR *dir, uint64_t max_bytes, rt_spool_report_fn report,
                    void *report_ctx, rt_spool **out)
{
    WCHAR path[MAX_PATH];
    DWORD err;
    rt_spool *s = calloc(1, sizeof *s);
    if (!s)
        return ERROR_NOT_ENOUGH_MEMORY;
    s->w = s->r = s->lock = s->cursor_file = INVALID_HANDLE_VALUE;
    wcsncpy(s->dir, dir, MAX_PATH - 1);
    s->max_bytes = max_bytes;
    s->seg_target = max_bytes / 8 < SEG_MIN ? SEG_MIN : max_bytes / 8 > SEG_MAX ? SEG_MAX
                                                                                : max_bytes / 8;
    s->report = report;
    s->report_ctx = report_ctx;
    s->wbuf = malloc(WBUF_CAP);
    s->rbuf = malloc(RBUF_CAP);
    err = ERROR_NOT_ENOUGH_MEMORY;
    if (!s->wbuf || !s->rbuf)
        goto fail;
    if ((err = rt_make_private_dir(dir)) != NO_ERROR)
        goto fail;
    _snwprintf(path, MAX_PATH, L"%ls\\lock", dir);
    s->lock = CreateFileW(path, GENERIC_READ | GENERIC_WRITE, 0, NULL, OPEN_ALWAYS,
                          FILE_ATTRIBUTE_NORMAL, NULL);
    if (s->lock == INVALID_HANDLE_VALUE)
        goto fail_last;
    _snwprintf(path, MAX_PATH, L"%ls\\cursor", dir);
    s->cursor_file = CreateFileW(path, GENERIC_READ | GENERIC_WRITE, FILE_SHARE_READ, NULL,
                                 OPEN_ALWAYS, FILE_ATTRIBUTE_NORMAL, NULL);
    if (s->cursor_file == INVALID_HANDLE_VALUE)
        goto fail_last;
    load(s);
    InitializeSRWLock(&s->lock_pending);
    s->flush_event = CreateEventW(NULL, FALSE, FALSE, NULL);
    if (s->flush_event)
        s->flusher = CreateThread(NULL, 0, flusher_main, s, 0, NULL);
    *out = s;
    return NO_ERROR;
fail_last:
    err = GetLastError();
fail:
    if (s->cursor_file != INVALID_HANDLE_VALUE)
        CloseHandle(s->cursor_file);
    if (s->lock != INVALID_HANDLE_VALUE)
        CloseHandle(s->lock);
    free(s->wbuf);
    free(s->rbuf);
    free(s->segs);
    free(s);
    return err;
}

/* ------------------------------------------------------------ writing */

/* Starts a new newest segment. */
static DWORD new_segment(rt_spool *s)
{
    WCHAR path[MAX_PATH];
    seg_info g = {0, RT_SPOOL_HEADER_SIZE, s->next_ord, 0};
    HANDLE h = INVALID_HANDLE_VALUE;
    for (int tries = 0; h == INVALID_HANDLE_VALUE && tries < 16; tries++) {
        g.no = ++s->last_no; /* a stray file of that number: take the next */
        seg_path(s, g.no, path);
        h = CreateFileW(path, GENERIC_WRITE, FILE_SHARE_READ | FILE_SHARE_DELETE, NULL,
                        CREATE_NEW, FILE_ATTRIBUTE_NORMAL, NULL);
        if (h == INVALID_HANDLE_VALUE && GetLastError() != ERROR_FILE_EXISTS)
            return GetLastError();
    }
    if (h == INVALID_HANDLE_VALUE)
        return ERROR_FILE_EXISTS;
    unsigned char hdr[RT_SPOOL_HEADER_SIZE];
    DWORD done = 0;
    rt_spool_segment_header(hdr, g.no);
    if (!WriteFile(h, hdr, sizeof hdr, &done, NULL) || done != sizeof hdr) {
        DWORD err = GetLastError();
        CloseHandle(h);
        DeleteFileW(path);
        return err ? err : ERROR_WRITE_FAULT;
    }
    if (!add_seg(s, &g)) {
        CloseHandle(h);
        DeleteFileW(path);
        return ERROR_NOT_ENOUGH_MEMORY;
    }
    if (s->nsegs == 1) { /* the spool was empty: head and send start here */
        s->head = (rt_spool_pos){g.no, RT_SPOOL_HEADER_SIZE, g.first_ord};
        s->send = s->head;
    }
    s->total_bytes += RT_SPOOL_HEADER_SIZE;
    s->w = h;
    return NO_ERROR;
}

/* Finishes the newest segment: its handle goes to the flusher. */
static void finish_segment(rt_spool *s)
{
    if (s->w != INVALID_HANDLE_VALUE)
        flush_handle(s, s->w);
    s->w = INVALID_HANDLE_VALUE;
}

DWORD rt_spool_append(rt_spool *s, uint64_t seq, uint32_t aux, const void *payload,
                      uint32_t len)
{
    size_t frame = RT_SPOOL_FRAME_HEADER + (size_t)len;
    if (len == 0 || len > RT_SPOOL_PAYLOAD_MAX)
        return ERROR_INVALID_PARAMETER;
    if (s->w != INVALID_HANDLE_VALUE) {
        seg_info *g = &s->segs[s->nsegs - 1];
        bool full = g->end + s->wlen + frame > s->seg_target && g->end + s->wlen > RT_SPOOL_HEADER_SIZE;
        if (full || s->wlen + frame > WBUF_CAP) {
            DWORD err = rt_spool_commit(s);
            if (err != NO_ERROR)
                return err;
            if (full)
                finish_segment(s);
        }
    }
    if (s->w == INVALID_HANDLE_VALUE) {
        DWORD err = new_segment(s);
        if (err != NO_ERROR)
            return err;
    }
    rt_spool_frame_header((unsigned char *)s->wbuf + s->wlen, seq, aux, payload, len);
    memcpy(s->wbuf + s->wlen + RT_SPOOL_FRAME_HEADER, payload, len);
    s->wlen += frame;
    s->batch_records++;
    return NO_ERROR;
}

/* Drops whole oldest segments while the spool is over its bound. */
static void enforce_bound(rt_spool *s)
{
    while (s->total_bytes > s->max_bytes && s->nsegs > 1) {
        seg_info *g = &s->segs[0];
        uint64_t end_ord = g->first_ord + g->records;
        uint64_t lost = end_ord > s->head.ord ? end_ord - s->head.ord : 0;
        if (lost > g->records)
            lost = g->records;
        s->lost += lost;
        reportf(s, "spool full (%llu MiB): oldest segment %016llx dropped, %llu records lost",
                (unsigned long long)(s->max_bytes >> 20), (unsigned long long)g->no,
                (unsigned long long)lost);
        rt_spool_pos next = {s->segs[1].no, RT_SPOOL_HEADER_SIZE, s->segs[1].first_ord};
        if (rt_spool_pos_cmp(s->head, next) < 0)
            s->head = next;
        if (rt_spool_pos_cmp(s->send, next) < 0) {
            s->send = next;
            s->reset = true;
        }
        delete_oldest(s);
    }
}

DWORD rt_spool_commit(rt_spool *s)
{
    if (s->wlen == 0)
        return NO_ERROR;
    seg_info *g = &s->segs[s->nsegs - 1];
    DWORD done = 0;
    if (!WriteFile(s->w, s->wbuf, (DWORD)s->wlen, &done, NULL) || done != s->wlen) {
        DWORD err = GetLastError();
        LARGE_INTEGER li;
        li.QuadPart = (LONGLONG)g->end; /* cut back to the last whole batch */
        if (!SetFilePointerEx(s->w, li, NULL, FILE_BEGIN) || !SetEndOfFile(s->w))
            finish_segment(s); /* cannot cut: never append after the torn bytes */
        s->wlen = 0;
        s->batch_records = 0;
        reportf(s, "spool write failed (Win32 error %lu)", (unsigned long)err);
        return err ? err : ERROR_WRITE_FAULT;
    }
    g->end += s->wlen;
    g->records += s->batch_records;
    s->dirty = true;
    s->next_ord += s->batch_records;
    s->total_bytes += s->wlen;
    s->wlen = 0;
    s->batch_records = 0;
    enforce_bound(s);
    return NO_ERROR;
}

/* ------------------------------------------------------------ reading */

int rt_spool_read(rt_spool *s, rt_spool_rec *rec, rt_spool_pos *end)
{
    for (;;) {
        seg_info *g = find_seg(s, s->send.seg);
        if (!g) { /* before the first segment or at an unknown one */
            if (s->nsegs == 0)
                return 0;
            size_t i = 0;
            while (i < s->nsegs && s->segs[i].no < s->send.seg)
                i++;
            if (i == s->nsegs)
                return 0;
            s->send = (rt_spool_pos){s->segs[i].no, RT_SPOOL_HEADER_SIZE, s->segs[i].first_ord};
            continue;
        }
        if (s->send.off >= g->end) {
            if (g == &s->segs[s->nsegs - 1])
                return 0; /* caught up with the writer */
            seg_info *next = g + 1;
            s->send = (rt_spool_pos){next->no, RT_SPOOL_HEADER_SIZE, next->first_ord};
            continue;
        }
        const char *at;
        size_t n = fill(s, g->no, s->send.off, RT_SPOOL_FRAME_HEADER, g->end, &at);
        int rc = rt_spool_frame_parse(at, n, rec);
        if (rc == RT_SPOOL_FRAME_MORE && n >= RT_SPOOL_FRAME_HEADER) {
            uint32_t len = (uint32_t)((unsigned char)at[0] | (unsigned char)at[1] << 8 |
                                      (unsigned char)at[2] << 16 | (uint32_t)(unsigned char)at[3] << 24);
            n = fill(s, g->no, s->send.off, RT_SPOOL_FRAME_HEADER + len, g->end, &at);
            rc = rt_spool_frame_parse(at, n, rec);
        }
        if (rc != RT_SPOOL_FRAME_OK) {
            /* Damaged after it was checked (or unreadable): the rest of
             * the segment cannot be delivered. */
            uint64_t left = g->first_ord + g->records - s->send.ord;
            reportf(s, "spool segment %016llx unreadable at offset %llu: %llu records lost",
                    (unsigned long long)g->no, (unsigned long long)s->send.off,
                    (unsigned long long)left);
            s->lost += left;
            s->total_bytes -= g->end - s->send.off;
            g->end = s->send.off;
            g->records -= left;
            if (g == &s->segs[s->nsegs - 1]) {
                finish_segment(s);
                return RT_EIO;
            }
            continue;
        }
        s->send.off += rec->size;
        s->send.ord++;
        *end = s->send;
        return 1;
    }
}

uint64_t rt_spool_committed(const rt_spool *s)
{
    return s->next_ord;
}

bool rt_spool_all_read(const rt_spool *s)
{
    if (s->nsegs == 0)
        return true;
    const seg_info *g = &s->segs[s->nsegs - 1];
    return s->send.seg > g->no || (s->send.seg == g->no && s->send.off >= g->end);
}

void rt_spool_confirm(rt_spool *s, rt_spool_pos upto)
{
    if (rt_spool_pos_cmp(upto, s->head) <= 0)
        return;
    s->head = upto;
    /* segments wholly before head (never the one being written) */
    while (s->nsegs > 1 && s->segs[0].no < s->head.seg)
        delete_oldest(s);
    if (s->nsegs == 1 && s->w == INVALID_HANDLE_VALUE && s->head.seg == s->segs[0].no &&
        s->head.off >= s->segs[0].end) {
        delete_oldest(s); /* an old segment, finished and delivered */
        s->head = s->send = (rt_spool_pos){0, 0, s->next_ord};
    }
}

rt_spool_pos rt_spool_send_pos(const rt_spool *s)
{
    return s->send;
}

void rt_spool_unread(rt_spool *s, rt_spool_pos pos)
{
    if (rt_spool_pos_cmp(pos, s->head) >= 0 && rt_spool_pos_cmp(pos, s->send) <= 0)
        s->send = pos;
}

void rt_spool_rewind(rt_spool *s)
{
    s->send = s->head;
}

bool rt_spool_take_reset(rt_spool *s)
{
    bool r = s->reset;
    s->reset = false;
    return r;
}

uint64_t rt_spool_take_lost(rt_spool *s)
{
    uint64_t n = s->lost;
    s->lost = 0;
    return n;
}

void rt_spool_backlog(const rt_spool *s, uint64_t *records, uint64_t *bytes)
{
    uint64_t b = s->wlen;
    for (size_t i = 0; i < s->nsegs; i++) {
        const seg_info *g = &s->segs[i];
        if (g->no > s->head.seg)
            b += g->end - RT_SPOOL_HEADER_SIZE;
        else if (g->no == s->head.seg && g->end > s->head.off)
            b += g->end - s->head.off;
    }
    *records = s->next_ord + s->batch_records - s->head.ord;
    *bytes = b;
}

/* ------------------------------------------------------------- cursor */

static void save_cursor(rt_spool *s)
{
    unsigned char slot[RT_SPOOL_CURSOR_SLOT];
    OVERLAPPED ov;
    DWORD done = 0;
    if (s->cursor_file == INVALID_HANDLE_VALUE ||
        (s->head.seg == s->saved.seg && s->head.off == s->saved.off))
        return;
    s->cursor_gen++;
    rt_spool_cursor_encode(slot, s->head, s->cursor_gen);
    memset(&ov, 0, sizeof ov);
    ov.Offset = (s->cursor_gen & 1) * RT_SPOOL_CURSOR_SLOT;
    if (WriteFile(s->cursor_file, slot, sizeof slot, &done, &ov) && done == sizeof slot)
        s->saved = s->head;
}

void rt_spool_flush(rt_spool *s)
{
    save_cursor(s);
    if (s->w == INVALID_HANDLE_VALUE || !s->dirty)
        return;
    s->dirty = false;
    HANDLE dup = NULL;
    if (s->flusher && DuplicateHandle(GetCurrentProcess(), s->w, GetCurrentProcess(), &dup, 0,
                                      FALSE, DUPLICATE_SAME_ACCESS)) {
        AcquireSRWLockExclusive(&s->lock_pending);
        bool busy = s->pending != NULL; /* the last one still runs: it covers this */
        if (!busy)
            s->pending = dup;
        ReleaseSRWLockExclusive(&s->lock_pending);
        if (busy)
            CloseHandle(dup);
        else
            SetEvent(s->flush_event);
    }
}

void rt_spool_close(rt_spool *s)
{
    rt_spool_commit(s);
    save_cursor(s);
    if (s->flusher) {
        AcquireSRWLockExclusive(&s->lock_pending);
        s->quit = true;
        ReleaseSRWLockExclusive(&s->lock_pending);
        SetEvent(s->flush_event);
        WaitForSingleObject(s->flusher, INFINITE);
        CloseHandle(s->flusher);
        s->flusher = NULL;
    }
    if (s->flush_event)
        CloseHandle(s->flush_event);
    if (s->w != INVALID_HANDLE_VALUE) {
        FlushFileBuffers(s->w);
        CloseHandle(s->w);
    }
    close_reader(s);
    if (s->cursor_file != INVALID_HANDLE_VALUE)
        CloseHandle(s->cursor_file);
    if (s->lock != INVALID_HANDLE_VALUE)
        CloseHandle(s->lock);
    free(s->segs);
    free(s->wbuf);
    free(s->rbuf);
    free(s);
}
