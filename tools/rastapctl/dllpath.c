/*
 * dllpath.c - parsing and editing the DllPath list (dllpath.h).
 */
#include "dllpath.h"

#include <string.h>

bool dllpath_parse(const WCHAR *value, dllpath *l)
{
    l->n = 0;
    if (!value[0])
        return true;
    for (const WCHAR *p = value;;) {
        const WCHAR *semi = wcschr(p, L';');
        size_t len = semi ? (size_t)(semi - p) : wcslen(p);
        if (l->n == DLLPATH_MAX_ENTRIES || len >= DLLPATH_ENTRY_MAX)
            return false;
        memcpy(l->entry[l->n], p, len * sizeof(WCHAR));
        l->entry[l->n++][len] = 0;
        if (!semi)
            return true;
        p = semi + 1;
    }
}

bool dllpath_join(const dllpath *l, WCHAR *out, size_t cap)
{
    size_t k = 0;
    out[0] = 0;
    for (unsigned i = 0; i < l->n; i++) {
        size_t len = wcslen(l->entry[i]);
        if (k + len + 2 > cap)
            return false;
        if (i)
            out[k++] = L';';
        memcpy(out + k, l->entry[i], len * sizeof(WCHAR));
        k += len;
        out[k] = 0;
    }
    return true;
}

void dllpath_remove(dllpath *l, unsigned i)
{
    if (i >= l->n)
        return;
    memmove(l->entry[i], l->entry[i + 1], (l->n - i - 1) * sizeof l->entry[0]);
    l->n--;
}

bool dllpath_append(dllpath *l, const WCHAR *entry)
{
    if (l->n == DLLPATH_MAX_ENTRIES || wcslen(entry) >= DLLPATH_ENTRY_MAX)
        return false;
    wcscpy(l->entry[l->n++], entry);
    return true;
}

/* Trimmed, expanded copy of an entry. */
static void clean(const WCHAR *entry, WCHAR *out, size_t cap)
{
    WCHAR t[DLLPATH_ENTRY_MAX];
    while (*entry == L' ')
        entry++;
    wcsncpy(t, entry, DLLPATH_ENTRY_MAX - 1);
    t[DLLPATH_ENTRY_MAX - 1] = 0;
    size_t n = wcslen(t);
    while (n && t[n - 1] == L' ')
        t[--n] = 0;
    DWORD k = ExpandEnvironmentStringsW(t, out, (DWORD)cap);
    if (k == 0 || k > cap)
        wcsncpy(out, t, cap - 1), out[cap - 1] = 0;
}

bool dllpath_is_rastap(const WCHAR *entry)
{
    WCHAR c[DLLPATH_ENTRY_MAX];
    clean(entry, c, DLLPATH_ENTRY_MAX);
    const WCHAR *base = c;
    for (const WCHAR *p = c; *p; p++)
        if (*p == L'\\' || *p == L'/' || *p == L':')
            base = p + 1;
    return _wcsicmp(base, L"rastap.dll") == 0;
}

bool dllpath_same(const WCHAR *a, const WCHAR *b)
{
    WCHAR ca[DLLPATH_ENTRY_MAX], cb[DLLPATH_ENTRY_MAX], fa[DLLPATH_ENTRY_MAX],
        fb[DLLPATH_ENTRY_MAX];
    clean(a, ca, DLLPATH_ENTRY_MAX);
    clean(b, cb, DLLPATH_ENTRY_MAX);
    if (!GetFullPathNameW(ca, DLLPATH_ENTRY_MAX, fa, NULL))
        wcscpy(fa, ca);
    if (!GetFullPathNameW(cb, DLLPATH_ENTRY_MAX, fb, NULL))
        wcscpy(fb, cb);
    return _wcsicmp(fa, fb) == 0;
}

int dllpath_first_space(const dllpath *l)
{
    for (unsigned i = 0; i < l->n; i++)
        if (l->entry[i][0] == L' ')
            return (int)i;
    return -1;
}

bool dllpath_blank(const WCHAR *entry)
{
    while (*entry == L' ')
        entry++;
    return *entry == 0;
}
