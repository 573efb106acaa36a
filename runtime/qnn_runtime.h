/* qnn runtime: the one public header. Trains and evaluates a hybrid model described by an
 * rt_experiment (rt_spec.h) whose quantum layers are compiled circuits (rt_circuit.h): the
 * compiler's `qnnc run` calls it after JIT compilation, a native binary's generated main
 * calls it with circuits compiled ahead of time. Nothing here depends on LLVM.
 *
 * Ownership: every pointer argument is borrowed for the duration of the call. Messages go to
 * stderr, each naming the file or the setting at fault; functions return 0 or -1. */
#ifndef QNN_RUNTIME_H
#define QNN_RUNTIME_H

#include "rt_circuit.h"
#include "rt_spec.h"

typedef struct {
    const char *out_dir;     /* where outputs go; NULL = out/<experiment name> */
    const char *resume;      /* checkpoint to continue from, or NULL */
    int threads;             /* 0 = the experiment's setting (0 there = all cores) */
    int quiet;               /* no progress lines */
    int eval_only;           /* with `checkpoint`: evaluate, do not train */
    const char *checkpoint;  /* weights to evaluate (eval_only) */
    int grid;                /* eval_only: override the evaluation grid (0 = the experiment's) */
    const char *target;      /* eval_only: ground truth file at that grid, or NULL */
} rt_run_options;

/* The final figures of one run (what reports and comparisons print). */
typedef struct {
    double final_loss;       /* training loss of the last epoch (before its update) */
    double mse, psnr;        /* evaluation against the target on the evaluation grid */
    double seconds, seconds_per_epoch;
    int epochs_run;
    long long n_params;
    int has_baselines;       /* superresolution: interpolation of the training signal */
    double mse_bilinear, mse_nearest;
} rt_run_result;

/* Runs the experiment: loads its data, builds the model (circuits[k] is the compiled circuit
 * of the layers whose spec has circuit == k), trains, evaluates and writes the outputs
 * (atomically). result may be NULL. */
int rt_run_experiment(const rt_experiment *x, const rt_circuit *const *circuits,
                      const rt_run_options *o, rt_run_result *result);

/* Writes one comparison report (a table and the pictures of each run) into dir. */
int rt_write_comparison(const char *dir, const rt_experiment *const *xs,
                        const rt_run_result *results, int n);

#endif
