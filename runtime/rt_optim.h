/* Runtime optimisers with PyTorch's semantics, over a flat parameter vector or a model's
 * parameters (in rt_model_get_params order): Adam and SGD with momentum. Weight decay (L2
 * added to the gradient, as torch.optim does) is off unless set. */
#ifndef QNN_RT_OPTIM_H
#define QNN_RT_OPTIM_H

#include <stddef.h>

#include "rt_model.h"

typedef struct rt_optim rt_optim;

/* torch.optim.Adam (amsgrad off), step t = 1, 2, ...:
 *   g += wd p;  m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2
 *   p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)
 * (eps added after the square root of the corrected second moment). The reference: lr 0.03,
 * betas 0.9 / 0.999, eps 1e-8. NULL on failure (rt_error). */
rt_optim *rt_adam_create(size_t n_params, double lr, double beta1, double beta2, double eps,
                         double weight_decay);
/* torch.optim.SGD (dampening 0, nesterov off): g += wd p; buf = g on the first step, then
 * buf = momentum buf + g; p -= lr buf (p -= lr g when momentum is 0). */
rt_optim *rt_sgd_create(size_t n_params, double lr, double momentum, double weight_decay);
void rt_optim_destroy(rt_optim *o);                  /* NULL is a no-op */

/* Learning rate of the following steps (schedules call this once per epoch). */
void rt_optim_set_lr(rt_optim *o, double lr);
double rt_optim_lr(const rt_optim *o);
long rt_optim_steps(const rt_optim *o);              /* steps taken so far */

/* One step on params[n] with grads[n] (n as created). */
void rt_optim_step(rt_optim *o, double *params, const double *grads);
/* One step on a model's parameters with their accumulated gradients. 0, or -1 when the model's
 * parameter count differs from the optimiser's. */
int rt_optim_step_model(rt_optim *o, rt_model *m);

/* The state (step count, then moments / momentum buffer) as a flat vector, for checkpoints. */
size_t rt_optim_state_size(const rt_optim *o);
void rt_optim_get_state(const rt_optim *o, double *state);
void rt_optim_set_state(rt_optim *o, const double *state);

#endif
