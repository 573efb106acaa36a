/* Arena allocator: chained chunks; large requests get a chunk of their own. */
#include "arena.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { CHUNK_SIZE = 64 * 1024 };

typedef struct chunk {
    struct chunk *next;
    size_t used, size;
    _Alignas(16) unsigned char data[];
} chunk;

struct arena {
    chunk *head;
};

static chunk *new_chunk(size_t size) {
    chunk *c = malloc(sizeof(chunk) + size);
    if (!c) {
        fputs("qnnc: out of memory\n", stderr);
        exit(3);
    }
    c->next = NULL;
    c->used = 0;
    c->size = size;
    return c;
}

arena *arena_create(void) {
    arena *a = calloc(1, sizeof *a);
    if (!a) {
        fputs("qnnc: out of memory\n", stderr);
        exit(3);
    }
    return a;
}

void arena_destroy(arena *a) {
    if (!a) return;
    for (chunk *c = a->head, *next; c; c = next) {
        next = c->next;
        free(c);
    }
    free(a);
}

void *arena_alloc(arena *a, size_t size) {
    size = (size + 15) & ~(size_t)15;
    if (!a->head || a->head->size - a->head->used < size) {
        chunk *c = new_chunk(size > CHUNK_SIZE ? size : CHUNK_SIZE);
        /* Keep a big one-off chunk behind the current one so the current one keeps filling. */
        if (size > CHUNK_SIZE && a->head) {
            c->next = a->head->next;
            a->head->next = c;
            c->used = size;
            memset(c->data, 0, size);
            return c->data;
        }
        c->next = a->head;
        a->head = c;
    }
    void *p = a->head->data + a->head->used;
    a->head->used += size;
    memset(p, 0, size);
    return p;
}

char *arena_strndup(arena *a, const char *s, size_t n) {
    char *d = arena_alloc(a, n + 1);
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

char *arena_strdup(arena *a, const char *s) { return arena_strndup(a, s, strlen(s)); }

char *arena_printf(arena *a, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    size_t size = (size_t)(n < 0 ? 0 : n) + 1;
    char *d = arena_alloc(a, size);
    va_start(ap, fmt);
    vsnprintf(d, size, fmt, ap);
    va_end(ap);
    return d;
}
