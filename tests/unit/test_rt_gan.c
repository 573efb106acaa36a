/* Tests of rt_gen (mapping network + modulated synthesis over shared coordinate features) and
 * rt_gan (the adversarial step of issue 18): the generator's forward against its parts
 * composed by hand (each part is checked against numpy in test_rt_gen_layers.c), every
 * gradient (generator parameters, coordinate features, discriminator parameters with the R1
 * term and minibatch std, the generator loss through D) against central finite differences in
 * float64, that training lowers the Fréchet distance to a small synthetic image set, and the
 * refusals. */
#include "testutil.h"

#include "rt_disc.h"
#include "rt_error.h"
#include "rt_gan.h"
#include "rt_gen.h"
#include "rt_gen_metric.h"
#include "rt_mapping.h"
#include "rt_modlin.h"
#include "rt_rng.h"

#define PI 3.14159265358979323846

static void fill_uniform(double *v, int n, double scale, uint64_t seed) {
    rt_rng r;
    rt_rng_seed(&r, seed);
    for (int i = 0; i < n; i++) v[i] = scale * (2 * rt_rng_uniform(&r) - 1);
}

static void assert_rel(double analytic, double fd, double rel, double f, const char *what, int i) {
    double scale = fmax(fabs(analytic), fabs(fd)), floor_ = 1e-9 * fmax(1.0, fabs(f));
    if (!(fabs(analytic - fd) <= rel * scale + floor_))
        fail_msg("%s[%d]: analytic %.12g, finite differences %.12g (|f| %.3g)", what, i, analytic,
                 fd, fabs(f));
}

static const rt_gen_config SMALL = {
    .z_dim = 4, .w_dim = 3, .mapping_layers = 2, .mapping_lr_mul = 0.5, .c_feat = 3,
    .n_hidden = 2, .hidden = {4, 3}, .channels = 2, .rank = 2,
};

static void test_gen_forward_is_the_composition(void **state) {
    (void)state;
    rt_gen *g = rt_gen_new(&SMALL, 5);
    assert_non_null(g);
    int B = 2, P = 3, np_ = rt_gen_n_params(g);
    double *p = rt_gen_params(g);
    fill_uniform(p, np_, 1.5, 6);   /* not the initial values: the flat vector is what counts */
    double z[8], F[9], img[12];
    char err[256];
    fill_uniform(z, B * 4, 1, 7);
    fill_uniform(F, P * 3, 1, 8);
    assert_int_equal(rt_gen_forward(g, z, B, F, P, img, err, sizeof err), 0);
    /* the parts built separately, given the flat vector's slices in the documented order */
    rt_mapping *m = rt_mapping_new(4, 3, 2, 0.5, 1);
    memcpy(rt_mapping_params(m), p, sizeof(double) * (size_t)rt_mapping_n_params(m));
    int off = rt_mapping_n_params(m), widths[4] = {3, 4, 3, 2};
    double w[6], x[2 * 3 * 4], y[2 * 3 * 4];
    assert_int_equal(rt_mapping_forward(m, z, B, w, err, sizeof err), 0);
    for (int b = 0; b < B; b++) memcpy(x + b * P * 3, F, sizeof F);
    for (int k = 0; k < 3; k++) {
        rt_modlin *l = rt_modlin_new(widths[k], widths[k + 1], 3, 2,
                                     k < 2 ? RT_MODLIN_HIDDEN : RT_MODLIN_OUTPUT, 1);
        memcpy(rt_modlin_params(l), p + off, sizeof(double) * (size_t)rt_modlin_n_params(l));
        off += rt_modlin_n_params(l);
        assert_int_equal(rt_modlin_forward(l, x, w, B, P, y, err, sizeof err), 0);
        memcpy(x, y, sizeof(double) * (size_t)(B * P * widths[k + 1]));
        rt_modlin_free(l);
    }
    assert_int_equal(off, np_);
    for (int i = 0; i < B * P * 2; i++) assert_close(img[i], x[i], 1e-14);
    /* tensor names cover the vector in order */
    int at = 0, o, s;
    for (int t = 0; t < rt_gen_n_tensors(g); t++) {
        const char *name = rt_gen_param_name(g, t, &o, &s);
        assert_non_null(name);
        assert_int_equal(o, at);
        at += s;
    }
    assert_int_equal(at, np_);
    assert_string_equal(rt_gen_param_name(g, 0, NULL, NULL), "mapping.fc0.weight");
    assert_string_equal(rt_gen_param_name(g, rt_gen_n_tensors(g) - 1, NULL, NULL), "out.bias");
    assert_null(rt_gen_param_name(g, rt_gen_n_tensors(g), NULL, NULL));
    rt_mapping_free(m);
    rt_gen_free(g);
}

static double gen_loss(rt_gen *g, const double *z, int B, const double *F, int P,
                       const double *gi) {
    double img[64], s = 0;
    char err[256];
    assert_int_equal(rt_gen_forward(g, z, B, F, P, img, err, sizeof err), 0);
    for (int i = 0; i < B * P * rt_gen_config_of(g)->channels; i++) s += gi[i] * img[i];
    return s;
}

static void test_gen_finite_differences(void **state) {
    (void)state;
    rt_gen *g = rt_gen_new(&SMALL, 9);
    int B = 2, P = 3, np_ = rt_gen_n_params(g), nm = rt_gen_n_mapping_params(g);
    double *p = rt_gen_params(g);
    fill_uniform(p + nm, np_ - nm, 1.0, 10);   /* non-zero biases everywhere */
    fill_uniform(p, nm, 2.0 / SMALL.mapping_lr_mul, 11);
    double z[8], F[9], gi[12], img[12], gF[9];
    char err[256];
    fill_uniform(z, B * 4, 1, 12);
    fill_uniform(F, P * 3, 1, 13);
    fill_uniform(gi, B * P * 2, 1, 14);
    double *gp = calloc((size_t)np_, sizeof(double));
    assert_int_equal(rt_gen_forward(g, z, B, F, P, img, err, sizeof err), 0);
    rt_gen_backward(g, gi, gp, gF);
    for (int i = 0; i < np_; i++) {
        double h = i < nm ? 1e-6 / SMALL.mapping_lr_mul : 1e-6, keep = p[i];
        p[i] = keep + h;
        double up = gen_loss(g, z, B, F, P, gi);
        p[i] = keep - h;
        double dn = gen_loss(g, z, B, F, P, gi);
        p[i] = keep;
        assert_rel(gp[i], (up - dn) / (2 * h), 1e-6, up, "generator dL/dparams", i);
    }
    for (int i = 0; i < P * 3; i++) {
        double keep = F[i];
        F[i] = keep + 1e-6;
        double up = gen_loss(g, z, B, F, P, gi);
        F[i] = keep - 1e-6;
        double dn = gen_loss(g, z, B, F, P, gi);
        F[i] = keep;
        assert_rel(gF[i], (up - dn) / 2e-6, 1e-6, up, "generator dL/dF", i);
    }
    free(gp);
    rt_gen_free(g);
}

/* A GAN over SMALL's generator (P = 3 pixels x 2 channels = 6 values) and a discriminator with
 * minibatch std in groups of 2. */
static rt_gan *small_gan(rt_gen **g, rt_disc **d, double gamma) {
    *g = rt_gen_new(&SMALL, 21);
    int hidden[1] = {5};
    *d = rt_disc_new(6, hidden, 1, 2, 22);
    rt_gan_config c = {.batch = 4, .lr_g = 1e-3, .lr_d = 1e-3, .beta1 = 0, .beta2 = 0.99,
                       .adam_eps = 1e-8, .r1_gamma = gamma, .r1_every = 1, .ema_half_life = 10};
    rt_gan *t = rt_gan_new(*g, *d, &c, 23);
    assert_non_null(t);
    return t;
}

static void test_gan_gradients_finite_differences(void **state) {
    (void)state;
    rt_gen *g;
    rt_disc *d;
    rt_gan *t = small_gan(&g, &d, 0.7);
    int B = 4, P = 3, ng = rt_gen_n_params(g), nd = rt_disc_n_params(d);
    double z[16], real[24], F[9], gF[9], r1;
    char err[256];
    fill_uniform(z, B * 4, 1.5, 30);
    fill_uniform(real, B * 6, 1, 31);
    fill_uniform(F, P * 3, 1, 32);
    double *pd = rt_disc_params(d), *pg = rt_gen_params(g);
    for (int i = 0; i < nd; i++) pd[i] *= 3;   /* logits away from 0: the sigmoids matter */
    double *gd = malloc(sizeof(double) * (size_t)nd), *gg = malloc(sizeof(double) * (size_t)ng);
    /* L_D with the R1 term (scale gamma / 2) */
    double scale = 0.35, ld = rt_gan_grad_d(t, z, real, F, P, scale, gd, &r1, err, sizeof err);
    assert_false(isnan(ld));
    assert_true(r1 > 0);
    const double h = 1e-6;
    double dummy[4096];
    assert_true(nd <= 4096 && ng <= 4096);
    for (int i = 0; i < nd; i++) {
        double keep = pd[i];
        pd[i] = keep + h;
        double up = rt_gan_grad_d(t, z, real, F, P, scale, dummy, NULL, err, sizeof err);
        pd[i] = keep - h;
        double dn = rt_gan_grad_d(t, z, real, F, P, scale, dummy, NULL, err, sizeof err);
        pd[i] = keep;
        assert_rel(gd[i], (up - dn) / (2 * h), 1e-6, up, "dL_D/dparams(D)", i);
    }
    /* L_G: through D into G's parameters and the coordinate features */
    double lg = rt_gan_grad_g(t, z, F, P, gg, gF, err, sizeof err);
    assert_false(isnan(lg));
    int nm = rt_gen_n_mapping_params(g);
    for (int i = 0; i < ng; i++) {
        double hh = i < nm ? h / SMALL.mapping_lr_mul : h, keep = pg[i];
        pg[i] = keep + hh;
        double up = rt_gan_grad_g(t, z, F, P, dummy, NULL, err, sizeof err);
        pg[i] = keep - hh;
        double dn = rt_gan_grad_g(t, z, F, P, dummy, NULL, err, sizeof err);
        pg[i] = keep;
        assert_rel(gg[i], (up - dn) / (2 * hh), 1e-6, up, "dL_G/dparams(G)", i);
    }
    for (int i = 0; i < P * 3; i++) {
        double keep = F[i];
        F[i] = keep + h;
        double up = rt_gan_grad_g(t, z, F, P, dummy, NULL, err, sizeof err);
        F[i] = keep - h;
        double dn = rt_gan_grad_g(t, z, F, P, dummy, NULL, err, sizeof err);
        F[i] = keep;
        assert_rel(gF[i], (up - dn) / (2 * h), 1e-6, up, "dL_G/dF", i);
    }
    /* the loss itself, from the logits: softplus of D's outputs written out here */
    double img[24], lf[4], lr[4], want = 0, want_g = 0;
    assert_int_equal(rt_gen_forward(g, z, B, F, P, img, err, sizeof err), 0);
    assert_int_equal(rt_disc_forward(d, img, B, lf, err, sizeof err), 0);
    assert_int_equal(rt_disc_forward(d, real, B, lr, err, sizeof err), 0);
    for (int b = 0; b < B; b++) {
        want += (log(1 + exp(lf[b])) + log(1 + exp(-lr[b]))) / B;
        want_g += log(1 + exp(-lf[b])) / B;
    }
    assert_close(ld, want + scale * r1, 1e-12);
    assert_close(lg, want_g, 1e-12);
    free(gd);
    free(gg);
    rt_gan_free(t);
    rt_gen_free(g);
    rt_disc_free(d);
}

/* The EMA: after one step with half-life 10 images and batch 4, ema = beta p0 + (1 - beta) p1
 * with beta = 0.5^(4/10); sampling with it leaves the generator's weights as they were. */
static void test_gan_ema(void **state) {
    (void)state;
    rt_gen *g;
    rt_disc *d;
    rt_gan *t = small_gan(&g, &d, 0);
    int ng = rt_gen_n_params(g);
    double *p0 = malloc(sizeof(double) * (size_t)ng), real[24], F[9], img[24], z[16];
    memcpy(p0, rt_gen_params(g), sizeof(double) * (size_t)ng);
    fill_uniform(real, 24, 1, 40);
    fill_uniform(F, 9, 1, 41);
    fill_uniform(z, 16, 1, 42);
    char err[256];
    rt_gan_stats st;
    assert_int_equal(rt_gan_step(t, real, F, 3, NULL, &st, err, sizeof err), 0);
    assert_true(isnan(st.r1));
    double beta = pow(0.5, 0.4);
    const double *p1 = rt_gen_params(g), *ema = rt_gan_ema(t);
    int moved = 0;
    for (int i = 0; i < ng; i++) {
        assert_close(ema[i], beta * p0[i] + (1 - beta) * p1[i], 1e-14);
        moved += p1[i] != p0[i];
    }
    assert_true(moved > ng / 2);
    memcpy(p0, p1, sizeof(double) * (size_t)ng);
    assert_int_equal(rt_gan_sample_ema(t, z, 4, F, 3, img, err, sizeof err), 0);
    assert_memory_equal(rt_gen_params(g), p0, sizeof(double) * (size_t)ng);
    assert_int_equal(rt_gan_steps(t), 1);
    free(p0);
    rt_gan_free(t);
    rt_gen_free(g);
    rt_disc_free(d);
}

/* Training lowers the pixel-space Fréchet distance of the EMA generator's samples to a small
 * synthetic set: 6x6 gray images with one bright 2x2 square at one of four places. */
static void test_gan_training_lowers_the_distance(void **state) {
    (void)state;
    enum { S = 6, P = S * S, N = 256, B = 16 };
    rt_imageset real = {.n = N, .h = S, .w = S, .c = 1};
    real.pix = calloc((size_t)N * P, sizeof(double));
    rt_rng r;
    rt_rng_seed(&r, 50);
    for (int n = 0; n < N; n++) {
        int q = (int)(rt_rng_u64(&r) % 4), y0 = 1 + 2 * (q / 2), x0 = 1 + 2 * (q % 2);
        for (int y = 0; y < 2; y++)
            for (int x = 0; x < 2; x++) real.pix[n * P + (y0 + y) * S + x0 + x] = 1;
    }
    /* fixed Fourier coordinate features stand in for the QIREN block here */
    double F[P * 6];
    for (int i = 0; i < P; i++) {
        double y = (i / S) / (double)S * 2 - 1, x = (i % S) / (double)S * 2 - 1;
        double f[6] = {x, y, sin(PI * x), sin(PI * y), cos(PI * x), cos(PI * y)};
        memcpy(F + i * 6, f, sizeof f);
    }
    rt_gen_config c = {.z_dim = 8, .w_dim = 16, .mapping_layers = 2, .mapping_lr_mul = 0.01,
                       .c_feat = 6, .n_hidden = 2, .hidden = {16, 16}, .channels = 1, .rank = 2};
    rt_gen *g = rt_gen_new(&c, 51);
    int hidden[2] = {32, 16};
    rt_disc *d = rt_disc_new(P, hidden, 2, 4, 52);
    rt_gan_config gc = {.batch = B, .lr_g = 0.0025, .lr_d = 0.0025, .beta1 = 0, .beta2 = 0.99,
                        .adam_eps = 1e-8, .r1_gamma = 0.05, .r1_every = 4, .ema_half_life = 500};
    rt_gan *t = rt_gan_new(g, d, &gc, 53);
    assert_non_null(t);
    double realb[B * P], z[128 * 8], img[128 * P];
    char err[256];
    fill_uniform(z, 128 * 8, 0, 0);
    rt_rng_seed(&r, 54);
    for (int i = 0; i < 128 * 8; i++) z[i] = rt_rng_normal(&r);
    rt_gen_distance before, after;
    assert_int_equal(rt_gan_sample_ema(t, z, 128, F, P, img, err, sizeof err), 0);
    for (int i = 0; i < 128 * P; i++) img[i] = fmin(1, fmax(0, (img[i] + 1) / 2));
    assert_int_equal(rt_gen_distance_of(NULL, &real, img, 128, &before, err, sizeof err), 0);
    for (int step = 0; step < 600; step++) {
        for (int b = 0; b < B; b++) {
            int n = (int)(rt_rng_u64(&r) % N);
            for (int i = 0; i < P; i++) realb[b * P + i] = 2 * real.pix[n * P + i] - 1;
        }
        rt_gan_stats st;
        assert_int_equal(rt_gan_step(t, realb, F, P, NULL, &st, err, sizeof err), 0);
        assert_false(isnan(st.loss_d) || isnan(st.loss_g));
    }
    assert_int_equal(rt_gan_sample_ema(t, z, 128, F, P, img, err, sizeof err), 0);
    for (int i = 0; i < 128 * P; i++) img[i] = fmin(1, fmax(0, (img[i] + 1) / 2));
    assert_int_equal(rt_gen_distance_of(NULL, &real, img, 128, &after, err, sizeof err), 0);
    fprintf(stderr, "note: pixel Fréchet distance %.4f -> %.4f after 600 steps\n",
            before.fd_pixels, after.fd_pixels);
    assert_true(after.fd_pixels < 0.5 * before.fd_pixels);
    free(real.pix);
    rt_gan_free(t);
    rt_gen_free(g);
    rt_disc_free(d);
}

static void test_refusals(void **state) {
    (void)state;
    rt_gen *g = rt_gen_new(&SMALL, 1);
    int hidden[1] = {5};
    rt_disc *d = rt_disc_new(7, hidden, 1, 2, 1);   /* 7 inputs, the images have 3 x 2 */
    rt_gan_config c = {.batch = 4, .lr_g = 1e-3, .lr_d = 1e-3, .beta2 = 0.99, .adam_eps = 1e-8,
                       .r1_every = 1};
    rt_gan *t = rt_gan_new(g, d, &c, 1);
    double real[28] = {0}, F[9] = {0};
    char err[256];
    assert_int_equal(rt_gan_step(t, real, F, 3, NULL, NULL, err, sizeof err), -1);
    assert_non_null(strstr(err, "the discriminator takes 7 values, the generator makes 3 pixels x 2 channels"));
    rt_gan_free(t);
    c.batch = 3;   /* not a multiple of the group of 2 */
    assert_null(rt_gan_new(g, d, &c, 1));
    assert_non_null(strstr(rt_error_last(), "not a multiple"));
    c.batch = 4;
    c.r1_every = 0;
    assert_null(rt_gan_new(g, d, &c, 1));
    rt_gen_config bad = SMALL;
    bad.channels = 0;
    assert_null(rt_gen_new(&bad, 1));
    bad = SMALL;
    bad.rank = 0;
    assert_null(rt_gen_new(&bad, 1));
    rt_gan_free(NULL);
    rt_gen_free(NULL);
    rt_disc_free(d);
    rt_gen_free(g);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gen_forward_is_the_composition),
        cmocka_unit_test(test_gen_finite_differences),
        cmocka_unit_test(test_gan_gradients_finite_differences),
        cmocka_unit_test(test_gan_ema),
        cmocka_unit_test(test_gan_training_lowers_the_distance),
        cmocka_unit_test(test_refusals),
    };
    return cmocka_run_group_tests(tests, test_tmp_setup, test_tmp_teardown);
}
