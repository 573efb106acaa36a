/* The report folder of a run: pictures (loss curve, truth | reconstruction | error, waveform,
 * spectra with the low/high-frequency error split) and an index. Internal to the runtime. */
#ifndef QNN_RUN_REPORT_H
#define QNN_RUN_REPORT_H

#include <stddef.h>

#include "qnn_runtime.h"
#include "run_data.h"

/* A classifier of 2-D inputs: its predicted class on a g x g grid over the box [x0, x1] x
 * [y0, y1] (row 0 at y1), and the points with their classes (test points marked). */
typedef struct {
    int g;
    double x0, x1, y0, y1;
    int *grid;
    double *xy;
    int *cls;
    unsigned char *is_test;
    size_t n;
} run_boundary;

typedef struct {
    const rt_experiment *x;
    const run_data *train;      /* the training signal */
    const run_data *grid;       /* the evaluation grid */
    const double *pred;         /* [grid->n][out_dim] */
    const double *target;       /* on the grid, or NULL */
    const double *loss, *psnr;  /* per epoch, x->epochs values (0 where not trained) */
    const rt_run_result *result;
    int n_classes;              /* classification: classes of the confusion matrix; else 0 */
    const long *confusion;      /* [true][predicted] counts on the evaluation points */
    /* eval_every: per epoch test loss, test accuracy, train loss, train accuracy (NaN where
     * not evaluated), or NULL */
    const double *eval_log;
    const run_boundary *boundary; /* or NULL */
} run_report_input;

int run_write_report(const char *dir, const run_report_input *in, char *err, size_t errlen);

/* The circuit drawings of a report (rt_layer_spec.circuit_svg): one file per distinct drawing,
 * named after the first quantum layer that has it, at most RUN_REPORT_MAX_CIRCUITS (the
 * output check of run_output.c lists the same files). Returns how many, their layers in
 * layers[]. */
enum { RUN_REPORT_MAX_CIRCUITS = 4 };
int run_report_circuits(const rt_experiment *x, int layers[RUN_REPORT_MAX_CIRCUITS]);
/* "circuit_L.svg" for layer L. */
void run_report_circuit_name(int layer, char *buf, size_t n);
/* The report of an objective experiment (run_objective.c): energy.png (the objective's output
 * per epoch, energy[e] for e < x->epochs, NaN where not run, with the exact optimum as a
 * line) and the summary with final and exact energies and their errors. */
int run_write_objective_report(const char *dir, const rt_experiment *x, const double *energy,
                               const rt_run_result *r, char *err, size_t errlen);

#endif
