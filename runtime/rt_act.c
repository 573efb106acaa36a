/* Runtime elementwise layers (and the per-sample softmax and log-softmax): one struct with a kind tag; the backward uses the saved output
 * where that is exact (tanh, sigmoid) and the input otherwise. */
#include "rt_act.h"

#include <math.h>
#include <stddef.h>

#include "rt_layer_impl.h"

typedef enum { ACT_RELU, ACT_TANH, ACT_SIGMOID, ACT_SINE, ACT_SCALE, ACT_SOFTMAX, ACT_LOG_SOFTMAX } act_kind;

typedef struct {
    rt_layer base;
    act_kind kind;
    double omega;
} act_layer;

/* Softmax and log-softmax act on each sample's row. The row maximum is subtracted first, so
 * that exp never overflows (the result is the same in exact arithmetic). */
static void row_softmax(const double *x, double *y, int n, int log_form) {
    double mx = x[0], s = 0.0;
    for (int k = 1; k < n; k++)
        if (x[k] > mx) mx = x[k];
    for (int k = 0; k < n; k++) s += exp(x[k] - mx);
    double lse = mx + log(s);
    for (int k = 0; k < n; k++) y[k] = log_form ? x[k] - lse : exp(x[k] - lse);
}

static int act_forward(rt_layer *l, const double *x, double *y, int batch) {
    const act_layer *a = (const act_layer *)l;
    size_t n = (size_t)batch * l->n_in;
    if (a->kind == ACT_SOFTMAX || a->kind == ACT_LOG_SOFTMAX) {
        for (int b = 0; b < batch; b++)
            row_softmax(x + (size_t)b * l->n_in, y + (size_t)b * l->n_in, l->n_in, a->kind == ACT_LOG_SOFTMAX);
        return 0;
    }
    double w = a->omega;
    switch (a->kind) {
    case ACT_RELU:
        for (size_t i = 0; i < n; i++)
            y[i] = x[i] > 0.0 ? x[i] : 0.0;
        break;
    case ACT_TANH:
        for (size_t i = 0; i < n; i++)
            y[i] = tanh(x[i]);
        break;
    case ACT_SIGMOID:
        for (size_t i = 0; i < n; i++)
            y[i] = 1.0 / (1.0 + exp(-x[i]));
        break;
    case ACT_SINE:
        for (size_t i = 0; i < n; i++)
            y[i] = sin(w * x[i]);
        break;
    case ACT_SCALE:
        for (size_t i = 0; i < n; i++)
            y[i] = w * x[i];
        break;
    case ACT_SOFTMAX:
    case ACT_LOG_SOFTMAX: /* per row, above */
        break;
    }
    return 0;
}

static void act_backward(rt_layer *l, const double *x, const double *y, const double *dy,
                         double *dx, int batch) {
    const act_layer *a = (const act_layer *)l;
    if (!dx)
        return;
    size_t n = (size_t)batch * l->n_in;
    double w = a->omega;
    switch (a->kind) {
    case ACT_RELU:
        for (size_t i = 0; i < n; i++)
            dx[i] = x[i] > 0.0 ? dy[i] : 0.0;
        break;
    case ACT_TANH:
        for (size_t i = 0; i < n; i++)
            dx[i] = dy[i] * (1.0 - y[i] * y[i]);
        break;
    case ACT_SIGMOID:
        for (size_t i = 0; i < n; i++)
            dx[i] = dy[i] * y[i] * (1.0 - y[i]);
        break;
    case ACT_SINE:
        for (size_t i = 0; i < n; i++)
            dx[i] = dy[i] * w * cos(w * x[i]);
        break;
    case ACT_SCALE:
        for (size_t i = 0; i < n; i++)
            dx[i] = w * dy[i];
        break;
    case ACT_SOFTMAX: /* dx_k = y_k (dy_k - sum_j dy_j y_j), from the saved output */
    case ACT_LOG_SOFTMAX: /* dx_k = dy_k - softmax_k sum_j dy_j, softmax_k = exp(y_k) */
        for (size_t r = 0; r < n; r += (size_t)l->n_in) {
            const double *yr = y + r, *dyr = dy + r;
            double *dxr = dx + r, s = 0.0;
            int soft = a->kind == ACT_SOFTMAX;
            for (int k = 0; k < l->n_in; k++) s += soft ? dyr[k] * yr[k] : dyr[k];
            for (int k = 0; k < l->n_in; k++)
                dxr[k] = soft ? yr[k] * (dyr[k] - s) : dyr[k] - exp(yr[k]) * s;
        }
        break;
    }
}

static const rt_layer_ops relu_ops = {"relu", NULL, act_forward, act_backward, NULL};
static const rt_layer_ops tanh_ops = {"tanh", NULL, act_forward, act_backward, NULL};
static const rt_layer_ops sigmoid_ops = {"sigmoid", NULL, act_forward, act_backward, NULL};
static const rt_layer_ops sine_ops = {"sine", NULL, act_forward, act_backward, NULL};
static const rt_layer_ops scale_ops = {"scale", NULL, act_forward, act_backward, NULL};
static const rt_layer_ops softmax_ops = {"softmax", NULL, act_forward, act_backward, NULL};
static const rt_layer_ops log_softmax_ops = {"log_softmax", NULL, act_forward, act_backward, NULL};

static rt_layer *act_create(const rt_layer_ops *ops, act_kind kind, int n, double omega) {
    rt_layer *l = rt_layer_alloc(sizeof(act_layer), ops, n, n, 0, 0);
    if (l) {
        ((act_layer *)l)->kind = kind;
        ((act_layer *)l)->omega = omega;
    }
    return l;
}

rt_layer *rt_relu_create(int n) { return act_create(&relu_ops, ACT_RELU, n, 1.0); }
rt_layer *rt_tanh_create(int n) { return act_create(&tanh_ops, ACT_TANH, n, 1.0); }
rt_layer *rt_sigmoid_create(int n) { return act_create(&sigmoid_ops, ACT_SIGMOID, n, 1.0); }
rt_layer *rt_sine_create(int n, double omega0) { return act_create(&sine_ops, ACT_SINE, n, omega0); }
rt_layer *rt_scale_create(int n, double omega0) { return act_create(&scale_ops, ACT_SCALE, n, omega0); }
rt_layer *rt_softmax_create(int n) { return act_create(&softmax_ops, ACT_SOFTMAX, n, 1.0); }
rt_layer *rt_log_softmax_create(int n) { return act_create(&log_softmax_ops, ACT_LOG_SOFTMAX, n, 1.0); }
