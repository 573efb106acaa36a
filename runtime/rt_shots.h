/* rt_shots: finite-shot estimates of a circuit's outputs (docs/semantics.md section 9).
 *
 * A circuit compiled for shots (rt_circuit.shots != NULL) returns the exact expectation of
 * each of its raw outputs (single Pauli products, probabilities of `probs` groups); this
 * module draws what N measurements of each would give and combines them into the layer's
 * outputs. Every draw comes from a counter-based stream: the generator of one (layer call,
 * batch element, simulation) is seeded from a hash of those numbers, so estimates do not
 * depend on the thread count, the chunk size or the order in which chunks run.
 *
 * The parameter-shift vjp of such a circuit estimates each shifted simulation from its own
 * N shots: generated code calls qnn_shots_sim / qnn_shots_simf (cg.h's CG_RUNTIME_SYMBOLS)
 * with the shifted run's exact raw values, and those read the calling thread's context
 * (rt_shots_set_context), which the quantum layer sets around each vjp call. */
#ifndef QNN_RT_SHOTS_H
#define QNN_RT_SHOTS_H

#include <stdint.h>

#include "rt_circuit.h"
#include "rt_rng.h"

enum { RT_SHOTS_MAX_RAW = 4096 }; /* raw outputs of one circuit (stack buffers per lane) */

/* The stream of one layer call: the experiment seed, the layer's index in the model and the
 * layer's forward-call count (epoch x batches + batch, evaluation calls included). */
uint64_t rt_shots_key(uint64_t seed, uint64_t layer, uint64_t call);

/* One sample's raw estimates: est[r] is the mean of N +-1 outcomes of Pauli product r
 * (Binomial(N, (1 + exact[r]) / 2)), or the observed frequency of outcome r of its `probs`
 * group (Multinomial(N, exact[group])). `sample` is the batch element, `sim` the simulation
 * (0: the forward; 1 + 4 slot + t: shifted run t of angle slot in the vjp). */
void rt_shots_sample_raw(const rt_shots_plan *p, int64_t shots, uint64_t key, int64_t sample,
                         uint64_t sim, const double *exact, double *est);

/* The layer's outputs out[p->n_outputs] from one sample's raw estimates (shots 0: from the
 * exact values, a variance then without the N/(N-1)). */
void rt_shots_outputs(const rt_shots_plan *p, int64_t shots, const double *est, double *out);

/* dL/d(raw estimate) graw[p->n_raw] from dL/d(output) gout and the forward's estimates m:
 * expectations and probabilities linearly, a variance as dVar = -2 coef^2 m d<P>. That is
 * not the derivative of the N/(N-1) estimator (which would be N/(N-1) times larger on
 * average) but unbiased for dVar: m and the shifted runs' d<P> come from independent shots. */
void rt_shots_raw_grad(const rt_shots_plan *p, int64_t shots, const double *est,
                       const double *gout, double *graw);

/* Binomial(n, prob) and the exact draw used above (exposed for the tests). */
int64_t rt_shots_binomial(rt_rng *r, int64_t n, double prob);

/* The calling thread's context for the hooks below: plan, shots, key, and first_sample, the
 * batch index of the vjp call's sample 0. NULL clears it (then the hooks are exact). */
typedef struct rt_shots_ctx {
    const rt_shots_plan *plan;
    int64_t shots;
    uint64_t key;
    int64_t first_sample;
} rt_shots_ctx;
void rt_shots_set_context(const rt_shots_ctx *ctx);

/* Called by generated code once per shifted simulation of a lane group: vals[r * lanes + l]
 * is raw output r's exact value in lane l, gout[r * lanes + l] its output gradient; res[l] =
 * sum_r gout * estimate (the N-shot estimate of lane l's sample, base + l in the call). Without
 * a context for a plan of n_raw outputs: the exact sum_r gout * vals. */
void qnn_shots_sim(const double *vals, const double *gout, int32_t n_raw, int32_t slot,
                   int32_t t, int64_t base, int64_t lanes, double *res);
void qnn_shots_simf(const float *vals, const float *gout, int32_t n_raw, int32_t slot,
                    int32_t t, int64_t base, int64_t lanes, float *res);

#endif
