/* Code generator for density matrices (docs/codegen.md §9): circuits with noise channels
 * (IR_CHANNEL) compiled to the same rt_circuit entry points as state vectors.
 *
 * rho (2^n x 2^n) is held as vec(rho), a 2n-qubit batched state in the psi region of the
 * usual structure-of-arrays layout: vec index i * 2^n + j holds rho[i][j], so row wire w is
 * vector wire w and column wire w is vector wire n + w (interp_dm.c's convention). The
 * state-vector kernels of cg_ops.c then serve unchanged with g->n = 2n:
 *  - a gate U on wires W: U on W, then conj(U) on n + W (rho -> U rho U^dagger);
 *  - a channel: its superoperator S (channel.h) as a dense non-unitary op on (w, n + w), or
 *    on (w0, w1, n + w0, n + w1) for a two-qubit kraus (own kernel below);
 *  - readout_error: no map on rho; it scales each measured Pauli term (1 - 2p per wire);
 *  - outputs: tr(P rho) = sum_k phase(k) rho[k][k ^ x], a linear measurement (2^n entries).
 * The vjp is the adjoint method on vec(rho): lambda = sum_t dL/d<P_t> vec(P_t), walked back by
 * M^dagger, dL/da = Re <lambda_after | dM | rho_before>. Gates are un-applied exactly (they are
 * unitary on vec(rho)); channels are not invertible, so the vjp's forward pass copies rho into
 * a checkpoint before each channel and the backward pass restores it from there.
 * Nothing here changes the state-vector path: cg.c calls this file only for circuits with
 * channels. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cg_internal.h"
#include "cg_dm.h"
#include "channel.h"
#include "dm_checkpoints.h"

static int is_readout(const ir_op *op) {
    return op->gate == IR_CHANNEL && op->channel == IR_CH_READOUT;
}

static int has_checkpoint(const ir_op *op) {
    return op->gate == IR_CHANNEL && !is_readout(op);
}

int cg_dm_n_checkpoints(const ir_circuit *c) {
    int n = 0;
    for (int i = 0; i < c->n_ops; i++)
        n += has_checkpoint(&c->ops[i]);
    return n;
}

/* The checkpoint stride of c in precision esize (dm_checkpoints.h: per sample). */
static int stride_of(const ir_circuit *c, size_t esize) {
    return dm_checkpoint_stride(cg_dm_n_checkpoints(c),
                                2.0 * (double)((size_t)1 << (2 * c->n_qubits)) * (double)esize);
}

int cg_dm_kept_states(const ir_circuit *c, size_t esize) {
    return dm_checkpoints_kept(cg_dm_n_checkpoints(c), stride_of(c, esize));
}

static size_t round_up(size_t v, size_t r) { return (v + r - 1) / r * r; }

int cg_dm_lanes(const ir_circuit *c, int chosen, cg_options *opt, char *err, size_t errlen) {
    size_t esize = opt->precision == 32 ? 4 : 8;
    size_t states = 2 + (opt->grad == CG_GRAD_SHIFT ? 0 : (size_t)cg_dm_kept_states(c, esize));
    size_t per_lane = states * 2 * ((size_t)1 << (2 * c->n_qubits)) * esize;
    while (!chosen && opt->lanes > 1 && per_lane * (size_t)opt->lanes > CG_DM_WORK_TARGET)
        opt->lanes /= 2; /* memory-bound anyway: lanes beyond 2 gain nothing (performance.md) */
    if (per_lane * (size_t)opt->lanes <= CG_DM_WORK_MAX)
        return 0;
    snprintf(err, errlen, "circuit '%s': its density-matrix gradient needs %zu bytes of work per "
             "thread (%zu density matrices of %zu bytes, one per channel for the adjoint method, "
             "%d lanes; the limit is %zu): use fewer channels or simulation = trajectories",
             c->name, per_lane * (size_t)opt->lanes, states, per_lane / states, opt->lanes,
             CG_DM_WORK_MAX);
    return -1;
}

/* ---- layout ------------------------------------------------------------------------------ */

int cg_dm_setup(cg *g) {
    const ir_circuit *c = g->c;
    g->n = 2 * c->n_qubits; /* the kernels see vec(rho) as a state of 2n qubits */
    g->N = (int64_t)1 << g->n;
    g->uses_in = calloc((size_t)c->n_exprs + 1, 1);
    g->memo = calloc((size_t)c->n_exprs + 1, sizeof *g->memo);
    if (!g->uses_in || !g->memo)
        return -1;
    cg_mark_input_dependence(g);
    size_t W = (size_t)g->W, R = 64 / g->esize, off = 0, N2 = 2 * (size_t)g->N * W;
    g->off_xin = off;  off += round_up((size_t)c->n_inputs * W, R);
    g->off_gout = off; off += round_up((size_t)c->n_obs * W, R);
    g->off_gp = off;   off += round_up((size_t)c->n_params * W, R);
    g->off_gi = off;   off += round_up((size_t)c->n_inputs * W, R);
    g->off_psi = off;  off += round_up(N2, R);
    g->off_lam = off;  off += round_up(N2, R);
    /* the diag region holds the term values (raw tr(P_t rho)), then the seed weights */
    g->off_diag = off; off += 2 * round_up((size_t)c->n_terms * W, R);
    /* checkpoints (adjoint vjp): one state per channel, after the fixed regions; the
     * parameter-shift vjp only runs forward and keeps none */
    if (g->opt.grad != CG_GRAD_SHIFT) off += (size_t)cg_dm_kept_states(c, g->esize) * round_up(N2, R);
    g->off_shared = off;
    g->n_shared = g->max_shared = 0;
    return 0;
}

static LLVMValueRef terms_region(cg *g) { return cg_region(g, g->off_diag); }
static LLVMValueRef weights_region(cg *g) {
    size_t R = 64 / g->esize;
    return cg_region(g, g->off_diag + round_up((size_t)g->c->n_terms * (size_t)g->W, R));
}
static LLVMValueRef checkpoint(cg *g, int j) {
    size_t W = (size_t)g->W, R = 64 / g->esize, N2 = 2 * (size_t)g->N * W;
    size_t base = g->off_diag + 2 * round_up((size_t)g->c->n_terms * W, R);
    return cg_region(g, base + (size_t)j * round_up(N2, R));
}

static void copy_state(cg *g, LLVMValueRef dst, LLVMValueRef src) {
    size_t bytes = 2 * (size_t)g->N * (size_t)g->W * g->esize;
    LLVMBuildMemCpy(g->b, dst, 64, src, 64, cg_i64(g, (int64_t)bytes));
}

/* ---- small helpers (the state-vector ones in cg_ops.c are file-local) --------------------- */

static LLVMValueRef parity(cg *g, LLVMValueRef k, uint64_t mask) {
    LLVMValueRef m = LLVMBuildAnd(g->b, k, cg_i64(g, (int64_t)mask), "");
    unsigned id = LLVMLookupIntrinsicID("llvm.ctpop", 10);
    LLVMValueRef fn = LLVMGetIntrinsicDeclaration(g->mod, id, &g->i64, 1);
    LLVMTypeRef fty = LLVMIntrinsicGetType(g->ctx, id, &g->i64, 1);
    LLVMValueRef c = LLVMBuildCall2(g->b, fty, fn, &m, 1, "");
    return cg_bit(g, c, 0);
}

/* The bits of a Pauli term's x and z masks as row indices of the physical register. */
static void term_bits(const cg *g, const ir_pauli_term *t, uint64_t *xb, uint64_t *zb) {
    int n = g->c->n_qubits;
    *xb = *zb = 0;
    for (int w = 0; w < n; w++) {
        if (t->x_mask >> w & 1) *xb |= (uint64_t)1 << (n - 1 - w);
        if (t->z_mask >> w & 1) *zb |= (uint64_t)1 << (n - 1 - w);
    }
}

/* ---- dense ops on k vector wires (channels) ----------------------------------------------- *
 * One loop over the 2^(2n-k) blocks: the counter with zero bits at the wires' positions
 * (ascending), then the 2^k entries of local index l (wires[0] its most significant bit). */
enum { MAXK = 4, MAXD = 1 << MAXK };

static void block_index(cg *g, LLVMValueRef i, const int *wires, int k, LLVMValueRef *idx) {
    int pos[MAXK];
    for (int t = 0; t < k; t++)
        pos[t] = g->n - 1 - wires[t];
    int sorted[MAXK];
    memcpy(sorted, pos, sizeof(int) * (size_t)k);   /* only the k entries set */
    for (int a = 0; a < k; a++)
        for (int b = a + 1; b < k; b++)
            if (sorted[b] < sorted[a]) {
                int x = sorted[a];
                sorted[a] = sorted[b];
                sorted[b] = x;
            }
    LLVMValueRef base = i;
    for (int t = 0; t < k; t++)
        base = cg_insert0(g, base, sorted[t]);
    for (int l = 0; l < (1 << k); l++) {
        int64_t bits = 0;
        for (int t = 0; t < k; t++)
            if (l >> (k - 1 - t) & 1)
                bits |= (int64_t)1 << pos[t];
        idx[l] = bits ? LLVMBuildOr(g->b, base, cg_i64(g, bits), "") : base;
    }
}

/* st <- M st, M d x d (d = 2^k) row-major in m[r * d + c] */
static void apply_dense(cg *g, LLVMValueRef st, const int *wires, int k, const cval *m) {
    int d = 1 << k;
    cval ms[MAXD * MAXD];
    for (int e = 0; e < d * d; e++) {
        ms[e].re = cg_splat(g, m[e].re);
        ms[e].im = cg_splat(g, m[e].im);
    }
    cg_loop l;
    LLVMValueRef i = cg_loop_begin(g, &l, cg_i64(g, g->N >> k)), idx[MAXD];
    block_index(g, i, wires, k, idx);
    cval a[MAXD];
    for (int c = 0; c < d; c++)
        a[c] = cg_amp_load(g, st, idx[c]);
    for (int r = 0; r < d; r++) {
        cval s = {NULL, NULL};
        for (int c = 0; c < d; c++)
            s = cg_cadd(g, s, cg_cmul(g, ms[r * d + c], a[c]));
        cg_amp_store(g, st, idx[r], s);
    }
    cg_loop_end(g, &l);
}

/* Backward through a channel: psi holds rho before it (restored from its checkpoint), lambda
 * the co-state after it. Accumulates ReG[r][c] = sum Re(lambda_r conj(rho_c)) where need[r*d+c],
 * then lambda <- M^dagger lambda. */
static void back_dense(cg *g, const int *wires, int k, const cval *m, const int *need,
                       val *ReG) {
    int d = 1 << k;
    cval ms[MAXD * MAXD];
    LLVMValueRef acc[MAXD * MAXD] = {0};
    for (int e = 0; e < d * d; e++) {
        ms[e].re = cg_splat(g, m[e].re);
        ms[e].im = cg_splat(g, m[e].im);
        if (need && need[e])
            acc[e] = cg_acc_new(g);
    }
    cg_loop l;
    LLVMValueRef i = cg_loop_begin(g, &l, cg_i64(g, g->N >> k)), idx[MAXD];
    block_index(g, i, wires, k, idx);
    cval a[MAXD], lm[MAXD];
    for (int c = 0; c < d; c++) {
        lm[c] = cg_amp_load(g, g->lam, idx[c]);
        if (need)
            a[c] = cg_amp_load(g, g->psi, idx[c]);
    }
    for (int e = 0; need && e < d * d; e++)
        if (need[e]) {
            int r = e / d, c = e % d;
            cg_acc_add(g, acc[e], cg_add(g, cg_mul(g, lm[r].re, a[c].re),
                                         cg_mul(g, lm[r].im, a[c].im)));
        }
    for (int r = 0; r < d; r++) { /* (M^dagger)_rc = conj(M_cr) */
        cval s = {NULL, NULL};
        for (int c = 0; c < d; c++)
            s = cg_cadd(g, s, cg_cmul(g, cg_cconj(g, ms[c * d + r]), lm[c]));
        cg_amp_store(g, g->lam, idx[r], s);
    }
    cg_loop_end(g, &l);
    for (int e = 0; ReG && e < d * d; e++)
        ReG[e] = need && need[e] ? cg_acc_get(g, acc[e]) : NULL;
}

/* ---- channels ------------------------------------------------------------------------------- */

/* A built-in one-qubit channel in channel.c's form: a' = pa a + pd d, d' = qa a + qd d,
 * b' = cb b + cc c, c' = cb c + cc b (vec order a = rho00, b = rho01, c = rho10, d = rho11),
 * with the strengths' values s[]. */
typedef struct { val pa, pd, qa, qd, cb, cc; } ch_form;

static val one_minus(cg *g, val x) { return cg_sub(g, cg_k(g, 1.0), x); }

static ch_form channel_form(cg *g, const ir_op *op, const val *s) {
    ch_form f = {cg_k(g, 1.0), NULL, NULL, cg_k(g, 1.0), cg_k(g, 1.0), NULL};
    val p = s[0];
    switch (op->channel) {
    case IR_CH_DEPOLARIZING: {
        val t = cg_mul(g, p, cg_k(g, 2.0 / 3));
        f.pa = f.qd = one_minus(g, t);
        f.pd = f.qa = t;
        f.cb = one_minus(g, cg_mul(g, p, cg_k(g, 4.0 / 3)));
        break;
    }
    case IR_CH_BIT_FLIP:
        f.pa = f.qd = f.cb = one_minus(g, p);
        f.pd = f.qa = f.cc = p;
        break;
    case IR_CH_PHASE_FLIP:
        f.cb = one_minus(g, cg_mul(g, p, cg_k(g, 2.0)));
        break;
    case IR_CH_AMPLITUDE_DAMPING:
        f.pd = p;
        f.qd = one_minus(g, p);
        f.cb = cg_math(g, "sqrt", one_minus(g, p));
        break;
    case IR_CH_PHASE_DAMPING:
        f.cb = cg_math(g, "sqrt", one_minus(g, p));
        break;
    case IR_CH_THERMAL: { /* e1 = exp(-t/t1), e2 = exp(-t/t2) */
        val e1 = cg_math(g, "exp", cg_neg(g, cg_div(g, s[2], s[0])));
        val e2 = cg_math(g, "exp", cg_neg(g, cg_div(g, s[2], s[1])));
        f.pd = one_minus(g, e1);
        f.qd = e1;
        f.cb = e2;
        break;
    }
    default: break;
    }
    return f;
}

/* dL/ds_k of a built-in channel from dL/d(entries) (the real parts of G: its superoperator is
 * real, so dL = sum_rc dS_rc Re G_rc) */
static void channel_strength_grads(cg *g, const ir_op *op, const val *s, const ch_form *dE,
                                   val *ds) {
    val p = s[0];
    ds[0] = ds[1] = ds[2] = NULL;
    switch (op->channel) {
    case IR_CH_DEPOLARIZING:
        ds[0] = cg_add(g, cg_mul(g, cg_k(g, 2.0 / 3),
                                 cg_sub(g, cg_add(g, dE->pd, dE->qa), cg_add(g, dE->pa, dE->qd))),
                       cg_mul(g, cg_k(g, -4.0 / 3), dE->cb));
        break;
    case IR_CH_BIT_FLIP:
        ds[0] = cg_sub(g, cg_add(g, cg_add(g, dE->pd, dE->qa), dE->cc),
                       cg_add(g, cg_add(g, dE->pa, dE->qd), dE->cb));
        break;
    case IR_CH_PHASE_FLIP:
        ds[0] = cg_mul(g, cg_k(g, -2.0), dE->cb);
        break;
    case IR_CH_AMPLITUDE_DAMPING:
        ds[0] = cg_sub(g, dE->pd, dE->qd);
        /* fall through: the coherence factor sqrt(1 - p) as for phase damping */
        /* FALLTHROUGH */
    case IR_CH_PHASE_DAMPING:
        ds[0] = cg_add(g, ds[0], cg_div(g, cg_mul(g, cg_k(g, -0.5), dE->cb),
                                        cg_math(g, "sqrt", one_minus(g, p))));
        break;
    case IR_CH_THERMAL: {
        val t1 = s[0], t2 = s[1], t = s[2];
        val e1 = cg_math(g, "exp", cg_neg(g, cg_div(g, t, t1)));
        val e2 = cg_math(g, "exp", cg_neg(g, cg_div(g, t, t2)));
        val g1 = cg_sub(g, dE->qd, dE->pd), g2 = dE->cb; /* dL/de1, dL/de2 */
        val a1 = cg_mul(g, g1, e1), a2 = cg_mul(g, g2, e2);
        ds[0] = cg_div(g, cg_mul(g, a1, t), cg_mul(g, t1, t1));
        ds[1] = cg_div(g, cg_mul(g, a2, t), cg_mul(g, t2, t2));
        ds[2] = cg_neg(g, cg_add(g, cg_div(g, a1, t1), cg_div(g, a2, t2)));
        break;
    }
    default: break;
    }
}

/* The entries of a built-in channel's form differentiated in strength k (a linear map:
 * the parameter-shift vjp runs the circuit with it in the channel's place). */
static ch_form channel_form_deriv(cg *g, const ir_op *op, const val *s, int k) {
    ch_form f = {NULL, NULL, NULL, NULL, NULL, NULL};
    val p = s[0];
    switch (op->channel) {
    case IR_CH_DEPOLARIZING:
        f.pa = f.qd = cg_k(g, -2.0 / 3);
        f.pd = f.qa = cg_k(g, 2.0 / 3);
        f.cb = cg_k(g, -4.0 / 3);
        break;
    case IR_CH_BIT_FLIP:
        f.pa = f.qd = f.cb = cg_k(g, -1.0);
        f.pd = f.qa = f.cc = cg_k(g, 1.0);
        break;
    case IR_CH_PHASE_FLIP:
        f.cb = cg_k(g, -2.0);
        break;
    case IR_CH_AMPLITUDE_DAMPING:
        f.pd = cg_k(g, 1.0);
        f.qd = cg_k(g, -1.0);
        /* d sqrt(1 - p) / dp as for phase damping */
        /* FALLTHROUGH */
    case IR_CH_PHASE_DAMPING:
        f.cb = cg_div(g, cg_k(g, -0.5), cg_math(g, "sqrt", one_minus(g, p)));
        break;
    case IR_CH_THERMAL: { /* pd = 1 - e1, qd = e1, cb = e2 */
        val t1 = s[0], t2 = s[1], t = s[2];
        val e1 = cg_math(g, "exp", cg_neg(g, cg_div(g, t, t1)));
        val e2 = cg_math(g, "exp", cg_neg(g, cg_div(g, t, t2)));
        val de1 = k == 0 ? cg_div(g, cg_mul(g, e1, t), cg_mul(g, t1, t1))
                : k == 2 ? cg_neg(g, cg_div(g, e1, t1)) : NULL;
        val de2 = k == 1 ? cg_div(g, cg_mul(g, e2, t), cg_mul(g, t2, t2))
                : k == 2 ? cg_neg(g, cg_div(g, e2, t2)) : NULL;
        f.pd = de1 ? cg_neg(g, de1) : NULL;
        f.qd = de1;
        f.cb = de2;
        break;
    }
    default: break;
    }
    return f;
}

static void form_matrix(const ch_form *f, cval *m) {
    memset(m, 0, sizeof(cval) * 16);
    m[0].re = f->pa;
    m[3].re = f->pd;
    m[12].re = f->qa;
    m[15].re = f->qd;
    m[5].re = m[10].re = f->cb;
    m[6].re = m[9].re = f->cc;
}

/* A kraus channel's superoperator, constant (double precision, zeros left out). */
static int kraus_matrix(cg *g, const ir_op *op, cval *m, int *wires) {
    double S[2 * CH_MAX_SUPER * CH_MAX_SUPER];
    int d = ch_dim(op), d2 = d * d, nq = g->c->n_qubits;
    ch_superop(g->c, op, NULL, -1, S);
    for (int e = 0; e < d2 * d2; e++) {
        m[e].re = S[2 * e] != 0 ? cg_k(g, S[2 * e]) : NULL;
        m[e].im = S[2 * e + 1] != 0 ? cg_k(g, S[2 * e + 1]) : NULL;
    }
    int k = 0, nw = d == 4 ? 2 : 1;
    for (int t = 0; t < nw; t++) wires[k++] = op->wires[t];
    for (int t = 0; t < nw; t++) wires[k++] = nq + op->wires[t];
    return k;
}

static void fwd_channel(cg *g, const ir_op *op) {
    cval m[MAXD * MAXD];
    int wires[MAXK], nq = g->c->n_qubits;
    if (op->channel == IR_CH_KRAUS) {
        int k = kraus_matrix(g, op, m, wires);
        apply_dense(g, g->psi, wires, k, m);
        return;
    }
    val s[3] = {0};
    for (int k = 0; k < ir_channel_n_strengths(op->channel); k++)
        s[k] = cg_expr(g, op->angle[k]);
    ch_form f = channel_form(g, op, s);
    form_matrix(&f, m);
    wires[0] = op->wires[0];
    wires[1] = nq + op->wires[0];
    apply_dense(g, g->psi, wires, 2, m);
}

static void bwd_channel(cg *g, const ir_op *op) {
    cval m[MAXD * MAXD];
    int wires[MAXK], nq = g->c->n_qubits;
    if (op->channel == IR_CH_KRAUS) { /* constant: no gradient, only the co-state */
        int k = kraus_matrix(g, op, m, wires);
        back_dense(g, wires, k, m, NULL, NULL);
        return;
    }
    int ns = ir_channel_n_strengths(op->channel);
    val s[3] = {0};
    for (int k = 0; k < ns; k++)
        s[k] = cg_expr(g, op->angle[k]);
    ch_form f = channel_form(g, op, s);
    form_matrix(&f, m);
    wires[0] = op->wires[0];
    wires[1] = nq + op->wires[0];
    int trainable = 0;
    for (int k = 0; k < ns; k++) {
        const ir_expr *x = &g->c->exprs[op->angle[k]];
        trainable |= x->uses_param || x->uses_input;
    }
    int need[16] = {0};
    if (trainable) /* the entries of channel_form that can vary */
        need[0] = need[3] = need[12] = need[15] = need[5] = need[10] = need[6] = need[9] = 1;
    val G[16];
    back_dense(g, wires, 2, m, trainable ? need : NULL, G);
    if (!trainable)
        return;
    ch_form dE = {G[0], G[3], G[12], G[15], cg_add(g, G[5], G[10]), cg_add(g, G[6], G[9])};
    val ds[3];
    channel_strength_grads(g, op, s, &dE, ds);
    for (int k = 0; k < ns; k++)
        cg_chain(g, op->angle[k], cg_splat(g, ds[k]));
}

/* ---- gates ---------------------------------------------------------------------------------- */

static void op_wires(const ir_op *op, int *target, int *control) {
    if (ir_gate_arity(op->gate) == 2) {
        *control = op->wires[0];
        *target = op->wires[1];
    } else {
        *control = -1;
        *target = op->wires[0];
    }
}

static cmat conj_mat(cg *g, const cmat *u) {
    cmat r;
    for (int e = 0; e < 4; e++)
        r.m[e] = cg_cconj(g, u->m[e]);
    return r;
}

static void gate_angles(cg *g, const ir_op *op, val *ang) {
    ang[0] = ang[1] = ang[2] = NULL;
    for (int k = 0; k < ir_gate_n_angles(op->gate); k++)
        ang[k] = cg_expr(g, op->angle[k]);
}

static void fwd_gate(cg *g, const ir_op *op) {
    int n = g->c->n_qubits, t, ctl;
    if (op->gate == IR_SWAP) {
        cg_swap(g, g->psi, op->wires[0], op->wires[1]);
        cg_swap(g, g->psi, n + op->wires[0], n + op->wires[1]);
        return;
    }
    val ang[3];
    cmat U, Uc;
    gate_angles(g, op, ang);
    cg_gate_mat(g, op->gate, ang, -1, &U);
    Uc = conj_mat(g, &U);
    op_wires(op, &t, &ctl);
    cg_apply_1q(g, g->psi, t, ctl, &U);
    cg_apply_1q(g, g->psi, n + t, ctl >= 0 ? n + ctl : -1, &Uc);
}

/* Un-applies conj(U) on the columns (no gradient), then U on the rows with the 2x2 inner
 * products G; dL/da = 2 Re sum Z_rc conj(G_rc): the columns' term equals the rows' one for
 * Hermitian rho and lambda (interp_dm.c does the same). */
static void bwd_gate(cg *g, const ir_op *op) {
    int n = g->c->n_qubits, t, ctl;
    if (op->gate == IR_SWAP) {
        for (int side = 0; side < 2; side++) {
            cg_swap(g, g->psi, side * n + op->wires[0], side * n + op->wires[1]);
            cg_swap(g, g->lam, side * n + op->wires[0], side * n + op->wires[1]);
        }
        return;
    }
    int na = ir_gate_n_angles(op->gate);
    val ang[3], G[8], Gc[8];
    cmat U, Uc, ud, udc, Z[3];
    gate_angles(g, op, ang);
    cg_gate_mat(g, op->gate, ang, -1, &U);
    Uc = conj_mat(g, &U);
    ud = cg_dagger(g, &U);
    udc = cg_dagger(g, &Uc);
    int need[8] = {0}, none[8] = {0};
    for (int k = 0; k < na; k++) {
        cg_gate_mat(g, op->gate, ang, k, &Z[k]);
        for (int e = 0; e < 4; e++) {
            need[2 * e] |= Z[k].m[e].re != NULL;
            need[2 * e + 1] |= Z[k].m[e].im != NULL;
        }
    }
    op_wires(op, &t, &ctl);
    cg_back_1q(g, n + t, ctl >= 0 ? n + ctl : -1, &udc, none, Gc);
    cg_back_1q(g, t, ctl, &ud, need, G);
    for (int k = 0; k < na; k++) {
        val s = NULL;
        for (int e = 0; e < 4; e++)
            s = cg_add(g, s, cg_add(g, cg_mul(g, Z[k].m[e].re, G[2 * e]),
                                    cg_mul(g, Z[k].m[e].im, G[2 * e + 1])));
        cg_chain(g, op->angle[k], cg_splat(g, cg_mul(g, s, cg_k(g, 2.0))));
    }
}

/* ---- measurement and seed ------------------------------------------------------------------- */

/* raw[t] = Re tr(P_t rho) = Re sum_k i^ny (-1)^{|k & z|} rho[k][k ^ x], into the terms region */
static void measure_terms(cg *g) {
    int n = g->c->n_qubits;
    LLVMValueRef tv = terms_region(g);
    for (int t = 0; t < g->c->n_terms; t++) {
        const ir_pauli_term *pt = &g->c->terms[t];
        uint64_t xb, zb;
        term_bits(g, pt, &xb, &zb);
        int ny = __builtin_popcount(pt->x_mask & pt->z_mask) & 3;
        LLVMValueRef acc = cg_acc_new(g);
        cg_loop l;
        LLVMValueRef k = cg_loop_begin(g, &l, cg_i64(g, (int64_t)1 << n));
        LLVMValueRef idx = LLVMBuildOr(g->b, LLVMBuildShl(g->b, k, cg_i64(g, n), ""),
                                       LLVMBuildXor(g->b, k, cg_i64(g, (int64_t)xb), ""), "");
        cval a = cg_amp_load(g, g->psi, idx);
        val v = (ny & 1) ? a.im : a.re;
        if (ny == 1 || ny == 2) v = cg_neg(g, v);
        if (zb) v = cg_sel(g, parity(g, k, zb), cg_neg(g, v), v);
        cg_acc_add(g, acc, v);
        cg_loop_end(g, &l);
        cg_vstore(g, tv, cg_i64(g, t), cg_zero_if_null(g, cg_acc_get(g, acc)));
    }
}

/* lambda = sum_t w_t vec(P_t), w from the weights region: P[k ^ x][k] = i^ny (-1)^{|k & z|} */
static void seed_lambda(cg *g) {
    int n = g->c->n_qubits;
    cg_init_state(g, g->lam);
    cg_vstore(g, g->lam, cg_i64(g, 0), NULL); /* cg_init_state wrote 1 there */
    LLVMValueRef wr = weights_region(g);
    for (int t = 0; t < g->c->n_terms; t++) {
        const ir_pauli_term *pt = &g->c->terms[t];
        uint64_t xb, zb;
        term_bits(g, pt, &xb, &zb);
        int ny = __builtin_popcount(pt->x_mask & pt->z_mask) & 3;
        val w = cg_vload(g, wr, cg_i64(g, t));
        cg_loop l;
        LLVMValueRef k = cg_loop_begin(g, &l, cg_i64(g, (int64_t)1 << n));
        LLVMValueRef idx = LLVMBuildOr(
            g->b, LLVMBuildShl(g->b, LLVMBuildXor(g->b, k, cg_i64(g, (int64_t)xb), ""),
                               cg_i64(g, n), ""), k, "");
        val v = (ny >= 2) ? cg_neg(g, w) : w;
        if (zb) v = cg_sel(g, parity(g, k, zb), cg_neg(g, v), v);
        cval a = cg_amp_load(g, g->lam, idx);
        if (ny & 1) a.im = cg_add(g, a.im, v);
        else a.re = cg_add(g, a.re, v);
        cg_amp_store(g, g->lam, idx, a);
        cg_loop_end(g, &l);
    }
}

/* ---- readout factors and outputs ------------------------------------------------------------ */

static int term_on_wire(const ir_pauli_term *t, int w) {
    return (int)(((t->x_mask | t->z_mask) >> w) & 1);
}

/* f_t = prod (1 - 2 p_r) over the readout ops r on the term's wires; skip = one op left out */
static val readout_factor(cg *g, int t, const val *p, int skip) {
    val f = cg_k(g, 1.0);
    for (int i = 0, r = 0; i < g->c->n_ops; i++) {
        const ir_op *op = &g->c->ops[i];
        if (!is_readout(op)) continue;
        if (r != skip && term_on_wire(&g->c->terms[t], op->wires[0]))
            f = cg_mul(g, f, one_minus(g, cg_mul(g, cg_k(g, 2.0), p[r])));
        r++;
    }
    return f;
}

static int n_readout(const ir_circuit *c) {
    int n = 0;
    for (int i = 0; i < c->n_ops; i++) n += is_readout(&c->ops[i]);
    return n;
}

static val *readout_strengths(cg *g) {
    int nr = n_readout(g->c);
    val *p = calloc((size_t)nr + 1, sizeof *p);
    if (!p) {
        cg_fail(g, "out of memory");
        return NULL;
    }
    for (int i = 0, r = 0; i < g->c->n_ops; i++)
        if (is_readout(&g->c->ops[i]))
            p[r++] = cg_expr(g, g->c->ops[i].angle[0]);
    return p;
}

/* ---- functions ------------------------------------------------------------------------------ */

static void add_noalias(cg *g, LLVMValueRef fn, unsigned idx) {
    unsigned kind = LLVMGetEnumAttributeKindForName("noalias", 7);
    LLVMAddAttributeAtIndex(fn, idx, LLVMCreateEnumAttribute(g->ctx, kind, 0));
}

static LLVMTypeRef kernel_type(cg *g) {
    LLVMTypeRef a[2] = {g->ptr, g->ptr};
    return LLVMFunctionType(g->voidt, a, 2, 0);
}

typedef void (*kernel_body)(cg *g, const ir_op *op);

/* <prefix>_<tag><i>(work, params): one op's sweep (work already aligned) */
static LLVMValueRef emit_kernel(cg *g, const char *prefix, const char *tag, int i,
                                kernel_body body, const ir_op *op, const cg_fn_target *ft) {
    char name[200];
    snprintf(name, sizeof name, "%s_%s%d", prefix, tag, i);
    LLVMValueRef fn = cg_new_fn(g, name, kernel_type(g), ft, 1);
    cg_begin_fn(g, fn, LLVMGetParam(fn, 0), 0);
    g->params = LLVMGetParam(fn, 1);
    body(g, op);
    LLVMBuildRetVoid(g->b);
    cg_end_fn(g);
    return fn;
}

static void body_measure(cg *g, const ir_op *op) { (void)op; measure_terms(g); }
static void body_seed(cg *g, const ir_op *op) { (void)op; seed_lambda(g); }
static void body_fwd(cg *g, const ir_op *op) {
    if (op->gate == IR_CHANNEL) fwd_channel(g, op);
    else fwd_gate(g, op);
}
static void body_bwd(cg *g, const ir_op *op) {
    if (op->gate == IR_CHANNEL) bwd_channel(g, op);
    else bwd_gate(g, op);
}

static void call(cg *g, LLVMValueRef k) {
    LLVMValueRef args[2] = {g->work, g->params};
    LLVMBuildCall2(g->b, kernel_type(g), k, args, 2, "");
}

static int skipped(const ir_op *op) { return op->gate == IR_I || is_readout(op); }

/* tv_t = f_t raw_t (raw from the terms region) */
static val term_value(cg *g, int t, const val *p) {
    val raw = cg_vload(g, terms_region(g), cg_i64(g, t));
    return cg_mul(g, readout_factor(g, t, p, -1), raw);
}

static val obs_lin(cg *g, int first, int n, const val *p) {
    val s = NULL;
    for (int t = first; t < first + n; t++)
        s = cg_add(g, s, cg_mul(g, cg_k(g, g->c->terms[t].coef), term_value(g, t, p)));
    return s;
}

typedef struct { LLVMValueRef *fwd, *bwd, measure, seed; } dm_kernels;

static LLVMValueRef build_forward(cg *g, const dm_kernels *k, const char *name,
                                  const cg_fn_target *ft) {
    const ir_circuit *c = g->c;
    LLVMTypeRef a[5] = {g->ptr, g->ptr, g->ptr, g->i64, g->ptr};
    LLVMValueRef fn = cg_new_fn(g, name, LLVMFunctionType(g->voidt, a, 5, 0), ft, 0);
    add_noalias(g, fn, 5);
    cg_begin_fn(g, fn, LLVMGetParam(fn, 4), 1);
    g->params = LLVMGetParam(fn, 0);
    cg_loop l;
    LLVMValueRef base, rem;
    cg_groups_begin(g, &l, LLVMGetParam(fn, 3), &base, &rem);
    cg_load_rows(g, LLVMGetParam(fn, 1), c->n_inputs, g->xin, base, rem, 0);
    cg_init_state(g, g->psi);
    for (int i = 0; i < c->n_ops; i++)
        if (!skipped(&c->ops[i])) call(g, k->fwd[i]);
    call(g, k->measure);
    cg_memo_reset(g);
    val *p = readout_strengths(g);
    for (int o = 0; p && o < c->n_obs; o++) {
        const ir_observable *ob = &c->obs[o];
        val v = obs_lin(g, ob->first_term, ob->n_terms, p);
        if (ob->kind == IR_OBS_VAR) {
            val m = obs_lin(g, ob->first_lin, ob->n_lin, p);
            v = cg_sub(g, v, cg_mul(g, m, m));
        }
        cg_vstore(g, g->gout, cg_i64(g, o), cg_splat(g, cg_zero_if_null(g, v)));
    }
    free(p);
    cg_store_rows(g, LLVMGetParam(fn, 2), c->n_obs, g->gout, base, rem);
    cg_loop_end(g, &l);
    LLVMBuildRetVoid(g->b);
    cg_end_fn(g);
    return fn;
}

/* After the forward pass and measure: w_t = dL/d tv_t from the output gradients (variances
 * linearised at their means), the readout strengths' gradients, and the weights w_t f_t of
 * the linear functional L(rho) = sum_t w_t f_t tr(P_t rho) in the weights region (the adjoint
 * method's seed, the parameter-shift runs' loss). -1 when out of memory. */
static int seed_weights(cg *g) {
    const ir_circuit *c = g->c;
    val *p = readout_strengths(g);
    val *w = calloc((size_t)c->n_terms + 1, sizeof *w); /* dL/d tv_t */
    if (!p || !w) {
        cg_fail(g, "out of memory");
        free(p);
        free(w);
        return -1;
    }
    for (int o = 0; o < c->n_obs; o++) {
        const ir_observable *ob = &c->obs[o];
        val go = cg_vload(g, g->gout, cg_i64(g, o));
        for (int t = ob->first_term; t < ob->first_term + ob->n_terms; t++)
            w[t] = cg_add(g, w[t], cg_mul(g, go, cg_k(g, c->terms[t].coef)));
        if (ob->kind != IR_OBS_VAR) continue;
        val m = obs_lin(g, ob->first_lin, ob->n_lin, p);
        val gm = cg_mul(g, cg_mul(g, cg_k(g, -2.0), go), m);
        for (int t = ob->first_lin; t < ob->first_lin + ob->n_lin; t++)
            w[t] = cg_add(g, w[t], cg_mul(g, gm, cg_k(g, c->terms[t].coef)));
    }
    /* readout strengths: dL/dp_r = sum_t w_t raw_t d f_t / d p_r */
    for (int i = 0, r = 0; i < c->n_ops; i++) {
        const ir_op *op = &c->ops[i];
        if (!is_readout(op)) continue;
        val gr = NULL;
        for (int t = 0; t < c->n_terms; t++) {
            if (!term_on_wire(&c->terms[t], op->wires[0]) || !w[t]) continue;
            val raw = cg_vload(g, terms_region(g), cg_i64(g, t));
            gr = cg_add(g, gr, cg_mul(g, cg_mul(g, w[t], raw),
                                      cg_mul(g, cg_k(g, -2.0), readout_factor(g, t, p, r))));
        }
        cg_chain(g, op->angle[0], cg_splat(g, gr));
        r++;
    }
    for (int t = 0; t < c->n_terms; t++) /* the seed's weights w_t f_t */
        cg_vstore(g, weights_region(g), cg_i64(g, t),
                  cg_splat(g, cg_zero_if_null(g, cg_mul(g, w[t], readout_factor(g, t, p, -1)))));
    free(p);
    free(w);
    return 0;
}

static void build_vjp(cg *g, const dm_kernels *k, const char *name, const cg_fn_target *ft) {
    const ir_circuit *c = g->c;
    LLVMTypeRef a[7] = {g->ptr, g->ptr, g->ptr, g->ptr, g->ptr, g->i64, g->ptr};
    LLVMValueRef fn = cg_new_fn(g, name, LLVMFunctionType(g->voidt, a, 7, 0), ft, 0);
    add_noalias(g, fn, 7);
    cg_begin_fn(g, fn, LLVMGetParam(fn, 6), 1);
    g->params = LLVMGetParam(fn, 0);
    cg_zero_region(g, g->gp, c->n_params);
    cg_loop l;
    LLVMValueRef base, rem;
    cg_groups_begin(g, &l, LLVMGetParam(fn, 5), &base, &rem);
    cg_load_rows(g, LLVMGetParam(fn, 1), c->n_inputs, g->xin, base, rem, 0);
    cg_load_rows(g, LLVMGetParam(fn, 2), c->n_obs, g->gout, base, rem, 1);
    cg_zero_region(g, g->gi, c->n_inputs);
    cg_init_state(g, g->psi);
    /* checkpoints before every stride-th channel (dm_checkpoints.h); ch_op[j]: channel j's op */
    int n_ch = cg_dm_n_checkpoints(c), stride = stride_of(c, g->esize), j = 0;
    int n_seg = (n_ch + stride - 1) / stride;
    int *ch_op = calloc((size_t)n_ch + 1, sizeof *ch_op);
    if (!ch_op) {
        cg_fail(g, "out of memory");
        return;
    }
    for (int i = 0; i < c->n_ops; i++) {
        if (has_checkpoint(&c->ops[i])) {
            if (j % stride == 0) copy_state(g, checkpoint(g, j / stride), g->psi);
            ch_op[j++] = i;
        }
        if (!skipped(&c->ops[i])) call(g, k->fwd[i]);
    }
    call(g, k->measure);
    cg_memo_reset(g);
    if (seed_weights(g)) {
        free(ch_op);
        return;
    }
    call(g, k->seed);
    for (int i = c->n_ops - 1; i >= 0; i--) {
        if (has_checkpoint(&c->ops[i])) { /* psi <- rho before channel j */
            int s = --j / stride, m = j % stride, last = m == stride - 1 || j == n_ch - 1;
            if (stride > 1 && last && m > 0) {
                /* the segment's first pass back: recompute it from its checkpoint, keeping
                 * rho before each of its later channels (states n_seg + m' - 1) */
                copy_state(g, g->psi, checkpoint(g, s));
                for (int q = ch_op[s * stride], jj = s * stride; q < i; q++) {
                    if (has_checkpoint(&c->ops[q]) && jj++ > s * stride)
                        copy_state(g, checkpoint(g, n_seg + (jj - 1 - s * stride) - 1), g->psi);
                    if (!skipped(&c->ops[q])) call(g, k->fwd[q]);
                }
            } else {
                copy_state(g, g->psi, checkpoint(g, m == 0 ? s : n_seg + m - 1));
            }
        }
        if (!skipped(&c->ops[i])) call(g, k->bwd[i]);
    }
    free(ch_op);
    if (c->n_inputs > 0) { /* grad_inputs may be NULL */
        LLVMValueRef gin = LLVMGetParam(fn, 4);
        LLVMBasicBlockRef yes = LLVMAppendBasicBlockInContext(g->ctx, g->fn, "gin");
        LLVMBasicBlockRef join = LLVMAppendBasicBlockInContext(g->ctx, g->fn, "gin.done");
        LLVMBuildCondBr(g->b, LLVMBuildIsNotNull(g->b, gin, ""), yes, join);
        LLVMPositionBuilderAtEnd(g->b, yes);
        cg_store_rows(g, gin, c->n_inputs, g->gi, base, rem);
        LLVMBuildBr(g->b, join);
        LLVMPositionBuilderAtEnd(g->b, join);
    }
    cg_loop_end(g, &l);
    cg_finish_params(g, LLVMGetParam(fn, 3));
    LLVMBuildRetVoid(g->b);
    cg_end_fn(g);
}

/* ---- parameter shift (docs/codegen.md §10, semantics.md §10.2) --------------------------------
 * Forward runs only: each gate angle that varies (a parameter or an input in it) is a slot,
 * shifted by +-pi/2 (controlled rotations also +-3pi/2) in one run of <prefix>_sim; each channel
 * strength that varies is a slot whose run puts the channel's derivative map in its place (the
 * outputs are linear in it: one run, exact). A run returns L(rho') = sum_t w_t f_t tr(P_t rho')
 * with the unshifted run's weights, so no checkpoint is kept. */

static int varies(const cg *g, int e) {
    const ir_expr *x = &g->c->exprs[e];
    return x->uses_param || x->uses_input;
}

/* The slots of op i: its varying angles or (built-in channels) strengths, in order. */
static int op_slots(const cg *g, const ir_op *op, int *which) {
    int n = 0;
    if (op->gate == IR_CHANNEL) {
        if (op->channel == IR_CH_KRAUS || is_readout(op)) return 0; /* readout: seed_weights */
        for (int k = 0; k < ir_channel_n_strengths(op->channel); k++)
            if (varies(g, op->angle[k])) which[n++] = k;
        return n;
    }
    if (op->gate == IR_SWAP) return 0;
    for (int k = 0; k < ir_gate_n_angles(op->gate); k++)
        if (varies(g, op->angle[k])) which[n++] = k;
    return n;
}

static LLVMTypeRef sim_kernel_type(cg *g) {
    LLVMTypeRef a[4] = {g->ptr, g->ptr, g->i32, g->T};
    return LLVMFunctionType(g->voidt, a, 4, 0);
}

/* <prefix>_z<i>(work, params, slot, shift): op i with slot `first + j` (its j-th varying angle
 * or strength) changed when the runtime `slot` names it. */
static LLVMValueRef emit_sim_kernel(cg *g, const char *prefix, int i, int first,
                                    const cg_fn_target *ft) {
    const ir_op *op = &g->c->ops[i];
    char name[200];
    snprintf(name, sizeof name, "%s_z%d", prefix, i);
    LLVMValueRef fn = cg_new_fn(g, name, sim_kernel_type(g), ft, 1);
    cg_begin_fn(g, fn, LLVMGetParam(fn, 0), 0);
    g->params = LLVMGetParam(fn, 1);
    LLVMValueRef slot = LLVMGetParam(fn, 2), shift = LLVMGetParam(fn, 3);
    int which[3], ns = op_slots(g, op, which), n = g->c->n_qubits;
    if (op->gate == IR_CHANNEL) {
        val st[3] = {0};
        for (int k = 0; k < ir_channel_n_strengths(op->channel); k++)
            st[k] = cg_expr(g, op->angle[k]);
        ch_form f = channel_form(g, op, st);
        for (int j = 0; j < ns; j++) {
            LLVMValueRef hit = LLVMBuildICmp(g->b, LLVMIntEQ, slot,
                                             LLVMConstInt(g->i32, (unsigned)(first + j), 0), "");
            ch_form d = channel_form_deriv(g, op, st, which[j]);
            f.pa = cg_sel(g, hit, d.pa, f.pa);
            f.pd = cg_sel(g, hit, d.pd, f.pd);
            f.qa = cg_sel(g, hit, d.qa, f.qa);
            f.qd = cg_sel(g, hit, d.qd, f.qd);
            f.cb = cg_sel(g, hit, d.cb, f.cb);
            f.cc = cg_sel(g, hit, d.cc, f.cc);
        }
        cval m[MAXD * MAXD];
        int wires[2] = {op->wires[0], n + op->wires[0]};
        form_matrix(&f, m);
        apply_dense(g, g->psi, wires, 2, m);
    } else {
        val ang[3];
        gate_angles(g, op, ang);
        for (int j = 0; j < ns; j++) {
            LLVMValueRef hit = LLVMBuildICmp(g->b, LLVMIntEQ, slot,
                                             LLVMConstInt(g->i32, (unsigned)(first + j), 0), "");
            ang[which[j]] = cg_add(g, ang[which[j]], cg_sel(g, hit, shift, NULL));
        }
        cmat U, Uc;
        int t, ctl;
        cg_gate_mat(g, op->gate, ang, -1, &U);
        Uc = conj_mat(g, &U);
        op_wires(op, &t, &ctl);
        cg_apply_1q(g, g->psi, t, ctl, &U);
        cg_apply_1q(g, g->psi, n + t, ctl >= 0 ? n + ctl : -1, &Uc);
    }
    LLVMBuildRetVoid(g->b);
    cg_end_fn(g);
    return fn;
}

/* <prefix>_sim(work, params, slot, shift) -> L(rho') per lane (weights region: seed_weights) */
static LLVMValueRef build_sim(cg *g, const dm_kernels *k, const LLVMValueRef *sim_k,
                              const char *name, const cg_fn_target *ft) {
    const ir_circuit *c = g->c;
    LLVMTypeRef a[4] = {g->ptr, g->ptr, g->i32, g->T};
    LLVMValueRef fn = cg_new_fn(g, name, LLVMFunctionType(g->VT, a, 4, 0), ft, 1);
    cg_begin_fn(g, fn, LLVMGetParam(fn, 0), 0);
    g->params = LLVMGetParam(fn, 1);
    cg_init_state(g, g->psi);
    for (int i = 0; i < c->n_ops; i++) {
        if (skipped(&c->ops[i])) continue;
        if (!sim_k[i]) {
            call(g, k->fwd[i]);
            continue;
        }
        LLVMValueRef args[4] = {g->work, g->params, LLVMGetParam(fn, 2), LLVMGetParam(fn, 3)};
        LLVMBuildCall2(g->b, sim_kernel_type(g), sim_k[i], args, 4, "");
    }
    call(g, k->measure);
    val L = NULL;
    for (int t = 0; t < c->n_terms; t++)
        L = cg_add(g, L, cg_mul(g, cg_vload(g, weights_region(g), cg_i64(g, t)),
                                cg_vload(g, terms_region(g), cg_i64(g, t))));
    LLVMBuildRet(g->b, cg_splat(g, cg_zero_if_null(g, L)));
    cg_end_fn(g);
    return fn;
}

static void build_vjp_shift(cg *g, const dm_kernels *k, const char *prefix, const char *name,
                            const cg_fn_target *ft) {
    static const double PI = 3.14159265358979323846, R2 = 1.41421356237309504880;
    const double c1 = (R2 + 1) / (4 * R2), c2 = (R2 - 1) / (4 * R2);
    const double sh2[2] = {PI / 2, -PI / 2}, co2[2] = {0.5, -0.5};
    const double sh4[4] = {PI / 2, -PI / 2, 3 * PI / 2, -3 * PI / 2}, co4[4] = {c1, -c1, -c2, c2};
    const ir_circuit *c = g->c;
    LLVMValueRef *sim_k = calloc((size_t)c->n_ops + 1, sizeof *sim_k);
    int *first = calloc((size_t)c->n_ops + 1, sizeof *first);
    if (!sim_k || !first) {
        cg_fail(g, "out of memory");
        free(sim_k);
        free(first);
        return;
    }
    int n_slots = 0, which[3];
    for (int i = 0; i < c->n_ops && !g->failed; i++) {
        int ns = skipped(&c->ops[i]) ? 0 : op_slots(g, &c->ops[i], which);
        first[i] = n_slots;
        if (ns) sim_k[i] = emit_sim_kernel(g, prefix, i, n_slots, ft);
        n_slots += ns;
    }
    char sim_name[220];
    snprintf(sim_name, sizeof sim_name, "%s_sim", prefix);
    LLVMValueRef sim = build_sim(g, k, sim_k, sim_name, ft);
    LLVMTypeRef a[7] = {g->ptr, g->ptr, g->ptr, g->ptr, g->ptr, g->i64, g->ptr};
    LLVMValueRef fn = cg_new_fn(g, name, LLVMFunctionType(g->voidt, a, 7, 0), ft, 0);
    add_noalias(g, fn, 7);
    cg_begin_fn(g, fn, LLVMGetParam(fn, 6), 1);
    g->params = LLVMGetParam(fn, 0);
    cg_zero_region(g, g->gp, c->n_params);
    cg_loop l;
    LLVMValueRef base, rem;
    cg_groups_begin(g, &l, LLVMGetParam(fn, 5), &base, &rem);
    cg_load_rows(g, LLVMGetParam(fn, 1), c->n_inputs, g->xin, base, rem, 0);
    cg_load_rows(g, LLVMGetParam(fn, 2), c->n_obs, g->gout, base, rem, 1);
    cg_zero_region(g, g->gi, c->n_inputs);
    cg_init_state(g, g->psi);
    for (int i = 0; i < c->n_ops; i++)
        if (!skipped(&c->ops[i])) call(g, k->fwd[i]);
    call(g, k->measure);
    cg_memo_reset(g);
    if (seed_weights(g)) goto out;
    for (int i = 0; i < c->n_ops && !g->failed; i++) {
        const ir_op *op = &c->ops[i];
        int ns = sim_k[i] ? op_slots(g, op, which) : 0;
        int four = op->gate == IR_CRX || op->gate == IR_CRY || op->gate == IR_CRZ;
        int runs = op->gate == IR_CHANNEL ? 1 : four ? 4 : 2;
        for (int j = 0; j < ns; j++) {
            val d = NULL;
            for (int t = 0; t < runs; t++) {
                double sh = op->gate == IR_CHANNEL ? 0 : four ? sh4[t] : sh2[t];
                double co = op->gate == IR_CHANNEL ? 1 : four ? co4[t] : co2[t];
                LLVMValueRef args[4] = {g->work, g->params,
                                        LLVMConstInt(g->i32, (unsigned)(first[i] + j), 0),
                                        LLVMConstReal(g->T, sh)};
                val f = LLVMBuildCall2(g->b, LLVMGlobalGetValueType(sim), sim, args, 4, "");
                d = cg_add(g, d, co == 1 ? f : cg_mul(g, f, cg_k(g, co)));
            }
            cg_memo_reset(g);
            cg_chain(g, op->angle[which[j]], d);
        }
    }
    if (c->n_inputs > 0) { /* grad_inputs may be NULL */
        LLVMValueRef gin = LLVMGetParam(fn, 4);
        LLVMBasicBlockRef yes = LLVMAppendBasicBlockInContext(g->ctx, g->fn, "gin");
        LLVMBasicBlockRef join = LLVMAppendBasicBlockInContext(g->ctx, g->fn, "gin.done");
        LLVMBuildCondBr(g->b, LLVMBuildIsNotNull(g->b, gin, ""), yes, join);
        LLVMPositionBuilderAtEnd(g->b, yes);
        cg_store_rows(g, gin, c->n_inputs, g->gi, base, rem);
        LLVMBuildBr(g->b, join);
        LLVMPositionBuilderAtEnd(g->b, join);
    }
    cg_loop_end(g, &l);
    cg_finish_params(g, LLVMGetParam(fn, 3));
    LLVMBuildRetVoid(g->b);
    cg_end_fn(g);
out:
    free(sim_k);
    free(first);
}

LLVMValueRef cg_dm_emit_functions(cg *g, const char *prefix, const cg_info *inf,
                                  const cg_fn_target *ft) {
    const ir_circuit *c = g->c;
    dm_kernels k = {0};
    k.fwd = calloc((size_t)c->n_ops + 1, sizeof *k.fwd);
    k.bwd = calloc((size_t)c->n_ops + 1, sizeof *k.bwd);
    LLVMValueRef fwd = NULL;
    if (!k.fwd || !k.bwd) {
        cg_fail(g, "out of memory");
        goto out;
    }
    for (int i = 0; i < c->n_ops && !g->failed; i++) {
        const ir_op *op = &c->ops[i];
        if (skipped(op)) continue;
        k.fwd[i] = emit_kernel(g, prefix, "d", i, body_fwd, op, ft);
        if (g->opt.grad != CG_GRAD_SHIFT) k.bwd[i] = emit_kernel(g, prefix, "e", i, body_bwd, op, ft);
    }
    k.measure = emit_kernel(g, prefix, "m", 0, body_measure, NULL, ft);
    if (g->opt.grad != CG_GRAD_SHIFT) k.seed = emit_kernel(g, prefix, "s", 0, body_seed, NULL, ft);
    if (g->failed) goto out;
    fwd = build_forward(g, &k, inf->forward_name, ft);
    if (g->opt.grad == CG_GRAD_SHIFT) build_vjp_shift(g, &k, prefix, inf->vjp_name, ft);
    else build_vjp(g, &k, inf->vjp_name, ft);
out:
    free(k.fwd);
    free(k.bwd);
    return fwd;
}
