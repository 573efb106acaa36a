/* The measurement circuit of shots (docs/semantics.md section 9): a circuit whose outputs are
 * the single Pauli products and `probs` outcomes that a device would measure, plus the plan
 * (runtime/rt_circuit.h) by which the runtime estimates the original outputs from their
 * samples. The gates are the original's; only the observables change. */
#ifndef QNN_SHOTS_H
#define QNN_SHOTS_H

#include <stddef.h>

#include "rt_circuit.h"
#include "ir.h"

/* The measurement circuit of c (owned by the caller, ir_free) and its plan (*plan, one
 * malloc'ed block: free(*plan)). NULL with a message naming the circuit and the output when
 * an output cannot be estimated from shots (a variance of a sum of Pauli products). */
ir_circuit *shots_circuit(const ir_circuit *c, rt_shots_plan **plan, char *err, size_t errlen);

#endif
