/* rt_stats: paired tests over seeds for the tables that compare models (qnnc sweep's
 * sweep.md): the exact two-sided Wilcoxon signed-rank test and the exact sign test. Exact
 * means computed from the null distribution itself (every sign pattern equally likely),
 * not a normal approximation, so that the small numbers of seeds a table has are right. */
#ifndef QNN_RT_STATS_H
#define QNN_RT_STATS_H

#include <stddef.h>

enum { RT_STATS_MAX_PAIRS = 200 };

typedef struct {
    int n;           /* pairs with a nonzero difference (zeros are dropped, Wilcoxon 1945) */
    int n_zero;      /* pairs whose difference was exactly zero */
    int n_positive;  /* of the n, those with d > 0 */
    double w_plus;   /* sum of the ranks of |d| of the positive d (ties: mid-ranks) */
    double p_wilcoxon;  /* exact two-sided p; 1 when n == 0 */
    double p_sign;      /* exact two-sided binomial(n, 1/2) p of n_positive; 1 when n == 0 */
} rt_paired_test;

/* The tests of the differences d[0..n_pairs) (e.g. metric of model B minus model A, pair i
 * the same seed). Non-finite d are refused. Ties among |d| get their mean rank and the null
 * distribution is enumerated with those mid-ranks, so the p-value stays exact with ties.
 * Returns 0, or -1 (with the message) for n_pairs outside [1, RT_STATS_MAX_PAIRS], a
 * non-finite d, or no memory. */
int rt_paired_tests(const double *d, int n_pairs, rt_paired_test *out, char *err, size_t errlen);

/* What a table may say of test t of `self` against `other` (d > 0 where self did better), into
 * buf: "self beats other" or "other beats self" only where the Wilcoxon p is below 0.05, else
 * "better in k of n seeds (m equal), p = ...: no difference shown". One wording for every
 * table (qnnc sweep's, the comparison report's), so that none claims more than another. */
void rt_paired_reading(const rt_paired_test *t, const char *self, const char *other, char *buf,
                       size_t n);

#endif
