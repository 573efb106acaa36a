/* Tests of the GAN generator's layers (issue 18): rt_mapping (StyleGAN2's mapping network) and
 * rt_modlin (INR-GAN's modulated 1x1 layer, hidden with demodulation and output without). The
 * forward passes against a numpy re-implementation written from the reference's formulas; the
 * backward passes (parameters, style / latent inputs, input features) against central finite
 * differences in float64; initialisation, tensor tables and refusals. */
#include "testutil.h"

#include "io_npy.h"
#include "rt_error.h"
#include "rt_mapping.h"
#include "rt_modlin.h"
#include "rt_rng.h"

#define PYTHON "/usr/bin/python3"

/* The numpy reference: argv[1] folder, argv[2] "mapping" or "modlin". Reads p.npy, cfg.npy and
 * the inputs, writes out.npy. Written from the formulas of INR-GAN's fmm_modulate_linear and
 * StyleGAN2's MappingNetwork / FullyConnectedLayer, not from rt_modlin.c / rt_mapping.c. */
static const char *REF_PY =
    "import sys, numpy as np\n"
    "d, kind = sys.argv[1], sys.argv[2]\n"
    "p = np.load(d + '/p.npy'); cfg = np.load(d + '/cfg.npy')\n"
    "off = 0\n"
    "def take(shape):\n"
    "    global off\n"
    "    n = int(np.prod(shape)); a = p[off:off + n].reshape(shape); off += n; return a\n"
    "lrelu = lambda a: np.sqrt(2) * np.where(a > 0, a, 0.2 * a)\n"
    "if kind == 'mapping':\n"
    "    zd, wd, n, lr = int(cfg[0]), int(cfg[1]), int(cfg[2]), cfg[3]\n"
    "    z = np.load(d + '/z.npy')\n"
    "    u = z * (np.mean(z ** 2, axis=1, keepdims=True) + 1e-8) ** -0.5\n"
    "    for k in range(n):\n"
    "        fi = zd if k == 0 else wd\n"
    "        W = take((wd, fi)) * lr / np.sqrt(fi); b = take((wd,)) * lr\n"
    "        u = lrelu(u @ W.T + b)\n"
    "    out = u\n"
    "else:\n"
    "    ci, co, wd, r, hidden = (int(c) for c in cfg)\n"
    "    x = np.load(d + '/x.npy'); w = np.load(d + '/w.npy')\n"
    "    B, P = w.shape[0], x.shape[0] // w.shape[0]\n"
    "    x = x.reshape(B, P, ci)\n"
    "    A = take(((ci + co) * r, wd)); a = take(((ci + co) * r,))\n"
    "    W = take((co, ci)); bias = take((co,))\n"
    "    s = w @ A.T / np.sqrt(wd) + a\n"
    "    L = s[:, :co * r].reshape(B, co, r); R = s[:, co * r:].reshape(B, r, ci)\n"
    "    Wm = W[None] * (L @ R / np.sqrt(r) + 1.0)\n"
    "    if hidden: Wm = Wm / (np.linalg.norm(Wm, axis=2, keepdims=True) + 1e-8)\n"
    "    else: Wm = Wm / np.sqrt(ci)\n"
    "    y = np.einsum('boi,bpi->bpo', Wm, x) + bias\n"
    "    out = lrelu(y) if hidden else y\n"
    "assert off == len(p)\n"
    "np.save(d + '/out.npy', out.reshape(-1))\n";

static void fill_uniform(double *v, int n, double scale, uint64_t seed) {
    rt_rng r;
    rt_rng_seed(&r, seed);
    for (int i = 0; i < n; i++) v[i] = scale * (2 * rt_rng_uniform(&r) - 1);
}

static void save(const char *name, const double *v, int n) {
    char err[256];
    int64_t shape = n;
    assert_int_equal(io_npy_write(test_tmp_path(name), 1, &shape, v, 0, err, sizeof err), 0);
}

/* Runs the reference and compares its out.npy with got[0..n). */
static void compare_with_numpy(const char *kind, const double *got, int n) {
    char cmd[1024], err[256];
    snprintf(cmd, sizeof cmd, "%s %s %s %s", PYTHON, test_tmp_path("ref.py"), test_tmpdir, kind);
    assert_int_equal(system(cmd), 0);
    io_npy want;
    assert_int_equal(io_npy_read(test_tmp_path("out.npy"), &want, err, sizeof err), 0);
    assert_int_equal(want.count, (size_t)n);
    for (int i = 0; i < n; i++) assert_close(got[i], want.data[i], 1e-12);
    io_npy_free(&want);
}

static int have_python(void) {
    if (access(PYTHON, X_OK) != 0) {
        fprintf(stderr, "note: %s not found: the numpy reference is skipped\n", PYTHON);
        return 0;
    }
    FILE *f = fopen(test_tmp_path("ref.py"), "w");
    assert_non_null(f);
    fputs(REF_PY, f);
    fclose(f);
    return 1;
}

/* |a - b| within rel of the larger magnitude plus central differences' rounding floor. */
static void assert_rel(double analytic, double fd, double rel, double f, const char *what, int i) {
    double scale = fmax(fabs(analytic), fabs(fd)), floor_ = 1e-9 * fmax(1.0, fabs(f));
    if (!(fabs(analytic - fd) <= rel * scale + floor_))
        fail_msg("%s[%d]: analytic %.12g, finite differences %.12g (|f| %.3g)", what, i, analytic,
                 fd, fabs(f));
}

/* ---- mapping network ---- */

typedef struct {
    int z_dim, w_dim, n, B;
    double lr_mul;
} map_config;

static const map_config MAPS[] = {
    {5, 4, 3, 3, 0.01}, {3, 6, 1, 2, 1.0}, {4, 4, 2, 1, 0.5},
};
#define N_MAPS (sizeof MAPS / sizeof MAPS[0])

/* Stored parameters of every scale, so that all layers and both slopes of leaky ReLU matter:
 * the effective weights are stored * lr_mul / sqrt(fan_in). */
static void spread_mapping(rt_mapping *m, const map_config *c, uint64_t seed) {
    double *p = rt_mapping_params(m);
    fill_uniform(p, rt_mapping_n_params(m), 2.0 / c->lr_mul, seed);
}

static void test_mapping_against_numpy(void **state) {
    (void)state;
    if (!have_python()) skip();
    char err[256];
    for (size_t t = 0; t < N_MAPS; t++) {
        const map_config *c = &MAPS[t];
        rt_mapping *m = rt_mapping_new(c->z_dim, c->w_dim, c->n, c->lr_mul, 3 + t);
        assert_non_null(m);
        spread_mapping(m, c, 40 + t);
        double z[64], w[64], cfg[4] = {c->z_dim, c->w_dim, c->n, c->lr_mul};
        fill_uniform(z, c->B * c->z_dim, 1.5, 50 + t);
        assert_int_equal(rt_mapping_forward(m, z, c->B, w, err, sizeof err), 0);
        save("p.npy", rt_mapping_params(m), rt_mapping_n_params(m));
        save("cfg.npy", cfg, 4);
        int64_t zs[2] = {c->B, c->z_dim};
        assert_int_equal(io_npy_write(test_tmp_path("z.npy"), 2, zs, z, 0, err, sizeof err), 0);
        compare_with_numpy("mapping", w, c->B * c->w_dim);
        rt_mapping_free(m);
    }
}

static double mapping_loss(rt_mapping *m, const double *z, int B, const double *g, int nw) {
    double w[64], s = 0;
    char err[256];
    assert_int_equal(rt_mapping_forward(m, z, B, w, err, sizeof err), 0);
    for (int i = 0; i < nw; i++) s += g[i] * w[i];
    return s;
}

static void test_mapping_finite_differences(void **state) {
    (void)state;
    for (size_t t = 0; t < N_MAPS; t++) {
        const map_config *c = &MAPS[t];
        rt_mapping *m = rt_mapping_new(c->z_dim, c->w_dim, c->n, c->lr_mul, 7 + t);
        spread_mapping(m, c, 60 + t);
        int np_ = rt_mapping_n_params(m), nz = c->B * c->z_dim, nw = c->B * c->w_dim;
        double *p = rt_mapping_params(m), z[64], g[64], w[64], gz[64];
        fill_uniform(z, nz, 1.5, 70 + t);
        fill_uniform(g, nw, 1.0, 80 + t);
        double *gp = malloc(sizeof(double) * (size_t)np_);
        for (int i = 0; i < np_; i++) gp[i] = 0.25;   /* accumulated into, not overwritten */
        char err[256];
        assert_int_equal(rt_mapping_forward(m, z, c->B, w, err, sizeof err), 0);
        rt_mapping_backward(m, g, gp, gz);
        /* the step scales with the stored values (1/lr_mul) */
        double h = 1e-6 / c->lr_mul;
        for (int i = 0; i < np_; i++) {
            double keep = p[i];
            p[i] = keep + h;
            double up = mapping_loss(m, z, c->B, g, nw);
            p[i] = keep - h;
            double dn = mapping_loss(m, z, c->B, g, nw);
            p[i] = keep;
            assert_rel(gp[i] - 0.25, (up - dn) / (2 * h), 1e-6, up, "mapping dL/dparams", i);
        }
        for (int i = 0; i < nz; i++) {
            double keep = z[i];
            z[i] = keep + 1e-6;
            double up = mapping_loss(m, z, c->B, g, nw);
            z[i] = keep - 1e-6;
            double dn = mapping_loss(m, z, c->B, g, nw);
            z[i] = keep;
            assert_rel(gz[i], (up - dn) / 2e-6, 1e-6, up, "mapping dL/dz", i);
        }
        /* without grad_z the parameter gradient is the same */
        double *gp2 = calloc((size_t)np_, sizeof(double));
        assert_int_equal(rt_mapping_forward(m, z, c->B, w, err, sizeof err), 0);
        rt_mapping_backward(m, g, gp2, NULL);
        for (int i = 0; i < np_; i++) assert_close(gp2[i], gp[i] - 0.25, 1e-12);
        free(gp2);
        free(gp);
        rt_mapping_free(m);
    }
}

static void test_mapping_init_and_tensors(void **state) {
    (void)state;
    rt_mapping *m = rt_mapping_new(32, 48, 3, 0.01, 5);
    assert_non_null(m);
    assert_int_equal(rt_mapping_n_params(m), 48 * 32 + 48 + 2 * (48 * 48 + 48));
    assert_int_equal(rt_mapping_n_tensors(m), 6);
    int at = 0, off, size;
    const double *p = rt_mapping_params(m);
    for (int t = 0; t < 6; t++) {
        const char *name = rt_mapping_param_name(m, t, &off, &size);
        assert_non_null(name);
        assert_int_equal(off, at);
        char want[24];
        snprintf(want, sizeof want, "fc%d.%s", t / 2, t % 2 ? "bias" : "weight");
        assert_string_equal(name, want);
        double s2 = 0;
        for (int i = 0; i < size; i++) s2 += p[off + i] * p[off + i];
        if (t % 2) assert_true(s2 == 0);   /* biases start at 0 */
        else assert_close(sqrt(s2 / size), 100.0, 0.06);   /* N(0, 1/lr_mul^2) */
        at += size;
    }
    assert_int_equal(at, rt_mapping_n_params(m));
    assert_null(rt_mapping_param_name(m, 6, NULL, NULL));
    /* the effective output at initialisation is O(1): equalised learning rate */
    double z[8 * 32], w[8 * 48], s2 = 0;
    char err[256];
    rt_rng r;
    rt_rng_seed(&r, 9);
    for (int i = 0; i < 8 * 32; i++) z[i] = rt_rng_normal(&r);
    assert_int_equal(rt_mapping_forward(m, z, 8, w, err, sizeof err), 0);
    for (int i = 0; i < 8 * 48; i++) s2 += w[i] * w[i];
    assert_true(s2 / (8 * 48) > 0.1 && s2 / (8 * 48) < 10);
    rt_mapping_free(m);
    rt_mapping_free(NULL);
}

/* ---- modulated layer ---- */

typedef struct {
    int c_in, c_out, w_dim, rank, B, P;
    rt_modlin_kind kind;
} mod_config;

static const mod_config MODS[] = {
    {3, 4, 5, 2, 2, 3, RT_MODLIN_HIDDEN},
    {4, 2, 3, 1, 3, 2, RT_MODLIN_HIDDEN},
    {3, 1, 4, 3, 2, 4, RT_MODLIN_OUTPUT},   /* the image's one channel */
    {2, 3, 2, 2, 1, 1, RT_MODLIN_OUTPUT},
};
#define N_MODS (sizeof MODS / sizeof MODS[0])

static rt_modlin *make_mod(const mod_config *c, uint64_t seed) {
    rt_modlin *l = rt_modlin_new(c->c_in, c->c_out, c->w_dim, c->rank, c->kind, seed);
    assert_non_null(l);
    /* non-zero biases (they start at 0), so that their gradients and offsets matter */
    double *p = rt_modlin_params(l);
    int off, size;
    for (int t = 1; t <= 3; t += 2) {
        rt_modlin_param_name(l, t, &off, &size);
        fill_uniform(p + off, size, 0.5, seed * 10 + (uint64_t)t);
    }
    return l;
}

static void test_modlin_against_numpy(void **state) {
    (void)state;
    if (!have_python()) skip();
    char err[256];
    for (size_t t = 0; t < N_MODS; t++) {
        const mod_config *c = &MODS[t];
        rt_modlin *l = make_mod(c, 11 + t);
        int nx = c->B * c->P * c->c_in, ny = c->B * c->P * c->c_out;
        double x[128], w[64], y[128];
        fill_uniform(x, nx, 1.0, 90 + t);
        fill_uniform(w, c->B * c->w_dim, 1.5, 95 + t);
        assert_int_equal(rt_modlin_forward(l, x, w, c->B, c->P, y, err, sizeof err), 0);
        double cfg[5] = {c->c_in, c->c_out, c->w_dim, c->rank, c->kind == RT_MODLIN_HIDDEN};
        save("p.npy", rt_modlin_params(l), rt_modlin_n_params(l));
        save("cfg.npy", cfg, 5);
        int64_t xs[2] = {c->B * c->P, c->c_in}, ws[2] = {c->B, c->w_dim};
        assert_int_equal(io_npy_write(test_tmp_path("x.npy"), 2, xs, x, 0, err, sizeof err), 0);
        assert_int_equal(io_npy_write(test_tmp_path("w.npy"), 2, ws, w, 0, err, sizeof err), 0);
        compare_with_numpy("modlin", y, ny);
        rt_modlin_free(l);
    }
}

static double modlin_loss(rt_modlin *l, const mod_config *c, const double *x, const double *w,
                          const double *g) {
    double y[128], s = 0;
    char err[256];
    assert_int_equal(rt_modlin_forward(l, x, w, c->B, c->P, y, err, sizeof err), 0);
    for (int i = 0; i < c->B * c->P * c->c_out; i++) s += g[i] * y[i];
    return s;
}

/* Central differences of modlin_loss in v[i], compared with the analytic value. */
static void check_fd(rt_modlin *l, const mod_config *c, double *x, double *w, const double *g,
                     double *v, int n, const double *analytic, double offset, const char *what) {
    const double h = 1e-6;
    for (int i = 0; i < n; i++) {
        double keep = v[i];
        v[i] = keep + h;
        double up = modlin_loss(l, c, x, w, g);
        v[i] = keep - h;
        double dn = modlin_loss(l, c, x, w, g);
        v[i] = keep;
        assert_rel(analytic[i] - offset, (up - dn) / (2 * h), 1e-6, up, what, i);
    }
}

static void test_modlin_finite_differences(void **state) {
    (void)state;
    char err[256];
    for (size_t t = 0; t < N_MODS; t++) {
        const mod_config *c = &MODS[t];
        rt_modlin *l = make_mod(c, 21 + t);
        int np_ = rt_modlin_n_params(l), nx = c->B * c->P * c->c_in, nw = c->B * c->w_dim;
        double x[128], w[64], g[128], y[128], gx[128], gw[64];
        fill_uniform(x, nx, 1.0, 100 + t);
        fill_uniform(w, nw, 1.5, 110 + t);
        fill_uniform(g, c->B * c->P * c->c_out, 1.0, 120 + t);
        double *gp = malloc(sizeof(double) * (size_t)np_);
        for (int i = 0; i < np_; i++) gp[i] = -0.5;   /* accumulated into */
        assert_int_equal(rt_modlin_forward(l, x, w, c->B, c->P, y, err, sizeof err), 0);
        rt_modlin_backward(l, g, gp, gx, gw);
        check_fd(l, c, x, w, g, rt_modlin_params(l), np_, gp, -0.5, "modlin dL/dparams");
        check_fd(l, c, x, w, g, x, nx, gx, 0, "modlin dL/dx");
        check_fd(l, c, x, w, g, w, nw, gw, 0, "modlin dL/dw (the factors' input)");
        /* skipping grad_x and grad_w leaves the parameter gradient unchanged */
        double *gp2 = calloc((size_t)np_, sizeof(double));
        assert_int_equal(rt_modlin_forward(l, x, w, c->B, c->P, y, err, sizeof err), 0);
        rt_modlin_backward(l, g, gp2, NULL, NULL);
        for (int i = 0; i < np_; i++) assert_close(gp2[i], gp[i] + 0.5, 1e-12);
        free(gp2);
        free(gp);
        rt_modlin_free(l);
    }
}

/* Demodulation: every row of W' has unit norm whatever the style, so a hidden layer's
 * pre-activation scale does not grow with the style's size (INR-GAN's reason for it). */
static void test_modlin_demodulation(void **state) {
    (void)state;
    rt_modlin *l = rt_modlin_new(6, 3, 4, 2, RT_MODLIN_HIDDEN, 2);
    double x[6], w[4], y1[3], y2[3];
    char err[256];
    /* one pixel with x = e_0: y = sqrt(2) lrelu(W'[:, 0]) (biases 0) */
    memset(x, 0, sizeof x);
    x[0] = 1;
    fill_uniform(w, 4, 1.0, 3);
    assert_int_equal(rt_modlin_forward(l, x, w, 1, 1, y1, err, sizeof err), 0);
    for (int o = 0; o < 3; o++) assert_true(fabs(y1[o]) <= sqrt(2) + 1e-12);
    /* scaling x scales y (positively homogeneous), independent of W's scale */
    double *p = rt_modlin_params(l);
    int off, size;
    rt_modlin_param_name(l, 2, &off, &size);
    for (int i = 0; i < size; i++) p[off + i] *= 7;
    assert_int_equal(rt_modlin_forward(l, x, w, 1, 1, y2, err, sizeof err), 0);
    for (int o = 0; o < 3; o++) assert_close(y2[o], y1[o], 1e-8);   /* up to the 1e-8 of the norm */
    rt_modlin_free(l);
}

static void test_modlin_tensors_and_refusals(void **state) {
    (void)state;
    rt_modlin *l = rt_modlin_new(8, 64, 16, 10, RT_MODLIN_HIDDEN, 4);
    assert_non_null(l);
    int sizes[4] = {72 * 10 * 16, 72 * 10, 64 * 8, 64}, at = 0, off, size;
    const char *names[4] = {"affine.weight", "affine.bias", "weight", "bias"};
    for (int t = 0; t < 4; t++) {
        assert_string_equal(rt_modlin_param_name(l, t, &off, &size), names[t]);
        assert_int_equal(off, at);
        assert_int_equal(size, sizes[t]);
        at += size;
    }
    assert_int_equal(at, rt_modlin_n_params(l));
    assert_null(rt_modlin_param_name(l, 4, NULL, NULL));
    rt_modlin_free(l);
    rt_modlin_free(NULL);
    assert_null(rt_modlin_new(0, 4, 4, 2, RT_MODLIN_HIDDEN, 1));
    assert_null(rt_modlin_new(4, 4, 4, 0, RT_MODLIN_HIDDEN, 1));
    assert_non_null(strstr(rt_error_last(), "rank 0"));
    assert_null(rt_modlin_new(4, 4, 4, 2, (rt_modlin_kind)7, 1));
    assert_null(rt_mapping_new(4, 4, 0, 0.01, 1));
    assert_null(rt_mapping_new(4, 4, 2, 0, 1));
    assert_non_null(strstr(rt_error_last(), "learning-rate multiplier"));
    l = rt_modlin_new(2, 2, 2, 1, RT_MODLIN_OUTPUT, 1);
    double x[8] = {0}, w[4] = {0}, y[8];
    char err[256];
    assert_int_equal(rt_modlin_forward(l, x, w, 0, 1, y, err, sizeof err), -1);
    assert_non_null(strstr(err, "batch of 0 samples"));
    /* a larger batch or more pixels than before reallocates */
    assert_int_equal(rt_modlin_forward(l, x, w, 1, 1, y, err, sizeof err), 0);
    assert_int_equal(rt_modlin_forward(l, x, w, 2, 2, y, err, sizeof err), 0);
    rt_modlin_free(l);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mapping_against_numpy),
        cmocka_unit_test(test_mapping_finite_differences),
        cmocka_unit_test(test_mapping_init_and_tensors),
        cmocka_unit_test(test_modlin_against_numpy),
        cmocka_unit_test(test_modlin_finite_differences),
        cmocka_unit_test(test_modlin_demodulation),
        cmocka_unit_test(test_modlin_tensors_and_refusals),
    };
    return cmocka_run_group_tests(tests, test_tmp_setup, test_tmp_teardown);
}
