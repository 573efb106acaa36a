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
#include "report.h"
#include "qnn_runtime.h"
#include "rt_dist.h"
#include "rt_error.h"
#include "rt_loss.h"
#include "rt_metrics.h"
#include "rt_optim.h"
#include "rt_pool.h"
#include "rt_qlayer.h"
#include "rt_rng.h"
#include "rt_sched.h"
#include "rt_task.h"
#include "run_checkpoint.h"
#include "rt_limits.h"
#include "run_data.h"
#include "run_model.h"
#include "run_generate.h"
#include "run_objective.h"
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

/* The experiment's loss over `batch` points of out_dim values (grad may be NULL). */
static double loss_of(const rt_experiment *x, const double *pred, const double *target, size_t batch,
                      double *grad) {
    size_t n = batch * (size_t)x->out_dim;
    switch (x->loss) {
    case RT_LOSS_L1: return rt_loss_l1(pred, target, n, grad);
    case RT_LOSS_HUBER: return rt_loss_huber(pred, target, n, x->huber_delta, grad);
    case RT_LOSS_CROSS_ENTROPY: return rt_loss_cross_entropy(pred, target, batch, x->out_dim, grad);
    case RT_LOSS_BCE: return rt_loss_bce_logits(pred, target, n, grad);
    case RT_LOSS_MSE: break;
    }
    return rt_loss_mse(pred, target, n, grad);
}

/* The figures of one evaluation: the loss and the metrics the experiment asks for (NaN for
 * the others, which reports leave out). */
typedef struct {
    double loss, mse, psnr, accuracy;
} run_scores;

/* Classes in the confusion matrix: one per output for cross_entropy, 2 for a single bce
 * output; 0 where there is none (regression, several independent bce labels). */
static int n_classes(const rt_experiment *x) {
    if (x->loss == RT_LOSS_CROSS_ENTROPY) return x->out_dim;
    return x->loss == RT_LOSS_BCE && x->out_dim == 1 ? 2 : 0;
}

static run_scores score(const rt_experiment *x, const double *pred, const double *target, size_t n,
                        long *confusion) {
    run_scores r = {NAN, NAN, NAN, NAN};
    size_t nv = n * (size_t)x->out_dim;
    r.loss = loss_of(x, pred, target, n, NULL);
    if (x->metric_mse || x->metric_psnr) {
        double mse = rt_metric_mse(pred, target, nv);
        if (x->metric_mse) r.mse = mse;
        if (x->metric_psnr) r.psnr = rt_metric_psnr(mse, x->data.hi - x->data.lo > 0 ? x->data.hi - x->data.lo : 2.0);
    }
    if (x->metric_accuracy) {
        /* several bce outputs are independent labels: each value is a decision */
        int per_value = x->loss == RT_LOSS_BCE;
        r.accuracy = rt_metric_accuracy(pred, target, per_value ? nv : n, per_value ? 1 : x->out_dim,
                                        per_value && x->out_dim > 1 ? NULL : confusion);
    }
    return r;
}

/* Everything one run holds, released together. */
typedef struct {
    run_data train, eval_grid, eval_target;
    int eval_on_train;
    int held_out;       /* the evaluation points are not the training points: score both */
    rt_pool *pool;
    rt_model *model;
    rt_optim *opt;
    double *grad, *batch_x, *batch_y, *pred_eval, *pred_train;
    long *confusion;    /* [true][predicted] on the evaluation points, n_classes^2 */
    size_t max_batch;   /* what the model was built for */
    run_boundary boundary;
    double *eval_log;   /* per epoch: test loss, test accuracy, train loss, train accuracy (NaN: not evaluated) */
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
    free(s->pred_train);
    free(s->confusion);
    free(s->eval_log);
    free(s->boundary.grid);
    free(s->boundary.xy);
    free(s->boundary.cls);
    free(s->boundary.is_test);
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

/* The PSNR of an epoch's training loss: meaningful only when that loss is the MSE and the
 * experiment asks for PSNR; NaN (not shown) otherwise. */
static double epoch_psnr(const rt_experiment *x, double loss) {
    return x->loss == RT_LOSS_MSE && x->metric_psnr ? rt_metric_psnr(loss, 2.0) : NAN;
}

static void progress(const rt_experiment *x, int epoch, int first, double loss, double psnr,
                     double t0, int tty, int quiet, int last) {
    if (quiet) return;
    double el = now() - t0;
    int done = epoch + 1 - first;
    double rate = el > 0 ? done / el : 0;
    double eta = rate > 0 ? (x->epochs - epoch - 1) / rate : 0;
    char ps[48] = "";
    if (!isnan(psnr)) snprintf(ps, sizeof ps, tty ? "  psnr %.2f dB" : " psnr %.3f dB", psnr);
    if (tty) {
        fprintf(stderr, "\r%s  epoch %d/%d  loss %.4e%s  %.1f epochs/s  eta %.0fs   ",
                x->name, epoch + 1, x->epochs, loss, ps, rate, eta);
        if (last) fputc('\n', stderr);
    } else if (last || epoch % x->log_every == 0) {
        fprintf(stderr, "%s epoch %d/%d loss %.6e%s (%.2f epochs/s)\n", x->name, epoch + 1,
                x->epochs, loss, ps, rate);
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
    /* Class labels checked (and class indices made one-hot) before the split, so that a
     * message's row number is the file's. */
    if (run_data_targets(&s->train, x->loss, x->out_dim, err, errlen)) return -1;
    if (x->split > 0 && (o->target || x->has_eval_target)) {
        io_errf(err, errlen, "%s: `split` holds out rows of the training data, and %s names "
                "another test set: give one of them", s->train.path,
                o->target ? "--target" : "the evaluation target");
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
        s->eval_on_train = !has_target && !(x->split > 0);
        if (has_target) {
            if (run_data_load(&t, x->source, 0, &s->eval_target, err, errlen)) return -1;
            if (run_data_targets(&s->eval_target, x->loss, x->out_dim, err, errlen)) return -1;
        } else if (x->split > 0 &&
                   run_data_split(&s->train, x->split, x->seed, &s->eval_target, err, errlen)) {
            return -1;
        }
        if (!s->eval_on_train && run_data_copy_points(&s->eval_target, &s->eval_grid, err, errlen))
            return -1;
        s->held_out = !s->eval_on_train;
    } else {
        if (grid <= 0 && has_target) grid = train_size; /* a target on the training grid */
        s->eval_on_train = grid <= 0 || (grid == train_size && !has_target);
    }
    /* Before anything big is allocated (the evaluation grid, the model's buffers), for qnnc
     * run/eval, native binaries and direct callers alike: an image grid beyond what an image can
     * be, and a run that needs more memory than the process may use (with the figure). */
    if (x->data.kind == RT_DATA_IMAGE && grid > RT_LIMIT_IMAGE_SIZE) {
        io_errf(err, errlen, "`--grid %d`: an image grid is at most %d x %d points", grid,
                RT_LIMIT_IMAGE_SIZE, RT_LIMIT_IMAGE_SIZE);
        return -1;
    }
    int threads = o->threads > 0 ? o->threads : x->threads > 0 ? x->threads : (int)sysconf(_SC_NPROCESSORS_ONLN);
    if (threads < 1) threads = 1;
    rt_mem_estimate me;
    rt_memory_estimate(x, circuits, threads, s->train.n, grid, &me);
    if (rt_memory_check(&me, err, errlen)) return -1;
    if (!s->eval_on_train && x->data.kind != RT_DATA_CSV) {
        if (has_target && run_data_load(&t, x->source, grid, &s->eval_target, err, errlen))
            return -1;
        if (run_grid(x->data.kind, grid, x->in_dim, &s->eval_grid, err, errlen)) return -1;
        s->eval_grid.out_dim = x->out_dim;
        s->eval_grid.rate = s->train.rate * grid / (train_size > 0 ? train_size : 1);
    }
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
    s->max_batch = max_batch;
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
    /* the training points are scored too when the test points are others (side by side) */
    s->pred_train = malloc(sizeof(double) * s->train.n * (size_t)x->out_dim);
    int c = n_classes(x);
    s->confusion = calloc(c > 0 ? (size_t)c * (size_t)c : 1, sizeof(long));
    s->eval_log = malloc(sizeof(double) * 4 * ((size_t)x->epochs + 1));
    for (size_t i = 0; s->eval_log && i < 4 * ((size_t)x->epochs + 1); i++) s->eval_log[i] = NAN;
    s->perm = malloc(sizeof(size_t) * s->train.n);
    s->loss_log = calloc((size_t)x->epochs + 1, sizeof(double));
    s->psnr_log = calloc((size_t)x->epochs + 1, sizeof(double));
    if (!s->opt || !s->grad || !s->batch_x || !s->batch_y || !s->pred_eval || !s->perm ||
        !s->loss_log || !s->psnr_log || !s->pred_train || !s->confusion || !s->eval_log) {
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
        /* Under MPI each rank takes a contiguous slice of the batch; the loss, every
         * gradient and batch norm's statistics are sums over the slices (rt_dist.h). */
        int ranks = rt_dist_size(), me = rt_dist_rank();
        if (len < (size_t)ranks) {
            io_errf(err, errlen, "a batch of %zu points cannot be split over %d ranks (batch = %d): "
                    "use fewer ranks or a larger batch", len, ranks, x->batch);
            return -1;
        }
        size_t lo = len * (size_t)me / (size_t)ranks, hi = len * (size_t)(me + 1) / (size_t)ranks;
        size_t mine = hi - lo;
        bx += lo * in;
        by += lo * out;
        rt_model_zero_grad(s->model);
        rt_dist_set_split(1);
        rt_dist_set_slice(lo, len);
        const double *pred = rt_model_forward(s->model, bx, (int)mine);
        if (!pred) {
            rt_dist_set_split(0);
            io_errf(err, errlen, "forward pass failed: %s", rt_error_last());
            return -1;
        }
        double l = loss_of(x, pred, by, mine, s->grad);
        if (rt_dist_active()) { /* the whole batch's mean loss, and its gradient */
            double part = l * (double)mine;
            rt_dist_sum(&part, 1);
            l = part / (double)len;
            double scale = (double)mine / (double)len;
            for (size_t i = 0; i < mine * out; i++) s->grad[i] *= scale;
        }
        if (!isfinite(l)) {
            rt_dist_set_split(0);
            io_errf(err, errlen, "training diverged at epoch %d: the loss is %s (learning rate %g); "
                                 "try a smaller learning rate", epoch + 1, isnan(l) ? "NaN" : "infinite",
                    rt_optim_lr(s->opt));
            return -1;
        }
        total += l * (double)len;
        int failed = rt_model_backward(s->model, s->grad);
        rt_dist_set_split(0);
        if (!failed && rt_dist_active())
            for (int k = 0; k < rt_model_n_tensors(s->model); k++) {
                rt_model_tensor t = rt_model_tensor_at(s->model, k);
                if (t.grad) rt_dist_sum(t.grad, t.count);
            }
        if (failed || rt_optim_step_model(s->opt, s->model)) {
            io_errf(err, errlen, "backward pass failed: %s", rt_error_last());
            return -1;
        }
        start += len;
    }
    *loss_out = total / (double)n;
    return 0;
}

/* The model's outputs on the points of g, in evaluation mode, into out. */
static int predict(const rt_experiment *x, run_state *s, const run_data *g, double *out, char *err,
                   size_t errlen) {
    rt_model_eval(s->model, x->bn_eval_running ? RT_BN_RUNNING : RT_BN_BATCH);
    const double *pred = rt_model_forward(s->model, g->coords, (int)g->n);
    rt_model_train(s->model);
    if (!pred) {
        io_errf(err, errlen, "evaluation failed: %s", rt_error_last());
        return -1;
    }
    memcpy(out, pred, sizeof(double) * g->n * (size_t)x->out_dim);
    return 0;
}

/* The standard errors of the trajectory means over the model's (top-level) quantum layers
 * since the last reset (rt_qlayer_trajectory_stats), pooled; k = 0 when none has any. */
static rt_qlayer_traj_stats trajectory_stats(rt_model *m, int reset) {
    rt_qlayer_traj_stats all = {0, 0, 0, 0};
    double sum = 0;
    for (int i = 0; i < rt_model_n_layers(m); i++) {
        rt_qlayer_traj_stats st = rt_qlayer_trajectory_stats(rt_model_layer(m, i), reset);
        if (!st.count) continue;
        all.k = st.k;
        sum += st.mean * (double)st.count;
        all.count += st.count;
        all.max = st.max > all.max ? st.max : all.max;
    }
    all.mean = all.count ? sum / (double)all.count : 0.0;
    return all;
}

static int evaluate(const rt_experiment *x, run_state *s, char *err, size_t errlen) {
    return predict(x, s, s->eval_on_train ? &s->train : &s->eval_grid, s->pred_eval, err, errlen);
}

/* JSON for one evaluation's figures: `"PREFIX_loss": v, ...`, the metrics asked for only. */
static void scores_json(const rt_experiment *x, const char *prefix, const run_scores *r, char *buf,
                        size_t n) {
    int k = snprintf(buf, n, ", \"%s_loss\": %.17g", prefix, r->loss);
    if (x->metric_mse && k > 0 && (size_t)k < n) k += snprintf(buf + k, n - (size_t)k, ", \"%s_mse\": %.17g", prefix, r->mse);
    if (x->metric_psnr && k > 0 && (size_t)k < n) k += snprintf(buf + k, n - (size_t)k, ", \"%s_psnr\": %.6f", prefix, r->psnr);
    if (x->metric_accuracy && k > 0 && (size_t)k < n)
        snprintf(buf + k, n - (size_t)k, ", \"%s_accuracy\": %.17g", prefix, r->accuracy);
}

/* eval_every: the test points (when held out) and the training points scored in evaluation
 * mode after epoch e's update, logged and kept for the report's curves. */
static int periodic_eval(const rt_experiment *x, run_state *s, int e, char *line, size_t n, char *err,
                         size_t errlen) {
    if (predict(x, s, &s->train, s->pred_train, err, errlen)) return -1;
    run_scores tr = score(x, s->pred_train, s->train.values, s->train.n, NULL), te = {NAN, NAN, NAN, NAN};
    if (s->held_out) {
        if (evaluate(x, s, err, errlen)) return -1;
        te = score(x, s->pred_eval, s->eval_target.values, s->eval_grid.n, NULL);
    }
    double *log = s->eval_log + 4 * (size_t)e;
    log[0] = te.loss, log[1] = te.accuracy, log[2] = tr.loss, log[3] = tr.accuracy;
    size_t k = strlen(line);
    if (k < n) scores_json(x, "train", &tr, line + k, n - k);
    k = strlen(line);
    if (s->held_out && k < n) scores_json(x, "test", &te, line + k, n - k);
    return 0;
}

/* The decision boundary of a classifier of 2-D inputs for its report: the predicted class on
 * a grid over the points' box (padded by a tenth), predicted in chunks of the batch the model
 * was built for. Left out (0, no figure) when batch norm normalises with the statistics of the
 * batch evaluated: a grid's chunks would each be normalised differently. */
enum { BOUNDARY_SIDE = 120 };

static int decision_boundary(const rt_experiment *x, run_state *s, char *err, size_t errlen) {
    int k = n_classes(x);
    if (k < 2 || x->in_dim != 2 || x->out_dim > 64) return 0;
    for (int i = 0; i < x->n_layers; i++)
        if (x->layers[i].kind == RT_LAYER_BATCHNORM && !x->bn_eval_running) return 0;
    run_boundary *b = &s->boundary;
    const run_data *parts[2] = {&s->train, s->held_out ? &s->eval_target : NULL};
    size_t n = s->train.n + (s->held_out ? s->eval_target.n : 0), G = BOUNDARY_SIDE;
    b->grid = malloc(sizeof(int) * G * G);
    b->xy = malloc(sizeof(double) * 2 * (n > G * G ? n : G * G));
    b->cls = malloc(sizeof(int) * (n ? n : 1));
    b->is_test = malloc(n ? n : 1);
    if (!b->grid || !b->xy || !b->cls || !b->is_test) {
        io_errf(err, errlen, "decision boundary: out of memory");
        return -1;
    }
    double x0 = INFINITY, x1 = -INFINITY, y0 = INFINITY, y1 = -INFINITY;
    for (int p = 0; p < 2; p++)
        for (size_t i = 0; parts[p] && i < parts[p]->n; i++) {
            x0 = fmin(x0, parts[p]->coords[2 * i]), x1 = fmax(x1, parts[p]->coords[2 * i]);
            y0 = fmin(y0, parts[p]->coords[2 * i + 1]), y1 = fmax(y1, parts[p]->coords[2 * i + 1]);
        }
    double px = x1 > x0 ? 0.1 * (x1 - x0) : 1, py = y1 > y0 ? 0.1 * (y1 - y0) : 1;
    b->g = (int)G, b->x0 = x0 - px, b->x1 = x1 + px, b->y0 = y0 - py, b->y1 = y1 + py;
    /* the grid's coordinates first (xy is large enough), predicted chunk by chunk */
    for (size_t i = 0; i < G; i++)
        for (size_t j = 0; j < G; j++) {
            b->xy[2 * (i * G + j)] = b->x0 + ((double)j + 0.5) * (b->x1 - b->x0) / (double)G;
            b->xy[2 * (i * G + j) + 1] = b->y1 - ((double)i + 0.5) * (b->y1 - b->y0) / (double)G;
        }
    rt_model_eval(s->model, x->bn_eval_running ? RT_BN_RUNNING : RT_BN_BATCH);
    for (size_t start = 0; start < G * G; start += s->max_batch) {
        size_t len = G * G - start < s->max_batch ? G * G - start : s->max_batch;
        const double *pred = rt_model_forward(s->model, b->xy + 2 * start, (int)len);
        if (!pred) {
            rt_model_train(s->model);
            io_errf(err, errlen, "decision boundary: %s", rt_error_last());
            return -1;
        }
        for (size_t i = 0; i < len; i++) b->grid[start + i] = rt_class_of(pred + i * (size_t)x->out_dim, x->out_dim, 0.0);
    }
    rt_model_train(s->model);
    b->n = 0;
    for (int p = 0; p < 2; p++)
        for (size_t i = 0; parts[p] && i < parts[p]->n; i++, b->n++) {
            const double *t = parts[p]->values + i * (size_t)x->out_dim;
            b->xy[2 * b->n] = parts[p]->coords[2 * i];
            b->xy[2 * b->n + 1] = parts[p]->coords[2 * i + 1];
            b->cls[b->n] = x->out_dim == 1 ? t[0] >= 0.5 : rt_class_of(t, x->out_dim, 0.0);
            b->is_test[b->n] = (unsigned char)p;
        }
    return 1;
}

/* "mse 1.2e-02, psnr 25.1 dB" or "loss 0.31, accuracy 91.50%": the figures asked for. */
static void figures_text(const rt_experiment *x, double loss, double mse, double psnr, double acc,
                         char *buf, size_t n) {
    int k = 0;
    buf[0] = '\0';
    if (rt_task_is_classification(x->loss) || (!x->metric_mse && !x->metric_psnr))
        k = snprintf(buf, n, "%s %.4e", rt_loss_name(x->loss), loss);
    if (x->metric_mse && k >= 0 && (size_t)k < n) k += snprintf(buf + k, n - (size_t)k, "%smse %.4e", k ? ", " : "", mse);
    if (x->metric_psnr && k >= 0 && (size_t)k < n) k += snprintf(buf + k, n - (size_t)k, "%spsnr %.2f dB", k ? ", " : "", psnr);
    if (x->metric_accuracy && k >= 0 && (size_t)k < n)
        snprintf(buf + k, n - (size_t)k, "%saccuracy %.2f%%", k ? ", " : "", 100 * acc);
}

/* Superresolution baselines: the training image upsampled to the evaluation grid, by nearest
 * neighbour, bilinear and bicubic interpolation (torch's definitions, io_image.h); each kept in
 * r->sig_up[m] when keep (the comparison report draws them), else freed. */
static void interpolation_baselines(const rt_experiment *x, const run_state *s, rt_run_result *r, int keep) {
    if (x->data.kind != RT_DATA_IMAGE || s->eval_on_train || !s->eval_target.values) return;
    static const io_interp methods[3] = {IO_INTERP_NEAREST, IO_INTERP_BILINEAR, IO_INTERP_BICUBIC};
    io_image low;
    char err[256];
    int c = x->out_dim, side = s->train.height, big = s->eval_grid.height;
    if (io_image_alloc(&low, side, side, c, err, sizeof err)) return;
    size_t hw = (size_t)side * side, HW = (size_t)big * big;
    for (size_t p = 0; p < hw; p++)
        for (int k = 0; k < c; k++) low.data[k * hw + p] = s->train.values[p * c + k];
    int done = 0;
    for (int m = 0; m < 3; m++) {
        io_image up;
        double *flat = malloc(sizeof(double) * HW * (size_t)c);
        if (!flat || io_image_upsample(&low, big, big, methods[m], 0, &up, err, sizeof err)) {
            free(flat);
            break;
        }
        for (size_t p = 0; p < HW; p++)
            for (int k = 0; k < c; k++) flat[p * c + k] = up.data[k * HW + p];
        io_image_free(&up);
        double mse = rt_metric_mse(flat, s->eval_target.values, HW * (size_t)c);
        *(m == 0 ? &r->mse_nearest : m == 1 ? &r->mse_bilinear : &r->mse_bicubic) = mse;
        if (keep) r->sig_up[m] = flat;
        else free(flat);
        done++;
    }
    r->has_baselines = done == 3;
    io_image_free(&low);
}

/* Keeps the evaluated signal of an image or sound run in r (see rt_run_result) and splits its
 * relative error into low and high frequencies. Without memory it keeps nothing: the figures
 * that need it are then left out of the comparison, the run itself is not affected. */
static void keep_signal(const rt_experiment *x, const run_data *g, const double *pred, const double *target,
                        rt_run_result *r) {
    if (!target || (x->data.kind != RT_DATA_IMAGE && x->data.kind != RT_DATA_SOUND)) return;
    int c = x->out_dim;
    int n0 = x->data.kind == RT_DATA_IMAGE ? g->height : (int)g->n;
    int n1 = x->data.kind == RT_DATA_IMAGE ? g->width : 1;
    size_t n = (size_t)n0 * (size_t)n1, nv = n * (size_t)c;
    double *t = malloc(sizeof(double) * nv), *p = malloc(sizeof(double) * nv);
    double *t0 = malloc(sizeof(double) * n), *p0 = malloc(sizeof(double) * n);
    if (t && p && t0 && p0) {
        memcpy(t, target, sizeof(double) * nv);
        memcpy(p, pred, sizeof(double) * nv);
        for (size_t i = 0; i < n; i++) t0[i] = t[i * (size_t)c], p0[i] = p[i * (size_t)c];
        report_spectral_error(t0, p0, n0, n1, REPORT_SPECTRAL_CUTOFF, &r->low_rel_err, &r->high_rel_err);
        r->sig_truth = t, r->sig_pred = p, t = p = NULL;
        r->sig_n0 = n0, r->sig_n1 = n1, r->sig_channels = c;
        r->sig_lo = x->data.kind == RT_DATA_IMAGE ? x->data.lo : -1;
        r->sig_hi = x->data.kind == RT_DATA_IMAGE ? x->data.hi : 1;
    }
    free(t);
    free(p);
    free(t0);
    free(p0);
}

/* Room for the output folder, and for it joined with a name of rt_spec.h (Linux's PATH_MAX
 * each): nothing is cut, and run_outputs_check refused longer output paths before the run. */
#define RUN_PATH_ROOM 4096

static const char *join(char *buf, size_t n, const char *dir, const char *file) {
    if (file[0] == '/') snprintf(buf, n, "%s", file);
    else snprintf(buf, n, "%s/%s", dir, file);
    return buf;
}

/* What every rank of a distributed run must agree on: qnn's version, the experiment's name,
 * sizes and training settings, the model's layers and parameter count, the data's size. */
static uint64_t experiment_hash(const rt_experiment *x, const run_state *s) {
    uint64_t h = 0xcbf29ce484222325ULL;
#define MIX(p, n) for (size_t i_ = 0; i_ < (n); i_++) h = (h ^ ((const unsigned char *)(p))[i_]) * 0x100000001b3ULL
    MIX(QNN_VERSION, sizeof QNN_VERSION);
    MIX(x->name, strlen(x->name));
    long long v[] = {x->in_dim, x->out_dim, x->n_layers, x->epochs, (long long)x->seed, x->batch,
                     (long long)rt_model_n_params(s->model), (long long)s->train.n, x->loss};
    MIX(v, sizeof v);
    double d[] = {x->lr, x->lr_min};
    MIX(d, sizeof d);
    for (int i = 0; i < x->n_layers; i++) {
        long long l[] = {x->layers[i].kind, x->layers[i].in, x->layers[i].out};
        MIX(l, sizeof l);
    }
#undef MIX
    return h;
}

int rt_run_experiment(const rt_experiment *x, const rt_circuit *const *circuits,
                      const rt_run_options *o, rt_run_result *result) {
    char err[2048] = "", dir[RUN_PATH_ROOM], path[2 * RUN_PATH_ROOM + 2], line[1024];
    rt_run_result r;
    memset(&r, 0, sizeof r);
    r.final_loss = NAN; /* until an epoch has run (eval only: never) */
    r.energy = r.exact_energy = NAN;
    r.mse_bilinear = r.mse_nearest = r.mse_bicubic = r.low_rel_err = r.high_rel_err = NAN;
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
    if (rt_dist_start(err, sizeof err)) goto done;
    /* Under MPI only rank 0 writes and prints; the others compute the same run. */
    int writer = rt_dist_writer(), quiet = o->quiet || !writer;
    if (x->gen.on) { /* a GAN (language.md §6.17): run_gan's loop and outputs */
        if (rt_dist_size() > 1) {
            io_errf(err, sizeof err, "a generative experiment runs as one process, not over %d ranks",
                    rt_dist_size());
            goto done;
        }
        if (io_mkdir_p(dir, err, sizeof err)) goto done;
        if (run_generate(x, circuits, o, dir, &r, err, sizeof err) == 0) rc = 0;
        goto done;
    }
    if (x->objective != RT_OBJECTIVE_NONE) { /* no data: its own driver, the same outputs */
        if (rt_dist_size() > 1) {
            io_errf(err, sizeof err, "an objective experiment has no data to split over %d "
                    "ranks: run it as one process (`qnnc sweep --jobs N` runs several)",
                    rt_dist_size());
            goto done;
        }
        if (io_mkdir_p(dir, err, sizeof err)) goto done;
        if (run_objective(x, circuits, o, dir, &r, err, sizeof err) == 0) rc = 0;
        goto done;
    }
    if ((writer && io_mkdir_p(dir, err, sizeof err)) || prepare(x, circuits, o, &s, err, sizeof err)) goto done;
    r.n_params = (long long)rt_model_n_params(s.model);
    if (!rt_dist_agree(experiment_hash(x, &s))) {
        io_errf(err, sizeof err, "the ranks do not run the same experiment (another file, other "
                "settings or another qnn on some rank): every rank must start the same command");
        goto done;
    }
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
    /* The log's first line says which run it is (run_output.h), as summary.md's header does. */
    size_t header_len = run_metrics_header(x, NULL, 0) + 1;
    char *header = malloc(header_len);
    if (header) {
        run_metrics_header(x, header, header_len);
        metrics_add(&s, header);
        free(header);
    }
    int tty = isatty(fileno(stderr));
    double t0 = now();
    for (int e = first; e < x->epochs; e++) {
        rt_optim_set_lr(s.opt, rt_sched_lr(&sched, e));
        double loss;
        if (train_epoch(x, &s, e, &loss, err, sizeof err)) goto done;
        double psnr = epoch_psnr(x, loss);
        s.loss_log[e] = loss;
        s.psnr_log[e] = psnr;
        r.final_loss = loss;
        r.epochs_run++;
        progress(x, e, first, loss, psnr, t0, tty, quiet, e + 1 == x->epochs);
        int k = snprintf(line, sizeof line, "{\"epoch\": %d, \"loss\": %.17g", e + 1, loss);
        if (!isnan(psnr)) k += snprintf(line + k, sizeof line - (size_t)k, ", \"psnr\": %.6f", psnr);
        snprintf(line + k, sizeof line - (size_t)k, ", \"lr\": %.17g, \"seconds\": %.6f", rt_optim_lr(s.opt),
                 now() - t0);
        if (x->eval_every > 0 && ((e + 1) % x->eval_every == 0 || e + 1 == x->epochs) &&
            periodic_eval(x, &s, e, line, sizeof line - 2, err, sizeof err))
            goto done;
        k = (int)strlen(line);
        snprintf(line + k, sizeof line - (size_t)k, "}");
        metrics_add(&s, line);
        if (writer && ((e + 1) % x->log_every == 0 || e + 1 == x->epochs)) {
            if (io_write_file_atomic(join(path, sizeof path, dir, "metrics.jsonl"), s.metrics,
                                     s.metrics_len, err, sizeof err))
                goto done;
        }
    }
    r.seconds = now() - t0;
    r.seconds_per_epoch = r.epochs_run ? r.seconds / r.epochs_run : 0;
    trajectory_stats(s.model, 1); /* the figures below are the final evaluation's */
    if (evaluate(x, &s, err, sizeof err)) goto done;
    rt_qlayer_traj_stats traj = trajectory_stats(s.model, 1);
    const run_data *g = s.eval_on_train ? &s.train : &s.eval_grid;
    const double *target = s.eval_on_train ? s.train.values : s.eval_target.values;
    size_t nv = g->n * (size_t)x->out_dim;
    r.mse = r.psnr = r.accuracy = r.eval_loss = NAN;
    r.train_loss = r.train_mse = r.train_psnr = r.train_accuracy = NAN;
    r.n_eval = (long long)g->n;
    r.n_train = (long long)s.train.n;
    r.held_out = s.held_out;
    if (target) {
        run_scores sc = score(x, s.pred_eval, target, g->n, s.confusion);
        r.eval_loss = sc.loss, r.mse = sc.mse, r.psnr = sc.psnr, r.accuracy = sc.accuracy;
    }
    if (s.held_out) { /* the training points scored too, beside the test figures */
        if (predict(x, &s, &s.train, s.pred_train, err, sizeof err)) goto done;
        run_scores tr = score(x, s.pred_train, s.train.values, s.train.n, NULL);
        r.train_loss = tr.loss, r.train_mse = tr.mse, r.train_psnr = tr.psnr, r.train_accuracy = tr.accuracy;
    }
    /* A NaN or infinite score is not a result: say which and why, instead of printing
     * "mse nan, psnr inf dB" and exiting 0 (the data and the weights were checked finite at
     * load, so only the model's outputs can be at fault). */
    size_t bad = 0;
    for (size_t i = 0; i < nv; i++) bad += !isfinite(s.pred_eval[i]);
    if (bad || (target && (!isfinite(r.eval_loss) || (x->metric_mse && !isfinite(r.mse)) ||
                           (x->metric_psnr && isnan(r.psnr))))) {
        /* Name the weights evaluated: a checkpoint given, else the run's own training. */
        const char *who = ckpt ? ckpt : "", *sep = ckpt ? ": " : "";
        const char *why = ckpt ? "the checkpoint's weights are unusable" : "the training diverged";
        if (target && !bad)
            io_errf(err, sizeof err, "%s%sevaluation: the %s is infinite: the model's outputs "
                    "are too large to compare with the target (%s)", who, sep,
                    x->metric_mse ? "mse" : "loss", why);
        else if (target)
            io_errf(err, sizeof err, "%s%sevaluation: the %s is %s: %zu of %zu model outputs "
                    "are not finite (%s)", who, sep, x->metric_mse ? "mse" : "loss",
                    isnan(x->metric_mse ? r.mse : r.eval_loss) ? "NaN" : "infinite", bad, nv, why);
        else
            io_errf(err, sizeof err, "%s%sevaluation: %zu of %zu model outputs are not finite "
                    "(%s)", who, sep, bad, nv, why);
        goto done;
    }
    /* The signals are kept only for a caller that asks (a batch's comparison figures). */
    int keep = result && o->keep_signals;
    interpolation_baselines(x, &s, &r, keep);
    if (keep) keep_signal(x, g, s.pred_eval, target, &r);
    if (!writer) goto written;
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
        int has_boundary = target ? decision_boundary(x, &s, err, sizeof err) : 0;
        if (has_boundary < 0) goto done;
        run_report_input in = {x, &s.train, g, s.pred_eval, target, s.loss_log, s.psnr_log, &r,
                               n_classes(x), s.confusion, x->eval_every > 0 ? s.eval_log : NULL,
                               has_boundary ? &s.boundary : NULL};
        if (run_write_report(join(path, sizeof path, dir, x->out_report), &in, err, sizeof err)) goto done;
        size_t n = strlen(path); /* within run_outputs_check's limit; never cut */
        if (n < sizeof r.report_dir) memcpy(r.report_dir, path, n + 1);
    }
written:
    if (r.epochs_run > 0 && (r.loss = malloc(sizeof(double) * (size_t)r.epochs_run))) {
        memcpy(r.loss, s.loss_log + (x->epochs - r.epochs_run), sizeof(double) * (size_t)r.epochs_run);
        r.n_loss = r.epochs_run;
    }
    if (writer && (!o->quiet || o->eval_only)) {
        if (o->eval_only)
            fprintf(stderr, "%s: %d parameters, evaluated on %zu points", x->name, (int)r.n_params, g->n);
        else
            fprintf(stderr, "%s: %d parameters, %d epochs in %.2f s (%.2f ms/epoch)", x->name,
                    (int)r.n_params, r.epochs_run, r.seconds, 1e3 * r.seconds_per_epoch);
        if (target) {
            char a[256], b[256];
            figures_text(x, r.eval_loss, r.mse, r.psnr, r.accuracy, a, sizeof a);
            if (s.held_out && !o->eval_only) {
                figures_text(x, r.train_loss, r.train_mse, r.train_psnr, r.train_accuracy, b, sizeof b);
                fprintf(stderr, ", test on %lld points: %s; train on %lld points: %s", r.n_eval, a,
                        r.n_train, b);
            } else {
                fprintf(stderr, ", final %s", a);
                if (s.held_out) { /* eval: "evaluated on N points" above names the test points */
                    figures_text(x, r.train_loss, r.train_mse, r.train_psnr, r.train_accuracy, b, sizeof b);
                    fprintf(stderr, "; train on %lld points: %s", r.n_train, b);
                }
            }
        }
        if (r.has_baselines)
            fprintf(stderr, " (bilinear %.4e, bicubic %.4e, nearest %.4e)", r.mse_bilinear, r.mse_bicubic,
                    r.mse_nearest);
        fputc('\n', stderr);
        if (traj.count) /* docs/semantics.md §10.4: how far the means may be from exact */
            fprintf(stderr, "%s: trajectories: the final evaluation's %lld circuit outputs are "
                            "means of %d runs, standard error mean %.3e, max %.3e\n",
                    x->name, traj.count, traj.k, traj.mean, traj.max);
        fprintf(stderr, "%s: outputs in %s\n", x->name, dir);
    }
    rc = 0;
done:
    /* A failure on one rank would leave the others waiting in their next sum: stop them all. */
    if (rc && rt_dist_size() > 1) {
        char msg[2300];
        snprintf(msg, sizeof msg, "%s: %s", x->name, err[0] ? err : "the run failed");
        rt_dist_abort(msg);
    }
    if (rc) fail(x->name, err);
    state_free(&s);
    if (result) *result = r;
    else rt_run_result_free(&r);
    return rc;
}

void rt_run_result_free(rt_run_result *r) {
    free(r->sig_truth);
    free(r->sig_pred);
    for (int m = 0; m < 3; m++) free(r->sig_up[m]), r->sig_up[m] = NULL;
    r->sig_truth = r->sig_pred = NULL;
    free(r->loss);
    r->loss = NULL;
    r->n_loss = 0;
}
