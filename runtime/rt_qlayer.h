/* Runtime quantum layer: wraps a compiled circuit (rt_circuit.h) as a layer whose parameters
 * are the circuit's. n_in = circuit n_inputs, n_out = circuit n_outputs.
 *
 * Forward and backward split the batch into chunks of `chunk` samples (a multiple of the
 * circuit's lanes) and run them through the thread pool; each thread has its own work buffer
 * (circuit work_bytes) and each chunk its own parameter-gradient buffer, summed in chunk order
 * at the end. Results therefore depend on the chunk size but never on the number of threads:
 * a pool of any size gives bit-identical outputs and gradients.
 *
 * Precision 32 circuits receive float copies of the parameters, inputs and output gradients
 * and return float outputs and gradients, converted back to double here (chunk gradients are
 * summed in double). All classical layers stay float64. */
#ifndef QNN_RT_QLAYER_H
#define QNN_RT_QLAYER_H

#include <stddef.h>
#include <stdint.h>

#include "rt_circuit.h"
#include "rt_layer.h"
#include "rt_pool.h"
#include "rt_rng.h"

/* One named slice of the circuit's parameter vector and how to initialise it (the QIREN
 * reference: "weights1", "weights2", uniform in [0, 2 pi)). */
typedef struct rt_qtensor {
    const char *name;
    size_t count;
    rt_init init;
} rt_qtensor;

/* The counts must add up to circuit->n_params; slices are filled in order from rng (which may
 * be NULL if every init is constant). The circuit and the pool are borrowed and must outlive
 * the layer; pool may be NULL (single-threaded). NULL on failure (rt_error). */
rt_layer *rt_qlayer_create(const rt_circuit *circuit, rt_pool *pool, int n_tensors,
                           const rt_qtensor *tensors, rt_rng *rng);

/* The same for a circuit whose last n_uniform inputs are uniform() draws (docs/semantics.md
 * §10.3): the layer takes n_inputs - n_uniform inputs, and every forward draws the rest, per
 * sample, uniform in [0, 1) from a stream seeded from rng (so rng may not be NULL); the
 * backward uses the latest forward's draws. */
rt_layer *rt_qlayer_create_drawing(const rt_circuit *circuit, rt_pool *pool, int n_tensors,
                                   const rt_qtensor *tensors, rt_rng *rng, int n_uniform);

/* Sets the chunk size (samples per circuit call; a positive multiple of lanes) before the
 * next reserve. Default: the smallest multiple of lanes that is at least 32. 0 or -1. */
int rt_qlayer_set_chunk(rt_layer *l, int samples);
int rt_qlayer_chunk(const rt_layer *l);   /* 0 if l is not a quantum layer */

/* Kept states (rt_circuit.h: forward_keep, vjp_kept): when the circuit has the pair, each
 * forward keeps every lane group's final state, and the next backward with the same inputs
 * and parameters starts its vjp from them instead of re-running the forward simulation (the
 * same bits; about a fifth of a training step's quantum time). The states of the largest
 * batch take (batch / lanes) x circuit->state_bytes; above max_bytes (default
 * RT_QLAYER_KEEP_STATES_DEFAULT per layer) none are kept and the vjp recomputes. 0 turns it
 * off. Takes effect at the next reserve. 0 or -1 (not a quantum layer). */
#define RT_QLAYER_KEEP_STATES_DEFAULT ((size_t)128 << 20)
int rt_qlayer_set_keep_states(rt_layer *l, size_t max_bytes);
/* Bytes of kept states reserved now (0: none, the vjp recomputes). */
size_t rt_qlayer_kept_bytes(const rt_layer *l);

/* Shots (docs/semantics.md section 9): with a circuit compiled for shots (circuit->shots),
 * every output is estimated from `shots` samples per batch element (0: exact), drawn from
 * streams keyed by seed, layer_id, the layer's forward-call count and the batch element, so
 * the same seed gives the same outputs whatever the thread count or chunk size. The backward
 * pass is the circuit's parameter-shift vjp, each shifted run sampled anew. A circuit without
 * a plan is refused for shots > 0. 0 or -1 (rt_error). */
int rt_qlayer_set_shots(rt_layer *l, int shots, uint64_t seed, uint64_t layer_id);

/* Monte-Carlo trajectories (`simulation = trajectories`, docs/semantics.md §10.4): every
 * output is the mean over k runs of the circuit per sample, each with its own fresh draws
 * (row b * k + t of the circuit's batch is sample b's trajectory t; the draws come from the
 * layer's one stream in that order, so they do not depend on the thread count). The backward
 * is the mean of the k runs' vjps, an unbiased gradient of the mean. A circuit without draws
 * runs once (its k runs would be equal). Not with shots. 0 or -1 (rt_error). */
int rt_qlayer_set_trajectories(rt_layer *l, int k);

/* The standard errors of the trajectory means, sqrt(s^2 / k) with s^2 the sample variance over
 * the k runs, of every output of every sample since the last reset: their mean and maximum
 * and how many there were (0: none, or not a trajectory layer). reset starts anew. */
typedef struct {
    double mean, max;
    long long count;
    int k; /* the layer's trajectories, 0 if none */
} rt_qlayer_traj_stats;
rt_qlayer_traj_stats rt_qlayer_trajectory_stats(rt_layer *l, int reset);

#endif
