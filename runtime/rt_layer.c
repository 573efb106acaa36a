/* Runtime layers: the generic part (allocation, named tensors, mode, dispatch to the vtable). */
#include "rt_layer_impl.h"

#include <stdlib.h>
#include <string.h>

#include "rt_error.h"
#include "rt_mem.h"

rt_layer *rt_layer_alloc(size_t size, const rt_layer_ops *ops, int n_in, int n_out,
                         size_t n_params, size_t n_buffers) {
    /* no inputs is a layer of constants in its parameters (a circuit without `input`) */
    if (n_in < 0 || n_out < 1) {
        rt_error("%s layer: sizes %d -> %d must be 0 or more -> positive", ops->kind, n_in, n_out);
        return NULL;
    }
    rt_layer *l = calloc(1, size);
    if (!l) {
        rt_error("%s layer: out of memory", ops->kind);
        return NULL;
    }
    l->ops = ops;
    l->n_in = n_in;
    l->n_out = n_out;
    l->n_params = n_params;
    l->n_buffers = n_buffers;
    l->training = 1;
    l->eval_stats = RT_BN_RUNNING;
    l->params = rt_alloc_array(n_params, sizeof(double));
    l->grads = rt_alloc_array(n_params, sizeof(double));
    l->buffers = rt_alloc_array(n_buffers, sizeof(double));
    if (!l->params || !l->grads || !l->buffers) {
        rt_layer_destroy(l);
        return NULL;
    }
    return l;
}

int rt_layer_add_tensor(rt_layer *l, const char *name, rt_tensor_kind kind, size_t count) {
    size_t used = 0;
    for (int k = 0; k < l->n_tensors; k++)
        if (l->tensors[k].kind == kind)
            used += l->tensors[k].count;
    size_t total = kind == RT_TENSOR_PARAM ? l->n_params : l->n_buffers;
    if (count > total - used) {
        rt_error("%s layer: tensor '%s' (%zu values) overflows the layer's %zu", l->ops->kind,
                 name, count, total);
        return -1;
    }
    rt_tensor_desc *t = realloc(l->tensors, ((size_t)l->n_tensors + 1) * sizeof *t);
    if (!t) {
        rt_error("%s layer: out of memory", l->ops->kind);
        return -1;
    }
    l->tensors = t;
    char *copy = malloc(strlen(name) + 1);
    if (!copy) {
        rt_error("%s layer: out of memory", l->ops->kind);
        return -1;
    }
    strcpy(copy, name);
    t[l->n_tensors++] = (rt_tensor_desc){copy, kind, used, count};
    return 0;
}

void rt_layer_destroy(rt_layer *l) {
    if (!l)
        return;
    if (l->ops->destroy)
        l->ops->destroy(l);
    for (int k = 0; k < l->n_tensors; k++)
        free(l->tensors[k].name);
    free(l->tensors);
    rt_free(l->params);
    rt_free(l->grads);
    rt_free(l->buffers);
    free(l);
}

const char *rt_layer_kind(const rt_layer *l) { return l->ops->kind; }
int rt_layer_n_in(const rt_layer *l) { return l->n_in; }
int rt_layer_n_out(const rt_layer *l) { return l->n_out; }
size_t rt_layer_n_params(const rt_layer *l) { return l->n_params; }
double *rt_layer_params(rt_layer *l) { return l->params; }
double *rt_layer_grads(rt_layer *l) { return l->grads; }
size_t rt_layer_n_buffers(const rt_layer *l) { return l->n_buffers; }
double *rt_layer_buffers(rt_layer *l) { return l->buffers; }
int rt_layer_n_tensors(const rt_layer *l) { return l->n_tensors; }
const char *rt_layer_tensor_name(const rt_layer *l, int k) { return l->tensors[k].name; }
rt_tensor_kind rt_layer_tensor_kind(const rt_layer *l, int k) { return l->tensors[k].kind; }
size_t rt_layer_tensor_count(const rt_layer *l, int k) { return l->tensors[k].count; }

double *rt_layer_tensor_data(rt_layer *l, int k) {
    const rt_tensor_desc *t = &l->tensors[k];
    return (t->kind == RT_TENSOR_PARAM ? l->params : l->buffers) + t->offset;
}

int rt_layer_find_tensor(const rt_layer *l, const char *name) {
    for (int k = 0; k < l->n_tensors; k++)
        if (strcmp(l->tensors[k].name, name) == 0)
            return k;
    return -1;
}

void rt_layer_init_tensor(rt_layer *l, int k, rt_init spec, rt_rng *rng) {
    rt_init_fill(rt_layer_tensor_data(l, k), l->tensors[k].count, spec, rng);
}

void rt_layer_set_mode(rt_layer *l, int training, rt_bn_stats eval_stats) {
    l->training = training != 0;
    l->eval_stats = eval_stats;
}

int rt_layer_reserve(rt_layer *l, int max_batch) {
    if (max_batch < 1) {
        rt_error("%s layer: maximum batch %d must be positive", l->ops->kind, max_batch);
        return -1;
    }
    if (l->ops->reserve && l->ops->reserve(l, max_batch) != 0) {
        l->max_batch = 0;   /* the old scratch may be gone: refuse forwards until a reserve works */
        return -1;
    }
    l->max_batch = max_batch;
    return 0;
}

int rt_layer_forward(rt_layer *l, const double *x, double *y, int batch) {
    if (batch < 1) {
        rt_error("%s layer: batch %d must be positive", l->ops->kind, batch);
        return -1;
    }
    if (l->ops->reserve && batch > l->max_batch) {
        rt_error("%s layer: batch %d exceeds the reserved maximum %d", l->ops->kind, batch,
                 l->max_batch);
        return -1;
    }
    return l->ops->forward(l, x, y, batch);
}

void rt_layer_backward(rt_layer *l, const double *x, const double *y, const double *dy,
                       double *dx, int batch) {
    l->ops->backward(l, x, y, dy, dx, batch);
}

void rt_layer_zero_grad(rt_layer *l) {
    memset(l->grads, 0, l->n_params * sizeof(double));
}
