/*
 * test_spool.c - spool.h: CRC-32C against its check value, record frames
 * that survive a round trip and are never taken when torn at any byte or
 * with any single bit flipped, segment headers and names, the two-slot
 * cursor (torn slot, generation wrap), and the sent-records window
 * (RELP tags across the txnr wrap, TCP confirmation by age and bytes).
 */
#define _POSIX_C_SOURCE 200809L

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "spool.h"

static void test_crc32c(void **state)
{
    (void)state;
    assert_int_equal(rt_crc32c(0, "123456789", 9), 0xE3069283u);
    assert_int_equal(rt_crc32c(0, "", 0), 0);
    /* chaining equals one pass, at every split */
    static const char text[] = "The quick brown fox jumps over the lazy dog, 0123456789";
    uint32_t whole = rt_crc32c(0, text, sizeof text - 1);
    for (size_t cut = 0; cut < sizeof text; cut++)
        assert_int_equal(rt_crc32c(rt_crc32c(0, text, cut), text + cut, sizeof text - 1 - cut),
                         whole);
    /* the instruction and the tables agree, at every length and alignment */
    unsigned char buf[300];
    for (size_t i = 0; i < sizeof buf; i++)
        buf[i] = (unsigned char)(i * 131 + 7);
    assert_int_equal(rt_crc32c_portable(0, "123456789", 9), 0xE3069283u);
    for (size_t off = 0; off < 8; off++)
        for (size_t n = 0; n + off <= sizeof buf; n += 13)
            assert_int_equal(rt_crc32c(5, buf + off, n), rt_crc32c_portable(5, buf + off, n));
}

static size_t frame(unsigned char *out, uint64_t seq, uint32_t aux, const char *payload)
{
    uint32_t len = (uint32_t)strlen(payload);
    rt_spool_frame_header(out, seq, aux, payload, len);
    memcpy(out + RT_SPOOL_FRAME_HEADER, payload, len);
    return RT_SPOOL_FRAME_HEADER + len;
}

static void test_frame_round_trip(void **state)
{
    (void)state;
    unsigned char buf[256];
    rt_spool_rec r;
    size_t n = frame(buf, 0x1122334455667788u, 77, "<134>1 - - - - - - hello");
    assert_int_equal(rt_spool_frame_parse(buf, n, &r), RT_SPOOL_FRAME_OK);
    assert_int_equal(r.seq, 0x1122334455667788u);
    assert_int_equal(r.aux, 77);
    assert_int_equal(r.len, 24);
    assert_int_equal(r.size, n);
    assert_memory_equal(r.payload, "<134>1 - - - - - - hello", 24);
    /* two frames back to back, then a short read */
    size_t m = frame(buf + n, 2, 0, "x");
    assert_int_equal(rt_spool_frame_parse(buf + n, m + 10, &r), RT_SPOOL_FRAME_OK);
    assert_int_equal(r.size, m);
}

/* A torn tail is never a record: every prefix is MORE (or BAD once the
 * length is readable and a zero-filled tail follows). */
static void test_torn_tail(void **state)
{
    (void)state;
    unsigned char buf[256];
    rt_spool_rec r;
    size_t n = frame(buf, 5, 1, "a record that a crash cut short");
    for (size_t cut = 0; cut < n; cut++)
        assert_int_equal(rt_spool_frame_parse(buf, cut, &r), RT_SPOOL_FRAME_MORE);
    /* power loss can leave the file extended with zeros instead */
    unsigned char z[256];
    memcpy(z, buf, n);
    for (size_t cut = RT_SPOOL_FRAME_HEADER; cut < n; cut++) {
        memset(z + cut, 0, n - cut);
        assert_int_equal(rt_spool_frame_parse(z, n, &r), RT_SPOOL_FRAME_BAD);
        memcpy(z, buf, n);
    }
    memset(z, 0, sizeof z);
    assert_int_equal(rt_spool_frame_parse(z, sizeof z, &r), RT_SPOOL_FRAME_BAD);
}

/* Any single flipped bit anywhere in the frame is caught. */
static void test_bit_flips(void **state)
{
    (void)state;
    unsigned char buf[256];
    rt_spool_rec r;
    size_t n = frame(buf, 99, 3, "seq=99 user=\"alice\" bytes_in=123");
    for (size_t i = 0; i < n; i++) {
        for (int bit = 0; bit < 8; bit++) {
            buf[i] ^= (unsigned char)(1u << bit);
            int rc = rt_spool_frame_parse(buf, n, &r);
            assert_true(rc == RT_SPOOL_FRAME_BAD || rc == RT_SPOOL_FRAME_MORE);
            buf[i] ^= (unsigned char)(1u << bit);
        }
    }
    assert_int_equal(rt_spool_frame_parse(buf, n, &r), RT_SPOOL_FRAME_OK);
}

static void test_segment_header_and_name(void **state)
{
    (void)state;
    unsigned char h[RT_SPOOL_HEADER_SIZE];
    char name[21];
    rt_spool_segment_header(h, 0x12);
    assert_true(rt_spool_segment_header_ok(h, 0x12));
    assert_false(rt_spool_segment_header_ok(h, 0x13));
    for (size_t i = 0; i < sizeof h; i++) {
        h[i] ^= 0x40;
        assert_false(rt_spool_segment_header_ok(h, 0x12));
        h[i] ^= 0x40;
    }
    rt_spool_segment_name(0x12, name);
    assert_string_equal(name, "0000000000000012.seg");
    assert_int_equal(rt_spool_segment_parse_name(name), 0x12);
    rt_spool_segment_name(UINT64_MAX, name);
    assert_int_equal(rt_spool_segment_parse_name(name), UINT64_MAX);
    assert_int_equal(rt_spool_segment_parse_name("000000000000001G.seg"), 0);
    assert_int_equal(rt_spool_segment_parse_name("0000000000000012.tmp"), 0);
    assert_int_equal(rt_spool_segment_parse_name("0000000000000012.seg.old"), 0);
    assert_int_equal(rt_spool_segment_parse_name("12.seg"), 0);
    assert_int_equal(rt_spool_segment_parse_name("cursor"), 0);
}

static void test_cursor(void **state)
{
    (void)state;
    unsigned char file[RT_SPOOL_CURSOR_SIZE];
    rt_spool_pos p;
    uint32_t gen;
    memset(file, 0, sizeof file);
    assert_false(rt_spool_cursor_decode(file, sizeof file, &p, &gen));
    assert_false(rt_spool_cursor_decode(file, 0, &p, &gen));
    rt_spool_cursor_encode(file, (rt_spool_pos){3, 1000, 0}, 2);
    assert_true(rt_spool_cursor_decode(file, RT_SPOOL_CURSOR_SLOT, &p, &gen));
    assert_int_equal(p.seg, 3);
    assert_int_equal(p.off, 1000);
    rt_spool_cursor_encode(file + RT_SPOOL_CURSOR_SLOT, (rt_spool_pos){4, 32, 0}, 3);
    assert_true(rt_spool_cursor_decode(file, sizeof file, &p, &gen));
    assert_int_equal(gen, 3);
    assert_int_equal(p.seg, 4);
    /* the slot being written is torn: the other one stands */
    file[RT_SPOOL_CURSOR_SLOT + 12] ^= 1;
    assert_true(rt_spool_cursor_decode(file, sizeof file, &p, &gen));
    assert_int_equal(gen, 2);
    assert_int_equal(p.off, 1000);
    /* generations wrap: 0 is newer than 0xFFFFFFFF */
    rt_spool_cursor_encode(file, (rt_spool_pos){7, 7, 0}, 0);
    rt_spool_cursor_encode(file + RT_SPOOL_CURSOR_SLOT, (rt_spool_pos){6, 6, 0}, 0xFFFFFFFFu);
    assert_true(rt_spool_cursor_decode(file, sizeof file, &p, &gen));
    assert_int_equal(p.seg, 7);
    assert_int_equal(rt_spool_pos_cmp((rt_spool_pos){1, 9, 0}, (rt_spool_pos){2, 0, 0}), -1);
    assert_int_equal(rt_spool_pos_cmp((rt_spool_pos){2, 9, 0}, (rt_spool_pos){2, 9, 0}), 0);
    assert_int_equal(rt_spool_pos_cmp((rt_spool_pos){2, 10, 0}, (rt_spool_pos){2, 9, 0}), 1);
}

static void test_window_relp(void **state)
{
    (void)state;
    rt_spool_sent mem[4];
    rt_spool_window w;
    rt_spool_pos end;
    rt_spool_window_init(&w, mem, 4);
    uint32_t tags[4] = {999999998u, 999999999u, 1, 2}; /* across the wrap */
    for (int i = 0; i < 4; i++) {
        rt_spool_sent s = {{1, 100u * (uint64_t)(i + 1), 0}, 0, 0, tags[i], false};
        assert_true(rt_spool_window_push(&w, &s));
    }
    rt_spool_sent extra = {{1, 999, 0}, 0, 0, 3, false};
    assert_false(rt_spool_window_push(&w, &extra));
    assert_true(rt_spool_window_full(&w));
    assert_false(rt_spool_window_done_tag(&w, 3));
    assert_false(rt_spool_window_done_tag(&w, 999999997u));
    /* acks out of order: nothing leaves until the oldest is acked */
    assert_true(rt_spool_window_done_tag(&w, 1));
    assert_false(rt_spool_window_pop_done(&w, &end));
    assert_true(rt_spool_window_done_tag(&w, 999999998u));
    assert_true(rt_spool_window_pop_done(&w, &end));
    assert_int_equal(end.off, 100);
    assert_true(rt_spool_window_done_tag(&w, 999999999u));
    assert_true(rt_spool_window_pop_done(&w, &end));
    assert_int_equal(end.off, 300); /* 999999999 and 1 */
    assert_int_equal(w.count, 1);
    assert_true(rt_spool_window_push(&w, &extra));
    assert_int_equal(rt_spool_window_oldest(&w)->tag, 2);
    assert_int_equal(rt_spool_window_newest(&w)->tag, 3);
    rt_spool_window_newest(&w)->end.off = 1234; /* a skipped record joins the newest */
    assert_true(rt_spool_window_done_tag(&w, 2));
    assert_true(rt_spool_window_done_tag(&w, 3));
    assert_true(rt_spool_window_pop_done(&w, &end));
    assert_int_equal(end.off, 1234);
    rt_spool_window_clear(&w);
    assert_null(rt_spool_window_newest(&w));
    assert_null(rt_spool_window_oldest(&w));
}

static void test_window_tcp(void **state)
{
    (void)state;
    rt_spool_sent mem[8];
    rt_spool_window w;
    rt_spool_pos end;
    rt_spool_window_init(&w, mem, 8);
    for (int i = 0; i < 6; i++) {
        rt_spool_sent s = {{1, (uint64_t)i + 1, 0}, 1000 + 100 * i, 1000u * (uint64_t)(i + 1), 0,
                           false};
        rt_spool_window_push(&w, &s);
    }
    /* by age: sent at or before t=1150 -> the first two */
    rt_spool_window_done_until(&w, 1150, 0);
    assert_true(rt_spool_window_pop_done(&w, &end));
    assert_int_equal(end.off, 2);
    /* by bytes: totals up to 4000 -> the next two */
    rt_spool_window_done_until(&w, 0, 4000);
    assert_true(rt_spool_window_pop_done(&w, &end));
    assert_int_equal(end.off, 4);
    rt_spool_window_done_until(&w, 0, 0);
    assert_false(rt_spool_window_pop_done(&w, &end));
    assert_int_equal(w.count, 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_crc32c),
        cmocka_unit_test(test_frame_round_trip),
        cmocka_unit_test(test_torn_tail),
        cmocka_unit_test(test_bit_flips),
        cmocka_unit_test(test_segment_header_and_name),
        cmocka_unit_test(test_cursor),
        cmocka_unit_test(test_window_relp),
        cmocka_unit_test(test_window_tcp),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
