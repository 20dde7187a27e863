/*
 * test_config_model.c - config_model.h: every value rastap takes, its
 * framing, type, range and meaning; hostile byte strings of every REG_*
 * type; and that a refused value names key, value and reason while the
 * rest of the configuration keeps its defaults.
 */
#define _POSIX_C_SOURCE 200809L

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_model.h"
#include "error.h"

/* ---------------------------------------------------------- helpers */

/* UTF-16LE bytes of ASCII/UTF-8-free text plus `nuls` terminators. */
static size_t w16(const char *s, unsigned nuls, unsigned char *out)
{
    size_t n = 0;
    for (; *s; s++) {
        out[n++] = (unsigned char)*s;
        out[n++] = 0;
    }
    for (unsigned i = 0; i < nuls; i++) {
        out[n++] = 0;
        out[n++] = 0;
    }
    return n;
}

/* UTF-16LE bytes of explicit units. */
static size_t units16(const uint16_t *u, size_t n, unsigned char *out)
{
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = (unsigned char)(u[i] & 0xFF);
        out[2 * i + 1] = (unsigned char)(u[i] >> 8);
    }
    return 2 * n;
}

static rt_cfg *fresh(void)
{
    rt_cfg *c = malloc(sizeof *c);
    assert_non_null(c);
    rt_cfg_init(c, NULL, NULL);
    return c;
}

static void core_sz(rt_cfg *c, const char *name, const char *text)
{
    unsigned char b[4096];
    rt_cfg_core_value(c, name, RT_REG_SZ, b, w16(text, 1, b));
}

static void core_dword(rt_cfg *c, const char *name, uint32_t v)
{
    unsigned char b[4] = {(unsigned char)v, (unsigned char)(v >> 8), (unsigned char)(v >> 16),
                          (unsigned char)(v >> 24)};
    rt_cfg_core_value(c, name, RT_REG_DWORD, b, 4);
}

static void sink_sz(rt_cfg *c, int s, const char *name, const char *text)
{
    unsigned char b[8192];
    rt_cfg_sink_value(c, s, name, RT_REG_SZ, b, w16(text, 1, b));
}

static void sink_dword(rt_cfg *c, int s, const char *name, uint32_t v)
{
    unsigned char b[4] = {(unsigned char)v, (unsigned char)(v >> 8), (unsigned char)(v >> 16),
                          (unsigned char)(v >> 24)};
    rt_cfg_sink_value(c, s, name, RT_REG_DWORD, b, 4);
}

/* Exactly one problem, whose key is `key` and whose reason contains `why`. */
static void one_problem(rt_cfg *c, const char *key, const char *why)
{
    assert_int_equal(rt_cfg_finish(c), RT_EINVAL);
    if (c->nproblems != 1) {
        for (unsigned i = 0; i < c->nproblems; i++)
            print_message("problem %u: %s = %s: %s\n", i, c->problems[i].key,
                          c->problems[i].value, c->problems[i].reason);
    }
    assert_int_equal(c->nproblems, 1);
    assert_string_equal(c->problems[0].key, key);
    if (!strstr(c->problems[0].reason, why))
        fail_msg("reason \"%s\" lacks \"%s\"", c->problems[0].reason, why);
}

static int file_sink(rt_cfg *c, const char *name)
{
    int s = rt_cfg_sink_begin(c, name);
    assert_true(s >= 0);
    sink_sz(c, s, "Type", "file");
    return s;
}

/* ---------------------------------------------------------- defaults */

static void test_empty_is_default(void **state)
{
    (void)state;
    rt_cfg *c = fresh();
    assert_int_equal(rt_cfg_finish(c), 0);
    assert_int_equal(c->ring_size, RT_CFG_DEFAULT_RING_SIZE);
    assert_int_equal(c->stop_drain_ms, RT_CFG_DEFAULT_STOP_DRAIN_MS);
    assert_int_equal(c->diag_level, RT_CFG_DEFAULT_DIAG_LEVEL);
    assert_int_equal(c->nactive, 1);
    const rt_cfg_sink *s = rt_cfg_active_sink(c, 0);
    assert_string_equal(s->name, RT_CFG_DEFAULT_SINK);
    assert_string_equal(s->type->name, "file");
    assert_null(rt_cfg_sink_get(s, "Directory"));
    assert_null(rt_cfg_active_sink(c, 1));
    free(c);
}

static void test_valid_full(void **state)
{
    (void)state;
    rt_cfg *c = fresh();
    core_dword(c, "RingSize", 65536);
    core_dword(c, "stopdrainms", 0); /* names are case-insensitive */
    core_dword(c, "DiagLevel", 3);
    int s = file_sink(c, "main");
    sink_sz(c, s, "Directory", "D:\\logs\\rastap\\");
    sink_sz(c, s, "FilePrefix", "vpn-acct");
    sink_sz(c, s, "Format", "CSV");
    sink_dword(c, s, "MaxFileMB", 1);
    sink_dword(c, s, "CsvDefuse", 0);
    int u = file_sink(c, "unc");
    sink_sz(c, u, "Directory", "\\\\fs01\\acct$\\rras");
    assert_int_equal(rt_cfg_finish(c), 0);
    assert_int_equal(c->ring_size, 65536);
    assert_int_equal(c->stop_drain_ms, 0);
    assert_int_equal(c->diag_level, 3);
    assert_int_equal(c->nactive, 2);
    const rt_cfg_sink *m = rt_cfg_active_sink(c, 0);
    assert_string_equal(rt_cfg_sink_get(m, "Directory"), "D:\\logs\\rastap\\");
    assert_string_equal(rt_cfg_sink_get(m, "format"), "csv"); /* canonical */
    assert_string_equal(rt_cfg_sink_get(m, "MaxFileMB"), "1");
    assert_string_equal(rt_cfg_sink_get(m, "CsvDefuse"), "0");
    assert_string_equal(rt_cfg_sink_get(m, "Type"), "file");
    free(c);
}

static void test_ring_size(void **state)
{
    (void)state;
    static const uint32_t good[] = {64, 128, 4096, 1048576};
    static const uint32_t bad[] = {0, 1, 32, 63, 65, 1000, 4095, 4097, 1048577, 2097152, 0xFFFFFFFF};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        rt_cfg *c = fresh();
        core_dword(c, "RingSize", good[i]);
        assert_int_equal(rt_cfg_finish(c), 0);
        assert_int_equal(c->ring_size, good[i]);
        free(c);
    }
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        rt_cfg *c = fresh();
        core_dword(c, "RingSize", bad[i]);
        bool pow2 = bad[i] && !(bad[i] & (bad[i] - 1));
        one_problem(c, "RingSize", pow2 || bad[i] < 64 || bad[i] > 1048576 ? "" : "power of two");
        assert_int_equal(c->ring_size, RT_CFG_DEFAULT_RING_SIZE); /* never rounded */
        char v[32];
        snprintf(v, sizeof v, "%lu", (unsigned long)bad[i]);
        assert_string_equal(c->problems[0].value, v);
        free(c);
    }
    rt_cfg *c = fresh();
    core_dword(c, "RingSize", 1000);
    one_problem(c, "RingSize", "never rounded");
    free(c);
}

static void test_wrong_types(void **state)
{
    (void)state;
    unsigned char b[64];
    rt_cfg *c = fresh();
    core_sz(c, "RingSize", "4096");
    one_problem(c, "RingSize", "is REG_SZ; RingSize must be a REG_DWORD");
    assert_string_equal(c->problems[0].value, "4096");
    free(c);

    c = fresh();
    memset(b, 0, 8);
    b[0] = 0x10;
    rt_cfg_core_value(c, "RingSize", RT_REG_QWORD, b, 8);
    one_problem(c, "RingSize", "REG_QWORD");
    free(c);

    c = fresh();
    rt_cfg_core_value(c, "StopDrainMs", RT_REG_DWORD, b, 2);
    one_problem(c, "StopDrainMs", "REG_DWORD of 2 bytes");
    free(c);

    c = fresh();
    rt_cfg_core_value(c, "StopDrainMs", RT_REG_DWORD, b, 0);
    one_problem(c, "StopDrainMs", "REG_DWORD of 0 bytes");
    free(c);

    c = fresh();
    rt_cfg_core_value(c, "DiagLevel", RT_REG_DWORD_BIG_ENDIAN, b, 4);
    one_problem(c, "DiagLevel", "REG_DWORD_BIG_ENDIAN");
    free(c);

    c = fresh();
    rt_cfg_core_value(c, "DiagLevel", 0x7777, b, 4);
    one_problem(c, "DiagLevel", "type 30583");
    free(c);

    c = fresh();
    int s = file_sink(c, "x");
    sink_dword(c, s, "Format", 1);
    one_problem(c, "Sinks\\x\\Format", "is REG_DWORD; Format must be a REG_SZ");
    free(c);

    c = fresh();
    s = file_sink(c, "x");
    sink_sz(c, s, "MaxFileMB", "100");
    one_problem(c, "Sinks\\x\\MaxFileMB", "must be a REG_DWORD");
    free(c);

    c = fresh();
    s = file_sink(c, "x");
    rt_cfg_sink_value(c, s, "Directory", RT_REG_BINARY, "\x01\x02\x03", 3);
    one_problem(c, "Sinks\\x\\Directory", "REG_BINARY");
    assert_string_equal(c->problems[0].value, "3 bytes: 01 02 03");
    free(c);

    c = fresh();
    s = file_sink(c, "x");
    rt_cfg_sink_value(c, s, "Directory", RT_REG_MULTI_SZ, b, w16("C:\\a", 2, b));
    one_problem(c, "Sinks\\x\\Directory", "REG_MULTI_SZ");
    free(c);
}

static void test_ranges(void **state)
{
    (void)state;
    rt_cfg *c = fresh();
    core_dword(c, "StopDrainMs", 60001);
    one_problem(c, "StopDrainMs", "0..60000");
    free(c);
    c = fresh();
    core_dword(c, "DiagLevel", 4);
    one_problem(c, "DiagLevel", "0..3");
    free(c);
    c = fresh();
    int s = file_sink(c, "x");
    sink_dword(c, s, "MaxFileMB", 0);
    one_problem(c, "Sinks\\x\\MaxFileMB", "1..1048576");
    free(c);
    c = fresh();
    s = file_sink(c, "x");
    sink_dword(c, s, "CsvDefuse", 2);
    one_problem(c, "Sinks\\x\\CsvDefuse", "0 (off) or 1 (on)");
    free(c);
    c = fresh();
    s = file_sink(c, "x");
    sink_sz(c, s, "Format", "xml");
    one_problem(c, "Sinks\\x\\Format", "jsonl/csv");
    assert_string_equal(c->problems[0].value, "xml");
    free(c);
}

/* ------------------------------------------------------------ strings */

static void test_string_framing(void **state)
{
    (void)state;
    unsigned char b[8192];
    size_t n;
    /* unterminated */
    rt_cfg *c = fresh();
    int s = file_sink(c, "x");
    n = w16("C:\\logs", 0, b);
    rt_cfg_sink_value(c, s, "Directory", RT_REG_SZ, b, n);
    one_problem(c, "Sinks\\x\\Directory", "not NUL-terminated");
    assert_string_equal(c->problems[0].value, "C:\\logs");
    free(c);
    /* odd size */
    c = fresh();
    s = file_sink(c, "x");
    n = w16("C:\\logs", 1, b);
    rt_cfg_sink_value(c, s, "Directory", RT_REG_SZ, b, n - 1);
    one_problem(c, "Sinks\\x\\Directory", "odd size");
    free(c);
    /* embedded NUL with text after it */
    c = fresh();
    s = file_sink(c, "x");
    n = w16("C:\\a", 1, b);
    n += w16("evil", 1, b + n);
    rt_cfg_sink_value(c, s, "Directory", RT_REG_SZ, b, n);
    one_problem(c, "Sinks\\x\\Directory", "embedded NUL");
    free(c);
    /* extra NULs after the terminator are fine */
    c = fresh();
    s = file_sink(c, "x");
    n = w16("C:\\a", 4, b);
    rt_cfg_sink_value(c, s, "Directory", RT_REG_SZ, b, n);
    assert_int_equal(rt_cfg_finish(c), 0);
    free(c);
    /* unpaired surrogates, both halves */
    static const uint16_t lone_hi[] = {'r', 0xD800, 'x', 0};
    static const uint16_t lone_lo[] = {'r', 0xDC00, 0};
    static const uint16_t pair[] = {'r', 0xD83D, 0xDE00, 0};
    c = fresh();
    s = file_sink(c, "x");
    rt_cfg_sink_value(c, s, "FilePrefix", RT_REG_SZ, b, units16(lone_hi, 4, b));
    one_problem(c, "Sinks\\x\\FilePrefix", "unpaired surrogate at character 2");
    free(c);
    c = fresh();
    s = file_sink(c, "x");
    rt_cfg_sink_value(c, s, "FilePrefix", RT_REG_SZ, b, units16(lone_lo, 3, b));
    one_problem(c, "Sinks\\x\\FilePrefix", "unpaired surrogate");
    free(c);
    c = fresh();
    s = file_sink(c, "x");
    rt_cfg_sink_value(c, s, "FilePrefix", RT_REG_SZ, b, units16(pair, 4, b));
    assert_int_equal(rt_cfg_finish(c), 0);
    assert_string_equal(rt_cfg_sink_get(&c->sinks[0], "FilePrefix"), "r\xF0\x9F\x98\x80");
    free(c);
    /* control characters */
    c = fresh();
    s = file_sink(c, "x");
    sink_sz(c, s, "FilePrefix", "a\tb");
    one_problem(c, "Sinks\\x\\FilePrefix", "control character U+0009");
    assert_string_equal(c->problems[0].value, "a?b"); /* shown safely */
    free(c);
    /* empty data counts as an empty string */
    c = fresh();
    s = file_sink(c, "x");
    rt_cfg_sink_value(c, s, "Directory", RT_REG_SZ, b, 0);
    one_problem(c, "Sinks\\x\\Directory", "empty");
    free(c);
}

static void test_oversized_strings(void **state)
{
    (void)state;
    static char big[200000];
    static unsigned char b[400100];
    memset(big, 'a', sizeof big - 1);
    big[0] = 'C';
    big[1] = ':';
    big[2] = '\\';
    const size_t lens[] = {171, 600, 1023, 1024, 5000, 199999};
    for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
        char save = big[lens[i]];
        big[lens[i]] = 0;
        rt_cfg *c = fresh();
        int s = file_sink(c, "x");
        rt_cfg_sink_value(c, s, "Directory", RT_REG_SZ, b, w16(big, 1, b));
        one_problem(c, "Sinks\\x\\Directory", "too long");
        assert_true(strlen(c->problems[0].value) < RT_CFG_PROBLEM_TEXT);
        if (lens[i] >= RT_CFG_PROBLEM_TEXT)
            assert_non_null(strstr(c->problems[0].value, "..."));
        free(c);
        big[lens[i]] = save;
    }
    /* 170 characters is the limit and passes */
    big[170] = 0;
    rt_cfg *c = fresh();
    int s = file_sink(c, "x");
    rt_cfg_sink_value(c, s, "Directory", RT_REG_SZ, b, w16(big, 1, b));
    assert_int_equal(rt_cfg_finish(c), 0);
    free(c);
    /* 170 three-byte characters still fit the UTF-8 text */
    uint16_t u[171];
    u[0] = 'C', u[1] = ':', u[2] = '\\';
    for (int i = 3; i < 170; i++)
        u[i] = 0x4E2D;
    u[170] = 0;
    c = fresh();
    s = file_sink(c, "x");
    rt_cfg_sink_value(c, s, "Directory", RT_REG_SZ, b, units16(u, 171, b));
    assert_int_equal(rt_cfg_finish(c), 0);
    assert_int_equal(strlen(rt_cfg_sink_get(&c->sinks[0], "Directory")), 3 + 167 * 3);
    free(c);
    /* FilePrefix: 40 */
    c = fresh();
    s = file_sink(c, "x");
    sink_sz(c, s, "FilePrefix", "0123456789012345678901234567890123456789X");
    one_problem(c, "Sinks\\x\\FilePrefix", "1 to 40 characters");
    free(c);
}

static void test_paths(void **state)
{
    (void)state;
    static const char *const good[] = {
        "C:\\", "c:\\rastap", "D:\\a b\\c", "\\\\srv\\share", "\\\\srv\\share\\x\\", "Z:\\x.y\\z"};
    static const struct {
        const char *path, *why;
    } bad[] = {
        {"logs", "not an absolute path"},
        {"%ProgramData%\\rastap", "REG_EXPAND_SZ"},
        {"C:logs", "not an absolute path"},
        {"\\logs", "not an absolute path"},
        {"C:/logs", "uses '/'"},
        {"C:\\a:b", "contains ':'"},
        {"C:\\a*", "contains '*'"},
        {"C:\\a|b", "contains '|'"},
        {"C:\\a\\..\\b", "'..'"},
        {"C:\\a\\.\\b", "'.'"},
        {"C:\\a\\\\b", "empty directory name"},
        {"C:\\a.\\b", "ends with a dot or space"},
        {"C:\\a \\b", "ends with a dot or space"},
        {"\\\\?\\C:\\x", "prefixes"},
        {"\\\\.\\PhysicalDrive0", "prefixes"},
        {"\\\\srv", "\\\\server\\share"},
        {"\\\\srv\\", "\\\\server\\share"},
        {"\\\\\\x", "\\\\server\\share"},
        {"1:\\x", "not an absolute path"},
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        rt_cfg *c = fresh();
        int s = file_sink(c, "x");
        sink_sz(c, s, "Directory", good[i]);
        if (rt_cfg_finish(c) != 0)
            fail_msg("%s refused: %s", good[i], c->problems[0].reason);
        free(c);
    }
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        rt_cfg *c = fresh();
        int s = file_sink(c, "x");
        sink_sz(c, s, "Directory", bad[i].path);
        one_problem(c, "Sinks\\x\\Directory", bad[i].why);
        assert_string_equal(c->problems[0].value, bad[i].path);
        free(c);
    }
}

static bool fake_expand(void *ctx, const char *in, char *out, size_t cap)
{
    const char *pd = ctx;
    const char *v = strstr(in, "%ProgramData%");
    if (strstr(in, "%NOPE%"))
        return false;
    if (!v)
        return (size_t)snprintf(out, cap, "%s", in) < cap;
    return (size_t)snprintf(out, cap, "%.*s%s%s", (int)(v - in), in, pd, v + 13) < cap;
}

static void test_expand(void **state)
{
    (void)state;
    unsigned char b[2048];
    rt_cfg *c = malloc(sizeof *c);
    rt_cfg_init(c, fake_expand, "C:\\ProgramData");
    int s = file_sink(c, "x");
    rt_cfg_sink_value(c, s, "Directory", RT_REG_EXPAND_SZ, b, w16("%ProgramData%\\r", 1, b));
    assert_int_equal(rt_cfg_finish(c), 0);
    assert_string_equal(rt_cfg_sink_get(&c->sinks[0], "Directory"), "C:\\ProgramData\\r");
    free(c);

    c = malloc(sizeof *c);
    rt_cfg_init(c, fake_expand, "C:\\ProgramData");
    s = file_sink(c, "x");
    rt_cfg_sink_value(c, s, "Directory", RT_REG_EXPAND_SZ, b, w16("%NOPE%\\r", 1, b));
    one_problem(c, "Sinks\\x\\Directory", "cannot be expanded");
    free(c);

    /* expansion that becomes too long */
    static char longpd[400];
    memset(longpd, 'p', sizeof longpd - 1);
    memcpy(longpd, "C:\\", 3);
    c = malloc(sizeof *c);
    rt_cfg_init(c, fake_expand, longpd);
    s = file_sink(c, "x");
    rt_cfg_sink_value(c, s, "Directory", RT_REG_EXPAND_SZ, b, w16("%ProgramData%\\r", 1, b));
    one_problem(c, "Sinks\\x\\Directory", "too long");
    free(c);
}

/* ------------------------------------------------------------- sinks */

static void test_sink_types(void **state)
{
    (void)state;
    rt_cfg *c = fresh();
    int s = rt_cfg_sink_begin(c, "k");
    sink_sz(c, s, "Type", "kafka");
    sink_sz(c, s, "Brokers", "x"); /* skipped: its meaning depends on Type */
    one_problem(c, "Sinks\\k\\Type", "unknown sink type; known types: file, syslog, eventlog");
    assert_string_equal(c->problems[0].value, "kafka");
    free(c);

    c = fresh();
    s = rt_cfg_sink_begin(c, "k");
    sink_sz(c, s, "Directory", "C:\\x");
    one_problem(c, "Sinks\\k", "no Type value");
    free(c);

    c = fresh();
    s = rt_cfg_sink_begin(c, "k");
    sink_dword(c, s, "Type", 1);
    one_problem(c, "Sinks\\k\\Type", "must be a REG_SZ");
    free(c);

    c = fresh();
    s = rt_cfg_sink_begin(c, "k");
    sink_sz(c, s, "Type", "FILE");
    assert_int_equal(rt_cfg_finish(c), 0);
    assert_string_equal(rt_cfg_sink_get(&c->sinks[0], "Type"), "file");
    free(c);

    c = fresh();
    s = file_sink(c, "k");
    sink_sz(c, s, "Directroy", "C:\\x");
    one_problem(c, "Sinks\\k\\Directroy", "unknown value; sinks of type file take Type, Directory");
    free(c);
}

/* The syslog and eventlog types (docs/sinks.md). */
static void test_syslog_and_eventlog(void **state)
{
    (void)state;
    rt_cfg *c = fresh();
    int s = rt_cfg_sink_begin(c, "central");
    sink_sz(c, s, "Type", "syslog");
    sink_sz(c, s, "Host", "syslog.corp.example");
    sink_sz(c, s, "Transport", "RELP");
    sink_dword(c, s, "Port", 2514);
    sink_sz(c, s, "Facility", "authpriv");
    sink_dword(c, s, "EnterpriseNumber", 4294967294u);
    sink_sz(c, s, "SpoolDirectory", "D:\\spool");
    int e = rt_cfg_sink_begin(c, "ev");
    sink_sz(c, e, "Type", "EventLog");
    assert_int_equal(rt_cfg_finish(c), 0);
    assert_string_equal(rt_cfg_sink_get(&c->sinks[0], "Transport"), "relp");
    assert_string_equal(rt_cfg_sink_get(&c->sinks[0], "EnterpriseNumber"), "4294967294");
    assert_string_equal(rt_cfg_sink_get(&c->sinks[1], "Type"), "eventlog");
    free(c);

    c = fresh();
    s = rt_cfg_sink_begin(c, "central");
    sink_sz(c, s, "Type", "syslog");
    one_problem(c, "Sinks\\central\\Host", "a syslog sink needs Host");
    free(c);

    c = fresh();
    s = rt_cfg_sink_begin(c, "central");
    sink_sz(c, s, "Type", "syslog");
    sink_sz(c, s, "Host", "two words");
    one_problem(c, "Sinks\\central\\Host", "printable ASCII"); /* not also "needs Host" */
    free(c);

    static const struct {
        const char *name, *text;
        uint32_t num;
        const char *why;
    } bad[] = {
        {"Transport", "sctp", 0, "udp/tcp/relp"},
        {"Port", NULL, 0, "1..65535"},
        {"Port", NULL, 65536, "1..65535"},
        {"Severity", "loud", 0, "auto/emerg"},
        {"Facility", "local8", 0, "local0/local1"},
        {"EnterpriseNumber", NULL, 0, "1..4294967294"},
        {"AppName", "0123456789012345678901234567890123456789012345678", 0, "1 to 48"},
        {"UdpMaxBytes", NULL, 479, "480..65000"},
        {"SpoolDirectory", "spool", 0, "not an absolute path"},
        {"Format", "rfc5425", 0, "rfc5424/rfc3164"},
        {"Bogus", "x", 0, "unknown value; sinks of type syslog take"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        c = fresh();
        s = rt_cfg_sink_begin(c, "s");
        sink_sz(c, s, "Type", "syslog");
        sink_sz(c, s, "Host", "10.0.0.1");
        if (bad[i].text)
            sink_sz(c, s, bad[i].name, bad[i].text);
        else
            sink_dword(c, s, bad[i].name, bad[i].num);
        char key[80];
        snprintf(key, sizeof key, "Sinks\\s\\%s", bad[i].name);
        one_problem(c, key, bad[i].why);
        free(c);
    }
    c = fresh();
    e = rt_cfg_sink_begin(c, "ev");
    sink_sz(c, e, "Type", "eventlog");
    sink_sz(c, e, "Source", "x");
    one_problem(c, "Sinks\\ev\\Source", "unknown value; sinks of type eventlog take Type");
    free(c);
}

static void test_sink_names(void **state)
{
    (void)state;
    rt_cfg *c = fresh();
    assert_int_equal(rt_cfg_sink_begin(c, ""), -1);
    one_problem(c, "Sinks\\", "1 to 63 bytes");
    free(c);
    c = fresh();
    assert_int_equal(rt_cfg_sink_begin(c, "a\x01"), -1);
    one_problem(c, "Sinks\\a?", "control character");
    free(c);
    c = fresh();
    assert_int_equal(rt_cfg_sink_begin(c, "bad\xC0\xAF"), -1);
    one_problem(c, "Sinks\\bad\xEF\xBF\xBD\xEF\xBF\xBD", "not valid Unicode");
    free(c);
    c = fresh();
    file_sink(c, "Main");
    assert_int_equal(rt_cfg_sink_begin(c, "main"), -1);
    one_problem(c, "Sinks\\main", "already configured");
    free(c);
    c = fresh();
    char name[16];
    for (int i = 0; i < RT_CFG_MAX_SINKS; i++) {
        snprintf(name, sizeof name, "s%d", i);
        file_sink(c, name);
    }
    assert_int_equal(rt_cfg_sink_begin(c, "one-too-many"), -1);
    one_problem(c, "Sinks\\one-too-many", "more than 16 sinks");
    free(c);
    /* out-of-range index and empty value names are ignored */
    c = fresh();
    sink_sz(c, 3, "Type", "file");
    sink_sz(c, -1, "Type", "file");
    int s = file_sink(c, "x");
    sink_sz(c, s, "", "whatever");
    core_sz(c, "", "default value");
    assert_int_equal(rt_cfg_finish(c), 0);
    free(c);
}

static void test_unknown_core_value(void **state)
{
    (void)state;
    rt_cfg *c = fresh();
    core_dword(c, "RingSlots", 4096);
    one_problem(c, "RingSlots", "unknown value; rastap's key takes RingSize, StopDrainMs");
    free(c);
}

/* -------------------------------------------------------- REG_MULTI_SZ */

static void active(rt_cfg *c, const unsigned char *b, size_t n)
{
    rt_cfg_core_value(c, "ActiveSinks", RT_REG_MULTI_SZ, b, n);
}

static void test_multi_sz(void **state)
{
    (void)state;
    unsigned char b[4096];
    size_t n;
    rt_cfg *c = fresh();
    file_sink(c, "a");
    file_sink(c, "b");
    file_sink(c, "c");
    n = w16("c", 1, b);
    n += w16("A", 2, b + n);
    active(c, b, n);
    assert_int_equal(rt_cfg_finish(c), 0);
    assert_int_equal(c->nactive, 2);
    assert_string_equal(rt_cfg_active_sink(c, 0)->name, "c");
    assert_string_equal(rt_cfg_active_sink(c, 1)->name, "a");
    free(c);

    static const struct {
        const char *parts; /* '|' separates strings */
        unsigned final_nuls;
        const char *why;
    } bad[] = {
        {"a", 1, "missing the final NUL"},
        {"a|b", 1, "missing the final NUL"},
        {"a", 0, "not NUL-terminated"},
        {"a||b", 2, "data after the end of the list"},
        {"a|a", 2, "names the same sink twice"},
        {"zzz", 2, "names no sink under Sinks"},
        {"", 2, "lists no sink"},
        {"", 1, "lists no sink"},
        {"", 0, "lists no sink"},
        {"a|b|c|d|e|f|g|h|i|j|k|l|m|n|o|p|q", 2, "more than 16 strings"},
        {"0123456789012345678901234567890123456789012345678901234567890123", 2,
         "longer than 63"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char parts[256];
        snprintf(parts, sizeof parts, "%s", bad[i].parts);
        n = 0;
        char *p = parts;
        bool any = false;
        for (char *bar; (bar = strchr(p, '|')) != NULL; p = bar + 1) {
            *bar = 0;
            n += w16(p, 1, b + n);
            any = true;
        }
        if (*p || any)
            n += w16(p, 0, b + n);
        for (unsigned k = 0; k < bad[i].final_nuls; k++)
            b[n++] = 0, b[n++] = 0;
        c = fresh();
        file_sink(c, "a");
        file_sink(c, "b");
        active(c, b, n);
        one_problem(c, "ActiveSinks", bad[i].why);
        free(c);
    }
    /* odd size, wrong type, lone surrogate */
    c = fresh();
    n = w16("a", 2, b);
    active(c, b, n - 1);
    one_problem(c, "ActiveSinks", "odd size");
    free(c);
    c = fresh();
    file_sink(c, "a");
    core_sz(c, "ActiveSinks", "a");
    one_problem(c, "ActiveSinks", "is REG_SZ; ActiveSinks must be a REG_MULTI_SZ");
    free(c);
    static const uint16_t sur[] = {'a', 0xDBFF, 0, 0};
    c = fresh();
    active(c, b, units16(sur, 4, b));
    one_problem(c, "ActiveSinks", "not valid UTF-16");
    free(c);
}

static void test_split_multi_sz(void **state)
{
    (void)state;
    unsigned char b[256] = {0};
    char out[4][RT_CFG_NAME_MAX], why[200];
    assert_int_equal(rt_cfg_split_multi_sz(b, 0, out, 4, why, sizeof why), 0);
    size_t n = w16("", 1, b);
    assert_int_equal(rt_cfg_split_multi_sz(b, n, out, 4, why, sizeof why), 0);
    n = w16("", 2, b);
    assert_int_equal(rt_cfg_split_multi_sz(b, n, out, 4, why, sizeof why), 0);
    n = w16("", 3, b); /* extra NULs after the end are fine */
    assert_int_equal(rt_cfg_split_multi_sz(b, n, out, 4, why, sizeof why), 0);
    n = w16("one", 1, b);
    n += w16("two", 2, b + n);
    assert_int_equal(rt_cfg_split_multi_sz(b, n, out, 4, why, sizeof why), 2);
    assert_string_equal(out[0], "one");
    assert_string_equal(out[1], "two");
    assert_int_equal(rt_cfg_split_multi_sz(b, n, out, 1, why, sizeof why), RT_ERANGE);
    /* every truncation of a valid list is refused, never over-read */
    for (size_t cut = 1; cut < n - 1; cut++) {
        unsigned char *copy = malloc(cut);
        memcpy(copy, b, cut);
        int r = rt_cfg_split_multi_sz(copy, cut, out, 4, why, sizeof why);
        assert_true(r < 0 || (cut <= 4 && r == 0));
        free(copy);
    }
}

/* ------------------------------------------------------------ fuzz */

/* Random bytes of random types for every value name: never crashes (ASan,
 * UBSan), every problem field is valid, printable UTF-8 within its size. */
static void test_random_values(void **state)
{
    (void)state;
    static const char *const names[] = {"RingSize", "StopDrainMs", "DiagLevel", "ActiveSinks",
                                        "Type", "Directory", "FilePrefix", "Format",
                                        "MaxFileMB", "CsvDefuse", "Other"};
    static const uint32_t types[] = {0, 1, 2, 3, 4, 5, 7, 11, 99};
    uint32_t seed = 12345;
    unsigned char *b = malloc(3000);
    for (int round = 0; round < 10000; round++) {
        rt_cfg *c = fresh();
        int s = rt_cfg_sink_begin(c, "r");
        if (round % 3)
            sink_sz(c, s, "Type", "file");
        for (int k = 0; k < 4; k++) {
            seed = seed * 1103515245u + 12345u;
            size_t n = (seed >> 8) % (round % 10 == 0 ? 3000 : 40);
            for (size_t i = 0; i < n; i++) {
                seed = seed * 1103515245u + 12345u;
                b[i] = (unsigned char)(seed >> 16);
                if (seed & 0x100000)
                    b[i] &= 0x7F; /* more ASCII-looking text */
            }
            const char *name = names[(seed >> 4) % (sizeof names / sizeof names[0])];
            uint32_t type = types[(seed >> 12) % (sizeof types / sizeof types[0])];
            if (k & 1)
                rt_cfg_core_value(c, name, type, b, n);
            else
                rt_cfg_sink_value(c, s, name, type, b, n);
        }
        rt_cfg_finish(c);
        for (unsigned i = 0; i < c->nproblems; i++) {
            const rt_cfg_problem *p = &c->problems[i];
            const char *fields[] = {p->key, p->value, p->reason};
            for (int f = 0; f < 3; f++) {
                size_t len = strnlen(fields[f], RT_CFG_PROBLEM_TEXT);
                assert_true(len < RT_CFG_PROBLEM_TEXT);
                for (size_t j = 0; j < len; j++)
                    assert_true((unsigned char)fields[f][j] >= 0x20 && fields[f][j] != 0x7F);
            }
            assert_true(p->reason[0] != 0);
        }
        free(c);
    }
    free(b);
}

static void test_problem_overflow(void **state)
{
    (void)state;
    rt_cfg *c = fresh();
    for (int i = 0; i < RT_CFG_MAX_PROBLEMS + 5; i++)
        core_dword(c, "Nope", (uint32_t)i);
    assert_int_equal(c->nproblems, RT_CFG_MAX_PROBLEMS);
    assert_int_equal(c->problems_lost, 5);
    assert_int_equal(rt_cfg_finish(c), RT_EINVAL);
    rt_cfg_problem_add(c, NULL, NULL, NULL);
    free(c);
}

static void test_type_names(void **state)
{
    (void)state;
    char buf[24];
    assert_string_equal(rt_cfg_type_name(RT_REG_MULTI_SZ, buf, sizeof buf), "REG_MULTI_SZ");
    assert_string_equal(rt_cfg_type_name(RT_REG_QWORD, buf, sizeof buf), "REG_QWORD");
    assert_string_equal(rt_cfg_type_name(4000000000u, buf, sizeof buf), "type 4000000000");
    size_t n;
    assert_true(rt_cfg_sink_types(&n) != NULL && n >= 1);
    assert_string_equal(rt_cfg_core_schema()[RT_CFG_RING_SIZE].name, "RingSize");
    assert_null(rt_cfg_find_sink_type("nope"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty_is_default),
        cmocka_unit_test(test_valid_full),
        cmocka_unit_test(test_ring_size),
        cmocka_unit_test(test_wrong_types),
        cmocka_unit_test(test_ranges),
        cmocka_unit_test(test_string_framing),
        cmocka_unit_test(test_oversized_strings),
        cmocka_unit_test(test_paths),
        cmocka_unit_test(test_expand),
        cmocka_unit_test(test_sink_types),
        cmocka_unit_test(test_syslog_and_eventlog),
        cmocka_unit_test(test_sink_names),
        cmocka_unit_test(test_unknown_core_value),
        cmocka_unit_test(test_multi_sz),
        cmocka_unit_test(test_split_multi_sz),
        cmocka_unit_test(test_random_values),
        cmocka_unit_test(test_problem_overflow),
        cmocka_unit_test(test_type_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
