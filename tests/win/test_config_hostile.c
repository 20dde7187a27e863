/*
 * test_config_hostile.c - every hostile value an administrator (or a
 * script) can put in rastap's key, written through the real registry API
 * while rastap runs: wrong types, out-of-range numbers, oversized and
 * unterminated strings, REG_MULTI_SZ without its double terminator,
 * unknown sink types and values, keys deleted while being read. Each must
 * be refused with a config.error record naming the key, the value and the
 * reason, and the configuration in force must stay exactly as it was:
 * records keep going to the same file, in the same format, and no
 * config.applied appears.
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

static const char *dll_arg;
static HMODULE dll;
static rt_admin_dll_callbacks cb;
static WCHAR dir[MAX_PATH];

/* ------------------------------------------------------------ registry */

static HKEY open_key(const WCHAR *sub, bool create)
{
    WCHAR path[512];
    HKEY k = NULL;
    _snwprintf(path, 512, L"%ls%ls%ls", RT_CONFIG_KEY, sub[0] ? L"\\" : L"", sub);
    LONG rc = create ? RegCreateKeyExW(HKEY_LOCAL_MACHINE, path, 0, NULL, 0,
                                       KEY_ALL_ACCESS | KEY_WOW64_64KEY, NULL, &k, NULL)
                     : RegOpenKeyExW(HKEY_LOCAL_MACHINE, path, 0, KEY_ALL_ACCESS | KEY_WOW64_64KEY,
                                     &k);
    assert_int_equal(rc, 0);
    return k;
}

static void set_raw(const WCHAR *sub, const WCHAR *name, DWORD type, const void *data, DWORD size)
{
    HKEY k = open_key(sub, true);
    assert_int_equal(RegSetValueExW(k, name, 0, type, data, size), 0);
    RegCloseKey(k);
}

static void set_sz(const WCHAR *sub, const WCHAR *name, const WCHAR *v)
{
    set_raw(sub, name, REG_SZ, v, (DWORD)((wcslen(v) + 1) * sizeof(WCHAR)));
}

static void set_dword(const WCHAR *sub, const WCHAR *name, DWORD v)
{
    set_raw(sub, name, REG_DWORD, &v, sizeof v);
}

static void del_value(const WCHAR *sub, const WCHAR *name)
{
    HKEY k = open_key(sub, false);
    RegDeleteValueW(k, name);
    RegCloseKey(k);
}

static void del_key(const WCHAR *sub)
{
    WCHAR path[512];
    _snwprintf(path, 512, L"%ls\\%ls", RT_CONFIG_KEY, sub);
    RegDeleteTreeW(HKEY_LOCAL_MACHINE, path);
}

/* ------------------------------------------------------------- records */

static char lines[4096][1024];
static unsigned nlines;

static bool keep_line(const char *line, void *ctx)
{
    (void)ctx;
    snprintf(lines[nlines++], sizeof lines[0], "%s", line);
    return nlines < 4096;
}

/* Reads every line of the sink's JSON Lines files (shortened to 1023 bytes). */
static void read_lines(void)
{
    nlines = 0;
    tu_each_line(dir, L"jsonl", keep_line, NULL);
}

static unsigned count(const char *needle)
{
    unsigned n = 0;
    read_lines();
    for (unsigned i = 0; i < nlines; i++)
        n += strstr(lines[i], needle) != NULL;
    return n;
}

/* Waits for the config.error records of one refusal; returns the index of
 * the first new line. */
static unsigned wait_refusal(unsigned errors_before)
{
    ULONGLONG t0 = GetTickCount64();
    while (count("\"event\":\"config.error\"") <= errors_before) {
        if (GetTickCount64() - t0 > 5000)
            fail_msg("no config.error within 5 s");
        Sleep(20);
    }
    Sleep(50); /* all records of this refusal are written in one batch */
    read_lines();
    for (unsigned i = 0, seen = 0; i < nlines; i++)
        if (strstr(lines[i], "\"event\":\"config.error\"") && ++seen > errors_before)
            return i;
    return nlines;
}

/* Some config.error line from `first` on has all three texts. */
static void expect_problem(unsigned first, const char *key, const char *value, const char *reason)
{
    char k[300], v[300];
    snprintf(k, sizeof k, "\"key\":\"%s\"", key);
    snprintf(v, sizeof v, "\"value\":\"%s", value); /* an empty value is absent */
    for (unsigned i = first; i < nlines; i++)
        if (strstr(lines[i], "config.error") && strstr(lines[i], k) &&
            (!*value || strstr(lines[i], v)) &&
            strstr(lines[i], reason) && strstr(lines[i], "\"generation\":1,"))
            return;
    for (unsigned i = first; i < nlines; i++)
        print_message("%s", lines[i]);
    fail_msg("no config.error with %s, %s and \"%s\"", k, v, reason);
}

/* ---------------------------------------------------------------- cases */

typedef struct hostile {
    const char *what;
    void (*apply)(void);
    void (*undo)(void);
    const char *key, *value, *reason;
} hostile;

static WCHAR big[6000];

static void ring_sz(void) { set_sz(L"", L"RingSize", L"4096"); }
static void ring_1000(void) { set_dword(L"", L"RingSize", 1000); }
static void ring_huge(void) { set_dword(L"", L"RingSize", 1u << 21); }
static void undo_ring(void) { del_value(L"", L"RingSize"); }
static void drain_short(void) { set_raw(L"", L"StopDrainMs", REG_DWORD, "\x10\x00", 2); }
static void undo_drain(void) { del_value(L"", L"StopDrainMs"); }
static void diag_qword(void)
{
    ULONGLONG v = 1;
    set_raw(L"", L"DiagLevel", REG_QWORD, &v, sizeof v);
}
static void undo_diag(void) { del_value(L"", L"DiagLevel"); }
static void unknown_core(void) { set_dword(L"", L"RingSlots", 64); }
static void undo_unknown_core(void) { del_value(L"", L"RingSlots"); }

static void dir_oversized(void)
{
    wcscpy(big, L"C:\\");
    for (int i = 3; i < 5000; i++)
        big[i] = L'd';
    big[5000] = 0;
    set_sz(L"Sinks\\test", L"Directory", big);
}
static void dir_unterminated(void)
{
    /* The character after the data is not NUL, so the API does not add a
     * terminator (it would for "forgot to count the NUL"). */
    static const WCHAR text[] = L"C:\\unterminatedX";
    set_raw(L"Sinks\\test", L"Directory", REG_SZ, text, (DWORD)(15 * sizeof(WCHAR)));
}
static void dir_embedded_nul(void)
{
    static const WCHAR text[] = L"C:\\a\0evil";
    set_raw(L"Sinks\\test", L"Directory", REG_SZ, text, sizeof text);
}
static void dir_relative(void) { set_sz(L"Sinks\\test", L"Directory", L"logs"); }
static void dir_binary(void) { set_raw(L"Sinks\\test", L"Directory", REG_BINARY, "\x01\x02", 2); }
static void undo_dir(void) { set_sz(L"Sinks\\test", L"Directory", dir); }
static void format_xml(void) { set_sz(L"Sinks\\test", L"Format", L"xml"); }
static void format_dword(void) { set_dword(L"Sinks\\test", L"Format", 1); }
static void undo_format(void) { set_sz(L"Sinks\\test", L"Format", L"jsonl"); }
static void maxmb_zero(void) { set_dword(L"Sinks\\test", L"MaxFileMB", 0); }
static void undo_maxmb(void) { del_value(L"Sinks\\test", L"MaxFileMB"); }
static void defuse_two(void) { set_dword(L"Sinks\\test", L"CsvDefuse", 2); }
static void undo_defuse(void) { del_value(L"Sinks\\test", L"CsvDefuse"); }
static void prefix_surrogate(void)
{
    static const WCHAR text[] = {L'r', 0xD800, L'x', 0};
    set_raw(L"Sinks\\test", L"FilePrefix", REG_SZ, text, sizeof text);
}
static void undo_prefix(void) { del_value(L"Sinks\\test", L"FilePrefix"); }
static void typo_value(void) { set_sz(L"Sinks\\test", L"Directroy", L"C:\\x"); }
static void undo_typo(void) { del_value(L"Sinks\\test", L"Directroy"); }
static void active_single_nul(void)
{
    set_raw(L"", L"ActiveSinks", REG_MULTI_SZ, L"test", 5 * sizeof(WCHAR)); /* "test\0" */
}
static void active_unknown(void)
{
    set_raw(L"", L"ActiveSinks", REG_MULTI_SZ, L"nosuch\0", 8 * sizeof(WCHAR));
}
static void active_sz(void) { set_sz(L"", L"ActiveSinks", L"test"); }
static void undo_active(void) { del_value(L"", L"ActiveSinks"); }
static void sink_kafka(void) { set_sz(L"Sinks\\bad", L"Type", L"kafka"); }
static void sink_no_type(void) { set_sz(L"Sinks\\bad", L"Directory", L"C:\\x"); }
static void undo_bad(void) { del_key(L"Sinks\\bad"); }

static const hostile cases[] = {
    {"RingSize as text", ring_sz, undo_ring, "RingSize", "4096",
     "is REG_SZ; RingSize must be a REG_DWORD"},
    {"RingSize not a power of two", ring_1000, undo_ring, "RingSize", "1000",
     "not a power of two"},
    {"RingSize too large", ring_huge, undo_ring, "RingSize", "2097152", "out of range"},
    {"StopDrainMs of 2 bytes", drain_short, undo_drain, "StopDrainMs", "2 bytes",
     "REG_DWORD of 2 bytes"},
    {"DiagLevel as REG_QWORD", diag_qword, undo_diag, "DiagLevel", "1", "is REG_QWORD"},
    {"unknown core value", unknown_core, undo_unknown_core, "RingSlots", "64", "unknown value"},
    {"oversized Directory", dir_oversized, undo_dir, "Sinks\\\\test\\\\Directory", "C:\\\\ddd",
     "too long"},
    {"unterminated Directory", dir_unterminated, undo_dir, "Sinks\\\\test\\\\Directory",
     "C:\\\\unterminated", "not NUL-terminated"},
    {"Directory with an embedded NUL", dir_embedded_nul, undo_dir, "Sinks\\\\test\\\\Directory",
     "C:\\\\a", "embedded NUL"},
    {"relative Directory", dir_relative, undo_dir, "Sinks\\\\test\\\\Directory", "logs",
     "not an absolute path"},
    {"Directory as REG_BINARY", dir_binary, undo_dir, "Sinks\\\\test\\\\Directory", "2 bytes",
     "is REG_BINARY"},
    {"Format xml", format_xml, undo_format, "Sinks\\\\test\\\\Format", "xml", "jsonl/csv"},
    {"Format as REG_DWORD", format_dword, undo_format, "Sinks\\\\test\\\\Format", "1",
     "must be a REG_SZ"},
    {"MaxFileMB 0", maxmb_zero, undo_maxmb, "Sinks\\\\test\\\\MaxFileMB", "0", "out of range"},
    {"CsvDefuse 2", defuse_two, undo_defuse, "Sinks\\\\test\\\\CsvDefuse", "2", "0 (off) or 1"},
    {"FilePrefix with a lone surrogate", prefix_surrogate, undo_prefix,
     "Sinks\\\\test\\\\FilePrefix", "r", "unpaired surrogate"},
    {"misspelt value", typo_value, undo_typo, "Sinks\\\\test\\\\Directroy", "C:\\\\x",
     "unknown value; sinks of type file"},
    {"REG_MULTI_SZ without its double NUL", active_single_nul, undo_active, "ActiveSinks", "test",
     "missing the final NUL"},
    {"ActiveSinks naming no sink", active_unknown, undo_active, "ActiveSinks", "nosuch",
     "names no sink"},
    {"ActiveSinks as REG_SZ", active_sz, undo_active, "ActiveSinks", "test",
     "must be a REG_MULTI_SZ"},
    {"unknown sink type", sink_kafka, undo_bad, "Sinks\\\\bad\\\\Type", "kafka",
     "unknown sink type"},
    {"sink without Type", sink_no_type, undo_bad, "Sinks\\\\bad", "", "no Type value"},
};

/* ---------------------------------------------------------------- tests */

static void fire(unsigned id)
{
    RAS_CONNECTION_0 c0;
    RAS_CONNECTION_1 c1;
    memset(&c0, 0, sizeof c0);
    memset(&c1, 0, sizeof c1);
    c0.hConnection = (HANDLE)(uintptr_t)id;
    ((rt_pfn_accept_conn)(void *)GetProcAddress(dll, "MprAdminAcceptNewConnection"))(&c0, &c1);
}

static void test_each_refused_previous_kept(void **state)
{
    (void)state;
    size_t n = sizeof cases / sizeof cases[0];
    for (size_t i = 0; i < n; i++) {
        const hostile *h = &cases[i];
        unsigned before = count("\"event\":\"config.error\"");
        h->apply();
        unsigned first = wait_refusal(before);
        expect_problem(first, h->key, h->value, h->reason);
        h->undo();
        fire(0x7000 + (unsigned)i); /* must reach the same sink: checked below */
        print_message("refused: %s\n", h->what);
    }
    /* The configuration in force never changed: every record fired between
     * the refusals is in this sink's JSON Lines, and no config.applied
     * (other than the start's) was written. */
    Sleep(500);
    for (size_t i = 0; i < n; i++) {
        char needle[64];
        snprintf(needle, sizeof needle, "\"connection\":\"0x%x\"", 0x7000 + (unsigned)i);
        if (count(needle) != 1)
            fail_msg("the record fired after \"%s\" did not arrive once", cases[i].what);
    }
    assert_int_equal(count("\"event\":\"config.applied\""), 1);
}

/* A sink key created and deleted again and again while rastap reloads:
 * each read sees a whole configuration or refuses it (key deleted while
 * being read); at the end the configuration in force is the original. */
static void test_keys_deleted_mid_read(void **state)
{
    (void)state;
    ULONGLONG t0 = GetTickCount64();
    while (GetTickCount64() - t0 < 1500) {
        set_sz(L"Sinks\\flap", L"Type", L"file");
        set_sz(L"Sinks\\flap", L"Directory", dir);
        set_sz(L"Sinks\\flap", L"FilePrefix", L"flap");
        del_key(L"Sinks\\flap");
    }
    Sleep(600);
    fire(0x7fff);
    t0 = GetTickCount64();
    while (!count("\"connection\":\"0x7fff\"")) {
        if (GetTickCount64() - t0 > 3000)
            fail_msg("records no longer reach the sink after the flapping");
        Sleep(20);
    }
    assert_int_equal(cb.lpfnRasAdminTerminateDll(), NO_ERROR);
    /* the last line is service.stop; nothing malformed came out */
    read_lines();
    assert_true(nlines > 0 && strstr(lines[nlines - 1], "service.stop"));
    for (unsigned i = 0; i < nlines; i++)
        assert_true(lines[i][0] == '{');
}

static int setup(void **state)
{
    (void)state;
    tu_temp_dir("config-hostile", dir, MAX_PATH);
    tu_fresh_dir(dir);
    tu_config_file_sink(dir, "jsonl");
    dll = tu_load_rastap(dll_arg, "config-hostile");
    if (!dll)
        return -1;
    memset(&cb, 0, sizeof cb);
    if (((rt_pfn_initialize_ex)(void *)GetProcAddress(dll, "MprAdminInitializeDllEx"))(&cb) !=
        NO_ERROR)
        return -1;
    ULONGLONG t0 = GetTickCount64();
    while (!count("config.applied") && GetTickCount64() - t0 < 5000)
        Sleep(20);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return 2;
    dll_arg = argv[1];
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_each_refused_previous_kept),
        cmocka_unit_test(test_keys_deleted_mid_read),
    };
    int rc = cmocka_run_group_tests(tests, setup, NULL);
    tu_config_file_sink(NULL, NULL);
    return rc;
}
