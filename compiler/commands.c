/* qnnc run / eval / emit-llvm: circuit IR -> passes -> LLVM (JIT) -> runtime; and what the
 * driver and `qnnc build` share: where the standard library is, the experiment selection. */
#define _XOPEN_SOURCE 700 /* readlink, realpath, sysconf */
#include "commands.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cg.h"
#include "diag.h"
#include "jit.h"
#include "passes.h"
#include "qnn_runtime.h"
#include "refback.h"
#include "rt_limits.h"

/* The standard library ships next to the binary (build/qnnc -> stdlib/, bin/qnnc ->
 * share/qnn/stdlib) unless QNN_STDLIB says where. */
const char *cmd_find_stdlib(arena *ar) {
    const char *env = getenv("QNN_STDLIB");
    if (env && *env) return env;
    char *exe = NULL;
    for (size_t cap = 256; cap <= ((size_t)1 << 20) && !exe; cap *= 2) { /* no fixed size */
        char *buf = arena_alloc(ar, cap);
        ssize_t n = readlink("/proc/self/exe", buf, cap);
        if (n <= 0) return NULL;
        if ((size_t)n < cap) buf[n] = '\0', exe = buf;
    }
    char *slash = exe ? strrchr(exe, '/') : NULL;
    if (!slash) return NULL;
    *slash = '\0';
    static const char *const cands[] = {"%s/../stdlib", "%s/stdlib", "%s/../share/qnn/stdlib"};
    for (size_t i = 0; i < sizeof cands / sizeof *cands; i++) {
        char *dir = arena_printf(ar, cands[i], exe);
        if (access(arena_printf(ar, "%s/qiren.qnn", dir), R_OK) != 0) continue;
        char *real = realpath(dir, NULL);
        const char *found = real ? arena_strdup(ar, real) : dir;
        free(real);
        return found;
    }
    return NULL;
}

int cmd_check_experiment(const sema_result *r, const char *file, const char *name,
                         const char *prefix) {
    if (!name) return 0;
    for (int i = 0; i < r->n_experiments; i++)
        if (strcmp(r->experiments[i].exp.name, name) == 0) return 0;
    fprintf(stderr, "%s: %s has no experiment `%s`", prefix, file, name);
    const char *names[64];
    int n = 0;
    for (int i = 0; i < r->n_experiments && n < 64; i++) names[n++] = r->experiments[i].exp.name;
    const char *hint = n ? diag_suggest(name, names, n) : NULL;
    if (hint) fprintf(stderr, " (did you mean `%s`?)", hint);
    if (!r->n_experiments) fputs("; it has none", stderr);
    else fputs(r->n_experiments == 1 ? "; it has " : "; it has: ", stderr);
    for (int i = 0; i < r->n_experiments; i++)
        fprintf(stderr, "%s%s", i ? ", " : "", r->experiments[i].exp.name);
    fputc('\n', stderr);
    return -1;
}

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int selected(const command_options *o, const sema_experiment *x) {
    return !o->experiment || strcmp(o->experiment, x->exp.name) == 0;
}

static int compile_one(jit_session *jit, const sema_experiment *x, const command_options *o,
                       const jit_options *jo, const ir_circuit *src, rt_circuit *out);

/* Compiles every distinct circuit of one experiment into the session. */
static int compile_circuits(jit_session *jit, const sema_experiment *x, const command_options *o,
                            int precision, rt_circuit *out) {
    jit_options jo = jit_default_options();
    jo.precision = precision;
    jo.grad = o->grad_shift ? CG_GRAD_SHIFT : CG_GRAD_ADJOINT;
    char **texts = calloc((size_t)x->model.n_circuits + 1, sizeof *texts);
    int rc = 0;
    for (int k = 0; k < x->model.n_circuits && texts && !rc; k++) {
        texts[k] = ir_to_text(x->model.circuits[k]);
        int same = -1;
        for (int j = 0; j < k && same < 0 && texts[k]; j++)
            if (texts[j] && strcmp(texts[j], texts[k]) == 0) same = j;
        if (same >= 0) {
            out[k] = out[same];
            continue;
        }
        if (o->reference) {
            char err[256];
            if ((rc = refback_bind(x->model.circuits[k], &out[k], err, sizeof err)))
                fprintf(stderr, "qnnc: %s\n", err);
            continue;
        }
        rc = compile_one(jit, x, o, &jo, x->model.circuits[k], &out[k]);
    }
    for (int k = 0; texts && k < x->model.n_circuits; k++) free(texts[k]);
    free(texts);
    return rc;
}

static int compile_one(jit_session *jit, const sema_experiment *x, const command_options *o,
                       const jit_options *jo, const ir_circuit *src, rt_circuit *out) {
    {
        char err[1024];
        double t0 = now();
        ir_circuit *c = o->no_fuse ? ir_clone(src) : pass_fuse(src);
        double t1 = now();
        int rc = jit_compile(jit, c, jo, out, err, sizeof err);
        ir_free(c);
        if (rc) {
            fprintf(stderr, "qnnc: %s\n", err);
            return -1;
        }
        if (o->show_time)
            fprintf(stderr, "%s: circuit %s: passes %.1f ms, LLVM codegen + JIT %.1f ms (f%d, %d lanes)\n",
                    x->exp.name, out->name, 1e3 * (t1 - t0), 1e3 * (now() - t1), jo->precision, out->lanes);
    }
    return 0;
}

/* What the runtime would refuse only after loading the data, refused before it: an image grid
 * larger than an image can be, and a run that needs more memory than there is (the same
 * estimate rt_model_build applies later, here with the figure for the whole run). */
static int check_run(const sema_experiment *x, const rt_circuit *const *circuits, const command_options *o) {
    char err[1024];
    if (o->grid > RT_LIMIT_IMAGE_SIZE && x->exp.data.kind == RT_DATA_IMAGE) {
        fprintf(stderr, "qnnc: %s: `--grid %d`: an image grid is at most %d x %d points\n", x->exp.name,
                o->grid, RT_LIMIT_IMAGE_SIZE, RT_LIMIT_IMAGE_SIZE);
        return -1;
    }
    int threads = o->threads > 0 ? o->threads : x->exp.threads > 0 ? x->exp.threads : (int)sysconf(_SC_NPROCESSORS_ONLN);
    rt_mem_estimate e;
    rt_memory_estimate(&x->exp, circuits, threads, 0, o->grid, &e);
    if (rt_memory_check(&e, err, sizeof err)) {
        fprintf(stderr, "qnnc: %s: %s\n", x->exp.name, err);
        return -1;
    }
    return 0;
}

int cmd_run(const sema_result *r, const command_options *o, int eval_only) {
    char err[1024];
    jit_session *jit = jit_create(err, sizeof err);
    if (!jit) {
        fprintf(stderr, "qnnc: %s\n", err);
        return 1;
    }
    int n_sel = 0, failed = 0;
    for (int i = 0; i < r->n_experiments; i++) n_sel += selected(o, &r->experiments[i]);
    if (!n_sel && !o->experiment) fprintf(stderr, "qnnc: the file has no experiment to run\n");
    rt_run_options ro = {0};
    ro.resume = o->resume;
    ro.threads = o->threads;
    ro.quiet = o->quiet;
    ro.eval_only = eval_only;
    ro.checkpoint = o->checkpoint;
    ro.grid = o->grid;
    ro.target = o->target;
    rt_batch *batch = rt_batch_create(n_sel, o->out_dir, &ro);
    for (int i = 0; i < r->n_experiments && batch; i++) {
        const sema_experiment *x = &r->experiments[i];
        if (!selected(o, x)) continue;
        int precision = o->precision ? o->precision : x->exp.precision;
        rt_circuit *circuits = calloc((size_t)x->model.n_circuits + 1, sizeof *circuits);
        const rt_circuit **ptrs = calloc((size_t)x->model.n_circuits + 1, sizeof *ptrs);
        if (!circuits || !ptrs || compile_circuits(jit, x, o, precision, circuits)) {
            free(circuits);
            free(ptrs);
            failed = 1;
            break;
        }
        for (int k = 0; k < x->model.n_circuits; k++) ptrs[k] = &circuits[k];
        if (check_run(x, ptrs, o)) failed = 1;
        else rt_batch_run(batch, &x->exp, ptrs);
        free(circuits);
        free(ptrs);
        refback_reset();
    }
    if (!batch || rt_batch_finish(batch)) failed = 1;
    jit_destroy(jit);
    return failed || !n_sel ? 1 : 0;
}

int cmd_emit_llvm(const sema_result *r, const command_options *o) {
    cg_options co = {0};
    co.precision = o->precision ? o->precision : 64;
    co.opt_level = 3;
    co.grad = o->grad_shift ? CG_GRAD_SHIFT : CG_GRAD_ADJOINT;
    for (int i = 0; i < r->n_experiments; i++) {
        const sema_experiment *x = &r->experiments[i];
        if (!selected(o, x)) continue;
        for (int k = 0; k < x->model.n_circuits; k++) {
            char err[1024];
            ir_circuit *c = o->no_fuse ? ir_clone(x->model.circuits[k]) : pass_fuse(x->model.circuits[k]);
            char *text = cg_emit_llvm_text(c, &co, NULL, c->name, err, sizeof err);
            ir_free(c);
            if (!text) {
                fprintf(stderr, "qnnc: %s\n", err);
                return 1;
            }
            fputs(text, stdout);
            free(text);
        }
    }
    return 0;
}

/* ---- qnnc doctor ------------------------------------------------------------------------ */

/* The features that decide the generated code's vector width and speed, as +/- in LLVM's
 * feature string of the host. */
static void print_features(const char *features) {
    static const char *const notable[] = {"sse2", "sse4.2", "avx", "avx2", "fma", "avx512f",
                                          "avx512dq", "avx512vl", "neon", "sve", "sve2"};
    printf("  CPU features       ");
    int any = 0;
    for (size_t i = 0; i < sizeof notable / sizeof *notable; i++) {
        size_t n = strlen(notable[i]);
        for (const char *p = features; p && (p = strstr(p, notable[i])) != NULL; p += n)
            if (p > features && p[-1] == '+' && (p[n] == ',' || p[n] == '\0')) {
                printf("%s%s", any ? " " : "", notable[i]);
                any = 1;
                break;
            }
    }
    printf("%s\n", any ? "" : "(none of sse2 avx avx2 fma avx512f neon sve)");
}

int cmd_doctor(const char *stdlib_dir, const command_options *o) {
    char built[32], running[32], mem[32], *cpu = NULL, *features = NULL;
    cg_llvm_version(built, sizeof built, running, sizeof running);
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    printf("qnnc %s, LLVM %s (library %s)\n", QNN_VERSION, built, running);
    if (cg_host_cpu(&cpu, &features) == 0) {
        printf("  CPU                %s\n", cpu);
        print_features(features);
    }
    if (o->threads) printf("  threads            %d (--threads)\n", o->threads);
    else printf("  threads            %ld (all cores; --threads N or `threads = N` to change)\n", cores > 0 ? cores : 1);
    printf("  vector lanes       f64: %d samples per SIMD group, f32: %d\n", cg_default_lanes(features, 64),
           cg_default_lanes(features, 32));
    free(cpu);
    free(features);
    double avail = rt_mem_available();
    rt_format_bytes(avail, mem, sizeof mem);
    printf("  memory available   %s\n", avail > 0 ? mem : "unknown");
    const char *dd = getenv("QNN_DATA_DIR");
    printf("  data search path   the path as written, then $QNN_DATA_DIR (%s), then the .qnn file's\n"
           "                     folder, then data/ (here: %s)\n",
           dd && *dd ? dd : "not set", access("data", R_OK) == 0 ? "present" : "absent");
    const char *env = getenv("QNN_STDLIB");
    printf("  standard library   %s%s\n", stdlib_dir ? stdlib_dir : "not found (set QNN_STDLIB or --stdlib DIR)",
           stdlib_dir && env && *env && strcmp(env, stdlib_dir) == 0 ? " ($QNN_STDLIB)" : "");
    const char *cache = getenv("QNN_CACHE_DIR");
    printf("  build cache        %s\n", cache && *cache ? cache : "none (QNN_CACHE_DIR or qnnc build --cache DIR)");
    return 0;
}
