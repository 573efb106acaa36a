/* Gate expansion, part of lowering: the composite gates (rzz, toffoli, ...), constant
 * unitaries and the modifiers adj(G) / ctrl(G) become the primitive ops of ir.h, exactly
 * (global phase included where a control can observe it). See docs/semantics.md §3.1.
 *
 * A gate statement first becomes a sequence of items: a primitive gate (or a global phase)
 * with a list of extra control wires. Modifiers transform sequences (adj reverses and
 * inverts, ctrl adds controls); gx_emit finally decomposes one item into primitives. */
#ifndef QNN_GATES_H
#define QNN_GATES_H

#include "ir.h"

enum { GX_MAX_CTRL = 6 };   /* controls per item: the decomposition grows ~5x per control */
#define GX_GPHASE IR_GATE_COUNT /* item kind: the global phase e^{i a[0]} (no wires) */

typedef struct {
    int g;                  /* ir_gate (primitive) or GX_GPHASE */
    int w[2];               /* wires as in ir_op (-1 unused) */
    int a[3];               /* angle expression nodes (-1 unused) */
    int nctrl;
    int ctrl[GX_MAX_CTRL + 1]; /* control wires, each on |1> (one spare: a 2-qubit gate's own) */
} gx_item;

typedef struct {
    gx_item *items;
    int n, cap;
} gx_seq;

/* The composite gates, by name. A gate value (elab.h V_GATE) holds GX_BUILTIN_BASE + kind. */
#define GX_BUILTIN_BASE 1000
typedef enum {
    GX_RXX, GX_RYY, GX_RZZ, GX_MULTIRZ, GX_TOFFOLI, GX_CCZ, GX_CSWAP, GX_ISWAP, GX_ECR,
    GX_COMPOSITE_COUNT
} gx_composite;

/* The composite named `name` (aliases included), or -1. */
int gx_find_composite(const char *name);
const char *gx_composite_name(int k);
int gx_composite_n_angles(int k);
int gx_composite_arity(int k); /* qubits; 0 = any number >= 1 (multirz) */

/* Appends (malloc'ed storage; gx_seq_free releases it). Returns 0 when out of memory. */
int gx_push(gx_seq *s, const gx_item *it);
void gx_seq_free(gx_seq *s);
gx_item gx_prim(int g, int w0, int w1, int a0, int a1, int a2);

/* Appends the items of composite k on wires[0..n_wires) with angles[] (expression nodes). */
int gx_expand_composite(ir_circuit *c, int k, const int *wires, int n_wires, const int *angles,
                        gx_seq *out);

/* A constant 2x2 (n = 1) or 4x4 (n = 2) matrix, row-major, re/im interleaved, basis as in
 * ir_gate_matrix. Returns the largest entry of |U^dagger U - I| (0 for an exact unitary). */
double gx_unitarity_error(const double *m, int n);
/* Appends the exact decomposition of the unitary m (checked by the caller) on wires. */
int gx_expand_unitary(ir_circuit *c, const double *m, int n, const int *wires, gx_seq *out);

/* adj: reverses items[from..n) and replaces each by its inverse. */
int gx_adjoint(ir_circuit *c, gx_seq *s, int from);
/* ctrl: adds controls[0..n) to items[from..n). Returns 0 when an item would exceed
 * GX_MAX_CTRL controls. */
int gx_add_controls(gx_seq *s, int from, const int *controls, int n);

/* Appends item `it` to the circuit as primitive ops located at line:col. Returns the number
 * of ops added, -1 when more than `budget` ops would be needed, -2 for an item no rule
 * expands (a bug). Nothing is undone: the caller reports and discards the circuit. */
int gx_emit(ir_circuit *c, const gx_item *it, int line, int col, int budget);

#endif
