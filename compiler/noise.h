/* Noise models: an experiment's or a quantum layer's `noise = ...` (docs/language.md §6.16) as rules
 * "after every gate of these kinds, this one-qubit channel on each of its wires", applied to
 * a lowered circuit without editing its source. */
#ifndef QNN_NOISE_H
#define QNN_NOISE_H

#include "ir.h"

enum { NOISE_MAX_RULES = 16 };

typedef struct {
    ir_channel channel;                /* not IR_CH_KRAUS or IR_CH_READOUT */
    double strength[3];                /* checked by ch_strength_error */
    unsigned char after[IR_FUSED_1Q];  /* after[g]: insert after primitive gate kind g */
} noise_rule;

typedef struct {
    int n_rules;
    noise_rule rules[NOISE_MAX_RULES];
} noise_model;

/* A copy of c (unfused) with, after each op whose kind a rule names, that rule's channel on
 * every wire of the op, rules in their order; an inserted channel has the gate's line and
 * column 0. The caller frees it with ir_free. */
ir_circuit *noise_apply(const ir_circuit *c, const noise_model *m);

#endif
