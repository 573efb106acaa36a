/* The commands of qnnc that go past checking: JIT compilation and the runtime (run, eval),
 * and the LLVM dump. main.c parses the command line and calls these. */
#ifndef QNN_COMMANDS_H
#define QNN_COMMANDS_H

#include "sema.h"

typedef struct {
    const char *experiment;  /* only this one, or NULL for all */
    const char *out_dir;     /* run/eval: output folder (per experiment below it if several) */
    const char *resume;      /* run: checkpoint to continue from */
    const char *checkpoint;  /* eval: weights */
    const char *target;      /* eval: ground truth at the evaluation grid */
    int grid;                /* eval: grid override */
    int threads;
    int quiet;
    int no_fuse;
    int precision;           /* 0 = the experiment's */
    int grad_shift;          /* vjp by parameter shift instead of the adjoint method */
    int show_time;           /* print compile times */
    int reference;           /* run circuits with the reference interpreter, not the JIT */
} command_options;

int cmd_run(const sema_result *r, const command_options *o, int eval_only);
int cmd_emit_llvm(const sema_result *r, const command_options *o);

#endif
