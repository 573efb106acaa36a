/* OpenQASM 3 export (qnnc emit-qasm): each circuit's unfused IR as an OpenQASM 3 program over
 * stdgates.inc, data inputs and trainable parameters as `input float[64]` variables, the
 * outputs as `// expval:` / `// var:` / `// probs:` comments followed by `measure`. */
#ifndef QNN_QASM_H
#define QNN_QASM_H

#include <stdio.h>

#include "ir.h"
#include "sema.h"

/* Writes c as one OpenQASM 3 program to f: its parameters as `input float[64]` variables, or
 * with params (c->n_params values) as literals in the angles, a comment naming bound_from.
 * 0, or -1 after one line on stderr (`qnnc: ...`) naming what OpenQASM 3 cannot express
 * (tanh, atan2: no such functions in the language). */
int qasm_write(const ir_circuit *c, const double *params, const char *bound_from, FILE *f);

/* qnnc emit-qasm FILE [--experiment NAME] [--checkpoint M]: every quantum layer's circuit
 * (once per distinct circuit) or, without experiments, every circuit with default
 * arguments, to stdout; with a checkpoint, every quantum layer of the one experiment it
 * belongs to (layers of one circuit have their own weights), bound to its trained weights.
 * Exit status 0 or 1. */
int qasm_command(const sema_result *r, const char *experiment, const char *checkpoint);

/* OpenQASM 3 import: reads the subset that qasm_write writes (qasm_import.c names it) from
 * path and returns the text of a .qnn definition of circuit `circuit_name` (malloc'ed) in
 * *qnn_text: 0; or -1 after `file:line:col: error:` through diag.c (or one `qnnc:` line for a
 * file that cannot be read). */
int qasm_import(const char *path, const char *circuit_name, char **qnn_text);

/* The circuit name of an imported file: its base name without `.qasm`, other characters
 * than letters, digits and `_` as `_` (`c_` in front of a leading digit); cap >= 2. */
void qasm_circuit_name(const char *path, char *name, size_t cap);

/* qnnc from-qasm FILE.qasm [-o OUT.qnn]: argv as main received it; the circuit is named
 * after the file. Exit status 0, 1 (errors) or 2 (usage). */
int qasm_from_main(int argc, char **argv);

#endif
