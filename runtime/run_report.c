/* Report folder: a summary of the run (summary.md). */
#include "run_report.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "io_file.h"

static const char *layer_names[] = {"linear", "batchnorm", "relu", "tanh", "sigmoid",
                                    "sine", "scale", "rff", "quantum"};

int run_write_report(const char *dir, const run_report_input *in, char *err, size_t errlen) {
    if (io_mkdir_p(dir, err, errlen)) return -1;
    const rt_experiment *x = in->x;
    const rt_run_result *r = in->result;
    char text[16384], path[2048];
    size_t k = 0;
#define OUT(...) k += (size_t)snprintf(text + k, k < sizeof text ? sizeof text - k : 0, __VA_ARGS__)
    OUT("# %s\n\nsource: `%s`, data: `%s`\n\n", x->name, x->source, in->train->path);
    OUT("| | |\n|---|---|\n| parameters | %lld |\n| epochs | %d |\n| final training loss | %.6e |\n",
        r->n_params, r->epochs_run, r->final_loss);
    if (!isnan(r->mse)) OUT("| evaluation MSE | %.6e |\n| evaluation PSNR | %.3f dB |\n", r->mse, r->psnr);
    if (r->has_baselines)
        OUT("| bilinear upsampling MSE | %.6e |\n| nearest-neighbour MSE | %.6e |\n", r->mse_bilinear,
            r->mse_nearest);
    OUT("| time | %.3f s (%.3f ms per epoch) |\n\n## Model\n\n", r->seconds, 1e3 * r->seconds_per_epoch);
    for (int i = 0; i < x->n_layers && k < sizeof text - 200; i++)
        OUT("%d. %s %d -> %d\n", i, layer_names[x->layers[i].kind], x->layers[i].in, x->layers[i].out);
#undef OUT
    if (k >= sizeof text) k = sizeof text - 1;
    snprintf(path, sizeof path, "%s/summary.md", dir);
    return io_write_file_atomic(path, text, k, err, errlen);
}

int rt_write_comparison(const char *dir, const rt_experiment *const *xs, const rt_run_result *results,
                        int n) {
    char err[1024], text[32768], path[2048];
    if (io_mkdir_p(dir, err, sizeof err)) {
        fprintf(stderr, "qnn: %s\n", err);
        return -1;
    }
    size_t k = 0;
    k += (size_t)snprintf(text + k, sizeof text - k,
                          "# Comparison\n\n| experiment | parameters | final loss | MSE | PSNR (dB) | ms/epoch |\n"
                          "|---|---:|---:|---:|---:|---:|\n");
    for (int i = 0; i < n && k < sizeof text - 256; i++)
        k += (size_t)snprintf(text + k, sizeof text - k, "| %s | %lld | %.4e | %.4e | %.2f | %.2f |\n",
                              xs[i]->name, results[i].n_params, results[i].final_loss, results[i].mse,
                              results[i].psnr, 1e3 * results[i].seconds_per_epoch);
    snprintf(path, sizeof path, "%s/summary.md", dir);
    if (io_write_file_atomic(path, text, k, err, sizeof err)) {
        fprintf(stderr, "qnn: %s\n", err);
        return -1;
    }
    return 0;
}
