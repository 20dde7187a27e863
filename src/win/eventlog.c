/*
 * eventlog.c - Application event log entries of source "rastap" and the
 * source's registration (eventlog.h).
 *
 * The source handle is opened per report: reports are rare (a refused or
 * applied configuration), and a handle kept open would need a lifetime
 * tied to the DLL's, for no gain.
 */
#include "eventlog.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

static atomic_uint level = 2;

void rt_eventlog_set_level(unsigned l)
{
    atomic_store_explicit(&level, l, memory_order_relaxed);
}

void rt_eventlog_report(rt_eventlog_level lv, DWORD id, const char *text)
{
    static const WORD types[] = {0, EVENTLOG_ERROR_TYPE, EVENTLOG_WARNING_TYPE,
                                 EVENTLOG_INFORMATION_TYPE};
    if ((unsigned)lv > atomic_load_explicit(&level, memory_order_relaxed) || lv < 1 || lv > 3)
        return;
    int n = MultiByteToWideChar(CP_UTF8, 0, text, -1, NULL, 0);
    if (n <= 0 || n > 31839) /* ReportEventW's limit for one string */
        return;
    WCHAR *w = malloc((size_t)n * sizeof *w);
    if (!w)
        return;
    MultiByteToWideChar(CP_UTF8, 0, text, -1, w, n);
    HANDLE src = RegisterEventSourceW(NULL, RT_EVENTLOG_SOURCE);
    if (src) {
        LPCWSTR strings[1] = {w};
        ReportEventW(src, types[lv], 0, id, NULL, 1, 0, strings, NULL);
        DeregisterEventSource(src);
    }
    free(w);
}

/* Sets a value unless it already holds exactly these bytes. */
static LONG set_if_changed(HKEY k, const WCHAR *name, DWORD type, const void *data, DWORD size,
                           bool *changed)
{
    BYTE old[2048];
    DWORD old_type = 0, old_size = sizeof old;
    if (RegQueryValueExW(k, name, NULL, &old_type, old, &old_size) == ERROR_SUCCESS &&
        old_type == type && old_size == size && memcmp(old, data, size) == 0)
        return ERROR_SUCCESS;
    *changed = true;
    return RegSetValueExW(k, name, 0, type, data, size);
}

DWORD rt_eventlog_register(const WCHAR *dll_path, bool *changed)
{
    HKEY k;
    DWORD disp = 0;
    *changed = false;
    LONG rc = RegCreateKeyExW(HKEY_LOCAL_MACHINE, RT_EVENTLOG_KEY, 0, NULL, 0,
                              KEY_READ | KEY_WRITE | KEY_WOW64_64KEY, NULL, &k, &disp);
    if (rc != ERROR_SUCCESS)
        return (DWORD)rc;
    if (disp == REG_CREATED_NEW_KEY)
        *changed = true;
    DWORD types = EVENTLOG_ERROR_TYPE | EVENTLOG_WARNING_TYPE | EVENTLOG_INFORMATION_TYPE;
    rc = set_if_changed(k, L"EventMessageFile", REG_EXPAND_SZ, dll_path,
                        (DWORD)((wcslen(dll_path) + 1) * sizeof(WCHAR)), changed);
    if (rc == ERROR_SUCCESS)
        rc = set_if_changed(k, L"TypesSupported", REG_DWORD, &types, sizeof types, changed);
    RegCloseKey(k);
    return (DWORD)rc;
}

DWORD rt_eventlog_unregister(void)
{
    LONG rc = RegDeleteKeyExW(HKEY_LOCAL_MACHINE, RT_EVENTLOG_KEY, KEY_WOW64_64KEY, 0);
    return rc == ERROR_FILE_NOT_FOUND ? NO_ERROR : (DWORD)rc;
}
