/* The compiled-code cache: object files of circuits kept between invocations, shared by
 * `qnnc run` / `qnnc eval` (objects linked by the JIT, jit.h) and `qnnc build --cache`
 * (objects linked into native builds). One entry is one file holding its full key and the
 * object, with a checksum: a corrupt or truncated entry is detected and rebuilt, an entry
 * written for another key (a hash collision) is a miss. Entries are written atomically
 * (io_atomic: a temporary file renamed into place), so concurrent runs never read half an
 * entry. No llvm-c types here. */
#ifndef QNN_CACHE_H
#define QNN_CACHE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "cg.h"
#include "ir.h"

/* Everything the generated code depends on, as text (the entry stores it and lookups
 * compare it byte for byte) and its 64-bit hash (the entry's file name). */
typedef struct cache_key {
    char *text;
    size_t len;
    uint64_t hash;
    FILE *f; /* open while the key is being built */
} cache_key;

/* Starts a key: the kind of entry ("jit" or "aot"), the entry format, qnnc's version and
 * binary (size and time stamp of /proc/self/exe: a rebuilt compiler never reuses old code),
 * the LLVM version qnnc was built with and runs with, the code generation level, the target
 * (triple, CPU, features). 0, or -1 when out of memory. */
int cache_key_begin(cache_key *k, const char *kind, const char *triple, const char *cpu,
                    const char *features);
/* Adds one circuit (after the passes) with its options and, when the symbols are chosen by
 * the caller (qnnc build), its symbol prefix (NULL: derived from the key, see
 * cache_key_prefix). The circuit goes in twice: as ir_to_text (readable) and as an exact
 * dump of every field the code generator reads (constants as hexadecimal floats, expression
 * node order), because ir_to_text rounds constants to 15 digits. o->lanes must be resolved
 * (not 0). */
void cache_key_add(cache_key *k, const ir_circuit *c, const cg_options *o, const char *prefix);
/* Ends the key and computes its hash. 0, or -1 when out of memory (the key is freed). */
int cache_key_end(cache_key *k);
void cache_key_free(cache_key *k);

/* A symbol prefix for a circuit compiled under key k: qnn_<name>_<hash>, a C identifier.
 * Deterministic, so an object from the cache has the same symbols as a fresh compilation;
 * unique per key, so objects of different keys never clash in one JIT session. */
void cache_key_prefix(const cache_key *k, const char *name, char *out, size_t n);

/* A cache folder in use. */
typedef struct code_cache {
    char *dir;         /* NULL: no caching (none configured, or --no-cache) */
    const char *who;   /* prefix of the messages: "qnnc", "qnnc build" */
    int store_failed;  /* a write failed: warned once, no more writes */
} code_cache;

/* The default folder: $QNN_CACHE_DIR, else $XDG_CACHE_HOME/qnn (an absolute
 * XDG_CACHE_HOME only, as the XDG specification says), else $HOME/.cache/qnn. malloc'ed;
 * NULL when none of the three is set (*why says which variables were missing). */
char *cache_default_dir(const char **why);

/* Opens the cache at dir (copied; NULL: no caching). Nothing is created until the first
 * store. Never fails. */
void cache_open(code_cache *c, const char *dir, const char *who);
void cache_close(code_cache *c);

typedef enum {
    CACHE_MISS,    /* no entry, or one for another key: compile and store */
    CACHE_HIT,     /* *data / *len hold the object (malloc'ed) */
    CACHE_CORRUPT  /* an entry is there but is damaged (note says how): compile and store */
} cache_result;

/* Looks the key up. On CACHE_CORRUPT, note holds one line naming the entry and what is
 * wrong with it (the caller prints it). Never blocks on a FIFO planted as an entry. */
cache_result cache_lookup(code_cache *c, const cache_key *k, unsigned char **data, size_t *len,
                          char *note, size_t notelen);

/* Stores data under the key, atomically; creates the folder (mode 0700 for the last level)
 * if needed. On failure prints one warning line, the first time only, and stops storing:
 * the cache never makes a run fail. 0 or -1. */
int cache_store(code_cache *c, const cache_key *k, const void *data, size_t len);

/* Removes the key's entry (one whose object turned out unusable). */
void cache_remove(code_cache *c, const cache_key *k);

/* The entry's path for a key (for messages and tests), in out. */
void cache_entry_path(const code_cache *c, const cache_key *k, char *out, size_t n);

#endif
