/* Builds a runtime model from the compiler's layer specs (rt_spec.h). Internal. */
#ifndef QNN_RUN_MODEL_H
#define QNN_RUN_MODEL_H

#include "rt_circuit.h"
#include "rt_model.h"
#include "rt_pool.h"
#include "rt_rng.h"
#include "rt_spec.h"

/* Layers are initialised in order from rng (the experiment's seed), so the same seed gives the
 * same initial weights. Quantum layers borrow circuits[spec.circuit] and the pool. NULL with
 * a message in err on failure. */
rt_model *run_build_model(const rt_experiment *x, const rt_circuit *const *circuits, rt_pool *pool,
                          rt_rng *rng, char *err, size_t errlen);

#endif
