/* Monte-Carlo trajectories (compiler/trajectory.h, rt_qlayer_set_trajectories,
 * docs/semantics.md §10.4) against the exact density matrix (interp_dm.c, itself checked
 * against numpy Kraus sums and finite differences in tests/e2e/noise.sh):
 *  - exact: the lowered circuit averaged over every region of its draws (each Pauli choice
 *    at its probability, 4^m combinations for m channels) equals the density matrix at 1e-12,
 *    outputs and gradients (the state-vector interpreter on the lowered circuit);
 *  - statistical: the JIT-compiled lowered circuit in a quantum layer with K trajectories
 *    per sample is within 3 standard errors of the density matrix, outputs and gradients
 *    (the gradient's mean and standard error over seeds), on circuits of 1 to 8 qubits;
 *  - the same seed gives the same outputs, 1 and 2 threads give identical ones;
 *  - Kraus jumps (amplitude/phase damping, thermal relaxation, a custom kraus): within 3
 *    standard errors of the density matrix, and a jump's state-dependent probability;
 *  - refusals: readout error, strengths that are not constants. */
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "interp.h"
#include "ir.h"
#include "jit.h"
#include "passes.h"
#include "refback.h"
#include "rt_rng.h"
#include "rt_pool.h"
#include "rt_qlayer.h"
#include "trajectory.h"

/* A noisy circuit on n qubits with n_in inputs: RY(input) and RX(param) layers, a CNOT
 * chain, and a Pauli channel after each gate (kinds and strengths from `seed`), measured
 * as Z on every wire and one ZZ (X on wire 0 too, so that phase flips matter). */
static ir_circuit *noisy_circuit(int n, int n_ch_max, unsigned seed) {
    ir_circuit *c = ir_new("noisy", n, 1);
    srand(seed);
    int n_ch = 0, np = 0;
    for (int layer = 0; layer < 2; layer++)
        for (int w = 0; w < n; w++) {
            int a = ir_binary(c, IR_EXPR_MUL, ir_param(c, np++), ir_input(c, 0));
            ir_add_gate(c, layer ? IR_RX : IR_RY, w, -1, a, -1, -1);
            if (w + 1 < n) ir_add_gate(c, IR_CNOT, w, w + 1, -1, -1, -1);
            if (n_ch < n_ch_max) {
                static const ir_channel kinds[3] = {IR_CH_DEPOLARIZING, IR_CH_BIT_FLIP, IR_CH_PHASE_FLIP};
                int s = ir_const(c, 0.05 + 0.3 * rand() / (double)RAND_MAX);
                int op = ir_add_channel(c, kinds[rand() % 3], (w + layer) % n, &s);
                ir_set_loc(c, op, 10 + n_ch, 1);
                n_ch++;
            }
        }
    char p[9];
    for (int w = 0; w < n; w++) {
        for (int k = 0; k < n; k++) p[k] = k == w ? 'Z' : 'I';
        p[n] = 0;
        ir_begin_observable(c);
        ir_add_term(c, 1.0, p);
    }
    for (int k = 0; k < n; k++) p[k] = k < 2 ? 'Z' : 'I';
    ir_begin_observable(c);
    ir_add_term(c, 0.5, p);
    memset(p, 'I', (size_t)n);
    p[0] = 'X';
    ir_begin_observable(c);
    ir_add_term(c, 1.0, p);
    return c;
}

/* The region midpoints of a channel's draw: each Pauli choice's u and probability. */
static int regions(const ir_circuit *c, const ir_op *op, double *u, double *w) {
    double p = c->exprs[op->angle[0]].value;
    if (op->channel == IR_CH_DEPOLARIZING) {
        double lo[4] = {0, p / 3, 2 * p / 3, p}, hi[4] = {p / 3, 2 * p / 3, p, 1};
        for (int k = 0; k < 4; k++) u[k] = 0.5 * (lo[k] + hi[k]), w[k] = hi[k] - lo[k];
        return 4;
    }
    u[0] = p / 2, w[0] = p, u[1] = (1 + p) / 2, w[1] = 1 - p;
    return 2;
}

static void test_exact_average(void **state) {
    (void)state;
    for (int n = 1; n <= 4; n++) {
        ir_circuit *c = noisy_circuit(n, 4, 7u + (unsigned)n);
        ir_circuit *t = traj_lower(c);
        int m = t->n_uniform, ni = c->n_inputs, no = c->n_obs;
        assert_int_equal(t->n_inputs, ni + m);
        assert_false(ir_has_channels(t));
        double u[8][4], wt[8][4];
        int nr[8], idx[8] = {0};
        for (int k = 0, j = 0; k < c->n_ops; k++)
            if (c->ops[k].gate == IR_CHANNEL) { nr[j] = regions(c, &c->ops[k], u[j], wt[j]); j++; }
        double params[16], x[16] = {0.7}, want[16], got[16] = {0}, gw[16] = {0}, gg[16] = {0};
        for (int i = 0; i < c->n_params; i++) params[i] = 0.3 + 0.41 * i;
        interp_dm_forward(c, params, x, want);
        double dy[16], gx_dm[16] = {0};
        for (int o = 0; o < no; o++) dy[o] = 1.0 + 0.25 * o;
        interp_dm_vjp(c, params, x, dy, gw, gx_dm, 1);
        for (;;) { /* every combination of regions, weighted by its probability */
            double weight = 1, xs[16], y[16], gp[16] = {0}, gx[16] = {0};
            memcpy(xs, x, sizeof(double) * (size_t)ni);
            for (int j = 0; j < m; j++) weight *= wt[j][idx[j]], xs[ni + j] = u[j][idx[j]];
            interp_forward(t, params, xs, y);
            interp_vjp(t, params, xs, dy, gp, gx, 1);
            for (int o = 0; o < no; o++) got[o] += weight * y[o];
            for (int i = 0; i < c->n_params; i++) gg[i] += weight * gp[i];
            int j = 0;
            while (j < m && ++idx[j] == nr[j]) idx[j++] = 0;
            if (j == m) break;
        }
        for (int o = 0; o < no; o++) assert_true(fabs(got[o] - want[o]) < 1e-12);
        for (int i = 0; i < c->n_params; i++) assert_true(fabs(gg[i] - gw[i]) < 1e-12);
        ir_free(t);
        ir_free(c);
    }
}

static jit_session *J;

/* The lowered, fused circuit compiled (f64). */
static void compile(const ir_circuit *t, rt_circuit *rc) {
    char err[512];
    ir_circuit *f = pass_fuse(t);
    if (jit_compile(J, f, NULL, rc, err, sizeof err)) fail_msg("jit_compile: %s", err);
    ir_free(f);
}

static rt_layer *traj_layer(const rt_circuit *rc, int n_uniform, int k, const double *params,
                            rt_pool *pool, uint64_t seed) {
    rt_rng rng;
    rt_rng_seed(&rng, seed);
    rt_qtensor ts = {"w", (size_t)rc->n_params, rt_init_const(0)};
    rt_layer *l = rt_qlayer_create_drawing(rc, pool, 1, &ts, &rng, n_uniform);
    assert_non_null(l);
    assert_int_equal(rt_qlayer_set_trajectories(l, k), 0);
    memcpy(rt_layer_params(l), params, sizeof(double) * (size_t)rc->n_params);
    assert_int_equal(rt_layer_reserve(l, 4), 0);
    return l;
}

static void test_statistical(void **state) {
    (void)state;
    enum { B = 3, K = 400, SEEDS = 24 };
    int worst_out = 0, worst_grad = 0;
    double worst_z = 0;
    for (int n = 1; n <= 8; n++) {
        ir_circuit *c = noisy_circuit(n, 2 * n, 100u + (unsigned)n);
        ir_circuit *t = traj_lower(c);
        rt_circuit rc;
        compile(t, &rc);
        int no = c->n_obs, np = c->n_params;
        double params[16], x[B] = {0.4, -1.1, 2.3}, want[B * 16], dy[B * 16];
        for (int i = 0; i < np; i++) params[i] = 0.5 + 0.37 * i;
        interp_dm_forward_batch(c, params, x, want, B);
        for (int i = 0; i < B * no; i++) dy[i] = 1.0 - 0.1 * i;
        double g_dm[16] = {0}, gx_dm[B] = {0};
        interp_dm_vjp(c, params, x, dy, g_dm, gx_dm, B);
        /* outputs: each sample's mean of K runs against rho, 3 standard errors */
        double y[B * 16], gsum[16] = {0}, gsq[16] = {0}, gxs[B] = {0}, gxq[B] = {0};
        for (int s = 0; s < SEEDS; s++) {
            rt_layer *l = traj_layer(&rc, t->n_uniform, K, params, NULL, 1000u + (unsigned)s);
            assert_int_equal(rt_layer_forward(l, x, y, B), 0);
            rt_qlayer_traj_stats st = rt_qlayer_trajectory_stats(l, 0);
            assert_int_equal(st.k, K);
            assert_int_equal(st.count, B * no);
            if (s == 0)
                for (int i = 0; i < B * no; i++) {
                    double z = fabs(y[i] - want[i]) / (st.max + 1e-15);
                    worst_z = z > worst_z ? z : worst_z;
                    worst_out += z > 3;
                }
            double dx[B];
            memset(rt_layer_grads(l), 0, sizeof(double) * (size_t)np);
            rt_layer_backward(l, x, y, dy, dx, B);
            for (int i = 0; i < np; i++) {
                double g = rt_layer_grads(l)[i];
                gsum[i] += g, gsq[i] += g * g;
            }
            for (int b = 0; b < B; b++) gxs[b] += dx[b], gxq[b] += dx[b] * dx[b];
            rt_layer_destroy(l);
        }
        /* gradients: the mean over seeds against the adjoint on rho, 3 standard errors */
        for (int i = 0; i < np + B; i++) {
            double s1 = i < np ? gsum[i] : gxs[i - np], s2 = i < np ? gsq[i] : gxq[i - np];
            double exact = i < np ? g_dm[i] : gx_dm[i - np];
            double mean = s1 / SEEDS, var = (s2 - SEEDS * mean * mean) / (SEEDS - 1);
            double se = sqrt(fmax(var, 0) / SEEDS);
            if (fabs(mean - exact) > 3 * se + 1e-10) {
                print_message("n=%d grad %d: %.6f vs %.6f (se %.2e)\n", n, i, mean, exact, se);
                worst_grad++;
            }
        }
        ir_free(t);
        ir_free(c);
    }
    print_message("worst output deviation: %.2f standard errors\n", worst_z);
    assert_int_equal(worst_out, 0);
    assert_int_equal(worst_grad, 0);
}

static void test_reproducible(void **state) {
    (void)state;
    ir_circuit *c = noisy_circuit(5, 6, 3);
    ir_circuit *t = traj_lower(c);
    rt_circuit rc;
    compile(t, &rc);
    double params[16], x[4] = {0.1, 0.2, 0.3, 0.4}, y1[64], y2[64], y3[64], g1[16], g2[16];
    for (int i = 0; i < c->n_params; i++) params[i] = 0.2 * i;
    rt_pool *pool = rt_pool_create(2);
    rt_layer *a = traj_layer(&rc, t->n_uniform, 37, params, NULL, 5);
    rt_layer *b = traj_layer(&rc, t->n_uniform, 37, params, pool, 5);
    rt_layer *d = traj_layer(&rc, t->n_uniform, 37, params, NULL, 6);
    assert_int_equal(rt_layer_forward(a, x, y1, 4), 0);
    assert_int_equal(rt_layer_forward(b, x, y2, 4), 0);
    assert_int_equal(rt_layer_forward(d, x, y3, 4), 0);
    size_t ny = (size_t)4 * c->n_obs;
    assert_memory_equal(y1, y2, ny * sizeof *y1); /* threads 1 and 2: the same bits */
    assert_memory_not_equal(y1, y3, ny * sizeof *y1); /* another seed, other draws */
    double dy[64], dx1[4], dx2[4];
    for (size_t i = 0; i < ny; i++) dy[i] = 1;
    memset(rt_layer_grads(a), 0, sizeof(double) * (size_t)c->n_params);
    memset(rt_layer_grads(b), 0, sizeof(double) * (size_t)c->n_params);
    rt_layer_backward(a, x, y1, dy, dx1, 4);
    rt_layer_backward(b, x, y2, dy, dx2, 4);
    memcpy(g1, rt_layer_grads(a), sizeof(double) * (size_t)c->n_params);
    memcpy(g2, rt_layer_grads(b), sizeof(double) * (size_t)c->n_params);
    assert_memory_equal(g1, g2, sizeof(double) * (size_t)c->n_params);
    assert_memory_equal(dx1, dx2, sizeof dx1);
    rt_layer_destroy(a);
    rt_layer_destroy(b);
    /* the same seed again: the same outputs */
    a = traj_layer(&rc, t->n_uniform, 37, params, NULL, 5);
    assert_int_equal(rt_layer_forward(a, x, y2, 4), 0);
    assert_memory_equal(y1, y2, ny * sizeof *y1);
    rt_layer_destroy(a);
    rt_layer_destroy(d);
    rt_pool_destroy(pool);
    ir_free(t);
    ir_free(c);
}

/* Kraus jumps (trajectory.h): circuits with amplitude and phase damping, thermal relaxation in
 * both regimes (t2 <= t1: PennyLane's four operators; t1 < t2 <= 2 t1: damping then dephasing)
 * a custom one-qubit kraus (non-unital: sqrt(0.7) RY(0.4) or a reset to |0>) and a custom
 * two-qubit one (sqrt(0.75) CNOT (RY(0.4) x I) or a reset to |01>, asymmetric in its wires), mixed
 * with Pauli channels, lowered and run in a quantum layer (seeded draws per sample, K runs on
 * traj_forward_batch behind the reference back end): each sample's mean within 3 standard
 * errors of the exact density matrix (interp_dm.c), 1 to 6 qubits. */
static ir_circuit *jump_circuit(int n, unsigned seed) {
    ir_circuit *c = ir_new("jumps", n, 1);
    srand(seed);
    int np = 0;
    for (int layer = 0; layer < 2; layer++)
        for (int w = 0; w < n; w++) {
            int a = ir_binary(c, IR_EXPR_MUL, ir_param(c, np++), ir_input(c, 0));
            ir_add_gate(c, layer ? IR_RX : IR_RY, w, -1, a, -1, -1);
            if (w + 1 < n) ir_add_gate(c, IR_CNOT, w, w + 1, -1, -1, -1);
            int kind = (w + 2 * layer + (int)seed) % 7, op;
            if (kind == 6 && w + 1 >= n) kind = 5;
            if (kind == 6) { /* on (w, w + 1), w the high bit: sqrt(0.75) CNOT (RY(0.4) x I),
                              * and sqrt(0.25) |01><ij| for each basis state ij */
                double m[5 * 32] = {0}, ry[8], t = 0.4;
                ir_gate_matrix(IR_RY, &t, ry);
                static const int cnot_row[4] = {0, 1, 3, 2}; /* CNOT maps |r> to |cnot_row[r]> */
                for (int r = 0; r < 4; r++)     /* (RY x I)[r][l] = ry[r>>1][l>>1] (r&1 == l&1) */
                    for (int l = 0; l < 4; l++)
                        if ((r & 1) == (l & 1))
                            for (int z = 0; z < 2; z++)
                                m[2 * (cnot_row[r] * 4 + l) + z] =
                                    sqrt(0.75) * ry[2 * (2 * (r >> 1) + (l >> 1)) + z];
                for (int j = 0; j < 4; j++) m[32 * (1 + j) + 2 * (1 * 4 + j)] = sqrt(0.25);
                op = ir_add_kraus(c, w, w + 1, 5, m);
            } else if (kind == 4) { /* kraus, non-unital: sqrt(0.7) RY(0.4), and a reset to |0> with
                              * probability 0.3: sqrt(0.3) |0><0|, sqrt(0.3) |0><1| */
                double m[24] = {0}, ry[8], t = 0.4;
                ir_gate_matrix(IR_RY, &t, ry);
                for (int i = 0; i < 8; i++) m[i] = sqrt(0.7) * ry[i];
                m[8 + 0] = sqrt(0.3);
                m[16 + 2] = sqrt(0.3);
                op = ir_add_kraus(c, w, -1, 3, m);
            } else if (kind == 5) {
                int d = ir_const(c, 0.1);
                op = ir_add_channel(c, IR_CH_DEPOLARIZING, w, &d);
            } else if (kind == 2 || kind == 3) { /* thermal: t2 <= t1, then t1 < t2 <= 2 t1 */
                int th[3] = {ir_const(c, 30), ir_const(c, kind == 2 ? 20 : 50), ir_const(c, 8)};
                op = ir_add_channel(c, IR_CH_THERMAL, w, th);
            } else {
                int g = ir_const(c, 0.15 + 0.4 * rand() / (double)RAND_MAX);
                op = ir_add_channel(c, kind ? IR_CH_PHASE_DAMPING : IR_CH_AMPLITUDE_DAMPING, w, &g);
            }
            ir_set_loc(c, op, 20 + w, 1);
        }
    char p[9];
    for (int w = 0; w < n; w++) {
        for (int k = 0; k < n; k++) p[k] = k == w ? 'Z' : 'I';
        p[n] = 0;
        ir_begin_observable(c);
        ir_add_term(c, 1.0, p);
    }
    memset(p, 'I', (size_t)n);
    p[0] = 'X';
    ir_begin_observable(c);
    ir_add_term(c, 1.0, p);
    return c;
}

static void test_kraus_jumps(void **state) {
    (void)state;
    enum { B = 3, K = 400 };
    double worst_z = 0;
    int worst_out = 0;
    for (int n = 1; n <= 6; n++)
        for (unsigned rep = 0; rep < 2; rep++) {
            ir_circuit *c = jump_circuit(n, 7u * (unsigned)n + rep);
            const char *why = NULL;
            assert_null(traj_unsupported(c, &why));
            ir_circuit *t = traj_lower(c);
            assert_non_null(traj_first_jump(t));
            for (int i = 0; i < t->n_ops; i++) /* only jumps are left as channels */
                assert_true(t->ops[i].gate != IR_CHANNEL || traj_is_jump(&t->ops[i]));
            rt_circuit rc;
            char err[256];
            assert_int_equal(refback_bind(t, &rc, err, sizeof err), 0);
            int no = c->n_obs, np = c->n_params;
            double params[16], x[B] = {0.4, -1.1, 2.3}, want[B * 16], y[B * 16];
            for (int i = 0; i < np; i++) params[i] = 0.5 + 0.37 * i;
            interp_dm_forward_batch(c, params, x, want, B);
            rt_layer *l = traj_layer(&rc, t->n_uniform, K, params, NULL, 2000u + (unsigned)n);
            assert_int_equal(rt_layer_forward(l, x, y, B), 0);
            rt_qlayer_traj_stats st = rt_qlayer_trajectory_stats(l, 0);
            assert_int_equal(st.k, K);
            for (int i = 0; i < B * no; i++) {
                double z = fabs(y[i] - want[i]) / (st.max + 1e-15);
                if (z > 3) print_message("n=%d output %d: %.5f vs %.5f (se %.2e)\n", n, i, y[i], want[i], st.max);
                worst_z = z > worst_z ? z : worst_z;
                worst_out += z > 3;
            }
            rt_layer_destroy(l);
            refback_reset();
            ir_free(t);
            ir_free(c);
        }
    print_message("Kraus jumps: worst output deviation %.2f standard errors\n", worst_z);
    assert_int_equal(worst_out, 0);
}

/* One jump's branch probability follows the state: RX(a) then amplitude damping g on |..>:
 * the run jumps to |0> with probability g sin^2(a/2), so over many draws the fraction of runs
 * ending in |0> with <Z> = 1 is that (binomial, 4 standard deviations). */
static void test_jump_probability(void **state) {
    (void)state;
    const double a = 2.1, g = 0.3, want = g * sin(a / 2) * sin(a / 2);
    ir_circuit *c = ir_new("one", 1, 0);
    ir_add_gate(c, IR_RX, 0, -1, ir_const(c, a), -1, -1);
    int s = ir_const(c, g);
    ir_add_channel(c, IR_CH_AMPLITUDE_DAMPING, 0, &s);
    ir_begin_observable(c);
    ir_add_term(c, 1.0, "Z");
    ir_circuit *t = traj_lower(c);
    assert_int_equal(t->n_uniform, 1);
    enum { N = 20000 };
    double *u = malloc(sizeof(double) * N), *z = malloc(sizeof(double) * N);
    rt_rng rng;
    rt_rng_seed(&rng, 5);
    for (int i = 0; i < N; i++) u[i] = rt_rng_uniform(&rng);
    traj_forward_batch(t, NULL, u, z, N);
    int jumped = 0;
    for (int i = 0; i < N; i++) jumped += fabs(z[i] - 1) < 1e-12;
    double frac = (double)jumped / N, sd = sqrt(want * (1 - want) / N);
    print_message("jump fraction %.4f, want %.4f (sd %.4f)\n", frac, want, sd);
    assert_true(fabs(frac - want) < 4 * sd);
    free(u);
    free(z);
    ir_free(t);
    ir_free(c);
}

static void test_refusals(void **state) {
    (void)state;
    const char *why = NULL;
    ir_circuit *c = ir_new("r", 2, 1);
    int s = ir_const(c, 0.1);
    ir_add_channel(c, IR_CH_BIT_FLIP, 0, &s);
    assert_null(traj_unsupported(c, &why));
    int g = ir_const(c, 0.2);
    ir_add_channel(c, IR_CH_AMPLITUDE_DAMPING, 0, &g); /* a jump now */
    assert_null(traj_unsupported(c, &why));
    int op = ir_add_channel(c, IR_CH_READOUT, 0, &s);
    assert_ptr_equal(traj_unsupported(c, &why), &c->ops[op]);
    assert_non_null(strstr(why, "measurement"));
    ir_free(c);
    c = ir_new("r", 2, 1);
    double m[64] = {0};
    for (int i = 0; i < 4; i++) m[2 * (5 * i)] = 1; /* the identity on two qubits: a jump */
    ir_add_kraus(c, 0, 1, 1, m);
    assert_null(traj_unsupported(c, &why));
    ir_free(c);
    c = ir_new("r", 1, 1);
    g = ir_param(c, 0);
    ir_add_channel(c, IR_CH_PHASE_DAMPING, 0, &g);
    assert_non_null(traj_unsupported(c, &why));
    assert_non_null(strstr(why, "not a constant"));
    ir_free(c);
    c = ir_new("r", 1, 1);
    int p = ir_param(c, 0);
    ir_add_channel(c, IR_CH_DEPOLARIZING, 0, &p);
    assert_non_null(traj_unsupported(c, &why));
    assert_non_null(strstr(why, "not a constant"));
    ir_free(c);
}

int main(void) {
    char err[512];
    J = jit_create(err, sizeof err);
    if (!J) {
        fprintf(stderr, "jit_create: %s\n", err);
        return 1;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exact_average), cmocka_unit_test(test_statistical),
        cmocka_unit_test(test_reproducible), cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_kraus_jumps), cmocka_unit_test(test_jump_probability)};
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    jit_destroy(J);
    return rc;
}
