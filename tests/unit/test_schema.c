/* Tests of rt_schema, the one table of experiment settings: docs/language.md 6.2's table is
 * the schema's, row by row; and `qnnc check` (sema_exp.c, through --set) and a native binary's
 * --set (rt_settings.c) accept each integer setting at its bounds and refuse it one past them,
 * storing the value in the field the schema names; and a native build's generated C writes
 * every field the schema names (cmd_build_gen.c), with the compiled value. */
#include "testutil.h"

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
        if (strncmp(line, "### ", 4) == 0) {
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

/* ---- the same bounds in the compiler and a native binary ------------------------------ */

/* `qnnc check --set key=n` on an image experiment: 1 accepted (and *x the result), 0 refused. */
static int compiler_accepts(const char *key, long long n, rt_experiment *x) {
    char set[96];
    snprintf(set, sizeof set, "%s=%lld", key, n);
    const char *sets[] = {set};
    sema_options opt;
    memset(&opt, 0, sizeof opt);
    opt.stdlib_dir = repo_path("stdlib");
    opt.n_sets = 1;
    opt.sets = sets;
    diag_reset();
    arena *ar = arena_create();
    sema_result *r = sema_check_file(ar, repo_path("examples/image_qiren.qnn"), &opt);
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
        for (int i = 0; i < 4; i++) {
            long long n = probes[i];
            int inside = n >= st->lo && n <= st->hi;
            rt_experiment cx;
            int by_compiler = compiler_accepts(st->key, n, &cx);
            rt_experiment bx = base;
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
    assert_int_equal(n_int, 7); /* epochs, batch, seed, log_every, threads, eval_every, shots */
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
        if (!st->field_name) continue;
        char want[96];
        snprintf(want, sizeof want, ".%s = %lld", st->field_name, field_value(&sx->exp, st));
        if (!strstr(text, want)) fail_msg("the generated C lacks `%s`", want);
        checked++;
    }
    assert_int_equal(checked, 7);
    sema_free(r);
    arena_destroy(ar);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_docs_table_is_the_schema),
        cmocka_unit_test_setup_teardown(test_int_bounds_agree, setup, teardown),
        cmocka_unit_test_setup_teardown(test_generated_c_writes_every_field, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
