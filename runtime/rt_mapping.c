/* rt_mapping: StyleGAN2's mapping network z -> w with equalised learning rate.
 *
 * Per sample: u_0 = z * r with r = (mean(z^2) + eps)^(-1/2); a_k = c_k W_k u_k + lr_mul b_k
 * with c_k = lr_mul / sqrt(fan_in_k); u_{k+1} = sqrt(2) lrelu(a_k); w = u_n.
 * Backward: g_a = g_u * sqrt(2) slope(a); dW_k += c_k g_a u_k^T; db_k += lr_mul g_a;
 * g_u_k = c_k W_k^T g_a; through the normalisation dz = r g - r^3 z (g . z) / z_dim. */
#include "rt_mapping.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "k_dense.h"
#include "rt_error.h"
#include "rt_mem.h"
#include "rt_rng.h"

#define SQRT2 1.4142135623730950488   /* the gain after leaky ReLU, as StyleGAN */

struct rt_mapping {
    int z_dim, w_dim, n;
    double lr_mul;
    int w_off[RT_MAPPING_MAX_LAYERS], b_off[RT_MAPPING_MAX_LAYERS];
    int n_params;
    double *params;
    char names[2 * RT_MAPPING_MAX_LAYERS][24];
    /* state of the last forward, for batches up to cap */
    int cap, B;
    double *Z;                             /* the raw latents, B x z_dim */
    double *r;                             /* per sample normalisation factor */
    double *U[RT_MAPPING_MAX_LAYERS + 1];  /* u_k, B x fan_in_k (U[n]: w) */
    double *A[RT_MAPPING_MAX_LAYERS];      /* a_k, B x w_dim */
    double *Weff;                          /* scratch: one layer's effective weight */
    double *beff;
    double *g1, *g2;                       /* scratch: B x max width */
};

static int fan_in(const rt_mapping *m, int k) { return k == 0 ? m->z_dim : m->w_dim; }
static int max_width(const rt_mapping *m) { return m->z_dim > m->w_dim ? m->z_dim : m->w_dim; }

rt_mapping *rt_mapping_new(int z_dim, int w_dim, int n_layers, double lr_mul, uint64_t seed) {
    if (z_dim < 1 || z_dim > RT_MAPPING_MAX_WIDTH || w_dim < 1 || w_dim > RT_MAPPING_MAX_WIDTH) {
        rt_error("mapping network: latent size %d, style size %d (1..%d)", z_dim, w_dim,
                 RT_MAPPING_MAX_WIDTH);
        return NULL;
    }
    if (n_layers < 1 || n_layers > RT_MAPPING_MAX_LAYERS) {
        rt_error("mapping network: %d layers (1..%d)", n_layers, RT_MAPPING_MAX_LAYERS);
        return NULL;
    }
    if (!(lr_mul > 0 && lr_mul <= 1)) {
        rt_error("mapping network: learning-rate multiplier %g (in (0, 1])", lr_mul);
        return NULL;
    }
    rt_mapping *m = calloc(1, sizeof *m);
    if (!m) {
        rt_error("mapping network: out of memory");
        return NULL;
    }
    m->z_dim = z_dim;
    m->w_dim = w_dim;
    m->n = n_layers;
    m->lr_mul = lr_mul;
    int np = 0;   /* at most 16 x 4096 x 4097: far below INT_MAX */
    for (int k = 0; k < n_layers; k++) {
        m->w_off[k] = np;
        np += w_dim * fan_in(m, k);
        m->b_off[k] = np;
        np += w_dim;
        snprintf(m->names[2 * k], sizeof m->names[0], "fc%d.weight", k);
        snprintf(m->names[2 * k + 1], sizeof m->names[0], "fc%d.bias", k);
    }
    m->n_params = np;
    m->params = rt_alloc_array((size_t)np, sizeof(double));
    m->Weff = rt_alloc_array((size_t)w_dim * (size_t)max_width(m), sizeof(double));
    m->beff = rt_alloc_array((size_t)w_dim, sizeof(double));
    if (!m->params || !m->Weff || !m->beff) {
        rt_mapping_free(m);
        return NULL;
    }
    rt_rng rng;
    rt_rng_seed(&rng, seed);
    for (int k = 0; k < n_layers; k++)   /* biases stay 0 (rt_alloc zeroes) */
        rt_init_fill(m->params + m->w_off[k], (size_t)(w_dim * fan_in(m, k)),
                     rt_init_normal(0, 1 / lr_mul), &rng);
    return m;
}

static void free_state(rt_mapping *m) {
    rt_free(m->Z);
    rt_free(m->r);
    rt_free(m->g1);
    rt_free(m->g2);
    m->Z = m->r = m->g1 = m->g2 = NULL;
    for (int k = 0; k <= m->n; k++) {
        rt_free(m->U[k]);
        m->U[k] = NULL;
        if (k < m->n) {
            rt_free(m->A[k]);
            m->A[k] = NULL;
        }
    }
    m->cap = 0;
}

void rt_mapping_free(rt_mapping *m) {
    if (!m) return;
    free_state(m);
    rt_free(m->params);
    rt_free(m->Weff);
    rt_free(m->beff);
    free(m);
}

int rt_mapping_z_dim(const rt_mapping *m) { return m->z_dim; }
int rt_mapping_w_dim(const rt_mapping *m) { return m->w_dim; }
int rt_mapping_n_params(const rt_mapping *m) { return m->n_params; }
double *rt_mapping_params(rt_mapping *m) { return m->params; }
int rt_mapping_n_tensors(const rt_mapping *m) { return 2 * m->n; }

const char *rt_mapping_param_name(const rt_mapping *m, int tensor, int *offset, int *size) {
    if (tensor < 0 || tensor >= 2 * m->n) return NULL;
    int k = tensor / 2, is_bias = tensor % 2;
    if (offset) *offset = is_bias ? m->b_off[k] : m->w_off[k];
    if (size) *size = is_bias ? m->w_dim : m->w_dim * fan_in(m, k);
    return m->names[tensor];
}

static int ensure(rt_mapping *m, int B) {
    if (B <= m->cap) return 0;
    free_state(m);
    size_t b = (size_t)B;
    int bad = !(m->Z = rt_alloc_array(b * (size_t)m->z_dim, sizeof(double))) ||
              !(m->r = rt_alloc_array(b, sizeof(double))) ||
              !(m->g1 = rt_alloc_array(b * (size_t)max_width(m), sizeof(double))) ||
              !(m->g2 = rt_alloc_array(b * (size_t)max_width(m), sizeof(double)));
    for (int k = 0; k <= m->n && !bad; k++) {
        bad = !(m->U[k] = rt_alloc_array(b * (size_t)(k < m->n ? fan_in(m, k) : m->w_dim),
                                         sizeof(double)));
        if (!bad && k < m->n) bad = !(m->A[k] = rt_alloc_array(b * (size_t)m->w_dim, sizeof(double)));
    }
    if (bad) {
        free_state(m);
        return -1;
    }
    m->cap = B;
    return 0;
}

/* The effective weight and bias of layer k into m->Weff, m->beff. */
static void effective(rt_mapping *m, int k) {
    int nin = fan_in(m, k), nw = m->w_dim * nin;
    double c = m->lr_mul / sqrt((double)nin);
    for (int i = 0; i < nw; i++) m->Weff[i] = c * m->params[m->w_off[k] + i];
    for (int o = 0; o < m->w_dim; o++) m->beff[o] = m->lr_mul * m->params[m->b_off[k] + o];
}

int rt_mapping_forward(rt_mapping *m, const double *z, int B, double *w, char *err,
                       size_t errlen) {
    if (B < 1) {
        snprintf(err, errlen, "mapping network: batch of %d latents", B);
        return -1;
    }
    if (ensure(m, B)) {
        snprintf(err, errlen, "mapping network: out of memory for a batch of %d", B);
        return -1;
    }
    m->B = B;
    int zd = m->z_dim, wd = m->w_dim;
    memcpy(m->Z, z, sizeof(double) * (size_t)B * (size_t)zd);
    for (int b = 0; b < B; b++) {
        const double *zb = z + (size_t)b * zd;
        double s = 0;
        for (int i = 0; i < zd; i++) s += zb[i] * zb[i];
        m->r[b] = 1 / sqrt(s / zd + RT_MAPPING_NORM_EPS);
        for (int i = 0; i < zd; i++) m->U[0][(size_t)b * zd + i] = zb[i] * m->r[b];
    }
    for (int k = 0; k < m->n; k++) {
        effective(m, k);
        k_linear_forward(m->U[k], m->Weff, m->beff, m->A[k], B, fan_in(m, k), wd);
        for (size_t i = 0; i < (size_t)B * wd; i++) {
            double a = m->A[k][i];
            m->U[k + 1][i] = SQRT2 * (a > 0 ? a : RT_MAPPING_LEAK * a);
        }
    }
    memcpy(w, m->U[m->n], sizeof(double) * (size_t)B * (size_t)wd);
    return 0;
}

void rt_mapping_backward(rt_mapping *m, const double *gw, double *grad_params, double *grad_z) {
    int B = m->B, wd = m->w_dim, zd = m->z_dim;
    double *gu = m->g1, *ga = m->g2;
    memcpy(gu, gw, sizeof(double) * (size_t)B * (size_t)wd);
    for (int k = m->n - 1; k >= 0; k--) {
        int nin = fan_in(m, k);
        double c = m->lr_mul / sqrt((double)nin);
        for (size_t i = 0; i < (size_t)B * wd; i++)
            ga[i] = gu[i] * SQRT2 * (m->A[k][i] > 0 ? 1.0 : RT_MAPPING_LEAK);
        /* dW_stored = c dW_eff, db_stored = lr_mul db_eff: accumulate the effective gradient
         * of this layer in Weff's scratch first */
        double *dW = m->Weff, *db = m->beff;
        memset(dW, 0, sizeof(double) * (size_t)wd * (size_t)nin);
        memset(db, 0, sizeof(double) * (size_t)wd);
        k_linear_backward_params(m->U[k], ga, dW, db, B, nin, wd);
        for (int i = 0; i < wd * nin; i++) grad_params[m->w_off[k] + i] += c * dW[i];
        for (int o = 0; o < wd; o++) grad_params[m->b_off[k] + o] += m->lr_mul * db[o];
        if (k == 0 && !grad_z) break;
        effective(m, k);
        k_linear_backward_input(ga, m->Weff, gu, B, nin, wd);   /* gu now B x nin */
    }
    if (!grad_z) return;
    for (int b = 0; b < B; b++) {
        const double *zb = m->Z + (size_t)b * zd, *g = gu + (size_t)b * zd;
        double r = m->r[b], gz = 0;
        for (int i = 0; i < zd; i++) gz += g[i] * zb[i];
        for (int i = 0; i < zd; i++)
            grad_z[(size_t)b * zd + i] = r * g[i] - r * r * r * zb[i] * gz / zd;
    }
}
