/* How many density matrices the adjoint vjp of a noisy circuit keeps (docs/codegen.md §10):
 * rho before every channel while that fits CH_CHECKPOINT_BUDGET per sample, else before every
 * k-th channel, k = ceil(sqrt(C)), with each segment of k channels recomputed once from its
 * checkpoint in the backward pass into k - 1 more states: about 2 sqrt(C) states for one more
 * forward pass. Shared by the code generator (cg_dm.c) and `qnnc info` (main.c), which has no
 * LLVM types, hence its own header. */
#ifndef QNN_DM_CHECKPOINTS_H
#define QNN_DM_CHECKPOINTS_H

#include <math.h>

/* checkpoints of rho per sample, in bytes, before segments are used: 64 MiB (64 channels at
 * 8 qubits in f64) */
#define DM_CHECKPOINT_BUDGET ((double)(64u << 20))

/* The stride k for C channels of state_bytes each (one sample's rho). */
static inline int dm_checkpoint_stride(int n_channels, double state_bytes) {
    if (n_channels <= 1 || n_channels * state_bytes <= DM_CHECKPOINT_BUDGET) return 1;
    int k = (int)ceil(sqrt((double)n_channels));
    return k < n_channels ? k : n_channels;
}

/* States kept: one per segment, plus the k - 1 a recomputed segment fills. */
static inline int dm_checkpoints_kept(int n_channels, int stride) {
    if (stride <= 1) return n_channels;
    return (n_channels + stride - 1) / stride + stride - 1;
}

#endif
