/*
 * pe_names.c - finds decorated exports (Name@N) in a loaded DLL.
 *
 * RRAS resolves callouts with GetProcAddress by undecorated name (§1.3).
 * An i686 DLL built without a .def or --kill-at exports "Name@N" instead,
 * and RRAS then finds nothing (contract §2.5, §6 item 12). Reading the
 * export directory of the mapped image lets rrashost say so.
 */
#include <stdio.h>
#include <string.h>

#include "host.h"

static const char *const callout_names[] = {
    "MprAdminInitializeDll", "MprAdminInitializeDllEx", "MprAdminTerminateDll",
    "MprAdminAcceptNewConnection", "MprAdminAcceptNewConnection2",
    "MprAdminAcceptNewConnection3", "MprAdminAcceptNewLink", "MprAdminAcceptReauthentication",
    "MprAdminConnectionHangupNotification", "MprAdminConnectionHangupNotification2",
    "MprAdminConnectionHangupNotification3", "MprAdminLinkHangupNotification",
    "MprAdminGetIpAddressForUser", "MprAdminReleaseIpAddress", "MprAdminGetIpv6AddressForUser",
    "MprAdminReleaseIpv6AddressForUser",
};

/* "Name@N" or "_Name@N" whose Name is a callout. */
static bool decorated_callout(const char *e)
{
    const char *at = strchr(e, '@');
    if (!at || at == e)
        return false;
    const char *base = e[0] == '_' ? e + 1 : e;
    size_t len = (size_t)(at - base);
    for (size_t i = 0; i < sizeof callout_names / sizeof callout_names[0]; i++)
        if (strlen(callout_names[i]) == len && strncmp(base, callout_names[i], len) == 0)
            return true;
    return false;
}

unsigned rh_decorated_exports(HMODULE module, char *buf, size_t cap)
{
    const unsigned char *base = (const unsigned char *)module;
    if (!base || cap == 0)
        return 0;
    buf[0] = 0;
    const IMAGE_DOS_HEADER *dos = (const IMAGE_DOS_HEADER *)base;
    if (dos->e_magic != IMAGE_DOS_SIGNATURE)
        return 0;
    const IMAGE_NT_HEADERS *nt = (const IMAGE_NT_HEADERS *)(base + dos->e_lfanew);
    if (nt->Signature != IMAGE_NT_SIGNATURE)
        return 0;
    const IMAGE_DATA_DIRECTORY *dir =
        &nt->OptionalHeader.DataDirectory[IMAGE_DIRECTORY_ENTRY_EXPORT];
    if (dir->VirtualAddress == 0 || dir->Size == 0)
        return 0;
    const IMAGE_EXPORT_DIRECTORY *exp =
        (const IMAGE_EXPORT_DIRECTORY *)(base + dir->VirtualAddress);
    const DWORD *names = (const DWORD *)(base + exp->AddressOfNames);
    unsigned found = 0;
    for (DWORD i = 0; i < exp->NumberOfNames; i++) {
        const char *e = (const char *)(base + names[i]);
        if (!decorated_callout(e))
            continue;
        size_t len = strlen(buf);
        if (found < 4)
            snprintf(buf + len, cap - len, "%s%s", found ? ", " : "", e);
        else if (found == 4)
            snprintf(buf + len, cap - len, ", ...");
        found++;
    }
    return found;
}
