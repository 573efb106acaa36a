/* Kernels for dense layers: plain loops ordered so the innermost index walks contiguous memory
 * (the widths here are tens, where a BLAS call would cost more than it saves). */
#include "k_dense.h"

#include <stddef.h>

void k_linear_forward(const double *x, const double *W, const double *bias, double *y,
                      int batch, int n_in, int n_out) {
    for (int b = 0; b < batch; b++) {
        const double *xb = x + (size_t)b * n_in;
        double *yb = y + (size_t)b * n_out;
        for (int o = 0; o < n_out; o++) {
            const double *w = W + (size_t)o * n_in;
            double s = 0.0;
            for (int i = 0; i < n_in; i++)
                s += xb[i] * w[i];
            yb[o] = bias ? s + bias[o] : s;
        }
    }
}

void k_linear_backward_params(const double *x, const double *dy, double *dW, double *dbias,
                              int batch, int n_in, int n_out) {
    for (int b = 0; b < batch; b++) {
        const double *xb = x + (size_t)b * n_in;
        const double *g = dy + (size_t)b * n_out;
        for (int o = 0; o < n_out; o++) {
            double *w = dW + (size_t)o * n_in;
            double go = g[o];
            for (int i = 0; i < n_in; i++)
                w[i] += go * xb[i];
            if (dbias)
                dbias[o] += go;
        }
    }
}

void k_linear_backward_input(const double *dy, const double *W, double *dx, int batch,
                             int n_in, int n_out) {
    for (int b = 0; b < batch; b++) {
        const double *g = dy + (size_t)b * n_out;
        double *d = dx + (size_t)b * n_in;
        for (int i = 0; i < n_in; i++)
            d[i] = 0.0;
        for (int o = 0; o < n_out; o++) {
            const double *w = W + (size_t)o * n_in;
            double go = g[o];
            for (int i = 0; i < n_in; i++)
                d[i] += go * w[i];
        }
    }
}
