/* Semantic analysis: loads a file and its imports, resolves names, and elaborates every
 * circuit, model and experiment of the file with concrete values, checking types, shapes,
 * widths and limits. The result is what later phases consume: circuit IR per quantum layer
 * and, per experiment, the runtime's plain-data description (rt_spec.h). */
#ifndef QNN_SEMA_H
#define QNN_SEMA_H

#include "arena.h"
#include "ir.h"
#include "rt_spec.h"

typedef struct {
    int max_qubits;          /* default 24 */
    const char *stdlib_dir;  /* where `import` looks after the importing file's folder */
    int n_sets;              /* --set key=value overrides, applied to every experiment */
    const char **sets;
    /* `qnnc grad --circuit NAME`: also elaborate circuit NAME (of the file or its imports)
     * with the arguments circuit_args[0 .. n_circuit_args), each "formal=value" (the value an
     * expression, located in the option as --set values are), into sema_result.circuit. */
    const char *circuit;
    int n_circuit_args;
    const char **circuit_args;
} sema_options;

/* A model elaborated with concrete arguments: layers in order and their circuits. */
typedef struct {
    const char *name;
    int n_layers;
    rt_layer_spec *layers;
    int n_circuits;
    ir_circuit **circuits;   /* owned by the sema_result */
    int in_dim, out_dim;
    long long n_params;
} sema_model;

typedef struct {
    rt_experiment exp;       /* layers/circuits point into `model` */
    sema_model model;
} sema_experiment;

typedef struct {
    const char *path;
    int n_experiments;
    sema_experiment *experiments;
    /* Circuits and models of the file whose parameters all have defaults, elaborated with
     * them (what `qnnc info` shows when there is no experiment). */
    int n_circuits;
    ir_circuit **circuits;
    int n_models;
    sema_model *models;
    /* Every circuit lowered, owned by the result (released by sema_free). */
    int n_all_circuits;
    ir_circuit **all_circuits;
    /* sema_options.circuit elaborated with its arguments (owned like the others); NULL when
     * that option is NULL or no circuit has the name, with circuit_hint then the closest
     * circuit name (NULL if none is close) for "did you mean". */
    ir_circuit *circuit;
    const char *circuit_hint;
} sema_result;

/* Checks `path`. Returns NULL after reporting errors through diag. Everything lives in `ar`
 * except the IR circuits, released by sema_free. */
sema_result *sema_check_file(arena *ar, const char *path, const sema_options *opt);
void sema_free(sema_result *r);

/* Parameters of one layer (what PyTorch would count: batch-norm buffers excluded). */
long long sema_layer_params(const rt_layer_spec *l);

#endif
