/* Tests of rt_stats' exact paired tests against hand-computed values (n = 5 all positive:
 * Wilcoxon and sign p = 2/32; 5 of 6 positive with ranks 1..5 positive: Wilcoxon
 * p = 2 * 14/64, since 14 of the 64 subsets of 1..6 sum to 6 or less; sign p = 2 * 7/64)
 * and against an independent brute force over all 2^n sign patterns with mid-ranks computed
 * the slow way (ties and zeros included). python3 here has no scipy. */
#include "testutil.h"

#include <math.h>

#include "rt_stats.h"

static rt_paired_test tests_of(const double *d, int n) {
    rt_paired_test t;
    char err[256];
    if (rt_paired_tests(d, n, &t, err, sizeof err)) fail_msg("%s", err);
    return t;
}

static void test_hand_computed(void **state) {
    (void)state;
    double up[5] = {0.1, 0.3, 0.2, 0.5, 0.4};
    rt_paired_test t = tests_of(up, 5);
    assert_int_equal(t.n, 5);
    assert_int_equal(t.n_positive, 5);
    assert_true(t.w_plus == 15);
    assert_true(fabs(t.p_wilcoxon - 0.0625) < 1e-15);
    assert_true(fabs(t.p_sign - 0.0625) < 1e-15);
    double down[5] = {-1, -2, -3, -4, -5};
    t = tests_of(down, 5);
    assert_int_equal(t.n_positive, 0);
    assert_true(fabs(t.p_wilcoxon - 0.0625) < 1e-15);
    double mixed[6] = {1, 2, 3, 4, 5, -6};
    t = tests_of(mixed, 6);
    assert_true(t.w_plus == 15);
    assert_true(fabs(t.p_wilcoxon - 28.0 / 64) < 1e-15);
    assert_true(fabs(t.p_sign - 14.0 / 64) < 1e-15);
    /* zeros dropped: the same as the five positives */
    double zeros[7] = {0.1, 0, 0.3, 0.2, 0, 0.5, 0.4};
    t = tests_of(zeros, 7);
    assert_int_equal(t.n, 5);
    assert_int_equal(t.n_zero, 2);
    assert_true(fabs(t.p_wilcoxon - 0.0625) < 1e-15);
    /* ten all positive: 2/1024, below 0.05 */
    double ten[10] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
    t = tests_of(ten, 10);
    assert_true(fabs(t.p_wilcoxon - 2.0 / 1024) < 1e-15);
    assert_true(fabs(t.p_sign - 2.0 / 1024) < 1e-15);
    /* all zero: nothing to test, p = 1 */
    double none[3] = {0, 0, 0};
    t = tests_of(none, 3);
    assert_int_equal(t.n, 0);
    assert_true(t.p_wilcoxon == 1 && t.p_sign == 1);
}

/* The independent reference: mid-ranks by counting, then every sign pattern. */
static void brute(const double *d, int n, double *pw, double *ps) {
    double a[16], r[16];
    int m = 0;
    for (int i = 0; i < n; i++)
        if (d[i] != 0) a[m++] = d[i];
    double w = 0;
    int kpos = 0;
    for (int i = 0; i < m; i++) {
        int less = 0, eq = 0;
        for (int j = 0; j < m; j++) {
            less += fabs(a[j]) < fabs(a[i]);
            eq += fabs(a[j]) == fabs(a[i]);
        }
        r[i] = less + (eq + 1) / 2.0;
        if (a[i] > 0) { w += r[i]; kpos++; }
    }
    double lo = 0, hi = 0, slo = 0, shi = 0;
    for (unsigned mask = 0; mask < (1u << m); mask++) {
        double s = 0;
        int k = 0;
        for (int i = 0; i < m; i++)
            if (mask >> i & 1) { s += r[i]; k++; }
        lo += s <= w + 1e-9;
        hi += s >= w - 1e-9;
        slo += k <= kpos;
        shi += k >= kpos;
    }
    double all = (double)(1u << m);
    *pw = fmin(1.0, 2 * fmin(lo, hi) / all);
    *ps = fmin(1.0, 2 * fmin(slo, shi) / all);
}

static void test_against_brute_force(void **state) {
    (void)state;
    unsigned long long x = 12345;
    for (int trial = 0; trial < 300; trial++) {
        int n = 1 + trial % 14;
        double d[16];
        for (int i = 0; i < n; i++) {
            x = x * 6364136223846793005ull + 1442695040888963407ull;
            int v = (int)(x >> 59) - 16; /* small integers: ties and zeros are common */
            d[i] = v * 0.25;
        }
        double pw, ps;
        brute(d, n, &pw, &ps);
        rt_paired_test t = tests_of(d, n);
        assert_true(fabs(t.p_wilcoxon - pw) < 1e-12);
        assert_true(fabs(t.p_sign - ps) < 1e-12);
    }
}

static void test_refused(void **state) {
    (void)state;
    rt_paired_test t;
    char err[256];
    double d[2] = {1, NAN};
    assert_int_equal(rt_paired_tests(d, 2, &t, err, sizeof err), -1);
    assert_non_null(strstr(err, "not finite"));
    assert_int_equal(rt_paired_tests(d, 0, &t, err, sizeof err), -1);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hand_computed), cmocka_unit_test(test_against_brute_force),
        cmocka_unit_test(test_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
