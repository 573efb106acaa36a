/* Unit tests of the circuit IR core (compiler/ir.c): gate matrices against PennyLane's
 * definitions, their derivatives, expression evaluation and reverse-mode gradients. */
#include "testutil.h"

#include <complex.h>

#include "ir.h"

typedef double complex cplx;

static const double PI = 3.14159265358979323846;

static double urand(double lo, double hi) {
    return lo + (hi - lo) * ((double)rand() / RAND_MAX);
}

static int gate_dim(ir_gate g) {
    return ir_gate_arity(g) == 2 ? 4 : 2;
}

static void matrix_of(ir_gate g, const double *ang, cplx *z) {
    double m[32];
    ir_gate_matrix(g, ang, m);
    for (int i = 0; i < gate_dim(g) * gate_dim(g); i++)
        z[i] = m[2 * i] + I * m[2 * i + 1];
}

static void assert_mat_close(const cplx *a, const cplx *b, int dim, double tol) {
    for (int i = 0; i < dim * dim; i++) {
        assert_close(creal(a[i]), creal(b[i]), tol);
        assert_close(cimag(a[i]), cimag(b[i]), tol);
    }
}

static void random_angles(double *ang) {
    for (int k = 0; k < 3; k++)
        ang[k] = urand(-2 * PI, 2 * PI);
}

static void test_gate_names(void **state) {
    (void)state;
    static const char *const want[IR_GATE_COUNT] = {
        "i", "h", "x", "y", "z", "s", "t", "sx", "rx", "ry", "rz", "phase", "rot", "u3",
        "cnot", "cz", "cy", "swap", "crx", "cry", "crz", "cphase", "fused1q", "fuseddiag",
        "multirz", "fused2q", "channel", "fusedblock"};
    for (int g = 0; g < IR_GATE_COUNT; g++)
        assert_string_equal(ir_gate_name((ir_gate)g), want[g]);
    static const char *const channels[IR_CH_COUNT] = {
        "depolarizing", "amplitude_damping", "phase_damping", "bit_flip", "phase_flip",
        "thermal_relaxation", "kraus", "readout_error"};
    for (int k = 0; k < IR_CH_COUNT; k++)
        assert_string_equal(ir_channel_name((ir_channel)k), channels[k]);
    assert_int_equal(ir_channel_n_strengths(IR_CH_THERMAL), 3);
    assert_int_equal(ir_channel_n_strengths(IR_CH_KRAUS), 0);
    assert_int_equal(ir_gate_n_angles(IR_ROT), 3);
    assert_int_equal(ir_gate_n_angles(IR_CRZ), 1);
    assert_int_equal(ir_gate_n_angles(IR_SWAP), 0);
    assert_int_equal(ir_gate_arity(IR_CPHASE), 2);
    assert_int_equal(ir_gate_arity(IR_U3), 1);
    assert_true(ir_gate_is_diagonal(IR_CRZ));
    assert_false(ir_gate_is_diagonal(IR_CRX));
    assert_false(ir_gate_is_diagonal(IR_FUSED_1Q));
    assert_true(ir_gate_is_fused(IR_FUSED_BLOCK));
    assert_int_equal(ir_gate_arity(IR_FUSED_BLOCK), 0); /* any wires: ir_op_wire_mask */
    assert_false(ir_gate_is_diagonal(IR_FUSED_BLOCK));
}

/* ir_pair_matrix (a FUSED_2Q member's 4x4 in basis |w0 w1>) against kron products and the
 * SWAP conjugation of ir_gate_matrix, MULTIRZ's closed form, and its derivatives against
 * central differences of itself; members outside the pair are refused. */
static void test_pair_matrix(void **state) {
    (void)state;
    static const double h = 1e-6;
    for (int g = 0; g < IR_FUSED_1Q; g++)
        for (int rep = 0; rep < 4; rep++) {
            double ang[3], m[32], u[32];
            random_angles(ang);
            int two = ir_gate_arity((ir_gate)g) == 2;
            for (int where = 0; where < 2; where++) { /* 1q: on w0 / w1; 2q: same / reversed */
                ir_op op = {0};
                op.gate = (ir_gate)g;
                op.wires[0] = where ? 5 : 2;
                op.wires[1] = two ? (where ? 2 : 5) : -1;
                assert_int_equal(ir_pair_matrix(&op, 2, 5, ang, -1, m), 0);
                ir_gate_matrix((ir_gate)g, ang, u);
                for (int r = 0; r < 4; r++)
                    for (int c = 0; c < 4; c++) {
                        cplx want;
                        if (two) {
                            static const int sw[4] = {0, 2, 1, 3};
                            int rr = where ? sw[r] : r, cc = where ? sw[c] : c;
                            want = u[2 * (4 * rr + cc)] + I * u[2 * (4 * rr + cc) + 1];
                        } else {
                            int hi = !where; /* the gate's bit: 1 (w0) or 0 (w1) */
                            int gr = hi ? r >> 1 : r & 1, gc = hi ? c >> 1 : c & 1;
                            int orr = hi ? r & 1 : r >> 1, oc = hi ? c & 1 : c >> 1;
                            want = orr != oc ? 0 : u[2 * (2 * gr + gc)] + I * u[2 * (2 * gr + gc) + 1];
                        }
                        assert_close(m[2 * (4 * r + c)], creal(want), 1e-15);
                        assert_close(m[2 * (4 * r + c) + 1], cimag(want), 1e-15);
                    }
                for (int k = 0; k < ir_gate_n_angles((ir_gate)g); k++) {
                    double d[32], mp[32], mm[32], a2[3];
                    assert_int_equal(ir_pair_matrix(&op, 2, 5, ang, k, d), 0);
                    memcpy(a2, ang, sizeof a2);
                    a2[k] += h;
                    ir_pair_matrix(&op, 2, 5, a2, -1, mp);
                    a2[k] -= 2 * h;
                    ir_pair_matrix(&op, 2, 5, a2, -1, mm);
                    for (int i = 0; i < 32; i++)
                        assert_close(d[i], (mp[i] - mm[i]) / (2 * h), 1e-8);
                }
                op.wires[0] = 3; /* outside the pair */
                assert_int_equal(ir_pair_matrix(&op, 2, 5, ang, -1, m), -1);
            }
        }
    double m[32], a = 0.7;
    ir_op mz = {0};
    mz.gate = IR_MULTIRZ;
    mz.mask = 1u << 2 | 1u << 5;
    assert_int_equal(ir_pair_matrix(&mz, 2, 5, &a, -1, m), 0);
    for (int b = 0; b < 4; b++) { /* e^{-i a/2} on even parity, e^{+i a/2} on odd */
        double s = (b == 1 || b == 2) ? 1 : -1;
        assert_close(m[2 * (5 * b)], cos(a / 2), 1e-15);
        assert_close(m[2 * (5 * b) + 1], s * sin(a / 2), 1e-15);
    }
    mz.mask = 1u << 5; /* RZ on w1 */
    assert_int_equal(ir_pair_matrix(&mz, 2, 5, &a, -1, m), 0);
    assert_close(m[2 * 5 + 1], sin(a / 2), 1e-15);  /* |0 1>: odd */
    assert_close(m[2 * 10 + 1], -sin(a / 2), 1e-15); /* |1 0>: even on w1 */
    mz.mask = 1u << 3;
    assert_int_equal(ir_pair_matrix(&mz, 2, 5, &a, -1, m), -1);
}

/* U U^dagger = I for every primitive gate at random angles. */
static void test_unitary(void **state) {
    (void)state;
    for (int g = 0; g < IR_FUSED_1Q; g++)
        for (int rep = 0; rep < 10; rep++) {
            double ang[3];
            cplx u[16];
            random_angles(ang);
            matrix_of((ir_gate)g, ang, u);
            int d = gate_dim((ir_gate)g);
            for (int r = 0; r < d; r++)
                for (int c = 0; c < d; c++) {
                    cplx s = 0;
                    for (int k = 0; k < d; k++)
                        s += u[r * d + k] * conj(u[c * d + k]);
                    assert_close(creal(s), r == c, 1e-14);
                    assert_close(cimag(s), 0, 1e-14);
                }
        }
}

/* Diagonal gates really have zero off-diagonal entries. */
static void test_diagonal_flag(void **state) {
    (void)state;
    for (int g = 0; g < IR_FUSED_1Q; g++) {
        double ang[3];
        cplx u[16];
        random_angles(ang);
        matrix_of((ir_gate)g, ang, u);
        int d = gate_dim((ir_gate)g), off = 0;
        for (int r = 0; r < d; r++)
            for (int c = 0; c < d; c++)
                off |= r != c && cabs(u[r * d + c]) > 0;
        assert_int_equal(off, !ir_gate_is_diagonal((ir_gate)g));
    }
}

static void test_deriv_vs_fd(void **state) {
    (void)state;
    const double h = 1e-6;
    for (int g = 0; g < IR_FUSED_1Q; g++)
        for (int rep = 0; rep < 5; rep++) {
            double ang[3], dm[32];
            random_angles(ang);
            int d = gate_dim((ir_gate)g);
            for (int k = 0; k < 3; k++) {
                cplx up[16], dn[16], fd[16], an[16];
                double save = ang[k];
                ang[k] = save + h;
                matrix_of((ir_gate)g, ang, up);
                ang[k] = save - h;
                matrix_of((ir_gate)g, ang, dn);
                ang[k] = save;
                for (int i = 0; i < d * d; i++)
                    fd[i] = (up[i] - dn[i]) / (2 * h);
                ir_gate_matrix_deriv((ir_gate)g, ang, k, dm);
                for (int i = 0; i < d * d; i++)
                    an[i] = dm[2 * i] + I * dm[2 * i + 1];
                /* angles beyond the gate's count have zero derivative both ways */
                if (k < ir_gate_n_angles((ir_gate)g))
                    assert_mat_close(an, fd, d, 1e-8);
                else
                    for (int i = 0; i < d * d; i++)
                        assert_true(cabs(fd[i]) < 1e-9);
            }
        }
}

static void mul(const cplx *a, const cplx *b, cplx *out) {
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 2; j++)
            out[2 * i + j] = a[2 * i] * b[j] + a[2 * i + 1] * b[2 + j];
}

/* Rot(phi, theta, omega) = RZ(omega) RY(theta) RZ(phi), and PennyLane's closed forms. */
static void test_rot_and_rotations(void **state) {
    (void)state;
    for (int rep = 0; rep < 20; rep++) {
        double ang[3], phi, th, om;
        random_angles(ang);
        phi = ang[0]; th = ang[1]; om = ang[2];
        cplx rz1[4], ry[4], rz2[4], t[4], prod[4], rot[4], want[4];
        matrix_of(IR_RZ, &phi, rz1);
        matrix_of(IR_RY, &th, ry);
        matrix_of(IR_RZ, &om, rz2);
        mul(ry, rz1, t);
        mul(rz2, t, prod);
        matrix_of(IR_ROT, ang, rot);
        assert_mat_close(rot, prod, 2, 1e-14);
        double c = cos(th / 2), s = sin(th / 2);
        want[0] = cexp(-I * (phi + om) / 2) * c;
        want[1] = -cexp(I * (phi - om) / 2) * s;
        want[2] = cexp(-I * (phi - om) / 2) * s;
        want[3] = cexp(I * (phi + om) / 2) * c;
        assert_mat_close(rot, want, 2, 1e-14);

        double a = ang[0];
        cplx rx[4], rx_want[4] = {cos(a / 2), -I * sin(a / 2), -I * sin(a / 2), cos(a / 2)};
        matrix_of(IR_RX, &a, rx);
        assert_mat_close(rx, rx_want, 2, 1e-15);
        cplx ry_want[4] = {cos(a / 2), -sin(a / 2), sin(a / 2), cos(a / 2)}, ry2[4];
        matrix_of(IR_RY, &a, ry2);
        assert_mat_close(ry2, ry_want, 2, 1e-15);
        cplx rz_want[4] = {cexp(-I * a / 2), 0, 0, cexp(I * a / 2)}, rz3[4];
        matrix_of(IR_RZ, &a, rz3);
        assert_mat_close(rz3, rz_want, 2, 1e-15);
        cplx ph_want[4] = {1, 0, 0, cexp(I * a)}, ph[4];
        matrix_of(IR_PHASE, &a, ph);
        assert_mat_close(ph, ph_want, 2, 1e-15);

        /* U3 closed form and its special cases: U3(t, -pi/2, pi/2) = RX(t), U3(t,0,0) = RY(t) */
        double ut = ang[0], up = ang[1], ul = ang[2]; /* U3(theta, phi, lambda) */
        cplx u3[4], u3_want[4] = {cos(ut / 2), -cexp(I * ul) * sin(ut / 2),
                                  cexp(I * up) * sin(ut / 2), cexp(I * (up + ul)) * cos(ut / 2)};
        matrix_of(IR_U3, ang, u3);
        assert_mat_close(u3, u3_want, 2, 1e-14);
        double rxa[3] = {a, -PI / 2, PI / 2}, rya[3] = {a, 0, 0};
        matrix_of(IR_U3, rxa, u3);
        assert_mat_close(u3, rx_want, 2, 1e-14);
        matrix_of(IR_U3, rya, u3);
        assert_mat_close(u3, ry_want, 2, 1e-14);
    }
}

static void test_fixed_gates(void **state) {
    (void)state;
    cplx u[16], v[16], w[4];
    /* SX^2 = X, S^2 = Z, T^2 = S, H^2 = I */
    static const ir_gate sq[][2] = {{IR_SX, IR_X}, {IR_S, IR_Z}, {IR_T, IR_S}};
    for (int k = 0; k < 3; k++) {
        matrix_of(sq[k][0], NULL, u);
        matrix_of(sq[k][1], NULL, v);
        mul(u, u, w);
        assert_mat_close(w, v, 2, 1e-15);
    }
    cplx sx_want[4] = {(1 + I) / 2, (1 - I) / 2, (1 - I) / 2, (1 + I) / 2};
    matrix_of(IR_SX, NULL, u);
    assert_mat_close(u, sx_want, 2, 0);
    cplx y_want[4] = {0, -I, I, 0};
    matrix_of(IR_Y, NULL, u);
    assert_mat_close(u, y_want, 2, 0);
    cplx t_want[4] = {1, 0, 0, cexp(I * PI / 4)};
    matrix_of(IR_T, NULL, u);
    assert_mat_close(u, t_want, 2, 1e-16);

    /* two-qubit gates in basis |w0 w1>, index 2*b0 + b1; control = w0 */
    cplx cnot[16] = {1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1, 0, 0, 1, 0};
    matrix_of(IR_CNOT, NULL, u);
    assert_mat_close(u, cnot, 4, 0);
    cplx cz[16] = {1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, -1};
    matrix_of(IR_CZ, NULL, u);
    assert_mat_close(u, cz, 4, 0);
    cplx cy[16] = {1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, -I, 0, 0, I, 0};
    matrix_of(IR_CY, NULL, u);
    assert_mat_close(u, cy, 4, 0);
    cplx swap[16] = {1, 0, 0, 0, 0, 0, 1, 0, 0, 1, 0, 0, 0, 0, 0, 1};
    matrix_of(IR_SWAP, NULL, u);
    assert_mat_close(u, swap, 4, 0);
    static const ir_gate ctl[][2] = {{IR_CRX, IR_RX}, {IR_CRY, IR_RY}, {IR_CRZ, IR_RZ},
                                     {IR_CPHASE, IR_PHASE}};
    for (int k = 0; k < 4; k++) {
        double a = urand(-PI, PI);
        matrix_of(ctl[k][0], &a, u);
        matrix_of(ctl[k][1], &a, w);
        cplx want[16] = {1, 0, 0, 0, 0, 1, 0, 0, 0, 0, w[0], w[1], 0, 0, w[2], w[3]};
        assert_mat_close(u, want, 4, 0);
    }
}

/* ---- expressions ---- */

static const ir_expr_kind all_kinds[] = {
    IR_EXPR_ADD, IR_EXPR_SUB, IR_EXPR_MUL, IR_EXPR_DIV, IR_EXPR_NEG, IR_EXPR_SIN,
    IR_EXPR_COS, IR_EXPR_TAN, IR_EXPR_EXP, IR_EXPR_LOG, IR_EXPR_SQRT, IR_EXPR_TANH,
    IR_EXPR_ATAN, IR_EXPR_ASIN, IR_EXPR_ACOS, IR_EXPR_ATAN2, IR_EXPR_STEP};
#define N_KINDS ((int)(sizeof all_kinds / sizeof all_kinds[0]))

/* A random expression rooted at `kind` whose operands keep it inside its smooth domain
 * (log and sqrt of 1 + a^2, asin/acos of 0.9 tanh a, tan of tanh a, exp of tanh a, a / (1 + b^2),
 * atan2(a, 1 + b^2): away from the origin and the branch cut). */
static int random_expr(ir_circuit *c, int depth, int root_kind);

static int random_leaf(ir_circuit *c) {
    switch (rand() % 3) {
    case 0: return ir_const(c, urand(-2, 2));
    case 1: return ir_param(c, rand() % 4);
    default: return ir_input(c, rand() % 3);
    }
}

static int random_sub(ir_circuit *c, int depth) {
    if (depth <= 0 || rand() % 4 == 0)
        return random_leaf(c);
    return random_expr(c, depth - 1, N_KINDS == 0 ? 0 : (int)all_kinds[rand() % N_KINDS]);
}

static int one_plus_sq(ir_circuit *c, int a) {
    return ir_binary(c, IR_EXPR_ADD, ir_const(c, 1.0), ir_binary(c, IR_EXPR_MUL, a, a));
}

static int random_expr(ir_circuit *c, int depth, int root_kind) {
    ir_expr_kind k = (ir_expr_kind)root_kind;
    int a = random_sub(c, depth);
    switch (k) {
    case IR_EXPR_ADD: case IR_EXPR_SUB: case IR_EXPR_MUL:
        return ir_binary(c, k, a, random_sub(c, depth));
    case IR_EXPR_DIV: case IR_EXPR_ATAN2: return ir_binary(c, k, a, one_plus_sq(c, random_sub(c, depth)));
    case IR_EXPR_LOG: case IR_EXPR_SQRT: return ir_unary(c, k, one_plus_sq(c, a));
    case IR_EXPR_ASIN: case IR_EXPR_ACOS:
        return ir_unary(c, k, ir_binary(c, IR_EXPR_MUL, ir_const(c, 0.9),
                                        ir_unary(c, IR_EXPR_TANH, a)));
    case IR_EXPR_TAN: case IR_EXPR_EXP: return ir_unary(c, k, ir_unary(c, IR_EXPR_TANH, a));
    default: return ir_unary(c, k, a);
    }
}

static void test_eval_simple(void **state) {
    (void)state;
    ir_circuit *c = ir_new("e", 1, 2);
    double p[2] = {0.5, -1.25}, x[2] = {2.0, 3.0};
    int e = ir_binary(c, IR_EXPR_ADD, ir_binary(c, IR_EXPR_MUL, ir_param(c, 0), ir_input(c, 1)),
                      ir_unary(c, IR_EXPR_NEG, ir_unary(c, IR_EXPR_SIN, ir_param(c, 1))));
    assert_close(ir_eval(c, e, p, x), 0.5 * 3.0 - sin(-1.25), 1e-15);
    assert_true(c->exprs[e].uses_param && c->exprs[e].uses_input);
    int k = ir_unary(c, IR_EXPR_COS, ir_const(c, 1.0));
    assert_false(c->exprs[k].uses_param || c->exprs[k].uses_input);
    assert_close(ir_eval(c, k, NULL, NULL), cos(1.0), 0);
    int in = ir_binary(c, IR_EXPR_DIV, ir_input(c, 0), ir_const(c, 4));
    assert_true(c->exprs[in].uses_input && !c->exprs[in].uses_param);
    assert_true(isnan(ir_eval(c, in, p, NULL))); /* a used leaf with no vector shows */
    double dp[2] = {0, 0}, dx[2] = {0, 0};
    ir_eval_grad(c, e, p, x, 2.0, dp, dx);
    assert_close(dp[0], 2 * 3.0, 1e-15);
    assert_close(dp[1], -2 * cos(-1.25), 1e-15);
    assert_close(dx[0], 0, 0);
    assert_close(dx[1], 2 * 0.5, 1e-15);
    ir_free(c);
}

/* Reverse mode against central differences, every kind at the root and random below. */
static void test_eval_grad_fd(void **state) {
    (void)state;
    const double h = 1e-6;
    for (int kind = 0; kind < N_KINDS; kind++)
        for (int rep = 0; rep < 40; rep++) {
            ir_circuit *c = ir_new("g", 1, 3);
            int e = random_expr(c, 3, (int)all_kinds[kind]);
            double p[4], x[3], dp[4] = {0}, dx[3] = {0};
            for (int i = 0; i < 4; i++)
                p[i] = urand(-1.5, 1.5);
            for (int i = 0; i < 3; i++)
                x[i] = urand(-1.5, 1.5);
            double v = ir_eval(c, e, p, x);
            assert_false(isnan(v));
            ir_eval_grad(c, e, p, x, 0.75, dp, dx);
            for (int i = 0; i < 7; i++) {
                double *leaf = i < 4 ? &p[i] : &x[i - 4], save = *leaf;
                *leaf = save + h;
                double up = ir_eval(c, e, p, x);
                *leaf = save - h;
                double dn = ir_eval(c, e, p, x);
                *leaf = save;
                double fd = 0.75 * (up - dn) / (2 * h), an = i < 4 ? dp[i] : dx[i - 4];
                if (!(fabs(fd - an) <= 1e-5 * fmax(1, fabs(fd))))
                    fail_msg("kind %d rep %d leaf %d: reverse %.12g, fd %.12g",
                             (int)all_kinds[kind], rep, i, an, fd);
            }
            /* flags: a node uses what its operands use */
            for (int n = 0; n < c->n_exprs; n++) {
                const ir_expr *ex = &c->exprs[n];
                if (ex->a < 0)
                    continue;
                int ui = c->exprs[ex->a].uses_input | (ex->b >= 0 ? c->exprs[ex->b].uses_input : 0);
                int up_ = c->exprs[ex->a].uses_param | (ex->b >= 0 ? c->exprs[ex->b].uses_param : 0);
                assert_int_equal(ex->uses_input, ui);
                assert_int_equal(ex->uses_param, up_);
            }
            ir_free(c);
        }
}

static void test_grad_null_targets(void **state) {
    (void)state;
    ir_circuit *c = ir_new("n", 1, 1);
    int e = ir_binary(c, IR_EXPR_MUL, ir_param(c, 0), ir_input(c, 0));
    double p = 3, x = 5, dp = 1, dx = 0;
    ir_eval_grad(c, e, &p, &x, 1.0, &dp, NULL); /* accumulates */
    assert_close(dp, 1 + 5, 0);
    ir_eval_grad(c, e, &p, &x, 1.0, NULL, &dx);
    assert_close(dx, 3, 0);
    ir_free(c);
}

/* ---- circuits ---- */

static void test_build_print_clone(void **state) {
    (void)state;
    ir_circuit *c = ir_new("demo", 4, 4);
    int shape[2] = {4, 3};
    int off = ir_add_tensor(c, "w", 2, shape, IR_INIT_UNIFORM, 0, 6.28);
    assert_int_equal(off, 0);
    assert_int_equal(c->n_params, 12);
    int op = ir_add_gate(c, IR_RZ, 3, -1, ir_input(c, 3), -1, -1);
    ir_set_loc(c, op, 7, 5);
    ir_add_gate(c, IR_ROT, 1, -1, ir_param(c, 3), ir_param(c, 4),
                ir_binary(c, IR_EXPR_SUB, ir_param(c, 5),
                          ir_binary(c, IR_EXPR_ADD, ir_const(c, 1), ir_input(c, 0))));
    ir_add_gate(c, IR_CNOT, 0, 2, -1, -1, -1);
    ir_add_gate(c, IR_H, 0, -1, -1, -1, -1);
    ir_begin_observable(c);
    ir_add_term(c, 0.5, "ZIIX");
    ir_add_term(c, -2, "IYII");
    assert_int_equal(c->terms[0].z_mask, 1u << 0);
    assert_int_equal(c->terms[0].x_mask, 1u << 3);
    assert_int_equal(c->terms[1].x_mask, 1u << 1);
    assert_int_equal(c->terms[1].z_mask, 1u << 1);
    assert_int_equal(c->obs[0].n_terms, 2);
    assert_int_equal(ir_depth(c), 2);
    int counts[IR_GATE_COUNT];
    ir_count_gates(c, counts);
    assert_int_equal(counts[IR_RZ], 1);
    assert_int_equal(counts[IR_CNOT], 1);
    assert_int_equal(counts[IR_X], 0);
    assert_true(ir_op_uses_input(c, &c->ops[0]));
    assert_false(ir_op_uses_input(c, &c->ops[2]));
    assert_int_equal(ir_op_wire_mask(c, &c->ops[2]), 5u);

    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    ir_print(c, f);
    fclose(f);
    assert_non_null(strstr(buf, "rz(x[3]) q[3]\n"));
    assert_non_null(strstr(buf, "rot(w[1][0], w[1][1], w[1][2] - (1 + x[0])) q[1]\n"));
    assert_non_null(strstr(buf, "cnot q[0], q[2]\n"));
    assert_non_null(strstr(buf, "0.5*ZIIX -2*IYII"));
    free(buf);

    ir_circuit *d = ir_clone(c);
    ir_free(c); /* the clone owns its own arrays */
    assert_int_equal(d->n_ops, 4);
    assert_int_equal(d->ops[0].src_line, 7);
    assert_string_equal(d->tensors[0].name, "w");
    assert_string_equal(d->name, "demo");
    ir_add_gate(d, IR_X, 1, -1, -1, -1, -1); /* still growable */
    assert_int_equal(d->n_ops, 5);
    ir_free(d);
}

static void test_fused_helpers(void **state) {
    (void)state;
    ir_circuit *c = ir_new("f", 3, 0);
    ir_op m[2];
    int a = ir_add_gate(c, IR_CZ, 0, 2, -1, -1, -1);
    int b = ir_add_gate(c, IR_RZ, 1, -1, ir_param(c, 0), -1, -1);
    ir_set_loc(c, a, 3, 9);
    m[0] = c->ops[a];
    m[1] = c->ops[b];
    c->n_ops = 0;
    int f = ir_add_fused(c, IR_FUSED_DIAG, m, 2);
    assert_int_equal(c->ops[f].n_members, 2);
    assert_int_equal(ir_op_wire_mask(c, &c->ops[f]), 7u);
    assert_int_equal(c->ops[f].src_line, 3);
    assert_int_equal(c->ops[f].wires[0], 0);
    assert_int_equal(c->ops[f].wires[1], 2);
    assert_int_equal(ir_depth(c), 1);
    char *buf = NULL;
    size_t len = 0;
    FILE *fp = open_memstream(&buf, &len);
    ir_print(c, fp);
    fclose(fp);
    assert_non_null(strstr(buf, "fuseddiag q[0], q[1], q[2]\n      cz q[0], q[2]\n      rz(p[0]) q[1]\n"));
    free(buf);
    double mm[8];
    ir_gate_matrix(IR_FUSED_1Q, NULL, mm);
    assert_true(isnan(mm[0]));
    ir_free(c);
}

/* A variance output prints both of its term ranges, survives ir_clone, and ir_obs_value /
 * ir_obs_weights implement <O^2> - <O>^2 and its derivative. */
static void test_var_observable(void **state) {
    (void)state;
    ir_circuit *c = ir_new("v", 2, 0);
    ir_begin_observable(c);
    ir_add_term(c, 0.5, "ZI");
    ir_begin_var(c);
    ir_add_term(c, 2.0, "II");
    ir_add_term(c, 2.0, "ZZ");
    ir_var_linear(c);
    ir_add_term(c, 1.0, "ZI");
    ir_add_term(c, 1.0, "IZ");
    char *t = ir_to_text(c);
    assert_non_null(strstr(t, "  observable 0 = 0.5*ZI\n"));
    assert_non_null(strstr(t, "  observable 1 = var( 1*ZI +1*IZ ), squared 2*II +2*ZZ\n"));
    ir_circuit *d = ir_clone(c);
    char *u = ir_to_text(d);
    assert_string_equal(t, u);
    const double tv[5] = {0.3, 1.0, 0.2, 0.6, -0.1};
    assert_close(ir_obs_value(c, 0, tv), 0.15, 1e-15);
    assert_close(ir_obs_value(c, 1, tv), 2 + 0.4 - 0.25, 1e-15);
    double w[5] = {0};
    ir_obs_weights(c, 1, tv, 2.0, w);
    assert_close(w[1], 4.0, 0);
    assert_close(w[2], 4.0, 0);
    assert_close(w[3], -2 * 2.0 * 0.5, 1e-15);
    assert_close(w[4], -2 * 2.0 * 0.5, 1e-15);
    assert_close(w[0], 0, 0);
    free(t);
    free(u);
    ir_free(c);
    ir_free(d);
}

int main(void) {
    srand(12345);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gate_names),
        cmocka_unit_test(test_pair_matrix),
        cmocka_unit_test(test_unitary),
        cmocka_unit_test(test_diagonal_flag),
        cmocka_unit_test(test_deriv_vs_fd),
        cmocka_unit_test(test_rot_and_rotations),
        cmocka_unit_test(test_fixed_gates),
        cmocka_unit_test(test_eval_simple),
        cmocka_unit_test(test_eval_grad_fd),
        cmocka_unit_test(test_grad_null_targets),
        cmocka_unit_test(test_build_print_clone),
        cmocka_unit_test(test_fused_helpers),
        cmocka_unit_test(test_var_observable),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
