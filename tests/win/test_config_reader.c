/*
 * test_config_reader.c - src/win/config.c against Wine's real registry:
 * keys deleted while the reader holds them open, values too large to read,
 * names too long, REG_EXPAND_SZ expansion; and the snapshot publication
 * (generations, the grace-period bound, reclaiming).
 *
 * rastap.dll exports nothing but the 19 callouts, so this test compiles
 * config.c into itself (it depends on the model and advapi32 only) instead
 * of going through the DLL; test_config_hostile.c covers the same reader
 * inside the running DLL.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/win/config.c"

#define TEST_KEY L"SOFTWARE\\rastap-tests\\reader"

static HKEY create(const WCHAR *sub)
{
    WCHAR path[256];
    HKEY k;
    _snwprintf(path, 256, L"%ls%ls%ls", TEST_KEY, sub[0] ? L"\\" : L"", sub);
    assert_int_equal(RegCreateKeyExW(HKEY_LOCAL_MACHINE, path, 0, NULL, 0,
                                     KEY_ALL_ACCESS | KEY_WOW64_64KEY, NULL, &k, NULL),
                     0);
    return k;
}

static void put_sz(HKEY k, const WCHAR *name, const WCHAR *v)
{
    assert_int_equal(RegSetValueExW(k, name, 0, REG_SZ, (const BYTE *)v,
                                    (DWORD)((wcslen(v) + 1) * sizeof(WCHAR))),
                     0);
}

static void fresh_tree(void)
{
    RegDeleteTreeW(HKEY_LOCAL_MACHINE, TEST_KEY);
    HKEY root = create(L""), s = create(L"Sinks\\main");
    DWORD ring = 256;
    RegSetValueExW(root, L"RingSize", 0, REG_DWORD, (const BYTE *)&ring, sizeof ring);
    put_sz(s, L"Type", L"file");
    put_sz(s, L"Directory", L"C:\\rastap-tests");
    RegCloseKey(s);
    RegCloseKey(root);
}

static HKEY open_root(void)
{
    HKEY k;
    assert_int_equal(RegOpenKeyExW(HKEY_LOCAL_MACHINE, TEST_KEY, 0, KEY_READ | KEY_WOW64_64KEY,
                                   &k),
                     0);
    return k;
}

static void has_problem(const rt_cfg *m, const char *key, const char *why)
{
    for (unsigned i = 0; i < m->nproblems; i++)
        if (!strcmp(m->problems[i].key, key) && strstr(m->problems[i].reason, why))
            return;
    for (unsigned i = 0; i < m->nproblems; i++)
        print_message("%s: %s\n", m->problems[i].key, m->problems[i].reason);
    fail_msg("no problem %s: %s", key, why);
}

static void test_reads_a_tree(void **state)
{
    (void)state;
    fresh_tree();
    rt_cfg *m = malloc(sizeof *m);
    HKEY root = open_root();
    assert_int_equal(rt_config_read(root, m), 0);
    RegCloseKey(root);
    assert_int_equal(m->ring_size, 256);
    assert_int_equal(m->nactive, 1);
    assert_string_equal(rt_cfg_sink_get(rt_cfg_active_sink(m, 0), "Directory"),
                        "C:\\rastap-tests");
    rt_config *c = rt_config_build(m);
    assert_non_null(c);
    assert_int_equal(c->nsinks, 1);
    assert_string_equal(c->sinks[0].name, "main");
    assert_string_equal(c->sinks[0].type, "file");
    assert_int_equal(c->sinks[0].count, 1);
    assert_string_equal(c->sinks[0].settings[0].key, "Directory");
    rt_config_free(c);
    free(m);
}

/* The whole key deleted while the reader holds it open. */
static void test_root_deleted_mid_read(void **state)
{
    (void)state;
    fresh_tree();
    HKEY root = open_root();
    assert_int_equal(RegDeleteTreeW(HKEY_LOCAL_MACHINE, TEST_KEY), 0);
    RegDeleteKeyExW(HKEY_LOCAL_MACHINE, TEST_KEY, KEY_WOW64_64KEY, 0);
    rt_cfg *m = malloc(sizeof *m);
    assert_int_equal(rt_config_read(root, m), RT_EINVAL);
    RegCloseKey(root);
    has_problem(m, "(rastap key)", "deleted while being read");
    free(m);
}

/* The sink's key deleted while the reader holds the Sinks key open. */
static void test_sink_deleted_mid_read(void **state)
{
    (void)state;
    fresh_tree();
    HKEY root = open_root(), sinks, sink;
    assert_int_equal(RegOpenKeyExW(root, L"Sinks", 0, KEY_READ, &sinks), 0);
    assert_int_equal(RegOpenKeyExW(sinks, L"main", 0, KEY_READ, &sink), 0);
    WCHAR path[256];
    _snwprintf(path, 256, L"%ls\\Sinks\\main", TEST_KEY);
    assert_int_equal(RegDeleteTreeW(HKEY_LOCAL_MACHINE, path), 0);
    RegDeleteKeyExW(HKEY_LOCAL_MACHINE, path, KEY_WOW64_64KEY, 0);
    rt_cfg *m = malloc(sizeof *m);
    rt_cfg_init(m, NULL, NULL);
    int s = rt_cfg_sink_begin(m, "main");
    BYTE *data = malloc(DATA_MAX);
    read_values(sink, m, s, "Sinks\\main", L"Type", data);
    assert_int_equal(rt_cfg_finish(m), RT_EINVAL);
    has_problem(m, "Sinks\\main", "deleted while being read");
    /* and a sink enumerated but gone when opened */
    rt_cfg_init(m, NULL, NULL);
    read_sink(sinks, L"main", 4, m, data);
    assert_int_equal(rt_cfg_finish(m), RT_EINVAL);
    has_problem(m, "Sinks\\main", "deleted while being read");
    free(data);
    free(m);
    RegCloseKey(sink);
    RegCloseKey(sinks);
    RegCloseKey(root);
}

static void test_too_large_and_long_names(void **state)
{
    (void)state;
    fresh_tree();
    HKEY root = create(L"");
    BYTE *big = calloc(1, 70000);
    RegSetValueExW(root, L"StopDrainMs", 0, REG_BINARY, big, 70000);
    WCHAR name[300];
    for (int i = 0; i < 299; i++)
        name[i] = L'n';
    name[299] = 0;
    DWORD one = 1;
    assert_int_equal(RegSetValueExW(root, name, 0, REG_DWORD, (const BYTE *)&one, 4), 0);
    RegCloseKey(root);
    free(big);
    rt_cfg *m = malloc(sizeof *m);
    assert_int_equal(rt_config_read(open_root(), m), RT_EINVAL);
    has_problem(m, "StopDrainMs", "too large");
    has_problem(m, "?", "longer than 256");
    free(m);
}

static void test_expand(void **state)
{
    (void)state;
    char out[512];
    SetEnvironmentVariableW(L"RASTAP_TEST_DIR", L"D:\\acct");
    assert_true(rt_config_expand(NULL, "%RASTAP_TEST_DIR%\\rras", out, sizeof out));
    assert_string_equal(out, "D:\\acct\\rras");
    assert_false(rt_config_expand(NULL, "%RASTAP_NO_SUCH_VARIABLE%\\x", out, sizeof out));
    assert_true(rt_config_expand(NULL, "50% off", out, sizeof out)); /* a lone % is text */

    fresh_tree();
    HKEY s = create(L"Sinks\\main");
    const WCHAR *v = L"%RASTAP_TEST_DIR%\\x";
    RegSetValueExW(s, L"Directory", 0, REG_EXPAND_SZ, (const BYTE *)v,
                   (DWORD)((wcslen(v) + 1) * sizeof(WCHAR)));
    RegCloseKey(s);
    rt_cfg *m = malloc(sizeof *m);
    assert_int_equal(rt_config_read(open_root(), m), 0);
    assert_string_equal(rt_cfg_sink_get(rt_cfg_active_sink(m, 0), "Directory"), "D:\\acct\\x");
    free(m);
}

static void test_missing_key_is_default(void **state)
{
    (void)state;
    /* the real key is absent in this test's prefix unless another test left it */
    rt_cfg *m = malloc(sizeof *m);
    HKEY k;
    if (RegOpenKeyExW(HKEY_LOCAL_MACHINE, RT_CONFIG_KEY, 0, KEY_READ | KEY_WOW64_64KEY, &k) ==
        ERROR_SUCCESS) {
        RegCloseKey(k);
        skip();
    }
    assert_int_equal(rt_config_read(NULL, m), 0);
    assert_false(m->key_present);
    assert_int_equal(m->nactive, 1);
    assert_string_equal(rt_cfg_active_sink(m, 0)->name, "default");
    free(m);
}

/* Generations count up; the replaced snapshot stays readable through its
 * grace period; with every retired slot in its grace period a publication
 * waits (returns false) instead of freeing one early. */
static void test_publication(void **state)
{
    (void)state;
    rt_cfg *m = malloc(sizeof *m);
    rt_cfg_init(m, NULL, NULL);
    rt_cfg_finish(m);
    assert_null(rt_config_current());
    rt_config *first = rt_config_build(m);
    assert_true(rt_config_publish(first));
    assert_ptr_equal(rt_config_current(), first);
    assert_int_equal(first->generation, 1);
    for (unsigned i = 0; i < RT_CONFIG_RETIRED_MAX; i++) {
        rt_config *c = rt_config_build(m);
        assert_true(rt_config_publish(c));
        assert_int_equal(c->generation, i + 2);
        assert_true(rt_config_same(first, c)); /* generation does not count */
    }
    assert_int_equal(first->nsinks, 1); /* retired, not freed */
    rt_config *late = rt_config_build(m);
    assert_false(rt_config_publish(late));
    assert_int_equal(rt_config_current()->generation, RT_CONFIG_RETIRED_MAX + 1);
    rt_config_free(late);
    rt_config_reclaim(true);
    assert_null(rt_config_current());

    /* same_sinks looks at every setting */
    rt_cfg_init(m, NULL, NULL);
    int s = rt_cfg_sink_begin(m, "x");
    BYTE b[64];
    memcpy(b, L"file", 10);
    rt_cfg_sink_value(m, s, "Type", REG_SZ, b, 10);
    rt_cfg_finish(m);
    rt_config *x = rt_config_build(m);
    memcpy(b, L"csv", 8);
    rt_cfg_sink_value(m, s, "Format", REG_SZ, b, 8);
    rt_cfg_finish(m);
    rt_config *y = rt_config_build(m);
    assert_false(rt_config_same_sinks(x, y));
    assert_false(rt_config_same(x, y));
    rt_config_free(x);
    rt_config_free(y);
    free(m);
}

int main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reads_a_tree),
        cmocka_unit_test(test_root_deleted_mid_read),
        cmocka_unit_test(test_sink_deleted_mid_read),
        cmocka_unit_test(test_too_large_and_long_names),
        cmocka_unit_test(test_expand),
        cmocka_unit_test(test_missing_key_is_default),
        cmocka_unit_test(test_publication),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    RegDeleteTreeW(HKEY_LOCAL_MACHINE, L"SOFTWARE\\rastap-tests");
    RegDeleteKeyExW(HKEY_LOCAL_MACHINE, L"SOFTWARE\\rastap-tests", KEY_WOW64_64KEY, 0);
    return rc;
}
