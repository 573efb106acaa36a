/* Runtime random Fourier features: a fixed projection followed by cos and sin. The backward
 * needs only the saved outputs, since d/dt cos t = -sin t and d/dt sin t = cos t. */
#include "rt_rff.h"

#include <math.h>
#include <stddef.h>

#include "rt_error.h"
#include "rt_layer_impl.h"

#define TWO_PI 6.283185307179586   /* 2 pi rounded as Python's 2 * math.pi */

static int rff_forward(rt_layer *l, const double *x, double *y, int batch) {
    int d = l->n_in, h = l->n_out / 2;
    const double *B = l->buffers;
    for (int b = 0; b < batch; b++) {
        const double *xb = x + (size_t)b * d;
        double *yb = y + (size_t)b * 2 * h;
        for (int k = 0; k < h; k++) {
            double pre = 0.0;
            for (int j = 0; j < d; j++)
                pre += B[(size_t)k * d + j] * xb[j];
            yb[k] = cos(TWO_PI * pre);
            yb[h + k] = sin(TWO_PI * pre);
        }
    }
    return 0;
}

static void rff_backward(rt_layer *l, const double *x, const double *y, const double *dy,
                         double *dx, int batch) {
    (void)x;
    if (!dx)
        return;
    int d = l->n_in, h = l->n_out / 2;
    const double *B = l->buffers;
    for (int b = 0; b < batch; b++) {
        const double *yb = y + (size_t)b * 2 * h, *g = dy + (size_t)b * 2 * h;
        double *db = dx + (size_t)b * d;
        for (int j = 0; j < d; j++)
            db[j] = 0.0;
        for (int k = 0; k < h; k++) {
            /* dL/dpre_k, with t = 2 pi pre_k, y_k = cos t, y_{h+k} = sin t */
            double gt = TWO_PI * (g[h + k] * yb[k] - g[k] * yb[h + k]);
            for (int j = 0; j < d; j++)
                db[j] += gt * B[(size_t)k * d + j];
        }
    }
}

static const rt_layer_ops rff_ops = {.kind = "fourier_features", .forward = rff_forward,
                                     .backward = rff_backward};

rt_layer *rt_rff_create(int d, int m, double scale, rt_rng *rng) {
    if (m < 2 || m % 2 != 0 || !rng || !(scale >= 0.0)) {
        rt_error("Fourier features: width %d must be even and positive, scale %g non-negative,"
                 " and a random generator given", m, scale);
        return NULL;
    }
    size_t nb = (size_t)(m / 2) * (size_t)(d > 0 ? d : 0);
    rt_layer *l = rt_layer_alloc(sizeof(rt_layer), &rff_ops, d, m, 0, nb);
    if (!l)
        return NULL;
    if (rt_layer_add_tensor(l, "frequency_matrix", RT_TENSOR_BUFFER, nb) != 0) {
        rt_layer_destroy(l);
        return NULL;
    }
    rt_init_fill(l->buffers, nb, rt_init_normal(0.0, scale), rng);
    return l;
}
