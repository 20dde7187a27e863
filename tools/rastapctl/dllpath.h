/*
 * dllpath.h - the AdminDll DllPath list: the value RRAS splits on ';' to
 * find its admin DLLs (ras-admin-contract.md §1.1, §1.2).
 *
 * Entries are kept exactly as written, spaces and empty entries included:
 * rastapctl rewrites its own entry only and never "tidies" another DLL's.
 * RRAS stops reading the list at the first entry that begins with a space,
 * so every entry from there on is not loaded.
 */
#ifndef RASTAPCTL_DLLPATH_H
#define RASTAPCTL_DLLPATH_H

#include <stdbool.h>

#include <windows.h>

#define DLLPATH_MAX_ENTRIES 64
#define DLLPATH_ENTRY_MAX 1024   /* UTF-16 units of one entry */
#define DLLPATH_VALUE_MAX (DLLPATH_MAX_ENTRIES * (DLLPATH_ENTRY_MAX + 1))

typedef struct dllpath {
    unsigned n;
    WCHAR entry[DLLPATH_MAX_ENTRIES][DLLPATH_ENTRY_MAX];
} dllpath;

/* Splits value on ';'. An empty value is an empty list. False when there
 * are too many or too long entries. */
bool dllpath_parse(const WCHAR *value, dllpath *l);
/* Joins the entries with ';' into out[0..cap). False if it does not fit. */
bool dllpath_join(const dllpath *l, WCHAR *out, size_t cap);
/* Removes entry i. */
void dllpath_remove(dllpath *l, unsigned i);
/* Appends an entry (false when full). */
bool dllpath_append(dllpath *l, const WCHAR *entry);

/* True when the entry names a file called rastap.dll (spaces trimmed,
 * %VARIABLES% expanded, case-insensitive): rastap's own entry. */
bool dllpath_is_rastap(const WCHAR *entry);
/* True when both name the same file (expanded, full path, case-insensitive). */
bool dllpath_same(const WCHAR *a, const WCHAR *b);
/* Index of the first entry beginning with a space, or -1. */
int dllpath_first_space(const dllpath *l);
/* True when the entry has no characters but spaces. */
bool dllpath_blank(const WCHAR *entry);

#endif /* RASTAPCTL_DLLPATH_H */
