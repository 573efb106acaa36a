/* Runtime layers, implementer's side: the layer struct and vtable that rt_linear, rt_bn,
 * rt_act, rt_rff and rt_qlayer fill in. Only layer modules and the model include this. */
#ifndef QNN_RT_LAYER_IMPL_H
#define QNN_RT_LAYER_IMPL_H

#include "rt_layer.h"

typedef struct rt_layer_ops {
    const char *kind;
    int (*reserve)(rt_layer *l, int max_batch);                                  /* optional */
    int (*forward)(rt_layer *l, const double *x, double *y, int batch);
    void (*backward)(rt_layer *l, const double *x, const double *y, const double *dy,
                     double *dx, int batch);
    void (*destroy)(rt_layer *l);        /* optional: frees what the subtype added */
} rt_layer_ops;

typedef struct rt_tensor_desc {
    char *name;
    rt_tensor_kind kind;
    size_t offset, count;                /* slice of params (PARAM) or buffers (BUFFER) */
} rt_tensor_desc;

/* Subtypes embed this as their first member and are allocated by rt_layer_alloc. */
struct rt_layer {
    const rt_layer_ops *ops;
    int n_in, n_out;
    size_t n_params, n_buffers;
    double *params, *grads, *buffers;    /* rt_alloc'ed, owned */
    rt_tensor_desc *tensors;
    int n_tensors;
    int training;
    rt_bn_stats eval_stats;
    int max_batch;                       /* from the latest reserve; 0 = none */
};

/* Allocates a zeroed subtype of `size` bytes with its parameter, gradient and buffer blocks.
 * NULL on failure (rt_error). */
rt_layer *rt_layer_alloc(size_t size, const rt_layer_ops *ops, int n_in, int n_out,
                         size_t n_params, size_t n_buffers);
/* Declares the next tensor (parameters in block order first, then buffers). 0 or -1. */
int rt_layer_add_tensor(rt_layer *l, const char *name, rt_tensor_kind kind, size_t count);

#endif
