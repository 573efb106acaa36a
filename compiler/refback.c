/* Reference back end: rt_circuit functions carry no context pointer, so each bound circuit
 * gets its own pair of small trampolines, generated below for a fixed number of slots. */
#include "refback.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "interp.h"
#include "trajectory.h"

static const ir_circuit *slots[REFBACK_MAX_CIRCUITS];
static int slot_shift[REFBACK_MAX_CIRCUITS]; /* density matrices by the parameter-shift rule */

static void forward_slot(int k, const void *params, const void *inputs, void *outputs, int64_t n) {
    if (traj_first_jump(slots[k])) /* trajectories with Kraus jumps (trajectory.h) */
        traj_forward_batch(slots[k], params, inputs, outputs, (int)n);
    else
        interp_forward_batch(slots[k], params, inputs, outputs, (int)n);
}

static void vjp_slot(int k, const void *params, const void *inputs, const void *grad_out,
                     void *grad_params, void *grad_inputs, int64_t n) {
    if (traj_first_jump(slots[k])) { /* no sound gradient: the commands refuse before any
                                       * call; NaN makes a stray one fail the finiteness checks */
        double *gp = grad_params, *gx = grad_inputs;
        for (int i = 0; i < slots[k]->n_params; i++) gp[i] = NAN;
        for (int64_t i = 0; gx && i < n * slots[k]->n_inputs; i++) gx[i] = NAN;
        return;
    }
    if (slot_shift[k] && ir_has_channels(slots[k]))
        interp_dm_vjp_shift(slots[k], params, inputs, grad_out, grad_params, grad_inputs, (int)n);
    else
        interp_vjp(slots[k], params, inputs, grad_out, grad_params, grad_inputs, (int)n);
}

#define SLOT(k)                                                                                 \
    static void fwd##k(const void *p, const void *x, void *y, int64_t n, void *w) {             \
        (void)w;                                                                                \
        forward_slot(k, p, x, y, n);                                                            \
    }                                                                                           \
    static void vjp##k(const void *p, const void *x, const void *g, void *gp, void *gx,         \
                       int64_t n, void *w) {                                                    \
        (void)w;                                                                                \
        vjp_slot(k, p, x, g, gp, gx, n);                                                        \
    }
SLOT(0) SLOT(1) SLOT(2) SLOT(3) SLOT(4) SLOT(5) SLOT(6) SLOT(7)
SLOT(8) SLOT(9) SLOT(10) SLOT(11) SLOT(12) SLOT(13) SLOT(14) SLOT(15)
#undef SLOT

static const rt_forward_fn forwards[REFBACK_MAX_CIRCUITS] = {
    fwd0, fwd1, fwd2, fwd3, fwd4, fwd5, fwd6, fwd7, fwd8, fwd9, fwd10, fwd11, fwd12, fwd13, fwd14, fwd15};
static const rt_vjp_fn vjps[REFBACK_MAX_CIRCUITS] = {
    vjp0, vjp1, vjp2, vjp3, vjp4, vjp5, vjp6, vjp7, vjp8, vjp9, vjp10, vjp11, vjp12, vjp13, vjp14, vjp15};

int refback_bind(const ir_circuit *c, rt_circuit *out, char *err, size_t errlen) {
    return refback_bind_grad(c, 0, out, err, errlen);
}

int refback_bind_grad(const ir_circuit *c, int shift, rt_circuit *out, char *err, size_t errlen) {
    for (int k = 0; k < REFBACK_MAX_CIRCUITS; k++) {
        if (slots[k] && slots[k] != c) continue;
        slots[k] = c;
        slot_shift[k] = shift;
        memset(out, 0, sizeof *out);
        out->name = c->name;
        out->n_qubits = c->n_qubits;
        out->n_inputs = c->n_inputs;
        out->n_outputs = c->n_obs;
        out->n_params = c->n_params;
        out->precision = 64;
        out->lanes = 1;
        out->work_bytes = 0;
        out->forward = forwards[k];
        out->vjp = vjps[k];
        return 0;
    }
    snprintf(err, errlen, "the reference back end runs at most %d distinct circuits at once",
             REFBACK_MAX_CIRCUITS);
    return -1;
}

void refback_reset(void) {
    memset(slots, 0, sizeof slots);
    memset(slot_shift, 0, sizeof slot_shift);
}
