/* Lowering: a circuit definition plus argument values -> circuit IR. Loops and `repeat`
 * blocks are unrolled, gate templates inlined, indices and shapes checked against the
 * known sizes; every error points at the source. */
#ifndef QNN_LOWER_H
#define QNN_LOWER_H

#include "elab.h"
#include "ir.h"

/* Lowers `circuit` (an AST_CIRCUIT) called with `args` (evaluated in `caller`; NULL for
 * the defaults). `globals` holds the gate templates. Returns NULL after reporting errors. */
ir_circuit *lower_circuit(elab_ctx *cx, env *globals, ast_node *circuit, const ast_list *args,
                          src_loc call_loc, env *caller);

/* Bytes of state vector per sample for n qubits (complex double), for limit messages. */
double lower_state_bytes(int n_qubits);

#endif
