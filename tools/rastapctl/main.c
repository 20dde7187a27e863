/*
 * main.c - rastapctl: install, configure, inspect and uninstall rastap.
 *
 *   rastapctl <command> [options]      rastapctl <command> --help
 *
 * Every command prints what it did or found, and returns an exit code a
 * script can test (ctl.h, docs/rastapctl.md).
 */
#include "ctl.h"

#include <string.h>

#include "version.h"

typedef struct command {
    const WCHAR *name;
    int (*run)(int argc, WCHAR **argv);
    const char *summary;
} command;

static const command commands[] = {
    {L"install", cmd_install, "register rastap.dll with RRAS (AdminDll DllPath, 64-bit view)"},
    {L"uninstall", cmd_uninstall, "remove rastap's registration, keep other admin DLLs"},
    {L"validate", cmd_validate, "check the configuration (or a .reg file) without applying it"},
    {L"show", cmd_show, "print the effective configuration, defaults included"},
    {L"status", cmd_status, "live counters of the loaded rastap.dll"},
    {L"sessions", cmd_sessions, "the connections RRAS has now (--watch follows them)"},
};

static void usage(void)
{
    out("rastapctl %s - administer rastap, the RAS accounting DLL for RRAS\n\n"
        "usage: rastapctl <command> [options]\n\ncommands:\n",
        RT_VERSION_STRING);
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        out("  %-10s %s\n", u8(commands[i].name), commands[i].summary);
    out("\n`rastapctl <command> --help` describes each command.\n"
        "Exit codes: 0 ok, 1 needs attention, 2 usage, 3 access denied,\n"
        "            4 RRAS not running or unreachable, 5 other failure.\n");
}

int wmain(int argc, WCHAR **argv)
{
    if (argc < 2) {
        usage();
        return RC_USAGE;
    }
    if (is_help(argv[1]) || is_opt(argv[1], L"help")) {
        usage();
        return RC_OK;
    }
    if (is_opt(argv[1], L"--version") || is_opt(argv[1], L"version")) {
        out("rastapctl %s\n", RT_VERSION_STRING);
        return RC_OK;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (is_opt(argv[1], commands[i].name))
            return commands[i].run(argc - 1, argv + 1);
    err("rastapctl: unknown command \"%s\"\n\n", u8(argv[1]));
    usage();
    return RC_USAGE;
}
