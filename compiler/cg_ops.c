/* Code generator, part 2 of 4: the kernels that sweep the state vector of one lane group,
 * each a counted LLVM loop whose strides are compile-time constants: applying a (controlled)
 * 2x2 matrix, un-applying it while accumulating the adjoint method's 2x2 inner products,
 * SWAP, diagonal phase tables (FUSED_DIAG), measuring Pauli observables and seeding the
 * co-state. Layout (structure of arrays): amplitude k of a state occupies two <W x T>
 * vectors, real parts at vector index 2k and imaginary parts at 2k + 1. */
#include <stdlib.h>
#include <string.h>

#include "cg_internal.h"

static int wire_pos(const cg *g, int w) { return g->n - 1 - w; } /* bit of wire w */

static LLVMValueRef shl1(cg *g, LLVMValueRef k) {
    return LLVMBuildShl(g->b, k, cg_i64(g, 1), "");
}

cval cg_amp_load(cg *g, LLVMValueRef st, LLVMValueRef k) {
    LLVMValueRef k2 = shl1(g, k);
    cval a = {cg_vload(g, st, k2), cg_vload(g, st, LLVMBuildOr(g->b, k2, cg_i64(g, 1), ""))};
    return a;
}

void cg_amp_store(cg *g, LLVMValueRef st, LLVMValueRef k, cval a) {
    LLVMValueRef k2 = shl1(g, k);
    cg_vstore(g, st, k2, a.re);
    cg_vstore(g, st, LLVMBuildOr(g->b, k2, cg_i64(g, 1), ""), a.im);
}

static LLVMValueRef or_bit(cg *g, LLVMValueRef v, int pos) {
    return LLVMBuildOr(g->b, v, cg_i64(g, (int64_t)1 << pos), "");
}

/* The index with zero bits inserted at two positions (any order). */
static LLVMValueRef insert00(cg *g, LLVMValueRef i, int p, int q) {
    int lo = p < q ? p : q, hi = p < q ? q : p;
    return cg_insert0(g, cg_insert0(g, i, lo), hi);
}

static cval mat_row(cg *g, const cmat *m, int r, cval a0, cval a1) {
    return cg_cadd(g, cg_cmul(g, m->m[2 * r], a0), cg_cmul(g, m->m[2 * r + 1], a1));
}

void cg_init_state(cg *g, LLVMValueRef st) {
    cg_loop l;
    LLVMValueRef i = cg_loop_begin(g, &l, cg_i64(g, 2 * g->N));
    cg_vstore(g, st, i, NULL);
    cg_loop_end(g, &l);
    if (!g->amp) {
        cg_vstore(g, st, cg_i64(g, 0), cg_k(g, 1.0));
        return;
    }
    /* amplitudes in the lanes: |0...0> is amplitude 0 of lane 0 only */
    LLVMValueRef one[64];
    for (int k = 0; k < g->W; k++)
        one[k] = LLVMConstReal(g->T, k == 0 ? 1.0 : 0.0);
    cg_vstore(g, st, cg_i64(g, 0), LLVMConstVector(one, (unsigned)g->W));
}

/* Pair indices (lo, hi) of the i-th amplitude pair acted on by a gate on `target`, restricted
 * to control = 1 when control >= 0. */
static void pair_index(cg *g, LLVMValueRef i, int target, int control, LLVMValueRef *lo,
                       LLVMValueRef *hi) {
    int pt = wire_pos(g, target);
    if (control >= 0) {
        int pc = wire_pos(g, control);
        *lo = or_bit(g, insert00(g, i, pt, pc), pc);
    } else
        *lo = cg_insert0(g, i, pt);
    *hi = or_bit(g, *lo, pt);
}

static LLVMValueRef pair_count(cg *g, int control) {
    return cg_i64(g, control >= 0 ? g->N / 4 : g->N / 2);
}

void cg_apply_1q(cg *g, LLVMValueRef st, int target, int control, const cmat *u) {
    cmat m = cg_matsplat(g, u); /* splat once, outside the loop */
    cg_loop l;
    LLVMValueRef i = cg_loop_begin(g, &l, pair_count(g, control)), lo, hi;
    pair_index(g, i, target, control, &lo, &hi);
    cval a0 = cg_amp_load(g, st, lo), a1 = cg_amp_load(g, st, hi);
    cg_amp_store(g, st, lo, mat_row(g, &m, 0, a0, a1));
    cg_amp_store(g, st, hi, mat_row(g, &m, 1, a0, a1));
    cg_loop_end(g, &l);
}

/* Backward step of the adjoint method for a (controlled) 2x2 op U, given ud = U^dagger:
 *   psi <- U^dagger psi (the state before the op), lambda <- U^dagger lambda, and
 *   G[rc] = sum over pairs of lambda_r conj(psi_before_c), with the lambda of after the op.
 * Then dL/dtheta = 2 Re sum_rc dU_rc conj(G_rc) for any angle of U (see cg.c). Only the
 * components flagged in need[] (re/im of the four entries) are accumulated. */
void cg_back_1q(cg *g, int target, int control, const cmat *ud, const int need[8], val G[8]) {
    cmat m = cg_matsplat(g, ud);
    LLVMValueRef acc[8] = {0};
    for (int c = 0; c < 8; c++)
        if (need[c])
            acc[c] = cg_acc_new(g);
    cg_loop l;
    LLVMValueRef i = cg_loop_begin(g, &l, pair_count(g, control)), lo, hi;
    pair_index(g, i, target, control, &lo, &hi);
    cval a[2] = {cg_amp_load(g, g->psi, lo), cg_amp_load(g, g->psi, hi)};
    cval lm[2] = {cg_amp_load(g, g->lam, lo), cg_amp_load(g, g->lam, hi)};
    cval b[2] = {mat_row(g, &m, 0, a[0], a[1]), mat_row(g, &m, 1, a[0], a[1])};
    cg_amp_store(g, g->psi, lo, b[0]);
    cg_amp_store(g, g->psi, hi, b[1]);
    for (int r = 0; r < 2; r++)
        for (int c = 0; c < 2; c++) {
            int e = 2 * r + c;
            if (need[2 * e]) /* Re(lam_r conj(b_c)) */
                cg_acc_add(g, acc[2 * e], cg_add(g, cg_mul(g, lm[r].re, b[c].re),
                                                 cg_mul(g, lm[r].im, b[c].im)));
            if (need[2 * e + 1]) /* Im(lam_r conj(b_c)) */
                cg_acc_add(g, acc[2 * e + 1], cg_sub(g, cg_mul(g, lm[r].im, b[c].re),
                                                     cg_mul(g, lm[r].re, b[c].im)));
        }
    cg_amp_store(g, g->lam, lo, mat_row(g, &m, 0, lm[0], lm[1]));
    cg_amp_store(g, g->lam, hi, mat_row(g, &m, 1, lm[0], lm[1]));
    cg_loop_end(g, &l);
    for (int c = 0; c < 8; c++)
        G[c] = need[c] ? cg_acc_get(g, acc[c]) : NULL;
}

/* SWAP(w, lane wire) in the amplitude layout (cg_amp.c): wire w (a kernel wire) and lane bit
 * j exchange. Of the vectors a (w = 0) and b (w = 1): a' takes a's lanes with bit j clear
 * and b's lanes l ^ 2^j where it is set; b' takes a's lanes l ^ 2^j where bit j is clear and
 * its own where it is set. Two shuffles per pair of vectors, in registers (cg_lane_swaps). */
/* Several lane swaps in one sweep (cg_amp.c merges a run of them: distinct kernel wires,
 * distinct lane bits, so they commute): the 2^m vectors of each block of the m wires are
 * loaded, each pair applies its two shuffles to the vectors that differ in its wire, and
 * the block is stored. */
void cg_lane_swaps(cg *g, LLVMValueRef st, const ir_op *pairs, int m) {
    int pos[CG_AMP_MAX_MERGED], lane[CG_AMP_MAX_MERGED];
    for (int i = 0; i < m; i++) {
        int w = pairs[i].wires[0] < g->n ? pairs[i].wires[0] : pairs[i].wires[1];
        int lw = pairs[i].wires[0] < g->n ? pairs[i].wires[1] : pairs[i].wires[0];
        pos[i] = wire_pos(g, w);
        lane[i] = g->n + g->amp_L - 1 - lw;
    }
    int sorted[CG_AMP_MAX_MERGED];
    memcpy(sorted, pos, sizeof(int) * (size_t)m);
    for (int i = 1; i < m; i++) /* insertion order: low positions first */
        for (int j = i; j > 0 && sorted[j] < sorted[j - 1]; j--) {
            int t = sorted[j]; sorted[j] = sorted[j - 1]; sorted[j - 1] = t;
        }
    cg_loop l;
    LLVMValueRef i = cg_loop_begin(g, &l, cg_i64(g, g->N >> m));
    LLVMValueRef base = i;
    for (int k = 0; k < m; k++)
        base = cg_insert0(g, base, sorted[k]);
    int nb = 1 << m;
    LLVMValueRef idx[1 << CG_AMP_MAX_MERGED];
    cval v[1 << CG_AMP_MAX_MERGED];
    for (int t = 0; t < nb; t++) { /* bit k of t: pair k's wire */
        LLVMValueRef x = base;
        for (int k = 0; k < m; k++)
            if (t >> k & 1)
                x = or_bit(g, x, pos[k]);
        idx[t] = x;
        v[t] = cg_amp_load(g, st, x);
    }
    for (int k = 0; k < m; k++) {
        LLVMValueRef ma[64], mb[64];
        for (int q = 0; q < g->W; q++) {
            int set = q >> lane[k] & 1, x = q ^ (1 << lane[k]);
            ma[q] = LLVMConstInt(g->i32, (unsigned)(set ? g->W + x : q), 0);
            mb[q] = LLVMConstInt(g->i32, (unsigned)(set ? g->W + q : x), 0);
        }
        LLVMValueRef sa = LLVMConstVector(ma, (unsigned)g->W), sb = LLVMConstVector(mb, (unsigned)g->W);
        for (int t = 0; t < nb; t++) {
            if (t >> k & 1)
                continue;
            cval a = v[t], b = v[t | 1 << k];
            v[t].re = LLVMBuildShuffleVector(g->b, a.re, b.re, sa, "");
            v[t].im = LLVMBuildShuffleVector(g->b, a.im, b.im, sa, "");
            v[t | 1 << k].re = LLVMBuildShuffleVector(g->b, a.re, b.re, sb, "");
            v[t | 1 << k].im = LLVMBuildShuffleVector(g->b, a.im, b.im, sb, "");
        }
    }
    for (int t = 0; t < nb; t++)
        cg_amp_store(g, st, idx[t], v[t]);
    cg_loop_end(g, &l);
}

void cg_swap(cg *g, LLVMValueRef st, int w0, int w1) {
    if (g->amp && (w0 >= g->n || w1 >= g->n)) { /* n + L - 1 - wire: the lane bit */
        ir_op one;
        memset(&one, 0, sizeof one);
        one.gate = IR_SWAP;
        one.wires[0] = w0;
        one.wires[1] = w1;
        cg_lane_swaps(g, st, &one, 1);
        return;
    }
    int p0 = wire_pos(g, w0), p1 = wire_pos(g, w1);
    cg_loop l;
    LLVMValueRef i = cg_loop_begin(g, &l, cg_i64(g, g->N / 4));
    LLVMValueRef base = insert00(g, i, p0, p1);
    LLVMValueRef i01 = or_bit(g, base, p1), i10 = or_bit(g, base, p0);
    cval a = cg_amp_load(g, st, i01), b = cg_amp_load(g, st, i10);
    cg_amp_store(g, st, i01, b);
    cg_amp_store(g, st, i10, a);
    cg_loop_end(g, &l);
}

/* ---- dense two-qubit ops (FUSED_2Q) ---------------------------------------------------- *
 * One counted loop over the 2^(n-2) quadruples of the pair: the index with zero bits at
 * both wires' positions, then the four amplitudes |b0 b1> at index 2 b0 + b1. Structural
 * zeros of the matrix (a block of CNOTs and RYs is real, a CZ's rows have one entry) emit
 * no arithmetic, as for the 2x2 kernels. */

static void quad_index(cg *g, LLVMValueRef i, int w0, int w1, LLVMValueRef idx[4]) {
    int p0 = wire_pos(g, w0), p1 = wire_pos(g, w1);
    LLVMValueRef base = insert00(g, i, p0, p1);
    idx[0] = base;
    idx[1] = or_bit(g, base, p1);
    idx[2] = or_bit(g, base, p0);
    idx[3] = or_bit(g, idx[1], p0);
}

static cmat4 matsplat4(cg *g, const cmat4 *a) {
    cmat4 r;
    for (int i = 0; i < 16; i++) {
        r.m[i].re = cg_splat(g, a->m[i].re);
        r.m[i].im = cg_splat(g, a->m[i].im);
    }
    return r;
}

static cval row4(cg *g, const cmat4 *m, int r, const cval *a) {
    cval s = {NULL, NULL};
    for (int k = 0; k < 4; k++)
        s = cg_cadd(g, s, cg_cmul(g, m->m[4 * r + k], a[k]));
    return s;
}

void cg_apply_2q(cg *g, LLVMValueRef st, int w0, int w1, const cmat4 *u) {
    cmat4 m = matsplat4(g, u);
    cg_loop l;
    LLVMValueRef i = cg_loop_begin(g, &l, cg_i64(g, g->N / 4)), idx[4];
    quad_index(g, i, w0, w1, idx);
    cval a[4], b[4];
    for (int k = 0; k < 4; k++)
        a[k] = cg_amp_load(g, st, idx[k]);
    for (int r = 0; r < 4; r++)
        b[r] = row4(g, &m, r, a);
    for (int r = 0; r < 4; r++)
        cg_amp_store(g, st, idx[r], b[r]);
    cg_loop_end(g, &l);
}

void cg_back_2q(cg *g, int w0, int w1, const cmat4 *ud, const int need[32], val G[32]) {
    cmat4 m = matsplat4(g, ud);
    LLVMValueRef acc[32] = {0};
    for (int c = 0; c < 32; c++)
        if (need[c])
            acc[c] = cg_acc_new(g);
    cg_loop l;
    LLVMValueRef i = cg_loop_begin(g, &l, cg_i64(g, g->N / 4)), idx[4];
    quad_index(g, i, w0, w1, idx);
    cval a[4], lm[4], b[4], nl[4];
    for (int k = 0; k < 4; k++) {
        a[k] = cg_amp_load(g, g->psi, idx[k]);
        lm[k] = cg_amp_load(g, g->lam, idx[k]);
    }
    for (int r = 0; r < 4; r++)
        b[r] = row4(g, &m, r, a);
    for (int r = 0; r < 4; r++)
        cg_amp_store(g, g->psi, idx[r], b[r]);
    for (int r = 0; r < 4; r++)
        for (int c = 0; c < 4; c++) {
            int e = 4 * r + c;
            if (need[2 * e]) /* Re(lam_r conj(b_c)) */
                cg_acc_add(g, acc[2 * e], cg_add(g, cg_mul(g, lm[r].re, b[c].re),
                                                 cg_mul(g, lm[r].im, b[c].im)));
            if (need[2 * e + 1]) /* Im(lam_r conj(b_c)) */
                cg_acc_add(g, acc[2 * e + 1], cg_sub(g, cg_mul(g, lm[r].im, b[c].re),
                                                     cg_mul(g, lm[r].re, b[c].im)));
        }
    for (int r = 0; r < 4; r++)
        nl[r] = row4(g, &m, r, lm);
    for (int r = 0; r < 4; r++)
        cg_amp_store(g, g->lam, idx[r], nl[r]);
    cg_loop_end(g, &l);
    for (int c = 0; c < 32; c++)
        G[c] = need[c] ? cg_acc_get(g, acc[c]) : NULL;
}

/* ---- diagonal ops (FUSED_DIAG) --------------------------------------------------------- *
 * A FUSED_DIAG on the s wires S[0] < ... < S[s-1] multiplies amplitude k by D[p], p being
 * the s bits of k on those wires (S[0] most significant, so p = k when S is every wire). The
 * table D (2^s complex entries; scalars when the op is shared, else vectors) is built by
 * doubling over the wires with the product of the one-qubit members on each wire, then the
 * two-qubit members multiply the quarter (CZ, CPHASE) or half (CRZ) of it they touch, and
 * each MULTIRZ member all of it (RZ's two entries, chosen by the parity of its bits). */

static uint64_t state_mask(const cg *g, uint32_t wire_mask);
static LLVMValueRef parity(cg *g, LLVMValueRef k, uint64_t mask); /* observables, below */

int cg_diag_wires(const cg *g, const ir_op *op, int *wires) {
    uint32_t mask = ir_op_wire_mask(g->c, op);
    int s = 0;
    for (int w = 0; w < g->n; w++)
        if (mask & (1u << w))
            wires[s++] = w;
    return s;
}

static int index_of(const int *wires, int s, int w) {
    for (int i = 0; i < s; i++)
        if (wires[i] == w)
            return i;
    return -1;
}

static cval tab_load(cg *g, LLVMValueRef tab, int scalar, LLVMValueRef p) {
    LLVMValueRef p2 = shl1(g, p), p21 = LLVMBuildOr(g->b, p2, cg_i64(g, 1), "");
    cval d;
    if (scalar) {
        d.re = cg_sload(g, tab, p2);
        d.im = cg_sload(g, tab, p21);
    } else {
        d.re = cg_vload(g, tab, p2);
        d.im = cg_vload(g, tab, p21);
    }
    return d;
}

static void tab_store(cg *g, LLVMValueRef tab, int scalar, LLVMValueRef p, cval d) {
    LLVMValueRef p2 = shl1(g, p), p21 = LLVMBuildOr(g->b, p2, cg_i64(g, 1), "");
    if (scalar) {
        cg_sstore(g, tab, p2, d.re);
        cg_sstore(g, tab, p21, d.im);
    } else {
        cg_vstore(g, tab, p2, d.re);
        cg_vstore(g, tab, p21, d.im);
    }
}

static int is_one(cval v) {
    LLVMBool loses;
    return !v.im && v.re && LLVMIsAConstantFP(v.re) &&
           LLVMConstRealGetDouble(v.re, &loses) == 1.0;
}

/* The member's angles (primitive gate): evaluated in the current function's mode. */
static void member_angles(cg *g, const ir_op *m, val ang[3]) {
    for (int k = 0; k < 3; k++)
        ang[k] = NULL;
    for (int o = 0; o < g->n_occ; o++)
        if (g->occ[o].prim == m)
            ang[g->occ[o].k] = cg_angle(g, &g->occ[o]);
}

/* Does member m belong in a table of kind `which`? Fixed members count as shared. */
static int member_in(const cg *g, const ir_op *m, int which) {
    if (which == CG_DIAG_ALL)
        return 1;
    int lane = 0;
    for (int k = 0; k < 3; k++)
        if (m->angle[k] >= 0 && g->uses_in[m->angle[k]])
            lane = 1;
    return lane == (which == CG_DIAG_LANE);
}

void cg_diag_table(cg *g, const ir_op *op, LLVMValueRef tab, int scalar, int which) {
    int wires[IR_MAX_QUBITS], s = cg_diag_wires(g, op, wires);
    cval one = {cg_k(g, 1.0), NULL};
    cval f0[IR_MAX_QUBITS], f1[IR_MAX_QUBITS];
    for (int i = 0; i < s; i++)
        f0[i] = f1[i] = one;
    const ir_op *mem = &g->c->members[op->first_member];
    for (int j = 0; j < op->n_members; j++) { /* diagonal gates commute: order is free */
        if (ir_gate_arity(mem[j].gate) != 1 || mem[j].gate == IR_I || !member_in(g, &mem[j], which))
            continue;
        val ang[3];
        cmat m;
        member_angles(g, &mem[j], ang);
        cg_gate_mat(g, mem[j].gate, ang, -1, &m);
        int i = index_of(wires, s, mem[j].wires[0]);
        f0[i] = cg_cmul(g, f0[i], m.m[0]);
        f1[i] = cg_cmul(g, f1[i], m.m[3]);
    }
    if (!scalar)
        for (int i = 0; i < s; i++) {
            f0[i].re = cg_splat(g, f0[i].re); f0[i].im = cg_splat(g, f0[i].im);
            f1[i].re = cg_splat(g, f1[i].re); f1[i].im = cg_splat(g, f1[i].im);
        }
    tab_store(g, tab, scalar, cg_i64(g, 0), one);
    for (int j = 0; j < s; j++) { /* pattern bit j belongs to wire S[s-1-j] */
        int i = s - 1 - j;
        if (is_one(f0[i]) && is_one(f1[i])) { /* no one-qubit member: copy */
            cg_loop l;
            LLVMValueRef p = cg_loop_begin(g, &l, cg_i64(g, (int64_t)1 << j));
            tab_store(g, tab, scalar, LLVMBuildOr(g->b, p, cg_i64(g, (int64_t)1 << j), ""),
                      tab_load(g, tab, scalar, p));
            cg_loop_end(g, &l);
            continue;
        }
        cg_loop l;
        LLVMValueRef p = cg_loop_begin(g, &l, cg_i64(g, (int64_t)1 << j));
        cval d = tab_load(g, tab, scalar, p);
        tab_store(g, tab, scalar, LLVMBuildOr(g->b, p, cg_i64(g, (int64_t)1 << j), ""),
                  cg_cmul(g, d, f1[i]));
        tab_store(g, tab, scalar, p, cg_cmul(g, d, f0[i]));
        cg_loop_end(g, &l);
    }
    for (int j = 0; j < op->n_members; j++) {
        if (ir_gate_arity(mem[j].gate) != 2 || !member_in(g, &mem[j], which))
            continue;
        val ang[3];
        cmat m;
        member_angles(g, &mem[j], ang);
        cg_gate_mat(g, mem[j].gate, ang, -1, &m);
        int bc = s - 1 - index_of(wires, s, mem[j].wires[0]);
        int bt = s - 1 - index_of(wires, s, mem[j].wires[1]);
        cval t0 = m.m[0], t1 = m.m[3];
        if (!scalar) {
            t0.re = cg_splat(g, t0.re); t0.im = cg_splat(g, t0.im);
            t1.re = cg_splat(g, t1.re); t1.im = cg_splat(g, t1.im);
        }
        cg_loop l;
        LLVMValueRef q = cg_loop_begin(g, &l, cg_i64(g, s >= 2 ? (int64_t)1 << (s - 2) : 0));
        LLVMValueRef p10 = or_bit(g, insert00(g, q, bc, bt), bc), p11 = or_bit(g, p10, bt);
        if (!is_one(t0))
            tab_store(g, tab, scalar, p10, cg_cmul(g, tab_load(g, tab, scalar, p10), t0));
        if (!is_one(t1))
            tab_store(g, tab, scalar, p11, cg_cmul(g, tab_load(g, tab, scalar, p11), t1));
        cg_loop_end(g, &l);
    }
    for (int j = 0; j < op->n_members; j++) { /* MULTIRZ: RZ's two entries, by parity */
        if (mem[j].gate != IR_MULTIRZ || !member_in(g, &mem[j], which))
            continue;
        val ang[3];
        cmat m;
        member_angles(g, &mem[j], ang);
        cg_gate_mat(g, IR_RZ, ang, -1, &m);
        cval t0 = m.m[0], t1 = m.m[3];
        if (!scalar) {
            t0.re = cg_splat(g, t0.re); t0.im = cg_splat(g, t0.im);
            t1.re = cg_splat(g, t1.re); t1.im = cg_splat(g, t1.im);
        }
        uint64_t pm = 0; /* the member's wires as pattern bits */
        for (int w = 0; w < IR_MAX_QUBITS; w++)
            if (mem[j].mask >> w & 1)
                pm |= (uint64_t)1 << (s - 1 - index_of(wires, s, w));
        cg_loop l;
        LLVMValueRef p = cg_loop_begin(g, &l, cg_i64(g, (int64_t)1 << s));
        LLVMValueRef odd = parity(g, p, pm);
        tab_store(g, tab, scalar, p, cg_cmul(g, tab_load(g, tab, scalar, p), cg_csel(g, odd, t1, t0)));
        cg_loop_end(g, &l);
    }
}

/* p = the bits of k on the op's wires; runs of adjacent wires move in one shift-and-mask. */
static LLVMValueRef pattern(cg *g, LLVMValueRef k, const int *wires, int s) {
    if (s == g->n)
        return k;
    LLVMValueRef p = NULL;
    for (int i = 0; i < s;) {
        int j = i;
        while (j + 1 < s && wires[j + 1] == wires[j] + 1)
            j++;
        int len = j - i + 1, src = wire_pos(g, wires[j]), dst = s - 1 - j;
        LLVMValueRef v = LLVMBuildAnd(g->b, LLVMBuildLShr(g->b, k, cg_i64(g, src), ""),
                                      cg_i64(g, ((int64_t)1 << len) - 1), "");
        if (dst)
            v = LLVMBuildShl(g->b, v, cg_i64(g, dst), "");
        p = p ? LLVMBuildOr(g->b, p, v, "") : v;
        i = j + 1;
    }
    return p;
}

static cval tab_entry(cg *g, LLVMValueRef tab, int scalar, LLVMValueRef p) {
    cval d = tab_load(g, tab, scalar, p);
    d.re = cg_splat(g, d.re);
    d.im = cg_splat(g, d.im);
    return d;
}

void cg_diag_apply(cg *g, LLVMValueRef st, const ir_op *op, LLVMValueRef tab, int scalar) {
    int wires[IR_MAX_QUBITS], s = cg_diag_wires(g, op, wires);
    cg_loop l;
    LLVMValueRef k = cg_loop_begin(g, &l, cg_i64(g, g->N));
    cval d = tab_entry(g, tab, scalar, pattern(g, k, wires, s));
    cg_amp_store(g, st, k, cg_cmul(g, cg_amp_load(g, st, k), d));
    cg_loop_end(g, &l);
}

/* Backward step of a FUSED_DIAG. Its phase is linear in each member's angle a_m:
 * D_k = exp(i sum_m c_m(k) a_m + const), so dL/da_m = sum_k c_m(k) t_k with
 * t_k = 2 Re(i conj(lambda_k) psi_k) (psi after the op). c_m is +-1/2 or 0/1 on the bits of
 * the member's wires, so only marginal sums of t are needed: the total, the sum over k with
 * wire w set (RZ, PHASE), over control and target set or control only (CRZ, CPHASE), and
 * over odd parity of the member's wires (MULTIRZ). */
void cg_diag_back(cg *g, const ir_op *op, LLVMValueRef tab, int scalar, val *dtheta) {
    int wires[IR_MAX_QUBITS], s = cg_diag_wires(g, op, wires);
    const ir_op *mem = &g->c->members[op->first_member];
    int n_ang = 0, need_tot = 0;
    LLVMValueRef tot = NULL, m1[IR_MAX_QUBITS] = {0};
    LLVMValueRef *m11 = calloc((size_t)op->n_members + 1, sizeof *m11);
    LLVMValueRef *m10 = calloc((size_t)op->n_members + 1, sizeof *m10);
    if (!m11 || !m10) {
        free(m11);
        free(m10);
        cg_fail(g, "out of memory");
        return;
    }
    for (int j = 0; j < op->n_members; j++) {
        ir_gate gt = mem[j].gate;
        if (ir_gate_n_angles(gt) == 0)
            continue;
        n_ang++;
        if (gt == IR_RZ || gt == IR_MULTIRZ)
            need_tot = 1;
        if (gt == IR_MULTIRZ) {
            m11[j] = cg_acc_new(g); /* the sum over odd parity */
        } else if (ir_gate_arity(gt) == 1) {
            if (!m1[mem[j].wires[0]])
                m1[mem[j].wires[0]] = cg_acc_new(g);
        } else {
            m11[j] = cg_acc_new(g);
            if (gt == IR_CRZ)
                m10[j] = cg_acc_new(g);
        }
    }
    if (need_tot)
        tot = cg_acc_new(g);

    cg_loop l;
    LLVMValueRef k = cg_loop_begin(g, &l, cg_i64(g, g->N));
    cval d = cg_cconj(g, tab_entry(g, tab, scalar, pattern(g, k, wires, s)));
    cval a = cg_amp_load(g, g->psi, k), lm = cg_amp_load(g, g->lam, k);
    if (n_ang) {
        val t = cg_mul(g, cg_k(g, 2.0),
                       cg_sub(g, cg_mul(g, lm.im, a.re), cg_mul(g, lm.re, a.im)));
        if (tot)
            cg_acc_add(g, tot, t);
        for (int w = 0; w < g->n; w++)
            if (m1[w])
                cg_acc_add(g, m1[w], cg_sel(g, cg_bit(g, k, wire_pos(g, w)), t, NULL));
        for (int j = 0; j < op->n_members; j++) {
            if (!m11[j])
                continue;
            if (mem[j].gate == IR_MULTIRZ) {
                cg_acc_add(g, m11[j], cg_sel(g, parity(g, k, state_mask(g, mem[j].mask)), t, NULL));
                continue;
            }
            LLVMValueRef bc = cg_bit(g, k, wire_pos(g, mem[j].wires[0]));
            LLVMValueRef bt = cg_bit(g, k, wire_pos(g, mem[j].wires[1]));
            cg_acc_add(g, m11[j], cg_sel(g, LLVMBuildAnd(g->b, bc, bt, ""), t, NULL));
            if (m10[j])
                cg_acc_add(g, m10[j],
                           cg_sel(g, LLVMBuildAnd(g->b, bc, LLVMBuildNot(g->b, bt, ""), ""),
                                  t, NULL));
        }
    }
    cg_amp_store(g, g->psi, k, cg_cmul(g, a, d));
    cg_amp_store(g, g->lam, k, cg_cmul(g, lm, d));
    cg_loop_end(g, &l);

    int o = 0;
    for (int j = 0; j < op->n_members; j++) {
        ir_gate gt = mem[j].gate;
        if (ir_gate_n_angles(gt) == 0)
            continue;
        val r = NULL;
        switch (gt) {
        case IR_RZ:
            r = cg_sub(g, cg_acc_get(g, m1[mem[j].wires[0]]),
                       cg_mul(g, cg_acc_get(g, tot), cg_k(g, 0.5)));
            break;
        case IR_PHASE: r = cg_acc_get(g, m1[mem[j].wires[0]]); break;
        case IR_CRZ:
            r = cg_mul(g, cg_sub(g, cg_acc_get(g, m11[j]), cg_acc_get(g, m10[j])),
                       cg_k(g, 0.5));
            break;
        case IR_CPHASE: r = cg_acc_get(g, m11[j]); break;
        case IR_MULTIRZ: /* like RZ, on the parity: d phase / da = parity - 1/2 */
            r = cg_sub(g, cg_acc_get(g, m11[j]), cg_mul(g, cg_acc_get(g, tot), cg_k(g, 0.5)));
            break;
        default: cg_fail(g, "code generator: %s in a diagonal group", ir_gate_name(gt));
        }
        dtheta[o++] = r;
    }
    free(m11);
    free(m10);
}

/* ---- observables ------------------------------------------------------------------------ */

static uint64_t state_mask(const cg *g, uint32_t wire_mask) {
    uint64_t m = 0;
    for (int w = 0; w < g->n; w++)
        if (wire_mask & (1u << w))
            m |= (uint64_t)1 << wire_pos(g, w);
    return m;
}

static int popcount64(uint64_t v) {
    int c = 0;
    for (; v; v &= v - 1)
        c++;
    return c;
}

/* i1: odd number of set bits of k & mask (the sign of a Z product on basis state k). */
static LLVMValueRef parity(cg *g, LLVMValueRef k, uint64_t mask) {
    if (popcount64(mask) == 1) {
        int pos = 0;
        while (!(mask >> pos & 1))
            pos++;
        return cg_bit(g, k, pos);
    }
    LLVMValueRef m = LLVMBuildAnd(g->b, k, cg_i64(g, (int64_t)mask), "");
    unsigned id = LLVMLookupIntrinsicID("llvm.ctpop", 10);
    LLVMValueRef fn = LLVMGetIntrinsicDeclaration(g->mod, id, &g->i64, 1);
    LLVMTypeRef fty = LLVMIntrinsicGetType(g->ctx, id, &g->i64, 1);
    LLVMValueRef c = LLVMBuildCall2(g->b, fty, fn, &m, 1, "");
    return cg_bit(g, c, 0);
}

static val signed_by(cg *g, LLVMValueRef k, uint64_t zmask, val v) {
    return zmask ? cg_sel(g, parity(g, k, zmask), cg_neg(g, v), v) : v;
}

/* In the amplitude layout, the lanes' part of an X mask (wires >= n) as a lane-bit mask. */
static int lane_xor_bits(const cg *g, uint32_t wire_mask) {
    uint32_t b = g->amp ? wire_mask >> g->n : 0;
    int x = 0;
    for (int j = 0; j < g->amp_L; j++)
        x |= (int)(b >> (g->amp_L - 1 - j) & 1) << j;
    return x;
}

/* v with lane l taken from lane l ^ x (x = 0: v itself): an X factor on lane wires pairs
 * amplitudes of the same vector index in other lanes. */
static cval lane_xor(cg *g, cval v, int x) {
    if (!x)
        return v;
    LLVMValueRef m[64];
    for (int l = 0; l < g->W; l++)
        m[l] = LLVMConstInt(g->i32, (unsigned)(l ^ x), 0);
    LLVMValueRef mask = LLVMConstVector(m, (unsigned)g->W);
    cval r = {v.re, v.im};
    if (r.re && cg_isvec(r.re))
        r.re = LLVMBuildShuffleVector(g->b, r.re, LLVMGetPoison(g->VT), mask, "");
    if (r.im && cg_isvec(r.im))
        r.im = LLVMBuildShuffleVector(g->b, r.im, LLVMGetPoison(g->VT), mask, "");
    return r;
}

/* v times the sign of the Z product on wires wire_zmask at basis state k: in the amplitude
 * layout (cg_amp.c) its factors on lane wires (>= n) give each lane its constant sign. */
static val z_signed(cg *g, LLVMValueRef k, uint32_t wire_zmask, val v) {
    v = signed_by(g, k, state_mask(g, wire_zmask), v);
    uint32_t lane_bits = g->amp ? wire_zmask >> g->n : 0; /* wire n + L - 1 - j: lane bit j */
    if (!lane_bits || !v)
        return v;
    LLVMValueRef sg[64];
    for (int l = 0; l < g->W; l++) {
        int par = 0;
        for (int j = 0; j < g->amp_L; j++)
            par ^= (lane_bits >> (g->amp_L - 1 - j) & 1) & (l >> j & 1);
        sg[l] = LLVMConstReal(g->T, par ? -1.0 : 1.0);
    }
    return cg_mul(g, v, LLVMConstVector(sg, (unsigned)g->W));
}

/* i^ny * (re + i im) for ny = number of Y factors */
static cval times_i_pow(cg *g, int ny, cval z) {
    cval r = z;
    switch (ny & 3) {
    case 1: r.re = cg_neg(g, z.im); r.im = z.re; break;
    case 2: r.re = cg_neg(g, z.re); r.im = cg_neg(g, z.im); break;
    case 3: r.re = z.im; r.im = cg_neg(g, z.re); break;
    }
    return r;
}

/* Terms are measured once per distinct Pauli product: the outputs of `probs` share their
 * Z products, and a variance's O shares its terms with other outputs. rep[t] is the first
 * term with the same masks (rep[t] == t for representatives). */
typedef struct { uint32_t x, z; int t; } term_ref;

static int cmp_term_ref(const void *pa, const void *pb) {
    const term_ref *a = pa, *b = pb;
    if (a->x != b->x) return a->x < b->x ? -1 : 1;
    if (a->z != b->z) return a->z < b->z ? -1 : 1;
    return a->t < b->t ? -1 : a->t > b->t;
}

static int *term_reps(cg *g) {
    const ir_circuit *c = g->c;
    int *rep = malloc(sizeof *rep * (size_t)(c->n_terms + 1));
    term_ref *r = malloc(sizeof *r * (size_t)(c->n_terms + 1));
    if (!rep || !r) {
        free(rep);
        free(r);
        cg_fail(g, "out of memory");
        return NULL;
    }
    for (int t = 0; t < c->n_terms; t++)
        r[t] = (term_ref){c->terms[t].x_mask, c->terms[t].z_mask, t};
    qsort(r, (size_t)c->n_terms, sizeof *r, cmp_term_ref);
    for (int i = 0; i < c->n_terms; i++)
        rep[r[i].t] = i > 0 && r[i].x == r[i - 1].x && r[i].z == r[i - 1].z ? rep[r[i - 1].t] : r[i].t;
    free(r);
    return rep;
}

/* Marks the terms of output o (both ranges of a variance, or only O's when lin_only). */
static void need_obs(const ir_circuit *c, int o, int lin_only, unsigned char *need) {
    const ir_observable *ob = &c->obs[o];
    if (ob->kind == IR_OBS_PROB) /* binned, not measured term by term */
        return;
    if (!lin_only)
        for (int t = ob->first_term; t < ob->first_term + ob->n_terms; t++)
            need[t] = 1;
    if (ob->kind == IR_OBS_VAR)
        for (int t = ob->first_lin; t < ob->first_lin + ob->n_lin; t++)
            need[t] = 1;
}

/* <psi|P|psi> for each needed term into tv[t]; a Pauli product maps |k> to
 * i^ny (-1)^{|k & z|} |k ^ x>. Pure Z/I terms share one sweep over |psi_k|^2; each term with
 * X or Y gets its own sweep. */
static void measure_terms(cg *g, LLVMValueRef st, const unsigned char *need, const int *rep,
                          val *tv) {
    const ir_circuit *c = g->c;
    LLVMValueRef *acc = calloc((size_t)c->n_terms + 1, sizeof *acc);
    unsigned char *sweep = calloc((size_t)c->n_terms + 1, 1); /* representatives to measure */
    if (!acc || !sweep) {
        free(acc);
        free(sweep);
        cg_fail(g, "out of memory");
        return;
    }
    for (int t = 0; t < c->n_terms; t++)
        if (need[t])
            sweep[rep[t]] = 1;
    int n_diag = 0;
    for (int t = 0; t < c->n_terms; t++)
        if (sweep[t] && !c->terms[t].x_mask) {
            acc[t] = cg_acc_new(g);
            n_diag++;
        }
    if (n_diag) {
        cg_loop l;
        LLVMValueRef k = cg_loop_begin(g, &l, cg_i64(g, g->N));
        cval a = cg_amp_load(g, st, k);
        val p = cg_add(g, cg_mul(g, a.re, a.re), cg_mul(g, a.im, a.im));
        for (int t = 0; t < c->n_terms; t++)
            if (acc[t])
                cg_acc_add(g, acc[t], z_signed(g, k, c->terms[t].z_mask, p));
        cg_loop_end(g, &l);
    }
    for (int t = 0; t < c->n_terms; t++) {
        const ir_pauli_term *pt = &c->terms[t];
        if (!sweep[t] || !pt->x_mask)
            continue;
        acc[t] = cg_acc_new(g);
        int ny = popcount64(pt->x_mask & pt->z_mask);
        cg_loop l;
        LLVMValueRef k = cg_loop_begin(g, &l, cg_i64(g, g->N));
        LLVMValueRef j = LLVMBuildXor(g->b, k, cg_i64(g, (int64_t)state_mask(g, pt->x_mask)), "");
        cval a = cg_amp_load(g, st, k);
        cval b = lane_xor(g, cg_amp_load(g, st, j), lane_xor_bits(g, pt->x_mask));
        cval z = {cg_add(g, cg_mul(g, b.re, a.re), cg_mul(g, b.im, a.im)),
                  cg_sub(g, cg_mul(g, b.re, a.im), cg_mul(g, b.im, a.re))}; /* conj(b) a */
        cg_acc_add(g, acc[t], z_signed(g, k, pt->z_mask,
                                        times_i_pow(g, ny, z).re));
        cg_loop_end(g, &l);
    }
    for (int t = 0; t < c->n_terms; t++)
        if (need[t])
            tv[t] = acc[rep[t]] ? cg_acc_get(g, acc[rep[t]]) : NULL;
    free(acc);
    free(sweep);
}

/* sum of coef * <P> over terms[first .. first + n) */
static val term_sum(cg *g, int first, int n, const val *tv) {
    val s = NULL;
    for (int t = first; t < first + n; t++)
        s = cg_add(g, s, cg_mul(g, tv[t], cg_k(g, g->c->terms[t].coef)));
    return s;
}

static int valid_ranges(cg *g) {
    const ir_circuit *c = g->c;
    for (int o = 0; o < c->n_obs; o++) {
        const ir_observable *ob = &c->obs[o];
        if (ob->kind == IR_OBS_VAR &&
            (ob->first_lin < 0 || ob->n_lin < 0 || ob->first_lin + ob->n_lin > c->n_terms)) {
            cg_fail(g, "observable %d: bad variance term range", o);
            return 0;
        }
    }
    return 1;
}

/* Per-term values of the needed terms, with their buffers (freed by the caller). */
static val *measure(cg *g, LLVMValueRef st, int lin_only, int **rep_out) {
    const ir_circuit *c = g->c;
    *rep_out = NULL;
    if (!valid_ranges(g))
        return NULL;
    unsigned char *need = calloc((size_t)c->n_terms + 1, 1);
    val *tv = calloc((size_t)c->n_terms + 1, sizeof *tv);
    int *rep = term_reps(g);
    if (!need || !tv || !rep) {
        free(need);
        free(tv);
        free(rep);
        cg_fail(g, "out of memory");
        return NULL;
    }
    for (int o = 0; o < c->n_obs; o++)
        if (!lin_only || c->obs[o].kind == IR_OBS_VAR)
            need_obs(c, o, lin_only, need);
    measure_terms(g, st, need, rep, tv);
    free(need);
    *rep_out = rep;
    return tv;
}

/* ---- probabilities: |psi_j|^2 binned by the bits of j on the listed wires ---------------- */

/* If output o starts a `probs` group (index 0), its size 2^m; 0 otherwise; -1 (reported)
 * if the group is malformed. */
static int prob_group(cg *g, int o) {
    const ir_circuit *c = g->c;
    const ir_observable *ob = &c->obs[o];
    if (ob->kind != IR_OBS_PROB || ob->index != 0)
        return 0;
    int m = ob->n_prob_wires, size = 1 << m;
    int ok = m >= 1 && m <= IR_MAX_PROB_WIRES && o + size <= c->n_obs;
    for (int i = 0; ok && i < m; i++)
        ok = ob->prob_wires[i] >= 0 && ob->prob_wires[i] < c->n_qubits;
    for (int k = 1; ok && k < size; k++) {
        const ir_observable *q = &c->obs[o + k];
        ok = q->kind == IR_OBS_PROB && q->index == k && q->n_prob_wires == m &&
             memcmp(q->prob_wires, ob->prob_wires, sizeof(int) * (size_t)m) == 0;
    }
    if (!ok) {
        cg_fail(g, "observable %d: malformed probability outputs", o);
        return -1;
    }
    return size;
}

/* The bin of amplitude index k: wire prob_wires[i] gives bit m-1-i. */
static LLVMValueRef prob_bin(cg *g, LLVMValueRef k, const ir_observable *ob) {
    int m = ob->n_prob_wires;
    LLVMValueRef bin = cg_i64(g, 0);
    for (int i = 0; i < m; i++) {
        LLVMValueRef b = LLVMBuildAnd(g->b, LLVMBuildLShr(g->b, k, cg_i64(g, g->n - 1 - ob->prob_wires[i]), ""),
                                      cg_i64(g, 1), "");
        if (m - 1 - i)
            b = LLVMBuildShl(g->b, b, cg_i64(g, m - 1 - i), "");
        bin = LLVMBuildOr(g->b, bin, b, "");
    }
    return bin;
}

/* out[o .. o + 2^m) of every `probs` group: one sweep per group into a stack array. */
static void prob_values(cg *g, LLVMValueRef st, val *out) {
    const ir_circuit *c = g->c;
    for (int o = 0; o < c->n_obs && !g->failed; o++) {
        int size = prob_group(g, o);
        if (size <= 0)
            continue;
        LLVMValueRef bins = cg_alloca(g, LLVMArrayType2(g->VT, (uint64_t)size));
        LLVMSetAlignment(bins, g->valign);
        for (int k = 0; k < size; k++)
            cg_vstore(g, bins, cg_i64(g, k), cg_splat(g, cg_k(g, 0.0)));
        cg_loop l;
        LLVMValueRef k = cg_loop_begin(g, &l, cg_i64(g, g->N));
        cval a = cg_amp_load(g, st, k);
        val p = cg_add(g, cg_mul(g, a.re, a.re), cg_mul(g, a.im, a.im));
        LLVMValueRef bin = prob_bin(g, k, &c->obs[o]);
        cg_vstore(g, bins, bin, cg_add(g, cg_vload(g, bins, bin), p));
        cg_loop_end(g, &l);
        for (int k2 = 0; k2 < size; k2++)
            out[o + k2] = cg_vload(g, bins, cg_i64(g, k2));
        o += size - 1;
    }
}

/* The outputs: <O> of each expectation, <O^2> - <O>^2 of each variance, the binned
 * probabilities of `probs`. */
void cg_observables(cg *g, LLVMValueRef st, val *out) {
    const ir_circuit *c = g->c;
    int *rep;
    val *tv = measure(g, st, 0, &rep);
    if (!tv)
        return;
    prob_values(g, st, out);
    for (int o = 0; o < c->n_obs; o++) {
        const ir_observable *ob = &c->obs[o];
        if (ob->kind == IR_OBS_PROB)
            continue;
        val s = term_sum(g, ob->first_term, ob->n_terms, tv);
        if (ob->kind == IR_OBS_VAR) {
            val m = term_sum(g, ob->first_lin, ob->n_lin, tv);
            s = cg_sub(g, s, cg_mul(g, m, m));
        }
        out[o] = s ? s : cg_splat(g, cg_k(g, 0.0));
    }
    free(tv);
    free(rep);
}

int cg_n_var(const cg *g) {
    int n = 0;
    for (int o = 0; o < g->c->n_obs; o++)
        n += g->c->obs[o].kind == IR_OBS_VAR;
    return n;
}

/* <O> of each variance output, in order, into means[0 .. cg_n_var) (vectors). */
void cg_var_means(cg *g, LLVMValueRef st, LLVMValueRef means) {
    const ir_circuit *c = g->c;
    int *rep;
    val *tv = measure(g, st, 1, &rep);
    if (!tv)
        return;
    int v = 0;
    for (int o = 0; o < c->n_obs; o++)
        if (c->obs[o].kind == IR_OBS_VAR)
            cg_vstore(g, means, cg_i64(g, v++),
                      term_sum(g, c->obs[o].first_lin, c->obs[o].n_lin, tv));
    free(tv);
    free(rep);
}

/* sum_o gout_o * out_o, linearised around the unshifted state for variances: their term is
 * gout (<O^2> - 2 m <O>) with m = <O> unshifted (means), whose derivative is gout dVar. */
val cg_weighted_outputs(cg *g, LLVMValueRef st, LLVMValueRef means) {
    const ir_circuit *c = g->c;
    int *rep;
    val *tv = measure(g, st, 0, &rep);
    if (!tv)
        return NULL;
    val L = NULL;
    int v = 0;
    val *pv = calloc((size_t)c->n_obs + 1, sizeof *pv);
    if (!pv) {
        cg_fail(g, "out of memory");
        free(tv);
        free(rep);
        return NULL;
    }
    prob_values(g, st, pv);
    for (int o = 0; o < c->n_obs; o++) {
        const ir_observable *ob = &c->obs[o];
        val s = ob->kind == IR_OBS_PROB ? pv[o] : term_sum(g, ob->first_term, ob->n_terms, tv);
        if (ob->kind == IR_OBS_VAR) {
            val m = cg_vload(g, means, cg_i64(g, v++));
            s = cg_sub(g, s, cg_mul(g, cg_mul(g, cg_k(g, 2.0), m),
                                    term_sum(g, ob->first_lin, ob->n_lin, tv)));
        }
        L = cg_add(g, L, cg_mul(g, cg_vload(g, g->gout, cg_i64(g, o)), s));
    }
    free(pv);
    free(tv);
    free(rep);
    return L;
}

/* lambda = sum_t w_t P_t psi with w_t = dL/d<P_t>: gout_o coef for expectations and O^2,
 * -2 gout_o <O> coef for the O of a variance (gout being this group's output gradients,
 * zero on padding lanes, which keeps their gradient contributions exactly zero). Equal
 * products are weighted once. */
void cg_seed_lambda(cg *g) {
    const ir_circuit *c = g->c;
    val *w = calloc((size_t)c->n_terms + 1, sizeof *w);
    int *rep = NULL;
    val *tv = NULL;
    if (!w) {
        cg_fail(g, "out of memory");
        return;
    }
    if (cg_n_var(g) > 0) {
        tv = measure(g, g->psi, 1, &rep);
        free(rep);
        if (!tv) {
            free(w);
            return;
        }
    }
    rep = term_reps(g);
    if (!rep) {
        free(w);
        free(tv);
        return;
    }
    for (int o = 0; o < c->n_obs; o++) {
        const ir_observable *ob = &c->obs[o];
        if (ob->kind == IR_OBS_PROB)
            continue; /* below: gout of the amplitude's bin */
        val go = cg_vload(g, g->gout, cg_i64(g, o));
        for (int t = ob->first_term; t < ob->first_term + ob->n_terms; t++)
            w[rep[t]] = cg_add(g, w[rep[t]], cg_mul(g, go, cg_k(g, c->terms[t].coef)));
        if (ob->kind != IR_OBS_VAR)
            continue;
        val m = term_sum(g, ob->first_lin, ob->n_lin, tv);
        val gm = cg_mul(g, cg_mul(g, go, cg_k(g, -2.0)), m);
        for (int t = ob->first_lin; t < ob->first_lin + ob->n_lin; t++)
            w[rep[t]] = cg_add(g, w[rep[t]], cg_mul(g, gm, cg_k(g, c->terms[t].coef)));
    }
    free(tv);
    cg_loop l;
    LLVMValueRef k = cg_loop_begin(g, &l, cg_i64(g, g->N));
    val dk = NULL;
    for (int t = 0; t < c->n_terms; t++)
        if (!c->terms[t].x_mask && w[t])
            dk = cg_add(g, dk, z_signed(g, k, c->terms[t].z_mask, w[t]));
    /* d P(b) / d psi_k: the projector's diagonal, 1 where k is in bin b */
    for (int o = 0; o < c->n_obs && !g->failed; o++) {
        int size = prob_group(g, o);
        if (size <= 0)
            continue;
        LLVMValueRef bin = LLVMBuildAdd(g->b, prob_bin(g, k, &c->obs[o]), cg_i64(g, o), "");
        dk = cg_add(g, dk, cg_vload(g, g->gout, bin));
        o += size - 1;
    }
    cval a = cg_amp_load(g, g->psi, k);
    cval r = {cg_mul(g, dk, a.re), cg_mul(g, dk, a.im)};
    cg_amp_store(g, g->lam, k, r);
    cg_loop_end(g, &l);
    for (int t = 0; t < c->n_terms; t++) {
        const ir_pauli_term *pt = &c->terms[t];
        if (!pt->x_mask || !w[t])
            continue;
        int ny = popcount64(pt->x_mask & pt->z_mask);
        cg_loop l2;
        LLVMValueRef k2 = cg_loop_begin(g, &l2, cg_i64(g, g->N));
        LLVMValueRef j = LLVMBuildXor(g->b, k2, cg_i64(g, (int64_t)state_mask(g, pt->x_mask)), "");
        cval a2 = times_i_pow(g, ny, cg_amp_load(g, g->psi, k2));
        val ws = z_signed(g, k2, pt->z_mask, w[t]);
        cval v = {cg_mul(g, ws, a2.re), cg_mul(g, ws, a2.im)};
        v = lane_xor(g, v, lane_xor_bits(g, pt->x_mask)); /* lane l adds to lane l ^ x */
        cg_amp_store(g, g->lam, j, cg_cadd(g, cg_amp_load(g, g->lam, j), v));
        cg_loop_end(g, &l2);
    }
    free(w);
    free(rep);
}
