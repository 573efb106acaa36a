/* Runtime linear layer: y = x W^T + b with W [n_out][n_in] (PyTorch's nn.Linear layout).
 * Tensors "weight" then "bias" (when present). */
#ifndef QNN_RT_LINEAR_H
#define QNN_RT_LINEAR_H

#include "rt_layer.h"
#include "rt_rng.h"

/* PyTorch's default initialisation: weight, then bias, uniform in [-1/sqrt(n_in), 1/sqrt(n_in)),
 * drawn in row-major order from rng. NULL on failure (rt_error). */
rt_layer *rt_linear_create(int n_in, int n_out, int bias, rt_rng *rng);

/* SIREN's weight initialisation (bias keeps PyTorch's default, as in the reference):
 * first layer U(-1/n_in, 1/n_in), other layers (the final linear one too)
 * U(-sqrt(6/n_in)/omega0, sqrt(6/n_in)/omega0). 0, or -1 if l is not a linear layer. */
int rt_linear_init_siren(rt_layer *l, int is_first, double omega0, rt_rng *rng);

#endif
