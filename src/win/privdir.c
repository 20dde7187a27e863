#include "privdir.h"

#include <sddl.h>
#include <wchar.h>

DWORD rt_make_private_dir(const WCHAR *dir)
{
    if (GetFileAttributesW(dir) != INVALID_FILE_ATTRIBUTES)
        return NO_ERROR;
    WCHAR parent[MAX_PATH];
    wcsncpy(parent, dir, MAX_PATH - 1);
    parent[MAX_PATH - 1] = 0;
    WCHAR *slash = wcsrchr(parent, L'\\');
    if (slash && slash > parent && slash[-1] != L':') {
        *slash = 0;
        DWORD err = rt_make_private_dir(parent);
        if (err != NO_ERROR)
            return err;
    }
    SECURITY_ATTRIBUTES sa = {sizeof sa, NULL, FALSE};
    if (!ConvertStringSecurityDescriptorToSecurityDescriptorW(RT_PRIVATE_DIR_SDDL, SDDL_REVISION_1,
                                                              &sa.lpSecurityDescriptor, NULL))
        return GetLastError();
    DWORD err = CreateDirectoryW(dir, &sa) ? NO_ERROR : GetLastError();
    LocalFree(sa.lpSecurityDescriptor);
    return err == ERROR_ALREADY_EXISTS ? NO_ERROR : err;
}
