/*
 * sink_file.c - the built-in `file` sink: JSON Lines (default) or CSV.
 *
 * Files: <Directory>\<FilePrefix>-YYYYMMDD.jsonl (UTC day of the record),
 * then <FilePrefix>-YYYYMMDD.1.jsonl, .2 ... when a file reaches
 * MaxFileMB. Opened with FILE_APPEND_DATA and full sharing, so several
 * writers (two RRAS processes, rastapctl) can append to one file and
 * readers can follow it. Each write() call ends with one WriteFile of the
 * batch, so `accepted` is exact.
 *
 * Durability: flush() (once a second) hands a duplicate of the file handle
 * to this sink's flusher thread, which calls FlushFileBuffers. The worker
 * never waits for the disk: at 50 000 records/s a one-second fsync can take
 * longer than the ring lasts. close() stops the flusher and flushes
 * synchronously, so everything is on disk when RRAS's stop returns.
 *
 * The directory is created with a protected DACL that grants access to
 * SYSTEM and Administrators only: records hold personal data.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <windows.h>
#include <sddl.h>

#include "format.h"
#include "privdir.h"
#include "sinks.h"
#include "utf.h"

#define BUF_CAP (1u << 20)
#define DEFAULT_MAX_MB 100

typedef struct file_sink {
    WCHAR dir[MAX_PATH];
    WCHAR prefix[64];
    bool csv;
    uint64_t max_bytes;
    rt_format_ctx fmt;
    HANDLE h;
    int64_t day;
    unsigned index;
    uint64_t size;
    bool dirty;
    char *buf;
    size_t len;
    rastap_sink_host host;
    /* flusher thread: `pending` is a duplicate handle waiting to be flushed */
    HANDLE flusher, flush_event;
    SRWLOCK lock;
    HANDLE pending;
    bool quit;
} file_sink;

static DWORD WINAPI flusher_main(void *arg)
{
    file_sink *f = arg;
    for (;;) {
        WaitForSingleObject(f->flush_event, INFINITE);
        AcquireSRWLockExclusive(&f->lock);
        HANDLE h = f->pending;
        f->pending = NULL;
        bool quit = f->quit;
        ReleaseSRWLockExclusive(&f->lock);
        if (h) {
            FlushFileBuffers(h);
            CloseHandle(h);
        }
        if (quit)
            break;
    }
    return 0;
}

static void start_flusher(file_sink *f)
{
    InitializeSRWLock(&f->lock);
    f->flush_event = CreateEventW(NULL, FALSE, FALSE, NULL);
    if (f->flush_event)
        f->flusher = CreateThread(NULL, 0, flusher_main, f, 0, NULL);
}

/* Joins the flusher; whatever it had pending is flushed first. */
static void stop_flusher(file_sink *f)
{
    if (f->flusher) {
        AcquireSRWLockExclusive(&f->lock);
        f->quit = true;
        ReleaseSRWLockExclusive(&f->lock);
        SetEvent(f->flush_event);
        WaitForSingleObject(f->flusher, INFINITE);
        CloseHandle(f->flusher);
    }
    if (f->flush_event)
        CloseHandle(f->flush_event);
}

static void report(file_sink *f, DWORD err, const char *what)
{
    char msg[200];
    snprintf(msg, sizeof msg, "%s failed (Win32 error %lu)", what, (unsigned long)err);
    if (f->host.report_error)
        f->host.report_error(f->host.host_ctx, (int32_t)err, msg);
}

static void to_wide(const char *s, WCHAR *out, int cap)
{
    if (!MultiByteToWideChar(CP_UTF8, 0, s, -1, out, cap))
        out[0] = 0;
}

static void file_name(const file_sink *f, WCHAR *out, size_t cap)
{
    /* civil date of the UTC day (days since 1970-01-01) */
    int64_t z = f->day + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    unsigned d = doy - (153 * mp + 2) / 5 + 1;
    unsigned m = mp < 10 ? mp + 3 : mp - 9;
    long long y = (long long)yoe + era * 400 + (m <= 2);
    const WCHAR *ext = f->csv ? L"csv" : L"jsonl";
    if (f->index)
        _snwprintf(out, cap, L"%ls\\%ls-%04lld%02u%02u.%u.%ls", f->dir, f->prefix, y, m, d,
                   f->index, ext);
    else
        _snwprintf(out, cap, L"%ls\\%ls-%04lld%02u%02u.%ls", f->dir, f->prefix, y, m, d, ext);
    out[cap - 1] = 0;
}

/* Closes the current file; its flush goes to the flusher when it is free
 * (rotation must not stall the worker), else happens here. */
static void close_file(file_sink *f)
{
    if (f->h != INVALID_HANDLE_VALUE) {
        bool handed = false;
        if (f->dirty && f->flusher && !f->quit) {
            AcquireSRWLockExclusive(&f->lock);
            if (!f->pending) {
                f->pending = f->h; /* the flusher flushes and closes it */
                handed = true;
            }
            ReleaseSRWLockExclusive(&f->lock);
            if (handed)
                SetEvent(f->flush_event);
        }
        if (!handed) {
            if (f->dirty)
                FlushFileBuffers(f->h);
            CloseHandle(f->h);
        }
    }
    f->h = INVALID_HANDLE_VALUE;
    f->dirty = false;
}

/* Opens the file for `day`, skipping files already at the size cap. */
static DWORD open_file(file_sink *f, int64_t day)
{
    close_file(f);
    if (day != f->day)
        f->index = 0;
    f->day = day;
    DWORD err = rt_make_private_dir(f->dir);
    if (err != NO_ERROR)
        return err;
    for (;; f->index++) {
        WCHAR path[MAX_PATH + 80];
        file_name(f, path, sizeof path / sizeof path[0]);
        HANDLE h = CreateFileW(path, FILE_APPEND_DATA | SYNCHRONIZE,
                               FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, NULL,
                               OPEN_ALWAYS, FILE_ATTRIBUTE_NORMAL, NULL);
        if (h == INVALID_HANDLE_VALUE)
            return GetLastError();
        LARGE_INTEGER size;
        if (!GetFileSizeEx(h, &size))
            size.QuadPart = 0;
        if ((uint64_t)size.QuadPart >= f->max_bytes && f->index < 100000) {
            CloseHandle(h);
            continue;
        }
        f->h = h;
        f->size = (uint64_t)size.QuadPart;
        if (f->csv && f->size == 0) {
            rt_buf b = {f->buf, f->len, BUF_CAP, false};
            rt_format_csv_header(&b);
            f->len = b.len;
        }
        return NO_ERROR;
    }
}

/* Writes the buffer out; false (and the buffer kept) on failure. */
static bool write_buf(file_sink *f)
{
    if (!f->len)
        return true;
    DWORD done = 0;
    if (!WriteFile(f->h, f->buf, (DWORD)f->len, &done, NULL) || done != f->len) {
        report(f, GetLastError(), "WriteFile");
        close_file(f); /* reopened (and the directory re-created) on retry */
        return false;
    }
    f->size += done;
    f->len = 0;
    f->dirty = true;
    return true;
}

static int32_t fs_open(const rastap_sink_settings *s, const rastap_sink_host *host, void **ctx)
{
    file_sink *f = calloc(1, sizeof *f);
    if (!f)
        return RASTAP_SINK_ERETRY;
    f->buf = malloc(BUF_CAP);
    if (!f->buf) {
        free(f);
        return RASTAP_SINK_ERETRY;
    }
    f->host = *host;
    f->h = INVALID_HANDLE_VALUE;
    f->day = -1;
    const char *v = s->get(s->ctx, "Directory");
    if (v && *v) {
        to_wide(v, f->dir, MAX_PATH);
    } else {
        DWORD n = GetEnvironmentVariableW(L"ProgramData", f->dir, MAX_PATH - 8);
        if (n == 0 || n >= MAX_PATH - 8)
            wcscpy(f->dir, L"C:\\ProgramData");
        wcscat(f->dir, L"\\rastap");
    }
    size_t dl = wcslen(f->dir);
    while (dl > 3 && (f->dir[dl - 1] == L'\\' || f->dir[dl - 1] == L'/'))
        f->dir[--dl] = 0;
    v = s->get(s->ctx, "FilePrefix");
    to_wide(v && *v ? v : "rastap", f->prefix, 64);
    v = s->get(s->ctx, "Format");
    f->csv = v && _stricmp(v, "csv") == 0;
    v = s->get(s->ctx, "MaxFileMB");
    unsigned long mb = v ? strtoul(v, NULL, 10) : DEFAULT_MAX_MB;
    f->max_bytes = (uint64_t)(mb ? mb : DEFAULT_MAX_MB) << 20;
    f->fmt = *rt_sinks_format_ctx();
    v = s->get(s->ctx, "CsvDefuse");
    f->fmt.csv_defuse = !(v && strcmp(v, "0") == 0);
    DWORD err = rt_make_private_dir(f->dir);
    if (err != NO_ERROR)
        report(f, err, "creating the log directory");
    start_flusher(f);
    *ctx = f;
    return RASTAP_SINK_OK; /* the directory is retried with every write */
}

static int32_t fs_write(void *ctx, const rastap_record *recs, size_t n, size_t *accepted)
{
    file_sink *f = ctx;
    *accepted = 0;
    for (size_t i = 0; i < n; i++) {
        int64_t day = recs[i].time_us >= 0 ? recs[i].time_us / 86400000000LL
                                           : -1 - (-recs[i].time_us - 1) / 86400000000LL;
        size_t need = f->csv ? RT_RECORD_MAX : recs[i].json_len + 1;
        bool rotate = f->h == INVALID_HANDLE_VALUE || day != f->day ||
                      (f->size + f->len + need > f->max_bytes && f->size + f->len > 0);
        if (rotate || f->len + need > BUF_CAP) {
            if (!write_buf(f))
                return RASTAP_SINK_ERETRY;
            *accepted = i;
            if (rotate) {
                if (f->h != INVALID_HANDLE_VALUE && day == f->day)
                    f->index++;
                DWORD err = open_file(f, day);
                if (err != NO_ERROR) {
                    report(f, err, "opening the log file");
                    return RASTAP_SINK_ERETRY;
                }
            }
        }
        if (f->csv) {
            const rt_out_record *o = recs[i].native;
            rt_record r = {o->seq, o->time_us, o->ev, o->tunnel_hint};
            rt_buf b = {f->buf, f->len, BUF_CAP, false};
            rt_format_csv(&f->fmt, &r, &b);
            f->len = b.len;
        } else {
            memcpy(f->buf + f->len, recs[i].json, recs[i].json_len);
            f->buf[f->len + recs[i].json_len] = '\n';
            f->len += recs[i].json_len + 1;
        }
    }
    if (!write_buf(f))
        return RASTAP_SINK_ERETRY;
    *accepted = n;
    return RASTAP_SINK_OK;
}

static int32_t fs_flush(void *ctx)
{
    file_sink *f = ctx;
    if (f->h == INVALID_HANDLE_VALUE || !f->dirty)
        return RASTAP_SINK_OK;
    if (!f->flusher) /* no thread: flush here */
        return FlushFileBuffers(f->h) ? (f->dirty = false, RASTAP_SINK_OK) : RASTAP_SINK_ERETRY;
    AcquireSRWLockExclusive(&f->lock);
    bool busy = f->pending != NULL; /* the last one is still waiting: it covers this */
    HANDLE dup = NULL;
    if (!busy && DuplicateHandle(GetCurrentProcess(), f->h, GetCurrentProcess(), &dup, 0, FALSE,
                                 DUPLICATE_SAME_ACCESS))
        f->pending = dup;
    ReleaseSRWLockExclusive(&f->lock);
    if (dup)
        SetEvent(f->flush_event);
    f->dirty = busy || !dup;
    return RASTAP_SINK_OK;
}

static void fs_close(void *ctx)
{
    file_sink *f = ctx;
    if (f->h != INVALID_HANDLE_VALUE)
        write_buf(f);
    stop_flusher(f);
    close_file(f);
    free(f->buf);
    free(f);
}

bool rt_sink_file_needs_json(void *ctx)
{
    return !((const file_sink *)ctx)->csv;
}

const rastap_sink_vtbl *rt_sink_file_vtbl(void)
{
    static const rastap_sink_vtbl vt = {sizeof vt, RASTAP_SINK_ABI_VERSION, "file",
                                        fs_open,   fs_write, fs_flush, fs_close};
    return &vt;
}
