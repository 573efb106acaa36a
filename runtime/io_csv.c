/* io_csv: a strict numeric CSV reader (every error names FILE:LINE:COLUMN) and an atomic
 * writer whose numbers read back bit for bit. */
#include "io_csv.h"

#include "io_file.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

void io_csv_free(io_csv *t) {
    if (!t) return;
    if (t->names)
        for (size_t i = 0; i < t->cols; i++) free(t->names[i]);
    free(t->names);
    free(t->data);
    memset(t, 0, sizeof *t);
}

/* One field of a line: [b, e) after trimming blanks and quotes; col is its 1-based column. */
typedef struct {
    char *b, *e;
    size_t col;
} field;

static int is_blank(char c) { return c == ' ' || c == '\t'; }

/* Splits line [b, e) at commas into *fs (grown as needed). Returns the field count, or -1
 * with a message on a malformed quote or out of memory. */
static long split_line(char *b, char *e, field **fs, size_t *cap, const char *path,
                       size_t line, char *err, size_t errlen) {
    size_t n = 0;
    char *line_start = b;
    for (char *p = b;;) {
        char *q = p;
        while (q < e && *q != ',') q++;
        char *fb = p, *fe = q;
        while (fb < fe && is_blank(*fb)) fb++;
        while (fe > fb && is_blank(fe[-1])) fe--;
        size_t col = (size_t)(fb - line_start) + 1;
        if (fb < fe && (*fb == '"' || fe[-1] == '"')) {
            if (fe - fb < 2 || *fb != '"' || fe[-1] != '"' ||
                memchr(fb + 1, '"', (size_t)(fe - fb - 2))) {
                io_errf(err, errlen, "%s:%zu:%zu: malformed quoted field", path, line, col);
                return -1;
            }
            fb++;
            fe--;
        }
        if (n == IO_CSV_MAX_COLS) { /* refused before the field list outgrows the text */
            io_errf(err, errlen, "%s:%zu: more than %zu fields in a row", path, line,
                    IO_CSV_MAX_COLS);
            return -1;
        }
        if (n == *cap) {
            size_t nc = *cap ? 2 * *cap : 16;
            field *g = realloc(*fs, nc * sizeof *g);
            if (!g) {
                io_errf(err, errlen, "%s:%zu: out of memory", path, line);
                return -1;
            }
            *fs = g;
            *cap = nc;
        }
        (*fs)[n++] = (field){fb, fe, col};
        if (q == e) break;
        p = q + 1;
    }
    return (long)n;
}

/* Parses a whole field as a finite number (strtod's syntax; nan and inf are refused by the
 * caller, which names them). */
static int parse_num(const field *f, double *v) {
    if (f->b == f->e || is_blank(*f->b)) return -1;
    char saved = *f->e;
    *f->e = 0; /* the buffer is ours, and every line ends before its terminator */
    char *end;
    errno = 0;
    *v = strtod(f->b, &end);
    int ok = end == f->e && errno != ERANGE;
    /* Underflow to a subnormal or zero is still the nearest double: accept it. */
    if (!ok && end == f->e && errno == ERANGE && *v > -1e-300 && *v < 1e-300) ok = 1;
    *f->e = saved;
    return ok ? 0 : -1;
}

int io_csv_read(const char *path, io_csv_header header, io_csv *t, char *err, size_t errlen) {
    memset(t, 0, sizeof *t);
    unsigned char *buf;
    size_t len;
    if (io_read_file(path, IO_CSV_MAX_BYTES, &buf, &len, err, errlen) != 0) return -1;
    int rc = io_csv_parse(path, (char *)buf, len, header, t, err, errlen);
    free(buf);
    return rc;
}

int io_csv_parse(const char *path, char *text, size_t len, io_csv_header header, io_csv *t,
                 char *err, size_t errlen) {
    memset(t, 0, sizeof *t);
    if (len > IO_CSV_MAX_BYTES) {
        io_errf(err, errlen, "%s: more than %zu bytes of text", path, IO_CSV_MAX_BYTES);
        return -1;
    }
    char *s = text, *end = s + len;
    /* A UTF-8 byte-order mark (spreadsheets write one) is not part of the first field. */
    if (len >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0) s += 3;
    field *fs = NULL;
    size_t fcap = 0, dcap = 0, line = 0;
    int rc = -1, first = 1;
    for (char *p = s; p < end;) {
        char *nl = memchr(p, '\n', (size_t)(end - p));
        char *e = nl ? nl : end;
        char *next = nl ? nl + 1 : end;
        line++;
        if (e > p && e[-1] == '\r') e--;
        char *q = p;
        while (q < e && is_blank(*q)) q++;
        if (q == e || *q == '#') {
            p = next;
            continue;
        }
        long nf = split_line(p, e, &fs, &fcap, path, line, err, errlen);
        if (nf < 0) goto done;
        if (first) {
            first = 0;
            t->cols = (size_t)nf;
            int is_header = header == IO_CSV_HEADER_YES;
            if (header == IO_CSV_HEADER_AUTO) {
                double v;
                for (long i = 0; i < nf && !is_header; i++) is_header = parse_num(&fs[i], &v) != 0;
            }
            if (is_header) {
                t->names = calloc((size_t)nf, sizeof *t->names);
                if (!t->names) {
                    io_errf(err, errlen, "%s:%zu: out of memory", path, line);
                    goto done;
                }
                for (long i = 0; i < nf; i++) {
                    size_t n = (size_t)(fs[i].e - fs[i].b);
                    t->names[i] = malloc(n + 1);
                    if (!t->names[i]) {
                        io_errf(err, errlen, "%s:%zu: out of memory", path, line);
                        goto done;
                    }
                    memcpy(t->names[i], fs[i].b, n);
                    t->names[i][n] = 0;
                }
                p = next;
                continue;
            }
        }
        if ((size_t)nf != t->cols) {
            io_errf(err, errlen, "%s:%zu: expected %zu fields, got %ld", path, line, t->cols, nf);
            goto done;
        }
        if ((t->rows + 1) * t->cols > IO_CSV_MAX_CELLS) {
            io_errf(err, errlen, "%s:%zu: more than %zu numbers", path, line, IO_CSV_MAX_CELLS);
            goto done;
        }
        if ((t->rows + 1) * t->cols > dcap) {
            size_t nc = dcap ? 2 * dcap : 64 * t->cols;
            double *d = realloc(t->data, nc * sizeof *d);
            if (!d) {
                io_errf(err, errlen, "%s:%zu: out of memory", path, line);
                goto done;
            }
            t->data = d;
            dcap = nc;
        }
        for (long i = 0; i < nf; i++) {
            double *v = &t->data[t->rows * t->cols + (size_t)i];
            int bad = parse_num(&fs[i], v);
            if (bad == 0 && !isfinite(*v)) {
                /* NaN or infinity in the data would surface later as a "diverged" loss. */
                io_errf(err, errlen, "%s:%zu:%zu: %s is not a finite number (row %zu of the data)",
                        path, line, fs[i].col, isnan(*v) ? "NaN" : "infinity", t->rows + 1);
                goto done;
            }
            if (bad) {
                size_t n = (size_t)(fs[i].e - fs[i].b);
                if (n == 0)
                    io_errf(err, errlen, "%s:%zu:%zu: empty field, expected a number", path,
                            line, fs[i].col);
                else
                    io_errf(err, errlen, "%s:%zu:%zu: expected a number, got '%.*s%s'", path,
                            line, fs[i].col, (int)(n > 40 ? 40 : n), fs[i].b,
                            n > 40 ? "..." : "");
                goto done;
            }
        }
        t->rows++;
        p = next;
    }
    if (t->rows == 0) {
        io_errf(err, errlen, "%s: no data rows", path);
        goto done;
    }
    rc = 0;
done:
    free(fs);
    if (rc != 0) {
        io_csv_free(t);
        /* A quoted field may hold a carriage return or a terminal escape: one printable line. */
        for (char *c = err; c && *c; c++)
            if ((unsigned char)*c < 0x20 || *c == 0x7f) *c = '?';
    }
    return rc;
}

int io_csv_find(const io_csv *t, const char *name) {
    if (!t->names) return -1;
    for (size_t i = 0; i < t->cols; i++)
        if (strcmp(t->names[i], name) == 0) return (int)i;
    return -1;
}

int io_csv_columns(const io_csv *t, const size_t *idx, size_t k, double *out, char *err,
                   size_t errlen) {
    for (size_t j = 0; j < k; j++) {
        if (idx[j] >= t->cols) {
            io_errf(err, errlen, "column %zu requested, the table has %zu", idx[j], t->cols);
            return -1;
        }
    }
    for (size_t r = 0; r < t->rows; r++)
        for (size_t j = 0; j < k; j++) out[r * k + j] = t->data[r * t->cols + idx[j]];
    return 0;
}

int io_csv_write(const char *path, const char *const *names, const double *data, size_t rows,
                 size_t cols, char *err, size_t errlen) {
    if (cols == 0) {
        io_errf(err, errlen, "%s: a table needs at least one column", path);
        return -1;
    }
    if (names) {
        for (size_t j = 0; j < cols; j++) {
            if (!names[j] || strpbrk(names[j], ",\"\r\n")) {
                io_errf(err, errlen, "%s: column name %zu is missing or has a comma, quote or "
                        "line break", path, j);
                return -1;
            }
        }
    }
    io_atomic a;
    if (io_atomic_open(&a, path, err, errlen) != 0) return -1;
    int bad = 0;
    if (names)
        for (size_t j = 0; j < cols; j++)
            bad |= fprintf(a.fp, "%s%s", names[j], j + 1 < cols ? "," : "\n") < 0;
    for (size_t r = 0; r < rows && !bad; r++)
        for (size_t j = 0; j < cols; j++)
            bad |= fprintf(a.fp, "%.17g%s", data[r * cols + j], j + 1 < cols ? "," : "\n") < 0;
    if (bad) {
        io_errf(err, errlen, "%s: cannot write: %s", path, strerror(errno));
        io_atomic_abort(&a);
        return -1;
    }
    return io_atomic_commit(&a, err, errlen);
}
