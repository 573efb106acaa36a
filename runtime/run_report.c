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
#include "rt_task.h"

static void describe_model(const rt_experiment *x, char *buf, size_t n) {
    size_t k = 0;
    buf[0] = '\0';
    for (int i = 0; i < x->n_layers && k + 48 < n; i++)
        k += (size_t)snprintf(buf + k, n - k, "%s%s(%d->%d)", i ? " > " : "",
                              rt_layer_kind_name(x->layers[i].kind), x->layers[i].in, x->layers[i].out);
}

/* The lines that tell runs of one file apart: the model as called, the overrides, the
 * gradient method and the toolchain (each only when known). */
static void describe_run(const rt_experiment *x, char *buf, size_t n) {
    const char *label[] = {"model", "overrides", "gradient", "toolchain"};
    const char *text[] = {x->model_call, x->overrides, x->gradient, x->toolchain};
    size_t k = 0;
    buf[0] = '\0';
    for (int i = 0; i < 4 && k < n; i++)
        if (text[i][0] || i == 1)
            k += (size_t)snprintf(buf + k, n - k, "\n%s: %s", label[i], text[i][0] ? text[i] : "none");
}

static void describe_settings(const rt_experiment *x, char *buf, size_t n) {
    char opt[160], batch[32], loss[64], held[96], metrics[64];
    if (x->optimizer == RT_OPT_SGD)
        snprintf(opt, sizeof opt, "sgd, lr %g, momentum %g", x->lr, x->momentum);
    else
        snprintf(opt, sizeof opt, "adam, lr %g, betas %g/%g, eps %g", x->lr, x->beta1, x->beta2, x->eps);
    if (x->loss == RT_LOSS_HUBER) snprintf(loss, sizeof loss, "huber, delta %g", x->huber_delta);
    else snprintf(loss, sizeof loss, "%s", rt_loss_name(x->loss));
    if (x->split > 0) snprintf(held, sizeof held, "\nheld out: %g of the rows trained on, the others tested (seeded)", x->split);
    else held[0] = '\0';
    if (x->eval_every > 0) {
        size_t k = strlen(held);
        snprintf(held + k, sizeof held - k, "\neval_every: %d", x->eval_every);
    }
    snprintf(metrics, sizeof metrics, "%s%s%s", x->metric_mse ? " mse" : "", x->metric_psnr ? " psnr" : "",
             x->metric_accuracy ? " accuracy" : "");
    if (x->batch) snprintf(batch, sizeof batch, "%d", x->batch);
    else snprintf(batch, sizeof batch, "full");
    int k = snprintf(buf, n,
             "loss: %s\nmetrics:%s%s\noptimizer: %s\nschedule: %s\nepochs: %d\nbatch: %s\nseed: %llu\n"
             "batch norm at evaluation: %s statistics\nsimulation precision: f%d",
             loss, metrics, held, opt,
             x->schedule == RT_SCHED_COSINE ? "cosine" : x->schedule == RT_SCHED_LINEAR ? "linear" : "constant",
             x->epochs, batch, (unsigned long long)x->seed,
             x->bn_eval_running ? "running" : "the batch's", x->precision);
    if (k > 0 && (size_t)k < n) describe_run(x, buf + k, n - (size_t)k);
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

/* eval_every: the loss (and accuracy) of the training and the test points at each epoch
 * evaluated, one figure each. */
static int eval_figures(const char *dir, const run_report_input *in, report_summary *s, char *err,
                        size_t errlen) {
    const rt_experiment *x = in->x;
    int n = 0, rc = -1;
    size_t cap = (size_t)x->epochs;
    double *ep = malloc(sizeof(double) * cap), *v = malloc(sizeof(double) * 4 * cap);
    char *path = NULL;
    if (!ep || !v) {
        io_errf(err, errlen, "%s: out of memory", dir);
        goto done;
    }
    for (int e = 0; e < x->epochs; e++) {
        const double *l = in->eval_log + 4 * (size_t)e;
        if (isnan(l[2])) continue; /* the training points' loss is there whenever evaluated */
        ep[n] = e + 1;
        for (int j = 0; j < 4; j++) v[(size_t)j * cap + (size_t)n] = l[j];
        n++;
    }
    if (n == 0) {
        rc = 0;
        goto done;
    }
    const int held = in->result->held_out;
    if (!(path = figure_path(dir, "eval_loss.png", err, errlen)) ||
        report_train_test(path, ep, v + 2 * cap, held ? v : NULL, n, "loss (log scale)", 1,
                          held ? "loss: train and test points" : "loss on the training points",
                          err, errlen))
        goto done;
    report_summary_add_figure(s, "eval_loss.png", held ? "loss of the training and the test points "
                                                         "per evaluation (eval_every)"
                                                       : "loss of the training points per evaluation");
    free(path);
    path = NULL;
    if (x->metric_accuracy) {
        if (!(path = figure_path(dir, "eval_accuracy.png", err, errlen)) ||
            report_train_test(path, ep, v + 3 * cap, held ? v + cap : NULL, n, "accuracy", 0,
                              held ? "accuracy: train and test points" : "accuracy on the training points",
                              err, errlen))
            goto done;
        report_summary_add_figure(s, "eval_accuracy.png", "accuracy per evaluation (eval_every)");
    }
    rc = 0;
done:
    free(path);
    free(ep);
    free(v);
    return rc;
}

int run_report_circuits(const rt_experiment *x, int layers[RUN_REPORT_MAX_CIRCUITS]) {
    int n = 0;
    for (int l = 0; l < x->n_layers && n < RUN_REPORT_MAX_CIRCUITS; l++) {
        const char *svg = x->layers[l].kind == RT_LAYER_QUANTUM ? x->layers[l].circuit_svg : NULL;
        int seen = !svg;
        for (int k = 0; k < n && !seen; k++) seen = strcmp(x->layers[layers[k]].circuit_svg, svg) == 0;
        if (!seen) layers[n++] = l;
    }
    return n;
}

void run_report_circuit_name(int layer, char *buf, size_t n) { snprintf(buf, n, "circuit_%d.svg", layer); }

/* The circuit drawings that the compiler handed over, written as they are; the captions name
 * every layer that runs that circuit. */
static int circuit_figures(const char *dir, const rt_experiment *x, report_summary *s,
                           char (*names)[32], char (*captions)[160], char *err, size_t errlen) {
    int layers[RUN_REPORT_MAX_CIRCUITS];
    int n = run_report_circuits(x, layers);
    for (int k = 0; k < n; k++) {
        const char *svg = x->layers[layers[k]].circuit_svg;
        run_report_circuit_name(layers[k], names[k], sizeof names[k]);
        char *path = figure_path(dir, names[k], err, errlen);
        if (!path || io_write_file_atomic(path, svg, strlen(svg), err, errlen)) {
            free(path);
            return -1;
        }
        free(path);
        int m = 0;
        size_t c = (size_t)snprintf(captions[k], sizeof captions[k], "circuit of quantum layer");
        for (int l = 0; l < x->n_layers && c < sizeof captions[k]; l++)
            if (x->layers[l].kind == RT_LAYER_QUANTUM && x->layers[l].circuit_svg &&
                strcmp(x->layers[l].circuit_svg, svg) == 0)
                c += (size_t)snprintf(captions[k] + c, sizeof captions[k] - c, "%s %d", m++ ? "," : "", l);
        if (m > 1 && c + 1 < sizeof captions[k]) { /* "layers 2, 5, 8" */
            char *sp = strstr(captions[k], "layer ");
            memmove(sp + 6, sp + 5, strlen(sp + 5) + 1);
            sp[5] = 's';
        }
        report_summary_add_figure(s, names[k], captions[k]);
    }
    return 0;
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
                              x->loss == RT_LOSS_MSE && x->metric_psnr ? in->psnr + (x->epochs - r->epochs_run) : NULL,
                              x->name, err, errlen))
            goto done;
        report_summary_add_figure(s, "loss.png", x->loss == RT_LOSS_MSE && x->metric_psnr
                                                     ? "training loss (and PSNR) per epoch"
                                                     : "training loss per epoch");
        free(path);
        path = NULL;
    }
    if (in->eval_log && r->epochs_run > 0 && eval_figures(dir, in, s, err, errlen)) goto done;
    if (in->boundary) {
        const run_boundary *b = in->boundary;
        if (!(path = figure_path(dir, "boundary.png", err, errlen)) ||
            report_decision_boundary(path, b->grid, b->g, b->x0, b->x1, b->y0, b->y1, b->xy, b->cls,
                                     b->is_test, b->n, in->n_classes, x->name, err, errlen))
            goto done;
        report_summary_add_figure(s, "boundary.png", "decision boundary: the predicted class over "
                                                     "the inputs, with the data's points");
        free(path);
        path = NULL;
    }
    if (in->n_classes >= 2 && in->confusion && in->target) {
        if (!(path = figure_path(dir, "confusion.png", err, errlen)) ||
            report_confusion(path, in->confusion, in->n_classes, x->name, err, errlen))
            goto done;
        report_summary_add_figure(s, "confusion.png", r->held_out ? "confusion matrix on the test points"
                                                                  : "confusion matrix");
        free(path);
        path = NULL;
    }
    int n0 = x->data.kind == RT_DATA_IMAGE ? g->height : (int)g->n;
    int n1 = x->data.kind == RT_DATA_IMAGE ? g->width : 1;
    /* Pictures, waveforms and spectra are for signals: an image or a recording. */
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
    char model[2048], settings[3072];
    describe_model(x, model, sizeof model);
    describe_settings(x, settings, sizeof settings);
    if (r->has_baselines) {
        size_t k = strlen(settings);
        snprintf(settings + k, sizeof settings - k,
                 "\nsuperresolution: %d x %d grid; upsampling the training image gives MSE %.4e "
                 "(bilinear), %.4e (bicubic) and %.4e (nearest neighbour) against the same target",
                 g->height, g->width, r->mse_bilinear, r->mse_bicubic, r->mse_nearest);
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
    else if (r->held_out)
        snprintf(data, dn, "csv %s, %lld points trained on, %lld held out", in->train->path,
                 r->n_train, r->n_eval);
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
    s.eval_loss = r->eval_loss;
    s.accuracy = r->accuracy;
    if (r->held_out) {
        s.n_train = (long)r->n_train;
        s.n_test = (long)r->n_eval;
        s.train_loss = r->train_loss;
        s.train_mse = r->train_mse;
        s.train_psnr = r->train_psnr;
        s.train_accuracy = r->train_accuracy;
    }
    if (in->n_classes >= 2 && in->target) {
        s.n_classes = in->n_classes;
        s.confusion = in->confusion;
    }
    s.seconds_per_epoch = r->seconds_per_epoch;
    s.seconds_total = r->seconds;
    s.settings = settings;
    s.cutoff_fraction = REPORT_SPECTRAL_CUTOFF;
    char names[RUN_REPORT_MAX_CIRCUITS][32], captions[RUN_REPORT_MAX_CIRCUITS][160];
    int rc = draw_figures(dir, in, &s, err, errlen) || circuit_figures(dir, x, &s, names, captions, err, errlen)
                 ? -1 : report_write_index(dir, &s, err, errlen);
    free(data);
    return rc;
}

/* Setting j of x as the comparison report names it ("seed 2"); the settings that tell the
 * experiments of one file apart besides the model. Returns 0 past the last one. */
enum { N_ROW_SETTINGS = 10 };
static int row_setting(const rt_experiment *x, int j, char *buf, size_t n) {
    switch (j) {
    case 0: snprintf(buf, n, "seed %llu", (unsigned long long)x->seed); return 1;
    case 1: snprintf(buf, n, "epochs %d", x->epochs); return 1;
    case 2: snprintf(buf, n, "%s lr %g", x->optimizer == RT_OPT_SGD ? "sgd" : "adam", x->lr); return 1;
    case 3: snprintf(buf, n, "batch %d", x->batch); return 1;
    case 4: snprintf(buf, n, "loss %s", rt_loss_name(x->loss)); return 1;
    case 5: snprintf(buf, n, "schedule %d", (int)x->schedule); return 1;
    case 6: snprintf(buf, n, "f%d", x->precision); return 1;
    case 7: snprintf(buf, n, "gradient %s", x->gradient); return 1;
    case 8: snprintf(buf, n, "data %s", x->data.path); return 1;
    case 9: snprintf(buf, n, "overrides %s", x->overrides); return 1;
    default: return 0;
    }
}

/* "name (seed 2, f32)": the row's name and the settings in which the experiments differ
 * (those equal in all of them are left out). */
static void row_label(const rt_experiment *const *xs, int n, int i, char *buf, size_t len) {
    size_t k = (size_t)snprintf(buf, len, "%s", xs[i]->name);
    int first = 1;
    for (int j = 0; j < N_ROW_SETTINGS && k < len; j++) {
        char mine[RT_PATH_MAX + 32], other[RT_PATH_MAX + 32];
        row_setting(xs[i], j, mine, sizeof mine);
        int differs = 0;
        for (int o = 0; o < n && !differs; o++) {
            row_setting(xs[o], j, other, sizeof other);
            differs = strcmp(mine, other) != 0;
        }
        if (differs) {
            k += (size_t)snprintf(buf + k, len - k, "%s%s", first ? " (" : ", ", mine);
            first = 0;
        }
    }
    if (!first && k < len) snprintf(buf + k, len - k, ")");
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

/* Whether run j holds the same signal as run i: same grid, channels and target values (runs
 * of one comparison may fit different images; only those on the first run's signal are drawn
 * together). */
static int same_signal(const rt_run_result *a, const rt_run_result *b) {
    if (!a->sig_truth || !b->sig_truth || a->sig_n0 != b->sig_n0 || a->sig_n1 != b->sig_n1 ||
        a->sig_channels != b->sig_channels)
        return 0;
    size_t nv = (size_t)a->sig_n0 * (size_t)a->sig_n1 * (size_t)a->sig_channels;
    return memcmp(a->sig_truth, b->sig_truth, sizeof(double) * nv) == 0;
}

/* A Tanh MLP, the paper's reference: linear layers (with batch norms and scalings, as the
 * reference code's MLPs) and tanh as the only nonlinearity; no quantum layer, no features
 * (the runtime sees layers, not model names). */
static int is_tanh_mlp(const rt_experiment *x) {
    int tanh = 0;
    for (int i = 0; i < x->n_layers; i++) {
        rt_layer_type k = x->layers[i].kind;
        if (k == RT_LAYER_TANH) tanh = 1;
        else if (k != RT_LAYER_LINEAR && k != RT_LAYER_BATCHNORM && k != RT_LAYER_SCALE) return 0;
    }
    return tanh;
}

/* The reference of the relative-error figure among the runs idx[0..m): the one named
 * compare_to, else the first Tanh MLP (the paper's choice), else the first; -1 when
 * compare_to names none of them. */
static int reference_run(const rt_experiment *const *xs, const int *idx, int m, const char *compare_to) {
    for (int k = 0; k < m; k++)
        if (compare_to ? strcmp(xs[idx[k]]->name, compare_to) == 0 : is_tanh_mlp(xs[idx[k]]))
            return k;
    return compare_to ? -1 : 0;
}

/* relative_error.csv beside the figure: the numbers it draws, for tables and scripts. */
static int write_band_table(const char *dir, const char *const *labels, const double *low, const double *high,
                            int m, int ref, char *err, size_t errlen) {
    char *path = io_path_join(dir, "relative_error.csv");
    io_atomic a;
    if (!path) {
        io_errf(err, errlen, "%s: out of memory", dir);
        return -1;
    }
    int rc = -1;
    if (io_atomic_open(&a, path, err, errlen) == 0) {
        double t_ref = hypot(low[ref], high[ref]);
        fprintf(a.fp, "experiment,low,high,total,low_vs_reference,high_vs_reference,reference,cutoff\n");
        for (int k = 0; k < m; k++)
            fprintf(a.fp, "%s,%.17g,%.17g,%.17g,%.17g,%.17g,%s,%g\n", labels[k], low[k], high[k],
                    hypot(low[k], high[k]), low[k] / t_ref, high[k] / t_ref, labels[ref], REPORT_SPECTRAL_CUTOFF);
        rc = io_atomic_commit(&a, err, errlen);
    }
    free(path);
    return rc;
}

/* The paper's figures of the runs on the first run's signal (docs/reports.md §5): Fig. 7's
 * relative errors and Fig. 6's spectra when two or more runs share it, Fig. 8's grid when it
 * is a superresolution. Appends the figures drawn to fig[*n_fig]; 0 or -1 (err written). */
static int paper_figures(const char *dir, const rt_experiment *const *xs, const rt_run_result *rs, int n,
                         const char *compare_to, report_figure *fig, int *n_fig, char (*captions)[256],
                         char *err, size_t errlen) {
    int first = -1;
    for (int i = 0; i < n && first < 0; i++)
        if (rs[i].sig_truth) first = i;
    if (first < 0) return 0;
    int *idx = calloc((size_t)n, sizeof *idx);
    const char **labels = calloc((size_t)n + 4, sizeof *labels);
    const double **sig = calloc((size_t)n + 4, sizeof *sig);
    double *low = calloc((size_t)n, sizeof *low), *high = calloc((size_t)n, sizeof *high);
    double *mse = calloc((size_t)n + 4, sizeof *mse);
    char *path = NULL;
    int rc = -1, m = 0;
    if (!idx || !labels || !sig || !low || !high || !mse) {
        io_errf(err, errlen, "%s: out of memory", dir);
        goto done;
    }
    for (int i = first; i < n; i++)
        if (same_signal(&rs[first], &rs[i])) idx[m++] = i;
    const rt_run_result *r0 = &rs[first];
    for (int k = 0; k < m; k++) {
        labels[k] = xs[idx[k]]->name;
        low[k] = rs[idx[k]].low_rel_err;
        high[k] = rs[idx[k]].high_rel_err;
        sig[k] = rs[idx[k]].sig_pred;
    }
    if (m >= 2) {
        int ref = reference_run(xs, idx, m, compare_to);
        if (ref < 0) {
            /* the name was checked against the file's experiments before the runs: it failed */
            io_errf(err, errlen, "%s: --compare-to %s: that experiment did not finish on this signal, "
                    "so the relative errors are drawn against %s", dir, compare_to, labels[0]);
            fprintf(stderr, "qnn: %s\n", err);
            ref = 0;
        }
        if (write_band_table(dir, labels, low, high, m, ref, err, errlen)) goto done;
        if (!(path = io_path_join(dir, "relative_error.png")) ||
            report_relative_errors(path, labels, low, high, m, ref, REPORT_SPECTRAL_CUTOFF,
                                   "Relative error by frequency band", err, errlen))
            goto fail_path;
        free(path);
        path = NULL;
        snprintf(captions[*n_fig], 256, "each model's relative error over %s's, split into the low- and "
                 "high-frequency shares (the paper's Fig. 7)", labels[ref]);
        fig[*n_fig] = (report_figure){"relative_error.png", captions[*n_fig]};
        ++*n_fig;
        /* spectra of channel 0 of each signal */
        size_t np = (size_t)r0->sig_n0 * (size_t)r0->sig_n1, c = (size_t)r0->sig_channels;
        double *flat = malloc(sizeof(double) * np * (size_t)(m + 1));
        if (!flat) {
            io_errf(err, errlen, "%s: out of memory", dir);
            goto done;
        }
        for (size_t p = 0; p < np; p++) flat[p] = r0->sig_truth[p * c];
        const double **ch0 = calloc((size_t)m, sizeof *ch0);
        if (!ch0) {
            free(flat);
            io_errf(err, errlen, "%s: out of memory", dir);
            goto done;
        }
        for (int k = 0; k < m; k++) {
            double *q = flat + np * (size_t)(k + 1);
            for (size_t p = 0; p < np; p++) q[p] = sig[k][p * c];
            ch0[k] = q;
        }
        path = io_path_join(dir, "spectra.png");
        int bad = !path || report_spectra(path, flat, ch0, labels, m, r0->sig_n0, r0->sig_n1,
                                          "Spectra of every model and the target", err, errlen);
        free(flat);
        free(ch0);
        if (bad) goto fail_path;
        free(path);
        path = NULL;
        fig[*n_fig] = (report_figure){"spectra.png", r0->sig_n1 == 1 ? "spectra of every model's output over "
                                      "the target's (the paper's Fig. 6)" : "radial power spectra of every "
                                      "model's output over the target's"};
        ++*n_fig;
    }
    if (r0->sig_n1 > 1 && r0->sig_up[0] && r0->sig_up[1] && r0->sig_up[2]) {
        static const char *const names[3] = {"nearest", "bilinear", "bicubic"};
        int k = 0;
        labels[k] = "ground truth", sig[k] = r0->sig_truth, mse[k++] = NAN;
        for (int j = 0; j < m; j++) labels[k] = xs[idx[j]]->name, sig[k] = rs[idx[j]].sig_pred, mse[k++] = rs[idx[j]].mse;
        const double up_mse[3] = {r0->mse_nearest, r0->mse_bilinear, r0->mse_bicubic};
        for (int j = 2; j >= 0; j--) labels[k] = names[j], sig[k] = r0->sig_up[j], mse[k++] = up_mse[j];
        char sub[160];
        snprintf(sub, sizeof sub, "%d x %d, from the %s training image; MSE against the ground truth",
                 r0->sig_n0, r0->sig_n1, "lower-resolution");
        if (!(path = io_path_join(dir, "superres.png")) ||
            report_image_grid(path, sig, labels, mse, k, r0->sig_n0, r0->sig_n1, r0->sig_channels, r0->sig_lo,
                              r0->sig_hi, "Superresolution", sub, err, errlen))
            goto fail_path;
        fig[*n_fig] = (report_figure){"superres.png", "ground truth, every model and the interpolations of "
                                      "the training image (the paper's Fig. 8)"};
        ++*n_fig;
    }
    rc = 0;
    goto done;
fail_path:
    if (!path) io_errf(err, errlen, "%s: out of memory", dir);
done:
    free(path);
    free(idx);
    free(labels);
    free(sig);
    free(low);
    free(high);
    free(mse);
    return rc;
}

int rt_write_comparison(const char *dir, const rt_experiment *const *xs, const rt_run_result *results,
                        int n, const char *compare_to) {
    static const char *const figures[][2] = {{"loss.png", "training loss"},
                                             {"reconstruction.png", "truth | reconstruction | error"},
                                             {"waveform.png", "target and output"},
                                             {"spectrum.png", "spectra"}};
    char err[1024];
    report_summary *runs = calloc((size_t)n + 1, sizeof *runs);
    char (*models)[2048] = calloc((size_t)n + 1, sizeof *models);
    char (*names)[1024] = calloc((size_t)n + 1, sizeof *names);
    char (*links)[sizeof results->report_dir] = calloc((size_t)n + 1, sizeof *links);
    const double **curves = calloc((size_t)n + 1, sizeof *curves);
    const char **labels = calloc((size_t)n + 1, sizeof *labels);
    int *lens = calloc((size_t)n + 1, sizeof *lens);
    int rc = -1, n_curves = 0;
    if (!runs || !models || !names || !links || !curves || !labels || !lens) {
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
        /* the model as called, its arguments' values, when the compiler said (the layers are
         * in the run's own report); each row named with the settings that differ */
        if (xs[i]->model_call[0]) snprintf(models[i], sizeof models[i], "%s", xs[i]->model_call);
        else describe_model(xs[i], models[i], sizeof models[i]);
        row_label(xs, n, i, names[i], sizeof names[i]);
        runs[i].name = names[i];
        runs[i].model = models[i];
        runs[i].data = xs[i]->data.path;
        runs[i].n_params = (long)results[i].n_params;
        runs[i].epochs = results[i].epochs_run;
        runs[i].seed = (long)xs[i]->seed;
        runs[i].final_loss = results[i].final_loss;
        runs[i].mse = results[i].mse;
        runs[i].psnr = results[i].psnr;
        runs[i].accuracy = results[i].accuracy;
        runs[i].low_rel_err = results[i].low_rel_err;
        runs[i].high_rel_err = results[i].high_rel_err;
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
    report_figure fig[4] = {{"loss_curves.png", "training loss of every run"}};
    char captions[4][256];
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
    if (paper_figures(dir, xs, results, n, compare_to, fig, &n_fig, captions, err, sizeof err)) {
        fprintf(stderr, "qnn: %s\n", err);
        goto done;
    }
    if (report_write_comparison(dir, "Comparison", runs, n, fig, n_fig, err, sizeof err))
        fprintf(stderr, "qnn: %s\n", err);
    else
        rc = 0;
done:
    free(runs);
    free(models);
    free(names);
    free(links);
    free(curves);
    free(labels);
    free(lens);
    return rc;
}

int run_write_objective_report(const char *dir, const rt_experiment *x, const double *energy,
                               const rt_run_result *r, char *err, size_t errlen) {
    if (io_mkdir_p(dir, err, errlen)) return -1;
    int maximize = x->objective == RT_OBJECTIVE_MAXIMIZE;
    char model[2048], settings[3072], data[160], opt[160], label[96];
    describe_model(x, model, sizeof model);
    if (x->optimizer == RT_OPT_SGD)
        snprintf(opt, sizeof opt, "sgd, lr %g, momentum %g", x->lr, x->momentum);
    else
        snprintf(opt, sizeof opt, "adam, lr %g, betas %g/%g, eps %g", x->lr, x->beta1, x->beta2, x->eps);
    snprintf(settings, sizeof settings,
             "objective: %s output %d\nexact: %s\noptimizer: %s\nschedule: %s\nepochs: %d\nseed: %llu\n"
             "simulation precision: f%d",
             maximize ? "maximize" : "minimize", x->objective_output,
             x->exact == RT_EXACT_OFF ? "off" : x->ham_qubits < 1 ? "not known (not an expectation value of the last layer)"
             : x->ham_qubits > 12 ? "not computed (more than 12 qubits)" : "dense diagonalisation (LAPACK)",
             opt, x->schedule == RT_SCHED_COSINE ? "cosine" : x->schedule == RT_SCHED_LINEAR ? "linear" : "constant",
             x->epochs, (unsigned long long)x->seed, x->precision);
    size_t used = strlen(settings);
    describe_run(x, settings + used, sizeof settings - used);
    snprintf(data, sizeof data, "none: %s output %d of the model", maximize ? "maximises" : "minimises",
             x->objective_output);
    snprintf(label, sizeof label, "Exact %s (%s eigenvalue)", maximize ? "maximum" : "ground energy",
             maximize ? "highest" : "lowest");
    report_summary s;
    report_summary_init(&s);
    s.name = x->name;
    s.model = model;
    s.data = data;
    s.n_params = (long)r->n_params;
    s.epochs = r->epochs_run > 0 ? r->epochs_run : -1;
    s.seed = (long)x->seed;
    s.energy = r->energy;
    s.exact_energy = r->exact_energy;
    s.exact_label = label;
    s.seconds_per_epoch = r->seconds_per_epoch;
    s.seconds_total = r->seconds;
    s.settings = settings;
    if (r->epochs_run > 0) {
        char *path = figure_path(dir, "energy.png", err, errlen);
        if (!path) return -1;
        int bad = report_energy_curve(path, energy, x->epochs, r->exact_energy, "energy (the objective's output)",
                                      x->name, err, errlen);
        free(path);
        if (bad) return -1;
        report_summary_add_figure(&s, "energy.png", maximize ? "the objective per epoch, the exact maximum dashed"
                                                              : "energy per epoch, the exact ground energy dashed");
    }
    return report_write_index(dir, &s, err, errlen);
}
