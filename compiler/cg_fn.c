/* Code generator, part 4 of 5: the module's functions (part 5, cg_share.c, shares kernels
 * between ops). Every op gets small internal kernel functions (forward, backward, shifted
 * simulation) that sweep one lane group's state; the entry points <prefix>_forward / <prefix>_vjp loop over lane groups and call them in order.
 * One function per op keeps LLVM's optimisation time linear in the circuit size (a single
 * function with hundreds of loops made ScalarEvolution quadratic) and keeps kernels of
 * identical ops mergeable. Shared matrices are computed once per call by <prefix>_pre. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cg_internal.h"

/* ---- matrices of an op, computed or from the shared table ------------------------------- */

static size_t shared_alloc(cg *g, size_t n) {
    size_t s = g->n_shared;
    g->n_shared += n;
    if (g->n_shared > g->max_shared)
        g->max_shared = g->n_shared;
    return s;
}

static void cache_store(cg *g, const cmat *m, cmat_desc *d) {
    for (int i = 0; i < 8; i++) {
        val v = i & 1 ? m->m[i / 2].im : m->m[i / 2].re;
        ccomp *cc = &d->c[i];
        LLVMBool loses;
        if (!v)
            cc->kind = CC_ZERO;
        else if (LLVMIsAConstantFP(v)) {
            cc->kind = CC_CONST;
            cc->k = LLVMConstRealGetDouble(v, &loses);
        } else if (g->pre_loop_n) { /* one of the ops of a loop in _pre */
            cc->kind = CC_SLOT;
            cc->slot = g->pre_loop_base + g->pre_loop_rel++ * (size_t)g->pre_loop_n;
            cg_sstore(g, g->shtab,
                      LLVMBuildAdd(g->b, cg_i64(g, (int64_t)cc->slot), g->pre_loop_i, ""), v);
        } else {
            cc->kind = CC_SLOT;
            cc->slot = shared_alloc(g, 1);
            cg_sstore(g, g->shtab, cg_i64(g, (int64_t)cc->slot), v);
        }
    }
}

static cmat cache_load(cg *g, const cmat_desc *d) {
    cmat m;
    for (int i = 0; i < 8; i++) {
        const ccomp *cc = &d->c[i];
        val v = cc->kind == CC_ZERO ? NULL
              : cc->kind == CC_CONST ? cg_k(g, cc->k)
              : cg_sload(g, g->shtab, cg_i64(g, (int64_t)cc->slot));
        if (i & 1)
            m.m[i / 2].im = v;
        else
            m.m[i / 2].re = v;
    }
    return m;
}

/* U (the matrix applied to the target; a controlled gate's target block) and, if want_z, for
 * each angle a of the op the gradient matrix Z_a = dU/da. For a FUSED_1Q of members
 * M_K ... M_1, Z for an angle of member j is A_j dM_j B_j with B_j = M_{j-1} ... M_1 and
 * A_j = M_K ... M_{j+1}: small 2x2 products, no extra sweeps over the state. */
static void compute_mats(cg *g, int oi, int want_z, cmat *U, cmat *Z) {
    const ir_op *op = &g->c->ops[oi];
    const cg_opinfo *in = &g->ops[oi];
    if (op->gate != IR_FUSED_1Q) {
        val ang[3] = {0};
        for (int i = 0; i < in->n_occ; i++)
            ang[g->occ[in->first_occ + i].k] = cg_angle(g, &g->occ[in->first_occ + i]);
        cg_gate_mat(g, op->gate, ang, -1, U);
        for (int i = 0; want_z && i < in->n_occ; i++)
            cg_gate_mat(g, op->gate, ang, g->occ[in->first_occ + i].k, &Z[i]);
        return;
    }
    int K = op->n_members;
    const ir_op *mem = &g->c->members[op->first_member];
    cmat *M = malloc(sizeof *M * (size_t)K), *B = malloc(sizeof *B * (size_t)(K + 1));
    val (*ang)[3] = calloc((size_t)K, sizeof *ang);
    if (!M || !B || !ang) {
        cg_fail(g, "out of memory");
        free(M); free(B); free(ang);
        *U = cg_ident(g);
        return;
    }
    for (int i = 0; i < in->n_occ; i++) {
        const cg_occ *o = &g->occ[in->first_occ + i];
        ang[o->prim - mem][o->k] = cg_angle(g, o);
    }
    B[0] = cg_ident(g);
    for (int j = 0; j < K; j++) {
        cg_gate_mat(g, mem[j].gate, ang[j], -1, &M[j]);
        B[j + 1] = cg_matmul(g, &M[j], &B[j]);
    }
    *U = B[K];
    if (want_z) {
        cmat A = cg_ident(g);
        for (int j = K - 1; j >= 0; j--) {
            for (int i = 0; i < in->n_occ; i++) {
                const cg_occ *o = &g->occ[in->first_occ + i];
                if (o->prim != &mem[j])
                    continue;
                cmat dm, t;
                cg_gate_mat(g, mem[j].gate, ang[j], o->k, &dm);
                t = cg_matmul(g, &dm, &B[j]);
                Z[i] = cg_matmul(g, &A, &t);
            }
            A = cg_matmul(g, &A, &M[j]);
        }
    }
    free(M);
    free(B);
    free(ang);
}

static void get_mats(cg *g, int oi, int want_z, cmat *U, cmat *Z) {
    cg_opinfo *in = &g->ops[oi];
    if (g->use_cache && in->cached) {
        *U = cache_load(g, &in->U);
        for (int i = 0; want_z && i < in->n_occ; i++)
            Z[i] = cache_load(g, &in->Z[i]);
        return;
    }
    compute_mats(g, oi, want_z, U, Z);
}

/* FUSED_2Q (members M_1 ... M_K within the pair, U = M_K ... M_1): the members' matrices
 * into M (K of them, NULL: not wanted) and their product U. Members of constants only are
 * constant matrices (cg_pair_mat), so a block of fixed gates is one constant matrix folded
 * into its kernel; the zero-aware products skip the structural zeros of the members (a
 * one-qubit gate embedded in a 4x4 has 8 nonzero entries). */
static void member_mats4(cg *g, int oi, cmat4 *M, cmat4 *U) {
    const ir_op *op = &g->c->ops[oi];
    const cg_opinfo *in = &g->ops[oi];
    int K = op->n_members;
    const ir_op *mem = &g->c->members[op->first_member];
    val (*ang)[3] = calloc((size_t)K, sizeof *ang);
    if (!ang) {
        cg_fail(g, "out of memory");
        *U = cg_ident4(g);
        return;
    }
    for (int i = 0; i < in->n_occ; i++) {
        const cg_occ *o = &g->occ[in->first_occ + i];
        ang[o->prim - mem][o->k] = cg_angle(g, o);
    }
    for (int j = 0; j < K; j++) {
        cmat4 m;
        cg_pair_mat(g, &mem[j], op->wires[0], op->wires[1], ang[j], -1, &m);
        if (M)
            M[j] = m;
        *U = j == 0 ? m : cg_matmul4(g, &m, U);
    }
    free(ang);
}

static void compute_mats4(cg *g, int oi, cmat4 *U) {
    member_mats4(g, oi, NULL, U);
}

/* A 4x4 as four cmat descs of four entries each (the shared table's unit is a cmat). */
static void cache_store4(cg *g, const cmat4 *m, cmat_desc *d) {
    for (int k = 0; k < 4; k++) {
        cmat part;
        memcpy(part.m, &m->m[4 * k], sizeof part.m);
        cache_store(g, &part, &d[k]);
    }
}

static cmat4 cache_load4(cg *g, const cmat_desc *d) {
    cmat4 m;
    for (int k = 0; k < 4; k++) {
        cmat part = cache_load(g, &d[k]);
        memcpy(&m.m[4 * k], part.m, sizeof part.m);
    }
    return m;
}

static void get_mats4(cg *g, int oi, cmat4 *U) {
    cg_opinfo *in = &g->ops[oi];
    if (g->use_cache && in->cached)
        *U = cache_load4(g, in->U4);
    else
        compute_mats4(g, oi, U);
}

/* dL/da for every angle of a FUSED_2Q from G (G_rc = sum lambda_r conj(psi_c), lambda after
 * the op, psi before): with Gd = G^dagger, dU/da = A_j dM_j B_j for an angle of member j
 * (B_j = M_{j-1} ... M_1, A_j = M_K ... M_{j+1}), so
 *   <lambda| dU/da |psi> = tr(A_j dM_j B_j Gd) = tr(dM_j H_j),  H_j = B_j Gd A_j,
 * and H_1 = Gd U M_1^dagger, H_{j+1} = M_j H_j M_{j+1}^dagger (the members are unitary):
 * two products with a sparse member per member and a sparse contraction per angle, instead
 * of a dense 4x4 Z per angle (which made the code, and the compile time, 25 times larger
 * on a brick-wall ansatz). */
static void pair_grads(cg *g, int oi, const cmat4 *U, const val G[32], val *dth) {
    const ir_op *op = &g->c->ops[oi];
    const cg_opinfo *in = &g->ops[oi];
    int K = op->n_members;
    const ir_op *mem = &g->c->members[op->first_member];
    cmat4 *M = malloc(sizeof *M * (size_t)K), tmp;
    val (*ang)[3] = calloc((size_t)K, sizeof *ang);
    if (!M || !ang) {
        cg_fail(g, "out of memory");
        free(M);
        free(ang);
        return;
    }
    member_mats4(g, oi, M, &tmp);
    for (int i = 0; i < in->n_occ; i++) {
        const cg_occ *o = &g->occ[in->first_occ + i];
        ang[o->prim - mem][o->k] = cg_angle(g, o);
    }
    cmat4 Gd, H, Md;
    for (int r = 0; r < 4; r++)
        for (int c = 0; c < 4; c++) { /* Gd_cr = conj(G_rc) */
            int e = 4 * r + c;
            Gd.m[4 * c + r].re = G[2 * e];
            Gd.m[4 * c + r].im = cg_neg(g, G[2 * e + 1]);
        }
    Md = cg_dagger4(g, &M[0]);
    H = cg_matmul4(g, &Gd, U);
    H = cg_matmul4(g, &H, &Md);
    for (int j = 0; j < K; j++) {
        for (int i = 0; i < in->n_occ; i++) { /* 2 Re tr(dM H) */
            const cg_occ *o = &g->occ[in->first_occ + i];
            if (o->prim != &mem[j])
                continue;
            cmat4 dm;
            cg_pair_mat(g, &mem[j], op->wires[0], op->wires[1], ang[j], o->k, &dm);
            val s = NULL;
            for (int r = 0; r < 4; r++)
                for (int c = 0; c < 4; c++) {
                    cval d = dm.m[4 * r + c], h = H.m[4 * c + r];
                    s = cg_add(g, s, cg_sub(g, cg_mul(g, d.re, h.re), cg_mul(g, d.im, h.im)));
                }
            dth[i] = cg_mul(g, s, cg_k(g, 2.0));
        }
        if (j + 1 < K) {
            Md = cg_dagger4(g, &M[j + 1]);
            H = cg_matmul4(g, &M[j], &H);
            H = cg_matmul4(g, &H, &Md);
        }
    }
    free(M);
    free(ang);
}

/* I and empty fused groups get no kernel. */
int cg_op_is_noop(const ir_op *op) {
    return op->gate == IR_I || (ir_gate_is_fused(op->gate) && op->n_members == 0);
}

static void op_wires(const ir_op *op, int *target, int *control) {
    if (op->gate != IR_FUSED_1Q && ir_gate_arity(op->gate) == 2) {
        *control = op->wires[0];
        *target = op->wires[1];
    } else {
        *control = -1;
        *target = op->wires[0];
    }
}

static LLVMValueRef diag_tab(cg *g, int oi, int *scalar) {
    cg_opinfo *in = &g->ops[oi];
    *scalar = in->shared;
    if (g->use_cache && in->cached) { /* relative to g->shtab: also in a shared kernel */
        LLVMValueRef idx = cg_i64(g, (int64_t)in->table);
        return LLVMBuildGEP2(g->b, g->T, g->shtab, &idx, 1, "");
    }
    LLVMValueRef tab = cg_region(g, g->off_diag);
    if (!(g->use_cache && in->part)) {
        cg_diag_table(g, &g->c->ops[oi], tab, *scalar, CG_DIAG_ALL);
        return tab;
    }
    /* the per-lane members' table times the shared members' one, cached by _pre: the
     * kernel evaluates only the encodings' phases, not the weights' sines and cosines */
    int wires[IR_MAX_QUBITS], s = cg_diag_wires(g, &g->c->ops[oi], wires);
    cg_diag_table(g, &g->c->ops[oi], tab, 0, CG_DIAG_LANE);
    LLVMValueRef sh = cg_region(g, g->off_shared + in->table);
    cg_loop l;
    LLVMValueRef p = cg_loop_begin(g, &l, cg_i64(g, (int64_t)1 << s));
    LLVMValueRef p2 = LLVMBuildShl(g->b, p, cg_i64(g, 1), "");
    LLVMValueRef p21 = LLVMBuildOr(g->b, p2, cg_i64(g, 1), "");
    cval d = {cg_vload(g, tab, p2), cg_vload(g, tab, p21)};
    cval e = {cg_splat(g, cg_sload(g, sh, p2)), cg_splat(g, cg_sload(g, sh, p21))};
    cval r = cg_cmul(g, d, e);
    cg_vstore(g, tab, p2, r.re);
    cg_vstore(g, tab, p21, r.im);
    cg_loop_end(g, &l);
    return tab;
}

void cg_fwd_op(cg *g, int oi) {
    const ir_op *op = &g->c->ops[oi];
    cg_memo_reset(g);
    if (cg_op_is_noop(op))
        return;
    if (op->gate == IR_SWAP && op->n_members > 0) { /* merged lane swaps (cg_amp.c) */
        cg_lane_swaps(g, g->psi, &g->c->members[op->first_member], op->n_members);
        return;
    }
    if (op->gate == IR_SWAP) {
        cg_swap(g, g->psi, op->wires[0], op->wires[1]);
        return;
    }
    if (op->gate == IR_FUSED_DIAG) {
        int scalar;
        LLVMValueRef tab = diag_tab(g, oi, &scalar);
        cg_diag_apply(g, g->psi, op, tab, scalar);
        return;
    }
    if (op->gate == IR_FUSED_BLOCK) { /* cg_block.c */
        cg_block_fwd(g, oi);
        return;
    }
    if (op->gate == IR_FUSED_2Q) {
        cmat4 U;
        get_mats4(g, oi, &U);
        cg_apply_2q(g, g->psi, op->wires[0], op->wires[1], &U);
        return;
    }
    cmat U;
    int t, ctl;
    get_mats(g, oi, 0, &U, NULL);
    op_wires(op, &t, &ctl);
    cg_apply_1q(g, g->psi, t, ctl, &U);
}

void cg_bwd_op(cg *g, int oi) {
    const ir_op *op = &g->c->ops[oi];
    const cg_opinfo *in = &g->ops[oi];
    cg_memo_reset(g);
    if (cg_op_is_noop(op))
        return;
    if (op->gate == IR_SWAP && op->n_members > 0) { /* a permutation: its own inverse */
        cg_lane_swaps(g, g->psi, &g->c->members[op->first_member], op->n_members);
        cg_lane_swaps(g, g->lam, &g->c->members[op->first_member], op->n_members);
        return;
    }
    if (op->gate == IR_SWAP) {
        cg_swap(g, g->psi, op->wires[0], op->wires[1]);
        cg_swap(g, g->lam, op->wires[0], op->wires[1]);
        return;
    }
    if (op->gate == IR_FUSED_BLOCK) { /* cg_block.c: chains its own gradients */
        cg_block_bwd(g, oi);
        return;
    }
    val *dth = calloc((size_t)in->n_occ + 1, sizeof *dth);
    cmat *Z = calloc((size_t)in->n_occ + 1, sizeof *Z);
    if (!dth || !Z) {
        cg_fail(g, "out of memory");
        free(dth);
        free(Z);
        return;
    }
    if (op->gate == IR_FUSED_DIAG) {
        int scalar;
        LLVMValueRef tab = diag_tab(g, oi, &scalar);
        cg_diag_back(g, op, tab, scalar, dth);
    } else if (op->gate == IR_FUSED_2Q) {
        cmat4 U, ud;
        int need[32];
        val G[32];
        get_mats4(g, oi, &U);
        ud = cg_dagger4(g, &U);
        for (int c = 0; c < 32; c++)
            need[c] = in->n_occ > 0;
        cg_back_2q(g, op->wires[0], op->wires[1], &ud, need, G);
        if (in->n_occ > 0)
            pair_grads(g, oi, &U, G, dth);
    } else {
        cmat U, ud;
        int t, ctl, need[8] = {0};
        val G[8];
        get_mats(g, oi, 1, &U, Z);
        ud = cg_dagger(g, &U);
        for (int i = 0; i < in->n_occ; i++)
            for (int e = 0; e < 4; e++) {
                need[2 * e] |= Z[i].m[e].re != NULL;
                need[2 * e + 1] |= Z[i].m[e].im != NULL;
            }
        op_wires(op, &t, &ctl);
        cg_back_1q(g, t, ctl, &ud, need, G);
        for (int i = 0; i < in->n_occ; i++) { /* 2 Re sum_rc Z_rc conj(G_rc) */
            val s = NULL;
            for (int e = 0; e < 4; e++)
                s = cg_add(g, s, cg_add(g, cg_mul(g, Z[i].m[e].re, G[2 * e]),
                                        cg_mul(g, Z[i].m[e].im, G[2 * e + 1])));
            dth[i] = cg_mul(g, s, cg_k(g, 2.0));
        }
    }
    for (int i = 0; i < in->n_occ; i++) {
        const cg_occ *o = &g->occ[in->first_occ + i];
        if (g->dout) /* a shared kernel: the caller chains through this op's expressions */
            cg_vstore(g, g->dout, cg_i64(g, i), dth[i]);
        else
            cg_chain(g, o->prim->angle[o->k], cg_splat(g, dth[i]));
    }
    free(dth);
    free(Z);
}

/* ---- functions ------------------------------------------------------------------------ */

static void add_attr(cg *g, LLVMValueRef fn, unsigned idx, const char *name) {
    unsigned kind = LLVMGetEnumAttributeKindForName(name, strlen(name));
    LLVMAddAttributeAtIndex(fn, idx, LLVMCreateEnumAttribute(g->ctx, kind, 0));
}

static void add_str_attr(cg *g, LLVMValueRef fn, const char *k, const char *v) {
    LLVMAddAttributeAtIndex(fn, LLVMAttributeFunctionIndex,
                            LLVMCreateStringAttribute(g->ctx, k, (unsigned)strlen(k), v,
                                                      (unsigned)strlen(v)));
}

LLVMValueRef cg_new_fn(cg *g, const char *name, LLVMTypeRef fty, const cg_fn_target *ft,
                           int internal) {
    LLVMValueRef fn = LLVMAddFunction(g->mod, name, fty);
    add_attr(g, fn, LLVMAttributeFunctionIndex, "nounwind");
    add_str_attr(g, fn, "target-cpu", ft->cpu);
    if (*ft->features)
        add_str_attr(g, fn, "target-features", ft->features);
    if (internal) { /* kernels stay separate functions: see the file comment */
        LLVMSetLinkage(fn, LLVMInternalLinkage);
        add_attr(g, fn, LLVMAttributeFunctionIndex, "noinline");
    }
    return fn;
}

/* Cold code: <p>_pre and its parts run once per call of forward or vjp, against a sweep
 * per op and lane group. optnone (with the noinline cg_new_fn gives every internal function)
 * makes LLVM skip the IR pipeline for them and select their instructions at the lowest level
 * (FastISel, fast register allocation): the QIREN layer compiled in 135-149 ms instead of
 * 172-184 ms (docs/performance.md). */
static void cold_fn(cg *g, LLVMValueRef fn) {
    add_attr(g, fn, LLVMAttributeFunctionIndex, "optnone");
}

/* Entry blocks; work_arg is aligned up to 64 bytes unless it already is (the simulation
 * helper receives the aligned pointer). All region pointers are derived here. */
void cg_begin_fn(cg *g, LLVMValueRef fn, LLVMValueRef work_arg, int align) {
    g->fn = fn;
    g->alloca_bb = LLVMAppendBasicBlockInContext(g->ctx, fn, "allocas");
    LLVMBasicBlockRef entry = LLVMAppendBasicBlockInContext(g->ctx, fn, "entry");
    LLVMPositionBuilderAtEnd(g->b, entry);
    g->work = work_arg;
    if (align) {
        LLVMTypeRef i8 = LLVMInt8TypeInContext(g->ctx);
        LLVMValueRef addr = LLVMBuildPtrToInt(g->b, work_arg, g->i64, "");
        LLVMValueRef pad = LLVMBuildAnd(g->b, LLVMBuildNeg(g->b, addr, ""), cg_i64(g, 63), "");
        g->work = LLVMBuildGEP2(g->b, i8, work_arg, &pad, 1, "work");
    }
    g->xin = cg_region(g, g->off_xin);
    g->gout = cg_region(g, g->off_gout);
    g->gp = cg_region(g, g->off_gp);
    g->gi = cg_region(g, g->off_gi);
    g->psi = cg_region(g, g->off_psi);
    g->lam = cg_region(g, g->off_lam);
    g->diag = cg_region(g, g->off_diag);
    g->shtab = cg_region(g, g->off_shared);
    cg_memo_reset(g);
}

void cg_end_fn(cg *g) {
    LLVMPositionBuilderAtEnd(g->ab, g->alloca_bb);
    LLVMBuildBr(g->ab, LLVMGetNextBasicBlock(g->alloca_bb));
}

LLVMValueRef cg_imin(cg *g, LLVMValueRef a, LLVMValueRef b) {
    return LLVMBuildSelect(g->b, LLVMBuildICmp(g->b, LLVMIntSLT, a, b, ""), a, b, "");
}

/* Lane groups: group i holds samples [i W, i W + rem), rem = min(W, B - i W). */
LLVMValueRef cg_groups_begin(cg *g, cg_loop *l, LLVMValueRef B, LLVMValueRef *base,
                                 LLVMValueRef *rem) {
    B = LLVMBuildSelect(g->b, LLVMBuildICmp(g->b, LLVMIntSLT, B, cg_i64(g, 0), ""),
                        cg_i64(g, 0), B, "");
    if (g->amp) { /* amplitudes in the lanes: one sample at a time, in every lane */
        LLVMValueRef s = cg_loop_begin(g, l, B);
        *base = s;
        *rem = cg_i64(g, 1);
        return s;
    }
    LLVMValueRef ng = LLVMBuildSDiv(g->b, LLVMBuildAdd(g->b, B, cg_i64(g, g->W - 1), ""),
                                    cg_i64(g, g->W), "");
    LLVMValueRef i = cg_loop_begin(g, l, ng);
    *base = LLVMBuildMul(g->b, i, cg_i64(g, g->W), "");
    *rem = cg_imin(g, cg_i64(g, g->W), LLVMBuildSub(g->b, B, *base, ""));
    return i;
}

/* Transposes rows [base, base + rem) of src[B][width] into region[width][W]. Padding lanes
 * repeat the last valid row (finite values for any expression), or are zero if zero_pad. */
void cg_load_rows(cg *g, LLVMValueRef src, int width, LLVMValueRef region,
                      LLVMValueRef base, LLVMValueRef rem, int zero_pad) {
    if (width == 0)
        return;
    cg_loop l, m;
    LLVMValueRef lane = cg_loop_begin(g, &l, cg_i64(g, g->W));
    LLVMValueRef valid = LLVMBuildICmp(g->b, LLVMIntSLT, lane, rem, "");
    LLVMValueRef last = LLVMBuildSub(g->b, rem, cg_i64(g, 1), "");
    LLVMValueRef row = LLVMBuildAdd(g->b, base, LLVMBuildSelect(g->b, valid, lane, last, ""), "");
    LLVMValueRef rbase = LLVMBuildMul(g->b, row, cg_i64(g, width), "");
    LLVMValueRef j = cg_loop_begin(g, &m, cg_i64(g, width));
    val v = cg_sload(g, src, LLVMBuildAdd(g->b, rbase, j, ""));
    if (zero_pad)
        v = LLVMBuildSelect(g->b, valid, v, cg_k(g, 0.0), "");
    cg_sstore(g, region, LLVMBuildAdd(g->b, LLVMBuildMul(g->b, j, cg_i64(g, g->W), ""), lane, ""), v);
    cg_loop_end(g, &m);
    cg_loop_end(g, &l);
}

/* The inverse for results: region[width][W] lanes < rem -> dst[base + lane][width]. */
void cg_store_rows(cg *g, LLVMValueRef dst, int width, LLVMValueRef region,
                       LLVMValueRef base, LLVMValueRef rem) {
    if (width == 0)
        return;
    cg_loop l, m;
    LLVMValueRef lane = cg_loop_begin(g, &l, rem);
    LLVMValueRef rbase = LLVMBuildMul(g->b, LLVMBuildAdd(g->b, base, lane, ""),
                                      cg_i64(g, width), "");
    LLVMValueRef j = cg_loop_begin(g, &m, cg_i64(g, width));
    val v = cg_sload(g, region, LLVMBuildAdd(g->b, LLVMBuildMul(g->b, j, cg_i64(g, g->W), ""), lane, ""));
    cg_sstore(g, dst, LLVMBuildAdd(g->b, rbase, j, ""), v);
    cg_loop_end(g, &m);
    cg_loop_end(g, &l);
}

void cg_zero_region(cg *g, LLVMValueRef region, int nvec) {
    if (nvec == 0)
        return;
    cg_loop l;
    LLVMValueRef i = cg_loop_begin(g, &l, cg_i64(g, nvec));
    cg_vstore(g, region, i, NULL);
    cg_loop_end(g, &l);
}

/* grad_params[i] += horizontal sum of the lane accumulators (once per call). */
void cg_finish_params(cg *g, LLVMValueRef gparams) {
    if (g->c->n_params == 0)
        return;
    cg_loop l;
    LLVMValueRef i = cg_loop_begin(g, &l, cg_i64(g, g->c->n_params));
    val s = cg_lane_sum(g, cg_vload(g, g->gp, i));
    cg_sstore(g, gparams, i, cg_add(g, cg_sload(g, gparams, i), s));
    cg_loop_end(g, &l);
}

/* <prefix>_pre(work, params, want_z): matrices and phase tables of the shared ops (angles
 * of parameters and constants only), once per call, into the shared table, with the
 * gradient matrices Z (want_z is no longer consulted: see below). Slots are assigned here,
 * at code-generation time, so the kernels know where to load from. */
/* Ops per part of _pre. One function for a whole deep circuit made register allocation and
 * the dominator-tree queries of early-cse/instcombine grow faster than the op count
 * (StronglyEntanglingLayers, 8 qubits: 46 ms per layer at 50 layers, 59 ms at 200); parts
 * of a bounded size keep the work per op flat (docs/performance.md). */
enum { PRE_PART_OPS = 64 };

/* ---- table-driven _pre -------------------------------------------------------------------
 * Straight-line matrices were three quarters of a deep circuit's LLVM IR (the sines,
 * cosines and products of every Rot of every layer), and instruction selection time follows
 * code size. Ops whose matrices differ only in which parameters they read (same gate, same
 * members, same constants, the same pattern of repeated parameters) are instead one loop
 * that reads the parameter indices from a constant table: the code of one op, whatever the
 * depth. Their r-th slots are contiguous (slot base + r n + i for the i-th of n ops), so
 * every op of the loop has the same slots relative to its first one and still shares
 * kernels (cg_share.c). */

/* The shape of a cached op whose every angle is a parameter or a constant (malloc'ed), or
 * NULL when its matrices are not computed in _pre this way. */
static char *pre_key(const cg *g, int oi) {
    const ir_op *op = &g->c->ops[oi];
    const cg_opinfo *in = &g->ops[oi];
    if (!in->shared || in->n_occ == 0 || op->gate == IR_SWAP || op->gate == IR_FUSED_2Q ||
        op->gate == IR_FUSED_BLOCK || cg_op_is_noop(op))
        return NULL; /* FUSED_2Q: straight-line only (its matrices are 4x4) */
    size_t cap = 64 + (size_t)op->n_members * 48 + (size_t)in->n_occ * 48, n = 0;
    char *s = malloc(cap);
    if (!s)
        return NULL;
    n += (size_t)snprintf(s + n, cap - n, "%d:", (int)op->gate);
    for (int j = 0; j < op->n_members; j++) { /* a diagonal's table depends on the wires */
        const ir_op *m = &g->c->members[op->first_member + j];
        n += (size_t)snprintf(s + n, cap - n, "%d", (int)m->gate);
        if (op->gate == IR_FUSED_DIAG)
            n += (size_t)snprintf(s + n, cap - n, "@%d.%d.%x", m->wires[0], m->wires[1],
                                  (unsigned)m->mask);
        n += (size_t)snprintf(s + n, cap - n, ",");
    }
    const ir_op *base = op->n_members > 0 ? &g->c->members[op->first_member] : op;
    for (int i = 0; i < in->n_occ; i++) {
        const cg_occ *o = &g->occ[in->first_occ + i];
        const ir_expr *x = &g->c->exprs[o->prim->angle[o->k]];
        n += (size_t)snprintf(s + n, cap - n, "|%d.%d", (int)(o->prim - base), o->k);
        if (x->kind == IR_EXPR_CONST) {
            n += (size_t)snprintf(s + n, cap - n, "=%a", x->value);
        } else if (x->kind == IR_EXPR_PARAM) {
            int first = i; /* the first angle of this op that reads the same parameter */
            for (int j = 0; j < i && first == i; j++) {
                const cg_occ *q = &g->occ[in->first_occ + j];
                const ir_expr *y = &g->c->exprs[q->prim->angle[q->k]];
                if (y->kind == IR_EXPR_PARAM && y->index == x->index)
                    first = j;
            }
            n += (size_t)snprintf(s + n, cap - n, "=p%d", first);
        } else {
            free(s);
            return NULL;
        }
    }
    return s;
}

typedef struct { const char *key; int op; } pre_entry;

static int pre_entry_cmp(const void *a, const void *b) {
    const pre_entry *x = a, *y = b;
    int c = strcmp(x->key, y->key);
    return c ? c : x->op - y->op;
}

/* Emits <name>L<j>: the loop over the n ops ops[0 .. n) of one shape. */
static LLVMValueRef emit_pre_loop(cg *g, const char *name, int j, LLVMTypeRef fty,
                                  const cg_fn_target *ft, const int *ops, int n) {
    int oi0 = ops[0];
    cg_opinfo *in0 = &g->ops[oi0];
    int n_occ = in0->n_occ;
    LLVMValueRef *idx = calloc((size_t)n * (size_t)n_occ, sizeof *idx);
    int diag = g->c->ops[oi0].gate == IR_FUSED_DIAG; /* a phase table, no U and Z */
    cmat U, *Z = diag ? NULL : calloc((size_t)n_occ, sizeof *Z);
    if (!idx || (!diag && !Z)) {
        free(idx);
        free(Z);
        cg_fail(g, "out of memory");
        return NULL;
    }
    for (int i = 0; i < n; i++)
        for (int k = 0; k < n_occ; k++) {
            const cg_occ *o = &g->occ[g->ops[ops[i]].first_occ + k];
            const ir_expr *x = &g->c->exprs[o->prim->angle[o->k]];
            idx[(size_t)i * n_occ + k] =
                LLVMConstInt(g->i32, x->kind == IR_EXPR_PARAM ? (unsigned)x->index : 0, 0);
        }
    char buf[240];
    snprintf(buf, sizeof buf, "%sI%d", name, j);
    LLVMTypeRef aty = LLVMArrayType(g->i32, (unsigned)(n * n_occ));
    LLVMValueRef table = LLVMAddGlobal(g->mod, aty, buf);
    LLVMSetInitializer(table, LLVMConstArray(g->i32, idx, (unsigned)(n * n_occ)));
    LLVMSetGlobalConstant(table, 1);
    LLVMSetLinkage(table, LLVMPrivateLinkage);
    LLVMSetUnnamedAddress(table, LLVMGlobalUnnamedAddr);
    free(idx);

    snprintf(buf, sizeof buf, "%sL%d", name, j);
    LLVMValueRef fn = cg_new_fn(g, buf, fty, ft, 1);
    cold_fn(g, fn);
    cg_begin_fn(g, fn, LLVMGetParam(fn, 0), 0);
    g->params = LLVMGetParam(fn, 1);
    cg_loop l;
    LLVMValueRef i = cg_loop_begin(g, &l, cg_i64(g, n));
    LLVMValueRef row = LLVMBuildMul(g->b, i, cg_i64(g, n_occ), "");
    cg_memo_reset(g);
    for (int k = 0; k < n_occ; k++) { /* op 0's parameter leaves read this iteration's */
        const cg_occ *o = &g->occ[in0->first_occ + k];
        int e = o->prim->angle[o->k];
        if (g->c->exprs[e].kind != IR_EXPR_PARAM || g->memo[e])
            continue;
        LLVMValueRef at[2] = {cg_i64(g, 0), LLVMBuildAdd(g->b, row, cg_i64(g, k), "")};
        LLVMValueRef p = LLVMBuildGEP2(g->b, aty, table, at, 2, "");
        LLVMValueRef pi = LLVMBuildLoad2(g->b, g->i32, p, "");
        g->memo[e] = cg_sload(g, g->params, LLVMBuildZExt(g->b, pi, g->i64, ""));
    }
    size_t tsize = 0; /* a diagonal's phase table, one after another */
    if (diag) {
        int wires[IR_MAX_QUBITS];
        tsize = (size_t)2 << cg_diag_wires(g, &g->c->ops[oi0], wires);
        size_t base = shared_alloc(g, tsize * (size_t)n);
        LLVMValueRef at = LLVMBuildMul(g->b, i, cg_i64(g, (int64_t)tsize), "");
        LLVMValueRef tab = LLVMBuildGEP2(g->b, g->T, cg_region(g, g->off_shared + base), &at, 1, "");
        cg_diag_table(g, &g->c->ops[oi0], tab, 1, CG_DIAG_ALL);
        for (int m = 0; m < n; m++)
            g->ops[ops[m]].table = base + (size_t)m * tsize;
    } else {
        g->pre_loop_n = n;
        g->pre_loop_base = g->n_shared;
        g->pre_loop_rel = 0;
        g->pre_loop_i = i;
        compute_mats(g, oi0, 1, &U, Z); /* U and Z together, as the straight-line parts do */
        cache_store(g, &U, &in0->U);
        for (int k = 0; k < n_occ; k++)
            cache_store(g, &Z[k], &in0->Z[k]);
        g->pre_loop_n = 0;
        shared_alloc(g, g->pre_loop_rel * (size_t)n);
    }
    free(Z);
    cg_loop_end(g, &l);
    LLVMBuildRetVoid(g->b);
    cg_end_fn(g);
    /* every op of the loop: op 0's slots, moved by its place in the loop */
    for (int m = 0; m < n; m++) {
        cg_opinfo *in = &g->ops[ops[m]];
        for (int d = -1; d < n_occ && !tsize; d++) {
            cmat_desc *dst = d < 0 ? &in->U : &in->Z[d];
            *dst = d < 0 ? in0->U : in0->Z[d];
            for (int c = 0; c < 8; c++)
                if (dst->c[c].kind == CC_SLOT)
                    dst->c[c].slot += (size_t)m;
        }
        in->cached = 1;
        in->part = 0;
    }
    return fn;
}

/* Groups the ops of pre_key by shape: group[oi] = the loop it belongs to, or -1 (no key, or
 * alone in its shape: straight-line code is as short). Returns the number of loops; their
 * ops in members (by loop, in op order) and the starts in first[0 .. loops]. */
static int pre_groups(cg *g, int *group, int **members, int **first) {
    int n_ops = g->c->n_ops, n = 0, loops = 0;
    pre_entry *e = calloc((size_t)n_ops + 1, sizeof *e);
    *members = calloc((size_t)n_ops + 1, sizeof **members);
    *first = calloc((size_t)n_ops + 2, sizeof **first);
    for (int oi = 0; oi < n_ops; oi++)
        group[oi] = -1;
    if (!e || !*members || !*first) {
        free(e);
        cg_fail(g, "out of memory");
        return 0;
    }
    for (int oi = 0; oi < n_ops; oi++) {
        char *k = pre_key(g, oi);
        if (k)
            e[n++] = (pre_entry){k, oi};
    }
    qsort(e, (size_t)n, sizeof *e, pre_entry_cmp);
    int used = 0;
    for (int a = 0, b; a < n; a = b) {
        for (b = a + 1; b < n && strcmp(e[a].key, e[b].key) == 0; b++) {
        }
        if (b - a < 2)
            continue;
        (*first)[loops] = used;
        for (int i = a; i < b; i++) {
            group[e[i].op] = loops;
            (*members)[used++] = e[i].op;
        }
        loops++;
    }
    (*first)[loops] = used;
    for (int i = 0; i < n; i++)
        free((char *)e[i].key);
    free(e);
    return loops;
}

static LLVMValueRef emit_pre(cg *g, const char *name, const cg_fn_target *ft) {
    LLVMTypeRef a[3] = {g->ptr, g->ptr, g->i1};
    LLVMTypeRef fty = LLVMFunctionType(g->voidt, a, 3, 0);
    int n_parts = (g->c->n_ops + PRE_PART_OPS - 1) / PRE_PART_OPS;
    LLVMValueRef *parts = calloc((size_t)n_parts + 1, sizeof *parts);
    int *group = calloc((size_t)g->c->n_ops + 1, sizeof *group);
    if (!parts || !group) {
        free(parts);
        free(group);
        cg_fail(g, "out of memory");
        return NULL;
    }
    LLVMValueRef fn = NULL;
    g->use_cache = 0;
    g->n_shared = 0;
    int *members = NULL, *first = NULL;
    int n_loops = pre_groups(g, group, &members, &first);
    LLVMValueRef *loops = calloc((size_t)n_loops + 1, sizeof *loops);
    if (!loops)
        cg_fail(g, "out of memory");
    for (int j = 0; j < n_loops && !g->failed; j++)
        loops[j] = emit_pre_loop(g, name, j, fty, ft, members + first[j], first[j + 1] - first[j]);
    int part = -1;
    for (int oi = 0; oi < g->c->n_ops && !g->failed; oi++) {
        const ir_op *op = &g->c->ops[oi];
        cg_opinfo *in = &g->ops[oi];
        if (group[oi] >= 0)
            continue; /* done by its loop */
        in->cached = 0;
        in->part = 0;
        int fixed = in->n_occ == 0 && op->gate != IR_FUSED_DIAG;
        if ((!in->shared && op->gate != IR_FUSED_DIAG) || op->gate == IR_SWAP ||
            op->gate == IR_I || op->gate == IR_FUSED_BLOCK || (in->shared && fixed))
            continue; /* per lane, or fixed gates: constants, folded where they are used */
        if (oi / PRE_PART_OPS != part) { /* the part of this op, opened when first needed */
            if (fn) {
                LLVMBuildRetVoid(g->b);
                cg_end_fn(g);
            }
            part = oi / PRE_PART_OPS;
            char pname[220];
            snprintf(pname, sizeof pname, "%s%d", name, part);
            fn = parts[part] = cg_new_fn(g, pname, fty, ft, 1);
            cold_fn(g, fn);
            cg_begin_fn(g, fn, LLVMGetParam(fn, 0), 0);
            g->params = LLVMGetParam(fn, 1);
        }
        if (!in->shared) { /* a per-lane FUSED_DIAG: its shared members' table */
            int wires[IR_MAX_QUBITS];
            cg_memo_reset(g);
            in->table = shared_alloc(g, (size_t)2 << cg_diag_wires(g, op, wires));
            cg_diag_table(g, op, cg_region(g, g->off_shared + in->table), 1, CG_DIAG_SHARED);
            in->part = 1;
            continue;
        }
        cg_memo_reset(g);
        if (op->gate == IR_FUSED_DIAG) {
            int wires[IR_MAX_QUBITS];
            in->table = shared_alloc(g, (size_t)2 << cg_diag_wires(g, op, wires));
            cg_diag_table(g, op, cg_region(g, g->off_shared + in->table), 1, CG_DIAG_ALL);
            in->cached = 1;
            continue;
        }
        if (op->gate == IR_FUSED_2Q) { /* U, in four descs (gradients: pair_grads) */
            cmat4 U4;
            compute_mats4(g, oi, &U4);
            cache_store4(g, &U4, in->U4);
            in->cached = 1;
            continue;
        }
        cmat U, *Z = calloc((size_t)in->n_occ, sizeof *Z);
        if (!Z) {
            cg_fail(g, "out of memory");
            break;
        }
        /* U and the gradient matrices together, unconditionally: they share the sines and
         * cosines, and one straight-line block is half the code of computing U, then Z
         * again under a want_z branch (this function is the largest of the module, and
         * instruction selection time follows code size); the forward call's extra work is a
         * few flops per angle, once per call. */
        compute_mats(g, oi, 1, &U, Z);
        cache_store(g, &U, &in->U);
        for (int i = 0; i < in->n_occ; i++)
            cache_store(g, &Z[i], &in->Z[i]);
        free(Z);
        in->cached = 1;
    }
    if (fn) {
        LLVMBuildRetVoid(g->b);
        cg_end_fn(g);
    }
    /* _pre itself calls the loops and the parts (they write disjoint slots) */
    fn = cg_new_fn(g, name, fty, ft, 1);
    cold_fn(g, fn);
    cg_begin_fn(g, fn, LLVMGetParam(fn, 0), 0);
    LLVMValueRef args[3] = {LLVMGetParam(fn, 0), LLVMGetParam(fn, 1), LLVMGetParam(fn, 2)};
    for (int j = 0; j < n_loops && !g->failed; j++)
        if (loops[j])
            LLVMBuildCall2(g->b, fty, loops[j], args, 3, "");
    for (int i = 0; i < n_parts && !g->failed; i++)
        if (parts[i])
            LLVMBuildCall2(g->b, fty, parts[i], args, 3, "");
    LLVMBuildRetVoid(g->b);
    cg_end_fn(g);
    free(parts);
    free(group);
    free(members);
    free(first);
    free(loops);
    return fn;
}

/* Kernels of op oi: forward (sim = 0) or shifted simulation (sim = 1), and backward; NULL
 * for ops that do nothing. */
static LLVMValueRef emit_fwd_kernel(cg *g, int oi, const char *prefix, int sim,
                                    const cg_fn_target *ft) {
    if (cg_op_is_noop(&g->c->ops[oi]))
        return NULL;
    char name[200];
    snprintf(name, sizeof name, "%s_%s%d", prefix, sim ? "s" : "f", oi);
    /* (work, params, tab) like a shared kernel (tab unused), so that one table of kernel
     * pointers serves both (see "the op sequence as data" below) */
    LLVMTypeRef a[4] = {g->ptr, g->ptr, g->i32, g->T};
    if (!sim)
        a[2] = g->ptr;
    LLVMValueRef fn = cg_new_fn(g, name, LLVMFunctionType(g->voidt, a, sim ? 4 : 3, 0), ft, 1);
    cg_begin_fn(g, fn, LLVMGetParam(fn, 0), 0);
    g->params = LLVMGetParam(fn, 1);
    g->slot = sim ? LLVMGetParam(fn, 2) : NULL;
    g->shift = sim ? LLVMGetParam(fn, 3) : NULL;
    g->use_cache = !sim;
    cg_fwd_op(g, oi);
    LLVMBuildRetVoid(g->b);
    cg_end_fn(g);
    g->slot = g->shift = NULL;
    return fn;
}

static LLVMValueRef emit_bwd_kernel(cg *g, int oi, const char *prefix, const cg_fn_target *ft) {
    if (cg_op_is_noop(&g->c->ops[oi]))
        return NULL;
    char name[200];
    snprintf(name, sizeof name, "%s_b%d", prefix, oi);
    /* (work, params, tab, dout) like a shared backward kernel; tab and dout unused */
    LLVMTypeRef a[4] = {g->ptr, g->ptr, g->ptr, g->ptr};
    LLVMValueRef fn = cg_new_fn(g, name, LLVMFunctionType(g->voidt, a, 4, 0), ft, 1);
    cg_begin_fn(g, fn, LLVMGetParam(fn, 0), 0);
    g->params = LLVMGetParam(fn, 1);
    g->use_cache = 1;
    cg_bwd_op(g, oi);
    LLVMBuildRetVoid(g->b);
    cg_end_fn(g);
    return fn;
}

typedef cg_kernels kernels;

static void call_kernel_tab(cg *g, LLVMValueRef k, long tab, LLVMValueRef dout) {
    LLVMValueRef idx = cg_i64(g, tab);
    LLVMValueRef args[4] = {g->work, g->params, LLVMBuildGEP2(g->b, g->T, g->shtab, &idx, 1, ""),
                            dout};
    LLVMBuildCall2(g->b, LLVMGlobalGetValueType(k), k, args, dout ? 4 : 3, "");
}

/* A shifted-simulation kernel <p>_s<i>(work, params, slot, shift). */
static void call_sim_kernel(cg *g, LLVMValueRef k, LLVMValueRef slot, LLVMValueRef shift) {
    if (!k)
        return;
    LLVMValueRef args[4] = {g->work, g->params, slot, shift};
    LLVMBuildCall2(g->b, LLVMGlobalGetValueType(k), k, args, 4, "");
}

/* An op's own forward (3 arguments) or backward (4) kernel: tab and dout are unused. */
static void call_own_kernel(cg *g, LLVMValueRef k, int bwd) {
    if (!k)
        return;
    LLVMValueRef null = LLVMConstNull(g->ptr);
    LLVMValueRef args[4] = {g->work, g->params, null, null};
    LLVMBuildCall2(g->b, LLVMGlobalGetValueType(k), k, args, bwd ? 4 : 3, "");
}

/* Forward kernel of op oi, shared or its own. */
static void call_fwd(cg *g, const kernels *k, int oi) {
    if (k->tab[oi] >= 0)
        call_kernel_tab(g, k->fwd[oi], k->tab[oi], NULL);
    else
        call_own_kernel(g, k->fwd[oi], 0);
}

/* ---- gradients of parameters read directly ------------------------------------------------
 * After a shared backward kernel, dL/da of each angle is chained through its expression into
 * the parameters' accumulators: per angle a load, an add and a store in the vjp function,
 * which made the vjp the largest function of a deep circuit. Where every angle of the op is
 * a parameter or a constant, the chain is a call of one function, <vjp>A(work, dout, first,
 * count), that adds dout[i] to gp[index[first + i]] from a constant table of parameter
 * indices (-1: a constant angle, nothing to add). */
typedef struct {
    int *first;            /* per op: its first entry in the table, or -1 (chain inline) */
    LLVMValueRef fn;       /* <vjp>A, NULL when no op reads its parameters directly */
} direct_acc;

static int reads_params_directly(const cg *g, const kernels *k, int oi) {
    const cg_opinfo *in = &g->ops[oi];
    if (k->tab[oi] < 0 || in->n_occ == 0)
        return 0;
    for (int i = 0; i < in->n_occ; i++) {
        const cg_occ *o = &g->occ[in->first_occ + i];
        ir_expr_kind kind = g->c->exprs[o->prim->angle[o->k]].kind;
        if (kind != IR_EXPR_PARAM && kind != IR_EXPR_CONST)
            return 0;
    }
    return 1;
}

/* Builds the table and <name>A; call before the vjp function is begun. */
static void direct_acc_build(cg *g, const kernels *k, const char *name, const cg_fn_target *ft,
                             direct_acc *acc) {
    int n_ops = g->c->n_ops, n = 0;
    acc->fn = NULL;
    acc->first = malloc(sizeof *acc->first * (size_t)(n_ops + 1));
    LLVMValueRef *vals = malloc(sizeof *vals * (size_t)(g->n_occ + 1));
    if (!acc->first || !vals) {
        free(vals);
        cg_fail(g, "out of memory");
        return;
    }
    for (int oi = 0; oi < n_ops; oi++) {
        acc->first[oi] = -1;
        if (!reads_params_directly(g, k, oi))
            continue;
        const cg_opinfo *in = &g->ops[oi];
        acc->first[oi] = n;
        for (int i = 0; i < in->n_occ; i++) {
            const cg_occ *o = &g->occ[in->first_occ + i];
            const ir_expr *x = &g->c->exprs[o->prim->angle[o->k]];
            vals[n++] = LLVMConstInt(g->i32, x->kind == IR_EXPR_PARAM ? (unsigned long long)x->index
                                                                       : (unsigned long long)-1, 1);
        }
    }
    if (n == 0) {
        free(vals);
        return;
    }
    char buf[240];
    snprintf(buf, sizeof buf, "%sI", name);
    LLVMTypeRef aty = LLVMArrayType(g->i32, (unsigned)n);
    LLVMValueRef table = LLVMAddGlobal(g->mod, aty, buf);
    LLVMSetInitializer(table, LLVMConstArray(g->i32, vals, (unsigned)n));
    LLVMSetGlobalConstant(table, 1);
    LLVMSetLinkage(table, LLVMPrivateLinkage);
    LLVMSetUnnamedAddress(table, LLVMGlobalUnnamedAddr);
    free(vals);
    LLVMTypeRef a[4] = {g->ptr, g->ptr, g->i64, g->i64};
    snprintf(buf, sizeof buf, "%sA", name);
    LLVMValueRef fn = cg_new_fn(g, buf, LLVMFunctionType(g->voidt, a, 4, 0), ft, 1);
    cg_begin_fn(g, fn, LLVMGetParam(fn, 0), 0);
    LLVMValueRef dout = LLVMGetParam(fn, 1), first = LLVMGetParam(fn, 2);
    cg_loop l;
    LLVMValueRef i = cg_loop_begin(g, &l, LLVMGetParam(fn, 3));
    LLVMValueRef at[2] = {cg_i64(g, 0), LLVMBuildAdd(g->b, first, i, "")};
    LLVMValueRef pi = LLVMBuildLoad2(g->b, g->i32, LLVMBuildGEP2(g->b, aty, table, at, 2, ""), "");
    LLVMValueRef is_param = LLVMBuildICmp(g->b, LLVMIntSGE, pi, LLVMConstInt(g->i32, 0, 0), "");
    LLVMBasicBlockRef add = LLVMAppendBasicBlockInContext(g->ctx, fn, "add");
    LLVMBasicBlockRef next = LLVMAppendBasicBlockInContext(g->ctx, fn, "next");
    LLVMBuildCondBr(g->b, is_param, add, next);
    LLVMPositionBuilderAtEnd(g->b, add);
    LLVMValueRef pidx = LLVMBuildSExt(g->b, pi, g->i64, "");
    cg_vstore(g, g->gp, pidx, cg_add(g, cg_vload(g, g->gp, pidx), cg_vload(g, dout, i)));
    LLVMBuildBr(g->b, next);
    LLVMPositionBuilderAtEnd(g->b, next);
    cg_loop_end(g, &l);
    LLVMBuildRetVoid(g->b);
    cg_end_fn(g);
    acc->fn = fn;
}

/* Backward kernel of op oi; for a shared one, then the chain through its angles' expressions
 * (here, in the vjp function: that part differs per op). */
static void call_bwd(cg *g, const kernels *k, int oi, LLVMValueRef dout, const direct_acc *acc) {
    if (k->tab[oi] < 0) {
        call_own_kernel(g, k->bwd[oi], 1);
        return;
    }
    call_kernel_tab(g, k->bwd[oi], k->tab[oi], dout);
    const cg_opinfo *in = &g->ops[oi];
    if (acc && acc->fn && acc->first[oi] >= 0) {
        LLVMValueRef args[4] = {g->work, dout, cg_i64(g, acc->first[oi]), cg_i64(g, in->n_occ)};
        LLVMBuildCall2(g->b, LLVMGlobalGetValueType(acc->fn), acc->fn, args, 4, "");
        return;
    }
    cg_memo_reset(g);
    for (int i = 0; i < in->n_occ; i++) {
        const cg_occ *o = &g->occ[in->first_occ + i];
        cg_chain(g, o->prim->angle[o->k], cg_vload(g, dout, cg_i64(g, i)));
    }
}

/* ---- the op sequence as data ----------------------------------------------------------
 * A deep circuit's forward and vjp functions called every op's kernel in straight-line code:
 * at 200 layers of StronglyEntanglingLayers 3,600 calls in the vjp, with the table pointers
 * of the forward half live across the backward half. Register allocation of those two
 * functions (interference of live ranges with every call's clobber mask) was most of the
 * compile time and grew with depth. Now every run of at least STEP_MIN_RUN consecutive ops
 * whose calls differ only in data (kernel, table offset, and for a backward kernel the range
 * of <vjp>A's parameter-index table) is one loop over a constant table of
 * {kernel index, offset, first, count}: an indirect call per op, a few cycles against a
 * sweep. Ops
 * whose gradients chain through expressions inline (call_bwd) end a run. */
enum { STEP_MIN_RUN = 4 };

typedef struct {
    LLVMTypeRef ety;   /* {i32 kernel, i32 offset into the shared table, i32 first, i32 n} */
    LLVMValueRef tab;  /* the constant table, or NULL */
    LLVMValueRef kern; /* its distinct kernels, [n_kern x ptr]: entries name them by index,
                        * so a deep circuit's table needs no relocation per op */
    int n, n_kern;     /* entries, distinct kernels */
} step_table;

/* Whether op oi's call in direction bwd is data only (can be a table entry). */
static int step_ok(const cg *g, const kernels *k, int oi, int bwd, const direct_acc *acc) {
    LLVMValueRef fn = bwd ? k->bwd[oi] : k->fwd[oi];
    if (!fn)
        return 0;
    if (!bwd || k->tab[oi] < 0 || g->ops[oi].n_occ == 0)
        return 1;
    return acc && acc->fn && acc->first[oi] >= 0;
}

/* The ops in call order (forward: 0 .. n-1, backward: n-1 .. 0), kernel-less ones left out;
 * returns their count, and in runlen[i] the length of the run starting at seq[i] (0 inside
 * a run, -1 for a call emitted directly). */
static int step_plan(const cg *g, const kernels *k, int bwd, const direct_acc *acc, int *seq,
                     int *runlen) {
    int n = 0, n_ops = g->c->n_ops;
    for (int j = 0; j < n_ops; j++) {
        int oi = bwd ? n_ops - 1 - j : j;
        if (bwd ? k->bwd[oi] != NULL : k->fwd[oi] != NULL)
            seq[n++] = oi;
    }
    for (int i = 0; i < n;) {
        int e = i;
        while (e < n && step_ok(g, k, seq[e], bwd, acc))
            e++;
        if (e - i >= STEP_MIN_RUN) {
            runlen[i] = e - i;
            for (int t = i + 1; t < e; t++)
                runlen[t] = 0;
            i = e;
        } else {
            runlen[i] = -1;
            i++;
        }
    }
    return n;
}

static LLVMValueRef private_const(cg *g, LLVMTypeRef ety, LLVMValueRef *v, int n,
                                  const char *name) {
    LLVMValueRef gv = LLVMAddGlobal(g->mod, LLVMArrayType2(ety, (uint64_t)n), name);
    LLVMSetInitializer(gv, LLVMConstArray2(ety, v, (uint64_t)n));
    LLVMSetGlobalConstant(gv, 1);
    LLVMSetLinkage(gv, LLVMPrivateLinkage);
    LLVMSetUnnamedAddress(gv, LLVMGlobalUnnamedAddr);
    return gv;
}

/* Builds the constant tables of the runs' entries (in call order) and of their kernels. */
static step_table step_table_build(cg *g, const kernels *k, int bwd, const direct_acc *acc,
                                   const int *seq, const int *runlen, int n, const char *name) {
    step_table st;
    LLVMTypeRef f[4] = {g->i32, g->i32, g->i32, g->i32};
    st.ety = LLVMStructTypeInContext(g->ctx, f, 4, 0);
    st.tab = st.kern = NULL;
    st.n = st.n_kern = 0;
    LLVMValueRef *ents = malloc(sizeof *ents * (size_t)(n + 1));
    LLVMValueRef *kern = malloc(sizeof *kern * (size_t)(n + 1));
    if (!ents || !kern) {
        free(ents);
        free(kern);
        cg_fail(g, "out of memory");
        return st;
    }
    for (int i = 0; i < n; i++) {
        if (runlen[i] < 0)
            continue;
        int oi = seq[i];
        int first = 0, cnt = 0;
        if (bwd && k->tab[oi] >= 0 && acc && acc->fn && acc->first[oi] >= 0) {
            first = acc->first[oi];
            cnt = g->ops[oi].n_occ;
        }
        LLVMValueRef fn = bwd ? k->bwd[oi] : k->fwd[oi];
        int ki = 0; /* a few hundred distinct kernels at most: a linear search will do */
        while (ki < st.n_kern && kern[ki] != fn)
            ki++;
        if (ki == st.n_kern)
            kern[st.n_kern++] = fn;
        long off = k->tab[oi] >= 0 ? k->tab[oi] : 0;
        if (off > INT32_MAX) {
            cg_fail(g, "shared table too large (%ld elements)", off);
            break;
        }
        LLVMValueRef v[4] = {LLVMConstInt(g->i32, (unsigned)ki, 0),
                             LLVMConstInt(g->i32, (unsigned long long)off, 0),
                             LLVMConstInt(g->i32, (unsigned)first, 0),
                             LLVMConstInt(g->i32, (unsigned)cnt, 0)};
        ents[st.n++] = LLVMConstNamedStruct(st.ety, v, 4);
    }
    if (st.n > 0 && !g->failed) {
        char buf[240];
        st.tab = private_const(g, st.ety, ents, st.n, name);
        snprintf(buf, sizeof buf, "%sK", name);
        st.kern = private_const(g, g->ptr, kern, st.n_kern, buf);
    }
    free(ents);
    free(kern);
    return st;
}

/* One loop over entries [from, from + count) of the table: kernel(work, params, shtab +
 * offset[, dout]), then for a backward entry <vjp>A(work, dout, first, n) (n = 0: nothing). */
static void step_loop(cg *g, const step_table *st, int from, int count, int bwd,
                      LLVMValueRef dout, const direct_acc *acc) {
    LLVMTypeRef aty = LLVMArrayType2(st->ety, (uint64_t)st->n);
    LLVMTypeRef katy = LLVMArrayType2(g->ptr, (uint64_t)st->n_kern);
    LLVMTypeRef a[4] = {g->ptr, g->ptr, g->ptr, g->ptr};
    LLVMTypeRef kty = LLVMFunctionType(g->voidt, a, bwd ? 4 : 3, 0);
    cg_loop l;
    LLVMValueRef i = cg_loop_begin(g, &l, cg_i64(g, count));
    LLVMValueRef e = LLVMBuildAdd(g->b, i, cg_i64(g, from), "");
    LLVMValueRef fld[4];
    for (int f = 0; f < (bwd ? 4 : 2); f++) {
        LLVMValueRef at[3] = {cg_i64(g, 0), e, LLVMConstInt(g->i32, (unsigned)f, 0)};
        LLVMValueRef v = LLVMBuildLoad2(g->b, g->i32, LLVMBuildGEP2(g->b, aty, st->tab, at, 3, ""), "");
        fld[f] = LLVMBuildZExt(g->b, v, g->i64, "");
    }
    LLVMValueRef kat[2] = {cg_i64(g, 0), fld[0]};
    LLVMValueRef kfn = LLVMBuildLoad2(g->b, g->ptr, LLVMBuildGEP2(g->b, katy, st->kern, kat, 2, ""), "");
    LLVMValueRef args[4] = {g->work, g->params,
                            LLVMBuildGEP2(g->b, g->T, g->shtab, &fld[1], 1, ""),
                            dout ? dout : LLVMConstNull(g->ptr)};
    LLVMBuildCall2(g->b, kty, kfn, args, bwd ? 4 : 3, "");
    if (bwd && acc && acc->fn) {
        LLVMValueRef aa[4] = {g->work, dout ? dout : LLVMConstNull(g->ptr), fld[2], fld[3]};
        LLVMBuildCall2(g->b, LLVMGlobalGetValueType(acc->fn), acc->fn, aa, 4, "");
    }
    cg_loop_end(g, &l);
}

/* The plan of one direction: built before the functions that use it. */
typedef struct {
    int *seq, *runlen, n;
    step_table st;
} step_plan_t;

static void step_plan_build(cg *g, const kernels *k, int bwd, const direct_acc *acc,
                            const char *name, step_plan_t *p) {
    int n_ops = g->c->n_ops;
    p->n = 0;
    p->st.tab = p->st.kern = NULL;
    p->st.n_kern = 0;
    p->st.n = 0;
    p->seq = malloc(sizeof *p->seq * (size_t)(n_ops + 1));
    p->runlen = malloc(sizeof *p->runlen * (size_t)(n_ops + 1));
    if (!p->seq || !p->runlen) {
        cg_fail(g, "out of memory");
        return;
    }
    p->n = step_plan(g, k, bwd, acc, p->seq, p->runlen);
    p->st = step_table_build(g, k, bwd, acc, p->seq, p->runlen, p->n, name);
}

static void step_plan_free(step_plan_t *p) {
    free(p->seq);
    free(p->runlen);
}

/* Every op's kernel call in the plan's order: runs as loops, the rest directly. */
static void emit_steps(cg *g, const kernels *k, const step_plan_t *p, int bwd,
                       LLVMValueRef dout, const direct_acc *acc) {
    int t = 0; /* table entries used so far */
    for (int i = 0; i < p->n && !g->failed; i++) {
        if (p->runlen[i] > 0) {
            step_loop(g, &p->st, t, p->runlen[i], bwd, dout, acc);
            t += p->runlen[i];
        } else if (p->runlen[i] < 0) {
            if (bwd)
                call_bwd(g, k, p->seq[i], dout, acc);
            else
                call_fwd(g, k, p->seq[i]);
        }
    }
}

/* The tag of this module's _pre key (below): FNV-1a of the prefix and of everything in the
 * circuit that _pre's results depend on (ops, members, expressions), so that a work buffer
 * last used by another circuit does not pass for this one's. */
static uint64_t pre_tag(const cg *g) {
    const ir_circuit *c = g->c;
    uint64_t h = 1469598103934665603ULL;
    size_t len = 0;
    const char *name = LLVMGetModuleIdentifier(g->mod, &len); /* the prefix */
    for (size_t i = 0; i < len; i++) h = (h ^ (unsigned char)name[i]) * 1099511628211ULL;
#define MIX(x) (h = (h ^ (uint64_t)(x)) * 1099511628211ULL)
    MIX(c->n_qubits); MIX(c->n_params); MIX(c->n_inputs); MIX(c->n_ops); MIX(c->n_exprs);
    for (int i = 0; i < c->n_ops + c->n_members; i++) { /* what _pre computes from */
        const ir_op *op = i < c->n_ops ? &c->ops[i] : &c->members[i - c->n_ops];
        MIX(op->gate); MIX(op->wires[0]); MIX(op->wires[1]); MIX(op->mask);
        MIX(op->angle[0]); MIX(op->angle[1]); MIX(op->angle[2]);
        MIX(op->first_member); MIX(op->n_members);
    }
    for (int i = 0; i < c->n_exprs; i++) {
        const ir_expr *e = &c->exprs[i];
        uint64_t bits;
        memcpy(&bits, &e->value, sizeof bits);
        MIX(e->kind); MIX(e->a); MIX(e->b); MIX(e->index); MIX(bits);
    }
#undef MIX
    return h | 1; /* a zeroed buffer never matches */
}

/* _pre(work, params) unless work's shared table already holds its results for these
 * parameters: the key region keeps a tag and the parameters of the last _pre. The runtime
 * calls forward and vjp per chunk of 32 samples with one work buffer per thread, and the
 * parameters change once per step, so this skips all but the first _pre of each thread and
 * step (about 3 % of W1's epoch: _pre is cold, optnone code). The shared table is written by
 * _pre only, and _pre's results depend on the parameters only (want_z is not read). */
static void call_pre(cg *g, const kernels *k, int want_z) {
    LLVMTypeRef i8 = LLVMInt8TypeInContext(g->ctx);
    LLVMValueRef key = cg_region(g, g->off_prekey);
    LLVMValueRef eight = cg_i64(g, 8);
    LLVMValueRef copy = LLVMBuildGEP2(g->b, i8, key, &eight, 1, "pre.params");
    LLVMValueRef tag = LLVMConstInt(g->i64, pre_tag(g), 0);
    LLVMValueRef bytes = cg_i64(g, (int64_t)g->c->n_params * g->esize);
    LLVMBasicBlockRef cmp = LLVMAppendBasicBlockInContext(g->ctx, g->fn, "pre.cmp");
    LLVMBasicBlockRef run = LLVMAppendBasicBlockInContext(g->ctx, g->fn, "pre.run");
    LLVMBasicBlockRef done = LLVMAppendBasicBlockInContext(g->ctx, g->fn, "pre.done");
    LLVMValueRef have = LLVMBuildLoad2(g->b, g->i64, key, "pre.tag");
    LLVMBuildCondBr(g->b, LLVMBuildICmp(g->b, LLVMIntEQ, have, tag, ""), cmp, run);
    LLVMPositionBuilderAtEnd(g->b, cmp);
    if (g->c->n_params > 0) {
        LLVMTypeRef mt[3] = {g->ptr, g->ptr, g->i64};
        LLVMTypeRef mty = LLVMFunctionType(g->i32, mt, 3, 0);
        LLVMValueRef memcmp_fn = LLVMGetNamedFunction(g->mod, "memcmp");
        if (!memcmp_fn)
            memcmp_fn = LLVMAddFunction(g->mod, "memcmp", mty);
        LLVMValueRef margs[3] = {copy, g->params, bytes};
        LLVMValueRef d = LLVMBuildCall2(g->b, mty, memcmp_fn, margs, 3, "");
        LLVMBuildCondBr(g->b, LLVMBuildICmp(g->b, LLVMIntEQ, d, LLVMConstInt(g->i32, 0, 0), ""),
                        done, run);
    } else {
        LLVMBuildBr(g->b, done);
    }
    LLVMPositionBuilderAtEnd(g->b, run);
    LLVMValueRef args[3] = {g->work, g->params, LLVMConstInt(g->i1, (unsigned)want_z, 0)};
    LLVMBuildCall2(g->b, LLVMGlobalGetValueType(k->pre), k->pre, args, 3, "");
    if (g->c->n_params > 0)
        LLVMBuildMemCpy(g->b, copy, 8, g->params, g->esize, bytes);
    LLVMBuildStore(g->b, tag, key);
    LLVMBuildBr(g->b, done);
    LLVMPositionBuilderAtEnd(g->b, done);
}

/* rt_vjp_fn, and with keep rt_vjp_kept_fn (one more pointer: the kept states). */
static LLVMTypeRef vjp_type(cg *g, int keep) {
    LLVMTypeRef a[8] = {g->ptr, g->ptr, g->ptr, g->ptr, g->ptr, g->i64, g->ptr, g->ptr};
    return LLVMFunctionType(g->voidt, a, keep ? 8 : 7, 0);
}

/* The kept-state pair (rt_circuit.h): states[group][2 * 2^n * W] of one call, group = base /
 * W, so a group's state starts base * 2^(n+1) elements in. */
static LLVMValueRef group_state(cg *g, LLVMValueRef states, LLVMValueRef base) {
    /* amplitudes in the lanes: sample base's state, 2^(n+1) W elements, the same bytes */
    LLVMValueRef off = LLVMBuildMul(g->b, base, cg_i64(g, 2 * g->N * (g->amp ? g->W : 1)), "");
    return LLVMBuildGEP2(g->b, g->T, states, &off, 1, "state");
}

static LLVMValueRef state_size(cg *g) { return cg_i64(g, 2 * g->N * g->W * (int64_t)g->esize); }

/* if (cond) { <then> } as two blocks; returns the join block, the builder in the then block. */
static LLVMBasicBlockRef begin_if(cg *g, LLVMValueRef cond, const char *what) {
    LLVMBasicBlockRef yes = LLVMAppendBasicBlockInContext(g->ctx, g->fn, what);
    LLVMBasicBlockRef join = LLVMAppendBasicBlockInContext(g->ctx, g->fn, "join");
    LLVMBuildCondBr(g->b, cond, yes, join);
    LLVMPositionBuilderAtEnd(g->b, yes);
    return join;
}

static void end_if(cg *g, LLVMBasicBlockRef join) {
    LLVMBuildBr(g->b, join);
    LLVMPositionBuilderAtEnd(g->b, join);
}

/* fn(args..., NULL) under name: the plain entry point of a kept-state function (the ABI of
 * rt_forward_fn / rt_vjp_fn, which native builds and the Python bridge call). */
static void emit_plain_wrapper(cg *g, const char *name, LLVMValueRef kfn, int nargs,
                               const cg_fn_target *ft) {
    LLVMTypeRef kty = LLVMGlobalGetValueType(kfn);
    LLVMTypeRef a[8];
    LLVMGetParamTypes(kty, a);
    LLVMValueRef fn = cg_new_fn(g, name, LLVMFunctionType(g->voidt, a, (unsigned)nargs, 0), ft, 0);
    LLVMBasicBlockRef bb = LLVMAppendBasicBlockInContext(g->ctx, fn, "entry");
    LLVMPositionBuilderAtEnd(g->b, bb);
    LLVMValueRef args[8];
    for (int i = 0; i < nargs; i++)
        args[i] = LLVMGetParam(fn, (unsigned)i);
    args[nargs] = LLVMConstPointerNull(g->ptr);
    LLVMValueRef call = LLVMBuildCall2(g->b, kty, kfn, args, (unsigned)nargs + 1, "");
    LLVMSetTailCall(call, 1);
    LLVMBuildRetVoid(g->b);
}

/* In the main layout's entry point fn (nargs arguments, B the batch-size argument): calls
 * with fewer samples than the amplitude layout needs to pay off (B amp_ops < W main_ops:
 * one sample there costs its sweeps over a state W times smaller) go to that layout's
 * function of the same signature, `to`. */
static void amp_dispatch(cg *g, LLVMValueRef fn, const char *to, int nargs, int B_arg) {
    if (!g->amp_to)
        return;
    LLVMValueRef target = LLVMGetNamedFunction(g->mod, to);
    if (!target) {
        cg_fail(g, "internal error: no function %s", to);
        return;
    }
    LLVMValueRef B = LLVMGetParam(fn, (unsigned)B_arg);
    LLVMValueRef cost = LLVMBuildMul(g->b, B, cg_i64(g, g->amp_ops), "");
    LLVMValueRef few = LLVMBuildAnd(
        g->b, LLVMBuildICmp(g->b, LLVMIntSGT, B, cg_i64(g, 0), ""),
        LLVMBuildICmp(g->b, LLVMIntSLT, cost, cg_i64(g, g->W * g->main_ops), ""), "few");
    LLVMBasicBlockRef join = begin_if(g, few, "lanes.amp");
    LLVMValueRef args[8];
    for (int i = 0; i < nargs; i++)
        args[i] = LLVMGetParam(fn, (unsigned)i);
    LLVMBuildCall2(g->b, LLVMGlobalGetValueType(target), target, args, (unsigned)nargs, "");
    LLVMBuildRetVoid(g->b);
    LLVMPositionBuilderAtEnd(g->b, join);
}

/* Sums the lanes of region[0 .. nvec) into every lane (the amplitude layout's outputs and
 * input gradients; cg_store_rows then writes lane 0). */
static void amp_reduce(cg *g, LLVMValueRef region, int nvec) {
    if (!g->amp || nvec == 0)
        return;
    cg_loop l;
    LLVMValueRef i = cg_loop_begin(g, &l, cg_i64(g, nvec));
    cg_vstore(g, region, i, cg_splat(g, cg_lane_sum(g, cg_vload(g, region, i))));
    cg_loop_end(g, &l);
}

/* The forward function; with keep, <p>_forwardK(..., states) copies each group's final state
 * to states (when not NULL) and <p>_forward calls it with NULL. */
static LLVMValueRef build_forward(cg *g, const kernels *k, const cg_info *inf,
                                  const cg_fn_target *ft, const step_plan_t *fp) {
    int keep = inf->state_bytes > 0;
    LLVMTypeRef a[6] = {g->ptr, g->ptr, g->ptr, g->i64, g->ptr, g->ptr};
    LLVMValueRef fn = cg_new_fn(g, keep ? inf->forward_keep_name : inf->forward_name,
                                LLVMFunctionType(g->voidt, a, keep ? 6 : 5, 0), ft, 0);
    add_attr(g, fn, 5, "noalias"); /* work: private scratch */
    cg_begin_fn(g, fn, LLVMGetParam(fn, 4), 1);
    if (g->amp_to)
        amp_dispatch(g, fn, keep ? g->amp_to->forward_keep_name : g->amp_to->forward_name,
                     keep ? 6 : 5, 3);
    g->params = LLVMGetParam(fn, 0);
    call_pre(g, k, 0);
    cg_loop l;
    LLVMValueRef base, rem;
    cg_groups_begin(g, &l, LLVMGetParam(fn, 3), &base, &rem);
    cg_load_rows(g, LLVMGetParam(fn, 1), g->c->n_inputs, g->xin, base, rem, 0);
    cg_init_state(g, g->psi);
    emit_steps(g, k, fp, 0, NULL, NULL);
    if (keep) { /* the state the vjp's un-computation starts from */
        LLVMValueRef states = LLVMGetParam(fn, 5);
        LLVMBasicBlockRef join = begin_if(g, LLVMBuildIsNotNull(g->b, states, ""), "keep");
        LLVMBuildMemCpy(g->b, group_state(g, states, base), g->esize, g->psi, 64, state_size(g));
        end_if(g, join);
    }
    val *out = calloc((size_t)g->c->n_obs + 1, sizeof *out);
    if (!out) {
        cg_fail(g, "out of memory");
        return fn;
    }
    cg_observables(g, g->psi, out);
    for (int o = 0; o < g->c->n_obs; o++) /* staged in the gout region, then transposed */
        cg_vstore(g, g->gout, cg_i64(g, o), out[o]);
    free(out);
    amp_reduce(g, g->gout, g->c->n_obs);
    cg_store_rows(g, LLVMGetParam(fn, 2), g->c->n_obs, g->gout, base, rem);
    cg_loop_end(g, &l);
    LLVMBuildRetVoid(g->b);
    cg_end_fn(g);
    if (keep)
        emit_plain_wrapper(g, inf->forward_name, fn, 5, ft);
    return fn;
}

/* Prologue and group set-up shared by both vjp flavours. */
static LLVMValueRef vjp_begin(cg *g, const char *name, const cg_fn_target *ft, cg_loop *l,
                              LLVMValueRef *base, LLVMValueRef *rem, const kernels *k,
                              LLVMTypeRef fty) {
    LLVMValueRef fn = cg_new_fn(g, name, fty, ft, 0);
    add_attr(g, fn, 7, "noalias");
    cg_begin_fn(g, fn, LLVMGetParam(fn, 6), 1);
    if (g->amp_to) { /* the same flavour and signature in the amplitude layout */
        int keep = LLVMCountParams(fn) == 8;
        amp_dispatch(g, fn, keep ? g->amp_to->vjp_kept_name : g->amp_to->vjp_name,
                     keep ? 8 : 7, 5);
    }
    g->params = LLVMGetParam(fn, 0);
    if (k)
        call_pre(g, k, 1);
    cg_zero_region(g, g->gp, g->c->n_params);
    cg_groups_begin(g, l, LLVMGetParam(fn, 5), base, rem);
    cg_load_rows(g, LLVMGetParam(fn, 1), g->c->n_inputs, g->xin, *base, *rem, 0);
    /* co-states of padding lanes are zero; in the amplitude layout every lane is the sample's */
    cg_load_rows(g, LLVMGetParam(fn, 2), g->c->n_obs, g->gout, *base, *rem, !g->amp);
    cg_zero_region(g, g->gi, g->c->n_inputs);
    return fn;
}

static void vjp_end(cg *g, LLVMValueRef fn, cg_loop *l, LLVMValueRef base, LLVMValueRef rem) {
    if (g->c->n_inputs > 0) { /* grad_inputs may be NULL */
        LLVMValueRef gin = LLVMGetParam(fn, 4);
        LLVMBasicBlockRef yes = LLVMAppendBasicBlockInContext(g->ctx, g->fn, "gin");
        LLVMBasicBlockRef join = LLVMAppendBasicBlockInContext(g->ctx, g->fn, "gin.done");
        LLVMBuildCondBr(g->b, LLVMBuildIsNotNull(g->b, gin, ""), yes, join);
        LLVMPositionBuilderAtEnd(g->b, yes);
        amp_reduce(g, g->gi, g->c->n_inputs);
        cg_store_rows(g, gin, g->c->n_inputs, g->gi, base, rem);
        LLVMBuildBr(g->b, join);
        LLVMPositionBuilderAtEnd(g->b, join);
    }
    cg_loop_end(g, l);
    cg_finish_params(g, LLVMGetParam(fn, 3));
    LLVMBuildRetVoid(g->b);
    cg_end_fn(g);
}

/* The adjoint vjp; with keep, <p>_vjpK(..., states) starts each group from its kept final
 * state (when states is not NULL) instead of re-running the forward simulation, and <p>_vjp
 * calls it with NULL. Both starts give the same bits: the forward function and this
 * function's forward half run the same kernels in the same order (one step table). */
static void build_vjp(cg *g, const kernels *k, const cg_info *inf, const cg_fn_target *ft,
                      const step_plan_t *fp) {
    int keep = inf->state_bytes > 0;
    const char *name = inf->vjp_name;
    cg_loop l;
    LLVMValueRef base, rem;
    direct_acc acc = {NULL, NULL};
    direct_acc_build(g, k, name, ft, &acc);
    char buf[240];
    snprintf(buf, sizeof buf, "%sS", name);
    step_plan_t bp;
    step_plan_build(g, k, 1, &acc, buf, &bp);
    LLVMValueRef fn = vjp_begin(g, keep ? inf->vjp_kept_name : name, ft, &l, &base, &rem, k,
                                vjp_type(g, keep));
    LLVMValueRef dout = NULL;
    if (k->max_occ > 0) {
        dout = cg_alloca(g, LLVMArrayType2(g->VT, (uint64_t)k->max_occ));
        LLVMSetAlignment(dout, g->valign);
    }
    if (keep) {
        LLVMValueRef states = LLVMGetParam(fn, 7);
        LLVMBasicBlockRef kept = LLVMAppendBasicBlockInContext(g->ctx, g->fn, "kept");
        LLVMBasicBlockRef run = LLVMAppendBasicBlockInContext(g->ctx, g->fn, "rerun");
        LLVMBasicBlockRef join = LLVMAppendBasicBlockInContext(g->ctx, g->fn, "started");
        LLVMBuildCondBr(g->b, LLVMBuildIsNotNull(g->b, states, ""), kept, run);
        LLVMPositionBuilderAtEnd(g->b, kept);
        LLVMBuildMemCpy(g->b, g->psi, 64, group_state(g, states, base), g->esize, state_size(g));
        LLVMBuildBr(g->b, join);
        LLVMPositionBuilderAtEnd(g->b, run);
        cg_init_state(g, g->psi);
        emit_steps(g, k, fp, 0, NULL, NULL);
        LLVMBuildBr(g->b, join);
        LLVMPositionBuilderAtEnd(g->b, join);
        cg_memo_reset(g); /* nothing computed in one branch is reused after the join */
    } else {
        cg_init_state(g, g->psi);
        emit_steps(g, k, fp, 0, NULL, NULL);
    }
    cg_seed_lambda(g);
    emit_steps(g, k, &bp, 1, dout, &acc);
    vjp_end(g, fn, &l, base, rem);
    step_plan_free(&bp);
    free(acc.first);
    if (keep)
        emit_plain_wrapper(g, name, fn, 7, ft);
}

/* Shots: the shifted run's exact outputs (single Pauli products and probabilities, shots.h)
 * go to the runtime's qnn_shots_sim(f), which returns sum_o gout_o * (N-shot estimate of
 * output o) per lane, each lane's sample drawn from its own seeded stream (rt_shots.h). */
static val sampled_outputs(cg *g, LLVMValueRef slot, LLVMValueRef t, LLVMValueRef base) {
    int n = g->c->n_obs;
    val *out = calloc((size_t)n + 1, sizeof *out);
    if (!out) {
        cg_fail(g, "out of memory");
        return cg_splat(g, cg_k(g, 0.0));
    }
    cg_observables(g, g->psi, out);
    LLVMValueRef vals = cg_alloca(g, LLVMArrayType2(g->VT, (uint64_t)(n > 0 ? n : 1)));
    LLVMValueRef res = cg_alloca(g, g->VT);
    LLVMSetAlignment(vals, g->valign);
    LLVMSetAlignment(res, g->valign);
    for (int o = 0; o < n; o++)
        cg_vstore(g, vals, cg_i64(g, o), cg_zero_if_null(g, out[o]));
    free(out);
    const char *fname = g->esize == 4 ? "qnn_shots_simf" : "qnn_shots_sim";
    LLVMTypeRef at[8] = {g->ptr, g->ptr, g->i32, g->i32, g->i32, g->i64, g->i64, g->ptr};
    LLVMTypeRef fty = LLVMFunctionType(g->voidt, at, 8, 0);
    LLVMValueRef f = LLVMGetNamedFunction(g->mod, fname);
    if (!f)
        f = LLVMAddFunction(g->mod, fname, fty);
    LLVMValueRef args[8] = {vals, g->gout, LLVMConstInt(g->i32, (unsigned)n, 0), slot, t, base,
                            cg_i64(g, g->W), res};
    LLVMBuildCall2(g->b, fty, f, args, 8, "");
    return LLVMBuildLoad2(g->b, g->VT, res, "");
}

/* Parameter shift. <prefix>_sim(work, params, slot, shift) runs one lane group's circuit with
 * angle occurrence `slot` shifted by `shift` and returns sum_o gout_o <O_o> per lane; the vjp
 * combines 2 (generator eigenvalues +-1/2, and PhaseShift/CPHASE up to a global phase) or 4
 * (controlled rotations: eigenvalues 0, +-1/2) such runs per occurrence. */
static LLVMValueRef build_sim(cg *g, const kernels *k, const char *name,
                              const cg_fn_target *ft) {
    /* with shots also (t, base): which of the slot's runs, and the group's first sample */
    LLVMTypeRef a[7] = {g->ptr, g->ptr, g->i32, g->T, g->ptr, g->i32, g->i64};
    LLVMValueRef fn = cg_new_fn(g, name, LLVMFunctionType(g->VT, a, g->opt.shots ? 7 : 5, 0), ft, 1);
    cg_begin_fn(g, fn, LLVMGetParam(fn, 0), 0);
    g->params = LLVMGetParam(fn, 1);
    cg_init_state(g, g->psi);
    for (int oi = 0; oi < g->c->n_ops; oi++)
        call_sim_kernel(g, k->sim[oi], LLVMGetParam(fn, 2), LLVMGetParam(fn, 3));
    if (g->opt.shots) {
        LLVMBuildRet(g->b, sampled_outputs(g, LLVMGetParam(fn, 2), LLVMGetParam(fn, 5),
                                           LLVMGetParam(fn, 6)));
        cg_end_fn(g);
        return fn;
    }
    val L = cg_weighted_outputs(g, g->psi, LLVMGetParam(fn, 4));
    LLVMBuildRet(g->b, cg_splat(g, cg_zero_if_null(g, L)));
    cg_end_fn(g);
    return fn;
}

static void build_vjp_shift(cg *g, const kernels *k, const char *name, const char *sim_name,
                            const cg_fn_target *ft) {
    static const double PI = 3.14159265358979323846, R2 = 1.41421356237309504880;
    const double c1 = (R2 + 1) / (4 * R2), c2 = (R2 - 1) / (4 * R2);
    const double sh2[2] = {PI / 2, -PI / 2}, co2[2] = {0.5, -0.5};
    const double sh4[4] = {PI / 2, -PI / 2, 3 * PI / 2, -3 * PI / 2}, co4[4] = {c1, -c1, -c2, c2};
    LLVMValueRef sim = build_sim(g, k, sim_name, ft);
    cg_loop l;
    LLVMValueRef base, rem;
    LLVMValueRef fn = vjp_begin(g, name, ft, &l, &base, &rem, NULL, vjp_type(g, 0));
    /* Variances are not linear in the state: the shifted runs measure them linearised at
     * the unshifted means <O>, computed once per lane group (a run with no slot shifted). */
    int n_var = cg_n_var(g);
    LLVMValueRef means = cg_alloca(g, LLVMArrayType2(g->VT, (uint64_t)(n_var > 0 ? n_var : 1)));
    LLVMSetAlignment(means, g->valign);
    if (n_var > 0) {
        cg_init_state(g, g->psi);
        for (int oi = 0; oi < g->c->n_ops; oi++)
            call_sim_kernel(g, k->sim[oi], LLVMConstInt(g->i32, (unsigned long long)-1, 1),
                            cg_k(g, 0.0));
        cg_var_means(g, g->psi, means);
    }
    for (int s = 0; s < g->n_occ && !g->failed; s++) {
        const cg_occ *o = &g->occ[s];
        ir_gate gt = o->prim->gate;
        int four = gt == IR_CRX || gt == IR_CRY || gt == IR_CRZ;
        val d = NULL;
        for (int t = 0; t < (four ? 4 : 2); t++) {
            LLVMValueRef args[7] = {g->work, g->params, LLVMConstInt(g->i32, (unsigned)s, 0),
                                    cg_k(g, four ? sh4[t] : sh2[t]), means,
                                    LLVMConstInt(g->i32, (unsigned)t, 0), base};
            val f = LLVMBuildCall2(g->b, LLVMGlobalGetValueType(sim), sim, args,
                                   g->opt.shots ? 7 : 5, "");
            d = cg_add(g, d, cg_mul(g, f, cg_k(g, four ? co4[t] : co2[t])));
        }
        cg_memo_reset(g);
        cg_chain(g, o->prim->angle[o->k], d);
    }
    vjp_end(g, fn, &l, base, rem);
}

/* The owner slot of op oi in a table of [gate][wires[0] + 1][wires[1] + 1] when oi is a
 * primitive gate without angles (its kernels are then those of any op with the same gate
 * and wires), NULL otherwise. */
static int *fixed_key(const ir_circuit *c, int oi, int *table) {
    const ir_op *op = &c->ops[oi];
    int fixed = op->gate < IR_RX || (op->gate >= IR_CNOT && op->gate <= IR_SWAP);
    if (!fixed || op->n_members || op->angle[0] >= 0 || op->wires[0] < 0 ||
        op->wires[0] >= IR_MAX_QUBITS || op->wires[1] >= IR_MAX_QUBITS)
        return NULL;
    size_t w = IR_MAX_QUBITS + 1;
    return &table[((size_t)op->gate * w + (size_t)(op->wires[0] + 1)) * w +
                  (size_t)(op->wires[1] + 1)];
}

/* An earlier op that is a merged lane swap of the same pairs as op oi, or -1. */
static int same_lane_swaps(const ir_circuit *c, int oi) {
    const ir_op *op = &c->ops[oi];
    if (op->gate != IR_SWAP || op->n_members == 0)
        return -1;
    for (int j = 0; j < oi; j++) {
        const ir_op *o = &c->ops[j];
        if (o->gate != IR_SWAP || o->n_members != op->n_members)
            continue;
        int eq = 1;
        for (int i = 0; i < op->n_members && eq; i++) {
            const ir_op *a = &c->members[op->first_member + i], *b = &c->members[o->first_member + i];
            eq = a->wires[0] == b->wires[0] && a->wires[1] == b->wires[1];
        }
        if (eq)
            return j;
    }
    return -1;
}

LLVMValueRef cg_emit_functions(cg *g, const char *prefix, const cg_info *inf,
                               const cg_fn_target *ft) {
    int n = g->c->n_ops;
    kernels k;
    k.fwd = calloc((size_t)n + 1, sizeof *k.fwd);
    k.bwd = calloc((size_t)n + 1, sizeof *k.bwd);
    k.sim = calloc((size_t)n + 1, sizeof *k.sim);
    k.tab = calloc((size_t)n + 1, sizeof *k.tab);
    k.max_occ = 0;
    LLVMValueRef fwd = NULL;
    char name[200];
    if (!k.fwd || !k.bwd || !k.sim || !k.tab) {
        cg_fail(g, "out of memory");
        goto out;
    }
    snprintf(name, sizeof name, "%s_pre", prefix);
    k.pre = emit_pre(g, name, ft); /* first: assigns the shared-table slots */
    cg_emit_shared(g, &k, prefix, ft);
    /* Fixed gates (CNOT, CZ, H, ...) have no angles: their kernels depend only on the gate
     * and its wires, so every op of the same gate on the same wires calls the first one's
     * kernels. Without this, the CNOT ring of each StronglyEntanglingLayers layer cost 16
     * new functions per layer, and compile time per layer (mostly instruction selection)
     * followed the circuit's depth (docs/performance.md). */
    enum { W = IR_MAX_QUBITS + 1 };
    int *fixed_owner = malloc(sizeof *fixed_owner * (size_t)IR_GATE_COUNT * W * W);
    if (!fixed_owner) {
        cg_fail(g, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < (size_t)IR_GATE_COUNT * W * W; i++)
        fixed_owner[i] = -1;
    for (int oi = 0; oi < n && !g->failed; oi++) {
        if (k.tab[oi] >= 0)
            continue;
        int *owner = fixed_key(g->c, oi, fixed_owner);
        if (owner && *owner >= 0) {
            k.fwd[oi] = k.fwd[*owner];
            k.bwd[oi] = k.bwd[*owner];
            k.sim[oi] = k.sim[*owner];
            continue;
        }
        int same = same_lane_swaps(g->c, oi);
        if (same >= 0) { /* merged lane swaps of the same pairs (cg_amp.c) */
            k.fwd[oi] = k.fwd[same];
            k.bwd[oi] = k.bwd[same];
            k.sim[oi] = k.sim[same];
            continue;
        }
        if (owner)
            *owner = oi;
        k.fwd[oi] = emit_fwd_kernel(g, oi, prefix, 0, ft);
        if (g->opt.grad == CG_GRAD_SHIFT)
            k.sim[oi] = emit_fwd_kernel(g, oi, prefix, 1, ft);
        else
            k.bwd[oi] = emit_bwd_kernel(g, oi, prefix, ft);
    }
    free(fixed_owner);
    if (g->failed)
        goto out;
    /* one forward table, used by the forward function and the vjp's forward half */
    snprintf(name, sizeof name, "%s_steps", prefix);
    step_plan_t fp;
    step_plan_build(g, &k, 0, NULL, name, &fp);
    fwd = build_forward(g, &k, inf, ft, &fp);
    snprintf(name, sizeof name, "%s_sim", prefix);
    if (g->opt.grad == CG_GRAD_SHIFT)
        build_vjp_shift(g, &k, inf->vjp_name, name, ft);
    else
        build_vjp(g, &k, inf, ft, &fp);
    step_plan_free(&fp);
out:
    free(k.fwd);
    free(k.bwd);
    free(k.sim);
    free(k.tab);
    return fwd;
}

/* <prefix>_info: {format 1, n_qubits, n_inputs, n_outputs, n_params, precision, lanes,
 * work_bytes}, so that an object file describes itself. */
void cg_build_info(cg *g, const char *name, size_t work_bytes) {
    const ir_circuit *c = g->c;
    int64_t v[8] = {1, c->n_qubits, c->n_inputs, c->n_obs, c->n_params, g->opt.precision,
                    g->W, (int64_t)work_bytes};
    LLVMValueRef k[8];
    for (int i = 0; i < 8; i++)
        k[i] = cg_i64(g, v[i]);
    LLVMTypeRef at = LLVMArrayType2(g->i64, 8);
    LLVMValueRef gv = LLVMAddGlobal(g->mod, at, name);
    LLVMSetInitializer(gv, LLVMConstArray2(g->i64, k, 8));
    LLVMSetGlobalConstant(gv, 1);
}

