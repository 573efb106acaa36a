/* Runtime model: a sequence of layers with named parameters, preallocated activations and
 * gradients for a maximum batch, forward / backward, modes, and flat copies of parameters and
 * buffers for checkpoints.
 *
 * Ownership: rt_model_add takes the layer (also when it fails); rt_model_destroy frees every
 * layer. Pointers returned by forward / input_grad belong to the model and stay valid until
 * the next build or destroy. After rt_model_build, forward and backward allocate nothing. */
#ifndef QNN_RT_MODEL_H
#define QNN_RT_MODEL_H

#include <stddef.h>

#include "rt_layer.h"
#include "rt_rng.h"

typedef struct rt_model rt_model;

/* A named tensor of the model: name "<layer name>.<tensor name>" (e.g. "layers.0.weight"),
 * offset in the flat vector of its kind (parameters or buffers), and its storage. */
typedef struct rt_model_tensor {
    const char *name;
    rt_tensor_kind kind;
    size_t offset, count;
    double *data;
    double *grad;            /* NULL for buffers */
} rt_model_tensor;

rt_model *rt_model_create(int n_in);          /* NULL on failure (rt_error) */
void rt_model_destroy(rt_model *m);           /* NULL is a no-op */

/* Appends a layer, whose n_in must equal the previous n_out. name: the prefix of its tensors'
 * names; NULL gives "layers.<index>". Invalidates a previous build. 0 or -1. */
int rt_model_add(rt_model *m, rt_layer *l, const char *name);
/* Allocates activations and gradients for batches up to max_batch (again to change it). */
int rt_model_build(rt_model *m, int max_batch);

int rt_model_n_in(const rt_model *m);
int rt_model_n_out(const rt_model *m);
int rt_model_max_batch(const rt_model *m);    /* 0 before a build */
int rt_model_n_layers(const rt_model *m);
rt_layer *rt_model_layer(rt_model *m, int i);
const char *rt_model_layer_name(const rt_model *m, int i);

/* out[batch][n_out] for x[batch][n_in] (x is copied). NULL on error (rt_error). */
const double *rt_model_forward(rt_model *m, const double *x, int batch);
/* Backpropagates grad_out[batch][n_out] (batch of the latest forward), accumulating parameter
 * gradients. 0 or -1 (no forward yet). */
int rt_model_backward(rt_model *m, const double *grad_out);
/* dL/dx[batch][n_in] of the latest backward. */
const double *rt_model_input_grad(const rt_model *m);
void rt_model_zero_grad(rt_model *m);

/* Training mode (the default), or evaluation with an explicit batch-norm choice (rt_bn.h). */
void rt_model_train(rt_model *m);
void rt_model_eval(rt_model *m, rt_bn_stats stats);
int rt_model_is_training(const rt_model *m);

/* Counts and flat copies, in layer order then tensor order (the order of rt_model_tensor_at). */
size_t rt_model_n_params(const rt_model *m);
size_t rt_model_n_buffers(const rt_model *m);
void rt_model_get_params(const rt_model *m, double *flat);
void rt_model_set_params(rt_model *m, const double *flat);
void rt_model_get_grads(const rt_model *m, double *flat);
void rt_model_get_buffers(const rt_model *m, double *flat);
void rt_model_set_buffers(rt_model *m, const double *flat);

int rt_model_n_tensors(const rt_model *m);
rt_model_tensor rt_model_tensor_at(const rt_model *m, int k);
int rt_model_find_tensor(const rt_model *m, const char *name);   /* index or -1 */
/* Re-initialises a tensor by name. 0, or -1 when there is no such tensor. */
int rt_model_init_tensor(rt_model *m, const char *name, rt_init spec, rt_rng *rng);

#endif
