/* A batch of experiments: the output folders, the results table and the comparison report
 * shared by `qnnc run` and the generated main of native binaries. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qnn_runtime.h"

struct rt_batch {
    int n_expected, n_done, failed;
    char out_dir[1024];
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
    if (!b->done || !b->results) {
        free(b->done);
        free(b->results);
        free(b);
        return NULL;
    }
    if (common) b->common = *common;
    b->has_out_dir = out_dir != NULL;
    snprintf(b->out_dir, sizeof b->out_dir, "%s", out_dir ? out_dir : "out");
    return b;
}

int rt_batch_run(rt_batch *b, const rt_experiment *x, const rt_circuit *const *circuits) {
    char dir[1200];
    if (b->n_done >= b->n_expected) return -1;
    if (b->n_expected > 1) snprintf(dir, sizeof dir, "%s/%s", b->out_dir, x->name);
    else if (b->has_out_dir) snprintf(dir, sizeof dir, "%s", b->out_dir);
    else snprintf(dir, sizeof dir, "out/%s", x->name);
    rt_run_options ro = b->common;
    ro.out_dir = dir;
    if (rt_run_experiment(x, circuits, &ro, &b->results[b->n_done])) {
        b->failed = 1;
        return -1;
    }
    b->done[b->n_done++] = x;
    return 0;
}

int rt_batch_finish(rt_batch *b) {
    if (!b) return -1;
    int failed = b->failed;
    if (b->n_done > 1) {
        printf("\n%-28s %10s %12s %10s %12s\n", "experiment", "params", "mse", "psnr", "ms/epoch");
        for (int i = 0; i < b->n_done; i++)
            printf("%-28s %10lld %12.4e %10.2f %12.2f\n", b->done[i]->name, b->results[i].n_params,
                   b->results[i].mse, b->results[i].psnr, 1e3 * b->results[i].seconds_per_epoch);
        char dir[1200];
        snprintf(dir, sizeof dir, "%s/comparison", b->out_dir);
        if (rt_write_comparison(dir, b->done, b->results, b->n_done)) failed = 1;
        else printf("comparison report: %s\n", dir);
    }
    for (int i = 0; i < b->n_done; i++) rt_run_result_free(&b->results[i]);
    free(b->done);
    free(b->results);
    free(b);
    return failed ? -1 : 0;
}
