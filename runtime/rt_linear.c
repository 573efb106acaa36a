/* Runtime linear layer: forward/backward through the dense kernels. */
#include "rt_linear.h"

#include <math.h>
#include <string.h>

#include "k_dense.h"
#include "rt_error.h"
#include "rt_layer_impl.h"

typedef struct {
    rt_layer base;
    int has_bias;
} linear_layer;

static int linear_forward(rt_layer *l, const double *x, double *y, int batch) {
    const linear_layer *ll = (const linear_layer *)l;
    const double *W = l->params;
    const double *b = ll->has_bias ? W + (size_t)l->n_in * l->n_out : NULL;
    k_linear_forward(x, W, b, y, batch, l->n_in, l->n_out);
    return 0;
}

static void linear_backward(rt_layer *l, const double *x, const double *y, const double *dy,
                            double *dx, int batch) {
    (void)y;
    const linear_layer *ll = (const linear_layer *)l;
    size_t nw = (size_t)l->n_in * l->n_out;
    k_linear_backward_params(x, dy, l->grads, ll->has_bias ? l->grads + nw : NULL, batch,
                             l->n_in, l->n_out);
    if (dx)
        k_linear_backward_input(dy, l->params, dx, batch, l->n_in, l->n_out);
}

static const rt_layer_ops linear_ops = {
    .kind = "linear", .forward = linear_forward, .backward = linear_backward};

rt_layer *rt_linear_create(int n_in, int n_out, int bias, rt_rng *rng) {
    if (!rng) {
        rt_error("linear layer: no random generator for the initialisation");
        return NULL;
    }
    size_t nw = (size_t)(n_in > 0 ? n_in : 0) * (size_t)(n_out > 0 ? n_out : 0);
    size_t nb = bias ? (size_t)(n_out > 0 ? n_out : 0) : 0;
    rt_layer *l = rt_layer_alloc(sizeof(linear_layer), &linear_ops, n_in, n_out, nw + nb, 0);
    if (!l)
        return NULL;
    ((linear_layer *)l)->has_bias = bias != 0;
    if (rt_layer_add_tensor(l, "weight", RT_TENSOR_PARAM, nw) != 0 ||
        (bias && rt_layer_add_tensor(l, "bias", RT_TENSOR_PARAM, nb) != 0)) {
        rt_layer_destroy(l);
        return NULL;
    }
    /* kaiming_uniform_(a = sqrt(5)) reduces to this bound; the bias uses the same one */
    double bound = 1.0 / sqrt((double)n_in);
    rt_init_fill(l->params, nw + nb, rt_init_uniform(-bound, bound), rng);
    return l;
}

int rt_linear_init_siren(rt_layer *l, int is_first, double omega0, rt_rng *rng) {
    if (strcmp(l->ops->kind, "linear") != 0) {
        rt_error("SIREN initialisation applies to linear layers, not %s", l->ops->kind);
        return -1;
    }
    if (!is_first && !(omega0 > 0.0)) {
        rt_error("SIREN initialisation: omega0 %g must be positive", omega0);
        return -1;
    }
    double bound = is_first ? 1.0 / l->n_in : sqrt(6.0 / l->n_in) / omega0;
    rt_init_fill(l->params, (size_t)l->n_in * l->n_out, rt_init_uniform(-bound, bound), rng);
    return 0;
}
