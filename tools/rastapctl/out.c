/*
 * out.c - console-or-pipe output, string conversions and a JSON writer.
 */
#include "ctl.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "json.h"

static void emit(DWORD which, const char *fmt, va_list ap)
{
    char stack[4096], *text = stack;
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(stack, sizeof stack, fmt, ap);
    if (n < 0) {
        va_end(ap2);
        return;
    }
    if ((size_t)n >= sizeof stack) {
        text = malloc((size_t)n + 1);
        if (!text) {
            va_end(ap2);
            return;
        }
        vsnprintf(text, (size_t)n + 1, fmt, ap2);
    }
    va_end(ap2);
    HANDLE h = GetStdHandle(which);
    DWORD mode, done;
    if (GetConsoleMode(h, &mode)) {
        int wn = MultiByteToWideChar(CP_UTF8, 0, text, n, NULL, 0);
        WCHAR *w = wn > 0 ? malloc((size_t)wn * sizeof *w) : NULL;
        if (w) {
            MultiByteToWideChar(CP_UTF8, 0, text, n, w, wn);
            WriteConsoleW(h, w, (DWORD)wn, &done, NULL);
            free(w);
        }
    } else {
        FILE *f = which == STD_OUTPUT_HANDLE ? stdout : stderr;
        fwrite(text, 1, (size_t)n, f);
        fflush(f);
    }
    if (text != stack)
        free(text);
}

void out(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    emit(STD_OUTPUT_HANDLE, fmt, ap);
    va_end(ap);
}

void err(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    emit(STD_ERROR_HANDLE, fmt, ap);
    va_end(ap);
}

static char *rotating(void)
{
    static char bufs[16][4096];
    static unsigned next;
    return bufs[next++ % 16];
}

const char *u8n(const WCHAR *w, size_t n)
{
    char *b = rotating();
    size_t len = 0;
    while (w && len < n && w[len])
        len++;
    int k = len ? WideCharToMultiByte(CP_UTF8, 0, w, (int)len, b, 4095, NULL, NULL) : 0;
    b[k > 0 ? k : 0] = 0;
    return b;
}

const char *u8(const WCHAR *w)
{
    return u8n(w, w ? wcslen(w) : 0);
}

bool wide(const char *s, WCHAR *o, size_t cap)
{
    return MultiByteToWideChar(CP_UTF8, 0, s, -1, o, (int)cap) > 0;
}

const char *win32_text(DWORD e)
{
    WCHAR w[512];
    DWORD n = FormatMessageW(FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS, NULL, e,
                             0, w, 512, NULL);
    while (n > 0 && (w[n - 1] == L'\n' || w[n - 1] == L'\r' || w[n - 1] == L' ' || w[n - 1] == L'.'))
        n--;
    if (n == 0)
        return "unknown error";
    return u8n(w, n);
}

bool is_opt(const WCHAR *arg, const WCHAR *name)
{
    return _wcsicmp(arg, name) == 0;
}

bool is_help(const WCHAR *arg)
{
    return is_opt(arg, L"--help") || is_opt(arg, L"-h") || is_opt(arg, L"/?") ||
           is_opt(arg, L"-?");
}

const char *rfc3339(int64_t us)
{
    static char b[4][40];
    static unsigned next;
    char *o = b[next++ % 4];
    if (us <= 0) {
        snprintf(o, 40, "-");
        return o;
    }
    /* microseconds since 1970 -> FILETIME (100 ns since 1601) */
    ULARGE_INTEGER u;
    u.QuadPart = (ULONGLONG)us * 10u + 116444736000000000ull;
    FILETIME ft = {u.LowPart, u.HighPart};
    SYSTEMTIME st;
    FileTimeToSystemTime(&ft, &st);
    snprintf(o, 40, "%04u-%02u-%02uT%02u:%02u:%02u.%06uZ", st.wYear, st.wMonth, st.wDay,
             st.wHour, st.wMinute, st.wSecond, (unsigned)(us % 1000000));
    return o;
}

int64_t now_us(void)
{
    FILETIME ft;
    GetSystemTimeAsFileTime(&ft);
    ULARGE_INTEGER u = {{ft.dwLowDateTime, ft.dwHighDateTime}};
    return (int64_t)((u.QuadPart - 116444736000000000ull) / 10u);
}

/* ---------------------------------------------------------------- JSON */

struct json {
    rt_buf b;
    int depth;
    bool first[32];
    char closer[32]; /* what closes the container at each depth */
};

json *json_new(void)
{
    json *j = calloc(1, sizeof *j);
    if (!j)
        return NULL;
    j->b.cap = 4u << 20;
    j->b.p = malloc(j->b.cap);
    j->first[0] = true;
    return j;
}

static void key(json *j, const char *k)
{
    if (!j->first[j->depth])
        rt_buf_putc(&j->b, ',');
    j->first[j->depth] = false;
    if (k) {
        rt_json_strz(&j->b, k, SIZE_MAX);
        rt_buf_putc(&j->b, ':');
    }
}

static void open(json *j, const char *k, char c)
{
    key(j, k);
    rt_buf_putc(&j->b, c);
    if (j->depth < 31) {
        j->first[++j->depth] = true;
        j->closer[j->depth] = c == '{' ? '}' : ']';
    }
}

void json_obj(json *j, const char *k)
{
    open(j, k, '{');
}

void json_arr(json *j, const char *k)
{
    open(j, k, '[');
}

void json_end(json *j)
{
    if (j->depth == 0)
        return;
    rt_buf_putc(&j->b, j->closer[j->depth--]);
}

void json_str(json *j, const char *k, const char *v)
{
    key(j, k);
    if (v)
        rt_json_strz(&j->b, v, SIZE_MAX);
    else
        RT_BUF_LIT(&j->b, "null");
}

void json_u64(json *j, const char *k, uint64_t v)
{
    key(j, k);
    rt_json_u64(&j->b, v);
}

void json_i64(json *j, const char *k, int64_t v)
{
    key(j, k);
    rt_json_i64(&j->b, v);
}

void json_bool(json *j, const char *k, bool v)
{
    key(j, k);
    rt_json_bool(&j->b, v);
}

void json_free(json *j)
{
    if (!j)
        return;
    free(j->b.p);
    free(j);
}

void json_print(json *j)
{
    if (!j)
        return;
    rt_buf_putc(&j->b, '\n');
    fwrite(j->b.p, 1, j->b.len, stdout);
    fflush(stdout);
    json_free(j);
}
