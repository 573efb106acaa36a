/* OpenQASM 3 export (qnnc emit-qasm): each circuit's unfused IR as an OpenQASM 3 program over
 * stdgates.inc, data inputs and trainable parameters as `input float[64]` variables, the
 * outputs as `// expval:` / `// var:` / `// probs:` comments followed by `measure`. */
#ifndef QNN_QASM_H
#define QNN_QASM_H

#include <stdio.h>

#include "ir.h"
#include "sema.h"

/* Writes c as one OpenQASM 3 program to f. 0, or -1 after one line on stderr (`qnnc: ...`)
 * naming what OpenQASM 3 cannot express (tanh, atan2: no such functions in the language). */
int qasm_write(const ir_circuit *c, FILE *f);

/* qnnc emit-qasm FILE [--experiment NAME]: every quantum layer's circuit (once per distinct
 * circuit) or, without experiments, every circuit with default arguments, to stdout. */
int qasm_command(const sema_result *r, const char *experiment);

#endif
