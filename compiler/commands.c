/* qnnc run / eval / emit-llvm: circuit IR -> passes -> compiled-code cache (cache.h) or LLVM
 * -> JIT -> runtime; and what the driver and `qnnc build` share: where the standard library
 * is, the experiment selection. */
#define _XOPEN_SOURCE 700 /* readlink, realpath, sysconf */
#include "commands.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cache.h"
#include "cg.h"
#include "diag.h"
#include "jit.h"
#include "passes.h"
#include "qnn_runtime.h"
#include "refback.h"
#include "shots.h"
#include "trajectory.h"
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

double cmd_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int selected(const command_options *o, const sema_experiment *x) {
    return !o->experiment || strcmp(o->experiment, x->exp.name) == 0;
}

/* A circuit linked into the session, with the key it was compiled under. */
typedef struct {
    cache_key key;
    rt_circuit circuit;
} linked_circuit;

/* What cmd_run's compilations share: the JIT session, the compiled-code cache, and every
 * circuit linked so far. The same key (the same fused circuit at the same precision in
 * another experiment of the file) reuses the linked code: linking it twice would define its
 * symbols twice. */
typedef struct {
    jit_session *jit;
    code_cache cache;
    linked_circuit *linked;
    int n_linked, cap_linked;
    int hits, misses; /* of the experiment being compiled */
} run_compiler;

static void run_compiler_free(run_compiler *rc) {
    for (int i = 0; i < rc->n_linked; i++) cache_key_free(&rc->linked[i].key);
    free(rc->linked);
    cache_close(&rc->cache);
}

/* Keeps the key (taken over: *k is cleared). A failed allocation only costs a recompile. */
static void remember(run_compiler *rc, cache_key *k, const rt_circuit *c) {
    if (rc->n_linked == rc->cap_linked) {
        int cap = rc->cap_linked ? 2 * rc->cap_linked : 8;
        linked_circuit *l = realloc(rc->linked, sizeof *l * (size_t)cap);
        if (!l) {
            cache_key_free(k);
            return;
        }
        rc->linked = l;
        rc->cap_linked = cap;
    }
    rc->linked[rc->n_linked].key = *k;
    rc->linked[rc->n_linked++].circuit = *c;
    memset(k, 0, sizeof *k);
}

/* One fused circuit: from the session, from the cache, or compiled (and stored). */
static int link_circuit(run_compiler *rc, const ir_circuit *c, const jit_options *jo,
                        rt_circuit *out, const char **how) {
    char err[1024], note[1200], prefix[96];
    jit_options j = *jo;
    j.lanes = jit_lanes(rc->jit, jo);
    cg_options co = {j.precision ? j.precision : 64, j.lanes, j.opt_level, j.grad, 0, j.shots,
                     j.amp};
    cg_target t;
    jit_target(rc->jit, &t);
    cache_key k;
    if (cache_key_begin(&k, "jit", t.triple, t.cpu, t.features) == 0) {
        cache_key_add(&k, c, &co, NULL);
        cache_key_end(&k);
    }
    if (!k.text) {
        fprintf(stderr, "qnnc: circuit %s: out of memory\n", c->name);
        return -1;
    }
    for (int i = 0; i < rc->n_linked; i++)
        if (rc->linked[i].key.len == k.len && memcmp(rc->linked[i].key.text, k.text, k.len) == 0) {
            *out = rc->linked[i].circuit;
            *how = "compiled above: JIT";
            cache_key_free(&k);
            return 0;
        }
    cache_key_prefix(&k, c->name, prefix, sizeof prefix);
    unsigned char *obj = NULL;
    size_t len = 0;
    int store = rc->cache.dir != NULL;
    cache_result found = cache_lookup(&rc->cache, &k, &obj, &len, note, sizeof note);
    if (found == CACHE_CORRUPT) fprintf(stderr, "qnnc: note: %s; compiling the circuit again\n", note);
    if (found == CACHE_HIT) {
        if (jit_add_object(rc->jit, obj, len, prefix, c->name, c, co.precision, j.lanes, out, err,
                           sizeof err) == 0) {
            free(obj);
            rc->hits++;
            *how = "cache hit: object + JIT";
            remember(rc, &k, out);
            return 0;
        }
        /* Its symbols may now be half-defined in the session: compile under other names, and
         * remove the entry, so that the next run compiles and stores it again. */
        fprintf(stderr, "qnnc: note: the cached object of circuit %s cannot be linked (%s); "
                        "compiling the circuit again\n", c->name, err);
        size_t n = strlen(prefix);
        snprintf(prefix + n, sizeof prefix - n, "_again");
        store = 0; /* the entry's symbols are the key's prefix, not this one */
        cache_remove(&rc->cache, &k);
    }
    free(obj);
    obj = NULL;
    int ok = jit_emit_object(rc->jit, c, &j, prefix, &obj, &len, err, sizeof err) == 0 &&
             jit_add_object(rc->jit, obj, len, prefix, c->name, c, co.precision, j.lanes, out, err,
                            sizeof err) == 0;
    if (!ok) {
        fprintf(stderr, "qnnc: %s\n", err);
        free(obj);
        cache_key_free(&k);
        return -1;
    }
    if (store) cache_store(&rc->cache, &k, obj, len);
    free(obj);
    rc->misses += rc->cache.dir != NULL;
    *how = rc->cache.dir ? "cache miss: LLVM codegen + JIT" : "no cache: LLVM codegen + JIT";
    remember(rc, &k, out);
    return 0;
}

static int compile_one(run_compiler *rc, const sema_experiment *x, const command_options *o,
                       const jit_options *jo, const ir_circuit *src, rt_circuit *out) {
    double t0 = cmd_now();
    ir_circuit *c = o->no_fuse ? ir_clone(src) : pass_fuse(src);
    double t1 = cmd_now();
    const char *how = "";
    int rc_ = link_circuit(rc, c, jo, out, &how);
    ir_free(c);
    if (rc_) return -1;
    if (o->show_time)
        fprintf(stderr, "%s: circuit %s: passes %.1f ms, %s %.1f ms (f%d, %d lanes)\n", x->exp.name,
                out->name, 1e3 * (t1 - t0), how, 1e3 * (cmd_now() - t1), out->precision, out->lanes);
    return 0;
}

/* The gradient method of an experiment's circuits: --grad's, else the `gradient` setting's,
 * else the adjoint method, or with shots the parameter-shift rule (the adjoint method needs
 * the state, which a device does not give: refused; sema_exp.c refuses the setting). */
static int shift_gradient(const sema_experiment *x, const command_options *o, int *shift) {
    int setting = x->exp.gradient[0] != '\0';
    *shift = o->grad_given ? o->grad_shift : setting && strcmp(x->exp.gradient, "shift") == 0;
    if (x->exp.shots <= 0) return 0;
    if (o->grad_given && !o->grad_shift) {
        fprintf(stderr, "qnnc: %s: --grad adjoint needs the exact state, and shots = %d measure "
                        "samples: use --grad shift (the default with shots) or --set shots=exact\n",
                x->exp.name, x->exp.shots);
        return -1;
    }
    if (o->reference) {
        fprintf(stderr, "qnnc: %s: --reference computes exact expectations; shots = %d need the "
                        "compiled circuits (drop --reference or --set shots=exact)\n",
                x->exp.name, x->exp.shots);
        return -1;
    }
    if (!o->grad_given && !setting && !o->quiet)
        fprintf(stderr, "qnnc: note: %s: shots = %d: gradients by the parameter-shift rule, each "
                        "shifted circuit estimated from its own %d shots\n",
                x->exp.name, x->exp.shots, x->exp.shots);
    *shift = 1;
    return 0;
}

/* Compiles every distinct circuit of one experiment into the session. With shots, each is
 * first replaced by its measurement circuit (shots.h), whose plan goes to plans[k] (the
 * caller frees them) and out[k].shots. */
static int compile_circuits(run_compiler *rc, const sema_experiment *x, const command_options *o,
                            int precision, int shift, rt_circuit *out, rt_shots_plan **plans) {
    jit_options jo = jit_default_options();
    jo.precision = precision;
    jo.grad = shift ? CG_GRAD_SHIFT : CG_GRAD_ADJOINT;
    jo.shots = x->exp.shots > 0;
    char **texts = calloc((size_t)x->model.n_circuits + 1, sizeof *texts);
    int failed = texts ? 0 : -1;
    for (int k = 0; k < x->model.n_circuits && texts && !failed; k++) {
        texts[k] = ir_to_text(x->model.circuits[k]);
        int same = -1;
        for (int j = 0; j < k && same < 0 && texts[k]; j++)
            if (texts[j] && strcmp(texts[j], texts[k]) == 0) same = j;
        if (same >= 0) {
            out[k] = out[same];
            continue;
        }
        if (x->exp.shots > 0) {
            char err[512];
            ir_circuit *m = shots_circuit(x->model.circuits[k], &plans[k], err, sizeof err);
            if (!m) {
                fprintf(stderr, "qnnc: %s: %s\n", x->exp.name, err);
                failed = 1;
                continue;
            }
            failed = compile_one(rc, x, o, &jo, m, &out[k]);
            ir_free(m);
            out[k].shots = plans[k];
            continue;
        }
        /* --reference: the interpreter. Noise channels compile to density-matrix code
         * (cg_dm.c); `simulation = density_matrix` without channels is a pure state, which
         * the state-vector code simulates exactly */
        if (o->reference || traj_first_jump(x->model.circuits[k])) { /* jumps: trajectory.h */
            char err[256];
            if ((failed = refback_bind_grad(x->model.circuits[k], shift, &out[k], err, sizeof err)))
                fprintf(stderr, "qnnc: %s\n", err);
            continue;
        }
        failed = compile_one(rc, x, o, &jo, x->model.circuits[k], &out[k]);
    }
    for (int k = 0; texts && k < x->model.n_circuits; k++) free(texts[k]);
    free(texts);
    return failed;
}

/* The cache folder of a run: none with --no-cache or --reference (nothing is compiled). */
static void open_cache(run_compiler *rc, const command_options *o) {
    const char *why = NULL;
    char *dir = o->no_cache || o->reference ? NULL : cache_default_dir(&why);
    if (!dir && why)
        fprintf(stderr, "qnnc: warning: no folder for the compiled-code cache (%s); continuing "
                        "without caching\n", why);
    cache_open(&rc->cache, dir, "qnnc");
    free(dir);
}

int cmd_run(const sema_result *r, const command_options *o, int eval_only) {
    char err[1024];
    double t_prev = o->t_start ? o->t_start : cmd_now();
    run_compiler rc;
    memset(&rc, 0, sizeof rc);
    jit_session *jit = rc.jit = jit_create(err, sizeof err);
    if (!jit) {
        fprintf(stderr, "qnnc: %s\n", err);
        return 1;
    }
    open_cache(&rc, o);
    int n_sel = 0, failed = 0, run_failed = 0;
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
    ro.compare_to = o->compare_to;
    rt_batch *batch = rt_batch_create(n_sel, o->out_dir, &ro);
    /* the experiments as they ran, alive until rt_batch_finish's comparison reads them */
    rt_experiment *ran_all = calloc((size_t)n_sel + 1, sizeof *ran_all);
    int oom = !ran_all, n_ran = 0;
    if (!ran_all) {
        rt_batch_finish(batch);
        batch = NULL;
    }
    for (int i = 0; i < r->n_experiments && batch; i++) {
        const sema_experiment *x = &r->experiments[i];
        if (!selected(o, x)) continue;
        int precision = o->precision ? o->precision : x->exp.precision;
        int dm = x->exp.simulation == RT_SIM_DENSITY_MATRIX; /* cg_dm.c: adjoint or shift */
        for (int k = 0; !eval_only && k < x->model.n_circuits && !failed; k++)
            if (traj_first_jump(x->model.circuits[k])) { /* training needs sound gradients */
                traj_no_gradient(x->model.circuits[k], err, sizeof err);
                fprintf(stderr, "qnnc: experiment %s: %s\n", x->exp.name, err);
                failed = 1;
            }
        if (failed) break;
        int jumps = 0; /* trajectories with Kraus jumps run on the interpreter: f64 */
        for (int k = 0; k < x->model.n_circuits; k++) jumps |= traj_first_jump(x->model.circuits[k]) != NULL;
        if (jumps && precision == 32)
            fprintf(stderr, "qnnc: note: experiment %s: trajectories with Kraus jumps run on the "
                            "interpreter, in f64: precision f32 does not apply\n", x->exp.name);
        if (jumps) precision = 64;
        if (dm && precision == 32 && o->reference) /* never silently: the user asked for f32 */
            fprintf(stderr, "qnnc: note: experiment %s simulates density matrices, which the "
                            "reference interpreter computes in f64: precision f32 does not apply\n",
                    x->exp.name);
        if (dm && o->reference) precision = 64;
        rt_circuit *circuits = calloc((size_t)x->model.n_circuits + 1, sizeof *circuits);
        const rt_circuit **ptrs = calloc((size_t)x->model.n_circuits + 1, sizeof *ptrs);
        rt_shots_plan **plans = calloc((size_t)x->model.n_circuits + 1, sizeof *plans);
        double t_circuits = cmd_now();
        rc.hits = rc.misses = 0;
        int shift = 0;
        if (!circuits || !ptrs || !plans || shift_gradient(x, o, &shift) ||
            compile_circuits(&rc, x, o, precision, shift, circuits, plans)) {
            oom |= !circuits || !ptrs || !plans;
            for (int k = 0; plans && k < x->model.n_circuits; k++) free(plans[k]);
            free(plans);
            free(circuits);
            free(ptrs);
            failed = 1;
            break;
        }
        for (int k = 0; k < x->model.n_circuits; k++) ptrs[k] = &circuits[k];
        if (o->show_time) { /* the first experiment counts from qnnc's start, the others
                               from the end of the run before them */
            double t = cmd_now();
            fprintf(stderr, "%s: %.1f ms before the runtime starts (", x->exp.name, 1e3 * (t - t_prev));
            if (t_prev == o->t_start) fprintf(stderr, "front end %.1f ms, ", 1e3 * o->t_front);
            fprintf(stderr, "circuits %.1f ms: ", 1e3 * (t - t_circuits));
            if (o->reference || !rc.cache.dir)
                fprintf(stderr, "%s)\n", o->reference ? "reference interpreter" : "no cache");
            else
                fprintf(stderr, "%d cache hit%s, %d miss%s)\n", rc.hits, rc.hits == 1 ? "" : "s",
                        rc.misses, rc.misses == 1 ? "" : "es");
        }
        /* the report records what this run really used: the precision and gradient method of
         * its circuits (the command line's, not only the file's) and the toolchain */
        rt_experiment *ran = &ran_all[n_ran++];
        *ran = x->exp;
        ran->precision = precision;
        snprintf(ran->gradient, sizeof ran->gradient, "%s", shift ? "shift" : "adjoint");
        char built[32], running[32];
        cg_llvm_version(built, sizeof built, running, sizeof running);
        snprintf(ran->toolchain, sizeof ran->toolchain, "qnnc %s, LLVM %s", QNN_VERSION, running);
        run_failed |= rt_batch_run(batch, ran, ptrs) != 0;
        t_prev = cmd_now();
        for (int k = 0; k < x->model.n_circuits; k++) free(plans[k]);
        free(plans);
        free(circuits);
        free(ptrs);
        refback_reset();
    }
    /* main.c allows --result with one selected experiment only; a failed run writes none,
     * which is how `qnnc sweep` tells it from a finished one. */
    if (batch && o->result_file && !failed && !run_failed) {
        char rerr[4096];
        if (rt_batch_write_result(batch, o->result_file, rerr, sizeof rerr)) {
            fprintf(stderr, "qnnc: %s\n", rerr);
            failed = 1;
        }
    }
    /* 0, 1 or 3 (a run that failed for lack of memory: docs/language.md §8.2). */
    int status = batch ? rt_batch_finish(batch) : RT_EXIT_OUT_OF_MEMORY;
    free(ran_all);
    jit_destroy(jit);
    run_compiler_free(&rc);
    if (status == RT_EXIT_OUT_OF_MEMORY || oom) return RT_EXIT_OUT_OF_MEMORY;
    return failed || status || !n_sel ? 1 : 0;
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
            if (traj_first_jump(x->model.circuits[k])) { /* not compiled: trajectory.h */
                fprintf(stderr, "qnnc: circuit %s: trajectories with Kraus jumps (amplitude or "
                                "phase damping, thermal relaxation, kraus) run on the interpreter's "
                                "state vectors, not on generated code: there is no LLVM IR to show\n",
                        x->model.circuits[k]->name);
                return 1;
            }
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
    const char *cache = getenv("QNN_CACHE_DIR"), *why = NULL;
    printf("  build cache        %s\n", cache && *cache ? cache : "none (QNN_CACHE_DIR or qnnc build --cache DIR)");
    char *jc = cache_default_dir(&why);
    printf("  run/eval cache     %s\n", jc ? jc : why);
    free(jc);
    return 0;
}
