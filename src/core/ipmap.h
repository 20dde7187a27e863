/*
 * ipmap.h - the static map: user name -> 64-bit value (an IPv4 address or
 * an IPv6 interface identifier), as a read-only open-addressing hash table.
 *
 * Names are compared case-insensitively: Latin (ASCII, Latin-1, Latin
 * Extended-A), Greek, Cyrillic and fullwidth Latin letters fold to lower
 * case, as Windows compares account names in these scripts; every other
 * code unit must match exactly. Names are stored folded.
 *
 * Which entry a name matches (docs/addresses.md), first rule that applies:
 *   1. the entry for the name exactly as RAS gives it:
 *        "CORP\alice" matches an entry "corp\Alice";
 *        "alice@corp.example" matches "Alice@Corp.Example";
 *   2. for a qualified name ("DOMAIN\user" or "user@realm"), the entry for
 *      its bare user part: "CORP\alice" and "alice@corp.example" match an
 *      entry "alice" (the part after the last '\', then before the last '@');
 *   3. for a bare name ("alice"), the one qualified entry whose user part it
 *      is: "alice" matches "CORP\alice" when no other qualified entry
 *      (e.g. "LAB\alice" or "alice@corp.example") has the user part
 *      "alice". Ambiguous: no match. A qualified name never matches another
 *      domain's entry: "LAB\alice" does not match "CORP\alice".
 *
 * Life cycle: rt_ipmap_create, rt_ipmap_add for each line, rt_ipmap_finish
 * (configuration thread, allocates). After finish the map is immutable:
 * the lookups (rt_ipmap_lookup, _lookup_key, _peek) may run on any number
 * of threads at once without synchronisation (they only read, and the map
 * is published to them by the snapshot's release store), without
 * allocating or locking.
 *
 * A caller that needs the folded name for its own purposes too (ipassign.c
 * hashes it into the lease holder) folds it once with rt_ipmap_fold,
 * prepares it with rt_ipmap_key_prepare and looks it up with
 * rt_ipmap_lookup_key; rt_ipmap_peek lets it start loading what the value
 * leads to before the lookup has compared the name.
 */
#ifndef RT_IPMAP_H
#define RT_IPMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "event.h"

/* Longest name the map stores or looks up, in UTF-16 units (UNLEN). */
#define RT_IPMAP_NAME_MAX 256u

/* How a lookup matched (the rule numbers above). */
enum { RT_IPMAP_NONE = 0, RT_IPMAP_EXACT = 1, RT_IPMAP_BARE = 2, RT_IPMAP_UNIQUE_QUALIFIED = 3 };

typedef struct rt_ipmap rt_ipmap;

/* Folds one UTF-16 unit to its lower-case form (identity for the rest). */
rt_wchar rt_ipmap_fold_unit(rt_wchar c);

/* out[i] = rt_ipmap_fold_unit(in[i]) for i < n; in and out may be the same
 * array. Four ASCII units at a time. */
void rt_ipmap_fold(const rt_wchar *in, size_t n, rt_wchar *out);

/*
 * The bare user part of s[0..n): after the last '\', then before the last
 * '@'. Stores its offset and length; *qualified says whether anything was
 * removed.
 */
void rt_ipmap_bare(const rt_wchar *s, size_t n, size_t *off, size_t *len, bool *qualified);

/* An empty map. RT_ENOMEM. */
int rt_ipmap_create(rt_ipmap **out);

/*
 * Adds name -> value (before finish). Returns 0; RT_EEXIST when the folded
 * name is already present (its value in *existing if not NULL, the map
 * unchanged); RT_EINVAL for an empty name, one longer than
 * RT_IPMAP_NAME_MAX, or after finish; RT_ENOMEM.
 */
int rt_ipmap_add(rt_ipmap *m, const rt_wchar *name, size_t len, uint64_t value,
                 uint64_t *existing);

/* Adds the rule-3 entries and freezes the map. RT_ENOMEM (the map is then
 * unusable: free it). */
int rt_ipmap_finish(rt_ipmap *m);

/*
 * Looks name[0..len) up by the rules above (after finish). Returns the rule
 * that matched (RT_IPMAP_*), storing the value; RT_IPMAP_NONE when nothing
 * matches, the name is empty or longer than RT_IPMAP_NAME_MAX. Any thread,
 * no allocation, no lock.
 */
int rt_ipmap_lookup(const rt_ipmap *m, const rt_wchar *name, size_t len, uint64_t *value);

/*
 * A name prepared for lookups (rt_ipmap_key_prepare): its folded units,
 * its bare user part and both hashes, computed once per call. Points into
 * the caller's folded buffer, which must outlive it.
 */
typedef struct rt_ipmap_key {
    const rt_wchar *units; /* folded */
    size_t len;            /* 0: matches nothing */
    size_t bare_off, bare_len;
    bool qualified;
    uint64_t hash, bare_hash;
} rt_ipmap_key;

/*
 * Prepares folded[0..len), a name already folded (rt_ipmap_fold), for
 * lookups in m. An empty name, or one longer than RT_IPMAP_NAME_MAX, gives
 * a key that matches nothing. m may be NULL (or not finished): the key is
 * the same; with m, the slots the lookup will read are requested from
 * memory as soon as each hash is known. Changes nothing; any thread.
 */
void rt_ipmap_key_prepare(rt_ipmap_key *k, const rt_ipmap *m, const rt_wchar *folded, size_t len);

/* rt_ipmap_lookup for a prepared key: same rules, same result. */
int rt_ipmap_lookup_key(const rt_ipmap *m, const rt_ipmap_key *k, uint64_t *value);

/*
 * The value rt_ipmap_lookup_key most likely finds, read from the hash
 * slots alone (39 bits of the name's hash matched; the name itself is not
 * compared). Only a hint, for starting to load what the value leads
 * to while the lookup compares the name: true and *value when a
 * fingerprint matched in the table the rules would consult, false when the
 * lookup will certainly find nothing. Any thread, after finish.
 */
bool rt_ipmap_peek(const rt_ipmap *m, const rt_ipmap_key *k, uint64_t *value);

/* Entries added with rt_ipmap_add, and the value of the i-th (i < count). */
size_t rt_ipmap_count(const rt_ipmap *m);
uint64_t rt_ipmap_value_at(const rt_ipmap *m, size_t i);

/* Longest probe sequence a lookup can take, in slots (for tests and
 * diagnostics). */
size_t rt_ipmap_max_probe(const rt_ipmap *m);

void rt_ipmap_free(rt_ipmap *m);

#endif /* RT_IPMAP_H */
