/*
 * registry.c - where RRAS finds its admin DLLs (contract §1.1-§1.2).
 *
 * HKLM\SOFTWARE\Microsoft\RAS\AdminDll, value DllPath (any case), read
 * from the 64-bit view. REG_SZ or REG_EXPAND_SZ, always passed through
 * ExpandEnvironmentStringsW; any other type is error 1015. The list is
 * split on ';' and an entry that starts with a space ends it: RRAS stops
 * there silently, rrashost says so. No key, or an empty value: no admin
 * DLL (not an error). A key without DllPath: an error (event 20002).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host.h"

#define DEFAULT_SUBKEY L"SOFTWARE\\Microsoft\\RAS\\AdminDll"

static void print_w(FILE *f, const wchar_t *w)
{
    char buf[1024];
    int n = WideCharToMultiByte(CP_UTF8, 0, w, -1, buf, sizeof buf, NULL, NULL);
    fputs(n > 0 ? buf : "?", f);
}

unsigned rh_split_dll_list(wchar_t *value, wchar_t **paths, unsigned max)
{
    unsigned n = 0;
    wchar_t *p = value;
    while (*p) {
        wchar_t *end = wcschr(p, L';');
        if (end)
            *end = 0;
        if (*p == L' ') {
            fputs("rrashost: warning: DllPath entry \"", stderr);
            print_w(stderr, p);
            fputs("\" starts with a space: RRAS stops reading the list there, "
                  "so it and every later entry are not loaded (write the list without "
                  "spaces around ';')\n",
                  stderr);
            break;
        }
        if (*p == 0) {
            fputs("rrashost: warning: empty DllPath entry; the rest of the list is ignored\n",
                  stderr);
            break;
        }
        if (n == max) {
            fprintf(stderr, "rrashost: warning: more than %u DLLs listed; the rest are ignored\n",
                    max);
            break;
        }
        paths[n++] = p;
        if (!end)
            break;
        p = end + 1;
    }
    return n;
}

static DWORD open_key(const wchar_t *subkey, HKEY *key)
{
    HKEY root = HKEY_LOCAL_MACHINE;
    if (!subkey)
        subkey = DEFAULT_SUBKEY;
    if (_wcsnicmp(subkey, L"HKCU\\", 5) == 0) {
        root = HKEY_CURRENT_USER;
        subkey += 5;
    } else if (_wcsnicmp(subkey, L"HKLM\\", 5) == 0) {
        subkey += 5;
    }
    return (DWORD)RegOpenKeyExW(root, subkey, 0, KEY_QUERY_VALUE | KEY_WOW64_64KEY, key);
}

/* Reads the value as RRAS does: type check, then always expand. */
static DWORD read_value(HKEY key, wchar_t **out)
{
    DWORD type = 0, size = 0;
    DWORD err = (DWORD)RegQueryValueExW(key, L"DllPath", NULL, &type, NULL, &size);
    if (err != ERROR_SUCCESS)
        return err;
    if (type != REG_SZ && type != REG_EXPAND_SZ) {
        fprintf(stderr, "rrashost: DllPath has registry type %lu; RRAS accepts only REG_SZ (1) "
                        "or REG_EXPAND_SZ (2) and fails with error 1015 (ERROR_REGISTRY_CORRUPT)\n",
                (unsigned long)type);
        return ERROR_REGISTRY_CORRUPT;
    }
    if (size <= 2) { /* empty: no admin DLL, not an error (RE-load) */
        *out = NULL;
        return ERROR_SUCCESS;
    }
    wchar_t *raw = calloc(size / sizeof(wchar_t) + 1, sizeof(wchar_t));
    if (!raw)
        return ERROR_NOT_ENOUGH_MEMORY;
    err = (DWORD)RegQueryValueExW(key, L"DllPath", NULL, &type, (BYTE *)raw, &size);
    if (err != ERROR_SUCCESS)
        goto cleanup_raw;
    DWORD need = ExpandEnvironmentStringsW(raw, NULL, 0);
    wchar_t *expanded = need ? calloc(need + 1, sizeof(wchar_t)) : NULL;
    if (!expanded) {
        err = need ? ERROR_NOT_ENOUGH_MEMORY : GetLastError();
        goto cleanup_raw;
    }
    ExpandEnvironmentStringsW(raw, expanded, need + 1);
    *out = expanded;
cleanup_raw:
    free(raw);
    return err;
}

DWORD rh_registry_read(const wchar_t *subkey, wchar_t **paths, unsigned max, unsigned *n)
{
    HKEY key;
    wchar_t *value = NULL;
    *n = 0;
    DWORD err = open_key(subkey, &key);
    if (err == ERROR_FILE_NOT_FOUND)
        return ERROR_SUCCESS; /* no key: RRAS loads no admin DLL */
    if (err != ERROR_SUCCESS)
        return err;
    err = read_value(key, &value);
    if (err == ERROR_FILE_NOT_FOUND)
        fputs("rrashost: the AdminDll key exists but has no DllPath value; RRAS appears to log "
              "event 20002 and fail to start in that case (contract 1.1): remove the whole key "
              "when uninstalling\n",
              stderr);
    if (err != ERROR_SUCCESS || !value)
        goto cleanup_key;
    wchar_t *parts[RH_MAX_DLLS];
    unsigned count = rh_split_dll_list(value, parts, max < RH_MAX_DLLS ? max : RH_MAX_DLLS);
    for (unsigned i = 0; i < count; i++) {
        paths[i] = _wcsdup(parts[i]);
        if (!paths[i]) {
            err = ERROR_NOT_ENOUGH_MEMORY;
            while (i > 0)
                free(paths[--i]);
            goto cleanup_value;
        }
    }
    *n = count;
cleanup_value:
    free(value);
cleanup_key:
    RegCloseKey(key);
    return err;
}
