/* Monte-Carlo trajectories (`simulation = trajectories`, docs/semantics.md §10.4): a noisy
 * circuit rewritten as a state-vector circuit whose Pauli channels become gates chosen by
 * fresh uniform() draws, so that the mean of its outputs over the draws is the density
 * matrix's value. The state-vector code generator, its gradients and the runtime's draws then
 * run unchanged; the runtime averages K trajectories per sample (rt_qlayer_set_trajectories). */
#ifndef QNN_TRAJECTORY_H
#define QNN_TRAJECTORY_H

#include <stddef.h>

#include "ir.h"

/* The first channel op of c that trajectories cannot simulate (readout_error, no map on the
 * state) or whose strength is not a constant (a choice by comparison has no gradient in its
 * strength), else NULL. With a result, *why says which. */
const ir_op *traj_unsupported(const ir_circuit *c, const char **why);

/* A copy of c (traj_unsupported(c) must be NULL) in which each depolarizing(p), bit_flip(p)
 * and phase_flip(p) on wire w becomes, with u a new uniform() draw (an input appended after
 * every other, ir_circuit.n_uniform counting it):
 *     depolarizing: rx(pi step(p/3 - u)), ry(pi [step(2p/3 - u) - step(p/3 - u)]),
 *                   rz(pi [step(p - u) - step(2p/3 - u)])
 *     bit_flip:     rx(pi step(p - u))        phase_flip: rz(pi step(p - u))
 * i.e. X, Y or Z (up to a global phase -i) with probability p/3 each, or nothing. The caller
 * frees it with ir_free. */
ir_circuit *traj_lower(const ir_circuit *c);
/* ... and every other channel (amplitude and phase damping, thermal relaxation, a kraus on
 * one or two qubits) becomes a *jump*: a kraus op with its constant Kraus set K_i
 * (PennyLane's operators) and a new draw u as its angle[0]. A run picks branch i with probability ||K_i psi||^2 (the
 * first i with u < the cumulative sum) and renormalises: psi <- K_i psi / ||K_i psi||, so the
 * mean over runs of <psi|O|psi> is tr(O E(rho)), unbiased. The choice depends on the state,
 * and so on the parameters: the mean of the runs' gradients is NOT the gradient of the mean
 * (it misses sum_i d p_i <O>_i), so circuits with jumps have no vjp, and the commands refuse
 * to train or differentiate them. They run on traj_forward_batch, behind the reference back
 * end's rt_circuit (refback.c); the code generator does not compile them. */

/* Whether op is a jump, and the first jump of c (NULL when every channel was a Pauli one). */
int traj_is_jump(const ir_op *op);
const ir_op *traj_first_jump(const ir_circuit *c);

/* Why a circuit with a jump cannot be trained or differentiated, into buf (one sentence
 * naming the circuit and the channel's line, with the ways out). */
void traj_no_gradient(const ir_circuit *c, char *buf, size_t n);

/* n_rows runs of a lowered circuit with jumps (inputs[b] with its draws, rt_circuit.h's
 * layout): state vectors through interp_apply_op and the jumps above. */
void traj_forward_batch(const ir_circuit *c, const double *params, const double *inputs,
                        double *outputs, int n_rows);

#endif
