/*
 * configcmd.c - `validate` and `show`: the configuration in the registry
 * (read exactly as rastap.dll reads it, src/win/config.c) or in a .reg
 * file, checked by the same model (src/core/config_model.c).
 */
#include "ctl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "regfile.h"

typedef struct source {
    const WCHAR *file; /* NULL: the registry */
    bool json;
} source;

static int parse_args(int argc, WCHAR **argv, source *s, void (*help)(void))
{
    memset(s, 0, sizeof *s);
    for (int i = 1; i < argc; i++) {
        if (is_help(argv[i])) {
            help();
            return -1;
        } else if (is_opt(argv[i], L"--json")) {
            s->json = true;
        } else if (is_opt(argv[i], L"--file") && i + 1 < argc) {
            s->file = argv[++i];
        } else {
            err("rastapctl: unexpected argument \"%s\" (see --help)\n", u8(argv[i]));
            return RC_USAGE;
        }
    }
    return RC_OK;
}

/* Reads the configuration; returns an exit code for a failure to read. */
static int load(const source *s, rt_cfg *m, int *valid)
{
    if (!s->file) {
        *valid = rt_config_read(NULL, m) == 0;
        return RC_OK;
    }
    regfile rf;
    DWORD e = regfile_load(s->file, &rf);
    if (e != NO_ERROR) {
        err("rastapctl: cannot read \"%s\": %s\n", u8(s->file), win32_text(e));
        return e == ERROR_ACCESS_DENIED ? RC_ACCESS : RC_FAILED;
    }
    rt_cfg_init(m, rt_config_expand, NULL);
    *valid = regfile_feed(&rf, m) == 0;
    if (rf.ignored_keys && !s->json)
        err("note: %u keys outside rastap's configuration key were ignored\n", rf.ignored_keys);
    regfile_free(&rf);
    return RC_OK;
}

static void print_problems(const rt_cfg *m)
{
    for (unsigned i = 0; i < m->nproblems; i++) {
        const rt_cfg_problem *p = &m->problems[i];
        out("  %s = \"%s\": %s\n", p->key, p->value, p->reason);
    }
    if (m->problems_lost)
        out("  ... and %u more\n", m->problems_lost);
}

static void json_problems(json *j, const rt_cfg *m)
{
    json_arr(j, "problems");
    for (unsigned i = 0; i < m->nproblems; i++) {
        json_obj(j, NULL);
        json_str(j, "key", m->problems[i].key);
        json_str(j, "value", m->problems[i].value);
        json_str(j, "reason", m->problems[i].reason);
        json_end(j);
    }
    json_end(j);
    json_u64(j, "more_problems", m->problems_lost);
}

static const char *where(const source *s)
{
    return s->file ? u8(s->file) : "the registry";
}

static void validate_help(void)
{
    out("usage: rastapctl validate [--file FILE.reg] [--json]\n\n"
        "Checks rastap's configuration in the registry (HKLM\\SYSTEM\\CurrentControlSet\\\n"
        "Services\\RemoteAccess\\Parameters\\AdminDll\\rastap), or the configuration a .reg\n"
        "file would leave there, without applying anything, and prints every problem:\n"
        "the key, the value found and why it is refused. rastap refuses an invalid\n"
        "configuration as a whole and keeps the one in force.\n\n"
        "Exit codes: 0 valid; 1 invalid (problems printed); 2 usage; 3 cannot read.\n");
}

int cmd_validate(int argc, WCHAR **argv)
{
    source s;
    int rc = parse_args(argc, argv, &s, validate_help);
    if (rc)
        return rc < 0 ? RC_OK : rc;
    rt_cfg *m = malloc(sizeof *m);
    int valid = 0;
    if (!m)
        return RC_FAILED;
    rc = load(&s, m, &valid);
    if (rc == RC_OK && s.json) {
        json *j = json_new();
        json_obj(j, NULL);
        json_str(j, "source", s.file ? u8(s.file) : "registry");
        json_bool(j, "valid", valid);
        json_problems(j, m);
        json_end(j);
        json_print(j);
    } else if (rc == RC_OK && valid) {
        out("The configuration in %s is valid: %u sink%s%s.\n", where(&s), m->nactive,
            m->nactive == 1 ? "" : "s", m->key_present ? "" : " (no key: the built-in default)");
    } else if (rc == RC_OK) {
        out("The configuration in %s is invalid; rastap would refuse it and keep the one in "
            "force:\n",
            where(&s));
        print_problems(m);
    }
    rt_config_read_done(m);
    free(m);
    return rc != RC_OK ? rc : valid ? RC_OK : RC_PROBLEMS;
}

/* ---------------------------------------------------------------- show */

static void show_help(void)
{
    out("usage: rastapctl show [--file FILE.reg] [--json]\n\n"
        "Prints the configuration rastap takes from the registry (or from a .reg file):\n"
        "every core value and every value of every sink that runs, with the defaults\n"
        "filled in and marked. An invalid configuration is listed with its problems;\n"
        "rastap then keeps the configuration in force (`rastapctl status` shows its\n"
        "generation).\n\n"
        "Exit codes: 0 shown; 1 the configuration is invalid; 2 usage; 3 cannot read.\n");
}

static void core_text(const rt_cfg *m, unsigned i, char *buf, size_t cap)
{
    uint32_t v = i == RT_CFG_RING_SIZE ? m->ring_size
                 : i == RT_CFG_STOP_DRAIN_MS ? m->stop_drain_ms
                                             : m->diag_level;
    if (i == RT_CFG_ACTIVE_SINKS) {
        size_t k = 0;
        buf[0] = 0;
        for (unsigned n = 0; n < m->nnamed && k < cap; n++)
            k += (size_t)snprintf(buf + k, cap - k, "%s%s", n ? ", " : "", m->named[n]);
        if (!m->nnamed)
            snprintf(buf, cap, "%s", rt_cfg_core_schema()[i].def);
        return;
    }
    snprintf(buf, cap, "%lu", (unsigned long)v);
}

int cmd_show(int argc, WCHAR **argv)
{
    source s;
    int rc = parse_args(argc, argv, &s, show_help);
    if (rc)
        return rc < 0 ? RC_OK : rc;
    rt_cfg *m = malloc(sizeof *m);
    int valid = 0;
    if (!m)
        return RC_FAILED;
    rc = load(&s, m, &valid);
    if (rc != RC_OK) {
        rt_config_read_done(m);
        free(m);
        return rc;
    }
    const rt_cfg_schema *core = rt_cfg_core_schema();
    json *j = s.json ? json_new() : NULL;
    char text[RT_CFG_TEXT_MAX];
    if (j) {
        json_obj(j, NULL);
        json_str(j, "source", s.file ? u8(s.file) : "registry");
        json_bool(j, "valid", valid);
        json_bool(j, "key_present", m->key_present);
        json_problems(j, m);
        json_obj(j, "core");
    } else {
        if (!valid) {
            out("The configuration in %s is invalid; rastap refuses it and keeps the one in "
                "force:\n",
                where(&s));
            print_problems(m);
            out("What it would be, with the refused values at their defaults:\n");
        }
        out("Configuration from %s%s:\n", where(&s),
            m->key_present ? "" : " (no key: the built-in default)");
    }
    for (unsigned i = 0; i < RT_CFG_CORE_COUNT; i++) {
        bool set = (m->core_set >> i) & 1u;
        core_text(m, i, text, sizeof text);
        if (j) {
            json_obj(j, core[i].name);
            json_str(j, "value", text);
            json_bool(j, "default", !set);
            json_end(j);
        } else {
            out("  %-14s %s%s\n", core[i].name, text, set ? "" : "  (default)");
        }
    }
    if (j) {
        json_end(j);
        json_arr(j, "sinks");
    }
    for (unsigned a = 0; a < m->nactive; a++) {
        const rt_cfg_sink *sk = rt_cfg_active_sink(m, a);
        if (!sk->type)
            continue;
        if (j) {
            json_obj(j, NULL);
            json_str(j, "name", sk->name);
        } else {
            out("  Sinks\\%s\n", sk->name);
        }
        for (size_t v = 0; v < sk->type->count; v++) {
            const rt_cfg_schema *sc = &sk->type->values[v];
            const char *val = rt_cfg_sink_get(sk, sc->name);
            bool dflt = !val;
            if (!val)
                val = sc->def ? sc->def : "";
            if (j) {
                json_obj(j, sc->name);
                json_str(j, "value", val);
                json_bool(j, "default", dflt);
                json_end(j);
            } else {
                out("    %-12s %s%s\n", sc->name, val, dflt ? "  (default)" : "");
            }
        }
        if (j)
            json_end(j);
    }
    if (j) {
        json_end(j);
        json_end(j);
        json_print(j);
    } else {
        out("RingSize takes effect at the next start of rastap (Restart-Service RemoteAccess);\n"
            "everything else applies within a second of a change.\n");
    }
    rt_config_read_done(m);
    free(m);
    return valid ? RC_OK : RC_PROBLEMS;
}
