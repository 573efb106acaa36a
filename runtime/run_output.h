/* What a run writes: checkpoints (safetensors, PyTorch names and shapes), reconstructed
 * signals (PNG, WAV, CSV) and the metrics log (JSON lines). Every file is written
 * atomically. Internal to the runtime. */
#ifndef QNN_RUN_OUTPUT_H
#define QNN_RUN_OUTPUT_H

#include <stddef.h>

#include "qnn_runtime.h"
#include "rt_model.h"
#include "rt_optim.h"
#include "rt_spec.h"
#include "run_data.h"

/* ---- the output policy (docs/language.md §6.12) ---------------------------------------- */

/* Longest output folder (--out DIR, or out/NAME) and longest output file path, in bytes
 * without the NUL, that a run accepts: the OS's limit, PATH_MAX - 1 = 4095, less room for
 * the temporary name an atomic write creates beside its target (io_atomic_open). */
enum { RUN_OUT_PATH_MAX = 4095 - 32 };

/* Checks, before a run does any work, every file it will write into its output folder dir:
 * metrics.jsonl, the experiment's outputs and the files of its report folder. Creates dir
 * and checks that it is writable. Refuses, with one line naming the file:
 *   - a name with a control character, a path over the limits above or a component over
 *     NAME_MAX;
 *   - a relative name with a `..` component or one that resolves outside dir through a
 *     symbolic link (absolute names are used as they are, as documented);
 *   - a target that exists and is not a regular file (io_check_output_target), a report
 *     folder that exists and is not a folder;
 *   - a target that is one of the run's inputs: the .qnn file, the data files, the
 *     checkpoint resumed or evaluated (same device and inode, hard links included);
 *   - two outputs that are the same file, or a file where another output needs a folder.
 * qnnc run and native binaries both reach it through rt_batch_run. 0 or -1. */
int run_outputs_check(const rt_experiment *x, const rt_run_options *o, const char *dir,
                      char *err, size_t errlen);

/* Two experiments of one batch: relative outputs go to separate folders, but the same absolute
 * name (often from one --set outputs=[...] applied to every experiment) would make the later
 * run replace what the earlier wrote. 0, or -1 with one line naming the path. */
int run_outputs_clash(const rt_experiment *x, const rt_experiment *earlier, char *err,
                      size_t errlen);

/* Model tensors (parameters and buffers, named layers.<i>.<tensor>) with their PyTorch shapes,
 * the optimiser state ("optimizer.state") and metadata (experiment, source, epoch). Read back
 * by run_checkpoint_load (run_checkpoint.h), which shares the shapes. */
int run_save_checkpoint(const char *path, const rt_experiment *x, rt_model *m, const rt_optim *opt,
                        int epochs_done, char *err, size_t errlen);

/* pred[n][out_dim] on the grid of d (image: height x width; sound: n samples at d->rate). */
int run_write_signal(const char *path, rt_data_kind kind, const run_data *grid, const double *pred,
                     double lo, double hi, char *err, size_t errlen);

/* metrics.jsonl's first line (docs/runtime.md): `{"kind": "header", ...}` with what tells runs
 * apart, the fields summary.md's run header shows: experiment, source, model as called and its
 * name, the overrides (space-separated, as given), gradient method, the precision the circuits
 * really ran in ("f64"/"f32"), seed, the qnnc and LLVM versions ("" when unknown); no
 * newline. The epochs' lines follow it, each with an "epoch" field. Returns the length of
 * the whole line, as snprintf does (n = 0 measures it). */
size_t run_metrics_header(const rt_experiment *x, char *buf, size_t n);

/* Coordinates, prediction and (when target is not NULL) target per point. */
int run_write_csv(const char *path, const run_data *grid, const double *pred, const double *target,
                  char *err, size_t errlen);

#endif
