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

int rt_class_of(const double *x, int k, double threshold) {
    if (k == 1) return x[0] > threshold;
    int best = 0;
    for (int j = 1; j < k; j++)
        if (x[j] > x[best]) best = j;
    return best;
}

double rt_metric_accuracy(const double *pred, const double *target, size_t batch, int k,
                          long *confusion) {
    int c = k > 1 ? k : 2;
    if (confusion)
        for (int i = 0; i < c * c; i++) confusion[i] = 0;
    size_t right = 0;
    for (size_t b = 0; b < batch; b++) {
        int p = rt_class_of(pred + b * (size_t)k, k, 0.0);
        /* a target of exactly 0.5 counts as class 1, as a logit of exactly 0 counts as 0 */
        int t = k == 1 ? target[b] >= 0.5 : rt_class_of(target + b * (size_t)k, k, 0.0);
        right += p == t;
        if (confusion) confusion[t * c + p]++;
    }
    return batch ? (double)right / (double)batch : NAN;
}
