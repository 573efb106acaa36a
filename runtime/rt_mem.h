/* Runtime memory helpers: cache-line aligned, zeroed allocations so that buffers written by
 * different threads never share a line (no false sharing) and vector loads stay aligned. */
#ifndef QNN_RT_MEM_H
#define QNN_RT_MEM_H

#include <stddef.h>

#define RT_CACHE_LINE 64

/* Rounds n bytes up to a whole number of cache lines. */
static inline size_t rt_round_line(size_t n) {
    return (n + RT_CACHE_LINE - 1) / RT_CACHE_LINE * RT_CACHE_LINE;
}

/* Zeroed, RT_CACHE_LINE-aligned block of at least `bytes` (never NULL for 0 bytes: one line);
 * NULL on failure or overflow (reported through rt_error). Free with rt_free. */
void *rt_alloc(size_t bytes);
/* Same for n elements of `size` bytes, with an overflow check. */
void *rt_alloc_array(size_t n, size_t size);
void rt_free(void *p);

#endif
