/* Model construction: one runtime layer per spec, initialised as the reference does. */
#include "run_model.h"

#include <stdio.h>
#include <stdlib.h>

#include "rt_act.h"
#include "rt_bn.h"
#include "rt_error.h"
#include "rt_group.h"
#include "rt_linear.h"
#include "rt_qlayer.h"
#include "rt_rff.h"

static rt_layer *make_layer(const rt_experiment *x, const rt_layer_spec *s, int index,
                            const rt_circuit *const *circuits, rt_pool *pool, rt_rng *rng) {
    switch (s->kind) {
    case RT_LAYER_LINEAR: {
        rt_layer *l = rt_linear_create(s->in, s->out, s->bias, rng);
        if (l && s->init != RT_LINEAR_INIT_DEFAULT &&
            rt_linear_init_siren(l, s->init == RT_LINEAR_INIT_SIREN_FIRST, s->omega0, rng)) {
            rt_layer_destroy(l);
            return NULL;
        }
        return l;
    }
    case RT_LAYER_BATCHNORM: return rt_batchnorm_create(s->in, s->eps, s->momentum);
    case RT_LAYER_RELU: return rt_relu_create(s->in);
    case RT_LAYER_TANH: return rt_tanh_create(s->in);
    case RT_LAYER_SIGMOID: return rt_sigmoid_create(s->in);
    case RT_LAYER_SINE: return rt_sine_create(s->in, s->omega0);
    case RT_LAYER_SCALE: return rt_scale_create(s->in, s->omega0);
    case RT_LAYER_RFF: return rt_rff_create(s->in, s->out, s->rff_scale, rng);
    case RT_LAYER_SOFTMAX: return rt_softmax_create(s->in);
    case RT_LAYER_LOG_SOFTMAX: return rt_log_softmax_create(s->in);
    case RT_LAYER_PARALLEL:
    case RT_LAYER_RESIDUAL:
    case RT_LAYER_SPLIT:
        break;   /* built by build_sequence, which owns the branches */
    case RT_LAYER_QUANTUM: {
        const rt_circuit *c = circuits[s->circuit];
        int n_out = c && c->shots ? c->shots->n_outputs : c ? c->n_outputs : -1;
        if (!c || c->n_inputs != s->in + s->n_uniform || n_out != s->out || c->n_params != s->n_params) {
            rt_error("layer %d: the compiled circuit does not match its layer", index);
            return NULL;
        }
        rt_qtensor ts[64];
        if (s->n_tensors > 64) {
            rt_error("layer %d: more than 64 parameter tensors", index);
            return NULL;
        }
        for (int t = 0; t < s->n_tensors; t++) {
            const rt_tensor_spec *sp = &s->tensors[t];
            ts[t].name = sp->name;
            ts[t].count = (size_t)sp->size;
            ts[t].init = sp->init == RT_PARAM_INIT_UNIFORM  ? rt_init_uniform(sp->a, sp->b)
                         : sp->init == RT_PARAM_INIT_NORMAL ? rt_init_normal(sp->a, sp->b)
                                                            : rt_init_const(sp->a);
        }
        rt_layer *q = rt_qlayer_create_drawing(c, pool, s->n_tensors, ts, rng, s->n_uniform);
        /* each quantum layer its own streams: the layer's index in the model tells them apart */
        if (q && (x->shots > 0 || c->shots) &&
            rt_qlayer_set_shots(q, x->shots, x->seed, (uint64_t)index)) {
            rt_layer_destroy(q);
            return NULL;
        }
        if (q && x->simulation == RT_SIM_TRAJECTORIES &&
            rt_qlayer_set_trajectories(q, x->trajectories)) {
            rt_layer_destroy(q);
            return NULL;
        }
        return q;
    }
    }
    return NULL;
}

static rt_model *build_sequence(const rt_experiment *x, int parent, int branch, int n_in,
                                const rt_circuit *const *circuits, rt_pool *pool, rt_rng *rng);

/* A composite layer: each branch's sequence, then the composite that takes them. */
static rt_layer *make_group(const rt_experiment *x, int g, const rt_circuit *const *circuits,
                            rt_pool *pool, rt_rng *rng) {
    const rt_layer_spec *s = &x->layers[g];
    if (s->n_branches < 1 || s->n_branches > x->n_layers) {
        rt_error("layer %d: %d branches", g, s->n_branches);
        return NULL;
    }
    int n_in = s->kind == RT_LAYER_SPLIT ? s->in / s->n_branches : s->in;
    rt_model **br = calloc((size_t)s->n_branches, sizeof *br);
    if (!br) {
        rt_error("layer %d: out of memory", g);
        return NULL;
    }
    int b = 0;
    for (; b < s->n_branches; b++)
        if (!(br[b] = build_sequence(x, g + 1, b, n_in, circuits, pool, rng))) break;
    rt_layer *l = NULL;
    if (b == s->n_branches) {
        rt_group_kind kind = s->kind == RT_LAYER_PARALLEL   ? RT_GROUP_PARALLEL
                             : s->kind == RT_LAYER_RESIDUAL ? RT_GROUP_RESIDUAL : RT_GROUP_SPLIT;
        l = rt_group_create(kind, s->n_branches, br);   /* takes the branches */
        if (l && (rt_layer_n_in(l) != s->in || rt_layer_n_out(l) != s->out)) {
            rt_error("layer %d: its branches give %d -> %d, the spec says %d -> %d", g,
                     rt_layer_n_in(l), rt_layer_n_out(l), s->in, s->out);
            rt_layer_destroy(l);
            l = NULL;
        }
    } else {
        while (b-- > 0) rt_model_destroy(br[b]);
    }
    free(br);
    return l;
}

/* The layers with this parent and branch, in list order, as one model; tensors are named by
 * the layer's index in the whole list ("layers.<i>"), so that a flat model's names are the
 * reference's and a nested layer's name is unique. */
static rt_model *build_sequence(const rt_experiment *x, int parent, int branch, int n_in,
                                const rt_circuit *const *circuits, rt_pool *pool, rt_rng *rng) {
    rt_model *m = rt_model_create(n_in);
    if (!m) return NULL;
    for (int i = parent; i < x->n_layers; i++) {
        const rt_layer_spec *s = &x->layers[i];
        if (s->parent != parent || s->branch != branch) continue;
        int group = s->kind == RT_LAYER_PARALLEL || s->kind == RT_LAYER_RESIDUAL ||
                    s->kind == RT_LAYER_SPLIT;
        rt_layer *l = group ? make_group(x, i, circuits, pool, rng)
                            : make_layer(x, s, i, circuits, pool, rng);
        char name[32];
        snprintf(name, sizeof name, "layers.%d", i);
        if (!l || rt_model_add(m, l, name)) {
            char why[512];
            snprintf(why, sizeof why, "%s", rt_error_last());
            rt_error("cannot build layer %d of the model: %s", i, why);
            rt_model_destroy(m);
            return NULL;
        }
    }
    if (rt_model_n_layers(m) == 0) {
        rt_error("layer %d: branch %d has no layers", parent - 1, branch);
        rt_model_destroy(m);
        return NULL;
    }
    return m;
}

rt_model *run_build_model(const rt_experiment *x, const rt_circuit *const *circuits, rt_pool *pool,
                          rt_rng *rng, char *err, size_t errlen) {
    rt_model *m = build_sequence(x, 0, 0, x->in_dim, circuits, pool, rng);
    if (!m) snprintf(err, errlen, "%s", rt_error_last());
    return m;
}
