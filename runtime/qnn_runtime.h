/* qnn runtime: the one public header. Trains and evaluates a hybrid model described by an
 * rt_experiment (rt_spec.h) whose quantum layers are compiled circuits (rt_circuit.h): the
 * compiler's `qnnc run` calls it after JIT compilation, a native binary's generated main
 * calls it with circuits compiled ahead of time. Nothing here depends on LLVM.
 *
 * Ownership: every pointer argument is borrowed for the duration of the call. Messages go to
 * stderr, each naming the file or the setting at fault; functions return 0 or -1. */
#ifndef QNN_RUNTIME_H
#define QNN_RUNTIME_H

#include <stddef.h>

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
    int keep_signals;        /* keep the evaluated signal in the result (rt_run_result.sig_*):
                              * set by a batch of several runs for the comparison's figures */
    const char *compare_to;  /* a batch: the experiment the comparison's relative errors are
                              * divided by (NULL: the first tanh_mlp model, else the first run) */
} rt_run_options;

/* The final figures of one run (what reports and comparisons print). */
typedef struct {
    double final_loss;       /* training loss of the last epoch (before its update) */
    /* Evaluation against the target on the evaluation grid (the test points when held out):
     * the loss, and the metrics the experiment asks for; NaN for those it does not. */
    double mse, psnr;
    double eval_loss, accuracy;
    /* With held-out points (split, a test file): the same figures on the training points. */
    int held_out;
    double train_loss, train_mse, train_psnr, train_accuracy;
    long long n_eval, n_train;   /* points scored: evaluation and training */
    double seconds, seconds_per_epoch;
    int epochs_run;
    long long n_params;
    int has_baselines;       /* superresolution: interpolation of the training signal */
    double mse_bilinear, mse_nearest, mse_bicubic;
    /* The evaluated signal of an image or sound run with a target, kept for the comparison
     * report's figures (docs/reports.md §5): sig_n0 x sig_n1 points (a recording: sig_n0
     * samples, sig_n1 = 1) of sig_channels values each, interleaved, values in [sig_lo,
     * sig_hi]; sig_up[m] are the superresolution baselines on the same grid (m: 0 nearest,
     * 1 bilinear, 2 bicubic; NULL without). All NULL for other runs. low_rel_err and
     * high_rel_err split the relative error of channel 0 at REPORT_SPECTRAL_CUTOFF
     * (report_spectral_error); NaN without a signal. malloc'ed; rt_run_result_free. */
    double *sig_truth, *sig_pred, *sig_up[3];
    int sig_n0, sig_n1, sig_channels;
    double sig_lo, sig_hi;
    double low_rel_err, high_rel_err;
    double *loss;            /* training loss per epoch run (malloc'ed; rt_run_result_free) */
    int n_loss;
    /* An objective experiment: the optimised output after training and the exact optimum
     * (the lowest or highest eigenvalue); NaN when there is none. */
    double energy, exact_energy;
    char report_dir[4096];   /* the run's report folder, or "" when it wrote none (PATH_MAX) */
} rt_run_result;

void rt_run_result_free(rt_run_result *r);

/* Runs the experiment: loads its data, builds the model (circuits[k] is the compiled circuit
 * of the layers whose spec has circuit == k), trains, evaluates and writes the outputs
 * (atomically). result may be NULL. */
int rt_run_experiment(const rt_experiment *x, const rt_circuit *const *circuits,
                      const rt_run_options *o, rt_run_result *result);

/* Several experiments of one file, run one after the other, as `qnnc run` and native binaries
 * do: each writes into OUT/NAME when there are several (OUT = out_dir, default out), else into
 * out_dir (default out/NAME); with more than one run, a table is printed and a comparison
 * report written to OUT/comparison. A failed run does not stop the others. */
typedef struct rt_batch rt_batch;
rt_batch *rt_batch_create(int n_experiments, const char *out_dir, const rt_run_options *common);
/* Runs one experiment with the batch's options (out_dir set per experiment), after checking
 * every file it will write (run_output.h: run_outputs_check). 0 or -1. */
int rt_batch_run(rt_batch *b, const rt_experiment *x, const rt_circuit *const *circuits);
/* Prints the table, writes the comparison, frees the batch. Returns the process exit status
 * (docs/language.md §8.2): 0 if every run succeeded, RT_EXIT_OUT_OF_MEMORY if a run failed
 * for lack of memory, else RT_EXIT_FAILED (also for b == NULL). */
enum { RT_EXIT_FAILED = 1, RT_EXIT_OUT_OF_MEMORY = 3 };
int rt_batch_finish(rt_batch *b);

/* Writes the final figures of the batch's one finished run to path (atomically), one
 * `name,value` line per figure the run has (unknown ones are left out): `experiment` with
 * its name first, then final_loss, mse, psnr, eval_loss, accuracy, the train_ figures of a
 * held-out run, n_eval, n_train, epochs_run, n_params, seconds, seconds_per_epoch. This is
 * `qnnc run --result FILE` and what each run of `qnnc sweep` leaves behind. 0, or -1 with
 * one line naming the file in err (also when the batch has no finished run or several). */
int rt_batch_write_result(const rt_batch *b, const char *path, char *err, size_t errlen);

/* Writes one comparison report into dir: a table of the runs (mean and spread where a model
 * ran several times), their loss curves in one picture, links to each run's report, and for
 * runs on one signal the paper's figures (docs/reports.md §5): relative errors by frequency
 * band against compare_to (NULL: the first tanh_mlp model, else the first run), spectra,
 * and the superresolution grid. */
int rt_write_comparison(const char *dir, const rt_experiment *const *xs,
                        const rt_run_result *results, int n, const char *compare_to);

#endif
