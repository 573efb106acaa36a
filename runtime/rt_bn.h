/* Runtime batch normalisation over the batch axis (PyTorch's BatchNorm1d on [batch][n]).
 * Tensors: "weight" (gamma, init 1), "bias" (beta, init 0); buffers "running_mean" (init 0),
 * "running_var" (init 1). PyTorch's integer num_batches_tracked is not kept (it only matters
 * when momentum is None, which is not offered).
 *
 * Training mode: normalise with the batch mean and the biased batch variance, then
 *   running = (1 - momentum) running + momentum stat, with the UNBIASED variance (N / (N-1)).
 * Evaluation mode: the caller's explicit choice (rt_layer_set_mode / rt_model_eval):
 *   RT_BN_RUNNING normalises with the running estimates (PyTorch's eval());
 *   RT_BN_BATCH normalises with the batch's statistics, as the QIREN reference does at
 *   evaluation, but leaves the running estimates untouched (the reference, staying in train
 *   mode, also updates them). */
#ifndef QNN_RT_BN_H
#define QNN_RT_BN_H

#include "rt_layer.h"

/* The reference uses eps = 1e-5, momentum = 0.1. NULL on failure (rt_error). */
rt_layer *rt_batchnorm_create(int n, double eps, double momentum);

#endif
