/* run_checkpoint: validation and loading of checkpoints for --resume, eval --checkpoint,
 * native binaries and embedded models, on top of io_safetensors' strict reader. A file is
 * checked as a whole against the model before one value is copied: a hostile checkpoint
 * gives one line naming the file and the field, never a crash or a silently wrong run. */
#include "run_checkpoint.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io_file.h"
#include "io_safetensors.h"

int run_checkpoint_shape(const rt_experiment *x, const char *name, size_t count, int64_t *shape) {
    int layer = -1, used = 0, rank = 0;
    const rt_layer_spec *l = NULL;
    /* a nested layer's tensor is "layers.G.b<i>.layers.N.<tensor>": N is its index in the list */
    const char *own = name;
    for (const char *p = strstr(name, ".layers."); p; p = strstr(p + 1, ".layers.")) own = p + 1;
    if (sscanf(own, "layers.%d.%n", &layer, &used) == 1 && used > 0 && layer >= 0 &&
        layer < x->n_layers)
        l = &x->layers[layer];
    const char *t = l ? own + used : "";
    if (l && l->kind == RT_LAYER_LINEAR && strcmp(t, "weight") == 0) {
        shape[0] = l->out;
        shape[1] = l->in;
        rank = 2;
    } else if (l && l->kind == RT_LAYER_RFF && strcmp(t, "frequency_matrix") == 0) {
        shape[0] = l->out / 2;
        shape[1] = l->in;
        rank = 2;
    } else if (l && l->kind == RT_LAYER_QUANTUM) {
        for (int k = 0; k < l->n_tensors && !rank; k++)
            if (strcmp(l->tensors[k].name, t) == 0 && l->tensors[k].rank > 0) {
                rank = l->tensors[k].rank > IO_ST_MAX_DIMS ? 0 : l->tensors[k].rank;
                for (int d = 0; d < rank; d++) shape[d] = l->tensors[k].shape[d];
            }
    }
    /* A spec whose shape does not hold exactly count values cannot describe this tensor. */
    uint64_t numel = 1;
    for (int d = 0; d < rank; d++) numel = shape[d] < 0 ? 0 : numel * (uint64_t)shape[d];
    if (rank == 0 || numel != count) {
        shape[0] = (int64_t)count;
        rank = 1;
    }
    return rank;
}

/* The optimiser state is [step, m[n]] (SGD) or [step, m[n], v[n]] (Adam), rt_optim_get_state's
 * layout: the step must be a whole number that a long holds exactly, Adam's second moments
 * must be >= 0 (their square roots divide the update). */
static int check_optim_state(const char *path, const rt_experiment *x, const io_tensor *s,
                             size_t n_params, char *err, size_t errlen) {
    size_t len = io_st_numel(s);
    if (len == 0) return 0;
    double step = s->data[0];
    if (!(step >= 0 && step <= 9007199254740992.0 && step == floor(step))) {
        io_errf(err, errlen, "%s: tensor `optimizer.state`: the step count %g is not a whole "
                "number from 0 to 2^53", path, step);
        return -1;
    }
    if (x->optimizer == RT_OPT_ADAM && len == 1 + 2 * n_params)
        for (size_t k = 1 + n_params; k < len; k++)
            if (s->data[k] < 0) {
                io_errf(err, errlen, "%s: tensor `optimizer.state`: Adam's second moment %g at "
                        "index %zu is negative", path, s->data[k], k);
                return -1;
            }
    return 0;
}

int run_checkpoint_load(const char *path, const rt_experiment *x, rt_model *m, rt_optim *opt,
                        int *epochs_done, char *err, size_t errlen) {
    io_st_file f;
    if (io_st_read(path, &f, err, errlen)) return -1;
    int rc = -1, nt = rt_model_n_tensors(m);
    io_st_expect *want = calloc((size_t)nt + 1, sizeof *want);
    if (!want) {
        io_errf(err, errlen, "%s: out of memory", path);
        goto done;
    }
    for (int k = 0; k < nt; k++) {
        rt_model_tensor t = rt_model_tensor_at(m, k);
        want[k].name = t.name;
        want[k].dtype = IO_ST_F64;
        want[k].ndim = run_checkpoint_shape(x, t.name, t.count, want[k].shape);
    }
    /* The optimiser's state: required with its exact size when resuming (a run that
     * restarted Adam's moments would not continue the original one), optional otherwise. */
    size_t ns = opt ? rt_optim_state_size(opt) : 0;
    io_st_expect *os = &want[nt];
    os->name = "optimizer.state";
    os->dtype = IO_ST_F64;
    os->ndim = opt ? 1 : -1;
    os->shape[0] = (int64_t)ns;
    os->optional = !opt || ns == 0;
    const io_tensor *st = io_st_find(&f, "optimizer.state");
    if (opt && ns > 0 && !st) {
        io_errf(err, errlen, "%s: no tensor `optimizer.state`: resuming needs the optimiser's "
                "state (a checkpoint without it can only be evaluated)", path);
        goto done;
    }
    if (opt && st && (st->ndim != 1 || io_st_numel(st) != ns)) {
        io_errf(err, errlen, "%s: tensor `optimizer.state` holds %zu values, this experiment's "
                "optimiser (%s) keeps %zu: the checkpoint was written with another optimiser",
                path, io_st_numel(st), x->optimizer == RT_OPT_SGD ? "sgd" : "adam", ns);
        goto done;
    }
    if (io_st_check(&f, path, want, (size_t)nt + 1, err, errlen)) goto done;
    static const char *const keys[] = {"format", "experiment", "source", "epochs"};
    if (io_st_check_meta_keys(&f, path, keys, 4, err, errlen)) goto done;
    const char *format = io_st_meta(&f, "format");
    if (format && strcmp(format, RUN_CHECKPOINT_FORMAT) != 0) {
        io_errf(err, errlen, "%s: metadata field `format` is \"%.40s\", expected \"%s\"", path,
                format, RUN_CHECKPOINT_FORMAT);
        goto done;
    }
    /* The epochs already trained index the loss log of the resumed run: 0..epochs exactly. */
    long long epochs = 0;
    int got = io_st_meta_int(&f, path, "epochs", 0, epochs_done ? x->epochs : INT_MAX, &epochs,
                             err, errlen);
    if (got < 0) goto done;
    if (got == 1 && epochs_done) {
        io_errf(err, errlen, "%s: no metadata field `epochs` (0 to %d): --resume needs the epochs "
                "already trained", path, x->epochs);
        goto done;
    }
    /* Batch-norm variances are divided into by their square root in evaluation. */
    for (int k = 0; k < nt; k++) {
        rt_model_tensor t = rt_model_tensor_at(m, k);
        size_t len = strlen(t.name);
        if (len < 12 || strcmp(t.name + len - 12, ".running_var") != 0) continue;
        const double *v = io_st_find(&f, t.name)->data;
        for (size_t i = 0; i < t.count; i++)
            if (v[i] < 0) {
                io_errf(err, errlen, "%s: tensor `%s` holds the negative variance %g at index %zu",
                        path, t.name, v[i], i);
                goto done;
            }
    }
    if (st && check_optim_state(path, x, st, rt_model_n_params(m), err, errlen)) goto done;
    /* Valid as a whole: now copy. */
    for (int k = 0; k < nt; k++) {
        rt_model_tensor t = rt_model_tensor_at(m, k);
        memcpy(t.data, io_st_find(&f, t.name)->data, sizeof(double) * t.count);
    }
    if (opt && st && ns > 0) rt_optim_set_state(opt, st->data);
    if (epochs_done) *epochs_done = (int)epochs;
    rc = 0;
done:
    /* Metadata values quoted in a message may hold line breaks: keep it one printable line. */
    for (char *c = err; rc && c && *c; c++)
        if ((unsigned char)*c < 0x20 || *c == 0x7f) *c = '?';
    free(want);
    io_st_free(&f);
    return rc;
}
