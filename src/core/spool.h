/*
 * spool.h - the on-disk spool's formats, portable: record frames with a
 * CRC-32C each, segment headers, the delivery cursor, and the window of
 * records sent but not yet confirmed. The files themselves are handled by
 * src/win/spool.c.
 *
 * A spool is a directory of segments `<16 hex digits>.seg`, numbered up
 * from 1, each written once, append-only:
 *
 *   segment = header record*
 *   header  = "RTSPOOL1" u32:version(1) u32:header_size(32) u64:segment
 *             u32:reserved(0) u32:crc             (crc of the 28 bytes before)
 *   record  = u32:len u32:crc u64:seq u32:aux u32:reserved(0) payload[len]
 *             crc = CRC-32C of len, seq, aux, reserved and payload
 *
 * All integers little-endian. A record whose header or payload runs past
 * the end of the file is a torn tail (a crash mid-write); a record whose
 * CRC does not match, whose len is 0 or over RT_SPOOL_PAYLOAD_MAX, or whose
 * reserved word is not 0, is corrupt. Either ends the segment for readers:
 * what follows is skipped and reported, never delivered as garbage.
 *
 * The cursor file `cursor` holds two 32-byte slots written alternately:
 *   slot = "RTCURS01" u64:segment u64:offset u32:generation u32:crc
 * The valid slot with the higher generation (wrap-aware) wins; a torn
 * write can only spoil the slot being written. The cursor is the first
 * position not yet confirmed by the collector.
 *
 * Pure functions: any thread, no allocation.
 */
#ifndef RT_SPOOL_H
#define RT_SPOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RT_SPOOL_HEADER_SIZE 32u
#define RT_SPOOL_FRAME_HEADER 24u
#define RT_SPOOL_PAYLOAD_MAX (1u << 20)
#define RT_SPOOL_CURSOR_SLOT 32u
#define RT_SPOOL_CURSOR_SIZE (2u * RT_SPOOL_CURSOR_SLOT)

/* CRC-32C (Castagnoli, reflected 0x82F63B78): rt_crc32c(0, p, n) is the
 * checksum of p[0..n); pass a previous result to continue it. Uses the
 * CPU's crc32 instruction when it has one; rt_crc32c_portable never does
 * (the same result, for tests). */
uint32_t rt_crc32c(uint32_t crc, const void *p, size_t n);
uint32_t rt_crc32c_portable(uint32_t crc, const void *p, size_t n);

/* A position in a spool: segment number and byte offset in that file, and
 * for the reader's bookkeeping the number of records before it (counted
 * from when the spool was opened; not stored on disk). */
typedef struct rt_spool_pos {
    uint64_t seg;
    uint64_t off;
    uint64_t ord;
} rt_spool_pos;

/* <0, 0, >0 as a is before, at, after b (by segment and offset). */
int rt_spool_pos_cmp(rt_spool_pos a, rt_spool_pos b);

/* ---------------------------------------------------------- records */

typedef struct rt_spool_rec {
    uint64_t seq;
    uint32_t aux;           /* the writer's: the payload's kind (syslog sink: 1, JSON) */
    const char *payload;
    uint32_t len;
    uint32_t size;          /* whole frame: RT_SPOOL_FRAME_HEADER + len */
} rt_spool_rec;

/* Writes a record header for payload[0..len) into hdr (24 bytes). */
void rt_spool_frame_header(unsigned char hdr[RT_SPOOL_FRAME_HEADER], uint64_t seq, uint32_t aux,
                           const void *payload, uint32_t len);

enum {
    RT_SPOOL_FRAME_OK = 1,   /* *rec is a whole, intact record */
    RT_SPOOL_FRAME_MORE = 0, /* fewer bytes than the record needs */
    RT_SPOOL_FRAME_BAD = -1, /* corrupt: CRC, len or reserved word wrong */
};

/* Parses the record at p[0..avail). Returns RT_SPOOL_FRAME_*; with OK,
 * rec->payload points into p. */
int rt_spool_frame_parse(const void *p, size_t avail, rt_spool_rec *rec);

/* ---------------------------------------------------------- segments */

void rt_spool_segment_header(unsigned char out[RT_SPOOL_HEADER_SIZE], uint64_t seg);

/* True when h is a valid header of segment `seg`. */
bool rt_spool_segment_header_ok(const unsigned char h[RT_SPOOL_HEADER_SIZE], uint64_t seg);

/* "0000000000000012.seg" for segment 0x12 into out (>= 21 bytes). */
void rt_spool_segment_name(uint64_t seg, char out[21]);

/* The segment number of a file name of that form, or 0 if it is not one. */
uint64_t rt_spool_segment_parse_name(const char *name);

/* ---------------------------------------------------------- cursor */

/* Encodes slot `gen & 1` of the cursor file: out is that slot's 32 bytes,
 * written at offset (gen & 1) * RT_SPOOL_CURSOR_SLOT. */
void rt_spool_cursor_encode(unsigned char out[RT_SPOOL_CURSOR_SLOT], rt_spool_pos pos,
                            uint32_t gen);

/* Picks the newest valid slot of a cursor file's bytes (size may be short
 * or 0). Returns false when neither slot is valid. */
bool rt_spool_cursor_decode(const unsigned char *file, size_t size, rt_spool_pos *pos,
                            uint32_t *gen);

/* ---------------------------------------------------------- window */

/*
 * Records sent to the collector and not yet confirmed, oldest first. Each
 * entry ends at `end` (the spool position after its last record). RELP
 * confirms by transaction number (`tag`, consecutive from the first entry,
 * wrapping as RELP txnrs do); TCP, which has no acknowledgement, by age
 * and by the bytes sent after it (rt_spool_window_done_until). Confirmed
 * entries leave from the front only, so the spool cursor never passes a
 * record that is still in doubt.
 */
typedef struct rt_spool_sent {
    rt_spool_pos end;
    int64_t t_ms;          /* when it was sent */
    uint64_t total;        /* bytes sent on the connection up to and with it */
    uint32_t tag;
    bool done;
} rt_spool_sent;

typedef struct rt_spool_window {
    rt_spool_sent *e;
    uint32_t cap, first, count;
} rt_spool_window;

/* Makes w an empty window over mem[0..cap). */
void rt_spool_window_init(rt_spool_window *w, rt_spool_sent *mem, uint32_t cap);
static inline void rt_spool_window_clear(rt_spool_window *w)
{
    w->first = w->count = 0;
}
static inline bool rt_spool_window_full(const rt_spool_window *w)
{
    return w->count == w->cap;
}

/* Appends an entry; false when full. */
bool rt_spool_window_push(rt_spool_window *w, const rt_spool_sent *s);

/* The oldest entry, or NULL when empty. */
const rt_spool_sent *rt_spool_window_oldest(const rt_spool_window *w);

/* The newest entry (to extend its `end` over records that were skipped),
 * or NULL when empty. */
rt_spool_sent *rt_spool_window_newest(rt_spool_window *w);

/*
 * Marks the entry whose tag is `tag` done: tags run consecutively (RELP
 * txnrs) from the oldest entry's. Returns false when no entry has it.
 */
bool rt_spool_window_done_tag(rt_spool_window *w, uint32_t tag);

/* Marks done every entry sent at or before t_ms or whose `total` is at most
 * `total` (both are non-decreasing along the window). */
void rt_spool_window_done_until(rt_spool_window *w, int64_t t_ms, uint64_t total);

/* Removes the leading done entries; true with *end = the last one's end
 * when it removed any. */
bool rt_spool_window_pop_done(rt_spool_window *w, rt_spool_pos *end);

#endif /* RT_SPOOL_H */
