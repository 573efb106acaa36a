/* Runtime elementwise layers (no parameters): activations and the omega_0 scaling that the
 * reference's MLP baselines apply between batch norm and the activation. */
#ifndef QNN_RT_ACT_H
#define QNN_RT_ACT_H

#include "rt_layer.h"

rt_layer *rt_relu_create(int n);                     /* max(x, 0); gradient 0 at x = 0 */
rt_layer *rt_tanh_create(int n);
rt_layer *rt_sigmoid_create(int n);                  /* 1 / (1 + exp(-x)) */
rt_layer *rt_sine_create(int n, double omega0);      /* sin(omega0 x), SIREN's activation */
rt_layer *rt_scale_create(int n, double omega0);     /* omega0 x */
/* Per sample over its n features (not elementwise): softmax exp(x_k) / sum_j exp(x_j) and
 * log-softmax x_k - log sum_j exp(x_j), both computed from x - max(x) so that large inputs
 * do not overflow. */
rt_layer *rt_softmax_create(int n);
rt_layer *rt_log_softmax_create(int n);

#endif
