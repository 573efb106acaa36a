/* Runtime optimisers: element loops written in torch.optim's operation order (1.13's
 * single-tensor path), so results agree with PyTorch to rounding. */
#include "rt_optim.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "rt_error.h"
#include "rt_layer.h"
#include "rt_mem.h"

typedef enum { OPT_ADAM, OPT_SGD } opt_kind;

struct rt_optim {
    opt_kind kind;
    size_t n;
    double lr, beta1, beta2, eps, momentum, weight_decay;
    long t;
    double *m, *v;           /* Adam moments; SGD's momentum buffer is m */
};

static rt_optim *optim_new(opt_kind kind, size_t n, double lr) {
    if (!(lr >= 0.0)) {
        rt_error("optimiser: learning rate %g must be non-negative", lr);
        return NULL;
    }
    rt_optim *o = calloc(1, sizeof *o);
    if (!o) {
        rt_error("optimiser: out of memory");
        return NULL;
    }
    o->kind = kind;
    o->n = n;
    o->lr = lr;
    o->m = rt_alloc_array(n, sizeof(double));
    o->v = kind == OPT_ADAM ? rt_alloc_array(n, sizeof(double)) : NULL;
    if (!o->m || (kind == OPT_ADAM && !o->v)) {
        rt_optim_destroy(o);
        return NULL;
    }
    return o;
}

rt_optim *rt_adam_create(size_t n_params, double lr, double beta1, double beta2, double eps,
                         double weight_decay) {
    if (!(beta1 >= 0.0 && beta1 < 1.0 && beta2 >= 0.0 && beta2 < 1.0 && eps >= 0.0 &&
          weight_decay >= 0.0)) {
        rt_error("Adam: betas (%g, %g) must lie in [0, 1), eps %g and weight decay %g >= 0", beta1,
                 beta2, eps, weight_decay);
        return NULL;
    }
    rt_optim *o = optim_new(OPT_ADAM, n_params, lr);
    if (o) {
        o->beta1 = beta1;
        o->beta2 = beta2;
        o->eps = eps;
        o->weight_decay = weight_decay;
    }
    return o;
}

rt_optim *rt_sgd_create(size_t n_params, double lr, double momentum, double weight_decay) {
    if (!(momentum >= 0.0 && weight_decay >= 0.0)) {
        rt_error("SGD: momentum %g and weight decay %g must be non-negative", momentum,
                 weight_decay);
        return NULL;
    }
    rt_optim *o = optim_new(OPT_SGD, n_params, lr);
    if (o) {
        o->momentum = momentum;
        o->weight_decay = weight_decay;
    }
    return o;
}

void rt_optim_destroy(rt_optim *o) {
    if (!o)
        return;
    rt_free(o->m);
    rt_free(o->v);
    free(o);
}

void rt_optim_set_lr(rt_optim *o, double lr) { o->lr = lr; }
double rt_optim_lr(const rt_optim *o) { return o->lr; }
long rt_optim_steps(const rt_optim *o) { return o->t; }

/* One step on a slice [off, off + n) of the optimiser's state; t already incremented. */
static void step_slice(rt_optim *o, size_t off, double *p, const double *grad, size_t n) {
    double *m = o->m + off, *v = o->v ? o->v + off : NULL;
    double wd = o->weight_decay;
    if (o->kind == OPT_ADAM) {
        double b1 = o->beta1, b2 = o->beta2;
        double bc1 = 1.0 - pow(b1, (double)o->t), bc2 = 1.0 - pow(b2, (double)o->t);
        double step_size = o->lr / bc1, bc2_sqrt = sqrt(bc2);
        for (size_t i = 0; i < n; i++) {
            double g = wd != 0.0 ? grad[i] + wd * p[i] : grad[i];
            m[i] = m[i] * b1 + (1.0 - b1) * g;
            v[i] = v[i] * b2 + (1.0 - b2) * g * g;
            double denom = sqrt(v[i]) / bc2_sqrt + o->eps;
            p[i] = p[i] + -step_size * m[i] / denom;
        }
    } else {
        double mu = o->momentum;
        for (size_t i = 0; i < n; i++) {
            double g = wd != 0.0 ? grad[i] + wd * p[i] : grad[i];
            if (mu != 0.0) {
                m[i] = o->t == 1 ? g : m[i] * mu + g;
                g = m[i];
            }
            p[i] = p[i] + -o->lr * g;
        }
    }
}

void rt_optim_step(rt_optim *o, double *params, const double *grads) {
    o->t++;
    step_slice(o, 0, params, grads, o->n);
}

int rt_optim_step_model(rt_optim *o, rt_model *m) {
    if (rt_model_n_params(m) != o->n) {
        rt_error("optimiser made for %zu parameters, model has %zu", o->n, rt_model_n_params(m));
        return -1;
    }
    o->t++;
    size_t off = 0;
    for (int i = 0; i < rt_model_n_layers(m); i++) {
        rt_layer *l = rt_model_layer(m, i);
        size_t n = rt_layer_n_params(l);
        step_slice(o, off, rt_layer_params(l), rt_layer_grads(l), n);
        off += n;
    }
    return 0;
}

size_t rt_optim_state_size(const rt_optim *o) { return 1 + o->n * (o->v ? 2 : 1); }

void rt_optim_get_state(const rt_optim *o, double *state) {
    state[0] = (double)o->t;
    memcpy(state + 1, o->m, o->n * sizeof(double));
    if (o->v)
        memcpy(state + 1 + o->n, o->v, o->n * sizeof(double));
}

void rt_optim_set_state(rt_optim *o, const double *state) {
    o->t = (long)state[0];
    memcpy(o->m, state + 1, o->n * sizeof(double));
    if (o->v)
        memcpy(o->v, state + 1 + o->n, o->n * sizeof(double));
}
