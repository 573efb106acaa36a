/* run_objective: the training driver of an experiment without data. The model (no inputs) is
 * evaluated once per epoch; the loss is +-output k (minimise / maximise), whose gradient is
 * the unit vector at k, backpropagated by the circuits' vjp as for any loss; Adam or SGD and
 * the schedule as usual. The exact optimum (rt_exact.h) is computed before training when the
 * compiler passed the Hamiltonian, and reported with the absolute and relative errors. */
#define _XOPEN_SOURCE 700 /* fileno, isatty */
#include "run_objective.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "io_file.h"
#include "rt_error.h"
#include "rt_exact.h"
#include "rt_limits.h"
#include "rt_optim.h"
#include "rt_pool.h"
#include "rt_rng.h"
#include "rt_sched.h"
#include "run_checkpoint.h"
#include "run_model.h"
#include "run_output.h"
#include "run_report.h"

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static const char *join(char *buf, size_t n, const char *dir, const char *file) {
    if (file[0] == '/') snprintf(buf, n, "%s", file);
    else snprintf(buf, n, "%s/%s", dir, file);
    return buf;
}

/* The exact optimum, or NaN with the reason printed (too large, not known, `exact = off`). */
static double exact_optimum(const rt_experiment *x, int quiet, char *err, size_t errlen, int *failed) {
    *failed = 0;
    if (x->exact == RT_EXACT_OFF) return NAN;
    if (x->ham_qubits < 1) {
        if (!quiet)
            fprintf(stderr, "%s: no exact %s: output %d is not an expectation value of the model's "
                    "last layer\n", x->name, x->objective == RT_OBJECTIVE_MAXIMIZE ? "maximum" : "ground energy",
                    x->objective_output);
        return NAN;
    }
    if (x->ham_qubits > RT_EXACT_MAX_QUBITS) {
        char b[32];
        rt_format_bytes(rt_exact_bytes(x->ham_qubits, x->ham_n_terms, x->ham_terms), b, sizeof b);
        if (!quiet)
            fprintf(stderr, "%s: no exact energy: the %d-qubit Hamiltonian is a %llu x %llu matrix "
                    "(%s); `exact = auto` diagonalises up to %d qubits\n", x->name, x->ham_qubits,
                    1ull << x->ham_qubits, 1ull << x->ham_qubits, b, RT_EXACT_MAX_QUBITS);
        return NAN;
    }
    /* Checked like the run's own memory: the matrix is allocated whole. */
    if (rt_memory_check_bytes(rt_exact_bytes(x->ham_qubits, x->ham_n_terms, x->ham_terms),
                              "the exact energy's dense matrix", "--set exact=off trains without it",
                              err, errlen)) {
        *failed = 1;
        return NAN;
    }
    double e;
    if (rt_exact_eigenvalue(x->ham_qubits, x->ham_n_terms, x->ham_terms,
                            x->objective == RT_OBJECTIVE_MAXIMIZE, &e, err, errlen)) {
        *failed = 1;
        return NAN;
    }
    return e;
}

int run_objective(const rt_experiment *x, const rt_circuit *const *circuits, const rt_run_options *o,
                  const char *dir, rt_run_result *r, char *err, size_t errlen) {
    char path[2 * 4096 + 2], line[512];
    rt_pool *pool = NULL;
    rt_model *model = NULL;
    rt_optim *opt = NULL;
    double *energy = NULL, *grad = NULL;
    char *metrics = NULL;
    size_t metrics_len = 0, metrics_cap = 0;
    int rc = -1, first = 0, k = x->objective_output, failed;
    double sign = x->objective == RT_OBJECTIVE_MAXIMIZE ? -1.0 : 1.0, none = 0;
    const char *what = x->objective == RT_OBJECTIVE_MAXIMIZE ? "maximum" : "ground energy";
    if (o->target || o->grid) {
        io_errf(err, errlen, "%s: an experiment with an `objective` has no data, so no %s",
                o->target ? "--target" : "--grid", o->target ? "target to compare with" : "grid to evaluate on");
        return -1;
    }
    int threads = o->threads > 0 ? o->threads : x->threads > 0 ? x->threads : (int)sysconf(_SC_NPROCESSORS_ONLN);
    if (threads < 1) threads = 1;
    rt_mem_estimate me;
    rt_memory_estimate(x, circuits, threads, 1, 0, &me);
    if (rt_memory_check(&me, err, errlen)) return -1;
    double t_exact = now();
    double exact = exact_optimum(x, o->quiet && !o->eval_only, err, errlen, &failed);
    if (failed) return -1;
    t_exact = now() - t_exact;
    if (!isnan(exact) && !o->quiet)
        fprintf(stderr, "%s: exact %s %.12g (dense diagonalisation, %d qubits, %.2f s)\n", x->name, what,
                exact, x->ham_qubits, t_exact);
    if (!(pool = rt_pool_create(threads))) {
        io_errf(err, errlen, "%s", rt_error_last());
        goto done;
    }
    rt_rng rng;
    rt_rng_seed(&rng, x->seed);
    if (!(model = run_build_model(x, circuits, pool, &rng, err, errlen))) goto done;
    if (rt_model_build(model, 1)) {
        io_errf(err, errlen, "%s", rt_error_last());
        goto done;
    }
    size_t np = rt_model_n_params(model);
    opt = x->optimizer == RT_OPT_SGD ? rt_sgd_create(np, x->lr, x->momentum, x->weight_decay)
                                     : rt_adam_create(np, x->lr, x->beta1, x->beta2, x->eps, x->weight_decay);
    energy = malloc(sizeof *energy * ((size_t)x->epochs + 1));
    grad = calloc((size_t)x->out_dim, sizeof *grad);
    if (!opt || !energy || !grad) {
        io_errf(err, errlen, "out of memory");
        goto done;
    }
    for (int e = 0; e <= x->epochs; e++) energy[e] = NAN; /* not run here: left out of plots */
    /* The log's first line says which run it is (run_output.h), as in run_train.c. */
    metrics_cap = run_metrics_header(x, NULL, 0) + 2;
    if (!(metrics = malloc(metrics_cap))) {
        io_errf(err, errlen, "out of memory");
        goto done;
    }
    metrics_len = run_metrics_header(x, metrics, metrics_cap);
    metrics[metrics_len++] = '\n';
    r->n_params = (long long)np;
    const char *ckpt = o->eval_only ? o->checkpoint : o->resume;
    if (ckpt && run_checkpoint_load(ckpt, x, model, o->eval_only ? NULL : opt, o->eval_only ? NULL : &first,
                                    err, errlen))
        goto done;
    if (o->eval_only) first = x->epochs;
    rt_sched sched = {x->schedule == RT_SCHED_COSINE   ? RT_LR_COSINE
                      : x->schedule == RT_SCHED_LINEAR ? RT_LR_LINEAR
                                                       : RT_LR_CONSTANT,
                      x->lr, x->lr_min, x->epochs};
    int tty = isatty(fileno(stderr));
    double t0 = now();
    grad[k] = sign;
    for (int e = first; e < x->epochs; e++) {
        rt_optim_set_lr(opt, rt_sched_lr(&sched, e));
        rt_model_zero_grad(model);
        const double *pred = rt_model_forward(model, &none, 1);
        if (!pred) {
            io_errf(err, errlen, "forward pass failed: %s", rt_error_last());
            goto done;
        }
        double v = pred[k];
        if (!isfinite(v)) {
            io_errf(err, errlen, "training diverged at epoch %d: output %d is %s (learning rate %g); "
                    "try a smaller learning rate", e + 1, k, isnan(v) ? "NaN" : "infinite", rt_optim_lr(opt));
            goto done;
        }
        if (rt_model_backward(model, grad) || rt_optim_step_model(opt, model)) {
            io_errf(err, errlen, "backward pass failed: %s", rt_error_last());
            goto done;
        }
        energy[e] = v;
        r->final_loss = sign * v;
        r->epochs_run++;
        if (!o->quiet) {
            double el = now() - t0, rate = el > 0 ? (e + 1 - first) / el : 0;
            if (tty) {
                fprintf(stderr, "\r%s  epoch %d/%d  energy %.8f  %.1f epochs/s   ", x->name, e + 1,
                        x->epochs, v, rate);
                if (e + 1 == x->epochs) fputc('\n', stderr);
            } else if (e + 1 == x->epochs || e % x->log_every == 0) {
                fprintf(stderr, "%s epoch %d/%d energy %.10f (%.2f epochs/s)\n", x->name, e + 1, x->epochs,
                        v, rate);
            }
        }
        int n = snprintf(line, sizeof line, "{\"epoch\": %d, \"loss\": %.17g, \"energy\": %.17g", e + 1,
                         sign * v, v);
        if (!isnan(exact)) n += snprintf(line + n, sizeof line - (size_t)n, ", \"abs_error\": %.17g", fabs(v - exact));
        snprintf(line + n, sizeof line - (size_t)n, ", \"lr\": %.17g, \"seconds\": %.6f}\n", rt_optim_lr(opt),
                 now() - t0);
        size_t len = strlen(line);
        if (metrics_len + len + 1 > metrics_cap) {
            size_t cap = (metrics_cap + len + 1) * 2;
            char *m = realloc(metrics, cap);
            if (!m) {
                io_errf(err, errlen, "out of memory");
                goto done;
            }
            metrics = m, metrics_cap = cap;
        }
        memcpy(metrics + metrics_len, line, len);
        metrics_len += len;
        if (((e + 1) % x->log_every == 0 || e + 1 == x->epochs) &&
            io_write_file_atomic(join(path, sizeof path, dir, "metrics.jsonl"), metrics, metrics_len, err, errlen))
            goto done;
    }
    r->seconds = now() - t0;
    r->seconds_per_epoch = r->epochs_run ? r->seconds / r->epochs_run : 0;
    /* The figures after the last update (what the checkpoint holds), in evaluation mode. */
    rt_model_eval(model, x->bn_eval_running ? RT_BN_RUNNING : RT_BN_BATCH);
    const double *pred = rt_model_forward(model, &none, 1);
    rt_model_train(model);
    if (!pred) {
        io_errf(err, errlen, "evaluation failed: %s", rt_error_last());
        goto done;
    }
    double *outs = malloc(sizeof *outs * (size_t)x->out_dim);
    if (!outs) {
        io_errf(err, errlen, "out of memory");
        goto done;
    }
    memcpy(outs, pred, sizeof *outs * (size_t)x->out_dim);
    r->energy = outs[k];
    r->exact_energy = exact;
    r->eval_loss = sign * outs[k];
    if (!isfinite(r->energy)) {
        io_errf(err, errlen, "%s%sevaluation: output %d is not finite (%s)", ckpt ? ckpt : "", ckpt ? ": " : "",
                k, ckpt ? "the checkpoint's weights are unusable" : "the training diverged");
        free(outs);
        goto done;
    }
    if (!o->eval_only && x->out_checkpoint[0] &&
        run_save_checkpoint(join(path, sizeof path, dir, x->out_checkpoint), x, model, opt, x->epochs, err,
                            errlen)) {
        free(outs);
        goto done;
    }
    if (x->out_csv[0]) {
        /* every output of the model at the final parameters, the objective's marked */
        size_t cap = 64 + 48 * (size_t)x->out_dim, n = 0;
        char *csv = malloc(cap);
        if (csv) {
            n += (size_t)snprintf(csv, cap, "output,value,objective\n");
            for (int i = 0; i < x->out_dim; i++)
                n += (size_t)snprintf(csv + n, cap - n, "%d,%.17g,%d\n", i, outs[i], i == k);
        }
        int bad = !csv || io_write_file_atomic(join(path, sizeof path, dir, x->out_csv), csv, n, err, errlen);
        if (!csv) io_errf(err, errlen, "%s: out of memory", path);
        free(csv);
        if (bad) {
            free(outs);
            goto done;
        }
    }
    free(outs);
    if (x->out_report[0]) {
        if (run_write_objective_report(join(path, sizeof path, dir, x->out_report), x, energy, r, err, errlen))
            goto done;
        size_t n = strlen(path);
        if (n < sizeof r->report_dir) memcpy(r->report_dir, path, n + 1);
    }
    if (r->epochs_run > 0 && (r->loss = malloc(sizeof(double) * (size_t)r->epochs_run))) {
        for (int i = 0; i < r->epochs_run; i++) r->loss[i] = sign * energy[x->epochs - r->epochs_run + i];
        r->n_loss = r->epochs_run;
    }
    if (!o->quiet || o->eval_only) {
        if (o->eval_only)
            fprintf(stderr, "%s: %d parameters, evaluated at %s", x->name, (int)r->n_params, ckpt);
        else
            fprintf(stderr, "%s: %d parameters, %d epochs in %.2f s (%.2f ms/epoch)", x->name, (int)r->n_params,
                    r->epochs_run, r->seconds, 1e3 * r->seconds_per_epoch);
        fprintf(stderr, ", %s %.10f", o->eval_only ? "energy" : "final energy", r->energy);
        if (!isnan(exact))
            fprintf(stderr, ", exact %.10f, absolute error %.3e, relative error %.3e", exact,
                    fabs(r->energy - exact), exact != 0 ? fabs(r->energy - exact) / fabs(exact) : NAN);
        fprintf(stderr, "\n%s: outputs in %s\n", x->name, dir);
    }
    rc = 0;
done:
    rt_model_destroy(model);
    rt_optim_destroy(opt);
    rt_pool_destroy(pool);
    free(energy);
    free(grad);
    free(metrics);
    return rc;
}
