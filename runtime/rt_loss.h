/* Runtime losses over n = batch * features values (mean over all elements, PyTorch's default
 * reduction). grad (may be NULL) receives dLoss/dpred, overwritten. */
#ifndef QNN_RT_LOSS_H
#define QNN_RT_LOSS_H

#include <stddef.h>

/* mean (pred - target)^2; grad = 2 (pred - target) / n. The reference's training loss. */
double rt_loss_mse(const double *pred, const double *target, size_t n, double *grad);
/* mean |pred - target|; grad = sign(pred - target) / n, 0 where they are equal (as PyTorch). */
double rt_loss_l1(const double *pred, const double *target, size_t n, double *grad);

#endif
