/* qnnc grad: front end (sema, with --circuit elaborated at its arguments) -> fusion -> JIT (or
 * the reference interpreter) -> the runtime's own layers: a circuit runs as the quantum layer
 * that training uses (rt_qlayer), a model as run_build_model builds it for `qnnc run`, so that
 * the weights of a seed and every output and gradient are training's. Jacobians come from
 * vector-Jacobian products with one-hot cotangents, one per output and point. */
#define _XOPEN_SOURCE 700 /* sysconf */
#include "cmd_grad.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "diag.h"
#include "io_csv.h"
#include "io_file.h"
#include "io_npy.h"
#include "jit.h"
#include "passes.h"
#include "qnn_runtime.h"
#include "trajectory.h"
#include "refback.h"
#include "report.h"
#include "rt_error.h"
#include "rt_limits.h"
#include "rt_qlayer.h"
#include "run_checkpoint.h"
#include "run_model.h"

enum { EXIT_ERRORS = 1, EXIT_USAGE = 2, MAX_SETS = 256, MAX_WIDTHS = 64, WRT_PARAMS = 1, WRT_INPUTS = 2 };
/* Values a Jacobian may hold (points x outputs x parameters): 2 GiB of doubles. */
#define MAX_JACOBIAN ((size_t)1 << 28)
#define TWO_PI 6.283185307179586

typedef struct {
    const char *file, *circuit, *experiment, *input, *inputs, *params, *checkpoint, *out, *plot,
        *dump, *width_arg;
    const char *sets[MAX_SETS + 1];
    int n_sets;
    sema_options sema;
    int has_seed;
    uint64_t seed;
    int wrt, samples, init_uniform, precision, reference, threads, quiet, bn_running, has_bn;
    int widths[MAX_WIDTHS], n_widths;
} grad_options;

static void usage(FILE *f) {
    fputs("usage: qnnc grad FILE.qnn [--circuit NAME [--set ARG=VALUE ...] | --experiment NAME]\n"
          "                 [--input V,V,... | --inputs X.csv|X.npy]\n"
          "                 [--seed S | --params P.csv|P.npy | --checkpoint M.safetensors]\n"
          "                 [--wrt params|inputs|both] [--out FILE.csv|.json|.npy] [options]\n"
          "\n"
          "Outputs and Jacobians of one circuit, or of an experiment's model, at given weights and\n"
          "inputs: d output[k] / d parameter[i] and d output[k] / d input[j] for every input point.\n"
          "The circuit runs as training's quantum layer, the model as `qnnc run` builds it.\n"
          "\n"
          "  --circuit NAME     one circuit of FILE (or of its imports); --set ARG=VALUE gives its\n"
          "                     arguments (e.g. --set n=8), the others take their defaults\n"
          "  --experiment NAME  the model of that experiment (the default when FILE has one);\n"
          "                     --set KEY=VALUE then changes a setting, as for `qnnc run`\n"
          "  --input V,V,...    one input point; --inputs X.csv (one row per point, header\n"
          "                     optional) or X.npy ([N, inputs] float64/float32)\n"
          "  --seed S           the weights a run with seed S starts from (default: the\n"
          "                     experiment's seed; 0 for a circuit)\n"
          "  --params P         all parameters, flat in checkpoint order (.csv or .npy)\n"
          "  --checkpoint M     a model's weights from `qnnc run` (experiments only)\n"
          "  --wrt WHAT         params, inputs or both (default both)\n"
          "  --out FILE         .csv (one row per point and output: point, output, value, the\n"
          "                     parameter then input derivatives), .json (everything, with names)\n"
          "                     or .npy (the Jacobian [points, outputs, params|inputs]: --wrt params\n"
          "                     or inputs); default: CSV on standard output\n"
          "  --samples N        N >= 2 random parameter draws at one input point (zero inputs when\n"
          "                     none is given): the mean and variance (N - 1 denominator) of every\n"
          "                     d output[k] / d parameter[i]; sample 0 is the --seed draw\n"
          "  --init WHAT        the draws: declared (default: each tensor's `init`, as training)\n"
          "                     or uniform (every parameter uniform in [0, 2 pi), McClean et al.\n"
          "                     2018; circuits only)\n"
          "  --dump FILE.csv    --samples: every draw (sample, parameters, gradients)\n"
          "  --width-arg ARG --widths W,W,...  --samples for each value of the circuit's argument\n"
          "                     ARG: a table of the variance against the qubit count (--out .csv\n"
          "                     or .json) and its plot (--plot FILE.png, default --out's .png)\n"
          "  --bn batch|running a model's batch norm: the statistics of the input points, all\n"
          "                     run as one batch as in training (default; 2 points or more), or\n"
          "                     the running statistics (the checkpoint's; points independent)\n"
          "  --precision f64|f32  circuit simulation precision (default: the experiment's, f64)\n"
          "  --reference        simulate with the reference interpreter (f64; independent check)\n"
          "  --threads N        threads (default 0: all cores)\n"
          "  --max-qubits N, --stdlib DIR, --quiet, --help\n"
          "\n"
          "Exit status: 0, 1 (bad input: one line naming the file), 2 (bad usage).\n"
          "docs/grad.md describes the outputs and the statistics.\n",
          f);
}

static int usage_error(const char *fmt, const char *arg) {
    fputs("qnnc grad: ", stderr);
    fprintf(stderr, fmt, arg ? arg : "");
    fputs(" (see `qnnc grad --help`)\n", stderr);
    return EXIT_USAGE;
}

static int parse_long(const char *s, long lo, long hi, long *v) {
    char *end;
    if (!s || !*s) return -1;
    long x = strtol(s, &end, 10);
    if (*end || x < lo || x > hi) return -1;
    *v = x;
    return 0;
}

static int parse_args(int argc, char **argv, grad_options *o) {
    memset(o, 0, sizeof *o);
    o->sema.max_qubits = 24;
    o->wrt = WRT_PARAMS | WRT_INPUTS;
    int seen_command = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *next = i + 1 < argc ? argv[i + 1] : NULL;
        if (!seen_command && strcmp(a, "grad") == 0) { /* the command word, wherever it is */
            seen_command = 1;
            continue;
        }
        long v;
#define TAKE(field, what)                                                         \
    do {                                                                          \
        if (!next) return usage_error("`%s` needs " what, a);                     \
        o->field = next;                                                          \
        i++;                                                                      \
    } while (0)
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            exit(0);
        } else if (strcmp(a, "--circuit") == 0) TAKE(circuit, "a name");
        else if (strcmp(a, "--experiment") == 0) TAKE(experiment, "a name");
        else if (strcmp(a, "--input") == 0) TAKE(input, "values V,V,...");
        else if (strcmp(a, "--inputs") == 0) TAKE(inputs, "a .csv or .npy file");
        else if (strcmp(a, "--params") == 0) TAKE(params, "a .csv or .npy file");
        else if (strcmp(a, "--checkpoint") == 0) TAKE(checkpoint, "a path");
        else if (strcmp(a, "--out") == 0) TAKE(out, "a path");
        else if (strcmp(a, "--plot") == 0) TAKE(plot, "a path");
        else if (strcmp(a, "--dump") == 0) TAKE(dump, "a path");
        else if (strcmp(a, "--width-arg") == 0) TAKE(width_arg, "an argument name");
        else if (strcmp(a, "--stdlib") == 0) {
            if (!next) return usage_error("`--stdlib` needs a folder%s", NULL);
            o->sema.stdlib_dir = next;
            i++;
        } else if (strcmp(a, "--set") == 0) {
            if (!next) return usage_error("`--set` needs KEY=VALUE%s", NULL);
            if (o->n_sets >= MAX_SETS) return usage_error("too many `--set` options%s", NULL);
            o->sets[o->n_sets++] = next;
            i++;
        } else if (strcmp(a, "--seed") == 0) {
            if (parse_long(next, 0, (long)RT_LIMIT_SEED, &v))
                return usage_error("`--seed` needs a whole number from 0 to 2147483647, not `%s`", next);
            o->has_seed = 1;
            o->seed = (uint64_t)v;
            i++;
        } else if (strcmp(a, "--samples") == 0) {
            if (parse_long(next, 2, 1000000, &v))
                return usage_error("`--samples` needs a number from 2 to 1000000, not `%s`", next);
            o->samples = (int)v;
            i++;
        } else if (strcmp(a, "--threads") == 0) {
            if (parse_long(next, 0, RT_LIMIT_THREADS, &v))
                return usage_error("`--threads` needs a number from 0 (all cores) to 1024, not `%s`", next);
            o->threads = (int)v;
            i++;
        } else if (strcmp(a, "--max-qubits") == 0) {
            if (parse_long(next, 1, CG_MAX_QUBITS, &v))
                return usage_error("`--max-qubits` needs a number from 1 to the code generator's "
                                   "limit, not `%s`", next);
            o->sema.max_qubits = (int)v;
            i++;
        } else if (strcmp(a, "--wrt") == 0) {
            if (!next) return usage_error("`--wrt` takes params, inputs or both%s", NULL);
            if (strcmp(next, "params") == 0) o->wrt = WRT_PARAMS;
            else if (strcmp(next, "inputs") == 0) o->wrt = WRT_INPUTS;
            else if (strcmp(next, "both") == 0) o->wrt = WRT_PARAMS | WRT_INPUTS;
            else return usage_error("`--wrt` takes params, inputs or both, not `%s`", next);
            i++;
        } else if (strcmp(a, "--init") == 0) {
            if (!next || (strcmp(next, "declared") != 0 && strcmp(next, "uniform") != 0))
                return usage_error("`--init` takes declared or uniform, not `%s`", next);
            o->init_uniform = next[0] == 'u';
            i++;
        } else if (strcmp(a, "--bn") == 0) {
            if (!next || (strcmp(next, "batch") != 0 && strcmp(next, "running") != 0))
                return usage_error("`--bn` takes batch or running, not `%s`", next);
            o->bn_running = next[0] == 'r';
            o->has_bn = 1;
            i++;
        } else if (strcmp(a, "--precision") == 0) {
            if (!next || (strcmp(next, "f64") != 0 && strcmp(next, "f32") != 0))
                return usage_error("`--precision` takes f64 or f32%s", NULL);
            o->precision = next[1] == '6' ? 64 : 32;
            i++;
        } else if (strcmp(a, "--widths") == 0) {
            if (!next) return usage_error("`--widths` needs values W,W,...%s", NULL);
            const char *p = next;
            while (*p) {
                char *end;
                long w = strtol(p, &end, 10);
                if (end == p || w < 1 || w > 1000 || (*end && *end != ',') || o->n_widths >= MAX_WIDTHS)
                    return usage_error("`--widths` needs up to 64 whole numbers from 1 to 1000 "
                                       "separated by commas, not `%s`", next);
                o->widths[o->n_widths++] = (int)w;
                p = *end ? end + 1 : end;
            }
            i++;
        } else if (strcmp(a, "--reference") == 0) o->reference = 1;
        else if (strcmp(a, "--quiet") == 0 || strcmp(a, "-q") == 0) o->quiet = 1;
        else if (a[0] == '-' && a[1]) {
            static const char *const opts[] = {"--circuit", "--experiment", "--set", "--input",
                                               "--inputs", "--seed", "--params", "--checkpoint",
                                               "--wrt", "--out", "--samples", "--init", "--dump",
                                               "--width-arg", "--widths", "--plot", "--precision", "--bn",
                                               "--reference", "--threads", "--max-qubits",
                                               "--stdlib", "--quiet", "--help"};
            const char *hint = diag_suggest(a, opts, (int)(sizeof opts / sizeof *opts));
            fprintf(stderr, "qnnc grad: unknown option `%s`%s%s%s (see `qnnc grad --help`)\n", a,
                    hint ? " (did you mean `" : "", hint ? hint : "", hint ? "`?)" : "");
            return EXIT_USAGE;
        } else if (!o->file) o->file = a;
        else return usage_error("unexpected argument `%s`: one file at a time", a);
#undef TAKE
    }
    if (!o->file) return usage_error("`grad` needs a .qnn file%s", NULL);
    /* Combinations that would leave an option without effect are refused, not ignored. */
    if (o->circuit && o->experiment)
        return usage_error("`--circuit` and `--experiment` exclude each other: one circuit, or "
                           "one experiment's model%s", NULL);
    if ((o->input != NULL) + (o->inputs != NULL) > 1)
        return usage_error("`--input` and `--inputs` exclude each other%s", NULL);
    if (o->has_seed + (o->params != NULL) + (o->checkpoint != NULL) > 1)
        return usage_error("give the weights once: `--seed`, `--params` or `--checkpoint`%s", NULL);
    if (o->circuit && o->checkpoint)
        return usage_error("`--checkpoint` holds a model's weights: use it with `--experiment`; "
                           "a circuit takes `--params` or `--seed`%s", NULL);
    if (o->samples && (o->params || o->checkpoint))
        return usage_error("`--samples` draws its own parameters (from `--seed`); `--params` "
                           "and `--checkpoint` do not go with it%s", NULL);
    if (o->samples && o->wrt != (WRT_PARAMS | WRT_INPUTS) && o->wrt != WRT_PARAMS)
        return usage_error("`--samples` gives parameter-gradient statistics: `--wrt inputs` does "
                           "not go with it%s", NULL);
    if (!o->samples && (o->dump || o->init_uniform || o->width_arg || o->n_widths))
        return usage_error("`--dump`, `--init`, `--width-arg` and `--widths` need `--samples N`%s", NULL);
    if ((o->width_arg != NULL) != (o->n_widths > 0))
        return usage_error("`--width-arg ARG` and `--widths W,W,...` go together%s", NULL);
    if (o->n_widths && !o->circuit)
        return usage_error("`--widths` sweeps a circuit's argument: it needs `--circuit NAME`%s", NULL);
    if (o->n_widths && (o->input || o->inputs))
        return usage_error("with `--widths` the input count follows the width: the inputs are "
                           "zero, `--input` and `--inputs` do not go with it%s", NULL);
    if (o->plot && !o->n_widths) return usage_error("`--plot` is the plot of `--widths`%s", NULL);
    if (o->init_uniform && !o->circuit)
        return usage_error("`--init uniform` draws every parameter in [0, 2 pi): for circuits "
                           "(`--circuit NAME`) only; a model's linear layers keep their own init%s", NULL);
    if (o->has_bn && o->circuit)
        return usage_error("`--bn` chooses a model's batch-norm statistics; a circuit has none%s", NULL);
    if (o->reference && o->precision == 32)
        return usage_error("the reference interpreter simulates in f64: `--precision f32` does not "
                           "go with `--reference`%s", NULL);
    if (o->out) {
        const char *dot = strrchr(o->out, '.');
        int ok = dot && (strcmp(dot, ".csv") == 0 || strcmp(dot, ".json") == 0 || strcmp(dot, ".npy") == 0);
        if (!ok) return usage_error("`--out %s`: the name ends in .csv, .json or .npy (the format)", o->out);
        if (strcmp(dot, ".npy") == 0 && !o->samples && o->wrt == (WRT_PARAMS | WRT_INPUTS))
            return usage_error("a .npy file holds one array: choose it with `--wrt params` or "
                               "`--wrt inputs` (or write .json)%s", NULL);
        if (strcmp(dot, ".npy") == 0 && o->n_widths)
            return usage_error("the `--widths` table is .csv or .json%s", NULL);
    }
    if (o->n_widths && !o->plot && o->out) {
        static char png[RT_PATH_MAX];
        const char *dot = strrchr(o->out, '.');
        snprintf(png, sizeof png, "%.*s.png", (int)(dot - o->out), o->out);
        o->plot = png;
    }
    o->sema.sets = o->sets;
    if (o->circuit) {
        o->sema.circuit = o->circuit;
        o->sema.circuit_args = o->sets;
        o->sema.n_circuit_args = o->n_sets;
    } else {
        o->sema.n_sets = o->n_sets;
    }
    return 0;
}

/* ---- what is differentiated: one circuit's quantum layer, or a model ------------------- */

typedef struct {
    char what[192];          /* "circuit `c`" or "experiment `e`", for messages */
    int n_in, n_out;
    size_t n_params;
    rt_layer *layer;         /* a circuit */
    rt_qtensor tensors[64];  /* its tensors and their declared init */
    int n_tensors;
    rt_model *model;         /* a model */
    const rt_experiment *x;
    const rt_circuit *const *circuits;
    rt_pool *pool;
    int coupled;             /* batch norm: the points of a batch depend on each other */
    int bn_running;          /* --bn running: batch norm with its running statistics */
    int reserved;
    double *dy, *dx;         /* scratch: one cotangent, one input gradient */
    /* A layer has at least one input: a circuit without inputs runs as a layer of one
     * input that its code never reads (zeros here), and its input Jacobian is empty. */
    rt_circuit padded;
    double *zeros;
    int n_zeros;
} target;

static void target_free(target *t) {
    rt_layer_destroy(t->layer);
    rt_model_destroy(t->model);
    free(t->dy);
    free(t->dx);
    free(t->zeros);
    memset(t, 0, sizeof *t);
}

static double *target_params(target *t) { return t->layer ? rt_layer_params(t->layer) : NULL; }

static void get_params(target *t, double *flat) {
    if (t->layer) memcpy(flat, rt_layer_params(t->layer), sizeof(double) * t->n_params);
    else rt_model_get_params(t->model, flat);
}

static void set_params(target *t, const double *flat) {
    if (t->layer) memcpy(rt_layer_params(t->layer), flat, sizeof(double) * t->n_params);
    else rt_model_set_params(t->model, flat);
}

static int scratch(target *t) {
    t->dy = calloc((size_t)t->n_out * (size_t)(t->coupled ? t->reserved : 1) + 1, sizeof *t->dy);
    t->dx = calloc((size_t)t->n_in * (size_t)(t->coupled ? t->reserved : 1) + 1, sizeof *t->dx);
    return t->dy && t->dx ? 0 : -1;
}

/* The quantum layer of circuit c with its parameters drawn from rng as training draws them. */
static int target_circuit(target *t, const ir_circuit *ir, const rt_circuit *c, rt_pool *pool,
                          rt_rng *rng, char *err, size_t errlen) {
    memset(t, 0, sizeof *t);
    snprintf(t->what, sizeof t->what, "circuit `%s`", ir->name);
    t->n_in = c->n_inputs, t->n_out = c->n_outputs, t->n_params = (size_t)c->n_params;
    size_t covered = 0;
    if (ir->n_tensors > 64) {
        snprintf(err, errlen, "%s: more than 64 parameter tensors", t->what);
        return -1;
    }
    for (int k = 0; k < ir->n_tensors; k++) {
        const ir_tensor *it = &ir->tensors[k];
        t->tensors[k].name = it->name;
        t->tensors[k].count = (size_t)it->size;
        t->tensors[k].init = it->init == IR_INIT_UNIFORM  ? rt_init_uniform(it->init_a, it->init_b)
                             : it->init == IR_INIT_NORMAL ? rt_init_normal(it->init_a, it->init_b)
                                                          : rt_init_const(it->init_a);
        covered += (size_t)it->size;
    }
    t->n_tensors = ir->n_tensors;
    if (covered != t->n_params) { /* hand-built circuits may have no tensors: one of zeros */
        t->tensors[0] = (rt_qtensor){"params", t->n_params, rt_init_const(0.0)};
        t->n_tensors = t->n_params > 0;
    }
    if (c->n_inputs == 0) {
        t->padded = *c;
        t->padded.n_inputs = 1;
        c = &t->padded;
    }
    t->layer = rt_qlayer_create(c, pool, t->n_tensors, t->tensors, rng);
    t->reserved = 1;
    if (!t->layer || rt_layer_reserve(t->layer, 1) || scratch(t)) {
        snprintf(err, errlen, "%s: %s", t->what, rt_error_last());
        return -1;
    }
    return 0;
}

static int build_model(target *t, rt_rng *rng, char *err, size_t errlen) {
    char msg[1024];
    rt_model_destroy(t->model);
    t->model = run_build_model(t->x, t->circuits, t->pool, rng, msg, sizeof msg);
    if (!t->model) {
        snprintf(err, errlen, "%s: %s", t->what, msg);
        return -1;
    }
    if (rt_model_build(t->model, t->reserved)) {
        snprintf(err, errlen, "%s: %s", t->what, rt_error_last());
        return -1;
    }
    if (t->bn_running) rt_model_eval(t->model, RT_BN_RUNNING);
    return 0;
}

static int target_model(target *t, const rt_experiment *x, const rt_circuit *const *circuits,
                        rt_pool *pool, int n_points, int bn_running, rt_rng *rng, char *err,
                        size_t errlen) {
    memset(t, 0, sizeof *t);
    snprintf(t->what, sizeof t->what, "experiment `%s`", x->name);
    t->x = x, t->circuits = circuits, t->pool = pool;
    t->n_in = x->in_dim, t->n_out = x->out_dim;
    t->bn_running = bn_running;
    for (int i = 0; i < x->n_layers; i++) t->coupled |= x->layers[i].kind == RT_LAYER_BATCHNORM;
    t->coupled &= !bn_running;
    if (t->coupled && n_points < 2) {
        snprintf(err, errlen, "%s: its batch norm normalises with the statistics of the batch, "
                 "which needs at least 2 input points (got %d); or use --bn running (the running "
                 "statistics: the checkpoint's, or mean 0 and variance 1 at initialisation)",
                 t->what, n_points);
        return -1;
    }
    t->reserved = t->coupled ? n_points : 1;
    if (build_model(t, rng, err, errlen)) return -1;
    t->n_params = rt_model_n_params(t->model);
    if (scratch(t)) {
        snprintf(err, errlen, "%s: out of memory", t->what);
        return -1;
    }
    return 0;
}

/* y[n][K] and, when asked for, jp[n][K][P] = d y[b][k] / d params and jx[n][K][J] = d y[b][k] /
 * d x[b]: one vjp per point and output with the cotangent e_k. A model with batch norm runs
 * all n points as one batch (as a full-batch training step), so y[b] depends on every x; jx
 * then holds the derivatives by x[b] only. */
static int jacobian(target *t, const double *x, int n, double *y, double *jp, double *jx,
                    char *err, size_t errlen) {
    int K = t->n_out, J = t->n_in;
    size_t P = t->n_params;
    if (t->layer) {
        if (n > t->reserved) {
            if (rt_layer_reserve(t->layer, n)) goto rt_fail;
            t->reserved = n;
        }
        const double *xl = x;
        int Jl = J;
        if (J == 0) {
            if (n > t->n_zeros) {
                free(t->zeros);
                t->n_zeros = 0;
                if (!(t->zeros = calloc((size_t)n, sizeof *t->zeros))) {
                    snprintf(err, errlen, "%s: out of memory", t->what);
                    return -1;
                }
                t->n_zeros = n;
            }
            xl = t->zeros, Jl = 1;
        }
        if (rt_layer_forward(t->layer, xl, y, n)) goto rt_fail;
        for (int b = 0; b < n && (jp || jx); b++)
            for (int k = 0; k < K; k++) {
                memset(t->dy, 0, sizeof(double) * (size_t)K);
                t->dy[k] = 1.0;
                rt_layer_zero_grad(t->layer);
                rt_layer_backward(t->layer, xl + (size_t)b * Jl, NULL, t->dy, J ? t->dx : NULL, 1);
                size_t row = (size_t)b * K + (size_t)k;
                if (jp) memcpy(jp + row * P, rt_layer_grads(t->layer), sizeof(double) * P);
                if (jx) memcpy(jx + row * J, t->dx, sizeof(double) * (size_t)J);
            }
        return 0;
    }
    int chunk = t->coupled ? n : 1;
    if (chunk > t->reserved) {
        if (rt_model_build(t->model, chunk)) goto rt_fail;
        t->reserved = chunk;
        free(t->dy);
        free(t->dx);
        if (scratch(t)) {
            snprintf(err, errlen, "%s: out of memory", t->what);
            return -1;
        }
    }
    for (int c0 = 0; c0 < n; c0 += chunk) {
        const double *out = rt_model_forward(t->model, x + (size_t)c0 * J, chunk);
        if (!out) goto rt_fail;
        memcpy(y + (size_t)c0 * K, out, sizeof(double) * (size_t)chunk * K);
        for (int b = 0; b < chunk && (jp || jx); b++)
            for (int k = 0; k < K; k++) {
                memset(t->dy, 0, sizeof(double) * (size_t)chunk * K);
                t->dy[(size_t)b * K + k] = 1.0;
                rt_model_zero_grad(t->model);
                if (rt_model_backward(t->model, t->dy)) goto rt_fail;
                size_t row = (size_t)(c0 + b) * K + (size_t)k;
                if (jp) rt_model_get_grads(t->model, jp + row * P);
                if (jx) memcpy(jx + row * J, rt_model_input_grad(t->model) + (size_t)b * J, sizeof(double) * (size_t)J);
            }
    }
    return 0;
rt_fail:
    snprintf(err, errlen, "%s: %s", t->what, rt_error_last());
    return -1;
}

/* Parameter names: a circuit's tensor elements with their indices ("w[0][2]"), a model's
 * checkpoint tensors with the flat index ("layers.0.weight[5]"). */
static char **param_names(target *t, const ir_circuit *ir) {
    char **names = calloc(t->n_params + 1, sizeof *names);
    if (!names) return NULL;
    char buf[512];
    size_t at = 0;
    if (t->layer && ir && t->n_tensors == ir->n_tensors) {
        for (int k = 0; k < ir->n_tensors; k++) {
            const ir_tensor *it = &ir->tensors[k];
            for (int e = 0; e < it->size && at < t->n_params; e++) {
                int n = snprintf(buf, sizeof buf, "%s", it->name), rest = e, stride = it->size;
                for (int d = 0; d < it->rank; d++) {
                    stride /= it->shape[d] > 0 ? it->shape[d] : 1;
                    n += snprintf(buf + n, sizeof buf - (size_t)n, "[%d]", rest / (stride ? stride : 1));
                    rest %= stride ? stride : 1;
                    if ((size_t)n >= sizeof buf) break;
                }
                names[at++] = strdup(buf);
            }
        }
    } else if (t->model) {
        for (int k = 0; k < rt_model_n_tensors(t->model); k++) {
            rt_model_tensor mt = rt_model_tensor_at(t->model, k);
            if (mt.kind != RT_TENSOR_PARAM) continue;
            for (size_t e = 0; e < mt.count && at < t->n_params; e++) {
                snprintf(buf, sizeof buf, "%s[%zu]", mt.name, e);
                names[at++] = strdup(buf);
            }
        }
    }
    for (; at < t->n_params; at++) {
        snprintf(buf, sizeof buf, "params[%zu]", at);
        names[at] = strdup(buf);
    }
    for (size_t i = 0; i < t->n_params; i++)
        if (!names[i]) return names; /* the caller checks the last */
    return names;
}

static void free_names(char **names, size_t n) {
    for (size_t i = 0; names && i < n; i++) free(names[i]);
    free(names);
}

/* ---- files in ------------------------------------------------------------------------ */

static int has_ext(const char *path, const char *ext) {
    size_t n = strlen(path), e = strlen(ext);
    return n > e && strcmp(path + n - e, ext) == 0;
}

/* The input points: --input (one), --inputs (.csv rows or a .npy [N, J] array), or none for a
 * circuit without inputs. *x is malloc'ed, *n the number of points. */
static int load_inputs(const grad_options *o, const target *t, double **x, int *n, char *err,
                       size_t errlen) {
    int J = t->n_in;
    *x = NULL;
    *n = 0;
    const char *src = o->input ? "--input" : o->inputs;
    if (!src) {
        if (J > 0 && !o->samples) {
            snprintf(err, errlen, "%s takes %d input%s per point: give them with --input V,V,... or "
                     "--inputs X.csv|X.npy", t->what, J, J == 1 ? "" : "s");
            return -1;
        }
        *x = calloc((size_t)J + 1, sizeof **x); /* --samples: the point x = 0 */
        *n = 1;
        return *x ? 0 : -1;
    }
    if (J == 0) {
        snprintf(err, errlen, "%s: %s takes no inputs; leave out --input and --inputs", src, t->what);
        return -1;
    }
    if (o->input) {
        double *v = calloc(strlen(o->input) + 1, sizeof *v);
        int count = 0;
        const char *p = o->input;
        if (!v) return -1;
        for (;;) {
            char *end;
            double d = strtod(p, &end);
            if (end == p || !isfinite(d) || (*end && *end != ',')) {
                snprintf(err, errlen, "--input `%s`: value %d is not a finite number (V,V,... "
                         "without spaces)", o->input, count + 1);
                free(v);
                return -1;
            }
            v[count++] = d;
            if (!*end) break;
            p = end + 1;
        }
        if (count != J) {
            snprintf(err, errlen, "--input has %d value%s; %s takes %d input%s", count,
                     count == 1 ? "" : "s", t->what, J, J == 1 ? "" : "s");
            free(v);
            return -1;
        }
        *x = v;
        *n = 1;
        return 0;
    }
    char msg[2048];
    if (has_ext(o->inputs, ".npy")) {
        io_npy a;
        if (io_npy_read(o->inputs, &a, msg, sizeof msg)) {
            snprintf(err, errlen, "%s", msg);
            return -1;
        }
        long long rows = a.ndim == 2 ? a.shape[0] : a.ndim == 1 ? (J == 1 ? a.shape[0] : 1) : -1;
        long long cols = a.ndim == 2 ? a.shape[1] : a.ndim == 1 ? (J == 1 ? 1 : a.shape[0]) : -1;
        if (rows < 1 || cols != J || rows > INT32_MAX / 2) {
            snprintf(err, errlen, "%s: an array of %d dimension%s%s%lld%s; %s takes %d input%s per "
                     "point (an array [N, %d])", o->inputs, a.ndim, a.ndim == 1 ? "" : "s",
                     a.ndim ? " [" : "", a.ndim ? (long long)a.shape[0] : 0LL,
                     a.ndim == 2 ? ", ...]" : a.ndim ? "]" : "", t->what, J, J == 1 ? "" : "s", J);
            io_npy_free(&a);
            return -1;
        }
        *x = a.data;
        *n = (int)rows;
        return 0;
    }
    io_csv tab;
    if (io_csv_read(o->inputs, IO_CSV_HEADER_AUTO, &tab, msg, sizeof msg)) {
        snprintf(err, errlen, "%s", msg);
        return -1;
    }
    if (tab.rows < 1 || tab.cols != (size_t)J || tab.rows > INT32_MAX / 2) {
        if (tab.rows < 1) snprintf(err, errlen, "%s: no rows; one row per input point", o->inputs);
        else
            snprintf(err, errlen, "%s: row 1 has %zu value%s; %s takes %d input%s per point", o->inputs,
                     tab.cols, tab.cols == 1 ? "" : "s", t->what, J, J == 1 ? "" : "s");
        io_csv_free(&tab);
        return -1;
    }
    *x = tab.data;
    tab.data = NULL;
    *n = (int)tab.rows;
    io_csv_free(&tab);
    return 0;
}

/* --params: every parameter, flat (a .npy of any shape, or every number of a .csv). */
static int load_params(const char *path, const target *t, double *flat, char *err, size_t errlen) {
    char msg[2048];
    double *v = NULL;
    size_t count = 0;
    if (has_ext(path, ".npy")) {
        io_npy a;
        if (io_npy_read(path, &a, msg, sizeof msg)) goto fail_msg;
        v = a.data, count = a.count;
    } else {
        io_csv tab;
        if (io_csv_read(path, IO_CSV_HEADER_AUTO, &tab, msg, sizeof msg)) goto fail_msg;
        v = tab.data, count = tab.rows * tab.cols;
        tab.data = NULL;
        io_csv_free(&tab);
    }
    if (count != t->n_params) {
        snprintf(err, errlen, "%s: %zu value%s; %s has %zu parameters", path, count,
                 count == 1 ? "" : "s", t->what, t->n_params);
        free(v);
        return -1;
    }
    if (count) memcpy(flat, v, sizeof(double) * count);
    free(v);
    return 0;
fail_msg:
    snprintf(err, errlen, "%s", msg);
    return -1;
}

/* ---- files out ----------------------------------------------------------------------- */

/* An output stream: standard output, or an atomic write of path. */
typedef struct {
    FILE *fp;
    io_atomic a;
    int atomic;
} sink;

static int sink_open(sink *s, const char *path, char *err, size_t errlen) {
    memset(s, 0, sizeof *s);
    if (!path) {
        s->fp = stdout;
        return 0;
    }
    if (io_mkdir_parent(path, err, errlen) || io_atomic_open(&s->a, path, err, errlen)) return -1;
    s->fp = s->a.fp;
    s->atomic = 1;
    return 0;
}

static int sink_close(sink *s, char *err, size_t errlen) {
    if (!s->atomic) return fflush(s->fp) == 0 ? 0 : -1;
    return io_atomic_commit(&s->a, err, errlen);
}

static void json_string(FILE *f, const char *s) {
    fputc('"', f);
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\') fprintf(f, "\\%c", ch);
        else if (ch < 0x20) fprintf(f, "\\u%04x", ch);
        else fputc(ch, f);
    }
    fputc('"', f);
}

/* JSON has no NaN or infinity: such a value (a variance of no component) is null. */
static void json_num(FILE *f, double v) {
    if (isfinite(v)) fprintf(f, "%.17g", v);
    else fputs("null", f);
}

static void json_array(FILE *f, const double *v, size_t n) {
    fputc('[', f);
    for (size_t i = 0; i < n; i++) {
        fputs(i ? ", " : "", f);
        json_num(f, v[i]);
    }
    fputc(']', f);
}

typedef struct {
    int n, K, J;
    size_t P;
    const double *x, *y, *jp, *jx, *params;
    char **names;
    const char *weights; /* where the weights came from, for the JSON */
} grad_result;

static void write_grad_csv(FILE *f, const grad_result *g) {
    fputs("point,output,value", f);
    for (size_t i = 0; g->jp && i < g->P; i++) fprintf(f, ",dp%zu", i);
    for (int j = 0; g->jx && j < g->J; j++) fprintf(f, ",dx%d", j);
    fputc('\n', f);
    for (int b = 0; b < g->n; b++)
        for (int k = 0; k < g->K; k++) {
            size_t row = (size_t)b * g->K + (size_t)k;
            fprintf(f, "%d,%d,%.17g", b, k, g->y[row]);
            for (size_t i = 0; g->jp && i < g->P; i++) fprintf(f, ",%.17g", g->jp[row * g->P + i]);
            for (int j = 0; g->jx && j < g->J; j++) fprintf(f, ",%.17g", g->jx[row * g->J + j]);
            fputc('\n', f);
        }
}

static void write_grad_json(FILE *f, const grad_result *g, const char *source, const char *what,
                            int precision) {
    fputs("{\n  \"source\": ", f);
    json_string(f, source);
    fputs(",\n  \"of\": ", f);
    json_string(f, what);
    fprintf(f, ",\n  \"precision\": %d,\n  \"weights\": ", precision);
    json_string(f, g->weights);
    fputs(",\n  \"param_names\": [", f);
    for (size_t i = 0; i < g->P; i++) {
        fputs(i ? ", " : "", f);
        json_string(f, g->names[i]);
    }
    fputs("],\n  \"params\": ", f);
    json_array(f, g->params, g->P);
    fputs(",\n  \"points\": [", f);
    for (int b = 0; b < g->n; b++) {
        size_t row = (size_t)b * g->K;
        fprintf(f, "%s\n    {\"input\": ", b ? "," : "");
        json_array(f, g->x + (size_t)b * g->J, (size_t)g->J);
        fputs(", \"output\": ", f);
        json_array(f, g->y + row, (size_t)g->K);
        if (g->jp) {
            fputs(",\n     \"d_params\": [", f); /* [output][param] */
            for (int k = 0; k < g->K; k++) {
                fputs(k ? ", " : "", f);
                json_array(f, g->jp + (row + (size_t)k) * g->P, g->P);
            }
            fputc(']', f);
        }
        if (g->jx) {
            fputs(",\n     \"d_inputs\": [", f); /* [output][input] */
            for (int k = 0; k < g->K; k++) {
                fputs(k ? ", " : "", f);
                json_array(f, g->jx + (row + (size_t)k) * g->J, (size_t)g->J);
            }
            fputc(']', f);
        }
        fputc('}', f);
    }
    fputs("\n  ]\n}\n", f);
}

/* ---- --samples ----------------------------------------------------------------------- */

typedef struct {
    int K;
    size_t P;
    double *mean, *var;      /* [K][P] */
    double var_first;        /* Var[d y0 / d p0] */
    double mean_var;         /* the mean of var over every component */
    double mean_abs;         /* the mean of |mean| over every component */
} sample_stats;

/* The next draw of the parameters from rng (seeded once with --seed before the first):
 * uniform in [0, 2 pi), or each tensor's declared init in order, as training draws them, so
 * that the first draw is the --seed weights; a model is rebuilt from rng. */
static int draw(target *t, int uniform, rt_rng *rng, char *err, size_t errlen) {
    if (t->model) return build_model(t, rng, err, errlen);
    if (uniform) rt_init_fill(target_params(t), t->n_params, rt_init_uniform(0.0, TWO_PI), rng);
    else
        for (int k = 0; k < t->n_tensors; k++) rt_layer_init_tensor(t->layer, k, t->tensors[k].init, rng);
    return 0;
}

static int run_samples(target *t, const double *x, int N, int uniform, uint64_t seed,
                       const char *dump, sample_stats *st, char *err, size_t errlen) {
    int K = t->n_out;
    size_t P = t->n_params, KP = (size_t)K * P;
    memset(st, 0, sizeof *st);
    st->K = K, st->P = P;
    double *y = calloc((size_t)K + 1, sizeof *y), *g = calloc(KP + 1, sizeof *g);
    double *p = calloc(P + 1, sizeof *p);
    st->mean = calloc(KP + 1, sizeof *st->mean);
    st->var = calloc(KP + 1, sizeof *st->var); /* Welford's sum of squared deviations first */
    sink d = {0};
    int rc = -1, dumping = 0;
    if (!y || !g || !p || !st->mean || !st->var) {
        snprintf(err, errlen, "%s: out of memory for %zu gradient components", t->what, KP);
        goto done;
    }
    rt_rng rng;
    rt_rng_seed(&rng, seed);
    if (dump) {
        if (sink_open(&d, dump, err, errlen)) goto done;
        dumping = 1;
        fputs("sample", d.fp);
        for (size_t i = 0; i < P; i++) fprintf(d.fp, ",p%zu", i);
        for (int k = 0; k < K; k++)
            for (size_t i = 0; i < P; i++) fprintf(d.fp, ",g%d_%zu", k, i);
        fputc('\n', d.fp);
    }
    for (int s = 0; s < N; s++) {
        if (draw(t, uniform, &rng, err, errlen)) goto done;
        if (jacobian(t, x, 1, y, g, NULL, err, errlen)) goto done;
        for (size_t c = 0; c < KP; c++) {
            double delta = g[c] - st->mean[c];
            st->mean[c] += delta / (s + 1);
            st->var[c] += delta * (g[c] - st->mean[c]);
        }
        if (dumping) {
            get_params(t, p);
            fprintf(d.fp, "%d", s);
            for (size_t i = 0; i < P; i++) fprintf(d.fp, ",%.17g", p[i]);
            for (size_t c = 0; c < KP; c++) fprintf(d.fp, ",%.17g", g[c]);
            fputc('\n', d.fp);
        }
    }
    for (size_t c = 0; c < KP; c++) {
        st->var[c] /= N - 1;
        st->mean_var += st->var[c] / (double)KP;
        st->mean_abs += fabs(st->mean[c]) / (double)KP;
    }
    st->var_first = KP ? st->var[0] : NAN;
    if (!KP) st->mean_var = st->mean_abs = NAN;
    rc = 0;
    if (dumping) {
        dumping = 0;
        rc = sink_close(&d, err, errlen);
    }
done:
    if (dumping) io_atomic_abort(&d.a);
    free(y);
    free(g);
    free(p);
    return rc;
}

static void stats_free(sample_stats *st) {
    free(st->mean);
    free(st->var);
    memset(st, 0, sizeof *st);
}

static int write_stats(const char *out, const sample_stats *st, char **names, int N, int uniform,
                       uint64_t seed, const char *what, char *err, size_t errlen) {
    size_t KP = (size_t)st->K * st->P;
    if (out && has_ext(out, ".npy")) {
        double *both = malloc(sizeof(double) * (2 * KP + 1));
        if (!both) {
            snprintf(err, errlen, "%s: out of memory", out);
            return -1;
        }
        memcpy(both, st->mean, sizeof(double) * KP);
        memcpy(both + KP, st->var, sizeof(double) * KP);
        int64_t shape[3] = {2, st->K, (int64_t)st->P};
        int rc = io_npy_write(out, 3, shape, both, 0, err, errlen);
        free(both);
        return rc;
    }
    sink s;
    if (sink_open(&s, out, err, errlen)) return -1;
    if (out && has_ext(out, ".json")) {
        fputs("{\n  \"of\": ", s.fp);
        json_string(s.fp, what);
        fprintf(s.fp, ",\n  \"samples\": %d,\n  \"init\": \"%s\",\n  \"seed\": %llu,\n", N,
                uniform ? "uniform [0, 2 pi)" : "declared", (unsigned long long)seed);
        fputs("  \"var_first\": ", s.fp);
        json_num(s.fp, st->var_first);
        fputs(",\n  \"mean_var\": ", s.fp);
        json_num(s.fp, st->mean_var);
        fputs(",\n  \"mean_abs_mean\": ", s.fp);
        json_num(s.fp, st->mean_abs);
        fputs(",\n", s.fp);
        fputs("  \"param_names\": [", s.fp);
        for (size_t i = 0; i < st->P; i++) {
            fputs(i ? ", " : "", s.fp);
            json_string(s.fp, names[i]);
        }
        fputs("],\n  \"mean\": [", s.fp);
        for (int k = 0; k < st->K; k++) {
            fputs(k ? ", " : "", s.fp);
            json_array(s.fp, st->mean + (size_t)k * st->P, st->P);
        }
        fputs("],\n  \"variance\": [", s.fp);
        for (int k = 0; k < st->K; k++) {
            fputs(k ? ", " : "", s.fp);
            json_array(s.fp, st->var + (size_t)k * st->P, st->P);
        }
        fputs("]\n}\n", s.fp);
    } else {
        fputs("output,param,mean,variance\n", s.fp);
        for (int k = 0; k < st->K; k++)
            for (size_t i = 0; i < st->P; i++)
                fprintf(s.fp, "%d,%zu,%.17g,%.17g\n", k, i, st->mean[(size_t)k * st->P + i],
                        st->var[(size_t)k * st->P + i]);
    }
    return sink_close(&s, err, errlen);
}

/* ---- the pipeline -------------------------------------------------------------------- */

typedef struct {
    jit_session *jit;
    rt_pool *pool;
} engine;

/* The circuit's code: fused and JIT-compiled at `precision`, or the reference interpreter
 * (which borrows c: it must outlive *out). */
static int bind_circuit(engine *e, const ir_circuit *c, int precision, int reference,
                        rt_circuit *out, char *err, size_t errlen) {
    /* noise channels compile to density-matrix code (cg_dm.c, docs/codegen.md §9) */
    if (traj_first_jump(c)) { /* trajectories with Kraus jumps: no sound gradient */
        traj_no_gradient(c, err, errlen);
        return -1;
    }
    if (reference) return refback_bind(c, out, err, errlen);
    jit_options jo = jit_default_options();
    jo.precision = precision;
    ir_circuit *f = pass_fuse(c);
    int rc = f ? jit_compile(e->jit, f, &jo, out, err, errlen) : -1;
    if (!f) snprintf(err, errlen, "circuit %s: out of memory", c->name);
    ir_free(f);
    return rc;
}

static sema_result *front_end(arena *ar, const grad_options *o, const sema_options *so) {
    sema_result *r = sema_check_file(ar, o->file, so);
    if (!r || diag_error_count()) {
        int n = diag_shown_count();
        if (diag_too_many()) fprintf(stderr, "%d errors (the first 20 shown)\n", n);
        else fprintf(stderr, "%d error%s\n", n, n == 1 ? "" : "s");
        sema_free(r);
        return NULL;
    }
    if (o->circuit && !r->circuit) {
        fprintf(stderr, "qnnc grad: %s has no circuit `%s`%s%s%s\n", o->file, o->circuit,
                r->circuit_hint ? " (did you mean `" : "", r->circuit_hint ? r->circuit_hint : "",
                r->circuit_hint ? "`?)" : "");
        sema_free(r);
        return NULL;
    }
    return r;
}

/* The experiment --experiment names, or the file's only one. */
static const sema_experiment *pick_experiment(const sema_result *r, const grad_options *o) {
    if (o->experiment) {
        if (cmd_check_experiment(r, o->file, o->experiment, "qnnc grad")) return NULL;
        for (int i = 0; i < r->n_experiments; i++)
            if (strcmp(r->experiments[i].exp.name, o->experiment) == 0) return &r->experiments[i];
    }
    if (r->n_experiments == 1) return &r->experiments[0];
    fprintf(stderr, "qnnc grad: %s has %s experiment%s: name one with --experiment NAME, or a "
            "circuit with --circuit NAME", o->file, r->n_experiments ? "more than one" : "no",
            r->n_experiments ? "s" : "");
    for (int i = 0; i < r->n_experiments; i++)
        fprintf(stderr, "%s%s", i ? ", " : " (", r->experiments[i].exp.name);
    fputs(r->n_experiments ? ")\n" : "\n", stderr);
    return NULL;
}

static void say_stats(const grad_options *o, const target *t, const sample_stats *st, int width) {
    if (o->quiet) return;
    char w[64] = "";
    if (width >= 0) snprintf(w, sizeof w, "%s = %d: ", o->width_arg, width);
    fprintf(stderr, "qnnc grad: %s%s, %d samples (%s init): Var[d out0/d p0] = %.6g, mean "
            "variance over %zu components = %.6g\n", w, t->what, o->samples,
            o->init_uniform ? "uniform [0, 2 pi)" : "declared", st->var_first,
            (size_t)st->K * st->P, st->mean_var);
}

/* --widths: --samples at each width; the table, the plot and the fitted decay rate. */
static int run_widths(engine *e, const grad_options *o, char *err, size_t errlen) {
    int nw = o->n_widths, rc = EXIT_ERRORS;
    double qubits[MAX_WIDTHS], vfirst[MAX_WIDTHS], vmean[MAX_WIDTHS], nparams[MAX_WIDTHS];
    const char *sets[MAX_SETS + 2];
    char width_set[128];
    uint64_t seed = o->has_seed ? o->seed : 0;
    for (int w = 0; w < nw; w++) {
        memcpy(sets, o->sets, sizeof(char *) * (size_t)o->n_sets);
        snprintf(width_set, sizeof width_set, "%s=%d", o->width_arg, o->widths[w]);
        sets[o->n_sets] = width_set;
        sema_options so = o->sema;
        so.circuit_args = sets;
        so.n_circuit_args = o->n_sets + 1;
        arena *ar = arena_create();
        sema_result *r = ar ? front_end(ar, o, &so) : NULL;
        rt_circuit c;
        target t;
        memset(&t, 0, sizeof t);
        rt_rng rng;
        rt_rng_seed(&rng, seed);
        sample_stats st = {0};
        double *x = NULL;
        int ok = r && bind_circuit(e, r->circuit, o->precision ? o->precision : 64, o->reference, &c, err, errlen) == 0 &&
                 target_circuit(&t, r->circuit, &c, e->pool, &rng, err, errlen) == 0 &&
                 (x = calloc((size_t)t.n_in + 1, sizeof *x)) != NULL &&
                 run_samples(&t, x, o->samples, o->init_uniform, seed, NULL, &st, err, errlen) == 0;
        if (ok) {
            qubits[w] = r->circuit->n_qubits;
            vfirst[w] = st.var_first;
            vmean[w] = st.mean_var;
            nparams[w] = (double)t.n_params;
            say_stats(o, &t, &st, o->widths[w]);
        }
        int front_failed = !r;
        free(x);
        stats_free(&st);
        target_free(&t);
        sema_free(r);
        if (ar) arena_destroy(ar);
        refback_reset();
        if (!ok) {
            if (!front_failed && err[0]) fprintf(stderr, "qnnc grad: %s\n", err);
            err[0] = '\0';
            return EXIT_ERRORS;
        }
    }
    /* log2 Var = a + b n by least squares: Var ~ 2^(b n); b = -1 is a 2-design's decay. */
    double sx = 0, sy = 0, sxx = 0, sxy = 0;
    int m = 0;
    for (int w = 0; w < nw; w++)
        if (vmean[w] > 0 && isfinite(vmean[w])) {
            double ly = log2(vmean[w]);
            sx += qubits[w], sy += ly, sxx += qubits[w] * qubits[w], sxy += qubits[w] * ly, m++;
        }
    double slope = m >= 2 && m * sxx - sx * sx > 0 ? (m * sxy - sx * sy) / (m * sxx - sx * sx) : NAN;
    if (!o->quiet && isfinite(slope))
        fprintf(stderr, "qnnc grad: the mean variance falls as 2^(%.3f n) over n = %g..%g qubits\n",
                slope, qubits[0], qubits[nw - 1]);
    sink s;
    if (sink_open(&s, o->out, err, errlen)) goto fail;
    if (o->out && has_ext(o->out, ".json")) {
        fprintf(s.fp, "{\n  \"circuit\": ");
        json_string(s.fp, o->circuit);
        fputs(",\n  \"width_arg\": ", s.fp);
        json_string(s.fp, o->width_arg);
        fprintf(s.fp, ",\n  \"samples\": %d,\n  \"init\": \"%s\",\n  \"seed\": %llu,\n  "
                "\"log2_slope\": ", o->samples, o->init_uniform ? "uniform [0, 2 pi)" : "declared",
                (unsigned long long)seed);
        json_num(s.fp, slope);
        fputs(",\n  \"widths\": [", s.fp);
        for (int w = 0; w < nw; w++) {
            fprintf(s.fp, "%s\n    {\"width\": %d, \"qubits\": %g, \"params\": %g, \"var_first\": ",
                    w ? "," : "", o->widths[w], qubits[w], nparams[w]);
            json_num(s.fp, vfirst[w]);
            fputs(", \"mean_var\": ", s.fp);
            json_num(s.fp, vmean[w]);
            fputc('}', s.fp);
        }
        fputs("\n  ]\n}\n", s.fp);
    } else {
        fputs("width,qubits,params,var_first,mean_var\n", s.fp);
        for (int w = 0; w < nw; w++)
            fprintf(s.fp, "%d,%g,%g,%.17g,%.17g\n", o->widths[w], qubits[w], nparams[w], vfirst[w], vmean[w]);
    }
    if (sink_close(&s, err, errlen)) goto fail;
    if (o->plot) {
        const double *series[2] = {vfirst, vmean};
        const char *labels[2] = {"Var[d out0 / d p0]", "mean Var over all d out_k / d p_i"};
        char title[256], sub[256];
        snprintf(title, sizeof title, "Gradient variance of circuit %s", o->circuit);
        snprintf(sub, sizeof sub, "%d samples per width (%s init, seed %llu)%s%.3f n)", o->samples,
                 o->init_uniform ? "uniform [0, 2 pi)" : "declared", (unsigned long long)seed,
                 isfinite(slope) ? "; mean variance ~ 2^(" : "", isfinite(slope) ? slope : 0.0);
        if (!isfinite(slope)) sub[strlen(sub) - 5] = '\0';
        if (report_gradient_variance(o->plot, qubits, series, labels, 2, nw, title, sub, err, errlen))
            goto fail;
    }
    rc = 0;
fail:
    if (rc && err[0]) fprintf(stderr, "qnnc grad: %s\n", err);
    return rc;
}

static int run_one(engine *e, const grad_options *o, const sema_result *r, char *err,
                   size_t errlen) {
    target t;
    memset(&t, 0, sizeof t);
    rt_experiment x_exact; /* the experiment with shots = exact: grad reports exact values */
    rt_circuit c1, *cs = NULL;
    const rt_circuit **ptrs = NULL;
    const ir_circuit *ir = NULL;
    double *x = NULL, *y = NULL, *jp = NULL, *jx = NULL, *flat = NULL;
    char **names = NULL;
    char weights[RT_PATH_MAX + 64];
    int n = 0, rc = EXIT_ERRORS, precision;
    rt_rng rng;
    uint64_t seed;
    if (o->circuit) {
        ir = r->circuit;
        precision = o->reference ? 64 : o->precision ? o->precision : 64;
        seed = o->has_seed ? o->seed : 0;
        rt_rng_seed(&rng, seed);
        if (bind_circuit(e, ir, precision, o->reference, &c1, err, errlen) ||
            target_circuit(&t, ir, &c1, e->pool, &rng, err, errlen))
            goto done;
    } else {
        const sema_experiment *sx = pick_experiment(r, o);
        if (!sx) return EXIT_ERRORS;
        x_exact = sx->exp;
        if (x_exact.shots > 0) /* said, not silently dropped: the statistic of grad is exact */
            fprintf(stderr, "note: %s: shots = %d is not used: qnnc grad reports exact outputs and "
                            "gradients (docs/grad.md)\n", x_exact.name, x_exact.shots);
        x_exact.shots = 0;
        const rt_experiment *x0 = &x_exact;
        precision = o->reference ? 64 : o->precision ? o->precision : x0->precision;
        seed = o->has_seed ? o->seed : x0->seed;
        cs = calloc((size_t)sx->model.n_circuits + 1, sizeof *cs);
        ptrs = calloc((size_t)sx->model.n_circuits + 1, sizeof *ptrs);
        if (!cs || !ptrs) goto oom;
        /* Layers with the same circuit IR (QIREN's hybrid layers) share one compilation, as
         * in `qnnc run`. */
        char **texts = calloc((size_t)sx->model.n_circuits + 1, sizeof *texts);
        int bad = !texts;
        for (int k = 0; k < sx->model.n_circuits && !bad; k++) {
            int same = -1;
            texts[k] = ir_to_text(sx->model.circuits[k]);
            for (int j = 0; j < k && same < 0 && texts[k]; j++)
                if (texts[j] && strcmp(texts[j], texts[k]) == 0) same = j;
            if (same >= 0) cs[k] = cs[same];
            else bad = bind_circuit(e, sx->model.circuits[k], precision, o->reference, &cs[k], err, errlen);
            ptrs[k] = &cs[k];
        }
        for (int k = 0; texts && k < sx->model.n_circuits; k++) free(texts[k]);
        free(texts);
        if (bad) {
            if (!err[0]) snprintf(err, errlen, "%s: out of memory", o->file);
            goto done;
        }
        /* The batch size of a coupled (batch-norm) model is the number of points: read them
         * first (the input width is the experiment's, known without the model). */
        target probe;
        memset(&probe, 0, sizeof probe);
        snprintf(probe.what, sizeof probe.what, "experiment `%.160s`", x0->name);
        probe.n_in = x0->in_dim;
        if (load_inputs(o, &probe, &x, &n, err, errlen)) goto done;
        rt_rng_seed(&rng, seed);
        if (target_model(&t, x0, ptrs, e->pool, n, o->bn_running, &rng, err, errlen)) goto done;
        if (o->checkpoint) {
            char msg[2048];
            if (run_checkpoint_load(o->checkpoint, x0, t.model, NULL, NULL, msg, sizeof msg)) {
                snprintf(err, errlen, "%s", msg);
                goto done;
            }
        }
    }
    if (!x && load_inputs(o, &t, &x, &n, err, errlen)) goto done;
    size_t P = t.n_params, K = (size_t)t.n_out, J = (size_t)t.n_in;
    if ((size_t)n * K * (P > J ? P : J) > MAX_JACOBIAN) {
        snprintf(err, errlen, "%s: the Jacobian of %d points x %zu outputs x %zu parameters is "
                 "over 2^28 values; give fewer points", t.what, n, K, P);
        goto done;
    }
    if (!(flat = calloc(P + 1, sizeof *flat)) || !(names = param_names(&t, ir)) ||
        (P && !names[P - 1]))
        goto oom;
    if (o->params) {
        if (load_params(o->params, &t, flat, err, errlen)) goto done;
        set_params(&t, flat);
        snprintf(weights, sizeof weights, "params %s", o->params);
    } else if (o->checkpoint) {
        snprintf(weights, sizeof weights, "checkpoint %s", o->checkpoint);
    } else {
        snprintf(weights, sizeof weights, "seed %llu", (unsigned long long)seed);
    }
    if (o->samples) {
        if (n != 1) {
            snprintf(err, errlen, "%s: --samples takes one input point; the file has %d",
                     o->inputs ? o->inputs : "--input", n);
            goto done;
        }
        sample_stats st;
        if (run_samples(&t, x, o->samples, o->init_uniform, seed, o->dump, &st, err, errlen)) {
            stats_free(&st);
            goto done;
        }
        say_stats(o, &t, &st, -1);
        int w = write_stats(o->out, &st, names, o->samples, o->init_uniform, seed, t.what, err, errlen);
        stats_free(&st);
        rc = w ? EXIT_ERRORS : 0;
        goto done;
    }
    y = calloc((size_t)n * K + 1, sizeof *y);
    if (o->wrt & WRT_PARAMS) jp = calloc((size_t)n * K * P + 1, sizeof *jp);
    if (o->wrt & WRT_INPUTS) jx = calloc((size_t)n * K * J + 1, sizeof *jx);
    if (!y || ((o->wrt & WRT_PARAMS) && !jp) || ((o->wrt & WRT_INPUTS) && !jx)) goto oom;
    if (jacobian(&t, x, n, y, jp, jx, err, errlen)) goto done;
    get_params(&t, flat);
    grad_result g = {n, (int)K, (int)J, P, x, y, jp, jx, flat, names, weights};
    if (o->out && has_ext(o->out, ".npy")) {
        int64_t shape[3] = {n, (int64_t)K, (int64_t)(jp ? P : J)};
        if (io_npy_write(o->out, 3, shape, jp ? jp : jx, 0, err, errlen)) goto done;
    } else {
        sink s;
        if (sink_open(&s, o->out, err, errlen)) goto done;
        if (o->out && has_ext(o->out, ".json")) write_grad_json(s.fp, &g, o->file, t.what, t.layer ? c1.precision : precision);
        else write_grad_csv(s.fp, &g);
        if (sink_close(&s, err, errlen)) goto done;
    }
    rc = 0;
    goto done;
oom:
    snprintf(err, errlen, "%s: out of memory", t.what[0] ? t.what : o->file);
done:
    if (rc && err[0]) fprintf(stderr, "qnnc grad: %s\n", err);
    free_names(names, t.n_params);
    target_free(&t);
    free(cs);
    free(ptrs);
    free(x);
    free(y);
    free(jp);
    free(jx);
    free(flat);
    return rc;
}

int cmd_grad_main(int argc, char **argv) {
    grad_options o;
    int rc = parse_args(argc, argv, &o);
    if (rc) return rc;
    arena *ar = arena_create();
    if (!o.sema.stdlib_dir) o.sema.stdlib_dir = cmd_find_stdlib(ar);
    char err[4096] = "";
    engine e = {0};
    int threads = o.threads;
    if (!threads) {
        long cores = sysconf(_SC_NPROCESSORS_ONLN);
        threads = cores > 0 ? (int)(cores < RT_LIMIT_THREADS ? cores : RT_LIMIT_THREADS) : 1;
    }
    if (!o.reference && !(e.jit = jit_create(err, sizeof err))) {
        fprintf(stderr, "qnnc grad: %s\n", err);
        arena_destroy(ar);
        return EXIT_ERRORS;
    }
    if (!(e.pool = rt_pool_create(threads))) {
        fprintf(stderr, "qnnc grad: %s\n", rt_error_last());
        jit_destroy(e.jit);
        arena_destroy(ar);
        return EXIT_ERRORS;
    }
    if (o.n_widths) {
        rc = run_widths(&e, &o, err, sizeof err);
    } else {
        sema_result *r = front_end(ar, &o, &o.sema);
        rc = r ? run_one(&e, &o, r, err, sizeof err) : EXIT_ERRORS;
        sema_free(r);
    }
    refback_reset();
    rt_pool_destroy(e.pool);
    if (e.jit) jit_destroy(e.jit);
    arena_destroy(ar);
    return rc;
}
