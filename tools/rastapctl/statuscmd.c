/*
 * statuscmd.c - `status`: reads the status sections that running copies
 * of rastap.dll publish (src/win/status.h: name, layout, sequence lock).
 * Sections are found by trying Global\rastap-status-<pid> for every
 * process; only SYSTEM and Administrators may open them.
 */
#include "ctl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <tlhelp32.h>

#include "status.h"

#define MAX_FOUND 16

/* Whether a copy is a page this reader understands (status.h: magic,
 * layout, and at least the first layout-1 page). What lies past the
 * writer's `size` is not the writer's: it is cleared, and RT_STATUS_HAS
 * tells the printers to leave those fields out. */
static bool usable(rt_status_page *copy)
{
    if (copy->magic != RT_STATUS_MAGIC || copy->layout != RT_STATUS_LAYOUT ||
        copy->size < RT_STATUS_SIZE_MIN)
        return false;
    if (copy->size < sizeof *copy)
        memset((char *)copy + copy->size, 0, sizeof *copy - copy->size);
    return true;
}

/* A consistent copy of the page (the reader half of the sequence lock). */
static bool read_page(const rt_status_page *shared, rt_status_page *copy)
{
    for (int attempt = 0; attempt < 1000; attempt++) {
        /* Acquire: pairs with the writer's second InterlockedIncrement. */
        uint32_t s1 = __atomic_load_n(&shared->seq, __ATOMIC_ACQUIRE);
        if (s1 & 1u) {
            Sleep(0);
            continue;
        }
        memcpy(copy, (const void *)shared, sizeof *copy);
        /* Orders the copy before the second load of seq; pairs with the
         * writer's first InterlockedIncrement (a full barrier). */
        __atomic_thread_fence(__ATOMIC_ACQUIRE);
        uint32_t s2 = __atomic_load_n(&shared->seq, __ATOMIC_RELAXED);
        if (s1 == s2)
            return usable(copy);
    }
    return false;
}

static const char *state_name(uint32_t s)
{
    return s == RT_STATUS_RUNNING ? "running" : s == RT_STATUS_STARTING ? "starting"
                                            : s == RT_STATUS_STOPPED  ? "stopped"
                                                                      : "unknown";
}

static void print_text(const rt_status_page *p)
{
    out("rastap %s in process %lu: %s since %s (updated %s)\n", p->version,
        (unsigned long)p->pid, state_name(p->state), rfc3339(p->started_us),
        rfc3339(p->updated_us));
    out("  instance        %s (%s)\n", p->instance, p->mode_ex ? "MprAdminInitializeDllEx"
                                                               : "MprAdminInitializeDll");
    out("  configuration   generation %llu; refused since load: %llu\n",
        (unsigned long long)p->config_generation, (unsigned long long)p->config_refused);
    out("  records         %llu written this run (callouts fired since load: %llu)\n",
        (unsigned long long)p->records_total, (unsigned long long)p->callouts_fired);
    for (int k = 0; k < RT_STATUS_KINDS; k++)
        if (p->kinds[k].name[0] && p->kinds[k].count)
            out("    %-20s %llu\n", p->kinds[k].name, (unsigned long long)p->kinds[k].count);
    out("  dropped         %llu\n", (unsigned long long)p->dropped_total);
    for (int r = 0; r < RT_STATUS_REASONS; r++)
        if (p->dropped[r].name[0])
            out("    %-20s %llu\n", p->dropped[r].name, (unsigned long long)p->dropped[r].count);
    out("  ring            %lu slots, high-water %lu, now %lu",
        (unsigned long)p->ring_capacity, (unsigned long)p->ring_high_water,
        (unsigned long)p->ring_occupancy);
    if (p->ring_size_configured && p->ring_size_configured != p->ring_capacity)
        out(" (RingSize %lu applies at the next start)", (unsigned long)p->ring_size_configured);
    out("\n  sinks\n");
    for (uint32_t i = 0; i < p->nsinks && i < RT_STATUS_SINKS; i++) {
        const rt_status_sink *s = &p->sinks[i];
        out("    %-16s %-6s written %llu, failed %llu, dropped %llu, backlog %lu", s->name,
            s->type, (unsigned long long)s->written, (unsigned long long)s->failed,
            (unsigned long long)s->dropped, (unsigned long)s->backlog);
        const rt_status_spool *sp = RT_STATUS_HAS(p, spools) ? &p->spools[i] : NULL;
        if (sp && sp->present)
            out(", spool %llu records (%llu bytes)", (unsigned long long)sp->records,
                (unsigned long long)sp->bytes);
        out("%s\n", s->retrying ? ", retrying" : "");
    }
    if (p->last_error_us)
        out("  last error      %s: %s (%llu in all)\n", rfc3339(p->last_error_us), p->last_error,
            (unsigned long long)p->diag_errors);
    else
        out("  last error      none\n");
}

static void print_json(json *j, const rt_status_page *p)
{
    json_obj(j, NULL);
    json_u64(j, "pid", p->pid);
    json_str(j, "state", state_name(p->state));
    json_str(j, "version", p->version);
    json_str(j, "instance", p->instance);
    json_str(j, "mode", p->mode_ex ? "ex" : "legacy");
    json_str(j, "started", rfc3339(p->started_us));
    json_str(j, "updated", rfc3339(p->updated_us));
    json_u64(j, "config_generation", p->config_generation);
    json_u64(j, "config_refused", p->config_refused);
    json_u64(j, "records_total", p->records_total);
    json_u64(j, "callouts_fired", p->callouts_fired);
    json_obj(j, "records");
    for (int k = 0; k < RT_STATUS_KINDS; k++)
        if (p->kinds[k].name[0])
            json_u64(j, p->kinds[k].name, p->kinds[k].count);
    json_end(j);
    json_u64(j, "dropped_total", p->dropped_total);
    json_obj(j, "dropped");
    for (int r = 0; r < RT_STATUS_REASONS; r++)
        if (p->dropped[r].name[0])
            json_u64(j, p->dropped[r].name, p->dropped[r].count);
    json_end(j);
    json_obj(j, "ring");
    json_u64(j, "capacity", p->ring_capacity);
    json_u64(j, "high_water", p->ring_high_water);
    json_u64(j, "occupancy", p->ring_occupancy);
    json_u64(j, "configured", p->ring_size_configured);
    json_end(j);
    json_arr(j, "sinks");
    for (uint32_t i = 0; i < p->nsinks && i < RT_STATUS_SINKS; i++) {
        const rt_status_sink *s = &p->sinks[i];
        json_obj(j, NULL);
        json_str(j, "name", s->name);
        json_str(j, "type", s->type);
        json_u64(j, "written", s->written);
        json_u64(j, "failed", s->failed);
        json_u64(j, "dropped", s->dropped);
        json_u64(j, "backlog", s->backlog);
        json_bool(j, "retrying", s->retrying != 0);
        if (RT_STATUS_HAS(p, spools)) { /* left out when the DLL is too old to tell */
            const rt_status_spool *sp = &p->spools[i];
            json_bool(j, "spool", sp->present != 0);
            json_u64(j, "spooled", sp->records);
            json_u64(j, "spool_bytes", sp->bytes);
        }
        json_end(j);
    }
    json_end(j);
    json_u64(j, "diag_errors", p->diag_errors);
    json_str(j, "last_error", p->last_error_us ? p->last_error : NULL);
    json_str(j, "last_error_time", p->last_error_us ? rfc3339(p->last_error_us) : NULL);
    json_end(j);
}

static void status_help(void)
{
    out("usage: rastapctl status [--pid PID] [--json]\n\n"
        "Shows the live counters of every process that runs rastap.dll (normally the\n"
        "svchost hosting RemoteAccess): records per kind, drops per reason, the ring's\n"
        "size and high-water mark, per sink written/failed/dropped/backlog/retrying and,\n"
        "for a sink with an on-disk spool (syslog), the records and bytes waiting in it,\n"
        "the configuration generation in force and the last error. Needs an elevated\n"
        "prompt: the counters are readable by SYSTEM and Administrators only.\n\n"
        "Exit codes: 0 shown; 1 rastap is not running in any process (or not in PID);\n"
        "3 access denied.\n");
}

/* Tries one pid; returns 1 found, 0 none, -1 access denied. */
static int try_pid(DWORD pid, rt_status_page *copy)
{
    WCHAR name[64];
    _snwprintf(name, 64, RT_STATUS_NAME_FMT, (unsigned long)pid);
    name[63] = 0;
    HANDLE h = OpenFileMappingW(FILE_MAP_READ, FALSE, name);
    if (!h)
        return GetLastError() == ERROR_ACCESS_DENIED ? -1 : 0;
    const rt_status_page *p = MapViewOfFile(h, FILE_MAP_READ, 0, 0, sizeof *p);
    int found = p && read_page(p, copy) ? 1 : 0;
    if (p)
        UnmapViewOfFile(p);
    CloseHandle(h);
    return found;
}

int cmd_status(int argc, WCHAR **argv)
{
    bool as_json = false;
    DWORD only = 0;
    for (int i = 1; i < argc; i++) {
        if (is_help(argv[i])) {
            status_help();
            return RC_OK;
        } else if (is_opt(argv[i], L"--json")) {
            as_json = true;
        } else if (is_opt(argv[i], L"--pid") && i + 1 < argc) {
            only = (DWORD)wcstoul(argv[++i], NULL, 10);
        } else {
            err("rastapctl status: unexpected argument \"%s\" (see --help)\n", u8(argv[i]));
            return RC_USAGE;
        }
    }
    static rt_status_page found[MAX_FOUND];
    unsigned n = 0;
    bool denied = false;
    if (only) {
        int r = try_pid(only, &found[0]);
        n = r > 0;
        denied = r < 0;
    } else {
        HANDLE snap = CreateToolhelp32Snapshot(TH32CS_SNAPPROCESS, 0);
        PROCESSENTRY32W pe;
        memset(&pe, 0, sizeof pe);
        pe.dwSize = sizeof pe;
        if (snap != INVALID_HANDLE_VALUE && Process32FirstW(snap, &pe)) {
            do {
                int r = try_pid(pe.th32ProcessID, &found[n]);
                n += r > 0 && n < MAX_FOUND - 1;
                denied |= r < 0;
            } while (Process32NextW(snap, &pe));
        }
        if (snap != INVALID_HANDLE_VALUE)
            CloseHandle(snap);
    }
    if (as_json) {
        json *j = json_new();
        json_obj(j, NULL);
        json_bool(j, "access_denied", denied);
        json_arr(j, "instances");
        for (unsigned i = 0; i < n; i++)
            print_json(j, &found[i]);
        json_end(j);
        json_end(j);
        json_print(j);
    } else {
        for (unsigned i = 0; i < n; i++)
            print_text(&found[i]);
    }
    if (n)
        return RC_OK;
    if (denied) {
        err("rastapctl: access denied to rastap's status: run from an elevated prompt\n");
        return RC_ACCESS;
    }
    if (!as_json)
        err("rastap is not running in %s (is RRAS started, and rastap installed?)\n",
            only ? "that process" : "any process");
    return RC_PROBLEMS;
}
