/* io_safetensors: checkpoints in the safetensors format (readable by PyTorch, NumPy and the
 * safetensors library): a writer, and a reader that checks the header strictly. */
#ifndef QNN_IO_SAFETENSORS_H
#define QNN_IO_SAFETENSORS_H
#include <stddef.h>
#include <stdint.h>

#define IO_ST_MAX_DIMS 8
#define IO_ST_MAX_HEADER 100000000ULL      /* bytes of JSON, as the reference implementation */
#define IO_ST_MAX_FILE ((uint64_t)1 << 32) /* 4 GiB: far above any qnn checkpoint */

typedef enum { IO_ST_F64, IO_ST_F32 } io_st_dtype;

/* One tensor: shape[0..ndim-1] row-major (ndim 0 is a scalar of one value). Values are
 * always float64 in memory; dtype says how they are stored in the file (F32 rounds). */
typedef struct {
    const char *name;
    io_st_dtype dtype;
    int ndim;
    int64_t shape[IO_ST_MAX_DIMS];
    const double *data;
} io_tensor;

/* Writes the tensors in the given order, data contiguous and little-endian, with an optional
 * "__metadata__" string map (meta_count pairs; keys unique), atomically. The JSON header is
 * padded with spaces to a multiple of 8 bytes so that the data is aligned. */
int io_st_write(const char *path, const io_tensor *tensors, size_t count,
                const char *const *meta_keys, const char *const *meta_values, size_t meta_count,
                char *err, size_t errlen);

/* A file read back: tensors in header order, names, values and metadata owned by the file. */
typedef struct {
    io_tensor *tensors;
    size_t count;
    const char **meta_keys, **meta_values;
    size_t meta_count;
    char *block_; /* owns every name, string and value */
} io_st_file;

/* Reads path. Rejects (with a message naming the file and the problem): a header that is
 * not one JSON object of the safetensors schema (unknown or repeated fields, duplicate
 * names, non-string metadata), dtypes other than F64/F32, more than IO_ST_MAX_DIMS
 * dimensions, offsets that do not match dtype * shape, overlap, leave gaps or do not end at
 * the end of the file, and invalid UTF-8. */
int io_st_read(const char *path, io_st_file *f, char *err, size_t errlen);
void io_st_free(io_st_file *f);

/* The tensor called name, or NULL. */
const io_tensor *io_st_find(const io_st_file *f, const char *name);
/* The metadata value for key, or NULL. */
const char *io_st_meta(const io_st_file *f, const char *key);
/* Number of values of a tensor (product of its shape). */
size_t io_st_numel(const io_tensor *t);

/* ---- validation against what a reader expects (one path for every checkpoint loader) ---- */

/* One tensor the reader expects: its dtype and shape (ndim < 0: any dtype and shape). */
typedef struct {
    const char *name;
    io_st_dtype dtype;
    int ndim;
    int64_t shape[IO_ST_MAX_DIMS];
    int optional;       /* may be absent */
} io_st_expect;

/* Checks a file read from path against want[n]: every tensor that is not optional is present,
 * each present one has the expected dtype and shape, the file holds no tensor outside the list,
 * and every value of every tensor is finite. The message names the file, the tensor and what
 * was expected (e.g. "shape [2, 8], expected [8, 2]"). */
int io_st_check(const io_st_file *f, const char *path, const io_st_expect *want, size_t n,
                char *err, size_t errlen);

/* Refuses metadata keys outside allowed[n], naming the first one found. */
int io_st_check_meta_keys(const io_st_file *f, const char *path, const char *const *allowed,
                          size_t n, char *err, size_t errlen);

/* The metadata value key as a decimal integer in [lo, hi]: only digits with an optional '-'
 * (no blanks, '+', fraction, exponent or leading zeros); an overflowing or out-of-range value
 * is refused with the file, the key and the range. Returns 0 with *v set, 1 when the key is
 * absent (*v untouched), -1 on error. */
int io_st_meta_int(const io_st_file *f, const char *path, const char *key, long long lo,
                   long long hi, long long *v, char *err, size_t errlen);
#endif
