/* Runtime batch normalisation: statistics and gradients through the k_bn kernels. The
 * per-feature scratch is sized by the width, never by the batch. */
#include "rt_bn.h"

#include <math.h>
#include <stdlib.h>

#include "k_norm.h"
#include "rt_dist.h"
#include "rt_error.h"
#include "rt_layer_impl.h"
#include "rt_mem.h"

typedef struct {
    rt_layer base;
    double eps, momentum;
    double *scratch;          /* 5 n values: mean, var, invstd, sum_dy, sum_dyx */
    int used_batch_stats;     /* how the latest forward normalised: decides the backward */
    double total;             /* samples the statistics were taken over: the batch, or the
                                 whole batch of every rank when it is split (rt_dist.h) */
} bn_layer;

/* Mean and m2 of a batch split across the ranks: the slices' sums, summed, give the mean;
 * the slices' m2 about that mean, summed, give m2 (the two passes of k_bn_stats). */
static int split_stats(bn_layer *bn, const double *x, double *mean, double *m2, int batch, int n) {
    double total = batch;
    k_bn_sum(x, mean, batch, n);
    if (rt_dist_sum(&total, 1) || rt_dist_sum(mean, (size_t)n)) return -1;
    for (int j = 0; j < n; j++)
        mean[j] /= total;
    k_bn_m2(x, mean, m2, batch, n);
    if (rt_dist_sum(m2, (size_t)n)) return -1;
    bn->total = total;
    return 0;
}

static int bn_forward(rt_layer *l, const double *x, double *y, int batch) {
    bn_layer *bn = (bn_layer *)l;
    int n = l->n_in;
    double *mean = bn->scratch, *var = mean + n, *invstd = var + n;
    const double *gamma = l->params, *beta = l->params + n;
    double *run_mean = l->buffers, *run_var = l->buffers + n;
    int use_batch = l->training || l->eval_stats == RT_BN_BATCH;
    int split = use_batch && rt_dist_split();
    if (l->training && batch < 2 && !split) {
        /* the unbiased variance of the running update divides by N - 1 (PyTorch raises too) */
        rt_error("batch norm in training mode needs at least 2 samples per batch, got %d", batch);
        return -1;
    }
    if (use_batch) {
        bn->total = batch;
        if (split) { /* var holds m2 until divided below */
            if (split_stats(bn, x, mean, var, batch, n)) return -1;
        } else {
            k_bn_stats(x, mean, var, batch, n);
        }
        double m = bn->momentum, total = bn->total;
        for (int j = 0; j < n; j++) {
            if (l->training) {   /* same operation order as PyTorch's update */
                run_mean[j] = m * mean[j] + (1.0 - m) * run_mean[j];
                run_var[j] = m * (var[j] / (total - 1)) + (1.0 - m) * run_var[j];
            }
            var[j] /= total;
        }
    } else {
        for (int j = 0; j < n; j++) {
            mean[j] = run_mean[j];
            var[j] = run_var[j];
        }
    }
    for (int j = 0; j < n; j++)
        invstd[j] = 1.0 / sqrt(var[j] + bn->eps);
    bn->used_batch_stats = use_batch;
    k_bn_apply(x, mean, invstd, gamma, beta, y, batch, n);
    return 0;
}

static void bn_backward(rt_layer *l, const double *x, const double *y, const double *dy,
                        double *dx, int batch) {
    (void)y;
    bn_layer *bn = (bn_layer *)l;
    int n = l->n_in;
    double *mean = bn->scratch, *invstd = mean + 2 * n, *sum_dy = mean + 3 * n,
           *sum_dyx = mean + 4 * n;
    if (bn->used_batch_stats && rt_dist_split()) {
        /* sum_dy and sum_dyx are adjacent: one sum over the ranks. The parameter gradients
         * get the whole batch's sums on rank 0 only, since the training loop sums every
         * gradient over the ranks afterwards. */
        k_bn_grad_sums(x, dy, mean, invstd, sum_dy, sum_dyx, batch, n);
        if (rt_dist_sum(sum_dy, 2 * (size_t)n)) return; /* rt_error set: the loop aborts */
        if (rt_dist_rank() == 0)
            for (int j = 0; j < n; j++) {
                l->grads[j] += sum_dyx[j];
                l->grads[n + j] += sum_dy[j];
            }
        if (dx) k_bn_dx_batch(x, dy, mean, invstd, l->params, sum_dy, sum_dyx, dx, batch, bn->total, n);
    } else if (bn->used_batch_stats)
        k_bn_backward_batch(x, dy, mean, invstd, l->params, l->grads, l->grads + n, dx, sum_dy,
                            sum_dyx, batch, n);
    else
        k_bn_backward_fixed(x, dy, mean, invstd, l->params, l->grads, l->grads + n, dx, batch, n);
}

static void bn_destroy(rt_layer *l) { rt_free(((bn_layer *)l)->scratch); }

static const rt_layer_ops bn_ops = {
    .kind = "batchnorm1d", .forward = bn_forward, .backward = bn_backward, .destroy = bn_destroy};

rt_layer *rt_batchnorm_create(int n, double eps, double momentum) {
    if (!(eps > 0.0) || !(momentum >= 0.0 && momentum <= 1.0)) {
        rt_error("batch norm: eps %g must be positive and momentum %g in [0, 1]", eps, momentum);
        return NULL;
    }
    size_t nn = n > 0 ? (size_t)n : 0;
    rt_layer *l = rt_layer_alloc(sizeof(bn_layer), &bn_ops, n, n, 2 * nn, 2 * nn);
    if (!l)
        return NULL;
    bn_layer *bn = (bn_layer *)l;
    bn->eps = eps;
    bn->momentum = momentum;
    bn->scratch = rt_alloc_array(5 * nn, sizeof(double));
    if (!bn->scratch || rt_layer_add_tensor(l, "weight", RT_TENSOR_PARAM, nn) != 0 ||
        rt_layer_add_tensor(l, "bias", RT_TENSOR_PARAM, nn) != 0 ||
        rt_layer_add_tensor(l, "running_mean", RT_TENSOR_BUFFER, nn) != 0 ||
        rt_layer_add_tensor(l, "running_var", RT_TENSOR_BUFFER, nn) != 0) {
        rt_layer_destroy(l);
        return NULL;
    }
    for (int j = 0; j < n; j++) {
        l->params[j] = 1.0;          /* gamma */
        l->buffers[n + j] = 1.0;     /* running_var */
    }
    return l;
}
