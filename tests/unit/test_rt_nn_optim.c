/* Unit tests of the runtime's training numerics: Adam and SGD (hand-computed and PyTorch
 * values), learning-rate schedules, losses, metrics and the finiteness check. */
#include "testutil.h"

#include "rt_loss.h"
#include "rt_metrics.h"
#include "rt_optim.h"
#include "rt_sched.h"

static const double P0[4] = {0.5, -1.2, 3.0, 0.0};
static const double GS[3][4] = {{0.1, -0.2, 0.3, 0.0}, {-0.05, 0.4, 0.3, 1e-3}, {0.2, 0.0, -0.7, 2.0}};

/* Produced by PyTorch 1.13.1 (Debian python3-torch), float64, printed with "%.17g":
 *   p = torch.tensor(P0, requires_grad=True)
 *   opt = torch.optim.Adam([p], lr=0.03, betas=(0.9, 0.999), eps=1e-8, weight_decay=wd)
 *   for g in GS: p.grad = torch.tensor(g); opt.step(); print(p)
 * and likewise torch.optim.SGD([p], lr=0.1, momentum=0.9). */
static const double ADAM_TORCH[2][3][4] = {
    {{0.47000000299999972, -1.1700000014999998, 2.9700000009999998, 0},
     {0.46200989282101729, -1.180983106963811, 2.9400000020000001, -0.022323789079893033},
     {0.44226654630541445, -1.1894730792593891, 2.9443791245520816, -0.041496818485248187}},
    {{0.47000000285714261, -1.1700000014150942, 2.9700000009090908, 0},
     {0.46039125730608954, -1.1799671840420554, 2.9400007161256649, -0.022323789079893033},
     {0.44003754169389475, -1.1871578221407131, 2.9425014870658748, -0.041496819447402362}}};
static const double SGD_TORCH[3][4] = {
    {0.48999999999999999, -1.1799999999999999, 2.9700000000000002, 0},
    {0.48599999999999999, -1.202, 2.9130000000000003, -0.0001},
    {0.46239999999999998, -1.2218, 2.9317000000000002, -0.20019000000000003}};

static void test_adam_hand(void **state) {
    (void)state;
    double lr = 0.03, b1 = 0.9, b2 = 0.999, eps = 1e-8;
    rt_optim *o = rt_adam_create(4, lr, b1, b2, eps, 0.0);
    assert_non_null(o);
    double p[4], q[4], m[4] = {0}, v[4] = {0};
    memcpy(p, P0, sizeof p);
    memcpy(q, P0, sizeof q);
    /* step 1 in closed form: mhat = g, vhat = g^2, so p -= lr g / (|g| + eps) */
    rt_optim_step(o, p, GS[0]);
    for (int i = 0; i < 4; i++)
        assert_close(p[i], P0[i] - lr * GS[0][i] / (fabs(GS[0][i]) + eps), 1e-15);
    /* the textbook form for the following steps: p -= lr mhat / (sqrt(vhat) + eps) */
    for (int t = 1; t <= 3; t++) {
        for (int i = 0; i < 4; i++) {
            double g = GS[t - 1][i];
            m[i] = b1 * m[i] + (1 - b1) * g;
            v[i] = b2 * v[i] + (1 - b2) * g * g;
            double mhat = m[i] / (1 - pow(b1, t)), vhat = v[i] / (1 - pow(b2, t));
            q[i] -= lr * mhat / (sqrt(vhat) + eps);
        }
        if (t > 1)
            rt_optim_step(o, p, GS[t - 1]);
        for (int i = 0; i < 4; i++)
            assert_close(p[i], q[i], 1e-14);
    }
    assert_int_equal(rt_optim_steps(o), 3);
    rt_optim_destroy(o);
}

static void test_adam_torch(void **state) {
    (void)state;
    const double wds[2] = {0.0, 0.01};
    for (int w = 0; w < 2; w++) {
        rt_optim *o = rt_adam_create(4, 0.03, 0.9, 0.999, 1e-8, wds[w]);
        double p[4];
        memcpy(p, P0, sizeof p);
        for (int t = 0; t < 3; t++) {
            rt_optim_step(o, p, GS[t]);
            for (int i = 0; i < 4; i++)
                assert_close(p[i], ADAM_TORCH[w][t][i], 1e-15);
        }
        rt_optim_destroy(o);
    }
}

static void test_sgd(void **state) {
    (void)state;
    rt_optim *o = rt_sgd_create(4, 0.1, 0.9, 0.0);
    double p[4], q[4], buf[4];
    memcpy(p, P0, sizeof p);
    memcpy(q, P0, sizeof q);
    for (int t = 0; t < 3; t++) {
        rt_optim_step(o, p, GS[t]);
        for (int i = 0; i < 4; i++) {   /* by hand: buf = g first, then 0.9 buf + g */
            buf[i] = t == 0 ? GS[t][i] : 0.9 * buf[i] + GS[t][i];
            q[i] -= 0.1 * buf[i];
            assert_close(p[i], q[i], 1e-15);
            assert_close(p[i], SGD_TORCH[t][i], 1e-15);
        }
    }
    rt_optim_destroy(o);
    /* plain SGD and weight decay */
    o = rt_sgd_create(1, 0.5, 0.0, 0.1);
    double x = 2.0, g = 1.0;
    rt_optim_step(o, &x, &g);
    assert_close(x, 2.0 - 0.5 * (1.0 + 0.1 * 2.0), 1e-15);
    rt_optim_destroy(o);
    assert_null(rt_sgd_create(1, 0.1, -0.5, 0.0));
    assert_null(rt_adam_create(1, 0.1, 1.0, 0.999, 1e-8, 0.0));
}

static void test_optim_state(void **state) {
    (void)state;
    rt_optim *a = rt_adam_create(4, 0.03, 0.9, 0.999, 1e-8, 0.0);
    rt_optim *b = rt_adam_create(4, 0.03, 0.9, 0.999, 1e-8, 0.0);
    double p[4], s[9];
    memcpy(p, P0, sizeof p);
    rt_optim_step(a, p, GS[0]);
    assert_int_equal(rt_optim_state_size(a), 9);
    rt_optim_get_state(a, s);
    rt_optim_set_state(b, s);
    double pa[4], pb[4];
    memcpy(pa, p, sizeof p);
    memcpy(pb, p, sizeof p);
    rt_optim_step(a, pa, GS[1]);
    rt_optim_step(b, pb, GS[1]);
    assert_memory_equal(pa, pb, sizeof pa);
    rt_optim_set_lr(b, 0.5);
    assert_close(rt_optim_lr(b), 0.5, 0);
    rt_optim_destroy(a);
    rt_optim_destroy(b);
}

static void test_schedules(void **state) {
    (void)state;
    rt_sched c = {RT_LR_CONSTANT, 0.03, 0.001, 100};
    assert_close(rt_sched_lr(&c, 0), 0.03, 0);
    assert_close(rt_sched_lr(&c, 500), 0.03, 0);
    rt_sched cs = {RT_LR_COSINE, 0.1, 0.01, 100};
    assert_close(rt_sched_lr(&cs, 0), 0.1, 1e-15);
    assert_close(rt_sched_lr(&cs, 50), 0.055, 1e-15);
    assert_close(rt_sched_lr(&cs, 25), 0.01 + 0.09 * (1 + sqrt(0.5)) / 2, 1e-15);
    assert_close(rt_sched_lr(&cs, 100), 0.01, 1e-15);
    assert_close(rt_sched_lr(&cs, 150), 0.01, 0);
    for (int e = 1; e <= 100; e++)   /* monotone */
        assert_true(rt_sched_lr(&cs, e) <= rt_sched_lr(&cs, e - 1));
    rt_sched li = {RT_LR_LINEAR, 0.1, 0.0, 10};
    assert_close(rt_sched_lr(&li, 0), 0.1, 0);
    assert_close(rt_sched_lr(&li, 4), 0.06, 1e-15);
    assert_close(rt_sched_lr(&li, 10), 0.0, 0);
    assert_close(rt_sched_lr(&li, 11), 0.0, 0);
}

static void test_losses(void **state) {
    (void)state;
    const double p[5] = {0.1, -0.4, 2.0, 0.7, 0.7}, y[5] = {0.0, 0.5, 1.5, 0.7, 1.0};
    double g[5], q[5];
    double mse = rt_loss_mse(p, y, 5, g);
    assert_close(mse, (0.01 + 0.81 + 0.25 + 0.0 + 0.09) / 5, 1e-15);
    memcpy(q, p, sizeof q);
    for (int i = 0; i < 5; i++) {   /* central differences of a quadratic are exact up to rounding */
        q[i] = p[i] + 1e-6;
        double lp = rt_loss_mse(q, y, 5, NULL);
        q[i] = p[i] - 1e-6;
        double lm = rt_loss_mse(q, y, 5, NULL);
        q[i] = p[i];
        assert_close(g[i], (lp - lm) / 2e-6, 1e-8);
    }
    double l1 = rt_loss_l1(p, y, 5, g);
    assert_close(l1, (0.1 + 0.9 + 0.5 + 0.0 + 0.3) / 5, 1e-15);
    const double g_ref[5] = {0.2, -0.2, 0.2, 0.0, -0.2};
    for (int i = 0; i < 5; i++)
        assert_close(g[i], g_ref[i], 1e-15);
    assert_close(rt_metric_mse(p, y, 5), mse, 0);
}

static void test_metrics(void **state) {
    (void)state;
    assert_close(rt_metric_psnr(0.01, 2.0), 10 * log10(400.0), 1e-14);   /* 26.02 dB */
    assert_close(rt_metric_psnr(4.0, 2.0), 0.0, 1e-15);
    assert_true(isinf(rt_metric_psnr(0.0, 2.0)));
    const double a[3] = {1.0, 2.0, 2.0}, b[3] = {1.0, 2.0, 3.0}, z[3] = {0};
    assert_close(rt_metric_rel_error(a, b, 3), 1.0 / sqrt(14.0), 1e-15);
    assert_close(rt_metric_rel_error(z, z, 3), 0.0, 0);
    assert_true(isinf(rt_metric_rel_error(a, z, 3)));
    double x[4] = {1.0, -2.0, 0.0, 5.0};
    size_t bad = 99;
    assert_true(rt_all_finite(x, 4, &bad));
    assert_int_equal(bad, 99);
    x[2] = NAN;
    assert_false(rt_all_finite(x, 4, &bad));
    assert_int_equal(bad, 2);
    x[2] = 0.0, x[1] = -INFINITY;
    assert_false(rt_all_finite(x, 4, NULL));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_adam_hand),   cmocka_unit_test(test_adam_torch),
        cmocka_unit_test(test_sgd),         cmocka_unit_test(test_optim_state),
        cmocka_unit_test(test_schedules),   cmocka_unit_test(test_losses),
        cmocka_unit_test(test_metrics),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
