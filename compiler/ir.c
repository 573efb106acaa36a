/* Circuit IR core: construction, expression evaluation and differentiation, gate matrices
 * (PennyLane conventions), and the inspection helpers that passes, interpreter and codegen use. */
#include "ir.h"

#include <complex.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- memory -------------------------------------------------------------------------- */

/* The only place that may end the process: the IR has no error channel for allocation
 * failure, and every caller would otherwise have to thread one through. */
static void *xmalloc(void *old, size_t bytes) {
    void *p = realloc(old, bytes ? bytes : 1);
    if (!p) {
        fputs("qnn: out of memory\n", stderr);
        exit(3);
    }
    return p;
}

static char *xstrdup(const char *s) {
    size_t n = strlen(s ? s : "") + 1;
    char *d = xmalloc(NULL, n);
    memcpy(d, s ? s : "", n);
    return d;
}

/* Makes room for one more element of an array described by (ptr, n, cap). */
#define GROW(arr, n, cap)                                                     \
    do {                                                                      \
        if ((n) >= (cap)) {                                                   \
            (cap) = (cap) ? 2 * (cap) : 16;                                   \
            (arr) = xmalloc((arr), (size_t)(cap) * sizeof *(arr));            \
        }                                                                     \
    } while (0)

/* ---- building ------------------------------------------------------------------------ */

ir_circuit *ir_new(const char *name, int n_qubits, int n_inputs) {
    ir_circuit *c = xmalloc(NULL, sizeof *c);
    memset(c, 0, sizeof *c);
    c->name = xstrdup(name);
    c->n_qubits = n_qubits;
    c->n_inputs = n_inputs;
    return c;
}

void ir_free(ir_circuit *c) {
    if (!c)
        return;
    for (int i = 0; i < c->n_tensors; i++)
        free(c->tensors[i].name);
    free(c->tensors);
    free(c->exprs);
    free(c->ops);
    free(c->members);
    free(c->terms);
    free(c->obs);
    free(c->kraus);
    free(c->name);
    free(c);
}

int ir_add_tensor(ir_circuit *c, const char *name, int rank, const int *shape,
                  ir_init_kind init, double a, double b) {
    GROW(c->tensors, c->n_tensors, c->cap_tensors);
    ir_tensor *t = &c->tensors[c->n_tensors++];
    memset(t, 0, sizeof *t);
    t->name = xstrdup(name);
    t->rank = rank < 0 ? 0 : rank > 8 ? 8 : rank;
    t->size = 1;
    for (int i = 0; i < t->rank; i++) {
        t->shape[i] = shape[i];
        t->size *= shape[i];
    }
    t->offset = c->n_params;
    t->init = init;
    t->init_a = a;
    t->init_b = b;
    c->n_params += t->size;
    return t->offset;
}

static int add_expr(ir_circuit *c, ir_expr e) {
    GROW(c->exprs, c->n_exprs, c->cap_exprs);
    c->exprs[c->n_exprs] = e;
    return c->n_exprs++;
}

int ir_const(ir_circuit *c, double value) {
    ir_expr e = {IR_EXPR_CONST, -1, -1, -1, value, 0, 0};
    return add_expr(c, e);
}

/* A leaf beyond the declared sizes grows them, so that hand-built test circuits need no
 * tensor declarations; lowering always declares tensors first, so this never moves an
 * existing tensor's offset. */
int ir_param(ir_circuit *c, int index) {
    ir_expr e = {IR_EXPR_PARAM, -1, -1, index, 0.0, 0, 1};
    if (index >= c->n_params)
        c->n_params = index + 1;
    return add_expr(c, e);
}

int ir_input(ir_circuit *c, int index) {
    ir_expr e = {IR_EXPR_INPUT, -1, -1, index, 0.0, 1, 0};
    if (index >= c->n_inputs)
        c->n_inputs = index + 1;
    return add_expr(c, e);
}

int ir_unary(ir_circuit *c, ir_expr_kind kind, int a) {
    ir_expr e = {kind, a, -1, -1, 0.0, c->exprs[a].uses_input, c->exprs[a].uses_param};
    return add_expr(c, e);
}

int ir_binary(ir_circuit *c, ir_expr_kind kind, int a, int b) {
    ir_expr e = {kind, a, b, -1, 0.0,
                 (unsigned char)(c->exprs[a].uses_input | c->exprs[b].uses_input),
                 (unsigned char)(c->exprs[a].uses_param | c->exprs[b].uses_param)};
    return add_expr(c, e);
}

int ir_add_gate(ir_circuit *c, ir_gate g, int w0, int w1, int a0, int a1, int a2) {
    GROW(c->ops, c->n_ops, c->cap_ops);
    ir_op *op = &c->ops[c->n_ops];
    memset(op, 0, sizeof *op);
    op->gate = g;
    op->wires[0] = w0;
    op->wires[1] = w1;
    op->angle[0] = a0;
    op->angle[1] = a1;
    op->angle[2] = a2;
    op->first_member = -1;
    return c->n_ops++;
}

ir_op ir_multirz(uint32_t mask, int a) {
    ir_op op;
    memset(&op, 0, sizeof op);
    op.gate = IR_MULTIRZ;
    op.mask = mask;
    op.wires[0] = op.wires[1] = -1;
    for (int w = 0; w < IR_MAX_QUBITS; w++)
        if (mask >> w & 1) {
            if (op.wires[0] < 0)
                op.wires[0] = w;
            else
                op.wires[1] = w;
        }
    op.angle[0] = a;
    op.angle[1] = op.angle[2] = -1;
    op.first_member = -1;
    return op;
}

int ir_add_channel(ir_circuit *c, ir_channel ch, int w, const int *s) {
    int k = ir_add_gate(c, IR_CHANNEL, w, -1, -1, -1, -1);
    c->ops[k].channel = ch;
    for (int j = 0; j < ir_channel_n_strengths(ch); j++)
        c->ops[k].angle[j] = s[j];
    return k;
}

int ir_add_kraus(ir_circuit *c, int w0, int w1, int n, const double *mats) {
    int d = w1 >= 0 ? 4 : 2, size = 2 * d * d * n;
    int k = ir_add_gate(c, IR_CHANNEL, w0, w1, -1, -1, -1);
    c->ops[k].channel = IR_CH_KRAUS;
    c->ops[k].kraus_first = c->n_kraus;
    c->ops[k].n_kraus = n;
    if (c->n_kraus + size > c->cap_kraus) {
        while (c->n_kraus + size > c->cap_kraus)
            c->cap_kraus = c->cap_kraus ? 2 * c->cap_kraus : 64;
        c->kraus = xmalloc(c->kraus, (size_t)c->cap_kraus * sizeof *c->kraus);
    }
    memcpy(c->kraus + c->n_kraus, mats, (size_t)size * sizeof *mats);
    c->n_kraus += size;
    return k;
}

/* Until ir_finish_uniform, draw k is an input leaf with index -1 - k: no declared input
 * can have that index, and the count of declared inputs is not final yet. */
int ir_uniform(ir_circuit *c) {
    ir_expr e = {IR_EXPR_INPUT, -1, -1, -1 - c->n_uniform, 0.0, 1, 0};
    c->n_uniform++;
    return add_expr(c, e);
}

void ir_finish_uniform(ir_circuit *c) {
    for (int i = 0; i < c->n_exprs; i++)
        if (c->exprs[i].kind == IR_EXPR_INPUT && c->exprs[i].index < 0)
            c->exprs[i].index = c->n_inputs + (-1 - c->exprs[i].index);
    c->n_inputs += c->n_uniform;
}

void ir_set_loc(ir_circuit *c, int op, int line, int col) {
    c->ops[op].src_line = line;
    c->ops[op].src_col = col;
}

int ir_add_fused(ir_circuit *c, ir_gate g, const ir_op *members, int n_members) {
    int first = c->n_members;
    uint32_t mask = 0;
    for (int k = 0; k < n_members; k++) {
        GROW(c->members, c->n_members, c->cap_members);
        c->members[c->n_members++] = members[k];
        mask |= ir_op_wire_mask(c, &members[k]);
    }
    int lo = -1, hi = -1;
    for (int w = 0; w < IR_MAX_QUBITS; w++)
        if (mask & (1u << w)) {
            if (lo < 0)
                lo = w;
            hi = w;
        }
    int i = ir_add_gate(c, g, lo, hi != lo ? hi : -1, -1, -1, -1);
    c->ops[i].first_member = first;
    c->ops[i].n_members = n_members;
    if (n_members > 0)
        ir_set_loc(c, i, members[0].src_line, members[0].src_col);
    return i;
}

int ir_begin_observable(ir_circuit *c) {
    GROW(c->obs, c->n_obs, c->cap_obs);
    memset(&c->obs[c->n_obs], 0, sizeof c->obs[c->n_obs]);
    c->obs[c->n_obs].first_term = c->n_terms;
    return c->n_obs++;
}

int ir_begin_var(ir_circuit *c) {
    int o = ir_begin_observable(c);
    c->obs[o].kind = IR_OBS_VAR;
    c->obs[o].first_lin = -1; /* terms go to O^2 until ir_var_linear */
    return o;
}

int ir_begin_prob(ir_circuit *c, int n_wires, const int *wires, int index) {
    int o = ir_begin_observable(c);
    c->obs[o].kind = IR_OBS_PROB;
    c->obs[o].index = index;
    c->obs[o].n_prob_wires = n_wires < IR_MAX_PROB_WIRES ? n_wires : IR_MAX_PROB_WIRES;
    for (int i = 0; i < c->obs[o].n_prob_wires; i++)
        c->obs[o].prob_wires[i] = wires[i];
    return o;
}

void ir_var_linear(ir_circuit *c) {
    c->obs[c->n_obs - 1].first_lin = c->n_terms;
}

double ir_obs_value(const ir_circuit *c, int obs, const double *tv) {
    const ir_observable *o = &c->obs[obs];
    double a = 0, b = 0;
    for (int t = o->first_term; t < o->first_term + o->n_terms; t++)
        a += c->terms[t].coef * tv[t];
    if (o->kind != IR_OBS_VAR)
        return a;
    for (int t = o->first_lin; t < o->first_lin + o->n_lin; t++)
        b += c->terms[t].coef * tv[t];
    return a - b * b;
}

void ir_obs_weights(const ir_circuit *c, int obs, const double *tv, double g, double *w) {
    const ir_observable *o = &c->obs[obs];
    for (int t = o->first_term; t < o->first_term + o->n_terms; t++)
        w[t] += g * c->terms[t].coef;
    if (o->kind != IR_OBS_VAR)
        return;
    double b = 0;
    for (int t = o->first_lin; t < o->first_lin + o->n_lin; t++)
        b += c->terms[t].coef * tv[t];
    for (int t = o->first_lin; t < o->first_lin + o->n_lin; t++)
        w[t] += -2 * g * b * c->terms[t].coef;
}

void ir_add_term(ir_circuit *c, double coef, const char *paulis) {
    ir_pauli_term t = {coef, 0, 0};
    for (int w = 0; w < c->n_qubits && paulis[w]; w++) {
        uint32_t bit = 1u << w;
        switch (paulis[w]) {
        case 'I': case 'i': break;
        case 'X': case 'x': t.x_mask |= bit; break;
        case 'Y': case 'y': t.x_mask |= bit; t.z_mask |= bit; break;
        case 'Z': case 'z': t.z_mask |= bit; break;
        default:
            /* Semantic analysis only lets IXYZ through; say so loudly if that ever breaks. */
            fprintf(stderr, "qnn: internal error: Pauli letter '%c' read as I\n", paulis[w]);
        }
    }
    GROW(c->terms, c->n_terms, c->cap_terms);
    c->terms[c->n_terms++] = t;
    ir_observable *o = &c->obs[c->n_obs - 1];
    if (o->kind == IR_OBS_VAR && o->first_lin >= 0)
        o->n_lin++;
    else
        o->n_terms++;
}

/* ---- gate facts ---------------------------------------------------------------------- */

static const char *const gate_names[IR_GATE_COUNT] = {
    "i", "h", "x", "y", "z", "s", "t", "sx", "rx", "ry", "rz", "phase", "rot", "u3",
    "cnot", "cz", "cy", "swap", "crx", "cry", "crz", "cphase", "fused1q", "fuseddiag",
    "multirz", "fused2q", "channel", "fusedblock"};

const char *ir_gate_name(ir_gate g) {
    return (unsigned)g < IR_GATE_COUNT ? gate_names[g] : "?";
}

int ir_gate_arity(ir_gate g) {
    if (g == IR_FUSED_DIAG || g == IR_MULTIRZ || g == IR_FUSED_BLOCK)
        return 0; /* any number of wires: see ir_op_wire_mask */
    return (g >= IR_CNOT && g <= IR_CPHASE) || g == IR_FUSED_2Q ? 2 : 1;
}

int ir_gate_n_angles(ir_gate g) {
    switch (g) {
    case IR_RX: case IR_RY: case IR_RZ: case IR_PHASE:
    case IR_CRX: case IR_CRY: case IR_CRZ: case IR_CPHASE: case IR_MULTIRZ:
        return 1;
    case IR_ROT: case IR_U3:
        return 3;
    default:
        return 0;
    }
}

int ir_gate_is_diagonal(ir_gate g) {
    switch (g) {
    case IR_I: case IR_Z: case IR_S: case IR_T: case IR_RZ: case IR_PHASE:
    case IR_CZ: case IR_CRZ: case IR_CPHASE: case IR_FUSED_DIAG: case IR_MULTIRZ:
        return 1;
    default:
        return 0;
    }
}

static const char *const channel_names[IR_CH_COUNT] = {
    "depolarizing", "amplitude_damping", "phase_damping", "bit_flip", "phase_flip",
    "thermal_relaxation", "kraus", "readout_error"};

const char *ir_channel_name(ir_channel ch) {
    return (unsigned)ch < IR_CH_COUNT ? channel_names[ch] : "?";
}

int ir_channel_n_strengths(ir_channel ch) {
    return ch == IR_CH_THERMAL ? 3 : ch == IR_CH_KRAUS ? 0 : 1;
}

int ir_has_channels(const ir_circuit *c) {
    for (int i = 0; i < c->n_ops; i++)
        if (c->ops[i].gate == IR_CHANNEL)
            return 1;
    return 0;
}

int ir_gate_is_fused(ir_gate g) {
    return g == IR_FUSED_1Q || g == IR_FUSED_DIAG || g == IR_FUSED_2Q || g == IR_FUSED_BLOCK;
}

uint32_t ir_op_wire_mask(const ir_circuit *c, const ir_op *op) {
    if (op->n_members > 0) {
        uint32_t m = 0;
        for (int k = 0; k < op->n_members; k++)
            m |= ir_op_wire_mask(c, &c->members[op->first_member + k]);
        return m;
    }
    if (op->gate == IR_MULTIRZ)
        return op->mask;
    uint32_t m = 0;
    for (int k = 0; k < 2; k++)
        if (op->wires[k] >= 0)
            m |= 1u << op->wires[k];
    return m;
}

int ir_op_uses_input(const ir_circuit *c, const ir_op *op) {
    for (int k = 0; k < op->n_members; k++)
        if (ir_op_uses_input(c, &c->members[op->first_member + k]))
            return 1;
    for (int k = 0; k < 3; k++)
        if (op->angle[k] >= 0 && c->exprs[op->angle[k]].uses_input)
            return 1;
    return 0;
}

void ir_op_angles(const ir_circuit *c, const ir_op *op, const double *params,
                  const double *inputs, double angles[3]) {
    for (int k = 0; k < 3; k++)
        angles[k] = op->angle[k] >= 0 ? ir_eval(c, op->angle[k], params, inputs) : 0.0;
}

/* ---- expressions --------------------------------------------------------------------- */

double ir_eval(const ir_circuit *c, int expr, const double *params, const double *inputs) {
    const ir_expr *e = &c->exprs[expr];
    switch (e->kind) {
    case IR_EXPR_CONST: return e->value;
    case IR_EXPR_PARAM: return params ? params[e->index] : NAN;
    case IR_EXPR_INPUT: return inputs ? inputs[e->index] : NAN;
    default: break;
    }
    double a = ir_eval(c, e->a, params, inputs);
    double b = e->b >= 0 ? ir_eval(c, e->b, params, inputs) : 0.0;
    switch (e->kind) {
    case IR_EXPR_ADD: return a + b;
    case IR_EXPR_SUB: return a - b;
    case IR_EXPR_MUL: return a * b;
    case IR_EXPR_DIV: return a / b;
    case IR_EXPR_NEG: return -a;
    case IR_EXPR_SIN: return sin(a);
    case IR_EXPR_COS: return cos(a);
    case IR_EXPR_TAN: return tan(a);
    case IR_EXPR_EXP: return exp(a);
    case IR_EXPR_LOG: return log(a);
    case IR_EXPR_SQRT: return sqrt(a);
    case IR_EXPR_TANH: return tanh(a);
    case IR_EXPR_ATAN: return atan(a);
    case IR_EXPR_ASIN: return asin(a);
    case IR_EXPR_ACOS: return acos(a);
    case IR_EXPR_ATAN2: return atan2(a, b);
    case IR_EXPR_STEP: return a > 0 ? 1.0 : 0.0;
    default: return NAN;
    }
}

/* Reverse mode on the tree: push seed * d(node)/d(operand) into each operand. Operands are
 * re-evaluated where the chain rule needs their value; angle expressions are a handful of
 * nodes, so clarity wins over caching. Subtrees that use no wanted leaf are skipped. */
void ir_eval_grad(const ir_circuit *c, int expr, const double *params, const double *inputs,
                  double seed, double *dparams, double *dinputs) {
    const ir_expr *e = &c->exprs[expr];
    if (!((e->uses_param && dparams) || (e->uses_input && dinputs)))
        return;
    switch (e->kind) {
    case IR_EXPR_CONST: return;
    case IR_EXPR_PARAM: dparams[e->index] += seed; return;
    case IR_EXPR_INPUT: dinputs[e->index] += seed; return;
    default: break;
    }
    double a = ir_eval(c, e->a, params, inputs);
    double da = 0.0, db = 0.0; /* d node / d a, d node / d b */
    switch (e->kind) {
    case IR_EXPR_ADD: da = 1.0; db = 1.0; break;
    case IR_EXPR_SUB: da = 1.0; db = -1.0; break;
    case IR_EXPR_MUL: da = ir_eval(c, e->b, params, inputs); db = a; break;
    case IR_EXPR_DIV: {
        double b = ir_eval(c, e->b, params, inputs);
        da = 1.0 / b;
        db = -a / (b * b);
        break;
    }
    case IR_EXPR_NEG: da = -1.0; break;
    case IR_EXPR_SIN: da = cos(a); break;
    case IR_EXPR_COS: da = -sin(a); break;
    case IR_EXPR_TAN: { double ca = cos(a); da = 1.0 / (ca * ca); break; }
    case IR_EXPR_EXP: da = exp(a); break;
    case IR_EXPR_LOG: da = 1.0 / a; break;
    case IR_EXPR_SQRT: da = 0.5 / sqrt(a); break;
    case IR_EXPR_TANH: { double t = tanh(a); da = 1.0 - t * t; break; }
    case IR_EXPR_ATAN: da = 1.0 / (1.0 + a * a); break;
    case IR_EXPR_ASIN: da = 1.0 / sqrt(1.0 - a * a); break;
    case IR_EXPR_ACOS: da = -1.0 / sqrt(1.0 - a * a); break;
    case IR_EXPR_ATAN2: { /* d atan2(y, x) = (x dy - y dx) / (x^2 + y^2); NaN at (0, 0) */
        double b = ir_eval(c, e->b, params, inputs), r2 = a * a + b * b;
        da = b / r2;
        db = -a / r2;
        break;
    }
    case IR_EXPR_STEP: return; /* piecewise constant: derivative 0 */
    default: return;
    }
    ir_eval_grad(c, e->a, params, inputs, seed * da, dparams, dinputs);
    if (e->b >= 0)
        ir_eval_grad(c, e->b, params, inputs, seed * db, dparams, dinputs);
}

/* ---- gate matrices ------------------------------------------------------------------- */

typedef double complex cplx;

#define QNN_PI 3.14159265358979323846 /* M_PI is not in strict C11 */

/* Writes a dim x dim complex matrix into the interleaved re/im layout of ir.h. */
static void store(const cplx *z, int dim, double *m) {
    for (int i = 0; i < dim * dim; i++) {
        m[2 * i] = creal(z[i]);
        m[2 * i + 1] = cimag(z[i]);
    }
}

static void mul2(const cplx *a, const cplx *b, cplx *out) {
    cplx r[4];
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 2; j++)
            r[2 * i + j] = a[2 * i] * b[j] + a[2 * i + 1] * b[2 + j];
    memcpy(out, r, sizeof r);
}

/* 2x2 matrix of a one-angle rotation and its derivative (deriv != 0). The rotations are
 * exp(-i t P / 2), so d/dt = -i/2 P R(t); PhaseShift is diag(1, e^{it}). */
static void rot1(ir_gate g, double t, int deriv, cplx *z) {
    double c = cos(t / 2), s = sin(t / 2);
    if (deriv) { /* d cos(t/2) = -s/2, d sin(t/2) = c/2 */
        double dc = -s / 2, ds = c / 2;
        c = dc;
        s = ds;
    }
    switch (g) {
    case IR_RX: z[0] = c; z[1] = -I * s; z[2] = -I * s; z[3] = c; break;
    case IR_RY: z[0] = c; z[1] = -s; z[2] = s; z[3] = c; break;
    case IR_RZ:
        z[0] = cexp(-I * t / 2) * (deriv ? -I / 2 : 1);
        z[1] = 0; z[2] = 0;
        z[3] = cexp(I * t / 2) * (deriv ? I / 2 : 1);
        break;
    case IR_PHASE:
        z[0] = deriv ? 0 : 1;
        z[1] = 0; z[2] = 0;
        z[3] = cexp(I * t) * (deriv ? I : 1);
        break;
    default: z[0] = z[1] = z[2] = z[3] = NAN; break;
    }
}

/* Single-qubit matrix (deriv < 0) or its derivative w.r.t. angle `deriv`. */
static void matrix1(ir_gate g, const double *ang, int deriv, cplx *z) {
    const double r2 = 1.0 / sqrt(2.0);
    z[0] = z[1] = z[2] = z[3] = 0;
    if (ir_gate_n_angles(g) == 0 && deriv >= 0)
        return; /* fixed gates have a zero derivative */
    switch (g) {
    case IR_I: z[0] = 1; z[3] = 1; break;
    case IR_H: z[0] = r2; z[1] = r2; z[2] = r2; z[3] = -r2; break;
    case IR_X: z[1] = 1; z[2] = 1; break;
    case IR_Y: z[1] = -I; z[2] = I; break;
    case IR_Z: z[0] = 1; z[3] = -1; break;
    case IR_S: z[0] = 1; z[3] = I; break;
    case IR_T: z[0] = 1; z[3] = cexp(I * QNN_PI / 4); break;
    case IR_SX:
        z[0] = (1 + I) / 2; z[1] = (1 - I) / 2; z[2] = (1 - I) / 2; z[3] = (1 + I) / 2;
        break;
    case IR_RX: case IR_RY: case IR_RZ: case IR_PHASE:
        rot1(g, ang[0], deriv == 0, z);
        break;
    case IR_ROT: { /* RZ(omega) RY(theta) RZ(phi): phi acts first */
        cplx a[4], b[4], d[4];
        rot1(IR_RZ, ang[0], deriv == 0, a);
        rot1(IR_RY, ang[1], deriv == 1, b);
        rot1(IR_RZ, ang[2], deriv == 2, d);
        mul2(b, a, b);
        mul2(d, b, z);
        break;
    }
    case IR_U3: {
        double th = ang[0], ph = ang[1], la = ang[2];
        double c = cos(th / 2), s = sin(th / 2);
        cplx ep = cexp(I * ph), el = cexp(I * la), epl = cexp(I * (ph + la));
        if (deriv < 0) {
            z[0] = c; z[1] = -el * s; z[2] = ep * s; z[3] = epl * c;
        } else if (deriv == 0) {
            z[0] = -s / 2; z[1] = -el * c / 2; z[2] = ep * c / 2; z[3] = -epl * s / 2;
        } else if (deriv == 1) {
            z[2] = I * ep * s; z[3] = I * epl * c;
        } else {
            z[1] = -I * el * s; z[3] = I * epl * c;
        }
        break;
    }
    default: z[0] = z[1] = z[2] = z[3] = NAN; break;
    }
}

/* Two-qubit matrix in basis |w0 w1> (index 2*b0 + b1) or its derivative. Controlled gates
 * are |0><0| (x) I + |1><1| (x) R, so their derivative is |1><1| (x) R'. */
static void matrix2(ir_gate g, const double *ang, int deriv, cplx *z) {
    for (int i = 0; i < 16; i++)
        z[i] = 0;
    cplx blk[4];
    switch (g) {
    case IR_CNOT: case IR_CZ: case IR_CY: case IR_SWAP:
        if (deriv >= 0)
            return;
        if (g == IR_SWAP) {
            z[0] = 1; z[4 * 1 + 2] = 1; z[4 * 2 + 1] = 1; z[15] = 1;
            return;
        }
        matrix1(g == IR_CNOT ? IR_X : g == IR_CZ ? IR_Z : IR_Y, ang, -1, blk);
        break;
    case IR_CRX: case IR_CRY: case IR_CRZ: case IR_CPHASE: {
        static const ir_gate base[] = {IR_RX, IR_RY, IR_RZ, IR_PHASE};
        rot1(base[g - IR_CRX], ang[0], deriv == 0, blk);
        break;
    }
    default:
        for (int i = 0; i < 16; i++)
            z[i] = NAN;
        return;
    }
    if (deriv < 0) {
        z[0] = 1;
        z[5] = 1;
    }
    z[4 * 2 + 2] = blk[0];
    z[4 * 2 + 3] = blk[1];
    z[4 * 3 + 2] = blk[2];
    z[4 * 3 + 3] = blk[3];
}

static void gate_matrix(ir_gate g, const double *angles, int deriv, double *m) {
    static const double zero[3] = {0, 0, 0};
    const double *ang = angles ? angles : zero;
    cplx z[16];
    if (g >= IR_CNOT && g <= IR_CPHASE) {
        matrix2(g, ang, deriv, z);
        store(z, 4, m);
    } else {
        matrix1(g, ang, deriv, z); /* fused kinds have no matrix of their own: NaN */
        store(z, 2, m);
    }
}

void ir_gate_matrix(ir_gate g, const double *angles, double *m) {
    gate_matrix(g, angles, -1, m);
}

void ir_gate_matrix_deriv(ir_gate g, const double *angles, int k, double *dm) {
    gate_matrix(g, angles, k < 0 ? 0 : k, dm);
}

int ir_pair_matrix(const ir_op *op, int w0, int w1, const double *angles, int deriv, double *m) {
    static const double zero[3] = {0, 0, 0};
    const double *ang = angles ? angles : zero;
    cplx z[16] = {0};
    if (op->gate == IR_MULTIRZ) { /* diagonal: the phase of each basis state's parity */
        if (op->mask & ~(1u << w0 | 1u << w1))
            return -1;
        for (int b = 0; b < 4; b++) {
            int p = ((op->mask >> w0 & 1) & (b >> 1)) ^ ((op->mask >> w1 & 1) & b);
            double v[2];
            ir_multirz_phase(ang[0], p, deriv >= 0, v);
            z[5 * b] = v[0] + I * v[1];
        }
        store(z, 4, m);
        return 0;
    }
    if (op->n_members > 0 || op->gate >= IR_FUSED_1Q)
        return -1;
    if (ir_gate_arity(op->gate) == 1) { /* U (x) I or I (x) U */
        int hi = op->wires[0] == w0;
        if (!hi && op->wires[0] != w1)
            return -1;
        cplx u[4];
        matrix1(op->gate, ang, deriv, u);
        int s = hi ? 2 : 1; /* the index step of the gate's bit */
        for (int other = 0; other < 2; other++) {
            int base = hi ? other : 2 * other;
            for (int r = 0; r < 2; r++)
                for (int c = 0; c < 2; c++)
                    z[4 * (base + r * s) + base + c * s] = u[2 * r + c];
        }
        store(z, 4, m);
        return 0;
    }
    int same = op->wires[0] == w0 && op->wires[1] == w1;
    if (!same && !(op->wires[0] == w1 && op->wires[1] == w0))
        return -1;
    cplx v[16];
    matrix2(op->gate, ang, deriv, v);
    /* reversed wires: swap the two bits of the row and column indices */
    static const int sw[4] = {0, 2, 1, 3};
    for (int r = 0; r < 4; r++)
        for (int c = 0; c < 4; c++)
            z[4 * r + c] = same ? v[4 * r + c] : v[4 * sw[r] + sw[c]];
    store(z, 4, m);
    return 0;
}

void ir_multirz_phase(double a, int parity, int deriv, double z[2]) {
    double s = parity ? 1 : -1; /* Z_M's eigenvalue is -s: e^{-i a/2 Z_M} = e^{i s a/2} */
    cplx v = cexp(I * s * a / 2);
    if (deriv)
        v *= I * s / 2;
    z[0] = creal(v);
    z[1] = cimag(v);
}

/* ---- inspection ---------------------------------------------------------------------- */

void ir_count_gates(const ir_circuit *c, int counts[IR_GATE_COUNT]) {
    for (int g = 0; g < IR_GATE_COUNT; g++)
        counts[g] = 0;
    for (int i = 0; i < c->n_ops; i++)
        counts[c->ops[i].gate]++;
}

int ir_depth(const ir_circuit *c) {
    int level[IR_MAX_QUBITS] = {0}, depth = 0;
    for (int i = 0; i < c->n_ops; i++) {
        uint32_t m = ir_op_wire_mask(c, &c->ops[i]);
        int d = 0;
        for (int w = 0; w < IR_MAX_QUBITS; w++)
            if ((m >> w & 1) && level[w] > d)
                d = level[w];
        d++;
        for (int w = 0; w < IR_MAX_QUBITS; w++)
            if (m >> w & 1)
                level[w] = d;
        if (d > depth)
            depth = d;
    }
    return depth;
}

/* Precedence for infix printing: sums < products < negation < atoms and calls. */
static int expr_prec(ir_expr_kind k) {
    switch (k) {
    case IR_EXPR_ADD: case IR_EXPR_SUB: return 1;
    case IR_EXPR_MUL: case IR_EXPR_DIV: return 2;
    case IR_EXPR_NEG: return 3;
    default: return 4;
    }
}

static const ir_expr_style dump_style = {.digits = 15};

static void print_param(const ir_circuit *c, int index, const ir_expr_style *st, FILE *f) {
    for (int t = 0; t < c->n_tensors; t++) {
        const ir_tensor *tn = &c->tensors[t];
        if (index < tn->offset || index >= tn->offset + tn->size)
            continue;
        fputs(tn->name, f);
        int rest = index - tn->offset, stride = tn->size;
        for (int d = 0; d < tn->rank; d++) {
            stride /= tn->shape[d];
            if (st->qasm) /* w_0_1: OpenQASM 3 identifiers have no brackets */
                fprintf(f, "_%d", rest / stride);
            else if (st->compact) /* w[0,1]: one pair of brackets is half the width in a drawing */
                fprintf(f, "%s%d%s", d ? "," : "[", rest / stride, d == tn->rank - 1 ? "]" : "");
            else
                fprintf(f, "[%d]", rest / stride);
            rest %= stride;
        }
        return;
    }
    fprintf(f, st->qasm ? "p_%d" : "p[%d]", index);
}

void ir_print_param(const ir_circuit *c, int index, const ir_expr_style *style, void *file) {
    print_param(c, index, style ? style : &dump_style, file);
}

/* A constant: as a multiple of pi when it is one (drawings), else with st->digits. */
static void print_const(double v, const ir_expr_style *st, FILE *f) {
    if (st->pi && v != 0) {
        static const int dens[] = {1, 2, 3, 4, 6, 8};
        for (size_t k = 0; k < sizeof dens / sizeof *dens; k++) {
            double num = v / QNN_PI * dens[k];
            long n = lround(num);
            if (n != 0 && labs(n) < 100 && fabs(num - (double)n) < 1e-9) {
                if (v < 0) fputc('(', f);
                if (labs(n) != 1) fprintf(f, "%ld", n);
                else if (n < 0) fputc('-', f);
                fputs(st->pi, f);
                if (dens[k] != 1) fprintf(f, "/%d", dens[k]);
                if (v < 0) fputc(')', f);
                return;
            }
        }
    }
    fprintf(f, v < 0 ? "(%.*g)" : "%.*g", st->digits, v);
}

static void print_expr(const ir_circuit *c, int i, const ir_expr_style *st, FILE *f) {
    static const char *const fn[] = {"sin", "cos", "tan", "exp", "log", "sqrt",
                                     "tanh", "atan", "asin", "acos"};
    static const char *const qasm_fn[] = {"sin", "cos", "tan", "exp", "log", "sqrt",
                                          "tanh", "arctan", "arcsin", "arccos"};
    const ir_expr *e = &c->exprs[i];
    int p = expr_prec(e->kind);
    switch (e->kind) {
    case IR_EXPR_CONST: print_const(e->value, st, f); return;
    case IR_EXPR_PARAM:
        if (st->param_values)
            print_const(st->param_values[e->index], st, f);
        else
            print_param(c, e->index, st, f);
        return;
    case IR_EXPR_INPUT: fprintf(f, st->qasm ? "x%d" : "x[%d]", e->index); return;
    case IR_EXPR_NEG: {
        int paren = expr_prec(c->exprs[e->a].kind) < p;
        fputs(paren ? "-(" : "-", f);
        print_expr(c, e->a, st, f);
        if (paren)
            fputc(')', f);
        return;
    }
    case IR_EXPR_ADD: case IR_EXPR_SUB: case IR_EXPR_MUL: case IR_EXPR_DIV: {
        static const char ops[] = "+-*/";
        int pa = expr_prec(c->exprs[e->a].kind) < p;
        /* a - (b + c) and a / (b * c) need the parentheses that a + (b + c) does not */
        int right_assoc = e->kind == IR_EXPR_SUB || e->kind == IR_EXPR_DIV;
        int pb = expr_prec(c->exprs[e->b].kind) < p + right_assoc;
        fputs(pa ? "(" : "", f);
        print_expr(c, e->a, st, f);
        const char *sp = st->compact ? "" : " ";
        fprintf(f, "%s%s%c%s%s", pa ? ")" : "", sp, ops[e->kind - IR_EXPR_ADD], sp, pb ? "(" : "");
        print_expr(c, e->b, st, f);
        fputs(pb ? ")" : "", f);
        return;
    }
    case IR_EXPR_STEP:
        fputs("step(", f);
        print_expr(c, e->a, st, f);
        fputc(')', f);
        return;
    case IR_EXPR_ATAN2:
        fputs("atan2(", f);
        print_expr(c, e->a, st, f);
        fputs(st->compact ? "," : ", ", f);
        print_expr(c, e->b, st, f);
        fputc(')', f);
        return;
    default:
        fprintf(f, "%s(", (st->qasm ? qasm_fn : fn)[e->kind - IR_EXPR_SIN]);
        print_expr(c, e->a, st, f);
        fputc(')', f);
        return;
    }
}

void ir_print_expr(const ir_circuit *c, int expr, const ir_expr_style *style, void *file) {
    print_expr(c, expr, style ? style : &dump_style, file);
}

static void print_op(const ir_circuit *c, const ir_op *op, int indent, FILE *f) {
    if (op->gate == IR_CHANNEL) {
        fprintf(f, "%*s%s", indent, "", ir_channel_name(op->channel));
        int ns = ir_channel_n_strengths(op->channel);
        for (int k = 0; k < ns; k++) {
            fputs(k ? ", " : "(", f);
            print_expr(c, op->angle[k], &dump_style, f);
        }
        if (ns)
            fputs(")", f);
        if (op->channel == IR_CH_KRAUS) { /* every entry: equal texts mean equal circuits */
            int d = op->wires[1] >= 0 ? 4 : 2;
            const double *m = c->kraus + op->kraus_first;
            for (int k = 0; k < op->n_kraus; k++) {
                fputs(k ? ", [" : "([", f);
                for (int e = 0; e < d * d; e++)
                    fprintf(f, "%s%.17g%+.17gi", e ? " " : "", m[2 * (k * d * d + e)],
                            m[2 * (k * d * d + e) + 1]);
                fputs("]", f);
            }
            fputs(")", f);
        }
        fprintf(f, " q[%d]", op->wires[0]);
        if (op->wires[1] >= 0)
            fprintf(f, ", q[%d]", op->wires[1]);
        fputc('\n', f);
        return;
    }
    fprintf(f, "%*s%s", indent, "", ir_gate_name(op->gate));
    int na = ir_gate_n_angles(op->gate);
    for (int k = 0; k < na; k++) {
        fputs(k ? ", " : "(", f);
        if (op->angle[k] >= 0)
            print_expr(c, op->angle[k], &dump_style, f);
        else
            fputs("?", f);
        fputs(k == na - 1 ? ")" : "", f);
    }
    uint32_t m = op->n_members || op->gate == IR_MULTIRZ ? ir_op_wire_mask(c, op) : 0;
    if (m) { /* the wires a fused op touches, from its members; MULTIRZ's mask */
        const char *sep = " ";
        for (int w = 0; w < IR_MAX_QUBITS; w++)
            if (m >> w & 1) {
                fprintf(f, "%sq[%d]", sep, w);
                sep = ", ";
            }
    } else {
        fprintf(f, " q[%d]", op->wires[0]);
        if (op->wires[1] >= 0)
            fprintf(f, ", q[%d]", op->wires[1]);
    }
    fputc('\n', f);
    for (int k = 0; k < op->n_members; k++)
        print_op(c, &c->members[op->first_member + k], indent + 4, f);
}

static void print_terms(const ir_circuit *c, int first, int n, FILE *f) {
    for (int k = 0; k < n; k++) {
        const ir_pauli_term *t = &c->terms[first + k];
        fprintf(f, " %s%.15g*", k && t->coef >= 0 ? "+" : "", t->coef);
        for (int w = 0; w < c->n_qubits; w++) {
            int x = t->x_mask >> w & 1, z = t->z_mask >> w & 1;
            fputc(x ? (z ? 'Y' : 'X') : (z ? 'Z' : 'I'), f);
        }
    }
}

void ir_print(const ir_circuit *c, void *file) {
    FILE *f = file;
    fprintf(f, "circuit %s: %d qubits, %d inputs, %d params, %d ops, depth %d",
            c->name ? c->name : "?", c->n_qubits, c->n_inputs, c->n_params, c->n_ops,
            ir_depth(c));
    if (c->n_uniform) /* the last inputs are the draws of uniform() */
        fprintf(f, ", %d uniform draws (x[%d] ..)", c->n_uniform, c->n_inputs - c->n_uniform);
    fputc('\n', f);
    for (int t = 0; t < c->n_tensors; t++) {
        const ir_tensor *tn = &c->tensors[t];
        fprintf(f, "  param %s", tn->name);
        for (int d = 0; d < tn->rank; d++)
            fprintf(f, "[%d]", tn->shape[d]);
        fprintf(f, " @%d\n", tn->offset);
    }
    for (int i = 0; i < c->n_ops; i++)
        print_op(c, &c->ops[i], 2, f);
    for (int o = 0; o < c->n_obs; o++) {
        const ir_observable *ob = &c->obs[o];
        fprintf(f, "  observable %d =", o);
        if (ob->kind == IR_OBS_VAR) {
            fputs(" var(", f);
            print_terms(c, ob->first_lin, ob->n_lin, f);
            fputs(" ), squared", f);
        } else if (ob->kind == IR_OBS_PROB) {
            fputs(" prob(", f);
            for (int i = 0; i < ob->n_prob_wires; i++)
                fprintf(f, "%sq[%d]", i ? ", " : "", ob->prob_wires[i]);
            fprintf(f, ") = %d:", ob->index);
        }
        print_terms(c, ob->first_term, ob->n_terms, f);
        fputc('\n', f);
    }
}

/* Copies n elements into a fresh array with capacity n (NULL when empty). */
static void *dup_array(const void *src, int n, size_t elem, int *cap) {
    *cap = n;
    if (n <= 0)
        return NULL;
    void *d = xmalloc(NULL, (size_t)n * elem);
    memcpy(d, src, (size_t)n * elem);
    return d;
}

ir_circuit *ir_clone(const ir_circuit *c) {
    ir_circuit *d = xmalloc(NULL, sizeof *d);
    *d = *c;
    d->name = xstrdup(c->name);
    d->exprs = dup_array(c->exprs, c->n_exprs, sizeof *c->exprs, &d->cap_exprs);
    d->ops = dup_array(c->ops, c->n_ops, sizeof *c->ops, &d->cap_ops);
    d->members = dup_array(c->members, c->n_members, sizeof *c->members, &d->cap_members);
    d->terms = dup_array(c->terms, c->n_terms, sizeof *c->terms, &d->cap_terms);
    d->obs = dup_array(c->obs, c->n_obs, sizeof *c->obs, &d->cap_obs);
    d->tensors = dup_array(c->tensors, c->n_tensors, sizeof *c->tensors, &d->cap_tensors);
    d->kraus = dup_array(c->kraus, c->n_kraus, sizeof *c->kraus, &d->cap_kraus);
    for (int t = 0; t < d->n_tensors; t++)
        d->tensors[t].name = xstrdup(c->tensors[t].name);
    return d;
}

char *ir_to_text(const ir_circuit *c) {
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f) return NULL;
    ir_print(c, f);
    fclose(f);
    return buf;
}
