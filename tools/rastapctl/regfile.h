/*
 * regfile.h - reads a .reg file (the "Windows Registry Editor Version 5.00"
 * format regedit exports and imports) into the keys and values it would
 * leave under rastap's configuration key, for `validate --file` and
 * `show --file`.
 *
 * The file is taken as a whole configuration: the keys and values it sets
 * under HKLM\...\AdminDll\rastap, applied in order ([-key] and "name"=-
 * delete what the file set earlier), as if that key held nothing else.
 * Keys outside rastap's are counted and ignored (install.reg's AdminDll
 * registration, for instance). UTF-16LE with BOM (what regedit writes),
 * UTF-8 or the ANSI code page are read; REGEDIT4 files are refused (their
 * hex(2)/hex(7) data are not UTF-16).
 */
#ifndef RASTAPCTL_REGFILE_H
#define RASTAPCTL_REGFILE_H

#include <stddef.h>
#include <stdint.h>

#include <windows.h>

#include "config_model.h"

typedef struct reg_value {
    char *name;            /* UTF-8; "" for the default value (@) */
    uint32_t type;         /* REG_* */
    unsigned char *data;
    size_t size;
} reg_value;

typedef struct reg_key {
    char *path;            /* relative to rastap's key: "", "Sinks", "Sinks\\main" */
    reg_value *values;
    unsigned nvalues, cap;
} reg_key;

typedef struct regfile {
    reg_key *keys;
    unsigned nkeys, cap;
    unsigned ignored_keys; /* sections outside rastap's key */
    bool rastap_key;       /* the file sets rastap's key (or a subkey) */
    rt_cfg_problem *syntax;  /* syntax problems, key = "FILE:LINE" */
    unsigned nsyntax;
} regfile;

/* Reads and parses `path`. Returns 0, or a Win32 error when the file
 * cannot be read (syntax problems are in rf->syntax, not an error). */
DWORD regfile_load(const WCHAR *path, regfile *rf);
void regfile_free(regfile *rf);

/* Gives the file's configuration to m (rt_cfg_init'ed) like the registry
 * reader would, syntax problems included, and finishes it. Returns what
 * rt_cfg_finish returns. */
int regfile_feed(const regfile *rf, rt_cfg *m);

#endif /* RASTAPCTL_REGFILE_H */
