/* The commands of qnnc that go past checking: JIT compilation and the runtime (run, eval),
 * and the LLVM dump. main.c parses the command line and calls these. */
#ifndef QNN_COMMANDS_H
#define QNN_COMMANDS_H

#include "arena.h"
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
    int grad_given;          /* --grad was on the command line (shots refuse `adjoint`) */
    int show_time;           /* print compile times */
    int reference;           /* run circuits with the reference interpreter, not the JIT */
    int no_cache;            /* run/eval: compile every circuit, read and write no cache entry */
    const char *result_file; /* run/eval: the final figures of the one selected run, as
                                `name,value` lines (rt_batch_write_result), or NULL */
    const char *compare_to;  /* run: the comparison's reference experiment, or NULL */
    double t_start, t_front; /* --time: when main started (CLOCK_MONOTONIC seconds), and the
                                seconds the front end took */
} command_options;

/* CLOCK_MONOTONIC in seconds (the --time figures). */
double cmd_now(void);

int cmd_run(const sema_result *r, const command_options *o, int eval_only);

/* Where `import` finds the standard library when --stdlib is not given: $QNN_STDLIB, else
 * next to the qnnc binary (build tree or installed). In the arena; NULL if not found. */
const char *cmd_find_stdlib(arena *ar);

/* `qnnc doctor`: what a run on this machine would use (threads, lanes per precision, CPU,
 * LLVM, memory, the data search path, the standard library found, the build cache). 0. */
int cmd_doctor(const char *stdlib_dir, const command_options *o);

/* --experiment NAME (NULL: all) names one of the file's experiments: 0, or -1 after one line
 * "PREFIX: FILE has no experiment `NAME` (did you mean ...?); it has: a, b". */
int cmd_check_experiment(const sema_result *r, const char *file, const char *name, const char *prefix);
int cmd_emit_llvm(const sema_result *r, const command_options *o);

#endif
