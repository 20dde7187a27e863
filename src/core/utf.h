/*
 * utf.h - bounded UTF-16 and UTF-8 decoding, conversion and repair.
 *
 * RAS hands us UTF-16 in fixed-size arrays that may lack a terminator; the
 * configuration hands us UTF-8 that may be malformed. Everything here reads
 * at most the bound it is given, stops at the first NUL, turns every
 * ill-formed sequence into U+FFFD and never writes past the capacity it is
 * given. No allocation; every function may be called from any thread.
 *
 * Ill-formed UTF-8 is replaced one U+FFFD per "maximal subpart" (Unicode
 * 15, section 3.9, U+FFFD substitution of maximal subparts), which is also
 * what Python's bytes.decode("utf-8", "replace") and the WHATWG encoding
 * standard do, so collectors and our tests agree on the result.
 */
#ifndef RT_UTF_H
#define RT_UTF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "event.h"

/* The replacement character, and its UTF-8 form (3 bytes). */
#define RT_UTF_REPLACEMENT 0xFFFDu
#define RT_UTF8_REPLACEMENT "\xEF\xBF\xBD"

/*
 * Number of code units before the first NUL in s[0..max_units), or
 * max_units if there is none. s may be NULL (returns 0).
 */
size_t rt_utf16_len(const rt_wchar *s, size_t max_units);

/*
 * Decodes the code point at s[0] (n >= 1 units readable) and stores the
 * number of units it took (1 or 2) in *used. A high surrogate followed by a
 * low one within s[0..n) is a pair; any other surrogate decodes to U+FFFD
 * with *used = 1. Never reads s[n] or beyond.
 */
uint32_t rt_utf16_decode(const rt_wchar *s, size_t n, size_t *used);

/*
 * Decodes the code point at s[0] (n >= 1 bytes readable) and stores the
 * number of bytes it took (1..4) in *used. Ill-formed input (overlong
 * forms, surrogates, values above U+10FFFF, truncated sequences, stray
 * continuation bytes, 0xC0/0xC1/0xF5..0xFF) decodes to U+FFFD, consuming
 * the maximal subpart (at least one byte). Never reads s[n] or beyond.
 */
uint32_t rt_utf8_decode(const unsigned char *s, size_t n, size_t *used);

/*
 * Writes the UTF-8 form of code point cp (<= 0x10FFFF, not a surrogate;
 * anything else is written as U+FFFD) to out, which must have room for 4
 * bytes. Returns the number of bytes written (1..4); no terminator.
 */
size_t rt_utf8_encode(uint32_t cp, char *out);

/*
 * Converts src[0..max_units), stopping at the first NUL, to UTF-8 in
 * dst[0..cap). Unpaired surrogates become U+FFFD; a pair cut in half by
 * max_units counts as unpaired. Stops before the first code point that
 * does not fit whole, so the output is always well-formed UTF-8. When
 * cap > 0, dst is NUL-terminated (the terminator takes one of the cap
 * bytes). src may be NULL (empty). Returns the bytes written, terminator
 * excluded.
 */
size_t rt_utf16_to_utf8(const rt_wchar *src, size_t max_units, char *dst, size_t cap);

/*
 * True if the bytes of s[0..max_bytes) before the first NUL are well-formed
 * UTF-8. s may be NULL (true: empty).
 */
bool rt_utf8_valid(const char *s, size_t max_bytes);

/*
 * Copies the bytes of src[0..max_bytes) before the first NUL to dst[0..cap)
 * with every ill-formed sequence replaced by U+FFFD (see above). Truncation,
 * termination and return value as rt_utf16_to_utf8. src may be NULL; src and
 * dst must not overlap.
 */
size_t rt_utf8_sanitize(const char *src, size_t max_bytes, char *dst, size_t cap);

#endif /* RT_UTF_H */
