/* Trajectory lowering (trajectory.h): Pauli channels as draw-chosen rotations by pi. */
#include "trajectory.h"

#include <complex.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "interp.h"

#define TRAJ_PI 3.14159265358979323846 /* M_PI is not in strict C11 */

static int is_pauli_mixture(ir_channel ch) {
    return ch == IR_CH_DEPOLARIZING || ch == IR_CH_BIT_FLIP || ch == IR_CH_PHASE_FLIP;
}

const ir_op *traj_unsupported(const ir_circuit *c, const char **why) {
    for (int i = 0; i < c->n_ops; i++) {
        const ir_op *op = &c->ops[i];
        if (op->gate != IR_CHANNEL) continue;
        if (op->channel == IR_CH_READOUT) {
            *why = "acts on the measurement, not on the state a trajectory follows";
            return op;
        }
        if (op->channel == IR_CH_KRAUS && op->wires[1] >= 0) {
            *why = "acts on two qubits (trajectories jump by one-qubit Kraus sets only, not yet "
                   "by two-qubit ones)";
            return op;
        }
        for (int k = 0; k < ir_channel_n_strengths(op->channel); k++) {
            const ir_expr *s = &c->exprs[op->angle[k]];
            if (s->uses_param || s->uses_input) {
                *why = "has a strength that is not a constant";
                return op;
            }
        }
    }
    return NULL;
}

int traj_is_jump(const ir_op *op) {
    return op->gate == IR_CHANNEL && op->channel == IR_CH_KRAUS && op->angle[0] >= 0;
}

const ir_op *traj_first_jump(const ir_circuit *c) {
    for (int i = 0; i < c->n_ops; i++)
        if (traj_is_jump(&c->ops[i])) return &c->ops[i];
    return NULL;
}

/* The Kraus set of a channel that is no Pauli mixture, constant strengths s: PennyLane's
 * operators (semantics.md §10.1), interleaved 2x2 matrices into k; returns their count. */
static int kraus_set(const ir_circuit *c, const ir_op *op, const double *s, double *k) {
    memset(k, 0, sizeof(double) * 8 * 4);
    switch (op->channel) {
    case IR_CH_AMPLITUDE_DAMPING:
    case IR_CH_PHASE_DAMPING: /* [[1, 0], [0, sqrt(1-g)]], then sqrt(g) at (0,1) or (1,1) */
        k[0] = 1;
        k[6] = sqrt(1 - s[0]);
        k[8 + (op->channel == IR_CH_AMPLITUDE_DAMPING ? 2 : 6)] = sqrt(s[0]);
        return 2;
    case IR_CH_THERMAL: { /* pe = 0: sqrt(1 - pz - pr) I, sqrt(pz) Z, sqrt(pr) |0><0|, |0><1| */
        double e1 = exp(-s[2] / s[0]), e2 = exp(-s[2] / s[1]), pr = 1 - e1;
        if (s[1] <= s[0]) {
            double pz = e1 * (1 - e2 / e1) / 2;
            k[0] = k[6] = sqrt(1 - pz - pr);
            k[8] = sqrt(pz);
            k[14] = -sqrt(pz);
            k[16] = sqrt(pr);
            k[24 + 2] = sqrt(pr);
            return 4;
        }
        /* t1 < t2 <= 2 t1: amplitude damping by pr, then phase damping with 1 - l = e2^2 / e1:
         * the four products */
        double l = 1 - e2 * e2 / e1, a0[8] = {1, 0, 0, 0, 0, 0, sqrt(1 - pr), 0},
               a1[8] = {0, 0, sqrt(pr), 0, 0, 0, 0, 0}, p0[8] = {1, 0, 0, 0, 0, 0, sqrt(1 - l), 0},
               p1[8] = {0, 0, 0, 0, 0, 0, sqrt(l), 0};
        const double *pa[2] = {p0, p1}, *aa[2] = {a0, a1};
        int n = 0;
        for (int i = 0; i < 2; i++) /* real matrices: the product's real parts */
            for (int j = 0; j < 2; j++, n++)
                for (int r = 0; r < 2; r++)
                    for (int q = 0; q < 2; q++)
                        k[8 * n + 2 * (2 * r + q)] = pa[i][2 * (2 * r + 0)] * aa[j][2 * (2 * 0 + q)] +
                                                     pa[i][2 * (2 * r + 1)] * aa[j][2 * (2 * 1 + q)];
        return 4;
    }
    case IR_CH_KRAUS:
        memcpy(k, c->kraus + op->kraus_first, sizeof(double) * 8 * (size_t)op->n_kraus);
        return op->n_kraus;
    default: return 0;
    }
}

/* pi * step(t - u) for the constant threshold t and the draw node u. */
static int pi_step(ir_circuit *d, double t, int u) {
    int s = ir_unary(d, IR_EXPR_STEP, ir_binary(d, IR_EXPR_SUB, ir_const(d, t), u));
    return ir_binary(d, IR_EXPR_MUL, ir_const(d, TRAJ_PI), s);
}

/* pi * (step(hi - u) - step(lo - u)): pi exactly when lo <= u < hi. */
static int pi_window(ir_circuit *d, double lo, double hi, int u) {
    int a = ir_unary(d, IR_EXPR_STEP, ir_binary(d, IR_EXPR_SUB, ir_const(d, hi), u));
    int b = ir_unary(d, IR_EXPR_STEP, ir_binary(d, IR_EXPR_SUB, ir_const(d, lo), u));
    return ir_binary(d, IR_EXPR_MUL, ir_const(d, TRAJ_PI), ir_binary(d, IR_EXPR_SUB, a, b));
}

static void add_rotation(ir_circuit *d, ir_gate g, int w, int angle, const ir_op *from) {
    int k = ir_add_gate(d, g, w, -1, angle, -1, -1);
    ir_set_loc(d, k, from->src_line, from->src_col);
}

ir_circuit *traj_lower(const ir_circuit *c) {
    ir_circuit *d = ir_clone(c);
    d->n_ops = 0; /* rebuilt from c's ops; expressions, tensors and outputs are kept */
    for (int i = 0; i < c->n_ops; i++) {
        const ir_op *op = &c->ops[i];
        if (op->gate != IR_CHANNEL) {
            int k = ir_add_gate(d, op->gate, op->wires[0], op->wires[1], op->angle[0],
                                op->angle[1], op->angle[2]);
            d->ops[k] = *op;
            continue;
        }
        int u = ir_input(d, d->n_inputs);          /* a fresh draw, after every input */
        d->n_uniform++;
        int w = op->wires[0];
        if (!is_pauli_mixture(op->channel)) { /* a jump: its Kraus set and its draw */
            double k[8 * 16], s[3] = {0};
            for (int j = 0; j < ir_channel_n_strengths(op->channel); j++)
                s[j] = c->exprs[op->angle[j]].value;
            int n = kraus_set(c, op, s, k);
            int q = ir_add_kraus(d, w, -1, n, k);
            d->ops[q].angle[0] = u;
            ir_set_loc(d, q, op->src_line, op->src_col);
            continue;
        }
        double p = c->exprs[op->angle[0]].value; /* constant: traj_unsupported checked */
        switch (op->channel) {
        case IR_CH_DEPOLARIZING:
            add_rotation(d, IR_RX, w, pi_step(d, p / 3, u), op);
            add_rotation(d, IR_RY, w, pi_window(d, p / 3, 2 * p / 3, u), op);
            add_rotation(d, IR_RZ, w, pi_window(d, 2 * p / 3, p, u), op);
            break;
        case IR_CH_BIT_FLIP: add_rotation(d, IR_RX, w, pi_step(d, p, u), op); break;
        case IR_CH_PHASE_FLIP: add_rotation(d, IR_RZ, w, pi_step(d, p, u), op); break;
        default: break; /* refused by traj_unsupported */
        }
    }
    return d;
}

/* ---- the jumps' simulation (a state vector per run, on the interpreter's ops) ------------- */

/* psi <- K_i psi / ||K_i psi|| on wire w, i the first with u < sum_{j <= i} ||K_j psi||^2:
 * the Gram matrix G = sum over the wire's pairs (a, b) of [a b]^dagger [a b] gives
 * ||K psi||^2 = tr(K^dagger K G) for every K in one sweep. */
static void jump(const ir_circuit *c, const ir_op *op, double u, double complex *psi) {
    int n = c->n_qubits, nk = op->n_kraus;
    size_t s = (size_t)1 << (n - 1 - op->wires[0]), len = (size_t)1 << n;
    double g00 = 0, g11 = 0;
    double complex g01 = 0; /* sum conj(a) b */
    for (size_t hi = 0; hi < len; hi += 2 * s)
        for (size_t i = hi; i < hi + s; i++) {
            double complex a = psi[i], b = psi[i + s];
            g00 += creal(a) * creal(a) + cimag(a) * cimag(a);
            g11 += creal(b) * creal(b) + cimag(b) * cimag(b);
            g01 += conj(a) * b;
        }
    const double *km = c->kraus + op->kraus_first;
    double p[16] = {0}, total = 0;
    for (int j = 0; j < nk; j++) {
        const double *m = km + 8 * j;
        double complex k00 = m[0] + I * m[1], k01 = m[2] + I * m[3];
        double complex k10 = m[4] + I * m[5], k11 = m[6] + I * m[7];
        /* (K^dagger K)_00 G00 + (K^dagger K)_11 G11 + 2 Re((K^dagger K)_10 G01) */
        double h00 = creal(conj(k00) * k00 + conj(k10) * k10);
        double h11 = creal(conj(k01) * k01 + conj(k11) * k11);
        double complex h10 = conj(k01) * k00 + conj(k11) * k10;
        p[j] = h00 * g00 + h11 * g11 + 2 * creal(h10 * g01);
        if (p[j] < 0) p[j] = 0; /* rounding */
        total += p[j];
    }
    int pick = nk - 1;
    double cum = 0;
    for (int j = 0; j < nk; j++) {
        cum += p[j];
        if (u * total < cum) {
            pick = j;
            break;
        }
    }
    while (pick > 0 && p[pick] == 0) pick--; /* u at the very end of [0, 1): the last nonzero */
    const double *m = km + 8 * pick;
    double complex k00 = m[0] + I * m[1], k01 = m[2] + I * m[3];
    double complex k10 = m[4] + I * m[5], k11 = m[6] + I * m[7];
    double scale = 1 / sqrt(p[pick]);
    for (size_t hi = 0; hi < len; hi += 2 * s)
        for (size_t i = hi; i < hi + s; i++) {
            double complex a = psi[i], b = psi[i + s];
            psi[i] = scale * (k00 * a + k01 * b);
            psi[i + s] = scale * (k10 * a + k11 * b);
        }
}

void traj_forward_batch(const ir_circuit *c, const double *params, const double *inputs,
                        double *outputs, int n_rows) {
    size_t len = (size_t)1 << c->n_qubits;
    double complex *psi = malloc(len * sizeof *psi);
    double *tv = malloc(((size_t)c->n_terms + 1) * sizeof *tv);
    if (!psi || !tv) { /* the reference back end's convention (interp_dm.c) */
        fputs("qnn: out of memory (trajectories)\n", stderr);
        exit(3);
    }
    for (int b = 0; b < n_rows; b++) {
        const double *in = inputs ? inputs + (size_t)b * c->n_inputs : NULL;
        memset(psi, 0, len * sizeof *psi);
        psi[0] = 1;
        for (int i = 0; i < c->n_ops; i++) {
            const ir_op *op = &c->ops[i];
            if (traj_is_jump(op)) jump(c, op, ir_eval(c, op->angle[0], params, in), psi);
            else interp_apply_op(c, op, params, in, psi);
        }
        for (int t = 0; t < c->n_terms; t++)
            tv[t] = interp_pauli_expect(c->n_qubits, c->terms[t].x_mask, c->terms[t].z_mask, psi);
        for (int k = 0; k < c->n_obs; k++) outputs[(size_t)b * c->n_obs + k] = ir_obs_value(c, k, tv);
    }
    free(psi);
    free(tv);
}

void traj_no_gradient(const ir_circuit *c, char *buf, size_t n) {
    const ir_op *j = traj_first_jump(c);
    snprintf(buf, n, "circuit %s: with simulation = trajectories, the channel at line %d is a "
             "state-dependent Kraus jump, whose branch probabilities depend on the parameters: "
             "the mean of the runs' gradients is not the gradient of the mean (it misses the "
             "probabilities' own derivative), so trajectories cannot train or differentiate it; "
             "train with simulation = density_matrix (or with Pauli channels only) and evaluate "
             "with `qnnc eval --checkpoint M --set simulation=trajectories`",
             c->name, j ? j->src_line : 0);
}
