/* Unit tests of the fusion pass (compiler/passes.c): fused circuits simulate exactly like the
 * originals under the reference interpreter, every primitive op survives exactly once, and
 * the policy of passes.h gives the expected op counts. */
#include "testutil.h"

#include <complex.h>

#include "interp.h"
#include "ir.h"
#include "passes.h"

typedef double complex cplx;

static const double PI = 3.14159265358979323846;

static double urand(double lo, double hi) {
    return lo + (hi - lo) * ((double)rand() / RAND_MAX);
}

/* A random angle: a param, an input, or an expression of both. */
static int random_angle(ir_circuit *c, int n_params) {
    int p = ir_param(c, rand() % n_params);
    int x = c->n_inputs ? ir_input(c, rand() % c->n_inputs) : ir_const(c, urand(-2, 2));
    switch (rand() % 4) {
    case 0: return p;
    case 1: return x;
    case 2: return ir_binary(c, IR_EXPR_ADD, ir_binary(c, IR_EXPR_MUL, p, x), ir_const(c, 0.5));
    default: return ir_unary(c, IR_EXPR_SIN, ir_binary(c, IR_EXPR_SUB, p, x));
    }
}

static int tagged(ir_circuit *c, ir_gate g, int w0, int w1, int a) {
    int op = ir_add_gate(c, g, w0, w1, a, -1, -1);
    ir_set_loc(c, op, c->n_ops, 1);
    return op;
}

/* n distinct random wires into w (n <= c->n_qubits) */
static void random_wires(int nq, int n, int *w) {
    for (int i = 0; i < n; i++) {
        int ok;
        do {
            w[i] = rand() % nq;
            ok = 1;
            for (int j = 0; j < i; j++)
                ok &= w[j] != w[i];
        } while (!ok);
    }
}

/* The structures rule 0 and rule 8 of passes.h see through, as gates.c expands them:
 * cnot-D-cnot sandwiches (D on the target, or a two-qubit diagonal with ops on other wires
 * in between), multirz's CNOT ladders, ccz (Barenco: CPHASEs and CNOTs), toffoli (H ccz H)
 * and diagonals on a CNOT's control. Needs 2 qubits (3 for some kinds). */
static void add_pattern(ir_circuit *c, int n_params) {
    static const ir_gate d1[] = {IR_RZ, IR_PHASE, IR_Z, IR_S, IR_T};
    int nq = c->n_qubits, w[4];
    int kind = rand() % (nq >= 3 ? 6 : 3);
    switch (kind) {
    case 0: { /* cnot - D(target) - cnot */
        random_wires(nq, 2, w);
        ir_gate g = d1[rand() % 5];
        tagged(c, IR_CNOT, w[0], w[1], -1);
        tagged(c, g, w[1], -1, ir_gate_n_angles(g) ? random_angle(c, n_params) : -1);
        tagged(c, IR_CNOT, w[0], w[1], -1);
        break;
    }
    case 1: { /* a diagonal on the control passes the CNOT; a non-diagonal op on the target */
        random_wires(nq, 2, w);
        tagged(c, IR_RZ, w[0], -1, random_angle(c, n_params));
        tagged(c, IR_CNOT, w[0], w[1], -1);
        tagged(c, IR_RY, w[1], -1, random_angle(c, n_params));
        tagged(c, IR_PHASE, w[0], -1, random_angle(c, n_params));
        tagged(c, IR_CNOT, w[0], w[1], -1);
        tagged(c, IR_T, w[0], -1, -1);
        break;
    }
    case 2: { /* multirz on 2 wires as gates.c writes it (rzz), and CNOTs that cancel */
        random_wires(nq, 2, w);
        tagged(c, IR_CNOT, w[1], w[0], -1);
        tagged(c, IR_RZ, w[1], -1, random_angle(c, n_params));
        tagged(c, IR_CRZ, w[0], w[1], random_angle(c, n_params));
        tagged(c, IR_CNOT, w[1], w[0], -1);
        tagged(c, IR_CNOT, w[0], w[1], -1);
        tagged(c, IR_CNOT, w[0], w[1], -1);
        break;
    }
    case 3: { /* multirz on k = 3 or 4 wires: ladder, rzz, ladder undone */
        int k = nq >= 4 && rand() % 2 ? 4 : 3;
        random_wires(nq, k, w);
        for (int i = 0; i + 2 < k; i++)
            tagged(c, IR_CNOT, w[i], w[i + 1], -1);
        int t = random_angle(c, n_params);
        tagged(c, IR_RZ, w[k - 1], -1, t);
        tagged(c, IR_CRZ, w[k - 2], w[k - 1], ir_binary(c, IR_EXPR_MUL, t, ir_const(c, -2)));
        for (int i = k - 3; i >= 0; i--)
            tagged(c, IR_CNOT, w[i], w[i + 1], -1);
        break;
    }
    case 4: case 5: { /* ccz (or a doubly controlled phase), toffoli = H ccz H */
        random_wires(nq, 3, w);
        int toff = kind == 5;
        int a = rand() % 2 ? ir_const(c, PI / 2) : random_angle(c, n_params);
        int ma = ir_unary(c, IR_EXPR_NEG, a);
        if (toff)
            tagged(c, IR_H, w[2], -1, -1);
        tagged(c, IR_CPHASE, w[1], w[2], a);
        tagged(c, IR_CNOT, w[0], w[1], -1);
        if (rand() % 2) { /* an op on another wire in the middle: the window passes it */
            int o = 0;
            while (o == w[0] || o == w[1] || o == w[2])
                o++;
            if (o < nq)
                tagged(c, IR_RX, o, -1, random_angle(c, n_params));
        }
        tagged(c, IR_CPHASE, w[1], w[2], ma);
        tagged(c, IR_CNOT, w[0], w[1], -1);
        tagged(c, IR_CPHASE, w[0], w[2], a);
        if (toff)
            tagged(c, IR_H, w[2], -1, -1);
        break;
    }
    }
}

/* Random circuit over all primitive gate kinds. Diagonal gates are drawn more often so
 * that diagonal runs are common, and one draw in six is a pattern of add_pattern. Each op's
 * src_line is its index + 1: a unique tag. */
static ir_circuit *random_circuit_obs(int n, int n_ops, int n_params, int z_only) {
    static const ir_gate diag[] = {IR_Z, IR_S, IR_T, IR_RZ, IR_PHASE, IR_I, IR_CZ, IR_CRZ,
                                   IR_CPHASE};
    ir_circuit *c = ir_new("rand", n, 3);
    for (int k = 0; k < n_ops; k++) {
        if (n >= 2 && rand() % 6 == 0) {
            add_pattern(c, n_params);
            continue;
        }
        ir_gate g = rand() % 3 == 0 ? diag[rand() % 9] : (ir_gate)(rand() % IR_FUSED_1Q);
        int w0 = rand() % n, w1 = -1;
        if (ir_gate_arity(g) == 2) {
            if (n < 2)
                g = IR_RY;
            else
                w1 = (w0 + 1 + rand() % (n - 1)) % n;
        }
        int a[3] = {-1, -1, -1};
        for (int j = 0; j < ir_gate_n_angles(g); j++)
            a[j] = random_angle(c, n_params);
        int op = ir_add_gate(c, g, w0, w1, a[0], a[1], a[2]);
        ir_set_loc(c, op, c->n_ops, 1);
    }
    ir_begin_observable(c);
    for (int w = 0; w < n; w++) {
        char p[9] = "IIIIIIII";
        p[n] = 0;
        p[w] = z_only ? 'Z' : "XYZ"[w % 3];
        ir_add_term(c, 1.0 / (w + 1), p);
    }
    return c;
}

static ir_circuit *random_circuit(int n, int n_ops, int n_params) {
    return random_circuit_obs(n, n_ops, n_params, 0);
}

/* Each tag (src_line) occurs exactly once over top-level primitive ops and members, except
 * that a Rot may appear as its RZ RY RZ pieces (1 to 3 times), a diagonal op or piece
 * may be dropped (rule 7 of passes.h) or become up to 3 MULTIRZ members (rule 0), and a
 * CNOT may be absorbed into a diagonal (rule 0); and the structure of every fused op
 * follows passes.h. */
static void check_coverage(const ir_circuit *orig, const ir_circuit *f, int first_pass) {
    (void)first_pass; /* rule 0 and 8 move diagonals: their members' order is free */
    int n = orig->n_ops;
    int *seen = calloc((size_t)n + 1, sizeof *seen);
    for (int i = 0; i < f->n_ops; i++) {
        const ir_op *op = &f->ops[i];
        if (op->n_members == 0) {
            assert_false(ir_gate_is_fused(op->gate));
            assert_true(op->gate != IR_MULTIRZ); /* a member only */
            seen[op->src_line]++;
            continue;
        }
        assert_true(ir_gate_is_fused(op->gate));
        const ir_op *m0 = &f->members[op->first_member];
        assert_true(op->n_members >= 2 || m0->gate == IR_MULTIRZ);
        assert_int_equal(op->src_line, m0->src_line);
        int last_line = 0;
        for (int k = 0; k < op->n_members; k++) {
            const ir_op *m = &f->members[op->first_member + k];
            assert_int_equal(m->n_members, 0);
            assert_false(ir_gate_is_fused(m->gate));
            seen[m->src_line]++;
            if (op->gate == IR_FUSED_1Q) { /* application order */
                assert_true(m->src_line >= last_line);
                assert_int_equal(ir_gate_arity(m->gate), 1);
                assert_int_equal(m->wires[0], op->wires[0]);
            } else if (op->gate == IR_FUSED_2Q) { /* rule 9: within its pair */
                double mm[32];
                assert_true(op->wires[0] >= 0 && op->wires[0] < op->wires[1]);
                assert_int_equal(ir_pair_matrix(m, op->wires[0], op->wires[1], NULL, -1, mm), 0);
            } else {
                assert_true(ir_gate_is_diagonal(m->gate));
            }
            last_line = m->src_line;
            if (m->gate == IR_MULTIRZ) {
                assert_true(m->mask != 0 && !(m->mask >> f->n_qubits));
                assert_true(m->angle[0] >= 0 && m->angle[0] < f->n_exprs);
            }
        }
        if (op->gate == IR_FUSED_1Q) { /* all-diagonal groups must be FUSED_DIAG */
            int all_diag = 1;
            for (int k = 0; k < op->n_members; k++)
                all_diag &= ir_gate_is_diagonal(f->members[op->first_member + k].gate);
            assert_false(all_diag);
        }
    }
    for (int t = 1; t <= n; t++) {
        const ir_op *o = &orig->ops[t - 1];
        int diag = ir_gate_is_diagonal(o->gate);
        int hi = o->gate == IR_ROT || diag ? 3 : 1;
        int lo = o->gate == IR_ROT || diag || o->gate == IR_CNOT ? 0 : 1;
        if (seen[t] < lo || seen[t] > hi)
            fail_msg("op with tag %d appears %d times", t, seen[t]);
    }
    free(seen);
}

/* Equal states up to a global phase (dropping diagonals on |0..0> changes it), or, when
 * every observable is diagonal, equal probabilities (diagonals before the readout are
 * dropped too). */
static void assert_same_state(const ir_circuit *a, const ir_circuit *b, const double *p,
                              const double *x) {
    size_t dim = (size_t)1 << a->n_qubits;
    cplx *sa = calloc(dim, sizeof *sa), *sb = calloc(dim, sizeof *sb);
    interp_state(a, p, x, sa);
    interp_state(b, p, x, sb);
    int z_only = 1;
    for (int t = 0; t < a->n_terms; t++)
        z_only &= a->terms[t].x_mask == 0;
    size_t big = 0;
    for (size_t i = 0; i < dim; i++)
        if (cabs(sa[i]) > cabs(sa[big]))
            big = i;
    cplx ph = sb[big] / sa[big];
    assert_close(cabs(ph), 1.0, 1e-12);
    for (size_t i = 0; i < dim; i++) {
        double d = z_only ? fabs(cabs(sa[i]) - cabs(sb[i])) : cabs(sa[i] * ph - sb[i]);
        if (d > 1e-12)
            fail_msg("amplitude %zu: %.17g%+.17gi vs %.17g%+.17gi", i, creal(sa[i]),
                     cimag(sa[i]), creal(sb[i]), cimag(sb[i]));
    }
    free(sa);
    free(sb);
}

static void test_random_equivalence(void **state) {
    (void)state;
    int total_before = 0, total_after = 0, n_absorbing = 0, n_dense = 0;
    for (int rep = 0; rep < 400; rep++) {
        int n = 1 + rep % 8, n_ops = rand() % 60;
        ir_circuit *c = random_circuit(n, n_ops, 5);
        ir_circuit *f = pass_fuse(c);
        check_coverage(c, f, 1);
        int n_rot = 0; /* the split policy turns a Rot into up to 3 sweeps */
        for (int i = 0; i < c->n_ops; i++)
            n_rot += c->ops[i].gate == IR_ROT;
        int cnots[2] = {0, 0}; /* rule 0 does absorb CNOTs */
        for (int i = 0; i < c->n_ops; i++)
            cnots[0] += c->ops[i].gate == IR_CNOT;
        for (int i = 0; i < f->n_ops; i++)
            cnots[1] += f->ops[i].gate == IR_CNOT;
        n_absorbing += cnots[1] < cnots[0];
        for (int i = 0; i < f->n_ops; i++)
            n_dense += f->ops[i].gate == IR_FUSED_2Q;
        assert_true(f->n_ops <= c->n_ops + 2 * n_rot);
        total_before += c->n_ops;
        total_after += f->n_ops;
        for (int s = 0; s < 2; s++) {
            double p[5], x[3];
            for (int i = 0; i < 5; i++)
                p[i] = urand(-PI, PI);
            for (int i = 0; i < 3; i++)
                x[i] = urand(-PI, PI);
            assert_same_state(c, f, p, x);
            double o1[1], o2[1];
            interp_forward(c, p, x, o1);
            interp_forward(f, p, x, o2);
            assert_close(o1[0], o2[0], 1e-12);
        }
        /* fusing again expands and regroups (not necessarily the same way: the cost model
         * compares the policies on different inputs); still every op once */
        ir_circuit *ff = pass_fuse(f);
        check_coverage(c, ff, 0);
        ir_free(ff);
        ir_free(f);
        ir_free(c);
    }
    assert_true(total_after < total_before); /* it does fuse */
    assert_true(n_absorbing > 40);
    print_message("rule 9: %d fused2q ops in 400 random circuits\n", n_dense);
    assert_true(n_dense > 0); /* and the states above were equal with them */
}

/* The fused circuit's exact gradient (through members) equals the original's. */
static void test_random_vjp(void **state) {
    (void)state;
    for (int rep = 0; rep < 40; rep++) {
        int n = 1 + rep % 5;
        ir_circuit *c = random_circuit_obs(n, 25, 5, rep % 2);
        ir_circuit *f = pass_fuse(c);
        double p[5], x[6], g[2] = {0.7, -1.3}, gp1[5] = {0}, gp2[5] = {0}, gx1[6], gx2[6];
        for (int i = 0; i < 5; i++)
            p[i] = urand(-PI, PI);
        for (int i = 0; i < 6; i++)
            x[i] = urand(-PI, PI);
        interp_vjp(c, p, x, g, gp1, gx1, 2);
        interp_vjp(f, p, x, g, gp2, gx2, 2);
        double o1[1], o2[1];
        interp_forward(c, p, x, o1);
        interp_forward(f, p, x, o2);
        assert_close(o1[0], o2[0], 1e-12);
        for (int i = 0; i < c->n_params; i++)
            assert_close(gp1[i], gp2[i], 1e-11);
        for (int i = 0; i < 6; i++)
            assert_close(gx1[i], gx2[i], 1e-11);
        ir_free(f);
        ir_free(c);
    }
}

/* ---- policy cases ---- */

static int g1(ir_circuit *c, ir_gate g, int w, int angle) {
    int op = ir_add_gate(c, g, w, -1, angle, -1, -1);
    ir_set_loc(c, op, c->n_ops, 1);
    return op;
}

static int g2(ir_circuit *c, ir_gate g, int a, int b) {
    int angle = ir_gate_n_angles(g) ? ir_param(c, 0) : -1;
    int op = ir_add_gate(c, g, a, b, angle, -1, -1);
    ir_set_loc(c, op, c->n_ops, 1);
    return op;
}

/* Rules 1-8 (the policy cases; rule 9 has its own tests) or all of pass_fuse. */
static ir_circuit *fuse_and_check_with(ir_circuit *c, int want_ops, int pair_blocks) {
    pass_options o = {pair_blocks, 0};
    ir_circuit *f = pass_fuse_with(c, &o);
    check_coverage(c, f, 1);
    if (f->n_ops != want_ops) {
        ir_print(f, stderr);
        fail_msg("%d ops after fusion, expected %d", f->n_ops, want_ops);
    }
    double *p = malloc((size_t)(c->n_params + 1) * sizeof *p);
    double *x = malloc((size_t)(c->n_inputs + 1) * sizeof *x);
    for (int i = 0; i < c->n_params; i++)
        p[i] = urand(-PI, PI);
    for (int i = 0; i < c->n_inputs; i++)
        x[i] = urand(-PI, PI);
    assert_same_state(c, f, p, x);
    free(p);
    free(x);
    return f;
}

static ir_circuit *fuse_and_check(ir_circuit *c, int want_ops) {
    return fuse_and_check_with(c, want_ops, 0);
}

static void test_policy_cases(void **state) {
    (void)state;
    /* RZ after RY on a wire joins the one-qubit group, across an op on other wires */
    ir_circuit *c = ir_new("a", 3, 2);
    g1(c, IR_RY, 0, ir_param(c, 0));
    g2(c, IR_CNOT, 1, 2);
    g1(c, IR_RZ, 0, ir_input(c, 0));
    g1(c, IR_H, 0, -1);
    ir_circuit *f = fuse_and_check(c, 2);
    assert_int_equal(f->ops[0].gate, IR_FUSED_1Q);
    assert_int_equal(f->ops[0].n_members, 3);
    assert_int_equal(f->ops[1].gate, IR_CNOT);
    ir_free(f);
    ir_free(c);

    /* ... but not across an op on its own wire */
    c = ir_new("b", 2, 0);
    g1(c, IR_RY, 0, ir_param(c, 0));
    g2(c, IR_CNOT, 0, 1);
    g1(c, IR_RY, 0, ir_param(c, 1));
    f = fuse_and_check(c, 3);
    ir_free(f);
    ir_free(c);

    /* one-qubit diagonals before a CZ join it in one FUSED_DIAG (after H: not on |00>,
     * and an X readout: not droppable) */
    c = ir_new("c", 2, 2);
    g1(c, IR_H, 0, -1);
    g1(c, IR_H, 1, -1);
    ir_begin_observable(c);
    ir_add_term(c, 1, "XX");
    g1(c, IR_RZ, 0, ir_input(c, 0));
    g1(c, IR_T, 1, -1);
    g2(c, IR_CZ, 0, 1);
    g1(c, IR_PHASE, 1, ir_input(c, 1));
    f = fuse_and_check(c, 3);
    assert_int_equal(f->ops[2].gate, IR_FUSED_DIAG);
    ir_free(f);
    ir_free(c);

    /* a run of diagonals on one wire is a FUSED_DIAG, a lone gate stays primitive */
    c = ir_new("d", 2, 0);
    ir_begin_observable(c);
    ir_add_term(c, 1, "XI");
    g2(c, IR_CNOT, 0, 1);
    g1(c, IR_S, 0, -1);
    g1(c, IR_RZ, 0, ir_param(c, 0));
    g1(c, IR_H, 1, -1);
    f = fuse_and_check(c, 3);
    assert_int_equal(f->ops[1].gate, IR_FUSED_DIAG);
    assert_int_equal(f->ops[2].gate, IR_H);
    assert_int_equal(f->ops[2].src_line, 4);
    ir_free(f);
    ir_free(c);

    /* CZ, H, CZ on shared wires: nothing may move */
    c = ir_new("e", 2, 0);
    ir_begin_observable(c);
    ir_add_term(c, 1, "XX");
    g1(c, IR_H, 0, -1);
    g1(c, IR_H, 1, -1);
    g2(c, IR_CZ, 0, 1);
    g1(c, IR_H, 0, -1);
    g2(c, IR_CZ, 0, 1);
    f = fuse_and_check(c, 5);
    ir_free(f);
    ir_free(c);

    /* rule 7: diagonals on |00> (a global phase) and, with a Z readout, right before it are
     * dropped; with an X readout the last one stays */
    for (int xr = 0; xr < 2; xr++) {
        c = ir_new("h", 2, 1);
        ir_begin_observable(c);
        ir_add_term(c, 1, xr ? "XZ" : "ZZ");
        g1(c, IR_RZ, 0, ir_param(c, 0));
        g2(c, IR_CZ, 0, 1);
        g1(c, IR_H, 0, -1);
        g2(c, IR_CZ, 0, 1);
        g1(c, IR_T, 1, -1);
        f = fuse_and_check(c, xr ? 2 : 1);
        assert_int_equal(f->ops[0].gate, IR_H);
        if (!xr) { /* the last pair is freed below */
            ir_free(f);
            ir_free(c);
        }
    }
    ir_free(f);
    ir_free(c);

    /* diagonal groups merge past non-diagonal ops on disjoint wires */
    c = ir_new("f", 4, 0);
    g2(c, IR_CZ, 0, 1);
    g1(c, IR_H, 2, -1);
    g2(c, IR_CRZ, 3, 2);
    g1(c, IR_H, 0, -1);
    g2(c, IR_CPHASE, 1, 3);
    f = fuse_and_check(c, 3); /* H(2), {CZ, CRZ, CPHASE}, H(0): the CZ moves past H(2) */
    ir_free(f);
    ir_free(c);

    /* non-diagonal two-qubit gates are never fused */
    c = ir_new("g", 2, 0);
    g2(c, IR_CRX, 0, 1);
    g2(c, IR_SWAP, 0, 1);
    g2(c, IR_CY, 1, 0);
    f = fuse_and_check(c, 3);
    ir_free(f);
    ir_free(c);
}

/* ---- the QIREN circuit ---- */

static void add_sel(ir_circuit *c, int n, int *off) {
    for (int l = 0; l < 2; l++) {
        for (int i = 0; i < n; i++, *off += 3) {
            int op = ir_add_gate(c, IR_ROT, i, -1, ir_param(c, *off), ir_param(c, *off + 1),
                                 ir_param(c, *off + 2));
            ir_set_loc(c, op, c->n_ops, 1);
        }
        int r = l % (n - 1) + 1;
        for (int i = 0; i < n; i++)
            g2(c, IR_CZ, i, (i + r) % n);
    }
}

static ir_circuit *qiren(int n, int R) {
    ir_circuit *c = ir_new("qiren", n, n);
    int off = 0;
    for (int k = 0; k < R; k++) {
        add_sel(c, n, &off);
        for (int j = 0; j < n; j++)
            g1(c, IR_RZ, j, ir_input(c, j));
    }
    add_sel(c, n, &off);
    for (int j = 0; j < n; j++) {
        char p[9] = "IIIIIIII";
        p[n] = 0;
        p[j] = 'Z';
        ir_begin_observable(c);
        ir_add_term(c, 1, p);
    }
    return c;
}

static void test_qiren(void **state) {
    (void)state;
    for (int n = 2; n <= 8; n += 3) {
        const int R = 2;
        ir_circuit *c = qiren(n, R);
        assert_int_equal(c->n_ops, (R + 1) * 4 * n + R * n);
        /* split policy: 2 (R + 1) layers of n RY with one diagonal between each pair of
         * layers (RZ(omega) of one layer, the ring, the encodings, RZ(phi) of the next);
         * the first layer's RZ(phi) (on |0..0>) and the last RZ(omega) + ring (before the
         * Z readout) are dropped */
        int L = 2 * (R + 1);
        ir_circuit *f = fuse_and_check(c, L * n + L - 1);
        int counts[IR_GATE_COUNT];
        ir_count_gates(f, counts);
        assert_int_equal(counts[IR_ROT], 0);
        assert_int_equal(counts[IR_RY], L * n);
        assert_int_equal(counts[IR_FUSED_DIAG], L - 1);
        assert_int_equal(counts[IR_FUSED_1Q], 0);
        /* the diagonal after each re-uploading block carries that block's encodings */
        int with_inputs = 0;
        for (int i = 0; i < f->n_ops; i++)
            if (f->ops[i].gate == IR_FUSED_DIAG && ir_op_uses_input(f, &f->ops[i])) {
                assert_int_equal(f->ops[i].n_members, 4 * n);
                with_inputs++;
            }
        assert_int_equal(with_inputs, R);

        pass_report r;
        pass_stats(c, f, &r);
        assert_int_equal(r.before.n_ops, c->n_ops);
        assert_int_equal(r.after.n_ops, f->n_ops);
        assert_int_equal(r.after.n_primitive, c->n_ops + 2 * L * n - 3 * n);
        assert_true(r.after.forward_flops < r.before.forward_flops);
        assert_true(r.after.vjp_flops < r.before.vjp_flops);
        assert_true(r.after.depth <= r.before.depth);
        char *buf = NULL;
        size_t len = 0;
        FILE *fp = open_memstream(&buf, &len);
        pass_report_print(&r, fp);
        fclose(fp);
        assert_non_null(strstr(buf, "ops (state sweeps)"));
        free(buf);

        double *p = malloc((size_t)c->n_params * sizeof *p), x[8], o1[8], o2[8];
        for (int i = 0; i < c->n_params; i++)
            p[i] = urand(0, 2 * PI);
        for (int i = 0; i < n; i++)
            x[i] = urand(-1, 1);
        interp_forward(c, p, x, o1);
        interp_forward(f, p, x, o2);
        for (int i = 0; i < n; i++)
            assert_close(o1[i], o2[i], 1e-12);
        free(p);
        ir_free(f);
        ir_free(c);
    }
}

/* Cost model sanity on a tiny circuit with known numbers (passes.h). */
static void test_cost_model(void **state) {
    (void)state;
    ir_circuit *c = ir_new("cost", 2, 1);
    g1(c, IR_H, 0, -1);                 /* 14 * 4 */
    g2(c, IR_CNOT, 0, 1);               /* 0 */
    g1(c, IR_RZ, 1, ir_input(c, 0));    /* 6 * 4 */
    ir_begin_observable(c);
    ir_add_term(c, 1, "ZI");            /* 4 * 4 */
    pass_cost pc;
    pass_cost_of(c, &pc);
    assert_int_equal(pc.n_ops, 3);
    assert_int_equal(pc.n_primitive, 3);
    assert_int_equal(pc.depth, 3);
    assert_close(pc.forward_flops, 56 + 0 + 24 + 16, 0);
    /* vjp: forward ops 80, lambda 32, per op 2*cost, RZ's angle: (4 + 1) * 4 */
    assert_close(pc.vjp_flops, 80 + 32 + 2 * 56 + 2 * 24 + 20, 0);
    ir_free(c);
}

static int count_kind(const ir_circuit *c, ir_gate g) {
    int n = 0;
    for (int i = 0; i < c->n_ops; i++)
        n += c->ops[i].gate == g;
    return n;
}

/* Two-qubit blocks (rule 9, passes.h): a run within one pair that a dense 4x4 makes cheaper,
 * with the numbers worked out by hand, becomes one FUSED_2Q and pass_fuse applies it; a
 * run broken by an op on a third wire, and QIREN (RY sweeps and ring diagonals no 4x4
 * beats), are left alone. */
static void test_pair_blocks(void **state) {
    (void)state;
    ir_circuit *c = ir_new("block", 2, 0);
    g1(c, IR_H, 0, -1);   /* 14 dim */
    g2(c, IR_CY, 0, 1);   /* 7 dim */
    g1(c, IR_H, 1, -1);   /* 14 dim */
    ir_begin_observable(c);
    ir_add_term(c, 1, "ZI");
    ir_circuit *f = fuse_and_check(c, 3);
    pass_cost pc;
    pass_cost_of(f, &pc);
    pass_blocks pb;
    pass_pair_blocks(f, &pb);
    assert_int_equal(pb.n_blocks, 1);
    assert_int_equal(pb.n_paying, 1);
    assert_int_equal(pb.sweeps_saved, 2);
    /* dim 4: the parts cost 35 dim forward and 3 * 35 in the vjp (no angles); one dense 4x4
     * costs 32 dim and 3 * 32 */
    assert_close(pb.forward_flops, pc.forward_flops - 35 * 4 + 32 * 4, 0);
    assert_close(pb.vjp_flops, pc.vjp_flops - 105 * 4 + 96 * 4, 0);
    /* rule 9 applies it: one FUSED_2Q of the three gates, whose cost is what the block
     * analysis predicted */
    ir_circuit *p = pass_fuse_pairs(f);
    assert_int_equal(p->n_ops, 1);
    assert_int_equal(p->ops[0].gate, IR_FUSED_2Q);
    assert_int_equal(p->ops[0].n_members, 3);
    assert_int_equal(p->ops[0].wires[0], 0);
    assert_int_equal(p->ops[0].wires[1], 1);
    pass_cost_of(p, &pc);
    assert_close(pc.forward_flops, pb.forward_flops, 0);
    assert_close(pc.vjp_flops, pb.vjp_flops, 0);
    ir_free(p);
    ir_free(f);
    f = fuse_and_check_with(c, 1, 1); /* and pass_fuse chooses it */
    assert_int_equal(f->ops[0].gate, IR_FUSED_2Q);
    ir_free(f);
    ir_free(c);

    /* a block with angles of inputs builds its matrix per sample: RX(x) RY(x) on wire 1
     * and CRX(p) CRY(p) between are 4 sweeps (14 + 6 + 7 + 7 dim), but at dim 4 the 512
     * flops per member product and the gradients' 4x4 algebra outweigh the sweeps saved */
    c = ir_new("lane", 2, 1);
    g1(c, IR_RX, 1, ir_input(c, 0));
    g2(c, IR_CRX, 0, 1);
    g1(c, IR_RY, 1, ir_input(c, 0));
    g2(c, IR_CRY, 0, 1);
    ir_begin_observable(c);
    ir_add_term(c, 1, "XZ");
    f = fuse_and_check_with(c, 4, 0);
    pass_pair_blocks(f, &pb);
    assert_int_equal(pb.n_blocks, 1);
    assert_int_equal(pb.n_paying, 0);
    p = pass_fuse_pairs(f);
    assert_int_equal(count_kind(p, IR_FUSED_2Q), 0);
    assert_int_equal(p->n_ops, 4);
    ir_free(p);
    ir_free(f);
    ir_free(c);
    /* the same on 8 qubits (dim 256): parts 158 dim in the vjp (RX 3 * 14 + 16, CRX and
     * CRY 3 * 7 + 16, RY real 3 * 6 + 8) = 40448 flops against 128 dim dense (3 * 32 + 32)
     * + 1536 (the matrix, per sample) + 768 + 1536 + 256 (gradient algebra) = 36864 */
    c = ir_new("lane8", 8, 1);
    g1(c, IR_RX, 1, ir_input(c, 0));
    g2(c, IR_CRX, 0, 1);
    g1(c, IR_RY, 1, ir_input(c, 0));
    g2(c, IR_CRY, 0, 1);
    ir_begin_observable(c);
    ir_add_term(c, 1, "XZIIIIII");
    f = fuse_and_check_with(c, 4, 0);
    pass_cost_of(f, &pc);
    pass_pair_blocks(f, &pb);
    assert_int_equal(pb.n_paying, 1);
    assert_close(pc.vjp_flops - pb.vjp_flops, 40448 - 36864, 0);
    ir_free(f);
    f = fuse_and_check_with(c, 1, 1);
    assert_int_equal(f->ops[0].gate, IR_FUSED_2Q);
    ir_free(f);
    ir_free(c);

    /* the same run with a CNOT to a third wire in the middle: two runs of one op on {0,1}
     * around it are no blocks; the single-qubit H(1) after starts a new one-wire run */
    c = ir_new("broken", 3, 0);
    g1(c, IR_H, 0, -1);
    g2(c, IR_CNOT, 0, 2);
    g2(c, IR_CY, 0, 1);
    g1(c, IR_H, 1, -1);
    ir_begin_observable(c);
    ir_add_term(c, 1, "ZII");
    f = fuse_and_check(c, 4);
    pass_pair_blocks(f, &pb);
    /* H(0) CNOT(0,2) form a block on {0,2} (14 dim forward, 42 vjp), CY H(1) one on {0,1}
     * (21 dim, 63 vjp): neither is dearer than a dense 4x4 (32 dim, 96 vjp) */
    assert_int_equal(pb.n_blocks, 2);
    assert_int_equal(pb.n_paying, 0);
    pass_cost_of(f, &pc);
    assert_close(pb.vjp_flops, pc.vjp_flops, 0);
    ir_free(f);
    f = fuse_and_check_with(c, 4, 1); /* rule 9 leaves it */
    assert_int_equal(count_kind(f, IR_FUSED_2Q), 0);
    ir_free(f);
    ir_free(c);

    /* ops on other wires between a block's ops: H(0) ... CY(0,1) H(1) with H(2) CNOT(2,3)
     * interleaved; the block moves to its last op, the others keep their order */
    c = ir_new("interleaved", 4, 0);
    g1(c, IR_H, 0, -1);
    g1(c, IR_H, 2, -1);
    g1(c, IR_SX, 1, -1);
    g2(c, IR_CNOT, 2, 3);
    g2(c, IR_CY, 1, 0);
    g1(c, IR_H, 3, -1);
    g1(c, IR_H, 1, -1);
    g1(c, IR_SX, 0, -1);
    ir_begin_observable(c);
    ir_add_term(c, 1, "XYZX");
    f = fuse_and_check_with(c, 4, 1);
    assert_int_equal(count_kind(f, IR_FUSED_2Q), 1);
    ir_free(f);
    ir_free(c);

    for (int n = 2; n <= 8; n += 3) {
        c = qiren(n, 2);
        f = pass_fuse(c);
        assert_int_equal(count_kind(f, IR_FUSED_2Q), 0);
        pass_pair_blocks(f, &pb);
        assert_int_equal(pb.n_paying, 0);
        pass_cost_of(f, &pc);
        assert_close(pb.forward_flops, pc.forward_flops, 0);
        ir_free(f);
        ir_free(c);
    }
}

int main(void) {
    srand(777);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_random_equivalence),
        cmocka_unit_test(test_random_vjp),
        cmocka_unit_test(test_policy_cases),
        cmocka_unit_test(test_qiren),
        cmocka_unit_test(test_cost_model),
        cmocka_unit_test(test_pair_blocks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
