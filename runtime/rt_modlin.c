/* rt_modlin: INR-GAN's modulated linear layer and its exact backward.
 *
 * Backward per sample, from g_y: g_a = g_y (sqrt(2) slope(a) for hidden layers); dbias +=
 * sum_p g_a; g_x = g_a W'; G' = sum_p g_a x^T (dL/dW'). Demodulation W' = V / (n + eps), n the
 * row norm, dn/dV = V / n: g_V = G' / (n + eps) - V (G' . V)_row / (n (n + eps)^2) (the second
 * term vanishes with n = 0, where V's row is 0). Output layer: g_V = G' / sqrt(c_in).
 * dW += g_V (1 + M), g_M = g_V W; with M = L R / sqrt(rank): g_L = g_M R^T / sqrt(rank),
 * g_R = L^T g_M / sqrt(rank); g_s = [g_L, g_R]; da += g_s, dA += g_s w^T / sqrt(w_dim),
 * g_w = A^T g_s / sqrt(w_dim). */
#include "rt_modlin.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "k_dense.h"
#include "rt_error.h"
#include "rt_mem.h"
#include "rt_rng.h"

#define SQRT2 1.4142135623730950488   /* the gain after leaky ReLU, as StyleGAN */

struct rt_modlin {
    int c_in, c_out, w_dim, rank, n_style;
    rt_modlin_kind kind;
    int off[4], size[4];
    int n_params;
    double *params;
    /* state of the last forward, for up to cap samples and cap_px pixels per sample */
    int cap, cap_px, B, P;
    double *X;    /* B x P x c_in */
    double *Wst;  /* B x w_dim */
    double *S;    /* B x n_style */
    double *M;    /* B x c_out x c_in: L R / sqrt(rank) */
    double *V;    /* B x c_out x c_in */
    double *Wp;   /* B x c_out x c_in: W' */
    double *nrm;  /* B x c_out: row norms of V */
    double *A;    /* B x P x c_out: pre-activations */
    /* scratch of backward, one sample */
    double *ga, *gWp, *gM, *gs;
};

static const char *const NAMES[4] = {"affine.weight", "affine.bias", "weight", "bias"};

rt_modlin *rt_modlin_new(int c_in, int c_out, int w_dim, int rank, rt_modlin_kind kind,
                         uint64_t seed) {
    if (c_in < 1 || c_in > RT_MODLIN_MAX_WIDTH || c_out < 1 || c_out > RT_MODLIN_MAX_WIDTH ||
        w_dim < 1 || w_dim > RT_MODLIN_MAX_WIDTH) {
        rt_error("modulated layer: %d inputs, %d outputs, style size %d (each 1..%d)", c_in,
                 c_out, w_dim, RT_MODLIN_MAX_WIDTH);
        return NULL;
    }
    if (rank < 1 || rank > RT_MODLIN_MAX_RANK) {
        rt_error("modulated layer: rank %d (1..%d)", rank, RT_MODLIN_MAX_RANK);
        return NULL;
    }
    if (kind != RT_MODLIN_HIDDEN && kind != RT_MODLIN_OUTPUT) {
        rt_error("modulated layer: unknown kind %d", (int)kind);
        return NULL;
    }
    rt_modlin *l = calloc(1, sizeof *l);
    if (!l) {
        rt_error("modulated layer: out of memory");
        return NULL;
    }
    l->c_in = c_in;
    l->c_out = c_out;
    l->w_dim = w_dim;
    l->rank = rank;
    l->kind = kind;
    l->n_style = (c_in + c_out) * rank;   /* <= 8192 x 256: the products below fit an int */
    size_t sizes[4] = {(size_t)l->n_style * (size_t)w_dim, (size_t)l->n_style,
                       (size_t)c_out * (size_t)c_in, (size_t)c_out};
    size_t np = 0;
    for (int t = 0; t < 4; t++) {
        l->off[t] = (int)np;
        l->size[t] = (int)sizes[t];
        np += sizes[t];
    }
    if (np > (size_t)1 << 28) {
        rt_error("modulated layer: more than 2^28 parameters");
        free(l);
        return NULL;
    }
    l->n_params = (int)np;
    size_t oi = (size_t)c_out * (size_t)c_in;
    if (!(l->params = rt_alloc_array(np, sizeof(double))) ||
        !(l->gWp = rt_alloc_array(oi, sizeof(double))) ||
        !(l->gM = rt_alloc_array(oi, sizeof(double))) ||
        !(l->gs = rt_alloc_array((size_t)l->n_style, sizeof(double)))) {
        rt_modlin_free(l);
        return NULL;
    }
    rt_rng rng;
    rt_rng_seed(&rng, seed);
    rt_init_fill(l->params + l->off[0], sizes[0], rt_init_normal(0, 1), &rng);
    rt_init_fill(l->params + l->off[2], sizes[2], rt_init_normal(0, 1), &rng);
    return l;
}

static void free_state(rt_modlin *l) {
    double **bufs[] = {&l->X, &l->Wst, &l->S, &l->M, &l->V, &l->Wp, &l->nrm, &l->A, &l->ga};
    for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++) {
        rt_free(*bufs[i]);
        *bufs[i] = NULL;
    }
    l->cap = l->cap_px = 0;
}

void rt_modlin_free(rt_modlin *l) {
    if (!l) return;
    free_state(l);
    rt_free(l->params);
    rt_free(l->gWp);
    rt_free(l->gM);
    rt_free(l->gs);
    free(l);
}

int rt_modlin_c_in(const rt_modlin *l) { return l->c_in; }
int rt_modlin_c_out(const rt_modlin *l) { return l->c_out; }
int rt_modlin_n_params(const rt_modlin *l) { return l->n_params; }
double *rt_modlin_params(rt_modlin *l) { return l->params; }
int rt_modlin_n_tensors(const rt_modlin *l) { (void)l; return 4; }

const char *rt_modlin_param_name(const rt_modlin *l, int tensor, int *offset, int *size) {
    if (tensor < 0 || tensor >= 4) return NULL;
    if (offset) *offset = l->off[tensor];
    if (size) *size = l->size[tensor];
    return NAMES[tensor];
}

static int ensure(rt_modlin *l, int B, int P) {
    if (B <= l->cap && P <= l->cap_px) return 0;
    int nb = B > l->cap ? B : l->cap, npx = P > l->cap_px ? P : l->cap_px;
    free_state(l);
    size_t b = (size_t)nb, bp = b * (size_t)npx, oi = (size_t)l->c_out * (size_t)l->c_in;
    if (!(l->X = rt_alloc_array(bp * (size_t)l->c_in, sizeof(double))) ||
        !(l->Wst = rt_alloc_array(b * (size_t)l->w_dim, sizeof(double))) ||
        !(l->S = rt_alloc_array(b * (size_t)l->n_style, sizeof(double))) ||
        !(l->M = rt_alloc_array(b * oi, sizeof(double))) ||
        !(l->V = rt_alloc_array(b * oi, sizeof(double))) ||
        !(l->Wp = rt_alloc_array(b * oi, sizeof(double))) ||
        !(l->nrm = rt_alloc_array(b * (size_t)l->c_out, sizeof(double))) ||
        !(l->A = rt_alloc_array(bp * (size_t)l->c_out, sizeof(double))) ||
        !(l->ga = rt_alloc_array((size_t)npx * (size_t)l->c_out, sizeof(double)))) {
        free_state(l);
        return -1;
    }
    l->cap = nb;
    l->cap_px = npx;
    return 0;
}

int rt_modlin_forward(rt_modlin *l, const double *x, const double *w, int B, int P, double *y,
                      char *err, size_t errlen) {
    if (B < 1 || P < 1) {
        snprintf(err, errlen, "modulated layer: batch of %d samples of %d pixels", B, P);
        return -1;
    }
    if (ensure(l, B, P)) {
        snprintf(err, errlen, "modulated layer: out of memory for %d x %d pixels", B, P);
        return -1;
    }
    l->B = B;
    l->P = P;
    int ci = l->c_in, co = l->c_out, wd = l->w_dim, r = l->rank;
    size_t oi = (size_t)co * (size_t)ci;
    memcpy(l->X, x, sizeof(double) * (size_t)B * (size_t)P * (size_t)ci);
    memcpy(l->Wst, w, sizeof(double) * (size_t)B * (size_t)wd);
    const double *Aff = l->params + l->off[0], *ab = l->params + l->off[1];
    const double *W = l->params + l->off[2], *bias = l->params + l->off[3];
    double sw = 1 / sqrt((double)wd), sr = 1 / sqrt((double)r), gain = 1 / sqrt((double)ci);
    for (int b = 0; b < B; b++) {
        double *s = l->S + (size_t)b * l->n_style;
        k_linear_forward(w + (size_t)b * wd, Aff, NULL, s, 1, wd, l->n_style);
        /* the affine's weight gain applies to A w only, not to its bias */
        for (int j = 0; j < l->n_style; j++) s[j] = s[j] * sw + ab[j];
        const double *Lf = s, *Rf = s + (size_t)co * r;
        double *M = l->M + b * oi, *V = l->V + b * oi, *Wp = l->Wp + b * oi;
        for (int o = 0; o < co; o++) {
            double n2 = 0;
            for (int i = 0; i < ci; i++) {
                double m = 0;
                for (int k = 0; k < r; k++) m += Lf[o * r + k] * Rf[k * ci + i];
                M[o * ci + i] = m * sr;
                V[o * ci + i] = W[o * ci + i] * (1 + m * sr);
                n2 += V[o * ci + i] * V[o * ci + i];
            }
            double n = sqrt(n2);
            l->nrm[(size_t)b * co + o] = n;
            for (int i = 0; i < ci; i++)
                Wp[o * ci + i] = l->kind == RT_MODLIN_HIDDEN ? V[o * ci + i] / (n + RT_MODLIN_DEMOD_EPS)
                                                             : V[o * ci + i] * gain;
        }
        double *a = l->A + (size_t)b * P * co, *yb = y + (size_t)b * P * co;
        k_linear_forward(x + (size_t)b * P * ci, Wp, bias, a, P, ci, co);
        for (size_t i = 0; i < (size_t)P * co; i++)
            yb[i] = l->kind == RT_MODLIN_HIDDEN ? SQRT2 * (a[i] > 0 ? a[i] : RT_MODLIN_LEAK * a[i])
                                                : a[i];
    }
    return 0;
}

void rt_modlin_backward(rt_modlin *l, const double *gy, double *grad_params, double *grad_x,
                        double *grad_w) {
    int B = l->B, P = l->P, ci = l->c_in, co = l->c_out, wd = l->w_dim, r = l->rank;
    size_t oi = (size_t)co * (size_t)ci;
    const double *Aff = l->params + l->off[0], *W = l->params + l->off[2];
    double *dAff = grad_params + l->off[0], *dab = grad_params + l->off[1];
    double *dW = grad_params + l->off[2], *dbias = grad_params + l->off[3];
    double sw = 1 / sqrt((double)wd), sr = 1 / sqrt((double)r), gain = 1 / sqrt((double)ci);
    for (int b = 0; b < B; b++) {
        const double *a = l->A + (size_t)b * P * co, *g = gy + (size_t)b * P * co;
        const double *xb = l->X + (size_t)b * P * ci;
        for (size_t i = 0; i < (size_t)P * co; i++)
            l->ga[i] = l->kind == RT_MODLIN_HIDDEN ? g[i] * SQRT2 * (a[i] > 0 ? 1.0 : RT_MODLIN_LEAK)
                                                   : g[i];
        const double *Wp = l->Wp + b * oi, *V = l->V + b * oi, *M = l->M + b * oi;
        if (grad_x) k_linear_backward_input(l->ga, Wp, grad_x + (size_t)b * P * ci, P, ci, co);
        memset(l->gWp, 0, sizeof(double) * oi);
        k_linear_backward_params(xb, l->ga, l->gWp, dbias, P, ci, co);
        /* g_V into gWp's place, then dW and g_M */
        for (int o = 0; o < co; o++) {
            double *gv = l->gWp + (size_t)o * ci;
            const double *v = V + (size_t)o * ci;
            if (l->kind == RT_MODLIN_HIDDEN) {
                double n = l->nrm[(size_t)b * co + o], d = n + RT_MODLIN_DEMOD_EPS, dot = 0;
                for (int i = 0; i < ci; i++) dot += gv[i] * v[i];
                double c2 = n > 0 ? dot / (n * d * d) : 0;
                for (int i = 0; i < ci; i++) gv[i] = gv[i] / d - v[i] * c2;
            } else {
                for (int i = 0; i < ci; i++) gv[i] *= gain;
            }
            for (int i = 0; i < ci; i++) {
                dW[o * ci + i] += gv[i] * (1 + M[o * ci + i]);
                l->gM[o * ci + i] = gv[i] * W[o * ci + i];
            }
        }
        const double *s = l->S + (size_t)b * l->n_style, *Lf = s, *Rf = s + (size_t)co * r;
        double *gL = l->gs, *gR = l->gs + (size_t)co * r;
        for (int o = 0; o < co; o++)
            for (int k = 0; k < r; k++) {
                double t = 0;
                for (int i = 0; i < ci; i++) t += l->gM[o * ci + i] * Rf[k * ci + i];
                gL[o * r + k] = t * sr;
            }
        for (int k = 0; k < r; k++)
            for (int i = 0; i < ci; i++) {
                double t = 0;
                for (int o = 0; o < co; o++) t += Lf[o * r + k] * l->gM[o * ci + i];
                gR[k * ci + i] = t * sr;
            }
        const double *wb = l->Wst + (size_t)b * wd;
        for (int j = 0; j < l->n_style; j++) {
            dab[j] += l->gs[j];
            double gj = l->gs[j] * sw;
            for (int i = 0; i < wd; i++) dAff[(size_t)j * wd + i] += gj * wb[i];
        }
        if (grad_w) {
            k_linear_backward_input(l->gs, Aff, grad_w + (size_t)b * wd, 1, wd, l->n_style);
            for (int i = 0; i < wd; i++) grad_w[(size_t)b * wd + i] *= sw;
        }
    }
}
