/*
 * config_model.h - rastap's configuration as data: the schema of every value
 * an administrator can set, and the validation that turns raw registry
 * values into a configuration or into a list of problems.
 *
 * The model never touches the registry. A reader (src/win/config.c for the
 * live registry, rastapctl's .reg parser for files) hands it each value as
 * the registry stores it: a name, a REG_* type number and the raw bytes
 * (UTF-16LE for string types). The model checks the framing (terminators,
 * sizes, UTF-16), the type, the range, and the meaning (paths, names,
 * choices), and keeps the canonical text of every accepted value. Anything
 * wrong becomes an rt_cfg_problem naming the key, the value and the reason;
 * a configuration with one problem is invalid as a whole.
 *
 * Layout in the registry (relative to the rastap key, see docs/configuration.md):
 *     <core values>              RingSize, StopDrainMs, DiagLevel, ActiveSinks
 *     Sinks\<name>\Type          selects the sink type (rt_cfg_sink_types)
 *     Sinks\<name>\<value>       that type's values
 * No Sinks key, or no sink under it, means one default `file` sink.
 *
 * Adding a sink type: add its value table and one row to `sink_types` in
 * config_model.c; the sink receives the canonical text of the values that
 * are set (numbers in decimal, booleans "0"/"1", strings as UTF-8).
 *
 * Portable C11, no allocation, no global state: every function may be
 * called from any thread on distinct rt_cfg objects.
 */
#ifndef RT_CONFIG_MODEL_H
#define RT_CONFIG_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RT_CFG_MAX_SINKS 16        /* as RT_MAX_SINKS in src/win/sinks.h */
#define RT_CFG_NAME_MAX 64         /* bytes of a sink name, NUL included */
#define RT_CFG_TEXT_MAX 512        /* bytes of a value's UTF-8 text, NUL included */
#define RT_CFG_MAX_VALUES 16       /* values a sink type may define */
#define RT_CFG_MAX_PROBLEMS 32     /* problems kept; more are only counted */
#define RT_CFG_PROBLEM_TEXT 256    /* bytes of each problem field, NUL included */

/* Registry value types, numbered as winnt.h's REG_* constants. */
enum {
    RT_REG_NONE = 0,
    RT_REG_SZ = 1,
    RT_REG_EXPAND_SZ = 2,
    RT_REG_BINARY = 3,
    RT_REG_DWORD = 4,
    RT_REG_DWORD_BIG_ENDIAN = 5,
    RT_REG_LINK = 6,
    RT_REG_MULTI_SZ = 7,
    RT_REG_RESOURCE_LIST = 8,
    RT_REG_QWORD = 11,
};

/* How a value is checked and stored. */
typedef enum rt_cfg_kind {
    RT_CFG_U32,       /* REG_DWORD in [lo, hi]; RT_CFG_POW2: a power of two */
    RT_CFG_BOOL,      /* REG_DWORD 0 or 1 */
    RT_CFG_CHOICE,    /* REG_SZ, one of `choices` ("a|b"), case-insensitive */
    RT_CFG_PATH,      /* REG_SZ/REG_EXPAND_SZ, absolute directory, <= hi UTF-16 units */
    RT_CFG_FILENAME,  /* REG_SZ, part of a file name, lo..hi UTF-16 units */
    RT_CFG_SINK_TYPE, /* REG_SZ, a known sink type */
    RT_CFG_NAMES,     /* REG_MULTI_SZ, 1..RT_CFG_MAX_SINKS sink names */
    RT_CFG_ASCII,     /* REG_SZ, lo..hi printable US-ASCII characters (33..126) */
} rt_cfg_kind;

enum {
    RT_CFG_POW2 = 1u << 0,     /* U32: a power of two */
    RT_CFG_REQUIRED = 1u << 1, /* a sink of this type needs this value */
};

/* One value an administrator can set. */
typedef struct rt_cfg_schema {
    const char *name;     /* registry value name (matched case-insensitively) */
    rt_cfg_kind kind;
    uint32_t lo, hi;      /* number range, or text length in UTF-16 units */
    uint32_t flags;       /* RT_CFG_POW2, RT_CFG_REQUIRED */
    const char *choices;  /* RT_CFG_CHOICE: "jsonl|csv" (first is the default) */
    const char *def;      /* the default, as text, for `show` and the docs */
    const char *help;     /* one line for people */
} rt_cfg_schema;

/* A sink type and the values it takes (Type is always the first). */
typedef struct rt_cfg_sink_type {
    const char *name;
    const rt_cfg_schema *values;
    size_t count;
} rt_cfg_sink_type;

/* Index of each core value in rt_cfg_core_schema() and rt_cfg.core_set. */
enum { RT_CFG_RING_SIZE, RT_CFG_STOP_DRAIN_MS, RT_CFG_DIAG_LEVEL, RT_CFG_ACTIVE_SINKS,
       RT_CFG_CORE_COUNT };

/* Built-in defaults of the core values. */
#define RT_CFG_DEFAULT_RING_SIZE 4096u
#define RT_CFG_DEFAULT_STOP_DRAIN_MS 2000u
#define RT_CFG_DEFAULT_DIAG_LEVEL 2u
/* Name of the sink used when none is configured. */
#define RT_CFG_DEFAULT_SINK "default"

/* Something wrong with the configuration: all three fields are UTF-8, NUL-terminated. */
typedef struct rt_cfg_problem {
    char key[RT_CFG_PROBLEM_TEXT];    /* "RingSize", "Sinks\\main\\Format", "Sinks\\main" */
    char value[RT_CFG_PROBLEM_TEXT];  /* what was found, printable, possibly shortened */
    char reason[RT_CFG_PROBLEM_TEXT]; /* why it is refused and what is accepted */
} rt_cfg_problem;

typedef struct rt_cfg_sink {
    char name[RT_CFG_NAME_MAX];
    const rt_cfg_sink_type *type;     /* NULL until a valid Type was seen */
    uint32_t set;                     /* bit i: type->values[i] was given and is valid */
    bool refused_required;            /* a required value was given but refused */
    char text[RT_CFG_MAX_VALUES][RT_CFG_TEXT_MAX]; /* canonical text of each set value */
} rt_cfg_sink;

/*
 * Expands %VARIABLE% references of a REG_EXPAND_SZ value: UTF-8 in, UTF-8
 * out into out[0..cap). Returns false when the expansion fails or does not
 * fit. With no expander, REG_EXPAND_SZ text is taken literally.
 */
typedef bool (*rt_cfg_expand_fn)(void *ctx, const char *in, char *out, size_t cap);

typedef struct rt_cfg {
    /* Core settings: defaults until a valid value replaces them. */
    uint32_t ring_size;
    uint32_t stop_drain_ms;
    uint32_t diag_level;
    uint32_t core_set;                /* bit RT_CFG_*: the value was given */
    unsigned nnamed;                  /* ActiveSinks, in its order */
    char named[RT_CFG_MAX_SINKS][RT_CFG_NAME_MAX];

    bool key_present;                 /* the reader found rastap's key */
    unsigned nsinks;                  /* Sinks\<name> subkeys, in reader order */

    /* After rt_cfg_finish: indices into sinks[] of the sinks that run. */
    unsigned nactive;
    uint8_t active[RT_CFG_MAX_SINKS];

    unsigned nproblems;               /* kept in problems[] */
    unsigned problems_lost;           /* beyond RT_CFG_MAX_PROBLEMS */

    rt_cfg_expand_fn expand;
    void *expand_ctx;

    /* Address assignment (ipassign.h), built by the platform's reader from
     * the values the model leaves to it; moved into the configuration that
     * is built from this model, freed with it otherwise. */
    struct rt_ip_snapshot *ip;

    /* The large arrays last: rt_cfg_init clears only what precedes them;
     * an entry is written whole before it is counted. */
    rt_cfg_sink sinks[RT_CFG_MAX_SINKS];
    rt_cfg_problem problems[RT_CFG_MAX_PROBLEMS];
} rt_cfg;

/* The core values' schema, RT_CFG_CORE_COUNT entries in RT_CFG_* order. */
const rt_cfg_schema *rt_cfg_core_schema(void);
/* Every sink type rastap knows; *count receives how many. */
const rt_cfg_sink_type *rt_cfg_sink_types(size_t *count);
/* The type named `name` (case-insensitive), or NULL. */
const rt_cfg_sink_type *rt_cfg_find_sink_type(const char *name);
/* "REG_SZ", "REG_DWORD", ... or "type 42". Returns buf or a static name. */
const char *rt_cfg_type_name(uint32_t type, char *buf, size_t cap);

/* Makes c an empty configuration with the built-in defaults. expand may be NULL. */
void rt_cfg_init(rt_cfg *c, rt_cfg_expand_fn expand, void *expand_ctx);

/*
 * A value of rastap's key. name is UTF-8 (the empty name, the key's default
 * value, is ignored); data[0..size) are the value's raw bytes as the
 * registry stores them. Unknown names, wrong types and bad contents become
 * problems.
 */
void rt_cfg_core_value(rt_cfg *c, const char *name, uint32_t type, const void *data, size_t size);

/*
 * Starts the sink Sinks\<name> (name UTF-8). Returns its index for
 * rt_cfg_sink_value, or -1 after recording a problem (bad or duplicate name,
 * too many sinks); values of a refused sink are then not needed.
 */
int rt_cfg_sink_begin(rt_cfg *c, const char *name);

/*
 * A value of sink `sink`. The reader passes Type first (the other values'
 * meaning depends on it); values of a sink whose Type is missing or unknown
 * are skipped, that problem is reported once by rt_cfg_finish / Type itself.
 */
void rt_cfg_sink_value(rt_cfg *c, int sink, const char *name, uint32_t type, const void *data,
                       size_t size);

/* Records a problem the reader met (a key deleted mid-read, access denied...).
 * Any field may be NULL (empty). Texts are sanitised and shortened. */
void rt_cfg_problem_add(rt_cfg *c, const char *key, const char *value, const char *reason);

/*
 * Cross-checks once every value was given: each sink has a Type, the
 * ActiveSinks names exist, and chooses the sinks that run (ActiveSinks in its
 * order, else every sink in reader order, else one default file sink).
 * Returns 0 when the configuration is valid, RT_EINVAL when it has problems.
 */
int rt_cfg_finish(rt_cfg *c);

/* The i-th running sink (i < c->nactive), after rt_cfg_finish. */
const rt_cfg_sink *rt_cfg_active_sink(const rt_cfg *c, unsigned i);

/* Canonical text of value `name` of sink s, or NULL when not set. */
const char *rt_cfg_sink_get(const rt_cfg_sink *s, const char *name);

/*
 * Splits REG_MULTI_SZ data into its strings (UTF-8, each at most
 * RT_CFG_NAME_MAX - 1 bytes) without any other check. Returns the number of
 * strings, or a negative RT_E* code with a reason in why[0..why_cap):
 * odd size, a missing final double terminator, data after the list's end,
 * too many or too long strings, invalid UTF-16.
 */
int rt_cfg_split_multi_sz(const void *data, size_t size, char out[][RT_CFG_NAME_MAX],
                          unsigned max, char *why, size_t why_cap);

#endif /* RT_CONFIG_MODEL_H */
