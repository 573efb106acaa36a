/* Finite-shot sampling (rt_shots.h): exact Binomial and Multinomial draws from counter-based
 * streams, the estimators of the three output kinds and the hooks of generated code. */
#include "rt_shots.h"

#include <math.h>
#include <stddef.h>

static uint64_t mix64(uint64_t z) { /* splitmix64's finaliser */
    z += 0x9e3779b97f4a7c15ull;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

uint64_t rt_shots_key(uint64_t seed, uint64_t layer, uint64_t call) {
    return mix64(mix64(mix64(seed ^ 0x5b07a11ull) ^ layer) ^ call);
}

/* log k! : summed below 20, Stirling's series above (its next term, 1/(1188 x^9), is below
 * 1e-15 there). A sum up to 255 made 256 shots slower than 4096. */
static double log_factorial(int64_t k) {
    if (k < 20) {
        double s = 0;
        for (int64_t i = 2; i <= k; i++)
            s += log((double)i);
        return s;
    }
    double x = (double)k + 1, ix = 1 / x, ix2 = ix * ix;
    return (x - 0.5) * log(x) - x + 0.91893853320467274178 +
           ix * (1.0 / 12 - ix2 * (1.0 / 360 - ix2 * (1.0 / 1260 - ix2 / 1680)));
}

/* Inversion started at the mode: the outcomes are visited mode, mode+1, mode-1, mode+2, ...
 * and each takes an interval of [0, 1) as long as its probability, so the draw is exact (up
 * to rounding) and costs O(sqrt(n p q)) steps instead of O(n). Small n: Bernoulli trials. */
int64_t rt_shots_binomial(rt_rng *r, int64_t n, double p) {
    if (n <= 0 || !(p > 0))
        return 0;
    if (p >= 1)
        return n;
    if (n < 16) {
        int64_t k = 0;
        for (int64_t i = 0; i < n; i++)
            k += rt_rng_uniform(r) < p;
        return k;
    }
    double q = 1 - p, pq = p / q, qp = q / p;
    int64_t m = (int64_t)floor((double)(n + 1) * p);
    if (m > n)
        m = n;
    double pm = exp(log_factorial(n) - log_factorial(m) - log_factorial(n - m) +
                    (double)m * log(p) + (double)(n - m) * log1p(-p));
    double u = rt_rng_uniform(r) - pm;
    if (u < 0)
        return m;
    double phi = pm, plo = pm;
    int64_t hi = m, lo = m;
    while (hi < n || lo > 0) {
        if (hi < n) {
            phi *= (double)(n - hi) / (double)(hi + 1) * pq;
            hi++;
            if ((u -= phi) < 0)
                return hi;
        }
        if (lo > 0) {
            plo *= (double)lo / (double)(n - lo + 1) * qp;
            lo--;
            if ((u -= plo) < 0)
                return lo;
        }
        if (phi < 1e-300 && plo < 1e-300)
            break; /* the rest of both tails is below rounding: u was within it */
    }
    return m;
}

static double clamp01(double v) { return v < 0 ? 0 : v > 1 ? 1 : v; }

void rt_shots_sample_raw(const rt_shots_plan *p, int64_t shots, uint64_t key, int64_t sample,
                         uint64_t sim, const double *exact, double *est) {
    rt_rng rng;
    rt_rng_seed(&rng, mix64(mix64(key ^ (uint64_t)sample) ^ sim));
    double inv = 1.0 / (double)shots;
    for (int r = 0; r < p->n_raw;) {
        if (p->prob_first[r] < 0) {
            int64_t k = rt_shots_binomial(&rng, shots, clamp01(0.5 * (1 + exact[r])));
            est[r] = (double)(2 * k - shots) * inv;
            r++;
            continue;
        }
        /* a probs group: conditional binomials over its outcomes, in order */
        int size = p->prob_size[r];
        double mass = 0;
        for (int i = 0; i < size; i++)
            mass += clamp01(exact[r + i]);
        int64_t left = shots;
        for (int i = 0; i < size; i++) {
            double pi = clamp01(exact[r + i]);
            int64_t k = i == size - 1 ? left : rt_shots_binomial(&rng, left, mass > 0 ? pi / mass : 0);
            left -= k;
            mass -= pi;
            est[r + i] = (double)k * inv;
        }
        r += size;
    }
}

/* The sample variance's N/(N-1); 1 for exact values (shots 0). */
static double bessel(int64_t shots) {
    return shots <= 0 ? 1 : shots > 1 ? (double)shots / (double)(shots - 1) : 0;
}

void rt_shots_outputs(const rt_shots_plan *p, int64_t shots, const double *est, double *out) {
    double bes = bessel(shots);
    for (int k = 0; k < p->n_outputs; k++) {
        int f = p->first[k];
        if (p->kind[k] == RT_SHOTS_EXPVAL) {
            double s = p->offset[k];
            for (int r = f; r < f + p->count[k]; r++)
                s += p->coef[r] * est[r];
            out[k] = s;
        } else if (p->kind[k] == RT_SHOTS_VAR) {
            out[k] = p->coef[f] * p->coef[f] * bes * (1 - est[f] * est[f]);
        } else {
            out[k] = est[f];
        }
    }
}

void rt_shots_raw_grad(const rt_shots_plan *p, int64_t shots, const double *est,
                       const double *gout, double *graw) {
    (void)shots;
    for (int r = 0; r < p->n_raw; r++)
        graw[r] = 0;
    for (int k = 0; k < p->n_outputs; k++) {
        int f = p->first[k];
        if (p->kind[k] == RT_SHOTS_EXPVAL)
            for (int r = f; r < f + p->count[k]; r++)
                graw[r] += gout[k] * p->coef[r];
        else if (p->kind[k] == RT_SHOTS_VAR)
            graw[f] += gout[k] * p->coef[f] * p->coef[f] * -2 * est[f];
        else
            graw[f] += gout[k];
    }
}

static _Thread_local rt_shots_ctx tls_ctx;
static _Thread_local int tls_set;

void rt_shots_set_context(const rt_shots_ctx *ctx) {
    tls_set = ctx != NULL;
    if (ctx)
        tls_ctx = *ctx;
}

/* One lane group's shifted run: the exact weighted sum without a context (a circuit called
 * outside a quantum layer with shots: `qnnc grad`, the Python package), else each lane from
 * its own N shots. */
#define SHOTS_SIM_BODY                                                                      \
    const rt_shots_plan *p = tls_set ? tls_ctx.plan : NULL;                                 \
    int sample = p && p->n_raw == n_raw && n_raw <= RT_SHOTS_MAX_RAW;                       \
    for (int64_t l = 0; l < lanes; l++) {                                                   \
        double s = 0;                                                                       \
        int any = 0;                                                                        \
        for (int r = 0; r < n_raw; r++)                                                     \
            any |= gout[r * lanes + l] != 0;                                                \
        if (any && !sample) {                                                               \
            for (int r = 0; r < n_raw; r++)                                                 \
                s += (double)gout[r * lanes + l] * (double)vals[r * lanes + l];             \
        } else if (any) { /* padding lanes (gout 0) draw nothing */                        \
            double ex[RT_SHOTS_MAX_RAW], est[RT_SHOTS_MAX_RAW];                             \
            for (int r = 0; r < n_raw; r++)                                                 \
                ex[r] = vals[r * lanes + l];                                                \
            rt_shots_sample_raw(p, tls_ctx.shots, tls_ctx.key, tls_ctx.first_sample + base + l, \
                                1 + 4 * (uint64_t)slot + (uint64_t)t, ex, est);             \
            for (int r = 0; r < n_raw; r++)                                                 \
                s += (double)gout[r * lanes + l] * est[r];                                  \
        }                                                                                   \
        res[l] = s;                                                                         \
    }

void qnn_shots_sim(const double *vals, const double *gout, int32_t n_raw, int32_t slot,
                   int32_t t, int64_t base, int64_t lanes, double *res) {
    SHOTS_SIM_BODY
}

void qnn_shots_simf(const float *vals, const float *gout, int32_t n_raw, int32_t slot,
                    int32_t t, int64_t base, int64_t lanes, float *res) {
    SHOTS_SIM_BODY
}
