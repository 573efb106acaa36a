/* Unit tests of the density-matrix code generator (compiler/cg_dm.c): JIT-compiled forward
 * and vjp of random noisy circuits (every gate kind, every channel kind, readout error,
 * trainable and input-dependent strengths, 1 to 4 qubits) against the density-matrix
 * interpreter (compiler/interp_dm.c) at 1e-12 / 1e-10, gradients against central finite
 * differences of the compiled forward in float64, f32 within its tolerance, and the
 * refusals of cg_check. The numpy Kraus-sum reference runs on the compiled path in
 * tests/e2e/noise_dm.sh. */
#include "testutil.h"

#include <math.h>
#include <string.h>

#include "cg.h"
#include "dm_checkpoints.h"
#include "interp.h"
#include "ir.h"
#include "jit.h"

static jit_session *S;

#define CG_DM_WORK_TARGET_BYTES ((size_t)1 << 30) /* cg_dm.h's CG_DM_WORK_TARGET */

static double urand(double lo, double hi) {
    return lo + (hi - lo) * ((double)rand() / RAND_MAX);
}

enum { NP = 8 }; /* params 0..5 angles, 6 and 7 strengths in (0.1, 0.9) */

static int random_angle(ir_circuit *c) {
    int leaf = c->n_inputs && rand() % 2 ? ir_input(c, rand() % c->n_inputs)
                                         : ir_param(c, rand() % 6);
    return rand() % 2 ? leaf
                      : ir_binary(c, IR_EXPR_MUL, ir_const(c, urand(0.5, 2)),
                                  ir_unary(c, IR_EXPR_SIN, leaf));
}

static void random_gate(ir_circuit *c) {
    int n = c->n_qubits, g = rand() % IR_FUSED_1Q, w0 = rand() % n, w1 = -1;
    if (ir_gate_arity((ir_gate)g) == 2) {
        if (n < 2) g = IR_RX;
        else w1 = (w0 + 1 + rand() % (n - 1)) % n;
    }
    int a[3] = {-1, -1, -1};
    for (int j = 0; j < ir_gate_n_angles((ir_gate)g); j++) a[j] = random_angle(c);
    ir_add_gate(c, (ir_gate)g, w0, w1, a[0], a[1], a[2]);
}

/* A strength in (0.05, 0.45): a constant, a parameter, or an input (x in (0, 1)) */
static int random_strength(ir_circuit *c) {
    int r = rand() % 3;
    if (r == 0) return ir_const(c, urand(0.05, 0.45));
    int leaf = r == 1 || !c->n_inputs ? ir_param(c, 6 + rand() % 2) : ir_input(c, 0);
    return ir_binary(c, IR_EXPR_MUL, ir_const(c, 0.5), leaf);
}

static void add_channel(ir_circuit *c, ir_channel ch) {
    int n = c->n_qubits, w = rand() % n;
    if (ch == IR_CH_KRAUS) {
        if (n >= 2 && rand() % 2) { /* two-qubit: sqrt(0.8) CNOT, sqrt(0.2) Z (x) X */
            double m[64] = {0};
            double s8 = sqrt(0.8), s2 = sqrt(0.2);
            m[2 * 0] = m[2 * 5] = m[2 * 11] = m[2 * 14] = s8;                  /* CNOT */
            m[32 + 2 * 1] = m[32 + 2 * 4] = s2;                                /* Z (x) X */
            m[32 + 2 * 11] = m[32 + 2 * 14] = -s2;
            int w1 = (w + 1 + rand() % (n - 1)) % n;
            ir_add_kraus(c, w, w1, 2, m);
            return;
        }
        double m[16] = {0}, ry[8], a = 0.4; /* sqrt(0.7) RY(0.4), sqrt(0.3) Y */
        ir_gate_matrix(IR_RY, &a, ry);
        for (int i = 0; i < 8; i++) m[i] = sqrt(0.7) * ry[i];
        m[8 + 3] = -sqrt(0.3); /* Y = [[0, -i], [i, 0]] */
        m[8 + 5] = sqrt(0.3);
        ir_add_kraus(c, w, -1, 2, m);
        return;
    }
    int s[3];
    if (ch == IR_CH_THERMAL) {
        s[0] = rand() % 2 ? ir_const(c, 40) : ir_binary(c, IR_EXPR_ADD, ir_const(c, 35),
                                                        ir_binary(c, IR_EXPR_MUL, ir_const(c, 10),
                                                                  ir_param(c, 7)));
        s[1] = ir_const(c, urand(10, 60));
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
    char a[8] = {0}, b[8] = {0};
    for (int w = 0; w < n; w++) a[w] = b[w] = 'I';
    a[0] = 'Z';
    ir_begin_var(c);
    ir_add_term(c, 1, b);
    ir_var_linear(c);
    ir_add_term(c, 1, a);
    int pw[1] = {n - 1}; /* P(wire n-1 = 1), with its projector's terms (I - Z) / 2 */
    char id[8] = {0}, z[8] = {0};
    for (int w = 0; w < n; w++) id[w] = z[w] = 'I';
    z[n - 1] = 'Z';
    ir_begin_prob(c, 1, pw, 1);
    ir_add_term(c, 0.5, id);
    ir_add_term(c, -0.5, z);
}

/* A random noisy circuit on n qubits with the channel kinds in `kinds` (each at least once),
 * gates in between. */
static ir_circuit *noisy_circuit(int n, int n_gates, const ir_channel *kinds, int n_kinds) {
    ir_circuit *c = ir_new("dm", n, 2);
    for (int k = 0; k < n_gates; k++) {
        random_gate(c);
        if (k % 3 == 2 && n_kinds) add_channel(c, kinds[rand() % n_kinds]);
    }
    for (int k = 0; k < n_kinds; k++) {
        add_channel(c, kinds[k]);
        random_gate(c);
    }
    if (c->n_params < NP) ir_param(c, NP - 1);
    random_observables(c);
    return c;
}

static void fill(double *p, double *x, int B) {
    for (int i = 0; i < 6; i++) p[i] = urand(-3, 3);
    p[6] = urand(0.1, 0.9);
    p[7] = urand(0.1, 0.9);
    for (int i = 0; i < 2 * B; i++) x[i] = urand(0.05, 0.95);
}

/* Work with canaries behind it: generated code is invisible to ASan, and the checkpoints'
 * offsets are computed at code-generation time, so work_bytes must cover them. */
enum { CANARY = 0xA5, TAIL = 256 };
static size_t work_size;
static void *work(const rt_circuit *rc) {
    work_size = rc->work_bytes;
    unsigned char *w = malloc(work_size + TAIL);
    memset(w, 0, work_size);
    memset(w + work_size, CANARY, TAIL);
    return w;
}
static void work_free(void *p) {
    unsigned char *w = p;
    for (size_t i = 0; i < TAIL; i++) assert_int_equal(w[work_size + i], CANARY);
    free(w);
}

static int grad_method = CG_GRAD_ADJOINT; /* what compile() asks for */

static void compile(const ir_circuit *c, int precision, int lanes, rt_circuit *rc) {
    jit_options o = jit_default_options();
    o.precision = precision;
    o.lanes = lanes;
    o.grad = grad_method;
    char err[512];
    if (jit_compile(S, c, &o, rc, err, sizeof err)) fail_msg("jit_compile: %s", err);
}

enum { B = 5, MAXO = 8 };

/* compiled forward and vjp against interp_dm */
static void check_against_interp(ir_circuit *c, int lanes) {
    rt_circuit rc;
    compile(c, 64, lanes, &rc);
    int no = c->n_obs, np = c->n_params, ni = c->n_inputs;
    double p[16], x[2 * B], y[B * MAXO], yr[B * MAXO], gy[B * MAXO];
    double gp[16] = {0}, gpr[16] = {0}, gx[2 * B], gxr[2 * B];
    assert_true(no <= MAXO && np <= 16);
    fill(p, x, B);
    for (int i = 0; i < B * no; i++) gy[i] = urand(-1, 1);
    void *w = work(&rc);
    rc.forward(p, x, y, B, w);
    interp_dm_forward_batch(c, p, x, yr, B);
    for (int i = 0; i < B * no; i++) assert_true(fabs(y[i] - yr[i]) < 1e-12);
    rc.vjp(p, x, gy, gp, gx, B, w);
    interp_dm_vjp(c, p, x, gy, gpr, gxr, B);
    for (int i = 0; i < np; i++) {
        if (fabs(gp[i] - gpr[i]) > 1e-10) fail_msg("param %d: %.15g vs %.15g", i, gp[i], gpr[i]);
    }
    for (int i = 0; i < B * ni; i++)
        if (fabs(gx[i] - gxr[i]) > 1e-10) fail_msg("input %d: %.15g vs %.15g", i, gx[i], gxr[i]);
    work_free(w);
}

static const ir_channel ALL[] = {IR_CH_DEPOLARIZING, IR_CH_AMPLITUDE_DAMPING,
                                 IR_CH_PHASE_DAMPING, IR_CH_BIT_FLIP, IR_CH_PHASE_FLIP,
                                 IR_CH_THERMAL, IR_CH_KRAUS, IR_CH_READOUT};

/* every channel kind alone, then all together, 1 to 4 qubits, several lane widths */
static void test_vs_interp(void **state) {
    (void)state;
    for (int n = 1; n <= 4; n++)
        for (int k = 0; k < IR_CH_COUNT; k++)
            for (int rep = 0; rep < 2; rep++) {
                ir_circuit *c = noisy_circuit(n, 6 + rand() % 6, &ALL[k], 1);
                check_against_interp(c, rep ? 1 : 0);
                ir_free(c);
            }
    for (int n = 1; n <= 4; n++)
        for (int rep = 0; rep < 3; rep++) {
            ir_circuit *c = noisy_circuit(n, 12, ALL, IR_CH_COUNT);
            check_against_interp(c, rep == 0 ? 2 : 0);
            ir_free(c);
        }
}

/* gradients of L = sum gy . y against central differences of the compiled forward */
static void test_vs_finite_differences(void **state) {
    (void)state;
    for (int n = 1; n <= 3; n++) {
        ir_circuit *c = noisy_circuit(n, 10, ALL, IR_CH_COUNT);
        rt_circuit rc;
        compile(c, 64, 0, &rc);
        int no = c->n_obs, np = c->n_params;
        double p[16], x[2 * B], y[B * MAXO], gy[B * MAXO], gp[16] = {0}, gx[2 * B];
        fill(p, x, B);
        for (int i = 0; i < B * no; i++) gy[i] = urand(-1, 1);
        void *w = work(&rc);
        rc.vjp(p, x, gy, gp, gx, B, w);
        const double h = 1e-6;
        for (int i = 0; i < np + 2 * B; i++) {
            double *v = i < np ? &p[i] : &x[i - np], keep = *v, L[2];
            for (int s = 0; s < 2; s++) {
                *v = keep + (s ? -h : h);
                rc.forward(p, x, y, B, w);
                L[s] = 0;
                for (int j = 0; j < B * no; j++) L[s] += gy[j] * y[j];
            }
            *v = keep;
            double fd = (L[0] - L[1]) / (2 * h), an = i < np ? gp[i] : gx[i - np];
            if (fabs(fd - an) > 1e-6 * (1 + fabs(fd))) fail_msg("%d: fd %.12g, vjp %.12g", i, fd, an);
        }
        work_free(w);
        ir_free(c);
    }
}

/* float: outputs within 2e-5, gradients within 1e-4 of the f64 interpreter */
static void test_f32(void **state) {
    (void)state;
    for (int n = 1; n <= 4; n++) {
        ir_circuit *c = noisy_circuit(n, 10, ALL, IR_CH_COUNT);
        rt_circuit rc;
        compile(c, 32, 0, &rc);
        assert_int_equal(rc.precision, 32);
        int no = c->n_obs, np = c->n_params;
        double p[16], x[2 * B], yr[B * MAXO], gy[B * MAXO], gpr[16] = {0}, gxr[2 * B];
        float pf[16], xf[2 * B], yf[B * MAXO], gyf[B * MAXO], gpf[16] = {0}, gxf[2 * B];
        fill(p, x, B);
        for (int i = 0; i < B * no; i++) gy[i] = urand(-1, 1);
        for (int i = 0; i < np; i++) { pf[i] = (float)p[i]; p[i] = pf[i]; }
        for (int i = 0; i < 2 * B; i++) { xf[i] = (float)x[i]; x[i] = xf[i]; }
        for (int i = 0; i < B * no; i++) { gyf[i] = (float)gy[i]; gy[i] = gyf[i]; }
        void *w = work(&rc);
        rc.forward((const double *)(void *)pf, (const double *)(void *)xf, (double *)(void *)yf, B, w);
        rc.vjp((const double *)(void *)pf, (const double *)(void *)xf, (const double *)(void *)gyf,
               (double *)(void *)gpf, (double *)(void *)gxf, B, w);
        interp_dm_forward_batch(c, p, x, yr, B);
        interp_dm_vjp(c, p, x, gy, gpr, gxr, B);
        for (int i = 0; i < B * no; i++) assert_true(fabs(yf[i] - yr[i]) < 2e-5);
        for (int i = 0; i < np; i++) assert_true(fabs(gpf[i] - gpr[i]) < 1e-4 * B);
        for (int i = 0; i < 2 * B; i++) assert_true(fabs(gxf[i] - gxr[i]) < 1e-4);
        work_free(w);
        ir_free(c);
    }
}

static void test_refusals(void **state) {
    (void)state;
    char err[512];
    ir_circuit *c = ir_new("big", 14, 0);
    int s = ir_const(c, 0.1);
    ir_add_channel(c, IR_CH_DEPOLARIZING, 0, &s);
    ir_begin_observable(c);
    ir_add_term(c, 1, "ZIIIIIIIIIIIII");
    assert_int_equal(cg_check(c, err, sizeof err), -1);
    assert_non_null(strstr(err, "density-matrix code generator supports 1 to 13"));
    ir_free(c);
    c = ir_new("badwire", 2, 0);
    s = ir_const(c, 0.1);
    ir_add_channel(c, IR_CH_BIT_FLIP, 1, &s);
    c->ops[0].wires[0] = 5;
    ir_begin_observable(c);
    ir_add_term(c, 1, "ZI");
    assert_int_equal(cg_check(c, err, sizeof err), -1);
    assert_non_null(strstr(err, "wire 5 out of range"));
    ir_free(c);
}

static ir_circuit *chain_with_channels(int n, int n_channels) {
    ir_circuit *c = ir_new("wide", n, 0);
    int s = ir_const(c, 0.01);
    for (int k = 0; k < n_channels; k++) {
        ir_add_gate(c, IR_H, k % n, -1, -1, -1, -1);
        ir_add_channel(c, IR_CH_DEPOLARIZING, k % n, &s);
    }
    char z[16] = {0};
    for (int w = 0; w < n; w++) z[w] = w ? 'I' : 'Z';
    ir_begin_observable(c);
    ir_add_term(c, 1, z);
    return c;
}

/* the work of the checkpoints bounds the lanes, and beyond CG_DM_WORK_MAX the circuit */
static void test_work_limits(void **state) {
    (void)state;
    char err[512];
    /* 10 channels of 16 MiB per lane: over DM_CHECKPOINT_BUDGET, so every 4th is kept and the
     * segments are recomputed: 3 checkpoints + 3 segment states (dm_checkpoints.h), 8 states */
    ir_circuit *c = chain_with_channels(10, 10);
    rt_circuit rc;
    compile(c, 64, 0, &rc);
    int kept = dm_checkpoints_kept(10, dm_checkpoint_stride(10, 16.0 * (1 << 20)));
    assert_int_equal(kept, 6);
    size_t per_lane = (size_t)(2 + kept) * ((size_t)2 << 20) * 8;
    int want = cg_default_lanes(NULL, 64);
    while (want > 1 && per_lane * (size_t)want > CG_DM_WORK_TARGET_BYTES) want /= 2;
    assert_int_equal(rc.lanes, want);
    assert_true(rc.work_bytes >= per_lane * (size_t)want);
    ir_free(c);
    c = chain_with_channels(13, 20); /* 2 + 8 states of 1 GiB: over the limit with one lane */
    jit_options o = jit_default_options();
    assert_int_equal(jit_compile(S, c, &o, &rc, err, sizeof err), -1);
    assert_non_null(strstr(err, "density-matrix gradient needs"));
    assert_non_null(strstr(err, "simulation = trajectories"));
    ir_free(c);
}

/* Parameter shift: the interpreter's (interp_dm_vjp_shift) and the compiled one (CG_GRAD_SHIFT)
 * against the interpreter's adjoint vjp at 1e-10 on random circuits with every gate and channel
 * kind (trainable and input-dependent strengths, readout, variances, probabilities), 1 to 4
 * qubits; the compiled one against central differences of the forward in float64 too; and the
 * shift vjp's work holds no checkpoints. */
static void test_parameter_shift(void **state) {
    (void)state;
    grad_method = CG_GRAD_SHIFT;
    for (int n = 1; n <= 4; n++)
        for (int rep = 0; rep < 4; rep++) {
            ir_circuit *c = rep < 3 ? noisy_circuit(n, 10, ALL, IR_CH_COUNT)
                                    : noisy_circuit(n, 8, &ALL[rand() % IR_CH_COUNT], 1);
            int no = c->n_obs, np = c->n_params, ni = c->n_inputs;
            double p[16], x[2 * B], y[B * MAXO], gy[B * MAXO];
            double gp[16] = {0}, gpa[16] = {0}, gps[16] = {0}, gx[2 * B], gxa[2 * B], gxs[2 * B];
            fill(p, x, B);
            for (int i = 0; i < B * no; i++) gy[i] = urand(-1, 1);
            interp_dm_vjp(c, p, x, gy, gpa, gxa, B);
            interp_dm_vjp_shift(c, p, x, gy, gps, gxs, B);
            rt_circuit rc;
            compile(c, 64, rep == 1 ? 1 : 0, &rc);
            void *w = work(&rc);
            rc.vjp(p, x, gy, gp, gx, B, w);
            for (int i = 0; i < np; i++) {
                if (fabs(gps[i] - gpa[i]) > 1e-10)
                    fail_msg("n %d: interpreted shift, param %d: %.15g vs adjoint %.15g", n, i, gps[i], gpa[i]);
                if (fabs(gp[i] - gpa[i]) > 1e-10)
                    fail_msg("n %d: compiled shift, param %d: %.15g vs adjoint %.15g", n, i, gp[i], gpa[i]);
            }
            for (int i = 0; i < B * ni; i++) {
                if (fabs(gxs[i] - gxa[i]) > 1e-10) fail_msg("interpreted shift, input %d", i);
                if (fabs(gx[i] - gxa[i]) > 1e-10) fail_msg("compiled shift, input %d", i);
            }
            if (rep == 0) { /* central differences of the compiled forward, float64 */
                const double h = 1e-6;
                for (int i = 0; i < np + ni * B; i++) {
                    double *v = i < np ? &p[i] : &x[i - np], keep = *v, L[2];
                    for (int sgn = 0; sgn < 2; sgn++) {
                        *v = keep + (sgn ? -h : h);
                        rc.forward(p, x, y, B, w);
                        L[sgn] = 0;
                        for (int j = 0; j < B * no; j++) L[sgn] += gy[j] * y[j];
                    }
                    *v = keep;
                    double fd = (L[0] - L[1]) / (2 * h), an = i < np ? gp[i] : gx[i - np];
                    if (fabs(fd - an) > 1e-6 * (1 + fabs(fd))) fail_msg("%d: fd %.12g, shift %.12g", i, fd, an);
                }
            }
            work_free(w);
            /* no checkpoints: the work of the shift vjp is the adjoint's less one state each */
            grad_method = CG_GRAD_ADJOINT;
            rt_circuit ra;
            compile(c, 64, rc.lanes, &ra);
            grad_method = CG_GRAD_SHIFT;
            size_t state_bytes = 2 * ((size_t)1 << (2 * n)) * 8 * (size_t)rc.lanes;
            int n_ck = 0;
            for (int i = 0; i < c->n_ops; i++)
                n_ck += c->ops[i].gate == IR_CHANNEL && c->ops[i].channel != IR_CH_READOUT;
            assert_true(ra.work_bytes - rc.work_bytes >= (size_t)n_ck * state_bytes);
            ir_free(c);
        }
    grad_method = CG_GRAD_ADJOINT;
}

/* More channels than DM_CHECKPOINT_BUDGET holds (8 qubits: 1 MiB per state and sample, over
 * 64 channels): checkpoints every k-th channel, the segments recomputed in the backward pass;
 * the vjp still equals the interpreter's (which keeps every state) at 1e-10, with
 * dm_checkpoints_kept states in its work instead of one per channel. */
static void test_checkpoint_segments(void **state) {
    (void)state;
    ir_circuit *c = noisy_circuit(8, 210, ALL, IR_CH_COUNT);
    int n_ch = 0;
    for (int i = 0; i < c->n_ops; i++)
        n_ch += c->ops[i].gate == IR_CHANNEL && c->ops[i].channel != IR_CH_READOUT;
    int stride = dm_checkpoint_stride(n_ch, 2.0 * 65536 * 8);
    assert_true(n_ch > 64 && stride > 1);
    int kept = dm_checkpoints_kept(n_ch, stride);
    assert_true(kept < n_ch / 2);
    check_against_interp(c, 2);
    rt_circuit rc;
    compile(c, 64, 2, &rc);
    size_t state_bytes = 2 * 65536 * 8 * 2; /* 2 lanes */
    assert_true(rc.work_bytes >= (size_t)(kept + 2) * state_bytes);
    assert_true(rc.work_bytes < (size_t)(kept + 4) * state_bytes);
    ir_free(c);
}

int main(void) {
    srand(4242);
    char err[512];
    S = jit_create(err, sizeof err);
    if (!S) {
        fprintf(stderr, "jit_create: %s\n", err);
        return 1;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vs_interp),
        cmocka_unit_test(test_vs_finite_differences),
        cmocka_unit_test(test_f32),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_work_limits),
        cmocka_unit_test(test_parameter_shift),
        cmocka_unit_test(test_checkpoint_segments),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    jit_destroy(S);
    return rc;
}
