/*
 * json.h - JSON (RFC 8259) values appended to an rt_buf.
 *
 * The string appenders are total: whatever bytes or code units they are
 * given, they append one valid JSON string literal, quotes included, in
 * UTF-8. Escaped, as docs/event-schema.md requires: `"` and `\`; every
 * control character below U+0020 (\b \t \n \f \r in short form, the rest as
 * \u00XX); DEL as \u007f; U+2028 and U+2029 as \u2028 / \u2029 (JavaScript
 * line terminators). Ill-formed UTF-8 and unpaired UTF-16 surrogates become
 * U+FFFD (utf.h gives the exact rule). Everything else is copied as UTF-8.
 *
 * Each appender converts in one pass straight into the buffer, with no
 * temporary copy, and is all-or-nothing like every rt_buf append: if the
 * literal does not fit, b->len is unchanged and b->overflow is set (bytes
 * between len and cap may have been scribbled on; never beyond cap).
 *
 * Any thread; no allocation; b belongs to the caller.
 */
#ifndef RT_JSON_H
#define RT_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "event.h"

/*
 * Upper bound on the output bytes per input byte (UTF-8) or per code unit
 * (UTF-16), the quotes excluded: \u00XX is 6 bytes for 1 input byte or
 * unit; nothing else is longer per input element. A literal from n input
 * elements is at most RT_JSON_MAX_PER_UNIT * n + 2 bytes.
 */
#define RT_JSON_MAX_PER_UNIT 6

/*
 * Appends s[0..n) as a JSON string; all n bytes count, a NUL byte included
 * (it becomes \u0000). s may be NULL when n is 0. True if it fit.
 */
bool rt_json_str(rt_buf *b, const char *s, size_t n);

/*
 * Appends the bytes of s[0..max) before the first NUL as a JSON string: for
 * fixed char arrays that may lack a terminator. s may be NULL (""). True if
 * it fit.
 */
bool rt_json_strz(rt_buf *b, const char *s, size_t max);

/*
 * Appends the UTF-16 units of s[0..max_units) before the first NUL as a
 * JSON string in UTF-8; a surrogate pair cut by max_units is two unpaired
 * surrogates. s may be NULL (""). True if it fit.
 */
bool rt_json_str_utf16(rt_buf *b, const rt_wchar *s, size_t max_units);

/* Appends v as a JSON number (decimal, no exponent). True if it fit. */
static inline bool rt_json_u64(rt_buf *b, uint64_t v)
{
    return rt_buf_u64(b, v);
}

/* Appends v as a JSON number, '-' when negative. True if it fit. */
static inline bool rt_json_i64(rt_buf *b, int64_t v)
{
    return rt_buf_i64(b, v);
}

/* Appends `true` or `false`. True if it fit. */
static inline bool rt_json_bool(rt_buf *b, bool v)
{
    return v ? RT_BUF_LIT(b, "true") : RT_BUF_LIT(b, "false");
}

#endif /* RT_JSON_H */
