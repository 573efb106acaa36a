/* rt_disc: the GAN's MLP discriminator with minibatch standard deviation, its backward pass
 * and the R1 penalty's parameter gradient.
 *
 * Notation (per sample b): u_0 = x; a_k = W_k u_k + b_k, u_{k+1} = lrelu(a_k) for the n hidden
 * layers; v = [u_n, s] with s the group's std feature (or v = u_n); logit = w_o . v + b_o.
 *
 * R1 by double backpropagation. The input gradient of sum_b logit_b is computed by the
 * "gradient network": z_n = dL/du_n (w_o's first m entries, plus the std feature's term),
 * y_k = D_k z_{k+1} with D_k the fixed slopes of lrelu at a_k, z_k = W_k^T y_k, grad_x = z_0.
 * R = (1/B) sum |z_0|^2 is a function of the weights through W_k, w_o and, with minibatch
 * std, of u_n (the std term of z_n depends on the group's normalised activations), so dR/dθ
 * is one reverse pass through the gradient network (z_0 up to z_n) and, with minibatch std,
 * an ordinary backward pass of the forward network fed with dR/du_n. D_k contributes nothing:
 * leaky ReLU's slope is piecewise constant (its second derivative is 0 wherever it exists). */
#include "rt_disc.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io_file.h"
#include "k_dense.h"
#include "rt_error.h"
#include "rt_mem.h"
#include "rt_rng.h"

#define MAX_LAYERS (RT_DISC_MAX_HIDDEN + 1)

struct rt_disc {
    int n_hidden, G;
    int width[RT_DISC_MAX_HIDDEN + 1];   /* width[0] = in_dim, width[k+1] = hidden[k] */
    int out_in;                          /* fan-in of the output layer: m (+1 with mbstd) */
    int w_off[MAX_LAYERS], b_off[MAX_LAYERS];
    int n_params;
    double *params;
    char names[2 * MAX_LAYERS][24];
    /* state of the last forward, for batches of up to cap */
    int cap, B;
    double *U[RT_DISC_MAX_HIDDEN + 1];   /* u_k, B x width[k] (U[0]: a copy of x) */
    double *A[RT_DISC_MAX_HIDDEN];       /* a_k, B x width[k+1] */
    double *V;                           /* B x out_in when mbstd (else U[n] is v) */
    double *mu, *sd;                     /* per group, per feature of u_n */
    /* scratch of backward and R1 */
    double *Z[RT_DISC_MAX_HIDDEN + 1];   /* the gradient network's z_k, B x width[k] */
    double *Y[RT_DISC_MAX_HIDDEN];       /* its y_k, B x width[k+1] */
    double *s1, *s2, *s3;                /* B x max width each */
};

static int max_width(const rt_disc *d) {
    int w = d->out_in;
    for (int k = 0; k <= d->n_hidden; k++) w = d->width[k] > w ? d->width[k] : w;
    return w;
}

static double lrelu_slope(double a) { return a > 0 ? 1.0 : RT_DISC_LEAK; }

rt_disc *rt_disc_new(int in_dim, const int *hidden, int n_hidden, int mbstd_group, uint64_t seed) {
    if (in_dim < 1 || in_dim > RT_DISC_MAX_WIDTH) {
        rt_error("discriminator: input size %d (1..%d)", in_dim, RT_DISC_MAX_WIDTH);
        return NULL;
    }
    if (n_hidden < 0 || n_hidden > RT_DISC_MAX_HIDDEN || (n_hidden > 0 && !hidden)) {
        rt_error("discriminator: %d hidden layers (0..%d)", n_hidden, RT_DISC_MAX_HIDDEN);
        return NULL;
    }
    for (int k = 0; k < n_hidden; k++)
        if (hidden[k] < 1 || hidden[k] > RT_DISC_MAX_WIDTH) {
            rt_error("discriminator: hidden layer %d has width %d (1..%d)", k, hidden[k],
                     RT_DISC_MAX_WIDTH);
            return NULL;
        }
    if (mbstd_group < 0 || mbstd_group > 1 << 20) {
        rt_error("discriminator: minibatch-std group size %d (0 = none, else >= 1)", mbstd_group);
        return NULL;
    }
    rt_disc *d = calloc(1, sizeof *d);
    if (!d) {
        rt_error("discriminator: out of memory");
        return NULL;
    }
    d->n_hidden = n_hidden;
    d->G = mbstd_group;
    d->width[0] = in_dim;
    for (int k = 0; k < n_hidden; k++) d->width[k + 1] = hidden[k];
    d->out_in = d->width[n_hidden] + (mbstd_group > 0);
    /* sizes stay far below INT_MAX: 17 layers of at most 2^16 x 2^16 would not, so count in
     * size_t and refuse */
    size_t np = 0;
    for (int k = 0; k <= n_hidden; k++) {
        size_t fan_in = k < n_hidden ? (size_t)d->width[k] : (size_t)d->out_in;
        size_t fan_out = k < n_hidden ? (size_t)d->width[k + 1] : 1;
        d->w_off[k] = (int)np;
        np += fan_in * fan_out;
        d->b_off[k] = (int)np;
        np += fan_out;
        if (np > (size_t)1 << 28) {
            rt_error("discriminator: more than 2^28 parameters");
            free(d);
            return NULL;
        }
        if (k < n_hidden) {
            snprintf(d->names[2 * k], sizeof d->names[0], "l%d.weight", k);
            snprintf(d->names[2 * k + 1], sizeof d->names[0], "l%d.bias", k);
        } else {
            snprintf(d->names[2 * k], sizeof d->names[0], "out.weight");
            snprintf(d->names[2 * k + 1], sizeof d->names[0], "out.bias");
        }
    }
    d->n_params = (int)np;
    d->params = rt_alloc_array(np, sizeof(double));
    if (!d->params) {
        free(d);
        return NULL;
    }
    /* PyTorch's Linear: kaiming_uniform(a = sqrt(5)) for the weight and the bias bound, both
     * 1/sqrt(fan_in) */
    rt_rng rng;
    rt_rng_seed(&rng, seed);
    for (int k = 0; k <= n_hidden; k++) {
        double fan_in = k < n_hidden ? d->width[k] : d->out_in, bound = 1.0 / sqrt(fan_in);
        rt_init_fill(d->params + d->w_off[k], (size_t)(d->b_off[k] - d->w_off[k]),
                     rt_init_uniform(-bound, bound), &rng);
        size_t nb = (size_t)(k < n_hidden ? d->width[k + 1] : 1);
        rt_init_fill(d->params + d->b_off[k], nb, rt_init_uniform(-bound, bound), &rng);
    }
    return d;
}

static void free_buffers(rt_disc *d) {
    for (int k = 0; k <= d->n_hidden; k++) {
        rt_free(d->U[k]);
        rt_free(d->Z[k]);
        d->U[k] = d->Z[k] = NULL;
    }
    for (int k = 0; k < d->n_hidden; k++) {
        rt_free(d->A[k]);
        rt_free(d->Y[k]);
        d->A[k] = d->Y[k] = NULL;
    }
    rt_free(d->V);
    rt_free(d->mu);
    rt_free(d->sd);
    rt_free(d->s1);
    rt_free(d->s2);
    rt_free(d->s3);
    d->V = d->mu = d->sd = d->s1 = d->s2 = d->s3 = NULL;
    d->cap = 0;
}

void rt_disc_free(rt_disc *d) {
    if (!d) return;
    free_buffers(d);
    rt_free(d->params);
    free(d);
}

/* Buffers for batches of B: allocated when B exceeds what they hold, never otherwise. */
static int ensure(rt_disc *d, int B) {
    if (B <= d->cap) return 0;
    free_buffers(d);
    size_t b = (size_t)B, mw = (size_t)max_width(d), m = (size_t)d->width[d->n_hidden];
    int ok = 1;
    for (int k = 0; k <= d->n_hidden; k++) {
        ok &= (d->U[k] = rt_alloc_array(b * (size_t)d->width[k], sizeof(double))) != NULL;
        ok &= (d->Z[k] = rt_alloc_array(b * (size_t)d->width[k], sizeof(double))) != NULL;
    }
    for (int k = 0; k < d->n_hidden; k++) {
        ok &= (d->A[k] = rt_alloc_array(b * (size_t)d->width[k + 1], sizeof(double))) != NULL;
        ok &= (d->Y[k] = rt_alloc_array(b * (size_t)d->width[k + 1], sizeof(double))) != NULL;
    }
    if (d->G) {
        ok &= (d->V = rt_alloc_array(b * (size_t)d->out_in, sizeof(double))) != NULL;
        ok &= (d->mu = rt_alloc_array(b * m, sizeof(double))) != NULL;
        ok &= (d->sd = rt_alloc_array(b * m, sizeof(double))) != NULL;
    }
    ok &= (d->s1 = rt_alloc_array(b * mw, sizeof(double))) != NULL;
    ok &= (d->s2 = rt_alloc_array(b * mw, sizeof(double))) != NULL;
    ok &= (d->s3 = rt_alloc_array(b * mw, sizeof(double))) != NULL;
    if (!ok) {
        free_buffers(d);
        return -1;
    }
    d->cap = B;
    return 0;
}

int rt_disc_in_dim(const rt_disc *d) { return d->width[0]; }
int rt_disc_mbstd_group(const rt_disc *d) { return d->G; }
int rt_disc_n_params(const rt_disc *d) { return d->n_params; }
double *rt_disc_params(rt_disc *d) { return d->params; }
int rt_disc_n_tensors(const rt_disc *d) { return 2 * (d->n_hidden + 1); }

const char *rt_disc_param_name(const rt_disc *d, int tensor, int *offset, int *size) {
    if (tensor < 0 || tensor >= rt_disc_n_tensors(d)) return NULL;
    int k = tensor / 2, off = tensor % 2 ? d->b_off[k] : d->w_off[k];
    int end = tensor % 2 ? (k < d->n_hidden ? d->w_off[k + 1] : d->n_params) : d->b_off[k];
    if (offset) *offset = off;
    if (size) *size = end - off;
    return d->names[tensor];
}

int rt_disc_param_shape(const rt_disc *d, int tensor, int64_t shape[2]) {
    if (tensor < 0 || tensor >= rt_disc_n_tensors(d)) return 0;
    int k = tensor / 2;
    int fan_out = k < d->n_hidden ? d->width[k + 1] : 1;
    int fan_in = k < d->n_hidden ? d->width[k] : d->out_in;
    shape[0] = fan_out;
    if (tensor % 2) return 1;
    shape[1] = fan_in;
    return 2;
}

static int check_batch(const rt_disc *d, int B, char *err, size_t errlen) {
    if (B < 1) {
        io_errf(err, errlen, "discriminator: a batch of %d samples", B);
        return -1;
    }
    if (d->G > 1 && B % d->G != 0) {
        io_errf(err, errlen, "discriminator: a batch of %d samples is not a multiple of the "
                "minibatch-std group size %d", B, d->G);
        return -1;
    }
    return 0;
}

/* The output layer's input v of every sample: u_n, and with mbstd the group's std feature
 * s = mean_j sqrt(var_j + eps), var_j the biased variance over the group of feature j. */
static void mbstd_forward(rt_disc *d, int B) {
    int m = d->width[d->n_hidden], G = d->G;
    const double *u = d->U[d->n_hidden];
    for (int g0 = 0, grp = 0; g0 < B; g0 += G, grp++) {
        double *mu = d->mu + (size_t)grp * m, *sd = d->sd + (size_t)grp * m, s = 0;
        for (int j = 0; j < m; j++) {
            double mean = 0, var = 0;
            for (int b = g0; b < g0 + G; b++) mean += u[(size_t)b * m + j];
            mean /= G;
            for (int b = g0; b < g0 + G; b++) {
                double e = u[(size_t)b * m + j] - mean;
                var += e * e;
            }
            mu[j] = mean;
            sd[j] = sqrt(var / G + RT_DISC_MBSTD_EPS);
            s += sd[j];
        }
        s /= m;
        for (int b = g0; b < g0 + G; b++) {
            memcpy(d->V + (size_t)b * d->out_in, u + (size_t)b * m, sizeof(double) * (size_t)m);
            d->V[(size_t)b * d->out_in + m] = s;
        }
    }
}

static int forward(rt_disc *d, const double *x, int B, double *logits, char *err, size_t errlen) {
    if (check_batch(d, B, err, errlen)) return -1;
    if (ensure(d, B)) {
        io_errf(err, errlen, "discriminator: out of memory for a batch of %d", B);
        return -1;
    }
    d->B = B;
    memcpy(d->U[0], x, sizeof(double) * (size_t)B * (size_t)d->width[0]);
    for (int k = 0; k < d->n_hidden; k++) {
        int n_in = d->width[k], n_out = d->width[k + 1];
        k_linear_forward(d->U[k], d->params + d->w_off[k], d->params + d->b_off[k], d->A[k], B,
                         n_in, n_out);
        size_t n = (size_t)B * (size_t)n_out;
        for (size_t i = 0; i < n; i++) d->U[k + 1][i] = d->A[k][i] * lrelu_slope(d->A[k][i]);
    }
    const double *v = d->U[d->n_hidden];
    if (d->G) {
        mbstd_forward(d, B);
        v = d->V;
    }
    int o = d->n_hidden;
    k_linear_forward(v, d->params + d->w_off[o], d->params + d->b_off[o], logits, B, d->out_in, 1);
    return 0;
}

int rt_disc_forward(rt_disc *d, const double *x, int B, double *logits, char *err, size_t errlen) {
    return forward(d, x, B, logits, err, errlen);
}

/* The gradient of the forward network below u_n: gu (B x m, consumed) is dL/du_n; adds
 * dL/dW_k, dL/db_k into gp and writes dL/dx into gx (NULL to skip). */
static void backward_hidden(rt_disc *d, double *gu, double *gp, double *gx) {
    int B = d->B;
    double *cur = gu, *other = cur == d->s1 ? d->s2 : d->s1;
    for (int k = d->n_hidden - 1; k >= 0; k--) {
        int n_in = d->width[k], n_out = d->width[k + 1];
        size_t n = (size_t)B * (size_t)n_out;
        for (size_t i = 0; i < n; i++) cur[i] *= lrelu_slope(d->A[k][i]);
        k_linear_backward_params(d->U[k], cur, gp + d->w_off[k], gp + d->b_off[k], B, n_in, n_out);
        if (k == 0 && !gx) return;
        double *dst = k == 0 ? gx : other;
        k_linear_backward_input(cur, d->params + d->w_off[k], dst, B, n_in, n_out);
        other = cur;
        cur = dst;
    }
    if (d->n_hidden == 0 && gx)
        memcpy(gx, cur, sizeof(double) * (size_t)B * (size_t)d->width[0]);
}

void rt_disc_backward(rt_disc *d, const double *g, double *grad_params, double *grad_x) {
    int B = d->B, m = d->width[d->n_hidden], o = d->n_hidden, G = d->G;
    const double *v = G ? d->V : d->U[d->n_hidden];
    const double *wo = d->params + d->w_off[o];
    k_linear_backward_params(v, g, grad_params + d->w_off[o], grad_params + d->b_off[o], B,
                             d->out_in, 1);
    /* dL/du_n: g_b w_o, plus with mbstd the std feature's share: ds/du_bj = (u_bj - mu_j) /
     * (m G sd_j), weighted by the group's sum of g_b w_o[m] */
    double *gu = d->s1;
    for (int b = 0; b < B; b++)
        for (int j = 0; j < m; j++) gu[(size_t)b * m + j] = g[b] * wo[j];
    if (G) {
        const double *u = d->U[d->n_hidden];
        for (int g0 = 0, grp = 0; g0 < B; g0 += G, grp++) {
            double c = 0;
            for (int b = g0; b < g0 + G; b++) c += g[b] * wo[m];
            const double *mu = d->mu + (size_t)grp * m, *sd = d->sd + (size_t)grp * m;
            for (int b = g0; b < g0 + G; b++)
                for (int j = 0; j < m; j++)
                    gu[(size_t)b * m + j] += c * (u[(size_t)b * m + j] - mu[j]) / ((double)m * G * sd[j]);
        }
    }
    backward_hidden(d, gu, grad_params, grad_x);
}

double rt_disc_r1(rt_disc *d, const double *x, int B, double scale, double *grad_params) {
    char err[256];
    if (check_batch(d, B, err, sizeof err) || ensure(d, B)) {
        rt_error("%s", check_batch(d, B, err, sizeof err) ? err : "discriminator: out of memory");
        return NAN;
    }
    double *logits = d->s3;   /* not needed; s3 is free until the end */
    if (forward(d, x, B, logits, err, sizeof err)) {
        rt_error("%s", err);
        return NAN;
    }
    int n = d->n_hidden, m = d->width[n], G = d->G;
    const double *wo = d->params + d->w_off[n];
    const double *u = d->U[n];
    /* The gradient network with g = 1: z_n, then y_k = D_k z_{k+1}, z_k = W_k^T y_k. With mbstd
     * the std term is c q_bj / (m G), c = G w_o[m], q = (u_n - mu) / sd. */
    double *zn = d->Z[n];
    for (int b = 0; b < B; b++)
        for (int j = 0; j < m; j++) zn[(size_t)b * m + j] = wo[j];
    if (G)
        for (int b = 0; b < B; b++) {
            int grp = b / G;
            const double *mu = d->mu + (size_t)grp * m, *sd = d->sd + (size_t)grp * m;
            for (int j = 0; j < m; j++)
                zn[(size_t)b * m + j] += G * wo[m] * ((u[(size_t)b * m + j] - mu[j]) / sd[j]) / ((double)m * G);
        }
    for (int k = n - 1; k >= 0; k--) {
        size_t cnt = (size_t)B * (size_t)d->width[k + 1];
        for (size_t i = 0; i < cnt; i++) d->Y[k][i] = d->Z[k + 1][i] * lrelu_slope(d->A[k][i]);
        k_linear_backward_input(d->Y[k], d->params + d->w_off[k], d->Z[k], B, d->width[k],
                                d->width[k + 1]);
    }
    size_t nx = (size_t)B * (size_t)d->width[0];
    double R = 0;
    for (size_t i = 0; i < nx; i++) R += d->Z[0][i] * d->Z[0][i];
    R /= B;
    /* Reverse through the gradient network: bar z_0 = scale 2 z_0 / B; per level
     * bar W_k += y_k (x) bar z_k, bar y_k = W_k bar z_k, bar z_{k+1} = D_k bar y_k. */
    double *bar = d->s1, *next = d->s2;
    for (size_t i = 0; i < nx; i++) bar[i] = scale * 2.0 * d->Z[0][i] / B;
    for (int k = 0; k < n; k++) {
        int n_in = d->width[k], n_out = d->width[k + 1];
        k_linear_backward_params(bar, d->Y[k], grad_params + d->w_off[k], NULL, B, n_in, n_out);
        k_linear_forward(bar, d->params + d->w_off[k], NULL, next, B, n_in, n_out);
        size_t cnt = (size_t)B * (size_t)n_out;
        for (size_t i = 0; i < cnt; i++) next[i] *= lrelu_slope(d->A[k][i]);
        double *t = bar;
        bar = next;
        next = t;
    }
    /* bar holds bar z_n (B x m): w_o's first m entries, and with mbstd w_o[m] and u_n */
    double *gwo = grad_params + d->w_off[n];
    for (int b = 0; b < B; b++)
        for (int j = 0; j < m; j++) gwo[j] += bar[(size_t)b * m + j];
    if (!G) return R;
    /* With mbstd: bar c (into w_o[m]) and bar q = bar z_n c / (m G); then, unless u_n is x
     * itself (no hidden layer), bar u_n through the normalisation q = (u - mu) / sd over the
     * group (batch norm's backward: (bar q - mean bar q - q mean(bar q q)) / sd, exact with
     * eps inside sd) and an ordinary backward below u_n. bar u_n goes to s3 (the logits are no
     * longer needed), then to s1, where backward_hidden starts. */
    double *bu = d->s3, c = G * wo[m];
    for (int g0 = 0, grp = 0; g0 < B; g0 += G, grp++) {
        const double *mu = d->mu + (size_t)grp * m, *sd = d->sd + (size_t)grp * m;
        double bc = 0;
        for (int b = g0; b < g0 + G; b++)
            for (int j = 0; j < m; j++)
                bc += bar[(size_t)b * m + j] * ((u[(size_t)b * m + j] - mu[j]) / sd[j]);
        gwo[m] += G * bc / ((double)m * G);
        for (int j = 0; n > 0 && j < m; j++) {
            double mean_bq = 0, mean_bqq = 0;
            for (int b = g0; b < g0 + G; b++) {
                double q = (u[(size_t)b * m + j] - mu[j]) / sd[j];
                double bq = bar[(size_t)b * m + j] * c / ((double)m * G);
                mean_bq += bq;
                mean_bqq += bq * q;
            }
            mean_bq /= G;
            mean_bqq /= G;
            for (int b = g0; b < g0 + G; b++) {
                double q = (u[(size_t)b * m + j] - mu[j]) / sd[j];
                double bq = bar[(size_t)b * m + j] * c / ((double)m * G);
                bu[(size_t)b * m + j] = (bq - mean_bq - q * mean_bqq) / sd[j];
            }
        }
    }
    if (n == 0) return R;
    memcpy(d->s1, bu, sizeof(double) * (size_t)B * (size_t)m);
    backward_hidden(d, d->s1, grad_params, NULL);
    return R;
}
