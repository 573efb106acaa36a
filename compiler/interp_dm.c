/* Reference density-matrix interpreter (interp.h, docs/semantics.md §10): exact simulation of
 * circuits with noise channels, one sample at a time, and its adjoint vjp.
 *
 * rho (dim x dim, dim = 2^n, row-major) is held as a vector of 2n qubits, vec index
 * i * dim + j for rho[i][j]: row wire w is vector wire w, column wire w is vector wire n + w.
 * Then every op is a matrix on a few vector wires:
 *  - a gate U on wires W: U on W and conj(U) on n + W (rho -> U rho U^dagger);
 *  - a channel with superoperator S (channel.h) on wire w: S on (w, n + w); a two-qubit
 *    kraus on (w0, w1): S on (w0, w1, n + w0, n + w1), the order of S's vec index;
 *  - readout_error is no map on rho: it scales the measured Pauli expectations.
 * For Hermitian Lambda, tr(Lambda rho) = <vec Lambda | vec rho>, so the vjp is the adjoint
 * method on this vector: Lambda = sum_t dL/d<P_t> P_t, walked back through the ops by M^dagger,
 * with dL/dtheta = Re <Lambda_after | dM | rho_before>. Gates are un-applied exactly to get
 * rho_before; channels are not invertible, so the forward pass keeps rho before each one. */
#include "interp.h"

#include <complex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "channel.h"

typedef double complex cplx;

enum { MAX_LOCAL = 4 }; /* vector wires one op touches: a two-qubit kraus */

static void *alloc_or_die(size_t bytes) {
    void *p = calloc(1, bytes ? bytes : 1);
    if (!p) { /* the interpreter serves tests and the reference back end */
        fputs("qnn: out of memory (density-matrix interpreter)\n", stderr);
        exit(3);
    }
    return p;
}

static size_t vec_len(const ir_circuit *c) {
    return (size_t)1 << (2 * c->n_qubits);
}

/* a * b without C's Annex G NaN handling (__muldc3): the values here are finite. */
static inline cplx cmul(cplx a, cplx b) {
    return CMPLX(creal(a) * creal(b) - cimag(a) * cimag(b), creal(a) * cimag(b) + cimag(a) * creal(b));
}

/* v <- M v for a 2^k x 2^k matrix M on vector wires w[0..k) of an m-qubit vector (w[0] the
 * most significant bit of M's index; wire x has stride 1 << (m - 1 - x)). */
static void apply_local(int m, const int *w, int k, const cplx *M, cplx *v) {
    int d = 1 << k;
    size_t len = (size_t)1 << m;
    if (k == 1) { /* the common case (gates): pairs (i, i + s), no index arithmetic */
        size_t s = (size_t)1 << (m - 1 - w[0]);
        for (size_t hi = 0; hi < len; hi += 2 * s)
            for (size_t i = hi; i < hi + s; i++) {
                cplx a = v[i], b = v[i + s];
                v[i] = cmul(M[0], a) + cmul(M[1], b);
                v[i + s] = cmul(M[2], a) + cmul(M[3], b);
            }
        return;
    }
    size_t off[1 << MAX_LOCAL], all = 0; /* offset of local index l from the block's base */
    for (int t = 0; t < k; t++) all |= (size_t)1 << (m - 1 - w[t]);
    for (int l = 0; l < d; l++) {
        off[l] = 0;
        for (int t = 0; t < k; t++)
            if (l >> (k - 1 - t) & 1) off[l] |= (size_t)1 << (m - 1 - w[t]);
    }
    cplx in[1 << MAX_LOCAL];
    for (size_t base = 0; base < len; base++) {
        if (base & all) continue;
        for (int l = 0; l < d; l++) in[l] = v[base + off[l]];
        for (int r = 0; r < d; r++) {
            cplx sum = 0;
            for (int l = 0; l < d; l++) sum += cmul(M[r * d + l], in[l]);
            v[base + off[r]] = sum;
        }
    }
}

/* The interleaved d x d matrix m as complex numbers: conjugated, and/or conjugate-transposed. */
static void load(const double *m, int d, int conjugate, int dagger, cplx *z) {
    for (int r = 0; r < d; r++)
        for (int k = 0; k < d; k++) {
            int src = dagger ? k * d + r : r * d + k;
            cplx x = m[2 * src] + I * m[2 * src + 1];
            z[r * d + k] = (conjugate ^ dagger) ? conj(x) : x;
        }
}

/* A primitive gate's matrix (deriv < 0) or its derivative in angle `deriv`, interleaved. */
static void gate_matrix(const ir_op *op, const double *angles, int deriv, double *m) {
    if (deriv < 0) ir_gate_matrix(op->gate, angles, m);
    else ir_gate_matrix_deriv(op->gate, angles, deriv, m);
}

/* rho <- (A (x) conj(B)) rho on the op's wires: A on the rows, conj(B) on the columns, with
 * A, B the gate's matrix or its derivative, each optionally daggered. MULTIRZ is a diagonal
 * phase per parity: its matrix on the op's wires is built here. */
static void apply_gate_dm(const ir_circuit *c, const ir_op *op, const double *angles,
                          int deriv_rows, int dagger, cplx *rho) {
    int n = c->n_qubits, w[2] = {0, 0}, k;
    if (op->gate == IR_MULTIRZ) {
        /* diagonal: rho[i][j] *= d(i) conj(d(j)) with d the phase of i's parity */
        size_t bits = 0, dim = (size_t)1 << n;
        for (int x = 0; x < n; x++)
            if (op->mask >> x & 1) bits |= (size_t)1 << (n - 1 - x);
        cplx ph[2][2]; /* [deriv?][parity] */
        for (int p = 0; p < 2; p++)
            for (int dv = 0; dv < 2; dv++) {
                double z[2];
                ir_multirz_phase(angles[0], p, dv, z);
                ph[dv][p] = dagger ? z[0] - I * z[1] : z[0] + I * z[1];
            }
        for (size_t i = 0; i < dim; i++) {
            int pi = __builtin_parityll(i & bits);
            for (size_t j = 0; j < dim; j++) {
                int pj = __builtin_parityll(j & bits);
                rho[i * dim + j] *= ph[deriv_rows >= 0][pi] * conj(ph[0][pj]);
            }
        }
        return;
    }
    int ar = ir_gate_arity(op->gate), d = 1 << ar;
    double m[32];
    cplx a[16], b[16];
    gate_matrix(op, angles, deriv_rows, m);
    load(m, d, 0, dagger, a);
    gate_matrix(op, angles, -1, m);
    load(m, d, 1, dagger, b);
    for (k = 0; k < ar; k++) w[k] = op->wires[k];
    apply_local(2 * n, w, ar, a, rho);
    for (k = 0; k < ar; k++) w[k] = n + op->wires[k];
    apply_local(2 * n, w, ar, b, rho);
}

/* rho <- S rho (or S^dagger with dagger, or dS/ds_deriv) for a channel op (not readout). */
static void apply_channel_dm(const ir_circuit *c, const ir_op *op, const double *s, int deriv,
                             int dagger, cplx *rho) {
    int n = c->n_qubits, d = ch_dim(op), d2 = d * d, w[MAX_LOCAL], k = 0;
    double S[2 * CH_MAX_SUPER * CH_MAX_SUPER];
    cplx z[CH_MAX_SUPER * CH_MAX_SUPER];
    ch_superop(c, op, s, deriv, S);
    load(S, d2, 0, dagger, z);
    int nw = d == 4 ? 2 : 1;
    for (int t = 0; t < nw; t++) w[k++] = op->wires[t];
    for (int t = 0; t < nw; t++) w[k++] = n + op->wires[t];
    apply_local(2 * n, w, k, z, rho);
}

static int is_readout(const ir_op *op) {
    return op->gate == IR_CHANNEL && op->channel == IR_CH_READOUT;
}

static const double *sample_inputs(const ir_circuit *c, const double *inputs, int b) {
    return inputs ? inputs + (size_t)b * c->n_inputs : NULL;
}

/* Applies one op (a fused one through its members) to rho. */
static void step(const ir_circuit *c, const ir_op *op, const double *params, const double *in,
                 cplx *rho) {
    if (op->n_members > 0) {
        for (int k = 0; k < op->n_members; k++)
            step(c, &c->members[op->first_member + k], params, in, rho);
        return;
    }
    double a[3];
    ir_op_angles(c, op, params, in, a);
    if (op->gate == IR_CHANNEL) {
        if (!is_readout(op)) apply_channel_dm(c, op, a, -1, 0, rho);
        return;
    }
    apply_gate_dm(c, op, a, -1, 0, rho);
}

void interp_dm_state(const ir_circuit *c, const double *params, const double *inputs,
                     cplx *rho) {
    memset(rho, 0, vec_len(c) * sizeof *rho);
    rho[0] = 1;
    for (int i = 0; i < c->n_ops; i++) step(c, &c->ops[i], params, inputs, rho);
}

/* tr(P rho) = sum_k phase(k) rho[k][k ^ x], since P|k> = phase(k) |k ^ x> (interp.c's
 * convention: phase(k) = i^{#Y} (-1)^{popcount(k & z)}). */
static double pauli_trace(int n, const ir_pauli_term *t, const cplx *rho) {
    static const cplx ipow[4] = {1, I, -1, -I};
    size_t dim = (size_t)1 << n, xb = 0, zb = 0;
    for (int w = 0; w < n; w++) {
        if (t->x_mask >> w & 1) xb |= (size_t)1 << (n - 1 - w);
        if (t->z_mask >> w & 1) zb |= (size_t)1 << (n - 1 - w);
    }
    cplx ph = ipow[__builtin_popcount(t->x_mask & t->z_mask) & 3], s = 0;
    for (size_t k = 0; k < dim; k++)
        s += (__builtin_parityll(k & zb) ? -ph : ph) * rho[k * dim + (k ^ xb)];
    return creal(s);
}

/* Lambda += coef P as a vector: P[k ^ x][k] = phase(k). */
static void add_pauli_dm(int n, const ir_pauli_term *t, double coef, cplx *lam) {
    static const cplx ipow[4] = {1, I, -1, -I};
    size_t dim = (size_t)1 << n, xb = 0, zb = 0;
    for (int w = 0; w < n; w++) {
        if (t->x_mask >> w & 1) xb |= (size_t)1 << (n - 1 - w);
        if (t->z_mask >> w & 1) zb |= (size_t)1 << (n - 1 - w);
    }
    cplx ph = ipow[__builtin_popcount(t->x_mask & t->z_mask) & 3];
    for (size_t k = 0; k < dim; k++)
        lam[(k ^ xb) * dim + k] += coef * (__builtin_parityll(k & zb) ? -ph : ph);
}

/* The readout factor of every term: f[t] = prod (1 - 2p) over the readout ops on its wires,
 * and p[r] the strength of the r-th readout op. */
static void readout_factors(const ir_circuit *c, const double *params, const double *in,
                            double *f, double *p) {
    int r = 0;
    for (int t = 0; t < c->n_terms; t++) f[t] = 1;
    for (int i = 0; i < c->n_ops; i++) {
        const ir_op *op = &c->ops[i];
        if (!is_readout(op)) continue;
        p[r] = ir_eval(c, op->angle[0], params, in);
        for (int t = 0; t < c->n_terms; t++)
            if ((c->terms[t].x_mask | c->terms[t].z_mask) >> op->wires[0] & 1)
                f[t] *= ch_readout_factor(p[r]);
        r++;
    }
}

static int count_ops(const ir_circuit *c, int readout) {
    int n = 0;
    for (int i = 0; i < c->n_ops; i++)
        if (c->ops[i].gate == IR_CHANNEL && is_readout(&c->ops[i]) == readout) n++;
    return n;
}

/* raw[t] = tr(P_t rho), tv[t] = f[t] raw[t] for the terms of every observable. */
static void measure_dm(const ir_circuit *c, const cplx *rho, const double *f, double *raw,
                       double *tv) {
    for (int t = 0; t < c->n_terms; t++) {
        raw[t] = pauli_trace(c->n_qubits, &c->terms[t], rho);
        tv[t] = f[t] * raw[t];
    }
}

void interp_dm_forward(const ir_circuit *c, const double *params, const double *inputs,
                       double *outputs) {
    cplx *rho = alloc_or_die(vec_len(c) * sizeof *rho);
    size_t nt = (size_t)c->n_terms + 1, nr = (size_t)count_ops(c, 1) + 1;
    double *f = alloc_or_die(nt * sizeof *f), *raw = alloc_or_die(nt * sizeof *raw);
    double *tv = alloc_or_die(nt * sizeof *tv), *p = alloc_or_die(nr * sizeof *p);
    interp_dm_state(c, params, inputs, rho);
    readout_factors(c, params, inputs, f, p);
    measure_dm(c, rho, f, raw, tv);
    for (int k = 0; k < c->n_obs; k++) outputs[k] = ir_obs_value(c, k, tv);
    free(rho);
    free(f);
    free(raw);
    free(tv);
    free(p);
}

void interp_dm_forward_batch(const ir_circuit *c, const double *params, const double *inputs,
                             double *outputs, int n_samples) {
    for (int b = 0; b < n_samples; b++)
        interp_dm_forward(c, params, sample_inputs(c, inputs, b), outputs + (size_t)b * c->n_obs);
}

/* Each readout strength's gradient, sum_t w_t raw_t df_t/dp (w = dL/d tv_t), chained into the
 * parameters and inputs of its expression. */
static void readout_grads(const ir_circuit *c, const double *params, const double *in,
                          const double *w, const double *raw, const double *p,
                          double *grad_params, double *grad_in) {
    for (int i = 0, r = 0; i < c->n_ops; i++) {
        const ir_op *op = &c->ops[i];
        if (!is_readout(op)) continue;
        double g = 0;
        for (int t = 0; t < c->n_terms; t++) {
            if (!((c->terms[t].x_mask | c->terms[t].z_mask) >> op->wires[0] & 1)) continue;
            double others = 1; /* f_t without this op's factor (p may be 1/2) */
            for (int j = 0, s = 0; j < c->n_ops; j++) {
                const ir_op *q = &c->ops[j];
                if (!is_readout(q)) continue;
                if (s != r && ((c->terms[t].x_mask | c->terms[t].z_mask) >> q->wires[0] & 1))
                    others *= ch_readout_factor(p[s]);
                s++;
            }
            g += w[t] * raw[t] * -2 * others;
        }
        ir_eval_grad(c, op->angle[0], params, in, g, grad_params, grad_in);
        r++;
    }
}

static double inner_re(const cplx *a, const cplx *b, size_t len) {
    double s = 0;
    for (size_t i = 0; i < len; i++) s += creal(conj(a[i]) * b[i]);
    return s;
}

typedef struct {
    const ir_circuit *c;
    const double *params, *in;
    double *grad_params, *grad_in;
    cplx *rho, *lam, *tmp;
    cplx **keep; /* rho before each channel, in op order */
    int n_keep;
} dm_back;

/* Backward through one primitive op: on entry rho and lam are after it, on exit before. */
static void back_primitive(dm_back *B, const ir_op *op) {
    const ir_circuit *c = B->c;
    size_t len = vec_len(c);
    double a[3];
    ir_op_angles(c, op, B->params, B->in, a);
    if (op->gate == IR_CHANNEL) {
        if (is_readout(op)) return;
        memcpy(B->rho, B->keep[--B->n_keep], len * sizeof *B->rho);
        for (int k = 0; k < ir_channel_n_strengths(op->channel); k++) {
            memcpy(B->tmp, B->rho, len * sizeof *B->tmp);
            apply_channel_dm(c, op, a, k, 0, B->tmp);
            double g = inner_re(B->lam, B->tmp, len); /* dL/ds = <Lambda | dS rho> */
            ir_eval_grad(c, op->angle[k], B->params, B->in, g, B->grad_params, B->grad_in);
        }
        apply_channel_dm(c, op, a, -1, 1, B->lam);
        return;
    }
    apply_gate_dm(c, op, a, -1, 1, B->rho);
    for (int k = 0; k < ir_gate_n_angles(op->gate); k++) {
        memcpy(B->tmp, B->rho, len * sizeof *B->tmp);
        apply_gate_dm(c, op, a, k, 0, B->tmp); /* (dU (x) conj(U)) rho */
        double g = 2 * inner_re(B->lam, B->tmp, len);
        ir_eval_grad(c, op->angle[k], B->params, B->in, g, B->grad_params, B->grad_in);
    }
    apply_gate_dm(c, op, a, -1, 1, B->lam);
}

void interp_dm_vjp(const ir_circuit *c, const double *params, const double *inputs,
                   const double *grad_outputs, double *grad_params, double *grad_inputs,
                   int n_samples) {
    size_t len = vec_len(c), nt = (size_t)c->n_terms + 1;
    int n_ch = count_ops(c, 0), n_ro = count_ops(c, 1);
    dm_back B = {c, params, NULL, grad_params, NULL, NULL, NULL, NULL, NULL, 0};
    B.rho = alloc_or_die(len * sizeof *B.rho);
    B.lam = alloc_or_die(len * sizeof *B.lam);
    B.tmp = alloc_or_die(len * sizeof *B.tmp);
    B.keep = alloc_or_die(((size_t)n_ch + 1) * sizeof *B.keep);
    for (int k = 0; k < n_ch; k++) B.keep[k] = alloc_or_die(len * sizeof **B.keep);
    double *f = alloc_or_die(nt * sizeof *f), *raw = alloc_or_die(nt * sizeof *raw);
    double *tv = alloc_or_die(nt * sizeof *tv), *w = alloc_or_die(nt * sizeof *w);
    double *p = alloc_or_die(((size_t)n_ro + 1) * sizeof *p);
    for (int b = 0; b < n_samples; b++) {
        B.in = sample_inputs(c, inputs, b);
        B.grad_in = grad_inputs ? grad_inputs + (size_t)b * c->n_inputs : NULL;
        if (B.grad_in) memset(B.grad_in, 0, (size_t)c->n_inputs * sizeof *B.grad_in);
        memset(B.rho, 0, len * sizeof *B.rho);
        B.rho[0] = 1;
        B.n_keep = 0;
        for (int i = 0; i < c->n_ops; i++) {
            const ir_op *op = &c->ops[i];
            if (op->gate == IR_CHANNEL && !is_readout(op))
                memcpy(B.keep[B.n_keep++], B.rho, len * sizeof *B.rho);
            step(c, op, params, B.in, B.rho);
        }
        readout_factors(c, params, B.in, f, p);
        measure_dm(c, B.rho, f, raw, tv);
        memset(w, 0, nt * sizeof *w);
        for (int k = 0; k < c->n_obs; k++)
            ir_obs_weights(c, k, tv, grad_outputs[(size_t)b * c->n_obs + k], w);
        /* Lambda = sum_t w_t f_t P_t; each readout strength: sum_t w_t raw_t df_t/dp */
        memset(B.lam, 0, len * sizeof *B.lam);
        for (int t = 0; t < c->n_terms; t++)
            if (w[t] != 0) add_pauli_dm(c->n_qubits, &c->terms[t], w[t] * f[t], B.lam);
        readout_grads(c, params, B.in, w, raw, p, grad_params, B.grad_in);
        for (int i = c->n_ops - 1; i >= 0; i--) {
            const ir_op *op = &c->ops[i];
            if (op->n_members == 0) {
                back_primitive(&B, op);
                continue;
            }
            for (int k = op->n_members - 1; k >= 0; k--)
                back_primitive(&B, &c->members[op->first_member + k]);
        }
    }
    for (int k = 0; k < n_ch; k++) free(B.keep[k]);
    free(B.keep);
    free(B.rho);
    free(B.lam);
    free(B.tmp);
    free(f);
    free(raw);
    free(tv);
    free(w);
    free(p);
}

/* ---- parameter shift (docs/semantics.md §10.2) ---------------------------------------------
 * The hardware-faithful gradient: forward runs only, no co-state. A gate angle's derivative is
 * the shift rule on runs with that one occurrence shifted: tr(P U(a) rho U(a)^dagger) has the
 * frequencies of U's generator (eigenvalue differences 0, +-1: 2 runs at +-pi/2; controlled
 * rotations also +-1/2: 4 runs), exactly as for a state vector. A channel strength has no shift
 * rule (its map is no rotation), but the output is linear in the channel's superoperator S, so
 * one run with dS/ds in S's place gives its derivative exactly. */

/* rho of the circuit with primitive op `target` changed: angle k shifted by `shift`, or for a
 * channel its superoperator replaced by the derivative in strength k. */
static void shifted_step(const ir_circuit *c, const ir_op *op, const ir_op *target, int k,
                         double shift, const double *params, const double *in, cplx *rho) {
    if (op->n_members > 0) {
        for (int m = 0; m < op->n_members; m++)
            shifted_step(c, &c->members[op->first_member + m], target, k, shift, params, in, rho);
        return;
    }
    if (op != target) {
        step(c, op, params, in, rho);
        return;
    }
    double a[3];
    ir_op_angles(c, op, params, in, a);
    if (op->gate == IR_CHANNEL) {
        apply_channel_dm(c, op, a, k, 0, rho);
        return;
    }
    a[k] += shift;
    apply_gate_dm(c, op, a, -1, 0, rho);
}

/* sum_t wf_t tr(P_t rho') for rho' the circuit's state with `target` changed */
static double shifted_run(const ir_circuit *c, const ir_op *target, int k, double shift,
                          const double *params, const double *in, const double *wf, cplx *rho) {
    memset(rho, 0, vec_len(c) * sizeof *rho);
    rho[0] = 1;
    for (int i = 0; i < c->n_ops; i++) shifted_step(c, &c->ops[i], target, k, shift, params, in, rho);
    double s = 0;
    for (int t = 0; t < c->n_terms; t++)
        if (wf[t] != 0) s += wf[t] * pauli_trace(c->n_qubits, &c->terms[t], rho);
    return s;
}

static int expr_varies(const ir_circuit *c, int e) {
    return e >= 0 && (c->exprs[e].uses_param || c->exprs[e].uses_input);
}

/* dL/d(angle or strength k of primitive op) by the runs above, chained into its expression */
static void shift_primitive(const ir_circuit *c, const ir_op *op, const double *params,
                            const double *in, const double *wf, cplx *rho, double *grad_params,
                            double *grad_in) {
    static const double PI = 3.14159265358979323846, R2 = 1.41421356237309504880;
    if (op->gate == IR_CHANNEL) {
        if (is_readout(op)) return; /* readout_grads */
        for (int k = 0; k < ir_channel_n_strengths(op->channel); k++) {
            if (op->channel == IR_CH_KRAUS || !expr_varies(c, op->angle[k])) continue;
            double g = shifted_run(c, op, k, 0, params, in, wf, rho);
            ir_eval_grad(c, op->angle[k], params, in, g, grad_params, grad_in);
        }
        return;
    }
    int four = op->gate == IR_CRX || op->gate == IR_CRY || op->gate == IR_CRZ;
    for (int k = 0; k < ir_gate_n_angles(op->gate); k++) {
        if (!expr_varies(c, op->angle[k])) continue;
        double g;
        if (four) {
            const double c1 = (R2 + 1) / (4 * R2), c2 = (R2 - 1) / (4 * R2);
            g = c1 * (shifted_run(c, op, k, PI / 2, params, in, wf, rho) -
                      shifted_run(c, op, k, -PI / 2, params, in, wf, rho)) -
                c2 * (shifted_run(c, op, k, 3 * PI / 2, params, in, wf, rho) -
                      shifted_run(c, op, k, -3 * PI / 2, params, in, wf, rho));
        } else {
            g = 0.5 * (shifted_run(c, op, k, PI / 2, params, in, wf, rho) -
                       shifted_run(c, op, k, -PI / 2, params, in, wf, rho));
        }
        ir_eval_grad(c, op->angle[k], params, in, g, grad_params, grad_in);
    }
}

void interp_dm_vjp_shift(const ir_circuit *c, const double *params, const double *inputs,
                         const double *grad_outputs, double *grad_params, double *grad_inputs,
                         int n_samples) {
    size_t len = vec_len(c), nt = (size_t)c->n_terms + 1;
    cplx *rho = alloc_or_die(len * sizeof *rho);
    double *f = alloc_or_die(nt * sizeof *f), *raw = alloc_or_die(nt * sizeof *raw);
    double *tv = alloc_or_die(nt * sizeof *tv), *w = alloc_or_die(nt * sizeof *w);
    double *wf = alloc_or_die(nt * sizeof *wf);
    double *p = alloc_or_die(((size_t)count_ops(c, 1) + 1) * sizeof *p);
    for (int b = 0; b < n_samples; b++) {
        const double *in = sample_inputs(c, inputs, b);
        double *gin = grad_inputs ? grad_inputs + (size_t)b * c->n_inputs : NULL;
        if (gin) memset(gin, 0, (size_t)c->n_inputs * sizeof *gin);
        /* the unshifted run: the outputs' weights (variances linearised at their means, as
         * the adjoint method's seed is) and the readout strengths' gradients */
        interp_dm_state(c, params, in, rho);
        readout_factors(c, params, in, f, p);
        measure_dm(c, rho, f, raw, tv);
        memset(w, 0, nt * sizeof *w);
        for (int k = 0; k < c->n_obs; k++)
            ir_obs_weights(c, k, tv, grad_outputs[(size_t)b * c->n_obs + k], w);
        for (int t = 0; t < c->n_terms; t++) wf[t] = w[t] * f[t];
        readout_grads(c, params, in, w, raw, p, grad_params, gin);
        for (int i = 0; i < c->n_ops; i++) {
            const ir_op *op = &c->ops[i];
            if (op->n_members == 0) {
                shift_primitive(c, op, params, in, wf, rho, grad_params, gin);
                continue;
            }
            for (int m = 0; m < op->n_members; m++)
                shift_primitive(c, &c->members[op->first_member + m], params, in, wf, rho,
                                grad_params, gin);
        }
    }
    free(rho);
    free(f);
    free(raw);
    free(tv);
    free(w);
    free(wf);
    free(p);
}
