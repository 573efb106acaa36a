/* Noise models (noise.h): channels inserted after the gates a rule names. */
#include "noise.h"

#include <string.h>

ir_circuit *noise_apply(const ir_circuit *c, const noise_model *m) {
    ir_circuit *d = ir_clone(c);
    d->n_ops = 0; /* rebuilt below from c's ops; expressions, tensors and outputs are kept */
    for (int i = 0; i < c->n_ops; i++) {
        const ir_op *op = &c->ops[i];
        int k = ir_add_gate(d, op->gate, op->wires[0], op->wires[1], op->angle[0], op->angle[1],
                            op->angle[2]);
        d->ops[k] = *op;
        if ((unsigned)op->gate >= IR_FUSED_1Q) continue; /* channels, fused ops: no rule */
        for (int r = 0; r < m->n_rules; r++) {
            const noise_rule *rule = &m->rules[r];
            if (!rule->after[op->gate]) continue;
            for (int w = 0; w < 2; w++) {
                if (op->wires[w] < 0) continue;
                int s[3];
                for (int j = 0; j < ir_channel_n_strengths(rule->channel); j++)
                    s[j] = ir_const(d, rule->strength[j]);
                int ch = ir_add_channel(d, rule->channel, op->wires[w], s);
                /* the gate's line, column 0: what tells messages the channel is the model's */
                ir_set_loc(d, ch, op->src_line, 0);
            }
        }
    }
    return d;
}
