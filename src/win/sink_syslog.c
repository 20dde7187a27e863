/*
 * sink_syslog.c - the built-in `syslog` sink (sink_syslog.h).
 *
 * Data path. write() appends each record's JSON to the spool (the same
 * bytes the file sink writes), then pumps. The pump reads records at the
 * spool's send position, formats each (syslog_fmt.h, with the settings in
 * force, so a spool left by an earlier run is sent as configured now),
 * frames and sends it, and advances the spool's cursor as records are
 * confirmed:
 *   UDP   a datagram handed to the kernel is confirmed (RFC 5426 has no
 *         more);
 *   TCP   RFC 6587 octet-counted frames; a record is confirmed once it was
 *         sent TCP_CONFIRM_MS ago on a connection that is still up, or
 *         TCP_RESEND_BYTES more were sent after it. When the connection
 *         breaks, what is not confirmed is sent again (at-least-once);
 *   RELP  one txnr per record, at most RelpWindow unacknowledged; a record
 *         is confirmed by its rsp 200 and the cursor only passes a
 *         contiguous run of them. After a break every unacknowledged record
 *         is sent again on the new session (at-least-once).
 *
 * Connection state machine, all non-blocking, on the worker thread:
 *   IDLE -(backoff over)-> RESOLVING -> CONNECTING -(RELP)-> OPENING -> READY
 * and any failure goes back to IDLE with the delay doubled (from
 * BACKOFF_MIN_MS up to ReconnectMaxMs), randomised to between half and all
 * of it so that many RRAS servers do not reconnect in step; the delay
 * resets when a record is confirmed. A host name is resolved by a helper
 * thread (GetAddrInfoW may wait seconds for DNS); a literal address is
 * converted in place. Each address of the answer is tried in turn.
 *
 * Nothing here blocks longer than the pump budget: write() pumps without
 * waiting, flush() (once a second) up to FLUSH_BUDGET_MS while there is a
 * backlog, close() up to CLOSE_BUDGET_MS; what is left stays in the spool
 * for the next start.
 */
#include <winsock2.h>
#include <ws2tcpip.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "relp.h"
#include "sink_syslog.h"
#include "sinks.h"
#include "syslog_fmt.h"
#include "version.h"

#define BACKOFF_MIN_MS 100u
#define TCP_CONFIRM_MS 1000
#define TCP_RESEND_BYTES (4u << 20)
#define TCP_WINDOW 4096u
#define TCP_CHECK_MS 50
#define SBUF_CAP (256u << 10)
#define RBUF_CAP 65536u
#define PDATA_CAP 8192u
#define FLUSH_BUDGET_MS 250
#define CLOSE_BUDGET_MS 1000
#define RELP_CLOSE_WAIT_MS 200
#define FBUF_CAP (RT_SYSLOG_MAX_FOR(RT_RECORD_MAX))
#define PAYLOAD_JSON 1u /* spool record `aux`: the payload is a record's JSON */

typedef enum { T_UDP, T_TCP, T_RELP } transport;
typedef enum { C_IDLE, C_RESOLVING, C_CONNECTING, C_OPENING, C_READY } conn_state;

/* A name lookup on its own thread; freed by whichever side lets go last. */
typedef struct resolve_job {
    volatile LONG refs;
    volatile LONG done;
    WCHAR host[256], port[8];
    int socktype;
    ADDRINFOW *result;
    int err;
} resolve_job;

typedef struct syslog_sink {
    char name[RT_SINK_NAME_MAX];
    transport tp;
    rt_syslog_opts fmt;
    WCHAR host[256];
    unsigned port;
    uint32_t timeout_ms, reconnect_max_ms, udp_max, relp_window;
    rastap_sink_host cb;
    rt_spool *spool;
    bool wsa;
    char *fbuf;                 /* one formatted message */

    conn_state st;
    SOCKET sock;
    ULONGLONG deadline;         /* CONNECTING / OPENING give up at */
    ULONGLONG next_check;       /* TCP: when to look for a close again */
    ULONGLONG next_attempt;
    uint32_t backoff_ms;
    uint64_t rng;
    resolve_job *job;
    ADDRINFOW *addrs, *addr;    /* the answer, and the address being tried */
    unsigned failures;          /* since the last confirmed record */

    char *sbuf;                 /* bytes framed, not yet sent */
    size_t slen, soff;
    rt_spool_pos sbuf_end;      /* TCP: where the records in sbuf end */
    bool sbuf_has;
    uint64_t total_sent;
    rt_spool_sent *wmem;
    rt_spool_window win;
    uint32_t txnr;              /* RELP: the next one */

    char *rbuf;
    rt_relp_parser parser;
    char pdata[PDATA_CAP];
} syslog_sink;

/* ---------------------------------------------------------- reporting */

static void report(syslog_sink *s, int32_t code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void report(syslog_sink *s, int32_t code, const char *fmt, ...)
{
    char msg[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (s->cb.report_error)
        s->cb.report_error(s->cb.host_ctx, code, msg);
}

static void spool_report(void *ctx, const char *message)
{
    report(ctx, RT_EIO, "%s", message);
}

static const char *tp_name(transport t)
{
    return t == T_UDP ? "udp" : t == T_TCP ? "tcp" : "relp";
}

/* ----------------------------------------------------------- settings */

static bool ieq(const char *a, const char *b)
{
    return _stricmp(a, b) == 0;
}

/* A decimal setting in [lo, hi], else def (and a report when it was set). */
static uint32_t num(syslog_sink *s, const rastap_sink_settings *set, const char *key,
                    uint32_t def, uint32_t lo, uint32_t hi)
{
    const char *v = set->get(set->ctx, key);
    char *end;
    if (!v || !*v)
        return def;
    unsigned long long x = strtoull(v, &end, 10);
    if (*end || x < lo || x > hi) {
        report(s, RT_ERANGE, "%s = \"%s\" is not a number in %lu..%lu; using %lu", key, v,
               (unsigned long)lo, (unsigned long)hi, (unsigned long)def);
        return def;
    }
    return (uint32_t)x;
}

static void text(const rastap_sink_settings *set, const char *key, char *out, size_t cap,
                 const char *def)
{
    const char *v = set->get(set->ctx, key);
    snprintf(out, cap, "%s", v && *v ? v : def);
}

/* %ProgramData%\rastap\spool\<name>, the name reduced to safe characters. */
static void default_spool_dir(const char *name, WCHAR *out)
{
    WCHAR base[MAX_PATH], wname[RT_SINK_NAME_MAX];
    DWORD n = GetEnvironmentVariableW(L"ProgramData", base, MAX_PATH - 80);
    if (n == 0 || n >= MAX_PATH - 80)
        wcscpy(base, L"C:\\ProgramData");
    size_t k = 0;
    for (; name[k] && k < RT_SINK_NAME_MAX - 1; k++) {
        char c = name[k];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '-' || c == '_' || (c == '.' && k > 0);
        wname[k] = ok ? (WCHAR)c : L'_';
    }
    if (k == 0)
        wname[k++] = L'_';
    wname[k] = 0;
    _snwprintf(out, MAX_PATH, L"%ls\\rastap\\spool\\%ls", base, wname);
    out[MAX_PATH - 1] = 0;
}

/* Reads every setting; false (reported) when the sink cannot work. */
static bool configure(syslog_sink *s, const rastap_sink_settings *set, WCHAR *spool_dir,
                      uint64_t *spool_max)
{
    char v[RT_SETTING_TEXT_MAX];
    int x;
    text(set, "Host", v, sizeof v, "");
    if (!v[0]) {
        report(s, RT_EINVAL, "no Host: set Sinks\\%s\\Host to the collector's name or address",
               s->name);
        return false;
    }
    char *h = v;
    size_t hl = strlen(h);
    if (h[0] == '[' && hl > 2 && h[hl - 1] == ']') { /* [2001:db8::1] */
        h[hl - 1] = 0;
        h++;
    }
    MultiByteToWideChar(CP_UTF8, 0, h, -1, s->host, 256);
    text(set, "Transport", v, sizeof v, "udp");
    if (ieq(v, "udp") || ieq(v, "tcp") || ieq(v, "relp")) {
        s->tp = ieq(v, "udp") ? T_UDP : ieq(v, "tcp") ? T_TCP : T_RELP;
    } else {
        report(s, RT_EINVAL, "Transport = \"%s\": use udp, tcp or relp", v);
        return false;
    }
    s->port = num(s, set, "Port", s->tp == T_RELP ? 2514 : 514, 1, 65535);
    rt_syslog_opts_init(&s->fmt);
    text(set, "Format", v, sizeof v, "rfc5424");
    s->fmt.rfc3164 = ieq(v, "rfc3164");
    if (!s->fmt.rfc3164 && !ieq(v, "rfc5424"))
        report(s, RT_EINVAL, "Format = \"%s\": use rfc5424 or rfc3164; using rfc5424", v);
    text(set, "Facility", v, sizeof v, "local0");
    if ((x = rt_syslog_facility_parse(v)) >= 0)
        s->fmt.facility = (unsigned)x;
    else
        report(s, RT_EINVAL, "Facility = \"%s\" is unknown; using local0", v);
    text(set, "Severity", v, sizeof v, "auto");
    if (!ieq(v, "auto") && (x = rt_syslog_severity_parse(v)) >= 0)
        s->fmt.severity = x;
    else if (!ieq(v, "auto"))
        report(s, RT_EINVAL, "Severity = \"%s\" is unknown; deriving it from each record", v);
    s->fmt.pen = num(s, set, "EnterpriseNumber", RT_SYSLOG_DEFAULT_PEN, 1, 0xFFFFFFFEu);
    text(set, "AppName", s->fmt.app_name, sizeof s->fmt.app_name, "rastap");
    text(set, "Hostname", s->fmt.hostname, sizeof s->fmt.hostname, "");
    s->timeout_ms = num(s, set, "TimeoutMs", 10000, 100, 600000);
    s->reconnect_max_ms = num(s, set, "ReconnectMaxMs", 30000, BACKOFF_MIN_MS, 3600000);
    s->udp_max = num(s, set, "UdpMaxBytes", 2048, 480, 65000);
    s->relp_window = num(s, set, "RelpWindow", 1024, 1, 65536);
    *spool_max = (uint64_t)num(s, set, "SpoolMaxMB", 256, 1, 1048576) << 20;
    const char *d = set->get(set->ctx, "SpoolDirectory");
    if (d && *d)
        MultiByteToWideChar(CP_UTF8, 0, d, -1, spool_dir, MAX_PATH);
    else
        default_spool_dir(s->name, spool_dir);
    return true;
}

/* ---------------------------------------------------------- resolving */

static void job_release(resolve_job *j)
{
    if (InterlockedDecrement(&j->refs) == 0) {
        if (j->result)
            FreeAddrInfoW(j->result);
        free(j);
    }
}

static DWORD WINAPI resolver_main(void *arg)
{
    resolve_job *j = arg;
    ADDRINFOW hints;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = j->socktype;
    hints.ai_flags = AI_ADDRCONFIG;
    j->err = GetAddrInfoW(j->host, j->port, &hints, &j->result);
    /* Release: the result is complete before done reads 1 (pairs with the
     * interlocked read in poll_resolve). */
    InterlockedExchange(&j->done, 1);
    HMODULE self = NULL;
    GetModuleHandleExW(GET_MODULE_HANDLE_EX_FLAG_FROM_ADDRESS |
                           GET_MODULE_HANDLE_EX_FLAG_UNCHANGED_REFCOUNT,
                       (LPCWSTR)(void *)resolver_main, &self);
    job_release(j);
    if (self)
        FreeLibraryAndExitThread(self, 0); /* the reference taken in start_resolve */
    return 0;
}

static void free_addrs(syslog_sink *s)
{
    if (s->job) { /* the answer belongs to the job */
        job_release(s->job);
        s->job = NULL;
    } else if (s->addrs) {
        FreeAddrInfoW(s->addrs);
    }
    s->addrs = s->addr = NULL;
}

static int socktype(const syslog_sink *s)
{
    return s->tp == T_UDP ? SOCK_DGRAM : SOCK_STREAM;
}

/* Literal addresses at once; names on a helper thread. False on failure. */
static bool start_resolve(syslog_sink *s)
{
    ADDRINFOW hints, *res = NULL;
    WCHAR port[8];
    free_addrs(s);
    _snwprintf(port, 8, L"%u", s->port);
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = socktype(s);
    hints.ai_flags = AI_NUMERICHOST;
    if (GetAddrInfoW(s->host, port, &hints, &res) == 0) {
        s->addrs = s->addr = res;
        return true;
    }
    resolve_job *j = calloc(1, sizeof *j);
    if (!j)
        return false;
    j->refs = 2;
    wcscpy(j->host, s->host);
    wcscpy(j->port, port);
    j->socktype = socktype(s);
    HMODULE self = NULL; /* the thread keeps the DLL loaded while it runs */
    GetModuleHandleExW(GET_MODULE_HANDLE_EX_FLAG_FROM_ADDRESS, (LPCWSTR)(void *)resolver_main,
                       &self);
    HANDLE t = CreateThread(NULL, 0, resolver_main, j, 0, NULL);
    if (!t) {
        if (self)
            FreeLibrary(self);
        free(j);
        return false;
    }
    CloseHandle(t);
    s->job = j;
    return true;
}

/* ---------------------------------------------------------- connection */

static void close_socket(syslog_sink *s)
{
    if (s->sock != INVALID_SOCKET)
        closesocket(s->sock);
    s->sock = INVALID_SOCKET;
}

static uint32_t jitter(syslog_sink *s, uint32_t ms)
{
    s->rng ^= s->rng << 13;
    s->rng ^= s->rng >> 7;
    s->rng ^= s->rng << 17;
    return ms / 2 + (uint32_t)(s->rng % (ms / 2 + 1));
}

/* Drops the connection: everything not confirmed will be sent again. */
static void fail(syslog_sink *s, int err, const char *what)
{
    close_socket(s);
    free_addrs(s);
    rt_spool_rewind(s->spool);
    rt_spool_window_clear(&s->win);
    s->slen = s->soff = 0;
    s->sbuf_has = false;
    s->backoff_ms = s->backoff_ms ? s->backoff_ms * 2 : BACKOFF_MIN_MS;
    if (s->backoff_ms > s->reconnect_max_ms)
        s->backoff_ms = s->reconnect_max_ms;
    uint32_t wait = jitter(s, s->backoff_ms);
    s->next_attempt = GetTickCount64() + wait;
    s->st = C_IDLE;
    if (s->failures++ == 0) /* the first of a series; recovery is reported too */
        report(s, RT_ECONN, "%ls port %u (%s): %s (error %d); retrying in %lu ms", s->host,
               s->port, tp_name(s->tp), what, err, (unsigned long)wait);
}

static void confirmed(syslog_sink *s, rt_spool_pos end)
{
    rt_spool_confirm(s->spool, end);
    s->backoff_ms = 0;
    if (s->failures) {
        report(s, 0, "delivering to %ls port %u (%s) again after %u failed attempts", s->host,
               s->port, tp_name(s->tp), s->failures);
        s->failures = 0;
    }
}

static void set_options(syslog_sink *s)
{
    u_long nb = 1;
    ioctlsocket(s->sock, FIONBIO, &nb);
    if (s->tp == T_UDP)
        return;
    int one = 1, sndbuf = (int)SBUF_CAP;
    setsockopt(s->sock, IPPROTO_TCP, TCP_NODELAY, (const char *)&one, sizeof one);
    setsockopt(s->sock, SOL_SOCKET, SO_KEEPALIVE, (const char *)&one, sizeof one);
    setsockopt(s->sock, SOL_SOCKET, SO_SNDBUF, (const char *)&sndbuf, sizeof sndbuf);
}

/* Starts connecting to s->addr; false when that address cannot be tried. */
static bool connect_addr(syslog_sink *s)
{
    ADDRINFOW *a = s->addr;
    s->sock = socket(a->ai_family, a->ai_socktype, a->ai_protocol);
    if (s->sock == INVALID_SOCKET)
        return false;
    set_options(s);
    if (connect(s->sock, a->ai_addr, (int)a->ai_addrlen) == 0) {
        s->st = C_CONNECTING; /* UDP, or an instant TCP connect: checked next */
    } else if (WSAGetLastError() == WSAEWOULDBLOCK) {
        s->st = C_CONNECTING;
    } else {
        close_socket(s);
        return false;
    }
    s->deadline = GetTickCount64() + s->timeout_ms;
    return true;
}

/* Tries the next address of the answer; false when none is left. */
static bool next_addr(syslog_sink *s)
{
    while (s->addr) {
        if (connect_addr(s))
            return true;
        s->addr = s->addr->ai_next;
    }
    return false;
}

static void send_relp_open(syslog_sink *s)
{
    rt_buf b;
    rt_buf_init(&b, s->sbuf, SBUF_CAP);
    rt_relp_open_frame(&b, 1, RT_VERSION_STRING);
    s->slen = b.len;
    s->soff = 0;
    s->txnr = 2;
    rt_relp_parser_init(&s->parser, s->pdata, sizeof s->pdata);
    s->st = C_OPENING;
    s->deadline = GetTickCount64() + s->timeout_ms;
}

/* 0: still connecting; 1: connected; -1: this address failed. */
static int check_connect(syslog_sink *s)
{
    fd_set w, e;
    struct timeval tv = {0, 0};
    if (s->tp == T_UDP)
        return 1;
    FD_ZERO(&w);
    FD_ZERO(&e);
    FD_SET(s->sock, &w);
    FD_SET(s->sock, &e);
    if (select(0, NULL, &w, &e, &tv) == SOCKET_ERROR || FD_ISSET(s->sock, &e))
        return -1;
    if (FD_ISSET(s->sock, &w))
        return 1;
    return GetTickCount64() >= s->deadline ? -1 : 0;
}

/* Moves the state machine on; returns true when it changed state. */
static bool advance(syslog_sink *s)
{
    ULONGLONG now = GetTickCount64();
    switch (s->st) {
    case C_IDLE:
        if (now < s->next_attempt)
            return false;
        if (!start_resolve(s)) {
            fail(s, 0, "cannot start resolving the name");
            return false;
        }
        s->st = C_RESOLVING;
        return true;
    case C_RESOLVING:
        if (s->job) {
            if (InterlockedCompareExchange(&s->job->done, 0, 0) == 0)
                return false;
            if (s->job->err != 0) {
                fail(s, s->job->err, "cannot resolve the name");
                return false;
            }
            s->addrs = s->addr = s->job->result;
        }
        if (!next_addr(s))
            fail(s, WSAGetLastError(), "cannot connect");
        return true;
    case C_CONNECTING: {
        int rc = check_connect(s);
        if (rc == 0)
            return false;
        if (rc < 0) {
            int err = 0, len = sizeof err;
            getsockopt(s->sock, SOL_SOCKET, SO_ERROR, (char *)&err, &len);
            close_socket(s);
            s->addr = s->addr->ai_next;
            if (!next_addr(s))
                fail(s, err ? err : WSAETIMEDOUT, "cannot connect");
            return true;
        }
        free_addrs(s);
        s->total_sent = 0;
        if (s->tp == T_RELP)
            send_relp_open(s);
        else
            s->st = C_READY;
        return true;
    }
    case C_OPENING:
        if (now >= s->deadline) {
            fail(s, WSAETIMEDOUT, "no answer to the RELP open");
            return true;
        }
        return false;
    default:
        return false;
    }
}

/* ------------------------------------------------------------- sending */

/* Sends what sbuf holds; false when the connection failed. */
static bool send_pending(syslog_sink *s, bool *progress)
{
    while (s->soff < s->slen) {
        int n = send(s->sock, s->sbuf + s->soff, (int)(s->slen - s->soff), 0);
        if (n == SOCKET_ERROR) {
            int err = WSAGetLastError();
            if (err == WSAEWOULDBLOCK)
                return true;
            fail(s, err, "send failed");
            return false;
        }
        s->soff += (size_t)n;
        s->total_sent += (uint64_t)n;
        *progress = true;
    }
    s->slen = s->soff = 0;
    if (s->sbuf_has && s->tp == T_TCP) { /* the batch is out: it enters the window */
        rt_spool_sent e = {s->sbuf_end, (int64_t)GetTickCount64(), s->total_sent, 0, false};
        rt_spool_window_push(&s->win, &e);
        s->sbuf_has = false;
    }
    return true;
}

/*
 * The next record from the spool as a syslog message in fbuf: 1 with
 * (*msg, *len, *msg_at), 0 when the spool has nothing more, -1 for a
 * record that cannot be sent (reported; it stays in the spool until the
 * cursor passes it). *end is the position after it.
 */
static int next_message(syslog_sink *s, const char **msg, size_t *len, size_t *msg_at,
                        rt_spool_pos *end)
{
    rt_spool_rec rec;
    rt_buf b;
    if (rt_spool_read(s->spool, &rec, end) != 1)
        return 0;
    rt_buf_init(&b, s->fbuf, FBUF_CAP);
    if (rec.aux != PAYLOAD_JSON ||
        rt_syslog_format(&s->fmt, rec.payload, rec.len, &b, msg_at) != 0) {
        report(s, RT_EPARSE, "record %llu in the spool cannot be formatted; skipped",
               (unsigned long long)rec.seq);
        return -1;
    }
    *msg = b.p;
    *len = b.len;
    return 1;
}

/* A skipped record is confirmed with the one sent before it (or now). */
static void skipped(syslog_sink *s, rt_spool_pos end)
{
    rt_spool_sent *last = rt_spool_window_newest(&s->win);
    if (s->tp == T_TCP) {
        s->sbuf_end = end;
        s->sbuf_has = true;
    } else if (last) {
        last->end = end;
    } else {
        rt_spool_confirm(s->spool, end);
    }
}

/* Frames records from the spool into sbuf (TCP, RELP). */
static void fill_sbuf(syslog_sink *s)
{
    rt_buf b;
    rt_spool_pos end;
    const char *m;
    size_t n, msg_at;
    rt_buf_init(&b, s->sbuf, SBUF_CAP);
    while (!rt_spool_window_full(&s->win) && (s->tp != T_RELP || s->win.count < s->relp_window)) {
        rt_spool_pos before = rt_spool_send_pos(s->spool);
        int rc = next_message(s, &m, &n, &msg_at, &end);
        if (rc == 0)
            break;
        if (rc < 0) {
            skipped(s, end);
            continue;
        }
        bool ok = s->tp == T_TCP ? rt_syslog_frame_octets(&b, m, n)
                                 : rt_relp_frame(&b, s->txnr, "syslog", m, n);
        if (!ok) { /* sbuf is full: this one goes first next time */
            rt_spool_unread(s->spool, before);
            break;
        }
        if (s->tp == T_RELP) {
            rt_spool_sent e = {end, (int64_t)GetTickCount64(), 0, s->txnr, false};
            rt_spool_window_push(&s->win, &e);
            s->txnr = rt_relp_txnr_next(s->txnr);
        } else {
            s->sbuf_end = end;
            s->sbuf_has = true;
        }
    }
    s->slen = b.len;
    s->soff = 0;
}

/* UDP: datagrams straight from the spool. */
static bool pump_udp(syslog_sink *s, bool *progress)
{
    rt_spool_pos end;
    const char *m;
    size_t n, msg_at;
    for (int i = 0; i < 4096; i++) {
        rt_spool_pos before = rt_spool_send_pos(s->spool);
        int rc = next_message(s, &m, &n, &msg_at, &end);
        if (rc == 0)
            return true;
        if (rc > 0 && send(s->sock, m, (int)rt_syslog_udp_cut(m, n, msg_at, s->udp_max), 0) ==
                          SOCKET_ERROR) {
            int err = WSAGetLastError();
            rt_spool_unread(s->spool, before); /* that one again */
            if (err == WSAEWOULDBLOCK)
                return true;
            fail(s, err, "send failed");
            return false;
        }
        confirmed(s, end);
        *progress = true;
    }
    return true;
}

/* ------------------------------------------------------------ receiving */

static bool handle_frame(syslog_sink *s, const rt_relp_frame_in *f)
{
    unsigned code;
    const char *human, *offers;
    size_t hl, ol;
    if (strcmp(f->cmd, "serverclose") == 0) {
        fail(s, 0, "the collector closed the RELP session");
        return false;
    }
    if (strcmp(f->cmd, "rsp") != 0 ||
        rt_relp_rsp(f->data, f->len, &code, &human, &hl, &offers, &ol) != 0) {
        fail(s, RT_EPARSE, "unexpected RELP frame");
        return false;
    }
    if (s->st == C_OPENING) {
        if (f->txnr != 1 || code != 200 || !rt_relp_offer_has(offers, ol, "commands", "syslog")) {
            report(s, RT_ECONN, "RELP open answered %u %.*s", code, (int)hl, human);
            fail(s, (int)code, "the collector refused the RELP session");
            return false;
        }
        s->st = C_READY;
        return true;
    }
    if (!rt_spool_window_done_tag(&s->win, f->txnr)) {
        fail(s, RT_EPARSE, "RELP response to an unknown transaction");
        return false;
    }
    if (code != 200) /* delivered and refused: sending it again would not help */
        report(s, RT_EIO, "the collector refused a record (txnr %lu): %u %.*s",
               (unsigned long)f->txnr, code, (int)hl, human);
    return true;
}

/* Reads what the peer sent: RELP frames, or for TCP just a close. */
static bool receive(syslog_sink *s, bool *progress)
{
    for (;;) {
        int n = recv(s->sock, s->rbuf, RBUF_CAP, 0);
        if (n == 0) {
            fail(s, 0, "the collector closed the connection");
            return false;
        }
        if (n == SOCKET_ERROR) {
            int err = WSAGetLastError();
            if (err == WSAEWOULDBLOCK)
                return true;
            fail(s, err, "receive failed");
            return false;
        }
        *progress = true;
        if (s->tp != T_RELP)
            continue; /* a syslog collector has nothing to say over TCP */
        const char *p = s->rbuf;
        size_t left = (size_t)n;
        while (left) {
            rt_relp_frame_in f;
            size_t used = 0;
            int rc = rt_relp_parse(&s->parser, p, left, &used, &f);
            p += used;
            left -= used;
            if (rc < 0) {
                fail(s, rc, "bad RELP framing");
                return false;
            }
            if (rc == 1 && !handle_frame(s, &f))
                return false;
        }
    }
}

/* Advances the spool cursor over what is confirmed. */
static void confirm(syslog_sink *s)
{
    rt_spool_pos end;
    if (s->tp == T_TCP) {
        int64_t now = (int64_t)GetTickCount64();
        uint64_t bytes = s->total_sent > TCP_RESEND_BYTES ? s->total_sent - TCP_RESEND_BYTES : 0;
        rt_spool_window_done_until(&s->win, now - TCP_CONFIRM_MS, bytes);
    }
    if (rt_spool_window_pop_done(&s->win, &end))
        confirmed(s, end);
}

/* One pass over a ready connection; false when it failed. */
static bool pump_ready(syslog_sink *s, bool *progress)
{
    if (rt_spool_take_reset(s->spool)) { /* the spool dropped what was in flight */
        rt_spool_window_clear(&s->win);
        if (s->tp == T_RELP) {
            fail(s, 0, "spool overflow: session reset");
            return false;
        }
    }
    if (s->tp == T_UDP)
        return pump_udp(s, progress);
    /* RELP reads its acknowledgements on every pass. TCP only looks for a
     * close now and then (each recv is a system call, a server round trip
     * under Wine), and confirms records right after it found the
     * connection up. */
    ULONGLONG now = GetTickCount64();
    if (s->tp == T_RELP || now >= s->next_check) {
        s->next_check = now + TCP_CHECK_MS;
        if (!receive(s, progress))
            return false;
        confirm(s);
    }
    if (s->st != C_READY) /* RELP: still opening; the open frame goes out below */
        return send_pending(s, progress);
    const rt_spool_sent *old = rt_spool_window_oldest(&s->win);
    if (s->tp == T_RELP && old && (int64_t)GetTickCount64() - old->t_ms > (int64_t)s->timeout_ms) {
        fail(s, WSAETIMEDOUT, "no RELP acknowledgement in time");
        return false;
    }
    for (int i = 0; i < 64; i++) {
        if (!send_pending(s, progress))
            return false;
        if (s->slen)
            return true; /* the socket is full */
        fill_sbuf(s);
        if (!s->slen)
            return true;
    }
    return true;
}

/* Nothing to send and, for RELP, nothing awaiting its acknowledgement
 * (TCP's window empties by age alone: no need to wait for it). */
static bool drained(const syslog_sink *s)
{
    return rt_spool_all_read(s->spool) && s->slen == 0 &&
           (s->tp != T_RELP || s->win.count == 0);
}

/* Waits up to ms for the socket to be readable or writable (or just sleeps). */
static void wait_socket(syslog_sink *s, DWORD ms)
{
    if (s->sock == INVALID_SOCKET || s->st == C_RESOLVING || s->st == C_IDLE) {
        Sleep(ms);
        return;
    }
    fd_set r, w, e;
    struct timeval tv = {0, (long)ms * 1000};
    FD_ZERO(&r);
    FD_ZERO(&w);
    FD_ZERO(&e);
    FD_SET(s->sock, &r);
    FD_SET(s->sock, &e);
    if (s->slen || s->st == C_CONNECTING)
        FD_SET(s->sock, &w);
    select(0, &r, &w, &e, &tv);
}

/* Moves records for up to budget_ms (0: one pass without waiting). */
static void pump(syslog_sink *s, DWORD budget_ms)
{
    ULONGLONG end = GetTickCount64() + budget_ms;
    for (;;) {
        bool progress = false;
        while (advance(s))
            progress = true;
        if (s->st == C_READY || s->st == C_OPENING)
            pump_ready(s, &progress);
        ULONGLONG now = GetTickCount64();
        if (drained(s) || now >= end)
            return;
        if (s->st == C_RESOLVING || (s->st == C_IDLE && s->next_attempt >= end))
            return; /* nothing to do within the budget: look again next time */
        if (!progress) {
            DWORD left = (DWORD)(end - now);
            if (s->st == C_IDLE && s->next_attempt - now < left)
                left = (DWORD)(s->next_attempt - now);
            wait_socket(s, left < 20 ? left : 20);
        }
    }
}

/* ----------------------------------------------------------- the vtable */

static void destroy(syslog_sink *s)
{
    close_socket(s);
    free_addrs(s);
    if (s->spool)
        rt_spool_close(s->spool);
    if (s->wsa)
        WSACleanup();
    free(s->fbuf);
    free(s->sbuf);
    free(s->rbuf);
    free(s->wmem);
    free(s);
}

static int32_t sl_open(const rastap_sink_settings *set, const rastap_sink_host *host, void **ctx)
{
    WSADATA wsa;
    WCHAR spool_dir[MAX_PATH];
    uint64_t spool_max = 0;
    syslog_sink *s = calloc(1, sizeof *s);
    if (!s)
        return RASTAP_SINK_ERETRY;
    s->cb = *host;
    s->sock = INVALID_SOCKET;
    snprintf(s->name, sizeof s->name, "%s", set->name ? set->name : "syslog");
    s->rng = GetTickCount64() ^ ((uint64_t)GetCurrentProcessId() << 32) ^ (uintptr_t)s;
    if (!configure(s, set, spool_dir, &spool_max)) {
        free(s);
        return RASTAP_SINK_EFATAL;
    }
    uint32_t wcap = s->tp == T_RELP ? s->relp_window : TCP_WINDOW;
    s->fbuf = malloc(FBUF_CAP);
    s->sbuf = malloc(SBUF_CAP);
    s->rbuf = malloc(RBUF_CAP);
    s->wmem = malloc(sizeof *s->wmem * wcap);
    if (!s->fbuf || !s->sbuf || !s->rbuf || !s->wmem || WSAStartup(MAKEWORD(2, 2), &wsa) != 0) {
        destroy(s);
        return RASTAP_SINK_ERETRY;
    }
    s->wsa = true;
    rt_spool_window_init(&s->win, s->wmem, wcap);
    DWORD err = rt_spool_open(spool_dir, spool_max, spool_report, s, &s->spool);
    if (err != NO_ERROR) {
        report(s, RT_EIO, "cannot open the spool %ls (Win32 error %lu)", spool_dir,
               (unsigned long)err);
        destroy(s);
        return RASTAP_SINK_ERETRY;
    }
    *ctx = s;
    pump(s, 0);
    return RASTAP_SINK_OK;
}

/*
 * Accepted: a prefix of recs, those the spool committed. A record without
 * JSON (never from rastap's worker) is skipped once what came before it is
 * committed. `base` is the prefix known to be accepted when the spool had
 * committed `c_base` records.
 */
static int32_t sl_write(void *ctx, const rastap_record *recs, size_t n, size_t *accepted)
{
    syslog_sink *s = ctx;
    size_t base = 0;
    uint64_t c_base = rt_spool_committed(s->spool);
    DWORD err = NO_ERROR;
    for (size_t i = 0; i < n && err == NO_ERROR; i++) {
        if (recs[i].json && recs[i].json_len) {
            err = rt_spool_append(s->spool, recs[i].seq, PAYLOAD_JSON, recs[i].json,
                                  (uint32_t)recs[i].json_len);
            continue;
        }
        if ((err = rt_spool_commit(s->spool)) == NO_ERROR) {
            report(s, RT_EINVAL, "record %llu has no JSON text; skipped",
                   (unsigned long long)recs[i].seq);
            base = i + 1;
            c_base = rt_spool_committed(s->spool);
        }
    }
    if (err == NO_ERROR)
        err = rt_spool_commit(s->spool);
    *accepted = base + (size_t)(rt_spool_committed(s->spool) - c_base);
    pump(s, 0);
    return err == NO_ERROR ? RASTAP_SINK_OK : RASTAP_SINK_ERETRY; /* the spool reported why */
}

static int32_t sl_flush(void *ctx)
{
    syslog_sink *s = ctx;
    rt_spool_flush(s->spool);
    pump(s, FLUSH_BUDGET_MS);
    return RASTAP_SINK_OK;
}

/* Waits until the peer sends something or closes (true: it closed). */
static bool wait_peer(syslog_sink *s, ULONGLONG end)
{
    while (GetTickCount64() < end) {
        wait_socket(s, 20);
        int n = recv(s->sock, s->rbuf, RBUF_CAP, 0);
        if (n == 0)
            return true;
        if (n > 0 || WSAGetLastError() != WSAEWOULDBLOCK)
            return false;
    }
    return false;
}

/*
 * A goodbye. RELP: `close`, and its rsp for a moment. TCP: half-close and
 * wait for the collector to close its side; a collector closes after it
 * has read everything up to our FIN, so then every record sent is
 * confirmed and the next start sends none of them again.
 */
static void goodbye(syslog_sink *s, ULONGLONG end)
{
    rt_buf b;
    bool progress = false;
    rt_spool_pos last;
    if (s->st != C_READY || s->slen || s->tp == T_UDP)
        return;
    if (s->tp == T_RELP) {
        rt_buf_init(&b, s->sbuf, SBUF_CAP);
        rt_relp_frame(&b, s->txnr, "close", NULL, 0);
        s->slen = b.len;
        s->soff = 0;
        if (send_pending(s, &progress))
            wait_peer(s, GetTickCount64() + RELP_CLOSE_WAIT_MS);
        return;
    }
    if (!rt_spool_all_read(s->spool) || shutdown(s->sock, SD_SEND) == SOCKET_ERROR ||
        !wait_peer(s, end))
        return;
    rt_spool_window_done_until(&s->win, INT64_MAX, UINT64_MAX);
    if (rt_spool_window_pop_done(&s->win, &last))
        confirmed(s, last);
}

static void sl_close(void *ctx)
{
    syslog_sink *s = ctx;
    ULONGLONG end = GetTickCount64() + CLOSE_BUDGET_MS;
    rt_spool_commit(s->spool);
    pump(s, CLOSE_BUDGET_MS);
    confirm(s);
    goodbye(s, end > GetTickCount64() + 200 ? end : GetTickCount64() + 200);
    uint64_t records, bytes;
    rt_spool_backlog(s->spool, &records, &bytes);
    if (records)
        report(s, 0, "%llu records stay in the spool for the next start",
               (unsigned long long)records);
    destroy(s);
}

uint64_t rt_sink_syslog_take_lost(void *ctx)
{
    syslog_sink *s = ctx;
    return rt_spool_take_lost(s->spool);
}

void rt_sink_syslog_backlog(void *ctx, uint64_t *records, uint64_t *bytes)
{
    syslog_sink *s = ctx;
    rt_spool_backlog(s->spool, records, bytes);
}

const rastap_sink_vtbl *rt_sink_syslog_vtbl(void)
{
    static const rastap_sink_vtbl vt = {sizeof vt, RASTAP_SINK_ABI_VERSION, "syslog",
                                        sl_open,   sl_write, sl_flush, sl_close};
    return &vt;
}
