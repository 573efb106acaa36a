/* io_npy: NumPy's .npy arrays (format versions 1.0, 2.0 and 3.0), for `qnnc grad`'s inputs,
 * parameters and results: a strict reader of little-endian float64/float32 C-order arrays
 * and an atomic writer (docs/data.md, "NPY"). */
#ifndef QNN_IO_NPY_H
#define QNN_IO_NPY_H
#include <stddef.h>
#include <stdint.h>

#define IO_NPY_MAX_DIMS 8
#define IO_NPY_MAX_HEADER 65536              /* bytes of header dict: numpy writes < 200 */
#define IO_NPY_MAX_BYTES ((size_t)1 << 32)   /* 4 GiB of file */

/* An array read back: shape[0..ndim-1] (ndim 0 is a scalar of one value), values converted
 * to double in C order. f32: the file stored float32 ('<f4'); u8: it stored uint8 ('|u1',
 * only through io_npy_read_u8ok), values 0..255 as they are. */
typedef struct {
    int ndim;
    int64_t shape[IO_NPY_MAX_DIMS];
    size_t count;
    int f32;
    int u8;
    double *data;
} io_npy;

/* Reads path. Refused, with one line naming the file and the problem: a magic or version
 * other than NumPy's, a header that is not exactly one Python dict literal with the keys
 * 'descr', 'fortran_order' and 'shape' (each once), a descr other than '<f8' / '<f4' (also
 * '=' or '|' prefixes are refused: the byte order must be explicit), fortran_order True, a
 * shape that is not a tuple of at most IO_NPY_MAX_DIMS non-negative integers, a data size
 * other than what the shape says (trailing bytes included), and non-finite values (the
 * message names the first one's flat index). */
int io_npy_read(const char *path, io_npy *a, char *err, size_t errlen);
/* The same, also accepting uint8 ('|u1' or '<u1'), the dtype image arrays are saved in
 * (rt_imageset); a->u8 says which it was. Elsewhere (qnnc grad) uint8 stays refused. */
int io_npy_read_u8ok(const char *path, io_npy *a, char *err, size_t errlen);
void io_npy_free(io_npy *a);

/* Writes data (count = product of shape, C order) as '<f8' (f32 = 0) or '<f4' (f32 = 1) in
 * format 1.0, header padded to 64 bytes as NumPy does, atomically. */
int io_npy_write(const char *path, int ndim, const int64_t *shape, const double *data, int f32,
                 char *err, size_t errlen);
#endif
