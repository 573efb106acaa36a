/* Wire blocks (rule 10 of passes.h, IR_FUSED_BLOCK, compiler/cg_block.c) end to end: the
 * compiled block ops, forward, adjoint vjp and parameter shift, against the reference
 * interpreter on the UNFUSED circuit (compiler/interp.c) at 1e-12, central finite
 * differences (1e-6), and in f32; random gate sequences of every one-qubit and controlled
 * kind on 2-6 qubits cut into blocks of 1-5 wires, the QIREN layer at 12 qubits, the pass's
 * size rule (8 qubits unchanged, 17 qubits in blocks, the flop model unchanged), and the
 * code generator's refusals. */
#include "testutil.h"

#include "cg.h"
#include "interp.h"
#include "ir.h"
#include "jit.h"
#include "passes.h"

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
 * outputs to 1e-12, the vjp to the exact adjoint of c to 1e-12 and to central differences
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
        assert_close(gp[i], gpr[i], 1e-12);
        assert_close(gp[i], gpf[i], 1e-6);
        if (other)
            assert_close(gp[i], gpo[i], 1e-12);
    }
    for (int i = 0; i < B * I; i++) {
        assert_close(gx[i], gxr[i], 1e-12);
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

static const ir_gate one_q[] = {IR_H, IR_X, IR_Y, IR_Z, IR_S, IR_T, IR_SX, IR_RX, IR_RY,
                                IR_RZ, IR_PHASE, IR_ROT, IR_U3};
static const ir_gate ctl_q[] = {IR_CNOT, IR_CZ, IR_CY, IR_CRX, IR_CRY, IR_CRZ, IR_CPHASE};

/* A random one-qubit or controlled gate on the wires of `wires` (a bit mask, at least two
 * wires for a controlled gate), angles of kind `mode` (rand_angle). */
static void add_rand_gate(ir_circuit *c, rng *r, uint32_t wires, int mode) {
    int w[32] = {0}, nw = 0;
    for (int q = 0; q < c->n_qubits; q++)
        if (wires >> q & 1)
            w[nw++] = q;
    ir_gate g;
    int a = w[rint_(r, nw)], b = -1;
    if (nw >= 2 && rint_(r, 3) == 0) {
        g = ctl_q[rint_(r, (int)(sizeof ctl_q / sizeof *ctl_q))];
        b = w[rint_(r, nw - 1)];
        if (b == a)
            b = w[nw - 1];
    } else
        g = one_q[rint_(r, (int)(sizeof one_q / sizeof *one_q))];
    int ang[3] = {-1, -1, -1};
    for (int k = 0; k < ir_gate_n_angles(g); k++)
        ang[k] = rand_angle(c, r, mode);
    int k = ir_add_gate(c, g, a, b, ang[0], ang[1], ang[2]);
    ir_set_loc(c, k, c->n_ops, 1);
}

static void add_obs(ir_circuit *c, rng *r) {
    int n = c->n_qubits;
    for (int o = 0; o < 3; o++) {
        char p[40] = {0};
        for (int w = 0; w < n; w++)
            p[w] = "IXYZ"[rint_(r, 4)];
        ir_begin_observable(c);
        ir_add_term(c, runif(r, 0.5, 1.5), p);
    }
}

static int count_gate(const ir_circuit *c, ir_gate g) {
    int k = 0;
    for (int i = 0; i < c->n_ops; i++)
        k += c->ops[i].gate == g;
    return k;
}

static int popcount(uint32_t v) {
    int n = 0;
    for (; v; v &= v - 1)
        n++;
    return n;
}

static int count_prims(const ir_circuit *c) {
    int n = 0;
    for (int i = 0; i < c->n_ops; i++)
        n += c->ops[i].n_members ? c->ops[i].n_members : 1;
    return n;
}

/* Every block of f has at most k wires and two or more members, and f has the primitive
 * ops of u (rule 10 only regroups). */
static void check_blocks(const ir_circuit *u, const ir_circuit *f, int k) {
    for (int i = 0; i < f->n_ops; i++) {
        const ir_op *op = &f->ops[i];
        if (op->gate == IR_FUSED_BLOCK) {
            assert_true(op->n_members >= 2);
            assert_true(op->n_members <= PASS_BLOCK_MAX_MEMBERS);
            assert_true(popcount(ir_op_wire_mask(f, op)) <= k);
        }
    }
    assert_int_equal(count_prims(f), count_prims(u));
}

/* ---- tests ------------------------------------------------------------------------------ */

/* Random gate sequences on 2-6 qubits: runs of 3-12 gates on random sets of 1-5 wires (so
 * that blocks of every size form, with controlled members inside), ops on other wires
 * between, angles constant, of parameters or of inputs; blocks of at most 1-5 wires by
 * pass_fuse_blocks on the UNFUSED circuit (every gate kind reaches a block); compiled with
 * the adjoint vjp at the host's lanes and at 1 lane and with the parameter shift. */
static void test_random_blocks(void **state) {
    (void)state;
    rng r = {1310};
    int reps = 25, with_blocks = 0, n_blocks = 0;
    for (int rep = 0; rep < reps; rep++) {
        int n = 2 + rep % 5, mode = rep % 3, k = 1 + rep % 5;
        ir_circuit *u = ir_new("blocks", n, 2);
        for (int w = 0; w < n; w++) /* amplitude everywhere, per sample */
            ir_add_gate(u, IR_RY, w, -1, ir_input(u, w % 2), -1, -1);
        int runs = 2 + rint_(&r, 3);
        for (int run = 0; run < runs; run++) {
            uint32_t set = 0;
            int want = 1 + rint_(&r, n < 5 ? n : 5);
            while (popcount(set) < want)
                set |= 1u << rint_(&r, n);
            int len = 3 + rint_(&r, 10);
            for (int j = 0; j < len; j++)
                add_rand_gate(u, &r, set, mode);
            if (rint_(&r, 2)) /* an op no block takes: a swap */
                ir_add_gate(u, IR_SWAP, 0, n - 1, -1, -1, -1);
        }
        add_obs(u, &r);
        ir_circuit *f = pass_fuse_blocks(u, k);
        check_blocks(u, f, k);
        int nb = count_gate(f, IR_FUSED_BLOCK);
        with_blocks += nb > 0;
        n_blocks += nb;
        char err[512];
        if (cg_check(f, err, sizeof err))
            fail_msg("cg_check: %s", err);
        pass_cost a, b;
        pass_cost_of(u, &a);
        pass_cost_of(f, &b);
        assert_close(a.vjp_flops, b.vjp_flops, 1e-15); /* rule 10 changes no arithmetic */
        assert_int_equal(b.n_ops, f->n_ops);
        rt_circuit adj, shift, one;
        compile_ok(f, CG_GRAD_ADJOINT, 0, &adj);
        compile_ok(f, CG_GRAD_SHIFT, 0, &shift);
        compile_ok(f, CG_GRAD_ADJOINT, 1, &one);
        check_against(u, &adj, &shift, 100 + (uint64_t)rep, 5);
        check_against(u, &one, &adj, 200 + (uint64_t)rep, 3);
        if (rep % 4 == 0)
            check_f32(f, u, 400 + (uint64_t)rep);
        ir_free(f);
        ir_free(u);
    }
    print_message("blocks in %d of %d circuits (%d fusedblock ops)\n", with_blocks, reps, n_blocks);
    assert_true(with_blocks >= reps * 2 / 3);
}

/* The QIREN layer of bench/bench.c (Rot layers, CZ rings, RZ(x) encodings: blocks of RYs
 * between per-sample diagonals) at n qubits. */
static ir_circuit *qiren(int n) {
    ir_circuit *c = ir_new("qiren", n, n);
    int np = 0;
    for (int blk = 0; blk <= 2; blk++) {
        for (int l = 0; l < 2; l++) {
            for (int i = 0; i < n; i++) {
                int a0 = ir_param(c, np++), a1 = ir_param(c, np++), a2 = ir_param(c, np++);
                ir_add_gate(c, IR_ROT, i, -1, a0, a1, a2);
            }
            for (int i = 0; i < n; i++)
                ir_add_gate(c, IR_CZ, i, (i + l % (n - 1) + 1) % n, -1, -1, -1);
        }
        if (blk < 2)
            for (int j = 0; j < n; j++)
                ir_add_gate(c, IR_RZ, j, -1, ir_input(c, j), -1, -1);
    }
    char p[40];
    for (int j = 0; j < n; j++) {
        for (int w = 0; w < n; w++)
            p[w] = w == j ? 'Z' : 'I';
        p[n] = 0;
        ir_begin_observable(c);
        ir_add_term(c, 1.0, p);
    }
    return c;
}

/* QIREN at 12 qubits in blocks of 3 and 4 wires against the interpreter on the unfused
 * layer (outputs and gradients 1e-12, central differences 1e-6), and in f32. */
static void test_qiren_blocks(void **state) {
    (void)state;
    ir_circuit *u = qiren(12), *f = pass_fuse_with(u, &(pass_options){1, 0});
    for (int k = 3; k <= 4; k++) {
        ir_circuit *b = pass_fuse_blocks(f, k);
        assert_true(count_gate(b, IR_FUSED_BLOCK) >= 18);
        assert_true(b->n_ops < f->n_ops);
        rt_circuit rc;
        compile_ok(b, CG_GRAD_ADJOINT, 0, &rc);
        check_against(u, &rc, NULL, 7 + (uint64_t)k, 3);
        if (k == 4)
            check_f32(b, u, 9);
        ir_free(b);
    }
    ir_free(f);
    ir_free(u);
}

/* pass_fuse applies rule 10 from PASS_BLOCK_MIN_QUBITS qubits only: QIREN at 8 qubits is
 * what it was without the rule, op for op; at 17 qubits its RY layers are blocks of
 * PASS_BLOCK_WIRES wires, with the same flops under the model and fewer sweeps. */
static void test_pass_size_rule(void **state) {
    (void)state;
    ir_circuit *u8 = qiren(8), *a = pass_fuse(u8), *b = pass_fuse_with(u8, &(pass_options){1, 0});
    assert_int_equal(a->n_ops, b->n_ops);
    assert_int_equal(count_gate(a, IR_FUSED_BLOCK), 0);
    for (int i = 0; i < a->n_ops; i++) {
        assert_int_equal(a->ops[i].gate, b->ops[i].gate);
        assert_int_equal(a->ops[i].n_members, b->ops[i].n_members);
    }
    ir_free(a);
    ir_free(b);
    ir_free(u8);
    int n = PASS_BLOCK_MIN_QUBITS;
    ir_circuit *u = qiren(n);
    a = pass_fuse(u);
    b = pass_fuse_with(u, &(pass_options){1, 0});
    int rys = count_gate(b, IR_RY) + count_gate(b, IR_FUSED_1Q);
    int per_layer = (n + PASS_BLOCK_WIRES - 1) / PASS_BLOCK_WIRES;
    assert_int_equal(count_gate(a, IR_FUSED_BLOCK), rys / n * per_layer);
    check_blocks(b, a, PASS_BLOCK_WIRES);
    pass_cost ca, cb;
    pass_cost_of(a, &ca);
    pass_cost_of(b, &cb);
    assert_close(ca.forward_flops, cb.forward_flops, 1e-15);
    assert_close(ca.vjp_flops, cb.vjp_flops, 1e-15);
    assert_true(ca.n_ops < cb.n_ops / 2);
    print_message("QIREN at %d qubits: %d sweeps -> %d\n", n, cb.n_ops, ca.n_ops);
    ir_free(a);
    ir_free(b);
    ir_free(u);
}

/* A long run on three wires (a deep circuit on wires 0-2) is cut into blocks of at most
 * PASS_BLOCK_MAX_MEMBERS members: one unbounded block kept every member's accumulators live
 * in one loop, and compile time grew with the square of the run (240 layers: 55 s). */
static void test_block_member_cap(void **state) {
    (void)state;
    int layers = 20, np = 0;
    ir_circuit *u = ir_new("deep", 5, 1);
    for (int i = 0; i < 3; i++) /* wires 3 and 4 stay idle: one run of blocks */
        ir_add_gate(u, IR_RY, i, -1, ir_input(u, 0), -1, -1);
    for (int l = 0; l < layers; l++) {
        ir_add_gate(u, IR_RX, 0, -1, ir_param(u, np++), -1, -1);
        ir_add_gate(u, IR_RY, 1, -1, ir_param(u, np++), -1, -1);
        ir_add_gate(u, IR_CNOT, 0, 1, -1, -1, -1);
        ir_add_gate(u, IR_CRZ, 1, 2, ir_param(u, np++), -1, -1);
        ir_add_gate(u, IR_RY, 2, -1, ir_param(u, np++), -1, -1);
    }
    ir_begin_observable(u);
    ir_add_term(u, 1.0, "ZIIII");
    ir_circuit *b = pass_fuse_blocks(u, 3);
    check_blocks(u, b, 3);
    /* the encoding's RYs on wires 0-2 open the run: 3 + 5 * layers members on wires 0-2 */
    int run = 3 + 5 * layers;
    assert_true(count_gate(b, IR_FUSED_BLOCK) >= run / 32); /* not one block of 103 */
    assert_int_equal(count_gate(b, IR_FUSED_BLOCK),
                     (run + PASS_BLOCK_MAX_MEMBERS - 1) / PASS_BLOCK_MAX_MEMBERS);
    rt_circuit rc;
    compile_ok(b, CG_GRAD_ADJOINT, 0, &rc);
    check_against(u, &rc, NULL, 31, 3);
    ir_free(b);
    ir_free(u);
}

/* cg_check refuses a block of more than IR_BLOCK_MAX_WIRES wires and a member that is not a
 * one-qubit or controlled gate, naming the op. */
static void test_refusals(void **state) {
    (void)state;
    ir_circuit *c = ir_new("bad", 7, 0);
    ir_op m[7];
    for (int w = 0; w < 7; w++) {
        memset(&m[w], 0, sizeof m[w]);
        m[w].gate = IR_H;
        m[w].wires[0] = w;
        m[w].wires[1] = -1;
        m[w].angle[0] = m[w].angle[1] = m[w].angle[2] = -1;
    }
    ir_add_fused(c, IR_FUSED_BLOCK, m, 6);
    ir_begin_observable(c);
    ir_add_term(c, 1.0, "ZIIIIII");
    char err[512];
    assert_int_equal(cg_check(c, err, sizeof err), -1);
    assert_non_null(strstr(err, "fusedblock"));
    assert_non_null(strstr(err, "6 wires, at most 5"));
    ir_free(c);
    c = ir_new("bad", 3, 0);
    m[1].gate = IR_SWAP;
    m[1].wires[0] = 1;
    m[1].wires[1] = 2;
    ir_add_fused(c, IR_FUSED_BLOCK, m, 2);
    ir_begin_observable(c);
    ir_add_term(c, 1.0, "ZII");
    assert_int_equal(cg_check(c, err, sizeof err), -1);
    assert_non_null(strstr(err, "member swap is not a one-qubit or controlled gate"));
    ir_free(c);
}

static int setup(void **state) {
    (void)state;
    char err[512];
    S = jit_create(err, sizeof err);
    return S ? 0 : -1;
}

static int teardown(void **state) {
    (void)state;
    jit_destroy(S);
    return 0;
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_random_blocks),
        cmocka_unit_test(test_qiren_blocks),
        cmocka_unit_test(test_pass_size_rule),
        cmocka_unit_test(test_block_member_cap),
        cmocka_unit_test(test_refusals),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
