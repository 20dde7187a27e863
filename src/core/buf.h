/*
 * buf.h - a bounded output buffer over caller memory.
 *
 * The formatters append into an rt_buf the caller owns (typically the
 * worker's write buffer). Nothing here allocates. Every append is
 * all-or-nothing: either the whole piece fits and len grows by its size, or
 * len stays and `overflow` becomes true. So len <= cap always, p[0..len)
 * always holds whole pieces, and a caller that sees overflow flushes what
 * it had before the record, restores its mark and formats the record again.
 * `overflow` stays set until the caller clears it (rt_buf_reset /
 * rt_buf_restore); appends after it keep the same rules. Appenders that
 * build text in place (json.h, csv.h, format.h) may leave bytes in
 * p[len..cap) after a failure; those are not content. Nothing ever writes
 * at or past p[cap].
 *
 * An rt_buf belongs to one thread at a time; none of these functions
 * synchronise. The buffer is not NUL-terminated.
 */
#ifndef RT_BUF_H
#define RT_BUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef struct rt_buf {
    char *p;
    size_t len, cap;
    bool overflow;
} rt_buf;

/* A saved position: rt_buf_save / rt_buf_restore. */
typedef struct rt_buf_mark {
    size_t len;
    bool overflow;
} rt_buf_mark;

/* Worst-case text lengths of the integers rt_buf_u64 / rt_buf_i64 write. */
#define RT_U64_DIGITS 20
#define RT_I64_CHARS 20

/* Makes b an empty buffer over mem[0..cap). mem may be NULL when cap is 0. */
void rt_buf_init(rt_buf *b, char *mem, size_t cap);

/* Empties b and clears overflow; the memory stays the caller's. */
void rt_buf_reset(rt_buf *b);

/* The current length and overflow flag, to undo a partly written record. */
static inline rt_buf_mark rt_buf_save(const rt_buf *b)
{
    rt_buf_mark m = {b->len, b->overflow};
    return m;
}

/* Returns b to mark m (taken from b by rt_buf_save, len <= current len). */
static inline void rt_buf_restore(rt_buf *b, rt_buf_mark m)
{
    b->len = m.len;
    b->overflow = m.overflow;
}

/* Free bytes left in b. */
static inline size_t rt_buf_room(const rt_buf *b)
{
    return b->cap - b->len;
}

/* Marks b as overflowed; returns false so callers can `return rt_buf_fail(b)`. */
static inline bool rt_buf_fail(rt_buf *b)
{
    b->overflow = true;
    return false;
}

/*
 * Copies n bytes like memcpy, with short copies done inline: two
 * overlapping fixed-size moves cover any n in [k, 2k]. Records are made of
 * short pieces, and a call into the C runtime for each (35 cycles under
 * Wine's msvcrt) costs more than the copy.
 */
static inline void rt_copy(void *dst, const void *src, size_t n)
{
    unsigned char *d = dst;
    const unsigned char *s = src;
    if (n >= 8 && n <= 16) {
        uint64_t a, z;
        memcpy(&a, s, 8);
        memcpy(&z, s + n - 8, 8);
        memcpy(d, &a, 8);
        memcpy(d + n - 8, &z, 8);
    } else if (n >= 4 && n < 8) {
        uint32_t a, z;
        memcpy(&a, s, 4);
        memcpy(&z, s + n - 4, 4);
        memcpy(d, &a, 4);
        memcpy(d + n - 4, &z, 4);
    } else if (n < 4) {
        for (size_t i = 0; i < n; i++)
            d[i] = s[i];
    } else if (n <= 32) {
        uint64_t a, b2, c, z;
        memcpy(&a, s, 8);
        memcpy(&b2, s + 8, 8);
        memcpy(&c, s + n - 16, 8);
        memcpy(&z, s + n - 8, 8);
        memcpy(d, &a, 8);
        memcpy(d + 8, &b2, 8);
        memcpy(d + n - 16, &c, 8);
        memcpy(d + n - 8, &z, 8);
    } else {
        memcpy(d, s, n);
    }
}

/* Appends s[0..n) (n may be 0, then s may be NULL). True if it fit. */
static inline bool rt_buf_put(rt_buf *b, const void *s, size_t n)
{
    if (b->cap - b->len < n)
        return rt_buf_fail(b);
    rt_copy(b->p + b->len, s, n);
    b->len += n;
    return true;
}

/* Appends one byte. True if it fit. */
static inline bool rt_buf_putc(rt_buf *b, char c)
{
    if (b->len == b->cap)
        return rt_buf_fail(b);
    b->p[b->len++] = c;
    return true;
}

/* Appends a string literal without measuring it at run time. */
#define RT_BUF_LIT(b, lit) rt_buf_put((b), "" lit, sizeof(lit) - 1)

/* Appends v in decimal (no sign, no leading zeros, "0" for zero). */
bool rt_buf_u64(rt_buf *b, uint64_t v);

/* Appends v in decimal with a leading '-' when negative (INT64_MIN too). */
bool rt_buf_i64(rt_buf *b, int64_t v);

/*
 * Writes v in decimal to out (room for RT_U64_DIGITS bytes, no terminator)
 * and returns the number of digits. For callers that build text in place.
 */
size_t rt_u64_to_dec(uint64_t v, char *out);

#endif /* RT_BUF_H */
