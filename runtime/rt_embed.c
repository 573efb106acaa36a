/* The runtime side of models embedded in C programs (qnn_embed.h): a compiled experiment's
 * model built as rt_run_experiment builds it (same layers, same seeded initialisation), its
 * checkpoint loaded as `qnnc eval` loads it, and forward passes in evaluation mode. */
#define _XOPEN_SOURCE 700 /* sysconf */
#include "qnn_embed.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rt_error.h"
#include "rt_main.h"
#include "rt_pool.h"
#include "rt_rng.h"
#include "run_checkpoint.h"
#include "run_model.h"

struct qnn_model {
    rt_experiment x;          /* a copy; layers point into the compiled description */
    rt_circuit *circuits;
    const rt_circuit **ptrs;
    rt_pool *pool;
    rt_model *model;
    rt_bn_stats stats;
};

static void set_err(char *err, size_t errlen, const char *fmt, ...) {
    if (!err || !errlen) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

void qnn_model_destroy(qnn_model *m) {
    if (!m) return;
    rt_model_destroy(m->model);
    rt_pool_destroy(m->pool);
    free(m->circuits);
    free(m->ptrs);
    free(m);
}

qnn_model *qnn_model_create(const qnn_model_desc *desc, int threads, char *err, size_t errlen) {
    char msg[1024] = "";
    if (!desc || !desc->x || threads < 0) {
        set_err(err, errlen, "qnn_model_create: %s", !desc || !desc->x ? "no model" : "negative threads");
        return NULL;
    }
    qnn_model *m = calloc(1, sizeof *m);
    if (!m) {
        set_err(err, errlen, "qnn_model_create: out of memory");
        return NULL;
    }
    m->x = *desc->x;
    m->stats = m->x.bn_eval_running ? RT_BN_RUNNING : RT_BN_BATCH;
    int nc = m->x.n_circuits;
    m->circuits = calloc((size_t)nc + 1, sizeof *m->circuits);
    m->ptrs = calloc((size_t)nc + 1, sizeof *m->ptrs);
    if (!m->circuits || !m->ptrs) {
        set_err(err, errlen, "qnn_model_create: out of memory");
        goto fail;
    }
    for (int k = 0; k < nc; k++) {
        if (rt_circuit_bind(&desc->circuits[k], &m->circuits[k], msg, sizeof msg)) {
            set_err(err, errlen, "%s: %s", m->x.name, msg);
            goto fail;
        }
        m->ptrs[k] = &m->circuits[k];
    }
    if (threads == 0) threads = (int)sysconf(_SC_NPROCESSORS_ONLN);
    if (threads < 1) threads = 1;
    if (!(m->pool = rt_pool_create(threads))) {
        set_err(err, errlen, "%s: %s", m->x.name, rt_error_last());
        goto fail;
    }
    rt_rng rng;
    rt_rng_seed(&rng, m->x.seed);
    if (!(m->model = run_build_model(&m->x, m->ptrs, m->pool, &rng, msg, sizeof msg))) {
        set_err(err, errlen, "%s: %s", m->x.name, msg);
        goto fail;
    }
    if (rt_model_build(m->model, 64)) {
        set_err(err, errlen, "%s: %s", m->x.name, rt_error_last());
        goto fail;
    }
    return m;
fail:
    qnn_model_destroy(m);
    return NULL;
}

int qnn_model_load(qnn_model *m, const char *checkpoint, char *err, size_t errlen) {
    char msg[2048];
    if (!m || !checkpoint) {
        set_err(err, errlen, "qnn_model_load: NULL argument");
        return -1;
    }
    if (run_checkpoint_load(checkpoint, &m->x, m->model, NULL, NULL, msg, sizeof msg)) {
        set_err(err, errlen, "%s", msg);
        return -1;
    }
    return 0;
}

int qnn_model_forward(qnn_model *m, const double *coords, size_t n, double *out, char *err,
                      size_t errlen) {
    if (!m || !coords || !out || n < 1 || n > INT_MAX) {
        set_err(err, errlen, "qnn_model_forward: %s", n < 1 || n > INT_MAX ? "bad number of points"
                                                                         : "NULL argument");
        return -1;
    }
    if ((int)n > rt_model_max_batch(m->model) && rt_model_build(m->model, (int)n)) {
        set_err(err, errlen, "%s: %s", m->x.name, rt_error_last());
        return -1;
    }
    rt_model_eval(m->model, m->stats);
    const double *y = rt_model_forward(m->model, coords, (int)n);
    if (!y) {
        set_err(err, errlen, "%s: forward pass failed: %s", m->x.name, rt_error_last());
        return -1;
    }
    memcpy(out, y, sizeof(double) * n * (size_t)m->x.out_dim);
    return 0;
}

void qnn_model_set_batchnorm(qnn_model *m, int running) {
    if (m) m->stats = running ? RT_BN_RUNNING : RT_BN_BATCH;
}

int qnn_model_in_dim(const qnn_model *m) { return m ? m->x.in_dim : 0; }
int qnn_model_out_dim(const qnn_model *m) { return m ? m->x.out_dim : 0; }
long long qnn_model_n_params(const qnn_model *m) { return m ? (long long)rt_model_n_params(m->model) : 0; }
const char *qnn_model_name(const qnn_model *m) { return m ? m->x.name : ""; }
