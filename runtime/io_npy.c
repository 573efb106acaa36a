/* io_npy: the .npy reader and writer. The header is a Python dict literal; it is parsed here by
 * a small grammar of exactly what NumPy writes (no general literal evaluator), with every
 * length bounded before it is used, so that a hostile header can only be refused. */
#include "io_npy.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io_file.h"

static const unsigned char MAGIC[6] = {0x93, 'N', 'U', 'M', 'P', 'Y'};

typedef struct {
    const char *p, *end;
} cursor;

static void skip_ws(cursor *c) {
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\t')) c->p++;
}

static int eat(cursor *c, char ch) {
    skip_ws(c);
    if (c->p < c->end && *c->p == ch) {
        c->p++;
        return 1;
    }
    return 0;
}

/* A quoted Python string without escapes (NumPy's keys and descrs have none) into out. */
static int read_string(cursor *c, char *out, size_t cap) {
    skip_ws(c);
    if (c->p >= c->end || (*c->p != '\'' && *c->p != '"')) return -1;
    char q = *c->p++;
    size_t n = 0;
    while (c->p < c->end && *c->p != q) {
        if (*c->p == '\\' || n + 1 >= cap) return -1;
        out[n++] = *c->p++;
    }
    if (c->p >= c->end) return -1;
    c->p++;
    out[n] = '\0';
    return 0;
}

/* A non-negative decimal integer without leading zeros, at most 2^40 (far above any array
 * the size check below lets through, and far below int64 overflow). */
static int read_int(cursor *c, int64_t *v) {
    skip_ws(c);
    if (c->p >= c->end || *c->p < '0' || *c->p > '9') return -1;
    if (*c->p == '0' && c->p + 1 < c->end && c->p[1] >= '0' && c->p[1] <= '9') return -1;
    int64_t x = 0;
    while (c->p < c->end && *c->p >= '0' && *c->p <= '9') {
        x = 10 * x + (*c->p++ - '0');
        if (x > ((int64_t)1 << 40)) return -1;
    }
    *v = x;
    return 0;
}

/* '(' [int {',' int} [',']] ')', where one element needs its comma, as in Python. */
static int read_shape(cursor *c, io_npy *a) {
    if (!eat(c, '(')) return -1;
    a->ndim = 0;
    if (eat(c, ')')) return 0;
    int commas = 0;
    for (;;) {
        if (a->ndim >= IO_NPY_MAX_DIMS) return -2;
        if (read_int(c, &a->shape[a->ndim++])) return -1;
        if (eat(c, ')')) break;
        if (!eat(c, ',')) return -1;
        commas++;
        if (eat(c, ')')) break;
    }
    return a->ndim == 1 && commas == 0 ? -1 : 0;
}

static int parse_header(const char *h, size_t len, io_npy *a, int accept_u8, const char *path,
                        char *err, size_t errlen) {
    cursor c = {h, h + len};
    int have_descr = 0, have_order = 0, have_shape = 0;
    if (!eat(&c, '{')) goto bad;
    while (!eat(&c, '}')) {
        char key[32], val[32];
        if (read_string(&c, key, sizeof key) || !eat(&c, ':')) goto bad;
        if (strcmp(key, "descr") == 0 && !have_descr++) {
            if (read_string(&c, val, sizeof val)) goto bad;
            if (strcmp(val, "<f8") == 0) a->f32 = 0;
            else if (strcmp(val, "<f4") == 0) a->f32 = 1;
            else if (accept_u8 && (strcmp(val, "|u1") == 0 || strcmp(val, "<u1") == 0)) a->u8 = 1;
            else {
                io_errf(err, errlen, "%s: dtype '%s' is not supported: store float64 or float32 "
                        "(little-endian, '<f8' or '<f4')%s, e.g. np.save(path, a.astype(np.float64))",
                        path, val, accept_u8 ? " or uint8 ('|u1')" : "");
                return -1;
            }
        } else if (strcmp(key, "fortran_order") == 0 && !have_order++) {
            skip_ws(&c);
            if ((size_t)(c.end - c.p) >= 5 && memcmp(c.p, "False", 5) == 0) c.p += 5;
            else if ((size_t)(c.end - c.p) >= 4 && memcmp(c.p, "True", 4) == 0) {
                io_errf(err, errlen, "%s: the array is in Fortran order; save a C-order array "
                        "(np.ascontiguousarray)", path);
                return -1;
            } else goto bad;
        } else if (strcmp(key, "shape") == 0 && !have_shape++) {
            int rc = read_shape(&c, a);
            if (rc == -2) {
                io_errf(err, errlen, "%s: more than %d dimensions", path, IO_NPY_MAX_DIMS);
                return -1;
            }
            if (rc) goto bad;
        } else {
            io_errf(err, errlen, "%s: the header has an unknown or repeated key '%s' (expected "
                    "'descr', 'fortran_order' and 'shape' once each)", path, key);
            return -1;
        }
        if (!eat(&c, ',')) {
            if (!eat(&c, '}')) goto bad;
            break;
        }
    }
    /* NumPy pads the dict with spaces and ends it with a newline; nothing else may follow. */
    while (c.p < c.end && (*c.p == ' ' || *c.p == '\t' || *c.p == '\n' || *c.p == '\r')) c.p++;
    if (c.p != c.end) goto bad;
    if (!have_descr || !have_order || !have_shape) {
        io_errf(err, errlen, "%s: the header lacks '%s'", path,
                !have_descr ? "descr" : !have_order ? "fortran_order" : "shape");
        return -1;
    }
    return 0;
bad:
    io_errf(err, errlen, "%s: the header is not a .npy dict such as {'descr': '<f8', "
            "'fortran_order': False, 'shape': (3, 2), } (byte %zu of the header)", path,
            (size_t)(c.p - h));
    return -1;
}

static uint32_t le32(const unsigned char *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static int read_npy(const char *path, io_npy *a, int accept_u8, char *err, size_t errlen) {
    memset(a, 0, sizeof *a);
    unsigned char *buf = NULL;
    size_t len = 0;
    if (io_read_file(path, IO_NPY_MAX_BYTES, &buf, &len, err, errlen)) return -1;
    size_t hdr_at, hdr_len;
    if (len < 10 || memcmp(buf, MAGIC, 6) != 0) {
        io_errf(err, errlen, "%s: not a .npy file (no \\x93NUMPY magic)", path);
        goto fail;
    }
    if (buf[6] == 1 && buf[7] == 0) {
        hdr_at = 10;
        hdr_len = (size_t)buf[8] | (size_t)buf[9] << 8;
    } else if ((buf[6] == 2 || buf[6] == 3) && buf[7] == 0 && len >= 12) {
        hdr_at = 12;
        hdr_len = le32(buf + 8);
    } else {
        io_errf(err, errlen, "%s: .npy format version %u.%u is not supported (1.0, 2.0, 3.0)", path,
                buf[6], buf[7]);
        goto fail;
    }
    if (hdr_len > IO_NPY_MAX_HEADER || hdr_len > len - hdr_at) {
        io_errf(err, errlen, "%s: the header length %zu runs past the file (%zu bytes) or over "
                "%d bytes", path, hdr_len, len, IO_NPY_MAX_HEADER);
        goto fail;
    }
    for (size_t i = 0; i < hdr_len; i++)
        if (buf[hdr_at + i] < 0x20 && buf[hdr_at + i] != '\n' && buf[hdr_at + i] != '\r' && buf[hdr_at + i] != '\t') {
            io_errf(err, errlen, "%s: the header has a control byte at %zu", path, i);
            goto fail;
        } else if (buf[hdr_at + i] >= 0x7f) {
            io_errf(err, errlen, "%s: the header is not ASCII (byte %zu)", path, i);
            goto fail;
        }
    if (parse_header((const char *)buf + hdr_at, hdr_len, a, accept_u8, path, err, errlen)) goto fail;
    /* Every dimension <= 2^40 and the file <= 4 GiB: stop multiplying as soon as the product
     * exceeds what the file could hold, so that it never overflows. */
    size_t data_at = hdr_at + hdr_len, have = len - data_at, elem = a->u8 ? 1 : a->f32 ? 4 : 8;
    size_t count = 1;
    int too_big = 0;
    for (int d = 0; d < a->ndim; d++) count = a->shape[d] == 0 ? 0 : count;
    for (int d = 0; d < a->ndim && count; d++) {
        if ((uint64_t)a->shape[d] > (uint64_t)(IO_NPY_MAX_BYTES / count)) too_big = 1;
        else count *= (size_t)a->shape[d];
    }
    if (too_big || count > have / elem || count * elem != have) {
        if (too_big)
            io_errf(err, errlen, "%s: the shape says more than %zu values, the file holds %zu bytes "
                    "of data", path, IO_NPY_MAX_BYTES / elem, have);
        else
            io_errf(err, errlen, "%s: the shape says %zu values (%zu bytes), the file holds %zu "
                    "bytes of data", path, count, count * elem, have);
        goto fail;
    }
    a->count = count;
    a->data = malloc(sizeof(double) * (count ? count : 1));
    if (!a->data) {
        io_errf(err, errlen, "%s: out of memory for %zu values", path, count);
        goto fail;
    }
    const unsigned char *p = buf + data_at;
    for (size_t i = 0; i < count; i++) {
        double v;
        if (a->u8) {
            v = p[i];
        } else if (a->f32) {
            uint32_t u = le32(p + 4 * i);
            float f;
            memcpy(&f, &u, 4);
            v = f;
        } else {
            uint64_t u = (uint64_t)le32(p + 8 * i) | (uint64_t)le32(p + 8 * i + 4) << 32;
            memcpy(&v, &u, 8);
        }
        if (!isfinite(v)) {
            io_errf(err, errlen, "%s: value %zu (flat index, C order) is not a finite number", path, i);
            goto fail;
        }
        a->data[i] = v;
    }
    free(buf);
    return 0;
fail:
    free(buf);
    io_npy_free(a);
    return -1;
}

int io_npy_read(const char *path, io_npy *a, char *err, size_t errlen) {
    return read_npy(path, a, 0, err, errlen);
}

int io_npy_read_u8ok(const char *path, io_npy *a, char *err, size_t errlen) {
    return read_npy(path, a, 1, err, errlen);
}

void io_npy_free(io_npy *a) {
    if (!a) return;
    free(a->data);
    memset(a, 0, sizeof *a);
}

int io_npy_write(const char *path, int ndim, const int64_t *shape, const double *data, int f32,
                 char *err, size_t errlen) {
    if (ndim < 0 || ndim > IO_NPY_MAX_DIMS) {
        io_errf(err, errlen, "%s: %d dimensions (0..%d)", path, ndim, IO_NPY_MAX_DIMS);
        return -1;
    }
    char dict[512];
    int n = snprintf(dict, sizeof dict, "{'descr': '%s', 'fortran_order': False, 'shape': (",
                     f32 ? "<f4" : "<f8");
    size_t count = 1;
    for (int d = 0; d < ndim; d++) {
        if (shape[d] < 0) {
            io_errf(err, errlen, "%s: a negative dimension", path);
            return -1;
        }
        count *= (size_t)shape[d];
        n += snprintf(dict + n, sizeof dict - (size_t)n, "%s%lld", d ? ", " : "", (long long)shape[d]);
    }
    n += snprintf(dict + n, sizeof dict - (size_t)n, "%s), }", ndim == 1 ? "," : "");
    /* magic + version + length + dict + padding + '\n' is a multiple of 64, as NumPy writes */
    size_t total = 10 + (size_t)n + 1;
    size_t pad = (64 - total % 64) % 64, hdr = (size_t)n + pad + 1, elem = f32 ? 4 : 8;
    size_t bytes = 10 + hdr + count * elem;
    unsigned char *buf = malloc(bytes);
    if (!buf) {
        io_errf(err, errlen, "%s: out of memory", path);
        return -1;
    }
    memcpy(buf, MAGIC, 6);
    buf[6] = 1, buf[7] = 0, buf[8] = (unsigned char)(hdr & 0xff), buf[9] = (unsigned char)(hdr >> 8);
    memcpy(buf + 10, dict, (size_t)n);
    memset(buf + 10 + n, ' ', pad);
    buf[10 + hdr - 1] = '\n';
    unsigned char *p = buf + 10 + hdr;
    for (size_t i = 0; i < count; i++) {
        uint64_t u;
        int nb = f32 ? 4 : 8;
        if (f32) {
            float f = (float)data[i];
            uint32_t v;
            memcpy(&v, &f, 4);
            u = v;
        } else {
            memcpy(&u, &data[i], 8);
        }
        for (int b = 0; b < nb; b++) p[nb * i + (size_t)b] = (unsigned char)(u >> (8 * b));
    }
    int rc = io_write_file_atomic(path, buf, bytes, err, errlen);
    free(buf);
    return rc;
}
