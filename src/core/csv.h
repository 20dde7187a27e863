/*
 * csv.h - RFC 4180 cells appended to an rt_buf.
 *
 * A cell is quoted (and every `"` in it doubled) when it contains `,`, `"`,
 * CR or LF, or begins or ends with a space (which some readers would trim).
 * Other cells are written as they are. Text is written as UTF-8: ill-formed
 * UTF-8 and unpaired UTF-16 surrogates become U+FFFD (utf.h).
 *
 * Formula defusing (docs/event-schema.md, "CSV"): when `defuse` is true a
 * cell whose first character is `=`, `+`, `-`, `@`, TAB or CR gets a `'`
 * in front, inside the quotes if it is quoted, so a spreadsheet shows the
 * text instead of evaluating it. Only text taken from outside (RAS strings,
 * configuration, host name) goes through these functions; numbers and
 * names the formatter makes itself are written directly and never defused.
 *
 * The appenders only write the cell: separators (`,`) and row ends (CRLF)
 * are the caller's. They are all-or-nothing like every rt_buf append: on
 * overflow b->len is unchanged and b->overflow is set; nothing is written
 * at or past b->cap. Any thread; no allocation.
 */
#ifndef RT_CSV_H
#define RT_CSV_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "event.h"

/*
 * Upper bound on output bytes per input byte or UTF-16 unit (a doubled
 * quote is 2, a U+FFFD for one bad byte or one lone surrogate is 3). A cell
 * from n input elements is at most RT_CSV_MAX_PER_UNIT * n + 3 bytes (two
 * quotes and the defusing apostrophe).
 */
#define RT_CSV_MAX_PER_UNIT 3

/*
 * Appends the bytes of s[0..max) before the first NUL as one cell. s may be
 * NULL (an empty cell, which appends nothing). True if it fit.
 */
bool rt_csv_cell_utf8(rt_buf *b, const char *s, size_t max, bool defuse);

/*
 * Appends the UTF-16 units of s[0..max_units) before the first NUL as one
 * cell in UTF-8; a surrogate pair cut by max_units is two unpaired
 * surrogates. s may be NULL (empty cell). True if it fit.
 */
bool rt_csv_cell_utf16(rt_buf *b, const rt_wchar *s, size_t max_units, bool defuse);

/* True if a cell starting with code point c gets the `'` prefix. */
static inline bool rt_csv_is_formula_start(unsigned c)
{
    return c == '=' || c == '+' || c == '-' || c == '@' || c == '\t' || c == '\r';
}

#endif /* RT_CSV_H */
