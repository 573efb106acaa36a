/* Experiment data: the training signal (and evaluation targets) prepared as the reference
 * does, as coordinates [n][in_dim] and values [n][out_dim]. Internal to the runtime. */
#ifndef QNN_RUN_DATA_H
#define QNN_RUN_DATA_H

#include <stddef.h>
#include <stdint.h>

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

/* Classification targets (rt_task.h, docs/data.md section 4.5) checked and brought to k values
 * per point. cross_entropy with one value column: class indices 0..k-1 become one-hot rows;
 * with k columns: each row must be a class distribution (values >= 0 summing to 1, one-hot
 * in particular). bce: every value in [0, 1]. Other losses: nothing to do. -1 with a message
 * naming the file and the row of the data at fault. */
int run_data_targets(run_data *d, rt_loss_kind loss, int k, char *err, size_t errlen);

/* The held-out split (`split`): round((1 - split) n) points of d, chosen by a generator
 * seeded with seed, move to test; the other points stay in d. Both keep the file's order.
 * Refused (naming the file) when either part would be too small: training needs 2 points,
 * the test at least 1. */
int run_data_split(run_data *d, double split, uint64_t seed, run_data *test, char *err,
                   size_t errlen);

void run_data_free(run_data *d);

#endif
