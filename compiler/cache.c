/* The compiled-code cache of qnnc run/eval and qnnc build --cache (cache.h): keys, entries
 * (key and object with a checksum in one file), atomic stores, the default folder.
 *
 * Entry layout (text header, then raw bytes):
 *   "qnn-cache 1\n"
 *   "<key bytes> <object bytes> <FNV-1a 64 of key and object, 16 hex digits>\n"
 *   key, object
 * The lengths catch truncation, the checksum any other damage, the stored key a collision
 * of two keys' hashes. */
#define _XOPEN_SOURCE 700 /* open_memstream, mkdir */
#include "cache.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "io_file.h"

enum { ENTRY_FORMAT = 1 };
#define ENTRY_MAGIC "qnn-cache 1\n"
#define ENTRY_MAX ((size_t)1 << 30) /* larger than any object qnnc writes (26 qubits included) */

static uint64_t fnv1a(uint64_t h, const void *p, size_t n) {
    const unsigned char *s = p;
    for (size_t i = 0; i < n; i++) h = (h ^ s[i]) * 1099511628211ULL;
    return h;
}
#define FNV_INIT 1469598103934665603ULL

/* ---- keys ---------------------------------------------------------------------------- */

int cache_key_begin(cache_key *k, const char *kind, const char *triple, const char *cpu,
                    const char *features) {
    memset(k, 0, sizeof *k);
    k->f = open_memstream(&k->text, &k->len);
    if (!k->f) return -1;
    struct stat st;
    memset(&st, 0, sizeof st);
    stat("/proc/self/exe", &st); /* no /proc: zeros, still a valid key for this version */
    char built[32], running[32];
    cg_llvm_version(built, sizeof built, running, sizeof running);
    /* The code generation level is fixed (LLVMCodeGenLevelLess in jit.c, cg.c and aot.c);
     * it is written down so that changing it in one place cannot reuse old objects. */
    fprintf(k->f, "qnn cache key %d, %s\nqnnc %s, binary %lld bytes, %lld.%09ld\n"
                  "LLVM %s, running %s, codegen less\ntarget %s\ncpu %s\nfeatures %s\n",
            ENTRY_FORMAT, kind, QNN_VERSION, (long long)st.st_size, (long long)st.st_mtim.tv_sec,
            st.st_mtim.tv_nsec, built, running, triple ? triple : "", cpu ? cpu : "",
            features ? features : "");
    return 0;
}

/* A field added to the IR that the code generator reads must be added to dump_exact below,
 * or two circuits differing only in it would share an entry: these sizes make that change
 * stop here first (checked on the LP64 targets qnn is built on). */
#if defined(__x86_64__) || defined(__aarch64__)
_Static_assert(sizeof(ir_expr) == 32 && sizeof(ir_op) == 56 && sizeof(ir_pauli_term) == 16 &&
                   sizeof(ir_observable) == 60 && sizeof(ir_circuit) == 144,
               "the circuit IR changed: update dump_exact in cache.c, then these sizes");
#endif

/* Every field of the circuit that the code generator reads, exactly (src_line/src_col and
 * the tensors' names and initialisation do not change the code and are left out). */
static void dump_exact(FILE *f, const ir_circuit *c) {
    fprintf(f, "exact %d qubits %d inputs %d params\nexprs %d:", c->n_qubits, c->n_inputs,
            c->n_params, c->n_exprs);
    for (int i = 0; i < c->n_exprs; i++) {
        const ir_expr *e = &c->exprs[i];
        fprintf(f, " %d,%d,%d,%d,%a", (int)e->kind, e->a, e->b, e->index, e->value);
    }
    const ir_op *lists[2] = {c->ops, c->members};
    int counts[2] = {c->n_ops, c->n_members};
    for (int l = 0; l < 2; l++) {
        fprintf(f, "\n%s %d:", l ? "members" : "ops", counts[l]);
        for (int i = 0; i < counts[l]; i++) {
            const ir_op *o = &lists[l][i];
            fprintf(f, " %d,%d,%d,%d,%d,%d,%d,%d,%x,%d,%d,%d", (int)o->gate, o->wires[0],
                    o->wires[1], o->angle[0], o->angle[1], o->angle[2], o->first_member,
                    o->n_members, (unsigned)o->mask, (int)o->channel, o->kraus_first, o->n_kraus);
        }
    }
    fprintf(f, "\nterms %d:", c->n_terms);
    for (int i = 0; i < c->n_terms; i++)
        fprintf(f, " %a,%x,%x", c->terms[i].coef, (unsigned)c->terms[i].x_mask,
                (unsigned)c->terms[i].z_mask);
    fprintf(f, "\nobservables %d:", c->n_obs);
    for (int i = 0; i < c->n_obs; i++) {
        const ir_observable *o = &c->obs[i];
        fprintf(f, " %d,%d,%d,%d,%d,%d,%d", o->first_term, o->n_terms, (int)o->kind, o->first_lin,
                o->n_lin, o->index, o->n_prob_wires);
        for (int w = 0; w < o->n_prob_wires && w < IR_MAX_PROB_WIRES; w++) fprintf(f, ",%d", o->prob_wires[w]);
    }
    fprintf(f, "\nkraus %d uniform %d:", c->n_kraus, c->n_uniform);
    for (int i = 0; i < c->n_kraus; i++) fprintf(f, " %a", c->kraus[i]);
    fputc('\n', f);
}

void cache_key_add(cache_key *k, const ir_circuit *c, const cg_options *o, const char *prefix) {
    if (!k->f) return;
    fprintf(k->f, "circuit %s prefix %s precision %d lanes %d opt %d grad %d shots %d amp %d\n",
            c->name ? c->name : "", prefix ? prefix : "(from the key)", o->precision ? o->precision : 64,
            o->lanes, o->opt_level, (int)o->grad, o->shots, o->amp);
    char *text = ir_to_text(c);
    if (text) fputs(text, k->f);
    else fputs("(no text: out of memory)\n", k->f); /* the exact dump below still keys it */
    free(text);
    dump_exact(k->f, c);
}

int cache_key_end(cache_key *k) {
    if (!k->f) return -1;
    int bad = ferror(k->f);
    if (fclose(k->f)) bad = 1;
    k->f = NULL;
    if (bad || !k->text) {
        cache_key_free(k);
        return -1;
    }
    k->hash = fnv1a(FNV_INIT, k->text, k->len);
    return 0;
}

void cache_key_free(cache_key *k) {
    if (k->f) fclose(k->f);
    free(k->text);
    memset(k, 0, sizeof *k);
}

void cache_key_prefix(const cache_key *k, const char *name, char *out, size_t n) {
    char id[41];
    size_t j = 0;
    for (const char *p = name ? name : ""; *p && j < sizeof id - 1; p++)
        id[j++] = ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9')) ? *p : '_';
    id[j] = '\0';
    snprintf(out, n, "qnn_%s_%016llx", id, (unsigned long long)k->hash);
}

/* ---- the folder ---------------------------------------------------------------------- */

char *cache_default_dir(const char **why) {
    const char *q = getenv("QNN_CACHE_DIR"), *x = getenv("XDG_CACHE_HOME"), *h = getenv("HOME");
    if (q && *q) return strdup(q);
    if (x && x[0] == '/') return io_path_join(x, "qnn");
    if (h && *h) {
        char *cache = io_path_join(h, ".cache");
        char *d = cache ? io_path_join(cache, "qnn") : NULL;
        free(cache);
        return d;
    }
    if (why) *why = "QNN_CACHE_DIR, XDG_CACHE_HOME and HOME are not set";
    return NULL;
}

void cache_open(code_cache *c, const char *dir, const char *who) {
    memset(c, 0, sizeof *c);
    c->who = who ? who : "qnnc";
    c->dir = dir && *dir ? strdup(dir) : NULL;
}

void cache_close(code_cache *c) {
    free(c->dir);
    c->dir = NULL;
}

void cache_entry_path(const code_cache *c, const cache_key *k, char *out, size_t n) {
    snprintf(out, n, "%s/%016llx.qnncache", c->dir ? c->dir : "", (unsigned long long)k->hash);
}

/* ---- entries ------------------------------------------------------------------------- */

cache_result cache_lookup(code_cache *c, const cache_key *k, unsigned char **data, size_t *len,
                          char *note, size_t notelen) {
    *data = NULL;
    *len = 0;
    if (!c->dir) return CACHE_MISS;
    char path[4096 + 64], err[512];
    cache_entry_path(c, k, path, sizeof path);
    struct stat st;
    if (stat(path, &st) != 0) return CACHE_MISS; /* no entry (or no folder) yet */
    unsigned char *buf = NULL;
    size_t n = 0;
    /* io_read_file refuses FIFOs and devices without opening them for a blocking read */
    if (io_read_file(path, ENTRY_MAX, &buf, &n, err, sizeof err)) {
        snprintf(note, notelen, "cache entry %s cannot be read (%s)", path, err);
        return CACHE_CORRUPT;
    }
    size_t magic = strlen(ENTRY_MAGIC);
    unsigned long long klen = 0, dlen = 0, sum = 0;
    int used = 0;
    const char *why = NULL;
    if (n < magic || memcmp(buf, ENTRY_MAGIC, magic) != 0) why = "it does not start like a qnn cache entry";
    else if (sscanf((const char *)buf + magic, "%llu %llu %16llx\n%n", &klen, &dlen, &sum, &used) != 3 || !used)
        why = "its header is damaged";
    if (!why) {
        size_t head = magic + (size_t)used;
        /* sizes compared without overflow: each is at most n */
        if (klen > n || dlen > n || head + klen + dlen != n) {
            snprintf(note, notelen, "cache entry %s is truncated or damaged: %zu bytes, its header "
                                    "says %llu", path, n, (unsigned long long)(head + klen + dlen));
            free(buf);
            return CACHE_CORRUPT;
        }
        const unsigned char *key = buf + head, *obj = key + klen;
        uint64_t h = fnv1a(fnv1a(FNV_INIT, key, (size_t)klen), obj, (size_t)dlen);
        if (h != sum) why = "its checksum does not match its contents";
        else if (klen != k->len || memcmp(key, k->text, k->len) != 0) {
            free(buf); /* an entry of another key with the same hash: replaced by the store */
            return CACHE_MISS;
        } else {
            memmove(buf, obj, (size_t)dlen);
            *data = buf;
            *len = (size_t)dlen;
            return CACHE_HIT;
        }
    }
    snprintf(note, notelen, "cache entry %s is damaged: %s", path, why);
    free(buf);
    return CACHE_CORRUPT;
}

static void store_failed(code_cache *c, const char *what) {
    if (!c->store_failed)
        fprintf(stderr, "%s: warning: compiled-code cache: %s; continuing without caching\n",
                c->who, what);
    c->store_failed = 1;
}

/* The folder, its last level private: an entry is code that qnnc will run. */
static int make_dir(code_cache *c, char *err, size_t errlen) {
    struct stat st;
    if (stat(c->dir, &st) == 0) {
        if (S_ISDIR(st.st_mode)) return 0;
        snprintf(err, errlen, "%s exists and is not a folder", c->dir);
        return -1;
    }
    if (io_mkdir_parent(c->dir, err, errlen)) return -1;
    if (mkdir(c->dir, 0700) != 0 && errno != EEXIST) { /* EEXIST: a concurrent run made it */
        snprintf(err, errlen, "%s: cannot create the folder: %s", c->dir, strerror(errno));
        return -1;
    }
    return 0;
}

int cache_store(code_cache *c, const cache_key *k, const void *data, size_t len) {
    if (!c->dir || c->store_failed) return -1;
    char path[4096 + 64], err[1024], head[96];
    if (make_dir(c, err, sizeof err)) {
        store_failed(c, err);
        return -1;
    }
    cache_entry_path(c, k, path, sizeof path);
    uint64_t h = fnv1a(fnv1a(FNV_INIT, k->text, k->len), data, len);
    int hn = snprintf(head, sizeof head, "%s%zu %zu %016llx\n", ENTRY_MAGIC, k->len, len, (unsigned long long)h);
    io_atomic a;
    if (io_atomic_open(&a, path, err, sizeof err)) {
        store_failed(c, err);
        return -1;
    }
    int ok = fwrite(head, 1, (size_t)hn, a.fp) == (size_t)hn && fwrite(k->text, 1, k->len, a.fp) == k->len &&
             fwrite(data, 1, len, a.fp) == len;
    if (!ok) {
        io_atomic_abort(&a);
        store_failed(c, "writing an entry failed");
        return -1;
    }
    if (io_atomic_commit(&a, err, sizeof err)) {
        store_failed(c, err);
        return -1;
    }
    return 0;
}

void cache_remove(code_cache *c, const cache_key *k) {
    char path[4096 + 64];
    if (!c->dir) return;
    cache_entry_path(c, k, path, sizeof path);
    unlink(path);
}
