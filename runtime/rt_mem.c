/* Runtime memory helpers: aligned zeroed allocation with overflow checks. */
#include "rt_mem.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rt_error.h"

void *rt_alloc(size_t bytes) {
    if (bytes > SIZE_MAX - RT_CACHE_LINE) {
        rt_error("allocation of %zu bytes overflows", bytes);
        return NULL;
    }
    size_t n = rt_round_line(bytes ? bytes : 1);   /* aligned_alloc wants a multiple of the alignment */
    void *p = aligned_alloc(RT_CACHE_LINE, n);
    if (!p) {
        rt_error("out of memory allocating %zu bytes", n);
        return NULL;
    }
    memset(p, 0, n);
    return p;
}

void *rt_alloc_array(size_t n, size_t size) {
    if (size && n > SIZE_MAX / size) {
        rt_error("allocation of %zu x %zu bytes overflows", n, size);
        return NULL;
    }
    return rt_alloc(n * size);
}

void rt_free(void *p) { free(p); }
