/*
 * install.c - `install` and `uninstall`: rastap's entry in
 * HKLM\SOFTWARE\Microsoft\RAS\AdminDll\DllPath (always the 64-bit registry
 * view: the loader runs in 64-bit svchost; contract §1.1), DisplayName, and
 * the Application event log source.
 *
 * The rule for other DLLs' entries: read them, warn about them, never
 * rewrite them. rastap's own entry is any entry naming a file called
 * rastap.dll; install replaces it in place (or appends one), uninstall
 * removes it.
 */
#include "ctl.h"

#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "dllpath.h"
#include "eventlog.h"

#define ADMIN_KEY L"SOFTWARE\\Microsoft\\RAS\\AdminDll"
#define CONFIG_PARENT L"SYSTEM\\CurrentControlSet\\Services\\RemoteAccess\\Parameters\\AdminDll"

static int fail(LONG rc, const char *what)
{
    if (rc == ERROR_ACCESS_DENIED) {
        err("rastapctl: access denied while %s: run rastapctl from an elevated prompt "
            "(Run as administrator)\n",
            what);
        return RC_ACCESS;
    }
    err("rastapctl: %s failed: %s (Win32 error %ld)\n", what, win32_text((DWORD)rc), (long)rc);
    return RC_FAILED;
}

/* DllPath as text (empty when absent); *type REG_NONE when absent. */
static LONG read_dllpath(HKEY k, WCHAR *out, size_t cap, DWORD *type)
{
    DWORD size = (DWORD)((cap - 1) * sizeof(WCHAR));
    LONG rc = RegQueryValueExW(k, L"DllPath", NULL, type, (BYTE *)out, &size);
    if (rc == ERROR_FILE_NOT_FOUND) {
        out[0] = 0;
        *type = REG_NONE;
        return ERROR_SUCCESS;
    }
    if (rc == ERROR_SUCCESS)
        out[size / sizeof(WCHAR)] = 0; /* the value may lack its terminator */
    return rc;
}

/* RRAS accepts REG_SZ and REG_EXPAND_SZ only (contract §1.1). */
static bool usable_type(DWORD type)
{
    if (type == REG_NONE || type == REG_SZ || type == REG_EXPAND_SZ)
        return true;
    err("rastapctl: DllPath has type %lu, not REG_SZ: RRAS refuses it (error 1015) and loads no\n"
        "admin DLL at all. rastapctl does not rewrite other DLLs' registration: recreate DllPath\n"
        "as a REG_SZ with the DLL paths separated by ';' (no spaces), then run this again.\n",
        (unsigned long)type);
    return false;
}

static LONG write_dllpath(HKEY k, const dllpath *l, DWORD type)
{
    static WCHAR v[DLLPATH_VALUE_MAX];
    if (!dllpath_join(l, v, DLLPATH_VALUE_MAX))
        return ERROR_BUFFER_OVERFLOW;
    return RegSetValueExW(k, L"DllPath", 0, type == REG_EXPAND_SZ ? REG_EXPAND_SZ : REG_SZ,
                          (const BYTE *)v, (DWORD)((wcslen(v) + 1) * sizeof(WCHAR)));
}

static void print_list(const dllpath *l)
{
    int stop = dllpath_first_space(l);
    if (l->n == 0) {
        out("  DllPath is empty\n");
        return;
    }
    for (unsigned i = 0; i < l->n; i++)
        out("  %u. \"%s\"%s%s\n", i + 1, u8(l->entry[i]),
            dllpath_is_rastap(l->entry[i]) ? "  (rastap)" : "",
            stop >= 0 && (int)i >= stop ? "  (not loaded: RRAS stopped reading at a space)" : "");
}

/* Warns about an entry beginning with a space; true when rastap is at or
 * after it (so RRAS will not load rastap). */
static bool warn_space(const dllpath *l)
{
    int stop = dllpath_first_space(l);
    if (stop < 0)
        return false;
    bool hits_rastap = false;
    for (unsigned i = (unsigned)stop; i < l->n; i++)
        hits_rastap |= dllpath_is_rastap(l->entry[i]);
    err("warning: DllPath entry %d (\"%s\") begins with a space. RRAS stops reading the list "
        "there,\n"
        "so entries %d to %u are not loaded%s. rastapctl does not change other DLLs' entries:\n"
        "remove the space after the ';' (regedit, or reg add ... /reg:64), then restart RRAS.\n",
        stop + 1, u8(l->entry[stop]), stop + 1, l->n, hits_rastap ? ", rastap among them" : "");
    return hits_rastap;
}

/* IMAGE_FILE_MACHINE_* of a PE file, 0 when unreadable. */
static WORD pe_machine(const WCHAR *path)
{
    HANDLE h = CreateFileW(path, GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE, NULL,
                           OPEN_EXISTING, 0, NULL);
    BYTE head[1024];
    DWORD got = 0;
    WORD machine = 0;
    if (h == INVALID_HANDLE_VALUE)
        return 0;
    if (ReadFile(h, head, sizeof head, &got, NULL) && got >= 0x40 && head[0] == 'M' &&
        head[1] == 'Z') {
        DWORD pe = (DWORD)head[0x3C] | (DWORD)head[0x3D] << 8 | (DWORD)head[0x3E] << 16 |
                   (DWORD)head[0x3F] << 24;
        if (pe + 6 <= got && !memcmp(head + pe, "PE\0\0", 4))
            machine = (WORD)(head[pe + 4] | head[pe + 5] << 8);
    }
    CloseHandle(h);
    return machine;
}

/* The DLL to register: absolute, named rastap.dll, present, right bitness. */
static int check_dll(WCHAR *path, size_t cap)
{
    WCHAR full[DLLPATH_ENTRY_MAX];
    if (!GetFullPathNameW(path, DLLPATH_ENTRY_MAX, full, NULL) || wcslen(full) >= cap) {
        err("rastapctl: \"%s\" is not a usable path\n", u8(path));
        return RC_USAGE;
    }
    wcscpy(path, full);
    if (wcschr(path, L';') || path[0] == L' ') {
        err("rastapctl: \"%s\" contains ';' or begins with a space, which DllPath cannot hold\n",
            u8(path));
        return RC_USAGE;
    }
    if (!dllpath_is_rastap(path)) {
        err("rastapctl: the file must be called rastap.dll (that is how install and uninstall\n"
            "recognise rastap's entry): \"%s\"\n",
            u8(path));
        return RC_USAGE;
    }
    DWORD attr = GetFileAttributesW(path);
    if (attr == INVALID_FILE_ATTRIBUTES || (attr & FILE_ATTRIBUTE_DIRECTORY)) {
        err("rastapctl: \"%s\" does not exist; RRAS would fail to start with it listed\n",
            u8(path));
        return RC_USAGE;
    }
    SYSTEM_INFO si;
    GetNativeSystemInfo(&si);
    WORD m = pe_machine(path);
    if (m == IMAGE_FILE_MACHINE_I386 && si.wProcessorArchitecture != PROCESSOR_ARCHITECTURE_INTEL) {
        err("rastapctl: \"%s\" is a 32-bit DLL; RRAS runs in 64-bit svchost and would fail to\n"
            "load it (error 193). Install the x64 rastap.dll.\n",
            u8(path));
        return RC_USAGE;
    }
    if (m == 0) {
        err("rastapctl: \"%s\" is not a DLL\n", u8(path));
        return RC_USAGE;
    }
    return RC_OK;
}

static void install_help(void)
{
    out("usage: rastapctl install [PATH] [--display-name NAME]\n\n"
        "Registers rastap.dll with RRAS: adds PATH (default: the rastap.dll next to\n"
        "rastapctl.exe) to HKLM\\SOFTWARE\\Microsoft\\RAS\\AdminDll\\DllPath in the 64-bit\n"
        "registry view, after the DLLs already listed, separated by ';' without spaces.\n"
        "Other DLLs' entries are never changed; an entry beginning with a space (where\n"
        "RRAS stops reading) is reported. Running it again changes nothing. Sets\n"
        "DisplayName when there is none (default \"rastap\") and registers the event log\n"
        "source \"rastap\". RRAS reads DllPath when it starts: Restart-Service RemoteAccess.\n\n"
        "Exit codes: 0 registered; 1 registered, but RRAS will not load rastap (see the\n"
        "warning); 2 bad PATH; 3 not elevated; 5 registry failure.\n");
}

int cmd_install(int argc, WCHAR **argv)
{
    WCHAR path[DLLPATH_ENTRY_MAX] = L"";
    const WCHAR *display = L"rastap";
    for (int i = 1; i < argc; i++) {
        if (is_help(argv[i])) {
            install_help();
            return RC_OK;
        } else if (is_opt(argv[i], L"--display-name") && i + 1 < argc) {
            display = argv[++i];
        } else if (argv[i][0] != L'-' && !path[0] && wcslen(argv[i]) < DLLPATH_ENTRY_MAX) {
            wcscpy(path, argv[i]);
        } else {
            err("rastapctl install: unexpected argument \"%s\" (see --help)\n", u8(argv[i]));
            return RC_USAGE;
        }
    }
    if (!path[0]) { /* the rastap.dll beside rastapctl.exe */
        DWORD n = GetModuleFileNameW(NULL, path, DLLPATH_ENTRY_MAX);
        WCHAR *slash = n ? wcsrchr(path, L'\\') : NULL;
        if (!slash || (size_t)(slash - path) + 12 >= DLLPATH_ENTRY_MAX)
            return RC_FAILED;
        wcscpy(slash + 1, L"rastap.dll");
    }
    int rc = check_dll(path, DLLPATH_ENTRY_MAX);
    if (rc != RC_OK)
        return rc;

    HKEY k;
    LONG e = RegCreateKeyExW(HKEY_LOCAL_MACHINE, ADMIN_KEY, 0, NULL, 0,
                             KEY_READ | KEY_WRITE | KEY_WOW64_64KEY, NULL, &k, NULL);
    if (e != ERROR_SUCCESS)
        return fail(e, "opening HKLM\\" "SOFTWARE\\Microsoft\\RAS\\AdminDll");
    static WCHAR value[DLLPATH_VALUE_MAX];
    static dllpath l;
    DWORD type;
    e = read_dllpath(k, value, DLLPATH_VALUE_MAX, &type);
    if (e != ERROR_SUCCESS) {
        RegCloseKey(k);
        return fail(e, "reading DllPath");
    }
    if (!usable_type(type) || !dllpath_parse(value, &l)) {
        if (type == REG_NONE || type == REG_SZ || type == REG_EXPAND_SZ)
            err("rastapctl: DllPath has too many or too long entries; not changed\n");
        RegCloseKey(k);
        return RC_PROBLEMS;
    }

    bool changed = false;
    int mine = -1;
    for (unsigned i = 0; i < l.n; i++) {
        if (!dllpath_is_rastap(l.entry[i]))
            continue;
        if (mine < 0) {
            mine = (int)i;
            if (wcscmp(l.entry[i], path) != 0) {
                out("rastap's entry \"%s\" becomes \"%s\"\n", u8(l.entry[i]), u8(path));
                wcscpy(l.entry[i], path);
                changed = true;
            }
        } else {
            out("removed a second rastap entry \"%s\"\n", u8(l.entry[i]));
            dllpath_remove(&l, i--);
            changed = true;
        }
    }
    if (mine < 0) {
        if (l.n && l.entry[l.n - 1][0] == 0) /* the value ended with ';' */
            wcscpy(l.entry[l.n - 1], path);
        else if (!dllpath_append(&l, path)) {
            err("rastapctl: DllPath already lists %u DLLs; not changed\n", l.n);
            RegCloseKey(k);
            return RC_PROBLEMS;
        }
        out("added \"%s\" to DllPath (entry %u)\n", u8(path), l.n);
        changed = true;
    }
    if (changed && (e = write_dllpath(k, &l, type)) != ERROR_SUCCESS) {
        RegCloseKey(k);
        return fail(e, "writing DllPath");
    }

    WCHAR dn[256];
    DWORD dn_size = sizeof dn - sizeof(WCHAR), dn_type;
    if (RegQueryValueExW(k, L"DisplayName", NULL, &dn_type, (BYTE *)dn, &dn_size) ==
        ERROR_FILE_NOT_FOUND) {
        e = RegSetValueExW(k, L"DisplayName", 0, REG_SZ, (const BYTE *)display,
                           (DWORD)((wcslen(display) + 1) * sizeof(WCHAR)));
        if (e != ERROR_SUCCESS) {
            RegCloseKey(k);
            return fail(e, "writing DisplayName");
        }
        out("set DisplayName to \"%s\"\n", u8(display));
        changed = true;
    }
    RegCloseKey(k);

    bool ev_changed = false;
    e = (LONG)rt_eventlog_register(path, &ev_changed);
    if (e != ERROR_SUCCESS)
        return fail(e, "registering the event log source \"rastap\"");
    if (ev_changed)
        out("registered the Application event log source \"rastap\"\n");

    out("HKLM\\SOFTWARE\\Microsoft\\RAS\\AdminDll\\DllPath (64-bit view):\n");
    print_list(&l);
    bool blocked = warn_space(&l);
    if (changed)
        out("RRAS reads DllPath when it starts; restart it to load rastap:\n"
            "  Restart-Service RemoteAccess\n");
    else
        out("rastap was already registered; nothing changed.\n");
    return blocked ? RC_PROBLEMS : RC_OK;
}

/* ---------------------------------------------------------- uninstall */

static void uninstall_help(void)
{
    out("usage: rastapctl uninstall [--purge]\n\n"
        "Removes rastap's entry from HKLM\\SOFTWARE\\Microsoft\\RAS\\AdminDll\\DllPath\n"
        "(64-bit view) and keeps every other DLL's entry as it is. When no admin DLL\n"
        "remains, removes DllPath and DisplayName, and the AdminDll key itself when\n"
        "nothing else is left in it. Unregisters the event log source \"rastap\".\n"
        "--purge also deletes rastap's configuration key\n"
        "(HKLM\\SYSTEM\\CurrentControlSet\\Services\\RemoteAccess\\Parameters\\AdminDll\\rastap).\n"
        "Restart RRAS afterwards: Restart-Service RemoteAccess.\n\n"
        "Exit codes: 0 done (or nothing to do); 1 DllPath unusable, not changed;\n"
        "3 not elevated; 5 registry failure.\n");
}

static int purge(void)
{
    HKEY parent;
    LONG e = RegOpenKeyExW(HKEY_LOCAL_MACHINE, CONFIG_PARENT, 0,
                           KEY_READ | KEY_WRITE | DELETE | KEY_WOW64_64KEY, &parent);
    if (e == ERROR_FILE_NOT_FOUND)
        return RC_OK;
    if (e != ERROR_SUCCESS)
        return fail(e, "opening rastap's configuration key");
    e = RegDeleteTreeW(parent, L"rastap");
    RegCloseKey(parent);
    if (e == ERROR_FILE_NOT_FOUND)
        return RC_OK;
    if (e != ERROR_SUCCESS)
        return fail(e, "deleting rastap's configuration key");
    out("deleted rastap's configuration key\n");
    return RC_OK;
}

/* No DLL remains: remove DllPath and DisplayName, then the key if empty. */
static LONG remove_registration(HKEY k)
{
    LONG e = RegDeleteValueW(k, L"DllPath");
    if (e != ERROR_SUCCESS && e != ERROR_FILE_NOT_FOUND)
        return e;
    e = RegDeleteValueW(k, L"DisplayName");
    if (e != ERROR_SUCCESS && e != ERROR_FILE_NOT_FOUND)
        return e;
    DWORD subkeys = 0, values = 0;
    e = RegQueryInfoKeyW(k, NULL, NULL, NULL, &subkeys, NULL, NULL, &values, NULL, NULL, NULL,
                         NULL);
    if (e != ERROR_SUCCESS)
        return e;
    if (subkeys || values) {
        out("kept the AdminDll key: it still holds %lu other values and %lu subkeys\n",
            (unsigned long)values, (unsigned long)subkeys);
        return ERROR_SUCCESS;
    }
    e = RegDeleteKeyExW(HKEY_LOCAL_MACHINE, ADMIN_KEY, KEY_WOW64_64KEY, 0);
    if (e == ERROR_SUCCESS)
        out("deleted HKLM\\SOFTWARE\\Microsoft\\RAS\\AdminDll (no admin DLL remains)\n");
    return e;
}

int cmd_uninstall(int argc, WCHAR **argv)
{
    bool want_purge = false;
    for (int i = 1; i < argc; i++) {
        if (is_help(argv[i])) {
            uninstall_help();
            return RC_OK;
        } else if (is_opt(argv[i], L"--purge")) {
            want_purge = true;
        } else {
            err("rastapctl uninstall: unexpected argument \"%s\" (see --help)\n", u8(argv[i]));
            return RC_USAGE;
        }
    }
    HKEY k;
    unsigned removed = 0;
    LONG e = RegOpenKeyExW(HKEY_LOCAL_MACHINE, ADMIN_KEY, 0,
                           KEY_READ | KEY_WRITE | KEY_WOW64_64KEY, &k);
    if (e == ERROR_FILE_NOT_FOUND) {
        out("rastap is not registered (there is no AdminDll key)\n");
    } else if (e != ERROR_SUCCESS) {
        return fail(e, "opening HKLM\\SOFTWARE\\Microsoft\\RAS\\AdminDll");
    } else {
        static WCHAR value[DLLPATH_VALUE_MAX];
        static dllpath l;
        DWORD type;
        e = read_dllpath(k, value, DLLPATH_VALUE_MAX, &type);
        if (e != ERROR_SUCCESS || !usable_type(type) || !dllpath_parse(value, &l)) {
            RegCloseKey(k);
            return e != ERROR_SUCCESS ? fail(e, "reading DllPath") : RC_PROBLEMS;
        }
        unsigned others = 0;
        for (unsigned i = 0; i < l.n; i++) {
            if (dllpath_is_rastap(l.entry[i])) {
                out("removed \"%s\" from DllPath\n", u8(l.entry[i]));
                dllpath_remove(&l, i--);
                removed++;
            } else if (!dllpath_blank(l.entry[i])) {
                others++;
            }
        }
        if (!removed)
            out("rastap is not listed in DllPath; DllPath not changed\n");
        if (removed && others == 0)
            e = remove_registration(k);
        else if (removed)
            e = write_dllpath(k, &l, type);
        if (e == ERROR_SUCCESS && others) {
            out("HKLM\\SOFTWARE\\Microsoft\\RAS\\AdminDll\\DllPath (64-bit view):\n");
            print_list(&l);
            warn_space(&l);
        }
        RegCloseKey(k);
        if (e != ERROR_SUCCESS)
            return fail(e, "updating the AdminDll key");
    }
    e = (LONG)rt_eventlog_unregister();
    if (e != ERROR_SUCCESS)
        return fail(e, "removing the event log source \"rastap\"");
    if (want_purge && purge() != RC_OK)
        return RC_FAILED;
    if (removed)
        out("restart RRAS to unload rastap:\n  Restart-Service RemoteAccess\n");
    return RC_OK;
}
