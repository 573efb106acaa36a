/* rt_imageset: image sets from scikit-learn's digits CSV (plain or gzip) and NumPy arrays.
 * The readers are io_csv and io_npy; this file adds the layout rules and the range checks,
 * so that a set either loads with every pixel in [0, 1] or is refused with the reason. */
#include "rt_imageset.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "io_csv.h"
#include "io_file.h"
#include "io_npy.h"

#define DIGITS_SIDE 8
#define DIGITS_COLS (DIGITS_SIDE * DIGITS_SIDE + 1)
#define DIGITS_MAXVAL 16.0

static int ends_with(const char *s, const char *tail) {
    size_t n = strlen(s), k = strlen(tail);
    return n >= k && strcmp(s + n - k, tail) == 0;
}

void rt_imageset_free(rt_imageset *s) {
    if (!s) return;
    free(s->pix);
    free(s->labels);
    memset(s, 0, sizeof *s);
}

static int alloc_set(rt_imageset *s, int n, int h, int w, int c, int with_labels,
                     const char *path, char *err, size_t errlen) {
    s->n = n, s->h = h, s->w = w, s->c = c;
    size_t count = (size_t)n * (size_t)h * (size_t)w * (size_t)c;
    s->pix = malloc(sizeof(double) * count);
    s->labels = with_labels ? malloc(sizeof(int) * (size_t)n) : NULL;
    if (!s->pix || (with_labels && !s->labels)) {
        io_errf(err, errlen, "%s: out of memory for %zu pixels", path, count);
        return -1;
    }
    return 0;
}

/* The whole decompressed text of a gzip file, NUL-terminated; a file cut short (no gzip
 * trailer) is refused as truncated rather than read as fewer digits. */
static int read_gzip(const char *path, char **text, size_t *len, char *err, size_t errlen) {
    *text = NULL;
    *len = 0;
    FILE *fp = io_fopen_input(path, err, errlen);
    if (!fp) return -1;
    /* zlib owns (and closes) its own copy of the descriptor; fp is closed as usual. */
    int fd = dup(fileno(fp));
    gzFile gz = fd < 0 ? NULL : gzdopen(fd, "rb");
    if (!gz) {
        if (fd >= 0) close(fd);
        fclose(fp);
        io_errf(err, errlen, "%s: out of memory opening the gzip stream", path);
        return -1;
    }
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap + 1);
    int rc = -1;
    if (!buf) {
        io_errf(err, errlen, "%s: out of memory", path);
        goto done;
    }
    for (;;) {
        if (n == cap) {
            if (cap >= IO_CSV_MAX_BYTES) {
                io_errf(err, errlen, "%s: decompresses to more than %zu bytes", path,
                        IO_CSV_MAX_BYTES);
                goto done;
            }
            char *nb = realloc(buf, 2 * cap + 1);
            if (!nb) {
                io_errf(err, errlen, "%s: out of memory decompressing", path);
                goto done;
            }
            buf = nb;
            cap *= 2;
        }
        unsigned want = (unsigned)(cap - n > (1u << 30) ? (1u << 30) : cap - n);
        int got = gzread(gz, buf + n, want);
        if (got < 0) {
            int code;
            const char *msg = gzerror(gz, &code);
            io_errf(err, errlen, "%s: not a valid gzip file (%s)", path,
                    code == Z_BUF_ERROR ? "truncated" : msg);
            goto done;
        }
        if (got == 0) break;
        n += (size_t)got;
    }
    /* gzread returns 0 at a missing trailer too; gzerror then reports Z_BUF_ERROR. */
    int code;
    gzerror(gz, &code);
    if (code != Z_OK) {
        io_errf(err, errlen, "%s: the gzip stream is truncated", path);
        goto done;
    }
    buf[n] = '\0';
    *text = buf;
    *len = n;
    buf = NULL;
    rc = 0;
done:
    free(buf);
    gzclose(gz);
    fclose(fp);
    return rc;
}

static int load_digits_csv(const char *path, rt_imageset *out, char *err, size_t errlen) {
    io_csv t;
    int rc;
    if (ends_with(path, ".gz")) {
        char *text;
        size_t len;
        if (read_gzip(path, &text, &len, err, errlen)) return -1;
        rc = io_csv_parse(path, text, len, IO_CSV_HEADER_AUTO, &t, err, errlen);
        free(text);
    } else {
        rc = io_csv_read(path, IO_CSV_HEADER_AUTO, &t, err, errlen);
    }
    if (rc) return -1;
    rc = -1;
    if (t.cols != DIGITS_COLS) {
        io_errf(err, errlen, "%s: %zu columns, expected %d (the 64 pixels of an 8 x 8 digit, "
                "then its label)", path, t.cols, DIGITS_COLS);
        goto done;
    }
    if (t.rows > (size_t)INT32_MAX / (DIGITS_COLS - 1)) {
        io_errf(err, errlen, "%s: too many rows (%zu)", path, t.rows);
        goto done;
    }
    /* scikit-learn's file has no header and counts ink 0..16; the fetched digits.csv has a
     * header and is already scaled. The header decides, never the values. */
    int raw = t.names == NULL;
    for (int j = 0; !raw && j < DIGITS_COLS; j++) {
        char want[16];
        snprintf(want, sizeof want, j < DIGITS_COLS - 1 ? "p%d" : "label", j);
        if (strcmp(t.names[j], want) != 0) {
            io_errf(err, errlen, "%s: the first row is neither numbers nor the header p0,...,p63,"
                    "label (field %d is '%.40s', expected '%s')", path, j + 1, t.names[j], want);
            goto done;
        }
    }
    if (alloc_set(out, (int)t.rows, DIGITS_SIDE, DIGITS_SIDE, 1, 1, path, err, errlen)) goto done;
    for (size_t r = 0; r < t.rows; r++) {
        const double *row = t.data + r * t.cols;
        for (int j = 0; j < DIGITS_COLS - 1; j++) {
            double v = row[j];
            if (raw ? (v < 0 || v > DIGITS_MAXVAL || v != floor(v)) : (v < 0 || v > 1)) {
                io_errf(err, errlen, "%s: data row %zu, pixel %d is %.17g: expected %s", path, r + 1,
                        j, v, raw ? "an integer 0..16 (scikit-learn's digits; a file with a "
                        "header row holds pixels in [0, 1])" : "a value in [0, 1]");
                goto done;
            }
            out->pix[r * (DIGITS_COLS - 1) + (size_t)j] = raw ? v / DIGITS_MAXVAL : v;
        }
        double lab = row[DIGITS_COLS - 1];
        if (lab < 0 || lab > RT_IMAGESET_MAX_LABEL || lab != floor(lab)) {
            io_errf(err, errlen, "%s: data row %zu, the label is %.17g: expected an integer 0..%d",
                    path, r + 1, lab, RT_IMAGESET_MAX_LABEL);
            goto done;
        }
        out->labels[r] = (int)lab;
    }
    rc = 0;
done:
    io_csv_free(&t);
    return rc;
}

static int load_npy(const char *path, rt_imageset *out, char *err, size_t errlen) {
    io_npy a;
    if (io_npy_read_u8ok(path, &a, err, errlen)) return -1;
    int rc = -1;
    if (a.ndim != 3 && a.ndim != 4) {
        io_errf(err, errlen, "%s: %d dimensions, expected (n, h, w) or (n, h, w, c)", path, a.ndim);
        goto done;
    }
    int64_t c = a.ndim == 4 ? a.shape[3] : 1;
    if (a.shape[0] < 1 || a.shape[1] < 1 || a.shape[2] < 1 || c < 1) {
        io_errf(err, errlen, "%s: an empty image set (shape has a 0)", path);
        goto done;
    }
    if (a.shape[1] > RT_IMAGESET_MAX_SIDE || a.shape[2] > RT_IMAGESET_MAX_SIDE ||
        c > RT_IMAGESET_MAX_CHANNELS) {
        io_errf(err, errlen, "%s: images of %lld x %lld x %lld: at most %d x %d pixels and %d "
                "channels", path, (long long)a.shape[1], (long long)a.shape[2], (long long)c,
                RT_IMAGESET_MAX_SIDE, RT_IMAGESET_MAX_SIDE, RT_IMAGESET_MAX_CHANNELS);
        goto done;
    }
    if (a.count > RT_IMAGESET_MAX_VALUES) {
        io_errf(err, errlen, "%s: %zu values, at most %zu", path, a.count, RT_IMAGESET_MAX_VALUES);
        goto done;
    }
    for (size_t i = 0; i < a.count; i++)
        if (!a.u8 && (a.data[i] < 0 || a.data[i] > 1)) {
            size_t per = a.count / (size_t)a.shape[0];
            io_errf(err, errlen, "%s: image %zu, value %zu is %.17g: float pixels must lie in "
                    "[0, 1] (or store uint8 0..255)", path, i / per, i % per, a.data[i]);
            goto done;
        }
    if (alloc_set(out, (int)a.shape[0], (int)a.shape[1], (int)a.shape[2], (int)c, 0, path, err,
                  errlen))
        goto done;
    for (size_t i = 0; i < a.count; i++) out->pix[i] = a.u8 ? a.data[i] / 255.0 : a.data[i];
    rc = 0;
done:
    io_npy_free(&a);
    return rc;
}

int rt_imageset_load(const char *path, rt_imageset *out, char *err, size_t errlen) {
    memset(out, 0, sizeof *out);
    int rc;
    if (ends_with(path, ".csv.gz") || ends_with(path, ".csv")) {
        rc = load_digits_csv(path, out, err, errlen);
    } else if (ends_with(path, ".npy")) {
        rc = load_npy(path, out, err, errlen);
    } else {
        io_errf(err, errlen, "%s: not an image set (expected .csv.gz or .csv of scikit-learn's "
                "digits, or .npy)", path);
        return -1;
    }
    if (rc) rt_imageset_free(out);
    return rc;
}
