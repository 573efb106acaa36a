/* Code generator, part 3 of 4 (driver): after the passes, turns an ir_circuit into an LLVM
 * module with the rt_circuit.h functions <prefix>_forward and <prefix>_vjp (adjoint method or
 * parameter shift) and the size record <prefix>_info; verifies it, runs the O-level pipeline
 * for the target machine, and hands the module to the JIT (jit.c), to text or to an object.
 * Functions are emitted by cg_fn.c, state kernels by cg_ops.c, the emission vocabulary is in
 * cg_emit.c; docs/codegen.md has the big picture (lane groups, work-buffer layout, adjoint
 * bookkeeping, ownership). */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <llvm-c/Analysis.h>
#include <llvm-c/Target.h>
#include <llvm-c/TargetMachine.h>
#include <llvm-c/Transforms/PassBuilder.h>
#include <llvm/Config/llvm-config.h> /* LLVM_VERSION_STRING: plain C macros */

#include "cg_internal.h"
#include "cg_dm.h"

/* ---- targets -------------------------------------------------------------------------- */

static char *dup_llvm(char *m) { /* LLVM message -> malloc'ed copy */
    char *s = strdup(m ? m : "");
    if (m)
        LLVMDisposeMessage(m);
    return s;
}

int cg_default_lanes(const char *features, int precision) {
    char *host = NULL;
    if (!features || !*features)
        features = host = LLVMGetHostCPUFeatures();
    int bits = strstr(features, "+avx512f") ? 512 : strstr(features, "+avx") ? 256 : 128;
    if (host)
        LLVMDisposeMessage(host);
    return bits / (precision == 32 ? 32 : 64);
}

void cg_llvm_version(char *built, size_t nbuilt, char *running, size_t nrunning) {
    unsigned major = 0, minor = 0, patch = 0;
    LLVMGetVersion(&major, &minor, &patch);
    snprintf(built, nbuilt, "%s", LLVM_VERSION_STRING);
    snprintf(running, nrunning, "%u.%u.%u", major, minor, patch);
}

int cg_host_cpu(char **name, char **features) {
    *name = dup_llvm(LLVMGetHostCPUName());
    *features = dup_llvm(LLVMGetHostCPUFeatures());
    if (*name && *features) return 0;
    free(*name);
    free(*features);
    *name = *features = NULL;
    return -1;
}

static pthread_once_t targets_once = PTHREAD_ONCE_INIT;

/* Every target LLVM was built with, so that objects can be emitted for any triple. */
static void init_all_targets(void) {
    LLVMInitializeAllTargetInfos();
    LLVMInitializeAllTargets();
    LLVMInitializeAllTargetMCs();
    LLVMInitializeAllAsmPrinters();
}

void cg_init_targets(void) { pthread_once(&targets_once, init_all_targets); }

/* A resolved target: strings owned here (malloc), host values filled in for empty fields. */
typedef struct {
    char *triple, *cpu, *features;
} target_strings;

static void target_free(target_strings *t) {
    free(t->triple);
    free(t->cpu);
    free(t->features);
}

static int empty(const char *s) { return !s || !*s; }

static LLVMTargetMachineRef make_tm(const cg_target *t, target_strings *ts, char *err,
                                    size_t errlen) {
    cg_init_targets();
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
                                   LLVMCodeGenLevelLess, LLVMRelocPIC,
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
    CHECK(op->gate != IR_CHANNEL, "line %d: `%s` is a noise channel, which needs the "
          "density-matrix simulation; the code generator simulates state vectors only (run it "
          "with --reference)", op->src_line, ir_channel_name(op->channel));
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

/* A noise channel (density-matrix circuits, cg_dm.c): wires and strength expressions. */
static int check_channel(const ir_circuit *c, const ir_op *op, int oi, char *err, size_t errlen) {
    const char *name = ir_channel_name(op->channel);
    CHECK((unsigned)op->channel < IR_CH_COUNT, "op %d: bad channel kind %d", oi, (int)op->channel);
    int nw = op->channel == IR_CH_KRAUS && op->wires[1] >= 0 ? 2 : 1;
    for (int k = 0; k < nw; k++)
        CHECK(op->wires[k] >= 0 && op->wires[k] < c->n_qubits,
              "op %d (%s, line %d): wire %d out of range (%d qubits)", oi, name, op->src_line,
              op->wires[k], c->n_qubits);
    CHECK(nw == 1 || op->wires[0] != op->wires[1], "op %d (%s, line %d): both wires are %d",
          oi, name, op->src_line, op->wires[0]);
    for (int k = 0; k < ir_channel_n_strengths(op->channel); k++)
        CHECK(op->angle[k] >= 0 && op->angle[k] < c->n_exprs,
              "op %d (%s, line %d): strength %d has no expression", oi, name, op->src_line, k);
    if (op->channel == IR_CH_KRAUS) {
        int d = nw == 2 ? 4 : 2;
        CHECK(op->n_kraus >= 1 && op->kraus_first >= 0 &&
              op->kraus_first + op->n_kraus * 2 * d * d <= c->n_kraus,
              "op %d (kraus, line %d): bad matrix range", oi, op->src_line);
    }
    return 0;
}

int cg_check(const ir_circuit *c, char *err, size_t errlen) {
    if (!c) {
        snprintf(err, errlen, "no circuit");
        return -1;
    }
    int dm = ir_has_channels(c); /* vec(rho) has 2n qubits */
    CHECK(c->n_qubits >= 1 && c->n_qubits <= (dm ? CG_MAX_QUBITS / 2 : CG_MAX_QUBITS),
          dm ? "%d qubits (the density-matrix code generator supports 1 to %d)"
             : "%d qubits (the code generator supports 1 to %d)",
          c->n_qubits, dm ? CG_MAX_QUBITS / 2 : CG_MAX_QUBITS);
    CHECK(c->n_inputs >= 0 && c->n_params >= 0 && c->n_obs >= 0, "negative sizes");
    for (int i = 0; i < c->n_exprs; i++) {
        const ir_expr *x = &c->exprs[i];
        CHECK((unsigned)x->kind <= IR_EXPR_STEP, "expression %d: bad kind", i);
        if (x->kind == IR_EXPR_PARAM)
            CHECK(x->index >= 0 && x->index < c->n_params,
                  "expression %d: parameter %d of %d", i, x->index, c->n_params);
        if (x->kind == IR_EXPR_INPUT)
            CHECK(x->index >= 0 && x->index < c->n_inputs,
                  "expression %d: input %d of %d", i, x->index, c->n_inputs);
        if (x->kind >= IR_EXPR_ADD)
            CHECK(x->a >= 0 && x->a < i, "expression %d: operand %d is not earlier", i, x->a);
        if (ir_expr_is_binary(x->kind))
            CHECK(x->b >= 0 && x->b < i, "expression %d: operand %d is not earlier", i, x->b);
    }
    for (int oi = 0; oi < c->n_ops; oi++) {
        const ir_op *op = &c->ops[oi];
        if (op->gate == IR_CHANNEL) {
            if (check_channel(c, op, oi, err, errlen))
                return -1;
            continue;
        }
        CHECK(!dm || !ir_gate_is_fused(op->gate),
              "op %d: fused op %s in a circuit with noise channels (the passes keep those "
              "unfused)", oi, ir_gate_name(op->gate));
        if (!ir_gate_is_fused(op->gate)) {
            if (check_prim(c, op, oi, err, errlen))
                return -1;
            continue;
        }
        CHECK(op->first_member >= 0 && op->n_members >= 0 &&
              op->first_member + op->n_members <= c->n_members,
              "op %d (%s): bad member range", oi, ir_gate_name(op->gate));
        if (op->gate == IR_FUSED_2Q)
            CHECK(op->wires[0] >= 0 && op->wires[0] < op->wires[1] && op->wires[1] < c->n_qubits,
                  "op %d (fused2q): wires %d, %d are not a pair of %d qubits", oi, op->wires[0],
                  op->wires[1], c->n_qubits);
        if (op->gate == IR_FUSED_BLOCK) {
            uint32_t wm = ir_op_wire_mask(c, op);
            int k = 0;
            for (; wm; wm &= wm - 1)
                k++;
            CHECK(k <= IR_BLOCK_MAX_WIRES, "op %d (fusedblock): %d wires, at most %d", oi, k,
                  IR_BLOCK_MAX_WIRES);
        }
        for (int j = 0; j < op->n_members; j++) {
            const ir_op *m = &c->members[op->first_member + j];
            if (op->gate == IR_FUSED_2Q) { /* any member within the pair */
                double mm[32];
                if (m->gate == IR_MULTIRZ)
                    CHECK(m->angle[0] >= 0 && m->angle[0] < c->n_exprs,
                          "op %d (fused2q): multirz member without an angle", oi);
                else if (check_prim(c, m, oi, err, errlen))
                    return -1;
                CHECK(ir_pair_matrix(m, op->wires[0], op->wires[1], NULL, -1, mm) == 0,
                      "op %d (fused2q): member %s is not within wires %d, %d", oi,
                      ir_gate_name(m->gate), op->wires[0], op->wires[1]);
                continue;
            }
            if (op->gate == IR_FUSED_DIAG && m->gate == IR_MULTIRZ) { /* wires in a mask */
                CHECK(m->mask != 0 && !(m->mask >> c->n_qubits),
                      "op %d (fuseddiag): multirz member on wires %#x of %d qubits", oi,
                      (unsigned)m->mask, c->n_qubits);
                CHECK(m->angle[0] >= 0 && m->angle[0] < c->n_exprs,
                      "op %d (fuseddiag): multirz member without an angle", oi);
                continue;
            }
            if (check_prim(c, m, oi, err, errlen))
                return -1;
            if (op->gate == IR_FUSED_BLOCK)
                CHECK(m->gate != IR_SWAP && m->gate != IR_I,
                      "op %d (fusedblock): member %s is not a one-qubit or controlled gate", oi,
                      ir_gate_name(m->gate));
            else if (op->gate == IR_FUSED_1Q)
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

/* Our own input-dependence flags: they decide scalar (per call) vs vector (per lane). */
void cg_mark_input_dependence(cg *g) {
    const ir_circuit *c = g->c;
    for (int i = 0; i < c->n_exprs; i++) {
        const ir_expr *x = &c->exprs[i];
        g->uses_in[i] = x->kind == IR_EXPR_INPUT ||
                        (x->kind >= IR_EXPR_ADD && g->uses_in[x->a]) ||
                        (ir_expr_is_binary(x->kind) && g->uses_in[x->b]);
    }
}

/* ---- setup and layout ----------------------------------------------------------------- */

static size_t round_up(size_t v, size_t r) { return (v + r - 1) / r * r; }

static int setup(cg *g) {
    const ir_circuit *c = g->c;
    g->n = c->n_qubits - (g->amp ? g->amp_L : 0); /* amplitude layout: L qubits in the lanes */
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
    cg_mark_input_dependence(g);
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
        if (op->gate == IR_FUSED_2Q) {
            in->U4 = calloc(4, sizeof *in->U4);
            if (!in->U4)
                return -1;
        }
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
    g->off_prekey = off; off += round_up(8 / g->esize + (size_t)c->n_params, R);
    g->off_shared = off;
    return 0;
}

static void teardown(cg *g) {
    if (g->ops)
        for (int oi = 0; oi < g->c->n_ops; oi++) {
            free(g->ops[oi].Z);
            free(g->ops[oi].U4);
        }
    free(g->ops);
    free(g->occ);
    free(g->uses_in);
    free(g->memo);
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
    cg_options def = {64, 0, 3, CG_GRAD_ADJOINT, 0, 0, 0};
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

/* Whether the feature string enables feature f ("+avx2" as a whole entry, not a prefix of
 * "+avx512fp16"). */
static int has_feature(const char *features, const char *f) {
    size_t n = strlen(f);
    for (const char *p = features; p && (p = strstr(p, f)); p += n)
        if ((p == features || p[-1] == ',') && (p[n] == ',' || p[n] == 0))
            return 1;
    return 0;
}

/* The libmvec variant (cg.h: CG_VECMATH_SYMBOLS) for <W x T> on this target: its vector ABI
 * letter when the vector is exactly one register that the target's features provide, else 0
 * (per-lane libm calls). x86-64 only, and only where the build links libmvec. */
static char vecmath_isa(const char *triple, const char *features, int W, unsigned esize) {
#ifdef QNN_HAVE_LIBMVEC
    if (strncmp(triple, "x86_64", 6) != 0)
        return 0;
    unsigned bytes = (unsigned)W * esize;
    if (bytes == 16)
        return 'b';
    if (bytes == 32 && has_feature(features, "+avx2"))
        return 'd';
    if (bytes == 64 && has_feature(features, "+avx512f"))
        return 'e';
#else
    (void)triple, (void)features, (void)W, (void)esize;
#endif
    return 0;
}

/* Types and target facts of g (its options resolved). */
static void init_types(cg *g, LLVMContextRef ctx, const target_strings *ts) {
    g->ctx = ctx;
    g->W = g->opt.lanes;
    g->T = g->opt.precision == 32 ? LLVMFloatTypeInContext(ctx) : LLVMDoubleTypeInContext(ctx);
    g->esize = g->opt.precision == 32 ? 4 : 8;
    g->VT = LLVMVectorType(g->T, (unsigned)g->W);
    g->vecmath = ts ? vecmath_isa(ts->triple, ts->features, g->W, g->esize) : 0;
    g->valign = g->esize * (unsigned)g->W < 64 ? g->esize * (unsigned)g->W : 64;
    g->i1 = LLVMInt1TypeInContext(ctx);
    g->i32 = LLVMInt32TypeInContext(ctx);
    g->i64 = LLVMInt64TypeInContext(ctx);
    g->ptr = LLVMPointerTypeInContext(ctx, 0);
    g->voidt = LLVMVoidTypeInContext(ctx);
}

static size_t footprint(const cg *g) { /* elements of work the functions of g use */
    return g->off_shared + round_up(g->max_shared, 64 / g->esize);
}

/* Emits the amplitude layout's functions (prefix <prefix>_lanes) into g's module, its work
 * regions first in the buffer; returns their footprint in elements (0: not emitted). */
static size_t emit_amp(cg *g, const char *prefix, const cg_fn_target *ft, cg_info *ainf) {
    const char *why = NULL;
    int L = cg_amp_lane_bits(g->W);
    ir_circuit *ac = cg_amp_circuit(g->c, L, &why);
    if (!ac) /* why: the main layout serves every call */
        return 0;
    cg as, *a = &as;
    memset(a, 0, sizeof *a);
    a->c = ac;
    a->err = g->err;
    a->errlen = g->errlen;
    a->opt = g->opt;
    a->amp = 1;
    a->amp_L = L;
    init_types(a, g->ctx, NULL);
    a->vecmath = g->vecmath;
    size_t used = 0;
    if (setup(a)) {
        cg_fail(g, "out of memory");
    } else {
        a->mod = g->mod;
        a->b = g->b;
        a->ab = g->ab;
        char ap[136]; /* prefixes are at most 120 characters (valid_prefix) */
        snprintf(ap, sizeof ap, "%.120s_lanes", prefix);
        memset(ainf, 0, sizeof *ainf);
        snprintf(ainf->forward_name, sizeof ainf->forward_name, "%s_forward", ap);
        snprintf(ainf->vjp_name, sizeof ainf->vjp_name, "%s_vjp", ap);
        if (g->opt.grad == CG_GRAD_ADJOINT) {
            snprintf(ainf->forward_keep_name, sizeof ainf->forward_keep_name, "%s_forwardK", ap);
            snprintf(ainf->vjp_kept_name, sizeof ainf->vjp_kept_name, "%s_vjpK", ap);
            ainf->state_bytes = 2 * (size_t)a->N * (size_t)a->W * a->esize;
        }
        cg_emit_functions(a, ap, ainf, ft);
        if (a->failed)
            g->failed = 1;
        const char *names[4] = {ainf->forward_name, ainf->vjp_name, ainf->forward_keep_name,
                                ainf->vjp_kept_name};
        for (int i = 0; i < 4; i++) { /* reached only through the main entry points */
            LLVMValueRef f = names[i][0] ? LLVMGetNamedFunction(g->mod, names[i]) : NULL;
            if (f)
                LLVMSetLinkage(f, LLVMInternalLinkage);
        }
        used = footprint(a);
        g->amp_to = ainf;
        g->amp_ops = cg_amp_sweeps(ac);
        g->main_ops = cg_amp_sweeps(g->c);
    }
    teardown(a);
    ir_free(ac);
    return used;
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
    if (ir_has_channels(c) && cg_dm_lanes(c, o && o->lanes, &g->opt, err, errlen))
        return NULL;
    init_types(g, ctx, ts);
    int dm = ir_has_channels(c); /* density matrices: cg_dm.c */
    if (dm ? cg_dm_setup(g) : setup(g)) {
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
    if (!dm && g->opt.grad == CG_GRAD_ADJOINT) { /* cg_fn.c emits the kept-state pair */
        snprintf(inf.forward_keep_name, sizeof inf.forward_keep_name, "%s_forwardK", prefix);
        snprintf(inf.vjp_kept_name, sizeof inf.vjp_kept_name, "%s_vjpK", prefix);
        inf.state_bytes = 2 * (size_t)g->N * (size_t)g->W * g->esize;
    }
    cg_fn_target ft = {ts->cpu, ts->features};
    cg_info ainf;
    size_t amp_used = !dm && cg_amp_wanted(c, &g->opt) ? emit_amp(g, prefix, &ft, &ainf) : 0;
    if (amp_used) { /* the main layout's regions after the amplitude layout's: both keep
                     * their own _pre tables valid whichever ran last */
        size_t by = round_up(amp_used, 64 / g->esize);
        size_t *offs[9] = {&g->off_xin, &g->off_gout, &g->off_gp, &g->off_gi, &g->off_psi,
                           &g->off_lam, &g->off_diag, &g->off_prekey, &g->off_shared};
        for (int i = 0; i < 9; i++)
            *offs[i] += by;
    }
    LLVMValueRef fwd = dm ? cg_dm_emit_functions(g, prefix, &inf, &ft)
                          : cg_emit_functions(g, prefix, &inf, &ft);
    inf.lanes = g->W;
    inf.precision = g->opt.precision;
    inf.work_bytes = footprint(g) * g->esize + 64;
    cg_build_info(g, inf.info_name, inf.work_bytes);
    if (g->opt.test_corrupt && fwd) /* a block without terminator: the verifier must catch it */
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

    /* Level 3 (the JIT's) is a short function pipeline, not default<O3>: the kernels are
     * already <W x T> code with constant strides, and O3's loop, inlining and
     * inter-procedural passes cost 2-3x the compile time (1.0 s -> 0.4 s for the fused
     * 8-qubit QIREN layer) for no measured speed (docs/performance.md). sroa promotes the
     * gradient accumulators, early-cse/instcombine fold the zero-aware algebra. instcombine
 * named in a pipeline string checks that one iteration reached its fixpoint and stops the
 * process with "LLVM ERROR" when not (some chains of constant products in gradient code);
 * the default<On> pipelines run it without that check, and so does this one. */
    char pipeline[96];
    if (g->opt.opt_level == 3)
        snprintf(pipeline, sizeof pipeline, "function(sroa,early-cse,instcombine<no-verify-fixpoint>,simplifycfg)");
    else
        snprintf(pipeline, sizeof pipeline, "default<O%d>", g->opt.opt_level);
    LLVMPassBuilderOptionsRef pbo = LLVMCreatePassBuilderOptions();
    /* Kernels of identical ops (the same fixed gate on the same wires, ...) become one
     * (default<On> pipelines only). */
    LLVMPassBuilderOptionsSetMergeFunctions(pbo, 1);
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
