/* The standard library's templates against PennyLane's definitions: tests/stdlib/states.ref
 * holds, per circuit of tests/stdlib/templates_cases.qnn, parameters, inputs and the final
 * state that a numpy re-implementation of PennyLane's template gives
 * (tests/stdlib/pennylane_ref.py, rerun by tests/e2e/stdlib_templates.sh). Here the same
 * circuits go through qnn: the reference interpreter's state must match to 1e-12 (f64), the
 * JIT's outputs and gradients (after fusion) the interpreter's (f32 outputs too), and the gradients w.r.t. the
 * inputs (amplitude embedding's Möttönen angles, atan2 included) central finite differences. */
#include "testutil.h"

#include <complex.h>

#include "arena.h"
#include "diag.h"
#include "interp.h"
#include "ir.h"
#include "jit.h"
#include "passes.h"
#include "sema.h"

static const char *repo_path(const char *rel) {
    static char buf[4][512];
    static int k;
    k = (k + 1) % 4;
    if (access(rel, R_OK) == 0) snprintf(buf[k], sizeof buf[k], "%s", rel);
    else snprintf(buf[k], sizeof buf[k], "../%s", rel);
    return buf[k];
}

typedef struct {
    char name[64];
    int n_qubits, n_params, n_inputs;
    double *params, *inputs, *state; /* state: re, im pairs */
} ref_case;

static ref_case cases[64];
static int n_cases;
static sema_result *R;
static arena *A;
static jit_session *S;

static double *read_values(FILE *f, const char *tag, int n) {
    char word[32];
    if (fscanf(f, "%31s", word) != 1 || strcmp(word, tag) != 0) fail_msg("states.ref: expected `%s`", tag);
    double *v = malloc(sizeof *v * (size_t)(n + 1));
    for (int i = 0; i < n; i++)
        if (fscanf(f, "%lf", &v[i]) != 1) fail_msg("states.ref: short `%s` line", tag);
    return v;
}

static int load(void **state) {
    (void)state;
    FILE *f = fopen(repo_path("tests/stdlib/states.ref"), "r");
    if (!f) return -1;
    char line[256];
    if (!fgets(line, sizeof line, f)) return -1; /* the comment line */
    ref_case c;
    while (fscanf(f, " case %63s %d %d %d", c.name, &c.n_qubits, &c.n_params, &c.n_inputs) == 4) {
        c.params = read_values(f, "params", c.n_params);
        c.inputs = read_values(f, "inputs", c.n_inputs);
        c.state = read_values(f, "state", 2 << c.n_qubits);
        if (n_cases < 64) cases[n_cases++] = c;
    }
    fclose(f);
    diag_reset();
    A = arena_create();
    sema_options opt;
    memset(&opt, 0, sizeof opt);
    opt.stdlib_dir = repo_path("stdlib");
    R = sema_check_file(A, repo_path("tests/stdlib/templates_cases.qnn"), &opt);
    char err[512];
    S = jit_create(err, sizeof err);
    return R && S && n_cases > 0 ? 0 : -1;
}

static int unload(void **state) {
    (void)state;
    for (int i = 0; i < n_cases; i++) {
        free(cases[i].params);
        free(cases[i].inputs);
        free(cases[i].state);
    }
    if (R) sema_free(R);
    if (A) arena_destroy(A);
    if (S) jit_destroy(S);
    return 0;
}

static const ir_circuit *circuit(const char *name) {
    for (int i = 0; i < R->n_circuits; i++)
        if (strcmp(R->circuits[i]->name, name) == 0) return R->circuits[i];
    fail_msg("templates_cases.qnn has no circuit `%s`", name);
    return NULL;
}

/* Every case: the interpreter's final state is the reference's, amplitude by amplitude. */
static void test_states_match_pennylane(void **state) {
    (void)state;
    assert_true(n_cases >= 20);
    double worst = 0;
    for (int k = 0; k < n_cases; k++) {
        const ref_case *rc = &cases[k];
        const ir_circuit *c = circuit(rc->name);
        assert_int_equal(c->n_qubits, rc->n_qubits);
        assert_int_equal(c->n_params, rc->n_params);
        assert_int_equal(c->n_inputs, rc->n_inputs);
        int d = 1 << c->n_qubits;
        double complex *st = malloc(sizeof *st * (size_t)d);
        interp_state(c, rc->params, rc->inputs, st);
        for (int i = 0; i < d; i++) {
            double complex want = rc->state[2 * i] + I * rc->state[2 * i + 1];
            double diff = cabs(st[i] - want);
            if (diff > worst) worst = diff;
            if (!(diff <= 1e-12))
                fail_msg("%s: amplitude %d is %.17g%+.17gi, PennyLane's %.17g%+.17gi", rc->name, i,
                         creal(st[i]), cimag(st[i]), creal(want), cimag(want));
        }
        free(st);
    }
    printf("%d templates' states match PennyLane's within %.3g\n", n_cases, worst);
}

/* The JIT (after fusion, as `qnnc run` compiles) gives the interpreter's outputs and
 * gradients, for a batch of the reference's sample and perturbed copies of it. */
static void test_jit_matches_interpreter(void **state) {
    (void)state;
    enum { B = 5 };
    for (int k = 0; k < n_cases; k++) {
        const ref_case *rc = &cases[k];
        const ir_circuit *c = circuit(rc->name);
        ir_circuit *fused = pass_fuse(c);
        assert_non_null(fused);
        rt_circuit jc;
        char err[512];
        if (jit_compile(S, fused, NULL, &jc, err, sizeof err)) fail_msg("%s: %s", rc->name, err);
        int NI = c->n_inputs, O = c->n_obs, P = c->n_params;
        double x[B * 64], y[B * 300], yj[B * 300], gy[B * 300], gp[256], gpj[256], gx[B * 64], gxj[B * 64];
        assert_true(NI <= 64 && O <= 300 && P <= 256);
        for (int b = 0; b < B; b++)
            for (int j = 0; j < NI; j++) x[b * NI + j] = rc->inputs[j] * (1 + 0.1 * b) + 0.01 * b * j;
        for (int i = 0; i < B * O; i++) gy[i] = sin(1.0 + i);
        interp_forward_batch(c, rc->params, x, y, B);
        void *work = aligned_alloc(64, (jc.work_bytes + 63) / 64 * 64 + 64);
        jc.forward(rc->params, x, yj, B, work);
        for (int i = 0; i < B * O; i++) assert_close(yj[i], y[i], 1e-12);
        memset(gp, 0, sizeof gp);
        memset(gpj, 0, sizeof gpj);
        interp_vjp(c, rc->params, x, gy, gp, NI ? gx : NULL, B);
        jc.vjp(rc->params, x, gy, gpj, NI ? gxj : NULL, B, work);
        for (int i = 0; i < P; i++) assert_close(gpj[i], gp[i], 1e-10);
        for (int i = 0; i < B * NI; i++) assert_close(gxj[i], gx[i], 1e-10);
        free(work);
        /* f32: the same outputs to single precision (atan2f for the embeddings' angles) */
        jit_options o = jit_default_options();
        o.precision = 32;
        if (jit_compile(S, fused, &o, &jc, err, sizeof err)) fail_msg("%s (f32): %s", rc->name, err);
        float xf[B * 64], pf[256], yf[B * 300];
        for (int i = 0; i < B * NI; i++) xf[i] = (float)x[i];
        for (int i = 0; i < P; i++) pf[i] = (float)rc->params[i];
        work = aligned_alloc(64, (jc.work_bytes + 63) / 64 * 64 + 64);
        jc.forward(pf, xf, yf, B, work);
        for (int i = 0; i < B * O; i++) assert_close(yf[i], y[i], 2e-5);
        free(work);
        ir_free(fused);
    }
}

/* Gradients w.r.t. the features through the Möttönen angles (partial norms, atan2 of signed
 * amplitudes, padding) and w.r.t. every other template's inputs and weights equal central
 * finite differences of the interpreter in f64. */
static void test_gradients_finite_differences(void **state) {
    (void)state;
    for (int k = 0; k < n_cases; k++) {
        const ref_case *rc = &cases[k];
        const ir_circuit *c = circuit(rc->name);
        int NI = c->n_inputs, O = c->n_obs, P = c->n_params;
        double gy[300], gp[256] = {0}, gpf[256] = {0}, gx[64], gxf[64];
        for (int i = 0; i < O; i++) gy[i] = cos(0.5 + i);
        interp_vjp(c, rc->params, rc->inputs, gy, gp, NI ? gx : NULL, 1);
        interp_vjp_fd(c, rc->params, rc->inputs, gy, gpf, NI ? gxf : NULL, 1, 1e-5);
        for (int i = 0; i < P; i++) assert_close(gp[i], gpf[i], 1e-8);
        for (int i = 0; i < NI; i++) {
            if (!(fabs(gx[i] - gxf[i]) <= 1e-8 * fmax(1, fabs(gxf[i]))))
                fail_msg("%s: d/dx[%d] is %.12g, finite differences %.12g", rc->name, i, gx[i], gxf[i]);
        }
    }
}

/* The embedding prepares x / ||x|| whatever the norm (the angles use ratios only): scaling
 * the features leaves the state unchanged, and the gradient is orthogonal to x. */
static void test_amplitude_scale_invariant(void **state) {
    (void)state;
    const ir_circuit *c = circuit("amplitude_4");
    const ref_case *rc = NULL;
    for (int k = 0; k < n_cases; k++) if (!strcmp(cases[k].name, "amplitude_4")) rc = &cases[k];
    assert_non_null(rc);
    double x[16], y0[17], y1[17], gy[17], gx[16], dot = 0;
    for (int j = 0; j < 16; j++) x[j] = 3.5 * rc->inputs[j];
    interp_forward(c, NULL, rc->inputs, y0);
    interp_forward(c, NULL, x, y1);
    for (int i = 0; i < c->n_obs; i++) assert_close(y1[i], y0[i], 1e-12);
    for (int i = 0; i < c->n_obs; i++) gy[i] = 1.0 + i;
    interp_vjp(c, NULL, x, gy, NULL, gx, 1);
    for (int j = 0; j < 16; j++) dot += gx[j] * x[j];
    assert_true(fabs(dot) < 1e-12);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_states_match_pennylane),
        cmocka_unit_test(test_jit_matches_interpreter),
        cmocka_unit_test(test_gradients_finite_differences),
        cmocka_unit_test(test_amplitude_scale_invariant),
    };
    return cmocka_run_group_tests(tests, load, unload);
}
