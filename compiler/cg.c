/* Code generator, part 3 of 3 (driver): after the passes, turns an ir_circuit into an LLVM
 * module with the rt_circuit.h functions <prefix>_forward and <prefix>_vjp (adjoint method or
 * parameter shift) and the size record <prefix>_info; verifies it, runs the O-level pipeline
 * for the target machine, and hands the module to the JIT (jit.c), to text or to an object.
 * Kernels are in cg_ops.c, the emission vocabulary in cg_emit.c; docs/codegen.md has the big
 * picture (lane groups, work-buffer layout, adjoint bookkeeping). */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <llvm-c/Analysis.h>
#include <llvm-c/Target.h>
#include <llvm-c/TargetMachine.h>
#include <llvm-c/Transforms/PassBuilder.h>

#include "cg_internal.h"

/* ---- targets -------------------------------------------------------------------------- */

int cg_default_lanes(const char *features, int precision) {
    char *host = NULL;
    if (!features || !*features)
        features = host = LLVMGetHostCPUFeatures();
    int bits = strstr(features, "+avx512f") ? 512 : strstr(features, "+avx") ? 256 : 128;
    if (host)
        LLVMDisposeMessage(host);
    return bits / (precision == 32 ? 32 : 64);
}

static pthread_once_t targets_once = PTHREAD_ONCE_INIT;

/* Every target LLVM was built with, so that objects can be emitted for any triple. */
static void init_targets(void) {
    LLVMInitializeAllTargetInfos();
    LLVMInitializeAllTargets();
    LLVMInitializeAllTargetMCs();
    LLVMInitializeAllAsmPrinters();
}

/* A resolved target: strings owned here (malloc), host values filled in for empty fields. */
typedef struct {
    char *triple, *cpu, *features;
} target_strings;

static char *dup_llvm(char *m) { /* LLVM message -> malloc'ed copy */
    char *s = strdup(m ? m : "");
    if (m)
        LLVMDisposeMessage(m);
    return s;
}

static void target_free(target_strings *t) {
    free(t->triple);
    free(t->cpu);
    free(t->features);
}

static int empty(const char *s) { return !s || !*s; }

static LLVMTargetMachineRef make_tm(const cg_target *t, target_strings *ts, char *err,
                                    size_t errlen) {
    pthread_once(&targets_once, init_targets);
    int host = !t || empty(t->triple);
    ts->triple = host ? dup_llvm(LLVMGetDefaultTargetTriple()) : strdup(t->triple);
    if (t && !empty(t->cpu))
        ts->cpu = strdup(t->cpu);
    else
        ts->cpu = host ? dup_llvm(LLVMGetHostCPUName()) : strdup("generic");
    if (t && !empty(t->features))
        ts->features = strdup(t->features);
    else
        ts->features = host ? dup_llvm(LLVMGetHostCPUFeatures()) : strdup("");
    if (!ts->triple || !ts->cpu || !ts->features) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    LLVMTargetRef target;
    char *msg = NULL;
    if (LLVMGetTargetFromTriple(ts->triple, &target, &msg)) {
        snprintf(err, errlen, "target '%s': %s", ts->triple, msg ? msg : "unknown");
        LLVMDisposeMessage(msg);
        return NULL;
    }
    return LLVMCreateTargetMachine(target, ts->triple, ts->cpu, ts->features,
                                   LLVMCodeGenLevelAggressive, LLVMRelocPIC,
                                   LLVMCodeModelDefault);
}

/* ---- validation ----------------------------------------------------------------------- */

#define CHECK(cond, ...) do { if (!(cond)) { fail_at(c, err, errlen, __VA_ARGS__); return -1; } } while (0)

static void fail_at(const ir_circuit *c, char *err, size_t errlen, const char *fmt, ...) {
    int n = snprintf(err, errlen, "circuit '%s': ", c->name ? c->name : "?");
    if (n < 0 || (size_t)n >= errlen)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
    va_end(ap);
}

static int check_prim(const ir_circuit *c, const ir_op *op, int oi, char *err, size_t errlen) {
    CHECK((unsigned)op->gate < IR_FUSED_1Q, "op %d: bad gate kind %d", oi, (int)op->gate);
    const char *name = ir_gate_name(op->gate);
    int ar = ir_gate_arity(op->gate);
    for (int k = 0; k < ar; k++)
        CHECK(op->wires[k] >= 0 && op->wires[k] < c->n_qubits,
              "op %d (%s, line %d): wire %d out of range (%d qubits)", oi, name, op->src_line,
              op->wires[k], c->n_qubits);
    CHECK(ar == 1 || op->wires[0] != op->wires[1],
          "op %d (%s, line %d): both wires are %d", oi, name, op->src_line, op->wires[0]);
    for (int k = 0; k < ir_gate_n_angles(op->gate); k++)
        CHECK(op->angle[k] >= 0 && op->angle[k] < c->n_exprs,
              "op %d (%s, line %d): angle %d has no expression", oi, name, op->src_line, k);
    return 0;
}

int cg_check(const ir_circuit *c, char *err, size_t errlen) {
    if (!c) {
        snprintf(err, errlen, "no circuit");
        return -1;
    }
    CHECK(c->n_qubits >= 1 && c->n_qubits <= CG_MAX_QUBITS,
          "%d qubits (the code generator supports 1 to %d)", c->n_qubits, CG_MAX_QUBITS);
    CHECK(c->n_inputs >= 0 && c->n_params >= 0 && c->n_obs >= 0, "negative sizes");
    for (int i = 0; i < c->n_exprs; i++) {
        const ir_expr *x = &c->exprs[i];
        CHECK((unsigned)x->kind <= IR_EXPR_ACOS, "expression %d: bad kind", i);
        if (x->kind == IR_EXPR_PARAM)
            CHECK(x->index >= 0 && x->index < c->n_params,
                  "expression %d: parameter %d of %d", i, x->index, c->n_params);
        if (x->kind == IR_EXPR_INPUT)
            CHECK(x->index >= 0 && x->index < c->n_inputs,
                  "expression %d: input %d of %d", i, x->index, c->n_inputs);
        if (x->kind >= IR_EXPR_ADD)
            CHECK(x->a >= 0 && x->a < i, "expression %d: operand %d is not earlier", i, x->a);
        if (x->kind >= IR_EXPR_ADD && x->kind <= IR_EXPR_DIV)
            CHECK(x->b >= 0 && x->b < i, "expression %d: operand %d is not earlier", i, x->b);
    }
    for (int oi = 0; oi < c->n_ops; oi++) {
        const ir_op *op = &c->ops[oi];
        if (!ir_gate_is_fused(op->gate)) {
            if (check_prim(c, op, oi, err, errlen))
                return -1;
            continue;
        }
        CHECK(op->first_member >= 0 && op->n_members >= 0 &&
              op->first_member + op->n_members <= c->n_members,
              "op %d (%s): bad member range", oi, ir_gate_name(op->gate));
        for (int j = 0; j < op->n_members; j++) {
            const ir_op *m = &c->members[op->first_member + j];
            if (check_prim(c, m, oi, err, errlen))
                return -1;
            if (op->gate == IR_FUSED_1Q)
                CHECK(ir_gate_arity(m->gate) == 1 && m->wires[0] == op->wires[0],
                      "op %d (fused1q): member %s is not on wire %d", oi,
                      ir_gate_name(m->gate), op->wires[0]);
            else
                CHECK(ir_gate_is_diagonal(m->gate),
                      "op %d (fuseddiag): member %s is not diagonal", oi, ir_gate_name(m->gate));
        }
    }
    uint32_t all = c->n_qubits >= 32 ? 0xffffffffu : (1u << c->n_qubits) - 1;
    for (int t = 0; t < c->n_terms; t++)
        CHECK(!((c->terms[t].x_mask | c->terms[t].z_mask) & ~all),
              "observable term %d acts on a wire beyond %d qubits", t, c->n_qubits);
    for (int o = 0; o < c->n_obs; o++)
        CHECK(c->obs[o].first_term >= 0 && c->obs[o].n_terms >= 0 &&
              c->obs[o].first_term + c->obs[o].n_terms <= c->n_terms,
              "observable %d: bad term range", o);
    return 0;
}

/* ---- setup and layout ----------------------------------------------------------------- */

static size_t round_up(size_t v, size_t r) { return (v + r - 1) / r * r; }

static int setup(cg *g) {
    const ir_circuit *c = g->c;
    g->n = c->n_qubits;
    g->N = (int64_t)1 << g->n;
    g->uses_in = calloc((size_t)c->n_exprs + 1, 1);
    g->memo = calloc((size_t)c->n_exprs + 1, sizeof *g->memo);
    g->ops = calloc((size_t)c->n_ops + 1, sizeof *g->ops);
    int cap = 1;
    for (int oi = 0; oi < c->n_ops; oi++)
        cap += 3 * (c->ops[oi].n_members > 0 ? c->ops[oi].n_members : 1);
    g->occ = calloc((size_t)cap, sizeof *g->occ);
    if (!g->uses_in || !g->memo || !g->ops || !g->occ)
        return -1;
    /* Our own input-dependence flags: they decide scalar (per call) vs vector (per lane). */
    for (int i = 0; i < c->n_exprs; i++) {
        const ir_expr *x = &c->exprs[i];
        g->uses_in[i] = x->kind == IR_EXPR_INPUT ||
                        (x->kind >= IR_EXPR_ADD && g->uses_in[x->a]) ||
                        (x->kind >= IR_EXPR_ADD && x->kind <= IR_EXPR_DIV && g->uses_in[x->b]);
    }
    size_t max_diag = 0;
    for (int oi = 0; oi < c->n_ops; oi++) {
        const ir_op *op = &c->ops[oi];
        cg_opinfo *in = &g->ops[oi];
        in->first_occ = g->n_occ;
        in->shared = 1;
        int nm = op->n_members > 0 ? op->n_members : 1;
        const ir_op *prims = op->n_members > 0 ? &c->members[op->first_member] : op;
        if (!ir_gate_is_fused(op->gate))
            nm = 1;
        for (int j = 0; j < nm; j++)
            for (int k = 0; k < ir_gate_n_angles(prims[j].gate); k++) {
                cg_occ *o = &g->occ[g->n_occ];
                o->prim = &prims[j];
                o->k = k;
                o->slot = g->n_occ++;
                if (g->uses_in[prims[j].angle[k]])
                    in->shared = 0;
            }
        in->n_occ = g->n_occ - in->first_occ;
        in->Z = calloc((size_t)in->n_occ + 1, sizeof *in->Z);
        if (!in->Z)
            return -1;
        if (op->gate == IR_FUSED_DIAG) {
            int wires[IR_MAX_QUBITS];
            size_t t = (size_t)2 << cg_diag_wires(g, op, wires);
            if (t > max_diag)
                max_diag = t;
        }
    }
    /* Work layout, in elements of T from the 64-byte aligned base; each region starts on a
     * 64-byte boundary. The shared table comes last because its size is known only after
     * the functions are emitted. */
    size_t W = (size_t)g->W, R = 64 / g->esize, off = 0;
    size_t N2 = 2 * (size_t)g->N * W;
    g->off_xin = off;  off += round_up((size_t)c->n_inputs * W, R);
    g->off_gout = off; off += round_up((size_t)c->n_obs * W, R);
    g->off_gp = off;   off += round_up((size_t)c->n_params * W, R);
    g->off_gi = off;   off += round_up((size_t)c->n_inputs * W, R);
    g->off_psi = off;  off += round_up(N2, R);
    g->off_lam = off;  off += round_up(N2, R);
    g->off_diag = off; off += round_up(max_diag * W, R);
    g->off_shared = off;
    return 0;
}

static void teardown(cg *g) {
    if (g->ops)
        for (int oi = 0; oi < g->c->n_ops; oi++)
            free(g->ops[oi].Z);
    free(g->ops);
    free(g->occ);
    free(g->uses_in);
    free(g->memo);
}

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

/* Function entry: matrices and phase tables of shared ops with angles, once per call. */
static void precompute(cg *g) {
    g->n_shared = 0;
    for (int oi = 0; oi < g->c->n_ops; oi++) {
        const ir_op *op = &g->c->ops[oi];
        cg_opinfo *in = &g->ops[oi];
        in->cached = 0;
        if (!in->shared || op->gate == IR_SWAP || op->gate == IR_I)
            continue;
        cg_memo_reset(g);
        if (op->gate == IR_FUSED_DIAG) {
            int wires[IR_MAX_QUBITS];
            in->table = shared_alloc(g, (size_t)2 << cg_diag_wires(g, op, wires));
            cg_diag_table(g, op, cg_region(g, g->off_shared + in->table), 1);
            in->cached = 1;
            continue;
        }
        if (in->n_occ == 0)
            continue; /* fixed gates: constants, folded where they are used */
        cmat U, *Z = calloc((size_t)in->n_occ, sizeof *Z);
        if (!Z) {
            cg_fail(g, "out of memory");
            return;
        }
        compute_mats(g, oi, g->want_z, &U, Z);
        cache_store(g, &U, &in->U);
        for (int i = 0; g->want_z && i < in->n_occ; i++)
            cache_store(g, &Z[i], &in->Z[i]);
        free(Z);
        in->cached = 1;
    }
}

/* ---- ops, forward and backward -------------------------------------------------------- */

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
    if (g->use_cache && in->cached)
        return cg_region(g, g->off_shared + in->table);
    LLVMValueRef tab = cg_region(g, g->off_diag);
    cg_diag_table(g, &g->c->ops[oi], tab, *scalar);
    return tab;
}

static void fwd_op(cg *g, int oi) {
    const ir_op *op = &g->c->ops[oi];
    cg_memo_reset(g);
    if (op->gate == IR_I || (ir_gate_is_fused(op->gate) && op->n_members == 0))
        return;
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
    cmat U;
    int t, ctl;
    get_mats(g, oi, 0, &U, NULL);
    op_wires(op, &t, &ctl);
    cg_apply_1q(g, g->psi, t, ctl, &U);
}

static void bwd_op(cg *g, int oi) {
    const ir_op *op = &g->c->ops[oi];
    const cg_opinfo *in = &g->ops[oi];
    cg_memo_reset(g);
    if (op->gate == IR_I || (ir_gate_is_fused(op->gate) && op->n_members == 0))
        return;
    if (op->gate == IR_SWAP) {
        cg_swap(g, g->psi, op->wires[0], op->wires[1]);
        cg_swap(g, g->lam, op->wires[0], op->wires[1]);
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

typedef struct {
    const char *cpu, *features;
} fn_target;

static LLVMValueRef new_fn(cg *g, const char *name, LLVMTypeRef fty, const fn_target *ft) {
    LLVMValueRef fn = LLVMAddFunction(g->mod, name, fty);
    add_attr(g, fn, LLVMAttributeFunctionIndex, "nounwind");
    add_str_attr(g, fn, "target-cpu", ft->cpu);
    if (*ft->features)
        add_str_attr(g, fn, "target-features", ft->features);
    return fn;
}

/* Entry blocks; work_arg is aligned up to 64 bytes unless it already is (the simulation
 * helper receives the aligned pointer). All region pointers are derived here. */
static void begin_fn(cg *g, LLVMValueRef fn, LLVMValueRef work_arg, int align) {
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

static void end_fn(cg *g) {
    LLVMPositionBuilderAtEnd(g->ab, g->alloca_bb);
    LLVMBuildBr(g->ab, LLVMGetNextBasicBlock(g->alloca_bb));
}

static LLVMValueRef imin(cg *g, LLVMValueRef a, LLVMValueRef b) {
    return LLVMBuildSelect(g->b, LLVMBuildICmp(g->b, LLVMIntSLT, a, b, ""), a, b, "");
}

/* Lane groups: group i holds samples [i W, i W + rem), rem = min(W, B - i W). */
static LLVMValueRef groups_begin(cg *g, cg_loop *l, LLVMValueRef B, LLVMValueRef *base,
                                 LLVMValueRef *rem) {
    B = LLVMBuildSelect(g->b, LLVMBuildICmp(g->b, LLVMIntSLT, B, cg_i64(g, 0), ""),
                        cg_i64(g, 0), B, "");
    LLVMValueRef ng = LLVMBuildSDiv(g->b, LLVMBuildAdd(g->b, B, cg_i64(g, g->W - 1), ""),
                                    cg_i64(g, g->W), "");
    LLVMValueRef i = cg_loop_begin(g, l, ng);
    *base = LLVMBuildMul(g->b, i, cg_i64(g, g->W), "");
    *rem = imin(g, cg_i64(g, g->W), LLVMBuildSub(g->b, B, *base, ""));
    return i;
}

/* Transposes rows [base, base + rem) of src[B][width] into region[width][W]. Padding lanes
 * repeat the last valid row (finite values for any expression), or are zero if zero_pad. */
static void load_rows(cg *g, LLVMValueRef src, int width, LLVMValueRef region,
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
static void store_rows(cg *g, LLVMValueRef dst, int width, LLVMValueRef region,
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

static void zero_region(cg *g, LLVMValueRef region, int nvec) {
    if (nvec == 0)
        return;
    cg_loop l;
    LLVMValueRef i = cg_loop_begin(g, &l, cg_i64(g, nvec));
    cg_vstore(g, region, i, NULL);
    cg_loop_end(g, &l);
}

static void simulate(cg *g) {
    cg_init_state(g, g->psi);
    for (int oi = 0; oi < g->c->n_ops && !g->failed; oi++)
        fwd_op(g, oi);
}

static LLVMTypeRef vjp_type(cg *g) {
    LLVMTypeRef a[7] = {g->ptr, g->ptr, g->ptr, g->ptr, g->ptr, g->i64, g->ptr};
    return LLVMFunctionType(g->voidt, a, 7, 0);
}

static LLVMValueRef build_forward(cg *g, const char *name, const fn_target *ft) {
    LLVMTypeRef a[5] = {g->ptr, g->ptr, g->ptr, g->i64, g->ptr};
    LLVMValueRef fn = new_fn(g, name, LLVMFunctionType(g->voidt, a, 5, 0), ft);
    add_attr(g, fn, 5, "noalias"); /* work: private scratch */
    begin_fn(g, fn, LLVMGetParam(fn, 4), 1);
    g->params = LLVMGetParam(fn, 0);
    g->use_cache = 1;
    g->want_z = 0;
    precompute(g);
    cg_loop l;
    LLVMValueRef base, rem;
    groups_begin(g, &l, LLVMGetParam(fn, 3), &base, &rem);
    load_rows(g, LLVMGetParam(fn, 1), g->c->n_inputs, g->xin, base, rem, 0);
    simulate(g);
    val *out = calloc((size_t)g->c->n_obs + 1, sizeof *out);
    if (!out) {
        cg_fail(g, "out of memory");
        return fn;
    }
    cg_observables(g, g->psi, out);
    for (int o = 0; o < g->c->n_obs; o++) /* staged in the gout region, then transposed */
        cg_vstore(g, g->gout, cg_i64(g, o), out[o]);
    free(out);
    store_rows(g, LLVMGetParam(fn, 2), g->c->n_obs, g->gout, base, rem);
    cg_loop_end(g, &l);
    LLVMBuildRetVoid(g->b);
    end_fn(g);
    return fn;
}

/* grad_params[i] += horizontal sum of the lane accumulators (once per call). */
static void finish_params(cg *g, LLVMValueRef gparams) {
    if (g->c->n_params == 0)
        return;
    unsigned id = LLVMLookupIntrinsicID("llvm.vector.reduce.fadd", 23);
    LLVMValueRef red = LLVMGetIntrinsicDeclaration(g->mod, id, &g->VT, 1);
    LLVMTypeRef rty = LLVMIntrinsicGetType(g->ctx, id, &g->VT, 1);
    cg_loop l;
    LLVMValueRef i = cg_loop_begin(g, &l, cg_i64(g, g->c->n_params));
    LLVMValueRef args[2] = {cg_k(g, -0.0), cg_vload(g, g->gp, i)};
    LLVMValueRef s = LLVMBuildCall2(g->b, rty, red, args, 2, "");
    cg_sstore(g, gparams, i, cg_add(g, cg_sload(g, gparams, i), s));
    cg_loop_end(g, &l);
}

/* Shared prologue of both vjp flavours: returns the group loop's base and rem. */
static void vjp_begin(cg *g, LLVMValueRef fn) {
    add_attr(g, fn, 7, "noalias");
    begin_fn(g, fn, LLVMGetParam(fn, 6), 1);
    g->params = LLVMGetParam(fn, 0);
}

static void vjp_group_begin(cg *g, LLVMValueRef fn, cg_loop *l, LLVMValueRef *base,
                            LLVMValueRef *rem) {
    zero_region(g, g->gp, g->c->n_params);
    groups_begin(g, l, LLVMGetParam(fn, 5), base, rem);
    load_rows(g, LLVMGetParam(fn, 1), g->c->n_inputs, g->xin, *base, *rem, 0);
    load_rows(g, LLVMGetParam(fn, 2), g->c->n_obs, g->gout, *base, *rem, 1);
    zero_region(g, g->gi, g->c->n_inputs);
}

static void vjp_group_end(cg *g, LLVMValueRef fn, cg_loop *l, LLVMValueRef base,
                          LLVMValueRef rem) {
    if (g->c->n_inputs > 0) { /* grad_inputs may be NULL */
        LLVMValueRef gin = LLVMGetParam(fn, 4);
        LLVMBasicBlockRef yes = LLVMAppendBasicBlockInContext(g->ctx, g->fn, "gin");
        LLVMBasicBlockRef join = LLVMAppendBasicBlockInContext(g->ctx, g->fn, "gin.done");
        LLVMBuildCondBr(g->b, LLVMBuildIsNotNull(g->b, gin, ""), yes, join);
        LLVMPositionBuilderAtEnd(g->b, yes);
        store_rows(g, gin, g->c->n_inputs, g->gi, base, rem);
        LLVMBuildBr(g->b, join);
        LLVMPositionBuilderAtEnd(g->b, join);
    }
    cg_loop_end(g, l);
    finish_params(g, LLVMGetParam(fn, 3));
    LLVMBuildRetVoid(g->b);
    end_fn(g);
}

static LLVMValueRef build_vjp(cg *g, const char *name, const fn_target *ft) {
    LLVMValueRef fn = new_fn(g, name, vjp_type(g), ft), base, rem;
    cg_loop l;
    vjp_begin(g, fn);
    g->use_cache = 1;
    g->want_z = 1;
    precompute(g);
    vjp_group_begin(g, fn, &l, &base, &rem);
    simulate(g);
    cg_seed_lambda(g);
    for (int oi = g->c->n_ops - 1; oi >= 0 && !g->failed; oi--)
        bwd_op(g, oi);
    vjp_group_end(g, fn, &l, base, rem);
    return fn;
}

/* Parameter shift. <prefix>_sim(work, params, slot, shift) runs one lane group's circuit with
 * angle occurrence `slot` shifted by `shift` and returns sum_o gout_o <O_o> per lane; the vjp
 * combines 2 (generator eigenvalues +-1/2, and PhaseShift/CPHASE up to a global phase) or 4
 * (controlled rotations: eigenvalues 0, +-1/2) such runs per occurrence. */
static LLVMValueRef build_sim(cg *g, const char *name, const fn_target *ft) {
    LLVMTypeRef a[4] = {g->ptr, g->ptr, g->i32, g->T};
    LLVMValueRef fn = new_fn(g, name, LLVMFunctionType(g->VT, a, 4, 0), ft);
    LLVMSetLinkage(fn, LLVMInternalLinkage);
    add_attr(g, fn, LLVMAttributeFunctionIndex, "noinline");
    begin_fn(g, fn, LLVMGetParam(fn, 0), 0);
    g->params = LLVMGetParam(fn, 1);
    g->slot = LLVMGetParam(fn, 2);
    g->shift = LLVMGetParam(fn, 3);
    g->use_cache = 0;
    simulate(g);
    val *out = calloc((size_t)g->c->n_obs + 1, sizeof *out);
    val L = NULL;
    if (!out)
        cg_fail(g, "out of memory");
    else {
        cg_observables(g, g->psi, out);
        for (int o = 0; o < g->c->n_obs; o++)
            L = cg_add(g, L, cg_mul(g, cg_vload(g, g->gout, cg_i64(g, o)), out[o]));
    }
    free(out);
    LLVMBuildRet(g->b, cg_splat(g, cg_zero_if_null(g, L)));
    end_fn(g);
    g->slot = g->shift = NULL;
    return fn;
}

static LLVMValueRef build_vjp_shift(cg *g, const char *name, const char *sim_name,
                                    const fn_target *ft) {
    static const double PI = 3.14159265358979323846;
    const double c1 = (1.41421356237309504880 + 1) / (4 * 1.41421356237309504880);
    const double c2 = (1.41421356237309504880 - 1) / (4 * 1.41421356237309504880);
    const double sh2[2] = {PI / 2, -PI / 2}, co2[2] = {0.5, -0.5};
    const double sh4[4] = {PI / 2, -PI / 2, 3 * PI / 2, -3 * PI / 2}, co4[4] = {c1, -c1, -c2, c2};
    LLVMValueRef sim = build_sim(g, sim_name, ft);
    LLVMTypeRef sa[4] = {g->ptr, g->ptr, g->i32, g->T};
    LLVMTypeRef sty = LLVMFunctionType(g->VT, sa, 4, 0);
    LLVMValueRef fn = new_fn(g, name, vjp_type(g), ft), base, rem;
    cg_loop l;
    vjp_begin(g, fn);
    g->use_cache = 0;
    vjp_group_begin(g, fn, &l, &base, &rem);
    for (int s = 0; s < g->n_occ && !g->failed; s++) {
        const cg_occ *o = &g->occ[s];
        ir_gate gt = o->prim->gate;
        int four = gt == IR_CRX || gt == IR_CRY || gt == IR_CRZ;
        val d = NULL;
        for (int t = 0; t < (four ? 4 : 2); t++) {
            LLVMValueRef args[4] = {g->work, g->params, LLVMConstInt(g->i32, (unsigned)s, 0),
                                    cg_k(g, four ? sh4[t] : sh2[t])};
            val f = LLVMBuildCall2(g->b, sty, sim, args, 4, "");
            d = cg_add(g, d, cg_mul(g, f, cg_k(g, four ? co4[t] : co2[t])));
        }
        cg_memo_reset(g);
        cg_chain(g, o->prim->angle[o->k], d);
    }
    vjp_group_end(g, fn, &l, base, rem);
    return fn;
}

/* <prefix>_info: {format 1, n_qubits, n_inputs, n_outputs, n_params, precision, lanes,
 * work_bytes}, so that an object file describes itself. */
static void build_info(cg *g, const char *name, size_t work_bytes) {
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

/* ---- driver --------------------------------------------------------------------------- */

static int valid_prefix(const char *p) {
    if (!p || !*p || strlen(p) > 120 || (*p >= '0' && *p <= '9'))
        return 0;
    for (; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
              (*p >= '0' && *p <= '9') || *p == '_'))
            return 0;
    return 1;
}

static int resolve_options(const ir_circuit *c, const cg_options *o, const char *features,
                           cg_options *r, char *err, size_t errlen) {
    cg_options def = {64, 0, 3, CG_GRAD_ADJOINT, 0};
    *r = o ? *o : def;
    if (r->precision == 0)
        r->precision = 64;
    if (r->precision != 32 && r->precision != 64) {
        snprintf(err, errlen, "circuit '%s': precision %d (64 or 32)", c->name, r->precision);
        return -1;
    }
    if (r->lanes == 0)
        r->lanes = cg_default_lanes(features, r->precision);
    if (r->lanes < 1 || r->lanes > 64 || (r->lanes & (r->lanes - 1))) {
        snprintf(err, errlen, "circuit '%s': %d lanes (a power of two up to 64)", c->name,
                 r->lanes);
        return -1;
    }
    if (r->opt_level < 0 || r->opt_level > 3)
        r->opt_level = 3;
    return 0;
}

static LLVMModuleRef build_module(LLVMContextRef ctx, const ir_circuit *c, const cg_options *o,
                                  LLVMTargetMachineRef tm, const target_strings *ts,
                                  const char *prefix, cg_info *info, char *err, size_t errlen) {
    cg gs, *g = &gs;
    memset(g, 0, sizeof *g);
    g->c = c;
    g->err = err;
    g->errlen = errlen;
    if (resolve_options(c, o, ts->features, &g->opt, err, errlen))
        return NULL;
    g->ctx = ctx;
    g->W = g->opt.lanes;
    g->T = g->opt.precision == 32 ? LLVMFloatTypeInContext(ctx) : LLVMDoubleTypeInContext(ctx);
    g->esize = g->opt.precision == 32 ? 4 : 8;
    g->VT = LLVMVectorType(g->T, (unsigned)g->W);
    g->valign = g->esize * (unsigned)g->W < 64 ? g->esize * (unsigned)g->W : 64;
    g->i1 = LLVMInt1TypeInContext(ctx);
    g->i32 = LLVMInt32TypeInContext(ctx);
    g->i64 = LLVMInt64TypeInContext(ctx);
    g->ptr = LLVMPointerTypeInContext(ctx, 0);
    g->voidt = LLVMVoidTypeInContext(ctx);
    if (setup(g)) {
        teardown(g);
        snprintf(err, errlen, "circuit '%s': out of memory", c->name);
        return NULL;
    }
    g->mod = LLVMModuleCreateWithNameInContext(prefix, ctx);
    LLVMSetTarget(g->mod, ts->triple);
    LLVMTargetDataRef td = LLVMCreateTargetDataLayout(tm);
    LLVMSetModuleDataLayout(g->mod, td);
    LLVMDisposeTargetData(td);
    g->b = LLVMCreateBuilderInContext(ctx);
    g->ab = LLVMCreateBuilderInContext(ctx);

    cg_info inf;
    memset(&inf, 0, sizeof inf);
    snprintf(inf.forward_name, sizeof inf.forward_name, "%s_forward", prefix);
    snprintf(inf.vjp_name, sizeof inf.vjp_name, "%s_vjp", prefix);
    snprintf(inf.info_name, sizeof inf.info_name, "%s_info", prefix);
    char sim_name[200];
    snprintf(sim_name, sizeof sim_name, "%s_sim", prefix);
    fn_target ft = {ts->cpu, ts->features};
    LLVMValueRef fwd = build_forward(g, inf.forward_name, &ft);
    if (g->opt.grad == CG_GRAD_SHIFT)
        build_vjp_shift(g, inf.vjp_name, sim_name, &ft);
    else
        build_vjp(g, inf.vjp_name, &ft);
    inf.lanes = g->W;
    inf.precision = g->opt.precision;
    inf.work_bytes = (g->off_shared + round_up(g->max_shared, 64 / g->esize)) * g->esize + 64;
    build_info(g, inf.info_name, inf.work_bytes);
    if (g->opt.test_corrupt) /* a block without terminator: the verifier must catch it */
        LLVMAppendBasicBlockInContext(ctx, fwd, "corrupt");
    LLVMDisposeBuilder(g->b);
    LLVMDisposeBuilder(g->ab);
    teardown(g);
    LLVMModuleRef mod = g->mod;
    if (g->failed) {
        LLVMDisposeModule(mod);
        return NULL;
    }

    char *msg = NULL;
    if (LLVMVerifyModule(mod, LLVMReturnStatusAction, &msg)) {
        size_t len = msg ? strcspn(msg, "\n") : 0;
        snprintf(err, errlen, "circuit '%s': internal error: LLVM verifier: %.*s", c->name,
                 (int)len, msg ? msg : "");
        LLVMDisposeMessage(msg);
        LLVMDisposeModule(mod);
        return NULL;
    }
    LLVMDisposeMessage(msg);

    char pipeline[32];
    snprintf(pipeline, sizeof pipeline, "default<O%d>", g->opt.opt_level);
    LLVMPassBuilderOptionsRef pbo = LLVMCreatePassBuilderOptions();
    LLVMErrorRef e = LLVMRunPasses(mod, pipeline, tm, pbo);
    LLVMDisposePassBuilderOptions(pbo);
    if (e) {
        char *m = LLVMGetErrorMessage(e);
        snprintf(err, errlen, "circuit '%s': optimiser: %s", c->name, m);
        LLVMDisposeErrorMessage(m);
        LLVMDisposeModule(mod);
        return NULL;
    }
    if (info)
        *info = inf;
    return mod;
}

/* Validation, target machine, module: the common front of the three entry points. The target
 * machine is only needed for the data layout and the optimiser's cost model; it is disposed
 * of here unless tm_out takes it. */
static LLVMModuleRef build(LLVMContextRef ctx, const ir_circuit *c, const cg_options *o,
                           const cg_target *t, const char *prefix, cg_info *info,
                           LLVMTargetMachineRef *tm_out, char *err, size_t errlen) {
    if (cg_check(c, err, errlen))
        return NULL;
    if (!valid_prefix(prefix)) {
        snprintf(err, errlen, "circuit '%s': symbol prefix '%s' is not a C identifier",
                 c->name, prefix ? prefix : "");
        return NULL;
    }
    target_strings ts = {0};
    LLVMTargetMachineRef tm = make_tm(t, &ts, err, errlen);
    LLVMModuleRef mod = tm ? build_module(ctx, c, o, tm, &ts, prefix, info, err, errlen) : NULL;
    target_free(&ts);
    if (tm && mod && tm_out)
        *tm_out = tm;
    else if (tm)
        LLVMDisposeTargetMachine(tm);
    return mod;
}

struct LLVMOpaqueModule *cg_build(struct LLVMOpaqueContext *ctx, const ir_circuit *c,
                                  const cg_options *o, const cg_target *t, const char *prefix,
                                  cg_info *info, char *err, size_t errlen) {
    return build(ctx, c, o, t, prefix, info, NULL, err, errlen);
}

char *cg_emit_llvm_text(const ir_circuit *c, const cg_options *o, const cg_target *t,
                        const char *prefix, char *err, size_t errlen) {
    LLVMContextRef ctx = LLVMContextCreate(); /* ours; the module dies before it */
    LLVMModuleRef mod = build(ctx, c, o, t, prefix, NULL, NULL, err, errlen);
    char *text = NULL;
    if (mod) {
        char *s = LLVMPrintModuleToString(mod);
        text = strdup(s);
        LLVMDisposeMessage(s);
        LLVMDisposeModule(mod);
        if (!text)
            snprintf(err, errlen, "out of memory");
    }
    LLVMContextDispose(ctx);
    return text;
}

int cg_emit_object(const ir_circuit *c, const cg_options *o, const cg_target *t,
                   const char *prefix, const char *path, cg_info *info, char *err,
                   size_t errlen) {
    LLVMContextRef ctx = LLVMContextCreate();
    LLVMTargetMachineRef tm = NULL;
    LLVMModuleRef mod = build(ctx, c, o, t, prefix, info, &tm, err, errlen);
    int rc = -1;
    if (mod) {
        char *msg = NULL;
        if (LLVMTargetMachineEmitToFile(tm, mod, path, LLVMObjectFile, &msg))
            snprintf(err, errlen, "circuit '%s': writing %s: %s", c->name, path,
                     msg ? msg : "failed");
        else
            rc = 0;
        LLVMDisposeMessage(msg);
        LLVMDisposeModule(mod);
        LLVMDisposeTargetMachine(tm);
    }
    LLVMContextDispose(ctx);
    return rc;
}
