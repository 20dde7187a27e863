#include "testutil.h"

#include <stdio.h>
#include <string.h>

#include "config.h"

void tu_windows_path(const char *arg, WCHAR *out, size_t cap)
{
    char buf[MAX_PATH * 2];
    if (arg[0] == '/')
        snprintf(buf, sizeof buf, "Z:%s", arg);
    else
        snprintf(buf, sizeof buf, "%s", arg);
    for (char *p = buf; *p; p++)
        if (*p == '/')
            *p = '\\';
    MultiByteToWideChar(CP_UTF8, 0, buf, -1, out, (int)cap);
}

void tu_temp_dir(const char *tag, WCHAR *out, size_t cap)
{
    WCHAR tmp[MAX_PATH];
    GetTempPathW(MAX_PATH, tmp);
    _snwprintf(out, cap, L"%lsrastap-tests", tmp);
    CreateDirectoryW(out, NULL);
    _snwprintf(out, cap, L"%lsrastap-tests\\%hs", tmp, tag);
    out[cap - 1] = 0;
}

void tu_fresh_dir(const WCHAR *dir)
{
    CreateDirectoryW(dir, NULL);
    WCHAR pattern[MAX_PATH];
    _snwprintf(pattern, MAX_PATH, L"%ls\\*", dir);
    WIN32_FIND_DATAW fd;
    HANDLE h = FindFirstFileW(pattern, &fd);
    if (h == INVALID_HANDLE_VALUE)
        return;
    do {
        if (fd.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY)
            continue;
        WCHAR path[MAX_PATH];
        _snwprintf(path, MAX_PATH, L"%ls\\%ls", dir, fd.cFileName);
        DeleteFileW(path);
    } while (FindNextFileW(h, &fd));
    FindClose(h);
}

HMODULE tu_load_rastap(const char *arg, const char *tag)
{
    WCHAR src[MAX_PATH], dir[MAX_PATH], dst[MAX_PATH];
    tu_windows_path(arg, src, MAX_PATH);
    tu_temp_dir(tag, dir, MAX_PATH);
    tu_fresh_dir(dir);
    _snwprintf(dst, MAX_PATH, L"%ls\\rastap.dll", dir);
    if (!CopyFileW(src, dst, FALSE)) {
        fprintf(stderr, "cannot copy %s (%lu)\n", arg, GetLastError());
        return NULL;
    }
    HMODULE h = LoadLibraryExW(dst, NULL, LOAD_LIBRARY_SEARCH_DEFAULT_DIRS);
    if (!h)
        fprintf(stderr, "LoadLibraryExW failed (%lu)\n", GetLastError());
    return h;
}

void tu_config_file_sink(const WCHAR *dir, const char *format)
{
    RegDeleteTreeW(HKEY_LOCAL_MACHINE, RT_CONFIG_KEY);
    if (!dir)
        return;
    HKEY k;
    WCHAR path[512];
    _snwprintf(path, 512, L"%ls\\Sinks\\test", RT_CONFIG_KEY);
    if (RegCreateKeyExW(HKEY_LOCAL_MACHINE, path, 0, NULL, 0, KEY_ALL_ACCESS | KEY_WOW64_64KEY,
                        NULL, &k, NULL) != ERROR_SUCCESS)
        return;
    RegSetValueExW(k, L"Type", 0, REG_SZ, (const BYTE *)L"file", sizeof(L"file"));
    RegSetValueExW(k, L"Directory", 0, REG_SZ, (const BYTE *)dir,
                   (DWORD)((wcslen(dir) + 1) * sizeof(WCHAR)));
    WCHAR wfmt[16];
    MultiByteToWideChar(CP_UTF8, 0, format, -1, wfmt, 16);
    RegSetValueExW(k, L"Format", 0, REG_SZ, (const BYTE *)wfmt,
                   (DWORD)((wcslen(wfmt) + 1) * sizeof(WCHAR)));
    RegCloseKey(k);
}

bool tu_each_line(const WCHAR *dir, const WCHAR *ext, bool (*fn)(const char *line, void *ctx),
                  void *ctx)
{
    WCHAR pattern[MAX_PATH], path[MAX_PATH];
    WIN32_FIND_DATAW fd;
    static char line[1 << 16];
    bool go = true;
    _snwprintf(pattern, MAX_PATH, L"%ls\\*.%ls", dir, ext);
    HANDLE h = FindFirstFileW(pattern, &fd);
    if (h == INVALID_HANDLE_VALUE)
        return true;
    do {
        _snwprintf(path, MAX_PATH, L"%ls\\%ls", dir, fd.cFileName);
        FILE *f = _wfopen(path, L"rb");
        while (go && f && fgets(line, sizeof line, f))
            go = fn(line, ctx);
        if (f)
            fclose(f);
    } while (go && FindNextFileW(h, &fd));
    FindClose(h);
    return go;
}
