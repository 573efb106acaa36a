/* Tests of rt_disc: the forward pass against a numpy re-implementation (StyleGAN's minibatch
 * std written out in numpy), backward and the R1 penalty's parameter gradient against central
 * finite differences in float64, with and without minibatch std, and the refusals. */
#include "testutil.h"

#include "io_npy.h"
#include "rt_disc.h"
#include "rt_error.h"
#include "rt_rng.h"

#define PYTHON "/usr/bin/python3"

/* The reference, run by /usr/bin/python3 with numpy: reads p.npy (the flat parameters),
 * x.npy, cfg.npy (in_dim, G, hidden...), writes logits.npy. */
static const char *REF_PY =
    "import sys, numpy as np\n"
    "d = sys.argv[1]\n"
    "p = np.load(d + '/p.npy'); x = np.load(d + '/x.npy'); cfg = np.load(d + '/cfg.npy').astype(int)\n"
    "G = cfg[1]; widths = [cfg[0]] + list(cfg[2:])\n"
    "off = 0\n"
    "def take(shape):\n"
    "    global off\n"
    "    n = int(np.prod(shape)); a = p[off:off + n].reshape(shape); off += n; return a\n"
    "u = x\n"
    "for k in range(len(widths) - 1):\n"
    "    W = take((widths[k + 1], widths[k])); b = take((widths[k + 1],))\n"
    "    a = u @ W.T + b; u = np.where(a > 0, a, 0.2 * a)\n"
    "if G:\n"
    "    B, m = u.shape\n"
    "    y = u.reshape(B // G, G, m)\n"
    "    y = y - y.mean(axis=1, keepdims=True)\n"
    "    s = np.sqrt((y ** 2).mean(axis=1) + 1e-8).mean(axis=1)\n"
    "    u = np.concatenate([u, np.repeat(s, G)[:, None]], axis=1)\n"
    "W = take((1, u.shape[1])); b = take((1,))\n"
    "assert off == len(p)\n"
    "np.save(d + '/logits.npy', (u @ W.T + b)[:, 0])\n";

typedef struct {
    int in_dim, n_hidden, hidden[4], G, B;
} config;

static const config CONFIGS[] = {
    {5, 2, {7, 4}, 0, 6},
    {5, 2, {7, 4}, 2, 6},
    {6, 1, {9}, 3, 9},
    {4, 3, {6, 5, 3}, 4, 8},
    {3, 0, {0}, 3, 6},   /* no hidden layer: the std of the input itself */
    {3, 1, {5}, 1, 4},   /* groups of one: the std feature is the constant sqrt(eps) */
    {3, 0, {0}, 0, 2},
};
#define N_CONFIGS (sizeof CONFIGS / sizeof CONFIGS[0])

static rt_disc *make(const config *c, uint64_t seed) {
    rt_disc *d = rt_disc_new(c->in_dim, c->hidden, c->n_hidden, c->G, seed);
    assert_non_null(d);
    return d;
}

static double *random_x(const config *c, uint64_t seed) {
    rt_rng r;
    rt_rng_seed(&r, seed);
    double *x = malloc(sizeof(double) * (size_t)(c->B * c->in_dim));
    for (int i = 0; i < c->B * c->in_dim; i++) x[i] = 2 * rt_rng_uniform(&r) - 1;
    return x;
}

static void test_forward_against_numpy(void **state) {
    (void)state;
    if (access(PYTHON, X_OK) != 0) {
        fprintf(stderr, "note: %s not found: the numpy reference is skipped\n", PYTHON);
        skip();
    }
    char err[512];
    FILE *f = fopen(test_tmp_path("ref.py"), "w");
    fputs(REF_PY, f);
    fclose(f);
    for (size_t t = 0; t < N_CONFIGS; t++) {
        const config *c = &CONFIGS[t];
        rt_disc *d = make(c, 11 + t);
        /* bigger parameters than the initialisation, so that every layer matters */
        double *p = rt_disc_params(d);
        for (int i = 0; i < rt_disc_n_params(d); i++) p[i] *= 3;
        double *x = random_x(c, 100 + t), logits[16];
        assert_int_equal(rt_disc_forward(d, x, c->B, logits, err, sizeof err), 0);
        int64_t np_ = rt_disc_n_params(d), xs[2] = {c->B, c->in_dim}, nc = 2 + c->n_hidden;
        double cfg[6] = {c->in_dim, c->G};
        for (int k = 0; k < c->n_hidden; k++) cfg[2 + k] = c->hidden[k];
        assert_int_equal(io_npy_write(test_tmp_path("p.npy"), 1, &np_, p, 0, err, sizeof err), 0);
        assert_int_equal(io_npy_write(test_tmp_path("x.npy"), 2, xs, x, 0, err, sizeof err), 0);
        assert_int_equal(io_npy_write(test_tmp_path("cfg.npy"), 1, &nc, cfg, 0, err, sizeof err), 0);
        char cmd[1024];
        snprintf(cmd, sizeof cmd, "%s %s %s", PYTHON, test_tmp_path("ref.py"), test_tmpdir);
        assert_int_equal(system(cmd), 0);
        io_npy want;
        assert_int_equal(io_npy_read(test_tmp_path("logits.npy"), &want, err, sizeof err), 0);
        assert_int_equal(want.count, (size_t)c->B);
        for (int b = 0; b < c->B; b++) assert_close(logits[b], want.data[b], 1e-12);
        io_npy_free(&want);
        free(x);
        rt_disc_free(d);
    }
}

/* |a - b| within rel of the larger magnitude, plus the rounding floor of central differences:
 * about 1e-16 |f| / h = 1e-10 |f| for h = 1e-6 (f the function differenced). */
static void assert_rel(double analytic, double fd, double rel, double f, const char *what, int i) {
    double scale = fmax(fabs(analytic), fabs(fd)), floor_ = 1e-9 * fmax(1.0, fabs(f));
    if (!(fabs(analytic - fd) <= rel * scale + floor_))
        fail_msg("%s[%d]: analytic %.12g, finite differences %.12g (|f| %.3g)", what, i, analytic,
                 fd, fabs(f));
}

static double weighted_logits(rt_disc *d, const double *x, int B, const double *g) {
    double logits[16], s = 0;
    char err[256];
    assert_int_equal(rt_disc_forward(d, x, B, logits, err, sizeof err), 0);
    for (int b = 0; b < B; b++) s += g[b] * logits[b];
    return s;
}

static void test_backward_finite_differences(void **state) {
    (void)state;
    const double h = 1e-6;
    for (size_t t = 0; t < N_CONFIGS; t++) {
        const config *c = &CONFIGS[t];
        rt_disc *d = make(c, 21 + t);
        double *p = rt_disc_params(d);
        int np_ = rt_disc_n_params(d), nx = c->B * c->in_dim;
        assert_true(np_ > 0 && nx > 0);
        if (np_ <= 0 || nx <= 0) return;
        for (int i = 0; i < np_; i++) p[i] *= 3;
        double *x = random_x(c, 200 + t), g[16];
        for (int b = 0; b < c->B; b++) g[b] = 0.3 + 0.7 * b - 0.2 * b * b;
        double *gp = calloc((size_t)np_, sizeof(double)), *gx = malloc(sizeof(double) * (size_t)nx);
        char err[256];
        double logits[16];
        assert_int_equal(rt_disc_forward(d, x, c->B, logits, err, sizeof err), 0);
        for (int i = 0; i < np_; i++) gp[i] = 0.5;   /* accumulated into, not overwritten */
        rt_disc_backward(d, g, gp, gx);
        for (int i = 0; i < np_; i++) {
            double keep = p[i];
            p[i] = keep + h;
            double up = weighted_logits(d, x, c->B, g);
            p[i] = keep - h;
            double dn = weighted_logits(d, x, c->B, g);
            p[i] = keep;
            assert_rel(gp[i] - 0.5, (up - dn) / (2 * h), 1e-6, up, "dL/dparams", i);
        }
        for (int i = 0; i < nx; i++) {
            double keep = x[i];
            x[i] = keep + h;
            double up = weighted_logits(d, x, c->B, g);
            x[i] = keep - h;
            double dn = weighted_logits(d, x, c->B, g);
            x[i] = keep;
            assert_rel(gx[i], (up - dn) / (2 * h), 1e-6, up, "dL/dx", i);
        }
        free(gp);
        free(gx);
        free(x);
        rt_disc_free(d);
    }
}

static double r1_only(rt_disc *d, const double *x, int B, double *scratch) {
    memset(scratch, 0, sizeof(double) * (size_t)rt_disc_n_params(d));
    return rt_disc_r1(d, x, B, 1.0, scratch);
}

static void test_r1_finite_differences(void **state) {
    (void)state;
    const double h = 1e-6;
    for (size_t t = 0; t < N_CONFIGS; t++) {
        const config *c = &CONFIGS[t];
        rt_disc *d = make(c, 31 + t);
        double *p = rt_disc_params(d);
        int np_ = rt_disc_n_params(d), nx = c->B * c->in_dim;
        assert_true(np_ > 0 && nx > 0);
        if (np_ <= 0 || nx <= 0) return;
        for (int i = 0; i < np_; i++) p[i] *= 3;
        double *x = random_x(c, 300 + t);
        double *gp = calloc((size_t)np_, sizeof(double)), *scratch = malloc(sizeof(double) * (size_t)np_);
        double *gx = malloc(sizeof(double) * (size_t)nx), ones[16];
        /* R against the input gradient of sum_b logit_b from backward (another code path) */
        char err[256];
        double logits[16];
        for (int b = 0; b < c->B; b++) ones[b] = 1;
        assert_int_equal(rt_disc_forward(d, x, c->B, logits, err, sizeof err), 0);
        rt_disc_backward(d, ones, scratch, gx);
        double want = 0;
        for (int i = 0; i < nx; i++) want += gx[i] * gx[i];
        want /= c->B;
        const double scale = 2.5;
        double R = rt_disc_r1(d, x, c->B, scale, gp);
        assert_close(R, want, 1e-13);
        assert_true(R > 0);
        for (int i = 0; i < np_; i++) {
            double keep = p[i];
            p[i] = keep + h;
            double up = r1_only(d, x, c->B, scratch);
            p[i] = keep - h;
            double dn = r1_only(d, x, c->B, scratch);
            p[i] = keep;
            assert_rel(gp[i], scale * (up - dn) / (2 * h), 1e-6, scale * up, "dR1/dparams", i);
        }
        free(gp);
        free(scratch);
        free(gx);
        free(x);
        rt_disc_free(d);
    }
}

/* Without mbstd R1 is a per-sample quantity: a batch is the mean of its samples' penalties. */
static void test_r1_per_sample_without_mbstd(void **state) {
    (void)state;
    const config *c = &CONFIGS[0];
    rt_disc *d = make(c, 5);
    double *x = random_x(c, 6), *scratch = calloc((size_t)rt_disc_n_params(d), sizeof(double));
    double all = rt_disc_r1(d, x, c->B, 1.0, scratch), sum = 0;
    for (int b = 0; b < c->B; b++) sum += rt_disc_r1(d, x + b * c->in_dim, 1, 1.0, scratch);
    assert_close(all, sum / c->B, 1e-13);
    free(scratch);
    free(x);
    rt_disc_free(d);
}

static void test_tensors_and_init(void **state) {
    (void)state;
    int hidden[2] = {7, 4};
    rt_disc *d = rt_disc_new(5, hidden, 2, 2, 9);
    assert_int_equal(rt_disc_n_tensors(d), 6);
    const char *want[6] = {"l0.weight", "l0.bias", "l1.weight", "l1.bias", "out.weight", "out.bias"};
    int64_t shapes[6][2] = {{7, 5}, {7, 0}, {4, 7}, {4, 0}, {1, 5}, {1, 0}};
    int at = 0;
    for (int t = 0; t < 6; t++) {
        int off, size;
        int64_t shape[2];
        assert_string_equal(rt_disc_param_name(d, t, &off, &size), want[t]);
        int nd = rt_disc_param_shape(d, t, shape);
        assert_int_equal(nd, t % 2 ? 1 : 2);
        assert_int_equal(shape[0], shapes[t][0]);
        if (nd == 2) assert_int_equal(shape[1], shapes[t][1]);
        assert_int_equal(off, at);
        assert_int_equal(size, nd == 2 ? shape[0] * shape[1] : shape[0]);
        /* PyTorch's Linear bound 1/sqrt(fan_in), fan_in 5, 7, and 4 + 1 (the std feature) */
        double fan_in = t < 2 ? 5 : t < 4 ? 7 : 5, bound = 1 / sqrt(fan_in), mx = 0;
        for (int i = off; i < off + size; i++) mx = fmax(mx, fabs(rt_disc_params(d)[i]));
        assert_true(mx <= bound);
        if (size >= 20) assert_true(mx > 0.7 * bound);
        at += size;
    }
    assert_int_equal(at, rt_disc_n_params(d));
    assert_null(rt_disc_param_name(d, 6, NULL, NULL));
    assert_null(rt_disc_param_name(d, -1, NULL, NULL));
    assert_int_equal(rt_disc_param_shape(d, 6, (int64_t[2]){0}), 0);
    /* the same seed gives the same parameters, another seed others */
    rt_disc *e = rt_disc_new(5, hidden, 2, 2, 9), *f = rt_disc_new(5, hidden, 2, 2, 10);
    assert_memory_equal(rt_disc_params(d), rt_disc_params(e), sizeof(double) * (size_t)at);
    assert_true(memcmp(rt_disc_params(d), rt_disc_params(f), sizeof(double) * (size_t)at) != 0);
    rt_disc_free(e);
    rt_disc_free(f);
    rt_disc_free(d);
    rt_disc_free(NULL);
}

static void test_refusals(void **state) {
    (void)state;
    int hidden[2] = {7, 0};
    assert_null(rt_disc_new(0, hidden, 1, 0, 1));
    assert_null(rt_disc_new(5, hidden, 2, 0, 1));
    assert_non_null(strstr(rt_error_last(), "hidden layer 1 has width 0"));
    assert_null(rt_disc_new(5, hidden, -1, 0, 1));
    assert_null(rt_disc_new(5, hidden, RT_DISC_MAX_HIDDEN + 1, 0, 1));
    assert_null(rt_disc_new(5, hidden, 1, -2, 1));
    rt_disc *d = rt_disc_new(5, hidden, 1, 4, 1);
    double x[5 * 6] = {0}, logits[6];
    char err[256];
    assert_int_equal(rt_disc_forward(d, x, 6, logits, err, sizeof err), -1);
    assert_non_null(strstr(err, "a batch of 6 samples is not a multiple of the minibatch-std group size 4"));
    assert_int_equal(rt_disc_forward(d, x, 0, logits, err, sizeof err), -1);
    double *gp = calloc((size_t)rt_disc_n_params(d), sizeof(double));
    assert_true(isnan(rt_disc_r1(d, x, 6, 1.0, gp)));
    assert_non_null(strstr(rt_error_last(), "not a multiple"));
    for (int i = 0; i < rt_disc_n_params(d); i++) assert_true(gp[i] == 0);
    /* a multiple works, and a batch larger than before reallocates */
    assert_int_equal(rt_disc_forward(d, x, 4, logits, err, sizeof err), 0);
    free(gp);
    rt_disc_free(d);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_forward_against_numpy),
        cmocka_unit_test(test_backward_finite_differences),
        cmocka_unit_test(test_r1_finite_differences),
        cmocka_unit_test(test_r1_per_sample_without_mbstd),
        cmocka_unit_test(test_tensors_and_init),
        cmocka_unit_test(test_refusals),
    };
    return cmocka_run_group_tests(tests, test_tmp_setup, test_tmp_teardown);
}
