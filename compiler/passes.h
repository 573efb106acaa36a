/* Circuit IR passes: run between lowering and code generation. Today one pass, gate fusion,
 * plus the cost statistics that `qnnc info` prints. Semantics in docs/semantics.md.
 *
 * Fusion policy (goal: the fewest sweeps over the state vector; every op is one sweep):
 *  1. Ops are streamed in program order. An op may join an earlier group only if every op
 *     emitted after that group is on disjoint wires (it then moves back past them).
 *  2. A single-qubit op joins the open one-qubit group on its wire (the last group that
 *     touched the wire, if that is a one-qubit group). Otherwise a DIAGONAL single-qubit op
 *     joins the most recent diagonal group when it can, and any other one opens a new
 *     one-qubit group. So RZ after RY on a wire fuses into the RY's group, while RZ(x_j)
 *     encodings right after a CZ ring join the ring's diagonal group.
 *  3. A two-qubit diagonal op (CZ CRZ CPHASE) joins the most recent diagonal group when it
 *     can, else opens one. Other two-qubit ops (CNOT CY SWAP CRX CRY) stay alone.
 *  4. Then every group whose members are all diagonal (including one-qubit groups of Z S T
 *     RZ PHASE I) merges with the previous diagonal group when the groups between are on
 *     disjoint wires (moving either one).
 *  5. A group of one op stays that primitive op; an all-diagonal group becomes FUSED_DIAG
 *     (members in program order), any other group FUSED_1Q (members in application order).
 * Every primitive op of the input (fused inputs are first expanded into their members)
 * appears exactly once in the result; locations, expressions, tensors and observables are
 * kept. For QIREN (Rot + CZ-ring StronglyEntanglingLayers, RZ(x_j) encodings) each block
 * becomes n Rot, FUSED_DIAG(ring 1), n Rot, FUSED_DIAG(ring 2 + encodings) under these rules;
 * rule 6 below does better there and is the one chosen.
 *
 * Cost model (per sample; dim = 2^n amplitudes; a complex multiply is 6 flops, a complex add
 * 2): a dense one-qubit op (non-diagonal primitive or FUSED_1Q) costs 14 dim (a 2x2 complex
 * mat-vec per amplitude pair), a diagonal op or FUSED_DIAG 6 dim (one complex multiply per
 * amplitude), CRX CRY CY 7 dim (half the state), CNOT and SWAP 0 (permutations: a sweep but
 * no arithmetic). Building an op's matrix or phase table is counted only when the op uses
 * inputs (otherwise it is built once per batch): 56 flops per 2x2 product for FUSED_1Q,
 * 6 * 2^k * m for a FUSED_DIAG of m members over k wires. Measuring a Pauli term costs 4 dim
 * (Z/I only) or 8 dim (with X or Y). The adjoint vjp costs the forward sweep, 8 dim per term
 * to form lambda, and per op 2 * cost (un-applying it to psi and lambda) plus, when it has
 * angles, the accumulation of G (8 dim for a real op, 16 for other one-qubit and controlled
 * ops; (4 + angles) dim for a diagonal one): the angles' gradients are 2x2 algebra on G.
 * RY, and FUSED_1Q of RYs only, are real: 6 dim per sweep instead of 14.
 *
 * Rule 6 (split policy): Rot is split into RZ RY RZ, every diagonal op joins the earliest
 * diagonal group it may move back to (else opens one), non-diagonal one-qubit ops form
 * one-qubit groups, and rule 4 merges diagonal groups. For StronglyEntanglingLayers this
 * gives n real RY sweeps per layer and one diagonal between layers (RZ(omega) of one layer,
 * the CZ ring, RZ(x) encodings, RZ(phi) of the next). Rule 7 (both policies): all-diagonal
 * groups on wires no earlier op touched (a global phase on |0..0>) are dropped, and, when
 * every observable is diagonal (Z/I only), those on wires no later op touches. Rule 9
 * (pass_fuse_pairs, below): segments of runs within one wire pair become dense 4x4 ops
 * (FUSED_2Q) where that lowers the vjp cost. pass_fuse runs both policies (each with and
 * without rule 0, each then through rule 9) and keeps the one with the lower vjp cost under
 * this model. */
#ifndef QNN_PASSES_H
#define QNN_PASSES_H

#include "ir.h"

/* Returns a new, equivalent circuit with fused ops (the caller frees it with ir_free);
 * c is not modified. Equivalent means the same outputs and gradients; the final state may
 * differ by the phases rule 7 removes (a global phase, or diagonal phases before a diagonal
 * readout). */
ir_circuit *pass_fuse(const ir_circuit *c);

/* pass_fuse with rules switched: pair_blocks = 0 leaves out rule 9 (two-qubit blocks),
 * wire_blocks = 0 rule 10 (wire blocks; else their most wires), so that benchmarks and tests
 * can compare. pass_fuse is pair_blocks = 1, wire_blocks = PASS_BLOCK_WIRES. */
typedef struct {
    int pair_blocks;
    int wire_blocks;
} pass_options;
ir_circuit *pass_fuse_with(const ir_circuit *c, const pass_options *o);

/* Static cost of one circuit under the model above. */
typedef struct {
    int n_ops;                   /* top-level ops = sweeps over the state */
    int n_primitive;             /* primitive ops, counting fused members */
    int depth;                   /* ir_depth */
    int counts[IR_GATE_COUNT];   /* ir_count_gates */
    double forward_flops;        /* per sample, including measurement */
    double vjp_flops;            /* per sample, adjoint method, including the forward sweep */
} pass_cost;

void pass_cost_of(const ir_circuit *c, pass_cost *out);

/* Rule 9, two-qubit blocks: maximal runs of top-level ops of a fused circuit that act
 * within one wire pair (one-qubit ops on either wire, two-qubit ops on the pair,
 * FUSED_DIAGs on at most those two wires), each compared with one dense 4x4 op on the pair
 * (IR_FUSED_2Q). A dense 4x4 sweep costs 32 dim (four complex multiply-adds per amplitude);
 * its vjp sweep un-applies it to psi and lambda (2 * 32 dim) and, when a member has angles,
 * accumulates the 16 entries of G (32 dim), then per sample the gradients' 4x4 algebra:
 * 768 flops, 512 per member after the first, 64 per angle. A block whose angles use inputs
 * builds its matrix per sample, one 4x4 product (512 flops) per member after the first; a
 * block of parameters and constants builds it once per call, one of constants only at
 * compile time. Within each block, rule 9 chooses the contiguous segments (of at most 64
 * ops) to make dense by dynamic programming over this vjp cost, so a constant run among
 * ops with angles is fused alone.
 * pass_fuse applies rule 9 to the result of each policy (pass_fuse_pairs) before comparing
 * them; pass_pair_blocks reports what it would do to a circuit. */
typedef struct {
    int n_blocks;        /* maximal runs of two or more ops within one pair */
    int n_paying;        /* dense segments rule 9 makes of them (pass_fuse_pairs) */
    int sweeps_saved;    /* ops those remove */
    double forward_flops, vjp_flops; /* the circuit's cost after rule 9 */
} pass_blocks;

void pass_pair_blocks(const ir_circuit *c, pass_blocks *out);

/* Rule 9 on a fused circuit: every paying block becomes one FUSED_2Q (its ops' primitive
 * members in application order, at the place of its last op; ops between on other wires
 * commute with it; RZ RY RZ pieces on one wire become a Rot member again). A new circuit;
 * c is not modified. Only the first PASS_MAX_DENSE_GRADS blocks with angles are fused: each
 * one's gradient algebra is straight-line 4x4 code in its own backward kernel (cg_fn.c,
 * pair_grads), about 0.3 s of LLVM time per block on the shared machine, which the flop
 * model does not see (docs/performance.md); blocks of constants only have no such code. */
enum { PASS_MAX_DENSE_GRADS = 32 };
ir_circuit *pass_fuse_pairs(const ir_circuit *c);

/* Rule 10 (wire blocks, IR_FUSED_BLOCK): runs of consecutive ops that are one-qubit gates,
 * controlled two-qubit primitives or one-member FUSED_1Qs, on at most max_wires wires in
 * all, become one op whose sweep applies all of them to each block of 2^k amplitudes in
 * registers (cg_block.c). The flops are the members' own, so the flop model above does not
 * change; what changes is memory traffic: a sweep reads and writes the whole state, 2^(n+1)
 * W elements per lane group (psi; the vjp's backward half psi and lambda), and a block of m
 * ops makes one sweep of m. That pays when the sweeps are bound by memory traffic, not by
 * the FMA units or the load/store ports: measured (docs/performance.md, "Large registers")
 * from 17 qubits, where psi and lambda of a lane group (2^18 W reals each, 8 MiB at
 * W = 4 f64) fill this machine's whole 16 MiB L3 and the sweeps run from DRAM: QIREN forward
 * 1.5-2x, vjp 1.3-1.7x faster at 17-20 qubits. Below, the sweeps run from the caches near
 * the rate of the arithmetic, and the blocks' register pressure (2^k amplitudes live at
 * once, twice in the vjp, with each member's gradient accumulators) costs more than the
 * traffic saved: at 16 qubits the vjp measured 6-19 % slower (forward 17-26 % faster), at
 * 8-12 qubits no gain. So pass_fuse leaves circuits of fewer than PASS_BLOCK_MIN_QUBITS
 * qubits as they are (QIREN at 8 qubits keeps today's ops), and makes blocks of at most
 * PASS_BLOCK_WIRES wires (3: 8 amplitudes; 2 and 4 measured no better at 20 qubits, 4
 * compiles twice as long). pass_fuse_blocks applies the rule at any size (tests). */
enum { PASS_BLOCK_WIRES = 3, PASS_BLOCK_MIN_QUBITS = 17 };
/* At most PASS_BLOCK_MAX_MEMBERS members per block: the block's sweep keeps every member's
 * gradient accumulators live in one loop (cg_block.c), so an unbounded run on three wires
 * (a deep circuit on wires 0-2) made compile time grow with the square of the run: 240
 * layers took 55 s against 0.5 s without blocks. A full block is closed and the next one
 * starts; the cost is one more sweep per PASS_BLOCK_MAX_MEMBERS members. */
enum { PASS_BLOCK_MAX_MEMBERS = 16 };
ir_circuit *pass_fuse_blocks(const ir_circuit *c, int max_wires);

/* Before/after comparison of a pass, as `qnnc info` prints it. */
typedef struct {
    pass_cost before, after;
} pass_report;

void pass_stats(const ir_circuit *before, const ir_circuit *after, pass_report *r);
void pass_report_print(const pass_report *r, void *file /* FILE* */);

#endif
