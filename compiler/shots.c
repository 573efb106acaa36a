/* The measurement circuit of shots (shots.h). Each Pauli product of an expectation becomes
 * its own raw output, measured in its own basis with its own N shots (a device measuring
 * each term separately: no grouping of commuting terms), identity products become a constant
 * offset; a variance must be of one Pauli product (plus constants), whose +-1 outcomes give
 * the sample variance; `probs` groups stay as they are (one multinomial draw per group). */
#include "shots.h"

#include "rt_shots.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Appends the term's Pauli product with coefficient coef to the open output. */
static void add_term(ir_circuit *m, double coef, const ir_pauli_term *t) {
    char paulis[IR_MAX_QUBITS + 1];
    for (int w = 0; w < m->n_qubits; w++) {
        uint32_t b = 1u << w;
        int x = (t->x_mask & b) != 0, z = (t->z_mask & b) != 0;
        paulis[w] = x && z ? 'Y' : x ? 'X' : z ? 'Z' : 'I';
    }
    paulis[m->n_qubits] = 0;
    ir_add_term(m, coef, paulis);
}

static int is_identity(const ir_pauli_term *t) { return t->x_mask == 0 && t->z_mask == 0; }

ir_circuit *shots_circuit(const ir_circuit *c, rt_shots_plan **plan_out, char *err,
                          size_t errlen) {
    *plan_out = NULL;
    /* raw outputs: at most one per term of an expectation or variance, one per prob output */
    int n_out = c->n_obs, max_raw = 0;
    for (int o = 0; o < n_out; o++)
        max_raw += c->obs[o].kind == IR_OBS_VAR ? 1 : c->obs[o].kind == IR_OBS_PROB ? 1
                                                                                   : c->obs[o].n_terms;
    size_t bytes = sizeof(rt_shots_plan) + sizeof(int) * 3 * (size_t)n_out +
                   sizeof(double) * (size_t)n_out + sizeof(double) * (size_t)(max_raw + 1) +
                   sizeof(int) * 2 * (size_t)(max_raw + 1);
    rt_shots_plan *p = calloc(1, bytes + 16);
    ir_circuit *m = p ? ir_clone(c) : NULL;
    if (!m) {
        free(p);
        snprintf(err, errlen, "circuit '%s': out of memory for its shots measurement", c->name);
        return NULL;
    }
    /* doubles first (alignment), then ints */
    double *offset = (double *)(p + 1), *coef = offset + n_out;
    int *kind = (int *)(coef + max_raw + 1), *first = kind + n_out, *count = first + n_out;
    int *prob_first = count + n_out, *prob_size = prob_first + max_raw + 1;
    m->n_obs = 0;
    m->n_terms = 0;
    for (int o = 0; o < n_out; o++) {
        const ir_observable *ob = &c->obs[o];
        first[o] = m->n_obs;
        if (ob->kind == IR_OBS_PROB) {
            kind[o] = RT_SHOTS_PROB;
            count[o] = 1;
            int r = m->n_obs;
            ir_begin_prob(m, ob->n_prob_wires, ob->prob_wires, ob->index);
            for (int t = ob->first_term; t < ob->first_term + ob->n_terms; t++)
                add_term(m, c->terms[t].coef, &c->terms[t]);
            coef[r] = 1;
            /* outputs index 0 .. 2^m - 1 of one `probs` are consecutive (ir.h) */
            prob_first[r] = ob->index == 0 ? r : prob_first[r - 1];
            prob_size[r] = 1 << ob->n_prob_wires;
            continue;
        }
        int lo = ob->kind == IR_OBS_VAR ? ob->first_lin : ob->first_term;
        int n = ob->kind == IR_OBS_VAR ? ob->n_lin : ob->n_terms, n_pauli = 0;
        for (int t = lo; t < lo + n; t++) {
            if (is_identity(&c->terms[t])) {
                offset[o] += c->terms[t].coef;
                continue;
            }
            int r = m->n_obs;
            ir_begin_observable(m);
            add_term(m, 1.0, &c->terms[t]);
            coef[r] = c->terms[t].coef;
            prob_first[r] = -1;
            prob_size[r] = 0;
            n_pauli++;
        }
        count[o] = n_pauli;
        kind[o] = ob->kind == IR_OBS_VAR ? RT_SHOTS_VAR : RT_SHOTS_EXPVAL;
        if (ob->kind == IR_OBS_VAR && n_pauli != 1) {
            snprintf(err, errlen, "circuit '%s': output %d is the variance of %s: with shots each "
                     "Pauli product is measured on its own, which gives the variance of one product "
                     "only (use `var` of one product, `expval`, or shots = exact)", c->name, o,
                     n_pauli ? "a sum of Pauli products" : "a constant");
            ir_free(m);
            free(p);
            return NULL;
        }
        if (ob->kind == IR_OBS_VAR)
            offset[o] = 0;
    }
    if (m->n_obs > RT_SHOTS_MAX_RAW) {
        snprintf(err, errlen, "circuit '%s': %d measured products and outcomes with shots, more "
                 "than the %d one circuit may have", c->name, m->n_obs, RT_SHOTS_MAX_RAW);
        ir_free(m);
        free(p);
        return NULL;
    }
    p->n_outputs = n_out;
    p->n_raw = m->n_obs;
    p->kind = kind;
    p->first = first;
    p->count = count;
    p->offset = offset;
    p->coef = coef;
    p->prob_first = prob_first;
    p->prob_size = prob_size;
    *plan_out = p;
    return m;
}
