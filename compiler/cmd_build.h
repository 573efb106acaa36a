/* qnnc build: an experiment compiled ahead of time into a native executable, an object file,
 * assembly, LLVM IR, C source, a static library with a C header for embedding, or a shared
 * library for Python (runtime/qnn_shared.h).
 * cmd_build.c drives the pipeline (front end -> passes -> aot.c -> C compiler -> linker);
 * cmd_build_gen.c writes the generated C (the experiment as static data, the circuits'
 * declarations and a main that calls rt_main, NAME_create for libraries, or the table and
 * qnn_lib_open of shared libraries). */
#ifndef QNN_CMD_BUILD_H
#define QNN_CMD_BUILD_H

#include <stddef.h>
#include <stdio.h>

#include "rt_circuit.h"
#include "sema.h"

/* `qnnc build FILE.qnn [options]`: argv as main received it (the word `build` included). */
int cmd_build_main(int argc, char **argv);

/* ---- internal to cmd_build*.c ---------------------------------------------------------- */

typedef struct {
    const char *name;        /* the circuit's name in the .qnn file */
    char prefix[128];        /* symbols <prefix>_forward, _vjp, _info in the object file */
    rt_shots_plan *plan;     /* shots: the measurement circuit's plan (malloc'ed), else NULL */
    int kept;                /* the object has <prefix>_forwardK / _vjpK (compiler/cg.c:
                              * adjoint state-vector circuits) */
} build_circuit;

typedef struct {
    const sema_experiment *x;
    int precision;           /* of its compiled circuits: 64 or 32 */
    const char *gradient;    /* their vjp: "adjoint" or "shift" (the report says which) */
    int *circuit;            /* per model circuit k: index into build_unit.circuits */
} build_experiment;

typedef struct {
    const char *source_abs;  /* absolute path of the .qnn file (data lookup from elsewhere) */
    const char *built_with;  /* "qnnc VERSION, TRIPLE, cpu NAME" */
    const char *lib_name;    /* libraries: the C identifier of NAME_create; NULL: executable */
    int shared;              /* --emit shared: qnn_lib_open and the table of qnn_shared.h */
    int n_circuits;
    build_circuit *circuits;
    int n_experiments;
    build_experiment *experiments;
} build_unit;

/* The C source of the unit. 0, or -1 when writing failed. */
int build_write_c(FILE *f, const build_unit *u);

/* NAME.h for a library: a description of the model, qnn_embed.h (read from embed_h, copied
 * verbatim) and NAME_create. 0 or -1 with a message. */
int build_write_header(FILE *f, const build_unit *u, const char *embed_h, char *err, size_t errlen);

#endif
