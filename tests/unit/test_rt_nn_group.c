/* Unit tests of the composite layers (rt_group.h): parallel, residual and split forward
 * against the same computation done with the branches' own layers by hand, backward against
 * central finite differences in float64 (every parameter and every input), nesting with batch
 * norm, tensor names and the flat parameter block. */
#include "testutil.h"

#include "rt_act.h"
#include "rt_bn.h"
#include "rt_group.h"
#include "rt_linear.h"
#include "rt_model.h"

enum { B = 5 };

static rt_model *seq(int n_in, rt_layer *a, rt_layer *b) {
    rt_model *m = rt_model_create(n_in);
    assert_non_null(m);
    assert_int_equal(rt_model_add(m, a, NULL), 0);
    if (b) assert_int_equal(rt_model_add(m, b, NULL), 0);
    return m;
}

static void fill_inputs(double *x, int n, uint64_t seed) {
    rt_rng r;
    rt_rng_seed(&r, seed);
    rt_init_fill(x, (size_t)n, rt_init_uniform(-1.0, 1.0), &r);
}

/* L = sum_i c_i y_i with fixed c_i = cos(1 + i). */
static double loss_of(rt_model *m, const double *x) {
    const double *y = rt_model_forward(m, x, B);
    assert_non_null(y);
    double s = 0;
    for (int i = 0; i < B * rt_model_n_out(m); i++) s += cos(1.0 + i) * y[i];
    return s;
}

/* Analytic parameter and input gradients of L against central differences (h = 1e-6). */
static void check_gradients(rt_model *m, const double *x0) {
    int n_in = rt_model_n_in(m), n_out = rt_model_n_out(m);
    size_t np = rt_model_n_params(m);
    double *x = malloc(sizeof(double) * B * n_in), *c = malloc(sizeof(double) * B * n_out);
    double *p = malloc(sizeof(double) * (np + 1)), *g = malloc(sizeof(double) * (np + 1));
    double *gx = malloc(sizeof(double) * B * n_in);
    memcpy(x, x0, sizeof(double) * B * n_in);
    for (int i = 0; i < B * n_out; i++) c[i] = cos(1.0 + i);
    rt_model_zero_grad(m);
    assert_non_null(rt_model_forward(m, x, B));
    assert_int_equal(rt_model_backward(m, c), 0);
    rt_model_get_grads(m, g);
    memcpy(gx, rt_model_input_grad(m), sizeof(double) * B * n_in);
    rt_model_get_params(m, p);
    const double h = 1e-6;
    for (size_t k = 0; k < np; k++) {
        double keep = p[k];
        p[k] = keep + h; rt_model_set_params(m, p); double lp = loss_of(m, x);
        p[k] = keep - h; rt_model_set_params(m, p); double lm = loss_of(m, x);
        p[k] = keep; rt_model_set_params(m, p);
        assert_close(g[k], (lp - lm) / (2 * h), 1e-7);
    }
    for (int k = 0; k < B * n_in; k++) {
        double keep = x[k];
        x[k] = keep + h; double lp = loss_of(m, x);
        x[k] = keep - h; double lm = loss_of(m, x);
        x[k] = keep;
        assert_close(gx[k], (lp - lm) / (2 * h), 1e-7);
    }
    free(x); free(c); free(p); free(g); free(gx);
}

/* y = W x + b of one sample with a linear layer's own tensors (PyTorch layout [out][in]). */
static void linear_by_hand(rt_layer *l, const double *x, double *y) {
    const double *w = rt_layer_tensor_data(l, 0), *b = rt_layer_tensor_data(l, 1);
    for (int o = 0; o < rt_layer_n_out(l); o++) {
        y[o] = b[o];
        for (int i = 0; i < rt_layer_n_in(l); i++) y[o] += w[o * rt_layer_n_in(l) + i] * x[i];
    }
}

static void test_parallel(void **state) {
    (void)state;
    rt_rng r;
    rt_rng_seed(&r, 7);
    rt_model *br[2] = {seq(2, rt_linear_create(2, 3, 1, &r), rt_tanh_create(3)),
                       seq(2, rt_linear_create(2, 2, 1, &r), NULL)};
    rt_layer *g = rt_group_create(RT_GROUP_PARALLEL, 2, br);
    assert_non_null(g);
    assert_int_equal(rt_layer_n_in(g), 2);
    assert_int_equal(rt_layer_n_out(g), 5);
    rt_model *m = rt_model_create(2);
    assert_int_equal(rt_model_add(m, g, NULL), 0);
    assert_int_equal(rt_model_build(m, B), 0);
    assert_int_equal(rt_model_n_params(m), 3 * 2 + 3 + 2 * 2 + 2);
    assert_string_equal(rt_model_tensor_at(m, 0).name, "layers.0.b0.layers.0.weight");
    assert_string_equal(rt_model_tensor_at(m, 3).name, "layers.0.b1.layers.0.bias");
    double x[B * 2];
    fill_inputs(x, B * 2, 1);
    const double *y = rt_model_forward(m, x, B);
    assert_non_null(y);
    for (int b = 0; b < B; b++) {
        double y0[3], y1[2];
        linear_by_hand(rt_model_layer(rt_group_branch(g, 0), 0), x + 2 * b, y0);
        linear_by_hand(rt_model_layer(rt_group_branch(g, 1), 0), x + 2 * b, y1);
        for (int o = 0; o < 3; o++) assert_close(y[5 * b + o], tanh(y0[o]), 1e-15);
        for (int o = 0; o < 2; o++) assert_close(y[5 * b + 3 + o], y1[o], 1e-15);
    }
    check_gradients(m, x);
    rt_model_destroy(m);
}

static void test_residual(void **state) {
    (void)state;
    rt_rng r;
    rt_rng_seed(&r, 8);
    rt_model *br[1] = {seq(3, rt_linear_create(3, 3, 1, &r), rt_tanh_create(3))};
    rt_layer *g = rt_group_create(RT_GROUP_RESIDUAL, 1, br);
    assert_non_null(g);
    rt_model *m = rt_model_create(3);
    assert_int_equal(rt_model_add(m, g, NULL), 0);
    assert_int_equal(rt_model_build(m, B), 0);
    double x[B * 3];
    fill_inputs(x, B * 3, 2);
    const double *y = rt_model_forward(m, x, B);
    for (int b = 0; b < B; b++) {
        double f[3];
        linear_by_hand(rt_model_layer(rt_group_branch(g, 0), 0), x + 3 * b, f);
        for (int o = 0; o < 3; o++) assert_close(y[3 * b + o], x[3 * b + o] + tanh(f[o]), 1e-15);
    }
    check_gradients(m, x);
    rt_model_destroy(m);
}

static void test_split(void **state) {
    (void)state;
    rt_rng r;
    rt_rng_seed(&r, 9);
    enum { K = 3 };
    rt_model *br[K];
    for (int i = 0; i < K; i++) br[i] = seq(2, rt_linear_create(2, 1, 1, &r), rt_sine_create(1, 2.0));
    rt_layer *g = rt_group_create(RT_GROUP_SPLIT, K, br);
    assert_non_null(g);
    assert_int_equal(rt_layer_n_in(g), 6);
    assert_int_equal(rt_layer_n_out(g), 3);
    rt_model *m = rt_model_create(6);
    assert_int_equal(rt_model_add(m, g, NULL), 0);
    assert_int_equal(rt_model_build(m, B), 0);
    assert_int_equal(rt_model_n_params(m), K * 3);   /* independent copies */
    double x[B * 6];
    fill_inputs(x, B * 6, 3);
    const double *y = rt_model_forward(m, x, B);
    for (int b = 0; b < B; b++)
        for (int i = 0; i < K; i++) {
            double f;
            linear_by_hand(rt_model_layer(rt_group_branch(g, i), 0), x + 6 * b + 2 * i, &f);
            assert_close(y[3 * b + i], sin(2.0 * f), 1e-15);
        }
    check_gradients(m, x);
    rt_model_destroy(m);
}

/* linear(4, 4) -> residual { parallel { bn(4) ; split(2) { linear(2, 1) } } -> linear(5, 4) }
 * -> ... in a model with a layer before and after: nested blocks, buffers, FD through all. */
static void test_nested(void **state) {
    (void)state;
    rt_rng r;
    rt_rng_seed(&r, 10);
    rt_model *sp[2] = {seq(2, rt_linear_create(2, 1, 1, &r), NULL),
                       seq(2, rt_linear_create(2, 1, 1, &r), NULL)};
    rt_layer *split = rt_group_create(RT_GROUP_SPLIT, 2, sp);
    assert_non_null(split);
    rt_model *pb[2] = {seq(4, rt_batchnorm_create(4, 1e-5, 0.1), NULL), seq(4, split, NULL)};
    rt_layer *par = rt_group_create(RT_GROUP_PARALLEL, 2, pb);
    assert_non_null(par);
    rt_model *rb[1] = {seq(4, par, rt_linear_create(6, 4, 1, &r))};
    rt_layer *res = rt_group_create(RT_GROUP_RESIDUAL, 1, rb);
    assert_non_null(res);
    rt_model *m = rt_model_create(3);
    assert_int_equal(rt_model_add(m, rt_linear_create(3, 4, 1, &r), NULL), 0);
    assert_int_equal(rt_model_add(m, res, NULL), 0);
    assert_int_equal(rt_model_add(m, rt_tanh_create(4), NULL), 0);
    assert_int_equal(rt_model_build(m, B), 0);
    assert_int_equal(rt_model_n_buffers(m), 2 * 4);   /* running mean and var */
    assert_true(rt_model_find_tensor(m, "layers.1.b0.layers.0.b0.layers.0.running_mean") >= 0);
    assert_true(rt_model_find_tensor(m, "layers.1.b0.layers.0.b1.layers.0.b1.layers.0.weight") >= 0);
    /* the flat block and the branch layers' own views agree */
    rt_model_tensor t = rt_model_tensor_at(
        m, rt_model_find_tensor(m, "layers.1.b0.layers.0.b1.layers.0.b1.layers.0.weight"));
    rt_layer *inner = rt_model_layer(rt_group_branch(split, 1), 0);
    assert_ptr_equal(t.data, rt_layer_tensor_data(inner, 0));
    double x[B * 3];
    fill_inputs(x, B * 3, 4);
    check_gradients(m, x);
    /* evaluation mode reaches the nested batch norm: running statistics, not the batch's */
    rt_model_eval(m, RT_BN_RUNNING);
    double y1[B * 4];
    memcpy(y1, rt_model_forward(m, x, B), sizeof y1);
    const double *y2 = rt_model_forward(m, x, 1);   /* one sample: fine with running stats */
    assert_non_null(y2);
    for (int o = 0; o < 4; o++) assert_close(y2[o], y1[o], 1e-14);
    rt_model_destroy(m);
}

static void test_refusals(void **state) {
    (void)state;
    rt_rng r;
    rt_rng_seed(&r, 11);
    rt_model *a[1] = {seq(3, rt_linear_create(3, 2, 1, &r), NULL)};
    assert_null(rt_group_create(RT_GROUP_RESIDUAL, 1, a));   /* width changes */
    rt_model *b[2] = {seq(3, rt_linear_create(3, 2, 1, &r), NULL),
                      seq(2, rt_linear_create(2, 2, 1, &r), NULL)};
    assert_null(rt_group_create(RT_GROUP_PARALLEL, 2, b));   /* input widths differ */
    rt_model *c[2] = {seq(2, rt_linear_create(2, 2, 1, &r), NULL),
                      seq(2, rt_linear_create(2, 1, 1, &r), NULL)};
    assert_null(rt_group_create(RT_GROUP_SPLIT, 2, c));      /* copies differ */
    rt_model *d[1] = {rt_model_create(2)};
    assert_null(rt_group_create(RT_GROUP_PARALLEL, 1, d));   /* empty branch */
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parallel), cmocka_unit_test(test_residual),
        cmocka_unit_test(test_split),    cmocka_unit_test(test_nested),
        cmocka_unit_test(test_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
