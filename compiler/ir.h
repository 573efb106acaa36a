/* Circuit IR: the flat gate list that lowering produces from a checked circuit and that the
 * passes, the reference interpreter and the LLVM code generator consume.
 *
 * Conventions (PennyLane's, see docs/semantics.md):
 *  - n qubits, wire 0 is the MOST significant bit of the basis index: |q0 q1 ... q(n-1)>,
 *    so wire w has stride 1 << (n - 1 - w) in the state vector.
 *  - The state starts in |0...0>; ops are applied in array order.
 *  - Angles are expression trees over trainable parameters (one flat vector per circuit),
 *    per-sample inputs (one vector per sample) and constants.
 *  - Outputs: one expectation value per observable, an observable being a weighted sum of
 *    Pauli products.
 *
 * Ownership: an ir_circuit owns all of its arrays; ir_free releases everything. */
#ifndef QNN_IR_H
#define QNN_IR_H

#include <stddef.h>
#include <stdint.h>

#define IR_MAX_QUBITS 30 /* hard ceiling of the IR (uint32 masks); the CLI limit is lower */
#define IR_BLOCK_MAX_WIRES 5 /* most wires of an IR_FUSED_BLOCK (2^5 amplitudes per block) */

typedef enum {
    IR_EXPR_CONST, /* value */
    IR_EXPR_PARAM, /* index into the circuit's flat parameter vector */
    IR_EXPR_INPUT, /* index into the sample's input vector */
    IR_EXPR_ADD, IR_EXPR_SUB, IR_EXPR_MUL, IR_EXPR_DIV, /* a op b */
    IR_EXPR_NEG,   /* -a */
    IR_EXPR_SIN, IR_EXPR_COS, IR_EXPR_TAN, IR_EXPR_EXP, IR_EXPR_LOG, IR_EXPR_SQRT,
    IR_EXPR_TANH, IR_EXPR_ATAN, IR_EXPR_ASIN, IR_EXPR_ACOS, /* f(a) */
    /* atan2(a, b) = the angle of the point (b, a), in (-pi, pi]. Last, so that the kinds
     * before keep their values; binary like ADD..DIV (ir_expr_is_binary). Amplitude
     * embedding needs it: the signs of real amplitudes enter through the leaf angles. */
    IR_EXPR_ATAN2,
    /* step(a) = 1 for a > 0, else 0; its derivative is taken as 0 everywhere. Unary, after
     * ATAN2 for the same reason. Trajectory lowering (trajectory.h) makes it: a Pauli
     * channel's choice among I/X/Y/Z from a uniform() draw, as the angles pi * step(...). */
    IR_EXPR_STEP
} ir_expr_kind;

/* Does a node of this kind have a second operand (b)? */
static inline int ir_expr_is_binary(ir_expr_kind k) {
    return (k >= IR_EXPR_ADD && k <= IR_EXPR_DIV) || k == IR_EXPR_ATAN2;
}

typedef struct {
    ir_expr_kind kind;
    int a, b;      /* operand node indices (-1 when unused) */
    int index;     /* PARAM / INPUT index */
    double value;  /* CONST */
    /* Set at creation (ir_const ... ir_binary): does the node depend on inputs (per-lane)
     * or params? A node uses what its operands use. */
    unsigned char uses_input, uses_param;
} ir_expr;

typedef enum {
    /* fixed single-qubit */
    IR_I, IR_H, IR_X, IR_Y, IR_Z, IR_S, IR_T, IR_SX,
    /* single-qubit rotations: 1 angle (RX, RY, RZ, PhaseShift) or 3 angles (Rot, U3) */
    IR_RX, IR_RY, IR_RZ, IR_PHASE, IR_ROT, IR_U3,
    /* fixed two-qubit: wires[0] = control (or first), wires[1] = target (or second) */
    IR_CNOT, IR_CZ, IR_CY, IR_SWAP,
    /* controlled rotations, 1 angle: wires[0] = control, wires[1] = target */
    IR_CRX, IR_CRY, IR_CRZ, IR_CPHASE,
    /* Produced by passes only. Their members are primitive ops (above) kept in
     * ir_circuit.members[first_member .. first_member + n_members), in application order,
     * so that code generators can rebuild the fused matrix and backpropagate into each
     * member's angles. */
    IR_FUSED_1Q,   /* product of single-qubit members, all on wires[0] */
    IR_FUSED_DIAG, /* product of diagonal members (Z S T RZ PHASE CZ CRZ CPHASE I MULTIRZ) on
                    * any wires; its wires are ir_op_wire_mask (wires[0]/wires[1] only hold
                    * the lowest/highest wire touched, for display) */
    /* Produced by passes only, and only as a FUSED_DIAG member: exp(-i a/2 Z_M), the Z
     * product over the wire set M = ir_op.mask (any size), i.e. the phase e^{-i a/2} on
     * basis states where the parity of the wires in M is even, e^{+i a/2} where it is odd.
     * A diagonal conjugated by CNOTs becomes one (passes.h, rule 0). After the fused kinds
     * so that the loops over user-visible gate kinds (0 .. IR_FUSED_1Q) never see it. */
    IR_MULTIRZ,
    /* Produced by passes only (two-qubit block fusion, passes.h): the product of members
     * acting within the wire pair wires[0] < wires[1] (one-qubit gates on either, two-qubit
     * gates on the pair, MULTIRZ on a subset of it), applied as one dense 4x4 in basis
     * |wires[0] wires[1]> (ir_pair_matrix). After MULTIRZ, so that earlier kinds keep their values. */
    IR_FUSED_2Q,
    /* A noise channel (not a gate: a linear map on the density matrix). Its kind is
     * ir_op.channel, its strengths are angle[0..ir_channel_n_strengths) (expressions like
     * angles: constants, parameters or inputs), and it acts on wires[0] (and wires[1] for a
     * two-qubit `kraus`). Lowering makes it; passes never move a gate across it, and the
     * state-vector back ends refuse it (docs/semantics.md §10). After the pass-made kinds, so that
     * the loops over user-visible gate kinds never see it. */
    IR_CHANNEL,
    /* Produced by passes only (rule 10, wire blocks, passes.h): members applied in order, each
     * a primitive one-qubit gate or a controlled two-qubit primitive (CNOT CZ CY CRX CRY CRZ
     * CPHASE), on at most PASS_BLOCK_MAX_WIRES wires in all (ir_op_wire_mask; wires[0] /
     * wires[1] hold the lowest / highest, for display). One sweep over the state applies
     * every member to the 2^k amplitudes of each block in registers, so the state is read
     * and written once instead of once per member; the arithmetic is the members' own.
     * After IR_CHANNEL, so that every earlier kind keeps its value. */
    IR_FUSED_BLOCK,
    IR_GATE_COUNT
} ir_gate;

/* The kinds of IR_CHANNEL, with PennyLane's Kraus operators (docs/semantics.md §10). */
typedef enum {
    IR_CH_DEPOLARIZING,      /* p: sqrt(1-p) I, sqrt(p/3) X, Y, Z */
    IR_CH_AMPLITUDE_DAMPING, /* gamma: [[1,0],[0,sqrt(1-g)]], [[0,sqrt(g)],[0,0]] */
    IR_CH_PHASE_DAMPING,     /* gamma: [[1,0],[0,sqrt(1-g)]], [[0,0],[0,sqrt(g)]] */
    IR_CH_BIT_FLIP,          /* p: sqrt(1-p) I, sqrt(p) X */
    IR_CH_PHASE_FLIP,        /* p: sqrt(1-p) I, sqrt(p) Z */
    IR_CH_THERMAL,           /* t1, t2, t: populations relax by exp(-t/t1) to |0>,
                              * coherences decay by exp(-t/t2) (t2 <= 2 t1) */
    IR_CH_KRAUS,             /* constant Kraus matrices: ir_op.n_kraus of them, 2x2 (one
                              * wire) or 4x4 (two), at ir_circuit.kraus[ir_op.kraus_first ..] */
    IR_CH_READOUT,           /* p: every measured bit of wires[0] flips with probability p,
                              * wherever the statement stands: each Pauli factor on the wire
                              * is scaled by 1 - 2p in every output (exact and linear) */
    IR_CH_COUNT
} ir_channel;

typedef struct {
    ir_gate gate;
    int wires[2];       /* wires[1] = -1 for single-qubit gates and FUSED_1Q */
    int angle[3];       /* expression node indices; -1 when unused */
    int first_member;   /* fused ops only */
    int n_members;      /* fused ops only; 0 for primitive ops */
    int src_line;       /* source line of the gate (first member for fused ops), 0 if none */
    int src_col;
    uint32_t mask;      /* IR_MULTIRZ only: its wires, bit w = wire w (wires[0]/wires[1] hold
                         * the lowest/highest of them, -1 if one); 0 for other ops */
    ir_channel channel; /* IR_CHANNEL only */
    int kraus_first;    /* IR_CH_KRAUS only: offset (in doubles) into ir_circuit.kraus of its
                         * n_kraus matrices, each d x d complex interleaved (d = 2 or 4) */
    int n_kraus;
} ir_op;

/* One Pauli product: bit w of x_mask/z_mask set means X / Z acts on wire w (both = Y).
 * Bit w is a WIRE index, not the state-vector stride: wire w's stride is 1 << (n-1-w). */
typedef struct {
    double coef;
    uint32_t x_mask, z_mask;
} ir_pauli_term;

/* An output. EXPVAL: <O> with O = terms[first_term .. +n_terms). VAR: the variance
 * <O^2> - <O>^2, with O^2 (canonical, from the Pauli algebra) in terms[first_term ..
 * +n_terms) and O itself in terms[first_lin .. +n_lin). Both are linear in Pauli
 * expectations, so every back end measures terms as before and only combines them. */
typedef enum { IR_OBS_EXPVAL, IR_OBS_VAR, IR_OBS_PROB } ir_obs_kind;

/* IR_OBS_PROB: the probability of basis state `index` of the wires prob_wires[0 ..
 * n_prob_wires), the first the most significant bit. Its terms hold the same value as an
 * expectation (the projector prod_j (I +- Z_j) / 2), so every consumer may treat it as
 * EXPVAL; the code generator bins |amplitude|^2 instead (2^m outputs in one sweep, not
 * 4^m products). A `probs` statement makes 2^m consecutive outputs, index 0 .. 2^m - 1. */
enum { IR_MAX_PROB_WIRES = 8 };

typedef struct {
    int first_term, n_terms;
    ir_obs_kind kind;
    int first_lin, n_lin; /* VAR only */
    int index, n_prob_wires, prob_wires[IR_MAX_PROB_WIRES]; /* PROB only */
} ir_observable;

typedef enum { IR_INIT_UNIFORM, IR_INIT_NORMAL, IR_INIT_CONST } ir_init_kind;

/* A named trainable tensor; its elements are params[offset .. offset + size). */
typedef struct {
    char *name;
    int rank;
    int shape[8];
    int offset, size;
    ir_init_kind init;
    double init_a, init_b; /* uniform: [a, b); normal: mean a, std b; const: a */
} ir_tensor;

typedef struct ir_circuit {
    char *name;
    int n_qubits;
    int n_inputs;
    int n_params;

    ir_expr *exprs;       int n_exprs, cap_exprs;
    ir_op *ops;           int n_ops, cap_ops;
    ir_op *members;       int n_members, cap_members;
    ir_pauli_term *terms; int n_terms, cap_terms;
    ir_observable *obs;   int n_obs, cap_obs;
    ir_tensor *tensors;   int n_tensors, cap_tensors;
    double *kraus;        int n_kraus, cap_kraus; /* doubles of every `kraus` channel */
    /* The last n_uniform inputs are not data: each is a fresh draw in [0, 1) per call and
     * per sample (`uniform()` in an angle), which the caller supplies like an input. */
    int n_uniform;
} ir_circuit;

/* ---- building ------------------------------------------------------------------------ */
ir_circuit *ir_new(const char *name, int n_qubits, int n_inputs);
void ir_free(ir_circuit *c);

/* Declares a parameter tensor and returns its offset in the flat parameter vector.
 * ir_param / ir_input with an index beyond n_params / n_inputs grow those counts (so hand-built
 * circuits need no tensors); declare tensors before referencing their elements. */
int ir_add_tensor(ir_circuit *c, const char *name, int rank, const int *shape,
                  ir_init_kind init, double a, double b);

int ir_const(ir_circuit *c, double value);
int ir_param(ir_circuit *c, int index);
int ir_input(ir_circuit *c, int index);
int ir_unary(ir_circuit *c, ir_expr_kind kind, int a);
int ir_binary(ir_circuit *c, ir_expr_kind kind, int a, int b);

/* Appends a primitive gate; unused wires/angles are -1. Returns the op index. */
int ir_add_gate(ir_circuit *c, ir_gate g, int w0, int w1, int a0, int a1, int a2);
/* An IR_MULTIRZ member (not appended anywhere: passes put it into a FUSED_DIAG) on the
 * wires of mask (nonzero) with angle expression a. */
ir_op ir_multirz(uint32_t mask, int a);
void ir_set_loc(ir_circuit *c, int op, int line, int col);

/* Appends a channel of kind ch (not IR_CH_KRAUS) on wire w with strength expressions
 * s[0 .. ir_channel_n_strengths(ch)). Returns the op index. */
int ir_add_channel(ir_circuit *c, ir_channel ch, int w, const int *s);
/* Appends a `kraus` channel on 1 or 2 wires (w1 = -1 for one) with n constant matrices,
 * each d x d complex interleaved (d = 2 or 4), copied. Returns the op index. */
int ir_add_kraus(ir_circuit *c, int w0, int w1, int n, const double *mats);
/* A `uniform()` leaf: an input node whose index is fixed by ir_finish_uniform (draws are
 * numbered in the order they are made, after every declared input). */
int ir_uniform(ir_circuit *c);
/* After lowering: the uniform draws become inputs n_inputs .. n_inputs + n_uniform - 1. */
void ir_finish_uniform(ir_circuit *c);

/* Appends a fused op (IR_FUSED_1Q or IR_FUSED_DIAG) whose members are copies of
 * members[0..n_members) (primitive ops, application order); its location is the first
 * member's. Used by passes. Returns the op index. */
int ir_add_fused(ir_circuit *c, ir_gate g, const ir_op *members, int n_members);

/* Observables: begin one, add its terms, repeat. Pauli letters per wire in `paulis`
 * (length n_qubits, characters 'I','X','Y','Z'). */
int ir_begin_observable(ir_circuit *c);
void ir_add_term(ir_circuit *c, double coef, const char *paulis);
/* A variance output: ir_add_term adds the terms of O^2, then after ir_var_linear those of O. */
int ir_begin_var(ir_circuit *c);
void ir_var_linear(ir_circuit *c);
/* A probability output (then its terms, the projector's Z products, with ir_add_term). */
int ir_begin_prob(ir_circuit *c, int n_wires, const int *wires, int index);
/* The value of output `obs` from its terms' expectation values term_values[t] (indexed like
 * c->terms), and the weight dL/d(term value) of each of its terms for dL/d(output) = g:
 * weights[t] += g * coef (EXPVAL, and O^2 of VAR), -2 g <O> coef (O of VAR). */
double ir_obs_value(const ir_circuit *c, int obs, const double *term_values);
void ir_obs_weights(const ir_circuit *c, int obs, const double *term_values, double g,
                    double *weights);

/* ---- inspection ---------------------------------------------------------------------- */
/* Static facts about gate kinds. */
const char *ir_gate_name(ir_gate g);
int ir_gate_arity(ir_gate g);     /* qubits: 1 or 2 (FUSED_2Q: 2); 0 for FUSED_DIAG and
                                   * MULTIRZ (any: see ir_op_wire_mask) */
int ir_gate_n_angles(ir_gate g);  /* 0, 1 or 3 (0 for fused kinds: angles live on members) */
int ir_gate_is_diagonal(ir_gate g);
int ir_gate_is_fused(ir_gate g);

/* Channel facts: the statement's name (`depolarizing`, ...), its number of strengths (0 for
 * kraus), and whether the circuit has any channel (then it needs a density matrix). */
const char *ir_channel_name(ir_channel ch);
int ir_channel_n_strengths(ir_channel ch);
int ir_has_channels(const ir_circuit *c);

/* Wires an op touches, bit w = wire w; for fused ops the union over its members; for
 * MULTIRZ its mask. */
uint32_t ir_op_wire_mask(const ir_circuit *c, const ir_op *op);

/* Values of a primitive op's angle expressions into angles[0..3); unused slots get 0. */
void ir_op_angles(const ir_circuit *c, const ir_op *op, const double *params,
                  const double *inputs, double angles[3]);

/* Does op depend on the sample (any angle uses an input)? */
int ir_op_uses_input(const ir_circuit *c, const ir_op *op);

/* Evaluates an expression for given params and inputs (either may be NULL if unused; a used
 * leaf whose vector is NULL evaluates to NaN, so the mistake shows). */
double ir_eval(const ir_circuit *c, int expr, const double *params, const double *inputs);

/* d expr / d leaf, accumulated: adds seed * d(expr)/d(param_i) into dparams[i] and
 * seed * d(expr)/d(input_j) into dinputs[j] (either may be NULL to skip). */
void ir_eval_grad(const ir_circuit *c, int expr, const double *params, const double *inputs,
                  double seed, double *dparams, double *dinputs);

/* 2x2 matrix of a single-qubit primitive gate (row-major, re/im interleaved: m[2*(2r+c)]),
 * or the 4x4 matrix of a two-qubit gate in basis |w0 w1> (index 2*b0 + b1, so wires[0] is the
 * more significant bit), given its angle values (angles may be NULL for fixed gates).
 * Fused kinds have no matrix of their own (their members do), and MULTIRZ has no 2x2 or
 * 4x4 one (ir_multirz_phase): m is filled with NaN. */
void ir_gate_matrix(ir_gate g, const double *angles, double *m);

/* Derivative of that matrix w.r.t. angle k (same layout; all zero for fixed gates). */
void ir_gate_matrix_deriv(ir_gate g, const double *angles, int k, double *dm);

/* The 4x4 matrix (same layout, basis |w0 w1>, index 2*b0 + b1) of a primitive op acting
 * within the wires {w0, w1}: a one-qubit gate on either, a two-qubit gate on the pair in
 * either order, a MULTIRZ whose mask is within the pair; with deriv >= 0 its derivative in
 * angle `deriv`. This is what a FUSED_2Q member contributes. Returns -1 (m untouched) for an
 * op outside the pair or a kind without a matrix. */
int ir_pair_matrix(const ir_op *op, int w0, int w1, const double *angles, int deriv, double *m);

/* MULTIRZ's diagonal entry for a basis state whose bits on the op's wires have `parity`
 * (0 even, 1 odd): e^{-i a/2} or e^{+i a/2}, or with deriv its derivative in a (the entry
 * times -i/2 or +i/2); re/im into z[0], z[1]. */
void ir_multirz_phase(double a, int parity, int deriv, double z[2]);

/* Gate counts by kind (top-level ops: a fused op counts once, as its fused kind) and circuit
 * depth (longest chain of ops sharing a wire; fused ops count once over all their wires). */
void ir_count_gates(const ir_circuit *c, int counts[IR_GATE_COUNT]);
int ir_depth(const ir_circuit *c);

/* How ir_print_expr writes an expression: the dump's style (NULL) is {15, 0, NULL}; a drawing
 * (qnnc draw) wants {3, 1, "π"}: short numbers, multiples of pi named, w[0,1], no spaces. */
typedef struct {
    int digits;      /* significant digits of constants */
    int compact;     /* no spaces around operators, tensor indices as w[i,j] */
    const char *pi;  /* NULL, or how to write pi in constants that are small multiples of it */
    /* OpenQASM 3's spelling (qnnc emit-qasm): inputs x0, x1, ..., parameters w_0_1, and
     * arctan / arcsin / arccos; tanh and atan2 have none (qasm.c refuses them first). */
    int qasm;
    /* Non-NULL: parameters are written as these values (constants with `digits`), not by
     * name: a circuit bound to trained weights (emit-qasm --checkpoint). */
    const double *param_values;
} ir_expr_style;
void ir_print_expr(const ir_circuit *c, int expr, const ir_expr_style *style, void *file /* FILE* */);
/* Parameter `index` by name in that style (w[0][1], w[0,1] compact, w_0_1 qasm; p[i] / p_i
 * outside every tensor): what ir_print_expr writes for it when no values are bound. */
void ir_print_param(const ir_circuit *c, int index, const ir_expr_style *style, void *file /* FILE* */);

/* Human-readable dump (qnnc emit-ir). */
void ir_print(const ir_circuit *c, void *file /* FILE* */);
/* The same dump as a malloc'ed string (NULL when out of memory): equal texts mean equal
 * circuits, which is how layers built from one circuit are compiled once. */
char *ir_to_text(const ir_circuit *c);

/* Deep copy. */
ir_circuit *ir_clone(const ir_circuit *c);

#endif
