/* OpenQASM 3 export: the unfused circuit IR written with stdgates.inc names.
 *
 * Every IR primitive has an OpenQASM 3 spelling with exactly the same unitary (no global
 * phase dropped): i -> id, cnot -> cx, phase -> p, cphase -> cp, u3 -> the built-in U (the
 * OpenQASM 3 U(theta, phi, lambda) is PennyLane's U3 matrix, whereas stdgates' u3 differs by
 * the global phase e^{-i(phi+lambda)/2}), and rot -> a `gate rot` definition as
 * rz(phi), ry(theta), rz(omega) (PennyLane's Rot). Composite gates of the language (rzz,
 * toffoli, iswap, unitary(M), ...) are already expanded into these primitives by lowering
 * (gates.c), so they need no definitions of their own. */
#include "qasm.h"

#include <string.h>

/* OpenQASM 3 names of the IR primitives, indexed by ir_gate (NULL: not a primitive). */
static const char *qasm_gate_name(ir_gate g) {
    switch (g) {
    case IR_I: return "id";
    case IR_H: return "h";
    case IR_X: return "x";
    case IR_Y: return "y";
    case IR_Z: return "z";
    case IR_S: return "s";
    case IR_T: return "t";
    case IR_SX: return "sx";
    case IR_RX: return "rx";
    case IR_RY: return "ry";
    case IR_RZ: return "rz";
    case IR_PHASE: return "p";
    case IR_ROT: return "rot";
    case IR_U3: return "U";
    case IR_CNOT: return "cx";
    case IR_CZ: return "cz";
    case IR_CY: return "cy";
    case IR_SWAP: return "swap";
    case IR_CRX: return "crx";
    case IR_CRY: return "cry";
    case IR_CRZ: return "crz";
    case IR_CPHASE: return "cp";
    default: return NULL;
    }
}

/* Precedence as in ir.c's printer: sums < products < negation < atoms and calls. */
static int prec(ir_expr_kind k) {
    switch (k) {
    case IR_EXPR_ADD: case IR_EXPR_SUB: return 1;
    case IR_EXPR_MUL: case IR_EXPR_DIV: return 2;
    case IR_EXPR_NEG: return 3;
    default: return 4;
    }
}

/* A parameter's variable: the tensor name and its indices joined by '_' (gamma_0_1). */
static void write_param(const ir_circuit *c, int index, FILE *f) {
    for (int t = 0; t < c->n_tensors; t++) {
        const ir_tensor *tn = &c->tensors[t];
        if (index < tn->offset || index >= tn->offset + tn->size) continue;
        fputs(tn->name, f);
        int rest = index - tn->offset, stride = tn->size;
        for (int d = 0; d < tn->rank; d++) {
            stride /= tn->shape[d];
            fprintf(f, "_%d", rest / stride);
            rest %= stride;
        }
        return;
    }
    fprintf(f, "p_%d", index);
}

/* The first expression kind OpenQASM 3 has no spelling for, or -1. */
static int unsupported_kind(const ir_circuit *c, int i) {
    const ir_expr *e = &c->exprs[i];
    if (e->kind == IR_EXPR_TANH || e->kind == IR_EXPR_ATAN2) return (int)e->kind;
    int k = e->a >= 0 ? unsupported_kind(c, e->a) : -1;
    if (k < 0 && e->b >= 0 && ir_expr_is_binary(e->kind)) k = unsupported_kind(c, e->b);
    return k;
}

static void write_expr(const ir_circuit *c, int i, FILE *f) {
    static const char *const fn[] = {"sin", "cos", "tan", "exp", "log", "sqrt",
                                     "tanh", "arctan", "arcsin", "arccos"};
    const ir_expr *e = &c->exprs[i];
    int p = prec(e->kind);
    switch (e->kind) {
    case IR_EXPR_CONST: fprintf(f, e->value < 0 ? "(%.17g)" : "%.17g", e->value); return;
    case IR_EXPR_PARAM: write_param(c, e->index, f); return;
    case IR_EXPR_INPUT: fprintf(f, "x%d", e->index); return;
    case IR_EXPR_NEG: {
        int paren = prec(c->exprs[e->a].kind) < p;
        fputs(paren ? "-(" : "-", f);
        write_expr(c, e->a, f);
        if (paren) fputc(')', f);
        return;
    }
    case IR_EXPR_ADD: case IR_EXPR_SUB: case IR_EXPR_MUL: case IR_EXPR_DIV: {
        static const char ops[] = "+-*/";
        int pa = prec(c->exprs[e->a].kind) < p;
        int right = e->kind == IR_EXPR_SUB || e->kind == IR_EXPR_DIV;
        int pb = prec(c->exprs[e->b].kind) < p + right;
        fputs(pa ? "(" : "", f);
        write_expr(c, e->a, f);
        fprintf(f, "%s %c %s", pa ? ")" : "", ops[e->kind - IR_EXPR_ADD], pb ? "(" : "");
        write_expr(c, e->b, f);
        fputs(pb ? ")" : "", f);
        return;
    }
    default:
        fprintf(f, "%s(", fn[e->kind - IR_EXPR_SIN]);
        write_expr(c, e->a, f);
        fputc(')', f);
        return;
    }
}

/* Pauli terms as `coef * Z0 X2` joined by ` + `; the identity term as `coef * I`. */
static void write_terms(const ir_circuit *c, int first, int n, FILE *f) {
    for (int k = 0; k < n; k++) {
        const ir_pauli_term *t = &c->terms[first + k];
        fprintf(f, "%s%.17g *", k ? " + " : "", t->coef);
        int any = 0;
        for (int w = 0; w < c->n_qubits; w++) {
            int x = t->x_mask >> w & 1, z = t->z_mask >> w & 1;
            if (!x && !z) continue;
            fprintf(f, " %c%d", x ? (z ? 'Y' : 'X') : 'Z', w);
            any = 1;
        }
        if (!any) fputs(" I", f);
    }
}

int qasm_write(const ir_circuit *c, FILE *f) {
    int uses_rot = 0;
    for (int i = 0; i < c->n_ops; i++) {
        const ir_op *op = &c->ops[i];
        if (!qasm_gate_name(op->gate)) {
            fprintf(stderr, "qnnc: circuit `%s`: op `%s` has no OpenQASM 3 form (emit-qasm writes "
                            "the unfused IR)\n", c->name, ir_gate_name(op->gate));
            return -1;
        }
        uses_rot |= op->gate == IR_ROT;
        for (int k = 0; k < ir_gate_n_angles(op->gate); k++) {
            int bad = unsupported_kind(c, op->angle[k]);
            if (bad >= 0) {
                fprintf(stderr, "qnnc: circuit `%s`: the angle of `%s` (line %d) uses %s, which "
                                "OpenQASM 3 has no function for\n", c->name, ir_gate_name(op->gate),
                        op->src_line, bad == IR_EXPR_TANH ? "tanh" : "atan2");
                return -1;
            }
        }
    }
    fprintf(f, "// circuit %s: %d qubits, %d inputs, %d parameters (qnnc emit-qasm)\n", c->name,
            c->n_qubits, c->n_inputs, c->n_params);
    fputs("OPENQASM 3.0;\ninclude \"stdgates.inc\";\n", f);
    if (uses_rot) /* PennyLane's Rot(phi, theta, omega) = RZ(omega) RY(theta) RZ(phi), exactly */
        fputs("gate rot(phi, theta, omega) a { rz(phi) a; ry(theta) a; rz(omega) a; }\n", f);
    for (int j = 0; j < c->n_inputs; j++) fprintf(f, "input float[64] x%d;\n", j);
    for (int t = 0; t < c->n_tensors; t++) {
        const ir_tensor *tn = &c->tensors[t];
        fprintf(f, "// param %s", tn->name);
        for (int d = 0; d < tn->rank; d++) fprintf(f, "[%d]", tn->shape[d]);
        fputc('\n', f);
    }
    for (int p = 0; p < c->n_params; p++) {
        fputs("input float[64] ", f);
        write_param(c, p, f);
        fputs(";\n", f);
    }
    fprintf(f, "qubit[%d] q;\n", c->n_qubits);
    for (int i = 0; i < c->n_ops; i++) {
        const ir_op *op = &c->ops[i];
        fputs(qasm_gate_name(op->gate), f);
        int na = ir_gate_n_angles(op->gate);
        for (int k = 0; k < na; k++) {
            fputs(k ? ", " : "(", f);
            write_expr(c, op->angle[k], f);
            if (k == na - 1) fputc(')', f);
        }
        fprintf(f, " q[%d]", op->wires[0]);
        if (op->wires[1] >= 0) fprintf(f, ", q[%d]", op->wires[1]);
        fputs(";\n", f);
    }
    /* OpenQASM 3 has no expectation values: the outputs as comments, then a measurement. */
    for (int o = 0; o < c->n_obs; o++) {
        const ir_observable *ob = &c->obs[o];
        if (ob->kind == IR_OBS_VAR) {
            fputs("// var: ", f);
            write_terms(c, ob->first_lin, ob->n_lin, f);
        } else if (ob->kind == IR_OBS_PROB) {
            if (ob->index != 0) continue; /* one comment for the 2^m outputs of a probs */
            fputs("// probs:", f);
            for (int i = 0; i < ob->n_prob_wires; i++) fprintf(f, " q%d", ob->prob_wires[i]);
        } else {
            fputs("// expval: ", f);
            write_terms(c, ob->first_term, ob->n_terms, f);
        }
        fputc('\n', f);
    }
    fprintf(f, "bit[%d] c;\nc = measure q;\n", c->n_qubits);
    return 0;
}

int qasm_command(const sema_result *r, const char *experiment) {
    int rc = 0, shown = 0;
    for (int i = 0; i < r->n_experiments && !rc; i++) {
        const sema_experiment *x = &r->experiments[i];
        if (experiment && strcmp(experiment, x->exp.name) != 0) continue;
        for (int k = 0; k < x->model.n_circuits && !rc; k++, shown++) {
            if (shown) putchar('\n');
            rc = qasm_write(x->model.circuits[k], stdout);
        }
    }
    for (int i = 0; i < r->n_circuits && !experiment && !rc; i++, shown++) {
        if (shown) putchar('\n');
        rc = qasm_write(r->circuits[i], stdout);
    }
    return rc ? 1 : 0;
}
