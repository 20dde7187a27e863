#include "vec.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host.h"

void *rh_xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n);
    if (!q) {
        fputs("rrashost: out of memory\n", stderr);
        exit(RH_EXIT_USAGE);
    }
    return q;
}

void rh_vec_append(void **v_dst, size_t *n_dst, size_t *cap_dst, void **v_src, size_t *n_src,
                   size_t *cap_src, size_t size)
{
    if (*n_dst + *n_src > *cap_dst) {
        *cap_dst = *n_dst + *n_src;
        *v_dst = rh_xrealloc(*v_dst, *cap_dst * size);
    }
    if (*n_src)
        memcpy((char *)*v_dst + *n_dst * size, *v_src, *n_src * size);
    *n_dst += *n_src;
    free(*v_src);
    *v_src = NULL;
    *n_src = *cap_src = 0;
}
