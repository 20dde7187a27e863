/*
 * ctl.h - rastapctl's shared pieces: exit codes, output, JSON, commands.
 *
 * Output is UTF-8 text: written as UTF-16 to a console (so every character
 * shows), as UTF-8 bytes to a pipe or file (PowerShell:
 * [Console]::OutputEncoding = [Text.Encoding]::UTF8 before capturing).
 * Messages for people go to stderr, results to stdout; --json puts one JSON
 * document on stdout.
 */
#ifndef RASTAPCTL_CTL_H
#define RASTAPCTL_CTL_H

#include <stdbool.h>
#include <stdint.h>

#include <windows.h>

/* Exit codes, documented in docs/rastapctl.md. */
enum {
    RC_OK = 0,          /* done; or the configuration is valid */
    RC_PROBLEMS = 1,    /* ran, and found what needs attention (invalid configuration,
                           no rastap instance, rastap would not be loaded) */
    RC_USAGE = 2,       /* bad command line */
    RC_ACCESS = 3,      /* access denied: run elevated / as an administrator */
    RC_UNAVAILABLE = 4, /* RRAS not running or not reachable */
    RC_FAILED = 5,      /* any other failure */
};

#define CTL_PRINTF(f, a) __attribute__((format(gnu_printf, f, a)))

void out(const char *fmt, ...) CTL_PRINTF(1, 2);
void err(const char *fmt, ...) CTL_PRINTF(1, 2);

/* UTF-16 -> UTF-8 in one of 16 rotating static buffers (enough for one
 * printf's arguments). NULL prints as "". */
const char *u8(const WCHAR *w);
/* Same for at most n units of a fixed array that may lack its NUL. */
const char *u8n(const WCHAR *w, size_t n);
/* UTF-8 -> UTF-16 into out[0..cap); false if it does not fit. */
bool wide(const char *s, WCHAR *out, size_t cap);
/* FormatMessage text of a Win32 error, without the trailing newline. */
const char *win32_text(DWORD err);

/* "--json" and friends: true when arg equals the option. */
bool is_opt(const WCHAR *arg, const WCHAR *name);
bool is_help(const WCHAR *arg);

/* A small JSON writer (out.c): builds the document, json_print writes it. */
typedef struct json json;
json *json_new(void);
void json_obj(json *j, const char *key);   /* key NULL inside arrays / at the top */
void json_arr(json *j, const char *key);
void json_end(json *j);                    /* closes the innermost object or array */
void json_str(json *j, const char *key, const char *v); /* v NULL: null */
void json_u64(json *j, const char *key, uint64_t v);
void json_i64(json *j, const char *key, int64_t v);
void json_bool(json *j, const char *key, bool v);
void json_print(json *j);                  /* and frees it */
void json_free(json *j);                   /* without printing */

/* RFC 3339 UTC text of microseconds since 1970 (rotating static buffers). */
const char *rfc3339(int64_t us);
/* Now, in microseconds since 1970 UTC. */
int64_t now_us(void);

/* Commands: argv[0] is the command name. Each returns an exit code. */
int cmd_install(int argc, WCHAR **argv);
int cmd_uninstall(int argc, WCHAR **argv);
int cmd_validate(int argc, WCHAR **argv);
int cmd_show(int argc, WCHAR **argv);
int cmd_status(int argc, WCHAR **argv);
int cmd_sessions(int argc, WCHAR **argv);

#endif /* RASTAPCTL_CTL_H */
