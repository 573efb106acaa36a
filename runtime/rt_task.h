/* rt_task: what kind of task an experiment is (signal fitting or classification) and the
 * rules that tie its loss, its model's last layer, its targets, its metrics and its held-out
 * split together. One set of checks, applied by `qnnc check` (compiler/sema_exp.c), by a
 * native binary's --set (rt_settings.c) and by the runtime, so that each refuses what the
 * others refuse, with the same words (docs/language.md section 6.5, 6.9). Header only: the
 * front end includes it without linking the runtime. */
#ifndef QNN_RT_TASK_H
#define QNN_RT_TASK_H

#include <math.h>
#include <stdio.h>

#include "rt_limits.h"
#include "rt_spec.h"

static inline int rt_task_is_classification(rt_loss_kind l) {
    return l == RT_LOSS_CROSS_ENTROPY || l == RT_LOSS_BCE;
}

static inline const char *rt_loss_name(rt_loss_kind l) {
    static const char *const names[] = {"mse", "l1", "cross_entropy", "bce", "huber"};
    return (unsigned)l < sizeof names / sizeof *names ? names[l] : "?";
}

/* The metrics an experiment reports when its `eval` gives none: MSE and PSNR for a signal,
 * accuracy for classes. */
static inline void rt_task_default_metrics(rt_experiment *x) {
    int cls = rt_task_is_classification(x->loss);
    x->metric_mse = x->metric_psnr = !cls;
    x->metric_accuracy = cls;
}

/* After the loss changed from `old` (a native binary's --set loss=...): metrics that were the
 * old task's defaults become the new task's, any other list is kept (and checked). */
static inline void rt_task_metrics_follow_loss(rt_experiment *x, rt_loss_kind old) {
    int cls = rt_task_is_classification(old);
    if (x->metric_mse == !cls && x->metric_psnr == !cls && x->metric_accuracy == cls)
        rt_task_default_metrics(x);
}

/* Value columns of the data: what the model's outputs are compared with. */
static inline int rt_task_data_columns(const rt_data_spec *d) {
    return d->kind == RT_DATA_IMAGE ? d->channels : d->kind == RT_DATA_SOUND ? 1 : d->n_outputs;
}

/* Whether a data source with `cols` value columns fits a model of out_dim outputs under
 * the loss: equal widths, or for cross_entropy one class-index column. */
static inline int rt_task_columns_fit(rt_loss_kind loss, int cols, int out_dim) {
    return cols == out_dim || (loss == RT_LOSS_CROSS_ENTROPY && cols == 1 && out_dim >= 2);
}

/* The rules, on an experiment whose every setting is filled in: 0, or -1 with one line in
 * buf and the setting at fault in *what ("loss", "eval", "split", "eval_every", "objective"). */
/* An objective experiment (language.md section 6.14): no data, a model without inputs, one of
 * its outputs optimised; nothing held out or evaluated against a target. */
static inline int rt_task_check_objective(const rt_experiment *x, const char **what, char *buf, size_t n) {
    *what = "objective";
    if (x->data.kind != RT_DATA_NONE)
        return snprintf(buf, n, "`data` and `objective` both say what the model is trained for: an "
                        "experiment fits data or optimises an objective, not both"), -1;
    if (x->in_dim != 0)
        return snprintf(buf, n, "an experiment with an `objective` has no data to feed the model's "
                        "%d inputs", x->in_dim), -1;
    if (x->objective_output < 0 || x->objective_output >= x->out_dim)
        return snprintf(buf, n, "unknown output %d: the model has %d output%s", x->objective_output,
                        x->out_dim, x->out_dim == 1 ? "" : "s"), -1;
    if (x->split != 0 || x->has_eval_target || x->eval_every != 0)
        return snprintf(buf, n, "`%s` is about data, and an experiment with an `objective` has none",
                        x->split != 0 ? "split" : x->has_eval_target ? "eval" : "eval_every"), -1;
    return 0;
}

static inline int rt_task_check(const rt_experiment *x, const char **what, char *buf, size_t n) {
    if (x->objective != RT_OBJECTIVE_NONE) return rt_task_check_objective(x, what, buf, n);
    if (x->data.kind == RT_DATA_NONE) {
        *what = "objective";
        return snprintf(buf, n, "an experiment without data needs an `objective`, e.g. "
                        "`objective = minimize`"), -1;
    }
    const char *loss = rt_loss_name(x->loss);
    int k = x->out_dim, cls = rt_task_is_classification(x->loss);
    int cols = rt_task_data_columns(&x->data);
    rt_layer_type last = RT_LAYER_LINEAR;   /* the model's own last layer, not a nested one */
    for (int i = x->n_layers - 1; i >= 0; i--)
        if (x->layers[i].parent == 0) { last = x->layers[i].kind; break; }
    *what = "loss";
    if (x->loss == RT_LOSS_HUBER && !(x->huber_delta > 0 && isfinite(x->huber_delta)))
        return snprintf(buf, n, "`delta` of `huber` must be positive, got %g", x->huber_delta), -1;
    if (cls && x->data.kind != RT_DATA_CSV)
        return snprintf(buf, n, "`%s` needs class labels, which come from a CSV table (this "
                        "experiment's data is %s)", loss,
                        x->data.kind == RT_DATA_IMAGE ? "an image" : "sound"), -1;
    if (x->loss == RT_LOSS_CROSS_ENTROPY && k < 2)
        return snprintf(buf, n, "`cross_entropy` needs one model output per class (at least 2), "
                        "but the model has %d; with one output for two classes use `bce`", k), -1;
    if (x->loss == RT_LOSS_CROSS_ENTROPY && cols != 1 && cols != k)
        return snprintf(buf, n, "`cross_entropy` takes 1 target column (the class index, 0 to %d) "
                        "or %d (one-hot), but the CSV gives %d value columns", k - 1, k, cols), -1;
    if (x->loss != RT_LOSS_CROSS_ENTROPY && cols != k)
        return snprintf(buf, n, "`%s` compares each of the model's %d outputs with a value column, "
                        "but the data has %d%s", loss, k, cols,
                        cols == 1 ? " (one class-index column needs `cross_entropy`)" : ""), -1;
    if (cls && (last == RT_LAYER_SOFTMAX || last == RT_LAYER_SIGMOID ||
                (x->loss == RT_LOSS_BCE && last == RT_LAYER_LOG_SOFTMAX)))
        return snprintf(buf, n, "`%s` takes logits (it applies the %s itself), but the model ends "
                        "with `%s`: remove that layer%s", loss,
                        x->loss == RT_LOSS_BCE ? "sigmoid" : "log-softmax",
                        last == RT_LAYER_SOFTMAX ? "softmax" : last == RT_LAYER_SIGMOID ? "sigmoid" : "log_softmax",
                        x->loss == RT_LOSS_CROSS_ENTROPY ? " (or end with `log_softmax`)" : ""), -1;
    *what = "eval";
    if (!x->metric_mse && !x->metric_psnr && !x->metric_accuracy)
        return snprintf(buf, n, "`metrics` is empty: give at least one of %s",
                        cls ? "accuracy" : "mse, psnr"), -1;
    if (cls && (x->metric_mse || x->metric_psnr))
        return snprintf(buf, n, "`%s` is a signal metric; a classification experiment (loss `%s`) "
                        "reports its loss and `accuracy`", x->metric_psnr ? "psnr" : "mse", loss), -1;
    if (!cls && x->metric_accuracy)
        return snprintf(buf, n, "`accuracy` needs a classification loss (`cross_entropy` or "
                        "`bce`); this experiment's loss is `%s`", loss), -1;
    *what = "split";
    if (x->split != 0 && !(x->split > 0 && x->split < 1))
        return snprintf(buf, n, "`split` is the fraction of rows trained on: a number between 0 "
                        "and 1 (exclusive), got %g", x->split), -1;
    if (x->split != 0 && x->data.kind != RT_DATA_CSV)
        return snprintf(buf, n, "`split` holds out rows of a CSV table; for %s give the held-out "
                        "signal as `eval = grid(target = ...)`",
                        x->data.kind == RT_DATA_IMAGE ? "an image" : "sound"), -1;
    if (x->split != 0 && x->has_eval_target)
        return snprintf(buf, n, "`split` and an evaluation target both name the test points: "
                        "give one of them"), -1;
    *what = "eval_every";
    if (x->eval_every < 0 || x->eval_every > RT_LIMIT_EPOCHS)
        return snprintf(buf, n, "`eval_every` must be between 0 and %d, got %d", RT_LIMIT_EPOCHS,
                        x->eval_every), -1;
    return 0;
}

#endif
