/* The contract between compiled circuit code and the runtime: a compiled circuit is two plain
 * C functions plus its sizes. Generated code (JIT or AOT object) provides them; the runtime's
 * quantum layer calls them on chunks of the batch from its thread pool. No LLVM here.
 *
 * Both functions are reentrant: all scratch memory comes from `work` (work_bytes per
 * concurrent call), nothing is allocated inside. Element type is double (precision 64) or
 * float (precision 32) for every pointer argument.
 *
 *   forward(params[n_params], inputs[B][n_inputs], outputs[B][n_outputs], B, work)
 *       outputs[b][k] = <psi(params, inputs[b])| O_k |psi(params, inputs[b])>
 *   vjp(params, inputs, grad_outputs[B][n_outputs], grad_params[n_params],
 *       grad_inputs[B][n_inputs], B, work)
 *       with L = sum_b sum_k grad_outputs[b][k] * outputs[b][k]:
 *       grad_params[i] += dL/dparams[i]   (ACCUMULATED, summed over the batch)
 *       grad_inputs[b][j] = dL/dinputs[b][j]   (OVERWRITTEN; may be NULL to skip)
 *
 * Optional, the kept-state pair (adjoint state-vector circuits, JIT or native; NULL elsewhere,
 * e.g. density matrices, parameter shift): forward_keep is forward that also writes each lane group's
 * final state to states[ceil(B / lanes)][state_bytes] (states may be NULL: then it is
 * forward), and vjp_kept is vjp that starts each group from that state instead of re-running
 * the forward simulation (states NULL: it is vjp). With the same params, inputs and B as the
 * forward_keep call that filled states, vjp_kept's results are bit-identical to vjp's. */
#ifndef QNN_RT_CIRCUIT_H
#define QNN_RT_CIRCUIT_H

#include <stddef.h>
#include <stdint.h>

typedef void (*rt_forward_fn)(const void *params, const void *inputs, void *outputs,
                              int64_t n_samples, void *work);
typedef void (*rt_vjp_fn)(const void *params, const void *inputs, const void *grad_outputs,
                          void *grad_params, void *grad_inputs, int64_t n_samples, void *work);
typedef void (*rt_forward_keep_fn)(const void *params, const void *inputs, void *outputs,
                                   int64_t n_samples, void *work, void *states);
typedef void (*rt_vjp_kept_fn)(const void *params, const void *inputs, const void *grad_outputs,
                               void *grad_params, void *grad_inputs, int64_t n_samples,
                               void *work, const void *states);

/* Shots (docs/semantics.md section 9): a circuit compiled for shots measures "raw" outputs,
 * each a single Pauli product's expectation or a probability of a `probs` group, and the plan
 * says how the layer's outputs are estimated from their samples. Per raw output r: prob_first
 * [r] < 0 for a Pauli product (N shots of +-1: Binomial), else the first raw output of its
 * `probs` group of prob_size[r] outcomes (Multinomial). Per layer output k, kind EXPVAL:
 * offset[k] + sum over raw r in [first[k], first[k] + count[k]) of coef[r] * estimate(r);
 * VAR (count 1): coef[r]^2 * the sample variance of r's N outcomes with the N/(N-1)
 * correction; PROB (count 1): the observed frequency of raw output first[k]. */
typedef enum { RT_SHOTS_EXPVAL, RT_SHOTS_VAR, RT_SHOTS_PROB } rt_shots_kind;
typedef struct rt_shots_plan {
    int n_outputs, n_raw;
    const int *kind, *first, *count;   /* [n_outputs] */
    const double *offset;              /* [n_outputs] */
    const double *coef;                /* [n_raw] */
    const int *prob_first, *prob_size; /* [n_raw] */
} rt_shots_plan;

typedef struct rt_circuit {
    const char *name;
    int n_qubits, n_inputs, n_outputs, n_params;
    int precision;      /* 64 (double) or 32 (float) */
    int lanes;          /* samples simulated together; chunks that are multiples run fastest */
    size_t work_bytes;  /* scratch one concurrent call needs */
    rt_forward_fn forward;
    rt_vjp_fn vjp;
    /* NULL: outputs are exact expectations. Else n_outputs counts the RAW outputs that
     * forward and vjp use, and the layer's outputs are shots->n_outputs estimates; the vjp
     * is the parameter-shift one, whose shifted runs are sampled through rt_shots.h. */
    const rt_shots_plan *shots;
    /* the kept-state pair (see the top); all three 0 / NULL when the circuit has none */
    size_t state_bytes; /* one lane group's final state */
    rt_forward_keep_fn forward_keep;
    rt_vjp_kept_fn vjp_kept;
} rt_circuit;

#endif
