/*
 * validate.c - what makes RRAS refuse an admin DLL with error 87, in words.
 */
#include <stdio.h>
#include <string.h>

#include "validate.h"

typedef struct reasons {
    char text[1536];
    unsigned n;
} reasons;

static void add(reasons *r, const char *s)
{
    size_t len = strlen(r->text);
    snprintf(r->text + len, sizeof r->text - len, "  - %s\n", s);
    r->n++;
}

static void check_ex(const rh_dll *d, reasons *r)
{
    if (!d->accept_ex)
        add(r, "lpfnRasAdminAcceptNewConnectionEx is NULL (revision 2 requires it)");
    if (!d->hangup_ex)
        add(r, "lpfnRasAdminConnectionHangupNotificationEx is NULL (revision 2 requires it)");
}

static void check_legacy(const rh_dll *d, reasons *r, bool via_ex)
{
    if (!d->accept1 && !d->accept2 && !d->accept3)
        add(r, via_ex ? "revision 1 through MprAdminInitializeDllEx: the legacy connection "
                        "callouts are never filled on the Ex path, so revision must be 2"
                      : "none of MprAdminAcceptNewConnection, MprAdminAcceptNewConnection2, "
                        "MprAdminAcceptNewConnection3 is exported");
    else if (!d->hangup1 && !d->hangup2 && !d->hangup3)
        add(r, "none of MprAdminConnectionHangupNotification, ...Notification2, "
               "...Notification3 is exported");
}

static void check_pairs(const rh_dll *d, reasons *r)
{
    const char *link = d->ex ? "lpfnRasAdmin" : "MprAdmin";
    char buf[160];
    if (!d->accept_link) {
        snprintf(buf, sizeof buf, "%sAcceptNewLink is %s (both link callouts are required)",
                 link, d->ex ? "NULL" : "not exported");
        add(r, buf);
    }
    if (!d->link_hangup) {
        snprintf(buf, sizeof buf,
                 "%sLinkHangupNotification is %s (both link callouts are required)", link,
                 d->ex ? "NULL" : "not exported");
        add(r, buf);
    }
    if (!d->get_ip != !d->release_ip)
        add(r, d->get_ip ? "MprAdminGetIpAddressForUser without MprAdminReleaseIpAddress "
                           "(the IPv4 pair is both or neither)"
                         : "MprAdminReleaseIpAddress without MprAdminGetIpAddressForUser "
                           "(the IPv4 pair is both or neither)");
    if (!d->get_ipv6 != !d->release_ipv6)
        add(r, d->get_ipv6 ? "MprAdminGetIpv6AddressForUser without "
                             "MprAdminReleaseIpv6AddressForUser (the IPv6 pair is both or neither)"
                           : "MprAdminReleaseIpv6AddressForUser without "
                             "MprAdminGetIpv6AddressForUser (the IPv6 pair is both or neither)");
}

static void hints(const rh_dll *d)
{
    if (d->ex && d->revision == 2 && d->accept_ex && !d->hangup_ex && d->reauth_ex)
        fputs("rrashost: hint: slot 10 (lpfnRasAdminAcceptReauthenticationEx) holds a pointer "
              "while slot 11 (...ConnectionHangupNotificationEx) is empty: the DLL probably "
              "filled MinGW's 10-pointer MPRAPI_ADMIN_DLL_CALLBACKS, which lacks "
              "lpfnRasAdminAcceptEndpointChangeEx, so HangupEx landed in RRAS's reauthentication "
              "slot. Use the SDK layout (13 members, 104 bytes on x64).\n",
              stderr);
    char names[512] = "";
    if (!d->ex && rh_decorated_exports(d->module, names, sizeof names) > 0)
        fprintf(stderr, "rrashost: hint: the DLL exports decorated names (%s); RRAS looks up "
                        "undecorated names such as MprAdminAcceptNewLink. Export plain names "
                        "with a .def file (i686: -Wl,--kill-at).\n",
                names);
}

static void notes(const rh_dll *d)
{
    if (!d->terminate)
        printf("note: %s: no MprAdminTerminateDll; the documentation requires it, RRAS does "
               "not check\n",
               d->name_utf8);
    if (!d->reauth && !d->reauth_ex)
        printf("note: %s: no reauthentication callout; documented as required, not checked by "
               "RRAS, never called\n",
               d->name_utf8);
    if (!d->ex && !d->initialize)
        printf("note: %s: no MprAdminInitializeDll export (allowed: RRAS calls it only if "
               "present)\n",
               d->name_utf8);
    if (d->endpoint_change_ex || d->validate_preauth_ex)
        printf("note: %s: sets an undocumented Ex slot (%s); rrashost never calls it\n",
               d->name_utf8,
               d->endpoint_change_ex ? "lpfnRasAdminAcceptEndpointChangeEx"
                                     : "lpfnRASValidatePreAuthenticatedConnectionEx");
}

DWORD rh_validate(const rh_dll *d)
{
    reasons r = {.text = "", .n = 0};
    char buf[160];
    if (d->revision != 1 && d->revision != 2) {
        snprintf(buf, sizeof buf, "revision is %u; it must be 1 or 2 (2 on the Ex path)",
                 d->revision);
        add(&r, buf);
    } else if (d->revision == 2) {
        check_ex(d, &r);
    } else {
        check_legacy(d, &r, d->ex);
    }
    check_pairs(d, &r);
    if (r.n == 0) {
        notes(d);
        return NO_ERROR;
    }
    fprintf(stderr,
            "rrashost: %s: refused with error %s, as RRAS's ValidateAdminDllFunctions would "
            "(%s path):\n%s",
            d->path_utf8, rh_win32_message(ERROR_INVALID_PARAMETER), d->ex ? "Ex" : "legacy",
            r.text);
    hints(d);
    fputs("rrashost: RRAS would not start; the DLL was unloaded without MprAdminTerminateDll\n",
          stderr);
    return ERROR_INVALID_PARAMETER;
}

void rh_choose_variants(rh_dll *d)
{
    if (d->ex) {
        d->accept_co = RH_CO_ACCEPT_CONN_EX;
        d->hangup_co = RH_CO_HANGUP_EX;
        d->reauth_co = d->reauth_ex ? RH_CO_REAUTH_EX : RH_CO_COUNT;
        return;
    }
    d->accept_co = d->accept3 ? RH_CO_ACCEPT_CONN3
                   : d->accept2 ? RH_CO_ACCEPT_CONN2
                                : RH_CO_ACCEPT_CONN;
    d->hangup_co = d->hangup3 ? RH_CO_HANGUP3 : d->hangup2 ? RH_CO_HANGUP2 : RH_CO_HANGUP;
    d->reauth_co = d->reauth ? RH_CO_REAUTH : RH_CO_COUNT;
}

const char *rh_win32_message(DWORD err)
{
    static char buf[512];
    static const struct {
        DWORD code;
        const char *name;
    } names[] = {
        {ERROR_FILE_NOT_FOUND, "ERROR_FILE_NOT_FOUND"},
        {ERROR_ACCESS_DENIED, "ERROR_ACCESS_DENIED"},
        {ERROR_NOT_ENOUGH_MEMORY, "ERROR_NOT_ENOUGH_MEMORY"},
        {ERROR_INVALID_PARAMETER, "ERROR_INVALID_PARAMETER"},
        {ERROR_MOD_NOT_FOUND, "ERROR_MOD_NOT_FOUND"},
        {ERROR_PROC_NOT_FOUND, "ERROR_PROC_NOT_FOUND"},
        {ERROR_BAD_EXE_FORMAT, "ERROR_BAD_EXE_FORMAT"},
        {ERROR_REGISTRY_CORRUPT, "ERROR_REGISTRY_CORRUPT"},
        {ERROR_DLL_INIT_FAILED, "ERROR_DLL_INIT_FAILED"},
        {ERROR_SERVICE_SPECIFIC_ERROR, "ERROR_SERVICE_SPECIFIC_ERROR"},
    };
    const char *name = NULL;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (names[i].code == err)
            name = names[i].name;
    char text[400] = "";
    DWORD n = FormatMessageA(FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS, NULL,
                             err, 0, text, sizeof text, NULL);
    while (n > 0 && (text[n - 1] == '\n' || text[n - 1] == '\r' || text[n - 1] == ' '))
        text[--n] = 0;
    snprintf(buf, sizeof buf, "%lu (%s%s%s)", (unsigned long)err, name ? name : "",
             name && n ? ": " : "", n ? text : (name ? "" : "no system text"));
    return buf;
}
