/* Built-in templates whose gates are computed rather than written in .qnn (docs/language.md
 * §7.1): the Möttönen state preparation behind amplitude_embedding and the seeded draw of
 * random_layers. lower.c reads their arguments and emits the gate items built here. */
#ifndef QNN_EMBED_H
#define QNN_EMBED_H

#include <stdint.h>

#include "gates.h"
#include "ir.h"

/* Gates that take |0...0> on wires[0 .. n) (wires[0] the most significant bit) to the real
 * state sum_i amp[i] |i> / ||amp||, amp[0 .. 2^n) being expression nodes of c: one uniformly
 * controlled RY per wire (Möttönen et al., quant-ph/0407010, with the Gray-code CNOT
 * sequence): 2^n - 1 RY and 2^n - 2 CNOTs in all. The angles are expressions of the
 * amplitudes (partial norms, atan2), so gradients flow to them. 0 when out of memory. */
int embed_mottonen(ir_circuit *c, const int *amp, int n, const int *wires, gx_seq *out);

/* One gate of random_layers: a rotation (0 rx, 1 ry, 2 rz) of weight `weight` on wire a,
 * or (rot < 0) a CNOT from wire a to wire b. */
typedef struct {
    int rot, a, b, weight;
} embed_rl_gate;

/* qnn's draw of RandomLayers' structure for n_layers x n_rots weights on n_wires wires, a
 * deterministic function of the seed (splitmix64; PennyLane's numpy generator cannot be
 * matched): per layer, until n_rots rotations are placed, a uniform u in [0, 1); u > ratio
 * places a rotation (kind, then wire, drawn uniformly), otherwise a CNOT on two distinct
 * wires drawn uniformly (none on one wire). Weight index = layer * n_rots + i. The caller
 * frees *out. Returns the gate count, or -1 when out of memory or beyond max_gates. */
int embed_random_layers(uint64_t seed, int n_layers, int n_rots, int n_wires, double ratio,
                        int max_gates, embed_rl_gate **out);

#endif
