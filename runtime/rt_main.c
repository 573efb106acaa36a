/* The entry point of native binaries built by `qnnc build` (rt_main.h): the options of
 * `qnnc run` for a compiled experiment, settings changed at run time (rt_settings.h), then
 * rt_run_experiment for each experiment, exactly as the compiler's driver calls it, so that a
 * binary and `qnnc run` of the same file write the same files. */
#include "rt_main.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rt_limits.h"
#include "rt_settings.h"
#include "run_data.h"

/* Exit statuses as qnnc's (docs/language.md §8.2). */
enum { EXIT_FAILED = 1, EXIT_USAGE = 2, EXIT_OUT_OF_MEMORY = 3, MAX_SETS = 256 };

int rt_circuit_bind(const rt_compiled_circuit *cc, rt_circuit *out, char *err, size_t errlen) {
    const int64_t *i = cc->info;
    if (!i || i[0] != 1 || !cc->forward || !cc->vjp) {
        snprintf(err, errlen, "circuit %s: unknown compiled-circuit format %lld", cc->name,
                 i ? (long long)i[0] : -1LL);
        return -1;
    }
    if (i[5] != 32 && i[5] != 64) {
        snprintf(err, errlen, "circuit %s: bad precision %lld", cc->name, (long long)i[5]);
        return -1;
    }
    memset(out, 0, sizeof *out);
    out->name = cc->name;
    out->n_qubits = (int)i[1];
    out->n_inputs = (int)i[2];
    out->n_outputs = (int)i[3];
    out->n_params = (int)i[4];
    out->precision = (int)i[5];
    out->lanes = (int)i[6];
    out->work_bytes = (size_t)i[7];
    out->forward = cc->forward;
    out->vjp = cc->vjp;
    out->shots = cc->shots;
    if (cc->forward_keep && cc->vjp_kept) { /* a lane group's psi, as compiler/cg.c sizes it */
        out->forward_keep = cc->forward_keep;
        out->vjp_kept = cc->vjp_kept;
        out->state_bytes = 2 * ((size_t)1 << out->n_qubits) * (size_t)out->lanes *
                           (size_t)(out->precision / 8);
    }
    return 0;
}

typedef struct {
    const char *sets[MAX_SETS];
    int n_sets;
    const char *out_dir, *resume, *checkpoint, *experiment, *compare_to;
    int threads, grid, quiet, help, version;
} main_options;

static const char *base_name(const char *p) {
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

static void usage(FILE *f, const char *prog) {
    fprintf(f, "usage: %s [options]\n"
               "\n"
               "options:\n"
               "  --set KEY=VALUE    change a setting (repeatable): see the list below\n"
               "  --out DIR          output folder (default out/EXPERIMENT)\n"
               "  --resume FILE      continue training from a checkpoint\n"
               "  --checkpoint FILE  evaluate these weights instead of training\n"
               "  --grid N           with --checkpoint: evaluation grid, 1 to %d (e.g. 64)\n"
               "  --threads N        threads for the simulation, 0 to %d (default 0: all cores)\n"
               "  --experiment NAME  run only this experiment\n"
               "  --compare-to NAME  the comparison's relative errors divided by this experiment's\n"
               "                     (default: the first Tanh MLP, else the first experiment)\n"
               "  --quiet            no progress lines\n"
               "  --help, --version\n",
            prog, RT_LIMIT_GRID, RT_LIMIT_THREADS);
}

static int usage_error(const char *prog, const char *msg, const char *arg) {
    fprintf(stderr, "%s: ", prog);
    fprintf(stderr, msg, arg);
    fprintf(stderr, "\n(run `%s --help` for the options and settings)\n", prog);
    return EXIT_USAGE;
}

/* A whole number in lo..hi, the whole of s. */
static int number_in(const char *s, long lo, long hi, int *out) {
    char *end = NULL;
    long v = s && *s ? strtol(s, &end, 10) : -1;
    if (!s || !end || *end || v < lo || v > hi) return -1;
    *out = (int)v;
    return 0;
}

static int parse(int argc, char **argv, main_options *o, const char *prog) {
    memset(o, 0, sizeof *o);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *next = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) o->help = 1;
        else if (strcmp(a, "--version") == 0) o->version = 1;
        else if (strcmp(a, "--quiet") == 0 || strcmp(a, "-q") == 0) o->quiet = 1;
        else if (strcmp(a, "--set") == 0 || strncmp(a, "--set=", 6) == 0) {
            const char *v = a[5] == '=' ? a + 6 : next;
            if (!v) return usage_error(prog, "`--set` needs KEY=VALUE%s", "");
            if (a[5] != '=') i++;
            if (o->n_sets == MAX_SETS) return usage_error(prog, "too many `--set` options%s", "");
            o->sets[o->n_sets++] = v;
        } else if (strcmp(a, "--out") == 0 || strcmp(a, "--resume") == 0 ||
                   strcmp(a, "--checkpoint") == 0 || strcmp(a, "--experiment") == 0 ||
                   strcmp(a, "--compare-to") == 0) {
            if (!next) return usage_error(prog, "`%s` needs a value", a);
            const char **dst = a[2] == 'o' ? &o->out_dir : a[2] == 'r' ? &o->resume
                             : a[3] == 'h' ? &o->checkpoint : a[2] == 'c' ? &o->compare_to : &o->experiment;
            *dst = next;
            i++;
        } else if (strcmp(a, "--threads") == 0 || strcmp(a, "--grid") == 0) {
            /* as qnnc's: threads 0 = all cores (as `threads = 0` in a file), the limits named */
            int threads = a[2] == 't';
            long lo = threads ? 0 : 1, hi = threads ? RT_LIMIT_THREADS : RT_LIMIT_GRID;
            if (number_in(next, lo, hi, threads ? &o->threads : &o->grid)) {
                fprintf(stderr, "%s: `%s` needs a number from %ld to %ld%s, not `%s`\n", prog, a,
                        lo, hi, threads ? " (0: all cores)" : "", next ? next : "");
                fprintf(stderr, "(run `%s --help` for the options and settings)\n", prog);
                return EXIT_USAGE;
            }
            if (threads && o->threads == 0) { /* the runtime reads 0 as "the file's setting" */
                long cores = sysconf(_SC_NPROCESSORS_ONLN);
                o->threads = cores < 1 ? 1 : cores > RT_LIMIT_THREADS ? RT_LIMIT_THREADS : (int)cores;
            }
            i++;
        } else if (a[0] == '-') {
            return usage_error(prog, "unknown option `%s`", a);
        } else {
            return usage_error(prog, "unexpected argument `%s`: the experiment is built in; use "
                                     "--set KEY=VALUE to change its settings", a);
        }
    }
    if (o->grid && !o->checkpoint) return usage_error(prog, "`--grid` needs --checkpoint FILE%s", "");
    if (o->resume && o->checkpoint)
        return usage_error(prog, "--resume trains, --checkpoint evaluates: give one of them%s", "");
    return 0;
}

/* A binary run from another folder than the one it was built in: a data file named
 * relative to the .qnn file is looked for next to where that file was at build time. */
static void find_moved_data(rt_data_spec *d, const char *source, const rt_main_info *info) {
    char found[sizeof d->path], err[2048];
    if (!info || !info->source_path || !d->path[0]) return;
    if (run_find_data(d->path, source, found, sizeof found, err, sizeof err) == 0) return;
    if (run_find_data(d->path, info->source_path, found, sizeof found, err, sizeof err) == 0)
        snprintf(d->path, sizeof d->path, "%s", found);
}

static int run_all(const main_options *o, rt_experiment *xs, const rt_compiled_experiment *cx,
                   int n, int n_sel, const rt_main_info *info) {
    rt_run_options ro;
    memset(&ro, 0, sizeof ro);
    ro.resume = o->resume;
    ro.threads = o->threads;
    ro.quiet = o->quiet;
    ro.eval_only = o->checkpoint != NULL;
    ro.checkpoint = o->checkpoint;
    ro.grid = o->grid;
    ro.compare_to = o->compare_to;
    rt_batch *batch = rt_batch_create(n_sel, o->out_dir, &ro);
    /* As in qnnc run: a run that fails does not stop the others; a setup failure does. */
    int broken = !batch, out_of_memory = !batch;
    for (int i = 0; i < n && !broken; i++) {
        rt_experiment *x = &xs[i];
        if (o->experiment && strcmp(o->experiment, x->name) != 0) continue;
        find_moved_data(&x->data, x->source, info);
        if (x->has_eval_target) find_moved_data(&x->eval_target, x->source, info);
        rt_circuit *circuits = calloc((size_t)x->n_circuits + 1, sizeof *circuits);
        const rt_circuit **ptrs = calloc((size_t)x->n_circuits + 1, sizeof *ptrs);
        char err[512];
        for (int k = 0; circuits && ptrs && k < x->n_circuits && !broken; k++) {
            if (rt_circuit_bind(&cx[i].circuits[k], &circuits[k], err, sizeof err)) {
                fprintf(stderr, "qnn: %s: %s\n", x->name, err);
                broken = 1;
            }
            ptrs[k] = &circuits[k];
        }
        if (!circuits || !ptrs) {
            fprintf(stderr, "qnn: %s: out of memory\n", x->name);
            broken = out_of_memory = 1;
        }
        if (!broken) rt_batch_run(batch, x, ptrs);
        free(circuits);
        free(ptrs);
    }
    if (!batch) fprintf(stderr, "qnn: out of memory\n");
    int status = rt_batch_finish(batch); /* 0, 1, or 3 for out of memory */
    if (out_of_memory) return EXIT_OUT_OF_MEMORY;
    return status ? status : broken ? EXIT_FAILED : 0;
}

int rt_main(int argc, char **argv, int n, const rt_compiled_experiment *cx, const rt_main_info *info) {
    const char *prog = base_name(argc > 0 && argv[0] ? argv[0] : "qnn");
    main_options o;
    int rc = parse(argc, argv, &o, prog);
    if (rc) return rc;
    const char *built = info && info->built_with ? info->built_with : "qnnc";
    if (o.version) {
        printf("%s: native build of %s by %s\n", prog, n > 0 ? cx[0].x->source : "?", built);
        return 0;
    }
    rt_experiment *xs = calloc((size_t)n + 1, sizeof *xs);
    if (!xs) {
        fprintf(stderr, "%s: out of memory\n", prog);
        return EXIT_OUT_OF_MEMORY;
    }
    int n_sel = 0;
    for (int i = 0; i < n; i++) {
        xs[i] = *cx[i].x; /* layers stay shared: settings never touch them */
        if (o.experiment && strcmp(o.experiment, xs[i].name) != 0) continue;
        n_sel++;
        for (int s = 0; s < o.n_sets && !rc; s++) {
            char err[1024];
            if (rt_experiment_set_text(&xs[i], o.sets[s], err, sizeof err)) {
                fprintf(stderr, "%s: --set %s: %s\n", prog, o.sets[s], err);
                rc = EXIT_USAGE;
            } else { /* the report lists it after the overrides compiled in */
                size_t k = strlen(xs[i].overrides);
                snprintf(xs[i].overrides + k, sizeof xs[i].overrides - k, "%s%s", k ? " " : "", o.sets[s]);
            }
        }
    }
    if (!rc && !n_sel) {
        fprintf(stderr, "%s: no experiment `%s`; this program runs:", prog, o.experiment ? o.experiment : "");
        for (int i = 0; i < n; i++) fprintf(stderr, " %s", xs[i].name);
        fputc('\n', stderr);
        rc = EXIT_USAGE;
    }
    int known = !o.compare_to;
    for (int i = 0; i < n && !known; i++) known = strcmp(o.compare_to, xs[i].name) == 0;
    if (!rc && o.compare_to && (o.experiment || n < 2)) {
        fprintf(stderr, "%s: `--compare-to %s` chooses the reference of the comparison of several "
                "experiments, and this run has one\n", prog, o.compare_to);
        rc = EXIT_USAGE;
    }
    if (!rc && !known) {
        fprintf(stderr, "%s: --compare-to: no experiment `%s`; this program runs:", prog, o.compare_to);
        for (int i = 0; i < n; i++) fprintf(stderr, " %s", xs[i].name);
        fputc('\n', stderr);
        rc = EXIT_USAGE;
    }
    if (!rc && o.help) {
        usage(stdout, prog);
        printf("\nbuilt from %s by %s\n", n > 0 ? xs[0].source : "?", built);
        printf("\nsettings a --set may change (docs/language.md 6.2, 6.2.1):\n");
        rt_schema_print_help(stdout, 1);
        for (int i = 0; i < n; i++) {
            if (o.experiment && strcmp(o.experiment, xs[i].name) != 0) continue;
            printf("\nexperiment %s, settings (--set KEY=VALUE, or KEY.ARG=VALUE for one argument):\n",
                   xs[i].name);
            rt_experiment_print_settings(&xs[i], stdout, 2);
        }
    } else if (!rc) {
        rc = run_all(&o, xs, cx, n, n_sel, info);
    }
    free(xs);
    return rc;
}
