/*
 * cli.c - option parsing.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char usage[] =
    "usage: rrashost [options] [DLL ...]\n"
    "Hosts RAS admin DLLs the way RRAS does and replays VPN sessions through them.\n"
    "Without DLL arguments the list comes from HKLM\\SOFTWARE\\Microsoft\\RAS\\AdminDll DllPath.\n"
    "\n"
    "  --registry         read DllPath from RRAS's key (the default without DLLs)\n"
    "  --regkey KEY       read DllPath from KEY instead (HKLM\\... or HKCU\\...)\n"
    "  --sessions N       sessions to run (default 1000; with --duration, at most N)\n"
    "  --users N          distinct users (default sessions/4; storm: one session each)\n"
    "  --threads N        worker threads, 1-64 (default 4)\n"
    "  --window N         sessions in flight per thread (default 16)\n"
    "  --seed N           random seed (default 1); same seed, same sessions\n"
    "  --rate N           start at most N sessions per second\n"
    "  --duration S       stop starting sessions after S seconds\n"
    "  --preset storm     reconnect storm: all users connect at once, then hang up\n"
    "  --scenario FILE    replay sessions from a CSV scenario (docs/rrashost.md)\n"
    "  --rounds N         run the workload N times without unloading the DLLs\n"
    "  --hold-at N        once N sessions have started, keep those in flight live and\n"
    "                     wait for a line on standard input before going on\n"
    "  --legacy           legacy path for every DLL, as RRAS before Server 2008 R2\n"
    "  --hostile PCT      share of users with hostile names (default 5)\n"
    "  --stress           drop RRAS's serialization: callouts overlap across threads\n"
    "  --compare DLL      then run the same workload against DLL alone and compare\n"
    "  --audit DIR        audit rastap's JSON Lines in DIR; without it the audit runs\n"
    "                     on %ProgramData%\\rastap when a loaded DLL is named rastap.dll\n"
    "  --audit-dll N      audit the N-th DLL of the list instead\n"
    "  --no-audit         no audit\n"
    "  --json FILE        machine-readable summary\n"
    "  --addresses FILE   every address callout and what RAS got back (JSON Lines)\n"
    "  --plot FILE.png    latency histograms (writes FILE.gp and FILE.dat, runs gnuplot)\n"
    "  --progress, --no-progress  progress bar (default: when stderr is a console)\n"
    "  --clock tsc|qpc    latency clock (default tsc, calibrated against QPC)\n"
    "  --quiet            summary only\n"
    "  --version, --help\n"
    "Exit: 0 ok, 1 usage/host error, 2 RRAS would not start, 3 audit failed,\n"
    "      4 a DLL wrote past the callbacks block.\n";

char *rh_utf8(const wchar_t *w)
{
    int n = WideCharToMultiByte(CP_UTF8, 0, w, -1, NULL, 0, NULL, NULL);
    char *s = malloc(n > 0 ? (size_t)n : 1);
    if (!s) {
        fputs("rrashost: out of memory\n", stderr);
        exit(RH_EXIT_USAGE);
    }
    if (n <= 0 || !WideCharToMultiByte(CP_UTF8, 0, w, -1, s, n, NULL, NULL))
        s[0] = 0;
    return s;
}

static bool number(const wchar_t *w, double lo, double hi, double *out)
{
    wchar_t *end;
    errno = 0;
    double v = wcstod(w, &end);
    if (errno || end == w || *end || v < lo || v > hi)
        return false;
    *out = v;
    return true;
}

static bool is_opt(const wchar_t *a, const wchar_t *name)
{
    return wcscmp(a, name) == 0;
}

static int bad(const char *what, const wchar_t *arg)
{
    char *a = arg ? rh_utf8(arg) : NULL;
    fprintf(stderr, "rrashost: %s%s%s\n(see rrashost --help)\n", what, a ? ": " : "",
            a ? a : "");
    free(a);
    return RH_EXIT_USAGE;
}

static int value_opt(rh_opts *o, const wchar_t *name, const wchar_t *v)
{
    double x;
    if (is_opt(name, L"--sessions") && number(v, 1, 1e12, &x)) {
        o->sessions = (uint64_t)x;
        o->sessions_given = true;
    } else if (is_opt(name, L"--users") && number(v, 1, 1e9, &x)) {
        o->users = (unsigned)x;
    } else if (is_opt(name, L"--threads") && number(v, 1, 64, &x)) {
        o->run.threads = (unsigned)x;
    } else if (is_opt(name, L"--window") && number(v, 1, 100000, &x)) {
        o->run.window = (unsigned)x;
    } else if (is_opt(name, L"--seed") && number(v, 0, 1.8e19, &x)) {
        o->seed = (uint64_t)x;
    } else if (is_opt(name, L"--rate") && number(v, 0.001, 1e9, &x)) {
        o->run.rate = x;
    } else if (is_opt(name, L"--duration") && number(v, 0.001, 1e7, &x)) {
        o->run.duration_s = x;
    } else if (is_opt(name, L"--hostile") && number(v, 0, 100, &x)) {
        o->hostile_pct = (unsigned)x;
    } else if (is_opt(name, L"--rounds") && number(v, 1, 1000000, &x)) {
        o->rounds = (unsigned)x;
    } else if (is_opt(name, L"--hold-at") && number(v, 0, 1e12, &x)) {
        o->hold = true;
        o->hold_at = (uint64_t)x;
    } else if (is_opt(name, L"--audit-dll") && number(v, 1, RH_MAX_DLLS, &x)) {
        o->audit_dll = (unsigned)x;
    } else if (is_opt(name, L"--preset") && is_opt(v, L"storm")) {
        o->run.storm = true;
    } else if (is_opt(name, L"--clock") && (is_opt(v, L"tsc") || is_opt(v, L"qpc"))) {
        o->force_qpc = is_opt(v, L"qpc");
    } else if (is_opt(name, L"--scenario")) {
        o->scenario = v;
    } else if (is_opt(name, L"--compare")) {
        o->compare = v;
    } else if (is_opt(name, L"--json")) {
        o->json = v;
    } else if (is_opt(name, L"--addresses")) {
        o->addresses = v;
    } else if (is_opt(name, L"--plot")) {
        o->plot = v;
    } else if (is_opt(name, L"--audit")) {
        o->audit_dir = v;
        o->audit_forced = true;
    } else if (is_opt(name, L"--regkey")) {
        o->regkey = v;
    } else {
        return bad("bad value for option", name);
    }
    return -1;
}

static const wchar_t *const with_value[] = {
    L"--sessions", L"--users",   L"--threads", L"--window",   L"--seed",    L"--rate",
    L"--duration", L"--hostile", L"--preset",  L"--scenario", L"--compare", L"--json",
    L"--plot",     L"--clock",   L"--audit-dll", L"--audit",  L"--regkey",  L"--rounds",
    L"--hold-at",  L"--addresses"};

static int flag_opt(rh_opts *o, const wchar_t *a)
{
    if (is_opt(a, L"-h") || is_opt(a, L"--help")) {
        fputs(usage, stdout);
        return RH_EXIT_OK;
    } else if (is_opt(a, L"--version")) {
        puts("rrashost " RH_VERSION);
        return RH_EXIT_OK;
    } else if (is_opt(a, L"--stress")) {
        o->stress = true;
    } else if (is_opt(a, L"--legacy")) {
        o->legacy = true;
    } else if (is_opt(a, L"--quiet")) {
        o->quiet = true;
    } else if (is_opt(a, L"--progress") || is_opt(a, L"--no-progress")) {
        o->progress = is_opt(a, L"--progress");
    } else if (is_opt(a, L"--no-audit")) {
        o->audit_off = true;
    } else if (is_opt(a, L"--registry")) {
        o->regkey = L"HKLM\\SOFTWARE\\Microsoft\\RAS\\AdminDll";
    } else {
        return bad("unknown option", a);
    }
    return -1;
}

int rh_parse_args(int argc, wchar_t **argv, rh_opts *o)
{
    memset(o, 0, sizeof *o);
    o->seed = 1;
    o->hostile_pct = 5;
    o->progress = -1;
    o->run.threads = 4;
    o->run.window = 16;
    o->rounds = 1;
    for (int i = 1; i < argc; i++) {
        const wchar_t *a = argv[i];
        int rc = -1;
        if (a[0] != L'-') {
            if (o->n_dlls == RH_MAX_DLLS)
                return bad("too many DLLs", a);
            o->dlls[o->n_dlls++] = argv[i];
            continue;
        }
        bool takes_value = false;
        for (size_t k = 0; k < sizeof with_value / sizeof with_value[0]; k++)
            takes_value |= is_opt(a, with_value[k]);
        if (takes_value) {
            if (i + 1 >= argc)
                return bad("missing value for", a);
            rc = value_opt(o, a, argv[i + 1]);
            i++;
        } else {
            rc = flag_opt(o, a);
        }
        if (rc >= 0)
            return rc;
    }
    if (o->n_dlls && o->regkey)
        return bad("give DLL paths or --registry, not both", NULL);
    if (!o->sessions)
        o->sessions = o->run.duration_s > 0 ? UINT64_MAX : 1000;
    return -1;
}
