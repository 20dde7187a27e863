/*
 * cli.h - rrashost's command line (docs/rrashost.md has the reference).
 */
#ifndef RH_CLI_H
#define RH_CLI_H

#include <stdbool.h>
#include <stdint.h>

#include "host.h"
#include "run.h"

typedef struct rh_opts {
    wchar_t *dlls[RH_MAX_DLLS]; /* command-line DLLs, in call order */
    unsigned n_dlls;
    const wchar_t *regkey;      /* NULL: the RRAS key */
    const wchar_t *compare;     /* --compare DLL */
    const wchar_t *scenario;
    const wchar_t *json;
    const wchar_t *plot;
    const wchar_t *audit_dir;   /* NULL: %ProgramData%\rastap */
    const wchar_t *addresses;   /* --addresses FILE */
    bool audit_off;
    bool audit_forced;          /* --audit given */
    unsigned audit_dll;         /* 1-based; 0: the DLL named rastap.dll */
    uint64_t sessions;          /* 0: default */
    bool sessions_given;
    unsigned users;
    unsigned hostile_pct;
    uint64_t seed;
    bool stress;
    bool legacy;                /* --legacy: no Ex path */
    unsigned rounds;            /* --rounds, at least 1 */
    bool hold;                  /* --hold-at given */
    uint64_t hold_at;           /* sessions started (all rounds) before the hold */
    bool force_qpc;
    bool quiet;
    int progress;               /* -1 auto (a console), 0 off, 1 on */
    rh_run_opts run;
} rh_opts;

/* Parses argv (UTF-16, from CommandLineToArgvW). Returns -1 to go on,
 * otherwise the exit code (help, version, usage error). */
int rh_parse_args(int argc, wchar_t **argv, rh_opts *o);

/* UTF-8 copy of a UTF-16 string (heap). */
char *rh_utf8(const wchar_t *w);

#endif /* RH_CLI_H */
