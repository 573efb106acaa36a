/* The training driver: rt_run_experiment. Data -> model -> epochs of forward, loss, backward,
 * update -> evaluation -> outputs. Full-batch or seeded mini-batches; reproducible bit for
 * bit for a seed; a non-finite loss stops the run with a message instead of writing garbage. */
#define _XOPEN_SOURCE 700 /* fileno, isatty */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "io_file.h"
#include "io_image.h"
#include "qnn_runtime.h"
#include "rt_error.h"
#include "rt_loss.h"
#include "rt_metrics.h"
#include "rt_optim.h"
#include "rt_pool.h"
#include "rt_rng.h"
#include "rt_sched.h"
#include "run_checkpoint.h"
#include "rt_limits.h"
#include "run_data.h"
#include "run_model.h"
#include "run_output.h"
#include "run_report.h"

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void fail(const char *what, const char *msg) {
    fprintf(stderr, "qnn: %s%s%s\n", what, *what ? ": " : "", msg);
}

static double loss_of(const rt_experiment *x, const double *pred, const double *target, size_t n,
                      double *grad) {
    return x->loss == RT_LOSS_L1 ? rt_loss_l1(pred, target, n, grad) : rt_loss_mse(pred, target, n, grad);
}

/* Everything one run holds, released together. */
typedef struct {
    run_data train, eval_grid, eval_target;
    int eval_on_train;
    rt_pool *pool;
    rt_model *model;
    rt_optim *opt;
    double *grad, *batch_x, *batch_y, *pred_eval;
    size_t *perm;
    double *loss_log, *psnr_log;
    char *metrics;      /* JSON lines */
    size_t metrics_len, metrics_cap;
} run_state;

static void state_free(run_state *s) {
    run_data_free(&s->train);
    run_data_free(&s->eval_grid);
    run_data_free(&s->eval_target);
    rt_model_destroy(s->model);
    rt_optim_destroy(s->opt);
    rt_pool_destroy(s->pool);
    free(s->grad);
    free(s->batch_x);
    free(s->batch_y);
    free(s->pred_eval);
    free(s->perm);
    free(s->loss_log);
    free(s->psnr_log);
    free(s->metrics);
}

static void metrics_add(run_state *s, const char *line) {
    size_t n = strlen(line);
    if (s->metrics_len + n + 2 > s->metrics_cap) {
        size_t cap = (s->metrics_cap + n + 2) * 2;
        char *m = realloc(s->metrics, cap);
        if (!m) return; /* the log is a convenience; training goes on */
        s->metrics = m;
        s->metrics_cap = cap;
    }
    memcpy(s->metrics + s->metrics_len, line, n);
    s->metrics_len += n;
    s->metrics[s->metrics_len++] = '\n';
}

static void progress(const rt_experiment *x, int epoch, int first, double loss, double psnr,
                     double t0, int tty, int quiet, int last) {
    if (quiet) return;
    double el = now() - t0;
    int done = epoch + 1 - first;
    double rate = el > 0 ? done / el : 0;
    double eta = rate > 0 ? (x->epochs - epoch - 1) / rate : 0;
    if (tty) {
        fprintf(stderr, "\r%s  epoch %d/%d  loss %.4e  psnr %.2f dB  %.1f epochs/s  eta %.0fs   ",
                x->name, epoch + 1, x->epochs, loss, psnr, rate, eta);
        if (last) fputc('\n', stderr);
    } else if (last || epoch % x->log_every == 0) {
        fprintf(stderr, "%s epoch %d/%d loss %.6e psnr %.3f dB (%.2f epochs/s)\n", x->name, epoch + 1,
                x->epochs, loss, psnr, rate);
    }
    fflush(stderr);
}

static int prepare(const rt_experiment *x, const rt_circuit *const *circuits, const rt_run_options *o,
                   run_state *s, char *err, size_t errlen) {
    if (run_data_load(&x->data, x->source, 0, &s->train, err, errlen)) return -1;
    if (s->train.n < 2) {
        io_errf(err, errlen, "%s: needs at least 2 points", s->train.path);
        return -1;
    }
    int grid = o->grid > 0 ? o->grid : x->eval_size;
    int train_size = x->data.kind == RT_DATA_IMAGE ? s->train.height : (int)s->train.n;
    int has_target = x->has_eval_target || o->target;
    rt_data_spec t = x->has_eval_target ? x->eval_target : x->data;
    if (o->target) {
        /* Refused, not cut: a prefix of the path may name another file. */
        size_t n = strlen(o->target);
        if (n >= sizeof t.path - 1) {
            io_errf(err, errlen, "--target: the path has %zu characters, at most %zu are "
                    "supported", n, sizeof t.path - 2);
            return -1;
        }
        memcpy(t.path, o->target, n + 1);
    }
    if (x->data.kind == RT_DATA_CSV) {
        /* A table has no grid: a held-out test file is evaluated on its own rows (a target is
         * used, or refused with its reason: never replaced by the training rows). */
        if (grid > 0) {
            io_errf(err, errlen, "%s: a CSV table has no grid to evaluate on (--grid %d): give "
                    "the test points as a CSV file (--target FILE)", s->train.path, grid);
            return -1;
        }
        s->eval_on_train = !has_target;
        if (has_target) {
            if (run_data_load(&t, x->source, 0, &s->eval_target, err, errlen)) return -1;
            if (run_data_copy_points(&s->eval_target, &s->eval_grid, err, errlen)) return -1;
        }
    } else {
        if (grid <= 0 && has_target) grid = train_size; /* a target on the training grid */
        s->eval_on_train = grid <= 0 || (grid == train_size && !has_target);
    }
    if (!s->eval_on_train && x->data.kind != RT_DATA_CSV) {
        if (has_target && run_data_load(&t, x->source, grid, &s->eval_target, err, errlen))
            return -1;
        if (run_grid(x->data.kind, grid, x->in_dim, &s->eval_grid, err, errlen)) return -1;
        s->eval_grid.out_dim = x->out_dim;
        s->eval_grid.rate = s->train.rate * grid / (train_size > 0 ? train_size : 1);
    }
    int threads = o->threads > 0 ? o->threads : x->threads > 0 ? x->threads : (int)sysconf(_SC_NPROCESSORS_ONLN);
    if (threads < 1) threads = 1;
    /* Before anything big is allocated: the figure `qnnc run` prints, for native binaries and
     * direct callers too. */
    rt_mem_estimate me;
    rt_memory_estimate(x, circuits, threads, s->train.n, grid, &me);
    if (rt_memory_check(&me, err, errlen)) return -1;
    if (!(s->pool = rt_pool_create(threads))) {
        io_errf(err, errlen, "%s", rt_error_last());
        return -1;
    }
    rt_rng rng;
    rt_rng_seed(&rng, x->seed);
    if (!(s->model = run_build_model(x, circuits, s->pool, &rng, err, errlen))) return -1;
    size_t n_eval = s->eval_on_train ? s->train.n : s->eval_grid.n;
    size_t batch = x->batch > 0 && (size_t)x->batch < s->train.n ? (size_t)x->batch + 1 : s->train.n;
    size_t max_batch = batch > n_eval ? batch : n_eval;
    if (rt_model_build(s->model, (int)max_batch)) {
        io_errf(err, errlen, "%s", rt_error_last());
        return -1;
    }
    size_t np = rt_model_n_params(s->model);
    s->opt = x->optimizer == RT_OPT_SGD ? rt_sgd_create(np, x->lr, x->momentum, x->weight_decay)
                                        : rt_adam_create(np, x->lr, x->beta1, x->beta2, x->eps, x->weight_decay);
    s->grad = malloc(sizeof(double) * max_batch * (size_t)x->out_dim);
    s->batch_x = malloc(sizeof(double) * max_batch * (size_t)x->in_dim);
    s->batch_y = malloc(sizeof(double) * max_batch * (size_t)x->out_dim);
    s->pred_eval = malloc(sizeof(double) * n_eval * (size_t)x->out_dim);
    s->perm = malloc(sizeof(size_t) * s->train.n);
    s->loss_log = calloc((size_t)x->epochs + 1, sizeof(double));
    s->psnr_log = calloc((size_t)x->epochs + 1, sizeof(double));
    if (!s->opt || !s->grad || !s->batch_x || !s->batch_y || !s->pred_eval || !s->perm ||
        !s->loss_log || !s->psnr_log) {
        io_errf(err, errlen, "out of memory");
        return -1;
    }
    return 0;
}

/* One epoch: full batch, or mini-batches in a seeded order (the seed and the epoch fix it,
 * so a resumed run sees the same batches). Returns the mean loss before the updates. */
static int train_epoch(const rt_experiment *x, run_state *s, int epoch, double *loss_out,
                       char *err, size_t errlen) {
    const run_data *d = &s->train;
    size_t n = d->n, in = (size_t)x->in_dim, out = (size_t)x->out_dim;
    size_t bs = x->batch > 0 && (size_t)x->batch < n ? (size_t)x->batch : n;
    for (size_t i = 0; i < n; i++) s->perm[i] = i;
    if (bs < n) {
        rt_rng r;
        rt_rng_seed(&r, x->seed * 0x9E3779B97F4A7C15ULL + (uint64_t)epoch + 1);
        for (size_t i = n - 1; i > 0; i--) {
            size_t j = (size_t)(rt_rng_u64(&r) % (i + 1));
            size_t t = s->perm[i];
            s->perm[i] = s->perm[j];
            s->perm[j] = t;
        }
    }
    double total = 0;
    for (size_t start = 0; start < n;) {
        size_t len = bs;
        if (n - start < bs) len = n - start;
        if (n - start - len == 1) len++; /* a batch of one sample has no batch statistics */
        const double *bx = d->coords, *by = d->values;
        if (bs < n) {
            for (size_t i = 0; i < len; i++) {
                memcpy(s->batch_x + i * in, d->coords + s->perm[start + i] * in, sizeof(double) * in);
                memcpy(s->batch_y + i * out, d->values + s->perm[start + i] * out, sizeof(double) * out);
            }
            bx = s->batch_x;
            by = s->batch_y;
        }
        rt_model_zero_grad(s->model);
        const double *pred = rt_model_forward(s->model, bx, (int)len);
        if (!pred) {
            io_errf(err, errlen, "forward pass failed: %s", rt_error_last());
            return -1;
        }
        double l = loss_of(x, pred, by, len * out, s->grad);
        if (!isfinite(l)) {
            io_errf(err, errlen, "training diverged at epoch %d: the loss is %s (learning rate %g); "
                                 "try a smaller learning rate", epoch + 1, isnan(l) ? "NaN" : "infinite",
                    rt_optim_lr(s->opt));
            return -1;
        }
        total += l * (double)len;
        if (rt_model_backward(s->model, s->grad) || rt_optim_step_model(s->opt, s->model)) {
            io_errf(err, errlen, "backward pass failed: %s", rt_error_last());
            return -1;
        }
        start += len;
    }
    *loss_out = total / (double)n;
    return 0;
}

static int evaluate(const rt_experiment *x, run_state *s, char *err, size_t errlen) {
    const run_data *g = s->eval_on_train ? &s->train : &s->eval_grid;
    rt_model_eval(s->model, x->bn_eval_running ? RT_BN_RUNNING : RT_BN_BATCH);
    const double *pred = rt_model_forward(s->model, g->coords, (int)g->n);
    rt_model_train(s->model);
    if (!pred) {
        io_errf(err, errlen, "evaluation failed: %s", rt_error_last());
        return -1;
    }
    memcpy(s->pred_eval, pred, sizeof(double) * g->n * (size_t)x->out_dim);
    return 0;
}

/* Superresolution baselines: the training image upsampled to the evaluation grid. */
static void interpolation_baselines(const rt_experiment *x, const run_state *s, rt_run_result *r) {
    if (x->data.kind != RT_DATA_IMAGE || s->eval_on_train || !s->eval_target.values) return;
    io_image low;
    char err[256];
    int c = x->out_dim, side = s->train.height, big = s->eval_grid.height;
    if (io_image_alloc(&low, side, side, c, err, sizeof err)) return;
    size_t hw = (size_t)side * side, HW = (size_t)big * big;
    for (size_t p = 0; p < hw; p++)
        for (int k = 0; k < c; k++) low.data[k * hw + p] = s->train.values[p * c + k];
    double *flat = malloc(sizeof(double) * HW * (size_t)c);
    for (int m = 0; m < 2 && flat; m++) {
        io_image up;
        if (io_image_upsample(&low, big, big, m ? IO_INTERP_BILINEAR : IO_INTERP_NEAREST, 0, &up, err,
                              sizeof err))
            break;
        for (size_t p = 0; p < HW; p++)
            for (int k = 0; k < c; k++) flat[p * c + k] = up.data[k * HW + p];
        double mse = rt_metric_mse(flat, s->eval_target.values, HW * (size_t)c);
        if (m) r->mse_bilinear = mse;
        else r->mse_nearest = mse;
        io_image_free(&up);
        r->has_baselines = m == 1;
    }
    free(flat);
    io_image_free(&low);
}

/* Room for the output folder, and for it joined with a name of rt_spec.h (Linux's PATH_MAX
 * each): nothing is cut, and run_outputs_check refused longer output paths before the run. */
#define RUN_PATH_ROOM 4096

static const char *join(char *buf, size_t n, const char *dir, const char *file) {
    if (file[0] == '/') snprintf(buf, n, "%s", file);
    else snprintf(buf, n, "%s/%s", dir, file);
    return buf;
}

int rt_run_experiment(const rt_experiment *x, const rt_circuit *const *circuits,
                      const rt_run_options *o, rt_run_result *result) {
    char err[2048] = "", dir[RUN_PATH_ROOM], path[2 * RUN_PATH_ROOM + 2], line[512];
    rt_run_result r;
    memset(&r, 0, sizeof r);
    r.final_loss = NAN; /* until an epoch has run (eval only: never) */
    run_state s;
    memset(&s, 0, sizeof s);
    int rc = -1, first = 0;
    if (o->out_dir && strlen(o->out_dir) >= sizeof dir) {
        io_errf(err, sizeof err, "--out: the folder name has %zu characters, at most %zu are "
                "supported", strlen(o->out_dir), sizeof dir - 1);
        goto done;
    }
    if (o->out_dir) snprintf(dir, sizeof dir, "%s", o->out_dir);
    else snprintf(dir, sizeof dir, "out/%s", x->name);
    if (io_mkdir_p(dir, err, sizeof err) || prepare(x, circuits, o, &s, err, sizeof err)) goto done;
    r.n_params = (long long)rt_model_n_params(s.model);
    const char *ckpt = o->eval_only ? o->checkpoint : o->resume;
    /* One validator for --resume, eval --checkpoint and native binaries: resuming needs the
     * optimiser state and the epochs done (0..epochs, which index the loss log below). */
    if (ckpt && run_checkpoint_load(ckpt, x, s.model, o->eval_only ? NULL : s.opt,
                                    o->eval_only ? NULL : &first, err, sizeof err))
        goto done;
    if (o->eval_only) first = x->epochs;
    rt_sched sched = {x->schedule == RT_SCHED_COSINE   ? RT_LR_COSINE
                      : x->schedule == RT_SCHED_LINEAR ? RT_LR_LINEAR
                                                       : RT_LR_CONSTANT,
                      x->lr, x->lr_min, x->epochs};
    int tty = isatty(fileno(stderr));
    double t0 = now();
    for (int e = first; e < x->epochs; e++) {
        rt_optim_set_lr(s.opt, rt_sched_lr(&sched, e));
        double loss;
        if (train_epoch(x, &s, e, &loss, err, sizeof err)) goto done;
        double psnr = rt_metric_psnr(loss, 2.0);
        s.loss_log[e] = loss;
        s.psnr_log[e] = psnr;
        r.final_loss = loss;
        r.epochs_run++;
        progress(x, e, first, loss, psnr, t0, tty, o->quiet, e + 1 == x->epochs);
        snprintf(line, sizeof line, "{\"epoch\": %d, \"loss\": %.17g, \"psnr\": %.6f, \"lr\": %.17g, "
                                    "\"seconds\": %.6f}", e + 1, loss, psnr, rt_optim_lr(s.opt), now() - t0);
        metrics_add(&s, line);
        if ((e + 1) % x->log_every == 0 || e + 1 == x->epochs) {
            if (io_write_file_atomic(join(path, sizeof path, dir, "metrics.jsonl"), s.metrics,
                                     s.metrics_len, err, sizeof err))
                goto done;
        }
    }
    r.seconds = now() - t0;
    r.seconds_per_epoch = r.epochs_run ? r.seconds / r.epochs_run : 0;
    if (evaluate(x, &s, err, sizeof err)) goto done;
    const run_data *g = s.eval_on_train ? &s.train : &s.eval_grid;
    const double *target = s.eval_on_train ? s.train.values : s.eval_target.values;
    size_t nv = g->n * (size_t)x->out_dim;
    if (target) {
        r.mse = rt_metric_mse(s.pred_eval, target, nv);
        r.psnr = rt_metric_psnr(r.mse, x->data.hi - x->data.lo > 0 ? x->data.hi - x->data.lo : 2.0);
    } else {
        r.mse = r.psnr = NAN;
    }
    /* A NaN or infinite score is not a result: say which and why, instead of printing
     * "mse nan, psnr inf dB" and exiting 0 (the data and the weights were checked finite at
     * load, so only the model's outputs can be at fault). */
    size_t bad = 0;
    for (size_t i = 0; i < nv; i++) bad += !isfinite(s.pred_eval[i]);
    if (bad || (target && (!isfinite(r.mse) || isnan(r.psnr)))) {
        /* Name the weights evaluated: a checkpoint given, else the run's own training. */
        const char *who = ckpt ? ckpt : "", *sep = ckpt ? ": " : "";
        const char *why = ckpt ? "the checkpoint's weights are unusable" : "the training diverged";
        if (target && !bad)
            io_errf(err, sizeof err, "%s%sevaluation: the mse is infinite: the model's outputs "
                    "are too large to compare with the target (%s)", who, sep, why);
        else if (target)
            io_errf(err, sizeof err, "%s%sevaluation: the mse is %s: %zu of %zu model outputs "
                    "are not finite (%s)", who, sep, isnan(r.mse) ? "NaN" : "infinite", bad, nv,
                    why);
        else
            io_errf(err, sizeof err, "%s%sevaluation: %zu of %zu model outputs are not finite "
                    "(%s)", who, sep, bad, nv, why);
        goto done;
    }
    interpolation_baselines(x, &s, &r);
    if (!o->eval_only && x->out_checkpoint[0] &&
        run_save_checkpoint(join(path, sizeof path, dir, x->out_checkpoint), x, s.model, s.opt,
                            x->epochs, err, sizeof err))
        goto done;
    if (x->out_image[0] && run_write_signal(join(path, sizeof path, dir, x->out_image), x->data.kind, g,
                                            s.pred_eval, x->data.lo, x->data.hi, err, sizeof err))
        goto done;
    if (x->out_sound[0] && run_write_signal(join(path, sizeof path, dir, x->out_sound), x->data.kind, g,
                                            s.pred_eval, -1, 1, err, sizeof err))
        goto done;
    if (x->out_csv[0] &&
        run_write_csv(join(path, sizeof path, dir, x->out_csv), g, s.pred_eval, target, err, sizeof err))
        goto done;
    if (x->out_report[0]) {
        run_report_input in = {x, &s.train, g, s.pred_eval, target, s.loss_log, s.psnr_log, &r};
        if (run_write_report(join(path, sizeof path, dir, x->out_report), &in, err, sizeof err)) goto done;
        size_t n = strlen(path); /* within run_outputs_check's limit; never cut */
        if (n < sizeof r.report_dir) memcpy(r.report_dir, path, n + 1);
    }
    if (r.epochs_run > 0 && (r.loss = malloc(sizeof(double) * (size_t)r.epochs_run))) {
        memcpy(r.loss, s.loss_log + (x->epochs - r.epochs_run), sizeof(double) * (size_t)r.epochs_run);
        r.n_loss = r.epochs_run;
    }
    if (!o->quiet || o->eval_only) {
        if (o->eval_only)
            fprintf(stderr, "%s: %d parameters, evaluated on %zu points", x->name, (int)r.n_params, g->n);
        else
            fprintf(stderr, "%s: %d parameters, %d epochs in %.2f s (%.2f ms/epoch)", x->name,
                    (int)r.n_params, r.epochs_run, r.seconds, 1e3 * r.seconds_per_epoch);
        if (target) fprintf(stderr, ", final mse %.4e, psnr %.2f dB", r.mse, r.psnr);
        if (r.has_baselines)
            fprintf(stderr, " (bilinear %.4e, nearest %.4e)", r.mse_bilinear, r.mse_nearest);
        fprintf(stderr, "\n%s: outputs in %s\n", x->name, dir);
    }
    rc = 0;
done:
    if (rc) fail(x->name, err);
    state_free(&s);
    if (result) *result = r;
    else rt_run_result_free(&r);
    return rc;
}

void rt_run_result_free(rt_run_result *r) {
    free(r->loss);
    r->loss = NULL;
    r->n_loss = 0;
}
