/* Code generator: wire blocks (IR_FUSED_BLOCK, passes.h rule 10). A block's members are
 * one-qubit gates and controlled two-qubit primitives on at most IR_BLOCK_MAX_WIRES wires.
 * One counted loop runs over the 2^(n-k) blocks of the k wires; each iteration loads the
 * 2^k amplitudes of its block (two <W x T> vectors each), applies every member to them in
 * registers, in order, and stores them once. The arithmetic is the members' own (the same
 * zero-aware 2x2 products as one sweep per member); what the block saves is k - 1 of the
 * k trips of the state through the memory hierarchy, which bind once the state leaves the
 * cache (docs/performance.md, "Large registers").
 *
 * The backward sweep does the adjoint step of every member inside the block, last to first:
 * psi <- M^dagger psi (the state before the member), G_m += lambda_r conj(psi_c) over the
 * member's pairs (lambda of after the member), lambda <- M^dagger lambda; then, after the
 * loop, dL/da = 2 Re sum_rc (dM/da)_rc conj(G_rc) for each angle of the member, chained
 * through its expression. The sum over pairs is a sum over blocks of sums within a block,
 * so the result is the one of separate sweeps, up to the order of floating-point additions.
 *
 * Member matrices are built at the start of each kernel call (one lane group): scalar code
 * for angles of parameters and constants, vectors for angles that use inputs. A block op is
 * never cached by _pre nor shared between ops (cg_fn.c, cg_share.c): a few dozen flops per
 * call against a sweep of 2^n amplitudes. */
#include <stdlib.h>

#include "cg_internal.h"

typedef struct {
    int t, c;     /* local bit of the target, of the control (-1: none) */
    cmat u;       /* the target's 2x2 (splatted) */
    int first, n; /* its angle occurrences: g->occ[first .. first + n) */
} blk_member;

typedef struct {
    int k;                         /* wires */
    int pos[IR_BLOCK_MAX_WIRES];   /* their state bits, ascending */
    int K;                         /* members */
    blk_member *m;
} blk;

static int local_bit(const blk *b, int pos) {
    for (int i = 0; i < b->k; i++)
        if (b->pos[i] == pos)
            return i;
    return -1;
}

/* The block's wires and members with their matrices (want_vec: splatted for the sweep). */
static int blk_open(cg *g, int oi, blk *b) {
    const ir_op *op = &g->c->ops[oi];
    const cg_opinfo *in = &g->ops[oi];
    uint32_t mask = ir_op_wire_mask(g->c, op);
    b->k = 0;
    for (int p = 0; p < g->n; p++) /* bit p is wire n-1-p */
        if (mask >> (g->n - 1 - p) & 1) {
            if (b->k == IR_BLOCK_MAX_WIRES) {
                cg_fail(g, "code generator: op %d (fusedblock) has more than %d wires", oi,
                        IR_BLOCK_MAX_WIRES);
                return -1;
            }
            b->pos[b->k++] = p;
        }
    b->K = op->n_members;
    b->m = calloc((size_t)b->K + 1, sizeof *b->m);
    if (!b->m) {
        cg_fail(g, "out of memory");
        return -1;
    }
    const ir_op *mem = &g->c->members[op->first_member];
    int o = in->first_occ;
    for (int j = 0; j < b->K; j++) {
        blk_member *bm = &b->m[j];
        int two = ir_gate_arity(mem[j].gate) == 2;
        bm->t = local_bit(b, g->n - 1 - mem[j].wires[two ? 1 : 0]);
        bm->c = two ? local_bit(b, g->n - 1 - mem[j].wires[0]) : -1;
        val ang[3] = {0};
        bm->first = o;
        /* setup (cg.c) lists a fused op's occurrences member by member, angles in order */
        while (o < in->first_occ + in->n_occ && g->occ[o].prim == &mem[j]) {
            ang[g->occ[o].k] = cg_angle(g, &g->occ[o]);
            o++;
        }
        bm->n = o - bm->first;
        cg_gate_mat(g, mem[j].gate, ang, -1, &bm->u);
    }
    return 0;
}

/* The local index of the j-th pair (j over 2^(k-1), or 2^(k-2) with a control) of a member
 * is enumerated directly: every j in [0, 2^k) with the target bit 0 and the control bit 1. */
static int pair_lo(const blk_member *m, int j) {
    return !(j >> m->t & 1) && (m->c < 0 || (j >> m->c & 1));
}

static cval row(cg *g, const cmat *u, int r, cval x0, cval x1) {
    return cg_cadd(g, cg_cmul(g, u->m[2 * r], x0), cg_cmul(g, u->m[2 * r + 1], x1));
}

static void apply(cg *g, const cmat *u, const blk_member *m, int dim, cval *a) {
    for (int j = 0; j < dim; j++) {
        if (!pair_lo(m, j))
            continue;
        int j1 = j | 1 << m->t;
        cval x0 = a[j], x1 = a[j1];
        a[j] = row(g, u, 0, x0, x1);
        a[j1] = row(g, u, 1, x0, x1);
    }
}

/* Loop over the blocks: returns the amplitude index of local index 0 of the block. */
static LLVMValueRef blk_loop(cg *g, const blk *b, cg_loop *l) {
    LLVMValueRef i = cg_loop_begin(g, l, cg_i64(g, g->N >> b->k));
    for (int w = 0; w < b->k; w++) /* ascending: each insertion leaves the lower ones */
        i = cg_insert0(g, i, b->pos[w]);
    return i;
}

static LLVMValueRef blk_index(cg *g, const blk *b, LLVMValueRef base, int j) {
    int64_t off = 0;
    for (int w = 0; w < b->k; w++)
        if (j >> w & 1)
            off |= (int64_t)1 << b->pos[w];
    return off ? LLVMBuildOr(g->b, base, cg_i64(g, off), "") : base;
}

void cg_block_fwd(cg *g, int oi) {
    blk b;
    if (blk_open(g, oi, &b))
        return;
    int dim = 1 << b.k;
    cval a[1 << IR_BLOCK_MAX_WIRES];
    for (int j = 0; j < b.K; j++) /* splat once, outside the loop */
        b.m[j].u = cg_matsplat(g, &b.m[j].u);
    cg_loop l;
    LLVMValueRef base = blk_loop(g, &b, &l);
    for (int j = 0; j < dim; j++)
        a[j] = cg_amp_load(g, g->psi, blk_index(g, &b, base, j));
    for (int j = 0; j < b.K; j++)
        apply(g, &b.m[j].u, &b.m[j], dim, a);
    for (int j = 0; j < dim; j++)
        cg_amp_store(g, g->psi, blk_index(g, &b, base, j), a[j]);
    cg_loop_end(g, &l);
    free(b.m);
}

void cg_block_bwd(cg *g, int oi) {
    blk b;
    if (blk_open(g, oi, &b))
        return;
    int dim = 1 << b.k;
    cmat *ud = calloc((size_t)b.K + 1, sizeof *ud), *Z = NULL;
    LLVMValueRef (*acc)[8] = calloc((size_t)b.K + 1, sizeof *acc);
    int (*need)[8] = calloc((size_t)b.K + 1, sizeof *need);
    const cg_opinfo *in = &g->ops[oi];
    Z = calloc((size_t)in->n_occ + 1, sizeof *Z);
    if (!ud || !acc || !need || !Z) {
        cg_fail(g, "out of memory");
        goto done;
    }
    /* dM/da per angle, before the loop; G's components that some dM/da needs */
    for (int j = 0; j < b.K; j++) {
        const blk_member *m = &b.m[j];
        for (int i = m->first; i < m->first + m->n; i++) {
            const cg_occ *o = &g->occ[i];
            val ang[3] = {0};
            for (int q = m->first; q < m->first + m->n; q++)
                ang[g->occ[q].k] = cg_angle(g, &g->occ[q]);
            cg_gate_mat(g, o->prim->gate, ang, o->k, &Z[i - in->first_occ]);
            for (int e = 0; e < 4; e++) {
                need[j][2 * e] |= Z[i - in->first_occ].m[e].re != NULL;
                need[j][2 * e + 1] |= Z[i - in->first_occ].m[e].im != NULL;
            }
        }
        cmat d = cg_dagger(g, &m->u);
        ud[j] = cg_matsplat(g, &d);
        for (int c = 0; c < 8; c++)
            acc[j][c] = need[j][c] ? cg_acc_new(g) : NULL;
    }
    cval a[1 << IR_BLOCK_MAX_WIRES], lm[1 << IR_BLOCK_MAX_WIRES];
    cg_loop l;
    LLVMValueRef base = blk_loop(g, &b, &l);
    for (int j = 0; j < dim; j++) {
        LLVMValueRef k = blk_index(g, &b, base, j);
        a[j] = cg_amp_load(g, g->psi, k);
        lm[j] = cg_amp_load(g, g->lam, k);
    }
    for (int j = b.K - 1; j >= 0; j--) {
        const blk_member *m = &b.m[j];
        apply(g, &ud[j], m, dim, a); /* psi before member j */
        for (int p = 0; p < dim && m->n > 0; p++) {
            if (!pair_lo(m, p))
                continue;
            int idx[2] = {p, p | 1 << m->t};
            for (int r = 0; r < 2; r++)
                for (int c = 0; c < 2; c++) {
                    int e = 2 * r + c;
                    cval lr = lm[idx[r]], bc = a[idx[c]];
                    if (need[j][2 * e]) /* Re(lam_r conj(b_c)) */
                        cg_acc_add(g, acc[j][2 * e], cg_add(g, cg_mul(g, lr.re, bc.re),
                                                            cg_mul(g, lr.im, bc.im)));
                    if (need[j][2 * e + 1]) /* Im(lam_r conj(b_c)) */
                        cg_acc_add(g, acc[j][2 * e + 1], cg_sub(g, cg_mul(g, lr.im, bc.re),
                                                                cg_mul(g, lr.re, bc.im)));
                }
        }
        apply(g, &ud[j], m, dim, lm); /* lambda before member j */
    }
    for (int j = 0; j < dim; j++) {
        LLVMValueRef k = blk_index(g, &b, base, j);
        cg_amp_store(g, g->psi, k, a[j]);
        cg_amp_store(g, g->lam, k, lm[j]);
    }
    cg_loop_end(g, &l);
    for (int j = 0; j < b.K; j++) { /* 2 Re sum_rc Z_rc conj(G_rc), chained per angle */
        val G[8];
        for (int c = 0; c < 8; c++)
            G[c] = need[j][c] ? cg_acc_get(g, acc[j][c]) : NULL;
        for (int i = b.m[j].first; i < b.m[j].first + b.m[j].n; i++) {
            const cmat *z = &Z[i - in->first_occ];
            val s = NULL;
            for (int e = 0; e < 4; e++)
                s = cg_add(g, s, cg_add(g, cg_mul(g, z->m[e].re, G[2 * e]),
                                        cg_mul(g, z->m[e].im, G[2 * e + 1])));
            const cg_occ *o = &g->occ[i];
            cg_chain(g, o->prim->angle[o->k], cg_splat(g, cg_mul(g, s, cg_k(g, 2.0))));
        }
    }
done:
    free(ud);
    free(acc);
    free(need);
    free(Z);
    free(b.m);
}
