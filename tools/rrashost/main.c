/*
 * main.c - rrashost: host RAS admin DLLs as RRAS does, replay sessions
 * through them, report latencies, and audit what rastap wrote.
 *
 * One run = load every DLL in list order (stop at the first failure, as
 * RRAS) -> workload on N threads (--rounds times) -> Terminate in list
 * order -> unload -> report -> audit. --compare makes a second run, same
 * workload, with another DLL alone, and prints both side by side.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"

#include <shellapi.h>

static char *basename_utf8(const char *path)
{
    const char *b = path;
    for (const char *p = path; *p; p++)
        if (*p == '\\' || *p == '/')
            b = p + 1;
    return _strdup(b);
}

/* RFC 3339 UTC text, like rastap's `time`, `back` seconds ago. */
static void utc_text(char *out, size_t cap, unsigned back)
{
    FILETIME ft;
    SYSTEMTIME st;
    GetSystemTimePreciseAsFileTime(&ft);
    ULARGE_INTEGER u = {.LowPart = ft.dwLowDateTime, .HighPart = ft.dwHighDateTime};
    u.QuadPart -= (ULONGLONG)back * 10000000ull;
    ft.dwLowDateTime = u.LowPart;
    ft.dwHighDateTime = u.HighPart;
    FileTimeToSystemTime(&ft, &st);
    snprintf(out, cap, "%04u-%02u-%02uT%02u:%02u:%02u.%06uZ", st.wYear, st.wMonth, st.wDay,
             st.wHour, st.wMinute, st.wSecond, (unsigned)((u.QuadPart / 10) % 1000000));
}

typedef struct plan {
    wchar_t *paths[RH_MAX_DLLS];
    unsigned n;
    bool audit;
    wchar_t audit_dir[MAX_PATH];
} plan;

/* --audit-dll picks a DLL of the main list; otherwise rastap.dll is
 * recognised by its file name, in either run. */
static void describe_dll(rh_dll *d, const wchar_t *path, const rh_opts *o, unsigned index,
                         bool main_run)
{
    d->path = _wcsdup(path);
    d->path_utf8 = rh_utf8(path);
    d->name_utf8 = basename_utf8(d->path_utf8);
    bool named = _stricmp(d->name_utf8, "rastap.dll") == 0;
    unsigned pick = main_run ? o->audit_dll : 0;
    d->audited = !o->audit_off && (pick ? pick == index + 1 : named);
    d->accept_co = d->hangup_co = d->reauth_co = RH_CO_COUNT;
}

/*
 * The workload, o->rounds times with the DLLs loaded throughout. Each round
 * numbers its sessions after the previous ones (unique handles and ports)
 * and brings back the same users; --hold-at counts the sessions of every
 * round (main run only: --compare does not stop).
 */
static bool run_rounds(rh_host *host, const rh_opts *o, const rh_workload *w, bool main_run,
                       rh_run_result *res)
{
    uint64_t before = 0;
    for (unsigned r = 0; r < o->rounds; r++) {
        rh_workload wr = *w;
        rh_run_opts ro = o->run;
        wr.first = before;
        ro.hold = main_run && o->hold && o->hold_at >= before &&
                  (w->limit == UINT64_MAX || o->hold_at - before < w->limit);
        ro.hold_at = ro.hold ? o->hold_at - before : 0;
        if (host->log_addresses)
            rh_addr_mark(&res->addrs, RH_AL_ROUND, r + 1);
        if (!rh_run(host, &wr, &ro, res))
            return false;
        before = res->stats.t.sessions;
    }
    return true;
}

/* Loads all, runs, unloads, reports, audits. Returns an exit code. */
static int run_once(const plan *p, const char *label, const rh_opts *o, const rh_workload *w,
                    rh_report_run *rep)
{
    rh_host *host = calloc(1, sizeof *host);
    rh_ctx *ctx0 = calloc(1, sizeof *ctx0);
    int rc = RH_EXIT_OK;
    if (!host || !ctx0) {
        fputs("rrashost: out of memory\n", stderr);
        exit(RH_EXIT_USAGE);
    }
    rep->label = label;
    rep->host = host;
    host->stress = o->stress;
    host->legacy_only = o->legacy;
    host->log_addresses = o->addresses && strcmp(label, "main") == 0;
    bool audit = false;
    for (unsigned i = 0; i < p->n; i++) {
        describe_dll(&host->dlls[i], p->paths[i], o, i, strcmp(label, "main") == 0);
        audit |= host->dlls[i].audited;
        if (host->dlls[i].audited)
            rep->focus = i;
    }
    if (o->audit_forced && !audit && strcmp(label, "main") == 0) {
        fputs("rrashost: --audit: no DLL named rastap.dll in the list (use --audit-dll N)\n",
              stderr);
        rc = RH_EXIT_AUDIT;
    }
    rh_ctx_init(ctx0, host, 0, audit);
    char since[40];
    utc_text(since, sizeof since, 2);
    bool loaded = true;
    for (unsigned i = 0; i < p->n && loaded; i++) {
        host->n_dlls = i + 1;
        DWORD err = rh_load_dll(host, i, ctx0);
        if (err != NO_ERROR) {
            rc = err == RH_LOAD_OVERRUN ? RH_EXIT_MISBEHAVE : RH_EXIT_NO_START;
            loaded = false;
        }
    }
    if (loaded) {
        rh_host_ready(host);
        rep->started = true;
        if (!run_rounds(host, o, w, strcmp(label, "main") == 0, &rep->res) && rc == RH_EXIT_OK)
            rc = RH_EXIT_USAGE;
    }
    rh_unload_all(host, ctx0); /* after a failure: the DLLs before the failing one */
    rh_stats_merge(&rep->res.stats, &ctx0->stats);
    rh_expect_append(&rep->res.expect, &ctx0->expect);
    if (!loaded)
        goto cleanup;
    rh_clock_finish();
    rh_report_text(rep, o);
    if (audit && rc == RH_EXIT_OK) {
        if (!rh_audit(p->audit_dir, &rep->res.expect, since, GetCurrentProcessId(), o->quiet,
                      &rep->audit))
            rc = RH_EXIT_AUDIT;
    }
cleanup:
    rh_stats_free(&ctx0->stats);
    rh_expect_free(&ctx0->expect);
    free(ctx0);
    return rc;
}

static bool full_path(const wchar_t *in, wchar_t **out)
{
    DWORD n = GetFullPathNameW(in, 0, NULL, NULL);
    *out = n ? calloc(n + 1, sizeof(wchar_t)) : NULL;
    return *out && GetFullPathNameW(in, n + 1, *out, NULL) > 0;
}

static int make_plan(const rh_opts *o, plan *p)
{
    memset(p, 0, sizeof *p);
    if (o->n_dlls) {
        for (unsigned i = 0; i < o->n_dlls; i++)
            if (!full_path(o->dlls[i], &p->paths[p->n++]))
                return RH_EXIT_USAGE;
    } else {
        DWORD err = rh_registry_read(o->regkey, p->paths, RH_MAX_DLLS, &p->n);
        if (err != ERROR_SUCCESS) {
            fprintf(stderr, "rrashost: reading DllPath failed with error %s; RRAS would not "
                            "start\n",
                    rh_win32_message(err));
            return RH_EXIT_NO_START;
        }
        if (p->n == 0) {
            fputs("rrashost: no admin DLL registered (AdminDll key absent or DllPath empty); "
                  "RRAS would start without one. Nothing to host.\n",
                  stderr);
            return RH_EXIT_USAGE;
        }
    }
    const wchar_t *dir = o->audit_dir ? o->audit_dir : L"%ProgramData%\\rastap";
    if (!ExpandEnvironmentStringsW(dir, p->audit_dir, MAX_PATH))
        return RH_EXIT_USAGE;
    return -1;
}

static int make_workload(const rh_opts *o, rh_workload *w, rh_run_opts *run)
{
    memset(w, 0, sizeof *w);
    w->seed = o->seed;
    w->hostile_pct = o->hostile_pct;
    w->storm = o->run.storm;
    w->limit = o->sessions;
    if (w->storm && o->users && !o->sessions_given)
        w->limit = o->users;
    uint64_t base = w->limit == UINT64_MAX ? 10000 : w->limit;
    w->users = o->users ? o->users : (unsigned)(w->storm ? base : (base / 4 ? base / 4 : 1));
    *run = o->run;
    if (o->progress >= 0)
        run->progress = o->progress != 0;
    else
        run->progress = GetFileType(GetStdHandle(STD_ERROR_HANDLE)) == FILE_TYPE_CHAR;
    if (!o->scenario)
        return -1;
    if (!rh_scenario_load(o->scenario, &w->rows, &w->n_rows))
        return RH_EXIT_USAGE;
    if (!o->sessions_given || w->limit > w->n_rows)
        w->limit = w->n_rows;
    for (uint64_t i = 0; i < w->n_rows; i++)
        run->paced_by_rows |= (w->rows[i].given & RH_GIVEN_START) != 0;
    return -1;
}

int main(void)
{
    int argc = 0;
    wchar_t **argv = CommandLineToArgvW(GetCommandLineW(), &argc);
    rh_opts o;
    rh_workload w;
    plan main_plan, cmp_plan;
    rh_report_run runs[2];
    if (!argv)
        return RH_EXIT_USAGE;
    setvbuf(stdout, NULL, _IONBF, 0);
    int rc = rh_parse_args(argc, argv, &o);
    if (rc >= 0)
        return rc;
    if ((rc = make_plan(&o, &main_plan)) >= 0 || (rc = make_workload(&o, &w, &o.run)) >= 0)
        return rc;
    rh_clock_init(o.force_qpc);
    memset(runs, 0, sizeof runs);
    rc = run_once(&main_plan, "main", &o, &w, &runs[0]);
    unsigned n_runs = 1;
    if (o.compare && runs[0].started) {
        memset(&cmp_plan, 0, sizeof cmp_plan);
        wcscpy(cmp_plan.audit_dir, main_plan.audit_dir);
        if (!full_path(o.compare, &cmp_plan.paths[0]))
            return RH_EXIT_USAGE;
        cmp_plan.n = 1;
        int rc2 = run_once(&cmp_plan, "compare", &o, &w, &runs[1]);
        n_runs = 2;
        if (rc == RH_EXIT_OK)
            rc = rc2;
        if (runs[1].started)
            rh_report_compare(&runs[0], &runs[1]);
    }
    if (o.json && !rh_report_json(o.json, runs, n_runs, &o)) {
        fputs("rrashost: cannot write the --json file\n", stderr);
        rc = rc ? rc : RH_EXIT_USAGE;
    }
    if (o.addresses && runs[0].started && !rh_addr_write(o.addresses, &runs[0].res.addrs)) {
        fputs("rrashost: cannot write the --addresses file\n", stderr);
        rc = rc ? rc : RH_EXIT_USAGE;
    }
    if (o.plot && runs[0].started && !rh_plot(o.plot, runs, n_runs)) {
        fputs("rrashost: cannot write the --plot files\n", stderr);
        rc = rc ? rc : RH_EXIT_USAGE;
    }
    return rc;
}
