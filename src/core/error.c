#include "error.h"

#include <stddef.h>

struct entry {
    int code;
    const char *name;
    const char *msg;
};

static const struct entry table[] = {
#define RT_ERROR_ROW(sym, val, name, msg) {val, name, msg},
    RT_ERRORS(RT_ERROR_ROW)
#undef RT_ERROR_ROW
};

static const struct entry *find(int code)
{
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        if (table[i].code == code)
            return &table[i];
    return NULL;
}

const char *rt_error_name(int code)
{
    const struct entry *e = find(code);
    return e ? e->name : "unknown_error";
}

const char *rt_error_message(int code)
{
    const struct entry *e = find(code);
    return e ? e->msg : "unknown error";
}
