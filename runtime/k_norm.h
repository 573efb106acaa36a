/* Kernels for batch normalisation over the batch axis of row-major [batch][n] tensors. */
#ifndef QNN_K_NORM_H
#define QNN_K_NORM_H

/* mean[j] and m2[j] = sum_b (x[b][j] - mean[j])^2 over the batch (two passes, for accuracy);
 * the biased variance is m2 / N, the unbiased one m2 / (N - 1). */
void k_bn_stats(const double *x, double *mean, double *m2, int batch, int n);
/* The two passes of k_bn_stats apart, for a batch split across processes (rt_dist.h): the
 * sums of the slice (then summed over the ranks and divided by the whole batch), and m2 of
 * the slice about a given mean (then summed over the ranks). */
void k_bn_sum(const double *x, double *sum, int batch, int n);
void k_bn_m2(const double *x, const double *mean, double *m2, int batch, int n);
/* y = (x - mean) * invstd * gamma + beta */
void k_bn_apply(const double *x, const double *mean, const double *invstd, const double *gamma,
                const double *beta, double *y, int batch, int n);
/* Gradients with the statistics fixed: dgamma += sum dy xhat, dbeta += sum dy; and, when dx is
 * not NULL, dx = dy gamma invstd (evaluation with running statistics). */
void k_bn_backward_fixed(const double *x, const double *dy, const double *mean,
                         const double *invstd, const double *gamma, double *dgamma,
                         double *dbeta, double *dx, int batch, int n);
/* Same parameter gradients, with dx through the batch statistics (mean and biased variance
 * of this batch depend on every sample):
 *   dx = gamma invstd / N (N dy - sum_b dy - xhat sum_b dy xhat).
 * sum_dy and sum_dyx are scratch of n values. */
void k_bn_backward_batch(const double *x, const double *dy, const double *mean,
                         const double *invstd, const double *gamma, double *dgamma,
                         double *dbeta, double *dx, double *sum_dy, double *sum_dyx,
                         int batch, int n);
/* The two halves of k_bn_backward_batch, for a split batch: the slice's sum_dy and sum_dyx
 * (overwritten), and dx from sums over the whole batch of `total` samples. */
void k_bn_grad_sums(const double *x, const double *dy, const double *mean, const double *invstd,
                    double *sum_dy, double *sum_dyx, int batch, int n);
void k_bn_dx_batch(const double *x, const double *dy, const double *mean, const double *invstd,
                   const double *gamma, const double *sum_dy, const double *sum_dyx, double *dx,
                   int batch, double total, int n);

#endif
