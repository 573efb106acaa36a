/* Runtime random numbers: xoshiro256** (Blackman & Vigna) seeded by splitmix64, Box-Muller. */
#include "rt_rng.h"

#include <math.h>

static uint64_t splitmix64(uint64_t *x) {
    uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static inline uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

void rt_rng_seed(rt_rng *r, uint64_t seed) {
    /* splitmix64 spreads any seed (0 included) over the state, which must not be all zero */
    uint64_t x = seed;
    for (int i = 0; i < 4; i++)
        r->s[i] = splitmix64(&x);
    r->spare = 0.0;
    r->has_spare = 0;
}

uint64_t rt_rng_u64(rt_rng *r) {
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

double rt_rng_uniform(rt_rng *r) {
    return (double)(rt_rng_u64(r) >> 11) * 0x1.0p-53;
}

double rt_rng_normal(rt_rng *r) {
    if (r->has_spare) {
        r->has_spare = 0;
        return r->spare;
    }
    /* 1 - u lies in (0, 1], so the log is finite */
    double u1 = 1.0 - rt_rng_uniform(r);
    double u2 = rt_rng_uniform(r);
    double rad = sqrt(-2.0 * log(u1));
    double th = 6.283185307179586 * u2;   /* 2 pi; M_PI is not in strict C11 */
    r->spare = rad * sin(th);
    r->has_spare = 1;
    return rad * cos(th);
}

void rt_init_fill(double *p, size_t n, rt_init spec, rt_rng *rng) {
    switch (spec.kind) {
    case RT_INIT_CONST:
        for (size_t i = 0; i < n; i++)
            p[i] = spec.a;
        break;
    case RT_INIT_UNIFORM:
        for (size_t i = 0; i < n; i++)
            p[i] = spec.a + (spec.b - spec.a) * rt_rng_uniform(rng);
        break;
    case RT_INIT_NORMAL:
        for (size_t i = 0; i < n; i++)
            p[i] = spec.a + spec.b * rt_rng_normal(rng);
        break;
    }
}
