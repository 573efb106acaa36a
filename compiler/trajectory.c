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

enum { MAX_JUMP_DOUBLES = 16 * 32 }; /* lower.c's MAX_KRAUS matrices of 4 x 4, interleaved */

/* The Kraus set of a channel that is no Pauli mixture, constant strengths s: PennyLane's
 * operators (semantics.md §10.1), interleaved 2x2 matrices into k (a two-qubit kraus: its own
 * 4x4 ones); returns their count. */
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
    case IR_CH_KRAUS: {
        size_t per = op->wires[1] >= 0 ? 32 : 8;
        memcpy(k, c->kraus + op->kraus_first, sizeof(double) * per * (size_t)op->n_kraus);
        return op->n_kraus;
    }
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
            double k[MAX_JUMP_DOUBLES], s[3] = {0};
            for (int j = 0; j < ir_channel_n_strengths(op->channel); j++)
                s[j] = c->exprs[op->angle[j]].value;
            int n = kraus_set(c, op, s, k);
            int q = ir_add_kraus(d, w, op->wires[1], n, k);
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

/* psi <- K_i psi / ||K_i psi|| on the op's wires (one, or two with wires[0] the high bit of
 * K's index, as everywhere in the IR), i the first with u < sum_{j <= i} ||K_j psi||^2 (the
 * probabilities normalised by their sum, which is 1 up to rounding for a complete set). Each
 * ||K_j psi||^2 is summed over the wires' groups of d = 2 or 4 amplitudes: nk d^2 products per
 * group, cheap beside the state vector's gates for the channels the language allows. */
static void jump(const ir_circuit *c, const ir_op *op, double u, double complex *psi) {
    int n = c->n_qubits, nk = op->n_kraus, two = op->wires[1] >= 0, d = two ? 4 : 2;
    size_t len = (size_t)1 << n, off[4] = {0}, all = 0;
    for (int t = 0; t <= two; t++) all |= (size_t)1 << (n - 1 - op->wires[t]);
    for (int l = 0; l < d; l++) /* offset of local index l from its group's base */
        for (int t = 0; t <= two; t++)
            if (l >> (two - t) & 1) off[l] |= (size_t)1 << (n - 1 - op->wires[t]);
    const double *km = c->kraus + op->kraus_first;
    size_t per = (size_t)(2 * d * d);
    double p[16] = {0}, total = 0;
    for (size_t base = 0; base < len; base++) {
        if (base & all) continue;
        double complex v[4];
        for (int l = 0; l < d; l++) v[l] = psi[base + off[l]];
        for (int j = 0; j < nk; j++) {
            const double *m = km + per * (size_t)j;
            for (int r = 0; r < d; r++) {
                double complex y = 0;
                for (int l = 0; l < d; l++) y += (m[2 * (r * d + l)] + I * m[2 * (r * d + l) + 1]) * v[l];
                p[j] += creal(y) * creal(y) + cimag(y) * cimag(y);
            }
        }
    }
    for (int j = 0; j < nk; j++) total += p[j];
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
    const double *m = km + per * (size_t)pick;
    double scale = 1 / sqrt(p[pick]);
    for (size_t base = 0; base < len; base++) {
        if (base & all) continue;
        double complex v[4], y[4];
        for (int l = 0; l < d; l++) v[l] = psi[base + off[l]];
        for (int r = 0; r < d; r++) {
            y[r] = 0;
            for (int l = 0; l < d; l++) y[r] += (m[2 * (r * d + l)] + I * m[2 * (r * d + l) + 1]) * v[l];
        }
        for (int r = 0; r < d; r++) psi[base + off[r]] = scale * y[r];
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
