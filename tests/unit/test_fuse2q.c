/* Two-qubit block fusion (rule 9 of passes.h, IR_FUSED_2Q) end to end: the dense 4x4 ops the
 * code generator emits for it, forward, adjoint vjp and parameter shift, against the
 * reference interpreter on the UNFUSED circuit (compiler/interp.c) and central finite
 * differences, in f64 (and some in f32). Two seeded generators: FUSED_2Q ops built by hand
 * from every member kind (constant, parameter and per-sample angles, both wire orders,
 * MULTIRZ), and random
 * gate sequences on 2-4 qubits crowded onto wire pairs, fused by pass_fuse (with and
 * without rule 9: the two vjps must agree). */
#include "testutil.h"

#include <time.h>

#include "arena.h"
#include "cg.h"
#include "interp.h"
#include "ir.h"
#include "jit.h"
#include "passes.h"
#include "sema.h"

static jit_session *S;

typedef struct { uint64_t s; } rng;

static uint64_t rnext(rng *r) { /* splitmix64 */
    uint64_t z = (r->s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}
static double runif(rng *r, double a, double b) {
    return a + (b - a) * (double)(rnext(r) >> 11) * (1.0 / 9007199254740992.0);
}
static int rint_(rng *r, int n) { return (int)(rnext(r) % (uint64_t)n); }

static double *rand_vec(rng *r, size_t n, double a, double b) {
    double *v = malloc(sizeof *v * (n ? n : 1));
    for (size_t i = 0; i < n; i++)
        v[i] = runif(r, a, b);
    return v;
}

/* An angle: `mode` 0 constants only, 1 parameters (and constants), 2 anything, inputs too. */
static int rand_angle(ir_circuit *c, rng *r, int mode) {
    int k = ir_const(c, runif(r, -2, 2));
    if (mode == 0)
        return k;
    int p = ir_param(c, rint_(r, 4));
    int pick = rint_(r, mode == 1 ? 3 : 6);
    switch (pick) {
    case 0: return k;
    case 1: return p;
    case 2: return ir_binary(c, IR_EXPR_ADD, ir_binary(c, IR_EXPR_MUL, p, p), k);
    case 3: return ir_input(c, rint_(r, 2));
    case 4: return ir_binary(c, IR_EXPR_MUL, ir_unary(c, IR_EXPR_SIN, ir_input(c, 0)), p);
    default: return ir_binary(c, IR_EXPR_SUB, p, ir_input(c, 1));
    }
}

static const ir_gate one_q[] = {IR_H, IR_X, IR_Y, IR_Z, IR_S, IR_T, IR_SX, IR_RX, IR_RY,
                                IR_RZ, IR_PHASE, IR_ROT, IR_U3, IR_I};
static const ir_gate two_q[] = {IR_CNOT, IR_CZ, IR_CY, IR_SWAP, IR_CRX, IR_CRY, IR_CRZ,
                                IR_CPHASE};

/* A random primitive op within the pair (a, b): a one-qubit gate on either wire, a
 * two-qubit gate in either order, or (when multirz) a MULTIRZ on a, b or both. */
static ir_op rand_member(ir_circuit *c, rng *r, int a, int b, int mode, int multirz) {
    ir_op op;
    memset(&op, 0, sizeof op);
    op.wires[0] = op.wires[1] = -1;
    op.angle[0] = op.angle[1] = op.angle[2] = -1;
    int kind = rint_(r, multirz ? 10 : 9);
    if (kind == 9) {
        uint32_t m[3] = {1u << a, 1u << b, 1u << a | 1u << b};
        return ir_multirz(m[rint_(r, 3)], rand_angle(c, r, mode));
    }
    if (kind < 5) {
        op.gate = one_q[rint_(r, (int)(sizeof one_q / sizeof *one_q))];
        op.wires[0] = rint_(r, 2) ? a : b;
    } else {
        op.gate = two_q[rint_(r, (int)(sizeof two_q / sizeof *two_q))];
        int flip = rint_(r, 2);
        op.wires[0] = flip ? b : a;
        op.wires[1] = flip ? a : b;
    }
    for (int k = 0; k < ir_gate_n_angles(op.gate); k++)
        op.angle[k] = rand_angle(c, r, mode);
    op.src_line = c->n_ops + 1;
    return op;
}

/* Appends op as a top-level op of c (a MULTIRZ as a one-member FUSED_DIAG: it exists only
 * as a member). */
static void put_op(ir_circuit *c, const ir_op *op) {
    if (op->gate == IR_MULTIRZ) {
        ir_add_fused(c, IR_FUSED_DIAG, op, 1);
        return;
    }
    int k = ir_add_gate(c, op->gate, op->wires[0], op->wires[1], op->angle[0], op->angle[1],
                        op->angle[2]);
    ir_set_loc(c, k, op->src_line, 1);
}

static void add_obs(ir_circuit *c, rng *r) {
    int n = c->n_qubits;
    for (int o = 0; o < 3; o++) {
        char p[8] = {0};
        for (int w = 0; w < n; w++)
            p[w] = "IXYZ"[rint_(r, 4)];
        ir_begin_observable(c);
        ir_add_term(c, runif(r, 0.5, 1.5), p);
        if (o == 2) {
            for (int w = 0; w < n; w++)
                p[w] = w == 0 ? 'Z' : 'I';
            ir_add_term(c, -0.5, p);
        }
    }
}

/* ---- running compiled circuits ------------------------------------------------------ */

static void compile_ok(const ir_circuit *c, cg_grad grad, int lanes, rt_circuit *rc) {
    char err[512];
    jit_options o = jit_default_options();
    o.grad = grad;
    o.lanes = lanes;
    if (jit_compile(S, c, &o, rc, err, sizeof err))
        fail_msg("jit_compile: %s", err);
}

static void *work_of(const rt_circuit *rc) {
    void *w = malloc(rc->work_bytes + 64);
    assert_non_null(w);
    return w;
}

/* The compiled circuit rc (of a fused circuit) against the interpreter on the unfused c:
 * outputs to 1e-12, the vjp to the exact adjoint of c to 1e-10 and to central differences
 * to 1e-6; with `other` (the same circuit compiled another way) its vjp to 1e-12. */
static void check_against(const ir_circuit *c, const rt_circuit *rc, const rt_circuit *other,
                          uint64_t seed, int B) {
    rng r = {seed};
    int P = c->n_params, I = c->n_inputs, O = c->n_obs;
    double *p = rand_vec(&r, (size_t)P, -3, 3), *x = rand_vec(&r, (size_t)B * I, -1.5, 1.5);
    double *gy = rand_vec(&r, (size_t)B * O, -1, 1);
    double *y = calloc((size_t)B * O + 1, sizeof *y), *yr = calloc((size_t)B * O + 1, sizeof *yr);
    double *gp = calloc((size_t)P + 1, sizeof *gp), *gx = calloc((size_t)B * I + 1, sizeof *gx);
    double *gpr = calloc((size_t)P + 1, sizeof *gpr), *gxr = calloc((size_t)B * I + 1, sizeof *gxr);
    double *gpf = calloc((size_t)P + 1, sizeof *gpf), *gxf = calloc((size_t)B * I + 1, sizeof *gxf);
    double *gpo = calloc((size_t)P + 1, sizeof *gpo), *gxo = calloc((size_t)B * I + 1, sizeof *gxo);
    void *w = work_of(rc);
    rc->forward(p, x, y, B, w);
    interp_forward_batch(c, p, x, yr, B);
    for (int i = 0; i < B * O; i++)
        assert_close(y[i], yr[i], 1e-12);
    rc->vjp(p, x, gy, gp, gx, B, w);
    free(w);
    interp_vjp(c, p, x, gy, gpr, gxr, B);
    interp_vjp_fd(c, p, x, gy, gpf, gxf, B, 1e-5);
    if (other) {
        w = work_of(other);
        other->vjp(p, x, gy, gpo, gxo, B, w);
        free(w);
    }
    for (int i = 0; i < P; i++) {
        assert_close(gp[i], gpr[i], 1e-10);
        assert_close(gp[i], gpf[i], 1e-6);
        if (other)
            assert_close(gp[i], gpo[i], 1e-12);
    }
    for (int i = 0; i < B * I; i++) {
        assert_close(gx[i], gxr[i], 1e-10);
        assert_close(gx[i], gxf[i], 1e-6);
        if (other)
            assert_close(gx[i], gxo[i], 1e-12);
    }
    free(p); free(x); free(gy); free(y); free(yr); free(gp); free(gx);
    free(gpr); free(gxr); free(gpf); free(gxf); free(gpo); free(gxo);
}

/* f32: the fused circuit compiled in float against the f64 interpreter on the unfused one,
 * outputs to 2e-5 and gradients to 1e-4 (docs/codegen.md section 6). */
static void check_f32(const ir_circuit *f, const ir_circuit *u, uint64_t seed) {
    rng r = {seed};
    int B = 4, P = u->n_params, I = u->n_inputs, O = u->n_obs;
    double *p = rand_vec(&r, (size_t)P, -3, 3), *x = rand_vec(&r, (size_t)B * I, -1.5, 1.5);
    double *gy = rand_vec(&r, (size_t)B * O, -1, 1);
    double *yr = calloc((size_t)B * O + 1, sizeof *yr), *gpr = calloc((size_t)P + 1, sizeof *gpr);
    double *gxr = calloc((size_t)B * I + 1, sizeof *gxr);
    float *pf = calloc((size_t)P + 1, sizeof *pf), *xf = calloc((size_t)B * I + 1, sizeof *xf);
    float *gyf = calloc((size_t)B * O + 1, sizeof *gyf), *yf = calloc((size_t)B * O + 1, sizeof *yf);
    float *gpf = calloc((size_t)P + 1, sizeof *gpf), *gxf = calloc((size_t)B * I + 1, sizeof *gxf);
    for (int i = 0; i < P; i++)
        pf[i] = (float)p[i];
    for (int i = 0; i < B * I; i++)
        xf[i] = (float)x[i];
    for (int i = 0; i < B * O; i++)
        gyf[i] = (float)gy[i];
    char err[512];
    jit_options o = jit_default_options();
    o.precision = 32;
    rt_circuit rc;
    if (jit_compile(S, f, &o, &rc, err, sizeof err))
        fail_msg("jit_compile: %s", err);
    void *w = work_of(&rc);
    rc.forward(pf, xf, yf, B, w);
    rc.vjp(pf, xf, gyf, gpf, gxf, B, w);
    free(w);
    interp_forward_batch(u, p, x, yr, B);
    interp_vjp(u, p, x, gy, gpr, gxr, B);
    for (int i = 0; i < B * O; i++)
        assert_close(yf[i], yr[i], 2e-5);
    for (int i = 0; i < P; i++)
        assert_close(gpf[i], gpr[i], 1e-4 * B);
    for (int i = 0; i < B * I; i++)
        assert_close(gxf[i], gxr[i], 1e-4);
    free(p); free(x); free(gy); free(yr); free(gpr); free(gxr);
    free(pf); free(xf); free(gyf); free(yf); free(gpf); free(gxf);
}

/* ---- tests ------------------------------------------------------------------------------ */

/* Hand-built FUSED_2Q ops of 1 to 10 random members between random ops on all wires: every
 * member kind, constant-only blocks (one constant matrix), parameter-only blocks (matrices in
 * _pre) and per-sample ones, in the adjoint and the parameter-shift vjp, at 1 and the
 * host's lanes. */
static void test_dense_members(void **state) {
    (void)state;
    rng r = {2026};
    for (int rep = 0; rep < 30; rep++) {
        int n = 2 + rep % 3, mode = rep % 3;
        ir_circuit *u = ir_new("dense", n, 2); /* the unfused circuit: the oracle's */
        for (int w = 0; w < n; w++) /* a state with amplitude everywhere */
            ir_add_gate(u, IR_RY, w, -1, ir_input(u, w % 2), -1, -1);
        ir_op m[2][10];
        int K[2], lo[2], hi[2], end[2];
        for (int blk = 0; blk < 2; blk++) {
            int a = rint_(&r, n), b = rint_(&r, n - 1);
            b += b >= a;
            lo[blk] = a < b ? a : b;
            hi[blk] = a < b ? b : a;
            K[blk] = 1 + rint_(&r, 10);
            for (int k = 0; k < K[blk]; k++) {
                m[blk][k] = rand_member(u, &r, lo[blk], hi[blk], mode, 1);
                put_op(u, &m[blk][k]);
            }
            end[blk] = u->n_ops;
            ir_add_gate(u, IR_CRY, hi[blk], lo[blk], ir_param(u, 0), -1, -1); /* between */
        }
        add_obs(u, &r);
        /* the fused circuit: the same expressions and observables, each run one FUSED_2Q */
        ir_circuit *f = ir_clone(u);
        f->n_ops = 0;
        f->n_members = 0;
        for (int i = 0, blk = 0; i < u->n_ops; i++) {
            if (blk < 2 && i >= end[blk] - K[blk] && i < end[blk]) {
                if (i == end[blk] - 1) {
                    int op = ir_add_fused(f, IR_FUSED_2Q, m[blk], K[blk]);
                    f->ops[op].wires[0] = lo[blk]; /* members on one wire leave one unset */
                    f->ops[op].wires[1] = hi[blk];
                    blk++;
                }
                continue;
            }
            const ir_op *o = &u->ops[i];
            if (o->n_members == 0)
                ir_add_gate(f, o->gate, o->wires[0], o->wires[1], o->angle[0], o->angle[1],
                            o->angle[2]);
            else
                ir_add_fused(f, o->gate, &u->members[o->first_member], o->n_members);
        }
        char err[512];
        if (cg_check(f, err, sizeof err))
            fail_msg("cg_check: %s", err);
        rt_circuit adj, shift, one;
        compile_ok(f, CG_GRAD_ADJOINT, 0, &adj);
        compile_ok(f, CG_GRAD_SHIFT, 0, &shift);
        compile_ok(f, CG_GRAD_ADJOINT, 1, &one);
        check_against(u, &adj, &shift, 100 + (uint64_t)rep, 5);
        check_against(u, &one, &adj, 200 + (uint64_t)rep, 3);
        if (rep % 5 == 0)
            check_f32(f, u, 400 + (uint64_t)rep);
        ir_free(f);
        ir_free(u);
    }
}

/* Random gate sequences on 2-4 qubits, mostly runs on one wire pair of 8-16 gates with
 * constant angles or of 3-10 gates with parameter angles or any (per-sample too), through pass_fuse: rule 9 must fire on
 * some, and the result equal the unfused circuit under the interpreter, and its vjp the one
 * compiled without rule 9. */
static void test_random_circuits(void **state) {
    (void)state;
    rng r = {77};
    int fired = 0, n_2q = 0, reps = 24;
    for (int rep = 0; rep < reps; rep++) {
        int n = 2 + rep % 3;
        ir_circuit *c = ir_new("rand", n, 2);
        int runs = 2 + rint_(&r, 4);
        for (int k = 0; k < runs; k++) {
            int a = rint_(&r, n), b = rint_(&r, n - 1);
            b += b >= a;
            /* constants (half of the runs: at dim 4 to 16 only those pay), params, any */
            int mode = rint_(&r, 4);
            mode = mode < 2 ? 0 : mode - 1;
            int len = mode ? 3 + rint_(&r, 8) : 8 + rint_(&r, 9);
            for (int j = 0; j < len; j++) {
                ir_op m = rand_member(c, &r, a, b, mode, 0);
                put_op(c, &m);
            }
            if (rint_(&r, 2)) { /* an op on some other wires between the runs */
                int w = rint_(&r, n);
                ir_add_gate(c, IR_RX, w, -1, rand_angle(c, &r, 2), -1, -1);
            }
        }
        add_obs(c, &r);
        ir_circuit *f = pass_fuse(c);
        pass_options no9 = {0};
        ir_circuit *f8 = pass_fuse_with(c, &no9);
        int k2 = 0;
        for (int i = 0; i < f->n_ops; i++)
            k2 += f->ops[i].gate == IR_FUSED_2Q;
        fired += k2 > 0;
        n_2q += k2;
        pass_cost a, b;
        pass_cost_of(f, &a);
        pass_cost_of(f8, &b);
        assert_true(a.vjp_flops <= b.vjp_flops); /* rule 9 only where the model gains */
        rt_circuit rf, r8;
        compile_ok(f, CG_GRAD_ADJOINT, 0, &rf);
        compile_ok(f8, CG_GRAD_ADJOINT, 0, &r8);
        check_against(c, &rf, &r8, 300 + (uint64_t)rep, 6);
        ir_free(f);
        ir_free(f8);
        ir_free(c);
    }
    print_message("rule 9 fired in %d of %d circuits (%d fused2q ops)\n", fired, reps, n_2q);
    assert_true(fired >= reps / 5);
}

/* ---- run-time effect (QNN_BENCH=1 build/tests/test_fuse2q, from the repository root) ---- *
 * bench/brick.qnn, a brick-wall ansatz of general two-qubit blocks (the structure rule 9 is
 * for), and examples/gates.qnn's qaoa_layer (rule 9 changes nothing there: the two runs are
 * the same code, a measure of the noise), compiled with and without rule 9; forward and vjp of one batch timed in turns
 * (A B A B ...) so that both see the same machine load, median of the turns, f64. */
static double now_s(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static int cmp_d(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void bench_circuit(const ir_circuit *c, const char *label, int B, int turns) {
    pass_options o9 = {1, 0}, o8 = {0, 0};
    ir_circuit *f[2] = {pass_fuse_with(c, &o8), pass_fuse_with(c, &o9)};
    rt_circuit rc[2];
    void *w[2];
    double tc[2];
    for (int k = 0; k < 2; k++) {
        double t0 = now_s();
        compile_ok(f[k], CG_GRAD_ADJOINT, 0, &rc[k]);
        tc[k] = now_s() - t0;
        w[k] = work_of(&rc[k]);
    }
    rng r = {9};
    int P = c->n_params, I = c->n_inputs, O = c->n_obs;
    double *p = rand_vec(&r, (size_t)P, -3, 3), *x = rand_vec(&r, (size_t)B * I, -1, 1);
    double *gy = rand_vec(&r, (size_t)B * O, -1, 1), *y = calloc((size_t)B * O, sizeof *y);
    double *gp = calloc((size_t)P + 1, sizeof *gp), *gx = calloc((size_t)B * I + 1, sizeof *gx);
    double *tf[2], *tv[2];
    for (int k = 0; k < 2; k++) {
        tf[k] = calloc((size_t)turns, sizeof *tf[k]);
        tv[k] = calloc((size_t)turns, sizeof *tv[k]);
    }
    for (int t = 0; t < turns; t++)
        for (int k = 0; k < 2; k++) {
            double a = now_s();
            rc[k].forward(p, x, y, B, w[k]);
            double b = now_s();
            rc[k].vjp(p, x, gy, gp, gx, B, w[k]);
            tf[k][t] = b - a;
            tv[k][t] = now_s() - b;
        }
    double mf[2], mv[2];
    for (int k = 0; k < 2; k++) {
        qsort(tf[k], (size_t)turns, sizeof *tf[k], cmp_d);
        qsort(tv[k], (size_t)turns, sizeof *tv[k], cmp_d);
        mf[k] = tf[k][turns / 2] / B * 1e6;
        mv[k] = tv[k][turns / 2] / B * 1e6;
        pass_cost pc;
        pass_cost_of(f[k], &pc);
        printf("%s %s: %3d sweeps, model forward %.0f vjp %.0f flops; compile %.2f s; "
               "forward %.3f us/sample, vjp %.3f us/sample (median of %d, W=%d)\n", label,
               k ? "rule 9   " : "no rule 9", f[k]->n_ops, pc.forward_flops, pc.vjp_flops,
               tc[k], mf[k], mv[k], turns, rc[k].lanes);
        free(tf[k]);
        free(tv[k]);
        free(w[k]);
        ir_free(f[k]);
    }
    printf("%s ratio rule 9 / without: forward %.3f, vjp %.3f\n", label, mf[1] / mf[0],
           mv[1] / mv[0]);
    free(p); free(x); free(gy); free(y); free(gp); free(gx);
}

static void test_bench(void **state) {
    (void)state;
    const char *b = getenv("QNN_BENCH");
    if (!b || strcmp(b, "1") != 0)
        skip();
    const char *files[2] = {"bench/brick.qnn", "examples/gates.qnn"};
    for (int k = 0; k < 2; k++) {
        arena *ar = arena_create();
        sema_options so = {0};
        so.max_qubits = 24;
        sema_result *r = sema_check_file(ar, files[k], &so);
        assert_non_null(r);
        for (int i = 0; i < r->n_circuits; i++) {
            const ir_circuit *c = r->circuits[i];
            if (strcmp(c->name, "brick") == 0)
                bench_circuit(c, "brick n=8 L=4", 1024, 41);
            else if (strcmp(c->name, "qaoa_layer") == 0)
                bench_circuit(c, "gates.qnn qaoa_layer n=4", 4096, 41);
        }
        sema_free(r);
        arena_destroy(ar);
    }
}

static int setup(void **state) {
    (void)state;
    char err[256];
    S = jit_create(err, sizeof err);
    if (!S) {
        fprintf(stderr, "jit_create: %s\n", err);
        return -1;
    }
    return 0;
}

static int teardown(void **state) {
    (void)state;
    jit_destroy(S);
    return 0;
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dense_members),
        cmocka_unit_test(test_random_circuits),
        cmocka_unit_test(test_bench),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
