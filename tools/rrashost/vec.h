/*
 * vec.h - the growable arrays of rrashost's per-thread logs (expected
 * records, addresses): {v, n, cap} structs grown by realloc. Out of memory
 * ends the program (exit code RH_EXIT_USAGE), as everywhere in rrashost.
 */
#ifndef RH_VEC_H
#define RH_VEC_H

#include <stddef.h>

/* realloc, or a message and exit. */
void *rh_xrealloc(void *p, size_t n);

/*
 * Moves the n_src elements of *v_src (each `size` bytes) to the end of
 * *v_dst, growing it, and leaves the source empty (its array freed).
 */
void rh_vec_append(void **v_dst, size_t *n_dst, size_t *cap_dst, void **v_src, size_t *n_src,
                   size_t *cap_src, size_t size);

#endif
