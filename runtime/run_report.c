/* The report folder of a run and the comparison of several runs, drawn by the report module
 * (cairo plots, FFTW spectra): loss curve, truth | reconstruction | error for images,
 * waveform for sound, spectra with the low/high-frequency relative error split. */
#include "run_report.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "io_file.h"
#include "report.h"
#include "rt_error.h"

static const char *layer_names[] = {"linear", "batchnorm", "relu", "tanh", "sigmoid",
                                    "sine", "scale", "rff", "quantum"};

static void describe_model(const rt_experiment *x, char *buf, size_t n) {
    size_t k = 0;
    buf[0] = '\0';
    for (int i = 0; i < x->n_layers && k + 48 < n; i++)
        k += (size_t)snprintf(buf + k, n - k, "%s%s(%d->%d)", i ? " > " : "",
                              layer_names[x->layers[i].kind], x->layers[i].in, x->layers[i].out);
}

static void describe_settings(const rt_experiment *x, char *buf, size_t n) {
    char opt[160], batch[32];
    if (x->optimizer == RT_OPT_SGD)
        snprintf(opt, sizeof opt, "sgd, lr %g, momentum %g", x->lr, x->momentum);
    else
        snprintf(opt, sizeof opt, "adam, lr %g, betas %g/%g, eps %g", x->lr, x->beta1, x->beta2, x->eps);
    if (x->batch) snprintf(batch, sizeof batch, "%d", x->batch);
    else snprintf(batch, sizeof batch, "full");
    snprintf(buf, n,
             "loss: %s\noptimizer: %s\nschedule: %s\nepochs: %d\nbatch: %s\nseed: %llu\n"
             "batch norm at evaluation: %s statistics\nsimulation precision: f%d",
             x->loss == RT_LOSS_L1 ? "l1" : "mse", opt,
             x->schedule == RT_SCHED_COSINE ? "cosine" : x->schedule == RT_SCHED_LINEAR ? "linear" : "constant",
             x->epochs, batch, (unsigned long long)x->seed,
             x->bn_eval_running ? "running" : "the batch's", x->precision);
}

/* The target's channel c as a contiguous plane (spectra take one channel). */
static double *channel(const double *v, size_t n, int channels, int c) {
    double *p = malloc(sizeof(double) * n);
    if (p)
        for (size_t i = 0; i < n; i++) p[i] = v[i * (size_t)channels + c];
    return p;
}

/* "dir/name" for one figure; NULL (with the message) when memory runs out. */
static char *figure_path(const char *dir, const char *name, char *err, size_t errlen) {
    char *p = io_path_join(dir, name);
    if (!p) io_errf(err, errlen, "%s/%s: out of memory", dir, name);
    return p;
}

/* The figures of one run into dir, listed in s; 0 or -1. */
static int draw_figures(const char *dir, const run_report_input *in, report_summary *s,
                        char *err, size_t errlen) {
    const rt_experiment *x = in->x;
    const rt_run_result *r = in->result;
    const run_data *g = in->grid;
    char *path = NULL;
    int rc = -1;
    if (r->epochs_run > 0) {
        if (!(path = figure_path(dir, "loss.png", err, errlen)) ||
            report_loss_curve(path, in->loss + (x->epochs - r->epochs_run), r->epochs_run,
                              in->psnr + (x->epochs - r->epochs_run), x->name, err, errlen))
            goto done;
        report_summary_add_figure(s, "loss.png", "training loss (and PSNR) per epoch");
        free(path);
        path = NULL;
    }
    int n0 = x->data.kind == RT_DATA_IMAGE ? g->height : (int)g->n;
    int n1 = x->data.kind == RT_DATA_IMAGE ? g->width : 1;
    if (in->target && x->data.kind != RT_DATA_CSV) {
        if (x->data.kind == RT_DATA_IMAGE) {
            if (!(path = figure_path(dir, "reconstruction.png", err, errlen)) ||
                report_image_triptych(path, in->target, in->pred, g->height, g->width, x->out_dim,
                                      x->data.lo, x->data.hi, x->name, err, errlen))
                goto done;
            report_summary_add_figure(s, "reconstruction.png", "ground truth | reconstruction | error");
        } else {
            if (!(path = figure_path(dir, "waveform.png", err, errlen)) ||
                report_waveform(path, g->coords, in->target, in->pred, (int)g->n, x->name, err, errlen))
                goto done;
            report_summary_add_figure(s, "waveform.png", "target and output, residual below");
        }
        free(path);
        path = NULL;
        double *t = channel(in->target, g->n, x->out_dim, 0), *p = channel(in->pred, g->n, x->out_dim, 0);
        int bad = !t || !p || !(path = figure_path(dir, "spectrum.png", err, errlen));
        if (!t || !p) io_errf(err, errlen, "%s: out of memory", dir);
        if (!bad) {
            report_spectral_error(t, p, n0, n1, REPORT_SPECTRAL_CUTOFF, &s->low_rel_err, &s->high_rel_err);
            bad = report_spectrum(path, t, p, n0, n1, REPORT_SPECTRAL_CUTOFF, x->name, err, errlen);
        }
        free(t);
        free(p);
        if (bad) goto done;
        report_summary_add_figure(s, "spectrum.png", "magnitude spectra of target and output");
    }
    rc = 0;
done:
    free(path);
    return rc;
}

int run_write_report(const char *dir, const run_report_input *in, char *err, size_t errlen) {
    if (io_mkdir_p(dir, err, errlen)) return -1;
    const rt_experiment *x = in->x;
    const rt_run_result *r = in->result;
    const run_data *g = in->grid;
    char model[2048], settings[1400];
    describe_model(x, model, sizeof model);
    describe_settings(x, settings, sizeof settings);
    if (r->has_baselines) {
        size_t k = strlen(settings);
        snprintf(settings + k, sizeof settings - k,
                 "\nsuperresolution: %d x %d grid; upsampling the training image gives MSE %.4e "
                 "(bilinear) and %.4e (nearest neighbour) against the same target",
                 g->height, g->width, r->mse_bilinear, r->mse_nearest);
    }
    /* The data line holds a path of any length: sized to fit. */
    size_t dn = strlen(in->train->path) + 96;
    char *data = malloc(dn);
    if (!data) {
        io_errf(err, errlen, "%s: out of memory", dir);
        return -1;
    }
    if (x->data.kind == RT_DATA_IMAGE)
        snprintf(data, dn, "image %s, %d x %d", in->train->path, g->height, g->width);
    else
        snprintf(data, dn, "%s %s, %zu points", x->data.kind == RT_DATA_SOUND ? "sound" : "csv",
                 in->train->path, g->n);
    report_summary s;
    report_summary_init(&s);
    s.name = x->name;
    s.model = model;
    s.data = data;
    s.n_params = (long)r->n_params;
    s.epochs = r->epochs_run > 0 ? r->epochs_run : -1; /* eval only: not trained here */
    s.seed = (long)x->seed;
    s.final_loss = r->final_loss;
    s.mse = r->mse;
    s.psnr = r->psnr;
    s.seconds_per_epoch = r->seconds_per_epoch;
    s.seconds_total = r->seconds;
    s.settings = settings;
    s.cutoff_fraction = REPORT_SPECTRAL_CUTOFF;
    int rc = draw_figures(dir, in, &s, err, errlen) ? -1 : report_write_index(dir, &s, err, errlen);
    free(data);
    return rc;
}

/* The run's report folder as seen from the comparison folder (both usually below one
 * output folder: OUT/comparison and OUT/NAME/report), or NULL. */
static const char *relative_link(const char *from_dir, const char *to, char *buf, size_t n) {
    const char *slash = strrchr(from_dir, '/');
    size_t parent = slash ? (size_t)(slash - from_dir) : 0;
    if (!to[0]) return NULL;
    if (parent && strncmp(to, from_dir, parent) == 0 && to[parent] == '/') {
        /* a link that does not fit is left out, never cut */
        return (size_t)snprintf(buf, n, "..%s", to + parent) < n ? buf : NULL;
    }
    return to[0] == '/' ? to : NULL;
}

int rt_write_comparison(const char *dir, const rt_experiment *const *xs, const rt_run_result *results,
                        int n) {
    static const char *const figures[][2] = {{"loss.png", "training loss"},
                                             {"reconstruction.png", "truth | reconstruction | error"},
                                             {"waveform.png", "target and output"},
                                             {"spectrum.png", "spectra"}};
    char err[1024];
    report_summary *runs = calloc((size_t)n + 1, sizeof *runs);
    char (*models)[2048] = calloc((size_t)n + 1, sizeof *models);
    char (*links)[sizeof results->report_dir] = calloc((size_t)n + 1, sizeof *links);
    const double **curves = calloc((size_t)n + 1, sizeof *curves);
    const char **labels = calloc((size_t)n + 1, sizeof *labels);
    int *lens = calloc((size_t)n + 1, sizeof *lens);
    int rc = -1, n_curves = 0;
    if (!runs || !models || !links || !curves || !labels || !lens) {
        rt_error_note_oom();
        fprintf(stderr, "qnn: %s: out of memory\n", dir);
        goto done;
    }
    if (io_mkdir_p(dir, err, sizeof err)) {
        fprintf(stderr, "qnn: %s\n", err);
        goto done;
    }
    for (int i = 0; i < n; i++) {
        report_summary_init(&runs[i]);
        describe_model(xs[i], models[i], sizeof models[i]);
        runs[i].name = xs[i]->name;
        runs[i].model = models[i];
        runs[i].data = xs[i]->data.path;
        runs[i].n_params = (long)results[i].n_params;
        runs[i].epochs = results[i].epochs_run;
        runs[i].seed = (long)xs[i]->seed;
        runs[i].final_loss = results[i].final_loss;
        runs[i].mse = results[i].mse;
        runs[i].psnr = results[i].psnr;
        runs[i].seconds_per_epoch = results[i].seconds_per_epoch;
        runs[i].seconds_total = results[i].seconds;
        runs[i].link = relative_link(dir, results[i].report_dir, links[i], sizeof links[i]);
        for (size_t f = 0; runs[i].link && f < sizeof figures / sizeof *figures; f++) {
            char *path = io_path_join(results[i].report_dir, figures[f][0]);
            if (path && access(path, R_OK) == 0)
                report_summary_add_figure(&runs[i], figures[f][0], figures[f][1]);
            free(path);
        }
        if (results[i].n_loss > 0) {
            curves[n_curves] = results[i].loss;
            lens[n_curves] = results[i].n_loss;
            labels[n_curves++] = xs[i]->name;
        }
    }
    report_figure fig = {"loss_curves.png", "training loss of every run"};
    int n_fig = 0;
    if (n_curves > 0) {
        char *path = io_path_join(dir, "loss_curves.png");
        if (!path) io_errf(err, sizeof err, "%s: out of memory", dir);
        int bad = !path || report_loss_curves(path, curves, lens, labels, n_curves, "Comparison",
                                              err, sizeof err);
        free(path);
        if (bad) {
            fprintf(stderr, "qnn: %s\n", err);
            goto done;
        }
        n_fig = 1;
    }
    if (report_write_comparison(dir, "Comparison", runs, n, &fig, n_fig, err, sizeof err))
        fprintf(stderr, "qnn: %s\n", err);
    else
        rc = 0;
done:
    free(runs);
    free(models);
    free(links);
    free(curves);
    free(labels);
    free(lens);
    return rc;
}
