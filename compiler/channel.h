/* Noise channels as superoperators: the linear map rho -> E(rho) of each IR_CHANNEL kind
 * (ir.h) on its wires' d x d block of the density matrix (d = 2, or 4 for a two-qubit
 * `kraus`), its derivative in each strength, and the checks lowering makes on constant
 * strengths and Kraus sets. docs/semantics.md §10 states the maps.
 *
 * Layout: S is d^2 x d^2 complex, interleaved (S[2 * (row * d^2 + col)] real part), acting
 * on the block vectorised row-major: vec index r * d + c holds rho[r][c], and
 *     rho'[r][c] = sum_{r', c'} S[(r c), (r' c')] rho[r'][c'],
 * i.e. S = sum_k K_k (x) conj(K_k) for Kraus operators K_k. */
#ifndef QNN_CHANNEL_H
#define QNN_CHANNEL_H

#include "ir.h"

enum { CH_MAX_DIM = 4, CH_MAX_SUPER = CH_MAX_DIM * CH_MAX_DIM }; /* d, d^2 */

/* The block size d of a channel op: 2, or 4 for a two-qubit kraus. */
int ch_dim(const ir_op *op);

/* S of channel op at strength values s[0..3) (ignored for kraus), or with deriv >= 0 its
 * derivative in strength `deriv`. S has room for CH_MAX_SUPER^2 complex entries. Not for
 * IR_CH_READOUT (no map on rho: ch_readout_factor). */
void ch_superop(const ir_circuit *c, const ir_op *op, const double *s, int deriv, double *S);

/* The superoperator sum_k K_k (x) conj(K_k) of n Kraus matrices (d x d interleaved). */
void ch_kraus_superop(const double *k, int n, int d, double *S);

/* max |sum_k K_k^dagger K_k - I| over the entries: 0 for a trace-preserving set. */
double ch_kraus_tp_error(const double *k, int n, int d);

/* NULL when constant strengths s[0..) are valid for ch, else what is wrong (a sentence
 * fragment such as "p must be in [0, 1]") with *which the strength to point at. Strengths
 * computed at run time are used as given (docs/semantics.md §10). */
const char *ch_strength_error(ir_channel ch, const double *s, int *which);

/* Readout error on a wire scales each Pauli factor on it by 1 - 2p. */
static inline double ch_readout_factor(double p) { return 1 - 2 * p; }

#endif
