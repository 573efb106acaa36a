/* qnnc run / eval / emit-llvm: circuit IR -> passes -> LLVM (JIT) -> runtime. */
#define _XOPEN_SOURCE 700
#include "commands.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cg.h"
#include "jit.h"
#include "passes.h"
#include "qnn_runtime.h"
#include "refback.h"

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int selected(const command_options *o, const sema_experiment *x) {
    return !o->experiment || strcmp(o->experiment, x->exp.name) == 0;
}

static int compile_one(jit_session *jit, const sema_experiment *x, const command_options *o,
                       const jit_options *jo, const ir_circuit *src, rt_circuit *out);

/* Compiles every distinct circuit of one experiment into the session. */
static int compile_circuits(jit_session *jit, const sema_experiment *x, const command_options *o,
                            int precision, rt_circuit *out) {
    jit_options jo = jit_default_options();
    jo.precision = precision;
    jo.grad = o->grad_shift ? CG_GRAD_SHIFT : CG_GRAD_ADJOINT;
    char **texts = calloc((size_t)x->model.n_circuits + 1, sizeof *texts);
    int rc = 0;
    for (int k = 0; k < x->model.n_circuits && texts && !rc; k++) {
        texts[k] = ir_to_text(x->model.circuits[k]);
        int same = -1;
        for (int j = 0; j < k && same < 0 && texts[k]; j++)
            if (texts[j] && strcmp(texts[j], texts[k]) == 0) same = j;
        if (same >= 0) {
            out[k] = out[same];
            continue;
        }
        if (o->reference) {
            char err[256];
            if ((rc = refback_bind(x->model.circuits[k], &out[k], err, sizeof err)))
                fprintf(stderr, "qnnc: %s\n", err);
            continue;
        }
        rc = compile_one(jit, x, o, &jo, x->model.circuits[k], &out[k]);
    }
    for (int k = 0; texts && k < x->model.n_circuits; k++) free(texts[k]);
    free(texts);
    return rc;
}

static int compile_one(jit_session *jit, const sema_experiment *x, const command_options *o,
                       const jit_options *jo, const ir_circuit *src, rt_circuit *out) {
    {
        char err[1024];
        double t0 = now();
        ir_circuit *c = o->no_fuse ? ir_clone(src) : pass_fuse(src);
        double t1 = now();
        int rc = jit_compile(jit, c, jo, out, err, sizeof err);
        ir_free(c);
        if (rc) {
            fprintf(stderr, "qnnc: %s\n", err);
            return -1;
        }
        if (o->show_time)
            fprintf(stderr, "%s: circuit %s: passes %.1f ms, LLVM codegen + JIT %.1f ms (f%d, %d lanes)\n",
                    x->exp.name, out->name, 1e3 * (t1 - t0), 1e3 * (now() - t1), jo->precision, out->lanes);
    }
    return 0;
}

int cmd_run(const sema_result *r, const command_options *o, int eval_only) {
    char err[1024];
    jit_session *jit = jit_create(err, sizeof err);
    if (!jit) {
        fprintf(stderr, "qnnc: %s\n", err);
        return 1;
    }
    int n_sel = 0, failed = 0;
    for (int i = 0; i < r->n_experiments; i++) n_sel += selected(o, &r->experiments[i]);
    if (!n_sel) fprintf(stderr, "qnnc: %s\n", o->experiment ? "no experiment of that name" : "the file has no experiment to run");
    rt_run_options ro = {0};
    ro.resume = o->resume;
    ro.threads = o->threads;
    ro.quiet = o->quiet;
    ro.eval_only = eval_only;
    ro.checkpoint = o->checkpoint;
    ro.grid = o->grid;
    ro.target = o->target;
    rt_batch *batch = rt_batch_create(n_sel, o->out_dir, &ro);
    for (int i = 0; i < r->n_experiments && batch; i++) {
        const sema_experiment *x = &r->experiments[i];
        if (!selected(o, x)) continue;
        int precision = o->precision ? o->precision : x->exp.precision;
        rt_circuit *circuits = calloc((size_t)x->model.n_circuits + 1, sizeof *circuits);
        const rt_circuit **ptrs = calloc((size_t)x->model.n_circuits + 1, sizeof *ptrs);
        if (!circuits || !ptrs || compile_circuits(jit, x, o, precision, circuits)) {
            free(circuits);
            free(ptrs);
            failed = 1;
            break;
        }
        for (int k = 0; k < x->model.n_circuits; k++) ptrs[k] = &circuits[k];
        rt_batch_run(batch, &x->exp, ptrs);
        free(circuits);
        free(ptrs);
        refback_reset();
    }
    if (!batch || rt_batch_finish(batch)) failed = 1;
    jit_destroy(jit);
    return failed || !n_sel ? 1 : 0;
}

int cmd_emit_llvm(const sema_result *r, const command_options *o) {
    cg_options co = {0};
    co.precision = o->precision ? o->precision : 64;
    co.opt_level = 3;
    co.grad = o->grad_shift ? CG_GRAD_SHIFT : CG_GRAD_ADJOINT;
    for (int i = 0; i < r->n_experiments; i++) {
        const sema_experiment *x = &r->experiments[i];
        if (!selected(o, x)) continue;
        for (int k = 0; k < x->model.n_circuits; k++) {
            char err[1024];
            ir_circuit *c = o->no_fuse ? ir_clone(x->model.circuits[k]) : pass_fuse(x->model.circuits[k]);
            char *text = cg_emit_llvm_text(c, &co, NULL, c->name, err, sizeof err);
            ir_free(c);
            if (!text) {
                fprintf(stderr, "qnnc: %s\n", err);
                return 1;
            }
            fputs(text, stdout);
            free(text);
        }
    }
    return 0;
}
