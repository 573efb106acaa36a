/* Bump allocator for compile-time data: one arena per compilation, freed in one call. */
#ifndef QNN_ARENA_H
#define QNN_ARENA_H
#include <stddef.h>

typedef struct arena arena;

arena *arena_create(void);
void arena_destroy(arena *a);
/* Zeroed, 16-byte aligned memory that lives until arena_destroy. Never returns NULL:
 * running out of memory at compile time is a fatal, reported condition. */
void *arena_alloc(arena *a, size_t size);
char *arena_strdup(arena *a, const char *s);
char *arena_strndup(arena *a, const char *s, size_t n);
char *arena_printf(arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
