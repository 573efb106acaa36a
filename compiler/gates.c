/* Gate expansion (part of lowering): composite gates, constant unitaries and the adj/ctrl
 * modifiers as exact sequences of the primitive ops of ir.h. See gates.h and
 * docs/semantics.md §3.1 for the decompositions and why each is exact. */
#include "gates.h"

#include <complex.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef double complex cplx;

static const double PI = 3.14159265358979323846;

static const struct { const char *name; int kind; } composite_aliases[] = {
    {"rxx", GX_RXX}, {"ryy", GX_RYY}, {"rzz", GX_RZZ}, {"multirz", GX_MULTIRZ},
    {"toffoli", GX_TOFFOLI}, {"ccx", GX_TOFFOLI}, {"ccz", GX_CCZ}, {"cswap", GX_CSWAP},
    {"iswap", GX_ISWAP}, {"ecr", GX_ECR}};

int gx_find_composite(const char *name) {
    for (size_t i = 0; i < sizeof composite_aliases / sizeof *composite_aliases; i++)
        if (strcmp(name, composite_aliases[i].name) == 0) return composite_aliases[i].kind;
    return -1;
}

const char *gx_composite_name(int k) {
    for (size_t i = 0; i < sizeof composite_aliases / sizeof *composite_aliases; i++)
        if (composite_aliases[i].kind == k) return composite_aliases[i].name;
    return "?";
}

int gx_composite_n_angles(int k) { return k <= GX_MULTIRZ ? 1 : 0; }

int gx_composite_arity(int k) {
    switch (k) {
    case GX_MULTIRZ: return 0;
    case GX_TOFFOLI: case GX_CCZ: case GX_CSWAP: return 3;
    default: return 2;
    }
}

int gx_push(gx_seq *s, const gx_item *it) {
    if (s->n == s->cap) {
        int cap = s->cap ? 2 * s->cap : 16;
        gx_item *p = realloc(s->items, sizeof *p * (size_t)cap);
        if (!p) return 0;
        s->items = p;
        s->cap = cap;
    }
    s->items[s->n++] = *it;
    return 1;
}

void gx_seq_free(gx_seq *s) {
    free(s->items);
    memset(s, 0, sizeof *s);
}

gx_item gx_prim(int g, int w0, int w1, int a0, int a1, int a2) {
    gx_item it;
    memset(&it, 0, sizeof it);
    it.g = g;
    it.w[0] = w0;
    it.w[1] = w1;
    it.a[0] = a0;
    it.a[1] = a1;
    it.a[2] = a2;
    return it;
}

static int push1(gx_seq *s, int g, int w, int a) {
    gx_item it = gx_prim(g, w, -1, a, -1, -1);
    return gx_push(s, &it);
}

static int push2(gx_seq *s, int g, int w0, int w1, int a) {
    gx_item it = gx_prim(g, w0, w1, a, -1, -1);
    return gx_push(s, &it);
}
/* k * a, folded when a is a constant (what emit-ir shows stays readable) */
static int scaled(ir_circuit *c, int a, double k) {
    if (c->exprs[a].kind == IR_EXPR_CONST) return ir_const(c, k * c->exprs[a].value);
    return ir_binary(c, IR_EXPR_MUL, a, ir_const(c, k));
}

/* exp(-i t/2 Z(a) Z(b)) = diag(e^{-it/2}, e^{it/2}, e^{it/2}, e^{-it/2})
 *                       = CRZ(-2t)(a, b) RZ(t)(b): both diagonal, so fusion merges them. */
static int push_rzz(ir_circuit *c, gx_seq *s, int a, int b, int t) {
    return push1(s, IR_RZ, b, t) && push2(s, IR_CRZ, a, b, scaled(c, t, -2.0));
}

/* A basis change B on both wires around rzz: B^dagger-conjugation turns Z Z into P P. */
static int push_conj_rzz(ir_circuit *c, gx_seq *s, int a, int b, int t, ir_gate g, double th) {
    int k1 = g == IR_H ? -1 : ir_const(c, th), k2 = g == IR_H ? -1 : ir_const(c, -th);
    return push1(s, g, a, k1) && push1(s, g, b, k1) && push_rzz(c, s, a, b, t) &&
           push1(s, g, a, k2) && push1(s, g, b, k2);
}

int gx_expand_composite(ir_circuit *c, int k, const int *w, int nw, const int *ang, gx_seq *s) {
    int t = ang ? ang[0] : -1;
    switch (k) {
    case GX_RZZ: return push_rzz(c, s, w[0], w[1], t);
    /* H Z H = X; RX(pi/2) Z RX(-pi/2) = Y (applied: RX(pi/2) first) */
    case GX_RXX: return push_conj_rzz(c, s, w[0], w[1], t, IR_H, 0);
    case GX_RYY: return push_conj_rzz(c, s, w[0], w[1], t, IR_RX, PI / 2);
    case GX_MULTIRZ: {
        if (nw == 1) return push1(s, IR_RZ, w[0], t);
        /* The parity of wires 0..n-2 collects on wire n-2 through a CNOT ladder; then the
         * phase depends on it and wire n-1 only (an rzz), and the ladder is undone. */
        int ok = 1;
        for (int i = 0; ok && i + 2 < nw; i++) ok = push2(s, IR_CNOT, w[i], w[i + 1], -1);
        ok = ok && push_rzz(c, s, w[nw - 2], w[nw - 1], t);
        for (int i = nw - 3; ok && i >= 0; i--) ok = push2(s, IR_CNOT, w[i], w[i + 1], -1);
        return ok;
    }
    case GX_TOFFOLI: case GX_CCZ: {
        gx_item it = gx_prim(k == GX_CCZ ? IR_Z : IR_X, w[2], -1, -1, -1, -1);
        it.nctrl = 2;
        it.ctrl[0] = w[0];
        it.ctrl[1] = w[1];
        return gx_push(s, &it);
    }
    case GX_CSWAP: { /* SWAP(a, b) = CNOT(b, a) CNOT(a, b) CNOT(b, a): control the middle one */
        gx_item it = gx_prim(IR_X, w[2], -1, -1, -1, -1);
        it.nctrl = 2;
        it.ctrl[0] = w[0];
        it.ctrl[1] = w[1];
        return push2(s, IR_CNOT, w[2], w[1], -1) && gx_push(s, &it) &&
               push2(s, IR_CNOT, w[2], w[1], -1);
    }
    case GX_ISWAP: { /* iSWAP = exp(i pi/4 (XX + YY)) = IsingXX(-pi/2) IsingYY(-pi/2) (they commute) */
        int m = ir_const(c, -PI / 2);
        return push_conj_rzz(c, s, w[0], w[1], m, IR_H, 0) &&
               push_conj_rzz(c, s, w[0], w[1], m, IR_RX, PI / 2);
    }
    case GX_ECR: { /* PennyLane's decomposition, exact (no global phase) */
        int h = ir_const(c, PI / 2);
        return push1(s, IR_Z, w[0], -1) && push2(s, IR_CNOT, w[0], w[1], -1) &&
               push1(s, IR_SX, w[1], -1) && push1(s, IR_RX, w[0], h) &&
               push1(s, IR_RY, w[0], h) && push1(s, IR_RX, w[0], h);
    }
    default: return 0;
    }
}

/* ---- constant unitaries ----------------------------------------------------------------- */

static void load(const double *m, int dim, cplx *u) {
    for (int i = 0; i < dim * dim; i++) u[i] = m[2 * i] + I * m[2 * i + 1];
}

double gx_unitarity_error(const double *m, int n) {
    int dim = 1 << n;
    cplx u[16];
    load(m, dim, u);
    double err = 0;
    for (int r = 0; r < dim; r++)
        for (int k = 0; k < dim; k++) {
            cplx s = 0;
            for (int j = 0; j < dim; j++) s += conj(u[j * dim + r]) * u[j * dim + k];
            double e = cabs(s - (r == k ? 1.0 : 0.0));
            if (e > err) err = e;
        }
    return err;
}

static double arg_or_0(cplx z) { return cabs(z) < 1e-300 ? 0 : carg(z); }

/* u = e^{i alpha} RZ(beta) RY(gamma) RZ(delta): items RZ(delta), RY(gamma), RZ(beta) and the
 * phase, every one with controls ctrl[0..nctrl). With V = e^{-i alpha} u = [[a, -b*], [b, a*]]
 * in SU(2): a = e^{-i(beta+delta)/2} cos(gamma/2), b = e^{i(beta-delta)/2} sin(gamma/2). */
static int push_zyz(ir_circuit *c, gx_seq *s, const cplx u[4], int wire, const int *ctrl,
                    int nctrl) {
    double alpha = arg_or_0(u[0] * u[3] - u[1] * u[2]) / 2;
    cplx ph = cexp(-I * alpha), a = ph * u[0], b = ph * u[2];
    double gamma = 2 * atan2(cabs(b), cabs(a));
    double beta = arg_or_0(b) - arg_or_0(a), delta = -arg_or_0(a) - arg_or_0(b);
    gx_item its[4] = {gx_prim(IR_RZ, wire, -1, ir_const(c, delta), -1, -1),
                      gx_prim(IR_RY, wire, -1, ir_const(c, gamma), -1, -1),
                      gx_prim(IR_RZ, wire, -1, ir_const(c, beta), -1, -1),
                      gx_prim(GX_GPHASE, -1, -1, ir_const(c, alpha), -1, -1)};
    for (int i = 0; i < 4; i++) {
        its[i].nctrl = nctrl;
        if (nctrl) memcpy(its[i].ctrl, ctrl, sizeof(int) * (size_t)nctrl);
        if (!gx_push(s, &its[i])) return 0;
    }
    return 1;
}

/* A 2x2 block `blk` acting on the pair of basis states (r1, r2) of two wires (index
 * 2 b0 + b1), which differ in one bit: a 1-qubit gate on that wire, controlled by the other
 * wire being |1> (or |0>: X around the control). */
static int push_two_level(ir_circuit *c, gx_seq *s, const cplx blk[4], int r1, int r2,
                          const int *w) {
    int diff = r1 ^ r2, target = diff == 2 ? w[0] : w[1], other = diff == 2 ? w[1] : w[0];
    int other_bit = diff == 2 ? (r1 & 1) : (r1 >> 1 & 1);
    cplx u[4];
    if ((r1 & diff) == 0) memcpy(u, blk, sizeof u);
    else { u[0] = blk[3]; u[1] = blk[2]; u[2] = blk[1]; u[3] = blk[0]; }
    int ok = 1;
    if (!other_bit) ok = push1(s, IR_X, other, -1);
    ok = ok && push_zyz(c, s, u, target, &other, 1);
    if (!other_bit) ok = ok && push1(s, IR_X, other, -1);
    return ok;
}

/* Two-qubit unitaries: Givens rotations between Gray-code neighbours (00, 01, 11, 10; each pair
 * differs in one bit, so each rotation is a singly-controlled 1-qubit gate) reduce U to a
 * diagonal D: G_m ... G_1 U = D, so U = G_1^dagger ... G_m^dagger D (D applied first). */
static int expand_unitary2(ir_circuit *c, const cplx *u0, const int *w, gx_seq *s) {
    static const int gray[4] = {0, 1, 3, 2};
    cplx u[16], gates[6][4];
    int pairs[6][2], ng = 0;
    memcpy(u, u0, sizeof u);
    for (int q = 0; q < 3; q++) {
        int col = gray[q];
        for (int p = 3; p > q; p--) {
            int r1 = gray[p - 1], r2 = gray[p];
            cplx x = u[r1 * 4 + col], y = u[r2 * 4 + col];
            if (cabs(y) < 1e-15) continue;
            double nrm = sqrt(creal(x * conj(x)) + creal(y * conj(y)));
            cplx g[4] = {conj(x) / nrm, conj(y) / nrm, -y / nrm, x / nrm};
            for (int k = 0; k < 4; k++) {
                cplx a = u[r1 * 4 + k], b = u[r2 * 4 + k];
                u[r1 * 4 + k] = g[0] * a + g[1] * b;
                u[r2 * 4 + k] = g[2] * a + g[3] * b;
            }
            /* keep G^dagger */
            gates[ng][0] = conj(g[0]); gates[ng][1] = conj(g[2]);
            gates[ng][2] = conj(g[1]); gates[ng][3] = conj(g[3]);
            pairs[ng][0] = r1;
            pairs[ng][1] = r2;
            ng++;
        }
    }
    /* D = diag(e^{i f(b0, b1)}), f = f00 + (f10 - f00) b0 + (f01 - f00) b1 + (...) b0 b1 */
    double f[4];
    for (int k = 0; k < 4; k++) f[k] = arg_or_0(u[k * 5]);
    int ok = push1(s, GX_GPHASE, -1, ir_const(c, f[0])) &&
             push1(s, IR_PHASE, w[0], ir_const(c, f[2] - f[0])) &&
             push1(s, IR_PHASE, w[1], ir_const(c, f[1] - f[0])) &&
             push2(s, IR_CPHASE, w[0], w[1], ir_const(c, f[3] - f[2] - f[1] + f[0]));
    for (int i = ng - 1; ok && i >= 0; i--)
        ok = push_two_level(c, s, gates[i], pairs[i][0], pairs[i][1], w);
    return ok;
}

int gx_expand_unitary(ir_circuit *c, const double *m, int n, const int *wires, gx_seq *s) {
    cplx u[16];
    load(m, 1 << n, u);
    if (n == 1) return push_zyz(c, s, u, wires[0], NULL, 0);
    return expand_unitary2(c, u, wires, s);
}

/* ---- modifiers -------------------------------------------------------------------------- */

static int neg(ir_circuit *c, int a) {
    if (a < 0) return a;
    return c->exprs[a].kind == IR_EXPR_CONST ? ir_const(c, -c->exprs[a].value)
                                             : ir_unary(c, IR_EXPR_NEG, a);
}

int gx_adjoint(ir_circuit *c, gx_seq *s, int from) {
    gx_seq r = {0};
    int ok = 1;
    for (int i = s->n - 1; ok && i >= from; i--) {
        gx_item it = s->items[i];
        switch (it.g) {
        case IR_S: case IR_T:
            it.a[0] = ir_const(c, it.g == IR_S ? -PI / 2 : -PI / 4);
            it.g = IR_PHASE;
            break;
        case IR_SX: { /* SX = e^{i pi/4} RX(pi/2) */
            gx_item ph = it;
            ph.g = GX_GPHASE;
            ph.w[0] = -1;
            ph.a[0] = ir_const(c, -PI / 4);
            ok = gx_push(&r, &ph);
            it.g = IR_RX;
            it.a[0] = ir_const(c, -PI / 2);
            break;
        }
        case IR_ROT: { /* RZ(w) RY(t) RZ(p) -> RZ(-p) RY(-t) RZ(-w) */
            int p = it.a[0], t = it.a[1], w = it.a[2];
            it.a[0] = neg(c, w); it.a[1] = neg(c, t); it.a[2] = neg(c, p);
            break;
        }
        case IR_U3: { /* U3(t, p, l)^dagger = U3(-t, -l, -p) */
            int t = it.a[0], p = it.a[1], l = it.a[2];
            it.a[0] = neg(c, t); it.a[1] = neg(c, l); it.a[2] = neg(c, p);
            break;
        }
        default: /* rotations and phases: negate the angle; fixed gates are their own inverse */
            it.a[0] = neg(c, it.a[0]);
            break;
        }
        ok = ok && gx_push(&r, &it);
    }
    if (ok) {
        s->n = from;
        for (int i = 0; ok && i < r.n; i++) ok = gx_push(s, &r.items[i]);
    }
    gx_seq_free(&r);
    return ok;
}

int gx_add_controls(gx_seq *s, int from, const int *controls, int n) {
    for (int i = from; i < s->n; i++) {
        gx_item *it = &s->items[i];
        if (it->nctrl + n > GX_MAX_CTRL) return 0;
        /* outer controls first: the order only changes the decomposition, not the gate */
        memmove(it->ctrl + n, it->ctrl, sizeof(int) * (size_t)it->nctrl);
        memcpy(it->ctrl, controls, sizeof(int) * (size_t)n);
        it->nctrl += n;
    }
    return 1;
}

/* (a + b) / 2, folded for constants */
static int half_sum(ir_circuit *c, int a, int b) {
    if (c->exprs[a].kind == IR_EXPR_CONST && c->exprs[b].kind == IR_EXPR_CONST)
        return ir_const(c, 0.5 * (c->exprs[a].value + c->exprs[b].value));
    return scaled(c, ir_binary(c, IR_EXPR_ADD, a, b), 0.5);
}

/* ---- emission --------------------------------------------------------------------------- */

typedef struct {
    ir_circuit *c;
    int line, col, budget, n;
    int bad_kind; /* an item no rule expands: a bug, reported as such */
} emitter;

static int emit(emitter *E, const gx_item *it);

static int emit_c(emitter *E, int g, int w, int a, const int *ctrl, int nctrl) {
    gx_item it = gx_prim(g, w, -1, a, -1, -1);
    it.nctrl = nctrl;
    if (nctrl) memcpy(it.ctrl, ctrl, sizeof(int) * (size_t)nctrl);
    return emit(E, &it);
}

/* Native singly-controlled forms of the 1-qubit primitives. */
static int controlled_kind(int g) {
    switch (g) {
    case IR_X: return IR_CNOT;
    case IR_Y: return IR_CY;
    case IR_Z: return IR_CZ;
    case IR_RX: return IR_CRX;
    case IR_RY: return IR_CRY;
    case IR_RZ: return IR_CRZ;
    case IR_PHASE: return IR_CPHASE;
    default: return -1;
    }
}

static int emit(emitter *E, const gx_item *it) {
    ir_circuit *c = E->c;
    const int *ct = it->ctrl;
    int k = it->nctrl, t = it->w[0], a = it->a[0];
    if (it->g == GX_GPHASE) /* unobservable alone; under controls a phase on the last one */
        return k == 0 || emit_c(E, IR_PHASE, ct[k - 1], a, ct, k - 1);
    if (it->g == IR_I) return 1;
    if (k == 0) {
        if (++E->n > E->budget) return 0;
        int op = ir_add_gate(c, (ir_gate)it->g, it->w[0], it->w[1], it->a[0], it->a[1], it->a[2]);
        ir_set_loc(c, op, E->line, E->col);
        return 1;
    }
    if (ir_gate_arity((ir_gate)it->g) == 2) {
        int cc[GX_MAX_CTRL + 1];
        memcpy(cc, ct, sizeof(int) * (size_t)k);
        cc[k] = it->w[0];
        int b = it->w[1];
        switch (it->g) {
        case IR_CNOT: return emit_c(E, IR_X, b, -1, cc, k + 1);
        case IR_CY: return emit_c(E, IR_Y, b, -1, cc, k + 1);
        case IR_CZ: return emit_c(E, IR_Z, b, -1, cc, k + 1);
        case IR_CRX: return emit_c(E, IR_RX, b, a, cc, k + 1);
        case IR_CRY: return emit_c(E, IR_RY, b, a, cc, k + 1);
        case IR_CRZ: return emit_c(E, IR_RZ, b, a, cc, k + 1);
        case IR_CPHASE: return emit_c(E, IR_PHASE, b, a, cc, k + 1);
        case IR_SWAP: { /* CNOT(b, a) CNOT(a, b) CNOT(b, a), the middle one controlled */
            gx_item x = gx_prim(IR_CNOT, b, t, -1, -1, -1);
            return emit(E, &x) && emit_c(E, IR_X, b, -1, cc, k + 1) && emit(E, &x);
        }
        default: E->bad_kind = 1; return 0;
        }
    }
    /* 1-qubit gates rewritten into rotations and phases (exact, see docs/semantics.md) */
    switch (it->g) {
    case IR_S: return emit_c(E, IR_PHASE, t, ir_const(c, PI / 2), ct, k);
    case IR_T: return emit_c(E, IR_PHASE, t, ir_const(c, PI / 4), ct, k);
    case IR_H: /* H = i RY(pi/2) RZ(pi) */
        return emit_c(E, IR_RZ, t, ir_const(c, PI), ct, k) &&
               emit_c(E, IR_RY, t, ir_const(c, PI / 2), ct, k) &&
               emit_c(E, GX_GPHASE, -1, ir_const(c, PI / 2), ct, k);
    case IR_SX: /* SX = e^{i pi/4} RX(pi/2) */
        return emit_c(E, IR_RX, t, ir_const(c, PI / 2), ct, k) &&
               emit_c(E, GX_GPHASE, -1, ir_const(c, PI / 4), ct, k);
    case IR_ROT: /* RZ(omega) RY(theta) RZ(phi) */
        return emit_c(E, IR_RZ, t, it->a[0], ct, k) && emit_c(E, IR_RY, t, it->a[1], ct, k) &&
               emit_c(E, IR_RZ, t, it->a[2], ct, k);
    case IR_U3: /* U3(theta, phi, lambda) = e^{i(phi+lambda)/2} RZ(phi) RY(theta) RZ(lambda) */
        return emit_c(E, IR_RZ, t, it->a[2], ct, k) && emit_c(E, IR_RY, t, it->a[0], ct, k) &&
               emit_c(E, IR_RZ, t, it->a[1], ct, k) &&
               emit_c(E, GX_GPHASE, -1,
                      half_sum(c, it->a[1], it->a[2]), ct, k);
    default: break;
    }
    if (k == 1) {
        int cg = controlled_kind(it->g);
        if (cg < 0) {
            E->bad_kind = 1;
            return 0;
        }
        gx_item x = gx_prim(cg, ct[0], t, a, -1, -1);
        return emit(E, &x);
    }
    switch (it->g) {
    case IR_X: /* H Z H */
        return emit_c(E, IR_H, t, -1, NULL, 0) && emit_c(E, IR_Z, t, -1, ct, k) &&
               emit_c(E, IR_H, t, -1, NULL, 0);
    case IR_Y: /* S X S^dagger */
        return emit_c(E, IR_PHASE, t, ir_const(c, -PI / 2), NULL, 0) &&
               emit_c(E, IR_X, t, -1, ct, k) && emit_c(E, IR_PHASE, t, ir_const(c, PI / 2), NULL, 0);
    case IR_Z: return emit_c(E, IR_PHASE, t, ir_const(c, PI), ct, k);
    case IR_RX: case IR_RY: case IR_RZ: case IR_PHASE: {
        /* Barenco et al. 1995, lemma 7.5 with V^2 = U, V = U(a/2): C^k U =
         * C(V)(c_k) C^{k-1}X(c_k) C(V^dagger)(c_k) C^{k-1}X(c_k) C^{k-1}(V): with c_1..c_{k-1}
         * all 1, V V = U when c_k = 1 and V^dagger V = I when c_k = 0; else V V^dagger = I. */
        int h = scaled(c, a, 0.5), mh = scaled(c, a, -0.5), last = ct[k - 1];
        return emit_c(E, it->g, t, h, &last, 1) && emit_c(E, IR_X, last, -1, ct, k - 1) &&
               emit_c(E, it->g, t, mh, &last, 1) && emit_c(E, IR_X, last, -1, ct, k - 1) &&
               emit_c(E, it->g, t, h, ct, k - 1);
    }
    default: E->bad_kind = 1; return 0;
    }
}

int gx_emit(ir_circuit *c, const gx_item *it, int line, int col, int budget) {
    emitter E = {c, line, col, budget, 0, 0};
    if (emit(&E, it)) return E.n;
    return E.bad_kind ? -2 : -1;
}
