/*
 * test_spool_win.c - src/win/spool.c on real files under Wine: records come
 * back in order across segments and reopenings, the cursor survives a
 * close, the size bound drops whole oldest segments and counts what they
 * held, a torn or corrupt tail is skipped and reported (never delivered),
 * a second opener is refused, and a directory the spool creates gets the
 * protected SYSTEM + Administrators DACL.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include <windows.h>
#include <aclapi.h>
#include <sddl.h>

#include "iat.h"
#include "sink_syslog.h"
#include "testutil.h"

static WCHAR dir[MAX_PATH];
static char reports[8192];

static void collect(void *ctx, const char *msg)
{
    (void)ctx;
    strncat(reports, msg, sizeof reports - strlen(reports) - 2);
    strcat(reports, "\n");
}

static void rmtree(const WCHAR *path)
{
    WCHAR pattern[MAX_PATH], sub[MAX_PATH];
    WIN32_FIND_DATAW fd;
    _snwprintf(pattern, MAX_PATH, L"%ls\\*", path);
    HANDLE h = FindFirstFileW(pattern, &fd);
    if (h != INVALID_HANDLE_VALUE) {
        do {
            if (!wcscmp(fd.cFileName, L".") || !wcscmp(fd.cFileName, L".."))
                continue;
            _snwprintf(sub, MAX_PATH, L"%ls\\%ls", path, fd.cFileName);
            if (fd.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY)
                rmtree(sub);
            else
                DeleteFileW(sub);
        } while (FindNextFileW(h, &fd));
        FindClose(h);
    }
    RemoveDirectoryW(path);
}

/* dir = %TEMP%\rastap-tests\spool\<tag>, not existing. */
static void fresh(const char *tag)
{
    WCHAR base[MAX_PATH];
    tu_temp_dir("spool", base, MAX_PATH);
    CreateDirectoryW(base, NULL);
    _snwprintf(dir, MAX_PATH, L"%ls\\%hs", base, tag);
    rmtree(dir);
    reports[0] = 0;
}

static rt_spool *open_spool(uint64_t max)
{
    rt_spool *s = NULL;
    assert_int_equal(rt_spool_open(dir, max, collect, NULL, &s), NO_ERROR);
    return s;
}

/* A payload that names its seq, padded to `size` bytes. */
static uint32_t payload(char *buf, uint64_t seq, uint32_t size)
{
    int n = snprintf(buf, size, "<134>1 - - - - - [rastap@32473 seq=\"%llu\"]",
                     (unsigned long long)seq);
    memset(buf + n, 'x', size - (uint32_t)n);
    return size;
}

static void append(rt_spool *s, uint64_t first, uint64_t count, uint32_t size)
{
    char buf[4096];
    for (uint64_t q = first; q < first + count; q++) {
        uint32_t n = payload(buf, q, size);
        assert_int_equal(rt_spool_append(s, q, 7, buf, n), NO_ERROR);
    }
    assert_int_equal(rt_spool_commit(s), NO_ERROR);
}

/* Reads up to max records, checking they run seq first, first+1, ...;
 * confirms them when asked. Returns how many. */
static uint64_t read_run(rt_spool *s, uint64_t first, uint64_t max, bool confirm)
{
    rt_spool_rec r;
    rt_spool_pos end;
    uint64_t n = 0;
    char want[4096];
    while (n < max && rt_spool_read(s, &r, &end) == 1) {
        assert_int_equal(r.seq, first + n);
        assert_int_equal(r.aux, 7);
        payload(want, r.seq, r.len);
        assert_memory_equal(r.payload, want, r.len);
        if (confirm)
            rt_spool_confirm(s, end);
        n++;
    }
    return n;
}

static unsigned count_segments(void)
{
    WCHAR pattern[MAX_PATH];
    WIN32_FIND_DATAW fd;
    unsigned n = 0;
    _snwprintf(pattern, MAX_PATH, L"%ls\\*.seg", dir);
    HANDLE h = FindFirstFileW(pattern, &fd);
    if (h == INVALID_HANDLE_VALUE)
        return 0;
    do
        n++;
    while (FindNextFileW(h, &fd));
    FindClose(h);
    return n;
}

/* The newest segment file's path. */
static void newest_segment(WCHAR *out)
{
    WCHAR pattern[MAX_PATH], best[MAX_PATH] = L"";
    WIN32_FIND_DATAW fd;
    _snwprintf(pattern, MAX_PATH, L"%ls\\*.seg", dir);
    HANDLE h = FindFirstFileW(pattern, &fd);
    assert_true(h != INVALID_HANDLE_VALUE);
    do
        if (wcscmp(fd.cFileName, best) > 0)
            wcscpy(best, fd.cFileName);
    while (FindNextFileW(h, &fd));
    FindClose(h);
    _snwprintf(out, MAX_PATH, L"%ls\\%ls", dir, best);
}

static void test_round_trip_and_rotation(void **state)
{
    (void)state;
    fresh("rotation");
    rt_spool *s = open_spool(1u << 20); /* segments of 256 KiB */
    uint64_t next = 1, got = 0;
    for (int round = 0; round < 20; round++) { /* 20 x 200 x 1000 B: 4 MB through 1 MiB */
        append(s, next, 200, 1000);
        next += 200;
        got += read_run(s, got + 1, UINT64_MAX, true);
        /* delivered segments go; one the flusher still holds may linger */
        assert_true(count_segments() <= 3);
    }
    assert_int_equal(got, next - 1);
    assert_true(rt_spool_all_read(s));
    uint64_t rec, bytes;
    rt_spool_backlog(s, &rec, &bytes);
    assert_int_equal(rec, 0);
    assert_int_equal(rt_spool_take_lost(s), 0);
    assert_int_equal(rt_spool_committed(s), next - 1);
    rt_spool_close(s);
}

static void test_bound_drops_oldest_and_counts(void **state)
{
    (void)state;
    fresh("bound");
    rt_spool *s = open_spool(1u << 20);
    append(s, 1, 3000, 1000); /* ~3 MB, nothing confirmed */
    uint64_t lost = rt_spool_take_lost(s), rec, bytes;
    rt_spool_backlog(s, &rec, &bytes);
    assert_true(lost > 0);
    assert_int_equal(lost + rec, 3000);
    assert_true(bytes <= (1u << 20));
    assert_non_null(strstr(reports, "spool full"));
    /* what is left starts right after the lost ones, in order */
    assert_int_equal(read_run(s, lost + 1, UINT64_MAX, true), rec);
    rt_spool_close(s);
}

static void test_reopen_replays_from_cursor(void **state)
{
    (void)state;
    fresh("reopen");
    rt_spool *s = open_spool(64u << 20);
    append(s, 1, 100, 300);
    assert_int_equal(read_run(s, 1, 30, true), 30);
    assert_int_equal(read_run(s, 31, 10, false), 10); /* sent, never confirmed */
    rt_spool_flush(s);
    rt_spool_close(s);

    s = open_spool(64u << 20);
    uint64_t rec, bytes;
    rt_spool_backlog(s, &rec, &bytes);
    assert_int_equal(rec, 70);
    assert_non_null(strstr(reports, "70 records from an earlier run"));
    append(s, 101, 5, 300); /* new records queue behind the old ones */
    assert_int_equal(read_run(s, 31, UINT64_MAX, false), 75);
    rt_spool_rewind(s); /* a broken connection: from the cursor again */
    assert_int_equal(read_run(s, 31, UINT64_MAX, true), 75);
    rt_spool_close(s);

    s = open_spool(64u << 20); /* everything confirmed: nothing left */
    rt_spool_backlog(s, &rec, &bytes);
    assert_int_equal(rec, 0);
    rt_spool_close(s);
    assert_int_equal(count_segments(), 0); /* delivered segments are deleted */
}

static void damage_tail(bool torn)
{
    WCHAR path[MAX_PATH];
    newest_segment(path);
    HANDLE h = CreateFileW(path, GENERIC_READ | GENERIC_WRITE, 0, NULL, OPEN_EXISTING, 0, NULL);
    assert_true(h != INVALID_HANDLE_VALUE);
    LARGE_INTEGER size, at;
    GetFileSizeEx(h, &size);
    if (torn) { /* a crash cut the last record short */
        at.QuadPart = size.QuadPart - 5;
        SetFilePointerEx(h, at, NULL, FILE_BEGIN);
        SetEndOfFile(h);
    } else { /* a bit flipped in the last record's payload */
        char c;
        DWORD n;
        at.QuadPart = size.QuadPart - 10;
        SetFilePointerEx(h, at, NULL, FILE_BEGIN);
        ReadFile(h, &c, 1, &n, NULL);
        c ^= 0x20;
        SetFilePointerEx(h, at, NULL, FILE_BEGIN);
        WriteFile(h, &c, 1, &n, NULL);
    }
    CloseHandle(h);
}

static void damaged_tail(bool torn)
{
    fresh(torn ? "torn" : "corrupt");
    rt_spool *s = open_spool(64u << 20);
    append(s, 1, 10, 500);
    rt_spool_close(s);
    damage_tail(torn);
    s = open_spool(64u << 20);
    assert_non_null(strstr(reports, torn ? "torn tail" : "corrupt tail"));
    assert_non_null(strstr(reports, "after 9 records skipped"));
    append(s, 11, 3, 500); /* appends go to a new segment, after the damage */
    assert_int_equal(read_run(s, 1, 9, true), 9);
    assert_int_equal(read_run(s, 11, UINT64_MAX, true), 3);
    assert_int_equal(rt_spool_take_lost(s), 0);
    rt_spool_close(s);
}

static void test_torn_tail(void **state)
{
    (void)state;
    damaged_tail(true);
}

static void test_corrupt_tail(void **state)
{
    (void)state;
    damaged_tail(false);
}

static void test_bad_cursor_replays_everything(void **state)
{
    (void)state;
    fresh("cursor");
    rt_spool *s = open_spool(64u << 20);
    append(s, 1, 20, 200);
    read_run(s, 1, 15, true);
    rt_spool_close(s);
    WCHAR path[MAX_PATH];
    _snwprintf(path, MAX_PATH, L"%ls\\cursor", dir);
    HANDLE h = CreateFileW(path, GENERIC_WRITE, 0, NULL, CREATE_ALWAYS, 0, NULL);
    DWORD n;
    WriteFile(h, "garbage garbage garbage garbage garbage garbage garbage garbage", 64, &n, NULL);
    CloseHandle(h);
    s = open_spool(64u << 20); /* no valid cursor: at least once, from the start */
    assert_int_equal(read_run(s, 1, UINT64_MAX, true), 20);
    rt_spool_close(s);
}

/* CreateDirectoryW as the spool calls it: the DACL it asks for. Wine keeps
 * no security descriptors on its files, so the request is what can be
 * checked here; Windows applies it as given. */
typedef BOOL(WINAPI *create_dir_fn)(LPCWSTR, LPSECURITY_ATTRIBUTES);
static create_dir_fn real_create_dir;
static unsigned dirs_created;
static WCHAR dir_sddl[4][256];

static BOOL WINAPI spy_create_dir(LPCWSTR path, LPSECURITY_ATTRIBUTES sa)
{
    LPWSTR sddl = NULL;
    if (dirs_created < 4) {
        dir_sddl[dirs_created][0] = 0;
        if (sa && sa->lpSecurityDescriptor &&
            ConvertSecurityDescriptorToStringSecurityDescriptorW(
                sa->lpSecurityDescriptor, SDDL_REVISION_1, DACL_SECURITY_INFORMATION, &sddl,
                NULL)) {
            wcsncpy(dir_sddl[dirs_created], sddl, 255);
            LocalFree(sddl);
        }
    }
    dirs_created++;
    return real_create_dir(path, sa);
}

static void test_lock_and_acl(void **state)
{
    (void)state;
    fresh("lock");
    WCHAR parent[MAX_PATH];
    wcscpy(parent, dir);
    _snwprintf(dir, MAX_PATH, L"%ls\\nested", parent); /* two levels to create */
    real_create_dir = tu_iat_hook(GetModuleHandleW(NULL), "KERNEL32.dll", "CreateDirectoryW",
                                  (void *)spy_create_dir);
    assert_non_null(real_create_dir);
    rt_spool *s = open_spool(1u << 20), *t = NULL;
    tu_iat_hook(GetModuleHandleW(NULL), "KERNEL32.dll", "CreateDirectoryW",
                (void *)real_create_dir);
    assert_int_equal(dirs_created, 2);
    for (unsigned i = 0; i < 2; i++)
        assert_int_equal(wcscmp(dir_sddl[i], L"D:P(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)"), 0);
    /* one process at a time */
    assert_int_equal(rt_spool_open(dir, 1u << 20, collect, NULL, &t), ERROR_SHARING_VIOLATION);
    rt_spool_close(s);
    assert_int_equal(rt_spool_open(dir, 1u << 20, collect, NULL, &t), NO_ERROR);
    rt_spool_close(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip_and_rotation),
        cmocka_unit_test(test_bound_drops_oldest_and_counts),
        cmocka_unit_test(test_reopen_replays_from_cursor),
        cmocka_unit_test(test_torn_tail),
        cmocka_unit_test(test_corrupt_tail),
        cmocka_unit_test(test_bad_cursor_replays_everything),
        cmocka_unit_test(test_lock_and_acl),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
