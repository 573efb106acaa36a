/* run_checkpoint: the one checkpoint validator of the runtime. `qnnc run --resume`,
 * `qnnc eval --checkpoint`, native binaries (both through rt_run_experiment) and embedded
 * models (qnn_model_load) load weights only through run_checkpoint_load. Internal. */
#ifndef QNN_RUN_CHECKPOINT_H
#define QNN_RUN_CHECKPOINT_H

#include <stddef.h>
#include <stdint.h>

#include "rt_model.h"
#include "rt_optim.h"
#include "rt_spec.h"

/* The "format" metadata value of every checkpoint the runtime writes. */
#define RUN_CHECKPOINT_FORMAT "qnn-checkpoint-1"

/* PyTorch's shape of the model tensor name with count values, from the layer spec that made
 * it (linear weights [out, in], quantum tensors their declared shape, else [count]). Writes
 * shape[0..rank-1] and returns the rank. The writer and the validator share it, so a file
 * is read back with exactly the shapes it was written with. */
int run_checkpoint_shape(const rt_experiment *x, const char *name, size_t count, int64_t *shape);

/* Loads the weights of path into m after validating the whole file: every model tensor
 * present as F64 with its shape, no unknown tensor, every value finite, metadata only
 * "format" (RUN_CHECKPOINT_FORMAT), "experiment", "source" and "epochs".
 * opt != NULL (resume): "optimizer.state" must be present with this optimiser's size and a
 * valid step count; otherwise it is optional (and still checked for finiteness).
 * epochs_done != NULL (resume): "epochs" must be present, a whole number in 0..x->epochs;
 * otherwise it may be absent, and if present must be a whole number >= 0.
 * Nothing is modified unless the whole file is valid. 0 or -1 with one line naming the file. */
int run_checkpoint_load(const char *path, const rt_experiment *x, rt_model *m, rt_optim *opt,
                        int *epochs_done, char *err, size_t errlen);

#endif
