/* Runtime metrics: plain reductions in double. */
#include "rt_metrics.h"

#include <math.h>

double rt_metric_mse(const double *a, const double *b, size_t n) {
    double s = 0.0;
    for (size_t i = 0; i < n; i++)
        s += (a[i] - b[i]) * (a[i] - b[i]);
    return n ? s / (double)n : 0.0;
}

double rt_metric_psnr(double mse, double range) {
    return mse > 0.0 ? 10.0 * log10(range * range / mse) : INFINITY;
}

double rt_metric_rel_error(const double *a, const double *b, size_t n) {
    double num = 0.0, den = 0.0;
    for (size_t i = 0; i < n; i++) {
        num += (a[i] - b[i]) * (a[i] - b[i]);
        den += b[i] * b[i];
    }
    if (den == 0.0)
        return num == 0.0 ? 0.0 : INFINITY;
    return sqrt(num / den);
}

int rt_all_finite(const double *x, size_t n, size_t *first_bad) {
    for (size_t i = 0; i < n; i++)
        if (!isfinite(x[i])) {
            if (first_bad)
                *first_bad = i;
            return 0;
        }
    return 1;
}
