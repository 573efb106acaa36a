/* Private interface shared by the code generator's files (cg.c: driver, validation, layout;
 * cg_fn.c: the module's functions; cg_emit.c: values, loops, expressions, gate matrices;
 * cg_ops.c: state-vector kernels).
 * Nothing outside cg*.c includes this header; the public interface is cg.h.
 *
 * Value convention: an LLVMValueRef of NULL stands for an exact zero, so that gate matrices
 * with structural zeros (RY is real, RZ diagonal, X a permutation) generate only the
 * arithmetic they need. A value is either a scalar of the element type T (shared across the
 * lanes: depends on parameters and constants only) or a <W x T> vector (one entry per
 * sample); arithmetic helpers splat scalars when the two meet. */
#ifndef QNN_CG_INTERNAL_H
#define QNN_CG_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include <llvm-c/Core.h>

#include "cg.h"
#include "ir.h"

typedef LLVMValueRef val; /* NULL = exactly 0 */

typedef struct { val re, im; } cval;
typedef struct { cval m[4]; } cmat; /* 2x2 row-major: m[2 * row + col] */
typedef struct { cval m[16]; } cmat4; /* 4x4 row-major (FUSED_2Q): m[4 * row + col], basis
                                       * |wires[0] wires[1]> */

/* Where a component of a matrix computed once per call lives: a structural zero, a
 * compile-time constant, or a scalar slot of the shared table in the work buffer. */
typedef enum { CC_ZERO, CC_CONST, CC_SLOT } cc_kind;
typedef struct { cc_kind kind; double k; size_t slot; } ccomp;
typedef struct { ccomp c[8]; } cmat_desc; /* m[i].re = c[2i], m[i].im = c[2i+1] */

/* One angle of one primitive gate (a top-level op, or a member of a fused op). */
typedef struct {
    const ir_op *prim; /* the primitive op (op itself or the member) */
    int k;             /* which of its angles */
    int slot;          /* global index: the parameter-shift slot */
} cg_occ;

/* Per top-level op: its angles, and its matrices when cached in the shared table. */
typedef struct {
    int shared;       /* no angle depends on inputs: matrices are per call, not per lane */
    int first_occ, n_occ;
    int cached;       /* U (and Z[] in vjp) were stored at function entry */
    cmat_desc U;
    cmat_desc *Z;     /* n_occ gradient matrices (vjp only) */
    size_t table;     /* FUSED_DIAG: element offset of its phase table, if cached, or of
                       * the table of its shared members, if part */
    int part;         /* per-lane FUSED_DIAG whose shared members' table is cached */
    cmat_desc *U4;    /* FUSED_2Q: its 4x4 U as 4 descs of 4 entries each (entries 4k ..
                       * 4k+3 in U4[k]); its gradients need no cached matrices */
} cg_opinfo;

typedef struct cg {
    const ir_circuit *c;
    cg_options opt;
    int W, n;
    char vecmath;              /* libmvec ISA letter for <W x T> sin/cos (b, d, e), or 0 */
    int64_t N;                 /* 2^n amplitudes */
    LLVMContextRef ctx;        /* borrowed from the caller */
    LLVMModuleRef mod;         /* owned by cg_build until it returns it */
    LLVMBuilderRef b, ab;      /* main builder; builder for allocas */
    LLVMTypeRef T, VT, i1, i32, i64, ptr, voidt;
    unsigned esize, valign;    /* bytes per element; alignment of vector accesses */

    /* current function */
    LLVMValueRef fn;
    LLVMBasicBlockRef alloca_bb;
    LLVMValueRef work;         /* 64-byte aligned work base */
    LLVMValueRef params;
    LLVMValueRef psi, lam, xin, gout, gp, gi, diag, shtab; /* region base pointers */
    LLVMValueRef slot, shift;  /* parameter-shift simulation only, else NULL */
    int use_cache;             /* matrices of shared ops come from the shared table */
    LLVMValueRef dout;         /* shared backward kernel: store dL/da here, the caller chains */

    /* work layout: element offsets from the aligned base */
    size_t off_xin, off_gout, off_gp, off_gi, off_psi, off_lam, off_diag, off_shared;
    size_t off_prekey;         /* _pre's key: a tag, then the parameters it last ran for */
    size_t n_shared, max_shared;
    /* While pre_loop_n > 0, _pre emits one loop over pre_loop_n ops of one shape (cg_fn.c):
     * their r-th slots are contiguous, iteration pre_loop_i's at pre_loop_base + r *
     * pre_loop_n + pre_loop_i, and pre_loop_rel counts the slots of one op. */
    int pre_loop_n;
    size_t pre_loop_base, pre_loop_rel;
    LLVMValueRef pre_loop_i;

    cg_occ *occ; int n_occ;
    cg_opinfo *ops;
    unsigned char *uses_in;    /* per expression node: depends on inputs */
    val *memo;                 /* per expression node, reset per op */

    /* Amplitudes in the lanes (cg_amp.c): amp = 1 in the cg that emits the layout's
     * functions, whose lanes hold 2^amp_L amplitudes of one sample (n = qubits - amp_L);
     * in the main cg, amp_to names the layout's entry points and amp_ops / main_ops are
     * the two op sequences' sweeps, which decide per call which one runs. */
    int amp, amp_L;
    const cg_info *amp_to;
    int64_t amp_ops, main_ops;

    char *err; size_t errlen; int failed;
} cg;

/* ---- cg_emit.c: values ------------------------------------------------------------------ */
void cg_fail(cg *g, const char *fmt, ...);
val cg_k(cg *g, double v);              /* scalar constant */
val cg_i64(cg *g, int64_t v);
int cg_isvec(val v);
val cg_splat(cg *g, val v);             /* scalar -> vector; vectors pass through */
val cg_zero_if_null(cg *g, val v);
val cg_add(cg *g, val a, val b);
val cg_sub(cg *g, val a, val b);
val cg_mul(cg *g, val a, val b);
val cg_div(cg *g, val a, val b);
val cg_neg(cg *g, val a);
val cg_sel(cg *g, LLVMValueRef cond, val a, val b); /* cond ? a : b */
val cg_math(cg *g, const char *name, val a);        /* sin cos exp log sqrt tan tanh ... */
cval cg_cadd(cg *g, cval a, cval b);
cval cg_cmul(cg *g, cval a, cval b);
cval cg_cconj(cg *g, cval a);
cval cg_csel(cg *g, LLVMValueRef cond, cval a, cval b);
cmat cg_ident(cg *g);
cmat cg_matmul(cg *g, const cmat *a, const cmat *b);
cmat cg_dagger(cg *g, const cmat *a);
cmat cg_matsplat(cg *g, const cmat *a);
cmat4 cg_ident4(cg *g);
cmat4 cg_matmul4(cg *g, const cmat4 *a, const cmat4 *b);
cmat4 cg_dagger4(cg *g, const cmat4 *a);
/* The 4x4 in basis |w0 w1> of FUSED_2Q member m (ir_pair_matrix's), or its derivative in
 * angle deriv (>= 0), from its angle values ang; a member whose angles are all constants
 * is computed here in double precision (constants in the code, exact zeros as NULL). */
void cg_pair_mat(cg *g, const ir_op *m, int w0, int w1, const val *ang, int deriv, cmat4 *out);

/* memory */
LLVMValueRef cg_alloca(cg *g, LLVMTypeRef t);
val cg_vload(cg *g, LLVMValueRef base, LLVMValueRef idx);   /* base[idx] as <W x T> */
void cg_vstore(cg *g, LLVMValueRef base, LLVMValueRef idx, val v);
val cg_sload(cg *g, LLVMValueRef base, LLVMValueRef idx);   /* base[idx] as T */
void cg_sstore(cg *g, LLVMValueRef base, LLVMValueRef idx, val v);
LLVMValueRef cg_region(cg *g, size_t elem_off);              /* work + elem_off elements */

/* counted loops: i runs over [0, count) */
typedef struct { LLVMBasicBlockRef pre, cond, body, exit; LLVMValueRef iv; } cg_loop;
LLVMValueRef cg_loop_begin(cg *g, cg_loop *l, LLVMValueRef count);
void cg_loop_end(cg *g, cg_loop *l);
LLVMValueRef cg_insert0(cg *g, LLVMValueRef v, int pos); /* insert a 0 bit at pos */
LLVMValueRef cg_bit(cg *g, LLVMValueRef v, int pos);     /* i1: bit pos of v */

/* vector accumulators (allocas that mem2reg turns into loop phis) */
LLVMValueRef cg_acc_new(cg *g);                /* zero-initialised at the current point */
void cg_acc_add(cg *g, LLVMValueRef acc, val v);
val cg_acc_get(cg *g, LLVMValueRef acc);

/* ---- cg_emit.c: expressions and gate matrices ------------------------------------------- */
void cg_memo_reset(cg *g);
val cg_expr(cg *g, int e);                     /* scalar if the node uses no input */
val cg_angle(cg *g, const cg_occ *o);          /* with the shift of a shift simulation */
void cg_chain(cg *g, int e, val adj);          /* d/d leaves, accumulated into gp / gi */
void cg_gate_mat(cg *g, ir_gate gate, const val *ang, int deriv, cmat *out);
ir_gate cg_target_gate(ir_gate g);             /* CRX -> RX, CNOT -> X, ...; else g */

/* ---- cg_ops.c: kernels over the state ------------------------------------------------------ */
void cg_init_state(cg *g, LLVMValueRef st);
void cg_apply_1q(cg *g, LLVMValueRef st, int target, int control, const cmat *u);
void cg_back_1q(cg *g, int target, int control, const cmat *ud, const int need[8], val G[8]);
void cg_swap(cg *g, LLVMValueRef st, int w0, int w1);
/* The amplitude layout's merged lane swaps (cg_amp.c): m SWAP(kernel wire, lane wire) pairs
 * with distinct wires and lane bits, in one sweep (m <= CG_AMP_MAX_MERGED). */
enum { CG_AMP_MAX_MERGED = 4 };
void cg_lane_swaps(cg *g, LLVMValueRef st, const ir_op *pairs, int m);
/* FUSED_2Q: a dense 4x4 on the pair (w0, w1), and its adjoint step (as cg_back_1q, with the
 * 16 entries of G_rc = sum lambda_r conj(psi_before_c) over the quadruples of the pair) */
void cg_apply_2q(cg *g, LLVMValueRef st, int w0, int w1, const cmat4 *u);
void cg_back_2q(cg *g, int w0, int w1, const cmat4 *ud, const int need[32], val G[32]);
/* which members a FUSED_DIAG table holds: all, those of parameters and constants only
 * (built once per call), or those whose angles use inputs (built per lane group) */
enum { CG_DIAG_ALL, CG_DIAG_SHARED, CG_DIAG_LANE };
void cg_diag_table(cg *g, const ir_op *op, LLVMValueRef tab, int scalar, int which);
void cg_diag_apply(cg *g, LLVMValueRef st, const ir_op *op, LLVMValueRef tab, int scalar);
void cg_diag_back(cg *g, const ir_op *op, LLVMValueRef tab, int scalar, val *dtheta);
int cg_diag_wires(const cg *g, const ir_op *op, int *wires);
/* cg_block.c: FUSED_BLOCK (rule 10): all members applied to each block of 2^k amplitudes in
 * registers, one sweep; the backward sweep does every member's adjoint step and gradient. */
void cg_block_fwd(cg *g, int oi);
void cg_block_bwd(cg *g, int oi);
void cg_observables(cg *g, LLVMValueRef st, val *out);
void cg_seed_lambda(cg *g);
/* Variance outputs (IR_OBS_VAR): how many, their means <O> into means[0 .. n) (a vector
 * per output), and sum_o gout_o out_o linearised at those means (the shift rule's loss). */
int cg_n_var(const cg *g);
void cg_var_means(cg *g, LLVMValueRef st, LLVMValueRef means);
val cg_weighted_outputs(cg *g, LLVMValueRef st, LLVMValueRef means);

/* ---- cg_fn.c: functions --------------------------------------------------------------------- */
typedef struct { const char *cpu, *features; } cg_fn_target; /* function attributes */
/* Emits the kernels and the entry points named in inf; returns the forward function. */
LLVMValueRef cg_emit_functions(cg *g, const char *prefix, const cg_info *inf,
                               const cg_fn_target *ft);
void cg_build_info(cg *g, const char *name, size_t work_bytes);
/* cg_fn.c helpers shared with cg_share.c */
int cg_op_is_noop(const ir_op *op);
void cg_fwd_op(cg *g, int oi);
void cg_bwd_op(cg *g, int oi);
LLVMValueRef cg_new_fn(cg *g, const char *name, LLVMTypeRef fty, const cg_fn_target *ft,
                       int internal);
void cg_begin_fn(cg *g, LLVMValueRef fn, LLVMValueRef work_arg, int align);
void cg_end_fn(cg *g);

/* ---- cg_share.c: kernels shared between ops --------------------------------------------- */
typedef struct {
    LLVMValueRef pre, *fwd, *bwd, *sim; /* per op; NULL = nothing to do */
    long *tab;                          /* per op: first shared slot of a shared kernel, or -1 */
    int max_occ;                        /* most angles of an op with a shared kernel */
} cg_kernels;
/* Gives every op with cached matrices a shared kernel pair (k->tab[op] = its first slot),
 * emitting one pair per distinct gate, wires and matrix structure; others get k->tab = -1. */
void cg_emit_shared(cg *g, cg_kernels *k, const char *prefix, const cg_fn_target *ft);


/* g->uses_in[e]: expression e depends on a circuit input (vector per lane, else scalar). */
void cg_mark_input_dependence(cg *g);

/* Shared by the state-vector functions (cg_fn.c, cg_ops.c) and the density-matrix ones
 * (cg_dm.c). Lane groups: group i holds samples [i W, i W + rem), rem = min(W, B - i W);
 * cg_groups_begin opens the loop over them and returns i. cg_load_rows transposes rows
 * [base, base + rem) of src[B][width] into region[width][W] (padding lanes repeat the last
 * valid row, or are zero with zero_pad); cg_store_rows writes them back; cg_zero_region
 * zeroes nvec vectors; cg_finish_params adds the lanes of the gradient accumulators into
 * gparams. cg_amp_load / cg_amp_store: amplitude k of a state as (re, im) vectors. */
LLVMValueRef cg_imin(cg *g, LLVMValueRef a, LLVMValueRef b);
LLVMValueRef cg_groups_begin(cg *g, cg_loop *l, LLVMValueRef B, LLVMValueRef *base, LLVMValueRef *rem);
void cg_load_rows(cg *g, LLVMValueRef src, int width, LLVMValueRef region, LLVMValueRef base, LLVMValueRef rem, int zero_pad);
void cg_store_rows(cg *g, LLVMValueRef dst, int width, LLVMValueRef region, LLVMValueRef base, LLVMValueRef rem);
void cg_zero_region(cg *g, LLVMValueRef region, int nvec);
void cg_finish_params(cg *g, LLVMValueRef gparams);
cval cg_amp_load(cg *g, LLVMValueRef st, LLVMValueRef k);
void cg_amp_store(cg *g, LLVMValueRef st, LLVMValueRef k, cval a);

/* ---- cg_amp.c: amplitudes in the lanes ------------------------------------------------- */
/* The circuit c (after the passes) rewritten for one sample whose low L = log2(W) qubits
 * live in the lanes: the same n_qubits, but only wires 0 .. n - L - 1 are wires of the
 * kernels' state; wire n - 1 - j stands for lane bit j. Every op acts on kernel wires only,
 * except SWAP(p, lane wire), the in-register exchange of a wire and a lane bit (cg_swap),
 * inserted wherever an op needs a qubit that sits in the lanes. Logical SWAP gates become
 * relabellings, diagonals are split around their swaps, outputs are remapped. NULL (and
 * *why) when the layout does not apply: noise channels, variances, or no free wire. */
ir_circuit *cg_amp_circuit(const ir_circuit *c, int L, const char **why);
/* Whether a circuit compiled with these (resolved) options gets the layout: state vectors of
 * at least CG_AMP_MIN_QUBITS qubits (smaller ones cost little at batch 1, and the layout
 * doubles the compile time), more than one lane, no shots; cg_options.amp forces it on (1,
 * at any size it fits) or off (-1). And L for W lanes (log2). */
int cg_amp_wanted(const ir_circuit *c, const cg_options *o);
int cg_amp_lane_bits(int W);
/* Sweeps of an op sequence (ops that are not no-ops): the per-call choice's cost model. */
int64_t cg_amp_sweeps(const ir_circuit *c);
/* v's lanes added (llvm.vector.reduce.fadd): the parameter gradients' accumulators, and the
 * amplitude layout's outputs and input gradients, which are sums over lanes. */
val cg_lane_sum(cg *g, val v);

#endif
