/* Experiment data: the training signal (and evaluation targets) prepared as the reference
 * does, as coordinates [n][in_dim] and values [n][out_dim]. Internal to the runtime. */
#ifndef QNN_RUN_DATA_H
#define QNN_RUN_DATA_H

#include <stddef.h>

#include "rt_spec.h"

/* Room for the path of a data file found, its NUL included (Linux's PATH_MAX: the kernel
 * opens no longer path): a longer one is refused with a message naming the limit, never cut. */
#define RUN_DATA_MAX_PATH 4096

typedef struct {
    rt_data_kind kind;
    size_t n;              /* points */
    int in_dim, out_dim;
    double *coords;        /* [n][in_dim] */
    double *values;        /* [n][out_dim] */
    int height, width;     /* images: the grid (n = height * width) */
    int rate;              /* sound: samples per second of the slice (source rate / stride) */
    char path[RUN_DATA_MAX_PATH]; /* the file actually read */
} run_data;

/* Finds the file of a data spec: an absolute path or one that exists as given; else in
 * $QNN_DATA_DIR, next to the .qnn source, in ./data. Writes the path found into out, or
 * returns -1 with a message listing where it looked (or saying that the path found does not
 * fit in outlen: it is never cut). */
int run_find_data(const char *path, const char *source, char *out, size_t outlen, char *err,
                  size_t errlen);

/* Loads and prepares the data of spec; `size` overrides the image side or the number of
 * sound points when > 0 (evaluation grids). 0 or -1 with a message naming the file. */
int run_data_load(const rt_data_spec *spec, const char *source, int size, run_data *d,
                  char *err, size_t errlen);

/* The points of src (coordinates only, values zero) as a new evaluation grid: a CSV test
 * file's rows are the points its model is evaluated on. */
int run_data_copy_points(const run_data *src, run_data *d, char *err, size_t errlen);

/* The coordinates of a grid without data: images size x size on linspace(-1, 1) per axis
 * (first coordinate the row, row-major); sound size points on linspace(-1, 1). */
int run_grid(rt_data_kind kind, int size, int in_dim, run_data *d, char *err, size_t errlen);

void run_data_free(run_data *d);

#endif
