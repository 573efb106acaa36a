/* Runtime random numbers: one seeded xoshiro256** generator (seeded through splitmix64) with
 * Box-Muller normals, and fills of parameter slices (uniform / normal / constant).
 * Reproducible bit for bit for a given seed and call sequence on one platform (normals also
 * need the same libm for log/sin/cos). It does NOT reproduce PyTorch's generator stream:
 * initial weights match PyTorch in distribution, not in value. */
#ifndef QNN_RT_RNG_H
#define QNN_RT_RNG_H

#include <stddef.h>
#include <stdint.h>

/* Plain value: copy it to fork a stream, embed it anywhere; not shared between threads. */
typedef struct rt_rng {
    uint64_t s[4];
    double spare;       /* Box-Muller's second normal, used by the next call */
    int has_spare;
} rt_rng;

void rt_rng_seed(rt_rng *r, uint64_t seed);
uint64_t rt_rng_u64(rt_rng *r);
/* Uniform in [0, 1) with 53 random bits. */
double rt_rng_uniform(rt_rng *r);
/* Standard normal N(0, 1). */
double rt_rng_normal(rt_rng *r);

/* How to fill a parameter slice: CONST a; UNIFORM in [a, b); NORMAL mean a, std b. */
typedef enum { RT_INIT_CONST, RT_INIT_UNIFORM, RT_INIT_NORMAL } rt_init_kind;
typedef struct rt_init {
    rt_init_kind kind;
    double a, b;
} rt_init;

static inline rt_init rt_init_const(double v) { return (rt_init){RT_INIT_CONST, v, 0.0}; }
static inline rt_init rt_init_uniform(double lo, double hi) { return (rt_init){RT_INIT_UNIFORM, lo, hi}; }
static inline rt_init rt_init_normal(double mean, double std) { return (rt_init){RT_INIT_NORMAL, mean, std}; }

/* Fills p[0..n) in order (element 0 draws first); rng may be NULL only for RT_INIT_CONST. */
void rt_init_fill(double *p, size_t n, rt_init spec, rt_rng *rng);

#endif
