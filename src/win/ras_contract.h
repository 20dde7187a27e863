/*
 * ras_contract.h - the parts of the RAS admin DLL contract that MinGW's
 * mprapi.h gets wrong or leaves out (ras-admin-contract.md §2.3, §3.10).
 *
 * Shared by rastap.dll, rrashost and the test DLLs, so that the DLL and the
 * host emulating RRAS agree on one layout: the Windows SDK's.
 */
#ifndef RT_RAS_CONTRACT_H
#define RT_RAS_CONTRACT_H

#include <winsock2.h>
#include <windows.h>
#include <ws2tcpip.h>
#include <mprapi.h>
#include <stddef.h>

#define RT_MPRAPI_ADMIN_DLL_VERSION_1 0x1
#define RT_MPRAPI_ADMIN_DLL_VERSION_2 0x2

#define RT_PPP_PROJECTION_INFO_TYPE 1
#define RT_IKEV2_PROJECTION_INFO_TYPE 2

typedef DWORD(APIENTRY *rt_pfn_get_ip)(WCHAR *, WCHAR *, DWORD *, BOOL *);
typedef VOID(APIENTRY *rt_pfn_release_ip)(WCHAR *, WCHAR *, DWORD *);
typedef DWORD(APIENTRY *rt_pfn_get_ipv6)(WCHAR *, WCHAR *, IN6_ADDR *, BOOL *);
typedef VOID(APIENTRY *rt_pfn_release_ipv6)(WCHAR *, WCHAR *, IN6_ADDR *);
typedef BOOL(APIENTRY *rt_pfn_accept_link)(RAS_PORT_0 *, RAS_PORT_1 *);
typedef VOID(APIENTRY *rt_pfn_link_hangup)(RAS_PORT_0 *, RAS_PORT_1 *);
typedef DWORD(APIENTRY *rt_pfn_terminate)(void);
typedef DWORD(APIENTRY *rt_pfn_initialize)(void);
typedef BOOL(APIENTRY *rt_pfn_accept_conn_ex)(RAS_CONNECTION_EX *);
typedef VOID(APIENTRY *rt_pfn_hangup_ex)(RAS_CONNECTION_EX *);
typedef DWORD(APIENTRY *rt_pfn_validate_preauth_ex)(void *);
typedef BOOL(APIENTRY *rt_pfn_accept_conn)(RAS_CONNECTION_0 *, RAS_CONNECTION_1 *);
typedef BOOL(APIENTRY *rt_pfn_accept_conn2)(RAS_CONNECTION_0 *, RAS_CONNECTION_1 *,
                                            RAS_CONNECTION_2 *);
typedef BOOL(APIENTRY *rt_pfn_accept_conn3)(RAS_CONNECTION_0 *, RAS_CONNECTION_1 *,
                                            RAS_CONNECTION_2 *, RAS_CONNECTION_3 *);
typedef VOID(APIENTRY *rt_pfn_hangup)(RAS_CONNECTION_0 *, RAS_CONNECTION_1 *);
typedef VOID(APIENTRY *rt_pfn_hangup2)(RAS_CONNECTION_0 *, RAS_CONNECTION_1 *,
                                       RAS_CONNECTION_2 *);
typedef VOID(APIENTRY *rt_pfn_hangup3)(RAS_CONNECTION_0 *, RAS_CONNECTION_1 *,
                                       RAS_CONNECTION_2 *, RAS_CONNECTION_3 *);
typedef BOOL(APIENTRY *rt_pfn_accept_reauth)(RAS_CONNECTION_0 *, RAS_CONNECTION_1 *,
                                             RAS_CONNECTION_2 *, RAS_CONNECTION_3 *);

/*
 * MPRAPI_ADMIN_DLL_CALLBACKS in the Windows SDK's order: revision and 12
 * pointers (104 bytes on x64, 52 on x86). MinGW's copy lacks
 * lpfnRasAdminAcceptEndpointChangeEx and
 * lpfnRASValidatePreAuthenticatedConnectionEx, which moves the hangup
 * callback into the slot RAS reads as reauthentication.
 */
typedef struct rt_admin_dll_callbacks {
    UCHAR revision;
    rt_pfn_get_ip lpfnMprAdminGetIpAddressForUser;
    rt_pfn_release_ip lpfnMprAdminReleaseIpAddress;
    rt_pfn_get_ipv6 lpfnMprAdminGetIpv6AddressForUser;
    rt_pfn_release_ipv6 lpfnMprAdminReleaseIpV6AddressForUser;
    rt_pfn_accept_link lpfnRasAdminAcceptNewLink;
    rt_pfn_link_hangup lpfnRasAdminLinkHangupNotification;
    rt_pfn_terminate lpfnRasAdminTerminateDll;
    rt_pfn_accept_conn_ex lpfnRasAdminAcceptNewConnectionEx;
    rt_pfn_accept_conn_ex lpfnRasAdminAcceptEndpointChangeEx;
    rt_pfn_accept_conn_ex lpfnRasAdminAcceptReauthenticationEx;
    rt_pfn_hangup_ex lpfnRasAdminConnectionHangupNotificationEx;
    rt_pfn_validate_preauth_ex lpfnRASValidatePreAuthenticatedConnectionEx;
} rt_admin_dll_callbacks;

typedef DWORD(APIENTRY *rt_pfn_initialize_ex)(rt_admin_dll_callbacks *);

#define RT_PTR_SLOT(n) (sizeof(void *) * (size_t)(n))
_Static_assert(offsetof(rt_admin_dll_callbacks, revision) == 0, "revision at 0");
_Static_assert(offsetof(rt_admin_dll_callbacks, lpfnMprAdminGetIpAddressForUser) == RT_PTR_SLOT(1),
               "slot 1");
_Static_assert(offsetof(rt_admin_dll_callbacks, lpfnRasAdminAcceptNewLink) == RT_PTR_SLOT(5),
               "slot 5");
_Static_assert(offsetof(rt_admin_dll_callbacks, lpfnRasAdminLinkHangupNotification) ==
                   RT_PTR_SLOT(6),
               "slot 6");
_Static_assert(offsetof(rt_admin_dll_callbacks, lpfnRasAdminAcceptNewConnectionEx) ==
                   RT_PTR_SLOT(8),
               "slot 8");
_Static_assert(offsetof(rt_admin_dll_callbacks, lpfnRasAdminAcceptEndpointChangeEx) ==
                   RT_PTR_SLOT(9),
               "slot 9");
_Static_assert(offsetof(rt_admin_dll_callbacks, lpfnRasAdminAcceptReauthenticationEx) ==
                   RT_PTR_SLOT(10),
               "slot 10");
_Static_assert(offsetof(rt_admin_dll_callbacks, lpfnRasAdminConnectionHangupNotificationEx) ==
                   RT_PTR_SLOT(11),
               "slot 11");
_Static_assert(offsetof(rt_admin_dll_callbacks,
                        lpfnRASValidatePreAuthenticatedConnectionEx) == RT_PTR_SLOT(12),
               "slot 12");
_Static_assert(sizeof(rt_admin_dll_callbacks) == RT_PTR_SLOT(13), "13 slots: 104 x64, 52 x86");

/* Sizes the contract measured on x64 (§3.9). */
#ifdef _WIN64
_Static_assert(sizeof(RAS_CONNECTION_0) == 1128, "RAS_CONNECTION_0");
_Static_assert(offsetof(RAS_CONNECTION_0, wszUserName) == 542, "RAS_CONNECTION_0.wszUserName");
_Static_assert(sizeof(RAS_CONNECTION_1) == 296, "RAS_CONNECTION_1");
_Static_assert(sizeof(RAS_CONNECTION_2) == 848, "RAS_CONNECTION_2");
_Static_assert(sizeof(RAS_CONNECTION_3) == 792, "RAS_CONNECTION_3");
_Static_assert(offsetof(RAS_CONNECTION_3, PppInfo3) == 552, "RAS_CONNECTION_3.PppInfo3");
_Static_assert(offsetof(RAS_CONNECTION_3, timer) == 784, "RAS_CONNECTION_3.timer");
_Static_assert(sizeof(RAS_CONNECTION_EX) == 1672, "RAS_CONNECTION_EX");
_Static_assert(offsetof(RAS_CONNECTION_EX, wszUserName) == 530, "RAS_CONNECTION_EX.wszUserName");
_Static_assert(offsetof(RAS_CONNECTION_EX, guid) == 1112, "RAS_CONNECTION_EX.guid");
_Static_assert(offsetof(RAS_CONNECTION_EX, ProjectionInfo) == 1456,
               "RAS_CONNECTION_EX.ProjectionInfo");
_Static_assert(offsetof(RAS_CONNECTION_EX, hConnection) == 1656, "RAS_CONNECTION_EX.hConnection");
_Static_assert(sizeof(PROJECTION_INFO) == 200, "PROJECTION_INFO");
_Static_assert(sizeof(PPP_PROJECTION_INFO) == 192, "PPP_PROJECTION_INFO");
_Static_assert(sizeof(IKEV2_PROJECTION_INFO) == 144, "IKEV2_PROJECTION_INFO");
_Static_assert(sizeof(RAS_PORT_0) == 392, "RAS_PORT_0");
_Static_assert(sizeof(RAS_PORT_1) == 72, "RAS_PORT_1");
#endif

#endif /* RT_RAS_CONTRACT_H */
