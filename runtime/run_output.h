/* What a run writes: checkpoints (safetensors, PyTorch names and shapes), reconstructed
 * signals (PNG, WAV, CSV) and the metrics log (JSON lines). Every file is written
 * atomically. Internal to the runtime. */
#ifndef QNN_RUN_OUTPUT_H
#define QNN_RUN_OUTPUT_H

#include <stddef.h>

#include "rt_model.h"
#include "rt_optim.h"
#include "rt_spec.h"
#include "run_data.h"

/* Model tensors (parameters and buffers, named layers.<i>.<tensor>) with their PyTorch shapes,
 * the optimiser state ("optimizer.state") and metadata (experiment, source, epoch). */
int run_save_checkpoint(const char *path, const rt_experiment *x, rt_model *m, const rt_optim *opt,
                        int epochs_done, char *err, size_t errlen);

/* Loads weights (and, when opt is not NULL, the optimiser state) from a checkpoint written by
 * run_save_checkpoint; every tensor of the model must be present with the same size.
 * *epochs_done (may be NULL) receives the epochs already trained. */
int run_load_checkpoint(const char *path, rt_model *m, rt_optim *opt, int *epochs_done,
                        char *err, size_t errlen);

/* pred[n][out_dim] on the grid of d (image: height x width; sound: n samples at d->rate). */
int run_write_signal(const char *path, rt_data_kind kind, const run_data *grid, const double *pred,
                     double lo, double hi, char *err, size_t errlen);

/* Coordinates, prediction and (when target is not NULL) target per point. */
int run_write_csv(const char *path, const run_data *grid, const double *pred, const double *target,
                  char *err, size_t errlen);

#endif
