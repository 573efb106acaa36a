/* Unit tests of the front end: the scanner and parser on strings (parse_source,
 * parse_expression), the diagnostics format, semantic analysis of small files and of the
 * stdlib/examples (parameter counts of QIREN and its baselines, --set overrides, limits), and
 * lowering (the circuit IR is exactly what the source says; StronglyEntanglingLayers ranges). */
#define _XOPEN_SOURCE 700 /* mkdtemp */
#include "testutil.h"

#include <complex.h>
#include <time.h>

#include <sys/stat.h>
#include <unistd.h>

#include "arena.h"
#include "ast.h"
#include "diag.h"
#include "interp.h"
#include "ir.h"
#include "parse.h"
#include "sema.h"

/* ---- fixtures: a captured diagnostics stream, an arena, a scratch folder ---------------- */

static FILE *diag_stream;
static char diag_buf[1 << 16];
static arena *ar;
static char tmp_dir[64];
static char tmp_file[128];

static int setup(void **state) {
    (void)state;
    diag_reset();
    diag_set_max_errors(20);
    diag_stream = tmpfile();
    if (!diag_stream) return -1;
    diag_set_stream(diag_stream);
    ar = arena_create();
    return 0;
}

static int teardown(void **state) {
    (void)state;
    diag_set_stream(NULL);
    diag_reset();
    diag_set_max_errors(20);
    if (diag_stream) fclose(diag_stream);
    diag_stream = NULL;
    arena_destroy(ar);
    ar = NULL;
    return 0;
}

/* Everything reported since setup, as one string. */
static const char *diag_text(void) {
    fflush(diag_stream);
    long n = ftell(diag_stream);
    if (n < 0) n = 0;
    if (n >= (long)sizeof diag_buf) n = (long)sizeof diag_buf - 1;
    rewind(diag_stream);
    size_t got = fread(diag_buf, 1, (size_t)n, diag_stream);
    diag_buf[got] = '\0';
    fseek(diag_stream, 0, SEEK_END);
    return diag_buf;
}

#define assert_diag_contains(s) do { \
    const char *text_ = diag_text(); \
    if (!strstr(text_, (s))) fail_msg("diagnostics lack \"%s\":\n%s", (s), text_); \
} while (0)

/* Parses `text` as a program registered under `name`; returns the syntax error count. */
static int parse_prog(const char *name, const char *text, ast_list *items) {
    memset(items, 0, sizeof *items);
    int file = diag_add_source(name, text);
    return parse_source(ar, file, text, strlen(text), items);
}

static ast_node *parse_expr(const char *text) {
    int file = diag_add_source("<expr>", text);
    return parse_expression(ar, file, text);
}

/* Where the standard library is: $QNN_STDLIB, else stdlib/ under the current folder (the
 * tests run from the repository root), else ../stdlib. */
static const char *stdlib_dir(void) {
    const char *env = getenv("QNN_STDLIB");
    if (env && *env) return env;
    if (access("stdlib/qiren.qnn", R_OK) == 0) return "stdlib";
    return "../stdlib";
}

/* Repository path of an example file (tests run from the root or from build/). */
static const char *repo_path(const char *rel) {
    static char buf[512];
    if (access(rel, R_OK) == 0) return rel;
    snprintf(buf, sizeof buf, "../%s", rel);
    return buf;
}

/* Writes `text` to a fresh file in a private folder and returns its path. */
static const char *write_temp(const char *text) {
    if (!tmp_dir[0]) {
        snprintf(tmp_dir, sizeof tmp_dir, "/tmp/qnn-test-frontend-XXXXXX");
        if (!mkdtemp(tmp_dir)) fail_msg("mkdtemp failed");
    }
    snprintf(tmp_file, sizeof tmp_file, "%s/t.qnn", tmp_dir);
    FILE *f = fopen(tmp_file, "w");
    if (!f) fail_msg("cannot write %s", tmp_file);
    fputs(text, f);
    fclose(f);
    return tmp_file;
}

/* Writes `text` to tmp_dir/rel (making the folder `sub` first when rel starts with it) and
 * returns the full path; every file written is removed at exit. */
static char extra_files[8][160];
static int n_extra_files;
static const char *write_at(const char *rel, const char *text) {
    write_temp(""); /* makes tmp_dir */
    char sub[160];
    snprintf(sub, sizeof sub, "%s/sub", tmp_dir);
    mkdir(sub, 0700);
    static char path[160];
    snprintf(path, sizeof path, "%s/%s", tmp_dir, rel);
    FILE *f = fopen(path, "w");
    if (!f) fail_msg("cannot write %s", path);
    fputs(text, f);
    fclose(f);
    int known = 0;
    for (int i = 0; i < n_extra_files; i++) known |= strcmp(extra_files[i], path) == 0;
    if (!known && n_extra_files < 8) snprintf(extra_files[n_extra_files++], 160, "%s", path);
    return path;
}

static sema_result *check_opts(const char *path, int n_sets, const char **sets, int max_qubits) {
    sema_options opt;
    memset(&opt, 0, sizeof opt);
    opt.max_qubits = max_qubits;
    opt.stdlib_dir = stdlib_dir();
    opt.n_sets = n_sets;
    opt.sets = sets;
    return sema_check_file(ar, path, &opt);
}

static sema_result *check_file(const char *path) { return check_opts(path, 0, NULL, 0); }
static void assert_op_gate(const ir_circuit *c, int i, ir_gate g);

/* Checks a source text that must be accepted. */
static sema_result *check_ok(const char *text) {
    sema_result *r = check_file(write_temp(text));
    if (!r) fail_msg("rejected:\n%s\n%s", text, diag_text());
    assert_int_equal(diag_error_count(), 0);
    return r;
}

/* Checks a source text that must be rejected with a message containing `msg`. */
static void check_fails(const char *text, const char *msg) {
    sema_result *r = check_file(write_temp(text));
    if (r) {
        sema_free(r);
        fail_msg("accepted, expected \"%s\":\n%s", msg, text);
    }
    assert_true(diag_error_count() > 0);
    assert_diag_contains(msg);
}

/* ================================ scanner and parser ===================================== */

static void test_parse_items_and_locations(void **state) {
    (void)state;
    ast_list items;
    const char *src = "import \"templates.qnn\";\n"
                      "gate g(float a) q { rx(a) q; }\n"
                      "circuit c(int n = 2) {\n"
                      "    qubits q[n];\n"
                      "    expval Z(q[0]);\n"
                      "}\n"
                      "model m { linear(2, 1); }\n"
                      "experiment e { epochs = 3; }\n";
    assert_int_equal(parse_prog("items.qnn", src, &items), 0);
    assert_int_equal(items.n, 5);
    assert_int_equal(items.items[0]->kind, AST_IMPORT);
    assert_string_equal(items.items[0]->str, "templates.qnn");
    assert_int_equal(items.items[1]->kind, AST_GATE);
    assert_string_equal(items.items[1]->name, "g");
    assert_int_equal(items.items[1]->list.n, 1);
    assert_int_equal(items.items[1]->list.items[0]->op, FORMAL_FLOAT);
    assert_int_equal(items.items[1]->list2.n, 1);
    ast_node *c = items.items[2];
    assert_int_equal(c->kind, AST_CIRCUIT);
    assert_string_equal(c->name, "c");
    /* Items are located at their name. */
    assert_int_equal(c->loc.line, 3);
    assert_int_equal(c->loc.col, 9);
    assert_int_equal(c->loc.len, 1);
    assert_int_equal(c->list.n, 1);
    assert_int_equal(c->list.items[0]->op, FORMAL_INT);
    assert_non_null(c->list.items[0]->a);
    assert_int_equal(c->list.items[0]->a->ival, 2);
    ast_node *body = c->a;
    assert_int_equal(body->kind, AST_BLOCK);
    assert_int_equal(body->list.n, 2);
    ast_node *qb = body->list.items[0];
    assert_int_equal(qb->kind, AST_QUBITS);
    assert_int_equal(qb->loc.line, 4);
    assert_int_equal(qb->loc.col, 12);
    assert_int_equal(body->list.items[1]->kind, AST_EXPVAL);
    assert_int_equal(items.items[3]->kind, AST_MODEL);
    assert_int_equal(items.items[4]->kind, AST_EXPERIMENT);
    assert_int_equal(items.items[4]->a->list.items[0]->kind, AST_ASSIGN);
    assert_string_equal(items.items[4]->a->list.items[0]->name, "epochs");
    assert_string_equal(diag_text(), "");
}

static void test_parse_statement_forms(void **state) {
    (void)state;
    ast_list items;
    const char *src = "circuit c {\n"
                      "    h q;\n"                              /* 0: bare qubit args */
                      "    rx(0.5) q[0];\n"                      /* 1: angles + qubits */
                      "    cnot q[i], q[(i + 1) % n];\n"         /* 2: indexed qrefs */
                      "    relu;\n"                              /* 3: bare name */
                      "    quantum layer(n = 2, 3);\n"           /* 4: quantum, named arg */
                      "    for i in 0..n { h q[i]; }\n"          /* 5 */
                      "    repeat 3 as k { h q[k]; }\n"          /* 6 */
                      "    if a { h q; } else if b { x q; } else { y q; }\n" /* 7 */
                      "    param w[2][3] init uniform(0, 1);\n"  /* 8 */
                      "    let a = [1, 2.5, \"s\"];\n"          /* 9 */
                      "    model = qiren(d = 2);\n"             /* 10: `model` as a key */
                      "}\n";
    assert_int_equal(parse_prog("forms.qnn", src, &items), 0);
    ast_list *s = &items.items[0]->a->list;
    assert_int_equal(s->n, 11);
    assert_int_equal(s->items[0]->kind, AST_APPLY);
    assert_int_equal(s->items[0]->flag, 0);
    assert_int_equal(s->items[0]->list2.n, 1);
    assert_int_equal(s->items[1]->flag, 1);
    assert_int_equal(s->items[1]->list.n, 1);
    assert_true(fabs(s->items[1]->list.items[0]->num - 0.5) < 1e-15);
    assert_int_equal(s->items[1]->list.items[0]->op, 0); /* a real, not an integer literal */
    ast_node *cn = s->items[2];
    assert_int_equal(cn->list2.n, 2);
    assert_int_equal(cn->list2.items[0]->kind, AST_INDEX);
    assert_int_equal(cn->list2.items[1]->b->kind, AST_BINOP);
    assert_int_equal(cn->list2.items[1]->b->op, '%');
    assert_int_equal(s->items[3]->kind, AST_APPLY);
    assert_int_equal(s->items[3]->list.n + s->items[3]->list2.n, 0);
    ast_node *qu = s->items[4];
    assert_int_equal(qu->op, 1);
    assert_string_equal(qu->name, "layer");
    assert_int_equal(qu->list.n, 2);
    assert_int_equal(qu->list.items[0]->kind, AST_NAMED);
    assert_string_equal(qu->list.items[0]->name, "n");
    assert_int_equal(s->items[5]->kind, AST_FOR);
    assert_string_equal(s->items[5]->name, "i");
    assert_int_equal(s->items[6]->kind, AST_REPEAT);
    assert_string_equal(s->items[6]->name, "k");
    ast_node *ifs = s->items[7];
    assert_int_equal(ifs->kind, AST_IF);
    assert_int_equal(ifs->c->kind, AST_IF); /* else if chains */
    assert_int_equal(ifs->c->c->kind, AST_BLOCK);
    ast_node *pw = s->items[8];
    assert_int_equal(pw->kind, AST_PARAM);
    assert_int_equal(pw->list.n, 2);
    assert_int_equal(pw->a->kind, AST_CALL);
    assert_string_equal(pw->a->name, "uniform");
    ast_node *l = s->items[9]->a;
    assert_int_equal(l->kind, AST_LIST);
    assert_int_equal(l->list.n, 3);
    assert_int_equal(l->list.items[2]->kind, AST_STR);
    assert_int_equal(s->items[10]->kind, AST_ASSIGN);
    assert_string_equal(s->items[10]->name, "model");
}

static void test_expression_precedence(void **state) {
    (void)state;
    ast_node *e = parse_expr("1 + 2 * 3");
    assert_non_null(e);
    assert_int_equal(e->kind, AST_BINOP);
    assert_int_equal(e->op, '+');
    assert_int_equal(e->b->op, '*');

    e = parse_expr("1 - 2 - 3"); /* left associative: (1 - 2) - 3 */
    assert_int_equal(e->op, '-');
    assert_int_equal(e->a->kind, AST_BINOP);
    assert_int_equal(e->b->kind, AST_NUM);

    e = parse_expr("2 ** 3 ** 2"); /* right associative */
    assert_int_equal(e->op, AST_OP_POW);
    assert_int_equal(e->a->kind, AST_NUM);
    assert_int_equal(e->b->op, AST_OP_POW);

    e = parse_expr("-2 ** 2"); /* ** binds tighter than unary minus */
    assert_int_equal(e->kind, AST_UNOP);
    assert_int_equal(e->a->op, AST_OP_POW);

    e = parse_expr("a < b && c == d || !e");
    assert_int_equal(e->op, AST_OP_OR);
    assert_int_equal(e->a->op, AST_OP_AND);
    assert_int_equal(e->a->a->op, '<');
    assert_int_equal(e->a->b->op, AST_OP_EQ);
    assert_int_equal(e->b->kind, AST_UNOP);

    e = parse_expr("0.5 * X(q[0]) @ Y(q[1]) + Z(q[2])");
    assert_int_equal(e->op, '+');
    assert_int_equal(e->a->op, '@'); /* * and @ share a level, left to right */
    assert_int_equal(e->a->a->op, '*');
    assert_int_equal(e->a->b->kind, AST_CALL);

    e = parse_expr("w[1][2]");
    assert_int_equal(e->kind, AST_INDEX);
    assert_int_equal(e->a->kind, AST_INDEX);
    assert_string_equal(e->a->a->name, "w");
    assert_string_equal(diag_text(), "");
}

static void test_comparison_not_associative(void **state) {
    (void)state;
    assert_null(parse_expr("1 < 2 < 3"));
    assert_true(diag_error_count() >= 1);
    assert_diag_contains("<expr>:1:7: error: unexpected '<'");
}

static void test_literals(void **state) {
    (void)state;
    ast_node *e = parse_expr("2147483647");
    assert_non_null(e);
    assert_int_equal(e->op, 1);
    assert_int_equal(e->ival, 2147483647LL);
    e = parse_expr("1.5e3");
    assert_int_equal(e->op, 0);
    assert_true(e->num == 1500.0);
    e = parse_expr("2e-3");
    assert_true(fabs(e->num - 2e-3) < 1e-18);
    e = parse_expr("\"a\\\"b\\\\c\"");
    assert_int_equal(e->kind, AST_STR);
    assert_string_equal(e->str, "a\"b\\c");
    assert_string_equal(diag_text(), "");
    assert_int_equal(diag_error_count(), 0);
}

static void test_integer_too_large(void **state) {
    (void)state;
    ast_node *e = parse_expr("2147483648");
    assert_int_equal(diag_error_count(), 1);
    assert_null(e);
    assert_diag_contains("<expr>:1:1: error: integer literal `2147483648` is too large "
                         "(the limit is 2147483647)");
    diag_reset();
    e = parse_expr("99999999999999999999999999");
    assert_null(e);
    assert_diag_contains("is too large");
}

static void test_lexical_errors(void **state) {
    (void)state;
    ast_list items;
    const char *src = "circuit c {\n    let a = 1e999;\n    let b = 3x;\n    let c = $1;\n}\n";
    assert_int_equal(parse_prog("lex.qnn", src, &items), 3);
    const char *t = diag_text();
    assert_non_null(strstr(t, "lex.qnn:2:13: error: number `1e999` is out of range"));
    assert_non_null(strstr(t, "lex.qnn:3:13: error: invalid number `3x`"));
    assert_non_null(strstr(t, "lex.qnn:4:13: error: unexpected character `$`"));
}

static void test_unterminated_string_and_comment(void **state) {
    (void)state;
    ast_list items;
    assert_true(parse_prog("s.qnn", "import \"abc", &items) >= 1);
    assert_diag_contains("s.qnn:1:8: error: unterminated string");
    diag_reset();
    assert_int_equal(parse_prog("c.qnn", "// fine\n\n  /* open\n\n\n", &items), 1);
    assert_diag_contains("c.qnn:3:3: error: unterminated comment");
}

static void test_comments_keep_lines(void **state) {
    (void)state;
    ast_list items;
    const char *src = "/* one\n two\n three */ // four\n// five\ncircuit @";
    assert_int_equal(parse_prog("cm.qnn", src, &items), 1);
    assert_diag_contains("cm.qnn:5:9: error: unexpected '@', expecting name");
}

static void test_nul_bytes_and_crlf(void **state) {
    (void)state;
    ast_list items;
    static const char src[] = "circuit c {\r\n\tqubits q[1];\0\r\n}\r\n";
    int file = diag_add_source("nul.qnn", src);
    memset(&items, 0, sizeof items);
    int n = parse_source(ar, file, src, sizeof src - 1, &items);
    assert_int_equal(n, 1);
    assert_diag_contains("nul.qnn:2:14: error: unexpected byte 0x00");
    /* The circuit itself still parses. */
    assert_int_equal(items.n, 1);
    assert_int_equal(items.items[0]->a->list.n, 1);
}

static void test_keyword_is_not_a_name(void **state) {
    (void)state;
    ast_list items;
    assert_int_equal(parse_prog("kw.qnn", "circuit c { let in = 1; }", &items), 1);
    assert_diag_contains("kw.qnn:1:17: error: unexpected `in`, expecting name");
}

static void test_recovery_reports_several(void **state) {
    (void)state;
    ast_list items;
    const char *src = "circuit a {\n    qubits q[2]\n    h q[0];\n}\n"
                      "circuit b {\n    cnot q[0] q[1];\n}\n"
                      "model m {\n    linear(2, 4;\n}\n"
                      "circuit ok { qubits q[1]; expval Z(q[0]); }\n";
    assert_int_equal(parse_prog("rec.qnn", src, &items), 3);
    const char *t = diag_text();
    assert_non_null(strstr(t, "rec.qnn:3:5: error:"));
    assert_non_null(strstr(t, "rec.qnn:6:15: error:"));
    assert_non_null(strstr(t, "rec.qnn:9:16: error:"));
    /* The item after the errors is still there. */
    int found = 0;
    for (int i = 0; i < items.n; i++)
        if (items.items[i]->name && strcmp(items.items[i]->name, "ok") == 0) found = 1;
    assert_true(found);
}

static void test_error_cap(void **state) {
    (void)state;
    diag_set_max_errors(3);
    ast_list items;
    const char *src = "circuit c {\n  a a;\n  b b b;\n  c c c;\n  d d d;\n  e e e;\n}\n";
    parse_prog("cap.qnn", src, &items);
    assert_true(diag_error_count() > 3);
    assert_true(diag_too_many());
    const char *t = diag_text();
    assert_non_null(strstr(t, "qnnc: too many errors (3), stopping\n"));
    /* Exactly three errors are shown, and the cap line once. */
    int shown = 0;
    for (const char *p = t; (p = strstr(p, ": error: ")); p++) shown++;
    assert_int_equal(shown, 3);
    assert_null(strstr(strstr(t, "too many") + 1, "too many"));
}

static void test_parse_expression_error(void **state) {
    (void)state;
    assert_null(parse_expr("adam(lr = )"));
    assert_true(diag_error_count() > 0);
    assert_null(parse_expr(""));
    assert_non_null(parse_expr("adam(lr = 0.03, betas = [0.9, 0.99])"));
}

/* ================================ diagnostics ============================================= */

static void test_diag_format(void **state) {
    (void)state;
    const char *text = "line one\n\tabc def\n";
    int f = diag_add_source("d.qnn", text);
    assert_string_equal(diag_source_path(f), "d.qnn");
    diag_error((src_loc){f, 2, 6, 3}, "bad `%s`", "def");
    diag_note((src_loc){0, 0, 0, 0}, "did you mean `%s`?", "deaf");
    diag_note((src_loc){f, 1, 1, 4}, "see here");
    assert_int_equal(diag_error_count(), 1);
    assert_string_equal(diag_text(), "d.qnn:2:6: error: bad `def`\n"
                                      "    2 | \tabc def\n"
                                      "      | \t    ^~~\n"
                                      "note: did you mean `deaf`?\n"
                                      "d.qnn:1:1: note: see here\n"
                                      "    1 | line one\n"
                                      "      | ^~~~\n");
}

static void test_diag_same_error_once(void **state) {
    (void)state;
    int f = diag_add_source("d.qnn", "x\n");
    for (int i = 0; i < 5; i++) {
        diag_error((src_loc){f, 1, 1, 1}, "same");
        diag_note((src_loc){0, 0, 0, 0}, "its note");
    }
    assert_int_equal(diag_shown_count(), 1);
    assert_int_equal(diag_error_count(), 5); /* phases still see every repeat */
    assert_string_equal(diag_text(), "d.qnn:1:1: error: same\n    1 | x\n      | ^\nnote: its note\n");
}

static void test_diag_no_location_and_internal(void **state) {
    (void)state;
    diag_error((src_loc){0, 0, 0, 0}, "cannot read %s", "x.qnn");
    diag_internal("broken %d", 7);
    assert_int_equal(diag_error_count(), 2);
    assert_string_equal(diag_text(), "qnnc: error: cannot read x.qnn\n"
                                      "qnnc: internal error: broken 7\n"
                                      "(this is a bug in qnnc, not in your program)\n");
}

static void test_diag_suggest(void **state) {
    (void)state;
    static const char *const gates[] = {"h", "rx", "ry", "rz", "rot", "cnot", "cz"};
    assert_string_equal(diag_suggest("rzz", gates, 7), "rz");
    assert_string_equal(diag_suggest("cnt", gates, 7), "cnot");
    assert_null(diag_suggest("hadamard", gates, 7));
    static const char *const keys[] = {"epochs", "optimizer", "schedule"};
    assert_string_equal(diag_suggest("epoch", keys, 3), "epochs");
    assert_string_equal(diag_suggest("optimiser", keys, 3), "optimizer");
    assert_null(diag_suggest("zzzzzz", keys, 3));
}

static void test_ast_span(void **state) {
    (void)state;
    src_loc a = {1, 3, 5, 2}, b = {1, 3, 10, 4};
    src_loc s = ast_span(a, b);
    assert_int_equal(s.line, 3);
    assert_int_equal(s.col, 5);
    assert_int_equal(s.len, 9);
}

/* ================================ semantic analysis ======================================= */

static void test_qiren_image_657(void **state) {
    (void)state;
    sema_result *r = check_file(repo_path("examples/image_qiren.qnn"));
    if (!r) fail_msg("%s", diag_text());
    assert_int_equal(r->n_experiments, 1);
    const sema_experiment *x = &r->experiments[0];
    assert_string_equal(x->exp.name, "astronaut_qiren");
    assert_int_equal(x->model.n_params, 657);
    assert_int_equal(x->model.in_dim, 2);
    assert_int_equal(x->model.out_dim, 1);
    /* 3 x (linear, batchnorm, quantum) + linear */
    assert_int_equal(x->model.n_layers, 10);
    assert_int_equal(x->model.n_circuits, 3);
    for (int i = 0; i < 3; i++) {
        const ir_circuit *c = x->model.circuits[i];
        assert_int_equal(c->n_qubits, 8);
        assert_int_equal(c->n_inputs, 8);
        assert_int_equal(c->n_obs, 8);
        assert_int_equal(c->n_params, 144); /* 6 n (depth + 1) */
        /* per StronglyEntanglingLayers block: 2 x (8 rot + 8 cz); 2 encodings of 8 rz */
        assert_int_equal(c->n_ops, 3 * 32 + 2 * 8);
    }
    const rt_layer_spec *l = x->model.layers;
    assert_int_equal(l[0].kind, RT_LAYER_LINEAR);
    assert_int_equal(l[0].in, 2);
    assert_int_equal(l[0].out, 8);
    assert_int_equal(l[1].kind, RT_LAYER_BATCHNORM);
    assert_close(l[1].momentum, 0.1, 1e-15);
    assert_close(l[1].eps, 1e-5, 1e-15);
    assert_int_equal(l[2].kind, RT_LAYER_QUANTUM);
    assert_int_equal(l[2].n_params, 144);
    assert_int_equal(l[2].n_tensors, 2);
    assert_string_equal(l[2].tensors[0].name, "weights1");
    assert_int_equal(l[2].tensors[0].size, 96);
    assert_int_equal(l[2].tensors[1].size, 48);
    assert_int_equal(l[9].kind, RT_LAYER_LINEAR);
    assert_int_equal(l[9].out, 1);
    /* settings */
    assert_int_equal(x->exp.data.kind, RT_DATA_IMAGE);
    assert_int_equal(x->exp.data.size, 32);
    assert_int_equal(x->exp.data.channels, 1);
    assert_close(x->exp.lr, 0.03, 1e-15);
    assert_close(x->exp.beta2, 0.999, 1e-15);
    assert_int_equal(x->exp.epochs, 301);
    assert_int_equal(x->exp.batch, 0);
    assert_int_equal(x->exp.bn_eval_running, 0);
    assert_int_equal(x->exp.eval_size, 32);
    assert_string_equal(x->exp.out_image, "fit.png");
    assert_string_equal(x->exp.out_report, "report");
    sema_free(r);
}

static void test_qiren_sound_649(void **state) {
    (void)state;
    sema_result *r = check_file(repo_path("examples/sound_qiren.qnn"));
    if (!r) fail_msg("%s", diag_text());
    assert_int_equal(r->n_experiments, 1);
    assert_int_equal(r->experiments[0].model.n_params, 649);
    assert_int_equal(r->experiments[0].exp.in_dim, 1);
    assert_int_equal(r->experiments[0].exp.data.kind, RT_DATA_SOUND);
    assert_int_equal(r->experiments[0].exp.data.start, 20000);
    assert_int_equal(r->experiments[0].exp.data.stop, 25000);
    assert_int_equal(r->experiments[0].exp.data.stride, 5);
    sema_free(r);
}

/* Baselines at the reference widths and at matched budgets (qiren-reference.md). */
static void test_baseline_counts_images(void **state) {
    (void)state;
    const char *src = "import \"qiren.qnn\";\nimport \"baselines.qnn\";\n"
        "experiment e1 { data = image(\"x.png\"); model = relu_mlp(d = 2, width = 8); }\n"
        "experiment e2 { data = image(\"x.png\"); model = tanh_mlp(d = 2, width = 8); }\n"
        "experiment e3 { data = image(\"x.png\"); model = relu_rff(d = 2, width = 8); }\n"
        "experiment e4 { data = image(\"x.png\"); model = siren(d = 2, width = 8); }\n"
        "experiment e5 { data = image(\"x.png\"); model = relu_mlp(d = 2, width = 16); }\n"
        "experiment e6 { data = image(\"x.png\"); model = tanh_mlp(d = 2, width = 16); }\n"
        "experiment e7 { data = image(\"x.png\"); model = relu_rff(d = 2, width = 18); }\n"
        "experiment e8 { data = image(\"x.png\"); model = siren(d = 2, width = 17); }\n"
        "experiment e9 { data = image(\"x.png\"); model = qiren(d = 2); }\n";
    static const long long want[] = {225, 225, 185, 177, 705, 705, 775, 681, 657};
    sema_result *r = check_ok(src);
    assert_int_equal(r->n_experiments, 9);
    for (int i = 0; i < 9; i++) assert_int_equal(r->experiments[i].model.n_params, want[i]);
    sema_free(r);
}

static void test_baseline_counts_sound(void **state) {
    (void)state;
    const char *src = "import \"baselines.qnn\";\n"
        "experiment s1 { data = sound(\"s.wav\"); model = relu_mlp(d = 1, width = 16); }\n"
        "experiment s2 { data = sound(\"s.wav\"); model = tanh_mlp(d = 1, width = 16); }\n"
        "experiment s3 { data = sound(\"s.wav\"); model = relu_rff(d = 1, width = 18); }\n"
        "experiment s4 { data = sound(\"s.wav\"); model = siren(d = 1, width = 17); }\n";
    static const long long want[] = {689, 689, 775, 664};
    sema_result *r = check_ok(src);
    assert_int_equal(r->n_experiments, 4);
    for (int i = 0; i < 4; i++) assert_int_equal(r->experiments[i].model.n_params, want[i]);
    sema_free(r);
}

static void test_compare_example(void **state) {
    (void)state;
    sema_result *r = check_file(repo_path("examples/compare.qnn"));
    if (!r) fail_msg("%s", diag_text());
    assert_true(r->n_experiments >= 9);
    /* Whatever the order, the counts of the paper's comparison are all there. */
    static const long long want[] = {657, 225, 185, 177, 705, 775, 681};
    for (int k = 0; k < 7; k++) {
        int found = 0;
        for (int i = 0; i < r->n_experiments; i++) found |= r->experiments[i].model.n_params == want[k];
        if (!found) fail_msg("no experiment with %lld parameters", want[k]);
    }
    sema_free(r);
}

/* Files whose models have default arguments elaborate them (what `qnnc info` shows). */
static void test_stdlib_defaults(void **state) {
    (void)state;
    char path[512];
    snprintf(path, sizeof path, "%s/baselines.qnn", stdlib_dir());
    sema_result *r = check_file(path);
    if (!r) fail_msg("%s", diag_text());
    assert_int_equal(r->n_models, 4);
    static const char *const names[] = {"relu_mlp", "tanh_mlp", "relu_rff", "siren"};
    static const long long want[] = {225, 225, 185, 177};
    for (int i = 0; i < 4; i++) {
        assert_string_equal(r->models[i].name, names[i]);
        assert_int_equal(r->models[i].n_params, want[i]);
    }
    sema_free(r);

    snprintf(path, sizeof path, "%s/qiren.qnn", stdlib_dir());
    r = check_file(path);
    if (!r) fail_msg("%s", diag_text());
    /* hybrid_layer has a required argument: only qiren is elaborated. */
    assert_int_equal(r->n_models, 1);
    assert_string_equal(r->models[0].name, "qiren");
    assert_int_equal(r->models[0].n_params, 657);
    assert_int_equal(r->n_circuits, 1);
    assert_string_equal(r->circuits[0]->name, "qiren_layer");
    assert_int_equal(r->circuits[0]->n_params, 144);
    sema_free(r);
}

static void test_set_overrides(void **state) {
    (void)state;
    const char *sets[] = {"epochs=5", "optimizer.lr=0.5", "model.hidden=1", "batch=16",
                          "seed=7", "schedule=cosine(min_lr = 0.001)", "loss=l1",
                          "batchnorm_eval=running"};
    sema_result *r = check_opts(repo_path("examples/image_qiren.qnn"), 8, sets, 0);
    if (!r) fail_msg("%s", diag_text());
    const rt_experiment *x = &r->experiments[0].exp;
    assert_int_equal(x->epochs, 5);
    assert_close(x->lr, 0.5, 1e-15);
    assert_close(x->beta1, 0.9, 1e-15); /* the other adam arguments are kept */
    assert_int_equal(x->batch, 16);
    assert_int_equal(x->seed, 7);
    assert_int_equal(x->schedule, RT_SCHED_COSINE);
    assert_close(x->lr_min, 0.001, 1e-15);
    assert_int_equal(x->loss, RT_LOSS_L1);
    assert_int_equal(x->bn_eval_running, 1);
    /* One hybrid layer fewer: 657 - (8^2 + 3 * 8 + 6 * 8 * 3) */
    assert_int_equal(r->experiments[0].model.n_params, 657 - 232);
    sema_free(r);
}

static void test_set_errors(void **state) {
    (void)state;
    const char *bad_value[] = {"epochs=abc"};
    assert_null(check_opts(repo_path("examples/image_qiren.qnn"), 1, bad_value, 0));
    assert_diag_contains("--set:1:8: error: `epochs` must be an integer");

    diag_reset();
    const char *unknown[] = {"epoch=3"};
    assert_null(check_opts(repo_path("examples/image_qiren.qnn"), 1, unknown, 0));
    assert_diag_contains("--set:1:1: error: unknown setting `epoch`");
    assert_diag_contains("note: did you mean `epochs`?");

    diag_reset();
    const char *no_eq[] = {"epochs"};
    assert_null(check_opts(repo_path("examples/image_qiren.qnn"), 1, no_eq, 0));
    assert_diag_contains("`--set` needs key=value");

    diag_reset();
    const char *range[] = {"seed=-1"};
    assert_null(check_opts(repo_path("examples/image_qiren.qnn"), 1, range, 0));
    assert_diag_contains("--set:1:6: error: `seed` must be between 0 and 2147483647, got -1");
}

static void test_max_qubits_option(void **state) {
    (void)state;
    const char *src = "circuit c {\n    qubits q[10];\n    h q;\n    expval Z(q[0]);\n}\n";
    sema_result *r = check_opts(write_temp(src), 0, NULL, 10);
    if (!r) fail_msg("%s", diag_text());
    assert_int_equal(r->circuits[0]->n_qubits, 10);
    sema_free(r);
    assert_null(check_opts(write_temp(src), 0, NULL, 8));
    assert_diag_contains("10 qubits are too many: the state vector would need 16 KiB per sample "
                         "(the limit is 8 qubits; see --max-qubits)");
}

static void test_default_limits(void **state) {
    (void)state;
    /* 24 qubits pass by default, 25 do not. */
    sema_result *r = check_ok("circuit c {\n    qubits q[24];\n    expval Z(q[23]);\n}\n");
    assert_int_equal(r->circuits[0]->n_qubits, 24);
    sema_free(r);
    check_fails("circuit c {\n    qubits q[25];\n    expval Z(q[0]);\n}\n",
                "25 qubits are too many: the state vector would need 512 MiB per sample");
    diag_reset();
    check_fails("circuit c {\n    qubits q[1];\n    repeat 1000001 { }\n    expval Z(q[0]);\n}\n",
                "repeat count 1000001 is out of range (0 to 1000000)");
    diag_reset();
    check_fails("circuit c {\n    qubits q[1];\n    param w[4097][4096];\n    expval Z(q[0]);\n}\n",
                "tensor `w` is too large (more than 16777216 elements)");
    diag_reset();
    check_fails("circuit c {\n    qubits q[1];\n    repeat 10000 { repeat 10000 { } }\n"
                "    expval Z(q[0]);\n}\n",
                "the circuit is too large: more than 1000000 statements after unrolling loops");
}

static void test_sema_messages(void **state) {
    (void)state;
    check_fails("circuit c {\n    qubits q[2];\n    RZ(0.1) q[0];\n    expval Z(q[0]);\n}\n",
                "did you mean `rz`?");
    diag_reset();
    check_fails("model m {\n    linear(2, 8);\n    linear(16, 1);\n}\n",
                ":3:5: error: `linear` expects 16 input features, but the previous layer gives 8");
    diag_reset();
    check_fails("import \"qiren.qnn\";\nexperiment e {\n    data = image(\"a.png\");\n"
                "    model = qiren(d = 2);\n    optimizer = adamw;\n}\n",
                "unknown optimizer `adamw`: use adam or sgd");
    diag_reset();
    check_fails("gate g a { g a; }\ncircuit c {\n    qubits q[1];\n    g q[0];\n"
                "    expval Z(q[0]);\n}\n",
                "gate `g` uses itself: templates cannot be recursive");
}

static void test_missing_file(void **state) {
    (void)state;
    assert_null(check_file("/nonexistent/dir/x.qnn"));
    assert_int_equal(diag_error_count(), 1);
    assert_diag_contains("qnnc: error: cannot read /nonexistent/dir/x.qnn: No such file or directory");
}

/* A file imports sub/b.qnn, which imports c.qnn from its own folder (sub/); a second path
 * to the same file is loaded once. */
static void test_nested_relative_imports(void **state) {
    (void)state;
    write_at("sub/c.qnn", "gate my_h a { h a; }\n");
    write_at("sub/b.qnn", "import \"c.qnn\";\n");
    const char *main_path = write_at("a.qnn", "import \"sub/b.qnn\";\nimport \"sub/c.qnn\";\n"
                                              "circuit c {\n    qubits q[1];\n    my_h q[0];\n"
                                              "    expval Z(q[0]);\n}\n");
    sema_result *r = check_file(main_path);
    if (!r) fail_msg("%s", diag_text());
    assert_int_equal(r->n_circuits, 1);
    assert_int_equal(r->circuits[0]->n_ops, 1);
    assert_op_gate(r->circuits[0], 0, IR_H);
    sema_free(r);
}

static void test_import_cycle(void **state) {
    (void)state;
    write_at("sub/y.qnn", "import \"../x.qnn\";\n");
    const char *x = write_at("x.qnn", "import \"sub/y.qnn\";\n");
    assert_null(check_file(x));
    assert_int_equal(diag_error_count(), 1);
    assert_diag_contains("error: import cycle:");
}

/* ================================ lowering ================================================ */

static void assert_op_gate(const ir_circuit *c, int i, ir_gate g) {
    if (i >= c->n_ops || c->ops[i].gate != g) fail_msg("op %d is not %s", i, ir_gate_name(g));
}

/* The op's gate and wires. */
static void assert_op(const ir_circuit *c, int i, ir_gate g, int w0, int w1) {
    if (i >= c->n_ops) fail_msg("op %d missing (%d ops)", i, c->n_ops);
    const ir_op *op = &c->ops[i];
    if (op->gate != g || op->wires[0] != w0 || op->wires[1] != w1)
        fail_msg("op %d is %s %d,%d; expected %s %d,%d", i, ir_gate_name(op->gate), op->wires[0],
                 op->wires[1], ir_gate_name(g), w0, w1);
}

static void test_lower_small_circuit(void **state) {
    (void)state;
    const char *src = "circuit c {\n"
                      "    qubits q[3];\n"
                      "    input x[2];\n"
                      "    param w[2] init constant(0.25);\n"
                      "    h q[0];\n"
                      "    rx(x[1]) q[2];\n"
                      "    cnot q[0], q[1];\n"
                      "    rz(w[0] * 2 + x[0]) q[1];\n"
                      "    cz q[2], q[0];\n"
                      "    rot(w[1], 7 / 2, -pi) q[1];\n"
                      "    expval Z(q[0]);\n"
                      "    expval 0.5 * X(q[1]) @ Y(q[2]) - Z(q[0]);\n"
                      "}\n";
    sema_result *r = check_ok(src);
    assert_int_equal(r->n_circuits, 1);
    const ir_circuit *c = r->circuits[0];
    assert_string_equal(c->name, "c");
    assert_int_equal(c->n_qubits, 3);
    assert_int_equal(c->n_inputs, 2);
    assert_int_equal(c->n_params, 2);
    assert_int_equal(c->n_tensors, 1);
    assert_int_equal(c->tensors[0].init, IR_INIT_CONST);
    assert_close(c->tensors[0].init_a, 0.25, 1e-15);
    assert_int_equal(c->n_ops, 6);
    assert_op(c, 0, IR_H, 0, -1);
    assert_op(c, 1, IR_RX, 2, -1);
    assert_op(c, 2, IR_CNOT, 0, 1);
    assert_op(c, 3, IR_RZ, 1, -1);
    assert_op(c, 4, IR_CZ, 2, 0);
    assert_op(c, 5, IR_ROT, 1, -1);
    /* source locations of the ops */
    assert_int_equal(c->ops[0].src_line, 5);
    assert_int_equal(c->ops[0].src_col, 5);
    assert_int_equal(c->ops[5].src_line, 10);
    /* angles: evaluate the expressions */
    const double params[2] = {0.3, -1.1}, inputs[2] = {0.7, 1.9};
    const ir_expr *a1 = &c->exprs[c->ops[1].angle[0]];
    assert_int_equal(a1->kind, IR_EXPR_INPUT);
    assert_int_equal(a1->index, 1);
    assert_close(ir_eval(c, c->ops[3].angle[0], params, inputs), 0.3 * 2 + 0.7, 1e-15);
    assert_close(ir_eval(c, c->ops[5].angle[0], params, inputs), -1.1, 1e-15);
    assert_close(ir_eval(c, c->ops[5].angle[1], params, inputs), 3.5, 1e-15);
    assert_close(ir_eval(c, c->ops[5].angle[2], params, inputs), -3.14159265358979323846, 1e-15);
    /* observables: Z0; 0.5 X1 Y2 - Z0 (bit w = wire w) */
    assert_int_equal(c->n_obs, 2);
    assert_int_equal(c->obs[0].n_terms, 1);
    const ir_pauli_term *t = &c->terms[c->obs[0].first_term];
    assert_close(t->coef, 1.0, 0);
    assert_int_equal(t->x_mask, 0);
    assert_int_equal(t->z_mask, 1u << 0);
    assert_int_equal(c->obs[1].n_terms, 2);
    t = &c->terms[c->obs[1].first_term];
    assert_close(t[0].coef, 0.5, 1e-15);
    assert_int_equal(t[0].x_mask, (1u << 1) | (1u << 2));
    assert_int_equal(t[0].z_mask, 1u << 2);
    assert_close(t[1].coef, -1.0, 1e-15);
    assert_int_equal(t[1].x_mask, 0);
    assert_int_equal(t[1].z_mask, 1u << 0);
    sema_free(r);
}

static void test_lower_loops_and_broadcast(void **state) {
    (void)state;
    const char *src = "circuit c(int n = 4) {\n"
                      "    qubits q[n];\n"
                      "    h q;\n"
                      "    for i in 0..n {\n"
                      "        if i % 2 == 0 { x q[i]; } else { y q[i]; }\n"
                      "    }\n"
                      "    repeat 2 as k { cnot q[k], q[n - 1 - k]; }\n"
                      "    for i in 3..1 { z q[0]; }\n" /* empty range */
                      "    let m = n - 1;\n"
                      "    if 1 { let m = 0; s q[m]; }\n" /* a block has its own scope */
                      "    t q[m];\n"
                      "    for j in 0..n { expval Z(q[j]); }\n"
                      "}\n";
    sema_result *r = check_ok(src);
    const ir_circuit *c = r->circuits[0];
    assert_int_equal(c->n_ops, 4 + 4 + 2 + 2);
    for (int w = 0; w < 4; w++) assert_op(c, w, IR_H, w, -1);
    assert_op(c, 4, IR_X, 0, -1);
    assert_op(c, 5, IR_Y, 1, -1);
    assert_op(c, 6, IR_X, 2, -1);
    assert_op(c, 7, IR_Y, 3, -1);
    assert_op(c, 8, IR_CNOT, 0, 3);
    assert_op(c, 9, IR_CNOT, 1, 2);
    assert_op(c, 10, IR_S, 0, -1);
    assert_op(c, 11, IR_T, 3, -1);
    assert_int_equal(c->n_obs, 4);
    for (int j = 0; j < 4; j++) assert_int_equal(c->terms[c->obs[j].first_term].z_mask, 1u << j);
    sema_free(r);
}

static void test_lower_templates(void **state) {
    (void)state;
    const char *src = "import \"templates.qnn\";\n"
                      "gate bell a, b { h a; cnot a, b; }\n"
                      "circuit c {\n"
                      "    qubits q[3];\n"
                      "    input f[3];\n"
                      "    param b[1][3];\n"
                      "    bell q[2], q[0];\n"
                      "    angle_embedding(f, rotation = ry) q;\n"
                      "    basic_entangler(b) q;\n"
                      "    expval Z(q[0]);\n"
                      "}\n";
    sema_result *r = check_ok(src);
    const ir_circuit *c = r->circuits[0];
    assert_int_equal(c->n_ops, 2 + 3 + 3 + 3);
    assert_op(c, 0, IR_H, 2, -1);
    assert_op(c, 1, IR_CNOT, 2, 0);
    for (int i = 0; i < 3; i++) {
        assert_op(c, 2 + i, IR_RY, i, -1);
        assert_int_equal(c->exprs[c->ops[2 + i].angle[0]].kind, IR_EXPR_INPUT);
        assert_int_equal(c->exprs[c->ops[2 + i].angle[0]].index, i);
        assert_op(c, 5 + i, IR_RX, i, -1);
        assert_int_equal(c->exprs[c->ops[5 + i].angle[0]].kind, IR_EXPR_PARAM);
        assert_int_equal(c->exprs[c->ops[5 + i].angle[0]].index, i);
    }
    assert_op(c, 8, IR_CNOT, 0, 1);
    assert_op(c, 9, IR_CNOT, 1, 2);
    assert_op(c, 10, IR_CNOT, 2, 0);
    sema_free(r);
}

/* StronglyEntanglingLayers with L layers on n wires: per layer n Rot (weights w[l][i][0..2])
 * then the entangler on (i, (i + r) mod n), r = (l mod (n - 1)) + 1 (PennyLane's ranges). */
static void check_strongly_entangling(const ir_circuit *c, int n, int L, ir_gate ent) {
    assert_int_equal(c->n_qubits, n);
    assert_int_equal(c->n_params, L * n * 3);
    assert_int_equal(c->n_ops, L * (n + (n > 1 ? n : 0)));
    int k = 0;
    for (int l = 0; l < L; l++) {
        for (int i = 0; i < n; i++, k++) {
            assert_op(c, k, IR_ROT, i, -1);
            for (int a = 0; a < 3; a++) {
                const ir_expr *e = &c->exprs[c->ops[k].angle[a]];
                assert_int_equal(e->kind, IR_EXPR_PARAM);
                assert_int_equal(e->index, (l * n + i) * 3 + a);
            }
        }
        if (n < 2) continue;
        int r = l % (n - 1) + 1;
        for (int i = 0; i < n; i++, k++) assert_op(c, k, ent, i, (i + r) % n);
    }
}

static void test_strongly_entangling_ranges(void **state) {
    (void)state;
    const char *src = "import \"templates.qnn\";\n"
                      "circuit se(int n = 3, int L = 4, gate ent = cnot) {\n"
                      "    qubits q[n];\n"
                      "    param w[L][n][3];\n"
                      "    strongly_entangling(w, entangler = ent) q;\n"
                      "    expval Z(q[0]);\n"
                      "}\n"
                      "model m3 { quantum se(n = 3, L = 4); }\n"
                      "model m4 { quantum se(n = 4, L = 5, ent = cz); }\n"
                      "model m2 { quantum se(n = 2, L = 3); }\n"
                      "model m1 { quantum se(n = 1, L = 2); }\n";
    sema_result *r = check_ok(src);
    assert_int_equal(r->n_circuits, 1);
    check_strongly_entangling(r->circuits[0], 3, 4, IR_CNOT);
    assert_int_equal(r->n_models, 4);
    /* n = 3: r = 1, 2, 1, 2 */
    check_strongly_entangling(r->models[0].circuits[0], 3, 4, IR_CNOT);
    assert_op(r->models[0].circuits[0], 3 + 0, IR_CNOT, 0, 1);
    assert_op(r->models[0].circuits[0], 6 + 3 + 0, IR_CNOT, 0, 2);
    /* n = 4: r = 1, 2, 3, 1, 2 */
    check_strongly_entangling(r->models[1].circuits[0], 4, 5, IR_CZ);
    assert_op(r->models[1].circuits[0], 2 * 8 + 4 + 1, IR_CZ, 1, 0); /* layer 2: r = 3 */
    assert_op(r->models[1].circuits[0], 3 * 8 + 4 + 3, IR_CZ, 3, 0); /* layer 3: r = 1 */
    check_strongly_entangling(r->models[2].circuits[0], 2, 3, IR_CNOT);
    check_strongly_entangling(r->models[3].circuits[0], 1, 2, IR_CNOT);
    sema_free(r);
}

/* The QIREN layer, block by block: SEL(W1[k]) with CZ, then RZ(x_j) on wire j; SEL(W2). */
static void test_qiren_layer_structure(void **state) {
    (void)state;
    char path[512];
    snprintf(path, sizeof path, "%s/qiren.qnn", stdlib_dir());
    sema_result *r = check_file(path);
    if (!r) fail_msg("%s", diag_text());
    const ir_circuit *c = r->circuits[0];
    int n = 8, k = 0;
    for (int block = 0; block < 3; block++) {
        int base = block < 2 ? block * 2 * n * 3 : 2 * 2 * n * 3; /* weights1 then weights2 */
        for (int l = 0; l < 2; l++) {
            for (int i = 0; i < n; i++, k++) {
                assert_op(c, k, IR_ROT, i, -1);
                assert_int_equal(c->exprs[c->ops[k].angle[0]].index, base + (l * n + i) * 3);
            }
            for (int i = 0; i < n; i++, k++) assert_op(c, k, IR_CZ, i, (i + l % (n - 1) + 1) % n);
        }
        if (block == 2) break;
        for (int j = 0; j < n; j++, k++) {
            assert_op(c, k, IR_RZ, j, -1);
            const ir_expr *e = &c->exprs[c->ops[k].angle[0]];
            assert_int_equal(e->kind, IR_EXPR_INPUT);
            assert_int_equal(e->index, j);
        }
    }
    assert_int_equal(k, c->n_ops);
    for (int j = 0; j < n; j++) {
        assert_int_equal(c->obs[j].n_terms, 1);
        assert_int_equal(c->terms[c->obs[j].first_term].z_mask, 1u << j);
        assert_int_equal(c->terms[c->obs[j].first_term].x_mask, 0);
    }
    sema_free(r);
}

/* ================================ observables (language.md §4.11) ========================= */

typedef double _Complex zc;

/* The state of independent single-qubit states q[w] = (a, b), wire 0 the most significant
 * bit: the product that an ry-rz layer makes, computed without the interpreter. */
static void product_state(int n, const zc (*q)[2], zc *psi) {
    for (int idx = 0; idx < 1 << n; idx++) {
        zc a = 1;
        for (int w = 0; w < n; w++) a *= q[w][(idx >> (n - 1 - w)) & 1];
        psi[idx] = a;
    }
}

/* <psi| (op_0 x op_1 x ... x op_(n-1)) |psi> with a dense Kronecker product of 2x2 matrices
 * (row-major), wire 0 first: an independent check of the Pauli bit tricks. */
static zc dense_expect(int n, const zc *const *ops, const zc *psi) {
    int dim = 1 << n;
    zc *m = calloc((size_t)dim * dim, sizeof *m), *t = calloc((size_t)dim * dim, sizeof *t);
    m[0] = 1;
    for (int w = 0, d = 1; w < n; w++, d *= 2) {
        for (int r = 0; r < 2 * d; r++)
            for (int c = 0; c < 2 * d; c++)
                t[r * 2 * d + c] = m[(r / 2) * d + c / 2] * ops[w][2 * (r % 2) + c % 2];
        memcpy(m, t, sizeof *m * (size_t)(4 * d * d));
    }
    zc e = 0;
    for (int r = 0; r < dim; r++)
        for (int c = 0; c < dim; c++) e += conj(psi[r]) * m[r * dim + c] * psi[c];
    free(m);
    free(t);
    return e;
}

static const zc PI_[2 * 2] = {1, 0, 0, 1}, PX_[4] = {0, 1, 1, 0}, PY_[4] = {0, -_Complex_I, _Complex_I, 0},
                PZ_[4] = {1, 0, 0, -1};

/* ry(t) then rz(f) on |0>: (e^{-if/2} cos(t/2), e^{if/2} sin(t/2)). */
static void ry_rz_qubit(double t, double f, zc q[2]) {
    q[0] = cexp(-_Complex_I * f / 2) * cos(t / 2);
    q[1] = cexp(_Complex_I * f / 2) * sin(t / 2);
}

static const ir_circuit *only_circuit(sema_result *r) {
    assert_int_equal(r->n_circuits, 1);
    return r->circuits[0];
}

/* The gradient of L = sum_k g_k out_k by the adjoint method equals central differences. */
static void check_interp_grad(const ir_circuit *c, const double *p) {
    double g[300], ga[64] = {0}, gf[64] = {0};
    assert_true(c->n_obs <= 300 && c->n_params <= 64);
    for (int k = 0; k < c->n_obs; k++) g[k] = 0.3 + 0.1 * k * (k % 2 ? -1 : 1);
    interp_vjp(c, p, NULL, g, ga, NULL, 1);
    interp_vjp_fd(c, p, NULL, g, gf, NULL, 1, 1e-5);
    for (int i = 0; i < c->n_params; i++) assert_close(ga[i], gf[i], 1e-7);
}

static char *tfim_source(int n, int with_sum) {
    static char buf[8192];
    int k = snprintf(buf, sizeof buf,
                     "circuit tfim(int n = %d, float h = 0.7) {\n"
                     "    qubits q[n];\n    param w[n];\n    param v[n];\n"
                     "    for i in 0..n { ry(w[i]) q[i]; rz(v[i]) q[i]; }\n", n);
    if (with_sum) {
        k += snprintf(buf + k, sizeof buf - (size_t)k,
                      "    expval -sum(i in 0..n-1) Z(q[i]) @ Z(q[i+1]) - h * sum(i in 0..n) X(q[i]);\n"
                      "    expval sum(i in 0..n-1) 0.5 * (X(q[i]) @ X(q[i+1]) + Y(q[i]) @ Y(q[i+1]));\n");
    } else {
        k += snprintf(buf + k, sizeof buf - (size_t)k, "    expval ");
        for (int i = 0; i + 1 < n; i++)
            k += snprintf(buf + k, sizeof buf - (size_t)k, "- Z(q[%d]) @ Z(q[%d]) ", i, i + 1);
        for (int i = 0; i < n; i++) k += snprintf(buf + k, sizeof buf - (size_t)k, "- h * X(q[%d]) ", i);
        k += snprintf(buf + k, sizeof buf - (size_t)k, ";\n    expval");
        for (int i = 0; i + 1 < n; i++)
            k += snprintf(buf + k, sizeof buf - (size_t)k,
                          "%s 0.5 * X(q[%d]) @ X(q[%d]) + 0.5 * Y(q[%d]) @ Y(q[%d])", i ? " +" : "",
                          i, i + 1, i, i + 1);
        k += snprintf(buf + k, sizeof buf - (size_t)k, ";\n");
    }
    snprintf(buf + k, sizeof buf - (size_t)k, "}\n");
    return buf;
}

/* The transverse-field Ising (and XY) Hamiltonians on 4 and 8 qubits: written with `sum` and
 * term by term they lower to the same IR text; their values equal a dense computation. */
static void test_obs_sum_ising(void **state) {
    (void)state;
    for (int n = 4; n <= 8; n += 4) {
        sema_result *r1 = check_ok(tfim_source(n, 1));
        char *t1 = ir_to_text(only_circuit(r1));
        sema_result *r2 = check_ok(tfim_source(n, 0));
        char *t2 = ir_to_text(only_circuit(r2));
        assert_string_equal(t1, t2); /* the whole circuit: gates and both observables */
        const char *o1 = strstr(t1, "observable 0"), *o2 = strstr(t2, "observable 0");
        assert_non_null(o1);
        assert_non_null(o2);
        assert_string_equal(o1, o2);
        const ir_circuit *c = only_circuit(r1);
        assert_int_equal(c->obs[0].n_terms, 2 * n - 1);
        assert_int_equal(c->obs[1].n_terms, 2 * (n - 1));
        double p[16];
        zc q[8][2];
        for (int i = 0; i < n; i++) {
            p[i] = 0.4 + 0.37 * i;
            p[n + i] = -0.9 + 0.23 * i;
            ry_rz_qubit(p[i], p[n + i], q[i]);
        }
        double y1[2], y2[2];
        interp_forward(c, p, NULL, y1);
        interp_forward(only_circuit(r2), p, NULL, y2);
        zc *psi = malloc(sizeof *psi << n);
        product_state(n, (const zc (*)[2])q, psi);
        const zc *ops[8];
        double want0 = 0, want1 = 0;
        for (int i = 0; i < n; i++) {
            for (int w = 0; w < n; w++) ops[w] = PI_;
            ops[i] = PX_;
            want0 += -0.7 * creal(dense_expect(n, ops, psi));
            if (i + 1 == n) continue;
            ops[i] = ops[i + 1] = PZ_;
            want0 -= creal(dense_expect(n, ops, psi));
            ops[i] = ops[i + 1] = PX_;
            want1 += 0.5 * creal(dense_expect(n, ops, psi));
            ops[i] = ops[i + 1] = PY_;
            want1 += 0.5 * creal(dense_expect(n, ops, psi));
        }
        assert_close(y1[0], want0, 1e-12);
        assert_close(y2[0], want0, 1e-12);
        assert_close(y1[1], want1, 1e-12);
        assert_close(y1[1], y2[1], 1e-12);
        if (n == 4) check_interp_grad(c, p);
        free(psi);
        free(t1);
        free(t2);
        sema_free(r1);
        sema_free(r2);
    }
}

/* Nested sums, sums of numbers and of angles; equal products merged in first-appearance
 * order, cancelled ones dropped. */
static void test_obs_sum_forms(void **state) {
    (void)state;
    sema_result *r = check_ok("circuit c(int n = 4) {\n"
                 "    qubits q[n];\n    param w[n];\n"
                 "    ry(sum(i in 0..n) w[i]) q[0];\n"
                 "    expval sum(i in 0..n) sum(j in i+1..n) Z(q[i]) @ Z(q[j]);\n"
                 "    expval sum(k in 1..5) k * k * Z(q[1]);\n"
                 "    expval Z(q[0]) + Z(q[0]) - 2 * X(q[1]) + X(q[1]) + 0.1 * Y(q[2])"
                 " + 0.2 * Y(q[2]) - 0.3 * Y(q[2]);\n"
                 "}\n");
    const ir_circuit *c = only_circuit(r);
    const double p[4] = {0.1, 0.2, 0.3, 0.4};
    assert_close(ir_eval(c, c->ops[0].angle[0], p, NULL), 1.0, 1e-15);
    assert_int_equal(c->obs[0].n_terms, 6);
    assert_int_equal(c->obs[1].n_terms, 1);
    assert_close(c->terms[c->obs[1].first_term].coef, 30.0, 0);
    assert_int_equal(c->obs[2].n_terms, 2); /* 2 Z0 - X1; the Y terms cancel */
    const ir_pauli_term *t = &c->terms[c->obs[2].first_term];
    assert_close(t[0].coef, 2.0, 0);
    assert_int_equal(t[0].z_mask, 1u);
    assert_close(t[1].coef, -1.0, 0);
    assert_int_equal(t[1].x_mask, 2u);
    sema_free(r);
    /* an empty sum of numbers is 0 */
    r = check_ok("circuit c { qubits q[1]; param w; ry(w + sum(i in 3..1) i) q[0]; "
                 "expval (1 + sum(i in 0..0) i - sum(i in 0..0) i) * Z(q[0]); }");
    c = only_circuit(r);
    assert_close(c->terms[0].coef, 1.0, 0);
    sema_free(r);
    check_fails("circuit c { qubits q[2]; expval -sum(i in 0..2) X(q[i]) * 2 + 1; }",
                "operator `+` cannot combine an observable and an integer in an observable");
    check_fails("circuit c { qubits q[2]; expval sum(i in 2..2) Z(q[i]); }",
                "`expval` of a `sum` over an empty range: there are no terms");
    check_fails("circuit c { qubits q[2]; expval sum(i in 0..2) sum(j in 5..i) Z(q[i]); }",
                "`expval` of a `sum` over an empty range");

    check_fails("circuit c { qubits q[2]; expval prod(i in 0..2) Z(q[i]); }",
                "`prod(i in ...)`: only `sum` takes a range");
    check_fails("circuit c { qubits q[2]; expval sum(i in 0..2) (i + Z(q[i])); }",
                "operator `+` cannot combine an integer and an observable");
    check_fails("circuit c { qubits q[2]; param w[2]; expval sum(i in 0..2) w[i]; }",
                "`expval` needs an observable");
    check_fails("circuit c { qubits q[2]; expval Z(q[0]) - Z(q[0]); }",
                "the observable is zero: all its terms cancel");
}

/* A `let` that hides an outer name and is never read is a warning (not an error), with a
 * note pointing at `sum` in a loop; a used one is not. The loop that builds nothing makes
 * the measured observable zero: an error with the same hint. */
static void test_let_shadow_warning(void **state) {
    (void)state;
    sema_result *r = check_ok("circuit c(int n = 3) {\n"
                              "    qubits q[n];\n    param w[n];\n"
                              "    for i in 0..n { ry(w[i]) q[i]; }\n"
                              "    let H = Z(q[0]);\n"
                              "    for i in 0..n-1 {\n"
                              "        let H = H - Z(q[i]) @ Z(q[i+1]);\n"
                              "    }\n"
                              "    let k = 1;\n"
                              "    for i in 0..2 { let k = k + i; ry(k * w[0]) q[0]; }\n"
                              "    expval H;\n"
                              "}\n");
    assert_int_equal(diag_warning_count(), 1);
    assert_diag_contains(":7:13: warning: this `let` hides the earlier `H` and is never used\n"
                         "    7 |         let H = H - Z(q[i]) @ Z(q[i+1]);\n"
                         "      |             ^\n"
                         "note: a `let` in a loop body makes a new `H` for one iteration");
    sema_free(r);
    check_fails("circuit c(int n = 4) {\n"
                "    qubits q[n];\n"
                "    let H = 0 * I(q[0]);\n"
                "    for i in 0..n-1 { let H = H - Z(q[i]) @ Z(q[i+1]); }\n"
                "    expval H;\n"
                "}\n",
                "error: the observable is zero: all its terms cancel");
    assert_diag_contains("note: this `let` makes a new `H` in each iteration and does not change "
                         "the `H` measured here; add the terms with `sum(i in LO..HI) TERM`");
}

/* 100000 `let`s, all distinct or all of one name: linear time, at most 20 warnings, the
 * first ones in source order. */
static void test_let_warning_scale(void **state) {
    (void)state;
    for (int same = 0; same < 2; same++) {
        size_t cap = 100000 * 32 + 256, k = 0;
        char *src = malloc(cap);
        k += (size_t)snprintf(src + k, cap - k, "circuit c {\n    qubits q[1];\n");
        for (int i = 0; i < 100000; i++)
            k += (size_t)snprintf(src + k, cap - k, "    let %s%d = %d;\n", same ? "a" : "v",
                                  same ? 0 : i, i);
        snprintf(src + k, cap - k, "    expval Z(q[0]);\n}\n");
        clock_t t0 = clock();
        sema_result *r = check_ok(src);
        double secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
        if (secs > 5) fail_msg("100000 lets took %.1f s", secs);
        assert_int_equal(diag_warning_count(), same ? 20 : 0);
        if (same) {
            assert_diag_contains("t.qnn:4:9: warning: this `let` hides the earlier `a0` and is never used");
            assert_diag_contains("qnnc: too many warnings (20), not showing more\n");
        }
        sema_free(r);
        free(src);
    }
}

/* probs: PennyLane's order (the first listed wire is the most significant bit), against
 * the closed form of a product state; gradients against central differences. */
static void test_obs_probs(void **state) {
    (void)state;
    sema_result *r = check_ok("circuit c {\n"
                              "    qubits q[3];\n    param w[3];\n    param v[3];\n"
                              "    for i in 0..3 { ry(w[i]) q[i]; rz(v[i]) q[i]; }\n"
                              "    probs(q[0..2]);\n"
                              "    probs(q[2], q[0]);\n"
                              "    expval probs(q);\n"
                              "}\n");
    const ir_circuit *c = only_circuit(r);
    assert_int_equal(c->n_obs, 4 + 4 + 8);
    double p[6] = {0.3, 1.1, 2.0, 0.5, -0.4, 0.9}, y[16];
    interp_forward(c, p, NULL, y);
    double pr[3][2];
    for (int w = 0; w < 3; w++) {
        pr[w][0] = cos(p[w] / 2) * cos(p[w] / 2);
        pr[w][1] = sin(p[w] / 2) * sin(p[w] / 2);
    }
    for (int k = 0; k < 4; k++) {
        assert_close(y[k], pr[0][k >> 1] * pr[1][k & 1], 1e-14);
        assert_close(y[4 + k], pr[2][k >> 1] * pr[0][k & 1], 1e-14);
    }
    double total = 0;
    for (int k = 0; k < 8; k++) {
        assert_close(y[8 + k], pr[0][k >> 2] * pr[1][(k >> 1) & 1] * pr[2][k & 1], 1e-14);
        total += y[8 + k];
    }
    assert_close(total, 1.0, 1e-14);
    check_interp_grad(c, p);
    sema_free(r);
    /* slices are registers everywhere: a broadcast, a template's register formal */
    r = check_ok("gate pair r[2] { cz r[0], r[1]; }\n"
                 "circuit c { qubits q[4]; h q[1..3]; let s = q[2..4]; pair s; x s[1]; "
                 "expval Z(q[0]); }\n");
    c = only_circuit(r);
    assert_int_equal(c->n_ops, 4);
    assert_op_gate(c, 0, IR_H);
    assert_int_equal(c->ops[0].wires[0], 1);
    assert_int_equal(c->ops[1].wires[0], 2);
    assert_op_gate(c, 2, IR_CZ);
    assert_int_equal(c->ops[2].wires[0], 2);
    assert_int_equal(c->ops[2].wires[1], 3);
    assert_int_equal(c->ops[3].wires[0], 3);
    sema_free(r);
    check_fails("circuit c { qubits q[3]; probs(q[0], q[1..3], q[0]); }", "`probs` lists qubit 0 twice");
    check_fails("circuit c { qubits q[3]; probs(q[2..2]); }", "the qubit range 2..2 is empty");
    check_fails("circuit c { qubits q[3]; probs(q[1..4]); }", "qubit index 4 is out of range (0 to 3)");
    check_fails("circuit c { qubits q[3]; probs(); }", "`probs` takes qubits");
    check_fails("circuit c { qubits q[10]; probs(q); }", "`probs` of more than 8 qubits");
    check_fails("circuit c { qubits q[3]; expval var(Z(q[0])) + Z(q[1]); }", "`var` is a measurement");
}

/* var(O) = <O^2> - <O>^2: closed forms on a product state, O^2 by the Pauli algebra
 * (X Y = i Z cancels against Y X), gradients against central differences. */
static void test_obs_var(void **state) {
    (void)state;
    sema_result *r = check_ok("circuit c {\n"
                              "    qubits q[2];\n    param w[2];\n    param v[2];\n"
                              "    for i in 0..2 { ry(w[i]) q[i]; rz(v[i]) q[i]; }\n"
                              "    var(Z(q[0]));\n"
                              "    var(X(q[0]) + 2 * Z(q[1]));\n"
                              "    expval var(X(q[0]) + Y(q[0]));\n"
                              "    var(0.5 * I(q[0]));\n"
                              "}\n");
    const ir_circuit *c = only_circuit(r);
    assert_int_equal(c->n_obs, 4);
    assert_int_equal(c->obs[2].kind, IR_OBS_VAR);
    assert_int_equal(c->obs[2].n_terms, 1); /* (X + Y)^2 = 2 I */
    double p[4] = {0.7, 1.9, -0.6, 0.35}, y[4];
    interp_forward(c, p, NULL, y);
    zc q0[2], q1[2];
    ry_rz_qubit(p[0], p[2], q0);
    ry_rz_qubit(p[1], p[3], q1);
    double z0 = creal(conj(q0[0]) * q0[0] - conj(q0[1]) * q0[1]);
    double x0 = 2 * creal(conj(q0[0]) * q0[1]);
    double y0 = 2 * cimag(conj(q0[0]) * q0[1]);
    double z1 = creal(conj(q1[0]) * q1[0] - conj(q1[1]) * q1[1]);
    assert_close(y[0], 1 - z0 * z0, 1e-14);
    assert_close(y[1], (1 - x0 * x0) + 4 * (1 - z1 * z1), 1e-14);
    assert_close(y[2], 2 - (x0 + y0) * (x0 + y0), 1e-14);
    assert_close(y[3], 0, 1e-15);
    check_interp_grad(c, p);
    sema_free(r);
    check_fails("circuit c { qubits q[2]; var(Z(q[0]), Z(q[1])); }", "`var` takes one observable");
    check_fails("circuit c { qubits q[2]; var(3); }", "`var` needs an observable");
}

/* hermitian(M): Pauli decomposition of 2x2 and 4x4 constant matrices (entries numbers or
 * [re, im]) against <psi|M|psi> computed directly; the checks of the matrix. */
static void test_obs_hermitian(void **state) {
    (void)state;
    sema_result *r = check_ok("circuit c {\n"
                              "    qubits q[3];\n    param w[3];\n    param v[3];\n"
                              "    for i in 0..3 { ry(w[i]) q[i]; rz(v[i]) q[i]; }\n"
                              "    let M = [[2, [0.5, -1]], [[0.5, 1], -0.25]];\n"
                              "    expval hermitian(M) q[1];\n"
                              "    expval hermitian([[1, 0, 0, [0, 2]], [0, 3, 0.5, 0], [0, 0.5, -1, 0],"
                              " [[0, -2], 0, 0, 0.75]]) q[2], q[0];\n"
                              "    expval 2 * hermitian(M, q[0]) + Z(q[2]);\n"
                              "    var(hermitian(M, q[2]));\n"
                              "}\n");
    const ir_circuit *c = only_circuit(r);
    double p[6] = {0.3, 1.2, 2.2, -0.5, 0.8, 1.7}, y[4];
    interp_forward(c, p, NULL, y);
    zc q[3][2];
    for (int w = 0; w < 3; w++) ry_rz_qubit(p[w], p[3 + w], q[w]);
    const zc M[4] = {2, 0.5 - _Complex_I, 0.5 + _Complex_I, -0.25};
    const zc M4[16] = {1, 0, 0, 2 * _Complex_I, 0, 3, 0.5, 0, 0, 0.5, -1, 0, -2 * _Complex_I, 0, 0, 0.75};
    zc e1 = 0, e4 = 0, e0 = 0, e2 = 0, e2sq = 0;
    for (int a = 0; a < 2; a++)
        for (int b = 0; b < 2; b++) {
            e1 += conj(q[1][a]) * M[2 * a + b] * q[1][b];
            e0 += conj(q[0][a]) * M[2 * a + b] * q[0][b];
            e2 += conj(q[2][a]) * M[2 * a + b] * q[2][b];
            zc m2 = 0;
            for (int k = 0; k < 2; k++) m2 += M[2 * a + k] * M[2 * k + b];
            e2sq += conj(q[2][a]) * m2 * q[2][b];
        }
    zc phi[4]; /* q[2] (x) q[0]: the first listed qubit is the more significant */
    for (int i = 0; i < 4; i++) phi[i] = q[2][i >> 1] * q[0][i & 1];
    for (int a = 0; a < 4; a++)
        for (int b = 0; b < 4; b++) e4 += conj(phi[a]) * M4[4 * a + b] * phi[b];
    double z2 = creal(conj(q[2][0]) * q[2][0] - conj(q[2][1]) * q[2][1]);
    assert_close(y[0], creal(e1), 1e-14);
    assert_close(y[1], creal(e4), 1e-14);
    assert_close(y[2], 2 * creal(e0) + z2, 1e-14);
    assert_close(y[3], creal(e2sq) - creal(e2) * creal(e2), 1e-13);
    check_interp_grad(c, p);
    sema_free(r);
    check_fails("circuit c { qubits q[2]; expval hermitian([[1, 2], [3, 4]]) q[0]; }",
                "the matrix of `hermitian` is not Hermitian: entry [0][1] is 2 but entry [1][0] is 3");
    check_fails("circuit c { qubits q[2]; expval hermitian([[[1, 1], 0], [0, 4]]) q[0]; }",
                "the diagonal entry [0][0] is [1, 1], which is not real");
    check_fails("circuit c { qubits q[2]; expval hermitian([[1, 0], [0, 1]]) q[0], q[1]; }",
                "`hermitian` with a 2x2 matrix acts on 1 qubit, got 2");
    check_fails("circuit c { qubits q[2]; expval hermitian([[1, 0, 0], [0, 1, 0], [0, 0, 1]]) q[0]; }",
                "`hermitian` takes a 2x2 or a 4x4 matrix, got 3 rows");
    check_fails("circuit c { qubits q[2]; expval hermitian([[1, 0], [0]]) q[0]; }",
                "row 1 of the matrix of `hermitian` must be a list of 2 entries");
    check_fails("circuit c { qubits q[2]; param w; expval hermitian([[w, 0], [0, 1]]) q[0]; }",
                "matrix entry [0][0] must be a compile-time number or a pair [re, im], not a value "
                "that depends on parameters or inputs");
    check_fails("circuit c { qubits q[2]; expval Z(q[0]) q[1]; }",
                "`Z(...)` does not take qubits after it; that form is for `hermitian(M) q[0]`");
    check_fails("circuit c { qubits q[2]; hermitian([[1, 0], [0, 1]]) q[0]; }",
                "`hermitian` is an observable: measure it with `expval hermitian(M) q[0];`");
    check_fails("circuit c { qubits q[2]; expval hermitian([[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], "
                "[0, 0, 0, 1]]) q[1], q[1]; }",
                "`hermitian` needs two different qubits, got qubit 1 twice");
    check_fails("circuit c { qubits q[2]; expval hermitian([[0, 0], [0, 0]]) q[0]; }",
                "the observable is zero");
}

/* D18: an error on a 5 MB line prints a window around the caret, not the line; the gutter
 * of 6-digit line numbers is as wide on the caret line as on the source line. */
static void test_diag_long_lines(void **state) {
    (void)state;
    size_t n = 5u << 20;
    char *text = malloc(n + 2);
    memset(text, 'a', n);
    memcpy(text + 3000000, "BAD", 3);
    text[n] = '\n';
    text[n + 1] = '\0';
    int f = diag_add_source("long.qnn", text);
    diag_error((src_loc){f, 1, 3000001, 3}, "bad");
    const char *out = diag_text();
    assert_true(strlen(out) < 1000);
    const char *src = strstr(out, "    1 | \xe2\x80\xa6");
    assert_non_null(src);
    const char *bad = strstr(src, "BAD");
    assert_non_null(bad);
    assert_non_null(strstr(src, "\xe2\x80\xa6\n"));
    const char *caret_line = strchr(src, '\n') + 1;
    const char *caret = strchr(caret_line, '^');
    assert_non_null(caret);
    /* the marker is one column wide but 3 bytes: the caret is under B, column-wise */
    assert_int_equal((long)(caret - caret_line), (long)(bad - src) - 2);
    assert_int_equal(strncmp(caret, "^~~\n", 4), 0);
    free(text);
    /* line 123456: a 6-digit gutter on both lines */
    size_t lines = 123456;
    char *many = malloc(lines * 2 + 8);
    for (size_t i = 0; i < lines; i++) {
        many[2 * i] = 'x';
        many[2 * i + 1] = '\n';
    }
    many[2 * lines] = '\0';
    int g = diag_add_source("many.qnn", many);
    diag_error((src_loc){g, 123456, 1, 1}, "late");
    assert_diag_contains("many.qnn:123456:1: error: late\n"
                         "123456 | x\n"
                         "       | ^\n");
    free(many);
    /* a long line with the caret near its start: cut on the right only */
    char *start = malloc(1002);
    memset(start, 'b', 1000);
    start[1000] = '\n';
    start[1001] = '\0';
    int h = diag_add_source("start.qnn", start);
    diag_error((src_loc){h, 1, 5, 2}, "early");
    assert_diag_contains("start.qnn:1:5: error: early\n    1 | bbbb");
    out = diag_text();
    const char *e = strstr(out, "start.qnn:1:5");
    assert_non_null(strstr(e, "b\xe2\x80\xa6\n      |     ^~\n"));
    free(start);
}

/* ============================ gates and modifiers (§4.6.5, §4.6.4) ========================== */
/* Every composite gate, unitary(M), adj and ctrl, lowered from source and run through the
 * reference interpreter column by column, equals (up to a global phase, which no measurement
 * sees) a matrix written here from PennyLane's documented definition and embedded on the
 * wires independently of the compiler. */

typedef double complex zc;
enum { GD = 16 }; /* 4 qubits */

static void mat_id(int d, zc *m) {
    for (int i = 0; i < d * d; i++) m[i] = (i / d == i % d);
}

static void mat_mul(int d, const zc *a, const zc *b, zc *out) { /* out = a b */
    zc t[GD * GD];
    for (int r = 0; r < d; r++)
        for (int k = 0; k < d; k++) {
            zc s = 0;
            for (int j = 0; j < d; j++) s += a[r * d + j] * b[j * d + k];
            t[r * d + k] = s;
        }
    memcpy(out, t, sizeof(zc) * (size_t)(d * d));
}

static void mat_adj(int d, zc *m) {
    zc t[GD * GD];
    for (int r = 0; r < d; r++)
        for (int k = 0; k < d; k++) t[k * d + r] = conj(m[r * d + k]);
    memcpy(m, t, sizeof(zc) * (size_t)(d * d));
}

/* diag-block(I, ..., M): M (on k qubits) controlled by nc more significant qubits */
static void mat_ctrl(int k, const zc *m, int nc, zc *out) {
    int d = 1 << (k + nc), dm = 1 << k, off = d - dm;
    mat_id(d, out);
    for (int r = 0; r < dm; r++)
        for (int c = 0; c < dm; c++) out[(off + r) * d + off + c] = m[r * dm + c];
}

/* M on `wires` (the first one the most significant bit of M's index) inside n qubits. */
static void embed(int n, int k, const zc *m, const int *wires, zc *out) {
    int d = 1 << n, dm = 1 << k;
    for (int i = 0; i < d; i++)
        for (int j = 0; j < d; j++) {
            int ri = 0, rj = 0, same = 1;
            for (int w = 0; w < n; w++) {
                int pos = -1;
                for (int t = 0; t < k; t++) if (wires[t] == w) pos = t;
                int bi = i >> (n - 1 - w) & 1, bj = j >> (n - 1 - w) & 1;
                if (pos < 0) same &= bi == bj;
                else { ri |= bi << (k - 1 - pos); rj |= bj << (k - 1 - pos); }
            }
            out[i * d + j] = same ? m[ri * dm + rj] : 0;
        }
}

static void unitary_of(const ir_circuit *c, zc *u) {
    int d = 1 << c->n_qubits;
    zc st[GD];
    for (int j = 0; j < d; j++) {
        for (int i = 0; i < d; i++) st[i] = i == j;
        for (int o = 0; o < c->n_ops; o++) interp_apply_op(c, &c->ops[o], NULL, NULL, st);
        for (int i = 0; i < d; i++) u[i * d + j] = st[i];
    }
}

/* The circuit of `body` on 4 qubits equals ref up to one global phase, to 1e-12. */
static void check_gate_matrix(const char *body, const zc *ref) {
    char src[4096];
    snprintf(src, sizeof src, "circuit g() {\n    qubits q[4];\n%s\n    expval Z(q[0]);\n}\n", body);
    sema_result *r = check_ok(src);
    assert_int_equal(r->n_circuits, 1);
    zc u[GD * GD];
    unitary_of(r->circuits[0], u);
    int big = 0;
    for (int i = 1; i < GD * GD; i++) if (cabs(ref[i]) > cabs(ref[big])) big = i;
    zc ph = u[big] / ref[big];
    if (fabs(cabs(ph) - 1) > 1e-12) fail_msg("%s: |phase| = %.17g", body, cabs(ph));
    for (int i = 0; i < GD * GD; i++)
        if (cabs(u[i] - ph * ref[i]) > 1e-12)
            fail_msg("%s: entry [%d][%d] is %.15g%+.15gi, want %.15g%+.15gi", body, i / GD, i % GD,
                     creal(u[i]), cimag(u[i]), creal(ph * ref[i]), cimag(ph * ref[i]));
    sema_free(r);
}

/* ---- PennyLane's definitions (pennylane.ops.qubit), written out ---- */
static void m_rx(double t, zc *m) { double c = cos(t / 2), s = sin(t / 2); zc v[4] = {c, -I * s, -I * s, c}; memcpy(m, v, sizeof v); }
static void m_ry(double t, zc *m) { double c = cos(t / 2), s = sin(t / 2); zc v[4] = {c, -s, s, c}; memcpy(m, v, sizeof v); }
static void m_rz(double t, zc *m) { zc v[4] = {cexp(-I * t / 2), 0, 0, cexp(I * t / 2)}; memcpy(m, v, sizeof v); }
static void m_rot(double p, double t, double o, zc *m) { /* RZ(o) RY(t) RZ(p) */
    zc a[4], b[4];
    m_rz(p, m); m_ry(t, a); mat_mul(2, a, m, m); m_rz(o, b); mat_mul(2, b, m, m);
}
static void m_u3(double t, double p, double l, zc *m) {
    double c = cos(t / 2), s = sin(t / 2);
    zc v[4] = {c, -cexp(I * l) * s, cexp(I * p) * s, cexp(I * (p + l)) * c};
    memcpy(m, v, sizeof v);
}
static void m_isingxx(double t, zc *m) {
    double c = cos(t / 2), s = sin(t / 2);
    zc v[16] = {c, 0, 0, -I * s, 0, c, -I * s, 0, 0, -I * s, c, 0, -I * s, 0, 0, c};
    memcpy(m, v, sizeof v);
}
static void m_isingyy(double t, zc *m) {
    double c = cos(t / 2), s = sin(t / 2);
    zc v[16] = {c, 0, 0, I * s, 0, c, -I * s, 0, 0, -I * s, c, 0, I * s, 0, 0, c};
    memcpy(m, v, sizeof v);
}
static void m_multirz(int k, double t, zc *m) { /* exp(-i t/2 Z..Z) */
    int d = 1 << k;
    for (int i = 0; i < d * d; i++) m[i] = 0;
    for (int i = 0; i < d; i++) m[i * d + i] = cexp(-I * t / 2 * (__builtin_popcount((unsigned)i) % 2 ? -1 : 1));
}
static void m_perm3(int a, int b, zc *m) { /* the 3-qubit permutation exchanging |a> and |b> */
    mat_id(8, m);
    m[a * 8 + a] = m[b * 8 + b] = 0;
    m[a * 8 + b] = m[b * 8 + a] = 1;
}
static const double R2 = 0.70710678118654752440;

static void test_gate_matrices(void **state) {
    (void)state;
    zc m[GD * GD], r[GD * GD], t[GD * GD];
    /* rxx ryy rzz multirz, on wires out of order */
    m_isingxx(0.731, m); embed(4, 2, m, (int[]){2, 0}, r);
    check_gate_matrix("rxx(0.731) q[2], q[0];", r);
    m_isingyy(-1.3, m); embed(4, 2, m, (int[]){1, 3}, r);
    check_gate_matrix("ryy(-1.3) q[1], q[3];", r);
    m_multirz(2, 2.1, m); embed(4, 2, m, (int[]){3, 1}, r);
    check_gate_matrix("rzz(2.1) q[3], q[1];", r);
    m_multirz(1, 0.5, m); embed(4, 1, m, (int[]){1}, r);
    check_gate_matrix("multirz(0.5) q[1];", r);
    m_multirz(3, 0.9, m); embed(4, 3, m, (int[]){0, 2, 3}, r);
    check_gate_matrix("multirz(0.9) q[0], q[2], q[3];", r);
    m_multirz(4, -0.4, r);
    check_gate_matrix("multirz(-0.4) q;", r);
    /* toffoli ccz cswap: permutations / a sign of the 3-qubit basis */
    m_perm3(6, 7, m); embed(4, 3, m, (int[]){3, 0, 1}, r);
    check_gate_matrix("toffoli q[3], q[0], q[1];", r);
    check_gate_matrix("ccx q[3], q[0], q[1];", r);
    mat_id(8, m); m[63] = -1; embed(4, 3, m, (int[]){1, 2, 0}, r);
    check_gate_matrix("ccz q[1], q[2], q[0];", r);
    m_perm3(5, 6, m); embed(4, 3, m, (int[]){2, 3, 0}, r);
    check_gate_matrix("cswap q[2], q[3], q[0];", r);
    zc isw[16] = {1, 0, 0, 0, 0, 0, I, 0, 0, I, 0, 0, 0, 0, 0, 1};
    embed(4, 2, isw, (int[]){1, 0}, r);
    check_gate_matrix("iswap q[1], q[0];", r);
    zc ecr[16] = {0, 0, R2, I * R2, 0, 0, I * R2, R2, R2, -I * R2, 0, 0, -I * R2, R2, 0, 0};
    embed(4, 2, ecr, (int[]){3, 1}, r);
    check_gate_matrix("ecr q[3], q[1];", r);
    /* adj */
    m_rot(0.3, -1.1, 2.0, m); mat_adj(2, m); embed(4, 1, m, (int[]){1}, r);
    check_gate_matrix("adj(rot(0.3, -1.1, 2.0)) q[1];", r);
    m_u3(0.4, 1.2, -0.7, m); mat_adj(2, m); embed(4, 1, m, (int[]){2}, r);
    check_gate_matrix("adj(u3(0.4, 1.2, -0.7)) q[2];", r);
    zc sxm[4] = {0.5 * (1 + I), 0.5 * (1 - I), 0.5 * (1 - I), 0.5 * (1 + I)};
    memcpy(m, sxm, sizeof sxm); mat_adj(2, m); embed(4, 1, m, (int[]){0}, r);
    check_gate_matrix("adj(sx) q[0];", r);
    memcpy(m, ecr, sizeof ecr); mat_adj(4, m); embed(4, 2, m, (int[]){0, 2}, r);
    check_gate_matrix("adj(ecr) q[0], q[2];", r);
    m_isingxx(0.8, m); embed(4, 2, m, (int[]){0, 1}, t); mat_adj(GD, t); /* adj(adj(G)) = G */
    mat_adj(GD, t);
    check_gate_matrix("adj(adj(rxx(0.8))) q[0], q[1];", t);
    /* ctrl, one and more controls, controls out of order and given as a slice */
    m_rx(0.7, m); mat_ctrl(1, m, 1, t); embed(4, 2, t, (int[]){0, 2}, r);
    check_gate_matrix("ctrl(rx(0.7)) q[0], q[2];", r);
    zc h[4] = {R2, R2, R2, -R2};
    mat_ctrl(1, h, 1, t); embed(4, 2, t, (int[]){3, 1}, r);
    check_gate_matrix("ctrl(h) q[3], q[1];", r);
    m_u3(0.4, 1.2, -0.7, m); mat_ctrl(1, m, 1, t); embed(4, 2, t, (int[]){2, 3}, r);
    check_gate_matrix("ctrl(u3(0.4, 1.2, -0.7)) q[2], q[3];", r);
    memcpy(m, sxm, sizeof sxm); mat_ctrl(1, m, 2, t); embed(4, 3, t, (int[]){1, 3, 0}, r);
    check_gate_matrix("ctrl(sx) q[1], q[3], q[0];", r);
    m_ry(0.4, m); mat_ctrl(1, m, 2, t); embed(4, 3, t, (int[]){0, 1, 2}, r);
    check_gate_matrix("ctrl(ctrl(ry(0.4))) q[0], q[1], q[2];", r);
    zc xm[4] = {0, 1, 1, 0}, ym[4] = {0, -I, I, 0};
    mat_ctrl(1, xm, 3, t); embed(4, 4, t, (int[]){2, 0, 3, 1}, r);
    check_gate_matrix("ctrl(x) q[2], q[0], q[3], q[1];", r);
    mat_ctrl(1, ym, 3, t); embed(4, 4, t, (int[]){0, 1, 2, 3}, r);
    check_gate_matrix("ctrl(y) q[0..3], q[3];", r);
    m_rot(0.3, -1.1, 2.0, m); mat_ctrl(1, m, 3, t); embed(4, 4, t, (int[]){3, 2, 1, 0}, r);
    check_gate_matrix("ctrl(rot(0.3, -1.1, 2.0)) q[3], q[2], q[1], q[0];", r);
    zc sw[16] = {1, 0, 0, 0, 0, 0, 1, 0, 0, 1, 0, 0, 0, 0, 0, 1};
    mat_ctrl(2, sw, 1, t); embed(4, 3, t, (int[]){1, 0, 3}, r);
    check_gate_matrix("ctrl(swap) q[1], q[0], q[3];", r);
    m_multirz(2, 0.5, m); mat_ctrl(2, m, 1, t); embed(4, 3, t, (int[]){3, 0, 1}, r);
    check_gate_matrix("ctrl(rzz(0.5)) q[3], q[0], q[1];", r);
    mat_ctrl(2, ecr, 2, t); embed(4, 4, t, (int[]){0, 3, 1, 2}, r);
    check_gate_matrix("ctrl(ecr) q[0], q[3], q[1], q[2];", r);
    memcpy(m, ecr, sizeof ecr); mat_adj(4, m); mat_ctrl(2, m, 1, t); embed(4, 3, t, (int[]){2, 0, 1}, r);
    check_gate_matrix("adj(ctrl(ecr)) q[2], q[0], q[1];", r);
    check_gate_matrix("ctrl(adj(ecr)) q[2], q[0], q[1];", r);
    m_perm3(6, 7, m); mat_ctrl(3, m, 1, t); embed(4, 4, t, (int[]){0, 1, 2, 3}, r);
    check_gate_matrix("ctrl(toffoli) q[0], q[1], q[2], q[3];", r);
    /* a template: ry(a) x; cnot x, y; rz(a) y */
    zc cn[16] = {1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1, 0, 0, 1, 0}, a2[16];
    m_ry(0.5, m); embed(2, 1, m, (int[]){0}, a2);
    mat_mul(4, cn, a2, t);
    m_rz(0.5, m); embed(2, 1, m, (int[]){1}, a2);
    mat_mul(4, a2, t, t);
    zc tg[16];
    memcpy(tg, t, sizeof tg);
    mat_ctrl(2, tg, 1, t);
    {
        char src[2048];
        snprintf(src, sizeof src, "gate g(a) x, y { ry(a) x; cnot x, y; rz(a) y; }\n"
                                  "circuit c() {\n    qubits q[4];\n    ctrl(g(0.5)) q[2], q[3], q[0];\n"
                                  "    adj(g(0.5)) q[1], q[3];\n    expval Z(q[0]);\n}\n");
        sema_result *res = check_ok(src);
        zc u[GD * GD], r2[GD * GD], r1[GD * GD];
        unitary_of(res->circuits[0], u);
        embed(4, 3, t, (int[]){2, 3, 0}, r1);
        memcpy(m, tg, sizeof tg); mat_adj(4, m); embed(4, 2, m, (int[]){1, 3}, r2);
        mat_mul(GD, r2, r1, r1);
        zc ph = u[0] / r1[0];
        for (int i = 0; i < GD * GD; i++) assert_true(cabs(u[i] - ph * r1[i]) < 1e-12);
        assert_true(fabs(cabs(ph) - 1) < 1e-12);
        sema_free(res);
    }
    /* unitary(M): a generic 1-qubit and 2-qubit unitary (Gram-Schmidt on fixed numbers) */
    zc g4[16];
    for (int i = 0; i < 16; i++) g4[i] = sin(1.0 + 3.7 * i) + I * cos(2.0 + 1.3 * i * i);
    for (int c = 0; c < 4; c++) {
        for (int p = 0; p < c; p++) {
            zc dot = 0;
            for (int i = 0; i < 4; i++) dot += conj(g4[i * 4 + p]) * g4[i * 4 + c];
            for (int i = 0; i < 4; i++) g4[i * 4 + c] -= dot * g4[i * 4 + p];
        }
        double nrm = 0;
        for (int i = 0; i < 4; i++) nrm += creal(g4[i * 4 + c] * conj(g4[i * 4 + c]));
        for (int i = 0; i < 4; i++) g4[i * 4 + c] /= sqrt(nrm);
    }
    char text[2048];
    for (int n = 1; n <= 2; n++) {
        int d = 1 << n, k = 0;
        zc u1[16];
        if (n == 1) { m_u3(0.9, 0.3, -1.4, u1); for (int i = 0; i < 4; i++) u1[i] *= cexp(I * 0.77); }
        else memcpy(u1, g4, sizeof g4);
        k += snprintf(text + k, sizeof text - (size_t)k, "unitary([");
        for (int i = 0; i < d; i++) {
            k += snprintf(text + k, sizeof text - (size_t)k, "%s[", i ? ", " : "");
            for (int j = 0; j < d; j++)
                k += snprintf(text + k, sizeof text - (size_t)k, "%s[%.17g, %.17g]", j ? ", " : "",
                              creal(u1[i * d + j]), cimag(u1[i * d + j]));
            k += snprintf(text + k, sizeof text - (size_t)k, "]");
        }
        k += snprintf(text + k, sizeof text - (size_t)k, "])");
        char stmt[2200];
        snprintf(stmt, sizeof stmt, "%s %s;", text, n == 1 ? "q[2]" : "q[3], q[1]");
        embed(4, n, u1, n == 1 ? (int[]){2} : (int[]){3, 1}, r);
        check_gate_matrix(stmt, r);
        snprintf(stmt, sizeof stmt, "ctrl(%s) q[0], %s;", text, n == 1 ? "q[2]" : "q[3], q[1]");
        mat_ctrl(n, u1, 1, t);
        embed(4, n + 1, t, n == 1 ? (int[]){0, 2} : (int[]){0, 3, 1}, r);
        check_gate_matrix(stmt, r);
        snprintf(stmt, sizeof stmt, "adj(%s) %s;", text, n == 1 ? "q[2]" : "q[3], q[1]");
        memcpy(m, u1, sizeof(zc) * (size_t)(d * d)); mat_adj(d, m);
        embed(4, n, m, n == 1 ? (int[]){2} : (int[]){3, 1}, r);
        check_gate_matrix(stmt, r);
    }
    /* fixed gates with the unitary entries of PennyLane's matrices */
    embed(4, 2, isw, (int[]){0, 3}, r);
    check_gate_matrix("unitary([[1, 0, 0, 0], [0, 0, [0, 1], 0], [0, [0, 1], 0, 0], [0, 0, 0, 1]]) q[0], q[3];", r);
}

/* Forgets everything reported so far, so that the next check_fails sees only its own. */
static void fresh_diag(void) {
    diag_reset();
    fclose(diag_stream);
    diag_stream = tmpfile();
    assert_non_null(diag_stream);
    diag_set_stream(diag_stream);
}

/* div, len and lists as tensors (language.md §4.8.2, §4.8.4, §4.10.2). */
static double op_angle_value(const ir_circuit *c, int i, const double *p, const double *x) {
    return ir_eval(c, c->ops[i].angle[0], p, x);
}

static void test_int_functions_and_lists(void **state) {
    (void)state;
    sema_result *r = check_ok(
        "gate layer(w[n]) q[n] { for i in 0..n { ry(w[i]) q[i]; } }\n"
        "gate grid(w[a][b]) q[a] { for i in 0..a { rx(w[i][b - 1]) q[i]; } }\n"
        "circuit c(int n = 5) {\n"
        "    qubits q[n];\n    input x[2];\n    param p[2];\n"
        "    layer([x[0], p[0] * 2, 0.5, 1, len(q)]) q;\n"
        "    grid([[1, 2], [x[1], p[1]], [0, 0], [1, 1], [2, 2]]) q;\n"
        "    for i in 0..div(n - 1, 2) { cnot q[2 * i], q[2 * i + 1]; }\n"
        "    rz(div(-7, 2)) q[0];\n    rz(div(7, -2)) q[0];\n    rz(div(-7, -2)) q[0];\n"
        "    rz(div(6, 3) * 10 + -7 % 2) q[0];\n"
        "    rz(len(p) + len([1, 2, 3]) + len(x) + len(q[1])) q[1];\n"
        "    expval Z(q[0]);\n}\n");
    const ir_circuit *c = r->circuits[0];
    double p[2] = {0.25, -1.5}, x[2] = {0.75, 3.0};
    assert_int_equal(c->n_ops, 5 + 5 + 2 + 5);
    const double want[10] = {0.75, 0.5, 0.5, 1, 5, 2, -1.5, 0, 1, 2};
    for (int i = 0; i < 10; i++) {
        assert_op_gate(c, i, i < 5 ? IR_RY : IR_RX);
        assert_int_equal(c->ops[i].wires[0], i % 5);
        assert_close(op_angle_value(c, i, p, x), want[i], 0);
    }
    assert_op(c, 10, IR_CNOT, 0, 1);
    assert_op(c, 11, IR_CNOT, 2, 3);
    /* Euclidean: a == div(a, b) * b + a % b with a % b in [0, |b|) */
    assert_close(op_angle_value(c, 12, p, x), -4, 0);
    assert_close(op_angle_value(c, 13, p, x), -3, 0);
    assert_close(op_angle_value(c, 14, p, x), 4, 0);
    assert_close(op_angle_value(c, 15, p, x), 21, 0);
    assert_close(op_angle_value(c, 16, p, x), 2 + 3 + 2 + 1, 0);
    sema_free(r);
    fresh_diag();
    check_fails("circuit c(int n = 4) {\n    qubits q[n];\n    for i in 0..(n - 1) / 2 { h q[i]; }\n"
                "    expval Z(q[0]);\n}\n", "integer division is `div(a, b)`");
    fresh_diag();
    check_fails("circuit c {\n    qubits q[1];\n    rz(div(1, 0)) q[0];\n    expval Z(q[0]);\n}\n",
                "division by zero");
    fresh_diag();
    check_fails("circuit c {\n    qubits q[1];\n    rz(div(1)) q[0];\n    expval Z(q[0]);\n}\n",
                "`div` takes two integers");
    fresh_diag();
    check_fails("circuit c {\n    qubits q[1];\n    input x[1];\n    rz(div(x[0], 2)) q[0];\n"
                "    expval Z(q[0]);\n}\n", "the dividend of `div` must be a compile-time integer, "
                "not a value that depends on parameters or inputs");
    fresh_diag();
    check_fails("circuit c {\n    qubits q[1];\n    param w;\n    rz(len(w)) q[0];\n"
                "    expval Z(q[0]);\n}\n", "`len` needs a tensor of rank 1 or more");
    fresh_diag();
    check_fails("gate g(w[n]) q[n] { for i in 0..n { ry(w[i]) q[i]; } }\n"
                "circuit c {\n    qubits q[2];\n    g([0.1, 0.2, 0.3]) q;\n    expval Z(q[0]);\n}\n",
                "`g` expects 3 qubits for `q`, got 2");
    fresh_diag();
    check_fails("gate g(w[n]) q[n] { for i in 0..n { ry(w[i]) q[i]; } }\n"
                "circuit c {\n    qubits q[2];\n    g([]) q;\n    expval Z(q[0]);\n}\n",
                "an empty list cannot be used as a tensor");
    fresh_diag();
    check_fails("gate g(w[2]) q[n] { for i in 0..n { ry(w[i]) q[i]; } }\n"
                "circuit c {\n    qubits q[2];\n    g([1, 2, 3]) q;\n    expval Z(q[0]);\n}\n",
                "argument `w` of `g` has 3 entries in dimension 0, which must be 2");
}

/* Misused gates and modifiers are refused with a reason (language.md §4.6.3-§4.6.5). */
static void test_modifier_errors(void **state) {
    (void)state;
    const char *head = "gate two(a) u, v { ry(a) u; cz u, v; }\n"
                       "gate meas u { h u; expval Z(u); }\ncircuit c {\n    qubits q[8];\n    param w[2];\n";
    static const struct { const char *stmt, *msg; } cases[] = {
        {"ctrl(rx(0.1)) q[0];", "`ctrl(rx)` needs its control qubits first, then the 1 qubit of `rx`"},
        {"ctrl(two(0.1)) q[0], q[1];", "needs its control qubits first, then the 2 qubits of `two`"},
        {"ctrl(two(0.1)) q[1], q[0], q[1];", "qubit 1 is both a control and a target of `ctrl(two)`"},
        {"ctrl(h) q[0], q;", "qubit 0 is both a control and a target of `ctrl(h)`"},
        {"ctrl(x) q[0..7], q[7];", "`ctrl` takes at most 6 control qubits"},
        {"ctrl(ctrl(ctrl(ctrl(ctrl(ctrl(ctrl(x))))))) q[0], q[1], q[2], q[3], q[4], q[5], q[6], q[7];",
         "more than 6 controls on one gate"},
        {"ctrl(multirz(0.1)) q[0], q[1], q[2];", NULL},
        {"ctrl(ctrl(multirz(0.1))) q[0], q[1], q[2];", "only the outermost `ctrl` can tell its controls apart"},
        {"adj(meas) q[0];", "a measurement inside `adj(...)` or `ctrl(...)`"},
        {"adj(w) q[0];", "`w` is a tensor, not a gate"},
        {"adj(1 + 2) q[0];", "expected a gate"},
        {"adj(rx(0.1), ry(0.2)) q[0];", "`adj` takes one gate"},
        {"adj(foo) q[0];", "unknown gate `foo`"},
        {"ctrl(rzz) q[0], q[1], q[2];", "`rzz` takes 1 angle, got 0"},
        {"ctrl(unitary([[1, 0], [0, 1]], 2)) q[0], q[1];", "`unitary` takes one matrix"},
        {"unitary([[1, 0], [0, [0, 1]]]) q[0], q[0];", "acts on 1 qubit, got 2"},
        {"unitary([[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]]) q[0], q[0];",
         "`unitary` needs different qubits, got qubit 0 twice"},
        {"unitary([[1, 0], [0, 1], [0, 0]]) q[0];", "takes a 2x2 or a 4x4 matrix, got 3 rows"},
        {"unitary(w) q[0];", "`unitary` needs a matrix written as a list of rows"},
        {"unitary([[0, 0], [0, 0]]) q[0];", "is not unitary"},
        {"iswap q[0];", "`iswap` acts on 2 qubits, got 1"},
        {"rxx(0.1) q, q[1];", "`rxx` needs single qubits, got 8"},
        {"ccz q[0], q[1], q[1];", "`ccz` needs different qubits, got qubit 1 twice"},
        {"ecr(0.5) q[0], q[1];", "`ecr` takes 0 angles, got 1"},
        {"toffoli(q[0], q[1], q[2]);", "write `toffoli q[0], q[1], q[2];`"},
        {"rzz(0.1, q[0], q[1]);", "write `rzz(angle) q[0], q[1];`"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char src[1024];
        snprintf(src, sizeof src, "%s    %s\n    expval Z(q[0]);\n}\n", head, cases[i].stmt);
        fresh_diag();
        if (cases[i].msg) check_fails(src, cases[i].msg);
        else sema_free(check_ok(src));
    }
    /* nesting is bounded before the recursion could exhaust the stack */
    char deep[8192] = "circuit c {\n    qubits q[2];\n    ";
    for (int i = 0; i < 1000; i++) strcat(deep, "adj(");
    strcat(deep, "x");
    for (int i = 0; i < 1000; i++) strcat(deep, ")");
    strcat(deep, " q[0];\n    expval Z(q[0]);\n}\n");
    fresh_diag();
    check_fails(deep, "modifiers nest too deeply (more than 64 levels)");
}

/* Misuse of the embeddings whose diagnostics point into the standard library (golden files
 * would hold its path) or that need no file of their own; atan2's forms. */
static void test_embedding_errors(void **state) {
    (void)state;
    check_fails("import \"templates.qnn\";\ncircuit c { qubits q[3]; input x[3]; param w[2][5];\n"
                "qaoa_embedding(x, w) q; expval Z(q[0]); }\n",
                "argument `w` of `qaoa_embedding_layers` has shape [2][5], but dimension 1 must be 6");
    check_fails("import \"templates.qnn\";\ncircuit c { qubits q[2]; input x[2]; param w[2][4];\n"
                "qaoa_embedding(x, w) q; expval Z(q[0]); }\n",
                "dimension 1 must be 3");
    check_fails("import \"templates.qnn\";\ncircuit c { qubits q[2]; input x[3]; param w[1][3];\n"
                "qaoa_embedding(x, w) q; expval Z(q[0]); }\n",
                "qubit index 2 is out of range");
    check_fails("circuit c { qubits q[2]; input x[4];\nadj(amplitude_embedding(x)) q; expval Z(q[0]); }\n",
                "cannot be used inside `adj(...)` or `ctrl(...)`");
    check_fails("circuit c { qubits q[2]; input x[4];\namplitude_embedding(x) q[0], q[1]; expval Z(q[0]); }\n",
                "`amplitude_embedding` acts on one register");
    check_fails("circuit c { qubits q[1];\namplitude_embedding([0, 0]) q; expval Z(q[0]); }\n",
                "are all zero");
    check_fails("circuit c { qubits q[2]; param w[2][2];\nrandom_layers(w, ratio_imprim = 1) q; expval Z(q[0]); }\n",
                "`ratio_imprim` of `random_layers` must be in [0, 1), got 1");
    check_fails("circuit c { qubits q[2]; input x[3];\nbasis_embedding(x) q; expval Z(q[0]); }\n",
                "`basis_embedding` on 2 qubits takes 2 features (one bit per qubit), got 3");
    check_fails("circuit c { qubits q[1]; input x[2];\nry(atan2(x[0])) q[0]; expval Z(q[0]); }\n",
                "`atan2` takes two arguments, `atan2(y, x)`");
}

/* atan2(y, x) of angles is a run-time node (C's argument order); of numbers, folded. */
static void test_atan2(void **state) {
    (void)state;
    sema_result *r = check_ok("circuit c { qubits q[1]; input x[2];\n"
                              "ry(atan2(x[0], x[1]) + atan2(1, -1)) q[0]; expval Z(q[0]); }\n");
    const ir_circuit *c = r->circuits[0];
    double x[2] = {-0.5, -2.0};
    assert_close(ir_eval(c, c->ops[0].angle[0], NULL, x), atan2(-0.5, -2.0) + 0.75 * 3.14159265358979323846, 1e-15);
    sema_free(r);
}

int main(void) {
    const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
        T(test_parse_items_and_locations),
        T(test_gate_matrices),
        T(test_int_functions_and_lists),
        T(test_modifier_errors),
        T(test_parse_statement_forms),
        T(test_expression_precedence),
        T(test_comparison_not_associative),
        T(test_literals),
        T(test_integer_too_large),
        T(test_lexical_errors),
        T(test_unterminated_string_and_comment),
        T(test_comments_keep_lines),
        T(test_nul_bytes_and_crlf),
        T(test_keyword_is_not_a_name),
        T(test_recovery_reports_several),
        T(test_error_cap),
        T(test_parse_expression_error),
        T(test_diag_format),
        T(test_diag_same_error_once),
        T(test_diag_no_location_and_internal),
        T(test_diag_suggest),
        T(test_ast_span),
        T(test_qiren_image_657),
        T(test_qiren_sound_649),
        T(test_baseline_counts_images),
        T(test_baseline_counts_sound),
        T(test_compare_example),
        T(test_stdlib_defaults),
        T(test_embedding_errors),
        T(test_atan2),
        T(test_set_overrides),
        T(test_set_errors),
        T(test_max_qubits_option),
        T(test_default_limits),
        T(test_sema_messages),
        T(test_missing_file),
        T(test_nested_relative_imports),
        T(test_import_cycle),
        T(test_lower_small_circuit),
        T(test_lower_loops_and_broadcast),
        T(test_lower_templates),
        T(test_strongly_entangling_ranges),
        T(test_qiren_layer_structure),
        T(test_obs_sum_ising),
        T(test_obs_sum_forms),
        T(test_let_shadow_warning),
        T(test_let_warning_scale),
        T(test_obs_probs),
        T(test_obs_var),
        T(test_obs_hermitian),
        T(test_diag_long_lines),
#undef T
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    if (tmp_file[0]) unlink(tmp_file);
    for (int i = 0; i < n_extra_files; i++) unlink(extra_files[i]);
    if (tmp_dir[0]) {
        char sub[160];
        snprintf(sub, sizeof sub, "%s/sub", tmp_dir);
        rmdir(sub);
    }
    if (tmp_dir[0]) rmdir(tmp_dir);
    return rc;
}
