/* Objective experiments (docs/language.md section 6.14): no data, the model's parameters
 * trained to minimise or maximise one of its outputs, the exact optimum reported beside it.
 * Internal to the runtime: rt_run_experiment hands such an experiment here. */
#ifndef QNN_RUN_OBJECTIVE_H
#define QNN_RUN_OBJECTIVE_H

#include "qnn_runtime.h"

/* rt_run_experiment for x->objective != RT_OBJECTIVE_NONE: the same contract (dir: the run's
 * output folder, already created; messages on stderr; 0 or -1 with one line in err). */
int run_objective(const rt_experiment *x, const rt_circuit *const *circuits, const rt_run_options *o,
                  const char *dir, rt_run_result *r, char *err, size_t errlen);

#endif
