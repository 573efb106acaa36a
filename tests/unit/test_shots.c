/* Shots (docs/semantics.md section 9): a JIT-compiled circuit's measurement circuit behind the
 * quantum layer, checked against the reference interpreter on the original circuit:
 * estimates unbiased (the mean over many calls within 3 standard errors of the exact value)
 * for an expectation, a sum of terms with a constant, a variance and probabilities; their
 * spread (1 - <P>^2) / N; the parameter-shift gradient on shots unbiased for the exact
 * gradient (itself checked against central differences); reproducible for a seed and
 * identical with 1 and 2 threads; the exact Binomial sampler's mean and variance. */
#include "testutil.h"

#include "interp.h"
#include "jit.h"
#include "rt_pool.h"
#include "rt_qlayer.h"
#include "rt_shots.h"
#include "shots.h"

static jit_session *S;

static int setup(void **state) {
    (void)state;
    char err[256];
    S = jit_create(err, sizeof err);
    return S ? 0 : -1;
}

static int teardown(void **state) {
    (void)state;
    jit_destroy(S);
    return 0;
}

/* 2 qubits, one input, 3 parameters; outputs: <Z0>, <0.5 X1 + 0.7 Z0 Z1 + 0.2>, var(-1.5 Z1),
 * probs(0, 1) (4 outputs): 7 in all. */
static ir_circuit *make_circuit(void) {
    ir_circuit *c = ir_new("shots_toy", 2, 1);
    int sh[1] = {3};
    ir_add_tensor(c, "w", 1, sh, IR_INIT_CONST, 0, 0);
    int p0 = ir_param(c, 0), p1 = ir_param(c, 1), p2 = ir_param(c, 2), x = ir_input(c, 0);
    ir_add_gate(c, IR_RY, 0, -1, ir_binary(c, IR_EXPR_ADD, x, p0), -1, -1);
    ir_add_gate(c, IR_RX, 1, -1, p1, -1, -1);
    ir_add_gate(c, IR_CNOT, 0, 1, -1, -1, -1);
    ir_add_gate(c, IR_RY, 1, -1, p2, -1, -1);
    ir_add_gate(c, IR_CRX, 1, 0, ir_binary(c, IR_EXPR_MUL, x, p1), -1, -1);
    ir_begin_observable(c);
    ir_add_term(c, 1.0, "ZI");
    ir_begin_observable(c);
    ir_add_term(c, 0.5, "IX");
    ir_add_term(c, 0.7, "ZZ");
    ir_add_term(c, 0.2, "II");
    ir_begin_var(c);
    ir_add_term(c, 2.25, "II"); /* O^2 = 2.25 I */
    ir_var_linear(c);
    ir_add_term(c, -1.5, "IZ");
    int wires[2] = {0, 1};
    for (int k = 0; k < 4; k++) {
        double s0 = (k & 2) ? -1 : 1, s1 = (k & 1) ? -1 : 1;
        ir_begin_prob(c, 2, wires, k);
        ir_add_term(c, 0.25, "II");
        ir_add_term(c, 0.25 * s0, "ZI");
        ir_add_term(c, 0.25 * s1, "IZ");
        ir_add_term(c, 0.25 * s0 * s1, "ZZ");
    }
    return c;
}

enum { NOUT = 7, B = 5, NP = 3 };
static const double PARAMS[NP] = {0.4, -1.1, 0.8};
static const double X[B] = {0.3, -0.7, 1.9, 2.6, -2.2};

typedef struct {
    ir_circuit *src, *m;
    rt_shots_plan *plan;
    rt_circuit rc;
} compiled;

static void compile(compiled *k, int precision) {
    char err[512];
    k->src = make_circuit();
    k->m = shots_circuit(k->src, &k->plan, err, sizeof err);
    if (!k->m)
        fail_msg("%s", err);
    assert_int_equal(k->plan->n_outputs, NOUT);
    assert_int_equal(k->plan->n_raw, 8); /* Z0, X1, Z0Z1, Z1, 4 outcomes */
    jit_options o = jit_default_options();
    o.precision = precision;
    o.grad = CG_GRAD_SHIFT;
    o.shots = 1;
    if (jit_compile(S, k->m, &o, &k->rc, err, sizeof err))
        fail_msg("jit_compile: %s", err);
    k->rc.shots = k->plan;
}

static void release(compiled *k) {
    ir_free(k->src);
    ir_free(k->m);
    free(k->plan);
}

static rt_layer *layer(const compiled *k, rt_pool *pool, int shots, uint64_t seed) {
    rt_qtensor t = {"w", NP, rt_init_const(0)};
    rt_layer *l = rt_qlayer_create(&k->rc, pool, 1, &t, NULL);
    assert_non_null(l);
    assert_int_equal(rt_qlayer_set_chunk(l, k->rc.lanes), 0); /* several chunks */
    assert_int_equal(rt_layer_reserve(l, B), 0);
    assert_int_equal(rt_qlayer_set_shots(l, shots, seed, 0), 0);
    memcpy(rt_layer_params(l), PARAMS, sizeof PARAMS);
    return l;
}

/* The loss weights r of L = sum r . y. */
static double weight(int b, int k) { return 0.3 + 0.1 * k - 0.05 * b * (k % 3 - 1); }

static void exact(const ir_circuit *c, double *y, double *gp, double *gx) {
    double r[B * NOUT];
    for (int b = 0; b < B; b++)
        for (int k = 0; k < NOUT; k++)
            r[b * NOUT + k] = weight(b, k);
    interp_forward_batch(c, PARAMS, X, y, B);
    memset(gp, 0, NP * sizeof *gp);
    interp_vjp(c, PARAMS, X, r, gp, gx, B);
}

/* forward + backward of one call; y[B * NOUT], gp[NP], gx[B] */
static void call(rt_layer *l, double *y, double *gp, double *gx) {
    double r[B * NOUT];
    for (int b = 0; b < B; b++)
        for (int k = 0; k < NOUT; k++)
            r[b * NOUT + k] = weight(b, k);
    assert_int_equal(rt_layer_forward(l, X, y, B), 0);
    rt_layer_zero_grad(l);
    rt_layer_backward(l, X, y, r, gx, B);
    memcpy(gp, rt_layer_grads(l), NP * sizeof *gp);
}

/* mean within 3 standard errors of want (sum, sum of squares over n draws) */
static void check_mean(const char *what, int i, double sum, double sq, int n, double want) {
    double mean = sum / n, var = (sq - n * mean * mean) / (n - 1), se = sqrt(fmax(var, 0) / n);
    if (!(fabs(mean - want) <= 3 * se + 1e-12))
        fail_msg("%s %d: mean %.6f over %d calls, exact %.6f, 3 SE = %.6f", what, i, mean, n,
                 want, 3 * se);
}

static void unbiased(int precision) {
    compiled k;
    compile(&k, precision);
    double ye[B * NOUT], gpe[NP], gxe[B];
    exact(k.src, ye, gpe, gxe);
    /* the exact gradient is the finite-difference one */
    double r[B * NOUT], gpf[NP] = {0}, gxf[B];
    for (int b = 0; b < B; b++)
        for (int o = 0; o < NOUT; o++)
            r[b * NOUT + o] = weight(b, o);
    interp_vjp_fd(k.src, PARAMS, X, r, gpf, gxf, B, 1e-5);
    for (int i = 0; i < NP; i++)
        assert_close(gpe[i], gpf[i], 1e-8);
    for (int b = 0; b < B; b++)
        assert_close(gxe[b], gxf[b], 1e-8);

    enum { CALLS = 6000, N = 64 };
    rt_layer *l = layer(&k, NULL, N, 17);
    static double sy[B * NOUT], qy[B * NOUT];
    double sg[NP] = {0}, qg[NP] = {0}, sx[B] = {0}, qx[B] = {0};
    memset(sy, 0, sizeof sy);
    memset(qy, 0, sizeof qy);
    for (int c = 0; c < CALLS; c++) {
        double y[B * NOUT], gp[NP], gx[B];
        call(l, y, gp, gx);
        for (int i = 0; i < B * NOUT; i++) {
            sy[i] += y[i];
            qy[i] += y[i] * y[i];
        }
        for (int i = 0; i < NP; i++) {
            sg[i] += gp[i];
            qg[i] += gp[i] * gp[i];
        }
        for (int i = 0; i < B; i++) {
            sx[i] += gx[i];
            qx[i] += gx[i] * gx[i];
        }
    }
    for (int i = 0; i < B * NOUT; i++)
        check_mean("output", i, sy[i], qy[i], CALLS, ye[i]);
    for (int i = 0; i < NP; i++)
        check_mean("parameter gradient", i, sg[i], qg[i], CALLS, gpe[i]);
    for (int i = 0; i < B; i++)
        check_mean("input gradient", i, sx[i], qx[i], CALLS, gxe[i]);
    /* <Z0>'s estimates spread as (1 - <Z0>^2) / N: the variance of a sample variance over
     * CALLS draws of a +-1 mean has a relative standard error below sqrt(2 / CALLS) times
     * (1 + kurtosis excess), so 5 of those is a generous bound that a wrong N still fails */
    for (int b = 0; b < B; b++) {
        int i = b * NOUT;
        double mean = sy[i] / CALLS, var = (qy[i] - CALLS * mean * mean) / (CALLS - 1);
        double want = (1 - ye[i] * ye[i]) / N;
        if (!(fabs(var / want - 1) < 5 * sqrt(2.0 / CALLS)))
            fail_msg("sample %d: variance of <Z0> estimates %.3g, (1 - <Z0>^2)/N = %.3g", b, var,
                     want);
    }
    rt_layer_destroy(l);
    release(&k);
}

static void test_unbiased_f64(void **state) {
    (void)state;
    unbiased(64);
}

static void test_unbiased_f32(void **state) {
    (void)state;
    unbiased(32);
}

/* Same seed: the same outputs and gradients; another seed: others; 1 vs 2 threads: the
 * same bits. Shots = exact (0) on the measurement circuit: the interpreter's values. */
static void test_reproducible(void **state) {
    (void)state;
    compiled k;
    compile(&k, 64);
    double y1[B * NOUT], y2[B * NOUT], g1[NP], g2[NP], x1[B], x2[B];
    rt_pool *pool = rt_pool_create(2);
    rt_layer *a = layer(&k, NULL, 100, 5), *b = layer(&k, pool, 100, 5), *c = layer(&k, NULL, 100, 6);
    for (int rep = 0; rep < 3; rep++) {
        call(a, y1, g1, x1);
        call(b, y2, g2, x2);
        assert_memory_equal(y1, y2, sizeof y1);
        assert_memory_equal(g1, g2, sizeof g1);
        assert_memory_equal(x1, x2, sizeof x1);
        call(c, y2, g2, x2);
        assert_true(memcmp(y1, y2, sizeof y1) != 0);
    }
    rt_layer_destroy(a);
    rt_layer_destroy(b);
    rt_layer_destroy(c);
    rt_pool_destroy(pool);
    double ye[B * NOUT], gpe[NP], gxe[B];
    exact(k.src, ye, gpe, gxe);
    rt_layer *e = layer(&k, NULL, 0, 5);
    call(e, y1, g1, x1);
    for (int i = 0; i < B * NOUT; i++)
        assert_close(y1[i], ye[i], 1e-12);
    for (int i = 0; i < NP; i++)
        assert_close(g1[i], gpe[i], 1e-10);
    for (int i = 0; i < B; i++)
        assert_close(x1[i], gxe[i], 1e-10);
    rt_layer_destroy(e);
    release(&k);
}

/* The sampler itself: the mean and variance of Binomial(n, p) for the Bernoulli path (n < 16)
 * and the inversion from the mode, against n p and n p (1 - p). */
static void test_binomial(void **state) {
    (void)state;
    const int64_t ns[] = {7, 40, 1000, 1000000};
    const double ps[] = {0.3, 0.91, 0.5, 0.002};
    for (int c = 0; c < 4; c++) {
        rt_rng rng;
        rt_rng_seed(&rng, 100 + (uint64_t)c);
        enum { D = 20000 };
        double s = 0, q = 0;
        for (int d = 0; d < D; d++) {
            double k = (double)rt_shots_binomial(&rng, ns[c], ps[c]);
            assert_true(k >= 0 && k <= (double)ns[c]);
            s += k;
            q += k * k;
        }
        double mean = s / D, var = (q - D * mean * mean) / (D - 1);
        double want = (double)ns[c] * ps[c], wvar = want * (1 - ps[c]);
        check_mean("binomial", c, s, q, D, want);
        assert_true(fabs(var / wvar - 1) < 5 * sqrt(2.0 / D));
    }
    rt_rng rng;
    rt_rng_seed(&rng, 1);
    assert_int_equal(rt_shots_binomial(&rng, 50, 0.0), 0);
    assert_int_equal(rt_shots_binomial(&rng, 50, 1.0), 50);
}

/* A variance of a sum cannot be estimated from separate products: refused, naming it. */
static void test_refusals(void **state) {
    (void)state;
    ir_circuit *c = ir_new("vsum", 2, 0);
    ir_add_gate(c, IR_H, 0, -1, -1, -1, -1);
    ir_begin_var(c);
    ir_add_term(c, 2.0, "II");
    ir_add_term(c, 2.0, "ZZ");
    ir_var_linear(c);
    ir_add_term(c, 1.0, "ZI");
    ir_add_term(c, 1.0, "IZ");
    rt_shots_plan *p;
    char err[512];
    assert_null(shots_circuit(c, &p, err, sizeof err));
    assert_non_null(strstr(err, "circuit 'vsum': output 0 is the variance of a sum"));
    ir_free(c);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_binomial),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_reproducible),
        cmocka_unit_test(test_unbiased_f64),
        cmocka_unit_test(test_unbiased_f32),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
