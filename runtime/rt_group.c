/* Composite layers (parallel, residual, split): branch models whose blocks are slices of the
 * composite's blocks, scratch for the slices of split and the gradients of parallel reserved
 * with the batch, so that forward and backward allocate nothing. */
#include "rt_group.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rt_error.h"
#include "rt_layer_impl.h"
#include "rt_mem.h"

typedef struct {
    rt_layer base;
    rt_group_kind kind;
    int n_branches;
    rt_model **branches;
    double *scratch_in, *scratch_out;    /* [max_batch][widest branch input / output] */
} group_layer;

static void group_destroy(rt_layer *l);
static int group_reserve(rt_layer *l, int max_batch);
static int group_forward(rt_layer *l, const double *x, double *y, int batch);
static void group_backward(rt_layer *l, const double *x, const double *y, const double *dy,
                           double *dx, int batch);

static const rt_layer_ops parallel_ops = {"parallel", group_reserve, group_forward, group_backward, group_destroy};
static const rt_layer_ops residual_ops = {"residual", group_reserve, group_forward, group_backward, group_destroy};
static const rt_layer_ops split_ops = {"split", group_reserve, group_forward, group_backward, group_destroy};

static int is_group(const rt_layer *l) {
    return l->ops == &parallel_ops || l->ops == &residual_ops || l->ops == &split_ops;
}

/* Detaches every layer of the branches from the composite's blocks (they never owned the
 * slices), then frees the branches. */
static void group_destroy(rt_layer *l) {
    group_layer *g = (group_layer *)l;
    for (int i = 0; i < g->n_branches; i++) {
        rt_model *m = g->branches[i];
        for (int j = 0; m && j < rt_model_n_layers(m); j++) {
            rt_layer *c = rt_model_layer(m, j);
            c->params = c->grads = c->buffers = NULL;
        }
        rt_model_destroy(m);
    }
    free(g->branches);
    rt_free(g->scratch_in);
    rt_free(g->scratch_out);
}

/* Points layer c and, for a composite, its branches' layers in block order at the slices
 * that start at params / grads / buffers (which already hold their values). */
static void repoint(rt_layer *c, double *params, double *grads, double *buffers) {
    c->params = params;
    c->grads = grads;
    c->buffers = buffers;
    if (!is_group(c))
        return;
    const group_layer *g = (const group_layer *)c;
    size_t po = 0, bo = 0;
    for (int i = 0; i < g->n_branches; i++)
        for (int j = 0; j < rt_model_n_layers(g->branches[i]); j++) {
            rt_layer *d = rt_model_layer(g->branches[i], j);
            repoint(d, params + po, grads + po, buffers + bo);
            po += d->n_params;
            bo += d->n_buffers;
        }
}

/* Moves layer c's blocks (which hold its descendants' too) into the given slices. */
static void adopt(rt_layer *c, double *params, double *grads, double *buffers) {
    memcpy(params, c->params, c->n_params * sizeof(double));
    memcpy(grads, c->grads, c->n_params * sizeof(double));
    memcpy(buffers, c->buffers, c->n_buffers * sizeof(double));
    rt_free(c->params);
    rt_free(c->grads);
    rt_free(c->buffers);
    repoint(c, params, grads, buffers);
}

static int group_reserve(rt_layer *l, int max_batch) {
    group_layer *g = (group_layer *)l;
    int wide_in = 0, wide_out = 0;
    for (int i = 0; i < g->n_branches; i++) {
        if (rt_model_build(g->branches[i], max_batch) != 0)
            return -1;
        if (rt_model_n_in(g->branches[i]) > wide_in) wide_in = rt_model_n_in(g->branches[i]);
        if (rt_model_n_out(g->branches[i]) > wide_out) wide_out = rt_model_n_out(g->branches[i]);
    }
    rt_free(g->scratch_in);
    rt_free(g->scratch_out);
    g->scratch_in = rt_alloc_array((size_t)max_batch * (size_t)wide_in + 1, sizeof(double));
    g->scratch_out = rt_alloc_array((size_t)max_batch * (size_t)wide_out + 1, sizeof(double));
    return g->scratch_in && g->scratch_out ? 0 : -1;
}

/* Copies columns [col, col + w) of rows of width `from_w` to a dense [batch][w] block, or
 * back (scatter) when `back` is set. */
static void slice_copy(double *dense, double *wide, int batch, int from_w, int col, int w, int back) {
    for (int b = 0; b < batch; b++) {
        double *d = dense + (size_t)b * w, *s = wide + (size_t)b * from_w + col;
        memcpy(back ? s : d, back ? d : s, (size_t)w * sizeof(double));
    }
}

static int group_forward(rt_layer *l, const double *x, double *y, int batch) {
    group_layer *g = (group_layer *)l;
    int col_in = 0, col_out = 0;
    for (int i = 0; i < g->n_branches; i++) {
        rt_model *m = g->branches[i];
        /* the model sets the composite's mode; its branches follow here */
        if (l->training) rt_model_train(m);
        else rt_model_eval(m, l->eval_stats);
        int w = rt_model_n_in(m), v = rt_model_n_out(m);
        const double *in = x;
        if (g->kind == RT_GROUP_SPLIT) {
            slice_copy(g->scratch_in, (double *)x, batch, l->n_in, col_in, w, 0);
            in = g->scratch_in;
        }
        const double *out = rt_model_forward(m, in, batch);
        if (!out)
            return -1;
        if (g->kind == RT_GROUP_RESIDUAL) {
            for (size_t k = 0; k < (size_t)batch * (size_t)v; k++)
                y[k] = x[k] + out[k];
        } else {
            slice_copy((double *)out, y, batch, l->n_out, col_out, v, 1);
        }
        col_in += w;
        col_out += v;
    }
    return 0;
}

static void group_backward(rt_layer *l, const double *x, const double *y, const double *dy,
                           double *dx, int batch) {
    (void)x;
    (void)y;
    group_layer *g = (group_layer *)l;
    if (dx && g->kind == RT_GROUP_PARALLEL)
        memset(dx, 0, (size_t)batch * (size_t)l->n_in * sizeof(double));
    int col_in = 0, col_out = 0;
    for (int i = 0; i < g->n_branches; i++) {
        rt_model *m = g->branches[i];
        int w = rt_model_n_in(m), v = rt_model_n_out(m);
        const double *d_out = dy;
        if (g->kind != RT_GROUP_RESIDUAL) {
            slice_copy(g->scratch_out, (double *)dy, batch, l->n_out, col_out, v, 0);
            d_out = g->scratch_out;
        }
        if (rt_model_backward(m, d_out) != 0)
            return;   /* cannot happen: the composite's forward ran the branch */
        const double *gx = rt_model_input_grad(m);
        if (dx) {
            size_t n = (size_t)batch * (size_t)w;
            if (g->kind == RT_GROUP_PARALLEL)
                for (size_t k = 0; k < n; k++) dx[k] += gx[k];
            else if (g->kind == RT_GROUP_RESIDUAL)
                for (size_t k = 0; k < n; k++) dx[k] = dy[k] + gx[k];
            else
                slice_copy((double *)gx, dx, batch, l->n_in, col_in, w, 1);
        }
        col_in += w;
        col_out += v;
    }
}

static void free_branches(int n, rt_model **branches) {
    for (int i = 0; i < n; i++)
        rt_model_destroy(branches[i]);
}

rt_layer *rt_group_create(rt_group_kind kind, int n_branches, rt_model **branches) {
    static const char *const names[] = {"parallel", "residual", "split"};
    const char *what = (unsigned)kind < 3 ? names[kind] : "?";
    if ((unsigned)kind > RT_GROUP_SPLIT || n_branches < 1 ||
        (kind == RT_GROUP_RESIDUAL && n_branches != 1)) {
        rt_error("%s layer: %d branches (residual takes one, the others at least one)", what,
                 n_branches);
        free_branches(n_branches, branches);
        return NULL;
    }
    int w = rt_model_n_in(branches[0]), v = rt_model_n_out(branches[0]), n_in = 0, n_out = 0;
    size_t np = 0, nb = 0;
    for (int i = 0; i < n_branches; i++) {
        int wi = rt_model_n_in(branches[i]), vi = rt_model_n_out(branches[i]);
        if (rt_model_n_layers(branches[i]) == 0 || wi != w ||
            (kind != RT_GROUP_PARALLEL && vi != (kind == RT_GROUP_RESIDUAL ? w : v))) {
            rt_error("%s layer: branch %d (%d layers, %d -> %d) does not fit branch 0 (%d -> %d)",
                     what, i, rt_model_n_layers(branches[i]), wi, vi, w, v);
            free_branches(n_branches, branches);
            return NULL;
        }
        n_in += wi;
        n_out += vi;
        np += rt_model_n_params(branches[i]);
        nb += rt_model_n_buffers(branches[i]);
    }
    if (kind != RT_GROUP_SPLIT) n_in = w;
    if (kind == RT_GROUP_RESIDUAL) n_out = w;
    const rt_layer_ops *ops = kind == RT_GROUP_PARALLEL ? &parallel_ops
                              : kind == RT_GROUP_RESIDUAL ? &residual_ops : &split_ops;
    rt_layer *l = rt_layer_alloc(sizeof(group_layer), ops, n_in, n_out, np, nb);
    rt_model **own = l ? malloc((size_t)n_branches * sizeof *own) : NULL;
    if (!own) {
        if (l) rt_error("%s layer: out of memory", what);
        rt_layer_destroy(l);
        free_branches(n_branches, branches);
        return NULL;
    }
    group_layer *g = (group_layer *)l;
    g->kind = kind;
    memcpy(own, branches, (size_t)n_branches * sizeof *own);
    g->branches = own;
    g->n_branches = n_branches;
    /* the branches' blocks become slices of ours, in branch then layer order */
    size_t po = 0, bo = 0;
    for (int i = 0; i < n_branches; i++)
        for (int j = 0; j < rt_model_n_layers(own[i]); j++) {
            rt_layer *c = rt_model_layer(own[i], j);
            adopt(c, l->params + po, l->grads + po, l->buffers + bo);
            po += c->n_params;
            bo += c->n_buffers;
        }
    /* tensors in block order: every branch's parameters, then every branch's buffers */
    for (int pass = 0; pass < 2; pass++)
        for (int i = 0; i < n_branches; i++)
            for (int k = 0; k < rt_model_n_tensors(own[i]); k++) {
                rt_model_tensor t = rt_model_tensor_at(own[i], k);
                if ((t.kind == RT_TENSOR_PARAM) != (pass == 0))
                    continue;
                char name[256];
                snprintf(name, sizeof name, "b%d.%s", i, t.name);
                if (rt_layer_add_tensor(l, name, t.kind, t.count) != 0) {
                    rt_layer_destroy(l);
                    return NULL;
                }
            }
    return l;
}

int rt_group_n_branches(const rt_layer *l) {
    return is_group(l) ? ((const group_layer *)l)->n_branches : 0;
}

rt_model *rt_group_branch(rt_layer *l, int i) {
    return is_group(l) && i >= 0 && i < ((group_layer *)l)->n_branches
               ? ((group_layer *)l)->branches[i] : NULL;
}
