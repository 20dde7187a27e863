/*
 * error.h - the one table of rastap error codes.
 *
 * Core functions return 0 on success or a negative RT_E* code. The X-macro
 * below gives each code its value, its name (as used in records, e.g. the
 * `result` of ip.* events) and a message for people.
 */
#ifndef RT_ERROR_H
#define RT_ERROR_H

#define RT_ERRORS(X)                                                        \
    X(RT_OK, 0, "ok", "success")                                            \
    X(RT_EINVAL, -1, "invalid_argument", "invalid argument")                \
    X(RT_ENOMEM, -2, "out_of_memory", "out of memory")                      \
    X(RT_ENOSPC, -3, "no_space", "buffer or ring full")                     \
    X(RT_ERANGE, -4, "out_of_range", "value out of range")                  \
    X(RT_EIO, -5, "io_error", "input/output error")                         \
    X(RT_ENOENT, -6, "not_found", "not found")                              \
    X(RT_EEXIST, -7, "exists", "already exists")                            \
    X(RT_EBUSY, -8, "busy", "resource busy")                                \
    X(RT_ETIMEDOUT, -9, "timed_out", "timed out")                           \
    X(RT_EACCES, -10, "access_denied", "access denied")                     \
    X(RT_EPARSE, -11, "parse_error", "malformed input")                     \
    X(RT_ETYPE, -12, "wrong_type", "wrong value type")                      \
    X(RT_ECONN, -13, "connection_failed", "connection failed")              \
    X(RT_EEXHAUSTED, -14, "exhausted", "no address available")             \
    X(RT_EUNSUPPORTED, -15, "unsupported", "not supported")

enum rt_error {
#define RT_ERROR_ENUM(sym, val, name, msg) sym = (val),
    RT_ERRORS(RT_ERROR_ENUM)
#undef RT_ERROR_ENUM
};

/* Short snake_case name of a code ("no_space"); "unknown_error" if unknown. */
const char *rt_error_name(int code);
/* Human-readable message of a code; "unknown error" if unknown. */
const char *rt_error_message(int code);

#endif /* RT_ERROR_H */
