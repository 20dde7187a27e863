/*
 * test_load.c - rastap.dll is loaded and validated the way RRAS does it
 * (ras-admin-contract.md §1.3, §2.2, §2.3): from its own directory with
 * LOAD_LIBRARY_SEARCH_DEFAULT_DIRS, the Ex block in the SDK layout with a
 * guard behind it, then the legacy exports by name.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "ras_contract.h"
#include "testutil.h"

static const char *dll_arg;
static WCHAR out_dir[MAX_PATH];

#define GUARD 64
#define BLOCK sizeof(rt_admin_dll_callbacks)

static const char *const exports[] = {
    "MprAdminInitializeDll", "MprAdminInitializeDllEx", "MprAdminTerminateDll",
    "MprAdminAcceptNewConnection", "MprAdminAcceptNewConnection2", "MprAdminAcceptNewConnection3",
    "MprAdminAcceptNewConnectionEx", "MprAdminAcceptNewLink", "MprAdminAcceptReauthentication",
    "MprAdminAcceptReauthenticationEx", "MprAdminConnectionHangupNotification",
    "MprAdminConnectionHangupNotification2", "MprAdminConnectionHangupNotification3",
    "MprAdminConnectionHangupNotificationEx", "MprAdminLinkHangupNotification",
    "MprAdminGetIpAddressForUser", "MprAdminReleaseIpAddress", "MprAdminGetIpv6AddressForUser",
    "MprAdminReleaseIpv6AddressForUser",
};

static int setup(void **state)
{
    (void)state;
    tu_temp_dir("load-out", out_dir, MAX_PATH);
    tu_fresh_dir(out_dir);
    tu_config_file_sink(out_dir, "jsonl");
    return 0;
}

static void test_layout_is_the_sdks(void **state)
{
    (void)state;
    assert_int_equal(BLOCK, sizeof(void *) == 8 ? 104 : 52);
    assert_int_equal(offsetof(rt_admin_dll_callbacks, lpfnRasAdminConnectionHangupNotificationEx),
                     11 * sizeof(void *));
}

/* RRAS's check (RE-val): revision 2, both link callbacks, the Ex connection
 * pair, each address pair complete or absent. */
static void validate_like_rras(const rt_admin_dll_callbacks *cb)
{
    assert_int_equal(cb->revision, RT_MPRAPI_ADMIN_DLL_VERSION_2);
    assert_non_null(cb->lpfnRasAdminAcceptNewLink);
    assert_non_null(cb->lpfnRasAdminLinkHangupNotification);
    assert_non_null(cb->lpfnRasAdminAcceptNewConnectionEx);
    assert_non_null(cb->lpfnRasAdminConnectionHangupNotificationEx);
    assert_int_equal(cb->lpfnMprAdminGetIpAddressForUser == NULL,
                     cb->lpfnMprAdminReleaseIpAddress == NULL);
    assert_int_equal(cb->lpfnMprAdminGetIpv6AddressForUser == NULL,
                     cb->lpfnMprAdminReleaseIpV6AddressForUser == NULL);
}

static void test_ex_block(void **state)
{
    (void)state;
    HMODULE h = tu_load_rastap(dll_arg, "load-ex");
    assert_non_null(h);
    rt_pfn_initialize_ex init = (rt_pfn_initialize_ex)(void *)GetProcAddress(h,
                                                                            "MprAdminInitializeDllEx");
    assert_non_null(init);

    unsigned char raw[BLOCK + GUARD];
    memset(raw, 0, BLOCK);
    memset(raw + BLOCK, 0xA5, GUARD);
    rt_admin_dll_callbacks *cb = (rt_admin_dll_callbacks *)(void *)raw;
    assert_int_equal(init(cb), NO_ERROR);
    for (size_t i = 0; i < GUARD; i++)
        assert_int_equal(raw[BLOCK + i], 0xA5); /* nothing written past the block */
    validate_like_rras(cb);

    /* Each slot holds the function RAS means by it. */
    assert_ptr_equal((void *)cb->lpfnRasAdminAcceptNewConnectionEx,
                     (void *)GetProcAddress(h, "MprAdminAcceptNewConnectionEx"));
    assert_ptr_equal((void *)cb->lpfnRasAdminConnectionHangupNotificationEx,
                     (void *)GetProcAddress(h, "MprAdminConnectionHangupNotificationEx"));
    assert_ptr_equal((void *)cb->lpfnRasAdminAcceptReauthenticationEx,
                     (void *)GetProcAddress(h, "MprAdminAcceptReauthenticationEx"));
    assert_ptr_equal((void *)cb->lpfnRasAdminAcceptNewLink,
                     (void *)GetProcAddress(h, "MprAdminAcceptNewLink"));
    assert_ptr_equal((void *)cb->lpfnRasAdminTerminateDll,
                     (void *)GetProcAddress(h, "MprAdminTerminateDll"));
    assert_null(cb->lpfnRasAdminAcceptEndpointChangeEx);
    assert_null(cb->lpfnRASValidatePreAuthenticatedConnectionEx);

    assert_int_equal(cb->lpfnRasAdminTerminateDll(), NO_ERROR);
    assert_true(FreeLibrary(h));
}

static void test_legacy_exports(void **state)
{
    (void)state;
    HMODULE h = tu_load_rastap(dll_arg, "load-legacy");
    assert_non_null(h);
    for (size_t i = 0; i < sizeof exports / sizeof exports[0]; i++) {
        if (!GetProcAddress(h, exports[i]))
            fail_msg("export %s missing", exports[i]);
    }
    rt_pfn_initialize init = (rt_pfn_initialize)(void *)GetProcAddress(h, "MprAdminInitializeDll");
    rt_pfn_terminate term = (rt_pfn_terminate)(void *)GetProcAddress(h, "MprAdminTerminateDll");
    assert_int_equal(init(), NO_ERROR);
    assert_int_equal(term(), NO_ERROR);
    assert_true(FreeLibrary(h));
}

/* RRAS restarts reuse the process: Initialize -> Terminate twice, then an
 * unload while nothing runs. */
static void test_restart_in_one_process(void **state)
{
    (void)state;
    HMODULE h = tu_load_rastap(dll_arg, "load-restart");
    assert_non_null(h);
    rt_pfn_initialize init = (rt_pfn_initialize)(void *)GetProcAddress(h, "MprAdminInitializeDll");
    rt_pfn_terminate term = (rt_pfn_terminate)(void *)GetProcAddress(h, "MprAdminTerminateDll");
    rt_pfn_initialize_ex init_ex =
        (rt_pfn_initialize_ex)(void *)GetProcAddress(h, "MprAdminInitializeDllEx");
    for (int round = 0; round < 2; round++) {
        assert_int_equal(init(), NO_ERROR);
        assert_int_equal(term(), NO_ERROR);
        rt_admin_dll_callbacks cb;
        memset(&cb, 0, sizeof cb);
        assert_int_equal(init_ex(&cb), NO_ERROR);
        validate_like_rras(&cb);
        assert_int_equal(cb.lpfnRasAdminTerminateDll(), NO_ERROR);
    }
    /* Terminate without Initialize, twice, is harmless. */
    assert_int_equal(term(), NO_ERROR);
    assert_int_equal(term(), NO_ERROR);
    assert_true(FreeLibrary(h));
}

static void test_null_callbacks_block(void **state)
{
    (void)state;
    HMODULE h = tu_load_rastap(dll_arg, "load-null");
    assert_non_null(h);
    rt_pfn_initialize_ex init =
        (rt_pfn_initialize_ex)(void *)GetProcAddress(h, "MprAdminInitializeDllEx");
    assert_int_equal(init(NULL), ERROR_INVALID_PARAMETER);
    assert_true(FreeLibrary(h));
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: test_load PATH-TO-rastap.dll\n");
        return 2;
    }
    dll_arg = argv[1];
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_layout_is_the_sdks),
        cmocka_unit_test(test_ex_block),
        cmocka_unit_test(test_legacy_exports),
        cmocka_unit_test(test_restart_in_one_process),
        cmocka_unit_test(test_null_callbacks_block),
    };
    int rc = cmocka_run_group_tests(tests, setup, NULL);
    tu_config_file_sink(NULL, NULL);
    return rc;
}
