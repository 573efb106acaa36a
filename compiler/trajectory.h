/* Monte-Carlo trajectories (`simulation = trajectories`, docs/semantics.md §10.4): a noisy
 * circuit rewritten as a state-vector circuit whose Pauli channels become gates chosen by
 * fresh uniform() draws, so that the mean of its outputs over the draws is the density
 * matrix's value. The state-vector code generator, its gradients and the runtime's draws then
 * run unchanged; the runtime averages K trajectories per sample (rt_qlayer_set_trajectories). */
#ifndef QNN_TRAJECTORY_H
#define QNN_TRAJECTORY_H

#include "ir.h"

/* The first channel op of c that trajectories cannot simulate (not a mixture of Paulis:
 * amplitude/phase damping, thermal relaxation, kraus, readout_error) or whose strength is
 * not a constant (a choice by comparison has no gradient in its strength), else NULL. With
 * a result, *why says which of the two. */
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

#endif
