/* Model construction: one runtime layer per spec, initialised as the reference does. */
#include "run_model.h"

#include <stdio.h>
#include <stdlib.h>

#include "rt_act.h"
#include "rt_bn.h"
#include "rt_error.h"
#include "rt_linear.h"
#include "rt_qlayer.h"
#include "rt_rff.h"

static rt_layer *make_layer(const rt_layer_spec *s, int index, const rt_circuit *const *circuits,
                            rt_pool *pool, rt_rng *rng) {
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
    case RT_LAYER_QUANTUM: {
        const rt_circuit *c = circuits[s->circuit];
        if (!c || c->n_inputs != s->in || c->n_outputs != s->out || c->n_params != s->n_params) {
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
        return rt_qlayer_create(c, pool, s->n_tensors, ts, rng);
    }
    }
    return NULL;
}

rt_model *run_build_model(const rt_experiment *x, const rt_circuit *const *circuits, rt_pool *pool,
                          rt_rng *rng, char *err, size_t errlen) {
    rt_model *m = rt_model_create(x->in_dim);
    if (!m) {
        snprintf(err, errlen, "%s", rt_error_last());
        return NULL;
    }
    for (int i = 0; i < x->n_layers; i++) {
        rt_layer *l = make_layer(&x->layers[i], i, circuits, pool, rng);
        char name[32];
        snprintf(name, sizeof name, "layers.%d", i);
        if (!l || rt_model_add(m, l, name)) {
            snprintf(err, errlen, "cannot build layer %d of the model: %s", i, rt_error_last());
            rt_model_destroy(m);
            return NULL;
        }
    }
    return m;
}
