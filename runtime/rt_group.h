/* Composite layers: a layer that owns sub-sequences of layers (rt_models), for models that are
 * not a flat list (language.md section 5):
 *   parallel  every branch reads the same input; the outputs are concatenated in order
 *   residual  one branch f with equal widths: y = x + f(x)
 *   split     k branches of equal widths w -> v on consecutive slices of the input:
 *             input k w, output k v; each copy has its own parameters
 * The branches' parameters, gradients and buffers are slices of the composite's own blocks
 * (branch order, then each branch's layer order), so the model's flat copies, optimiser and
 * checkpoints see one layer; its tensors are named "b<i>.<branch tensor name>", e.g.
 * "b0.layers.1.weight". */
#ifndef QNN_RT_GROUP_H
#define QNN_RT_GROUP_H

#include "rt_layer.h"
#include "rt_model.h"

typedef enum { RT_GROUP_PARALLEL, RT_GROUP_RESIDUAL, RT_GROUP_SPLIT } rt_group_kind;

/* Takes the n_branches models in `branches` (also on failure; the array itself is the
 * caller's). The widths must fit the kind (rt_error otherwise). NULL on failure. */
rt_layer *rt_group_create(rt_group_kind kind, int n_branches, rt_model **branches);

int rt_group_n_branches(const rt_layer *l);            /* 0 for a layer that is no group */
rt_model *rt_group_branch(rt_layer *l, int i);

#endif
