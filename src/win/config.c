#include "config.h"

#include <stdio.h>
#include <string.h>

#include <windows.h>

#include "diag.h"
#include "runtime.h"
#include "utf.h"

static void default_sink(rt_sink_config *c)
{
    memset(c, 0, sizeof *c);
    snprintf(c->name, sizeof c->name, "default");
    snprintf(c->type, sizeof c->type, "file");
}

/* One registry value as UTF-8 text; false when it is not a string or DWORD. */
static bool value_text(HKEY key, const WCHAR *name, DWORD type, const BYTE *data, DWORD size,
                       char *out, size_t cap)
{
    (void)key;
    (void)name;
    if (type == REG_DWORD && size == sizeof(DWORD)) {
        DWORD v;
        memcpy(&v, data, sizeof v);
        snprintf(out, cap, "%lu", (unsigned long)v);
        return true;
    }
    if (type != REG_SZ && type != REG_EXPAND_SZ)
        return false;
    WCHAR expanded[RT_SETTING_TEXT_MAX];
    const WCHAR *text = (const WCHAR *)data;
    size_t units = size / sizeof(WCHAR);
    WCHAR raw[RT_SETTING_TEXT_MAX];
    if (units >= RT_SETTING_TEXT_MAX)
        return false;
    memcpy(raw, text, units * sizeof(WCHAR));
    raw[units] = 0; /* the value may lack its terminator */
    text = raw;
    if (type == REG_EXPAND_SZ) {
        DWORD n = ExpandEnvironmentStringsW(raw, expanded, RT_SETTING_TEXT_MAX);
        if (n == 0 || n > RT_SETTING_TEXT_MAX)
            return false;
        text = expanded;
    }
    rt_utf16_to_utf8((const rt_wchar *)text, RT_SETTING_TEXT_MAX, out, cap);
    return true;
}

static void read_sink(HKEY sinks_key, const WCHAR *sub, rt_sink_config *c)
{
    memset(c, 0, sizeof *c);
    rt_utf16_to_utf8((const rt_wchar *)sub, RT_SINK_NAME_MAX, c->name, sizeof c->name);
    HKEY k;
    if (RegOpenKeyExW(sinks_key, sub, 0, KEY_READ, &k) != ERROR_SUCCESS)
        return;
    for (DWORD i = 0;; i++) {
        WCHAR name[64];
        DWORD name_len = 64, type, size = RT_SETTING_TEXT_MAX * sizeof(WCHAR);
        BYTE data[RT_SETTING_TEXT_MAX * sizeof(WCHAR)];
        LONG rc = RegEnumValueW(k, i, name, &name_len, NULL, &type, data, &size);
        if (rc == ERROR_NO_MORE_ITEMS)
            break;
        if (rc != ERROR_SUCCESS)
            continue;
        char key[64], text[RT_SETTING_TEXT_MAX];
        rt_utf16_to_utf8((const rt_wchar *)name, name_len, key, sizeof key);
        if (!value_text(k, name, type, data, size, text, sizeof text)) {
            rt_diag_report(RT_DIAG_ERROR, "sink %s: value %s has an unusable type or size",
                           c->name, key);
            continue;
        }
        if (_stricmp(key, "Type") == 0)
            snprintf(c->type, sizeof c->type, "%s", text);
        else
            rt_sink_config_set(c, key, text);
    }
    RegCloseKey(k);
}

static uint32_t read_dword(HKEY k, const WCHAR *name, uint32_t def, uint32_t lo, uint32_t hi)
{
    DWORD v, size = sizeof v, type;
    if (RegQueryValueExW(k, name, NULL, &type, (BYTE *)&v, &size) != ERROR_SUCCESS)
        return def;
    if (type != REG_DWORD || v < lo || v > hi)
        return def;
    return v;
}

unsigned rt_config_load(rt_core_settings *core, rt_sink_config *sinks, unsigned max)
{
    core->ring_size = RT_DEFAULT_RING_CAPACITY;
    core->stop_drain_ms = RT_DEFAULT_STOP_DRAIN_MS;
    HKEY root;
    if (RegOpenKeyExW(HKEY_LOCAL_MACHINE, RT_CONFIG_KEY, 0, KEY_READ | KEY_WOW64_64KEY, &root) !=
        ERROR_SUCCESS) {
        default_sink(&sinks[0]);
        return 1;
    }
    core->ring_size = read_dword(root, L"RingSize", RT_DEFAULT_RING_CAPACITY, 64, 1u << 20);
    core->stop_drain_ms = read_dword(root, L"StopDrainMs", RT_DEFAULT_STOP_DRAIN_MS, 0, 60000);
    unsigned n = 0;
    HKEY sk;
    if (RegOpenKeyExW(root, L"Sinks", 0, KEY_READ, &sk) == ERROR_SUCCESS) {
        for (DWORD i = 0; n < max; i++) {
            WCHAR sub[RT_SINK_NAME_MAX];
            DWORD len = RT_SINK_NAME_MAX;
            LONG rc = RegEnumKeyExW(sk, i, sub, &len, NULL, NULL, NULL, NULL);
            if (rc == ERROR_NO_MORE_ITEMS)
                break;
            if (rc == ERROR_SUCCESS)
                read_sink(sk, sub, &sinks[n++]);
        }
        RegCloseKey(sk);
    } else {
        default_sink(&sinks[n++]);
    }
    RegCloseKey(root);
    return n;
}
