/* Reference interpreter for the circuit IR: the plain, obviously-correct simulator that the
 * tests use as ground truth for the fusion pass and for generated code (JIT/AOT).
 *
 * It is written for clarity, not speed: one sample at a time, a dense state of 2^n complex
 * doubles, every op applied through its matrix from ir_gate_matrix (fused ops by applying
 * their members in order). Conventions are ir.h's: wire w has stride 1 << (n - 1 - w).
 *
 * Preconditions (checked by nobody; callers are tests and the compiler's own checks):
 *  - 1 <= c->n_qubits <= 24 or so (memory is 16 * 2^n bytes per state vector);
 *  - params has c->n_params elements; inputs has c->n_inputs elements per sample and may be
 *    NULL only if c->n_inputs == 0 (a used input leaf with NULL inputs yields NaN);
 *  - states hold 1 << c->n_qubits elements.
 * Batched functions use rt_circuit.h's layout: inputs[B][n_inputs], outputs[B][n_obs]. */
#ifndef QNN_INTERP_H
#define QNN_INTERP_H

#include <stdint.h>

#include "ir.h"

/* Applies one op (primitive or fused) to state in place. */
void interp_apply_op(const ir_circuit *c, const ir_op *op, const double *params,
                     const double *inputs, double _Complex *state);

/* The state after the whole circuit, starting from |0...0>. */
void interp_state(const ir_circuit *c, const double *params, const double *inputs,
                  double _Complex *state);

/* <state| P |state> for one Pauli product (masks as in ir_pauli_term: bit w = wire w). */
double interp_pauli_expect(int n_qubits, uint32_t x_mask, uint32_t z_mask,
                           const double _Complex *state);

/* Expectation of observable `obs`: sum over its terms of coef * <state|P|state>. */
double interp_expect(const ir_circuit *c, int obs, const double _Complex *state);

/* One sample: outputs[k] = expectation of observable k, k < c->n_obs. */
void interp_forward(const ir_circuit *c, const double *params, const double *inputs,
                    double *outputs);

/* n_samples samples: inputs[b * n_inputs ..], outputs[b * n_obs ..]. */
void interp_forward_batch(const ir_circuit *c, const double *params, const double *inputs,
                          double *outputs, int n_samples);

/* Vector-Jacobian product with rt_circuit.h's meaning: with
 * L = sum_b sum_k grad_outputs[b][k] * outputs[b][k],
 *   grad_params[i] += dL/dparams[i]        (accumulated over the batch),
 *   grad_inputs[b][j] = dL/dinputs[b][j]   (overwritten; grad_inputs may be NULL).
 * interp_vjp is exact (adjoint method: run the state forward, then walk the ops backwards
 * un-applying each one to the state and to lambda = O psi). */
void interp_vjp(const ir_circuit *c, const double *params, const double *inputs,
                const double *grad_outputs, double *grad_params, double *grad_inputs,
                int n_samples);

/* ---- density matrices (interp_dm.c, docs/semantics.md §10) ------------------------------
 * Circuits with channels (ir_has_channels) are simulated as density matrices: interp_forward
 * and interp_vjp above hand them to these, which also take noiseless circuits (the tests
 * compare the two simulations). rho holds 4^n complex numbers, rho[i * 2^n + j]; memory is
 * 16 * 4^n bytes per copy, and the vjp keeps one copy per channel (the forward checkpoints). */
void interp_dm_state(const ir_circuit *c, const double *params, const double *inputs,
                     double _Complex *rho);
void interp_dm_forward(const ir_circuit *c, const double *params, const double *inputs,
                       double *outputs);
void interp_dm_forward_batch(const ir_circuit *c, const double *params, const double *inputs,
                             double *outputs, int n_samples);
void interp_dm_vjp(const ir_circuit *c, const double *params, const double *inputs,
                   const double *grad_outputs, double *grad_params, double *grad_inputs,
                   int n_samples);

/* The same vjp by the parameter-shift rule (semantics.md §10.2): 2 or 4 runs per gate angle
 * that varies, one run with dS/ds per channel strength that varies; no checkpoints. */
void interp_dm_vjp_shift(const ir_circuit *c, const double *params, const double *inputs,
                         const double *grad_outputs, double *grad_params, double *grad_inputs,
                         int n_samples);

/* The same by central finite differences with step h (h <= 0 picks 1e-5): for tests only,
 * 2 forward runs per parameter and per input element; error O(h^2). */
void interp_vjp_fd(const ir_circuit *c, const double *params, const double *inputs,
                   const double *grad_outputs, double *grad_params, double *grad_inputs,
                   int n_samples, double h);

#endif
