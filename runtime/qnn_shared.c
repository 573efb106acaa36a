/* The runtime side of shared libraries (qnn_shared.h): the C ABI that Python's ctypes calls.
 * Circuits run through the same quantum layer as `qnn run` (rt_qlayer: chunks, pool, fixed
 * summation order), models are built as rt_embed builds them; every argument is checked here,
 * at the boundary, so that nothing below sees a wrong size or a NULL. */
#define _XOPEN_SOURCE 700 /* sysconf */
#include "qnn_shared.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "io_safetensors.h"
#include "rt_error.h"
#include "rt_main.h"
#include "rt_mem.h"
#include "rt_pool.h"
#include "rt_qlayer.h"
#include "rt_rng.h"
#include "run_checkpoint.h"
#include "run_data.h"
#include "run_model.h"
#include "run_output.h"

#ifndef QNN_VERSION
#define QNN_VERSION "unknown"
#endif

/* One circuit of the library: its quantum layer (created at the first call) and, for float
 * circuits, double staging for the layer's float64 interface. Both grow with the largest
 * batch seen and are reused: a call allocates nothing unless its batch is a new maximum. */
typedef struct {
    rt_circuit c;
    rt_layer *layer;
    int reserved;             /* batch the layer's scratch is sized for */
    double *stage;            /* float circuits: params, x, y or dy, dx as doubles */
    size_t stage_cap;         /* doubles */
} lib_circuit;

typedef struct {
    const rt_experiment *x;
    rt_circuit *circuits;
    const rt_circuit **ptrs;
    rt_model *model;          /* NULL until first used */
    int trained_batch;        /* points of the latest training forward; 0: no backward */
} lib_model;

struct qnn_lib {
    const qnn_shared_desc *d;
    rt_pool *pool;
    lib_circuit *circ;
    lib_model *models;
};

static int fail(char *err, size_t errlen, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

static int fail(char *err, size_t errlen, const char *fmt, ...) {
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return -1;
}

int qnn_abi_version(void) { return QNN_ABI_VERSION; }
const char *qnn_version(void) { return QNN_VERSION; }

void qnn_lib_close(qnn_lib *lib) {
    if (!lib) return;
    for (int k = 0; lib->circ && k < lib->d->n_circuits; k++) {
        rt_layer_destroy(lib->circ[k].layer);
        rt_free(lib->circ[k].stage);
    }
    for (int k = 0; lib->models && k < lib->d->n_models; k++) {
        rt_model_destroy(lib->models[k].model);
        free(lib->models[k].circuits);
        free(lib->models[k].ptrs);
    }
    free(lib->circ);
    free(lib->models);
    rt_pool_destroy(lib->pool);
    free(lib);
}

qnn_lib *qnn_shared_open(const qnn_shared_desc *d, int abi, int threads, char *err, size_t errlen) {
    char msg[1024];
    if (!d || d->abi != QNN_ABI_VERSION) {
        fail(err, errlen, "this library was generated for qnn ABI %d, its runtime implements %d: "
             "rebuild it with this qnnc", d ? d->abi : -1, QNN_ABI_VERSION);
        return NULL;
    }
    if (abi != QNN_ABI_VERSION) {
        fail(err, errlen, "the library implements qnn ABI %d, the caller expects %d: rebuild the "
             "library with the qnnc that matches the caller (qnnc build --emit shared)",
             QNN_ABI_VERSION, abi);
        return NULL;
    }
    if (threads < 0) {
        fail(err, errlen, "threads must be 0 (all cores) or more; got %d", threads);
        return NULL;
    }
    qnn_lib *lib = calloc(1, sizeof *lib);
    if (!lib) {
        fail(err, errlen, "out of memory");
        return NULL;
    }
    lib->d = d;
    lib->circ = calloc((size_t)d->n_circuits + 1, sizeof *lib->circ);
    lib->models = calloc((size_t)d->n_models + 1, sizeof *lib->models);
    if (!lib->circ || !lib->models) {
        fail(err, errlen, "out of memory");
        goto bad;
    }
    for (int k = 0; k < d->n_circuits; k++)
        if (rt_circuit_bind(&d->circuits[k], &lib->circ[k].c, msg, sizeof msg)) {
            fail(err, errlen, "%s", msg);
            goto bad;
        }
    for (int k = 0; k < d->n_models; k++) lib->models[k].x = d->models[k].x;
    if (threads == 0) threads = (int)sysconf(_SC_NPROCESSORS_ONLN);
    if (threads < 1) threads = 1;
    if (!(lib->pool = rt_pool_create(threads))) {
        fail(err, errlen, "%s", rt_error_last());
        goto bad;
    }
    return lib;
bad:
    qnn_lib_close(lib);
    return NULL;
}

const char *qnn_lib_built_with(const qnn_lib *lib) {
    return lib && lib->d->built_with ? lib->d->built_with : "";
}
int qnn_lib_n_circuits(const qnn_lib *lib) { return lib ? lib->d->n_circuits : 0; }
int qnn_lib_n_models(const qnn_lib *lib) { return lib ? lib->d->n_models : 0; }

/* ---- circuits ------------------------------------------------------------------------ */

static lib_circuit *circuit_at(const qnn_lib *lib, int k, char *err, size_t errlen) {
    if (!lib) {
        fail(err, errlen, "no library (NULL handle)");
        return NULL;
    }
    if (k < 0 || k >= lib->d->n_circuits) {
        fail(err, errlen, "no circuit %d: the library has %d", k, lib->d->n_circuits);
        return NULL;
    }
    return &lib->circ[k];
}

int qnn_lib_circuit_info(const qnn_lib *lib, int k, qnn_circuit_info *out, char *err, size_t errlen) {
    const lib_circuit *lc = circuit_at(lib, k, err, errlen);
    if (!lc) return -1;
    if (!out) return fail(err, errlen, "qnn_lib_circuit_info: NULL output");
    const rt_circuit *c = &lc->c;
    *out = (qnn_circuit_info){c->name ? c->name : "", c->n_qubits, c->n_inputs, c->n_outputs,
                              c->n_params, c->precision, c->lanes};
    return 0;
}

/* The checks every circuit call shares; a message names the circuit and the mismatch. */
static int check_call(const lib_circuit *lc, int dtype_bits, long long n_params, long long batch,
                      long long n_inputs, long long n_outputs, const void *params,
                      const void *inputs, const void *outputs, const char *out_what, char *err,
                      size_t errlen) {
    const rt_circuit *c = &lc->c;
    if (dtype_bits != c->precision)
        return fail(err, errlen, "circuit '%s' is compiled for float%d; got float%d arrays "
                    "(convert them, or build with --precision f%d)", c->name, c->precision,
                    dtype_bits, dtype_bits);
    if (n_params != c->n_params)
        return fail(err, errlen, "circuit '%s' has %d parameters; got %lld", c->name, c->n_params,
                    n_params);
    if (n_inputs != c->n_inputs)
        return fail(err, errlen, "circuit '%s' takes %d inputs per sample; got %lld", c->name,
                    c->n_inputs, n_inputs);
    if (n_outputs != c->n_outputs)
        return fail(err, errlen, "circuit '%s' has %d outputs per sample; %s has %lld", c->name,
                    c->n_outputs, out_what, n_outputs);
    /* the layer's interface counts samples in an int */
    if (batch < 1 || batch > INT_MAX / (c->n_inputs + c->n_outputs + 1))
        return fail(err, errlen, "circuit '%s': batch %lld outside 1..%d", c->name, batch,
                    INT_MAX / (c->n_inputs + c->n_outputs + 1));
    if ((c->n_params && !params) || !inputs || !outputs)
        return fail(err, errlen, "circuit '%s': NULL array", c->name);
    return 0;
}

/* The layer and its scratch for `batch` samples (and staging for float circuits). */
static int prepare(qnn_lib *lib, lib_circuit *lc, int batch, char *err, size_t errlen) {
    const rt_circuit *c = &lc->c;
    if (!lc->layer) {
        rt_qtensor t = {"params", (size_t)c->n_params, rt_init_const(0.0)};
        lc->layer = rt_qlayer_create(c, lib->pool, c->n_params > 0, &t, NULL);
        if (!lc->layer) return fail(err, errlen, "circuit '%s': %s", c->name, rt_error_last());
    }
    if (batch > lc->reserved) {
        if (rt_layer_reserve(lc->layer, batch)) {
            lc->reserved = 0;
            return fail(err, errlen, "circuit '%s': %s", c->name, rt_error_last());
        }
        lc->reserved = batch;
    }
    if (c->precision == 32) {
        size_t need = (size_t)c->n_params + (size_t)batch * (2 * (size_t)c->n_inputs + c->n_outputs);
        if (need > lc->stage_cap) {
            rt_free(lc->stage);
            lc->stage_cap = 0;
            if (!(lc->stage = rt_alloc_array(need, sizeof(double))))
                return fail(err, errlen, "circuit '%s': out of memory for a batch of %d", c->name, batch);
            lc->stage_cap = need;
        }
    }
    return 0;
}

static void f2d(double *d, const float *s, size_t n) {
    for (size_t i = 0; i < n; i++) d[i] = s[i];
}
static void d2f(float *d, const double *s, size_t n) {
    for (size_t i = 0; i < n; i++) d[i] = (float)s[i];
}

int qnn_lib_circuit_forward(qnn_lib *lib, int k, int dtype_bits, const void *params,
                            long long n_params, const void *inputs, long long batch,
                            long long n_inputs, void *outputs, long long n_outputs, char *err,
                            size_t errlen) {
    lib_circuit *lc = circuit_at(lib, k, err, errlen);
    if (!lc || check_call(lc, dtype_bits, n_params, batch, n_inputs, n_outputs, params, inputs,
                          outputs, "the output array", err, errlen) ||
        prepare(lib, lc, (int)batch, err, errlen))
        return -1;
    const rt_circuit *c = &lc->c;
    size_t np = (size_t)c->n_params, nx = (size_t)batch * c->n_inputs, ny = (size_t)batch * c->n_outputs;
    double *p = rt_layer_params(lc->layer);
    int rc;
    if (c->precision == 64) {
        if (np) memcpy(p, params, np * sizeof(double));
        rc = rt_layer_forward(lc->layer, inputs, outputs, (int)batch);
    } else {
        double *x = lc->stage + np, *y = x + nx;
        f2d(p, params, np);
        f2d(x, inputs, nx);
        rc = rt_layer_forward(lc->layer, x, y, (int)batch);
        if (rc == 0) d2f(outputs, y, ny);
    }
    return rc ? fail(err, errlen, "circuit '%s': %s", c->name, rt_error_last()) : 0;
}

int qnn_lib_circuit_vjp(qnn_lib *lib, int k, int dtype_bits, const void *params,
                        long long n_params, const void *inputs, long long batch,
                        long long n_inputs, const void *grad_outputs, long long n_outputs,
                        void *grad_params, void *grad_inputs, char *err, size_t errlen) {
    lib_circuit *lc = circuit_at(lib, k, err, errlen);
    if (!lc || check_call(lc, dtype_bits, n_params, batch, n_inputs, n_outputs, params, inputs,
                          grad_outputs, "the output gradient", err, errlen))
        return -1;
    if (lc->c.n_params && !grad_params)
        return fail(err, errlen, "circuit '%s': NULL parameter gradient", lc->c.name);
    if (prepare(lib, lc, (int)batch, err, errlen)) return -1;
    const rt_circuit *c = &lc->c;
    size_t np = (size_t)c->n_params, nx = (size_t)batch * c->n_inputs, ny = (size_t)batch * c->n_outputs;
    double *p = rt_layer_params(lc->layer), *g = rt_layer_grads(lc->layer);
    rt_layer_zero_grad(lc->layer);
    /* the quantum layer's backward reads only x and dy (the vjp recomputes the state) */
    if (c->precision == 64) {
        if (np) memcpy(p, params, np * sizeof(double));
        rt_layer_backward(lc->layer, inputs, NULL, grad_outputs, grad_inputs, (int)batch);
        if (np) memcpy(grad_params, g, np * sizeof(double));
    } else {
        double *x = lc->stage + np, *dy = x + nx, *dx = dy + ny;
        f2d(p, params, np);
        f2d(x, inputs, nx);
        f2d(dy, grad_outputs, ny);
        rt_layer_backward(lc->layer, x, NULL, dy, grad_inputs ? dx : NULL, (int)batch);
        d2f(grad_params, g, np);
        if (grad_inputs) d2f(grad_inputs, dx, nx);
    }
    return 0;
}

/* ---- models -------------------------------------------------------------------------- */

/* Model k, built (with the initial weights of its seed) the first time it is used. */
static lib_model *model_at(qnn_lib *lib, int k, char *err, size_t errlen) {
    char msg[1024];
    if (!lib) {
        fail(err, errlen, "no library (NULL handle)");
        return NULL;
    }
    if (k < 0 || k >= lib->d->n_models) {
        fail(err, errlen, "no model %d: the library has %d", k, lib->d->n_models);
        return NULL;
    }
    lib_model *lm = &lib->models[k];
    if (lm->model) return lm;
    const rt_compiled_experiment *md = &lib->d->models[k];
    int nc = lm->x->n_circuits;
    if (!lm->circuits) {
        lm->circuits = calloc((size_t)nc + 1, sizeof *lm->circuits);
        lm->ptrs = calloc((size_t)nc + 1, sizeof *lm->ptrs);
        if (!lm->circuits || !lm->ptrs) {
            fail(err, errlen, "%s: out of memory", lm->x->name);
            return NULL;
        }
    }
    for (int c = 0; c < nc; c++) {
        if (rt_circuit_bind(&md->circuits[c], &lm->circuits[c], msg, sizeof msg)) {
            fail(err, errlen, "%s: %s", lm->x->name, msg);
            return NULL;
        }
        lm->ptrs[c] = &lm->circuits[c];
    }
    rt_rng rng;
    rt_rng_seed(&rng, lm->x->seed);
    if (!(lm->model = run_build_model(lm->x, lm->ptrs, lib->pool, &rng, msg, sizeof msg))) {
        fail(err, errlen, "%s: %s", lm->x->name, msg);
        return NULL;
    }
    if (rt_model_build(lm->model, 64)) {
        fail(err, errlen, "%s: %s", lm->x->name, rt_error_last());
        rt_model_destroy(lm->model);
        lm->model = NULL;
        return NULL;
    }
    return lm;
}

int qnn_lib_model_info(qnn_lib *lib, int k, qnn_model_info *out, char *err, size_t errlen) {
    lib_model *lm = model_at(lib, k, err, errlen);
    if (!lm) return -1;
    if (!out) return fail(err, errlen, "qnn_lib_model_info: NULL output");
    const rt_experiment *x = lm->x;
    *out = (qnn_model_info){x->name, x->source, x->in_dim, x->out_dim,
                            rt_model_n_tensors(lm->model), (long long)rt_model_n_params(lm->model),
                            (long long)rt_model_n_buffers(lm->model), x->precision,
                            rt_model_n_layers(lm->model)};
    if (x->n_circuits > 0) out->precision = lm->circuits[0].precision;
    return 0;
}

static int tensor_index(lib_model *lm, int t, char *err, size_t errlen) {
    int n = rt_model_n_tensors(lm->model);
    if (t < 0 || t >= n) return fail(err, errlen, "%s: no tensor %d (the model has %d)", lm->x->name, t, n);
    return 0;
}

int qnn_lib_model_tensor(qnn_lib *lib, int k, int t, qnn_tensor_info *out, char *err, size_t errlen) {
    lib_model *lm = model_at(lib, k, err, errlen);
    if (!lm || tensor_index(lm, t, err, errlen)) return -1;
    if (!out) return fail(err, errlen, "qnn_lib_model_tensor: NULL output");
    rt_model_tensor mt = rt_model_tensor_at(lm->model, t);
    int64_t shape[IO_ST_MAX_DIMS];
    memset(out, 0, sizeof *out);
    out->name = mt.name;
    out->is_buffer = mt.kind == RT_TENSOR_BUFFER;
    out->offset = (long long)mt.offset;
    out->count = (long long)mt.count;
    out->ndim = run_checkpoint_shape(lm->x, mt.name, mt.count, shape);
    for (int d = 0; d < out->ndim; d++) out->shape[d] = (long long)shape[d];
    return 0;
}

static rt_model_tensor checked_tensor(lib_model *lm, int t, const void *data, long long count,
                                      int *rc, char *err, size_t errlen) {
    rt_model_tensor mt = {0};
    *rc = -1;
    if (tensor_index(lm, t, err, errlen)) return mt;
    mt = rt_model_tensor_at(lm->model, t);
    if (!data) fail(err, errlen, "%s: NULL array for tensor %s", lm->x->name, mt.name);
    else if (count != (long long)mt.count)
        fail(err, errlen, "%s: tensor %s has %zu values; got %lld", lm->x->name, mt.name, mt.count, count);
    else *rc = 0;
    return mt;
}

int qnn_lib_model_get_tensor(qnn_lib *lib, int k, int t, double *data, long long count, char *err,
                             size_t errlen) {
    lib_model *lm = model_at(lib, k, err, errlen);
    int rc = -1;
    if (!lm) return -1;
    rt_model_tensor mt = checked_tensor(lm, t, data, count, &rc, err, errlen);
    if (rc == 0) memcpy(data, mt.data, mt.count * sizeof(double));
    return rc;
}

int qnn_lib_model_set_tensor(qnn_lib *lib, int k, int t, const double *data, long long count,
                             char *err, size_t errlen) {
    lib_model *lm = model_at(lib, k, err, errlen);
    int rc = -1;
    if (!lm) return -1;
    rt_model_tensor mt = checked_tensor(lm, t, data, count, &rc, err, errlen);
    if (rc == 0) memcpy(mt.data, data, mt.count * sizeof(double));
    return rc;
}

int qnn_lib_model_forward(qnn_lib *lib, int k, const double *x, long long n, long long in_dim,
                          double *out, long long out_dim, int training, char *err, size_t errlen) {
    lib_model *lm = model_at(lib, k, err, errlen);
    if (!lm) return -1;
    const rt_experiment *e = lm->x;
    if (in_dim != e->in_dim)
        return fail(err, errlen, "%s: the model takes %d coordinates per point; got %lld", e->name,
                    e->in_dim, in_dim);
    if (out_dim != e->out_dim)
        return fail(err, errlen, "%s: the model gives %d values per point; the output array has %lld",
                    e->name, e->out_dim, out_dim);
    if (n < 1 || n > INT_MAX / 1024)
        return fail(err, errlen, "%s: %lld points outside 1..%d", e->name, n, INT_MAX / 1024);
    if (!x || !out) return fail(err, errlen, "%s: NULL array", e->name);
    if (training < 0 || training > 3)
        return fail(err, errlen, "%s: mode %d is not 0 (eval), 1 (train), 2 or 3", e->name, training);
    lm->trained_batch = 0;
    if ((int)n > rt_model_max_batch(lm->model) && rt_model_build(lm->model, (int)n))
        return fail(err, errlen, "%s: %s", e->name, rt_error_last());
    if (training == 1) rt_model_train(lm->model);
    else
        rt_model_eval(lm->model, training == 2 ? RT_BN_RUNNING
                                 : training == 3 ? RT_BN_BATCH
                                 : e->bn_eval_running ? RT_BN_RUNNING : RT_BN_BATCH);
    const double *y = rt_model_forward(lm->model, x, (int)n);
    if (!y) return fail(err, errlen, "%s: forward pass failed: %s", e->name, rt_error_last());
    memcpy(out, y, sizeof(double) * (size_t)n * (size_t)e->out_dim);
    if (training == 1) lm->trained_batch = (int)n;
    return 0;
}

int qnn_lib_model_backward(qnn_lib *lib, int k, const double *grad_out, long long n,
                           long long out_dim, double *grad_params, long long n_params,
                           double *grad_x, char *err, size_t errlen) {
    lib_model *lm = model_at(lib, k, err, errlen);
    if (!lm) return -1;
    const rt_experiment *e = lm->x;
    if (!lm->trained_batch)
        return fail(err, errlen, "%s: backward needs a forward in training mode first", e->name);
    if (n != lm->trained_batch)
        return fail(err, errlen, "%s: backward of %lld points after a forward of %d", e->name, n,
                    lm->trained_batch);
    if (out_dim != e->out_dim)
        return fail(err, errlen, "%s: the model gives %d values per point; the gradient has %lld",
                    e->name, e->out_dim, out_dim);
    if (n_params != (long long)rt_model_n_params(lm->model))
        return fail(err, errlen, "%s: the model has %zu parameters; the gradient array has %lld",
                    e->name, rt_model_n_params(lm->model), n_params);
    if (!grad_out || !grad_params) return fail(err, errlen, "%s: NULL array", e->name);
    rt_model_zero_grad(lm->model);
    if (rt_model_backward(lm->model, grad_out))
        return fail(err, errlen, "%s: %s", e->name, rt_error_last());
    rt_model_get_grads(lm->model, grad_params);
    if (grad_x) memcpy(grad_x, rt_model_input_grad(lm->model), sizeof(double) * (size_t)n * e->in_dim);
    return 0;
}

int qnn_lib_model_data(qnn_lib *lib, int k, double *coords, double *values, long long n_max,
                       long long *n, char *err, size_t errlen) {
    lib_model *lm = model_at(lib, k, err, errlen);
    if (!lm) return -1;
    if (!n) return fail(err, errlen, "%s: NULL count", lm->x->name);
    run_data d;
    char msg[2048];
    memset(&d, 0, sizeof d);
    if (run_data_load(&lm->x->data, lib->d->source_path ? lib->d->source_path : lm->x->source, 0, &d, msg, sizeof msg))
        return fail(err, errlen, "%s", msg);
    *n = (long long)d.n;
    int rc = 0;
    if (n_max >= *n && (coords || values)) {
        if (!coords || !values) rc = fail(err, errlen, "%s: NULL array", lm->x->name);
        else {
            memcpy(coords, d.coords, sizeof(double) * d.n * (size_t)d.in_dim);
            memcpy(values, d.values, sizeof(double) * d.n * (size_t)d.out_dim);
        }
    }
    run_data_free(&d);
    return rc;
}

int qnn_lib_model_load(qnn_lib *lib, int k, const char *path, char *err, size_t errlen) {
    lib_model *lm = model_at(lib, k, err, errlen);
    if (!lm) return -1;
    if (!path) return fail(err, errlen, "%s: NULL path", lm->x->name);
    char msg[2048];
    if (run_checkpoint_load(path, lm->x, lm->model, NULL, NULL, msg, sizeof msg))
        return fail(err, errlen, "%s", msg);
    lm->trained_batch = 0;
    return 0;
}

int qnn_lib_model_save(qnn_lib *lib, int k, const char *path, char *err, size_t errlen) {
    lib_model *lm = model_at(lib, k, err, errlen);
    if (!lm) return -1;
    if (!path) return fail(err, errlen, "%s: NULL path", lm->x->name);
    char msg[2048];
    if (run_save_checkpoint(path, lm->x, lm->model, NULL, 0, msg, sizeof msg))
        return fail(err, errlen, "%s", msg);
    return 0;
}

/* ---- safetensors ----------------------------------------------------------------------- */

struct qnn_st {
    io_st_file f;
};

qnn_st *qnn_st_read(const char *path, char *err, size_t errlen) {
    if (!path) {
        fail(err, errlen, "NULL path");
        return NULL;
    }
    qnn_st *s = calloc(1, sizeof *s);
    if (!s) {
        fail(err, errlen, "%s: out of memory", path);
        return NULL;
    }
    char msg[2048];
    if (io_st_read(path, &s->f, msg, sizeof msg)) {
        fail(err, errlen, "%s", msg);
        free(s);
        return NULL;
    }
    return s;
}

void qnn_st_free(qnn_st *s) {
    if (!s) return;
    io_st_free(&s->f);
    free(s);
}

int qnn_st_count(const qnn_st *s) { return s ? (int)s->f.count : 0; }
int qnn_st_meta_count(const qnn_st *s) { return s ? (int)s->f.meta_count : 0; }

int qnn_st_meta(const qnn_st *s, int i, const char **key, const char **value) {
    if (!s || i < 0 || (size_t)i >= s->f.meta_count || !key || !value) return -1;
    *key = s->f.meta_keys[i];
    *value = s->f.meta_values[i];
    return 0;
}

int qnn_st_tensor(const qnn_st *s, int t, qnn_tensor_info *out, const double **data, char *err,
                  size_t errlen) {
    if (!s || !out || !data) return fail(err, errlen, "qnn_st_tensor: NULL argument");
    if (t < 0 || (size_t)t >= s->f.count)
        return fail(err, errlen, "no tensor %d: the file has %zu", t, s->f.count);
    const io_tensor *it = &s->f.tensors[t];
    memset(out, 0, sizeof *out);
    out->name = it->name;
    out->count = (long long)io_st_numel(it);
    out->ndim = it->ndim;
    for (int d = 0; d < it->ndim; d++) out->shape[d] = (long long)it->shape[d];
    *data = it->data;
    return 0;
}

int qnn_st_write(const char *path, int n, const char *const *names, const int *ndims,
                 const long long *shapes, const double *const *data, int f32,
                 const char *const *meta_keys, const char *const *meta_values, int meta_count,
                 char *err, size_t errlen) {
    if (!path || n < 0 || (n && (!names || !ndims || !shapes || !data)) || meta_count < 0 ||
        (meta_count && (!meta_keys || !meta_values)))
        return fail(err, errlen, "qnn_st_write: NULL or negative argument");
    io_tensor *ts = calloc((size_t)n + 1, sizeof *ts);
    if (!ts) return fail(err, errlen, "%s: out of memory", path);
    int rc = 0;
    for (int i = 0; i < n && !rc; i++) {
        if (!names[i] || !data[i] || ndims[i] < 0 || ndims[i] > IO_ST_MAX_DIMS) {
            rc = fail(err, errlen, "%s: tensor %d has no name, no data or %d dimensions (0..%d)", path,
                      i, ndims[i], IO_ST_MAX_DIMS);
            break;
        }
        ts[i].name = names[i];
        ts[i].dtype = f32 ? IO_ST_F32 : IO_ST_F64;
        ts[i].ndim = ndims[i];
        for (int d = 0; d < ndims[i]; d++) {
            if (shapes[8 * i + d] < 0) rc = fail(err, errlen, "%s: tensor %s has a negative dimension", path, names[i]);
            ts[i].shape[d] = shapes[8 * i + d];
        }
        ts[i].data = data[i];
    }
    char msg[2048];
    if (!rc && io_st_write(path, ts, (size_t)n, meta_keys, meta_values, (size_t)meta_count, msg, sizeof msg))
        rc = fail(err, errlen, "%s", msg);
    free(ts);
    return rc;
}
