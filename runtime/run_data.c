/* Experiment data loading on top of the io_ modules: path search, the reference
 * preprocessing (io_image_prepare / io_sound_prepare), RGB images, CSV columns, grids. */
#include "run_data.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "io_csv.h"
#include "io_file.h"
#include "io_image.h"
#include "io_sound.h"
#include "rt_rng.h"

/* "dir/file" in a new string (dir_len bytes of dir), or NULL when out of memory. */
static char *join_path(const char *dir, size_t dir_len, const char *file) {
    size_t n = dir_len + 1 + strlen(file) + 1;
    char *p = malloc(n);
    if (p) snprintf(p, n, "%.*s/%s", (int)dir_len, dir, file);
    return p;
}

/* Copies the path found into out, refusing (never cutting) one that does not fit. */
static int put_found(const char *found, char *out, size_t outlen, char *err, size_t errlen) {
    size_t n = strlen(found);
    if (n >= outlen) {
        io_errf(err, errlen, "%.200s...: the data path has %zu characters, at most %zu are "
                "supported", found, n, outlen - 1);
        return -1;
    }
    memcpy(out, found, n + 1);
    return 0;
}

int run_find_data(const char *path, const char *source, char *out, size_t outlen, char *err,
                  size_t errlen) {
    if (path[0] == '/' || access(path, R_OK) == 0) return put_found(path, out, outlen, err, errlen);
    char *cands[3] = {NULL, NULL, NULL};
    int n = 0, rc = -1;
    const char *dd = getenv("QNN_DATA_DIR");
    if (dd && *dd) cands[n++] = join_path(dd, strlen(dd), path);
    if (source) {
        const char *slash = strrchr(source, '/');
        cands[n++] = slash ? join_path(source, (size_t)(slash - source), path)
                           : join_path(".", 1, path);
    }
    cands[n++] = join_path("data", 4, path);
    for (int i = 0; i < n; i++)
        if (!cands[i]) {
            io_errf(err, errlen, "%s: out of memory", path);
            goto done;
        }
    for (int i = 0; i < n; i++)
        if (access(cands[i], R_OK) == 0) {
            rc = put_found(cands[i], out, outlen, err, errlen);
            goto done;
        }
    /* The message lists where it looked, each candidate cut to a readable length. */
    io_errf(err, errlen, "%.300s: file not found (looked for %.300s%s%.300s%s%.300s; set "
            "QNN_DATA_DIR, or run `make demo` to fetch the default data into data/)", path,
            cands[0], n > 1 ? ", " : "", n > 1 ? cands[1] : "", n > 2 ? ", " : "",
            n > 2 ? cands[2] : "");
done:
    for (int i = 0; i < n; i++) free(cands[i]);
    return rc;
}

static int alloc_points(run_data *d, size_t n, int in_dim, int out_dim, char *err, size_t errlen) {
    d->n = n;
    d->in_dim = in_dim;
    d->out_dim = out_dim;
    d->coords = calloc(n * (size_t)in_dim, sizeof(double));
    d->values = calloc(n * (size_t)(out_dim ? out_dim : 1), sizeof(double));
    if (!d->coords || !d->values) {
        io_errf(err, errlen, "out of memory for %zu points", n);
        return -1;
    }
    return 0;
}

int run_data_copy_points(const run_data *src, run_data *d, char *err, size_t errlen) {
    memset(d, 0, sizeof *d);
    d->kind = src->kind;
    if (alloc_points(d, src->n, src->in_dim, src->out_dim, err, errlen)) return -1;
    memcpy(d->coords, src->coords, sizeof(double) * src->n * (size_t)src->in_dim);
    d->height = src->height;
    d->width = src->width;
    d->rate = src->rate;
    memcpy(d->path, src->path, sizeof d->path);
    return 0;
}

int run_grid(rt_data_kind kind, int size, int in_dim, run_data *d, char *err, size_t errlen) {
    memset(d, 0, sizeof *d);
    d->kind = kind;
    if (kind == RT_DATA_IMAGE) {
        double *axis = malloc(sizeof(double) * (size_t)size);
        if (!axis || alloc_points(d, (size_t)size * (size_t)size, 2, 0, err, errlen)) {
            free(axis);
            return -1;
        }
        io_linspace(axis, (size_t)size, -1.0, 1.0);
        for (int r = 0; r < size; r++)
            for (int c = 0; c < size; c++) {
                d->coords[2 * ((size_t)r * size + c)] = axis[r];
                d->coords[2 * ((size_t)r * size + c) + 1] = axis[c];
            }
        free(axis);
        d->height = d->width = size;
        return 0;
    }
    if (kind == RT_DATA_SOUND) {
        if (alloc_points(d, (size_t)size, 1, 0, err, errlen)) return -1;
        io_linspace(d->coords, (size_t)size, -1.0, 1.0);
        return 0;
    }
    (void)in_dim;
    io_errf(err, errlen, "a CSV signal has no grid: evaluate it on its own points");
    return -1;
}

/* from_side > 0 and not side: prepared at from_side first, then resized to side (f64). */
static int load_rgb(const char *path, int from_side, int side, double lo, double hi, double *out,
                    char *err, size_t errlen) {
    io_image img = {0}, rs = {0}, cr = {0}, up = {0};
    int prep = from_side > 0 ? from_side : side;
    int rc = -1;
    if (io_image_read_png(path, &img, err, errlen)) return -1;
    if (img.channels < 3) {
        io_errf(err, errlen, "%s: the experiment asks for RGB but the image is gray", path);
        goto done;
    }
    int w = img.width, h = img.height, nw, nh;
    if (w <= h) nw = prep, nh = (int)((double)h * prep / w);
    else nh = prep, nw = (int)((double)w * prep / h);
    if (io_image_resize(&img, nw, nh, IO_RESAMPLE_F64, &rs, err, errlen)) goto done;
    if (io_image_center_crop(&rs, prep, prep, &cr, err, errlen)) goto done;
    const io_image *px = &cr;
    if (prep != side) {
        if (io_image_resize(&cr, side, side, IO_RESAMPLE_F64, &up, err, errlen)) goto done;
        px = &up;
    }
    for (int y = 0; y < side; y++)
        for (int x = 0; x < side; x++)
            for (int c = 0; c < 3; c++)
                out[((size_t)y * side + x) * 3 + c] =
                    lo + (hi - lo) * px->data[((size_t)c * side + y) * side + x];
    rc = 0;
done:
    io_image_free(&img);
    io_image_free(&rs);
    io_image_free(&cr);
    io_image_free(&up);
    return rc;
}

int run_data_load(const rt_data_spec *spec, const char *source, int size, run_data *d, char *err,
                  size_t errlen) {
    memset(d, 0, sizeof *d);
    if (spec->kind == RT_DATA_NONE) { /* an objective experiment (language.md section 6.14) */
        io_errf(err, errlen, "the experiment has no data: it optimises an objective");
        return -1;
    }
    /* The spec holds the path in a fixed array, filled to its last byte only when the path
     * written in the experiment was longer and got cut: refuse it rather than read the file
     * named by the prefix. */
    size_t plen = strnlen(spec->path, sizeof spec->path);
    if (plen >= sizeof spec->path - 1) {
        io_errf(err, errlen, "%.200s...: the data path is too long (at most %zu characters)",
                spec->path, sizeof spec->path - 2);
        return -1;
    }
    if (plen == 0) {
        io_errf(err, errlen, "(no file name): the experiment's data has an empty path");
        return -1;
    }
    /* Pixels are mapped from [0, 1] to [lo, hi] and back for the output image: lo == hi would
     * train on a constant and fail only when the image is written, after the whole run. */
    if (spec->kind == RT_DATA_IMAGE &&
        !(isfinite(spec->lo) && isfinite(spec->hi) && spec->lo != spec->hi)) {
        io_errf(err, errlen, "%s: data.range = [%g, %g] is empty: pixel values are mapped from "
                "[0, 1] to [lo, hi], which needs two different finite numbers", spec->path,
                spec->lo, spec->hi);
        return -1;
    }
    if (run_find_data(spec->path, source, d->path, sizeof d->path, err, errlen)) return -1;
    if (spec->kind == RT_DATA_IMAGE) {
        int side = size > 0 ? size : spec->size;
        char *found = malloc(sizeof d->path); /* run_grid clears *d, path included */
        if (!found) {
            io_errf(err, errlen, "%s: out of memory", d->path);
            return -1;
        }
        memcpy(found, d->path, sizeof d->path);
        int bad = run_grid(RT_DATA_IMAGE, side, 2, d, err, errlen);
        memcpy(d->path, found, sizeof d->path);
        free(found);
        if (bad) return -1;
        d->out_dim = spec->channels;
        free(d->values);
        d->values = calloc((size_t)side * side * (size_t)spec->channels, sizeof(double));
        if (!d->values) {
            io_errf(err, errlen, "out of memory");
            return -1;
        }
        /* from_size: the image prepared at from_size x from_size, then resized to this grid
         * (a ground truth made from the low-resolution image, docs/language.md 6.3) */
        int from = spec->from_size > 0 ? spec->from_size : side;
        if (spec->channels == 1)
            return io_image_prepare_from(d->path, from, side, spec->lo, spec->hi, d->values, err,
                                         errlen);
        return load_rgb(d->path, spec->from_size, side, spec->lo, spec->hi, d->values, err, errlen);
    }
    if (spec->kind == RT_DATA_SOUND) {
        double *values = NULL, *times = NULL;
        size_t n = 0;
        int rate = 0;
        size_t stop = spec->stop < 0 ? (size_t)-1 / 2 : (size_t)spec->stop;
        if (spec->normalize && spec->channel == 0) {
            if (io_sound_prepare(d->path, (size_t)spec->start, stop, (size_t)spec->stride, &values,
                                 &times, &n, &rate, err, errlen))
                return -1;
        } else {
            io_sound snd = {0};
            if (io_sound_read(d->path, spec->channel < 0 ? IO_SOUND_MIX : IO_SOUND_FIRST, &snd, err,
                              errlen))
                return -1;
            int bad = io_sound_slice(&snd, (size_t)spec->start, stop, (size_t)spec->stride, &values,
                                     &n, err, errlen);
            rate = snd.rate;
            io_sound_free(&snd);
            if (bad || (spec->normalize && io_sound_normalize(values, n, d->path, err, errlen))) {
                free(values);
                return -1;
            }
            times = malloc(sizeof(double) * n);
            if (!times) {
                free(values);
                io_errf(err, errlen, "out of memory");
                return -1;
            }
            io_linspace(times, n, -1.0, 1.0);
        }
        d->kind = RT_DATA_SOUND;
        d->n = n;
        d->in_dim = d->out_dim = 1;
        d->coords = times;
        d->values = values;
        d->rate = rate / (int)spec->stride > 0 ? rate / (int)spec->stride : 1;
        if (size > 0 && (size_t)size != n) {
            io_errf(err, errlen, "%s: the slice has %zu samples, not the %d of the evaluation grid",
                    d->path, n, size);
            return -1;
        }
        return 0;
    }
    io_csv t = {0};
    if (io_csv_read(d->path, spec->header ? IO_CSV_HEADER_YES : IO_CSV_HEADER_NO, &t, err, errlen))
        return -1;
    int rc = -1;
    size_t want = (size_t)spec->n_inputs + (size_t)spec->n_outputs;
    if (t.cols != want) {
        io_errf(err, errlen, "%s: %zu columns, but the experiment reads %d inputs and %d outputs",
                d->path, t.cols, spec->n_inputs, spec->n_outputs);
    } else if (t.rows < 2) {
        io_errf(err, errlen, "%s: needs at least 2 rows of data", d->path);
    } else if (!alloc_points(d, t.rows, spec->n_inputs, spec->n_outputs, err, errlen)) {
        d->kind = RT_DATA_CSV;
        for (size_t r = 0; r < t.rows; r++) {
            memcpy(d->coords + r * (size_t)spec->n_inputs, t.data + r * t.cols,
                   sizeof(double) * (size_t)spec->n_inputs);
            memcpy(d->values + r * (size_t)spec->n_outputs, t.data + r * t.cols + spec->n_inputs,
                   sizeof(double) * (size_t)spec->n_outputs);
        }
        rc = 0;
    }
    io_csv_free(&t);
    return rc;
}

int run_data_targets(run_data *d, rt_loss_kind loss, int k, char *err, size_t errlen) {
    size_t n = d->n;
    int cols = d->out_dim;
    if (loss == RT_LOSS_BCE) {
        for (size_t i = 0; i < n * (size_t)cols; i++)
            if (!(d->values[i] >= 0 && d->values[i] <= 1)) {
                io_errf(err, errlen, "%s: row %zu of the data: target %g (column %d of the values) "
                        "is not in [0, 1]: `bce` compares a probability with a label 0 or 1",
                        d->path, i / (size_t)cols + 1, d->values[i], (int)(i % (size_t)cols) + 1);
                return -1;
            }
        return 0;
    }
    if (loss != RT_LOSS_CROSS_ENTROPY) return 0;
    if (cols == k) { /* one-hot, or a distribution over the classes */
        for (size_t r = 0; r < n; r++) {
            const double *t = d->values + r * (size_t)k;
            double sum = 0;
            int ok = 1;
            for (int j = 0; j < k; j++) ok &= t[j] >= 0, sum += t[j];
            if (!ok || fabs(sum - 1) > 1e-9) {
                io_errf(err, errlen, "%s: row %zu of the data: the %d target columns are not a "
                        "class distribution (values >= 0 that sum to 1, such as one-hot; they sum "
                        "to %g)", d->path, r + 1, k, sum);
                return -1;
            }
        }
        return 0;
    }
    if (cols != 1) {
        io_errf(err, errlen, "%s: %d target columns: `cross_entropy` takes 1 (the class index) or "
                "%d (one-hot)", d->path, cols, k);
        return -1;
    }
    for (size_t r = 0; r < n; r++) {
        double c = d->values[r];
        if (!(c >= 0 && c < k && c == floor(c))) {
            io_errf(err, errlen, "%s: row %zu of the data: class %g is not one of 0, 1, ..., %d "
                    "(the model has %d outputs, one per class)", d->path, r + 1, c, k - 1, k);
            return -1;
        }
    }
    double *hot = calloc(n * (size_t)k, sizeof(double));
    if (!hot) {
        io_errf(err, errlen, "%s: out of memory for %zu x %d class targets", d->path, n, k);
        return -1;
    }
    for (size_t r = 0; r < n; r++) hot[r * (size_t)k + (size_t)d->values[r]] = 1.0;
    free(d->values);
    d->values = hot;
    d->out_dim = k;
    return 0;
}

int run_data_split(run_data *d, double split, uint64_t seed, run_data *test, char *err,
                   size_t errlen) {
    memset(test, 0, sizeof *test);
    size_t n = d->n, n_train = (size_t)llround(split * (double)n), n_test = n - n_train;
    if (n_train < 2 || n_test < 1 || n_train > n) {
        io_errf(err, errlen, "%s: split = %g of %zu rows leaves %zu to train on and %zu to test: "
                "training needs 2, the test 1", d->path, split, n, n_train > n ? 0 : n_train,
                n_train > n ? 0 : n_test);
        return -1;
    }
    size_t *perm = malloc(sizeof(size_t) * n);
    unsigned char *held = calloc(n, 1);
    int rc = -1;
    if (!perm || !held) {
        io_errf(err, errlen, "%s: out of memory", d->path);
        goto done;
    }
    /* Fisher-Yates from a stream of its own (mini-batch orders use seed * phi + epoch + 1),
     * so the held-out rows depend on the seed alone, not on the epochs or the batch size. */
    rt_rng r;
    rt_rng_seed(&r, seed ^ 0xD1B54A32D192ED03ULL);
    for (size_t i = 0; i < n; i++) perm[i] = i;
    for (size_t i = n - 1; i > 0; i--) {
        size_t j = (size_t)(rt_rng_u64(&r) % (i + 1)), t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
    }
    for (size_t i = 0; i < n_test; i++) held[perm[i]] = 1;
    test->kind = d->kind;
    memcpy(test->path, d->path, sizeof d->path);
    if (alloc_points(test, n_test, d->in_dim, d->out_dim, err, errlen)) goto done;
    size_t in = (size_t)d->in_dim, out = (size_t)d->out_dim, a = 0, b = 0;
    for (size_t i = 0; i < n; i++) { /* compacted in place: a <= i */
        double *cx = held[i] ? test->coords + b * in : d->coords + a * in;
        double *cy = held[i] ? test->values + b * out : d->values + a * out;
        memmove(cx, d->coords + i * in, sizeof(double) * in);
        memmove(cy, d->values + i * out, sizeof(double) * out);
        if (held[i]) b++;
        else a++;
    }
    d->n = n_train;
    rc = 0;
done:
    free(perm);
    free(held);
    if (rc) run_data_free(test);
    return rc;
}

void run_data_free(run_data *d) {
    free(d->coords);
    free(d->values);
    d->coords = d->values = NULL;
}
