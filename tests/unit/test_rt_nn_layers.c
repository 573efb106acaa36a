/* Unit tests of the runtime's classical layers: every backward (input and parameter gradients)
 * against central finite differences in float64, batch norm against PyTorch, initialisations. */
#include "testutil.h"

#include "rt_act.h"
#include "rt_bn.h"
#include "rt_error.h"
#include "rt_linear.h"
#include "rt_rff.h"

#define H 1e-6

/* L = sum_b,k r[b][k] y[b][k] for fixed random r, so dL/dy = r. */
static double objective(rt_layer *l, const double *x, const double *r, double *y, int batch) {
    assert_int_equal(rt_layer_forward(l, x, y, batch), 0);
    double s = 0.0;
    for (int i = 0; i < batch * rt_layer_n_out(l); i++)
        s += r[i] * y[i];
    return s;
}

/* Checks dx and every parameter gradient of layer l against central differences. */
static void check_layer(rt_layer *l, int batch, uint64_t seed, double x_scale) {
    int n_in = rt_layer_n_in(l), n_out = rt_layer_n_out(l);
    size_t np = rt_layer_n_params(l);
    rt_rng rng;
    rt_rng_seed(&rng, seed);
    double *x = malloc(sizeof(double) * batch * n_in), *dx = malloc(sizeof(double) * batch * n_in);
    double *y = malloc(sizeof(double) * batch * n_out), *r = malloc(sizeof(double) * batch * n_out);
    rt_init_fill(x, (size_t)batch * n_in, rt_init_normal(0.0, x_scale), &rng);
    rt_init_fill(r, (size_t)batch * n_out, rt_init_normal(0.0, 1.0), &rng);
    assert_int_equal(rt_layer_reserve(l, batch), 0);

    objective(l, x, r, y, batch);
    rt_layer_zero_grad(l);
    rt_layer_backward(l, x, y, r, dx, batch);
    double *g = malloc(sizeof(double) * (np ? np : 1));
    memcpy(g, rt_layer_grads(l), sizeof(double) * np);

    for (int i = 0; i < batch * n_in; i++) {
        double keep = x[i];
        x[i] = keep + H;
        double lp = objective(l, x, r, y, batch);
        x[i] = keep - H;
        double lm = objective(l, x, r, y, batch);
        x[i] = keep;
        assert_close(dx[i], (lp - lm) / (2 * H), 1e-6);
    }
    double *p = rt_layer_params(l);
    for (size_t i = 0; i < np; i++) {
        double keep = p[i];
        p[i] = keep + H;
        double lp = objective(l, x, r, y, batch);
        p[i] = keep - H;
        double lm = objective(l, x, r, y, batch);
        p[i] = keep;
        assert_close(g[i], (lp - lm) / (2 * H), 1e-6);
    }
    /* gradients accumulate: a second backward doubles them */
    objective(l, x, r, y, batch);
    rt_layer_backward(l, x, y, r, NULL, batch);
    for (size_t i = 0; i < np; i++)
        assert_close(rt_layer_grads(l)[i], 2 * g[i], 1e-12);
    free(x), free(dx), free(y), free(r), free(g);
}

static void test_linear_grads(void **state) {
    (void)state;
    rt_rng rng;
    rt_rng_seed(&rng, 1);
    rt_layer *l = rt_linear_create(3, 4, 1, &rng);
    assert_non_null(l);
    assert_int_equal(rt_layer_n_params(l), 16);
    check_layer(l, 5, 11, 1.0);
    rt_layer_destroy(l);
    l = rt_linear_create(4, 2, 0, &rng);
    assert_int_equal(rt_layer_n_params(l), 8);
    assert_int_equal(rt_layer_n_tensors(l), 1);
    check_layer(l, 3, 12, 1.0);
    rt_layer_destroy(l);
}

static void test_linear_init(void **state) {
    (void)state;
    rt_rng rng;
    rt_rng_seed(&rng, 2);
    rt_layer *l = rt_linear_create(16, 32, 1, &rng);
    assert_string_equal(rt_layer_tensor_name(l, 0), "weight");
    assert_string_equal(rt_layer_tensor_name(l, 1), "bias");
    assert_int_equal(rt_layer_tensor_count(l, 1), 32);
    double bound = 0.25, lo = 1, hi = -1;      /* PyTorch default: 1 / sqrt(16) */
    for (size_t i = 0; i < rt_layer_n_params(l); i++) {
        double v = rt_layer_params(l)[i];
        assert_true(v >= -bound && v < bound);
        lo = fmin(lo, v), hi = fmax(hi, v);
    }
    assert_true(lo < -0.2 && hi > 0.2);        /* spread over the whole interval */
    const double *bias = rt_layer_tensor_data(l, 1);
    double *keep = malloc(32 * sizeof(double));
    memcpy(keep, bias, 32 * sizeof(double));
    /* SIREN: first layer U(-1/n_in, 1/n_in); hidden U(-sqrt(6/n_in)/w0, +); bias untouched */
    assert_int_equal(rt_linear_init_siren(l, 1, 30.0, &rng), 0);
    for (int i = 0; i < 16 * 32; i++)
        assert_true(fabs(rt_layer_params(l)[i]) <= 1.0 / 16);
    assert_memory_equal(keep, bias, 32 * sizeof(double));
    assert_int_equal(rt_linear_init_siren(l, 0, 30.0, &rng), 0);
    hi = 0;
    for (int i = 0; i < 16 * 32; i++)
        hi = fmax(hi, fabs(rt_layer_params(l)[i]));
    assert_true(hi <= sqrt(6.0 / 16) / 30 && hi > 0.9 * sqrt(6.0 / 16) / 30);
    free(keep);
    rt_layer *t = rt_tanh_create(3);
    assert_int_equal(rt_linear_init_siren(t, 1, 1.0, &rng), -1);
    rt_layer_destroy(t);
    rt_layer_destroy(l);
}

static void test_activation_grads(void **state) {
    (void)state;
    rt_layer *ls[] = {rt_relu_create(4), rt_tanh_create(4), rt_sigmoid_create(4),
                      rt_sine_create(4, 3.0), rt_scale_create(4, 2.5)};
    const char *kinds[] = {"relu", "tanh", "sigmoid", "sine", "scale"};
    for (int i = 0; i < 5; i++) {
        assert_non_null(ls[i]);
        assert_string_equal(rt_layer_kind(ls[i]), kinds[i]);
        assert_int_equal(rt_layer_n_params(ls[i]), 0);
        check_layer(ls[i], 6, 20 + i, 1.0);
        rt_layer_destroy(ls[i]);
    }
}

static void test_activation_values(void **state) {
    (void)state;
    double x[4] = {-1.0, 0.0, 0.5, 2.0}, y[4];
    rt_layer *l = rt_relu_create(4);
    rt_layer_forward(l, x, y, 1);
    assert_true(y[0] == 0 && y[1] == 0 && y[2] == 0.5 && y[3] == 2.0);
    rt_layer_destroy(l);
    l = rt_sine_create(2, 30.0);
    rt_layer_forward(l, x, y, 2);
    assert_close(y[2], sin(15.0), 1e-15);
    rt_layer_destroy(l);
    l = rt_scale_create(4, 30.0);
    rt_layer_forward(l, x, y, 1);
    assert_close(y[3], 60.0, 0);
    rt_layer_destroy(l);
    l = rt_sigmoid_create(4);
    rt_layer_forward(l, x, y, 1);
    assert_close(y[1], 0.5, 0);
    rt_layer_destroy(l);
}

static void test_batchnorm_grads(void **state) {
    (void)state;
    rt_layer *l = rt_batchnorm_create(3, 1e-5, 0.1);
    assert_non_null(l);
    rt_rng rng;
    rt_rng_seed(&rng, 3);
    /* non-trivial gamma / beta so their gradients and dx are both exercised */
    rt_init_fill(rt_layer_params(l), 6, rt_init_normal(0.5, 1.0), &rng);
    check_layer(l, 7, 30, 2.0);                     /* training: dx couples the batch */
    rt_layer_set_mode(l, 0, RT_BN_BATCH);           /* evaluation with the batch's statistics */
    check_layer(l, 5, 31, 2.0);
    rt_layer_set_mode(l, 0, RT_BN_RUNNING);         /* evaluation with running statistics */
    double *rv = rt_layer_tensor_data(l, rt_layer_find_tensor(l, "running_var"));
    rv[0] = 0.5, rv[1] = 2.0, rv[2] = 1.3;
    check_layer(l, 4, 32, 2.0);
    rt_layer_destroy(l);
}

/* Values printed by PyTorch 1.13.1 (Debian python3-torch), float64:
 *   bn = torch.nn.BatchNorm1d(3); bn.weight = [1.5, 0.5, -2.0]; bn.bias = [0.1, -0.2, 0.3]
 *   y = bn(x) (training mode), y.backward(dy); then bn.eval(); bn(x)
 * with x and dy below; printed with "%.17g". */
static void test_batchnorm_vs_torch(void **state) {
    (void)state;
    const double x[12] = {0.3, -1.0, 2.0, 1.1, 0.4, -0.5, -0.7, 0.9, 0.25, 0.2, -0.3, 1.5};
    const double dy[12] = {0.5, -0.1, 0.2, 0.3, 0.8, -0.6, -0.4, 0.1, 0.9, 0.05, -0.7, 0.3};
    const double y_ref[12] = {0.2763667380557947, -0.89672624999192974, -2.0985265002732767,
                              2.1576119439842731, 0.07869049999677187, 2.9510029739862533,
                              -2.0751897693548025, 0.42705362499273669, 1.4361441317083941,
                              0.041211087314735002, -0.40901787499757891, -1.0886206054213707};
    const double rm_ref[3] = {0.022500000000000006, 1.3877787807814458e-18, 0.081250000000000003};
    const double rv_ref[3] = {0.95425000000000004, 0.96866666666666668, 1.0307291666666667};
    const double dx_ref[12] = {0.83875972429415979, 0.1564204612483337, 0.44338842445543197,
                               -0.4045480820140589, 0.44255834674481553, 1.1257885415754669,
                               -0.31139550134275418, -0.16690564949819772, -1.6238943485873465,
                               -0.12281614093734672, -0.43207315849495154, 0.054717382556447897};
    const double dw_ref[3] = {1.0484022762205583, 1.0032857999883786, 0.73218177376763183};
    const double db_ref[3] = {0.45000000000000001, 0.10000000000000009, 0.80000000000000004};
    const double ye_ref[12] = {0.52610917606753105, -0.70801973663856854, -3.4798450688382019,
                               1.7545320259919452, 0.0032078946554274347, 1.4450344996806279,
                               -1.0094193863379863, 0.25721776297471172, -0.032429370875021013,
                               0.37255631982697934, -0.35240592099157059, -2.494869155134436};
    rt_layer *l = rt_batchnorm_create(3, 1e-5, 0.1);
    double *p = rt_layer_params(l);
    p[0] = 1.5, p[1] = 0.5, p[2] = -2.0, p[3] = 0.1, p[4] = -0.2, p[5] = 0.3;
    double y[12], dx[12];
    assert_int_equal(rt_layer_forward(l, x, y, 4), 0);
    rt_layer_backward(l, x, y, dy, dx, 4);
    for (int i = 0; i < 12; i++) {
        assert_close(y[i], y_ref[i], 1e-14);
        assert_close(dx[i], dx_ref[i], 1e-14);
    }
    const double *rm = rt_layer_tensor_data(l, 2), *rv = rt_layer_tensor_data(l, 3);
    assert_string_equal(rt_layer_tensor_name(l, 2), "running_mean");
    for (int j = 0; j < 3; j++) {
        assert_close(rm[j], rm_ref[j], 1e-15);
        assert_close(rv[j], rv_ref[j], 1e-15);
        assert_close(rt_layer_grads(l)[j], dw_ref[j], 1e-14);
        assert_close(rt_layer_grads(l)[3 + j], db_ref[j], 1e-14);
    }
    rt_layer_set_mode(l, 0, RT_BN_RUNNING);
    assert_int_equal(rt_layer_forward(l, x, y, 4), 0);
    for (int i = 0; i < 12; i++)
        assert_close(y[i], ye_ref[i], 1e-14);
    /* evaluation leaves the running statistics alone, whichever statistics it uses */
    rt_layer_set_mode(l, 0, RT_BN_BATCH);
    double y2[12];
    assert_int_equal(rt_layer_forward(l, x, y2, 4), 0);
    for (int j = 0; j < 3; j++)
        assert_close(rm[j], rm_ref[j], 0);
    /* training mode normalises with the batch: same output as evaluation with batch stats */
    rt_layer_set_mode(l, 1, RT_BN_RUNNING);
    assert_int_equal(rt_layer_forward(l, x, y, 4), 0);
    assert_memory_equal(y, y2, sizeof y);
    assert_true(fabs(rm[0] - rm_ref[0]) > 1e-3);  /* ... and updates the running mean again */
    rt_layer_destroy(l);
}

static void test_batchnorm_errors(void **state) {
    (void)state;
    assert_null(rt_batchnorm_create(3, 0.0, 0.1));
    rt_layer *l = rt_batchnorm_create(2, 1e-5, 0.1);
    double x[2] = {1, 2}, y[2];
    assert_int_equal(rt_layer_forward(l, x, y, 1), -1);      /* training needs 2+ samples */
    assert_non_null(strstr(rt_error_last(), "at least 2"));
    rt_layer_set_mode(l, 0, RT_BN_RUNNING);
    assert_int_equal(rt_layer_forward(l, x, y, 1), 0);
    assert_close(y[1], 2.0 / sqrt(1.0 + 1e-5), 1e-15);
    rt_layer_destroy(l);
}

static void test_rff(void **state) {
    (void)state;
    rt_rng rng;
    rt_rng_seed(&rng, 4);
    rt_layer *l = rt_rff_create(2, 6, 1.0, &rng);
    assert_non_null(l);
    assert_int_equal(rt_layer_n_params(l), 0);                /* not trained */
    assert_int_equal(rt_layer_n_buffers(l), 6);               /* B: (m/2, d) = (3, 2) */
    assert_string_equal(rt_layer_tensor_name(l, 0), "frequency_matrix");
    const double *B = rt_layer_buffers(l);
    double x[2] = {0.3, -0.6}, y[6];
    rt_layer_forward(l, x, y, 1);
    for (int k = 0; k < 3; k++) {                              /* cosines first, then sines */
        double pre = B[2 * k] * x[0] + B[2 * k + 1] * x[1];
        assert_close(y[k], cos(2 * 3.141592653589793 * pre), 1e-15);
        assert_close(y[3 + k], sin(2 * 3.141592653589793 * pre), 1e-15);
    }
    check_layer(l, 4, 40, 0.5);
    rt_layer_destroy(l);
    assert_null(rt_rff_create(2, 5, 1.0, &rng));               /* odd width */
    /* scale multiplies the normal draws */
    rt_rng_seed(&rng, 9);
    rt_layer *a = rt_rff_create(3, 8, 1.0, &rng);
    rt_rng_seed(&rng, 9);
    rt_layer *b = rt_rff_create(3, 8, 10.0, &rng);
    for (int i = 0; i < 12; i++)
        assert_close(rt_layer_buffers(b)[i], 10 * rt_layer_buffers(a)[i], 1e-15);
    rt_layer_destroy(a);
    rt_layer_destroy(b);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_linear_grads),      cmocka_unit_test(test_linear_init),
        cmocka_unit_test(test_activation_grads),  cmocka_unit_test(test_activation_values),
        cmocka_unit_test(test_batchnorm_grads),   cmocka_unit_test(test_batchnorm_vs_torch),
        cmocka_unit_test(test_batchnorm_errors),  cmocka_unit_test(test_rff),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
