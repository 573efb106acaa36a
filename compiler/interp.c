/* Reference interpreter: dense state-vector simulation of the circuit IR, one sample at a
 * time, used as ground truth by the tests of passes and generated code. See interp.h. */
#include "interp.h"

#include <complex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef double complex cplx;

static void *alloc_or_die(size_t bytes) {
    void *p = calloc(1, bytes ? bytes : 1);
    if (!p) { /* the interpreter serves tests and debugging: no recovery is worth having */
        fputs("qnn: out of memory\n", stderr);
        exit(3);
    }
    return p;
}

static size_t state_dim(const ir_circuit *c) {
    return (size_t)1 << c->n_qubits;
}

/* Stride of wire w in the state: wire 0 is the most significant bit. */
static size_t stride(int n, int w) {
    return (size_t)1 << (n - 1 - w);
}

/* Reads the interleaved matrix of ir_gate_matrix into complex numbers, optionally taking
 * the conjugate transpose (to un-apply a gate). */
static void load_matrix(const double *m, int dim, int dagger, cplx *z) {
    for (int r = 0; r < dim; r++)
        for (int k = 0; k < dim; k++) {
            int src = dagger ? k * dim + r : r * dim + k;
            cplx v = m[2 * src] + I * m[2 * src + 1];
            z[r * dim + k] = dagger ? conj(v) : v;
        }
}

/* state <- U state for a 2x2 (one wire) or 4x4 (wires w0, w1; basis |w0 w1>) matrix. */
static void apply_matrix(int n, const int *wires, int arity, const cplx *u, cplx *state) {
    size_t dim = (size_t)1 << n;
    if (arity == 1) {
        size_t s = stride(n, wires[0]);
        for (size_t i = 0; i < dim; i++) {
            if (i & s)
                continue;
            cplx a = state[i], b = state[i | s];
            state[i] = u[0] * a + u[1] * b;
            state[i | s] = u[2] * a + u[3] * b;
        }
        return;
    }
    size_t s0 = stride(n, wires[0]), s1 = stride(n, wires[1]);
    for (size_t i = 0; i < dim; i++) {
        if (i & (s0 | s1))
            continue;
        size_t idx[4] = {i, i | s1, i | s0, i | s0 | s1}; /* index 2*b0 + b1 */
        cplx v[4], r[4];
        for (int k = 0; k < 4; k++)
            v[k] = state[idx[k]];
        for (int row = 0; row < 4; row++) {
            r[row] = 0;
            for (int k = 0; k < 4; k++)
                r[row] += u[4 * row + k] * v[k];
        }
        for (int k = 0; k < 4; k++)
            state[idx[k]] = r[k];
    }
}

/* Masks over wires -> masks over state-index bits. */
static size_t wire_mask_to_bits(int n, uint32_t mask) {
    size_t bits = 0;
    for (int w = 0; w < n; w++)
        if (mask >> w & 1)
            bits |= stride(n, w);
    return bits;
}

static int popcount_parity(size_t v) {
    int p = 0;
    while (v) {
        p ^= 1;
        v &= v - 1;
    }
    return p;
}

/* Applies a primitive op's matrix (deriv < 0), its derivative w.r.t. angle `deriv`, or
 * (dagger) its inverse. */
static void apply_primitive(const ir_circuit *c, const ir_op *op, const double *angles,
                            int deriv, int dagger, cplx *state) {
    if (op->gate == IR_MULTIRZ) { /* a phase per parity of the masked bits: no matrix */
        size_t bits = wire_mask_to_bits(c->n_qubits, op->mask), dim = state_dim(c);
        cplx d[2];
        for (int p = 0; p < 2; p++) {
            double z[2];
            ir_multirz_phase(angles[0], p, deriv >= 0, z);
            d[p] = dagger ? z[0] - I * z[1] : z[0] + I * z[1];
        }
        for (size_t i = 0; i < dim; i++)
            state[i] *= d[popcount_parity(i & bits)];
        return;
    }
    double m[32];
    cplx u[16];
    int arity = ir_gate_arity(op->gate);
    if (deriv < 0)
        ir_gate_matrix(op->gate, angles, m);
    else
        ir_gate_matrix_deriv(op->gate, angles, deriv, m);
    load_matrix(m, arity == 2 ? 4 : 2, dagger, u);
    apply_matrix(c->n_qubits, op->wires, arity, u, state);
}

void interp_apply_op(const ir_circuit *c, const ir_op *op, const double *params,
                     const double *inputs, cplx *state) {
    if (op->n_members > 0) {
        for (int k = 0; k < op->n_members; k++)
            interp_apply_op(c, &c->members[op->first_member + k], params, inputs, state);
        return;
    }
    double angles[3];
    ir_op_angles(c, op, params, inputs, angles);
    apply_primitive(c, op, angles, -1, 0, state);
}

void interp_state(const ir_circuit *c, const double *params, const double *inputs,
                  cplx *state) {
    size_t dim = state_dim(c);
    for (size_t i = 0; i < dim; i++)
        state[i] = 0;
    state[0] = 1;
    for (int i = 0; i < c->n_ops; i++)
        interp_apply_op(c, &c->ops[i], params, inputs, state);
}

/* P|j> = i^{#Y} (-1)^{popcount(j & z)} |j ^ x>, since Y = i X Z acts as i (-1)^b |1-b>. */
static cplx pauli_phase(size_t j, size_t zbits, int n_y) {
    static const cplx ipow[4] = {1, I, -1, -I};
    cplx ph = ipow[n_y & 3];
    return popcount_parity(j & zbits) ? -ph : ph;
}

static int count_bits(uint32_t v) {
    int n = 0;
    for (; v; v &= v - 1)
        n++;
    return n;
}

double interp_pauli_expect(int n_qubits, uint32_t x_mask, uint32_t z_mask,
                           const cplx *state) {
    size_t dim = (size_t)1 << n_qubits;
    size_t xb = wire_mask_to_bits(n_qubits, x_mask), zb = wire_mask_to_bits(n_qubits, z_mask);
    int n_y = count_bits(x_mask & z_mask);
    cplx sum = 0;
    for (size_t j = 0; j < dim; j++)
        sum += conj(state[j ^ xb]) * pauli_phase(j, zb, n_y) * state[j];
    return creal(sum); /* P is Hermitian: the imaginary part is rounding noise */
}

static void measure_range(const ir_circuit *c, int first, int n, const cplx *state,
                          double *tv) {
    for (int t = first; t < first + n; t++)
        tv[t] = interp_pauli_expect(c->n_qubits, c->terms[t].x_mask, c->terms[t].z_mask, state);
}

/* <P_t> for every term of every observable (term_values indexed like c->terms). */
static void measure_all(const ir_circuit *c, const cplx *state, double *tv) {
    for (int o = 0; o < c->n_obs; o++) {
        measure_range(c, c->obs[o].first_term, c->obs[o].n_terms, state, tv);
        if (c->obs[o].kind == IR_OBS_VAR)
            measure_range(c, c->obs[o].first_lin, c->obs[o].n_lin, state, tv);
    }
}

double interp_expect(const ir_circuit *c, int obs, const cplx *state) {
    double *tv = alloc_or_die((size_t)c->n_terms * sizeof *tv);
    const ir_observable *o = &c->obs[obs];
    measure_range(c, o->first_term, o->n_terms, state, tv);
    if (o->kind == IR_OBS_VAR)
        measure_range(c, o->first_lin, o->n_lin, state, tv);
    double e = ir_obs_value(c, obs, tv);
    free(tv);
    return e;
}

void interp_forward(const ir_circuit *c, const double *params, const double *inputs,
                    double *outputs) {
    if (ir_has_channels(c)) { /* noise: only a density matrix describes the state */
        interp_dm_forward(c, params, inputs, outputs);
        return;
    }
    cplx *state = alloc_or_die(state_dim(c) * sizeof *state);
    double *tv = alloc_or_die((size_t)c->n_terms * sizeof *tv);
    interp_state(c, params, inputs, state);
    measure_all(c, state, tv);
    for (int k = 0; k < c->n_obs; k++)
        outputs[k] = ir_obs_value(c, k, tv);
    free(tv);
    free(state);
}

static const double *sample_inputs(const ir_circuit *c, const double *inputs, int b) {
    return inputs ? inputs + (size_t)b * c->n_inputs : NULL;
}

void interp_forward_batch(const ir_circuit *c, const double *params, const double *inputs,
                          double *outputs, int n_samples) {
    for (int b = 0; b < n_samples; b++)
        interp_forward(c, params, sample_inputs(c, inputs, b), outputs + (size_t)b * c->n_obs);
}

/* out += coef * P state, for one Pauli product. */
static void add_pauli(int n, const ir_pauli_term *t, double coef, const cplx *state,
                      cplx *out) {
    size_t dim = (size_t)1 << n;
    size_t xb = wire_mask_to_bits(n, t->x_mask), zb = wire_mask_to_bits(n, t->z_mask);
    int n_y = count_bits(t->x_mask & t->z_mask);
    for (size_t j = 0; j < dim; j++)
        out[j ^ xb] += coef * pauli_phase(j, zb, n_y) * state[j];
}

static cplx inner(const cplx *a, const cplx *b, size_t dim) {
    cplx s = 0;
    for (size_t i = 0; i < dim; i++)
        s += conj(a[i]) * b[i];
    return s;
}

/* Backward step through one primitive op U (the state `psi` is after U on entry, before U
 * on exit; `lam` likewise): accumulates dL/d(angle expression leaves). */
static void vjp_primitive(const ir_circuit *c, const ir_op *op, const double *params,
                          const double *inputs, cplx *psi, cplx *lam, cplx *tmp,
                          double *grad_params, double *grad_in) {
    size_t dim = state_dim(c);
    double angles[3];
    ir_op_angles(c, op, params, inputs, angles);
    apply_primitive(c, op, angles, -1, 1, psi);
    for (int k = 0; k < ir_gate_n_angles(op->gate); k++) {
        memcpy(tmp, psi, dim * sizeof *tmp);
        apply_primitive(c, op, angles, k, 0, tmp);
        /* dL/dtheta = 2 Re <lambda | dU/dtheta | psi_before> */
        double g = 2 * creal(inner(lam, tmp, dim));
        ir_eval_grad(c, op->angle[k], params, inputs, g, grad_params, grad_in);
    }
    apply_primitive(c, op, angles, -1, 1, lam);
}

void interp_vjp(const ir_circuit *c, const double *params, const double *inputs,
                const double *grad_outputs, double *grad_params, double *grad_inputs,
                int n_samples) {
    if (ir_has_channels(c)) {
        interp_dm_vjp(c, params, inputs, grad_outputs, grad_params, grad_inputs, n_samples);
        return;
    }
    size_t dim = state_dim(c);
    cplx *psi = alloc_or_die(dim * sizeof *psi);
    cplx *lam = alloc_or_die(dim * sizeof *lam);
    cplx *tmp = alloc_or_die(dim * sizeof *tmp);
    double *tv = alloc_or_die((size_t)c->n_terms * sizeof *tv);
    double *w = alloc_or_die((size_t)c->n_terms * sizeof *w);
    for (int b = 0; b < n_samples; b++) {
        const double *in = sample_inputs(c, inputs, b);
        double *gin = grad_inputs ? grad_inputs + (size_t)b * c->n_inputs : NULL;
        if (gin)
            memset(gin, 0, (size_t)c->n_inputs * sizeof *gin);
        interp_state(c, params, in, psi);
        /* lambda = O psi with O = sum_t w_t P_t (Hermitian), w_t = dL/d<P_t>, so that
         * dL/dtheta = 2 Re <lambda | d psi / d theta>. A variance's weights depend on <O>. */
        memset(lam, 0, dim * sizeof *lam);
        memset(w, 0, (size_t)c->n_terms * sizeof *w);
        measure_all(c, psi, tv);
        for (int k = 0; k < c->n_obs; k++)
            ir_obs_weights(c, k, tv, grad_outputs[(size_t)b * c->n_obs + k], w);
        for (int t = 0; t < c->n_terms; t++)
            if (w[t] != 0)
                add_pauli(c->n_qubits, &c->terms[t], w[t], psi, lam);
        for (int i = c->n_ops - 1; i >= 0; i--) {
            const ir_op *op = &c->ops[i];
            if (op->n_members == 0) {
                vjp_primitive(c, op, params, in, psi, lam, tmp, grad_params, gin);
                continue;
            }
            for (int k = op->n_members - 1; k >= 0; k--)
                vjp_primitive(c, &c->members[op->first_member + k], params, in, psi, lam,
                              tmp, grad_params, gin);
        }
    }
    free(psi);
    free(lam);
    free(tmp);
    free(tv);
    free(w);
}

/* L(params, inputs) = sum_b sum_k g[b][k] * outputs[b][k] for the finite differences. */
static double weighted_loss(const ir_circuit *c, const double *params, const double *inputs,
                            const double *grad_outputs, int n_samples, double *out) {
    interp_forward_batch(c, params, inputs, out, n_samples);
    double l = 0;
    for (size_t i = 0; i < (size_t)n_samples * c->n_obs; i++)
        l += grad_outputs[i] * out[i];
    return l;
}

void interp_vjp_fd(const ir_circuit *c, const double *params, const double *inputs,
                   const double *grad_outputs, double *grad_params, double *grad_inputs,
                   int n_samples, double h) {
    if (h <= 0)
        h = 1e-5;
    size_t n_in = (size_t)n_samples * c->n_inputs;
    double *p = alloc_or_die((size_t)c->n_params * sizeof *p);
    double *x = alloc_or_die(n_in * sizeof *x);
    double *out = alloc_or_die((size_t)n_samples * c->n_obs * sizeof *out);
    if (c->n_params)
        memcpy(p, params, (size_t)c->n_params * sizeof *p);
    if (n_in)
        memcpy(x, inputs, n_in * sizeof *x);
    for (int i = 0; i < c->n_params; i++) {
        p[i] = params[i] + h;
        double lp = weighted_loss(c, p, x, grad_outputs, n_samples, out);
        p[i] = params[i] - h;
        double lm = weighted_loss(c, p, x, grad_outputs, n_samples, out);
        p[i] = params[i];
        grad_params[i] += (lp - lm) / (2 * h);
    }
    /* Each sample's inputs only affect its own outputs, so one sample at a time suffices. */
    for (size_t j = 0; grad_inputs && j < n_in; j++) {
        int b = (int)(j / (size_t)c->n_inputs);
        double *xb = x + (size_t)b * c->n_inputs;
        const double *gb = grad_outputs + (size_t)b * c->n_obs;
        x[j] = inputs[j] + h;
        double lp = weighted_loss(c, p, xb, gb, 1, out);
        x[j] = inputs[j] - h;
        double lm = weighted_loss(c, p, xb, gb, 1, out);
        x[j] = inputs[j];
        grad_inputs[j] = (lp - lm) / (2 * h);
    }
    free(p);
    free(x);
    free(out);
}
