/* Runtime layers: the common interface of every layer (linear, batch norm, activations,
 * Fourier features, quantum). Tensors are float64, row-major [batch][features].
 *
 * Ownership: a layer owns its parameters, their gradients and its buffers (non-trained state
 * such as batch-norm running statistics). Layers added to a model belong to the model. */
#ifndef QNN_RT_LAYER_H
#define QNN_RT_LAYER_H

#include <stddef.h>

#include "rt_rng.h"

typedef struct rt_layer rt_layer;

/* Trained parameters (with gradients) vs buffers (state saved in checkpoints, not trained). */
typedef enum { RT_TENSOR_PARAM, RT_TENSOR_BUFFER } rt_tensor_kind;

/* Which statistics batch norm uses outside training: the batch being evaluated (what the QIREN
 * reference does, since it never calls eval()) or the running estimates (PyTorch's eval()). */
typedef enum { RT_BN_BATCH, RT_BN_RUNNING } rt_bn_stats;

void rt_layer_destroy(rt_layer *l);          /* NULL is a no-op; not for layers in a model */

const char *rt_layer_kind(const rt_layer *l);  /* "linear", "batchnorm1d", "tanh", ... */
int rt_layer_n_in(const rt_layer *l);
int rt_layer_n_out(const rt_layer *l);

/* The parameters as one block (tensors are consecutive slices of it), same for gradients. */
size_t rt_layer_n_params(const rt_layer *l);
double *rt_layer_params(rt_layer *l);
double *rt_layer_grads(rt_layer *l);
size_t rt_layer_n_buffers(const rt_layer *l);
double *rt_layer_buffers(rt_layer *l);

/* Named tensors ("weight", "bias", "running_mean", ...), parameters first, in block order. */
int rt_layer_n_tensors(const rt_layer *l);
const char *rt_layer_tensor_name(const rt_layer *l, int k);
rt_tensor_kind rt_layer_tensor_kind(const rt_layer *l, int k);
size_t rt_layer_tensor_count(const rt_layer *l, int k);
double *rt_layer_tensor_data(rt_layer *l, int k);
int rt_layer_find_tensor(const rt_layer *l, const char *name);   /* index or -1 */
/* Re-initialises tensor k (e.g. a quantum layer's weights uniform in [0, 2 pi)). */
void rt_layer_init_tensor(rt_layer *l, int k, rt_init spec, rt_rng *rng);

/* Training mode (batch statistics, running statistics updated) or evaluation mode with an
 * explicit choice of batch-norm statistics. Layers start in training mode. */
void rt_layer_set_mode(rt_layer *l, int training, rt_bn_stats eval_stats);

/* Prepares scratch for batches of up to max_batch samples; forward/backward then allocate
 * nothing. Needed before the first forward of layers that keep per-batch scratch (quantum);
 * a model calls it for its layers. 0 or -1 (rt_error). */
int rt_layer_reserve(rt_layer *l, int max_batch);

/* y[batch][n_out] from x[batch][n_in]. 0, or -1 with rt_error (e.g. batch norm in training
 * mode with batch < 2, or batch above the reserved maximum). */
int rt_layer_forward(rt_layer *l, const double *x, double *y, int batch);
/* With x, y of the latest forward and dy = dL/dy: dx = dL/dx (overwritten; may be NULL to
 * skip) and parameter gradients ACCUMULATED into rt_layer_grads. */
void rt_layer_backward(rt_layer *l, const double *x, const double *y, const double *dy,
                       double *dx, int batch);
void rt_layer_zero_grad(rt_layer *l);

#endif
