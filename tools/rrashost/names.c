/*
 * names.c - user names: ordinary ones, and the hostile ones an accounting
 * DLL must survive and record faithfully.
 *
 * Hostile templates cover what breaks formatters and downstream tools:
 * JSON/CSV/syslog metacharacters, control characters, U+2028/U+2029 (valid
 * JSON, invalid JavaScript), unpaired surrogates (must become U+FFFD),
 * names filling all 257 units of wszUserName with no terminator (one of
 * them ending in half a surrogate pair), spreadsheet formula prefixes
 * (=cmd|...), printf conversions, and a NUL hiding the rest of the array.
 */
#include <stdio.h>
#include <string.h>

#include "session.h"

/* A template: UTF-8 text with \x escapes for what C strings cannot carry,
 * decoded by put_text; or a special generator. */
typedef enum kind { TEXT, FULL_ASCII, FULL_SPLIT_PAIR, FULL_MIXED, LONE_HIGH, LONE_LOW, NUL_INSIDE } kind;

typedef struct tmpl {
    kind k;
    const char *text;
} tmpl;

static const tmpl templates[] = {
    {TEXT, "O\"Brien \"the quote\""},
    {TEXT, "CORP\\alice\\\\server\\share\\"},
    {TEXT, "ctl\x01\x02\x1f\x7f|tab\t|nl\n|cr\r|end"},
    {TEXT, "line\xe2\x80\xa8sep\xe2\x80\xa9para"},
    {LONE_HIGH, "lone-high-"},
    {LONE_LOW, "-lone-low"},
    {FULL_ASCII, NULL},
    {FULL_SPLIT_PAIR, NULL},
    {FULL_MIXED, NULL},
    {TEXT, "=cmd|' /C calc'!A0"},
    {TEXT, "+SUM(1+1)*cmd|' /C notepad'!'A1'"},
    {TEXT, "-2+3+cmd|' /C calc'!A0"},
    {TEXT, "@SUM(1+1)*cmd|' /C calc'!A0"},
    {TEXT, "\tTAB-first"},
    {TEXT, "\rCR-first"},
    {TEXT, "alice\",\"event\":\"forged\",\"x\":\""},
    {TEXT, "\xe2\x80\xae" "evil\xe2\x80\xac gpj.exe \xf0\x9f\x98\x80"},
    {TEXT, ""},
    {TEXT, "<script>alert(1)</script>&amp;'"},
    {TEXT, "bob\n<13>Nov 21 00:00:00 forged: record"},
    {TEXT, "Zo\xc3\xab \xe6\xbc\xa2\xe5\xad\x97 \xf0\x9f\x98\x80 e\xcc\x81"},
    {NUL_INSIDE, "trunc"},
    {TEXT, "%s%n%x%08x%%"},
    {TEXT, "a,b;c\"d'e`f$(g)"},
};

#define N_TEMPLATES (sizeof templates / sizeof templates[0])

unsigned rh_hostile_count(void)
{
    return (unsigned)N_TEMPLATES;
}

/* Appends UTF-8 text as UTF-16 (the templates are well-formed UTF-8). */
static unsigned put_text(uint16_t *out, unsigned at, const char *t)
{
    const unsigned char *p = (const unsigned char *)t;
    while (*p && at < RH_USER_UNITS) {
        uint32_t cp;
        if (p[0] < 0x80) {
            cp = *p++;
        } else if (p[0] < 0xE0) {
            cp = (uint32_t)(p[0] & 0x1F) << 6 | (p[1] & 0x3F);
            p += 2;
        } else if (p[0] < 0xF0) {
            cp = (uint32_t)(p[0] & 0x0F) << 12 | (uint32_t)(p[1] & 0x3F) << 6 | (p[2] & 0x3F);
            p += 3;
        } else {
            cp = (uint32_t)(p[0] & 0x07) << 18 | (uint32_t)(p[1] & 0x3F) << 12 |
                 (uint32_t)(p[2] & 0x3F) << 6 | (p[3] & 0x3F);
            p += 4;
        }
        if (cp >= 0x10000) {
            if (at + 2 > RH_USER_UNITS)
                break;
            cp -= 0x10000;
            out[at++] = (uint16_t)(0xD800 | (cp >> 10));
            out[at++] = (uint16_t)(0xDC00 | (cp & 0x3FF));
        } else {
            out[at++] = (uint16_t)cp;
        }
    }
    return at;
}

void rh_hostile_name(unsigned k, unsigned u, uint16_t *out, unsigned *units)
{
    const tmpl *t = &templates[k % N_TEMPLATES];
    char num[16];
    snprintf(num, sizeof num, "%u", u);
    unsigned n = 0;
    switch (t->k) {
    case TEXT:
        n = put_text(out, 0, t->text);
        break;
    case LONE_HIGH:
        n = put_text(out, 0, t->text);
        out[n++] = 0xD83D; /* high surrogate followed by ASCII */
        n = put_text(out, n, num);
        break;
    case LONE_LOW:
        out[n++] = 0xDE00; /* low surrogate first */
        n = put_text(out, n, t->text);
        break;
    case FULL_ASCII:
        n = put_text(out, 0, num);
        for (; n < RH_USER_UNITS; n++)
            out[n] = (uint16_t)('a' + n % 26);
        break;
    case FULL_SPLIT_PAIR:
        /* 256 units, then the high half of U+1F600 in the last unit: the
         * array ends inside a pair, which must decode as U+FFFD. */
        n = put_text(out, 0, num);
        while (n < RH_USER_UNITS - 1)
            out[n++] = 'x';
        out[n++] = 0xD83D;
        break;
    case FULL_MIXED:
        n = put_text(out, 0, num);
        while (n + 2 <= RH_USER_UNITS - 1)
            n = put_text(out, n, n % 3 ? "\xc3\xa9" : "\xf0\x9f\x98\x80");
        while (n < RH_USER_UNITS)
            out[n++] = '"';
        break;
    case NUL_INSIDE:
        n = put_text(out, 0, t->text);
        out[n] = 0;
        put_text(out, n + 1, "-hidden-after-nul");
        *units = n;
        return;
    }
    if (t->k == TEXT && n > 0 && n < 40)
        n = put_text(out, n, num); /* tell users apart; the empty name stays empty */
    *units = n;
}

void rh_plain_name(unsigned u, uint16_t *out, unsigned *units)
{
    static const char *first[] = {"anna", "ben", "chen", "dana", "emil", "fatima", "gustav",
                                  "hana", "ivan", "jo", "kemal", "lea", "mateo", "nora"};
    static const char *last[] = {"berg", "costa", "dubois", "eriksen", "fischer", "garcia",
                                 "huber", "ito", "jensen", "kowalski", "larsen", "meyer"};
    char tmp[64];
    snprintf(tmp, sizeof tmp, "%s.%s%u", first[u % 14], last[(u / 14) % 12], u);
    *units = put_text(out, 0, tmp);
}
