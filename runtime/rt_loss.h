/* Runtime losses over n = batch * features values (mean over all elements, PyTorch's default
 * reduction; cross entropy: mean over samples). grad (may be NULL) receives dLoss/dpred, overwritten. */
#ifndef QNN_RT_LOSS_H
#define QNN_RT_LOSS_H

#include <stddef.h>

/* mean (pred - target)^2; grad = 2 (pred - target) / n. The reference's training loss. */
double rt_loss_mse(const double *pred, const double *target, size_t n, double *grad);
/* mean |pred - target|; grad = sign(pred - target) / n, 0 where they are equal (as PyTorch). */
double rt_loss_l1(const double *pred, const double *target, size_t n, double *grad);

/* Huber loss (PyTorch's HuberLoss): mean of 0.5 d^2 where |d| < delta, else
 * delta (|d| - 0.5 delta), d = pred - target; grad = d / n, resp. delta sign(d) / n. */
double rt_loss_huber(const double *pred, const double *target, size_t n, double delta, double *grad);

/* Cross entropy over `batch` samples of k logits each (PyTorch's CrossEntropyLoss with
 * probability targets): mean over samples of -sum_j t_j log softmax(z)_j, the log-softmax
 * computed from z - max z. target[batch][k] holds each sample's class distribution (one-hot
 * for a class index). grad = (softmax(z) - t) / batch (exact when t sums to 1 per row). */
double rt_loss_cross_entropy(const double *logits, const double *target, size_t batch, int k,
                             double *grad);

/* Binary cross entropy with logits (PyTorch's BCEWithLogitsLoss) over n values, targets in
 * [0, 1]: mean of max(z, 0) - z t + log(1 + exp(-|z|)), which never overflows;
 * grad = (sigmoid(z) - t) / n. */
double rt_loss_bce_logits(const double *logits, const double *target, size_t n, double *grad);

#endif
