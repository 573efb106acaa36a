/* Unit tests for the LLVM code generator and JIT (compiler/cg*.c, compiler/jit.c): generated
 * forward and vjp functions against the reference interpreter (compiler/interp.c), finite
 * differences, the parameter-shift rule and the fusion pass, on random circuits over every
 * gate kind; plus the error paths, object files and the runtime symbol table. */
#include "testutil.h"

#include <pthread.h>
#include <time.h>
#include <unistd.h>

#include "arena.h"
#include "cg.h"
#include "diag.h"
#include "interp.h"
#include "ir.h"
#include "jit.h"
#include "passes.h"
#include "rt_pool.h"
#include "rt_qlayer.h"
#include "sema.h"

static jit_session *S; /* one JIT for the whole file: creating one costs ~10 ms */

/* ---- deterministic random numbers --------------------------------------------------------- */

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

/* ---- random circuits ------------------------------------------------------------------------ */

/* A random angle expression over params and (if n_inputs > 0) inputs; `form` picks the shape
 * so that every expression kind and both shared and per-sample angles occur. */
static int rand_angle(ir_circuit *c, rng *r, int n_params, int n_inputs) {
    int p = ir_param(c, rint_(r, n_params));
    int x = n_inputs > 0 ? ir_input(c, rint_(r, n_inputs)) : ir_param(c, rint_(r, n_params));
    int k = ir_const(c, runif(r, 0.2, 1.5));
    switch (rint_(r, 17)) {
    case 0: return ir_binary(c, IR_EXPR_ADD, ir_binary(c, IR_EXPR_MUL, ir_const(c, 2.0), x), p);
    case 1: return ir_binary(c, IR_EXPR_MUL, ir_unary(c, IR_EXPR_SIN, x), p);
    case 2: return ir_binary(c, IR_EXPR_SUB, ir_unary(c, IR_EXPR_COS, p), x);
    case 3: return ir_binary(c, IR_EXPR_DIV, p, ir_binary(c, IR_EXPR_ADD, k, ir_binary(c, IR_EXPR_MUL, x, x)));
    case 4: return ir_unary(c, IR_EXPR_NEG, ir_binary(c, IR_EXPR_MUL, p, p));
    case 5: return ir_unary(c, IR_EXPR_TAN, ir_binary(c, IR_EXPR_MUL, ir_const(c, 0.3), x));
    case 6: return ir_binary(c, IR_EXPR_MUL, ir_unary(c, IR_EXPR_EXP, ir_binary(c, IR_EXPR_MUL, ir_const(c, 0.3), x)), p);
    case 7: return ir_unary(c, IR_EXPR_LOG, ir_binary(c, IR_EXPR_ADD, k, ir_binary(c, IR_EXPR_MUL, x, x)));
    case 8: return ir_binary(c, IR_EXPR_MUL, ir_unary(c, IR_EXPR_SQRT, ir_binary(c, IR_EXPR_ADD, k, ir_binary(c, IR_EXPR_MUL, p, p))), x);
    case 9: return ir_binary(c, IR_EXPR_ADD, ir_unary(c, IR_EXPR_TANH, x), p);
    case 10: return ir_binary(c, IR_EXPR_MUL, ir_unary(c, IR_EXPR_ATAN, p), x);
    case 11: return ir_unary(c, IR_EXPR_ASIN, ir_binary(c, IR_EXPR_MUL, ir_const(c, 0.5), ir_unary(c, IR_EXPR_SIN, x)));
    case 12: return ir_binary(c, IR_EXPR_ADD, ir_unary(c, IR_EXPR_ACOS, ir_binary(c, IR_EXPR_MUL, ir_const(c, 0.4), ir_unary(c, IR_EXPR_COS, p))), p);
    case 13: return ir_binary(c, IR_EXPR_ADD, p, x);
    case 14: return p;
    case 15: /* a trajectory's Pauli choice (trajectory.h): pi step(k - x), per lane when x is */
        return ir_binary(c, IR_EXPR_ADD, p, ir_binary(c, IR_EXPR_MUL, ir_const(c, 3.14159265358979),
                                                      ir_unary(c, IR_EXPR_STEP, ir_binary(c, IR_EXPR_SUB, k, x))));
    case 16: return ir_binary(c, IR_EXPR_ATAN2, x, ir_binary(c, IR_EXPR_SUB, p, k)); /* all quadrants */
    default: return x;
    }
}

static void add_random_gate(ir_circuit *c, rng *r, ir_gate g, int n_params, int n_inputs) {
    int n = c->n_qubits;
    int w0 = rint_(r, n), w1 = -1;
    if (ir_gate_arity(g) == 2) {
        w1 = rint_(r, n - 1);
        if (w1 >= w0)
            w1++;
    }
    int a[3] = {-1, -1, -1};
    for (int k = 0; k < ir_gate_n_angles(g); k++)
        a[k] = rand_angle(c, r, n_params, n_inputs);
    ir_add_gate(c, g, w0, w1, a[0], a[1], a[2]);
}

/* The structures that fusion rules 0 and 8 (passes.h) see through, as gates.c expands
 * them: cnot-D-cnot with D on the target, multirz's CNOT ladder around rzz (RZ + CRZ), ccz as
 * CPHASEs and CNOTs (Barenco), toffoli (H ccz H), a diagonal on a CNOT's control. */
static void add_random_pattern(ir_circuit *c, rng *r, int n_params, int n_inputs) {
    int n = c->n_qubits, w[4];
    if (n < 2)
        return;
    int k = n >= 4 ? 4 : n;
    for (int i = 0; i < k; i++) { /* k distinct wires */
        int ok;
        do {
            w[i] = rint_(r, n);
            ok = 1;
            for (int j = 0; j < i; j++)
                ok &= w[j] != w[i];
        } while (!ok);
    }
    int a = rand_angle(c, r, n_params, n_inputs);
    switch (rint_(r, n >= 3 ? 5 : 2)) {
    case 0: {
        static const ir_gate d[] = {IR_RZ, IR_PHASE, IR_Z, IR_S, IR_T};
        ir_gate g = d[rint_(r, 5)];
        ir_add_gate(c, IR_CNOT, w[0], w[1], -1, -1, -1);
        ir_add_gate(c, g, w[1], -1, ir_gate_n_angles(g) ? a : -1, -1, -1);
        ir_add_gate(c, IR_CNOT, w[0], w[1], -1, -1, -1);
        break;
    }
    case 1:
        ir_add_gate(c, IR_RZ, w[0], -1, a, -1, -1);
        ir_add_gate(c, IR_CNOT, w[0], w[1], -1, -1, -1);
        ir_add_gate(c, IR_RY, w[1], -1, rand_angle(c, r, n_params, n_inputs), -1, -1);
        ir_add_gate(c, IR_PHASE, w[0], -1, rand_angle(c, r, n_params, n_inputs), -1, -1);
        ir_add_gate(c, IR_CNOT, w[0], w[1], -1, -1, -1);
        break;
    case 2: /* multirz on k wires */
        for (int i = 0; i + 2 < k; i++)
            ir_add_gate(c, IR_CNOT, w[i], w[i + 1], -1, -1, -1);
        ir_add_gate(c, IR_RZ, w[k - 1], -1, a, -1, -1);
        ir_add_gate(c, IR_CRZ, w[k - 2], w[k - 1],
                    ir_binary(c, IR_EXPR_MUL, a, ir_const(c, -2.0)), -1, -1);
        for (int i = k - 3; i >= 0; i--)
            ir_add_gate(c, IR_CNOT, w[i], w[i + 1], -1, -1, -1);
        break;
    default: { /* ccz (3), toffoli (4) */
        int toff = rint_(r, 2), h = ir_const(c, 1.5707963267948966), mh = ir_const(c, -1.5707963267948966);
        if (toff)
            ir_add_gate(c, IR_H, w[2], -1, -1, -1, -1);
        ir_add_gate(c, IR_CPHASE, w[1], w[2], h, -1, -1);
        ir_add_gate(c, IR_CNOT, w[0], w[1], -1, -1, -1);
        ir_add_gate(c, IR_CPHASE, w[1], w[2], mh, -1, -1);
        ir_add_gate(c, IR_CNOT, w[0], w[1], -1, -1, -1);
        ir_add_gate(c, IR_CPHASE, w[0], w[2], h, -1, -1);
        if (toff)
            ir_add_gate(c, IR_H, w[2], -1, -1, -1, -1);
        break;
    }
    }
}

static void add_observables(ir_circuit *c, rng *r, int mixed) {
    int n = c->n_qubits;
    char p[IR_MAX_QUBITS + 1];
    for (int w = 0; w < n; w++) { /* <Z_w>, as QIREN measures */
        memset(p, 'I', (size_t)n);
        p[n] = 0;
        p[w] = 'Z';
        ir_begin_observable(c);
        ir_add_term(c, 1.0, p);
    }
    if (!mixed)
        return;
    /* a weighted sum with X/Y factors, a Z product and the identity */
    ir_begin_observable(c);
    for (int t = 0; t < 3; t++) {
        for (int w = 0; w < n; w++)
            p[w] = "IXYZ"[rint_(r, 4)];
        p[n] = 0;
        ir_add_term(c, runif(r, -1.5, 1.5), p);
    }
    memset(p, 'I', (size_t)n);
    ir_add_term(c, 0.25, p);
    for (int w = 0; w < n; w++)
        p[w] = rint_(r, 2) ? 'Z' : 'I';
    ir_add_term(c, -0.5, p);
}

/* Every primitive gate kind at least once (two-qubit ones only if n >= 2), then n_extra
 * random ones. */
static ir_circuit *random_circuit(int n, int n_extra, int n_inputs, int n_params, uint64_t seed) {
    rng r = {seed};
    ir_circuit *c = ir_new("rand", n, n_inputs);
    for (int i = 0; i < n_params; i++)
        ir_param(c, i); /* fixes n_params */
    for (int g = 0; g < IR_FUSED_1Q; g++)
        if (ir_gate_arity((ir_gate)g) == 1 || n >= 2)
            add_random_gate(c, &r, (ir_gate)g, n_params, n_inputs);
    for (int i = 0; i < n_extra; i++) {
        ir_gate g;
        do
            g = (ir_gate)rint_(&r, IR_FUSED_1Q);
        while (ir_gate_arity(g) == 2 && n < 2);
        add_random_gate(c, &r, g, n_params, n_inputs);
    }
    add_observables(c, &r, 1);
    return c;
}

/* The QIREN quantum layer (reference guide): R re-uploading blocks of 2-layer
 * StronglyEntanglingLayers (Rot + CZ ring with range r) and RZ(x_j) encodings, then a final
 * SEL; <Z_j> outputs. 6 n (R + 1) parameters. */
static ir_circuit *qiren_circuit(int n, int R) {
    ir_circuit *c = ir_new("qiren", n, n);
    int np = 0;
    for (int blk = 0; blk <= R; blk++) {
        for (int l = 0; l < 2; l++) {
            for (int i = 0; i < n; i++) {
                int a0 = ir_param(c, np++), a1 = ir_param(c, np++), a2 = ir_param(c, np++);
                ir_add_gate(c, IR_ROT, i, -1, a0, a1, a2);
            }
            if (n > 1) {
                int rr = l % (n - 1) + 1;
                for (int i = 0; i < n; i++)
                    ir_add_gate(c, IR_CZ, i, (i + rr) % n, -1, -1, -1);
            }
        }
        if (blk < R)
            for (int j = 0; j < n; j++)
                ir_add_gate(c, IR_RZ, j, -1, ir_input(c, j), -1, -1);
    }
    rng r = {1};
    add_observables(c, &r, 0);
    return c;
}

static double *rand_vec(rng *r, size_t n, double a, double b) {
    double *v = malloc(sizeof *v * (n ? n : 1));
    for (size_t i = 0; i < n; i++)
        v[i] = runif(r, a, b);
    return v;
}

/* ---- running compiled circuits ----------------------------------------------------------- */

/* Work buffers come with canaries: 8 bytes before (the pointer passed is deliberately not
 * 64-byte aligned; the code aligns it) and 64 after the promised work_bytes. Generated code
 * is invisible to ASan, so this is how the tests catch an out-of-bounds scratch access. */
#define CANARY 0xA5
static unsigned char *work_for(const rt_circuit *rc) {
    unsigned char *w = malloc(rc->work_bytes + 8 + 64);
    assert_non_null(w);
    memset(w, CANARY, rc->work_bytes + 8 + 64);
    return w;
}

static void work_done(const rt_circuit *rc, unsigned char *w) {
    for (size_t i = 0; i < 8; i++)
        assert_int_equal(w[i], CANARY);
    for (size_t i = 8 + rc->work_bytes; i < rc->work_bytes + 8 + 64; i++)
        assert_int_equal(w[i], CANARY);
    free(w);
}

static void compile_ok(const ir_circuit *c, const jit_options *o, rt_circuit *rc) {
    char err[512];
    if (jit_compile(S, c, o, rc, err, sizeof err))
        fail_msg("jit_compile: %s", err);
}

/* Output rows beyond B hold a sentinel that must survive. */
static void run_forward(const rt_circuit *rc, const double *p, const double *x, double *y, int B) {
    unsigned char *w = work_for(rc);
    double *yy = malloc(sizeof *yy * ((size_t)(B > 0 ? B : 0) + 1) * (size_t)(rc->n_outputs + 1));
    for (int i = 0; i < (B > 0 ? B : 0) * rc->n_outputs + rc->n_outputs; i++)
        yy[i] = -777.0;
    rc->forward(p, x, yy, B, w + 8);
    for (int i = 0; i < (B > 0 ? B : 0) * rc->n_outputs; i++)
        y[i] = yy[i];
    for (int i = 0; i < rc->n_outputs; i++)
        assert_true(yy[(B > 0 ? B : 0) * rc->n_outputs + i] == -777.0);
    free(yy);
    work_done(rc, w);
}

static void run_vjp(const rt_circuit *rc, const double *p, const double *x, const double *gy,
                    double *gp, double *gx, int B) {
    unsigned char *w = work_for(rc);
    int Bp = B > 0 ? B : 0, I = rc->n_inputs;
    double *gxx = gx ? malloc(sizeof *gxx * ((size_t)Bp * I + I + 1)) : NULL;
    if (gxx) {
        memcpy(gxx, gx, sizeof *gxx * (size_t)Bp * I);
        for (int i = 0; i < I; i++)
            gxx[Bp * I + i] = -777.0;
    }
    rc->vjp(p, x, gy, gp, gxx, B, w + 8);
    if (gxx) {
        memcpy(gx, gxx, sizeof *gxx * (size_t)Bp * I);
        for (int i = 0; i < I; i++)
            assert_true(gxx[Bp * I + i] == -777.0);
        free(gxx);
    }
    work_done(rc, w);
}

static int lanes_of(void) { return cg_default_lanes(NULL, 64); }

/* Forward of c through the JIT equals the interpreter for several batch sizes. */
static void check_forward(const ir_circuit *c, const rt_circuit *rc, uint64_t seed, double tol) {
    rng r = {seed};
    int W = rc->lanes, sizes[5] = {1, 3, W, W + 1, 37};
    double *p = rand_vec(&r, (size_t)c->n_params, -3, 3);
    for (int si = 0; si < 5; si++) {
        int B = sizes[si];
        double *x = rand_vec(&r, (size_t)B * c->n_inputs, -1.5, 1.5);
        double *y = calloc((size_t)B * c->n_obs + 1, sizeof *y);
        double *yr = calloc((size_t)B * c->n_obs + 1, sizeof *yr);
        run_forward(rc, p, x, y, B);
        interp_forward_batch(c, p, x, yr, B);
        for (int i = 0; i < B * c->n_obs; i++)
            assert_close(y[i], yr[i], tol);
        free(x);
        free(y);
        free(yr);
    }
    free(p);
}

/* vjp of c against the interpreter's exact vjp (tol_exact) and central differences (1e-6);
 * grad_params must accumulate onto what is there. */
static void check_vjp(const ir_circuit *c, const rt_circuit *rc, int B, uint64_t seed,
                      double tol_exact, int with_fd) {
    rng r = {seed};
    int P = c->n_params, I = c->n_inputs, O = c->n_obs;
    double *p = rand_vec(&r, (size_t)P, -3, 3);
    double *x = rand_vec(&r, (size_t)B * I, -1.5, 1.5);
    double *gy = rand_vec(&r, (size_t)B * O, -1, 1);
    double *gp = rand_vec(&r, (size_t)P, -1, 1), *gp0 = malloc(sizeof *gp0 * (P ? P : 1));
    memcpy(gp0, gp, sizeof *gp * (size_t)P);
    double *gx = rand_vec(&r, (size_t)B * I, 5, 6); /* garbage: must be overwritten */
    double *gpr = calloc((size_t)P + 1, sizeof *gpr), *gxr = calloc((size_t)B * I + 1, sizeof *gxr);
    double *gpf = calloc((size_t)P + 1, sizeof *gpf), *gxf = calloc((size_t)B * I + 1, sizeof *gxf);
    run_vjp(rc, p, x, gy, gp, gx, B);
    interp_vjp(c, p, x, gy, gpr, gxr, B);
    if (with_fd)
        interp_vjp_fd(c, p, x, gy, gpf, gxf, B, 1e-5);
    for (int i = 0; i < P; i++) {
        assert_close(gp[i] - gp0[i], gpr[i], tol_exact);
        if (with_fd)
            assert_close(gp[i] - gp0[i], gpf[i], 1e-6);
    }
    for (int i = 0; i < B * I; i++) {
        assert_close(gx[i], gxr[i], tol_exact);
        if (with_fd)
            assert_close(gx[i], gxf[i], 1e-6);
    }
    free(p); free(x); free(gy); free(gp); free(gp0); free(gx);
    free(gpr); free(gxr); free(gpf); free(gxf);
}

/* ---- tests ---------------------------------------------------------------------------------- */

static void test_bell(void **state) {
    (void)state;
    ir_circuit *c = ir_new("bell", 2, 0);
    ir_add_gate(c, IR_H, 0, -1, -1, -1, -1);
    ir_add_gate(c, IR_CNOT, 0, 1, -1, -1, -1);
    const char *obs[] = {"ZI", "IZ", "ZZ", "XX", "YY", "XY"};
    const double want[] = {0, 0, 1, 1, -1, 0};
    for (int o = 0; o < 6; o++) {
        ir_begin_observable(c);
        ir_add_term(c, 1.0, obs[o]);
    }
    rt_circuit rc;
    compile_ok(c, NULL, &rc);
    assert_int_equal(rc.n_outputs, 6);
    assert_int_equal(rc.n_qubits, 2);
    double y[12];
    run_forward(&rc, NULL, NULL, y, 2);
    for (int b = 0; b < 2; b++)
        for (int o = 0; o < 6; o++)
            assert_close(y[6 * b + o], want[o], 1e-15);
    ir_free(c);
}


/* Every gate kind, 1..10 qubits, mixed observables, angles of params and inputs: forward
 * equals the interpreter for batch sizes 1, 3, W, W+1, 37; the adjoint vjp equals the
 * interpreter's exact vjp and central finite differences. */
static void test_random_circuits(void **state) {
    (void)state;
    for (int n = 1; n <= 10; n++) {
        ir_circuit *c = random_circuit(n, n, 3, 6, 100 + (uint64_t)n);
        rt_circuit rc;
        compile_ok(c, NULL, &rc);
        assert_int_equal(rc.lanes, lanes_of());
        assert_int_equal(rc.precision, 64);
        check_forward(c, &rc, 7 + (uint64_t)n, 1e-12);
        int W = rc.lanes, sizes[5] = {1, 3, W, W + 1, 37};
        check_vjp(c, &rc, n <= 6 ? sizes[n % 5] : 2, 11 + (uint64_t)n, 1e-10, n <= 6);
        ir_free(c);
    }
}

/* Gradient by the parameter-shift rule (2 or 4 terms per gate angle) equals the adjoint
 * method, for every parametrised gate kind, unfused and fused. */
static void test_shift_random(void **state) {
    (void)state;
    for (int n = 1; n <= 4; n++) {
        int fused = n % 2 == 0;
        ir_circuit *c0 = random_circuit(n, n, 2, 5, 300 + (uint64_t)n);
        ir_circuit *c = fused ? pass_fuse(c0) : c0;
        jit_options o = jit_default_options();
        rt_circuit ra, rs;
        compile_ok(c, &o, &ra);
        o.grad = CG_GRAD_SHIFT;
        compile_ok(c, &o, &rs);
        rng r = {400 + (uint64_t)n};
        int B = 3, P = c->n_params, I = c->n_inputs, O = c->n_obs;
        double *p = rand_vec(&r, (size_t)P, -3, 3), *x = rand_vec(&r, (size_t)B * I, -1, 1);
        double *gy = rand_vec(&r, (size_t)B * O, -1, 1);
        double *ga = calloc((size_t)P, sizeof *ga), *gs = calloc((size_t)P, sizeof *gs);
        double *xa = calloc((size_t)B * I, sizeof *xa), *xs = calloc((size_t)B * I, sizeof *xs);
        run_vjp(&ra, p, x, gy, ga, xa, B);
        run_vjp(&rs, p, x, gy, gs, xs, B);
        for (int i = 0; i < P; i++)
            assert_close(gs[i], ga[i], 1e-10);
        for (int i = 0; i < B * I; i++)
            assert_close(xs[i], xa[i], 1e-10);
        free(p); free(x); free(gy); free(ga); free(gs); free(xa); free(xs);
        if (fused)
            ir_free(c);
        ir_free(c0);
    }
}

/* pass_fuse's FUSED_1Q / FUSED_DIAG ops: forward and vjp equal the unfused circuit's. */
static void test_fused_equals_unfused(void **state) {
    (void)state;
    for (int n = 1; n <= 7; n += 3) {
        ir_circuit *c0 = random_circuit(n, n, 3, 6, 500 + (uint64_t)n);
        /* runs of one-qubit and diagonal gates, so that the pass has something to fuse */
        rng r = {600 + (uint64_t)n};
        for (int i = 0; i < 4 * n + 4; i++) {
            static const ir_gate kinds[] = {IR_RX, IR_RZ, IR_H, IR_ROT, IR_CZ, IR_PHASE,
                                            IR_CPHASE, IR_CRZ, IR_S, IR_T, IR_U3, IR_Z};
            ir_gate g = kinds[rint_(&r, 12)];
            if (ir_gate_arity(g) == 2 && n < 2)
                g = IR_RY;
            add_random_gate(c0, &r, g, 6, 3);
            if (rint_(&r, 4) == 0)
                add_random_pattern(c0, &r, 6, 3);
        }
        ir_circuit *c1 = pass_fuse(c0);
        int n_fused = 0;
        for (int i = 0; i < c1->n_ops; i++)
            n_fused += ir_gate_is_fused(c1->ops[i].gate);
        assert_true(n_fused > 0);
        rt_circuit r0, r1;
        compile_ok(c0, NULL, &r0);
        compile_ok(c1, NULL, &r1);
        assert_int_equal(r1.n_params, r0.n_params);
        check_forward(c1, &r1, 9, 1e-12);
        check_vjp(c1, &r1, 5, 10, 1e-10, 0);
        /* and directly against the unfused code */
        rng rr = {700};
        int B = 11, P = c0->n_params, I = c0->n_inputs, O = c0->n_obs;
        double *p = rand_vec(&rr, (size_t)P, -3, 3), *x = rand_vec(&rr, (size_t)B * I, -1, 1);
        double *y0 = calloc((size_t)B * O, sizeof *y0), *y1 = calloc((size_t)B * O, sizeof *y1);
        run_forward(&r0, p, x, y0, B);
        run_forward(&r1, p, x, y1, B);
        for (int i = 0; i < B * O; i++)
            assert_close(y1[i], y0[i], 1e-12);
        free(p); free(x); free(y0); free(y1);
        ir_free(c1);
        ir_free(c0);
    }
}

/* Layers of one shape (cg_fn.c's table-driven _pre): ops that differ only in which parameters
 * they read are one loop over a table of parameter indices. A circuit of L repeated layers
 * mixing every case the shapes tell apart (constants in an angle, a parameter read twice by
 * one fused op and, in other layers, two parameters in the same places, controlled
 * rotations, diagonals of parameters) must give the interpreter's outputs and gradients,
 * fused and unfused, and the loops must really be there. */
static void test_pre_loops(void **state) {
    (void)state;
    int n = 3, L = 5;
    ir_circuit *c0 = ir_new("layers", n, 1);
    int np = 0;
    for (int l = 0; l < L; l++) {
        for (int j = 0; j < n; j++) {
            int a = ir_param(c0, np++), b = ir_param(c0, np++), d = ir_param(c0, np++);
            ir_add_gate(c0, IR_ROT, j, -1, a, b, d);
            ir_add_gate(c0, IR_U3, j, -1, b, ir_const(c0, 0.7), a);
        }
        int s = ir_param(c0, np++);
        /* alias: in even layers one parameter twice, in odd ones two parameters */
        ir_add_gate(c0, IR_RX, 0, -1, s, -1, -1);
        ir_add_gate(c0, IR_RY, 0, -1, l % 2 ? ir_param(c0, np++) : s, -1, -1);
        ir_add_gate(c0, IR_CRX, 0, 1, ir_param(c0, np++), -1, -1);
        ir_add_gate(c0, IR_CNOT, 1, 2, -1, -1, -1);
        for (int j = 0; j < n; j++)
            ir_add_gate(c0, IR_RZ, j, -1, ir_param(c0, np++), -1, -1);
        ir_add_gate(c0, IR_CPHASE, 0, 2, ir_param(c0, np++), -1, -1);
        ir_add_gate(c0, IR_RY, 2, -1, ir_input(c0, 0), -1, -1); /* per lane: not in a loop */
    }
    rng r = {77};
    add_observables(c0, &r, 1);
    ir_circuit *c1 = pass_fuse(c0);
    for (int v = 0; v < 2; v++) {
        const ir_circuit *c = v ? c1 : c0;
        char err[512];
        char *text = cg_emit_llvm_text(c, NULL, NULL, "lp", err, sizeof err);
        assert_non_null(text);
        assert_non_null(strstr(text, "@lp_preL0("));
        free(text);
        rt_circuit rc;
        compile_ok(c, NULL, &rc);
        check_forward(c, &rc, 31, 1e-12);
        check_vjp(c, &rc, 7, 32, 1e-10, 1);
    }
    ir_free(c1);
    ir_free(c0);
}

/* The op sequence as data (cg_fn.c, "the op sequence as data"): runs of at least four kernel
 * calls become loops over the step tables <p>_steps (forward) and <p>_vjpS (backward); a
 * shared op whose angle is an expression of parameters chains its gradient inline and ends
 * a backward run, so here runs of several lengths (1 to 9 ops) alternate with such ops, own
 * kernels (CNOT, per-lane angles) sit inside runs, and the last layer has no break. Unfused
 * and fused, against the interpreter (outputs 1e-12, gradients 1e-10 and central
 * differences), the adjoint vjp against parameter shift, and the tables must be there. */
static void test_step_tables(void **state) {
    (void)state;
    int n = 3;
    ir_circuit *c0 = ir_new("steps", n, 1);
    int np = 0;
    for (int l = 0; l < 6; l++) {
        int run = 1 + (l * 3) % 9; /* 1, 4, 7, 1, 4, 7 ops between breaks */
        for (int j = 0; j < run; j++) {
            int w = j % n;
            if (j % 3 == 2)
                ir_add_gate(c0, IR_CNOT, w, (w + 1) % n, -1, -1, -1);
            else if (j % 5 == 4)
                ir_add_gate(c0, IR_RY, w, -1, ir_input(c0, 0), -1, -1); /* own kernel */
            else {
                int a = ir_param(c0, np++), b = ir_param(c0, np++);
                ir_add_gate(c0, IR_ROT, w, -1, a, b, ir_const(c0, 0.3 * j));
            }
        }
        if (l < 5) { /* the break: 2 w + 0.5 is chained in the vjp itself */
            int e = ir_binary(c0, IR_EXPR_ADD,
                              ir_binary(c0, IR_EXPR_MUL, ir_const(c0, 2.0), ir_param(c0, np++)),
                              ir_const(c0, 0.5));
            ir_add_gate(c0, IR_RX, l % n, -1, e, -1, -1);
        }
    }
    rng r = {91};
    add_observables(c0, &r, 1);
    ir_circuit *c1 = pass_fuse(c0);
    for (int v = 0; v < 2; v++) {
        const ir_circuit *c = v ? c1 : c0;
        char err[512];
        char *text = cg_emit_llvm_text(c, NULL, NULL, "st", err, sizeof err);
        assert_non_null(text);
        assert_non_null(strstr(text, "@st_steps = private"));
        assert_non_null(strstr(text, "@st_vjpS = private"));
        free(text);
        rt_circuit rc, rs;
        compile_ok(c, NULL, &rc);
        check_forward(c, &rc, 13, 1e-12);
        check_vjp(c, &rc, 6, 55, 1e-10, 1);
        jit_options o = jit_default_options();
        o.grad = CG_GRAD_SHIFT;
        compile_ok(c, &o, &rs);
        int B = 5, P = c->n_params, O = c->n_obs;
        rng rr = {92 + (uint64_t)v};
        double *p = rand_vec(&rr, (size_t)P, -3, 3), *x = rand_vec(&rr, (size_t)B, -1, 1);
        double *go = rand_vec(&rr, (size_t)B * O, -1, 1);
        double *ga = calloc((size_t)P, sizeof *ga), *gs = calloc((size_t)P, sizeof *gs);
        double *gia = calloc((size_t)B, sizeof *gia), *gis = calloc((size_t)B, sizeof *gis);
        run_vjp(&rc, p, x, go, ga, gia, B);
        run_vjp(&rs, p, x, go, gs, gis, B);
        for (int i = 0; i < P; i++)
            assert_close(gs[i], ga[i], 1e-10);
        for (int i = 0; i < B; i++)
            assert_close(gis[i], gia[i], 1e-10);
        free(p); free(x); free(go); free(ga); free(gs); free(gia); free(gis);
    }
    ir_free(c1);
    ir_free(c0);
}

static void check_f32(const ir_circuit *c);

static int n_multirz(const ir_circuit *c) {
    int k = 0;
    for (int i = 0; i < c->n_members; i++)
        k += c->members[i].gate == IR_MULTIRZ;
    return k;
}

/* Fusion through parity networks (rule 0) and controls (rule 8): circuits rich in the
 * structures of add_random_pattern, fused (with MULTIRZ members), against the unfused
 * circuit under the interpreter at 1e-12, the compiled forward against the interpreter at
 * 1e-12, the adjoint vjp against the interpreter's and central differences, parameter
 * shift against adjoint, and the f32 bounds. */
static void test_parity_fusion(void **state) {
    (void)state;
    int total_multirz = 0;
    for (int n = 2; n <= 8; n++) {
        rng r = {1200 + (uint64_t)n};
        ir_circuit *c0 = ir_new("parity", n, 3);
        for (int i = 0; i < 6; i++)
            ir_param(c0, i);
        for (int w = 0; w < n; w++)
            ir_add_gate(c0, rint_(&r, 2) ? IR_H : IR_RX, w, -1,
                        ir_param(c0, rint_(&r, 6)), -1, -1);
        for (int i = 0; i < 3 * n; i++) {
            add_random_pattern(c0, &r, 6, 3);
            if (rint_(&r, 3) == 0)
                add_random_gate(c0, &r, (ir_gate)rint_(&r, IR_FUSED_1Q), 6, 3);
        }
        add_observables(c0, &r, 1);
        ir_circuit *c1 = pass_fuse(c0);
        total_multirz += n_multirz(c1);
        /* fused == unfused */
        rng rr = {1300 + (uint64_t)n};
        int B = 4, P = c0->n_params, I = c0->n_inputs, O = c0->n_obs;
        double *p = rand_vec(&rr, (size_t)P, -3, 3), *x = rand_vec(&rr, (size_t)B * I, -1.5, 1.5);
        double *y0 = calloc((size_t)B * O, sizeof *y0), *y1 = calloc((size_t)B * O, sizeof *y1);
        interp_forward_batch(c0, p, x, y0, B);
        interp_forward_batch(c1, p, x, y1, B);
        for (int i = 0; i < B * O; i++)
            assert_close(y1[i], y0[i], 1e-12);
        rt_circuit r1, rs;
        compile_ok(c1, NULL, &r1);
        run_forward(&r1, p, x, y1, B);
        for (int i = 0; i < B * O; i++)
            assert_close(y1[i], y0[i], 1e-12);
        check_forward(c1, &r1, 1400 + (uint64_t)n, 1e-12);
        check_vjp(c1, &r1, 3, 1500 + (uint64_t)n, 1e-10, n <= 6);
        jit_options o = jit_default_options();
        o.grad = CG_GRAD_SHIFT;
        compile_ok(c1, &o, &rs);
        double *gy = rand_vec(&rr, (size_t)B * O, -1, 1);
        double *ga = calloc((size_t)P, sizeof *ga), *gs = calloc((size_t)P, sizeof *gs);
        double *xa = calloc((size_t)B * I, sizeof *xa), *xs = calloc((size_t)B * I, sizeof *xs);
        run_vjp(&r1, p, x, gy, ga, xa, B);
        run_vjp(&rs, p, x, gy, gs, xs, B);
        for (int i = 0; i < P; i++)
            assert_close(gs[i], ga[i], 1e-10);
        for (int i = 0; i < B * I; i++)
            assert_close(xs[i], xa[i], 1e-10);
        if (n % 3 == 2)
            check_f32(c1);
        free(p); free(x); free(y0); free(y1); free(gy); free(ga); free(gs); free(xa); free(xs);
        ir_free(c1);
        ir_free(c0);
    }
    assert_true(total_multirz > 20);
}

/* MULTIRZ members on every kind of wire set, beside the other diagonal kinds, with shared
 * (parameter) and per-sample (input) angles, in hand-built FUSED_DIAGs. */
static void test_multirz_members(void **state) {
    (void)state;
    for (int n = 1; n <= 9; n += 2) {
        rng r = {1600 + (uint64_t)n};
        ir_circuit *c = ir_new("mrz", n, 2);
        for (int i = 0; i < 5; i++)
            ir_param(c, i);
        for (int w = 0; w < n; w++)
            ir_add_gate(c, IR_RY, w, -1, ir_param(c, rint_(&r, 5)), -1, -1);
        for (int blk = 0; blk < 3; blk++) {
            ir_op m[8];
            int k = 0;
            for (; k < 5; k++) {
                uint32_t mask = 0;
                while (!mask)
                    mask = (uint32_t)rnext(&r) & ((1u << n) - 1);
                m[k] = ir_multirz(mask, rand_angle(c, &r, 5, blk == 1 ? 0 : 2));
            }
            ir_op d;
            memset(&d, 0, sizeof d);
            d.gate = IR_RZ;
            d.wires[0] = rint_(&r, n);
            d.wires[1] = -1;
            d.angle[0] = rand_angle(c, &r, 5, 2);
            d.angle[1] = d.angle[2] = -1;
            d.first_member = -1;
            m[k++] = d;
            if (n >= 2) {
                d.gate = IR_CPHASE;
                d.wires[1] = (d.wires[0] + 1) % n;
                m[k++] = d;
            }
            ir_add_fused(c, IR_FUSED_DIAG, m, k);
            for (int w = 0; w < n; w++)
                ir_add_gate(c, IR_RX, w, -1, ir_param(c, rint_(&r, 5)), -1, -1);
        }
        add_observables(c, &r, 1);
        char err[256];
        assert_int_equal(cg_check(c, err, sizeof err), 0);
        rt_circuit rc;
        compile_ok(c, NULL, &rc);
        check_forward(c, &rc, 1700 + (uint64_t)n, 1e-12);
        check_vjp(c, &rc, 5, 1800 + (uint64_t)n, 1e-10, 1);
        check_f32(c);
        ir_free(c);
    }
}

/* The QIREN layer (Rot, CZ rings, RZ(x_j) encodings), unfused and fused. */
static void test_qiren(void **state) {
    (void)state;
    ir_circuit *c0 = qiren_circuit(4, 2), *c1 = pass_fuse(c0);
    assert_int_equal(c0->n_params, 6 * 4 * 3);
    rt_circuit r0, r1;
    compile_ok(c0, NULL, &r0);
    compile_ok(c1, NULL, &r1);
    check_forward(c0, &r0, 21, 1e-12);
    check_forward(c1, &r1, 21, 1e-12);
    check_vjp(c0, &r0, 37, 22, 1e-10, 1);
    check_vjp(c1, &r1, 37, 22, 1e-10, 0);
    ir_free(c1);
    ir_free(c0);
}

/* Single precision: forward and gradients of c within float tolerances of the f64 reference. */
static void check_f32(const ir_circuit *c) {
    jit_options o = jit_default_options();
    o.precision = 32;
    rt_circuit rc;
    compile_ok(c, &o, &rc);
    assert_int_equal(rc.precision, 32);
    assert_int_equal(rc.lanes, cg_default_lanes(NULL, 32));
    rng r = {900};
    int B = rc.lanes + 3, P = c->n_params, I = c->n_inputs, O = c->n_obs;
    double *p = rand_vec(&r, (size_t)P, -3, 3), *x = rand_vec(&r, (size_t)B * I, -1, 1);
    double *gy = rand_vec(&r, (size_t)B * O, -1, 1);
    float *pf = malloc(sizeof *pf * (size_t)P), *xf = malloc(sizeof *xf * (size_t)B * I);
    float *gyf = malloc(sizeof *gyf * (size_t)B * O), *yf = malloc(sizeof *yf * (size_t)B * O);
    float *gpf = calloc((size_t)P, sizeof *gpf), *gxf = calloc((size_t)B * I, sizeof *gxf);
    double *y = malloc(sizeof *y * (size_t)B * O), *gp = calloc((size_t)P, sizeof *gp);
    double *gx = calloc((size_t)B * I, sizeof *gx);
    for (int i = 0; i < P; i++) p[i] = pf[i] = (float)p[i]; /* same inputs exactly */
    for (int i = 0; i < B * I; i++) x[i] = xf[i] = (float)x[i];
    for (int i = 0; i < B * O; i++) gy[i] = gyf[i] = (float)gy[i];
    unsigned char *w = work_for(&rc);
    rc.forward(pf, xf, yf, B, w + 8);
    rc.vjp(pf, xf, gyf, gpf, gxf, B, w + 8);
    work_done(&rc, w);
    interp_forward_batch(c, p, x, y, B);
    interp_vjp(c, p, x, gy, gp, gx, B);
    for (int i = 0; i < B * O; i++)
        assert_close(yf[i], y[i], 2e-5); /* docs/codegen.md: f32 error */
    for (int i = 0; i < P; i++) /* sums over the batch: scale by it */
        assert_close(gpf[i] / B, gp[i] / B, 1e-4);
    for (int i = 0; i < B * I; i++)
        assert_close(gxf[i], gx[i], 1e-4);
    free(p); free(x); free(gy); free(pf); free(xf); free(gyf); free(yf);
    free(gpf); free(gxf); free(y); free(gp); free(gx);
}

static void test_f32(void **state) {
    (void)state;
    for (int n = 2; n <= 8; n += 3) {
        ir_circuit *c = random_circuit(n, n, 3, 6, 800 + (uint64_t)n);
        check_f32(c);
        ir_free(c);
    }
}

static void test_lanes(void **state) {
    (void)state;
    ir_circuit *c = random_circuit(3, 6, 2, 4, 1000);
    for (int lanes = 1; lanes <= 4; lanes *= 2) {
        jit_options o = jit_default_options();
        o.lanes = lanes;
        rt_circuit rc;
        compile_ok(c, &o, &rc);
        assert_int_equal(rc.lanes, lanes);
        check_forward(c, &rc, 1001, 1e-12);
        check_vjp(c, &rc, 7, 1002, 1e-10, 0);
    }
    ir_free(c);
}

/* Edge cases of the calling contract: B = 0 writes nothing, grad_inputs may be NULL, and
 * grad_params accumulates; circuits without inputs, parameters or observables. */
static void test_contract_edges(void **state) {
    (void)state;
    ir_circuit *c = random_circuit(3, 5, 2, 4, 1100);
    rt_circuit rc;
    compile_ok(c, NULL, &rc);
    double p[4] = {0.1, 0.2, 0.3, 0.4}, x[2 * 5], gy[5 * 5], y[5 * 5];
    for (int i = 0; i < 10; i++) x[i] = 0.1 * i;
    for (int i = 0; i < 25; i++) gy[i] = 0.05 * i - 0.3;
    for (int i = 0; i < 25; i++) y[i] = 42.0;
    run_forward(&rc, p, x, y, 0);
    for (int i = 0; i < 25; i++)
        assert_true(y[i] == 42.0);
    double ga[4] = {1, 2, 3, 4}, gb[4] = {0}, gx[10];
    run_vjp(&rc, p, x, gy, ga, NULL, 5); /* NULL grad_inputs */
    run_vjp(&rc, p, x, gy, gb, gx, 5);
    for (int i = 0; i < 4; i++)
        assert_close(ga[i] - (i + 1), gb[i], 1e-13);
    run_vjp(&rc, p, x, gy, gb, gx, -3); /* negative B: nothing */
    ir_free(c);

    ir_circuit *d = ir_new("fixed", 2, 0); /* no params, no inputs */
    ir_add_gate(d, IR_H, 1, -1, -1, -1, -1);
    ir_add_gate(d, IR_SWAP, 0, 1, -1, -1, -1);
    ir_add_gate(d, IR_SX, 1, -1, -1, -1, -1);
    ir_begin_observable(d);
    ir_add_term(d, 1.0, "ZI");
    ir_add_term(d, 0.5, "XY");
    ir_begin_observable(d); /* no terms: constant 0 */
    compile_ok(d, NULL, &rc);
    check_forward(d, &rc, 1, 1e-13);
    run_vjp(&rc, NULL, NULL, gy, NULL, NULL, 3);
    ir_free(d);
}

/* Compiled functions are reentrant: several threads, each with its own work buffer. */
typedef struct {
    const rt_circuit *rc;
    const double *p, *x, *gy;
    double *y, *gp, *gx;
    int B;
} thread_job;

static void *thread_main(void *arg) {
    thread_job *j = arg;
    for (int rep = 0; rep < 20; rep++) {
        run_forward(j->rc, j->p, j->x, j->y, j->B);
        memset(j->gp, 0, sizeof *j->gp * (size_t)j->rc->n_params);
        run_vjp(j->rc, j->p, j->x, j->gy, j->gp, j->gx, j->B);
    }
    return NULL;
}

static void test_threads(void **state) {
    (void)state;
    ir_circuit *c = random_circuit(5, 10, 3, 6, 1200);
    rt_circuit rc;
    compile_ok(c, NULL, &rc);
    enum { T = 4, B = 13 };
    rng r = {1201};
    double *p = rand_vec(&r, (size_t)c->n_params, -2, 2);
    double *x = rand_vec(&r, (size_t)B * c->n_inputs, -1, 1);
    double *gy = rand_vec(&r, (size_t)B * c->n_obs, -1, 1);
    thread_job jobs[T];
    pthread_t th[T];
    for (int t = 0; t < T; t++) {
        jobs[t] = (thread_job){&rc, p, x, gy, calloc((size_t)B * c->n_obs, sizeof(double)),
                               calloc((size_t)c->n_params, sizeof(double)),
                               calloc((size_t)B * c->n_inputs, sizeof(double)), B};
        assert_int_equal(pthread_create(&th[t], NULL, thread_main, &jobs[t]), 0);
    }
    for (int t = 0; t < T; t++)
        pthread_join(th[t], NULL);
    for (int t = 1; t < T; t++) { /* bit-identical */
        assert_memory_equal(jobs[t].y, jobs[0].y, sizeof(double) * (size_t)B * c->n_obs);
        assert_memory_equal(jobs[t].gp, jobs[0].gp, sizeof(double) * (size_t)c->n_params);
        assert_memory_equal(jobs[t].gx, jobs[0].gx, sizeof(double) * (size_t)B * c->n_inputs);
    }
    double *yr = calloc((size_t)B * c->n_obs, sizeof *yr);
    interp_forward_batch(c, p, x, yr, B);
    for (int i = 0; i < B * c->n_obs; i++)
        assert_close(jobs[0].y[i], yr[i], 1e-12);
    for (int t = 0; t < T; t++) {
        free(jobs[t].y);
        free(jobs[t].gp);
        free(jobs[t].gx);
    }
    free(yr); free(p); free(x); free(gy);
    ir_free(c);
}

/* ---- kept states (rt_circuit.h: forward_keep, vjp_kept) ------------------------------------ */

/* forward_keep gives forward's outputs and writes each group's final state (nothing beyond
 * ceil(B / W) x state_bytes); vjp_kept from those states gives vjp's gradients bit for bit;
 * with NULL states both are the plain functions; states of other inputs give other
 * gradients (so the kept path really reads them); f64 gradients match central differences. */
static void check_kept(const ir_circuit *c, const jit_options *o, int B, uint64_t seed, int with_fd) {
    rt_circuit rc;
    compile_ok(c, o, &rc);
    assert_non_null(rc.forward_keep);
    assert_non_null(rc.vjp_kept);
    size_t es = (size_t)rc.precision / 8;
    assert_int_equal(rc.state_bytes, 2 * ((size_t)1 << c->n_qubits) * (size_t)rc.lanes * es);
    rng r = {seed};
    int P = c->n_params, I = c->n_inputs, O = c->n_obs, G = (B + rc.lanes - 1) / rc.lanes;
    double *p = rand_vec(&r, (size_t)P, -3, 3), *x = rand_vec(&r, (size_t)B * I, -1.5, 1.5);
    double *x2 = rand_vec(&r, (size_t)B * I, -1.5, 1.5), *gy = rand_vec(&r, (size_t)B * O, -1, 1);
    /* the arguments in the circuit's element type */
    unsigned char *pe = malloc(es * (size_t)(P + 1)), *xe = malloc(es * (size_t)(B * I + 1));
    unsigned char *x2e = malloc(es * (size_t)(B * I + 1)), *gye = malloc(es * (size_t)(B * O + 1));
    const double *src[4] = {p, x, x2, gy};
    unsigned char *dst[4] = {pe, xe, x2e, gye};
    size_t cnt[4] = {(size_t)P, (size_t)B * I, (size_t)B * I, (size_t)B * O};
    for (int k = 0; k < 4; k++)
        for (size_t i = 0; i < cnt[k]; i++) {
            if (es == 8)
                memcpy(dst[k] + 8 * i, &src[k][i], 8);
            else {
                float f = (float)src[k][i];
                memcpy(dst[k] + 4 * i, &f, 4);
            }
        }
    size_t sb = (size_t)G * rc.state_bytes, ny = es * (size_t)B * O + 1;
    size_t np = es * (size_t)P + 1, nx = es * (size_t)B * I + 1;
    unsigned char *st = malloc(sb + 64), *st2 = malloc(sb + 64);
    memset(st, CANARY, sb + 64);
    memset(st2, CANARY, sb + 64);
    unsigned char *y0 = calloc(ny, 1), *y1 = calloc(ny, 1), *y2 = calloc(ny, 1);
    unsigned char *gp0 = calloc(np, 1), *gp1 = calloc(np, 1), *gp2 = calloc(np, 1), *gp3 = calloc(np, 1);
    unsigned char *gx0 = calloc(nx, 1), *gx1 = calloc(nx, 1), *gx2 = calloc(nx, 1), *gx3 = calloc(nx, 1);
    unsigned char *w = work_for(&rc);
    rc.forward(pe, xe, y0, B, w + 8);
    rc.forward_keep(pe, xe, y1, B, w + 8, st);
    rc.forward_keep(pe, x2e, y2, B, w + 8, st2);
    assert_memory_equal(y0, y1, ny);
    for (size_t i = sb; i < sb + 64; i++)
        assert_int_equal(st[i], CANARY);
    rc.vjp(pe, xe, gye, gp0, gx0, B, w + 8);
    rc.vjp_kept(pe, xe, gye, gp1, gx1, B, w + 8, st);
    assert_memory_equal(gp0, gp1, np);
    assert_memory_equal(gx0, gx1, nx);
    rc.vjp_kept(pe, xe, gye, gp2, gx2, B, w + 8, NULL); /* no states: the recomputing vjp */
    assert_memory_equal(gp0, gp2, np);
    assert_memory_equal(gx0, gx2, nx);
    rc.forward_keep(pe, xe, y2, B, w + 8, NULL);
    assert_memory_equal(y0, y2, ny);
    if (P > 0) { /* another input's final states: other parameter gradients */
        rc.vjp_kept(pe, xe, gye, gp3, gx3, B, w + 8, st2);
        assert_true(memcmp(gp0, gp3, np) != 0);
    }
    work_done(&rc, w);
    if (with_fd && es == 8) {
        double *gpf = calloc((size_t)P + 1, sizeof *gpf), *gxf = calloc((size_t)B * I + 1, sizeof *gxf);
        interp_vjp_fd(c, p, x, gy, gpf, gxf, B, 1e-5);
        for (int i = 0; i < P; i++)
            assert_close(((double *)gp1)[i], gpf[i], 1e-6);
        for (int i = 0; i < B * I; i++)
            assert_close(((double *)gx1)[i], gxf[i], 1e-6);
        free(gpf);
        free(gxf);
    }
    free(p); free(x); free(x2); free(gy); free(pe); free(xe); free(x2e); free(gye);
    free(st); free(st2); free(y0); free(y1); free(y2);
    free(gp0); free(gp1); free(gp2); free(gp3); free(gx0); free(gx1); free(gx2); free(gx3);
}

static void test_kept_states(void **state) {
    (void)state;
    for (int n = 1; n <= 5; n += 2) {
        ir_circuit *c = random_circuit(n, 2 * n, 3, 6, 1300 + (uint64_t)n), *f = pass_fuse(c);
        for (int prec = 64; prec >= 32; prec -= 32)
            for (int lanes = 0; lanes <= 2; lanes++) { /* 0: the target's width */
                jit_options o = jit_default_options();
                o.precision = prec;
                o.lanes = lanes;
                int W = lanes ? lanes : cg_default_lanes(NULL, prec);
                check_kept(c, &o, 1, 1310 + (uint64_t)n, 0);
                check_kept(f, &o, W + 1, 1320 + (uint64_t)n, prec == 64 && lanes == 0);
            }
        ir_free(f);
        ir_free(c);
    }
    ir_circuit *q = qiren_circuit(4, 2), *qf = pass_fuse(q);
    check_kept(qf, NULL, 37, 1330, 1);
    jit_options o = jit_default_options();
    o.precision = 32;
    check_kept(qf, &o, 37, 1331, 0);
    o = jit_default_options(); /* parameter shift and density matrices have no pair */
    o.grad = CG_GRAD_SHIFT;
    rt_circuit rc;
    compile_ok(qf, &o, &rc);
    assert_null(rc.forward_keep);
    assert_null(rc.vjp_kept);
    assert_int_equal(rc.state_bytes, 0);
    ir_free(qf);
    ir_free(q);
}

/* Amplitudes in the lanes (compiler/cg_amp.c, docs/codegen.md section 9), forced on at sizes
 * where the interpreter and finite differences are cheap: calls with fewer samples than
 * lanes run one sample with its amplitudes spread over the lanes. Outputs, parameter and
 * input gradients (adjoint and shift) and the kept-state pair must be the interpreter's, for
 * circuits that need lane swaps everywhere: every gate kind, X and Y products on any wire,
 * SWAP gates (relabellings), probabilities, fused diagonals over every wire (split around
 * their swaps), dense pairs and wire blocks. The layout must really be in the module. */
static ir_circuit *amp_extra_circuit(int n, uint64_t seed) {
    ir_circuit *c = random_circuit(n, 3 * n, 3, 6, seed);
    rng r = {seed + 1};
    for (int i = 0; i < n; i++) {
        int a = rint_(&r, n), b = (a + 1 + rint_(&r, n - 1)) % n;
        ir_add_gate(c, IR_SWAP, a, b, -1, -1, -1);
        add_random_gate(c, &r, IR_RY, 6, 3);
        add_random_pattern(c, &r, 6, 3);
    }
    int pw[2] = {n - 1, 0};
    for (int k = 0; k < 4; k++) {
        ir_begin_prob(c, 2, pw, k);
        char p[IR_MAX_QUBITS + 1];
        memset(p, 'I', (size_t)n);
        p[n] = 0;
        const double s0 = k & 2 ? -1 : 1, s1 = k & 1 ? -1 : 1;
        ir_add_term(c, 0.25, p);
        p[n - 1] = 'Z';
        ir_add_term(c, 0.25 * s0, p);
        p[n - 1] = 'I';
        p[0] = 'Z';
        ir_add_term(c, 0.25 * s1, p);
        p[n - 1] = 'Z';
        ir_add_term(c, 0.25 * s0 * s1, p);
    }
    return c;
}

static int has_amp_layout(const ir_circuit *c, const jit_options *jo) {
    cg_options co = {jo->precision, jo->lanes, jo->opt_level, jo->grad, 0, 0, jo->amp};
    char err[256];
    char *text = cg_emit_llvm_text(c, &co, NULL, "t", err, sizeof err);
    assert_non_null(text);
    int yes = strstr(text, "@t_lanes_forwardK") != NULL || strstr(text, "@t_lanes_vjp") != NULL;
    free(text);
    return yes;
}

static void test_amp_layout(void **state) {
    (void)state;
    for (int lanes = 4; lanes <= 8; lanes *= 2) {
        int n = lanes == 4 ? 6 : 7;
        ir_circuit *base = amp_extra_circuit(n, 2100 + (uint64_t)lanes);
        ir_circuit *q = qiren_circuit(n, 2);
        ir_circuit *cs[5];
        cs[0] = ir_clone(base);
        cs[1] = pass_fuse(base);
        cs[2] = pass_fuse_pairs(base);
        cs[3] = pass_fuse(q);
        cs[4] = pass_fuse_blocks(cs[3], 3);
        for (int k = 0; k < 5; k++) {
            const ir_circuit *c = cs[k];
            jit_options o = jit_default_options();
            o.lanes = lanes;
            o.amp = 1;
            assert_true(has_amp_layout(c, &o));
            rt_circuit rc;
            compile_ok(c, &o, &rc);
            uint64_t seed = 2200 + 10 * (uint64_t)k + (uint64_t)lanes;
            check_forward(c, &rc, seed, 1e-12);
            check_vjp(c, &rc, 1, seed + 1, 1e-10, 1);
            check_vjp(c, &rc, 3, seed + 2, 1e-10, 0);
            check_kept(c, &o, 1, seed + 3, 1);
            check_kept(c, &o, 2, seed + 4, 0);
            o.precision = 32;
            check_kept(c, &o, 1, seed + 5, 0);
            o.precision = 64;
            o.grad = CG_GRAD_SHIFT;
            assert_true(has_amp_layout(c, &o));
            compile_ok(c, &o, &rc);
            check_vjp(c, &rc, 2, seed + 6, 1e-10, 0);
        }
        for (int k = 0; k < 5; k++)
            ir_free(cs[k]);
        ir_free(q);
        ir_free(base);
    }
    /* where it does not apply the main layout serves every call: a variance output */
    ir_circuit *v = qiren_circuit(6, 1);
    char p[8] = "XIIIZI";
    ir_begin_var(v);
    ir_add_term(v, 1.0, "IIIIII");
    ir_var_linear(v);
    ir_add_term(v, 1.0, p);
    jit_options o = jit_default_options();
    o.lanes = 4;
    o.amp = 1;
    assert_false(has_amp_layout(v, &o));
    rt_circuit rc;
    compile_ok(v, &o, &rc);
    check_forward(v, &rc, 2300, 1e-12);
    ir_free(v);
    /* and it is off by default below CG_AMP_MIN_QUBITS */
    ir_circuit *small = qiren_circuit(6, 1);
    o.amp = 0;
    assert_false(has_amp_layout(small, &o));
    ir_free(small);
}

/* The quantum layer with kept states against the same layer recomputing (keep limit 0), two
 * threads, a batch that is not a multiple of the chunk: the same outputs and gradients bit for
 * bit, also when an evaluation forward of other inputs or a parameter change comes between the
 * training forward and its backward (the layer must then recompute). */
static void layer_step(rt_layer *l, const double *x, const double *dy, double *y, double *dx,
                       double *g, int B) {
    assert_int_equal(rt_layer_forward(l, x, y, B), 0);
    rt_layer_zero_grad(l);
    rt_layer_backward(l, x, y, dy, dx, B);
    memcpy(g, rt_layer_grads(l), sizeof *g * rt_layer_n_params(l));
}

static void test_kept_states_layer(void **state) {
    (void)state;
    ir_circuit *q = qiren_circuit(4, 2), *qf = pass_fuse(q);
    rt_pool *pool = rt_pool_create(2);
    for (int prec = 64; prec >= 32; prec -= 32) {
        jit_options o = jit_default_options();
        o.precision = prec;
        rt_circuit rc;
        compile_ok(qf, &o, &rc);
        enum { B = 77 };
        rt_qtensor t = {"w", (size_t)qf->n_params, {RT_INIT_UNIFORM, 0.0, 6.283185307179586}};
        rt_rng g1, g2;
        rt_rng_seed(&g1, 7);
        rt_rng_seed(&g2, 7);
        rt_layer *a = rt_qlayer_create(&rc, pool, 1, &t, &g1), *b = rt_qlayer_create(&rc, pool, 1, &t, &g2);
        assert_non_null(a);
        assert_non_null(b);
        assert_int_equal(rt_qlayer_set_keep_states(b, 0), 0);
        assert_int_equal(rt_layer_reserve(a, B), 0);
        assert_int_equal(rt_layer_reserve(b, B), 0);
        int G = (B + rt_qlayer_chunk(a) - 1) / rt_qlayer_chunk(a);
        assert_int_equal(rt_qlayer_kept_bytes(a), (size_t)G * (size_t)(rt_qlayer_chunk(a) / rc.lanes) * rc.state_bytes);
        assert_int_equal(rt_qlayer_kept_bytes(b), 0);
        rng r = {1400};
        int I = qf->n_inputs, O = qf->n_obs;
        size_t P = rt_layer_n_params(a);
        double *x = rand_vec(&r, (size_t)B * I, -1, 1), *x2 = rand_vec(&r, (size_t)B * I, -1, 1);
        double *dy = rand_vec(&r, (size_t)B * O, -1, 1);
        double *ya = calloc((size_t)B * O, sizeof *ya), *yb = calloc((size_t)B * O, sizeof *yb);
        double *dxa = calloc((size_t)B * I, sizeof *dxa), *dxb = calloc((size_t)B * I, sizeof *dxb);
        double *ga = calloc(P, sizeof *ga), *gb = calloc(P, sizeof *gb);
        layer_step(a, x, dy, ya, dxa, ga, B);
        layer_step(b, x, dy, yb, dxb, gb, B);
        assert_memory_equal(ya, yb, sizeof *ya * (size_t)B * O);
        assert_memory_equal(dxa, dxb, sizeof *dxa * (size_t)B * I);
        assert_memory_equal(ga, gb, sizeof *ga * P);
        /* an evaluation forward of x2 in between: a's states are x2's, it must recompute */
        assert_int_equal(rt_layer_forward(a, x, ya, B), 0);
        assert_int_equal(rt_layer_forward(a, x2, ya, B), 0);
        rt_layer_zero_grad(a);
        rt_layer_backward(a, x, ya, dy, dxa, B);
        assert_memory_equal(dxa, dxb, sizeof *dxa * (size_t)B * I);
        assert_memory_equal(rt_layer_grads(a), gb, sizeof *gb * P);
        /* the parameters change between forward and backward (both layers alike) */
        assert_int_equal(rt_layer_forward(a, x, ya, B), 0);
        rt_layer_params(a)[0] += 0.25;
        rt_layer_params(b)[0] += 0.25;
        rt_layer_zero_grad(a);
        rt_layer_backward(a, x, ya, dy, dxa, B);
        layer_step(b, x, dy, yb, dxb, gb, B);
        assert_memory_equal(dxa, dxb, sizeof *dxa * (size_t)B * I);
        assert_memory_equal(rt_layer_grads(a), gb, sizeof *gb * P);
        /* a bound below the states' size: none kept, still the same results */
        assert_int_equal(rt_qlayer_set_keep_states(a, rc.state_bytes), 0);
        assert_int_equal(rt_layer_reserve(a, B), 0);
        assert_int_equal(rt_qlayer_kept_bytes(a), 0);
        layer_step(a, x, dy, ya, dxa, ga, B);
        assert_memory_equal(ga, gb, sizeof *ga * P);
        free(x); free(x2); free(dy); free(ya); free(yb); free(dxa); free(dxb); free(ga); free(gb);
        rt_layer_destroy(a);
        rt_layer_destroy(b);
    }
    rt_pool_destroy(pool);
    ir_free(qf);
    ir_free(q);
}

/* ---- vector sin/cos (cg.h: CG_VECMATH_SYMBOLS, glibc's libmvec) ------------------------------ */

#if defined(QNN_HAVE_LIBMVEC) && defined(__x86_64__)
typedef double v2d __attribute__((vector_size(16)));
typedef float v4f __attribute__((vector_size(16)));
typedef double v4d __attribute__((vector_size(32)));
typedef float v8f __attribute__((vector_size(32)));
typedef double v8d __attribute__((vector_size(64)));
typedef float v16f __attribute__((vector_size(64)));
v2d _ZGVbN2v_sin(v2d);
v2d _ZGVbN2v_cos(v2d);
v4f _ZGVbN4v_sinf(v4f);
v4f _ZGVbN4v_cosf(v4f);
v4d _ZGVdN4v_sin(v4d);
v4d _ZGVdN4v_cos(v4d);
v8f _ZGVdN8v_sinf(v8f);
v8f _ZGVdN8v_cosf(v8f);
v8d _ZGVeN8v_sin(v8d);
v8d _ZGVeN8v_cos(v8d);
v16f _ZGVeN16v_sinf(v16f);
v16f _ZGVeN16v_cosf(v16f);

/* One vector call of variant isa (b, d, e) on n <= 16 arguments; the caller checked that the
 * CPU has the ISA. f: sin (0) or cos (1). */
#define VM_DEF(NAME, VT, ET, W, FS, FC, TGT)                                               \
    TGT static void NAME(int f, const ET *x, ET *y) {                                       \
        VT v;                                                                              \
        memcpy(&v, x, sizeof v);                                                           \
        v = f ? FC(v) : FS(v);                                                             \
        memcpy(y, &v, sizeof v);                                                           \
    }
VM_DEF(vm_b64, v2d, double, 2, _ZGVbN2v_sin, _ZGVbN2v_cos, )
VM_DEF(vm_b32, v4f, float, 4, _ZGVbN4v_sinf, _ZGVbN4v_cosf, )
VM_DEF(vm_d64, v4d, double, 4, _ZGVdN4v_sin, _ZGVdN4v_cos, __attribute__((target("avx2"))))
VM_DEF(vm_d32, v8f, float, 8, _ZGVdN8v_sinf, _ZGVdN8v_cosf, __attribute__((target("avx2"))))
VM_DEF(vm_e64, v8d, double, 8, _ZGVeN8v_sin, _ZGVeN8v_cos, __attribute__((target("avx512f"))))
VM_DEF(vm_e32, v16f, float, 16, _ZGVeN16v_sinf, _ZGVeN16v_cosf, __attribute__((target("avx512f"))))

/* Units in the last place of ref between got and ref (ref rounded to the element type). */
static double ulps(double got, double ref, int f32) {
    double a = fabs(ref);
    double u = f32 ? (double)(nextafterf((float)a, INFINITY) - (float)a) : nextafter(a, INFINITY) - a;
    if (a < (f32 ? 1.2e-38 : 2.3e-308)) u = f32 ? 1.4e-45 : 4.9e-324;
    return fabs(got - ref) / u;
}

/* The max error of one variant against libm (f64: sin / cos; f32: the double functions of
 * the float argument, rounded) over [-pi, pi] densely, [-1e4, 1e4] and near multiples of
 * pi / 2, where sin and cos pass through 0. The bound asserted is glibc's, 4 ulp. */
static double vecmath_max_ulps(void (*fn)(int, const double *, double *),
                               void (*fnf)(int, const float *, float *), int W) {
    rng r = {1500};
    double worst = 0;
    for (int i = 0; i < 120000; i++) {
        double xs[16], ys[16];
        float xf[16], yf[16];
        for (int l = 0; l < W; l++) {
            int kind = i % 3;
            double x = kind == 0 ? runif(&r, -3.2, 3.2) : kind == 1 ? runif(&r, -1e4, 1e4)
                     : 1.5707963267948966 * (double)(rint_(&r, 2001) - 1000) + runif(&r, -1e-6, 1e-6);
            xs[l] = x;
            xf[l] = (float)x;
        }
        int f = i & 1;
        if (fn) {
            fn(f, xs, ys);
            for (int l = 0; l < W; l++) {
                double e = ulps(ys[l], f ? cos(xs[l]) : sin(xs[l]), 0);
                worst = e > worst ? e : worst;
            }
        } else {
            fnf(f, xf, yf);
            for (int l = 0; l < W; l++) {
                double ref = (float)(f ? cos((double)xf[l]) : sin((double)xf[l]));
                double e = ulps(yf[l], ref, 1);
                worst = e > worst ? e : worst;
            }
        }
    }
    return worst;
}

static void test_vecmath(void **state) {
    (void)state;
    struct { char isa; int ok, W64, W32; void (*f64)(int, const double *, double *);
             void (*f32)(int, const float *, float *); } v[3] = {
        {'b', 1, 2, 4, vm_b64, vm_b32},
        {'d', __builtin_cpu_supports("avx2"), 4, 8, vm_d64, vm_d32},
        {'e', __builtin_cpu_supports("avx512f"), 8, 16, vm_e64, vm_e32},
    };
    for (int k = 0; k < 3; k++) {
        if (!v[k].ok)
            continue;
        double e64 = vecmath_max_ulps(v[k].f64, NULL, v[k].W64);
        double e32 = vecmath_max_ulps(NULL, v[k].f32, v[k].W32);
        print_message("libmvec %c: max error against libm %.2f ulp (f64), %.2f ulp (f32)\n", v[k].isa, e64, e32);
        assert_true(e64 <= 4.0);
        assert_true(e32 <= 4.0);
    }
    /* generated code calls them: 2 f64 lanes are one SSE vector on every x86-64 */
    ir_circuit *c = qiren_circuit(2, 1);
    jit_options o = jit_default_options();
    o.lanes = 2;
    cg_options co = {64, 2, 3, CG_GRAD_ADJOINT, 0, 0, 0};
    char err[512];
    char *text = cg_emit_llvm_text(c, &co, NULL, "vm", err, sizeof err);
    assert_non_null(text);
    assert_non_null(strstr(text, "@_ZGVbN2v_sin"));
    assert_non_null(strstr(text, "@_ZGVbN2v_cos"));
    free(text);
    rt_circuit rc; /* and they run: against the interpreter */
    compile_ok(c, &o, &rc);
    check_forward(c, &rc, 1501, 1e-12);
    check_vjp(c, &rc, 5, 1502, 1e-10, 1);
    ir_free(c);
}
#else
static void test_vecmath(void **state) {
    (void)state;
    skip(); /* built without libmvec (or not x86-64): per-lane libm calls */
}
#endif

/* _pre runs only when the work buffer's key (a tag and the parameters of its last run) does not
 * match: one work buffer passed back and forth between two circuits and between parameter
 * vectors must give, every time, the bits of a fresh buffer. */
static void test_pre_key(void **state) {
    (void)state;
    /* c2 is c1 with the angles of its first two Rot gates swapped: the same work layout and
     * shared-table slots, so only the key's tag tells their tables apart */
    ir_circuit *c1 = qiren_circuit(3, 1), *c2 = qiren_circuit(3, 1);
    assert_true(c2->ops[0].gate == IR_ROT && c2->ops[1].gate == IR_ROT);
    for (int k = 0; k < 3; k++) {
        int t = c2->ops[0].angle[k];
        c2->ops[0].angle[k] = c2->ops[1].angle[k];
        c2->ops[1].angle[k] = t;
    }
    rt_circuit r1, r2;
    compile_ok(c1, NULL, &r1);
    compile_ok(c2, NULL, &r2);
    assert_int_equal(c2->n_params, c1->n_params);
    size_t wb = r1.work_bytes > r2.work_bytes ? r1.work_bytes : r2.work_bytes;
    unsigned char *shared = calloc(wb + 64, 1);
    rng r = {1601};
    enum { B = 9 };
    double *pa = rand_vec(&r, (size_t)c1->n_params, -3, 3), *pb = rand_vec(&r, (size_t)c1->n_params, -3, 3);
    double *x = rand_vec(&r, (size_t)B * 3, -1, 1), *gy = rand_vec(&r, (size_t)B * c2->n_obs, -1, 1);
    const rt_circuit *rcs[2] = {&r1, &r2};
    /* circuit, parameters (a, b), and whether a changes in place first: a new parameter
     * vector, another circuit with the same parameters, the same pointer with a new value */
    static const int circ[8] = {0, 0, 1, 1, 0, 0, 1, 1}, use_b[8] = {0, 1, 1, 0, 0, 0, 0, 1};
    static const int bump[8] = {0, 0, 0, 0, 0, 1, 0, 0};
    for (int step = 0; step < 8; step++) {
        const rt_circuit *rc = rcs[circ[step]];
        const double *p = use_b[step] ? pb : pa;
        if (bump[step])
            pa[0] += 1e-3;
        double y[B * 8], y0[B * 8], g[64] = {0}, g0[64] = {0}, gx[B * 3], gx0[B * 3];
        unsigned char *fresh = calloc(wb + 64, 1);
        rc->forward(p, x, y, B, shared);
        rc->forward(p, x, y0, B, fresh);
        assert_memory_equal(y, y0, sizeof(double) * (size_t)B * rc->n_outputs);
        rc->vjp(p, x, gy, g, gx, B, shared);
        memset(fresh, 0, wb + 64);
        rc->vjp(p, x, gy, g0, gx0, B, fresh);
        assert_memory_equal(g, g0, sizeof(double) * (size_t)rc->n_params);
        assert_memory_equal(gx, gx0, sizeof gx);
        free(fresh);
    }
    free(shared); free(pa); free(pb); free(x); free(gy);
    ir_free(c2);
    ir_free(c1);
}

/* Errors come back as messages naming the circuit, never as aborts. */
static void test_errors(void **state) {
    (void)state;
    char err[512];
    rt_circuit rc;
    ir_circuit *c = ir_new("broken", 2, 0);
    ir_add_gate(c, IR_H, 0, -1, -1, -1, -1);
    ir_begin_observable(c);
    ir_add_term(c, 1.0, "ZZ");

    jit_options o = jit_default_options(); /* verifier failure via the test hook */
    o.test_corrupt = 1;
    assert_int_equal(jit_compile(S, c, &o, &rc, err, sizeof err), -1);
    assert_non_null(strstr(err, "broken"));
    assert_non_null(strstr(err, "verifier"));

    o = jit_default_options();
    o.lanes = 3;
    assert_int_equal(jit_compile(S, c, &o, &rc, err, sizeof err), -1);
    assert_non_null(strstr(err, "lanes"));
    o.lanes = 0;
    o.precision = 16;
    assert_int_equal(jit_compile(S, c, &o, &rc, err, sizeof err), -1);
    assert_non_null(strstr(err, "precision"));

    ir_add_gate(c, IR_CNOT, 1, 1, -1, -1, -1); /* same wire twice */
    assert_int_equal(jit_compile(S, c, NULL, &rc, err, sizeof err), -1);
    assert_non_null(strstr(err, "broken"));
    assert_non_null(strstr(err, "cnot"));
    c->ops[c->n_ops - 1].wires[1] = 5; /* out of range */
    assert_int_equal(cg_check(c, err, sizeof err), -1);
    assert_non_null(strstr(err, "out of range"));
    c->n_ops--;
    ir_add_gate(c, IR_RX, 0, -1, 99, -1, -1); /* no such expression */
    assert_int_equal(cg_check(c, err, sizeof err), -1);
    assert_non_null(strstr(err, "expression"));
    c->n_ops--;
    assert_int_equal(cg_check(c, err, sizeof err), 0);
    assert_null(cg_emit_llvm_text(c, NULL, NULL, "9bad", err, sizeof err));
    assert_non_null(strstr(err, "prefix"));
    cg_target bad = {"nonsense-unknown-triple", NULL, NULL};
    assert_int_equal(cg_emit_object(c, NULL, &bad, "x", "/tmp/qnn_never.o", NULL, err,
                                    sizeof err), -1);
    assert_non_null(strstr(err, "nonsense"));
    ir_free(c);

    ir_circuit *big = ir_new("huge", CG_MAX_QUBITS + 1, 0);
    assert_int_equal(jit_compile(S, big, NULL, &rc, err, sizeof err), -1);
    assert_non_null(strstr(err, "qubits"));
    ir_free(big);
}

static void test_runtime_symbols(void **state) {
    (void)state;
    char err[512];
    if (jit_check_runtime_symbols(S, err, sizeof err))
        fail_msg("%s", err);
}

/* emit-llvm text, and object files: one for the host, linked back through the JIT and run,
 * and one for another architecture. */
static void test_text_and_objects(void **state) {
    (void)state;
    char err[512];
    ir_circuit *c = random_circuit(3, 4, 2, 4, 1300);
    cg_options o = {64, 0, 2, CG_GRAD_ADJOINT, 0, 0, 0};
    char *text = cg_emit_llvm_text(c, &o, NULL, "demo", err, sizeof err);
    if (!text)
        fail_msg("%s", err);
    assert_non_null(strstr(text, "define void @demo_forward("));
    assert_non_null(strstr(text, "define void @demo_vjp("));
    assert_non_null(strstr(text, "@demo_info"));
    free(text);

    char path[64];
    snprintf(path, sizeof path, "/tmp/qnn_test_jit_%ld.o", (long)getpid());
    cg_info info;
    if (cg_emit_object(c, &o, NULL, "demo_aot", path, &info, err, sizeof err))
        fail_msg("%s", err);
    rt_circuit ra, rj;
    if (jit_load_object(S, path, "demo_aot", &ra, err, sizeof err))
        fail_msg("%s", err);
    remove(path);
    assert_int_equal(ra.n_qubits, 3);
    assert_int_equal(ra.n_inputs, c->n_inputs);
    assert_int_equal(ra.n_outputs, c->n_obs);
    assert_int_equal(ra.n_params, c->n_params);
    assert_int_equal(ra.lanes, info.lanes);
    assert_true(ra.work_bytes == info.work_bytes);
    check_forward(c, &ra, 1301, 1e-12);
    check_vjp(c, &ra, 9, 1302, 1e-10, 0);
    compile_ok(c, NULL, &rj);

    cg_target arm = {"aarch64-unknown-linux-gnu", "generic", "+neon"};
    if (cg_emit_object(c, &o, &arm, "demo_arm", path, &info, err, sizeof err))
        fail_msg("%s", err);
    assert_int_equal(info.lanes, 2); /* 128-bit NEON */
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    unsigned char hdr[20];
    assert_int_equal(fread(hdr, 1, sizeof hdr, f), sizeof hdr);
    fclose(f);
    remove(path);
    assert_memory_equal(hdr, "\177ELF", 4);
    assert_int_equal(hdr[18] | hdr[19] << 8, 183); /* EM_AARCH64 */
    ir_free(c);
}

/* Not a check: QNN_BENCH=1 build/tests/test_jit prints compile time and time per sample of
 * the 8-qubit QIREN layer, batch 1024, unfused and fused, f64 and f32 (docs/codegen.md). */
static double now_s(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static void test_bench_qiren(void **state) {
    (void)state;
    if (!getenv("QNN_BENCH"))
        skip();
    enum { B = 1024, REPS = 25 };
    ir_circuit *c0 = qiren_circuit(8, 2), *c1 = pass_fuse(c0);
    rng r = {1};
    int P = c0->n_params, I = c0->n_inputs, O = c0->n_obs;
    double *p = rand_vec(&r, (size_t)P, 0, 6.28), *x = rand_vec(&r, (size_t)B * I, -1, 1);
    double *gy = rand_vec(&r, (size_t)B * O, -1, 1);
    float *pf = malloc(sizeof *pf * (size_t)P), *xf = malloc(sizeof *xf * (size_t)B * I);
    float *gyf = malloc(sizeof *gyf * (size_t)B * O);
    for (int i = 0; i < P; i++) pf[i] = (float)p[i];
    for (int i = 0; i < B * I; i++) xf[i] = (float)x[i];
    for (int i = 0; i < B * O; i++) gyf[i] = (float)gy[i];
    void *y = malloc(sizeof(double) * (size_t)B * O), *gp = calloc((size_t)P, sizeof(double));
    void *gx = malloc(sizeof(double) * (size_t)B * I);
    for (int prec = 64; prec >= 32; prec -= 32)
        for (int fused = 0; fused < 2; fused++) {
            jit_options o = jit_default_options();
            o.precision = prec;
            rt_circuit rc;
            double t0 = now_s();
            compile_ok(fused ? c1 : c0, &o, &rc);
            double tc = now_s() - t0, bf = 1e30, bv = 1e30;
            void *w = malloc(rc.work_bytes);
            const void *pp = prec == 64 ? (void *)p : (void *)pf, *xx = prec == 64 ? (void *)x : (void *)xf;
            const void *gg = prec == 64 ? (void *)gy : (void *)gyf;
            for (int rep = 0; rep < REPS; rep++) { /* best of REPS: the machine may be shared */
                double a = now_s();
                rc.forward(pp, xx, y, B, w);
                double b = now_s();
                rc.vjp(pp, xx, gg, gp, gx, B, w);
                double e = now_s();
                bf = fmin(bf, b - a);
                bv = fmin(bv, e - b);
            }
            printf("qiren n=8 f%d %s (%3d ops, W=%2d): compile %.2f s, work %zu B, forward %.3f "
                   "us/sample, vjp %.3f us/sample\n", prec, fused ? "fused  " : "unfused",
                   (fused ? c1 : c0)->n_ops, rc.lanes, tc, rc.work_bytes, bf / B * 1e6,
                   bv / B * 1e6);
            free(w);
        }
    free(p); free(x); free(gy); free(pf); free(xf); free(gyf); free(y); free(gp); free(gx);
    ir_free(c1);
    ir_free(c0);
}

/* Observables from the language (language.md §4.11): sums, probs, var and hermitian on an
 * entangled circuit with inputs, compiled from source. Generated forward equals the
 * interpreter; the adjoint vjp equals its exact vjp and central differences; the
 * parameter-shift vjp equals the adjoint one; fused and unfused; f64. */
/* Compiles the one circuit of source text `src` (n_obs outputs): JIT forward equals the
 * interpreter; the adjoint vjp equals its exact vjp and central differences; the
 * parameter-shift vjp equals the adjoint one; fused and unfused; f64 and f32. */
static void check_source_circuit(const char *src, int n_obs) {
    const char *path = test_tmp_path("obs.qnn");
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(src, f);
    fclose(f);
    arena *ar = arena_create();
    sema_options so = {0};
    so.max_qubits = 24;
    sema_result *r = sema_check_file(ar, path, &so);
    assert_non_null(r);
    assert_int_equal(r->n_circuits, 1);
    const ir_circuit *c0 = r->circuits[0];
    assert_int_equal(c0->n_obs, n_obs);
    for (int fused = 0; fused < 2; fused++) {
        ir_circuit *c = fused ? pass_fuse(c0) : ir_clone(c0);
        jit_options o = jit_default_options();
        rt_circuit ra, rs;
        compile_ok(c, &o, &ra);
        check_forward(c, &ra, 500 + (uint64_t)fused, 1e-12);
        check_vjp(c, &ra, 3, 510 + (uint64_t)fused, 1e-10, 1);
        o.grad = CG_GRAD_SHIFT;
        compile_ok(c, &o, &rs);
        rng rr = {520 + (uint64_t)fused};
        int B = 5, P = c->n_params, I = c->n_inputs, O = c->n_obs;
        double *p = rand_vec(&rr, (size_t)P, -3, 3), *x = rand_vec(&rr, (size_t)B * I, -1, 1);
        double *gy = rand_vec(&rr, (size_t)B * O, -1, 1);
        double *ga = calloc((size_t)P, sizeof *ga), *gs = calloc((size_t)P, sizeof *gs);
        double *xa = calloc((size_t)B * I, sizeof *xa), *xs = calloc((size_t)B * I, sizeof *xs);
        run_vjp(&ra, p, x, gy, ga, xa, B);
        run_vjp(&rs, p, x, gy, gs, xs, B);
        for (int i = 0; i < P; i++)
            assert_close(gs[i], ga[i], 1e-10);
        for (int i = 0; i < B * I; i++)
            assert_close(xs[i], xa[i], 1e-10);
        /* the probabilities of each probs group add up to 1 and are >= 0 (binned: exactly
         * sums of squares), variances are >= 0 */
        double *y = calloc((size_t)B * O, sizeof *y);
        run_forward(&ra, p, x, y, B);
        for (int b = 0; b < B; b++) {
            const double *yb = y + (size_t)b * O;
            for (int oi = 0; oi < O; oi++) {
                const ir_observable *ob = &c->obs[oi];
                if (ob->kind != IR_OBS_EXPVAL)
                    assert_true(yb[oi] >= (ob->kind == IR_OBS_PROB ? 0 : -1e-12));
                if (ob->kind != IR_OBS_PROB || ob->index) continue;
                double total = 0;
                for (int k = 0; k < 1 << ob->n_prob_wires; k++) total += yb[oi + k];
                assert_close(total, 1.0, 1e-12);
            }
        }
        free(y);
        free(p); free(x); free(gy); free(ga); free(gs); free(xa); free(xs);
        check_f32(c);
        ir_free(c);
    }
    sema_free(r);
    arena_destroy(ar);
}

static void test_observables_from_source(void **state) {
    (void)state;
    const char *src =
        "circuit obs(int n = 4) {\n"
        "    qubits q[n];\n    input x[n];\n    param w[2][n];\n"
        "    for i in 0..n { ry(x[i] * w[0][i]) q[i]; }\n"
        "    for i in 0..n-1 { cnot q[i], q[i+1]; }\n"
        "    for i in 0..n { rx(w[1][i]) q[i]; crz(w[0][i] + x[0]) q[i], q[(i + 1) % n]; }\n"
        "    expval -sum(i in 0..n-1) Z(q[i]) @ Z(q[i+1]) - 0.7 * sum(i in 0..n) X(q[i]);\n"
        "    probs(q[1..3]);\n"
        "    var(sum(i in 0..n) 0.5 * X(q[i]) + Y(q[0]) @ Z(q[2]));\n"
        "    expval hermitian([[1, 0, 0, [0, 2]], [0, 3, 0.5, 0], [0, 0.5, -1, 0],"
        " [[0, -2], 0, 0, 0.75]]) q[3], q[1];\n"
        "    var(hermitian([[2, [0.5, -1]], [[0.5, 1], -0.25]], q[0]));\n"
        "    expval probs(q[2], q[0]);\n"
        "    var(Z(q[1]));\n"
        "}\n";
    check_source_circuit(src, 1 + 4 + 1 + 1 + 1 + 4 + 1);
    /* all 32 probabilities of 5 wires, in one sweep, and a Hamiltonian beside them */
    check_source_circuit("circuit p5(int n = 5) {\n"
                         "    qubits q[n];\n    input x[2];\n    param w[n];\n"
                         "    for i in 0..n { ry(x[i % 2] * w[i]) q[i]; rx(0.3 * w[i]) q[i]; }\n"
                         "    for i in 0..n-1 { cz q[i], q[i+1]; ry(w[i]) q[i+1]; }\n"
                         "    probs(q[4], q[0..4]);\n"
                         "    expval sum(i in 0..n-1) Z(q[i]) @ Z(q[i+1]);\n"
                         "}\n", 33);
}

/* The gates of language.md §4.6.5/§4.6.4 (composites, unitary, adj, ctrl) with angles of
 * parameters and inputs, from source: JIT forward equals the interpreter at 1e-12, the
 * adjoint vjp equals the interpreter's exact vjp and central differences, parameter shift
 * equals adjoint; fused and unfused. */
static void test_gates_from_source(void **state) {
    (void)state;
    check_source_circuit(
        "gate blk(a, b) x, y { ry(a) x; rzz(b) x, y; rx(a * b) y; }\n"
        "circuit gates(int n = 4) {\n"
        "    qubits q[n];\n    input x[2];\n    param w[12];\n"
        "    for i in 0..n { ry(x[i % 2] + w[i]) q[i]; }\n"
        "    rxx(w[0] * x[0]) q[0], q[2];\n    ryy(w[1]) q[3], q[1];\n    rzz(w[2] + x[1]) q[1], q[2];\n"
        "    multirz(w[3]) q;\n    multirz(x[0] * w[4]) q[3], q[0], q[2];\n"
        "    toffoli q[0], q[1], q[2];\n    ccz q[3], q[1], q[0];\n    cswap q[2], q[0], q[3];\n"
        "    iswap q[1], q[3];\n    ecr q[2], q[1];\n"
        "    ctrl(rx(w[5])) q[0], q[3];\n    ctrl(ctrl(ry(w[6] * x[1]))) q[1], q[2], q[0];\n"
        "    ctrl(rot(w[7], x[0], w[8])) q[3], q[2], q[1];\n    adj(u3(w[9], x[1], w[10])) q[2];\n"
        "    ctrl(u3(w[9], w[10], x[0])) q[1], q[0];\n    ctrl(rzz(w[11])) q[0], q[1], q[3];\n"
        "    adj(blk(w[4], x[1])) q[3], q[0];\n    ctrl(blk(w[2], w[5])) q[1], q[2], q[3];\n"
        "    ctrl(adj(blk(w[0], x[0]))) q[2], q[0], q[1];\n"
        "    unitary([[0.6, [0, 0.8]], [[0, 0.8], 0.6]]) q[1];\n"
        "    ctrl(unitary([[0.6, [0, 0.8]], [[0, 0.8], 0.6]])) q[2], q[1];\n"
        "    unitary([[1, 0, 0, 0], [0, 0, [0, 1], 0], [0, [0, 1], 0, 0], [0, 0, 0, 1]]) q[0], q[3];\n"
        "    expval sum(i in 0..n) Z(q[i]) + 0.5 * X(q[0]) @ Y(q[2]);\n"
        "    probs(q[1], q[3]);\n"
        "}\n", 5);
    /* rzz expands into diagonal ops only: an IQP layer's rz and rzz fuse into one diagonal
     * sweep between the Hadamard layers (8 + 8 h, 1 fuseddiag) */
    const char *path = test_tmp_path("iqp.qnn");
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("circuit iqp(int n = 8) {\n    qubits q[n];\n    input x[n];\n    h q;\n"
          "    for i in 0..n { rz(x[i]) q[i]; }\n"
          "    for i in 0..n-1 { rzz(x[i] * x[i+1]) q[i], q[i+1]; }\n    h q;\n"
          "    expval Z(q[0]);\n}\n", f);
    fclose(f);
    arena *ar = arena_create();
    sema_options so = {0};
    so.max_qubits = 24;
    sema_result *r = sema_check_file(ar, path, &so);
    assert_non_null(r);
    ir_circuit *fz = pass_fuse(r->circuits[0]);
    int counts[IR_GATE_COUNT];
    ir_count_gates(fz, counts);
    assert_int_equal(fz->n_ops, 17);
    assert_int_equal(counts[IR_H], 16);
    assert_int_equal(counts[IR_FUSED_DIAG], 1);
    ir_free(fz);
    sema_free(r);
    arena_destroy(ar);
    /* issue 12's target: the same IQP circuit (two repetitions) with each ZZ written as
     * cnot-rz-cnot compiles to no more sweeps than the rzz form (rule 0 sees the parity) */
    int sweeps[2];
    for (int form = 0; form < 2; form++) {
        f = fopen(path, "w");
        assert_non_null(f);
        fprintf(f, "circuit iqp(int n = 8) {\n    qubits q[n];\n    input x[n];\n"
                   "    for r in 0..2 {\n        h q;\n        for i in 0..n { rz(x[i]) q[i]; }\n"
                   "        for i in 0..n-1 { %s }\n    }\n    expval Z(q[0]);\n}\n",
                form ? "cnot q[i], q[i+1]; rz(x[i] * x[i+1]) q[i+1]; cnot q[i], q[i+1];"
                     : "rzz(x[i] * x[i+1]) q[i], q[i+1];");
        fclose(f);
        ar = arena_create();
        r = sema_check_file(ar, path, &so);
        assert_non_null(r);
        fz = pass_fuse(r->circuits[0]);
        sweeps[form] = fz->n_ops;
        ir_free(fz);
        sema_free(r);
        arena_destroy(ar);
    }
    assert_int_equal(sweeps[0], 17);
    assert_true(sweeps[1] <= sweeps[0]);
}

int main(void) {
    char err[512];
    S = jit_create(err, sizeof err);
    if (!S) {
        fprintf(stderr, "jit_create: %s\n", err);
        return 1;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bell),
        cmocka_unit_test(test_random_circuits),
        cmocka_unit_test(test_shift_random),
        cmocka_unit_test(test_fused_equals_unfused),
        cmocka_unit_test(test_pre_loops),
        cmocka_unit_test(test_step_tables),
        cmocka_unit_test(test_qiren),
        cmocka_unit_test(test_parity_fusion),
        cmocka_unit_test(test_multirz_members),
        cmocka_unit_test(test_f32),
        cmocka_unit_test(test_lanes),
        cmocka_unit_test(test_contract_edges),
        cmocka_unit_test(test_threads),
        cmocka_unit_test(test_kept_states),
        cmocka_unit_test(test_amp_layout),
        cmocka_unit_test(test_kept_states_layer),
        cmocka_unit_test(test_vecmath),
        cmocka_unit_test(test_pre_key),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_runtime_symbols),
        cmocka_unit_test(test_text_and_objects),
        cmocka_unit_test(test_bench_qiren),
        cmocka_unit_test(test_observables_from_source),
        cmocka_unit_test(test_gates_from_source),
    };
    int rc = cmocka_run_group_tests(tests, test_tmp_setup, test_tmp_teardown);
    jit_destroy(S);
    return rc;
}
