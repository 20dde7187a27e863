/*
 * syslog_bench.c - what the syslog sink's formatter costs per record, next
 * to the JSON Lines encoder that makes the record it formats, in one run.
 *
 *   syslog_bench [records]      (default 1 000 000 per record kind)
 *
 * Four real records, as the worker writes them (JSON Lines, event-schema.md):
 * a connection.stop, a connection.accept, an ip.assign, and a
 * connection.stop whose user name is hostile (quotes, backslashes, `]`,
 * control characters, non-ASCII). Each is turned into an RFC 5424 message
 * (rt_syslog_format, with structured data and MSG) `records` times; the
 * baseline is copying the same JSON text into a buffer (memcpy), the least
 * any sink does with it. Prints ns per record and the ratio. Figures only:
 * nothing here asserts on time. For instruction counts, which do not depend
 * on the machine's load: valgrind --tool=callgrind build/native/syslog_bench 20000
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "syslog_fmt.h"

static const char *const records[][2] = {
    {"connection.stop",
     "{\"v\":1,\"seq\":12345,\"instance\":\"0123456789abcdef0123456789abcdef\","
     "\"time\":\"2026-11-21T09:15:02.123456Z\",\"host\":\"rras01\",\"pid\":4242,"
     "\"event\":\"connection.stop\",\"callout\":\"MprAdminConnectionHangupNotificationEx\","
     "\"connection\":\"0x1a2b\",\"user\":\"alice\",\"domain\":\"CORP\",\"interface\":\"\","
     "\"client_ipv4\":\"10.1.2.3\",\"tunnel\":\"sstp\",\"duration_s\":3600,\"bytes_in\":123,"
     "\"bytes_out\":456,\"frames_in\":0,\"frames_out\":0,\"errors\":{\"crc\":0,\"timeout\":0,"
     "\"alignment\":0,\"framing\":0,\"hardware_overrun\":0,\"buffer_overrun\":0}}"},
    {"connection.accept",
     "{\"v\":1,\"seq\":12344,\"instance\":\"0123456789abcdef0123456789abcdef\","
     "\"time\":\"2026-11-21T08:15:02.123456Z\",\"host\":\"rras01\",\"pid\":4242,"
     "\"event\":\"connection.accept\",\"callout\":\"MprAdminAcceptNewConnectionEx\","
     "\"connection\":\"0x1a2b\",\"user\":\"alice\",\"domain\":\"CORP\",\"interface\":\"\","
     "\"remote_computer\":\"LAPTOP-17\",\"client_ipv4\":\"10.1.2.3\",\"client_ipv6\":\"2001:db8::17\","
     "\"tunnel\":\"sstp\",\"auth\":\"eap\",\"ipv4\":\"10.20.0.17\",\"decision\":\"accept\","
     "\"quarantine\":\"none\"}"},
    {"ip.assign",
     "{\"v\":1,\"seq\":12343,\"instance\":\"0123456789abcdef0123456789abcdef\","
     "\"time\":\"2026-11-21T08:15:02.100000Z\",\"host\":\"rras01\",\"pid\":4242,"
     "\"event\":\"ip.assign\",\"callout\":\"MprAdminGetIpAddressForUser\",\"user\":\"CORP\\\\alice\","
     "\"port\":\"VPN2-17\",\"ipv4\":\"10.20.0.17\",\"ipv4_offered\":\"10.9.0.4\",\"source\":\"pool\","
     "\"notify_release\":true,\"result\":\"ok\"}"},
    {"hostile user",
     "{\"v\":1,\"seq\":12346,\"instance\":\"0123456789abcdef0123456789abcdef\","
     "\"time\":\"2026-11-21T09:15:02.123456Z\",\"host\":\"rras01\",\"pid\":4242,"
     "\"event\":\"connection.stop\",\"callout\":\"MprAdminConnectionHangupNotificationEx\","
     "\"connection\":\"0x1a2c\",\"user\":\"]q\\\"uo\\\\te\\n\\u0001\\u2028 \xc3\xa9t\xc3\xa9 "
     "[x=\\\"y\\\"]\",\"domain\":\"CORP\",\"duration_s\":3600,\"bytes_in\":123,\"bytes_out\":456}"},
};
#define NRECORDS (sizeof records / sizeof records[0])

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 1000000;
    if (n <= 0)
        n = 1000000;
    static char out[RT_SYSLOG_MAX_FOR(4096)];
    rt_syslog_opts o;
    rt_syslog_opts_init(&o);
    volatile size_t sink = 0;
    printf("%-18s %6s %6s %12s %12s %8s\n", "record", "json", "msg", "format ns", "memcpy ns",
           "ratio");
    for (size_t r = 0; r < NRECORDS; r++) {
        const char *j = records[r][1];
        size_t len = strlen(j), at = 0, msg = 0;
        rt_buf b;
        double t0 = now_s();
        for (long i = 0; i < n; i++) {
            rt_buf_init(&b, out, sizeof out);
            if (rt_syslog_format(&o, j, len, &b, &at) != 0) {
                fprintf(stderr, "%s: not formatted\n", records[r][0]);
                return 1;
            }
            msg = b.len;
            sink += (unsigned char)out[msg - 1];
        }
        double fmt = (now_s() - t0) / (double)n * 1e9;
        t0 = now_s();
        for (long i = 0; i < n; i++) {
            memcpy(out, j, len);
            sink += (unsigned char)out[len - 1 - (size_t)(i & 1)];
        }
        double cpy = (now_s() - t0) / (double)n * 1e9;
        printf("%-18s %6zu %6zu %12.0f %12.1f %7.0fx\n", records[r][0], len, msg, fmt, cpy,
               cpy > 0 ? fmt / cpy : 0);
    }
    return sink == 42 ? 2 : 0;
}
