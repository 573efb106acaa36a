/* io_csv: numeric CSV tables (coordinates and values of a signal, loss curves, results):
 * a strict reader with FILE:LINE:COLUMN errors and an atomic writer (docs/data.md, "CSV"). */
#ifndef QNN_IO_CSV_H
#define QNN_IO_CSV_H
#include <stddef.h>

#define IO_CSV_MAX_BYTES ((size_t)1 << 30)
#define IO_CSV_MAX_CELLS ((size_t)1 << 28)
#define IO_CSV_MAX_COLS ((size_t)1 << 16)  /* fields per row: a line of commas is not a table */

typedef enum {
    IO_CSV_HEADER_AUTO, /* the first row is a header if any of its fields is not a number */
    IO_CSV_HEADER_YES,
    IO_CSV_HEADER_NO
} io_csv_header;

/* rows x cols numbers, row-major; names[cols] when the file had a header, else NULL. */
typedef struct {
    size_t rows, cols;
    double *data;
    char **names;
} io_csv;

/* Comma-separated, one row per line (LF or CRLF); fields may be wrapped in double quotes
 * (no commas or quotes inside); blank lines and lines starting with '#' are skipped; every
 * row has the same number of fields; values must be finite numbers (strtod syntax). */
int io_csv_read(const char *path, io_csv_header header, io_csv *t, char *err, size_t errlen);
void io_csv_free(io_csv *t);
/* The same rules on text[0..len) already in memory (a decompressed file: rt_imageset's
 * .csv.gz), messages naming path. The text is scanned in place: bytes, and text[len], which
 * must exist (a terminating NUL), may be changed and are restored; it stays the caller's. */
int io_csv_parse(const char *path, char *text, size_t len, io_csv_header header, io_csv *t,
                 char *err, size_t errlen);

/* Index of the column called name, or -1 (also when the file had no header). */
int io_csv_find(const io_csv *t, const char *name);

/* Copies the k columns idx[0..k-1] into out (rows x k, row-major): e.g. the coordinate
 * columns, then the value columns. An index out of range is an error. */
int io_csv_columns(const io_csv *t, const size_t *idx, size_t k, double *out, char *err,
                   size_t errlen);

/* Writes rows x cols numbers (row-major) with an optional header (names NULL for none),
 * atomically; numbers print with 17 significant digits so that they read back exactly. */
int io_csv_write(const char *path, const char *const *names, const double *data, size_t rows,
                 size_t cols, char *err, size_t errlen);
#endif
