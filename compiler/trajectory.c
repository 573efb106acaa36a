/* Trajectory lowering (trajectory.h): Pauli channels as draw-chosen rotations by pi. */
#include "trajectory.h"

#define TRAJ_PI 3.14159265358979323846 /* M_PI is not in strict C11 */

static int is_pauli_mixture(ir_channel ch) {
    return ch == IR_CH_DEPOLARIZING || ch == IR_CH_BIT_FLIP || ch == IR_CH_PHASE_FLIP;
}

const ir_op *traj_unsupported(const ir_circuit *c, const char **why) {
    for (int i = 0; i < c->n_ops; i++) {
        const ir_op *op = &c->ops[i];
        if (op->gate != IR_CHANNEL) continue;
        if (!is_pauli_mixture(op->channel)) {
            *why = "is not a mixture of Pauli gates";
            return op;
        }
        const ir_expr *s = &c->exprs[op->angle[0]];
        if (s->uses_param || s->uses_input) {
            *why = "has a strength that is not a constant";
            return op;
        }
    }
    return NULL;
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
        double p = c->exprs[op->angle[0]].value; /* constant: traj_unsupported checked */
        int u = ir_input(d, d->n_inputs);          /* a fresh draw, after every input */
        d->n_uniform++;
        int w = op->wires[0];
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
