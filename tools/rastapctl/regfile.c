/*
 * regfile.c - a .reg parser (regfile.h). It works on UTF-16 lines, the
 * form regedit itself uses, so "string" values become exactly the bytes
 * regedit would store. Every malformed line becomes a syntax problem with
 * its line number; parsing goes on with the next line, so `validate` can
 * list everything at once.
 */
#include "regfile.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

#define FILE_MAX (16u << 20)
#define MAX_SYNTAX 32

static const WCHAR *const roots[] = {L"HKEY_LOCAL_MACHINE\\", L"HKLM\\"};

static void syntax(regfile *rf, const WCHAR *file, unsigned line, const char *why)
{
    if (!rf->syntax)
        rf->syntax = calloc(MAX_SYNTAX, sizeof *rf->syntax);
    if (!rf->syntax || rf->nsyntax == MAX_SYNTAX)
        return;
    rt_cfg_problem *p = &rf->syntax[rf->nsyntax++];
    const WCHAR *base = wcsrchr(file, L'\\');
    char name[200];
    WideCharToMultiByte(CP_UTF8, 0, base ? base + 1 : file, -1, name, sizeof name, NULL, NULL);
    name[sizeof name - 1] = 0;
    snprintf(p->key, sizeof p->key, "%.200s:%u", name, line);
    snprintf(p->reason, sizeof p->reason, "%s", why);
}

static char *utf8_dup(const WCHAR *w, size_t n)
{
    int k = WideCharToMultiByte(CP_UTF8, 0, w, (int)n, NULL, 0, NULL, NULL);
    char *s = malloc((size_t)k + 1);
    if (!s)
        return NULL;
    WideCharToMultiByte(CP_UTF8, 0, w, (int)n, s, k, NULL, NULL);
    s[k] = 0;
    return s;
}

/* ------------------------------------------------------------- tree */

static reg_key *find_key(regfile *rf, const char *path, bool create)
{
    for (unsigned i = 0; i < rf->nkeys; i++)
        if (_stricmp(rf->keys[i].path, path) == 0)
            return &rf->keys[i];
    if (!create)
        return NULL;
    if (rf->nkeys == rf->cap) {
        unsigned cap = rf->cap ? rf->cap * 2 : 8;
        reg_key *k = realloc(rf->keys, cap * sizeof *k);
        if (!k)
            return NULL;
        rf->keys = k;
        rf->cap = cap;
    }
    reg_key *k = &rf->keys[rf->nkeys];
    memset(k, 0, sizeof *k);
    k->path = _strdup(path);
    if (!k->path)
        return NULL;
    rf->nkeys++;
    return k;
}

static void free_key(reg_key *k)
{
    for (unsigned i = 0; i < k->nvalues; i++) {
        free(k->values[i].name);
        free(k->values[i].data);
    }
    free(k->values);
    free(k->path);
}

/* [-path]: removes path and everything below it. */
static void delete_tree(regfile *rf, const char *path)
{
    size_t n = strlen(path);
    for (unsigned i = 0; i < rf->nkeys;) {
        const char *p = rf->keys[i].path;
        if (_strnicmp(p, path, n) == 0 && (p[n] == 0 || p[n] == '\\' || n == 0)) {
            free_key(&rf->keys[i]);
            rf->keys[i] = rf->keys[--rf->nkeys];
        } else {
            i++;
        }
    }
}

static void set_value(reg_key *k, char *name, uint32_t type, unsigned char *data, size_t size,
                      bool del)
{
    for (unsigned i = 0; i < k->nvalues; i++) {
        if (_stricmp(k->values[i].name, name) != 0)
            continue;
        free(k->values[i].name);
        free(k->values[i].data);
        if (del) {
            k->values[i] = k->values[--k->nvalues];
        } else {
            k->values[i] = (reg_value){name, type, data, size};
            return;
        }
        free(name);
        return;
    }
    if (del) {
        free(name);
        return;
    }
    if (k->nvalues == k->cap) {
        unsigned cap = k->cap ? k->cap * 2 : 8;
        reg_value *v = realloc(k->values, cap * sizeof *v);
        if (!v) {
            free(name);
            free(data);
            return;
        }
        k->values = v;
        k->cap = cap;
    }
    k->values[k->nvalues++] = (reg_value){name, type, data, size};
}

/* ---------------------------------------------------------- parsing */

/* The section's path relative to rastap's key, or NULL when outside it. */
static const WCHAR *relative(const WCHAR *full)
{
    for (size_t r = 0; r < sizeof roots / sizeof roots[0]; r++) {
        size_t rl = wcslen(roots[r]), kl = wcslen(RT_CONFIG_KEY);
        if (_wcsnicmp(full, roots[r], rl) || _wcsnicmp(full + rl, RT_CONFIG_KEY, kl))
            continue;
        const WCHAR *rest = full + rl + kl;
        if (*rest == 0)
            return rest;
        if (*rest == L'\\')
            return rest + 1;
    }
    return NULL;
}

/* "..." with \\ and \" escapes starting at *p (at the quote). */
static WCHAR *quoted(const WCHAR **p, size_t *len)
{
    const WCHAR *s = *p + 1;
    WCHAR *out = malloc((wcslen(s) + 1) * sizeof *out);
    size_t n = 0;
    if (!out)
        return NULL;
    for (; *s && *s != L'"'; s++) {
        if (*s == L'\\' && (s[1] == L'\\' || s[1] == L'"'))
            s++;
        out[n++] = *s;
    }
    if (*s != L'"') {
        free(out);
        return NULL;
    }
    out[n] = 0;
    *len = n;
    *p = s + 1;
    return out;
}

static int hexval(WCHAR c)
{
    if (c >= L'0' && c <= L'9')
        return c - L'0';
    if (c >= L'a' && c <= L'f')
        return c - L'a' + 10;
    if (c >= L'A' && c <= L'F')
        return c - L'A' + 10;
    return -1;
}

/* "aa,bb,..." -> bytes. */
static unsigned char *hex_bytes(const WCHAR *s, size_t *size, const char **why)
{
    unsigned char *b = malloc(wcslen(s) / 2 + 1);
    size_t n = 0;
    if (!b)
        return NULL;
    while (*s == L' ' || *s == L'\t')
        s++;
    while (*s) {
        int hi = hexval(s[0]), lo = hexval(s[1]);
        if (hi < 0) {
            *why = "bad hex data: expected two hex digits per byte, separated by commas";
            free(b);
            return NULL;
        }
        if (lo < 0) {
            b[n++] = (unsigned char)hi;
            s += 1;
        } else {
            b[n++] = (unsigned char)(hi * 16 + lo);
            s += 2;
        }
        while (*s == L' ' || *s == L'\t')
            s++;
        if (*s == L',')
            s++;
        else if (*s) {
            *why = "bad hex data: expected ',' between bytes";
            free(b);
            return NULL;
        }
        while (*s == L' ' || *s == L'\t')
            s++;
    }
    *size = n;
    return b;
}

/* One "name"=data line inside section k. */
static void value_line(regfile *rf, reg_key *k, const WCHAR *line, const WCHAR *file,
                       unsigned no)
{
    const WCHAR *p = line;
    WCHAR *wname;
    size_t nlen = 0;
    if (*p == L'@') {
        wname = _wcsdup(L"");
        p++;
    } else if (*p == L'"') {
        wname = quoted(&p, &nlen);
    } else {
        syntax(rf, file, no, "expected \"name\"=value, @=value, [key] or ; comment");
        return;
    }
    if (!wname || *p != L'=') {
        syntax(rf, file, no, !wname ? "unterminated value name" : "expected '=' after the name");
        free(wname);
        return;
    }
    p++;
    char *name = utf8_dup(wname, wcslen(wname));
    free(wname);
    if (!name)
        return;
    if (!k) { /* outside rastap's key */
        free(name);
        return;
    }
    const char *why = NULL;
    unsigned char *data = NULL;
    size_t size = 0;
    uint32_t type = REG_SZ;
    if (*p == L'-' && p[1] == 0) {
        set_value(k, name, 0, NULL, 0, true);
        return;
    }
    if (*p == L'"') {
        size_t len;
        WCHAR *s = quoted(&p, &len);
        if (!s || *p) {
            why = !s ? "unterminated string" : "text after the closing quote";
        } else {
            size = (len + 1) * sizeof(WCHAR);
            data = malloc(size);
            if (data)
                memcpy(data, s, size);
        }
        free(s);
    } else if (!_wcsnicmp(p, L"dword:", 6)) {
        size_t digits = wcsspn(p + 6, L"0123456789abcdefABCDEF");
        if (digits == 0 || digits > 8 || p[6 + digits]) {
            why = "dword: takes 1 to 8 hex digits";
        } else {
            DWORD v = (DWORD)wcstoul(p + 6, NULL, 16);
            type = REG_DWORD;
            size = 4;
            data = malloc(4);
            if (data)
                memcpy(data, &v, 4);
        }
    } else if (!_wcsnicmp(p, L"hex", 3)) {
        const WCHAR *q = p + 3;
        type = REG_BINARY;
        if (*q == L'(') {
            WCHAR *end;
            type = (uint32_t)wcstoul(q + 1, &end, 16);
            q = *end == L')' && end > q + 1 ? end + 1 : NULL;
        }
        if (!q || *q != L':')
            why = "expected hex: or hex(TYPE):";
        else
            data = hex_bytes(q + 1, &size, &why);
    } else {
        why = "unknown value form: expected \"text\", dword:, hex:, hex(N): or -";
    }
    if (why || !data) {
        syntax(rf, file, no, why ? why : "out of memory");
        free(name);
        free(data);
        return;
    }
    set_value(k, name, type, data, size, false);
}

/* Splits the text into logical lines (continuations joined) and parses them. */
static void parse(regfile *rf, WCHAR *text, const WCHAR *file)
{
    reg_key *cur = NULL;
    bool header = false;
    unsigned no = 0;
    WCHAR *line = text;
    while (line) {
        WCHAR *nl = wcschr(line, L'\n');
        if (nl)
            *nl = 0;
        no++;
        unsigned start = no;
        size_t len = wcslen(line);
        /* a line ending with '\' continues on the next one */
        while (len && (line[len - 1] == L'\r' || line[len - 1] == L' '))
            line[--len] = 0;
        while (len && line[len - 1] == L'\\' && nl && line[0] != L'[') {
            line[--len] = 0;
            WCHAR *next = nl + 1, *nl2 = wcschr(next, L'\n');
            if (nl2)
                *nl2 = 0;
            no++;
            while (*next == L' ' || *next == L'\t')
                next++;
            memmove(line + len, next, (wcslen(next) + 1) * sizeof(WCHAR));
            len = wcslen(line);
            while (len && (line[len - 1] == L'\r' || line[len - 1] == L' '))
                line[--len] = 0;
            nl = nl2;
        }
        WCHAR *p = line;
        while (*p == L' ' || *p == L'\t')
            p++;
        if (!*p || *p == L';') {
            /* blank or comment */
        } else if (!header) {
            if (!wcscmp(p, L"Windows Registry Editor Version 5.00"))
                header = true;
            else if (!wcscmp(p, L"REGEDIT4")) {
                syntax(rf, file, start, "REGEDIT4 files are not supported: export as "
                                        "\"Registration Files (*.reg)\" (version 5.00)");
                return;
            } else {
                syntax(rf, file, start, "not a .reg file: the first line must be "
                                        "\"Windows Registry Editor Version 5.00\"");
                return;
            }
        } else if (*p == L'[') {
            WCHAR *end = wcsrchr(p, L']');
            bool del = p[1] == L'-';
            if (!end || end[1]) {
                syntax(rf, file, start, "a key line is [HKEY_LOCAL_MACHINE\\...]");
                cur = NULL;
            } else {
                *end = 0;
                const WCHAR *rel = relative(p + 1 + del);
                char *path = rel ? utf8_dup(rel, wcslen(rel)) : NULL;
                cur = NULL;
                if (!rel) {
                    rf->ignored_keys++;
                } else if (path && del) {
                    delete_tree(rf, path);
                } else if (path) {
                    rf->rastap_key = true;
                    cur = find_key(rf, path, true);
                }
                free(path);
            }
        } else {
            value_line(rf, cur, p, file, start);
        }
        line = nl ? nl + 1 : NULL;
    }
    if (!header)
        syntax(rf, file, 1, "the file is empty");
}

DWORD regfile_load(const WCHAR *path, regfile *rf)
{
    memset(rf, 0, sizeof *rf);
    HANDLE h = CreateFileW(path, GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE, NULL,
                           OPEN_EXISTING, 0, NULL);
    if (h == INVALID_HANDLE_VALUE)
        return GetLastError();
    LARGE_INTEGER size;
    if (!GetFileSizeEx(h, &size) || size.QuadPart > FILE_MAX) {
        CloseHandle(h);
        return ERROR_FILE_TOO_LARGE;
    }
    DWORD n = (DWORD)size.QuadPart, got = 0;
    unsigned char *raw = malloc(n + 2);
    if (!raw || !ReadFile(h, raw, n, &got, NULL)) {
        DWORD e = raw ? GetLastError() : ERROR_NOT_ENOUGH_MEMORY;
        free(raw);
        CloseHandle(h);
        return e;
    }
    CloseHandle(h);
    WCHAR *text;
    size_t total = 0; /* units decoded */
    if (got >= 2 && raw[0] == 0xFF && raw[1] == 0xFE) { /* UTF-16LE, as regedit writes */
        total = (got - 2) / 2;
        text = malloc((total + 1) * sizeof *text);
        if (text) {
            memcpy(text, raw + 2, total * sizeof *text);
            text[total] = 0;
        }
    } else {
        unsigned skip = got >= 3 && raw[0] == 0xEF && raw[1] == 0xBB && raw[2] == 0xBF ? 3 : 0;
        UINT cp = CP_UTF8;
        int units = MultiByteToWideChar(cp, MB_ERR_INVALID_CHARS, (char *)raw + skip,
                                        (int)(got - skip), NULL, 0);
        if (units <= 0 && got > skip) {
            cp = CP_ACP; /* not UTF-8: the ANSI code page, as regedit assumes */
            units = MultiByteToWideChar(cp, 0, (char *)raw + skip, (int)(got - skip), NULL, 0);
        }
        total = units > 0 ? (size_t)units : 0;
        text = malloc((total + 1) * sizeof *text);
        if (text) {
            if (units > 0)
                MultiByteToWideChar(cp, 0, (char *)raw + skip, (int)(got - skip), text, units);
            text[total] = 0;
        }
    }
    free(raw);
    if (!text)
        return ERROR_NOT_ENOUGH_MEMORY;
    size_t len = wcslen(text);
    if (len < total) { /* a NUL inside: regedit would stop there too; refuse the file */
        unsigned line = 1;
        for (size_t i = 0; i < len; i++)
            line += text[i] == L'\n';
        syntax(rf, path, line, "the file contains a NUL character; it is not a text .reg file");
    }
    parse(rf, text, path);
    free(text);
    return NO_ERROR;
}

void regfile_free(regfile *rf)
{
    for (unsigned i = 0; i < rf->nkeys; i++)
        free_key(&rf->keys[i]);
    free(rf->keys);
    free(rf->syntax);
    memset(rf, 0, sizeof *rf);
}

static const reg_value *find_value(const reg_key *k, const char *name)
{
    for (unsigned i = 0; i < k->nvalues; i++)
        if (_stricmp(k->values[i].name, name) == 0)
            return &k->values[i];
    return NULL;
}

int regfile_feed(const regfile *rf, rt_cfg *m)
{
    for (unsigned i = 0; i < rf->nsyntax; i++)
        rt_cfg_problem_add(m, rf->syntax[i].key, "", rf->syntax[i].reason);
    m->key_present = rf->rastap_key;
    const reg_key *root = NULL;
    for (unsigned i = 0; i < rf->nkeys; i++)
        if (!rf->keys[i].path[0])
            root = &rf->keys[i];
    for (unsigned v = 0; root && v < root->nvalues; v++)
        rt_cfg_core_value(m, root->values[v].name, root->values[v].type, root->values[v].data,
                          root->values[v].size);
    for (unsigned i = 0; i < rf->nkeys; i++) {
        const reg_key *k = &rf->keys[i];
        if (_strnicmp(k->path, "Sinks\\", 6) || strchr(k->path + 6, '\\') || !k->path[6])
            continue; /* only Sinks\<name> holds a sink */
        int s = rt_cfg_sink_begin(m, k->path + 6);
        const reg_value *t = find_value(k, "Type");
        if (t)
            rt_cfg_sink_value(m, s, "Type", t->type, t->data, t->size);
        for (unsigned v = 0; v < k->nvalues; v++)
            if (&k->values[v] != t)
                rt_cfg_sink_value(m, s, k->values[v].name, k->values[v].type, k->values[v].data,
                                  k->values[v].size);
    }
    return rt_cfg_finish(m);
}
