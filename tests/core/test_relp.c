/*
 * test_relp.c - relp.h: exact frames (open, syslog, close), the parser fed
 * whole, byte by byte and at every split point, its refusals, responses
 * and offers, transaction-number wrap.
 */
#define _POSIX_C_SOURCE 200809L

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "error.h"
#include "relp.h"

static void test_frames(void **state)
{
    (void)state;
    char out[512];
    rt_buf b;
    rt_buf_init(&b, out, sizeof out);
    assert_true(rt_relp_open_frame(&b, 1, "0.1.0"));
    static const char open[] =
        "1 open 83 relp_version=0\nrelp_software=rastap,0.1.0,https://github.com/rastap\n"
        "commands=syslog\n";
    assert_int_equal(b.len, sizeof open - 1);
    assert_memory_equal(out, open, b.len);
    rt_buf_init(&b, out, sizeof out);
    assert_true(rt_relp_frame(&b, 2, "syslog", "<13>1 x", 7));
    assert_true(rt_relp_frame(&b, 999999999, "close", NULL, 0));
    static const char two[] = "2 syslog 7 <13>1 x\n999999999 close 0\n";
    assert_int_equal(b.len, sizeof two - 1);
    assert_memory_equal(out, two, b.len);
    /* all or nothing */
    for (size_t cap = 0; cap < 19; cap++) {
        rt_buf_init(&b, out, cap);
        assert_false(rt_relp_frame(&b, 2, "syslog", "<13>1 x", 7));
        assert_int_equal(b.len, 0);
    }
    rt_buf_init(&b, out, 19);
    assert_true(rt_relp_frame(&b, 2, "syslog", "<13>1 x", 7));
}

static void test_txnr(void **state)
{
    (void)state;
    assert_int_equal(rt_relp_txnr_next(1), 2);
    assert_int_equal(rt_relp_txnr_next(999999998), 999999999);
    assert_int_equal(rt_relp_txnr_next(999999999), 1);
    assert_int_equal(rt_relp_txnr_next(0), 1);
    assert_int_equal(rt_relp_txnr_distance(5, 5), 0);
    assert_int_equal(rt_relp_txnr_distance(5, 9), 4);
    assert_int_equal(rt_relp_txnr_distance(999999999, 1), 1);
    assert_int_equal(rt_relp_txnr_distance(999999990, 3), 12);
}

static const char stream[] = "1 rsp 93 200 OK\nrelp_version=0\nrelp_software=librelp,1.11.0,"
                             "http://librelp.adiscon.com\ncommands=syslog\n"
                             "2 rsp 6 200 OK\n"
                             "3 rsp 0\n"
                             "0 serverclose 0\n"
                             "4 rsp 21 500 error message\nxyz\n";

typedef struct got {
    unsigned n;
    uint32_t txnr[8];
    char cmd[8][33];
    char data[8][128];
    size_t len[8];
} got;

static void feed(rt_relp_parser *p, const char *in, size_t n, got *g)
{
    while (n > 0) {
        rt_relp_frame_in f;
        size_t used = 0;
        int rc = rt_relp_parse(p, in, n, &used, &f);
        assert_true(rc >= 0);
        assert_true(used <= n);
        if (rc == 1) {
            g->txnr[g->n] = f.txnr;
            memcpy(g->cmd[g->n], f.cmd, sizeof f.cmd);
            memcpy(g->data[g->n], f.data, f.len);
            g->len[g->n] = f.len;
            g->n++;
        } else {
            assert_int_equal(used, n);
        }
        in += used;
        n -= used;
    }
}

static void check_stream(const got *g)
{
    assert_int_equal(g->n, 5);
    assert_int_equal(g->txnr[0], 1);
    assert_string_equal(g->cmd[0], "rsp");
    assert_int_equal(g->len[0], 93);
    assert_int_equal(g->txnr[1], 2);
    assert_int_equal(g->len[1], 6);
    assert_memory_equal(g->data[1], "200 OK", 6);
    assert_int_equal(g->len[2], 0);
    assert_int_equal(g->txnr[3], 0);
    assert_string_equal(g->cmd[3], "serverclose");
    assert_int_equal(g->txnr[4], 4);
    assert_memory_equal(g->data[4], "500 error message\nxyz", 21);
}

static void test_parser_splits(void **state)
{
    (void)state;
    char buf[256];
    rt_relp_parser p;
    size_t n = sizeof stream - 1;
    got g;
    /* whole */
    memset(&g, 0, sizeof g);
    rt_relp_parser_init(&p, buf, sizeof buf);
    feed(&p, stream, n, &g);
    check_stream(&g);
    /* byte by byte */
    memset(&g, 0, sizeof g);
    rt_relp_parser_init(&p, buf, sizeof buf);
    for (size_t i = 0; i < n; i++)
        feed(&p, stream + i, 1, &g);
    check_stream(&g);
    /* every split into two pieces */
    for (size_t cut = 0; cut <= n; cut++) {
        memset(&g, 0, sizeof g);
        rt_relp_parser_init(&p, buf, sizeof buf);
        feed(&p, stream, cut, &g);
        feed(&p, stream + cut, n - cut, &g);
        check_stream(&g);
    }
}

static void test_parser_refuses(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "x rsp 0\n",             /* txnr not a number */
        " 1 rsp 0\n",            /* leading space */
        "1234567890 rsp 0\n",    /* ten digits */
        "1 r5p 0\n",             /* digit in the command */
        "1 abcdefghijklmnopqrstuvwxyzabcdefg 0\n", /* 33 letters */
        "1 rsp 2 ab!",           /* no LF after the data */
        "1 rsp 300 ",            /* over the buffer */
        "1 rsp 2\n",             /* LF right after a non-zero length */
        "1 rsp x\n",
        "1  rsp 0\n",
    };
    char buf[256];
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        rt_relp_parser p;
        rt_relp_frame_in f;
        size_t used;
        rt_relp_parser_init(&p, buf, sizeof buf);
        int rc = rt_relp_parse(&p, bad[i], strlen(bad[i]), &used, &f);
        assert_int_equal(rc, RT_EPARSE);
    }
}

static void test_rsp_and_offers(void **state)
{
    (void)state;
    unsigned code;
    const char *h, *c;
    size_t hl, cl;
    static const char ok[] = "200 OK\nrelp_version=0\nrelp_software=librelp,1.11.0,http://x\n"
                             "commands=syslog";
    assert_int_equal(rt_relp_rsp(ok, sizeof ok - 1, &code, &h, &hl, &c, &cl), 0);
    assert_int_equal(code, 200);
    assert_int_equal(hl, 2);
    assert_memory_equal(h, "OK", 2);
    assert_true(rt_relp_offer_has(c, cl, "commands", "syslog"));
    assert_true(rt_relp_offer_has(c, cl, "relp_version", "0"));
    assert_true(rt_relp_offer_has(c, cl, "relp_software", NULL));
    assert_false(rt_relp_offer_has(c, cl, "commands", "sys"));
    assert_false(rt_relp_offer_has(c, cl, "command", NULL));
    static const char multi[] = "commands=eventlog,syslog\nx";
    assert_true(rt_relp_offer_has(multi, sizeof multi - 1, "commands", "syslog"));
    assert_true(rt_relp_offer_has(multi, sizeof multi - 1, "x", NULL));
    assert_int_equal(rt_relp_rsp("500", 3, &code, &h, &hl, NULL, NULL), 0);
    assert_int_equal(code, 500);
    assert_int_equal(hl, 0);
    assert_int_equal(rt_relp_rsp("20", 2, &code, NULL, NULL, NULL, NULL), RT_EPARSE);
    assert_int_equal(rt_relp_rsp("200OK", 5, &code, NULL, NULL, NULL, NULL), RT_EPARSE);
    assert_int_equal(rt_relp_rsp("2x0 OK", 6, &code, NULL, NULL, NULL, NULL), RT_EPARSE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_frames),
        cmocka_unit_test(test_txnr),
        cmocka_unit_test(test_parser_splits),
        cmocka_unit_test(test_parser_refuses),
        cmocka_unit_test(test_rsp_and_offers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
