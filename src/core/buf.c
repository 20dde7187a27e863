/*
 * buf.c - the non-inline half of rt_buf: setup and integer text.
 *
 * Integers are the commonest field after short strings, so they are written
 * two digits at a time from a 200-byte table, back to front, straight into
 * the buffer once the digit count is known (a scratch copy only near the
 * end of the buffer, where the exact length matters).
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

static const uint64_t powers_of_10[RT_U64_DIGITS] = {
    UINT64_C(1),
    UINT64_C(10),
    UINT64_C(100),
    UINT64_C(1000),
    UINT64_C(10000),
    UINT64_C(100000),
    UINT64_C(1000000),
    UINT64_C(10000000),
    UINT64_C(100000000),
    UINT64_C(1000000000),
    UINT64_C(10000000000),
    UINT64_C(100000000000),
    UINT64_C(1000000000000),
    UINT64_C(10000000000000),
    UINT64_C(100000000000000),
    UINT64_C(1000000000000000),
    UINT64_C(10000000000000000),
    UINT64_C(100000000000000000),
    UINT64_C(1000000000000000000),
    UINT64_C(10000000000000000000),
};

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

/*
 * Writes the digits of v so that they end at `end`; returns the first.
 * Values that fit 32 bits (nearly all: counters are DWORDs) take the
 * cheaper 32-bit divisions.
 */
static char *dec_backwards(uint64_t v, char *end)
{
    char *p = end;
    uint32_t w;
    while (v > UINT32_MAX) {
        unsigned r = (unsigned)(v % 100);
        v /= 100;
        p -= 2;
        memcpy(p, digit_pairs + 2 * r, 2);
    }
    w = (uint32_t)v;
    while (w >= 100) {
        unsigned r = w % 100;
        w /= 100;
        p -= 2;
        memcpy(p, digit_pairs + 2 * r, 2);
    }
    if (w >= 10) {
        p -= 2;
        memcpy(p, digit_pairs + 2 * w, 2);
    } else {
        *--p = (char)('0' + w);
    }
    return p;
}

size_t rt_u64_to_dec(uint64_t v, char *out)
{
    size_t n = 1;
    while (n < RT_U64_DIGITS && v >= powers_of_10[n])
        n++;
    dec_backwards(v, out + n); /* straight into place: no copy */
    return n;
}

bool rt_buf_u64(rt_buf *b, uint64_t v)
{
    char tmp[RT_U64_DIGITS];
    char *first;
    if (rt_buf_room(b) >= RT_U64_DIGITS) {
        b->len += rt_u64_to_dec(v, b->p + b->len);
        return true;
    }
    first = dec_backwards(v, tmp + sizeof tmp); /* near the end: exact check */
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
