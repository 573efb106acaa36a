/* run_generate: a generative experiment of the language (language.md §6.17) to run_gan: the
 * image set found like other data, the features model built from the experiment's layers for
 * a batch of one image's pixels, the rest of run_gan_spec from rt_experiment.gen. Internal:
 * rt_run_experiment dispatches here. */
#ifndef QNN_RUN_GENERATE_H
#define QNN_RUN_GENERATE_H

#include <stddef.h>

#include "qnn_runtime.h"
#include "rt_circuit.h"
#include "rt_spec.h"

/* Writes into dir (made by the caller); 0, or -1 with one line in err naming the file. */
int run_generate(const rt_experiment *x, const rt_circuit *const *circuits, const rt_run_options *o,
                 const char *dir, rt_run_result *r, char *err, size_t errlen);

#endif
