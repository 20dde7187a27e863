/*
 * sink_types.c - the built-in sink types, by the `Type` value that selects
 * them (case-insensitive). A new built-in sink adds one row here.
 */
#include <string.h>

#include "sink_syslog.h"
#include "sinks.h"

typedef const rastap_sink_vtbl *(*vtbl_fn)(void);
typedef bool (*needs_json_fn)(void *ctx);

static const struct {
    const char *type;
    vtbl_fn vtbl;
    needs_json_fn needs_json; /* NULL: the sink always reads record.json */
} builtin[] = {
    {"file", rt_sink_file_vtbl, .needs_json = rt_sink_file_needs_json},
    {"syslog", rt_sink_syslog_vtbl, NULL},
    {"eventlog", rt_sink_eventlog_vtbl, NULL},
};

const rastap_sink_vtbl *rt_sink_builtin(const char *type)
{
    for (size_t i = 0; i < sizeof builtin / sizeof builtin[0]; i++)
        if (_stricmp(builtin[i].type, type) == 0)
            return builtin[i].vtbl();
    return NULL;
}

bool rt_sink_needs_json(const rastap_sink_vtbl *vt, void *ctx)
{
    for (size_t i = 0; i < sizeof builtin / sizeof builtin[0]; i++)
        if (builtin[i].vtbl() == vt)
            return !builtin[i].needs_json || builtin[i].needs_json(ctx);
    return true;
}

bool rt_sink_type_known(const char *type)
{
    return rt_sink_builtin(type) != NULL;
}
