/* Kernels for batch normalisation: per-feature reductions over the batch, with the feature
 * index innermost so rows are read contiguously. */
#include "k_norm.h"

#include <stddef.h>

void k_bn_sum(const double *x, double *sum, int batch, int n) {
    for (int j = 0; j < n; j++)
        sum[j] = 0.0;
    for (int b = 0; b < batch; b++)
        for (int j = 0; j < n; j++)
            sum[j] += x[(size_t)b * n + j];
}

void k_bn_m2(const double *x, const double *mean, double *m2, int batch, int n) {
    for (int j = 0; j < n; j++)
        m2[j] = 0.0;
    for (int b = 0; b < batch; b++)
        for (int j = 0; j < n; j++) {
            double d = x[(size_t)b * n + j] - mean[j];
            m2[j] += d * d;
        }
}

void k_bn_stats(const double *x, double *mean, double *m2, int batch, int n) {
    k_bn_sum(x, mean, batch, n);
    for (int j = 0; j < n; j++)
        mean[j] /= batch;
    k_bn_m2(x, mean, m2, batch, n);
}

void k_bn_apply(const double *x, const double *mean, const double *invstd, const double *gamma,
                const double *beta, double *y, int batch, int n) {
    for (int b = 0; b < batch; b++)
        for (int j = 0; j < n; j++) {
            size_t i = (size_t)b * n + j;
            y[i] = (x[i] - mean[j]) * invstd[j] * gamma[j] + beta[j];
        }
}

void k_bn_backward_fixed(const double *x, const double *dy, const double *mean,
                         const double *invstd, const double *gamma, double *dgamma,
                         double *dbeta, double *dx, int batch, int n) {
    for (int b = 0; b < batch; b++)
        for (int j = 0; j < n; j++) {
            size_t i = (size_t)b * n + j;
            double xhat = (x[i] - mean[j]) * invstd[j];
            dgamma[j] += dy[i] * xhat;
            dbeta[j] += dy[i];
            if (dx)
                dx[i] = dy[i] * gamma[j] * invstd[j];
        }
}

void k_bn_grad_sums(const double *x, const double *dy, const double *mean, const double *invstd,
                    double *sum_dy, double *sum_dyx, int batch, int n) {
    for (int j = 0; j < n; j++)
        sum_dy[j] = sum_dyx[j] = 0.0;
    for (int b = 0; b < batch; b++)
        for (int j = 0; j < n; j++) {
            size_t i = (size_t)b * n + j;
            sum_dy[j] += dy[i];
            sum_dyx[j] += dy[i] * (x[i] - mean[j]) * invstd[j];
        }
}

void k_bn_dx_batch(const double *x, const double *dy, const double *mean, const double *invstd,
                   const double *gamma, const double *sum_dy, const double *sum_dyx, double *dx,
                   int batch, double total, int n) {
    for (int b = 0; b < batch; b++)
        for (int j = 0; j < n; j++) {
            size_t i = (size_t)b * n + j;
            double xhat = (x[i] - mean[j]) * invstd[j];
            dx[i] = gamma[j] * invstd[j] / total * (total * dy[i] - sum_dy[j] - xhat * sum_dyx[j]);
        }
}

void k_bn_backward_batch(const double *x, const double *dy, const double *mean,
                         const double *invstd, const double *gamma, double *dgamma,
                         double *dbeta, double *dx, double *sum_dy, double *sum_dyx,
                         int batch, int n) {
    k_bn_grad_sums(x, dy, mean, invstd, sum_dy, sum_dyx, batch, n);
    for (int j = 0; j < n; j++) {
        dgamma[j] += sum_dyx[j];
        dbeta[j] += sum_dy[j];
    }
    if (dx)
        k_bn_dx_batch(x, dy, mean, invstd, gamma, sum_dy, sum_dyx, dx, batch, batch, n);
}
