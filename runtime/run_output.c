/* Run outputs: checkpoints, signals, CSV. */
#include "run_output.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io_csv.h"
#include "io_file.h"
#include "io_image.h"
#include "io_safetensors.h"
#include "io_sound.h"

/* PyTorch's shape of a model tensor, from the layer spec that made it. */
static int tensor_shape(const rt_experiment *x, const char *name, size_t count, int64_t *shape) {
    int layer = -1, used = 0;
    if (sscanf(name, "layers.%d.%n", &layer, &used) != 1 || layer < 0 || layer >= x->n_layers) {
        shape[0] = (int64_t)count;
        return 1;
    }
    const rt_layer_spec *l = &x->layers[layer];
    const char *t = name + used;
    if (l->kind == RT_LAYER_LINEAR && strcmp(t, "weight") == 0) {
        shape[0] = l->out;
        shape[1] = l->in;
        return 2;
    }
    if (l->kind == RT_LAYER_RFF && strcmp(t, "frequency_matrix") == 0) {
        shape[0] = l->out / 2;
        shape[1] = l->in;
        return 2;
    }
    if (l->kind == RT_LAYER_QUANTUM)
        for (int k = 0; k < l->n_tensors; k++)
            if (strcmp(l->tensors[k].name, t) == 0 && l->tensors[k].rank > 0) {
                for (int d = 0; d < l->tensors[k].rank; d++) shape[d] = l->tensors[k].shape[d];
                return l->tensors[k].rank;
            }
    shape[0] = (int64_t)count;
    return 1;
}

int run_save_checkpoint(const char *path, const rt_experiment *x, rt_model *m, const rt_optim *opt,
                        int epochs_done, char *err, size_t errlen) {
    int nt = rt_model_n_tensors(m);
    io_tensor *ts = calloc((size_t)nt + 1, sizeof *ts);
    size_t ns = opt ? rt_optim_state_size(opt) : 0;
    double *state = ns ? malloc(sizeof(double) * ns) : NULL;
    if (!ts || (ns && !state)) {
        free(ts);
        free(state);
        io_errf(err, errlen, "%s: out of memory", path);
        return -1;
    }
    for (int k = 0; k < nt; k++) {
        rt_model_tensor t = rt_model_tensor_at(m, k);
        ts[k].name = t.name;
        ts[k].dtype = IO_ST_F64;
        ts[k].ndim = tensor_shape(x, t.name, t.count, ts[k].shape);
        ts[k].data = t.data;
    }
    int n = nt;
    if (ns) {
        rt_optim_get_state(opt, state);
        ts[n].name = "optimizer.state";
        ts[n].dtype = IO_ST_F64;
        ts[n].ndim = 1;
        ts[n].shape[0] = (int64_t)ns;
        ts[n].data = state;
        n++;
    }
    char epochs[32];
    snprintf(epochs, sizeof epochs, "%d", epochs_done);
    const char *keys[] = {"format", "experiment", "source", "epochs"};
    const char *vals[] = {"qnn-checkpoint-1", x->name, x->source, epochs};
    int rc = io_st_write(path, ts, (size_t)n, keys, vals, 4, err, errlen);
    free(ts);
    free(state);
    return rc;
}

int run_load_checkpoint(const char *path, rt_model *m, rt_optim *opt, int *epochs_done, char *err,
                        size_t errlen) {
    io_st_file f;
    if (io_st_read(path, &f, err, errlen)) return -1;
    int rc = -1;
    for (int k = 0; k < rt_model_n_tensors(m); k++) {
        rt_model_tensor t = rt_model_tensor_at(m, k);
        const io_tensor *s = io_st_find(&f, t.name);
        if (!s) {
            io_errf(err, errlen, "%s: no tensor `%s`: the checkpoint is of another model", path, t.name);
            goto done;
        }
        if (io_st_numel(s) != t.count) {
            io_errf(err, errlen, "%s: tensor `%s` has %zu values, the model needs %zu", path, t.name,
                    io_st_numel(s), t.count);
            goto done;
        }
        memcpy(t.data, s->data, sizeof(double) * t.count);
    }
    if (opt) {
        const io_tensor *s = io_st_find(&f, "optimizer.state");
        if (s && io_st_numel(s) == rt_optim_state_size(opt)) rt_optim_set_state(opt, s->data);
        else if (s) {
            io_errf(err, errlen, "%s: the optimiser state does not match this experiment's optimiser", path);
            goto done;
        }
    }
    if (epochs_done) {
        const char *e = io_st_meta(&f, "epochs");
        *epochs_done = e ? atoi(e) : 0;
    }
    rc = 0;
done:
    io_st_free(&f);
    return rc;
}

int run_write_signal(const char *path, rt_data_kind kind, const run_data *grid, const double *pred,
                     double lo, double hi, char *err, size_t errlen) {
    if (io_mkdir_parent(path, err, errlen)) return -1;
    if (kind == RT_DATA_SOUND)
        return io_sound_write_wav(path, pred, grid->n, grid->rate > 0 ? grid->rate : 8000,
                                  IO_WAV_FLOAT, err, errlen);
    if (kind != RT_DATA_IMAGE) {
        io_errf(err, errlen, "%s: only image and sound signals can be written as files", path);
        return -1;
    }
    io_image img;
    int c = grid->out_dim;
    if (io_image_alloc(&img, grid->width, grid->height, c, err, errlen)) return -1;
    size_t hw = (size_t)grid->width * grid->height;
    for (size_t p = 0; p < hw; p++)
        for (int k = 0; k < c; k++) img.data[(size_t)k * hw + p] = pred[p * (size_t)c + k];
    int rc = io_image_write_png(path, &img, lo, hi, err, errlen);
    io_image_free(&img);
    return rc;
}

int run_write_csv(const char *path, const run_data *grid, const double *pred, const double *target,
                  char *err, size_t errlen) {
    int in = grid->in_dim, out = grid->out_dim;
    size_t cols = (size_t)in + (size_t)out * (target ? 2 : 1);
    double *rows = malloc(sizeof(double) * cols * grid->n);
    char **names = calloc(cols, sizeof(char *));
    int rc = -1;
    if (!rows || !names) {
        io_errf(err, errlen, "%s: out of memory", path);
        goto done;
    }
    for (size_t r = 0; r < grid->n; r++) {
        double *row = rows + r * cols;
        memcpy(row, grid->coords + r * (size_t)in, sizeof(double) * (size_t)in);
        memcpy(row + in, pred + r * (size_t)out, sizeof(double) * (size_t)out);
        if (target) memcpy(row + in + out, target + r * (size_t)out, sizeof(double) * (size_t)out);
    }
    for (size_t k = 0; k < cols; k++) {
        names[k] = malloc(32);
        if (!names[k]) goto done;
        if (k < (size_t)in) snprintf(names[k], 32, in == 1 ? "t" : "x%zu", k);
        else if (k < (size_t)(in + out)) snprintf(names[k], 32, out == 1 ? "output" : "output%zu", k - in);
        else snprintf(names[k], 32, out == 1 ? "target" : "target%zu", k - in - out);
    }
    if (io_mkdir_parent(path, err, errlen) == 0)
        rc = io_csv_write(path, (const char *const *)names, rows, grid->n, cols, err, errlen);
done:
    if (names)
        for (size_t k = 0; k < cols; k++) free(names[k]);
    free(names);
    free(rows);
    return rc;
}
