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

/* The class of one sample: for k >= 2 values the index of the largest (the first on a tie);
 * for k == 1 (a binary logit, or a target in [0, 1]) 1 when x > threshold, else 0. */
int rt_class_of(const double *x, int k, double threshold);

/* Accuracy of `batch` predictions of k values against targets of k values (one-hot rows, or
 * for k == 1 labels in {0, 1}): the fraction whose classes agree (rt_class_of, logits
 * thresholded at 0, targets at 0.5). When confusion is not NULL it receives the counts
 * [true class][predicted class], c x c with c = max(k, 2), overwritten. */
double rt_metric_accuracy(const double *pred, const double *target, size_t batch, int k,
                          long *confusion);

/* 1 if every x[i] is finite; otherwise 0 and, when first_bad is not NULL, the index of the
 * first NaN or infinity. Reporting it (which tensor, which step) is the caller's job. */
int rt_all_finite(const double *x, size_t n, size_t *first_bad);

#endif
