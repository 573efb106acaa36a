/* The report folder of a run: pictures (loss curve, truth | reconstruction | error, waveform,
 * spectra with the low/high-frequency error split) and an index. Internal to the runtime. */
#ifndef QNN_RUN_REPORT_H
#define QNN_RUN_REPORT_H

#include <stddef.h>

#include "qnn_runtime.h"
#include "run_data.h"

typedef struct {
    const rt_experiment *x;
    const run_data *train;      /* the training signal */
    const run_data *grid;       /* the evaluation grid */
    const double *pred;         /* [grid->n][out_dim] */
    const double *target;       /* on the grid, or NULL */
    const double *loss, *psnr;  /* per epoch, x->epochs values (0 where not trained) */
    const rt_run_result *result;
} run_report_input;

int run_write_report(const char *dir, const run_report_input *in, char *err, size_t errlen);

#endif
