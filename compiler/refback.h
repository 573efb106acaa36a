/* The reference back end: runs circuits with the plain interpreter (interp.h) behind the
 * runtime's rt_circuit contract, so that `qnnc run --reference` trains a model without any
 * generated code — slow, but an independent check of the compiled simulation. */
#ifndef QNN_REFBACK_H
#define QNN_REFBACK_H

#include <stddef.h>

#include "ir.h"
#include "rt_circuit.h"

enum { REFBACK_MAX_CIRCUITS = 16 };

/* Binds c (borrowed: it must outlive the use of *out) to one of REFBACK_MAX_CIRCUITS slots
 * and fills *out (precision 64, one lane). 0, or -1 with a message when all slots are used. */
int refback_bind(const ir_circuit *c, rt_circuit *out, char *err, size_t errlen);

/* The same with the gradient method: shift = 1 makes a circuit with noise channels use the
 * density-matrix parameter-shift vjp (interp_dm_vjp_shift); state vectors keep the adjoint. */
int refback_bind_grad(const ir_circuit *c, int shift, rt_circuit *out, char *err, size_t errlen);
/* Frees every slot. */
void refback_reset(void);

#endif
