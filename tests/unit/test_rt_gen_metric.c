/* Tests of rt_gen_metric: the Fréchet distance against numpy (by another route: the trace of
 * the square root as the sum of square roots of the eigenvalues of S_a S_b, numpy.linalg.eigvals)
 * and against closed forms; the feature net on scikit-learn's digits (held-out accuracy, the
 * cache and its refusals); the real-vs-real floor against the distance to noise images. */
#include "testutil.h"

#include <time.h>

#include "io_npy.h"
#include "io_safetensors.h"
#include "rt_gen_metric.h"
#include "rt_rng.h"

#define PYTHON "/usr/bin/python3"
#define DEBIAN_DIGITS "/usr/lib/python3/dist-packages/sklearn/datasets/data/digits.csv.gz"

static const char *REF_PY =
    "import sys, numpy as np\n"
    "d = sys.argv[1]\n"
    "a = np.load(d + '/a.npy'); b = np.load(d + '/b.npy')\n"
    "Sa = np.atleast_2d(np.cov(a, rowvar=False)); Sb = np.atleast_2d(np.cov(b, rowvar=False))\n"
    "ev = np.linalg.eigvals(Sa @ Sb)\n"
    "assert np.all(np.abs(ev.imag) < 1e-9 * np.abs(ev).max()) and np.all(ev.real > 0)\n"
    "fd = ((a.mean(0) - b.mean(0)) ** 2).sum() + np.trace(Sa) + np.trace(Sb) - 2 * np.sqrt(ev.real).sum()\n"
    "k = lambda x, y: (x @ y.T / x.shape[1] + 1) ** 3\n"
    "na, nb = len(a), len(b); kaa = k(a, a); kbb = k(b, b)\n"
    "kid = (kaa.sum() - np.trace(kaa)) / (na * (na - 1)) + (kbb.sum() - np.trace(kbb)) / (nb * (nb - 1)) - 2 * k(a, b).mean()\n"
    "np.save(d + '/fd.npy', np.array([fd, kid]))\n";

/* n x d points: mu + z A with z uniform in [-1, 1], A a random d x d matrix. */
static double *random_set(int n, int d, double shift, uint64_t seed) {
    rt_rng r;
    rt_rng_seed(&r, seed);
    double *A = malloc(sizeof(double) * (size_t)(d * d)), *x = calloc((size_t)(n * d), sizeof(double));
    for (int i = 0; i < d * d; i++) A[i] = rt_rng_normal(&r);
    for (int i = 0; i < n; i++) {
        for (int k = 0; k < d; k++) {
            double z = 2 * rt_rng_uniform(&r) - 1;
            for (int j = 0; j < d; j++) x[i * d + j] += z * A[k * d + j];
        }
        for (int j = 0; j < d; j++) x[i * d + j] += shift * (j + 1);
    }
    free(A);
    return x;
}

static void test_frechet_against_numpy(void **state) {
    (void)state;
    if (access(PYTHON, X_OK) != 0) {
        fprintf(stderr, "note: %s not found: the numpy reference is skipped\n", PYTHON);
        skip();
    }
    FILE *f = fopen(test_tmp_path("fd.py"), "w");
    fputs(REF_PY, f);
    fclose(f);
    const int cases[][3] = {{50, 40, 6}, {30, 90, 3}, {200, 150, 12}, {12, 15, 1}};
    for (int c = 0; c < 4; c++) {
        int na = cases[c][0], nb = cases[c][1], d = cases[c][2];
        double *a = random_set(na, d, 0, 10 + c), *b = random_set(nb, d, 0.3, 20 + c), fd;
        char err[512];
        assert_int_equal(rt_frechet_distance(a, na, b, nb, d, &fd, err, sizeof err), 0);
        int64_t sa[2] = {na, d}, sb[2] = {nb, d};
        assert_int_equal(io_npy_write(test_tmp_path("a.npy"), 2, sa, a, 0, err, sizeof err), 0);
        assert_int_equal(io_npy_write(test_tmp_path("b.npy"), 2, sb, b, 0, err, sizeof err), 0);
        char cmd[1024];
        snprintf(cmd, sizeof cmd, "%s %s %s", PYTHON, test_tmp_path("fd.py"), test_tmpdir);
        assert_int_equal(system(cmd), 0);
        io_npy want;
        assert_int_equal(io_npy_read(test_tmp_path("fd.npy"), &want, err, sizeof err), 0);
        assert_true(fd > 0.01);
        assert_close(fd, want.data[0], 1e-9);
        double kid;
        assert_int_equal(rt_kid(a, na, b, nb, d, &kid, err, sizeof err), 0);
        assert_true(fabs(kid) > 1e-3);
        assert_close(kid, want.data[1], 1e-9);
        io_npy_free(&want);
        free(a);
        free(b);
    }
}

static void test_frechet_closed_forms(void **state) {
    (void)state;
    char err[512];
    /* equal sets: 0 */
    double *a = random_set(80, 10, 0.5, 3), fd;
    assert_int_equal(rt_frechet_distance(a, 80, a, 80, 10, &fd, err, sizeof err), 0);
    assert_true(fabs(fd) < 1e-9);
    free(a);
    /* Gaussians with diagonal covariances: |dmu|^2 + sum (sqrt(va) - sqrt(vb))^2. The sets
     * mu +- c s_i e_i (2d points) have mean mu and covariance diag(2 c^2 s_i^2 / (2d - 1))
     * exactly; c^2 = (2d - 1) / 2 makes it diag(s_i^2). */
    enum { D = 5 };
    double mua[D] = {0.1, -2, 3, 0, 1}, mub[D] = {1, 1, -1, 0.5, 1};
    double sa[D] = {1, 2, 0.5, 3, 0.1}, sb[D] = {2, 0.3, 0.5, 1, 4};
    double xa[2 * D * D], xb[2 * D * D], c = sqrt((2.0 * D - 1) / 2), want = 0;
    for (int i = 0; i < D; i++) {
        for (int j = 0; j < D; j++) {
            xa[(2 * i) * D + j] = xa[(2 * i + 1) * D + j] = mua[j];
            xb[(2 * i) * D + j] = xb[(2 * i + 1) * D + j] = mub[j];
        }
        xa[(2 * i) * D + i] += c * sa[i], xa[(2 * i + 1) * D + i] -= c * sa[i];
        xb[(2 * i) * D + i] += c * sb[i], xb[(2 * i + 1) * D + i] -= c * sb[i];
        want += (mua[i] - mub[i]) * (mua[i] - mub[i]) + (sa[i] - sb[i]) * (sa[i] - sb[i]);
    }
    assert_int_equal(rt_frechet_distance(xa, 2 * D, xb, 2 * D, D, &fd, err, sizeof err), 0);
    assert_close(fd, want, 1e-12);
    /* symmetric in its arguments */
    double fd2;
    assert_int_equal(rt_frechet_distance(xb, 2 * D, xa, 2 * D, D, &fd2, err, sizeof err), 0);
    assert_close(fd2, want, 1e-12);
    /* a rank-deficient set (fewer points than dimensions) still gives a finite distance */
    double *r = random_set(4, 9, 0, 8), *s = random_set(30, 9, 0, 9);
    assert_int_equal(rt_frechet_distance(r, 4, s, 30, 9, &fd, err, sizeof err), 0);
    assert_true(isfinite(fd) && fd > 0);
    free(r);
    free(s);
    /* refusals */
    assert_int_equal(rt_frechet_distance(xa, 1, xb, 2 * D, D, &fd, err, sizeof err), -1);
    assert_non_null(strstr(err, "each set needs 2 or more"));
    assert_int_equal(rt_frechet_distance(xa, 2, xb, 2, 0, &fd, err, sizeof err), -1);
    xb[7] = NAN;
    assert_int_equal(rt_frechet_distance(xa, 2 * D, xb, 2 * D, D, &fd, err, sizeof err), -1);
    assert_non_null(strstr(err, "value 7 of the second set is not finite"));
}

static rt_imageset digits;

static int load_digits(void) {
    if (digits.pix) return 1;
    if (access(DEBIAN_DIGITS, R_OK) != 0) {
        fprintf(stderr, "note: %s not found (python3-sklearn): skipped\n", DEBIAN_DIGITS);
        return 0;
    }
    char err[512];
    assert_int_equal(rt_imageset_load(DEBIAN_DIGITS, &digits, err, sizeof err), 0);
    return 1;
}

static double seconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + 1e-9 * t.tv_nsec;
}

static void test_feature_net_and_cache(void **state) {
    (void)state;
    if (!load_digits()) skip();
    char err[512];
    const char *cache = test_tmp_path("sub/featnet.safetensors");
    double t0 = seconds();
    rt_feature_net *f = rt_feature_net_get(&digits, cache, 1, err, sizeof err);
    double t1 = seconds();
    if (!f) fail_msg("%s", err);
    fprintf(stderr, "note: feature net trained in %.2f s, held-out accuracy %.4f\n", t1 - t0,
            rt_feature_net_accuracy(f));
    assert_false(rt_feature_net_from_cache(f));
    assert_int_equal(rt_feature_net_dim(f), 64);
    assert_true(rt_feature_net_accuracy(f) > 0.9);
    double *fa = malloc(sizeof(double) * 10 * 64), *fb = malloc(sizeof(double) * 10 * 64);
    rt_feature_net_features(f, digits.pix, 10, fa);
    /* the cache: reloaded as it was */
    rt_feature_net *g = rt_feature_net_get(&digits, cache, 1, err, sizeof err);
    assert_non_null(g);
    assert_true(rt_feature_net_from_cache(g));
    assert_true(rt_feature_net_accuracy(g) == rt_feature_net_accuracy(f));
    rt_feature_net_features(g, digits.pix, 10, fb);
    assert_memory_equal(fa, fb, sizeof(double) * 10 * 64);
    rt_feature_net_free(g);
    /* another seed: retrained and the cache replaced */
    g = rt_feature_net_get(&digits, cache, 2, err, sizeof err);
    assert_non_null(g);
    assert_false(rt_feature_net_from_cache(g));
    rt_feature_net_free(g);
    g = rt_feature_net_get(&digits, cache, 2, err, sizeof err);
    assert_true(rt_feature_net_from_cache(g));
    rt_feature_net_free(g);
    /* another set (one pixel changed): retrained */
    digits.pix[5] = digits.pix[5] > 0.5 ? 0 : 1;
    g = rt_feature_net_get(&digits, cache, 2, err, sizeof err);
    digits.pix[5] = digits.pix[5] > 0.5 ? 0 : 1;   /* both values were 0 or 1 away from 0.5 */
    assert_non_null(g);
    assert_false(rt_feature_net_from_cache(g));
    rt_feature_net_free(g);
    /* a corrupt cache is refused, naming it */
    const char *bad = test_tmp_path("bad.safetensors");
    FILE *fp = fopen(bad, "wb");
    fputs("not a cache", fp);
    fclose(fp);
    assert_null(rt_feature_net_get(&digits, bad, 1, err, sizeof err));
    assert_non_null(strstr(err, bad));
    /* a safetensors file that is not a feature-net cache (a checkpoint, say) is refused too */
    double one = 1;
    io_tensor t = {"w", IO_ST_F64, 0, {0}, &one};
    assert_int_equal(io_st_write(bad, &t, 1, NULL, NULL, 0, err, sizeof err), 0);
    assert_null(rt_feature_net_get(&digits, bad, 1, err, sizeof err));
    assert_non_null(strstr(err, "not a feature-net cache"));
    /* a set without labels has no feature net */
    rt_imageset nolab = digits;
    nolab.labels = NULL;
    assert_null(rt_feature_net_get(&nolab, NULL, 1, err, sizeof err));
    assert_non_null(strstr(err, "no labels"));
    free(fa);
    free(fb);
    rt_feature_net_free(f);
}

static void test_floor_below_noise(void **state) {
    (void)state;
    if (!load_digits()) skip();
    char err[512];
    rt_feature_net *f = rt_feature_net_get(&digits, test_tmp_path("featnet.safetensors"), 1, err,
                                           sizeof err);
    assert_non_null(f);
    rt_gen_distance floor_, noise, blank;
    assert_int_equal(rt_gen_distance_floor(f, &digits, 7, &floor_, err, sizeof err), 0);
    int n = digits.n / 2;
    double *img = malloc(sizeof(double) * (size_t)n * 64);
    rt_rng r;
    rt_rng_seed(&r, 3);
    for (int i = 0; i < n * 64; i++) img[i] = rt_rng_uniform(&r);
    assert_int_equal(rt_gen_distance_of(f, &digits, img, n, &noise, err, sizeof err), 0);
    /* images of constant grey 0.3 plus a little noise (a collapsed generator) */
    for (int i = 0; i < n * 64; i++) img[i] = 0.3 + 0.01 * rt_rng_uniform(&r);
    assert_int_equal(rt_gen_distance_of(f, &digits, img, n, &blank, err, sizeof err), 0);
    fprintf(stderr, "note: floor features %.4g pixels %.4g; noise %.4g %.4g; grey %.4g %.4g\n",
            floor_.fd_features, floor_.fd_pixels, noise.fd_features, noise.fd_pixels,
            blank.fd_features, blank.fd_pixels);
    assert_true(floor_.fd_features >= 0 && floor_.fd_pixels > 0);
    assert_true(10 * floor_.fd_features < noise.fd_features && 10 * floor_.fd_pixels < noise.fd_pixels);
    assert_true(10 * floor_.fd_features < blank.fd_features && 10 * floor_.fd_pixels < blank.fd_pixels);
    fprintf(stderr, "note: KID floor features %.4g pixels %.4g; noise %.4g %.4g\n",
            floor_.kid_features, floor_.kid_pixels, noise.kid_features, noise.kid_pixels);
    assert_true(fabs(floor_.kid_features) * 10 < noise.kid_features);
    assert_true(fabs(floor_.kid_pixels) * 10 < noise.kid_pixels);
    /* the real set itself, half of it: near the floor */
    rt_gen_distance half;
    assert_int_equal(rt_gen_distance_of(f, &digits, digits.pix, n, &half, err, sizeof err), 0);
    assert_true(half.fd_features < noise.fd_features / 10);
    /* without a feature net: pixels only */
    assert_int_equal(rt_gen_distance_floor(NULL, &digits, 7, &half, err, sizeof err), 0);
    assert_true(isnan(half.fd_features) && isnan(half.kid_features));
    assert_true(half.fd_pixels == floor_.fd_pixels);
    /* a net of another image size is refused */
    rt_imageset other = digits;
    other.w = 4;
    other.n = 2 * digits.n;
    assert_int_equal(rt_gen_distance_of(f, &other, img, n, &half, err, sizeof err), -1);
    assert_non_null(strstr(err, "made for images of 64 values, the real set has 32"));
    free(img);
    rt_feature_net_free(f);
}

static int teardown(void **state) {
    rt_imageset_free(&digits);
    return test_tmp_teardown(state);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_frechet_against_numpy),
        cmocka_unit_test(test_frechet_closed_forms),
        cmocka_unit_test(test_feature_net_and_cache),
        cmocka_unit_test(test_floor_below_noise),
    };
    return cmocka_run_group_tests(tests, test_tmp_setup, teardown);
}
