/* rt_dist: data-parallel training over MPI (docs/runtime.md, "Several processes"). Under
 * `mpirun -np N`, every rank runs the same experiment; each training batch is split into N
 * contiguous slices, gradients and batch-norm statistics are summed across the ranks, so the
 * model is the same function and every rank holds the same weights and optimiser state; only
 * rank 0 writes files and prints progress. Without mpirun (or in a build without MPI, which
 * refuses to run under mpirun with more than one rank) there is one rank and every call here
 * is a no-op: the plain build and the plain run are unchanged. */
#ifndef QNN_RT_DIST_H
#define QNN_RT_DIST_H

#include <stddef.h>
#include <stdint.h>

/* Starts MPI on the first call when the process was started by mpirun (its environment
 * says so), else finds one rank. 0, or -1 with a message in err (a build without MPI
 * started as one of several ranks). */
int rt_dist_start(char *err, size_t errlen);

int rt_dist_size(void);   /* ranks: 1 outside mpirun */
int rt_dist_rank(void);   /* 0 .. size - 1 */
int rt_dist_active(void); /* MPI is running (also with one rank: the same summation order) */
int rt_dist_writer(void); /* the rank that writes outputs and prints: rank 0 */

/* v[0..n) summed over the ranks, in place, the same result on every rank. No-op when not
 * active. A failed collective stops every rank (rt_dist_abort); returns 0. */
int rt_dist_sum(double *v, size_t n);

/* 1 when every rank passed the same h (the experiment, the sizes, qnnc's version), else 0. */
int rt_dist_agree(uint64_t h);

/* Stops every rank: a rank that fails must not leave the others waiting in a collective.
 * Prints "qnn: rank R of N: MESSAGE; stopping all ranks" first. Returns only when not
 * active. */
void rt_dist_abort(const char *message);

/* The training batch is split across the ranks (set by the training loop around a batch's
 * forward and backward): batch norm then reduces its statistics. Evaluation is not split. */
void rt_dist_set_split(int on);
int rt_dist_split(void);

/* Where this rank's slice lies in the whole batch (set with the split by the training loop):
 * samples [lo, lo + its length) of total. Per-sample random draws (uniform() in a circuit)
 * follow the sample's place in the whole batch, so a run over N ranks draws what one process
 * draws. rt_dist_slice: 1 with *lo and *total set while the batch is split, else 0. */
void rt_dist_set_slice(size_t lo, size_t total);
int rt_dist_slice(size_t *lo, size_t *total);

/* Point-to-point messages of a few ints, for `mpirun -np N qnnc sweep`: rank 0 hands run
 * indices to workers that ask when free (docs/sweeps.md). rt_dist_recv_ints takes a message
 * from any rank and gives its sender in *from. A failed send or receive (a rank died) stops
 * every rank (rt_dist_abort). Only when active. */
void rt_dist_send_ints(int to, const int *v, int n);
void rt_dist_recv_ints(int *from, int *v, int n);

/* In a forked child, before exec: removes the launcher's variables, so that a `qnnc run`
 * started by one rank is a plain one-rank process and not a rank of the job. */
void rt_dist_child_env(void);

#endif
