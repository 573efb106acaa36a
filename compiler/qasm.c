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

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "io_safetensors.h"

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

/* The first expression kind OpenQASM 3 has no spelling for, or -1. */
static int unsupported_kind(const ir_circuit *c, int i) {
    const ir_expr *e = &c->exprs[i];
    if (e->kind == IR_EXPR_TANH || e->kind == IR_EXPR_ATAN2 || e->kind == IR_EXPR_STEP)
        return (int)e->kind;
    int k = e->a >= 0 ? unsupported_kind(c, e->a) : -1;
    if (k < 0 && e->b >= 0 && ir_expr_is_binary(e->kind)) k = unsupported_kind(c, e->b);
    return k;
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

int qasm_write(const ir_circuit *c, const double *params, const char *bound_from, FILE *f) {
    /* 17 significant digits: every constant reads back as the same double */
    const ir_expr_style style = {.digits = 17, .qasm = 1, .param_values = params};
    int uses_rot = 0;
    for (int i = 0; i < c->n_ops; i++) {
        const ir_op *op = &c->ops[i];
        if (op->gate == IR_CHANNEL) {
            fprintf(stderr, "qnnc: circuit `%s`: line %d: `%s` is a noise channel, which OpenQASM 3 "
                            "cannot express\n", c->name, op->src_line, ir_channel_name(op->channel));
            return -1;
        }
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
                        op->src_line, bad == IR_EXPR_TANH ? "tanh"
                        : bad == IR_EXPR_STEP ? "step (a noise channel as `simulation = trajectories` draws it)"
                                              : "atan2");
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
    if (params) { /* bound: literals in the angles, nothing left to declare */
        fprintf(f, "// parameters bound from %s\n", bound_from ? bound_from : "given values");
    } else for (int t = 0; t < c->n_tensors; t++) {
        const ir_tensor *tn = &c->tensors[t];
        fprintf(f, "// param %s", tn->name);
        for (int d = 0; d < tn->rank; d++) fprintf(f, "[%d]", tn->shape[d]);
        fputc('\n', f);
    }
    for (int p = 0; p < c->n_params && !params; p++) {
        fputs("input float[64] ", f);
        ir_print_param(c, p, &style, f);
        fputs(";\n", f);
    }
    fprintf(f, "qubit[%d] q;\n", c->n_qubits);
    for (int i = 0; i < c->n_ops; i++) {
        const ir_op *op = &c->ops[i];
        fputs(qasm_gate_name(op->gate), f);
        int na = ir_gate_n_angles(op->gate);
        for (int k = 0; k < na; k++) {
            fputs(k ? ", " : "(", f);
            ir_print_expr(c, op->angle[k], &style, f);
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

/* The checkpoint tensor of layer `layer`'s tensor `t`: named "layers.<layer>.<t>", inside a
 * composite layer with its branch's prefix ("layers.0.b2.layers.5.w": run_model.c names every
 * layer by its index in the whole list, so the tail is unique). */
static const io_tensor *layer_tensor(const io_st_file *f, int layer, const char *t) {
    char tail[96];
    snprintf(tail, sizeof tail, "layers.%d.%s", layer, t);
    size_t lt = strlen(tail);
    for (size_t k = 0; k < f->count; k++) {
        const char *n = f->tensors[k].name;
        size_t ln = strlen(n);
        if (ln >= lt && strcmp(n + ln - lt, tail) == 0 && (ln == lt || n[ln - lt - 1] == '.'))
            return &f->tensors[k];
    }
    return NULL;
}

/* Every quantum layer of x with its parameters from the checkpoint, one program each. */
static int write_bound(const sema_experiment *x, const char *checkpoint) {
    io_st_file f;
    char err[512];
    if (io_st_read(checkpoint, &f, err, sizeof err)) {
        fprintf(stderr, "qnnc: %s\n", err);
        return 1;
    }
    int rc = 0, shown = 0;
    for (int i = 0; i < x->model.n_layers && !rc; i++) {
        const rt_layer_spec *l = &x->model.layers[i];
        if (l->kind != RT_LAYER_QUANTUM) continue;
        const ir_circuit *c = x->model.circuits[l->circuit];
        double *params = calloc((size_t)c->n_params + 1, sizeof *params);
        if (!params) {
            fprintf(stderr, "qnnc: out of memory\n");
            rc = 1;
            break;
        }
        for (int t = 0; t < l->n_tensors && !rc; t++) {
            const rt_tensor_spec *ts = &l->tensors[t];
            const io_tensor *ct = layer_tensor(&f, i, ts->name);
            if (!ct || io_st_numel(ct) != (size_t)ts->size) {
                fprintf(stderr, "qnnc: %s: %s tensor `layers.%d.%s` (%d values) of experiment %s's "
                                "layer %d: the weights belong to another model\n",
                        checkpoint, ct ? "a wrong-sized" : "no", i, ts->name, ts->size, x->exp.name, i);
                rc = 1;
                break;
            }
            for (int k = 0; k < ts->size; k++) {
                if (!isfinite(ct->data[k])) {
                    fprintf(stderr, "qnnc: %s: `%s` holds a non-finite value at element %d: "
                                    "nothing to bind\n", checkpoint, ct->name, k);
                    rc = 1;
                    break;
                }
                params[ts->offset + k] = ct->data[k];
            }
        }
        if (!rc) {
            char from[RT_PATH_MAX + 64];
            snprintf(from, sizeof from, "%s (layer %d of experiment %s)", checkpoint, i, x->exp.name);
            if (shown++) putchar('\n');
            rc = qasm_write(c, params, from, stdout) ? 1 : 0;
        }
        free(params);
    }
    if (!rc && !shown) {
        fprintf(stderr, "qnnc: experiment %s has no quantum layer: nothing to bind %s to\n",
                x->exp.name, checkpoint);
        rc = 1;
    }
    io_st_free(&f);
    return rc;
}

/* Writes c unless a circuit with the same IR text was written already (the copies of a
 * `split`, layers of one circuit in several experiments): seen[0 .. *shown) are those texts. */
static int write_once(const ir_circuit *c, char ***seen, int *shown) {
    char *text = ir_to_text(c);
    char **grown = text ? realloc(*seen, sizeof **seen * (size_t)(*shown + 1)) : NULL;
    if (!grown) {
        free(text);
        fprintf(stderr, "qnnc: out of memory\n");
        return 1;
    }
    *seen = grown;
    for (int k = 0; k < *shown; k++)
        if (strcmp((*seen)[k], text) == 0) {
            free(text);
            return 0;
        }
    if (*shown) putchar('\n');
    (*seen)[(*shown)++] = text;
    return qasm_write(c, NULL, NULL, stdout) ? 1 : 0;
}

int qasm_command(const sema_result *r, const char *experiment, const char *checkpoint) {
    if (checkpoint) {
        const sema_experiment *chosen = NULL;
        int n_exp = 0;
        for (int i = 0; i < r->n_experiments; i++)
            if (!experiment || strcmp(experiment, r->experiments[i].exp.name) == 0) {
                chosen = &r->experiments[i];
                n_exp++;
            }
        if (n_exp != 1) {
            fprintf(stderr, "qnnc: --checkpoint: the file has %s experiment%s: pick the one the "
                            "weights belong to with --experiment NAME\n",
                    n_exp ? "more than one" : "no", n_exp ? "s" : "");
            return 1;
        }
        return write_bound(chosen, checkpoint);
    }
    int rc = 0, shown = 0;
    char **seen = NULL;
    for (int i = 0; i < r->n_experiments && !rc; i++) {
        const sema_experiment *x = &r->experiments[i];
        if (experiment && strcmp(experiment, x->exp.name) != 0) continue;
        for (int k = 0; k < x->model.n_circuits && !rc; k++)
            rc = write_once(x->model.circuits[k], &seen, &shown);
    }
    for (int i = 0; i < r->n_circuits && !experiment && !rc; i++)
        rc = write_once(r->circuits[i], &seen, &shown);
    for (int k = 0; k < shown; k++) free(seen[k]);
    free(seen);
    return rc ? 1 : 0;
}
