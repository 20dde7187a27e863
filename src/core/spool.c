/*
 * spool.c - spool formats and the sent-records window (spool.h).
 *
 * CRC-32C with the SSE4.2 crc32 instruction where the CPU has it (every
 * x86 CPU Windows Server 2012 runs on does, checked once at run time), else
 * by slicing-by-8: eight 256-entry tables built once, eight bytes per step.
 * Either way checking a record costs less than copying it, so the spool
 * checks every record it writes, replays and opens.
 */
#include "spool.h"

#include <stdatomic.h>
#include <string.h>

#define TXNR_MAX 999999999u /* RELP's: tags wrap from it to 1 */

static uint32_t table[8][256];
static atomic_bool table_ready;

/* Builds the tables. Two first callers may both build them: they write the
 * same values, and each reads only the tables it built itself or that a
 * release store published. */
static void build_table(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = c & 1 ? (c >> 1) ^ 0x82F63B78u : c >> 1;
        table[0][i] = c;
    }
    for (uint32_t i = 0; i < 256; i++)
        for (int t = 1; t < 8; t++)
            table[t][i] = (table[t - 1][i] >> 8) ^ table[0][table[t - 1][i] & 0xFF];
    /* Release pairs with the acquire load in rt_crc32c. */
    atomic_store_explicit(&table_ready, true, memory_order_release);
}

#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
#define HAVE_CRC_HW 1
__attribute__((target("sse4.2"))) static uint32_t crc_hw(uint32_t c, const unsigned char *p,
                                                         size_t n)
{
#if defined(__x86_64__)
    uint64_t c64 = c;
    while (n >= 8) {
        uint64_t v;
        memcpy(&v, p, 8);
        c64 = __builtin_ia32_crc32di(c64, v);
        p += 8;
        n -= 8;
    }
    c = (uint32_t)c64;
#endif
    while (n >= 4) {
        uint32_t v;
        memcpy(&v, p, 4);
        c = __builtin_ia32_crc32si(c, v);
        p += 4;
        n -= 4;
    }
    while (n--)
        c = __builtin_ia32_crc32qi(c, *p++);
    return c;
}

/* 0 unknown, 1 no, 2 yes. Relaxed: every thread computes the same value. */
static atomic_int have_hw;

static bool use_hw(void)
{
    int h = atomic_load_explicit(&have_hw, memory_order_relaxed);
    if (h == 0) {
        __builtin_cpu_init();
        h = __builtin_cpu_supports("sse4.2") ? 2 : 1;
        atomic_store_explicit(&have_hw, h, memory_order_relaxed);
    }
    return h == 2;
}
#endif

uint32_t rt_crc32c(uint32_t crc, const void *data, size_t n)
{
#ifdef HAVE_CRC_HW
    if (use_hw())
        return ~crc_hw(~crc, data, n);
#endif
    return rt_crc32c_portable(crc, data, n);
}

uint32_t rt_crc32c_portable(uint32_t crc, const void *data, size_t n)
{
    const unsigned char *p = data;
    if (!atomic_load_explicit(&table_ready, memory_order_acquire))
        build_table();
    crc = ~crc;
    while (n >= 8) {
        uint32_t lo = crc ^ ((uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
                             (uint32_t)p[3] << 24);
        crc = table[7][lo & 0xFF] ^ table[6][(lo >> 8) & 0xFF] ^ table[5][(lo >> 16) & 0xFF] ^
              table[4][lo >> 24] ^ table[3][p[4]] ^ table[2][p[5]] ^ table[1][p[6]] ^
              table[0][p[7]];
        p += 8;
        n -= 8;
    }
    while (n--)
        crc = (crc >> 8) ^ table[0][(crc ^ *p++) & 0xFF];
    return ~crc;
}

static void put32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static void put64(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static uint32_t get32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t get64(const unsigned char *p)
{
    return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32;
}

int rt_spool_pos_cmp(rt_spool_pos a, rt_spool_pos b)
{
    if (a.seg != b.seg)
        return a.seg < b.seg ? -1 : 1;
    return a.off < b.off ? -1 : a.off > b.off;
}

/* ------------------------------------------------------------ records */

static uint32_t frame_crc(const unsigned char *hdr, const void *payload, uint32_t len)
{
    uint32_t c = rt_crc32c(0, hdr, 4);          /* len */
    c = rt_crc32c(c, hdr + 8, 16);              /* seq, aux, reserved */
    return rt_crc32c(c, payload, len);
}

void rt_spool_frame_header(unsigned char hdr[RT_SPOOL_FRAME_HEADER], uint64_t seq, uint32_t aux,
                           const void *payload, uint32_t len)
{
    put32(hdr, len);
    put64(hdr + 8, seq);
    put32(hdr + 16, aux);
    put32(hdr + 20, 0);
    put32(hdr + 4, frame_crc(hdr, payload, len));
}

int rt_spool_frame_parse(const void *p, size_t avail, rt_spool_rec *rec)
{
    const unsigned char *h = p;
    if (avail < RT_SPOOL_FRAME_HEADER)
        return RT_SPOOL_FRAME_MORE;
    uint32_t len = get32(h);
    if (len == 0 || len > RT_SPOOL_PAYLOAD_MAX || get32(h + 20) != 0)
        return RT_SPOOL_FRAME_BAD;
    if (avail - RT_SPOOL_FRAME_HEADER < len)
        return RT_SPOOL_FRAME_MORE;
    if (frame_crc(h, h + RT_SPOOL_FRAME_HEADER, len) != get32(h + 4))
        return RT_SPOOL_FRAME_BAD;
    rec->seq = get64(h + 8);
    rec->aux = get32(h + 16);
    rec->payload = (const char *)h + RT_SPOOL_FRAME_HEADER;
    rec->len = len;
    rec->size = RT_SPOOL_FRAME_HEADER + len;
    return RT_SPOOL_FRAME_OK;
}

/* ----------------------------------------------------------- segments */

static const char segment_magic[8] = {'R', 'T', 'S', 'P', 'O', 'O', 'L', '1'};
static const char cursor_magic[8] = {'R', 'T', 'C', 'U', 'R', 'S', '0', '1'};

void rt_spool_segment_header(unsigned char out[RT_SPOOL_HEADER_SIZE], uint64_t seg)
{
    memcpy(out, segment_magic, 8);
    put32(out + 8, 1);
    put32(out + 12, RT_SPOOL_HEADER_SIZE);
    put64(out + 16, seg);
    put32(out + 24, 0);
    put32(out + 28, rt_crc32c(0, out, 28));
}

bool rt_spool_segment_header_ok(const unsigned char h[RT_SPOOL_HEADER_SIZE], uint64_t seg)
{
    return memcmp(h, segment_magic, 8) == 0 && get32(h + 8) == 1 &&
           get32(h + 12) == RT_SPOOL_HEADER_SIZE && get64(h + 16) == seg &&
           get32(h + 28) == rt_crc32c(0, h, 28);
}

void rt_spool_segment_name(uint64_t seg, char out[21])
{
    static const char hex[] = "0123456789abcdef";
    for (int i = 0; i < 16; i++)
        out[i] = hex[(seg >> (60 - 4 * i)) & 0xF];
    memcpy(out + 16, ".seg", 5);
}

uint64_t rt_spool_segment_parse_name(const char *name)
{
    uint64_t v = 0;
    for (int i = 0; i < 16; i++) {
        char c = name[i];
        int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
        if (d < 0)
            return 0;
        v = v << 4 | (uint64_t)d;
    }
    return strcmp(name + 16, ".seg") == 0 ? v : 0;
}

/* ------------------------------------------------------------- cursor */

void rt_spool_cursor_encode(unsigned char out[RT_SPOOL_CURSOR_SLOT], rt_spool_pos pos,
                            uint32_t gen)
{
    memcpy(out, cursor_magic, 8);
    put64(out + 8, pos.seg);
    put64(out + 16, pos.off);
    put32(out + 24, gen);
    put32(out + 28, rt_crc32c(0, out, 28));
}

static bool slot_ok(const unsigned char *s)
{
    return memcmp(s, cursor_magic, 8) == 0 && get32(s + 28) == rt_crc32c(0, s, 28);
}

bool rt_spool_cursor_decode(const unsigned char *file, size_t size, rt_spool_pos *pos,
                            uint32_t *gen)
{
    bool a = size >= RT_SPOOL_CURSOR_SLOT && slot_ok(file);
    bool b = size >= RT_SPOOL_CURSOR_SIZE && slot_ok(file + RT_SPOOL_CURSOR_SLOT);
    const unsigned char *s;
    if (!a && !b)
        return false;
    if (a && b) /* newer by serial-number arithmetic: survives the wrap */
        s = (int32_t)(get32(file + RT_SPOOL_CURSOR_SLOT + 24) - get32(file + 24)) > 0
                ? file + RT_SPOOL_CURSOR_SLOT
                : file;
    else
        s = a ? file : file + RT_SPOOL_CURSOR_SLOT;
    pos->seg = get64(s + 8);
    pos->off = get64(s + 16);
    *gen = get32(s + 24);
    return true;
}

/* ------------------------------------------------------------- window */

void rt_spool_window_init(rt_spool_window *w, rt_spool_sent *mem, uint32_t cap)
{
    w->e = mem;
    w->cap = cap;
    w->first = w->count = 0;
}

bool rt_spool_window_push(rt_spool_window *w, const rt_spool_sent *s)
{
    if (w->count == w->cap)
        return false;
    w->e[(w->first + w->count) % w->cap] = *s;
    w->count++;
    return true;
}

const rt_spool_sent *rt_spool_window_oldest(const rt_spool_window *w)
{
    return w->count ? &w->e[w->first] : NULL;
}

rt_spool_sent *rt_spool_window_newest(rt_spool_window *w)
{
    return w->count ? &w->e[(w->first + w->count - 1) % w->cap] : NULL;
}

bool rt_spool_window_done_tag(rt_spool_window *w, uint32_t tag)
{
    if (w->count == 0)
        return false;
    uint32_t first_tag = w->e[w->first].tag;
    uint32_t d = tag >= first_tag ? tag - first_tag : TXNR_MAX - first_tag + tag;
    if (d >= w->count)
        return false;
    rt_spool_sent *s = &w->e[(w->first + d) % w->cap];
    if (s->tag != tag)
        return false;
    s->done = true;
    return true;
}

void rt_spool_window_done_until(rt_spool_window *w, int64_t t_ms, uint64_t total)
{
    for (uint32_t i = 0; i < w->count; i++) {
        rt_spool_sent *s = &w->e[(w->first + i) % w->cap];
        if (s->t_ms > t_ms && s->total > total)
            break;
        s->done = true;
    }
}

bool rt_spool_window_pop_done(rt_spool_window *w, rt_spool_pos *end)
{
    bool any = false;
    while (w->count && w->e[w->first].done) {
        *end = w->e[w->first].end;
        w->first = (w->first + 1) % w->cap;
        w->count--;
        any = true;
    }
    return any;
}
