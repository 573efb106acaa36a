/* Density-matrix code generation (cg_dm.c, docs/codegen.md §9): circuits with noise
 * channels as vec(rho), a 2n-qubit batched state, with the same forward / vjp entry points
 * as state vectors. Private to the code generator (cg.c calls it). */
#ifndef QNN_CG_DM_H
#define QNN_CG_DM_H

#include "cg_internal.h"

/* Channels that keep a checkpoint of rho in the vjp (every channel but readout_error). */
int cg_dm_n_checkpoints(const ir_circuit *c);
/* The density matrices its adjoint vjp keeps for them (dm_checkpoints.h), in precision esize. */
int cg_dm_kept_states(const ir_circuit *c, size_t esize);
/* The lanes of a density-matrix circuit: its work (two states and, for the adjoint method, a
 * checkpoint per channel, per lane) is kept within CG_DM_WORK_TARGET by halving the default lanes (not lanes the caller
 * chose); above CG_DM_WORK_MAX with one lane it is refused (-1 and a message with the bytes). */
#define CG_DM_WORK_TARGET ((size_t)1 << 30)
#define CG_DM_WORK_MAX ((size_t)4 << 30)
int cg_dm_lanes(const ir_circuit *c, int chosen, cg_options *opt, char *err, size_t errlen);
/* g->n = 2 n, expression flags and the work layout (checkpoints included); -1 when out of
 * memory. */
int cg_dm_setup(cg *g);
/* Emits the kernels, _forward and _vjp (the adjoint method with checkpoints, or with
 * opt.grad = CG_GRAD_SHIFT the parameter-shift rule from forward runs); returns _forward. */
LLVMValueRef cg_dm_emit_functions(cg *g, const char *prefix, const cg_info *inf,
                                  const cg_fn_target *ft);

#endif
