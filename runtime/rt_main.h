/* What the code that `qnnc build` generates calls: the circuits compiled ahead of time, as
 * the object file describes them (<prefix>_info), and the entry point of native binaries.
 * A generated main is a table of static data (rt_spec.h) plus one call to rt_main. */
#ifndef QNN_RT_MAIN_H
#define QNN_RT_MAIN_H

#include <stddef.h>
#include <stdint.h>

#include "qnn_runtime.h"

/* One circuit of an object file written by qnnc (compiler/aot.c, docs/codegen.md). */
typedef struct rt_compiled_circuit {
    const char *name;         /* the circuit's name in the .qnn file */
    const int64_t *info;      /* <prefix>_info: {1 (format), qubits, inputs, outputs, params,
                                 precision, lanes, work bytes} */
    rt_forward_fn forward;    /* <prefix>_forward */
    rt_vjp_fn vjp;            /* <prefix>_vjp */
    const rt_shots_plan *shots; /* a measurement circuit's plan (shots = N), else NULL */
    rt_forward_keep_fn forward_keep; /* <prefix>_forwardK, <prefix>_vjpK: the kept-state pair */
    rt_vjp_kept_fn vjp_kept;         /* (rt_circuit.h), or NULL for circuits without it */
} rt_compiled_circuit;

/* A compiled experiment: its settings and layers, and circuits[k] for the layers whose spec
 * has circuit == k (x->n_circuits entries). Also the model handle of qnn_embed.h. */
struct qnn_model_desc {
    const rt_experiment *x;
    const rt_compiled_circuit *circuits;
};
typedef struct qnn_model_desc rt_compiled_experiment;

typedef struct rt_main_info {
    const char *source_path;  /* absolute path of the .qnn file at build time: data files not
                                 found the usual way are looked for next to it */
    const char *built_with;   /* "qnnc VERSION, TRIPLE, cpu NAME", for --help and --version */
} rt_main_info;

/* Fills *out from a compiled circuit's info record, checking its format. 0 or -1. */
int rt_circuit_bind(const rt_compiled_circuit *cc, rt_circuit *out, char *err, size_t errlen);

/* The main of a native binary: parses the options of `qnnc run` that apply to a built
 * experiment (--set KEY=VALUE for the settings rt_settings.h allows, --out DIR, --resume
 * FILE, --checkpoint FILE and --grid N to evaluate only, --threads N, --experiment NAME,
 * --quiet, --help, --version), then trains and evaluates each experiment as `qnnc run`
 * does, with the same outputs. Returns the process exit status: 0, 1 (a run failed), 2
 * (bad usage) or 3 (out of memory). xs[0..n) are borrowed. */
int rt_main(int argc, char **argv, int n, const rt_compiled_experiment *xs, const rt_main_info *info);

#endif
