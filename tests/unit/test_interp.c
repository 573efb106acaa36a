/* Unit tests of the reference interpreter (compiler/interp.c) against closed forms and an
 * independent dense-matrix (Kronecker product) simulation written here. */
#include "testutil.h"

#include <complex.h>

#include "interp.h"
#include "ir.h"

typedef double complex cplx;

static const double PI = 3.14159265358979323846;

static double urand(double lo, double hi) {
    return lo + (hi - lo) * ((double)rand() / RAND_MAX);
}

static int gate1(ir_circuit *c, ir_gate g, int w, int angle) {
    return ir_add_gate(c, g, w, -1, angle, -1, -1);
}

/* Adds an observable with one Pauli term. */
static void obs1(ir_circuit *c, double coef, const char *p) {
    ir_begin_observable(c);
    ir_add_term(c, coef, p);
}

static void test_bell(void **state) {
    (void)state;
    ir_circuit *c = ir_new("bell", 2, 0);
    gate1(c, IR_H, 0, -1);
    ir_add_gate(c, IR_CNOT, 0, 1, -1, -1, -1);
    obs1(c, 1, "ZZ");
    obs1(c, 1, "ZI");
    obs1(c, 1, "XX");
    obs1(c, 1, "YY");
    obs1(c, 2, "XY");
    cplx psi[4];
    interp_state(c, NULL, NULL, psi);
    const double r = 1 / sqrt(2.0);
    assert_close(creal(psi[0]), r, 1e-15);
    assert_close(creal(psi[3]), r, 1e-15);
    assert_close(cabs(psi[1]) + cabs(psi[2]), 0, 1e-15);
    double out[5];
    interp_forward(c, NULL, NULL, out);
    assert_close(out[0], 1, 1e-14);
    assert_close(out[1], 0, 1e-14);
    assert_close(out[2], 1, 1e-14);
    assert_close(out[3], -1, 1e-14);
    assert_close(out[4], 0, 1e-14);
    ir_free(c);
}

/* Wire 0 is the most significant bit; CNOT's first wire is the control. */
static void test_wire_order(void **state) {
    (void)state;
    ir_circuit *c = ir_new("order", 3, 0);
    gate1(c, IR_X, 0, -1);
    cplx psi[8];
    interp_state(c, NULL, NULL, psi);
    assert_close(creal(psi[4]), 1, 0); /* |100> */
    ir_add_gate(c, IR_CNOT, 0, 2, -1, -1, -1);
    interp_state(c, NULL, NULL, psi);
    assert_close(creal(psi[5]), 1, 0); /* |101> */
    ir_add_gate(c, IR_CNOT, 1, 0, -1, -1, -1); /* control wire 1 is 0: nothing happens */
    ir_add_gate(c, IR_SWAP, 0, 1, -1, -1, -1);
    interp_state(c, NULL, NULL, psi);
    assert_close(creal(psi[3]), 1, 0); /* |011> */
    ir_add_gate(c, IR_CNOT, 2, 0, -1, -1, -1);
    interp_state(c, NULL, NULL, psi);
    assert_close(creal(psi[7]), 1, 0); /* |111> */
    obs1(c, 1, "ZII");
    obs1(c, 1, "IZI");
    double out[2];
    interp_forward(c, NULL, NULL, out);
    assert_close(out[0], -1, 0);
    assert_close(out[1], -1, 0);
    ir_free(c);
}

static void test_closed_forms(void **state) {
    (void)state;
    for (int rep = 0; rep < 20; rep++) {
        double a = urand(-PI, PI), b = urand(-PI, PI);
        double p[2] = {a, b};
        double out[3];
        ir_circuit *c = ir_new("rx", 1, 0);
        gate1(c, IR_RX, 0, ir_param(c, 0));
        obs1(c, 1, "Z");
        obs1(c, 1, "Y");
        obs1(c, 1, "X");
        interp_forward(c, p, NULL, out);
        assert_close(out[0], cos(a), 1e-14);
        assert_close(out[1], -sin(a), 1e-14);
        assert_close(out[2], 0, 1e-14);
        ir_free(c);

        c = ir_new("ryrz", 1, 0); /* RY(a) then RZ(b): the Bloch vector turns about z */
        gate1(c, IR_RY, 0, ir_param(c, 0));
        gate1(c, IR_RZ, 0, ir_param(c, 1));
        obs1(c, 1, "X");
        obs1(c, 1, "Y");
        obs1(c, 1, "Z");
        interp_forward(c, p, NULL, out);
        assert_close(out[0], sin(a) * cos(b), 1e-14);
        assert_close(out[1], sin(a) * sin(b), 1e-14);
        assert_close(out[2], cos(a), 1e-14);
        ir_free(c);

        c = ir_new("hrzh", 1, 0);
        gate1(c, IR_H, 0, -1);
        gate1(c, IR_RZ, 0, ir_param(c, 0));
        gate1(c, IR_H, 0, -1);
        obs1(c, 1, "Z");
        interp_forward(c, p, NULL, out);
        assert_close(out[0], cos(a), 1e-14);
        ir_free(c);

        /* re-uploading with an input: RX(x) RY(w) RX(x) on |0>: <Z> in closed form */
        c = ir_new("reup", 1, 1);
        int x = ir_input(c, 0);
        gate1(c, IR_RX, 0, x);
        gate1(c, IR_RY, 0, ir_param(c, 0));
        gate1(c, IR_RX, 0, ir_binary(c, IR_EXPR_MUL, ir_const(c, 2), x));
        obs1(c, 1, "Z");
        double xin = b;
        interp_forward(c, p, &xin, out);
        /* Bloch vector after RX(x): (0, -sin x, cos x); RY(w): (cos x sin w, -sin x,
         * cos x cos w); RX(2x) rotates y,z: z' = sin 2x * y + cos 2x * z */
        double want = sin(2 * xin) * -sin(xin) + cos(2 * xin) * cos(xin) * cos(a);
        assert_close(out[0], want, 1e-14);
        ir_free(c);

        /* U3(t, p, l)|0> = (cos t/2, e^{ip} sin t/2): Bloch vector (sin t cos p, sin t sin p,
         * cos t), whatever l is */
        c = ir_new("u3", 1, 0);
        ir_add_gate(c, IR_U3, 0, -1, ir_param(c, 0), ir_param(c, 1), ir_const(c, 0.3));
        obs1(c, 1, "X");
        obs1(c, 1, "Y");
        obs1(c, 1, "Z");
        interp_forward(c, p, NULL, out);
        assert_close(out[0], sin(a) * cos(b), 1e-14);
        assert_close(out[1], sin(a) * sin(b), 1e-14);
        assert_close(out[2], cos(a), 1e-14);
        ir_free(c);

        /* PhaseShift between Hadamards: <Z> = cos a */
        c = ir_new("ph2", 1, 0);
        gate1(c, IR_H, 0, -1);
        gate1(c, IR_PHASE, 0, ir_param(c, 0));
        gate1(c, IR_H, 0, -1);
        obs1(c, 1, "Z");
        interp_forward(c, p, NULL, out);
        assert_close(out[0], cos(a), 1e-14);
        ir_free(c);
    }
}

/* ---- an independent dense simulator: full 2^n x 2^n matrices from Kronecker products ---- */

typedef struct {
    int dim;
    cplx *m;
} dense;

static dense dense_new(int dim) {
    dense d = {dim, calloc((size_t)dim * dim, sizeof(cplx))};
    return d;
}

/* I (x) ... (x) u (x) ... (x) I with u on wire w, wire 0 leftmost (most significant). */
static dense kron_on_wire(int n, int w, const cplx u[4]) {
    dense r = dense_new(1);
    r.m[0] = 1;
    for (int q = 0; q < n; q++) {
        cplx id[4] = {1, 0, 0, 1};
        const cplx *f = q == w ? u : id;
        dense t = dense_new(r.dim * 2);
        for (int i = 0; i < r.dim; i++)
            for (int j = 0; j < r.dim; j++)
                for (int a = 0; a < 2; a++)
                    for (int b = 0; b < 2; b++)
                        t.m[(size_t)(2 * i + a) * t.dim + (2 * j + b)] =
                            r.m[(size_t)i * r.dim + j] * f[2 * a + b];
        free(r.m);
        r = t;
    }
    return r;
}

static void dense_apply(const dense *d, cplx *v) {
    cplx *t = calloc((size_t)d->dim, sizeof *t);
    for (int i = 0; i < d->dim; i++)
        for (int j = 0; j < d->dim; j++)
            t[i] += d->m[(size_t)i * d->dim + j] * v[j];
    memcpy(v, t, (size_t)d->dim * sizeof *v);
    free(t);
}

/* PennyLane's closed form of Rot, written independently of ir.c's product. */
static void rot_closed(double phi, double th, double om, cplx u[4]) {
    double c = cos(th / 2), s = sin(th / 2);
    u[0] = cexp(-I * (phi + om) / 2) * c;
    u[1] = -cexp(I * (phi - om) / 2) * s;
    u[2] = cexp(-I * (phi - om) / 2) * s;
    u[3] = cexp(I * (phi + om) / 2) * c;
}

/* StronglyEntanglingLayers(w[L][n][3], imprimitive CZ) as IR, params w flattened. */
static void add_sel(ir_circuit *c, int n, int L, int off) {
    for (int l = 0; l < L; l++) {
        for (int i = 0; i < n; i++) {
            int b = off + (l * n + i) * 3;
            ir_add_gate(c, IR_ROT, i, -1, ir_param(c, b), ir_param(c, b + 1), ir_param(c, b + 2));
        }
        if (n > 1) {
            int r = l % (n - 1) + 1;
            for (int i = 0; i < n; i++)
                ir_add_gate(c, IR_CZ, i, (i + r) % n, -1, -1, -1);
        }
    }
}

static void test_sel_dense(void **state) {
    (void)state;
    const int n = 3, L = 2, dim = 8;
    for (int rep = 0; rep < 10; rep++) {
        ir_circuit *c = ir_new("sel", n, 0);
        add_sel(c, n, L, 0);
        for (int j = 0; j < n; j++) {
            char p[4] = "III";
            p[j] = 'Z';
            obs1(c, 1, p);
        }
        double w[18];
        for (int i = 0; i < 18; i++)
            w[i] = urand(0, 2 * PI);
        cplx psi[8], ref[8] = {1};
        interp_state(c, w, NULL, psi);
        for (int l = 0; l < L; l++) {
            for (int i = 0; i < n; i++) {
                cplx u[4];
                const double *a = &w[(l * n + i) * 3];
                rot_closed(a[0], a[1], a[2], u);
                dense d = kron_on_wire(n, i, u);
                dense_apply(&d, ref);
                free(d.m);
            }
            int r = l % (n - 1) + 1; /* l = 0: ring (0,1),(1,2),(2,0); l = 1: (0,2),(1,0),(2,1) */
            for (int i = 0; i < n; i++) {
                int a = i, b = (i + r) % n;
                for (int k = 0; k < dim; k++)
                    if ((k >> (n - 1 - a) & 1) && (k >> (n - 1 - b) & 1))
                        ref[k] = -ref[k];
            }
        }
        for (int k = 0; k < dim; k++) {
            assert_close(creal(psi[k]), creal(ref[k]), 1e-13);
            assert_close(cimag(psi[k]), cimag(ref[k]), 1e-13);
        }
        double out[3];
        interp_forward(c, w, NULL, out);
        for (int j = 0; j < n; j++) {
            double e = 0;
            for (int k = 0; k < dim; k++)
                e += (k >> (n - 1 - j) & 1 ? -1 : 1) * creal(ref[k] * conj(ref[k]));
            assert_close(out[j], e, 1e-13);
        }
        ir_free(c);
    }
    /* by hand: theta = pi on wire 0 in layer 0 (a bit flip up to phases), all else 0; the CZs
     * only change phases, so <Z> = (-1, 1, 1) */
    ir_circuit *c = ir_new("sel", n, 0);
    add_sel(c, n, L, 0);
    obs1(c, 1, "ZII");
    obs1(c, 1, "IZI");
    obs1(c, 1, "IIZ");
    double w[18] = {0, PI, 0}, out[3];
    interp_forward(c, w, NULL, out);
    assert_close(out[0], -1, 1e-14);
    assert_close(out[1], 1, 1e-14);
    assert_close(out[2], 1, 1e-14);
    ir_free(c);
}

/* ---- Pauli products against dense Kronecker products ---- */

static void random_circuit(ir_circuit *c, int n_gates) {
    int n = c->n_qubits;
    for (int k = 0; k < n_gates; k++) {
        int g = rand() % IR_FUSED_1Q, w0 = rand() % n, w1 = -1;
        if (ir_gate_arity((ir_gate)g) == 2) {
            if (n < 2)
                continue;
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

static void test_pauli_products(void **state) {
    (void)state;
    static const cplx pm[4][4] = {{1, 0, 0, 1}, {0, 1, 1, 0}, {0, -I, I, 0}, {1, 0, 0, -1}};
    for (int rep = 0; rep < 30; rep++) {
        int n = 1 + rand() % 4, dim = 1 << n;
        ir_circuit *c = ir_new("p", n, 0);
        random_circuit(c, 12);
        double p[6];
        for (int i = 0; i < 6; i++)
            p[i] = urand(-3, 3);
        cplx *psi = calloc((size_t)dim, sizeof *psi), *t = calloc((size_t)dim, sizeof *t);
        interp_state(c, p, NULL, psi);
        char letters[8] = {0};
        uint32_t xm = 0, zm = 0;
        memcpy(t, psi, (size_t)dim * sizeof *t);
        for (int w = 0; w < n; w++) {
            int k = rand() % 4;
            letters[w] = "IXYZ"[k];
            dense d = kron_on_wire(n, w, pm[k]);
            dense_apply(&d, t);
            free(d.m);
            xm |= (uint32_t)(k == 1 || k == 2) << w;
            zm |= (uint32_t)(k == 2 || k == 3) << w;
        }
        cplx e = 0;
        for (int i = 0; i < dim; i++)
            e += conj(psi[i]) * t[i];
        assert_close(interp_pauli_expect(n, xm, zm, psi), creal(e), 1e-13);
        obs1(c, -1.5, letters);
        assert_int_equal(c->terms[0].x_mask, xm);
        assert_int_equal(c->terms[0].z_mask, zm);
        assert_close(interp_expect(c, 0, psi), -1.5 * creal(e), 1e-13);
        free(psi);
        free(t);
        ir_free(c);
    }
}

/* ---- gradients: adjoint vs finite differences ---- */

static void test_vjp(void **state) {
    (void)state;
    for (int rep = 0; rep < 25; rep++) {
        int n = 1 + rand() % 4, n_in = 1 + rand() % 3, B = 1 + rand() % 3;
        ir_circuit *c = ir_new("v", n, n_in);
        random_circuit(c, 15);
        int n_obs = 1 + rand() % 3;
        for (int k = 0; k < n_obs; k++) {
            ir_begin_observable(c);
            for (int t = 0; t < 1 + rand() % 2; t++) {
                char letters[8] = {0};
                for (int w = 0; w < n; w++)
                    letters[w] = "IXYZ"[rand() % 4];
                ir_add_term(c, urand(-1, 1), letters);
            }
        }
        double p[6], x[9], g[9], gp[6], gp_fd[6], gx[9], gx_fd[9];
        for (int i = 0; i < 6; i++) {
            p[i] = urand(-3, 3);
            gp[i] = gp_fd[i] = 0.25 * i; /* grad_params accumulates */
        }
        for (int i = 0; i < 9; i++) {
            x[i] = urand(-3, 3);
            g[i] = urand(-1, 1);
            gx[i] = gx_fd[i] = 99; /* grad_inputs is overwritten */
        }
        interp_vjp(c, p, x, g, gp, gx, B);
        interp_vjp_fd(c, p, x, g, gp_fd, gx_fd, B, 1e-5);
        for (int i = 0; i < c->n_params; i++)
            assert_close(gp[i], gp_fd[i], 1e-8);
        for (int i = 0; i < B * n_in; i++)
            assert_close(gx[i], gx_fd[i], 1e-8);
        interp_vjp(c, p, x, g, gp, NULL, B); /* grad_inputs may be NULL */
        ir_free(c);
    }
}

/* d<Z>/da after RX(a) is -sin a: a known value for the adjoint. */
static void test_vjp_closed_form(void **state) {
    (void)state;
    ir_circuit *c = ir_new("rx", 1, 1);
    gate1(c, IR_RX, 0, ir_binary(c, IR_EXPR_MUL, ir_param(c, 0), ir_input(c, 0)));
    obs1(c, 1, "Z");
    double p = 0.7, x[2] = {0.5, -1.5}, g[2] = {1, 2}, gp = 0, gx[2];
    interp_vjp(c, &p, x, g, &gp, gx, 2);
    assert_close(gp, -sin(0.35) * 0.5 + 2 * -sin(-1.05) * -1.5, 1e-14);
    assert_close(gx[0], -sin(0.35) * 0.7, 1e-14);
    assert_close(gx[1], 2 * -sin(-1.05) * 0.7, 1e-14);
    double out[2];
    interp_forward_batch(c, &p, x, out, 2);
    assert_close(out[0], cos(0.35), 1e-15);
    assert_close(out[1], cos(-1.05), 1e-15);
    ir_free(c);
}

/* A variance output built by hand: var(Z) after RX(p x) is sin^2(p x), its gradient
 * 2 sin cos times the chain; var(X + Z) after RY(t) is 2 - (sin t + cos t)^2 (X Z + Z X = 0);
 * against the closed forms and central differences. */
static void test_var_closed_form(void **state) {
    (void)state;
    ir_circuit *c = ir_new("var", 1, 1);
    gate1(c, IR_RX, 0, ir_binary(c, IR_EXPR_MUL, ir_param(c, 0), ir_input(c, 0)));
    gate1(c, IR_RY, 0, ir_param(c, 1));
    ir_begin_var(c);
    ir_add_term(c, 1.0, "I");
    ir_var_linear(c);
    ir_add_term(c, 1.0, "Z");
    ir_begin_var(c);
    ir_add_term(c, 2.0, "I");
    ir_var_linear(c);
    ir_add_term(c, 1.0, "X");
    ir_add_term(c, 1.0, "Z");
    assert_int_equal(c->obs[1].kind, IR_OBS_VAR);
    assert_int_equal(c->obs[1].n_terms, 1);
    assert_int_equal(c->obs[1].n_lin, 2);
    double p[2] = {0.7, 0.0}, x = 0.9, out[2];
    interp_forward(c, p, &x, out);
    double a = 0.63;
    assert_close(out[0], sin(a) * sin(a), 1e-15);
    assert_close(out[1], 2 - cos(a) * cos(a), 1e-15); /* RY(0): <X> = 0, <Z> = cos a */
    double g[2] = {1.0, 0.5}, gp[2] = {0}, gx = 0, gpf[2] = {0}, gxf = 0;
    interp_vjp(c, p, &x, g, gp, &gx, 1);
    interp_vjp_fd(c, p, &x, g, gpf, &gxf, 1, 1e-5);
    /* d/da: sin 2a + 0.5 * sin 2a */
    assert_close(gp[0], 1.5 * sin(2 * a) * x, 1e-13);
    assert_close(gx, 1.5 * sin(2 * a) * p[0], 1e-13);
    assert_close(gp[0], gpf[0], 1e-8);
    assert_close(gp[1], gpf[1], 1e-8);
    assert_close(gx, gxf, 1e-8);
    ir_free(c);
}

int main(void) {
    srand(4242);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bell),
        cmocka_unit_test(test_wire_order),
        cmocka_unit_test(test_closed_forms),
        cmocka_unit_test(test_sel_dense),
        cmocka_unit_test(test_pauli_products),
        cmocka_unit_test(test_vjp),
        cmocka_unit_test(test_vjp_closed_form),
        cmocka_unit_test(test_var_closed_form),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
