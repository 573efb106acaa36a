/* Unit tests of the density-matrix interpreter (compiler/interp_dm.c) and the channel
 * superoperators (compiler/channel.c): noiseless circuits against the state-vector
 * interpreter, adjoint gradients against central finite differences, closed forms, the
 * superoperators against Kraus sums, fusion keeping channels in place. The independent numpy
 * reference of every channel is tests/noise/dm_ref.py (tests/e2e/noise_dm.sh). */
#include "testutil.h"

#include <complex.h>

#include "channel.h"
#include "interp.h"
#include "ir.h"
#include "passes.h"

typedef double complex cplx;

static double urand(double lo, double hi) {
    return lo + (hi - lo) * ((double)rand() / RAND_MAX);
}

/* Random primitive gates with angles of params (6) and inputs, as test_interp.c makes them. */
static void random_gates(ir_circuit *c, int n_gates) {
    int n = c->n_qubits;
    for (int k = 0; k < n_gates; k++) {
        int g = rand() % IR_FUSED_1Q, w0 = rand() % n, w1 = -1;
        if (ir_gate_arity((ir_gate)g) == 2) {
            if (n < 2) continue;
            w1 = (w0 + 1 + rand() % (n - 1)) % n;
        }
        int a[3] = {-1, -1, -1};
        for (int j = 0; j < ir_gate_n_angles((ir_gate)g); j++) {
            int leaf = c->n_inputs && rand() % 2 ? ir_input(c, rand() % c->n_inputs)
                                                   : ir_param(c, rand() % 6);
            a[j] = rand() % 2 ? leaf
                              : ir_binary(c, IR_EXPR_MUL, ir_const(c, urand(0.5, 2)),
                                          ir_unary(c, IR_EXPR_SIN, leaf));
        }
        ir_add_gate(c, (ir_gate)g, w0, w1, a[0], a[1], a[2]);
    }
}

/* A strength in (0.05, 0.45) of parameter 6 or 7 (so that gradients reach it) or a constant. */
static int random_strength(ir_circuit *c) {
    if (rand() % 2) return ir_const(c, urand(0.05, 0.45));
    int leaf = ir_param(c, 6 + rand() % 2); /* params 6, 7 are in (0, 1): see fill_params */
    return ir_binary(c, IR_EXPR_MUL, ir_const(c, 0.5), leaf);
}

static void random_channel(ir_circuit *c) {
    int w = rand() % c->n_qubits;
    ir_channel ch = (ir_channel)(rand() % IR_CH_COUNT);
    if (ch == IR_CH_KRAUS) { /* sqrt(0.7) RY(0.4), sqrt(0.3) Z: trace preserving */
        double m[16] = {0}, ry[8];
        double a = 0.4;
        ir_gate_matrix(IR_RY, &a, ry);
        for (int i = 0; i < 8; i++) m[i] = sqrt(0.7) * ry[i];
        m[8] = sqrt(0.3);
        m[14] = -sqrt(0.3);
        ir_add_kraus(c, w, -1, 2, m);
        return;
    }
    int s[3];
    if (ch == IR_CH_THERMAL) {
        s[0] = ir_const(c, 40);
        s[1] = ir_const(c, urand(10, 70));
        s[2] = ir_binary(c, IR_EXPR_MUL, ir_const(c, 20), ir_param(c, 6));
    } else {
        s[0] = random_strength(c);
    }
    ir_add_channel(c, ch, w, s);
}

static void random_observables(ir_circuit *c) {
    int n = c->n_qubits;
    for (int k = 0; k < 3; k++) {
        ir_begin_observable(c);
        for (int t = 0; t < 1 + rand() % 2; t++) {
            char letters[8] = {0};
            for (int w = 0; w < n; w++) letters[w] = "IXYZ"[rand() % 4];
            ir_add_term(c, urand(-1, 1), letters);
        }
    }
    /* a variance, whose weights depend on <O> */
    char a[8] = {0}, b[8] = {0};
    for (int w = 0; w < n; w++) a[w] = b[w] = 'I';
    a[0] = 'Z';
    ir_begin_var(c);
    ir_add_term(c, 1, b); /* Z^2 = I */
    ir_var_linear(c);
    ir_add_term(c, 1, a);
}

static void fill_params(double *p) {
    for (int i = 0; i < 6; i++) p[i] = urand(-3, 3);
    p[6] = urand(0.1, 0.9);
    p[7] = urand(0.1, 0.9);
}

/* Without channels, the density matrix is |psi><psi|: outputs and gradients equal the
 * state vector's, also after fusion (fused 1q, fused diagonals with MULTIRZ members). */
static void test_noiseless_equals_statevector(void **state) {
    (void)state;
    for (int rep = 0; rep < 20; rep++) {
        int n = 1 + rand() % 3, n_in = 2, B = 2;
        ir_circuit *c = ir_new("n", n, n_in);
        random_gates(c, 14);
        random_observables(c);
        ir_circuit *f = pass_fuse(c);
        double p[8], x[4] = {urand(-2, 2), urand(-2, 2), urand(-2, 2), urand(-2, 2)};
        fill_params(p);
        double sv[8], dm[8], dmf[8];
        interp_forward_batch(c, p, x, sv, B);
        interp_dm_forward_batch(c, p, x, dm, B);
        interp_dm_forward_batch(f, p, x, dmf, B);
        for (int k = 0; k < B * c->n_obs; k++) {
            assert_close(dm[k], sv[k], 1e-12);
            assert_close(dmf[k], sv[k], 1e-12);
        }
        double g[8], gp_sv[8] = {0}, gp_dm[8] = {0}, gx_sv[4], gx_dm[4];
        for (int k = 0; k < 8; k++) g[k] = urand(-1, 1);
        interp_vjp(c, p, x, g, gp_sv, gx_sv, B);
        interp_dm_vjp(f, p, x, g, gp_dm, gx_dm, B);
        for (int i = 0; i < c->n_params; i++) assert_close(gp_dm[i], gp_sv[i], 1e-12);
        for (int i = 0; i < B * n_in; i++) assert_close(gx_dm[i], gx_sv[i], 1e-12);
        ir_free(f);
        ir_free(c);
    }
}

/* The adjoint on rho (adjoint channels backwards, checkpoints before channels) against
 * central finite differences of the density-matrix forward pass, in float64. */
static void test_noisy_vjp_vs_fd(void **state) {
    (void)state;
    for (int rep = 0; rep < 25; rep++) {
        int n = 1 + rand() % 3, n_in = 2, B = 2;
        ir_circuit *c = ir_new("v", n, n_in);
        for (int k = 0; k < 6; k++) {
            random_gates(c, 3);
            random_channel(c);
        }
        ir_param(c, 7); /* params 0..7 exist whatever was drawn */
        random_observables(c);
        assert_true(ir_has_channels(c));
        double p[8], x[4] = {urand(-2, 2), urand(-2, 2), urand(-2, 2), urand(-2, 2)};
        fill_params(p);
        double g[8], gp[8], gp_fd[8], gx[4], gx_fd[4];
        for (int k = 0; k < 8; k++) {
            g[k] = urand(-1, 1);
            gp[k] = gp_fd[k] = 0.5 * k; /* accumulated */
        }
        interp_vjp(c, p, x, g, gp, gx, B); /* dispatches to the density matrix */
        interp_vjp_fd(c, p, x, g, gp_fd, gx_fd, B, 1e-5);
        for (int i = 0; i < c->n_params; i++) assert_close(gp[i], gp_fd[i], 1e-8);
        for (int i = 0; i < B * n_in; i++) assert_close(gx[i], gx_fd[i], 1e-8);
        ir_free(c);
    }
}

/* rho stays a density matrix: trace 1, Hermitian, real non-negative diagonal. */
static void test_rho_is_a_state(void **state) {
    (void)state;
    ir_circuit *c = ir_new("r", 3, 1);
    for (int k = 0; k < 8; k++) {
        random_gates(c, 4);
        random_channel(c);
    }
    ir_param(c, 7);
    double p[8], x[1] = {0.7};
    fill_params(p);
    cplx rho[64];
    interp_dm_state(c, p, x, rho);
    cplx tr = 0;
    for (int i = 0; i < 8; i++) {
        tr += rho[i * 8 + i];
        assert_true(creal(rho[i * 8 + i]) >= -1e-15);
        for (int j = 0; j < 8; j++) assert_true(cabs(rho[i * 8 + j] - conj(rho[j * 8 + i])) < 1e-14);
    }
    assert_close(creal(tr), 1, 1e-13);
    assert_close(cimag(tr), 0, 1e-13);
    ir_free(c);
}

/* Closed forms on one qubit: depolarizing |0>: <Z> = 1 - 4p/3; amplitude damping |1>:
 * <Z> = 2 gamma - 1; phase damping |+>: <X> = sqrt(1 - gamma); thermal |1>: <Z> =
 * 1 - 2 e^{-t/t1}, |+>: <X> = e^{-t/t2}; readout on |0>: <Z> = 1 - 2p. */
static void test_closed_forms(void **state) {
    (void)state;
    struct { ir_channel ch; ir_gate prep; double s[3]; const char *obs; double want; } cases[] = {
        {IR_CH_DEPOLARIZING, IR_I, {0.3}, "Z", 1 - 0.4},
        {IR_CH_AMPLITUDE_DAMPING, IR_X, {0.3}, "Z", 2 * 0.3 - 1},
        {IR_CH_PHASE_DAMPING, IR_H, {0.36}, "X", 0.8},
        {IR_CH_BIT_FLIP, IR_I, {0.25}, "Z", 0.5},
        {IR_CH_PHASE_FLIP, IR_H, {0.25}, "X", 0.5},
        {IR_CH_THERMAL, IR_X, {40, 30, 10}, "Z", 1 - 2 * exp(-10.0 / 40)},
        {IR_CH_THERMAL, IR_H, {40, 70, 10}, "X", exp(-10.0 / 70)},
        {IR_CH_READOUT, IR_I, {0.1}, "Z", 0.8},
    };
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
        ir_circuit *c = ir_new("cf", 1, 0);
        ir_add_gate(c, cases[k].prep, 0, -1, -1, -1, -1);
        int s[3];
        for (int j = 0; j < 3; j++) s[j] = ir_const(c, cases[k].s[j]);
        ir_add_channel(c, cases[k].ch, 0, s);
        ir_begin_observable(c);
        ir_add_term(c, 1, cases[k].obs);
        double out;
        interp_forward(c, NULL, NULL, &out);
        assert_close(out, cases[k].want, 1e-14);
        ir_free(c);
    }
}

/* The closed-form superoperators equal sum_k K (x) conj(K) of PennyLane's Kraus operators,
 * and their derivatives equal central differences of themselves. */
static void test_superop_vs_kraus(void **state) {
    (void)state;
    ir_circuit *c = ir_new("s", 1, 0);
    double p = 0.23, q = sqrt(1 - p), r = sqrt(p), t = sqrt(p / 3);
    double kd[4][8] = {{sqrt(1 - p), 0, 0, 0, 0, 0, sqrt(1 - p), 0},
                       {0, 0, t, 0, t, 0, 0, 0}, {0, 0, 0, -t, 0, t, 0, 0},
                       {t, 0, 0, 0, 0, 0, -t, 0}};
    double kad[2][8] = {{1, 0, 0, 0, 0, 0, q, 0}, {0, 0, r, 0, 0, 0, 0, 0}};
    double kpd[2][8] = {{1, 0, 0, 0, 0, 0, q, 0}, {0, 0, 0, 0, 0, 0, r, 0}};
    double kbf[2][8] = {{q, 0, 0, 0, 0, 0, q, 0}, {0, 0, r, 0, r, 0, 0, 0}};
    double kpf[2][8] = {{q, 0, 0, 0, 0, 0, q, 0}, {r, 0, 0, 0, 0, 0, -r, 0}};
    struct { ir_channel ch; const double *k; int n; } cases[] = {
        {IR_CH_DEPOLARIZING, &kd[0][0], 4}, {IR_CH_AMPLITUDE_DAMPING, &kad[0][0], 2},
        {IR_CH_PHASE_DAMPING, &kpd[0][0], 2}, {IR_CH_BIT_FLIP, &kbf[0][0], 2},
        {IR_CH_PHASE_FLIP, &kpf[0][0], 2}};
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
        int s = ir_const(c, p);
        int op = ir_add_channel(c, cases[k].ch, 0, &s);
        double S[32], K[32], Sp[32], Sm[32], dS[32];
        double sv[3] = {p, 0, 0};
        ch_superop(c, &c->ops[op], sv, -1, S);
        ch_kraus_superop(cases[k].k, cases[k].n, 2, K);
        for (int i = 0; i < 32; i++) assert_close(S[i], K[i], 1e-15);
        assert_true(ch_kraus_tp_error(cases[k].k, cases[k].n, 2) < 1e-15);
        double h = 1e-6, sp[3] = {p + h}, sm[3] = {p - h};
        ch_superop(c, &c->ops[op], sp, -1, Sp);
        ch_superop(c, &c->ops[op], sm, -1, Sm);
        ch_superop(c, &c->ops[op], sv, 0, dS);
        for (int i = 0; i < 32; i++) assert_close(dS[i], (Sp[i] - Sm[i]) / (2 * h), 1e-8);
    }
    ir_free(c);
}

/* Fusion must not move a gate across a channel: a noisy circuit keeps its op order. */
static void test_fusion_keeps_channels(void **state) {
    (void)state;
    ir_circuit *c = ir_new("f", 2, 0);
    int a = ir_const(c, 0.3), s = ir_const(c, 0.1);
    ir_add_gate(c, IR_RZ, 0, -1, a, -1, -1);
    ir_add_channel(c, IR_CH_DEPOLARIZING, 0, &s);
    ir_add_gate(c, IR_RZ, 0, -1, a, -1, -1);
    ir_add_gate(c, IR_CZ, 0, 1, -1, -1, -1);
    ir_begin_observable(c);
    ir_add_term(c, 1, "XI");
    ir_circuit *f = pass_fuse(c);
    assert_int_equal(f->n_ops, c->n_ops);
    for (int i = 0; i < c->n_ops; i++) assert_int_equal(f->ops[i].gate, c->ops[i].gate);
    ir_free(f);
    ir_free(c);
}

/* Kraus sets: trace preservation measured, a two-qubit set's superoperator is 16 x 16. */
static void test_kraus_checks(void **state) {
    (void)state;
    double bad[8] = {1, 0, 0, 0, 0, 0, 0.9, 0};
    assert_close(ch_kraus_tp_error(bad, 1, 2), 1 - 0.81, 1e-15);
    double cn[2][32] = {{0}};
    for (int i = 0; i < 4; i++) cn[0][2 * (i * 4 + i)] = sqrt(0.5);
    int perm[4] = {0, 1, 3, 2};
    for (int i = 0; i < 4; i++) cn[1][2 * (i * 4 + perm[i])] = sqrt(0.5);
    assert_true(ch_kraus_tp_error(&cn[0][0], 2, 4) < 1e-15);
    ir_circuit *c = ir_new("k", 2, 0);
    ir_add_gate(c, IR_H, 0, -1, -1, -1, -1);
    ir_add_kraus(c, 0, 1, 2, &cn[0][0]);
    ir_begin_observable(c);
    ir_add_term(c, 1, "ZZ"); /* 1/2 (<ZZ> of |+0>) + 1/2 (<ZZ> of CNOT|+0>) = 0 + 1/2 */
    ir_begin_observable(c);
    ir_add_term(c, 1, "XX"); /* 0 + 1/2 */
    double out[2];
    interp_forward(c, NULL, NULL, out);
    assert_close(out[0], 0.5, 1e-14);
    assert_close(out[1], 0.5, 1e-14);
    ir_free(c);
}

int main(void) {
    srand(12345);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_noiseless_equals_statevector),
        cmocka_unit_test(test_noisy_vjp_vs_fd),
        cmocka_unit_test(test_rho_is_a_state),
        cmocka_unit_test(test_closed_forms),
        cmocka_unit_test(test_superop_vs_kraus),
        cmocka_unit_test(test_fusion_keeps_channels),
        cmocka_unit_test(test_kraus_checks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
