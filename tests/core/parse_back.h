/*
 * parse_back.h - the native core tests' way of checking encoder output:
 * write inputs and outputs as hex into a batch file, then let
 * tests/core/parse_back.py decode them with Python's json / csv / codecs
 * modules and compare. Also a deterministic random generator.
 *
 * Test-only; include after cmocka.h. Everything is static inline, so a
 * test that uses part of it pays nothing for the rest.
 */
#ifndef RT_TEST_PARSE_BACK_H
#define RT_TEST_PARSE_BACK_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "event.h"


static inline const char *parse_back_path(void)
{
    static char path[1024];
    const char *env = getenv("RT_PARSE_BACK");
    if (env != NULL)
        return env;
#ifdef RT_SOURCE_DIR
    snprintf(path, sizeof path, "%s/tests/core/parse_back.py", RT_SOURCE_DIR);
#else
    const char *slash = strrchr(__FILE__, '/');
    int dir = slash != NULL ? (int)(slash - __FILE__ + 1) : 0;
    snprintf(path, sizeof path, "%.*sparse_back.py", dir, __FILE__);
#endif
    return path;
}

struct batch {
    FILE *f;
    char path[256];
};

static inline void batch_open(struct batch *b)
{
    const char *dir = getenv("TMPDIR");
    int fd;
    snprintf(b->path, sizeof b->path, "%s/rt_test_XXXXXX", dir != NULL ? dir : "/tmp");
    fd = mkstemp(b->path);
    assert_true(fd >= 0);
    b->f = fdopen(fd, "w");
    assert_non_null(b->f);
}

static inline void batch_hex(struct batch *b, const void *p, size_t n)
{
    const unsigned char *u = p;
    for (size_t i = 0; i < n; i++)
        fprintf(b->f, "%02x", u[i]);
}

/* UTF-16 units as little-endian bytes, whatever the host. */
static inline void batch_hex16(struct batch *b, const rt_wchar *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        fprintf(b->f, "%02x%02x", s[i] & 0xFF, s[i] >> 8);
}

static inline void batch_sep(struct batch *b, char c)
{
    fputc(c, b->f);
}

static inline void batch_check(struct batch *b, const char *mode)
{
    char cmd[1600];
    int rc;
    assert_int_equal(fclose(b->f), 0);
    snprintf(cmd, sizeof cmd, "python3 '%s' %s '%s'", parse_back_path(), mode, b->path);
    rc = system(cmd);
    unlink(b->path);
    assert_int_equal(rc, 0);
}

/* A deterministic xorshift generator for the fuzz loops. */
static inline uint32_t rnd(uint32_t n)
{
    static uint64_t rng_state = 0x9E3779B97F4A7C15u;
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)(rng_state >> 32) % n;
}

#endif /* RT_TEST_PARSE_BACK_H */
