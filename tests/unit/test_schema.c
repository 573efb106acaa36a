/* Tests of rt_schema, the one table of experiment settings and the one table of constructors:
 * docs/language.md 6.2's and 6.2.1's tables are the schema's, row by row; `qnnc check`
 * (sema_exp.c, through --set) and a native binary's --set (rt_settings.c) accept each integer
 * setting, each bounded constructor argument and the real setting `split` at and inside its
 * bounds and refuse it past them (with the same words), storing the value in the field the
 * schema names; both --help list the schema's documentation; and a native build's generated
 * C writes every field the schema names (cmd_build_gen.c), with the compiled value. */
#include "testutil.h"

#include <math.h>
#include <unistd.h>

#include "arena.h"
#include "cmd_build.h"
#include "diag.h"
#include "rt_schema.h"
#include "rt_settings.h"
#include "sema.h"

static FILE *diag_sink;

static int setup(void **state) {
    (void)state;
    diag_sink = tmpfile();
    if (!diag_sink) return -1;
    diag_set_stream(diag_sink);
    return 0;
}

static int teardown(void **state) {
    (void)state;
    diag_set_stream(NULL);
    diag_reset();
    fclose(diag_sink);
    return 0;
}

/* Repository path (the tests run from the root or from build/). */
static const char *repo_path(const char *rel) {
    static char buf[512];
    if (access(rel, R_OK) == 0) return rel;
    snprintf(buf, sizeof buf, "../%s", rel);
    return buf;
}

/* ---- language.md 6.2 ------------------------------------------------------------------ */

/* Splits "| `key` | value | default |" into its three cells; 0 when the line is no such row. */
static int table_row(char *line, char **key, char **value, char **dflt) {
    if (strncmp(line, "| `", 3) != 0) return 0;
    char *cells[3];
    char *p = line + 1;
    for (int i = 0; i < 3; i++) {
        char *bar = strstr(p, " |");
        if (!bar) return 0;
        *bar = '\0';
        while (*p == ' ') p++;
        cells[i] = p;
        p = bar + 2;
    }
    *key = cells[0];
    *value = cells[1];
    *dflt = cells[2];
    return 1;
}

static void test_docs_table_is_the_schema(void **state) {
    (void)state;
    FILE *f = fopen(repo_path("docs/language.md"), "r");
    assert_non_null(f);
    char line[1024];
    int in_table = 0, rows = 0, seen[RT_N_SETTINGS] = {0};
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = '\0';
        if (strncmp(line, "### ", 4) == 0 || strncmp(line, "#### ", 5) == 0) {
            if (in_table) break;
            in_table = strcmp(line, "### 6.2 The settings") == 0;
            continue;
        }
        char *key, *value, *dflt;
        if (!in_table || !table_row(line, &key, &value, &dflt)) continue;
        char name[64];
        snprintf(name, sizeof name, "%.*s", (int)strlen(key) - 2, key + 1); /* without backticks */
        const rt_setting *st = rt_setting_find(name);
        if (!st) fail_msg("language.md 6.2 lists `%s`, which the schema lacks", name);
        if (strcmp(st->value_doc, value) != 0)
            fail_msg("`%s`: language.md says\n  %s\nthe schema says\n  %s", name, value, st->value_doc);
        if (strcmp(st->default_doc, dflt) != 0)
            fail_msg("`%s` default: language.md says `%s`, the schema `%s`", name, dflt, st->default_doc);
        seen[st - rt_settings_schema]++;
        rows++;
    }
    fclose(f);
    for (int k = 0; k < RT_N_SETTINGS; k++)
        if (seen[k] != 1)
            fail_msg("`%s` is in language.md 6.2 %d times (once expected)", rt_settings_schema[k].key, seen[k]);
    assert_int_equal(rows, RT_N_SETTINGS);
}

/* language.md 6.2.1's row of argument i of constructor c, as the table says it. */
static void constructor_row(const rt_constructor *c, int i, char *buf, size_t n) {
    char value[160];
    rt_arg_value_text(&c->args[i], value, sizeof value);
    snprintf(buf, n, "| `%s` | `%s` | `%s` | %s | %s | %s |", rt_settings_schema[c->setting].key, c->name,
             c->args[i].name, value, c->args[i].default_doc, c->args[i].doc);
}

/* Every argument of every constructor, in the table's order, and nothing else. */
static void test_docs_constructors_are_the_schema(void **state) {
    (void)state;
    FILE *f = fopen(repo_path("docs/language.md"), "r");
    assert_non_null(f);
    char line[1024], want[1024];
    int in_table = 0, c = 0, i = 0, rows = 0, total = 0;
    for (int k = 0; k < rt_n_constructors; k++) total += rt_constructors[k].n_args;
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = '\0';
        if (strncmp(line, "###", 3) == 0) {
            if (in_table) break;
            in_table = strcmp(line, "#### 6.2.1 Constructor arguments") == 0;
            continue;
        }
        if (!in_table || strncmp(line, "| `", 3) != 0) continue;
        if (c == rt_n_constructors) fail_msg("language.md 6.2.1 has a row the schema lacks:\n  %s", line);
        constructor_row(&rt_constructors[c], i, want, sizeof want);
        if (strcmp(line, want) != 0)
            fail_msg("language.md 6.2.1 row %d:\n  %s\nthe schema's:\n  %s", rows + 1, line, want);
        rows++;
        if (++i == rt_constructors[c].n_args) c++, i = 0;
    }
    fclose(f);
    if (rows != total) fail_msg("language.md 6.2.1 has %d rows, the schema %d arguments", rows, total);
}

/* Each constructor's argument names are unique (a named argument finds one) and its words,
 * defaults and fields fit its kind and bounds. */
static void test_constructors_are_consistent(void **state) {
    (void)state;
    for (int c = 0; c < rt_n_constructors; c++) {
        const rt_constructor *t = &rt_constructors[c];
        assert_true(t->setting >= 0 && t->setting < RT_N_SETTINGS);
        assert_true(rt_setting_word(&rt_settings_schema[t->setting], t->name) >= 0);
        assert_ptr_equal(rt_constructor_find(t->setting, t->name), t);
        for (int i = 0; i < t->n_args; i++) {
            const rt_arg *a = &t->args[i];
            assert_int_equal(rt_constructor_arg(t, a->name), i);
            if (a->kind == RT_ARG_WORD) assert_true(a->n_words > 1);
            if (a->field) assert_true(a->kind == RT_ARG_REAL || a->kind == RT_ARG_PAIR);
            if (a->field && !rt_bound_ok(&a->bound, a->def)) fail_msg("%s.%s: default outside", t->name, a->name);
            /* An integer default outside the bounds is a "not given" that the docs name in
             * words (grid's size 0: "the training grid"; image's from_size 0: "none"), never a
             * number a user could write. */
            if (a->kind == RT_ARG_INT && !a->required && !rt_bound_ok(&a->bound, a->def) &&
                (a->def != 0 || !a->default_doc || (a->default_doc[0] >= '0' && a->default_doc[0] <= '9') ||
                 a->default_doc[0] == '-'))
                fail_msg("%s.%s: default %g outside its bounds", t->name, a->name, a->def);
        }
    }
}

/* ---- the same bounds in the compiler and a native binary ------------------------------ */

/* `qnnc check FILE --set pre... --set key=value` (pre: NULL or one override before it): 1
 * accepted (and *x the result), 0 refused. */
static int compiler_accepts_in(const char *file, const char *pre, const char *key, const char *value,
                               rt_experiment *x) {
    char set[160];
    snprintf(set, sizeof set, "%s=%s", key, value);
    const char *sets[] = {pre, set};
    sema_options opt;
    memset(&opt, 0, sizeof opt);
    opt.stdlib_dir = repo_path("stdlib");
    opt.n_sets = pre ? 2 : 1;
    opt.sets = pre ? sets : sets + 1;
    diag_reset();
    if (diag_sink) { /* only this compilation's diagnostics in it (compiler_said) */
        fflush(diag_sink);
        if (ftruncate(fileno(diag_sink), 0) == 0) rewind(diag_sink);
    }
    arena *ar = arena_create();
    sema_result *r = sema_check_file(ar, repo_path(file), &opt);
    int ok = r != NULL;
    if (r) {
        *x = r->experiments[0].exp;
        x->layers = NULL; /* the arena's, freed below; --set never reads them */
        x->n_layers = 0;
        sema_free(r);
    }
    arena_destroy(ar);
    return ok;
}

/* `qnnc check --set key=n` on an image experiment. */
static int compiler_accepts(const char *key, long long n, rt_experiment *x) {
    char value[32];
    snprintf(value, sizeof value, "%lld", n);
    return compiler_accepts_in("examples/image_qiren.qnn", NULL, key, value, x);
}

static long long field_value(const rt_experiment *x, const rt_setting *st) {
    const char *p = (const char *)x + st->field;
    if (st->field_size == sizeof(uint64_t)) {
        uint64_t u;
        memcpy(&u, p, sizeof u);
        return (long long)u;
    }
    int i;
    memcpy(&i, p, sizeof i);
    return i;
}

static void test_int_bounds_agree(void **state) {
    (void)state;
    rt_experiment base;
    if (!compiler_accepts("epochs", 3, &base)) fail_msg("examples/image_qiren.qnn is refused");
    int n_int = 0;
    for (int k = 0; k < RT_N_SETTINGS; k++) {
        const rt_setting *st = &rt_settings_schema[k];
        if (st->kind != RT_SETTING_INT) continue;
        n_int++;
        assert_true(st->field_size == sizeof(int) || st->field_size == sizeof(uint64_t));
        const long long probes[] = {st->lo - 1, st->lo, st->hi, st->hi + 1};
        /* `trajectories` applies with `simulation = trajectories` only (refused otherwise,
         * tests/golden/traj_without_method) */
        int traj = k == RT_SET_TRAJECTORIES;
        /* `steps` applies to a generative experiment, which native binaries do not build
         * (language.md §6.17): the compiler alone, on the generative example */
        int gen = k == RT_SET_STEPS;
        for (int i = 0; i < 4; i++) {
            long long n = probes[i];
            int inside = n >= st->lo && n <= st->hi;
            rt_experiment cx;
            char nv[32];
            snprintf(nv, sizeof nv, "%lld", n);
            int by_compiler = traj ? compiler_accepts_in("examples/image_qiren.qnn",
                                                         "simulation=trajectories", st->key, nv, &cx)
                              : gen ? compiler_accepts_in("examples/generate_digits.qnn", NULL, st->key, nv, &cx)
                                   : compiler_accepts(st->key, n, &cx);
            if (gen) {
                if (by_compiler != inside)
                    fail_msg("%s=%lld (bounds %lld..%lld): compiler %s", st->key, n, st->lo, st->hi,
                             by_compiler ? "accepts" : "refuses");
                if (inside) assert_true(field_value(&cx, st) == n);
                continue;
            }
            rt_experiment bx = base;
            if (traj) bx.simulation = RT_SIM_TRAJECTORIES;
            char value[32], err[512];
            snprintf(value, sizeof value, "%lld", n);
            int by_binary = rt_experiment_set(&bx, st->key, value, err, sizeof err) == 0;
            if (by_compiler != inside || by_binary != inside)
                fail_msg("%s=%lld (bounds %lld..%lld): compiler %s, native binary %s", st->key, n,
                         st->lo, st->hi, by_compiler ? "accepts" : "refuses",
                         by_binary ? "accepts" : "refuses");
            if (inside) {
                assert_true(field_value(&cx, st) == n);
                assert_true(field_value(&bx, st) == n);
            }
        }
    }
    assert_int_equal(n_int, 9); /* epochs, batch, seed, log_every, threads, eval_every, shots,
                                 * trajectories, steps */
}

/* The real and constructor bounds: for each bounded argument of the table that a native
 * binary may change (the ones that keep the model's shape) and the real setting `split`,
 * the values at and just past each end and one inside, compiled by `qnnc check --set` and
 * set by a native binary's --set on the same experiment: both accept exactly the values the
 * table's bound holds, and store the same number. */
typedef struct {
    const char *file, *pre; /* the experiment, and an override that makes the argument apply */
    const char *setting, *ctor, *arg;
} bound_probe;

static const bound_probe PROBES[] = {
    {"examples/image_qiren.qnn", NULL, "optimizer", "adam", "lr"},
    {"examples/image_qiren.qnn", NULL, "optimizer", "adam", "betas"},
    {"examples/image_qiren.qnn", NULL, "optimizer", "adam", "eps"},
    {"examples/image_qiren.qnn", NULL, "optimizer", "adam", "weight_decay"},
    {"examples/image_qiren.qnn", "optimizer=sgd", "optimizer", "sgd", "lr"},
    {"examples/image_qiren.qnn", "optimizer=sgd", "optimizer", "sgd", "momentum"},
    {"examples/image_qiren.qnn", "optimizer=sgd", "optimizer", "sgd", "weight_decay"},
    {"examples/image_qiren.qnn", "schedule=cosine", "schedule", "cosine", "min_lr"},
    {"examples/image_qiren.qnn", "schedule=linear", "schedule", "linear", "min_lr"},
    {"examples/image_qiren.qnn", "loss=huber", "loss", "huber", "delta"},
    {"examples/image_qiren.qnn", NULL, "data", "image", "size"},
    {"examples/sound_guitar.qnn", "data.stop=-1", "data", "sound", "start"},
    {"examples/sound_guitar.qnn", "data.start=0", "data", "sound", "stop"},
    {"examples/sound_guitar.qnn", NULL, "data", "sound", "stride"},
    {"examples/sound_guitar.qnn", NULL, "eval", "grid", "size"},
};

/* The value of the probed argument in x, as a number (a pair: the probed item). */
static double probed_value(const rt_experiment *x, const bound_probe *p, int item) {
    const rt_arg *a = &rt_constructor_find((int)(rt_setting_find(p->setting) - rt_settings_schema), p->ctor)
                           ->args[rt_constructor_arg(rt_constructor_find((int)(rt_setting_find(p->setting) -
                                                                                 rt_settings_schema), p->ctor), p->arg)];
    if (a->field) {
        double v;
        memcpy(&v, (const char *)x + (item ? a->field2 : a->field) - 1, sizeof v);
        return v;
    }
    if (strcmp(p->setting, "eval") == 0) return x->eval_size;
    if (strcmp(p->arg, "size") == 0) return x->data.size;
    if (strcmp(p->arg, "start") == 0) return (double)x->data.start;
    if (strcmp(p->arg, "stop") == 0) return (double)x->data.stop;
    return (double)x->data.stride;
}

/* What the last compilation wrote to the diagnostics stream (setup's tmpfile), which is
 * emptied before each: compiler_accepts_in rewinds it. */
static const char *compiler_said(void) {
    static char text[8192];
    fflush(diag_sink);
    long end = ftell(diag_sink);
    rewind(diag_sink);
    size_t n = fread(text, 1, end > 0 && (size_t)end < sizeof text ? (size_t)end : sizeof text - 1, diag_sink);
    text[n] = '\0';
    return text;
}

/* One probe value: compiler and binary agree with the bound, and refuse with the same words. */
static void probe_one(const bound_probe *p, const rt_arg *a, double v, int item) {
    char value[96], key[64];
    if (a->kind == RT_ARG_PAIR)
        snprintf(value, sizeof value, item ? "[0.5, %.17g]" : "[%.17g, 0.5]", v);
    else
        snprintf(value, sizeof value, "%.17g", v);
    snprintf(key, sizeof key, "%s.%s", p->setting, p->arg);
    int inside = rt_bound_ok(&a->bound, v);
    rt_experiment base, cx;
    if (!compiler_accepts_in(p->file, p->pre, "epochs", "3", &base)) fail_msg("%s is refused", p->file);
    int by_compiler = compiler_accepts_in(p->file, p->pre, key, value, &cx);
    char err[512];
    rt_experiment bx = base;
    int by_binary = rt_experiment_set(&bx, key, value, err, sizeof err) == 0;
    if (by_compiler != inside || by_binary != inside)
        fail_msg("%s=%s (%s): compiler %s, native binary %s (%s)", key, value, inside ? "inside" : "outside",
                 by_compiler ? "accepts" : "refuses", by_binary ? "accepts" : "refuses", by_binary ? "" : err);
    if (inside) {
        assert_true(probed_value(&cx, p, item) == v);
        assert_true(probed_value(&bx, p, item) == v);
    } else if (!strstr(compiler_said(), err)) {
        fail_msg("%s=%s: the native binary says\n  %s\nthe compiler\n  %s", key, value, err, compiler_said());
    }
}

static void test_constructor_bounds_agree(void **state) {
    (void)state;
    for (size_t k = 0; k < sizeof PROBES / sizeof *PROBES; k++) {
        const bound_probe *p = &PROBES[k];
        int slot = (int)(rt_setting_find(p->setting) - rt_settings_schema);
        const rt_constructor *t = rt_constructor_find(slot, p->ctor);
        assert_non_null(t);
        const rt_arg *a = &t->args[rt_constructor_arg(t, p->arg)];
        double step = a->kind == RT_ARG_INT ? 1 : 0.25;
        double lo = a->bound.lo, hi = a->bound.hi;
        double probes[5];
        int n = 0;
        if (isfinite(lo)) probes[n++] = lo, probes[n++] = lo - step;
        if (isfinite(hi)) probes[n++] = hi, probes[n++] = hi + step;
        probes[n++] = isfinite(hi) ? (a->kind == RT_ARG_INT ? floor((lo + hi) / 2) : (lo + hi) / 2) : lo + 1;
        for (int i = 0; i < n; i++)
            for (int item = 0; item < (a->kind == RT_ARG_PAIR ? 2 : 1); item++) probe_one(p, a, probes[i], item);
    }
    /* every bounded argument that keeps the model's shape is probed */
    int bounded = 0;
    for (int c = 0; c < rt_n_constructors; c++)
        for (int i = 0; i < rt_constructors[c].n_args; i++) {
            const rt_arg *a = &rt_constructors[c].args[i];
            /* a generative experiment's (not at run time: native binaries refuse them) are
             * checked by the compiler's goldens (tests/golden/gen_*) */
            bounded += (isfinite(a->bound.lo) || isfinite(a->bound.hi)) && rt_constructors[c].setting != RT_SET_DATA &&
                       rt_settings_schema[rt_constructors[c].setting].at_run_time;
        }
    assert_int_equal(bounded, 11); /* adam 4, sgd 3, cosine, linear, huber, grid: all in PROBES */
}

/* The real setting `split` (a CSV experiment): both refuse 0 and 1 and accept between. */
static void test_real_bounds_agree(void **state) {
    (void)state;
    const rt_setting *st = &rt_settings_schema[RT_SET_SPLIT];
    assert_int_equal(st->kind, RT_SETTING_REAL);
    rt_experiment base, cx;
    if (!compiler_accepts_in("examples/classify_moons.qnn", NULL, "epochs", "3", &base))
        fail_msg("examples/classify_moons.qnn is refused");
    const double probes[] = {st->real.lo, st->real.lo - 0.25, st->real.lo + 1e-9, 0.5, st->real.hi - 1e-9,
                             st->real.hi, st->real.hi + 0.25};
    for (size_t i = 0; i < sizeof probes / sizeof *probes; i++) {
        char value[64], err[512];
        snprintf(value, sizeof value, "%.17g", probes[i]);
        int inside = rt_bound_ok(&st->real, probes[i]);
        int by_compiler = compiler_accepts_in("examples/classify_moons.qnn", NULL, "split", value, &cx);
        rt_experiment bx = base;
        int by_binary = rt_experiment_set(&bx, "split", value, err, sizeof err) == 0;
        if (by_compiler != inside || by_binary != inside)
            fail_msg("split=%s: compiler %s, native binary %s", value, by_compiler ? "accepts" : "refuses",
                     by_binary ? "accepts" : "refuses");
        if (inside) assert_true(cx.split == probes[i] && bx.split == probes[i]);
        else if (!strstr(compiler_said(), err))
            fail_msg("split=%s: the native binary says\n  %s\nthe compiler\n  %s", value, err, compiler_said());
    }
}

/* ---- --help ------------------------------------------------------------------------------ */

/* s without its backticks, as --help shows documentation cells. */
static void unticked(const char *s, char *out, size_t n) {
    size_t k = 0;
    for (; *s && k + 1 < n; s++)
        if (*s != '`') out[k++] = *s;
    out[k] = '\0';
}

/* The --help of qnnc run (all settings) and of a native binary (those --set may change) is
 * the schema's documentation: every setting's value and default, every constructor. */
static void test_help_lists_the_schema(void **state) {
    (void)state;
    for (int run_time_only = 0; run_time_only < 2; run_time_only++) {
        char *text = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&text, &len);
        assert_non_null(f);
        rt_schema_print_help(f, run_time_only);
        fclose(f);
        for (int k = 0; k < RT_N_SETTINGS; k++) {
            const rt_setting *st = &rt_settings_schema[k];
            char value[512], dflt[128], want[768];
            unticked(st->value_doc, value, sizeof value);
            unticked(st->default_doc, dflt, sizeof dflt);
            snprintf(want, sizeof want, "  %-15s %s (default: %s)\n", st->key, value, dflt);
            int shown = strstr(text, want) != NULL, expect = !run_time_only || st->at_run_time;
            if (shown != expect) fail_msg("--help (%s) %s `%s`", run_time_only ? "native" : "qnnc",
                                          shown ? "lists" : "lacks", want);
        }
        for (int c = 0; c < rt_n_constructors; c++) {
            char want[64];
            snprintf(want, sizeof want, " %s(%s", rt_constructors[c].name, rt_constructors[c].args[0].name);
            int expect = !run_time_only || rt_settings_schema[rt_constructors[c].setting].at_run_time;
            if ((strstr(text, want) != NULL) != expect && strcmp(rt_constructors[c].name, "csv") != 0 &&
                strcmp(rt_constructors[c].name, "image") != 0 && strcmp(rt_constructors[c].name, "sound") != 0)
                fail_msg("--help (%s): constructor `%s`", run_time_only ? "native" : "qnnc", want);
        }
        free(text);
    }
}

/* ---- the generated C of a native build ------------------------------------------------ */

static void test_generated_c_writes_every_field(void **state) {
    (void)state;
    const char *sets[] = {"epochs=1234567", "seed=7654321", "batch=4321", "log_every=77",
                          "threads=5", "eval_every=99"};
    sema_options opt;
    memset(&opt, 0, sizeof opt);
    opt.stdlib_dir = repo_path("stdlib");
    opt.n_sets = 6;
    opt.sets = sets;
    diag_reset();
    arena *ar = arena_create();
    sema_result *r = sema_check_file(ar, repo_path("examples/image_qiren.qnn"), &opt);
    assert_non_null(r);
    const sema_experiment *sx = &r->experiments[0];
    int circuit[64] = {0};
    assert_true(sx->exp.n_circuits <= 64);
    build_circuit bc = {.name = "c", .prefix = "pfx"};
    build_experiment be = {.x = sx, .precision = 64, .gradient = "adjoint", .circuit = circuit};
    build_unit u = {.source_abs = "/x.qnn", .built_with = "test", .n_circuits = 1, .circuits = &bc,
                    .n_experiments = 1, .experiments = &be};
    FILE *f = tmpfile();
    assert_non_null(f);
    assert_int_equal(build_write_c(f, &u), 0);
    static char text[1 << 20];
    rewind(f);
    size_t n = fread(text, 1, sizeof text - 1, f);
    text[n] = '\0';
    fclose(f);
    int checked = 0;
    for (int k = 0; k < RT_N_SETTINGS; k++) {
        const rt_setting *st = &rt_settings_schema[k];
        /* a generative experiment's: native binaries refuse them (language.md §6.17) */
        if (!st->field_name || k >= RT_SET_GENERATOR) continue;
        char want[96];
        snprintf(want, sizeof want, ".%s = %lld", st->field_name, field_value(&sx->exp, st));
        if (!strstr(text, want)) fail_msg("the generated C lacks `%s`", want);
        checked++;
    }
    assert_int_equal(checked, 8);
    /* and every double a constructor argument fills, once, with the compiled value (in the
     * experiment's initializer: layers have an eps and a momentum of their own) */
    const char *exp0 = strstr(text, "static const rt_experiment experiment_0 = {");
    assert_non_null(exp0);
    int reals = 0;
    for (int c = 0; c < rt_n_constructors; c++)
        for (int i = 0; i < rt_constructors[c].n_args; i++) {
            const rt_arg *a = &rt_constructors[c].args[i];
            for (int j = 0; j < 2; j++) {
                const char *name = j ? a->field2_name : a->field_name;
                if (!name || rt_constructors[c].setting >= RT_SET_GENERATOR) continue;
                char want[96];
                double v;
                memcpy(&v, (const char *)&sx->exp + (j ? a->field2 : a->field) - 1, sizeof v);
                snprintf(want, sizeof want, " .%s = ", name);
                const char *at = strstr(exp0, want);
                if (!at) {   /* (continue: gcc -O1 does not see that fail_msg returns no more) */
                    fail_msg("the generated C lacks `%s`", want);
                    continue;
                }
                if (strstr(at + 1, want)) fail_msg("the generated C has `%s` twice", want);
                if (strtod(at + strlen(want), NULL) != v)
                    fail_msg("`%s%.40s`: not the compiled %.17g", want, at + strlen(want), v);
                reals++;
            }
        }
    assert_true(reals >= 8); /* lr, beta1, beta2, eps, weight_decay, momentum, lr_min, huber_delta */
    sema_free(r);
    arena_destroy(ar);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_docs_table_is_the_schema),
        cmocka_unit_test(test_docs_constructors_are_the_schema),
        cmocka_unit_test(test_constructors_are_consistent),
        cmocka_unit_test_setup_teardown(test_int_bounds_agree, setup, teardown),
        cmocka_unit_test_setup_teardown(test_constructor_bounds_agree, setup, teardown),
        cmocka_unit_test_setup_teardown(test_real_bounds_agree, setup, teardown),
        cmocka_unit_test(test_help_lists_the_schema),
        cmocka_unit_test_setup_teardown(test_generated_c_writes_every_field, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
