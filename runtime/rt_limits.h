/* rt_limits: the one table of limits that `qnnc check` (compiler/sema_exp.c), `--set` in
 * native binaries (rt_settings.c) and the runtime all apply, so that check refuses what a run
 * would refuse; and the memory estimate a run is measured against before it allocates
 * (state vectors x threads, activations, data), compared with the memory available.
 * The numbers are macros (no link dependency: the front end includes this header alone). */
#ifndef QNN_RT_LIMITS_H
#define QNN_RT_LIMITS_H

#include <math.h>
#include <stddef.h>
#include <stdio.h>

#include "io_image.h"
#include "io_sound.h"
#include "rt_circuit.h"
#include "rt_schema.h"
#include "rt_spec.h"

#define RT_LIMIT_EPOCHS     10000000
#define RT_LIMIT_LOG_EVERY  10000000
#define RT_LIMIT_SEED       2147483647LL
#define RT_LIMIT_BATCH      (1 << 30)
#define RT_LIMIT_SHOTS      (1 << 30)
#define RT_LIMIT_TRAJECTORIES (1 << 16) /* `trajectories`: runs of a circuit per sample */
#define RT_DEFAULT_TRAJECTORIES 100   /* ... when `simulation = trajectories` does not say */
#define RT_LIMIT_THREADS    1024      /* threads = 0 means all cores */
#define RT_LIMIT_CSV_COLUMNS 64
/* An image experiment trains and evaluates on side x side grids, which are read and written
 * as images: the side is bounded by io_image's pixel limit (8192 x 8192 = IO_IMAGE_MAX_PIXELS). */
#define RT_LIMIT_IMAGE_SIZE 8192
/* A sound slice [start, stop) lies inside a file io_sound can read. */
#define RT_LIMIT_SOUND_FRAMES IO_SOUND_MAX_SAMPLES

/* Density matrices (`simulation = density_matrix`): 16 * 4^n bytes per copy, and the adjoint
 * keeps one copy per channel besides three working ones. A register whose one copy would
 * exceed RT_LIMIT_DM_BYTES (1 GiB: 13 qubits) is refused with the number. */
#define RT_LIMIT_DM_BYTES   (1024.0 * 1024 * 1024)
static inline double rt_dm_bytes(int n_qubits) { return 16.0 * (double)(1ULL << (2 * n_qubits)); }
static inline double rt_sv_bytes(int n_qubits) { return 16.0 * (double)(1ULL << n_qubits); }

/* Evaluation grids of sound (points) and the command line's --grid before the data kind is
 * known; image grids are further bounded by RT_LIMIT_IMAGE_SIZE. */
#define RT_LIMIT_GRID       16384
_Static_assert((long long)RT_LIMIT_IMAGE_SIZE * RT_LIMIT_IMAGE_SIZE <= (long long)IO_IMAGE_MAX_PIXELS &&
                   RT_LIMIT_IMAGE_SIZE <= IO_IMAGE_MAX_SIDE,
               "an image grid must be something io_image can read and write");

/* The optimiser's, the schedule's and the loss's values of x against their bounds in the
 * constructors table (rt_schema.h), as `check` and a native binary's --set apply them: 0, or
 * -1 with the message in buf and the argument at fault ("lr", "betas", "eps",
 * "weight_decay", "momentum", "min_lr", "delta") in *param. */
static inline int rt_limits_optimizer(const rt_experiment *x, const char **param, char *buf, size_t n) {
    const char *ctor;
    return rt_schema_check_fields(x, &ctor, param, buf, n);
}

/* An image's value range [lo, hi]: finite and not empty (PSNR divides by hi - lo). */
static inline int rt_limits_range(double lo, double hi, char *buf, size_t n) {
    if (isfinite(lo) && isfinite(hi) && lo != hi) return 0;
    return snprintf(buf, n, "`range` [%g, %g] must be two different finite numbers", lo, hi), -1;
}

/* An evaluation grid of `side` points per side for data of kind `data`: an image's grid is an
 * image, so at most RT_LIMIT_IMAGE_SIZE per side (beyond the constructors table's bound for
 * every kind). 0, or -1 with the message in buf: `check` and a native binary's --set say the same. */
static inline int rt_limits_eval_grid(int data, long long side, char *buf, size_t n) {
    if (data != RT_DATA_IMAGE || side <= RT_LIMIT_IMAGE_SIZE) return 0;
    return snprintf(buf, n, "evaluation grid size must be between 1 and %d (an image of that many "
                            "points per side)", RT_LIMIT_IMAGE_SIZE), -1;
}

/* Memory this process may still use, in bytes: the least of /proc/meminfo's MemAvailable,
 * the address-space and data limits (ulimit -v, -d) and the cgroup's memory.max less its
 * usage. 0 when none of them is known. */
double rt_mem_available(void);

/* "15.6 GB", "310.0 MB", "95.7 TB": decimal units, one decimal. */
void rt_format_bytes(double bytes, char *buf, size_t n);

/* The memory of x's model, in bytes (8-byte reals, as the runtime trains in double):
 * trainable parameters and their gradients, the optimiser's state (Adam two moments per
 * parameter, SGD one, as rt_optim allocates it even when momentum is 0), buffers that are not trained (batch-norm
 * running mean and variance, rff's fixed B), and per point the activations kept for backward
 * (every layer's output and its gradient, as rt_model_build sizes them). A quantum layer's
 * state vector is scratch per thread, not per point: state_vector is the largest one. */
typedef struct {
    long long n_params;        /* trainable */
    double params, grads, optimizer, buffers;
    double activations_per_point;
    double state_vector;       /* 16 * 2^n (f64) or 8 * 2^n (f32) of the widest circuit */
    int widest_qubits;
} rt_model_memory;

/* n_params: the model's trainable parameters (sema's count); qubits[k]: circuit k's width
 * (NULL: none known). */
void rt_model_memory_of(const rt_experiment *x, long long n_params, const int *qubits,
                        rt_model_memory *m);

/* What a run of x will allocate, by part, in bytes. */
typedef struct {
    double circuits;      /* state vectors and scratch: work_bytes x threads per circuit */
    double activations;   /* per layer, values and gradients for the largest batch */
    double data;          /* training points, evaluation grid and target, batch copies */
    double total;
    int threads;          /* the thread count the estimate assumes */
    size_t max_batch, n_train, n_eval;
    int big_qubits;       /* the widest circuit, and its name */
    const char *big_circuit;
} rt_mem_estimate;

/* The estimate for x with circuits[k] (NULL entries are skipped), `threads` threads and
 * n_train training points (0: worked out from the data spec where it can be, i.e. images and
 * sound slices with a stop), evaluated on `grid` (0: the experiment's). */
void rt_memory_estimate(const rt_experiment *x, const rt_circuit *const *circuits, int threads,
                        size_t n_train, int grid, rt_mem_estimate *e);

/* 0 when e->total fits in the memory available (or that is unknown); else -1 with one line:
 * the figure, what is available, and the setting to change for the largest part. */
int rt_memory_check(const rt_mem_estimate *e, char *err, size_t errlen);

/* The same for bytes that a lower layer is about to allocate (rt_model_build): what is the
 * named part, the hint what to change. */
int rt_memory_check_bytes(double bytes, const char *what, const char *hint, char *err,
                          size_t errlen);

#endif
