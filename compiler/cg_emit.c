/* Code generator, part 1 of 4: the LLVM-building vocabulary that the kernels (cg_ops.c) and
 * the driver (cg.c) are written in: zero-aware scalar/vector arithmetic, complex 2x2
 * matrices, loops and accumulators, angle expressions with their reverse-mode derivatives,
 * and the gate matrices of ir.h's gates (the same formulas as ir_gate_matrix, emitted). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cg_internal.h"

void cg_fail(cg *g, const char *fmt, ...) {
    if (g->failed)
        return; /* the first error is the informative one */
    g->failed = 1;
    if (!g->err || !g->errlen)
        return;
    int n = snprintf(g->err, g->errlen, "circuit '%s': ", g->c->name ? g->c->name : "?");
    if (n < 0 || (size_t)n >= g->errlen)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(g->err + n, g->errlen - (size_t)n, fmt, ap);
    va_end(ap);
}

/* ---- values -------------------------------------------------------------------------- */

val cg_k(cg *g, double v) { return LLVMConstReal(g->T, v); }
val cg_i64(cg *g, int64_t v) { return LLVMConstInt(g->i64, (unsigned long long)v, 1); }

int cg_isvec(val v) {
    return v && LLVMGetTypeKind(LLVMTypeOf(v)) == LLVMVectorTypeKind;
}

val cg_splat(cg *g, val v) {
    if (!v || cg_isvec(v))
        return v;
    if (LLVMIsConstant(v)) {
        LLVMValueRef el[64];
        for (int i = 0; i < g->W; i++)
            el[i] = v;
        return LLVMConstVector(el, (unsigned)g->W);
    }
    LLVMValueRef poison = LLVMGetPoison(g->VT);
    LLVMValueRef ins = LLVMBuildInsertElement(g->b, poison, v, LLVMConstInt(g->i32, 0, 0), "");
    LLVMValueRef mask = LLVMConstNull(LLVMVectorType(g->i32, (unsigned)g->W));
    return LLVMBuildShuffleVector(g->b, ins, poison, mask, "");
}

val cg_zero_if_null(cg *g, val v) { return v ? v : cg_k(g, 0.0); }

/* Multiply-adds may become FMAs (one rounding instead of two): the state kernels are
 * bound by arithmetic, and contraction only makes results more accurate. No other fast-math
 * flag is set, so NaNs, signed zeros and evaluation order stay IEEE. */
static val contract(val v) {
    if (v && LLVMIsAInstruction(v) && LLVMCanValueUseFastMathFlags(v))
        LLVMSetFastMathFlags(v, LLVMFastMathAllowContract);
    return v;
}

/* Scalars meet vectors by splatting: shared values stay scalar as long as possible, so a
 * matrix of a parameter-only gate is computed once, not once per lane. */
static void coerce(cg *g, val *a, val *b) {
    if (cg_isvec(*a) && !cg_isvec(*b))
        *b = cg_splat(g, *b);
    else if (!cg_isvec(*a) && cg_isvec(*b))
        *a = cg_splat(g, *a);
}

val cg_add(cg *g, val a, val b) {
    if (!a)
        return b;
    if (!b)
        return a;
    coerce(g, &a, &b);
    return contract(LLVMBuildFAdd(g->b, a, b, ""));
}

val cg_neg(cg *g, val a) { return a ? contract(LLVMBuildFNeg(g->b, a, "")) : NULL; }

val cg_sub(cg *g, val a, val b) {
    if (!b)
        return a;
    if (!a)
        return cg_neg(g, b);
    coerce(g, &a, &b);
    return contract(LLVMBuildFSub(g->b, a, b, ""));
}

val cg_mul(cg *g, val a, val b) {
    if (!a || !b)
        return NULL;
    coerce(g, &a, &b);
    return contract(LLVMBuildFMul(g->b, a, b, ""));
}

val cg_div(cg *g, val a, val b) {
    if (!a)
        return NULL;
    b = cg_zero_if_null(g, b);
    coerce(g, &a, &b);
    return LLVMBuildFDiv(g->b, a, b, "");
}

val cg_sel(cg *g, LLVMValueRef cond, val a, val b) {
    if (!a && !b)
        return NULL;
    a = cg_zero_if_null(g, a);
    b = cg_zero_if_null(g, b);
    coerce(g, &a, &b);
    return LLVMBuildSelect(g->b, cond, a, b, "");
}

static LLVMValueRef intrinsic(cg *g, const char *name, LLVMTypeRef ty, LLVMValueRef *args,
                              unsigned nargs) {
    unsigned id = LLVMLookupIntrinsicID(name, strlen(name));
    LLVMValueRef fn = LLVMGetIntrinsicDeclaration(g->mod, id, &ty, 1);
    LLVMTypeRef fty = LLVMIntrinsicGetType(g->ctx, id, &ty, 1);
    return LLVMBuildCall2(g->b, fty, fn, args, nargs, "");
}

static void add_fn_attr(cg *g, LLVMValueRef fn, const char *name, uint64_t v) {
    unsigned kind = LLVMGetEnumAttributeKindForName(name, strlen(name));
    LLVMAddAttributeAtIndex(fn, LLVMAttributeFunctionIndex,
                            LLVMCreateEnumAttribute(g->ctx, kind, v));
}

/* libm functions without an LLVM 19 intrinsic (tan, tanh, atan, asin, acos): a declared
 * external call, marked memory(none) so that repeated evaluations are CSE'd. Every name must
 * be in CG_RUNTIME_SYMBOLS. */
static LLVMValueRef libm_call(cg *g, const char *base, LLVMValueRef a) {
    char name[16];
    snprintf(name, sizeof name, "%s%s", base, g->esize == 4 ? "f" : "");
    LLVMTypeRef fty = LLVMFunctionType(g->T, &g->T, 1, 0);
    LLVMValueRef fn = LLVMGetNamedFunction(g->mod, name);
    if (!fn) {
        fn = LLVMAddFunction(g->mod, name, fty);
        add_fn_attr(g, fn, "nounwind", 0);
        add_fn_attr(g, fn, "willreturn", 0);
        add_fn_attr(g, fn, "memory", 0); /* MemoryEffects::none() */
    }
    return LLVMBuildCall2(g->b, fty, fn, &a, 1, "");
}

/* sin or cos of every lane of a vector as a loop of scalar libm calls. LLVM expands
 * llvm.sin on a <W x T> into W inline calls with their spills. At 16 lanes (f32) that was a
 * fifth of the JIT time of the QIREN layer; the loop measured 308 -> 251 ms to compile and
 * 3 % slower per epoch. At 8 lanes (f64) compile time did not move and epochs were 5 %
 * slower, so the loop is used from 16 lanes up (docs/performance.md). */
static val lane_loop(cg *g, const char *name, val a) {
    LLVMValueRef in = cg_alloca(g, g->VT), out = cg_alloca(g, g->VT);
    LLVMBuildStore(g->b, a, in);
    cg_loop l;
    LLVMValueRef i = cg_loop_begin(g, &l, cg_i64(g, g->W));
    LLVMValueRef pin = LLVMBuildGEP2(g->b, g->T, in, &i, 1, "");
    LLVMValueRef x = LLVMBuildLoad2(g->b, g->T, pin, "");
    LLVMValueRef pout = LLVMBuildGEP2(g->b, g->T, out, &i, 1, "");
    LLVMBuildStore(g->b, libm_call(g, name, x), pout);
    cg_loop_end(g, &l);
    return LLVMBuildLoad2(g->b, g->VT, out, "");
}

/* sin or cos of a whole vector through libmvec (cg.h: CG_VECMATH_SYMBOLS), e.g.
 * _ZGVdN4v_sin(<4 x double>) on AVX2: one call instead of W libm calls with their lane
 * extracts, inserts and spills. Declared memory(none), like libm_call, so repeated
 * evaluations are CSE'd. */
static val vecmath_call(cg *g, const char *name, val a) {
    char full[32];
    snprintf(full, sizeof full, "_ZGV%cN%dv_%s%s", g->vecmath, g->W, name, g->esize == 4 ? "f" : "");
    LLVMTypeRef fty = LLVMFunctionType(g->VT, &g->VT, 1, 0);
    LLVMValueRef fn = LLVMGetNamedFunction(g->mod, full);
    if (!fn) {
        fn = LLVMAddFunction(g->mod, full, fty);
        add_fn_attr(g, fn, "nounwind", 0);
        add_fn_attr(g, fn, "willreturn", 0);
        add_fn_attr(g, fn, "memory", 0);
    }
    return LLVMBuildCall2(g->b, fty, fn, &a, 1, "");
}

val cg_math(cg *g, const char *name, val a) {
    a = cg_zero_if_null(g, a);
    int sincos = !strcmp(name, "sin") || !strcmp(name, "cos");
    if (cg_isvec(a) && sincos && g->vecmath)
        return vecmath_call(g, name, a);
    if (cg_isvec(a) && g->W >= 16 && sincos)
        return lane_loop(g, name, a);
    static const char *const intr[] = {"sin", "cos", "exp", "log", "sqrt"};
    for (size_t i = 0; i < sizeof intr / sizeof *intr; i++)
        if (!strcmp(name, intr[i])) {
            char full[32];
            snprintf(full, sizeof full, "llvm.%s", name);
            return intrinsic(g, full, LLVMTypeOf(a), &a, 1);
        }
    if (!cg_isvec(a))
        return libm_call(g, name, a);
    /* Vector argument: one call per lane (per-sample angles only, so W calls per group). */
    LLVMValueRef r = LLVMGetPoison(g->VT);
    for (int l = 0; l < g->W; l++) {
        LLVMValueRef idx = LLVMConstInt(g->i32, (unsigned)l, 0);
        LLVMValueRef x = LLVMBuildExtractElement(g->b, a, idx, "");
        r = LLVMBuildInsertElement(g->b, r, libm_call(g, name, x), idx, "");
    }
    return r;
}

/* atan2(a, b) through libm (LLVM 19 has no llvm.atan2); per lane for vectors, whose
 * operands are splatted to vectors first when only one of them is per-sample. */
static val cg_atan2(cg *g, val a, val b) {
    a = cg_zero_if_null(g, a);
    b = cg_zero_if_null(g, b);
    char name[16];
    snprintf(name, sizeof name, "atan2%s", g->esize == 4 ? "f" : "");
    LLVMTypeRef args[2] = {g->T, g->T};
    LLVMTypeRef fty = LLVMFunctionType(g->T, args, 2, 0);
    LLVMValueRef fn = LLVMGetNamedFunction(g->mod, name);
    if (!fn) {
        fn = LLVMAddFunction(g->mod, name, fty);
        add_fn_attr(g, fn, "nounwind", 0);
        add_fn_attr(g, fn, "willreturn", 0);
        add_fn_attr(g, fn, "memory", 0);
    }
    if (!cg_isvec(a) && !cg_isvec(b)) {
        LLVMValueRef v[2] = {a, b};
        return LLVMBuildCall2(g->b, fty, fn, v, 2, "");
    }
    a = cg_splat(g, a);
    b = cg_splat(g, b);
    LLVMValueRef r = LLVMGetPoison(g->VT);
    for (int l = 0; l < g->W; l++) {
        LLVMValueRef idx = LLVMConstInt(g->i32, (unsigned)l, 0);
        LLVMValueRef v[2] = {LLVMBuildExtractElement(g->b, a, idx, ""),
                             LLVMBuildExtractElement(g->b, b, idx, "")};
        r = LLVMBuildInsertElement(g->b, r, LLVMBuildCall2(g->b, fty, fn, v, 2, ""), idx, "");
    }
    return r;
}

/* ---- complex numbers and 2x2 matrices ------------------------------------------------- */

cval cg_cadd(cg *g, cval a, cval b) {
    cval r = {cg_add(g, a.re, b.re), cg_add(g, a.im, b.im)};
    return r;
}

cval cg_cmul(cg *g, cval a, cval b) {
    cval r = {cg_sub(g, cg_mul(g, a.re, b.re), cg_mul(g, a.im, b.im)),
              cg_add(g, cg_mul(g, a.re, b.im), cg_mul(g, a.im, b.re))};
    return r;
}

cval cg_cconj(cg *g, cval a) {
    cval r = {a.re, cg_neg(g, a.im)};
    return r;
}

cval cg_csel(cg *g, LLVMValueRef cond, cval a, cval b) {
    cval r = {cg_sel(g, cond, a.re, b.re), cg_sel(g, cond, a.im, b.im)};
    return r;
}

cmat cg_ident(cg *g) {
    cmat m;
    memset(&m, 0, sizeof m);
    m.m[0].re = cg_k(g, 1.0);
    m.m[3].re = cg_k(g, 1.0);
    return m;
}

cmat cg_matmul(cg *g, const cmat *a, const cmat *b) {
    cmat r;
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 2; j++)
            r.m[2 * i + j] = cg_cadd(g, cg_cmul(g, a->m[2 * i], b->m[j]),
                                     cg_cmul(g, a->m[2 * i + 1], b->m[2 + j]));
    return r;
}

cmat cg_dagger(cg *g, const cmat *a) {
    cmat r;
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 2; j++)
            r.m[2 * i + j] = cg_cconj(g, a->m[2 * j + i]);
    return r;
}

cmat cg_matsplat(cg *g, const cmat *a) {
    cmat r;
    for (int i = 0; i < 4; i++) {
        r.m[i].re = cg_splat(g, a->m[i].re);
        r.m[i].im = cg_splat(g, a->m[i].im);
    }
    return r;
}

cmat4 cg_ident4(cg *g) {
    cmat4 m;
    memset(&m, 0, sizeof m);
    for (int i = 0; i < 4; i++)
        m.m[5 * i].re = cg_k(g, 1.0);
    return m;
}

cmat4 cg_matmul4(cg *g, const cmat4 *a, const cmat4 *b) {
    cmat4 r;
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 4; j++) {
            cval s = {NULL, NULL};
            for (int k = 0; k < 4; k++)
                s = cg_cadd(g, s, cg_cmul(g, a->m[4 * i + k], b->m[4 * k + j]));
            r.m[4 * i + j] = s;
        }
    return r;
}

cmat4 cg_dagger4(cg *g, const cmat4 *a) {
    cmat4 r;
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 4; j++)
            r.m[4 * i + j] = cg_cconj(g, a->m[4 * j + i]);
    return r;
}

/* Does every angle of primitive op m fold to a constant (no parameter, no input)? */
static int angles_constant(const cg *g, const ir_op *m) {
    int n = m->gate == IR_MULTIRZ ? 1 : ir_gate_n_angles(m->gate);
    for (int k = 0; k < n; k++) {
        const ir_expr *x = &g->c->exprs[m->angle[k]];
        if (x->uses_input || x->uses_param)
            return 0;
    }
    return 1;
}

void cg_pair_mat(cg *g, const ir_op *m, int w0, int w1, const val *ang, int deriv, cmat4 *out) {
    memset(out, 0, sizeof *out);
    int fixed = m->gate != IR_MULTIRZ && ir_gate_n_angles(m->gate) == 0;
    if (fixed || (!g->slot && angles_constant(g, m))) { /* folded at compile time (a shift
                                                         * simulation may shift any angle) */
        double a[3], z[32];
        ir_op_angles(g->c, m, NULL, NULL, a);
        if (ir_pair_matrix(m, w0, w1, a, deriv, z)) {
            cg_fail(g, "code generator: fused2q member %s is not within its pair",
                    ir_gate_name(m->gate));
            return;
        }
        for (int i = 0; i < 16; i++) {
            out->m[i].re = z[2 * i] != 0 ? cg_k(g, z[2 * i]) : NULL;
            out->m[i].im = z[2 * i + 1] != 0 ? cg_k(g, z[2 * i + 1]) : NULL;
        }
        return;
    }
    cmat u;
    if (m->gate == IR_MULTIRZ) { /* RZ's two phases, chosen by the parity of the bits */
        cg_gate_mat(g, IR_RZ, ang, deriv, &u);
        for (int b = 0; b < 4; b++) {
            int p = ((m->mask >> w0 & 1) & (b >> 1)) ^ ((m->mask >> w1 & 1) & b);
            out->m[5 * b] = u.m[p ? 3 : 0];
        }
        return;
    }
    cg_gate_mat(g, m->gate, ang, deriv, &u); /* a controlled gate's target block */
    if (ir_gate_arity(m->gate) == 1) {
        int hi = m->wires[0] == w0, s = hi ? 2 : 1;
        for (int other = 0; other < 2; other++) {
            int base = hi ? other : 2 * other;
            for (int r = 0; r < 2; r++)
                for (int c = 0; c < 2; c++)
                    out->m[4 * (base + r * s) + base + c * s] = u.m[2 * r + c];
        }
        return;
    }
    /* controlled (SWAP has no angles: the constant path): |0><0| (x) I + |1><1| (x) u in
     * the order (control, target); with the control on w1, the bits of both indices swap */
    cmat4 v;
    memset(&v, 0, sizeof v);
    if (deriv < 0)
        v.m[0].re = v.m[5].re = cg_k(g, 1.0);
    v.m[10] = u.m[0];
    v.m[11] = u.m[1];
    v.m[14] = u.m[2];
    v.m[15] = u.m[3];
    static const int sw[4] = {0, 2, 1, 3};
    int same = m->wires[0] == w0;
    for (int r = 0; r < 4; r++)
        for (int c = 0; c < 4; c++)
            out->m[4 * r + c] = same ? v.m[4 * r + c] : v.m[4 * sw[r] + sw[c]];
}

/* ---- memory ---------------------------------------------------------------------------- */

/* Allocas go to the function's first block, where mem2reg/SROA can promote them. */
LLVMValueRef cg_alloca(cg *g, LLVMTypeRef t) {
    LLVMPositionBuilderAtEnd(g->ab, g->alloca_bb);
    return LLVMBuildAlloca(g->ab, t, "");
}

LLVMValueRef cg_region(cg *g, size_t elem_off) {
    LLVMValueRef idx = cg_i64(g, (int64_t)elem_off);
    return LLVMBuildGEP2(g->b, g->T, g->work, &idx, 1, "");
}

val cg_vload(cg *g, LLVMValueRef base, LLVMValueRef idx) {
    LLVMValueRef p = LLVMBuildGEP2(g->b, g->VT, base, &idx, 1, "");
    LLVMValueRef v = LLVMBuildLoad2(g->b, g->VT, p, "");
    LLVMSetAlignment(v, g->valign);
    return v;
}

void cg_vstore(cg *g, LLVMValueRef base, LLVMValueRef idx, val v) {
    LLVMValueRef p = LLVMBuildGEP2(g->b, g->VT, base, &idx, 1, "");
    LLVMValueRef s = LLVMBuildStore(g->b, cg_splat(g, cg_zero_if_null(g, v)), p);
    LLVMSetAlignment(s, g->valign);
}

val cg_sload(cg *g, LLVMValueRef base, LLVMValueRef idx) {
    LLVMValueRef p = LLVMBuildGEP2(g->b, g->T, base, &idx, 1, "");
    LLVMValueRef v = LLVMBuildLoad2(g->b, g->T, p, "");
    LLVMSetAlignment(v, g->esize);
    return v;
}

void cg_sstore(cg *g, LLVMValueRef base, LLVMValueRef idx, val v) {
    LLVMValueRef p = LLVMBuildGEP2(g->b, g->T, base, &idx, 1, "");
    LLVMValueRef s = LLVMBuildStore(g->b, cg_zero_if_null(g, v), p);
    LLVMSetAlignment(s, g->esize);
}

/* ---- loops ------------------------------------------------------------------------------ */

LLVMValueRef cg_loop_begin(cg *g, cg_loop *l, LLVMValueRef count) {
    l->pre = LLVMGetInsertBlock(g->b);
    l->cond = LLVMAppendBasicBlockInContext(g->ctx, g->fn, "loop");
    l->body = LLVMAppendBasicBlockInContext(g->ctx, g->fn, "body");
    l->exit = LLVMAppendBasicBlockInContext(g->ctx, g->fn, "done");
    LLVMBuildBr(g->b, l->cond);
    LLVMPositionBuilderAtEnd(g->b, l->cond);
    l->iv = LLVMBuildPhi(g->b, g->i64, "i");
    LLVMValueRef zero = cg_i64(g, 0);
    LLVMAddIncoming(l->iv, &zero, &l->pre, 1);
    LLVMValueRef more = LLVMBuildICmp(g->b, LLVMIntSLT, l->iv, count, "");
    LLVMBuildCondBr(g->b, more, l->body, l->exit);
    LLVMPositionBuilderAtEnd(g->b, l->body);
    return l->iv;
}

void cg_loop_end(cg *g, cg_loop *l) {
    LLVMBasicBlockRef last = LLVMGetInsertBlock(g->b);
    LLVMValueRef next = LLVMBuildNUWAdd(g->b, l->iv, cg_i64(g, 1), "");
    LLVMBuildBr(g->b, l->cond);
    LLVMAddIncoming(l->iv, &next, &last, 1);
    LLVMPositionBuilderAtEnd(g->b, l->exit);
}

LLVMValueRef cg_insert0(cg *g, LLVMValueRef v, int pos) {
    LLVMValueRef hi = LLVMBuildShl(g->b, LLVMBuildLShr(g->b, v, cg_i64(g, pos), ""),
                                   cg_i64(g, pos + 1), "");
    if (pos == 0)
        return hi;
    LLVMValueRef lo = LLVMBuildAnd(g->b, v, cg_i64(g, ((int64_t)1 << pos) - 1), "");
    return LLVMBuildOr(g->b, hi, lo, "");
}

LLVMValueRef cg_bit(cg *g, LLVMValueRef v, int pos) {
    LLVMValueRef m = LLVMBuildAnd(g->b, v, cg_i64(g, (int64_t)1 << pos), "");
    return LLVMBuildICmp(g->b, LLVMIntNE, m, cg_i64(g, 0), "");
}

LLVMValueRef cg_acc_new(cg *g) {
    LLVMValueRef a = cg_alloca(g, g->VT);
    LLVMBuildStore(g->b, LLVMConstNull(g->VT), a);
    return a;
}

void cg_acc_add(cg *g, LLVMValueRef acc, val v) {
    if (!v)
        return;
    LLVMValueRef old = LLVMBuildLoad2(g->b, g->VT, acc, "");
    LLVMBuildStore(g->b, cg_add(g, old, cg_splat(g, v)), acc);
}

val cg_acc_get(cg *g, LLVMValueRef acc) { return LLVMBuildLoad2(g->b, g->VT, acc, ""); }

/* ---- angle expressions ------------------------------------------------------------------ */

void cg_memo_reset(cg *g) {
    memset(g->memo, 0, sizeof *g->memo * (size_t)(g->c->n_exprs > 0 ? g->c->n_exprs : 1));
}

/* The value of node e: a scalar when it uses no input (loaded once, splatted where it meets
 * per-sample values), else a vector of the W lanes' values. Memoised per op, because
 * expression DAGs may share nodes. */
val cg_expr(cg *g, int e) {
    if (g->memo[e])
        return g->memo[e];
    const ir_expr *x = &g->c->exprs[e];
    val r = NULL, a = NULL, b = NULL;
    if (x->kind >= IR_EXPR_ADD) {
        a = cg_expr(g, x->a);
        if (ir_expr_is_binary(x->kind))
            b = cg_expr(g, x->b);
    }
    switch (x->kind) {
    case IR_EXPR_CONST: r = cg_k(g, x->value); break;
    case IR_EXPR_PARAM: r = cg_sload(g, g->params, cg_i64(g, x->index)); break;
    case IR_EXPR_INPUT: r = cg_vload(g, g->xin, cg_i64(g, x->index)); break;
    case IR_EXPR_ADD: r = cg_add(g, a, b); break;
    case IR_EXPR_SUB: r = cg_sub(g, a, b); break;
    case IR_EXPR_MUL: r = cg_mul(g, a, b); break;
    case IR_EXPR_DIV: r = cg_div(g, a, b); break;
    case IR_EXPR_NEG: r = cg_neg(g, a); break;
    case IR_EXPR_SIN: r = cg_math(g, "sin", a); break;
    case IR_EXPR_COS: r = cg_math(g, "cos", a); break;
    case IR_EXPR_TAN: r = cg_math(g, "tan", a); break;
    case IR_EXPR_EXP: r = cg_math(g, "exp", a); break;
    case IR_EXPR_LOG: r = cg_math(g, "log", a); break;
    case IR_EXPR_SQRT: r = cg_math(g, "sqrt", a); break;
    case IR_EXPR_TANH: r = cg_math(g, "tanh", a); break;
    case IR_EXPR_ATAN: r = cg_math(g, "atan", a); break;
    case IR_EXPR_ASIN: r = cg_math(g, "asin", a); break;
    case IR_EXPR_ACOS: r = cg_math(g, "acos", a); break;
    case IR_EXPR_ATAN2: r = cg_atan2(g, a, b); break;
    case IR_EXPR_STEP: { /* a > 0 ? 1 : 0, lane by lane when a is per sample */
        a = cg_zero_if_null(g, a);
        LLVMValueRef pos = LLVMBuildFCmp(g->b, LLVMRealOGT, a, LLVMConstNull(LLVMTypeOf(a)), "");
        val one = cg_k(g, 1.0), zero = cg_k(g, 0.0);
        if (cg_isvec(a)) {
            one = cg_splat(g, one);
            zero = cg_splat(g, zero);
        }
        r = LLVMBuildSelect(g->b, pos, one, zero, "");
        break;
    }
    }
    return g->memo[e] = cg_zero_if_null(g, r);
}

/* In the parameter-shift simulation, angle occurrence `slot` is shifted by the runtime
 * argument `shift` when the runtime argument `slot` names it. */
val cg_angle(cg *g, const cg_occ *o) {
    val v = cg_expr(g, o->prim->angle[o->k]);
    if (g->slot) {
        LLVMValueRef hit = LLVMBuildICmp(g->b, LLVMIntEQ, g->slot,
                                         LLVMConstInt(g->i32, (unsigned)o->slot, 0), "");
        v = cg_add(g, v, LLVMBuildSelect(g->b, hit, g->shift, cg_k(g, 0.0), ""));
    }
    return v;
}

static void acc_region(cg *g, LLVMValueRef base, int index, val v) {
    LLVMValueRef idx = cg_i64(g, index);
    cg_vstore(g, base, idx, cg_add(g, cg_vload(g, base, idx), cg_splat(g, v)));
}

/* Reverse mode over the expression DAG below e: node indices are topological (operands are
 * created before their users), so one sweep from e down to 0 visits each node after all of
 * its users. adj is the per-lane d L / d e. */
void cg_chain(cg *g, int e, val adj) {
    if (!adj)
        return;
    val *ad = calloc((size_t)e + 1, sizeof *ad);
    if (!ad) {
        cg_fail(g, "out of memory");
        return;
    }
    ad[e] = adj;
    for (int i = e; i >= 0; i--) {
        val d = ad[i];
        if (!d)
            continue;
        const ir_expr *x = &g->c->exprs[i];
        val a = x->kind >= IR_EXPR_ADD ? cg_expr(g, x->a) : NULL;
        val da = NULL, db = NULL; /* contributions to the operands' adjoints */
        switch (x->kind) {
        case IR_EXPR_CONST: break;
        case IR_EXPR_PARAM: acc_region(g, g->gp, x->index, d); break;
        case IR_EXPR_INPUT: acc_region(g, g->gi, x->index, d); break;
        case IR_EXPR_ADD: da = d; db = d; break;
        case IR_EXPR_SUB: da = d; db = cg_neg(g, d); break;
        case IR_EXPR_MUL: da = cg_mul(g, d, cg_expr(g, x->b)); db = cg_mul(g, d, a); break;
        case IR_EXPR_DIV: {
            val bv = cg_expr(g, x->b);
            da = cg_div(g, d, bv);
            db = cg_neg(g, cg_div(g, cg_mul(g, d, a), cg_mul(g, bv, bv)));
            break;
        }
        case IR_EXPR_NEG: da = cg_neg(g, d); break;
        case IR_EXPR_SIN: da = cg_mul(g, d, cg_math(g, "cos", a)); break;
        case IR_EXPR_COS: da = cg_neg(g, cg_mul(g, d, cg_math(g, "sin", a))); break;
        case IR_EXPR_TAN: { /* 1 / cos^2, as ir_eval_grad */
            val c = cg_math(g, "cos", a);
            da = cg_div(g, d, cg_mul(g, c, c));
            break;
        }
        case IR_EXPR_EXP: da = cg_mul(g, d, cg_expr(g, i)); break;
        case IR_EXPR_LOG: da = cg_div(g, d, a); break;
        case IR_EXPR_SQRT: da = cg_div(g, cg_mul(g, d, cg_k(g, 0.5)), cg_expr(g, i)); break;
        case IR_EXPR_TANH: {
            val t = cg_expr(g, i);
            da = cg_mul(g, d, cg_sub(g, cg_k(g, 1.0), cg_mul(g, t, t)));
            break;
        }
        case IR_EXPR_ATAN:
            da = cg_div(g, d, cg_add(g, cg_k(g, 1.0), cg_mul(g, a, a)));
            break;
        case IR_EXPR_ASIN: case IR_EXPR_ACOS: {
            val r = cg_math(g, "sqrt", cg_sub(g, cg_k(g, 1.0), cg_mul(g, a, a)));
            da = cg_div(g, x->kind == IR_EXPR_ASIN ? d : cg_neg(g, d), r);
            break;
        }
        case IR_EXPR_ATAN2: { /* (x dy - y dx) / (x^2 + y^2), as ir_eval_grad */
            val bv = cg_expr(g, x->b);
            val r2 = cg_add(g, cg_mul(g, a, a), cg_mul(g, bv, bv));
            da = cg_div(g, cg_mul(g, d, bv), r2);
            db = cg_neg(g, cg_div(g, cg_mul(g, d, a), r2));
            break;
        }
        case IR_EXPR_STEP: break; /* derivative 0, as ir_eval_grad */
        }
        if (da)
            ad[x->a] = cg_add(g, ad[x->a], da);
        if (db)
            ad[x->b] = cg_add(g, ad[x->b], db);
    }
    free(ad);
}

/* ---- gate matrices ---------------------------------------------------------------------- */

ir_gate cg_target_gate(ir_gate g) {
    switch (g) {
    case IR_CNOT: return IR_X;
    case IR_CZ: return IR_Z;
    case IR_CY: return IR_Y;
    case IR_CRX: return IR_RX;
    case IR_CRY: return IR_RY;
    case IR_CRZ: return IR_RZ;
    case IR_CPHASE: return IR_PHASE;
    default: return g;
    }
}

static void set(cmat *m, int i, val re, val im) {
    m->m[i].re = re;
    m->m[i].im = im;
}

/* One-angle rotations exp(-i t P / 2) and PhaseShift, or their derivative (deriv != 0). */
static void rot1(cg *g, ir_gate gate, val t, int deriv, cmat *z) {
    memset(z, 0, sizeof *z);
    if (gate == IR_PHASE) {
        val c = cg_math(g, "cos", t), s = cg_math(g, "sin", t);
        if (deriv) /* i e^{it} */
            set(z, 3, cg_neg(g, s), c);
        else {
            set(z, 0, cg_k(g, 1.0), NULL);
            set(z, 3, c, s);
        }
        return;
    }
    val h = cg_mul(g, t, cg_k(g, 0.5));
    val c = cg_math(g, "cos", h), s = cg_math(g, "sin", h);
    if (gate == IR_RZ) {
        if (deriv) { /* -i/2 e^{-ih}, i/2 e^{ih} */
            val hs = cg_mul(g, s, cg_k(g, -0.5)), hc = cg_mul(g, c, cg_k(g, 0.5));
            set(z, 0, hs, cg_neg(g, hc));
            set(z, 3, hs, hc);
        } else {
            set(z, 0, c, cg_neg(g, s));
            set(z, 3, c, s);
        }
        return;
    }
    if (deriv) { /* d cos(t/2) = -sin(t/2)/2, d sin(t/2) = cos(t/2)/2 */
        val dc = cg_mul(g, s, cg_k(g, -0.5)), ds = cg_mul(g, c, cg_k(g, 0.5));
        c = dc;
        s = ds;
    }
    if (gate == IR_RX) {
        set(z, 0, c, NULL);
        set(z, 1, NULL, cg_neg(g, s));
        set(z, 2, NULL, cg_neg(g, s));
        set(z, 3, c, NULL);
    } else { /* RY */
        set(z, 0, c, NULL);
        set(z, 1, cg_neg(g, s), NULL);
        set(z, 2, s, NULL);
        set(z, 3, c, NULL);
    }
}

/* The 2x2 matrix of a single-qubit gate (or of the target block of a controlled gate) for
 * deriv < 0, else its derivative with respect to angle `deriv`. Fixed gates are constants. */
void cg_gate_mat(cg *g, ir_gate gate, const val *ang, int deriv, cmat *z) {
    const double r2 = 0.70710678118654752440;
    gate = cg_target_gate(gate);
    memset(z, 0, sizeof *z);
    if (ir_gate_n_angles(gate) == 0 && deriv >= 0)
        return;
    switch (gate) {
    case IR_I: *z = cg_ident(g); break;
    case IR_H:
        set(z, 0, cg_k(g, r2), NULL);
        set(z, 1, cg_k(g, r2), NULL);
        set(z, 2, cg_k(g, r2), NULL);
        set(z, 3, cg_k(g, -r2), NULL);
        break;
    case IR_X: set(z, 1, cg_k(g, 1), NULL); set(z, 2, cg_k(g, 1), NULL); break;
    case IR_Y: set(z, 1, NULL, cg_k(g, -1)); set(z, 2, NULL, cg_k(g, 1)); break;
    case IR_Z: set(z, 0, cg_k(g, 1), NULL); set(z, 3, cg_k(g, -1), NULL); break;
    case IR_S: set(z, 0, cg_k(g, 1), NULL); set(z, 3, NULL, cg_k(g, 1)); break;
    case IR_T: set(z, 0, cg_k(g, 1), NULL); set(z, 3, cg_k(g, r2), cg_k(g, r2)); break;
    case IR_SX:
        set(z, 0, cg_k(g, 0.5), cg_k(g, 0.5));
        set(z, 1, cg_k(g, 0.5), cg_k(g, -0.5));
        set(z, 2, cg_k(g, 0.5), cg_k(g, -0.5));
        set(z, 3, cg_k(g, 0.5), cg_k(g, 0.5));
        break;
    case IR_RX: case IR_RY: case IR_RZ: case IR_PHASE:
        rot1(g, gate, ang[0], deriv == 0, z);
        break;
    case IR_ROT: { /* RZ(omega) RY(theta) RZ(phi): phi acts first */
        cmat a, b, d, t;
        rot1(g, IR_RZ, ang[0], deriv == 0, &a);
        rot1(g, IR_RY, ang[1], deriv == 1, &b);
        rot1(g, IR_RZ, ang[2], deriv == 2, &d);
        t = cg_matmul(g, &b, &a);
        *z = cg_matmul(g, &d, &t);
        break;
    }
    case IR_U3: {
        val h = cg_mul(g, ang[0], cg_k(g, 0.5));
        val c = cg_math(g, "cos", h), s = cg_math(g, "sin", h);
        val pl = cg_add(g, ang[1], ang[2]);
        cval ep = {cg_math(g, "cos", ang[1]), cg_math(g, "sin", ang[1])};
        cval el = {cg_math(g, "cos", ang[2]), cg_math(g, "sin", ang[2])};
        cval epl = {cg_math(g, "cos", pl), cg_math(g, "sin", pl)};
        cval one = {cg_k(g, 1.0), NULL};
        cval f[4] = {one, el, ep, epl}; /* phases of the four entries */
        val mag[4];                     /* real factors of the four entries */
        cval ii = {NULL, cg_k(g, 1.0)};
        if (deriv < 0) {
            mag[0] = c; mag[1] = cg_neg(g, s); mag[2] = s; mag[3] = c;
        } else if (deriv == 0) {
            val hs = cg_mul(g, s, cg_k(g, -0.5)), hc = cg_mul(g, c, cg_k(g, 0.5));
            mag[0] = hs; mag[1] = cg_neg(g, hc); mag[2] = hc; mag[3] = hs;
        } else { /* d/dphi: i on the entries with e^{i phi}; d/dlambda: with e^{i lambda} */
            int has[4] = {0, deriv == 2, deriv == 1, 1};
            mag[0] = NULL; mag[1] = cg_neg(g, s); mag[2] = s; mag[3] = c;
            for (int i = 0; i < 4; i++)
                if (has[i])
                    f[i] = cg_cmul(g, f[i], ii);
                else
                    mag[i] = NULL;
        }
        for (int i = 0; i < 4; i++)
            set(z, i, cg_mul(g, mag[i], f[i].re), cg_mul(g, mag[i], f[i].im));
        break;
    }
    default:
        cg_fail(g, "code generator: no matrix for gate %s", ir_gate_name(gate));
        break;
    }
}
