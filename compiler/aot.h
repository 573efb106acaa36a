/* Ahead-of-time compilation: the end of the compiler pipeline for native builds (qnnc build).
 * The circuits of an experiment go through cg_build (cg.h) into one LLVM context, are linked
 * into one module and written as a relocatable object, assembly or LLVM IR for a target
 * triple/CPU/features. No llvm-c types here: only cg*.c, jit.c and aot.c include llvm-c. */
#ifndef QNN_AOT_H
#define QNN_AOT_H

#include <stddef.h>

#include "cg.h"
#include "ir.h"

/* A resolved target. Strings are malloc'ed and owned by the struct (aot_target_free). */
typedef struct aot_target {
    char *triple, *cpu, *features;
    int host;        /* the triple, CPU and features are the machine qnnc runs on */
    int host_triple; /* the triple is the host's (the CPU may differ): the system C
                        compiler can link for it */
    int vector_bits; /* SIMD width the circuits are vectorised for: 128, 256 or 512 */
} aot_target;

/* Fills in what was not given: the host's triple; the host's CPU and features when neither
 * a CPU nor features were given for the host's triple, else "generic" and "" (LLVM derives
 * the features from the CPU name). The vector width comes from the features, or from the
 * CPU name for the x86-64 levels and common CPUs, else 128 bits. An unknown triple is an
 * error that lists the targets this LLVM was built with; a CPU or feature that the target
 * does not have (LLVM's own tables) is an error with a suggestion; "native" is the host's
 * CPU. cpu or features "help" print the target's table on stdout and return 1.
 * 0, 1, or -1 with a message. */
int aot_target_resolve(const char *triple, const char *cpu, const char *features,
                       aot_target *out, char *err, size_t errlen);
void aot_target_free(aot_target *t);

/* Samples per SIMD group for this target and precision (what cg_options.lanes gets). */
int aot_lanes(const aot_target *t, int precision);

typedef enum { AOT_OBJECT, AOT_ASSEMBLY, AOT_LLVM_IR } aot_kind;

/* Seconds spent in each part of aot_emit (for `qnnc build --time`). */
typedef struct {
    double build;    /* LLVM IR generation, verification and the optimisation pipeline */
    double codegen;  /* instruction selection to the object or assembly file */
} aot_times;

/* Compiles circuits[0..n) (not retained) with symbol prefixes prefixes[i] and options
 * opts[i] into one file at path (n = 0 gives an empty object). A zero opts[i].lanes becomes
 * aot_lanes(t, precision). infos[i] (may be NULL) receives each circuit's cg_info. 0, or -1
 * with a message; on failure nothing is left at path. times may be NULL. */
int aot_emit(const ir_circuit *const *circuits, const char *const *prefixes, int n,
             const cg_options *opts, const aot_target *t, aot_kind kind, const char *path,
             cg_info *infos, aot_times *times, char *err, size_t errlen);

#endif
