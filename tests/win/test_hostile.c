/*
 * test_hostile.c - every callout returns normally on any input: NULL for
 * each pointer, structures full of garbage with no string terminators,
 * before Initialize and after Terminate. The records written from garbage
 * must still be well-formed lines (one JSON object each, no raw control
 * characters); the Python end-to-end check parses them fully.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ras_contract.h"
#include "testutil.h"

static const char *dll_arg;
static HMODULE dll;
static WCHAR out_dir[MAX_PATH];

#define GET(name) ((void *)GetProcAddress(dll, name))

static RAS_CONNECTION_0 c0;
static RAS_CONNECTION_1 c1;
static RAS_CONNECTION_2 c2;
static RAS_CONNECTION_3 c3;
static RAS_CONNECTION_EX cx;
static RAS_PORT_0 p0;
static RAS_PORT_1 p1;
static WCHAR user[300], port[40];
static DWORD ip;
static BOOL notify;
static IN6_ADDR ip6;

static void fill(void *p, size_t n, unsigned seed)
{
    unsigned char *b = p;
    for (size_t i = 0; i < n; i++) {
        seed = seed * 1103515245u + 12345u;
        b[i] = (unsigned char)(seed >> 16);
    }
}

static void garbage(unsigned seed)
{
    fill(&c0, sizeof c0, seed);
    fill(&c1, sizeof c1, seed + 1);
    fill(&c2, sizeof c2, seed + 2);
    fill(&c3, sizeof c3, seed + 3);
    fill(&cx, sizeof cx, seed + 4);
    fill(&p0, sizeof p0, seed + 5);
    fill(&p1, sizeof p1, seed + 6);
    fill(&ip6, sizeof ip6, seed + 7);
    fill(&ip, sizeof ip, seed + 8);
    /* the address callouts get NUL-terminated strings of unknown length;
     * give them the longest legal ones, full of hostile units */
    for (size_t i = 0; i < 299; i++)
        user[i] = (WCHAR)(0xD800 + ((seed + i) % 0x800)); /* lone surrogates */
    user[299] = 0;
    for (size_t i = 0; i < 39; i++)
        port[i] = (WCHAR)((seed + i) % 32 + 1); /* control characters */
    port[39] = 0;
    if (seed & 1)
        cx.ProjectionInfo.projectionInfoType = (UCHAR)(1 + (seed & 2) / 2);
}

/* Calls all 17 connection/link/address callouts once, with a, b, c, d as
 * the structure pointers (NULL or garbage). */
static void call_all(bool with_structs)
{
    RAS_CONNECTION_0 *a = with_structs ? &c0 : NULL;
    RAS_CONNECTION_1 *b = with_structs ? &c1 : NULL;
    RAS_CONNECTION_2 *c = with_structs ? &c2 : NULL;
    RAS_CONNECTION_3 *d = with_structs ? &c3 : NULL;
    RAS_CONNECTION_EX *x = with_structs ? &cx : NULL;
    RAS_PORT_0 *q0 = with_structs ? &p0 : NULL;
    RAS_PORT_1 *q1 = with_structs ? &p1 : NULL;
    WCHAR *u = with_structs ? user : NULL, *pt = with_structs ? port : NULL;

    assert_true(((rt_pfn_accept_conn)GET("MprAdminAcceptNewConnection"))(a, b));
    assert_true(((rt_pfn_accept_conn2)GET("MprAdminAcceptNewConnection2"))(a, b, c));
    assert_true(((rt_pfn_accept_conn3)GET("MprAdminAcceptNewConnection3"))(a, b, c, d));
    assert_true(((rt_pfn_accept_conn_ex)GET("MprAdminAcceptNewConnectionEx"))(x));
    assert_true(((rt_pfn_accept_link)GET("MprAdminAcceptNewLink"))(q0, q1));
    assert_true(((rt_pfn_accept_reauth)GET("MprAdminAcceptReauthentication"))(a, b, c, d));
    assert_true(((rt_pfn_accept_conn_ex)GET("MprAdminAcceptReauthenticationEx"))(x));
    ((rt_pfn_link_hangup)GET("MprAdminLinkHangupNotification"))(q0, q1);
    ((rt_pfn_hangup)GET("MprAdminConnectionHangupNotification"))(a, b);
    ((rt_pfn_hangup2)GET("MprAdminConnectionHangupNotification2"))(a, b, c);
    ((rt_pfn_hangup3)GET("MprAdminConnectionHangupNotification3"))(a, b, c, d);
    ((rt_pfn_hangup_ex)GET("MprAdminConnectionHangupNotificationEx"))(x);
    DWORD *ipp = with_structs ? &ip : NULL;
    BOOL *np = with_structs ? &notify : NULL;
    IN6_ADDR *a6 = with_structs ? &ip6 : NULL;
    DWORD before = ip;
    assert_int_equal(((rt_pfn_get_ip)GET("MprAdminGetIpAddressForUser"))(u, pt, ipp, np),
                     NO_ERROR);
    if (with_structs) {
        assert_int_equal(ip, before); /* RAS's proposal is kept */
        assert_true(notify);
    }
    ((rt_pfn_release_ip)GET("MprAdminReleaseIpAddress"))(u, pt, ipp);
    assert_int_equal(((rt_pfn_get_ipv6)GET("MprAdminGetIpv6AddressForUser"))(u, pt, a6, np),
                     NO_ERROR);
    ((rt_pfn_release_ipv6)GET("MprAdminReleaseIpv6AddressForUser"))(u, pt, a6);
}

static void test_before_initialize(void **state)
{
    (void)state;
    garbage(1);
    call_all(false);
    call_all(true);
}

static void test_running(void **state)
{
    (void)state;
    assert_int_equal(((rt_pfn_initialize)GET("MprAdminInitializeDll"))(), NO_ERROR);
    call_all(false);
    for (unsigned seed = 2; seed < 200; seed++) {
        garbage(seed);
        call_all(true);
    }
    assert_int_equal(((rt_pfn_terminate)GET("MprAdminTerminateDll"))(), NO_ERROR);
}

static void test_after_terminate(void **state)
{
    (void)state;
    garbage(999);
    call_all(true);
    call_all(false);
}

/* Every line written is one JSON object without raw control characters. */
static void test_output_well_formed(void **state)
{
    (void)state;
    WCHAR pattern[MAX_PATH], path[MAX_PATH];
    _snwprintf(pattern, MAX_PATH, L"%ls\\*.jsonl", out_dir);
    WIN32_FIND_DATAW fd;
    HANDLE h = FindFirstFileW(pattern, &fd);
    assert_true(h != INVALID_HANDLE_VALUE);
    _snwprintf(path, MAX_PATH, L"%ls\\%ls", out_dir, fd.cFileName);
    FindClose(h);
    FILE *f = _wfopen(path, L"rb");
    assert_non_null(f);
    static char line[1 << 16];
    unsigned lines = 0;
    while (fgets(line, sizeof line, f)) {
        size_t n = strlen(line);
        assert_true(n > 2 && line[n - 1] == '\n');
        assert_int_equal(line[0], '{');
        assert_int_equal(line[n - 2], '}');
        for (size_t i = 0; i + 1 < n; i++)
            if ((unsigned char)line[i] < 0x20)
                fail_msg("raw control character 0x%02x in line %u", line[i], lines + 1);
        lines++;
    }
    fclose(f);
    /* service.start + 17 callouts x (1 + 198) + service.stop, unless dropped */
    assert_true(lines >= 2 + 17 * 199 / 2);
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return 2;
    dll_arg = argv[1];
    tu_temp_dir("hostile-out", out_dir, MAX_PATH);
    tu_fresh_dir(out_dir);
    tu_config_file_sink(out_dir, "jsonl");
    dll = tu_load_rastap(dll_arg, "hostile");
    if (!dll)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_before_initialize),
        cmocka_unit_test(test_running),
        cmocka_unit_test(test_after_terminate),
        cmocka_unit_test(test_output_well_formed),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    tu_config_file_sink(NULL, NULL);
    return rc;
}
