/* io_safetensors: the safetensors checkpoint format. The JSON header has a fixed schema, so
 * this file writes it and parses it itself (no JSON library), and checks it as strictly as
 * the reference implementation: a corrupt or hostile file gives a message, never a crash. */
#include "io_safetensors.h"

#include "rt_error.h"

#include "io_file.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char *const dtype_names[2] = {"F64", "F32"};
static const size_t dtype_sizes[2] = {8, 4};

size_t io_st_numel(const io_tensor *t) {
    size_t n = 1;
    for (int d = 0; d < t->ndim; d++) n *= (size_t)t->shape[d];
    return n;
}

/* A UTF-8 check (no overlongs, no surrogates, at most U+10FFFF): JSON text must be UTF-8. */
static int utf8_valid(const unsigned char *s, size_t n) {
    for (size_t i = 0; i < n;) {
        unsigned c = s[i];
        size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
        if (len == 0 || i + len > n) return 0;
        unsigned cp = len == 1 ? c : c & (0x3Fu >> (len - 1));
        for (size_t k = 1; k < len; k++) {
            if ((s[i + k] & 0xC0) != 0x80) return 0;
            cp = cp << 6 | (s[i + k] & 0x3F);
        }
        static const unsigned min_cp[5] = {0, 0, 0x80, 0x800, 0x10000};
        if (cp < min_cp[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
        i += len;
    }
    return 1;
}

/* Names and metadata in a hostile file may hold line breaks or terminal escapes (JSON's \n,
 * \u001b): a message quoting them stays one printable line. */
static void one_line(char *err) {
    for (; err && *err; err++)
        if ((unsigned char)*err < 0x20 || *err == 0x7f) *err = '?';
}

/* ---- writing ------------------------------------------------------------------------- */

typedef struct {
    char *p;
    size_t n, cap;
    int oom;
} sbuf;

static void sb_put(sbuf *b, const char *s, size_t n) {
    if (b->oom) return;
    if (b->n + n + 1 > b->cap) {
        size_t nc = b->cap ? b->cap : 256;
        while (b->n + n + 1 > nc) nc *= 2;
        char *q = realloc(b->p, nc);
        if (!q) {
            b->oom = 1;
            return;
        }
        b->p = q;
        b->cap = nc;
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = 0;
}

static void sb_printf(sbuf *b, const char *fmt, ...) IO_PRINTF(2, 3);
static void sb_printf(sbuf *b, const char *fmt, ...) {
    char tmp[64];
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (k > 0) sb_put(b, tmp, (size_t)k < sizeof tmp ? (size_t)k : sizeof tmp - 1);
}

/* A JSON string: quotes, backslashes and control characters escaped, UTF-8 kept. */
static void sb_json_str(sbuf *b, const char *s) {
    sb_put(b, "\"", 1);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') {
            char e[2] = {'\\', (char)c};
            sb_put(b, e, 2);
        } else if (c < 0x20) {
            sb_printf(b, "\\u%04x", c);
        } else {
            sb_put(b, (const char *)&c, 1);
        }
    }
    sb_put(b, "\"", 1);
}

static int check_name(const char *path, const char *what, const char *s, char *err,
                      size_t errlen) {
    if (!s || !*s) {
        io_errf(err, errlen, "%s: %s is empty", path, what);
        return -1;
    }
    if (!utf8_valid((const unsigned char *)s, strlen(s))) {
        io_errf(err, errlen, "%s: %s is not valid UTF-8", path, what);
        return -1;
    }
    return 0;
}

static void put_le(unsigned char *o, uint64_t v, size_t n) {
    for (size_t i = 0; i < n; i++) o[i] = (unsigned char)(v >> (8 * i));
}

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Names must be unique: sort pointers and compare neighbours (n log n, any n). */
static const char *first_duplicate(const char **v, size_t n) {
    qsort(v, n, sizeof *v, cmp_str);
    for (size_t i = 1; i < n; i++)
        if (strcmp(v[i - 1], v[i]) == 0) return v[i];
    return NULL;
}

static int check_unique(const char *path, const char *what, const char *const *names, size_t n,
                        char *err, size_t errlen) {
    if (n < 2) return 0;
    const char **v = malloc(n * sizeof *v);
    if (!v) {
        io_errf(err, errlen, "%s: out of memory", path);
        return -1;
    }
    memcpy(v, names, n * sizeof *v);
    const char *dup = first_duplicate(v, n);
    if (dup) io_errf(err, errlen, "%s: %s '%s' appears twice", path, what, dup);
    free(v);
    return dup ? -1 : 0;
}

/* Checks the caller's tensors and metadata before anything is written. */
static int check_inputs(const char *path, const io_tensor *tensors, size_t count,
                        const char *const *meta_keys, const char *const *meta_values,
                        size_t meta_count, char *err, size_t errlen) {
    uint64_t total = 0;
    for (size_t i = 0; i < count; i++) {
        const io_tensor *t = &tensors[i];
        if (check_name(path, "a tensor name", t->name, err, errlen) != 0) return -1;
        if (strcmp(t->name, "__metadata__") == 0) {
            io_errf(err, errlen, "%s: '__metadata__' is reserved, not a tensor name", path);
            return -1;
        }
        if ((t->dtype != IO_ST_F64 && t->dtype != IO_ST_F32) || t->ndim < 0 ||
            t->ndim > IO_ST_MAX_DIMS) {
            io_errf(err, errlen, "%s: tensor '%s': invalid dtype or rank", path, t->name);
            return -1;
        }
        uint64_t numel = 1;
        for (int d = 0; d < t->ndim; d++) {
            if (t->shape[d] < 0 ||
                (t->shape[d] > 0 && numel > (IO_ST_MAX_FILE / 8) / (uint64_t)t->shape[d])) {
                io_errf(err, errlen, "%s: tensor '%s': invalid or too large shape", path,
                        t->name);
                return -1;
            }
            numel *= (uint64_t)t->shape[d];
        }
        if (numel > 0 && !t->data) {
            io_errf(err, errlen, "%s: tensor '%s' has no data", path, t->name);
            return -1;
        }
        total += numel * dtype_sizes[t->dtype];
        if (total > IO_ST_MAX_FILE) {
            io_errf(err, errlen, "%s: tensors are larger than %llu bytes", path,
                    (unsigned long long)IO_ST_MAX_FILE);
            return -1;
        }
    }
    if (meta_count > 0 && (!meta_keys || !meta_values)) {
        io_errf(err, errlen, "%s: metadata keys or values missing", path);
        return -1;
    }
    for (size_t i = 0; i < meta_count; i++) {
        if (check_name(path, "a metadata key", meta_keys[i], err, errlen) != 0) return -1;
        if (!meta_values[i] ||
            !utf8_valid((const unsigned char *)meta_values[i], strlen(meta_values[i]))) {
            io_errf(err, errlen, "%s: metadata '%s': value missing or not UTF-8", path,
                    meta_keys[i]);
            return -1;
        }
    }
    const char **names = malloc((count ? count : 1) * sizeof *names);
    if (!names) {
        io_errf(err, errlen, "%s: out of memory", path);
        return -1;
    }
    for (size_t i = 0; i < count; i++) names[i] = tensors[i].name;
    int rc = check_unique(path, "tensor name", names, count, err, errlen);
    free(names);
    if (rc == 0) rc = check_unique(path, "metadata key", (const char **)meta_keys, meta_count,
                                   err, errlen);
    return rc;
}

/* The JSON header: metadata first (as the Python library writes it), then the tensors in
 * the caller's order, padded with spaces to a multiple of 8 bytes. */
static void build_header(sbuf *h, const io_tensor *tensors, size_t count,
                         const char *const *meta_keys, const char *const *meta_values,
                         size_t meta_count) {
    sb_put(h, "{", 1);
    if (meta_count > 0) {
        sb_put(h, "\"__metadata__\":{", 16);
        for (size_t i = 0; i < meta_count; i++) {
            if (i) sb_put(h, ",", 1);
            sb_json_str(h, meta_keys[i]);
            sb_put(h, ":", 1);
            sb_json_str(h, meta_values[i]);
        }
        sb_put(h, "}", 1);
    }
    uint64_t off = 0;
    for (size_t i = 0; i < count; i++) {
        const io_tensor *t = &tensors[i];
        if (i || meta_count) sb_put(h, ",", 1);
        sb_json_str(h, t->name);
        sb_printf(h, ":{\"dtype\":\"%s\",\"shape\":[", dtype_names[t->dtype]);
        for (int d = 0; d < t->ndim; d++)
            sb_printf(h, "%s%lld", d ? "," : "", (long long)t->shape[d]);
        uint64_t bytes = (uint64_t)io_st_numel(t) * dtype_sizes[t->dtype];
        sb_printf(h, "],\"data_offsets\":[%llu,%llu]}", (unsigned long long)off,
                  (unsigned long long)(off + bytes));
        off += bytes;
    }
    sb_put(h, "}", 1);
    while (h->n % 8 != 0) sb_put(h, " ", 1);
}

int io_st_write(const char *path, const io_tensor *tensors, size_t count,
                const char *const *meta_keys, const char *const *meta_values, size_t meta_count,
                char *err, size_t errlen) {
    if (check_inputs(path, tensors, count, meta_keys, meta_values, meta_count, err, errlen) != 0)
        return -1;
    sbuf h = {0};
    build_header(&h, tensors, count, meta_keys, meta_values, meta_count);
    if (h.oom) {
        io_errf(err, errlen, "%s: out of memory", path);
        free(h.p);
        return -1;
    }
    io_atomic a;
    if (io_atomic_open(&a, path, err, errlen) != 0) {
        free(h.p);
        return -1;
    }
    unsigned char len8[8], chunk[8192];
    put_le(len8, h.n, 8);
    int bad = fwrite(len8, 1, 8, a.fp) != 8 || fwrite(h.p, 1, h.n, a.fp) != h.n;
    free(h.p);
    for (size_t i = 0; i < count && !bad; i++) {
        const io_tensor *t = &tensors[i];
        size_t numel = io_st_numel(t), w = dtype_sizes[t->dtype], k = 0;
        for (size_t j = 0; j < numel && !bad; j++) {
            uint64_t bits;
            if (t->dtype == IO_ST_F64) {
                memcpy(&bits, &t->data[j], 8);
            } else {
                float x = (float)t->data[j];
                uint32_t b32;
                memcpy(&b32, &x, 4);
                bits = b32;
            }
            put_le(chunk + k, bits, w);
            k += w;
            if (k == sizeof chunk || j + 1 == numel) {
                bad = fwrite(chunk, 1, k, a.fp) != k;
                k = 0;
            }
        }
    }
    if (bad) {
        io_errf(err, errlen, "%s: cannot write: %s", path, strerror(errno));
        io_atomic_abort(&a);
        return -1;
    }
    return io_atomic_commit(&a, err, errlen);
}

/* ---- reading: a JSON parser for the fixed schema -------------------------------------- */

typedef struct {
    char *name;
    int dtype; /* index into dtype_names */
    int ndim;
    int64_t shape[IO_ST_MAX_DIMS];
    uint64_t begin, end, numel;
} st_entry;

typedef struct {
    const char *s;
    size_t n, i;
    char msg[240];
    st_entry *ents;
    size_t nent, capent;
    char **meta; /* key, value, key, value, ... */
    size_t nmeta, capmeta;
    int seen_meta;
} jp;

static int jfail(jp *p, const char *fmt, ...) IO_PRINTF(2, 3);
static int jfail(jp *p, const char *fmt, ...) {
    rt_error_note_if_oom(fmt); /* passed on as "%s: %s": counted here, where it is a fact */
    if (p->msg[0]) return -1; /* keep the first, most specific message */
    int k = snprintf(p->msg, sizeof p->msg, "header byte %zu: ", p->i);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->msg + k, sizeof p->msg - (size_t)k, fmt, ap);
    va_end(ap);
    return -1;
}

static void jws(jp *p) {
    while (p->i < p->n &&
           (p->s[p->i] == ' ' || p->s[p->i] == '\t' || p->s[p->i] == '\n' || p->s[p->i] == '\r'))
        p->i++;
}

static int jexpect(jp *p, char c) {
    jws(p);
    if (p->i < p->n && p->s[p->i] == c) {
        p->i++;
        return 0;
    }
    return jfail(p, "expected '%c'", c);
}

/* Peeks past whitespace: the next character, or 0 at the end. */
static char jpeek(jp *p) {
    jws(p);
    return p->i < p->n ? p->s[p->i] : 0;
}

static int hex4(jp *p, unsigned *v) {
    if (p->n - p->i < 4) return jfail(p, "truncated \\u escape");
    *v = 0;
    for (int k = 0; k < 4; k++) {
        char c = p->s[p->i++];
        unsigned d = c >= '0' && c <= '9' ? (unsigned)(c - '0')
                     : c >= 'a' && c <= 'f' ? (unsigned)(c - 'a' + 10)
                     : c >= 'A' && c <= 'F' ? (unsigned)(c - 'A' + 10) : 16u;
        if (d == 16) return jfail(p, "invalid \\u escape");
        *v = *v << 4 | d;
    }
    return 0;
}

/* Writes code point cp as UTF-8 at o; returns the byte count. */
static size_t utf8_put(char *o, unsigned cp) {
    if (cp < 0x80) return o[0] = (char)cp, 1;
    if (cp < 0x800) return o[0] = (char)(0xC0 | cp >> 6), o[1] = (char)(0x80 | (cp & 0x3F)), 2;
    size_t k = cp < 0x10000 ? 3 : 4;
    o[0] = (char)(k == 3 ? 0xE0 | cp >> 12 : 0xF0 | cp >> 18);
    for (size_t i = 1; i < k; i++) o[i] = (char)(0x80 | (cp >> (6 * (k - 1 - i)) & 0x3F));
    return k;
}

/* A JSON string into a new C string (escapes decoded; NUL is refused). */
static int jstring(jp *p, char **out) {
    *out = NULL;
    if (jexpect(p, '"') != 0) return -1;
    /* Find the closing quote first: the decoded text is never longer than the encoded. */
    size_t end = p->i;
    while (end < p->n && p->s[end] != '"') end += p->s[end] == '\\' ? 2 : 1;
    if (end >= p->n) return jfail(p, "unterminated string");
    char *b = malloc(end - p->i + 1);
    if (!b) return jfail(p, "out of memory");
    size_t n = 0;
    while (p->i < end) {
        unsigned char c = (unsigned char)p->s[p->i++];
        if (c < 0x20) {
            jfail(p, "control character in a string");
            goto fail;
        }
        if (c != '\\') {
            b[n++] = (char)c;
            continue;
        }
        static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
        char e = p->s[p->i++];
        const char *hit = e ? strchr(from, e) : NULL;
        if (hit) {
            b[n++] = to[hit - from];
            continue;
        }
        unsigned cp, lo;
        if (e != 'u') {
            jfail(p, "invalid escape in a string");
            goto fail;
        }
        if (hex4(p, &cp) != 0) goto fail;
        if (cp >= 0xD800 && cp <= 0xDBFF) { /* a pair: \uD8xx\uDCxx */
            if (p->n - p->i < 2 || p->s[p->i] != '\\' || p->s[p->i + 1] != 'u') {
                jfail(p, "unpaired surrogate in \\u escape");
                goto fail;
            }
            p->i += 2;
            if (hex4(p, &lo) != 0) goto fail;
            if (lo < 0xDC00 || lo > 0xDFFF) {
                jfail(p, "unpaired surrogate in \\u escape");
                goto fail;
            }
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
        } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
            jfail(p, "unpaired surrogate in \\u escape");
            goto fail;
        } else if (cp == 0) {
            jfail(p, "NUL character in a string");
            goto fail;
        }
        n += utf8_put(b + n, cp); /* at most 4 bytes for 6 or 12 of escape */
    }
    p->i = end + 1;
    b[n] = 0;
    *out = b;
    return 0;
fail:
    free(b);
    return -1;
}

/* A non-negative JSON integer below 2^63 (no sign, fraction or exponent). */
static int juint(jp *p, uint64_t *v) {
    jws(p);
    size_t start = p->i;
    *v = 0;
    while (p->i < p->n && p->s[p->i] >= '0' && p->s[p->i] <= '9') {
        unsigned d = (unsigned)(p->s[p->i] - '0');
        if (*v > (UINT64_C(0x7FFFFFFFFFFFFFFF) - d) / 10) return jfail(p, "integer too large");
        *v = *v * 10 + d;
        p->i++;
    }
    if (p->i == start) return jfail(p, "expected a non-negative integer");
    if (p->s[start] == '0' && p->i - start > 1) return jfail(p, "leading zero in an integer");
    if (p->i < p->n && strchr(".eE", p->s[p->i]) && p->s[p->i])
        return jfail(p, "expected an integer, not a fraction");
    return 0;
}

/* [ uint, ... ] with at most max items; *count gets the length. */
static int juint_array(jp *p, uint64_t *out, int max, int *count) {
    *count = 0;
    if (jexpect(p, '[') != 0) return -1;
    if (jpeek(p) == ']') {
        p->i++;
        return 0;
    }
    for (;;) {
        if (*count == max) return jfail(p, "more than %d items in an array", max);
        if (juint(p, &out[(*count)++]) != 0) return -1;
        char c = jpeek(p);
        p->i++;
        if (c == ']') return 0;
        if (c != ',') {
            p->i--;
            return jfail(p, "expected ',' or ']'");
        }
    }
}

/* {"dtype": "...", "shape": [...], "data_offsets": [b, e]} in any order, each once. */
static int jtensor(jp *p, st_entry *e) {
    int have[3] = {0, 0, 0};
    if (jexpect(p, '{') != 0) return -1;
    if (jpeek(p) != '}') {
        for (;;) {
            char *key;
            if (jstring(p, &key) != 0 || jexpect(p, ':') != 0) {
                free(key);
                return -1;
            }
            int f = strcmp(key, "dtype") == 0 ? 0 : strcmp(key, "shape") == 0 ? 1
                    : strcmp(key, "data_offsets") == 0 ? 2 : -1;
            if (f < 0 || have[f]) {
                jfail(p, f < 0 ? "unknown field '%.40s' in tensor '%.60s'"
                               : "field '%.40s' repeated in tensor '%.60s'", key, e->name);
                free(key);
                return -1;
            }
            free(key);
            have[f] = 1;
            if (f == 0) {
                char *dt;
                if (jstring(p, &dt) != 0) return -1;
                e->dtype = strcmp(dt, "F64") == 0 ? 0 : strcmp(dt, "F32") == 0 ? 1 : -1;
                if (e->dtype < 0) {
                    jfail(p, "tensor '%.60s': unsupported dtype '%.20s' (F64 and F32 are)",
                          e->name, dt);
                    free(dt);
                    return -1;
                }
                free(dt);
            } else if (f == 1) {
                uint64_t dims[IO_ST_MAX_DIMS];
                if (juint_array(p, dims, IO_ST_MAX_DIMS, &e->ndim) != 0) return -1;
                for (int d = 0; d < e->ndim; d++) e->shape[d] = (int64_t)dims[d];
            } else {
                uint64_t o[2];
                int k;
                if (juint_array(p, o, 2, &k) != 0) return -1;
                if (k != 2) return jfail(p, "tensor '%.60s': data_offsets needs 2 numbers", e->name);
                e->begin = o[0];
                e->end = o[1];
            }
            char c = jpeek(p);
            if (c == '}') break;
            if (jexpect(p, ',') != 0) return -1;
        }
    }
    p->i++;
    if (!have[0] || !have[1] || !have[2])
        return jfail(p, "tensor '%.60s' lacks '%s'", e->name,
                     !have[0] ? "dtype" : !have[1] ? "shape" : "data_offsets");
    return 0;
}

static int jmeta(jp *p) {
    if (p->seen_meta) return jfail(p, "'__metadata__' appears twice");
    p->seen_meta = 1;
    jws(p);
    if (p->n - p->i >= 4 && memcmp(p->s + p->i, "null", 4) == 0) {
        p->i += 4;
        return 0;
    }
    if (jexpect(p, '{') != 0) return -1;
    if (jpeek(p) == '}') {
        p->i++;
        return 0;
    }
    for (;;) {
        if (p->nmeta + 2 > p->capmeta) {
            size_t nc = p->capmeta ? 2 * p->capmeta : 16;
            char **m = realloc(p->meta, nc * sizeof *m);
            if (!m) return jfail(p, "out of memory");
            p->meta = m;
            p->capmeta = nc;
        }
        char **kv = p->meta + p->nmeta;
        kv[0] = kv[1] = NULL;
        p->nmeta += 2;
        if (jstring(p, &kv[0]) != 0 || jexpect(p, ':') != 0) return -1;
        if (jpeek(p) != '"') return jfail(p, "metadata '%.60s' is not a string", kv[0]);
        if (jstring(p, &kv[1]) != 0) return -1;
        char c = jpeek(p);
        if (c == '}') {
            p->i++;
            return 0;
        }
        if (jexpect(p, ',') != 0) return -1;
    }
}

static int jheader(jp *p) {
    if (p->n == 0 || p->s[0] != '{') return jfail(p, "the header must start with '{'");
    p->i = 1;
    if (jpeek(p) != '}') {
        for (;;) {
            char *key;
            if (jstring(p, &key) != 0) return -1;
            if (jexpect(p, ':') != 0) {
                free(key);
                return -1;
            }
            if (strcmp(key, "__metadata__") == 0) {
                free(key);
                if (jmeta(p) != 0) return -1;
            } else {
                if (p->nent == p->capent) {
                    size_t nc = p->capent ? 2 * p->capent : 16;
                    st_entry *e = realloc(p->ents, nc * sizeof *e);
                    if (!e) {
                        free(key);
                        return jfail(p, "out of memory");
                    }
                    p->ents = e;
                    p->capent = nc;
                }
                st_entry *e = &p->ents[p->nent++];
                memset(e, 0, sizeof *e);
                e->name = key;
                if (jtensor(p, e) != 0) return -1;
            }
            char c = jpeek(p);
            if (c == '}') break;
            if (jexpect(p, ',') != 0) return -1;
        }
    }
    p->i++;
    jws(p); /* trailing padding */
    if (p->i != p->n) return jfail(p, "unexpected text after the header object");
    return 0;
}

/* ---- reading: checks and data ---------------------------------------------------------- */

static int cmp_offsets(const void *a, const void *b) {
    const st_entry *x = *(const st_entry *const *)a, *y = *(const st_entry *const *)b;
    if (x->begin != y->begin) return x->begin < y->begin ? -1 : 1;
    return x->end < y->end ? -1 : x->end > y->end;
}

/* Shapes, sizes and offsets: each range matches dtype * shape, and sorted by offset the
 * ranges tile [0, data_len) exactly (no overlap, no gap), as the reference requires. */
static int check_layout(jp *p, uint64_t data_len, st_entry **order) {
    /* Names first: a repeated tensor also overlaps itself, and its name is the better message. */
    int rc;
    const char **names = malloc((p->nent ? p->nent : 1) * sizeof *names);
    if (!names) return jfail(p, "out of memory");
    for (size_t i = 0; i < p->nent; i++) names[i] = p->ents[i].name;
    const char *dup = first_duplicate(names, p->nent);
    rc = dup ? jfail(p, "tensor '%.60s' appears twice", dup) : 0;
    free(names);
    if (rc != 0) return rc;
    for (size_t i = 0; i < p->nent; i++) {
        st_entry *e = &p->ents[i];
        uint64_t numel = 1;
        for (int d = 0; d < e->ndim; d++) {
            uint64_t dim = (uint64_t)e->shape[d];
            if (dim != 0 && numel > IO_ST_MAX_FILE / dim)
                return jfail(p, "tensor '%.60s': shape is too large", e->name);
            numel *= dim;
        }
        e->numel = numel;
        uint64_t bytes = numel * dtype_sizes[e->dtype];
        if (e->end < e->begin || e->end - e->begin != bytes)
            return jfail(p, "tensor '%.60s': data_offsets [%llu, %llu] do not hold %llu values "
                         "of %s", e->name, (unsigned long long)e->begin,
                         (unsigned long long)e->end, (unsigned long long)numel,
                         dtype_names[e->dtype]);
        order[i] = e;
    }
    qsort(order, p->nent, sizeof *order, cmp_offsets);
    uint64_t at = 0;
    for (size_t i = 0; i < p->nent; i++) {
        if (order[i]->begin != at)
            return jfail(p, "tensor '%.60s' starts at %llu, expected %llu (%s)", order[i]->name,
                         (unsigned long long)order[i]->begin, (unsigned long long)at,
                         order[i]->begin < at ? "overlap" : "gap");
        at = order[i]->end;
    }
    if (at != data_len)
        return jfail(p, "the tensors hold %llu bytes, the file has %llu after the header",
                     (unsigned long long)at, (unsigned long long)data_len);
    if (rc != 0 || p->nmeta < 4) return rc;
    names = malloc(p->nmeta / 2 * sizeof *names);
    if (!names) return jfail(p, "out of memory");
    for (size_t i = 0; i < p->nmeta / 2; i++) names[i] = p->meta[2 * i];
    dup = first_duplicate(names, p->nmeta / 2);
    rc = dup ? jfail(p, "metadata '%.60s' appears twice", dup) : 0;
    free(names);
    return rc;
}

static void jp_free(jp *p) {
    for (size_t i = 0; i < p->nent; i++) free(p->ents[i].name);
    free(p->ents);
    for (size_t i = 0; i < p->nmeta; i++) free(p->meta[i]);
    free(p->meta);
}

/* Copies s into the block at *at; returns the copy. */
static const char *stash(char *block, size_t *at, const char *s) {
    size_t n = strlen(s) + 1;
    memcpy(block + *at, s, n);
    *at += n;
    return block + *at - n;
}

int io_st_read(const char *path, io_st_file *f, char *err, size_t errlen) {
    memset(f, 0, sizeof *f);
    /* A FIFO or device is refused at once: `eval --checkpoint FIFO` must not wait forever. */
    FILE *fp = io_fopen_input(path, err, errlen);
    if (!fp) return -1;
    jp p;
    memset(&p, 0, sizeof p);
    char *hdr = NULL;
    st_entry **order = NULL;
    int rc = -1;
    struct stat st;
    unsigned char len8[8];
    if (fstat(fileno(fp), &st) != 0 || !S_ISREG(st.st_mode)) {
        io_errf(err, errlen, "%s: not a regular file", path);
        goto done;
    }
    uint64_t size = (uint64_t)st.st_size;
    if (size > IO_ST_MAX_FILE + IO_ST_MAX_HEADER + 8) {
        io_errf(err, errlen, "%s: file is too large for a checkpoint (%llu bytes)", path,
                (unsigned long long)size);
        goto done;
    }
    if (fread(len8, 1, 8, fp) != 8) {
        io_errf(err, errlen, "%s: not a safetensors file (shorter than 8 bytes)", path);
        goto done;
    }
    uint64_t hlen = 0;
    for (int i = 7; i >= 0; i--) hlen = hlen << 8 | len8[i];
    if (hlen < 2 || hlen > IO_ST_MAX_HEADER || hlen > size - 8) {
        io_errf(err, errlen, "%s: not a safetensors file (header length %llu, file size %llu)",
                path, (unsigned long long)hlen, (unsigned long long)size);
        goto done;
    }
    hdr = malloc((size_t)hlen + 1);
    if (!hdr || fread(hdr, 1, (size_t)hlen, fp) != hlen) {
        io_errf(err, errlen, "%s: cannot read the %llu-byte header", path,
                (unsigned long long)hlen);
        goto done;
    }
    hdr[hlen] = 0;
    if (!utf8_valid((const unsigned char *)hdr, (size_t)hlen)) {
        io_errf(err, errlen, "%s: invalid safetensors header: not UTF-8", path);
        goto done;
    }
    p.s = hdr;
    p.n = (size_t)hlen;
    if (jheader(&p) != 0 ||
        !(order = malloc((p.nent ? p.nent : 1) * sizeof *order)) ||
        check_layout(&p, size - 8 - hlen, order) != 0) {
        if (!p.msg[0]) {
            rt_error_note_oom();
            snprintf(p.msg, sizeof p.msg, "out of memory");
        }
        io_errf(err, errlen, "%s: invalid safetensors header: %s", path, p.msg);
        goto done;
    }
    /* One block: values (8-aligned) first, then names and metadata strings. */
    size_t nvals = 0, nchars = 0;
    for (size_t i = 0; i < p.nent; i++) nvals += (size_t)p.ents[i].numel, nchars += strlen(p.ents[i].name) + 1;
    for (size_t i = 0; i < p.nmeta; i++) nchars += strlen(p.meta[i]) + 1;
    f->block_ = malloc(nvals * sizeof(double) + nchars + 1);
    f->tensors = calloc(p.nent ? p.nent : 1, sizeof *f->tensors);
    f->meta_keys = calloc(p.nmeta / 2 + 1, sizeof *f->meta_keys);
    f->meta_values = calloc(p.nmeta / 2 + 1, sizeof *f->meta_values);
    if (!f->block_ || !f->tensors || !f->meta_keys || !f->meta_values) {
        io_errf(err, errlen, "%s: out of memory for %zu values", path, nvals);
        goto done;
    }
    double *vals = (double *)(void *)f->block_;
    size_t at = nvals * sizeof(double), v = 0;
    for (size_t i = 0; i < p.nent; i++) {
        st_entry *e = &p.ents[i];
        io_tensor *t = &f->tensors[i];
        t->name = stash(f->block_, &at, e->name);
        t->dtype = e->dtype == 0 ? IO_ST_F64 : IO_ST_F32;
        t->ndim = e->ndim;
        memcpy(t->shape, e->shape, sizeof t->shape);
        t->data = vals + v;
        v += (size_t)e->numel;
    }
    for (size_t i = 0; i < p.nmeta / 2; i++) {
        f->meta_keys[i] = stash(f->block_, &at, p.meta[2 * i]);
        f->meta_values[i] = stash(f->block_, &at, p.meta[2 * i + 1]);
    }
    f->count = p.nent;
    f->meta_count = p.nmeta / 2;
    /* The data, tensor by tensor in file order (the ranges tile it, so one pass reads it). */
    for (size_t i = 0; i < p.nent; i++) {
        st_entry *e = order[i];
        double *dst = (double *)f->tensors[e - p.ents].data;
        size_t w = dtype_sizes[e->dtype];
        unsigned char chunk[8192];
        for (uint64_t j = 0; j < e->numel;) {
            size_t m = (size_t)(e->numel - j < sizeof chunk / w ? e->numel - j : sizeof chunk / w);
            if (fread(chunk, w, m, fp) != m) {
                io_errf(err, errlen, "%s: file is truncated in tensor '%s'", path, e->name);
                goto done;
            }
            for (size_t k = 0; k < m; k++) {
                uint64_t bits = 0;
                for (size_t b = w; b-- > 0;) bits = bits << 8 | chunk[k * w + b];
                if (w == 8) {
                    memcpy(&dst[j + k], &bits, 8);
                } else {
                    uint32_t b32 = (uint32_t)bits;
                    float x;
                    memcpy(&x, &b32, 4);
                    dst[j + k] = x;
                }
            }
            j += m;
        }
    }
    rc = 0;
done:
    if (rc != 0) {
        io_st_free(f);
        one_line(err);
    }
    free(order);
    free(hdr);
    jp_free(&p);
    fclose(fp);
    return rc;
}

void io_st_free(io_st_file *f) {
    if (!f) return;
    free(f->tensors);
    free(f->meta_keys);
    free(f->meta_values);
    free(f->block_);
    memset(f, 0, sizeof *f);
}

const io_tensor *io_st_find(const io_st_file *f, const char *name) {
    for (size_t i = 0; i < f->count; i++)
        if (strcmp(f->tensors[i].name, name) == 0) return &f->tensors[i];
    return NULL;
}

const char *io_st_meta(const io_st_file *f, const char *key) {
    for (size_t i = 0; i < f->meta_count; i++)
        if (strcmp(f->meta_keys[i], key) == 0) return f->meta_values[i];
    return NULL;
}

/* ---- validation ------------------------------------------------------------------------ */

static const io_st_expect *find_expect(const io_st_expect *want, size_t n, const char *name) {
    for (size_t i = 0; i < n; i++)
        if (strcmp(want[i].name, name) == 0) return &want[i];
    return NULL;
}

/* "[2, 8]" into buf (a scalar is "[]"). */
static const char *shape_str(char *buf, size_t len, int ndim, const int64_t *shape) {
    size_t at = 0;
    at += (size_t)snprintf(buf, len, "[");
    for (int d = 0; d < ndim && at < len; d++)
        at += (size_t)snprintf(buf + at, len - at, "%s%lld", d ? ", " : "", (long long)shape[d]);
    if (at < len) snprintf(buf + at, len - at, "]");
    return buf;
}

static int check_tensors(const io_st_file *f, const char *path, const io_st_expect *want,
                         size_t n, char *err, size_t errlen) {
    for (size_t i = 0; i < n; i++) {
        const io_tensor *t = io_st_find(f, want[i].name);
        if (!t) {
            if (want[i].optional) continue;
            io_errf(err, errlen, "%s: no tensor `%s`: the checkpoint is of another model", path,
                    want[i].name);
            return -1;
        }
        if (want[i].ndim < 0) continue;
        if (t->dtype != want[i].dtype) {
            io_errf(err, errlen, "%s: tensor `%s` is %s, the model stores %s", path, t->name,
                    dtype_names[t->dtype], dtype_names[want[i].dtype]);
            return -1;
        }
        int same = t->ndim == want[i].ndim;
        for (int d = 0; same && d < t->ndim; d++) same = t->shape[d] == want[i].shape[d];
        if (!same) {
            char a[160], b[160];
            io_errf(err, errlen, "%s: tensor `%s` has shape %s, the model needs %s", path,
                    t->name, shape_str(a, sizeof a, t->ndim, t->shape),
                    shape_str(b, sizeof b, want[i].ndim, want[i].shape));
            return -1;
        }
    }
    for (size_t i = 0; i < f->count; i++) {
        const io_tensor *t = &f->tensors[i];
        if (!find_expect(want, n, t->name)) {
            io_errf(err, errlen, "%s: unknown tensor `%.100s`: the checkpoint is of another model",
                    path, t->name);
            return -1;
        }
        size_t numel = io_st_numel(t);
        for (size_t k = 0; k < numel; k++)
            if (!isfinite(t->data[k])) {
                io_errf(err, errlen, "%s: tensor `%s` holds %s at index %zu: the checkpoint is "
                        "corrupt or was written by a diverged run", path, t->name,
                        isnan(t->data[k]) ? "NaN" : t->data[k] > 0 ? "+Inf" : "-Inf", k);
                return -1;
            }
    }
    return 0;
}

int io_st_check(const io_st_file *f, const char *path, const io_st_expect *want, size_t n,
                char *err, size_t errlen) {
    int rc = check_tensors(f, path, want, n, err, errlen);
    if (rc) one_line(err);
    return rc;
}

int io_st_check_meta_keys(const io_st_file *f, const char *path, const char *const *allowed,
                          size_t n, char *err, size_t errlen) {
    for (size_t i = 0; i < f->meta_count; i++) {
        size_t k = 0;
        while (k < n && strcmp(allowed[k], f->meta_keys[i]) != 0) k++;
        if (k == n) {
            io_errf(err, errlen, "%s: unknown metadata field `%.100s`", path, f->meta_keys[i]);
            one_line(err);
            return -1;
        }
    }
    return 0;
}

int io_st_meta_int(const io_st_file *f, const char *path, const char *key, long long lo,
                   long long hi, long long *v, char *err, size_t errlen) {
    const char *s = io_st_meta(f, key);
    if (!s) return 1;
    /* Digits only (atoi takes anything, strtoll blanks, '+' and trailing text). */
    int neg = *s == '-', digits = 1, big = 0;
    const char *p = s + neg;
    if (!*p || (p[0] == '0' && p[1])) digits = 0; /* empty, or a leading zero */
    long long x = 0;
    for (; digits && !big && *p; p++) {
        int d = *p - '0';
        if (d < 0 || d > 9) digits = 0;
        else if (x > (LLONG_MAX - d) / 10) big = 1;
        else x = x * 10 + d;
    }
    if (neg) x = -x;
    if (!digits || big || x < lo || x > hi) {
        io_errf(err, errlen, "%s: metadata field `%s` is \"%.40s%s\": expected a whole number "
                "from %lld to %lld", path, key, s, strlen(s) > 40 ? "..." : "", lo, hi);
        one_line(err);
        return -1;
    }
    *v = x;
    return 0;
}
