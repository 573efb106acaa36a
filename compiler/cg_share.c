/* Code generator, part 5: kernels shared between ops (see the comment below); the rest of
 * the module's functions are in cg_fn.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cg_internal.h"

/* ---- kernels shared between ops ---------------------------------------------------------
 * Ops with cached matrices (every Rot, RY, ... of parameters only) differ only in where
 * their matrices live in the shared table and in the expressions their gradients chain
 * into. Their kernels take the table address as an argument (slots relative to the op's
 * first slot), and the backward kernel stores dL/da per angle for the caller to chain. So
 * one kernel serves every op of the same gate, wires and matrix structure: the 48 RY sweeps
 * of the 8-qubit QIREN layer need 8 forward and 8 backward kernels, not 48 + 48. That cut
 * the compile time (mostly LLVM's instruction selection) by about a third
 * (docs/performance.md). */

static int shareable(const cg *g, int oi) {
    const ir_op *op = &g->c->ops[oi];
    const cg_opinfo *in = &g->ops[oi];
    return g->opt.grad != CG_GRAD_SHIFT && in->shared && in->cached && in->n_occ > 0 &&
           !(op->gate == IR_FUSED_DIAG && in->part) && op->gate != IR_SWAP &&
           op->gate != IR_FUSED_2Q && /* its 4x4 descs are not in the signature */
           op->gate != IR_FUSED_BLOCK && /* builds its members' matrices itself */
           !cg_op_is_noop(op);
}

static void desc_shift(cmat_desc *d, long by, long *lo) {
    for (int i = 0; i < 8; i++)
        if (d->c[i].kind == CC_SLOT) {
            if (lo && (long)d->c[i].slot < *lo)
                *lo = (long)d->c[i].slot;
            if (!lo)
                d->c[i].slot = (size_t)((long)d->c[i].slot + by);
        }
}

/* A cached FUSED_DIAG's one slot is its phase table (its U and Z are unused). */
static long first_slot(const cg *g, int oi) {
    const cg_opinfo *in = &g->ops[oi];
    if (g->c->ops[oi].gate == IR_FUSED_DIAG)
        return (long)in->table;
    long lo = (long)1 << 60;
    desc_shift((cmat_desc *)&in->U, 0, &lo);
    for (int i = 0; i < in->n_occ; i++)
        desc_shift(&in->Z[i], 0, &lo);
    return lo == (long)1 << 60 ? 0 : lo;
}

static void rebase(cg *g, int oi, long by) {
    cg_opinfo *in = &g->ops[oi];
    if (g->c->ops[oi].gate == IR_FUSED_DIAG) {
        in->table = (size_t)((long)in->table + by);
        return;
    }
    desc_shift(&in->U, by, NULL);
    for (int i = 0; i < in->n_occ; i++)
        desc_shift(&in->Z[i], by, NULL);
}

/* What makes two shareable ops' kernels identical (slots already relative). */
static char *signature(const cg *g, int oi) {
    const ir_op *op = &g->c->ops[oi];
    const cg_opinfo *in = &g->ops[oi];
    size_t cap = (size_t)(in->n_occ + 2) * 8 * 40 + (size_t)op->n_members * 48 + 64, n = 0;
    char *s = malloc(cap);
    if (!s)
        return NULL;
    n += (size_t)snprintf(s + n, cap - n, "%d %d %d %d %d|", (int)op->gate, op->wires[0],
                          op->wires[1], in->n_occ, op->n_members);
    for (int d = -1; d < in->n_occ; d++) {
        const cmat_desc *m = d < 0 ? &in->U : &in->Z[d];
        if (d >= 0)
            n += (size_t)snprintf(s + n, cap - n, "k%d", g->occ[in->first_occ + d].k);
        for (int i = 0; i < 8; i++)
            n += (size_t)snprintf(s + n, cap - n, "%d:%a:%zu,", (int)m->c[i].kind,
                                  m->c[i].kind == CC_CONST ? m->c[i].k : 0.0,
                                  m->c[i].kind == CC_SLOT ? m->c[i].slot : (size_t)0);
    }
    /* a diagonal's kernels follow its members (gate, wires, parity mask); its table is
     * the one slot, at 0 once rebased */
    for (int j = 0; op->gate == IR_FUSED_DIAG && j < op->n_members; j++) {
        const ir_op *m = &g->c->members[op->first_member + j];
        n += (size_t)snprintf(s + n, cap - n, "m%d,%d,%d,%lu;", (int)m->gate, m->wires[0],
                              m->wires[1], (unsigned long)m->mask);
    }
    if (op->gate == IR_FUSED_DIAG)
        n += (size_t)snprintf(s + n, cap - n, "t%zu", in->table);
    return s;
}

/* Forward and backward kernels of shareable op oi (slots relative to its first one). */
static void emit_shared_kernels(cg *g, int oi, const char *prefix, int id,
                                const cg_fn_target *ft, LLVMValueRef *fwd, LLVMValueRef *bwd) {
    char name[200];
    snprintf(name, sizeof name, "%s_F%d", prefix, id);
    LLVMTypeRef a[4] = {g->ptr, g->ptr, g->ptr, g->ptr};
    *fwd = cg_new_fn(g, name, LLVMFunctionType(g->voidt, a, 3, 0), ft, 1);
    cg_begin_fn(g, *fwd, LLVMGetParam(*fwd, 0), 0);
    g->params = LLVMGetParam(*fwd, 1);
    g->shtab = LLVMGetParam(*fwd, 2);
    g->use_cache = 1;
    cg_fwd_op(g, oi);
    LLVMBuildRetVoid(g->b);
    cg_end_fn(g);
    snprintf(name, sizeof name, "%s_B%d", prefix, id);
    *bwd = cg_new_fn(g, name, LLVMFunctionType(g->voidt, a, 4, 0), ft, 1);
    cg_begin_fn(g, *bwd, LLVMGetParam(*bwd, 0), 0);
    g->params = LLVMGetParam(*bwd, 1);
    g->shtab = LLVMGetParam(*bwd, 2);
    g->dout = LLVMGetParam(*bwd, 3);
    g->use_cache = 1;
    cg_bwd_op(g, oi);
    g->dout = NULL;
    LLVMBuildRetVoid(g->b);
    cg_end_fn(g);
}

/* Assigns shared kernels to every shareable op, emitting one pair per distinct signature. */
void cg_emit_shared(cg *g, cg_kernels *k, const char *prefix, const cg_fn_target *ft) {
    int n = g->c->n_ops, n_sig = 0;
    char **sigs = calloc((size_t)n + 1, sizeof *sigs);
    int *owner = calloc((size_t)n + 1, sizeof *owner);
    if (!sigs || !owner) {
        cg_fail(g, "out of memory");
        free(sigs);
        free(owner);
        return;
    }
    for (int oi = 0; oi < n && !g->failed; oi++) {
        k->tab[oi] = -1;
        if (!shareable(g, oi))
            continue;
        cg_opinfo *in = &g->ops[oi];
        long base = first_slot(g, oi);
        rebase(g, oi, -base);
        char *sig = signature(g, oi);
        int j = 0;
        while (sig && j < n_sig && strcmp(sigs[j], sig))
            j++;
        if (!sig) {
            cg_fail(g, "out of memory");
        } else if (j < n_sig) {
            free(sig);
            k->fwd[oi] = k->fwd[owner[j]];
            k->bwd[oi] = k->bwd[owner[j]];
        } else {
            sigs[n_sig] = sig;
            owner[n_sig++] = oi;
            emit_shared_kernels(g, oi, prefix, n_sig - 1, ft, &k->fwd[oi], &k->bwd[oi]);
        }
        rebase(g, oi, base);
        k->tab[oi] = base;
        if (in->n_occ > k->max_occ)
            k->max_occ = in->n_occ;
    }
    for (int j = 0; j < n_sig; j++)
        free(sigs[j]);
    free(sigs);
    free(owner);
}
