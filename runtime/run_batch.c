/* A batch of experiments: the output folders, the output policy checked before each run, the
 * results table and the comparison report, shared by `qnnc run` and the generated main of
 * native binaries; rt_batch_finish gives the process its exit status. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io_file.h"
#include "qnn_runtime.h"
#include "rt_dist.h"
#include "rt_error.h"
#include "run_output.h"

struct rt_batch {
    int n_expected, n_done, failed, out_of_memory;
    char *out_dir;
    int has_out_dir;
    rt_run_options common;
    const rt_experiment **done;
    rt_run_result *results;
};

rt_batch *rt_batch_create(int n_experiments, const char *out_dir, const rt_run_options *common) {
    rt_batch *b = calloc(1, sizeof *b);
    if (!b) return NULL;
    b->n_expected = n_experiments;
    b->done = calloc((size_t)n_experiments + 1, sizeof *b->done);
    b->results = calloc((size_t)n_experiments + 1, sizeof *b->results);
    b->out_dir = io_path_join("", out_dir ? out_dir : "out");
    if (!b->done || !b->results || !b->out_dir) {
        free(b->done);
        free(b->results);
        free(b->out_dir);
        free(b);
        return NULL;
    }
    if (common) b->common = *common;
    b->has_out_dir = out_dir != NULL;
    return b;
}

/* The folder of one run: OUT/NAME with several experiments, else OUT (default out/NAME). */
static char *run_dir(const rt_batch *b, const rt_experiment *x) {
    if (b->n_expected > 1 || !b->has_out_dir)
        return io_path_join(b->n_expected > 1 ? b->out_dir : "out", x->name);
    return io_path_join("", b->out_dir);
}

int rt_batch_run(rt_batch *b, const rt_experiment *x, const rt_circuit *const *circuits) {
    if (b->n_done >= b->n_expected) return -1;
    unsigned oom_before = rt_error_oom_count();
    char err[2048] = "";
    char *dir = run_dir(b, x);
    int rc = -1;
    if (!dir) {
        io_errf(err, sizeof err, "out of memory");
    } else if (b->n_expected > 1 && strcmp(x->name, "comparison") == 0) {
        io_errf(err, sizeof err, "%s: this folder receives the comparison of the runs; rename "
                "the experiment `comparison`", dir);
    } else {
        rt_run_options ro = b->common;
        ro.out_dir = dir;
        ro.keep_signals = b->n_expected > 1;
        int clash = 0;
        for (int i = 0; i < b->n_done && !clash; i++)
            clash = run_outputs_clash(x, b->done[i], err, sizeof err) != 0;
        /* Before any work: a run refused here costs nothing, one refused after training
         * costs the training. */
        if (!clash && run_outputs_check(x, &ro, dir, err, sizeof err) == 0) {
            err[0] = 0; /* rt_run_experiment reports its own failures */
            rc = rt_run_experiment(x, circuits, &ro, &b->results[b->n_done]);
        }
    }
    if (err[0]) fprintf(stderr, "qnn: %s: %s\n", x->name, err);
    free(dir);
    if (rc) {
        rt_run_result_free(&b->results[b->n_done]); /* what a failed run kept */
        b->failed = 1;
        if (rt_error_oom_count() != oom_before) b->out_of_memory = 1;
        return -1;
    }
    b->done[b->n_done++] = x;
    return 0;
}

int rt_batch_write_result(const rt_batch *b, const char *path, char *err, size_t errlen) {
    if (!rt_dist_writer()) return 0; /* MPI: rank 0 writes */
    if (!b || b->n_done != 1) {
        io_errf(err, errlen, "%s: the result file holds one run, and %d finished", path,
                b ? b->n_done : 0);
        return -1;
    }
    const rt_run_result *r = &b->results[0];
    const struct { const char *name; double v; } fig[] = {
        {"final_loss", r->final_loss}, {"mse", r->mse}, {"psnr", r->psnr},
        {"eval_loss", r->eval_loss}, {"accuracy", r->accuracy},
        {"train_loss", r->held_out ? r->train_loss : NAN},
        {"train_mse", r->held_out ? r->train_mse : NAN},
        {"train_psnr", r->held_out ? r->train_psnr : NAN},
        {"train_accuracy", r->held_out ? r->train_accuracy : NAN},
        {"mse_bilinear", r->has_baselines ? r->mse_bilinear : NAN},
        {"mse_nearest", r->has_baselines ? r->mse_nearest : NAN},
        {"mse_bicubic", r->has_baselines ? r->mse_bicubic : NAN},
        {"n_eval", (double)r->n_eval}, {"n_train", (double)r->n_train},
        {"epochs_run", r->epochs_run}, {"n_params", (double)r->n_params},
        {"seconds", r->seconds}, {"seconds_per_epoch", r->seconds_per_epoch},
    };
    io_atomic a;
    if (io_atomic_open(&a, path, err, errlen)) return -1;
    fprintf(a.fp, "experiment,%s\n", b->done[0]->name);
    for (size_t i = 0; i < sizeof fig / sizeof *fig; i++)
        /* unknown figures are NaN, unknown counts negative */
        if (isfinite(fig[i].v) && fig[i].v >= (strncmp(fig[i].name, "n_", 2) ? -HUGE_VAL : 0))
            fprintf(a.fp, "%s,%.17g\n", fig[i].name, fig[i].v);
    return io_atomic_commit(&a, err, errlen);
}

int rt_batch_finish(rt_batch *b) {
    if (!b) return RT_EXIT_FAILED;
    int failed = b->failed;
    if (b->n_done > 1 && rt_dist_writer()) {
        /* metrics an experiment does not ask for are NaN: shown as "-" */
        printf("\n%-28s %10s %12s %10s %10s %12s\n", "experiment", "params", "mse", "psnr", "accuracy",
               "ms/epoch");
        for (int i = 0; i < b->n_done; i++) {
            const rt_run_result *r = &b->results[i];
            char mse[32] = "-", psnr[32] = "-", acc[32] = "-";
            if (!isnan(r->mse)) snprintf(mse, sizeof mse, "%.4e", r->mse);
            if (!isnan(r->psnr)) snprintf(psnr, sizeof psnr, "%.2f", r->psnr);
            if (!isnan(r->accuracy)) snprintf(acc, sizeof acc, "%.2f%%", 100 * r->accuracy);
            printf("%-28s %10lld %12s %10s %10s %12.2f\n", b->done[i]->name, r->n_params, mse, psnr,
                   acc, 1e3 * r->seconds_per_epoch);
        }
        char *dir = io_path_join(b->out_dir, "comparison");
        unsigned oom_before = rt_error_oom_count();
        if (!dir || rt_write_comparison(dir, b->done, b->results, b->n_done, b->common.compare_to)) {
            failed = 1;
            if (!dir || rt_error_oom_count() != oom_before) b->out_of_memory = 1;
        } else {
            printf("comparison report: %s\n", dir);
        }
        free(dir);
    }
    int status = b->out_of_memory ? RT_EXIT_OUT_OF_MEMORY : failed ? RT_EXIT_FAILED : 0;
    for (int i = 0; i < b->n_done; i++) rt_run_result_free(&b->results[i]);
    free(b->done);
    free(b->results);
    free(b->out_dir);
    free(b);
    return status;
}
