/* Runtime metrics and checks for training loops: MSE, PSNR, relative error, finiteness. */
#ifndef QNN_RT_METRICS_H
#define QNN_RT_METRICS_H

#include <stddef.h>

double rt_metric_mse(const double *a, const double *b, size_t n);
/* PSNR in dB = 10 log10(range^2 / mse). Signals in [-1, 1] have range 2, so PSNR =
 * 10 log10(4 / mse): the convention of the peer PyTorch implementation of the reference
 * (peak 2 for images and sound). +inf when mse is 0. */
double rt_metric_psnr(double mse, double range);
/* ||a - b||_2 / ||b||_2 (b the reference); +inf when b is all zeros and a differs from it. */
double rt_metric_rel_error(const double *a, const double *b, size_t n);

/* 1 if every x[i] is finite; otherwise 0 and, when first_bad is not NULL, the index of the
 * first NaN or infinity. Reporting it (which tensor, which step) is the caller's job. */
int rt_all_finite(const double *x, size_t n, size_t *first_bad);

#endif
