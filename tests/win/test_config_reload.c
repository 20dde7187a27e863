/*
 * test_config_reload.c - live reload with Wine's real registry: a producer
 * thread fires callouts without pause while the configuration's Directory,
 * then its Format change under it. Each change must be in force within a
 * second (its config.applied record is on disk), and every record fired
 * before, during and after the changes must arrive exactly once, across the
 * old and the new files (JSON Lines and CSV), with seq contiguous.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "ras_contract.h"
#include "testutil.h"

#define MAX_FIRED 400000
#define CHANGE_BOUND_MS 1000

static const char *dll_arg;
static HMODULE dll;
static WCHAR dir_a[MAX_PATH], dir_b[MAX_PATH];
static volatile LONG stop_producer;
static volatile LONG fired;

/* ------------------------------------------------------------ producer */

static DWORD WINAPI producer(void *arg)
{
    (void)arg;
    rt_pfn_accept_conn accept =
        (rt_pfn_accept_conn)(void *)GetProcAddress(dll, "MprAdminAcceptNewConnection");
    RAS_CONNECTION_0 c0;
    RAS_CONNECTION_1 c1;
    memset(&c0, 0, sizeof c0);
    memset(&c1, 0, sizeof c1);
    wcscpy(c0.wszInterfaceName, L"reload");
    while (!stop_producer && fired < MAX_FIRED) {
        LONG id = fired + 1;
        c0.hConnection = (HANDLE)(uintptr_t)id;
        accept(&c0, &c1);
        fired = id;
        if ((id & 15) == 0)
            Sleep(1); /* RRAS's pace is lower; keep the ring from overflowing */
    }
    return 0;
}

/* ------------------------------------------------------------ records */

typedef struct rec {
    uint64_t seq;
    uint64_t conn;      /* 0 when the record has no connection */
    char event[32];
    uint64_t generation;
    uint64_t count;     /* events.dropped */
    int file;           /* 0 A jsonl, 1 B jsonl, 2 B csv */
} rec;

static rec *recs;
static size_t nrecs;

static uint64_t num_after(const char *line, const char *key)
{
    const char *p = strstr(line, key);
    return p ? strtoull(p + strlen(key), NULL, 10) : 0;
}

static void add_json(const char *line, int file)
{
    rec *r = &recs[nrecs++];
    memset(r, 0, sizeof *r);
    r->file = file;
    r->seq = num_after(line, "\"seq\":");
    const char *e = strstr(line, "\"event\":\"");
    if (e)
        sscanf(e + 9, "%31[^\"]", r->event);
    const char *c = strstr(line, "\"connection\":\"0x");
    if (c)
        r->conn = strtoull(c + 16, NULL, 16);
    r->generation = num_after(line, "\"generation\":");
    r->count = num_after(line, "\"count\":");
}

/* Cell i of a CSV row (RFC 4180 quoting), unquoted, into out. */
static void csv_cell(const char *line, int want, char *out, size_t cap)
{
    int cell = 0;
    size_t k = 0;
    bool quoted = false;
    out[0] = 0;
    for (const char *p = line; *p && *p != '\r' && *p != '\n'; p++) {
        if (quoted) {
            if (*p == '"' && p[1] == '"') {
                if (cell == want && k + 1 < cap)
                    out[k++] = '"';
                p++;
            } else if (*p == '"') {
                quoted = false;
            } else if (cell == want && k + 1 < cap) {
                out[k++] = *p;
            }
        } else if (*p == '"') {
            quoted = true;
        } else if (*p == ',') {
            cell++;
        } else if (cell == want && k + 1 < cap) {
            out[k++] = *p;
        }
    }
    out[k] = 0;
}

static void add_csv(const char *line)
{
    char seq[32], ev[32], conn[32];
    csv_cell(line, 1, seq, sizeof seq);
    if (!strcmp(seq, "seq"))
        return; /* the header */
    csv_cell(line, 6, ev, sizeof ev);
    csv_cell(line, 8, conn, sizeof conn);
    rec *r = &recs[nrecs++];
    memset(r, 0, sizeof *r);
    r->file = 2;
    r->seq = strtoull(seq, NULL, 10);
    snprintf(r->event, sizeof r->event, "%s", ev);
    if (!strncmp(conn, "0x", 2))
        r->conn = strtoull(conn + 2, NULL, 16);
}

static bool add_line(const char *line, void *ctx)
{
    int file = *(const int *)ctx;
    assert_true(nrecs < MAX_FIRED + 1000);
    if (file == 2)
        add_csv(line);
    else
        add_json(line, file);
    return true;
}

static void read_dir(const WCHAR *dir, const WCHAR *ext, int file)
{
    tu_each_line(dir, ext, add_line, &file);
}

static bool lacks(const char *line, void *needle)
{
    return strstr(line, needle) == NULL;
}

/* True once some file in dir with extension ext holds `needle`. */
static bool dir_has(const WCHAR *dir, const WCHAR *ext, const char *needle)
{
    return !tu_each_line(dir, ext, lacks, (void *)needle);
}

static void set_sz(const WCHAR *name, const WCHAR *value)
{
    HKEY k;
    WCHAR path[512];
    _snwprintf(path, 512, L"%ls\\Sinks\\test", RT_CONFIG_KEY);
    assert_int_equal(RegOpenKeyExW(HKEY_LOCAL_MACHINE, path, 0, KEY_SET_VALUE | KEY_WOW64_64KEY,
                                   &k),
                     0);
    assert_int_equal(RegSetValueExW(k, name, 0, REG_SZ, (const BYTE *)value,
                                    (DWORD)((wcslen(value) + 1) * sizeof(WCHAR))),
                     0);
    RegCloseKey(k);
}

/* Waits for `needle` to appear in a file of dir with extension ext; returns the ms. */
static DWORD wait_for(const WCHAR *dir, const WCHAR *ext, const char *needle)
{
    ULONGLONG t0 = GetTickCount64();
    while (!dir_has(dir, ext, needle)) {
        if (GetTickCount64() - t0 > 10000)
            fail_msg("\"%s\" never appeared in %ls\\*.%ls", needle, dir, ext);
        Sleep(10);
    }
    return (DWORD)(GetTickCount64() - t0);
}

/* -------------------------------------------------------------- tests */

static void test_reload_across_changes(void **state)
{
    (void)state;
    rt_admin_dll_callbacks cb;
    memset(&cb, 0, sizeof cb);
    assert_int_equal(((rt_pfn_initialize_ex)(void *)GetProcAddress(dll, "MprAdminInitializeDllEx"))(
                         &cb),
                     NO_ERROR);
    wait_for(dir_a, L"jsonl", "\"generation\":1");
    HANDLE t = CreateThread(NULL, 0, producer, NULL, 0, NULL);
    Sleep(300);

    set_sz(L"Directory", dir_b);
    DWORD ms = wait_for(dir_b, L"jsonl", "config.applied");
    print_message("Directory change in force after %lu ms\n", (unsigned long)ms);
    assert_true(ms < CHANGE_BOUND_MS);
    Sleep(300);

    set_sz(L"Format", L"csv");
    ms = wait_for(dir_b, L"csv", "config.applied");
    print_message("Format change in force after %lu ms\n", (unsigned long)ms);
    assert_true(ms < CHANGE_BOUND_MS);
    Sleep(300);

    stop_producer = 1;
    WaitForSingleObject(t, INFINITE);
    CloseHandle(t);
    assert_int_equal(cb.lpfnRasAdminTerminateDll(), NO_ERROR);
    print_message("fired %ld callouts across the two changes\n", (long)fired);

    recs = calloc(MAX_FIRED + 1000, sizeof *recs);
    read_dir(dir_a, L"jsonl", 0);
    read_dir(dir_b, L"jsonl", 1);
    read_dir(dir_b, L"csv", 2);

    /* seq: each of 1..N exactly once; files in order A, B jsonl, B csv */
    uint64_t max = 0;
    for (size_t i = 0; i < nrecs; i++)
        max = recs[i].seq > max ? recs[i].seq : max;
    assert_int_equal(max, nrecs);
    unsigned char *seen = calloc(max + 1, 1);
    uint64_t last_of[3] = {0, 0, 0}, first_of[3] = {UINT64_MAX, UINT64_MAX, UINT64_MAX};
    for (size_t i = 0; i < nrecs; i++) {
        const rec *r = &recs[i];
        if (seen[r->seq]++)
            fail_msg("seq %llu appears twice", (unsigned long long)r->seq);
        last_of[r->file] = r->seq > last_of[r->file] ? r->seq : last_of[r->file];
        first_of[r->file] = r->seq < first_of[r->file] ? r->seq : first_of[r->file];
    }
    assert_true(last_of[0] < first_of[1] && last_of[1] < first_of[2]);

    /* every callout fired arrived once, or was reported dropped */
    unsigned char *conn = calloc((size_t)fired + 1, 1);
    uint64_t dropped = 0, accepted = 0, applied = 0, generation = 0;
    for (size_t i = 0; i < nrecs; i++) {
        const rec *r = &recs[i];
        if (!strcmp(r->event, "connection.accept")) {
            assert_true(r->conn >= 1 && r->conn <= (uint64_t)fired);
            if (conn[r->conn]++)
                fail_msg("connection 0x%llx arrived twice", (unsigned long long)r->conn);
            accepted++;
        } else if (!strcmp(r->event, "events.dropped")) {
            dropped += r->count;
        } else if (!strcmp(r->event, "config.applied")) {
            applied++;
            if (r->file < 2) { /* CSV has no generation column */
                assert_true(r->generation > generation);
                generation = r->generation;
            }
        }
        assert_true(strcmp(r->event, "config.error") != 0);
    }
    print_message("%llu accepted, %llu dropped, %llu records\n", (unsigned long long)accepted,
                  (unsigned long long)dropped, (unsigned long long)nrecs);
    assert_int_equal(accepted + dropped, (uint64_t)fired);
    assert_int_equal(applied, 3); /* the start, the Directory, the Format */
    free(conn);
    free(seen);
    free(recs);
}

/* A change that leaves the configuration as it was writes nothing; a
 * change back and forth faster than the settle time is one reload. */
static void test_no_change_no_record(void **state)
{
    (void)state;
    WCHAR dir_c[MAX_PATH];
    tu_temp_dir("reload-c", dir_c, MAX_PATH);
    tu_fresh_dir(dir_c);
    tu_config_file_sink(dir_c, "jsonl");
    rt_admin_dll_callbacks cb;
    memset(&cb, 0, sizeof cb);
    assert_int_equal(((rt_pfn_initialize_ex)(void *)GetProcAddress(dll, "MprAdminInitializeDllEx"))(
                         &cb),
                     NO_ERROR);
    wait_for(dir_c, L"jsonl", "config.applied");
    set_sz(L"Format", L"jsonl"); /* the same value again */
    set_sz(L"Directory", dir_a); /* and away and back within the settle time */
    set_sz(L"Directory", dir_c);
    Sleep(800);
    assert_int_equal(cb.lpfnRasAdminTerminateDll(), NO_ERROR);
    recs = calloc(1000, sizeof *recs);
    nrecs = 0;
    read_dir(dir_c, L"jsonl", 0);
    unsigned applied = 0;
    for (size_t i = 0; i < nrecs; i++)
        applied += !strcmp(recs[i].event, "config.applied");
    free(recs);
    assert_int_equal(applied, 1); /* only the start's */
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return 2;
    dll_arg = argv[1];
    tu_temp_dir("reload-a", dir_a, MAX_PATH);
    tu_temp_dir("reload-b", dir_b, MAX_PATH);
    tu_fresh_dir(dir_a);
    tu_fresh_dir(dir_b);
    tu_config_file_sink(dir_a, "jsonl");
    dll = tu_load_rastap(dll_arg, "reload");
    if (!dll)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reload_across_changes),
        cmocka_unit_test(test_no_change_no_record),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    tu_config_file_sink(NULL, NULL);
    return rc;
}
