/* rt_stats: the exact Wilcoxon signed-rank and sign tests of paired differences. */
#include "rt_stats.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "io_file.h"

static int cmp_abs(const void *a, const void *b) {
    double x = fabs(*(const double *)a), y = fabs(*(const double *)b);
    return x < y ? -1 : x > y;
}

/* Two-sided p from the two tails of a discrete null distribution. */
static double two_sided(double lower, double upper) {
    double p = 2.0 * (lower < upper ? lower : upper);
    return p > 1.0 ? 1.0 : p;
}

int rt_paired_tests(const double *d, int n_pairs, rt_paired_test *out, char *err, size_t errlen) {
    *out = (rt_paired_test){0, 0, 0, 0.0, 1.0, 1.0};
    if (n_pairs < 1 || n_pairs > RT_STATS_MAX_PAIRS) {
        io_errf(err, errlen, "paired test: %d pairs (1 to %d)", n_pairs, RT_STATS_MAX_PAIRS);
        return -1;
    }
    double v[RT_STATS_MAX_PAIRS];
    int n = 0;
    for (int i = 0; i < n_pairs; i++) {
        if (!isfinite(d[i])) {
            io_errf(err, errlen, "paired test: difference %d is not finite", i + 1);
            return -1;
        }
        if (d[i] == 0.0) out->n_zero++;
        else v[n++] = d[i];
    }
    out->n = n;
    if (n == 0) return 0;
    qsort(v, (size_t)n, sizeof *v, cmp_abs);
    /* doubled mid-ranks are integers: ranks i+1..j of a run of equal |d| average to (i+j+1)/2 */
    int rank2[RT_STATS_MAX_PAIRS], total2 = 0, w2 = 0;
    for (int i = 0; i < n;) {
        int j = i;
        while (j + 1 < n && fabs(v[j + 1]) == fabs(v[i])) j++;
        for (int k = i; k <= j; k++) rank2[k] = i + j + 2;
        i = j + 1;
    }
    for (int i = 0; i < n; i++) {
        total2 += rank2[i];
        if (v[i] > 0) {
            w2 += rank2[i];
            out->n_positive++;
        }
    }
    out->w_plus = w2 / 2.0;
    /* count[s]: sign patterns whose positive doubled ranks sum to s (a subset-sum count) */
    double *count = calloc((size_t)total2 + 1, sizeof *count);
    if (!count) {
        io_errf(err, errlen, "paired test: out of memory");
        return -1;
    }
    count[0] = 1.0;
    for (int i = 0, reach = 0; i < n; i++) {
        for (int s = reach; s >= 0; s--)
            if (count[s] != 0.0) count[s + rank2[i]] += count[s];
        reach += rank2[i];
    }
    double all = ldexp(1.0, n), lower = 0, upper = 0;
    for (int s = 0; s <= total2; s++) {
        if (s <= w2) lower += count[s];
        if (s >= w2) upper += count[s];
    }
    free(count);
    out->p_wilcoxon = two_sided(lower / all, upper / all);
    /* sign test: binomial(n, 1/2) tails of n_positive */
    double lo = 0, hi = 0, c = 1.0; /* c = C(n, k) */
    for (int k = 0; k <= n; k++) {
        if (k <= out->n_positive) lo += c;
        if (k >= out->n_positive) hi += c;
        c = c * (n - k) / (k + 1);
    }
    out->p_sign = two_sided(lo / all, hi / all);
    return 0;
}

void rt_paired_reading(const rt_paired_test *t, const char *self, const char *other, char *buf,
                       size_t n) {
    int worse = t->n - t->n_positive, pairs = t->n + t->n_zero;
    if (t->p_wilcoxon < 0.05 && t->n_positive > worse) snprintf(buf, n, "%s beats %s", self, other);
    else if (t->p_wilcoxon < 0.05 && worse > t->n_positive) snprintf(buf, n, "%s beats %s", other, self);
    else if (t->n_zero)
        snprintf(buf, n, "better in %d of %d seeds (%d equal), p = %.4g: no difference shown",
                 t->n_positive, pairs, t->n_zero, t->p_wilcoxon);
    else snprintf(buf, n, "better in %d of %d seeds, p = %.4g: no difference shown", t->n_positive,
                  pairs, t->p_wilcoxon);
}
