/* Unit tests for the LLVM code generator and JIT (compiler/cg*.c, compiler/jit.c): generated
 * forward and vjp functions against the reference interpreter (compiler/interp.c), finite
 * differences, the parameter-shift rule and the fusion pass, on random circuits over every
 * gate kind; plus the error paths, object files and the runtime symbol table. */
#include "testutil.h"

#include <pthread.h>

#include "cg.h"
#include "interp.h"
#include "ir.h"
#include "jit.h"
#include "passes.h"

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
    switch (rint_(r, 16)) {
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
__attribute__((unused)) static ir_circuit *qiren_circuit(int n, int R) {
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

static void *work_for(const rt_circuit *rc) {
    void *w = malloc(rc->work_bytes + 8);
    assert_non_null(w);
    return w;
}

static void compile_ok(const ir_circuit *c, const jit_options *o, rt_circuit *rc) {
    char err[512];
    if (jit_compile(S, c, o, rc, err, sizeof err))
        fail_msg("jit_compile: %s", err);
}

static void run_forward(const rt_circuit *rc, const double *p, const double *x, double *y, int B) {
    void *w = work_for(rc);
    rc->forward(p, x, y, B, (char *)w + 8); /* deliberately misaligned: the code aligns */
    free(w);
}

static void run_vjp(const rt_circuit *rc, const double *p, const double *x, const double *gy,
                    double *gp, double *gx, int B) {
    void *w = work_for(rc);
    rc->vjp(p, x, gy, gp, gx, B, w);
    free(w);
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


/* Every gate kind, 1..10 qubits, mixed observables: forward equals the interpreter. */
static void test_forward_random(void **state) {
    (void)state;
    for (int n = 1; n <= 10; n++) {
        ir_circuit *c = random_circuit(n, 3 * n, 3, 6, 100 + (uint64_t)n);
        rt_circuit rc;
        compile_ok(c, NULL, &rc);
        assert_int_equal(rc.lanes, lanes_of());
        check_forward(c, &rc, 7 + (uint64_t)n, 1e-12);
        ir_free(c);
    }
}

/* Adjoint vjp against the interpreter's exact vjp and central differences. */
static void test_vjp_random(void **state) {
    (void)state;
    for (int n = 1; n <= 8; n++) {
        ir_circuit *c = random_circuit(n, 2 * n, 3, 6, 200 + (uint64_t)n);
        rt_circuit rc;
        compile_ok(c, NULL, &rc);
        int B = n == 1 ? 1 : n == 2 ? 3 : n == 3 ? rc.lanes : n == 4 ? rc.lanes + 1 : 5;
        check_vjp(c, &rc, B, 11 + (uint64_t)n, 1e-10, n <= 6);
        ir_free(c);
    }
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
        cmocka_unit_test(test_forward_random),
        cmocka_unit_test(test_vjp_random),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    jit_destroy(S);
    return rc;
}
