/*
 * buf.c - the non-inline half of rt_buf: setup and integer text.
 *
 * Integers are the commonest field after short strings, so they are written
 * two digits at a time from a 200-byte table, back to front into a small
 * scratch array, then copied once.
 */
#include "buf.h"

static const char digit_pairs[201] =
    "00010203040506070809"
    "10111213141516171819"
    "20212223242526272829"
    "30313233343536373839"
    "40414243444546474849"
    "50515253545556575859"
    "60616263646566676869"
    "70717273747576777879"
    "80818283848586878889"
    "90919293949596979899";

void rt_buf_init(rt_buf *b, char *mem, size_t cap)
{
    b->p = mem;
    b->len = 0;
    b->cap = mem != NULL ? cap : 0;
    b->overflow = false;
}

void rt_buf_reset(rt_buf *b)
{
    b->len = 0;
    b->overflow = false;
}

/* Writes the digits of v so that they end at `end`; returns the first. */
static char *dec_backwards(uint64_t v, char *end)
{
    char *p = end;
    while (v >= 100) {
        unsigned r = (unsigned)(v % 100);
        v /= 100;
        p -= 2;
        p[0] = digit_pairs[2 * r];
        p[1] = digit_pairs[2 * r + 1];
    }
    if (v >= 10) {
        p -= 2;
        p[0] = digit_pairs[2 * v];
        p[1] = digit_pairs[2 * v + 1];
    } else {
        *--p = (char)('0' + v);
    }
    return p;
}

size_t rt_u64_to_dec(uint64_t v, char *out)
{
    char tmp[RT_U64_DIGITS];
    char *first = dec_backwards(v, tmp + sizeof tmp);
    size_t n = (size_t)(tmp + sizeof tmp - first);
    memcpy(out, first, n);
    return n;
}

bool rt_buf_u64(rt_buf *b, uint64_t v)
{
    char tmp[RT_U64_DIGITS];
    char *first = dec_backwards(v, tmp + sizeof tmp);
    return rt_buf_put(b, first, (size_t)(tmp + sizeof tmp - first));
}

bool rt_buf_i64(rt_buf *b, int64_t v)
{
    char tmp[RT_I64_CHARS];
    /* Negate in unsigned arithmetic: -INT64_MIN overflows int64_t. */
    uint64_t mag = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
    char *first = dec_backwards(mag, tmp + sizeof tmp);
    if (v < 0)
        *--first = '-';
    return rt_buf_put(b, first, (size_t)(tmp + sizeof tmp - first));
}
