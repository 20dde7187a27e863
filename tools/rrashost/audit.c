/*
 * audit.c - did rastap write every event exactly once, and right?
 *
 * Records are ours when their pid is this process and their time is not
 * older than the load of the DLL (pids are reused, times are not). Calls
 * and records are paired by a key that identifies one call within a run:
 * the callout plus the connection handle (connection callouts), plus the
 * port (link callouts), or the port alone (address callouts: ports are
 * unique per session). Several calls under one key (two reauthentications)
 * pair in order. A paired record whose content differs is "mismatched".
 */
#include <stdlib.h>
#include <string.h>

#include "audit.h"

#define SHOW 10

typedef struct recs {
    rh_record *v;
    size_t n, cap;
} recs;

static bool read_all(const wchar_t *path, char **buf, size_t *len)
{
    HANDLE f = CreateFileW(path, GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE |
                           FILE_SHARE_DELETE, NULL, OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, NULL);
    LARGE_INTEGER size;
    bool ok = false;
    if (f == INVALID_HANDLE_VALUE)
        return false;
    if (!GetFileSizeEx(f, &size) || size.QuadPart > (LONGLONG)1 << 40)
        goto cleanup_file;
    *buf = malloc((size_t)size.QuadPart + 1);
    if (!*buf)
        goto cleanup_file;
    *len = 0;
    while (*len < (size_t)size.QuadPart) {
        size_t left = (size_t)size.QuadPart - *len;
        DWORD got = 0, want = (DWORD)(left < ((size_t)1 << 30) ? left : ((size_t)1 << 30));
        if (!ReadFile(f, *buf + *len, want, &got, NULL) || got == 0)
            break;
        *len += got;
    }
    ok = true;
cleanup_file:
    CloseHandle(f);
    return ok;
}

static void keep(recs *rs, rh_record *r)
{
    if (rs->n == rs->cap) {
        rs->cap = rs->cap ? rs->cap * 2 : 4096;
        rh_record *bigger = realloc(rs->v, rs->cap * sizeof *rs->v);
        if (!bigger) {
            fputs("rrashost: out of memory\n", stderr);
            exit(RH_EXIT_USAGE);
        }
        rs->v = bigger;
    }
    rs->v[rs->n++] = *r;
}

static void scan_file(char *buf, size_t len, const char *since, unsigned long pid, recs *rs,
                      rh_audit_result *res)
{
    size_t start = 0;
    while (start < len) {
        char *nl = memchr(buf + start, '\n', len - start);
        size_t end = nl ? (size_t)(nl - buf) : len;
        size_t l = end - start;
        if (l > 0 && buf[start + l - 1] == '\r')
            l--;
        if (l > 0) {
            rh_record r;
            res->lines++;
            if (!rh_record_parse(buf + start, l, &r) || !(r.has & RH_R_SEQ) || !r.instance[0]) {
                res->bad_lines++;
            } else if ((r.has & RH_R_PID) && r.pid == pid && strcmp(r.time, since) >= 0) {
                keep(rs, &r);
            } else {
                rh_record_free(&r);
            }
        }
        start = end + 1;
    }
}

static bool load_dir(const wchar_t *dir, const char *since, unsigned long pid, recs *rs,
                     rh_audit_result *res)
{
    wchar_t pattern[MAX_PATH + 16], path[MAX_PATH + 300];
    WIN32_FIND_DATAW fd;
    _snwprintf(pattern, MAX_PATH + 16, L"%ls\\*.jsonl", dir);
    pattern[MAX_PATH + 15] = 0;
    HANDLE h = FindFirstFileW(pattern, &fd);
    if (h == INVALID_HANDLE_VALUE)
        return GetLastError() == ERROR_FILE_NOT_FOUND;
    do {
        if (fd.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY)
            continue;
        _snwprintf(path, MAX_PATH + 300, L"%ls\\%ls", dir, fd.cFileName);
        path[MAX_PATH + 299] = 0;
        char *buf = NULL;
        size_t len = 0;
        if (!read_all(path, &buf, &len)) {
            res->io_error = true;
            continue;
        }
        res->files++;
        scan_file(buf, len, since, pid, rs, res);
        free(buf);
    } while (FindNextFileW(h, &fd));
    FindClose(h);
    return true;
}

static int by_instance_seq(const void *a, const void *b)
{
    const rh_record *x = a, *y = b;
    int c = strcmp(x->instance, y->instance);
    if (c)
        return c;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static void check_seq(recs *rs, rh_audit_result *res, bool quiet)
{
    qsort(rs->v, rs->n, sizeof *rs->v, by_instance_seq);
    for (size_t i = 0; i < rs->n; i++) {
        bool first = i == 0 || strcmp(rs->v[i].instance, rs->v[i - 1].instance) != 0;
        uint64_t want = first ? 1 : rs->v[i - 1].seq + 1;
        if (first)
            res->instances++;
        if (!first && rs->v[i].seq == rs->v[i - 1].seq) {
            if (!quiet && res->seq_repeats < SHOW)
                printf("  seq repeated: instance %s seq %llu\n", rs->v[i].instance,
                       (unsigned long long)rs->v[i].seq);
            res->seq_repeats++;
        } else if (rs->v[i].seq != want) {
            if (!quiet && res->seq_gaps < SHOW)
                printf("  seq gap: instance %s jumps from %llu to %llu\n", rs->v[i].instance,
                       (unsigned long long)(want - 1), (unsigned long long)rs->v[i].seq);
            res->seq_gaps++;
        }
    }
}

bool rh_audit(const wchar_t *dir, rh_expect_list *exp, const char *since, unsigned long pid,
              bool quiet, rh_audit_result *res)
{
    recs rs = {0};
    memset(res, 0, sizeof *res);
    res->ran = true;
    res->fired = exp->n;
    char *dir8 = NULL;
    int n8 = WideCharToMultiByte(CP_UTF8, 0, dir, -1, NULL, 0, NULL, NULL);
    dir8 = malloc(n8 > 0 ? (size_t)n8 : 1);
    if (dir8 && !WideCharToMultiByte(CP_UTF8, 0, dir, -1, dir8, n8, NULL, NULL))
        dir8[0] = 0;
    if (!load_dir(dir, since, pid, &rs, res)) {
        printf("audit: cannot read %s (error %lu)\n", dir8 ? dir8 : "?", GetLastError());
        res->io_error = true;
    }
    res->records = rs.n;
    printf("audit: %s: %u file(s), %llu line(s), %llu record(s) from this process and run\n",
           dir8 ? dir8 : "?", res->files, (unsigned long long)res->lines,
           (unsigned long long)res->records);
    check_seq(&rs, res, quiet);
    rh_audit_match(exp, rs.v, rs.n, res, quiet);
    res->lost = (int64_t)res->missing - (int64_t)res->dropped;
    res->ok = !res->io_error && res->lost == 0 && !res->duplicated && !res->unexpected &&
              !res->mismatched && !res->seq_gaps && !res->seq_repeats && res->instances > 0;
    if (res->bad_lines)
        printf("audit: warning: %llu line(s) are not valid records (any run)\n",
               (unsigned long long)res->bad_lines);
    printf("audit: %u rastap instance(s); fired %llu, written %llu, dropped %llu "
           "(events.dropped), missing %llu, duplicated %llu, unexpected %llu, mismatched %llu, "
           "seq gaps %llu, seq repeats %llu\n",
           res->instances, (unsigned long long)res->fired, (unsigned long long)res->written,
           (unsigned long long)res->dropped, (unsigned long long)res->missing,
           (unsigned long long)res->duplicated, (unsigned long long)res->unexpected,
           (unsigned long long)res->mismatched, (unsigned long long)res->seq_gaps,
           (unsigned long long)res->seq_repeats);
    if (res->instances == 0)
        printf("audit: no record of this run found: is rastap writing JSON Lines to this "
               "directory?\n");
    printf("lost: %lld\n", (long long)res->lost);
    for (size_t i = 0; i < rs.n; i++)
        rh_record_free(&rs.v[i]);
    free(rs.v);
    free(dir8);
    return res->ok;
}
