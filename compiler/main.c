/* qnnc: the command-line driver. The pipeline reads top to bottom:
 *   load + parse (parse.c) -> check + elaborate (sema.c) -> circuit IR (lower.c)
 *   -> passes (passes.c) -> LLVM IR (cg.c) -> JIT (jit.c; objects kept between runs by the
 *   compiled-code cache, cache.c) or object file -> runtime.
 * Each command stops after the phase it needs, and after any phase that reported errors. */
#define _XOPEN_SOURCE 700 /* sysconf */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rt_disc.h"
#include "rt_gen.h"
#include "rt_imageset.h"
#include "run_data.h"
#include "arena.h"
#include "cg.h"
#include "dm_checkpoints.h"
#include "cmd_build.h"
#include "cmd_grad.h"
#include "cmd_sweep.h"
#include "commands.h"
#include "diag.h"
#include "draw.h"
#include "qasm.h"
#include "ir.h"
#include "passes.h"
#include "rt_exact.h"
#include "rt_limits.h"
#include "rt_settings.h"
#include "sema.h"
#include "spectrum.h"

enum { EXIT_ERRORS = 1, EXIT_USAGE = 2, DEFAULT_MAX_QUBITS = 24 };

typedef struct {
    const char *command;
    const char *file;
    sema_options sema;
    const char *sets[256];
    command_options cmd;
    draw_command_options draw; /* draw (and --layer of spectrum) */
    int spectrum_input;        /* spectrum --input J (-1: not given) */
} options;

static const char *const COMMANDS[] = {"check", "info", "emit-ir", "emit-llvm", "draw", "emit-qasm", "from-qasm", "spectrum", "run", "eval", "build", "grad", "sweep", "doctor"};
enum { N_COMMANDS = sizeof COMMANDS / sizeof *COMMANDS };

static void usage(FILE *f) {
    fprintf(f,
          "usage: qnnc COMMAND FILE.qnn [options]\n"
          "       qnnc doctor | --version | --help\n"
          "\n"
          "commands:\n"
          "  check      parse and check a file (exit 0, or diagnostics and exit 1)\n"
          "  info       per layer: qubits, gates by kind, depth, parameters; totals;\n"
          "             gate counts before/after fusion and estimated flops per sample\n"
          "  emit-ir    print the circuit IR of each quantum layer, before and after fusion\n"
          "  emit-llvm  print the LLVM module generated for each quantum layer\n"
          "  draw       a diagram of each quantum layer's circuit: wires, gates with their angles,\n"
          "             observables (--layer N, --circuit NAME, --fused, --ascii, --width N,\n"
          "             --svg FILE)\n"
          "  emit-qasm  print each quantum layer's circuit as an OpenQASM 3 program (stdgates.inc;\n"
          "             inputs and parameters as `input float[64]`, outputs as comments;\n"
          "             --checkpoint FILE binds every quantum layer's trained weights)\n"
          "  from-qasm  read FILE.qasm (the subset emit-qasm writes) as a .qnn circuit named\n"
          "             after the file, to stdout or -o OUT.qnn\n"
          "  spectrum   the frequencies each quantum layer's circuit can express in each input\n"
          "             (--layer N); with --checkpoint FILE the trained model's Fourier\n"
          "             coefficients along one input (fourier.csv, fourier.png in --out DIR)\n"
          "  run        compile the circuits (LLVM JIT), train and evaluate each experiment,\n"
          "             write its outputs (default folder out/EXPERIMENT)\n"
          "  eval       evaluate trained weights (--checkpoint) on any grid (--grid N), against\n"
          "             a target file (--target) when given\n"
          "  build      compile an experiment ahead of time: qnnc build FILE.qnn -o NAME writes a\n"
          "             native executable; --emit obj|asm|llvm|c|lib (NAME.a + NAME.h for C),\n"
          "             --target TRIPLE, --cpu NAME, --features STR (qnnc build --help)\n"
          "  grad       outputs and gradients (w.r.t. parameters and inputs) of a circuit\n"
          "             (--circuit NAME) or a model at given weights and inputs, as CSV, JSON or\n"
          "             .npy; --samples N: gradient mean and variance over random parameters,\n"
          "             --widths: against the qubit count, with a plot (qnnc grad --help)\n"
          "  sweep      run an experiment over the cross product of --set values (lists\n"
          "             a,b,c or integer ranges a..b, half-open), --jobs N at a time, each run\n"
          "             in its own folder; restarting skips finished runs; writes the table of\n"
          "             mean, sd, min and max over seeds (sweep.md, sweep.csv, sweep.png)\n"
          "  doctor     what a run on this machine would use: threads, vector lanes, CPU, LLVM,\n"
          "             memory, the data search path, the standard library, the build cache\n"
          "\n"
          "options:\n"
          "  --set KEY=VALUE   override an experiment setting (repeatable), e.g. --set epochs=50,\n"
          "                    --set optimizer.lr=0.01, --set model.hidden=3\n"
          "  --experiment NAME pick one experiment of the file (default: all)\n"
          "  --max-qubits N    refuse circuits above N qubits (default %d, at most %d)\n"
          "  --stdlib DIR      where `import` looks for the standard library\n"
          "  --no-fuse         do not fuse gates (emit-ir: show the unfused circuit only)\n"
          "  --layer N         draw, spectrum: only layer N of the model (its number in `qnnc info`)\n"
          "  --circuit NAME    draw: that circuit, with its default arguments\n"
          "  --input J         spectrum --checkpoint: vary model input J (default 0), the others 0\n"
          "  --fused           draw: the circuit after gate fusion\n"
          "  --ascii           draw: ASCII characters only\n"
          "  --width N         draw: wrap the drawing at N columns (default 100; 0: never)\n"
          "  --svg FILE        draw: write the drawing of one circuit as SVG to FILE\n"
          "  --out DIR         run/eval/spectrum: output folder\n"
          "  --resume FILE     run: continue training from a checkpoint\n"
          "  --checkpoint FILE eval, spectrum: the weights to evaluate\n"
          "  --grid N          run/eval: evaluation grid, 1 to %d (e.g. 64 for superresolution;\n"
          "                    an image grid is N x N points, N at most %d)\n"
          "  --target FILE     run/eval: ground truth on that grid\n"
          "  --threads N       threads for the simulation, 0 to %d (default 0: all cores)\n"
          "  --precision f64|f32  circuit simulation precision (default: the experiment's)\n"
          "  --grad adjoint|shift gradient method of the circuits (default: the `gradient` setting)\n"
          "  --time            print compile times (run/eval: whether each circuit came from\n"
          "                    the compiled-code cache, and the time before the runtime starts)\n"
          "  --reference       run/eval: simulate with the plain reference interpreter (slow;\n"
          "                    an independent check of the generated code)\n"
          "  --no-cache        run/eval: compile every circuit, without reading or writing the\n"
          "                    compiled-code cache (default folder $XDG_CACHE_HOME/qnn, else\n"
          "                    ~/.cache/qnn; QNN_CACHE_DIR overrides)\n"
          "  --result FILE     run/eval: the final figures of the (one) experiment, as name,value\n"
          "                    lines\n"
          "  --compare-to NAME run: the experiment the comparison's relative errors are divided\n"
          "                    by (default: the first Tanh MLP, else the first experiment)\n"
          "  --jobs N          sweep: runs at a time (default 1; threads per run: cores / N)\n"
          "  --metric NAME     sweep: the figure of the table and the plot (default mse, else\n"
          "                    accuracy, eval_loss, final_loss)\n"
          "  --quiet, -q       no progress lines\n"
          "  --help, -h        this text\n"
          "  --version         qnn's version, the LLVM it was built with, the host CPU\n",
          DEFAULT_MAX_QUBITS, CG_MAX_QUBITS, RT_LIMIT_GRID, RT_LIMIT_IMAGE_SIZE, RT_LIMIT_THREADS);
    /* the settings from the schema's documentation columns (runtime/rt_schema.c) */
    fputs("\nexperiment settings (--set KEY=VALUE; docs/language.md 6.2, 6.2.1):\n", f);
    rt_schema_print_help(f, 0);
    fputs("\n"
          "Environment: QNN_DATA_DIR (data files), QNN_STDLIB (the standard library),\n"
          "QNN_CACHE_DIR (the compiled-code cache of run/eval, and qnnc build's object cache),\n"
          "XDG_CACHE_HOME, HOME. The language is described in docs/language.md.\n", f);
}

/* qnnc --version: what a bug report needs. */
static void print_version(void) {
    char built[32], running[32], *cpu = NULL, *features = NULL;
    cg_llvm_version(built, sizeof built, running, sizeof running);
    printf("qnnc %s\n", QNN_VERSION);
    printf("LLVM %s%s%s%s\n", built, strcmp(built, running) ? " (running with " : "",
           strcmp(built, running) ? running : "", strcmp(built, running) ? ")" : "");
    if (cg_host_cpu(&cpu, &features) == 0) printf("host CPU %s\n", cpu);
    free(cpu);
    free(features);
}

/* Command-line mistakes: one line starting `qnnc: `, exit status 2. */
static int usage_error(const char *fmt, const char *arg) {
    fputs("qnnc: ", stderr);
    fprintf(stderr, fmt, arg);
    fputs(" (see `qnnc --help`)\n", stderr);
    return EXIT_USAGE;
}

static int parse_args(int argc, char **argv, options *o) {
    memset(o, 0, sizeof *o);
    o->sema.max_qubits = DEFAULT_MAX_QUBITS;
    o->sema.sets = o->sets;
    o->draw.layer = -1;
    o->spectrum_input = -1;
    o->draw.draw.width = 100;
    int draw_opt = 0; /* an option only `draw` takes was given (refused elsewhere) */
    const char *draw_opt_name = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *next = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            exit(0);
        } else if (strcmp(a, "--version") == 0) {
            print_version();
            exit(0);
        } else if (strcmp(a, "--set") == 0 || strncmp(a, "--set=", 6) == 0) {
            const char *v = a[5] == '=' ? a + 6 : next;
            if (!v) return usage_error("`--set` needs KEY=VALUE", NULL);
            if (a[5] != '=') i++;
            if (o->sema.n_sets >= 256) return usage_error("too many `--set` options", NULL);
            o->sets[o->sema.n_sets++] = v;
        } else if (strcmp(a, "--max-qubits") == 0) {
            char *end;
            long v = next ? strtol(next, &end, 10) : 0;
            if (!next || *end || v < 1 || v > CG_MAX_QUBITS) {
                fprintf(stderr, "qnnc: `--max-qubits` needs a number from 1 to %d\n", CG_MAX_QUBITS);
                return EXIT_USAGE;
            }
            o->sema.max_qubits = (int)v;
            i++;
        } else if (strcmp(a, "--stdlib") == 0) {
            if (!next) return usage_error("`--stdlib` needs a folder", NULL);
            o->sema.stdlib_dir = next;
            i++;
        } else if (strcmp(a, "--experiment") == 0) {
            if (!next) return usage_error("`--experiment` needs a name", NULL);
            o->cmd.experiment = next;
            i++;
        } else if (strcmp(a, "--input") == 0) {
            char *end = NULL;
            long v = next && *next ? strtol(next, &end, 10) : -1;
            if (!next || !end || *end || v < 0 || v > 1000000) {
                fprintf(stderr, "qnnc: `--input` needs the index of a model input (0 for x[0]), not `%s`\n",
                        next ? next : "");
                return EXIT_USAGE;
            }
            o->spectrum_input = (int)v;
            i++;
        } else if (strcmp(a, "--layer") == 0 || strcmp(a, "--width") == 0) {
            int layer = a[2] == 'l';
            char *end = NULL;
            long v = next && *next ? strtol(next, &end, 10) : -1;
            if (!next || !end || *end || v < 0 || v > 1000000) {
                fprintf(stderr, "qnnc: `%s` needs a number %s, not `%s`\n", a,
                        layer ? "(a layer of the model, as `qnnc info` numbers them)" : "of columns (0: never wrap)",
                        next ? next : "");
                return EXIT_USAGE;
            }
            if (layer) o->draw.layer = (int)v;
            else o->draw.draw.width = (int)v, draw_opt = 1, draw_opt_name = a;
            i++;
        } else if (strcmp(a, "--circuit") == 0 || strcmp(a, "--svg") == 0) {
            if (!next) return usage_error(a[2] == 'c' ? "`--circuit` needs a name" : "`--svg` needs a file", NULL);
            if (a[2] == 'c') o->draw.circuit = next;
            else o->draw.svg = next;
            draw_opt = 1, draw_opt_name = a;
            i++;
        } else if (strcmp(a, "--fused") == 0 || strcmp(a, "--ascii") == 0) {
            if (a[2] == 'f') o->draw.fused = 1;
            else o->draw.draw.ascii = 1;
            draw_opt = 1, draw_opt_name = a;
        } else if (strcmp(a, "--no-fuse") == 0) {
            o->cmd.no_fuse = 1;
        } else if (strcmp(a, "--quiet") == 0 || strcmp(a, "-q") == 0) {
            o->cmd.quiet = 1;
        } else if (strcmp(a, "--time") == 0) {
            o->cmd.show_time = 1;
        } else if (strcmp(a, "--reference") == 0) {
            o->cmd.reference = 1;
        } else if (strcmp(a, "--no-cache") == 0) {
            o->cmd.no_cache = 1;
        } else if (strcmp(a, "--compare-to") == 0) {
            if (!next || !*next) return usage_error("`--compare-to` needs an experiment's name", NULL);
            o->cmd.compare_to = next;
            i++;
        } else if (strcmp(a, "--out") == 0 || strcmp(a, "--resume") == 0 ||
                   strcmp(a, "--checkpoint") == 0 || strcmp(a, "--target") == 0 ||
                   strcmp(a, "--result") == 0) {
            if (!next) return usage_error("`%s` needs a path", a);
            if (strcmp(a, "--result") == 0) o->cmd.result_file = next;
            else if (a[2] == 'o') o->cmd.out_dir = next;
            else if (a[2] == 'r') o->cmd.resume = next;
            else if (a[2] == 'c') o->cmd.checkpoint = next;
            else o->cmd.target = next;
            i++;
        } else if (strcmp(a, "--threads") == 0 || strcmp(a, "--grid") == 0) {
            /* threads 0 = all cores, as `threads = 0` in a file */
            int threads = a[2] == 't';
            long lo = threads ? 0 : 1, hi = threads ? RT_LIMIT_THREADS : RT_LIMIT_GRID;
            char *end = NULL;
            long v = next && *next ? strtol(next, &end, 10) : -1;
            if (!next || !end || *end || v < lo || v > hi) {
                fprintf(stderr, "qnnc: `%s` needs a number from %ld to %ld%s, not `%s`\n", a, lo, hi,
                        threads ? " (0: all cores)" : "", next ? next : "");
                return EXIT_USAGE;
            }
            if (threads) { /* 0 = all cores here: the runtime reads 0 as "the file's setting" */
                long cores = sysconf(_SC_NPROCESSORS_ONLN);
                o->cmd.threads = v ? (int)v : cores > 0 ? (int)(cores < RT_LIMIT_THREADS ? cores : RT_LIMIT_THREADS) : 1;
            } else {
                o->cmd.grid = (int)v;
            }
            i++;
        } else if (strcmp(a, "--precision") == 0) {
            if (!next || (strcmp(next, "f64") != 0 && strcmp(next, "f32") != 0))
                return usage_error("`--precision` takes f64 or f32", NULL);
            o->cmd.precision = next[1] == '6' ? 64 : 32;
            i++;
        } else if (strcmp(a, "--grad") == 0) {
            if (!next || (strcmp(next, "adjoint") != 0 && strcmp(next, "shift") != 0))
                return usage_error("`--grad` takes adjoint or shift", NULL);
            o->cmd.grad_shift = next[0] == 's';
            o->cmd.grad_given = 1;
            i++;
        } else if (a[0] == '-' && a[1]) {
            static const char *const opts[] = {"--set", "--experiment", "--max-qubits", "--stdlib",
                                               "--no-fuse", "--help", "--version", "--out",
                                               "--resume", "--checkpoint", "--grid", "--target",
                                               "--threads", "--precision", "--grad", "--time",
                                               "--quiet", "--reference", "--no-cache", "--layer",
                                               "--circuit", "--fused", "--ascii", "--width", "--svg",
                                               "--input", "--result", "--compare-to"};
            const char *hint = diag_suggest(a, opts, (int)(sizeof opts / sizeof *opts));
            fprintf(stderr, "qnnc: unknown option `%s`%s%s%s\nvalid options: --set KEY=VALUE, "
                            "--experiment NAME, --max-qubits N, --stdlib DIR, --no-fuse, --out DIR, "
                            "--resume FILE, --checkpoint FILE, --grid N, --target FILE, --threads N, "
                            "--precision f64|f32, --grad adjoint|shift, --time, --quiet, --reference, --no-cache, "
                            "--layer N, --circuit NAME, --fused, --ascii, --width N, --svg FILE, --input J, --result FILE, --compare-to NAME, --help, "
                            "--version\n",
                    a, hint ? " (did you mean `" : "", hint ? hint : "", hint ? "`?)" : "");
            return EXIT_USAGE;
        } else if (!o->command) {
            o->command = a;
        } else if (!o->file) {
            o->file = a;
        } else {
            return usage_error("unexpected argument `%s`: one file at a time", a);
        }
    }
    if (!o->command) {
        usage(stderr);
        return EXIT_USAGE;
    }
    int known = 0;
    for (int i = 0; i < N_COMMANDS; i++) known |= strcmp(o->command, COMMANDS[i]) == 0;
    /* The cache belongs to the commands that compile circuits into the JIT; elsewhere the
     * option would do nothing, which is refused rather than ignored. */
    int runs = known && (strcmp(o->command, "run") == 0 || strcmp(o->command, "eval") == 0);
    if (o->cmd.compare_to && known && strcmp(o->command, "run") != 0)
        return usage_error("`--compare-to NAME` is for `run` (the comparison of several "
                           "experiments); `%s` writes none", o->command);
    if (o->cmd.result_file && !runs && known)
        return usage_error("`--result FILE` is for `run` and `eval` (the figures of a run); `%s` "
                           "runs nothing", o->command);
    if (o->cmd.no_cache && !runs && known)
        return usage_error("`--no-cache` is for `run` and `eval` (the compiled-code cache); `%s` "
                           "compiles nothing", o->command);
    if (o->cmd.no_cache && o->cmd.reference)
        return usage_error("`--no-cache` has no effect with `--reference`: the reference interpreter "
                           "compiles nothing%s", "");
    if (known && strcmp(o->command, "doctor") == 0) {
        if (o->file) return usage_error("`doctor` takes no file (it reports on this machine), not `%s`", o->file);
        return 0;
    }
    if (!known) {
        const char *hint = diag_suggest(o->command, COMMANDS, N_COMMANDS);
        fprintf(stderr, "qnnc: unknown command `%s`%s%s%s\ncommands: check, info, emit-ir, emit-llvm, draw, emit-qasm, from-qasm, spectrum, run, eval, build, grad, sweep, doctor\n",
                o->command, hint ? " (did you mean `" : "", hint ? hint : "", hint ? "`?)" : "");
        return EXIT_USAGE;
    }
    if (strcmp(o->command, "sweep") == 0) /* main hands `qnnc sweep ...` over before parsing */
        return usage_error("`sweep` comes first, its options after it: qnnc sweep FILE --set KEY=A,B ...%s", "");
    if (!o->file) return usage_error("`%s` needs a .qnn file", o->command);
    int drawing = strcmp(o->command, "draw") == 0;
    if (draw_opt && !drawing)
        return usage_error("`%s` is for `qnnc draw`", draw_opt_name);
    int spectrum = strcmp(o->command, "spectrum") == 0;
    if (o->draw.layer >= 0 && !drawing && !spectrum)
        return usage_error("`--layer N` is for `qnnc draw` and `qnnc spectrum`%s", "");
    if (o->spectrum_input >= 0 && !(spectrum && o->cmd.checkpoint))
        return usage_error("`--input J` is for `qnnc spectrum --checkpoint FILE` (the model input to "
                           "vary)%s", "");
    if (drawing && o->draw.circuit && o->draw.layer >= 0)
        return usage_error("`--circuit NAME` draws a circuit by name and `--layer N` a layer of a "
                           "model: give one of them%s", "");
    if (drawing && o->draw.circuit && o->cmd.experiment)
        return usage_error("`--circuit NAME` draws a circuit by name, not a layer of experiment `%s`",
                           o->cmd.experiment);
    /* Options that the other command would use: refused rather than silently ignored. */
    if (strcmp(o->command, "run") == 0 && o->cmd.checkpoint)
        return usage_error("`--checkpoint FILE` is for `qnnc eval` (the weights to evaluate); `run` "
                           "trains, and continues from a checkpoint with `--resume FILE`%s", "");
    if (strcmp(o->command, "eval") == 0 && o->cmd.resume)
        return usage_error("`--resume FILE` is for `qnnc run` (continue training); `eval` takes the "
                           "weights with `--checkpoint FILE`%s", "");
    return 0;
}

static const char *layer_name(rt_layer_type k) { return rt_layer_kind_name(k); }

static void print_gate_counts(const int counts[IR_GATE_COUNT]) {
    int first = 1;
    for (int g = 0; g < IR_GATE_COUNT; g++)
        if (counts[g]) {
            printf("%s%s %d", first ? "" : ", ", ir_gate_name((ir_gate)g), counts[g]);
            first = 0;
        }
}

static void print_circuit_info(const ir_circuit *c, const char *indent) {
    ir_circuit *fused = pass_fuse(c);
    pass_report r;
    pass_stats(c, fused, &r);
    /* uniform() draws are circuit inputs to the generated code but not data the layer takes */
    char draws[48] = "";
    if (c->n_uniform)
        snprintf(draws, sizeof draws, " (+ %d uniform() draw%s per call)", c->n_uniform,
                 c->n_uniform == 1 ? "" : "s");
    printf("%scircuit %s: %d qubits, %d inputs%s, %d outputs, %d parameters, depth %d\n", indent,
           c->name, c->n_qubits, c->n_inputs - c->n_uniform, draws, c->n_obs, c->n_params,
           r.before.depth);
    printf("%s  gates: ", indent);
    print_gate_counts(r.before.counts);
    printf(" (%d in all)\n", r.before.n_primitive);
    printf("%s  sweeps over the state: %d before fusion -> %d after (", indent, r.before.n_ops,
           r.after.n_ops);
    print_gate_counts(r.after.counts);
    printf(")\n%s  estimated flops per sample: forward %.0f -> %.0f, vjp %.0f -> %.0f\n", indent,
           r.before.forward_flops, r.after.forward_flops, r.before.vjp_flops, r.after.vjp_flops);
    /* rule 9's effect: the same pass without it, and its blocks under the cost model */
    pass_options no_blocks = {0};
    ir_circuit *plain = pass_fuse_with(c, &no_blocks);
    pass_cost pc;
    pass_cost_of(plain, &pc);
    pass_blocks pb;
    pass_pair_blocks(plain, &pb);
    int dense = r.after.counts[IR_FUSED_2Q];
    if (dense)
        printf("%s  two-qubit blocks: %d fused into dense 4x4 ops (without them: %d sweeps, "
               "forward %.0f, vjp %.0f)\n", indent, dense, pc.n_ops, pc.forward_flops,
               pc.vjp_flops);
    else
        printf("%s  two-qubit blocks: %d, none cheaper as a dense 4x4 op\n", indent, pb.n_blocks);
    /* docs/codegen.md section 11: small batches with one sample's amplitudes in the lanes */
    cg_options co = {64, cg_default_lanes(NULL, 64), 3, CG_GRAD_ADJOINT, 0, 0, 0};
    int below;
    int64_t amp_sweeps, main_sweeps;
    cg_amp_plan(fused, &co, &below, &amp_sweeps, &main_sweeps);
    if (below > 1)
        printf("%s  small batches: 1 to %d samples run one at a time with their amplitudes in "
               "the %d lanes (f64): %lld sweeps of one state instead of %lld of %d\n", indent,
               below - 1, co.lanes, (long long)amp_sweeps, (long long)main_sweeps, co.lanes);
    ir_free(plain);
    ir_free(fused);
}

/* The depth of layer i in the model's tree (rt_spec.h: parent = composite index + 1). */
static int layer_depth(const sema_model *m, int i) {
    int d = 0;
    for (int p = m->layers[i].parent; p > 0 && d < m->n_layers; p = m->layers[p - 1].parent) d++;
    return d;
}

/* Parameters of layer i with, for a composite, every layer of its branches. */
static long long subtree_params(const sema_model *m, int i) {
    long long n = sema_layer_params(&m->layers[i]);
    for (int j = i + 1; j < m->n_layers && layer_depth(m, j) > layer_depth(m, i); j++)
        n += sema_layer_params(&m->layers[j]);
    return n;
}

static void print_model_info(const sema_model *m) {
    printf("  model %s: %d -> %d, %lld parameters\n", m->name, m->in_dim, m->out_dim, m->n_params);
    printf("    %3s  %-14s %-12s %8s\n", "#", "layer", "features", "params");
    for (int i = 0; i < m->n_layers; i++) {
        const rt_layer_spec *l = &m->layers[i];
        const rt_layer_spec *up = l->parent > 0 ? &m->layers[l->parent - 1] : NULL;
        int depth = layer_depth(m, i);
        char shape[32], name[48];
        if (l->in != l->out) snprintf(shape, sizeof shape, "%d -> %d", l->in, l->out);
        else snprintf(shape, sizeof shape, "%d", l->in);
        snprintf(name, sizeof name, "%*s%s", 2 * depth, "", layer_name(l->kind));
        printf("    %3d  %-14s %-12s %8lld", i, name, shape, subtree_params(m, i));
        if (up && up->kind != RT_LAYER_RESIDUAL) printf("  [%s %d]", up->kind == RT_LAYER_SPLIT ? "copy" : "branch", l->branch);
        if (l->kind == RT_LAYER_PARALLEL) printf("  %d branches, concatenated", l->n_branches);
        if (l->kind == RT_LAYER_SPLIT) printf("  %d copies on slices of %d, own parameters", l->n_branches, l->in / l->n_branches);
        if (l->kind == RT_LAYER_RESIDUAL) printf("  x + f(x)");
        if (l->kind == RT_LAYER_BATCHNORM) printf("  momentum %g, eps %g", l->momentum, l->eps);
        if (l->kind == RT_LAYER_SINE || l->kind == RT_LAYER_SCALE) printf("  omega0 %g", l->omega0);
        if (l->kind == RT_LAYER_RFF) printf("  scale %g (fixed features)", l->rff_scale);
        if (l->kind == RT_LAYER_LINEAR && !l->bias) printf("  no bias");
        if (l->kind == RT_LAYER_QUANTUM) printf("  %s", m->circuits[l->circuit]->name);
        putchar('\n');
        /* the copies of a split share their circuit: its figures once */
        if (l->kind == RT_LAYER_QUANTUM && !(up && up->kind == RT_LAYER_SPLIT && l->branch > 0))
            print_circuit_info(m->circuits[l->circuit], "         ");
    }
    printf("  total parameters: %lld\n", m->n_params);
}

/* An objective experiment (language.md section 6.14): what is optimised, and what the exact
 * optimum will cost the run. */
static void print_objective_info(const rt_experiment *x) {
    if (x->objective == RT_OBJECTIVE_NONE) return;
    printf("  objective: %s output %d (no data)", x->objective == RT_OBJECTIVE_MAXIMIZE ? "maximize" : "minimize",
           x->objective_output);
    if (x->exact == RT_EXACT_OFF) printf("; exact = off\n");
    else if (x->ham_qubits < 1) printf("; no exact optimum (not an expectation value of the last layer)\n");
    else {
        char b[32];
        rt_format_bytes(rt_exact_bytes(x->ham_qubits, x->ham_n_terms, x->ham_terms), b, sizeof b);
        printf("; Hamiltonian of %d Pauli term%s on %d qubits; ", x->ham_n_terms, x->ham_n_terms == 1 ? "" : "s",
               x->ham_qubits);
        if (x->ham_qubits <= RT_EXACT_MAX_QUBITS) printf("exact optimum by dense diagonalisation (%s)\n", b);
        else printf("no exact optimum: its dense matrix would take %s, `exact = auto` stops at %d qubits\n", b,
                    RT_EXACT_MAX_QUBITS);
    }
}

/* Memory of an experiment's model (rt_model_memory_of, the figures rt_memory_estimate
 * builds on): what training keeps besides the data, so models can be compared by it. */
static void print_memory_info(const sema_experiment *x) {
    int qubits[64] = {0};
    for (int k = 0; k < x->model.n_circuits && k < 64; k++) qubits[k] = x->model.circuits[k]->n_qubits;
    rt_model_memory m;
    rt_model_memory_of(&x->exp, x->model.n_params, qubits, &m);
    printf("  memory: %lld trainable parameters %.0f B, gradients %.0f B, optimizer state %.0f B "
           "(%s), buffers %.0f B: %.0f B in all\n", m.n_params, m.params, m.grads, m.optimizer,
           x->exp.optimizer == RT_OPT_ADAM ? "adam, 2 moments" : "sgd, 1 moment", m.buffers,
           m.params + m.grads + m.optimizer + m.buffers);
    printf("          activations kept for backward: %.0f B per point", m.activations_per_point);
    if (m.widest_qubits > 0)
        printf("; state vector %.0f B (%d qubits) per thread", m.state_vector, m.widest_qubits);
    putchar('\n');
    if (m.widest_qubits > 0) { /* both methods, per sample: docs/semantics.md §10 */
        int n = m.widest_qubits, n_ch = 0;
        for (int k = 0; k < x->model.n_circuits; k++)
            for (int i = 0; i < x->model.circuits[k]->n_ops; i++)
                n_ch += x->model.circuits[k]->ops[i].gate == IR_CHANNEL &&
                        x->model.circuits[k]->ops[i].channel != IR_CH_READOUT;
        if (x->exp.simulation == RT_SIM_TRAJECTORIES) {
            /* the channels are gates by now: each run is one state vector, runs in sequence
             * per thread, so K multiplies the time, not the memory */
            int n_draws = 0;
            for (int k = 0; k < x->model.n_circuits; k++) n_draws += x->model.circuits[k]->n_uniform;
            printf("  simulation: trajectories, %d per sample (%d draw%s per run); state vector "
                   "%.0f B per thread, the density matrix would be %.0f B per sample%s\n",
                   x->exp.trajectories, n_draws, n_draws == 1 ? "" : "s", rt_sv_bytes(n),
                   rt_dm_bytes(n), rt_dm_bytes(n) > RT_LIMIT_DM_BYTES ? " (over its limit)" : "");
        } else {
            /* the adjoint vjp's checkpoints per circuit (dm_checkpoints.h, f64): every channel,
             * or every k-th with the segments recomputed when they would not fit */
            int kept = 0, k_max = 1;
            double vjp_bytes = 0;
            for (int k = 0; k < x->model.n_circuits; k++) {
                const ir_circuit *c = x->model.circuits[k];
                int ch = 0;
                for (int i = 0; i < c->n_ops; i++)
                    ch += c->ops[i].gate == IR_CHANNEL && c->ops[i].channel != IR_CH_READOUT;
                int stride = dm_checkpoint_stride(ch, rt_dm_bytes(c->n_qubits));
                int kc = dm_checkpoints_kept(ch, stride);
                kept += kc;
                k_max = stride > k_max ? stride : k_max;
                vjp_bytes += rt_dm_bytes(c->n_qubits) * (kc + 3);
            }
            printf("  simulation: %s; per sample, state vector %.0f B, density matrix %.0f B (its vjp "
                   "%.0f B: %d checkpoint%s", x->exp.simulation == RT_SIM_DENSITY_MATRIX ?
                   "density_matrix" : "statevector", rt_sv_bytes(n), rt_dm_bytes(n),
                   vjp_bytes, kept, kept == 1 ? "" : "s");
            if (k_max > 1)
                printf(" for %d channels: one every %d channels, the segments recomputed; "
                       "--grad shift keeps none", n_ch, k_max);
            printf(")\n");
        }
    }
}

/* A generative experiment (language.md §6.17): the parameters of its generator and its
 * discriminator, which depend on the image set's channels and size: read when the set is
 * found (as `qnnc run` finds it), else said to be unknown. */
static void print_generative_info(const rt_experiment *x) {
    if (!x->gen.on) return;
    const rt_generative *g = &x->gen;
    char path[4096], err[512];
    rt_imageset set = {0};
    int found = run_find_data(x->data.path, x->source, path, sizeof path, err, sizeof err) == 0 &&
                rt_imageset_load(path, &set, err, sizeof err) == 0;
    rt_gen_config cfg = {.z_dim = g->latent, .w_dim = g->style, .mapping_layers = g->mapping,
                         .mapping_lr_mul = g->mapping_lr_mul, .c_feat = x->out_dim, .n_hidden = g->n_hidden,
                         .channels = found ? set.c : 1, .rank = g->rank};
    memcpy(cfg.hidden, g->hidden, sizeof g->hidden);
    rt_gen *gen = rt_gen_new(&cfg, 0);
    printf("  generator: latent %d, style %d (%d mapping layers), %d features -> %d modulated hidden "
           "layer%s of rank %d -> %d channel%s: %d parameters (mapping %d)%s\n", g->latent, g->style,
           g->mapping, x->out_dim, g->n_hidden, g->n_hidden == 1 ? "" : "s", g->rank, cfg.channels,
           cfg.channels == 1 ? "" : "s", gen ? rt_gen_n_params(gen) : -1, gen ? rt_gen_n_mapping_params(gen) : -1,
           found ? "" : " (1 channel assumed: the image set was not found)");
    rt_gen_free(gen);
    if (found) {
        rt_disc *d = rt_disc_new(rt_imageset_dim(&set), g->disc_hidden, g->n_disc_hidden, g->mbstd, 0);
        printf("  discriminator: %d x %d x %d images of %s, minibatch std group %d: %d parameters\n", set.h,
               set.w, set.c, path, g->mbstd, d ? rt_disc_n_params(d) : -1);
        rt_disc_free(d);
    } else {
        printf("  discriminator: parameters depend on the image size (%s)\n", err);
    }
    printf("  gan: %d steps of batch %d, R1 %g every %d, EMA half-life %g images\n", g->steps, x->batch, g->r1,
           g->r1_every, g->ema);
    rt_imageset_free(&set);
}

static int cmd_info(const sema_result *r, const options *o) {
    int shown = 0;
    for (int i = 0; i < r->n_experiments; i++) {
        const sema_experiment *x = &r->experiments[i];
        if (o->cmd.experiment && strcmp(o->cmd.experiment, x->exp.name) != 0) continue;
        printf("experiment %s\n", x->exp.name);
        print_model_info(&x->model);
        print_memory_info(x);
        print_objective_info(&x->exp);
        print_generative_info(&x->exp);
        shown++;
    }
    if (o->cmd.experiment) return 0; /* it exists: main checked */
    for (int i = 0; i < r->n_models; i++) {
        printf("model %s (default arguments)\n", r->models[i].name);
        print_model_info(&r->models[i]);
        shown++;
    }
    for (int i = 0; i < r->n_circuits; i++) {
        print_circuit_info(r->circuits[i], "");
        shown++;
    }
    if (!shown) printf("%s: nothing to show (no experiments, and no circuits or models whose "
                       "parameters all have defaults)\n", o->file);
    return 0;
}

static void emit_ir(const ir_circuit *c, int no_fuse) {
    printf("// circuit %s, unfused\n", c->name);
    ir_print(c, stdout);
    if (no_fuse) return;
    ir_circuit *fused = pass_fuse(c);
    printf("// circuit %s, after fusion\n", c->name);
    ir_print(fused, stdout);
    ir_free(fused);
}

static int cmd_emit_ir(const sema_result *r, const options *o) {
    for (int i = 0; i < r->n_experiments; i++) {
        const sema_experiment *x = &r->experiments[i];
        if (o->cmd.experiment && strcmp(o->cmd.experiment, x->exp.name) != 0) continue;
        for (int k = 0; k < x->model.n_circuits; k++) emit_ir(x->model.circuits[k], o->cmd.no_fuse);
    }
    for (int i = 0; i < r->n_circuits && !o->cmd.experiment; i++) emit_ir(r->circuits[i], o->cmd.no_fuse);
    return 0;
}

int main(int argc, char **argv) {
    double t_start = cmd_now(); /* --time: "before the runtime starts" counts from here */
    if (argc > 1 && strcmp(argv[1], "build") == 0) return cmd_build_main(argc, argv); /* own options */
    if (argc > 1 && strcmp(argv[1], "grad") == 0) return cmd_grad_main(argc, argv);   /* own options */
    if (argc > 1 && strcmp(argv[1], "sweep") == 0) return cmd_sweep_main(argc, argv);
    if (argc > 1 && strcmp(argv[1], "from-qasm") == 0) return qasm_from_main(argc, argv);
    options o;
    int rc = parse_args(argc, argv, &o);
    if (rc) return rc;
    arena *ar = arena_create();
    if (!o.sema.stdlib_dir) o.sema.stdlib_dir = cmd_find_stdlib(ar);
    if (strcmp(o.command, "doctor") == 0) {
        rc = cmd_doctor(o.sema.stdlib_dir, &o.cmd);
        arena_destroy(ar);
        return rc;
    }

    o.cmd.t_start = t_start;
    sema_result *r = sema_check_file(ar, o.file, &o.sema);
    o.cmd.t_front = cmd_now() - t_start;
    if (!r || diag_error_count()) {
        int n = diag_shown_count();
        if (diag_too_many()) fprintf(stderr, "%d errors (the first 20 shown)\n", n);
        else fprintf(stderr, "%d error%s\n", n, n == 1 ? "" : "s");
        sema_free(r);
        arena_destroy(ar);
        return EXIT_ERRORS;
    }
    if (cmd_check_experiment(r, o.file, o.cmd.experiment, "qnnc") ||
        cmd_check_experiment(r, o.file, o.cmd.compare_to, "qnnc: --compare-to")) rc = EXIT_ERRORS;
    else if (o.cmd.compare_to && (o.cmd.experiment || r->n_experiments < 2)) {
        fprintf(stderr, "qnnc: `--compare-to %s` chooses the reference of the comparison of several "
                        "experiments, and this run has one (%s)\n", o.cmd.compare_to,
                o.cmd.experiment ? "--experiment selects it" : "the file has no other");
        rc = EXIT_USAGE;
    }
    else if (o.cmd.result_file && !o.cmd.experiment && r->n_experiments != 1) {
        fprintf(stderr, "qnnc: `--result FILE` holds the figures of one run, and %s has %d "
                        "experiments: pick one with --experiment NAME\n", o.file, r->n_experiments);
        rc = EXIT_USAGE;
    }
    else if (strcmp(o.command, "info") == 0) rc = cmd_info(r, &o);
    else if (strcmp(o.command, "emit-ir") == 0) rc = cmd_emit_ir(r, &o);
    else if (strcmp(o.command, "emit-qasm") == 0) rc = qasm_command(r, o.cmd.experiment, o.cmd.checkpoint);
    else if (strcmp(o.command, "emit-llvm") == 0) rc = cmd_emit_llvm(r, &o.cmd);
    else if (strcmp(o.command, "draw") == 0) {
        o.draw.experiment = o.cmd.experiment;
        rc = draw_command(r, o.file, &o.draw);
    } else if (strcmp(o.command, "spectrum") == 0) {
        spectrum_options so = {o.cmd.experiment, o.draw.layer, o.cmd.checkpoint,
                               o.spectrum_input > 0 ? o.spectrum_input : 0,
                               o.cmd.out_dir, o.cmd.quiet};
        rc = spectrum_command(r, o.file, &so);
    } else if (strcmp(o.command, "run") == 0) {
        draw_attach_reports(ar, r); /* the report shows each quantum layer's circuit */
        rc = cmd_run(r, &o.cmd, 0);
    } else if (strcmp(o.command, "eval") == 0) {
        draw_attach_reports(ar, r);
        if (!o.cmd.checkpoint) rc = usage_error("`eval` needs --checkpoint FILE", NULL);
        else rc = cmd_run(r, &o.cmd, 1);
    } else if (strcmp(o.command, "build") == 0) rc = cmd_build_main(argc, argv); /* options first */
    else if (strcmp(o.command, "grad") == 0) rc = cmd_grad_main(argc, argv);
    sema_free(r);
    arena_destroy(ar);
    return rc;
}
